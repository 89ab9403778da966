package libvirt

import (
	"context"
	"encoding/xml"
	"path/filepath"
	"strings"
	"time"

	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	lv "libvirt.org/go/libvirt"
	"sort"

	"github.com/gisiaas/gisiaas/core"
)

// Images are volumes of the storage pool: configured ones (public, on
// every host under the same volume name), uploaded ones (streamed into a
// new volume with virStorageVolUpload) and server snapshots (a copy of the
// server's disk, virStorageVolCreateXMLFrom). Their attributes are in the
// store; libvirt volumes have no place for them.

// seedImages registers the configured images, creating empty volumes
// where asked. Called with d.mu held, at start.
func (d *Driver) seedImages() error {
	for _, ic := range d.cfg.Images {
		var size int64
		for _, h := range d.order {
			vol, err := d.lookupVolume(h, "seed", ic.Volume)
			if core.KindOf(err) == core.NotFound && ic.CreateSizeGB > 0 {
				xml := fmt.Sprintf("<volume><name>%s</name><capacity unit='G'>%d</capacity><allocation>0</allocation><target><format type='%s'/></target></volume>",
					esc(ic.Volume), ic.CreateSizeGB, esc(formatOr(ic.DiskFormat)))
				if _, err := d.createPoolVolume(h, "seed", xml, nil); err != nil {
					return fmt.Errorf("libvirt: image %s: creating volume %s on host %s: %w", ic.ID, ic.Volume, h.name, err)
				}
				vol, err = d.lookupVolume(h, "seed", ic.Volume)
			}
			if err != nil {
				return fmt.Errorf("libvirt: image %s: volume %s on host %s: %w", ic.ID, ic.Volume, h.name, err)
			}
			info, err := vol.GetInfo()
			_ = vol.Free()
			if err != nil {
				return fmt.Errorf("libvirt: image %s: %w", ic.ID, lverr("seed", err))
			}
			size = int64(info.Capacity)
		}
		r, ok := d.st.Images[ic.ID]
		if !ok {
			t := now()
			r = &imageRecord{Image: core.Image{Meta: core.Meta{CreatedAt: t, UpdatedAt: t}, ID: ic.ID, Type: core.ImageTypeImage,
				Status: core.ImageActive, NativeStatus: "volume", OwnerID: "admin", ImageTags: []string{}, Visibility: core.VisibilityPublic}}
			d.st.Images[ic.ID] = r
		}
		r.Name, r.Volume, r.Seeded, r.SizeBytes = ic.Name, ic.Volume, true, size
		r.DiskFormat, r.Architecture, r.MinDiskGB, r.MinRAMMB = formatOr(ic.DiskFormat), ic.Architecture, ic.MinDiskGB, ic.MinRAMMB
		r.FileLocation = d.cfg.Pool + "/" + ic.Volume
	}
	return d.save()
}

func formatOr(f string) string {
	if f == "" {
		return "raw"
	}
	return f
}

// imageVolume is the path, format and size of im's volume on h.
func (d *Driver) imageVolume(h *host, op string, im imageRecord) (string, string, int64, error) {
	vol, err := d.lookupVolume(h, op, im.Volume)
	if err != nil {
		if core.KindOf(err) == core.NotFound {
			return "", "", 0, conflict(op, "image %s has no volume %s on host %s", im.ID, im.Volume, h.name)
		}
		return "", "", 0, err
	}
	defer vol.Free()
	path, err := vol.GetPath()
	if err != nil {
		return "", "", 0, lverr(op, err)
	}
	info, err := vol.GetInfo()
	if err != nil {
		return "", "", 0, lverr(op, err)
	}
	return path, formatOr(im.DiskFormat), int64(info.Capacity), nil
}

func imageView(r *imageRecord) core.Image {
	im := r.Image
	im.Tags = cloneMap(r.Tags)
	im.ImageTags = append([]string{}, r.ImageTags...)
	im.Properties = cloneMap(r.Properties)
	return im
}

// CreateImage registers a queued image, or with ServerID copies the
// server's disk into a new volume: a snapshot (B.2.3.1).
func (d *Driver) CreateImage(ctx context.Context, req core.ImageCreate) (core.Image, error) {
	const op = "CreateImage"
	if err := req.Validate(); err != nil {
		return core.Image{}, core.WithOp(op, err)
	}
	if err := d.resolveDC(op, &req.CreateMeta); err != nil {
		return core.Image{}, err
	}
	d.createMu.Lock()
	defer d.createMu.Unlock()
	d.mu.Lock()
	if id, ok := d.st.Tokens[tokenKey(core.TypeImage, req.CreateMeta)]; ok && req.ClientToken != "" {
		if r, ok := d.st.Images[id]; ok {
			defer d.mu.Unlock()
			return imageView(r), nil
		}
	}
	d.mu.Unlock()
	t := now()
	owner := req.ProjectID
	if owner == "" {
		owner = "admin"
	}
	r := &imageRecord{Image: core.Image{Meta: core.Meta{ProjectID: req.ProjectID, DatacenterID: req.DatacenterID, Tags: cloneMap(req.Tags), CreatedAt: t, UpdatedAt: t},
		ID: newID(), Name: req.Name, Type: req.Type, Description: req.Description, Status: core.ImageQueued, NativeStatus: "no volume",
		Architecture: req.Architecture, OwnerID: owner, ImageTags: append([]string{}, req.ImageTags...), Visibility: req.Visibility,
		Protected: req.Protected, MinRAMMB: req.MinRAMMB, MinDiskGB: req.MinDiskGB, DiskFormat: req.DiskFormat, SourceServerID: req.ServerID}}
	var events [][2]core.ImageStatus
	if req.ServerID != "" {
		h, dom, err := d.findServer(op, req.ServerID)
		if err != nil {
			if core.KindOf(err) == core.NotFound {
				return core.Image{}, invalidArg(op, "server_id: server %s not found", req.ServerID)
			}
			return core.Image{}, err
		}
		s, m, x, err := d.readServer(h, op, req.ServerID, dom)
		if err != nil {
			_ = dom.Free()
			return core.Image{}, err
		}
		if req.ProjectID != "" && s.ProjectID != req.ProjectID {
			_ = dom.Free()
			return core.Image{}, invalidArg(op, "server_id: server %s not found", req.ServerID)
		}
		if active, _ := dom.IsActive(); active && !h.isTest() {
			// QEMU locks a running guest's disk: a push-mode backup job
			// copies it consistently while the guest runs.
			err := d.snapshotRunning(h, op, dom, x, r)
			_ = dom.Free()
			if err != nil {
				return core.Image{}, err
			}
			d.mu.Lock()
			defer d.mu.Unlock()
			d.st.Images[r.ID] = r
			if req.ClientToken != "" {
				d.st.Tokens[tokenKey(core.TypeImage, req.CreateMeta)] = r.ID
			}
			d.emit(core.TypeImage, r.ID, r.Meta, "", string(core.ImageQueued), imageAttrs(&r.Image))
			d.emit(core.TypeImage, r.ID, r.Meta, string(core.ImageQueued), string(core.ImageSaving), imageAttrs(&r.Image))
			return imageView(r), d.save()
		}
		_ = dom.Free()
		root, err := d.lookupVolume(h, op, m.RootVolume)
		if err != nil {
			return core.Image{}, err
		}
		name := "gisiaas-img-" + r.ID
		format := "qcow2"
		if h.isTest() {
			format = "raw"
		}
		info, err := root.GetInfo()
		if err != nil {
			_ = root.Free()
			return core.Image{}, lverr(op, err)
		}
		xml := fmt.Sprintf("<volume><name>%s</name><capacity unit='bytes'>%d</capacity><target><format type='%s'/></target></volume>", name, info.Capacity, format)
		_, err = d.createPoolVolume(h, op, xml, root)
		_ = root.Free()
		if err != nil {
			if core.KindOf(err) == core.Conflict && s.Status == core.ServerActive {
				return core.Image{}, conflict(op, "the disk of running server %s cannot be copied on host %s (%s); stop the server first", s.ID, h.name, core.MessageOf(err))
			}
			return core.Image{}, err
		}
		vol, err := d.lookupVolume(h, op, name)
		if err != nil {
			return core.Image{}, err
		}
		vi, err := vol.GetInfo()
		_ = vol.Free()
		if err != nil {
			d.deleteVolumeByName(h, name)
			return core.Image{}, lverr(op, err)
		}
		r.Host, r.Volume, r.DiskFormat, r.ContainerFormat = h.name, name, format, "bare"
		r.SizeBytes = int64(vi.Allocation)
		if r.SizeBytes <= 0 {
			r.SizeBytes = int64(vi.Capacity)
		}
		r.Status, r.NativeStatus, r.FileLocation = core.ImageActive, "volume", d.cfg.Pool+"/"+name
		events = [][2]core.ImageStatus{{"", core.ImageQueued}, {core.ImageQueued, core.ImageSaving}, {core.ImageSaving, core.ImageActive}}
	} else {
		events = [][2]core.ImageStatus{{"", core.ImageQueued}}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.st.Images[r.ID] = r
	if req.ClientToken != "" {
		d.st.Tokens[tokenKey(core.TypeImage, req.CreateMeta)] = r.ID
	}
	for _, e := range events {
		d.emit(core.TypeImage, r.ID, r.Meta, string(e[0]), string(e[1]), imageAttrs(&r.Image))
	}
	if err := d.save(); err != nil {
		return core.Image{}, err
	}
	return imageView(r), nil
}

// UploadImage streams data into a new volume of the pool (B.2.3.2): never
// held in memory, hashed on the way.
func (d *Driver) UploadImage(ctx context.Context, id string, opts core.ImageUpload, data io.Reader) (core.Image, error) {
	const op = "UploadImage"
	if !d.caps.upload {
		return core.Image{}, core.UnsupportedError(op, core.ClauseImageUpload)
	}
	d.mu.Lock()
	r, ok := d.st.Images[id]
	if !ok {
		d.mu.Unlock()
		return core.Image{}, notFound(op, core.TypeImage, id)
	}
	if err := core.ValidateDiskFormat(opts.DiskFormat, true); err != nil {
		d.mu.Unlock()
		return core.Image{}, core.WithOp(op, err)
	}
	if r.Status != core.ImageQueued {
		d.mu.Unlock()
		return core.Image{}, conflict(op, "image %s is %s; only a queued image takes data", id, r.Status)
	}
	r.Status = core.ImageSaving
	d.emit(core.TypeImage, id, r.Meta, string(core.ImageQueued), string(core.ImageSaving), imageAttrs(&r.Image))
	dc := r.DatacenterID
	d.mu.Unlock()

	n, sum, h, name, err := d.upload(ctx, op, dc, id, opts.DiskFormat, data)

	d.mu.Lock()
	defer d.mu.Unlock()
	if err != nil {
		r.Status = core.ImageQueued
		d.emit(core.TypeImage, id, r.Meta, string(core.ImageSaving), string(core.ImageQueued), imageAttrs(&r.Image))
		return core.Image{}, err
	}
	r.Host, r.Volume, r.SizeBytes, r.Checksum, r.DiskFormat = h.name, name, n, sum, opts.DiskFormat
	if r.ContainerFormat == "" {
		r.ContainerFormat = "bare"
	}
	r.Status, r.NativeStatus, r.FileLocation, r.UpdatedAt = core.ImageActive, "volume", d.cfg.Pool+"/"+name, now()
	if opts.Source != "" {
		if r.Properties == nil {
			r.Properties = map[string]string{}
		}
		r.Properties["source"] = opts.Source
	}
	d.emit(core.TypeImage, id, r.Meta, string(core.ImageSaving), string(core.ImageActive), imageAttrs(&r.Image))
	return imageView(r), d.save()
}

// upload creates the image's volume on the datacenter's first host and
// streams data into it.
func (d *Driver) upload(ctx context.Context, op, dc, id, format string, data io.Reader) (int64, string, *host, string, error) {
	if dc == "" {
		dc = d.cfg.Datacenters[0].ID
	}
	hosts, err := d.dcHosts(op, dc)
	if err != nil {
		return 0, "", nil, "", err
	}
	h := hosts[0]
	c, err := h.connection(op)
	if err != nil {
		return 0, "", nil, "", err
	}
	name := "gisiaas-img-" + id
	// A raw volume of no size: the upload grows the file (dir, fs and
	// netfs pools); the pool's refresh then sees its real size.
	xml := fmt.Sprintf("<volume><name>%s</name><capacity unit='bytes'>0</capacity><target><format type='raw'/></target></volume>", name)
	if _, err := d.createPoolVolume(h, op, xml, nil); err != nil {
		return 0, "", nil, "", err
	}
	fail := func(err error) (int64, string, *host, string, error) {
		d.deleteVolumeByName(h, name)
		return 0, "", nil, "", err
	}
	vol, err := d.lookupVolume(h, op, name)
	if err != nil {
		return fail(err)
	}
	defer vol.Free()
	st, err := c.NewStream(0)
	if err != nil {
		return fail(lverr(op, err))
	}
	defer st.Free()
	if err := vol.Upload(st, 0, 0, 0); err != nil {
		return fail(lverr(op, err))
	}
	hash := sha256.New()
	buf := make([]byte, 256<<10)
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			_ = st.Abort()
			return fail(core.Wrap(core.Unavailable, op, err))
		}
		k, rerr := data.Read(buf)
		if k > 0 {
			hash.Write(buf[:k])
			for off := 0; off < k; {
				w, err := st.Send(buf[off:k])
				if err != nil {
					_ = st.Abort()
					return fail(lverr(op, err))
				}
				off += w
			}
			n += int64(k)
			if n > d.cfg.UploadMaxGB<<30 {
				_ = st.Abort()
				return fail(invalidArg(op, "the image is larger than %d GB", d.cfg.UploadMaxGB))
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			_ = st.Abort()
			return fail(core.Wrap(core.InvalidArgument, op, fmt.Errorf("reading the upload: %w", rerr)))
		}
	}
	if err := st.Finish(); err != nil {
		return fail(lverr(op, err))
	}
	if p, err := d.pool(h, op); err == nil {
		_ = p.Refresh(0)
		_ = p.Free()
	}
	if format != "raw" {
		// An image whose header names a backing file would make QEMU open
		// that file of the host under every server booted from it.
		if x, err := vol.GetXMLDesc(0); err == nil && strings.Contains(x, "<backingStore>") && strings.Contains(x, "<path>") {
			return fail(invalidArg(op, "the %s image names a backing file; upload a self-contained image", format))
		}
	}
	return n, hex.EncodeToString(hash.Sum(nil)), h, name, nil
}

// GetImage shows an image (B.2.3.4).
func (d *Driver) GetImage(ctx context.Context, id string) (core.Image, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r, ok := d.st.Images[id]
	if !ok {
		return core.Image{}, notFound("GetImage", core.TypeImage, id)
	}
	return imageView(r), nil
}

// ListImages lists the public images and the project's own (B.2.3.6).
func (d *Driver) ListImages(ctx context.Context, opts core.ListOptions) ([]core.Image, error) {
	d.mu.Lock()
	out := []core.Image{}
	for _, r := range d.st.Images {
		if r.Visibility != core.VisibilityPublic && opts.ProjectID != "" && r.ProjectID != opts.ProjectID {
			continue
		}
		if opts.DatacenterID != "" && r.DatacenterID != "" && r.DatacenterID != opts.DatacenterID {
			continue
		}
		out = append(out, imageView(r))
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

// UpdateImage applies a JSON-patch to an image, all or none (B.2.3.5).
func (d *Driver) UpdateImage(ctx context.Context, id string, ops []core.PatchOp) (core.Image, error) {
	const op = "UpdateImage"
	d.mu.Lock()
	defer d.mu.Unlock()
	r, ok := d.st.Images[id]
	if !ok {
		return core.Image{}, notFound(op, core.TypeImage, id)
	}
	im, err := core.ApplyImagePatch(imageView(r), ops)
	if err != nil {
		return core.Image{}, core.WithOp(op, err)
	}
	old := r.Image
	im.UpdatedAt = now()
	r.Image = im
	if err := d.save(); err != nil {
		r.Image = old
		return core.Image{}, err
	}
	return imageView(r), nil
}

// DeleteImage deletes an image and its volume (B.2.3.3); a configured
// image's volume is the operator's and stays. A protected image, or one
// whose volume backs a server's disk, is Conflict.
func (d *Driver) DeleteImage(ctx context.Context, id string) error {
	const op = "DeleteImage"
	d.mu.Lock()
	r, ok := d.st.Images[id]
	var cp imageRecord
	if ok {
		cp = *r
	}
	d.mu.Unlock()
	if !ok {
		return notFound(op, core.TypeImage, id)
	}
	if cp.Protected {
		return conflict(op, "image %s is protected", id)
	}
	servers, err := d.listServers(op, core.ListOptions{})
	if err != nil {
		return err
	}
	for _, s := range servers {
		if s.ImageID == id {
			return conflict(op, "image %s backs the disk of server %s", id, s.ID)
		}
	}
	if cp.Volume != "" && !cp.Seeded {
		if h := d.hosts[cp.Host]; h != nil {
			vol, err := d.lookupVolume(h, op, cp.Volume)
			if err == nil {
				derr := vol.Delete(0)
				_ = vol.Free()
				if derr != nil {
					return lverr(op, derr)
				}
			} else if core.KindOf(err) != core.NotFound {
				return err
			}
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.st.Images, id)
	for k, x := range d.st.Tokens {
		if x == id {
			delete(d.st.Tokens, k)
		}
	}
	d.emit(core.TypeImage, id, cp.Meta, string(cp.Status), string(core.ImageDeleted), imageAttrs(&cp.Image))
	return d.save()
}

// snapshotRunning starts a push-mode backup of a running server's root
// disk into a new file of the pool (virDomainBackupBegin); the image is
// saving until the job ends, then active (or killed).
func (d *Driver) snapshotRunning(h *host, op string, dom *lv.Domain, x domainXML, r *imageRecord) error {
	dir, err := d.poolPath(h, op)
	if err != nil {
		return err
	}
	name := "gisiaas-img-" + r.ID
	target := filepath.Join(dir, name)
	var b strings.Builder
	b.WriteString("<domainbackup mode='push'><disks>")
	for _, disk := range x.Disks {
		if disk.Target.Dev == "vda" {
			fmt.Fprintf(&b, "<disk name='vda' type='file'><target file='%s'/><driver type='qcow2'/></disk>", esc(target))
		} else if disk.Target.Dev != "" {
			fmt.Fprintf(&b, "<disk name='%s' backup='no'/>", esc(disk.Target.Dev))
		}
	}
	b.WriteString("</disks></domainbackup>")
	if err := dom.BackupBegin(b.String(), "", 0); err != nil {
		return lverr(op, fmt.Errorf("copying the running server's disk: %w", err))
	}
	r.Host, r.Volume, r.DiskFormat, r.ContainerFormat = h.name, name, "qcow2", "bare"
	r.Status, r.NativeStatus, r.FileLocation = core.ImageSaving, "backup job", d.cfg.Pool+"/"+name
	d.wg.Add(1)
	go d.awaitBackup(h, r.SourceServerID, r.ID, name)
	return nil
}

// poolPath is the directory of a directory-backed pool.
func (d *Driver) poolPath(h *host, op string) (string, error) {
	p, err := d.pool(h, op)
	if err != nil {
		return "", err
	}
	defer p.Free()
	desc, err := p.GetXMLDesc(0)
	if err != nil {
		return "", lverr(op, err)
	}
	var px struct {
		Type string `xml:"type,attr"`
		Path string `xml:"target>path"`
	}
	if err := xml.Unmarshal([]byte(desc), &px); err != nil || px.Path == "" {
		return "", conflict(op, "pool %s has no directory to copy a running server's disk into", d.cfg.Pool)
	}
	return px.Path, nil
}

// awaitBackup waits for the backup job of server id to end and settles
// image imageID: active with its size, or killed.
func (d *Driver) awaitBackup(h *host, serverID, imageID, name string) {
	defer d.wg.Done()
	ok := false
	for {
		dom, err := d.domain(h, "CreateImage", serverID)
		if err != nil {
			break
		}
		info, err := dom.GetJobInfo()
		if err == nil && info.Type == lv.DOMAIN_JOB_NONE {
			st, serr := dom.GetJobStats(lv.DOMAIN_JOB_STATS_COMPLETED)
			ok = serr == nil && st.Type == lv.DOMAIN_JOB_COMPLETED
			_ = dom.Free()
			break
		}
		_ = dom.Free()
		if err != nil {
			break
		}
		// The job's end is libvirt's job-completed event; a re-check every
		// 2 s covers a hypervisor that does not send it.
		if !d.awaitEvent(serverID, 2*time.Second) {
			return
		}
	}
	var size int64
	if ok {
		if p, err := d.pool(h, "CreateImage"); err == nil {
			_ = p.Refresh(0)
			_ = p.Free()
		}
		if vol, err := d.lookupVolume(h, "CreateImage", name); err == nil {
			if vi, err := vol.GetInfo(); err == nil {
				size = int64(vi.Allocation)
				if size <= 0 {
					size = int64(vi.Capacity)
				}
			}
			_ = vol.Free()
		} else {
			ok = false
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	r, found := d.st.Images[imageID]
	if !found {
		return
	}
	to := core.ImageKilled
	if ok {
		to = core.ImageActive
		r.SizeBytes, r.NativeStatus = size, "volume"
	} else {
		d.deleteVolumeByName(h, name)
		r.NativeStatus = "backup job failed"
	}
	r.Status, r.UpdatedAt = to, now()
	d.emit(core.TypeImage, imageID, r.Meta, string(core.ImageSaving), string(to), imageAttrs(&r.Image))
	_ = d.save()
}
