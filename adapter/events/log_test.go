package events_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/adapter/events"
	"github.com/gisiaas/gisiaas/adapter/store"
	"github.com/gisiaas/gisiaas/adapter/store/storetest"
	"github.com/gisiaas/gisiaas/core"
)

func ev(id, project string) events.Event {
	return events.Event{DepartmentID: "dep-" + project, Event: core.Event{
		ID: id, Cursor: "c-" + id, ResourceType: core.TypeServer, ResourceID: "srv-" + id, DatacenterID: "dc1",
		ProjectID: project, FromState: "BUILD", ToState: "ACTIVE",
		Attributes: core.EventAttributes{Name: "web", FlavorID: "m1.small", VCPUs: 1, MemoryMB: 2048, Host: "h1"},
		Time:       time.Date(2025, 3, 4, 5, 6, 7, 123456789, time.FixedZone("CST", 8*3600)),
	}}
}

// collect subscribes from after and returns the first n events delivered.
func collect(t *testing.T, l *events.Log, after int64, match func(events.Event) bool, n int) []events.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var got []events.Event
	stop := errors.New("enough")
	err := l.Subscribe(ctx, after, match, func(e events.Event) error {
		got = append(got, e)
		if len(got) == n {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("Subscribe(%d) after %d of %d events: %v", after, len(got), n, err)
	}
	return got
}

func TestPublishStoresOnceAndRoundTrips(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := events.NewLog(db)
		first, added, err := l.Publish(ctx, ev("e1", "p1"))
		if err != nil || !added || first.Seq <= 0 {
			t.Fatalf("first publish: %+v %v %v", first, added, err)
		}
		if first.Time.Location() != time.UTC || first.Time.Nanosecond() != 123456000 {
			t.Fatalf("time %v: want UTC, microseconds", first.Time)
		}
		again := ev("e1", "p1")
		again.ToState = "ERROR" // a replay never rewrites what was stored
		dup, added, err := l.Publish(ctx, again)
		if err != nil || added || dup.Seq != first.Seq || dup.ToState != "ACTIVE" {
			t.Fatalf("duplicate publish: %+v %v %v", dup, added, err)
		}
		second, added, err := l.Publish(ctx, ev("e2", "p2"))
		if err != nil || !added || second.Seq <= first.Seq {
			t.Fatalf("second publish: %+v %v %v", second, added, err)
		}
		if _, _, err := l.Publish(ctx, events.Event{}); core.KindOf(err) != core.InvalidArgument {
			t.Fatalf("no id: %v", err)
		}

		got := collect(t, l, 0, nil, 2)
		if fmt.Sprint(got[0]) != fmt.Sprint(first) || fmt.Sprint(got[1]) != fmt.Sprint(second) {
			t.Fatalf("read back\n%+v\n%+v\nwant\n%+v\n%+v", got[0], got[1], first, second)
		}
		if got := collect(t, l, 0, func(e events.Event) bool { return e.ProjectID == "p2" }, 1); got[0].ID != "e2" {
			t.Fatalf("match: %+v", got)
		}
		if got := collect(t, l, first.Seq, nil, 1); got[0].ID != "e2" {
			t.Fatalf("after %d: %+v", first.Seq, got)
		}
	})
}

// TestConcurrentPublishersAndSubscribers proves that every subscriber sees
// every event exactly once, in Seq order, whether it started before, during
// or after the publishing, across batch boundaries, with duplicates racing.
func TestConcurrentPublishersAndSubscribers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		const publishers, each, subscribers = 6, 25, 5
		total := publishers * each
		l := events.NewLog(db, events.WithBatch(7))
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()

		results := make([][]events.Event, subscribers)
		errs := make([]error, subscribers)
		var subs sync.WaitGroup
		start := func(i int) {
			subs.Add(1)
			go func() {
				defer subs.Done()
				done := errors.New("done")
				err := l.Subscribe(ctx, 0, nil, func(e events.Event) error {
					results[i] = append(results[i], e)
					if len(results[i]) == total {
						return done
					}
					return nil
				})
				if !errors.Is(err, done) {
					errs[i] = err
				}
			}()
		}
		for i := range 2 {
			start(i) // before any event
		}
		var pubs sync.WaitGroup
		dups := make([]int, publishers)
		for p := range publishers {
			pubs.Add(1)
			go func() {
				defer pubs.Done()
				for i := range each {
					// Each event is published by two publishers: the second is a no-op.
					for _, q := range []int{p, (p + 1) % publishers} {
						_, added, err := l.Publish(ctx, ev(fmt.Sprintf("e-%d-%d", q, i), fmt.Sprint("p", q)))
						if err != nil {
							t.Errorf("publish: %v", err)
							return
						}
						if !added {
							dups[p]++
						}
					}
					if p == 0 && i == each/2 {
						for j := 2; j < subscribers-1; j++ {
							start(j) // mid-way
						}
					}
				}
			}()
		}
		pubs.Wait()
		start(subscribers - 1) // after the last
		subs.Wait()

		ndup := 0
		for _, n := range dups {
			ndup += n
		}
		if ndup != total {
			t.Errorf("%d publishes were duplicates, want %d", ndup, total)
		}
		for i, got := range results {
			if errs[i] != nil {
				t.Fatalf("subscriber %d: %v after %d events", i, errs[i], len(got))
			}
			seen := map[string]bool{}
			for k, e := range got {
				if seen[e.ID] {
					t.Fatalf("subscriber %d: %s twice", i, e.ID)
				}
				seen[e.ID] = true
				if k > 0 && e.Seq <= got[k-1].Seq {
					t.Fatalf("subscriber %d: seq %d after %d", i, e.Seq, got[k-1].Seq)
				}
			}
			if len(seen) != total {
				t.Fatalf("subscriber %d: %d distinct events, want %d", i, len(seen), total)
			}
		}
	})
}

func TestTrimAndGone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := events.NewLog(db, events.WithRetention(events.Retention{MaxCount: 3}))
		var seqs []int64
		for i := range 10 {
			e, _, err := l.Publish(ctx, ev(fmt.Sprint("e", i), "p"))
			if err != nil {
				t.Fatal(err)
			}
			seqs = append(seqs, e.Seq)
		}
		n, err := l.Trim(ctx)
		if err != nil || n != 7 {
			t.Fatalf("Trim: %d, %v; want 7", n, err)
		}
		if n, err := l.Trim(ctx); err != nil || n != 0 {
			t.Fatalf("second Trim: %d, %v; want 0", n, err)
		}
		err = l.Subscribe(ctx, seqs[5], nil, func(events.Event) error { return nil })
		if core.KindOf(err) != core.Gone {
			t.Fatalf("Subscribe after a trimmed seq: %v, want gone", err)
		}
		if err := l.CheckCursor(ctx, seqs[5]); core.KindOf(err) != core.Gone {
			t.Fatalf("CheckCursor(trimmed): %v", err)
		}
		// The last trimmed one was seen: nothing after it is lost.
		if err := l.CheckCursor(ctx, seqs[6]); err != nil {
			t.Fatalf("CheckCursor(last trimmed): %v", err)
		}
		if got := collect(t, l, seqs[6], nil, 3); got[0].Seq != seqs[7] || got[2].Seq != seqs[9] {
			t.Fatalf("after the last trimmed: %+v", got)
		}
		// 0 is "from the oldest retained", never gone.
		if got := collect(t, l, 0, nil, 3); got[0].Seq != seqs[7] {
			t.Fatalf("from 0: %+v", got)
		}
	})
}

func TestTrimByAgeLeavesNothingButStillSaysGone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var mu sync.Mutex
		now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		l := events.NewLog(db, events.WithClock(clock), events.WithRetention(events.Retention{MaxAge: time.Hour}))
		a, _, _ := l.Publish(ctx, ev("a", "p"))
		b, _, _ := l.Publish(ctx, ev("b", "p"))
		mu.Lock()
		now = now.Add(90 * time.Minute)
		mu.Unlock()
		c, _, _ := l.Publish(ctx, ev("c", "p"))
		if n, err := l.Trim(ctx); err != nil || n != 2 {
			t.Fatalf("Trim: %d %v, want 2", n, err)
		}
		if err := l.CheckCursor(ctx, a.Seq); core.KindOf(err) != core.Gone {
			t.Fatalf("a: %v", err)
		}
		if got := collect(t, l, b.Seq, nil, 1); got[0].ID != "c" {
			t.Fatalf("after b: %+v", got)
		}
		mu.Lock()
		now = now.Add(2 * time.Hour)
		mu.Unlock()
		if n, err := l.Trim(ctx); err != nil || n != 1 {
			t.Fatalf("Trim: %d %v, want 1", n, err)
		}
		// The table is empty; the watermark still knows b was trimmed.
		err := l.Subscribe(ctx, b.Seq, nil, func(events.Event) error { return nil })
		if core.KindOf(err) != core.Gone {
			t.Fatalf("after b on an empty log: %v", err)
		}
		if err := l.CheckCursor(ctx, c.Seq); err != nil {
			t.Fatalf("after c: %v", err)
		}
	})
}

// TestSubscriberOvertakenByTrimIsGone: a subscriber that falls behind the
// retention while it streams is told so, never silently skipped ahead.
func TestSubscriberOvertakenByTrimIsGone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := events.NewLog(db, events.WithBatch(2), events.WithRetention(events.Retention{MaxCount: 1}))
		for i := range 4 {
			if _, _, err := l.Publish(ctx, ev(fmt.Sprint("e", i), "p")); err != nil {
				t.Fatal(err)
			}
		}
		var got []string
		err := l.Subscribe(ctx, 0, nil, func(e events.Event) error {
			got = append(got, e.ID)
			if len(got) == 1 {
				_, err := l.Trim(ctx) // keeps e3 only: e2 is lost to this subscriber
				return err
			}
			return nil
		})
		if core.KindOf(err) != core.Gone || fmt.Sprint(got) != "[e0 e1]" {
			t.Fatalf("got %v, err %v; want [e0 e1] then gone", got, err)
		}
	})
}

func TestSubscribeEndsWithContextOrCallback(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		l := events.NewLog(db)
		ctx, cancel := context.WithCancel(context.Background())
		delivered := make(chan events.Event, 1)
		done := make(chan error, 1)
		go func() {
			done <- l.Subscribe(ctx, 0, nil, func(e events.Event) error { delivered <- e; return nil })
		}()
		if _, _, err := l.Publish(context.Background(), ev("live", "p")); err != nil {
			t.Fatal(err)
		}
		select {
		case e := <-delivered:
			if e.ID != "live" {
				t.Fatalf("delivered %+v", e)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the live event was not delivered")
		}
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("after cancel: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Subscribe did not return after cancel")
		}

		boom := errors.New("boom")
		if err := l.Subscribe(context.Background(), 0, nil, func(events.Event) error { return boom }); !errors.Is(err, boom) {
			t.Fatalf("callback error: %v", err)
		}
		if err := l.Subscribe(context.Background(), -1, nil, nil); core.KindOf(err) != core.InvalidArgument {
			t.Fatalf("negative after: %v", err)
		}
	})
}
