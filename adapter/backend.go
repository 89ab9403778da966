package adapter

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/gisiaas/gisiaas/core"
)

// Limits protect the clouds from the adapter's clients and the adapter from
// junk. Zero fields take the defaults of withDefaults.
type Limits struct {
	// Concurrency is how many calls one datacenter serves at once.
	Concurrency int `yaml:"concurrency"`
	// QueueWait is how long a call waits for one of those slots before the
	// client gets 429 with Retry-After.
	QueueWait time.Duration `yaml:"queue_wait"`
	// BreakerFailures consecutive failures (unavailable, throttled, timeout)
	// open a datacenter's circuit for BreakerOpen: calls then fail at once
	// with 503 and Retry-After, instead of piling onto a cloud that is down.
	BreakerFailures uint32        `yaml:"breaker_failures"`
	BreakerOpen     time.Duration `yaml:"breaker_open"`
	// TokenRate requests per second, with bursts of TokenBurst, per token
	// (per client address for requests without one).
	TokenRate  float64 `yaml:"token_rate"`
	TokenBurst int     `yaml:"token_burst"`
	// CallTimeout bounds one call to a datacenter (but a streamed image
	// upload, which takes as long as its data): a hung cloud answers 503
	// instead of holding the request and a slot for ever.
	CallTimeout time.Duration `yaml:"call_timeout"`
}

func (l Limits) withDefaults() Limits {
	if l.Concurrency <= 0 {
		l.Concurrency = 64
	}
	if l.QueueWait <= 0 {
		l.QueueWait = 2 * time.Second
	}
	if l.BreakerFailures == 0 {
		l.BreakerFailures = 5
	}
	if l.BreakerOpen <= 0 {
		l.BreakerOpen = 10 * time.Second
	}
	if l.TokenRate <= 0 {
		l.TokenRate = 50
	}
	if l.TokenBurst <= 0 {
		l.TokenBurst = 100
	}
	if l.CallTimeout <= 0 {
		l.CallTimeout = time.Minute
	}
	return l
}

// backend is one datacenter as the handlers reach it: its driver behind a
// concurrency limit, a circuit breaker and a cache of what it supports.
type backend struct {
	Datacenter
	slots   chan struct{}
	wait    time.Duration
	breaker *gobreaker.CircuitBreaker[struct{}]
	openFor time.Duration
	timeout time.Duration

	mu         sync.Mutex
	info       *core.DriverInfo
	infoTime   time.Time
	infoFailed time.Time
	asking     bool
}

// capabilityTTL is how long a datacenter's declared capabilities are
// trusted before they are asked again (a plugin may be upgraded in place).
const capabilityTTL = time.Minute

func newBackend(dc Datacenter, l Limits) *backend {
	b := &backend{Datacenter: dc, slots: make(chan struct{}, l.Concurrency), wait: l.QueueWait, openFor: l.BreakerOpen, timeout: l.CallTimeout}
	b.breaker = gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        dc.ID,
		MaxRequests: 1,
		Timeout:     l.BreakerOpen,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= l.BreakerFailures },
		// Only the cloud being unwell counts: a 404 or 409 is a healthy answer.
		IsSuccessful: func(err error) bool {
			var gone *callerGone
			return errors.As(err, &gone) || !isBackendFailure(err)
		},
	})
	return b
}

func isBackendFailure(err error) bool {
	if err == nil {
		return false
	}
	switch core.KindOf(err) {
	case core.Unavailable, core.Throttled:
		return true
	case core.Internal:
		return errors.Is(err, context.DeadlineExceeded)
	}
	return false
}

// capabilities returns what the datacenter declares, asking it at most once
// a minute; nil when it cannot be asked (it is down: the call will say so).
func (b *backend) capabilities(ctx context.Context) *core.DriverInfo {
	b.mu.Lock()
	if time.Since(b.infoTime) < capabilityTTL && b.info != nil || b.asking || time.Since(b.infoFailed) < infoRetry {
		// Fresh, or being asked by another call, or asked in vain a moment
		// ago: no call waits behind a slow or failing Info.
		info := b.info
		b.mu.Unlock()
		return info
	}
	b.asking = true
	b.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, backendTimeout)
	defer cancel()
	info, err := b.Cloud.Info(ctx)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.asking = false
	if err != nil {
		b.infoFailed = time.Now()
		return b.info
	}
	b.info, b.infoTime = &info, time.Now()
	return b.info
}

// infoRetry is how long a failed Info is not asked again.
const infoRetry = 5 * time.Second

// call runs fn against the datacenter for an operation of clause: refused
// up front with Unsupported when the datacenter does not declare the clause,
// with Throttled (429) when its slots stay full, with Unavailable (503)
// while its circuit is open; both carry Retry-After.
func (b *backend) call(ctx context.Context, clause core.Clause, fn func(ctx context.Context) error) error {
	if clause != "" {
		if info := b.capabilities(ctx); info != nil && !info.Supports(clause) {
			title := string(clause)
			if ci, ok := core.LookupClause(clause); ok {
				title = fmt.Sprintf("%s (%s)", ci.Title, clause)
			}
			return core.Errorf(core.Unsupported, "datacenter %s (driver %s) does not support %s", b.ID, b.Driver, title)
		}
	}
	timer := time.NewTimer(b.wait)
	select {
	case b.slots <- struct{}{}:
		timer.Stop()
	case <-timer.C:
		return retryAfter(core.Errorf(core.Throttled, "datacenter %s is busy; retry later", b.ID), time.Second)
	case <-ctx.Done():
		timer.Stop()
		return core.Wrap(core.Unavailable, "call", ctx.Err())
	}
	defer func() { <-b.slots }()
	if _, has := ctx.Deadline(); !has && clause != core.ClauseImageUpload {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, b.timeout)
		defer cancel()
	}
	start := time.Now()
	_, err := b.breaker.Execute(func() (struct{}, error) {
		err := fn(ctx)
		if err != nil && errors.Is(ctx.Err(), context.Canceled) {
			// The caller gave up (a client went away mid-upload): that
			// says nothing about the cloud's health, so it is not counted.
			// A deadline that passed is the cloud being slow: it counts.
			return struct{}{}, &callerGone{err}
		}
		return struct{}{}, err
	})
	var gone *callerGone
	if errors.As(err, &gone) {
		err = gone.error
	}
	addBackendTime(ctx, time.Since(start))
	switch {
	case errors.Is(err, gobreaker.ErrOpenState), errors.Is(err, gobreaker.ErrTooManyRequests):
		return retryAfter(core.Errorf(core.Unavailable, "datacenter %s is failing; calls are paused", b.ID), b.openFor)
	case core.KindOf(err) == core.Throttled:
		return retryAfter(err, time.Second)
	case core.KindOf(err) == core.Unavailable:
		return retryAfter(err, 5*time.Second)
	}
	return err
}

// callerGone marks a failure that happened because the caller's context
// ended; the breaker counts it as a success.
type callerGone struct{ error }

// retryError carries the Retry-After an error answer should have.
type retryError struct {
	error
	after time.Duration
}

func (e *retryError) Unwrap() error { return e.error }

func retryAfter(err error, d time.Duration) error {
	var re *retryError
	if errors.As(err, &re) {
		return err
	}
	return &retryError{error: err, after: d}
}
