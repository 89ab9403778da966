package adapter

import (
	"bytes"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/gisiaas/gisiaas/adapter/store"
	"github.com/gisiaas/gisiaas/adapter/store/storetest"
	"github.com/gisiaas/gisiaas/api"
)

// TestOpenAPIMatchesRoutes is what keeps the document and the server from
// drifting: every route served is documented, and every documented
// operation is served.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	s := NewServer(Config{})
	param := regexp.MustCompile(`:([a-z_]+)`)
	served := map[string]bool{}
	for _, r := range s.echo.Routes() {
		if r.Path == "/openapi.yaml" || strings.HasSuffix(r.Path, "/*") || r.Method == "echo_route_not_found" {
			continue
		}
		served[r.Method+" "+param.ReplaceAllString(r.Path, "{$1}")] = true
	}
	documented := map[string]bool{}
	for path, item := range s.doc.doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	var missing, extra []string
	for k := range served {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !served[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 || len(extra) > 0 || len(served) < 14 {
		t.Fatalf("served but not documented: %v\ndocumented but not served: %v\n(%d served)", missing, extra, len(served))
	}
}

func TestOpenAPIValidatesRequests(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAuthFixture(t, db)
		resp, err := http.Get(f.url + "/openapi.yaml")
		if err != nil {
			t.Fatal(err)
		}
		doc, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Equal(doc, api.OpenAPI) {
			t.Fatalf("openapi.yaml: %d, %d bytes", resp.StatusCode, len(doc))
		}
		cases := []struct{ body, field string }{
			{`{"auth":{"identity":{"methods":["kerberos"]}}}`, "methods"},
			{`{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"a"}}}}}`, "password"},
			{`{"auth":{"identity":{"methods":["password"]},"scope":{"project":{"nick":"x"}}}}`, "nick"},
		}
		for _, c := range cases {
			resp, body := call(t, "POST", f.url+"/v3/auth/tokens", c.body, nil)
			e, _ := body["error"].(map[string]any)
			if resp.StatusCode != 400 || e == nil || !strings.Contains(e["message"].(string), c.field) {
				t.Errorf("%s: %d %v, want 400 naming %s", c.body, resp.StatusCode, body, c.field)
			}
		}
	})
}
