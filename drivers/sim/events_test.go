package sim

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// errEvStop ends a Watch from its callback.
var errEvStop = errors.New("enough")

// evEmit emits n events through the skeleton's emit, as an operation would,
// for resources ev-<first>…; it returns their resource ids.
func evEmit(d *Driver, first, n int) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var ids []string
	for i := first; i < first+n; i++ {
		id := fmt.Sprintf("ev-%d", i)
		d.emit(core.TypeVolume, id, core.Meta{ProjectID: testProject, DatacenterID: "dc1"}, "", string(core.VolumeCreating),
			core.EventAttributes{Name: id, SizeGB: int64(i)})
		ids = append(ids, id)
	}
	return ids
}

// evCollect watches from after until it has n events or Watch ends; it
// returns the events and Watch's error (errEvStop when it got all n). Safe to
// call from any goroutine.
func evCollect(ctx context.Context, d *Driver, after string, n int, onEach func(core.Event)) ([]core.Event, error) {
	var got []core.Event
	err := d.Watch(ctx, after, func(e core.Event) error {
		got = append(got, e)
		if onEach != nil {
			onEach(e)
		}
		if len(got) == n {
			return errEvStop
		}
		return nil
	})
	return got, err
}

// evCursors are the cursors of evs, joined.
func evCursors(evs []core.Event) string {
	var b []string
	for _, e := range evs {
		b = append(b, e.Cursor)
	}
	return strings.Join(b, ",")
}

func TestWatch_ReplayThenFollow(t *testing.T) {
	d, clock := newManualDriver(t, time.Second)
	ctx := testCtx(t)
	var times []time.Time
	for i := 1; i <= 3; i++ {
		evEmit(d, i, 1)
		times = append(times, clock.Now())
		clock.Advance(1500 * time.Microsecond)
	}

	// From the start: the three retained, in order, then the ones to come.
	replayed := make(chan struct{})
	type result struct {
		evs []core.Event
		err error
	}
	res := make(chan result, 1)
	var callErr error
	go func() {
		evs, err := evCollect(ctx, d, "", 5, func(e core.Event) {
			if e.Cursor == "3" {
				close(replayed)
			}
			// The callback runs without the driver's lock: it may call the driver.
			if _, err := d.ListDatacenters(ctx); err != nil {
				callErr = err
			}
		})
		res <- result{evs, err}
	}()
	<-replayed
	evEmit(d, 4, 2)
	times = append(times, clock.Now(), clock.Now())
	r := <-res
	if !errors.Is(r.err, errEvStop) || callErr != nil {
		t.Fatalf("Watch ended with %v after %d events; a call from fn: %v", r.err, len(r.evs), callErr)
	}
	if got := evCursors(r.evs); got != "1,2,3,4,5" {
		t.Fatalf("cursors %s", got)
	}
	ids := map[string]bool{}
	for i, e := range r.evs {
		want := core.Event{
			ID: fmt.Sprintf("sim:%s:%d", d.st.BootID, i+1), Cursor: strconv.Itoa(i + 1),
			ResourceType: core.TypeVolume, ResourceID: fmt.Sprintf("ev-%d", i+1), DatacenterID: "dc1", ProjectID: testProject,
			FromState: "", ToState: "creating", Attributes: core.EventAttributes{Name: fmt.Sprintf("ev-%d", i+1), SizeGB: int64(i + 1)},
			Time: times[i].Truncate(time.Microsecond),
		}
		if e != want {
			t.Fatalf("event %d\n got %+v\nwant %+v", i, e, want)
		}
		if e.Time.Location() != time.UTC {
			t.Fatalf("event time %v is not UTC", e.Time)
		}
		if ids[e.ID] {
			t.Fatalf("event id %s twice", e.ID)
		}
		ids[e.ID] = true
	}

	// Resume right after a cursor: only what follows it.
	evs, err := evCollect(ctx, d, "2", 3, nil)
	if !errors.Is(err, errEvStop) || evCursors(evs) != "3,4,5" || evs[0].ID != r.evs[2].ID {
		t.Fatalf("after 2: %s, %v", evCursors(evs), err)
	}
	// From the newest cursor: nothing to replay, the next event comes.
	go func() { evs, err := evCollect(ctx, d, "5", 1, nil); res <- result{evs, err} }()
	evEmit(d, 6, 1)
	r = <-res
	if !errors.Is(r.err, errEvStop) || evCursors(r.evs) != "6" || r.evs[0].ResourceID != "ev-6" {
		t.Fatalf("after 5: %s, %v", evCursors(r.evs), r.err)
	}
}

// Watch("") replays from the oldest event retained, whatever was trimmed
// before it (core.Watcher: "" = from the oldest the driver retains).
func TestWatch_FromStartAfterTrim(t *testing.T) {
	d := newTestDriver(t, func(c *Config) { c.EventRetention = 4 })
	evEmit(d, 1, 10)
	retained := d.Events()
	if evCursors(retained) != "7,8,9,10" {
		t.Fatalf("retained %s", evCursors(retained))
	}
	evs, err := evCollect(testCtx(t), d, "", len(retained), nil)
	if !errors.Is(err, errEvStop) {
		t.Fatalf("Watch(\"\") after a trim: %v", err)
	}
	if evCursors(evs) != "7,8,9,10" {
		t.Fatalf("Watch(\"\") gave %s", evCursors(evs))
	}
}

// A watcher that started from "" and then falls behind the retention while
// its callback is busy gets Gone, like one with a cursor: it must never skip
// events silently.
func TestWatch_FromStartFallingBehindIsGone(t *testing.T) {
	d := newTestDriver(t, func(c *Config) { c.EventRetention = 4 })
	evEmit(d, 1, 1)
	busy, release := make(chan struct{}), make(chan struct{})
	var got []string
	errc := make(chan error, 1)
	go func() {
		errc <- d.Watch(testCtx(t), "", func(e core.Event) error {
			got = append(got, e.Cursor)
			if e.Cursor == "1" {
				close(busy)
				<-release // the consumer is slow
			}
			if e.Cursor == "11" {
				return errEvStop
			}
			return nil
		})
	}()
	<-busy
	evEmit(d, 2, 10) // cursors 2..11; only 8..11 are retained
	close(release)
	err := <-errc
	if core.KindOf(err) != core.Gone {
		t.Fatalf("Watch ended with %v after cursors %v; want gone (cursors 2–7 were trimmed unseen)", err, got)
	}
	if strings.Join(got, ",") != "1" {
		t.Fatalf("delivered %v before Gone", got)
	}
}

func TestWatch_Errors(t *testing.T) {
	d := newTestDriver(t, func(c *Config) { c.EventRetention = 4 })
	evEmit(d, 1, 10) // cursors 7..10 retained
	ctx := testCtx(t)
	noop := func(core.Event) error { return nil }

	cursorCases := []struct {
		after string
		kind  core.Kind
	}{
		{"1", core.Gone},
		{"5", core.Gone},
		{"0", core.Gone},
		{"x", core.InvalidArgument},
		{"-1", core.InvalidArgument},
		{"7.0", core.InvalidArgument},
		{"11", core.InvalidArgument}, // ahead of the stream
		{"99", core.InvalidArgument},
	}
	for _, c := range cursorCases {
		err := d.Watch(ctx, c.after, noop)
		wantKind(t, err, c.kind)
		if e := err.(*core.Error); e.Op != "Watch" {
			t.Errorf("cursor %q: op %q", c.after, e.Op)
		}
	}
	// The cursor just before the oldest retained is still good.
	if evs, err := evCollect(ctx, d, "6", 4, nil); !errors.Is(err, errEvStop) || evCursors(evs) != "7,8,9,10" {
		t.Fatalf("after 6: %s %v", evCursors(evs), err)
	}

	t.Run("fn's error is returned", func(t *testing.T) {
		mine := errors.New("consumer full")
		calls := 0
		err := d.Watch(ctx, "6", func(core.Event) error { calls++; return mine })
		if err != mine || calls != 1 {
			t.Fatalf("Watch returned %v after %d calls", err, calls)
		}
	})
	t.Run("cancelled before", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := d.Watch(cctx, "10", noop); err != cctx.Err() || !errors.Is(err, context.Canceled) {
			t.Fatalf("%v", err)
		}
	})
	t.Run("deadline passed", func(t *testing.T) {
		dctx, cancel := context.WithDeadline(ctx, time.Now().Add(-time.Second))
		defer cancel()
		if err := d.Watch(dctx, "10", noop); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%v", err)
		}
	})
	t.Run("cancelled while following", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		var got []string
		err := d.Watch(cctx, "8", func(e core.Event) error {
			got = append(got, e.Cursor)
			if e.Cursor == "10" {
				cancel() // the replay is done; Watch now waits and must see this
			}
			return nil
		})
		if err != context.Canceled || strings.Join(got, ",") != "9,10" {
			t.Fatalf("%v after %v", err, got)
		}
	})
	t.Run("Close ends a watcher with Unavailable", func(t *testing.T) {
		caughtUp := make(chan struct{})
		errc := make(chan error, 1)
		go func() {
			errc <- d.Watch(ctx, "9", func(e core.Event) error {
				if e.Cursor == "10" {
					close(caughtUp)
				}
				return nil
			})
		}()
		<-caughtUp
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		wantKind(t, <-errc, core.Unavailable)
		wantKind(t, d.Watch(ctx, "", noop), core.Unavailable)
		wantKind(t, d.Watch(ctx, "10", noop), core.Unavailable)
	})
	t.Run("emit after Close does not panic", func(t *testing.T) {
		evEmit(d, 11, 1) // a timer that raced Close
		if last := d.Events(); last[len(last)-1].Cursor != "11" {
			t.Fatalf("%s", evCursors(last))
		}
	})
}

// EventRetention is a floor: at least that many are kept, at most a quarter
// more, and the retained cursors are contiguous up to the newest.
func TestEvents_RetentionKeepsAtLeastN(t *testing.T) {
	d := newTestDriver(t, func(c *Config) { c.EventRetention = 8 })
	for k := 1; k <= 100; k++ {
		evEmit(d, k, 1)
		evs := d.Events()
		if len(evs) < min(k, 8) || len(evs) > 10 {
			t.Fatalf("after %d events %d are retained", k, len(evs))
		}
		for i, e := range evs {
			if want := strconv.Itoa(k - len(evs) + 1 + i); e.Cursor != want {
				t.Fatalf("after %d events: cursors %s", k, evCursors(evs))
			}
		}
	}
	// Events returns a copy.
	evs := d.Events()
	evs[0].ToState = "changed"
	if d.Events()[0].ToState == "changed" {
		t.Fatal("Events shares the log")
	}
}

func TestEvents_UniqueAcrossRestartsWithoutPersistence(t *testing.T) {
	a := newTestDriver(t)
	b := newTestDriver(t) // same seed, no state file: a restart of the same cloud
	evEmit(a, 1, 1)
	evEmit(b, 1, 1)
	ea, eb := a.Events()[0], b.Events()[0]
	if ea.Cursor != "1" || eb.Cursor != "1" {
		t.Fatalf("cursors %s %s", ea.Cursor, eb.Cursor)
	}
	if ea.ID == eb.ID {
		t.Fatalf("two runs share event id %s: billing would drop the second", ea.ID)
	}
	for _, e := range []core.Event{ea, eb} {
		parts := strings.Split(e.ID, ":")
		if len(parts) != 3 || parts[0] != "sim" || len(parts[1]) != 16 || parts[2] != "1" {
			t.Fatalf("event id %q is not name:boot:cursor", e.ID)
		}
	}
	// Same seed still means same resource ids: only the stream's name differs.
	a.mu.Lock()
	idA := a.newID()
	a.mu.Unlock()
	b.mu.Lock()
	idB := b.newID()
	b.mu.Unlock()
	if idA != idB {
		t.Fatalf("same seed gave ids %s and %s", idA, idB)
	}
}

// Many watchers, some from the start and some from a cursor, while several
// goroutines emit: each sees the whole sequence, in the log's order.
func TestWatch_ConcurrentWatchersSeeEverything(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	const emitters, each = 4, 25
	const total = emitters * each
	type result struct {
		from string
		evs  []core.Event
		err  error
	}
	results := make(chan result, 12)
	var watchers sync.WaitGroup
	watch := func(from string, n int) {
		watchers.Add(1)
		go func() {
			defer watchers.Done()
			evs, err := evCollect(ctx, d, from, n, nil)
			results <- result{from, evs, err}
		}()
	}
	for w := 0; w < 8; w++ {
		watch("", total)
	}
	evEmit(d, 0, 10)
	for w := 0; w < 4; w++ {
		watch("10", total-10)
	}
	var emit sync.WaitGroup
	for g := 0; g < emitters; g++ {
		emit.Add(1)
		go func(g int) {
			defer emit.Done()
			n := each
			if g == 0 {
				n -= 10 // emitted above
			}
			for i := 0; i < n; i++ {
				evEmit(d, 10+g*each+i, 1)
			}
		}(g)
	}
	emit.Wait()
	watchers.Wait()
	close(results)
	log := d.Events()
	if len(log) != total {
		t.Fatalf("%d events logged", len(log))
	}
	for r := range results {
		if !errors.Is(r.err, errEvStop) {
			t.Fatalf("watcher from %q: %v after %d", r.from, r.err, len(r.evs))
		}
		want := log
		if r.from == "10" {
			want = log[10:]
		}
		for i := range want {
			if r.evs[i] != want[i] {
				t.Fatalf("watcher from %q: event %d is %s, the log has %s", r.from, i, r.evs[i].ID, want[i].ID)
			}
		}
	}
}

func TestEvents_BillingAttributes(t *testing.T) {
	d := newTestDriver(t)
	v := &core.Volume{Name: "data", SizeGB: 40, VolumeType: "ssd",
		Attachments: []core.Attachment{{ServerID: "s1"}, {ServerID: "s2"}}}
	if got := volumeAttrs(v); got != (core.EventAttributes{Name: "data", SizeGB: 40, VolumeType: "ssd", ServerID: "s1"}) {
		t.Errorf("volumeAttrs %+v", got)
	}
	v.Attachments = nil
	if got := volumeAttrs(v); got.ServerID != "" {
		t.Errorf("detached volume names server %q", got.ServerID)
	}
	im := &core.Image{ID: "im1", Name: "snap", Type: core.ImageTypeSnapshot, SizeBytes: 4096}
	if got := imageAttrs(im); got != (core.EventAttributes{Name: "snap", ImageID: "im1", ImageType: core.ImageTypeSnapshot, ImageSizeBytes: 4096}) {
		t.Errorf("imageAttrs %+v", got)
	}

	d.mu.Lock()
	defer d.mu.Unlock()
	d.st.Images["snap1"] = &core.Image{ID: "snap1", Type: core.ImageTypeSnapshot}
	d.st.Images["plain1"] = &core.Image{ID: "plain1", Type: core.ImageTypeImage}
	cases := []struct {
		name string
		s    core.Server
		want core.EventAttributes
	}{
		{"from an image", core.Server{Name: "a", FlavorID: "m1.medium", ImageID: "plain1", Host: "dc1-host-1"},
			core.EventAttributes{Name: "a", FlavorID: "m1.medium", VCPUs: 2, MemoryMB: 4096, DiskGB: 40, ImageID: "plain1", Host: "dc1-host-1"}},
		{"from a server snapshot (BL.3)", core.Server{Name: "b", FlavorID: "m1.tiny", ImageID: "snap1"},
			core.EventAttributes{Name: "b", FlavorID: "m1.tiny", VCPUs: 1, MemoryMB: 512, DiskGB: 1, ImageID: "snap1", FromSnapshot: true}},
		{"from a volume, flavor gone", core.Server{Name: "c", FlavorID: "deleted"},
			core.EventAttributes{Name: "c", FlavorID: "deleted"}},
	}
	for _, c := range cases {
		if got := d.serverAttrs(&c.s); got != c.want {
			t.Errorf("%s: serverAttrs\n got %+v\nwant %+v", c.name, got, c.want)
		}
	}
}
