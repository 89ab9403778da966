package conformance

import (
	"strings"
	"testing"

	"github.com/gisiaas/gisiaas/core"
)

// TestEveryClauseHasACheck is the ledger's meta-test: every clause of
// clauses.yaml has at least one check, and (by register's panic) no check
// cites a clause the ledger does not know.
func TestEveryClauseHasACheck(t *testing.T) {
	has := map[core.Clause]bool{}
	ids := map[string]bool{}
	for _, c := range Checks() {
		has[c.Clause] = true
		if ids[c.ID()] {
			t.Errorf("two checks named %s", c.ID())
		}
		ids[c.ID()] = true
		if c.Run == nil {
			t.Errorf("%s has no Run", c.ID())
		}
	}
	for _, cl := range ledger.Clauses {
		if !has[cl.ID] {
			t.Errorf("clause %s (%s) has no check", cl.ID, cl.Title)
		}
	}
	// Every driver-facing clause of core is in the ledger, and back.
	for _, c := range core.Clauses {
		if _, ok := Lookup(c.ID); !ok {
			t.Errorf("core clause %s is missing from clauses.yaml", c.ID)
		}
	}
}

func TestRegisterRefusesUnknownClauses(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("a check citing clause Z.9 was registered")
		}
	}()
	register(Check{Clause: "Z.9", Name: "nope"})
}

func TestWorstAndRedaction(t *testing.T) {
	if Worst(Pass, Skip) != Skip || Worst(Fail, Pass) != Fail || Worst(Error, Fail) != Error || Worst(NotTested, Skip) != NotTested {
		t.Fatal("order of outcomes")
	}
	in := `{"auth":{"password":"hunter2","user":"bob"},"token":"abc","nested":[{"secret_key":"s3"}],"name":"x"}`
	out := string(Redact([]byte(in)))
	for _, leak := range []string{"hunter2", "abc", "s3"} {
		if contains(out, leak) {
			t.Fatalf("redacted %s still has %q", out, leak)
		}
	}
	if !contains(out, `"bob"`) || !contains(out, `"x"`) {
		t.Fatalf("redaction took too much: %s", out)
	}
	quoted := string(Redact([]byte(`POST /v3/auth/tokens: 401 {"auth":{"password":"p\"w7","x":1}, "Token": "tk5`)))
	if contains(quoted, "w7") || contains(quoted, "tk5") || !contains(quoted, `"x":1`) {
		t.Fatalf("JSON in text: %s", quoted)
	}
	for _, in := range []string{`password: "hunter 2 words"`, `PASSWORD=hunter2`, "Authorization: Bearer eyJhunter2\nnext",
		`{"error":{"message":"login failed for password=hunter2"}}`, `password="hunter2"`} {
		if out := string(Redact([]byte(in))); contains(out, "hunter") {
			t.Errorf("%s → %s", in, out)
		}
	}
	text := string(Redact([]byte("X-Auth-Token: abc123 password=pw9 rest")))
	if contains(text, "abc123") || contains(text, "pw9") || !contains(text, "rest") {
		t.Fatalf("text redaction: %s", text)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
