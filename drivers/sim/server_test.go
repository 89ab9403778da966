package sim

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// srvCreate boots an ACTIVE server of flavor in dc1 of testProject.
func srvCreate(t testing.TB, d *Driver, flavor string) core.Server {
	t.Helper()
	s, err := d.CreateServer(testCtx(t), core.ServerCreate{CreateMeta: meta(), Name: "srv", FlavorID: flavor, ImageID: publicImageID(t, d)})
	if err != nil {
		t.Fatalf("CreateServer: %v", err)
	}
	return s
}

func srvStatus(t testing.TB, d *Driver, id string) core.ServerStatus {
	t.Helper()
	s, err := d.GetServer(testCtx(t), id)
	if err != nil {
		t.Fatalf("GetServer: %v", err)
	}
	return s.Status
}

func srvWantEvents(t testing.TB, d *Driver, id string, want ...string) {
	t.Helper()
	got := eventsFor(d, id)
	if len(got) != len(want)-1 {
		t.Fatalf("events %v, want the path %v", got, want)
	}
	for i, e := range got {
		if e[0] != want[i] || e[1] != want[i+1] {
			t.Fatalf("events %v, want the path %v", got, want)
		}
	}
}

// counts is how many ports and volumes exist, to prove a refused create leaves none.
func srvCounts(d *Driver) (servers, ports, volumes int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.st.Servers), len(d.st.Ports), len(d.st.Volumes)
}

func TestServer_B2_1_1_Create(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	img := publicImageID(t, d)
	s, err := d.CreateServer(ctx, core.ServerCreate{CreateMeta: meta(), Name: "gis-1", Description: "tiles",
		FlavorID: "m1.small", ImageID: img, Metadata: map[string]string{"role": "tiles"}})
	wantKind(t, err, core.KindUnknown)
	if s.Status != core.ServerBuild {
		t.Fatalf("create returned %s, want BUILD", s.Status)
	}
	got, _ := d.GetServer(ctx, s.ID)
	if got.Status != core.ServerActive || got.Name != "gis-1" || got.Description != "tiles" || got.FlavorID != "m1.small" ||
		got.ImageID != img || got.ProjectID != testProject || got.DatacenterID != "dc1" || got.Metadata["role"] != "tiles" {
		t.Fatalf("server %+v", got)
	}
	if !d.hasHost("dc1", got.Host) {
		t.Fatalf("host %q is not a dc1 host", got.Host)
	}
	if len(got.Addresses) != 1 || got.Addresses[0].Kind != core.AddressPrivate || got.Addresses[0].NetworkID != privateNetworkID(t, d, "dc1") ||
		got.Addresses[0].MAC == "" || got.Addresses[0].PortID == "" {
		t.Fatalf("addresses %+v", got.Addresses)
	}
	if got.CreatedAt.IsZero() || got.CreatedAt.Location() != time.UTC {
		t.Fatalf("created_at %v", got.CreatedAt)
	}
	srvWantEvents(t, d, s.ID, "", "BUILD", "ACTIVE")
	ev := lastEvent(t, d, s.ID)
	if ev.Attributes.VCPUs != 1 || ev.Attributes.MemoryMB != 2048 || ev.Attributes.DiskGB != 20 || ev.Attributes.FlavorID != "m1.small" ||
		ev.ProjectID != testProject || ev.DatacenterID != "dc1" || ev.ResourceType != core.TypeServer {
		t.Fatalf("event %+v", ev)
	}
}

func TestServer_B2_1_1_CreateRefusals(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	img := publicImageID(t, d)
	net := privateNetworkID(t, d, "dc1")
	ext := externalNetworkID(t, d, "dc1")
	taken := srvCreate(t, d, "m1.tiny").Addresses[0].Address
	var debian string
	imgs, _ := d.ListImages(ctx, core.ListOptions{})
	for _, im := range imgs {
		if im.Name == "debian-12" {
			debian = im.ID
		}
	}
	cases := []struct {
		name string
		req  core.ServerCreate
		want core.Kind
	}{
		{"no name", core.ServerCreate{FlavorID: "m1.tiny", ImageID: img}, core.InvalidArgument},
		{"unknown flavor", core.ServerCreate{Name: "x", FlavorID: "nope", ImageID: img}, core.InvalidArgument},
		{"unknown image", core.ServerCreate{Name: "x", FlavorID: "m1.tiny", ImageID: "nope"}, core.InvalidArgument},
		{"flavor too small for the image", core.ServerCreate{Name: "x", FlavorID: "m1.tiny", ImageID: debian}, core.InvalidArgument},
		{"unknown network", core.ServerCreate{Name: "x", FlavorID: "m1.tiny", ImageID: img, Networks: []core.NetworkAttachment{{NetworkID: "nope"}}}, core.InvalidArgument},
		{"external network", core.ServerCreate{Name: "x", FlavorID: "m1.tiny", ImageID: img, Networks: []core.NetworkAttachment{{NetworkID: ext}}}, core.InvalidArgument},
		{"fixed IP taken", core.ServerCreate{Name: "x", FlavorID: "m1.tiny", ImageID: img, Networks: []core.NetworkAttachment{{NetworkID: net, FixedIP: taken}}}, core.Conflict},
		{"fixed IP outside the subnet", core.ServerCreate{Name: "x", FlavorID: "m1.tiny", ImageID: img, Networks: []core.NetworkAttachment{{NetworkID: net, FixedIP: "192.0.2.7"}}}, core.InvalidArgument},
		{"unknown security group", core.ServerCreate{Name: "x", FlavorID: "m1.tiny", ImageID: img, SecurityGroupIDs: []string{"nope"}}, core.InvalidArgument},
		{"unknown boot volume", core.ServerCreate{Name: "x", FlavorID: "m1.tiny", BlockDevices: []core.BlockDevice{{SourceType: core.SourceVolume, UUID: "nope"}}}, core.InvalidArgument},
		{"image block device without size", core.ServerCreate{Name: "x", FlavorID: "m1.tiny", ImageID: img, BlockDevices: []core.BlockDevice{{SourceType: core.SourceImage, UUID: img}}}, core.InvalidArgument},
		{"unknown datacenter", core.ServerCreate{CreateMeta: core.CreateMeta{DatacenterID: "dc9"}, Name: "x", FlavorID: "m1.tiny", ImageID: img}, core.InvalidArgument},
	}
	s0, p0, v0 := srvCounts(d)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.req.ProjectID == "" {
				c.req.ProjectID = testProject
			}
			_, err := d.CreateServer(ctx, c.req)
			wantKind(t, err, c.want)
			if s, p, v := srvCounts(d); s != s0 || p != p0 || v != v0 {
				t.Fatalf("a refused create left something: servers %d→%d ports %d→%d volumes %d→%d", s0, s, p0, p, v0, v)
			}
		})
	}
}

func TestServer_B2_1_1_FixedIPAndOtherProjectsImage(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	img := publicImageID(t, d)
	s, err := d.CreateServer(ctx, core.ServerCreate{CreateMeta: meta(), Name: "fixed", FlavorID: "m1.tiny", ImageID: img,
		Networks: []core.NetworkAttachment{{NetworkID: privateNetworkID(t, d, "dc1"), FixedIP: "10.0.0.77"}}})
	wantKind(t, err, core.KindUnknown)
	if s.Addresses[0].Address != "10.0.0.77" {
		t.Fatalf("addresses %+v", s.Addresses)
	}
	// A private image of another project is invisible: it does not exist for us.
	priv, err := d.CreateImage(ctx, core.ImageCreate{CreateMeta: core.CreateMeta{ProjectID: "proj-b"}, Name: "b-only"})
	wantKind(t, err, core.KindUnknown)
	_, err = d.CreateServer(ctx, core.ServerCreate{CreateMeta: meta(), Name: "x", FlavorID: "m1.tiny", ImageID: priv.ID})
	wantKind(t, err, core.InvalidArgument)
	// A queued image (no data yet) does not boot.
	_, err = d.CreateServer(ctx, core.ServerCreate{CreateMeta: core.CreateMeta{ProjectID: "proj-b"}, Name: "x", FlavorID: "m1.tiny", ImageID: priv.ID})
	wantKind(t, err, core.Conflict)
}

func TestServer_B2_1_1_QuotaExceeded(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	d.SetQuota("dc1", testProject, Quota{VCPUs: 3, MemoryMB: -1, Servers: -1, VolumeGB: -1, Volumes: -1})
	srvCreate(t, d, "m1.medium") // 2 vCPUs
	_, err := d.CreateServer(ctx, core.ServerCreate{CreateMeta: meta(), Name: "x", FlavorID: "m1.medium", ImageID: publicImageID(t, d)})
	wantKind(t, err, core.QuotaExceeded)
	srvCreate(t, d, "m1.tiny") // 1 more fits exactly
	q, err := d.GetComputeQuota(ctx, "dc1", testProject)
	wantKind(t, err, core.KindUnknown)
	if q.UsedVCPUs != 3 || q.TotalVCPUs != 3 || q.UsedServers != 2 || q.UsedMemoryMB != 4096+512 {
		t.Fatalf("quota %+v", q)
	}
	// Another project's quota is its own.
	_, err = d.CreateServer(ctx, core.ServerCreate{CreateMeta: core.CreateMeta{ProjectID: "proj-b"}, Name: "x", FlavorID: "m1.large", ImageID: publicImageID(t, d)})
	wantKind(t, err, core.KindUnknown)
}

func TestServer_B2_1_1_IdempotentClientToken(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	req := core.ServerCreate{CreateMeta: meta(), Name: "once", FlavorID: "m1.tiny", ImageID: publicImageID(t, d)}
	req.ClientToken = "tok-1"
	a, err := d.CreateServer(ctx, req)
	wantKind(t, err, core.KindUnknown)
	b, err := d.CreateServer(ctx, req)
	wantKind(t, err, core.KindUnknown)
	if a.ID != b.ID {
		t.Fatalf("same token made two servers: %s %s", a.ID, b.ID)
	}
	req.ProjectID = "proj-b" // tokens are per project
	c, _ := d.CreateServer(ctx, req)
	if c.ID == a.ID {
		t.Fatal("a token of another project returned our server")
	}
	list, _ := d.ListServers(ctx, core.ListOptions{ProjectID: testProject})
	if len(list) != 1 {
		t.Fatalf("%d servers", len(list))
	}
}

func TestServer_B2_1_1_BootFromVolumes(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	img := publicImageID(t, d)
	data, err := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta(), Name: "data", SizeGB: 5})
	wantKind(t, err, core.KindUnknown)
	s, err := d.CreateServer(ctx, core.ServerCreate{CreateMeta: meta(), Name: "bfv", FlavorID: "m1.tiny",
		BlockDevices: []core.BlockDevice{{SourceType: core.SourceImage, UUID: img, SizeGB: 10}, {SourceType: core.SourceVolume, UUID: data.ID}}})
	wantKind(t, err, core.KindUnknown)
	got, _ := d.GetServer(ctx, s.ID)
	if len(got.VolumeIDs) != 2 || got.VolumeIDs[1] != data.ID {
		t.Fatalf("volumes %v", got.VolumeIDs)
	}
	boot, _ := d.GetVolume(ctx, got.VolumeIDs[0])
	if boot.Status != core.VolumeInUse || boot.SizeGB != 10 || boot.ImageID != img || boot.Attachments[0].Mountpoint != "/dev/vda" {
		t.Fatalf("boot volume %+v", boot)
	}
	dv, _ := d.GetVolume(ctx, data.ID)
	if dv.Status != core.VolumeInUse || dv.Attachments[0].ServerID != s.ID || dv.Attachments[0].Mountpoint != "/dev/vdb" {
		t.Fatalf("data volume %+v", dv)
	}
	// The data volume is now in use: another server cannot boot with it.
	_, err = d.CreateServer(ctx, core.ServerCreate{CreateMeta: meta(), Name: "x", FlavorID: "m1.tiny",
		BlockDevices: []core.BlockDevice{{SourceType: core.SourceVolume, UUID: data.ID}}})
	wantKind(t, err, core.Conflict)
	// Deleting the server detaches and keeps its volumes.
	wantKind(t, d.DeleteServer(ctx, s.ID), core.KindUnknown)
	dv, _ = d.GetVolume(ctx, data.ID)
	if dv.Status != core.VolumeAvailable || len(dv.Attachments) != 0 {
		t.Fatalf("after delete: %+v", dv)
	}
}

func TestServer_B2_1_3_Show_B2_1_8_List(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	_, err := d.GetServer(ctx, "nope")
	wantKind(t, err, core.NotFound)
	a := srvCreate(t, d, "m1.tiny")
	b := srvCreate(t, d, "m1.tiny")
	other, _ := d.CreateServer(ctx, core.ServerCreate{CreateMeta: core.CreateMeta{ProjectID: "proj-b", DatacenterID: "dc2"},
		Name: "b", FlavorID: "m1.tiny", ImageID: publicImageID(t, d)})
	cases := []struct {
		opts core.ListOptions
		want []string
	}{
		{core.ListOptions{ProjectID: testProject}, []string{a.ID, b.ID}},
		{core.ListOptions{DatacenterID: "dc2"}, []string{other.ID}},
		{core.ListOptions{}, []string{a.ID, b.ID, other.ID}},
		{core.ListOptions{ProjectID: "nobody"}, []string{}},
	}
	for _, c := range cases {
		list, err := d.ListServers(ctx, c.opts)
		wantKind(t, err, core.KindUnknown)
		if list == nil || len(list) != len(c.want) {
			t.Fatalf("%+v: %d servers, want %d", c.opts, len(list), len(c.want))
		}
		for i := range c.want {
			if list[i].ID != c.want[i] {
				t.Fatalf("%+v: order %v", c.opts, list)
			}
		}
	}
	// Results are copies: changing one changes nothing in the cloud.
	list, _ := d.ListServers(ctx, core.ListOptions{ProjectID: testProject})
	list[0].Name = "changed"
	list[0].Addresses[0].Address = "1.2.3.4"
	again, _ := d.GetServer(ctx, a.ID)
	if again.Name == "changed" || again.Addresses[0].Address == "1.2.3.4" {
		t.Fatal("a result aliases the simulator's state")
	}
	// A datacenter that is down answers Unavailable, and lists leave it out.
	d.SetDatacenterDown("dc2", true)
	_, err = d.GetServer(ctx, other.ID)
	wantKind(t, err, core.Unavailable)
	list, _ = d.ListServers(ctx, core.ListOptions{})
	if len(list) != 2 {
		t.Fatalf("list with dc2 down: %d servers", len(list))
	}
}

func TestServer_B2_1_4_Update(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	s := srvCreate(t, d, "m1.tiny")
	name, desc := "renamed", "a description"
	got, err := d.UpdateServer(ctx, s.ID, core.ServerUpdate{Name: &name, Description: &desc})
	wantKind(t, err, core.KindUnknown)
	if got.Name != name || got.Description != desc {
		t.Fatalf("%+v", got)
	}
	empty := ""
	_, err = d.UpdateServer(ctx, s.ID, core.ServerUpdate{Name: &empty})
	wantKind(t, err, core.InvalidArgument)
	_, err = d.UpdateServer(ctx, s.ID, core.ServerUpdate{})
	wantKind(t, err, core.InvalidArgument)
	_, err = d.UpdateServer(ctx, "nope", core.ServerUpdate{Name: &name})
	wantKind(t, err, core.NotFound)
}

func TestServer_B2_1_5_Start_B2_1_6_Stop_B2_1_7_Reboot(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	s := srvCreate(t, d, "m1.tiny")
	steps := []struct {
		name string
		do   func() error
		want core.Kind
		then core.ServerStatus
	}{
		{"B.2.1.5 start an ACTIVE server", func() error { return d.StartServer(ctx, s.ID) }, core.Conflict, core.ServerActive},
		{"B.2.1.6 stop", func() error { return d.StopServer(ctx, s.ID) }, core.KindUnknown, core.ServerShutoff},
		{"B.2.1.6 stop a SHUTOFF server", func() error { return d.StopServer(ctx, s.ID) }, core.Conflict, core.ServerShutoff},
		{"B.2.1.7 soft reboot while SHUTOFF", func() error { return d.RebootServer(ctx, s.ID, core.RebootSoft) }, core.Conflict, core.ServerShutoff},
		{"B.2.1.7 hard reboot from SHUTOFF", func() error { return d.RebootServer(ctx, s.ID, core.RebootHard) }, core.KindUnknown, core.ServerActive},
		{"B.2.1.7 bad reboot type", func() error { return d.RebootServer(ctx, s.ID, "MEDIUM") }, core.InvalidArgument, core.ServerActive},
		{"B.2.1.7 soft reboot", func() error { return d.RebootServer(ctx, s.ID, core.RebootSoft) }, core.KindUnknown, core.ServerActive},
		{"B.2.1.6 stop again", func() error { return d.StopServer(ctx, s.ID) }, core.KindUnknown, core.ServerShutoff},
		{"B.2.1.5 start", func() error { return d.StartServer(ctx, s.ID) }, core.KindUnknown, core.ServerActive},
		{"B.2.1.5 start unknown", func() error { return d.StartServer(ctx, "nope") }, core.NotFound, core.ServerActive},
	}
	for _, st := range steps {
		wantKind(t, st.do(), st.want)
		if got := srvStatus(t, d, s.ID); got != st.then {
			t.Fatalf("%s: status %s, want %s", st.name, got, st.then)
		}
	}
	srvWantEvents(t, d, s.ID, "", "BUILD", "ACTIVE", "SHUTOFF", "REBOOT", "ACTIVE", "REBOOT", "ACTIVE", "SHUTOFF", "ACTIVE")
}

func TestServer_LatenciesStepThroughStates(t *testing.T) {
	d, clock := newManualDriver(t, 300*time.Millisecond)
	ctx := testCtx(t)
	s, err := d.CreateServer(ctx, core.ServerCreate{CreateMeta: meta(), Name: "slow", FlavorID: "m1.tiny", ImageID: publicImageID(t, d)})
	wantKind(t, err, core.KindUnknown)
	if got := srvStatus(t, d, s.ID); got != core.ServerBuild {
		t.Fatalf("before the latency: %s", got)
	}
	wantKind(t, d.StopServer(ctx, s.ID), core.Conflict) // BUILD takes no stop
	clock.Advance(299 * time.Millisecond)
	if got := srvStatus(t, d, s.ID); got != core.ServerBuild {
		t.Fatalf("1 ms early: %s", got)
	}
	clock.Advance(time.Millisecond)
	if got := srvStatus(t, d, s.ID); got != core.ServerActive {
		t.Fatalf("after the latency: %s", got)
	}
	wantKind(t, d.StopServer(ctx, s.ID), core.KindUnknown)
	if got := srvStatus(t, d, s.ID); got != core.ServerActive {
		t.Fatalf("a server stays ACTIVE while powering off, got %s", got)
	}
	wantKind(t, d.StopServer(ctx, s.ID), core.Conflict) // one stop at a time
	clock.Advance(300 * time.Millisecond)
	if got := srvStatus(t, d, s.ID); got != core.ServerShutoff {
		t.Fatalf("after stop: %s", got)
	}
	evs := eventsFor(d, s.ID)
	all := d.Events()
	var times []time.Time
	for _, e := range all {
		if e.ResourceID == s.ID {
			times = append(times, e.Time)
		}
	}
	if len(evs) != 3 || times[1].Sub(times[0]) != 300*time.Millisecond || times[2].Sub(times[1]) != 300*time.Millisecond {
		t.Fatalf("events %v at %v", evs, times)
	}
}

func TestServer_B2_1_9_LiveMigrate(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	s := srvCreate(t, d, "m1.tiny")
	other := "dc1-host-1"
	if s.Host == other {
		other = "dc1-host-2"
	}
	wantKind(t, d.LiveMigrateServer(ctx, s.ID, ""), core.InvalidArgument)
	wantKind(t, d.LiveMigrateServer(ctx, s.ID, "dc2-host-1"), core.InvalidArgument) // another datacenter's host
	wantKind(t, d.LiveMigrateServer(ctx, s.ID, "nowhere"), core.InvalidArgument)
	wantKind(t, d.LiveMigrateServer(ctx, s.ID, s.Host), core.Conflict)
	wantKind(t, d.LiveMigrateServer(ctx, s.ID, other), core.KindUnknown)
	got, _ := d.GetServer(ctx, s.ID)
	if got.Host != other || got.Status != core.ServerActive {
		t.Fatalf("after migration: host %s status %s", got.Host, got.Status)
	}
	if ev := lastEvent(t, d, s.ID); ev.FromState != "MIGRATING" || ev.Attributes.Host != other {
		t.Fatalf("last event %+v", ev)
	}
	wantKind(t, d.StopServer(ctx, s.ID), core.KindUnknown)
	wantKind(t, d.LiveMigrateServer(ctx, s.ID, s.Host), core.Conflict) // only ACTIVE servers migrate live
}

func TestServer_B2_1_9_LiveMigrateSurvivesRestart(t *testing.T) {
	path := t.TempDir() + "/state.json"
	clock := NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	cfg := TestConfig()
	cfg.StatePath = path
	cfg.Latencies = map[string]Duration{"server.migrate": Duration(time.Second)}
	d, err := New(cfg, WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	s := srvCreate(t, d, "m1.tiny")
	target := map[string]string{"dc1-host-1": "dc1-host-2", "dc1-host-2": "dc1-host-1"}[s.Host]
	wantKind(t, d.LiveMigrateServer(ctx, s.ID, target), core.KindUnknown)
	before := d.Events()
	d.Close()
	clock.Advance(2 * time.Second)
	d2, err := New(cfg, WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	got, _ := d2.GetServer(ctx, s.ID)
	if got.Status != core.ServerActive || got.Host != target {
		t.Fatalf("after restart: %s on %s", got.Status, got.Host)
	}
	after := d2.Events()
	seen := map[string]bool{}
	for _, e := range after {
		if seen[e.ID] {
			t.Fatalf("event id %s twice", e.ID)
		}
		seen[e.ID] = true
	}
	if len(after) != len(before)+1 || after[len(after)-1].FromState != "MIGRATING" {
		t.Fatalf("%d events before, %d after", len(before), len(after))
	}
}

func TestServer_B2_1_10_Resize(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	s := srvCreate(t, d, "m1.small")
	wantKind(t, d.ResizeServer(ctx, s.ID, "m1.small"), core.InvalidArgument)
	wantKind(t, d.ResizeServer(ctx, s.ID, "nope"), core.InvalidArgument)
	wantKind(t, d.ResizeServer(ctx, s.ID, "m1.tiny"), core.InvalidArgument) // 20 GB disk cannot shrink to 1 GB
	wantKind(t, d.ConfirmResize(ctx, s.ID), core.Conflict)

	// Confirm keeps the new flavor; both flavors count until then.
	wantKind(t, d.ResizeServer(ctx, s.ID, "m1.medium"), core.KindUnknown)
	got, _ := d.GetServer(ctx, s.ID)
	if got.Status != core.ServerVerifyResize || got.FlavorID != "m1.medium" || got.PreviousFlavorID != "m1.small" {
		t.Fatalf("%+v", got)
	}
	q, _ := d.GetComputeQuota(ctx, "dc1", testProject)
	if q.UsedVCPUs != 2 || q.UsedMemoryMB != 4096 {
		t.Fatalf("quota while verifying: %+v", q)
	}
	wantKind(t, d.ConfirmResize(ctx, s.ID), core.KindUnknown)
	got, _ = d.GetServer(ctx, s.ID)
	if got.Status != core.ServerActive || got.FlavorID != "m1.medium" || got.PreviousFlavorID != "" {
		t.Fatalf("%+v", got)
	}
	if ev := lastEvent(t, d, s.ID); ev.Attributes.VCPUs != 2 || ev.Attributes.FlavorID != "m1.medium" {
		t.Fatalf("confirm event %+v", ev)
	}

	// Revert of a stopped server goes back to the old flavor and to SHUTOFF.
	wantKind(t, d.StopServer(ctx, s.ID), core.KindUnknown)
	wantKind(t, d.ResizeServer(ctx, s.ID, "m1.large"), core.KindUnknown)
	wantKind(t, d.RevertResize(ctx, s.ID), core.KindUnknown)
	got, _ = d.GetServer(ctx, s.ID)
	if got.Status != core.ServerShutoff || got.FlavorID != "m1.medium" {
		t.Fatalf("after revert: %+v", got)
	}
	if ev := lastEvent(t, d, s.ID); ev.Attributes.VCPUs != 2 || ev.ToState != "SHUTOFF" {
		t.Fatalf("revert event %+v", ev)
	}
	srvWantEvents(t, d, s.ID, "", "BUILD", "ACTIVE", "RESIZE", "VERIFY_RESIZE", "ACTIVE", "SHUTOFF", "RESIZE", "VERIFY_RESIZE", "SHUTOFF")

	// A resize beyond the quota is refused and changes nothing.
	d.SetQuota("dc1", testProject, Quota{VCPUs: 3, MemoryMB: -1, Servers: -1, VolumeGB: -1, Volumes: -1})
	wantKind(t, d.ResizeServer(ctx, s.ID, "m1.large"), core.QuotaExceeded)
	if got, _ := d.GetServer(ctx, s.ID); got.FlavorID != "m1.medium" || got.Status != core.ServerShutoff {
		t.Fatalf("after refused resize: %+v", got)
	}
}

func TestServer_B2_1_2_Delete(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	s := srvCreate(t, d, "m1.tiny")
	wantKind(t, d.DeleteServer(ctx, "nope"), core.NotFound)
	wantKind(t, d.DeleteServer(ctx, s.ID), core.KindUnknown)
	_, err := d.GetServer(ctx, s.ID)
	wantKind(t, err, core.NotFound)
	srvWantEvents(t, d, s.ID, "", "BUILD", "ACTIVE", "DELETED")
	if _, ports, _ := srvCounts(d); ports != 0 {
		t.Fatalf("%d ports left behind", ports)
	}
	q, _ := d.GetComputeQuota(ctx, "dc1", testProject)
	if q.UsedServers != 0 || q.UsedVCPUs != 0 {
		t.Fatalf("quota after delete %+v", q)
	}
}

func TestServer_B2_1_2_SoftDelete(t *testing.T) {
	d, clock := newManualDriver(t, 0, func(c *Config) { c.SoftDeleteReclaim = Duration(time.Hour) })
	ctx := testCtx(t)
	s := srvCreate(t, d, "m1.tiny")
	vol, _ := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta(), SizeGB: 3})
	_, err := d.AttachVolume(ctx, vol.ID, core.VolumeAttach{ServerID: s.ID})
	wantKind(t, err, core.KindUnknown)
	wantKind(t, d.DeleteServer(ctx, s.ID), core.KindUnknown)
	if got := srvStatus(t, d, s.ID); got != core.ServerSoftDeleted {
		t.Fatalf("status %s", got)
	}
	wantKind(t, d.StartServer(ctx, s.ID), core.Conflict)
	// Soft-deleted: quota held and volumes attached until the purge (BL.3).
	q, _ := d.GetComputeQuota(ctx, "dc1", testProject)
	v, _ := d.GetVolume(ctx, vol.ID)
	if q.UsedServers != 1 || v.Status != core.VolumeInUse {
		t.Fatalf("while soft-deleted: quota %+v volume %s", q, v.Status)
	}
	clock.Advance(time.Hour)
	_, err = d.GetServer(ctx, s.ID)
	wantKind(t, err, core.NotFound)
	v, _ = d.GetVolume(ctx, vol.ID)
	if v.Status != core.VolumeAvailable {
		t.Fatalf("volume after purge: %s", v.Status)
	}
	srvWantEvents(t, d, s.ID, "", "BUILD", "ACTIVE", "SOFT_DELETED", "DELETED")

	// Deleting a soft-deleted server purges it at once.
	s2 := srvCreate(t, d, "m1.tiny")
	wantKind(t, d.DeleteServer(ctx, s2.ID), core.KindUnknown)
	wantKind(t, d.DeleteServer(ctx, s2.ID), core.KindUnknown)
	_, err = d.GetServer(ctx, s2.ID)
	wantKind(t, err, core.NotFound)
	if clock.Pending() != 0 {
		t.Fatalf("%d timers left after the purge", clock.Pending())
	}
}

func TestServer_ConcurrentCreateDelete(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	img := publicImageID(t, d)
	d.SetQuota("dc1", testProject, Quota{VCPUs: 40, MemoryMB: -1, Servers: -1, VolumeGB: -1, Volumes: -1})
	var wg sync.WaitGroup
	var mu sync.Mutex
	kept := 0
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				s, err := d.CreateServer(ctx, core.ServerCreate{CreateMeta: meta(), Name: fmt.Sprintf("c-%d-%d", g, i), FlavorID: "m1.tiny", ImageID: img})
				if core.KindOf(err) == core.QuotaExceeded {
					continue
				}
				if err != nil {
					t.Errorf("create: %v", err)
					return
				}
				if i%2 == 0 {
					if err := d.DeleteServer(ctx, s.ID); err != nil {
						t.Errorf("delete: %v", err)
					}
					continue
				}
				mu.Lock()
				kept++
				mu.Unlock()
			}
		}(g)
	}
	wg.Wait()
	list, _ := d.ListServers(ctx, core.ListOptions{ProjectID: testProject})
	q, _ := d.GetComputeQuota(ctx, "dc1", testProject)
	if len(list) != kept || q.UsedServers != int64(kept) || q.UsedVCPUs != int64(kept) || kept > 40 {
		t.Fatalf("kept %d, listed %d, quota %+v", kept, len(list), q)
	}
	addrs := map[string]bool{}
	for _, s := range list {
		a := s.Addresses[0].Address
		if addrs[a] {
			t.Fatalf("address %s handed out twice", a)
		}
		addrs[a] = true
	}
}
