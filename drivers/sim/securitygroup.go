package sim

import (
	"context"
	"slices"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// Security groups behave as Neutron's: a new group allows all egress (one
// rule per ether type) and no ingress; a duplicate rule is Conflict; a group
// in use by a server or named by another group's rule cannot be deleted.
// Groups are not billed, but their creation and deletion are events so the
// adapter's registry follows them.

// typeSecurityGroupRule names rules in errors; rules have no events.
const typeSecurityGroupRule core.ResourceType = "security_group_rule"

// sgProtoNumbers maps protocol names to IANA numbers, so that "tcp" and "6"
// make the same rule, as Neutron compares them.
var sgProtoNumbers = map[string]string{"icmp": "1", "tcp": "6", "udp": "17", "gre": "47", "esp": "50",
	"ah": "51", "icmpv6": "58", "ipv6-icmp": "58", "vrrp": "112", "sctp": "132"}

// sgSame reports whether two rules of one group match the same traffic.
func sgSame(a, b core.SecurityGroupRule) bool {
	proto := func(p string) string {
		if n, ok := sgProtoNumbers[p]; ok {
			return n
		}
		return p
	}
	// Neutron stores "any address" as no prefix.
	prefix := func(p string) string {
		if p == "0.0.0.0/0" || p == "::/0" {
			return ""
		}
		return p
	}
	port := func(p *int) int {
		if p == nil {
			return -1
		}
		return *p
	}
	return a.Direction == b.Direction && a.EtherType == b.EtherType && proto(a.Protocol) == proto(b.Protocol) &&
		port(a.PortRangeMin) == port(b.PortRangeMin) && port(a.PortRangeMax) == port(b.PortRangeMax) &&
		prefix(a.RemoteIPPrefix) == prefix(b.RemoteIPPrefix) && a.RemoteGroupID == b.RemoteGroupID
}

// CreateSecurityGroup creates a group with Neutron's default egress rules (B.3.5.1).
func (d *Driver) CreateSecurityGroup(ctx context.Context, req core.SecurityGroupCreate) (core.SecurityGroup, error) {
	const op = "CreateSecurityGroup"
	if err := d.begin(ctx, op); err != nil {
		return core.SecurityGroup{}, err
	}
	if err := req.Validate(); err != nil {
		return core.SecurityGroup{}, core.WithOp(op, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.resolveDC(op, &req.CreateMeta); err != nil {
		return core.SecurityGroup{}, err
	}
	if id, ok := d.token(core.TypeSecurityGroup, req.CreateMeta); ok {
		if g, ok := d.st.SecurityGroups[id]; ok {
			return cloneSecurityGroup(g), nil
		}
	}
	g := &core.SecurityGroup{Meta: d.newMeta(req.CreateMeta), ID: d.newID(), Name: req.Name, Description: req.Description}
	g.Rules = []core.SecurityGroupRule{
		{ID: d.newID(), GroupID: g.ID, Direction: core.DirectionEgress, EtherType: core.EtherTypeIPv4},
		{ID: d.newID(), GroupID: g.ID, Direction: core.DirectionEgress, EtherType: core.EtherTypeIPv6},
	}
	d.st.SecurityGroups[g.ID] = g
	d.remember(core.TypeSecurityGroup, req.CreateMeta, g.ID)
	d.emit(core.TypeSecurityGroup, g.ID, g.Meta, "", string(core.NetActive), core.EventAttributes{Name: g.Name})
	if err := d.commit(); err != nil {
		return core.SecurityGroup{}, err
	}
	return cloneSecurityGroup(g), nil
}

// securityGroup looks up a group by path id. Called with d.mu held.
func (d *Driver) securityGroup(op, id string) (*core.SecurityGroup, error) {
	g, ok := d.st.SecurityGroups[id]
	if !ok {
		return nil, notFound(op, core.TypeSecurityGroup, id)
	}
	if err := d.checkDC(op, g.DatacenterID); err != nil {
		return nil, err
	}
	return g, nil
}

// GetSecurityGroup shows a group with its rules (B.3.5.3).
func (d *Driver) GetSecurityGroup(ctx context.Context, id string) (core.SecurityGroup, error) {
	const op = "GetSecurityGroup"
	if err := d.begin(ctx, op); err != nil {
		return core.SecurityGroup{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	g, err := d.securityGroup(op, id)
	if err != nil {
		return core.SecurityGroup{}, err
	}
	return cloneSecurityGroup(g), nil
}

// ListSecurityGroups lists groups with their rules (B.3.5.3, show without id).
func (d *Driver) ListSecurityGroups(ctx context.Context, opts core.ListOptions) ([]core.SecurityGroup, error) {
	if err := d.begin(ctx, "ListSecurityGroups"); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	out := []core.SecurityGroup{}
	for _, g := range d.st.SecurityGroups {
		if matches(opts, g.Meta) {
			out = append(out, cloneSecurityGroup(g))
		}
	}
	sortByCreated(out, func(g *core.SecurityGroup) (time.Time, string) { return g.CreatedAt, g.ID })
	return out, nil
}

// DeleteSecurityGroup deletes a group no server uses and no other group's
// rule names (B.3.5.2).
func (d *Driver) DeleteSecurityGroup(ctx context.Context, id string) error {
	const op = "DeleteSecurityGroup"
	if err := d.begin(ctx, op); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	g, err := d.securityGroup(op, id)
	if err != nil {
		return err
	}
	for _, s := range d.st.Servers {
		if s.Status != core.ServerDeleted && slices.Contains(s.SecurityGroupIDs, id) {
			return conflict(op, "security group %s is in use by server %s", id, s.ID)
		}
	}
	for _, o := range d.st.SecurityGroups {
		if o.ID == id {
			continue
		}
		for _, r := range o.Rules {
			if r.RemoteGroupID == id {
				return conflict(op, "security group %s is the remote group of rule %s of group %s", id, r.ID, o.ID)
			}
		}
	}
	d.emit(core.TypeSecurityGroup, id, g.Meta, string(core.NetActive), string(core.NetDeleted), core.EventAttributes{Name: g.Name})
	delete(d.st.SecurityGroups, id)
	return d.commit()
}

// CreateSecurityGroupRule adds a rule to a group (B.3.5.4).
func (d *Driver) CreateSecurityGroupRule(ctx context.Context, req core.SecurityGroupRuleCreate) (core.SecurityGroupRule, error) {
	const op = "CreateSecurityGroupRule"
	if err := d.begin(ctx, op); err != nil {
		return core.SecurityGroupRule{}, err
	}
	if err := req.Validate(); err != nil {
		return core.SecurityGroupRule{}, core.WithOp(op, err)
	}
	if req.RemoteGroupID != "" {
		if err := core.ValidateID("remote_group_id", req.RemoteGroupID); err != nil {
			return core.SecurityGroupRule{}, core.WithOp(op, err)
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	// The group is a body field: a missing one is InvalidArgument by the
	// shared rule, although Neutron answers 404.
	g, ok := d.st.SecurityGroups[req.GroupID]
	if !ok {
		return core.SecurityGroupRule{}, invalidArg(op, "security_group_id: security group %s not found", req.GroupID)
	}
	if err := d.checkDC(op, g.DatacenterID); err != nil {
		return core.SecurityGroupRule{}, err
	}
	if req.RemoteGroupID != "" {
		rg, ok := d.st.SecurityGroups[req.RemoteGroupID]
		if !ok || netForeign(g.ProjectID, rg.ProjectID) {
			return core.SecurityGroupRule{}, invalidArg(op, "remote_group_id: security group %s not found", req.RemoteGroupID)
		}
		if rg.DatacenterID != g.DatacenterID {
			return core.SecurityGroupRule{}, invalidArg(op, "remote_group_id: security group %s is in datacenter %s, not %s",
				rg.ID, rg.DatacenterID, g.DatacenterID)
		}
	}
	r := core.SecurityGroupRule{GroupID: g.ID, Description: req.Description, Direction: req.Direction,
		EtherType: req.EtherType, Protocol: req.Protocol, PortRangeMin: intPtr(req.PortRangeMin),
		PortRangeMax: intPtr(req.PortRangeMax), RemoteIPPrefix: req.RemoteIPPrefix, RemoteGroupID: req.RemoteGroupID}
	for _, o := range g.Rules {
		if sgSame(o, r) {
			return core.SecurityGroupRule{}, conflict(op, "security group %s already has this rule: %s", g.ID, o.ID)
		}
	}
	r.ID = d.newID()
	g.Rules = append(g.Rules, r)
	g.UpdatedAt = d.now()
	if err := d.commit(); err != nil {
		return core.SecurityGroupRule{}, err
	}
	return cloneRule(r), nil
}

// DeleteSecurityGroupRule removes a rule from whichever group holds it (B.3.5.5).
func (d *Driver) DeleteSecurityGroupRule(ctx context.Context, id string) error {
	const op = "DeleteSecurityGroupRule"
	if err := d.begin(ctx, op); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, g := range d.st.SecurityGroups {
		i := slices.IndexFunc(g.Rules, func(r core.SecurityGroupRule) bool { return r.ID == id })
		if i < 0 {
			continue
		}
		if err := d.checkDC(op, g.DatacenterID); err != nil {
			return err
		}
		g.Rules = slices.Delete(g.Rules, i, i+1)
		g.UpdatedAt = d.now()
		return d.commit()
	}
	return notFound(op, typeSecurityGroupRule, id)
}
