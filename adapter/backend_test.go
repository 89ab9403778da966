package adapter

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/adapter/store"
	"github.com/gisiaas/gisiaas/adapter/store/storetest"
	"github.com/gisiaas/gisiaas/core"
)

// withoutClauses is a driver that declares fewer clauses than it has, and
// counts the calls that reach its resize.
type withoutClauses struct {
	core.Driver
	drop    core.Clause
	resizes atomic.Int32
}

func (d *withoutClauses) Info(ctx context.Context) (core.DriverInfo, error) {
	info, err := d.Driver.Info(ctx)
	var kept []core.Clause
	for _, c := range info.Capabilities {
		if c != d.drop {
			kept = append(kept, c)
		}
	}
	info.Capabilities = kept
	return info, err
}

func (d *withoutClauses) ResizeServer(ctx context.Context, id, flavor string) error {
	d.resizes.Add(1)
	return d.Driver.ResizeServer(ctx, id, flavor)
}

// TestUndeclaredClauseRefusedUpFront: an operation whose clause the
// datacenter does not declare is 501 with the A.0.3 body, and the driver is
// never asked.
func TestUndeclaredClauseRefusedUpFront(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var limited *withoutClauses
		f := newAPIFixture(t, db, func(c *Config) {
			limited = &withoutClauses{Driver: c.Datacenters[0].Cloud, drop: core.ClauseServerResize}
			c.Datacenters[0].Cloud = limited
		})
		img, net := f.simRefs("dc1", f.pa)
		id := f.must(202, "POST", "/v1/"+f.pa+"/servers", f.alice, serverBody("s", "dc1", img, net))["server"].(map[string]any)["id"].(string)
		f.waitFor("/v1/"+f.pa+"/servers/"+id, f.alice, "server", "status", "ACTIVE")
		out := f.must(501, "POST", "/v1/"+f.pa+"/servers/"+id+"/resize", f.alice, map[string]any{"flavor_id": "m1.small"})
		if msg := out["error"].(map[string]any)["message"].(string); msg == "" || limited.resizes.Load() != 0 {
			t.Fatalf("501 %q, driver asked %d times", msg, limited.resizes.Load())
		}
	})
}

func testBackend(l Limits) *backend {
	return newBackend(Datacenter{ID: "dc1", Driver: "test"}, l.withDefaults())
}

// TestBackendConcurrencyLimit: when a datacenter's slots stay full for the
// queue wait, the next call is Throttled with a Retry-After, and runs once a
// slot frees.
func TestBackendConcurrencyLimit(t *testing.T) {
	b := testBackend(Limits{Concurrency: 1, QueueWait: 20 * time.Millisecond})
	ctx := context.Background()
	entered, release := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		done <- b.call(ctx, "", func(context.Context) error { close(entered); <-release; return nil })
	}()
	<-entered
	err := b.call(ctx, "", func(context.Context) error { t.Error("ran while the only slot was taken"); return nil })
	var re *retryError
	if core.KindOf(err) != core.Throttled || !errors.As(err, &re) || re.after <= 0 {
		t.Fatalf("full: %v, want Throttled with Retry-After", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ran := false
	if err := b.call(ctx, "", func(context.Context) error { ran = true; return nil }); err != nil || !ran {
		t.Fatalf("after release: %v ran=%v", err, ran)
	}
}

// TestBackendCircuitBreaker: consecutive failures of the cloud open the
// circuit — calls then fail at once with 503 and Retry-After without
// reaching the cloud — while answers such as 404 never count.
func TestBackendCircuitBreaker(t *testing.T) {
	b := testBackend(Limits{BreakerFailures: 3, BreakerOpen: time.Hour})
	ctx := context.Background()
	for i := 0; i < 10; i++ {
		_ = b.call(ctx, "", func(context.Context) error { return core.Errorf(core.NotFound, "no such thing") })
	}
	for i := 0; i < 3; i++ {
		err := b.call(ctx, "", func(context.Context) error { return core.Errorf(core.Unavailable, "cloud down") })
		if core.MessageOf(err) != "cloud down" {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	reached := false
	err := b.call(ctx, "", func(context.Context) error { reached = true; return nil })
	var re *retryError
	if reached || core.KindOf(err) != core.Unavailable || !errors.As(err, &re) || re.after != time.Hour {
		t.Fatalf("open circuit: reached=%v err=%v", reached, err)
	}
}

// lossyCreate creates the server and then loses the answer, as a timeout
// after the cloud accepted would.
type lossyCreate struct {
	core.Driver
	lose  atomic.Bool
	calls atomic.Int32
}

func (d *lossyCreate) CreateServer(ctx context.Context, req core.ServerCreate) (core.Server, error) {
	d.calls.Add(1)
	v, err := d.Driver.CreateServer(ctx, req)
	if err == nil && d.lose.Load() {
		return core.Server{}, core.Errorf(core.Unavailable, "the answer was lost")
	}
	return v, err
}

// TestCreateRetriedAfterLostAnswerMakesOneServer: the intent's token is the
// driver's client token, so a client retrying with its Idempotency-Key
// after a lost answer gets the server the cloud made — never a second one.
func TestCreateRetriedAfterLostAnswerMakesOneServer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var lossy *lossyCreate
		f := newAPIFixture(t, db, func(c *Config) {
			lossy = &lossyCreate{Driver: c.Datacenters[0].Cloud}
			c.Datacenters[0].Cloud = lossy
		})
		img, net := f.simRefs("dc1", f.pa)
		base := "/v1/" + f.pa + "/servers"
		lossy.lose.Store(true)
		resp, _ := f.do("POST", base, f.alice, serverBody("once", "dc1", img, net), "Idempotency-Key", "retry-me")
		if resp.StatusCode != 503 {
			t.Fatalf("lost answer: %d, want 503", resp.StatusCode)
		}
		pending, err := f.reg.PendingCreates(context.Background(), time.Now().Add(time.Minute))
		if err != nil || len(pending) != 1 {
			t.Fatalf("pending intents: %v %v", pending, err)
		}
		lossy.lose.Store(false)
		out := f.must(202, "POST", base, f.alice, serverBody("once", "dc1", img, net), "Idempotency-Key", "retry-me")
		servers := f.must(200, "GET", base, f.alice, nil)["servers"].([]any)
		if lossy.calls.Load() != 2 || len(servers) != 1 || servers[0].(map[string]any)["id"] != out["server"].(map[string]any)["id"] {
			t.Fatalf("%d driver calls, servers %v, answer %v", lossy.calls.Load(), servers, out)
		}
	})
}

// TestBackendCallerGoneIsNotAFailure: calls that fail because their caller
// went away (an aborted upload) never open the circuit.
func TestBackendCallerGoneIsNotAFailure(t *testing.T) {
	b := testBackend(Limits{BreakerFailures: 2, BreakerOpen: time.Hour})
	for i := 0; i < 5; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		err := b.call(ctx, "", func(ctx context.Context) error {
			cancel()
			return core.Wrap(core.Unavailable, "upload", ctx.Err())
		})
		if core.KindOf(err) != core.Unavailable || !errors.Is(err, context.Canceled) {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	ran := false
	if err := b.call(context.Background(), "", func(context.Context) error { ran = true; return nil }); err != nil || !ran {
		t.Fatalf("circuit opened by callers going away: %v", err)
	}
}

// TestBackendTimeoutsOpenTheCircuit: a call whose deadline passes is the
// cloud being slow — it counts toward the breaker, unlike a cancelled one.
func TestBackendTimeoutsOpenTheCircuit(t *testing.T) {
	b := testBackend(Limits{BreakerFailures: 2, BreakerOpen: time.Hour})
	for i := 0; i < 2; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		_ = b.call(ctx, "", func(ctx context.Context) error {
			<-ctx.Done()
			return core.Wrap(core.Unavailable, "slow", ctx.Err())
		})
		cancel()
	}
	reached := false
	err := b.call(context.Background(), "", func(context.Context) error { reached = true; return nil })
	if reached || core.KindOf(err) != core.Unavailable {
		t.Fatalf("after two timeouts: reached=%v err=%v", reached, err)
	}
}

// TestBackendCallTimeout: a call to a hung cloud ends at the call timeout
// (503), unless the caller set its own deadline or it streams an upload.
func TestBackendCallTimeout(t *testing.T) {
	b := testBackend(Limits{CallTimeout: 20 * time.Millisecond})
	err := b.call(context.Background(), "", func(ctx context.Context) error {
		<-ctx.Done()
		return core.Wrap(core.Unavailable, "hung", ctx.Err())
	})
	if core.KindOf(err) != core.Unavailable || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("hung call: %v", err)
	}
	b.Cloud = declaresAll{}
	var upload bool
	_ = b.call(context.Background(), core.ClauseImageUpload, func(ctx context.Context) error {
		_, upload = ctx.Deadline()
		return nil
	})
	if upload {
		t.Fatal("an upload was given the call timeout")
	}
}

// declaresAll is a driver that declares every clause and does nothing.
type declaresAll struct{ core.Unimplemented }

func (declaresAll) Info(context.Context) (core.DriverInfo, error) {
	return core.DriverInfo{Capabilities: core.AllClauses()}, nil
}

func (declaresAll) Health(context.Context) error { return nil }
func (declaresAll) Close() error                 { return nil }
