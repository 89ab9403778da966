package adapter

import (
	"github.com/labstack/echo/v4"

	"github.com/gisiaas/gisiaas/core"
)

// streamEvents is GET /v1/{project_id}/events (Server-Sent Events).
// Placeholder until the event bus lands: refused as unsupported.
func (s *Server) streamEvents(c echo.Context) error {
	return core.Errorf(core.Unsupported, "the event stream is not served yet")
}
