package main

import (
	"context"
	"encoding/json"
	"flag"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/conformance"
	"github.com/gisiaas/gisiaas/core"
	"github.com/gisiaas/gisiaas/drivers/libvirt"
	"github.com/gisiaas/gisiaas/plugins"
)

// updateReport rewrites docs/drivers/libvirt-report.md from the run:
//
//	go test ./cmd/gisiaas-driver-libvirt -run ConformancePlugin -update-report
var updateReport = flag.Bool("update-report", false, "write docs/drivers/libvirt-report.md from this run")

// qemuMarker starts the qemu:///system section of the report.
const qemuMarker = "<!-- libvirt-report: qemu:///system -->"

// testSettings is one datacenter of one host on libvirt's test driver:
// real libvirt (libvirt.so from Debian), in the plugin's process, no daemon.
func testSettings() libvirt.Config {
	return libvirt.Config{URI: "test:///default", Pool: "default-pool", Networks: []string{"default"},
		Flavors: []core.Flavor{
			{ID: "m1.tiny", Name: "m1.tiny", VCPUs: 1, MemoryMB: 256, DiskGB: 1, Public: true},
			{ID: "m1.small", Name: "m1.small", VCPUs: 2, MemoryMB: 512, DiskGB: 1, Public: true},
		},
		Images:   []libvirt.ImageConfig{{ID: "base", Name: "base", Volume: "gisiaas-base.img", CreateSizeGB: 1, Architecture: "x86_64"}},
		MaxVCPUs: 4, MaxMemoryMB: 1024, StopTimeout: libvirt.Duration(5 * time.Second)}
}

// buildPlugin builds this command into dir, as gisiaas would find it.
func buildPlugin(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), plugins.BinaryPrefix+"libvirt")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/gisiaas/gisiaas/cmd/gisiaas-driver-libvirt").CombinedOutput()
	if err != nil {
		t.Fatalf("building the plugin: %v\n%s", err, out)
	}
	return bin
}

// TestConformancePlugin runs the whole suite against the libvirt driver as
// gisiaas runs it: its binary started as a go-plugin, over gRPC, on
// test:///default. Every declared clause must pass, every other be proven
// unsupported, nothing may leak.
func TestConformancePlugin(t *testing.T) {
	settings, err := json.Marshal(testSettings())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	p, err := plugins.Launch(ctx, plugins.LaunchConfig{Name: "libvirt", Path: buildPlugin(t), Config: settings,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatalf("Launch: %v", err)
	}
	defer p.Close()
	start := time.Now()
	rep := conformance.RunDriver(t, p, func(o *conformance.Options) {
		o.Target = "plugin"
		o.Log = func(r conformance.CheckResult) {
			if r.Status != conformance.Pass && r.Status != conformance.Skip {
				t.Logf("%-10s %s %s", r.Status, r.ID, r.Message)
			}
		}
	})
	t.Logf("the suite over gRPC took %s", time.Since(start).Round(time.Millisecond))
	if !rep.Passed() {
		t.Errorf("the libvirt driver does not conform on test:///default")
	}
	declared := core.NewClauseSet(rep.Capabilities...)
	for _, c := range rep.Clauses {
		if c.Scope != "driver" {
			continue
		}
		switch {
		case declared.Has(c.ID) && c.Status != conformance.Pass:
			t.Errorf("%s %s is declared but %s", c.ID, c.Title, c.Status)
		case !declared.Has(c.ID) && c.Status != conformance.Skip:
			t.Errorf("%s %s is not declared but %s (want proven unsupported)", c.ID, c.Title, c.Status)
		}
	}
	// What test:///default must declare: the point of this run.
	for _, c := range []core.Clause{core.ClauseServerCreate, core.ClauseServerResize, core.ClauseImageCreate,
		core.ClauseVolumeAttach, core.ClauseVolumeDetach, core.ClauseNetworkList, core.ClauseComputeQuota} {
		if !declared.Has(c) {
			t.Errorf("%s is not declared on test:///default", c)
		}
	}
	if *updateReport {
		// The report of this run, then the qemu:///system section that
		// drivers/libvirt's TestQEMUConformance writes, kept as it is.
		path := filepath.Join("..", "..", "docs", "drivers", "libvirt-report.md")
		old, _ := os.ReadFile(path)
		tail := ""
		if i := strings.Index(string(old), qemuMarker); i >= 0 {
			tail = string(old[i:])
		}
		if err := conformance.WriteMarkdown(rep, path, libvirt.UnsupportedReasons(rep.Capabilities)); err != nil {
			t.Fatal(err)
		}
		head, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		intro := "The libvirt driver declares what its hosts' hypervisor can do (docs/drivers/libvirt.md). This is its run on " +
			"`test:///default` through the plugin (`go test ./cmd/gisiaas-driver-libvirt -run ConformancePlugin -update-report`); " +
			"the run on `qemu:///system` follows.\n\n"
		first := strings.Index(string(head), "\n\n") + 2
		out := string(head[:first]) + intro + string(head[first:])
		if tail != "" {
			out += "\n" + tail
		}
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
