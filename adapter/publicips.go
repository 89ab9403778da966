package adapter

import "github.com/labstack/echo/v4"

// publicIPRoutes registers the routes of this resource (being written).
func (s *Server) publicIPRoutes(_ *echo.Group) {}
