package sim

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// lbStep is the latency of load balancer transitions in stepped tests;
// everything else is instant so that servers are ACTIVE at once.
const lbStep = 2 * time.Second

func newLBSteppedDriver(t *testing.T) (*Driver, *ManualClock) {
	return newManualDriver(t, 0, func(c *Config) {
		c.Latencies = map[string]Duration{"lb.create": Duration(lbStep), "lb.update": Duration(lbStep), "lb.delete": Duration(lbStep)}
	})
}

func lbStatus(t testing.TB, d *Driver, id string) core.LBStatus {
	t.Helper()
	l, err := d.GetLoadBalancer(testCtx(t), id)
	if err != nil {
		t.Fatalf("GetLoadBalancer: %v", err)
	}
	return l.Status
}

func TestLoadBalancer_B3_4_1_Create(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	priv := netPrivSubnet(t, d, "dc1")
	tests := []struct {
		name      string
		req       core.LoadBalancerCreate
		want      core.Kind
		listeners []core.Listener // IDs not compared
	}{
		{name: "B.3.4.1 on the default subnet", req: core.LoadBalancerCreate{Name: "lb",
			Listeners: []core.Listener{{Protocol: "http", Port: 80}, {Protocol: "Tcp", Port: 443}}},
			listeners: []core.Listener{{Protocol: "HTTP", Port: 80}, {Protocol: "TCP", Port: 443}}},
		{name: "B.3.4.1 on a named subnet, no listener", req: core.LoadBalancerCreate{Name: "lb2", Description: "d", SubnetID: priv.ID},
			listeners: []core.Listener{}},
		{name: "B.3.4.1 unknown subnet", req: core.LoadBalancerCreate{Name: "x", SubnetID: "nope"}, want: core.InvalidArgument},
		{name: "B.3.4.1 subnet of an external network", req: core.LoadBalancerCreate{Name: "x", SubnetID: netExtSubnet(t, d, "dc1").ID}, want: core.InvalidArgument},
		{name: "B.3.4.1 subnet of another datacenter", req: core.LoadBalancerCreate{Name: "x", SubnetID: netPrivSubnet(t, d, "dc2").ID}, want: core.InvalidArgument},
		{name: "B.3.4.1 no name", req: core.LoadBalancerCreate{}, want: core.InvalidArgument},
		{name: "B.3.4.1 description too long", req: core.LoadBalancerCreate{Name: "x", Description: strings.Repeat("d", 1025)}, want: core.InvalidArgument},
		{name: "B.3.4.1 unknown listener protocol", req: core.LoadBalancerCreate{Name: "x", Listeners: []core.Listener{{Protocol: "FTP", Port: 21}}}, want: core.InvalidArgument},
		{name: "B.3.4.1 listener port out of range", req: core.LoadBalancerCreate{Name: "x", Listeners: []core.Listener{{Protocol: "TCP", Port: 0}}}, want: core.InvalidArgument},
		{name: "B.3.4.1 two listeners on one port", req: core.LoadBalancerCreate{Name: "x",
			Listeners: []core.Listener{{Protocol: "TCP", Port: 80}, {Protocol: "HTTP", Port: 80}}}, want: core.InvalidArgument},
	}
	vips := map[string]bool{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.req
			req.CreateMeta = meta()
			before := len(d.Events())
			l, err := d.CreateLoadBalancer(ctx, req)
			wantKind(t, err, tc.want)
			if tc.want != core.KindUnknown {
				if len(d.Events()) != before {
					t.Fatal("a refused create emitted an event")
				}
				return
			}
			if l.Status != core.LBActive || l.Name != req.Name || l.Description != req.Description || l.SubnetID != priv.ID {
				t.Fatalf("got %+v", l)
			}
			a, err := netip.ParseAddr(l.VIPAddress)
			if err != nil || !netip.MustParsePrefix(priv.CIDR).Contains(a) || a.String() == priv.GatewayIP || vips[l.VIPAddress] {
				t.Fatalf("VIP %q: not a fresh address of %s", l.VIPAddress, priv.CIDR)
			}
			vips[l.VIPAddress] = true
			if vip := netDevicePort(t, d, l.ID); vip.FixedIP != l.VIPAddress || vip.SubnetID != priv.ID {
				t.Fatalf("VIP port %+v", vip)
			}
			if l.Members == nil || len(l.Members) != 0 || len(l.Listeners) != len(tc.listeners) {
				t.Fatalf("members %#v listeners %#v", l.Members, l.Listeners)
			}
			for i, ls := range l.Listeners {
				if ls.ID == "" || ls.Protocol != tc.listeners[i].Protocol || ls.Port != tc.listeners[i].Port {
					t.Fatalf("listener %d = %+v, want %+v with an id", i, ls, tc.listeners[i])
				}
			}
			netWantEvents(t, d, l.ID, netEv("", "PENDING_CREATE"), netEv("PENDING_CREATE", "ACTIVE"))
			if e := lastEvent(t, d, l.ID); e.ResourceType != core.TypeLoadBalancer || e.Attributes.Name != req.Name {
				t.Fatalf("event %+v", e)
			}
		})
	}
	t.Run("B.3.4.1 subnet of another project's private network", func(t *testing.T) {
		d.mu.Lock()
		n := d.defaultNetwork("dc1")
		n.Shared, n.ProjectID = false, "proj-b"
		d.mu.Unlock()
		defer func() {
			d.mu.Lock()
			n.Shared, n.ProjectID = true, ""
			d.mu.Unlock()
		}()
		_, err := d.CreateLoadBalancer(ctx, core.LoadBalancerCreate{CreateMeta: meta(), Name: "x", SubnetID: priv.ID})
		wantKind(t, err, core.InvalidArgument)
	})
	t.Run("B.3.4.1 unknown datacenter", func(t *testing.T) {
		_, err := d.CreateLoadBalancer(ctx, core.LoadBalancerCreate{CreateMeta: core.CreateMeta{DatacenterID: "dc9"}, Name: "x"})
		wantKind(t, err, core.InvalidArgument)
	})
	t.Run("B.3.4.1 datacenter down", func(t *testing.T) {
		d.SetDatacenterDown("dc1", true)
		defer d.SetDatacenterDown("dc1", false)
		_, err := d.CreateLoadBalancer(ctx, core.LoadBalancerCreate{CreateMeta: meta(), Name: "x"})
		wantKind(t, err, core.Unavailable)
	})
	t.Run("B.3.4.1 client token", func(t *testing.T) {
		m := meta()
		m.ClientToken = "lb-tok"
		a, err := d.CreateLoadBalancer(ctx, core.LoadBalancerCreate{CreateMeta: m, Name: "t"})
		if err != nil {
			t.Fatal(err)
		}
		ports := netPortCount(d, a.ID)
		b, err := d.CreateLoadBalancer(ctx, core.LoadBalancerCreate{CreateMeta: m, Name: "t"})
		if err != nil || b.ID != a.ID || b.VIPAddress != a.VIPAddress {
			t.Fatalf("second create %+v %v", b, err)
		}
		if netPortCount(d, a.ID) != ports {
			t.Fatal("a repeated create allocated another VIP port")
		}
		netWantEvents(t, d, a.ID, netEv("", "PENDING_CREATE"), netEv("PENDING_CREATE", "ACTIVE"))
	})
}

// TestLoadBalancer_B3_4_1_Stepped walks a load balancer through its states
// on a manual clock.
func TestLoadBalancer_B3_4_1_Stepped(t *testing.T) {
	d, clock := newLBSteppedDriver(t)
	ctx := testCtx(t)
	l, err := d.CreateLoadBalancer(ctx, core.LoadBalancerCreate{CreateMeta: meta(), Name: "lb"})
	if err != nil {
		t.Fatal(err)
	}
	if l.Status != core.LBPendingCreate || lbStatus(t, d, l.ID) != core.LBPendingCreate {
		t.Fatalf("B.3.4.1 status after create %s, want PENDING_CREATE", l.Status)
	}
	t.Run("B.3.4.5 add a member while PENDING_CREATE", func(t *testing.T) {
		_, err := d.AddMember(ctx, l.ID, core.MemberAdd{ServerID: "any"})
		wantKind(t, err, core.Conflict)
	})
	t.Run("B.3.4.2 delete while PENDING_CREATE", func(t *testing.T) {
		wantKind(t, d.DeleteLoadBalancer(ctx, l.ID), core.Conflict)
	})
	clock.Advance(lbStep - time.Millisecond)
	if s := lbStatus(t, d, l.ID); s != core.LBPendingCreate {
		t.Fatalf("B.3.4.1 status before the latency %s", s)
	}
	clock.Advance(time.Millisecond)
	if s := lbStatus(t, d, l.ID); s != core.LBActive {
		t.Fatalf("B.3.4.1 status after the latency %s, want ACTIVE", s)
	}
	if err := d.DeleteLoadBalancer(ctx, l.ID); err != nil {
		t.Fatal(err)
	}
	if s := lbStatus(t, d, l.ID); s != core.LBPendingDelete {
		t.Fatalf("B.3.4.2 status after delete %s, want PENDING_DELETE", s)
	}
	t.Run("B.3.4.2 delete while PENDING_DELETE", func(t *testing.T) {
		wantKind(t, d.DeleteLoadBalancer(ctx, l.ID), core.Conflict)
	})
	t.Run("B.3.4.6 remove a member while PENDING_DELETE", func(t *testing.T) {
		_, err := d.RemoveMember(ctx, l.ID, core.MemberRemove{ServerID: "any"})
		wantKind(t, err, core.InvalidArgument) // no such member, whatever the state
	})
	clock.Advance(lbStep)
	if _, err := d.GetLoadBalancer(ctx, l.ID); core.KindOf(err) != core.NotFound {
		t.Fatalf("B.3.4.2 deleted load balancer: %v", err)
	}
	if n := netPortCount(d, l.ID); n != 0 {
		t.Fatalf("B.3.4.2 VIP port not freed: %d ports", n)
	}
	netWantEvents(t, d, l.ID, netEv("", "PENDING_CREATE"), netEv("PENDING_CREATE", "ACTIVE"),
		netEv("ACTIVE", "PENDING_DELETE"), netEv("PENDING_DELETE", "DELETED"))
	if clock.Pending() != 0 {
		t.Fatalf("%d timers left", clock.Pending())
	}
}

func TestLoadBalancer_B3_4_3_ShowAndList(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	if l, err := d.ListLoadBalancers(ctx, core.ListOptions{}); err != nil || l == nil || len(l) != 0 {
		t.Fatalf("empty list %#v %v", l, err)
	}
	a := netLB(t, d, testProject, "dc1")
	b := netLB(t, d, "proj-b", "dc2")
	c := netLB(t, d, testProject, "dc2")
	tests := []struct {
		name string
		opts core.ListOptions
		want []string
	}{
		{"B.3.4.4 list all", core.ListOptions{}, []string{a.ID, b.ID, c.ID}},
		{"B.3.4.4 list by project", core.ListOptions{ProjectID: testProject}, []string{a.ID, c.ID}},
		{"B.3.4.4 list by datacenter", core.ListOptions{DatacenterID: "dc2"}, []string{b.ID, c.ID}},
		{"B.3.4.4 list none", core.ListOptions{ProjectID: "proj-c"}, []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := d.ListLoadBalancers(ctx, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, x := range l {
				got = append(got, x.ID)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("B.3.4.3 show", func(t *testing.T) {
		l, err := d.GetLoadBalancer(ctx, a.ID)
		if err != nil || l.ID != a.ID || l.VIPAddress != a.VIPAddress || len(l.Listeners) != 1 || l.Listeners[0] != a.Listeners[0] {
			t.Fatalf("got %+v %v", l, err)
		}
		l.Listeners[0].Port = 1
		if again, _ := d.GetLoadBalancer(ctx, a.ID); again.Listeners[0].Port != 8080 {
			t.Fatal("a result shares listeners with the simulator")
		}
	})
	t.Run("B.3.4.3 show unknown", func(t *testing.T) {
		_, err := d.GetLoadBalancer(ctx, "nope")
		wantKind(t, err, core.NotFound)
	})
	t.Run("B.3.4.3 show in a datacenter that is down", func(t *testing.T) {
		d.SetDatacenterDown("dc2", true)
		defer d.SetDatacenterDown("dc2", false)
		_, err := d.GetLoadBalancer(ctx, b.ID)
		wantKind(t, err, core.Unavailable)
	})
}

func TestLoadBalancer_B3_4_2_Delete(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	l := netLB(t, d, testProject, "dc1")
	vip := netDevicePort(t, d, l.ID)
	f, err := d.CreateFloatingIP(ctx, core.FloatingIPCreate{CreateMeta: meta(), FloatingNetworkID: externalNetworkID(t, d, "dc1"), PortID: vip.ID})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		id   string
		want core.Kind
	}{
		{"B.3.4.2 delete", l.ID, core.KindUnknown},
		{"B.3.4.2 delete again", l.ID, core.NotFound},
		{"B.3.4.2 delete unknown", "nope", core.NotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantKind(t, d.DeleteLoadBalancer(ctx, tc.id), tc.want)
		})
	}
	netWantEvents(t, d, l.ID, netEv("", "PENDING_CREATE"), netEv("PENDING_CREATE", "ACTIVE"),
		netEv("ACTIVE", "PENDING_DELETE"), netEv("PENDING_DELETE", "DELETED"))
	t.Run("B.3.4.2 the VIP's floating IP is dissociated", func(t *testing.T) {
		got, err := d.GetFloatingIP(ctx, f.ID)
		if err != nil || got.Status != core.NetDown || got.PortID != "" {
			t.Fatalf("floating IP %+v %v", got, err)
		}
		netWantEvents(t, d, f.ID, netEv("", "ACTIVE"), netEv("ACTIVE", "DOWN"))
	})
	t.Run("B.3.4.2 the VIP address is free again", func(t *testing.T) {
		d.mu.Lock()
		_, sub := d.subnetByID(l.SubnetID)
		_, err := d.allocAddr("test", "vip", sub, l.VIPAddress)
		d.mu.Unlock()
		wantKind(t, err, core.KindUnknown)
	})
}

// TestLoadBalancer_B3_4_6_RemoveRefused covers the refusals that need no server.
func TestLoadBalancer_B3_4_6_RemoveRefused(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	l := netLB(t, d, testProject, "dc1")
	tests := []struct {
		name  string
		id    string
		m     core.MemberRemove
		want  core.Kind
		field string
	}{
		{"B.3.4.6 neither server nor address", l.ID, core.MemberRemove{}, core.InvalidArgument, "server_id"},
		{"B.3.4.6 both server and address", l.ID, core.MemberRemove{ServerID: "s", Address: "10.0.0.9"}, core.InvalidArgument, "server_id"},
		{"B.3.4.6 malformed address", l.ID, core.MemberRemove{Address: "ten"}, core.InvalidArgument, "address"},
		{"B.3.4.6 server not a member", l.ID, core.MemberRemove{ServerID: "s"}, core.InvalidArgument, "server_id"},
		{"B.3.4.6 address not a member", l.ID, core.MemberRemove{Address: "10.0.0.9"}, core.InvalidArgument, "address"},
		{"B.3.4.6 unknown load balancer", "nope", core.MemberRemove{ServerID: "s"}, core.NotFound, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := d.RemoveMember(ctx, tc.id, tc.m)
			wantKind(t, err, tc.want)
			if !strings.HasPrefix(core.MessageOf(err), tc.field) {
				t.Fatalf("message %q does not name %q", core.MessageOf(err), tc.field)
			}
		})
	}
	t.Run("B.3.4.5 add unknown server", func(t *testing.T) {
		_, err := d.AddMember(ctx, l.ID, core.MemberAdd{ServerID: "nope"})
		wantKind(t, err, core.InvalidArgument)
	})
	t.Run("B.3.4.5 add to unknown load balancer", func(t *testing.T) {
		_, err := d.AddMember(ctx, "nope", core.MemberAdd{ServerID: "s"})
		wantKind(t, err, core.NotFound)
	})
	t.Run("B.3.4.5 add without server", func(t *testing.T) {
		_, err := d.AddMember(ctx, l.ID, core.MemberAdd{})
		wantKind(t, err, core.InvalidArgument)
	})
	netWantEvents(t, d, l.ID, netEv("", "PENDING_CREATE"), netEv("PENDING_CREATE", "ACTIVE"))
}

// TestLoadBalancer_B3_4_5_Members adds and removes servers.
func TestLoadBalancer_B3_4_5_Members(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	s1, s2, s3 := netServer(t, d, "s1"), netServer(t, d, "s2"), netServer(t, d, "s3")
	other := netServerIn(t, d, core.CreateMeta{ProjectID: "proj-b", DatacenterID: "dc1"}, "other")
	far := netServerIn(t, d, core.CreateMeta{ProjectID: testProject, DatacenterID: "dc2"}, "far")
	l := netLB(t, d, testProject, "dc1") // listener on 8080
	bare, err := d.CreateLoadBalancer(ctx, core.LoadBalancerCreate{CreateMeta: meta(), Name: "bare"})
	if err != nil {
		t.Fatal(err)
	}
	addr := func(s core.Server) string { return netDevicePort(t, d, s.ID).FixedIP }
	adds := []struct {
		name    string
		lb      string
		m       core.MemberAdd
		want    core.Kind
		members []core.Member
	}{
		{name: "B.3.4.5 port of the first listener", lb: l.ID, m: core.MemberAdd{ServerID: s1.ID},
			members: []core.Member{{ServerID: s1.ID, Name: "s1", Address: addr(s1), Port: 8080}}},
		{name: "B.3.4.5 explicit port", lb: l.ID, m: core.MemberAdd{ServerID: s2.ID, Port: 9000},
			members: []core.Member{{ServerID: s1.ID, Name: "s1", Address: addr(s1), Port: 8080}, {ServerID: s2.ID, Name: "s2", Address: addr(s2), Port: 9000}}},
		{name: "B.3.4.5 port 80 without listeners", lb: bare.ID, m: core.MemberAdd{ServerID: s1.ID},
			members: []core.Member{{ServerID: s1.ID, Name: "s1", Address: addr(s1), Port: 80}}},
		{name: "B.3.4.5 already a member", lb: l.ID, m: core.MemberAdd{ServerID: s1.ID}, want: core.Conflict},
		{name: "B.3.4.5 port out of range", lb: l.ID, m: core.MemberAdd{ServerID: s3.ID, Port: 70000}, want: core.InvalidArgument},
		{name: "B.3.4.5 negative port", lb: l.ID, m: core.MemberAdd{ServerID: s3.ID, Port: -1}, want: core.InvalidArgument},
		{name: "B.3.4.5 server of another project", lb: l.ID, m: core.MemberAdd{ServerID: other.ID}, want: core.InvalidArgument},
		{name: "B.3.4.5 server in another datacenter", lb: l.ID, m: core.MemberAdd{ServerID: far.ID}, want: core.InvalidArgument},
	}
	for _, tc := range adds {
		t.Run(tc.name, func(t *testing.T) {
			before := eventsFor(d, tc.lb)
			got, err := d.AddMember(ctx, tc.lb, tc.m)
			wantKind(t, err, tc.want)
			if tc.want != core.KindUnknown {
				if !slices.Equal(eventsFor(d, tc.lb), before) {
					t.Fatal("a refused add emitted an event")
				}
				return
			}
			if got.Status != core.LBActive || !slices.Equal(got.Members, tc.members) {
				t.Fatalf("got %s %+v, want ACTIVE %+v", got.Status, got.Members, tc.members)
			}
			netWantEvents(t, d, tc.lb, append(before, netEv("ACTIVE", "PENDING_UPDATE"), netEv("PENDING_UPDATE", "ACTIVE"))...)
		})
	}
	removes := []struct {
		name    string
		m       core.MemberRemove
		want    core.Kind
		members []core.Member
	}{
		{name: "B.3.4.6 remove by address", m: core.MemberRemove{Address: addr(s2)},
			members: []core.Member{{ServerID: s1.ID, Name: "s1", Address: addr(s1), Port: 8080}}},
		{name: "B.3.4.6 remove the removed member", m: core.MemberRemove{ServerID: s2.ID}, want: core.InvalidArgument},
		{name: "B.3.4.6 remove by server", m: core.MemberRemove{ServerID: s1.ID}, members: []core.Member{}},
	}
	for _, tc := range removes {
		t.Run(tc.name, func(t *testing.T) {
			before := eventsFor(d, l.ID)
			got, err := d.RemoveMember(ctx, l.ID, tc.m)
			wantKind(t, err, tc.want)
			if tc.want != core.KindUnknown {
				return
			}
			if got.Status != core.LBActive || !slices.Equal(got.Members, tc.members) {
				t.Fatalf("got %s %+v, want %+v", got.Status, got.Members, tc.members)
			}
			netWantEvents(t, d, l.ID, append(before, netEv("ACTIVE", "PENDING_UPDATE"), netEv("PENDING_UPDATE", "ACTIVE"))...)
		})
	}
	t.Run("B.2.1.2 deleting a server removes it from every load balancer", func(t *testing.T) {
		if _, err := d.AddMember(ctx, l.ID, core.MemberAdd{ServerID: s3.ID}); err != nil {
			t.Fatal(err)
		}
		if err := d.DeleteServer(ctx, s1.ID); err != nil { // a member of bare
			t.Fatal(err)
		}
		got, err := d.GetLoadBalancer(ctx, bare.ID)
		if err != nil || len(got.Members) != 0 || got.Status != core.LBActive {
			t.Fatalf("bare after server delete: %+v %v", got, err)
		}
		if got, _ := d.GetLoadBalancer(ctx, l.ID); len(got.Members) != 1 || got.Members[0].ServerID != s3.ID {
			t.Fatalf("another server's membership changed: %+v", got.Members)
		}
	})
	t.Run("B.3.4.2 deleting a load balancer with members", func(t *testing.T) {
		wantKind(t, d.DeleteLoadBalancer(ctx, l.ID), core.KindUnknown)
		if _, err := d.GetLoadBalancer(ctx, l.ID); core.KindOf(err) != core.NotFound {
			t.Fatalf("after delete: %v", err)
		}
		// The member server is untouched.
		if s, err := d.GetServer(ctx, s3.ID); err != nil || s.Status != core.ServerActive {
			t.Fatalf("member server after load balancer delete: %+v %v", s.Status, err)
		}
	})
}

// TestLoadBalancer_B3_4_5_SteppedMembers: a load balancer is immutable while
// a member change is provisioned.
func TestLoadBalancer_B3_4_5_SteppedMembers(t *testing.T) {
	d, clock := newLBSteppedDriver(t)
	ctx := testCtx(t)
	s1, s2 := netServer(t, d, "s1"), netServer(t, d, "s2")
	l, err := d.CreateLoadBalancer(ctx, core.LoadBalancerCreate{CreateMeta: meta(), Name: "lb"})
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(lbStep)
	got, err := d.AddMember(ctx, l.ID, core.MemberAdd{ServerID: s1.ID})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != core.LBPendingUpdate || len(got.Members) != 1 {
		t.Fatalf("B.3.4.5 after add: %s %+v, want PENDING_UPDATE with the member", got.Status, got.Members)
	}
	tests := []struct {
		name string
		call func() error
	}{
		{"B.3.4.5 add while PENDING_UPDATE", func() error { _, err := d.AddMember(ctx, l.ID, core.MemberAdd{ServerID: s2.ID}); return err }},
		{"B.3.4.6 remove while PENDING_UPDATE", func() error {
			_, err := d.RemoveMember(ctx, l.ID, core.MemberRemove{ServerID: s1.ID})
			return err
		}},
		{"B.3.4.2 delete while PENDING_UPDATE", func() error { return d.DeleteLoadBalancer(ctx, l.ID) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { wantKind(t, tc.call(), core.Conflict) })
	}
	clock.Advance(lbStep)
	if s := lbStatus(t, d, l.ID); s != core.LBActive {
		t.Fatalf("B.3.4.5 after the latency %s, want ACTIVE", s)
	}
	if _, err := d.RemoveMember(ctx, l.ID, core.MemberRemove{ServerID: s1.ID}); err != nil {
		t.Fatal(err)
	}
	if s := lbStatus(t, d, l.ID); s != core.LBPendingUpdate {
		t.Fatalf("B.3.4.6 after remove %s, want PENDING_UPDATE", s)
	}
	clock.Advance(lbStep)
	netWantEvents(t, d, l.ID, netEv("", "PENDING_CREATE"), netEv("PENDING_CREATE", "ACTIVE"),
		netEv("ACTIVE", "PENDING_UPDATE"), netEv("PENDING_UPDATE", "ACTIVE"),
		netEv("ACTIVE", "PENDING_UPDATE"), netEv("PENDING_UPDATE", "ACTIVE"))
}

// TestLoadBalancer_B3_4_1_ResumesAfterRestart: a pending provisioning
// resumes after a restart from the state file, and the other network
// resources come back unchanged.
func TestLoadBalancer_B3_4_1_ResumesAfterRestart(t *testing.T) {
	path := t.TempDir() + "/state.json"
	cfg := TestConfig()
	cfg.StatePath = path
	cfg.Latencies = map[string]Duration{"lb.create": Duration(lbStep)}
	clock := NewManualClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	d, err := New(cfg, WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	l, err := d.CreateLoadBalancer(ctx, core.LoadBalancerCreate{CreateMeta: meta(), Name: "lb", Listeners: []core.Listener{{Protocol: "tcp", Port: 22}}})
	if err != nil {
		t.Fatal(err)
	}
	f, err := d.CreateFloatingIP(ctx, core.FloatingIPCreate{CreateMeta: meta(), FloatingNetworkID: externalNetworkID(t, d, "dc1"),
		PortID: netDevicePort(t, d, l.ID).ID})
	if err != nil {
		t.Fatal(err)
	}
	g := sgGroup(t, d, meta(), "g")
	rule, err := d.CreateSecurityGroupRule(ctx, core.SecurityGroupRuleCreate{GroupID: g.ID, Direction: "ingress", Protocol: "tcp",
		PortRangeMin: sgPort(22), PortRangeMax: sgPort(22)})
	if err != nil {
		t.Fatal(err)
	}
	r, err := d.CreateRouter(ctx, core.RouterCreate{CreateMeta: meta(), Name: "r"})
	if err != nil {
		t.Fatal(err)
	}
	if r, err = d.AddRouterInterface(ctx, r.ID, netPrivSubnet(t, d, "dc1").ID); err != nil {
		t.Fatal(err)
	}
	p := netPublicIP(t, d, "p")
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}

	d2, err := New(cfg, WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d2.Close() })
	if s := lbStatus(t, d2, l.ID); s != core.LBPendingCreate {
		t.Fatalf("after restart %s, want PENDING_CREATE", s)
	}
	clock.Advance(lbStep)
	if s := lbStatus(t, d2, l.ID); s != core.LBActive {
		t.Fatalf("after restart and the latency %s, want ACTIVE", s)
	}
	netWantEvents(t, d2, l.ID, netEv("", "PENDING_CREATE"), netEv("PENDING_CREATE", "ACTIVE"))
	if got, err := d2.GetFloatingIP(ctx, f.ID); err != nil || got.PortID != f.PortID || got.PortDetails == nil || *got.PortDetails != *f.PortDetails {
		t.Fatalf("floating IP after restart %+v %v", got, err)
	}
	if got, err := d2.GetSecurityGroup(ctx, g.ID); err != nil || len(got.Rules) != 3 || !sgEqual(got.Rules[2], rule) {
		t.Fatalf("security group after restart %+v %v", got, err)
	}
	if got, err := d2.GetRouter(ctx, r.ID); err != nil || !slices.Equal(got.Interfaces, r.Interfaces) {
		t.Fatalf("router after restart %+v %v", got, err)
	}
	if got, err := d2.GetPublicIP(ctx, p.ID); err != nil || got.Address != p.Address {
		t.Fatalf("public IP after restart %+v %v", got, err)
	}
	// Allocation still sees the restored addresses.
	again, err := d2.CreateFloatingIP(ctx, core.FloatingIPCreate{CreateMeta: meta(), FloatingNetworkID: externalNetworkID(t, d2, "dc1")})
	if err != nil || again.FloatingIP == f.FloatingIP || again.FloatingIP == p.Address {
		t.Fatalf("allocation after restart %+v %v", again, err)
	}
}
