package sim

import (
	"reflect"
	"strings"
	"testing"

	"github.com/gisiaas/gisiaas/core"
)

func TestDatacenters_B1_2_List(t *testing.T) {
	ctx := testCtx(t)
	d := newTestDriver(t)
	dcs, err := d.ListDatacenters(ctx)
	wantKind(t, err, core.KindUnknown)
	want := []core.Datacenter{
		{ID: "dc1", Name: "Datacenter 1", Kind: core.AvailabilityZone, Hosts: []string{"dc1-host-1", "dc1-host-2"}, Available: true},
		{ID: "dc2", Name: "Datacenter 2", Kind: core.AvailabilityZone, Hosts: []string{"dc2-host-1", "dc2-host-2"}, Available: true},
	}
	if !reflect.DeepEqual(dcs, want) {
		t.Fatalf("got  %+v\nwant %+v", dcs, want)
	}
	d.SetDatacenterDown("dc2", true)
	dcs, _ = d.ListDatacenters(ctx)
	if !dcs[0].Available || dcs[1].Available {
		t.Fatalf("after dc2 down: %+v", dcs)
	}
	// The result is a copy: changing it changes nothing in the cloud.
	dcs[0].Hosts[0] = "changed"
	if again, _ := d.ListDatacenters(ctx); again[0].Hosts[0] != "dc1-host-1" {
		t.Fatal("the result aliases the configuration")
	}

	// Regions, defaults and configuration order.
	r := newTestDriver(t, func(c *Config) {
		c.Datacenters = []DatacenterConfig{{ID: "cn-north", Kind: core.Region}, {ID: "cn-east", Name: "East", Down: true}}
	})
	dcs, err = r.ListDatacenters(ctx)
	wantKind(t, err, core.KindUnknown)
	want = []core.Datacenter{
		{ID: "cn-north", Name: "cn-north", Kind: core.Region, Hosts: []string{"cn-north-host-1"}, Available: true},
		{ID: "cn-east", Name: "East", Kind: core.AvailabilityZone, Hosts: []string{"cn-east-host-1"}, Available: false},
	}
	if !reflect.DeepEqual(dcs, want) {
		t.Fatalf("got  %+v\nwant %+v", dcs, want)
	}
}

func TestQuota_B1_3_1_Compute_B1_3_2_Volume(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	cq, err := d.GetComputeQuota(ctx, "dc1", testProject)
	wantKind(t, err, core.KindUnknown)
	if cq != (core.ComputeQuota{DatacenterID: "dc1", ProjectID: testProject, TotalMemoryMB: 131072, TotalVCPUs: 64, TotalServers: 50}) {
		t.Fatalf("%+v", cq)
	}
	vq, err := d.GetVolumeQuota(ctx, "dc1", testProject)
	wantKind(t, err, core.KindUnknown)
	if vq != (core.VolumeQuota{DatacenterID: "dc1", ProjectID: testProject, TotalGB: 2000, TotalVolumes: 100}) {
		t.Fatalf("%+v", vq)
	}

	// Usage follows real servers and volumes.
	s := srvCreate(t, d, "m1.medium")
	v := volCreate(t, d, 30)
	cq, _ = d.GetComputeQuota(ctx, "dc1", testProject)
	if cq.UsedVCPUs != 2 || cq.UsedMemoryMB != 4096 || cq.UsedServers != 1 {
		t.Fatalf("%+v", cq)
	}
	vq, _ = d.GetVolumeQuota(ctx, "dc1", testProject)
	if vq != (core.VolumeQuota{DatacenterID: "dc1", ProjectID: testProject, TotalGB: 2000, UsedGB: 30, TotalVolumes: 100, UsedVolumes: 1}) {
		t.Fatalf("%+v", vq)
	}
	// Usage is per datacenter and per project.
	if other, _ := d.GetComputeQuota(ctx, "dc2", testProject); other.UsedVCPUs != 0 || other.UsedServers != 0 {
		t.Fatalf("dc2 %+v", other)
	}
	if other, _ := d.GetVolumeQuota(ctx, "dc1", "proj-b"); other.UsedGB != 0 || other.UsedVolumes != 0 {
		t.Fatalf("proj-b %+v", other)
	}
	wantKind(t, d.DeleteServer(ctx, s.ID), core.KindUnknown)
	wantKind(t, d.DeleteVolume(ctx, v.ID), core.KindUnknown)
	cq, _ = d.GetComputeQuota(ctx, "dc1", testProject)
	vq, _ = d.GetVolumeQuota(ctx, "dc1", testProject)
	if cq.UsedVCPUs != 0 || cq.UsedServers != 0 || vq.UsedGB != 0 || vq.UsedVolumes != 0 {
		t.Fatalf("after delete %+v %+v", cq, vq)
	}

	// An override is for one project in one datacenter; negative is unlimited.
	d.SetQuota("dc1", testProject, Quota{VCPUs: 8, MemoryMB: -1, Servers: 3, VolumeGB: 100, Volumes: -1})
	cq, _ = d.GetComputeQuota(ctx, "dc1", testProject)
	vq, _ = d.GetVolumeQuota(ctx, "dc1", testProject)
	if cq.TotalVCPUs != 8 || cq.TotalMemoryMB != -1 || cq.TotalServers != 3 || vq.TotalGB != 100 || vq.TotalVolumes != -1 {
		t.Fatalf("override %+v %+v", cq, vq)
	}
	for _, other := range [][2]string{{"dc2", testProject}, {"dc1", "proj-b"}} {
		if q, _ := d.GetComputeQuota(ctx, other[0], other[1]); q.TotalVCPUs != 64 {
			t.Fatalf("the override leaked to %v: %+v", other, q)
		}
	}

	for _, c := range []struct {
		name string
		err  error
		kind core.Kind
	}{
		{"compute, unknown datacenter", second(d.GetComputeQuota(ctx, "dc9", testProject)), core.InvalidArgument},
		{"volume, unknown datacenter", second(d.GetVolumeQuota(ctx, "dc9", testProject)), core.InvalidArgument},
		{"compute, no datacenter", second(d.GetComputeQuota(ctx, "", testProject)), core.InvalidArgument},
	} {
		wantKind(t, c.err, c.kind)
		if !strings.HasPrefix(core.MessageOf(c.err), "datacenter_id") {
			t.Errorf("%s: %v does not name datacenter_id", c.name, c.err)
		}
	}
	d.SetDatacenterDown("dc1", true)
	_, err = d.GetComputeQuota(ctx, "dc1", testProject)
	wantKind(t, err, core.Unavailable)
	_, err = d.GetVolumeQuota(ctx, "dc1", testProject)
	wantKind(t, err, core.Unavailable)
}

// dcPut puts servers and volumes straight into the state, to test the
// usage sums apart from the service files.
func dcPut(d *Driver, servers []core.Server, volumes []core.Volume) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := range servers {
		d.st.Servers[servers[i].ID] = &servers[i]
	}
	for i := range volumes {
		d.st.Volumes[volumes[i].ID] = &volumes[i]
	}
}

// What a project holds in a datacenter: a soft-deleted server until it is
// purged; during a resize the larger of both flavors, per resource.
func TestQuota_B1_3_1_UsageCountsHeldResources(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	in := func(id, dc, project, flavor string, st core.ServerStatus) core.Server {
		return core.Server{Meta: core.Meta{DatacenterID: dc, ProjectID: project}, ID: id, FlavorID: flavor, Status: st}
	}
	resizing := func(id, from, to string) core.Server {
		s := in(id, "dc1", "p-resize", to, core.ServerVerifyResize)
		s.PreviousFlavorID = from
		return s
	}
	dcPut(d, []core.Server{
		in("a", "dc1", "p", "m1.small", core.ServerActive),      // 1 vcpu 2048
		in("b", "dc1", "p", "m1.tiny", core.ServerSoftDeleted),  // held until purged: 1 vcpu 512
		in("c", "dc1", "p", "m1.large", core.ServerShutoff),     // a stopped server holds its quota: 4 vcpu 8192
		in("d", "dc1", "p", "m1.large", core.ServerDeleted),     // gone
		in("e", "dc2", "p", "m1.large", core.ServerActive),      // other datacenter
		in("f", "dc1", "q", "m1.large", core.ServerActive),      // other project
		in("g", "dc1", "p", "no-such-flavor", core.ServerError), // counts as a server only
		resizing("up", "m1.tiny", "m1.medium"),                  // max: 2 vcpu 4096
		resizing("down", "m1.large", "m1.small"),                // max: 4 vcpu 8192
	}, nil)
	cases := []struct {
		dc, project string
		want        core.ComputeQuota
	}{
		{"dc1", "p", core.ComputeQuota{UsedVCPUs: 6, UsedMemoryMB: 2048 + 512 + 8192, UsedServers: 4}},
		{"dc2", "p", core.ComputeQuota{UsedVCPUs: 4, UsedMemoryMB: 8192, UsedServers: 1}},
		{"dc1", "q", core.ComputeQuota{UsedVCPUs: 4, UsedMemoryMB: 8192, UsedServers: 1}},
		{"dc1", "p-resize", core.ComputeQuota{UsedVCPUs: 2 + 4, UsedMemoryMB: 4096 + 8192, UsedServers: 2}},
		{"dc2", "nobody", core.ComputeQuota{}},
	}
	for _, c := range cases {
		q, err := d.GetComputeQuota(ctx, c.dc, c.project)
		wantKind(t, err, core.KindUnknown)
		got := core.ComputeQuota{UsedVCPUs: q.UsedVCPUs, UsedMemoryMB: q.UsedMemoryMB, UsedServers: q.UsedServers}
		if got != c.want {
			t.Errorf("%s/%s: used %+v, want %+v", c.dc, c.project, got, c.want)
		}
	}
}

// A resize between flavors that are each larger in one resource holds the
// larger of each (2 vCPUs of the old flavor and 8 GB of the new), not the
// whole of whichever flavor has more vCPUs.
func TestQuota_B1_3_1_ResizeHoldsTheLargerOfEachResource(t *testing.T) {
	d := newTestDriver(t)
	d.mu.Lock()
	d.st.Flavors["c2m2"] = &core.Flavor{ID: "c2m2", VCPUs: 2, MemoryMB: 2048}
	d.st.Flavors["c1m8"] = &core.Flavor{ID: "c1m8", VCPUs: 1, MemoryMB: 8192}
	d.mu.Unlock()
	for _, c := range []struct{ from, to string }{{"c2m2", "c1m8"}, {"c1m8", "c2m2"}} {
		id := c.from + "-" + c.to
		dcPut(d, []core.Server{{Meta: core.Meta{DatacenterID: "dc1", ProjectID: id}, ID: id,
			FlavorID: c.to, PreviousFlavorID: c.from, Status: core.ServerVerifyResize}}, nil)
		q, err := d.GetComputeQuota(testCtx(t), "dc1", id)
		wantKind(t, err, core.KindUnknown)
		if q.UsedVCPUs != 2 || q.UsedMemoryMB != 8192 {
			t.Errorf("resize %s → %s holds %d vCPUs and %d MB, want 2 and 8192", c.from, c.to, q.UsedVCPUs, q.UsedMemoryMB)
		}
	}
}

func TestQuota_B1_3_2_UsageCountsVolumes(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	vol := func(id, dc, project string, size int64, st core.VolumeStatus) core.Volume {
		return core.Volume{Meta: core.Meta{DatacenterID: dc, ProjectID: project}, ID: id, SizeGB: size, Status: st}
	}
	dcPut(d, nil, []core.Volume{
		vol("a", "dc1", "p", 10, core.VolumeAvailable),
		vol("b", "dc1", "p", 20, core.VolumeInUse),
		vol("c", "dc1", "p", 5, core.VolumeCreating),
		vol("d", "dc1", "p", 7, core.VolumeError), // an errored volume still takes space
		vol("e", "dc1", "p", 100, core.VolumeDeleted),
		vol("f", "dc2", "p", 100, core.VolumeAvailable),
		vol("g", "dc1", "q", 100, core.VolumeAvailable),
	})
	q, err := d.GetVolumeQuota(ctx, "dc1", "p")
	wantKind(t, err, core.KindUnknown)
	if q.UsedGB != 42 || q.UsedVolumes != 4 {
		t.Fatalf("%+v", q)
	}
}

func TestQuota_B1_3_Checks(t *testing.T) {
	d := newTestDriver(t)
	d.SetQuota("dc1", "p", Quota{VCPUs: 4, MemoryMB: 4096, Servers: 2, VolumeGB: 100, Volumes: 2})
	d.SetQuota("dc1", "free", Quota{VCPUs: -1, MemoryMB: -1, Servers: -1, VolumeGB: -1, Volumes: -1})
	dcPut(d, []core.Server{{Meta: core.Meta{DatacenterID: "dc1", ProjectID: "p"}, ID: "s", FlavorID: "m1.medium", Status: core.ServerActive}},
		[]core.Volume{{Meta: core.Meta{DatacenterID: "dc1", ProjectID: "p"}, ID: "v", SizeGB: 60, Status: core.VolumeAvailable}})
	d.mu.Lock()
	defer d.mu.Unlock()
	compute := []struct {
		name                string
		project             string
		vcpus, mem, servers int64
		wantMsg             string // "" = allowed
	}{
		{"up to the limit", "p", 2, 0, 1, ""},
		{"one vcpu over", "p", 3, 0, 1, "vcpus"},
		{"one MB over", "p", 0, 1, 0, "memory_mb"},
		{"servers first", "p", 10, 10000, 2, "servers"},
		{"nothing added", "p", 0, 0, 0, ""},
		{"unlimited", "free", 1 << 20, 1 << 40, 1 << 20, ""},
	}
	for _, c := range compute {
		err := d.checkComputeQuota("CreateServer", "dc1", c.project, c.vcpus, c.mem, c.servers)
		if c.wantMsg == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if core.KindOf(err) != core.QuotaExceeded || !strings.Contains(core.MessageOf(err), "quota exceeded for "+c.wantMsg) || err.(*core.Error).Op != "CreateServer" {
			t.Errorf("%s: %v, want quota_exceeded for %s", c.name, err, c.wantMsg)
		}
	}
	volume := []struct {
		name    string
		project string
		gb, n   int64
		wantMsg string
	}{
		{"up to the limit", "p", 40, 1, ""},
		{"one GB over", "p", 41, 1, "gigabytes"},
		{"one volume over", "p", 1, 2, "volumes"},
		{"extend within", "p", 40, 0, ""},
		{"extend over", "p", 41, 0, "gigabytes"},
		{"unlimited", "free", 1 << 30, 1 << 20, ""},
	}
	for _, c := range volume {
		err := d.checkVolumeQuota("CreateVolume", "dc1", c.project, c.gb, c.n)
		if c.wantMsg == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if core.KindOf(err) != core.QuotaExceeded || !strings.Contains(core.MessageOf(err), "quota exceeded for "+c.wantMsg) {
			t.Errorf("%s: %v, want quota_exceeded for %s", c.name, err, c.wantMsg)
		}
	}
}

func TestDatacenters_PickHost(t *testing.T) {
	d := newTestDriver(t, func(c *Config) {
		c.Datacenters[0].Hosts = []string{"h1", "h2", "h3"}
	})
	d.mu.Lock()
	defer d.mu.Unlock()
	var got []string
	for i := 0; i < 6; i++ {
		h := d.pickHost("dc1")
		got = append(got, h)
		id := string(rune('a' + i))
		d.st.Servers[id] = &core.Server{Meta: core.Meta{DatacenterID: "dc1"}, ID: id, Host: h}
	}
	// The least loaded host, the first of equals: round robin from an empty cloud.
	if want := []string{"h1", "h2", "h3", "h1", "h2", "h3"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("picked %v, want %v", got, want)
	}
	delete(d.st.Servers, "b") // h2 now has one server fewer
	if h := d.pickHost("dc1"); h != "h2" {
		t.Fatalf("picked %s, want the least loaded h2", h)
	}
	for _, c := range []struct {
		dc, host string
		want     bool
	}{{"dc1", "h3", true}, {"dc1", "dc2-host-1", false}, {"dc2", "dc2-host-1", true}, {"dc9", "h1", false}} {
		if d.hasHost(c.dc, c.host) != c.want {
			t.Errorf("hasHost(%s, %s) = %v", c.dc, c.host, !c.want)
		}
	}
}
