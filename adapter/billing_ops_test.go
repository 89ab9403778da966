package adapter

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/adapter/store"
	"github.com/gisiaas/gisiaas/adapter/store/storetest"
	"github.com/gisiaas/gisiaas/billing"
	"github.com/gisiaas/gisiaas/core"
)

// TestBillingOpsRoutes: rebuild compares the ledger with the log; a reset
// needs a backup; the backup restores; all of it the cloud admin's only.
func TestBillingOpsRoutes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var clock atomic.Pointer[time.Time]
		now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
		clock.Store(&now)
		bill, err := billing.New(ctx, db.DB, billing.Dialect(db.Dialect()), billing.WithClock(func() time.Time { return *clock.Load() }))
		if err != nil {
			t.Fatal(err)
		}
		f := newAPIFixture(t, db, func(c *Config) { c.Billing = bill })
		tmpls, _ := bill.ListTemplates(ctx)
		if _, err := bill.SetPrice(ctx, tmpls[0].ID, 1, "volume.gb.standard", "36"); err != nil {
			t.Fatal(err)
		}
		if _, err := bill.UseNow(ctx, tmpls[0].ID, 1); err != nil {
			t.Fatal(err)
		}
		start := now.Add(time.Second)
		ev := func(id, state string, at time.Time) billing.Event {
			return billing.Event{DepartmentID: "dx", Event: core.Event{ID: id, ResourceType: core.TypeVolume, ResourceID: "v1", ProjectID: "p",
				DatacenterID: "dc1", ToState: state, Time: at, Attributes: core.EventAttributes{SizeGB: 10, VolumeType: "standard"}}}
		}
		if _, err := bill.Record(ctx, []billing.Event{ev("1", "available", start), ev("2", "deleted", start.Add(time.Minute))}); err != nil {
			t.Fatal(err)
		}
		later := now.Add(2 * time.Hour)
		clock.Store(&later)
		q := url.Values{"department_id": {"dx"}, "from": {start.Add(-time.Hour).Format(time.RFC3339)}, "to": {start.Add(time.Hour).Format(time.RFC3339)}}
		f.must(403, "GET", "/v1/billing/bills/rebuild?"+q.Encode(), f.alice, nil)
		rep := f.must(200, "GET", "/v1/billing/bills/rebuild?"+q.Encode(), f.admin, nil)["rebuild"].(map[string]any)
		if rep["equal"] != true || rep["posted"].(map[string]any)["total"] != "6.00" {
			t.Fatalf("rebuild: %v", rep)
		}
		f.must(403, "POST", "/v1/billing/backup", f.alice, nil)
		f.must(409, "POST", "/v1/billing/reset", f.admin, map[string]any{"backup_id": "none"})
		req, _ := http.NewRequest("POST", f.url+"/v1/billing/backup", nil)
		req.Header.Set("X-Auth-Token", f.admin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		doc, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		id := resp.Header.Get("X-Backup-Id")
		if resp.StatusCode != 200 || id == "" || !strings.Contains(string(doc), billing.BackupFormat) {
			t.Fatalf("backup: %d %q", resp.StatusCode, id)
		}
		f.must(204, "POST", "/v1/billing/reset", f.admin, map[string]any{"backup_id": id})
		if after := f.must(200, "GET", "/v1/billing/bills/rebuild?"+q.Encode(), f.admin, nil)["rebuild"].(map[string]any); after["posted"].(map[string]any)["total"] != "0.00" {
			t.Fatalf("after reset: %v", after)
		}
		f.must(200, "POST", "/v1/billing/restore", f.admin, string(doc), "Content-Type", "application/octet-stream")
		if again := f.must(200, "GET", "/v1/billing/bills/rebuild?"+q.Encode(), f.admin, nil)["rebuild"].(map[string]any); again["posted"].(map[string]any)["total"] != "6.00" || again["equal"] != true {
			t.Fatalf("after restore: %v", again)
		}
		f.must(409, "POST", "/v1/billing/restore", f.admin, string(doc), "Content-Type", "application/octet-stream")
	})
}
