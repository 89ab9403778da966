package openstack

import (
	"context"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/flavors"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	"github.com/gophercloud/gophercloud/v2/openstack/image/v2/images"
	"github.com/gophercloud/gophercloud/v2/openstack/loadbalancer/v2/listeners"
	"github.com/gophercloud/gophercloud/v2/openstack/loadbalancer/v2/loadbalancers"
	"github.com/gophercloud/gophercloud/v2/openstack/loadbalancer/v2/pools"

	"github.com/gisiaas/gisiaas/core"
)

// netTestServer boots an m1.tiny server of image "tiny" on network in the
// service credential's own project (gisiaas project ""), waits until it is
// ACTIVE, and deletes it when the test ends. It returns the server and its
// address on the network.
func netTestServer(t *testing.T, ctx context.Context, d *Driver, network string) (string, string) {
	t.Helper()
	fpages, err := flavors.ListDetail(d.admin.compute, nil).AllPages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := flavors.ExtractFlavors(fpages)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(fs, func(f flavors.Flavor) bool { return f.Name == "m1.tiny" })
	ipages, err := images.List(d.admin.image, images.ListOpts{Name: "tiny"}).AllPages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ims, err := images.ExtractImages(ipages)
	if err != nil || i < 0 || len(ims) == 0 {
		t.Fatalf("flavor m1.tiny or image tiny missing (%v)", err)
	}
	s, err := servers.Create(ctx, d.admin.compute, servers.CreateOpts{Name: "net-test-" + t.Name(), FlavorRef: fs[i].ID,
		ImageRef: ims[0].ID, Networks: []servers.Network{{UUID: network}}}, nil).Extract()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := testContext(t)
		_ = servers.Delete(ctx, d.admin.compute, s.ID).ExtractErr()
		waitFor(t, ctx, "server "+s.ID+" gone", func() (bool, error) {
			_, err := servers.Get(ctx, d.admin.compute, s.ID).Extract()
			return core.KindOf(classify("", err)) == core.NotFound, nil
		})
	})
	waitFor(t, ctx, "server "+s.ID+" ACTIVE", func() (bool, error) {
		g, err := servers.Get(ctx, d.admin.compute, s.ID).Extract()
		if err != nil {
			return false, err
		}
		if g.Status == "ERROR" {
			t.Fatalf("server %s went to ERROR: %+v", s.ID, g.Fault)
		}
		return g.Status == "ACTIVE", nil
	})
	ps, err := d.netServerPorts(ctx, s.ID)
	if err != nil || len(ps) == 0 {
		t.Fatalf("server %s has no port (%v)", s.ID, err)
	}
	return s.ID, ps[0].FixedIPs[0].IPAddress
}

// netLBActive waits until load balancer id is ACTIVE and returns it.
func netLBActive(t *testing.T, ctx context.Context, d *Driver, id string) core.LoadBalancer {
	t.Helper()
	var l core.LoadBalancer
	waitFor(t, ctx, "load balancer "+id+" ACTIVE", func() (bool, error) {
		var err error
		l, err = d.GetLoadBalancer(ctx, id)
		if err == nil && l.Status == core.LBError {
			t.Fatalf("load balancer %s went to ERROR", id)
		}
		return err == nil && l.Status == core.LBActive, err
	})
	return l
}

func TestLoadBalancerLifecycle(t *testing.T) {
	d := testDriver(t)
	if d.admin.lb == nil {
		t.Skip("the cloud has no Octavia")
	}
	ctx := testContext(t)
	w := watchEvents(t, d)
	ext, priv := netFixture(t, ctx, d)
	sub := priv.Subnets[0]

	token := "lb-" + time.Now().UTC().Format("20060102T150405.000000")
	req := core.LoadBalancerCreate{CreateMeta: core.CreateMeta{ClientToken: token, Tags: map[string]string{"purpose": "lb-test"}},
		Name: "lb-test", Description: "a test load balancer", SubnetID: sub.ID, Listeners: []core.Listener{{Protocol: "tcp", Port: 80}}}
	l, err := d.CreateLoadBalancer(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := testContext(t)
		if _, err := d.GetLoadBalancer(ctx, l.ID); err == nil {
			_ = d.lbSettle(ctx, "cleanup", l.ID)
			_ = d.DeleteLoadBalancer(ctx, l.ID)
		}
	})
	if l.Name != "lb-test" || l.Description != "a test load balancer" || l.SubnetID != sub.ID || l.Tags["purpose"] != "lb-test" {
		t.Fatalf("created %+v", l)
	}
	if again, err := d.CreateLoadBalancer(ctx, req); err != nil || again.ID != l.ID {
		t.Fatalf("create with the same client token: %s, %v; want %s", again.ID, err, l.ID)
	}
	a := netLBActive(t, ctx, d, l.ID)
	if len(a.Listeners) != 1 || a.Listeners[0].Protocol != "TCP" || a.Listeners[0].Port != 80 || a.Listeners[0].ID == "" || a.Members == nil {
		t.Fatalf("listeners %+v members %v", a.Listeners, a.Members)
	}
	// Octavia's no-op network driver makes up the VIP: an address it is.
	if _, err := netip.ParseAddr(a.VIPAddress); err != nil {
		t.Errorf("VIP %q is not an address", a.VIPAddress)
	}
	if ev := w.waitTo(t, ctx, core.TypeLoadBalancer, l.ID, string(core.LBPendingCreate)); ev.FromState != "" || ev.Attributes.Name != "lb-test" {
		t.Errorf("create event %+v", ev)
	}
	if ev := w.waitTo(t, ctx, core.TypeLoadBalancer, l.ID, string(core.LBActive)); ev.FromState != string(core.LBPendingCreate) {
		t.Errorf("built event %+v, want PENDING_CREATE → ACTIVE", ev)
	}
	ls, err := d.ListLoadBalancers(ctx, core.ListOptions{})
	if i := slices.IndexFunc(ls, func(x core.LoadBalancer) bool { return x.ID == l.ID }); err != nil || i < 0 || len(ls[i].Listeners) != 1 {
		t.Errorf("list lacks %s with its listener (%v)", l.ID, err)
	}

	_, err = d.AddMember(ctx, "no-such-lb", core.MemberAdd{ServerID: "no-such-server"})
	wantKind(t, "a member of an unknown load balancer", err, core.NotFound)
	_, err = d.AddMember(ctx, l.ID, core.MemberAdd{ServerID: "no-such-server"})
	wantKind(t, "an unknown server as member", err, core.InvalidArgument)

	server, addr := netTestServer(t, ctx, d, priv.ID)
	if _, err := d.AddMember(ctx, l.ID, core.MemberAdd{ServerID: server}); err != nil {
		t.Fatal(err)
	}
	a = netLBActive(t, ctx, d, l.ID)
	if len(a.Members) != 1 || a.Members[0].ServerID != server || a.Members[0].Address != addr || a.Members[0].Port != 80 {
		t.Fatalf("members %+v, want server %s at %s:80", a.Members, server, addr)
	}
	_, err = d.AddMember(ctx, l.ID, core.MemberAdd{ServerID: server})
	wantKind(t, "the same member again", err, core.Conflict)
	_, err = d.RemoveMember(ctx, l.ID, core.MemberRemove{ServerID: server, Address: addr})
	wantKind(t, "remove by server and address", err, core.InvalidArgument)
	if _, err := d.RemoveMember(ctx, l.ID, core.MemberRemove{Address: addr}); err != nil {
		t.Fatal(err)
	}
	if a = netLBActive(t, ctx, d, l.ID); len(a.Members) != 0 {
		t.Fatalf("members %+v after removal", a.Members)
	}
	_, err = d.RemoveMember(ctx, l.ID, core.MemberRemove{ServerID: server})
	wantKind(t, "remove a server that is no member", err, core.InvalidArgument)

	if err := d.DeleteLoadBalancer(ctx, l.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "load balancer gone", func() (bool, error) {
		_, err := d.GetLoadBalancer(ctx, l.ID)
		return core.KindOf(err) == core.NotFound, nil
	})
	w.waitTo(t, ctx, core.TypeLoadBalancer, l.ID, string(core.LBDeleted))
	wantKind(t, "delete unknown", d.DeleteLoadBalancer(ctx, "no-such-lb"), core.NotFound)

	for name, bad := range map[string]core.LoadBalancerCreate{
		"no name":         {Listeners: []core.Listener{{Protocol: "TCP", Port: 80}}},
		"unknown subnet":  {Name: "lb-bad", SubnetID: "no-such-subnet"},
		"external subnet": {Name: "lb-bad", SubnetID: ext.Subnets[0].ID},
		"bad protocol":    {Name: "lb-bad", Listeners: []core.Listener{{Protocol: "GOPHER", Port: 70}}},
		"TLS termination": {Name: "lb-bad", Listeners: []core.Listener{{Protocol: "TERMINATED_HTTPS", Port: 443}}},
	} {
		x, err := d.CreateLoadBalancer(ctx, bad)
		if err == nil {
			_ = d.DeleteLoadBalancer(ctx, x.ID)
		}
		wantKind(t, name, err, core.InvalidArgument)
	}
	_, err = d.GetLoadBalancer(ctx, "no-such-lb")
	wantKind(t, "show unknown", err, core.NotFound)
}

// A load balancer without listeners sits on the project's first private
// subnet, and its first member gets a pool of its own at port 80.
func TestLoadBalancerWithoutListeners(t *testing.T) {
	d := testDriver(t)
	if d.admin.lb == nil {
		t.Skip("the cloud has no Octavia")
	}
	ctx := testContext(t)
	_, priv := netFixture(t, ctx, d)
	l, err := d.CreateLoadBalancer(ctx, core.LoadBalancerCreate{Name: "lb-bare"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := testContext(t)
		if _, err := d.GetLoadBalancer(ctx, l.ID); err == nil {
			_ = d.lbSettle(ctx, "cleanup", l.ID)
			_ = d.DeleteLoadBalancer(ctx, l.ID)
		}
	})
	if !slices.ContainsFunc(priv.Subnets, func(s core.Subnet) bool { return s.ID == l.SubnetID }) {
		t.Errorf("subnet %s, want the private network's", l.SubnetID)
	}
	if a := netLBActive(t, ctx, d, l.ID); len(a.Listeners) != 0 || len(a.Members) != 0 {
		t.Fatalf("listeners %+v members %+v", a.Listeners, a.Members)
	}
	server, addr := netTestServer(t, ctx, d, priv.ID)
	if _, err := d.AddMember(ctx, l.ID, core.MemberAdd{ServerID: server, Port: 8080}); err != nil {
		t.Fatal(err)
	}
	a := netLBActive(t, ctx, d, l.ID)
	if len(a.Members) != 1 || a.Members[0].ServerID != server || a.Members[0].Address != addr || a.Members[0].Port != 8080 {
		t.Fatalf("members %+v, want server %s at %s:8080", a.Members, server, addr)
	}
	if _, err := d.RemoveMember(ctx, l.ID, core.MemberRemove{ServerID: server}); err != nil {
		t.Fatal(err)
	}
	if a = netLBActive(t, ctx, d, l.ID); len(a.Members) != 0 {
		t.Fatalf("members %+v after removal", a.Members)
	}
}

// The build's steps, offline: each listener asked for, then its pool, then
// waiting for Octavia's ACTIVE everywhere.
func TestLoadBalancerBuildSteps(t *testing.T) {
	l := loadbalancers.LoadBalancer{ID: "lb", Tags: []string{"gisiaas:dc=nova", lbListenersKey + "TCP:80,UDP:53"}}
	if w := lbWanted(l); len(w) != 2 || w[0] != (core.Listener{Protocol: "TCP", Port: 80}) || w[1] != (core.Listener{Protocol: "UDP", Port: 53}) {
		t.Fatalf("wanted %+v", w)
	}
	var p lbParts
	if want, listener, done := lbNextStep(l, p); done || listener != "" || want.Port != 80 {
		t.Fatalf("first step: %+v %q %v, want listener TCP:80", want, listener, done)
	}
	p.listeners = []listeners.Listener{{ID: "l80", Protocol: "TCP", ProtocolPort: 80, ProvisioningStatus: "ACTIVE"}}
	if want, listener, done := lbNextStep(l, p); done || listener != "l80" || want.Port != 80 {
		t.Fatalf("second step: %+v %q %v, want the pool of l80", want, listener, done)
	}
	p.listeners[0].DefaultPoolID = "p80"
	p.pools = []pools.Pool{{ID: "p80", ProvisioningStatus: "PENDING_CREATE"}}
	if want, _, done := lbNextStep(l, p); done || want.Port != 53 {
		t.Fatalf("third step: %+v %v, want listener UDP:53", want, done)
	}
	p.listeners = append(p.listeners, listeners.Listener{ID: "l53", Protocol: "UDP", ProtocolPort: 53, DefaultPoolID: "p53", ProvisioningStatus: "ACTIVE"})
	p.pools = append(p.pools, pools.Pool{ID: "p53", ProvisioningStatus: "ACTIVE"})
	if want, _, done := lbNextStep(l, p); done || want.Protocol != "" {
		t.Fatalf("all made, a pool PENDING_CREATE: %+v %v, want waiting", want, done)
	}
	p.pools[0].ProvisioningStatus = "ACTIVE"
	if _, _, done := lbNextStep(l, p); !done {
		t.Fatal("all made and ACTIVE: not done")
	}
	if _, _, done := lbNextStep(loadbalancers.LoadBalancer{ID: "bare"}, lbParts{}); !done {
		t.Fatal("a load balancer asked without listeners is built at once")
	}
}
