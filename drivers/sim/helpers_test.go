package sim

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// Shared by the tests of every service file.

const testProject = "proj-a"

// newTestDriver is a simulator with instant transitions and a fixed seed.
func newTestDriver(t testing.TB, mutate ...func(*Config)) *Driver {
	t.Helper()
	cfg := TestConfig()
	for _, m := range mutate {
		m(&cfg)
	}
	d, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

// newManualDriver is a simulator with the given latency on a manual clock.
func newManualDriver(t testing.TB, latency time.Duration, mutate ...func(*Config)) (*Driver, *ManualClock) {
	t.Helper()
	cfg := TestConfig()
	cfg.Latency = Duration(latency)
	for _, m := range mutate {
		m(&cfg)
	}
	clock := NewManualClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	d, err := New(cfg, WithClock(clock))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d, clock
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// meta is the CreateMeta of a test resource in dc1 of testProject.
func meta() core.CreateMeta {
	return core.CreateMeta{ProjectID: testProject, DatacenterID: "dc1"}
}

// wantKind fails the test unless err is of kind want.
func wantKind(t testing.TB, err error, want core.Kind) {
	t.Helper()
	if want == core.KindUnknown {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("got no error, want %s", want)
	}
	if got := core.KindOf(err); got != want {
		t.Fatalf("got kind %s (%v), want %s", got, err, want)
	}
	var e *core.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not a *core.Error", err)
	}
}

// publicImageID is the id of the seeded cirros image.
func publicImageID(t testing.TB, d *Driver) string {
	t.Helper()
	imgs, err := d.ListImages(testCtx(t), core.ListOptions{})
	if err != nil {
		t.Fatalf("ListImages: %v", err)
	}
	for _, im := range imgs {
		if im.Name == "cirros-0.6.2" {
			return im.ID
		}
	}
	t.Fatalf("no cirros image among %d", len(imgs))
	return ""
}

// privateNetworkID is the id of dc's private network.
func privateNetworkID(t testing.TB, d *Driver, dc string) string {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.defaultNetwork(dc).ID
}

// externalNetworkID is the id of dc's external network.
func externalNetworkID(t testing.TB, d *Driver, dc string) string {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.externalNetwork(dc).ID
}

// eventsFor returns the (from, to) states of every event of resource id.
func eventsFor(d *Driver, id string) [][2]string {
	var out [][2]string
	for _, e := range d.Events() {
		if e.ResourceID == id {
			out = append(out, [2]string{e.FromState, e.ToState})
		}
	}
	return out
}

// lastEvent is the last event of resource id.
func lastEvent(t testing.TB, d *Driver, id string) core.Event {
	t.Helper()
	evs := d.Events()
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].ResourceID == id {
			return evs[i]
		}
	}
	t.Fatalf("no event for %s", id)
	return core.Event{}
}
