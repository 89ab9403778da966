package main

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gisiaas/gisiaas/conformance"
)

var openstackReport = flag.String("openstack-report", "", "also write the Markdown report of the HTTP run against OpenStack here")

// TestConformanceHTTPOpenStack runs `gisiaas conformance http` against
// `gisiaas serve` with a real OpenStack as its datacenter, through the
// OpenStack plugin: the general clauses (A.0.x, B.1.1) and the HTTP-only
// checks a plugin run cannot judge, and every driver clause once more
// through the API. It needs the cloud the environment names (OS_CLOUD and
// OS_CLIENT_CONFIG_FILE, as scripts/openstack-up.sh writes them); without
// one it skips, except under CI, where it fails.
func TestConformanceHTTPOpenStack(t *testing.T) {
	if os.Getenv("OS_CLOUD") == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set but no OpenStack is: set OS_CLOUD and OS_CLIENT_CONFIG_FILE; scripts/openstack-up.sh starts one")
		}
		t.Skip("no OpenStack: set OS_CLOUD (scripts/openstack-up.sh starts one)")
	}
	settings, err := json.Marshal(map[string]any{"cloud": os.Getenv("OS_CLOUD"), "clouds_file": os.Getenv("OS_CLIENT_CONFIG_FILE"),
		"notifications_url": os.Getenv("OS_NOTIFICATIONS_URL"), "poll_interval": "2s", "state_timeout": "3m"})
	if err != nil {
		t.Fatal(err)
	}
	// JSON is YAML: the settings go into the config as a flow mapping.
	h := serveForConformance(t, []string{"github.com/gisiaas/gisiaas/cmd/gisiaas-driver-openstack"},
		"  - {id: nova, name: OpenStack, driver: openstack, settings: "+string(settings)+"}\n")
	var stdout, stderr strings.Builder
	h.cli.stdout, h.cli.stderr = &stdout, &stderr
	h.cli.stdin = strings.NewReader(adminPassword + "\nbob-secret-pw\n")
	out := filepath.Join(h.dir, "report")
	code := h.cli.main(t.Context(), []string{"conformance", "http", "--endpoint", h.endpoint,
		"--username", "admin", "--password-stdin", "--project", "admin",
		"--second-username", "bob", "--second-project", "project-b", "--second-project-domain", "conformance-b",
		"--ca-cert", h.certFile, "--state-timeout", "3m", "--out", out})
	t.Logf("conformance http against OpenStack: exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	raw, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatalf("report.json: %v", err)
	}
	var rep conformance.Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	if *openstackReport != "" {
		if err := conformance.WriteMarkdown(&rep, *openstackReport, nil); err != nil {
			t.Errorf("markdown report: %v", err)
		}
	}
	for _, cl := range rep.Clauses {
		if cl.Status != conformance.Pass && cl.Status != conformance.Skip {
			t.Errorf("%s %s: %s", cl.ID, cl.Title, cl.Status)
		}
	}
	if len(rep.Leaks) > 0 {
		t.Errorf("leaks: %v", rep.Leaks)
	}
	if code != 0 {
		t.Errorf("gisiaas conformance http exited %d", code)
	}
}
