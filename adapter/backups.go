package adapter

import "github.com/labstack/echo/v4"

// backupRoutes registers the routes of this resource (being written).
func (s *Server) backupRoutes(_ *echo.Group) {}
