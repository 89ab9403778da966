package libvirt

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	lv "libvirt.org/go/libvirt"

	"github.com/gisiaas/gisiaas/core"
)

// Security groups map to nwfilter, on hosts that have it (not libvirt's
// test driver): a filter gisiaas-sg-<id> per group holds its rules as
// accept rules; a server with groups gets a filter gisiaas-srv-<id> that
// references its groups' filters and drops what none accepts, named by a
// <filterref> on each of its interfaces. nwfilter's connection tracking
// lets the replies to accepted traffic through. A rule naming a remote
// group becomes one rule per address of that group's servers; the filters
// are rewritten when a group, a rule or a member changes. The groups
// themselves (names, tags, rules) are in the store.

const typeSecurityGroupRule core.ResourceType = "security_group_rule"

func sgFilter(id string) string  { return "gisiaas-sg-" + id }
func srvFilter(id string) string { return "gisiaas-srv-" + id }

var sgProtoNumbers = map[string]string{"icmp": "1", "tcp": "6", "udp": "17", "gre": "47", "esp": "50",
	"ah": "51", "icmpv6": "58", "ipv6-icmp": "58", "vrrp": "112", "sctp": "132"}

// sameRule reports whether a and b match the same traffic.
func sameRule(a, b core.SecurityGroupRule) bool {
	proto := func(p string) string {
		if n, ok := sgProtoNumbers[p]; ok {
			return n
		}
		return p
	}
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

func cloneGroup(g *core.SecurityGroup) core.SecurityGroup {
	out := *g
	out.Tags = cloneMap(g.Tags)
	out.Rules = make([]core.SecurityGroupRule, len(g.Rules))
	for i, r := range g.Rules {
		out.Rules[i] = cloneRule(r)
	}
	return out
}

func cloneRule(r core.SecurityGroupRule) core.SecurityGroupRule {
	cp := func(p *int) *int {
		if p == nil {
			return nil
		}
		v := *p
		return &v
	}
	r.PortRangeMin, r.PortRangeMax = cp(r.PortRangeMin), cp(r.PortRangeMax)
	return r
}

// CreateSecurityGroup creates a group with Neutron's default rules (all
// egress, IPv4 and IPv6) and its nwfilter on every host of the datacenter (B.3.5.1).
func (d *Driver) CreateSecurityGroup(ctx context.Context, req core.SecurityGroupCreate) (core.SecurityGroup, error) {
	const op = "CreateSecurityGroup"
	if !d.caps.nwfilter {
		return core.SecurityGroup{}, core.UnsupportedError(op, core.ClauseSecGroupCreate)
	}
	if err := req.Validate(); err != nil {
		return core.SecurityGroup{}, core.WithOp(op, err)
	}
	if err := d.resolveDC(op, &req.CreateMeta); err != nil {
		return core.SecurityGroup{}, err
	}
	d.sgMu.Lock()
	defer d.sgMu.Unlock()
	d.mu.Lock()
	if id, ok := d.st.Tokens[tokenKey(core.TypeSecurityGroup, req.CreateMeta)]; ok && req.ClientToken != "" {
		if g, ok := d.st.SecurityGroups[id]; ok {
			d.mu.Unlock()
			return cloneGroup(g), nil
		}
	}
	t := now()
	g := &core.SecurityGroup{Meta: core.Meta{ProjectID: req.ProjectID, DatacenterID: req.DatacenterID, Tags: cloneMap(req.Tags), CreatedAt: t, UpdatedAt: t},
		ID: newID(), Name: req.Name, Description: req.Description}
	g.Rules = []core.SecurityGroupRule{
		{ID: newID(), GroupID: g.ID, Direction: core.DirectionEgress, EtherType: core.EtherTypeIPv4},
		{ID: newID(), GroupID: g.ID, Direction: core.DirectionEgress, EtherType: core.EtherTypeIPv6},
	}
	d.mu.Unlock()
	if err := d.writeGroupFilter(op, g); err != nil {
		return core.SecurityGroup{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.st.SecurityGroups[g.ID] = g
	if req.ClientToken != "" {
		d.st.Tokens[tokenKey(core.TypeSecurityGroup, req.CreateMeta)] = g.ID
	}
	d.emit(core.TypeSecurityGroup, g.ID, g.Meta, "", string(core.NetActive), core.EventAttributes{Name: g.Name})
	if err := d.save(); err != nil {
		return core.SecurityGroup{}, err
	}
	return cloneGroup(g), nil
}

// GetSecurityGroup shows a group with its rules (B.3.5.3).
func (d *Driver) GetSecurityGroup(ctx context.Context, id string) (core.SecurityGroup, error) {
	const op = "GetSecurityGroup"
	if !d.caps.nwfilter {
		return core.SecurityGroup{}, core.UnsupportedError(op, core.ClauseSecGroupShow)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	g, ok := d.st.SecurityGroups[id]
	if !ok {
		return core.SecurityGroup{}, notFound(op, core.TypeSecurityGroup, id)
	}
	return cloneGroup(g), nil
}

// ListSecurityGroups lists groups, oldest first (B.3.5.3).
func (d *Driver) ListSecurityGroups(ctx context.Context, opts core.ListOptions) ([]core.SecurityGroup, error) {
	if !d.caps.nwfilter {
		return nil, core.UnsupportedError("ListSecurityGroups", core.ClauseSecGroupShow)
	}
	d.mu.Lock()
	out := []core.SecurityGroup{}
	for _, g := range d.st.SecurityGroups {
		if (opts.ProjectID == "" || g.ProjectID == opts.ProjectID) && (opts.DatacenterID == "" || g.DatacenterID == opts.DatacenterID) {
			out = append(out, cloneGroup(g))
		}
	}
	d.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// DeleteSecurityGroup deletes a group no server uses and no rule names,
// with its nwfilter (B.3.5.2).
func (d *Driver) DeleteSecurityGroup(ctx context.Context, id string) error {
	const op = "DeleteSecurityGroup"
	if !d.caps.nwfilter {
		return core.UnsupportedError(op, core.ClauseSecGroupDelete)
	}
	d.sgMu.Lock()
	defer d.sgMu.Unlock()
	d.mu.Lock()
	g, ok := d.st.SecurityGroups[id]
	if ok {
		for _, o := range d.st.SecurityGroups {
			for _, r := range o.Rules {
				if o.ID != id && r.RemoteGroupID == id {
					d.mu.Unlock()
					return conflict(op, "security group %s is the remote group of rule %s of group %s", id, r.ID, o.ID)
				}
			}
		}
	}
	d.mu.Unlock()
	if !ok {
		return notFound(op, core.TypeSecurityGroup, id)
	}
	servers, err := d.listServers(op, core.ListOptions{})
	if err != nil {
		return err
	}
	for _, s := range servers {
		if slices.Contains(s.SecurityGroupIDs, id) {
			return conflict(op, "security group %s is in use by server %s", id, s.ID)
		}
	}
	hosts, err := d.dcHosts(op, g.DatacenterID)
	if err != nil {
		return err
	}
	for _, h := range hosts {
		if err := d.undefineFilter(h, op, sgFilter(id)); err != nil {
			return err
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.st.SecurityGroups, id)
	for k, x := range d.st.Tokens {
		if x == id {
			delete(d.st.Tokens, k)
		}
	}
	d.emit(core.TypeSecurityGroup, id, g.Meta, string(core.NetActive), string(core.NetDeleted), core.EventAttributes{Name: g.Name})
	return d.save()
}

// CreateSecurityGroupRule adds a rule and rewrites the group's filter (B.3.5.4).
func (d *Driver) CreateSecurityGroupRule(ctx context.Context, req core.SecurityGroupRuleCreate) (core.SecurityGroupRule, error) {
	const op = "CreateSecurityGroupRule"
	if !d.caps.nwfilter {
		return core.SecurityGroupRule{}, core.UnsupportedError(op, core.ClauseSecGroupRuleCreate)
	}
	if err := req.Validate(); err != nil {
		return core.SecurityGroupRule{}, core.WithOp(op, err)
	}
	d.sgMu.Lock()
	defer d.sgMu.Unlock()
	d.mu.Lock()
	g, ok := d.st.SecurityGroups[req.GroupID]
	if !ok {
		d.mu.Unlock()
		return core.SecurityGroupRule{}, invalidArg(op, "security_group_id: security group %s not found", req.GroupID)
	}
	if req.RemoteGroupID != "" {
		rg, ok := d.st.SecurityGroups[req.RemoteGroupID]
		if !ok || (g.ProjectID != "" && rg.ProjectID != "" && rg.ProjectID != g.ProjectID) || rg.DatacenterID != g.DatacenterID {
			d.mu.Unlock()
			return core.SecurityGroupRule{}, invalidArg(op, "remote_group_id: security group %s not found", req.RemoteGroupID)
		}
	}
	r := core.SecurityGroupRule{GroupID: g.ID, Description: req.Description, Direction: req.Direction, EtherType: req.EtherType,
		Protocol: req.Protocol, PortRangeMin: req.PortRangeMin, PortRangeMax: req.PortRangeMax, RemoteIPPrefix: req.RemoteIPPrefix,
		RemoteGroupID: req.RemoteGroupID}
	r = cloneRule(r)
	for _, o := range g.Rules {
		if sameRule(o, r) {
			d.mu.Unlock()
			return core.SecurityGroupRule{}, conflict(op, "security group %s already has this rule: %s", g.ID, o.ID)
		}
	}
	r.ID = newID()
	next := cloneGroup(g)
	next.Rules = append(next.Rules, r)
	d.mu.Unlock()
	if err := d.writeGroupFilter(op, &next); err != nil {
		return core.SecurityGroupRule{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	g.Rules = append(g.Rules, r)
	g.UpdatedAt = now()
	if err := d.save(); err != nil {
		return core.SecurityGroupRule{}, err
	}
	return cloneRule(r), nil
}

// DeleteSecurityGroupRule removes a rule from whichever group holds it (B.3.5.5).
func (d *Driver) DeleteSecurityGroupRule(ctx context.Context, id string) error {
	const op = "DeleteSecurityGroupRule"
	if !d.caps.nwfilter {
		return core.UnsupportedError(op, core.ClauseSecGroupRuleDelete)
	}
	d.sgMu.Lock()
	defer d.sgMu.Unlock()
	d.mu.Lock()
	var g *core.SecurityGroup
	i := -1
	for _, x := range d.st.SecurityGroups {
		if k := slices.IndexFunc(x.Rules, func(r core.SecurityGroupRule) bool { return r.ID == id }); k >= 0 {
			g, i = x, k
			break
		}
	}
	if g == nil {
		d.mu.Unlock()
		return notFound(op, typeSecurityGroupRule, id)
	}
	next := cloneGroup(g)
	next.Rules = slices.Delete(next.Rules, i, i+1)
	d.mu.Unlock()
	if err := d.writeGroupFilter(op, &next); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	g.Rules = slices.Delete(g.Rules, i, i+1)
	g.UpdatedAt = now()
	return d.save()
}

// groupMembers are the addresses of the servers of each group.
func (d *Driver) groupMembers(op, dc string) (map[string][]string, error) {
	servers, err := d.listServers(op, core.ListOptions{DatacenterID: dc})
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, s := range servers {
		for _, gid := range s.SecurityGroupIDs {
			for _, a := range s.Addresses {
				out[gid] = append(out[gid], a.Address)
			}
		}
	}
	return out, nil
}

// writeGroupFilter defines g's filter on every host of its datacenter.
func (d *Driver) writeGroupFilter(op string, g *core.SecurityGroup) error {
	members, err := d.groupMembers(op, g.DatacenterID)
	if err != nil {
		return err
	}
	hosts, err := d.dcHosts(op, g.DatacenterID)
	if err != nil {
		return err
	}
	x := groupFilterXML(g, members)
	for _, h := range hosts {
		if err := d.defineFilter(h, op, x); err != nil {
			return err
		}
	}
	return nil
}

// refreshRemoteGroups rewrites the filters of the groups whose rules name
// one of groups as remote: their members changed.
func (d *Driver) refreshRemoteGroups(op, dc string, groups []string) {
	if len(groups) == 0 || !d.caps.nwfilter {
		return
	}
	d.sgMu.Lock()
	defer d.sgMu.Unlock()
	d.mu.Lock()
	var todo []core.SecurityGroup
	for _, g := range d.st.SecurityGroups {
		for _, r := range g.Rules {
			if r.RemoteGroupID != "" && slices.Contains(groups, r.RemoteGroupID) && g.DatacenterID == dc {
				todo = append(todo, cloneGroup(g))
				break
			}
		}
	}
	d.mu.Unlock()
	for i := range todo {
		_ = d.writeGroupFilter(op, &todo[i])
	}
}

func (d *Driver) defineFilter(h *host, op, x string) error {
	c, err := h.connection(op)
	if err != nil {
		return err
	}
	f, err := c.NWFilterDefineXML(x)
	if err != nil {
		return lverr(op, fmt.Errorf("nwfilter: %w", err))
	}
	return lverr(op, f.Free())
}

func (d *Driver) undefineFilter(h *host, op, name string) error {
	c, err := h.connection(op)
	if err != nil {
		return err
	}
	f, err := c.LookupNWFilterByName(name)
	if err != nil {
		if isCode(err, lv.ERR_NO_NWFILTER) {
			return nil
		}
		return lverr(op, err)
	}
	defer f.Free()
	return lverr(op, f.Undefine())
}

// groupFilterXML is g's rules as nwfilter accept rules.
func groupFilterXML(g *core.SecurityGroup, members map[string][]string) string {
	var b strings.Builder
	// The group's id is the filter's UUID: a redefinition updates it.
	fmt.Fprintf(&b, "<filter name='%s' chain='root'>\n  <uuid>%s</uuid>\n", sgFilter(g.ID), esc(g.ID))
	for _, r := range g.Rules {
		var remotes []string
		switch {
		case r.RemoteGroupID != "":
			for _, ip := range members[r.RemoteGroupID] {
				if a, err := netip.ParseAddr(ip); err == nil && a.Is4() == (r.EtherType == core.EtherTypeIPv4) {
					remotes = append(remotes, netip.PrefixFrom(a, a.BitLen()).String())
				}
			}
			if len(remotes) == 0 {
				continue // a group of no server matches nothing
			}
		case r.RemoteIPPrefix != "":
			remotes = []string{r.RemoteIPPrefix}
		default:
			remotes = []string{""}
		}
		for _, remote := range remotes {
			b.WriteString("  " + ruleXML(r, remote) + "\n")
		}
	}
	b.WriteString("</filter>\n")
	return b.String()
}

// ruleXML is one accept rule: ingress is traffic to the guest (nwfilter's
// "in"), whose remote end is the source; egress the other way.
func ruleXML(r core.SecurityGroupRule, remote string) string {
	v6 := r.EtherType == core.EtherTypeIPv6
	proto := r.Protocol
	if n, ok := map[string]string{"6": "tcp", "17": "udp", "1": "icmp", "132": "sctp", "58": "icmpv6", "ipv6-icmp": "icmpv6"}[proto]; ok {
		proto = n
	}
	el := ""
	switch proto {
	case "":
		el = "all"
	case "tcp", "udp", "sctp", "esp", "ah", "udplite":
		el = proto
	case "icmp", "icmpv6":
		el = "icmp"
	default:
		el = "all" // a protocol nwfilter has no element for: any IP traffic of the remote
	}
	if v6 {
		el += "-ipv6"
	}
	dir, side := "in", "src"
	if r.Direction == core.DirectionEgress {
		dir, side = "out", "dst"
	}
	var attrs []string
	if remote != "" {
		if p, err := netip.ParsePrefix(remote); err == nil {
			attrs = append(attrs, fmt.Sprintf("%sipaddr='%s' %sipmask='%d'", side, p.Addr(), side, p.Bits()))
		}
	}
	switch el {
	case "tcp", "udp", "sctp", "tcp-ipv6", "udp-ipv6", "sctp-ipv6":
		if r.PortRangeMin != nil {
			attrs = append(attrs, fmt.Sprintf("dstportstart='%d'", *r.PortRangeMin))
		}
		if r.PortRangeMax != nil {
			attrs = append(attrs, fmt.Sprintf("dstportend='%d'", *r.PortRangeMax))
		}
	case "icmp", "icmp-ipv6":
		if r.PortRangeMin != nil {
			attrs = append(attrs, fmt.Sprintf("type='%d'", *r.PortRangeMin))
		}
		if r.PortRangeMax != nil {
			attrs = append(attrs, fmt.Sprintf("code='%d'", *r.PortRangeMax))
		}
	}
	a := ""
	if len(attrs) > 0 {
		a = " " + strings.Join(attrs, " ")
	}
	return fmt.Sprintf("<rule action='accept' direction='%s' priority='500'><%s%s/></rule>", dir, el, a)
}

// serverFilterXML references a server's groups and drops what they do not
// accept (ARP and the replies to accepted traffic pass).
func serverFilterXML(serverID string, groups []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<filter name='%s' chain='root'>\n  <uuid>%s</uuid>\n", srvFilter(serverID), esc(serverID))
	for _, g := range groups {
		fmt.Fprintf(&b, "  <filterref filter='%s'/>\n", sgFilter(g))
	}
	b.WriteString("  <rule action='accept' direction='in' priority='100'><udp srcportstart='67' dstportstart='68'/></rule>\n") // DHCP replies
	b.WriteString("  <rule action='drop' direction='in' priority='900'><all/></rule>\n")
	b.WriteString("  <rule action='drop' direction='out' priority='900'><all/></rule>\n")
	b.WriteString("  <rule action='drop' direction='in' priority='900'><all-ipv6/></rule>\n")
	b.WriteString("  <rule action='drop' direction='out' priority='900'><all-ipv6/></rule>\n")
	b.WriteString("</filter>\n")
	return b.String()
}

// serverGroups checks a new server's groups: they exist in its datacenter
// and are its project's.
func (d *Driver) serverGroups(op, dc, project string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for i, id := range ids {
		g, ok := d.st.SecurityGroups[id]
		if !d.caps.nwfilter || !ok || g.DatacenterID != dc || (project != "" && g.ProjectID != "" && g.ProjectID != project) {
			return invalidArg(op, "security_group_ids[%d]: security group %s not found", i, id)
		}
	}
	return nil
}

// defineServerFilter writes a server's filter on every host of its
// datacenter (a migration finds it there).
func (d *Driver) defineServerFilter(op, dc, serverID string, groups []string) error {
	hosts, err := d.dcHosts(op, dc)
	if err != nil {
		return err
	}
	for _, h := range hosts {
		if err := d.defineFilter(h, op, serverFilterXML(serverID, groups)); err != nil {
			return err
		}
	}
	return nil
}

// dropServerFilter removes a server's filter; best effort.
func (d *Driver) dropServerFilter(op, dc, serverID string) {
	hosts, _ := d.dcHosts(op, dc)
	for _, h := range hosts {
		_ = d.undefineFilter(h, op, srvFilter(serverID))
	}
}
