package core

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
)

func TestClauses_WellFormed(t *testing.T) {
	id := regexp.MustCompile(`^(B\.[0-9]+(\.[0-9]+)+|X\.[0-9])$`)
	// The pattern itself must refuse what it is meant to refuse.
	for _, bad := range []string{"B.1", "B.1.", "B..1", "B.1..2", "X.10", "X.", "A.0.3", "b.1.1", " B.1.1", "B.1.1 "} {
		if id.MatchString(bad) {
			t.Fatalf("the id pattern accepts %q", bad)
		}
	}
	seen := map[Clause]bool{}
	for _, c := range Clauses {
		if !id.MatchString(string(c.ID)) {
			t.Errorf("clause id %q is not of the form B.n.n or X.n", c.ID)
		}
		if seen[c.ID] {
			t.Errorf("clause %s appears twice", c.ID)
		}
		seen[c.ID] = true
		if c.Title == "" || c.Section == "" {
			t.Errorf("clause %s has no title or section: %+v", c.ID, c)
		}
		// Part B is the floor; X.1–X.3 are the optional extensions.
		wantLevel := Must
		if strings.HasPrefix(string(c.ID), "X.") {
			wantLevel = Extension
		}
		if c.Level != wantLevel {
			t.Errorf("clause %s is %q, want %q", c.ID, c.Level, wantLevel)
		}
	}
	if len(Clauses) != 54 {
		t.Errorf("%d clauses, want 54 (B.1.1 … B.4.1.6 and X.1–X.3)", len(Clauses))
	}
}

func TestClauses_AllClauses(t *testing.T) {
	all := AllClauses()
	if len(all) != len(Clauses) {
		t.Fatalf("AllClauses has %d, Clauses %d", len(all), len(Clauses))
	}
	for i, c := range Clauses {
		if all[i] != c.ID {
			t.Fatalf("AllClauses()[%d] = %s, want %s (the order of Clauses)", i, all[i], c.ID)
		}
	}
	// A fresh slice each time: a caller cannot change the table.
	all[0] = "Z.9"
	if AllClauses()[0] != Clauses[0].ID || Clauses[0].ID != ClauseAuth {
		t.Fatal("AllClauses shares its slice")
	}
}

func TestClauses_Lookup(t *testing.T) {
	for _, c := range Clauses {
		got, ok := LookupClause(c.ID)
		if !ok || got != c {
			t.Errorf("LookupClause(%s) = %+v, %v", c.ID, got, ok)
		}
	}
	cases := []struct {
		id    Clause
		title string
		level Level
	}{
		{ClauseServerReboot, "Reboot server", Must},
		{ClauseDatacenters, "List datacenters", Must},
		{ClauseNetworkList, "List networks", Must},
		{ClauseRouters, "Routers", Extension},
	}
	for _, c := range cases {
		got, ok := LookupClause(c.id)
		if !ok || got.Title != c.title || got.Level != c.level {
			t.Errorf("LookupClause(%s) = %+v, %v", c.id, got, ok)
		}
	}
	for _, unknown := range []Clause{"", "B.9", "A.0.3", "X.4", "b.1.2"} {
		if got, ok := LookupClause(unknown); ok || got != (ClauseInfo{}) {
			t.Errorf("LookupClause(%q) = %+v, %v; want nothing", unknown, got, ok)
		}
	}
}

func TestClauses_SetSorted(t *testing.T) {
	cases := []struct {
		name string
		in   []Clause
		want []Clause
	}{
		{"empty", nil, []Clause{}},
		{"order of Clauses, not lexical", []Clause{"B.2.1.10", "B.2.1.9", "B.2.1.1"}, []Clause{"B.2.1.1", "B.2.1.9", "B.2.1.10"}},
		{"duplicates collapse", []Clause{"X.1", "X.1", "B.1.2"}, []Clause{"B.1.2", "X.1"}},
		{"unknown last, lexical", []Clause{"X.3", "Z.9", "B.1.2", "A.9", "B.2.1.10", "B.2.1.9"},
			[]Clause{"B.1.2", "B.2.1.9", "B.2.1.10", "X.3", "A.9", "Z.9"}},
		{"only unknown", []Clause{"Q.2", "Q.10", "Q.1"}, []Clause{"Q.1", "Q.10", "Q.2"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := NewClauseSet(c.in...).Sorted()
			if got == nil || !reflect.DeepEqual(got, c.want) {
				t.Fatalf("Sorted() = %#v, want %#v", got, c.want)
			}
		})
	}
	all := NewClauseSet(AllClauses()...)
	if !reflect.DeepEqual(all.Sorted(), AllClauses()) {
		t.Fatal("the set of every clause does not sort back to AllClauses")
	}
}

func TestClauses_SetHasAndSupports(t *testing.T) {
	s := NewClauseSet(ClauseRouters, ClauseDatacenters)
	for _, c := range []struct {
		id   Clause
		want bool
	}{{ClauseRouters, true}, {ClauseDatacenters, true}, {ClauseVolumeBackups, false}, {"", false}} {
		if s.Has(c.id) != c.want {
			t.Errorf("Has(%q) = %v", c.id, !c.want)
		}
	}
	info := DriverInfo{Capabilities: []Clause{ClauseDatacenters, ClauseServerCreate}}
	if !info.Supports(ClauseDatacenters) || !info.Supports(ClauseServerCreate) || info.Supports(ClauseRouters) {
		t.Fatal("DriverInfo.Supports")
	}
	if (DriverInfo{}).Supports(ClauseDatacenters) {
		t.Fatal("a driver with no capabilities supports B.1.2")
	}
}
