package adapter

import (
	"context"

	"github.com/labstack/echo/v4"

	"github.com/gisiaas/gisiaas/core"
)

func (s *Server) snapshotRoutes(g *echo.Group) {
	g.POST("/volume-snapshots", s.createSnapshot)
	g.GET("/volume-snapshots", s.listSnapshots)
	g.GET("/volume-snapshots/:id", s.getSnapshot)
	g.DELETE("/volume-snapshots/:id", s.deleteSnapshot)
}

// snapshotView is a volume snapshot as the API shows it (X.1).
type snapshotView struct {
	ID           string              `json:"id"`
	Name         string              `json:"name"`
	Description  string              `json:"description"`
	VolumeID     string              `json:"volume_id"`
	SizeGB       int64               `json:"size_gb"`
	Status       core.SnapshotStatus `json:"status"`
	NativeStatus string              `json:"native_status,omitempty"`
	DatacenterID string              `json:"datacenter_id"`
	ProjectID    string              `json:"project_id"`
	CreatedAt    apiTime             `json:"created_at"`
	UpdatedAt    apiTime             `json:"updated_at"`
}

func viewSnapshot(v core.VolumeSnapshot) snapshotView {
	return snapshotView{ID: v.ID, Name: v.Name, Description: v.Description, VolumeID: v.VolumeID, SizeGB: v.SizeGB,
		Status: v.Status, NativeStatus: v.NativeStatus, DatacenterID: v.DatacenterID, ProjectID: v.ProjectID,
		CreatedAt: apiTime(v.CreatedAt), UpdatedAt: apiTime(v.UpdatedAt)}
}

// snapshotCreateRequest is the body of POST /volume-snapshots. It names no
// datacenter: a snapshot lives beside its volume.
type snapshotCreateRequest struct {
	Snapshot struct {
		VolumeID    string `json:"volume_id"`
		Name        string `json:"name"`
		Description string `json:"description"`
		Force       bool   `json:"force"`
	} `json:"snapshot"`
}

func (s *Server) createSnapshot(c echo.Context) error {
	var req snapshotCreateRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	r := req.Snapshot
	in := core.VolumeSnapshotCreate{VolumeID: r.VolumeID, Name: r.Name, Description: r.Description, Force: r.Force}
	if err := in.Validate(); err != nil {
		return err
	}
	b, err := s.sourceBackend("", core.TypeVolume, r.VolumeID)
	if err != nil {
		return err
	}
	if err := s.checkRefs(c.Param("project_id"), b.ID, ref{core.TypeVolume, "volume_id", r.VolumeID}); err != nil {
		return err
	}
	return s.create(c, core.TypeVolumeSnapshot, core.ClauseVolumeSnapshots, b, req, func(ctx context.Context, meta core.CreateMeta) (created, error) {
		in.CreateMeta = meta
		v, err := b.Cloud.CreateVolumeSnapshot(ctx, in)
		return created{ID: v.ID, State: string(v.Status), Body: viewSnapshot(v)}, err
	})
}

func (s *Server) listSnapshots(c echo.Context) error {
	return listProject(c, s, core.TypeVolumeSnapshot, core.ClauseVolumeSnapshots, core.Driver.ListVolumeSnapshots,
		func(v core.VolumeSnapshot) listed { return listed{v.ProjectID, v.ID, string(v.Status), v.CreatedAt} }, viewSnapshot)
}

func (s *Server) getSnapshot(c echo.Context) error {
	return showOwned(c, s, core.TypeVolumeSnapshot, core.ClauseVolumeSnapshots, func(ctx context.Context, d core.Driver, id string) (core.VolumeSnapshot, error) {
		return d.GetVolumeSnapshot(ctx, id)
	}, func(v core.VolumeSnapshot) string { return string(v.Status) }, viewSnapshot)
}

func (s *Server) deleteSnapshot(c echo.Context) error {
	return deleteOwned(c, s, core.TypeVolumeSnapshot, core.ClauseVolumeSnapshots, func(ctx context.Context, d core.Driver, id string) error {
		return d.DeleteVolumeSnapshot(ctx, id)
	})
}
