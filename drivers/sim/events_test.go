package sim

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// watchN collects n events from Watch(after).
func watchN(t *testing.T, d *Driver, after string, n int) []core.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got []core.Event
	stop := errors.New("enough")
	err := d.Watch(ctx, after, func(e core.Event) error {
		got = append(got, e)
		if len(got) == n {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("Watch ended with %v after %d events", err, len(got))
	}
	return got
}

func TestWatch_ReplayThenFollow(t *testing.T) {
	d := newTestDriver(t)
	s := srvCreate(t, d, "m1.tiny") // BUILD, ACTIVE
	all := watchN(t, d, "", 2)
	if all[0].ResourceID != s.ID || all[0].ToState != "BUILD" || all[1].ToState != "ACTIVE" || all[0].Cursor != "1" || all[1].Cursor != "2" {
		t.Fatalf("%+v", all)
	}
	// Resume after the first: only the second, then what happens next.
	done := make(chan []core.Event)
	go func() { done <- watchN(t, d, all[0].Cursor, 3) }()
	wantKind(t, d.StopServer(testCtx(t), s.ID), core.KindUnknown)
	wantKind(t, d.StartServer(testCtx(t), s.ID), core.KindUnknown)
	got := <-done
	if got[0].ID != all[1].ID || got[1].ToState != "SHUTOFF" || got[2].ToState != "ACTIVE" {
		t.Fatalf("%+v", got)
	}
	for _, e := range got {
		if e.Time.IsZero() || e.Time.Location() != time.UTC || e.DatacenterID != "dc1" || e.ProjectID != testProject {
			t.Fatalf("event fields %+v", e)
		}
	}
}

func TestWatch_Errors(t *testing.T) {
	d := newTestDriver(t, func(c *Config) { c.EventRetention = 3 })
	for i := 0; i < 3; i++ {
		srvCreate(t, d, "m1.tiny") // 6 events; 3 kept
	}
	ctx := testCtx(t)
	noop := func(core.Event) error { return nil }
	wantKind(t, d.Watch(ctx, "1", noop), core.Gone)
	wantKind(t, d.Watch(ctx, "", noop), core.Gone) // from the start: the start is gone too
	wantKind(t, d.Watch(ctx, "x", noop), core.InvalidArgument)
	wantKind(t, d.Watch(ctx, "99", noop), core.InvalidArgument)
	if got := watchN(t, d, "3", 3); got[0].Cursor != "4" || got[2].Cursor != "6" {
		t.Fatalf("%+v", got)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := d.Watch(cctx, "6", noop); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Watch: %v", err)
	}
	// Close ends a waiting watcher with Unavailable.
	errc := make(chan error)
	go func() { errc <- d.Watch(ctx, "6", noop) }()
	d.Close() // whether the watcher waits already or starts after, it ends Unavailable
	wantKind(t, <-errc, core.Unavailable)
}

func TestWatch_ConcurrentWatchersSeeEverything(t *testing.T) {
	d := newTestDriver(t)
	const creates = 20
	var wg sync.WaitGroup
	results := make([][]core.Event, 4)
	for w := range results {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			results[w] = watchN(t, d, "", creates*2)
		}(w)
	}
	for i := 0; i < creates; i++ {
		srvCreate(t, d, "m1.tiny")
	}
	wg.Wait()
	for w, evs := range results {
		for i, e := range evs {
			if e.Cursor != evs[0].Cursor && e.Cursor <= evs[i-1].Cursor && len(e.Cursor) == len(evs[i-1].Cursor) {
				t.Fatalf("watcher %d: out of order at %d", w, i)
			}
			if e.ID != results[0][i].ID {
				t.Fatalf("watcher %d saw %s where watcher 0 saw %s", w, e.ID, results[0][i].ID)
			}
		}
	}
}

func TestEvents_UniqueAcrossRestartsWithoutPersistence(t *testing.T) {
	a := newTestDriver(t)
	b := newTestDriver(t) // same seed, no state file
	ea := srvCreate(t, a, "m1.tiny")
	eb := srvCreate(t, b, "m1.tiny")
	if ea.ID != eb.ID {
		t.Fatalf("same seed gave different ids %s %s", ea.ID, eb.ID)
	}
	if a.Events()[0].ID == b.Events()[0].ID {
		t.Fatal("two runs share an event id: billing would drop the second")
	}
}
