package sim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

func init() {
	transitions["image.snapshot"] = func(d *Driver, id string) {
		im, ok := d.st.Images[id]
		if !ok || im.Status != core.ImageSaving {
			return
		}
		sum := sha256.Sum256([]byte(id))
		im.Checksum = hex.EncodeToString(sum[:])
		im.FileLocation = "sim://images/" + id
		d.setImageStatus(im, core.ImageActive)
	}
}

// snapshotFraction is the share of a server's disk its snapshot takes: the
// simulator models snapshots as sparse copies.
const snapshotFraction = 4

// setImageStatus moves im to status and emits the event. Called with d.mu held.
func (d *Driver) setImageStatus(im *core.Image, to core.ImageStatus) {
	from := im.Status
	im.Status = to
	im.UpdatedAt = d.now()
	d.emit(core.TypeImage, im.ID, im.Meta, string(from), string(to), imageAttrs(im))
}

// image looks up id, visible or not. Called with d.mu held.
func (d *Driver) image(op, id string) (*core.Image, error) {
	im, ok := d.st.Images[id]
	if !ok {
		return nil, notFound(op, core.TypeImage, id)
	}
	if im.DatacenterID != "" {
		if err := d.checkDC(op, im.DatacenterID); err != nil {
			return nil, err
		}
	}
	return im, nil
}

// CreateImage snapshots a server (B.2.3.1) or, without a server, registers
// an empty image waiting for UploadImage (B.2.3.2).
func (d *Driver) CreateImage(ctx context.Context, req core.ImageCreate) (core.Image, error) {
	const op = "CreateImage"
	if err := d.begin(ctx, op); err != nil {
		return core.Image{}, err
	}
	if err := req.Validate(); err != nil {
		return core.Image{}, core.WithOp(op, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var src *core.Server
	if req.ServerID != "" {
		s, ok := d.st.Servers[req.ServerID]
		if !ok || (req.ProjectID != "" && s.ProjectID != "" && s.ProjectID != req.ProjectID) {
			return core.Image{}, invalidArg(op, "server_id: server %s not found", req.ServerID)
		}
		if req.DatacenterID == "" {
			req.DatacenterID = s.DatacenterID
		}
		if s.Status != core.ServerActive && s.Status != core.ServerShutoff {
			return core.Image{}, conflict(op, "server %s is %s; only an ACTIVE or SHUTOFF server can be snapshotted", s.ID, s.Status)
		}
		src = s
	}
	if err := d.resolveDC(op, &req.CreateMeta); err != nil {
		return core.Image{}, err
	}
	if src != nil && src.DatacenterID != req.DatacenterID {
		return core.Image{}, invalidArg(op, "datacenter_id: server %s is in datacenter %s", src.ID, src.DatacenterID)
	}
	if id, ok := d.token(core.TypeImage, req.CreateMeta); ok {
		if im, ok := d.st.Images[id]; ok {
			return cloneImage(im), nil
		}
	}
	im := &core.Image{
		Meta: d.newMeta(req.CreateMeta), ID: d.newID(), Name: req.Name, Type: req.Type,
		Description: req.Description, Status: core.ImageQueued, Architecture: req.Architecture,
		OwnerID: req.ProjectID, ImageTags: append([]string{}, req.ImageTags...), Visibility: req.Visibility,
		Protected: req.Protected, MinRAMMB: req.MinRAMMB, MinDiskGB: req.MinDiskGB, DiskFormat: req.DiskFormat,
		ContainerFormat: "bare",
	}
	if src != nil {
		im.SourceServerID = src.ID
		if f, ok := d.st.Flavors[src.FlavorID]; ok {
			im.SizeBytes = f.DiskGB << 30 / snapshotFraction
			im.MinDiskGB = max(im.MinDiskGB, f.DiskGB)
		}
		if base, ok := d.st.Images[src.ImageID]; ok {
			if im.Architecture == "" {
				im.Architecture = base.Architecture
			}
			im.MinRAMMB = max(im.MinRAMMB, base.MinRAMMB)
		}
		if im.DiskFormat == "" {
			im.DiskFormat = "qcow2"
		}
	}
	d.st.Images[im.ID] = im
	d.emit(core.TypeImage, im.ID, im.Meta, "", string(core.ImageQueued), imageAttrs(im))
	if src != nil {
		d.setImageStatus(im, core.ImageSaving)
	}
	d.remember(core.TypeImage, req.CreateMeta, im.ID)
	out := cloneImage(im)
	if src != nil {
		d.schedule("image.snapshot", im.ID)
	}
	if err := d.commit(); err != nil {
		return core.Image{}, err
	}
	return out, nil
}

// ctxReader stops a stream as soon as its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// UploadImage streams data into a queued image (B.2.3.2). The data is
// hashed and counted as it passes, never held; the lock is not held while
// it streams, so a slow upload stalls no other call.
func (d *Driver) UploadImage(ctx context.Context, id string, opts core.ImageUpload, data io.Reader) (core.Image, error) {
	const op = "UploadImage"
	if err := d.begin(ctx, op); err != nil {
		return core.Image{}, err
	}
	if err := core.ValidateDiskFormat(opts.DiskFormat, true); err != nil {
		return core.Image{}, core.WithOp(op, err)
	}
	if data == nil {
		return core.Image{}, invalidArg(op, "data: is required")
	}
	d.mu.Lock()
	im, err := d.image(op, id)
	if err == nil && im.Status != core.ImageQueued {
		err = conflict(op, "image %s is %s; data can be uploaded only to a queued image", id, im.Status)
	}
	if err != nil {
		d.mu.Unlock()
		return core.Image{}, err
	}
	d.setImageStatus(im, core.ImageSaving)
	_ = d.commit()
	d.mu.Unlock()

	h := sha256.New()
	n, copyErr := io.Copy(h, ctxReader{ctx: ctx, r: data})

	d.mu.Lock()
	defer d.mu.Unlock()
	im, ok := d.st.Images[id]
	if !ok || im.Status != core.ImageSaving {
		return core.Image{}, conflict(op, "image %s was deleted or changed during the upload", id)
	}
	if copyErr != nil {
		d.setImageStatus(im, core.ImageQueued) // Glance puts a failed upload back to queued
		_ = d.commit()
		if errors.Is(copyErr, context.Canceled) || errors.Is(copyErr, context.DeadlineExceeded) {
			return core.Image{}, core.Wrap(core.Unavailable, op, copyErr)
		}
		return core.Image{}, &core.Error{Kind: core.InvalidArgument, Op: op, Message: "reading the image data failed: " + copyErr.Error(), Err: copyErr}
	}
	im.SizeBytes = n
	im.Checksum = hex.EncodeToString(h.Sum(nil))
	im.DiskFormat = opts.DiskFormat
	im.FileLocation = "sim://images/" + id
	if opts.Source != "" {
		if im.Properties == nil {
			im.Properties = map[string]string{}
		}
		im.Properties["source"] = opts.Source
	}
	d.setImageStatus(im, core.ImageActive)
	if err := d.commit(); err != nil {
		return core.Image{}, err
	}
	return cloneImage(im), nil
}

// GetImage shows an image (B.2.3.4).
func (d *Driver) GetImage(ctx context.Context, id string) (core.Image, error) {
	if err := d.begin(ctx, "GetImage"); err != nil {
		return core.Image{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	im, err := d.image("GetImage", id)
	if err != nil {
		return core.Image{}, err
	}
	return cloneImage(im), nil
}

// ListImages lists the public images and the project's own (B.2.3.6).
func (d *Driver) ListImages(ctx context.Context, opts core.ListOptions) ([]core.Image, error) {
	if err := d.begin(ctx, "ListImages"); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]core.Image, 0, len(d.st.Images))
	for _, im := range d.st.Images {
		public := im.Visibility == core.VisibilityPublic && im.ProjectID == ""
		if public || matches(opts, im.Meta) {
			out = append(out, cloneImage(im))
		}
	}
	sortByCreated(out, func(x *core.Image) (time.Time, string) { return x.CreatedAt, x.ID })
	return out, nil
}

// UpdateImage applies a patch, all or none (B.2.3.5).
func (d *Driver) UpdateImage(ctx context.Context, id string, ops []core.PatchOp) (core.Image, error) {
	const op = "UpdateImage"
	if err := d.begin(ctx, op); err != nil {
		return core.Image{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	im, err := d.image(op, id)
	if err != nil {
		return core.Image{}, err
	}
	next, err := core.ApplyImagePatch(cloneImage(im), ops)
	if err != nil {
		return core.Image{}, core.WithOp(op, err)
	}
	next.UpdatedAt = d.now()
	*im = next
	if err := d.commit(); err != nil {
		return core.Image{}, err
	}
	return cloneImage(im), nil
}

// DeleteImage deletes an image that is not protected (B.2.3.3).
func (d *Driver) DeleteImage(ctx context.Context, id string) error {
	const op = "DeleteImage"
	if err := d.begin(ctx, op); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	im, err := d.image(op, id)
	if err != nil {
		return err
	}
	if im.Protected {
		return conflict(op, "image %s is protected; unprotect it first", id)
	}
	d.cancel("image.snapshot", id)
	d.setImageStatus(im, core.ImageDeleted)
	delete(d.st.Images, id)
	return d.commit()
}
