package plugins

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// Instance is one running driver plugin, as a Supervised starts and
// restarts it. *Process is the real one; tests substitute their own.
type Instance interface {
	core.Driver
	// Done is closed once the instance has died.
	Done() <-chan struct{}
	// Kill ends the instance at once, without closing the driver.
	Kill()
}

// Clock is time as the supervisor sees it, so that tests need not sleep
// through backoffs.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// ExponentialBackoff waits base after the first crash of a window, twice
// as long after each further one, never more than max. No jitter: each
// plugin restarts on its own, there is no herd to spread.
func ExponentialBackoff(base, max time.Duration) func(crashes int) time.Duration {
	return func(crashes int) time.Duration {
		d := base
		for i := 1; i < crashes && d < max; i++ {
			d *= 2
		}
		return min(d, max)
	}
}

// SupervisorConfig says how to run and restart one driver plugin.
type SupervisorConfig struct {
	// Name is the driver's name, in logs and errors.
	Name string
	// Start starts one instance, configured; Launcher(cfg) starts a binary.
	Start func(ctx context.Context) (Instance, error)
	// Backoff is the wait before a restart, given the number of crashes
	// within Window including this one. Nil: ExponentialBackoff(100ms, 30s).
	Backoff func(crashes int) time.Duration
	// A plugin that fails MaxCrashes times within Window (failed restarts
	// included) is marked down: no more restarts until Restart is called.
	// Zero means 5; Window zero means one minute.
	MaxCrashes int
	Window     time.Duration
	// Clock is nil for the wall clock.
	Clock Clock
	// OnResync is called when a Watch resumed after a restart finds its
	// cursor Gone (the driver lost the stream's history): the consumer
	// reconciles by listing, then the Watch goes on from the oldest
	// retained event, already-seen events dropped. Nil: that Watch returns
	// the Gone error instead.
	OnResync func(ctx context.Context) error
	// DedupSize is how many event IDs a Watch remembers to drop replays;
	// zero means 4096.
	DedupSize int
	// Logger is nil for slog.Default().
	Logger *slog.Logger
}

// Launcher is a SupervisorConfig.Start that launches a plugin binary.
func Launcher(cfg LaunchConfig) func(ctx context.Context) (Instance, error) {
	return func(ctx context.Context) (Instance, error) {
		p, err := Launch(ctx, cfg)
		if err != nil {
			return nil, err // a nil *Process must not become a non-nil Instance
		}
		return p, nil
	}
}

// ErrPluginDown is the cause of the errors of a plugin marked down after
// crashing too often.
var ErrPluginDown = errors.New("plugin down")

// Supervised is a core.Driver that owns one plugin and keeps it running.
//
// When the plugin dies, the calls in flight fail with kind Unavailable
// (cause ErrPluginUnreachable), the plugin is restarted after a backoff
// with its configuration re-applied, and calls made meanwhile wait for it
// (up to their context's end). A plugin that fails MaxCrashes times
// within Window is marked down: calls and Health fail at once with kind
// Unavailable (cause ErrPluginDown) and nothing restarts it but Restart.
// Watch survives restarts: it resumes after the last event it delivered.
type Supervised struct {
	cfg    SupervisorConfig
	log    *slog.Logger
	ctx    context.Context // the supervisor's life; Close cancels it
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	inst     Instance      // nil while restarting, down or closed
	gen      uint64        // counts instances, so a stale crash report is ignored
	ready    chan struct{} // closed when the restart in progress ends, either way
	down     string        // why the plugin is down; "" while it is not
	closed   bool
	crashes  []time.Time // within Window
	restarts int
	lastErr  error
}

var _ core.Driver = (*Supervised)(nil)

// Supervise starts the plugin and supervises it. A first start that fails
// is returned as an error, not retried: it is a configuration problem the
// operator must see.
func Supervise(ctx context.Context, cfg SupervisorConfig) (*Supervised, error) {
	if cfg.Start == nil {
		return nil, errors.New("plugins: SupervisorConfig.Start is required")
	}
	if cfg.Backoff == nil {
		cfg.Backoff = ExponentialBackoff(100*time.Millisecond, 30*time.Second)
	}
	if cfg.MaxCrashes <= 0 {
		cfg.MaxCrashes = 5
	}
	if cfg.Window <= 0 {
		cfg.Window = time.Minute
	}
	if cfg.Clock == nil {
		cfg.Clock = realClock{}
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	inst, err := cfg.Start(ctx)
	if err != nil {
		return nil, err
	}
	s := &Supervised{cfg: cfg, log: logger.With("plugin", cfg.Name)}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.mu.Lock()
	s.ready = make(chan struct{})
	s.running(inst)
	s.mu.Unlock()
	return s, nil
}

// running installs inst as the current instance and watches it die.
// Called with s.mu held while s.ready is open.
func (s *Supervised) running(inst Instance) {
	s.inst = inst
	s.gen++
	gen := s.gen
	close(s.ready)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		select {
		case <-inst.Done():
			s.crashed(gen, errors.New("the plugin process exited"))
		case <-s.ctx.Done():
		}
	}()
}

// crashed reports that instance gen failed; the first report of an
// instance starts its restart, later ones are ignored.
func (s *Supervised) crashed(gen uint64, cause error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || gen != s.gen || s.inst == nil {
		return
	}
	old := s.inst
	s.inst = nil
	s.lastErr = cause
	s.ready = make(chan struct{})
	s.log.Warn("driver plugin failed; restarting it", "error", cause)
	s.wg.Add(1)
	go s.restart(old, cause)
}

// restart replaces a failed instance, counting each failed start as
// another crash, until one starts or the plugin is marked down.
func (s *Supervised) restart(old Instance, cause error) {
	defer s.wg.Done()
	// Make sure the old process is gone: it may be hung rather than dead.
	old.Kill()
	for {
		now := s.cfg.Clock.Now()
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return
		}
		recent := s.crashes[:0]
		for _, t := range s.crashes {
			if now.Sub(t) < s.cfg.Window {
				recent = append(recent, t)
			}
		}
		s.crashes = append(recent, now)
		n := len(s.crashes)
		if n >= s.cfg.MaxCrashes {
			s.markDown(fmt.Sprintf("driver plugin %q is down: it failed %d times within %s (last: %v); fix it, then restart it",
				s.cfg.Name, n, s.cfg.Window, cause))
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()

		select {
		case <-s.cfg.Clock.After(s.cfg.Backoff(n)):
		case <-s.ctx.Done():
			return
		}
		inst, err := s.cfg.Start(s.ctx)
		if err != nil {
			if s.ctx.Err() != nil {
				return
			}
			var ve *VersionError
			if errors.As(err, &ve) {
				// Retrying cannot cure a binary of the wrong version.
				s.mu.Lock()
				s.markDown(ve.Error())
				s.mu.Unlock()
				return
			}
			s.log.Warn("restarting the driver plugin failed", "error", err)
			cause = err
			continue
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = inst.Close()
			return
		}
		s.restarts++
		s.running(inst)
		s.mu.Unlock()
		s.log.Info("driver plugin restarted", "restarts", s.restarts)
		return
	}
}

// markDown stops restarting. Called with s.mu held while s.ready is open.
func (s *Supervised) markDown(why string) {
	s.down = why
	close(s.ready)
	s.log.Error("driver plugin marked down", "reason", why)
}

// Restart brings back a plugin marked down, and waits until it runs. It
// does nothing to a plugin that is not down.
func (s *Supervised) Restart(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return s.closedError("Restart")
	}
	if s.down != "" {
		s.down = ""
		s.crashes = nil
		s.ready = make(chan struct{})
		s.wg.Add(1)
		go s.restart(nopInstance{}, errors.New("restarted by hand"))
	}
	s.mu.Unlock()
	return s.Ready(ctx)
}

// Ready waits until the plugin runs. It fails at once if the plugin is
// down, and with kind Unavailable if ctx ends first.
func (s *Supervised) Ready(ctx context.Context) error {
	_, _, err := s.acquire(ctx, "Ready")
	return err
}

// SupervisorState is a snapshot of a Supervised, for health pages.
type SupervisorState struct {
	// Phase is running, restarting, down or closed.
	Phase string
	// Restarts counts successful restarts since Supervise.
	Restarts int
	// LastError is the last failure seen, "" if none.
	LastError string
	// Down says why the plugin is down, "" if it is not.
	Down string
}

// State reports what the supervisor is doing.
func (s *Supervised) State() SupervisorState {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := SupervisorState{Restarts: s.restarts, Down: s.down}
	if s.lastErr != nil {
		st.LastError = s.lastErr.Error()
	}
	switch {
	case s.closed:
		st.Phase = "closed"
	case s.down != "":
		st.Phase = "down"
	case s.inst == nil:
		st.Phase = "restarting"
	default:
		st.Phase = "running"
	}
	return st
}

func (s *Supervised) closedError(op string) error {
	return &core.Error{Kind: core.Unavailable, Op: op, Message: fmt.Sprintf("driver plugin %q is closed", s.cfg.Name), Err: ErrPluginDown}
}

// acquire returns the running instance, waiting for a restart in progress.
func (s *Supervised) acquire(ctx context.Context, op string) (Instance, uint64, error) {
	for {
		s.mu.Lock()
		switch {
		case s.closed:
			s.mu.Unlock()
			return nil, 0, s.closedError(op)
		case s.down != "":
			err := &core.Error{Kind: core.Unavailable, Op: op, Message: s.down, Err: ErrPluginDown}
			s.mu.Unlock()
			return nil, 0, err
		case s.inst != nil:
			inst, gen := s.inst, s.gen
			s.mu.Unlock()
			return inst, gen, nil
		}
		ready := s.ready
		s.mu.Unlock()
		select {
		case <-ready:
		case <-ctx.Done():
			return nil, 0, &core.Error{Kind: core.Unavailable, Op: op,
				Message: fmt.Sprintf("driver plugin %q is restarting", s.cfg.Name), Err: ctx.Err()}
		}
	}
}

// do runs one call on the current instance; a call that finds the plugin
// unreachable reports the instance as failed.
func do[T any](s *Supervised, ctx context.Context, op string, f func(Instance) (T, error)) (T, error) {
	inst, gen, err := s.acquire(ctx, op)
	if err != nil {
		var zero T
		return zero, err
	}
	v, err := f(inst)
	if err != nil && errors.Is(err, ErrPluginUnreachable) {
		s.crashed(gen, err)
	}
	return v, err
}

func do0(s *Supervised, ctx context.Context, op string, f func(Instance) error) error {
	_, err := do(s, ctx, op, func(i Instance) (struct{}, error) { return struct{}{}, f(i) })
	return err
}

// Health is the driver's health; while the plugin restarts or is down it
// is Unavailable at once, with a message saying which.
func (s *Supervised) Health(ctx context.Context) error {
	s.mu.Lock()
	switch {
	case s.closed:
		s.mu.Unlock()
		return s.closedError("Health")
	case s.down != "":
		err := &core.Error{Kind: core.Unavailable, Op: "Health", Message: s.down, Err: ErrPluginDown}
		s.mu.Unlock()
		return err
	case s.inst == nil:
		err := &core.Error{Kind: core.Unavailable, Op: "Health",
			Message: fmt.Sprintf("driver plugin %q is restarting after: %v", s.cfg.Name, s.lastErr)}
		s.mu.Unlock()
		return err
	}
	s.mu.Unlock()
	return do0(s, ctx, "Health", func(i Instance) error { return i.Health(ctx) })
}

// Close stops supervising and closes the plugin.
func (s *Supervised) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	inst := s.inst
	s.inst = nil
	if inst == nil && s.down == "" {
		close(s.ready) // a restart was in progress: release its waiters
	}
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	if inst != nil {
		return inst.Close()
	}
	return nil
}

// Watch streams events like the driver's Watch, across restarts: after a
// restart it resumes after the last event delivered to fn, and it never
// delivers an event (by ID) twice. See SupervisorConfig.OnResync for a
// cursor the restarted driver no longer knows.
func (s *Supervised) Watch(ctx context.Context, after string, fn func(core.Event) error) error {
	cursor := after
	resumed := false
	seen := NewDedup(s.cfg.DedupSize)
	var fnErr error
	for {
		inst, gen, err := s.acquire(ctx, "Watch")
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		err = inst.Watch(ctx, cursor, func(ev core.Event) error {
			if !seen.has(ev.ID) {
				if err := fn(ev); err != nil {
					fnErr = err
					return err
				}
				seen.remember(ev.ID)
			}
			cursor = ev.Cursor
			return nil
		})
		switch {
		case fnErr != nil:
			return fnErr
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, ErrPluginUnreachable):
			s.crashed(gen, err)
			resumed = true
		case resumed && core.KindOf(err) == core.Gone && s.cfg.OnResync != nil:
			s.log.Warn("event cursor lost across a restart; resynchronising", "cursor", cursor)
			if err := s.cfg.OnResync(ctx); err != nil {
				return err
			}
			cursor = "" // the oldest retained; seen drops what was delivered
		default:
			return err
		}
	}
}

// nopInstance stands for the instance a manual Restart replaces: none.
type nopInstance struct{ core.Unimplemented }

func (nopInstance) Info(context.Context) (core.DriverInfo, error) { return core.DriverInfo{}, nil }
func (nopInstance) Health(context.Context) error                  { return nil }
func (nopInstance) Close() error                                  { return nil }
func (nopInstance) Done() <-chan struct{}                         { return nil }
func (nopInstance) Kill()                                         {}
