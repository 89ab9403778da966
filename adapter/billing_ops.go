package adapter

import (
	"bytes"
	"net/http"

	"github.com/labstack/echo/v4"
)

// billingOpsRoutes are the operator's: verify the ledger against the event
// log, and back up, reset and restore billing (BL.16). Cloud admin only.
func (s *Server) billingOpsRoutes(g *echo.Group) {
	g.GET("/bills/rebuild", s.rebuildBill)
	g.POST("/backup", s.backupBilling)
	g.POST("/reset", s.resetBilling)
	g.POST("/restore", s.restoreBilling)
}

// rebuildBill re-derives a bill from the event log and the price history
// and sets it beside the posted one (`gisiaas billing rebuild`).
func (s *Server) rebuildBill(c echo.Context) error {
	if err := requireCloudAdmin(c, "rebuilding bills"); err != nil {
		return err
	}
	q, loc, err := s.billQuery(c)
	if err != nil {
		return err
	}
	rep, err := s.billing.RebuildAndCompare(c.Request().Context(), q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"rebuild": map[string]any{
		"equal": rep.Equal, "differences": rep.Differences,
		"posted": viewBill(rep.Posted, loc), "rebuilt": viewBill(rep.Rebuilt, loc)}})
}

// backupBilling answers all billing data as one JSON document, recorded so
// a reset can require it.
func (s *Server) backupBilling(c echo.Context) error {
	if err := requireCloudAdmin(c, "backing up billing"); err != nil {
		return err
	}
	var buf bytes.Buffer
	info, err := s.billing.Backup(c.Request().Context(), &buf, callerOf(c).User.ID)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("X-Backup-Id", info.ID)
	h.Set("X-Backup-Sha256", info.SHA256)
	h.Set("Content-Disposition", `attachment; filename="gisiaas-billing-`+info.ID+`.json"`)
	h.Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "application/json", buf.Bytes())
}

type resetRequest struct {
	BackupID string `json:"backup_id"`
}

// resetBilling deletes all billing data, given a backup that holds it.
func (s *Server) resetBilling(c echo.Context) error {
	if err := requireCloudAdmin(c, "resetting billing"); err != nil {
		return err
	}
	var req resetRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := s.billing.Reset(c.Request().Context(), req.BackupID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// restoreBilling loads a backup into an empty billing; the body is the
// backup document, streamed.
func (s *Server) restoreBilling(c echo.Context) error {
	if err := requireCloudAdmin(c, "restoring billing"); err != nil {
		return err
	}
	info, err := s.billing.Restore(c.Request().Context(), c.Request().Body)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"backup": map[string]any{"id": info.ID, "taken_at": apiTime(info.TakenAt)}})
}
