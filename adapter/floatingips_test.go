package adapter

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/gisiaas/gisiaas/adapter/store"
	"github.com/gisiaas/gisiaas/adapter/store/storetest"
	"github.com/gisiaas/gisiaas/core"
)

// ipTestServer creates a server of project (token's) in dc with the
// security groups given, waits until it is ACTIVE and returns its view.
func (f *apiFixture) ipTestServer(dc, project, token, name string, groups ...string) map[string]any {
	f.t.Helper()
	img, net := f.simRefs(dc, project)
	body := serverBody(name, dc, img, net)
	if len(groups) > 0 {
		body["server"].(map[string]any)["security_group_ids"] = groups
	}
	id := f.must(202, "POST", "/v1/"+project+"/servers", token, body)["server"].(map[string]any)["id"].(string)
	return f.waitFor("/v1/"+project+"/servers/"+id, token, "server", "status", "ACTIVE")
}

// ipTestAddresses returns the addresses of kind (private, floating,
// public) of server id, as GET shows them now.
func (f *apiFixture) ipTestAddresses(project, token, id, kind string) []map[string]any {
	f.t.Helper()
	srv := f.must(200, "GET", "/v1/"+project+"/servers/"+id, token, nil)["server"].(map[string]any)
	var out []map[string]any
	for _, a := range srv["addresses"].(map[string]any)[kind].([]any) {
		out = append(out, a.(map[string]any))
	}
	return out
}

// ipTestExternalNet returns the id of dc's external network.
func (f *apiFixture) ipTestExternalNet(dc string) string {
	f.t.Helper()
	nets, err := f.sims[dc].ListNetworks(context.Background(), core.ListOptions{DatacenterID: dc})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, n := range nets {
		if n.External {
			return n.ID
		}
	}
	f.t.Fatalf("no external network in %s", dc)
	return ""
}

// wantBadRequest requires a 400 whose message names every one of fields.
func (f *apiFixture) wantBadRequest(method, path, token string, body any, fields ...string) {
	f.t.Helper()
	resp, out := f.do(method, path, token, body)
	msg := fmt.Sprint(out["error"])
	if resp.StatusCode != 400 {
		f.t.Errorf("%s %s %v: %d %v, want 400", method, path, body, resp.StatusCode, out)
		return
	}
	for _, field := range fields {
		if !strings.Contains(msg, field) {
			f.t.Errorf("%s %s %v: %s does not name %s", method, path, body, msg, field)
		}
	}
}

// TestFloatingIPsHTTP_B32 drives B.3.2.1–B.3.2.4 over HTTP: allocation,
// association with a server's port (seen on the floating IP's port details
// and on the server's floating addresses), dissociation, the list, release,
// and the errors each wrong request gets.
func TestFloatingIPsHTTP_B32(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAPIFixture(t, db)
		base := "/v1/" + f.pa + "/floatingips"
		ext := f.ipTestExternalNet("dc1")
		srv := f.ipTestServer("dc1", f.pa, f.alice, "fip-target")
		sid := srv["id"].(string)
		priv := f.ipTestAddresses(f.pa, f.alice, sid, "private")[0]
		port, fixed := priv["port_id"].(string), priv["address"].(string)

		// Create (B.3.2.1), unassociated: DOWN, the port fields null.
		fip := f.must(202, "POST", base, f.alice, map[string]any{"floatingip": map[string]any{
			"floating_network_id": ext, "datacenter_id": "dc1"}})["floatingip"].(map[string]any)
		for _, k := range []string{"id", "floating_network_id", "floating_ip_address", "port_id", "fixed_ip_address", "port_details", "server_id", "status", "datacenter_id", "project_id", "created_at"} {
			if _, ok := fip[k]; !ok {
				t.Errorf("floating IP view lacks %s: %v", k, fip)
			}
		}
		if fip["floating_network_id"] != ext || fip["floating_ip_address"] == "" || fip["status"] != "DOWN" ||
			fip["port_id"] != nil || fip["port_details"] != nil || fip["datacenter_id"] != "dc1" ||
			fip["project_id"] != f.pa || !strings.HasSuffix(fip["created_at"].(string), "Z") {
			t.Fatalf("created: %v", fip)
		}
		id, addr := fip["id"].(string), fip["floating_ip_address"].(string)
		path := base + "/" + id
		f.waitFor(path, f.alice, "floatingip", "status", "DOWN")

		// Associate (B.3.2.3): the floating IP shows the port, the server
		// shows the floating address.
		out := f.must(200, "PUT", path, f.alice, map[string]any{"floatingip": map[string]any{"port_id": port, "fixed_ip_address": fixed}})
		got := out["floatingip"].(map[string]any)
		pd, _ := got["port_details"].(map[string]any)
		if got["status"] != "ACTIVE" || got["port_id"] != port || got["fixed_ip_address"] != fixed || got["server_id"] != sid ||
			pd == nil || pd["device_id"] != sid || pd["mac_address"] == "" || pd["network_id"] != priv["network_id"] {
			t.Fatalf("associated: %v", got)
		}
		if shown := f.must(200, "GET", path, f.alice, nil)["floatingip"].(map[string]any); shown["port_id"] != port || shown["server_id"] != sid {
			t.Fatalf("GET after associate: %v", shown)
		}
		if fl := f.ipTestAddresses(f.pa, f.alice, sid, "floating"); len(fl) != 1 || fl[0]["address"] != addr || fl[0]["port_id"] != port {
			t.Fatalf("server's floating addresses: %v, want %s", fl, addr)
		}

		// A second floating IP, created onto the same port: 409.
		f.must(409, "POST", base, f.alice, map[string]any{"floatingip": map[string]any{"floating_network_id": ext, "port_id": port, "datacenter_id": "dc1"}})
		other := f.must(202, "POST", base, f.alice, map[string]any{"floatingip": map[string]any{"floating_network_id": ext, "datacenter_id": "dc1"}})["floatingip"].(map[string]any)
		f.must(409, "PUT", base+"/"+other["id"].(string), f.alice, map[string]any{"floatingip": map[string]any{"port_id": port}})

		// Dissociate with port_id null.
		got = f.must(200, "PUT", path, f.alice, map[string]any{"floatingip": map[string]any{"port_id": nil}})["floatingip"].(map[string]any)
		if got["status"] != "DOWN" || got["port_id"] != nil || got["fixed_ip_address"] != nil || got["port_details"] != nil || got["server_id"] != nil {
			t.Fatalf("dissociated: %v", got)
		}
		if fl := f.ipTestAddresses(f.pa, f.alice, sid, "floating"); len(fl) != 0 {
			t.Fatalf("server keeps floating addresses %v", fl)
		}
		// Now the other one can take the port.
		got = f.must(200, "PUT", base+"/"+other["id"].(string), f.alice, map[string]any{"floatingip": map[string]any{"port_id": port}})["floatingip"].(map[string]any)
		if got["status"] != "ACTIVE" || got["fixed_ip_address"] != fixed {
			t.Fatalf("other associated: %v", got)
		}

		// Bad input: 400 naming the field, nothing changed.
		f.wantBadRequest("POST", base, f.alice, map[string]any{"floatingip": map[string]any{"datacenter_id": "dc1"}}, "floating_network_id")
		f.wantBadRequest("POST", base, f.alice, map[string]any{"floatingip": map[string]any{"floating_network_id": ext, "colour": "red"}}, "colour")
		f.wantBadRequest("POST", base, f.alice, map[string]any{"floatingip": map[string]any{"floating_network_id": ext, "fixed_ip_address": "10.0.0.9"}}, "fixed_ip_address")
		f.wantBadRequest("POST", base, f.alice, map[string]any{"floatingip": map[string]any{"floating_network_id": ext, "floating_ip_address": "not-an-ip"}}, "floating_ip_address")
		f.wantBadRequest("POST", base, f.alice, map[string]any{"floatingip": map[string]any{"floating_network_id": ext, "datacenter_id": "dc9"}}, "datacenter_id")
		f.wantBadRequest("POST", base, f.alice, map[string]any{"floatingip": map[string]any{"floating_network_id": "no-such-net", "datacenter_id": "dc1"}}, "floating_network_id")
		f.wantBadRequest("PUT", path, f.alice, map[string]any{"floatingip": map[string]any{}}, "port_id")
		f.wantBadRequest("PUT", path, f.alice, map[string]any{"floatingip": map[string]any{"port_id": 7}}, "port_id")
		f.wantBadRequest("PUT", path, f.alice, map[string]any{"floatingip": map[string]any{"port_id": nil, "fixed_ip_address": fixed}}, "fixed_ip_address")
		f.wantBadRequest("PUT", path, f.alice, map[string]any{"floatingip": map[string]any{"port_id": port, "fixed_ip_address": "10.9.9.9%eth0"}}, "fixed_ip_address")
		f.wantBadRequest("PUT", path, f.alice, map[string]any{"floatingip": map[string]any{"port_id": "no-such-port"}}, "port_id")
		f.wantBadRequest("PUT", path, f.alice, `{"floatingip":`, "malformed JSON")

		// Bob's port is not alice's to map to. Ports are not registered, so
		// the driver refuses it (400 naming port_id); it must not be mapped.
		bsrv := f.ipTestServer("dc1", f.pb, f.bob, "bob-srv")
		bport := f.ipTestAddresses(f.pb, f.bob, bsrv["id"].(string), "private")[0]["port_id"].(string)
		if resp, body := f.do("PUT", path, f.alice, map[string]any{"floatingip": map[string]any{"port_id": bport}}); resp.StatusCode != 400 && resp.StatusCode != 404 {
			t.Fatalf("alice maps to bob's port: %d %v", resp.StatusCode, body)
		}

		// List (B.3.2.4): alice's two, none for bob, none in dc2.
		if n := len(f.must(200, "GET", base, f.alice, nil)["floatingips"].([]any)); n != 2 {
			t.Fatalf("list: %d, want 2", n)
		}
		if n := len(f.must(200, "GET", base+"?datacenter=dc2", f.alice, nil)["floatingips"].([]any)); n != 0 {
			t.Fatalf("dc2: %d, want 0", n)
		}
		if n := len(f.must(200, "GET", "/v1/"+f.pb+"/floatingips", f.bob, nil)["floatingips"].([]any)); n != 0 {
			t.Fatalf("bob lists %d", n)
		}
		page := f.must(200, "GET", base+"?limit=1", f.alice, nil)["floatingips"].([]any)
		if len(page) != 1 || page[0].(map[string]any)["id"] != id {
			t.Fatalf("first page: %v", page)
		}

		// Other projects: bob on alice's path is 403, alice's id on bob's path 404.
		f.must(403, "GET", base, f.bob, nil)
		f.must(403, "POST", base, f.bob, map[string]any{"floatingip": map[string]any{"floating_network_id": ext}})
		for _, m := range []string{"GET", "DELETE"} {
			f.must(404, m, "/v1/"+f.pb+"/floatingips/"+id, f.bob, nil)
		}
		f.must(404, "PUT", "/v1/"+f.pb+"/floatingips/"+id, f.bob, map[string]any{"floatingip": map[string]any{"port_id": nil}})
		unknown := base + "/00000000-0000-4000-8000-000000000000"
		f.must(404, "GET", unknown, f.alice, nil)
		f.must(404, "PUT", unknown, f.alice, map[string]any{"floatingip": map[string]any{"port_id": nil}})
		f.must(404, "DELETE", unknown, f.alice, nil)

		// Delete (B.3.2.2): an associated one is dissociated first.
		f.must(204, "DELETE", base+"/"+other["id"].(string), f.alice, nil)
		f.must(404, "GET", base+"/"+other["id"].(string), f.alice, nil)
		if fl := f.ipTestAddresses(f.pa, f.alice, sid, "floating"); len(fl) != 0 {
			t.Fatalf("server keeps a released floating address: %v", fl)
		}
		f.must(204, "DELETE", path, f.alice, nil)
		f.must(404, "GET", path, f.alice, nil)
		f.must(404, "DELETE", path, f.alice, nil)
	})
}

// TestFloatingIPCreateAssociated_B321 proves a floating IP created with a
// port is ACTIVE on it at once, and that the create is idempotent by key.
func TestFloatingIPCreateAssociated_B321(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAPIFixture(t, db)
		base := "/v1/" + f.pa + "/floatingips"
		ext := f.ipTestExternalNet("dc2")
		srv := f.ipTestServer("dc2", f.pa, f.alice, "fip-dc2")
		port := f.ipTestAddresses(f.pa, f.alice, srv["id"].(string), "private")[0]["port_id"].(string)
		body := map[string]any{"floatingip": map[string]any{"floating_network_id": ext, "port_id": port, "datacenter_id": "dc2"}}
		fip := f.must(202, "POST", base, f.alice, body, "Idempotency-Key", "fip-1")["floatingip"].(map[string]any)
		if fip["status"] != "ACTIVE" || fip["port_id"] != port || fip["server_id"] != srv["id"] || fip["datacenter_id"] != "dc2" {
			t.Fatalf("created associated: %v", fip)
		}
		again := f.must(202, "POST", base, f.alice, body, "Idempotency-Key", "fip-1")["floatingip"].(map[string]any)
		if again["id"] != fip["id"] {
			t.Fatalf("replay made %v, first %v", again["id"], fip["id"])
		}
		if fl := f.ipTestAddresses(f.pa, f.alice, srv["id"].(string), "floating"); len(fl) != 1 || fl[0]["address"] != fip["floating_ip_address"] {
			t.Fatalf("server's floating addresses: %v", fl)
		}
		// A port of dc2 with a floating IP created in dc1: 400.
		f.wantBadRequest("POST", base, f.alice, map[string]any{"floatingip": map[string]any{
			"floating_network_id": f.ipTestExternalNet("dc1"), "port_id": port, "datacenter_id": "dc1"}}, "port_id")
	})
}
