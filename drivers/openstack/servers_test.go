package openstack

import (
	"context"
	"fmt"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/volumes"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/networks"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/subnets"

	"github.com/gisiaas/gisiaas/core"
)

// srvTestProject is the gisiaas project the server and image tests create
// in (an OpenStack project made once and kept).
const srvTestProject = "srvtest"

// srvBoot is what the tests boot: the image "tiny", the network
// "private" (with its subnet) and a flavor of their own the size of
// m1.tiny, so that flavor checks never touch the cloud's flavors.
type srvBoot struct {
	image   string
	network string
	cidr    *net.IPNet
	flavor  core.Flavor
	small   string // m1.small: the resize target
	public  string // the external network "public"
}

func srvFixture(t *testing.T, ctx context.Context, d *Driver) srvBoot {
	t.Helper()
	var b srvBoot
	ims, err := d.ListImages(ctx, core.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range ims {
		if im.Name == "tiny" && im.Status == core.ImageActive {
			b.image = im.ID
		}
	}
	pages, err := networks.List(d.admin.network, networks.ListOpts{Name: "private"}).AllPages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ns, err := networks.ExtractNetworks(pages)
	if err != nil || len(ns) == 0 {
		t.Fatalf("network private: %v", err)
	}
	b.network = ns[0].ID
	pages, err = networks.List(d.admin.network, networks.ListOpts{Name: "public"}).AllPages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ns, err := networks.ExtractNetworks(pages); err == nil && len(ns) > 0 {
		b.public = ns[0].ID
	}
	sn, err := subnets.Get(ctx, d.admin.network, ns[0].Subnets[0]).Extract()
	if err != nil {
		t.Fatal(err)
	}
	_, b.cidr, _ = net.ParseCIDR(sn.CIDR)
	fs, err := d.ListFlavors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var tiny core.Flavor
	for _, f := range fs {
		switch f.Name {
		case "m1.tiny":
			tiny = f
		case "m1.small":
			b.small = f.ID
		}
	}
	if b.image == "" || tiny.ID == "" || b.small == "" {
		t.Fatalf("the cloud lacks image tiny, m1.tiny or m1.small")
	}
	id := "srvflv-" + d.events.boot
	b.flavor, err = d.CreateFlavor(ctx, core.FlavorCreate{ID: id, Name: id, VCPUs: tiny.VCPUs, MemoryMB: tiny.MemoryMB, DiskGB: tiny.DiskGB, Public: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.DeleteFlavor(context.Background(), id) })
	return b
}

// srvDeleteAndWait deletes server id and waits until it is gone.
func srvDeleteAndWait(t *testing.T, ctx context.Context, d *Driver, id string) {
	t.Helper()
	if err := d.DeleteServer(ctx, id); err != nil && core.KindOf(err) != core.NotFound {
		t.Errorf("DeleteServer: %v", err)
		return
	}
	waitFor(t, ctx, "server "+id+" gone", func() (bool, error) {
		_, err := d.GetServer(ctx, id)
		if core.KindOf(err) == core.NotFound {
			return true, nil
		}
		return false, err
	})
}

func srvWaitStatus(t *testing.T, ctx context.Context, d *Driver, id string, want core.ServerStatus, extra func(core.Server) bool) core.Server {
	t.Helper()
	var s core.Server
	waitFor(t, ctx, fmt.Sprintf("server %s to be %s", id, want), func() (bool, error) {
		var err error
		s, err = d.GetServer(ctx, id)
		if err != nil {
			return false, err
		}
		if s.Status == core.ServerError && want != core.ServerError {
			return false, fmt.Errorf("server %s went to ERROR", id)
		}
		return s.Status == want && (extra == nil || extra(s)), nil
	})
	return s
}

func TestServerLifecycle(t *testing.T) {
	d := testDriver(t)
	ctx := testContext(t)
	ev := watchEvents(t, d)
	b := srvFixture(t, ctx, d)
	dc := "nova"

	before, err := d.GetComputeQuota(ctx, dc, srvTestProject)
	if err != nil {
		t.Fatal(err)
	}
	req := core.ServerCreate{
		CreateMeta: core.CreateMeta{ProjectID: srvTestProject, DatacenterID: dc, ClientToken: "tok-" + d.events.boot,
			Tags: map[string]string{"test": "lifecycle"}},
		Name: "srvtest-" + d.events.boot, Description: "a test server", FlavorID: b.flavor.ID, ImageID: b.image,
		Networks: []core.NetworkAttachment{{NetworkID: b.network}}, Metadata: map[string]string{"role": "test"},
		UserData: []byte("abcd"),
	}
	s, err := d.CreateServer(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srvDeleteAndWait(t, context.Background(), d, s.ID) })
	if s.Status != core.ServerBuild && s.Status != core.ServerActive {
		t.Errorf("CreateServer answered %s", s.Status)
	}
	if s.Name != req.Name || s.FlavorID != b.flavor.ID || s.ImageID != b.image || s.ProjectID != srvTestProject ||
		s.DatacenterID != dc || s.Tags["test"] != "lifecycle" || s.Description != req.Description || s.Metadata["role"] != "test" {
		t.Errorf("CreateServer answered %+v", s)
	}
	again, err := d.CreateServer(ctx, req)
	if err != nil || again.ID != s.ID {
		t.Fatalf("CreateServer with the same client token: %s, %v; want %s", again.ID, err, s.ID)
	}

	s = srvWaitStatus(t, ctx, d, s.ID, core.ServerActive, func(s core.Server) bool { return len(s.Addresses) > 0 })
	if s.Host == "" || len(s.SecurityGroupIDs) == 0 || s.CreatedAt.Location() != time.UTC || s.FlavorID != b.flavor.ID {
		t.Errorf("ACTIVE server: host %q, security groups %v, created %v, flavor %q", s.Host, s.SecurityGroupIDs, s.CreatedAt, s.FlavorID)
	}
	a := s.Addresses[0]
	if a.Kind != core.AddressPrivate || a.NetworkID != b.network || a.PortID == "" || a.MAC == "" || !b.cidr.Contains(net.ParseIP(a.Address)) {
		t.Errorf("address %+v; want a private one on %s in %s with its port", a, b.network, b.cidr)
	}
	// A floating IP on its port shows among its addresses.
	fip, err := d.CreateFloatingIP(ctx, core.FloatingIPCreate{CreateMeta: core.CreateMeta{ProjectID: srvTestProject},
		FloatingNetworkID: b.public, PortID: a.PortID})
	if err != nil {
		t.Fatalf("CreateFloatingIP: %v", err)
	}
	t.Cleanup(func() { _ = d.DeleteFloatingIP(context.Background(), fip.ID) })
	srvWaitStatus(t, ctx, d, s.ID, core.ServerActive, func(x core.Server) bool {
		return slices.Contains(x.Addresses, core.ServerAddress{Kind: core.AddressFloating, Address: fip.FloatingIP,
			NetworkID: b.public, PortID: a.PortID})
	})
	e := ev.waitMatch(t, ctx, "server to ACTIVE", func(e core.Event) bool {
		return e.ResourceID == s.ID && e.ToState == string(core.ServerActive)
	})
	if e.Attributes.FlavorID != b.flavor.ID || e.Attributes.VCPUs != b.flavor.VCPUs || e.Attributes.MemoryMB != b.flavor.MemoryMB ||
		e.ProjectID != srvTestProject || e.DatacenterID != dc || e.Attributes.Host == "" {
		t.Errorf("ACTIVE event %+v", e)
	}

	// Quota counts it.
	waitFor(t, ctx, "quota to count the server", func() (bool, error) {
		q, err := d.GetComputeQuota(ctx, dc, srvTestProject)
		return err == nil && q.UsedServers == before.UsedServers+1 && q.UsedVCPUs == before.UsedVCPUs+b.flavor.VCPUs &&
			q.UsedMemoryMB == before.UsedMemoryMB+b.flavor.MemoryMB, err
	})

	// Lists: the project's, the datacenter's, all; not another project's.
	for _, o := range []core.ListOptions{{ProjectID: srvTestProject, DatacenterID: dc}, {ProjectID: srvTestProject}, {}} {
		ss, err := d.ListServers(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(ss, func(x core.Server) bool { return x.ID == s.ID })
		if i < 0 {
			t.Errorf("ListServers(%+v) lacks the server", o)
		} else if x := ss[i]; x.FlavorID != b.flavor.ID || len(x.Addresses) == 0 || x.ProjectID != srvTestProject {
			t.Errorf("ListServers(%+v) shows %+v", o, x)
		}
	}
	ss, err := d.ListServers(ctx, core.ListOptions{ProjectID: "srvtest-nobody"})
	if err != nil || len(ss) != 0 {
		t.Errorf("ListServers of a project with none: %d servers, %v", len(ss), err)
	}

	// Update.
	name, desc := s.Name+"-renamed", "described again"
	u, err := d.UpdateServer(ctx, s.ID, core.ServerUpdate{Name: &name, Description: &desc})
	if err != nil || u.Name != name || u.Description != desc {
		t.Fatalf("UpdateServer: %+v, %v", u, err)
	}
	_, err = d.UpdateServer(ctx, s.ID, core.ServerUpdate{})
	wantKind(t, "empty update", err, core.InvalidArgument)

	// Flavor in use.
	wantKind(t, "DeleteFlavor of a flavor in use", d.DeleteFlavor(ctx, b.flavor.ID), core.Conflict)

	// Stop, start.
	wantKind(t, "StartServer of an ACTIVE server", d.StartServer(ctx, s.ID), core.Conflict)
	if err := d.StopServer(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	srvWaitStatus(t, ctx, d, s.ID, core.ServerShutoff, nil)
	wantKind(t, "StopServer of a SHUTOFF server", d.StopServer(ctx, s.ID), core.Conflict)
	wantKind(t, "SOFT reboot of a SHUTOFF server", d.RebootServer(ctx, s.ID, core.RebootSoft), core.Conflict)
	ev.waitMatch(t, ctx, "server ACTIVE to SHUTOFF", func(e core.Event) bool {
		return e.ResourceID == s.ID && e.FromState == string(core.ServerActive) && e.ToState == string(core.ServerShutoff)
	})
	if err := d.StartServer(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	srvWaitStatus(t, ctx, d, s.ID, core.ServerActive, nil)

	// Reboot.
	wantKind(t, "reboot MEDIUM", d.RebootServer(ctx, s.ID, "MEDIUM"), core.InvalidArgument)
	for _, k := range []core.RebootType{core.RebootSoft, core.RebootHard} {
		if err := d.RebootServer(ctx, s.ID, k); err != nil {
			t.Fatalf("%s reboot: %v", k, err)
		}
		srvWaitStatus(t, ctx, d, s.ID, core.ServerActive, nil)
	}

	// Live migration.
	dcs, err := d.ListDatacenters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var to string
	for _, z := range dcs {
		for _, h := range z.Hosts {
			if z.ID == dc && h != s.Host {
				to = h
			}
		}
	}
	wantKind(t, "live migration to an unknown host", d.LiveMigrateServer(ctx, s.ID, "no-such-host"), core.InvalidArgument)
	wantKind(t, "live migration to its own host", d.LiveMigrateServer(ctx, s.ID, s.Host), core.Conflict)
	if err := d.LiveMigrateServer(ctx, s.ID, to); err != nil {
		t.Fatalf("LiveMigrateServer to %s: %v", to, err)
	}
	srvWaitStatus(t, ctx, d, s.ID, core.ServerActive, func(x core.Server) bool { return x.Host == to })

	// Resize: refusals, then revert, then confirm.
	wantKind(t, "ConfirmResize of a server not resized", d.ConfirmResize(ctx, s.ID), core.Conflict)
	wantKind(t, "resize to an unknown flavor", d.ResizeServer(ctx, s.ID, "no-such-flavor"), core.InvalidArgument)
	wantKind(t, "resize to its own flavor", d.ResizeServer(ctx, s.ID, b.flavor.ID), core.InvalidArgument)
	if err := d.ResizeServer(ctx, s.ID, b.small); err != nil {
		t.Fatal(err)
	}
	r := srvWaitStatus(t, ctx, d, s.ID, core.ServerVerifyResize, nil)
	if r.FlavorID != b.small || r.PreviousFlavorID != b.flavor.ID {
		t.Errorf("VERIFY_RESIZE: flavor %q, previous %q; want %q, %q", r.FlavorID, r.PreviousFlavorID, b.small, b.flavor.ID)
	}
	wantKind(t, "DeleteFlavor of a resize's previous flavor", d.DeleteFlavor(ctx, b.flavor.ID), core.Conflict)
	if err := d.RevertResize(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	r = srvWaitStatus(t, ctx, d, s.ID, core.ServerActive, nil)
	if r.FlavorID != b.flavor.ID || r.PreviousFlavorID != "" {
		t.Errorf("after revert: flavor %q, previous %q", r.FlavorID, r.PreviousFlavorID)
	}
	ev.waitMatch(t, ctx, "server VERIFY_RESIZE to ACTIVE at the old flavor", func(e core.Event) bool {
		return e.ResourceID == s.ID && e.FromState == string(core.ServerVerifyResize) && e.ToState == string(core.ServerActive) &&
			e.Attributes.FlavorID == b.flavor.ID
	})
	if err := d.ResizeServer(ctx, s.ID, b.small); err != nil {
		t.Fatal(err)
	}
	srvWaitStatus(t, ctx, d, s.ID, core.ServerVerifyResize, nil)
	if err := d.ConfirmResize(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	r = srvWaitStatus(t, ctx, d, s.ID, core.ServerActive, nil)
	if r.FlavorID != b.small {
		t.Errorf("after confirm: flavor %q, want %q", r.FlavorID, b.small)
	}
	e = ev.waitMatch(t, ctx, "server VERIFY_RESIZE to ACTIVE at m1.small", func(e core.Event) bool {
		return e.ResourceID == s.ID && e.FromState == string(core.ServerVerifyResize) && e.ToState == string(core.ServerActive) &&
			e.Attributes.FlavorID == b.small
	})
	if e.Attributes.VCPUs == 0 || e.Attributes.MemoryMB == 0 {
		t.Errorf("resize event attributes %+v", e.Attributes)
	}

	// Snapshot (B.2.3.1): Nova's createImage, which the test cloud's
	// snapshotting fake driver completes.
	im, err := d.CreateImage(ctx, core.ImageCreate{CreateMeta: core.CreateMeta{ProjectID: srvTestProject, Tags: map[string]string{"test": "snap"}},
		Name: "srvsnap-" + d.events.boot, Description: "a snapshot", ServerID: s.ID, ImageTags: []string{"snap"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.DeleteImage(context.Background(), im.ID) })
	if im.Type != core.ImageTypeSnapshot || im.SourceServerID != s.ID || im.ProjectID != srvTestProject || im.DatacenterID != dc ||
		im.Tags["test"] != "snap" || !slices.Contains(im.ImageTags, "snap") || im.Description != "a snapshot" {
		t.Errorf("CreateImage of the server: %+v", im)
	}
	var snap core.Image
	waitFor(t, ctx, "snapshot active", func() (bool, error) {
		snap, err = d.GetImage(ctx, im.ID)
		return err == nil && snap.Status == core.ImageActive, err
	})
	if snap.SizeBytes <= 0 || snap.Type != core.ImageTypeSnapshot || snap.Description != "a snapshot" {
		t.Errorf("active snapshot %+v", snap)
	}
	e = ev.waitMatch(t, ctx, "snapshot to active", func(e core.Event) bool {
		return e.ResourceID == im.ID && e.ToState == string(core.ImageActive)
	})
	if e.Attributes.ImageType != core.ImageTypeSnapshot || e.Attributes.ImageSizeBytes != snap.SizeBytes {
		t.Errorf("snapshot event %+v", e.Attributes)
	}

	// A server booted from the snapshot is billed as one (FromSnapshot).
	s2, err := d.CreateServer(ctx, core.ServerCreate{CreateMeta: core.CreateMeta{ProjectID: srvTestProject, DatacenterID: dc},
		Name: "srvfromsnap-" + d.events.boot, FlavorID: b.small, ImageID: snap.ID, Networks: []core.NetworkAttachment{{NetworkID: b.network}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srvDeleteAndWait(t, context.Background(), d, s2.ID) })
	e = ev.waitMatch(t, ctx, "server from the snapshot to ACTIVE", func(e core.Event) bool {
		return e.ResourceID == s2.ID && e.ToState == string(core.ServerActive)
	})
	if !e.Attributes.FromSnapshot || e.Attributes.ImageID != snap.ID {
		t.Errorf("server from a snapshot: event attributes %+v", e.Attributes)
	}

	// Delete.
	srvDeleteAndWait(t, ctx, d, s.ID)
	ev.waitMatch(t, ctx, "server to DELETED", func(e core.Event) bool {
		return e.ResourceID == s.ID && e.ToState == string(core.ServerDeleted) && e.Attributes.FlavorID == b.small
	})
	wantKind(t, "DeleteServer of a deleted server", d.DeleteServer(ctx, s.ID), core.NotFound)
}

func TestServerUnknownIsNotFound(t *testing.T) {
	d := testDriver(t)
	ctx := testContext(t)
	const id = "00000000-0000-0000-0000-000000000000"
	name := "x"
	_, err := d.GetServer(ctx, id)
	wantKind(t, "GetServer", err, core.NotFound)
	_, err = d.UpdateServer(ctx, id, core.ServerUpdate{Name: &name})
	wantKind(t, "UpdateServer", err, core.NotFound)
	wantKind(t, "DeleteServer", d.DeleteServer(ctx, id), core.NotFound)
	wantKind(t, "StartServer", d.StartServer(ctx, id), core.NotFound)
	wantKind(t, "StopServer", d.StopServer(ctx, id), core.NotFound)
	wantKind(t, "RebootServer", d.RebootServer(ctx, id, core.RebootSoft), core.NotFound)
	wantKind(t, "LiveMigrateServer", d.LiveMigrateServer(ctx, id, "h"), core.NotFound)
	wantKind(t, "ResizeServer", d.ResizeServer(ctx, id, "f"), core.NotFound)
	wantKind(t, "ConfirmResize", d.ConfirmResize(ctx, id), core.NotFound)
	wantKind(t, "RevertResize", d.RevertResize(ctx, id), core.NotFound)
}

// TestServerCreateRefusals: bad references are InvalidArgument, and a
// flavor one vCPU over the project's free quota is QuotaExceeded; none
// leaves a server behind.
func TestServerCreateRefusalsAndQuotaExceeded(t *testing.T) {
	d := testDriver(t)
	ctx := testContext(t)
	b := srvFixture(t, ctx, d)
	const project = "srvquota"
	base := core.ServerCreate{CreateMeta: core.CreateMeta{ProjectID: project, DatacenterID: "nova"},
		Name: "srvquota-" + d.events.boot, FlavorID: b.flavor.ID, ImageID: b.image,
		Networks: []core.NetworkAttachment{{NetworkID: b.network}}}

	r := base
	r.FlavorID = "no-such-flavor"
	_, err := d.CreateServer(ctx, r)
	wantKind(t, "unknown flavor", err, core.InvalidArgument)
	r = base
	r.ImageID = "00000000-0000-0000-0000-000000000000"
	_, err = d.CreateServer(ctx, r)
	wantKind(t, "unknown image", err, core.InvalidArgument)
	r = base
	r.Name = ""
	_, err = d.CreateServer(ctx, r)
	wantKind(t, "no name", err, core.InvalidArgument)

	q, err := d.GetComputeQuota(ctx, "nova", project)
	if err != nil {
		t.Fatal(err)
	}
	vcpus := q.TotalVCPUs - q.UsedVCPUs + 1
	id := "srvflvq-" + d.events.boot
	f, err := d.CreateFlavor(ctx, core.FlavorCreate{ID: id, Name: id, VCPUs: vcpus, MemoryMB: b.flavor.MemoryMB, DiskGB: b.flavor.DiskGB, Public: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.DeleteFlavor(context.Background(), f.ID) })
	r = base
	r.FlavorID = f.ID
	s, err := d.CreateServer(ctx, r)
	if err == nil {
		t.Cleanup(func() { srvDeleteAndWait(t, context.Background(), d, s.ID) })
	}
	wantKind(t, fmt.Sprintf("CreateServer of %d vCPUs with %d of %d used", vcpus, q.UsedVCPUs, q.TotalVCPUs), err, core.QuotaExceeded)
	ss, err := d.ListServers(ctx, core.ListOptions{ProjectID: project})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range ss {
		if x.Name == base.Name {
			t.Errorf("a refused create left server %s", x.ID)
		}
	}
}

// TestServerBootFromVolume boots from an existing bootable volume, with no
// image: Nova's block_device_mapping_v2 with the volume at boot index 0.
// (A new volume from an image, the other source, needs Cinder to copy the
// image, which the test cloud's file-backed Cinder driver does not.)
func TestServerBootFromVolume(t *testing.T) {
	d := testDriver(t)
	ctx := testContext(t)
	b := srvFixture(t, ctx, d)
	v, err := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: core.CreateMeta{ProjectID: srvTestProject, DatacenterID: "nova"},
		Name: "srvboot-" + d.events.boot, SizeGB: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		waitFor(t, ctx, "boot volume detached", func() (bool, error) {
			x, err := d.GetVolume(ctx, v.ID)
			return err == nil && x.Status != core.VolumeInUse && x.Status != core.VolumeDetaching, err
		})
		_ = d.DeleteVolume(ctx, v.ID)
	})
	waitFor(t, ctx, "boot volume available", func() (bool, error) {
		x, err := d.GetVolume(ctx, v.ID)
		if err == nil && x.Status == core.VolumeError {
			return false, fmt.Errorf("volume %s is in error", v.ID)
		}
		return err == nil && x.Status == core.VolumeAvailable, err
	})
	if err := volumes.SetBootable(ctx, d.admin.volume, v.ID, volumes.BootableOpts{Bootable: true}).ExtractErr(); err != nil {
		t.Fatal(err)
	}
	s, err := d.CreateServer(ctx, core.ServerCreate{CreateMeta: core.CreateMeta{ProjectID: srvTestProject, DatacenterID: "nova"},
		Name: "srvboot-" + d.events.boot, FlavorID: b.flavor.ID, Networks: []core.NetworkAttachment{{NetworkID: b.network}},
		BlockDevices: []core.BlockDevice{{SourceType: core.SourceVolume, UUID: v.ID, DeviceName: "/dev/vda"}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srvDeleteAndWait(t, context.Background(), d, s.ID) })
	s = srvWaitStatus(t, ctx, d, s.ID, core.ServerActive, nil)
	if s.ImageID != "" || !slices.Equal(s.VolumeIDs, []string{v.ID}) {
		t.Errorf("server booted from volume %s: image %q, volumes %v", v.ID, s.ImageID, s.VolumeIDs)
	}
}

// TestServerDefaultNetwork: a server created without a network gets the
// project's own private network, else a shared one ("private", which the
// service project owns and shares).
func TestServerDefaultNetwork(t *testing.T) {
	d := testDriver(t)
	ctx := testContext(t)
	b := srvFixture(t, ctx, d)
	s, err := d.CreateServer(ctx, core.ServerCreate{CreateMeta: core.CreateMeta{ProjectID: srvTestProject, DatacenterID: "nova"},
		Name: "srvnonet-" + d.events.boot, FlavorID: b.flavor.ID, ImageID: b.image})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srvDeleteAndWait(t, context.Background(), d, s.ID) })
	s = srvWaitStatus(t, ctx, d, s.ID, core.ServerActive, func(s core.Server) bool { return len(s.Addresses) > 0 })
	if a := s.Addresses[0]; a.NetworkID != b.network || a.Kind != core.AddressPrivate {
		t.Errorf("server without a network named: address %+v, want one on %s", a, b.network)
	}
}

// TestServerSecurityGroups: the groups a create names are the server's
// (Nova answers with names; the driver shows the ports' group ids).
func TestServerSecurityGroups(t *testing.T) {
	d := testDriver(t)
	ctx := testContext(t)
	b := srvFixture(t, ctx, d)
	g, err := d.CreateSecurityGroup(ctx, core.SecurityGroupCreate{CreateMeta: core.CreateMeta{ProjectID: srvTestProject},
		Name: "srvsg-" + d.events.boot})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.DeleteSecurityGroup(context.Background(), g.ID) })
	s, err := d.CreateServer(ctx, core.ServerCreate{CreateMeta: core.CreateMeta{ProjectID: srvTestProject, DatacenterID: "nova"},
		Name: "srvsg-" + d.events.boot, FlavorID: b.flavor.ID, ImageID: b.image,
		Networks: []core.NetworkAttachment{{NetworkID: b.network}}, SecurityGroupIDs: []string{g.ID}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srvDeleteAndWait(t, context.Background(), d, s.ID) })
	s = srvWaitStatus(t, ctx, d, s.ID, core.ServerActive, func(s core.Server) bool { return len(s.Addresses) > 0 })
	if !slices.Equal(s.SecurityGroupIDs, []string{g.ID}) {
		t.Errorf("security groups %v, want [%s]", s.SecurityGroupIDs, g.ID)
	}
}

// TestServerBlockDevicesMapping: core's block devices in Nova's terms.
func TestServerBlockDevicesMapping(t *testing.T) {
	got := blockDevices(core.ServerCreate{BlockDevices: []core.BlockDevice{
		{SourceType: core.SourceImage, UUID: "img", SizeGB: 2, DeviceName: "/dev/vda"},
		{SourceType: core.SourceVolume, UUID: "vol"},
	}})
	if len(got) != 2 || got[0]["boot_index"] != 0 || got[0]["source_type"] != "image" || got[0]["volume_size"] != int64(2) ||
		got[0]["delete_on_termination"] != true || got[0]["device_name"] != "/dev/vda" ||
		got[1]["boot_index"] != -1 || got[1]["delete_on_termination"] != false || got[1]["destination_type"] != "volume" {
		t.Errorf("without an image: %v", got)
	}
	got = blockDevices(core.ServerCreate{ImageID: "img", BlockDevices: []core.BlockDevice{{SourceType: core.SourceSnapshot, UUID: "snap", SizeGB: 1}}})
	if len(got) != 2 || got[0]["destination_type"] != "local" || got[0]["uuid"] != "img" || got[0]["boot_index"] != 0 ||
		got[1]["source_type"] != "snapshot" || got[1]["boot_index"] != -1 {
		t.Errorf("with an image: %v", got)
	}
	if got := blockDevices(core.ServerCreate{ImageID: "img"}); got != nil {
		t.Errorf("no block devices: %v", got)
	}
}

// TestServerConcurrentCreatesOfOneToken make one server.
func TestServerConcurrentCreatesOfOneToken(t *testing.T) {
	d := testDriver(t)
	ctx := testContext(t)
	b := srvFixture(t, ctx, d)
	req := core.ServerCreate{CreateMeta: core.CreateMeta{ProjectID: srvTestProject, DatacenterID: "nova", ClientToken: "srvconc-" + d.events.boot},
		Name: "srvconc-" + d.events.boot, FlavorID: b.flavor.ID, ImageID: b.image, Networks: []core.NetworkAttachment{{NetworkID: b.network}}}
	ids := make([]string, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := d.CreateServer(ctx, req)
			ids[i], errs[i] = s.ID, err
		}()
	}
	wg.Wait()
	for i := range ids {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if i == 0 || ids[i] != ids[0] {
			t.Cleanup(func() { srvDeleteAndWait(t, context.Background(), d, ids[i]) })
		}
		if ids[i] != ids[0] {
			t.Errorf("creates of one token made servers %v", ids)
		}
	}
}
