package plugins_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/core"
	"github.com/gisiaas/gisiaas/drivers/sim"
	"github.com/gisiaas/gisiaas/plugins"
)

const simPkg = "cmd/gisiaas-driver-sim"

// simConfig is the simulator the boundary tests run: instant transitions
// and a fixed seed, so two instances hand out the same ids.
func simConfig() sim.Config {
	cfg := sim.DefaultConfig()
	cfg.Latency = 0
	cfg.Seed = 42
	return cfg
}

// launchSim starts the simulator binary as a real plugin with cfg.
func launchSim(t testing.TB, cfg sim.Config) *plugins.Process {
	t.Helper()
	settings, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := plugins.Launch(context.Background(), plugins.LaunchConfig{Name: "sim",
		Path: buildPlugin(t, simPkg, plugins.BinaryPrefix+"sim", ""), Config: settings, Logger: quietLogger()})
	if err != nil {
		t.Fatalf("launching the simulator: %v", err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// step is one call of the script; it may keep ids for later steps.
type step struct {
	name string
	run  func(ctx context.Context, d core.Driver, ids map[string]string) (any, error)
}

// outcome is what one step returned, comparable across two drivers.
type outcome struct {
	Result  any
	Kind    core.Kind
	Message string
}

func find[T any](list []T, match func(T) bool) (T, bool) {
	for _, v := range list {
		if match(v) {
			return v, true
		}
	}
	var zero T
	return zero, false
}

// script calls every operation of core.Driver at least once, in an order
// where each has what it needs, and a few that must fail.
func script() []step {
	ctx0 := core.CreateMeta{ProjectID: "p1", DatacenterID: "dc1", Tags: map[string]string{"run": "boundary"}}
	lo := core.ListOptions{ProjectID: "p1"}
	port22, port80 := 22, 80
	name, empty := "renamed", ""
	s := func(name string, run func(ctx context.Context, d core.Driver, ids map[string]string) (any, error)) step {
		return step{name, run}
	}
	return []step{
		s("Info", func(ctx context.Context, d core.Driver, _ map[string]string) (any, error) { return d.Info(ctx) }),
		s("Health", func(ctx context.Context, d core.Driver, _ map[string]string) (any, error) { return nil, d.Health(ctx) }),
		s("ListDatacenters", func(ctx context.Context, d core.Driver, _ map[string]string) (any, error) {
			return d.ListDatacenters(ctx)
		}),
		s("GetComputeQuota", func(ctx context.Context, d core.Driver, _ map[string]string) (any, error) {
			return d.GetComputeQuota(ctx, "dc1", "p1")
		}),
		s("GetVolumeQuota", func(ctx context.Context, d core.Driver, _ map[string]string) (any, error) {
			return d.GetVolumeQuota(ctx, "dc1", "p1")
		}),
		s("GetComputeQuota/unknown dc", func(ctx context.Context, d core.Driver, _ map[string]string) (any, error) {
			return d.GetComputeQuota(ctx, "nowhere", "p1")
		}),
		s("ListFlavors", func(ctx context.Context, d core.Driver, _ map[string]string) (any, error) { return d.ListFlavors(ctx) }),
		s("CreateFlavor", func(ctx context.Context, d core.Driver, _ map[string]string) (any, error) {
			return d.CreateFlavor(ctx, core.FlavorCreate{ID: "b.custom", Name: "b.custom", VCPUs: 3, MemoryMB: 3072, DiskGB: 30})
		}),
		s("CreateFlavor/duplicate", func(ctx context.Context, d core.Driver, _ map[string]string) (any, error) {
			return d.CreateFlavor(ctx, core.FlavorCreate{ID: "b.custom", Name: "b.custom", VCPUs: 3, MemoryMB: 3072, DiskGB: 30})
		}),
		s("GetFlavor", func(ctx context.Context, d core.Driver, _ map[string]string) (any, error) {
			return d.GetFlavor(ctx, "b.custom")
		}),
		s("GetFlavor/missing", func(ctx context.Context, d core.Driver, _ map[string]string) (any, error) {
			return d.GetFlavor(ctx, "nope")
		}),
		s("ListImages", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			l, err := d.ListImages(ctx, lo)
			if im, ok := find(l, func(i core.Image) bool { return i.Visibility == core.VisibilityPublic }); ok {
				ids["image"] = im.ID
			}
			return l, err
		}),
		s("CreateImage", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			im, err := d.CreateImage(ctx, core.ImageCreate{CreateMeta: ctx0, Name: "uploaded", DiskFormat: "raw", ImageTags: []string{"a"}})
			ids["upload"] = im.ID
			return im, err
		}),
		s("UploadImage", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			data := bytes.Repeat([]byte("gisiaas "), 300000) // 2.4 MB: many chunks
			return d.UploadImage(ctx, ids["upload"], core.ImageUpload{DiskFormat: "raw", Source: "test"}, bytes.NewReader(data))
		}),
		s("UploadImage/again", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return d.UploadImage(ctx, ids["upload"], core.ImageUpload{DiskFormat: "raw"}, strings.NewReader("x"))
		}),
		s("GetImage", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return d.GetImage(ctx, ids["upload"])
		}),
		s("UpdateImage", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return d.UpdateImage(ctx, ids["upload"], []core.PatchOp{{Op: "replace", Path: "/name", Value: "patched"},
				{Op: "replace", Path: "/min_ram_mb", Value: float64(256)}, {Op: "add", Path: "/os_distro", Value: "debian"}})
		}),
		s("UpdateImage/read-only", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return d.UpdateImage(ctx, ids["upload"], []core.PatchOp{{Op: "replace", Path: "/status", Value: "active"}})
		}),
		s("ListNetworks", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			l, err := d.ListNetworks(ctx, core.ListOptions{DatacenterID: "dc1"})
			for _, n := range l {
				key := "private"
				if n.External {
					key = "external"
				}
				ids[key] = n.ID
				if len(n.Subnets) > 0 {
					ids[key+"-subnet"] = n.Subnets[0].ID
				}
			}
			return l, err
		}),
		s("GetNetwork", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return d.GetNetwork(ctx, ids["private"])
		}),
		s("CreateSecurityGroup", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			g, err := d.CreateSecurityGroup(ctx, core.SecurityGroupCreate{CreateMeta: ctx0, Name: "web", Description: "web servers"})
			ids["sg"] = g.ID
			return g, err
		}),
		s("CreateSecurityGroupRule", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			r, err := d.CreateSecurityGroupRule(ctx, core.SecurityGroupRuleCreate{GroupID: ids["sg"], Direction: "ingress",
				Protocol: "tcp", PortRangeMin: &port22, PortRangeMax: &port22, RemoteIPPrefix: "0.0.0.0/0"})
			ids["rule"] = r.ID
			return r, err
		}),
		s("CreateSecurityGroupRule/duplicate", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return d.CreateSecurityGroupRule(ctx, core.SecurityGroupRuleCreate{GroupID: ids["sg"], Direction: "ingress",
				Protocol: "tcp", PortRangeMin: &port22, PortRangeMax: &port22, RemoteIPPrefix: "0.0.0.0/0"})
		}),
		s("CreateSecurityGroupRule/any port", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return d.CreateSecurityGroupRule(ctx, core.SecurityGroupRuleCreate{GroupID: ids["sg"], Direction: "egress", Protocol: "udp"})
		}),
		s("GetSecurityGroup", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return d.GetSecurityGroup(ctx, ids["sg"])
		}),
		s("ListSecurityGroups", func(ctx context.Context, d core.Driver, _ map[string]string) (any, error) {
			return d.ListSecurityGroups(ctx, lo)
		}),
		s("CreateServer", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			srv, err := d.CreateServer(ctx, core.ServerCreate{CreateMeta: ctx0, Name: "web-1", FlavorID: "m1.small", ImageID: ids["image"],
				Networks: []core.NetworkAttachment{{NetworkID: ids["private"]}}, SecurityGroupIDs: []string{ids["sg"]},
				Metadata: map[string]string{"role": "web"}, UserData: []byte("#cloud-config\n")})
			ids["server"] = srv.ID
			return srv, err
		}),
		s("CreateServer/invalid", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return d.CreateServer(ctx, core.ServerCreate{CreateMeta: ctx0, Name: "", FlavorID: "m1.small", ImageID: ids["image"]})
		}),
		s("CreateServer/unknown flavor", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return d.CreateServer(ctx, core.ServerCreate{CreateMeta: ctx0, Name: "x", FlavorID: "nope", ImageID: ids["image"]})
		}),
		s("GetServer", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return d.GetServer(ctx, ids["server"])
		}),
		s("GetServer/missing", func(ctx context.Context, d core.Driver, _ map[string]string) (any, error) {
			return d.GetServer(ctx, "00000000-0000-4000-8000-000000000000")
		}),
		s("ListServers", func(ctx context.Context, d core.Driver, _ map[string]string) (any, error) {
			return d.ListServers(ctx, lo)
		}),
		s("UpdateServer", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return d.UpdateServer(ctx, ids["server"], core.ServerUpdate{Name: &name, Description: &empty})
		}),
		s("UpdateServer/nothing", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return d.UpdateServer(ctx, ids["server"], core.ServerUpdate{})
		}),
		s("ListPorts", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			l, err := d.ListPorts(ctx, lo)
			if p, ok := find(l, func(p core.Port) bool { return p.DeviceID == ids["server"] }); ok {
				ids["port"] = p.ID
			}
			return l, err
		}),
		s("StopServer", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return nil, d.StopServer(ctx, ids["server"])
		}),
		s("StopServer/again", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return nil, d.StopServer(ctx, ids["server"])
		}),
		s("StartServer", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return nil, d.StartServer(ctx, ids["server"])
		}),
		s("RebootServer", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return nil, d.RebootServer(ctx, ids["server"], core.RebootSoft)
		}),
		s("RebootServer/bad type", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return nil, d.RebootServer(ctx, ids["server"], "GENTLE")
		}),
		s("LiveMigrateServer", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			srv, _ := d.GetServer(ctx, ids["server"])
			to := "dc1-host-1"
			if srv.Host == to {
				to = "dc1-host-2"
			}
			return nil, d.LiveMigrateServer(ctx, ids["server"], to)
		}),
		s("LiveMigrateServer/unknown host", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return nil, d.LiveMigrateServer(ctx, ids["server"], "nowhere")
		}),
		s("ResizeServer", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return nil, d.ResizeServer(ctx, ids["server"], "m1.medium")
		}),
		s("ConfirmResize", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return nil, d.ConfirmResize(ctx, ids["server"])
		}),
		s("ResizeServer/again", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return nil, d.ResizeServer(ctx, ids["server"], "m1.large")
		}),
		s("RevertResize", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return nil, d.RevertResize(ctx, ids["server"])
		}),
		s("GetServer/after", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return d.GetServer(ctx, ids["server"])
		}),
		s("CreateImage/snapshot", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			im, err := d.CreateImage(ctx, core.ImageCreate{CreateMeta: ctx0, Name: "web-1-snap", ServerID: ids["server"]})
			ids["snapshot-image"] = im.ID
			return im, err
		}),
		s("CreateVolume", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			v, err := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: ctx0, Name: "data", SizeGB: 10})
			ids["volume"] = v.ID
			return v, err
		}),
		s("AttachVolume", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return d.AttachVolume(ctx, ids["volume"], core.VolumeAttach{ServerID: ids["server"], Mountpoint: "/dev/vdb"})
		}),
		s("AttachVolume/again", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return d.AttachVolume(ctx, ids["volume"], core.VolumeAttach{ServerID: ids["server"]})
		}),
		s("GetVolume", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return d.GetVolume(ctx, ids["volume"])
		}),
		s("ListVolumes", func(ctx context.Context, d core.Driver, _ map[string]string) (any, error) {
			return d.ListVolumes(ctx, lo)
		}),
		s("CreateVolumeSnapshot", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			v, err := d.CreateVolumeSnapshot(ctx, core.VolumeSnapshotCreate{CreateMeta: ctx0, VolumeID: ids["volume"], Name: "snap", Force: true})
			ids["vsnap"] = v.ID
			return v, err
		}),
		s("GetVolumeSnapshot", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return d.GetVolumeSnapshot(ctx, ids["vsnap"])
		}),
		s("ListVolumeSnapshots", func(ctx context.Context, d core.Driver, _ map[string]string) (any, error) {
			return d.ListVolumeSnapshots(ctx, lo)
		}),
		s("CreateBackup/incremental first", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return d.CreateBackup(ctx, core.BackupCreate{CreateMeta: ctx0, VolumeID: ids["volume"], Kind: core.BackupIncremental})
		}),
		s("CreateBackup", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			b, err := d.CreateBackup(ctx, core.BackupCreate{CreateMeta: ctx0, VolumeID: ids["volume"], Name: "full"})
			ids["backup"] = b.ID
			return b, err
		}),
		s("CreateBackup/incremental", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			b, err := d.CreateBackup(ctx, core.BackupCreate{CreateMeta: ctx0, VolumeID: ids["volume"], Name: "incr", Kind: core.BackupIncremental})
			ids["backup-incr"] = b.ID
			return b, err
		}),
		s("GetBackup", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return d.GetBackup(ctx, ids["backup"])
		}),
		s("ListBackups", func(ctx context.Context, d core.Driver, _ map[string]string) (any, error) {
			return d.ListBackups(ctx, lo)
		}),
		s("DeleteBackup/parent", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return nil, d.DeleteBackup(ctx, ids["backup"])
		}),
		s("DetachVolume", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return d.DetachVolume(ctx, ids["volume"], ids["server"])
		}),
		s("ExtendVolume", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return d.ExtendVolume(ctx, ids["volume"], 20)
		}),
		s("ExtendVolume/shrink", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return d.ExtendVolume(ctx, ids["volume"], 5)
		}),
		s("CreateFloatingIP", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			f, err := d.CreateFloatingIP(ctx, core.FloatingIPCreate{CreateMeta: ctx0, FloatingNetworkID: ids["external"]})
			ids["fip"] = f.ID
			return f, err
		}),
		s("UpdateFloatingIP", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return d.UpdateFloatingIP(ctx, ids["fip"], core.FloatingIPUpdate{PortID: ids["port"]})
		}),
		s("GetFloatingIP", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return d.GetFloatingIP(ctx, ids["fip"])
		}),
		s("ListFloatingIPs", func(ctx context.Context, d core.Driver, _ map[string]string) (any, error) {
			return d.ListFloatingIPs(ctx, lo)
		}),
		s("UpdateFloatingIP/dissociate", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return d.UpdateFloatingIP(ctx, ids["fip"], core.FloatingIPUpdate{})
		}),
		s("CreatePublicIP", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			p, err := d.CreatePublicIP(ctx, core.PublicIPCreate{CreateMeta: ctx0, Name: "pub"})
			ids["pub"] = p.ID
			return p, err
		}),
		s("BindPublicIP", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return d.BindPublicIP(ctx, ids["pub"], core.PublicIPBinding{ServerID: ids["server"]})
		}),
		s("BindPublicIP/again", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return d.BindPublicIP(ctx, ids["pub"], core.PublicIPBinding{ServerID: ids["server"]})
		}),
		s("GetPublicIP", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return d.GetPublicIP(ctx, ids["pub"])
		}),
		s("ListPublicIPs", func(ctx context.Context, d core.Driver, _ map[string]string) (any, error) {
			return d.ListPublicIPs(ctx, lo)
		}),
		s("DeletePublicIP/bound", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return nil, d.DeletePublicIP(ctx, ids["pub"])
		}),
		s("UnbindPublicIP", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return d.UnbindPublicIP(ctx, ids["pub"], core.PublicIPBinding{ServerID: ids["server"]})
		}),
		s("CreateLoadBalancer", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			lb, err := d.CreateLoadBalancer(ctx, core.LoadBalancerCreate{CreateMeta: ctx0, Name: "lb", SubnetID: ids["private-subnet"],
				Listeners: []core.Listener{{Protocol: "TCP", Port: port80}}})
			ids["lb"] = lb.ID
			return lb, err
		}),
		s("AddMember", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return d.AddMember(ctx, ids["lb"], core.MemberAdd{ServerID: ids["server"]})
		}),
		s("GetLoadBalancer", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return d.GetLoadBalancer(ctx, ids["lb"])
		}),
		s("ListLoadBalancers", func(ctx context.Context, d core.Driver, _ map[string]string) (any, error) {
			return d.ListLoadBalancers(ctx, lo)
		}),
		s("RemoveMember", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return d.RemoveMember(ctx, ids["lb"], core.MemberRemove{ServerID: ids["server"]})
		}),
		s("CreateRouter", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			r, err := d.CreateRouter(ctx, core.RouterCreate{CreateMeta: ctx0, Name: "r1", ExternalNetworkID: ids["external"]})
			ids["router"] = r.ID
			return r, err
		}),
		s("AddRouterInterface", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return d.AddRouterInterface(ctx, ids["router"], ids["private-subnet"])
		}),
		s("AddRouterInterface/again", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return d.AddRouterInterface(ctx, ids["router"], ids["private-subnet"])
		}),
		s("GetRouter", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return d.GetRouter(ctx, ids["router"])
		}),
		s("ListRouters", func(ctx context.Context, d core.Driver, _ map[string]string) (any, error) {
			return d.ListRouters(ctx, lo)
		}),
		s("DeleteRouter/with interfaces", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return nil, d.DeleteRouter(ctx, ids["router"])
		}),
		s("RemoveRouterInterface", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return d.RemoveRouterInterface(ctx, ids["router"], ids["private-subnet"])
		}),
		s("DeleteFlavor/in use", func(ctx context.Context, d core.Driver, _ map[string]string) (any, error) {
			return nil, d.DeleteFlavor(ctx, "m1.medium") // the server's flavor after the revert
		}),
		s("DeleteRouter", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return nil, d.DeleteRouter(ctx, ids["router"])
		}),
		s("DeleteLoadBalancer", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return nil, d.DeleteLoadBalancer(ctx, ids["lb"])
		}),
		s("DeletePublicIP", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return nil, d.DeletePublicIP(ctx, ids["pub"])
		}),
		s("DeleteFloatingIP", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return nil, d.DeleteFloatingIP(ctx, ids["fip"])
		}),
		s("DeleteBackup/incremental", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return nil, d.DeleteBackup(ctx, ids["backup-incr"])
		}),
		s("DeleteBackup", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return nil, d.DeleteBackup(ctx, ids["backup"])
		}),
		s("DeleteVolumeSnapshot", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return nil, d.DeleteVolumeSnapshot(ctx, ids["vsnap"])
		}),
		s("DeleteVolume", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return nil, d.DeleteVolume(ctx, ids["volume"])
		}),
		s("DeleteServer", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return nil, d.DeleteServer(ctx, ids["server"])
		}),
		s("DeleteImage/snapshot", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return nil, d.DeleteImage(ctx, ids["snapshot-image"])
		}),
		s("DeleteImage", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return nil, d.DeleteImage(ctx, ids["upload"])
		}),
		s("DeleteSecurityGroupRule", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return nil, d.DeleteSecurityGroupRule(ctx, ids["rule"])
		}),
		s("DeleteSecurityGroup", func(ctx context.Context, d core.Driver, ids map[string]string) (any, error) {
			return nil, d.DeleteSecurityGroup(ctx, ids["sg"])
		}),
		s("DeleteFlavor", func(ctx context.Context, d core.Driver, _ map[string]string) (any, error) {
			return nil, d.DeleteFlavor(ctx, "b.custom")
		}),
		s("DeleteFlavor/missing", func(ctx context.Context, d core.Driver, _ map[string]string) (any, error) {
			return nil, d.DeleteFlavor(ctx, "b.custom")
		}),
	}
}

var timeType = reflect.TypeOf(time.Time{})

// zeroTimes clears every time.Time inside v: each simulator stamps its
// own wall clock, which two processes cannot share.
func zeroTimes(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == timeType {
			v.Set(reflect.Zero(timeType))
			return
		}
		for i := 0; i < v.NumField(); i++ {
			zeroTimes(v.Field(i))
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			zeroTimes(v.Index(i))
		}
	case reflect.Pointer:
		if !v.IsNil() {
			zeroTimes(v.Elem())
		}
	}
}

// comparable returns v with its times cleared, in a copy.
func withoutTimes(v any) any {
	if v == nil {
		return nil
	}
	p := reflect.New(reflect.TypeOf(v)).Elem()
	p.Set(reflect.ValueOf(v))
	zeroTimes(p)
	return p.Interface()
}

// bootRE is the random boot id in a simulator's event ids ("sim:<boot>:<seq>"),
// fresh in each process by design.
var bootRE = regexp.MustCompile(`^([^:]+):[0-9a-f]+:`)

func runScript(t *testing.T, d core.Driver) []outcome {
	t.Helper()
	ids := map[string]string{}
	var out []outcome
	for _, st := range script() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		res, err := st.run(ctx, d, ids)
		cancel()
		out = append(out, outcome{Result: withoutTimes(res), Kind: core.KindOf(err), Message: errText(err)})
	}
	return out
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// collectEvents watches from the start until it has n events.
func collectEvents(t *testing.T, d core.Driver, n int) []core.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var evs []core.Event
	done := errors.New("done")
	if n == 0 {
		return nil
	}
	err := d.Watch(ctx, "", func(ev core.Event) error {
		ev.ID = bootRE.ReplaceAllString(ev.ID, "$1:BOOT:")
		ev.Time = time.Time{}
		evs = append(evs, ev)
		if len(evs) == n {
			return done
		}
		return nil
	})
	if err != done {
		t.Fatalf("Watch ended with %v after %d of %d events", err, len(evs), n)
	}
	return evs
}

// TestSimulatorAcrossTheBoundary runs the simulator as a real plugin binary
// and in process, with the same seed, through the same script calling every
// operation: results, error kinds and messages, and the event streams must
// be the same. Only the wall-clock times and the per-process boot id in
// event ids differ, by construction, and are cleared before comparing.
func TestSimulatorAcrossTheBoundary(t *testing.T) {
	local, err := sim.New(simConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	remote := launchSim(t, simConfig())

	want := runScript(t, local)
	got := runScript(t, remote)
	steps := script()
	supported := 0
	for i := range steps {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("%s differs across the boundary\nplugin:     %+v\nin process: %+v", steps[i].name, got[i], want[i])
		}
		if want[i].Kind != core.Unsupported {
			supported++
		}
	}
	t.Logf("%d steps, %d of them answered by the simulator (the rest Unsupported on both sides)", len(steps), supported)

	n := len(local.Events())
	if n == 0 {
		t.Fatal("the script made no events")
	}
	wantEv, gotEv := collectEvents(t, local, n), collectEvents(t, remote, n)
	for i := range wantEv {
		if !reflect.DeepEqual(gotEv[i], wantEv[i]) {
			t.Fatalf("event %d of %d differs\nplugin:     %+v\nin process: %+v", i, n, gotEv[i], wantEv[i])
		}
	}
}

// TestScriptCoversEveryOperation keeps the script honest: every method of
// core.Driver appears in it.
func TestScriptCoversEveryOperation(t *testing.T) {
	covered := map[string]bool{"Watch": true, "Close": true} // Watch by collectEvents, Close by cleanup
	for _, st := range script() {
		covered[strings.SplitN(st.name, "/", 2)[0]] = true
	}
	driver := reflect.TypeOf((*core.Driver)(nil)).Elem()
	for i := 0; i < driver.NumMethod(); i++ {
		if name := driver.Method(i).Name; !covered[name] {
			t.Errorf("the script never calls %s", name)
		}
	}
}
