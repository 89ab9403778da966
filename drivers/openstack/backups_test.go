package openstack

import (
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// backupWaitStatus polls backup id until it reaches want (error fails). A
// full backup reads the whole volume: about a minute per 2 GB here.
func backupWaitStatus(t *testing.T, d *Driver, id string, want core.SnapshotStatus) core.Backup {
	t.Helper()
	var b core.Backup
	volWaitFor(t, "backup "+id+" "+string(want), 5*time.Minute, func() (bool, error) {
		var err error
		b, err = d.GetBackup(testContext(t), id)
		if err == nil && b.Status == core.SnapshotError && want != core.SnapshotError {
			t.Fatalf("backup %s went to error (%s)", id, b.NativeStatus)
		}
		return err == nil && b.Status == want, err
	})
	return b
}

// backupCleanup deletes backup id when the test ends, waiting until it is
// gone; cleanups run last-registered first, so incremental ones go first.
func backupCleanup(t *testing.T, d *Driver, id string) {
	t.Cleanup(func() {
		ctx := testContext(t)
		deadline := time.Now().Add(5 * time.Minute)
		for time.Now().Before(deadline) {
			b, err := d.GetBackup(ctx, id)
			if core.KindOf(err) == core.NotFound {
				return
			}
			if err == nil && (b.Status == core.SnapshotAvailable || b.Status == core.SnapshotError) {
				_ = d.DeleteBackup(ctx, id)
			}
			<-time.After(time.Second)
		}
		t.Errorf("cleanup: backup %s still there", id)
	})
}

func backupGone(t *testing.T, d *Driver, id string) {
	t.Helper()
	volWaitFor(t, "backup "+id+" gone", 3*time.Minute, func() (bool, error) {
		_, err := d.GetBackup(testContext(t), id)
		if core.KindOf(err) == core.NotFound {
			return true, nil
		}
		return false, err
	})
}

func TestBackupFullThenIncremental(t *testing.T) {
	d := testDriver(t)
	ctx := testContext(t)
	v := volNew(t, d, volTestProject, 1)
	volWaitStatus(t, d, v.ID, core.VolumeAvailable)
	m := core.CreateMeta{ProjectID: volTestProject, Tags: map[string]string{"run": d.events.boot}}

	_, err := d.CreateBackup(ctx, core.BackupCreate{CreateMeta: m, VolumeID: v.ID, Kind: core.BackupIncremental})
	volWantKind(t, "an incremental backup without a full one", err, core.InvalidArgument)
	_, err = d.CreateBackup(ctx, core.BackupCreate{CreateMeta: m, VolumeID: "00000000-0000-0000-0000-000000000000"})
	volWantKind(t, "a backup of an unknown volume", err, core.InvalidArgument)
	_, err = d.CreateBackup(ctx, core.BackupCreate{CreateMeta: m, VolumeID: v.ID, Kind: "differential"})
	volWantKind(t, "a backup of an unknown kind", err, core.InvalidArgument)

	fm := m
	fm.ClientToken = "backuptest-" + d.events.boot
	req := core.BackupCreate{CreateMeta: fm, VolumeID: v.ID, Name: "voltest-full", Description: "full"}
	c, err := d.CreateBackup(ctx, req)
	if err != nil {
		t.Fatalf("CreateBackup full: %v", err)
	}
	backupCleanup(t, d, c.ID)
	if again, err := d.CreateBackup(ctx, req); err != nil || again.ID != c.ID {
		t.Fatalf("CreateBackup with the same token: %s, %v; want %s", again.ID, err, c.ID)
	}
	full := backupWaitStatus(t, d, c.ID, core.SnapshotAvailable)
	if full.Kind != core.BackupFull || full.ParentID != "" || full.SizeGB != 1 || full.VolumeID != v.ID || full.Name != req.Name {
		t.Errorf("full backup: %+v", full)
	}
	if full.ProjectID != volTestProject || full.DatacenterID != "nova" || full.Tags["run"] != d.events.boot || full.CreatedAt.Location() != time.UTC {
		t.Errorf("full backup meta: %+v", full.Meta)
	}

	ic, err := d.CreateBackup(ctx, core.BackupCreate{CreateMeta: m, VolumeID: v.ID, Name: "voltest-inc", Kind: core.BackupIncremental})
	if err != nil {
		t.Fatalf("CreateBackup incremental: %v", err)
	}
	backupCleanup(t, d, ic.ID)
	inc := backupWaitStatus(t, d, ic.ID, core.SnapshotAvailable)
	if inc.Kind != core.BackupIncremental || inc.ParentID != full.ID || inc.SizeGB > full.SizeGB {
		t.Errorf("incremental backup: %+v; want parent %s", inc, full.ID)
	}
	list, err := d.ListBackups(ctx, core.ListOptions{ProjectID: volTestProject, DatacenterID: "nova"})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, b := range list {
		seen[b.ID] = true
	}
	if !seen[full.ID] || !seen[inc.ID] {
		t.Errorf("ListBackups lacks %s or %s", full.ID, inc.ID)
	}
	for _, b := range []core.Backup{full, inc} {
		ev := volWatchFor(t, d, "backup "+b.ID+" available", func(ev core.Event) bool {
			return ev.ResourceType == core.TypeBackup && ev.ResourceID == b.ID && ev.ToState == string(core.SnapshotAvailable)
		})
		if ev.Attributes.BackupKind != b.Kind || ev.Attributes.SizeGB != b.SizeGB || ev.FromState != string(core.SnapshotCreating) {
			t.Errorf("event of %s backup %s: %+v", b.Kind, b.ID, ev)
		}
	}

	volWantKind(t, "delete the full backup an incremental one builds on", d.DeleteBackup(ctx, full.ID), core.Conflict)
	for _, id := range []string{inc.ID, full.ID} {
		if err := d.DeleteBackup(ctx, id); err != nil {
			t.Fatalf("DeleteBackup %s: %v", id, err)
		}
		backupGone(t, d, id)
		volWatchFor(t, d, "backup "+id+" deleted", func(ev core.Event) bool {
			return ev.ResourceType == core.TypeBackup && ev.ResourceID == id && ev.ToState == string(core.SnapshotDeleted)
		})
	}
	volWantKind(t, "delete it again", d.DeleteBackup(ctx, full.ID), core.NotFound)
	_, err = d.GetBackup(ctx, "00000000-0000-0000-0000-000000000000")
	volWantKind(t, "show an unknown backup", err, core.NotFound)
}
