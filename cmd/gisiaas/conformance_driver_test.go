package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/conformance"
)

// TestConformanceDriverPlugin runs `gisiaas conformance driver` against the
// simulator's plugin binary over real go-plugin gRPC: the run passes, the
// three reports are written, and every driver clause passes or is proven
// unsupported.
func TestConformanceDriverPlugin(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a plugin")
	}
	dir := t.TempDir()
	plugin := filepath.Join(dir, "gisiaas-driver-sim")
	build := exec.Command("go", "build", "-o", plugin, "github.com/gisiaas/gisiaas/cmd/gisiaas-driver-sim")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build plugin: %v\n%s", err, out)
	}
	cfg := filepath.Join(dir, "dc.yaml")
	settings := "latency: 0s\nseed: 1\ndatacenters:\n  - {id: dc1, hosts: [dc1-host-1, dc1-host-2]}\n"
	if err := os.WriteFile(cfg, []byte(settings), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "report")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	start := time.Now()
	code := run(ctx, []string{"conformance", "driver", plugin, "--config", cfg, "--seed", "7", "--out", out}, &stdout, &stderr)
	t.Logf("the suite over gRPC took %s", time.Since(start))

	b, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatalf("report.json: %v (exit %d)\n%s\n%s", err, code, stdout.String(), stderr.String())
	}
	for _, f := range []string{"report.xml", "report.html"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	var rep conformance.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Target != "plugin" || rep.Driver != "sim" || rep.Seed != 7 {
		t.Errorf("report: target %q driver %q seed %d", rep.Target, rep.Driver, rep.Seed)
	}
	// Clauses no check proves yet are tolerated here; the ledger's
	// meta-test fails for them. Once every clause has one, the run passes.
	checked := map[string]bool{}
	for _, c := range conformance.Checks() {
		checked[string(c.Clause)] = true
	}
	complete := true
	for _, cl := range rep.Clauses {
		if cl.Scope != "driver" {
			if cl.Status != conformance.NotTested {
				t.Errorf("%s (scope %s): %s against a plugin", cl.ID, cl.Scope, cl.Status)
			}
			continue
		}
		if !checked[string(cl.ID)] {
			complete = false
			t.Logf("%s has no check yet", cl.ID)
			continue
		}
		if cl.Status != conformance.Pass && cl.Status != conformance.Skip {
			t.Errorf("%s %s: %s", cl.ID, cl.Title, cl.Status)
		}
	}
	for _, cl := range rep.Clauses {
		if cl.ID == "B.1.2" && cl.Status != conformance.Pass {
			t.Errorf("B.1.2: %+v", cl)
		}
	}
	if len(rep.Leaks) > 0 {
		t.Errorf("leaks: %v", rep.Leaks)
	}
	if complete && code != 0 {
		t.Errorf("exit %d, want 0\n%s\n%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "B.1.2") || !strings.Contains(stdout.String(), "--seed 7") {
		t.Errorf("summary:\n%s", stdout.String())
	}
	if t.Failed() {
		t.Logf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}

	// --sweep deletes only tagged leftovers: a fresh simulator has none.
	stdout.Reset()
	stderr.Reset()
	if code := run(ctx, []string{"conformance", "driver", plugin, "--config", cfg, "--sweep"}, &stdout, &stderr); code != 0 {
		t.Fatalf("--sweep: exit %d\n%s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "0 tagged resources deleted") {
		t.Errorf("--sweep: %s", stdout.String())
	}
}

func TestConformanceDriverMisuse(t *testing.T) {
	for _, args := range [][]string{
		{"conformance", "driver", "--config", "x.yaml"},                 // no plugin
		{"conformance", "driver", "./gisiaas-driver-x"},                 // no config
		{"conformance", "driver", "./p", "--config", "c", "--run", "("}, // bad regexp
	} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, &stdout, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", args, code, stderr.String())
		}
	}
}

func TestDriverSettingsYAMLToJSON(t *testing.T) {
	f := filepath.Join(t.TempDir(), "dc.yaml")
	if err := os.WriteFile(f, []byte("latency: 0s\ndatacenters:\n  - {id: dc1, hosts: [a, b]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	js, err := driverSettings(f)
	if err != nil {
		t.Fatal(err)
	}
	if string(js) != `{"datacenters":[{"hosts":["a","b"],"id":"dc1"}],"latency":"0s"}` {
		t.Fatalf("settings: %s", js)
	}
}
