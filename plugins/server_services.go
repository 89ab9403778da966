package plugins

import (
	"context"

	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/gisiaas/gisiaas/core"
	"github.com/gisiaas/gisiaas/plugins/internal/convert"
	pb "github.com/gisiaas/gisiaas/plugins/proto/driverpb"
)

// The service RPCs of the server: each converts its request, calls the
// driver and converts the answer. UploadImage is in upload.go.

func (s *server) CreateServer(ctx context.Context, r *pb.ServerCreate) (*pb.Server, error) {
	return unary(s, "CreateServer", func(d core.Driver) (core.Server, error) {
		return d.CreateServer(ctx, convert.ServerCreateFromProto(r))
	}, convert.ServerToProto)
}

func (s *server) GetServer(ctx context.Context, r *pb.IdRequest) (*pb.Server, error) {
	return unary(s, "GetServer", func(d core.Driver) (core.Server, error) { return d.GetServer(ctx, r.Id) }, convert.ServerToProto)
}

func (s *server) ListServers(ctx context.Context, r *pb.ListRequest) (*pb.ListServersResponse, error) {
	return unary(s, "ListServers", func(d core.Driver) ([]core.Server, error) {
		return d.ListServers(ctx, convert.ListOptionsFromProto(r.Options))
	}, convert.ServersToProto)
}

func (s *server) UpdateServer(ctx context.Context, r *pb.UpdateServerRequest) (*pb.Server, error) {
	return unary(s, "UpdateServer", func(d core.Driver) (core.Server, error) {
		return d.UpdateServer(ctx, r.Id, convert.ServerUpdateFromProto(r.Update))
	}, convert.ServerToProto)
}

func (s *server) DeleteServer(ctx context.Context, r *pb.IdRequest) (*emptypb.Empty, error) {
	return empty(s, "DeleteServer", func(d core.Driver) error { return d.DeleteServer(ctx, r.Id) })
}

func (s *server) StartServer(ctx context.Context, r *pb.IdRequest) (*emptypb.Empty, error) {
	return empty(s, "StartServer", func(d core.Driver) error { return d.StartServer(ctx, r.Id) })
}

func (s *server) StopServer(ctx context.Context, r *pb.IdRequest) (*emptypb.Empty, error) {
	return empty(s, "StopServer", func(d core.Driver) error { return d.StopServer(ctx, r.Id) })
}

func (s *server) RebootServer(ctx context.Context, r *pb.RebootServerRequest) (*emptypb.Empty, error) {
	return empty(s, "RebootServer", func(d core.Driver) error { return d.RebootServer(ctx, r.Id, core.RebootType(r.Type)) })
}

func (s *server) LiveMigrateServer(ctx context.Context, r *pb.LiveMigrateServerRequest) (*emptypb.Empty, error) {
	return empty(s, "LiveMigrateServer", func(d core.Driver) error { return d.LiveMigrateServer(ctx, r.Id, r.Host) })
}

func (s *server) ResizeServer(ctx context.Context, r *pb.ResizeServerRequest) (*emptypb.Empty, error) {
	return empty(s, "ResizeServer", func(d core.Driver) error { return d.ResizeServer(ctx, r.Id, r.FlavorId) })
}

func (s *server) ConfirmResize(ctx context.Context, r *pb.IdRequest) (*emptypb.Empty, error) {
	return empty(s, "ConfirmResize", func(d core.Driver) error { return d.ConfirmResize(ctx, r.Id) })
}

func (s *server) RevertResize(ctx context.Context, r *pb.IdRequest) (*emptypb.Empty, error) {
	return empty(s, "RevertResize", func(d core.Driver) error { return d.RevertResize(ctx, r.Id) })
}

func (s *server) CreateFlavor(ctx context.Context, r *pb.FlavorCreate) (*pb.Flavor, error) {
	return unary(s, "CreateFlavor", func(d core.Driver) (core.Flavor, error) {
		return d.CreateFlavor(ctx, convert.FlavorCreateFromProto(r))
	}, convert.FlavorToProto)
}

func (s *server) GetFlavor(ctx context.Context, r *pb.IdRequest) (*pb.Flavor, error) {
	return unary(s, "GetFlavor", func(d core.Driver) (core.Flavor, error) { return d.GetFlavor(ctx, r.Id) }, convert.FlavorToProto)
}

func (s *server) ListFlavors(ctx context.Context, _ *emptypb.Empty) (*pb.ListFlavorsResponse, error) {
	return unary(s, "ListFlavors", func(d core.Driver) ([]core.Flavor, error) { return d.ListFlavors(ctx) }, convert.FlavorsToProto)
}

func (s *server) DeleteFlavor(ctx context.Context, r *pb.IdRequest) (*emptypb.Empty, error) {
	return empty(s, "DeleteFlavor", func(d core.Driver) error { return d.DeleteFlavor(ctx, r.Id) })
}

func (s *server) CreateImage(ctx context.Context, r *pb.ImageCreate) (*pb.Image, error) {
	return unary(s, "CreateImage", func(d core.Driver) (core.Image, error) {
		return d.CreateImage(ctx, convert.ImageCreateFromProto(r))
	}, convert.ImageToProto)
}

func (s *server) GetImage(ctx context.Context, r *pb.IdRequest) (*pb.Image, error) {
	return unary(s, "GetImage", func(d core.Driver) (core.Image, error) { return d.GetImage(ctx, r.Id) }, convert.ImageToProto)
}

func (s *server) ListImages(ctx context.Context, r *pb.ListRequest) (*pb.ListImagesResponse, error) {
	return unary(s, "ListImages", func(d core.Driver) ([]core.Image, error) {
		return d.ListImages(ctx, convert.ListOptionsFromProto(r.Options))
	}, convert.ImagesToProto)
}

func (s *server) UpdateImage(ctx context.Context, r *pb.UpdateImageRequest) (*pb.Image, error) {
	return unary(s, "UpdateImage", func(d core.Driver) (core.Image, error) {
		ops, err := convert.PatchOpsFromProto(r.Ops)
		if err != nil {
			return core.Image{}, err
		}
		return d.UpdateImage(ctx, r.Id, ops)
	}, convert.ImageToProto)
}

func (s *server) DeleteImage(ctx context.Context, r *pb.IdRequest) (*emptypb.Empty, error) {
	return empty(s, "DeleteImage", func(d core.Driver) error { return d.DeleteImage(ctx, r.Id) })
}

func (s *server) ListNetworks(ctx context.Context, r *pb.ListRequest) (*pb.ListNetworksResponse, error) {
	return unary(s, "ListNetworks", func(d core.Driver) ([]core.Network, error) {
		return d.ListNetworks(ctx, convert.ListOptionsFromProto(r.Options))
	}, convert.NetworksToProto)
}

func (s *server) GetNetwork(ctx context.Context, r *pb.IdRequest) (*pb.Network, error) {
	return unary(s, "GetNetwork", func(d core.Driver) (core.Network, error) { return d.GetNetwork(ctx, r.Id) }, convert.NetworkToProto)
}

func (s *server) ListPorts(ctx context.Context, r *pb.ListRequest) (*pb.ListPortsResponse, error) {
	return unary(s, "ListPorts", func(d core.Driver) ([]core.Port, error) {
		return d.ListPorts(ctx, convert.ListOptionsFromProto(r.Options))
	}, convert.PortsToProto)
}

func (s *server) CreateFloatingIP(ctx context.Context, r *pb.FloatingIPCreate) (*pb.FloatingIP, error) {
	return unary(s, "CreateFloatingIP", func(d core.Driver) (core.FloatingIP, error) {
		return d.CreateFloatingIP(ctx, convert.FloatingIPCreateFromProto(r))
	}, convert.FloatingIPToProto)
}

func (s *server) GetFloatingIP(ctx context.Context, r *pb.IdRequest) (*pb.FloatingIP, error) {
	return unary(s, "GetFloatingIP", func(d core.Driver) (core.FloatingIP, error) { return d.GetFloatingIP(ctx, r.Id) },
		convert.FloatingIPToProto)
}

func (s *server) ListFloatingIPs(ctx context.Context, r *pb.ListRequest) (*pb.ListFloatingIPsResponse, error) {
	return unary(s, "ListFloatingIPs", func(d core.Driver) ([]core.FloatingIP, error) {
		return d.ListFloatingIPs(ctx, convert.ListOptionsFromProto(r.Options))
	}, convert.FloatingIPsToProto)
}

func (s *server) UpdateFloatingIP(ctx context.Context, r *pb.UpdateFloatingIPRequest) (*pb.FloatingIP, error) {
	return unary(s, "UpdateFloatingIP", func(d core.Driver) (core.FloatingIP, error) {
		return d.UpdateFloatingIP(ctx, r.Id, convert.FloatingIPUpdateFromProto(r.Update))
	}, convert.FloatingIPToProto)
}

func (s *server) DeleteFloatingIP(ctx context.Context, r *pb.IdRequest) (*emptypb.Empty, error) {
	return empty(s, "DeleteFloatingIP", func(d core.Driver) error { return d.DeleteFloatingIP(ctx, r.Id) })
}

func (s *server) CreatePublicIP(ctx context.Context, r *pb.PublicIPCreate) (*pb.PublicIP, error) {
	return unary(s, "CreatePublicIP", func(d core.Driver) (core.PublicIP, error) {
		return d.CreatePublicIP(ctx, convert.PublicIPCreateFromProto(r))
	}, convert.PublicIPToProto)
}

func (s *server) GetPublicIP(ctx context.Context, r *pb.IdRequest) (*pb.PublicIP, error) {
	return unary(s, "GetPublicIP", func(d core.Driver) (core.PublicIP, error) { return d.GetPublicIP(ctx, r.Id) },
		convert.PublicIPToProto)
}

func (s *server) ListPublicIPs(ctx context.Context, r *pb.ListRequest) (*pb.ListPublicIPsResponse, error) {
	return unary(s, "ListPublicIPs", func(d core.Driver) ([]core.PublicIP, error) {
		return d.ListPublicIPs(ctx, convert.ListOptionsFromProto(r.Options))
	}, convert.PublicIPsToProto)
}

func (s *server) BindPublicIP(ctx context.Context, r *pb.PublicIPBindingRequest) (*pb.PublicIP, error) {
	return unary(s, "BindPublicIP", func(d core.Driver) (core.PublicIP, error) {
		return d.BindPublicIP(ctx, r.Id, convert.PublicIPBindingFromProto(r.Binding))
	}, convert.PublicIPToProto)
}

func (s *server) UnbindPublicIP(ctx context.Context, r *pb.PublicIPBindingRequest) (*pb.PublicIP, error) {
	return unary(s, "UnbindPublicIP", func(d core.Driver) (core.PublicIP, error) {
		return d.UnbindPublicIP(ctx, r.Id, convert.PublicIPBindingFromProto(r.Binding))
	}, convert.PublicIPToProto)
}

func (s *server) DeletePublicIP(ctx context.Context, r *pb.IdRequest) (*emptypb.Empty, error) {
	return empty(s, "DeletePublicIP", func(d core.Driver) error { return d.DeletePublicIP(ctx, r.Id) })
}

func (s *server) CreateLoadBalancer(ctx context.Context, r *pb.LoadBalancerCreate) (*pb.LoadBalancer, error) {
	return unary(s, "CreateLoadBalancer", func(d core.Driver) (core.LoadBalancer, error) {
		return d.CreateLoadBalancer(ctx, convert.LoadBalancerCreateFromProto(r))
	}, convert.LoadBalancerToProto)
}

func (s *server) GetLoadBalancer(ctx context.Context, r *pb.IdRequest) (*pb.LoadBalancer, error) {
	return unary(s, "GetLoadBalancer", func(d core.Driver) (core.LoadBalancer, error) { return d.GetLoadBalancer(ctx, r.Id) },
		convert.LoadBalancerToProto)
}

func (s *server) ListLoadBalancers(ctx context.Context, r *pb.ListRequest) (*pb.ListLoadBalancersResponse, error) {
	return unary(s, "ListLoadBalancers", func(d core.Driver) ([]core.LoadBalancer, error) {
		return d.ListLoadBalancers(ctx, convert.ListOptionsFromProto(r.Options))
	}, convert.LoadBalancersToProto)
}

func (s *server) DeleteLoadBalancer(ctx context.Context, r *pb.IdRequest) (*emptypb.Empty, error) {
	return empty(s, "DeleteLoadBalancer", func(d core.Driver) error { return d.DeleteLoadBalancer(ctx, r.Id) })
}

func (s *server) AddMember(ctx context.Context, r *pb.AddMemberRequest) (*pb.LoadBalancer, error) {
	return unary(s, "AddMember", func(d core.Driver) (core.LoadBalancer, error) {
		return d.AddMember(ctx, r.Id, convert.MemberAddFromProto(r.Member))
	}, convert.LoadBalancerToProto)
}

func (s *server) RemoveMember(ctx context.Context, r *pb.RemoveMemberRequest) (*pb.LoadBalancer, error) {
	return unary(s, "RemoveMember", func(d core.Driver) (core.LoadBalancer, error) {
		return d.RemoveMember(ctx, r.Id, convert.MemberRemoveFromProto(r.Member))
	}, convert.LoadBalancerToProto)
}

func (s *server) CreateSecurityGroup(ctx context.Context, r *pb.SecurityGroupCreate) (*pb.SecurityGroup, error) {
	return unary(s, "CreateSecurityGroup", func(d core.Driver) (core.SecurityGroup, error) {
		return d.CreateSecurityGroup(ctx, convert.SecurityGroupCreateFromProto(r))
	}, convert.SecurityGroupToProto)
}

func (s *server) GetSecurityGroup(ctx context.Context, r *pb.IdRequest) (*pb.SecurityGroup, error) {
	return unary(s, "GetSecurityGroup", func(d core.Driver) (core.SecurityGroup, error) { return d.GetSecurityGroup(ctx, r.Id) },
		convert.SecurityGroupToProto)
}

func (s *server) ListSecurityGroups(ctx context.Context, r *pb.ListRequest) (*pb.ListSecurityGroupsResponse, error) {
	return unary(s, "ListSecurityGroups", func(d core.Driver) ([]core.SecurityGroup, error) {
		return d.ListSecurityGroups(ctx, convert.ListOptionsFromProto(r.Options))
	}, convert.SecurityGroupsToProto)
}

func (s *server) DeleteSecurityGroup(ctx context.Context, r *pb.IdRequest) (*emptypb.Empty, error) {
	return empty(s, "DeleteSecurityGroup", func(d core.Driver) error { return d.DeleteSecurityGroup(ctx, r.Id) })
}

func (s *server) CreateSecurityGroupRule(ctx context.Context, r *pb.SecurityGroupRuleCreate) (*pb.SecurityGroupRule, error) {
	return unary(s, "CreateSecurityGroupRule", func(d core.Driver) (core.SecurityGroupRule, error) {
		return d.CreateSecurityGroupRule(ctx, convert.SecurityGroupRuleCreateFromProto(r))
	}, convert.SecurityGroupRuleToProto)
}

func (s *server) DeleteSecurityGroupRule(ctx context.Context, r *pb.IdRequest) (*emptypb.Empty, error) {
	return empty(s, "DeleteSecurityGroupRule", func(d core.Driver) error { return d.DeleteSecurityGroupRule(ctx, r.Id) })
}

func (s *server) CreateVolume(ctx context.Context, r *pb.VolumeCreate) (*pb.Volume, error) {
	return unary(s, "CreateVolume", func(d core.Driver) (core.Volume, error) {
		return d.CreateVolume(ctx, convert.VolumeCreateFromProto(r))
	}, convert.VolumeToProto)
}

func (s *server) GetVolume(ctx context.Context, r *pb.IdRequest) (*pb.Volume, error) {
	return unary(s, "GetVolume", func(d core.Driver) (core.Volume, error) { return d.GetVolume(ctx, r.Id) }, convert.VolumeToProto)
}

func (s *server) ListVolumes(ctx context.Context, r *pb.ListRequest) (*pb.ListVolumesResponse, error) {
	return unary(s, "ListVolumes", func(d core.Driver) ([]core.Volume, error) {
		return d.ListVolumes(ctx, convert.ListOptionsFromProto(r.Options))
	}, convert.VolumesToProto)
}

func (s *server) DeleteVolume(ctx context.Context, r *pb.IdRequest) (*emptypb.Empty, error) {
	return empty(s, "DeleteVolume", func(d core.Driver) error { return d.DeleteVolume(ctx, r.Id) })
}

func (s *server) AttachVolume(ctx context.Context, r *pb.AttachVolumeRequest) (*pb.Volume, error) {
	return unary(s, "AttachVolume", func(d core.Driver) (core.Volume, error) {
		return d.AttachVolume(ctx, r.Id, convert.VolumeAttachFromProto(r.Attach))
	}, convert.VolumeToProto)
}

func (s *server) DetachVolume(ctx context.Context, r *pb.DetachVolumeRequest) (*pb.Volume, error) {
	return unary(s, "DetachVolume", func(d core.Driver) (core.Volume, error) {
		return d.DetachVolume(ctx, r.Id, r.ServerId)
	}, convert.VolumeToProto)
}

func (s *server) ExtendVolume(ctx context.Context, r *pb.ExtendVolumeRequest) (*pb.Volume, error) {
	return unary(s, "ExtendVolume", func(d core.Driver) (core.Volume, error) {
		return d.ExtendVolume(ctx, r.Id, r.NewSizeGb)
	}, convert.VolumeToProto)
}

func (s *server) CreateVolumeSnapshot(ctx context.Context, r *pb.VolumeSnapshotCreate) (*pb.VolumeSnapshot, error) {
	return unary(s, "CreateVolumeSnapshot", func(d core.Driver) (core.VolumeSnapshot, error) {
		return d.CreateVolumeSnapshot(ctx, convert.VolumeSnapshotCreateFromProto(r))
	}, convert.VolumeSnapshotToProto)
}

func (s *server) GetVolumeSnapshot(ctx context.Context, r *pb.IdRequest) (*pb.VolumeSnapshot, error) {
	return unary(s, "GetVolumeSnapshot", func(d core.Driver) (core.VolumeSnapshot, error) { return d.GetVolumeSnapshot(ctx, r.Id) },
		convert.VolumeSnapshotToProto)
}

func (s *server) ListVolumeSnapshots(ctx context.Context, r *pb.ListRequest) (*pb.ListVolumeSnapshotsResponse, error) {
	return unary(s, "ListVolumeSnapshots", func(d core.Driver) ([]core.VolumeSnapshot, error) {
		return d.ListVolumeSnapshots(ctx, convert.ListOptionsFromProto(r.Options))
	}, convert.VolumeSnapshotsToProto)
}

func (s *server) DeleteVolumeSnapshot(ctx context.Context, r *pb.IdRequest) (*emptypb.Empty, error) {
	return empty(s, "DeleteVolumeSnapshot", func(d core.Driver) error { return d.DeleteVolumeSnapshot(ctx, r.Id) })
}

func (s *server) CreateBackup(ctx context.Context, r *pb.BackupCreate) (*pb.Backup, error) {
	return unary(s, "CreateBackup", func(d core.Driver) (core.Backup, error) {
		return d.CreateBackup(ctx, convert.BackupCreateFromProto(r))
	}, convert.BackupToProto)
}

func (s *server) GetBackup(ctx context.Context, r *pb.IdRequest) (*pb.Backup, error) {
	return unary(s, "GetBackup", func(d core.Driver) (core.Backup, error) { return d.GetBackup(ctx, r.Id) }, convert.BackupToProto)
}

func (s *server) ListBackups(ctx context.Context, r *pb.ListRequest) (*pb.ListBackupsResponse, error) {
	return unary(s, "ListBackups", func(d core.Driver) ([]core.Backup, error) {
		return d.ListBackups(ctx, convert.ListOptionsFromProto(r.Options))
	}, convert.BackupsToProto)
}

func (s *server) DeleteBackup(ctx context.Context, r *pb.IdRequest) (*emptypb.Empty, error) {
	return empty(s, "DeleteBackup", func(d core.Driver) error { return d.DeleteBackup(ctx, r.Id) })
}

func (s *server) CreateRouter(ctx context.Context, r *pb.RouterCreate) (*pb.Router, error) {
	return unary(s, "CreateRouter", func(d core.Driver) (core.Router, error) {
		return d.CreateRouter(ctx, convert.RouterCreateFromProto(r))
	}, convert.RouterToProto)
}

func (s *server) GetRouter(ctx context.Context, r *pb.IdRequest) (*pb.Router, error) {
	return unary(s, "GetRouter", func(d core.Driver) (core.Router, error) { return d.GetRouter(ctx, r.Id) }, convert.RouterToProto)
}

func (s *server) ListRouters(ctx context.Context, r *pb.ListRequest) (*pb.ListRoutersResponse, error) {
	return unary(s, "ListRouters", func(d core.Driver) ([]core.Router, error) {
		return d.ListRouters(ctx, convert.ListOptionsFromProto(r.Options))
	}, convert.RoutersToProto)
}

func (s *server) DeleteRouter(ctx context.Context, r *pb.IdRequest) (*emptypb.Empty, error) {
	return empty(s, "DeleteRouter", func(d core.Driver) error { return d.DeleteRouter(ctx, r.Id) })
}

func (s *server) AddRouterInterface(ctx context.Context, r *pb.RouterInterfaceRequest) (*pb.Router, error) {
	return unary(s, "AddRouterInterface", func(d core.Driver) (core.Router, error) {
		return d.AddRouterInterface(ctx, r.Id, r.SubnetId)
	}, convert.RouterToProto)
}

func (s *server) RemoveRouterInterface(ctx context.Context, r *pb.RouterInterfaceRequest) (*pb.Router, error) {
	return unary(s, "RemoveRouterInterface", func(d core.Driver) (core.Router, error) {
		return d.RemoveRouterInterface(ctx, r.Id, r.SubnetId)
	}, convert.RouterToProto)
}
