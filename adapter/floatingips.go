package adapter

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gisiaas/gisiaas/core"
)

func (s *Server) floatingIPRoutes(g *echo.Group) {
	g.POST("/floatingips", s.createFloatingIP)
	g.GET("/floatingips", s.listFloatingIPs)
	g.GET("/floatingips/:id", s.getFloatingIP)
	g.PUT("/floatingips/:id", s.updateFloatingIP)
	g.DELETE("/floatingips/:id", s.deleteFloatingIP)
}

// floatingIPPortView is the port a floating IP maps to (B.3.2.1's port details).
type floatingIPPortView struct {
	Status     core.NetStatus `json:"status"`
	Name       string         `json:"name"`
	NetworkID  string         `json:"network_id"`
	DeviceID   string         `json:"device_id"`
	MACAddress string         `json:"mac_address"`
}

// floatingIPView is a floating IP as the API shows it (B.3.2.1, B.3.2.4).
// The port fields are null while it maps to nothing, as in Neutron.
type floatingIPView struct {
	ID                string              `json:"id"`
	FloatingNetworkID string              `json:"floating_network_id"`
	FloatingIP        string              `json:"floating_ip_address"`
	SubnetID          *string             `json:"subnet_id"`
	PortID            *string             `json:"port_id"`
	FixedIP           *string             `json:"fixed_ip_address"`
	PortDetails       *floatingIPPortView `json:"port_details"`
	ServerID          *string             `json:"server_id"`
	Status            core.NetStatus      `json:"status"`
	NativeStatus      string              `json:"native_status,omitempty"`
	DatacenterID      string              `json:"datacenter_id"`
	ProjectID         string              `json:"project_id"`
	CreatedAt         apiTime             `json:"created_at"`
	UpdatedAt         apiTime             `json:"updated_at"`
}

// viewFloatingIP renders v; the server it reaches is the port's device when
// the registry knows that device as a server (a load balancer's VIP port
// reaches none).
func (s *Server) viewFloatingIP(v core.FloatingIP) floatingIPView {
	out := floatingIPView{ID: v.ID, FloatingNetworkID: v.FloatingNetworkID, FloatingIP: v.FloatingIP,
		SubnetID: emptyNull(v.SubnetID), PortID: emptyNull(v.PortID), FixedIP: emptyNull(v.FixedIP),
		Status: v.Status, NativeStatus: v.NativeStatus, DatacenterID: v.DatacenterID, ProjectID: v.ProjectID,
		CreatedAt: apiTime(v.CreatedAt), UpdatedAt: apiTime(v.UpdatedAt)}
	if p := v.PortDetails; p != nil && v.PortID != "" {
		out.PortDetails = &floatingIPPortView{Status: p.Status, Name: p.Name, NetworkID: p.NetworkID,
			DeviceID: p.DeviceID, MACAddress: p.MACAddress}
		if _, ok := s.reg.Get(core.TypeServer, p.DeviceID); ok {
			out.ServerID = emptyNull(p.DeviceID)
		}
	}
	return out
}

// floatingIPCreateRequest is the body of POST /floatingips, Neutron's names.
type floatingIPCreateRequest struct {
	FloatingIP struct {
		FloatingNetworkID string `json:"floating_network_id"`
		FloatingIP        string `json:"floating_ip_address"`
		SubnetID          string `json:"subnet_id"`
		PortID            string `json:"port_id"`
		FixedIP           string `json:"fixed_ip_address"`
		DatacenterID      string `json:"datacenter_id"`
	} `json:"floatingip"`
}

func (s *Server) createFloatingIP(c echo.Context) error {
	var req floatingIPCreateRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	r := req.FloatingIP
	in := core.FloatingIPCreate{FloatingNetworkID: r.FloatingNetworkID, FloatingIP: r.FloatingIP,
		SubnetID: r.SubnetID, PortID: r.PortID, FixedIP: r.FixedIP}
	if err := in.Validate(); err != nil {
		return err
	}
	b, err := s.createDatacenter(r.DatacenterID)
	if err != nil {
		return err
	}
	if err := s.checkRefs(c.Param("project_id"), b.ID, ref{core.TypePort, "port_id", r.PortID}); err != nil {
		return err
	}
	return s.create(c, core.TypeFloatingIP, core.ClauseFloatingIPCreate, b, req, func(ctx context.Context, meta core.CreateMeta) (created, error) {
		in.CreateMeta = meta
		v, err := b.Cloud.CreateFloatingIP(ctx, in)
		return created{ID: v.ID, State: string(v.Status), Body: s.viewFloatingIP(v)}, err
	})
}

func (s *Server) listFloatingIPs(c echo.Context) error {
	return listProject(c, s, core.TypeFloatingIP, core.ClauseFloatingIPShow, core.Driver.ListFloatingIPs,
		func(v core.FloatingIP) listed { return listed{v.ProjectID, v.ID, string(v.Status), v.CreatedAt} }, s.viewFloatingIP)
}

func (s *Server) getFloatingIP(c echo.Context) error {
	return showOwned(c, s, core.TypeFloatingIP, core.ClauseFloatingIPShow, func(ctx context.Context, d core.Driver, id string) (core.FloatingIP, error) {
		return d.GetFloatingIP(ctx, id)
	}, func(v core.FloatingIP) string { return string(v.Status) }, s.viewFloatingIP)
}

// floatingIPUpdateRequest is the body of PUT /floatingips/{id}. port_id is
// kept raw to tell null (dissociate) from a missing field (a mistake).
type floatingIPUpdateRequest struct {
	FloatingIP struct {
		PortID  json.RawMessage `json:"port_id"`
		FixedIP string          `json:"fixed_ip_address"`
	} `json:"floatingip"`
}

// update turns the request into the driver's input: PortID empty
// dissociates.
func (r floatingIPUpdateRequest) update() (core.FloatingIPUpdate, error) {
	raw, out := r.FloatingIP.PortID, core.FloatingIPUpdate{FixedIP: r.FloatingIP.FixedIP}
	if raw == nil {
		return out, core.Errorf(core.InvalidArgument, "port_id: is required: a port id associates, null dissociates")
	}
	if !bytes.Equal(raw, []byte("null")) {
		if err := json.Unmarshal(raw, &out.PortID); err != nil {
			return out, core.Errorf(core.InvalidArgument, "port_id: must be a string or null")
		}
		if err := core.ValidateID("port_id", out.PortID); err != nil {
			return out, err
		}
	}
	if out.FixedIP != "" {
		if out.PortID == "" {
			return out, core.Errorf(core.InvalidArgument, "fixed_ip_address: is allowed only with port_id")
		}
		if err := core.ValidateIP("fixed_ip_address", out.FixedIP); err != nil {
			return out, err
		}
	}
	return out, nil
}

// updateFloatingIP associates a floating IP with a port, moves it, or
// dissociates it (B.3.2.3). Neutron does this synchronously: 200 with the
// floating IP as it now is.
func (s *Server) updateFloatingIP(c echo.Context) error {
	var req floatingIPUpdateRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	in, err := req.update()
	if err != nil {
		return err
	}
	res, b, err := s.owned(c, core.TypeFloatingIP, c.Param("id"))
	if err != nil {
		return err
	}
	if err := s.checkRefs(res.ProjectID, b.ID, ref{core.TypePort, "port_id", in.PortID}); err != nil {
		return err
	}
	var v core.FloatingIP
	err = b.call(c.Request().Context(), core.ClauseFloatingIPUpdate, func(ctx context.Context) (err error) {
		v, err = b.Cloud.UpdateFloatingIP(ctx, res.CloudID, in)
		return err
	})
	if err != nil {
		// Not s.gone: a NotFound here may be the port the body names.
		return err
	}
	_, _ = s.reg.SetState(c.Request().Context(), core.TypeFloatingIP, res.ID, string(v.Status))
	return one(c, http.StatusOK, core.TypeFloatingIP, s.viewFloatingIP(v))
}

func (s *Server) deleteFloatingIP(c echo.Context) error {
	return deleteOwned(c, s, core.TypeFloatingIP, core.ClauseFloatingIPDelete, func(ctx context.Context, d core.Driver, id string) error {
		return d.DeleteFloatingIP(ctx, id)
	})
}
