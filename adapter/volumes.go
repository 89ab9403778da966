package adapter

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gisiaas/gisiaas/core"
)

func (s *Server) volumeRoutes(g *echo.Group) {
	g.POST("/volumes", s.createVolume)
	g.GET("/volumes", s.listVolumes)
	g.GET("/volumes/:id", s.getVolume)
	g.DELETE("/volumes/:id", s.deleteVolume)
	g.POST("/volumes/:id/attach", s.attachVolume)
	g.POST("/volumes/:id/detach", s.detachVolume)
	g.POST("/volumes/:id/extend", s.extendVolume)
}

// volumeAttachmentView is one attachment of a volume (B.4.1.3).
type volumeAttachmentView struct {
	ServerID   string  `json:"server_id"`
	Mountpoint string  `json:"mountpoint"`
	Mode       string  `json:"mode"`
	AttachedAt apiTime `json:"attached_at"`
}

// volumeView is a volume as the API shows it (B.4.1.1, B.4.1.3); the
// datacenter is the standard's availability zone.
type volumeView struct {
	ID           string                 `json:"id"`
	Name         string                 `json:"name"`
	Description  string                 `json:"description"`
	SizeGB       int64                  `json:"size_gb"`
	VolumeType   string                 `json:"volume_type"`
	Shareable    bool                   `json:"shareable"`
	Host         string                 `json:"host"`
	Status       core.VolumeStatus      `json:"status"`
	NativeStatus string                 `json:"native_status,omitempty"`
	Attachments  []volumeAttachmentView `json:"attachments"`
	SnapshotID   string                 `json:"snapshot_id,omitempty"`
	ImageID      string                 `json:"image_id,omitempty"`
	DatacenterID string                 `json:"datacenter_id"`
	ProjectID    string                 `json:"project_id"`
	CreatedAt    apiTime                `json:"created_at"`
	UpdatedAt    apiTime                `json:"updated_at"`
}

func viewVolume(v core.Volume) volumeView {
	out := volumeView{ID: v.ID, Name: v.Name, Description: v.Description, SizeGB: v.SizeGB, VolumeType: v.VolumeType,
		Shareable: v.Shareable, Host: v.Host, Status: v.Status, NativeStatus: v.NativeStatus,
		Attachments: make([]volumeAttachmentView, 0, len(v.Attachments)), SnapshotID: v.SnapshotID, ImageID: v.ImageID,
		DatacenterID: v.DatacenterID, ProjectID: v.ProjectID, CreatedAt: apiTime(v.CreatedAt), UpdatedAt: apiTime(v.UpdatedAt)}
	for _, a := range v.Attachments {
		out.Attachments = append(out.Attachments, volumeAttachmentView{ServerID: a.ServerID, Mountpoint: a.Mountpoint,
			Mode: a.Mode, AttachedAt: apiTime(a.AttachedAt)})
	}
	return out
}

// sourceBackend picks the datacenter of a create made from a source (a
// volume to snapshot or back up, a snapshot to make a volume of): the one
// named, else the source's when the registry holds it, since the copy can
// only live beside its source. A source the registry does not hold goes to
// the default datacenter, whose driver answers for it.
func (s *Server) sourceBackend(named string, typ core.ResourceType, id string) (*backend, error) {
	if named == "" && id != "" {
		if res, ok := s.reg.Get(typ, id); ok {
			named = res.DatacenterID
		}
	}
	return s.createDatacenter(named)
}

// volumeCreateRequest is the body of POST /volumes.
type volumeCreateRequest struct {
	Volume struct {
		Name         string `json:"name"`
		Description  string `json:"description"`
		SizeGB       int64  `json:"size_gb"`
		VolumeType   string `json:"volume_type"`
		Shareable    bool   `json:"shareable"`
		SnapshotID   string `json:"snapshot_id"`
		ImageID      string `json:"image_id"`
		DatacenterID string `json:"datacenter_id"`
	} `json:"volume"`
}

func (s *Server) createVolume(c echo.Context) error {
	var req volumeCreateRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	r := req.Volume
	in := core.VolumeCreate{Name: r.Name, Description: r.Description, SizeGB: r.SizeGB, VolumeType: r.VolumeType,
		Shareable: r.Shareable, SnapshotID: r.SnapshotID, ImageID: r.ImageID}
	if err := in.Validate(); err != nil {
		return err
	}
	b, err := s.sourceBackend(r.DatacenterID, core.TypeVolumeSnapshot, r.SnapshotID)
	if err != nil {
		return err
	}
	if err := s.checkRefs(c.Param("project_id"), b.ID,
		ref{core.TypeVolumeSnapshot, "snapshot_id", r.SnapshotID}, ref{core.TypeImage, "image_id", r.ImageID}); err != nil {
		return err
	}
	return s.create(c, core.TypeVolume, core.ClauseVolumeCreate, b, req, func(ctx context.Context, meta core.CreateMeta) (created, error) {
		in.CreateMeta = meta
		v, err := b.Cloud.CreateVolume(ctx, in)
		return created{ID: v.ID, State: string(v.Status), Body: viewVolume(v)}, err
	})
}

func (s *Server) listVolumes(c echo.Context) error {
	// B.4.1 has no list clause of its own: listing is part of showing.
	return listProject(c, s, core.TypeVolume, core.ClauseVolumeShow, core.Driver.ListVolumes,
		func(v core.Volume) listed { return listed{v.ProjectID, v.ID, string(v.Status), v.CreatedAt} }, viewVolume)
}

func (s *Server) getVolume(c echo.Context) error {
	return showOwned(c, s, core.TypeVolume, core.ClauseVolumeShow, func(ctx context.Context, d core.Driver, id string) (core.Volume, error) {
		return d.GetVolume(ctx, id)
	}, func(v core.Volume) string { return string(v.Status) }, viewVolume)
}

func (s *Server) deleteVolume(c echo.Context) error {
	return deleteOwned(c, s, core.TypeVolume, core.ClauseVolumeDelete, func(ctx context.Context, d core.Driver, id string) error {
		return d.DeleteVolume(ctx, id)
	})
}

// volumeChange runs an operation on an owned volume that answers the
// volume (attach, detach): 200 with it, its status saying whether the cloud
// is still at work (attaching, detaching).
func (s *Server) volumeChange(c echo.Context, clause core.Clause, fn func(ctx context.Context, d core.Driver, id string) (core.Volume, error)) error {
	res, b, err := s.owned(c, core.TypeVolume, c.Param("id"))
	if err != nil {
		return err
	}
	var v core.Volume
	err = b.call(c.Request().Context(), clause, func(ctx context.Context) (err error) {
		v, err = fn(ctx, b.Cloud, res.CloudID)
		return err
	})
	if err != nil {
		return s.gone(c.Request().Context(), core.TypeVolume, res.ID, err)
	}
	if string(v.Status) != res.State {
		_, _ = s.reg.SetState(c.Request().Context(), core.TypeVolume, res.ID, string(v.Status))
	}
	return one(c, http.StatusOK, core.TypeVolume, viewVolume(v))
}

// volumeAttachRequest is the body of POST /volumes/{id}/attach (B.4.1.4).
type volumeAttachRequest struct {
	ServerID   string `json:"server_id"`
	ServerName string `json:"server_name"`
	Mode       string `json:"mode"`
	Mountpoint string `json:"mountpoint"`
}

func (s *Server) attachVolume(c echo.Context) error {
	var req volumeAttachRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	in := core.VolumeAttach{ServerID: req.ServerID, ServerName: req.ServerName, Mode: req.Mode, Mountpoint: req.Mountpoint}
	if err := in.Validate(); err != nil {
		return err
	}
	// The volume first: an unknown volume is 404 whatever the body says.
	res, _, err := s.owned(c, core.TypeVolume, c.Param("id"))
	if err != nil {
		return err
	}
	if err := s.checkRefs(c.Param("project_id"), res.DatacenterID, ref{core.TypeServer, "server_id", in.ServerID}); err != nil {
		return err
	}
	return s.volumeChange(c, core.ClauseVolumeAttach, func(ctx context.Context, d core.Driver, id string) (core.Volume, error) {
		return d.AttachVolume(ctx, id, in)
	})
}

// volumeDetachRequest is the body of POST /volumes/{id}/detach (B.4.1.5).
type volumeDetachRequest struct {
	ServerID string `json:"server_id"`
}

func (s *Server) detachVolume(c echo.Context) error {
	var req volumeDetachRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := core.ValidateID("server_id", req.ServerID); err != nil {
		return err
	}
	res, _, err := s.owned(c, core.TypeVolume, c.Param("id"))
	if err != nil {
		return err
	}
	if err := s.checkRefs(c.Param("project_id"), res.DatacenterID, ref{core.TypeServer, "server_id", req.ServerID}); err != nil {
		return err
	}
	return s.volumeChange(c, core.ClauseVolumeDetach, func(ctx context.Context, d core.Driver, id string) (core.Volume, error) {
		return d.DetachVolume(ctx, id, req.ServerID)
	})
}

// volumeExtendRequest is the body of POST /volumes/{id}/extend (B.4.1.6).
type volumeExtendRequest struct {
	SizeGB int64 `json:"size_gb"`
}

// extendVolume grows a volume. The adapter checks "strictly larger" itself
// against the current size, so every driver refuses a shrink with 400
// before the cloud sees it. The grow takes time: 202, poll GET until the
// volume leaves extending.
func (s *Server) extendVolume(c echo.Context) error {
	var req volumeExtendRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := core.ValidateSizeGB("size_gb", req.SizeGB); err != nil {
		return err
	}
	res, b, err := s.owned(c, core.TypeVolume, c.Param("id"))
	if err != nil {
		return err
	}
	var v core.Volume
	err = b.call(c.Request().Context(), core.ClauseVolumeExtend, func(ctx context.Context) (err error) {
		cur, err := b.Cloud.GetVolume(ctx, res.CloudID)
		if err != nil {
			return err
		}
		if err := core.ValidateExtend(cur.SizeGB, req.SizeGB); err != nil {
			return err
		}
		v, err = b.Cloud.ExtendVolume(ctx, res.CloudID, req.SizeGB)
		return err
	})
	if err != nil {
		return s.gone(c.Request().Context(), core.TypeVolume, res.ID, err)
	}
	if string(v.Status) != res.State {
		_, _ = s.reg.SetState(c.Request().Context(), core.TypeVolume, res.ID, string(v.Status))
	}
	return accepted(c)
}
