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

// simRefs returns a public image and a private network of project in dc.
func (f *apiFixture) simRefs(dc, project string) (image, network string) {
	f.t.Helper()
	ctx := context.Background()
	all, err := f.sims[dc].ListImages(ctx, core.ListOptions{DatacenterID: dc})
	var imgs []core.Image
	for _, im := range all {
		if im.Visibility == core.VisibilityPublic && im.Status == core.ImageActive {
			imgs = append(imgs, im)
		}
	}
	if err != nil || len(imgs) == 0 {
		f.t.Fatalf("images: %v %v", all, err)
	}
	nets, err := f.sims[dc].ListNetworks(ctx, core.ListOptions{ProjectID: project, DatacenterID: dc})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, im := range imgs {
		if im.MinRAMMB < imgs[0].MinRAMMB {
			imgs[0] = im // the smallest fits m1.tiny
		}
	}
	for _, n := range nets {
		if !n.External {
			return imgs[0].ID, n.ID
		}
	}
	f.t.Fatalf("no private network in %s: %v", dc, nets)
	return "", ""
}

func serverBody(name, dc, image, network string) map[string]any {
	return map[string]any{"server": map[string]any{"name": name, "flavor_id": "m1.tiny", "image_id": image,
		"networks": []any{map[string]any{"network_id": network}}, "datacenter_id": dc}}
}

// TestServersHTTP_B21 drives every server operation of B.2.1 over HTTP:
// 202 and polling, the normalized states, the actions, the view's fields,
// and the errors each wrong request gets.
func TestServersHTTP_B21(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAPIFixture(t, db)
		img, net := f.simRefs("dc1", f.pa)
		base := "/v1/" + f.pa + "/servers"

		out := f.must(202, "POST", base, f.alice, serverBody("web-1", "dc1", img, net))
		srv := out["server"].(map[string]any)
		id := srv["id"].(string)
		for _, k := range []string{"id", "name", "description", "flavor_id", "image_id", "volume_ids", "addresses", "status", "security_groups", "created_at", "datacenter_id", "host"} {
			if _, ok := srv[k]; !ok {
				t.Errorf("server view lacks %s: %v", k, srv)
			}
		}
		if srv["datacenter_id"] != "dc1" || srv["name"] != "web-1" || !strings.HasSuffix(srv["created_at"].(string), "Z") {
			t.Fatalf("created: %v", srv)
		}
		path := base + "/" + id
		got := f.waitFor(path, f.alice, "server", "status", "ACTIVE")
		priv := got["addresses"].(map[string]any)["private"].([]any)
		if len(priv) != 1 || priv[0].(map[string]any)["network_id"] != net {
			t.Fatalf("addresses: %v", got["addresses"])
		}

		// Update (B.2.1.4).
		out = f.must(200, "PUT", path, f.alice, map[string]any{"server": map[string]any{"name": "web-one", "description": "tiles"}})
		if s := out["server"].(map[string]any); s["name"] != "web-one" || s["description"] != "tiles" {
			t.Fatalf("update: %v", s)
		}
		// Stop, start, reboot (B.2.1.5–7).
		f.must(202, "POST", path+"/stop", f.alice, nil)
		f.waitFor(path, f.alice, "server", "status", "SHUTOFF")
		f.must(409, "POST", path+"/stop", f.alice, nil) // already stopped
		f.must(202, "POST", path+"/start", f.alice, nil)
		f.waitFor(path, f.alice, "server", "status", "ACTIVE")
		f.must(202, "POST", path+"/reboot", f.alice, map[string]any{"type": "HARD"})
		f.waitFor(path, f.alice, "server", "status", "ACTIVE")
		f.must(202, "POST", path+"/reboot", f.alice, nil) // SOFT by default
		f.waitFor(path, f.alice, "server", "status", "ACTIVE")
		// Live-migrate (B.2.1.9) to the other host.
		host := got["host"].(string)
		other := map[string]string{"dc1-h1": "dc1-h2", "dc1-h2": "dc1-h1"}[host]
		f.must(202, "POST", path+"/live-migrate", f.alice, map[string]any{"host": other})
		if s := f.waitFor(path, f.alice, "server", "status", "ACTIVE"); s["host"] != other {
			t.Fatalf("migrated to %v, want %s", s["host"], other)
		}
		f.must(400, "POST", path+"/live-migrate", f.alice, map[string]any{"host": "nowhere"})
		// Resize (B.2.1.10) with confirmation.
		f.must(202, "POST", path+"/resize", f.alice, map[string]any{"flavor_id": "m1.small"})
		f.waitFor(path, f.alice, "server", "status", "VERIFY_RESIZE")
		f.must(202, "POST", path+"/confirm-resize", f.alice, nil)
		if s := f.waitFor(path, f.alice, "server", "status", "ACTIVE"); s["flavor_id"] != "m1.small" {
			t.Fatalf("resized: %v", s)
		}

		// Bad input: 400 naming the field, nothing created.
		bad := []struct{ body, field string }{
			{`{"server":`, "malformed JSON"},
			{`{"server":{"name":"x","flavor_id":"m1.tiny","image_id":"` + img + `","colour":"red"}}`, "colour"},
			{`{"server":{"name":"x","image_id":"` + img + `"}}`, "flavor_id"},
			{`{"server":{"name":7,"flavor_id":"m1.tiny"}}`, "name"},
			{`{"server":{"name":"x","flavor_id":"m1.tiny"}}`, "image_id"},
			{`{"server":{"name":"x","flavor_id":"m1.tiny","image_id":"` + img + `","networks":[{"network_id":"` + net + `","fixed_ip":"10.0.0.1%eth0"}]}}`, "fixed_ip"},
			{`{"server":{"name":"x","flavor_id":"m1.tiny","image_id":"` + img + `","user_data":"***"}}`, "user_data"},
			{`{"server":{"name":"x","flavor_id":"m1.tiny","image_id":"` + img + `","datacenter_id":"dc9"}}`, "datacenter_id"},
			{`[]`, "body"},
			{`{"server":{"name":"x","flavor_id":"m1.tiny","image_id":"` + img + `"}} {}`, "after the JSON"},
			{`{"server":{"name":"` + strings.Repeat("x", 2<<20) + `","flavor_id":"m1.tiny"}}`, "larger than"},
		}
		for _, c := range bad {
			resp, body := f.do("POST", base, f.alice, c.body)
			if resp.StatusCode != 400 || !strings.Contains(fmt.Sprint(body["error"]), c.field) {
				t.Errorf("%.80s: %d %v, want 400 naming %s", c.body, resp.StatusCode, body, c.field)
			}
		}
		f.must(400, "POST", path+"/reboot", f.alice, map[string]any{"type": "GENTLE"})
		f.must(400, "PUT", path, f.alice, map[string]any{"server": map[string]any{}})
		f.must(400, "POST", base, f.alice, map[string]any{"server": map[string]any{"name": "x", "flavor_id": "m9.huge", "image_id": img}})
		f.must(404, "GET", base+"/00000000-0000-4000-8000-000000000000", f.alice, nil)
		if n := len(f.must(200, "GET", base, f.alice, nil)["servers"].([]any)); n != 1 {
			t.Fatalf("after bad creates: %d servers, want 1", n)
		}

		// Delete (B.2.1.2): 204, then 404.
		f.must(204, "DELETE", path, f.alice, nil)
		deadline := 0
		for {
			resp, _ := f.do("GET", path, f.alice, nil)
			if resp.StatusCode == 404 {
				break
			}
			if deadline++; deadline > 1000 {
				t.Fatalf("server still there after delete: %d", resp.StatusCode)
			}
		}
	})
}

// TestServersListAcrossDatacenters_B218 proves the fan-out: a list merges
// every datacenter, pages with limit and marker, filters by datacenter,
// and a datacenter that is down leaves a partial list with a Warning.
func TestServersListAcrossDatacenters_B218(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAPIFixture(t, db)
		base := "/v1/" + f.pa + "/servers"
		want := map[string]bool{}
		for i, dc := range []string{"dc1", "dc2", "dc1", "dc2", "dc1"} {
			img, net := f.simRefs(dc, f.pa)
			s := f.must(202, "POST", base, f.alice, serverBody(fmt.Sprintf("s%d", i), dc, img, net))["server"].(map[string]any)
			want[s["id"].(string)] = true
		}
		all := f.must(200, "GET", base, f.alice, nil)["servers"].([]any)
		if len(all) != 5 {
			t.Fatalf("list: %d servers, want 5", len(all))
		}
		var paged []string
		marker := ""
		for pages := 0; ; pages++ {
			q := base + "?limit=2"
			if marker != "" {
				q += "&marker=" + marker
			}
			page := f.must(200, "GET", q, f.alice, nil)["servers"].([]any)
			if len(page) == 0 {
				break
			}
			for _, s := range page {
				marker = s.(map[string]any)["id"].(string)
				paged = append(paged, marker)
			}
			if pages > 5 {
				t.Fatal("pagination does not end")
			}
		}
		if len(paged) != 5 {
			t.Fatalf("paged %v", paged)
		}
		for _, id := range paged {
			if !want[id] {
				t.Fatalf("paged an unknown id %s", id)
			}
			delete(want, id)
		}
		if n := len(f.must(200, "GET", base+"?datacenter=dc2", f.alice, nil)["servers"].([]any)); n != 2 {
			t.Fatalf("dc2 only: %d, want 2", n)
		}
		if msg := f.must(400, "GET", base+"?limit=0", f.alice, nil)["error"].(map[string]any)["message"].(string); !strings.HasPrefix(msg, "limit:") {
			t.Fatalf("limit=0: %q does not name limit", msg)
		}
		f.must(400, "GET", base+"?limit=abc", f.alice, nil)
		f.must(400, "GET", base+"?marker=00000000-0000-4000-8000-000000000000", f.alice, nil)
		f.must(400, "GET", base+"?datacenter=dc9", f.alice, nil)
		// Bob sees none of them.
		if n := len(f.must(200, "GET", "/v1/"+f.pb+"/servers", f.bob, nil)["servers"].([]any)); n != 0 {
			t.Fatalf("bob sees %d servers", n)
		}

		f.sims["dc2"].SetDatacenterDown("dc2", true)
		resp, out := f.do("GET", base, f.alice, nil)
		if resp.StatusCode != 200 || len(out["servers"].([]any)) != 3 || !strings.Contains(resp.Header.Get("Warning"), "dc2") {
			t.Fatalf("dc2 down: %d, %d servers, Warning %q", resp.StatusCode, len(out["servers"].([]any)), resp.Header.Get("Warning"))
		}
		resp, _ = f.do("GET", base+"?datacenter=dc2", f.alice, nil)
		if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("only dc2, down: %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	})
}

// TestServerIdempotencyKey proves that the same Idempotency-Key and body
// answer the first answer without creating twice, and that a key reused
// with another body is refused.
func TestServerIdempotencyKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAPIFixture(t, db)
		img, net := f.simRefs("dc1", f.pa)
		base := "/v1/" + f.pa + "/servers"
		first := f.must(202, "POST", base, f.alice, serverBody("idem", "dc1", img, net), "Idempotency-Key", "k-1")
		resp, again := f.do("POST", base, f.alice, serverBody("idem", "dc1", img, net), "Idempotency-Key", "k-1")
		if resp.StatusCode != 202 || resp.Header.Get("Idempotent-Replayed") != "true" ||
			again["server"].(map[string]any)["id"] != first["server"].(map[string]any)["id"] {
			t.Fatalf("replay: %d %v vs %v", resp.StatusCode, again, first)
		}
		f.must(409, "POST", base, f.alice, serverBody("other", "dc1", img, net), "Idempotency-Key", "k-1")
		// The key is the project's: bob's k-1 is his own.
		bimg, bnet := f.simRefs("dc1", f.pb)
		f.must(202, "POST", "/v1/"+f.pb+"/servers", f.bob, serverBody("idem", "dc1", bimg, bnet), "Idempotency-Key", "k-1")
		// A refusal is replayed as the same refusal.
		badBody := map[string]any{"server": map[string]any{"name": "x", "flavor_id": "m9.huge", "image_id": img}}
		f.must(400, "POST", base, f.alice, badBody, "Idempotency-Key", "k-2")
		resp, _ = f.do("POST", base, f.alice, badBody, "Idempotency-Key", "k-2")
		if resp.StatusCode != 400 || resp.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replayed refusal: %d %q", resp.StatusCode, resp.Header.Get("Idempotent-Replayed"))
		}
		if n := len(f.must(200, "GET", base, f.alice, nil)["servers"].([]any)); n != 1 {
			t.Fatalf("%d servers after replays, want 1", n)
		}
		f.must(400, "POST", base, f.alice, serverBody("idem", "dc1", img, net), "Idempotency-Key", strings.Repeat("k", 300))
	})
}
