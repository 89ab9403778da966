package openstack

import (
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// snapWaitStatus polls snapshot id until it reaches want (error fails).
func snapWaitStatus(t *testing.T, d *Driver, id string, want core.SnapshotStatus) core.VolumeSnapshot {
	t.Helper()
	var s core.VolumeSnapshot
	volWaitFor(t, "snapshot "+id+" "+string(want), 3*time.Minute, func() (bool, error) {
		var err error
		s, err = d.GetVolumeSnapshot(testContext(t), id)
		if err == nil && s.Status == core.SnapshotError && want != core.SnapshotError {
			t.Fatalf("snapshot %s went to error (%s)", id, s.NativeStatus)
		}
		return err == nil && s.Status == want, err
	})
	return s
}

// snapCleanup deletes snapshot id when the test ends (before its volume,
// registered earlier), waiting until it is gone.
func snapCleanup(t *testing.T, d *Driver, id string) {
	t.Cleanup(func() {
		ctx := testContext(t)
		deadline := time.Now().Add(3 * time.Minute)
		for time.Now().Before(deadline) {
			s, err := d.GetVolumeSnapshot(ctx, id)
			if core.KindOf(err) == core.NotFound {
				return
			}
			if err == nil && (s.Status == core.SnapshotAvailable || s.Status == core.SnapshotError) {
				_ = d.DeleteVolumeSnapshot(ctx, id)
			}
			<-time.After(time.Second)
		}
		t.Errorf("cleanup: snapshot %s still there", id)
	})
}

func TestVolumeSnapshotLifecycle(t *testing.T) {
	d := testDriver(t)
	ctx := testContext(t)
	v := volNew(t, d, volTestProject, 1)
	volWaitStatus(t, d, v.ID, core.VolumeAvailable)

	m := core.CreateMeta{ProjectID: volTestProject, ClientToken: "snaptest-" + d.events.boot, Tags: map[string]string{"run": d.events.boot}}
	_, err := d.CreateVolumeSnapshot(ctx, core.VolumeSnapshotCreate{CreateMeta: m, VolumeID: "00000000-0000-0000-0000-000000000000"})
	wantKind(t, "snapshot an unknown volume", err, core.InvalidArgument)
	_, err = d.CreateVolumeSnapshot(ctx, core.VolumeSnapshotCreate{CreateMeta: core.CreateMeta{ProjectID: volTestProject, DatacenterID: "elsewhere"},
		VolumeID: v.ID})
	wantKind(t, "snapshot into another datacenter", err, core.InvalidArgument)

	req := core.VolumeSnapshotCreate{CreateMeta: m, VolumeID: v.ID, Name: "voltest-snap", Description: "snap"}
	c, err := d.CreateVolumeSnapshot(ctx, req)
	if err != nil {
		t.Fatalf("CreateVolumeSnapshot: %v", err)
	}
	snapCleanup(t, d, c.ID)
	again, err := d.CreateVolumeSnapshot(ctx, req)
	if err != nil || again.ID != c.ID {
		t.Fatalf("CreateVolumeSnapshot with the same token: %s, %v; want %s", again.ID, err, c.ID)
	}
	s := snapWaitStatus(t, d, c.ID, core.SnapshotAvailable)
	if s.VolumeID != v.ID || s.SizeGB != 1 || s.Name != req.Name || s.Description != "snap" || s.NativeStatus != "available" {
		t.Errorf("snapshot: %+v", s)
	}
	if s.ProjectID != volTestProject || s.DatacenterID != "nova" || s.Tags["run"] != d.events.boot || s.CreatedAt.Location() != time.UTC {
		t.Errorf("snapshot meta: %+v", s.Meta)
	}
	list, err := d.ListVolumeSnapshots(ctx, core.ListOptions{ProjectID: volTestProject, DatacenterID: "nova"})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, x := range list {
		found = found || x.ID == s.ID
	}
	if !found {
		t.Errorf("ListVolumeSnapshots lacks %s", s.ID)
	}
	if l, err := d.ListVolumeSnapshots(ctx, core.ListOptions{ProjectID: "voltest-none-" + d.events.boot}); err != nil || l == nil || len(l) != 0 {
		t.Errorf("snapshots of a project never used: %v, %v", l, err)
	}
	ev := volWatchFor(t, d, "snapshot available", func(ev core.Event) bool {
		return ev.ResourceType == core.TypeVolumeSnapshot && ev.ResourceID == s.ID && ev.ToState == string(core.SnapshotAvailable)
	})
	if ev.Attributes.SizeGB != 1 || ev.ProjectID != volTestProject || ev.FromState == "" {
		t.Errorf("snapshot event: %+v", ev)
	}

	wantKind(t, "delete a volume with a snapshot", d.DeleteVolume(ctx, v.ID), core.Conflict)

	// A volume from the snapshot names it as its source.
	_, err = d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: core.CreateMeta{ProjectID: volTestProject}, SizeGB: 1,
		SnapshotID: "00000000-0000-0000-0000-000000000000"})
	wantKind(t, "a volume from an unknown snapshot", err, core.InvalidArgument)
	fc, err := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: core.CreateMeta{ProjectID: volTestProject}, Name: "voltest-fromsnap",
		SizeGB: 2, SnapshotID: s.ID})
	if err != nil {
		t.Fatalf("CreateVolume from snapshot: %v", err)
	}
	volCleanup(t, d, fc.ID)
	if from := volWaitStatus(t, d, fc.ID, core.VolumeAvailable); from.SnapshotID != s.ID || from.SizeGB != 2 || from.DatacenterID != "nova" {
		t.Errorf("volume from snapshot: %+v", from)
	}
	if err := d.DeleteVolume(ctx, fc.ID); err != nil {
		t.Fatalf("DeleteVolume from snapshot: %v", err)
	}
	if err := d.DeleteVolumeSnapshot(ctx, s.ID); err != nil {
		t.Fatalf("DeleteVolumeSnapshot: %v", err)
	}
	volWaitFor(t, "snapshot gone", 2*time.Minute, func() (bool, error) {
		_, err := d.GetVolumeSnapshot(ctx, s.ID)
		if core.KindOf(err) == core.NotFound {
			return true, nil
		}
		return false, err
	})
	volWatchFor(t, d, "snapshot deleted", func(ev core.Event) bool {
		return ev.ResourceType == core.TypeVolumeSnapshot && ev.ResourceID == s.ID && ev.ToState == string(core.SnapshotDeleted)
	})
	wantKind(t, "delete it again", d.DeleteVolumeSnapshot(ctx, s.ID), core.NotFound)
	_, err = d.GetVolumeSnapshot(ctx, "00000000-0000-0000-0000-000000000000")
	wantKind(t, "show an unknown snapshot", err, core.NotFound)
}
