package plugins

import (
	"context"

	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/gisiaas/gisiaas/core"
	"github.com/gisiaas/gisiaas/plugins/internal/convert"
	pb "github.com/gisiaas/gisiaas/plugins/proto/driverpb"
)

// The service methods of Client: each converts its arguments, calls the
// RPC of the same name and converts the answer. Info, Health, Close,
// Watch and the quotas are in client.go, UploadImage in upload.go.

// CreateServer creates a server.
func (c *Client) CreateServer(ctx context.Context, req core.ServerCreate) (core.Server, error) {
	return call(c, ctx, "CreateServer", c.rpc.CreateServer, convert.ServerCreateToProto(req), convert.ServerFromProto)
}

// GetServer returns a server.
func (c *Client) GetServer(ctx context.Context, id string) (core.Server, error) {
	return call(c, ctx, "GetServer", c.rpc.GetServer, &pb.IdRequest{Id: id}, convert.ServerFromProto)
}

// ListServers lists servers.
func (c *Client) ListServers(ctx context.Context, opts core.ListOptions) ([]core.Server, error) {
	return call(c, ctx, "ListServers", c.rpc.ListServers, &pb.ListRequest{Options: convert.ListOptionsToProto(opts)}, convert.ServersFromProto)
}

// UpdateServer renames or redescribes a server.
func (c *Client) UpdateServer(ctx context.Context, id string, req core.ServerUpdate) (core.Server, error) {
	return call(c, ctx, "UpdateServer", c.rpc.UpdateServer, &pb.UpdateServerRequest{Id: id, Update: convert.ServerUpdateToProto(req)}, convert.ServerFromProto)
}

// DeleteServer deletes a server.
func (c *Client) DeleteServer(ctx context.Context, id string) error {
	return call0(c, ctx, "DeleteServer", c.rpc.DeleteServer, &pb.IdRequest{Id: id})
}

// StartServer starts a server.
func (c *Client) StartServer(ctx context.Context, id string) error {
	return call0(c, ctx, "StartServer", c.rpc.StartServer, &pb.IdRequest{Id: id})
}

// StopServer stops a server.
func (c *Client) StopServer(ctx context.Context, id string) error {
	return call0(c, ctx, "StopServer", c.rpc.StopServer, &pb.IdRequest{Id: id})
}

// RebootServer reboots a server.
func (c *Client) RebootServer(ctx context.Context, id string, kind core.RebootType) error {
	return call0(c, ctx, "RebootServer", c.rpc.RebootServer, &pb.RebootServerRequest{Id: id, Type: string(kind)})
}

// LiveMigrateServer moves a server to host.
func (c *Client) LiveMigrateServer(ctx context.Context, id, host string) error {
	return call0(c, ctx, "LiveMigrateServer", c.rpc.LiveMigrateServer, &pb.LiveMigrateServerRequest{Id: id, Host: host})
}

// ResizeServer moves a server to another flavor.
func (c *Client) ResizeServer(ctx context.Context, id, flavorID string) error {
	return call0(c, ctx, "ResizeServer", c.rpc.ResizeServer, &pb.ResizeServerRequest{Id: id, FlavorId: flavorID})
}

// ConfirmResize confirms a resize.
func (c *Client) ConfirmResize(ctx context.Context, id string) error {
	return call0(c, ctx, "ConfirmResize", c.rpc.ConfirmResize, &pb.IdRequest{Id: id})
}

// RevertResize reverts a resize.
func (c *Client) RevertResize(ctx context.Context, id string) error {
	return call0(c, ctx, "RevertResize", c.rpc.RevertResize, &pb.IdRequest{Id: id})
}

// CreateFlavor creates a flavor.
func (c *Client) CreateFlavor(ctx context.Context, req core.FlavorCreate) (core.Flavor, error) {
	return call(c, ctx, "CreateFlavor", c.rpc.CreateFlavor, convert.FlavorCreateToProto(req), convert.FlavorFromProto)
}

// GetFlavor returns a flavor.
func (c *Client) GetFlavor(ctx context.Context, id string) (core.Flavor, error) {
	return call(c, ctx, "GetFlavor", c.rpc.GetFlavor, &pb.IdRequest{Id: id}, convert.FlavorFromProto)
}

// ListFlavors lists flavors.
func (c *Client) ListFlavors(ctx context.Context) ([]core.Flavor, error) {
	return call(c, ctx, "ListFlavors", c.rpc.ListFlavors, &emptypb.Empty{}, convert.FlavorsFromProto)
}

// DeleteFlavor deletes a flavor.
func (c *Client) DeleteFlavor(ctx context.Context, id string) error {
	return call0(c, ctx, "DeleteFlavor", c.rpc.DeleteFlavor, &pb.IdRequest{Id: id})
}

// CreateImage creates an image.
func (c *Client) CreateImage(ctx context.Context, req core.ImageCreate) (core.Image, error) {
	return call(c, ctx, "CreateImage", c.rpc.CreateImage, convert.ImageCreateToProto(req), convert.ImageFromProto)
}

// GetImage returns an image.
func (c *Client) GetImage(ctx context.Context, id string) (core.Image, error) {
	return call(c, ctx, "GetImage", c.rpc.GetImage, &pb.IdRequest{Id: id}, convert.ImageFromProto)
}

// ListImages lists images.
func (c *Client) ListImages(ctx context.Context, opts core.ListOptions) ([]core.Image, error) {
	return call(c, ctx, "ListImages", c.rpc.ListImages, &pb.ListRequest{Options: convert.ListOptionsToProto(opts)}, convert.ImagesFromProto)
}

// DeleteImage deletes an image.
func (c *Client) DeleteImage(ctx context.Context, id string) error {
	return call0(c, ctx, "DeleteImage", c.rpc.DeleteImage, &pb.IdRequest{Id: id})
}

// ListNetworks lists networks.
func (c *Client) ListNetworks(ctx context.Context, opts core.ListOptions) ([]core.Network, error) {
	return call(c, ctx, "ListNetworks", c.rpc.ListNetworks, &pb.ListRequest{Options: convert.ListOptionsToProto(opts)}, convert.NetworksFromProto)
}

// GetNetwork returns a network.
func (c *Client) GetNetwork(ctx context.Context, id string) (core.Network, error) {
	return call(c, ctx, "GetNetwork", c.rpc.GetNetwork, &pb.IdRequest{Id: id}, convert.NetworkFromProto)
}

// ListPorts lists ports.
func (c *Client) ListPorts(ctx context.Context, opts core.ListOptions) ([]core.Port, error) {
	return call(c, ctx, "ListPorts", c.rpc.ListPorts, &pb.ListRequest{Options: convert.ListOptionsToProto(opts)}, convert.PortsFromProto)
}

// CreateFloatingIP allocates a floating IP.
func (c *Client) CreateFloatingIP(ctx context.Context, req core.FloatingIPCreate) (core.FloatingIP, error) {
	return call(c, ctx, "CreateFloatingIP", c.rpc.CreateFloatingIP, convert.FloatingIPCreateToProto(req), convert.FloatingIPFromProto)
}

// GetFloatingIP returns a floating IP.
func (c *Client) GetFloatingIP(ctx context.Context, id string) (core.FloatingIP, error) {
	return call(c, ctx, "GetFloatingIP", c.rpc.GetFloatingIP, &pb.IdRequest{Id: id}, convert.FloatingIPFromProto)
}

// ListFloatingIPs lists floating IPs.
func (c *Client) ListFloatingIPs(ctx context.Context, opts core.ListOptions) ([]core.FloatingIP, error) {
	return call(c, ctx, "ListFloatingIPs", c.rpc.ListFloatingIPs, &pb.ListRequest{Options: convert.ListOptionsToProto(opts)}, convert.FloatingIPsFromProto)
}

// UpdateFloatingIP associates or dissociates a floating IP.
func (c *Client) UpdateFloatingIP(ctx context.Context, id string, req core.FloatingIPUpdate) (core.FloatingIP, error) {
	return call(c, ctx, "UpdateFloatingIP", c.rpc.UpdateFloatingIP, &pb.UpdateFloatingIPRequest{Id: id, Update: convert.FloatingIPUpdateToProto(req)}, convert.FloatingIPFromProto)
}

// DeleteFloatingIP releases a floating IP.
func (c *Client) DeleteFloatingIP(ctx context.Context, id string) error {
	return call0(c, ctx, "DeleteFloatingIP", c.rpc.DeleteFloatingIP, &pb.IdRequest{Id: id})
}

// CreatePublicIP allocates a public IP.
func (c *Client) CreatePublicIP(ctx context.Context, req core.PublicIPCreate) (core.PublicIP, error) {
	return call(c, ctx, "CreatePublicIP", c.rpc.CreatePublicIP, convert.PublicIPCreateToProto(req), convert.PublicIPFromProto)
}

// GetPublicIP returns a public IP.
func (c *Client) GetPublicIP(ctx context.Context, id string) (core.PublicIP, error) {
	return call(c, ctx, "GetPublicIP", c.rpc.GetPublicIP, &pb.IdRequest{Id: id}, convert.PublicIPFromProto)
}

// ListPublicIPs lists public IPs.
func (c *Client) ListPublicIPs(ctx context.Context, opts core.ListOptions) ([]core.PublicIP, error) {
	return call(c, ctx, "ListPublicIPs", c.rpc.ListPublicIPs, &pb.ListRequest{Options: convert.ListOptionsToProto(opts)}, convert.PublicIPsFromProto)
}

// BindPublicIP binds a public IP.
func (c *Client) BindPublicIP(ctx context.Context, id string, to core.PublicIPBinding) (core.PublicIP, error) {
	return call(c, ctx, "BindPublicIP", c.rpc.BindPublicIP, &pb.PublicIPBindingRequest{Id: id, Binding: convert.PublicIPBindingToProto(to)}, convert.PublicIPFromProto)
}

// UnbindPublicIP unbinds a public IP.
func (c *Client) UnbindPublicIP(ctx context.Context, id string, from core.PublicIPBinding) (core.PublicIP, error) {
	return call(c, ctx, "UnbindPublicIP", c.rpc.UnbindPublicIP, &pb.PublicIPBindingRequest{Id: id, Binding: convert.PublicIPBindingToProto(from)}, convert.PublicIPFromProto)
}

// DeletePublicIP releases a public IP.
func (c *Client) DeletePublicIP(ctx context.Context, id string) error {
	return call0(c, ctx, "DeletePublicIP", c.rpc.DeletePublicIP, &pb.IdRequest{Id: id})
}

// CreateLoadBalancer creates a load balancer.
func (c *Client) CreateLoadBalancer(ctx context.Context, req core.LoadBalancerCreate) (core.LoadBalancer, error) {
	return call(c, ctx, "CreateLoadBalancer", c.rpc.CreateLoadBalancer, convert.LoadBalancerCreateToProto(req), convert.LoadBalancerFromProto)
}

// GetLoadBalancer returns a load balancer.
func (c *Client) GetLoadBalancer(ctx context.Context, id string) (core.LoadBalancer, error) {
	return call(c, ctx, "GetLoadBalancer", c.rpc.GetLoadBalancer, &pb.IdRequest{Id: id}, convert.LoadBalancerFromProto)
}

// ListLoadBalancers lists load balancers.
func (c *Client) ListLoadBalancers(ctx context.Context, opts core.ListOptions) ([]core.LoadBalancer, error) {
	return call(c, ctx, "ListLoadBalancers", c.rpc.ListLoadBalancers, &pb.ListRequest{Options: convert.ListOptionsToProto(opts)}, convert.LoadBalancersFromProto)
}

// DeleteLoadBalancer deletes a load balancer.
func (c *Client) DeleteLoadBalancer(ctx context.Context, id string) error {
	return call0(c, ctx, "DeleteLoadBalancer", c.rpc.DeleteLoadBalancer, &pb.IdRequest{Id: id})
}

// AddMember adds a member to a load balancer.
func (c *Client) AddMember(ctx context.Context, id string, m core.MemberAdd) (core.LoadBalancer, error) {
	return call(c, ctx, "AddMember", c.rpc.AddMember, &pb.AddMemberRequest{Id: id, Member: convert.MemberAddToProto(m)}, convert.LoadBalancerFromProto)
}

// RemoveMember removes a member from a load balancer.
func (c *Client) RemoveMember(ctx context.Context, id string, m core.MemberRemove) (core.LoadBalancer, error) {
	return call(c, ctx, "RemoveMember", c.rpc.RemoveMember, &pb.RemoveMemberRequest{Id: id, Member: convert.MemberRemoveToProto(m)}, convert.LoadBalancerFromProto)
}

// CreateSecurityGroup creates a security group.
func (c *Client) CreateSecurityGroup(ctx context.Context, req core.SecurityGroupCreate) (core.SecurityGroup, error) {
	return call(c, ctx, "CreateSecurityGroup", c.rpc.CreateSecurityGroup, convert.SecurityGroupCreateToProto(req), convert.SecurityGroupFromProto)
}

// GetSecurityGroup returns a security group.
func (c *Client) GetSecurityGroup(ctx context.Context, id string) (core.SecurityGroup, error) {
	return call(c, ctx, "GetSecurityGroup", c.rpc.GetSecurityGroup, &pb.IdRequest{Id: id}, convert.SecurityGroupFromProto)
}

// ListSecurityGroups lists security groups.
func (c *Client) ListSecurityGroups(ctx context.Context, opts core.ListOptions) ([]core.SecurityGroup, error) {
	return call(c, ctx, "ListSecurityGroups", c.rpc.ListSecurityGroups, &pb.ListRequest{Options: convert.ListOptionsToProto(opts)}, convert.SecurityGroupsFromProto)
}

// DeleteSecurityGroup deletes a security group.
func (c *Client) DeleteSecurityGroup(ctx context.Context, id string) error {
	return call0(c, ctx, "DeleteSecurityGroup", c.rpc.DeleteSecurityGroup, &pb.IdRequest{Id: id})
}

// CreateSecurityGroupRule adds a rule to a security group.
func (c *Client) CreateSecurityGroupRule(ctx context.Context, req core.SecurityGroupRuleCreate) (core.SecurityGroupRule, error) {
	return call(c, ctx, "CreateSecurityGroupRule", c.rpc.CreateSecurityGroupRule, convert.SecurityGroupRuleCreateToProto(req), convert.SecurityGroupRuleFromProto)
}

// DeleteSecurityGroupRule deletes a security group rule.
func (c *Client) DeleteSecurityGroupRule(ctx context.Context, id string) error {
	return call0(c, ctx, "DeleteSecurityGroupRule", c.rpc.DeleteSecurityGroupRule, &pb.IdRequest{Id: id})
}

// CreateVolume creates a volume.
func (c *Client) CreateVolume(ctx context.Context, req core.VolumeCreate) (core.Volume, error) {
	return call(c, ctx, "CreateVolume", c.rpc.CreateVolume, convert.VolumeCreateToProto(req), convert.VolumeFromProto)
}

// GetVolume returns a volume.
func (c *Client) GetVolume(ctx context.Context, id string) (core.Volume, error) {
	return call(c, ctx, "GetVolume", c.rpc.GetVolume, &pb.IdRequest{Id: id}, convert.VolumeFromProto)
}

// ListVolumes lists volumes.
func (c *Client) ListVolumes(ctx context.Context, opts core.ListOptions) ([]core.Volume, error) {
	return call(c, ctx, "ListVolumes", c.rpc.ListVolumes, &pb.ListRequest{Options: convert.ListOptionsToProto(opts)}, convert.VolumesFromProto)
}

// DeleteVolume deletes a volume.
func (c *Client) DeleteVolume(ctx context.Context, id string) error {
	return call0(c, ctx, "DeleteVolume", c.rpc.DeleteVolume, &pb.IdRequest{Id: id})
}

// AttachVolume attaches a volume to a server.
func (c *Client) AttachVolume(ctx context.Context, id string, req core.VolumeAttach) (core.Volume, error) {
	return call(c, ctx, "AttachVolume", c.rpc.AttachVolume, &pb.AttachVolumeRequest{Id: id, Attach: convert.VolumeAttachToProto(req)}, convert.VolumeFromProto)
}

// DetachVolume detaches a volume from a server.
func (c *Client) DetachVolume(ctx context.Context, id, serverID string) (core.Volume, error) {
	return call(c, ctx, "DetachVolume", c.rpc.DetachVolume, &pb.DetachVolumeRequest{Id: id, ServerId: serverID}, convert.VolumeFromProto)
}

// ExtendVolume grows a volume.
func (c *Client) ExtendVolume(ctx context.Context, id string, newSizeGB int64) (core.Volume, error) {
	return call(c, ctx, "ExtendVolume", c.rpc.ExtendVolume, &pb.ExtendVolumeRequest{Id: id, NewSizeGb: newSizeGB}, convert.VolumeFromProto)
}

// CreateVolumeSnapshot snapshots a volume.
func (c *Client) CreateVolumeSnapshot(ctx context.Context, req core.VolumeSnapshotCreate) (core.VolumeSnapshot, error) {
	return call(c, ctx, "CreateVolumeSnapshot", c.rpc.CreateVolumeSnapshot, convert.VolumeSnapshotCreateToProto(req), convert.VolumeSnapshotFromProto)
}

// GetVolumeSnapshot returns a volume snapshot.
func (c *Client) GetVolumeSnapshot(ctx context.Context, id string) (core.VolumeSnapshot, error) {
	return call(c, ctx, "GetVolumeSnapshot", c.rpc.GetVolumeSnapshot, &pb.IdRequest{Id: id}, convert.VolumeSnapshotFromProto)
}

// ListVolumeSnapshots lists volume snapshots.
func (c *Client) ListVolumeSnapshots(ctx context.Context, opts core.ListOptions) ([]core.VolumeSnapshot, error) {
	return call(c, ctx, "ListVolumeSnapshots", c.rpc.ListVolumeSnapshots, &pb.ListRequest{Options: convert.ListOptionsToProto(opts)}, convert.VolumeSnapshotsFromProto)
}

// DeleteVolumeSnapshot deletes a volume snapshot.
func (c *Client) DeleteVolumeSnapshot(ctx context.Context, id string) error {
	return call0(c, ctx, "DeleteVolumeSnapshot", c.rpc.DeleteVolumeSnapshot, &pb.IdRequest{Id: id})
}

// CreateBackup backs up a volume.
func (c *Client) CreateBackup(ctx context.Context, req core.BackupCreate) (core.Backup, error) {
	return call(c, ctx, "CreateBackup", c.rpc.CreateBackup, convert.BackupCreateToProto(req), convert.BackupFromProto)
}

// GetBackup returns a backup.
func (c *Client) GetBackup(ctx context.Context, id string) (core.Backup, error) {
	return call(c, ctx, "GetBackup", c.rpc.GetBackup, &pb.IdRequest{Id: id}, convert.BackupFromProto)
}

// ListBackups lists backups.
func (c *Client) ListBackups(ctx context.Context, opts core.ListOptions) ([]core.Backup, error) {
	return call(c, ctx, "ListBackups", c.rpc.ListBackups, &pb.ListRequest{Options: convert.ListOptionsToProto(opts)}, convert.BackupsFromProto)
}

// DeleteBackup deletes a backup.
func (c *Client) DeleteBackup(ctx context.Context, id string) error {
	return call0(c, ctx, "DeleteBackup", c.rpc.DeleteBackup, &pb.IdRequest{Id: id})
}

// CreateRouter creates a router.
func (c *Client) CreateRouter(ctx context.Context, req core.RouterCreate) (core.Router, error) {
	return call(c, ctx, "CreateRouter", c.rpc.CreateRouter, convert.RouterCreateToProto(req), convert.RouterFromProto)
}

// GetRouter returns a router.
func (c *Client) GetRouter(ctx context.Context, id string) (core.Router, error) {
	return call(c, ctx, "GetRouter", c.rpc.GetRouter, &pb.IdRequest{Id: id}, convert.RouterFromProto)
}

// ListRouters lists routers.
func (c *Client) ListRouters(ctx context.Context, opts core.ListOptions) ([]core.Router, error) {
	return call(c, ctx, "ListRouters", c.rpc.ListRouters, &pb.ListRequest{Options: convert.ListOptionsToProto(opts)}, convert.RoutersFromProto)
}

// DeleteRouter deletes a router.
func (c *Client) DeleteRouter(ctx context.Context, id string) error {
	return call0(c, ctx, "DeleteRouter", c.rpc.DeleteRouter, &pb.IdRequest{Id: id})
}

// AddRouterInterface plugs a subnet into a router.
func (c *Client) AddRouterInterface(ctx context.Context, id, subnetID string) (core.Router, error) {
	return call(c, ctx, "AddRouterInterface", c.rpc.AddRouterInterface, &pb.RouterInterfaceRequest{Id: id, SubnetId: subnetID}, convert.RouterFromProto)
}

// RemoveRouterInterface unplugs a subnet from a router.
func (c *Client) RemoveRouterInterface(ctx context.Context, id, subnetID string) (core.Router, error) {
	return call(c, ctx, "RemoveRouterInterface", c.rpc.RemoveRouterInterface, &pb.RouterInterfaceRequest{Id: id, SubnetId: subnetID}, convert.RouterFromProto)
}
