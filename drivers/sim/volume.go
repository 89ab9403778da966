package sim

import (
	"context"
	"fmt"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

func init() {
	transitions["volume.create"] = func(d *Driver, id string) {
		if v, ok := d.st.Volumes[id]; ok && v.Status == core.VolumeCreating {
			d.setVolumeStatus(v, core.VolumeAvailable)
		}
	}
	transitions["volume.extend"] = func(d *Driver, id string) {
		v, ok := d.st.Volumes[id]
		if !ok || v.Status != core.VolumeExtending {
			return
		}
		// The state to return to is the one the extend started from: it
		// starts only from available (no attachments) or in-use (some), and
		// nothing attaches or detaches meanwhile: DetachVolume refuses, and
		// a deleted server's detach leaves the volume extending only while
		// other attachments remain. Deriving it survives a restart.
		to := core.VolumeAvailable
		if len(v.Attachments) > 0 {
			to = core.VolumeInUse
		}
		d.setVolumeStatus(v, to)
	}
	transitions["volume.delete"] = func(d *Driver, id string) {
		if v, ok := d.st.Volumes[id]; ok && v.Status == core.VolumeDeleting {
			d.setVolumeStatus(v, core.VolumeDeleted)
			delete(d.st.Volumes, id)
		}
	}
}

// setVolumeStatus moves v to status and emits the event. Called with d.mu held.
func (d *Driver) setVolumeStatus(v *core.Volume, to core.VolumeStatus) {
	from := v.Status
	v.Status = to
	v.UpdatedAt = d.now()
	d.emit(core.TypeVolume, v.ID, v.Meta, string(from), string(to), volumeAttrs(v))
}

// volume looks up id for op, checking its datacenter is up. Called with d.mu held.
func (d *Driver) volume(op, id string) (*core.Volume, error) {
	v, ok := d.st.Volumes[id]
	if !ok {
		return nil, notFound(op, core.TypeVolume, id)
	}
	if err := d.checkDC(op, v.DatacenterID); err != nil {
		return nil, err
	}
	return v, nil
}

// checkListDC refuses a list filtered on a datacenter that is down
// (Unavailable) or unknown (InvalidArgument), as ListServers does; a list
// across datacenters leaves out those that are down. Called with d.mu held.
func (d *Driver) checkListDC(op string, opts core.ListOptions) error {
	if opts.DatacenterID == "" {
		return nil
	}
	return d.checkDC(op, opts.DatacenterID)
}

// sameProject reports whether a resource of project b may be used by a request of project a.
func sameProject(a, b string) bool { return a == "" || b == "" || a == b }

// createVolumeLocked checks and creates a volume; with instant it is
// available at once (a server's boot volume), else after the latency. req
// is validated and its datacenter resolved. Called with d.mu held; the
// caller commits and handles client tokens.
func (d *Driver) createVolumeLocked(op string, req core.VolumeCreate, instant bool) (*core.Volume, error) {
	if req.VolumeType == "" {
		req.VolumeType = d.cfg.VolumeTypes[0]
	}
	known := false
	for _, t := range d.cfg.VolumeTypes {
		known = known || t == req.VolumeType
	}
	if !known {
		return nil, invalidArg(op, "volume_type: %q is not one of %v", req.VolumeType, d.cfg.VolumeTypes)
	}
	if req.SnapshotID != "" {
		sn, ok := d.st.Snapshots[req.SnapshotID]
		if !ok || !sameProject(req.ProjectID, sn.ProjectID) {
			return nil, invalidArg(op, "snapshot_id: snapshot %s not found", req.SnapshotID)
		}
		if sn.DatacenterID != req.DatacenterID {
			return nil, invalidArg(op, "snapshot_id: snapshot %s is in datacenter %s, not %s", sn.ID, sn.DatacenterID, req.DatacenterID)
		}
		// A source that is not ready is a bad reference (Cinder's 400
		// InvalidSnapshot), not a conflict on the volume being made.
		if sn.Status != core.SnapshotAvailable {
			return nil, invalidArg(op, "snapshot_id: snapshot %s is %s, not available", sn.ID, sn.Status)
		}
		if req.SizeGB < sn.SizeGB {
			return nil, invalidArg(op, "size_gb: %d is smaller than snapshot %s (%d GB)", req.SizeGB, sn.ID, sn.SizeGB)
		}
	}
	if req.ImageID != "" {
		im, ok := d.st.Images[req.ImageID]
		if !ok || !visibleImage(im, req.ProjectID) {
			return nil, invalidArg(op, "image_id: image %s not found", req.ImageID)
		}
		if im.Status != core.ImageActive {
			return nil, invalidArg(op, "image_id: image %s is %s, not active", im.ID, im.Status)
		}
		// The volume must hold the whole image (rounded up to a GiB) and
		// meet the image's own minimum.
		need := max((im.SizeBytes+(1<<30)-1)>>30, im.MinDiskGB)
		if req.SizeGB < need {
			return nil, invalidArg(op, "size_gb: image %s needs at least %d GB, not %d", im.ID, need, req.SizeGB)
		}
	}
	if err := d.checkVolumeQuota(op, req.DatacenterID, req.ProjectID, req.SizeGB, 1); err != nil {
		return nil, err
	}
	v := &core.Volume{
		Meta: d.newMeta(req.CreateMeta), ID: d.newID(), Name: req.Name, Description: req.Description,
		SizeGB: req.SizeGB, VolumeType: req.VolumeType, Shareable: req.Shareable,
		Host: fmt.Sprintf("%s@sim-%s", req.DatacenterID, req.VolumeType), Status: core.VolumeCreating,
		Attachments: []core.Attachment{}, SnapshotID: req.SnapshotID, ImageID: req.ImageID,
	}
	d.st.Volumes[v.ID] = v
	d.emit(core.TypeVolume, v.ID, v.Meta, "", string(core.VolumeCreating), volumeAttrs(v))
	if instant {
		d.setVolumeStatus(v, core.VolumeAvailable)
	} else {
		d.schedule("volume.create", v.ID)
	}
	return v, nil
}

// CreateVolume creates a volume (B.4.1.1).
func (d *Driver) CreateVolume(ctx context.Context, req core.VolumeCreate) (core.Volume, error) {
	const op = "CreateVolume"
	if err := d.begin(ctx, op); err != nil {
		return core.Volume{}, err
	}
	if err := req.Validate(); err != nil {
		return core.Volume{}, core.WithOp(op, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.resolveDC(op, &req.CreateMeta); err != nil {
		return core.Volume{}, err
	}
	if id, ok := d.token(core.TypeVolume, req.CreateMeta); ok {
		if v, ok := d.st.Volumes[id]; ok {
			return cloneVolume(v), nil
		}
	}
	v, err := d.createVolumeLocked(op, req, false)
	if err != nil {
		return core.Volume{}, err
	}
	d.remember(core.TypeVolume, req.CreateMeta, v.ID)
	out := cloneVolume(v)
	if err := d.commit(); err != nil {
		return core.Volume{}, err
	}
	return out, nil
}

// GetVolume shows a volume with its host and attachments (B.4.1.3).
func (d *Driver) GetVolume(ctx context.Context, id string) (core.Volume, error) {
	if err := d.begin(ctx, "GetVolume"); err != nil {
		return core.Volume{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	v, err := d.volume("GetVolume", id)
	if err != nil {
		return core.Volume{}, err
	}
	return cloneVolume(v), nil
}

// ListVolumes lists volumes, oldest first.
func (d *Driver) ListVolumes(ctx context.Context, opts core.ListOptions) ([]core.Volume, error) {
	if err := d.begin(ctx, "ListVolumes"); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.checkListDC("ListVolumes", opts); err != nil {
		return nil, err
	}
	out := make([]core.Volume, 0, len(d.st.Volumes))
	for _, v := range d.st.Volumes {
		if matches(opts, v.Meta) && !d.down[v.DatacenterID] {
			out = append(out, cloneVolume(v))
		}
	}
	sortByCreated(out, func(x *core.Volume) (time.Time, string) { return x.CreatedAt, x.ID })
	return out, nil
}

// DeleteVolume deletes a detached volume without snapshots (B.4.1.2).
func (d *Driver) DeleteVolume(ctx context.Context, id string) error {
	const op = "DeleteVolume"
	if err := d.begin(ctx, op); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	v, err := d.volume(op, id)
	if err != nil {
		return err
	}
	if len(v.Attachments) > 0 {
		return conflict(op, "volume %s is attached to server %s; detach it first", id, v.Attachments[0].ServerID)
	}
	if v.Status != core.VolumeAvailable && v.Status != core.VolumeError {
		return conflict(op, "volume %s is %s; only an available or failed volume can be deleted", id, v.Status)
	}
	for _, sn := range d.st.Snapshots {
		if sn.VolumeID == id {
			return conflict(op, "volume %s has snapshot %s; delete it first", id, sn.ID)
		}
	}
	d.setVolumeStatus(v, core.VolumeDeleting)
	d.schedule("volume.delete", id)
	return d.commit()
}

// AttachVolume attaches a volume to a server (B.4.1.4).
func (d *Driver) AttachVolume(ctx context.Context, id string, req core.VolumeAttach) (core.Volume, error) {
	const op = "AttachVolume"
	if err := d.begin(ctx, op); err != nil {
		return core.Volume{}, err
	}
	if err := req.Validate(); err != nil {
		return core.Volume{}, core.WithOp(op, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	v, err := d.volume(op, id)
	if err != nil {
		return core.Volume{}, err
	}
	s, ok := d.st.Servers[req.ServerID]
	if !ok || !sameProject(v.ProjectID, s.ProjectID) {
		return core.Volume{}, invalidArg(op, "server_id: server %s not found", req.ServerID)
	}
	if req.ServerName != "" && req.ServerName != s.Name {
		return core.Volume{}, invalidArg(op, "server_name: server %s is named %q, not %q", s.ID, s.Name, req.ServerName)
	}
	if err := d.attachVolume(op, v, s, req.Mode, req.Mountpoint); err != nil {
		return core.Volume{}, err
	}
	if err := d.commit(); err != nil {
		return core.Volume{}, err
	}
	return cloneVolume(v), nil
}

// DetachVolume detaches a volume from a server (B.4.1.5).
func (d *Driver) DetachVolume(ctx context.Context, id, serverID string) (core.Volume, error) {
	const op = "DetachVolume"
	if err := d.begin(ctx, op); err != nil {
		return core.Volume{}, err
	}
	if err := core.ValidateID("server_id", serverID); err != nil {
		return core.Volume{}, core.WithOp(op, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	v, err := d.volume(op, id)
	if err != nil {
		return core.Volume{}, err
	}
	// Cinder detaches only an in-use volume; one being extended keeps its
	// attachments until the extend is done.
	if len(v.Attachments) > 0 && v.Status != core.VolumeInUse {
		return core.Volume{}, conflict(op, "volume %s is %s; only an in-use volume can be detached", id, v.Status)
	}
	if err := d.detachVolume(op, v, serverID); err != nil {
		return core.Volume{}, err
	}
	if err := d.commit(); err != nil {
		return core.Volume{}, err
	}
	return cloneVolume(v), nil
}

// ExtendVolume grows a volume (B.4.1.6); the new size must be strictly
// larger. An attached volume may grow too, as Cinder allows since 3.42.
//
// The new size is the volume's from the request on: the quota holds it (as
// Cinder reserves it at the request) and every event from extending on
// carries it, so usage, the volume and billing never disagree, even across
// a restart while the extend is pending.
func (d *Driver) ExtendVolume(ctx context.Context, id string, newSizeGB int64) (core.Volume, error) {
	const op = "ExtendVolume"
	if err := d.begin(ctx, op); err != nil {
		return core.Volume{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	v, err := d.volume(op, id)
	if err != nil {
		return core.Volume{}, err
	}
	if err := core.ValidateExtend(v.SizeGB, newSizeGB); err != nil {
		return core.Volume{}, core.WithOp(op, err)
	}
	if v.Status != core.VolumeAvailable && v.Status != core.VolumeInUse {
		return core.Volume{}, conflict(op, "volume %s is %s; only an available or in-use volume can be extended", id, v.Status)
	}
	if err := d.checkVolumeQuota(op, v.DatacenterID, v.ProjectID, newSizeGB-v.SizeGB, 0); err != nil {
		return core.Volume{}, err
	}
	v.SizeGB = newSizeGB
	d.setVolumeStatus(v, core.VolumeExtending)
	out := cloneVolume(v)
	d.schedule("volume.extend", id)
	if err := d.commit(); err != nil {
		return core.Volume{}, err
	}
	return out, nil
}
