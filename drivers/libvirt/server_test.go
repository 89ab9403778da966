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
