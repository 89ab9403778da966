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

// TestCrossProjectIDIsNotFound: on its own path, a user of project A who
// names any resource of project B — on every documented route that takes an
// id, with a body the route would otherwise accept — gets 404, as for an id
// that does not exist, and B's resource is unchanged.
func TestCrossProjectIDIsNotFound(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAPIFixture(t, db)
		pb := "/v1/" + f.pb
		// Bob's resources, one of each kind, in dc1.
		bobServer := f.ipTestServer("dc1", f.pb, f.bob, "bob-web")["id"].(string)
		f.waitFor(pb+"/servers/"+bobServer, f.bob, "server", "status", "ACTIVE")
		id := func(out map[string]any, wrapper string) string { return out[wrapper].(map[string]any)["id"].(string) }
		bobVolume := id(f.must(202, "POST", pb+"/volumes", f.bob, map[string]any{"volume": map[string]any{"name": "v", "size_gb": 1, "datacenter_id": "dc1"}}), "volume")
		f.waitFor(pb+"/volumes/"+bobVolume, f.bob, "volume", "status", "available")
		ids := map[string]string{
			"servers": bobServer,
			"volumes": bobVolume,
			"volume-snapshots": id(f.must(202, "POST", pb+"/volume-snapshots", f.bob,
				map[string]any{"snapshot": map[string]any{"volume_id": bobVolume}}), "snapshot"),
			"backups": id(f.must(202, "POST", pb+"/backups", f.bob,
				map[string]any{"backup": map[string]any{"volume_id": bobVolume}}), "backup"),
			"images": id(f.must(202, "POST", pb+"/images", f.bob,
				map[string]any{"image": map[string]any{"name": "bob-blank", "disk_format": "raw", "datacenter_id": "dc1"}}), "image"),
			"floatingips": id(f.must(202, "POST", pb+"/floatingips", f.bob,
				map[string]any{"floatingip": map[string]any{"floating_network_id": f.ipTestExternalNet("dc1"), "datacenter_id": "dc1"}}), "floatingip"),
			"publicips": id(f.must(202, "POST", pb+"/publicips", f.bob,
				map[string]any{"publicip": map[string]any{"name": "ip", "datacenter_id": "dc1"}}), "publicip"),
			"loadbalancers": id(f.must(202, "POST", pb+"/loadbalancers", f.bob, map[string]any{"loadbalancer": map[string]any{
				"name": "lb", "listeners": []any{map[string]any{"protocol": "TCP", "port": 80}}, "datacenter_id": "dc1"}}), "loadbalancer"),
			"routers": id(f.must(202, "POST", pb+"/routers", f.bob,
				map[string]any{"router": map[string]any{"name": "r", "datacenter_id": "dc1"}}), "router"),
		}
		ids["security-groups"] = id(f.must(202, "POST", pb+"/security-groups", f.bob, sgTestBody("bob-sg", "dc1")), "security_group")
		ids["security-group-rules"] = id(f.must(201, "POST", pb+"/security-group-rules", f.bob,
			sgTestRule(ids["security-groups"], map[string]any{"protocol": "tcp", "port_range_min": 22, "port_range_max": 22})), "security_group_rule")

		// Alice's own server, named where a body needs one.
		mine := f.ipTestServer("dc1", f.pa, f.alice, "alice-web")["id"].(string)
		bodies := map[string]any{
			"PUT /servers/{id}":                   map[string]any{"server": map[string]any{"name": "stolen"}},
			"POST /servers/{id}/reboot":           map[string]any{"type": "HARD"},
			"POST /servers/{id}/live-migrate":     map[string]any{"host": "dc1-h2"},
			"POST /servers/{id}/resize":           map[string]any{"flavor_id": "m1.small"},
			"PATCH /images/{id}":                  `[{"op":"replace","path":"/name","value":"stolen"}]`,
			"PUT /floatingips/{id}":               map[string]any{"floatingip": map[string]any{"port_id": nil}},
			"POST /publicips/{id}/bind":           map[string]any{"server_id": mine},
			"PATCH /loadbalancers/{id}/members":   map[string]any{"add": []any{map[string]any{"server_id": mine, "port": 80}}},
			"POST /volumes/{id}/attach":           map[string]any{"server_id": mine},
			"POST /volumes/{id}/detach":           map[string]any{"server_id": mine},
			"POST /volumes/{id}/extend":           map[string]any{"size_gb": 5},
			"POST /routers/{id}/add-interface":    map[string]any{"subnet_id": "00000000-0000-4000-8000-000000000000"},
			"POST /routers/{id}/remove-interface": map[string]any{"subnet_id": "00000000-0000-4000-8000-000000000000"},
		}
		shared := map[string]bool{"flavors": true, "networks": true} // shared objects: nobody's to hide
		tried := 0
		for _, route := range documentedProjectRoutes(t, NewServer(Config{})) {
			method, path, _ := strings.Cut(route, " ")
			rest := strings.TrimPrefix(path, "/v1/{project_id}")
			kind, tail, _ := strings.Cut(strings.TrimPrefix(rest, "/"), "/")
			if !strings.HasPrefix(tail, "{id}") || shared[kind] {
				continue
			}
			bobID, ok := ids[kind]
			if !ok {
				t.Errorf("%s: no resource of project B to try it with", route)
				continue
			}
			key := method + " " + "/" + kind + "/" + tail
			body := bodies[key]
			headers := []string{}
			if key == "PUT /images/{id}/file" {
				body = "some image bytes"
				headers = []string{"Content-Type", "application/octet-stream"}
			} else if key == "PATCH /images/{id}" {
				headers = []string{"Content-Type", "application/openstack-images-v2.1-json-patch"}
			}
			concrete := "/v1/" + f.pa + "/" + kind + "/" + strings.Replace(tail, "{id}", bobID, 1)
			resp, out := f.do(method, concrete, f.alice, body, headers...)
			if resp.StatusCode != 404 {
				t.Errorf("%s with project B's id: %d %v, want 404", route, resp.StatusCode, out)
			}
			tried++
		}
		if tried < 25 {
			t.Fatalf("only %d routes with an id tried", tried)
		}
		// Nothing of bob's moved.
		for kind, bobID := range ids {
			if kind == "security-group-rules" {
				continue // rules have no GET of their own
			}
			f.must(200, "GET", pb+"/"+kind+"/"+bobID, f.bob, nil)
		}
		if s := f.must(200, "GET", pb+"/servers/"+bobServer, f.bob, nil)["server"].(map[string]any); s["name"] != "bob-web" || s["status"] != "ACTIVE" {
			t.Fatalf("bob's server changed: %v", s)
		}
	})
}
