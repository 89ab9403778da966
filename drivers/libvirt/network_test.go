package libvirt

import (
	"net/netip"
	"testing"

	"github.com/gisiaas/gisiaas/core"
)

func TestNetworks_ListAndAddresses(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	ns, err := d.ListNetworks(ctx, core.ListOptions{DatacenterID: "default"})
	if err != nil || len(ns) != 1 {
		t.Fatalf("ListNetworks: %+v %v", ns, err)
	}
	n := ns[0]
	if n.ID != "default" || n.External || n.Status != core.NetActive || len(n.Subnets) != 1 ||
		n.Subnets[0].CIDR != "192.168.122.0/24" || n.Subnets[0].GatewayIP != "192.168.122.1" {
		t.Fatalf("network %+v", n)
	}
	_, err = d.ListNetworks(ctx, core.ListOptions{DatacenterID: "nowhere"})
	wantKind(t, "an unknown datacenter", err, core.InvalidArgument)

	a := newServer(t, d, "net", "a")
	b := newServer(t, d, "net", "b")
	ipA, ipB := a.Addresses[0].Address, b.Addresses[0].Address
	if ipA == ipB {
		t.Fatalf("two servers got %s", ipA)
	}
	pfx := netip.MustParsePrefix(n.Subnets[0].CIDR)
	for _, ip := range []string{ipA, ipB} {
		if !pfx.Contains(netip.MustParseAddr(ip)) || ip == "192.168.122.1" {
			t.Fatalf("address %s is not a host of %s", ip, pfx)
		}
	}
	_, err = d.CreateServer(ctx, core.ServerCreate{CreateMeta: meta("net"), Name: "dup", FlavorID: "m1.tiny", ImageID: "base",
		Networks: []core.NetworkAttachment{{NetworkID: "default", FixedIP: ipA}}})
	wantKind(t, "a fixed IP in use", err, core.Conflict)
	_, err = d.CreateServer(ctx, core.ServerCreate{CreateMeta: meta("net"), Name: "nonet", FlavorID: "m1.tiny", ImageID: "base",
		Networks: []core.NetworkAttachment{{NetworkID: "nowhere"}}})
	wantKind(t, "an unknown network", err, core.InvalidArgument)
	ports, err := d.ListPorts(ctx, core.ListOptions{ProjectID: "net"})
	if err != nil || len(ports) != 2 || ports[0].SubnetID != n.Subnets[0].ID || ports[0].DeviceID != a.ID || ports[0].FixedIP != ipA {
		t.Fatalf("ListPorts: %+v %v", ports, err)
	}
}
