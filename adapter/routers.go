package adapter

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gisiaas/gisiaas/core"
)

// routerRoutes serves X.3. The gateway is set at creation (core.Routers
// has no call to change it); subnets are connected and disconnected by
// the add-interface and remove-interface actions.
func (s *Server) routerRoutes(g *echo.Group) {
	g.POST("/routers", s.createRouter)
	g.GET("/routers", s.listRouters)
	g.GET("/routers/:id", s.getRouter)
	g.DELETE("/routers/:id", s.deleteRouter)
	g.POST("/routers/:id/add-interface", s.routerInterface(func(ctx context.Context, d core.Driver, id, subnet string) (core.Router, error) {
		return d.AddRouterInterface(ctx, id, subnet)
	}))
	g.POST("/routers/:id/remove-interface", s.routerInterface(func(ctx context.Context, d core.Driver, id, subnet string) (core.Router, error) {
		return d.RemoveRouterInterface(ctx, id, subnet)
	}))
}

// routerInterfaceView is a router's port on a subnet.
type routerInterfaceView struct {
	SubnetID  string `json:"subnet_id"`
	PortID    string `json:"port_id"`
	IPAddress string `json:"ip_address"`
}

// routerView is a router as the API shows it (X.3).
type routerView struct {
	ID                string                `json:"id"`
	Name              string                `json:"name"`
	ExternalNetworkID string                `json:"external_network_id,omitempty"`
	Status            core.NetStatus        `json:"status"`
	NativeStatus      string                `json:"native_status,omitempty"`
	Interfaces        []routerInterfaceView `json:"interfaces"`
	DatacenterID      string                `json:"datacenter_id"`
	ProjectID         string                `json:"project_id"`
	CreatedAt         apiTime               `json:"created_at"`
	UpdatedAt         apiTime               `json:"updated_at"`
}

func viewRouter(v core.Router) routerView {
	out := routerView{ID: v.ID, Name: v.Name, ExternalNetworkID: v.ExternalNetworkID, Status: v.Status,
		NativeStatus: v.NativeStatus, Interfaces: make([]routerInterfaceView, 0, len(v.Interfaces)),
		DatacenterID: v.DatacenterID, ProjectID: v.ProjectID, CreatedAt: apiTime(v.CreatedAt), UpdatedAt: apiTime(v.UpdatedAt)}
	for _, i := range v.Interfaces {
		out.Interfaces = append(out.Interfaces, routerInterfaceView{SubnetID: i.SubnetID, PortID: i.PortID, IPAddress: i.IPAddress})
	}
	return out
}

// routerCreateRequest is the body of POST /routers.
type routerCreateRequest struct {
	Router struct {
		Name              string `json:"name"`
		ExternalNetworkID string `json:"external_network_id"`
		DatacenterID      string `json:"datacenter_id"`
	} `json:"router"`
}

func (s *Server) createRouter(c echo.Context) error {
	var req routerCreateRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	r := req.Router
	in := core.RouterCreate{Name: r.Name, ExternalNetworkID: r.ExternalNetworkID}
	if err := in.Validate(); err != nil {
		return err
	}
	if r.ExternalNetworkID != "" {
		if err := core.ValidateID("external_network_id", r.ExternalNetworkID); err != nil {
			return err
		}
	}
	// External networks are shared objects the registry does not hold: the
	// driver answers for the gateway's network.
	b, err := s.createDatacenter(r.DatacenterID)
	if err != nil {
		return err
	}
	return s.create(c, core.TypeRouter, core.ClauseRouters, b, req, func(ctx context.Context, meta core.CreateMeta) (created, error) {
		in.CreateMeta = meta
		v, err := b.Cloud.CreateRouter(ctx, in)
		return created{ID: v.ID, State: string(v.Status), Body: viewRouter(v)}, err
	})
}

func (s *Server) listRouters(c echo.Context) error {
	return listProject(c, s, core.TypeRouter, core.ClauseRouters, core.Driver.ListRouters,
		func(v core.Router) listed { return listed{v.ProjectID, v.ID, string(v.Status), v.CreatedAt} }, viewRouter)
}

func (s *Server) getRouter(c echo.Context) error {
	return showOwned(c, s, core.TypeRouter, core.ClauseRouters, func(ctx context.Context, d core.Driver, id string) (core.Router, error) {
		return d.GetRouter(ctx, id)
	}, func(v core.Router) string { return string(v.Status) }, viewRouter)
}

func (s *Server) deleteRouter(c echo.Context) error {
	return deleteOwned(c, s, core.TypeRouter, core.ClauseRouters, func(ctx context.Context, d core.Driver, id string) error {
		return d.DeleteRouter(ctx, id)
	})
}

// routerInterfaceRequest is the body of add-interface and remove-interface.
type routerInterfaceRequest struct {
	SubnetID string `json:"subnet_id"`
}

// routerInterface runs an interface change on an owned router. It is
// synchronous (a port is made or freed), so the answer is 200 with the
// router. Subnets are not in the registry: the driver answers for them.
func (s *Server) routerInterface(fn func(ctx context.Context, d core.Driver, id, subnet string) (core.Router, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req routerInterfaceRequest
		if err := decodeJSON(c, &req); err != nil {
			return err
		}
		if err := core.ValidateID("subnet_id", req.SubnetID); err != nil {
			return err
		}
		res, b, err := s.owned(c, core.TypeRouter, c.Param("id"))
		if err != nil {
			return err
		}
		var v core.Router
		err = b.call(c.Request().Context(), core.ClauseRouters, func(ctx context.Context) (err error) {
			v, err = fn(ctx, b.Cloud, res.CloudID, req.SubnetID)
			return err
		})
		if err != nil {
			return s.gone(c.Request().Context(), core.TypeRouter, res.ID, err)
		}
		return one(c, http.StatusOK, core.TypeRouter, viewRouter(v))
	}
}
