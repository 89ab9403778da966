package adapter

import (
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/gisiaas/gisiaas/adapter/store"
	"github.com/gisiaas/gisiaas/adapter/store/storetest"
)

// documentedProjectRoutes lists "METHOD /v1/{project_id}/…" for every
// operation of the served document, so a route added later is covered by
// the isolation tests without being listed by hand.
func documentedProjectRoutes(t *testing.T, s *Server) []string {
	t.Helper()
	var out []string
	for path, item := range s.doc.doc.Paths.Map() {
		if !strings.HasPrefix(path, "/v1/{project_id}/") {
			continue
		}
		for method := range item.Operations() {
			out = append(out, method+" "+path)
		}
	}
	sort.Strings(out)
	if len(out) < 60 {
		t.Fatalf("only %d project routes documented: %v", len(out), out)
	}
	return out
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// TestCrossProjectPathIsForbidden: a token of project B gets 403 on every
// route of project A, whatever the method, body or ids — before the body is
// even looked at — and a request without a token gets 401.
func TestCrossProjectPathIsForbidden(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAPIFixture(t, db)
		s := NewServer(Config{})
		for _, route := range documentedProjectRoutes(t, s) {
			method, path, _ := strings.Cut(route, " ")
			concrete := pathParam.ReplaceAllStringFunc(path, func(p string) string {
				if p == "{project_id}" {
					return f.pa
				}
				return "00000000-0000-4000-8000-000000000000"
			})
			var body any
			if method == "POST" || method == "PUT" || method == "PATCH" {
				body = "{}"
			}
			if resp, out := f.do(method, concrete, f.bob, body); resp.StatusCode != 403 {
				t.Errorf("%s as bob: %d %v, want 403", route, resp.StatusCode, out)
			}
			if resp, out := f.do(method, concrete, "", body); resp.StatusCode != 401 {
				t.Errorf("%s without a token: %d %v, want 401", route, resp.StatusCode, out)
			}
		}
	})
}
