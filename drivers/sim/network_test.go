package sim

import (
	"net/netip"
	"testing"

	"github.com/gisiaas/gisiaas/core"
)

func TestNetworks_B3_1_1_List(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	all, err := d.ListNetworks(ctx, core.ListOptions{})
	wantKind(t, err, core.KindUnknown)
	if len(all) != 4 {
		t.Fatalf("%d networks", len(all))
	}
	dc1, _ := d.ListNetworks(ctx, core.ListOptions{DatacenterID: "dc1", ProjectID: testProject})
	if len(dc1) != 2 {
		t.Fatalf("%+v", dc1)
	}
	for _, n := range dc1 {
		if len(n.Subnets) != 1 || n.Subnets[0].NetworkID != n.ID || n.Subnets[0].ID == "" || n.Subnets[0].Name == "" || n.DatacenterID != "dc1" {
			t.Fatalf("%+v", n)
		}
		want := "10.0.0.0/16"
		if n.External {
			want = "198.18.0.0/24"
		}
		if n.Subnets[0].CIDR != want {
			t.Fatalf("network %s has %s, want %s", n.Name, n.Subnets[0].CIDR, want)
		}
	}
	got, err := d.GetNetwork(ctx, dc1[0].ID)
	wantKind(t, err, core.KindUnknown)
	if got.ID != dc1[0].ID || got.Name != dc1[0].Name {
		t.Fatalf("%+v", got)
	}
	_, err = d.GetNetwork(ctx, "nope")
	wantKind(t, err, core.NotFound)
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
}

func TestNetworks_AddressAllocation(t *testing.T) {
	d := newTestDriver(t)
	d.mu.Lock()
	defer d.mu.Unlock()
	sub := &core.Subnet{ID: "s29", CIDR: "192.0.2.0/29", GatewayIP: "192.0.2.1", IPVersion: 4}
	d.st.Networks["n29"] = &core.Network{ID: "n29", Meta: core.Meta{DatacenterID: "dc1"}, Subnets: []core.Subnet{*sub}}
	n := d.st.Networks["n29"]
	cases := []struct {
		want string
		kind core.Kind
	}{
		{"192.0.2.0", core.InvalidArgument}, // the network address
		{"192.0.2.1", core.InvalidArgument}, // the gateway
		{"192.0.2.7", core.InvalidArgument}, // broadcast
		{"192.0.2.9", core.InvalidArgument}, // outside
		{"bogus", core.InvalidArgument},
		{"192.0.2.5", core.KindUnknown},
	}
	for _, c := range cases {
		_, err := d.createPort("test", "fixed_ip", n, "", c.want, "dev", "")
		wantKind(t, err, c.kind)
	}
	_, err := d.createPort("test", "fixed_ip", n, "", "192.0.2.5", "dev", "")
	wantKind(t, err, core.Conflict) // taken now
	var got []string
	for {
		p, err := d.createPort("test", "fixed_ip", n, "", "", "dev", "")
		if err != nil {
			wantKind(t, err, core.QuotaExceeded) // the /29 is exhausted
			break
		}
		got = append(got, p.FixedIP)
	}
	want := []string{"192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.6"}
	if len(got) != len(want) {
		t.Fatalf("allocated %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] || !netip.MustParsePrefix(sub.CIDR).Contains(netip.MustParseAddr(got[i])) {
			t.Fatalf("allocated %v, want %v", got, want)
		}
	}
}
