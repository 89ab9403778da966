package openstack

import (
	"slices"
	"testing"

	"github.com/gisiaas/gisiaas/core"
)

func TestDatacentersAreComputeZonesWithHosts(t *testing.T) {
	d := testDriver(t)
	ctx := testContext(t)
	dcs, err := d.ListDatacenters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var nova *core.Datacenter
	for i, dc := range dcs {
		if dc.ID == internalZone {
			t.Errorf("the internal zone is listed")
		}
		if dc.ID == "nova" {
			nova = &dcs[i]
		}
	}
	if nova == nil {
		t.Fatalf("zone nova not listed: %+v", dcs)
	}
	if !nova.Available || nova.Kind != core.AvailabilityZone || len(nova.Hosts) < 2 {
		t.Errorf("zone nova: %+v; want available, availability_zone, two compute hosts", *nova)
	}
	if !slices.IsSorted(nova.Hosts) {
		t.Errorf("hosts %v not sorted", nova.Hosts)
	}
	if got := d.defaultDC(ctx); got != "nova" {
		t.Errorf("defaultDC = %q, want nova", got)
	}
}

func TestComputeQuotaOfAProjectNotCreatedYet(t *testing.T) {
	d := testDriver(t)
	ctx := testContext(t)
	gis := "quota-none-" + d.events.boot
	q, err := d.GetComputeQuota(ctx, "nova", gis)
	if err != nil {
		t.Fatal(err)
	}
	if q.ProjectID != gis || q.DatacenterID != "nova" {
		t.Errorf("quota names %q/%q", q.ProjectID, q.DatacenterID)
	}
	if q.TotalVCPUs <= 0 || q.TotalMemoryMB <= 0 || q.TotalServers <= 0 {
		t.Errorf("defaults missing: %+v", q)
	}
	if q.UsedVCPUs != 0 || q.UsedMemoryMB != 0 || q.UsedServers != 0 {
		t.Errorf("a project not created uses something: %+v", q)
	}
	if _, ok, _ := d.projects.find(ctx, gis); ok {
		t.Errorf("GetComputeQuota created project %s", gis)
	}
	_, err = d.GetComputeQuota(ctx, "no-such-zone", gis)
	if core.KindOf(err) != core.NotFound {
		t.Errorf("quota of an unknown zone: %v, want not_found", err)
	}
}
