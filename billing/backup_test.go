package billing

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/gisiaas/gisiaas/core"
)

// TestBackupResetRestore_BL16: a reset deletes all billing data only after
// a backup that holds everything; restoring that backup gives back the same
// bills, balances and codes, and billing goes on from there.
func TestBackupResetRestore_BL16(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqlx.DB, d Dialect) {
		ctx := context.Background()
		clock := newTestClock()
		clock.Set(t0.Add(5 * time.Hour))
		s := newTestService(t, db, d, clock)
		activateList(t, s, 1, t0.Add(-time.Hour), map[string]string{"server.flavor.m1.tiny": "1.25"})
		if err := s.CreateAccount(ctx, "d1"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Recharge(ctx, "d1", "100", "opening", "admin"); err != nil {
			t.Fatal(err)
		}
		codes, err := s.CreateCodes(ctx, CodeCreate{Count: 2, Value: "5", ExpiresAt: clock.Now().Add(24 * time.Hour)}, "admin")
		if err != nil {
			t.Fatal(err)
		}
		mustRecord(t, s, ev("b1", core.TypeServer, "s1", "ACTIVE", t0, tiny), ev("b2", core.TypeServer, "s1", "SHUTOFF", t0.Add(2*time.Hour), tiny),
			ev("b3", core.TypeServer, "s2", "ACTIVE", t0.Add(time.Hour), tiny))
		q := BillQuery{DepartmentID: "d1", From: t0, To: t0.Add(5 * time.Hour)}
		billBefore, _ := s.Bill(ctx, q)
		acctBefore, _ := s.Account(ctx, "d1")

		if err := s.Reset(ctx, "no-such-backup"); core.KindOf(err) != core.Conflict {
			t.Fatalf("reset without a backup: %v", err)
		}
		var old bytes.Buffer
		oldInfo, err := s.Backup(ctx, &old, "admin")
		if err != nil {
			t.Fatal(err)
		}
		clock.Add(time.Minute)
		mustRecord(t, s, ev("b4", core.TypeServer, "s2", "SHUTOFF", t0.Add(4*time.Hour), tiny))
		if err := s.Reset(ctx, oldInfo.ID); core.KindOf(err) != core.Conflict {
			t.Fatalf("reset with a backup older than the data: %v", err)
		}
		clock.Add(time.Minute)
		billBefore, _ = s.Bill(ctx, q)
		acctBefore, _ = s.Account(ctx, "d1")
		var buf bytes.Buffer
		info, err := s.Backup(ctx, &buf, "admin")
		if err != nil || info.Bytes != int64(buf.Len()) || len(info.SHA256) != 64 {
			t.Fatalf("backup: %+v %v", info, err)
		}
		if bytes.Contains(buf.Bytes(), []byte(codes[0].Code)) {
			t.Fatal("a usable recharge code is in the backup")
		}
		if err := s.Reset(ctx, info.ID); err != nil {
			t.Fatal(err)
		}
		var n int
		_ = db.Get(&n, `SELECT (SELECT COUNT(*) FROM billing_events) + (SELECT COUNT(*) FROM billing_charges) + (SELECT COUNT(*) FROM billing_accounts)`)
		if n != 0 {
			t.Fatalf("%d rows left after the reset", n)
		}
		if tm, _ := s.ListTemplates(ctx); len(tm) != 1 {
			t.Fatalf("defaults not seeded again: %d templates", len(tm))
		}
		if _, err := s.Restore(ctx, bytes.NewReader(buf.Bytes())); err != nil {
			t.Fatal(err)
		}
		billAfter, _ := s.Bill(ctx, q)
		acctAfter, _ := s.Account(ctx, "d1")
		if billAfter.Total != billBefore.Total || acctAfter.Balance != acctBefore.Balance || acctAfter.Recharged != "100.00" {
			t.Fatalf("restored: bill %s (was %s), balance %s (was %s)", billAfter.Total, billBefore.Total, acctAfter.Balance, acctBefore.Balance)
		}
		if _, err := s.RedeemCode(ctx, codes[1].Code, "u", "d1"); err != nil {
			t.Fatalf("a code from before the reset: %v", err)
		}
		// Billing goes on: a duplicate is still a duplicate, a new event rates.
		if n, err := s.Record(ctx, []Event{ev("b4", core.TypeServer, "s2", "SHUTOFF", t0.Add(4*time.Hour), tiny),
			ev("b5", core.TypeServer, "s1", "ACTIVE", t0.Add(4*time.Hour+30*time.Minute), tiny)}); err != nil || n != 1 {
			t.Fatalf("after restore: %d %v", n, err)
		}
		if _, err := s.Restore(ctx, bytes.NewReader(buf.Bytes())); core.KindOf(err) != core.Conflict {
			t.Fatalf("restore over data: %v", err)
		}
		if _, err := s.Restore(ctx, bytes.NewReader([]byte(`{"format":"other"}`))); core.KindOf(err) != core.InvalidArgument {
			t.Fatalf("restore of junk: %v", err)
		}
	})
}
