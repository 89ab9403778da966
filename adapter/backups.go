package adapter

import (
	"context"

	"github.com/labstack/echo/v4"

	"github.com/gisiaas/gisiaas/core"
)

// backupRoutes serves X.2. core.Backups has no restore: a backup is made,
// shown, listed and deleted.
func (s *Server) backupRoutes(g *echo.Group) {
	g.POST("/backups", s.createBackup)
	g.GET("/backups", s.listBackups)
	g.GET("/backups/:id", s.getBackup)
	g.DELETE("/backups/:id", s.deleteBackup)
}

// backupView is a volume backup as the API shows it (X.2).
type backupView struct {
	ID           string              `json:"id"`
	Name         string              `json:"name"`
	Description  string              `json:"description"`
	VolumeID     string              `json:"volume_id"`
	Kind         core.BackupKind     `json:"kind"`
	ParentID     string              `json:"parent_id,omitempty"`
	SizeGB       int64               `json:"size_gb"`
	Status       core.SnapshotStatus `json:"status"`
	NativeStatus string              `json:"native_status,omitempty"`
	DatacenterID string              `json:"datacenter_id"`
	ProjectID    string              `json:"project_id"`
	CreatedAt    apiTime             `json:"created_at"`
	UpdatedAt    apiTime             `json:"updated_at"`
}

func viewBackup(v core.Backup) backupView {
	return backupView{ID: v.ID, Name: v.Name, Description: v.Description, VolumeID: v.VolumeID, Kind: v.Kind,
		ParentID: v.ParentID, SizeGB: v.SizeGB, Status: v.Status, NativeStatus: v.NativeStatus,
		DatacenterID: v.DatacenterID, ProjectID: v.ProjectID, CreatedAt: apiTime(v.CreatedAt), UpdatedAt: apiTime(v.UpdatedAt)}
}

// backupCreateRequest is the body of POST /backups. It names no
// datacenter: a backup is made where its volume is.
type backupCreateRequest struct {
	Backup struct {
		VolumeID    string          `json:"volume_id"`
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Kind        core.BackupKind `json:"kind"`
	} `json:"backup"`
}

func (s *Server) createBackup(c echo.Context) error {
	var req backupCreateRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	r := req.Backup
	in := core.BackupCreate{VolumeID: r.VolumeID, Name: r.Name, Description: r.Description, Kind: r.Kind}
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
	return s.create(c, core.TypeBackup, core.ClauseVolumeBackups, b, req, func(ctx context.Context, meta core.CreateMeta) (created, error) {
		in.CreateMeta = meta
		v, err := b.Cloud.CreateBackup(ctx, in)
		return created{ID: v.ID, State: string(v.Status), Body: viewBackup(v)}, err
	})
}

func (s *Server) listBackups(c echo.Context) error {
	return listProject(c, s, core.TypeBackup, core.ClauseVolumeBackups, core.Driver.ListBackups,
		func(v core.Backup) listed { return listed{v.ProjectID, v.ID, string(v.Status), v.CreatedAt} }, viewBackup)
}

func (s *Server) getBackup(c echo.Context) error {
	return showOwned(c, s, core.TypeBackup, core.ClauseVolumeBackups, func(ctx context.Context, d core.Driver, id string) (core.Backup, error) {
		return d.GetBackup(ctx, id)
	}, func(v core.Backup) string { return string(v.Status) }, viewBackup)
}

func (s *Server) deleteBackup(c echo.Context) error {
	return deleteOwned(c, s, core.TypeBackup, core.ClauseVolumeBackups, func(ctx context.Context, d core.Driver, id string) error {
		return d.DeleteBackup(ctx, id)
	})
}
