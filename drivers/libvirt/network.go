package libvirt

import (
	"context"
	crand "crypto/rand"
	"encoding/xml"
	"fmt"
	"net/netip"
	"sort"

	lv "libvirt.org/go/libvirt"

	"github.com/gisiaas/gisiaas/core"
)

// Networks are libvirt networks, named by their libvirt name (the same on
// every host of a datacenter, so a migrated server finds its network);
// their <ip> elements are the subnets. A server's address is chosen by
// the driver from the DHCP range, kept in the server's metadata, and given
// to the network as a DHCP host entry where the hypervisor runs dnsmasq.

// networkXML is the part of a network's definition the driver reads.
type networkXML struct {
	Name    string `xml:"name"`
	Forward struct {
		Mode string `xml:"mode,attr"`
	} `xml:"forward"`
	IPs []struct {
		Family  string `xml:"family,attr"`
		Address string `xml:"address,attr"`
		Netmask string `xml:"netmask,attr"`
		Prefix  int    `xml:"prefix,attr"`
		DHCP    *struct {
			Ranges []struct {
				Start string `xml:"start,attr"`
				End   string `xml:"end,attr"`
			} `xml:"range"`
			Hosts []struct {
				MAC string `xml:"mac,attr"`
				IP  string `xml:"ip,attr"`
			} `xml:"host"`
		} `xml:"dhcp"`
	} `xml:"ip"`
}

// subnet is one <ip> of a network, parsed.
type subnet struct {
	core.Subnet
	prefix     netip.Prefix
	gateway    netip.Addr
	start, end netip.Addr // the DHCP range, or the prefix's hosts
	dhcp       bool
	reserved   map[netip.Addr]bool
}

// netInfo reads network name on h.
func (d *Driver) netInfo(h *host, op, name string) (core.Network, []subnet, error) {
	c, err := h.connection(op)
	if err != nil {
		return core.Network{}, nil, err
	}
	n, err := c.LookupNetworkByName(name)
	if err != nil {
		return core.Network{}, nil, lverr(op, err)
	}
	defer n.Free()
	desc, err := n.GetXMLDesc(0)
	if err != nil {
		return core.Network{}, nil, lverr(op, err)
	}
	var x networkXML
	if err := xml.Unmarshal([]byte(desc), &x); err != nil {
		return core.Network{}, nil, core.Wrap(core.Internal, op, err)
	}
	active, _ := n.IsActive()
	out := core.Network{Meta: core.Meta{DatacenterID: h.dc}, ID: name, Name: name, Shared: true, Status: core.NetDown, Subnets: []core.Subnet{}}
	if active {
		out.Status = core.NetActive
	}
	var subs []subnet
	for i, ip := range x.IPs {
		addr, err := netip.ParseAddr(ip.Address)
		if err != nil {
			continue
		}
		bits := ip.Prefix
		if ip.Netmask != "" {
			m, err := netip.ParseAddr(ip.Netmask)
			if err != nil {
				continue
			}
			b := m.As4()
			bits = 0
			for _, x := range b {
				for k := 7; k >= 0; k-- {
					if x&(1<<k) != 0 {
						bits++
					}
				}
			}
		}
		if bits == 0 {
			bits = 24
			if addr.Is6() {
				bits = 64
			}
		}
		p := netip.PrefixFrom(addr, bits).Masked()
		ver := 4
		if addr.Is6() {
			ver = 6
		}
		s := subnet{Subnet: core.Subnet{ID: fmt.Sprintf("%s-ip%d", name, i), Name: fmt.Sprintf("%s %s", name, p), NetworkID: name,
			CIDR: p.String(), GatewayIP: addr.String(), IPVersion: ver}, prefix: p, gateway: addr, reserved: map[netip.Addr]bool{}}
		s.start, s.end = p.Addr().Next(), lastAddr(p)
		if ip.DHCP != nil {
			s.dhcp = true
			if len(ip.DHCP.Ranges) > 0 {
				if a, err := netip.ParseAddr(ip.DHCP.Ranges[0].Start); err == nil {
					s.start = a
				}
				if a, err := netip.ParseAddr(ip.DHCP.Ranges[0].End); err == nil {
					s.end = a
				}
			}
			for _, hh := range ip.DHCP.Hosts {
				if a, err := netip.ParseAddr(hh.IP); err == nil {
					s.reserved[a] = true
				}
			}
		}
		out.Subnets = append(out.Subnets, s.Subnet)
		subs = append(subs, s)
	}
	return out, subs, nil
}

// lastAddr is the last host address of an IPv4 prefix (before broadcast).
func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Addr()
	if !a.Is4() {
		return a
	}
	b := a.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v |= (1 << (32 - p.Bits())) - 1
	v--
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// networkNames are the networks offered on h: the configured ones, or all.
func (d *Driver) networkNames(h *host) ([]string, error) {
	if len(d.cfg.Networks) > 0 {
		return d.cfg.Networks, nil
	}
	c, err := h.connection("ListNetworks")
	if err != nil {
		return nil, err
	}
	ns, err := c.ListAllNetworks(0)
	if err != nil {
		return nil, lverr("ListNetworks", err)
	}
	var out []string
	for i := range ns {
		if name, err := ns[i].GetName(); err == nil {
			out = append(out, name)
		}
		_ = ns[i].Free()
	}
	sort.Strings(out)
	return out, nil
}

// ListNetworks lists the networks of each datacenter's first host (B.3.1.1).
func (d *Driver) ListNetworks(ctx context.Context, opts core.ListOptions) ([]core.Network, error) {
	const op = "ListNetworks"
	out := []core.Network{}
	for _, dc := range d.cfg.Datacenters {
		if opts.DatacenterID != "" && dc.ID != opts.DatacenterID {
			continue
		}
		h := d.hosts[dc.Hosts[0].Name]
		names, err := d.networkNames(h)
		if err != nil {
			return nil, err
		}
		for _, name := range names {
			n, _, err := d.netInfo(h, op, name)
			if err != nil {
				if core.KindOf(err) == core.NotFound {
					continue
				}
				return nil, err
			}
			out = append(out, n)
		}
	}
	if opts.DatacenterID != "" && len(out) == 0 {
		if _, err := d.dcHosts(op, opts.DatacenterID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// GetNetwork shows a network.
func (d *Driver) GetNetwork(ctx context.Context, id string) (core.Network, error) {
	ns, err := d.ListNetworks(ctx, core.ListOptions{})
	if err != nil {
		return core.Network{}, err
	}
	for _, n := range ns {
		if n.ID == id {
			return n, nil
		}
	}
	return core.Network{}, notFound("GetNetwork", "network", id)
}

// ListPorts lists the servers' interfaces.
func (d *Driver) ListPorts(ctx context.Context, opts core.ListOptions) ([]core.Port, error) {
	servers, err := d.listServers("ListPorts", opts)
	if err != nil {
		return nil, err
	}
	out := []core.Port{}
	for _, s := range servers {
		for _, p := range s.ports {
			out = append(out, core.Port{ID: p.PortID, Name: s.Name, NetworkID: p.NetworkID, SubnetID: p.SubnetID, DeviceID: s.ID,
				MACAddress: p.MAC, FixedIP: p.IP, Status: core.NetActive})
		}
	}
	return out, nil
}

// allocatePorts gives a new server an address on each network it asks for
// (the first offered network when it names none), checking everything
// before anything is kept.
func (d *Driver) allocatePorts(h *host, op, serverID string, want []core.NetworkAttachment, all []listed) ([]portMeta, map[string]string, error) {
	offered, err := d.networkNames(h)
	if err != nil {
		return nil, nil, err
	}
	if len(want) == 0 {
		if len(offered) == 0 {
			return nil, nil, invalidArg(op, "networks: host %s offers no network; name one", h.name)
		}
		want = []core.NetworkAttachment{{NetworkID: offered[0]}}
	}
	used := map[netip.Addr]bool{}
	for _, s := range all {
		for _, a := range s.Addresses {
			if ip, err := netip.ParseAddr(a.Address); err == nil {
				used[ip] = true
			}
		}
	}
	names := map[string]string{}
	var ports []portMeta
	for i, a := range want {
		field := fmt.Sprintf("networks[%d]", i)
		if !contains(offered, a.NetworkID) {
			return nil, nil, invalidArg(op, "%s.network_id: network %s not found", field, a.NetworkID)
		}
		_, subs, err := d.netInfo(h, op, a.NetworkID)
		if err != nil {
			if core.KindOf(err) == core.NotFound {
				return nil, nil, invalidArg(op, "%s.network_id: network %s not found on host %s", field, a.NetworkID, h.name)
			}
			return nil, nil, err
		}
		var sn *subnet
		for k := range subs {
			if subs[k].IPVersion == 4 {
				sn = &subs[k]
				break
			}
		}
		if sn == nil {
			return nil, nil, invalidArg(op, "%s.network_id: network %s has no IPv4 subnet", field, a.NetworkID)
		}
		var ip netip.Addr
		if a.FixedIP != "" {
			ip, err = netip.ParseAddr(a.FixedIP)
			if err != nil || !sn.prefix.Contains(ip) || ip == sn.gateway {
				return nil, nil, invalidArg(op, "%s.fixed_ip: %s is not a host address of %s", field, a.FixedIP, sn.CIDR)
			}
			if used[ip] || sn.reserved[ip] {
				return nil, nil, conflict(op, "%s.fixed_ip: %s is in use", field, a.FixedIP)
			}
		} else {
			for x := sn.start; x.IsValid() && x.Compare(sn.end) <= 0; x = x.Next() {
				if !used[x] && !sn.reserved[x] && x != sn.gateway {
					ip = x
					break
				}
			}
			if !ip.IsValid() {
				return nil, nil, conflict(op, "%s: network %s has no free address", field, a.NetworkID)
			}
		}
		used[ip] = true
		names[a.NetworkID] = a.NetworkID
		ports = append(ports, portMeta{PortID: newID(), NetworkID: a.NetworkID, SubnetID: sn.ID, IP: ip.String(), MAC: newMAC()})
	}
	return ports, names, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// newMAC is a random address of QEMU's 52:54:00 prefix.
func newMAC() string {
	var b [3]byte
	_, _ = crand.Read(b[:])
	return fmt.Sprintf("52:54:00:%02x:%02x:%02x", b[0], b[1], b[2])
}

// addDHCPHosts makes the networks' dnsmasq give each port its address;
// best effort (a network without DHCP, or the test driver, has none).
func (d *Driver) addDHCPHosts(h *host, ports []portMeta, names map[string]string) {
	d.updateDHCP(h, ports, names, lv.NETWORK_UPDATE_COMMAND_ADD_LAST)
}

func (d *Driver) removeDHCPHosts(h *host, ports []portMeta, names map[string]string) {
	d.updateDHCP(h, ports, names, lv.NETWORK_UPDATE_COMMAND_DELETE)
}

func (d *Driver) updateDHCP(h *host, ports []portMeta, _ map[string]string, cmd lv.NetworkUpdateCommand) {
	if h.isTest() {
		return
	}
	c, err := h.connection("dhcp")
	if err != nil {
		return
	}
	for _, p := range ports {
		n, err := c.LookupNetworkByName(p.NetworkID)
		if err != nil {
			continue
		}
		flags := lv.NETWORK_UPDATE_AFFECT_CONFIG
		if active, _ := n.IsActive(); active {
			flags |= lv.NETWORK_UPDATE_AFFECT_LIVE
		}
		_ = n.Update(cmd, lv.NETWORK_SECTION_IP_DHCP_HOST, -1, fmt.Sprintf("<host mac='%s' ip='%s'/>", p.MAC, p.IP), flags)
		_ = n.Free()
	}
}
