package openstack

import (
	"context"
	"slices"

	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/availabilityzones"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/quotasets"

	"github.com/gisiaas/gisiaas/core"
)

// internalZone is Nova's zone of its own services (conductor, scheduler):
// no server runs there.
const internalZone = "internal"

// computeZones are Nova's availability zones with the hosts that run
// nova-compute in each (the detail list is admin-only, which the service
// credential is).
func (d *Driver) computeZones(ctx context.Context, op string) ([]core.Datacenter, error) {
	pages, err := availabilityzones.ListDetail(d.admin.compute).AllPages(ctx)
	if err != nil {
		return nil, classify(op, err)
	}
	zones, err := availabilityzones.ExtractAvailabilityZones(pages)
	if err != nil {
		return nil, classify(op, err)
	}
	out := make([]core.Datacenter, 0, len(zones))
	for _, z := range zones {
		if z.ZoneName == internalZone {
			continue
		}
		dc := core.Datacenter{ID: d.datacenterOfZone(z.ZoneName), Name: z.ZoneName, Kind: core.AvailabilityZone, Available: z.ZoneState.Available}
		for host, services := range z.Hosts {
			if _, ok := services["nova-compute"]; ok {
				dc.Hosts = append(dc.Hosts, host)
			}
		}
		slices.Sort(dc.Hosts)
		out = append(out, dc)
	}
	slices.SortFunc(out, func(a, b core.Datacenter) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return out, nil
}

// ListDatacenters lists Nova's availability zones and their compute hosts
// (B.1.2).
func (d *Driver) ListDatacenters(ctx context.Context) ([]core.Datacenter, error) {
	return d.computeZones(ctx, "ListDatacenters")
}

// zone returns datacenter id, NotFound when Nova has no such zone.
func (d *Driver) zone(ctx context.Context, op, id string) (core.Datacenter, error) {
	zs, err := d.computeZones(ctx, op)
	if err != nil {
		return core.Datacenter{}, err
	}
	for _, z := range zs {
		if z.ID == id {
			return z, nil
		}
	}
	return core.Datacenter{}, &core.Error{Kind: core.NotFound, Op: op, Message: "datacenter " + id + " not found"}
}

// GetComputeQuota reports project's compute quota and usage (B.1.3.1).
// Nova's quotas are per project, not per zone: every zone reports the
// project's one quota. A project not created yet has the defaults and
// uses nothing: Nova's defaults are read, and the project is not created
// to read them.
func (d *Driver) GetComputeQuota(ctx context.Context, datacenterID, projectID string) (core.ComputeQuota, error) {
	const op = "GetComputeQuota"
	if _, err := d.zone(ctx, op, datacenterID); err != nil {
		return core.ComputeQuota{}, err
	}
	os, ok, err := d.projects.find(ctx, projectID)
	if err != nil {
		return core.ComputeQuota{}, core.WithOp(op, err)
	}
	q := core.ComputeQuota{DatacenterID: datacenterID, ProjectID: projectID}
	if !ok {
		// GET /os-quota-sets/{project}/defaults: the defaults, whatever
		// the project's own overrides (gophercloud has no call for it).
		var body struct {
			Def quotasets.QuotaSet `json:"quota_set"`
		}
		c := d.admin.compute
		if _, err := c.Get(ctx, c.ServiceURL("os-quota-sets", d.ownProject, "defaults"), &body, nil); err != nil {
			return core.ComputeQuota{}, classify(op, err)
		}
		def := body.Def
		q.TotalMemoryMB, q.TotalVCPUs, q.TotalServers = int64(def.RAM), int64(def.Cores), int64(def.Instances)
		return q, nil
	}
	s, err := quotasets.GetDetail(ctx, d.admin.compute, os).Extract()
	if err != nil {
		return core.ComputeQuota{}, classify(op, err)
	}
	q.TotalMemoryMB, q.UsedMemoryMB = int64(s.RAM.Limit), int64(s.RAM.InUse)
	q.TotalVCPUs, q.UsedVCPUs = int64(s.Cores.Limit), int64(s.Cores.InUse)
	q.TotalServers, q.UsedServers = int64(s.Instances.Limit), int64(s.Instances.InUse)
	return q, nil
}
