package adapter

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/gisiaas/gisiaas/adapter/store"
	"github.com/gisiaas/gisiaas/adapter/store/storetest"
	"github.com/gisiaas/gisiaas/core"
)

// TestVolumeSnapshotsHTTP_X1 drives volume snapshots over HTTP: made in
// the volume's datacenter (202, polled to available), an in-use volume only
// with force, a volume made from one, a volume with one not deletable, the
// list, the delete (then 404) and the errors.
func TestVolumeSnapshotsHTTP_X1(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAPIFixture(t, db)
		// The volume is in dc2, not the default datacenter: the snapshot
		// must follow it without being told.
		vol := f.volTestVolume(f.alice, f.pa, "dc2", "data", 3)
		base := "/v1/" + f.pa + "/volume-snapshots"

		out := f.must(202, "POST", base, f.alice, map[string]any{"snapshot": map[string]any{"volume_id": vol, "name": "s1", "description": "before"}})
		sn := out["snapshot"].(map[string]any)
		id := sn["id"].(string)
		for _, k := range []string{"id", "name", "description", "volume_id", "size_gb", "status", "datacenter_id", "project_id", "created_at", "updated_at"} {
			if _, ok := sn[k]; !ok {
				t.Errorf("snapshot view lacks %s: %v", k, sn)
			}
		}
		if sn["volume_id"] != vol || sn["name"] != "s1" || sn["description"] != "before" || sn["size_gb"] != float64(3) ||
			sn["datacenter_id"] != "dc2" || sn["project_id"] != f.pa || !strings.HasSuffix(sn["created_at"].(string), "Z") {
			t.Fatalf("created: %v", sn)
		}
		path := base + "/" + id
		f.waitFor(path, f.alice, "snapshot", "status", "available")

		// A volume from the snapshot lands beside it, and names it.
		vbase := "/v1/" + f.pa + "/volumes"
		resp, body := f.do("POST", vbase, f.alice, map[string]any{"volume": map[string]any{"size_gb": 2, "snapshot_id": id}})
		if resp.StatusCode != 400 || !strings.Contains(fmt.Sprint(body["error"]), "size_gb") {
			t.Fatalf("volume smaller than its snapshot: %d %v", resp.StatusCode, body)
		}
		nv := f.must(202, "POST", vbase, f.alice, map[string]any{"volume": map[string]any{"size_gb": 4, "snapshot_id": id}})["volume"].(map[string]any)
		if nv["snapshot_id"] != id || nv["datacenter_id"] != "dc2" || nv["size_gb"] != float64(4) {
			t.Fatalf("volume from snapshot: %v", nv)
		}
		resp, body = f.do("POST", vbase, f.alice, map[string]any{"volume": map[string]any{"size_gb": 4, "snapshot_id": id, "datacenter_id": "dc1"}})
		if resp.StatusCode != 400 || !strings.Contains(fmt.Sprint(body["error"]), "snapshot_id") {
			t.Fatalf("volume from a snapshot of another datacenter: %d %v", resp.StatusCode, body)
		}
		// A volume with a snapshot cannot be deleted.
		f.must(409, "DELETE", vbase+"/"+vol, f.alice, nil)

		// An in-use volume needs force.
		srv := f.volTestServer(f.alice, f.pa, "dc2", "db")
		f.must(200, "POST", vbase+"/"+vol+"/attach", f.alice, map[string]any{"server_id": srv})
		f.must(409, "POST", base, f.alice, map[string]any{"snapshot": map[string]any{"volume_id": vol}})
		forced := f.must(202, "POST", base, f.alice, map[string]any{"snapshot": map[string]any{"volume_id": vol, "force": true}})
		fid := forced["snapshot"].(map[string]any)["id"].(string)
		f.waitFor(base+"/"+fid, f.alice, "snapshot", "status", "available")

		// List: the project's snapshots, by datacenter.
		all := f.must(200, "GET", base, f.alice, nil)["snapshots"].([]any)
		var ids []string
		for _, s := range all {
			ids = append(ids, s.(map[string]any)["id"].(string))
		}
		if len(ids) != 2 || !slices.Contains(ids, id) || !slices.Contains(ids, fid) {
			t.Fatalf("list: %v", ids)
		}
		if n := len(f.must(200, "GET", base+"?datacenter=dc1", f.alice, nil)["snapshots"].([]any)); n != 0 {
			t.Fatalf("dc1 lists %d snapshots, want 0", n)
		}
		if n := len(f.must(200, "GET", base+"?limit=1", f.alice, nil)["snapshots"].([]any)); n != 1 {
			t.Fatalf("limit=1 lists %d", n)
		}
		if n := len(f.must(200, "GET", "/v1/"+f.pb+"/volume-snapshots", f.bob, nil)["snapshots"].([]any)); n != 0 {
			t.Fatalf("bob lists %d snapshots", n)
		}

		// Bad input names the field; another project's volume is 404.
		f.volTestBad("POST", base, f.alice, []struct{ body, field string }{
			{`{"snapshot":{}}`, "volume_id"},
			{`{"snapshot":{"volume_id":""}}`, "volume_id"},
			{`{"snapshot":{"volume_id":"` + vol + `","force":"yes"}}`, "force"},
			{`{"snapshot":{"volume_id":"` + vol + `","colour":"red"}}`, "colour"},
			{`{"snapshot":{"volume_id":"` + vol + `","name":"\t"}}`, "name"},
			{`{"snapshot":{"volume_id":"00000000-0000-4000-8000-000000000000"}}`, "volume_id"},
			{`{"volume_snapshot":{"volume_id":"` + vol + `"}}`, "snapshot"},
		})
		bvol := f.volTestVolume(f.bob, f.pb, "dc1", "bobs", 1)
		resp, body = f.do("POST", base, f.alice, map[string]any{"snapshot": map[string]any{"volume_id": bvol}})
		// As an unknown id is: nothing tells it exists in another project.
		if resp.StatusCode != 400 || !strings.Contains(fmt.Sprint(body["error"]), "volume_id") {
			t.Fatalf("snapshot of bob's volume: %d %v, want 400 naming volume_id", resp.StatusCode, body)
		}
		resp, body = f.do("POST", "/v1/"+f.pb+"/volumes", f.bob, map[string]any{"volume": map[string]any{"size_gb": 3, "snapshot_id": id}})
		if resp.StatusCode != 400 || !strings.Contains(fmt.Sprint(body["error"]), "snapshot_id") {
			t.Fatalf("bob's volume from alice's snapshot: %d %v, want 400 naming snapshot_id (as an unknown id)", resp.StatusCode, body)
		}
		f.must(404, "GET", base+"/00000000-0000-4000-8000-000000000000", f.alice, nil)
		f.must(404, "DELETE", base+"/00000000-0000-4000-8000-000000000000", f.alice, nil)
		f.must(404, "GET", "/v1/"+f.pb+"/volume-snapshots/"+id, f.bob, nil)
		f.must(404, "DELETE", "/v1/"+f.pb+"/volume-snapshots/"+id, f.bob, nil)
		f.must(403, "GET", path, f.bob, nil)

		// Delete: 204, then 404; the volume is deletable once both are gone.
		f.must(204, "DELETE", path, f.alice, nil)
		f.volTestGone(path, f.alice)
		f.must(204, "DELETE", base+"/"+fid, f.alice, nil)
		f.volTestGone(base+"/"+fid, f.alice)
		f.must(200, "POST", vbase+"/"+vol+"/detach", f.alice, map[string]any{"server_id": srv})
		f.waitFor(vbase+"/"+vol, f.alice, "volume", "status", "available")
		f.must(204, "DELETE", vbase+"/"+vol, f.alice, nil)
	})
}

// withoutExtensions is a driver declaring none of the optional extension
// clauses (X.1–X.3), as a cloud without snapshots, backups or routers.
type withoutExtensions struct{ core.Driver }

func (d withoutExtensions) Info(ctx context.Context) (core.DriverInfo, error) {
	info, err := d.Driver.Info(ctx)
	info.Capabilities = slices.DeleteFunc(slices.Clone(info.Capabilities), func(c core.Clause) bool {
		return c == core.ClauseVolumeSnapshots || c == core.ClauseVolumeBackups || c == core.ClauseRouters
	})
	return info, err
}

// TestVolumeExtensionsUnsupported_X1X2X3 proves that a datacenter whose
// driver does not declare an extension refuses its operations with 501 up
// front, and that a list across datacenters leaves it out with a Warning.
func TestVolumeExtensionsUnsupported_X1X2X3(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAPIFixture(t, db, func(c *Config) { c.Datacenters[1].Cloud = withoutExtensions{c.Datacenters[1].Cloud} })
		vol := f.volTestVolume(f.alice, f.pa, "dc2", "plain", 1)
		p := "/v1/" + f.pa
		for _, c := range []struct{ path, wrapper, name string }{
			{"/volume-snapshots", "snapshot", "X.1"},
			{"/backups", "backup", "X.2"},
		} {
			resp, body := f.do("POST", p+c.path, f.alice, map[string]any{c.wrapper: map[string]any{"volume_id": vol}})
			if resp.StatusCode != 501 || !strings.Contains(fmt.Sprint(body["error"]), c.name) {
				t.Errorf("%s in dc2: %d %v, want 501 naming %s", c.path, resp.StatusCode, body, c.name)
			}
		}
		f.must(501, "POST", p+"/routers", f.alice, map[string]any{"router": map[string]any{"name": "r", "datacenter_id": "dc2"}})
		// dc1 still serves them; a list says dc2 could not.
		f.must(202, "POST", p+"/routers", f.alice, map[string]any{"router": map[string]any{"name": "r", "datacenter_id": "dc1"}})
		resp, out := f.do("GET", p+"/routers", f.alice, nil)
		if resp.StatusCode != 200 || len(out["routers"].([]any)) != 1 || !strings.Contains(resp.Header.Get("Warning"), "dc2") {
			t.Fatalf("routers list: %d %v Warning %q", resp.StatusCode, out, resp.Header.Get("Warning"))
		}
		f.must(501, "GET", p+"/volume-snapshots?datacenter=dc2", f.alice, nil)
		f.must(501, "GET", p+"/backups?datacenter=dc2", f.alice, nil)
		// Nothing was made in dc2.
		if n := len(f.must(200, "GET", p+"/volume-snapshots", f.alice, nil)["snapshots"].([]any)); n != 0 {
			t.Fatalf("%d snapshots", n)
		}
	})
}
