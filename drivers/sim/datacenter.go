package sim

import (
	"context"
	"fmt"

	"github.com/gisiaas/gisiaas/core"
)

// ListDatacenters lists the configured datacenters with their hosts (B.1.2).
func (d *Driver) ListDatacenters(ctx context.Context) ([]core.Datacenter, error) {
	if err := d.begin(ctx, "ListDatacenters"); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]core.Datacenter, 0, len(d.cfg.Datacenters))
	for _, dc := range d.cfg.Datacenters {
		out = append(out, core.Datacenter{ID: dc.ID, Name: dc.Name, Kind: dc.Kind,
			Hosts: cloneSlice(dc.Hosts), Available: !d.down[dc.ID]})
	}
	return out, nil
}

// quota is the quota of project in dc. Called with d.mu held.
func (d *Driver) quota(dc, project string) Quota {
	if q, ok := d.st.Quotas[dc+"/"+project]; ok {
		return q
	}
	return d.cfg.Quota
}

// computeUsage sums what project's servers in dc hold. A soft-deleted server
// holds its resources until it is purged, as in Nova. Called with d.mu held.
func (d *Driver) computeUsage(dc, project string) (vcpus, memMB, servers int64) {
	for _, s := range d.st.Servers {
		if s.DatacenterID != dc || s.ProjectID != project || s.Status == core.ServerDeleted {
			continue
		}
		servers++
		// While a resize waits for confirmation both sizes are held: the
		// larger of each dimension, as Nova's quota does.
		var c, m int64
		if f, ok := d.st.Flavors[s.FlavorID]; ok {
			c, m = f.VCPUs, f.MemoryMB
		}
		if p, ok := d.st.Flavors[s.PreviousFlavorID]; ok && s.PreviousFlavorID != "" {
			c, m = max(c, p.VCPUs), max(m, p.MemoryMB)
		}
		vcpus += c
		memMB += m
	}
	return
}

// volumeUsage sums project's volumes in dc. Called with d.mu held.
func (d *Driver) volumeUsage(dc, project string) (gb, volumes int64) {
	for _, v := range d.st.Volumes {
		if v.DatacenterID != dc || v.ProjectID != project || v.Status == core.VolumeDeleted {
			continue
		}
		gb += v.SizeGB
		volumes++
	}
	return
}

// checkComputeQuota refuses to add vcpus, memory and servers beyond the
// project's quota in dc. Called with d.mu held.
func (d *Driver) checkComputeQuota(op, dc, project string, addVCPUs, addMemMB, addServers int64) error {
	q := d.quota(dc, project)
	vcpus, mem, servers := d.computeUsage(dc, project)
	over := func(limit, used, add int64, what string) error {
		if limit >= 0 && add > 0 && used+add > limit {
			return &core.Error{Kind: core.QuotaExceeded, Op: op,
				Message: fmt.Sprintf("quota exceeded for %s: %d requested, %d of %d used", what, add, used, limit)}
		}
		return nil
	}
	if err := over(q.Servers, servers, addServers, "servers"); err != nil {
		return err
	}
	if err := over(q.VCPUs, vcpus, addVCPUs, "vcpus"); err != nil {
		return err
	}
	return over(q.MemoryMB, mem, addMemMB, "memory_mb")
}

// checkVolumeQuota refuses to add gb and volumes beyond the project's quota
// in dc. Called with d.mu held.
func (d *Driver) checkVolumeQuota(op, dc, project string, addGB, addVolumes int64) error {
	q := d.quota(dc, project)
	gb, n := d.volumeUsage(dc, project)
	if q.Volumes >= 0 && addVolumes > 0 && n+addVolumes > q.Volumes {
		return &core.Error{Kind: core.QuotaExceeded, Op: op,
			Message: fmt.Sprintf("quota exceeded for volumes: %d of %d used", n, q.Volumes)}
	}
	if q.VolumeGB >= 0 && addGB > 0 && gb+addGB > q.VolumeGB {
		return &core.Error{Kind: core.QuotaExceeded, Op: op,
			Message: fmt.Sprintf("quota exceeded for gigabytes: %d requested, %d of %d used", addGB, gb, q.VolumeGB)}
	}
	return nil
}

// GetComputeQuota reports project's compute quota and usage in dc (B.1.3.1).
func (d *Driver) GetComputeQuota(ctx context.Context, dc, project string) (core.ComputeQuota, error) {
	if err := d.begin(ctx, "GetComputeQuota"); err != nil {
		return core.ComputeQuota{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.checkDC("GetComputeQuota", dc); err != nil {
		return core.ComputeQuota{}, err
	}
	q := d.quota(dc, project)
	vcpus, mem, servers := d.computeUsage(dc, project)
	return core.ComputeQuota{DatacenterID: dc, ProjectID: project, TotalMemoryMB: q.MemoryMB, UsedMemoryMB: mem,
		TotalVCPUs: q.VCPUs, UsedVCPUs: vcpus, TotalServers: q.Servers, UsedServers: servers}, nil
}

// GetVolumeQuota reports project's block-storage quota and usage in dc (B.1.3.2).
func (d *Driver) GetVolumeQuota(ctx context.Context, dc, project string) (core.VolumeQuota, error) {
	if err := d.begin(ctx, "GetVolumeQuota"); err != nil {
		return core.VolumeQuota{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.checkDC("GetVolumeQuota", dc); err != nil {
		return core.VolumeQuota{}, err
	}
	q := d.quota(dc, project)
	gb, n := d.volumeUsage(dc, project)
	return core.VolumeQuota{DatacenterID: dc, ProjectID: project, TotalGB: q.VolumeGB, UsedGB: gb,
		TotalVolumes: q.Volumes, UsedVolumes: n}, nil
}

// pickHost picks the least loaded host of dc for a new server. Called with d.mu held.
func (d *Driver) pickHost(dc string) string {
	var hosts []string
	for _, c := range d.cfg.Datacenters {
		if c.ID == dc {
			hosts = c.Hosts
		}
	}
	load := map[string]int{}
	for _, s := range d.st.Servers {
		if s.DatacenterID == dc {
			load[s.Host]++
		}
	}
	best := hosts[0]
	for _, h := range hosts[1:] {
		if load[h] < load[best] {
			best = h
		}
	}
	return best
}

// hasHost reports whether host is a host of dc. Called with d.mu held.
func (d *Driver) hasHost(dc, host string) bool {
	for _, c := range d.cfg.Datacenters {
		if c.ID == dc {
			for _, h := range c.Hosts {
				if h == host {
					return true
				}
			}
		}
	}
	return false
}
