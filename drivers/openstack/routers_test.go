package openstack

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

func TestRouterLifecycle(t *testing.T) {
	d := testDriver(t)
	ctx := testContext(t)
	w := watchEvents(t, d)
	ext, priv := netFixture(t, ctx, d)
	sub := priv.Subnets[0]

	// In the service credential's own project (gisiaas project ""), which
	// owns the private network.
	token := "rt-" + time.Now().UTC().Format("20060102T150405.000000")
	req := core.RouterCreate{CreateMeta: core.CreateMeta{ClientToken: token, Tags: map[string]string{"purpose": "router-test"}},
		Name: "router-test", ExternalNetworkID: ext.ID}
	r, err := d.CreateRouter(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := testContext(t)
		if g, err := d.GetRouter(ctx, r.ID); err == nil {
			for _, i := range g.Interfaces {
				_, _ = d.RemoveRouterInterface(ctx, r.ID, i.SubnetID)
			}
			_ = d.DeleteRouter(ctx, r.ID)
		}
	})
	if r.Name != "router-test" || r.ExternalNetworkID != ext.ID || r.Interfaces == nil || r.Tags["purpose"] != "router-test" || r.Status != core.NetActive {
		t.Fatalf("created %+v", r)
	}
	if again, err := d.CreateRouter(ctx, req); err != nil || again.ID != r.ID {
		t.Fatalf("create with the same client token: %s, %v; want %s", again.ID, err, r.ID)
	}
	if ev := w.waitTo(t, ctx, core.TypeRouter, r.ID, string(core.NetActive)); ev.FromState != "" || ev.Attributes.Name != "router-test" {
		t.Errorf("create event %+v", ev)
	}

	// router1 holds the subnet's gateway: the interface gets another address.
	g, err := d.AddRouterInterface(ctx, r.ID, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(g.Interfaces, func(x core.RouterInterface) bool { return x.SubnetID == sub.ID })
	if i < 0 || g.Interfaces[i].PortID == "" {
		t.Fatalf("interfaces %+v lack subnet %s", g.Interfaces, sub.ID)
	}
	if a, err := netip.ParseAddr(g.Interfaces[i].IPAddress); err != nil || !netip.MustParsePrefix(sub.CIDR).Contains(a) {
		t.Errorf("interface address %q not in %s", g.Interfaces[i].IPAddress, sub.CIDR)
	}
	_, err = d.AddRouterInterface(ctx, r.ID, sub.ID)
	wantKind(t, "the same subnet again", err, core.Conflict)
	wantKind(t, "delete a router with an interface", d.DeleteRouter(ctx, r.ID), core.Conflict)
	rs, err := d.ListRouters(ctx, core.ListOptions{})
	if j := slices.IndexFunc(rs, func(x core.Router) bool { return x.ID == r.ID }); err != nil || j < 0 || len(rs[j].Interfaces) != 1 {
		t.Errorf("list: %v, router %s with one interface missing", err, r.ID)
	}
	g, err = d.RemoveRouterInterface(ctx, r.ID, sub.ID)
	if err != nil || len(g.Interfaces) != 0 {
		t.Fatalf("remove interface: %+v, %v", g.Interfaces, err)
	}
	_, err = d.RemoveRouterInterface(ctx, r.ID, sub.ID)
	wantKind(t, "remove a subnet that is no interface", err, core.InvalidArgument)
	_, err = d.AddRouterInterface(ctx, r.ID, ext.Subnets[0].ID)
	wantKind(t, "an external subnet as an interface", err, core.InvalidArgument)
	_, err = d.AddRouterInterface(ctx, r.ID, "no-such-subnet")
	wantKind(t, "an unknown subnet", err, core.InvalidArgument)

	if err := d.DeleteRouter(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	_, err = d.GetRouter(ctx, r.ID)
	wantKind(t, "show a deleted router", err, core.NotFound)
	if ev := w.waitTo(t, ctx, core.TypeRouter, r.ID, string(core.NetDeleted)); ev.FromState != string(core.NetActive) {
		t.Errorf("delete event %+v", ev)
	}
}

func TestRouterInvalid(t *testing.T) {
	d := testDriver(t)
	ctx := testContext(t)
	_, priv := netFixture(t, ctx, d)
	for name, req := range map[string]core.RouterCreate{
		"private network as gateway": {Name: "router-bad", ExternalNetworkID: priv.ID},
		"unknown gateway network":    {Name: "router-bad", ExternalNetworkID: "no-such-network"},
		"no name":                    {},
	} {
		req.ProjectID = netTestProject
		r, err := d.CreateRouter(ctx, req)
		if err == nil {
			_ = d.DeleteRouter(ctx, r.ID)
		}
		wantKind(t, name, err, core.InvalidArgument)
	}
	_, err := d.GetRouter(ctx, "no-such-router")
	wantKind(t, "show unknown", err, core.NotFound)
	wantKind(t, "delete unknown", d.DeleteRouter(ctx, "no-such-router"), core.NotFound)

	// Another project's private subnet is not this router's to use.
	r, err := d.CreateRouter(ctx, core.RouterCreate{CreateMeta: core.CreateMeta{ProjectID: netTestProject}, Name: "router-foreign"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.DeleteRouter(testContext(t), r.ID) })
	if !priv.Shared {
		_, err = d.AddRouterInterface(ctx, r.ID, priv.Subnets[0].ID)
		wantKind(t, "another project's private subnet", err, core.InvalidArgument)
	}
	rs, err := d.ListRouters(ctx, core.ListOptions{ProjectID: netTestProject})
	if err != nil || !slices.ContainsFunc(rs, func(x core.Router) bool { return x.ID == r.ID && x.ExternalNetworkID == "" }) {
		t.Errorf("the project's list lacks router %s without gateway (%v)", r.ID, err)
	}
}
