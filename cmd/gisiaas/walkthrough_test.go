package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestAPIWalkthroughDoc runs every ```sh block of docs/api.md, in order, in
// bash against `gisiaas serve` with the simulator as a plugin process, so the
// walk-through a GIS developer pastes is what the API does. It needs curl
// and jq (.ci/run installs them) and fails, never skips, without them.
func TestAPIWalkthroughDoc(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed to run docs/api.md: %v", tool, err)
		}
	}
	doc, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllSubmatch(doc, -1)
	if len(blocks) < 10 {
		t.Fatalf("docs/api.md has %d sh blocks", len(blocks))
	}
	var script strings.Builder
	for _, b := range blocks {
		script.Write(b[1])
	}

	dir := t.TempDir()
	for _, cmd := range []string{"gisiaas-driver-sim", "gisiaas"} {
		build := exec.Command("go", "build", "-o", filepath.Join(dir, cmd), "github.com/gisiaas/gisiaas/cmd/"+cmd)
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", cmd, err, out)
		}
	}
	cfg := filepath.Join(dir, "gisiaas.yaml")
	body := "listen: 127.0.0.1:0\ndata_dir: " + filepath.Join(dir, "var") + "\nplugin_dirs: [" + dir + "]\n" +
		"datacenters:\n" +
		"  - {id: dc1, driver: sim, settings: {latency: 50ms, datacenters: [{id: dc1, hosts: [h1, h2]}]}}\n" +
		"  - {id: dc2, driver: sim, settings: {latency: 50ms, datacenters: [{id: dc2, hosts: [h3]}]}}\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GISIAAS_ADMIN_PASSWORD", "walkthrough-secret")
	addr, cancel, done := startServe(t, cfg)
	defer func() { cancel(); <-done }()

	sh := exec.Command("bash", "-euo", "pipefail", "-c", script.String())
	sh.Env = append(os.Environ(), "GISIAAS=http://"+addr.String(), "PATH="+dir+":"+os.Getenv("PATH"),
		"GISIAAS_CONFIG_DIR="+filepath.Join(dir, "cli"))
	var out bytes.Buffer
	sh.Stdout, sh.Stderr = &out, &out
	if err := sh.Run(); err != nil {
		t.Fatalf("docs/api.md failed: %v\n%s", err, out.String())
	}
	for _, want := range []string{`"status": "ACTIVE"`, "202\n", "public IP: 204", "volume: 204", "server: 204",
		`"code":400`, `"code":404`, "tiles-2", `"to_state"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the walk-through's output lacks %q:\n%s", want, out.String())
		}
	}
}
