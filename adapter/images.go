package adapter

import (
	"context"
	"mime"
	"net/http"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/labstack/echo/v4"

	"github.com/gisiaas/gisiaas/core"
)

// MaxImageBytes bounds one streamed image upload (B.2.3.2), in place of
// MaxBodyBytes: the data is streamed to the driver, never held.
const MaxImageBytes = 64 << 30

// imagePatchType is Glance's media type for an image patch (B.2.3.5).
const imagePatchType = "application/openstack-images-v2.1-json-patch"

func init() {
	// The validator decodes a body by its media type; Glance's patch type
	// is JSON.
	openapi3filter.RegisterBodyDecoder(imagePatchType, openapi3filter.JSONBodyDecoder)
}

func (s *Server) imageRoutes(g *echo.Group) {
	g.POST("/images", s.createImage)
	g.GET("/images", s.listImages)
	g.GET("/images/:id", s.getImage)
	g.PATCH("/images/:id", s.updateImage)
	g.DELETE("/images/:id", s.deleteImage)
	g.PUT("/images/:id/file", s.uploadImage)
}

// imageView is an image as the API shows it (B.2.3.4).
type imageView struct {
	ID              string            `json:"id"`
	Name            string            `json:"name"`
	Type            core.ImageType    `json:"type"`
	Description     string            `json:"description"`
	Status          core.ImageStatus  `json:"status"`
	NativeStatus    string            `json:"native_status,omitempty"`
	Architecture    string            `json:"architecture"`
	FileLocation    string            `json:"file_location"`
	OwnerID         string            `json:"owner_id"`
	ImageTags       []string          `json:"image_tags"`
	Visibility      core.Visibility   `json:"visibility"`
	Protected       bool              `json:"protected"`
	MinRAMMB        int64             `json:"min_ram_mb"`
	MinDiskGB       int64             `json:"min_disk_gb"`
	SizeBytes       int64             `json:"size_bytes"`
	DiskFormat      string            `json:"disk_format"`
	ContainerFormat string            `json:"container_format"`
	Checksum        string            `json:"checksum"`
	SourceServerID  string            `json:"source_server_id,omitempty"`
	Properties      map[string]string `json:"properties"`
	DatacenterID    string            `json:"datacenter_id"`
	ProjectID       string            `json:"project_id"`
	CreatedAt       apiTime           `json:"created_at"`
	UpdatedAt       apiTime           `json:"updated_at"`
}

func viewImage(v core.Image) imageView {
	out := imageView{ID: v.ID, Name: v.Name, Type: v.Type, Description: v.Description, Status: v.Status,
		NativeStatus: v.NativeStatus, Architecture: v.Architecture, FileLocation: v.FileLocation, OwnerID: v.OwnerID,
		ImageTags: v.ImageTags, Visibility: v.Visibility, Protected: v.Protected, MinRAMMB: v.MinRAMMB,
		MinDiskGB: v.MinDiskGB, SizeBytes: v.SizeBytes, DiskFormat: v.DiskFormat, ContainerFormat: v.ContainerFormat,
		Checksum: v.Checksum, SourceServerID: v.SourceServerID, Properties: v.Properties,
		DatacenterID: v.DatacenterID, ProjectID: v.ProjectID, CreatedAt: apiTime(v.CreatedAt), UpdatedAt: apiTime(v.UpdatedAt)}
	if out.ImageTags == nil {
		out.ImageTags = []string{}
	}
	if out.Properties == nil {
		out.Properties = map[string]string{}
	}
	return out
}

// imageIn fills the datacenter of an image its driver did not place
// (public images are the cloud's, not a datacenter's).
func imageIn(v core.Image, b *backend) core.Image {
	if v.DatacenterID == "" {
		v.DatacenterID = b.ID
	}
	return v
}

// imageCreateRequest is the body of POST /images.
type imageCreateRequest struct {
	Image struct {
		Name         string          `json:"name"`
		Type         core.ImageType  `json:"type"`
		Description  string          `json:"description"`
		ServerID     string          `json:"server_id"`
		Visibility   core.Visibility `json:"visibility"`
		DiskFormat   string          `json:"disk_format"`
		Architecture string          `json:"architecture"`
		MinRAMMB     int64           `json:"min_ram_mb"`
		MinDiskGB    int64           `json:"min_disk_gb"`
		Protected    bool            `json:"protected"`
		ImageTags    []string        `json:"image_tags"`
		DatacenterID string          `json:"datacenter_id"`
	} `json:"image"`
}

// createImage snapshots a server (B.2.3.1: 202, saving, then active) or,
// without server_id, registers an empty image (queued) for PUT …/file.
func (s *Server) createImage(c echo.Context) error {
	var req imageCreateRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	r := req.Image
	in := core.ImageCreate{Name: r.Name, Type: r.Type, Description: r.Description, ServerID: r.ServerID,
		Visibility: r.Visibility, DiskFormat: r.DiskFormat, Architecture: r.Architecture, MinRAMMB: r.MinRAMMB,
		MinDiskGB: r.MinDiskGB, Protected: r.Protected, ImageTags: r.ImageTags}
	if err := in.Validate(); err != nil {
		return err
	}
	project := c.Param("project_id")
	dc := r.DatacenterID
	if dc == "" && r.ServerID != "" {
		// A snapshot is made where its server is.
		if res, ok := s.reg.Get(core.TypeServer, r.ServerID); ok && res.ProjectID == project {
			dc = res.DatacenterID
		}
	}
	b, err := s.createDatacenter(dc)
	if err != nil {
		return err
	}
	if err := s.checkRefs(project, b.ID, ref{core.TypeServer, "server_id", r.ServerID}); err != nil {
		return err
	}
	// An empty image exists to be uploaded into: a driver that takes
	// uploads (B.2.3.2) can make one, even without snapshots (B.2.3.1).
	clause := core.ClauseImageCreate
	if r.ServerID == "" {
		clause = core.ClauseImageUpload
	}
	return s.create(c, core.TypeImage, clause, b, req, func(ctx context.Context, meta core.CreateMeta) (created, error) {
		in.CreateMeta = meta
		v, err := b.Cloud.CreateImage(ctx, in)
		return created{ID: v.ID, State: string(v.Status), Body: viewImage(imageIn(v, b))}, err
	})
}

// listImages lists the project's images and the shared ones, as each
// datacenter's driver shows them to the project (B.2.3.6).
func (s *Server) listImages(c echo.Context) error {
	project := c.Param("project_id")
	return list(c, s, core.TypeImage, core.ClauseImageList,
		func(ctx context.Context, b *backend) ([]core.Image, error) {
			vs, err := b.Cloud.ListImages(ctx, core.ListOptions{ProjectID: project, DatacenterID: b.ID})
			for i, v := range vs {
				vs[i] = imageIn(v, b)
				s.learn(ctx, core.TypeImage, b.ID, v.ProjectID, v.ID, string(v.Status))
			}
			return vs, err
		},
		func(v core.Image) (time.Time, string) { return v.CreatedAt, v.ID }, viewImage)
}

// imageTarget is the image a request names and where it is.
type imageTarget struct {
	id    string // the cloud's id
	b     *backend
	owned bool        // the path's project's, registered
	shown *core.Image // set when finding it took a GetImage already
}

// imageOf finds the image of the path. The project's own are in the
// registry (another project's id is NotFound); an id the registry does not
// hold is asked of the datacenters: a public image is readable by every
// project, and changing it (write) is a cloud admin's only; another
// project's private image is NotFound.
func (s *Server) imageOf(c echo.Context, write bool) (imageTarget, error) {
	id, project := c.Param("id"), c.Param("project_id")
	if err := core.ValidateID("id", id); err != nil {
		return imageTarget{}, err
	}
	if _, ok := s.reg.Get(core.TypeImage, id); ok {
		res, b, err := s.owned(c, core.TypeImage, id)
		return imageTarget{id: res.CloudID, b: b, owned: true}, err
	}
	found, err := findFirst(c, s, core.ClauseImageShow, func(ctx context.Context, b *backend) (core.Image, error) {
		return b.Cloud.GetImage(ctx, id)
	})
	if err != nil {
		return imageTarget{}, err
	}
	if len(found) == 0 {
		return imageTarget{}, core.Errorf(core.NotFound, "image %s not found", id)
	}
	v, b := imageIn(found[0].v, found[0].b), found[0].b
	switch {
	case v.ProjectID == project:
		// Made outside the adapter, or before it watched: now it is known.
		s.learn(c.Request().Context(), core.TypeImage, b.ID, project, v.ID, string(v.Status))
		return imageTarget{id: v.ID, b: b, owned: true, shown: &v}, nil
	case v.Visibility != core.VisibilityPublic:
		return imageTarget{}, core.Errorf(core.NotFound, "image %s not found", id)
	case write && !isCloudAdmin(callerOf(c)):
		return imageTarget{}, core.Errorf(core.PermissionDenied, "image %s is shared by every project; only a cloud admin may change it", id)
	}
	return imageTarget{id: v.ID, b: b, shown: &v}, nil
}

// show returns the target's image, asking its datacenter unless finding
// it did already, and keeps the registry's state current.
func (s *Server) showImage(c echo.Context, t imageTarget) (core.Image, error) {
	if t.shown != nil {
		return *t.shown, nil
	}
	var v core.Image
	err := t.b.call(c.Request().Context(), core.ClauseImageShow, func(ctx context.Context) (err error) {
		v, err = t.b.Cloud.GetImage(ctx, t.id)
		return err
	})
	if err != nil {
		return v, s.imageGone(c, t, err)
	}
	s.imageState(c, t, v)
	return imageIn(v, t.b), nil
}

// imageGone forgets a registered image its cloud no longer has.
func (s *Server) imageGone(c echo.Context, t imageTarget, err error) error {
	if t.owned {
		return s.gone(c.Request().Context(), core.TypeImage, c.Param("id"), err)
	}
	return err
}

// imageState records a registered image's state when it changed.
func (s *Server) imageState(c echo.Context, t imageTarget, v core.Image) {
	if !t.owned {
		return
	}
	if res, ok := s.reg.Get(core.TypeImage, c.Param("id")); ok && res.State != string(v.Status) {
		_, _ = s.reg.SetState(c.Request().Context(), core.TypeImage, res.ID, string(v.Status))
	}
}

func (s *Server) getImage(c echo.Context) error {
	t, err := s.imageOf(c, false)
	if err != nil {
		return err
	}
	v, err := s.showImage(c, t)
	if err != nil {
		return err
	}
	return one(c, http.StatusOK, core.TypeImage, viewImage(v))
}

// imagePatchOp is one operation of a PATCH body (B.2.3.5).
type imagePatchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value"`
}

// decodeImagePatch reads a PATCH body: a JSON list of operations, sent as
// Glance's patch media type or as plain JSON.
func decodeImagePatch(c echo.Context) ([]core.PatchOp, error) {
	r := c.Request()
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != imagePatchType && ct != "application/json" {
		return nil, core.Errorf(core.InvalidArgument, "Content-Type must be %s or application/json, not %q",
			imagePatchType, r.Header.Get("Content-Type"))
	}
	// Both are JSON: decodeJSON's bounds and messages apply once told so.
	r.Header.Set("Content-Type", "application/json")
	var in []imagePatchOp
	if err := decodeJSON(c, &in); err != nil {
		return nil, err
	}
	if len(in) == 0 {
		return nil, core.Errorf(core.InvalidArgument, "patch: is empty")
	}
	ops := make([]core.PatchOp, len(in))
	for i, o := range in {
		ops[i] = core.PatchOp{Op: o.Op, Path: o.Path, Value: o.Value}
	}
	return ops, nil
}

// updateImage applies a patch, all or none, through the driver, which
// checks it with core.ApplyImagePatch; 200 with the image.
func (s *Server) updateImage(c echo.Context) error {
	ops, err := decodeImagePatch(c)
	if err != nil {
		return err
	}
	t, err := s.imageOf(c, true)
	if err != nil {
		return err
	}
	var v core.Image
	err = t.b.call(c.Request().Context(), core.ClauseImageUpdate, func(ctx context.Context) (err error) {
		v, err = t.b.Cloud.UpdateImage(ctx, t.id, ops)
		return err
	})
	if err != nil {
		return s.imageGone(c, t, err)
	}
	return one(c, http.StatusOK, core.TypeImage, viewImage(imageIn(v, t.b)))
}

// deleteImage deletes an image (B.2.3.3); a protected one is Conflict.
func (s *Server) deleteImage(c echo.Context) error {
	t, err := s.imageOf(c, true)
	if err != nil {
		return err
	}
	err = t.b.call(c.Request().Context(), core.ClauseImageDelete, func(ctx context.Context) error {
		return t.b.Cloud.DeleteImage(ctx, t.id)
	})
	if err != nil {
		return s.imageGone(c, t, err)
	}
	return noContent(c)
}

// uploadImage streams the request body into a queued image (B.2.3.2):
// the body goes to the driver as a reader and is never held whole. The
// image is checked first, so data sent to an image that cannot take it is
// refused before it is read. disk_format defaults to the image's own.
func (s *Server) uploadImage(c echo.Context) error {
	r := c.Request()
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/octet-stream" {
		return core.Errorf(core.InvalidArgument, "Content-Type must be application/octet-stream, not %q", r.Header.Get("Content-Type"))
	}
	if r.ContentLength > MaxImageBytes {
		return core.Errorf(core.InvalidArgument, "image data is larger than %d bytes", int64(MaxImageBytes))
	}
	source := c.QueryParam("source")
	if err := core.ValidateName("source", source, false); err != nil {
		return err
	}
	t, err := s.imageOf(c, true)
	if err != nil {
		return err
	}
	v, err := s.showImage(c, t)
	if err != nil {
		return err
	}
	if v.Status != core.ImageQueued {
		return core.Errorf(core.Conflict, "image %s is %s; data can be uploaded only to a queued image", v.ID, v.Status)
	}
	opts := core.ImageUpload{DiskFormat: c.QueryParam("disk_format"), Source: source}
	if opts.DiskFormat == "" {
		opts.DiskFormat = v.DiskFormat
	}
	if err := core.ValidateDiskFormat(opts.DiskFormat, true); err != nil {
		return err
	}
	err = t.b.call(r.Context(), core.ClauseImageUpload, func(ctx context.Context) (err error) {
		v, err = t.b.Cloud.UploadImage(ctx, t.id, opts, r.Body)
		return err
	})
	if err != nil {
		return s.imageGone(c, t, err)
	}
	s.imageState(c, t, v)
	return one(c, http.StatusOK, core.TypeImage, viewImage(imageIn(v, t.b)))
}
