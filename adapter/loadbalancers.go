package adapter

import (
	"context"
	"fmt"

	"github.com/labstack/echo/v4"

	"github.com/gisiaas/gisiaas/core"
)

func (s *Server) loadBalancerRoutes(g *echo.Group) {
	g.POST("/loadbalancers", s.createLoadBalancer)
	g.GET("/loadbalancers", s.listLoadBalancers)
	g.GET("/loadbalancers/:id", s.getLoadBalancer)
	g.DELETE("/loadbalancers/:id", s.deleteLoadBalancer)
	g.PATCH("/loadbalancers/:id/members", s.patchLoadBalancerMembers)
}

// loadBalancerListenerView is a protocol and port a load balancer accepts.
type loadBalancerListenerView struct {
	ID       string `json:"id"`
	Protocol string `json:"protocol"`
	Port     int    `json:"port"`
}

// loadBalancerMemberView is a server behind a load balancer.
type loadBalancerMemberView struct {
	ServerID string `json:"server_id"`
	Name     string `json:"name"`
	Address  string `json:"address"`
	Port     int    `json:"port"`
}

// loadBalancerView is a load balancer as the API shows it (B.3.4.3).
type loadBalancerView struct {
	ID           string                     `json:"id"`
	Name         string                     `json:"name"`
	Description  string                     `json:"description"`
	SubnetID     string                     `json:"subnet_id"`
	VIPAddress   string                     `json:"vip_address"`
	Status       core.LBStatus              `json:"status"`
	NativeStatus string                     `json:"native_status,omitempty"`
	Listeners    []loadBalancerListenerView `json:"listeners"`
	Members      []loadBalancerMemberView   `json:"members"`
	DatacenterID string                     `json:"datacenter_id"`
	ProjectID    string                     `json:"project_id"`
	CreatedAt    apiTime                    `json:"created_at"`
	UpdatedAt    apiTime                    `json:"updated_at"`
}

func viewLoadBalancer(v core.LoadBalancer) loadBalancerView {
	out := loadBalancerView{ID: v.ID, Name: v.Name, Description: v.Description, SubnetID: v.SubnetID,
		VIPAddress: v.VIPAddress, Status: v.Status, NativeStatus: v.NativeStatus,
		Listeners: make([]loadBalancerListenerView, 0, len(v.Listeners)), Members: make([]loadBalancerMemberView, 0, len(v.Members)),
		DatacenterID: v.DatacenterID, ProjectID: v.ProjectID, CreatedAt: apiTime(v.CreatedAt), UpdatedAt: apiTime(v.UpdatedAt)}
	for _, l := range v.Listeners {
		out.Listeners = append(out.Listeners, loadBalancerListenerView{ID: l.ID, Protocol: l.Protocol, Port: l.Port})
	}
	for _, m := range v.Members {
		out.Members = append(out.Members, loadBalancerMemberView{ServerID: m.ServerID, Name: m.Name, Address: m.Address, Port: m.Port})
	}
	return out
}

// loadBalancerCreateRequest is the body of POST /loadbalancers.
type loadBalancerCreateRequest struct {
	LoadBalancer struct {
		Name        string `json:"name"`
		Description string `json:"description"`
		SubnetID    string `json:"subnet_id"`
		Listeners   []struct {
			Protocol string `json:"protocol"`
			Port     int    `json:"port"`
		} `json:"listeners"`
		DatacenterID string `json:"datacenter_id"`
	} `json:"loadbalancer"`
}

func (s *Server) createLoadBalancer(c echo.Context) error {
	var req loadBalancerCreateRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	r := req.LoadBalancer
	in := core.LoadBalancerCreate{Name: r.Name, Description: r.Description, SubnetID: r.SubnetID}
	for _, l := range r.Listeners {
		in.Listeners = append(in.Listeners, core.Listener{Protocol: l.Protocol, Port: l.Port})
	}
	if err := in.Validate(); err != nil {
		return err
	}
	if in.SubnetID != "" {
		if err := core.ValidateID("subnet_id", in.SubnetID); err != nil {
			return err
		}
	}
	b, err := s.createDatacenter(r.DatacenterID)
	if err != nil {
		return err
	}
	return s.create(c, core.TypeLoadBalancer, core.ClauseLBCreate, b, req, func(ctx context.Context, meta core.CreateMeta) (created, error) {
		in.CreateMeta = meta
		v, err := b.Cloud.CreateLoadBalancer(ctx, in)
		return created{ID: v.ID, State: string(v.Status), Body: viewLoadBalancer(v)}, err
	})
}

func (s *Server) listLoadBalancers(c echo.Context) error {
	return listProject(c, s, core.TypeLoadBalancer, core.ClauseLBList, core.Driver.ListLoadBalancers,
		func(v core.LoadBalancer) listed { return listed{v.ProjectID, v.ID, string(v.Status), v.CreatedAt} }, viewLoadBalancer)
}

func (s *Server) getLoadBalancer(c echo.Context) error {
	return showOwned(c, s, core.TypeLoadBalancer, core.ClauseLBShow, func(ctx context.Context, d core.Driver, id string) (core.LoadBalancer, error) {
		return d.GetLoadBalancer(ctx, id)
	}, func(v core.LoadBalancer) string { return string(v.Status) }, viewLoadBalancer)
}

// deleteLoadBalancer deletes a load balancer with its listeners and members
// (B.3.4.2): 204, and GET answers PENDING_DELETE until it is gone.
func (s *Server) deleteLoadBalancer(c echo.Context) error {
	return deleteOwned(c, s, core.TypeLoadBalancer, core.ClauseLBDelete, func(ctx context.Context, d core.Driver, id string) error {
		return d.DeleteLoadBalancer(ctx, id)
	})
}

// loadBalancerMembersRequest is the body of PATCH /loadbalancers/{id}/members:
// members to add (B.3.4.5) or to remove (B.3.4.6), one list or the other.
type loadBalancerMembersRequest struct {
	Add    []core.MemberAdd    `json:"add"`
	Remove []core.MemberRemove `json:"remove"`
}

// validate checks the whole request before any member is changed, so a
// mistake in the third member does not leave the first two applied.
func (r loadBalancerMembersRequest) validate() error {
	if (len(r.Add) == 0) == (len(r.Remove) == 0) {
		return core.Errorf(core.InvalidArgument, "add: or remove: give exactly one, not empty")
	}
	seen := map[string]bool{}
	for i, m := range r.Add {
		f := fmt.Sprintf("add[%d]", i)
		if err := core.ValidateID(f+".server_id", m.ServerID); err != nil {
			return err
		}
		if m.Port != 0 {
			if err := core.ValidatePort(f+".port", m.Port); err != nil {
				return err
			}
		}
		if seen[m.ServerID] {
			return core.Errorf(core.InvalidArgument, "%s.server_id: server %s is named twice", f, m.ServerID)
		}
		seen[m.ServerID] = true
	}
	for i, m := range r.Remove {
		if err := m.Validate(); err != nil {
			return core.Errorf(core.InvalidArgument, "remove[%d].%s", i, core.MessageOf(err))
		}
		if m.ServerID != "" {
			if err := core.ValidateID(fmt.Sprintf("remove[%d].server_id", i), m.ServerID); err != nil {
				return err
			}
		}
	}
	return nil
}

// patchLoadBalancerMembers adds or removes members, in the order given.
// Each change takes the load balancer through PENDING_UPDATE, so the
// answer is 202: poll GET until it is ACTIVE again.
func (s *Server) patchLoadBalancerMembers(c echo.Context) error {
	var req loadBalancerMembersRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	res, b, err := s.owned(c, core.TypeLoadBalancer, c.Param("id"))
	if err != nil {
		return err
	}
	var refs []ref
	for i, m := range req.Add {
		refs = append(refs, ref{core.TypeServer, fmt.Sprintf("add[%d].server_id", i), m.ServerID})
	}
	for i, m := range req.Remove {
		refs = append(refs, ref{core.TypeServer, fmt.Sprintf("remove[%d].server_id", i), m.ServerID})
	}
	if err := s.checkRefs(res.ProjectID, b.ID, refs...); err != nil {
		return err
	}
	type change struct {
		field  string
		clause core.Clause
		fn     func(ctx context.Context) (core.LoadBalancer, error)
	}
	var changes []change
	for i, m := range req.Add {
		changes = append(changes, change{fmt.Sprintf("add[%d]", i), core.ClauseLBAddMember, func(ctx context.Context) (core.LoadBalancer, error) {
			return b.Cloud.AddMember(ctx, res.CloudID, m)
		}})
	}
	for i, m := range req.Remove {
		changes = append(changes, change{fmt.Sprintf("remove[%d]", i), core.ClauseLBRemoveMember, func(ctx context.Context) (core.LoadBalancer, error) {
			return b.Cloud.RemoveMember(ctx, res.CloudID, m)
		}})
	}
	for i, ch := range changes {
		var v core.LoadBalancer
		err := b.call(c.Request().Context(), ch.clause, func(ctx context.Context) (err error) {
			v, err = ch.fn(ctx)
			return err
		})
		if err != nil && i == 0 {
			// Not s.gone: a NotFound here may be the server the body names.
			return err
		}
		if err != nil {
			// Say what already happened, so the client retries only the rest.
			return core.Errorf(core.KindOf(err), "%s: %s (the members before it were changed)", ch.field, core.MessageOf(err))
		}
		_, _ = s.reg.SetState(c.Request().Context(), core.TypeLoadBalancer, res.ID, string(v.Status))
	}
	return accepted(c)
}
