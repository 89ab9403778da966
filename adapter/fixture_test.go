package adapter

import (
	"cmp"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/adapter/identity"
	"github.com/gisiaas/gisiaas/adapter/registry"
	"github.com/gisiaas/gisiaas/adapter/store"
	"github.com/gisiaas/gisiaas/core"
	"github.com/gisiaas/gisiaas/drivers/sim"
	"github.com/gisiaas/gisiaas/plugins/plugintest"
)

// apiFixture is the whole API through a real listener, with two simulated
// datacenters behind real go-plugin gRPC, and three callers: alice (member
// of project A), bob (member of project B, another department) and the
// cloud admin (project admin).
type apiFixture struct {
	t          testing.TB
	url        string
	ids        *identity.Service
	reg        *registry.Registry
	sims       map[string]*sim.Driver
	dcs        []Datacenter
	cfg        Config
	alice, bob string // tokens
	admin      string
	pa, pb     string // project ids
	padmin     string
	// patience bounds waitFor and waitUntil (default 10 s; a real cloud
	// needs minutes), polled every pollEvery (default 10 ms).
	patience, pollEvery time.Duration
}

type fixtureOption func(*Config)

func newAPIFixture(t testing.TB, db *store.DB, opts ...fixtureOption) *apiFixture {
	t.Helper()
	ctx := context.Background()
	ids := testIdentity(t, db)
	reg, err := registry.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	f := &apiFixture{t: t, ids: ids, reg: reg, sims: map[string]*sim.Driver{}}
	var dcs []Datacenter
	for i, id := range []string{"dc1", "dc2"} {
		cfg := sim.TestConfig()
		cfg.Seed = uint64(i + 1) // distinct ids in each datacenter, as distinct clouds have
		cfg.Datacenters = []sim.DatacenterConfig{{ID: id, Name: "DC " + id, Hosts: []string{id + "-h1", id + "-h2"}}}
		d, err := sim.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		f.sims[id] = d
		dcs = append(dcs, Datacenter{ID: id, Name: "DC " + id, Driver: "sim", Cloud: plugintest.New(t, d)})
	}
	cfg := Config{Identity: ids, Registry: reg, Datacenters: dcs, Limits: Limits{TokenRate: 1e6, TokenBurst: 1e6}}
	for _, o := range opts {
		o(&cfg)
	}
	f.dcs, f.cfg = cfg.Datacenters, cfg
	srv := httptest.NewServer(NewServer(cfg))
	t.Cleanup(srv.Close)
	f.url = srv.URL
	member := func(user, dept string) (string, string) {
		d, err := ids.CreateDepartment(ctx, dept, "")
		if err != nil {
			t.Fatal(err)
		}
		p, err := ids.CreateProject(ctx, user+"-project", d.ID)
		if err != nil {
			t.Fatal(err)
		}
		u, err := ids.CreateUser(ctx, user, user+"-secret", d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := ids.GrantRole(ctx, p.ID, u.ID, identity.RoleMember); err != nil {
			t.Fatal(err)
		}
		tok, err := ids.Authenticate(ctx, identity.Credentials{UserName: user, Password: user + "-secret",
			Scope: &identity.Scope{ProjectID: p.ID}})
		if err != nil {
			t.Fatal(err)
		}
		return tok.Value, p.ID
	}
	f.alice, f.pa = member("alice", "survey")
	f.bob, f.pb = member("bob", "planning")
	tok, err := ids.Authenticate(ctx, identity.Credentials{UserName: "admin", Password: "admin-secret",
		Scope: &identity.Scope{ProjectName: "admin", DepartmentName: "Default"}})
	if err != nil {
		t.Fatal(err)
	}
	f.admin, f.padmin = tok.Value, tok.Project.ID
	return f
}

// do sends a request as token to path (relative to the server) and decodes
// the JSON answer; body is sent as JSON when it is not a string.
func (f *apiFixture) do(method, path, token string, body any, headers ...string) (*http.Response, map[string]any) {
	f.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			f.t.Fatal(err)
		}
		rd = strings.NewReader(string(raw))
	}
	req, err := http.NewRequest(method, f.url+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			f.t.Fatalf("%s %s: body %q is not JSON", method, path, raw)
		}
	}
	if resp.Header.Get(RequestIDHeader) == "" {
		f.t.Fatalf("%s %s: no %s (A.0.2)", method, path, RequestIDHeader)
	}
	if resp.StatusCode >= 400 {
		checkErrorBody(f.t, method+" "+path, resp.StatusCode, out)
	}
	return resp, out
}

// must is do that fails the test unless the status is want.
func (f *apiFixture) must(want int, method, path, token string, body any, headers ...string) map[string]any {
	f.t.Helper()
	resp, out := f.do(method, path, token, body, headers...)
	if resp.StatusCode != want {
		f.t.Fatalf("%s %s: %d %v, want %d", method, path, resp.StatusCode, out, want)
	}
	return out
}

// checkErrorBody requires the A.0.3 shape with the status as its code.
func checkErrorBody(t testing.TB, what string, status int, body map[string]any) {
	t.Helper()
	e, _ := body["error"].(map[string]any)
	if e == nil || e["code"] != float64(status) || e["title"] == "" || e["message"] == "" {
		t.Fatalf("%s: %d with body %v, not the A.0.3 error shape", what, status, body)
	}
}

// waitFor polls GET path until field equals want, failing after the
// deadline. The simulator's transitions are immediate under TestConfig, so
// this rarely loops.
func (f *apiFixture) waitFor(path, token, wrapper, field, want string) map[string]any {
	f.t.Helper()
	deadline := time.Now().Add(cmp.Or(f.patience, 10*time.Second))
	for {
		out := f.must(200, "GET", path, token, nil)
		v := out[wrapper].(map[string]any)
		if v[field] == want {
			return v
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("%s: %s is %v, want %s", path, field, v[field], want)
		}
		select {
		case <-time.After(cmp.Or(f.pollEvery, 10*time.Millisecond)):
		case <-f.t.Context().Done():
			f.t.Fatal(f.t.Context().Err())
		}
	}
}

// waitUntil polls GET path until ok accepts the resource in wrapper.
func (f *apiFixture) waitUntil(path, token, wrapper string, ok func(map[string]any) bool) map[string]any {
	f.t.Helper()
	deadline := time.Now().Add(cmp.Or(f.patience, 10*time.Second))
	for {
		v := f.must(200, "GET", path, token, nil)[wrapper].(map[string]any)
		if ok(v) {
			return v
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("%s: still %v", path, v)
		}
		select {
		case <-time.After(cmp.Or(f.pollEvery, 10*time.Millisecond)):
		case <-f.t.Context().Done():
			f.t.Fatal(f.t.Context().Err())
		}
	}
}

// firstID returns the id of the first item of list at path.
func (f *apiFixture) firstID(path, token, plural string, match func(map[string]any) bool) string {
	f.t.Helper()
	out := f.must(200, "GET", path, token, nil)
	for _, it := range out[plural].([]any) {
		m := it.(map[string]any)
		if match == nil || match(m) {
			return m["id"].(string)
		}
	}
	f.t.Fatalf("%s: no matching item in %v", path, out)
	return ""
}

var _ = core.TypeServer
