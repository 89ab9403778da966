package adapter

import "github.com/labstack/echo/v4"

// floatingIPRoutes registers the routes of this resource (being written).
func (s *Server) floatingIPRoutes(_ *echo.Group) {}
