package adapter

import (
	"strings"
	"testing"

	"github.com/gisiaas/gisiaas/adapter/store"
	"github.com/gisiaas/gisiaas/adapter/store/storetest"
	"github.com/gisiaas/gisiaas/core"
)

func sgTestBody(name, dc string) map[string]any {
	return map[string]any{"security_group": map[string]any{"name": name, "description": name + " rules", "datacenter_id": dc}}
}

func sgTestRule(group string, fields map[string]any) map[string]any {
	r := map[string]any{"security_group_id": group, "direction": "ingress"}
	for k, v := range fields {
		r[k] = v
	}
	return map[string]any{"security_group_rule": r}
}

// sgTestRules returns the rules of the group at path by id.
func (f *apiFixture) sgTestRules(path string) map[string]map[string]any {
	f.t.Helper()
	out := map[string]map[string]any{}
	for _, r := range f.must(200, "GET", path, f.alice, nil)["security_group"].(map[string]any)["rules"].([]any) {
		out[r.(map[string]any)["id"].(string)] = r.(map[string]any)
	}
	return out
}

// TestSecurityGroupsHTTP_B35 drives B.3.5.1–B.3.5.5 over HTTP: groups with
// their default rules, rules added and deleted (the defaults too, by the id
// GET shows), a group in use refused, and the errors each wrong request gets.
func TestSecurityGroupsHTTP_B35(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAPIFixture(t, db)
		base := "/v1/" + f.pa + "/security-groups"
		rules := "/v1/" + f.pa + "/security-group-rules"
		before := len(f.must(200, "GET", base, f.alice, nil)["security_groups"].([]any))

		// Create (B.3.5.1): Neutron's default egress rules.
		sg := f.must(202, "POST", base, f.alice, sgTestBody("web", "dc1"))["security_group"].(map[string]any)
		for _, k := range []string{"id", "name", "description", "rules", "datacenter_id", "project_id", "created_at"} {
			if _, ok := sg[k]; !ok {
				t.Errorf("security group view lacks %s: %v", k, sg)
			}
		}
		if sg["name"] != "web" || sg["description"] != "web rules" || sg["datacenter_id"] != "dc1" || !strings.HasSuffix(sg["created_at"].(string), "Z") {
			t.Fatalf("created: %v", sg)
		}
		defaults := sg["rules"].([]any)
		if len(defaults) != 2 {
			t.Fatalf("default rules: %v", defaults)
		}
		for _, r := range defaults {
			if r := r.(map[string]any); r["direction"] != "egress" || r["protocol"] != nil || r["remote_ip_prefix"] != nil || r["port_range_min"] != nil {
				t.Fatalf("default rule: %v", r)
			}
		}
		id := sg["id"].(string)
		path := base + "/" + id

		// Create a rule (B.3.5.4): 201 with the rule, shown on the group.
		out := f.must(201, "POST", rules, f.alice, sgTestRule(id, map[string]any{"protocol": "TCP", "port_range_min": 22, "port_range_max": 22,
			"remote_ip_prefix": "10.1.2.0/24", "description": "ssh"}))
		r := out["security_group_rule"].(map[string]any)
		if r["id"] == "" || r["security_group_id"] != id || r["direction"] != "ingress" || r["ethertype"] != "IPv4" || r["protocol"] != "tcp" ||
			r["port_range_min"] != float64(22) || r["port_range_max"] != float64(22) || r["remote_ip_prefix"] != "10.1.2.0/24" ||
			r["remote_group_id"] != nil || r["description"] != "ssh" {
			t.Fatalf("rule: %v", r)
		}
		ssh := r["id"].(string)
		if shown := f.sgTestRules(path); len(shown) != 3 || shown[ssh]["port_range_min"] != float64(22) {
			t.Fatalf("group rules after create: %v", shown)
		}
		// The same rule again: 409 (tcp and 6 are one protocol).
		f.must(409, "POST", rules, f.alice, sgTestRule(id, map[string]any{"protocol": "6", "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "10.1.2.0/24"}))

		// A rule naming another group of the project; that group is then in use.
		peer := f.must(202, "POST", base, f.alice, sgTestBody("peer", "dc1"))["security_group"].(map[string]any)["id"].(string)
		rr := f.must(201, "POST", rules, f.alice, sgTestRule(id, map[string]any{"remote_group_id": peer}))["security_group_rule"].(map[string]any)
		if rr["remote_group_id"] != peer || rr["remote_ip_prefix"] != nil {
			t.Fatalf("remote group rule: %v", rr)
		}
		f.must(409, "DELETE", base+"/"+peer, f.alice, nil)
		f.must(204, "DELETE", rules+"/"+rr["id"].(string), f.alice, nil)
		f.must(204, "DELETE", base+"/"+peer, f.alice, nil)

		// Bad rules: 400 naming the field.
		bob := f.must(202, "POST", "/v1/"+f.pb+"/security-groups", f.bob, sgTestBody("bobs", "dc1"))["security_group"].(map[string]any)["id"].(string)
		far := f.must(202, "POST", base, f.alice, sgTestBody("far", "dc2"))["security_group"].(map[string]any)["id"].(string)
		f.wantBadRequest("POST", rules, f.alice, sgTestRule(id, map[string]any{"remote_ip_prefix": "10.0.0.0/8", "remote_group_id": far}), "remote_ip_prefix", "remote_group_id")
		f.wantBadRequest("POST", rules, f.alice, sgTestRule(id, map[string]any{"direction": "sideways"}), "direction")
		f.wantBadRequest("POST", rules, f.alice, sgTestRule(id, map[string]any{"ethertype": "IPX"}), "ethertype")
		f.wantBadRequest("POST", rules, f.alice, sgTestRule(id, map[string]any{"protocol": "tcp", "port_range_min": 90, "port_range_max": 80}), "port_range_min")
		f.wantBadRequest("POST", rules, f.alice, sgTestRule(id, map[string]any{"protocol": "gre", "port_range_min": 1, "port_range_max": 2}), "port_range_min")
		f.wantBadRequest("POST", rules, f.alice, sgTestRule(id, map[string]any{"protocol": "carrier-pigeon"}), "protocol")
		f.wantBadRequest("POST", rules, f.alice, sgTestRule(id, map[string]any{"remote_ip_prefix": "10.0.0.0/33"}), "remote_ip_prefix")
		f.wantBadRequest("POST", rules, f.alice, sgTestRule(id, map[string]any{"ethertype": "IPv6", "remote_ip_prefix": "10.0.0.0/8"}), "remote_ip_prefix")
		f.wantBadRequest("POST", rules, f.alice, sgTestRule(id, map[string]any{"colour": "red"}), "colour")
		f.wantBadRequest("POST", rules, f.alice, sgTestRule("no-such-group", nil), "security_group_id")
		f.wantBadRequest("POST", rules, f.alice, sgTestRule(id, map[string]any{"remote_group_id": far}), "remote_group_id", "dc2")
		f.wantBadRequest("POST", rules, f.alice, map[string]any{"security_group_rule": map[string]any{"direction": "ingress"}}, "security_group_id")
		// Bob's group, as the group or as the remote group: not found.
		f.wantBadRequest("POST", rules, f.alice, sgTestRule(bob, nil), "security_group_id")                                 // as an unknown id
		f.wantBadRequest("POST", rules, f.alice, sgTestRule(id, map[string]any{"remote_group_id": bob}), "remote_group_id") // as an unknown id
		if shown := f.sgTestRules(path); len(shown) != 3 {
			t.Fatalf("bad rules changed the group: %v", shown)
		}

		// Delete rules (B.3.5.5): the one added, and a default one by the
		// id the group shows.
		f.must(204, "DELETE", rules+"/"+ssh, f.alice, nil)
		f.must(404, "DELETE", rules+"/"+ssh, f.alice, nil)
		egress := defaults[0].(map[string]any)["id"].(string)
		f.must(404, "DELETE", "/v1/"+f.pb+"/security-group-rules/"+egress, f.bob, nil)
		f.must(403, "DELETE", rules+"/"+egress, f.bob, nil)
		f.must(204, "DELETE", rules+"/"+egress, f.alice, nil)
		if shown := f.sgTestRules(path); len(shown) != 1 || shown[ssh] != nil || shown[egress] != nil {
			t.Fatalf("group rules after deletes: %v", shown)
		}

		// A group a server uses cannot be deleted (B.3.5.2): 409.
		srv := f.ipTestServer("dc1", f.pa, f.alice, "guarded", id)
		if g := srv["security_groups"].([]any); len(g) != 1 || g[0] != id {
			t.Fatalf("server's groups: %v", g)
		}
		f.must(409, "DELETE", path, f.alice, nil)

		// Bad groups.
		f.wantBadRequest("POST", base, f.alice, map[string]any{"security_group": map[string]any{"description": "x"}}, "name")
		f.wantBadRequest("POST", base, f.alice, map[string]any{"security_group": map[string]any{"name": "a\tb"}}, "name")
		f.wantBadRequest("POST", base, f.alice, map[string]any{"security_group": map[string]any{"name": "x", "rules": []any{}}}, "rules")
		f.wantBadRequest("POST", base, f.alice, sgTestBody("x", "dc9"), "datacenter_id")

		// Show and list (B.3.5.3): alice's groups, none of bob's.
		list := f.must(200, "GET", base, f.alice, nil)["security_groups"].([]any)
		if len(list) != before+2 {
			t.Fatalf("list: %d groups, want %d", len(list), before+2)
		}
		if n := len(f.must(200, "GET", base+"?datacenter=dc2", f.alice, nil)["security_groups"].([]any)); n < 1 {
			t.Fatalf("dc2: %d groups", n)
		}
		for _, g := range f.must(200, "GET", "/v1/"+f.pb+"/security-groups", f.bob, nil)["security_groups"].([]any) {
			if g.(map[string]any)["project_id"] != f.pb {
				t.Fatalf("bob lists %v", g)
			}
		}

		// Other projects.
		f.must(403, "GET", base, f.bob, nil)
		f.must(403, "POST", rules, f.bob, sgTestRule(bob, nil))
		f.must(404, "GET", "/v1/"+f.pb+"/security-groups/"+id, f.bob, nil)
		f.must(404, "DELETE", "/v1/"+f.pb+"/security-groups/"+id, f.bob, nil)
		f.must(404, "GET", base+"/00000000-0000-4000-8000-000000000000", f.alice, nil)
		f.must(404, "DELETE", rules+"/00000000-0000-4000-8000-000000000000", f.alice, nil)

		// Delete (B.3.5.2) of a group nothing uses.
		f.must(204, "DELETE", base+"/"+far, f.alice, nil)
		f.must(404, "GET", base+"/"+far, f.alice, nil)
	})
}

// TestSynchronousCreatesHonourIdempotencyKeys: a rule and a flavor — created
// at once (201), the flavor shared — answer a retried create with the same
// key with the first answer and make nothing twice.
func TestSynchronousCreatesHonourIdempotencyKeys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAPIFixture(t, db)
		base := "/v1/" + f.pa
		sg := f.must(202, "POST", base+"/security-groups", f.alice, sgTestBody("idem", "dc1"))["security_group"].(map[string]any)["id"].(string)
		body := sgTestRule(sg, map[string]any{"protocol": "tcp", "port_range_min": 443, "port_range_max": 443})
		first := f.must(201, "POST", base+"/security-group-rules", f.alice, body, "Idempotency-Key", "rule-1")
		resp, again := f.do("POST", base+"/security-group-rules", f.alice, body, "Idempotency-Key", "rule-1")
		if resp.StatusCode != 201 || resp.Header.Get("Idempotent-Replayed") != "true" ||
			again["security_group_rule"].(map[string]any)["id"] != first["security_group_rule"].(map[string]any)["id"] {
			t.Fatalf("rule replay: %d %v vs %v", resp.StatusCode, again, first)
		}
		f.must(204, "DELETE", base+"/security-group-rules/"+first["security_group_rule"].(map[string]any)["id"].(string), f.alice, nil)

		fl := map[string]any{"flavor": map[string]any{"id": "idem.1", "name": "idem.1", "vcpus": 1, "memory_mb": 256, "disk_gb": 1, "datacenter_id": "dc1"}}
		f.must(201, "POST", "/v1/"+f.padmin+"/flavors", f.admin, fl, "Idempotency-Key", "flavor-1")
		resp, _ = f.do("POST", "/v1/"+f.padmin+"/flavors", f.admin, fl, "Idempotency-Key", "flavor-1")
		if resp.StatusCode != 201 || resp.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("flavor replay: %d", resp.StatusCode)
		}
		f.must(409, "POST", "/v1/"+f.padmin+"/flavors", f.admin, fl) // without the key: a second create
		if _, ok := f.reg.Get(core.TypeFlavor, "idem.1"); ok {
			t.Fatal("a shared flavor was registered as a project's resource")
		}
	})
}
