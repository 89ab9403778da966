package libvirt

import (
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

func TestVolume_CreateAttachDetachDelete(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	req := core.VolumeCreate{CreateMeta: meta("vol"), Name: "data", SizeGB: 2}
	req.ClientToken = "vol-token"
	v, err := d.CreateVolume(ctx, req)
	if err != nil || v.Status != core.VolumeAvailable || v.VolumeType != "default" || v.SizeGB != 2 || v.Attachments == nil {
		t.Fatalf("CreateVolume: %+v %v", v, err)
	}
	again, err := d.CreateVolume(ctx, req)
	if err != nil || again.ID != v.ID {
		t.Fatalf("the same client token made %s (%v), want %s", again.ID, err, v.ID)
	}
	_, err = d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta("vol"), SizeGB: 1, VolumeType: "ssd"})
	wantKind(t, "an unknown volume type", err, core.InvalidArgument)

	s := newServer(t, d, "vol", "holder")
	_, err = d.AttachVolume(ctx, v.ID, core.VolumeAttach{ServerID: "no-such"})
	wantKind(t, "attach to an unknown server", err, core.InvalidArgument)
	if _, err := d.AttachVolume(ctx, v.ID, core.VolumeAttach{ServerID: s.ID}); err != nil {
		t.Fatal(err)
	}
	got, err := d.GetVolume(ctx, v.ID)
	if err != nil || got.Status != core.VolumeInUse || len(got.Attachments) != 1 || got.Attachments[0].Mountpoint != "/dev/vdb" {
		t.Fatalf("attached volume: %+v %v", got, err)
	}
	srv, _ := d.GetServer(ctx, s.ID)
	if len(srv.VolumeIDs) != 1 || srv.VolumeIDs[0] != v.ID {
		t.Fatalf("server volume_ids %v", srv.VolumeIDs)
	}
	wantKind(t, "delete an attached volume", d.DeleteVolume(ctx, v.ID), core.Conflict)
	other := newServer(t, d, "vol", "other")
	_, err = d.AttachVolume(ctx, v.ID, core.VolumeAttach{ServerID: other.ID})
	wantKind(t, "attach an in-use volume", err, core.Conflict)
	if _, err := d.DetachVolume(ctx, v.ID, s.ID); err != nil {
		t.Fatal(err)
	}
	until(t, "the volume to be available", 10*time.Second, func() (bool, error) {
		g, err := d.GetVolume(ctx, v.ID)
		return err == nil && g.Status == core.VolumeAvailable, err
	})
	waitEvent(t, d, "in-use→available", func(e core.Event) bool {
		return e.ResourceID == v.ID && e.FromState == string(core.VolumeInUse) && e.ToState == string(core.VolumeAvailable)
	})
	_, err = d.DetachVolume(ctx, v.ID, s.ID)
	wantKind(t, "detach a detached volume", err, core.Conflict)
	_, err = d.ExtendVolume(ctx, v.ID, 3)
	wantKind(t, "extend on test:///default (no virStorageVolResize)", err, core.Unsupported)

	q, err := d.GetVolumeQuota(ctx, "default", "vol")
	if err != nil || q.UsedVolumes != 1 || q.UsedGB != 2 || q.TotalGB != 100 {
		t.Fatalf("volume quota %+v %v", q, err)
	}
	if err := d.DeleteVolume(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	ev := waitEvent(t, d, "deleted", func(e core.Event) bool { return e.ResourceID == v.ID && e.ToState == string(core.VolumeDeleted) })
	if ev.Attributes.SizeGB != 2 || ev.Attributes.VolumeType != "default" || ev.ProjectID != "vol" {
		t.Fatalf("event %+v", ev)
	}
	_, err = d.GetVolume(ctx, v.ID)
	wantKind(t, "get a deleted volume", err, core.NotFound)
}

// A server's delete takes its disk and detaches its volumes, which stay.
func TestVolume_ServerDeleteKeepsAttachedVolumes(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	v, err := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta("keep"), Name: "kept", SizeGB: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = d.DeleteVolume(ctx, v.ID) }()
	s := newServer(t, d, "keep", "gone")
	if _, err := d.AttachVolume(ctx, v.ID, core.VolumeAttach{ServerID: s.ID}); err != nil {
		t.Fatal(err)
	}
	if err := d.DeleteServer(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	got, err := d.GetVolume(ctx, v.ID)
	if err != nil || got.Status != core.VolumeAvailable || len(got.Attachments) != 0 {
		t.Fatalf("volume after its server's delete: %+v %v", got, err)
	}
	ev := waitEvent(t, d, "the volume freed by its server's delete", func(e core.Event) bool {
		return e.ResourceID == v.ID && e.FromState == string(core.VolumeInUse) && e.ToState == string(core.VolumeAvailable)
	})
	if ev.Attributes.ServerID != "" || ev.Attributes.SizeGB != 1 {
		t.Fatalf("event %+v", ev)
	}
	if _, err := d.lookupVolume(d.order[0], "test", "gisiaas-disk-"+s.ID); core.KindOf(err) != core.NotFound {
		t.Fatalf("the server's disk is still in the pool: %v", err)
	}
}
