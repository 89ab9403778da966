package sim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// drvCall is one driver operation, called for its error only.
type drvCall struct {
	op   string
	call func(ctx context.Context, d *Driver) error
}

// drvCalls are operations of every service the skeleton and the service
// files offer, for the checks every operation shares.
func drvCalls(d *Driver) []drvCall {
	netID := func() string {
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.defaultNetwork("dc1").ID
	}()
	return []drvCall{
		{"ListDatacenters", func(ctx context.Context, d *Driver) error { _, err := d.ListDatacenters(ctx); return err }},
		{"GetComputeQuota", func(ctx context.Context, d *Driver) error {
			_, err := d.GetComputeQuota(ctx, "dc1", testProject)
			return err
		}},
		{"GetVolumeQuota", func(ctx context.Context, d *Driver) error {
			_, err := d.GetVolumeQuota(ctx, "dc1", testProject)
			return err
		}},
		{"ListNetworks", func(ctx context.Context, d *Driver) error {
			_, err := d.ListNetworks(ctx, core.ListOptions{})
			return err
		}},
		{"GetNetwork", func(ctx context.Context, d *Driver) error { _, err := d.GetNetwork(ctx, netID); return err }},
		{"ListPorts", func(ctx context.Context, d *Driver) error { _, err := d.ListPorts(ctx, core.ListOptions{}); return err }},
		{"ListFlavors", func(ctx context.Context, d *Driver) error { _, err := d.ListFlavors(ctx); return err }},
		{"ListServers", func(ctx context.Context, d *Driver) error {
			_, err := d.ListServers(ctx, core.ListOptions{})
			return err
		}},
		{"ListVolumes", func(ctx context.Context, d *Driver) error {
			_, err := d.ListVolumes(ctx, core.ListOptions{})
			return err
		}},
		{"CreateVolume", func(ctx context.Context, d *Driver) error {
			_, err := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta(), SizeGB: 1})
			return err
		}},
	}
}

func TestDriver_InfoAndHealth(t *testing.T) {
	ctx := testCtx(t)
	d := newTestDriver(t)
	info, err := d.Info(ctx)
	wantKind(t, err, core.KindUnknown)
	want := core.DriverInfo{Name: "sim", Version: Version, Capabilities: core.AllClauses(), StateTimeout: 30 * time.Second, CanReplay: true}
	if !reflect.DeepEqual(info, want) {
		t.Fatalf("Info\n got %+v\nwant %+v", info, want)
	}
	for _, c := range core.Clauses {
		if !info.Supports(c.ID) {
			t.Errorf("sim does not declare %s", c.ID)
		}
	}
	// The state timeout covers the slowest configured transition ten times over.
	for _, c := range []struct {
		name   string
		mutate func(*Config)
		want   time.Duration
	}{
		{"latency", func(c *Config) { c.Latency = Duration(10 * time.Second) }, 100 * time.Second},
		{"one kind slower", func(c *Config) { c.Latencies = map[string]Duration{"server.build": Duration(20 * time.Second)} }, 200 * time.Second},
		{"soft delete", func(c *Config) { c.SoftDeleteReclaim = Duration(time.Minute) }, 10 * time.Minute},
		{"fast", func(c *Config) { c.Latency = Duration(time.Second) }, 30 * time.Second},
	} {
		got, _ := newTestDriver(t, c.mutate).Info(ctx)
		if got.StateTimeout != c.want {
			t.Errorf("%s: StateTimeout %v, want %v", c.name, got.StateTimeout, c.want)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = d.Info(cctx)
	wantKind(t, err, core.Unavailable)

	wantKind(t, d.Health(ctx), core.KindUnknown)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	wantKind(t, d.Health(ctx), core.Unavailable)
	if err := d.Close(); err != nil {
		t.Fatalf("a second Close: %v", err)
	}
}

// Health answers nil or an Unavailable error (core.Driver): a cancelled
// context is no exception.
func TestDriver_HealthCancelledContextIsUnavailable(t *testing.T) {
	d := newTestDriver(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := d.Health(ctx)
	wantKind(t, err, core.Unavailable)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("the cause is lost: %v", err)
	}
}

func TestDriver_CallsAfterCloseAreUnavailable(t *testing.T) {
	d := newTestDriver(t)
	calls := drvCalls(d)
	_ = d.Close()
	ctx := testCtx(t)
	for _, c := range calls {
		err := c.call(ctx, d)
		wantKind(t, err, core.Unavailable)
		if e := err.(*core.Error); e.Op != c.op {
			t.Errorf("%s after Close: op %q", c.op, e.Op)
		}
	}
	wantKind(t, d.Watch(ctx, "", func(core.Event) error { return nil }), core.Unavailable)
}

func TestDriver_CancelledContextIsUnavailable(t *testing.T) {
	d := newTestDriver(t)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	for _, c := range drvCalls(d) {
		for ctx, cause := range map[context.Context]error{cancelled: context.Canceled, expired: context.DeadlineExceeded} {
			err := c.call(ctx, d)
			wantKind(t, err, core.Unavailable)
			if !errors.Is(err, cause) || err.(*core.Error).Op != c.op {
				t.Errorf("%s: %v, want the cause %v and op %s", c.op, err, cause, c.op)
			}
		}
	}
	// Nothing was created by the refused calls.
	if vols, _ := d.ListVolumes(testCtx(t), core.ListOptions{}); len(vols) != 0 || len(d.Events()) != 0 {
		t.Fatalf("a refused call changed the cloud: %d volumes, %d events", len(vols), len(d.Events()))
	}
}

func TestDriver_FaultInjection(t *testing.T) {
	ctx := testCtx(t)
	t.Run("one operation, every call, the configured kind", func(t *testing.T) {
		d := newTestDriver(t, func(c *Config) {
			c.Faults = map[string]Fault{"GetComputeQuota": {ErrorRate: 1, Kind: core.Conflict}, "CreateVolume": {ErrorRate: 1, Kind: core.QuotaExceeded}}
		})
		for i := 0; i < 20; i++ {
			_, err := d.GetComputeQuota(ctx, "dc1", testProject)
			wantKind(t, err, core.Conflict)
			if e := err.(*core.Error); e.Op != "GetComputeQuota" || e.Message != "injected fault" {
				t.Fatalf("%+v", e)
			}
		}
		for _, c := range drvCalls(d) {
			err := c.call(ctx, d)
			switch c.op {
			case "GetComputeQuota":
				wantKind(t, err, core.Conflict)
			case "CreateVolume":
				wantKind(t, err, core.QuotaExceeded)
			default:
				if err != nil {
					t.Errorf("%s was hit by another operation's fault: %v", c.op, err)
				}
			}
		}
		// A faulted create changed nothing.
		if vols, _ := d.ListVolumes(ctx, core.ListOptions{}); len(vols) != 0 || len(d.Events()) != 0 {
			t.Fatalf("%d volumes, %d events after faulted creates", len(vols), len(d.Events()))
		}
		d.SetFault("GetComputeQuota", Fault{}) // cleared
		_, err := d.GetComputeQuota(ctx, "dc1", testProject)
		wantKind(t, err, core.KindUnknown)
	})
	t.Run("* applies to every operation, default kind Unavailable", func(t *testing.T) {
		d := newTestDriver(t)
		calls := drvCalls(d)
		d.SetFault("*", Fault{ErrorRate: 1})
		for _, c := range calls {
			err := c.call(ctx, d)
			wantKind(t, err, core.Unavailable)
			if err.(*core.Error).Op != c.op {
				t.Errorf("%s: %v", c.op, err)
			}
		}
		// An operation's own entry replaces "*".
		d.SetFault("ListDatacenters", Fault{ErrorRate: 0, Kind: core.Throttled})
		d.SetFault("GetNetwork", Fault{ErrorRate: 1, Kind: core.Throttled})
		_, err := d.ListDatacenters(ctx)
		wantKind(t, err, core.KindUnknown)
		_, err = d.GetNetwork(ctx, "any")
		wantKind(t, err, core.Throttled)
		_, err = d.ListPorts(ctx, core.ListOptions{})
		wantKind(t, err, core.Unavailable)
	})
	t.Run("a fixed seed gives the same pass/fail sequence", func(t *testing.T) {
		seq := func(seed uint64) (string, string) {
			d := newTestDriver(t, func(c *Config) {
				c.Seed = seed
				c.Faults = map[string]Fault{"ListDatacenters": {ErrorRate: 0.5}}
			})
			var b strings.Builder
			for i := 0; i < 64; i++ {
				_, err := d.ListDatacenters(ctx)
				if err != nil {
					wantKind(t, err, core.Unavailable)
					b.WriteByte('x')
				} else {
					b.WriteByte('.')
				}
			}
			d.mu.Lock()
			defer d.mu.Unlock()
			return b.String(), d.newID()
		}
		a, idA := seq(11)
		b, idB := seq(11)
		c, _ := seq(12)
		if a != b {
			t.Fatalf("same seed, different faults:\n%s\n%s", a, b)
		}
		if !strings.Contains(a, "x") || !strings.Contains(a, ".") {
			t.Fatalf("rate 0.5 gave %s", a)
		}
		if a == c {
			t.Fatalf("seeds 11 and 12 gave the same 64 draws %s", a)
		}
		// Faults draw from their own generator: ids do not shift.
		plain := newTestDriver(t, func(c *Config) { c.Seed = 11 })
		plain.mu.Lock()
		idPlain := plain.newID()
		plain.mu.Unlock()
		if idA != idB || idA != idPlain {
			t.Fatalf("fault draws shifted the ids: %s %s %s", idA, idB, idPlain)
		}
	})
}

// drvWaitBlocked yields until the clock holds a timer (the call under test
// is waiting on it), failing if the call returns first.
func drvWaitBlocked(t *testing.T, clock *ManualClock, done <-chan error) {
	t.Helper()
	for clock.Pending() == 0 {
		select {
		case err := <-done:
			t.Fatalf("returned before the latency: %v", err)
		default:
			runtime.Gosched()
		}
	}
}

func TestDriver_InjectedLatency(t *testing.T) {
	d, clock := newManualDriver(t, 0, func(c *Config) {
		c.Faults = map[string]Fault{
			"ListDatacenters": {Latency: Duration(time.Second)},
			"GetVolumeQuota":  {Latency: Duration(time.Second), ErrorRate: 1, Kind: core.Throttled},
		}
	})
	ctx := testCtx(t)
	done := make(chan error, 1)
	go func() { _, err := d.ListDatacenters(ctx); done <- err }()
	drvWaitBlocked(t, clock, done)
	// Other calls go on while one waits: the latency holds no lock.
	_, err := d.GetComputeQuota(ctx, "dc1", testProject)
	wantKind(t, err, core.KindUnknown)
	clock.Advance(999 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("returned after 999ms of 1s: %v", err)
	default:
	}
	clock.Advance(time.Millisecond)
	wantKind(t, <-done, core.KindUnknown)

	// Latency, then the injected error.
	go func() { _, err := d.GetVolumeQuota(ctx, "dc1", testProject); done <- err }()
	drvWaitBlocked(t, clock, done)
	clock.Advance(time.Second)
	wantKind(t, <-done, core.Throttled)

	// A cancelled context ends the wait at once, and the timer goes.
	cctx, cancel := context.WithCancel(ctx)
	go func() { _, err := d.ListDatacenters(cctx); done <- err }()
	drvWaitBlocked(t, clock, done)
	cancel()
	err = <-done
	wantKind(t, err, core.Unavailable)
	if !errors.Is(err, context.Canceled) || err.(*core.Error).Op != "ListDatacenters" {
		t.Fatalf("%v", err)
	}
	if clock.Pending() != 0 {
		t.Fatalf("the latency timer of a cancelled call is still armed (%d)", clock.Pending())
	}
}

func TestDriver_DatacenterDown(t *testing.T) {
	ctx := testCtx(t)
	d := newTestDriver(t, func(c *Config) { c.Datacenters[1].Down = true })
	dcs, err := d.ListDatacenters(ctx)
	wantKind(t, err, core.KindUnknown)
	if !dcs[0].Available || dcs[1].Available {
		t.Fatalf("dc2 is down by configuration: %+v", dcs)
	}
	_, err = d.GetComputeQuota(ctx, "dc2", testProject)
	wantKind(t, err, core.Unavailable)
	d.SetDatacenterDown("dc2", false)
	_, err = d.GetComputeQuota(ctx, "dc2", testProject)
	wantKind(t, err, core.KindUnknown)

	d.SetDatacenterDown("dc1", true)
	dc1net, dc2net := privateNetworkID(t, d, "dc1"), privateNetworkID(t, d, "dc2")
	for _, c := range []struct {
		name string
		err  error
		kind core.Kind
	}{
		{"B.1.3.1 compute quota dc1", second(d.GetComputeQuota(ctx, "dc1", testProject)), core.Unavailable},
		{"B.1.3.2 volume quota dc1", second(d.GetVolumeQuota(ctx, "dc1", testProject)), core.Unavailable},
		{"B.3.1.1 network of dc1", second(d.GetNetwork(ctx, dc1net)), core.Unavailable},
		{"create in dc1", second(d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta(), SizeGB: 1})), core.Unavailable},
		{"B.1.3.1 compute quota dc2", second(d.GetComputeQuota(ctx, "dc2", testProject)), core.KindUnknown},
		{"B.3.1.1 network of dc2", second(d.GetNetwork(ctx, dc2net)), core.KindUnknown},
		{"B.1.2 list", second(d.ListDatacenters(ctx)), core.KindUnknown},
	} {
		t.Run(c.name, func(t *testing.T) { wantKind(t, c.err, c.kind) })
	}
	_, err = d.GetComputeQuota(ctx, "dc1", testProject)
	if !strings.Contains(core.MessageOf(err), "dc1") {
		t.Errorf("the error does not name the datacenter: %v", err)
	}
	dcs, _ = d.ListDatacenters(ctx)
	if dcs[0].Available || !dcs[1].Available {
		t.Fatalf("%+v", dcs)
	}
}

// second drops the value of a (value, error) pair.
func second[T any](_ T, err error) error { return err }

// The fault knob takes down or up only a datacenter that exists: a typo
// must not make a datacenter that quotas answer for and creates land in.
func TestDriver_SetDatacenterDownUnknownID(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	d.SetDatacenterDown("dc9", false)
	if _, err := d.GetComputeQuota(ctx, "dc9", testProject); core.KindOf(err) != core.InvalidArgument {
		t.Errorf("GetComputeQuota(dc9) after SetDatacenterDown(dc9): %v, want invalid_argument", err)
	}
	v, err := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: core.CreateMeta{ProjectID: testProject, DatacenterID: "dc9"}, SizeGB: 1})
	if core.KindOf(err) != core.InvalidArgument {
		t.Errorf("CreateVolume into dc9: %v (volume in %q), want invalid_argument", err, v.DatacenterID)
	}
	if dcs, _ := d.ListDatacenters(ctx); len(dcs) != 2 {
		t.Errorf("%d datacenters", len(dcs))
	}
}

func TestDriver_SameSeedSameIDs(t *testing.T) {
	ids := func(seed uint64) map[string]string {
		d := newTestDriver(t, func(c *Config) { c.Seed = seed })
		d.mu.Lock()
		defer d.mu.Unlock()
		out := map[string]string{}
		for id, im := range d.st.Images {
			out["image "+im.Name] = id
		}
		for id, n := range d.st.Networks {
			out["network "+n.Name] = id
			out["subnet "+n.Name] = n.Subnets[0].ID
		}
		return out
	}
	a, b, c := ids(7), ids(7), ids(8)
	if len(a) != 2+4+4 {
		t.Fatalf("seeded %v", a)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("same seed, different ids:\n%v\n%v", a, b)
	}
	for k, id := range a {
		if c[k] == id {
			t.Fatalf("seeds 7 and 8 gave %s the same id %s", k, id)
		}
	}
}

func TestDriver_IDsAndMACs(t *testing.T) {
	d := newTestDriver(t)
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	mac := regexp.MustCompile(`^fa:16:3e(:[0-9a-f]{2}){3}$`)
	d.mu.Lock()
	defer d.mu.Unlock()
	seen := map[string]bool{}
	start := d.st.IDSeq
	for i := 0; i < 1000; i++ {
		id := d.newID()
		if !uuid.MatchString(id) || seen[id] {
			t.Fatalf("id %q (seen before: %v)", id, seen[id])
		}
		seen[id] = true
		if m := d.newMAC(); !mac.MatchString(m) {
			t.Fatalf("mac %q", m)
		}
	}
	if d.st.IDSeq != start+1000 {
		t.Fatalf("IDSeq %d, want %d", d.st.IDSeq, start+1000)
	}
}

func TestDriver_NowIsUTCMicroseconds(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	clock := NewManualClock(time.Date(2026, 3, 4, 13, 0, 0, 123456789, loc))
	d, err := New(TestConfig(), WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	want := time.Date(2026, 3, 4, 5, 0, 0, 123456000, time.UTC)
	if got := d.now(); !got.Equal(want) || got.Location() != time.UTC || got.Nanosecond() != 123456000 {
		t.Fatalf("now %v, want %v", got, want)
	}
}

func TestDriver_Helpers(t *testing.T) {
	d := newTestDriver(t)
	d.SetDatacenterDown("dc2", true)
	d.mu.Lock()
	defer d.mu.Unlock()

	t.Run("resolveDC", func(t *testing.T) {
		m := core.CreateMeta{}
		if err := d.resolveDC("Op", &m); err != nil || m.DatacenterID != "dc1" {
			t.Fatalf("empty → %q, %v", m.DatacenterID, err)
		}
		m = core.CreateMeta{DatacenterID: "dc2"}
		wantKind(t, d.resolveDC("Op", &m), core.Unavailable)
		m = core.CreateMeta{DatacenterID: "dc9"}
		err := d.resolveDC("Op", &m)
		wantKind(t, err, core.InvalidArgument)
		if e := err.(*core.Error); e.Op != "Op" || !strings.HasPrefix(e.Message, "datacenter_id:") {
			t.Fatalf("%+v", e)
		}
	})
	t.Run("client tokens", func(t *testing.T) {
		m := core.CreateMeta{ProjectID: "p1", ClientToken: "t1"}
		d.remember(core.TypeServer, m, "s1")
		d.remember(core.TypeServer, core.CreateMeta{ProjectID: "p1"}, "no-token") // not remembered
		cases := []struct {
			typ  core.ResourceType
			m    core.CreateMeta
			want string
		}{
			{core.TypeServer, m, "s1"},
			{core.TypeVolume, m, ""}, // per type
			{core.TypeServer, core.CreateMeta{ProjectID: "p2", ClientToken: "t1"}, ""}, // per project
			{core.TypeServer, core.CreateMeta{ProjectID: "p1", ClientToken: "t2"}, ""},
			{core.TypeServer, core.CreateMeta{ProjectID: "p1"}, ""},
		}
		for _, c := range cases {
			id, ok := d.token(c.typ, c.m)
			if id != c.want || ok != (c.want != "") {
				t.Errorf("token(%s, %+v) = %q %v, want %q", c.typ, c.m, id, ok, c.want)
			}
		}
	})
	t.Run("newMeta", func(t *testing.T) {
		tags := map[string]string{"run": "1"}
		m := d.newMeta(core.CreateMeta{ProjectID: "p", DatacenterID: "dc1", ClientToken: "t", Tags: tags})
		tags["run"] = "changed"
		if m.ProjectID != "p" || m.DatacenterID != "dc1" || m.Tags["run"] != "1" || m.CreatedAt.IsZero() ||
			!m.CreatedAt.Equal(m.UpdatedAt) || m.CreatedAt.Location() != time.UTC {
			t.Fatalf("%+v", m)
		}
	})
	t.Run("matches", func(t *testing.T) {
		m := core.Meta{ProjectID: "p", DatacenterID: "dc1"}
		for _, c := range []struct {
			opts core.ListOptions
			want bool
		}{
			{core.ListOptions{}, true},
			{core.ListOptions{ProjectID: "p"}, true},
			{core.ListOptions{DatacenterID: "dc1"}, true},
			{core.ListOptions{ProjectID: "p", DatacenterID: "dc1"}, true},
			{core.ListOptions{ProjectID: "q"}, false},
			{core.ListOptions{DatacenterID: "dc2"}, false},
			{core.ListOptions{ProjectID: "p", DatacenterID: "dc2"}, false},
		} {
			if matches(c.opts, m) != c.want {
				t.Errorf("matches(%+v) = %v", c.opts, !c.want)
			}
		}
	})
	t.Run("error builders", func(t *testing.T) {
		for _, c := range []struct {
			err  error
			kind core.Kind
			msg  string
		}{
			{notFound("GetServer", core.TypeServer, "x"), core.NotFound, "server x not found"},
			{conflict("StopServer", "server %s is %s", "x", "SHUTOFF"), core.Conflict, "server x is SHUTOFF"},
			{invalidArg("CreateServer", "flavor_id: flavor %s not found", "f"), core.InvalidArgument, "flavor_id: flavor f not found"},
		} {
			e := c.err.(*core.Error)
			if e.Kind != c.kind || e.Message != c.msg || e.Op == "" {
				t.Errorf("%+v", e)
			}
		}
	})
}

// The knobs and the operations may be used from many goroutines at once.
func TestDriver_ConcurrentUse(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	var wg sync.WaitGroup
	errc := make(chan error, 1000)
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				switch (g + i) % 6 {
				case 0:
					d.SetFault("GetVolumeQuota", Fault{ErrorRate: float64(i % 2)})
				case 1:
					d.SetDatacenterDown("dc2", i%2 == 0)
				case 2:
					d.SetQuota("dc1", fmt.Sprint("p", i%3), Quota{VCPUs: int64(i)})
				case 3:
					if _, err := d.GetVolumeQuota(ctx, "dc1", testProject); err != nil && core.KindOf(err) != core.Unavailable {
						errc <- err
					}
				case 4:
					if _, err := d.GetComputeQuota(ctx, "dc2", testProject); err != nil && core.KindOf(err) != core.Unavailable {
						errc <- err
					}
				default:
					if _, err := d.ListDatacenters(ctx); err != nil {
						errc <- err
					}
					if err := d.Health(ctx); err != nil {
						errc <- err
					}
				}
			}
		}(g)
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Errorf("unexpected: %v", err)
	}
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
	v, err := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta(), SizeGB: 3})
	wantKind(t, err, core.KindUnknown)
	ids := map[string]bool{s.ID: true, v.ID: true}
	lastCursor := d.Events()[len(d.Events())-1].Cursor
	_ = d.Close()

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
	for i := 0; i < 5; i++ {
		v, err := d2.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta(), SizeGB: 1})
		wantKind(t, err, core.KindUnknown)
		if ids[v.ID] {
			t.Fatalf("id %s handed out twice", v.ID)
		}
		ids[v.ID] = true
	}
	// Watch resumes from a cursor of the first run: the two transitions
	// finished after the restart come next (both fell due at once).
	evs, err := evCollect(ctx, d2, lastCursor, 2, nil)
	if !errors.Is(err, errEvStop) {
		t.Fatalf("after cursor %s: %v", lastCursor, err)
	}
	got := map[string]string{}
	for _, e := range evs {
		got[e.ResourceID] = e.FromState + ">" + e.ToState
	}
	if want := map[string]string{s.ID: "BUILD>ACTIVE", v.ID: "creating>available"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after cursor %s: %v, want %v", lastCursor, got, want)
	}
}
