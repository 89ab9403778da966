package libvirt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// Config is the driver's settings, given by gisiaas as JSON.
type Config struct {
	// URI is the shorthand for one datacenter ("default") of one host.
	URI string `json:"uri,omitempty"`
	// Datacenters are host groups: one datacenter per group, whose hosts
	// are the live-migration targets of each other.
	Datacenters []DatacenterConfig `json:"datacenters,omitempty"`
	// Pool is the storage pool of images, server disks and volumes on every
	// host (default "default").
	Pool string `json:"pool,omitempty"`
	// Networks are the libvirt networks offered (empty: every network of
	// the host). The first is where a server without networks is attached.
	Networks []string `json:"networks,omitempty"`
	// Flavors are the flavors every host offers; CreateFlavor adds more.
	Flavors []core.Flavor `json:"flavors,omitempty"`
	// Images are public images backed by volumes of the pool.
	Images []ImageConfig `json:"images,omitempty"`
	// StatePath is the driver's JSON store; empty keeps it in memory (fine
	// for test:///default, whose state dies with the process anyway).
	StatePath string `json:"state_path,omitempty"`
	// DomainType is the <domain type>: kvm (default on QEMU hosts), qemu
	// (TCG, no hardware virtualization), or test (the test driver's).
	DomainType string `json:"domain_type,omitempty"`
	// Machine is the QEMU machine type (default pc).
	Machine string `json:"machine,omitempty"`
	// Boot, when set, boots servers from a kernel and an initrd on the host
	// (direct kernel boot) instead of the disk's boot loader.
	Boot *BootConfig `json:"boot,omitempty"`
	// ConsoleDir, when set, sends each server's serial console to
	// ConsoleDir/<server id>.log on the host.
	ConsoleDir string `json:"console_dir,omitempty"`
	// StopTimeout is how long a graceful stop (ACPI shutdown) may take
	// before the server is powered off (default 60s).
	StopTimeout Duration `json:"stop_timeout,omitempty"`
	// MaxVCPUs and MaxMemoryMB are the ceilings a running server can grow
	// to by a resize (hot-plugged vCPUs, balloon); a bigger flavor needs
	// the server stopped. Default: the flavor's own.
	MaxVCPUs    int64 `json:"max_vcpus,omitempty"`
	MaxMemoryMB int64 `json:"max_memory_mb,omitempty"`
	// CPUAllocationRatio and RAMAllocationRatio overcommit the hosts'
	// capacity in the compute quota (default 1).
	CPUAllocationRatio float64 `json:"cpu_allocation_ratio,omitempty"`
	RAMAllocationRatio float64 `json:"ram_allocation_ratio,omitempty"`
	// MaxServers and MaxVolumes bound a project's counts (0: unlimited).
	MaxServers int64 `json:"max_servers,omitempty"`
	MaxVolumes int64 `json:"max_volumes,omitempty"`
	// VolumeType is the one volume type (default "default").
	VolumeType string `json:"volume_type,omitempty"`
	// UploadMaxGB bounds an uploaded image (default 20).
	UploadMaxGB int64 `json:"upload_max_gb,omitempty"`
	// EventRetention is how many events Watch can replay (default 2000): the
	// store, written whole after each change, holds them.
	EventRetention int `json:"event_retention,omitempty"`
}

// DatacenterConfig is one host group.
type DatacenterConfig struct {
	ID    string              `json:"id"`
	Name  string              `json:"name,omitempty"`
	Kind  core.DatacenterKind `json:"kind,omitempty"`
	Hosts []HostConfig        `json:"hosts"`
}

// HostConfig is one libvirt connection.
type HostConfig struct {
	Name string `json:"name"`
	URI  string `json:"uri"`
}

// ImageConfig is a public image backed by a volume of the pool. When the
// volume does not exist and CreateSizeGB is set, the driver creates it
// empty (an image to boot from by direct kernel boot, or for tests).
type ImageConfig struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Volume       string `json:"volume"`
	CreateSizeGB int64  `json:"create_size_gb,omitempty"`
	DiskFormat   string `json:"disk_format,omitempty"`
	Architecture string `json:"architecture,omitempty"`
	MinDiskGB    int64  `json:"min_disk_gb,omitempty"`
	MinRAMMB     int64  `json:"min_ram_mb,omitempty"`
}

// BootConfig is a direct kernel boot.
type BootConfig struct {
	Kernel  string `json:"kernel"`
	Initrd  string `json:"initrd,omitempty"`
	Cmdline string `json:"cmdline,omitempty"`
}

// Duration is a time.Duration written as "60s" in JSON.
type Duration time.Duration

// UnmarshalJSON reads "60s" or a number of nanoseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		*d = Duration(v)
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("a duration is a string such as \"60s\"")
	}
	*d = Duration(n)
	return nil
}

// MarshalJSON writes the duration as "60s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// ParseConfig reads the settings JSON; unknown fields are refused.
func ParseConfig(settings []byte) (Config, error) {
	var c Config
	if len(settings) == 0 {
		return c, fmt.Errorf("libvirt settings: uri or datacenters is required")
	}
	dec := json.NewDecoder(bytes.NewReader(settings))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("libvirt settings: %w", err)
	}
	return c, nil
}

// withDefaults fills what the operator left out and checks the rest.
func (c Config) withDefaults() (Config, error) {
	if len(c.Datacenters) == 0 {
		if c.URI == "" {
			return c, fmt.Errorf("libvirt settings: uri or datacenters is required")
		}
		c.Datacenters = []DatacenterConfig{{ID: "default", Hosts: []HostConfig{{Name: "host1", URI: c.URI}}}}
	}
	seen := map[string]bool{}
	for i := range c.Datacenters {
		dc := &c.Datacenters[i]
		if err := core.ValidateID("datacenters.id", dc.ID); err != nil {
			return c, fmt.Errorf("libvirt settings: %w", err)
		}
		if dc.Name == "" {
			dc.Name = dc.ID
		}
		if dc.Kind == "" {
			dc.Kind = core.AvailabilityZone
		}
		if len(dc.Hosts) == 0 {
			return c, fmt.Errorf("libvirt settings: datacenter %s has no hosts", dc.ID)
		}
		for j := range dc.Hosts {
			h := &dc.Hosts[j]
			if h.URI == "" {
				return c, fmt.Errorf("libvirt settings: datacenter %s: host %d has no uri", dc.ID, j)
			}
			if h.Name == "" {
				h.Name = fmt.Sprintf("%s-host-%d", dc.ID, j+1)
			}
			if seen[h.Name] {
				return c, fmt.Errorf("libvirt settings: host %s is named twice", h.Name)
			}
			seen[h.Name] = true
		}
	}
	if c.Pool == "" {
		c.Pool = "default"
	}
	if c.StopTimeout <= 0 {
		c.StopTimeout = Duration(time.Minute)
	}
	if c.CPUAllocationRatio <= 0 {
		c.CPUAllocationRatio = 1
	}
	if c.RAMAllocationRatio <= 0 {
		c.RAMAllocationRatio = 1
	}
	if c.VolumeType == "" {
		c.VolumeType = "default"
	}
	if c.UploadMaxGB <= 0 {
		c.UploadMaxGB = 20
	}
	if c.EventRetention <= 0 {
		c.EventRetention = 2000
	}
	for _, f := range c.Flavors {
		if err := core.FlavorCreate(f).Validate(); err != nil {
			return c, fmt.Errorf("libvirt settings: flavor %s: %w", f.ID, err)
		}
	}
	for _, im := range c.Images {
		if err := core.ValidateID("images.id", im.ID); err != nil {
			return c, fmt.Errorf("libvirt settings: %w", err)
		}
		if im.Volume == "" || im.Name == "" {
			return c, fmt.Errorf("libvirt settings: image %s needs a name and a volume", im.ID)
		}
	}
	return c, nil
}
