package plugins_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/core"
	"github.com/gisiaas/gisiaas/plugins"
	"github.com/gisiaas/gisiaas/plugins/plugintest"
)

// fakeClock moves only when the test says: a backoff is a channel the
// test fires after checking how long the supervisor asked to wait.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	pending []chan time.Time
	waits   chan time.Duration // every wait asked for, in order
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), waits: make(chan time.Duration, 100)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	c.mu.Lock()
	c.pending = append(c.pending, ch)
	c.mu.Unlock()
	c.waits <- d
	return ch
}

// nextWait returns the next wait the supervisor asked for.
func (c *fakeClock) nextWait(t *testing.T) time.Duration {
	t.Helper()
	select {
	case d := <-c.waits:
		return d
	case <-time.After(10 * time.Second):
		t.Fatal("the supervisor never waited for a backoff")
		return 0
	}
}

// fire ends every pending wait.
func (c *fakeClock) fire() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ch := range c.pending {
		ch <- c.now
	}
	c.pending = nil
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// supervised runs a Supervised whose instances are plugintest harnesses
// over one fake driver, which stands for the state that outlives a
// process (the simulator's state file, the cloud itself).
type supervised struct {
	*plugins.Supervised
	f     *fake
	clock *fakeClock

	mu       sync.Mutex
	starts   int
	current  *plugintest.Harness
	startErr error // returned by the next starts, when set
}

func newSupervised(t *testing.T, tweak func(*plugins.SupervisorConfig)) *supervised {
	t.Helper()
	s := &supervised{f: newFake(), clock: newFakeClock()}
	cfg := plugins.SupervisorConfig{
		Name:       "fake",
		MaxCrashes: 3,
		Window:     time.Minute,
		Clock:      s.clock,
		Logger:     slog.New(newRecorder()),
		Start: func(context.Context) (plugins.Instance, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.starts++
			if s.startErr != nil {
				return nil, s.startErr
			}
			s.current = plugintest.New(t, s.f)
			return s.current, nil
		},
	}
	if tweak != nil {
		tweak(&cfg)
	}
	sup, err := plugins.Supervise(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sup.Close() })
	s.Supervised = sup
	return s
}

func (s *supervised) kill() {
	s.mu.Lock()
	h := s.current
	s.mu.Unlock()
	h.Kill()
}

func (s *supervised) startCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.starts
}

func TestSupervisorRestartsWithExponentialBackoff(t *testing.T) {
	s := newSupervised(t, nil)
	ctx := context.Background()
	for i, want := range []time.Duration{100 * time.Millisecond, 200 * time.Millisecond} {
		s.kill()
		if got := s.clock.nextWait(t); got != want {
			t.Fatalf("crash %d: backoff %v; want %v", i+1, got, want)
		}
		// While the backoff runs nothing restarts, and Health says why.
		if n := s.startCount(); n != i+1 {
			t.Fatalf("started %d times during the backoff; want %d", n, i+1)
		}
		if err := s.Health(ctx); core.KindOf(err) != core.Unavailable || !strings.Contains(err.Error(), "restarting") {
			t.Fatalf("Health while restarting = %v", err)
		}
		s.clock.fire()
		if _, err := s.GetServer(ctx, "s"); err != nil {
			t.Fatalf("the call after the restart: %v", err)
		}
		if err := s.Health(ctx); err != nil {
			t.Fatalf("Health after the restart: %v", err)
		}
	}
	// Crashes older than the window are forgotten: the backoff starts over.
	s.clock.advance(2 * time.Minute)
	s.kill()
	if got := s.clock.nextWait(t); got != 100*time.Millisecond {
		t.Fatalf("backoff after a quiet window = %v; want 100ms again", got)
	}
	s.clock.fire()
	if err := s.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	if st := s.State(); st.Restarts != 3 || st.Phase != "running" || s.startCount() != 4 {
		t.Fatalf("state %+v after %d starts; want 3 restarts", st, s.startCount())
	}
}

func TestSupervisorFailsInFlightCallsAsUnavailable(t *testing.T) {
	s := newSupervised(t, nil)
	errc := make(chan error, 1)
	go func() { _, err := s.GetServer(context.Background(), "block"); errc <- err }()
	pctx := waitCtx(t, s.f)
	s.kill()
	err := <-errc
	if core.KindOf(err) != core.Unavailable || !errors.Is(err, plugins.ErrPluginUnreachable) {
		t.Fatalf("the call in flight = %v; want Unavailable caused by ErrPluginUnreachable", err)
	}
	waitDone(t, pctx) // the driver's side of the call was cancelled too
	s.clock.nextWait(t)
	// A call made during the restart waits for it and succeeds.
	go func() { _, err := s.GetServer(context.Background(), "after"); errc <- err }()
	s.clock.fire()
	if err := <-errc; err != nil {
		t.Fatalf("the call made during the restart: %v", err)
	}
	// A call whose context ends while it waits is Unavailable, not a hang.
	s.kill()
	s.clock.nextWait(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.GetServer(ctx, "x"); core.KindOf(err) != core.Unavailable || !errors.Is(err, context.Canceled) {
		t.Fatalf("a call given up while restarting = %v", err)
	}
	s.clock.fire()
}

func TestSupervisorMarksACrashLoopDown(t *testing.T) {
	s := newSupervised(t, nil) // MaxCrashes 3 within a minute
	ctx := context.Background()
	s.mu.Lock()
	s.startErr = errors.New("exec: permission denied")
	s.mu.Unlock()
	s.kill() // crash 1
	for i := 0; i < 2; i++ {
		s.clock.nextWait(t)
		s.clock.fire() // the start fails: crash 2, then crash 3
	}
	err := s.Ready(ctx)
	if core.KindOf(err) != core.Unavailable || !errors.Is(err, plugins.ErrPluginDown) {
		t.Fatalf("Ready = %v; want Unavailable, ErrPluginDown", err)
	}
	herr := s.Health(ctx)
	if core.KindOf(herr) != core.Unavailable || !strings.Contains(herr.Error(), "down") ||
		!strings.Contains(herr.Error(), "3 times") || !strings.Contains(herr.Error(), "permission denied") {
		t.Fatalf("Health = %v; want Unavailable saying it is down, how often and why", herr)
	}
	// Down means no more attempts: calls fail at once, nothing restarts.
	starts := s.startCount()
	for i := 0; i < 20; i++ {
		if _, err := s.GetServer(ctx, "x"); !errors.Is(err, plugins.ErrPluginDown) {
			t.Fatalf("call while down = %v", err)
		}
	}
	select {
	case d := <-s.clock.waits:
		t.Fatalf("the supervisor still schedules restarts (%v) while down", d)
	default:
	}
	if s.startCount() != starts || starts != 3 || s.State().Phase != "down" {
		t.Fatalf("starts %d → %d, state %+v", starts, s.startCount(), s.State())
	}
	// Restart by hand once fixed.
	s.mu.Lock()
	s.startErr = nil
	s.mu.Unlock()
	done := make(chan error, 1)
	go func() { done <- s.Restart(ctx) }()
	s.clock.nextWait(t)
	s.clock.fire()
	if err := <-done; err != nil {
		t.Fatalf("Restart: %v", err)
	}
	if _, err := s.GetServer(ctx, "x"); err != nil {
		t.Fatalf("after Restart: %v", err)
	}
}

func TestSupervisorVersionErrorIsDownAtOnce(t *testing.T) {
	s := newSupervised(t, nil)
	s.mu.Lock()
	s.startErr = &plugins.VersionError{Plugin: "fake", PluginVersion: 9, HostVersion: plugins.ProtocolVersion}
	s.mu.Unlock()
	s.kill()
	s.clock.nextWait(t)
	s.clock.fire()
	err := s.Ready(context.Background())
	if !errors.Is(err, plugins.ErrPluginDown) || !strings.Contains(err.Error(), "version 9") {
		t.Fatalf("Ready = %v; want down naming the version", err)
	}
	if s.startCount() != 2 {
		t.Fatalf("started %d times; a wrong version must not be retried", s.startCount())
	}
}

func TestSupervisorCloseReleasesWaiters(t *testing.T) {
	s := newSupervised(t, nil)
	s.kill()
	s.clock.nextWait(t)
	errc := make(chan error, 1)
	go func() { _, err := s.GetServer(context.Background(), "x"); errc <- err }()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; core.KindOf(err) != core.Unavailable || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("a call waiting when the supervisor closed = %v", err)
	}
}

// collector is a Watch consumer that records what it got.
type collector struct {
	mu     sync.Mutex
	events []core.Event
	more   chan struct{}
}

func newCollector() *collector { return &collector{more: make(chan struct{}, 1)} }

func (c *collector) fn(ev core.Event) error {
	c.mu.Lock()
	c.events = append(c.events, ev)
	c.mu.Unlock()
	select { // a wake-up pending already covers this event
	case c.more <- struct{}{}:
	default:
	}
	return nil
}

func (c *collector) ids() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, ev := range c.events {
		out = append(out, ev.ID)
	}
	return out
}

// waitN waits until the consumer has n events.
func (c *collector) waitN(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		c.mu.Lock()
		have := len(c.events)
		c.mu.Unlock()
		if have >= n {
			return
		}
		select {
		case <-c.more:
		case <-deadline:
			t.Fatalf("the consumer has %d events; want %d", have, n)
		}
	}
}

func events(n int) []core.Event {
	out := make([]core.Event, n)
	for i := range out {
		out[i] = core.Event{ResourceType: core.TypeServer, ResourceID: fmt.Sprintf("s%d", i), ToState: "ACTIVE"}
	}
	return out
}

func TestSupervisedWatchResumesAfterARestart(t *testing.T) {
	s := newSupervised(t, nil)
	c := newCollector()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	werr := make(chan error, 1)
	go func() { werr <- s.Watch(ctx, "", c.fn) }()
	s.f.emit(0, events(5)...)
	c.waitN(t, 5)
	s.kill()
	s.clock.nextWait(t)
	s.f.emit(0, events(3)...) // happen while the plugin restarts
	s.clock.fire()
	c.waitN(t, 8)
	s.f.emit(0, events(2)...)
	c.waitN(t, 10)
	cancel()
	if err := <-werr; !errors.Is(err, context.Canceled) {
		t.Fatalf("Watch = %v; want context.Canceled", err)
	}
	want := []string{"ev-1", "ev-2", "ev-3", "ev-4", "ev-5", "ev-6", "ev-7", "ev-8", "ev-9", "ev-10"}
	if got := c.ids(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("consumer saw %v; want each of %v once, in order", got, want)
	}
	// It resumed after the last cursor it delivered, not from the start.
	if calls := s.f.callsLike("Watch"); len(calls) != 2 || calls[0] != "Watch " || calls[1] != "Watch 5" {
		t.Fatalf("driver Watch calls = %q; want from the start, then after cursor 5", calls)
	}
}

func TestSupervisedWatchResyncsWhenTheCursorIsGone(t *testing.T) {
	var resyncs int
	s := newSupervised(t, func(cfg *plugins.SupervisorConfig) {
		cfg.OnResync = func(context.Context) error { resyncs++; return nil }
	})
	c := newCollector()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	werr := make(chan error, 1)
	go func() { werr <- s.Watch(ctx, "", c.fn) }()
	s.f.emit(3, events(2)...)
	c.waitN(t, 2)
	s.kill()
	s.clock.nextWait(t)
	s.f.emit(3, events(5)...) // cursors 3..7; only 5..7 are retained
	s.clock.fire()
	c.waitN(t, 5)
	cancel()
	<-werr
	if resyncs != 1 {
		t.Fatalf("OnResync called %d times; want once", resyncs)
	}
	want := "ev-1 ev-2 ev-5 ev-6 ev-7"
	if got := strings.Join(c.ids(), " "); got != want {
		t.Fatalf("consumer saw %s; want %s (the lost ones come from the resync)", got, want)
	}
	if calls := s.f.callsLike("Watch"); strings.Join(calls, ",") != "Watch ,Watch 2,Watch " {
		t.Fatalf("driver Watch calls = %q; want from the start, after 2 (Gone), from the oldest retained", calls)
	}
}

func TestSupervisedWatchWithoutResyncReturnsGone(t *testing.T) {
	s := newSupervised(t, nil)
	c := newCollector()
	werr := make(chan error, 1)
	go func() { werr <- s.Watch(context.Background(), "", c.fn) }()
	s.f.emit(2, events(1)...)
	c.waitN(t, 1)
	s.kill()
	s.clock.nextWait(t)
	s.f.emit(2, events(3)...)
	s.clock.fire()
	if err := <-werr; core.KindOf(err) != core.Gone {
		t.Fatalf("Watch = %v; want Gone, for the consumer to reconcile", err)
	}
}

func TestDedup(t *testing.T) {
	d := plugins.NewDedup(3)
	for _, id := range []string{"a", "b", "c"} {
		if d.Seen(id) {
			t.Fatalf("%s seen before it was", id)
		}
	}
	if !d.Seen("a") || !d.Seen("c") {
		t.Fatal("a remembered id was forgotten")
	}
	d.Seen("d") // evicts the oldest, a
	if d.Seen("a") {
		t.Fatal("the window is not bounded: a was not forgotten")
	}
	if !d.Seen("c") || !d.Seen("d") {
		t.Fatal("a recent id was forgotten")
	}
	var got []string
	fn := d.Filter(func(ev core.Event) error {
		if ev.ID == "fail" {
			return errors.New("consumer failed")
		}
		got = append(got, ev.ID)
		return nil
	})
	for _, id := range []string{"x", "x", "y", "x"} {
		_ = fn(core.Event{ID: id})
	}
	if strings.Join(got, ",") != "x,y" {
		t.Fatalf("filtered = %v; want x,y", got)
	}
	// An event the consumer failed on is not marked seen.
	if fn(core.Event{ID: "fail"}) == nil || d.Seen("fail") {
		t.Fatal("an event fn rejected counted as seen")
	}
}
