package adapter

import (
	"strings"
	"testing"

	"github.com/gisiaas/gisiaas/adapter/store"
	"github.com/gisiaas/gisiaas/adapter/store/storetest"
)

// TestPublicIPsHTTP_B33 drives B.3.3.1–B.3.3.5 over HTTP: allocation,
// binding to a server and to a private IP (seen on the server's public
// addresses), unbinding, release, and the errors each wrong request gets.
func TestPublicIPsHTTP_B33(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAPIFixture(t, db)
		base := "/v1/" + f.pa + "/publicips"
		srv := f.ipTestServer("dc1", f.pa, f.alice, "pub-target")
		sid := srv["id"].(string)
		fixed := f.ipTestAddresses(f.pa, f.alice, sid, "private")[0]["address"].(string)

		// Create (B.3.3.1): DOWN, bound to nothing.
		pub := f.must(202, "POST", base, f.alice, map[string]any{"publicip": map[string]any{"name": "web", "datacenter_id": "dc1"}})["publicip"].(map[string]any)
		for _, k := range []string{"id", "name", "address", "status", "server_id", "private_ip", "datacenter_id", "project_id", "created_at"} {
			if _, ok := pub[k]; !ok {
				t.Errorf("public IP view lacks %s: %v", k, pub)
			}
		}
		if pub["name"] != "web" || pub["address"] == "" || pub["status"] != "DOWN" || pub["server_id"] != nil ||
			pub["private_ip"] != nil || pub["datacenter_id"] != "dc1" || !strings.HasSuffix(pub["created_at"].(string), "Z") {
			t.Fatalf("created: %v", pub)
		}
		id, addr := pub["id"].(string), pub["address"].(string)
		path := base + "/" + id
		f.waitFor(path, f.alice, "publicip", "status", "DOWN")

		// Bind (B.3.3.2) takes a server or a private IP, exactly one.
		f.wantBadRequest("POST", path+"/bind", f.alice, map[string]any{"server_id": sid, "private_ip": fixed}, "server_id", "private_ip")
		f.wantBadRequest("POST", path+"/bind", f.alice, map[string]any{}, "server_id", "private_ip")
		f.wantBadRequest("POST", path+"/bind", f.alice, map[string]any{"private_ip": "not-an-ip"}, "private_ip")
		f.wantBadRequest("POST", path+"/bind", f.alice, map[string]any{"server": sid}, "server")
		f.wantBadRequest("POST", path+"/bind", f.alice, map[string]any{"private_ip": "10.255.255.254"}, "private_ip")
		// Bob's server is not found for alice; her server in dc2 is in the wrong datacenter.
		bsrv := f.ipTestServer("dc1", f.pb, f.bob, "bob-srv")
		f.wantBadRequest("POST", path+"/bind", f.alice, map[string]any{"server_id": bsrv["id"]}, "server_id") // as an unknown id
		far := f.ipTestServer("dc2", f.pa, f.alice, "far")
		f.wantBadRequest("POST", path+"/bind", f.alice, map[string]any{"server_id": far["id"]}, "server_id", "dc2")

		got := f.must(200, "POST", path+"/bind", f.alice, map[string]any{"server_id": sid})["publicip"].(map[string]any)
		if got["status"] != "ACTIVE" || got["server_id"] != sid || got["private_ip"] != fixed || got["address"] != addr {
			t.Fatalf("bound: %v", got)
		}
		if shown := f.waitFor(path, f.alice, "publicip", "status", "ACTIVE"); shown["server_id"] != sid {
			t.Fatalf("GET after bind: %v", shown)
		}
		if pa := f.ipTestAddresses(f.pa, f.alice, sid, "public"); len(pa) != 1 || pa[0]["address"] != addr {
			t.Fatalf("server's public addresses: %v, want %s", pa, addr)
		}
		// A bound address cannot be bound again nor released.
		f.must(409, "POST", path+"/bind", f.alice, map[string]any{"server_id": sid})
		f.must(409, "DELETE", path, f.alice, nil)
		// Unbind (B.3.3.3) checks what the body names.
		f.wantBadRequest("POST", path+"/unbind", f.alice, map[string]any{"private_ip": "10.255.255.254"}, "private_ip")
		f.wantBadRequest("POST", path+"/unbind", f.alice, map[string]any{"server_id": sid, "private_ip": fixed}, "server_id", "private_ip")
		f.wantBadRequest("POST", path+"/unbind", f.alice, map[string]any{"server_id": bsrv["id"]}, "server_id") // as an unknown id

		// Unbind without a body: from whatever it is bound to.
		got = f.must(200, "POST", path+"/unbind", f.alice, nil)["publicip"].(map[string]any)
		if got["status"] != "DOWN" || got["server_id"] != nil || got["private_ip"] != nil {
			t.Fatalf("unbound: %v", got)
		}
		if pa := f.ipTestAddresses(f.pa, f.alice, sid, "public"); len(pa) != 0 {
			t.Fatalf("server keeps public addresses %v", pa)
		}
		f.must(409, "POST", path+"/unbind", f.alice, nil)

		// Bind by private IP, unbind naming it.
		got = f.must(200, "POST", path+"/bind", f.alice, map[string]any{"private_ip": fixed})["publicip"].(map[string]any)
		if got["status"] != "ACTIVE" || got["server_id"] != sid || got["private_ip"] != fixed {
			t.Fatalf("bound by private IP: %v", got)
		}
		if pa := f.ipTestAddresses(f.pa, f.alice, sid, "public"); len(pa) != 1 || pa[0]["address"] != addr {
			t.Fatalf("server's public addresses: %v", pa)
		}
		got = f.must(200, "POST", path+"/unbind", f.alice, map[string]any{"private_ip": fixed})["publicip"].(map[string]any)
		if got["status"] != "DOWN" {
			t.Fatalf("unbound by private IP: %v", got)
		}

		// Bad creates.
		f.wantBadRequest("POST", base, f.alice, map[string]any{"publicip": map[string]any{"name": "x", "size": 1}}, "size")
		f.wantBadRequest("POST", base, f.alice, map[string]any{"publicip": map[string]any{"name": "   "}}, "name")
		f.wantBadRequest("POST", base, f.alice, map[string]any{"publicip": map[string]any{"datacenter_id": "dc9"}}, "datacenter_id")
		f.wantBadRequest("POST", base, f.alice, map[string]any{}, "publicip")

		// List (B.3.3.4): alice's one, none for bob.
		list := f.must(200, "GET", base, f.alice, nil)["publicips"].([]any)
		if len(list) != 1 || list[0].(map[string]any)["id"] != id {
			t.Fatalf("list: %v", list)
		}
		if n := len(f.must(200, "GET", "/v1/"+f.pb+"/publicips", f.bob, nil)["publicips"].([]any)); n != 0 {
			t.Fatalf("bob lists %d", n)
		}
		f.must(400, "GET", base+"?datacenter=dc9", f.alice, nil)

		// Other projects.
		f.must(403, "GET", base, f.bob, nil)
		f.must(403, "POST", path+"/bind", f.bob, map[string]any{"server_id": bsrv["id"]})
		f.must(404, "GET", "/v1/"+f.pb+"/publicips/"+id, f.bob, nil)
		f.must(404, "POST", "/v1/"+f.pb+"/publicips/"+id+"/bind", f.bob, map[string]any{"server_id": bsrv["id"]})
		f.must(404, "POST", "/v1/"+f.pb+"/publicips/"+id+"/unbind", f.bob, nil)
		f.must(404, "DELETE", "/v1/"+f.pb+"/publicips/"+id, f.bob, nil)
		unknown := base + "/00000000-0000-4000-8000-000000000000"
		f.must(404, "GET", unknown, f.alice, nil)
		f.must(404, "POST", unknown+"/bind", f.alice, map[string]any{"server_id": sid})

		// Delete (B.3.3.5).
		f.must(204, "DELETE", path, f.alice, nil)
		f.must(404, "GET", path, f.alice, nil)
		f.must(404, "DELETE", path, f.alice, nil)
	})
}
