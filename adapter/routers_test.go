package adapter

import (
	"context"
	"strings"
	"testing"

	"github.com/gisiaas/gisiaas/adapter/store"
	"github.com/gisiaas/gisiaas/adapter/store/storetest"
	"github.com/gisiaas/gisiaas/core"
)

// routerTestNets returns the external network of dc and the private subnet (with
// its gateway IP) the simulator seeds there.
func (f *apiFixture) routerTestNets(dc string) (external, externalSubnet, subnet, gateway string) {
	f.t.Helper()
	nets, err := f.sims[dc].ListNetworks(context.Background(), core.ListOptions{DatacenterID: dc})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, n := range nets {
		if len(n.Subnets) == 0 {
			continue
		}
		if n.External {
			external, externalSubnet = n.ID, n.Subnets[0].ID
		} else {
			subnet, gateway = n.Subnets[0].ID, n.Subnets[0].GatewayIP
		}
	}
	if external == "" || subnet == "" || gateway == "" {
		f.t.Fatalf("networks of %s: %v", dc, nets)
	}
	return external, externalSubnet, subnet, gateway
}

// TestRoutersHTTP_X3 drives routers over HTTP: create with a gateway,
// connect and disconnect a subnet (the interface holds its gateway IP),
// the conflicts, the list, the delete (then 404) and the errors.
func TestRoutersHTTP_X3(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAPIFixture(t, db)
		ext, extSubnet, subnet, gw := f.routerTestNets("dc1")
		_, _, farSubnet, _ := f.routerTestNets("dc2")
		base := "/v1/" + f.pa + "/routers"

		out := f.must(202, "POST", base, f.alice, map[string]any{"router": map[string]any{"name": "edge", "external_network_id": ext, "datacenter_id": "dc1"}})
		r := out["router"].(map[string]any)
		for _, k := range []string{"id", "name", "external_network_id", "status", "interfaces", "datacenter_id", "project_id", "created_at", "updated_at"} {
			if _, ok := r[k]; !ok {
				t.Errorf("router view lacks %s: %v", k, r)
			}
		}
		if r["name"] != "edge" || r["external_network_id"] != ext || r["datacenter_id"] != "dc1" || r["project_id"] != f.pa ||
			len(r["interfaces"].([]any)) != 0 || !strings.HasSuffix(r["created_at"].(string), "Z") {
			t.Fatalf("created: %v", r)
		}
		id := r["id"].(string)
		path := base + "/" + id
		f.waitFor(path, f.alice, "router", "status", "ACTIVE")

		// Connect the private subnet: the interface holds its gateway IP.
		out = f.must(200, "POST", path+"/add-interface", f.alice, map[string]any{"subnet_id": subnet})
		ifs := out["router"].(map[string]any)["interfaces"].([]any)
		if len(ifs) != 1 {
			t.Fatalf("interfaces: %v", ifs)
		}
		if i := ifs[0].(map[string]any); i["subnet_id"] != subnet || i["ip_address"] != gw || i["port_id"] == "" {
			t.Fatalf("interface: %v", i)
		}
		if got := f.must(200, "GET", path, f.alice, nil)["router"].(map[string]any); len(got["interfaces"].([]any)) != 1 {
			t.Fatalf("shown: %v", got)
		}
		// Conflicts: the same subnet twice; the gateway IP taken by another
		// router; deleting a router that has interfaces.
		f.must(409, "POST", path+"/add-interface", f.alice, map[string]any{"subnet_id": subnet})
		bobs := f.must(202, "POST", "/v1/"+f.pb+"/routers", f.bob, map[string]any{"router": map[string]any{"name": "bobs"}})["router"].(map[string]any)["id"].(string)
		f.must(409, "POST", "/v1/"+f.pb+"/routers/"+bobs+"/add-interface", f.bob, map[string]any{"subnet_id": subnet})
		f.must(409, "DELETE", path, f.alice, nil)
		// Bad subnets: external, in another datacenter, unknown, missing.
		f.volTestBad("POST", path+"/add-interface", f.alice, []struct{ body, field string }{
			{`{"subnet_id":"` + extSubnet + `"}`, "subnet_id"},
			{`{"subnet_id":"` + farSubnet + `"}`, "subnet_id"},
			{`{"subnet_id":"00000000-0000-4000-8000-000000000000"}`, "subnet_id"},
			{`{}`, "subnet_id"},
			{`{"subnet_id":"` + subnet + `","port_id":"p"}`, "port_id"},
		})

		// Disconnect: the interface is gone; twice is 400 naming subnet_id.
		out = f.must(200, "POST", path+"/remove-interface", f.alice, map[string]any{"subnet_id": subnet})
		if ifs := out["router"].(map[string]any)["interfaces"].([]any); len(ifs) != 0 {
			t.Fatalf("after remove: %v", ifs)
		}
		f.volTestBad("POST", path+"/remove-interface", f.alice, []struct{ body, field string }{
			{`{"subnet_id":"` + subnet + `"}`, "subnet_id"},
			{`{"subnet_id":7}`, "subnet_id"},
		})
		// Now bob's router may take the subnet.
		f.must(200, "POST", "/v1/"+f.pb+"/routers/"+bobs+"/add-interface", f.bob, map[string]any{"subnet_id": subnet})

		// Create errors: 400 naming the field, nothing created.
		f.volTestBad("POST", base, f.alice, []struct{ body, field string }{
			{`{"router":{}}`, "name"},
			{`{"router":{"name":""}}`, "name"},
			{`{"router":{"name":" "}}`, "name"},
			{`{"router":{"name":"r","external_network_id":"` + subnet + `"}}`, "external_network_id"},
			{`{"router":{"name":"r","external_network_id":"00000000-0000-4000-8000-000000000000"}}`, "external_network_id"},
			{`{"router":{"name":"r","datacenter_id":"dc9"}}`, "datacenter_id"},
			{`{"router":{"name":"r","routes":[]}}`, "routes"},
		})
		// A router without a gateway, in the other datacenter.
		far := f.must(202, "POST", base, f.alice, map[string]any{"router": map[string]any{"name": "inner", "datacenter_id": "dc2"}})["router"].(map[string]any)
		if far["datacenter_id"] != "dc2" || far["external_network_id"] != nil {
			t.Fatalf("router without gateway: %v", far)
		}

		// List across datacenters, the project's only.
		if n := len(f.must(200, "GET", base, f.alice, nil)["routers"].([]any)); n != 2 {
			t.Fatalf("list: %d routers, want 2", n)
		}
		dc2 := f.must(200, "GET", base+"?datacenter=dc2", f.alice, nil)["routers"].([]any)
		if len(dc2) != 1 || dc2[0].(map[string]any)["id"] != far["id"] {
			t.Fatalf("dc2 only: %v", dc2)
		}
		if n := len(f.must(200, "GET", "/v1/"+f.pb+"/routers", f.bob, nil)["routers"].([]any)); n != 1 {
			t.Fatalf("bob lists %d routers, want 1", n)
		}

		// Unknown ids 404; another project's router 404 on its own path,
		// 403 on this one.
		unknown := base + "/00000000-0000-4000-8000-000000000000"
		f.must(404, "GET", unknown, f.alice, nil)
		f.must(404, "DELETE", unknown, f.alice, nil)
		f.must(404, "POST", unknown+"/add-interface", f.alice, map[string]any{"subnet_id": subnet})
		f.must(404, "POST", unknown+"/remove-interface", f.alice, map[string]any{"subnet_id": subnet})
		bobPath := "/v1/" + f.pb + "/routers/" + id
		f.must(404, "GET", bobPath, f.bob, nil)
		f.must(404, "DELETE", bobPath, f.bob, nil)
		f.must(404, "POST", bobPath+"/add-interface", f.bob, map[string]any{"subnet_id": subnet})
		f.must(403, "GET", path, f.bob, nil)

		// Delete: 204, then 404.
		f.must(204, "DELETE", path, f.alice, nil)
		f.volTestGone(path, f.alice)
		f.must(404, "DELETE", path, f.alice, nil)
	})
}
