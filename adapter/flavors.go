package adapter

import "github.com/labstack/echo/v4"

// flavorRoutes registers the routes of this resource (being written).
func (s *Server) flavorRoutes(_ *echo.Group) {}
