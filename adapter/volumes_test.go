package adapter

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/gisiaas/gisiaas/adapter/store"
	"github.com/gisiaas/gisiaas/adapter/store/storetest"
)

// volTestServer creates a server of the caller's project in dc and waits
// until it is ACTIVE; it answers the server's id.
func (f *apiFixture) volTestServer(token, project, dc, name string) string {
	f.t.Helper()
	img, net := f.simRefs(dc, project)
	base := "/v1/" + project + "/servers"
	id := f.must(202, "POST", base, token, serverBody(name, dc, img, net))["server"].(map[string]any)["id"].(string)
	f.waitFor(base+"/"+id, token, "server", "status", "ACTIVE")
	return id
}

// volTestVolume creates a volume of sizeGB in dc and waits until it is available.
func (f *apiFixture) volTestVolume(token, project, dc, name string, sizeGB int) string {
	f.t.Helper()
	base := "/v1/" + project + "/volumes"
	v := f.must(202, "POST", base, token, map[string]any{"volume": map[string]any{"name": name, "size_gb": sizeGB, "datacenter_id": dc}})
	id := v["volume"].(map[string]any)["id"].(string)
	f.waitFor(base+"/"+id, token, "volume", "status", "available")
	return id
}

// volTestGone polls GET path until it answers 404.
func (f *apiFixture) volTestGone(path, token string) {
	f.t.Helper()
	for i := 0; ; i++ {
		resp, _ := f.do("GET", path, token, nil)
		if resp.StatusCode == 404 {
			return
		}
		if i > 1000 {
			f.t.Fatalf("%s still there after delete: %d", path, resp.StatusCode)
		}
	}
}

// volTestBad posts each body to path and requires a 400 naming its field.
func (f *apiFixture) volTestBad(method, path, token string, cases []struct{ body, field string }) {
	f.t.Helper()
	for _, c := range cases {
		resp, body := f.do(method, path, token, c.body)
		if resp.StatusCode != 400 || !strings.Contains(fmt.Sprint(body["error"]), c.field) {
			f.t.Errorf("%s %s %.100s: %d %v, want 400 naming %s", method, path, c.body, resp.StatusCode, body, c.field)
		}
	}
}

// TestVolumesHTTP_B41 drives every volume operation of B.4.1 over HTTP:
// create (202, polled to available), show with host and attachments,
// attach to a server of the project (the server lists it), extend strictly
// larger, detach, delete (then 404), and the error each wrong request gets.
func TestVolumesHTTP_B41(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAPIFixture(t, db)
		srv := f.volTestServer(f.alice, f.pa, "dc1", "web-1")
		base := "/v1/" + f.pa + "/volumes"

		// Create (B.4.1.1).
		out := f.must(202, "POST", base, f.alice, map[string]any{"volume": map[string]any{"name": "data-1",
			"description": "tiles", "size_gb": 2, "volume_type": "ssd", "datacenter_id": "dc1"}})
		vol := out["volume"].(map[string]any)
		id := vol["id"].(string)
		for _, k := range []string{"id", "name", "description", "size_gb", "volume_type", "shareable", "host", "status",
			"attachments", "datacenter_id", "project_id", "created_at", "updated_at"} {
			if _, ok := vol[k]; !ok {
				t.Errorf("volume view lacks %s: %v", k, vol)
			}
		}
		if vol["name"] != "data-1" || vol["description"] != "tiles" || vol["size_gb"] != float64(2) || vol["volume_type"] != "ssd" ||
			vol["shareable"] != false || vol["datacenter_id"] != "dc1" || vol["project_id"] != f.pa ||
			!strings.HasSuffix(vol["created_at"].(string), "Z") {
			t.Fatalf("created: %v", vol)
		}
		// The simulator's transitions are instant under TestConfig, so the
		// answer may already be the final state.
		if st := vol["status"]; st != "creating" && st != "available" {
			t.Fatalf("created with status %v", st)
		}
		path := base + "/" + id
		// Show (B.4.1.3).
		got := f.waitFor(path, f.alice, "volume", "status", "available")
		if got["host"] == "" || len(got["attachments"].([]any)) != 0 {
			t.Fatalf("available volume: %v", got)
		}

		// Attach (B.4.1.4): 200 with the volume in-use, and the server lists it.
		out = f.must(200, "POST", path+"/attach", f.alice, map[string]any{"server_id": srv, "mode": "ro", "mountpoint": "/dev/vdc"})
		att := out["volume"].(map[string]any)["attachments"].([]any)
		if len(att) != 1 {
			t.Fatalf("attachments: %v", att)
		}
		if a := att[0].(map[string]any); a["server_id"] != srv || a["mountpoint"] != "/dev/vdc" || a["mode"] != "ro" ||
			!strings.HasSuffix(fmt.Sprint(a["attached_at"]), "Z") {
			t.Fatalf("attachment: %v", a)
		}
		f.waitFor(path, f.alice, "volume", "status", "in-use")
		server := f.must(200, "GET", "/v1/"+f.pa+"/servers/"+srv, f.alice, nil)["server"].(map[string]any)
		if !slices.Contains(server["volume_ids"].([]any), any(id)) {
			t.Fatalf("server volume_ids %v lack %s", server["volume_ids"], id)
		}
		// Conflicts: attached twice, in use by another server, deleted while attached.
		f.must(409, "POST", path+"/attach", f.alice, map[string]any{"server_id": srv})
		other := f.volTestServer(f.alice, f.pa, "dc1", "web-2")
		f.must(409, "POST", path+"/attach", f.alice, map[string]any{"server_id": other})
		f.must(409, "DELETE", path, f.alice, nil)

		// Extend (B.4.1.6): strictly larger, else 400; 202, then polled.
		f.volTestBad("POST", path+"/extend", f.alice, []struct{ body, field string }{
			{`{"size_gb":2}`, "size_gb"},
			{`{"size_gb":1}`, "size_gb"},
			{`{"size_gb":0}`, "size_gb"},
			{`{"size_gb":70000}`, "size_gb"},
			{`{"size_gb":"3"}`, "size_gb"},
			{`{}`, "size_gb"},
		})
		f.must(202, "POST", path+"/extend", f.alice, map[string]any{"size_gb": 5})
		if v := f.waitFor(path, f.alice, "volume", "status", "in-use"); v["size_gb"] != float64(5) {
			t.Fatalf("extended: %v", v)
		}

		// Detach (B.4.1.5): available again, and the server no longer lists it.
		out = f.must(200, "POST", path+"/detach", f.alice, map[string]any{"server_id": srv})
		if v := out["volume"].(map[string]any); len(v["attachments"].([]any)) != 0 {
			t.Fatalf("detached: %v", v)
		}
		f.waitFor(path, f.alice, "volume", "status", "available")
		server = f.must(200, "GET", "/v1/"+f.pa+"/servers/"+srv, f.alice, nil)["server"].(map[string]any)
		if slices.Contains(server["volume_ids"].([]any), any(id)) {
			t.Fatalf("server volume_ids %v still hold %s", server["volume_ids"], id)
		}
		f.must(409, "POST", path+"/detach", f.alice, map[string]any{"server_id": srv}) // not attached

		// Attach errors: bad input names the field; a server in another
		// datacenter is 400, another project's server 404.
		far := f.volTestServer(f.alice, f.pa, "dc2", "far")
		bobs := f.volTestServer(f.bob, f.pb, "dc1", "bobs")
		f.volTestBad("POST", path+"/attach", f.alice, []struct{ body, field string }{
			{`{}`, "server_id"},
			{`{"server_id":"` + srv + `","mode":"rx"}`, "mode"},
			{`{"server_id":"` + srv + `","mountpoint":"vdb"}`, "mountpoint"},
			{`{"server_id":"` + srv + `","colour":"red"}`, "colour"},
			{`{"server_id":"` + far + `"}`, "server_id"},
			{`{"server_id":"00000000-0000-4000-8000-000000000000"}`, "server_id"},
			{`{"server_id":"` + srv + `","server_name":"not-web-1"}`, "server_name"},
		})
		resp, body := f.do("POST", path+"/attach", f.alice, map[string]any{"server_id": bobs})
		// As an unknown id is: nothing tells it exists in another project.
		if resp.StatusCode != 400 || !strings.Contains(fmt.Sprint(body["error"]), "server_id") {
			t.Fatalf("attach to bob's server: %d %v, want 400 naming server_id", resp.StatusCode, body)
		}
		f.must(400, "POST", path+"/detach", f.alice, map[string]any{"server_id": bobs}) // as an unknown id
		f.volTestBad("POST", path+"/detach", f.alice, []struct{ body, field string }{{`{}`, "server_id"}, {`{"server_id":7}`, "server_id"}})

		// Create errors: 400 naming the field, nothing created.
		f.volTestBad("POST", base, f.alice, []struct{ body, field string }{
			{`{"volume":{"name":"x"}}`, "size_gb"},
			{`{"volume":{"size_gb":0}}`, "size_gb"},
			{`{"volume":{"size_gb":70000}}`, "size_gb"},
			{`{"volume":{"size_gb":1,"name":7}}`, "name"},
			{`{"volume":{"size_gb":1,"colour":"red"}}`, "colour"},
			{`{"volume":{"size_gb":1,"name":"   "}}`, "name"},
			{`{"volume":{"size_gb":1,"volume_type":"gold"}}`, "volume_type"},
			{`{"volume":{"size_gb":1,"datacenter_id":"dc9"}}`, "datacenter_id"},
			{`{"volume":{"size_gb":1,"snapshot_id":"a","image_id":"b"}}`, "snapshot_id"},
			{`{"volume":{"size_gb":1,"image_id":"00000000-0000-4000-8000-000000000000"}}`, "image_id"},
			{`{"volume":`, "malformed JSON"},
			{`[]`, "body"},
		})
		// Beyond the project's volume quota (2000 GB in the simulator): 413.
		f.must(413, "POST", base, f.alice, map[string]any{"volume": map[string]any{"size_gb": 2500}})
		if n := len(f.must(200, "GET", base, f.alice, nil)["volumes"].([]any)); n != 1 {
			t.Fatalf("after bad creates: %d volumes, want 1", n)
		}

		// Unknown ids are 404 on every route; another project's volume is
		// 404 on its own path and 403 on this one.
		unknown := base + "/00000000-0000-4000-8000-000000000000"
		f.must(404, "GET", unknown, f.alice, nil)
		f.must(404, "DELETE", unknown, f.alice, nil)
		f.must(404, "POST", unknown+"/attach", f.alice, map[string]any{"server_id": srv})
		f.must(404, "POST", unknown+"/detach", f.alice, map[string]any{"server_id": srv})
		f.must(404, "POST", unknown+"/extend", f.alice, map[string]any{"size_gb": 9})
		bobPath := "/v1/" + f.pb + "/volumes/" + id
		f.must(404, "GET", bobPath, f.bob, nil)
		f.must(404, "DELETE", bobPath, f.bob, nil)
		f.must(404, "POST", bobPath+"/extend", f.bob, map[string]any{"size_gb": 9})
		f.must(404, "POST", bobPath+"/attach", f.bob, map[string]any{"server_id": bobs})
		f.must(403, "GET", path, f.bob, nil)
		f.must(403, "GET", base, f.bob, nil)

		// Delete (B.4.1.2): 204, then 404.
		f.must(204, "DELETE", path, f.alice, nil)
		f.volTestGone(path, f.alice)
		f.must(404, "DELETE", path, f.alice, nil)
	})
}

// TestVolumeFromImageAndShareable_B411 proves the rest of B.4.1.1's input:
// a volume made from an image names it, and a shareable volume attaches
// to two servers at once.
func TestVolumeFromImageAndShareable_B411(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAPIFixture(t, db)
		img, _ := f.simRefs("dc1", f.pa)
		base := "/v1/" + f.pa + "/volumes"
		v := f.must(202, "POST", base, f.alice, map[string]any{"volume": map[string]any{"size_gb": 1, "image_id": img}})["volume"].(map[string]any)
		if v["image_id"] != img || v["datacenter_id"] != "dc1" || v["name"] != "" {
			t.Fatalf("from image: %v", v)
		}
		f.waitFor(base+"/"+v["id"].(string), f.alice, "volume", "status", "available")

		shared := f.must(202, "POST", base, f.alice, map[string]any{"volume": map[string]any{"name": "shared", "size_gb": 1, "shareable": true}})
		path := base + "/" + shared["volume"].(map[string]any)["id"].(string)
		f.waitFor(path, f.alice, "volume", "status", "available")
		a, b := f.volTestServer(f.alice, f.pa, "dc1", "a"), f.volTestServer(f.alice, f.pa, "dc1", "b")
		f.must(200, "POST", path+"/attach", f.alice, map[string]any{"server_id": a})
		out := f.must(200, "POST", path+"/attach", f.alice, map[string]any{"server_id": b})["volume"].(map[string]any)
		if out["shareable"] != true || len(out["attachments"].([]any)) != 2 || out["status"] != "in-use" {
			t.Fatalf("shared volume: %v", out)
		}
		// Detaching one server leaves it in-use by the other.
		out = f.must(200, "POST", path+"/detach", f.alice, map[string]any{"server_id": a})["volume"].(map[string]any)
		if len(out["attachments"].([]any)) != 1 || out["status"] != "in-use" {
			t.Fatalf("after one detach: %v", out)
		}
	})
}

// TestVolumesListAcrossDatacenters_B413 proves the volume list: every
// datacenter merged, paged, filtered by datacenter, the project's only.
func TestVolumesListAcrossDatacenters_B413(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAPIFixture(t, db)
		base := "/v1/" + f.pa + "/volumes"
		for i, dc := range []string{"dc1", "dc2", "dc1"} {
			f.must(202, "POST", base, f.alice, map[string]any{"volume": map[string]any{"name": fmt.Sprintf("v%d", i), "size_gb": 1, "datacenter_id": dc}})
		}
		f.must(202, "POST", "/v1/"+f.pb+"/volumes", f.bob, map[string]any{"volume": map[string]any{"size_gb": 1}})
		all := f.must(200, "GET", base, f.alice, nil)["volumes"].([]any)
		if len(all) != 3 {
			t.Fatalf("list: %d volumes, want 3", len(all))
		}
		for _, v := range all {
			if m := v.(map[string]any); m["project_id"] != f.pa || m["attachments"] == nil {
				t.Fatalf("listed %v", m)
			}
		}
		page := f.must(200, "GET", base+"?limit=2", f.alice, nil)["volumes"].([]any)
		last := page[1].(map[string]any)["id"].(string)
		rest := f.must(200, "GET", base+"?limit=2&marker="+last, f.alice, nil)["volumes"].([]any)
		if len(page) != 2 || len(rest) != 1 {
			t.Fatalf("pages: %d + %d", len(page), len(rest))
		}
		dc2 := f.must(200, "GET", base+"?datacenter=dc2", f.alice, nil)["volumes"].([]any)
		if len(dc2) != 1 || dc2[0].(map[string]any)["datacenter_id"] != "dc2" {
			t.Fatalf("dc2 only: %v", dc2)
		}
		f.must(400, "GET", base+"?datacenter=dc9", f.alice, nil)
		f.must(400, "GET", base+"?limit=0", f.alice, nil)
		if n := len(f.must(200, "GET", "/v1/"+f.pb+"/volumes", f.bob, nil)["volumes"].([]any)); n != 1 {
			t.Fatalf("bob lists %d volumes, want 1", n)
		}
	})
}

// TestVolumeIdempotencyKey proves a volume create replayed with its
// Idempotency-Key answers the first volume and makes no second one.
func TestVolumeIdempotencyKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAPIFixture(t, db)
		base := "/v1/" + f.pa + "/volumes"
		body := map[string]any{"volume": map[string]any{"name": "idem", "size_gb": 1}}
		first := f.must(202, "POST", base, f.alice, body, "Idempotency-Key", "v-1")
		resp, again := f.do("POST", base, f.alice, body, "Idempotency-Key", "v-1")
		if resp.StatusCode != 202 || resp.Header.Get("Idempotent-Replayed") != "true" ||
			again["volume"].(map[string]any)["id"] != first["volume"].(map[string]any)["id"] {
			t.Fatalf("replay: %d %v vs %v", resp.StatusCode, again, first)
		}
		if n := len(f.must(200, "GET", base, f.alice, nil)["volumes"].([]any)); n != 1 {
			t.Fatalf("%d volumes after a replay, want 1", n)
		}
	})
}
