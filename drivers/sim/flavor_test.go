package sim

import (
	"testing"

	"github.com/gisiaas/gisiaas/core"
)

func TestFlavor_B2_2_1_Create(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	good := core.FlavorCreate{ID: "gis.big", Name: "gis.big", VCPUs: 8, MemoryMB: 32768, DiskGB: 200, Public: true}
	cases := []struct {
		name string
		req  core.FlavorCreate
		want core.Kind
	}{
		{"new flavor", good, core.KindUnknown},
		{"same id again", good, core.Conflict},
		{"same name, other id", core.FlavorCreate{ID: "x", Name: "gis.big", VCPUs: 1, MemoryMB: 1, DiskGB: 1}, core.Conflict},
		{"no vcpus", core.FlavorCreate{ID: "y", Name: "y", MemoryMB: 1, DiskGB: 1}, core.InvalidArgument},
		{"no id", core.FlavorCreate{Name: "z", VCPUs: 1, MemoryMB: 1}, core.InvalidArgument},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := d.CreateFlavor(ctx, c.req)
			wantKind(t, err, c.want)
			if c.want == core.KindUnknown && f != core.Flavor(c.req) {
				t.Fatalf("created %+v, asked %+v", f, c.req)
			}
		})
	}
}

func TestFlavor_B2_2_3_Show_B2_2_4_List(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	f, err := d.GetFlavor(ctx, "m1.small")
	wantKind(t, err, core.KindUnknown)
	if f.VCPUs != 1 || f.MemoryMB != 2048 || f.DiskGB != 20 || f.Name != "m1.small" {
		t.Fatalf("m1.small = %+v", f)
	}
	_, err = d.GetFlavor(ctx, "nope")
	wantKind(t, err, core.NotFound)
	list, err := d.ListFlavors(ctx)
	wantKind(t, err, core.KindUnknown)
	var ids []string
	for _, f := range list {
		ids = append(ids, f.ID)
	}
	want := []string{"m1.tiny", "m1.small", "m1.medium", "m1.large"}
	if len(ids) != len(want) {
		t.Fatalf("ids %v", ids)
	}
	for i := range want {
		if ids[i] != want[i] {
			t.Fatalf("order %v, want %v", ids, want)
		}
	}
}

func TestFlavor_B2_2_2_Delete(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	wantKind(t, d.DeleteFlavor(ctx, "nope"), core.NotFound)
	s := srvCreate(t, d, "m1.tiny")
	wantKind(t, d.DeleteFlavor(ctx, "m1.tiny"), core.Conflict)
	// The old flavor of a resize waiting for confirmation is in use too.
	wantKind(t, d.ResizeServer(ctx, s.ID, "m1.small"), core.KindUnknown)
	wantKind(t, d.DeleteFlavor(ctx, "m1.tiny"), core.Conflict)
	wantKind(t, d.ConfirmResize(ctx, s.ID), core.KindUnknown)
	wantKind(t, d.DeleteFlavor(ctx, "m1.tiny"), core.KindUnknown)
	_, err := d.GetFlavor(ctx, "m1.tiny")
	wantKind(t, err, core.NotFound)
}
