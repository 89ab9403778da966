package openstack

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// CloudConfigFromEnv is the driver's config for the cloud the environment
// names, as the OpenStack client tools read it: OS_CLOUD (with
// OS_CLIENT_CONFIG_FILE) or OS_AUTH_URL and its companions. ok is false when
// neither is set.
func cloudConfigFromEnv() (Config, bool) {
	c := Config{PollInterval: Duration(time.Second)}
	switch {
	case os.Getenv("OS_CLOUD") != "":
		c.Cloud, c.CloudsFile = os.Getenv("OS_CLOUD"), os.Getenv("OS_CLIENT_CONFIG_FILE")
	case os.Getenv("OS_AUTH_URL") != "":
		c.AuthURL, c.Username, c.Password = os.Getenv("OS_AUTH_URL"), os.Getenv("OS_USERNAME"), os.Getenv("OS_PASSWORD")
		c.ProjectName, c.UserDomainName, c.ProjectDomainName = os.Getenv("OS_PROJECT_NAME"), os.Getenv("OS_USER_DOMAIN_NAME"), os.Getenv("OS_PROJECT_DOMAIN_NAME")
		c.Region = os.Getenv("OS_REGION_NAME")
	default:
		return c, false
	}
	// The cloud's notification bus (its transport_url), when it has one.
	c.NotificationsURL = os.Getenv("OS_NOTIFICATIONS_URL")
	return c, true
}

// testDriver connects to the real cloud the environment names. Without one
// it skips, except under CI, where it fails: CI never passes by skipping
// OpenStack (.ci/run brings one up with scripts/openstack-up.sh).
func testDriver(t *testing.T) *Driver {
	t.Helper()
	cfg, ok := cloudConfigFromEnv()
	if !ok {
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set but no OpenStack is: set OS_CLOUD (and OS_CLIENT_CONFIG_FILE) or OS_AUTH_URL; scripts/openstack-up.sh starts one")
		}
		t.Skip("no OpenStack: set OS_CLOUD or OS_AUTH_URL (scripts/openstack-up.sh starts one)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, err := New(ctx, cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

// testContext is a context bounded for one test's calls to the real cloud.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// waitFor polls cond until it holds, failing the test after three minutes
// (a real cloud's slowest transitions here take about one).
func waitFor(t *testing.T, ctx context.Context, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	interval := 100 * time.Millisecond
	for {
		ok, err := cond()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within three minutes", what)
		}
		tm := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			tm.Stop()
			t.Fatalf("%s: %v", what, ctx.Err())
		case <-tm.C:
		}
		interval = min(2*interval, time.Second)
	}
}

// wantKind fails unless err is a *core.Error of kind k.
func wantKind(t *testing.T, what string, err error, k core.Kind) {
	t.Helper()
	if core.KindOf(err) != k {
		t.Fatalf("%s: %v (kind %q), want kind %q", what, err, core.KindOf(err), k)
	}
	var ce *core.Error
	if !errors.As(err, &ce) {
		t.Fatalf("%s: %T is not a *core.Error", what, err)
	}
}

// watched collects the driver's events from the start of its stream.
type watched struct {
	mu  sync.Mutex
	evs []core.Event
}

func watchEvents(t *testing.T, d *Driver) *watched {
	w := &watched{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = d.Watch(ctx, "", func(ev core.Event) error {
			w.mu.Lock()
			w.evs = append(w.evs, ev)
			w.mu.Unlock()
			return nil
		})
	}()
	t.Cleanup(func() { cancel(); <-done })
	return w
}

// waitMatch returns the first event match accepts, failing the test when
// none comes in time.
func (w *watched) waitMatch(t *testing.T, ctx context.Context, what string, match func(core.Event) bool) core.Event {
	t.Helper()
	var got core.Event
	waitFor(t, ctx, "event of "+what, func() (bool, error) {
		w.mu.Lock()
		defer w.mu.Unlock()
		for _, ev := range w.evs {
			if match(ev) {
				got = ev
				return true, nil
			}
		}
		return false, nil
	})
	return got
}

// waitTo returns the first event of resource id of type typ into state to.
func (w *watched) waitTo(t *testing.T, ctx context.Context, typ core.ResourceType, id, to string) core.Event {
	t.Helper()
	return w.waitMatch(t, ctx, string(typ)+" "+id+" → "+to, func(ev core.Event) bool {
		return ev.ResourceType == typ && ev.ResourceID == id && ev.ToState == to
	})
}

// has says whether any event of resource id of type typ was seen.
func (w *watched) has(typ core.ResourceType, id string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, ev := range w.evs {
		if ev.ResourceType == typ && ev.ResourceID == id {
			return true
		}
	}
	return false
}
