package adapter

import "github.com/labstack/echo/v4"

// loadBalancerRoutes registers the routes of this resource (being written).
func (s *Server) loadBalancerRoutes(_ *echo.Group) {}
