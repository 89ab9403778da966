package conformance

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/gisiaas/gisiaas/core"
)

// Check proves one clause. Checks are registered by the files of this
// package (one per service) and run, in order, by Run.
type Check struct {
	// Clause is what the check proves.
	Clause core.Clause
	// Name tells the check apart among its clause's, e.g. "extend smaller".
	Name string
	// Needs is the capability the check exercises: when the target does not
	// declare it, Run is not called; Unsupported is, to prove the refusal.
	// Empty for checks every target must pass (HTTP-only checks).
	Needs core.Clause
	// Run exercises the clause; an error fails the check (wrap it with
	// Broken when the suite, not the target, is at fault).
	Run func(ctx context.Context, e *Env) error
	// Unsupported calls the operation of a clause the target declares
	// unsupported; it must answer core.Unsupported. Nil: the check is
	// skipped without proof.
	Unsupported func(ctx context.Context, e *Env) error
	// HTTPOnly checks run only against an HTTP deployment.
	HTTPOnly bool
}

// ID is "clause/name", the check's name in reports and in --run.
func (c Check) ID() string { return string(c.Clause) + "/" + c.Name }

var registry []Check

// register adds checks to the suite; a check citing a clause the ledger
// does not know panics at init, which every test catches.
func register(cs ...Check) {
	for _, c := range cs {
		if _, ok := Lookup(c.Clause); !ok {
			panic(fmt.Sprintf("conformance: check %q cites unknown clause %s", c.Name, c.Clause))
		}
		if c.Needs != "" {
			if _, ok := Lookup(c.Needs); !ok {
				panic(fmt.Sprintf("conformance: check %q needs unknown clause %s", c.Name, c.Needs))
			}
		}
		registry = append(registry, c)
	}
}

// Checks returns the registered checks, by clause order of the ledger.
func Checks() []Check {
	order := map[core.Clause]int{}
	for i, c := range ledger.Clauses {
		order[c.ID] = i
	}
	out := append([]Check(nil), registry...)
	sort.SliceStable(out, func(i, j int) bool { return order[out[i].Clause] < order[out[j].Clause] })
	return out
}

// brokenError marks a failure of the suite itself (ERROR, not FAIL).
type brokenError struct{ err error }

func (b *brokenError) Error() string { return "suite error: " + b.err.Error() }
func (b *brokenError) Unwrap() error { return b.err }

// Broken marks err as the suite's own failure: the report says ERROR.
func Broken(err error) error { return &brokenError{err} }

func isBroken(err error) bool {
	var b *brokenError
	return errors.As(err, &b)
}

// Failf is a check's failure with a message.
func Failf(format string, a ...any) error { return fmt.Errorf(format, a...) }

// WantKind checks that err is of kind want, saying what was done.
func WantKind(what string, err error, want core.Kind) error {
	if err == nil {
		return Failf("%s: succeeded, want %s", what, want)
	}
	if got := core.KindOf(err); got != want {
		return Failf("%s: %s (%v), want %s", what, got, err, want)
	}
	return nil
}
