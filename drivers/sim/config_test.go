package sim

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

func TestConfig_ValidateFillsDefaults(t *testing.T) {
	c := Config{Datacenters: []DatacenterConfig{{ID: "a"}, {ID: "b", Name: "B", Kind: core.Region, Hosts: []string{"h1", "h2"}}}}
	if err := c.validate(); err != nil {
		t.Fatal(err)
	}
	want := Config{
		Name: "sim",
		Datacenters: []DatacenterConfig{
			{ID: "a", Name: "a", Kind: core.AvailabilityZone, Hosts: []string{"a-host-1"}},
			{ID: "b", Name: "B", Kind: core.Region, Hosts: []string{"h1", "h2"}},
		},
		EventRetention: 10000,
		VolumeTypes:    []string{"standard"},
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("validate gave\n%+v\nwant\n%+v", c, want)
	}
	// What is given is kept.
	k := Config{Name: "edge", EventRetention: 7, VolumeTypes: []string{"ssd", "hdd"}, Datacenters: []DatacenterConfig{{ID: "x"}}}
	if err := k.validate(); err != nil || k.Name != "edge" || k.EventRetention != 7 || !reflect.DeepEqual(k.VolumeTypes, []string{"ssd", "hdd"}) {
		t.Fatalf("%v %+v", err, k)
	}
	neg := Config{EventRetention: -3, Datacenters: []DatacenterConfig{{ID: "x"}}}
	if err := neg.validate(); err != nil || neg.EventRetention != 10000 {
		t.Fatalf("negative retention: %v %d", err, neg.EventRetention)
	}
}

func TestConfig_ValidateRefuses(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*Config)
		msg    string // part of the error
	}{
		{"no datacenter", func(c *Config) { c.Datacenters = nil }, "at least one datacenter"},
		{"empty datacenter list", func(c *Config) { c.Datacenters = []DatacenterConfig{} }, "at least one datacenter"},
		{"empty id", func(c *Config) { c.Datacenters[1].ID = "" }, "datacenters[1].id"},
		{"duplicate id", func(c *Config) { c.Datacenters[1].ID = "dc1" }, `"dc1" appears twice`},
		{"error rate over 1", func(c *Config) { c.Faults = map[string]Fault{"CreateServer": {ErrorRate: 1.01}} }, "faults[CreateServer].error_rate"},
		{"negative error rate", func(c *Config) { c.Faults = map[string]Fault{"*": {ErrorRate: -0.1}} }, "faults[*].error_rate"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := TestConfig()
			c.mutate(&cfg)
			if err := cfg.validate(); err == nil || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("validate: %v, want an error containing %q", err, c.msg)
			}
			cfg = TestConfig()
			c.mutate(&cfg)
			d, err := New(cfg)
			if err == nil || !strings.Contains(err.Error(), c.msg) || d != nil {
				t.Fatalf("New: %v, want an error containing %q", err, c.msg)
			}
		})
	}
	for _, rate := range []float64{0, 0.5, 1} {
		cfg := TestConfig()
		cfg.Faults = map[string]Fault{"*": {ErrorRate: rate}}
		if err := cfg.validate(); err != nil {
			t.Errorf("error rate %v refused: %v", rate, err)
		}
	}
}

func TestConfig_DurationJSON(t *testing.T) {
	for _, c := range []struct {
		text string
		d    time.Duration
	}{
		{`"300ms"`, 300 * time.Millisecond},
		{`"2s"`, 2 * time.Second},
		{`"1m30s"`, 90 * time.Second},
		{`"0s"`, 0},
	} {
		var d Duration
		if err := json.Unmarshal([]byte(c.text), &d); err != nil || time.Duration(d) != c.d {
			t.Errorf("unmarshal %s: %v %v", c.text, time.Duration(d), err)
		}
		b, err := json.Marshal(Duration(c.d))
		if err != nil || string(b) != c.text {
			t.Errorf("marshal %v: %s %v", c.d, b, err)
		}
	}
	var d Duration
	if err := json.Unmarshal([]byte(`"fast"`), &d); err == nil || !strings.Contains(err.Error(), "fast") {
		t.Errorf(`"fast": %v`, err)
	}
	if err := json.Unmarshal([]byte(`300`), &d); err == nil {
		t.Error("a bare number was taken as a duration")
	}

	// A whole config round-trips, durations as text.
	cfg := TestConfig()
	cfg.Latency = Duration(300 * time.Millisecond)
	cfg.Latencies = map[string]Duration{"server.build": Duration(2 * time.Second)}
	cfg.Faults = map[string]Fault{"CreateServer": {ErrorRate: 0.25, Kind: core.Throttled, Latency: Duration(50 * time.Millisecond)}}
	cfg.SoftDeleteReclaim = Duration(time.Hour)
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"latency":"300ms"`, `"server.build":"2s"`, `"latency":"50ms"`, `"soft_delete_reclaim":"1h0m0s"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("config JSON lacks %s: %s", want, b)
		}
	}
	var back Config
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, cfg) {
		t.Fatalf("round trip\n got %+v\nwant %+v", back, cfg)
	}
}

func TestConfig_LatencyPerKind(t *testing.T) {
	c := Config{Latency: Duration(time.Second), Latencies: map[string]Duration{"volume.create": Duration(5 * time.Second), "server.stop": 0}}
	for kind, want := range map[string]time.Duration{"volume.create": 5 * time.Second, "server.stop": 0, "server.build": time.Second} {
		if got := c.latency(kind); got != want {
			t.Errorf("latency(%s) = %v, want %v", kind, got, want)
		}
	}
}

func TestConfig_DefaultAndTestConfig(t *testing.T) {
	def := DefaultConfig()
	if err := def.validate(); err != nil {
		t.Fatal(err)
	}
	if len(def.Datacenters) != 2 || time.Duration(def.Latency) != 300*time.Millisecond || def.Seed != 0 {
		t.Fatalf("%+v", def)
	}
	for _, f := range def.Flavors {
		if err := f.Validate(); err != nil {
			t.Errorf("seed flavor %s: %v", f.ID, err)
		}
	}
	for _, im := range def.Images {
		if err := core.ValidateDiskFormat(im.DiskFormat, true); err != nil || im.SizeBytes <= 0 {
			t.Errorf("seed image %s: %v", im.Name, err)
		}
	}
	tc := TestConfig()
	if tc.Latency != 0 || tc.Seed != 1 || len(tc.Latencies) != 0 {
		t.Fatalf("TestConfig is not instant and seeded: %+v", tc)
	}
	// Each call is a fresh value: changing one does not change the next.
	tc.Datacenters[0].Hosts[0] = "changed"
	tc.Flavors[0].VCPUs = 99
	if again := TestConfig(); again.Datacenters[0].Hosts[0] != "dc1-host-1" || again.Flavors[0].VCPUs != 1 {
		t.Fatal("TestConfig shares its slices between calls")
	}
}

// New keeps its own copy of the configuration: the fault knobs of one
// driver must not reach another driver built from the same Config, nor the
// caller's Config (that would also be a data race between the two).
func TestConfig_NewCopiesTheConfig(t *testing.T) {
	cfg := TestConfig()
	cfg.Faults = map[string]Fault{} // non-nil, as a config file gives it
	cfg.Datacenters[1].Hosts = nil
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := testCtx(t)

	a.SetFault("ListDatacenters", Fault{ErrorRate: 1, Kind: core.Conflict})
	_, err = a.ListDatacenters(ctx)
	wantKind(t, err, core.Conflict)
	if _, ok := cfg.Faults["ListDatacenters"]; ok {
		t.Error("SetFault wrote into the caller's Config.Faults")
	}
	if _, err := b.ListDatacenters(ctx); err != nil {
		t.Errorf("a fault set on one driver reached another: %v", err)
	}
	if cfg.Datacenters[1].Hosts != nil {
		t.Errorf("New filled defaults into the caller's Config: %v", cfg.Datacenters[1].Hosts)
	}
	cfg.Datacenters[0].Hosts[0] = "renamed-after-New"
	dcs, _ := b.ListDatacenters(ctx)
	if len(dcs) > 0 && dcs[0].Hosts[0] != "dc1-host-1" {
		t.Errorf("changing the caller's Config after New changed the driver: %v", dcs[0].Hosts)
	}
}
