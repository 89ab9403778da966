package adapter

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/gisiaas/gisiaas/adapter/store"
	"github.com/gisiaas/gisiaas/adapter/store/storetest"
)

// TestNetworksHTTP_B311 proves the network list (B.3.1.1) across
// datacenters, with subnets inline, external and shared flags, pages,
// the datacenter filter, show by id, and the errors.
func TestNetworksHTTP_B311(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAPIFixture(t, db)
		base := "/v1/" + f.pa + "/networks"

		items := f.must(200, "GET", base, f.alice, nil)["networks"].([]any)
		if len(items) != 4 {
			t.Fatalf("list: %d networks, want 4 (an external and a shared one per datacenter): %v", len(items), items)
		}
		external := map[string]int{}
		for _, it := range items {
			n := it.(map[string]any)
			for _, k := range []string{"id", "name", "status", "external", "shared", "subnets", "datacenter_id", "created_at"} {
				if _, ok := n[k]; !ok {
					t.Errorf("network view lacks %s: %v", k, n)
				}
			}
			if n["status"] != "ACTIVE" || n["shared"] != true || !strings.HasSuffix(n["created_at"].(string), "Z") {
				t.Errorf("network: %v", n)
			}
			if n["external"] == true {
				external[n["datacenter_id"].(string)]++
			}
			subs := n["subnets"].([]any)
			if len(subs) != 1 {
				t.Fatalf("network %v: %d subnets, want 1", n["name"], len(subs))
			}
			sub := subs[0].(map[string]any)
			p, err := netip.ParsePrefix(fmt.Sprint(sub["cidr"]))
			gw, gerr := netip.ParseAddr(fmt.Sprint(sub["gateway_ip"]))
			if err != nil || gerr != nil || !p.Contains(gw) || sub["ip_version"] != 4.0 || sub["network_id"] != n["id"] ||
				sub["id"] == "" || sub["name"] == "" {
				t.Errorf("subnet of %v: %v", n["name"], sub)
			}
		}
		if external["dc1"] != 1 || external["dc2"] != 1 {
			t.Fatalf("external networks per datacenter: %v", external)
		}

		// Pages, the datacenter filter, bad parameters.
		seen := map[string]bool{}
		marker := ""
		for pages := 0; ; pages++ {
			q := base + "?limit=3"
			if marker != "" {
				q += "&marker=" + marker
			}
			page := f.must(200, "GET", q, f.alice, nil)["networks"].([]any)
			if len(page) == 0 {
				break
			}
			for _, it := range page {
				marker = it.(map[string]any)["id"].(string)
				seen[marker] = true
			}
			if pages > 3 {
				t.Fatal("pagination does not end")
			}
		}
		if len(seen) != 4 {
			t.Fatalf("paged %d distinct networks, want 4", len(seen))
		}
		dc2 := f.must(200, "GET", base+"?datacenter=dc2", f.alice, nil)["networks"].([]any)
		if len(dc2) != 2 || dc2[0].(map[string]any)["datacenter_id"] != "dc2" {
			t.Fatalf("dc2 only: %v", dc2)
		}
		f.must(400, "GET", base+"?limit=0", f.alice, nil)
		f.must(400, "GET", base+"?marker=00000000-0000-4000-8000-000000000000", f.alice, nil)
		f.must(400, "GET", base+"?datacenter=dc9", f.alice, nil)
		f.must(403, "GET", "/v1/"+f.pb+"/networks", f.alice, nil)

		// Show: a shared network is every project's to read.
		n := dc2[0].(map[string]any)
		id := n["id"].(string)
		got := f.must(200, "GET", base+"/"+id, f.alice, nil)["network"].(map[string]any)
		if fmt.Sprint(got) != fmt.Sprint(n) {
			t.Fatalf("show %s: %v, listed as %v", id, got, n)
		}
		if got := f.must(200, "GET", "/v1/"+f.pb+"/networks/"+id, f.bob, nil)["network"].(map[string]any); got["id"] != id {
			t.Fatalf("bob shows %s: %v", id, got)
		}
		f.must(404, "GET", base+"/"+id+"?datacenter=dc1", f.alice, nil)
		f.must(404, "GET", base+"/00000000-0000-4000-8000-000000000000", f.alice, nil)
		f.must(403, "GET", "/v1/"+f.pb+"/networks/"+id, f.alice, nil)

		// A datacenter that is down leaves the others' networks, with a Warning.
		f.sims["dc2"].SetDatacenterDown("dc2", true)
		resp, out := f.do("GET", base, f.alice, nil)
		if resp.StatusCode != 200 || len(out["networks"].([]any)) != 2 || !strings.Contains(resp.Header.Get("Warning"), "dc2") {
			t.Fatalf("dc2 down: %d %v Warning %q", resp.StatusCode, out, resp.Header.Get("Warning"))
		}
	})
}
