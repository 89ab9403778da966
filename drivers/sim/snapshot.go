package sim

import (
	"context"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

func init() {
	transitions["snapshot.create"] = func(d *Driver, id string) {
		if s, ok := d.st.Snapshots[id]; ok && s.Status == core.SnapshotCreating {
			d.setSnapshotStatus(s, core.SnapshotAvailable)
		}
	}
	transitions["snapshot.delete"] = func(d *Driver, id string) {
		if s, ok := d.st.Snapshots[id]; ok && s.Status == core.SnapshotDeleting {
			d.setSnapshotStatus(s, core.SnapshotDeleted)
			delete(d.st.Snapshots, id)
		}
	}
}

func (d *Driver) setSnapshotStatus(s *core.VolumeSnapshot, to core.SnapshotStatus) {
	from := s.Status
	s.Status = to
	s.UpdatedAt = d.now()
	d.emit(core.TypeVolumeSnapshot, s.ID, s.Meta, string(from), string(to), core.EventAttributes{Name: s.Name, SizeGB: s.SizeGB})
}

// sourceVolume resolves the volume a snapshot or backup is taken of: it must
// exist for the project, and the copy lives in the volume's datacenter.
// Called with d.mu held.
func (d *Driver) sourceVolume(op string, m *core.CreateMeta, volumeID string) (*core.Volume, error) {
	v, ok := d.st.Volumes[volumeID]
	if !ok || !sameProject(m.ProjectID, v.ProjectID) {
		return nil, invalidArg(op, "volume_id: volume %s not found", volumeID)
	}
	if m.DatacenterID == "" {
		m.DatacenterID = v.DatacenterID
	}
	if m.DatacenterID != v.DatacenterID {
		return nil, invalidArg(op, "datacenter_id: volume %s is in datacenter %s", v.ID, v.DatacenterID)
	}
	if err := d.checkDC(op, v.DatacenterID); err != nil {
		return nil, err
	}
	return v, nil
}

// CreateVolumeSnapshot snapshots a volume (X.1); an in-use volume needs Force.
func (d *Driver) CreateVolumeSnapshot(ctx context.Context, req core.VolumeSnapshotCreate) (core.VolumeSnapshot, error) {
	const op = "CreateVolumeSnapshot"
	if err := d.begin(ctx, op); err != nil {
		return core.VolumeSnapshot{}, err
	}
	if err := req.Validate(); err != nil {
		return core.VolumeSnapshot{}, core.WithOp(op, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	// The token comes first: a retry gets its snapshot even if the volume has changed since.
	if id, ok := d.token(core.TypeVolumeSnapshot, req.CreateMeta); ok {
		if s, ok := d.st.Snapshots[id]; ok {
			if err := d.checkDC(op, s.DatacenterID); err != nil {
				return core.VolumeSnapshot{}, err
			}
			return cloneSnapshot(s), nil
		}
	}
	v, err := d.sourceVolume(op, &req.CreateMeta, req.VolumeID)
	if err != nil {
		return core.VolumeSnapshot{}, err
	}
	switch {
	case v.Status == core.VolumeAvailable:
	case v.Status == core.VolumeInUse && req.Force:
	case v.Status == core.VolumeInUse:
		return core.VolumeSnapshot{}, conflict(op, "volume %s is in-use; use force to snapshot an attached volume", v.ID)
	default:
		return core.VolumeSnapshot{}, conflict(op, "volume %s is %s; only an available or in-use volume can be snapshotted", v.ID, v.Status)
	}
	s := &core.VolumeSnapshot{Meta: d.newMeta(req.CreateMeta), ID: d.newID(), Name: req.Name,
		Description: req.Description, VolumeID: v.ID, SizeGB: v.SizeGB, Status: core.SnapshotCreating}
	d.st.Snapshots[s.ID] = s
	d.emit(core.TypeVolumeSnapshot, s.ID, s.Meta, "", string(s.Status), core.EventAttributes{Name: s.Name, SizeGB: s.SizeGB})
	d.remember(core.TypeVolumeSnapshot, req.CreateMeta, s.ID)
	// Cloned after scheduling, as CreateVolume does: with no latency the
	// answer already shows the final state.
	d.schedule("snapshot.create", s.ID)
	out := cloneSnapshot(s)
	if err := d.commit(); err != nil {
		return core.VolumeSnapshot{}, err
	}
	return out, nil
}

// GetVolumeSnapshot shows a snapshot.
func (d *Driver) GetVolumeSnapshot(ctx context.Context, id string) (core.VolumeSnapshot, error) {
	if err := d.begin(ctx, "GetVolumeSnapshot"); err != nil {
		return core.VolumeSnapshot{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	s, ok := d.st.Snapshots[id]
	if !ok {
		return core.VolumeSnapshot{}, notFound("GetVolumeSnapshot", core.TypeVolumeSnapshot, id)
	}
	if err := d.checkDC("GetVolumeSnapshot", s.DatacenterID); err != nil {
		return core.VolumeSnapshot{}, err
	}
	return cloneSnapshot(s), nil
}

// ListVolumeSnapshots lists snapshots, oldest first.
func (d *Driver) ListVolumeSnapshots(ctx context.Context, opts core.ListOptions) ([]core.VolumeSnapshot, error) {
	if err := d.begin(ctx, "ListVolumeSnapshots"); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.checkListDC("ListVolumeSnapshots", opts); err != nil {
		return nil, err
	}
	out := make([]core.VolumeSnapshot, 0, len(d.st.Snapshots))
	for _, s := range d.st.Snapshots {
		if matches(opts, s.Meta) && !d.down[s.DatacenterID] {
			out = append(out, cloneSnapshot(s))
		}
	}
	sortByCreated(out, func(x *core.VolumeSnapshot) (time.Time, string) { return x.CreatedAt, x.ID })
	return out, nil
}

// DeleteVolumeSnapshot deletes an available or failed snapshot.
func (d *Driver) DeleteVolumeSnapshot(ctx context.Context, id string) error {
	const op = "DeleteVolumeSnapshot"
	if err := d.begin(ctx, op); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	s, ok := d.st.Snapshots[id]
	if !ok {
		return notFound(op, core.TypeVolumeSnapshot, id)
	}
	if err := d.checkDC(op, s.DatacenterID); err != nil {
		return err
	}
	if s.Status != core.SnapshotAvailable && s.Status != core.SnapshotError {
		return conflict(op, "snapshot %s is %s; only an available or failed snapshot can be deleted", id, s.Status)
	}
	d.setSnapshotStatus(s, core.SnapshotDeleting)
	d.schedule("snapshot.delete", id)
	return d.commit()
}
