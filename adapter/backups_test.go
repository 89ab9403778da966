package adapter

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gisiaas/gisiaas/adapter/store"
	"github.com/gisiaas/gisiaas/adapter/store/storetest"
)

// TestBackupsHTTP_X2 drives volume backups over HTTP: full by default,
// incremental only on a full one and chained on the newest, sized by kind,
// a parent not deletable before its children, the list, the delete (then
// 404) and the errors.
func TestBackupsHTTP_X2(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAPIFixture(t, db)
		vol := f.volTestVolume(f.alice, f.pa, "dc2", "archive", 20)
		base := "/v1/" + f.pa + "/backups"

		// Incremental before any full backup: 400 naming kind.
		resp, body := f.do("POST", base, f.alice, map[string]any{"backup": map[string]any{"volume_id": vol, "kind": "incremental"}})
		if resp.StatusCode != 400 || !strings.Contains(fmt.Sprint(body["error"]), "kind") {
			t.Fatalf("incremental first: %d %v, want 400 naming kind", resp.StatusCode, body)
		}

		out := f.must(202, "POST", base, f.alice, map[string]any{"backup": map[string]any{"volume_id": vol, "name": "weekly", "description": "sunday"}})
		full := out["backup"].(map[string]any)
		for _, k := range []string{"id", "name", "description", "volume_id", "kind", "size_gb", "status", "datacenter_id", "project_id", "created_at", "updated_at"} {
			if _, ok := full[k]; !ok {
				t.Errorf("backup view lacks %s: %v", k, full)
			}
		}
		if full["kind"] != "full" || full["volume_id"] != vol || full["size_gb"] != float64(20) || full["name"] != "weekly" ||
			full["description"] != "sunday" || full["datacenter_id"] != "dc2" || full["project_id"] != f.pa || full["parent_id"] != nil {
			t.Fatalf("full backup: %v", full)
		}
		fullID := full["id"].(string)
		f.waitFor(base+"/"+fullID, f.alice, "backup", "status", "available")

		// Incremental backups build on the newest one and hold what changed
		// (a tenth of the volume in the simulator).
		inc1 := f.must(202, "POST", base, f.alice, map[string]any{"backup": map[string]any{"volume_id": vol, "kind": "incremental"}})["backup"].(map[string]any)
		if inc1["kind"] != "incremental" || inc1["parent_id"] != fullID || inc1["size_gb"] != float64(2) {
			t.Fatalf("incremental: %v", inc1)
		}
		inc1ID := inc1["id"].(string)
		f.waitFor(base+"/"+inc1ID, f.alice, "backup", "status", "available")
		inc2 := f.must(202, "POST", base, f.alice, map[string]any{"backup": map[string]any{"volume_id": vol, "kind": "incremental"}})["backup"].(map[string]any)
		inc2ID := inc2["id"].(string)
		if got := f.waitFor(base+"/"+inc2ID, f.alice, "backup", "status", "available"); got["parent_id"] != inc1ID {
			t.Fatalf("second incremental builds on %v, want %s", got["parent_id"], inc1ID)
		}

		// List.
		if n := len(f.must(200, "GET", base, f.alice, nil)["backups"].([]any)); n != 3 {
			t.Fatalf("list: %d backups, want 3", n)
		}
		if n := len(f.must(200, "GET", base+"?datacenter=dc1", f.alice, nil)["backups"].([]any)); n != 0 {
			t.Fatalf("dc1 lists %d backups, want 0", n)
		}
		page := f.must(200, "GET", base+"?limit=2&marker="+fullID, f.alice, nil)["backups"].([]any)
		if len(page) != 2 || page[0].(map[string]any)["id"] != inc1ID {
			t.Fatalf("page after the full backup: %v", page)
		}
		if n := len(f.must(200, "GET", "/v1/"+f.pb+"/backups", f.bob, nil)["backups"].([]any)); n != 0 {
			t.Fatalf("bob lists %d backups", n)
		}

		// Errors: bad input names the field; another project's volume or
		// backup is 404; another project's path 403.
		f.volTestBad("POST", base, f.alice, []struct{ body, field string }{
			{`{"backup":{}}`, "volume_id"},
			{`{"backup":{"volume_id":"` + vol + `","kind":"differential"}}`, "kind"},
			{`{"backup":{"volume_id":"` + vol + `","name":"x\ny"}}`, "name"},
			{`{"backup":{"volume_id":"` + vol + `","colour":"red"}}`, "colour"},
			{`{"backup":{"volume_id":"00000000-0000-4000-8000-000000000000"}}`, "volume_id"},
			{`{"backups":[]}`, "backup"},
		})
		bvol := f.volTestVolume(f.bob, f.pb, "dc2", "bobs", 1)
		resp, body = f.do("POST", base, f.alice, map[string]any{"backup": map[string]any{"volume_id": bvol}})
		// As an unknown id is: nothing tells it exists in another project.
		if resp.StatusCode != 400 || !strings.Contains(fmt.Sprint(body["error"]), "volume_id") {
			t.Fatalf("backup of bob's volume: %d %v, want 400 naming volume_id", resp.StatusCode, body)
		}
		f.must(404, "GET", base+"/00000000-0000-4000-8000-000000000000", f.alice, nil)
		f.must(404, "DELETE", base+"/00000000-0000-4000-8000-000000000000", f.alice, nil)
		f.must(404, "GET", "/v1/"+f.pb+"/backups/"+fullID, f.bob, nil)
		f.must(404, "DELETE", "/v1/"+f.pb+"/backups/"+fullID, f.bob, nil)
		f.must(403, "GET", base+"/"+fullID, f.bob, nil)

		// Delete: a backup another builds on is 409; newest first works.
		f.must(409, "DELETE", base+"/"+fullID, f.alice, nil)
		f.must(409, "DELETE", base+"/"+inc1ID, f.alice, nil)
		for _, id := range []string{inc2ID, inc1ID, fullID} {
			f.must(204, "DELETE", base+"/"+id, f.alice, nil)
			f.volTestGone(base+"/"+id, f.alice)
		}
		if n := len(f.must(200, "GET", base, f.alice, nil)["backups"].([]any)); n != 0 {
			t.Fatalf("after deletes: %d backups", n)
		}
	})
}
