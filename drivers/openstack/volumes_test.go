package openstack

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/attachments"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	"github.com/gophercloud/gophercloud/v2/openstack/image/v2/images"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/networks"

	"github.com/gisiaas/gisiaas/core"
)

// volTestProject is the gisiaas project the storage tests create in: one
// fixed name, so that reruns reuse its OpenStack project.
const volTestProject = "voltest"

// volWaitFor polls cond until it is true, fails the test on its error or
// when timeout passes.
func volWaitFor(t *testing.T, what string, timeout time.Duration, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := cond()
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: still not after %s", what, timeout)
		}
		<-tick.C
	}
}

// volWatchFor returns the first event (retained or new) match accepts.
func volWatchFor(t *testing.T, d *Driver, what string, match func(core.Event) bool) core.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var found core.Event
	stop := errors.New("found")
	err := d.Watch(ctx, "", func(ev core.Event) error {
		if match(ev) {
			found = ev
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("no event of %s: %v", what, err)
	}
	if found.ID == "" || found.Cursor == "" || found.DatacenterID == "" || found.Time.Location() != time.UTC {
		t.Fatalf("event of %s: %+v lacks an id, a cursor, a datacenter or a UTC time", what, found)
	}
	return found
}

// volWaitStatus polls volume id until it reaches want (error fails).
func volWaitStatus(t *testing.T, d *Driver, id string, want core.VolumeStatus) core.Volume {
	t.Helper()
	var v core.Volume
	volWaitFor(t, "volume "+id+" "+string(want), 3*time.Minute, func() (bool, error) {
		var err error
		v, err = d.GetVolume(testContext(t), id)
		if err == nil && v.Status == core.VolumeError && want != core.VolumeError {
			err = fmt.Errorf("volume went to error (%s)", v.NativeStatus)
		}
		return err == nil && v.Status == want, err
	})
	return v
}

// volNew creates a volume of size GB in project and deletes it (detached,
// then snapshots gone first) when the test ends.
func volNew(t *testing.T, d *Driver, project string, size int64) core.Volume {
	t.Helper()
	v, err := d.CreateVolume(testContext(t), core.VolumeCreate{CreateMeta: core.CreateMeta{ProjectID: project, DatacenterID: "nova"},
		Name: "voltest-" + t.Name(), SizeGB: size})
	if err != nil {
		t.Fatalf("CreateVolume: %v", err)
	}
	volCleanup(t, d, v.ID)
	return v
}

// volCleanup detaches and deletes volume id when the test ends, waiting
// until it is gone.
func volCleanup(t *testing.T, d *Driver, id string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		for ctx.Err() == nil {
			v, err := d.GetVolume(ctx, id)
			if core.KindOf(err) == core.NotFound {
				return
			}
			if err == nil {
				switch {
				case v.Status == core.VolumeInUse:
					for _, a := range v.Attachments {
						_, _ = d.DetachVolume(ctx, id, a.ServerID)
					}
				case v.Status == core.VolumeAvailable || v.Status == core.VolumeError:
					_ = d.DeleteVolume(ctx, id)
				}
			}
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
		t.Errorf("cleanup: volume %s still there", id)
	})
}

// volServer boots a server of the service project on the fake hypervisor
// (flavor 1, image tiny, network private), ACTIVE, deleted when the test
// ends. The compute part of the driver is written elsewhere, so this uses
// gophercloud directly.
func volServer(t *testing.T, d *Driver, name string) *servers.Server {
	t.Helper()
	ctx := testContext(t)
	ip, err := images.List(d.admin.image, images.ListOpts{Name: "tiny"}).AllPages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ims, err := images.ExtractImages(ip)
	if err != nil || len(ims) == 0 {
		t.Fatalf("image tiny: %v (%d)", err, len(ims))
	}
	np, err := networks.List(d.admin.network, networks.ListOpts{Name: "private"}).AllPages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ns, err := networks.ExtractNetworks(np)
	if err != nil || len(ns) == 0 {
		t.Fatalf("network private: %v (%d)", err, len(ns))
	}
	s, err := servers.Create(ctx, d.admin.compute, servers.CreateOpts{Name: name, FlavorRef: "1", ImageRef: ims[0].ID,
		Networks: []servers.Network{{UUID: ns[0].ID}}}, nil).Extract()
	if err != nil {
		t.Fatalf("boot server: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		_ = servers.Delete(ctx, d.admin.compute, s.ID).ExtractErr()
		for ctx.Err() == nil {
			if _, err := servers.Get(ctx, d.admin.compute, s.ID).Extract(); err != nil {
				return
			}
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	})
	volWaitFor(t, "server "+s.ID+" ACTIVE", 3*time.Minute, func() (bool, error) {
		g, err := servers.Get(ctx, d.admin.compute, s.ID).Extract()
		if err == nil && g.Status == "ERROR" {
			err = errors.New("server went to ERROR")
		}
		if err == nil {
			s = g
		}
		return err == nil && g.Status == "ACTIVE", err
	})
	return s
}

func TestVolumeLifecycle(t *testing.T) {
	d := testDriver(t)
	ctx := testContext(t)
	token := "voltest-" + d.events.boot
	req := core.VolumeCreate{CreateMeta: core.CreateMeta{ProjectID: volTestProject, DatacenterID: "nova", ClientToken: token,
		Tags: map[string]string{"run": d.events.boot}}, Name: "voltest-life", Description: "lifecycle", SizeGB: 1}
	c, err := d.CreateVolume(ctx, req)
	if err != nil {
		t.Fatalf("CreateVolume: %v", err)
	}
	volCleanup(t, d, c.ID)
	again, err := d.CreateVolume(ctx, req)
	if err != nil || again.ID != c.ID {
		t.Fatalf("CreateVolume with the same token: %s, %v; want %s", again.ID, err, c.ID)
	}
	v := volWaitStatus(t, d, c.ID, core.VolumeAvailable)
	if v.Name != req.Name || v.Description != "lifecycle" || v.SizeGB != 1 || v.VolumeType == "" || v.Shareable ||
		v.Attachments == nil || len(v.Attachments) != 0 || v.NativeStatus != "available" {
		t.Errorf("volume: %+v", v)
	}
	if v.ProjectID != volTestProject || v.DatacenterID != "nova" || v.Tags["run"] != d.events.boot ||
		v.CreatedAt.Location() != time.UTC || v.CreatedAt.IsZero() || v.UpdatedAt.Before(v.CreatedAt) {
		t.Errorf("meta: %+v", v.Meta)
	}

	list, err := d.ListVolumes(ctx, core.ListOptions{ProjectID: volTestProject, DatacenterID: "nova"})
	if err != nil {
		t.Fatal(err)
	}
	if !volHas(list, v.ID) {
		t.Errorf("ListVolumes(project, nova) lacks %s", v.ID)
	}
	for _, o := range []core.ListOptions{{ProjectID: volTestProject, DatacenterID: "elsewhere"}, {ProjectID: "voltest-none-" + d.events.boot}} {
		l, err := d.ListVolumes(ctx, o)
		if err != nil || l == nil || volHas(l, v.ID) {
			t.Errorf("ListVolumes(%+v) = %d volumes, %v; want a list without %s", o, len(l), err, v.ID)
		}
	}

	first := volWatchFor(t, d, "the creation", func(ev core.Event) bool {
		return ev.ResourceType == core.TypeVolume && ev.ResourceID == v.ID && ev.FromState == ""
	})
	if first.ProjectID != volTestProject || first.Attributes.SizeGB != 1 || first.Attributes.VolumeType != v.VolumeType {
		t.Errorf("first event: %+v", first)
	}
	volWatchFor(t, d, "available", func(ev core.Event) bool {
		return ev.ResourceType == core.TypeVolume && ev.ResourceID == v.ID && ev.ToState == "available" && ev.Attributes.SizeGB == 1
	})

	_, err = d.ExtendVolume(ctx, v.ID, 1)
	wantKind(t, "extend to the same size", err, core.InvalidArgument)
	x, err := d.ExtendVolume(ctx, v.ID, 2)
	if err != nil {
		t.Fatalf("ExtendVolume: %v", err)
	}
	if x.SizeGB != 2 {
		t.Errorf("ExtendVolume answered %d GB, want 2", x.SizeGB)
	}
	volWaitFor(t, "2 GB available", 2*time.Minute, func() (bool, error) {
		g, err := d.GetVolume(ctx, v.ID)
		return err == nil && g.Status == core.VolumeAvailable && g.SizeGB == 2, err
	})
	volWatchFor(t, d, "the new size", func(ev core.Event) bool {
		return ev.ResourceType == core.TypeVolume && ev.ResourceID == v.ID && ev.ToState == "available" && ev.Attributes.SizeGB == 2
	})
	_, err = d.ExtendVolume(ctx, v.ID, 1)
	wantKind(t, "extend to a smaller size", err, core.InvalidArgument)

	if err := d.DeleteVolume(ctx, v.ID); err != nil {
		t.Fatalf("DeleteVolume: %v", err)
	}
	volWaitFor(t, "volume gone", 2*time.Minute, func() (bool, error) {
		_, err := d.GetVolume(ctx, v.ID)
		if core.KindOf(err) == core.NotFound {
			return true, nil
		}
		return false, err
	})
	last := volWatchFor(t, d, "the deletion", func(ev core.Event) bool {
		return ev.ResourceType == core.TypeVolume && ev.ResourceID == v.ID && ev.ToState == string(core.VolumeDeleted)
	})
	if last.FromState == "" || last.Attributes.SizeGB != 2 {
		t.Errorf("deletion event: %+v", last)
	}
	wantKind(t, "delete it again", d.DeleteVolume(ctx, v.ID), core.NotFound)
}

func volHas(vs []core.Volume, id string) bool {
	for _, v := range vs {
		if v.ID == id {
			return true
		}
	}
	return false
}

func TestVolumeInvalidRequests(t *testing.T) {
	d := testDriver(t)
	ctx := testContext(t)
	m := core.CreateMeta{ProjectID: volTestProject, DatacenterID: "nova"}
	_, err := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: m, Name: "voltest-zero"})
	wantKind(t, "a volume of 0 GB", err, core.InvalidArgument)
	v, err := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: m, Name: "voltest-type", SizeGB: 1, VolumeType: "no-such-type"})
	if err == nil {
		volCleanup(t, d, v.ID)
	}
	wantKind(t, "a volume of an unknown type", err, core.InvalidArgument)
	v, err = d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: m, Name: "voltest-shared", SizeGB: 1, Shareable: true})
	if err == nil {
		volCleanup(t, d, v.ID)
	}
	wantKind(t, "a shareable volume of a type without multiattach", err, core.InvalidArgument)
	v, err = d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: core.CreateMeta{ProjectID: volTestProject, DatacenterID: "no-such-zone"},
		Name: "voltest-zone", SizeGB: 1})
	if err == nil {
		volCleanup(t, d, v.ID)
	}
	wantKind(t, "a volume in an unknown zone", err, core.InvalidArgument)
	for name, err := range map[string]error{
		"get":    func() error { _, err := d.GetVolume(ctx, "00000000-0000-0000-0000-000000000000"); return err }(),
		"delete": d.DeleteVolume(ctx, "00000000-0000-0000-0000-000000000000"),
		"detach": func() error { _, err := d.DetachVolume(ctx, "00000000-0000-0000-0000-000000000000", "x"); return err }(),
		"extend": func() error { _, err := d.ExtendVolume(ctx, "00000000-0000-0000-0000-000000000000", 2); return err }(),
		"attach": func() error {
			_, err := d.AttachVolume(ctx, "00000000-0000-0000-0000-000000000000", core.VolumeAttach{ServerID: "x"})
			return err
		}(),
	} {
		wantKind(t, name+" an unknown volume", err, core.NotFound)
	}
}

func TestVolumeQuota(t *testing.T) {
	d := testDriver(t)
	ctx := testContext(t)
	fresh, err := d.GetVolumeQuota(ctx, "nova", "voltest-none-"+d.events.boot)
	if err != nil {
		t.Fatalf("GetVolumeQuota of a project never used: %v", err)
	}
	if fresh.UsedGB != 0 || fresh.UsedVolumes != 0 || fresh.TotalGB == 0 || fresh.TotalVolumes == 0 || fresh.DatacenterID != "nova" {
		t.Errorf("a project never used: %+v; want the defaults, nothing used", fresh)
	}
	if _, ok, _ := d.projects.find(ctx, "voltest-none-"+d.events.boot); ok {
		t.Errorf("GetVolumeQuota created a project")
	}
	_, err = d.GetVolumeQuota(ctx, "no-such-zone", volTestProject)
	wantKind(t, "the quota of an unknown datacenter", err, core.InvalidArgument)

	before, err := d.GetVolumeQuota(ctx, "nova", volTestProject)
	if err != nil {
		t.Fatal(err)
	}
	if before.ProjectID != volTestProject || before.DatacenterID != "nova" {
		t.Errorf("quota: %+v", before)
	}
	volNew(t, d, volTestProject, 1)
	volWaitFor(t, "the quota to count the volume", time.Minute, func() (bool, error) {
		after, err := d.GetVolumeQuota(ctx, "nova", volTestProject)
		return err == nil && after.UsedGB-before.UsedGB == 1 && after.UsedVolumes-before.UsedVolumes == 1, err
	})
}

// TestVolumeAttachDetach attaches through Nova and checks the conflicts
// around it.
func TestVolumeAttachDetach(t *testing.T) {
	d := testDriver(t)
	ctx := testContext(t)
	s := volServer(t, d, "voltest-attach")
	v := volNew(t, d, "", 1)
	volWaitStatus(t, d, v.ID, core.VolumeAvailable)

	_, err := d.AttachVolume(ctx, v.ID, core.VolumeAttach{ServerID: "00000000-0000-0000-0000-000000000000"})
	wantKind(t, "attach to an unknown server", err, core.InvalidArgument)
	_, err = d.AttachVolume(ctx, v.ID, core.VolumeAttach{ServerID: s.ID, ServerName: "not-" + s.Name})
	wantKind(t, "attach naming the server wrongly", err, core.InvalidArgument)

	if _, err := d.AttachVolume(ctx, v.ID, core.VolumeAttach{ServerID: s.ID, ServerName: s.Name}); err != nil {
		t.Fatalf("AttachVolume: %v", err)
	}
	a := volWaitStatus(t, d, v.ID, core.VolumeInUse)
	if len(a.Attachments) != 1 || a.Attachments[0].ServerID != s.ID || a.Attachments[0].Mode != "rw" ||
		a.Attachments[0].Mountpoint == "" || a.Attachments[0].AttachedAt.IsZero() || a.Attachments[0].AttachedAt.Location() != time.UTC {
		t.Errorf("attachments: %+v", a.Attachments)
	}
	ev := volWatchFor(t, d, "in-use", func(ev core.Event) bool {
		return ev.ResourceType == core.TypeVolume && ev.ResourceID == v.ID && ev.ToState == string(core.VolumeInUse)
	})
	if ev.Attributes.ServerID != s.ID || ev.Attributes.SizeGB != 1 || ev.FromState == "" {
		t.Errorf("in-use event: %+v", ev)
	}
	other := volServer(t, d, "voltest-attach-other")
	_, err = d.AttachVolume(ctx, v.ID, core.VolumeAttach{ServerID: other.ID})
	wantKind(t, "attach an in-use volume to a second server", err, core.Conflict)

	wantKind(t, "delete an attached volume", d.DeleteVolume(ctx, v.ID), core.Conflict)
	// An attached volume grows too (Cinder 3.42 tells Nova).
	if _, err := d.ExtendVolume(ctx, v.ID, 2); err != nil {
		t.Fatalf("ExtendVolume in-use: %v", err)
	}
	volWaitFor(t, "in-use at 2 GB", 2*time.Minute, func() (bool, error) {
		g, err := d.GetVolume(ctx, v.ID)
		if err == nil && g.Status == core.VolumeError {
			err = fmt.Errorf("volume went to error (%s)", g.NativeStatus)
		}
		return err == nil && g.Status == core.VolumeInUse && g.SizeGB == 2 && len(g.Attachments) == 1, err
	})
	_, err = d.AttachVolume(ctx, v.ID, core.VolumeAttach{ServerID: s.ID})
	wantKind(t, "attach to the same server again", err, core.Conflict)
	_, err = d.DetachVolume(ctx, v.ID, "00000000-0000-0000-0000-000000000000")
	wantKind(t, "detach from a server it is not attached to", err, core.Conflict)

	if _, err := d.DetachVolume(ctx, v.ID, s.ID); err != nil {
		t.Fatalf("DetachVolume: %v", err)
	}
	g := volWaitStatus(t, d, v.ID, core.VolumeAvailable)
	if len(g.Attachments) != 0 {
		t.Errorf("detached volume's attachments: %+v", g.Attachments)
	}
	volWatchFor(t, d, "the detach", func(ev core.Event) bool {
		return ev.ResourceType == core.TypeVolume && ev.ResourceID == v.ID && ev.FromState != "" &&
			ev.ToState == string(core.VolumeAvailable) && ev.Time.After(a.UpdatedAt.Add(-time.Second)) && ev.Attributes.ServerID == ""
	})
	_, err = d.DetachVolume(ctx, v.ID, s.ID)
	wantKind(t, "detach a detached volume", err, core.Conflict)

	// Read-only: Cinder's read-only flag decides the attachment's mode.
	if _, err := d.AttachVolume(ctx, v.ID, core.VolumeAttach{ServerID: s.ID, Mode: "ro"}); err != nil {
		t.Fatalf("AttachVolume ro: %v", err)
	}
	ro := volWaitStatus(t, d, v.ID, core.VolumeInUse)
	if len(ro.Attachments) != 1 || ro.Attachments[0].Mode != "ro" {
		t.Errorf("read-only attachment: %+v", ro.Attachments)
	}
	if _, err := d.DetachVolume(ctx, v.ID, s.ID); err != nil {
		t.Fatalf("DetachVolume ro: %v", err)
	}
	volWaitStatus(t, d, v.ID, core.VolumeAvailable)
}

// volCinderAttach attaches volume id in Cinder alone (the attachment API a
// hypervisor's host uses), to an instance id Cinder does not check: the
// volume is in-use without Nova. Detached when the test ends.
func volCinderAttach(t *testing.T, d *Driver, id, instance, mode string) {
	t.Helper()
	ctx := testContext(t)
	a, err := attachments.Create(ctx, d.admin.volume, attachments.CreateOpts{VolumeUUID: id, InstanceUUID: instance, Mode: mode,
		Connector: map[string]any{"host": "vm", "initiator": "iqn.2026-12.test:vm", "ip": "127.0.0.1", "platform": "x86_64", "os_type": "linux", "multipath": false}}).Extract()
	if err != nil {
		t.Fatalf("Cinder attachment: %v", err)
	}
	t.Cleanup(func() { _ = attachments.Delete(context.Background(), d.admin.volume, a.ID).ExtractErr() })
	if err := attachments.Complete(ctx, d.admin.volume, a.ID).ExtractErr(); err != nil {
		t.Fatalf("complete the Cinder attachment: %v", err)
	}
}

// TestVolumeInUse checks what an in-use volume refuses and allows, with the
// volume attached in Cinder directly, so it does not depend on Nova.
func TestVolumeInUse(t *testing.T) {
	d := testDriver(t)
	ctx := testContext(t)
	v := volNew(t, d, volTestProject, 1)
	volWaitStatus(t, d, v.ID, core.VolumeAvailable)
	instance := "11111111-2222-4333-8444-" + d.events.boot
	volCinderAttach(t, d, v.ID, instance, "ro")
	u := volWaitStatus(t, d, v.ID, core.VolumeInUse)
	if len(u.Attachments) != 1 || u.Attachments[0].ServerID != instance || u.Attachments[0].Mode != "ro" ||
		u.Attachments[0].AttachedAt.IsZero() || u.Attachments[0].AttachedAt.Location() != time.UTC {
		t.Errorf("attachments: %+v", u.Attachments)
	}
	ev := volWatchFor(t, d, "in-use", func(ev core.Event) bool {
		return ev.ResourceType == core.TypeVolume && ev.ResourceID == v.ID && ev.ToState == string(core.VolumeInUse)
	})
	if ev.Attributes.ServerID != instance || ev.ProjectID != volTestProject {
		t.Errorf("in-use event: %+v", ev)
	}

	wantKind(t, "delete an in-use volume", d.DeleteVolume(ctx, v.ID), core.Conflict)
	_, err := d.DetachVolume(ctx, v.ID, "00000000-0000-0000-0000-000000000000")
	wantKind(t, "detach from a server it is not attached to", err, core.Conflict)
	_, err = d.AttachVolume(ctx, v.ID, core.VolumeAttach{ServerID: "00000000-0000-0000-0000-000000000000"})
	wantKind(t, "attach to an unknown server", err, core.InvalidArgument)

	m := core.CreateMeta{ProjectID: volTestProject}
	_, err = d.CreateVolumeSnapshot(ctx, core.VolumeSnapshotCreate{CreateMeta: m, VolumeID: v.ID})
	wantKind(t, "snapshot an in-use volume without force", err, core.Conflict)
	s, err := d.CreateVolumeSnapshot(ctx, core.VolumeSnapshotCreate{CreateMeta: m, VolumeID: v.ID, Force: true})
	if err != nil {
		t.Fatalf("snapshot an in-use volume with force: %v", err)
	}
	snapCleanup(t, d, s.ID)
	snapWaitStatus(t, d, s.ID, core.SnapshotAvailable)

	b, err := d.CreateBackup(ctx, core.BackupCreate{CreateMeta: m, VolumeID: v.ID})
	if err != nil {
		t.Fatalf("back an in-use volume up: %v", err)
	}
	backupCleanup(t, d, b.ID)
	if full := backupWaitStatus(t, d, b.ID, core.SnapshotAvailable); full.Kind != core.BackupFull {
		t.Errorf("backup of an in-use volume: %+v", full)
	}
	// Back to in-use once the backup is done, and still attached.
	if g := volWaitStatus(t, d, v.ID, core.VolumeInUse); len(g.Attachments) != 1 {
		t.Errorf("after the backup: %+v", g)
	}
}

// TestVolumeCinderQuery checks the list filters gophercloud lacks, spelled
// as Cinder parses them.
func TestVolumeCinderQuery(t *testing.T) {
	q, err := scope("p1").withMetadata(metaToken, "gisiaas-ct-abc").ToVolumeListQuery()
	if err != nil {
		t.Fatal(err)
	}
	want := "?all_tenants=1&metadata=%7B%27gisiaas%3Atoken%27%3A%27gisiaas-ct-abc%27%7D&project_id=p1"
	if q != want {
		t.Errorf("query %s, want %s", q, want)
	}
	if q, _ := (cinderQuery{}).ToBackupListDetailQuery(); q != "" {
		t.Errorf("empty query %q", q)
	}
	if q, _ := scope("").ToSnapshotListQuery(); q != "?all_tenants=1" {
		t.Errorf("every project: %q", q)
	}
}

// TestVolumeTokenLocks checks that one token's creates run one at a time
// and that the lock table empties.
func TestVolumeTokenLocks(t *testing.T) {
	k := keyedLocks{m: map[string]*keyedLock{}}
	var mu sync.Mutex
	inside, most := 0, 0
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock := k.lock("t")
			mu.Lock()
			inside++
			most = max(most, inside)
			mu.Unlock()
			runtime.Gosched() // let another holder in, were the lock broken
			mu.Lock()
			inside--
			mu.Unlock()
			unlock()
		}()
	}
	wg.Wait()
	if most != 1 {
		t.Errorf("%d creates of one token ran at once", most)
	}
	k.lock("")() // no token: nothing to lock
	if len(k.m) != 0 {
		t.Errorf("lock table keeps %d entries", len(k.m))
	}
}

// TestVolumeAttachModeFlag checks the mode a new attachment gets.
func TestVolumeAttachModeFlag(t *testing.T) {
	for _, c := range []struct {
		md   map[string]string
		want string
	}{
		{nil, "rw"},
		{map[string]string{"readonly": "True"}, "ro"},
		{map[string]string{"readonly": "False"}, "rw"},
		{map[string]string{"attached_mode": "ro"}, "rw"},
	} {
		if got := volumeAttachMode(c.md); got != c.want {
			t.Errorf("%v: %s, want %s", c.md, got, c.want)
		}
	}
}

// TestVolumeFromImage creates a volume from the image tiny: it names the
// image from the create's answer on.
func TestVolumeFromImage(t *testing.T) {
	d := testDriver(t)
	ctx := testContext(t)
	ip, err := images.List(d.admin.image, images.ListOpts{Name: "tiny"}).AllPages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ims, err := images.ExtractImages(ip)
	if err != nil || len(ims) == 0 {
		t.Fatalf("image tiny: %v (%d)", err, len(ims))
	}
	m := core.CreateMeta{ProjectID: volTestProject}
	_, err = d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: m, SizeGB: 1, ImageID: "00000000-0000-0000-0000-000000000000"})
	wantKind(t, "a volume from an unknown image", err, core.InvalidArgument)
	c, err := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: m, Name: "voltest-fromimage", SizeGB: 1, ImageID: ims[0].ID})
	if err != nil {
		t.Fatalf("CreateVolume from an image: %v", err)
	}
	volCleanup(t, d, c.ID)
	if c.ImageID != ims[0].ID {
		t.Errorf("create answered image %q, want %s", c.ImageID, ims[0].ID)
	}
	if v := volWaitStatus(t, d, c.ID, core.VolumeAvailable); v.ImageID != ims[0].ID {
		t.Errorf("volume from an image: %+v", v)
	}
}

// TestVolumeConcurrentToken checks that concurrent creates with one client
// token make one volume.
func TestVolumeConcurrentToken(t *testing.T) {
	d := testDriver(t)
	req := core.VolumeCreate{CreateMeta: core.CreateMeta{ProjectID: volTestProject, ClientToken: "voltest-race-" + d.events.boot},
		Name: "voltest-race", SizeGB: 1}
	ids := make([]string, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := d.CreateVolume(testContext(t), req)
			ids[i], errs[i] = v.ID, err
		}()
	}
	wg.Wait()
	for i := range ids {
		if errs[i] != nil {
			t.Fatalf("create %d: %v", i, errs[i])
		}
		volCleanup(t, d, ids[i])
		if ids[i] != ids[0] {
			t.Errorf("creates with one token made %s and %s", ids[0], ids[i])
		}
	}
}
