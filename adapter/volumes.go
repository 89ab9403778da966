package adapter

import "github.com/labstack/echo/v4"

// volumeRoutes registers the routes of this resource (being written).
func (s *Server) volumeRoutes(_ *echo.Group) {}
