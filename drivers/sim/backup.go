package sim

import (
	"context"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// incrementalShare is the simulator's change-rate model: between two
// backups a tenth of a volume changes, so an incremental backup holds
// max(1, size/10) GB (whole GB, rounded down) and a full one the whole
// volume. Billing prices backups by SizeGB and kind.
const incrementalShare = 10

func init() {
	transitions["backup.create"] = func(d *Driver, id string) {
		if b, ok := d.st.Backups[id]; ok && b.Status == core.SnapshotCreating {
			d.setBackupStatus(b, core.SnapshotAvailable)
		}
	}
	transitions["backup.delete"] = func(d *Driver, id string) {
		if b, ok := d.st.Backups[id]; ok && b.Status == core.SnapshotDeleting {
			d.setBackupStatus(b, core.SnapshotDeleted)
			delete(d.st.Backups, id)
		}
	}
}

func (d *Driver) setBackupStatus(b *core.Backup, to core.SnapshotStatus) {
	from := b.Status
	b.Status = to
	b.UpdatedAt = d.now()
	d.emit(core.TypeBackup, b.ID, b.Meta, string(from), string(to),
		core.EventAttributes{Name: b.Name, SizeGB: b.SizeGB, BackupKind: b.Kind})
}

// CreateBackup backs a volume up, fully or incrementally on the newest
// available backup (X.2).
func (d *Driver) CreateBackup(ctx context.Context, req core.BackupCreate) (core.Backup, error) {
	const op = "CreateBackup"
	if err := d.begin(ctx, op); err != nil {
		return core.Backup{}, err
	}
	if err := req.Validate(); err != nil {
		return core.Backup{}, core.WithOp(op, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	// The token comes first: a retry gets its backup even if the volume has changed since.
	if id, ok := d.token(core.TypeBackup, req.CreateMeta); ok {
		if b, ok := d.st.Backups[id]; ok {
			if err := d.checkDC(op, b.DatacenterID); err != nil {
				return core.Backup{}, err
			}
			return cloneBackup(b), nil
		}
	}
	v, err := d.sourceVolume(op, &req.CreateMeta, req.VolumeID)
	if err != nil {
		return core.Backup{}, err
	}
	if v.Status != core.VolumeAvailable && v.Status != core.VolumeInUse {
		return core.Backup{}, conflict(op, "volume %s is %s; only an available or in-use volume can be backed up", v.ID, v.Status)
	}
	b := &core.Backup{Meta: d.newMeta(req.CreateMeta), ID: d.newID(), Name: req.Name, Description: req.Description,
		VolumeID: v.ID, Kind: req.Kind, SizeGB: v.SizeGB, Status: core.SnapshotCreating}
	if req.Kind == core.BackupIncremental {
		var parent *core.Backup
		hasFull := false
		for _, o := range d.st.Backups {
			if o.VolumeID != v.ID || o.Status != core.SnapshotAvailable {
				continue
			}
			hasFull = hasFull || o.Kind == core.BackupFull
			if parent == nil || o.CreatedAt.After(parent.CreatedAt) || (o.CreatedAt.Equal(parent.CreatedAt) && o.ID > parent.ID) {
				parent = o
			}
		}
		if !hasFull {
			return core.Backup{}, invalidArg(op, "kind: volume %s has no full backup to build on", v.ID)
		}
		b.ParentID = parent.ID
		b.SizeGB = max(1, v.SizeGB/incrementalShare)
	}
	d.st.Backups[b.ID] = b
	d.emit(core.TypeBackup, b.ID, b.Meta, "", string(b.Status), core.EventAttributes{Name: b.Name, SizeGB: b.SizeGB, BackupKind: b.Kind})
	d.remember(core.TypeBackup, req.CreateMeta, b.ID)
	// Cloned after scheduling, as CreateVolume does: with no latency the
	// answer already shows the final state.
	d.schedule("backup.create", b.ID)
	out := cloneBackup(b)
	if err := d.commit(); err != nil {
		return core.Backup{}, err
	}
	return out, nil
}

// GetBackup shows a backup.
func (d *Driver) GetBackup(ctx context.Context, id string) (core.Backup, error) {
	if err := d.begin(ctx, "GetBackup"); err != nil {
		return core.Backup{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	b, ok := d.st.Backups[id]
	if !ok {
		return core.Backup{}, notFound("GetBackup", core.TypeBackup, id)
	}
	if err := d.checkDC("GetBackup", b.DatacenterID); err != nil {
		return core.Backup{}, err
	}
	return cloneBackup(b), nil
}

// ListBackups lists backups, oldest first.
func (d *Driver) ListBackups(ctx context.Context, opts core.ListOptions) ([]core.Backup, error) {
	if err := d.begin(ctx, "ListBackups"); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.checkListDC("ListBackups", opts); err != nil {
		return nil, err
	}
	out := make([]core.Backup, 0, len(d.st.Backups))
	for _, b := range d.st.Backups {
		if matches(opts, b.Meta) && !d.down[b.DatacenterID] {
			out = append(out, cloneBackup(b))
		}
	}
	sortByCreated(out, func(x *core.Backup) (time.Time, string) { return x.CreatedAt, x.ID })
	return out, nil
}

// DeleteBackup deletes a backup no incremental backup builds on.
func (d *Driver) DeleteBackup(ctx context.Context, id string) error {
	const op = "DeleteBackup"
	if err := d.begin(ctx, op); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	b, ok := d.st.Backups[id]
	if !ok {
		return notFound(op, core.TypeBackup, id)
	}
	if err := d.checkDC(op, b.DatacenterID); err != nil {
		return err
	}
	for _, o := range d.st.Backups {
		if o.ParentID == id {
			return conflict(op, "backup %s is the parent of incremental backup %s", id, o.ID)
		}
	}
	if b.Status != core.SnapshotAvailable && b.Status != core.SnapshotError {
		return conflict(op, "backup %s is %s; only an available or failed backup can be deleted", id, b.Status)
	}
	d.setBackupStatus(b, core.SnapshotDeleting)
	d.schedule("backup.delete", id)
	return d.commit()
}
