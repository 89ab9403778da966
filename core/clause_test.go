package core

import (
	"regexp"
	"testing"
)

func TestClausesWellFormed(t *testing.T) {
	id := regexp.MustCompile(`^(B\.[0-9]+(\.[0-9]+)+|X\.[0-9])$`)
	seen := map[Clause]bool{}
	for _, c := range Clauses {
		if !id.MatchString(string(c.ID)) || seen[c.ID] || c.Title == "" || (c.Level != Must && c.Level != Extension) {
			t.Errorf("bad clause %+v", c)
		}
		seen[c.ID] = true
	}
	if len(AllClauses()) != len(Clauses) || len(Clauses) != 54 {
		t.Fatalf("%d clauses", len(Clauses))
	}
	if c, ok := LookupClause("B.2.1.7"); !ok || c.Title != "Reboot server" {
		t.Fatalf("%+v", c)
	}
	if _, ok := LookupClause("B.9"); ok {
		t.Fatal("found a clause that does not exist")
	}
}

func TestClauseSetSorted(t *testing.T) {
	s := NewClauseSet("X.3", "Z.9", "B.1.2", "A.9", "B.2.1.10", "B.2.1.9")
	got := s.Sorted()
	want := []Clause{"B.1.2", "B.2.1.9", "B.2.1.10", "X.3", "A.9", "Z.9"}
	if len(got) != len(want) {
		t.Fatalf("%v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%v, want %v", got, want)
		}
	}
	if !s.Has("X.3") || s.Has("X.1") {
		t.Fatal("Has")
	}
	info := DriverInfo{Capabilities: []Clause{"B.1.2"}}
	if !info.Supports("B.1.2") || info.Supports("X.1") {
		t.Fatal("Supports")
	}
}

func TestMapState(t *testing.T) {
	table := map[string]ServerStatus{"active": ServerActive, "stopped": ServerShutoff}
	if MapState(table, "active") != ServerActive || MapState(table, "shelved_offloaded") != ServerUnknown {
		t.Fatal("MapState")
	}
}
