package adapter

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/gisiaas/gisiaas/adapter/identity"
	"github.com/gisiaas/gisiaas/adapter/store"
	"github.com/gisiaas/gisiaas/adapter/store/storetest"
	"github.com/gisiaas/gisiaas/billing"
	"github.com/gisiaas/gisiaas/core"
)

// billingClock is billing's clock in these tests: price lists take effect
// "now", and events are recorded before the clock moves past them.
type billingClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *billingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *billingClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// billingFixture is the API fixture with billing, and a caller of each role
// of BL.14: in department survey (alice's) a department admin (dora), a
// project admin (pete) and alice, a member; in department planning bob, a
// member, and olga, its department admin. Project pa2 is survey's too, but
// only dora's department role reaches it.
type billingFixture struct {
	*apiFixture
	bs             *billing.Service
	clock          *billingClock
	t0             time.Time
	survey, plan   string // department ids
	pa2            string
	dora, pete     string // tokens
	olga           string
	defaultTpl     string
	aliceID, bobID string
}

func newBillingFixture(t *testing.T, db *store.DB) *billingFixture {
	t.Helper()
	ctx := context.Background()
	// A whole second, in the past: price lists activate at it and events
	// are recorded after it.
	t0 := time.Now().UTC().Truncate(time.Second).Add(-24 * time.Hour)
	clock := &billingClock{now: t0}
	bs, err := billing.New(ctx, db.DB, billing.Dialect(db.Dialect()), billing.WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	f := &billingFixture{apiFixture: newAPIFixture(t, db, func(c *Config) { c.Billing = bs }), bs: bs, clock: clock, t0: t0}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	pa, err := f.ids.GetProject(ctx, f.pa)
	must(err)
	pb, err := f.ids.GetProject(ctx, f.pb)
	must(err)
	f.survey, f.plan = pa.DepartmentID, pb.DepartmentID
	p2, err := f.ids.CreateProject(ctx, "survey-2", f.survey)
	must(err)
	f.pa2 = p2.ID
	user := func(name, dept, project string, role identity.Role) string {
		u, err := f.ids.CreateUser(ctx, name, name+"-secret", dept)
		must(err)
		must(f.ids.GrantRole(ctx, project, u.ID, role))
		tok, err := f.ids.Authenticate(ctx, identity.Credentials{UserName: name, Password: name + "-secret",
			Scope: &identity.Scope{ProjectID: project}})
		must(err)
		return tok.Value
	}
	f.dora = user("dora", f.survey, f.pa, identity.RoleDepartmentAdmin)
	f.pete = user("pete", f.survey, f.pa, identity.RoleProjectAdmin)
	f.olga = user("olga", f.plan, f.pb, identity.RoleDepartmentAdmin)
	for _, p := range []struct {
		tok string
		id  *string
	}{{f.alice, &f.aliceID}, {f.bob, &f.bobID}} {
		who, err := f.ids.ValidateToken(ctx, p.tok)
		must(err)
		*p.id = who.User.ID
	}
	tpls, err := bs.ListTemplates(ctx)
	must(err)
	f.defaultTpl = tpls[0].ID
	return f
}

// raw sends body with contentType and returns the status, headers and
// body unparsed: exports are not JSON. An error answer must be A.0.3.
func (f *billingFixture) raw(method, path, token, contentType string, body []byte) (int, http.Header, []byte) {
	f.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, f.url+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("X-Auth-Token", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 400 {
		var out map[string]any
		if err := json.Unmarshal(data, &out); err != nil {
			f.t.Fatalf("%s %s: %d with body %q, not JSON", method, path, resp.StatusCode, data)
		}
		checkErrorBody(f.t, method+" "+path, resp.StatusCode, out)
	}
	return resp.StatusCode, resp.Header, data
}

// wantError requires status and a message containing want.
func (f *billingFixture) wantError(status int, want, method, path, token string, body any) {
	f.t.Helper()
	resp, out := f.do(method, path, token, body)
	msg, _ := out["error"].(map[string]any)["message"].(string)
	if resp.StatusCode != status || !strings.Contains(msg, want) {
		f.t.Fatalf("%s %s: %d %v, want %d with %q", method, path, resp.StatusCode, out, status, want)
	}
}

func obj(m map[string]any, key string) map[string]any {
	v, _ := m[key].(map[string]any)
	return v
}

// window is a bill query's from and to around the test's events.
func (f *billingFixture) window() string {
	return "from=" + url.QueryEscape(f.t0.Format(time.RFC3339)) + "&to=" + url.QueryEscape(f.t0.Add(2*time.Hour).Format(time.RFC3339))
}

// TestBillingSettingsRoutes: anyone reads the settings; a cloud admin
// changes them; the currency switch says it converts nothing; the timezone
// changes once; the document refuses what is not a setting.
func TestBillingSettingsRoutes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newBillingFixture(t, db)
		st := obj(f.must(200, "GET", "/v1/billing/settings", f.alice, nil), "settings")
		if st["currency"] != "USD" || st["timezone"] != "UTC" || st["on_zero_balance"] != "keep_running" || len(st["currencies"].([]any)) != 8 {
			t.Fatalf("settings at install: %v", st)
		}
		st = obj(f.must(200, "PUT", "/v1/billing/settings", f.admin, map[string]any{"currency": "JPY"}), "settings")
		if st["currency"] != "JPY" || st["minor_digits"] != float64(0) || !strings.Contains(st["note"].(string), "no amount was converted") {
			t.Fatalf("currency switch: %v", st)
		}
		st = obj(f.must(200, "PUT", "/v1/billing/settings", f.admin, map[string]any{"timezone": "Asia/Shanghai"}), "settings")
		if st["timezone"] != "Asia/Shanghai" || st["timezone_changed"] != true {
			t.Fatalf("timezone: %v", st)
		}
		f.wantError(409, "only once", "PUT", "/v1/billing/settings", f.admin, map[string]any{"timezone": "Europe/Paris"})
		f.wantError(400, "currency", "PUT", "/v1/billing/settings", f.admin, map[string]any{"currency": "EUR"})
		f.wantError(400, "on_zero_balance", "PUT", "/v1/billing/settings", f.admin, map[string]any{"on_zero_balance": "stop"})
		f.wantError(400, "nick", "PUT", "/v1/billing/settings", f.admin, map[string]any{"nick": "x"})
		f.wantError(400, "", "PUT", "/v1/billing/settings", f.admin, map[string]any{})
		f.wantError(403, "billing settings", "PUT", "/v1/billing/settings", f.dora, map[string]any{"currency": "USD"})
		f.wantError(401, "X-Auth-Token", "GET", "/v1/billing/settings", "", nil)
	})
}

// TestBillingPricingRoutes: templates and price lists through their whole
// life — create, edit, price, export, import, activate, use now, disable,
// delete — with the error each refusal is.
func TestBillingPricingRoutes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newBillingFixture(t, db)
		tpls := f.must(200, "GET", "/v1/billing/templates", f.admin, nil)["templates"].([]any)
		def := tpls[0].(map[string]any)
		if len(tpls) != 1 || def["name"] != "Default" || def["is_default"] != true {
			t.Fatalf("templates at install: %v", tpls)
		}
		pl1 := def["price_lists"].([]any)[0].(map[string]any)
		if pl1["number"] != float64(1) || pl1["state"] != "not_activated" || pl1["effective_at"] != nil {
			t.Fatalf("Default's list 1 at install: %v", pl1)
		}
		// Templates.
		tpl := obj(f.must(201, "POST", "/v1/billing/templates", f.admin, map[string]any{"name": "gold", "description": "for survey"}), "template")
		id := tpl["id"].(string)
		if tpl["name"] != "gold" || len(tpl["price_lists"].([]any)) != 1 || !strings.HasSuffix(tpl["created_at"].(string), "Z") {
			t.Fatalf("created template: %v", tpl)
		}
		f.wantError(409, "gold", "POST", "/v1/billing/templates", f.admin, map[string]any{"name": "gold"})
		f.wantError(400, "name", "POST", "/v1/billing/templates", f.admin, map[string]any{"description": "no name"})
		f.wantError(404, "nope", "POST", "/v1/billing/templates", f.admin, map[string]any{"name": "x", "base_template_id": "nope"})
		tpl = obj(f.must(200, "PUT", "/v1/billing/templates/"+id, f.admin, map[string]any{"description": "for everyone"}), "template")
		if tpl["description"] != "for everyone" {
			t.Fatalf("updated template: %v", tpl)
		}
		if got := obj(f.must(200, "GET", "/v1/billing/templates/"+id, f.admin, nil), "template"); got["description"] != "for everyone" {
			t.Fatalf("shown template: %v", got)
		}
		f.wantError(404, "not found", "GET", "/v1/billing/templates/nope", f.admin, nil)
		f.wantError(409, "default", "DELETE", "/v1/billing/templates/"+f.defaultTpl, f.admin, nil)
		spare := obj(f.must(201, "POST", "/v1/billing/templates", f.admin, map[string]any{"name": "spare"}), "template")["id"].(string)
		f.must(204, "DELETE", "/v1/billing/templates/"+spare, f.admin, nil)
		f.wantError(404, "not found", "GET", "/v1/billing/templates/"+spare, f.admin, nil)

		// Price lists.
		base := "/v1/billing/templates/" + id + "/price-lists"
		pl := obj(f.must(201, "POST", base, f.admin, map[string]any{"description": "2025"}), "price_list")
		if pl["number"] != float64(2) || pl["state"] != "not_activated" || pl["template_id"] != id {
			t.Fatalf("created list: %v", pl)
		}
		price := obj(f.must(200, "PUT", base+"/2/prices/server.flavor.m1.tiny", f.admin, map[string]any{"unit_price": "0.05"}), "price")
		if price["item"] != "server.flavor.m1.tiny" || price["unit_price"] != "0.05" {
			t.Fatalf("price: %v", price)
		}
		f.must(200, "PUT", base+"/2/prices/volume.gb.ssd", f.admin, map[string]any{"unit_price": "0.001"})
		f.must(200, "PUT", base+"/2/prices/router", f.admin, map[string]any{"unit_price": "1"})
		f.wantError(400, "billable item", "PUT", base+"/2/prices/teapot", f.admin, map[string]any{"unit_price": "1"})
		f.wantError(400, "unit_price", "PUT", base+"/2/prices/router", f.admin, map[string]any{"unit_price": "cheap"})
		f.wantError(400, "unit_price", "PUT", base+"/2/prices/router", f.admin, map[string]any{})
		f.must(204, "DELETE", base+"/2/prices/router", f.admin, nil)
		f.wantError(404, "router", "DELETE", base+"/2/prices/router", f.admin, nil)
		got := obj(f.must(200, "GET", base+"/2", f.admin, nil), "price_list")
		if ps := got["prices"].([]any); len(ps) != 2 || ps[0].(map[string]any)["item"] != "server.flavor.m1.tiny" {
			t.Fatalf("list 2's prices: %v", got)
		}
		lists := f.must(200, "GET", base, f.admin, nil)["price_lists"].([]any)
		if len(lists) != 2 || lists[1].(map[string]any)["prices"] != nil {
			t.Fatalf("lists (without prices): %v", lists)
		}
		f.wantError(404, "price list 9", "GET", base+"/9", f.admin, nil)
		f.wantError(400, "number", "GET", base+"/two", f.admin, nil)
		got = obj(f.must(200, "PUT", base+"/2", f.admin, map[string]any{"description": "2025 prices"}), "price_list")
		if got["description"] != "2025 prices" {
			t.Fatalf("edited list: %v", got)
		}

		// Export, then import what was exported: the same prices, exactly.
		status, h, xlsx := f.raw("GET", base+"/2/export", f.admin, "", nil)
		if status != 200 || h.Get("Content-Type") != xlsxContentType || !strings.Contains(h.Get("Content-Disposition"), "price-list-2.xlsx") || !bytes.HasPrefix(xlsx, []byte("PK")) {
			t.Fatalf("export: %d %v %d bytes", status, h, len(xlsx))
		}
		status, _, body := f.raw("POST", base+"/import?description=imported", f.admin, "application/octet-stream", xlsx)
		var imp struct {
			PriceList struct {
				Number      int             `json:"number"`
				Description string          `json:"description"`
				State       string          `json:"state"`
				Prices      []billing.Price `json:"prices"`
			} `json:"price_list"`
		}
		if status != 201 || json.Unmarshal(body, &imp) != nil || imp.PriceList.Number != 3 || imp.PriceList.Description != "imported" ||
			imp.PriceList.State != "not_activated" || fmt.Sprint(imp.PriceList.Prices) != "[{server.flavor.m1.tiny 0.05} {volume.gb.ssd 0.001}]" {
			t.Fatalf("import: %d %s", status, body)
		}
		status, _, body = f.raw("POST", base+"/import", f.admin, "application/octet-stream", []byte("not a spreadsheet"))
		if status != 400 || !strings.Contains(string(body), "xlsx") {
			t.Fatalf("import of junk: %d %s", status, body)
		}
		status, _, _ = f.raw("POST", base+"/import", f.admin, "application/json", []byte(`{}`))
		if status != 400 {
			t.Fatalf("import as JSON: %d, want 400", status)
		}

		// States: activate needs an effective time; use now; then the past is fixed.
		f.wantError(400, "effective_at", "POST", base+"/2/activate", f.admin, nil)
		got = obj(f.must(200, "POST", base+"/2/use-now", f.admin, nil), "price_list")
		if got["state"] != "in_use" || got["effective_at"] != f.t0.Format(TimeFormat) {
			t.Fatalf("used now: %v (t0 %v)", got, f.t0)
		}
		f.wantError(409, "in_use", "PUT", base+"/2/prices/router", f.admin, map[string]any{"unit_price": "2"})
		f.wantError(409, "in_use", "POST", base+"/2/disable", f.admin, nil)
		f.wantError(409, "in_use", "DELETE", base+"/2", f.admin, nil)
		later := f.t0.Add(48 * time.Hour)
		f.must(200, "PUT", base+"/3", f.admin, map[string]any{"effective_at": later.Format(time.RFC3339)})
		got = obj(f.must(200, "POST", base+"/3/activate", f.admin, nil), "price_list")
		if got["state"] != "waiting" {
			t.Fatalf("activated list: %v", got)
		}
		got = obj(f.must(200, "POST", base+"/3/disable", f.admin, nil), "price_list")
		if got["state"] != "disabled" {
			t.Fatalf("disabled list: %v", got)
		}
		f.must(204, "DELETE", base+"/3", f.admin, nil)
		f.wantError(404, "price list 3", "GET", base+"/3", f.admin, nil)
		f.wantError(404, "template", "GET", "/v1/billing/templates/nope/price-lists", f.admin, nil)

		// Binding: the department bills at the template from now.
		out := f.must(200, "PUT", "/v1/billing/departments/"+f.survey+"/template", f.admin, map[string]any{"template_id": id})
		if out["department_id"] != f.survey || obj(out, "template")["id"] != id || obj(out, "template")["departments"] != float64(1) {
			t.Fatalf("bound: %v", out)
		}
		f.wantError(409, "bound", "DELETE", "/v1/billing/templates/"+id, f.admin, nil)
		f.wantError(404, "template", "PUT", "/v1/billing/departments/"+f.survey+"/template", f.admin, map[string]any{"template_id": "nope"})
		f.wantError(404, "department", "PUT", "/v1/billing/departments/nope/template", f.admin, map[string]any{"template_id": id})
		f.wantError(400, "template_id", "PUT", "/v1/billing/departments/"+f.survey+"/template", f.admin, map[string]any{})
	})
}

// TestBillingAccountRoutes: an account made with the first look at it,
// recharges with their record, alerts, and the errors of each.
func TestBillingAccountRoutes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newBillingFixture(t, db)
		acct := "/v1/billing/departments/" + f.survey + "/account"
		// The fixture's departments were made before billing saw them:
		// the first read makes the account (BL.8).
		a := obj(f.must(200, "GET", acct, f.alice, nil), "account")
		if a["balance"] != "0.00" || a["currency"] != "USD" || a["run_out_at"] != nil || a["in_arrears"] != true || !strings.HasSuffix(a["as_of"].(string), "Z") {
			t.Fatalf("new account: %v", a)
		}
		r := obj(f.must(201, "POST", "/v1/billing/departments/"+f.survey+"/recharges", f.admin, map[string]any{"amount": "100.5", "note": "Q1"}), "recharge")
		if r["amount"] != "100.50" || r["note"] != "Q1" || r["method"] != "admin" || r["department_id"] != f.survey || r["time"] != f.t0.Format(TimeFormat) {
			t.Fatalf("recharge: %v", r)
		}
		a = obj(f.must(200, "GET", acct, f.pete, nil), "account")
		if a["balance"] != "100.50" || a["recharged"] != "100.50" || a["in_arrears"] != false {
			t.Fatalf("after the recharge: %v", a)
		}
		rs := f.must(200, "GET", "/v1/billing/departments/"+f.survey+"/recharges", f.alice, nil)["recharges"].([]any)
		if len(rs) != 1 || rs[0].(map[string]any)["id"] != r["id"] {
			t.Fatalf("recharges: %v", rs)
		}
		after := url.QueryEscape(f.t0.Add(time.Second).Format(time.RFC3339))
		if rs := f.must(200, "GET", "/v1/billing/departments/"+f.survey+"/recharges?from="+after, f.alice, nil)["recharges"].([]any); len(rs) != 0 {
			t.Fatalf("recharges from after it: %v", rs)
		}
		f.wantError(400, "from", "GET", "/v1/billing/departments/"+f.survey+"/recharges?from=yesterday", f.alice, nil)
		f.wantError(400, "amount", "POST", "/v1/billing/departments/"+f.survey+"/recharges", f.admin, map[string]any{"amount": "-5"})
		f.wantError(400, "amount", "POST", "/v1/billing/departments/"+f.survey+"/recharges", f.admin, map[string]any{"amount": "0"})
		f.wantError(400, "decimal digits", "POST", "/v1/billing/departments/"+f.survey+"/recharges", f.admin, map[string]any{"amount": "1.001"})
		f.wantError(404, "department", "POST", "/v1/billing/departments/nope/recharges", f.admin, map[string]any{"amount": "1"})
		f.wantError(404, "department", "GET", "/v1/billing/departments/nope/account", f.admin, nil)

		// Alerts: the department's admin sets the threshold; a webhook —
		// which the server itself calls — only a cloud admin, and it is kept
		// when a later update does not name one.
		f.wantError(403, "webhook", "PUT", "/v1/billing/departments/"+f.survey+"/alerts", f.dora, map[string]any{"low_balance_threshold": "20", "webhook_url": "http://127.0.0.1:5432/"})
		f.must(200, "PUT", "/v1/billing/departments/"+f.survey+"/alerts", f.admin, map[string]any{"webhook_url": "https://hooks.example.org/x"})
		out := f.must(200, "PUT", "/v1/billing/departments/"+f.survey+"/alerts", f.dora, map[string]any{"low_balance_threshold": "20"})
		if obj(out, "account")["low_balance_threshold"] != "20.00" || out["webhook_url"] != "https://hooks.example.org/x" {
			t.Fatalf("alerts: %v", out)
		}
		out = f.must(200, "PUT", "/v1/billing/departments/"+f.survey+"/alerts", f.admin, map[string]any{"low_balance_threshold": nil})
		if obj(out, "account")["low_balance_threshold"] != nil {
			t.Fatalf("alerts off: %v", out)
		}
		f.wantError(400, "webhook_url", "PUT", "/v1/billing/departments/"+f.survey+"/alerts", f.admin, map[string]any{"webhook_url": "ftp://x"})
		f.wantError(400, "low_balance_threshold", "PUT", "/v1/billing/departments/"+f.survey+"/alerts", f.admin, map[string]any{"low_balance_threshold": "-1"})
		f.wantError(404, "department", "PUT", "/v1/billing/departments/nope/alerts", f.admin, map[string]any{})
	})
}

// TestBillingRechargeCodeRoutes: codes in clear once, listed without them,
// deleted, and redeemed once into the redeemer's own department.
func TestBillingRechargeCodeRoutes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newBillingFixture(t, db)
		exp := f.t0.Add(30 * 24 * time.Hour).Format(time.RFC3339)
		resp, out := f.do("POST", "/v1/billing/recharge-codes", f.admin, map[string]any{"value": "25", "expires_at": exp, "count": 2})
		if resp.StatusCode != 201 || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("create codes: %d %v %v", resp.StatusCode, resp.Header, out)
		}
		codes := out["recharge_codes"].([]any)
		c1, c2 := codes[0].(map[string]any), codes[1].(map[string]any)
		if len(codes) != 2 || c1["value"] != "25.00" || len(c1["code"].(string)) != 39 || c1["expires_at"] != f.t0.Add(30*24*time.Hour).Format(TimeFormat) {
			t.Fatalf("codes: %v", codes)
		}
		listed := f.must(200, "GET", "/v1/billing/recharge-codes", f.admin, nil)["recharge_codes"].([]any)
		if len(listed) != 2 || listed[0].(map[string]any)["status"] != "active" || listed[0].(map[string]any)["code"] != nil {
			t.Fatalf("listed codes: %v", listed)
		}
		raw, _ := json.Marshal(listed)
		if strings.Contains(string(raw), c1["code"].(string)) {
			t.Fatal("a listed code shows the code itself")
		}
		f.must(204, "DELETE", "/v1/billing/recharge-codes/"+c2["id"].(string), f.admin, nil)
		f.wantError(404, "not found", "DELETE", "/v1/billing/recharge-codes/nope", f.admin, nil)
		f.wantError(404, "no such code", "POST", "/v1/billing/recharge-codes/redeem", f.alice, map[string]any{"code": c2["code"]})
		// Any role redeems, into its own department; as typed, in lower case.
		r := obj(f.must(201, "POST", "/v1/billing/recharge-codes/redeem", f.alice, map[string]any{"code": strings.ToLower(c1["code"].(string))}), "recharge")
		if r["department_id"] != f.survey || r["amount"] != "25.00" || r["method"] != "code" || r["by"] != f.aliceID {
			t.Fatalf("redeemed: %v", r)
		}
		f.wantError(404, "no such code", "POST", "/v1/billing/recharge-codes/redeem", f.bob, map[string]any{"code": c1["code"]})
		f.wantError(400, "code", "POST", "/v1/billing/recharge-codes/redeem", f.alice, map[string]any{})
		if a := obj(f.must(200, "GET", "/v1/billing/departments/"+f.survey+"/account", f.alice, nil), "account"); a["balance"] != "25.00" {
			t.Fatalf("survey after the redemption: %v", a)
		}
		if a := obj(f.must(200, "GET", "/v1/billing/departments/"+f.plan+"/account", f.bob, nil), "account"); a["balance"] != "0.00" {
			t.Fatalf("planning after survey's redemption: %v", a)
		}
		if l := f.must(200, "GET", "/v1/billing/recharge-codes", f.admin, nil)["recharge_codes"].([]any); len(l) != 0 {
			t.Fatalf("active codes left: %v", l)
		}
		all := f.must(200, "GET", "/v1/billing/recharge-codes?all=true", f.admin, nil)["recharge_codes"].([]any)
		states := map[string]any{}
		for _, c := range all {
			m := c.(map[string]any)
			states[m["id"].(string)] = m["status"]
		}
		if states[c1["id"].(string)] != "redeemed" || states[c2["id"].(string)] != "deleted" {
			t.Fatalf("all codes: %v", all)
		}
		f.wantError(400, "count", "POST", "/v1/billing/recharge-codes", f.admin, map[string]any{"value": "1", "expires_at": exp, "count": 0})
		f.wantError(400, "expires_at", "POST", "/v1/billing/recharge-codes", f.admin, map[string]any{"value": "1", "expires_at": f.t0.Add(-time.Hour).Format(time.RFC3339), "count": 1})
		f.wantError(400, "value", "POST", "/v1/billing/recharge-codes", f.admin, map[string]any{"expires_at": exp, "count": 1})
	})
}

// recordUsage prices m1.tiny at 36 an hour and ssd volumes at 0.01 per GB
// hour in Default's list 1 from t0, and records: in project pa a server
// running 17 s (0.17) and a 10 GB volume for 30 min (0.05); in pa2 a server
// running 100 s (1.00). Then billing's clock is at t0 + 1 h.
func (f *billingFixture) recordUsage() {
	f.t.Helper()
	ctx := context.Background()
	for item, price := range map[string]string{"server.flavor.m1.tiny": "36", "volume.gb.ssd": "0.01"} {
		if _, err := f.bs.SetPrice(ctx, f.defaultTpl, 1, item, price); err != nil {
			f.t.Fatal(err)
		}
	}
	if _, err := f.bs.UseNow(ctx, f.defaultTpl, 1); err != nil {
		f.t.Fatal(err)
	}
	tiny := core.EventAttributes{FlavorID: "m1.tiny", VCPUs: 1, MemoryMB: 512}
	vol := core.EventAttributes{SizeGB: 10, VolumeType: "ssd"}
	ev := func(id string, typ core.ResourceType, res, project, state string, at time.Duration, a core.EventAttributes) billing.Event {
		return billing.Event{Event: core.Event{ID: id, ResourceType: typ, ResourceID: res, DatacenterID: "dc1", ProjectID: project,
			ToState: state, Attributes: a, Time: f.t0.Add(at)}, DepartmentID: f.survey}
	}
	active, deleted := string(core.ServerActive), core.StateDeleted
	events := []billing.Event{
		ev("e1", core.TypeServer, "s1", f.pa, active, 10*time.Minute, tiny),
		ev("e2", core.TypeServer, "s1", f.pa, deleted, 10*time.Minute+17*time.Second, tiny),
		ev("e3", core.TypeVolume, "v1", f.pa, string(core.VolumeAvailable), 5*time.Minute, vol),
		ev("e4", core.TypeVolume, "v1", f.pa, deleted, 35*time.Minute, vol),
		ev("e5", core.TypeServer, "s2", f.pa2, active, 20*time.Minute, tiny),
		ev("e6", core.TypeServer, "s2", f.pa2, deleted, 20*time.Minute+100*time.Second, tiny),
	}
	f.clock.Set(f.t0.Add(time.Hour))
	if _, err := f.bs.Record(ctx, events); err != nil {
		f.t.Fatal(err)
	}
}

// TestBillingBillRoutes: the overview and lines to the minor unit, what
// each role sees of it, and the exports in the billing timezone.
func TestBillingBillRoutes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newBillingFixture(t, db)
		f.recordUsage()
		q := "/v1/billing/bills?department_id=" + f.survey + "&" + f.window()
		b := obj(f.must(200, "GET", q, f.dora, nil), "bill")
		if b["total"] != "1.22" || b["currency"] != "USD" || b["open"] != true || b["from"] != f.t0.Format(TimeFormat) || b["timezone"] != "UTC" {
			t.Fatalf("department's bill: %v", b)
		}
		byProject := fmt.Sprint(b["by_project"])
		if byProject != fmt.Sprintf("[map[amount:0.22 key:%s] map[amount:1.00 key:%s]]", f.pa, f.pa2) && byProject != fmt.Sprintf("[map[amount:1.00 key:%s] map[amount:0.22 key:%s]]", f.pa2, f.pa) {
			t.Fatalf("by project: %v", byProject)
		}
		if fmt.Sprint(b["by_resource_type"]) != "[map[amount:1.17 key:server] map[amount:0.05 key:volume]]" {
			t.Fatalf("by resource type: %v", b["by_resource_type"])
		}
		lines := map[string]string{}
		for _, l := range b["lines"].([]any) {
			m := l.(map[string]any)
			lines[m["resource_id"].(string)+" "+m["item"].(string)] = m["seconds"].(string) + "s " + m["amount"].(string)
		}
		want := map[string]string{"s1 server.flavor.m1.tiny": "17s 0.17", "v1 volume.gb.ssd": "1800s 0.05", "s2 server.flavor.m1.tiny": "100s 1.00"}
		if fmt.Sprint(lines) != fmt.Sprint(want) {
			t.Fatalf("lines %v, want %v", lines, want)
		}
		// A member sees the project their token is for; its own project
		// when asked; a date is read in the billing timezone.
		b = obj(f.must(200, "GET", "/v1/billing/bills?"+f.window(), f.alice, nil), "bill")
		if b["total"] != "0.22" || b["project_id"] != f.pa || b["department_id"] != f.survey {
			t.Fatalf("alice's bill: %v", b)
		}
		day := f.t0.Format("2006-01-02")
		next := f.t0.Add(24 * time.Hour).Format("2006-01-02")
		// The admin's default department is its own, which pa2 is not in.
		f.wantError(400, "project_id", "GET", "/v1/billing/bills?project_id="+f.pa2+"&from="+day+"&to="+next, f.admin, nil)
		b = obj(f.must(200, "GET", "/v1/billing/bills?department_id="+f.survey+"&project_id="+f.pa2+"&from="+day+"&to="+next, f.admin, nil), "bill")
		if b["total"] != "1.00" || b["from_local"] != day+"T00:00:00+00:00" {
			t.Fatalf("pa2's bill by day: %v", b)
		}
		f.wantError(400, "from", "GET", "/v1/billing/bills?department_id="+f.survey+"&to="+next, f.admin, nil)
		f.wantError(400, "from", "GET", "/v1/billing/bills?department_id="+f.survey+"&from=soon&to="+next, f.admin, nil)
		f.wantError(400, "before", "GET", "/v1/billing/bills?department_id="+f.survey+"&from="+next+"&to="+day, f.admin, nil)

		// What-if: list 2 doubles the server price; the last 2 days would
		// have cost 1.17 more. Nothing changes for real.
		f.must(201, "POST", "/v1/billing/templates/"+f.defaultTpl+"/price-lists", f.admin, map[string]any{"base_number": 1})
		f.must(200, "PUT", "/v1/billing/templates/"+f.defaultTpl+"/price-lists/2/prices/server.flavor.m1.tiny", f.admin, map[string]any{"unit_price": "72"})
		wi := obj(f.must(200, "POST", "/v1/billing/templates/"+f.defaultTpl+"/price-lists/2/what-if", f.admin, map[string]any{"days": 2}), "what_if")
		if wi["actual"] != "1.22" || wi["what_if"] != "2.39" || wi["difference"] != "1.17" || wi["to"] != f.t0.Add(time.Hour).Format(TimeFormat) {
			t.Fatalf("what-if: %v", wi)
		}
		if wi = obj(f.must(200, "POST", "/v1/billing/templates/"+f.defaultTpl+"/price-lists/2/what-if", f.admin, nil), "what_if"); wi["from"] != f.t0.Add(time.Hour-30*24*time.Hour).Format(TimeFormat) {
			t.Fatalf("what-if over the default 30 days: %v", wi)
		}
		f.wantError(400, "days", "POST", "/v1/billing/templates/"+f.defaultTpl+"/price-lists/2/what-if", f.admin, map[string]any{"days": 0})
		f.wantError(404, "price list 7", "POST", "/v1/billing/templates/"+f.defaultTpl+"/price-lists/7/what-if", f.admin, nil)
		f.wantError(403, "pricing", "POST", "/v1/billing/templates/"+f.defaultTpl+"/price-lists/2/what-if", f.dora, nil)
		if b := obj(f.must(200, "GET", q, f.dora, nil), "bill"); b["total"] != "1.22" {
			t.Fatalf("the bill after a what-if: %v", b)
		}

		// Exports: the same lines, in the billing timezone once it is set.
		f.must(200, "PUT", "/v1/billing/settings", f.admin, map[string]any{"timezone": "Asia/Shanghai"})
		status, h, data := f.raw("GET", "/v1/billing/bills/export?department_id="+f.survey+"&format=csv&"+f.window(), f.dora, "", nil)
		if status != 200 || h.Get("Content-Type") != "text/csv; charset=utf-8" || !strings.Contains(h.Get("Content-Disposition"), ".csv") {
			t.Fatalf("csv export: %d %v %s", status, h, data)
		}
		recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		fromLocal := f.t0.In(time.FixedZone("CST", 8*3600)).Format(localTimeFormat)
		if len(recs) != 4 || strings.Join(recs[0], ",") != strings.Join(billColumns, ",") {
			t.Fatalf("csv: %q", recs)
		}
		var sum []string
		for _, r := range recs[1:] {
			if r[0] != f.survey || r[5] != fromLocal || r[9] != "USD" {
				t.Fatalf("csv row %q (from %s)", r, fromLocal)
			}
			sum = append(sum, r[3]+" "+r[7]+" "+r[8])
		}
		sort.Strings(sum)
		if strings.Join(sum, ";") != "s1 17 0.17;s2 100 1.00;v1 1800 0.05" {
			t.Fatalf("csv lines: %v", sum)
		}
		status, h, data = f.raw("GET", "/v1/billing/bills/export?"+f.window(), f.alice, "", nil)
		if status != 200 || h.Get("Content-Type") != xlsxContentType {
			t.Fatalf("xlsx export: %d %v", status, h)
		}
		x, err := excelize.OpenReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		rows, err := x.GetRows("lines")
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 3 || rows[1][1] != f.pa || rows[1][5] != fromLocal {
			t.Fatalf("xlsx lines (alice's project): %q", rows)
		}
		total, err := x.GetCellValue("summary", "B7")
		if err != nil || total != "0.22" {
			t.Fatalf("xlsx total %q %v", total, err)
		}
		f.wantError(400, "format", "GET", "/v1/billing/bills/export?format=pdf&"+f.window(), f.alice, nil)
	})
}

// TestBillingRoutesPermissions is one table over roles × routes (BL.14,
// billing manual §2.5): which caller may use which billing route, and that
// no route shows one department's billing data to another's users.
func TestBillingRoutesPermissions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newBillingFixture(t, db)
		ctx := context.Background()
		roles := []struct{ name, token string }{
			{"cloud admin", f.admin}, {"department admin", f.dora}, {"project admin", f.pete}, {"member", f.alice},
			{"other department member", f.bob}, {"other department admin", f.olga},
		}
		// Each request is made afresh per caller, so a change one caller
		// is allowed leaves the next one something to change.
		tpl, err := f.bs.CreateTemplate(ctx, billing.TemplateCreate{Name: "table"})
		if err != nil {
			t.Fatal(err)
		}
		var n int
		fresh := func() int {
			n++
			later := f.t0.Add(time.Duration(n) * time.Hour)
			l, err := f.bs.CreatePriceList(ctx, tpl.ID, billing.PriceListCreate{EffectiveAt: &later})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.bs.SetPrice(ctx, tpl.ID, l.Number, "router", "1"); err != nil {
				t.Fatal(err)
			}
			return l.Number
		}
		lists := "/v1/billing/templates/" + tpl.ID + "/price-lists/"
		var export bytes.Buffer
		if err := f.bs.ExportPriceList(ctx, f.defaultTpl, 1, &export); err != nil {
			t.Fatal(err)
		}
		code := func() billing.IssuedCode {
			cs, err := f.bs.CreateCodes(ctx, billing.CodeCreate{Count: 1, Value: "1", ExpiresAt: f.t0.Add(time.Hour)}, "test")
			if err != nil {
				t.Fatal(err)
			}
			return cs[0]
		}
		dept := "/v1/billing/departments/" + f.survey
		bills := "/v1/billing/bills?department_id=" + f.survey + "&" + f.window()
		type req struct {
			method, path, ctype string
			body                []byte
		}
		js := func(method, path string, body any) func() req {
			return func() req {
				var b []byte
				if body != nil {
					b, _ = json.Marshal(body)
				}
				return req{method, path, "application/json", b}
			}
		}
		const (
			admin = 1 << iota
			dadmin
			padmin
			member
			other
			oadmin
		)
		all := admin | dadmin | padmin | member | other | oadmin
		survey := admin | dadmin | padmin | member
		planning := admin | other | oadmin
		cases := []struct {
			name    string
			req     func() req
			allowed int
		}{
			{"get settings", js("GET", "/v1/billing/settings", nil), all},
			{"put settings", js("PUT", "/v1/billing/settings", map[string]any{"on_zero_balance": "keep_running"}), admin},
			{"create template", func() req {
				return js("POST", "/v1/billing/templates", map[string]any{"name": fmt.Sprintf("t%d", fresh())})()
			}, admin},
			{"list templates", js("GET", "/v1/billing/templates", nil), admin},
			{"show template", js("GET", "/v1/billing/templates/"+tpl.ID, nil), admin},
			{"edit template", js("PUT", "/v1/billing/templates/"+tpl.ID, map[string]any{"description": "d"}), admin},
			{"delete template", func() req {
				t2, err := f.bs.CreateTemplate(ctx, billing.TemplateCreate{Name: fmt.Sprintf("doomed%d", fresh())})
				if err != nil {
					t.Fatal(err)
				}
				return js("DELETE", "/v1/billing/templates/"+t2.ID, nil)()
			}, admin},
			{"create price list", js("POST", lists[:len(lists)-1], map[string]any{}), admin},
			{"list price lists", js("GET", lists[:len(lists)-1], nil), admin},
			{"show price list", js("GET", lists+"1", nil), admin},
			{"edit price list", func() req { return js("PUT", fmt.Sprint(lists, fresh()), map[string]any{"description": "d"})() }, admin},
			{"delete price list", func() req { return js("DELETE", fmt.Sprint(lists, fresh()), nil)() }, admin},
			{"activate", func() req { return js("POST", fmt.Sprint(lists, fresh(), "/activate"), nil)() }, admin},
			{"disable", func() req { return js("POST", fmt.Sprint(lists, fresh(), "/disable"), nil)() }, admin},
			{"use now", func() req { return js("POST", fmt.Sprint(lists, fresh(), "/use-now"), nil)() }, admin},
			{"set price", func() req {
				return js("PUT", fmt.Sprint(lists, fresh(), "/prices/public_ip"), map[string]any{"unit_price": "0.5"})()
			}, admin},
			{"delete price", func() req { return js("DELETE", fmt.Sprint(lists, fresh(), "/prices/router"), nil)() }, admin},
			{"export price list", js("GET", lists+"1/export", nil), admin},
			{"what-if", js("POST", lists+"1/what-if", map[string]any{"days": 1}), admin},
			{"import price list", func() req {
				return req{"POST", lists + "import", "application/octet-stream", export.Bytes()}
			}, admin},
			{"bind template", js("PUT", dept+"/template", map[string]any{"template_id": f.defaultTpl}), admin},
			{"account", js("GET", dept+"/account", nil), survey},
			{"recharge", js("POST", dept+"/recharges", map[string]any{"amount": "1"}), admin},
			{"recharge history", js("GET", dept+"/recharges", nil), survey},
			{"alerts", js("PUT", dept+"/alerts", map[string]any{"low_balance_threshold": "1"}), admin | dadmin},
			{"create codes", js("POST", "/v1/billing/recharge-codes", map[string]any{"value": "1", "count": 1, "expires_at": f.t0.Add(time.Hour).Format(time.RFC3339)}), admin},
			{"list codes", js("GET", "/v1/billing/recharge-codes", nil), admin},
			{"delete code", func() req { return js("DELETE", "/v1/billing/recharge-codes/"+code().ID, nil)() }, admin},
			{"redeem code", func() req {
				return js("POST", "/v1/billing/recharge-codes/redeem", map[string]any{"code": code().Code})()
			}, all},
			{"bill of the department", js("GET", bills, nil), survey},
			{"bill of one's project", js("GET", bills+"&project_id="+f.pa, nil), survey},
			{"bill of a project not one's own", js("GET", bills+"&project_id="+f.pa2, nil), admin | dadmin},
			{"bill of another department's project", js("GET", bills+"&project_id="+f.pb, nil), 0},
			{"export bill", js("GET", "/v1/billing/bills/export?format=csv&department_id="+f.survey+"&"+f.window(), nil), survey},
			{"export bill of a project not one's own", js("GET", "/v1/billing/bills/export?department_id="+f.survey+"&project_id="+f.pa2+"&"+f.window(), nil), admin | dadmin},
			{"planning's account", js("GET", "/v1/billing/departments/"+f.plan+"/account", nil), planning},
			{"planning's recharges", js("GET", "/v1/billing/departments/"+f.plan+"/recharges", nil), planning},
			{"planning's alerts", js("PUT", "/v1/billing/departments/"+f.plan+"/alerts", map[string]any{}), admin | oadmin},
			{"planning's bill", js("GET", "/v1/billing/bills?department_id="+f.plan+"&"+f.window(), nil), planning},
			{"planning's export", js("GET", "/v1/billing/bills/export?department_id="+f.plan+"&"+f.window(), nil), planning},
		}
		// Callers who may ask, but asked something wrong: 400, not 403.
		invalid := map[string]int{"bill of another department's project": admin}
		for _, c := range cases {
			for i, r := range roles {
				rq := c.req()
				status, _, body := f.raw(rq.method, rq.path, r.token, rq.ctype, rq.body)
				allowed := c.allowed&(1<<i) != 0
				switch {
				case invalid[c.name]&(1<<i) != 0:
					if status != 400 {
						t.Errorf("%s as %s: %d %s, want 400", c.name, r.name, status, body)
					}
				case allowed && (status < 200 || status > 299):
					t.Errorf("%s as %s: %d %s, want success", c.name, r.name, status, body)
				case !allowed && status != 403:
					t.Errorf("%s as %s: %d %s, want 403", c.name, r.name, status, body)
				}
			}
		}
	})
}

// TestBillingPaymentRequired: with creates refused at a zero balance, a
// department without balance gets 402 in the A.0.3 shape; recharged, the
// same create goes through.
func TestBillingPaymentRequired(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newBillingFixture(t, db)
		f.must(200, "PUT", "/v1/billing/settings", f.admin, map[string]any{"on_zero_balance": "refuse_creates"})
		vol := map[string]any{"volume": map[string]any{"name": "data", "size_gb": 1, "datacenter_id": "dc1"}}
		resp, out := f.do("POST", "/v1/"+f.pa+"/volumes", f.alice, vol)
		e := obj(out, "error")
		if resp.StatusCode != 402 || e["code"] != float64(402) || e["title"] != "Payment Required" || !strings.Contains(e["message"].(string), "recharge") {
			t.Fatalf("create without balance: %d %v", resp.StatusCode, out)
		}
		f.must(201, "POST", "/v1/billing/departments/"+f.survey+"/recharges", f.admin, map[string]any{"amount": "10"})
		f.must(202, "POST", "/v1/"+f.pa+"/volumes", f.alice, vol)
	})
}

// TestBillingRoutesWithoutBilling: a server without billing documents the
// routes and answers them 503.
func TestBillingRoutesWithoutBilling(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAPIFixture(t, db)
		f.must(503, "GET", "/v1/billing/settings", f.admin, nil)
	})
}
