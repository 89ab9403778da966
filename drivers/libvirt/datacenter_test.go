package libvirt

import (
	"testing"

	"github.com/gisiaas/gisiaas/core"
)

func TestDatacenters_AndComputeQuota(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	dcs, err := d.ListDatacenters(ctx)
	if err != nil || len(dcs) != 1 || dcs[0].ID != "default" || !dcs[0].Available || len(dcs[0].Hosts) != 1 {
		t.Fatalf("ListDatacenters: %+v %v", dcs, err)
	}
	before, err := d.GetComputeQuota(ctx, "default", "quota")
	// The test driver's node: 16 CPUs, 3 GiB.
	if err != nil || before.TotalVCPUs != 16 || before.TotalMemoryMB != 3072 || before.UsedServers != 0 || before.TotalServers != -1 {
		t.Fatalf("quota %+v %v", before, err)
	}
	newServer(t, d, "quota", "q")
	after, _ := d.GetComputeQuota(ctx, "default", "quota")
	if after.UsedServers != 1 || after.UsedVCPUs != 1 || after.UsedMemoryMB != 256 {
		t.Fatalf("quota after a server %+v", after)
	}
	if _, err := d.CreateFlavor(ctx, core.FlavorCreate{ID: "huge", Name: "huge", VCPUs: 16, MemoryMB: 256, DiskGB: 1}); err != nil {
		t.Fatal(err)
	}
	_, err = d.CreateServer(ctx, core.ServerCreate{CreateMeta: meta("quota"), Name: "too-big", FlavorID: "huge", ImageID: "base"})
	wantKind(t, "a server past the host's CPUs", err, core.QuotaExceeded)
	_, err = d.GetComputeQuota(ctx, "nowhere", "quota")
	wantKind(t, "an unknown datacenter", err, core.InvalidArgument)
}
