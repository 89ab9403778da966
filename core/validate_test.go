package core

import (
	"strings"
	"testing"
)

// check asserts err is nil (field == "") or InvalidArgument naming field.
func check(t *testing.T, name string, err error, field string) {
	t.Helper()
	if field == "" {
		if err != nil {
			t.Errorf("%s: unexpected %v", name, err)
		}
		return
	}
	if KindOf(err) != InvalidArgument || !strings.Contains(MessageOf(err), field) {
		t.Errorf("%s: got %v, want invalid_argument naming %q", name, err, field)
	}
}

func ip(n int) *int { return &n }

func TestValidateNames(t *testing.T) {
	cases := []struct {
		name     string
		value    string
		required bool
		bad      bool
	}{
		{"ok", "gis-1", true, false},
		{"empty required", "", true, true},
		{"empty optional", "", false, false},
		{"white space only", "   ", false, true},
		{"255 Chinese characters", strings.Repeat("地", 255), true, false},
		{"256 Chinese characters", strings.Repeat("地", 256), true, true},
		{"control character", "a\x07b", true, true},
		{"invalid UTF-8", "a\xffb", true, true},
	}
	for _, c := range cases {
		field := ""
		if c.bad {
			field = "name"
		}
		check(t, c.name, ValidateName("name", c.value, c.required), field)
	}
	check(t, "cidr host bits", ValidateCIDR("cidr", "10.0.0.1/24"), "cidr")
	check(t, "cidr v6", ValidateCIDR("cidr", "2001:db8::/32"), "")
	check(t, "cidr junk", ValidateCIDR("cidr", "10.0.0.0"), "cidr")
	check(t, "ip", ValidateIP("ip", "10.0.0.300"), "ip")
	check(t, "size 0", ValidateSizeGB("size_gb", 0), "size_gb")
	check(t, "size max", ValidateSizeGB("size_gb", MaxSizeGB), "")
	check(t, "id slash", ValidateID("id", "a/b"), "id")
	check(t, "id empty", ValidateID("id", ""), "id")
}

func TestValidatePortRanges(t *testing.T) {
	cases := []struct {
		proto    string
		min, max *int
		field    string
	}{
		{"tcp", ip(22), ip(22), ""},
		{"tcp", nil, nil, ""},
		{"tcp", ip(22), nil, "port_range_min"},
		{"udp", ip(100), ip(99), "port_range_min"},
		{"tcp", ip(0), ip(10), "port_range_min"},
		{"tcp", ip(1), ip(65536), "port_range_max"},
		{"icmp", ip(8), ip(0), ""},
		{"icmp", ip(256), nil, "port_range_min"},
		{"icmp", nil, ip(0), "port_range_max"},
		{"gre", ip(1), ip(2), "port_range_min"},
		{"", nil, nil, ""},
	}
	for _, c := range cases {
		check(t, c.proto, ValidatePortRange(c.proto, c.min, c.max), c.field)
	}
}

func TestValidateSecurityGroupRule(t *testing.T) {
	r := SecurityGroupRuleCreate{GroupID: "g", Direction: "ingress", Protocol: "TCP", PortRangeMin: ip(80), PortRangeMax: ip(80), RemoteIPPrefix: "10.1.2.3/16"}
	check(t, "ok", r.Validate(), "")
	if r.EtherType != EtherTypeIPv4 || r.Protocol != "tcp" || r.RemoteIPPrefix != "10.1.0.0/16" {
		t.Fatalf("defaults %+v", r)
	}
	anyProto := SecurityGroupRuleCreate{GroupID: "g", Direction: "egress", Protocol: "any"}
	check(t, "any", anyProto.Validate(), "")
	if anyProto.Protocol != "" {
		t.Fatalf("any → %q", anyProto.Protocol)
	}
	cases := []struct {
		name  string
		r     SecurityGroupRuleCreate
		field string
	}{
		{"no direction", SecurityGroupRuleCreate{GroupID: "g"}, "direction"},
		{"bad ethertype", SecurityGroupRuleCreate{GroupID: "g", Direction: "ingress", EtherType: "IPX"}, "ethertype"},
		{"both remotes", SecurityGroupRuleCreate{GroupID: "g", Direction: "ingress", RemoteIPPrefix: "0.0.0.0/0", RemoteGroupID: "g2"}, "remote_ip_prefix"},
		{"family mismatch", SecurityGroupRuleCreate{GroupID: "g", Direction: "ingress", EtherType: "IPv6", RemoteIPPrefix: "10.0.0.0/8"}, "remote_ip_prefix"},
		{"protocol number", SecurityGroupRuleCreate{GroupID: "g", Direction: "ingress", Protocol: "6"}, ""},
		{"protocol 300", SecurityGroupRuleCreate{GroupID: "g", Direction: "ingress", Protocol: "300"}, "protocol"},
		{"unknown protocol", SecurityGroupRuleCreate{GroupID: "g", Direction: "ingress", Protocol: "smtp"}, "protocol"},
		{"no group", SecurityGroupRuleCreate{Direction: "ingress"}, "security_group_id"},
	}
	for _, c := range cases {
		check(t, c.name, c.r.Validate(), c.field)
	}
}

func TestValidateRequests(t *testing.T) {
	longData := make([]byte, MaxUserDataBytes+1)
	many := map[string]string{}
	for i := 0; i <= MaxMetadataItems; i++ {
		many[strings.Repeat("k", i+1)] = "v"
	}
	empty, name := "", "n"
	cases := []struct {
		name  string
		err   func() error
		field string
	}{
		{"server ok", func() error { r := ServerCreate{Name: "s", FlavorID: "f", ImageID: "i"}; return r.Validate() }, ""},
		{"server no image", func() error { r := ServerCreate{Name: "s", FlavorID: "f"}; return r.Validate() }, "image_id"},
		{"server boots from a block device", func() error {
			r := ServerCreate{Name: "s", FlavorID: "f", BlockDevices: []BlockDevice{{SourceType: SourceImage, UUID: "i", SizeGB: 5}}}
			return r.Validate()
		}, ""},
		{"server bad source", func() error {
			r := ServerCreate{Name: "s", FlavorID: "f", BlockDevices: []BlockDevice{{SourceType: "tape", UUID: "i"}}}
			return r.Validate()
		}, "source_type"},
		{"server metadata", func() error {
			r := ServerCreate{Name: "s", FlavorID: "f", ImageID: "i", Metadata: many}
			return r.Validate()
		}, "metadata"},
		{"server user data", func() error {
			r := ServerCreate{Name: "s", FlavorID: "f", ImageID: "i", UserData: longData}
			return r.Validate()
		}, "user_data"},
		{"server fixed ip", func() error {
			r := ServerCreate{Name: "s", FlavorID: "f", ImageID: "i", Networks: []NetworkAttachment{{NetworkID: "n", FixedIP: "x"}}}
			return r.Validate()
		}, "networks[0].fixed_ip"},
		{"update nothing", func() error { return ServerUpdate{}.Validate() }, "server"},
		{"update empty name", func() error { return ServerUpdate{Name: &empty}.Validate() }, "name"},
		{"update name", func() error { return ServerUpdate{Name: &name}.Validate() }, ""},
		{"reboot", func() error { return ValidateRebootType("WARM") }, "type"},
		{"flavor vcpus", func() error { return FlavorCreate{ID: "f", Name: "f", MemoryMB: 1}.Validate() }, "vcpus"},
		{"flavor disk", func() error { return FlavorCreate{ID: "f", Name: "f", VCPUs: 1, MemoryMB: 1, DiskGB: -1}.Validate() }, "disk_gb"},
		{"disk format", func() error { return ValidateDiskFormat("exe", false) }, "disk_format"},
		{"disk format required", func() error { return ValidateDiskFormat("", true) }, "disk_format"},
		{"image type", func() error { r := ImageCreate{Name: "i", Type: "disk"}; return r.Validate() }, "type"},
		{"image arch", func() error { r := ImageCreate{Name: "i", Architecture: "sparc"}; return r.Validate() }, "architecture"},
		{"fip fixed without port", func() error { return FloatingIPCreate{FloatingNetworkID: "n", FixedIP: "10.0.0.1"}.Validate() }, "fixed_ip_address"},
		{"fip ok", func() error {
			return FloatingIPCreate{FloatingNetworkID: "n", PortID: "p", FixedIP: "10.0.0.1"}.Validate()
		}, ""},
		{"binding none", func() error { return PublicIPBinding{}.Validate() }, "server_id"},
		{"binding both", func() error { return PublicIPBinding{ServerID: "s", PrivateIP: "10.0.0.1"}.Validate() }, "server_id"},
		{"lb duplicate port", func() error {
			return LoadBalancerCreate{Name: "l", Listeners: []Listener{{Protocol: "TCP", Port: 80}, {Protocol: "HTTP", Port: 80}}}.Validate()
		}, "listeners[1].port"},
		{"lb protocol", func() error {
			return LoadBalancerCreate{Name: "l", Listeners: []Listener{{Protocol: "FTP", Port: 21}}}.Validate()
		}, "listeners[0].protocol"},
		{"member both", func() error { return MemberRemove{ServerID: "s", Address: "10.0.0.1"}.Validate() }, "server_id"},
		{"volume size", func() error { return VolumeCreate{SizeGB: 0}.Validate() }, "size_gb"},
		{"volume two sources", func() error { return VolumeCreate{SizeGB: 1, SnapshotID: "s", ImageID: "i"}.Validate() }, "snapshot_id"},
		{"attach mode", func() error { r := VolumeAttach{ServerID: "s", Mode: "rx"}; return r.Validate() }, "mode"},
		{"attach mountpoint", func() error { r := VolumeAttach{ServerID: "s", Mountpoint: "vdb"}; return r.Validate() }, "mountpoint"},
		{"extend equal", func() error { return ValidateExtend(10, 10) }, "size_gb"},
		{"extend larger", func() error { return ValidateExtend(10, 11) }, ""},
		{"backup kind", func() error { r := BackupCreate{VolumeID: "v", Kind: "diff"}; return r.Validate() }, "kind"},
		{"snapshot volume", func() error { return VolumeSnapshotCreate{}.Validate() }, "volume_id"},
		{"router name", func() error { return RouterCreate{}.Validate() }, "name"},
		{"sg name", func() error { return SecurityGroupCreate{}.Validate() }, "name"},
	}
	for _, c := range cases {
		check(t, c.name, c.err(), c.field)
	}
	im := ImageCreate{Name: "i", ServerID: "s"}
	_ = im.Validate()
	if im.Type != ImageTypeSnapshot || im.Visibility != VisibilityPrivate {
		t.Fatalf("image defaults %+v", im)
	}
	at := VolumeAttach{ServerID: "s"}
	_ = at.Validate()
	b := BackupCreate{VolumeID: "v"}
	_ = b.Validate()
	if at.Mode != "rw" || b.Kind != BackupFull {
		t.Fatalf("defaults %+v %+v", at, b)
	}
}
