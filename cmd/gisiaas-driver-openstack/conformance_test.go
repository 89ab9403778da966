package main

import (
	"context"
	"encoding/json"
	"flag"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/conformance"
	"github.com/gisiaas/gisiaas/plugins"
)

var (
	clauses = flag.String("clauses", "", "run only the conformance checks matching this regexp")
	report  = flag.String("report", "", "also write the Markdown report here (docs/drivers/openstack-report.md)")
)

// cloudSettings are the plugin's settings for the cloud the environment
// names (OS_CLOUD with OS_CLIENT_CONFIG_FILE, or OS_AUTH_URL…), with the
// notification bus when OS_NOTIFICATIONS_URL gives it. Without a cloud the
// test skips, except under CI, where it fails: CI never passes by skipping
// OpenStack.
func cloudSettings(t *testing.T) []byte {
	t.Helper()
	s := map[string]any{"poll_interval": "2s", "state_timeout": "3m"}
	switch {
	case os.Getenv("OS_CLOUD") != "":
		s["cloud"], s["clouds_file"] = os.Getenv("OS_CLOUD"), os.Getenv("OS_CLIENT_CONFIG_FILE")
	case os.Getenv("OS_AUTH_URL") != "":
		for k, env := range map[string]string{"auth_url": "OS_AUTH_URL", "username": "OS_USERNAME", "password": "OS_PASSWORD",
			"project_name": "OS_PROJECT_NAME", "user_domain_name": "OS_USER_DOMAIN_NAME", "project_domain_name": "OS_PROJECT_DOMAIN_NAME",
			"region": "OS_REGION_NAME"} {
			if v := os.Getenv(env); v != "" {
				s[k] = v
			}
		}
	default:
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set but no OpenStack is: set OS_CLOUD (and OS_CLIENT_CONFIG_FILE) or OS_AUTH_URL; scripts/openstack-up.sh starts one")
		}
		t.Skip("no OpenStack: set OS_CLOUD or OS_AUTH_URL (scripts/openstack-up.sh starts one)")
	}
	if u := os.Getenv("OS_NOTIFICATIONS_URL"); u != "" {
		s["notifications_url"] = u
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// launchPlugin builds this command and starts it as the server would: a
// separate process over go-plugin gRPC, configured with settings.
func launchPlugin(t *testing.T, settings []byte) *plugins.Process {
	t.Helper()
	bin := filepath.Join(t.TempDir(), plugins.BinaryPrefix+"openstack")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build the plugin: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	proc, err := plugins.Launch(ctx, plugins.LaunchConfig{Name: "openstack", Path: bin, Config: settings, Logger: log, StartTimeout: 3 * time.Minute})
	if err != nil {
		t.Fatalf("launch the plugin: %v", err)
	}
	t.Cleanup(func() { _ = proc.Close() })
	return proc
}

// TestConformanceAgainstOpenStack runs the whole suite against a real
// OpenStack through the driver as a plugin: every clause the driver
// declares must pass, every other must be proven unsupported, nothing may
// leak.
func TestConformanceAgainstOpenStack(t *testing.T) {
	proc := launchPlugin(t, cloudSettings(t))
	var run *regexp.Regexp
	if *clauses != "" {
		run = regexp.MustCompile(*clauses)
	}
	rep := conformance.RunDriver(t, proc, func(o *conformance.Options) {
		o.Target = "plugin"
		o.Run = run
		// A run of its own: the seed names the run's project and tag, so
		// runs against the same cloud never see each other's resources.
		o.Seed = uint64(time.Now().UnixNano())
		o.Log = func(r conformance.CheckResult) {
			t.Logf("%-10s %s (%s) %s", r.Status, r.ID, r.Duration.Round(time.Millisecond), r.Message)
		}
	})
	dir := t.TempDir()
	if err := conformance.WriteReports(rep, dir); err != nil {
		t.Errorf("reports: %v", err)
	}
	if *report != "" {
		if err := conformance.WriteMarkdown(rep, *report, nil); err != nil {
			t.Errorf("markdown report: %v", err)
		}
	}
	if run == nil && !rep.Passed() {
		t.Errorf("the OpenStack driver does not conform")
	}
}
