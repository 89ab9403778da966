package adapter

import "github.com/labstack/echo/v4"

// networkRoutes registers the routes of this resource (being written).
func (s *Server) networkRoutes(_ *echo.Group) {}
