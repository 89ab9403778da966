package plugins

import (
	"context"
	"io"

	"github.com/gisiaas/gisiaas/core"
)

// The service methods of Supervised: each runs the call of the same name on
// the current instance (see do). Health, Close and Watch are in supervisor.go.

// Info calls the plugin's Info.
func (s *Supervised) Info(ctx context.Context) (core.DriverInfo, error) {
	return do(s, ctx, "Info", func(i Instance) (core.DriverInfo, error) { return i.Info(ctx) })
}

// ListDatacenters calls the plugin's ListDatacenters.
func (s *Supervised) ListDatacenters(ctx context.Context) ([]core.Datacenter, error) {
	return do(s, ctx, "ListDatacenters", func(i Instance) ([]core.Datacenter, error) { return i.ListDatacenters(ctx) })
}

// GetComputeQuota calls the plugin's GetComputeQuota.
func (s *Supervised) GetComputeQuota(ctx context.Context, datacenterID, projectID string) (core.ComputeQuota, error) {
	return do(s, ctx, "GetComputeQuota", func(i Instance) (core.ComputeQuota, error) { return i.GetComputeQuota(ctx, datacenterID, projectID) })
}

// GetVolumeQuota calls the plugin's GetVolumeQuota.
func (s *Supervised) GetVolumeQuota(ctx context.Context, datacenterID, projectID string) (core.VolumeQuota, error) {
	return do(s, ctx, "GetVolumeQuota", func(i Instance) (core.VolumeQuota, error) { return i.GetVolumeQuota(ctx, datacenterID, projectID) })
}

// UploadImage calls the plugin's UploadImage.
func (s *Supervised) UploadImage(ctx context.Context, id string, opts core.ImageUpload, data io.Reader) (core.Image, error) {
	return do(s, ctx, "UploadImage", func(i Instance) (core.Image, error) { return i.UploadImage(ctx, id, opts, data) })
}

// UpdateImage calls the plugin's UpdateImage.
func (s *Supervised) UpdateImage(ctx context.Context, id string, ops []core.PatchOp) (core.Image, error) {
	return do(s, ctx, "UpdateImage", func(i Instance) (core.Image, error) { return i.UpdateImage(ctx, id, ops) })
}

// CreateServer calls the plugin's CreateServer.
func (s *Supervised) CreateServer(ctx context.Context, req core.ServerCreate) (core.Server, error) {
	return do(s, ctx, "CreateServer", func(i Instance) (core.Server, error) { return i.CreateServer(ctx, req) })
}

// GetServer calls the plugin's GetServer.
func (s *Supervised) GetServer(ctx context.Context, id string) (core.Server, error) {
	return do(s, ctx, "GetServer", func(i Instance) (core.Server, error) { return i.GetServer(ctx, id) })
}

// ListServers calls the plugin's ListServers.
func (s *Supervised) ListServers(ctx context.Context, opts core.ListOptions) ([]core.Server, error) {
	return do(s, ctx, "ListServers", func(i Instance) ([]core.Server, error) { return i.ListServers(ctx, opts) })
}

// UpdateServer calls the plugin's UpdateServer.
func (s *Supervised) UpdateServer(ctx context.Context, id string, req core.ServerUpdate) (core.Server, error) {
	return do(s, ctx, "UpdateServer", func(i Instance) (core.Server, error) { return i.UpdateServer(ctx, id, req) })
}

// DeleteServer calls the plugin's DeleteServer.
func (s *Supervised) DeleteServer(ctx context.Context, id string) error {
	return do0(s, ctx, "DeleteServer", func(i Instance) error { return i.DeleteServer(ctx, id) })
}

// StartServer calls the plugin's StartServer.
func (s *Supervised) StartServer(ctx context.Context, id string) error {
	return do0(s, ctx, "StartServer", func(i Instance) error { return i.StartServer(ctx, id) })
}

// StopServer calls the plugin's StopServer.
func (s *Supervised) StopServer(ctx context.Context, id string) error {
	return do0(s, ctx, "StopServer", func(i Instance) error { return i.StopServer(ctx, id) })
}

// RebootServer calls the plugin's RebootServer.
func (s *Supervised) RebootServer(ctx context.Context, id string, kind core.RebootType) error {
	return do0(s, ctx, "RebootServer", func(i Instance) error { return i.RebootServer(ctx, id, kind) })
}

// LiveMigrateServer calls the plugin's LiveMigrateServer.
func (s *Supervised) LiveMigrateServer(ctx context.Context, id, host string) error {
	return do0(s, ctx, "LiveMigrateServer", func(i Instance) error { return i.LiveMigrateServer(ctx, id, host) })
}

// ResizeServer calls the plugin's ResizeServer.
func (s *Supervised) ResizeServer(ctx context.Context, id, flavorID string) error {
	return do0(s, ctx, "ResizeServer", func(i Instance) error { return i.ResizeServer(ctx, id, flavorID) })
}

// ConfirmResize calls the plugin's ConfirmResize.
func (s *Supervised) ConfirmResize(ctx context.Context, id string) error {
	return do0(s, ctx, "ConfirmResize", func(i Instance) error { return i.ConfirmResize(ctx, id) })
}

// RevertResize calls the plugin's RevertResize.
func (s *Supervised) RevertResize(ctx context.Context, id string) error {
	return do0(s, ctx, "RevertResize", func(i Instance) error { return i.RevertResize(ctx, id) })
}

// CreateFlavor calls the plugin's CreateFlavor.
func (s *Supervised) CreateFlavor(ctx context.Context, req core.FlavorCreate) (core.Flavor, error) {
	return do(s, ctx, "CreateFlavor", func(i Instance) (core.Flavor, error) { return i.CreateFlavor(ctx, req) })
}

// GetFlavor calls the plugin's GetFlavor.
func (s *Supervised) GetFlavor(ctx context.Context, id string) (core.Flavor, error) {
	return do(s, ctx, "GetFlavor", func(i Instance) (core.Flavor, error) { return i.GetFlavor(ctx, id) })
}

// ListFlavors calls the plugin's ListFlavors.
func (s *Supervised) ListFlavors(ctx context.Context) ([]core.Flavor, error) {
	return do(s, ctx, "ListFlavors", func(i Instance) ([]core.Flavor, error) { return i.ListFlavors(ctx) })
}

// DeleteFlavor calls the plugin's DeleteFlavor.
func (s *Supervised) DeleteFlavor(ctx context.Context, id string) error {
	return do0(s, ctx, "DeleteFlavor", func(i Instance) error { return i.DeleteFlavor(ctx, id) })
}

// CreateImage calls the plugin's CreateImage.
func (s *Supervised) CreateImage(ctx context.Context, req core.ImageCreate) (core.Image, error) {
	return do(s, ctx, "CreateImage", func(i Instance) (core.Image, error) { return i.CreateImage(ctx, req) })
}

// GetImage calls the plugin's GetImage.
func (s *Supervised) GetImage(ctx context.Context, id string) (core.Image, error) {
	return do(s, ctx, "GetImage", func(i Instance) (core.Image, error) { return i.GetImage(ctx, id) })
}

// ListImages calls the plugin's ListImages.
func (s *Supervised) ListImages(ctx context.Context, opts core.ListOptions) ([]core.Image, error) {
	return do(s, ctx, "ListImages", func(i Instance) ([]core.Image, error) { return i.ListImages(ctx, opts) })
}

// DeleteImage calls the plugin's DeleteImage.
func (s *Supervised) DeleteImage(ctx context.Context, id string) error {
	return do0(s, ctx, "DeleteImage", func(i Instance) error { return i.DeleteImage(ctx, id) })
}

// ListNetworks calls the plugin's ListNetworks.
func (s *Supervised) ListNetworks(ctx context.Context, opts core.ListOptions) ([]core.Network, error) {
	return do(s, ctx, "ListNetworks", func(i Instance) ([]core.Network, error) { return i.ListNetworks(ctx, opts) })
}

// GetNetwork calls the plugin's GetNetwork.
func (s *Supervised) GetNetwork(ctx context.Context, id string) (core.Network, error) {
	return do(s, ctx, "GetNetwork", func(i Instance) (core.Network, error) { return i.GetNetwork(ctx, id) })
}

// ListPorts calls the plugin's ListPorts.
func (s *Supervised) ListPorts(ctx context.Context, opts core.ListOptions) ([]core.Port, error) {
	return do(s, ctx, "ListPorts", func(i Instance) ([]core.Port, error) { return i.ListPorts(ctx, opts) })
}

// CreateFloatingIP calls the plugin's CreateFloatingIP.
func (s *Supervised) CreateFloatingIP(ctx context.Context, req core.FloatingIPCreate) (core.FloatingIP, error) {
	return do(s, ctx, "CreateFloatingIP", func(i Instance) (core.FloatingIP, error) { return i.CreateFloatingIP(ctx, req) })
}

// GetFloatingIP calls the plugin's GetFloatingIP.
func (s *Supervised) GetFloatingIP(ctx context.Context, id string) (core.FloatingIP, error) {
	return do(s, ctx, "GetFloatingIP", func(i Instance) (core.FloatingIP, error) { return i.GetFloatingIP(ctx, id) })
}

// ListFloatingIPs calls the plugin's ListFloatingIPs.
func (s *Supervised) ListFloatingIPs(ctx context.Context, opts core.ListOptions) ([]core.FloatingIP, error) {
	return do(s, ctx, "ListFloatingIPs", func(i Instance) ([]core.FloatingIP, error) { return i.ListFloatingIPs(ctx, opts) })
}

// UpdateFloatingIP calls the plugin's UpdateFloatingIP.
func (s *Supervised) UpdateFloatingIP(ctx context.Context, id string, req core.FloatingIPUpdate) (core.FloatingIP, error) {
	return do(s, ctx, "UpdateFloatingIP", func(i Instance) (core.FloatingIP, error) { return i.UpdateFloatingIP(ctx, id, req) })
}

// DeleteFloatingIP calls the plugin's DeleteFloatingIP.
func (s *Supervised) DeleteFloatingIP(ctx context.Context, id string) error {
	return do0(s, ctx, "DeleteFloatingIP", func(i Instance) error { return i.DeleteFloatingIP(ctx, id) })
}

// CreatePublicIP calls the plugin's CreatePublicIP.
func (s *Supervised) CreatePublicIP(ctx context.Context, req core.PublicIPCreate) (core.PublicIP, error) {
	return do(s, ctx, "CreatePublicIP", func(i Instance) (core.PublicIP, error) { return i.CreatePublicIP(ctx, req) })
}

// GetPublicIP calls the plugin's GetPublicIP.
func (s *Supervised) GetPublicIP(ctx context.Context, id string) (core.PublicIP, error) {
	return do(s, ctx, "GetPublicIP", func(i Instance) (core.PublicIP, error) { return i.GetPublicIP(ctx, id) })
}

// ListPublicIPs calls the plugin's ListPublicIPs.
func (s *Supervised) ListPublicIPs(ctx context.Context, opts core.ListOptions) ([]core.PublicIP, error) {
	return do(s, ctx, "ListPublicIPs", func(i Instance) ([]core.PublicIP, error) { return i.ListPublicIPs(ctx, opts) })
}

// BindPublicIP calls the plugin's BindPublicIP.
func (s *Supervised) BindPublicIP(ctx context.Context, id string, to core.PublicIPBinding) (core.PublicIP, error) {
	return do(s, ctx, "BindPublicIP", func(i Instance) (core.PublicIP, error) { return i.BindPublicIP(ctx, id, to) })
}

// UnbindPublicIP calls the plugin's UnbindPublicIP.
func (s *Supervised) UnbindPublicIP(ctx context.Context, id string, from core.PublicIPBinding) (core.PublicIP, error) {
	return do(s, ctx, "UnbindPublicIP", func(i Instance) (core.PublicIP, error) { return i.UnbindPublicIP(ctx, id, from) })
}

// DeletePublicIP calls the plugin's DeletePublicIP.
func (s *Supervised) DeletePublicIP(ctx context.Context, id string) error {
	return do0(s, ctx, "DeletePublicIP", func(i Instance) error { return i.DeletePublicIP(ctx, id) })
}

// CreateLoadBalancer calls the plugin's CreateLoadBalancer.
func (s *Supervised) CreateLoadBalancer(ctx context.Context, req core.LoadBalancerCreate) (core.LoadBalancer, error) {
	return do(s, ctx, "CreateLoadBalancer", func(i Instance) (core.LoadBalancer, error) { return i.CreateLoadBalancer(ctx, req) })
}

// GetLoadBalancer calls the plugin's GetLoadBalancer.
func (s *Supervised) GetLoadBalancer(ctx context.Context, id string) (core.LoadBalancer, error) {
	return do(s, ctx, "GetLoadBalancer", func(i Instance) (core.LoadBalancer, error) { return i.GetLoadBalancer(ctx, id) })
}

// ListLoadBalancers calls the plugin's ListLoadBalancers.
func (s *Supervised) ListLoadBalancers(ctx context.Context, opts core.ListOptions) ([]core.LoadBalancer, error) {
	return do(s, ctx, "ListLoadBalancers", func(i Instance) ([]core.LoadBalancer, error) { return i.ListLoadBalancers(ctx, opts) })
}

// DeleteLoadBalancer calls the plugin's DeleteLoadBalancer.
func (s *Supervised) DeleteLoadBalancer(ctx context.Context, id string) error {
	return do0(s, ctx, "DeleteLoadBalancer", func(i Instance) error { return i.DeleteLoadBalancer(ctx, id) })
}

// AddMember calls the plugin's AddMember.
func (s *Supervised) AddMember(ctx context.Context, id string, m core.MemberAdd) (core.LoadBalancer, error) {
	return do(s, ctx, "AddMember", func(i Instance) (core.LoadBalancer, error) { return i.AddMember(ctx, id, m) })
}

// RemoveMember calls the plugin's RemoveMember.
func (s *Supervised) RemoveMember(ctx context.Context, id string, m core.MemberRemove) (core.LoadBalancer, error) {
	return do(s, ctx, "RemoveMember", func(i Instance) (core.LoadBalancer, error) { return i.RemoveMember(ctx, id, m) })
}

// CreateSecurityGroup calls the plugin's CreateSecurityGroup.
func (s *Supervised) CreateSecurityGroup(ctx context.Context, req core.SecurityGroupCreate) (core.SecurityGroup, error) {
	return do(s, ctx, "CreateSecurityGroup", func(i Instance) (core.SecurityGroup, error) { return i.CreateSecurityGroup(ctx, req) })
}

// GetSecurityGroup calls the plugin's GetSecurityGroup.
func (s *Supervised) GetSecurityGroup(ctx context.Context, id string) (core.SecurityGroup, error) {
	return do(s, ctx, "GetSecurityGroup", func(i Instance) (core.SecurityGroup, error) { return i.GetSecurityGroup(ctx, id) })
}

// ListSecurityGroups calls the plugin's ListSecurityGroups.
func (s *Supervised) ListSecurityGroups(ctx context.Context, opts core.ListOptions) ([]core.SecurityGroup, error) {
	return do(s, ctx, "ListSecurityGroups", func(i Instance) ([]core.SecurityGroup, error) { return i.ListSecurityGroups(ctx, opts) })
}

// DeleteSecurityGroup calls the plugin's DeleteSecurityGroup.
func (s *Supervised) DeleteSecurityGroup(ctx context.Context, id string) error {
	return do0(s, ctx, "DeleteSecurityGroup", func(i Instance) error { return i.DeleteSecurityGroup(ctx, id) })
}

// CreateSecurityGroupRule calls the plugin's CreateSecurityGroupRule.
func (s *Supervised) CreateSecurityGroupRule(ctx context.Context, req core.SecurityGroupRuleCreate) (core.SecurityGroupRule, error) {
	return do(s, ctx, "CreateSecurityGroupRule", func(i Instance) (core.SecurityGroupRule, error) { return i.CreateSecurityGroupRule(ctx, req) })
}

// DeleteSecurityGroupRule calls the plugin's DeleteSecurityGroupRule.
func (s *Supervised) DeleteSecurityGroupRule(ctx context.Context, id string) error {
	return do0(s, ctx, "DeleteSecurityGroupRule", func(i Instance) error { return i.DeleteSecurityGroupRule(ctx, id) })
}

// CreateVolume calls the plugin's CreateVolume.
func (s *Supervised) CreateVolume(ctx context.Context, req core.VolumeCreate) (core.Volume, error) {
	return do(s, ctx, "CreateVolume", func(i Instance) (core.Volume, error) { return i.CreateVolume(ctx, req) })
}

// GetVolume calls the plugin's GetVolume.
func (s *Supervised) GetVolume(ctx context.Context, id string) (core.Volume, error) {
	return do(s, ctx, "GetVolume", func(i Instance) (core.Volume, error) { return i.GetVolume(ctx, id) })
}

// ListVolumes calls the plugin's ListVolumes.
func (s *Supervised) ListVolumes(ctx context.Context, opts core.ListOptions) ([]core.Volume, error) {
	return do(s, ctx, "ListVolumes", func(i Instance) ([]core.Volume, error) { return i.ListVolumes(ctx, opts) })
}

// DeleteVolume calls the plugin's DeleteVolume.
func (s *Supervised) DeleteVolume(ctx context.Context, id string) error {
	return do0(s, ctx, "DeleteVolume", func(i Instance) error { return i.DeleteVolume(ctx, id) })
}

// AttachVolume calls the plugin's AttachVolume.
func (s *Supervised) AttachVolume(ctx context.Context, id string, req core.VolumeAttach) (core.Volume, error) {
	return do(s, ctx, "AttachVolume", func(i Instance) (core.Volume, error) { return i.AttachVolume(ctx, id, req) })
}

// DetachVolume calls the plugin's DetachVolume.
func (s *Supervised) DetachVolume(ctx context.Context, id, serverID string) (core.Volume, error) {
	return do(s, ctx, "DetachVolume", func(i Instance) (core.Volume, error) { return i.DetachVolume(ctx, id, serverID) })
}

// ExtendVolume calls the plugin's ExtendVolume.
func (s *Supervised) ExtendVolume(ctx context.Context, id string, newSizeGB int64) (core.Volume, error) {
	return do(s, ctx, "ExtendVolume", func(i Instance) (core.Volume, error) { return i.ExtendVolume(ctx, id, newSizeGB) })
}

// CreateVolumeSnapshot calls the plugin's CreateVolumeSnapshot.
func (s *Supervised) CreateVolumeSnapshot(ctx context.Context, req core.VolumeSnapshotCreate) (core.VolumeSnapshot, error) {
	return do(s, ctx, "CreateVolumeSnapshot", func(i Instance) (core.VolumeSnapshot, error) { return i.CreateVolumeSnapshot(ctx, req) })
}

// GetVolumeSnapshot calls the plugin's GetVolumeSnapshot.
func (s *Supervised) GetVolumeSnapshot(ctx context.Context, id string) (core.VolumeSnapshot, error) {
	return do(s, ctx, "GetVolumeSnapshot", func(i Instance) (core.VolumeSnapshot, error) { return i.GetVolumeSnapshot(ctx, id) })
}

// ListVolumeSnapshots calls the plugin's ListVolumeSnapshots.
func (s *Supervised) ListVolumeSnapshots(ctx context.Context, opts core.ListOptions) ([]core.VolumeSnapshot, error) {
	return do(s, ctx, "ListVolumeSnapshots", func(i Instance) ([]core.VolumeSnapshot, error) { return i.ListVolumeSnapshots(ctx, opts) })
}

// DeleteVolumeSnapshot calls the plugin's DeleteVolumeSnapshot.
func (s *Supervised) DeleteVolumeSnapshot(ctx context.Context, id string) error {
	return do0(s, ctx, "DeleteVolumeSnapshot", func(i Instance) error { return i.DeleteVolumeSnapshot(ctx, id) })
}

// CreateBackup calls the plugin's CreateBackup.
func (s *Supervised) CreateBackup(ctx context.Context, req core.BackupCreate) (core.Backup, error) {
	return do(s, ctx, "CreateBackup", func(i Instance) (core.Backup, error) { return i.CreateBackup(ctx, req) })
}

// GetBackup calls the plugin's GetBackup.
func (s *Supervised) GetBackup(ctx context.Context, id string) (core.Backup, error) {
	return do(s, ctx, "GetBackup", func(i Instance) (core.Backup, error) { return i.GetBackup(ctx, id) })
}

// ListBackups calls the plugin's ListBackups.
func (s *Supervised) ListBackups(ctx context.Context, opts core.ListOptions) ([]core.Backup, error) {
	return do(s, ctx, "ListBackups", func(i Instance) ([]core.Backup, error) { return i.ListBackups(ctx, opts) })
}

// DeleteBackup calls the plugin's DeleteBackup.
func (s *Supervised) DeleteBackup(ctx context.Context, id string) error {
	return do0(s, ctx, "DeleteBackup", func(i Instance) error { return i.DeleteBackup(ctx, id) })
}

// CreateRouter calls the plugin's CreateRouter.
func (s *Supervised) CreateRouter(ctx context.Context, req core.RouterCreate) (core.Router, error) {
	return do(s, ctx, "CreateRouter", func(i Instance) (core.Router, error) { return i.CreateRouter(ctx, req) })
}

// GetRouter calls the plugin's GetRouter.
func (s *Supervised) GetRouter(ctx context.Context, id string) (core.Router, error) {
	return do(s, ctx, "GetRouter", func(i Instance) (core.Router, error) { return i.GetRouter(ctx, id) })
}

// ListRouters calls the plugin's ListRouters.
func (s *Supervised) ListRouters(ctx context.Context, opts core.ListOptions) ([]core.Router, error) {
	return do(s, ctx, "ListRouters", func(i Instance) ([]core.Router, error) { return i.ListRouters(ctx, opts) })
}

// DeleteRouter calls the plugin's DeleteRouter.
func (s *Supervised) DeleteRouter(ctx context.Context, id string) error {
	return do0(s, ctx, "DeleteRouter", func(i Instance) error { return i.DeleteRouter(ctx, id) })
}

// AddRouterInterface calls the plugin's AddRouterInterface.
func (s *Supervised) AddRouterInterface(ctx context.Context, id, subnetID string) (core.Router, error) {
	return do(s, ctx, "AddRouterInterface", func(i Instance) (core.Router, error) { return i.AddRouterInterface(ctx, id, subnetID) })
}

// RemoveRouterInterface calls the plugin's RemoveRouterInterface.
func (s *Supervised) RemoveRouterInterface(ctx context.Context, id, subnetID string) (core.Router, error) {
	return do(s, ctx, "RemoveRouterInterface", func(i Instance) (core.Router, error) { return i.RemoveRouterInterface(ctx, id, subnetID) })
}
