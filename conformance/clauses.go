package conformance

import (
	_ "embed"
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/gisiaas/gisiaas/core"
)

//go:embed clauses.yaml
var clausesYAML []byte

// Clause is one clause of the ledger (clauses.yaml).
type Clause struct {
	ID      core.Clause `yaml:"id" json:"id"`
	Title   string      `yaml:"title" json:"title"`
	Level   core.Level  `yaml:"level" json:"level"`
	Section string      `yaml:"section" json:"section"`
	// Scope is "http" for clauses only the HTTP API can prove (A.0.x,
	// authentication), "driver" for the rest, which every target proves.
	Scope string `yaml:"scope" json:"scope"`
}

// Ledger is the clause list and the hash of the SPEC.md it was written from.
type Ledger struct {
	SpecSHA256 string   `yaml:"spec_sha256" json:"spec_sha256"`
	Clauses    []Clause `yaml:"clauses" json:"clauses"`
}

// LoadLedger reads the embedded clause list.
func LoadLedger() (Ledger, error) {
	var l Ledger
	if err := yaml.Unmarshal(clausesYAML, &l); err != nil {
		return Ledger{}, fmt.Errorf("clauses.yaml: %w", err)
	}
	seen := map[core.Clause]bool{}
	for _, c := range l.Clauses {
		if seen[c.ID] {
			return Ledger{}, fmt.Errorf("clauses.yaml: %s twice", c.ID)
		}
		seen[c.ID] = true
		if c.Level != core.Must && c.Level != core.Extension {
			return Ledger{}, fmt.Errorf("clauses.yaml: %s: level %q", c.ID, c.Level)
		}
		if c.Scope != "http" && c.Scope != "driver" {
			return Ledger{}, fmt.Errorf("clauses.yaml: %s: scope %q", c.ID, c.Scope)
		}
	}
	return l, nil
}

func mustLedger() Ledger {
	l, err := LoadLedger()
	if err != nil {
		panic(err)
	}
	return l
}

// ledger is the embedded clause list, loaded once.
var ledger = mustLedger()

// Lookup returns the clause id.
func Lookup(id core.Clause) (Clause, bool) {
	for _, c := range ledger.Clauses {
		if c.ID == id {
			return c, true
		}
	}
	return Clause{}, false
}
