package openstack

import (
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/backups"

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
	wantKind(t, "an incremental backup without a full one", err, core.InvalidArgument)
	_, err = d.CreateBackup(ctx, core.BackupCreate{CreateMeta: m, VolumeID: "00000000-0000-0000-0000-000000000000"})
	wantKind(t, "a backup of an unknown volume", err, core.InvalidArgument)
	_, err = d.CreateBackup(ctx, core.BackupCreate{CreateMeta: m, VolumeID: v.ID, Kind: "differential"})
	wantKind(t, "a backup of an unknown kind", err, core.InvalidArgument)

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

	wantKind(t, "delete the full backup an incremental one builds on", d.DeleteBackup(ctx, full.ID), core.Conflict)
	for _, id := range []string{inc.ID, full.ID} {
		if err := d.DeleteBackup(ctx, id); err != nil {
			t.Fatalf("DeleteBackup %s: %v", id, err)
		}
		backupGone(t, d, id)
		volWatchFor(t, d, "backup "+id+" deleted", func(ev core.Event) bool {
			return ev.ResourceType == core.TypeBackup && ev.ResourceID == id && ev.ToState == string(core.SnapshotDeleted)
		})
	}
	wantKind(t, "delete it again", d.DeleteBackup(ctx, full.ID), core.NotFound)
	_, err = d.GetBackup(ctx, "00000000-0000-0000-0000-000000000000")
	wantKind(t, "show an unknown backup", err, core.NotFound)
}

// TestBackupParent is Cinder's choice of an incremental backup's parent:
// the newest available backup by data timestamp, only when an available
// full one exists.
func TestBackupParent(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	b := func(id, status string, inc bool, data time.Duration) backups.Backup {
		return backups.Backup{ID: id, Status: status, IsIncremental: inc, DataTimestamp: t0.Add(data), CreatedAt: t0.Add(data)}
	}
	for _, c := range []struct {
		name string
		bs   []backups.Backup
		want string
		ok   bool
	}{
		{"none", nil, "", false},
		{"a full one still creating", []backups.Backup{b("f", "creating", false, 0)}, "", false},
		{"only incremental ones available", []backups.Backup{b("f", "error", false, 0), b("i", "available", true, time.Minute)}, "", false},
		{"one full", []backups.Backup{b("f", "available", false, 0)}, "f", true},
		{"the newest incremental", []backups.Backup{b("f", "available", false, 0), b("i1", "available", true, time.Minute),
			b("i2", "available", true, 2*time.Minute), b("i3", "creating", true, 3*time.Minute)}, "i2", true},
		{"a newer full", []backups.Backup{b("i1", "available", true, time.Minute), b("f2", "available", false, 2*time.Minute),
			b("f1", "available", false, 0)}, "f2", true},
	} {
		got, ok := backupParent(c.bs)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: %q, %v; want %q, %v", c.name, got, ok, c.want, c.ok)
		}
	}
}
