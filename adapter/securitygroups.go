package adapter

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gisiaas/gisiaas/core"
)

// typeSecurityGroupRule registers rules, which are no core.ResourceType
// (they have no events and no bill), so that DELETE of a rule finds its
// datacenter and its project without the client naming the group.
const typeSecurityGroupRule core.ResourceType = "security_group_rule"

func (s *Server) securityGroupRoutes(g *echo.Group) {
	g.POST("/security-groups", s.createSecurityGroup)
	g.GET("/security-groups", s.listSecurityGroups)
	g.GET("/security-groups/:id", s.getSecurityGroup)
	g.DELETE("/security-groups/:id", s.deleteSecurityGroup)
	g.POST("/security-group-rules", s.createSecurityGroupRule)
	g.DELETE("/security-group-rules/:id", s.deleteSecurityGroupRule)
}

// emptyNull is nil for "", so an absent value is shown as null, as
// Neutron shows it.
func emptyNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// securityGroupRuleView is a rule as the API shows it (B.3.5.4), with
// Neutron's nulls for "any".
type securityGroupRuleView struct {
	ID             string  `json:"id"`
	GroupID        string  `json:"security_group_id"`
	Description    string  `json:"description"`
	Direction      string  `json:"direction"`
	EtherType      string  `json:"ethertype"`
	Protocol       *string `json:"protocol"`
	PortRangeMin   *int    `json:"port_range_min"`
	PortRangeMax   *int    `json:"port_range_max"`
	RemoteIPPrefix *string `json:"remote_ip_prefix"`
	RemoteGroupID  *string `json:"remote_group_id"`
}

func viewSecurityGroupRule(r core.SecurityGroupRule) securityGroupRuleView {
	return securityGroupRuleView{ID: r.ID, GroupID: r.GroupID, Description: r.Description, Direction: r.Direction,
		EtherType: r.EtherType, Protocol: emptyNull(r.Protocol), PortRangeMin: r.PortRangeMin, PortRangeMax: r.PortRangeMax,
		RemoteIPPrefix: emptyNull(r.RemoteIPPrefix), RemoteGroupID: emptyNull(r.RemoteGroupID)}
}

// securityGroupView is a security group as the API shows it (B.3.5.1, B.3.5.3).
type securityGroupView struct {
	ID           string                  `json:"id"`
	Name         string                  `json:"name"`
	Description  string                  `json:"description"`
	Rules        []securityGroupRuleView `json:"rules"`
	DatacenterID string                  `json:"datacenter_id"`
	ProjectID    string                  `json:"project_id"`
	CreatedAt    apiTime                 `json:"created_at"`
	UpdatedAt    apiTime                 `json:"updated_at"`
}

func viewSecurityGroup(v core.SecurityGroup) securityGroupView {
	out := securityGroupView{ID: v.ID, Name: v.Name, Description: v.Description,
		Rules: make([]securityGroupRuleView, 0, len(v.Rules)), DatacenterID: v.DatacenterID, ProjectID: v.ProjectID,
		CreatedAt: apiTime(v.CreatedAt), UpdatedAt: apiTime(v.UpdatedAt)}
	for _, r := range v.Rules {
		out.Rules = append(out.Rules, viewSecurityGroupRule(r))
	}
	return out
}

// learnRules registers the rules of a group the client sees (the default
// egress rules a cloud adds, rules made outside the adapter), so that each
// can be deleted by its id.
func (s *Server) learnRules(ctx context.Context, dc string, g core.SecurityGroup) {
	for _, r := range g.Rules {
		s.learn(ctx, typeSecurityGroupRule, dc, g.ProjectID, r.ID, "")
	}
}

// securityGroupCreateRequest is the body of POST /security-groups.
type securityGroupCreateRequest struct {
	SecurityGroup struct {
		Name         string `json:"name"`
		Description  string `json:"description"`
		DatacenterID string `json:"datacenter_id"`
	} `json:"security_group"`
}

func (s *Server) createSecurityGroup(c echo.Context) error {
	var req securityGroupCreateRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	in := core.SecurityGroupCreate{Name: req.SecurityGroup.Name, Description: req.SecurityGroup.Description}
	if err := in.Validate(); err != nil {
		return err
	}
	b, err := s.createDatacenter(req.SecurityGroup.DatacenterID)
	if err != nil {
		return err
	}
	return s.create(c, core.TypeSecurityGroup, core.ClauseSecGroupCreate, b, req, func(ctx context.Context, meta core.CreateMeta) (created, error) {
		in.CreateMeta = meta
		v, err := b.Cloud.CreateSecurityGroup(ctx, in)
		if err == nil {
			s.learnRules(ctx, b.ID, v)
		}
		// A group has no lifecycle of its own: it exists, ACTIVE.
		return created{ID: v.ID, State: string(core.NetActive), Body: viewSecurityGroup(v)}, err
	})
}

// listSecurityGroups lists the project's groups: B.3.5.3 without an id.
func (s *Server) listSecurityGroups(c echo.Context) error {
	project := c.Param("project_id")
	return list(c, s, core.TypeSecurityGroup, core.ClauseSecGroupShow,
		func(ctx context.Context, b *backend) ([]core.SecurityGroup, error) {
			vs, err := b.Cloud.ListSecurityGroups(ctx, core.ListOptions{ProjectID: project, DatacenterID: b.ID})
			for _, v := range vs {
				s.learn(ctx, core.TypeSecurityGroup, b.ID, v.ProjectID, v.ID, string(core.NetActive))
				s.learnRules(ctx, b.ID, v)
			}
			return vs, err
		},
		func(v core.SecurityGroup) (time.Time, string) { return v.CreatedAt, v.ID }, viewSecurityGroup)
}

func (s *Server) getSecurityGroup(c echo.Context) error {
	res, b, err := s.owned(c, core.TypeSecurityGroup, c.Param("id"))
	if err != nil {
		return err
	}
	var v core.SecurityGroup
	err = b.call(c.Request().Context(), core.ClauseSecGroupShow, func(ctx context.Context) (err error) {
		v, err = b.Cloud.GetSecurityGroup(ctx, res.CloudID)
		return err
	})
	if err != nil {
		return s.gone(c.Request().Context(), core.TypeSecurityGroup, res.ID, err)
	}
	s.learnRules(c.Request().Context(), b.ID, v)
	return one(c, http.StatusOK, core.TypeSecurityGroup, viewSecurityGroup(v))
}

// deleteSecurityGroup deletes a group (B.3.5.2); one a server uses, or
// another group's rule names, is a 409 from the cloud.
func (s *Server) deleteSecurityGroup(c echo.Context) error {
	return deleteOwned(c, s, core.TypeSecurityGroup, core.ClauseSecGroupDelete, func(ctx context.Context, d core.Driver, id string) error {
		return d.DeleteSecurityGroup(ctx, id)
	})
}

// securityGroupRuleCreateRequest is the body of POST /security-group-rules.
type securityGroupRuleCreateRequest struct {
	Rule core.SecurityGroupRuleCreate `json:"security_group_rule"`
}

// createSecurityGroupRule adds a rule to a group (B.3.5.4). Neutron does it
// synchronously, so the answer is 201 with the rule, not an intent: a rule
// is registered under the group's datacenter and project once the cloud
// has it.
func (s *Server) createSecurityGroupRule(c echo.Context) error {
	var req securityGroupRuleCreateRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	in := req.Rule
	if err := in.Validate(); err != nil {
		return err
	}
	if in.RemoteGroupID != "" {
		if err := core.ValidateID("remote_group_id", in.RemoteGroupID); err != nil {
			return err
		}
	}
	project := c.Param("project_id")
	group, ok := s.reg.Get(core.TypeSecurityGroup, in.GroupID)
	if !ok {
		// A body field, not the path: an unknown id is a bad parameter.
		return core.Errorf(core.InvalidArgument, "security_group_id: security group %s not found", in.GroupID)
	}
	if err := s.checkRefs(project, group.DatacenterID, ref{core.TypeSecurityGroup, "security_group_id", in.GroupID},
		ref{core.TypeSecurityGroup, "remote_group_id", in.RemoteGroupID}); err != nil {
		return err
	}
	b, err := s.backendOf(group.DatacenterID)
	if err != nil {
		return err
	}
	in.GroupID = group.CloudID
	// Synchronous (201), registered like any create so that DELETE finds
	// it, and idempotent under an Idempotency-Key.
	return s.createWith(c, typeSecurityGroupRule, core.ClauseSecGroupRuleCreate, b, req, createOptions{status: http.StatusCreated},
		func(ctx context.Context, _ core.CreateMeta) (created, error) {
			r, err := b.Cloud.CreateSecurityGroupRule(ctx, in)
			r.GroupID = group.ID
			return created{ID: r.ID, Body: viewSecurityGroupRule(r)}, err
		})
}

// deleteSecurityGroupRule removes a rule from whichever group holds it (B.3.5.5).
func (s *Server) deleteSecurityGroupRule(c echo.Context) error {
	res, b, err := s.owned(c, typeSecurityGroupRule, c.Param("id"))
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	err = b.call(ctx, core.ClauseSecGroupRuleDelete, func(ctx context.Context) error {
		return b.Cloud.DeleteSecurityGroupRule(ctx, res.CloudID)
	})
	if err != nil {
		return s.gone(ctx, typeSecurityGroupRule, res.ID, err)
	}
	// Rules have no events for the reconciler to follow: forget it now.
	_ = s.reg.Delete(ctx, typeSecurityGroupRule, res.ID)
	return noContent(c)
}
