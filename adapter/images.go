package adapter

import "github.com/labstack/echo/v4"

// imageRoutes registers the routes of this resource (being written).
func (s *Server) imageRoutes(_ *echo.Group) {}
