package core

import (
	"context"
	"io"
)

// Unimplemented answers Unsupported for every service operation. A driver
// embeds it and overrides what its cloud offers, so that a new operation in
// this interface never breaks a vendor's build (as gRPC's Unimplemented
// servers do).
type Unimplemented struct{}

func (Unimplemented) Watch(context.Context, string, func(Event) error) error {
	return UnsupportedError("Watch", "")
}
func (Unimplemented) ListDatacenters(context.Context) ([]Datacenter, error) {
	return nil, UnsupportedError("ListDatacenters", ClauseDatacenters)
}
func (Unimplemented) GetComputeQuota(context.Context, string, string) (ComputeQuota, error) {
	return ComputeQuota{}, UnsupportedError("GetComputeQuota", ClauseComputeQuota)
}
func (Unimplemented) GetVolumeQuota(context.Context, string, string) (VolumeQuota, error) {
	return VolumeQuota{}, UnsupportedError("GetVolumeQuota", ClauseVolumeQuota)
}
func (Unimplemented) CreateServer(context.Context, ServerCreate) (Server, error) {
	return Server{}, UnsupportedError("CreateServer", ClauseServerCreate)
}
func (Unimplemented) GetServer(context.Context, string) (Server, error) {
	return Server{}, UnsupportedError("GetServer", ClauseServerShow)
}
func (Unimplemented) ListServers(context.Context, ListOptions) ([]Server, error) {
	return nil, UnsupportedError("ListServers", ClauseServerList)
}
func (Unimplemented) UpdateServer(context.Context, string, ServerUpdate) (Server, error) {
	return Server{}, UnsupportedError("UpdateServer", ClauseServerUpdate)
}
func (Unimplemented) DeleteServer(context.Context, string) error {
	return UnsupportedError("DeleteServer", ClauseServerDelete)
}
func (Unimplemented) StartServer(context.Context, string) error {
	return UnsupportedError("StartServer", ClauseServerStart)
}
func (Unimplemented) StopServer(context.Context, string) error {
	return UnsupportedError("StopServer", ClauseServerStop)
}
func (Unimplemented) RebootServer(context.Context, string, RebootType) error {
	return UnsupportedError("RebootServer", ClauseServerReboot)
}
func (Unimplemented) LiveMigrateServer(context.Context, string, string) error {
	return UnsupportedError("LiveMigrateServer", ClauseServerLiveMigrate)
}
func (Unimplemented) ResizeServer(context.Context, string, string) error {
	return UnsupportedError("ResizeServer", ClauseServerResize)
}
func (Unimplemented) ConfirmResize(context.Context, string) error {
	return UnsupportedError("ConfirmResize", ClauseServerResize)
}
func (Unimplemented) RevertResize(context.Context, string) error {
	return UnsupportedError("RevertResize", ClauseServerResize)
}
func (Unimplemented) CreateFlavor(context.Context, FlavorCreate) (Flavor, error) {
	return Flavor{}, UnsupportedError("CreateFlavor", ClauseFlavorCreate)
}
func (Unimplemented) GetFlavor(context.Context, string) (Flavor, error) {
	return Flavor{}, UnsupportedError("GetFlavor", ClauseFlavorShow)
}
func (Unimplemented) ListFlavors(context.Context) ([]Flavor, error) {
	return nil, UnsupportedError("ListFlavors", ClauseFlavorList)
}
func (Unimplemented) DeleteFlavor(context.Context, string) error {
	return UnsupportedError("DeleteFlavor", ClauseFlavorDelete)
}
func (Unimplemented) CreateImage(context.Context, ImageCreate) (Image, error) {
	return Image{}, UnsupportedError("CreateImage", ClauseImageCreate)
}
func (Unimplemented) UploadImage(context.Context, string, ImageUpload, io.Reader) (Image, error) {
	return Image{}, UnsupportedError("UploadImage", ClauseImageUpload)
}
func (Unimplemented) GetImage(context.Context, string) (Image, error) {
	return Image{}, UnsupportedError("GetImage", ClauseImageShow)
}
func (Unimplemented) ListImages(context.Context, ListOptions) ([]Image, error) {
	return nil, UnsupportedError("ListImages", ClauseImageList)
}
func (Unimplemented) UpdateImage(context.Context, string, []PatchOp) (Image, error) {
	return Image{}, UnsupportedError("UpdateImage", ClauseImageUpdate)
}
func (Unimplemented) DeleteImage(context.Context, string) error {
	return UnsupportedError("DeleteImage", ClauseImageDelete)
}
func (Unimplemented) ListNetworks(context.Context, ListOptions) ([]Network, error) {
	return nil, UnsupportedError("ListNetworks", ClauseNetworkList)
}
func (Unimplemented) GetNetwork(context.Context, string) (Network, error) {
	return Network{}, UnsupportedError("GetNetwork", ClauseNetworkList)
}
func (Unimplemented) ListPorts(context.Context, ListOptions) ([]Port, error) {
	return nil, UnsupportedError("ListPorts", ClauseNetworkList)
}
func (Unimplemented) CreateFloatingIP(context.Context, FloatingIPCreate) (FloatingIP, error) {
	return FloatingIP{}, UnsupportedError("CreateFloatingIP", ClauseFloatingIPCreate)
}
func (Unimplemented) GetFloatingIP(context.Context, string) (FloatingIP, error) {
	return FloatingIP{}, UnsupportedError("GetFloatingIP", ClauseFloatingIPShow)
}
func (Unimplemented) ListFloatingIPs(context.Context, ListOptions) ([]FloatingIP, error) {
	return nil, UnsupportedError("ListFloatingIPs", ClauseFloatingIPShow)
}
func (Unimplemented) UpdateFloatingIP(context.Context, string, FloatingIPUpdate) (FloatingIP, error) {
	return FloatingIP{}, UnsupportedError("UpdateFloatingIP", ClauseFloatingIPUpdate)
}
func (Unimplemented) DeleteFloatingIP(context.Context, string) error {
	return UnsupportedError("DeleteFloatingIP", ClauseFloatingIPDelete)
}
func (Unimplemented) CreatePublicIP(context.Context, PublicIPCreate) (PublicIP, error) {
	return PublicIP{}, UnsupportedError("CreatePublicIP", ClausePublicIPCreate)
}
func (Unimplemented) GetPublicIP(context.Context, string) (PublicIP, error) {
	return PublicIP{}, UnsupportedError("GetPublicIP", ClausePublicIPShow)
}
func (Unimplemented) ListPublicIPs(context.Context, ListOptions) ([]PublicIP, error) {
	return nil, UnsupportedError("ListPublicIPs", ClausePublicIPShow)
}
func (Unimplemented) BindPublicIP(context.Context, string, PublicIPBinding) (PublicIP, error) {
	return PublicIP{}, UnsupportedError("BindPublicIP", ClausePublicIPBind)
}
func (Unimplemented) UnbindPublicIP(context.Context, string, PublicIPBinding) (PublicIP, error) {
	return PublicIP{}, UnsupportedError("UnbindPublicIP", ClausePublicIPUnbind)
}
func (Unimplemented) DeletePublicIP(context.Context, string) error {
	return UnsupportedError("DeletePublicIP", ClausePublicIPDelete)
}
func (Unimplemented) CreateLoadBalancer(context.Context, LoadBalancerCreate) (LoadBalancer, error) {
	return LoadBalancer{}, UnsupportedError("CreateLoadBalancer", ClauseLBCreate)
}
func (Unimplemented) GetLoadBalancer(context.Context, string) (LoadBalancer, error) {
	return LoadBalancer{}, UnsupportedError("GetLoadBalancer", ClauseLBShow)
}
func (Unimplemented) ListLoadBalancers(context.Context, ListOptions) ([]LoadBalancer, error) {
	return nil, UnsupportedError("ListLoadBalancers", ClauseLBList)
}
func (Unimplemented) DeleteLoadBalancer(context.Context, string) error {
	return UnsupportedError("DeleteLoadBalancer", ClauseLBDelete)
}
func (Unimplemented) AddMember(context.Context, string, MemberAdd) (LoadBalancer, error) {
	return LoadBalancer{}, UnsupportedError("AddMember", ClauseLBAddMember)
}
func (Unimplemented) RemoveMember(context.Context, string, MemberRemove) (LoadBalancer, error) {
	return LoadBalancer{}, UnsupportedError("RemoveMember", ClauseLBRemoveMember)
}
func (Unimplemented) CreateSecurityGroup(context.Context, SecurityGroupCreate) (SecurityGroup, error) {
	return SecurityGroup{}, UnsupportedError("CreateSecurityGroup", ClauseSecGroupCreate)
}
func (Unimplemented) GetSecurityGroup(context.Context, string) (SecurityGroup, error) {
	return SecurityGroup{}, UnsupportedError("GetSecurityGroup", ClauseSecGroupShow)
}
func (Unimplemented) ListSecurityGroups(context.Context, ListOptions) ([]SecurityGroup, error) {
	return nil, UnsupportedError("ListSecurityGroups", ClauseSecGroupShow)
}
func (Unimplemented) DeleteSecurityGroup(context.Context, string) error {
	return UnsupportedError("DeleteSecurityGroup", ClauseSecGroupDelete)
}
func (Unimplemented) CreateSecurityGroupRule(context.Context, SecurityGroupRuleCreate) (SecurityGroupRule, error) {
	return SecurityGroupRule{}, UnsupportedError("CreateSecurityGroupRule", ClauseSecGroupRuleCreate)
}
func (Unimplemented) DeleteSecurityGroupRule(context.Context, string) error {
	return UnsupportedError("DeleteSecurityGroupRule", ClauseSecGroupRuleDelete)
}
func (Unimplemented) CreateVolume(context.Context, VolumeCreate) (Volume, error) {
	return Volume{}, UnsupportedError("CreateVolume", ClauseVolumeCreate)
}
func (Unimplemented) GetVolume(context.Context, string) (Volume, error) {
	return Volume{}, UnsupportedError("GetVolume", ClauseVolumeShow)
}
func (Unimplemented) ListVolumes(context.Context, ListOptions) ([]Volume, error) {
	return nil, UnsupportedError("ListVolumes", ClauseVolumeShow)
}
func (Unimplemented) DeleteVolume(context.Context, string) error {
	return UnsupportedError("DeleteVolume", ClauseVolumeDelete)
}
func (Unimplemented) AttachVolume(context.Context, string, VolumeAttach) (Volume, error) {
	return Volume{}, UnsupportedError("AttachVolume", ClauseVolumeAttach)
}
func (Unimplemented) DetachVolume(context.Context, string, string) (Volume, error) {
	return Volume{}, UnsupportedError("DetachVolume", ClauseVolumeDetach)
}
func (Unimplemented) ExtendVolume(context.Context, string, int64) (Volume, error) {
	return Volume{}, UnsupportedError("ExtendVolume", ClauseVolumeExtend)
}
func (Unimplemented) CreateVolumeSnapshot(context.Context, VolumeSnapshotCreate) (VolumeSnapshot, error) {
	return VolumeSnapshot{}, UnsupportedError("CreateVolumeSnapshot", ClauseVolumeSnapshots)
}
func (Unimplemented) GetVolumeSnapshot(context.Context, string) (VolumeSnapshot, error) {
	return VolumeSnapshot{}, UnsupportedError("GetVolumeSnapshot", ClauseVolumeSnapshots)
}
func (Unimplemented) ListVolumeSnapshots(context.Context, ListOptions) ([]VolumeSnapshot, error) {
	return nil, UnsupportedError("ListVolumeSnapshots", ClauseVolumeSnapshots)
}
func (Unimplemented) DeleteVolumeSnapshot(context.Context, string) error {
	return UnsupportedError("DeleteVolumeSnapshot", ClauseVolumeSnapshots)
}
func (Unimplemented) CreateBackup(context.Context, BackupCreate) (Backup, error) {
	return Backup{}, UnsupportedError("CreateBackup", ClauseVolumeBackups)
}
func (Unimplemented) GetBackup(context.Context, string) (Backup, error) {
	return Backup{}, UnsupportedError("GetBackup", ClauseVolumeBackups)
}
func (Unimplemented) ListBackups(context.Context, ListOptions) ([]Backup, error) {
	return nil, UnsupportedError("ListBackups", ClauseVolumeBackups)
}
func (Unimplemented) DeleteBackup(context.Context, string) error {
	return UnsupportedError("DeleteBackup", ClauseVolumeBackups)
}
func (Unimplemented) CreateRouter(context.Context, RouterCreate) (Router, error) {
	return Router{}, UnsupportedError("CreateRouter", ClauseRouters)
}
func (Unimplemented) GetRouter(context.Context, string) (Router, error) {
	return Router{}, UnsupportedError("GetRouter", ClauseRouters)
}
func (Unimplemented) ListRouters(context.Context, ListOptions) ([]Router, error) {
	return nil, UnsupportedError("ListRouters", ClauseRouters)
}
func (Unimplemented) DeleteRouter(context.Context, string) error {
	return UnsupportedError("DeleteRouter", ClauseRouters)
}
func (Unimplemented) AddRouterInterface(context.Context, string, string) (Router, error) {
	return Router{}, UnsupportedError("AddRouterInterface", ClauseRouters)
}
func (Unimplemented) RemoveRouterInterface(context.Context, string, string) (Router, error) {
	return Router{}, UnsupportedError("RemoveRouterInterface", ClauseRouters)
}
