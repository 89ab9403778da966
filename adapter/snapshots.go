package adapter

import "github.com/labstack/echo/v4"

// snapshotRoutes registers the routes of this resource (being written).
func (s *Server) snapshotRoutes(_ *echo.Group) {}
