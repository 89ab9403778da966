package conformance

import (
	"context"
	"strings"
	"testing"

	"github.com/gisiaas/gisiaas/core"
)

// RunDriver runs the suite against d from go test, as gocloud's drivertest
// does: one subtest per clause, failing with the check's message and its
// evidence; leaks fail the run. It returns the report for further checks.
func RunDriver(t *testing.T, d core.Driver, opts ...func(*Options)) *Report {
	t.Helper()
	o := Options{Target: "driver", Seed: 1}
	for _, f := range opts {
		f(&o)
	}
	rep, err := Run(context.Background(), d, o)
	if err != nil {
		t.Fatalf("conformance: %v", err)
	}
	byID := map[string]CheckResult{}
	for _, c := range rep.Checks {
		byID[c.ID] = c
	}
	for _, cl := range rep.Clauses {
		t.Run(string(cl.ID), func(t *testing.T) {
			switch cl.Status {
			case NotTested:
				if cl.Scope == "driver" && cl.Level == core.Must && o.Run == nil {
					t.Errorf("%s %s: not tested", cl.ID, cl.Title)
				}
			case Fail, Error:
				for _, id := range cl.Checks {
					if c := byID[id]; c.Status == Fail || c.Status == Error {
						var ev strings.Builder
						for _, x := range c.Exchanges {
							ev.WriteString("\n    " + x.Op + " " + string(x.Request) + " → " + x.Error)
						}
						t.Errorf("%s: %s: %s%s", c.ID, c.Status, c.Message, ev.String())
					}
				}
			}
		})
	}
	if len(rep.Leaks) > 0 {
		t.Errorf("the run left resources behind: %v", rep.Leaks)
	}
	return rep
}
