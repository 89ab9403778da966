package openstack

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// netTestProject is the gisiaas project the network tests create in (an
// OpenStack project gisiaas-nettest, made once and kept).
const netTestProject = "nettest"

// netFixture is the CI cloud's external and private networks.
func netFixture(t *testing.T, ctx context.Context, d *Driver) (ext, priv core.Network) {
	t.Helper()
	ns, err := d.ListNetworks(ctx, core.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ns {
		switch {
		case n.External && ext.ID == "":
			ext = n
		case !n.External && n.Name == "private":
			priv = n
		}
	}
	if ext.ID == "" || priv.ID == "" || len(priv.Subnets) == 0 {
		t.Fatalf("the cloud has no external network or no private network with a subnet: %+v", ns)
	}
	return ext, priv
}

func TestNetworkList(t *testing.T) {
	d := testDriver(t)
	ctx := testContext(t)
	ext, priv := netFixture(t, ctx, d)
	if ext.Name != "public" || len(ext.Subnets) != 1 || ext.Subnets[0].CIDR != "203.0.113.0/24" || ext.Status != core.NetActive {
		t.Errorf("external network %+v, want public with 203.0.113.0/24, ACTIVE", ext)
	}
	if priv.Subnets[0].CIDR != "10.0.0.0/24" || priv.Subnets[0].NetworkID != priv.ID || priv.Subnets[0].IPVersion != 4 {
		t.Errorf("private network subnets %+v", priv.Subnets)
	}
	if priv.DatacenterID == "" || priv.CreatedAt.Location() != time.UTC {
		t.Errorf("private network meta %+v: want a datacenter and UTC times", priv.Meta)
	}
	g, err := d.GetNetwork(ctx, priv.ID)
	if err != nil || g.ID != priv.ID || len(g.Subnets) != len(priv.Subnets) {
		t.Fatalf("GetNetwork: %+v, %v", g, err)
	}
	_, err = d.GetNetwork(ctx, "no-such-network")
	wantKind(t, "GetNetwork of an unknown id", err, core.NotFound)

	// A project with no OpenStack project yet sees the external network
	// only (the private one is the admin's and not shared), and listing
	// creates no project.
	stranger := "nettest-stranger-" + time.Now().UTC().Format("150405.000000")
	ns, err := d.ListNetworks(ctx, core.ListOptions{ProjectID: stranger})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ns {
		if !n.External && !n.Shared {
			t.Errorf("project %s lists network %s (%s), neither shared nor external", stranger, n.Name, n.ID)
		}
	}
	if len(ns) == 0 {
		t.Errorf("project %s lists no network; the external one is everyone's", stranger)
	}
	if _, ok, err := d.projects.find(ctx, stranger); err != nil || ok {
		t.Errorf("listing created a project for %s (%v, %v)", stranger, ok, err)
	}
	ns, err = d.ListNetworks(ctx, core.ListOptions{DatacenterID: "no-such-dc"})
	if err != nil || len(ns) != 0 {
		t.Errorf("networks of an unknown datacenter: %d, %v", len(ns), err)
	}

	ps, err := d.ListPorts(ctx, core.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	routerPort := false
	for _, p := range ps {
		routerPort = routerPort || (p.NetworkID == priv.ID && p.FixedIP == priv.Subnets[0].GatewayIP)
	}
	if !routerPort {
		t.Errorf("no port holds the private subnet's gateway %s (router1's interface)", priv.Subnets[0].GatewayIP)
	}
	ps, err = d.ListPorts(ctx, core.ListOptions{ProjectID: stranger})
	if err != nil || len(ps) != 0 {
		t.Errorf("ports of a project with none: %d, %v", len(ps), err)
	}
}

// Neutron's timestamps, with a zone or without (older releases), in UTC.
func TestNetworkNeutronTime(t *testing.T) {
	var v struct {
		A, B, C neutronTime
	}
	if err := json.Unmarshal([]byte(`{"A":"2026-12-07T09:40:00Z","B":"2026-12-07T10:40:00+01:00","C":"2026-12-07T09:40:00"}`), &v); err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 12, 7, 9, 40, 0, 0, time.UTC)
	for i, got := range []time.Time{v.A.utc(), v.B.utc(), v.C.utc()} {
		if !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("%d: %v, want %v UTC", i, got, want)
		}
	}
	if got := netChanged(v.A, neutronTime{}); !got.Equal(want) {
		t.Errorf("no updated_at: %v, want created_at", got)
	}
}
