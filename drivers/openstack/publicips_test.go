package openstack

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

func TestPublicIPLifecycle(t *testing.T) {
	d := testDriver(t)
	ctx := testContext(t)
	w := watchEvents(t, d)
	_, priv := netFixture(t, ctx, d)

	// In the service credential's own project (gisiaas project ""), whose
	// servers can use the private network.
	token := "pip-" + time.Now().UTC().Format("20060102T150405.000000")
	req := core.PublicIPCreate{CreateMeta: core.CreateMeta{ClientToken: token, Tags: map[string]string{"purpose": "pip-test"}}, Name: "pip-test"}
	p, err := d.CreatePublicIP(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := testContext(t)
		if g, err := d.GetPublicIP(ctx, p.ID); err == nil && g.PrivateIP != "" {
			_, _ = d.UnbindPublicIP(ctx, p.ID, core.PublicIPBinding{PrivateIP: g.PrivateIP})
		}
		_ = d.DeletePublicIP(ctx, p.ID)
	})
	if p.Name != "pip-test" || p.Status != core.NetDown || p.ServerID != "" || p.PrivateIP != "" || p.Tags["purpose"] != "pip-test" {
		t.Fatalf("created %+v", p)
	}
	if again, err := d.CreatePublicIP(ctx, req); err != nil || again.ID != p.ID {
		t.Fatalf("create with the same client token: %s, %v; want %s", again.ID, err, p.ID)
	}
	if ev := w.waitTo(t, ctx, core.TypePublicIP, p.ID, string(core.NetDown)); ev.FromState != "" || ev.Attributes.Name != "pip-test" {
		t.Errorf("create event %+v", ev)
	}
	_, err = d.GetFloatingIP(ctx, p.ID)
	wantKind(t, "a public IP asked as a floating IP", err, core.NotFound)
	fs, err := d.ListFloatingIPs(ctx, core.ListOptions{})
	if err != nil || slices.ContainsFunc(fs, func(f core.FloatingIP) bool { return f.ID == p.ID }) {
		t.Errorf("floating IPs list the public IP (%v)", err)
	}
	ps, err := d.ListPublicIPs(ctx, core.ListOptions{})
	if err != nil || !slices.ContainsFunc(ps, func(x core.PublicIP) bool { return x.ID == p.ID && x.Address == p.Address && x.Name == "pip-test" }) {
		t.Errorf("public IPs lack %s (%v)", p.ID, err)
	}
	if w.has(core.TypeFloatingIP, p.ID) {
		t.Errorf("a floating IP event for public IP %s", p.ID)
	}

	_, err = d.BindPublicIP(ctx, "no-such-pip", core.PublicIPBinding{ServerID: "x"})
	wantKind(t, "bind an unknown public IP", err, core.NotFound)
	_, err = d.BindPublicIP(ctx, p.ID, core.PublicIPBinding{ServerID: "x", PrivateIP: "10.0.0.10"})
	wantKind(t, "bind to both", err, core.InvalidArgument)
	_, err = d.BindPublicIP(ctx, p.ID, core.PublicIPBinding{ServerID: "no-such-server"})
	wantKind(t, "bind to an unknown server", err, core.InvalidArgument)
	_, err = d.BindPublicIP(ctx, p.ID, core.PublicIPBinding{PrivateIP: "10.0.0.254"})
	wantKind(t, "bind to an address no server has", err, core.InvalidArgument)
	_, err = d.UnbindPublicIP(ctx, p.ID, core.PublicIPBinding{PrivateIP: "10.0.0.254"})
	wantKind(t, "unbind an unbound public IP", err, core.Conflict)

	server, addr := netTestServer(t, ctx, d, priv.ID)
	b, err := d.BindPublicIP(ctx, p.ID, core.PublicIPBinding{ServerID: server})
	if err != nil {
		t.Fatal(err)
	}
	if b.ServerID != server || b.PrivateIP != addr || b.Status != core.NetActive {
		t.Fatalf("bound %+v, want server %s at %s, ACTIVE", b, server, addr)
	}
	if ev := w.waitTo(t, ctx, core.TypePublicIP, p.ID, string(core.NetActive)); ev.FromState != string(core.NetDown) || ev.Attributes.ServerID != server {
		t.Errorf("bind event %+v", ev)
	}
	_, err = d.BindPublicIP(ctx, p.ID, core.PublicIPBinding{ServerID: server})
	wantKind(t, "bind a bound public IP", err, core.Conflict)
	wantKind(t, "delete a bound public IP", d.DeletePublicIP(ctx, p.ID), core.Conflict)
	_, err = d.UnbindPublicIP(ctx, p.ID, core.PublicIPBinding{ServerID: "another-server"})
	wantKind(t, "unbind from another server", err, core.InvalidArgument)
	u, err := d.UnbindPublicIP(ctx, p.ID, core.PublicIPBinding{ServerID: server})
	if err != nil || u.ServerID != "" || u.PrivateIP != "" || u.Status != core.NetDown {
		t.Fatalf("unbound %+v, %v", u, err)
	}
	b, err = d.BindPublicIP(ctx, p.ID, core.PublicIPBinding{PrivateIP: addr})
	if err != nil || b.ServerID != server || b.PrivateIP != addr {
		t.Fatalf("bind by private IP: %+v, %v", b, err)
	}
	if _, err := d.UnbindPublicIP(ctx, p.ID, core.PublicIPBinding{PrivateIP: addr}); err != nil {
		t.Fatal(err)
	}

	if err := d.DeletePublicIP(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	_, err = d.GetPublicIP(ctx, p.ID)
	wantKind(t, "show a deleted public IP", err, core.NotFound)
	wantKind(t, "delete it again", d.DeletePublicIP(ctx, p.ID), core.NotFound)
	if ev := w.waitTo(t, ctx, core.TypePublicIP, p.ID, string(core.NetDeleted)); ev.FromState != string(core.NetDown) {
		t.Errorf("delete event %+v", ev)
	}

	_, err = d.CreatePublicIP(ctx, core.PublicIPCreate{Name: strings.Repeat("n", maxPublicIPName+1)})
	wantKind(t, "a name the description cannot hold", err, core.InvalidArgument)
}
