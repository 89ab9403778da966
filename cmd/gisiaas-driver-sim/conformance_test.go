package main

import (
	"flag"
	"regexp"
	"testing"

	"github.com/gisiaas/gisiaas/conformance"
	"github.com/gisiaas/gisiaas/core"
	"github.com/gisiaas/gisiaas/drivers/sim"
)

// clauses narrows the run to the checks whose ID ("B.2.1.7/soft and hard")
// matches, while a clause is being worked on:
//
//	go test ./cmd/gisiaas-driver-sim -run Conformance -clauses 'B\.2\.1\.' -v
var clauses = flag.String("clauses", "", "run only the conformance checks matching this regexp")

// TestConformanceInProcess runs the whole suite against the simulator as a
// core.Driver in process: every driver clause must pass (the simulator
// declares them all), nothing may be left untested, nothing may leak.
func TestConformanceInProcess(t *testing.T) {
	cfg := sim.TestConfig()
	// Two datacenters of two hosts each: live migration needs a second
	// host to move to (B.2.1.9).
	cfg.Datacenters = []sim.DatacenterConfig{
		{ID: "dc1", Name: "Datacenter 1", Kind: core.AvailabilityZone, Hosts: []string{"dc1-host-1", "dc1-host-2"}},
		{ID: "dc2", Name: "Datacenter 2", Kind: core.AvailabilityZone, Hosts: []string{"dc2-host-1", "dc2-host-2"}},
	}
	d, err := sim.New(cfg)
	if err != nil {
		t.Fatalf("sim.New: %v", err)
	}
	t.Cleanup(func() { _ = d.Close() })

	var run *regexp.Regexp
	if *clauses != "" {
		run = regexp.MustCompile(*clauses)
	}
	rep := conformance.RunDriver(t, d, func(o *conformance.Options) {
		o.Run = run
		o.Log = func(r conformance.CheckResult) { t.Logf("%-10s %s %s", r.Status, r.ID, r.Message) }
	})
	if run != nil {
		// A subset leaves the other clauses untested by design.
		for _, c := range rep.Checks {
			if c.Status == conformance.Fail || c.Status == conformance.Error {
				t.Errorf("%s: %s", c.ID, c.Status)
			}
		}
		return
	}
	if !rep.Passed() {
		t.Errorf("the simulator does not conform")
	}
	for _, c := range rep.Clauses {
		if c.Scope == "driver" && c.Status == conformance.NotTested {
			t.Errorf("%s %s: NOT TESTED", c.ID, c.Title)
		}
		if c.Status == conformance.Skip {
			t.Errorf("%s %s: skipped, but the simulator declares every clause", c.ID, c.Title)
		}
	}
}
