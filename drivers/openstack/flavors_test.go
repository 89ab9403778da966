package openstack

import (
	"testing"

	"github.com/gisiaas/gisiaas/core"
)

func TestFlavorCreateGetListDelete(t *testing.T) {
	d := testDriver(t)
	ctx := testContext(t)
	id := "flvtest-" + d.events.boot
	req := core.FlavorCreate{ID: id, Name: id, VCPUs: 1, MemoryMB: 128, DiskGB: 1, Public: true}
	f, err := d.CreateFlavor(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.DeleteFlavor(testContext(t), id) })
	if f != core.Flavor(req) {
		t.Errorf("CreateFlavor answered %+v, want %+v", f, core.Flavor(req))
	}
	if got, err := d.GetFlavor(ctx, id); err != nil || got != f {
		t.Errorf("GetFlavor = %+v, %v", got, err)
	}
	_, err = d.CreateFlavor(ctx, req)
	wantKind(t, "CreateFlavor of an existing id", err, core.Conflict)
	req2 := req
	req2.ID = id + "-2"
	_, err = d.CreateFlavor(ctx, req2)
	wantKind(t, "CreateFlavor of an existing name", err, core.Conflict)
	_, err = d.CreateFlavor(ctx, core.FlavorCreate{ID: id + "-0", Name: id + "-0", VCPUs: 0, MemoryMB: 128})
	wantKind(t, "CreateFlavor of 0 vCPUs", err, core.InvalidArgument)

	fs, err := d.ListFlavors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for i, x := range fs {
		found = found || x == f
		if i > 0 && fs[i-1].VCPUs > x.VCPUs {
			t.Errorf("ListFlavors not smallest first: %v before %v", fs[i-1], x)
		}
	}
	if !found {
		t.Errorf("ListFlavors lacks %s", id)
	}
	if got := d.flavorIDByName(ctx, id); got != id {
		t.Errorf("flavorIDByName(%s) = %q", id, got)
	}

	if err := d.DeleteFlavor(ctx, id); err != nil {
		t.Fatal(err)
	}
	_, err = d.GetFlavor(ctx, id)
	wantKind(t, "GetFlavor after delete", err, core.NotFound)
	if got := d.flavorIDByName(ctx, id); got != "" {
		t.Errorf("flavorIDByName of a deleted flavor = %q", got)
	}
	wantKind(t, "DeleteFlavor of an unknown id", d.DeleteFlavor(ctx, id), core.NotFound)
}
