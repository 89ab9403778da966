package sim

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/gisiaas/gisiaas/core"
)

// routerPorts are the ports of router id.
func routerPorts(d *Driver, id string) []core.Port {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := []core.Port{}
	for _, p := range d.serverPorts(id) {
		out = append(out, *p)
	}
	return out
}

func TestRouter_X3_Create(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	ext := externalNetworkID(t, d, "dc1")
	extSub := netExtSubnet(t, d, "dc1")
	tests := []struct {
		name  string
		req   core.RouterCreate
		want  core.Kind
		ports int // the external gateway
	}{
		{name: "X.3 create without gateway", req: core.RouterCreate{CreateMeta: meta(), Name: "r1"}},
		{name: "X.3 create with an external gateway", req: core.RouterCreate{CreateMeta: meta(), Name: "r2", ExternalNetworkID: ext}, ports: 1},
		{name: "X.3 no name", req: core.RouterCreate{CreateMeta: meta()}, want: core.InvalidArgument},
		{name: "X.3 gateway on a private network", req: core.RouterCreate{CreateMeta: meta(), Name: "x", ExternalNetworkID: privateNetworkID(t, d, "dc1")}, want: core.InvalidArgument},
		{name: "X.3 gateway on an unknown network", req: core.RouterCreate{CreateMeta: meta(), Name: "x", ExternalNetworkID: "nope"}, want: core.InvalidArgument},
		{name: "X.3 gateway in another datacenter", req: core.RouterCreate{CreateMeta: meta(), Name: "x", ExternalNetworkID: externalNetworkID(t, d, "dc2")}, want: core.InvalidArgument},
		{name: "X.3 unknown datacenter", req: core.RouterCreate{CreateMeta: core.CreateMeta{DatacenterID: "dc9"}, Name: "x"}, want: core.InvalidArgument},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(d.Events())
			r, err := d.CreateRouter(ctx, tc.req)
			wantKind(t, err, tc.want)
			if tc.want != core.KindUnknown {
				if len(d.Events()) != before {
					t.Fatal("a refused create emitted an event")
				}
				return
			}
			if r.Status != core.NetActive || r.Name != tc.req.Name || r.ExternalNetworkID != tc.req.ExternalNetworkID ||
				r.Interfaces == nil || len(r.Interfaces) != 0 || r.DatacenterID != "dc1" {
				t.Fatalf("got %+v", r)
			}
			ports := routerPorts(d, r.ID)
			if len(ports) != tc.ports {
				t.Fatalf("%d ports, want %d", len(ports), tc.ports)
			}
			if tc.ports == 1 {
				a, err := netip.ParseAddr(ports[0].FixedIP)
				if err != nil || ports[0].NetworkID != ext || !netip.MustParsePrefix(extSub.CIDR).Contains(a) {
					t.Fatalf("gateway port %+v", ports[0])
				}
			}
			netWantEvents(t, d, r.ID, netEv("", "ACTIVE"))
			if e := lastEvent(t, d, r.ID); e.ResourceType != core.TypeRouter || e.Attributes.Name != tc.req.Name {
				t.Fatalf("event %+v", e)
			}
		})
	}
	t.Run("X.3 datacenter down", func(t *testing.T) {
		d.SetDatacenterDown("dc1", true)
		defer d.SetDatacenterDown("dc1", false)
		_, err := d.CreateRouter(ctx, core.RouterCreate{CreateMeta: meta(), Name: "x"})
		wantKind(t, err, core.Unavailable)
	})
	t.Run("X.3 client token", func(t *testing.T) {
		m := meta()
		m.ClientToken = "r-tok"
		a, err := d.CreateRouter(ctx, core.RouterCreate{CreateMeta: m, Name: "t", ExternalNetworkID: ext})
		if err != nil {
			t.Fatal(err)
		}
		b, err := d.CreateRouter(ctx, core.RouterCreate{CreateMeta: m, Name: "t", ExternalNetworkID: ext})
		if err != nil || b.ID != a.ID {
			t.Fatalf("second create %+v %v", b, err)
		}
		if n := len(routerPorts(d, a.ID)); n != 1 {
			t.Fatalf("%d gateway ports after a repeated create", n)
		}
		netWantEvents(t, d, a.ID, netEv("", "ACTIVE"))
	})
}

func TestRouter_X3_ShowAndList(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	if l, err := d.ListRouters(ctx, core.ListOptions{}); err != nil || l == nil || len(l) != 0 {
		t.Fatalf("empty list %#v %v", l, err)
	}
	var ids []string
	for _, m := range []core.CreateMeta{meta(), {ProjectID: "proj-b", DatacenterID: "dc2"}, meta()} {
		r, err := d.CreateRouter(ctx, core.RouterCreate{CreateMeta: m, Name: "r"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	tests := []struct {
		name string
		opts core.ListOptions
		want []string
	}{
		{"X.3 list all", core.ListOptions{}, ids},
		{"X.3 list by project", core.ListOptions{ProjectID: testProject}, []string{ids[0], ids[2]}},
		{"X.3 list by datacenter", core.ListOptions{DatacenterID: "dc2"}, []string{ids[1]}},
		{"X.3 list none", core.ListOptions{ProjectID: "proj-c"}, []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := d.ListRouters(ctx, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, r := range l {
				got = append(got, r.ID)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("X.3 show", func(t *testing.T) {
		r, err := d.GetRouter(ctx, ids[0])
		if err != nil || r.ID != ids[0] || r.Status != core.NetActive {
			t.Fatalf("got %+v %v", r, err)
		}
	})
	t.Run("X.3 show unknown", func(t *testing.T) {
		_, err := d.GetRouter(ctx, "nope")
		wantKind(t, err, core.NotFound)
	})
	t.Run("X.3 show in a datacenter that is down", func(t *testing.T) {
		d.SetDatacenterDown("dc2", true)
		defer d.SetDatacenterDown("dc2", false)
		_, err := d.GetRouter(ctx, ids[1])
		wantKind(t, err, core.Unavailable)
	})
}

func TestRouter_X3_Interfaces(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	priv := netPrivSubnet(t, d, "dc1")
	r, err := d.CreateRouter(ctx, core.RouterCreate{CreateMeta: meta(), Name: "r", ExternalNetworkID: externalNetworkID(t, d, "dc1")})
	if err != nil {
		t.Fatal(err)
	}
	other, err := d.CreateRouter(ctx, core.RouterCreate{CreateMeta: meta(), Name: "other"})
	if err != nil {
		t.Fatal(err)
	}
	adds := []struct {
		name   string
		router string
		subnet string
		want   core.Kind
	}{
		{"X.3 add an interface on the private subnet", r.ID, priv.ID, core.KindUnknown},
		{"X.3 add the same subnet again", r.ID, priv.ID, core.Conflict},
		{"X.3 subnet gateway taken by another router", other.ID, priv.ID, core.Conflict},
		{"X.3 external subnet", other.ID, netExtSubnet(t, d, "dc1").ID, core.InvalidArgument},
		{"X.3 subnet in another datacenter", other.ID, netPrivSubnet(t, d, "dc2").ID, core.InvalidArgument},
		{"X.3 unknown subnet", other.ID, "nope", core.InvalidArgument},
		{"X.3 no subnet", other.ID, "", core.InvalidArgument},
		{"X.3 unknown router", "nope", priv.ID, core.NotFound},
	}
	for _, tc := range adds {
		t.Run(tc.name, func(t *testing.T) {
			got, err := d.AddRouterInterface(ctx, tc.router, tc.subnet)
			wantKind(t, err, tc.want)
			if tc.want != core.KindUnknown {
				return
			}
			if len(got.Interfaces) != 1 {
				t.Fatalf("interfaces %+v", got.Interfaces)
			}
			in := got.Interfaces[0]
			if in.SubnetID != priv.ID || in.IPAddress != priv.GatewayIP || in.PortID == "" {
				t.Fatalf("interface %+v, want the gateway %s of %s", in, priv.GatewayIP, priv.ID)
			}
			d.mu.Lock()
			p := d.st.Ports[in.PortID]
			d.mu.Unlock()
			if p == nil || p.DeviceID != r.ID || p.FixedIP != priv.GatewayIP || p.SubnetID != priv.ID || p.MACAddress == "" {
				t.Fatalf("interface port %+v", p)
			}
			if shown, _ := d.GetRouter(ctx, r.ID); !slices.Equal(shown.Interfaces, got.Interfaces) {
				t.Fatalf("show %+v", shown.Interfaces)
			}
		})
	}
	t.Run("X.3 delete a router with interfaces", func(t *testing.T) {
		wantKind(t, d.DeleteRouter(ctx, r.ID), core.Conflict)
	})
	shown, _ := d.GetRouter(ctx, r.ID)
	portID := shown.Interfaces[0].PortID
	removes := []struct {
		name   string
		router string
		subnet string
		want   core.Kind
	}{
		{"X.3 remove a subnet not on the router", other.ID, priv.ID, core.InvalidArgument},
		{"X.3 remove from an unknown router", "nope", priv.ID, core.NotFound},
		{"X.3 remove the interface", r.ID, priv.ID, core.KindUnknown},
		{"X.3 remove it again", r.ID, priv.ID, core.InvalidArgument},
	}
	for _, tc := range removes {
		t.Run(tc.name, func(t *testing.T) {
			got, err := d.RemoveRouterInterface(ctx, tc.router, tc.subnet)
			wantKind(t, err, tc.want)
			if tc.want != core.KindUnknown {
				return
			}
			if got.Interfaces == nil || len(got.Interfaces) != 0 {
				t.Fatalf("interfaces %#v", got.Interfaces)
			}
			d.mu.Lock()
			_, still := d.st.Ports[portID]
			d.mu.Unlock()
			if still {
				t.Fatal("interface port not freed")
			}
			if n := len(routerPorts(d, r.ID)); n != 1 {
				t.Fatalf("%d ports left, want the gateway only", n)
			}
		})
	}
	t.Run("X.3 the freed gateway IP serves another router", func(t *testing.T) {
		got, err := d.AddRouterInterface(ctx, other.ID, priv.ID)
		if err != nil || len(got.Interfaces) != 1 || got.Interfaces[0].IPAddress != priv.GatewayIP {
			t.Fatalf("got %+v %v", got, err)
		}
	})
	t.Run("X.3 datacenter down", func(t *testing.T) {
		d.SetDatacenterDown("dc1", true)
		defer d.SetDatacenterDown("dc1", false)
		_, err := d.RemoveRouterInterface(ctx, other.ID, priv.ID)
		wantKind(t, err, core.Unavailable)
	})
	// Interfaces change no state, so the router has only its creation event.
	netWantEvents(t, d, r.ID, netEv("", "ACTIVE"))
}

func TestRouter_X3_Delete(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	r, err := d.CreateRouter(ctx, core.RouterCreate{CreateMeta: meta(), Name: "r", ExternalNetworkID: externalNetworkID(t, d, "dc1")})
	if err != nil {
		t.Fatal(err)
	}
	gw := routerPorts(d, r.ID)[0]
	tests := []struct {
		name string
		id   string
		want core.Kind
	}{
		{"X.3 delete", r.ID, core.KindUnknown},
		{"X.3 delete again", r.ID, core.NotFound},
		{"X.3 delete unknown", "nope", core.NotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantKind(t, d.DeleteRouter(ctx, tc.id), tc.want)
		})
	}
	netWantEvents(t, d, r.ID, netEv("", "ACTIVE"), netEv("ACTIVE", "DELETED"))
	if _, err := d.GetRouter(ctx, r.ID); core.KindOf(err) != core.NotFound {
		t.Fatalf("deleted router: %v", err)
	}
	if len(routerPorts(d, r.ID)) != 0 {
		t.Fatal("gateway port not freed")
	}
	// The gateway's external address is free again.
	f, err := d.CreateFloatingIP(ctx, core.FloatingIPCreate{CreateMeta: meta(), FloatingNetworkID: externalNetworkID(t, d, "dc1"), FloatingIP: gw.FixedIP})
	if err != nil || f.FloatingIP != gw.FixedIP {
		t.Fatalf("taking the old gateway address: %+v %v", f, err)
	}
	t.Run("X.3 delete in a datacenter that is down", func(t *testing.T) {
		r2, err := d.CreateRouter(ctx, core.RouterCreate{CreateMeta: meta(), Name: "r2"})
		if err != nil {
			t.Fatal(err)
		}
		d.SetDatacenterDown("dc1", true)
		defer d.SetDatacenterDown("dc1", false)
		wantKind(t, d.DeleteRouter(ctx, r2.ID), core.Unavailable)
	})
}
