package libvirt

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gisiaas/gisiaas/core"
)

func TestDatacenters_AndComputeQuota(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	dcs, err := d.ListDatacenters(ctx)
	if err != nil || len(dcs) != 1 || dcs[0].ID != "default" || !dcs[0].Available || len(dcs[0].Hosts) != 1 {
		t.Fatalf("ListDatacenters: %+v %v", dcs, err)
	}
	before, err := d.GetComputeQuota(ctx, "default", "quota")
	// The test driver's node: 16 CPUs, 3 GiB.
	if err != nil || before.TotalVCPUs != 16 || before.TotalMemoryMB != 3072 || before.UsedServers != 0 || before.TotalServers != -1 {
		t.Fatalf("quota %+v %v", before, err)
	}
	newServer(t, d, "quota", "q")
	after, _ := d.GetComputeQuota(ctx, "default", "quota")
	if after.UsedServers != 1 || after.UsedVCPUs != 1 || after.UsedMemoryMB != 256 {
		t.Fatalf("quota after a server %+v", after)
	}
	if _, err := d.CreateFlavor(ctx, core.FlavorCreate{ID: "huge", Name: "huge", VCPUs: 16, MemoryMB: 256, DiskGB: 1}); err != nil {
		t.Fatal(err)
	}
	_, err = d.CreateServer(ctx, core.ServerCreate{CreateMeta: meta("quota"), Name: "too-big", FlavorID: "huge", ImageID: "base"})
	wantKind(t, "a server past the host's CPUs", err, core.QuotaExceeded)
	_, err = d.GetComputeQuota(ctx, "nowhere", "quota")
	wantKind(t, "an unknown datacenter", err, core.InvalidArgument)
}

// secondNode is a libvirt test-driver node of its own (test:///<file>
// keeps its own state): a second host group, with its own CPUs, network
// and pool.
const secondNode = `<node>
  <cpu><mhz>2000</mhz><model>x86_64</model><nodes>1</nodes><sockets>1</sockets><cores>4</cores><threads>1</threads></cpu>
  <memory>4194304</memory>
  <network>
    <name>lan2</name><bridge name='virbr9'/><forward mode='nat'/>
    <ip address='10.9.0.1' netmask='255.255.255.0'><dhcp><range start='10.9.0.2' end='10.9.0.254'/></dhcp></ip>
  </network>
  <pool type='dir'><name>default-pool</name><capacity unit='G'>50</capacity><target><path>/pool2</path></target></pool>
</node>`

// One datacenter per host group: each lists its own hosts and networks,
// counts its own capacity, and keeps its servers.
func TestDatacenters_OnePerHostGroup(t *testing.T) {
	node := filepath.Join(t.TempDir(), "node.xml")
	if err := os.WriteFile(node, []byte(secondNode), 0o600); err != nil {
		t.Fatal(err)
	}
	d := newTestDriver(t, func(c *Config) {
		c.URI, c.Networks = "", nil
		c.Datacenters = []DatacenterConfig{
			{ID: "dc1", Name: "Department 1", Hosts: []HostConfig{{Name: "kvm1", URI: "test:///default"}}},
			{ID: "dc2", Name: "Department 2", Kind: core.Region, Hosts: []HostConfig{{Name: "kvm2", URI: "test://" + node}}},
		}
	})
	ctx := testCtx(t)
	dcs, err := d.ListDatacenters(ctx)
	if err != nil || len(dcs) != 2 || dcs[1].ID != "dc2" || dcs[1].Kind != core.Region || dcs[1].Hosts[0] != "kvm2" {
		t.Fatalf("ListDatacenters: %+v %v", dcs, err)
	}
	ns, err := d.ListNetworks(ctx, core.ListOptions{DatacenterID: "dc2"})
	if err != nil || len(ns) != 1 || ns[0].ID != "lan2" || ns[0].DatacenterID != "dc2" {
		t.Fatalf("dc2's networks: %+v %v", ns, err)
	}
	q, err := d.GetComputeQuota(ctx, "dc2", "p")
	if err != nil || q.TotalVCPUs != 4 || q.TotalMemoryMB != 4096 {
		t.Fatalf("dc2's quota: %+v %v", q, err)
	}
	s, err := d.CreateServer(ctx, core.ServerCreate{CreateMeta: core.CreateMeta{ProjectID: "p", DatacenterID: "dc2"}, Name: "far",
		FlavorID: "m1.tiny", ImageID: "base"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = d.DeleteServer(ctx, s.ID) }()
	if s.Host != "kvm2" || s.DatacenterID != "dc2" || s.Addresses[0].NetworkID != "lan2" || !strings.HasPrefix(s.Addresses[0].Address, "10.9.0.") {
		t.Fatalf("dc2's server: %+v", s)
	}
	in1, _ := d.ListServers(ctx, core.ListOptions{DatacenterID: "dc1", ProjectID: "p"})
	in2, _ := d.ListServers(ctx, core.ListOptions{DatacenterID: "dc2", ProjectID: "p"})
	if len(in1) != 0 || len(in2) != 1 {
		t.Fatalf("dc1 lists %d servers, dc2 %d; want 0 and 1", len(in1), len(in2))
	}
	_, err = d.CreateServer(ctx, core.ServerCreate{CreateMeta: core.CreateMeta{ProjectID: "p", DatacenterID: "dc2"}, Name: "x",
		FlavorID: "m1.tiny", ImageID: "base", Networks: []core.NetworkAttachment{{NetworkID: "default"}}})
	wantKind(t, "dc1's network in dc2", err, core.InvalidArgument)
	_, err = d.CreateServer(ctx, core.ServerCreate{CreateMeta: core.CreateMeta{ProjectID: "p", DatacenterID: "dc9"}, Name: "x",
		FlavorID: "m1.tiny", ImageID: "base"})
	wantKind(t, "an unknown datacenter", err, core.InvalidArgument)
}
