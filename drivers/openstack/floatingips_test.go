package openstack

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/ports"

	"github.com/gisiaas/gisiaas/core"
)

func TestFloatingIPLifecycle(t *testing.T) {
	d := testDriver(t)
	ctx := testContext(t)
	w := watchEvents(t, d)
	ext, priv := netFixture(t, ctx, d)

	token := "fip-" + time.Now().UTC().Format("20060102T150405.000000")
	req := core.FloatingIPCreate{CreateMeta: core.CreateMeta{ProjectID: netTestProject, ClientToken: token,
		Tags: map[string]string{"purpose": "fip-test"}}, FloatingNetworkID: ext.ID}
	f, err := d.CreateFloatingIP(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.DeleteFloatingIP(testContext(t), f.ID) })
	if f.Status != core.NetDown || f.PortID != "" || f.PortDetails != nil || f.ProjectID != netTestProject ||
		f.Tags["purpose"] != "fip-test" || f.DatacenterID == "" || f.FloatingNetworkID != ext.ID || f.SubnetID != ext.Subnets[0].ID {
		t.Fatalf("created %+v", f)
	}
	if a, err := netip.ParseAddr(f.FloatingIP); err != nil || !netip.MustParsePrefix(ext.Subnets[0].CIDR).Contains(a) {
		t.Fatalf("address %q is not in %s", f.FloatingIP, ext.Subnets[0].CIDR)
	}
	again, err := d.CreateFloatingIP(ctx, req)
	if err != nil || again.ID != f.ID {
		t.Fatalf("create with the same client token: %s, %v; want %s", again.ID, err, f.ID)
	}
	if ev := w.waitTo(t, ctx, core.TypeFloatingIP, f.ID, string(core.NetDown)); ev.FromState != "" || ev.ProjectID != netTestProject {
		t.Errorf("first event %+v, want from \"\" in project %s", ev, netTestProject)
	}

	// Floating and public IPs stay apart.
	_, err = d.GetPublicIP(ctx, f.ID)
	wantKind(t, "a floating IP asked as a public IP", err, core.NotFound)
	pubs, err := d.ListPublicIPs(ctx, core.ListOptions{ProjectID: netTestProject})
	if err != nil || slices.ContainsFunc(pubs, func(p core.PublicIP) bool { return p.ID == f.ID }) {
		t.Errorf("public IPs list the floating IP (%v)", err)
	}
	fs, err := d.ListFloatingIPs(ctx, core.ListOptions{ProjectID: netTestProject})
	if err != nil || !slices.ContainsFunc(fs, func(x core.FloatingIP) bool {
		return x.ID == f.ID && x.FloatingIP == f.FloatingIP && x.SubnetID == f.SubnetID
	}) {
		t.Errorf("the project's list lacks %s (%v)", f.ID, err)
	}
	fs, err = d.ListFloatingIPs(ctx, core.ListOptions{ProjectID: "nettest-nobody"})
	if err != nil || len(fs) != 0 {
		t.Errorf("a project with no OpenStack project lists %d floating IPs (%v)", len(fs), err)
	}

	// Associate with a port of the private network (router1 routes it to
	// the external one), then dissociate.
	osProj, _, err := d.projects.find(ctx, netTestProject)
	if err != nil {
		t.Fatal(err)
	}
	port, err := ports.Create(ctx, d.admin.network, ports.CreateOpts{Name: "fip-test", NetworkID: priv.ID, ProjectID: osProj}).Extract()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ports.Delete(testContext(t), d.admin.network, port.ID).ExtractErr() })
	_, err = d.UpdateFloatingIP(ctx, f.ID, core.FloatingIPUpdate{PortID: "no-such-port"})
	wantKind(t, "associate with an unknown port", err, core.InvalidArgument)
	g, err := d.UpdateFloatingIP(ctx, f.ID, core.FloatingIPUpdate{PortID: port.ID})
	if err != nil {
		t.Fatal(err)
	}
	if g.PortID != port.ID || g.FixedIP != port.FixedIPs[0].IPAddress || g.Status != core.NetActive ||
		g.PortDetails == nil || g.PortDetails.NetworkID != priv.ID || g.PortDetails.MACAddress != port.MACAddress {
		t.Fatalf("associated: %+v (port details %+v)", g, g.PortDetails)
	}
	if ev := w.waitTo(t, ctx, core.TypeFloatingIP, f.ID, string(core.NetActive)); ev.FromState != string(core.NetDown) {
		t.Errorf("association event %+v, want DOWN → ACTIVE", ev)
	}
	g, err = d.UpdateFloatingIP(ctx, f.ID, core.FloatingIPUpdate{})
	if err != nil || g.PortID != "" || g.PortDetails != nil || g.FixedIP != "" || g.Status != core.NetDown {
		t.Fatalf("dissociated: %+v, %v", g, err)
	}
	waitFor(t, ctx, "an ACTIVE → DOWN event", func() (bool, error) {
		w.mu.Lock()
		defer w.mu.Unlock()
		return slices.ContainsFunc(w.evs, func(ev core.Event) bool {
			return ev.ResourceID == f.ID && ev.FromState == string(core.NetActive) && ev.ToState == string(core.NetDown)
		}), nil
	})

	if err := d.DeleteFloatingIP(ctx, f.ID); err != nil {
		t.Fatal(err)
	}
	_, err = d.GetFloatingIP(ctx, f.ID)
	wantKind(t, "show a deleted floating IP", err, core.NotFound)
	wantKind(t, "delete it again", d.DeleteFloatingIP(ctx, f.ID), core.NotFound)
	w.waitTo(t, ctx, core.TypeFloatingIP, f.ID, string(core.NetDeleted))
}

func TestFloatingIPInvalid(t *testing.T) {
	d := testDriver(t)
	ctx := testContext(t)
	ext, priv := netFixture(t, ctx, d)
	m := core.CreateMeta{ProjectID: netTestProject}
	for name, req := range map[string]core.FloatingIPCreate{
		"unknown network":         {CreateMeta: m, FloatingNetworkID: "no-such-network"},
		"private network":         {CreateMeta: m, FloatingNetworkID: priv.ID},
		"fixed address, no port":  {CreateMeta: m, FloatingNetworkID: ext.ID, FixedIP: "10.0.0.10"},
		"unknown port":            {CreateMeta: m, FloatingNetworkID: ext.ID, PortID: "no-such-port"},
		"address outside the net": {CreateMeta: m, FloatingNetworkID: ext.ID, FloatingIP: "192.0.2.7"},
	} {
		f, err := d.CreateFloatingIP(ctx, req)
		if err == nil {
			_ = d.DeleteFloatingIP(ctx, f.ID)
		}
		wantKind(t, name, err, core.InvalidArgument)
	}
	_, err := d.GetFloatingIP(ctx, "no-such-fip")
	wantKind(t, "show unknown", err, core.NotFound)
	_, err = d.UpdateFloatingIP(ctx, "no-such-fip", core.FloatingIPUpdate{})
	wantKind(t, "update unknown", err, core.NotFound)
}

// The state of a floating or public IP is its association; Neutron's own
// status (DOWN without an L3 agent) is kept native, its ERROR passed on.
func TestFloatingIPState(t *testing.T) {
	for _, c := range []struct {
		native, port string
		want         core.NetStatus
	}{
		{"DOWN", "", core.NetDown},
		{"DOWN", "p", core.NetActive}, // associated, no L3 agent wired it
		{"ACTIVE", "p", core.NetActive},
		{"ACTIVE", "", core.NetDown}, // dissociated, the agent not caught up
		{"ERROR", "p", core.NetError},
		{"SOMETHING_NEW", "p", core.NetUnknown},
	} {
		if got := fipState(neutronFIP{Status: c.native, PortID: c.port}); got != c.want {
			t.Errorf("status %s, port %q: %s, want %s", c.native, c.port, got, c.want)
		}
	}
}
