package openstack

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/snapshots"
	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/volumes"

	"github.com/gisiaas/gisiaas/core"
)

// Volume snapshots (X.1) are Cinder snapshots. As for volumes, Cinder's
// 400 mixes bad input and wrong state, so the source volume's state is read
// and decides.

var _ core.VolumeSnapshots = (*Driver)(nil)

// toSnapshot is the core view of a Cinder snapshot. A snapshot has no zone
// of its own: gisiaas keeps its volume's in the metadata.
func (d *Driver) toSnapshot(ctx context.Context, s *snapshots.Snapshot) core.VolumeSnapshot {
	tags, dc, _ := metaFromMetadata(s.Metadata)
	return core.VolumeSnapshot{
		Meta: core.Meta{ProjectID: d.projects.gisProject(ctx, s.ProjectID), DatacenterID: d.dcOf(ctx, dc, ""),
			Tags: tags, CreatedAt: s.CreatedAt.UTC(), UpdatedAt: cinderTime(s.UpdatedAt, s.CreatedAt)},
		ID: s.ID, Name: s.Name, Description: s.Description, VolumeID: s.VolumeID, SizeGB: int64(s.Size),
		Status: snapshotState(s.Status), NativeStatus: s.Status,
	}
}

// snapshotObservation is what the event log learns from a snapshot:
// billing rates it by size.
func snapshotObservation(s core.VolumeSnapshot, osProject string) observation {
	return observation{Type: core.TypeVolumeSnapshot, ID: s.ID, OSProject: osProject, ProjectID: s.ProjectID,
		DatacenterID: s.DatacenterID, State: string(s.Status), Attrs: core.EventAttributes{Name: s.Name, SizeGB: s.SizeGB},
		Time: s.UpdatedAt}
}

func (d *Driver) seeSnapshot(ctx context.Context, s *snapshots.Snapshot) core.VolumeSnapshot {
	out := d.toSnapshot(ctx, s)
	d.observe(ctx, snapshotObservation(out, s.ProjectID))
	return out
}

// sourceVolume resolves the volume a snapshot or backup of OpenStack
// project osProj is taken of: it must exist in that project (a reference
// to anything else is InvalidArgument), and the copy lives in the
// volume's datacenter, which m gets when it names none.
func (d *Driver) sourceVolume(ctx context.Context, op string, m *core.CreateMeta, osProj, volumeID string) (*volumes.Volume, error) {
	v, err := volumes.Get(ctx, d.admin.volume, volumeID).Extract()
	if err != nil {
		return nil, createRefError(op, err)
	}
	if v.TenantID != osProj {
		return nil, storageErr(core.InvalidArgument, op, "volume_id: volume %s not found", volumeID)
	}
	_, dc, _ := metaFromMetadata(v.Metadata)
	dc = d.dcOf(ctx, dc, v.AvailabilityZone)
	if m.DatacenterID == "" {
		m.DatacenterID = dc
	}
	if m.DatacenterID != dc {
		return nil, storageErr(core.InvalidArgument, op, "datacenter_id: volume %s is in datacenter %s", v.ID, dc)
	}
	return v, nil
}

// snapshottable is nil when Cinder snapshots v now.
func snapshottable(op string, v *volumes.Volume, force bool) error {
	switch {
	case v.Status == "available":
	case v.Status == "in-use" && force:
	case v.Status == "in-use":
		return storageErr(core.Conflict, op, "volume %s is in-use; use force to snapshot an attached volume", v.ID)
	default:
		return storageErr(core.Conflict, op, "volume %s is %s; only an available or in-use volume can be snapshotted", v.ID, v.Status)
	}
	return nil
}

// CreateVolumeSnapshot snapshots a volume (X.1); an in-use volume needs
// Force. A create with a client token that made a snapshot already returns
// that one, whatever the volume's state now.
func (d *Driver) CreateVolumeSnapshot(ctx context.Context, req core.VolumeSnapshotCreate) (core.VolumeSnapshot, error) {
	const op = "CreateVolumeSnapshot"
	if err := req.Validate(); err != nil {
		return core.VolumeSnapshot{}, core.WithOp(op, err)
	}
	cs, osProj, err := d.projects.clientsFor(ctx, req.ProjectID)
	if err != nil {
		return core.VolumeSnapshot{}, core.WithOp(op, err)
	}
	tag := tokenTag(osProj, req.ClientToken)
	defer tokenLocks.lock(tag)()
	if tag != "" {
		pages, err := snapshots.ListDetail(cs.volume, cinderQuery{}.withMetadata(metaToken, tag)).AllPages(ctx)
		if err != nil {
			return core.VolumeSnapshot{}, classify(op, err)
		}
		ss, err := snapshots.ExtractSnapshots(pages)
		if err != nil {
			return core.VolumeSnapshot{}, classify(op, err)
		}
		for i := range ss {
			if ss[i].Metadata[metaToken] == tag {
				out := d.seeSnapshot(ctx, &ss[i])
				out.ProjectID = req.ProjectID
				return out, nil
			}
		}
	}
	v, err := d.sourceVolume(ctx, op, &req.CreateMeta, osProj, req.VolumeID)
	if err != nil {
		return core.VolumeSnapshot{}, err
	}
	if err := snapshottable(op, v, req.Force); err != nil {
		return core.VolumeSnapshot{}, err
	}
	s, err := snapshots.Create(ctx, cs.volume, snapshots.CreateOpts{VolumeID: v.ID, Force: req.Force, Name: req.Name,
		Description: req.Description, Metadata: createMetadata(req.CreateMeta, osProj, nil)}).Extract()
	if err != nil {
		err = createRefError(op, err)
		if core.KindOf(err) == core.InvalidArgument {
			// The request was checked; what changed is the volume.
			if now, gerr := volumes.Get(ctx, d.admin.volume, v.ID).Extract(); gerr == nil {
				if cerr := snapshottable(op, now, req.Force); cerr != nil {
					return core.VolumeSnapshot{}, cerr
				}
			}
		}
		return core.VolumeSnapshot{}, err
	}
	if s.ProjectID == "" {
		s.ProjectID = osProj
	}
	out := d.toSnapshot(ctx, s)
	out.ProjectID = req.ProjectID
	d.observe(ctx, snapshotObservation(out, osProj))
	return out, nil
}

// cinderSnapshot reads snapshot id with the service credential.
func (d *Driver) cinderSnapshot(ctx context.Context, op, id string) (*snapshots.Snapshot, error) {
	if err := core.ValidateID("snapshot_id", id); err != nil {
		return nil, &core.Error{Kind: core.NotFound, Op: op, Message: "snapshot " + id + " not found"}
	}
	s, err := snapshots.Get(ctx, d.admin.volume, id).Extract()
	if err != nil {
		return nil, classify(op, err)
	}
	return s, nil
}

// GetVolumeSnapshot shows a snapshot.
func (d *Driver) GetVolumeSnapshot(ctx context.Context, id string) (core.VolumeSnapshot, error) {
	s, err := d.cinderSnapshot(ctx, "GetVolumeSnapshot", id)
	if err != nil {
		return core.VolumeSnapshot{}, err
	}
	return d.seeSnapshot(ctx, s), nil
}

// listSnapshots is every snapshot of OpenStack project osProject ("" for
// every project), with details.
func (d *Driver) listSnapshots(ctx context.Context, osProject string) ([]snapshots.Snapshot, error) {
	pages, err := snapshots.ListDetail(d.admin.volume, scope(osProject)).AllPages(ctx)
	if err != nil {
		return nil, err
	}
	return snapshots.ExtractSnapshots(pages)
}

// ListVolumeSnapshots lists snapshots, oldest first.
func (d *Driver) ListVolumeSnapshots(ctx context.Context, opts core.ListOptions) ([]core.VolumeSnapshot, error) {
	const op = "ListVolumeSnapshots"
	out := []core.VolumeSnapshot{}
	osProj, ok, err := d.listScope(ctx, opts.ProjectID)
	if err != nil || !ok {
		return out, core.WithOp(op, err)
	}
	ss, err := d.listSnapshots(ctx, osProj)
	if err != nil {
		return nil, classify(op, err)
	}
	for i := range ss {
		s := d.seeSnapshot(ctx, &ss[i])
		if opts.DatacenterID == "" || s.DatacenterID == opts.DatacenterID {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b core.VolumeSnapshot) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// DeleteVolumeSnapshot deletes an available or failed snapshot.
func (d *Driver) DeleteVolumeSnapshot(ctx context.Context, id string) error {
	const op = "DeleteVolumeSnapshot"
	s, err := d.cinderSnapshot(ctx, op, id)
	if err != nil {
		return err
	}
	if err := snapshotDeletable(op, s); err != nil {
		return err
	}
	if err := snapshots.Delete(ctx, d.admin.volume, id).ExtractErr(); err != nil {
		err = classify(op, err)
		// Only the id is sent: a 400 is about the snapshot's state (or a
		// volume made from it, on backends that link them).
		if core.KindOf(err) == core.InvalidArgument {
			return &core.Error{Kind: core.Conflict, Op: op, Message: core.MessageOf(err), Err: err}
		}
		return err
	}
	if s, err := snapshots.Get(ctx, d.admin.volume, id).Extract(); err == nil {
		d.seeSnapshot(ctx, s)
	}
	return nil
}

func snapshotDeletable(op string, s *snapshots.Snapshot) error {
	// Native statuses: a snapshot being backed up reads as available
	// but Cinder will not delete it.
	if s.Status != "available" && s.Status != "error" && s.Status != "error_deleting" {
		return storageErr(core.Conflict, op, "snapshot %s is %s; only an available or failed snapshot can be deleted", s.ID, s.Status)
	}
	return nil
}

// pollSnapshots lists every project's snapshots for the event source;
// Cinder lists no deleted one, so the list is complete.
func (d *Driver) pollSnapshots(ctx context.Context, _ time.Time) ([]observation, bool, error) {
	ss, err := d.listSnapshots(ctx, "")
	if err != nil {
		return nil, false, classify("ListVolumeSnapshots", err)
	}
	obs := make([]observation, 0, len(ss))
	for i := range ss {
		obs = append(obs, snapshotObservation(d.toSnapshot(ctx, &ss[i]), ss[i].ProjectID))
	}
	return obs, true, nil
}
