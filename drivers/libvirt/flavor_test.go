package libvirt

import (
	"testing"

	"github.com/gisiaas/gisiaas/core"
)

func TestFlavor_CreateShowListDelete(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	req := core.FlavorCreate{ID: "f.test", Name: "f.test", VCPUs: 1, MemoryMB: 300, DiskGB: 1, Public: true}
	f, err := d.CreateFlavor(ctx, req)
	if err != nil || f != core.Flavor(req) {
		t.Fatalf("CreateFlavor: %+v %v", f, err)
	}
	_, err = d.CreateFlavor(ctx, req)
	wantKind(t, "the same id again", err, core.Conflict)
	_, err = d.CreateFlavor(ctx, core.FlavorCreate{ID: "other", Name: "f.test", VCPUs: 1, MemoryMB: 1})
	wantKind(t, "the same name again", err, core.Conflict)
	_, err = d.CreateFlavor(ctx, core.FlavorCreate{ID: "zero", Name: "zero", MemoryMB: 1})
	wantKind(t, "0 vCPUs", err, core.InvalidArgument)
	fs, err := d.ListFlavors(ctx)
	if err != nil || len(fs) != 3 || fs[0].ID != "m1.tiny" {
		t.Fatalf("ListFlavors: %+v %v", fs, err)
	}
	s, err := d.CreateServer(ctx, core.ServerCreate{CreateMeta: meta("flv"), Name: "uses", FlavorID: "f.test", ImageID: "base"})
	if err != nil {
		t.Fatal(err)
	}
	wantKind(t, "delete a flavor in use", d.DeleteFlavor(ctx, "f.test"), core.Conflict)
	if err := d.DeleteServer(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	if err := d.DeleteFlavor(ctx, "f.test"); err != nil {
		t.Fatal(err)
	}
	_, err = d.GetFlavor(ctx, "f.test")
	wantKind(t, "get a deleted flavor", err, core.NotFound)
	wantKind(t, "delete an unknown flavor", d.DeleteFlavor(ctx, "f.test"), core.NotFound)
}
