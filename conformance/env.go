package conformance

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// RunTag is the tag every resource a run creates carries, with the run's
// id: the leak check and --sweep find them by it.
const RunTag = "gisiaas-conformance-run"

// Env is what a check runs with.
type Env struct {
	// Driver is the target: a driver in process, a plugin over gRPC, or an
	// HTTP deployment seen as a driver.
	Driver core.Driver
	Info   core.DriverInfo
	// RunID names this run; Project and Datacenter are where it creates.
	RunID      string
	Project    string
	Datacenter string
	// HTTP is set for an HTTP target: the raw client for HTTP-only checks.
	HTTP *HTTPTarget
	rng  *rand.Rand

	mu       sync.Mutex
	cleanups []cleanup
	notes    []string
	rec      *Recorder
}

// Note records what a passing check could not judge (the target cannot
// replay events, no second project was given…): the report shows it
// beside the PASS, so a pass is never more than it proved.
func (e *Env) Note(format string, a ...any) {
	e.mu.Lock()
	e.notes = append(e.notes, fmt.Sprintf(format, a...))
	e.mu.Unlock()
}

func (e *Env) takeNotes() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := e.notes
	e.notes = nil
	return n
}

type cleanup struct {
	what string
	fn   func(ctx context.Context) error
}

// Meta is the CreateMeta of every create a check makes: the run's project
// and datacenter, and the run tag.
func (e *Env) Meta() core.CreateMeta {
	return core.CreateMeta{ProjectID: e.Project, DatacenterID: e.Datacenter, Tags: map[string]string{RunTag: e.RunID}}
}

// Name returns a name for a new resource, from the run's seed.
func (e *Env) Name(prefix string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return fmt.Sprintf("conf-%s-%s-%04x", e.RunID[:8], prefix, e.rng.Uint32()&0xffff)
}

// Cleanup registers fn to run after the check (last registered, first run);
// a NotFound from it is fine.
func (e *Env) Cleanup(what string, fn func(ctx context.Context) error) {
	e.mu.Lock()
	e.cleanups = append(e.cleanups, cleanup{what, fn})
	e.mu.Unlock()
}

func (e *Env) runCleanups(ctx context.Context) []string {
	e.mu.Lock()
	cs := e.cleanups
	e.cleanups = nil
	e.mu.Unlock()
	var failed []string
	for i := len(cs) - 1; i >= 0; i-- {
		if err := cs[i].fn(ctx); err != nil && core.KindOf(err) != core.NotFound {
			failed = append(failed, fmt.Sprintf("%s: %v", cs[i].what, err))
		}
	}
	return failed
}

// StateTimeout is how long the target may take to reach a state: what it
// declares, or a minute.
func (e *Env) StateTimeout() time.Duration {
	if e.Info.StateTimeout > 0 {
		return e.Info.StateTimeout
	}
	return time.Minute
}

// Eventually polls cond until it is true or the target's state timeout
// passes; it never sleeps longer than the poll interval.
func (e *Env) Eventually(ctx context.Context, what string, cond func(ctx context.Context) (bool, error)) error {
	deadline := time.Now().Add(e.StateTimeout())
	interval := 5 * time.Millisecond
	for {
		ok, err := cond(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return Failf("%s: not within %s (the declared state timeout)", what, e.StateTimeout())
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return Broken(ctx.Err())
		case <-t.C:
		}
		interval = min(interval*2, 500*time.Millisecond)
	}
}
