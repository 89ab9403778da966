package convert

import (
	"github.com/gisiaas/gisiaas/core"
	pb "github.com/gisiaas/gisiaas/plugins/proto/driverpb"
)

// DatacenterToProto converts a datacenter.
func DatacenterToProto(d core.Datacenter) *pb.Datacenter {
	return &pb.Datacenter{Id: d.ID, Name: d.Name, Kind: string(d.Kind), Hosts: stringsToProto(d.Hosts), Available: d.Available}
}

// DatacenterFromProto is the inverse of DatacenterToProto.
func DatacenterFromProto(d *pb.Datacenter) core.Datacenter {
	return core.Datacenter{ID: d.Id, Name: d.Name, Kind: core.DatacenterKind(d.Kind), Hosts: stringsFromProto(d.Hosts), Available: d.Available}
}

// DatacentersToProto converts a list result.
func DatacentersToProto(l []core.Datacenter) *pb.ListDatacentersResponse {
	if l == nil {
		return &pb.ListDatacentersResponse{}
	}
	return &pb.ListDatacentersResponse{List: &pb.DatacenterList{Items: toList(l, DatacenterToProto)}}
}

// DatacentersFromProto is the inverse of DatacentersToProto.
func DatacentersFromProto(r *pb.ListDatacentersResponse) []core.Datacenter {
	if r.List == nil {
		return nil
	}
	return fromList(r.List.Items, DatacenterFromProto)
}

// ComputeQuotaToProto converts a compute quota.
func ComputeQuotaToProto(q core.ComputeQuota) *pb.ComputeQuota {
	return &pb.ComputeQuota{
		DatacenterId: q.DatacenterID, ProjectId: q.ProjectID,
		TotalMemoryMb: q.TotalMemoryMB, UsedMemoryMb: q.UsedMemoryMB,
		TotalVcpus: q.TotalVCPUs, UsedVcpus: q.UsedVCPUs,
		TotalServers: q.TotalServers, UsedServers: q.UsedServers,
	}
}

// ComputeQuotaFromProto is the inverse of ComputeQuotaToProto.
func ComputeQuotaFromProto(q *pb.ComputeQuota) core.ComputeQuota {
	return core.ComputeQuota{
		DatacenterID: q.DatacenterId, ProjectID: q.ProjectId,
		TotalMemoryMB: q.TotalMemoryMb, UsedMemoryMB: q.UsedMemoryMb,
		TotalVCPUs: q.TotalVcpus, UsedVCPUs: q.UsedVcpus,
		TotalServers: q.TotalServers, UsedServers: q.UsedServers,
	}
}

// VolumeQuotaToProto converts a block-storage quota.
func VolumeQuotaToProto(q core.VolumeQuota) *pb.VolumeQuota {
	return &pb.VolumeQuota{
		DatacenterId: q.DatacenterID, ProjectId: q.ProjectID,
		TotalGb: q.TotalGB, UsedGb: q.UsedGB, TotalVolumes: q.TotalVolumes, UsedVolumes: q.UsedVolumes,
	}
}

// VolumeQuotaFromProto is the inverse of VolumeQuotaToProto.
func VolumeQuotaFromProto(q *pb.VolumeQuota) core.VolumeQuota {
	return core.VolumeQuota{
		DatacenterID: q.DatacenterId, ProjectID: q.ProjectId,
		TotalGB: q.TotalGb, UsedGB: q.UsedGb, TotalVolumes: q.TotalVolumes, UsedVolumes: q.UsedVolumes,
	}
}
