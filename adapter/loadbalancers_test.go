package adapter

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gisiaas/gisiaas/adapter/store"
	"github.com/gisiaas/gisiaas/adapter/store/storetest"
)

// lbTestMembers returns the members of a load balancer view by server id.
func lbTestMembers(lb map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, m := range lb["members"].([]any) {
		mm := m.(map[string]any)
		out[mm["server_id"].(string)] = mm
	}
	return out
}

// TestLoadBalancersHTTP_B34 drives B.3.4.1–B.3.4.6 over HTTP: create with a
// listener and polling to ACTIVE, members added and removed with PATCH
// (by server id and by address), the list, delete with polling to 404, and
// the errors each wrong request gets.
func TestLoadBalancersHTTP_B34(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAPIFixture(t, db)
		base := "/v1/" + f.pa + "/loadbalancers"
		s1 := f.ipTestServer("dc1", f.pa, f.alice, "web-1")
		s2 := f.ipTestServer("dc1", f.pa, f.alice, "web-2")
		s3 := f.ipTestServer("dc1", f.pa, f.alice, "web-3")
		id1, id2, id3 := s1["id"].(string), s2["id"].(string), s3["id"].(string)

		// Create (B.3.4.1).
		lb := f.must(202, "POST", base, f.alice, map[string]any{"loadbalancer": map[string]any{"name": "front", "description": "web tier",
			"listeners": []any{map[string]any{"protocol": "TCP", "port": 80}}, "datacenter_id": "dc1"}})["loadbalancer"].(map[string]any)
		for _, k := range []string{"id", "name", "description", "subnet_id", "vip_address", "status", "listeners", "members", "datacenter_id", "project_id", "created_at"} {
			if _, ok := lb[k]; !ok {
				t.Errorf("load balancer view lacks %s: %v", k, lb)
			}
		}
		if lb["name"] != "front" || lb["description"] != "web tier" || lb["vip_address"] == "" || lb["datacenter_id"] != "dc1" ||
			(lb["status"] != "PENDING_CREATE" && lb["status"] != "ACTIVE") || !strings.HasSuffix(lb["created_at"].(string), "Z") {
			t.Fatalf("created: %v", lb)
		}
		ls := lb["listeners"].([]any)
		if len(ls) != 1 || ls[0].(map[string]any)["protocol"] != "TCP" || ls[0].(map[string]any)["port"] != float64(80) || ls[0].(map[string]any)["id"] == "" {
			t.Fatalf("listeners: %v", ls)
		}
		if ms := lb["members"].([]any); len(ms) != 0 {
			t.Fatalf("members of a new load balancer: %v", ms)
		}
		id := lb["id"].(string)
		path := base + "/" + id
		f.waitFor(path, f.alice, "loadbalancer", "status", "ACTIVE")

		// Add members (B.3.4.5): the listener's port by default.
		f.must(202, "PATCH", path+"/members", f.alice, map[string]any{"add": []any{
			map[string]any{"server_id": id1}, map[string]any{"server_id": id2, "port": 8080}}})
		got := f.waitFor(path, f.alice, "loadbalancer", "status", "ACTIVE")
		ms := lbTestMembers(got)
		addr2 := f.ipTestAddresses(f.pa, f.alice, id2, "private")[0]["address"]
		if len(ms) != 2 || ms[id1]["port"] != float64(80) || ms[id1]["name"] != "web-1" || ms[id1]["address"] == "" ||
			ms[id2]["port"] != float64(8080) || ms[id2]["address"] != addr2 {
			t.Fatalf("members: %v", got["members"])
		}
		// A member already there is 409; with a new one before it, the
		// new one is added and the error says which failed.
		f.must(409, "PATCH", path+"/members", f.alice, map[string]any{"add": []any{map[string]any{"server_id": id1}}})
		resp, body := f.do("PATCH", path+"/members", f.alice, map[string]any{"add": []any{
			map[string]any{"server_id": id3}, map[string]any{"server_id": id1}}})
		if resp.StatusCode != 409 || !strings.Contains(fmt.Sprint(body["error"]), "add[1]") {
			t.Fatalf("partial add: %d %v, want 409 naming add[1]", resp.StatusCode, body)
		}
		if ms := lbTestMembers(f.waitFor(path, f.alice, "loadbalancer", "status", "ACTIVE")); len(ms) != 3 || ms[id3] == nil {
			t.Fatalf("after the partial add: %v", ms)
		}

		// Remove members (B.3.4.6) by address, then by server id.
		f.must(202, "PATCH", path+"/members", f.alice, map[string]any{"remove": []any{map[string]any{"address": addr2}}})
		if ms := lbTestMembers(f.waitFor(path, f.alice, "loadbalancer", "status", "ACTIVE")); len(ms) != 2 || ms[id2] != nil {
			t.Fatalf("after removing %v: %v", addr2, ms)
		}
		f.must(202, "PATCH", path+"/members", f.alice, map[string]any{"remove": []any{map[string]any{"server_id": id1}, map[string]any{"server_id": id3}}})
		if ms := lbTestMembers(f.waitFor(path, f.alice, "loadbalancer", "status", "ACTIVE")); len(ms) != 0 {
			t.Fatalf("after removing all: %v", ms)
		}
		f.wantBadRequest("PATCH", path+"/members", f.alice, map[string]any{"remove": []any{map[string]any{"server_id": id1}}}, "server_id")

		// Bad input: 400 naming the field.
		bsrv := f.ipTestServer("dc1", f.pb, f.bob, "bob-srv")
		far := f.ipTestServer("dc2", f.pa, f.alice, "far")
		members := path + "/members"
		f.wantBadRequest("PATCH", members, f.alice, map[string]any{"add": []any{map[string]any{"server_id": id1}}, "remove": []any{map[string]any{"server_id": id2}}}, "add", "remove")
		f.wantBadRequest("PATCH", members, f.alice, map[string]any{}, "add", "remove")
		f.wantBadRequest("PATCH", members, f.alice, map[string]any{"add": []any{}}, "add")
		f.wantBadRequest("PATCH", members, f.alice, map[string]any{"add": []any{map[string]any{"port": 80}}}, "server_id")
		f.wantBadRequest("PATCH", members, f.alice, map[string]any{"add": []any{map[string]any{"server_id": id1, "port": 70000}}}, "port")
		f.wantBadRequest("PATCH", members, f.alice, map[string]any{"add": []any{map[string]any{"server_id": id1}, map[string]any{"server_id": id1}}}, "add[1].server_id")
		f.wantBadRequest("PATCH", members, f.alice, map[string]any{"remove": []any{map[string]any{}}}, "remove[0].server_id", "address")
		f.wantBadRequest("PATCH", members, f.alice, map[string]any{"remove": []any{map[string]any{"address": "nowhere"}}}, "address")
		f.wantBadRequest("PATCH", members, f.alice, map[string]any{"add": []any{map[string]any{"server_id": far["id"]}}}, "add[0].server_id", "dc2")
		f.wantBadRequest("PATCH", members, f.alice, map[string]any{"add": []any{map[string]any{"server_id": bsrv["id"]}}}, "add[0].server_id") // as an unknown id
		f.wantBadRequest("PATCH", members, f.alice, map[string]any{"add": []any{map[string]any{"server_id": "no-such-server"}}}, "server_id")
		if ms := lbTestMembers(f.must(200, "GET", path, f.alice, nil)["loadbalancer"].(map[string]any)); len(ms) != 0 {
			t.Fatalf("bad requests changed members: %v", ms)
		}
		f.wantBadRequest("POST", base, f.alice, map[string]any{"loadbalancer": map[string]any{"description": "x"}}, "name")
		f.wantBadRequest("POST", base, f.alice, map[string]any{"loadbalancer": map[string]any{"name": "x", "listeners": []any{map[string]any{"protocol": "FTP", "port": 21}}}}, "protocol")
		f.wantBadRequest("POST", base, f.alice, map[string]any{"loadbalancer": map[string]any{"name": "x", "listeners": []any{
			map[string]any{"protocol": "TCP", "port": 80}, map[string]any{"protocol": "HTTP", "port": 80}}}}, "listeners[1].port")
		f.wantBadRequest("POST", base, f.alice, map[string]any{"loadbalancer": map[string]any{"name": "x", "subnet_id": "no-such-subnet", "datacenter_id": "dc1"}}, "subnet_id")
		f.wantBadRequest("POST", base, f.alice, map[string]any{"loadbalancer": map[string]any{"name": "x", "vip": "10.0.0.1"}}, "vip")

		// List (B.3.4.4): alice's one, none for bob.
		list := f.must(200, "GET", base, f.alice, nil)["loadbalancers"].([]any)
		if len(list) != 1 || list[0].(map[string]any)["id"] != id || list[0].(map[string]any)["vip_address"] != lb["vip_address"] {
			t.Fatalf("list: %v", list)
		}
		if n := len(f.must(200, "GET", "/v1/"+f.pb+"/loadbalancers", f.bob, nil)["loadbalancers"].([]any)); n != 0 {
			t.Fatalf("bob lists %d", n)
		}

		// Other projects.
		f.must(403, "GET", base, f.bob, nil)
		f.must(403, "PATCH", members, f.bob, map[string]any{"add": []any{map[string]any{"server_id": bsrv["id"]}}})
		f.must(404, "GET", "/v1/"+f.pb+"/loadbalancers/"+id, f.bob, nil)
		f.must(404, "PATCH", "/v1/"+f.pb+"/loadbalancers/"+id+"/members", f.bob, map[string]any{"add": []any{map[string]any{"server_id": bsrv["id"]}}})
		f.must(404, "DELETE", "/v1/"+f.pb+"/loadbalancers/"+id, f.bob, nil)
		unknown := base + "/00000000-0000-4000-8000-000000000000"
		f.must(404, "GET", unknown, f.alice, nil)
		f.must(404, "PATCH", unknown+"/members", f.alice, map[string]any{"add": []any{map[string]any{"server_id": id1}}})

		// Delete (B.3.4.2): 204, then gone.
		f.must(204, "DELETE", path, f.alice, nil)
		for tries := 0; ; tries++ {
			resp, out := f.do("GET", path, f.alice, nil)
			if resp.StatusCode == 404 {
				break
			}
			if resp.StatusCode != 200 || out["loadbalancer"].(map[string]any)["status"] != "PENDING_DELETE" || tries > 1000 {
				t.Fatalf("after delete: %d %v", resp.StatusCode, out)
			}
		}
		f.must(404, "DELETE", path, f.alice, nil)
	})
}
