package openstack

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/backups"
	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/volumes"

	"github.com/gisiaas/gisiaas/core"
)

// Backups (X.2) are Cinder backups. Cinder builds an incremental backup on
// the volume's newest available backup and refuses one (400) when the
// volume has none; its API does not show which backup that was, so the
// driver works the parent out the same way before the create and keeps it
// in the backup's metadata.

var _ core.Backups = (*Driver)(nil)

// metaParent is the metadata key of an incremental backup's parent.
const metaParent = "gisiaas:parent"

// toBackup is the core view of a Cinder backup.
func (d *Driver) toBackup(ctx context.Context, b *backups.Backup) core.Backup {
	var md map[string]string
	if b.Metadata != nil {
		md = *b.Metadata
	}
	tags, dc, rest := metaFromMetadata(md)
	az := ""
	if b.AvailabilityZone != nil {
		az = *b.AvailabilityZone
	}
	out := core.Backup{
		Meta: core.Meta{ProjectID: d.projects.gisProject(ctx, b.ProjectID), DatacenterID: d.dcOf(ctx, dc, az),
			Tags: tags, CreatedAt: b.CreatedAt.UTC(), UpdatedAt: cinderTime(b.UpdatedAt, b.CreatedAt)},
		ID: b.ID, Name: b.Name, Description: b.Description, VolumeID: b.VolumeID, Kind: core.BackupFull,
		SizeGB: int64(b.Size), Status: backupState(b.Status), NativeStatus: b.Status,
	}
	if b.IsIncremental {
		out.Kind, out.ParentID = core.BackupIncremental, rest[metaParent]
	}
	return out
}

// backupObservation is what the event log learns from a backup: billing
// rates it by size and kind.
func backupObservation(b core.Backup, osProject string) observation {
	return observation{Type: core.TypeBackup, ID: b.ID, OSProject: osProject, ProjectID: b.ProjectID,
		DatacenterID: b.DatacenterID, State: string(b.Status),
		Attrs: core.EventAttributes{Name: b.Name, SizeGB: b.SizeGB, BackupKind: b.Kind}, Time: b.UpdatedAt}
}

func (d *Driver) seeBackup(ctx context.Context, b *backups.Backup) core.Backup {
	out := d.toBackup(ctx, b)
	d.observe(ctx, backupObservation(out, b.ProjectID))
	return out
}

// listBackups is every backup of OpenStack project osProject ("" for every
// project), of volume volumeID when it is not "", with details.
func (d *Driver) listBackups(ctx context.Context, osProject, volumeID string) ([]backups.Backup, error) {
	q := scope(osProject)
	if volumeID != "" {
		q["volume_id"] = []string{volumeID}
	}
	pages, err := backups.ListDetail(d.admin.volume, q).AllPages(ctx)
	if err != nil {
		return nil, err
	}
	return backups.ExtractBackups(pages)
}

// backupable is nil when Cinder backs v up now.
func backupable(op string, v *volumes.Volume) error {
	if v.Status != "available" && v.Status != "in-use" {
		return storageErr(core.Conflict, op, "volume %s is %s; only an available or in-use volume can be backed up", v.ID, v.Status)
	}
	return nil
}

// backupParent is the backup Cinder builds an incremental backup of v on:
// its newest available one by data timestamp. ok is false when v has no
// available full backup, which core calls InvalidArgument.
func backupParent(bs []backups.Backup) (parent string, ok bool) {
	var best *backups.Backup
	hasFull := false
	for i := range bs {
		b := &bs[i]
		if b.Status != "available" {
			continue
		}
		hasFull = hasFull || !b.IsIncremental
		if best == nil || b.DataTimestamp.After(best.DataTimestamp) ||
			(b.DataTimestamp.Equal(best.DataTimestamp) && b.CreatedAt.After(best.CreatedAt)) {
			best = b
		}
	}
	if !hasFull {
		return "", false
	}
	return best.ID, true
}

// CreateBackup backs a volume up, fully or incrementally on its newest
// available backup (X.2). A create with a client token that made a backup
// already returns that one.
func (d *Driver) CreateBackup(ctx context.Context, req core.BackupCreate) (core.Backup, error) {
	const op = "CreateBackup"
	if err := req.Validate(); err != nil {
		return core.Backup{}, core.WithOp(op, err)
	}
	cs, osProj, err := d.projects.clientsFor(ctx, req.ProjectID)
	if err != nil {
		return core.Backup{}, core.WithOp(op, err)
	}
	tag := tokenTag(osProj, req.ClientToken)
	defer tokenLocks.lock(tag)()
	if tag != "" {
		// Cinder filters backups by volume, not by metadata.
		bs, err := d.listBackups(ctx, osProj, req.VolumeID)
		if err != nil {
			return core.Backup{}, classify(op, err)
		}
		for i := range bs {
			if bs[i].Metadata != nil && (*bs[i].Metadata)[metaToken] == tag {
				out := d.seeBackup(ctx, &bs[i])
				out.ProjectID = req.ProjectID
				return out, nil
			}
		}
	}
	v, err := d.sourceVolume(ctx, op, &req.CreateMeta, osProj, req.VolumeID)
	if err != nil {
		return core.Backup{}, err
	}
	if err := backupable(op, v); err != nil {
		return core.Backup{}, err
	}
	var extra map[string]string
	if req.Kind == core.BackupIncremental {
		bs, err := d.listBackups(ctx, osProj, v.ID)
		if err != nil {
			return core.Backup{}, classify(op, err)
		}
		parent, ok := backupParent(bs)
		if !ok {
			return core.Backup{}, storageErr(core.InvalidArgument, op, "kind: volume %s has no full backup to build on", v.ID)
		}
		extra = map[string]string{metaParent: parent}
	}
	c, err := backups.Create(ctx, cs.volume, backups.CreateOpts{VolumeID: v.ID, Name: req.Name, Description: req.Description,
		Incremental: req.Kind == core.BackupIncremental,
		// Cinder backs an attached volume up only when forced; core
		// allows it as the simulator does.
		Force:    v.Status == "in-use",
		Metadata: createMetadata(req.CreateMeta, osProj, extra)}).Extract()
	if err != nil {
		err = createRefError(op, err)
		if core.KindOf(err) == core.InvalidArgument {
			if now, gerr := volumes.Get(ctx, d.admin.volume, v.ID).Extract(); gerr == nil {
				if cerr := backupable(op, now); cerr != nil {
					return core.Backup{}, cerr
				}
			}
		}
		return core.Backup{}, err
	}
	// Cinder answers a create with the id and name only.
	b, err := backups.Get(ctx, d.admin.volume, c.ID).Extract()
	if err != nil {
		return core.Backup{}, classify(op, err)
	}
	if b.ProjectID == "" {
		b.ProjectID = osProj
	}
	out := d.toBackup(ctx, b)
	out.ProjectID = req.ProjectID
	d.observe(ctx, backupObservation(out, osProj))
	return out, nil
}

// cinderBackup reads backup id with the service credential.
func (d *Driver) cinderBackup(ctx context.Context, op, id string) (*backups.Backup, error) {
	if err := core.ValidateID("backup_id", id); err != nil {
		return nil, &core.Error{Kind: core.NotFound, Op: op, Message: "backup " + id + " not found"}
	}
	b, err := backups.Get(ctx, d.admin.volume, id).Extract()
	if err != nil {
		return nil, classify(op, err)
	}
	return b, nil
}

// GetBackup shows a backup.
func (d *Driver) GetBackup(ctx context.Context, id string) (core.Backup, error) {
	b, err := d.cinderBackup(ctx, "GetBackup", id)
	if err != nil {
		return core.Backup{}, err
	}
	return d.seeBackup(ctx, b), nil
}

// ListBackups lists backups, oldest first.
func (d *Driver) ListBackups(ctx context.Context, opts core.ListOptions) ([]core.Backup, error) {
	const op = "ListBackups"
	out := []core.Backup{}
	osProj, ok, err := d.listScope(ctx, opts.ProjectID)
	if err != nil || !ok {
		return out, core.WithOp(op, err)
	}
	bs, err := d.listBackups(ctx, osProj, "")
	if err != nil {
		return nil, classify(op, err)
	}
	for i := range bs {
		b := d.seeBackup(ctx, &bs[i])
		if opts.DatacenterID == "" || b.DatacenterID == opts.DatacenterID {
			out = append(out, b)
		}
	}
	slices.SortFunc(out, func(a, b core.Backup) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// DeleteBackup deletes a backup no incremental backup builds on.
func (d *Driver) DeleteBackup(ctx context.Context, id string) error {
	const op = "DeleteBackup"
	b, err := d.cinderBackup(ctx, op, id)
	if err != nil {
		return err
	}
	if b.HasDependentBackups {
		if b, err = d.settleDependents(ctx, op, b); err != nil {
			return err
		}
	}
	if err := backupDeletable(op, b); err != nil {
		return err
	}
	if err := backups.Delete(ctx, d.admin.volume, id).ExtractErr(); err != nil {
		err = classify(op, err)
		// Only the id is sent: a 400 is about the backup's state or its
		// dependents, which changed since it was read.
		if core.KindOf(err) == core.InvalidArgument {
			if now, gerr := backups.Get(ctx, d.admin.volume, id).Extract(); gerr == nil {
				if cerr := backupDeletable(op, now); cerr != nil {
					return cerr
				}
			}
			return &core.Error{Kind: core.Conflict, Op: op, Message: core.MessageOf(err), Err: err}
		}
		return err
	}
	if b, err := backups.Get(ctx, d.admin.volume, id).Extract(); err == nil {
		d.seeBackup(ctx, b)
	}
	return nil
}

// dependentsSettle bounds the wait for Cinder's count of a backup's
// dependents to catch up with a dependent's deletion.
const dependentsSettle = 15 * time.Second

// settleDependents is b once Cinder's count of its dependents is right.
// cinder-backup removes a deleted incremental backup before it decrements
// its parent's count, so for a moment the parent still says it has
// dependents that no list shows: when none of b's volume's backups builds
// on b any more, this waits for the count to catch up. A dependent that
// still exists is a Conflict.
func (d *Driver) settleDependents(ctx context.Context, op string, b *backups.Backup) (*backups.Backup, error) {
	bs, err := d.listBackups(ctx, b.ProjectID, b.VolumeID)
	if err != nil {
		return nil, classify(op, err)
	}
	for i := range bs {
		o := &bs[i]
		if o.ID == b.ID || !o.IsIncremental {
			continue
		}
		parent := ""
		if o.Metadata != nil {
			parent = (*o.Metadata)[metaParent]
		}
		// A backup gisiaas did not make names no parent: any later
		// incremental one may build on b.
		if parent == b.ID || (parent == "" && o.CreatedAt.After(b.CreatedAt)) {
			return nil, storageErr(core.Conflict, op, "backup %s is the parent of incremental backup %s; delete it first", b.ID, o.ID)
		}
	}
	deadline := time.NewTimer(dependentsSettle)
	defer deadline.Stop()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for b.HasDependentBackups {
		select {
		case <-ctx.Done():
			return nil, classify(op, ctx.Err())
		case <-deadline.C:
			return b, nil // backupDeletable says Conflict
		case <-tick.C:
		}
		if b, err = d.cinderBackup(ctx, op, b.ID); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func backupDeletable(op string, b *backups.Backup) error {
	if b.HasDependentBackups {
		return storageErr(core.Conflict, op, "backup %s has incremental backups built on it; delete them first", b.ID)
	}
	if b.Status != "available" && b.Status != "error" {
		return storageErr(core.Conflict, op, "backup %s is %s; only an available or failed backup can be deleted", b.ID, b.Status)
	}
	return nil
}

// pollBackups lists every project's backups for the event source; Cinder
// lists no deleted one, so the list is complete.
func (d *Driver) pollBackups(ctx context.Context, _ time.Time) ([]observation, bool, error) {
	bs, err := d.listBackups(ctx, "", "")
	if err != nil {
		return nil, false, classify("ListBackups", err)
	}
	obs := make([]observation, 0, len(bs))
	for i := range bs {
		obs = append(obs, backupObservation(d.toBackup(ctx, &bs[i]), bs[i].ProjectID))
	}
	return obs, true, nil
}
