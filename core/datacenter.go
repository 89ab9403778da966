package core

import "context"

// DatacenterKind says what a datacenter is in its cloud (SPEC B.1.2).
type DatacenterKind string

// Datacenter kinds.
const (
	Region           DatacenterKind = "region"
	AvailabilityZone DatacenterKind = "availability_zone"
)

// Datacenter is an availability zone or a region of a cloud (B.1.2).
type Datacenter struct {
	ID   string         `json:"id"`
	Name string         `json:"name"`
	Kind DatacenterKind `json:"kind"`
	// Hosts are the compute hosts, the targets of live migration (B.2.1.9).
	Hosts []string `json:"hosts,omitempty"`
	// Available is false when the datacenter is down.
	Available bool `json:"available"`
}

// ComputeQuota is a project's compute quota in one datacenter (B.1.3.1).
type ComputeQuota struct {
	DatacenterID  string `json:"datacenter_id"`
	ProjectID     string `json:"project_id"`
	TotalMemoryMB int64  `json:"total_memory_mb"`
	UsedMemoryMB  int64  `json:"used_memory_mb"`
	TotalVCPUs    int64  `json:"total_vcpus"`
	UsedVCPUs     int64  `json:"used_vcpus"`
	TotalServers  int64  `json:"total_servers"`
	UsedServers   int64  `json:"used_servers"`
}

// VolumeQuota is a project's block-storage quota in one datacenter (B.1.3.2).
type VolumeQuota struct {
	DatacenterID string `json:"datacenter_id"`
	ProjectID    string `json:"project_id"`
	TotalGB      int64  `json:"total_gb"`
	UsedGB       int64  `json:"used_gb"`
	TotalVolumes int64  `json:"total_volumes"`
	UsedVolumes  int64  `json:"used_volumes"`
}

// Datacenters lists the datacenters a driver serves (B.1.2).
type Datacenters interface {
	ListDatacenters(ctx context.Context) ([]Datacenter, error)
}

// Quotas reports quotas per project and datacenter (B.1.3). A negative total
// means unlimited.
type Quotas interface {
	GetComputeQuota(ctx context.Context, datacenterID, projectID string) (ComputeQuota, error)
	GetVolumeQuota(ctx context.Context, datacenterID, projectID string) (VolumeQuota, error)
}
