package adapter

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gisiaas/gisiaas/core"
)

func (s *Server) publicIPRoutes(g *echo.Group) {
	g.POST("/publicips", s.createPublicIP)
	g.GET("/publicips", s.listPublicIPs)
	g.GET("/publicips/:id", s.getPublicIP)
	g.DELETE("/publicips/:id", s.deletePublicIP)
	g.POST("/publicips/:id/bind", s.bindPublicIP)
	g.POST("/publicips/:id/unbind", s.unbindPublicIP)
}

// publicIPView is a public IP as the API shows it (B.3.3.1, B.3.3.4); what
// it is bound to is null while it is bound to nothing (DOWN).
type publicIPView struct {
	ID           string         `json:"id"`
	Name         string         `json:"name"`
	Address      string         `json:"address"`
	Status       core.NetStatus `json:"status"`
	ServerID     *string        `json:"server_id"`
	PrivateIP    *string        `json:"private_ip"`
	DatacenterID string         `json:"datacenter_id"`
	ProjectID    string         `json:"project_id"`
	CreatedAt    apiTime        `json:"created_at"`
	UpdatedAt    apiTime        `json:"updated_at"`
}

func viewPublicIP(v core.PublicIP) publicIPView {
	return publicIPView{ID: v.ID, Name: v.Name, Address: v.Address, Status: v.Status, ServerID: emptyNull(v.ServerID),
		PrivateIP: emptyNull(v.PrivateIP), DatacenterID: v.DatacenterID, ProjectID: v.ProjectID,
		CreatedAt: apiTime(v.CreatedAt), UpdatedAt: apiTime(v.UpdatedAt)}
}

// publicIPCreateRequest is the body of POST /publicips.
type publicIPCreateRequest struct {
	PublicIP struct {
		Name         string `json:"name"`
		DatacenterID string `json:"datacenter_id"`
	} `json:"publicip"`
}

func (s *Server) createPublicIP(c echo.Context) error {
	var req publicIPCreateRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	in := core.PublicIPCreate{Name: req.PublicIP.Name}
	if err := in.Validate(); err != nil {
		return err
	}
	b, err := s.createDatacenter(req.PublicIP.DatacenterID)
	if err != nil {
		return err
	}
	return s.create(c, core.TypePublicIP, core.ClausePublicIPCreate, b, req, func(ctx context.Context, meta core.CreateMeta) (created, error) {
		in.CreateMeta = meta
		v, err := b.Cloud.CreatePublicIP(ctx, in)
		return created{ID: v.ID, State: string(v.Status), Body: viewPublicIP(v)}, err
	})
}

// listPublicIPs lists the project's public IPs; B.3.3.4 (show) is the
// clause a driver declares for both.
func (s *Server) listPublicIPs(c echo.Context) error {
	return listProject(c, s, core.TypePublicIP, core.ClausePublicIPShow, core.Driver.ListPublicIPs,
		func(v core.PublicIP) listed { return listed{v.ProjectID, v.ID, string(v.Status), v.CreatedAt} }, viewPublicIP)
}

func (s *Server) getPublicIP(c echo.Context) error {
	return showOwned(c, s, core.TypePublicIP, core.ClausePublicIPShow, func(ctx context.Context, d core.Driver, id string) (core.PublicIP, error) {
		return d.GetPublicIP(ctx, id)
	}, func(v core.PublicIP) string { return string(v.Status) }, viewPublicIP)
}

func (s *Server) deletePublicIP(c echo.Context) error {
	return deleteOwned(c, s, core.TypePublicIP, core.ClausePublicIPDelete, func(ctx context.Context, d core.Driver, id string) error {
		return d.DeletePublicIP(ctx, id)
	})
}

// bindPublicIP binds a public IP to a server or a private IP, exactly one
// (B.3.3.2). Binding is synchronous on the clouds we drive (a NAT rule):
// 200 with the public IP, now ACTIVE.
func (s *Server) bindPublicIP(c echo.Context) error {
	var to core.PublicIPBinding
	if err := decodeJSON(c, &to); err != nil {
		return err
	}
	if err := to.Validate(); err != nil {
		return err
	}
	if to.ServerID != "" {
		if err := core.ValidateID("server_id", to.ServerID); err != nil {
			return err
		}
	}
	return s.publicIPBinding(c, core.ClausePublicIPBind, to, func(ctx context.Context, d core.Driver, id string) (core.PublicIP, error) {
		return d.BindPublicIP(ctx, id, to)
	})
}

// unbindPublicIP unbinds a public IP (B.3.3.3). The body may name what it
// is bound to, as a check; without one it is unbound from whatever that is.
func (s *Server) unbindPublicIP(c echo.Context) error {
	var from core.PublicIPBinding
	if c.Request().ContentLength != 0 {
		if err := decodeJSON(c, &from); err != nil {
			return err
		}
		if err := from.Validate(); err != nil {
			return err
		}
	}
	return s.publicIPBinding(c, core.ClausePublicIPUnbind, from, func(ctx context.Context, d core.Driver, id string) (core.PublicIP, error) {
		if from == (core.PublicIPBinding{}) {
			cur, err := d.GetPublicIP(ctx, id)
			if err != nil {
				return cur, err
			}
			if cur.ServerID == "" && cur.PrivateIP == "" {
				return cur, core.Errorf(core.Conflict, "public IP %s is %s, bound to nothing", id, cur.Status)
			}
			// The private IP names the binding on every cloud, the server
			// only where one is known.
			from.PrivateIP = cur.PrivateIP
			if from.PrivateIP == "" {
				from.ServerID = cur.ServerID
			}
		}
		return d.UnbindPublicIP(ctx, id, from)
	})
}

// publicIPBinding runs a bind or an unbind on an owned public IP, after
// checking that the server named is the project's and in its datacenter.
func (s *Server) publicIPBinding(c echo.Context, clause core.Clause, b core.PublicIPBinding,
	fn func(ctx context.Context, d core.Driver, id string) (core.PublicIP, error)) error {
	res, be, err := s.owned(c, core.TypePublicIP, c.Param("id"))
	if err != nil {
		return err
	}
	if err := s.checkRefs(res.ProjectID, be.ID, ref{core.TypeServer, "server_id", b.ServerID}); err != nil {
		return err
	}
	var v core.PublicIP
	err = be.call(c.Request().Context(), clause, func(ctx context.Context) (err error) {
		v, err = fn(ctx, be.Cloud, res.CloudID)
		return err
	})
	if err != nil {
		// Not s.gone: a NotFound here may be the server the body names.
		return err
	}
	_, _ = s.reg.SetState(c.Request().Context(), core.TypePublicIP, res.ID, string(v.Status))
	return one(c, http.StatusOK, core.TypePublicIP, viewPublicIP(v))
}
