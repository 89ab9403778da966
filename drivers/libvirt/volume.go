package libvirt

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	lv "libvirt.org/go/libvirt"

	"github.com/gisiaas/gisiaas/core"
)

// Volumes are volumes of the storage pool; their names, tags and owners are
// in the store. Whether one is attached is read from the domains' disks.

// pool looks up the configured pool on h; the caller frees it.
func (d *Driver) pool(h *host, op string) (*lv.StoragePool, error) {
	c, err := h.connection(op)
	if err != nil {
		return nil, err
	}
	p, err := c.LookupStoragePoolByName(d.cfg.Pool)
	if err != nil {
		return nil, lverr(op, fmt.Errorf("pool %s on host %s: %w", d.cfg.Pool, h.name, err))
	}
	return p, nil
}

// lookupVolume finds volume name in h's pool; the caller frees it.
func (d *Driver) lookupVolume(h *host, op, name string) (*lv.StorageVol, error) {
	p, err := d.pool(h, op)
	if err != nil {
		return nil, err
	}
	defer p.Free()
	v, err := p.LookupStorageVolByName(name)
	if err != nil {
		return nil, lverr(op, err)
	}
	return v, nil
}

// createPoolVolume creates a volume in h's pool from its XML (cloned from
// from when set) and returns its path.
func (d *Driver) createPoolVolume(h *host, op, xml string, from *lv.StorageVol) (string, error) {
	p, err := d.pool(h, op)
	if err != nil {
		return "", err
	}
	defer p.Free()
	var v *lv.StorageVol
	if from != nil {
		v, err = p.StorageVolCreateXMLFrom(xml, from, 0)
	} else {
		v, err = p.StorageVolCreateXML(xml, 0)
	}
	if err != nil {
		return "", lverr(op, err)
	}
	defer v.Free()
	path, err := v.GetPath()
	return path, lverr(op, err)
}

// deleteVolumeByName deletes a pool volume; best effort.
func (d *Driver) deleteVolumeByName(h *host, name string) {
	if name == "" {
		return
	}
	v, err := d.lookupVolume(h, "delete", name)
	if err != nil {
		return
	}
	_ = v.Delete(0)
	_ = v.Free()
}

// createRootDisk makes a server's disk: a qcow2 overlay whose backing file
// is the image's volume, so the image is shared and the server writes only
// its own changes.
func (d *Driver) createRootDisk(h *host, op, name, imgPath, imgFormat string, bytes int64) (string, error) {
	xml := fmt.Sprintf("<volume><name>%s</name><capacity unit='bytes'>%d</capacity><target><format type='qcow2'/></target>"+
		"<backingStore><path>%s</path><format type='%s'/></backingStore></volume>", esc(name), bytes, esc(imgPath), esc(imgFormat))
	return d.createPoolVolume(h, op, xml, nil)
}

// volumeByPath finds the volume record of a disk path. Called with d.mu held.
func (d *Driver) volumeByPath(path string) *volRecord {
	if path == "" {
		return nil
	}
	for _, v := range d.st.Volumes {
		if v.Path == path {
			return v
		}
	}
	return nil
}

// diskUse is a volume's attachment seen in a domain.
type diskUse struct {
	serverID, dev string
}

// disksOn maps each disk path of h's driver domains to its users.
func (d *Driver) disksOn(h *host, op string) (map[string][]diskUse, error) {
	ids, err := d.domainIDs(h)
	if err != nil {
		return nil, err
	}
	out := map[string][]diskUse{}
	for _, id := range ids {
		dom, err := d.domain(h, op, id)
		if err != nil {
			continue
		}
		// The live definition and the persistent one: a disk being hot-
		// unplugged is in use until the guest lets it go, and one attached
		// to the definition only (no hot-plug) is in use from then on.
		seen := map[string]bool{}
		for _, flags := range []lv.DomainXMLFlags{0, lv.DOMAIN_XML_INACTIVE} {
			desc, err := dom.GetXMLDesc(flags)
			if err != nil {
				continue
			}
			x, err := parseDomain(desc)
			if err != nil {
				continue
			}
			for _, disk := range x.Disks {
				if disk.Source.File != "" && !seen[disk.Source.File] {
					seen[disk.Source.File] = true
					out[disk.Source.File] = append(out[disk.Source.File], diskUse{serverID: id, dev: disk.Target.Dev})
				}
			}
		}
		_ = dom.Free()
	}
	return out, nil
}

// volumeView is the core.Volume of r with its attachments. Called with d.mu held.
func volumeView(r *volRecord, uses map[string][]diskUse) core.Volume {
	v := r.Volume
	v.Tags = cloneMap(r.Tags)
	v.Attachments = []core.Attachment{}
	for _, u := range uses[r.Path] {
		at := r.AttachedAt[u.serverID]
		if at.IsZero() {
			at = r.CreatedAt
		}
		v.Attachments = append(v.Attachments, core.Attachment{ServerID: u.serverID, Mountpoint: "/dev/" + u.dev, Mode: "rw", AttachedAt: at.UTC()})
	}
	if v.Status == core.VolumeAvailable || v.Status == core.VolumeInUse {
		v.Status = core.VolumeAvailable
		if len(v.Attachments) > 0 {
			v.Status = core.VolumeInUse
		}
	}
	return v
}

// volume finds record id and reads its attachments.
func (d *Driver) volume(op, id string) (*volRecord, *host, core.Volume, error) {
	d.mu.Lock()
	r, ok := d.st.Volumes[id]
	d.mu.Unlock()
	if !ok {
		return nil, nil, core.Volume{}, notFound(op, core.TypeVolume, id)
	}
	h := d.hosts[r.Host]
	if h == nil {
		return nil, nil, core.Volume{}, core.Wrap(core.Internal, op, fmt.Errorf("volume %s is on unknown host %s", id, r.Host))
	}
	uses, err := d.disksOn(h, op)
	if err != nil {
		return nil, nil, core.Volume{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return r, h, volumeView(r, uses), nil
}

// CreateVolume creates a raw volume in the pool of a host of the
// datacenter (B.4.1.1); from an image, a copy of the image's volume.
func (d *Driver) CreateVolume(ctx context.Context, req core.VolumeCreate) (core.Volume, error) {
	const op = "CreateVolume"
	if err := req.Validate(); err != nil {
		return core.Volume{}, core.WithOp(op, err)
	}
	if err := d.resolveDC(op, &req.CreateMeta); err != nil {
		return core.Volume{}, err
	}
	if req.VolumeType != "" && req.VolumeType != d.cfg.VolumeType {
		return core.Volume{}, invalidArg(op, "volume_type: %q is not a volume type here (%s is the only one)", req.VolumeType, d.cfg.VolumeType)
	}
	if req.SnapshotID != "" {
		return core.Volume{}, invalidArg(op, "snapshot_id: volume snapshot %s not found (the libvirt driver has no volume snapshots)", req.SnapshotID)
	}
	d.createMu.Lock()
	defer d.createMu.Unlock()
	d.mu.Lock()
	if id, ok := d.st.Tokens[tokenKey(core.TypeVolume, req.CreateMeta)]; ok && req.ClientToken != "" {
		if r, ok := d.st.Volumes[id]; ok {
			d.mu.Unlock()
			_, _, v, err := d.volume(op, r.ID)
			return v, err
		}
	}
	var im *imageRecord
	if req.ImageID != "" {
		r, ok := d.st.Images[req.ImageID]
		if !ok || !visibleImage(r, req.ProjectID) {
			d.mu.Unlock()
			return core.Volume{}, invalidArg(op, "image_id: image %s not found", req.ImageID)
		}
		if r.Status != core.ImageActive {
			d.mu.Unlock()
			return core.Volume{}, conflict(op, "image %s is %s", r.ID, r.Status)
		}
		cp := *r
		im = &cp
	}
	n, used := int64(0), int64(0)
	for _, v := range d.st.Volumes {
		if v.DatacenterID == req.DatacenterID {
			used += v.SizeGB
			if v.ProjectID == req.ProjectID {
				n++
			}
		}
	}
	d.mu.Unlock()
	if d.cfg.MaxVolumes > 0 && n+1 > d.cfg.MaxVolumes {
		return core.Volume{}, &core.Error{Kind: core.QuotaExceeded, Op: op, Message: fmt.Sprintf("project %s has %d of %d volumes", req.ProjectID, n, d.cfg.MaxVolumes)}
	}
	if _, _, gb, err := d.capacity(op, req.DatacenterID); err != nil {
		return core.Volume{}, err
	} else if used+req.SizeGB > gb {
		return core.Volume{}, &core.Error{Kind: core.QuotaExceeded, Op: op, Message: fmt.Sprintf("datacenter %s has %d of %d GB in use", req.DatacenterID, used, gb)}
	}
	hosts, err := d.dcHosts(op, req.DatacenterID)
	if err != nil {
		return core.Volume{}, err
	}
	h := hosts[0]
	if im != nil && im.Host != "" {
		h = d.hosts[im.Host]
	}
	id := newID()
	name := "gisiaas-vol-" + id
	xml := fmt.Sprintf("<volume><name>%s</name><capacity unit='G'>%d</capacity><allocation>0</allocation><target><format type='raw'/></target></volume>",
		esc(name), req.SizeGB)
	var from *lv.StorageVol
	if im != nil {
		if from, err = d.lookupVolume(h, op, im.Volume); err != nil {
			return core.Volume{}, err
		}
		defer from.Free()
	}
	path, err := d.createPoolVolume(h, op, xml, from)
	if err != nil {
		return core.Volume{}, err
	}
	t := now()
	r := &volRecord{Volume: core.Volume{Meta: core.Meta{ProjectID: req.ProjectID, DatacenterID: req.DatacenterID, Tags: cloneMap(req.Tags), CreatedAt: t, UpdatedAt: t},
		ID: id, Name: req.Name, Description: req.Description, SizeGB: req.SizeGB, VolumeType: d.cfg.VolumeType, Host: h.name,
		Status: core.VolumeAvailable, NativeStatus: "allocated", Attachments: []core.Attachment{}, ImageID: req.ImageID},
		VolName: name, Path: path, AttachedAt: map[string]time.Time{}}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.st.Volumes[id] = r
	if req.ClientToken != "" {
		d.st.Tokens[tokenKey(core.TypeVolume, req.CreateMeta)] = id
	}
	d.emit(core.TypeVolume, id, r.Meta, "", string(core.VolumeCreating), volumeAttrs(&r.Volume))
	d.emit(core.TypeVolume, id, r.Meta, string(core.VolumeCreating), string(core.VolumeAvailable), volumeAttrs(&r.Volume))
	if err := d.save(); err != nil {
		return core.Volume{}, err
	}
	return volumeView(r, nil), nil
}

// GetVolume shows a volume (B.4.1.3).
func (d *Driver) GetVolume(ctx context.Context, id string) (core.Volume, error) {
	_, _, v, err := d.volume("GetVolume", id)
	return v, err
}

// ListVolumes lists volumes, oldest first.
func (d *Driver) ListVolumes(ctx context.Context, opts core.ListOptions) ([]core.Volume, error) {
	const op = "ListVolumes"
	uses := map[string][]diskUse{}
	for _, h := range d.order {
		if opts.DatacenterID != "" && h.dc != opts.DatacenterID {
			continue
		}
		u, err := d.disksOn(h, op)
		if err != nil {
			return nil, err
		}
		for k, v := range u {
			uses[k] = append(uses[k], v...)
		}
	}
	d.mu.Lock()
	out := []core.Volume{}
	for _, r := range d.st.Volumes {
		if (opts.ProjectID == "" || r.ProjectID == opts.ProjectID) && (opts.DatacenterID == "" || r.DatacenterID == opts.DatacenterID) {
			out = append(out, volumeView(r, uses))
		}
	}
	d.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// DeleteVolume deletes an unattached volume and its pool volume (B.4.1.2).
func (d *Driver) DeleteVolume(ctx context.Context, id string) error {
	const op = "DeleteVolume"
	r, h, v, err := d.volume(op, id)
	if err != nil {
		return err
	}
	if len(v.Attachments) > 0 {
		return conflict(op, "volume %s is attached to server %s", id, v.Attachments[0].ServerID)
	}
	vol, err := d.lookupVolume(h, op, r.VolName)
	switch {
	case core.KindOf(err) == core.NotFound:
	case err != nil:
		return err
	default:
		derr := vol.Delete(0)
		_ = vol.Free()
		if derr != nil {
			return lverr(op, derr)
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.st.Volumes, id)
	for k, x := range d.st.Tokens {
		if x == id {
			delete(d.st.Tokens, k)
		}
	}
	d.emit(core.TypeVolume, id, r.Meta, string(v.Status), string(core.VolumeDeleted), volumeAttrs(&v))
	return d.save()
}

// AttachVolume hot-plugs a volume into a server as a virtio disk, live and
// in the persistent definition (B.4.1.4).
func (d *Driver) AttachVolume(ctx context.Context, id string, req core.VolumeAttach) (core.Volume, error) {
	const op = "AttachVolume"
	if !d.caps.hotplug {
		return core.Volume{}, core.UnsupportedError(op, core.ClauseVolumeAttach)
	}
	r, h, v, err := d.volume(op, id)
	if err != nil {
		return core.Volume{}, err
	}
	if err := req.Validate(); err != nil {
		return core.Volume{}, core.WithOp(op, err)
	}
	sh, dom, err := d.findServer(op, req.ServerID)
	if err != nil {
		if core.KindOf(err) == core.NotFound {
			return core.Volume{}, invalidArg(op, "server_id: server %s not found", req.ServerID)
		}
		return core.Volume{}, err
	}
	defer dom.Free()
	if len(v.Attachments) > 0 {
		return core.Volume{}, conflict(op, "volume %s is in use by server %s", id, v.Attachments[0].ServerID)
	}
	if sh != h {
		return core.Volume{}, conflict(op, "volume %s is on host %s and server %s on host %s", id, h.name, req.ServerID, sh.name)
	}
	s, _, x, err := d.readServer(sh, op, req.ServerID, dom)
	if err != nil {
		return core.Volume{}, err
	}
	if s.Status != core.ServerActive && s.Status != core.ServerShutoff {
		return core.Volume{}, conflict(op, "server %s is %s", s.ID, s.Status)
	}
	dev := nextDev(x, req.Mountpoint)
	flags := lv.DOMAIN_DEVICE_MODIFY_CONFIG
	if active, _ := dom.IsActive(); active {
		flags |= lv.DOMAIN_DEVICE_MODIFY_LIVE
	}
	disk := diskXMLFor(d.domainType(h), r.Path, "raw", dev, serial(id))
	if err := dom.AttachDeviceFlags(disk, flags); err != nil {
		if !isCode(err, lv.ERR_NO_SUPPORT) {
			return core.Volume{}, lverr(op, err)
		}
		// No hot-plug on this hypervisor: the disk goes into the persistent
		// definition and appears at the next boot.
		if err := d.editDefinition(h, op, dom, func(x string) (string, bool) { return insertDisk(x, disk) }); err != nil {
			return core.Volume{}, err
		}
	}
	d.mu.Lock()
	if r.AttachedAt == nil {
		r.AttachedAt = map[string]time.Time{}
	}
	r.AttachedAt[s.ID] = now()
	v.Attachments = []core.Attachment{{ServerID: s.ID, Mountpoint: "/dev/" + dev, Mode: "rw", AttachedAt: r.AttachedAt[s.ID]}}
	v.Status = core.VolumeInUse
	d.emit(core.TypeVolume, id, r.Meta, string(core.VolumeAvailable), string(core.VolumeInUse), volumeAttrs(&v))
	err = d.save()
	d.mu.Unlock()
	return v, err
}

// serial is the disk serial the guest sees (/dev/disk/by-id/virtio-<serial>).
func serial(volID string) string { return strings.ReplaceAll(volID, "-", "")[:20] }

// nextDev is the device of a new disk: the asked mount point's if free,
// else the first free vdX.
func nextDev(x domainXML, mount string) string {
	taken := map[string]bool{}
	for _, disk := range x.Disks {
		taken[disk.Target.Dev] = true
	}
	if want := strings.TrimPrefix(mount, "/dev/"); strings.HasPrefix(want, "vd") && len(want) == 3 && !taken[want] {
		return want
	}
	for c := 'b'; c <= 'z'; c++ {
		if dev := "vd" + string(c); !taken[dev] {
			return dev
		}
	}
	return "vdz"
}

// DetachVolume unplugs a volume from a server (B.4.1.5); the guest may
// take a moment to release it: the volume is in-use until it has.
func (d *Driver) DetachVolume(ctx context.Context, id, serverID string) (core.Volume, error) {
	const op = "DetachVolume"
	if !d.caps.hotplug {
		return core.Volume{}, core.UnsupportedError(op, core.ClauseVolumeDetach)
	}
	r, h, v, err := d.volume(op, id)
	if err != nil {
		return core.Volume{}, err
	}
	dev := ""
	for _, a := range v.Attachments {
		if a.ServerID == serverID {
			dev = strings.TrimPrefix(a.Mountpoint, "/dev/")
		}
	}
	if dev == "" {
		return core.Volume{}, conflict(op, "volume %s is not attached to server %s", id, serverID)
	}
	dom, err := d.domain(h, op, serverID)
	if err != nil {
		return core.Volume{}, err
	}
	defer dom.Free()
	flags := lv.DOMAIN_DEVICE_MODIFY_CONFIG
	if active, _ := dom.IsActive(); active {
		flags |= lv.DOMAIN_DEVICE_MODIFY_LIVE
	}
	if err := dom.DetachDeviceFlags(diskXMLFor(d.domainType(h), r.Path, "raw", dev, serial(id)), flags); err != nil {
		if !isCode(err, lv.ERR_NO_SUPPORT) {
			return core.Volume{}, lverr(op, err)
		}
		if err := d.editDefinition(h, op, dom, func(x string) (string, bool) { return removeDisk(x, r.Path) }); err != nil {
			return core.Volume{}, err
		}
	}
	d.wg.Add(1)
	go d.awaitDetach(h, id, serverID)
	return v, nil
}

// awaitDetach emits the volume's return to available once the guest has
// released it (the domain's live definition no longer has the disk).
func (d *Driver) awaitDetach(h *host, id, serverID string) {
	defer d.wg.Done()
	deadline := time.Now().Add(time.Duration(d.cfg.StopTimeout) + time.Minute)
	for time.Now().Before(deadline) {
		_, _, v, err := d.volume("DetachVolume", id)
		if err != nil {
			return
		}
		still := false
		for _, a := range v.Attachments {
			still = still || a.ServerID == serverID
		}
		if !still {
			d.mu.Lock()
			if r, ok := d.st.Volumes[id]; ok {
				delete(r.AttachedAt, serverID)
				d.emit(core.TypeVolume, id, r.Meta, string(core.VolumeInUse), string(v.Status), volumeAttrs(&v))
				_ = d.save()
			}
			d.mu.Unlock()
			return
		}
		// The guest's release is libvirt's device-removed event; a re-check
		// every 2 s covers a hypervisor that does not send it.
		if !d.awaitEvent(serverID, 2*time.Second) {
			return
		}
	}
}

// ExtendVolume grows a volume (B.4.1.6): the pool volume is resized, or
// the attached disk of a running server (virDomainBlockResize).
func (d *Driver) ExtendVolume(ctx context.Context, id string, newSizeGB int64) (core.Volume, error) {
	const op = "ExtendVolume"
	if !d.caps.resizeVolume {
		return core.Volume{}, core.UnsupportedError(op, core.ClauseVolumeExtend)
	}
	r, h, v, err := d.volume(op, id)
	if err != nil {
		return core.Volume{}, err
	}
	if err := core.ValidateExtend(v.SizeGB, newSizeGB); err != nil {
		return core.Volume{}, core.WithOp(op, err)
	}
	size := uint64(newSizeGB) << 30
	resized := false
	if len(v.Attachments) > 0 {
		if dom, err := d.domain(h, op, v.Attachments[0].ServerID); err == nil {
			if active, _ := dom.IsActive(); active {
				err = dom.BlockResize(strings.TrimPrefix(v.Attachments[0].Mountpoint, "/dev/"), size, lv.DOMAIN_BLOCK_RESIZE_BYTES)
				_ = dom.Free()
				if err != nil {
					return core.Volume{}, lverr(op, err)
				}
				resized = true
			} else {
				_ = dom.Free()
			}
		}
	}
	if !resized {
		vol, err := d.lookupVolume(h, op, r.VolName)
		if err != nil {
			return core.Volume{}, err
		}
		err = vol.Resize(size, 0)
		_ = vol.Free()
		if err != nil {
			return core.Volume{}, lverr(op, err)
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	from := v.Status
	d.emit(core.TypeVolume, id, r.Meta, string(from), string(core.VolumeExtending), volumeAttrs(&v))
	r.SizeGB = newSizeGB
	r.UpdatedAt = now()
	v.SizeGB = newSizeGB
	d.emit(core.TypeVolume, id, r.Meta, string(core.VolumeExtending), string(from), volumeAttrs(&v))
	return v, d.save()
}

// editDefinition rewrites dom's persistent definition with edit: the way
// to change the disks of a domain on a hypervisor without hot-plug.
func (d *Driver) editDefinition(h *host, op string, dom *lv.Domain, edit func(string) (string, bool)) error {
	c, err := h.connection(op)
	if err != nil {
		return err
	}
	x, err := dom.GetXMLDesc(lv.DOMAIN_XML_INACTIVE | lv.DOMAIN_XML_SECURE)
	if err != nil {
		return lverr(op, err)
	}
	nx, ok := edit(x)
	if !ok {
		return conflict(op, "the domain's definition has no such disk")
	}
	nd, err := c.DomainDefineXML(nx)
	if err != nil {
		return lverr(op, err)
	}
	return lverr(op, nd.Free())
}

// insertDisk adds a disk device to a domain definition.
func insertDisk(x, disk string) (string, bool) {
	i := strings.LastIndex(x, "</devices>")
	if i < 0 {
		return x, false
	}
	return x[:i] + disk + "\n" + x[i:], true
}

// removeDisk drops the disk device whose source is path.
func removeDisk(x, path string) (string, bool) {
	for from := 0; ; {
		i := strings.Index(x[from:], "<disk ")
		if i < 0 {
			return x, false
		}
		i += from
		j := strings.Index(x[i:], "</disk>")
		if j < 0 {
			return x, false
		}
		j += i + len("</disk>")
		if strings.Contains(x[i:j], "file='"+esc(path)+"'") || strings.Contains(x[i:j], `file="`+esc(path)+`"`) {
			return x[:i] + x[j:], true
		}
		from = j
	}
}
