package adapter

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/adapter/events"
	"github.com/gisiaas/gisiaas/adapter/identity"
	"github.com/gisiaas/gisiaas/adapter/registry"
	"github.com/gisiaas/gisiaas/adapter/store"
	"github.com/gisiaas/gisiaas/adapter/store/storetest"
	"github.com/gisiaas/gisiaas/core"
	"github.com/gisiaas/gisiaas/drivers/sim"
	"github.com/gisiaas/gisiaas/plugins"
	"github.com/gisiaas/gisiaas/plugins/plugintest"
)

// eventually polls cond until it holds, failing the test after a deadline.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(15 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline:
			t.Fatalf("timed out waiting until %s", what)
		case <-tick.C:
		}
	}
}

// testLogger logs through t, so a failing test shows what the reconciler said.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// startReconciler runs a reconciler until the returned stop (or the test's
// end), which waits for it to return.
func startReconciler(t *testing.T, cfg ReconcilerConfig) (stop func()) {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- NewReconciler(cfg).Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// countingBus records what the reconciler publishes.
type countingBus struct {
	events.Bus
	mu          sync.Mutex
	added, dups []string
}

func (b *countingBus) Publish(ctx context.Context, e events.Event) (events.Event, bool, error) {
	s, added, err := b.Bus.Publish(ctx, e)
	if err == nil {
		b.mu.Lock()
		if added {
			b.added = append(b.added, e.ID)
		} else {
			b.dups = append(b.dups, e.ID)
		}
		b.mu.Unlock()
	}
	return s, added, err
}

func (b *countingBus) counts() (int, int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.added), len(b.dups)
}

// busEvents reads everything on the bus so far: it publishes a sentinel
// (straight to the log, past any counting) and reads up to it, as Seq order
// puts everything published before it first.
func busEvents(t *testing.T, bus events.Bus) []events.Event {
	t.Helper()
	if cb, ok := bus.(*countingBus); ok {
		bus = cb.Bus
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	sentinel := "sentinel-" + registry.NewToken()
	if _, _, err := bus.Publish(ctx, events.Event{Event: core.Event{ID: sentinel, ResourceType: "test", Time: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	var got []events.Event
	reached := errors.New("reached the sentinel")
	err := bus.Subscribe(ctx, 0, nil, func(e events.Event) error {
		if e.ID == sentinel {
			return reached
		}
		if e.ResourceType != "test" {
			got = append(got, e)
		}
		return nil
	})
	if !errors.Is(err, reached) {
		t.Fatalf("reading the bus: %v", err)
	}
	return got
}

type tenant struct {
	dep, project string
}

func newTenant(t *testing.T, ids *identity.Service, name string) tenant {
	t.Helper()
	ctx := context.Background()
	dep, err := ids.CreateDepartment(ctx, name+"-dep", "")
	if err != nil {
		t.Fatal(err)
	}
	p, err := ids.CreateProject(ctx, name, dep.ID)
	if err != nil {
		t.Fatal(err)
	}
	return tenant{dep.ID, p.ID}
}

func projectEvents(d *sim.Driver, project string) []core.Event {
	var out []core.Event
	for _, e := range d.Events() {
		if e.ProjectID == project {
			out = append(out, e)
		}
	}
	return out
}

// TestReconcilerFollowsEventsAndResumes: resources made on a cloud behind a
// real gRPC boundary reach the registry and the bus with their department;
// a deleted one leaves the registry; a restarted reconciler resumes from
// its saved cursor and publishes nothing twice.
func TestReconcilerFollowsEventsAndResumes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ids := testIdentity(t, db)
		ten := newTenant(t, ids, "gis")
		reg, err := registry.Open(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		d := simDC(t, "dc1")
		dcs := []Datacenter{{ID: "dc1", Name: "One", Driver: "sim", Cloud: plugintest.New(t, d)}}
		bus := &countingBus{Bus: events.NewLog(db)}
		stop := startReconciler(t, ReconcilerConfig{Registry: reg, Bus: bus, Identity: ids, Datacenters: dcs})

		meta := core.CreateMeta{ProjectID: ten.project, DatacenterID: "dc1"}
		vol, err := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta, Name: "data", SizeGB: 1})
		if err != nil {
			t.Fatal(err)
		}
		doomed, err := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta, Name: "scratch", SizeGB: 1})
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "the registry learns the volume, available", func() bool {
			r, ok := reg.Get(core.TypeVolume, vol.ID)
			return ok && r.State == string(core.VolumeAvailable) && r.ProjectID == ten.project && r.DatacenterID == "dc1"
		})
		eventually(t, "the registry learns the second volume", func() bool { _, ok := reg.Get(core.TypeVolume, doomed.ID); return ok })
		if err := d.DeleteVolume(ctx, doomed.ID); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the registry forgets the deleted volume", func() bool { _, ok := reg.Get(core.TypeVolume, doomed.ID); return !ok })
		want := projectEvents(d, ten.project)
		eventually(t, "every event is published", func() bool { n, _ := bus.counts(); return n == len(want) })
		stop()

		got := busEvents(t, bus)
		if len(got) != len(want) {
			t.Fatalf("bus has %d events, the cloud emitted %d", len(got), len(want))
		}
		for i, e := range got {
			if e.ID != want[i].ID || e.ResourceID != want[i].ResourceID || e.ToState != want[i].ToState || e.DepartmentID != ten.dep {
				t.Fatalf("bus event %d: %+v, want %+v in department %s", i, e, want[i], ten.dep)
			}
		}
		if cur, err := reg.Cursor(ctx, "dc1"); err != nil || cur != want[len(want)-1].Cursor {
			t.Fatalf("saved cursor %q (%v), want %q", cur, err, want[len(want)-1].Cursor)
		}

		// Made while the reconciler was down: the restarted one learns it
		// from the saved cursor, without publishing the earlier ones again.
		sg, err := d.CreateSecurityGroup(ctx, core.SecurityGroupCreate{CreateMeta: meta, Name: "web"})
		if err != nil {
			t.Fatal(err)
		}
		bus2 := &countingBus{Bus: events.NewLog(db)}
		startReconciler(t, ReconcilerConfig{Registry: reg, Bus: bus2, Identity: ids, Datacenters: dcs})
		eventually(t, "the restarted reconciler learns the security group", func() bool {
			r, ok := reg.Get(core.TypeSecurityGroup, sg.ID)
			return ok && r.State == string(core.NetActive)
		})
		eventually(t, "the new event is published", func() bool { n, _ := bus2.counts(); return n == 1 })
		if added, dups := bus2.counts(); added != 1 || dups != 0 {
			t.Fatalf("after the restart: %d published, %d republished; want 1 and 0", added, dups)
		}
	})
}

// TestReconcilerSurvivesPluginRestart: the plugin dies; the supervised
// driver restarts it and the reconciler keeps learning, in process.
func TestReconcilerSurvivesPluginRestart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ids := testIdentity(t, db)
		ten := newTenant(t, ids, "gis")
		reg, err := registry.Open(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		d := simDC(t, "dc1")
		var mu sync.Mutex
		var current *plugintest.Harness
		sup, err := plugins.Supervise(ctx, plugins.SupervisorConfig{Name: "sim/dc1", Logger: testLogger(t),
			Backoff: func(int) time.Duration { return time.Millisecond },
			Start: func(context.Context) (plugins.Instance, error) {
				h := plugintest.New(t, d)
				mu.Lock()
				current = h
				mu.Unlock()
				return h, nil
			}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = sup.Close() })
		bus := &countingBus{Bus: events.NewLog(db)}
		startReconciler(t, ReconcilerConfig{Registry: reg, Bus: bus, Identity: ids,
			Datacenters: []Datacenter{{ID: "dc1", Driver: "sim", Cloud: sup}}})
		meta := core.CreateMeta{ProjectID: ten.project, DatacenterID: "dc1"}
		v1, _ := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta, Name: "one", SizeGB: 1})
		eventually(t, "v1 is learned", func() bool { _, ok := reg.Get(core.TypeVolume, v1.ID); return ok })
		mu.Lock()
		current.Kill()
		mu.Unlock()
		v2, _ := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta, Name: "two", SizeGB: 1})
		eventually(t, "v2 is learned after the restart", func() bool {
			r, ok := reg.Get(core.TypeVolume, v2.ID)
			return ok && r.State == string(core.VolumeAvailable)
		})
		want := projectEvents(d, ten.project)
		eventually(t, "every event is published once", func() bool { n, _ := bus.counts(); return n == len(want) })
		if sup.State().Restarts != 1 {
			t.Fatalf("supervisor: %+v", sup.State())
		}
	})
}

// TestReconcilerSkipsConflictsAndOtherDatacenters: an id another datacenter
// holds is logged and skipped, never fatal; events go on being learned.
func TestReconcilerSkipsConflictsAndOtherDatacenters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ids := testIdentity(t, db)
		ten := newTenant(t, ids, "gis")
		reg, err := registry.Open(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		// Same seed: the two clouds hand out the same ids, in the same order.
		d1, d2 := simDC(t, "dc1"), simDC(t, "dc2")
		bus := &countingBus{Bus: events.NewLog(db)}
		startReconciler(t, ReconcilerConfig{Registry: reg, Bus: bus, Identity: ids, Datacenters: []Datacenter{
			{ID: "dc1", Driver: "sim", Cloud: d1}, {ID: "dc2", Driver: "sim", Cloud: d2}}})

		a, _ := d1.CreateVolume(ctx, core.VolumeCreate{CreateMeta: core.CreateMeta{ProjectID: ten.project, DatacenterID: "dc1"}, SizeGB: 1})
		eventually(t, "dc1's volume is learned", func() bool { _, ok := reg.Get(core.TypeVolume, a.ID); return ok })
		m2 := core.CreateMeta{ProjectID: ten.project, DatacenterID: "dc2"}
		clash, _ := d2.CreateVolume(ctx, core.VolumeCreate{CreateMeta: m2, SizeGB: 1})
		if clash.ID != a.ID {
			t.Fatalf("the simulators no longer repeat ids (%s, %s): this test needs another way to clash", a.ID, clash.ID)
		}
		b, _ := d2.CreateVolume(ctx, core.VolumeCreate{CreateMeta: m2, SizeGB: 1})
		eventually(t, "dc2's next volume is learned", func() bool {
			r, ok := reg.Get(core.TypeVolume, b.ID)
			return ok && r.DatacenterID == "dc2" && r.State == string(core.VolumeAvailable)
		})
		if r, _ := reg.Get(core.TypeVolume, a.ID); r.DatacenterID != "dc1" {
			t.Fatalf("the clash took over the registry: %+v", r)
		}
		for _, e := range busEvents(t, bus) {
			if e.ResourceID == a.ID && e.DatacenterID == "dc2" {
				t.Fatalf("the clashing event was published: %+v", e)
			}
		}
	})
}

// downList is a driver whose volume list can be made to fail, as a cloud
// that is down.
type downList struct {
	core.Driver
	down  atomic.Bool
	calls atomic.Int32
}

func (d *downList) ListVolumes(ctx context.Context, o core.ListOptions) ([]core.Volume, error) {
	d.calls.Add(1)
	if d.down.Load() {
		return nil, core.Errorf(core.Unavailable, "datacenter is down")
	}
	return d.Driver.ListVolumes(ctx, o)
}

// TestReconcilerAdoptsOrAbandonsPendingCreates: a create cut short whose
// resource carries the intent tag is adopted (the registry holds it and a
// replay answers it); one that never reached its cloud is abandoned; one in
// a datacenter that is down waits for it to come back.
func TestReconcilerAdoptsOrAbandonsPendingCreates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ids := testIdentity(t, db)
		ten := newTenant(t, ids, "gis")
		reg, err := registry.Open(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		begin := func(typ core.ResourceType, dc string) registry.Intent {
			in, _, err := reg.BeginCreate(ctx, registry.Intent{ProjectID: ten.project, UserID: "u1", Type: typ, DatacenterID: dc, RequestHash: "h"})
			if err != nil {
				t.Fatal(err)
			}
			return in
		}
		tagged := func(in registry.Intent) core.CreateMeta {
			return core.CreateMeta{ProjectID: ten.project, DatacenterID: in.DatacenterID, ClientToken: in.Token,
				Tags: map[string]string{IntentTag: in.Token}}
		}
		d1 := simDC(t, "dc1")
		cfg := sim.TestConfig()
		cfg.Seed = 2 // ids of its own: the same seed would repeat dc1's
		cfg.Datacenters = []sim.DatacenterConfig{{ID: "dc2", Name: "DC dc2", Hosts: []string{"dc2-h1"}}}
		sim2, err := sim.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		d2 := &downList{Driver: sim2}
		d2.down.Store(true)

		found := begin(core.TypeVolume, "dc1")
		vol, err := d1.CreateVolume(ctx, core.VolumeCreate{CreateMeta: tagged(found), Name: "cut-short", SizeGB: 1})
		if err != nil {
			t.Fatal(err)
		}
		other := begin(core.TypeVolume, "dc1") // an untagged volume of the project is not its resource
		if _, err := d1.CreateVolume(ctx, core.VolumeCreate{CreateMeta: core.CreateMeta{ProjectID: ten.project, DatacenterID: "dc1"}, SizeGB: 1}); err != nil {
			t.Fatal(err)
		}
		lost := begin(core.TypeServer, "dc1")
		waiting := begin(core.TypeVolume, "dc2")
		vol2, err := sim2.CreateVolume(ctx, core.VolumeCreate{CreateMeta: tagged(waiting), SizeGB: 1})
		if err != nil {
			t.Fatal(err)
		}

		startReconciler(t, ReconcilerConfig{Registry: reg, Bus: events.NewLog(db), Identity: ids,
			AdoptAfter: time.Nanosecond, AdoptEvery: 10 * time.Millisecond,
			Datacenters: []Datacenter{{ID: "dc1", Driver: "sim", Cloud: plugintest.New(t, d1)}, {ID: "dc2", Driver: "sim", Cloud: d2}}})

		status := func(in registry.Intent) registry.Intent {
			got, err := reg.Intent(ctx, in.Token)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		eventually(t, "the tagged volume is adopted", func() bool { return status(found).Status == registry.IntentDone })
		in := status(found)
		var body struct {
			Volume struct {
				ID        string `json:"id"`
				SizeGB    int64  `json:"size_gb"`
				CreatedAt string `json:"created_at"`
			} `json:"volume"`
		}
		// The replayed answer is the API's view, as a create's own answer is.
		if err := json.Unmarshal(in.Response, &body); err != nil || in.ResourceID != vol.ID || in.ResponseCode != 202 ||
			body.Volume.ID != vol.ID || body.Volume.SizeGB != vol.SizeGB || body.Volume.CreatedAt != vol.CreatedAt.UTC().Format(TimeFormat) {
			t.Fatalf("adopted intent: %+v (%s), %v", in, in.Response, err)
		}
		if r, ok := reg.Get(core.TypeVolume, vol.ID); !ok || r.ProjectID != ten.project || r.DatacenterID != "dc1" {
			t.Fatalf("registry: %+v %v", r, ok)
		}
		eventually(t, "the untagged intent is abandoned", func() bool { return status(other).Status == registry.IntentAbandoned })
		eventually(t, "the server never made is abandoned", func() bool { return status(lost).Status == registry.IntentAbandoned })

		eventually(t, "two rounds find dc2 down", func() bool { return d2.calls.Load() >= 2 })
		if st := status(waiting).Status; st != registry.IntentPending {
			t.Fatalf("an intent of a datacenter that is down: %s, want pending", st)
		}
		d2.down.Store(false)
		eventually(t, "dc2's volume is adopted once it is back", func() bool { return status(waiting).Status == registry.IntentDone })
		if got := status(waiting); got.ResourceID != vol2.ID {
			t.Fatalf("dc2 intent: %+v", got)
		}
	})
}

func TestIsDeletedState(t *testing.T) {
	cases := []struct {
		typ   core.ResourceType
		state string
		want  bool
	}{
		{core.TypeServer, "DELETED", true},
		{core.TypeServer, "SOFT_DELETED", false},
		{core.TypeVolume, "deleted", true},
		{core.TypeVolume, "deleting", false},
		{core.TypeImage, "deleted", true},
		{core.TypeVolumeSnapshot, "deleted", true},
		{core.TypeBackup, "deleted", true},
		{core.TypeLoadBalancer, "DELETED", true},
		{core.TypeLoadBalancer, "PENDING_DELETE", false},
		{core.TypeFloatingIP, "DELETED", true},
		{core.TypeRouter, "DOWN", false},
	}
	for _, c := range cases {
		if got := isDeletedState(c.typ, c.state); got != c.want {
			t.Errorf("isDeletedState(%s, %s) = %v", c.typ, c.state, got)
		}
	}
}
