package adapter

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/adapter/identity"
	"github.com/gisiaas/gisiaas/adapter/store"
	"github.com/gisiaas/gisiaas/adapter/store/storetest"
)

// authFixture is the API on a real listener over db, with the bootstrap
// admin (password "admin-secret") and a member "alice" of project "gis".
type authFixture struct {
	url     string
	ids     *identity.Service
	project identity.Project
	alice   identity.User
}

func newAuthFixture(t *testing.T, db *store.DB) authFixture {
	t.Helper()
	ctx := context.Background()
	ids := testIdentity(t, db)
	dep, err := ids.CreateDepartment(ctx, "survey", "")
	if err != nil {
		t.Fatal(err)
	}
	p, err := ids.CreateProject(ctx, "gis", dep.ID)
	if err != nil {
		t.Fatal(err)
	}
	alice, err := ids.CreateUser(ctx, "alice", "alice-secret", dep.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := ids.GrantRole(ctx, p.ID, alice.ID, identity.RoleMember); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewServer(Config{Identity: ids}))
	t.Cleanup(srv.Close)
	return authFixture{url: srv.URL, ids: ids, project: p, alice: alice}
}

func call(t *testing.T, method, url, body string, headers map[string]string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: body %q is not JSON", method, url, raw)
		}
	}
	if resp.Header.Get(RequestIDHeader) == "" {
		t.Fatalf("%s %s: no %s (A.0.2)", method, url, RequestIDHeader)
	}
	return resp, out
}

var isoUTC = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$`)

func passwordBody(user, domain, password, scope string) string {
	s := `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"` + user + `"`
	if domain != "" {
		s += `,"domain":{"name":"` + domain + `"}`
	}
	s += `,"password":"` + password + `"}}}`
	if scope != "" {
		s += `,"scope":{"project":` + scope + `}`
	}
	return s + `}}`
}

// TestB11Auth proves SPEC B.1.1 over HTTP on SQLite and PostgreSQL: the
// Keystone v3 body, scoped and unscoped tokens in X-Subject-Token with an
// ISO 8601 UTC expiry, access keys, validation and revocation.
func TestB11Auth(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAuthFixture(t, db)
		tokens := f.url + "/v3/auth/tokens"

		// Scoped by project name + domain (department).
		resp, body := call(t, "POST", tokens, passwordBody("alice", "Default", "alice-secret", `{"name":"gis","domain":{"name":"survey"}}`), nil)
		if resp.StatusCode != 201 {
			t.Fatalf("status %d %v", resp.StatusCode, body)
		}
		tok := resp.Header.Get("X-Subject-Token")
		tb := body["token"].(map[string]any)
		if tok == "" || !isoUTC.MatchString(tb["expires_at"].(string)) || tb["project"].(map[string]any)["id"] != f.project.ID ||
			tb["user"].(map[string]any)["name"] != "alice" || tb["roles"].([]any)[0].(map[string]any)["name"] != "member" {
			t.Fatalf("token %q body %v", tok, body)
		}
		exp, _ := time.Parse(TimeFormat, tb["expires_at"].(string))
		if d := time.Until(exp); d < 7*time.Hour || d > 9*time.Hour {
			t.Fatalf("expires in %v", d)
		}

		// Unscoped: no project, no roles.
		resp, body = call(t, "POST", tokens, passwordBody("alice", "", "alice-secret", ""), nil)
		if resp.StatusCode != 201 || body["token"].(map[string]any)["project"] != nil || len(body["token"].(map[string]any)["roles"].([]any)) != 0 {
			t.Fatalf("unscoped: %d %v", resp.StatusCode, body)
		}

		// Access key.
		ak, err := f.ids.CreateAccessKey(context.Background(), f.alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		resp, _ = call(t, "POST", tokens, `{"auth":{"identity":{"methods":["access_key"],"access_key":{"id":"`+ak.ID+`","secret":"`+ak.Secret+`"}},"scope":{"project":{"id":"`+f.project.ID+`"}}}}`, nil)
		if resp.StatusCode != 201 || resp.Header.Get("X-Subject-Token") == "" {
			t.Fatalf("access key: %d", resp.StatusCode)
		}

		// Refusals, each with the A.0.3 body.
		cases := []struct {
			name, body string
			status     int
		}{
			{"wrong password", passwordBody("alice", "", "nope-nope", ""), 401},
			{"unknown user", passwordBody("mallory", "", "whatever1", ""), 401},
			{"project without domain", passwordBody("alice", "", "alice-secret", `{"name":"gis"}`), 400},
			{"project she has no role in", passwordBody("alice", "", "alice-secret", `{"name":"admin","domain":{"name":"Default"}}`), 403},
			{"malformed JSON", `{"auth":`, 400},
			{"unknown field", `{"auth":{},"extra":1}`, 400},
			{"wrong type", `{"auth":{"identity":{"methods":"password"}}}`, 400},
			{"two methods", `{"auth":{"identity":{"methods":["password","access_key"]}}}`, 400},
			{"empty body", ``, 400},
		}
		for _, c := range cases {
			resp, body := call(t, "POST", tokens, c.body, nil)
			e, _ := body["error"].(map[string]any)
			if resp.StatusCode != c.status || e == nil || e["code"] != float64(c.status) || e["message"] == "" {
				t.Errorf("%s: %d %v", c.name, resp.StatusCode, body)
			}
		}
		big := `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"` + strings.Repeat("x", MaxBodyBytes) + `"}}}}}`
		if resp, _ := call(t, "POST", tokens, big, nil); resp.StatusCode != 400 {
			t.Errorf("oversized body: %d", resp.StatusCode)
		}

		// Validate and revoke.
		hdr := map[string]string{"X-Auth-Token": tok, "X-Subject-Token": tok}
		if resp, body := call(t, "GET", tokens, "", hdr); resp.StatusCode != 200 || body["token"] == nil {
			t.Fatalf("validate: %d %v", resp.StatusCode, body)
		}
		if resp, _ := call(t, "GET", tokens, "", map[string]string{"X-Subject-Token": tok}); resp.StatusCode != 401 {
			t.Fatalf("validate without X-Auth-Token: %d", resp.StatusCode)
		}
		if resp, _ := call(t, "GET", tokens, "", map[string]string{"X-Auth-Token": tok, "X-Subject-Token": "bogus"}); resp.StatusCode != 404 {
			t.Fatalf("validate a bogus subject: %d", resp.StatusCode)
		}
		if resp, _ := call(t, "DELETE", tokens, "", hdr); resp.StatusCode != 204 {
			t.Fatalf("revoke: %d", resp.StatusCode)
		}
		if resp, _ := call(t, "GET", tokens, "", hdr); resp.StatusCode != 401 {
			t.Fatalf("a revoked token still authenticates: %d", resp.StatusCode)
		}
		// Unknown routes answer in the same shape.
		if resp, body := call(t, "GET", f.url+"/v9/nothing", "", nil); resp.StatusCode != 404 || body["error"] == nil {
			t.Fatalf("unknown route: %d %v", resp.StatusCode, body)
		}
	})
}
