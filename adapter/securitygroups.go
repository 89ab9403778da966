package adapter

import "github.com/labstack/echo/v4"

// securityGroupRoutes registers the routes of this resource (being written).
func (s *Server) securityGroupRoutes(_ *echo.Group) {}
