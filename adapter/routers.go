package adapter

import "github.com/labstack/echo/v4"

// routerRoutes registers the routes of this resource (being written).
func (s *Server) routerRoutes(_ *echo.Group) {}
