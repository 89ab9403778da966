package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

func TestSnapshot_X1_Lifecycle(t *testing.T) {
	d, clock := newManualDriver(t, time.Second)
	ctx := testCtx(t)
	v, _ := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta(), SizeGB: 8})
	_, err := d.CreateVolumeSnapshot(ctx, core.VolumeSnapshotCreate{CreateMeta: meta(), VolumeID: v.ID})
	wantKind(t, err, core.Conflict) // the volume is still creating
	clock.Advance(time.Second)
	// No datacenter given: the volume's.
	req := core.VolumeSnapshotCreate{CreateMeta: core.CreateMeta{ProjectID: testProject, ClientToken: "snap-1"}, VolumeID: v.ID, Name: "daily", Description: "d"}
	sn, err := d.CreateVolumeSnapshot(ctx, req)
	wantKind(t, err, core.KindUnknown)
	again, err := d.CreateVolumeSnapshot(ctx, req)
	wantKind(t, err, core.KindUnknown)
	if again.ID != sn.ID {
		t.Fatal("client token made a second snapshot")
	}
	if sn.Status != core.SnapshotCreating || sn.SizeGB != 8 || sn.DatacenterID != "dc1" || sn.ProjectID != testProject ||
		sn.VolumeID != v.ID || sn.Name != "daily" || sn.Description != "d" {
		t.Fatalf("%+v", sn)
	}
	wantKind(t, d.DeleteVolumeSnapshot(ctx, sn.ID), core.Conflict) // creating
	clock.Advance(time.Second)
	got, err := d.GetVolumeSnapshot(ctx, sn.ID)
	wantKind(t, err, core.KindUnknown)
	if got.Status != core.SnapshotAvailable {
		t.Fatalf("%+v", got)
	}
	list, _ := d.ListVolumeSnapshots(ctx, core.ListOptions{ProjectID: testProject})
	if len(list) != 1 || list[0].ID != sn.ID {
		t.Fatalf("%+v", list)
	}
	if list, _ := d.ListVolumeSnapshots(ctx, core.ListOptions{ProjectID: "proj-b"}); list == nil || len(list) != 0 {
		t.Fatalf("%+v", list)
	}
	wantKind(t, d.DeleteVolumeSnapshot(ctx, sn.ID), core.KindUnknown)
	if got, _ := d.GetVolumeSnapshot(ctx, sn.ID); got.Status != core.SnapshotDeleting {
		t.Fatalf("%+v", got)
	}
	wantKind(t, d.DeleteVolumeSnapshot(ctx, sn.ID), core.Conflict) // deleting already
	clock.Advance(time.Second)
	_, err = d.GetVolumeSnapshot(ctx, sn.ID)
	wantKind(t, err, core.NotFound)
	wantKind(t, d.DeleteVolumeSnapshot(ctx, sn.ID), core.NotFound)
	volWantEvents(t, d, sn.ID, [2]string{"", "creating"}, [2]string{"creating", "available"},
		[2]string{"available", "deleting"}, [2]string{"deleting", "deleted"})
	for _, ev := range d.Events() {
		if ev.ResourceID == sn.ID && (ev.ResourceType != core.TypeVolumeSnapshot || ev.Attributes.SizeGB != 8 ||
			ev.Attributes.Name != "daily" || ev.DatacenterID != "dc1" || ev.ProjectID != testProject) {
			t.Fatalf("event %+v", ev)
		}
	}
	// With the snapshot gone the volume can go.
	wantKind(t, d.DeleteVolume(ctx, v.ID), core.KindUnknown)
}

func TestSnapshot_X1_InUseNeedsForce(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	s := volServer(t, d, "srv")
	v := volCreate(t, d, 2)
	idle := volCreate(t, d, 3)
	_, err := d.AttachVolume(ctx, v.ID, core.VolumeAttach{ServerID: s.ID})
	wantKind(t, err, core.KindUnknown)
	extending := volCreate(t, d, 1)
	volSetStatus(d, extending.ID, core.VolumeExtending)
	cases := []struct {
		name string
		req  core.VolumeSnapshotCreate
		want core.Kind
		in   string
	}{
		{"in-use without force", core.VolumeSnapshotCreate{CreateMeta: meta(), VolumeID: v.ID}, core.Conflict, "force"},
		{"in-use with force", core.VolumeSnapshotCreate{CreateMeta: meta(), VolumeID: v.ID, Force: true}, core.KindUnknown, ""},
		{"available", core.VolumeSnapshotCreate{CreateMeta: meta(), VolumeID: idle.ID}, core.KindUnknown, ""},
		{"volume busy", core.VolumeSnapshotCreate{CreateMeta: meta(), VolumeID: extending.ID, Force: true}, core.Conflict, "extending"},
		{"no volume", core.VolumeSnapshotCreate{CreateMeta: meta()}, core.InvalidArgument, "volume_id"},
		{"unknown volume", core.VolumeSnapshotCreate{CreateMeta: meta(), VolumeID: "nope"}, core.InvalidArgument, "volume_id"},
		{"another project's volume", core.VolumeSnapshotCreate{CreateMeta: core.CreateMeta{ProjectID: "proj-b"}, VolumeID: idle.ID}, core.InvalidArgument, "volume_id"},
		{"another datacenter", core.VolumeSnapshotCreate{CreateMeta: core.CreateMeta{ProjectID: testProject, DatacenterID: "dc2"}, VolumeID: idle.ID}, core.InvalidArgument, "datacenter_id"},
	}
	for _, c := range cases {
		t.Run("X.1 "+c.name, func(t *testing.T) {
			sn, err := d.CreateVolumeSnapshot(ctx, c.req)
			wantKind(t, err, c.want)
			if err != nil {
				if !strings.Contains(err.Error(), c.in) {
					t.Fatalf("error %q does not say %s", err, c.in)
				}
				return
			}
			if sn.Status != core.SnapshotAvailable || sn.SizeGB != volGet(t, d, c.req.VolumeID).SizeGB {
				t.Fatalf("%+v", sn)
			}
		})
	}
	_, err = d.GetVolumeSnapshot(ctx, "nope")
	wantKind(t, err, core.NotFound)
	d.SetDatacenterDown("dc1", true)
	_, err = d.CreateVolumeSnapshot(ctx, core.VolumeSnapshotCreate{CreateMeta: meta(), VolumeID: idle.ID})
	wantKind(t, err, core.Unavailable)
	list, _ := d.ListVolumeSnapshots(ctx, core.ListOptions{})
	if len(list) != 0 {
		t.Fatalf("snapshots of a down datacenter listed: %+v", list)
	}
}

func TestSnapshot_X1_DeleteFailed(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	v := volCreate(t, d, 2)
	sn, _ := d.CreateVolumeSnapshot(ctx, core.VolumeSnapshotCreate{CreateMeta: meta(), VolumeID: v.ID})
	d.mu.Lock()
	d.st.Snapshots[sn.ID].Status = core.SnapshotError
	d.mu.Unlock()
	// A failed snapshot is no source.
	_, err := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta(), SizeGB: 2, SnapshotID: sn.ID})
	wantKind(t, err, core.InvalidArgument)
	wantKind(t, d.DeleteVolumeSnapshot(ctx, sn.ID), core.KindUnknown)
	volWantEvents(t, d, sn.ID, [2]string{"", "creating"}, [2]string{"creating", "available"},
		[2]string{"error", "deleting"}, [2]string{"deleting", "deleted"})
}

// A snapshot or a backup lives in its volume's datacenter: taken from the
// volume when the request names none, refused when it names another.
func TestSnapshot_X1_X2_DatacenterOfTheVolume(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	v, err := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: core.CreateMeta{ProjectID: testProject, DatacenterID: "dc2"}, SizeGB: 3})
	wantKind(t, err, core.KindUnknown)
	cases := []struct {
		name string
		dc   string
		want core.Kind
	}{
		{"none named: the volume's", "", core.KindUnknown},
		{"the volume's", "dc2", core.KindUnknown},
		{"another", "dc1", core.InvalidArgument},
		{"unknown", "dc9", core.InvalidArgument},
	}
	for _, c := range cases {
		cm := core.CreateMeta{ProjectID: testProject, DatacenterID: c.dc}
		t.Run("X.1 "+c.name, func(t *testing.T) {
			sn, err := d.CreateVolumeSnapshot(ctx, core.VolumeSnapshotCreate{CreateMeta: cm, VolumeID: v.ID})
			wantKind(t, err, c.want)
			if err != nil {
				if !strings.Contains(err.Error(), "datacenter_id") {
					t.Fatalf("%v does not name datacenter_id", err)
				}
				return
			}
			if sn.DatacenterID != "dc2" || lastEvent(t, d, sn.ID).DatacenterID != "dc2" {
				t.Fatalf("%+v", sn)
			}
		})
		t.Run("X.2 "+c.name, func(t *testing.T) {
			b, err := d.CreateBackup(ctx, core.BackupCreate{CreateMeta: cm, VolumeID: v.ID})
			wantKind(t, err, c.want)
			if err != nil {
				if !strings.Contains(err.Error(), "datacenter_id") {
					t.Fatalf("%v does not name datacenter_id", err)
				}
				return
			}
			if b.DatacenterID != "dc2" || lastEvent(t, d, b.ID).DatacenterID != "dc2" {
				t.Fatalf("%+v", b)
			}
		})
	}
}
