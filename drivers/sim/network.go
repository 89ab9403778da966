package sim

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// seedNetworks gives datacenter number i an external network
// (198.18.i.0/24, the benchmarking range) and a shared private one
// (10.i.0.0/16). Called from seed.
func (d *Driver) seedNetworks(i int, dc string, now time.Time) {
	mk := func(name, cidr string, external bool) {
		id := d.newID()
		p := netip.MustParsePrefix(cidr)
		gw := p.Addr().Next()
		d.st.Networks[id] = &core.Network{
			Meta: core.Meta{DatacenterID: dc, CreatedAt: now, UpdatedAt: now},
			ID:   id, Name: name, External: external, Shared: true, Status: core.NetActive,
			Subnets: []core.Subnet{{ID: d.newID(), Name: name + "-subnet", NetworkID: id, CIDR: cidr,
				GatewayIP: gw.String(), IPVersion: 4}},
		}
	}
	mk("public-"+dc, fmt.Sprintf("198.18.%d.0/24", i%256), true)
	mk("private-"+dc, fmt.Sprintf("10.%d.0.0/16", i%256), false)
}

// ListNetworks lists the networks of a datacenter (B.3.1.1).
func (d *Driver) ListNetworks(ctx context.Context, opts core.ListOptions) ([]core.Network, error) {
	if err := d.begin(ctx, "ListNetworks"); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if opts.DatacenterID != "" {
		if err := d.checkDC("ListNetworks", opts.DatacenterID); err != nil {
			return nil, err
		}
	}
	out := []core.Network{}
	for _, n := range d.st.Networks {
		if (opts.DatacenterID != "" && n.DatacenterID != opts.DatacenterID) || d.down[n.DatacenterID] {
			continue
		}
		if opts.ProjectID != "" && !n.Shared && n.ProjectID != opts.ProjectID {
			continue
		}
		out = append(out, cloneNetwork(n))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// GetNetwork shows one network.
func (d *Driver) GetNetwork(ctx context.Context, id string) (core.Network, error) {
	if err := d.begin(ctx, "GetNetwork"); err != nil {
		return core.Network{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	n, ok := d.st.Networks[id]
	if !ok {
		return core.Network{}, notFound("GetNetwork", "network", id)
	}
	if err := d.checkDC("GetNetwork", n.DatacenterID); err != nil {
		return core.Network{}, err
	}
	return cloneNetwork(n), nil
}

// ListPorts lists ports; with a project, only those of its servers and routers.
func (d *Driver) ListPorts(ctx context.Context, opts core.ListOptions) ([]core.Port, error) {
	if err := d.begin(ctx, "ListPorts"); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	out := []core.Port{}
	for _, p := range d.st.Ports {
		if n, ok := d.st.Networks[p.NetworkID]; ok && opts.DatacenterID != "" && n.DatacenterID != opts.DatacenterID {
			continue
		}
		if opts.ProjectID != "" && d.deviceProject(p.DeviceID) != opts.ProjectID {
			continue
		}
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// deviceProject is the project owning the server or router a port belongs to.
func (d *Driver) deviceProject(id string) string {
	if s, ok := d.st.Servers[id]; ok {
		return s.ProjectID
	}
	if r, ok := d.st.Routers[id]; ok {
		return r.ProjectID
	}
	if l, ok := d.st.LoadBalancers[id]; ok {
		return l.ProjectID
	}
	return ""
}

// network returns a network of datacenter dc, or InvalidArgument naming field.
// Called with d.mu held.
func (d *Driver) network(op, field, dc, id string) (*core.Network, error) {
	n, ok := d.st.Networks[id]
	if !ok {
		return nil, invalidArg(op, "%s: network %s not found", field, id)
	}
	if n.DatacenterID != dc {
		return nil, invalidArg(op, "%s: network %s is in datacenter %s, not %s", field, id, n.DatacenterID, dc)
	}
	return n, nil
}

// subnetByID finds a subnet and its network. Called with d.mu held.
func (d *Driver) subnetByID(id string) (*core.Network, *core.Subnet) {
	for _, n := range d.st.Networks {
		for i := range n.Subnets {
			if n.Subnets[i].ID == id {
				return n, &n.Subnets[i]
			}
		}
	}
	return nil, nil
}

// usedAddrs is every address taken in the subnet: ports, floating IPs,
// public IPs, router gateways and load balancer VIPs. Called with d.mu held.
func (d *Driver) usedAddrs(prefix netip.Prefix) map[netip.Addr]bool {
	used := map[netip.Addr]bool{}
	add := func(s string) {
		if a, err := netip.ParseAddr(s); err == nil && prefix.Contains(a) {
			used[a] = true
		}
	}
	for _, p := range d.st.Ports {
		add(p.FixedIP)
	}
	for _, f := range d.st.FloatingIPs {
		add(f.FloatingIP)
	}
	for _, p := range d.st.PublicIPs {
		add(p.Address)
	}
	for _, l := range d.st.LoadBalancers {
		add(l.VIPAddress)
	}
	return used
}

// allocAddr takes want from subnet sub, or the first free address when want
// is empty. The network address, the gateway and the broadcast address are
// never handed out. Called with d.mu held.
func (d *Driver) allocAddr(op, field string, sub *core.Subnet, want string) (string, error) {
	prefix, err := netip.ParsePrefix(sub.CIDR)
	if err != nil {
		return "", &core.Error{Kind: core.Internal, Op: op, Message: "bad subnet " + sub.CIDR}
	}
	used := d.usedAddrs(prefix)
	gw, _ := netip.ParseAddr(sub.GatewayIP)
	reserved := func(a netip.Addr) bool {
		if a == prefix.Addr() || a == gw {
			return true
		}
		return a.Is4() && !prefix.Contains(a.Next()) // broadcast
	}
	if want != "" {
		a, err := netip.ParseAddr(want)
		if err != nil {
			return "", invalidArg(op, "%s: %q is not an IP address", field, want)
		}
		if !prefix.Contains(a) {
			return "", invalidArg(op, "%s: %s is not in subnet %s", field, want, sub.CIDR)
		}
		if reserved(a) {
			return "", invalidArg(op, "%s: %s is reserved in subnet %s", field, want, sub.CIDR)
		}
		if used[a] {
			return "", conflict(op, "%s: address %s is already in use", field, want)
		}
		return a.String(), nil
	}
	for a := prefix.Addr().Next(); prefix.Contains(a); a = a.Next() {
		if !reserved(a) && !used[a] {
			return a.String(), nil
		}
	}
	return "", &core.Error{Kind: core.QuotaExceeded, Op: op, Message: fmt.Sprintf("subnet %s has no free address", sub.CIDR)}
}

// createPort allocates a port on network n (first subnet unless subnetID)
// for device. Called with d.mu held.
func (d *Driver) createPort(op, field string, n *core.Network, subnetID, fixedIP, deviceID, name string) (*core.Port, error) {
	if len(n.Subnets) == 0 {
		return nil, invalidArg(op, "%s: network %s has no subnet", field, n.ID)
	}
	sub := &n.Subnets[0]
	if subnetID != "" {
		sub = nil
		for i := range n.Subnets {
			if n.Subnets[i].ID == subnetID {
				sub = &n.Subnets[i]
			}
		}
		if sub == nil {
			return nil, invalidArg(op, "%s: subnet %s is not on network %s", field, subnetID, n.ID)
		}
	}
	addr, err := d.allocAddr(op, field, sub, fixedIP)
	if err != nil {
		return nil, err
	}
	p := &core.Port{ID: d.newID(), Name: name, NetworkID: n.ID, SubnetID: sub.ID, DeviceID: deviceID,
		MACAddress: d.newMAC(), FixedIP: addr, Status: core.NetActive}
	d.st.Ports[p.ID] = p
	return p, nil
}

// externalAddr takes an address on external network id (want, or the first
// free one). Called with d.mu held.
func (d *Driver) externalAddr(op, field, dc, networkID, subnetID, want string) (string, string, error) {
	n, err := d.network(op, field, dc, networkID)
	if err != nil {
		return "", "", err
	}
	if !n.External {
		return "", "", invalidArg(op, "%s: network %s is not external", field, networkID)
	}
	if len(n.Subnets) == 0 {
		return "", "", invalidArg(op, "%s: network %s has no subnet", field, networkID)
	}
	sub := &n.Subnets[0]
	if subnetID != "" {
		sub = nil
		for i := range n.Subnets {
			if n.Subnets[i].ID == subnetID {
				sub = &n.Subnets[i]
			}
		}
		if sub == nil {
			return "", "", invalidArg(op, "subnet_id: subnet %s is not on network %s", subnetID, networkID)
		}
	}
	addr, err := d.allocAddr(op, "floating_ip_address", sub, want)
	return addr, sub.ID, err
}

// externalNetwork is the first external network of dc. Called with d.mu held.
func (d *Driver) externalNetwork(dc string) *core.Network {
	var best *core.Network
	for _, n := range d.st.Networks {
		if n.External && n.DatacenterID == dc && (best == nil || n.Name < best.Name) {
			best = n
		}
	}
	return best
}

// defaultNetwork is the first shared private network of dc, where a server
// with no network named lands. Called with d.mu held.
func (d *Driver) defaultNetwork(dc string) *core.Network {
	var best *core.Network
	for _, n := range d.st.Networks {
		if !n.External && n.DatacenterID == dc && (best == nil || n.Name < best.Name) {
			best = n
		}
	}
	return best
}
