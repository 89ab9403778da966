package conformance

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// Status is the outcome of a check or a clause.
type Status string

// Outcomes, from best to worst: a parent takes its worst child.
const (
	Pass      Status = "PASS"
	Skip      Status = "SKIP" // declared unsupported, and proven so
	NotTested Status = "NOT TESTED"
	Fail      Status = "FAIL"
	Error     Status = "ERROR" // the suite itself broke
)

var rank = map[Status]int{Pass: 0, Skip: 1, NotTested: 2, Fail: 3, Error: 4}

// Worst returns the worse of a and b.
func Worst(a, b Status) Status {
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// Options configure a run.
type Options struct {
	// Target names what is tested in the report: "driver", "plugin" or "http".
	Target string
	// Seed drives names and data; 0 picks one (the report says which).
	Seed uint64
	// Run selects checks whose ID ("B.2.1.7/soft reboot") matches.
	Run *regexp.Regexp
	// Project and Datacenter are where checks create; empty: a project
	// named after the run, and the target's first datacenter.
	Project, Datacenter string
	// HTTP is the HTTP target's raw access, for HTTP-only checks.
	HTTP *HTTPTarget
	// Recorder, when set, has wrapped the target's driver (latency and
	// evidence); Run makes one when the target is a driver.
	Recorder *Recorder
	// Log, when set, hears each check's outcome as it happens.
	Log func(CheckResult)
}

// CheckResult is one check's outcome.
type CheckResult struct {
	ID        string        `json:"id"`
	Clause    core.Clause   `json:"clause"`
	Name      string        `json:"name"`
	Status    Status        `json:"status"`
	Message   string        `json:"message,omitempty"`
	Duration  time.Duration `json:"duration_ns"`
	Exchanges []Exchange    `json:"exchanges,omitempty"`
}

// ClauseResult is one clause's outcome: its checks' worst.
type ClauseResult struct {
	Clause
	Status Status   `json:"status"`
	Checks []string `json:"checks"`
}

// SectionResult is a section's outcome (B.2.1 …): its clauses' worst.
type SectionResult struct {
	Section string `json:"section"`
	Status  Status `json:"status"`
}

// Report is a run's outcome, one row per clause, never missing one.
type Report struct {
	Target        string          `json:"target"`
	Driver        string          `json:"driver"`
	DriverVersion string          `json:"driver_version"`
	SuiteCommit   string          `json:"suite_commit"`
	SpecSHA256    string          `json:"spec_sha256"`
	RunID         string          `json:"run_id"`
	Seed          uint64          `json:"seed"`
	Capabilities  []core.Clause   `json:"capabilities"`
	Started       time.Time       `json:"started"`
	Duration      time.Duration   `json:"duration_ns"`
	Clauses       []ClauseResult  `json:"clauses"`
	Sections      []SectionResult `json:"sections"`
	Checks        []CheckResult   `json:"checks"`
	Latency       []OpLatency     `json:"latency"`
	// Leaks are resources of this run still there after every cleanup.
	Leaks []string `json:"leaks"`
	// Filter is the --run expression when only some checks ran; clauses it
	// left out are NOT TESTED without failing the run.
	Filter string `json:"filter,omitempty"`
}

// Passed reports whether the target conforms: every must clause in its
// scope passed or was declared unsupported and proven so, no check broke,
// and nothing leaked.
func (r *Report) Passed() bool {
	if len(r.Leaks) > 0 {
		return false
	}
	for _, c := range r.Clauses {
		if c.Status == Error || c.Status == Fail {
			return false
		}
		if c.Level == core.Must && c.Status == NotTested && r.Filter == "" && (c.Scope == "driver" || r.Target == "http") {
			return false
		}
	}
	return true
}

// Run runs the suite against d.
func Run(ctx context.Context, d core.Driver, opts Options) (*Report, error) {
	start := time.Now()
	seed := opts.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	runID := fmt.Sprintf("%016x", rng.Uint64())
	if opts.Target == "" {
		opts.Target = "driver"
	}
	rec := opts.Recorder
	if rec == nil && opts.Target != "http" {
		rec = NewRecorder()
		d = rec.Wrap(d)
	}
	info, err := d.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("the target's Info: %w", err)
	}
	e := &Env{Driver: d, Info: info, RunID: runID, Project: opts.Project, Datacenter: opts.Datacenter, HTTP: opts.HTTP, rng: rng, rec: rec}
	if e.Project == "" {
		e.Project = "conformance-" + runID[:12]
	}
	if e.Datacenter == "" {
		dcs, err := d.ListDatacenters(ctx)
		if err != nil || len(dcs) == 0 {
			return nil, fmt.Errorf("the target's datacenters: %v (%d)", err, len(dcs))
		}
		e.Datacenter = dcs[0].ID
	}
	declared := core.NewClauseSet(info.Capabilities...)
	rep := &Report{Target: opts.Target, Driver: info.Name, DriverVersion: info.Version, SuiteCommit: suiteCommit(),
		SpecSHA256: ledger.SpecSHA256, RunID: runID, Seed: seed, Capabilities: declared.Sorted(), Started: start.UTC()}
	byClause := map[core.Clause][]CheckResult{}
	for _, c := range Checks() {
		if c.HTTPOnly && opts.Target != "http" {
			continue
		}
		if opts.Run != nil && !opts.Run.MatchString(c.ID()) {
			continue
		}
		res := runCheck(ctx, e, c, declared)
		rep.Checks = append(rep.Checks, res)
		byClause[c.Clause] = append(byClause[c.Clause], res)
		if opts.Log != nil {
			opts.Log(res)
		}
	}
	rep.Leaks = leaks(ctx, e)
	sections := map[string]Status{}
	var order []string
	for _, cl := range ledger.Clauses {
		cr := ClauseResult{Clause: cl, Status: NotTested, Checks: []string{}}
		for i, r := range byClause[cl.ID] {
			if i == 0 {
				cr.Status = r.Status
			}
			cr.Status = Worst(cr.Status, r.Status)
			cr.Checks = append(cr.Checks, r.ID)
		}
		rep.Clauses = append(rep.Clauses, cr)
		if _, ok := sections[cl.Section]; !ok {
			order = append(order, cl.Section)
			sections[cl.Section] = cr.Status
		} else {
			sections[cl.Section] = Worst(sections[cl.Section], cr.Status)
		}
	}
	for _, s := range order {
		rep.Sections = append(rep.Sections, SectionResult{Section: s, Status: sections[s]})
	}
	rep.Latency = rec.latencies()
	if opts.HTTP != nil && opts.HTTP.recorder() != rec {
		rep.Latency = append(rep.Latency, opts.HTTP.recorder().latencies()...)
	}
	rep.Duration = time.Since(start)
	return rep, nil
}

// runCheck runs one check: the clause's operations when the target
// declares it, else the proof that it refuses them as unsupported.
func runCheck(ctx context.Context, e *Env, c Check, declared core.ClauseSet) (res CheckResult) {
	res = CheckResult{ID: c.ID(), Clause: c.Clause, Name: c.Name}
	start := time.Now()
	e.rec.take()
	e.takeNotes()
	defer func() {
		if p := recover(); p != nil {
			res.Status, res.Message = Error, fmt.Sprintf("the check panicked: %v\n%s", p, debug.Stack())
		}
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*e.StateTimeout())
		defer cancel()
		if failed := e.runCleanups(cctx); len(failed) > 0 && res.Status == Pass {
			res.Status, res.Message = Fail, fmt.Sprintf("cleanup failed: %v", failed)
		}
		res.Duration = time.Since(start)
		if notes := e.takeNotes(); len(notes) > 0 && res.Status == Pass {
			res.Message = "not judged: " + strings.Join(notes, "; ")
		}
		if res.Status == Fail || res.Status == Error {
			res.Exchanges = e.rec.take()
		}
	}()
	cctx, cancel := context.WithTimeout(ctx, 4*e.StateTimeout()+time.Minute)
	defer cancel()
	if c.Needs != "" && !declared.Has(c.Needs) {
		if c.Unsupported == nil {
			res.Status, res.Message = Skip, fmt.Sprintf("%s is not declared", c.Needs)
			return res
		}
		err := c.Unsupported(cctx, e)
		switch {
		case err == nil:
			res.Status, res.Message = Fail, fmt.Sprintf("%s works while it is declared unsupported", c.Needs)
		case core.KindOf(err) == core.Unsupported:
			res.Status, res.Message = Skip, fmt.Sprintf("%s declared unsupported, and refused as such", c.Needs)
		default:
			res.Status, res.Message = Fail, fmt.Sprintf("%s is declared unsupported but answered %s (%v), want unsupported", c.Needs, core.KindOf(err), err)
		}
		return res
	}
	err := c.Run(cctx, e)
	switch {
	case err == nil:
		res.Status = Pass
	case isBroken(err):
		res.Status, res.Message = Error, err.Error()
	case core.KindOf(err) == core.Unsupported && c.Needs != "":
		res.Status, res.Message = Fail, fmt.Sprintf("%s is declared but the target answered unsupported: %v", c.Needs, err)
	default:
		res.Status, res.Message = Fail, err.Error()
	}
	return res
}

// suiteCommit is the VCS revision the suite was built from.
func suiteCommit() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}
