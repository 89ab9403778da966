//go:build unix

package plugins_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/core"
	"github.com/gisiaas/gisiaas/drivers/sim"
	"github.com/gisiaas/gisiaas/plugins"
)

// TestSimulatorSurvivesSIGKILL kills the simulator plugin with SIGKILL in
// the middle of a stream of calls and of events, with its state on disk,
// and checks what the adapter relies on: the calls in flight failed as
// Unavailable (never a raw gRPC error), the plugin came back with its
// state, later calls succeed, and the consumer of Watch saw every event
// of the simulator's own log exactly once, in order.
func TestSimulatorSurvivesSIGKILL(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cfg := simConfig()
	cfg.StatePath = filepath.Join(t.TempDir(), "sim-state.json")
	// One operation takes an hour, so that a call is surely in flight when
	// the process dies; every other one is instant.
	cfg.Faults = map[string]sim.Fault{"GetComputeQuota": {Latency: sim.Duration(time.Hour)}}
	settings, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	launch := plugins.Launcher(plugins.LaunchConfig{Name: "sim", Path: buildPlugin(t, simPkg, plugins.BinaryPrefix+"sim", ""),
		Config: settings, Logger: quietLogger()})
	var (
		mu      sync.Mutex
		current *plugins.Process
	)
	s, err := plugins.Supervise(ctx, plugins.SupervisorConfig{
		Name: "sim",
		Start: func(ctx context.Context) (plugins.Instance, error) {
			inst, err := launch(ctx)
			if err != nil {
				return nil, err
			}
			mu.Lock()
			current = inst.(*plugins.Process)
			mu.Unlock()
			return inst, nil
		},
		Backoff: func(int) time.Duration { return 10 * time.Millisecond },
		Logger:  quietLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	// The call that will be in flight.
	inflight := make(chan error, 1)
	go func() {
		qctx, qcancel := context.WithTimeout(ctx, 60*time.Second)
		defer qcancel()
		_, err := s.GetComputeQuota(qctx, "dc1", "p1")
		inflight <- err
	}()

	// The consumer of events.
	c := newCollector()
	wctx, wcancel := context.WithCancel(ctx)
	defer wcancel()
	werr := make(chan error, 1)
	go func() { werr <- s.Watch(wctx, "", c.fn) }()

	// The stream of calls: workers creating routers, one event each.
	var (
		failMu   sync.Mutex
		failures []error
		wg       sync.WaitGroup
	)
	stop := make(chan struct{})
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				_, err := s.CreateRouter(ctx, core.RouterCreate{CreateMeta: core.CreateMeta{ProjectID: "p1", DatacenterID: "dc1"},
					Name: fmt.Sprintf("w%d-%d", w, i)})
				if err != nil {
					failMu.Lock()
					failures = append(failures, err)
					failMu.Unlock()
				}
			}
		}()
	}

	c.waitN(t, 30) // events are flowing and the slow call has long been sent
	mu.Lock()
	victim := current
	mu.Unlock()
	before := len(c.ids())
	if err := syscall.Kill(victim.Pid(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}

	err = <-inflight
	if core.KindOf(err) != core.Unavailable || !errors.Is(err, plugins.ErrPluginUnreachable) {
		t.Fatalf("the call in flight = %v; want Unavailable caused by ErrPluginUnreachable", err)
	}
	if err := s.Ready(ctx); err != nil {
		t.Fatalf("the plugin did not come back: %v", err)
	}
	mu.Lock()
	if current == victim {
		t.Fatal("Ready returned but no new process was started")
	}
	mu.Unlock()
	c.waitN(t, before+30) // the workers go on through the new process
	close(stop)
	wg.Wait()

	failMu.Lock()
	for _, err := range failures {
		if core.KindOf(err) != core.Unavailable || !errors.Is(err, plugins.ErrPluginUnreachable) {
			t.Errorf("a failed call: %v; want Unavailable caused by ErrPluginUnreachable", err)
		}
	}
	t.Logf("%d calls failed around the kill, all Unavailable", len(failures))
	failMu.Unlock()

	// A later call succeeds, and its event is the last one of the log.
	marker, err := s.CreateRouter(ctx, core.RouterCreate{CreateMeta: core.CreateMeta{ProjectID: "p1", DatacenterID: "dc1"}, Name: "marker"})
	if err != nil {
		t.Fatalf("a call after the restart: %v", err)
	}
	isMarker := func(ev core.Event) bool { return ev.ResourceID == marker.ID }
	waitEvent(t, c, isMarker)
	wcancel()
	if err := <-werr; !errors.Is(err, context.Canceled) {
		t.Fatalf("Watch = %v; want context.Canceled", err)
	}

	// The simulator's own log, read after the restart from the start.
	var log []string
	found := errors.New("found")
	if err := s.Watch(ctx, "", func(ev core.Event) error {
		log = append(log, ev.ID)
		if isMarker(ev) {
			return found
		}
		return nil
	}); err != found {
		t.Fatalf("reading the log: %v", err)
	}
	got := c.ids()
	if len(got) != len(log) {
		t.Fatalf("the consumer saw %d events, the log has %d", len(got), len(log))
	}
	seen := map[string]bool{}
	for i := range log {
		if got[i] != log[i] {
			t.Fatalf("event %d: consumer saw %s, the log has %s", i, got[i], log[i])
		}
		if seen[got[i]] {
			t.Fatalf("event %s seen twice", got[i])
		}
		seen[got[i]] = true
	}
	if before == 0 || len(log) <= before {
		t.Fatalf("the log (%d) does not span the kill (%d events before it)", len(log), before)
	}
	t.Logf("%d events, %d of them before the kill, each seen once", len(log), before)
}

// waitEvent waits until the consumer has an event that matches.
func waitEvent(t *testing.T, c *collector, match func(core.Event) bool) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		c.mu.Lock()
		for _, ev := range c.events {
			if match(ev) {
				c.mu.Unlock()
				return
			}
		}
		c.mu.Unlock()
		select {
		case <-c.more:
		case <-deadline:
			t.Fatal("the consumer never saw the event")
		}
	}
}
