package sim

import (
	"testing"

	"github.com/gisiaas/gisiaas/core"
)

func TestDatacenters_B1_2_List(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	dcs, err := d.ListDatacenters(ctx)
	wantKind(t, err, core.KindUnknown)
	if len(dcs) != 2 || dcs[0].ID != "dc1" || dcs[1].ID != "dc2" || dcs[0].Kind != core.AvailabilityZone ||
		len(dcs[0].Hosts) != 2 || dcs[0].Hosts[0] != "dc1-host-1" || !dcs[0].Available || dcs[0].Name != "Datacenter 1" {
		t.Fatalf("%+v", dcs)
	}
	d.SetDatacenterDown("dc2", true)
	dcs, _ = d.ListDatacenters(ctx)
	if dcs[1].Available || !dcs[0].Available {
		t.Fatalf("after dc2 down: %+v", dcs)
	}
	dcs[0].Hosts[0] = "changed"
	again, _ := d.ListDatacenters(ctx)
	if again[0].Hosts[0] != "dc1-host-1" {
		t.Fatal("the result aliases the configuration")
	}
}

func TestQuota_B1_3_1_Compute_B1_3_2_Volume(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	cq, err := d.GetComputeQuota(ctx, "dc1", testProject)
	wantKind(t, err, core.KindUnknown)
	if cq != (core.ComputeQuota{DatacenterID: "dc1", ProjectID: testProject, TotalMemoryMB: 131072, TotalVCPUs: 64, TotalServers: 50}) {
		t.Fatalf("%+v", cq)
	}
	srvCreate(t, d, "m1.medium")
	volCreate(t, d, 30)
	cq, _ = d.GetComputeQuota(ctx, "dc1", testProject)
	if cq.UsedVCPUs != 2 || cq.UsedMemoryMB != 4096 || cq.UsedServers != 1 {
		t.Fatalf("%+v", cq)
	}
	vq, err := d.GetVolumeQuota(ctx, "dc1", testProject)
	wantKind(t, err, core.KindUnknown)
	if vq != (core.VolumeQuota{DatacenterID: "dc1", ProjectID: testProject, TotalGB: 2000, UsedGB: 30, TotalVolumes: 100, UsedVolumes: 1}) {
		t.Fatalf("%+v", vq)
	}
	// Usage is per datacenter and per project.
	if other, _ := d.GetComputeQuota(ctx, "dc2", testProject); other.UsedVCPUs != 0 {
		t.Fatalf("dc2 %+v", other)
	}
	if other, _ := d.GetVolumeQuota(ctx, "dc1", "proj-b"); other.UsedGB != 0 {
		t.Fatalf("proj-b %+v", other)
	}
	d.SetQuota("dc1", testProject, Quota{VCPUs: 8, MemoryMB: 1024, Servers: 3, VolumeGB: 100, Volumes: 2})
	cq, _ = d.GetComputeQuota(ctx, "dc1", testProject)
	if cq.TotalVCPUs != 8 || cq.TotalMemoryMB != 1024 || cq.TotalServers != 3 {
		t.Fatalf("%+v", cq)
	}
	_, err = d.GetComputeQuota(ctx, "dc9", testProject)
	wantKind(t, err, core.InvalidArgument)
	_, err = d.GetVolumeQuota(ctx, "dc9", testProject)
	wantKind(t, err, core.InvalidArgument)
	d.SetDatacenterDown("dc1", true)
	_, err = d.GetComputeQuota(ctx, "dc1", testProject)
	wantKind(t, err, core.Unavailable)
}
