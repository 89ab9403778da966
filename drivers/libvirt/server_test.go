package libvirt

import (
	"context"
	"testing"

	"github.com/gisiaas/gisiaas/core"
)

func TestServerLifecycleOnTestDriver(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	s := newServer(t, d, "p1", "web")
	if s.Status != core.ServerActive || s.Host != "host1" || s.FlavorID != "m1.tiny" || s.ImageID != "base" {
		t.Fatalf("created %+v", s)
	}
	if len(s.Addresses) != 1 || s.Addresses[0].NetworkID != "default" || s.Addresses[0].Address == "" {
		t.Fatalf("addresses %+v", s.Addresses)
	}
	waitEvent(t, d, "BUILD", func(e core.Event) bool { return e.ResourceID == s.ID && e.FromState == "" && e.ToState == "BUILD" })
	ev := waitEvent(t, d, "ACTIVE", func(e core.Event) bool { return e.ResourceID == s.ID && e.ToState == "ACTIVE" })
	if ev.ProjectID != "p1" || ev.DatacenterID != "default" || ev.Attributes.VCPUs != 1 || ev.Attributes.MemoryMB != 256 {
		t.Fatalf("event %+v", ev)
	}
	wantKind(t, "start an active server", d.StartServer(ctx, s.ID), core.Conflict)
	if err := d.StopServer(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, d, "SHUTOFF", func(e core.Event) bool { return e.ResourceID == s.ID && e.ToState == "SHUTOFF" })
	if err := d.StartServer(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	for _, k := range []core.RebootType{core.RebootSoft, core.RebootHard} {
		if err := d.RebootServer(ctx, s.ID, k); err != nil {
			t.Fatalf("reboot %s: %v", k, err)
		}
	}
	name, desc := "renamed", "a description"
	got, err := d.UpdateServer(ctx, s.ID, core.ServerUpdate{Name: &name, Description: &desc})
	if err != nil || got.Name != name || got.Description != desc {
		t.Fatalf("UpdateServer: %+v %v", got, err)
	}
	if err := d.ResizeServer(ctx, s.ID, "m1.small"); err != nil {
		t.Fatal(err)
	}
	got, _ = d.GetServer(ctx, s.ID)
	if got.Status != core.ServerVerifyResize || got.FlavorID != "m1.small" {
		t.Fatalf("after resize: %s %s", got.Status, got.FlavorID)
	}
	if err := d.RevertResize(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	got, _ = d.GetServer(ctx, s.ID)
	if got.Status != core.ServerActive || got.FlavorID != "m1.tiny" {
		t.Fatalf("after revert: %s %s", got.Status, got.FlavorID)
	}
	if err := d.DeleteServer(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	wantKind(t, "get deleted", func() error { _, err := d.GetServer(ctx, s.ID); return err }(), core.NotFound)
	waitEvent(t, d, "DELETED", func(e core.Event) bool { return e.ResourceID == s.ID && e.ToState == core.StateDeleted })
}

func TestCreateServerIsIdempotentByToken(t *testing.T) {
	d := newTestDriver(t)
	req := core.ServerCreate{CreateMeta: meta("p2"), Name: "tok", FlavorID: "m1.tiny", ImageID: "base"}
	req.ClientToken = "token-1"
	a, err := d.CreateServer(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.DeleteServer(context.Background(), a.ID) })
	b, err := d.CreateServer(context.Background(), req)
	if err != nil || b.ID != a.ID {
		t.Fatalf("second create: %v %v, want %s", b.ID, err, a.ID)
	}
}

// A running server that cannot take a flavor live (past its maximum vCPUs)
// gets it in its definition and is restarted, as Nova's resize restarts it.
func TestResizePastTheMaximaRestartsTheServer(t *testing.T) {
	raw := rawTestConn(t)
	d := newTestDriver(t)
	ctx := testCtx(t)
	if _, err := d.CreateFlavor(ctx, core.FlavorCreate{ID: "wide", Name: "wide", VCPUs: 6, MemoryMB: 256, DiskGB: 1}); err != nil {
		t.Fatal(err)
	}
	s := newServer(t, d, "resize", "wide")
	if err := d.ResizeServer(ctx, s.ID, "wide"); err != nil {
		t.Fatal(err)
	}
	got, _ := d.GetServer(ctx, s.ID)
	if got.Status != core.ServerVerifyResize || got.FlavorID != "wide" || got.PreviousFlavorID != "m1.tiny" {
		t.Fatalf("after the resize: %s %s (previous %s)", got.Status, got.FlavorID, got.PreviousFlavorID)
	}
	dom, err := raw.LookupDomainByUUIDString(s.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer dom.Free()
	desc, _ := dom.GetXMLDesc(0)
	x, _ := parseDomain(desc)
	if active, _ := dom.IsActive(); !active || x.VCPU.Max < 6 || (x.VCPU.Current != 6 && x.VCPU.Current != 0) {
		t.Fatalf("the restarted domain: active %v, vcpu %d of %d", active, x.VCPU.Current, x.VCPU.Max)
	}
	if err := d.ConfirmResize(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	ev := waitEvent(t, d, "VERIFY_RESIZE→ACTIVE", func(e core.Event) bool {
		return e.ResourceID == s.ID && e.FromState == string(core.ServerVerifyResize) && e.ToState == string(core.ServerActive)
	})
	if ev.Attributes.VCPUs != 6 || ev.Attributes.FlavorID != "wide" {
		t.Fatalf("event %+v", ev)
	}
	wantKind(t, "confirm again", d.ConfirmResize(ctx, s.ID), core.Conflict)
}

// Live migration's refusals and a failed migration's aftermath: the
// server is ACTIVE where it was, and no event says it went away. (Two
// hosts on test:///default share one state; the test driver cannot
// migrate, so the capability is forced for this test only.)
func TestLiveMigrateRefusalsAndFailure(t *testing.T) {
	d := newTestDriver(t, func(c *Config) {
		c.URI = ""
		c.Datacenters = []DatacenterConfig{{ID: "default", Hosts: []HostConfig{{Name: "a", URI: "test:///default"}, {Name: "b", URI: "test:///default"}}}}
	})
	if d.caps.migrate {
		t.Fatal("the test driver declares live migration")
	}
	ctx := testCtx(t)
	wantKind(t, "undeclared", d.LiveMigrateServer(ctx, "x", "b"), core.Unsupported)
	d.caps.migrate = true
	s := newServer(t, d, "mig", "m")
	wantKind(t, "an unknown server", d.LiveMigrateServer(ctx, "6f1c1c8e-0000-4000-8000-0000000000ff", "b"), core.NotFound)
	wantKind(t, "an unknown host", d.LiveMigrateServer(ctx, s.ID, "nowhere"), core.InvalidArgument)
	wantKind(t, "the host it is on", d.LiveMigrateServer(ctx, s.ID, s.Host), core.Conflict)
	other := "b"
	if s.Host == "b" {
		other = "a"
	}
	err := d.LiveMigrateServer(ctx, s.ID, other)
	wantKind(t, "a migration the hypervisor refuses", err, core.Unsupported)
	got, gerr := d.GetServer(ctx, s.ID)
	if gerr != nil || got.Status != core.ServerActive || got.Host != s.Host {
		t.Fatalf("after the failed migration: %+v %v", got, gerr)
	}
	waitEvent(t, d, "MIGRATING→ACTIVE", func(e core.Event) bool {
		return e.ResourceID == s.ID && e.FromState == string(core.ServerMigrating) && e.ToState == string(core.ServerActive)
	})
	for _, e := range d.Events() {
		if e.ResourceID == s.ID && e.ToState == core.StateDeleted {
			t.Fatalf("a failed migration reported the server deleted: %+v", e)
		}
	}
}
