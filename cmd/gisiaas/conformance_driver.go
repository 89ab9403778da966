package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/gisiaas/gisiaas/conformance"
	"github.com/gisiaas/gisiaas/plugins"
)

// cmdConformanceDriver is `gisiaas conformance driver PLUGIN --config FILE`:
// the suite against a driver plugin binary over real go-plugin gRPC, as the
// server itself would run it. It fails (exit 1) unless the driver conforms.
func cmdConformanceDriver(c *cli, ctx context.Context, args []string) error {
	const name = "conformance driver"
	fs := flag.NewFlagSet("gisiaas "+name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	configPath := fs.String("config", "", "the driver's settings (YAML), given to the plugin as JSON")
	seed := fs.Uint64("seed", 0, "seed of names and data, to reproduce a run (0: a random one, printed)")
	runRE := fs.String("run", "", "run only the checks whose ID (\"B.2.1.7/soft reboot\") matches this regular expression")
	out := fs.String("out", "conformance-report", "directory of report.json, report.xml and report.html")
	sweep := fs.Bool("sweep", false, "instead of a run, delete what earlier runs left (only resources with the run tag)")
	project := fs.String("project", "", "project to create in (default: a new one per run); with --sweep, the only project swept (default: all)")
	datacenter := fs.String("datacenter", "", "datacenter to create in (default: the driver's first); with --sweep, the only one swept (default: all)")
	verbose := fs.Bool("v", false, "print each check's outcome as it happens")
	fs.Usage = func() {
		for _, cmd := range commandTable() {
			if cmd.name == name {
				fmt.Fprintf(fs.Output(), "usage: gisiaas %s %s\n\n%s.\n\nflags:\n", cmd.name, cmd.synopsis, cmd.summary)
			}
		}
		fs.PrintDefaults()
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("give one plugin binary (or a driver name found as gisiaas serve finds it)")
	}
	if *configPath == "" {
		return usagef("--config FILE is required: the driver's settings")
	}
	var re *regexp.Regexp
	if *runRE != "" {
		if re, err = regexp.Compile(*runRE); err != nil {
			return usagef("--run: %v", err)
		}
	}
	path, err := pluginPath(pos[0])
	if err != nil {
		return err
	}
	settings, err := driverSettings(*configPath)
	if err != nil {
		return err
	}
	// The plugin's own output goes to stderr, quietly: warnings and errors.
	log := slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	drvName := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), plugins.BinaryPrefix), ".exe")
	proc, err := plugins.Launch(ctx, plugins.LaunchConfig{Name: drvName, Path: path, Config: settings, Logger: log})
	if err != nil {
		return fmt.Errorf("starting %s: %w", path, err)
	}
	defer proc.Close()

	if *sweep {
		done, err := conformance.Sweep(ctx, proc, *project, *datacenter)
		for _, d := range done {
			fmt.Fprintf(c.stdout, "deleted %s\n", d)
		}
		fmt.Fprintf(c.stdout, "%d tagged resources deleted\n", len(done))
		return err
	}

	opts := conformance.Options{Target: "plugin", Seed: *seed, Run: re, Project: *project, Datacenter: *datacenter}
	if *verbose {
		opts.Log = func(r conformance.CheckResult) {
			fmt.Fprintf(c.stderr, "%-10s %s (%s)\n", r.Status, r.ID, r.Duration.Round(1e6))
		}
	}
	rep, err := conformance.Run(ctx, proc, opts)
	if err != nil {
		return err
	}
	conformance.WriteSummary(c.stdout, rep)
	if err := conformance.WriteReports(rep, *out); err != nil {
		return fmt.Errorf("writing the reports: %w", err)
	}
	fmt.Fprintf(c.stdout, "reports in %s (report.json, report.xml, report.html); rerun with --seed %d\n", *out, rep.Seed)
	if rep.Passed() {
		return nil
	}
	return errNotConformant
}

var errNotConformant = errors.New("the driver does not conform (see the failures above)")

// pluginPath is the binary to launch: a path as given, or a driver name
// ("sim") found in the plugin directories as gisiaas serve finds it.
func pluginPath(arg string) (string, error) {
	if strings.ContainsAny(arg, `/\`) {
		abs, err := filepath.Abs(arg)
		if err != nil {
			return "", err
		}
		if _, err := os.Stat(abs); err != nil {
			return "", err
		}
		return abs, nil
	}
	if st, err := os.Stat(arg); err == nil && !st.IsDir() {
		return filepath.Abs(arg)
	}
	return plugins.Find(arg)
}

// driverSettings reads the YAML settings file and gives them as JSON, as
// serve gives a datacenter's settings to its plugin.
func driverSettings(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var v map[string]any
	if err := yaml.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if v == nil {
		v = map[string]any{}
	}
	js, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%s: the settings do not convert to JSON: %w", path, err)
	}
	return js, nil
}
