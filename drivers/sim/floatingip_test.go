package sim

import (
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"testing"

	"github.com/gisiaas/gisiaas/core"
)

// Helpers of the network service tests (floating IPs, public IPs, load
// balancers, security groups, routers).

// netExtSubnet is the subnet of dc's external network.
func netExtSubnet(t testing.TB, d *Driver, dc string) core.Subnet {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.externalNetwork(dc).Subnets[0]
}

// netPrivSubnet is the subnet of dc's private network.
func netPrivSubnet(t testing.TB, d *Driver, dc string) core.Subnet {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.defaultNetwork(dc).Subnets[0]
}

// netDevicePort is the only port of device id (a load balancer's VIP, a
// server's interface, a router's gateway).
func netDevicePort(t testing.TB, d *Driver, id string) core.Port {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	ps := d.serverPorts(id)
	if len(ps) != 1 {
		t.Fatalf("device %s has %d ports, want 1", id, len(ps))
	}
	return *ps[0]
}

// netPortCount is how many ports device id has.
func netPortCount(d *Driver, id string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.serverPorts(id))
}

// netLB creates an ACTIVE load balancer (instant transitions) in dc of project.
func netLB(t testing.TB, d *Driver, project, dc string) core.LoadBalancer {
	t.Helper()
	l, err := d.CreateLoadBalancer(testCtx(t), core.LoadBalancerCreate{
		CreateMeta: core.CreateMeta{ProjectID: project, DatacenterID: dc}, Name: "lb",
		Listeners: []core.Listener{{Protocol: "http", Port: 8080}}})
	if err != nil {
		t.Fatalf("CreateLoadBalancer: %v", err)
	}
	return l
}

// netServer creates an ACTIVE server in dc1 of testProject.
func netServer(t testing.TB, d *Driver, name string, sgs ...string) core.Server {
	t.Helper()
	return netServerIn(t, d, meta(), name, sgs...)
}

// netServerIn creates an ACTIVE server with CreateMeta m.
func netServerIn(t testing.TB, d *Driver, m core.CreateMeta, name string, sgs ...string) core.Server {
	t.Helper()
	s, err := d.CreateServer(testCtx(t), core.ServerCreate{CreateMeta: m, Name: name, FlavorID: "m1.tiny",
		ImageID: publicImageID(t, d), SecurityGroupIDs: sgs})
	if err != nil {
		t.Fatalf("CreateServer: %v", err)
	}
	if s, err = d.GetServer(testCtx(t), s.ID); err != nil {
		t.Fatalf("GetServer: %v", err)
	}
	if s.Status != core.ServerActive {
		t.Fatalf("server %s is %s, want ACTIVE", s.ID, s.Status)
	}
	return s
}

// netAddrs are the addresses of kind of server id, as GetServer shows them.
func netAddrs(t testing.TB, d *Driver, id string, kind core.AddressKind) []string {
	t.Helper()
	s, err := d.GetServer(testCtx(t), id)
	if err != nil {
		t.Fatalf("GetServer: %v", err)
	}
	out := []string{}
	for _, a := range s.Addresses {
		if a.Kind == kind {
			out = append(out, a.Address)
		}
	}
	return out
}

// netWantEvents fails unless the (from, to) events of id are want, in order.
func netWantEvents(t testing.TB, d *Driver, id string, want ...[2]string) {
	t.Helper()
	if got := eventsFor(d, id); !slices.Equal(got, want) {
		t.Fatalf("events of %s = %v, want %v", id, got, want)
	}
}

func netEv(from, to string) [2]string { return [2]string{from, to} }

func TestFloatingIP_B3_2_1_Create(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	ext := externalNetworkID(t, d, "dc1")
	ext2 := externalNetworkID(t, d, "dc2")
	extSub := netExtSubnet(t, d, "dc1")
	lb := netLB(t, d, testProject, "dc1")
	vip := netDevicePort(t, d, lb.ID)
	otherProjLB := netLB(t, d, "proj-b", "dc1")
	otherDCLB := netLB(t, d, testProject, "dc2")
	router, err := d.CreateRouter(ctx, core.RouterCreate{CreateMeta: meta(), Name: "r", ExternalNetworkID: ext})
	if err != nil {
		t.Fatal(err)
	}
	gwPort := netDevicePort(t, d, router.ID)
	if router, err = d.AddRouterInterface(ctx, router.ID, netPrivSubnet(t, d, "dc1").ID); err != nil {
		t.Fatal(err)
	}
	taken, err := d.CreateFloatingIP(ctx, core.FloatingIPCreate{CreateMeta: meta(), FloatingNetworkID: ext, FloatingIP: "198.18.0.77"})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		req  core.FloatingIPCreate
		want core.Kind
		// checks of a successful create
		status core.NetStatus
		addr   string
		port   *core.Port
	}{
		{name: "B.3.2.1 first free address, unassociated", req: core.FloatingIPCreate{FloatingNetworkID: ext}, status: core.NetDown},
		{name: "B.3.2.1 requested address", req: core.FloatingIPCreate{FloatingNetworkID: ext, FloatingIP: "198.18.0.200"},
			status: core.NetDown, addr: "198.18.0.200"},
		{name: "B.3.2.1 requested subnet", req: core.FloatingIPCreate{FloatingNetworkID: ext, SubnetID: extSub.ID}, status: core.NetDown},
		{name: "B.3.2.1 associated with a port", req: core.FloatingIPCreate{FloatingNetworkID: ext, PortID: vip.ID},
			status: core.NetActive, port: &vip},
		{name: "B.3.2.1 requested address in use", req: core.FloatingIPCreate{FloatingNetworkID: ext, FloatingIP: taken.FloatingIP}, want: core.Conflict},
		{name: "B.3.2.1 requested address is the gateway", req: core.FloatingIPCreate{FloatingNetworkID: ext, FloatingIP: extSub.GatewayIP}, want: core.InvalidArgument},
		{name: "B.3.2.1 requested address outside the subnet", req: core.FloatingIPCreate{FloatingNetworkID: ext, FloatingIP: "192.0.2.1"}, want: core.InvalidArgument},
		{name: "B.3.2.1 malformed address", req: core.FloatingIPCreate{FloatingNetworkID: ext, FloatingIP: "198.18.0.x"}, want: core.InvalidArgument},
		{name: "B.3.2.1 no network", req: core.FloatingIPCreate{}, want: core.InvalidArgument},
		{name: "B.3.2.1 unknown network", req: core.FloatingIPCreate{FloatingNetworkID: "nope"}, want: core.InvalidArgument},
		{name: "B.3.2.1 private network", req: core.FloatingIPCreate{FloatingNetworkID: privateNetworkID(t, d, "dc1")}, want: core.InvalidArgument},
		{name: "B.3.2.1 external network of another datacenter", req: core.FloatingIPCreate{FloatingNetworkID: ext2}, want: core.InvalidArgument},
		{name: "B.3.2.1 subnet not on the network", req: core.FloatingIPCreate{FloatingNetworkID: ext, SubnetID: "nope"}, want: core.InvalidArgument},
		{name: "B.3.2.1 unknown port", req: core.FloatingIPCreate{FloatingNetworkID: ext, PortID: "nope"}, want: core.InvalidArgument},
		{name: "B.3.2.1 port of another project", req: core.FloatingIPCreate{FloatingNetworkID: ext, PortID: netDevicePort(t, d, otherProjLB.ID).ID}, want: core.InvalidArgument},
		{name: "B.3.2.1 port in another datacenter", req: core.FloatingIPCreate{FloatingNetworkID: ext, PortID: netDevicePort(t, d, otherDCLB.ID).ID}, want: core.InvalidArgument},
		{name: "B.3.2.1 port on the external network", req: core.FloatingIPCreate{FloatingNetworkID: ext, PortID: gwPort.ID}, want: core.InvalidArgument},
		{name: "B.3.2.1 router interface port", req: core.FloatingIPCreate{FloatingNetworkID: ext, PortID: router.Interfaces[0].PortID}, want: core.InvalidArgument},
		{name: "B.3.2.1 fixed IP without port", req: core.FloatingIPCreate{FloatingNetworkID: ext, FixedIP: "10.0.0.5"}, want: core.InvalidArgument},
		{name: "B.3.2.1 unknown datacenter", req: core.FloatingIPCreate{CreateMeta: core.CreateMeta{DatacenterID: "dc9"}, FloatingNetworkID: ext}, want: core.InvalidArgument},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.req
			if req.ProjectID == "" && req.DatacenterID == "" {
				req.CreateMeta = meta()
			}
			before := len(d.Events())
			f, err := d.CreateFloatingIP(ctx, req)
			wantKind(t, err, tc.want)
			if tc.want != core.KindUnknown {
				if n := len(d.Events()); n != before {
					t.Fatalf("a refused create emitted %d events", n-before)
				}
				return
			}
			if f.Status != tc.status {
				t.Fatalf("status %s, want %s", f.Status, tc.status)
			}
			a, err := netip.ParseAddr(f.FloatingIP)
			if err != nil || !netip.MustParsePrefix(extSub.CIDR).Contains(a) {
				t.Fatalf("address %q is not in %s", f.FloatingIP, extSub.CIDR)
			}
			if tc.addr != "" && f.FloatingIP != tc.addr {
				t.Fatalf("address %s, want %s", f.FloatingIP, tc.addr)
			}
			if f.SubnetID != extSub.ID || f.FloatingNetworkID != ext || f.ProjectID != testProject || f.DatacenterID != "dc1" {
				t.Fatalf("unexpected floating IP %+v", f)
			}
			if tc.port == nil {
				if f.PortID != "" || f.FixedIP != "" || f.PortDetails != nil {
					t.Fatalf("unassociated floating IP has port data: %+v", f)
				}
			} else {
				want := core.PortDetails{Status: tc.port.Status, Name: tc.port.Name, NetworkID: tc.port.NetworkID,
					DeviceID: tc.port.DeviceID, MACAddress: tc.port.MACAddress}
				if f.PortID != tc.port.ID || f.FixedIP != tc.port.FixedIP || f.PortDetails == nil || *f.PortDetails != want {
					t.Fatalf("association %+v %+v, want port %+v", f, f.PortDetails, *tc.port)
				}
			}
			netWantEvents(t, d, f.ID, netEv("", string(tc.status)))
			if e := lastEvent(t, d, f.ID); e.ResourceType != core.TypeFloatingIP || e.ProjectID != testProject || e.DatacenterID != "dc1" {
				t.Fatalf("event %+v", e)
			}
		})
	}

	t.Run("B.3.2.1 port that already has a floating IP", func(t *testing.T) {
		_, err := d.CreateFloatingIP(ctx, core.FloatingIPCreate{CreateMeta: meta(), FloatingNetworkID: ext, PortID: vip.ID})
		wantKind(t, err, core.Conflict)
	})
	t.Run("B.3.2.1 fixed IP of the port", func(t *testing.T) {
		l := netLB(t, d, testProject, "dc1")
		p := netDevicePort(t, d, l.ID)
		_, err := d.CreateFloatingIP(ctx, core.FloatingIPCreate{CreateMeta: meta(), FloatingNetworkID: ext, PortID: p.ID, FixedIP: "10.0.255.1"})
		wantKind(t, err, core.InvalidArgument)
		f, err := d.CreateFloatingIP(ctx, core.FloatingIPCreate{CreateMeta: meta(), FloatingNetworkID: ext, PortID: p.ID, FixedIP: p.FixedIP})
		wantKind(t, err, core.KindUnknown)
		if f.FixedIP != p.FixedIP || f.Status != core.NetActive {
			t.Fatalf("got %+v", f)
		}
	})
	t.Run("B.3.2.1 datacenter down", func(t *testing.T) {
		d.SetDatacenterDown("dc1", true)
		defer d.SetDatacenterDown("dc1", false)
		_, err := d.CreateFloatingIP(ctx, core.FloatingIPCreate{CreateMeta: meta(), FloatingNetworkID: ext})
		wantKind(t, err, core.Unavailable)
	})
	t.Run("B.3.2.1 injected fault", func(t *testing.T) {
		d.SetFault("CreateFloatingIP", Fault{ErrorRate: 1, Kind: core.Throttled})
		defer d.SetFault("CreateFloatingIP", Fault{})
		_, err := d.CreateFloatingIP(ctx, core.FloatingIPCreate{CreateMeta: meta(), FloatingNetworkID: ext})
		wantKind(t, err, core.Throttled)
	})
}

func TestFloatingIP_B3_2_1_AddressesNeverShared(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	ext := externalNetworkID(t, d, "dc1")
	seen := map[string]bool{}
	for i := range 20 {
		f, err := d.CreateFloatingIP(ctx, core.FloatingIPCreate{CreateMeta: meta(), FloatingNetworkID: ext})
		if err != nil {
			t.Fatal(err)
		}
		if seen[f.FloatingIP] {
			t.Fatalf("floating IP %d got address %s twice", i, f.FloatingIP)
		}
		seen[f.FloatingIP] = true
	}
	// A public IP and a router gateway come from the same pool.
	p, err := d.CreatePublicIP(ctx, core.PublicIPCreate{CreateMeta: meta()})
	if err != nil {
		t.Fatal(err)
	}
	if seen[p.Address] {
		t.Fatalf("public IP got floating address %s", p.Address)
	}
	r, err := d.CreateRouter(ctx, core.RouterCreate{CreateMeta: meta(), Name: "r", ExternalNetworkID: ext})
	if err != nil {
		t.Fatal(err)
	}
	if gw := netDevicePort(t, d, r.ID).FixedIP; seen[gw] || gw == p.Address {
		t.Fatalf("router gateway got taken address %s", gw)
	}
	// A released address is free again.
	first, _ := d.ListFloatingIPs(ctx, core.ListOptions{})
	if err := d.DeleteFloatingIP(ctx, first[0].ID); err != nil {
		t.Fatal(err)
	}
	again, err := d.CreateFloatingIP(ctx, core.FloatingIPCreate{CreateMeta: meta(), FloatingNetworkID: ext, FloatingIP: first[0].FloatingIP})
	if err != nil || again.FloatingIP != first[0].FloatingIP {
		t.Fatalf("re-allocating a released address: %+v, %v", again, err)
	}
}

func TestFloatingIP_B3_2_1_PoolExhausted(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	ext := externalNetworkID(t, d, "dc1")
	// 198.18.0.0/24 less network, gateway and broadcast.
	for i := range 253 {
		if _, err := d.CreateFloatingIP(ctx, core.FloatingIPCreate{CreateMeta: meta(), FloatingNetworkID: ext}); err != nil {
			t.Fatalf("floating IP %d: %v", i, err)
		}
	}
	_, err := d.CreateFloatingIP(ctx, core.FloatingIPCreate{CreateMeta: meta(), FloatingNetworkID: ext})
	wantKind(t, err, core.QuotaExceeded)
}

func TestFloatingIP_B3_2_1_ClientToken(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	ext := externalNetworkID(t, d, "dc1")
	m := meta()
	m.ClientToken = "tok-1"
	a, err := d.CreateFloatingIP(ctx, core.FloatingIPCreate{CreateMeta: m, FloatingNetworkID: ext})
	if err != nil {
		t.Fatal(err)
	}
	b, err := d.CreateFloatingIP(ctx, core.FloatingIPCreate{CreateMeta: m, FloatingNetworkID: ext})
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != b.ID || a.FloatingIP != b.FloatingIP {
		t.Fatalf("same token created %s and %s", a.ID, b.ID)
	}
	netWantEvents(t, d, a.ID, netEv("", "DOWN"))
	other := m
	other.ProjectID = "proj-b"
	c, err := d.CreateFloatingIP(ctx, core.FloatingIPCreate{CreateMeta: other, FloatingNetworkID: ext})
	if err != nil {
		t.Fatal(err)
	}
	if c.ID == a.ID {
		t.Fatal("a token of another project returned this project's floating IP")
	}
	// Once deleted, the token creates afresh.
	if err := d.DeleteFloatingIP(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	e, err := d.CreateFloatingIP(ctx, core.FloatingIPCreate{CreateMeta: m, FloatingNetworkID: ext})
	if err != nil || e.ID == a.ID {
		t.Fatalf("create after delete: %+v %v", e, err)
	}
}

func TestFloatingIP_B3_2_4_ShowAndList(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	if l, err := d.ListFloatingIPs(ctx, core.ListOptions{}); err != nil || l == nil || len(l) != 0 {
		t.Fatalf("empty list = %#v, %v; want a non-nil empty slice", l, err)
	}
	var ids []string
	for i, m := range []core.CreateMeta{meta(), {ProjectID: "proj-b", DatacenterID: "dc1"}, {ProjectID: testProject, DatacenterID: "dc2"}, meta()} {
		f, err := d.CreateFloatingIP(ctx, core.FloatingIPCreate{CreateMeta: m, FloatingNetworkID: externalNetworkID(t, d, m.DatacenterID)})
		if err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
		ids = append(ids, f.ID)
	}
	tests := []struct {
		name string
		opts core.ListOptions
		want []string
	}{
		{"B.3.2.4 list all", core.ListOptions{}, ids},
		{"B.3.2.4 list by project", core.ListOptions{ProjectID: testProject}, []string{ids[0], ids[2], ids[3]}},
		{"B.3.2.4 list by datacenter", core.ListOptions{DatacenterID: "dc1"}, []string{ids[0], ids[1], ids[3]}},
		{"B.3.2.4 list by both", core.ListOptions{ProjectID: testProject, DatacenterID: "dc2"}, []string{ids[2]}},
		{"B.3.2.4 list of an unknown project", core.ListOptions{ProjectID: "nobody"}, []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := d.ListFloatingIPs(ctx, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, f := range l {
				got = append(got, f.ID)
			}
			// Creation order is the list order (ids are random).
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("B.3.2.4 show", func(t *testing.T) {
		f, err := d.GetFloatingIP(ctx, ids[0])
		if err != nil || f.ID != ids[0] || f.Status != core.NetDown {
			t.Fatalf("got %+v, %v", f, err)
		}
		f.Tags = map[string]string{"x": "y"}
		if g, _ := d.GetFloatingIP(ctx, ids[0]); g.Tags != nil {
			t.Fatal("a result shares state with the simulator")
		}
	})
	t.Run("B.3.2.4 show unknown", func(t *testing.T) {
		_, err := d.GetFloatingIP(ctx, "nope")
		wantKind(t, err, core.NotFound)
	})
	t.Run("B.3.2.4 show in a datacenter that is down", func(t *testing.T) {
		d.SetDatacenterDown("dc2", true)
		defer d.SetDatacenterDown("dc2", false)
		_, err := d.GetFloatingIP(ctx, ids[2])
		wantKind(t, err, core.Unavailable)
	})
}

func TestFloatingIP_B3_2_3_Update(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	ext := externalNetworkID(t, d, "dc1")
	lbA, lbB := netLB(t, d, testProject, "dc1"), netLB(t, d, testProject, "dc1")
	portA, portB := netDevicePort(t, d, lbA.ID), netDevicePort(t, d, lbB.ID)
	otherProj := netDevicePort(t, d, netLB(t, d, "proj-b", "dc1").ID)
	f, err := d.CreateFloatingIP(ctx, core.FloatingIPCreate{CreateMeta: meta(), FloatingNetworkID: ext})
	if err != nil {
		t.Fatal(err)
	}
	busy, err := d.CreateFloatingIP(ctx, core.FloatingIPCreate{CreateMeta: meta(), FloatingNetworkID: ext})
	if err != nil {
		t.Fatal(err)
	}
	// Steps run in order on the same floating IP.
	steps := []struct {
		name     string
		id       string
		req      core.FloatingIPUpdate
		want     core.Kind
		status   core.NetStatus
		port     string
		events   [][2]string // all events of f after the step
		idCheck  string
		fixedIP  string
		detailOf *core.Port
	}{
		{name: "B.3.2.3 dissociate an unassociated floating IP is a no-op", id: f.ID, req: core.FloatingIPUpdate{},
			status: core.NetDown, events: [][2]string{netEv("", "DOWN")}},
		{name: "B.3.2.3 associate", id: f.ID, req: core.FloatingIPUpdate{PortID: portA.ID},
			status: core.NetActive, port: portA.ID, fixedIP: portA.FixedIP, detailOf: &portA,
			events: [][2]string{netEv("", "DOWN"), netEv("DOWN", "ACTIVE")}},
		{name: "B.3.2.3 associate again with the same port", id: f.ID, req: core.FloatingIPUpdate{PortID: portA.ID, FixedIP: portA.FixedIP},
			status: core.NetActive, port: portA.ID, fixedIP: portA.FixedIP, detailOf: &portA,
			events: [][2]string{netEv("", "DOWN"), netEv("DOWN", "ACTIVE")}},
		{name: "B.3.2.3 another floating IP on a taken port", id: busy.ID, req: core.FloatingIPUpdate{PortID: portA.ID}, want: core.Conflict},
		{name: "B.3.2.3 unknown port", id: f.ID, req: core.FloatingIPUpdate{PortID: "nope"}, want: core.InvalidArgument},
		{name: "B.3.2.3 port of another project", id: f.ID, req: core.FloatingIPUpdate{PortID: otherProj.ID}, want: core.InvalidArgument},
		{name: "B.3.2.3 fixed IP not of the port", id: f.ID, req: core.FloatingIPUpdate{PortID: portB.ID, FixedIP: portA.FixedIP}, want: core.InvalidArgument},
		{name: "B.3.2.3 fixed IP without port", id: f.ID, req: core.FloatingIPUpdate{FixedIP: portA.FixedIP}, want: core.InvalidArgument},
		{name: "B.3.2.3 malformed fixed IP", id: f.ID, req: core.FloatingIPUpdate{PortID: portB.ID, FixedIP: "10.0.0"}, want: core.InvalidArgument},
		{name: "B.3.2.3 unknown floating IP", id: "nope", req: core.FloatingIPUpdate{}, want: core.NotFound},
		{name: "B.3.2.3 move to another port keeps ACTIVE", id: f.ID, req: core.FloatingIPUpdate{PortID: portB.ID},
			status: core.NetActive, port: portB.ID, fixedIP: portB.FixedIP, detailOf: &portB,
			events: [][2]string{netEv("", "DOWN"), netEv("DOWN", "ACTIVE")}},
		{name: "B.3.2.3 the freed port takes another floating IP", id: busy.ID, req: core.FloatingIPUpdate{PortID: portA.ID},
			status: core.NetActive, port: portA.ID, fixedIP: portA.FixedIP, detailOf: &portA, idCheck: busy.ID,
			events: [][2]string{netEv("", "DOWN"), netEv("DOWN", "ACTIVE")}},
		{name: "B.3.2.3 dissociate", id: f.ID, req: core.FloatingIPUpdate{},
			status: core.NetDown, events: [][2]string{netEv("", "DOWN"), netEv("DOWN", "ACTIVE"), netEv("ACTIVE", "DOWN")}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			got, err := d.UpdateFloatingIP(ctx, st.id, st.req)
			wantKind(t, err, st.want)
			if st.want != core.KindUnknown {
				return
			}
			if got.Status != st.status || got.PortID != st.port || got.FixedIP != st.fixedIP {
				t.Fatalf("got status %s port %q fixed %q, want %s %q %q", got.Status, got.PortID, got.FixedIP, st.status, st.port, st.fixedIP)
			}
			if (st.detailOf == nil) != (got.PortDetails == nil) {
				t.Fatalf("port details %+v", got.PortDetails)
			}
			if st.detailOf != nil && (got.PortDetails.DeviceID != st.detailOf.DeviceID || got.PortDetails.MACAddress != st.detailOf.MACAddress ||
				got.PortDetails.NetworkID != st.detailOf.NetworkID || got.PortDetails.Status != core.NetActive) {
				t.Fatalf("port details %+v of port %+v", got.PortDetails, st.detailOf)
			}
			if g, _ := d.GetFloatingIP(ctx, st.id); g.Status != got.Status || g.PortID != got.PortID {
				t.Fatalf("show disagrees with update: %+v", g)
			}
			netWantEvents(t, d, st.id, st.events...)
		})
	}
}

func TestFloatingIP_B3_2_2_Delete(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	ext := externalNetworkID(t, d, "dc1")
	port := netDevicePort(t, d, netLB(t, d, testProject, "dc1").ID)
	down, err := d.CreateFloatingIP(ctx, core.FloatingIPCreate{CreateMeta: meta(), FloatingNetworkID: ext})
	if err != nil {
		t.Fatal(err)
	}
	up, err := d.CreateFloatingIP(ctx, core.FloatingIPCreate{CreateMeta: meta(), FloatingNetworkID: ext, PortID: port.ID})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		id     string
		want   core.Kind
		events [][2]string
	}{
		{"B.3.2.2 delete unassociated", down.ID, core.KindUnknown, [][2]string{netEv("", "DOWN"), netEv("DOWN", "DELETED")}},
		{"B.3.2.2 delete associated dissociates it", up.ID, core.KindUnknown, [][2]string{netEv("", "ACTIVE"), netEv("ACTIVE", "DELETED")}},
		{"B.3.2.2 delete again", down.ID, core.NotFound, nil},
		{"B.3.2.2 delete unknown", "nope", core.NotFound, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantKind(t, d.DeleteFloatingIP(ctx, tc.id), tc.want)
			if tc.want != core.KindUnknown {
				return
			}
			netWantEvents(t, d, tc.id, tc.events...)
			_, err := d.GetFloatingIP(ctx, tc.id)
			wantKind(t, err, core.NotFound)
		})
	}
	t.Run("B.3.2.2 the port is free for a new floating IP", func(t *testing.T) {
		_, err := d.CreateFloatingIP(ctx, core.FloatingIPCreate{CreateMeta: meta(), FloatingNetworkID: ext, PortID: port.ID})
		wantKind(t, err, core.KindUnknown)
	})
	t.Run("B.3.2.2 datacenter down", func(t *testing.T) {
		f, err := d.CreateFloatingIP(ctx, core.FloatingIPCreate{CreateMeta: meta(), FloatingNetworkID: ext})
		if err != nil {
			t.Fatal(err)
		}
		d.SetDatacenterDown("dc1", true)
		defer d.SetDatacenterDown("dc1", false)
		wantKind(t, d.DeleteFloatingIP(ctx, f.ID), core.Unavailable)
	})
}

// TestFloatingIP_B3_2_3_Server associates floating IPs with a server's port
// and follows the server's addresses, then deletes the server.
func TestFloatingIP_B3_2_3_Server(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	ext := externalNetworkID(t, d, "dc1")
	s1, s2 := netServer(t, d, "web-1"), netServer(t, d, "web-2")
	p1, p2 := netDevicePort(t, d, s1.ID), netDevicePort(t, d, s2.ID)
	f, err := d.CreateFloatingIP(ctx, core.FloatingIPCreate{CreateMeta: meta(), FloatingNetworkID: ext, PortID: p1.ID})
	if err != nil {
		t.Fatal(err)
	}
	if f.PortDetails == nil || f.PortDetails.DeviceID != s1.ID || f.FixedIP != p1.FixedIP {
		t.Fatalf("association %+v", f)
	}
	if got := netAddrs(t, d, s1.ID, core.AddressFloating); !slices.Equal(got, []string{f.FloatingIP}) {
		t.Fatalf("B.3.2.1 server floating addresses %v, want [%s]", got, f.FloatingIP)
	}
	if _, err := d.UpdateFloatingIP(ctx, f.ID, core.FloatingIPUpdate{PortID: p2.ID}); err != nil {
		t.Fatal(err)
	}
	if got := netAddrs(t, d, s1.ID, core.AddressFloating); len(got) != 0 {
		t.Fatalf("B.3.2.3 old server keeps floating addresses %v", got)
	}
	if got := netAddrs(t, d, s2.ID, core.AddressFloating); !slices.Equal(got, []string{f.FloatingIP}) {
		t.Fatalf("B.3.2.3 new server floating addresses %v", got)
	}
	if _, err := d.UpdateFloatingIP(ctx, f.ID, core.FloatingIPUpdate{}); err != nil {
		t.Fatal(err)
	}
	if got := netAddrs(t, d, s2.ID, core.AddressFloating); len(got) != 0 {
		t.Fatalf("B.3.2.3 dissociated server keeps floating addresses %v", got)
	}
	if _, err := d.UpdateFloatingIP(ctx, f.ID, core.FloatingIPUpdate{PortID: p2.ID}); err != nil {
		t.Fatal(err)
	}
	g, err := d.CreateFloatingIP(ctx, core.FloatingIPCreate{CreateMeta: meta(), FloatingNetworkID: ext, PortID: p1.ID})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.DeleteFloatingIP(ctx, g.ID); err != nil {
		t.Fatal(err)
	}
	if got := netAddrs(t, d, s1.ID, core.AddressFloating); len(got) != 0 {
		t.Fatalf("B.3.2.2 deleted floating IP still on the server: %v", got)
	}

	t.Run("B.2.1.2 deleting the server dissociates its floating IP", func(t *testing.T) {
		if err := d.DeleteServer(ctx, s2.ID); err != nil {
			t.Fatal(err)
		}
		got, err := d.GetFloatingIP(ctx, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != core.NetDown || got.PortID != "" || got.FixedIP != "" || got.PortDetails != nil {
			t.Fatalf("floating IP after server delete: %+v", got)
		}
		// Created associated (ACTIVE); moving ports keeps it ACTIVE; then dissociate, associate, server purge.
		netWantEvents(t, d, f.ID, netEv("", "ACTIVE"), netEv("ACTIVE", "DOWN"), netEv("DOWN", "ACTIVE"), netEv("ACTIVE", "DOWN"))
		// The address stays allocated to the project and can be reused.
		if _, err := d.UpdateFloatingIP(ctx, f.ID, core.FloatingIPUpdate{PortID: p1.ID}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestFloatingIP_B3_2_1_ConcurrentAllocation allocates from many goroutines:
// run with -race; no two floating IPs may share an address.
func TestFloatingIP_B3_2_1_ConcurrentAllocation(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	ext := externalNetworkID(t, d, "dc1")
	const workers, each = 10, 20
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				m := meta()
				m.ClientToken = fmt.Sprintf("w%d-%d", w, i)
				if _, err := d.CreateFloatingIP(ctx, core.FloatingIPCreate{CreateMeta: m, FloatingNetworkID: ext}); err != nil {
					errs <- err
				}
				if _, err := d.ListFloatingIPs(ctx, core.ListOptions{}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	l, err := d.ListFloatingIPs(ctx, core.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(l) != workers*each {
		t.Fatalf("%d floating IPs, want %d", len(l), workers*each)
	}
	seen := map[string]bool{}
	for _, f := range l {
		if seen[f.FloatingIP] {
			t.Fatalf("address %s allocated twice", f.FloatingIP)
		}
		seen[f.FloatingIP] = true
	}
}

// TestFloatingIP_B3_2_4_PortDetailsFollowPort: port details show the port's
// current status, not the one at association.
func TestFloatingIP_B3_2_4_PortDetailsFollowPort(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	port := netDevicePort(t, d, netLB(t, d, testProject, "dc1").ID)
	f, err := d.CreateFloatingIP(ctx, core.FloatingIPCreate{CreateMeta: meta(), FloatingNetworkID: externalNetworkID(t, d, "dc1"), PortID: port.ID})
	if err != nil {
		t.Fatal(err)
	}
	d.mu.Lock()
	d.st.Ports[port.ID].Status = core.NetDown
	d.mu.Unlock()
	got, err := d.GetFloatingIP(ctx, f.ID)
	if err != nil || got.PortDetails == nil || got.PortDetails.Status != core.NetDown || got.Status != core.NetActive {
		t.Fatalf("show %+v %v, want port details DOWN", got.PortDetails, err)
	}
	l, err := d.ListFloatingIPs(ctx, core.ListOptions{})
	if err != nil || len(l) != 1 || l[0].PortDetails.Status != core.NetDown {
		t.Fatalf("list %+v %v", l, err)
	}
}
