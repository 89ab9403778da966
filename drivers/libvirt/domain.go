package libvirt

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"strings"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// The domain metadata element that holds a server's gisiaas record.
const (
	metaURI    = "https://gisiaas.org/xmlns/libvirt/server/1"
	metaPrefix = "gisiaas"
	// domainPrefix starts the name of every domain the driver defines.
	domainPrefix = "gisiaas-"
)

// serverMeta is what a server is beyond what libvirt shows: kept as JSON
// in the domain's <metadata>, so it lives as long as the domain does.
type serverMeta struct {
	Name             string            `json:"name"`
	Description      string            `json:"description,omitempty"`
	FlavorID         string            `json:"flavor_id"`
	PreviousFlavorID string            `json:"previous_flavor_id,omitempty"`
	ImageID          string            `json:"image_id,omitempty"`
	ProjectID        string            `json:"project_id,omitempty"`
	DatacenterID     string            `json:"datacenter_id"`
	ClientToken      string            `json:"client_token,omitempty"`
	Tags             map[string]string `json:"tags,omitempty"`
	Metadata         map[string]string `json:"metadata,omitempty"`
	SecurityGroupIDs []string          `json:"security_group_ids,omitempty"`
	Addresses        []portMeta        `json:"addresses,omitempty"`
	RootVolume       string            `json:"root_volume,omitempty"`
	// ResizedFrom is the power state before a resize: SHUTOFF comes back SHUTOFF.
	ResizedFrom core.ServerStatus `json:"resized_from,omitempty"`
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
}

// portMeta is a server's interface on a network with the address the
// driver gave it (also a DHCP host entry of the network where it can).
type portMeta struct {
	PortID    string `json:"port_id"`
	NetworkID string `json:"network_id"`
	SubnetID  string `json:"subnet_id"`
	IP        string `json:"ip"`
	MAC       string `json:"mac"`
}

// metaXML is the metadata element's content: the JSON record as text.
func (m serverMeta) metaXML() (string, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	sb.WriteString("<server>")
	if err := xml.EscapeText(&sb, b); err != nil {
		return "", err
	}
	sb.WriteString("</server>")
	return sb.String(), nil
}

// parseMeta reads the record from the metadata element libvirt returns.
func parseMeta(s string) (serverMeta, error) {
	var el struct {
		Text string `xml:",chardata"`
	}
	var m serverMeta
	if err := xml.Unmarshal([]byte(s), &el); err != nil {
		return m, err
	}
	err := json.Unmarshal([]byte(el.Text), &m)
	return m, err
}

// domainXML is the part of a domain's description the driver reads back.
type domainXML struct {
	Name   string `xml:"name"`
	UUID   string `xml:"uuid"`
	Memory struct {
		Value uint64 `xml:",chardata"`
		Unit  string `xml:"unit,attr"`
	} `xml:"memory"`
	VCPU struct {
		Max     int `xml:",chardata"`
		Current int `xml:"current,attr"`
	} `xml:"vcpu"`
	Disks      []diskXML `xml:"devices>disk"`
	Interfaces []struct {
		MAC struct {
			Address string `xml:"address,attr"`
		} `xml:"mac"`
		Source struct {
			Network string `xml:"network,attr"`
		} `xml:"source"`
	} `xml:"devices>interface"`
}

type diskXML struct {
	Device string `xml:"device,attr"`
	Source struct {
		File string `xml:"file,attr"`
	} `xml:"source"`
	Target struct {
		Dev string `xml:"dev,attr"`
	} `xml:"target"`
}

func parseDomain(s string) (domainXML, error) {
	var x domainXML
	err := xml.Unmarshal([]byte(s), &x)
	return x, err
}

// memoryMiB is the domain's maximum memory in MiB.
func (x domainXML) memoryMiB() int64 {
	v := int64(x.Memory.Value)
	switch strings.ToLower(x.Memory.Unit) {
	case "", "k", "kib":
		return v / 1024
	case "m", "mib":
		return v
	case "g", "gib":
		return v * 1024
	case "b", "bytes":
		return v >> 20
	}
	return v / 1024
}

// esc escapes text for an XML element or attribute.
func esc(s string) string {
	var sb strings.Builder
	_ = xml.EscapeText(&sb, []byte(s))
	return sb.String()
}

// domainSpec is what defines a new domain.
type domainSpec struct {
	id, typ, machine string
	meta             serverMeta
	vcpus, maxVCPUs  int64
	memMB, maxMemMB  int64
	rootPath         string
	rootFormat       string
	networks         []portMeta
	netNames         map[string]string // network id → libvirt network name
	boot             *BootConfig
	console          string
	filter           string // the server's nwfilter, when it has security groups
}

// xml renders the domain definition.
func (s domainSpec) xml() (string, error) {
	meta, err := s.meta.metaXML()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<domain type='%s'>\n", esc(s.typ))
	fmt.Fprintf(&b, "  <name>%s%s</name>\n  <uuid>%s</uuid>\n", domainPrefix, s.id, s.id)
	fmt.Fprintf(&b, "  <title>%s</title>\n", esc(s.meta.Name))
	if s.meta.Description != "" {
		fmt.Fprintf(&b, "  <description>%s</description>\n", esc(s.meta.Description))
	}
	fmt.Fprintf(&b, "  <metadata><%s:server xmlns:%s='%s'>%s</%s:server></metadata>\n", metaPrefix, metaPrefix, metaURI,
		strings.TrimSuffix(strings.TrimPrefix(meta, "<server>"), "</server>"), metaPrefix)
	fmt.Fprintf(&b, "  <memory unit='MiB'>%d</memory>\n  <currentMemory unit='MiB'>%d</currentMemory>\n", max(s.memMB, s.maxMemMB), s.memMB)
	fmt.Fprintf(&b, "  <vcpu placement='static' current='%d'>%d</vcpu>\n", s.vcpus, max(s.vcpus, s.maxVCPUs))
	b.WriteString("  <os>\n")
	if s.typ == "test" {
		b.WriteString("    <type>hvm</type>\n")
	} else {
		fmt.Fprintf(&b, "    <type arch='x86_64' machine='%s'>hvm</type>\n", esc(s.machine))
	}
	if s.boot != nil {
		fmt.Fprintf(&b, "    <kernel>%s</kernel>\n", esc(s.boot.Kernel))
		if s.boot.Initrd != "" {
			fmt.Fprintf(&b, "    <initrd>%s</initrd>\n", esc(s.boot.Initrd))
		}
		if s.boot.Cmdline != "" {
			fmt.Fprintf(&b, "    <cmdline>%s</cmdline>\n", esc(s.boot.Cmdline))
		}
	} else {
		b.WriteString("    <boot dev='hd'/>\n")
	}
	b.WriteString("  </os>\n  <features><acpi/></features>\n")
	b.WriteString("  <on_poweroff>destroy</on_poweroff>\n  <on_reboot>restart</on_reboot>\n  <on_crash>destroy</on_crash>\n")
	b.WriteString("  <devices>\n")
	if s.typ == "test" {
		fmt.Fprintf(&b, "    <disk type='file' device='disk'><source file='%s'/><target dev='vda' bus='virtio'/></disk>\n", esc(s.rootPath))
	} else {
		fmt.Fprintf(&b, "    <disk type='file' device='disk'><driver name='qemu' type='%s'/><source file='%s'/><target dev='vda' bus='virtio'/></disk>\n",
			esc(s.rootFormat), esc(s.rootPath))
	}
	for _, n := range s.networks {
		filter := ""
		if s.filter != "" {
			filter = fmt.Sprintf("<filterref filter='%s'/>", esc(s.filter))
		}
		fmt.Fprintf(&b, "    <interface type='network'><source network='%s'/><mac address='%s'/><model type='virtio'/>%s</interface>\n",
			esc(s.netNames[n.NetworkID]), esc(n.MAC), filter)
	}
	if s.typ != "test" {
		if s.console != "" {
			fmt.Fprintf(&b, "    <serial type='file'><source path='%s'/><target port='0'/></serial>\n", esc(s.console))
			b.WriteString("    <console type='file'><target type='serial' port='0'/></console>\n")
		} else {
			b.WriteString("    <serial type='pty'><target port='0'/></serial>\n    <console type='pty'><target type='serial' port='0'/></console>\n")
		}
		b.WriteString("    <memballoon model='virtio'/>\n")
	}
	b.WriteString("  </devices>\n</domain>\n")
	return b.String(), nil
}

// diskXMLFor is the device of a volume attached at dev.
func diskXMLFor(typ, path, format, dev, serial string) string {
	drv := ""
	if typ != "test" {
		drv = fmt.Sprintf("<driver name='qemu' type='%s'/>", esc(format))
	}
	return fmt.Sprintf("<disk type='file' device='disk'>%s<source file='%s'/><target dev='%s' bus='virtio'/><serial>%s</serial></disk>",
		drv, esc(path), esc(dev), esc(serial))
}
