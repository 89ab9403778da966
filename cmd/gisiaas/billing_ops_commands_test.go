package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/billing"
	"github.com/gisiaas/gisiaas/core"
)

// TestBillingOpsCommands: rebuild says the ledger equals the log; backup,
// reset and restore round-trip the billing data; a reset without a backup
// is refused; a member may do none of it.
func TestBillingOpsCommands(t *testing.T) {
	e, bs, dept, project := newBillingCLIEnv(t)
	ctx := context.Background()
	tmpls, _ := bs.ListTemplates(ctx)
	if _, err := bs.SetPrice(ctx, tmpls[0].ID, 1, "router", "3.6"); err != nil {
		t.Fatal(err)
	}
	if _, err := bs.UseNow(ctx, tmpls[0].ID, 1); err != nil {
		t.Fatal(err)
	}
	start := time.Now().UTC()
	ev := func(id, state string, at time.Time) billing.Event {
		return billing.Event{DepartmentID: dept, Event: core.Event{ID: id, ResourceType: core.TypeRouter, ResourceID: "r1",
			ProjectID: project, DatacenterID: "dc1", ToState: state, Time: at}}
	}
	if _, err := bs.Record(ctx, []billing.Event{ev("1", "ACTIVE", start), ev("2", "DELETED", start.Add(time.Millisecond))}); err != nil {
		t.Fatal(err)
	}
	window := []string{"--department", "survey", "--from", start.Add(-time.Hour).Format(time.RFC3339), "--to", start.Add(time.Hour).Format(time.RFC3339)}
	out := e.ok(append([]string{"billing", "rebuild"}, window...)...)
	if !strings.Contains(out, "equals") {
		t.Fatalf("rebuild:\n%s", out)
	}
	if out := e.ok("billing", "what-if", "1", "--days", "1"); !strings.Contains(out, dept) || !strings.Contains(out, "WHAT_IF") {
		t.Fatalf("what-if:\n%s", out)
	}
	member := e.asUser("carol", project)
	if code, _, stderr := member(append([]string{"billing", "rebuild"}, window...)...); code != 1 || !strings.Contains(stderr, "403") {
		t.Fatalf("member rebuild: %d %s", code, stderr)
	}
	e.fails(1, "409 Conflict", "billing", "reset", "--backup-id", "nope")
	e.fails(2, "--file", "billing", "backup")
	file := filepath.Join(t.TempDir(), "billing.json")
	e.ok("billing", "backup", "--file", file)
	id := bsBackupID(t, bs)
	e.ok("billing", "reset", "--backup-id", id)
	if n, _ := bs.ListRecharges(ctx, dept, time.Time{}, time.Time{}); len(n) != 0 {
		t.Fatalf("recharges after reset: %v", n)
	}
	e.ok("billing", "restore", "--file", file)
	out = e.ok(append([]string{"billing", "rebuild"}, window...)...)
	if !strings.Contains(out, "equals") {
		t.Fatalf("rebuild after restore:\n%s", out)
	}
}

// bsBackupID is the id of the newest backup taken.
func bsBackupID(t *testing.T, bs *billing.Service) string {
	t.Helper()
	id, err := bs.LatestBackupID(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return id
}
