package libvirt

import (
	"context"
	"fmt"

	"github.com/gisiaas/gisiaas/core"
)

// ListDatacenters lists one datacenter per configured host group (B.1.2);
// it is available while every host of it answers.
func (d *Driver) ListDatacenters(ctx context.Context) ([]core.Datacenter, error) {
	out := make([]core.Datacenter, 0, len(d.cfg.Datacenters))
	for _, dc := range d.cfg.Datacenters {
		x := core.Datacenter{ID: dc.ID, Name: dc.Name, Kind: dc.Kind, Available: true}
		for _, hc := range dc.Hosts {
			x.Hosts = append(x.Hosts, hc.Name)
			if _, err := d.hosts[hc.Name].connection("ListDatacenters"); err != nil {
				x.Available = false
			}
		}
		out = append(out, x)
	}
	return out, nil
}

// capacity is what a datacenter's hosts have: CPUs and memory (times the
// allocation ratios) and the pools' bytes.
func (d *Driver) capacity(op, dc string) (vcpus, memMB, poolGB int64, err error) {
	hosts, err := d.dcHosts(op, dc)
	if err != nil {
		return 0, 0, 0, err
	}
	for _, h := range hosts {
		c, err := h.connection(op)
		if err != nil {
			return 0, 0, 0, err
		}
		ni, err := c.GetNodeInfo()
		if err != nil {
			return 0, 0, 0, lverr(op, err)
		}
		vcpus += int64(float64(ni.Cpus) * d.cfg.CPUAllocationRatio)
		memMB += int64(float64(ni.Memory>>10) * d.cfg.RAMAllocationRatio)
		pool, err := c.LookupStoragePoolByName(d.cfg.Pool)
		if err != nil {
			return 0, 0, 0, lverr(op, fmt.Errorf("pool %s: %w", d.cfg.Pool, err))
		}
		pi, err := pool.GetInfo()
		_ = pool.Free()
		if err != nil {
			return 0, 0, 0, lverr(op, err)
		}
		poolGB += int64(pi.Capacity >> 30)
	}
	return vcpus, memMB, poolGB, nil
}

// usage sums the flavors of servers; a server waiting in VERIFY_RESIZE
// holds its previous flavor too, until the resize is settled.
func (d *Driver) usage(servers []listed) (vcpus, memMB, n int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, s := range servers {
		n++
		if f, ok := d.st.Flavors[s.FlavorID]; ok {
			vcpus += f.VCPUs
			memMB += f.MemoryMB
		}
		if f, ok := d.st.Flavors[s.PreviousFlavorID]; ok && s.PreviousFlavorID != "" {
			vcpus += f.VCPUs
			memMB += f.MemoryMB
		}
	}
	return vcpus, memMB, n
}

// GetComputeQuota is the datacenter's capacity and the project's use of it (B.1.3.1).
func (d *Driver) GetComputeQuota(ctx context.Context, dc, project string) (core.ComputeQuota, error) {
	const op = "GetComputeQuota"
	vcpus, mem, _, err := d.capacity(op, dc)
	if err != nil {
		return core.ComputeQuota{}, err
	}
	servers, err := d.listServers(op, core.ListOptions{DatacenterID: dc, ProjectID: project})
	if err != nil {
		return core.ComputeQuota{}, err
	}
	uv, um, un := d.usage(servers)
	total := d.cfg.MaxServers
	if total <= 0 {
		total = -1
	}
	return core.ComputeQuota{DatacenterID: dc, ProjectID: project, TotalMemoryMB: mem, UsedMemoryMB: um,
		TotalVCPUs: vcpus, UsedVCPUs: uv, TotalServers: total, UsedServers: un}, nil
}

// checkComputeQuota refuses what would exceed the datacenter's capacity
// (shared by every project) or the project's server count.
func (d *Driver) checkComputeQuota(op, dc, project string, all []listed, vcpus, memMB, servers int64) error {
	tv, tm, _, err := d.capacity(op, dc)
	if err != nil {
		return err
	}
	uv, um, _ := d.usage(all)
	if uv+vcpus > tv {
		return &core.Error{Kind: core.QuotaExceeded, Op: op, Message: fmt.Sprintf("datacenter %s has %d of %d vCPUs in use; %d more do not fit", dc, uv, tv, vcpus)}
	}
	if um+memMB > tm {
		return &core.Error{Kind: core.QuotaExceeded, Op: op, Message: fmt.Sprintf("datacenter %s has %d of %d MB of memory in use; %d more do not fit", dc, um, tm, memMB)}
	}
	if d.cfg.MaxServers > 0 && servers > 0 {
		n := int64(0)
		for _, s := range all {
			if s.ProjectID == project {
				n++
			}
		}
		if n+servers > d.cfg.MaxServers {
			return &core.Error{Kind: core.QuotaExceeded, Op: op, Message: fmt.Sprintf("project %s has %d of %d servers", project, n, d.cfg.MaxServers)}
		}
	}
	return nil
}

// GetVolumeQuota is the pools' capacity and the project's volumes (B.1.3.2).
func (d *Driver) GetVolumeQuota(ctx context.Context, dc, project string) (core.VolumeQuota, error) {
	const op = "GetVolumeQuota"
	_, _, gb, err := d.capacity(op, dc)
	if err != nil {
		return core.VolumeQuota{}, err
	}
	q := core.VolumeQuota{DatacenterID: dc, ProjectID: project, TotalGB: gb, TotalVolumes: -1}
	if d.cfg.MaxVolumes > 0 {
		q.TotalVolumes = d.cfg.MaxVolumes
	}
	d.mu.Lock()
	for _, v := range d.st.Volumes {
		if v.DatacenterID == dc && (project == "" || v.ProjectID == project) {
			q.UsedGB += v.SizeGB
			q.UsedVolumes++
		}
	}
	d.mu.Unlock()
	return q, nil
}
