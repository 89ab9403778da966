package sim

import (
	"fmt"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// Config describes one simulated cloud.
type Config struct {
	// Name identifies this cloud in events and logs.
	Name string `json:"name"`
	// Datacenters are the availability zones or regions it serves.
	Datacenters []DatacenterConfig `json:"datacenters"`
	// Latency is how long an asynchronous transition takes unless
	// Latencies names it (e.g. "server.build", "volume.create").
	Latency   Duration            `json:"latency"`
	Latencies map[string]Duration `json:"latencies,omitempty"`
	// Faults inject errors and latency per operation name ("CreateServer")
	// or "*" for every operation.
	Faults map[string]Fault `json:"faults,omitempty"`
	// Seed makes ids and injected faults reproducible; 0 picks one at random.
	Seed uint64 `json:"seed,omitempty"`
	// StatePath, when set, is a file that keeps the cloud across restarts.
	StatePath string `json:"state_path,omitempty"`
	// Quota is every project's quota in every datacenter unless overridden.
	Quota Quota `json:"quota"`
	// SoftDeleteReclaim > 0 makes a deleted server SOFT_DELETED for that long
	// before it is purged, as Nova's reclaim_instance_interval does.
	SoftDeleteReclaim Duration `json:"soft_delete_reclaim,omitempty"`
	// EventRetention is how many events Watch can replay at least (up to a
	// quarter more are kept between trims).
	EventRetention int `json:"event_retention,omitempty"`
	// VolumeTypes are the volume types; the first is the default.
	VolumeTypes []string `json:"volume_types,omitempty"`
	// Flavors and Images are created at first start.
	Flavors []core.FlavorCreate `json:"flavors,omitempty"`
	Images  []SeedImage         `json:"images,omitempty"`
}

// DatacenterConfig is one simulated datacenter.
type DatacenterConfig struct {
	ID    string              `json:"id"`
	Name  string              `json:"name"`
	Kind  core.DatacenterKind `json:"kind,omitempty"`
	Hosts []string            `json:"hosts,omitempty"`
	// Down makes every call into this datacenter Unavailable.
	Down bool `json:"down,omitempty"`
}

// Fault injects failures into an operation.
type Fault struct {
	// ErrorRate in [0,1] is the share of calls that fail with Kind
	// (default Unavailable).
	ErrorRate float64   `json:"error_rate,omitempty"`
	Kind      core.Kind `json:"kind,omitempty"`
	// Latency is added to every call.
	Latency Duration `json:"latency,omitempty"`
}

// Quota limits a project in one datacenter. A negative value is unlimited.
type Quota struct {
	VCPUs    int64 `json:"vcpus"`
	MemoryMB int64 `json:"memory_mb"`
	Servers  int64 `json:"servers"`
	VolumeGB int64 `json:"volume_gb"`
	Volumes  int64 `json:"volumes"`
}

// SeedImage is a public image present from the first start.
type SeedImage struct {
	Name         string `json:"name"`
	SizeBytes    int64  `json:"size_bytes"`
	MinDiskGB    int64  `json:"min_disk_gb"`
	MinRAMMB     int64  `json:"min_ram_mb"`
	Architecture string `json:"architecture"`
	DiskFormat   string `json:"disk_format"`
}

// Duration is a time.Duration that reads "300ms" from JSON and YAML.
type Duration time.Duration

// MarshalText writes the duration as "300ms".
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText reads "300ms", "2s" and the like.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("duration %q: %w", b, err)
	}
	*d = Duration(v)
	return nil
}

// DefaultConfig is two availability zones of two hosts each, a few flavors,
// one public image, a few hundred milliseconds per transition.
func DefaultConfig() Config {
	return Config{
		Name: "sim",
		Datacenters: []DatacenterConfig{
			{ID: "dc1", Name: "Datacenter 1", Kind: core.AvailabilityZone, Hosts: []string{"dc1-host-1", "dc1-host-2"}},
			{ID: "dc2", Name: "Datacenter 2", Kind: core.AvailabilityZone, Hosts: []string{"dc2-host-1", "dc2-host-2"}},
		},
		Latency:        Duration(300 * time.Millisecond),
		Quota:          Quota{VCPUs: 64, MemoryMB: 131072, Servers: 50, VolumeGB: 2000, Volumes: 100},
		EventRetention: 10000,
		VolumeTypes:    []string{"standard", "ssd"},
		Flavors: []core.FlavorCreate{
			{ID: "m1.tiny", Name: "m1.tiny", VCPUs: 1, MemoryMB: 512, DiskGB: 1, Public: true},
			{ID: "m1.small", Name: "m1.small", VCPUs: 1, MemoryMB: 2048, DiskGB: 20, Public: true},
			{ID: "m1.medium", Name: "m1.medium", VCPUs: 2, MemoryMB: 4096, DiskGB: 40, Public: true},
			{ID: "m1.large", Name: "m1.large", VCPUs: 4, MemoryMB: 8192, DiskGB: 80, Public: true},
		},
		Images: []SeedImage{
			{Name: "cirros-0.6.2", SizeBytes: 21430272, MinDiskGB: 1, MinRAMMB: 128, Architecture: "x86_64", DiskFormat: "qcow2"},
			{Name: "debian-12", SizeBytes: 2147483648, MinDiskGB: 10, MinRAMMB: 1024, Architecture: "x86_64", DiskFormat: "qcow2"},
		},
	}
}

// TestConfig is DefaultConfig with every transition instant and a fixed
// seed, for unit tests.
func TestConfig() Config {
	c := DefaultConfig()
	c.Latency = 0
	c.Seed = 1
	return c
}

// clone copies every slice and map of c, so two drivers built from one
// Config share nothing.
func (c Config) clone() Config {
	out := c
	out.Datacenters = make([]DatacenterConfig, len(c.Datacenters))
	for i, dc := range c.Datacenters {
		dc.Hosts = append([]string(nil), dc.Hosts...)
		out.Datacenters[i] = dc
	}
	if c.Latencies != nil {
		out.Latencies = make(map[string]Duration, len(c.Latencies))
		for k, v := range c.Latencies {
			out.Latencies[k] = v
		}
	}
	if c.Faults != nil {
		out.Faults = make(map[string]Fault, len(c.Faults))
		for k, v := range c.Faults {
			out.Faults[k] = v
		}
	}
	out.VolumeTypes = append([]string(nil), c.VolumeTypes...)
	out.Flavors = append([]core.FlavorCreate(nil), c.Flavors...)
	out.Images = append([]SeedImage(nil), c.Images...)
	return out
}

func (c *Config) validate() error {
	if len(c.Datacenters) == 0 {
		return fmt.Errorf("sim: at least one datacenter is required")
	}
	seen := map[string]bool{}
	for i, dc := range c.Datacenters {
		if dc.ID == "" {
			return fmt.Errorf("sim: datacenters[%d].id is required", i)
		}
		if seen[dc.ID] {
			return fmt.Errorf("sim: datacenter %q appears twice", dc.ID)
		}
		seen[dc.ID] = true
		if len(dc.Hosts) == 0 {
			c.Datacenters[i].Hosts = []string{dc.ID + "-host-1"}
		}
		if dc.Kind == "" {
			c.Datacenters[i].Kind = core.AvailabilityZone
		}
		if dc.Name == "" {
			c.Datacenters[i].Name = dc.ID
		}
	}
	for op, f := range c.Faults {
		if f.ErrorRate < 0 || f.ErrorRate > 1 {
			return fmt.Errorf("sim: faults[%s].error_rate must be in [0,1]", op)
		}
	}
	if c.Name == "" {
		c.Name = "sim"
	}
	if c.EventRetention <= 0 {
		c.EventRetention = 10000
	}
	if len(c.VolumeTypes) == 0 {
		c.VolumeTypes = []string{"standard"}
	}
	return nil
}

func (c *Config) latency(kind string) time.Duration {
	if d, ok := c.Latencies[kind]; ok {
		return time.Duration(d)
	}
	return time.Duration(c.Latency)
}
