package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/gisiaas/gisiaas/conformance"
)

// cmdConformanceHTTP is `gisiaas conformance http --endpoint URL …`: the
// suite against a running deployment, black-box, over its REST API — every
// clause through the API, plus authentication, the A.0 conventions,
// pagination, idempotency keys and, with a second project's user, the
// isolation of projects. It fails (exit 1) unless the deployment conforms.
func cmdConformanceHTTP(c *cli, ctx context.Context, args []string) error {
	const name = "conformance http"
	fs := flag.NewFlagSet("gisiaas "+name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	endpoint := fs.String("endpoint", "", "API URL, e.g. https://iaas.example.org (default $"+envEndpoint+")")
	user := fs.String("username", "", "user of the project the run creates in (required)")
	password := fs.String("password", "", "their password (visible to other local users in the process list; prefer --password-stdin)")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	domain := fs.String("domain", "Default", "the user's domain")
	project := fs.String("project", "", "project to run in (required): everything the run creates is tagged and deleted")
	projectDomain := fs.String("project-domain", "", "the project's domain (its department; default: --domain)")
	user2 := fs.String("second-username", "", "a user of another project, for the isolation checks")
	password2 := fs.String("second-password", "", "the second user's password (read as the second line of standard input with --password-stdin when empty)")
	domain2 := fs.String("second-domain", "", "the second user's domain (default: --domain)")
	project2 := fs.String("second-project", "", "the second user's project")
	projectDomain2 := fs.String("second-project-domain", "", "the second project's domain (default: --second-domain)")
	datacenter := fs.String("datacenter", "", "datacenter to create in (default: the first listed)")
	caCert := fs.String("ca-cert", "", "PEM file of a CA to trust besides the system's")
	insecure := fs.Bool("insecure", false, "do not verify the endpoint's TLS certificate")
	stateTimeout := fs.Duration("state-timeout", 2*time.Minute, "how long the deployment may take to reach a state")
	seed := fs.Uint64("seed", 0, "seed of names and data, to reproduce a run (0: a random one, printed)")
	runRE := fs.String("run", "", "run only the checks whose ID (\"A.0.3/isolation\") matches this regular expression")
	out := fs.String("out", "conformance-report", "directory of report.json, report.xml and report.html")
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
	if len(pos) > 0 {
		return usagef("conformance http takes no arguments, not %q", pos[0])
	}
	if *endpoint == "" {
		*endpoint = c.getenv(envEndpoint)
	}
	second := *user2 != "" || *project2 != ""
	switch {
	case *endpoint == "":
		return usagef("--endpoint is required")
	case *user == "":
		return usagef("--username is required")
	case *project == "":
		return usagef("--project is required")
	case *password != "" && *fromStdin:
		return usagef("give --password or --password-stdin, not both")
	case *password == "" && !*fromStdin:
		return usagef("--password or --password-stdin is required")
	case second && (*user2 == "" || *project2 == ""):
		return usagef("--second-username and --second-project go together")
	case second && *password2 == "" && !*fromStdin:
		return usagef("--second-password (or --password-stdin) is required with --second-username")
	}
	if *fromStdin {
		in := bufio.NewReader(c.stdin)
		if *password, err = readLine(in); err != nil {
			return err
		}
		if *password == "" {
			return usagef("--password-stdin: standard input is empty")
		}
		if second && *password2 == "" {
			if *password2, err = readLine(in); err != nil || *password2 == "" {
				return usagef("--password-stdin: the second line (the second user's password) is missing")
			}
		}
	}
	var re *regexp.Regexp
	if *runRE != "" {
		if re, err = regexp.Compile(*runRE); err != nil {
			return usagef("--run: %v", err)
		}
	}
	ep, err := normalizeEndpoint(*endpoint)
	if err != nil {
		return err
	}
	cfg := conformance.HTTPConfig{Endpoint: ep, Username: *user, Password: *password, UserDomain: *domain,
		Project: *project, ProjectDomain: *projectDomain, Datacenter: *datacenter, CACert: *caCert, Insecure: *insecure,
		StateTimeout: *stateTimeout}
	if second {
		d2 := *domain2
		if d2 == "" {
			d2 = *domain
		}
		cfg.Second = &conformance.Credentials{Username: *user2, Password: *password2, UserDomain: d2,
			Project: *project2, ProjectDomain: *projectDomain2}
	}
	if *insecure {
		fmt.Fprintln(c.stderr, "warning: --insecure: the endpoint's certificate is not verified")
	}
	drv, target, err := conformance.NewHTTP(ctx, cfg)
	if err != nil {
		return err
	}
	defer drv.Close()
	if !second {
		fmt.Fprintln(c.stderr, "note: without --second-username the isolation check proves only that another project's path is refused; "+
			"give a user of another project to prove that its ids are not found either")
	}
	opts := conformance.Options{Target: "http", Seed: *seed, Run: re, HTTP: target, Recorder: target.Recorder(),
		Project: target.ProjectID(), Datacenter: target.Datacenter()}
	if *verbose {
		opts.Log = func(r conformance.CheckResult) {
			fmt.Fprintf(c.stderr, "%-10s %s (%s)\n", r.Status, r.ID, r.Duration.Round(time.Millisecond))
		}
	}
	rep, err := conformance.Run(ctx, drv, opts)
	if err != nil {
		return err
	}
	rep.Latency = uniqueLatency(rep.Latency)
	conformance.WriteSummary(c.stdout, rep)
	if err := conformance.WriteReports(rep, *out); err != nil {
		return fmt.Errorf("writing the reports: %w", err)
	}
	fmt.Fprintf(c.stdout, "reports in %s (report.json, report.xml, report.html); rerun with --seed %d\n", *out, rep.Seed)
	if !rep.Passed() {
		return errDeploymentNotConformant
	}
	return nil
}

var errDeploymentNotConformant = errors.New("the deployment does not conform (see the failures above)")

// readLine reads one line without its line ending.
func readLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading standard input: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// uniqueLatency drops the second copy of each operation's row: the
// target's recorder is both the run's (for the failures' evidence) and
// the HTTP target's, and Run reports both.
func uniqueLatency(ls []conformance.OpLatency) []conformance.OpLatency {
	seen := map[string]bool{}
	out := ls[:0]
	for _, l := range ls {
		if !seen[l.Op] {
			seen[l.Op] = true
			out = append(out, l)
		}
	}
	return out
}
