package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/adapter"
	"github.com/gisiaas/gisiaas/adapter/identity"
	"github.com/gisiaas/gisiaas/adapter/store"
	"github.com/gisiaas/gisiaas/billing"
)

// newBillingCLIEnv is a real API with billing (SQLite) and no datacenter,
// a department "survey" with project "sp" and its member carol, and the
// CLI logged in as the bootstrap admin.
func newBillingCLIEnv(t *testing.T) (*cliEnv, *billing.Service, string, string) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ids, err := identity.New(db, identity.WithArgon2Params(identity.Argon2Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ids.Bootstrap(ctx, "admin-secret"); err != nil {
		t.Fatal(err)
	}
	bs, err := billing.New(ctx, db.DB, billing.Dialect(db.Dialect()))
	if err != nil {
		t.Fatal(err)
	}
	e := &cliEnv{t: t, ids: ids, dir: filepath.Join(t.TempDir(), "config"), vars: map[string]string{}}
	api := adapter.NewServer(adapter.Config{Identity: ids, Billing: bs, Limits: adapter.Limits{TokenRate: 1e6, TokenBurst: 1e6}})
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.requests.Add(1)
		api.ServeHTTP(w, r)
	}))
	t.Cleanup(e.srv.Close)
	e.url = e.srv.URL
	e.vars[envConfigDir] = e.dir
	d, err := ids.CreateDepartment(ctx, "survey", "")
	if err != nil {
		t.Fatal(err)
	}
	p, err := ids.CreateProject(ctx, "sp", d.ID)
	if err != nil {
		t.Fatal(err)
	}
	u, err := ids.CreateUser(ctx, "carol", "carol-secret", d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := ids.GrantRole(ctx, p.ID, u.ID, identity.RoleMember); err != nil {
		t.Fatal(err)
	}
	e.login()
	return e, bs, d.ID, p.ID
}

// asUser runs the CLI as user (a member of project) through the
// environment's overrides, not the saved admin credentials.
func (e *cliEnv) asUser(user, project string) func(args ...string) (int, string, string) {
	tok, err := e.ids.Authenticate(context.Background(), identity.Credentials{UserName: user, Password: user + "-secret",
		Scope: &identity.Scope{ProjectID: project}})
	if err != nil {
		e.t.Fatal(err)
	}
	return func(args ...string) (int, string, string) {
		saved := map[string]string{}
		for k, v := range map[string]string{envEndpoint: e.url, envToken: tok.Value, envProjectID: project} {
			saved[k] = e.vars[k]
			e.vars[k] = v
		}
		defer func() {
			for k, v := range saved {
				e.vars[k] = v
			}
		}()
		return e.run(args...)
	}
}

// TestBillingCommands: an operator prices, recharges, issues codes and
// reads bills through the CLI; a member redeems a code and is refused the
// operator's commands; misuse is exit 2 before any request.
func TestBillingCommands(t *testing.T) {
	e, _, dept, project := newBillingCLIEnv(t)

	// Settings: shown, changed.
	out := e.ok("billing", "settings")
	if !strings.Contains(out, "currency") || !strings.Contains(out, "USD") || strings.Contains(out, "currencies") {
		t.Fatalf("settings:\n%s", out)
	}
	var st map[string]any
	e.okJSON(&st, "billing", "settings", "--currency", "CNY")
	if st["currency"] != "CNY" || !strings.Contains(st["note"].(string), "no amount was converted") {
		t.Fatalf("settings after: %v", st)
	}

	// Templates.
	out = e.ok("billing", "template", "list")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 || !strings.Contains(lines[0], "IN_USE") || !strings.Contains(lines[1], "Default") {
		t.Fatalf("template list:\n%s", out)
	}
	var tpl map[string]any
	e.okJSON(&tpl, "billing", "template", "create", "--name", "gold", "--description", "for survey")
	if tpl["name"] != "gold" {
		t.Fatalf("created: %v", tpl)
	}
	e.ok("billing", "template", "show", "gold")
	e.fails(1, "409 Conflict", "billing", "template", "delete", "Default")

	// Price lists of gold: create, price, export, import, use.
	var pl map[string]any
	e.okJSON(&pl, "billing", "price-list", "create", "--template", "gold", "--description", "2025")
	if pl["number"] != float64(2) || pl["state"] != "not_activated" {
		t.Fatalf("created list: %v", pl)
	}
	out = e.ok("billing", "price-list", "set-price", "2", "server.flavor.m1.tiny", "0.05", "--template", "gold")
	if !strings.Contains(out, "0.05") {
		t.Fatalf("set-price:\n%s", out)
	}
	e.fails(1, "400 Bad Request", "billing", "price-list", "set-price", "2", "teapot", "1", "--template", "gold")
	out = e.ok("billing", "price-list", "show", "2", "--template", "gold")
	if !strings.Contains(out, "UNIT_PRICE_PER_HOUR") || !strings.Contains(out, "server.flavor.m1.tiny  0.05") {
		t.Fatalf("show:\n%s", out)
	}
	file := filepath.Join(t.TempDir(), "list2.xlsx")
	e.ok("billing", "price-list", "export", "2", "--template", "gold", "--file", file)
	if data, err := os.ReadFile(file); err != nil || !bytes.HasPrefix(data, []byte("PK")) {
		t.Fatalf("exported file: %v", err)
	}
	e.okJSON(&pl, "billing", "price-list", "import", "--template", "gold", "--file", file, "--description", "copy")
	if pl["number"] != float64(3) || pl["description"] != "copy" || len(pl["prices"].([]any)) != 1 {
		t.Fatalf("imported: %v", pl)
	}
	e.okJSON(&pl, "billing", "price-list", "use-now", "2", "--template", "gold")
	if pl["state"] != "in_use" {
		t.Fatalf("used now: %v", pl)
	}
	out = e.ok("billing", "price-list", "list", "--template", "gold")
	if !strings.Contains(out, "in_use") || !strings.Contains(out, "not_activated") {
		t.Fatalf("price-list list:\n%s", out)
	}
	e.ok("billing", "bind", "survey", "--template", "gold")

	// Account and recharges, the department by name.
	var acct map[string]any
	e.okJSON(&acct, "billing", "account", "survey")
	if acct["department_id"] != dept || acct["balance"] != "0.00" {
		t.Fatalf("account: %v", acct)
	}
	out = e.ok("billing", "recharge", "survey", "--amount", "100", "--note", "Q1")
	if !strings.Contains(out, "100.00") || !strings.Contains(out, "Q1") {
		t.Fatalf("recharge:\n%s", out)
	}
	out = e.ok("billing", "recharges", dept)
	if !strings.Contains(out, "100.00") || !strings.Contains(out, "admin") {
		t.Fatalf("recharges:\n%s", out)
	}

	// Codes: made by the admin, redeemed by a member into survey.
	var codes []map[string]any
	e.okJSON(&codes, "billing", "code", "create", "--count", "2", "--value", "5", "--expires", "30d")
	if len(codes) != 2 || codes[0]["value"] != "5.00" {
		t.Fatalf("codes: %v", codes)
	}
	out = e.ok("billing", "code", "list")
	if strings.Contains(out, codes[0]["code"].(string)) || !strings.Contains(out, "active") {
		t.Fatalf("code list shows a code, or no active one:\n%s", out)
	}
	out = e.ok("billing", "code", "delete", codes[1]["id"].(string))
	if !strings.Contains(out, "Deleted") {
		t.Fatalf("code delete:\n%s", out)
	}
	carol := e.asUser("carol", project)
	code, out, errOut := carol("billing", "code", "redeem", codes[0]["code"].(string))
	if code != 0 || !strings.Contains(out, "5.00") || !strings.Contains(out, dept) {
		t.Fatalf("carol's redeem: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut = carol("billing", "code", "redeem", codes[1]["code"].(string)); code != 1 || !strings.Contains(errOut, "404 Not Found") {
		t.Fatalf("a deleted code: exit %d %s", code, errOut)
	}
	if code, _, errOut = carol("billing", "recharge", "survey", "--amount", "1"); code != 1 || !strings.Contains(errOut, "403 Forbidden") {
		t.Fatalf("carol's recharge: exit %d %s", code, errOut)
	}
	if code, out, _ = carol("billing", "account", "survey", "-o", "json"); code != 0 || !strings.Contains(out, `"balance": "105.00"`) {
		t.Fatalf("carol's account: exit %d\n%s", code, out)
	}

	// Bills: empty, but whole; the export as CSV on standard output.
	from, to := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339), time.Now().UTC().Add(time.Hour).Format(time.RFC3339)
	out = e.ok("billing", "bill", "--department", "survey", "--from", from, "--to", to)
	for _, want := range []string{"total", "0.00", "PROJECT", "RESOURCE_TYPE", "SECONDS"} {
		if !strings.Contains(out, want) {
			t.Fatalf("bill lacks %q:\n%s", want, out)
		}
	}
	var bill map[string]any
	e.okJSON(&bill, "billing", "bill", "--department", dept, "--from", from, "--to", to)
	if bill["department_id"] != dept || bill["currency"] != "CNY" {
		t.Fatalf("bill: %v", bill)
	}
	out = e.ok("billing", "export", "--department", "survey", "--from", from, "--to", to, "--format", "csv")
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) != 1 || recs[0][0] != "department_id" {
		t.Fatalf("csv export: %v %q", err, out)
	}
	xfile := filepath.Join(t.TempDir(), "bill.xlsx")
	e.ok("billing", "export", "--department", "survey", "--from", from, "--to", to, "--file", xfile)
	if data, err := os.ReadFile(xfile); err != nil || !bytes.HasPrefix(data, []byte("PK")) {
		t.Fatalf("xlsx export: %v", err)
	}
	if code, _, errOut = carol("billing", "bill", "--from", from, "--to", to); code != 0 {
		t.Fatalf("carol's bill: exit %d %s", code, errOut)
	}

	// Misuse: exit 2, no request.
	before := e.requests.Load()
	e.fails(2, "give one of", "billing", "template")
	e.fails(2, "not one of", "billing", "code", "print")
	e.fails(2, "--amount is required", "billing", "recharge", "survey")
	e.fails(2, "--from and --to", "billing", "bill")
	e.fails(2, "--file is required", "billing", "export", "--from", from, "--to", to)
	e.fails(2, "--expires", "billing", "code", "create", "--value", "1", "--expires", "soon")
	e.fails(2, "price-list number", "billing", "price-list", "activate", "two")
	if n := e.requests.Load() - before; n != 0 {
		t.Fatalf("misuse sent %d requests", n)
	}
	out = e.ok("help", "billing", "price-list")
	if !strings.Contains(out, "set-price") {
		t.Fatalf("help:\n%s", out)
	}
}
