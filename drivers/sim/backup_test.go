package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

func TestBackup_X2_FullAndIncremental(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	v := volCreate(t, d, 40)
	_, err := d.CreateBackup(ctx, core.BackupCreate{CreateMeta: meta(), VolumeID: v.ID, Kind: core.BackupIncremental})
	wantKind(t, err, core.InvalidArgument) // no full backup yet
	if !strings.Contains(err.Error(), "no full backup to build on") {
		t.Fatalf("%v", err)
	}

	full, err := d.CreateBackup(ctx, core.BackupCreate{CreateMeta: meta(), VolumeID: v.ID, Name: "weekly"})
	wantKind(t, err, core.KindUnknown)
	if full.Kind != core.BackupFull || full.SizeGB != 40 || full.ParentID != "" || full.VolumeID != v.ID || full.DatacenterID != "dc1" {
		t.Fatalf("%+v", full)
	}
	inc1, err := d.CreateBackup(ctx, core.BackupCreate{CreateMeta: meta(), VolumeID: v.ID, Kind: core.BackupIncremental, Name: "mon"})
	wantKind(t, err, core.KindUnknown)
	inc2, err := d.CreateBackup(ctx, core.BackupCreate{CreateMeta: meta(), VolumeID: v.ID, Kind: core.BackupIncremental, Name: "tue"})
	wantKind(t, err, core.KindUnknown)
	// Each incremental builds on the newest backup; a tenth of the volume changed.
	if inc1.ParentID != full.ID || inc2.ParentID != inc1.ID || inc1.SizeGB != 4 || inc2.SizeGB != 4 {
		t.Fatalf("chain %+v %+v", inc1, inc2)
	}
	got, _ := d.GetBackup(ctx, inc1.ID)
	if got.Status != core.SnapshotAvailable {
		t.Fatalf("%+v", got)
	}
	for _, c := range []struct {
		b    core.Backup
		kind core.BackupKind
		size int64
		name string
	}{{full, core.BackupFull, 40, "weekly"}, {inc1, core.BackupIncremental, 4, "mon"}} {
		volWantEvents(t, d, c.b.ID, [2]string{"", "creating"}, [2]string{"creating", "available"})
		for _, ev := range d.Events() {
			if ev.ResourceID == c.b.ID && (ev.ResourceType != core.TypeBackup || ev.Attributes.BackupKind != c.kind ||
				ev.Attributes.SizeGB != c.size || ev.Attributes.Name != c.name) {
				t.Fatalf("event %+v", ev)
			}
		}
	}
	list, _ := d.ListBackups(ctx, core.ListOptions{ProjectID: testProject})
	if len(list) != 3 || list[0].ID != full.ID || list[1].ID != inc1.ID || list[2].ID != inc2.ID {
		t.Fatalf("%+v", list)
	}
	// Parents go last.
	steps := []struct {
		name string
		id   string
		want core.Kind
	}{
		{"full backup with a child", full.ID, core.Conflict},
		{"incremental with a child", inc1.ID, core.Conflict},
		{"newest incremental", inc2.ID, core.KindUnknown},
		{"its parent now", inc1.ID, core.KindUnknown},
		{"the full one last", full.ID, core.KindUnknown},
		{"gone", full.ID, core.NotFound},
	}
	for _, st := range steps {
		t.Run("X.2 delete "+st.name, func(t *testing.T) {
			wantKind(t, d.DeleteBackup(ctx, st.id), st.want)
		})
	}
	_, err = d.GetBackup(ctx, full.ID)
	wantKind(t, err, core.NotFound)
	volWantEvents(t, d, full.ID, [2]string{"", "creating"}, [2]string{"creating", "available"},
		[2]string{"available", "deleting"}, [2]string{"deleting", "deleted"})
	if ev := lastEvent(t, d, full.ID); ev.Attributes.BackupKind != core.BackupFull || ev.Attributes.SizeGB != 40 {
		t.Fatalf("%+v", ev)
	}
}

func TestBackup_X2_Errors(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	s := volServer(t, d, "srv")
	v := volCreate(t, d, 5)
	attached := volCreate(t, d, 2)
	_, err := d.AttachVolume(ctx, attached.ID, core.VolumeAttach{ServerID: s.ID})
	wantKind(t, err, core.KindUnknown)
	busy := volCreate(t, d, 1)
	volSetStatus(d, busy.ID, core.VolumeExtending)
	cases := []struct {
		name string
		req  core.BackupCreate
		want core.Kind
		size int64
	}{
		{"unknown kind", core.BackupCreate{CreateMeta: meta(), VolumeID: v.ID, Kind: "differential"}, core.InvalidArgument, 0},
		{"no volume", core.BackupCreate{CreateMeta: meta()}, core.InvalidArgument, 0},
		{"unknown volume", core.BackupCreate{CreateMeta: meta(), VolumeID: "nope"}, core.InvalidArgument, 0},
		{"another project's volume", core.BackupCreate{CreateMeta: core.CreateMeta{ProjectID: "proj-b"}, VolumeID: v.ID}, core.InvalidArgument, 0},
		{"another datacenter", core.BackupCreate{CreateMeta: core.CreateMeta{ProjectID: testProject, DatacenterID: "dc2"}, VolumeID: v.ID}, core.InvalidArgument, 0},
		{"volume busy", core.BackupCreate{CreateMeta: meta(), VolumeID: busy.ID}, core.Conflict, 0},
		{"in-use volume", core.BackupCreate{CreateMeta: meta(), VolumeID: attached.ID}, core.KindUnknown, 2},
		{"full by default", core.BackupCreate{CreateMeta: meta(), VolumeID: v.ID}, core.KindUnknown, 5},
		{"small incremental is 1 GB", core.BackupCreate{CreateMeta: meta(), VolumeID: v.ID, Kind: core.BackupIncremental}, core.KindUnknown, 1},
	}
	for _, c := range cases {
		t.Run("X.2 "+c.name, func(t *testing.T) {
			b, err := d.CreateBackup(ctx, c.req)
			wantKind(t, err, c.want)
			if err == nil && (b.SizeGB != c.size || b.Status != core.SnapshotAvailable) {
				t.Fatalf("%+v", b)
			}
		})
	}
	_, err = d.GetBackup(ctx, "nope")
	wantKind(t, err, core.NotFound)
	wantKind(t, d.DeleteBackup(ctx, "nope"), core.NotFound)
	// Idempotent create.
	req := core.BackupCreate{CreateMeta: meta(), VolumeID: v.ID}
	req.ClientToken = "bk-1"
	a, _ := d.CreateBackup(ctx, req)
	b, _ := d.CreateBackup(ctx, req)
	if a.ID != b.ID || len(eventsFor(d, a.ID)) != 2 {
		t.Fatal("client token made a second backup")
	}
	// A failed backup can be deleted.
	d.mu.Lock()
	d.st.Backups[a.ID].Status = core.SnapshotError
	d.mu.Unlock()
	wantKind(t, d.DeleteBackup(ctx, a.ID), core.KindUnknown)
	volWantEvents(t, d, a.ID, [2]string{"", "creating"}, [2]string{"creating", "available"},
		[2]string{"error", "deleting"}, [2]string{"deleting", "deleted"})
	d.SetDatacenterDown("dc1", true)
	_, err = d.CreateBackup(ctx, core.BackupCreate{CreateMeta: meta(), VolumeID: v.ID})
	wantKind(t, err, core.Unavailable)
	if list, _ := d.ListBackups(ctx, core.ListOptions{}); list == nil || len(list) != 0 {
		t.Fatalf("%+v", list)
	}
}

func TestBackup_X2_Latency(t *testing.T) {
	d, clock := newManualDriver(t, time.Second)
	ctx := testCtx(t)
	v, _ := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta(), SizeGB: 20})
	_, err := d.CreateBackup(ctx, core.BackupCreate{CreateMeta: meta(), VolumeID: v.ID})
	wantKind(t, err, core.Conflict) // the volume is still creating
	clock.Advance(time.Second)
	full, err := d.CreateBackup(ctx, core.BackupCreate{CreateMeta: meta(), VolumeID: v.ID})
	wantKind(t, err, core.KindUnknown)
	if full.Status != core.SnapshotCreating {
		t.Fatalf("%+v", full)
	}
	// A full backup still being made is nothing to build on yet.
	_, err = d.CreateBackup(ctx, core.BackupCreate{CreateMeta: meta(), VolumeID: v.ID, Kind: core.BackupIncremental})
	wantKind(t, err, core.InvalidArgument)
	wantKind(t, d.DeleteBackup(ctx, full.ID), core.Conflict) // creating
	clock.Advance(time.Second)
	inc, err := d.CreateBackup(ctx, core.BackupCreate{CreateMeta: meta(), VolumeID: v.ID, Kind: core.BackupIncremental})
	wantKind(t, err, core.KindUnknown)
	if inc.ParentID != full.ID || inc.SizeGB != 2 {
		t.Fatalf("%+v", inc)
	}
	// The volume may go while its backups stay.
	clock.Advance(time.Second)
	wantKind(t, d.DeleteVolume(ctx, v.ID), core.KindUnknown)
	clock.Advance(time.Second)
	wantKind(t, d.DeleteBackup(ctx, inc.ID), core.KindUnknown)
	if got, _ := d.GetBackup(ctx, inc.ID); got.Status != core.SnapshotDeleting {
		t.Fatalf("%+v", got)
	}
	// Its parent is held until the child is gone.
	wantKind(t, d.DeleteBackup(ctx, full.ID), core.Conflict)
	clock.Advance(time.Second)
	wantKind(t, d.DeleteBackup(ctx, full.ID), core.KindUnknown)
	clock.Advance(time.Second)
	volWantEvents(t, d, inc.ID, [2]string{"", "creating"}, [2]string{"creating", "available"},
		[2]string{"available", "deleting"}, [2]string{"deleting", "deleted"})
	if list, _ := d.ListBackups(ctx, core.ListOptions{}); len(list) != 0 {
		t.Fatalf("%+v", list)
	}
}
