package core

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// vcase is one input of a validation rule: field is "" when the input is
// accepted, else the field the InvalidArgument message must name.
type vcase struct {
	name  string
	err   error
	field string
}

// vcheck asserts each case: accepted, or InvalidArgument naming its field.
func vcheck(t *testing.T, cases []vcase) {
	t.Helper()
	for _, c := range cases {
		if c.field == "" {
			if c.err != nil {
				t.Errorf("%s: refused: %v", c.name, c.err)
			}
			continue
		}
		if c.err == nil {
			t.Errorf("%s: accepted, want invalid_argument naming %q", c.name, c.field)
			continue
		}
		if KindOf(c.err) != InvalidArgument || !errors.Is(c.err, ErrInvalidArgument) {
			t.Errorf("%s: kind %s (%v), want invalid_argument", c.name, KindOf(c.err), c.err)
			continue
		}
		if !strings.HasPrefix(MessageOf(c.err), c.field) {
			t.Errorf("%s: message %q does not name %q", c.name, MessageOf(c.err), c.field)
		}
	}
}

func iptr(n int) *int { return &n }

func TestValidate_Names(t *testing.T) {
	vcheck(t, []vcase{
		{"ascii", ValidateName("name", "gis-1", true), ""},
		{"Chinese", ValidateName("name", "地理信息服务器", true), ""},
		{"empty required", ValidateName("name", "", true), "name"},
		{"empty optional", ValidateName("name", "", false), ""},
		{"spaces required", ValidateName("name", "   ", true), "name"},
		{"spaces optional", ValidateName("name", " \t ", false), "name"},
		{"inner spaces", ValidateName("name", "a b", true), ""},
		// Length counts characters: 255 Chinese characters are 765 bytes and fit.
		{"255 Chinese characters", ValidateName("name", strings.Repeat("地", MaxNameLen), true), ""},
		{"256 Chinese characters", ValidateName("name", strings.Repeat("地", MaxNameLen+1), true), "name"},
		{"256 ascii", ValidateName("name", strings.Repeat("a", MaxNameLen+1), true), "name"},
		{"bell", ValidateName("name", "a\x07b", true), "name"},
		{"NUL", ValidateName("name", "a\x00b", true), "name"},
		{"carriage return", ValidateName("name", "a\rb", true), "name"},
		{"DEL", ValidateName("name", "a\x7fb", true), "name"},
		{"C1 control", ValidateName("name", "a\u0085b", true), "name"},
		// "no control characters": a newline in a name breaks logs and listings.
		{"newline", ValidateName("name", "a\nb", true), "name"},
		{"tab", ValidateName("name", "a\tb", true), "name"},
		{"invalid UTF-8", ValidateName("name", "a\xffb", true), "name"},
		{"truncated UTF-8", ValidateName("name", "地"[:2], true), "name"},
		{"field name is used", ValidateName("display_name", "", true), "display_name"},
	})
	err := ValidateName("name", strings.Repeat("地", 256), true)
	if !strings.Contains(MessageOf(err), "256 characters") {
		t.Errorf("length counted in bytes? %v", err)
	}
}

func TestValidate_Description(t *testing.T) {
	vcheck(t, []vcase{
		{"empty", ValidateDescription("description", ""), ""},
		{"multi-line", ValidateDescription("description", "line 1\n\tline 2"), ""},
		{"1024 characters", ValidateDescription("description", strings.Repeat("图", MaxDescriptionLen)), ""},
		{"1025 characters", ValidateDescription("description", strings.Repeat("图", MaxDescriptionLen+1)), "description"},
		{"control", ValidateDescription("description", "a\x1bb"), "description"},
		{"invalid UTF-8", ValidateDescription("description", "\xc3"), "description"},
	})
}

func TestValidate_ID(t *testing.T) {
	vcheck(t, []vcase{
		{"uuid", ValidateID("id", "0d4f8a4e-3b1c-4c2e-9a57-5f9b6f0a1c2d"), ""},
		{"flavor style", ValidateID("id", "m1.tiny"), ""},
		{"255 bytes", ValidateID("id", strings.Repeat("a", 255)), ""},
		{"256 bytes", ValidateID("id", strings.Repeat("a", 256)), "id"},
		{"empty", ValidateID("id", ""), "id"},
		{"slash", ValidateID("id", "a/b"), "id"},
		{"space", ValidateID("id", "a b"), "id"},
		{"newline", ValidateID("id", "a\n"), "id"},
		{"DEL", ValidateID("id", "a\x7f"), "id"},
		// Not printable: an id that does not survive JSON (invalid UTF-8
		// becomes U+FFFD) or cannot be shown would name nothing.
		{"invalid UTF-8", ValidateID("id", "a\xffb"), "id"},
		{"C1 control", ValidateID("id", "a\u0085b"), "id"},
	})
}

func TestValidate_CIDRAndIP(t *testing.T) {
	vcheck(t, []vcase{
		{"v4", ValidateCIDR("cidr", "10.0.0.0/24"), ""},
		{"v4 any", ValidateCIDR("cidr", "0.0.0.0/0"), ""},
		{"v6", ValidateCIDR("cidr", "2001:db8::/32"), ""},
		{"v4 host bits", ValidateCIDR("cidr", "10.0.0.1/24"), "cidr"},
		{"v6 host bits", ValidateCIDR("cidr", "2001:db8::1/64"), "cidr"},
		{"no length", ValidateCIDR("cidr", "10.0.0.0"), "cidr"},
		{"length 33", ValidateCIDR("cidr", "10.0.0.0/33"), "cidr"},
		{"junk", ValidateCIDR("cidr", "ten/8"), "cidr"},
		{"empty", ValidateCIDR("cidr", ""), "cidr"},
		{"ip v4", ValidateIP("ip", "192.0.2.10"), ""},
		{"ip v6", ValidateIP("ip", "2001:db8::10"), ""},
		{"ip octet 300", ValidateIP("ip", "10.0.0.300"), "ip"},
		{"ip with prefix", ValidateIP("ip", "10.0.0.1/24"), "ip"},
		{"ip leading zero", ValidateIP("ip", "10.0.0.01"), "ip"},
		{"ip empty", ValidateIP("ip", ""), "ip"},
		// A zone is local to one host: no cloud can be given fe80::1%eth0.
		{"ip with zone", ValidateIP("ip", "fe80::1%eth0"), "ip"},
		{"ip v4-mapped", ValidateIP("ip", "::ffff:10.0.0.1"), ""},
	})
	err := ValidateCIDR("cidr", "10.0.0.1/24")
	if !strings.Contains(MessageOf(err), "10.0.0.0/24") {
		t.Errorf("the host-bits message should give the network: %v", err)
	}
}

func TestValidate_SizesAndPorts(t *testing.T) {
	vcheck(t, []vcase{
		{"size 1", ValidateSizeGB("size_gb", 1), ""},
		{"size max", ValidateSizeGB("size_gb", MaxSizeGB), ""},
		{"size 0", ValidateSizeGB("size_gb", 0), "size_gb"},
		{"size -1", ValidateSizeGB("size_gb", -1), "size_gb"},
		{"size max+1", ValidateSizeGB("size_gb", MaxSizeGB+1), "size_gb"},
		{"port 1", ValidatePort("port", 1), ""},
		{"port 65535", ValidatePort("port", 65535), ""},
		{"port 0", ValidatePort("port", 0), "port"},
		{"port 65536", ValidatePort("port", 65536), "port"},
		{"port -1", ValidatePort("port", -1), "port"},
	})
}

func TestValidate_B3_5_4_PortRanges(t *testing.T) {
	cases := []struct {
		proto    string
		min, max *int
		field    string
	}{
		{"tcp", iptr(22), iptr(22), ""},
		{"tcp", iptr(1), iptr(65535), ""},
		{"TCP", iptr(80), iptr(443), ""},
		{"tcp", nil, nil, ""},
		{"tcp", iptr(22), nil, "port_range_min"},
		{"tcp", nil, iptr(22), "port_range_min"},
		{"tcp", iptr(0), iptr(10), "port_range_min"},
		{"tcp", iptr(1), iptr(65536), "port_range_max"},
		{"udp", iptr(100), iptr(99), "port_range_min"},
		{"udp", iptr(53), iptr(53), ""},
		{"sctp", iptr(5000), iptr(5001), ""},
		{"6", iptr(22), iptr(22), ""},
		{"17", iptr(0), iptr(1), "port_range_min"},
		{"132", iptr(1), iptr(2), ""},
		{"icmp", nil, nil, ""},
		{"icmp", iptr(8), nil, ""},     // echo request, any code
		{"icmp", iptr(8), iptr(0), ""}, // type 8 code 0
		{"icmp", iptr(0), iptr(255), ""},
		{"icmp", iptr(256), nil, "port_range_min"},
		{"icmp", iptr(-1), nil, "port_range_min"},
		{"icmp", iptr(3), iptr(256), "port_range_max"},
		{"icmp", nil, iptr(0), "port_range_max"}, // a code needs a type
		{"1", iptr(8), iptr(0), ""},
		{"ipv6-icmp", iptr(128), nil, ""},
		{"icmpv6", iptr(300), nil, "port_range_min"},
		{"58", iptr(135), iptr(0), ""},
		{"gre", nil, nil, ""},
		{"gre", iptr(1), iptr(2), "port_range_min"},
		{"gre", nil, iptr(2), "port_range_min"},
		{"47", iptr(1), nil, "port_range_min"},
		{"", nil, nil, ""},
		{"", iptr(22), iptr(22), "port_range_min"}, // any protocol has no ports
	}
	var vc []vcase
	for _, c := range cases {
		vc = append(vc, vcase{fmt.Sprintf("%q %v-%v", c.proto, deref(c.min), deref(c.max)), ValidatePortRange(c.proto, c.min, c.max), c.field})
	}
	vcheck(t, vc)
}

func deref(p *int) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}

func TestValidate_B3_5_4_SecurityGroupRule(t *testing.T) {
	t.Run("defaults filled", func(t *testing.T) {
		r := SecurityGroupRuleCreate{GroupID: "g", Direction: DirectionIngress, Protocol: "TCP",
			PortRangeMin: iptr(80), PortRangeMax: iptr(80), RemoteIPPrefix: "10.1.2.3/16"}
		if err := r.Validate(); err != nil {
			t.Fatal(err)
		}
		if r.EtherType != EtherTypeIPv4 || r.Protocol != "tcp" || r.RemoteIPPrefix != "10.1.0.0/16" {
			t.Fatalf("defaults not filled: %+v", r)
		}
	})
	t.Run("any is no protocol", func(t *testing.T) {
		for _, p := range []string{"any", "ANY", ""} {
			r := SecurityGroupRuleCreate{GroupID: "g", Direction: DirectionEgress, Protocol: p}
			if err := r.Validate(); err != nil || r.Protocol != "" {
				t.Fatalf("protocol %q: %v, now %q", p, err, r.Protocol)
			}
		}
	})
	t.Run("IPv6 prefix masked", func(t *testing.T) {
		r := SecurityGroupRuleCreate{GroupID: "g", Direction: DirectionIngress, EtherType: EtherTypeIPv6, RemoteIPPrefix: "2001:db8::5/64"}
		if err := r.Validate(); err != nil || r.RemoteIPPrefix != "2001:db8::/64" || r.EtherType != EtherTypeIPv6 {
			t.Fatalf("%v %+v", err, r)
		}
	})
	ok := func(r SecurityGroupRuleCreate) error { return r.Validate() }
	base := func(mut func(*SecurityGroupRuleCreate)) error {
		r := SecurityGroupRuleCreate{GroupID: "g", Direction: DirectionIngress}
		mut(&r)
		return ok(r)
	}
	vcheck(t, []vcase{
		{"minimal", base(func(*SecurityGroupRuleCreate) {}), ""},
		{"no group", base(func(r *SecurityGroupRuleCreate) { r.GroupID = "" }), "security_group_id"},
		{"long description", base(func(r *SecurityGroupRuleCreate) { r.Description = strings.Repeat("d", MaxDescriptionLen+1) }), "description"},
		{"no direction", base(func(r *SecurityGroupRuleCreate) { r.Direction = "" }), "direction"},
		{"direction in", base(func(r *SecurityGroupRuleCreate) { r.Direction = "in" }), "direction"},
		{"ethertype lower case", base(func(r *SecurityGroupRuleCreate) { r.EtherType = "ipv4" }), "ethertype"},
		{"ethertype IPX", base(func(r *SecurityGroupRuleCreate) { r.EtherType = "IPX" }), "ethertype"},
		{"protocol number 6", base(func(r *SecurityGroupRuleCreate) { r.Protocol = "6" }), ""},
		{"protocol number 0", base(func(r *SecurityGroupRuleCreate) { r.Protocol = "0" }), ""},
		{"protocol number 255", base(func(r *SecurityGroupRuleCreate) { r.Protocol = "255" }), ""},
		{"protocol number 256", base(func(r *SecurityGroupRuleCreate) { r.Protocol = "256" }), "protocol"},
		{"protocol number 300", base(func(r *SecurityGroupRuleCreate) { r.Protocol = "300" }), "protocol"},
		{"protocol -1", base(func(r *SecurityGroupRuleCreate) { r.Protocol = "-1" }), "protocol"},
		{"protocol smtp", base(func(r *SecurityGroupRuleCreate) { r.Protocol = "smtp" }), "protocol"},
		{"protocol names", base(func(r *SecurityGroupRuleCreate) { r.Protocol = "vrrp" }), ""},
		{"gre with ports", base(func(r *SecurityGroupRuleCreate) {
			r.Protocol = "gre"
			r.PortRangeMin = iptr(1)
			r.PortRangeMax = iptr(1)
		}), "port_range_min"},
		{"tcp bad range", base(func(r *SecurityGroupRuleCreate) {
			r.Protocol = "tcp"
			r.PortRangeMin = iptr(90)
			r.PortRangeMax = iptr(80)
		}), "port_range_min"},
		{"icmp type", base(func(r *SecurityGroupRuleCreate) { r.Protocol = "icmp"; r.PortRangeMin = iptr(8) }), ""},
		{"remote group only", base(func(r *SecurityGroupRuleCreate) { r.RemoteGroupID = "g2" }), ""},
		{"both remotes", base(func(r *SecurityGroupRuleCreate) { r.RemoteIPPrefix = "0.0.0.0/0"; r.RemoteGroupID = "g2" }), "remote_ip_prefix"},
		{"v4 prefix on IPv6", base(func(r *SecurityGroupRuleCreate) { r.EtherType = EtherTypeIPv6; r.RemoteIPPrefix = "10.0.0.0/8" }), "remote_ip_prefix"},
		{"v6 prefix on IPv4", base(func(r *SecurityGroupRuleCreate) { r.RemoteIPPrefix = "::/0" }), "remote_ip_prefix"},
		{"v6 prefix on default ethertype", base(func(r *SecurityGroupRuleCreate) { r.RemoteIPPrefix = "2001:db8::/32" }), "remote_ip_prefix"},
		{"prefix junk", base(func(r *SecurityGroupRuleCreate) { r.RemoteIPPrefix = "10.0.0.0/40" }), "remote_ip_prefix"},
		{"bare address", base(func(r *SecurityGroupRuleCreate) { r.RemoteIPPrefix = "10.0.0.1" }), "remote_ip_prefix"},
	})
}

func TestValidate_B2_1_1_ServerCreate(t *testing.T) {
	many := func(n int) map[string]string {
		m := map[string]string{}
		for i := 0; i < n; i++ {
			m[fmt.Sprintf("k%d", i)] = "v"
		}
		return m
	}
	v := func(mut func(*ServerCreate)) error {
		r := ServerCreate{Name: "s", FlavorID: "m1.tiny", ImageID: "img"}
		mut(&r)
		return r.Validate()
	}
	bd := func(src BlockSource, uuid string, size int64) []BlockDevice {
		return []BlockDevice{{SourceType: src, UUID: uuid, SizeGB: size}}
	}
	vcheck(t, []vcase{
		{"minimal", v(func(*ServerCreate) {}), ""},
		{"no name", v(func(r *ServerCreate) { r.Name = "" }), "name"},
		{"long description", v(func(r *ServerCreate) { r.Description = strings.Repeat("d", MaxDescriptionLen+1) }), "description"},
		{"no flavor", v(func(r *ServerCreate) { r.FlavorID = "" }), "flavor_id"},
		{"no image, no block device", v(func(r *ServerCreate) { r.ImageID = "" }), "image_id"},
		{"bad image id", v(func(r *ServerCreate) { r.ImageID = "a/b" }), "image_id"},
		{"boot from volume", v(func(r *ServerCreate) { r.ImageID = ""; r.BlockDevices = bd(SourceVolume, "vol", 0) }), ""},
		{"boot from new volume of an image", v(func(r *ServerCreate) { r.ImageID = ""; r.BlockDevices = bd(SourceImage, "img", 10) }), ""},
		{"boot from snapshot", v(func(r *ServerCreate) { r.ImageID = ""; r.BlockDevices = bd(SourceSnapshot, "snap", 0) }), ""},
		{"image and data volume", v(func(r *ServerCreate) { r.BlockDevices = bd(SourceVolume, "vol", 0) }), ""},
		{"source tape", v(func(r *ServerCreate) { r.BlockDevices = bd("tape", "x", 0) }), "block_devices[0].source_type"},
		{"source empty", v(func(r *ServerCreate) { r.BlockDevices = bd("", "x", 0) }), "block_devices[0].source_type"},
		{"block device uuid", v(func(r *ServerCreate) { r.BlockDevices = bd(SourceVolume, "", 0) }), "block_devices[0].uuid"},
		{"block device size", v(func(r *ServerCreate) { r.BlockDevices = bd(SourceImage, "img", -1) }), "block_devices[0].size_gb"},
		{"block device too big", v(func(r *ServerCreate) { r.BlockDevices = bd(SourceImage, "img", MaxSizeGB+1) }), "block_devices[0].size_gb"},
		{"second block device", v(func(r *ServerCreate) {
			r.BlockDevices = []BlockDevice{{SourceType: SourceVolume, UUID: "a"}, {SourceType: "disk", UUID: "b"}}
		}), "block_devices[1].source_type"},
		{"network", v(func(r *ServerCreate) { r.Networks = []NetworkAttachment{{NetworkID: "n", FixedIP: "10.0.0.5"}} }), ""},
		{"network id", v(func(r *ServerCreate) { r.Networks = []NetworkAttachment{{NetworkID: ""}} }), "networks[0].network_id"},
		{"fixed ip", v(func(r *ServerCreate) { r.Networks = []NetworkAttachment{{NetworkID: "n", FixedIP: "x"}} }), "networks[0].fixed_ip"},
		{"128 metadata items", v(func(r *ServerCreate) { r.Metadata = many(MaxMetadataItems) }), ""},
		{"129 metadata items", v(func(r *ServerCreate) { r.Metadata = many(MaxMetadataItems + 1) }), "metadata"},
		{"metadata empty key", v(func(r *ServerCreate) { r.Metadata = map[string]string{"": "v"} }), "metadata key"},
		{"metadata long value", v(func(r *ServerCreate) { r.Metadata = map[string]string{"k": strings.Repeat("v", MaxNameLen+1)} }), "metadata[k]"},
		{"metadata empty value", v(func(r *ServerCreate) { r.Metadata = map[string]string{"k": ""} }), ""},
		{"user data at the limit", v(func(r *ServerCreate) { r.UserData = make([]byte, MaxUserDataBytes) }), ""},
		{"user data over", v(func(r *ServerCreate) { r.UserData = make([]byte, MaxUserDataBytes+1) }), "user_data"},
		{"security group", v(func(r *ServerCreate) { r.SecurityGroupIDs = []string{"sg"} }), ""},
		{"security group empty", v(func(r *ServerCreate) { r.SecurityGroupIDs = []string{"sg", ""} }), "security_group_ids[1]"},
	})
}

func TestValidate_B2_1_4_ServerUpdateAndReboot(t *testing.T) {
	s := func(v string) *string { return &v }
	vcheck(t, []vcase{
		{"nothing", ServerUpdate{}.Validate(), "server"},
		{"name", ServerUpdate{Name: s("n")}.Validate(), ""},
		{"empty name", ServerUpdate{Name: s("")}.Validate(), "name"},
		{"description only", ServerUpdate{Description: s("")}.Validate(), ""},
		{"long description", ServerUpdate{Description: s(strings.Repeat("d", MaxDescriptionLen+1))}.Validate(), "description"},
		{"both", ServerUpdate{Name: s("n"), Description: s("d")}.Validate(), ""},
		{"B.2.1.7 SOFT", ValidateRebootType(RebootSoft), ""},
		{"B.2.1.7 HARD", ValidateRebootType(RebootHard), ""},
		{"B.2.1.7 soft", ValidateRebootType("soft"), "type"},
		{"B.2.1.7 empty", ValidateRebootType(""), "type"},
	})
}

func TestValidate_B2_2_1_Flavor(t *testing.T) {
	v := func(mut func(*FlavorCreate)) error {
		r := FlavorCreate{ID: "f", Name: "f", VCPUs: 1, MemoryMB: 512, DiskGB: 0}
		mut(&r)
		return r.Validate()
	}
	vcheck(t, []vcase{
		{"minimal", v(func(*FlavorCreate) {}), ""},
		{"no id", v(func(r *FlavorCreate) { r.ID = "" }), "id"},
		{"id slash", v(func(r *FlavorCreate) { r.ID = "a/b" }), "id"},
		{"no name", v(func(r *FlavorCreate) { r.Name = "" }), "name"},
		{"vcpus 0", v(func(r *FlavorCreate) { r.VCPUs = 0 }), "vcpus"},
		{"vcpus 1024", v(func(r *FlavorCreate) { r.VCPUs = 1024 }), ""},
		{"vcpus 1025", v(func(r *FlavorCreate) { r.VCPUs = 1025 }), "vcpus"},
		{"memory 0", v(func(r *FlavorCreate) { r.MemoryMB = 0 }), "memory_mb"},
		{"memory 16 TiB", v(func(r *FlavorCreate) { r.MemoryMB = 16 * 1024 * 1024 }), ""},
		{"memory over", v(func(r *FlavorCreate) { r.MemoryMB = 16*1024*1024 + 1 }), "memory_mb"},
		{"disk -1", v(func(r *FlavorCreate) { r.DiskGB = -1 }), "disk_gb"},
		{"disk max", v(func(r *FlavorCreate) { r.DiskGB = MaxSizeGB }), ""},
		{"disk over", v(func(r *FlavorCreate) { r.DiskGB = MaxSizeGB + 1 }), "disk_gb"},
	})
}

func TestValidate_B2_3_1_ImageCreate(t *testing.T) {
	var vc []vcase
	for _, f := range DiskFormats {
		vc = append(vc, vcase{"disk format " + f, ValidateDiskFormat(f, true), ""})
	}
	vc = append(vc,
		vcase{"disk format optional", ValidateDiskFormat("", false), ""},
		vcase{"disk format required", ValidateDiskFormat("", true), "disk_format"},
		vcase{"disk format exe", ValidateDiskFormat("exe", false), "disk_format"},
		vcase{"disk format upper case", ValidateDiskFormat("QCOW2", false), "disk_format"},
	)
	v := func(mut func(*ImageCreate)) error {
		r := ImageCreate{Name: "i"}
		mut(&r)
		return r.Validate()
	}
	vc = append(vc,
		vcase{"minimal", v(func(*ImageCreate) {}), ""},
		vcase{"no name", v(func(r *ImageCreate) { r.Name = "" }), "name"},
		vcase{"long description", v(func(r *ImageCreate) { r.Description = strings.Repeat("d", MaxDescriptionLen+1) }), "description"},
		vcase{"type disk", v(func(r *ImageCreate) { r.Type = "disk" }), "type"},
		vcase{"server id slash", v(func(r *ImageCreate) { r.ServerID = "a/b" }), "server_id"},
		vcase{"visibility shared", v(func(r *ImageCreate) { r.Visibility = "shared" }), "visibility"},
		vcase{"disk format", v(func(r *ImageCreate) { r.DiskFormat = "exe" }), "disk_format"},
		vcase{"arch aarch64", v(func(r *ImageCreate) { r.Architecture = "aarch64" }), ""},
		vcase{"arch sparc", v(func(r *ImageCreate) { r.Architecture = "sparc" }), "architecture"},
		vcase{"negative min ram", v(func(r *ImageCreate) { r.MinRAMMB = -1 }), "min_ram_mb"},
		vcase{"negative min disk", v(func(r *ImageCreate) { r.MinDiskGB = -1 }), "min_ram_mb"},
		vcase{"tags", v(func(r *ImageCreate) { r.ImageTags = []string{"gis", "roads"} }), ""},
		// The rules of a tag are those of an update (ApplyImagePatch): a tag
		// that an update refuses cannot come in by create.
		vcase{"empty tag", v(func(r *ImageCreate) { r.ImageTags = []string{"gis", ""} }), "image_tags"},
		vcase{"tag of 256 characters", v(func(r *ImageCreate) { r.ImageTags = []string{strings.Repeat("t", 256)} }), "image_tags"},
		vcase{"tag of 255 Chinese characters", v(func(r *ImageCreate) { r.ImageTags = []string{strings.Repeat("图", 255)} }), ""},
		vcase{"tag not UTF-8", v(func(r *ImageCreate) { r.ImageTags = []string{"a\xffb"} }), "image_tags"},
	)
	vcheck(t, vc)

	defaults := []struct {
		name     string
		in       ImageCreate
		wantType ImageType
		wantVis  Visibility
	}{
		{"plain image", ImageCreate{Name: "i"}, ImageTypeImage, VisibilityPrivate},
		{"snapshot of a server", ImageCreate{Name: "i", ServerID: "s"}, ImageTypeSnapshot, VisibilityPrivate},
		{"type given is kept", ImageCreate{Name: "i", ServerID: "s", Type: ImageTypeImage}, ImageTypeImage, VisibilityPrivate},
		{"public kept", ImageCreate{Name: "i", Visibility: VisibilityPublic}, ImageTypeImage, VisibilityPublic},
	}
	for _, c := range defaults {
		r := c.in
		if err := r.Validate(); err != nil || r.Type != c.wantType || r.Visibility != c.wantVis {
			t.Errorf("%s: %v, type %q visibility %q", c.name, err, r.Type, r.Visibility)
		}
	}
}

func TestValidate_B3_2_1_FloatingIP(t *testing.T) {
	vcheck(t, []vcase{
		{"network only", FloatingIPCreate{FloatingNetworkID: "n"}.Validate(), ""},
		{"no network", FloatingIPCreate{}.Validate(), "floating_network_id"},
		{"address", FloatingIPCreate{FloatingNetworkID: "n", FloatingIP: "198.18.0.5"}.Validate(), ""},
		{"bad address", FloatingIPCreate{FloatingNetworkID: "n", FloatingIP: "198.18.0"}.Validate(), "floating_ip_address"},
		{"port and fixed ip", FloatingIPCreate{FloatingNetworkID: "n", PortID: "p", FixedIP: "10.0.0.1"}.Validate(), ""},
		{"fixed ip without port", FloatingIPCreate{FloatingNetworkID: "n", FixedIP: "10.0.0.1"}.Validate(), "fixed_ip_address"},
		{"bad fixed ip", FloatingIPCreate{FloatingNetworkID: "n", PortID: "p", FixedIP: "x"}.Validate(), "fixed_ip_address"},
	})
}

func TestValidate_B3_3_PublicIP(t *testing.T) {
	vcheck(t, []vcase{
		{"B.3.3.1 no name", PublicIPCreate{}.Validate(), ""},
		{"B.3.3.1 bad name", PublicIPCreate{Name: "a\x00"}.Validate(), "name"},
		{"B.3.3.2 server", PublicIPBinding{ServerID: "s"}.Validate(), ""},
		{"B.3.3.2 private ip", PublicIPBinding{PrivateIP: "10.0.0.4"}.Validate(), ""},
		{"B.3.3.2 neither", PublicIPBinding{}.Validate(), "server_id"},
		{"B.3.3.2 both", PublicIPBinding{ServerID: "s", PrivateIP: "10.0.0.4"}.Validate(), "server_id"},
		{"B.3.3.3 bad private ip", PublicIPBinding{PrivateIP: "10.0.0"}.Validate(), "private_ip"},
	})
}

func TestValidate_B3_4_LoadBalancer(t *testing.T) {
	lb := func(ls ...Listener) error { return LoadBalancerCreate{Name: "l", Listeners: ls}.Validate() }
	vcheck(t, []vcase{
		{"B.3.4.1 no listener", lb(), ""},
		{"B.3.4.1 no name", LoadBalancerCreate{}.Validate(), "name"},
		{"B.3.4.1 long description", LoadBalancerCreate{Name: "l", Description: strings.Repeat("d", MaxDescriptionLen+1)}.Validate(), "description"},
		{"B.3.4.1 protocols", lb(Listener{Protocol: "TCP", Port: 80}, Listener{Protocol: "https", Port: 443}, Listener{Protocol: "UDP", Port: 53}), ""},
		{"B.3.4.1 FTP", lb(Listener{Protocol: "FTP", Port: 21}), "listeners[0].protocol"},
		{"B.3.4.1 port 0", lb(Listener{Protocol: "TCP", Port: 0}), "listeners[0].port"},
		{"B.3.4.1 duplicate port", lb(Listener{Protocol: "TCP", Port: 80}, Listener{Protocol: "HTTP", Port: 80}), "listeners[1].port"},
		{"B.3.4.6 server", MemberRemove{ServerID: "s"}.Validate(), ""},
		{"B.3.4.6 address", MemberRemove{Address: "10.0.0.9"}.Validate(), ""},
		{"B.3.4.6 neither", MemberRemove{}.Validate(), "server_id"},
		{"B.3.4.6 both", MemberRemove{ServerID: "s", Address: "10.0.0.9"}.Validate(), "server_id"},
		{"B.3.4.6 bad address", MemberRemove{Address: "nine"}.Validate(), "address"},
	})
}

func TestValidate_B3_5_1_SecurityGroupAndRouter(t *testing.T) {
	vcheck(t, []vcase{
		{"B.3.5.1 ok", SecurityGroupCreate{Name: "web"}.Validate(), ""},
		{"B.3.5.1 no name", SecurityGroupCreate{}.Validate(), "name"},
		{"B.3.5.1 long description", SecurityGroupCreate{Name: "w", Description: strings.Repeat("d", MaxDescriptionLen+1)}.Validate(), "description"},
		{"X.3 ok", RouterCreate{Name: "r"}.Validate(), ""},
		{"X.3 no name", RouterCreate{}.Validate(), "name"},
	})
}

func TestValidate_B4_1_Volumes(t *testing.T) {
	vcheck(t, []vcase{
		{"B.4.1.1 minimal", VolumeCreate{SizeGB: 1}.Validate(), ""},
		{"B.4.1.1 name optional but checked", VolumeCreate{SizeGB: 1, Name: "a\x01"}.Validate(), "name"},
		{"B.4.1.1 long description", VolumeCreate{SizeGB: 1, Description: strings.Repeat("d", MaxDescriptionLen+1)}.Validate(), "description"},
		{"B.4.1.1 size 0", VolumeCreate{}.Validate(), "size_gb"},
		{"B.4.1.1 size max", VolumeCreate{SizeGB: MaxSizeGB}.Validate(), ""},
		{"B.4.1.1 size over", VolumeCreate{SizeGB: MaxSizeGB + 1}.Validate(), "size_gb"},
		{"B.4.1.1 from snapshot", VolumeCreate{SizeGB: 1, SnapshotID: "s"}.Validate(), ""},
		{"B.4.1.1 from image", VolumeCreate{SizeGB: 1, ImageID: "i"}.Validate(), ""},
		{"B.4.1.1 snapshot and image", VolumeCreate{SizeGB: 1, SnapshotID: "s", ImageID: "i"}.Validate(), "snapshot_id"},
		{"B.4.1.6 larger", ValidateExtend(10, 11), ""},
		{"B.4.1.6 equal", ValidateExtend(10, 10), "size_gb"},
		{"B.4.1.6 smaller", ValidateExtend(10, 9), "size_gb"},
		{"B.4.1.6 over the maximum", ValidateExtend(10, MaxSizeGB+1), "size_gb"},
		{"X.1 ok", VolumeSnapshotCreate{VolumeID: "v"}.Validate(), ""},
		{"X.1 no volume", VolumeSnapshotCreate{}.Validate(), "volume_id"},
		{"X.1 bad name", VolumeSnapshotCreate{VolumeID: "v", Name: "   "}.Validate(), "name"},
	})
	attach := func(r VolumeAttach) (VolumeAttach, error) { err := r.Validate(); return r, err }
	a, err := attach(VolumeAttach{ServerID: "s"})
	if err != nil || a.Mode != "rw" {
		t.Errorf("B.4.1.4 default mode: %v, mode %q", err, a.Mode)
	}
	a, err = attach(VolumeAttach{ServerID: "s", Mode: "ro", Mountpoint: "/dev/vdb"})
	if err != nil || a.Mode != "ro" || a.Mountpoint != "/dev/vdb" {
		t.Errorf("B.4.1.4 ro: %v %+v", err, a)
	}
	_, noServer := attach(VolumeAttach{})
	_, badMode := attach(VolumeAttach{ServerID: "s", Mode: "RW"})
	_, badMount := attach(VolumeAttach{ServerID: "s", Mountpoint: "vdb"})
	vcheck(t, []vcase{
		{"B.4.1.4 no server", noServer, "server_id"},
		{"B.4.1.4 mode RW", badMode, "mode"},
		{"B.4.1.4 mountpoint vdb", badMount, "mountpoint"},
	})
}

func TestValidate_X2_Backup(t *testing.T) {
	b := BackupCreate{VolumeID: "v"}
	if err := b.Validate(); err != nil || b.Kind != BackupFull {
		t.Fatalf("default kind: %v %q", err, b.Kind)
	}
	inc := BackupCreate{VolumeID: "v", Kind: BackupIncremental}
	if err := inc.Validate(); err != nil || inc.Kind != BackupIncremental {
		t.Fatalf("incremental: %v %q", err, inc.Kind)
	}
	v := func(r BackupCreate) error { return r.Validate() }
	vcheck(t, []vcase{
		{"no volume", v(BackupCreate{}), "volume_id"},
		{"kind diff", v(BackupCreate{VolumeID: "v", Kind: "diff"}), "kind"},
		{"bad name", v(BackupCreate{VolumeID: "v", Name: "\x00"}), "name"},
		{"long description", v(BackupCreate{VolumeID: "v", Description: strings.Repeat("d", MaxDescriptionLen+1)}), "description"},
	})
}
