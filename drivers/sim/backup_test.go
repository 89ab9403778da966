package sim

import (
	"testing"

	"github.com/gisiaas/gisiaas/core"
)

func TestBackup_X2_FullAndIncremental(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	v := volCreate(t, d, 40)
	_, err := d.CreateBackup(ctx, core.BackupCreate{CreateMeta: meta(), VolumeID: v.ID, Kind: core.BackupIncremental})
	wantKind(t, err, core.InvalidArgument) // no full backup yet
	_, err = d.CreateBackup(ctx, core.BackupCreate{CreateMeta: meta(), VolumeID: v.ID, Kind: "differential"})
	wantKind(t, err, core.InvalidArgument)
	_, err = d.CreateBackup(ctx, core.BackupCreate{CreateMeta: meta(), VolumeID: "nope"})
	wantKind(t, err, core.InvalidArgument)

	full, err := d.CreateBackup(ctx, core.BackupCreate{CreateMeta: meta(), VolumeID: v.ID, Name: "weekly"})
	wantKind(t, err, core.KindUnknown)
	if full.Kind != core.BackupFull || full.SizeGB != 40 || full.ParentID != "" {
		t.Fatalf("%+v", full)
	}
	inc1, err := d.CreateBackup(ctx, core.BackupCreate{CreateMeta: meta(), VolumeID: v.ID, Kind: core.BackupIncremental})
	wantKind(t, err, core.KindUnknown)
	inc2, _ := d.CreateBackup(ctx, core.BackupCreate{CreateMeta: meta(), VolumeID: v.ID, Kind: core.BackupIncremental})
	if inc1.ParentID != full.ID || inc2.ParentID != inc1.ID || inc1.SizeGB != 4 {
		t.Fatalf("chain %+v %+v", inc1, inc2)
	}
	got, _ := d.GetBackup(ctx, inc1.ID)
	if got.Status != core.SnapshotAvailable {
		t.Fatalf("%+v", got)
	}
	if ev := lastEvent(t, d, inc1.ID); ev.Attributes.BackupKind != core.BackupIncremental || ev.Attributes.SizeGB != 4 || ev.ResourceType != core.TypeBackup {
		t.Fatalf("%+v", ev)
	}
	list, _ := d.ListBackups(ctx, core.ListOptions{ProjectID: testProject})
	if len(list) != 3 || list[0].ID != full.ID {
		t.Fatalf("%+v", list)
	}
	// Parents go last.
	wantKind(t, d.DeleteBackup(ctx, full.ID), core.Conflict)
	wantKind(t, d.DeleteBackup(ctx, inc1.ID), core.Conflict)
	wantKind(t, d.DeleteBackup(ctx, inc2.ID), core.KindUnknown)
	wantKind(t, d.DeleteBackup(ctx, inc1.ID), core.KindUnknown)
	wantKind(t, d.DeleteBackup(ctx, full.ID), core.KindUnknown)
	_, err = d.GetBackup(ctx, full.ID)
	wantKind(t, err, core.NotFound)
	wantKind(t, d.DeleteBackup(ctx, full.ID), core.NotFound)
	if evs := eventsFor(d, full.ID); len(evs) != 4 || evs[3][1] != "deleted" {
		t.Fatalf("events %v", evs)
	}
}
