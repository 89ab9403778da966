package libvirt

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	lv "libvirt.org/go/libvirt"

	"github.com/gisiaas/gisiaas/core"
)

// rawTestConn is a connection of the test's own to test:///default: it
// keeps the test driver's state alive while the driver under test closes
// and reopens its own, and changes domains behind the driver's back.
func rawTestConn(t *testing.T) *lv.Connect {
	t.Helper()
	c, err := lv.NewConnect("test:///default")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = c.Close() })
	return c
}

func destroyBehindTheBack(t *testing.T, c *lv.Connect, id string) {
	t.Helper()
	dom, err := c.LookupDomainByUUIDString(id)
	if err != nil {
		t.Fatal(err)
	}
	defer dom.Free()
	if err := dom.Destroy(); err != nil {
		t.Fatal(err)
	}
}

func TestEvents_DomainCallbacksNotPolling(t *testing.T) {
	raw := rawTestConn(t)
	d := newTestDriver(t)
	s := newServer(t, d, "ev", "ev1")
	// A change made by someone else (virsh destroy) reaches the stream
	// through libvirt's lifecycle callback: the driver was not asked.
	destroyBehindTheBack(t, raw, s.ID)
	ev := waitEvent(t, d, "SHUTOFF from the callback", func(e core.Event) bool {
		return e.ResourceID == s.ID && e.FromState == string(core.ServerActive) && e.ToState == string(core.ServerShutoff)
	})
	if ev.ProjectID != "ev" || ev.DatacenterID != "default" || ev.Attributes.FlavorID != "m1.tiny" || ev.Cursor == "" || ev.ID == "" {
		t.Fatalf("event %+v", ev)
	}
}

func TestEvents_ReplayFromCursorAndGone(t *testing.T) {
	d := newTestDriver(t, func(c *Config) { c.EventRetention = 4 })
	ctx := testCtx(t)
	for i := 0; i < 3; i++ {
		if _, err := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta("replay"), Name: "r", SizeGB: 1}); err != nil {
			t.Fatal(err)
		}
	}
	evs := d.Events()
	if len(evs) < 2 {
		t.Fatalf("%d events retained", len(evs))
	}
	var got []string
	stop := errors.New("stop")
	err := d.Watch(ctx, evs[0].Cursor, func(e core.Event) error {
		got = append(got, e.ID)
		if e.ID == evs[len(evs)-1].ID {
			return stop
		}
		return nil
	})
	if err != stop || len(got) != len(evs)-1 || got[0] != evs[1].ID {
		t.Fatalf("replay after %s: %v (%v), want %d events from %s", evs[0].Cursor, got, err, len(evs)-1, evs[1].ID)
	}
	wantKind(t, "a cursor older than the retained events", d.Watch(ctx, "1", func(core.Event) error { return nil }), core.Gone)
	wantKind(t, "a cursor that is not one", d.Watch(ctx, "x", func(core.Event) error { return nil }), core.InvalidArgument)
	for _, v := range mustList(t, d, "replay") {
		_ = d.DeleteVolume(ctx, v.ID)
	}
}

func mustList(t *testing.T, d *Driver, project string) []core.Volume {
	t.Helper()
	vs, err := d.ListVolumes(context.Background(), core.ListOptions{ProjectID: project})
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

// A restart of the plugin loses nothing: flavors, the event stream's
// cursor and what happened to a server while it was down.
func TestEvents_RestartReconcilesWhatChangedMeanwhile(t *testing.T) {
	raw := rawTestConn(t)
	path := filepath.Join(t.TempDir(), "state.json")
	d1 := newTestDriver(t, func(c *Config) { c.StatePath = path })
	ctx := testCtx(t)
	if _, err := d1.CreateFlavor(ctx, core.FlavorCreate{ID: "kept", Name: "kept", VCPUs: 1, MemoryMB: 128, DiskGB: 1}); err != nil {
		t.Fatal(err)
	}
	s := newServer(t, d1, "restart", "r1")
	waitEvent(t, d1, "ACTIVE", func(e core.Event) bool { return e.ResourceID == s.ID && e.ToState == string(core.ServerActive) })
	evs := d1.Events()
	last := evs[len(evs)-1].Cursor
	if err := d1.Close(); err != nil {
		t.Fatal(err)
	}
	destroyBehindTheBack(t, raw, s.ID) // while no driver listens

	d2 := newTestDriver(t, func(c *Config) { c.StatePath = path })
	if _, err := d2.GetFlavor(ctx, "kept"); err != nil {
		t.Fatalf("the flavor created before the restart: %v", err)
	}
	var got core.Event
	stop := errors.New("stop")
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err := d2.Watch(wctx, last, func(e core.Event) error {
		if e.ResourceID == s.ID && e.ToState == string(core.ServerShutoff) {
			got = e
			return stop
		}
		return nil
	})
	if err != stop {
		t.Fatalf("no ACTIVE→SHUTOFF after the restart, resuming from cursor %s: %v", last, err)
	}
	if got.FromState != string(core.ServerActive) || got.ProjectID != "restart" {
		t.Fatalf("reconciled event %+v", got)
	}
	_ = d2.DeleteServer(ctx, s.ID)
}

// A lost connection is reopened, its callbacks registered again, and what
// changed while it was down reconciled.
func TestEvents_ReconnectAfterLostConnection(t *testing.T) {
	raw := rawTestConn(t)
	d := newTestDriver(t)
	s := newServer(t, d, "reconnect", "rc")
	waitEvent(t, d, "ACTIVE", func(e core.Event) bool { return e.ResourceID == s.ID && e.ToState == string(core.ServerActive) })
	h := d.order[0]
	h.mu.Lock()
	old, markLost := h.conn, h.markLost
	h.mu.Unlock()
	// The connection goes deaf (its callback gone), the domain stops
	// meanwhile, then libvirt reports the connection closed.
	for _, id := range h.callbackIDs {
		if err := old.DomainEventDeregister(id); err != nil {
			t.Fatal(err)
		}
	}
	destroyBehindTheBack(t, raw, s.ID)
	before := len(d.Events())
	markLost()
	until(t, "the connection to be reopened", 10*time.Second, func() (bool, error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.conn != nil && h.conn != old, nil
	})
	ev := waitEvent(t, d, "SHUTOFF after the reconnect", func(e core.Event) bool { return e.ResourceID == s.ID && e.ToState == string(core.ServerShutoff) })
	if c, _ := strconv.Atoi(ev.Cursor); c <= before {
		t.Fatalf("the SHUTOFF event (cursor %s) came before the connection was lost (%d events then): the deaf connection still heard", ev.Cursor, before)
	}
	// And callbacks flow again on the new connection.
	if err := d.StartServer(testCtx(t), s.ID); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, d, "ACTIVE again", func(e core.Event) bool {
		return e.ResourceID == s.ID && e.FromState == string(core.ServerShutoff) && e.ToState == string(core.ServerActive)
	})
	mark := len(d.Events())
	destroyBehindTheBack(t, raw, s.ID)
	waitEvent(t, d, "SHUTOFF from the new connection's callback", func(e core.Event) bool {
		c, _ := strconv.Atoi(e.Cursor)
		return e.ResourceID == s.ID && e.ToState == string(core.ServerShutoff) && c > mark
	})
}
