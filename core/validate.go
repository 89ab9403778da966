package core

import (
	"fmt"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits shared by every driver, so that bad input is refused the same way
// whatever the cloud.
const (
	MaxNameLen        = 255
	MaxDescriptionLen = 1024
	MaxSizeGB         = 65536
	MaxMetadataItems  = 128
	MaxUserDataBytes  = 65535
)

func invalid(field, format string, args ...any) error {
	return &Error{Kind: InvalidArgument, Message: field + ": " + fmt.Sprintf(format, args...)}
}

// ValidateName checks a resource name: valid UTF-8, no control characters,
// at most MaxNameLen characters, and not empty when required.
func ValidateName(field, name string, required bool) error {
	if strings.TrimSpace(name) == "" {
		if required {
			return invalid(field, "is required")
		}
		if name != "" {
			return invalid(field, "must not be only white space")
		}
		return nil
	}
	if strings.ContainsAny(name, "\n\t") {
		return invalid(field, "must be one line without tabs")
	}
	return validateText(field, name, MaxNameLen)
}

// ValidateDescription checks a free-text description.
func ValidateDescription(field, s string) error { return validateText(field, s, MaxDescriptionLen) }

func validateText(field, s string, max int) error {
	if !utf8.ValidString(s) {
		return invalid(field, "is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(s); n > max {
		return invalid(field, "is %d characters long; at most %d are allowed", n, max)
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return invalid(field, "contains a control character")
		}
	}
	return nil
}

// checkTag checks one image tag: non-empty text of at most MaxNameLen
// characters, the same rule for create (B.2.3.1) and update (B.2.3.5).
func checkTag(field, tag string) error {
	if tag == "" {
		return invalid(field, "must not be empty")
	}
	return validateText(field, tag, MaxNameLen)
}

// ValidateID checks that an id is present and plausible: printable, no
// slash, at most 255 bytes.
func ValidateID(field, id string) error {
	if id == "" {
		return invalid(field, "is required")
	}
	if len(id) > 255 {
		return invalid(field, "is too long")
	}
	if !utf8.ValidString(id) {
		return invalid(field, "is not valid UTF-8")
	}
	for _, r := range id {
		if r == '/' || r <= ' ' || unicode.IsControl(r) || unicode.IsSpace(r) {
			return invalid(field, "has a character an id cannot have")
		}
	}
	return nil
}

// ValidateCIDR checks an address prefix such as 10.0.0.0/24 or ::/0.
func ValidateCIDR(field, s string) error {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return invalid(field, "%q is not a CIDR", s)
	}
	if p.Masked() != p {
		return invalid(field, "%q has host bits set; the network is %s", s, p.Masked())
	}
	return nil
}

// ValidateIP checks an IPv4 or IPv6 address.
func ValidateIP(field, s string) error {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return invalid(field, "%q is not an IP address", s)
	}
	if a.Zone() != "" {
		return invalid(field, "%q has a zone; a cloud takes an address without one", s)
	}
	return nil
}

// ValidateSizeGB checks a size in GB: 1 to MaxSizeGB.
func ValidateSizeGB(field string, n int64) error {
	if n < 1 || n > MaxSizeGB {
		return invalid(field, "must be between 1 and %d, not %d", MaxSizeGB, n)
	}
	return nil
}

// ValidatePort checks a TCP/UDP port.
func ValidatePort(field string, p int) error {
	if p < 1 || p > 65535 {
		return invalid(field, "must be between 1 and 65535, not %d", p)
	}
	return nil
}

// ValidatePortRange checks a rule's port range for its protocol: for tcp,
// udp and sctp 1–65535 with min ≤ max; for icmp the ICMP type and code
// (0–255); for any other protocol no ports.
func ValidatePortRange(protocol string, min, max *int) error {
	switch strings.ToLower(protocol) {
	case "tcp", "udp", "sctp", "6", "17", "132":
		if min == nil && max == nil {
			return nil
		}
		if min == nil || max == nil {
			return invalid("port_range_min", "and port_range_max go together")
		}
		if err := ValidatePort("port_range_min", *min); err != nil {
			return err
		}
		if err := ValidatePort("port_range_max", *max); err != nil {
			return err
		}
		if *min > *max {
			return invalid("port_range_min", "%d is greater than port_range_max %d", *min, *max)
		}
	case "icmp", "ipv6-icmp", "icmpv6", "1", "58":
		for f, v := range map[string]*int{"port_range_min": min, "port_range_max": max} {
			if v != nil && (*v < 0 || *v > 255) {
				return invalid(f, "is an ICMP type or code, 0 to 255, not %d", *v)
			}
		}
		if min == nil && max != nil {
			return invalid("port_range_max", "an ICMP code needs an ICMP type in port_range_min")
		}
	default:
		if min != nil || max != nil {
			return invalid("port_range_min", "ports apply only to tcp, udp, sctp and icmp, not to %q", protocol)
		}
	}
	return nil
}

var ruleProtocols = map[string]bool{"": true, "tcp": true, "udp": true, "icmp": true, "icmpv6": true,
	"ipv6-icmp": true, "sctp": true, "gre": true, "esp": true, "ah": true, "vrrp": true, "any": true}

// Validate checks a rule and fills its defaults: direction is required,
// ethertype defaults to IPv4, protocol is lower-cased, and at most one of
// remote prefix and remote group is given, of the rule's family.
func (r *SecurityGroupRuleCreate) Validate() error {
	if err := ValidateID("security_group_id", r.GroupID); err != nil {
		return err
	}
	if err := ValidateDescription("description", r.Description); err != nil {
		return err
	}
	if r.Direction != DirectionIngress && r.Direction != DirectionEgress {
		return invalid("direction", "must be ingress or egress, not %q", r.Direction)
	}
	if r.EtherType == "" {
		r.EtherType = EtherTypeIPv4
	}
	if r.EtherType != EtherTypeIPv4 && r.EtherType != EtherTypeIPv6 {
		return invalid("ethertype", "must be IPv4 or IPv6, not %q", r.EtherType)
	}
	r.Protocol = strings.ToLower(r.Protocol)
	if r.Protocol == "any" {
		r.Protocol = ""
	}
	if !ruleProtocols[r.Protocol] {
		if n, err := parseProtoNumber(r.Protocol); err != nil || n > 255 {
			return invalid("protocol", "%q is neither a known protocol name nor a number 0–255", r.Protocol)
		}
	}
	if err := ValidatePortRange(r.Protocol, r.PortRangeMin, r.PortRangeMax); err != nil {
		return err
	}
	if r.RemoteIPPrefix != "" && r.RemoteGroupID != "" {
		return invalid("remote_ip_prefix", "and remote_group_id are exclusive; give one")
	}
	if r.RemoteIPPrefix != "" {
		p, err := netip.ParsePrefix(r.RemoteIPPrefix)
		if err != nil {
			return invalid("remote_ip_prefix", "%q is not a CIDR", r.RemoteIPPrefix)
		}
		if p.Addr().Is4() != (r.EtherType == EtherTypeIPv4) {
			return invalid("remote_ip_prefix", "%q is not of family %s", r.RemoteIPPrefix, r.EtherType)
		}
		r.RemoteIPPrefix = p.Masked().String()
	}
	return nil
}

func parseProtoNumber(s string) (int, error) {
	var n int
	if s == "" {
		return 0, fmt.Errorf("empty")
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("not a number")
		}
		n = n*10 + int(c-'0')
		if n > 255 {
			return n, nil
		}
	}
	return n, nil
}

// Validate checks a server create request (B.2.1.1).
func (r *ServerCreate) Validate() error {
	if err := ValidateName("name", r.Name, true); err != nil {
		return err
	}
	if err := ValidateDescription("description", r.Description); err != nil {
		return err
	}
	if err := ValidateID("flavor_id", r.FlavorID); err != nil {
		return err
	}
	for i, b := range r.BlockDevices {
		f := fmt.Sprintf("block_devices[%d]", i)
		switch b.SourceType {
		case SourceVolume, SourceImage, SourceSnapshot:
		default:
			return invalid(f+".source_type", "must be volume, image or snapshot, not %q", b.SourceType)
		}
		if err := ValidateID(f+".uuid", b.UUID); err != nil {
			return err
		}
		if b.SizeGB != 0 {
			if err := ValidateSizeGB(f+".size_gb", b.SizeGB); err != nil {
				return err
			}
		}
	}
	// Without an image the first block device (a volume, or a new volume
	// from an image or snapshot) is the boot disk, as in Nova.
	if r.ImageID == "" && len(r.BlockDevices) == 0 {
		return invalid("image_id", "is required unless a block device is the boot disk")
	}
	if r.ImageID != "" {
		if err := ValidateID("image_id", r.ImageID); err != nil {
			return err
		}
	}
	for i, n := range r.Networks {
		f := fmt.Sprintf("networks[%d]", i)
		if err := ValidateID(f+".network_id", n.NetworkID); err != nil {
			return err
		}
		if n.FixedIP != "" {
			if err := ValidateIP(f+".fixed_ip", n.FixedIP); err != nil {
				return err
			}
		}
	}
	if len(r.Metadata) > MaxMetadataItems {
		return invalid("metadata", "has %d items; at most %d are allowed", len(r.Metadata), MaxMetadataItems)
	}
	for k, v := range r.Metadata {
		if err := ValidateName("metadata key", k, true); err != nil {
			return err
		}
		if err := validateText("metadata["+k+"]", v, MaxNameLen); err != nil {
			return err
		}
	}
	if len(r.UserData) > MaxUserDataBytes {
		return invalid("user_data", "is %d bytes; at most %d are allowed", len(r.UserData), MaxUserDataBytes)
	}
	for i, id := range r.SecurityGroupIDs {
		if err := ValidateID(fmt.Sprintf("security_group_ids[%d]", i), id); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks a server update (B.2.1.4).
func (r ServerUpdate) Validate() error {
	if r.Name == nil && r.Description == nil {
		return invalid("server", "give a name or a description to change")
	}
	if r.Name != nil {
		if err := ValidateName("name", *r.Name, true); err != nil {
			return err
		}
	}
	if r.Description != nil {
		return ValidateDescription("description", *r.Description)
	}
	return nil
}

// ValidateRebootType checks a reboot type (B.2.1.7): SOFT or HARD.
func ValidateRebootType(t RebootType) error {
	if t != RebootSoft && t != RebootHard {
		return invalid("type", "must be SOFT or HARD, not %q", t)
	}
	return nil
}

// Validate checks a flavor create request (B.2.2.1).
func (r FlavorCreate) Validate() error {
	if err := ValidateID("id", r.ID); err != nil {
		return err
	}
	if err := ValidateName("name", r.Name, true); err != nil {
		return err
	}
	if r.VCPUs < 1 || r.VCPUs > 1024 {
		return invalid("vcpus", "must be between 1 and 1024, not %d", r.VCPUs)
	}
	if r.MemoryMB < 1 || r.MemoryMB > 16*1024*1024 {
		return invalid("memory_mb", "must be between 1 and 16777216, not %d", r.MemoryMB)
	}
	if r.DiskGB < 0 || r.DiskGB > MaxSizeGB {
		return invalid("disk_gb", "must be between 0 and %d, not %d", MaxSizeGB, r.DiskGB)
	}
	return nil
}

// DiskFormats are the disk formats an image may have.
var DiskFormats = []string{"raw", "qcow2", "vmdk", "vdi", "vhd", "vhdx", "iso", "ami", "ari", "aki", "ploop"}

// ValidateDiskFormat checks a disk format; required says whether it may be empty.
func ValidateDiskFormat(f string, required bool) error {
	if f == "" && !required {
		return nil
	}
	for _, d := range DiskFormats {
		if f == d {
			return nil
		}
	}
	return invalid("disk_format", "must be one of %s, not %q", strings.Join(DiskFormats, ", "), f)
}

// Validate checks an image create request (B.2.3.1) and fills defaults.
func (r *ImageCreate) Validate() error {
	if err := ValidateName("name", r.Name, true); err != nil {
		return err
	}
	if err := ValidateDescription("description", r.Description); err != nil {
		return err
	}
	switch r.Type {
	case "":
		r.Type = ImageTypeImage
		if r.ServerID != "" {
			r.Type = ImageTypeSnapshot
		}
	case ImageTypeImage, ImageTypeSnapshot:
	default:
		return invalid("type", "must be image or snapshot, not %q", r.Type)
	}
	if r.ServerID != "" {
		if err := ValidateID("server_id", r.ServerID); err != nil {
			return err
		}
	}
	switch r.Visibility {
	case "":
		r.Visibility = VisibilityPrivate
	case VisibilityPublic, VisibilityPrivate:
	default:
		return invalid("visibility", "must be public or private, not %q", r.Visibility)
	}
	if err := ValidateDiskFormat(r.DiskFormat, false); err != nil {
		return err
	}
	if r.Architecture != "" && r.Architecture != "x86_64" && r.Architecture != "aarch64" {
		return invalid("architecture", "must be x86_64 or aarch64, not %q", r.Architecture)
	}
	if r.MinRAMMB < 0 || r.MinDiskGB < 0 {
		return invalid("min_ram_mb", "and min_disk_gb must not be negative")
	}
	for i, t := range r.ImageTags {
		if err := checkTag(fmt.Sprintf("image_tags[%d]", i), t); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks a floating IP create request (B.3.2.1).
func (r FloatingIPCreate) Validate() error {
	if err := ValidateID("floating_network_id", r.FloatingNetworkID); err != nil {
		return err
	}
	if r.FloatingIP != "" {
		if err := ValidateIP("floating_ip_address", r.FloatingIP); err != nil {
			return err
		}
	}
	if r.FixedIP != "" {
		if r.PortID == "" {
			return invalid("fixed_ip_address", "is allowed only with port_id")
		}
		if err := ValidateIP("fixed_ip_address", r.FixedIP); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks that exactly one of server id and private IP is given (B.3.3.2).
func (b PublicIPBinding) Validate() error {
	if (b.ServerID == "") == (b.PrivateIP == "") {
		return invalid("server_id", "or private_ip: give exactly one")
	}
	if b.PrivateIP != "" {
		return ValidateIP("private_ip", b.PrivateIP)
	}
	return nil
}

// Validate checks a load balancer create request (B.3.4.1).
func (r LoadBalancerCreate) Validate() error {
	if err := ValidateName("name", r.Name, true); err != nil {
		return err
	}
	if err := ValidateDescription("description", r.Description); err != nil {
		return err
	}
	seen := map[int]bool{}
	for i, l := range r.Listeners {
		f := fmt.Sprintf("listeners[%d]", i)
		switch strings.ToUpper(l.Protocol) {
		case "TCP", "UDP", "HTTP", "HTTPS", "TERMINATED_HTTPS", "SCTP":
		default:
			return invalid(f+".protocol", "must be TCP, UDP, HTTP, HTTPS or SCTP, not %q", l.Protocol)
		}
		if err := ValidatePort(f+".port", l.Port); err != nil {
			return err
		}
		if seen[l.Port] {
			return invalid(f+".port", "%d is used by another listener", l.Port)
		}
		seen[l.Port] = true
	}
	return nil
}

// Validate checks a member removal: exactly one of server id and address (B.3.4.6).
func (m MemberRemove) Validate() error {
	if (m.ServerID == "") == (m.Address == "") {
		return invalid("server_id", "or address: give exactly one")
	}
	if m.Address != "" {
		return ValidateIP("address", m.Address)
	}
	return nil
}

// Validate checks a security group create request (B.3.5.1).
func (r SecurityGroupCreate) Validate() error {
	if err := ValidateName("name", r.Name, true); err != nil {
		return err
	}
	return ValidateDescription("description", r.Description)
}

// Validate checks a volume create request (B.4.1.1).
func (r VolumeCreate) Validate() error {
	if err := ValidateName("name", r.Name, false); err != nil {
		return err
	}
	if err := ValidateDescription("description", r.Description); err != nil {
		return err
	}
	if r.SnapshotID != "" && r.ImageID != "" {
		return invalid("snapshot_id", "and image_id are exclusive")
	}
	return ValidateSizeGB("size_gb", r.SizeGB)
}

// Validate checks an attach request (B.4.1.4) and fills the default mode.
func (r *VolumeAttach) Validate() error {
	if err := ValidateID("server_id", r.ServerID); err != nil {
		return err
	}
	switch r.Mode {
	case "":
		r.Mode = "rw"
	case "rw", "ro":
	default:
		return invalid("mode", "must be rw or ro, not %q", r.Mode)
	}
	if r.Mountpoint != "" && !strings.HasPrefix(r.Mountpoint, "/dev/") {
		return invalid("mountpoint", "must be a device path such as /dev/vdb, not %q", r.Mountpoint)
	}
	return nil
}

// ValidateExtend checks that newSize is a valid size strictly larger than
// current (B.4.1.6).
func ValidateExtend(current, newSize int64) error {
	if err := ValidateSizeGB("size_gb", newSize); err != nil {
		return err
	}
	if newSize <= current {
		return invalid("size_gb", "must be larger than the current size %d GB, not %d", current, newSize)
	}
	return nil
}

// Validate checks a volume snapshot create request (X.1).
func (r VolumeSnapshotCreate) Validate() error {
	if err := ValidateID("volume_id", r.VolumeID); err != nil {
		return err
	}
	if err := ValidateName("name", r.Name, false); err != nil {
		return err
	}
	return ValidateDescription("description", r.Description)
}

// Validate checks a backup create request (X.2) and fills the default kind.
func (r *BackupCreate) Validate() error {
	if err := ValidateID("volume_id", r.VolumeID); err != nil {
		return err
	}
	if err := ValidateName("name", r.Name, false); err != nil {
		return err
	}
	switch r.Kind {
	case "":
		r.Kind = BackupFull
	case BackupFull, BackupIncremental:
	default:
		return invalid("kind", "must be full or incremental, not %q", r.Kind)
	}
	return ValidateDescription("description", r.Description)
}

// Validate checks a router create request (X.3).
func (r RouterCreate) Validate() error {
	return ValidateName("name", r.Name, true)
}

// Validate checks a public IP create request (B.3.3.1).
func (r PublicIPCreate) Validate() error {
	return ValidateName("name", r.Name, false)
}
