package sim

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

func TestDriver_InfoAndHealth(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	info, err := d.Info(ctx)
	wantKind(t, err, core.KindUnknown)
	if info.Name != "sim" || info.Version != Version || !info.CanReplay || len(info.Capabilities) != len(core.Clauses) || info.StateTimeout <= 0 {
		t.Fatalf("%+v", info)
	}
	for _, c := range core.Clauses {
		if !info.Supports(c.ID) {
			t.Fatalf("sim does not declare %s", c.ID)
		}
	}
	wantKind(t, d.Health(ctx), core.KindUnknown)
	d.Close()
	wantKind(t, d.Health(ctx), core.Unavailable)
	_, err = d.ListFlavors(ctx)
	wantKind(t, err, core.Unavailable)
}

func TestDriver_ConfigRefusals(t *testing.T) {
	cases := map[string]func(*Config){
		"no datacenter":     func(c *Config) { c.Datacenters = nil },
		"duplicate id":      func(c *Config) { c.Datacenters[1].ID = "dc1" },
		"empty id":          func(c *Config) { c.Datacenters[0].ID = "" },
		"error rate over 1": func(c *Config) { c.Faults = map[string]Fault{"*": {ErrorRate: 1.5}} },
	}
	for name, mutate := range cases {
		cfg := TestConfig()
		mutate(&cfg)
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	var dur Duration
	if err := json.Unmarshal([]byte(`"250ms"`), &dur); err != nil || time.Duration(dur) != 250*time.Millisecond {
		t.Fatalf("duration %v %v", dur, err)
	}
	if b, _ := json.Marshal(Duration(2 * time.Second)); string(b) != `"2s"` {
		t.Fatalf("marshal %s", b)
	}
}

func TestDriver_FaultInjection(t *testing.T) {
	d := newTestDriver(t, func(c *Config) {
		c.Faults = map[string]Fault{"CreateServer": {ErrorRate: 1, Kind: core.Conflict}}
	})
	ctx := testCtx(t)
	_, err := d.CreateServer(ctx, core.ServerCreate{CreateMeta: meta(), Name: "x", FlavorID: "m1.tiny", ImageID: publicImageID(t, d)})
	wantKind(t, err, core.Conflict)
	_, err = d.ListServers(ctx, core.ListOptions{})
	wantKind(t, err, core.KindUnknown) // other operations are untouched
	d.SetFault("CreateServer", Fault{})
	srvCreate(t, d, "m1.tiny")
	d.SetFault("*", Fault{ErrorRate: 1})
	_, err = d.ListFlavors(ctx)
	wantKind(t, err, core.Unavailable)

	// A fixed seed gives the same pass/fail sequence.
	seq := func() string {
		d := newTestDriver(t, func(c *Config) { c.Faults = map[string]Fault{"ListFlavors": {ErrorRate: 0.5}} })
		var b strings.Builder
		for i := 0; i < 40; i++ {
			if _, err := d.ListFlavors(ctx); err != nil {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	a, b := seq(), seq()
	if a != b || !strings.Contains(a, "x") || !strings.Contains(a, ".") {
		t.Fatalf("fault sequences %s / %s", a, b)
	}
}

func TestDriver_InjectedLatency(t *testing.T) {
	d, clock := newManualDriver(t, 0, func(c *Config) {
		c.Faults = map[string]Fault{"ListFlavors": {Latency: Duration(time.Second)}}
	})
	done := make(chan error)
	go func() { _, err := d.ListFlavors(context.Background()); done <- err }()
	for clock.Pending() == 0 { // the call registers its timer; yield until it has
		select {
		case err := <-done:
			t.Fatalf("returned before the latency: %v", err)
		default:
			runtime.Gosched()
		}
	}
	clock.Advance(time.Second)
	wantKind(t, <-done, core.KindUnknown)

	ctx, cancel := context.WithCancel(context.Background())
	go func() { _, err := d.ListFlavors(ctx); done <- err }()
	for clock.Pending() == 0 {
		runtime.Gosched()
	}
	cancel()
	wantKind(t, <-done, core.Unavailable)
}

func TestDriver_PersistenceAcrossRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	clock := NewManualClock(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	cfg := TestConfig()
	cfg.StatePath = path
	cfg.Latency = Duration(time.Second)
	d, err := New(cfg, WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	s, err := d.CreateServer(ctx, core.ServerCreate{CreateMeta: meta(), Name: "kept", FlavorID: "m1.tiny", ImageID: publicImageID(t, d)})
	wantKind(t, err, core.KindUnknown)
	v, _ := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta(), SizeGB: 3})
	ids := map[string]bool{s.ID: true, v.ID: true}
	d.Close()

	// The file is whole JSON.
	b, err := os.ReadFile(path)
	if err != nil || !json.Valid(b) {
		t.Fatalf("state file: %v", err)
	}
	clock.Advance(500 * time.Millisecond) // half the latency while "down"
	d2, err := New(cfg, WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	if got, _ := d2.GetServer(ctx, s.ID); got.Status != core.ServerBuild || got.Name != "kept" {
		t.Fatalf("after restart %+v", got)
	}
	clock.Advance(500 * time.Millisecond) // the pending transitions resume where they were
	if got, _ := d2.GetServer(ctx, s.ID); got.Status != core.ServerActive {
		t.Fatalf("after the rest of the latency: %s", got.Status)
	}
	if got, _ := d2.GetVolume(ctx, v.ID); got.Status != core.VolumeAvailable {
		t.Fatalf("volume %s", got.Status)
	}
	// New ids never repeat ids handed out before the restart.
	for i := 0; i < 5; i++ {
		v, _ := d2.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta(), SizeGB: 1})
		if ids[v.ID] {
			t.Fatalf("id %s handed out twice", v.ID)
		}
		ids[v.ID] = true
	}
	// Cursors continue: Watch resumes from a cursor of the first run.
	evs := d2.Events()
	if evs[0].Cursor != "1" || evs[len(evs)-1].Cursor == "1" {
		t.Fatalf("cursors %s..%s", evs[0].Cursor, evs[len(evs)-1].Cursor)
	}
	// A corrupt file is refused with its name.
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(cfg, WithClock(clock)); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("corrupt state: %v", err)
	}
}

func TestClock_ManualOrderAndStop(t *testing.T) {
	c := NewManualClock(time.Unix(0, 0))
	var order []int
	c.AfterFunc(3*time.Second, func() { order = append(order, 3) })
	c.AfterFunc(time.Second, func() {
		order = append(order, 1)
		c.AfterFunc(time.Second, func() { order = append(order, 2) }) // due within the same Advance
	})
	stop := c.AfterFunc(2500*time.Millisecond, func() { order = append(order, 99) })
	if !stop() || stop() {
		t.Fatal("stop should report true once")
	}
	c.Advance(3 * time.Second)
	if len(order) != 3 || order[0] != 1 || order[1] != 2 || order[2] != 3 || c.Pending() != 0 {
		t.Fatalf("order %v pending %d", order, c.Pending())
	}
	if !c.Now().Equal(time.Unix(3, 0)) {
		t.Fatalf("now %v", c.Now())
	}
}
