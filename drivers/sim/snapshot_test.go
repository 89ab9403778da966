package sim

import (
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
	req := core.VolumeSnapshotCreate{CreateMeta: core.CreateMeta{ProjectID: testProject, ClientToken: "snap-1"}, VolumeID: v.ID, Name: "daily"}
	sn, err := d.CreateVolumeSnapshot(ctx, req)
	wantKind(t, err, core.KindUnknown)
	again, _ := d.CreateVolumeSnapshot(ctx, req)
	if again.ID != sn.ID {
		t.Fatal("client token made a second snapshot")
	}
	if sn.Status != core.SnapshotCreating || sn.SizeGB != 8 || sn.DatacenterID != "dc1" || sn.VolumeID != v.ID {
		t.Fatalf("%+v", sn)
	}
	clock.Advance(time.Second)
	got, _ := d.GetVolumeSnapshot(ctx, sn.ID)
	if got.Status != core.SnapshotAvailable {
		t.Fatalf("%+v", got)
	}
	if ev := lastEvent(t, d, sn.ID); ev.Attributes.SizeGB != 8 || ev.ResourceType != core.TypeVolumeSnapshot {
		t.Fatalf("%+v", ev)
	}
	// A volume from the snapshot.
	nv, err := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta(), SizeGB: 7, SnapshotID: sn.ID})
	wantKind(t, err, core.InvalidArgument) // smaller than the snapshot
	nv, err = d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta(), SizeGB: 8, SnapshotID: sn.ID})
	wantKind(t, err, core.KindUnknown)
	if nv.SnapshotID != sn.ID {
		t.Fatalf("%+v", nv)
	}
	list, _ := d.ListVolumeSnapshots(ctx, core.ListOptions{ProjectID: testProject})
	if len(list) != 1 {
		t.Fatalf("%+v", list)
	}
	wantKind(t, d.DeleteVolumeSnapshot(ctx, sn.ID), core.KindUnknown)
	wantKind(t, d.DeleteVolumeSnapshot(ctx, sn.ID), core.Conflict) // deleting already
	clock.Advance(time.Second)
	_, err = d.GetVolumeSnapshot(ctx, sn.ID)
	wantKind(t, err, core.NotFound)
	wantKind(t, d.DeleteVolumeSnapshot(ctx, sn.ID), core.NotFound)
	if evs := eventsFor(d, sn.ID); len(evs) != 4 || evs[3] != [2]string{"deleting", "deleted"} {
		t.Fatalf("events %v", evs)
	}
}

func TestSnapshot_X1_InUseNeedsForce(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	s := srvCreate(t, d, "m1.tiny")
	v := volCreate(t, d, 2)
	_, _ = d.AttachVolume(ctx, v.ID, core.VolumeAttach{ServerID: s.ID})
	_, err := d.CreateVolumeSnapshot(ctx, core.VolumeSnapshotCreate{CreateMeta: meta(), VolumeID: v.ID})
	wantKind(t, err, core.Conflict)
	_, err = d.CreateVolumeSnapshot(ctx, core.VolumeSnapshotCreate{CreateMeta: meta(), VolumeID: v.ID, Force: true})
	wantKind(t, err, core.KindUnknown)
	_, err = d.CreateVolumeSnapshot(ctx, core.VolumeSnapshotCreate{CreateMeta: meta(), VolumeID: "nope"})
	wantKind(t, err, core.InvalidArgument)
	_, err = d.CreateVolumeSnapshot(ctx, core.VolumeSnapshotCreate{CreateMeta: core.CreateMeta{ProjectID: "proj-b"}, VolumeID: v.ID})
	wantKind(t, err, core.InvalidArgument) // another project's volume does not exist for it
	_, err = d.CreateVolumeSnapshot(ctx, core.VolumeSnapshotCreate{CreateMeta: core.CreateMeta{ProjectID: testProject, DatacenterID: "dc2"}, VolumeID: v.ID})
	wantKind(t, err, core.InvalidArgument)
}
