package sim

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/gisiaas/gisiaas/core"
)

// nwPut adds a network with one subnet of cidr (gateway gw) to dc.
func nwPut(d *Driver, id, dc, cidr, gw string, external bool) *core.Network {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := &core.Network{ID: id, Name: id, Meta: core.Meta{DatacenterID: dc}, External: external, Shared: true, Status: core.NetActive,
		Subnets: []core.Subnet{{ID: id + "-sub", NetworkID: id, CIDR: cidr, GatewayIP: gw, IPVersion: 4}}}
	if strings.Contains(cidr, ":") {
		n.Subnets[0].IPVersion = 6
	}
	d.st.Networks[id] = n
	return n
}

func TestNetworks_B3_1_1_List(t *testing.T) {
	d := newTestDriver(t, func(c *Config) {
		c.Datacenters = append(c.Datacenters, DatacenterConfig{ID: "dc3"})
	})
	ctx := testCtx(t)
	all, err := d.ListNetworks(ctx, core.ListOptions{})
	wantKind(t, err, core.KindUnknown)
	var names []string
	for _, n := range all {
		names = append(names, n.Name)
	}
	if want := "private-dc1,private-dc2,private-dc3,public-dc1,public-dc2,public-dc3"; strings.Join(names, ",") != want {
		t.Fatalf("networks %v, want %s (sorted by name)", names, want)
	}
	ids := map[string]bool{}
	for i, dc := range []string{"dc1", "dc2", "dc3"} {
		got, err := d.ListNetworks(ctx, core.ListOptions{DatacenterID: dc})
		wantKind(t, err, core.KindUnknown)
		if len(got) != 2 {
			t.Fatalf("%s has %d networks", dc, len(got))
		}
		for _, n := range got {
			kind, cidr, gw := "private", fmt.Sprintf("10.%d.0.0/16", i), fmt.Sprintf("10.%d.0.1", i)
			if n.External {
				kind, cidr, gw = "public", fmt.Sprintf("198.18.%d.0/24", i), fmt.Sprintf("198.18.%d.1", i)
			}
			name := kind + "-" + dc
			want := core.Network{
				Meta: core.Meta{DatacenterID: dc, CreatedAt: n.CreatedAt, UpdatedAt: n.CreatedAt},
				ID:   n.ID, Name: name, External: n.External, Shared: true, Status: core.NetActive,
				Subnets: []core.Subnet{{ID: n.Subnets[0].ID, Name: name + "-subnet", NetworkID: n.ID, CIDR: cidr, GatewayIP: gw, IPVersion: 4}},
			}
			if !reflect.DeepEqual(n, want) {
				t.Errorf("%s:\n got %+v\nwant %+v", name, n, want)
			}
			if n.CreatedAt.IsZero() || ids[n.ID] || ids[n.Subnets[0].ID] || n.ID == n.Subnets[0].ID {
				t.Errorf("%s: ids or time not set or not unique: %+v", name, n)
			}
			ids[n.ID], ids[n.Subnets[0].ID] = true, true
		}
		if got[0].External == got[1].External {
			t.Errorf("%s: want one external and one private network", dc)
		}
	}

	// Shared networks are listed for every project; a project's own only for it.
	nwPut(d, "own-net", "dc1", "192.168.0.0/24", "192.168.0.1", false)
	d.mu.Lock()
	d.st.Networks["own-net"].Shared, d.st.Networks["own-net"].ProjectID = false, "proj-b"
	d.mu.Unlock()
	for project, want := range map[string]int{"": 3, testProject: 2, "proj-b": 3} {
		got, _ := d.ListNetworks(ctx, core.ListOptions{DatacenterID: "dc1", ProjectID: project})
		if len(got) != want {
			t.Errorf("project %q sees %d networks in dc1, want %d", project, len(got), want)
		}
	}

	// GetNetwork is the same network; the result is a copy.
	pub, err := d.GetNetwork(ctx, all[3].ID)
	wantKind(t, err, core.KindUnknown)
	if !reflect.DeepEqual(pub, all[3]) {
		t.Fatalf("GetNetwork %+v, listed %+v", pub, all[3])
	}
	pub.Subnets[0].CIDR = "0.0.0.0/0"
	if again, _ := d.GetNetwork(ctx, all[3].ID); again.Subnets[0].CIDR != "198.18.0.0/24" {
		t.Fatal("GetNetwork returns the state's subnets")
	}
	_, err = d.GetNetwork(ctx, "no-such-network")
	wantKind(t, err, core.NotFound)
	if e := err.(*core.Error); e.Op != "GetNetwork" || !strings.Contains(e.Message, "no-such-network") {
		t.Fatalf("%+v", e)
	}
}

// A call into a datacenter that is down is Unavailable (DatacenterConfig.Down),
// listing included, as GetNetwork and every other list with a datacenter
// filter answer; an unknown datacenter is InvalidArgument. A list across
// datacenters leaves out those that are down, as ListServers does.
func TestNetworks_B3_1_1_DownOrUnknownDatacenter(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	d.SetDatacenterDown("dc1", true)
	got, err := d.ListNetworks(ctx, core.ListOptions{DatacenterID: "dc1"})
	if core.KindOf(err) != core.Unavailable {
		t.Errorf("ListNetworks(dc1 down) = %d networks, %v; want unavailable", len(got), err)
	}
	_, err = d.ListServers(ctx, core.ListOptions{DatacenterID: "dc1"})
	wantKind(t, err, core.Unavailable) // the convention ListNetworks should follow

	all, err := d.ListNetworks(ctx, core.ListOptions{})
	wantKind(t, err, core.KindUnknown)
	for _, n := range all {
		if n.DatacenterID == "dc1" {
			t.Errorf("network %s of the down dc1 is listed; GetNetwork on it is Unavailable", n.Name)
		}
	}
	got, err = d.ListNetworks(ctx, core.ListOptions{DatacenterID: "dc9"})
	if core.KindOf(err) != core.InvalidArgument {
		t.Errorf("ListNetworks(dc9) = %d networks, %v; want invalid_argument", len(got), err)
	}
}

func TestNetworks_B3_1_1_Ports(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	s := srvCreate(t, d, "m1.tiny")
	ports, err := d.ListPorts(ctx, core.ListOptions{ProjectID: testProject})
	wantKind(t, err, core.KindUnknown)
	if len(ports) != 1 || ports[0].DeviceID != s.ID || ports[0].FixedIP != s.Addresses[0].Address || ports[0].MACAddress != s.Addresses[0].MAC {
		t.Fatalf("%+v", ports)
	}
	if other, _ := d.ListPorts(ctx, core.ListOptions{ProjectID: "proj-b"}); len(other) != 0 {
		t.Fatalf("proj-b sees %+v", other)
	}
	// The datacenter filter goes by the port's network.
	d.mu.Lock()
	p2, err := d.createPort("test", "f", d.defaultNetwork("dc2"), "", "", "dev-2", "p2")
	d.mu.Unlock()
	wantKind(t, err, core.KindUnknown)
	for dc, want := range map[string]string{"dc1": ports[0].ID, "dc2": p2.ID} {
		got, err := d.ListPorts(ctx, core.ListOptions{DatacenterID: dc})
		wantKind(t, err, core.KindUnknown)
		if len(got) != 1 || got[0].ID != want {
			t.Errorf("ports of %s: %+v", dc, got)
		}
	}
	if all, _ := d.ListPorts(ctx, core.ListOptions{}); len(all) != 2 || all[0].ID > all[1].ID {
		t.Errorf("all ports, by id: %+v", all)
	}
}

func TestNetworks_AddressAllocation(t *testing.T) {
	d := newTestDriver(t)
	n := nwPut(d, "n29", "dc1", "192.0.2.0/29", "192.0.2.1", false)
	d.mu.Lock()
	defer d.mu.Unlock()
	sub := &n.Subnets[0]
	cases := []struct {
		want string
		kind core.Kind
	}{
		{"192.0.2.0", core.InvalidArgument}, // the network address
		{"192.0.2.1", core.InvalidArgument}, // the gateway
		{"192.0.2.7", core.InvalidArgument}, // broadcast
		{"192.0.2.8", core.InvalidArgument}, // outside
		{"10.0.0.5", core.InvalidArgument},
		{"2001:db8::5", core.InvalidArgument},
		{"bogus", core.InvalidArgument},
		{"192.0.2.5", core.KindUnknown}, // a wanted free address
	}
	for _, c := range cases {
		addr, err := d.allocAddr("Op", "fixed_ip", sub, c.want)
		wantKind(t, err, c.kind)
		if err != nil && !strings.HasPrefix(core.MessageOf(err), "fixed_ip:") {
			t.Errorf("%s: %v does not name the field", c.want, err)
		}
		if err == nil && addr != c.want {
			t.Errorf("wanted %s, got %s", c.want, addr)
		}
	}
	// allocAddr only picks; a port takes the address.
	if _, err := d.createPort("Op", "fixed_ip", n, "", "192.0.2.5", "dev", ""); err != nil {
		t.Fatal(err)
	}
	_, err := d.allocAddr("Op", "fixed_ip", sub, "192.0.2.5")
	wantKind(t, err, core.Conflict)
	if !strings.Contains(core.MessageOf(err), "192.0.2.5") {
		t.Errorf("%v does not name the address", err)
	}
	var got []string
	var last *core.Port
	for i := 0; i < 10; i++ {
		p, err := d.createPort("Op", "fixed_ip", n, "", "", "dev", "")
		if err != nil {
			wantKind(t, err, core.QuotaExceeded) // the /29 is exhausted
			if !strings.Contains(core.MessageOf(err), "192.0.2.0/29") {
				t.Errorf("%v does not name the subnet", err)
			}
			break
		}
		got = append(got, p.FixedIP)
		last = p
	}
	if want := []string{"192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.6"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("allocated %v, want %v", got, want)
	}
	// A freed address is handed out again.
	delete(d.st.Ports, last.ID)
	if addr, err := d.allocAddr("Op", "fixed_ip", sub, ""); err != nil || addr != "192.0.2.6" {
		t.Fatalf("after freeing .6: %s %v", addr, err)
	}
	// A subnet whose CIDR is broken is the cloud's fault, not the caller's.
	_, err = d.allocAddr("Op", "fixed_ip", &core.Subnet{CIDR: "nonsense"}, "")
	wantKind(t, err, core.Internal)
}

// Every kind of address counts as taken: ports, floating IPs, public IPs
// and load balancer VIPs.
func TestNetworks_AddressesInUseByEveryKind(t *testing.T) {
	d := newTestDriver(t)
	n := nwPut(d, "ext29", "dc1", "203.0.113.0/29", "203.0.113.1", true)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.st.Ports["p"] = &core.Port{ID: "p", NetworkID: n.ID, FixedIP: "203.0.113.2"}
	d.st.FloatingIPs["f"] = &core.FloatingIP{ID: "f", FloatingIP: "203.0.113.3"}
	d.st.PublicIPs["pub"] = &core.PublicIP{ID: "pub", Address: "203.0.113.4"}
	d.st.LoadBalancers["lb"] = &core.LoadBalancer{ID: "lb", VIPAddress: "203.0.113.5"}
	d.st.Ports["elsewhere"] = &core.Port{ID: "elsewhere", FixedIP: "10.0.0.6"} // another subnet: irrelevant
	for _, a := range []string{"203.0.113.2", "203.0.113.3", "203.0.113.4", "203.0.113.5"} {
		_, err := d.allocAddr("Op", "floating_ip_address", &n.Subnets[0], a)
		wantKind(t, err, core.Conflict)
	}
	addr, err := d.allocAddr("Op", "floating_ip_address", &n.Subnets[0], "")
	if err != nil || addr != "203.0.113.6" {
		t.Fatalf("first free %s %v, want 203.0.113.6", addr, err)
	}
}

func TestNetworks_IPv6Subnet(t *testing.T) {
	d := newTestDriver(t)
	n := nwPut(d, "v6", "dc1", "2001:db8::/125", "2001:db8::1", false)
	d.mu.Lock()
	defer d.mu.Unlock()
	var got []string
	for {
		p, err := d.createPort("Op", "fixed_ip", n, "", "", "dev", "")
		if err != nil {
			wantKind(t, err, core.QuotaExceeded)
			break
		}
		got = append(got, p.FixedIP)
	}
	// IPv6 has no broadcast: the last address is usable; the first (the
	// subnet-router anycast) and the gateway are not.
	want := []string{"2001:db8::2", "2001:db8::3", "2001:db8::4", "2001:db8::5", "2001:db8::6", "2001:db8::7"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("allocated %v, want %v", got, want)
	}
}

func TestNetworks_CreatePort(t *testing.T) {
	d := newTestDriver(t)
	two := nwPut(d, "two", "dc1", "192.0.2.0/28", "192.0.2.1", false)
	d.mu.Lock()
	defer d.mu.Unlock()
	two.Subnets = append(two.Subnets, core.Subnet{ID: "two-sub-b", NetworkID: "two", CIDR: "198.51.100.0/28", GatewayIP: "198.51.100.1", IPVersion: 4})
	mac := regexp.MustCompile(`^fa:16:3e(:[0-9a-f]{2}){3}$`)

	p, err := d.createPort("CreateServer", "networks[0]", two, "", "", "srv-1", "eth0")
	wantKind(t, err, core.KindUnknown)
	if p.NetworkID != "two" || p.SubnetID != "two-sub" || p.DeviceID != "srv-1" || p.Name != "eth0" || p.FixedIP != "192.0.2.2" ||
		p.Status != core.NetActive || !mac.MatchString(p.MACAddress) || d.st.Ports[p.ID] != p {
		t.Fatalf("%+v", p)
	}
	p, err = d.createPort("CreateServer", "networks[0]", two, "two-sub-b", "", "srv-1", "")
	wantKind(t, err, core.KindUnknown)
	if p.SubnetID != "two-sub-b" || p.FixedIP != "198.51.100.2" {
		t.Fatalf("on the second subnet: %+v", p)
	}
	_, err = d.createPort("CreateServer", "networks[0]", two, "not-on-two", "", "srv-1", "")
	wantKind(t, err, core.InvalidArgument)
	if !strings.HasPrefix(core.MessageOf(err), "networks[0]:") {
		t.Fatalf("%v does not name the field", err)
	}
	empty := &core.Network{ID: "empty"}
	_, err = d.createPort("CreateServer", "networks[1]", empty, "", "", "srv-1", "")
	wantKind(t, err, core.InvalidArgument)
	before := len(d.st.Ports)
	_, err = d.createPort("CreateServer", "networks[0]", two, "", "192.0.2.1", "srv-1", "")
	wantKind(t, err, core.InvalidArgument)
	if len(d.st.Ports) != before {
		t.Fatal("a refused port was stored")
	}
}

func TestNetworks_ExternalAddress(t *testing.T) {
	d := newTestDriver(t)
	ext, priv := externalNetworkID(t, d, "dc1"), privateNetworkID(t, d, "dc1")
	ext2 := externalNetworkID(t, d, "dc2")
	d.mu.Lock()
	defer d.mu.Unlock()
	addr, subID, err := d.externalAddr("CreateFloatingIP", "floating_network_id", "dc1", ext, "", "")
	wantKind(t, err, core.KindUnknown)
	if addr != "198.18.0.2" || subID != d.st.Networks[ext].Subnets[0].ID {
		t.Fatalf("%s %s", addr, subID)
	}
	addr, _, err = d.externalAddr("CreateFloatingIP", "floating_network_id", "dc1", ext, subID, "198.18.0.200")
	if err != nil || addr != "198.18.0.200" {
		t.Fatalf("wanted address: %s %v", addr, err)
	}
	for _, c := range []struct {
		name, dc, net, sub, want, prefix string
	}{
		{"unknown network", "dc1", "nope", "", "", "floating_network_id:"},
		{"private network", "dc1", priv, "", "", "floating_network_id:"},
		{"network of another datacenter", "dc1", ext2, "", "", "floating_network_id:"},
		{"subnet not on the network", "dc1", ext, "other-sub", "", "subnet_id:"},
		{"address outside", "dc1", ext, "", "10.0.0.9", "floating_ip_address:"},
	} {
		_, _, err := d.externalAddr("CreateFloatingIP", "floating_network_id", c.dc, c.net, c.sub, c.want)
		if core.KindOf(err) != core.InvalidArgument || !strings.HasPrefix(core.MessageOf(err), c.prefix) {
			t.Errorf("%s: %v, want invalid_argument starting %q", c.name, err, c.prefix)
		}
	}
}

func TestNetworks_ExternalAndDefaultNetwork(t *testing.T) {
	d := newTestDriver(t)
	nwPut(d, "a-private-first", "dc1", "172.16.0.0/24", "172.16.0.1", false)
	nwPut(d, "a-public-first", "dc1", "203.0.113.0/24", "203.0.113.1", true)
	d.mu.Lock()
	defer d.mu.Unlock()
	// The first by name wins, so the choice does not depend on map order.
	if n := d.defaultNetwork("dc1"); n == nil || n.ID != "a-private-first" {
		t.Fatalf("default network %+v", n)
	}
	if n := d.externalNetwork("dc1"); n == nil || n.ID != "a-public-first" {
		t.Fatalf("external network %+v", n)
	}
	if n := d.defaultNetwork("dc2"); n == nil || n.Name != "private-dc2" || n.External {
		t.Fatalf("dc2 default %+v", n)
	}
	if n := d.externalNetwork("dc2"); n == nil || n.Name != "public-dc2" || !n.External {
		t.Fatalf("dc2 external %+v", n)
	}
	if d.defaultNetwork("dc9") != nil || d.externalNetwork("dc9") != nil {
		t.Fatal("a network for an unknown datacenter")
	}
}
