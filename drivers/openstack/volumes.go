package openstack

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/attachments"
	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/availabilityzones"
	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/quotasets"
	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/snapshots"
	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/volumes"
	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/volumetypes"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/volumeattach"

	"github.com/gisiaas/gisiaas/core"
)

// Volumes (B.4.1) are Cinder volumes; attach and detach go through Nova's
// volume attachments, which run Cinder's attachment flow and tell the
// hypervisor. Cinder answers 400 both for bad input and for a volume in the
// wrong state, so every action reads the volume first and decides by its
// state; a 400 that still comes back is judged by the state read again.

var (
	_ core.Volumes = (*Driver)(nil)
	_ core.Quotas  = (*Driver)(nil)
)

// cinderQuery is a list's query string, for filters gophercloud's list
// options lack (metadata on snapshots, volume_id on detailed backups).
type cinderQuery url.Values

func (q cinderQuery) query() (string, error) {
	if len(q) == 0 {
		return "", nil
	}
	return "?" + url.Values(q).Encode(), nil
}

func (q cinderQuery) ToVolumeListQuery() (string, error)       { return q.query() }
func (q cinderQuery) ToSnapshotListQuery() (string, error)     { return q.query() }
func (q cinderQuery) ToBackupListDetailQuery() (string, error) { return q.query() }

// withMetadata adds Cinder's metadata filter, spelled as Cinder parses it.
func (q cinderQuery) withMetadata(k, v string) cinderQuery {
	url.Values(q).Set("metadata", "{'"+k+"':'"+v+"'}")
	return q
}

// scope is the query of an admin list: all projects, or one.
func scope(osProject string) cinderQuery {
	q := cinderQuery{"all_tenants": {"1"}}
	if osProject != "" {
		q["project_id"] = []string{osProject}
	}
	return q
}

// tokenLocks serializes the creates of one client token in this process,
// so that two concurrent retries cannot both miss the lookup and create
// twice. An entry lives while someone holds or waits for it.
var tokenLocks = keyedLocks{m: map[string]*keyedLock{}}

type keyedLocks struct {
	mu sync.Mutex
	m  map[string]*keyedLock
}

type keyedLock struct {
	sync.Mutex
	n int
}

// lock locks key ("" locks nothing) and returns the unlock.
func (k *keyedLocks) lock(key string) func() {
	if key == "" {
		return func() {}
	}
	k.mu.Lock()
	l, ok := k.m[key]
	if !ok {
		l = &keyedLock{}
		k.m[key] = l
	}
	l.n++
	k.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		k.mu.Lock()
		if l.n--; l.n == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
}

// storageErr is an error of kind k from op, with a message for the user.
func storageErr(k core.Kind, op, format string, args ...any) error {
	return &core.Error{Kind: k, Op: op, Message: fmt.Sprintf(format, args...)}
}

// cinderTime is a Cinder timestamp in UTC; a resource never updated has
// no updated_at, and then its creation is its last change.
func cinderTime(t, fallback time.Time) time.Time {
	if t.IsZero() {
		t = fallback
	}
	return t.UTC()
}

// volumeAttachMode is the mode of a new attachment of a volume with
// metadata md: Cinder attaches a read-only volume read-only.
func volumeAttachMode(md map[string]string) string {
	if strings.EqualFold(md["readonly"], "true") {
		return "ro"
	}
	return "rw"
}

// attachModes maps Cinder attachment ids to their modes, for the volume
// volumeID of OpenStack project osProject ("" for every one): the volume's
// own view does not show them.
func (d *Driver) attachModes(ctx context.Context, osProject, volumeID string) (map[string]string, error) {
	pages, err := attachments.List(d.admin.volume, attachments.ListOpts{AllTenants: true, ProjectID: osProject, VolumeID: volumeID}).AllPages(ctx)
	if err != nil {
		return nil, err
	}
	as, err := attachments.ExtractAttachments(pages)
	if err != nil {
		return nil, err
	}
	modes := make(map[string]string, len(as))
	for _, a := range as {
		modes[a.ID] = a.AttachMode
	}
	return modes, nil
}

// toVolume is the core view of a Cinder volume; modes are its attachments'
// modes by attachment id (attachModes), nil where unknown.
func (d *Driver) toVolume(ctx context.Context, v *volumes.Volume, modes map[string]string) core.Volume {
	tags, dc, _ := metaFromMetadata(v.Metadata)
	out := core.Volume{
		Meta: core.Meta{ProjectID: d.projects.gisProject(ctx, v.TenantID), DatacenterID: d.dcOf(ctx, dc, v.AvailabilityZone),
			Tags: tags, CreatedAt: v.CreatedAt.UTC(), UpdatedAt: cinderTime(v.UpdatedAt, v.CreatedAt)},
		ID: v.ID, Name: v.Name, Description: v.Description, SizeGB: int64(v.Size), VolumeType: v.VolumeType,
		Shareable: v.Multiattach, Host: v.Host, Status: volumeState(v.Status, len(v.Attachments) > 0),
		NativeStatus: v.Status, Attachments: []core.Attachment{}, SnapshotID: v.SnapshotID,
		ImageID: v.VolumeImageMetadata["image_id"],
	}
	for _, a := range v.Attachments {
		mode := modes[a.AttachmentID]
		if mode != "ro" && mode != "rw" {
			mode = volumeAttachMode(v.Metadata)
		}
		out.Attachments = append(out.Attachments, core.Attachment{ServerID: a.ServerID, Mountpoint: a.Device,
			Mode: mode, AttachedAt: cinderTime(a.AttachedAt, out.UpdatedAt)})
	}
	return out
}

// volumeObservation is what the event log learns from a volume: billing
// rates it by size and type, and by the server holding it.
func volumeObservation(v core.Volume, osProject string) observation {
	a := core.EventAttributes{Name: v.Name, SizeGB: v.SizeGB, VolumeType: v.VolumeType}
	if len(v.Attachments) > 0 {
		a.ServerID = v.Attachments[0].ServerID
	}
	return observation{Type: core.TypeVolume, ID: v.ID, OSProject: osProject, ProjectID: v.ProjectID,
		DatacenterID: v.DatacenterID, State: string(v.Status), Attrs: a, Time: v.UpdatedAt}
}

// seeVolume converts v, with its attachments' modes when it has any,
// and tells the event log.
func (d *Driver) seeVolume(ctx context.Context, v *volumes.Volume) core.Volume {
	var modes map[string]string
	if len(v.Attachments) > 0 {
		modes, _ = d.attachModes(ctx, v.TenantID, v.ID) // unknown modes read as the volume's flag
	}
	out := d.toVolume(ctx, v, modes)
	d.observe(ctx, volumeObservation(out, v.TenantID))
	return out
}

// cinderVolume reads volume id with the service credential; a missing one
// is NotFound.
func (d *Driver) cinderVolume(ctx context.Context, op, id string) (*volumes.Volume, error) {
	if err := core.ValidateID("volume_id", id); err != nil {
		return nil, &core.Error{Kind: core.NotFound, Op: op, Message: "volume " + id + " not found"}
	}
	v, err := volumes.Get(ctx, d.admin.volume, id).Extract()
	if err != nil {
		return nil, classify(op, err)
	}
	return v, nil
}

// createRefError is the error of a create whose body names something:
// a 404 there can only be about a reference in the body.
func createRefError(op string, err error) error {
	err = classify(op, err)
	if core.KindOf(err) == core.NotFound {
		return &core.Error{Kind: core.InvalidArgument, Op: op, Message: core.MessageOf(err), Err: err}
	}
	return err
}

// CreateVolume creates a volume in the project's OpenStack project
// (B.4.1.1), or returns the one an earlier create with the same client
// token made.
func (d *Driver) CreateVolume(ctx context.Context, req core.VolumeCreate) (core.Volume, error) {
	const op = "CreateVolume"
	if err := req.Validate(); err != nil {
		return core.Volume{}, core.WithOp(op, err)
	}
	cs, osProj, err := d.projects.clientsFor(ctx, req.ProjectID)
	if err != nil {
		return core.Volume{}, core.WithOp(op, err)
	}
	tag := tokenTag(osProj, req.ClientToken)
	defer tokenLocks.lock(tag)()
	if tag != "" {
		pages, err := volumes.List(cs.volume, cinderQuery{}.withMetadata(metaToken, tag)).AllPages(ctx)
		if err != nil {
			return core.Volume{}, classify(op, err)
		}
		vs, err := volumes.ExtractVolumes(pages)
		if err != nil {
			return core.Volume{}, classify(op, err)
		}
		if len(vs) > 0 {
			out := d.seeVolume(ctx, &vs[0])
			out.ProjectID = req.ProjectID
			return out, nil
		}
	}
	if req.Shareable {
		if err := d.checkMultiattach(ctx, op, req.VolumeType); err != nil {
			return core.Volume{}, err
		}
	}
	v, err := volumes.Create(ctx, cs.volume, volumes.CreateOpts{
		Size: int(req.SizeGB), AvailabilityZone: d.zoneName(req.DatacenterID), Name: req.Name, Description: req.Description,
		VolumeType: req.VolumeType, SnapshotID: req.SnapshotID, ImageID: req.ImageID,
		Metadata: createMetadata(req.CreateMeta, osProj, nil),
	}, nil).Extract()
	if err != nil {
		return core.Volume{}, createRefError(op, err)
	}
	if v.TenantID == "" {
		v.TenantID = osProj
	}
	out := d.toVolume(ctx, v, nil)
	out.ProjectID = req.ProjectID
	if out.ImageID == "" {
		out.ImageID = req.ImageID // Cinder shows it once the image is copied in
	}
	d.observe(ctx, volumeObservation(out, osProj))
	return out, nil
}

// checkMultiattach refuses a shareable volume of a type that cannot be
// (Cinder ≥3.50 makes multiattach a property of the volume type).
func (d *Driver) checkMultiattach(ctx context.Context, op, typ string) error {
	var t *volumetypes.VolumeType
	if typ == "" {
		// Cinder shows its default type under the id "default".
		dt, err := volumetypes.Get(ctx, d.admin.volume, "default").Extract()
		if err != nil {
			return classify(op, err)
		}
		t = dt
	} else {
		pages, err := volumetypes.List(d.admin.volume, volumetypes.ListOpts{}).AllPages(ctx)
		if err != nil {
			return classify(op, err)
		}
		all, err := volumetypes.ExtractVolumeTypes(pages)
		if err != nil {
			return classify(op, err)
		}
		for i := range all {
			if all[i].Name == typ || all[i].ID == typ {
				t = &all[i]
			}
		}
		if t == nil {
			return storageErr(core.InvalidArgument, op, "volume_type: no volume type %q", typ)
		}
	}
	if !strings.EqualFold(strings.TrimSpace(strings.TrimPrefix(t.ExtraSpecs["multiattach"], "<is>")), "true") {
		return storageErr(core.InvalidArgument, op, "shareable: volume type %s does not allow attaching to several servers (multiattach)", t.Name)
	}
	return nil
}

// GetVolume shows a volume with its host and attachments (B.4.1.3).
func (d *Driver) GetVolume(ctx context.Context, id string) (core.Volume, error) {
	v, err := d.cinderVolume(ctx, "GetVolume", id)
	if err != nil {
		return core.Volume{}, err
	}
	return d.seeVolume(ctx, v), nil
}

// listVolumes is every volume of OpenStack project osProject ("" for
// every project).
func (d *Driver) listVolumes(ctx context.Context, osProject string) ([]volumes.Volume, error) {
	pages, err := volumes.List(d.admin.volume, scope(osProject)).AllPages(ctx)
	if err != nil {
		return nil, err
	}
	return volumes.ExtractVolumes(pages)
}

// listScope is the OpenStack project a list of gisiaas project gis covers;
// ok is false when gis has none yet, and so owns nothing.
func (d *Driver) listScope(ctx context.Context, gis string) (osProject string, ok bool, err error) {
	if gis == "" {
		return "", true, nil
	}
	return d.projects.find(ctx, gis)
}

// ListVolumes lists volumes, oldest first.
func (d *Driver) ListVolumes(ctx context.Context, opts core.ListOptions) ([]core.Volume, error) {
	const op = "ListVolumes"
	out := []core.Volume{}
	osProj, ok, err := d.listScope(ctx, opts.ProjectID)
	if err != nil || !ok {
		return out, core.WithOp(op, err)
	}
	vs, err := d.listVolumes(ctx, osProj)
	if err != nil {
		return nil, classify(op, err)
	}
	var modes map[string]string
	if slices.ContainsFunc(vs, func(v volumes.Volume) bool { return len(v.Attachments) > 0 }) {
		modes, _ = d.attachModes(ctx, osProj, "") // unknown modes read as the volumes' flags
	}
	for i := range vs {
		v := d.toVolume(ctx, &vs[i], modes)
		d.observe(ctx, volumeObservation(v, vs[i].TenantID))
		if opts.DatacenterID == "" || v.DatacenterID == opts.DatacenterID {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b core.Volume) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// cinderDeletable are the statuses Cinder deletes a volume from.
var cinderDeletable = []string{"available", "error", "error_restoring", "error_extending", "error_managing"}

// DeleteVolume deletes a detached volume without snapshots (B.4.1.2).
func (d *Driver) DeleteVolume(ctx context.Context, id string) error {
	const op = "DeleteVolume"
	v, err := d.cinderVolume(ctx, op, id)
	if err != nil {
		return err
	}
	if err := d.volumeDeletable(ctx, op, v); err != nil {
		return err
	}
	if err := volumes.Delete(ctx, d.admin.volume, id, nil).ExtractErr(); err != nil {
		err = classify(op, err)
		// A delete carries nothing but the id: Cinder's 400 is about the
		// volume's state (attached, busy, has snapshots), which changed
		// since it was read.
		if core.KindOf(err) == core.InvalidArgument {
			if v, gerr := d.cinderVolume(ctx, op, id); gerr == nil {
				if cerr := d.volumeDeletable(ctx, op, v); cerr != nil {
					return cerr
				}
			}
			return &core.Error{Kind: core.Conflict, Op: op, Message: core.MessageOf(err), Err: err}
		}
		return err
	}
	if v, err := volumes.Get(ctx, d.admin.volume, id).Extract(); err == nil {
		d.seeVolume(ctx, v)
	}
	return nil
}

// volumeDeletable is nil when Cinder may delete v: detached, settled, and
// without snapshots; else a Conflict saying why not.
func (d *Driver) volumeDeletable(ctx context.Context, op string, v *volumes.Volume) error {
	if len(v.Attachments) > 0 {
		return storageErr(core.Conflict, op, "volume %s is attached to server %s; detach it first", v.ID, v.Attachments[0].ServerID)
	}
	if !slices.Contains(cinderDeletable, v.Status) {
		return storageErr(core.Conflict, op, "volume %s is %s; only an available or failed volume can be deleted", v.ID, v.Status)
	}
	q := scope("")
	q["volume_id"] = []string{v.ID}
	q["limit"] = []string{"1"}
	page, err := snapshots.ListDetail(d.admin.volume, q).AllPages(ctx)
	if err != nil {
		return classify(op, err)
	}
	ss, err := snapshots.ExtractSnapshots(page)
	if err != nil {
		return classify(op, err)
	}
	for _, s := range ss {
		if s.VolumeID == v.ID {
			return storageErr(core.Conflict, op, "volume %s has snapshot %s; delete it first", v.ID, s.ID)
		}
	}
	return nil
}

// AttachVolume attaches a volume to a server through Nova (B.4.1.4).
func (d *Driver) AttachVolume(ctx context.Context, id string, req core.VolumeAttach) (core.Volume, error) {
	const op = "AttachVolume"
	if err := req.Validate(); err != nil {
		return core.Volume{}, core.WithOp(op, err)
	}
	v, err := d.cinderVolume(ctx, op, id)
	if err != nil {
		return core.Volume{}, err
	}
	s, err := servers.Get(ctx, d.admin.compute, req.ServerID).Extract()
	if err != nil {
		err = classify(op, err)
		if core.KindOf(err) == core.NotFound {
			return core.Volume{}, storageErr(core.InvalidArgument, op, "server_id: server %s not found", req.ServerID)
		}
		return core.Volume{}, err
	}
	// Another project's server is as good as none, as for any reference.
	if s.TenantID != v.TenantID {
		return core.Volume{}, storageErr(core.InvalidArgument, op, "server_id: server %s not found", req.ServerID)
	}
	if req.ServerName != "" && req.ServerName != s.Name {
		return core.Volume{}, storageErr(core.InvalidArgument, op, "server_name: server %s is named %q, not %q", s.ID, s.Name, req.ServerName)
	}
	switch serverState(s.Status, "") {
	case core.ServerError, core.ServerDeleted, core.ServerSoftDeleted:
		return core.Volume{}, storageErr(core.Conflict, op, "server %s is %s; a volume cannot be attached", s.ID, s.Status)
	}
	if err := volumeAttachable(op, v, s.ID); err != nil {
		return core.Volume{}, err
	}
	if err := d.setReadonly(ctx, op, v, req.Mode == "ro"); err != nil {
		return core.Volume{}, err
	}
	_, err = volumeattach.Create(ctx, d.admin.compute, s.ID, volumeattach.CreateOpts{VolumeID: id, Device: req.Mountpoint}).Extract()
	if err != nil {
		err = classify(op, err)
		now, gerr := d.cinderVolume(ctx, op, id)
		if gerr != nil && core.KindOf(gerr) == core.NotFound {
			return core.Volume{}, gerr
		}
		if gerr == nil {
			if cerr := volumeAttachable(op, now, s.ID); cerr != nil {
				return core.Volume{}, cerr
			}
		}
		switch core.KindOf(err) {
		case core.NotFound: // the server went away meanwhile
			return core.Volume{}, &core.Error{Kind: core.InvalidArgument, Op: op, Message: "server_id: " + core.MessageOf(err), Err: err}
		case core.InvalidArgument:
			// The volume is attachable, so Nova's 400 is about the server's
			// state or the device name; the state is a conflict.
			if ns, serr := servers.Get(ctx, d.admin.compute, s.ID).Extract(); serr == nil && ns.Status != "ACTIVE" && ns.Status != "SHUTOFF" {
				return core.Volume{}, &core.Error{Kind: core.Conflict, Op: op, Message: core.MessageOf(err), Err: err}
			}
		}
		return core.Volume{}, err
	}
	now, err := d.cinderVolume(ctx, op, id)
	if err != nil {
		return core.Volume{}, err
	}
	return d.seeVolume(ctx, now), nil
}

// volumeAttachable is nil when v can be attached to server now; else a
// Conflict saying why not.
func volumeAttachable(op string, v *volumes.Volume, server string) error {
	for _, a := range v.Attachments {
		if a.ServerID == server {
			return storageErr(core.Conflict, op, "volume %s is already attached to server %s", v.ID, server)
		}
	}
	switch {
	case v.Status == "available":
	case v.Status == "in-use" && v.Multiattach:
	case v.Status == "in-use" && len(v.Attachments) > 0:
		return storageErr(core.Conflict, op, "volume %s is in use by server %s and is not shareable", v.ID, v.Attachments[0].ServerID)
	default:
		return storageErr(core.Conflict, op, "volume %s is %s; only an available volume can be attached", v.ID, v.Status)
	}
	return nil
}

// setReadonly sets the volume's read-only flag, which is how Cinder
// decides an attachment's mode (Nova's attach has no mode). Only a
// detached volume's flag can change, and only one whose flag differs is
// touched.
func (d *Driver) setReadonly(ctx context.Context, op string, v *volumes.Volume, ro bool) error {
	if (volumeAttachMode(v.Metadata) == "ro") == ro {
		return nil
	}
	if len(v.Attachments) > 0 {
		return storageErr(core.Conflict, op, "volume %s is attached %s already; every attachment of a volume has one mode", v.ID, volumeAttachMode(v.Metadata))
	}
	body := map[string]any{"os-update_readonly_flag": map[string]any{"readonly": ro}}
	_, err := d.admin.volume.Post(ctx, d.admin.volume.ServiceURL("volumes", v.ID, "action"), body, nil,
		&gophercloud.RequestOpts{OkCodes: []int{202}})
	if err != nil {
		return classify(op, err)
	}
	return nil
}

// DetachVolume detaches a volume from a server through Nova (B.4.1.5).
func (d *Driver) DetachVolume(ctx context.Context, id, serverID string) (core.Volume, error) {
	const op = "DetachVolume"
	if err := core.ValidateID("server_id", serverID); err != nil {
		return core.Volume{}, core.WithOp(op, err)
	}
	v, err := d.cinderVolume(ctx, op, id)
	if err != nil {
		return core.Volume{}, err
	}
	if err := volumeDetachable(op, v, serverID); err != nil {
		return core.Volume{}, err
	}
	if err := volumeattach.Delete(ctx, d.admin.compute, serverID, id).ExtractErr(); err != nil {
		err = classify(op, err)
		if now, gerr := d.cinderVolume(ctx, op, id); gerr == nil {
			if cerr := volumeDetachable(op, now, serverID); cerr != nil {
				return core.Volume{}, cerr
			}
		}
		switch core.KindOf(err) {
		case core.NotFound, core.InvalidArgument:
			// Nova's 404 here is "not attached", its 400 a volume or
			// server in the wrong state: both are conflicts.
			return core.Volume{}, &core.Error{Kind: core.Conflict, Op: op, Message: core.MessageOf(err), Err: err}
		}
		return core.Volume{}, err
	}
	now, err := d.cinderVolume(ctx, op, id)
	if err != nil {
		return core.Volume{}, err
	}
	return d.seeVolume(ctx, now), nil
}

// volumeDetachable is nil when v can be detached from server now.
func volumeDetachable(op string, v *volumes.Volume, server string) error {
	if !slices.ContainsFunc(v.Attachments, func(a volumes.Attachment) bool { return a.ServerID == server }) {
		return storageErr(core.Conflict, op, "volume %s is not attached to server %s", v.ID, server)
	}
	// Cinder detaches only an in-use volume; one being extended keeps its
	// attachments until the extend is done.
	if v.Status != "in-use" {
		return storageErr(core.Conflict, op, "volume %s is %s; only an in-use volume can be detached", v.ID, v.Status)
	}
	return nil
}

// ExtendVolume grows a volume (B.4.1.6), attached or not (Cinder 3.42).
// The answer carries the new size while Cinder is still extending, as the
// size the volume is becoming; events follow Cinder's own size.
func (d *Driver) ExtendVolume(ctx context.Context, id string, newSizeGB int64) (core.Volume, error) {
	const op = "ExtendVolume"
	v, err := d.cinderVolume(ctx, op, id)
	if err != nil {
		return core.Volume{}, err
	}
	if err := core.ValidateExtend(int64(v.Size), newSizeGB); err != nil {
		return core.Volume{}, core.WithOp(op, err)
	}
	if err := volumeExtendable(op, v); err != nil {
		return core.Volume{}, err
	}
	if err := volumes.ExtendSize(ctx, d.admin.volume, id, volumes.ExtendSizeOpts{NewSize: int(newSizeGB)}).ExtractErr(); err != nil {
		err = classify(op, err)
		if core.KindOf(err) == core.InvalidArgument {
			if now, gerr := d.cinderVolume(ctx, op, id); gerr == nil {
				if cerr := volumeExtendable(op, now); cerr != nil {
					return core.Volume{}, cerr
				}
			}
		}
		return core.Volume{}, err
	}
	now, err := d.cinderVolume(ctx, op, id)
	if err != nil {
		return core.Volume{}, err
	}
	out := d.seeVolume(ctx, now)
	if out.Status == core.VolumeExtending && out.SizeGB < newSizeGB {
		out.SizeGB = newSizeGB
	}
	return out, nil
}

func volumeExtendable(op string, v *volumes.Volume) error {
	if v.Status != "available" && v.Status != "in-use" {
		return storageErr(core.Conflict, op, "volume %s is %s; only an available or in-use volume can be extended", v.ID, v.Status)
	}
	return nil
}

// GetVolumeQuota is the project's Cinder quota and usage (B.1.3.2).
// Cinder's quotas are per project, not per zone, so every datacenter shows
// the same. A project not created yet has the defaults and uses nothing.
func (d *Driver) GetVolumeQuota(ctx context.Context, dc, project string) (core.VolumeQuota, error) {
	const op = "GetVolumeQuota"
	if dc == "" {
		dc = d.defaultDC(ctx)
	} else if err := d.checkVolumeZone(ctx, op, dc); err != nil {
		return core.VolumeQuota{}, err
	}
	q := core.VolumeQuota{DatacenterID: dc, ProjectID: project}
	osProj, ok, err := d.projects.find(ctx, project)
	if err != nil {
		return core.VolumeQuota{}, core.WithOp(op, err)
	}
	if !ok {
		def, err := quotasets.GetDefaults(ctx, d.admin.volume, d.ownProject).Extract()
		if err != nil {
			return core.VolumeQuota{}, classify(op, err)
		}
		q.TotalGB, q.TotalVolumes = int64(def.Gigabytes), int64(def.Volumes)
		return q, nil
	}
	u, err := quotasets.GetUsage(ctx, d.admin.volume, osProj).Extract()
	if err != nil {
		return core.VolumeQuota{}, classify(op, err)
	}
	// Reserved is what creates and extends under way hold already: it is
	// used as far as the next request is concerned.
	q.TotalGB, q.UsedGB = int64(u.Gigabytes.Limit), int64(u.Gigabytes.InUse+u.Gigabytes.Reserved)
	q.TotalVolumes, q.UsedVolumes = int64(u.Volumes.Limit), int64(u.Volumes.InUse+u.Volumes.Reserved)
	return q, nil
}

// checkVolumeZone refuses a datacenter that is no Cinder availability zone.
func (d *Driver) checkVolumeZone(ctx context.Context, op, dc string) error {
	pages, err := availabilityzones.List(d.admin.volume).AllPages(ctx)
	if err != nil {
		return classify(op, err)
	}
	zs, err := availabilityzones.ExtractAvailabilityZones(pages)
	if err != nil {
		return classify(op, err)
	}
	for _, z := range zs {
		if z.ZoneName == d.zoneName(dc) {
			return nil
		}
	}
	return storageErr(core.InvalidArgument, op, "datacenter_id: no datacenter %q", dc)
}

// pollVolumes lists every project's volumes for the event source; Cinder
// lists no deleted volume, so the list is complete and a volume missing
// from it is gone.
func (d *Driver) pollVolumes(ctx context.Context, _ time.Time) ([]observation, bool, error) {
	vs, err := d.listVolumes(ctx, "")
	if err != nil {
		return nil, false, classify("ListVolumes", err)
	}
	obs := make([]observation, 0, len(vs))
	for i := range vs {
		obs = append(obs, volumeObservation(d.toVolume(ctx, &vs[i], nil), vs[i].TenantID))
	}
	return obs, true, nil
}
