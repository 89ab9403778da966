package openstack

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/security/groups"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/security/rules"

	"github.com/gisiaas/gisiaas/core"
)

// Security groups (B.3.5) are Neutron's. A group has no state of its own:
// it is ACTIVE from creation to deletion, which are its only events (as the
// simulator emits them); rules change no state and emit none. A new group
// has Neutron's default rules (all egress, per ether type).

var _ core.SecurityGroups = (*Driver)(nil)

type neutronSG struct {
	ID          string        `json:"id"`
	Name        string        `json:"name"`
	Description string        `json:"description"`
	ProjectID   string        `json:"project_id"`
	Rules       []neutronRule `json:"security_group_rules"`
	Tags        []string      `json:"tags"`
	CreatedAt   neutronTime   `json:"created_at"`
	UpdatedAt   neutronTime   `json:"updated_at"`
}

// neutronRule keeps Neutron's nulls: a nil port bound is any port, which
// gophercloud's ints cannot tell from port 0 (an ICMP type).
type neutronRule struct {
	ID             string `json:"id"`
	GroupID        string `json:"security_group_id"`
	Description    string `json:"description"`
	Direction      string `json:"direction"`
	EtherType      string `json:"ethertype"`
	Protocol       string `json:"protocol"`
	PortRangeMin   *int   `json:"port_range_min"`
	PortRangeMax   *int   `json:"port_range_max"`
	RemoteIPPrefix string `json:"remote_ip_prefix"`
	RemoteGroupID  string `json:"remote_group_id"`
	ProjectID      string `json:"project_id"`
}

func (r neutronRule) core() core.SecurityGroupRule {
	return core.SecurityGroupRule{ID: r.ID, GroupID: r.GroupID, Description: r.Description, Direction: r.Direction,
		EtherType: r.EtherType, Protocol: r.Protocol, PortRangeMin: r.PortRangeMin, PortRangeMax: r.PortRangeMax,
		RemoteIPPrefix: r.RemoteIPPrefix, RemoteGroupID: r.RemoteGroupID}
}

func (d *Driver) securityGroupOf(ctx context.Context, g neutronSG) core.SecurityGroup {
	tags, dc := metaFromTags(g.Tags)
	out := core.SecurityGroup{
		Meta: core.Meta{ProjectID: d.projects.gisProject(ctx, g.ProjectID), DatacenterID: d.dcOf(ctx, dc, ""), Tags: tags,
			CreatedAt: g.CreatedAt.utc(), UpdatedAt: netChanged(g.CreatedAt, g.UpdatedAt)},
		ID: g.ID, Name: g.Name, Description: g.Description, Rules: []core.SecurityGroupRule{},
	}
	for _, r := range g.Rules {
		out.Rules = append(out.Rules, r.core())
	}
	slices.SortFunc(out.Rules, func(a, b core.SecurityGroupRule) int { return strings.Compare(a.ID, b.ID) })
	return out
}

func (d *Driver) sgObservation(g core.SecurityGroup, osProject string, state core.NetStatus, at time.Time) observation {
	return observation{Type: core.TypeSecurityGroup, ID: g.ID, OSProject: osProject, ProjectID: g.ProjectID,
		DatacenterID: g.DatacenterID, State: string(state), Attrs: core.EventAttributes{Name: g.Name}, Time: at}
}

func (d *Driver) getSG(ctx context.Context, id string) (neutronSG, error) {
	var body struct {
		SG neutronSG `json:"security_group"`
	}
	err := groups.Get(ctx, d.admin.network, id).ExtractInto(&body)
	return body.SG, err
}

func (d *Driver) listSGs(ctx context.Context, lo groups.ListOpts) ([]neutronSG, error) {
	var gs []neutronSG
	err := neutronList(ctx, groups.List(d.admin.network, lo), "security_groups", &gs)
	return gs, err
}

// CreateSecurityGroup creates a group with Neutron's default egress rules (B.3.5.1).
func (d *Driver) CreateSecurityGroup(ctx context.Context, req core.SecurityGroupCreate) (core.SecurityGroup, error) {
	const op = "CreateSecurityGroup"
	if err := req.Validate(); err != nil {
		return core.SecurityGroup{}, core.WithOp(op, err)
	}
	if err := checkNeutronTags("CreateSecurityGroup", req.CreateMeta); err != nil {
		return core.SecurityGroup{}, err
	}
	osProj, err := d.projects.ensure(ctx, req.ProjectID)
	if err != nil {
		return core.SecurityGroup{}, core.WithOp(op, err)
	}
	tok := tokenTag(osProj, req.ClientToken)
	defer tokenLocks.lock(tok)() // from the lookup to the tags: one create per token
	if tok != "" {
		gs, err := d.listSGs(ctx, groups.ListOpts{ProjectID: osProj, Tags: tok})
		if err != nil {
			return core.SecurityGroup{}, classify(op, err)
		}
		if len(gs) > 0 {
			return d.securityGroupOf(ctx, gs[0]), nil
		}
	}
	var body struct {
		SG neutronSG `json:"security_group"`
	}
	err = groups.Create(ctx, d.admin.network, groups.CreateOpts{Name: req.Name, Description: req.Description, ProjectID: osProj}).ExtractInto(&body)
	if err != nil {
		return core.SecurityGroup{}, classify(op, err)
	}
	g := body.SG
	if g.Tags, err = d.netTag(ctx, "security-groups", g.ID, createTags(req.CreateMeta, osProj)); err != nil {
		// Untagged, a retry could not find it: give it back.
		_ = groups.Delete(ctx, d.admin.network, g.ID).ExtractErr()
		return core.SecurityGroup{}, classify(op, err)
	}
	out := d.securityGroupOf(ctx, g)
	d.observe(ctx, d.sgObservation(out, g.ProjectID, core.NetActive, netChanged(g.CreatedAt, g.UpdatedAt)))
	return out, nil
}

// GetSecurityGroup shows a group with its rules (B.3.5.3).
func (d *Driver) GetSecurityGroup(ctx context.Context, id string) (core.SecurityGroup, error) {
	g, err := d.getSG(ctx, id)
	if err != nil {
		return core.SecurityGroup{}, classify("GetSecurityGroup", err)
	}
	out := d.securityGroupOf(ctx, g)
	d.observe(ctx, d.sgObservation(out, g.ProjectID, core.NetActive, netChanged(g.CreatedAt, g.UpdatedAt)))
	return out, nil
}

// ListSecurityGroups lists groups with their rules (B.3.5.3).
func (d *Driver) ListSecurityGroups(ctx context.Context, opts core.ListOptions) ([]core.SecurityGroup, error) {
	const op = "ListSecurityGroups"
	osProj, all, none, err := d.netListScope(ctx, opts)
	if err != nil {
		return nil, core.WithOp(op, err)
	}
	out := []core.SecurityGroup{}
	if none {
		return out, nil
	}
	lo := groups.ListOpts{}
	if !all {
		lo.ProjectID = osProj
	}
	gs, err := d.listSGs(ctx, lo)
	if err != nil {
		return nil, classify(op, err)
	}
	for _, g := range gs {
		c := d.securityGroupOf(ctx, g)
		d.observe(ctx, d.sgObservation(c, g.ProjectID, core.NetActive, netChanged(g.CreatedAt, g.UpdatedAt)))
		if netInDC(opts, c.DatacenterID) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b core.SecurityGroup) int { return netByCreated(a.CreatedAt, a.ID, b.CreatedAt, b.ID) })
	return out, nil
}

// DeleteSecurityGroup deletes a group no port uses and no other group's
// rule names (B.3.5.2). Neutron answers 409 for the first; for the second
// it would silently delete those rules, which the standard calls Conflict.
func (d *Driver) DeleteSecurityGroup(ctx context.Context, id string) error {
	const op = "DeleteSecurityGroup"
	g, err := d.getSG(ctx, id)
	if err != nil {
		return classify(op, err)
	}
	var refs []neutronRule
	if err := neutronList(ctx, rules.List(d.admin.network, rules.ListOpts{RemoteGroupID: id}), "security_group_rules", &refs); err != nil {
		return classify(op, err)
	}
	for _, r := range refs {
		if r.GroupID != id {
			return &core.Error{Kind: core.Conflict, Op: op, Message: "security group " + id + " is the remote group of rule " + r.ID + " of group " + r.GroupID}
		}
	}
	if err := groups.Delete(ctx, d.admin.network, id).ExtractErr(); err != nil {
		return classify(op, err) // 409: a port (a server's interface) uses it
	}
	d.observe(ctx, d.sgObservation(d.securityGroupOf(ctx, g), g.ProjectID, core.NetDeleted, time.Now().UTC()))
	return nil
}

// ruleCreate is a rule's create body: gophercloud's CreateOpts drops port 0
// (an ICMP type) and cannot leave the protocol out.
type ruleCreate map[string]any

func (r ruleCreate) ToSecGroupRuleCreateMap() (map[string]any, error) {
	return map[string]any{"security_group_rule": map[string]any(r)}, nil
}

// CreateSecurityGroupRule adds a rule to a group (B.3.5.4).
func (d *Driver) CreateSecurityGroupRule(ctx context.Context, req core.SecurityGroupRuleCreate) (core.SecurityGroupRule, error) {
	const op = "CreateSecurityGroupRule"
	if err := req.Validate(); err != nil {
		return core.SecurityGroupRule{}, core.WithOp(op, err)
	}
	if req.RemoteGroupID != "" {
		if err := core.ValidateID("remote_group_id", req.RemoteGroupID); err != nil {
			return core.SecurityGroupRule{}, core.WithOp(op, err)
		}
	}
	// The group is a field of the body: missing, it is InvalidArgument by
	// the standard's rule, although Neutron answers 404.
	g, err := d.getSG(ctx, req.GroupID)
	if err != nil {
		return core.SecurityGroupRule{}, netRefError(op, "security_group_id", "security group", req.GroupID, err)
	}
	body := ruleCreate{"security_group_id": g.ID, "direction": req.Direction, "ethertype": req.EtherType, "project_id": g.ProjectID}
	if req.RemoteGroupID != "" {
		rg, err := d.getSG(ctx, req.RemoteGroupID)
		if err != nil {
			return core.SecurityGroupRule{}, netRefError(op, "remote_group_id", "security group", req.RemoteGroupID, err)
		}
		if rg.ProjectID != g.ProjectID {
			return core.SecurityGroupRule{}, &core.Error{Kind: core.InvalidArgument, Op: op, Message: "remote_group_id: security group " + req.RemoteGroupID + " not found"}
		}
		body["remote_group_id"] = rg.ID
	}
	for k, v := range map[string]string{"description": req.Description, "protocol": req.Protocol, "remote_ip_prefix": req.RemoteIPPrefix} {
		if v != "" {
			body[k] = v
		}
	}
	if req.PortRangeMin != nil {
		body["port_range_min"] = *req.PortRangeMin
	}
	if req.PortRangeMax != nil {
		body["port_range_max"] = *req.PortRangeMax
	}
	var out struct {
		Rule neutronRule `json:"security_group_rule"`
	}
	if err := rules.Create(ctx, d.admin.network, body).ExtractInto(&out); err != nil {
		return core.SecurityGroupRule{}, classify(op, err) // 409: the group has this rule already
	}
	return out.Rule.core(), nil
}

// DeleteSecurityGroupRule removes a rule from its group (B.3.5.5).
func (d *Driver) DeleteSecurityGroupRule(ctx context.Context, id string) error {
	return classify("DeleteSecurityGroupRule", rules.Delete(ctx, d.admin.network, id).ExtractErr())
}

// pollSecurityGroups lists every group for the event source.
func (d *Driver) pollSecurityGroups(ctx context.Context, since time.Time) ([]observation, bool, error) {
	gs, err := d.listSGs(ctx, groups.ListOpts{})
	if err != nil {
		return nil, false, classify("PollSecurityGroups", err)
	}
	obs := make([]observation, 0, len(gs))
	for _, g := range gs {
		obs = append(obs, d.sgObservation(d.securityGroupOf(ctx, g), g.ProjectID, core.NetActive, netChanged(g.CreatedAt, g.UpdatedAt)))
	}
	return obs, true, nil
}
