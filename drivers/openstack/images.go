package openstack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	"github.com/gophercloud/gophercloud/v2/openstack/image/v2/imagedata"
	"github.com/gophercloud/gophercloud/v2/openstack/image/v2/images"

	"github.com/gisiaas/gisiaas/core"
)

var _ core.Images = (*Driver)(nil)

// Glance properties with a meaning of their own. image_type and
// instance_uuid are the ones Nova puts on a server snapshot; description
// and architecture are the conventional free-form names the clients use.
const (
	propImageType    = "image_type"
	propInstanceUUID = "instance_uuid"
	propDescription  = "description"
	propArchitecture = "architecture"
	// propSHA256 is the hex SHA-256 of the data uploaded through the
	// driver: Glance's own os_hash_value is SHA-512 by default, and core's
	// checksum is SHA-256.
	propSHA256 = "gisiaas:sha256"
)

// glanceSystemProps are keys Glance itself reports beside the image's
// properties; they are no user property.
var glanceSystemProps = map[string]bool{"os_hash_algo": true, "os_hash_value": true, "stores": true,
	"locations": true, "direct_url": true, "properties": true, "owner_specified.openstack.md5": true,
	"owner_specified.openstack.sha256": true, "owner_specified.openstack.object": true}

// imageTypeOf is snapshot for what Nova's createImage made (image_type
// snapshot or backup), else image.
func imageTypeOf(props map[string]any) core.ImageType {
	switch props[propImageType] {
	case "snapshot", "backup":
		return core.ImageTypeSnapshot
	}
	return core.ImageTypeImage
}

func propString(props map[string]any, k string) string {
	s, _ := props[k].(string)
	return s
}

// stringProps are props' string values.
func stringProps(props map[string]any) map[string]string {
	out := map[string]string{}
	for k, v := range props {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

// coreImage is im as core shows it; projectID is its gisiaas project when
// the caller knows it.
func (d *Driver) coreImage(ctx context.Context, im *images.Image, projectID string) core.Image {
	tags, dc, rest := metaFromMetadata(stringProps(im.Properties))
	if projectID == "" {
		projectID = d.projects.gisProject(ctx, im.Owner)
	}
	out := core.Image{
		Meta: core.Meta{ProjectID: projectID, DatacenterID: d.dcOf(ctx, dc, ""), Tags: tags,
			CreatedAt: im.CreatedAt.UTC(), UpdatedAt: im.UpdatedAt.UTC()},
		ID: im.ID, Name: im.Name, Type: imageTypeOf(im.Properties), Status: imageState(string(im.Status)),
		NativeStatus: string(im.Status), Description: propString(im.Properties, propDescription),
		Architecture: propString(im.Properties, propArchitecture), OwnerID: projectID,
		ImageTags: []string{}, Visibility: core.VisibilityPrivate, Protected: im.Protected,
		MinRAMMB: int64(im.MinRAMMegabytes), MinDiskGB: int64(im.MinDiskGigabytes), SizeBytes: im.SizeBytes,
		DiskFormat: im.DiskFormat, ContainerFormat: im.ContainerFormat,
		Checksum:       propString(im.Properties, propSHA256),
		SourceServerID: propString(im.Properties, propInstanceUUID),
	}
	if out.OwnerID == "" {
		out.OwnerID = im.Owner
	}
	if im.Visibility == images.ImageVisibilityPublic {
		out.Visibility = core.VisibilityPublic
	}
	if out.Checksum == "" && propString(im.Properties, "os_hash_algo") == "sha256" {
		out.Checksum = propString(im.Properties, "os_hash_value")
	}
	if im.SizeBytes > 0 {
		out.FileLocation = im.File
	}
	for _, t := range im.Tags {
		if !strings.HasPrefix(t, tokenTagPrefix) {
			out.ImageTags = append(out.ImageTags, t)
		}
	}
	slices.Sort(out.ImageTags) // Glance keeps a set, in no order
	for k := range rest {
		switch {
		case k == propImageType || k == propInstanceUUID || k == propDescription || k == propArchitecture,
			glanceSystemProps[k], strings.HasPrefix(k, "os_glance"), isGisiaasKey(k):
			delete(rest, k)
		}
	}
	if len(rest) > 0 {
		out.Properties = rest
	}
	return out
}

// imageObservation is what an answer about im tells the event log.
func imageObservation(c core.Image) observation {
	return observation{Type: core.TypeImage, ID: c.ID, ProjectID: c.ProjectID, DatacenterID: c.DatacenterID,
		State: string(c.Status), Attrs: imageAttrs(c), Time: c.UpdatedAt}
}

// imageAttrs are the billing attributes of an image.
func imageAttrs(c core.Image) core.EventAttributes {
	return core.EventAttributes{Name: c.Name, ImageID: c.ID, ImageType: c.Type, ImageSizeBytes: c.SizeBytes}
}

// getImage shows image id through the service credential and observes it.
func (d *Driver) getImage(ctx context.Context, op, id, projectID string) (core.Image, *images.Image, error) {
	im, err := images.Get(ctx, d.admin.image, id).Extract()
	if err != nil {
		return core.Image{}, nil, classify(op, err)
	}
	c := d.coreImage(ctx, im, projectID)
	d.observe(ctx, imageObservation(c))
	return c, im, nil
}

// CreateImage snapshots a server through Nova's createImage (B.2.3.1) or,
// without a server, registers an empty image in Glance waiting for
// UploadImage (B.2.3.2). Either is made in the project's OpenStack project.
func (d *Driver) CreateImage(ctx context.Context, req core.ImageCreate) (core.Image, error) {
	const op = "CreateImage"
	if err := req.Validate(); err != nil {
		return core.Image{}, core.WithOp(op, err)
	}
	var src novaServer
	if req.ServerID != "" {
		s, err := d.novaServerByID(ctx, op, req.ServerID)
		if core.KindOf(err) == core.NotFound {
			return core.Image{}, &core.Error{Kind: core.InvalidArgument, Op: op, Message: "server_id: server " + req.ServerID + " not found", Err: err}
		}
		if err != nil {
			return core.Image{}, err
		}
		if req.ProjectID != "" {
			os, ok, err := d.projects.find(ctx, req.ProjectID)
			if err != nil {
				return core.Image{}, core.WithOp(op, err)
			}
			if !ok || os != s.TenantID {
				return core.Image{}, &core.Error{Kind: core.InvalidArgument, Op: op, Message: "server_id: server " + req.ServerID + " not found"}
			}
		}
		_, dcMeta, _ := metaFromMetadata(s.Metadata)
		dc := d.dcOf(ctx, dcMeta, s.AZ)
		if req.DatacenterID == "" {
			req.DatacenterID = dc
		} else if req.DatacenterID != dc {
			return core.Image{}, &core.Error{Kind: core.InvalidArgument, Op: op, Message: "datacenter_id: server " + s.ID + " is in datacenter " + dc}
		}
		if st := s.state(); st != core.ServerActive && st != core.ServerShutoff {
			return core.Image{}, &core.Error{Kind: core.Conflict, Op: op, Message: fmt.Sprintf("server %s is %s; only an ACTIVE or SHUTOFF server can be snapshotted", s.ID, st)}
		}
		src = s
	}
	cs, osProj, err := d.projects.clientsFor(ctx, req.ProjectID)
	if err != nil {
		return core.Image{}, core.WithOp(op, err)
	}
	tag := tokenTag(osProj, req.ClientToken)
	defer tokenLocks.lock(tag)() // from the lookup to the tags: one image per token
	if tag != "" {
		pages, err := images.List(d.admin.image, images.ListOpts{Owner: osProj, Tags: []string{tag}}).AllPages(ctx)
		if err != nil {
			return core.Image{}, classify(op, err)
		}
		found, err := images.ExtractImages(pages)
		if err != nil {
			return core.Image{}, classify(op, err)
		}
		if len(found) > 0 {
			c, _, err := d.getImage(ctx, op, found[0].ID, req.ProjectID)
			return c, err
		}
	}
	extra := map[string]string{}
	if req.Description != "" {
		extra[propDescription] = req.Description
	}
	if req.Architecture != "" {
		extra[propArchitecture] = req.Architecture
	}
	props := createMetadata(req.CreateMeta, osProj, extra)
	tags := slices.Clone(req.ImageTags)
	if tag != "" {
		tags = append(tags, tag)
	}
	visibility := images.ImageVisibility(req.Visibility)
	var id string
	if req.ServerID != "" {
		r := servers.CreateImage(ctx, cs.compute, src.ID, servers.CreateImageOpts{Name: req.Name, Metadata: props})
		if id, err = r.ExtractImageID(); err != nil {
			return core.Image{}, classify(op, err)
		}
		// Nova's createImage takes only a name and properties; the rest is
		// set in Glance at once, the token tag first among it.
		patch := imagePatch{{"replace", "/tags", nonNil(tags)}, {"replace", "/visibility", string(visibility)},
			{"replace", "/protected", req.Protected}}
		if req.MinRAMMB > 0 {
			patch = append(patch, imagePatchOp{"replace", "/min_ram", req.MinRAMMB})
		}
		if req.MinDiskGB > 0 {
			patch = append(patch, imagePatchOp{"replace", "/min_disk", req.MinDiskGB})
		}
		if err := images.Update(ctx, d.admin.image, id, patch).Err; err != nil {
			return core.Image{}, classify(op, err)
		}
	} else {
		props[propImageType] = string(req.Type)
		protected := req.Protected
		opts := images.CreateOpts{Name: req.Name, Visibility: &visibility, Tags: tags, DiskFormat: req.DiskFormat,
			MinDisk: int(req.MinDiskGB), MinRAM: int(req.MinRAMMB), Protected: &protected, Properties: props}
		if req.DiskFormat != "" {
			opts.ContainerFormat = "bare"
		}
		im, err := images.Create(ctx, cs.image, opts).Extract()
		if err != nil {
			return core.Image{}, classify(op, err)
		}
		id = im.ID
	}
	c, _, err := d.getImage(ctx, op, id, req.ProjectID)
	return c, err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// imagePatchOp is one operation of a Glance JSON patch (RFC 6902).
type imagePatchOp struct {
	op, path string
	value    any
}

func (p imagePatchOp) ToImagePatchMap() map[string]any {
	m := map[string]any{"op": p.op, "path": p.path}
	if p.op != "remove" {
		m["value"] = p.value
	}
	return m
}

// imagePatch is a Glance JSON patch, applied by Glance all or none.
type imagePatch []imagePatchOp

func (p imagePatch) ToImageUpdateMap() ([]any, error) {
	out := make([]any, len(p))
	for i, o := range p {
		out[i] = o.ToImagePatchMap()
	}
	return out, nil
}

// countingHash counts and hashes what passes through it.
type countingHash struct {
	n int64
	h interface {
		io.Writer
		Sum([]byte) []byte
	}
}

func (c *countingHash) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return c.h.Write(p)
}

// UploadImage streams data into a queued image (B.2.3.2): the reader goes
// to Glance as the request body, hashed on its way, never held.
func (d *Driver) UploadImage(ctx context.Context, id string, opts core.ImageUpload, data io.Reader) (core.Image, error) {
	const op = "UploadImage"
	if err := core.ValidateDiskFormat(opts.DiskFormat, true); err != nil {
		return core.Image{}, core.WithOp(op, err)
	}
	if data == nil {
		return core.Image{}, &core.Error{Kind: core.InvalidArgument, Op: op, Message: "data: is required"}
	}
	c, im, err := d.getImage(ctx, op, id, "")
	if err != nil {
		return core.Image{}, err
	}
	if im.Status != images.ImageStatusQueued {
		return core.Image{}, &core.Error{Kind: core.Conflict, Op: op, Message: fmt.Sprintf("image %s is %s; data can be uploaded only to a queued image", id, im.Status)}
	}
	// Glance takes data only once both formats are set.
	patch := imagePatch{{"replace", "/disk_format", opts.DiskFormat}}
	if im.ContainerFormat == "" {
		patch = append(patch, imagePatchOp{"replace", "/container_format", "bare"})
	}
	if im.DiskFormat != opts.DiskFormat || im.ContainerFormat == "" {
		if err := images.Update(ctx, d.admin.image, id, patch).Err; err != nil {
			return core.Image{}, classify(op, err)
		}
	}
	sum := &countingHash{h: sha256.New()}
	if err := imagedata.Upload(ctx, d.admin.image, id, io.TeeReader(data, sum)).ExtractErr(); err != nil {
		return core.Image{}, classify(op, err)
	}
	after := imagePatch{{"add", "/" + propSHA256, hex.EncodeToString(sum.h.Sum(nil))}}
	if opts.Source != "" {
		o := "add"
		if _, ok := c.Properties["source"]; ok {
			o = "replace"
		}
		after = append(after, imagePatchOp{o, "/source", opts.Source})
	}
	if err := images.Update(ctx, d.admin.image, id, after).Err; err != nil {
		return core.Image{}, classify(op, err)
	}
	out, _, err := d.getImage(ctx, op, id, "")
	return out, err
}

// GetImage shows an image (B.2.3.4).
func (d *Driver) GetImage(ctx context.Context, id string) (core.Image, error) {
	c, _, err := d.getImage(ctx, "GetImage", id, "")
	return c, err
}

// glanceImages lists images through the service credential, which as
// admin sees every project's.
func (d *Driver) glanceImages(ctx context.Context, op string, opts images.ListOpts) ([]images.Image, error) {
	pages, err := images.List(d.admin.image, opts).AllPages(ctx)
	if err != nil {
		return nil, classify(op, err)
	}
	ims, err := images.ExtractImages(pages)
	if err != nil {
		return nil, classify(op, err)
	}
	return ims, nil
}

// ListImages lists the public images and the project's own, or every
// image when opts.ProjectID is empty (B.2.3.6). Public images are shared by
// every datacenter; the datacenter filter applies to the others.
func (d *Driver) ListImages(ctx context.Context, opts core.ListOptions) ([]core.Image, error) {
	const op = "ListImages"
	var ims []images.Image
	if opts.ProjectID == "" {
		all, err := d.glanceImages(ctx, op, images.ListOpts{})
		if err != nil {
			return nil, err
		}
		ims = all
	} else {
		public, err := d.glanceImages(ctx, op, images.ListOpts{Visibility: images.ImageVisibilityPublic})
		if err != nil {
			return nil, err
		}
		ims = public
		os, ok, err := d.projects.find(ctx, opts.ProjectID)
		if err != nil {
			return nil, core.WithOp(op, err)
		}
		if ok {
			own, err := d.glanceImages(ctx, op, images.ListOpts{Owner: os})
			if err != nil {
				return nil, err
			}
			for _, im := range own {
				if im.Visibility != images.ImageVisibilityPublic {
					ims = append(ims, im)
				}
			}
		}
	}
	out := make([]core.Image, 0, len(ims))
	for i := range ims {
		c := d.coreImage(ctx, &ims[i], "")
		d.observe(ctx, imageObservation(c))
		if c.Visibility != core.VisibilityPublic && opts.DatacenterID != "" && c.DatacenterID != opts.DatacenterID {
			continue
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b core.Image) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// UpdateImage applies a patch, all or none (B.2.3.5): core checks and
// applies it to the image as core sees it (so every driver refuses the same
// patches alike), and the difference goes to Glance as one JSON patch.
func (d *Driver) UpdateImage(ctx context.Context, id string, ops []core.PatchOp) (core.Image, error) {
	const op = "UpdateImage"
	for i, o := range ops {
		if isGisiaasKey(strings.TrimPrefix(o.Path, "/")) {
			return core.Image{}, &core.Error{Kind: core.PermissionDenied, Op: op, Message: fmt.Sprintf("patch[%d]: attribute %q is read-only", i, o.Path)}
		}
	}
	cur, raw, err := d.getImage(ctx, op, id, "")
	if err != nil {
		return core.Image{}, err
	}
	next, err := core.ApplyImagePatch(cur, ops)
	if err != nil {
		return core.Image{}, core.WithOp(op, err)
	}
	var patch imagePatch
	if next.Name != cur.Name {
		patch = append(patch, imagePatchOp{"replace", "/name", next.Name})
	}
	if next.Visibility != cur.Visibility {
		patch = append(patch, imagePatchOp{"replace", "/visibility", string(next.Visibility)})
	}
	if next.MinRAMMB != cur.MinRAMMB {
		patch = append(patch, imagePatchOp{"replace", "/min_ram", next.MinRAMMB})
	}
	if next.MinDiskGB != cur.MinDiskGB {
		patch = append(patch, imagePatchOp{"replace", "/min_disk", next.MinDiskGB})
	}
	if next.Protected != cur.Protected {
		patch = append(patch, imagePatchOp{"replace", "/protected", next.Protected})
	}
	if !slices.Equal(next.ImageTags, cur.ImageTags) {
		tags := slices.Clone(next.ImageTags)
		for _, t := range raw.Tags {
			if strings.HasPrefix(t, tokenTagPrefix) {
				tags = append(tags, t) // the token's tag stays
			}
		}
		patch = append(patch, imagePatchOp{"replace", "/tags", nonNil(tags)})
	}
	// Properties, description and architecture are all Glance properties.
	want := maps.Clone(next.Properties)
	have := maps.Clone(cur.Properties)
	if want == nil {
		want = map[string]string{}
	}
	if have == nil {
		have = map[string]string{}
	}
	for k, v := range map[string][2]string{propDescription: {cur.Description, next.Description},
		propArchitecture: {cur.Architecture, next.Architecture}} {
		if v[0] != "" {
			have[k] = v[0]
		}
		if v[1] != "" {
			want[k] = v[1]
		}
	}
	keys := slices.Sorted(maps.Keys(want))
	for _, k := range keys {
		old, had := have[k]
		if _, inGlance := raw.Properties[k]; inGlance && !had {
			had = true // a property core does not show, replaced all the same
		}
		switch {
		case !had:
			patch = append(patch, imagePatchOp{"add", "/" + k, want[k]})
		case old != want[k]:
			patch = append(patch, imagePatchOp{"replace", "/" + k, want[k]})
		}
	}
	for _, k := range slices.Sorted(maps.Keys(have)) {
		if _, keep := want[k]; !keep {
			patch = append(patch, imagePatchOp{"remove", "/" + k, nil})
		}
	}
	if len(patch) > 0 {
		if err := images.Update(ctx, d.admin.image, id, patch).Err; err != nil {
			return core.Image{}, classify(op, err)
		}
	}
	out, _, err := d.getImage(ctx, op, id, "")
	return out, err
}

// DeleteImage deletes an image that is not protected (B.2.3.3); Glance
// answers a protected one with 403, which is core's Conflict.
func (d *Driver) DeleteImage(ctx context.Context, id string) error {
	const op = "DeleteImage"
	c, im, err := d.getImage(ctx, op, id, "")
	if err != nil {
		return err
	}
	if im.Protected {
		return &core.Error{Kind: core.Conflict, Op: op, Message: "image " + id + " is protected; unprotect it first"}
	}
	if err := images.Delete(ctx, d.admin.image, id).ExtractErr(); err != nil {
		return classify(op, err)
	}
	o := imageObservation(c)
	o.State, o.Time = string(core.ImageDeleted), time.Now().UTC()
	d.observe(ctx, o)
	return nil
}

// pollImages lists every image: a whole list, so an image missing from it
// is deleted.
func (d *Driver) pollImages(ctx context.Context, since time.Time) ([]observation, bool, error) {
	ims, err := d.glanceImages(ctx, "pollImages", images.ListOpts{})
	if err != nil {
		return nil, false, err
	}
	obs := make([]observation, 0, len(ims))
	for i := range ims {
		obs = append(obs, imageObservation(d.coreImage(ctx, &ims[i], "")))
	}
	return obs, true, nil
}
