package adapter

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gisiaas/gisiaas/adapter/store"
	"github.com/gisiaas/gisiaas/adapter/store/storetest"
	"github.com/gisiaas/gisiaas/drivers/sim"
)

func flavorBody(id, dc string) map[string]any {
	f := map[string]any{"id": id, "name": id, "vcpus": 2, "memory_mb": 1024, "disk_gb": 10}
	if dc != "" {
		f["datacenter_id"] = dc
	}
	return map[string]any{"flavor": f}
}

// flavorDCs maps each listed flavor id to the datacenters listing it.
func flavorDCs(items []any) map[string][]string {
	out := map[string][]string{}
	for _, it := range items {
		m := it.(map[string]any)
		out[m["id"].(string)] = append(out[m["id"].(string)], m["datacenter_id"].(string))
	}
	return out
}

// TestFlavorsHTTP_B221_B222 proves that a cloud admin creates (B.2.2.1)
// and deletes (B.2.2.2) flavors, synchronously, in the datacenter named or
// the default one, that nobody else may, and the errors of both.
func TestFlavorsHTTP_B221_B222(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAPIFixture(t, db)
		base := "/v1/" + f.padmin + "/flavors"

		out := f.must(201, "POST", base, f.admin, flavorBody("c1.big", ""))["flavor"].(map[string]any)
		want := map[string]any{"id": "c1.big", "name": "c1.big", "vcpus": 2.0, "memory_mb": 1024.0, "disk_gb": 10.0,
			"public": true, "datacenter_id": "dc1"}
		for k, v := range want {
			if out[k] != v {
				t.Errorf("created flavor: %s is %v, want %v (%v)", k, out[k], v, out)
			}
		}
		body := flavorBody("c1.dc2", "dc2")
		body["flavor"].(map[string]any)["public"] = false
		out = f.must(201, "POST", base, f.admin, body)["flavor"].(map[string]any)
		if out["datacenter_id"] != "dc2" || out["public"] != false {
			t.Fatalf("created in dc2: %v", out)
		}
		f.must(409, "POST", base, f.admin, flavorBody("c1.big", "dc1"))
		// The same id in another datacenter is another flavor.
		f.must(201, "POST", base, f.admin, flavorBody("c1.big", "dc2"))

		// Members may not create or delete; nor touch another project's path.
		f.must(403, "POST", "/v1/"+f.pa+"/flavors", f.alice, flavorBody("c1.mine", ""))
		f.must(403, "DELETE", "/v1/"+f.pa+"/flavors/c1.big", f.alice, nil)
		f.must(403, "POST", base, f.alice, flavorBody("c1.mine", ""))

		bad := []struct{ body, field string }{
			{`{"flavor":{"id":"x","name":"x","vcpus":0,"memory_mb":1,"disk_gb":1}}`, "vcpus"},
			{`{"flavor":{"id":"x","name":"x","vcpus":1,"disk_gb":1}}`, "memory_mb"},
			{`{"flavor":{"id":"x","name":"x","vcpus":1,"memory_mb":1,"disk_gb":-1}}`, "disk_gb"},
			{`{"flavor":{"id":"x","name":"","vcpus":1,"memory_mb":1,"disk_gb":1}}`, "name"},
			{`{"flavor":{"id":"a/b","name":"x","vcpus":1,"memory_mb":1,"disk_gb":1}}`, "id"},
			{`{"flavor":{"id":"x","name":"x","vcpus":1,"memory_mb":1,"disk_gb":1,"price":3}}`, "price"},
			{`{"flavor":{"id":"x","name":"x","vcpus":1,"memory_mb":1,"disk_gb":1,"datacenter_id":"dc9"}}`, "datacenter_id"},
			{`{"flavor":`, "malformed JSON"},
		}
		for _, c := range bad {
			resp, body := f.do("POST", base, f.admin, c.body)
			if resp.StatusCode != 400 || !strings.Contains(fmt.Sprint(body["error"]), c.field) {
				t.Errorf("%s: %d %v, want 400 naming %s", c.body, resp.StatusCode, body, c.field)
			}
		}

		// Delete: from every datacenter that has it, or the one named.
		f.must(204, "DELETE", base+"/c1.big?datacenter=dc2", f.admin, nil)
		if dcs := flavorDCs(f.must(200, "GET", base, f.admin, nil)["flavors"].([]any))["c1.big"]; fmt.Sprint(dcs) != "[dc1]" {
			t.Fatalf("c1.big after deleting it in dc2: in %v", dcs)
		}
		f.must(204, "DELETE", base+"/m1.large", f.admin, nil)
		if dcs := flavorDCs(f.must(200, "GET", base, f.admin, nil)["flavors"].([]any))["m1.large"]; len(dcs) != 0 {
			t.Fatalf("m1.large after deleting it: in %v", dcs)
		}
		f.must(404, "DELETE", base+"/m1.large", f.admin, nil)
		f.must(404, "GET", base+"/m1.large", f.admin, nil)
		f.must(400, "DELETE", base+"/c1.big?datacenter=dc9", f.admin, nil)

		// A flavor a server uses cannot be deleted.
		img, net := f.simRefs("dc1", f.pa)
		srv := f.must(202, "POST", "/v1/"+f.pa+"/servers", f.alice, serverBody("uses-tiny", "dc1", img, net))["server"].(map[string]any)
		f.waitFor("/v1/"+f.pa+"/servers/"+srv["id"].(string), f.alice, "server", "status", "ACTIVE")
		f.must(409, "DELETE", base+"/m1.tiny?datacenter=dc1", f.admin, nil)
		if got := f.must(200, "GET", base+"/m1.tiny?datacenter=dc1", f.admin, nil)["flavor"].(map[string]any); got["id"] != "m1.tiny" {
			t.Fatalf("m1.tiny after a refused delete: %v", got)
		}
	})
}

// TestFlavorsHTTP_B223_B224 proves show (B.2.2.3) and list (B.2.2.4)
// across datacenters: a flavor is listed once per datacenter that has it,
// pages hold whole flavors, and show answers the first datacenter's.
func TestFlavorsHTTP_B223_B224(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAPIFixture(t, db)
		f.must(201, "POST", "/v1/"+f.padmin+"/flavors", f.admin, flavorBody("c1.only2", "dc2"))
		base := "/v1/" + f.pa + "/flavors"

		items := f.must(200, "GET", base, f.alice, nil)["flavors"].([]any)
		for _, it := range items {
			m := it.(map[string]any)
			for _, k := range []string{"id", "name", "vcpus", "memory_mb", "disk_gb", "public", "datacenter_id"} {
				if _, ok := m[k]; !ok {
					t.Errorf("flavor view lacks %s: %v", k, m)
				}
			}
		}
		dcs := flavorDCs(items)
		if len(items) != 9 || fmt.Sprint(dcs["m1.tiny"]) != "[dc1 dc2]" || fmt.Sprint(dcs["c1.only2"]) != "[dc2]" {
			t.Fatalf("list: %d flavors, %v", len(items), dcs)
		}
		if n := len(f.must(200, "GET", base+"?datacenter=dc1", f.alice, nil)["flavors"].([]any)); n != 4 {
			t.Fatalf("dc1 only: %d flavors, want 4", n)
		}
		// Pages of one flavor id each: every copy once, none split.
		var paged []string
		marker := ""
		for pages := 0; ; pages++ {
			q := base + "?limit=1"
			if marker != "" {
				q += "&marker=" + marker
			}
			page := f.must(200, "GET", q, f.alice, nil)["flavors"].([]any)
			if len(page) == 0 {
				break
			}
			for _, it := range page {
				m := it.(map[string]any)
				marker = m["id"].(string)
				paged = append(paged, marker+"@"+m["datacenter_id"].(string))
			}
			if pages > 10 {
				t.Fatal("pagination does not end")
			}
		}
		if want := "[c1.only2@dc2 m1.large@dc1 m1.large@dc2 m1.medium@dc1 m1.medium@dc2 m1.small@dc1 m1.small@dc2 m1.tiny@dc1 m1.tiny@dc2]"; fmt.Sprint(paged) != want {
			t.Fatalf("paged %v, want %s", paged, want)
		}
		f.must(400, "GET", base+"?limit=0", f.alice, nil)
		f.must(400, "GET", base+"?marker=nope", f.alice, nil)
		f.must(400, "GET", base+"?datacenter=dc9", f.alice, nil)
		f.must(403, "GET", "/v1/"+f.pb+"/flavors", f.alice, nil)

		got := f.must(200, "GET", base+"/m1.small", f.alice, nil)["flavor"].(map[string]any)
		if got["datacenter_id"] != "dc1" || got["vcpus"] != 1.0 || got["memory_mb"] != 2048.0 || got["disk_gb"] != 20.0 || got["name"] != "m1.small" {
			t.Fatalf("show m1.small: %v", got)
		}
		if got := f.must(200, "GET", base+"/m1.small?datacenter=dc2", f.alice, nil)["flavor"].(map[string]any); got["datacenter_id"] != "dc2" {
			t.Fatalf("show m1.small in dc2: %v", got)
		}
		if got := f.must(200, "GET", base+"/c1.only2", f.alice, nil)["flavor"].(map[string]any); got["datacenter_id"] != "dc2" {
			t.Fatalf("show c1.only2: %v", got)
		}
		f.must(404, "GET", base+"/c1.only2?datacenter=dc1", f.alice, nil)
		f.must(404, "GET", base+"/m9.huge", f.alice, nil)

		// A datacenter that fails leaves the others' flavors, with a Warning.
		f.sims["dc2"].SetFault("ListFlavors", sim.Fault{ErrorRate: 1})
		resp, out := f.do("GET", base, f.alice, nil)
		if resp.StatusCode != 200 || len(out["flavors"].([]any)) != 4 || !strings.Contains(resp.Header.Get("Warning"), "dc2") {
			t.Fatalf("dc2 down: %d %v Warning %q", resp.StatusCode, out, resp.Header.Get("Warning"))
		}
	})
}
