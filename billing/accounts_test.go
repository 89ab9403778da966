package billing

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/gisiaas/gisiaas/core"
)

// acctStart is when the accounts tests' servers start.
var acctStart = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// acctPrices activates a price list of the Default template from acctStart
// minus an hour, straight into the tables (pricing has its own tests).
func acctPrices(t *testing.T, s *Service, prices map[string]string) {
	t.Helper()
	ctx := context.Background()
	var tid string
	if err := s.db.GetContext(ctx, &tid, `SELECT id FROM billing_templates WHERE is_default`); err != nil {
		t.Fatal(err)
	}
	id, from := newID(), acctStart.Add(-time.Hour)
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO billing_price_lists (id, template_id, number, description, effective_at, status, created_at, updated_at)
		VALUES (?, ?, 900, '', ?, 'activated', ?, ?)`), id, tid, from, from, from); err != nil {
		t.Fatal(err)
	}
	for item, p := range prices {
		if _, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO billing_prices (price_list_id, item, unit_price) VALUES (?, ?, ?)`), id, item, p); err != nil {
			t.Fatal(err)
		}
	}
}

// acctServer records server id of dept entering state at at.
func acctServer(t *testing.T, s *Service, dept, id, state string, at time.Time) {
	t.Helper()
	evt := Event{Event: core.Event{ID: fmt.Sprintf("%s-%s-%d", id, state, at.UnixNano()), ResourceType: core.TypeServer, ResourceID: id,
		DatacenterID: "dc1", ProjectID: "p-" + dept, ToState: state, Attributes: core.EventAttributes{FlavorID: "acct", VCPUs: 1, MemoryMB: 1024}, Time: at},
		DepartmentID: dept}
	if _, err := s.Record(context.Background(), []Event{evt}); err != nil {
		t.Fatal(err)
	}
}

// TestRecharge_BL8_BL9: accounts are created idempotently; a recharge is
// validated (the field named), credited and recorded.
func TestRecharge_BL8_BL9(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqlx.DB, d Dialect) {
		ctx := context.Background()
		clock := newTestClock()
		s := newTestService(t, db, d, clock)
		wantKind(t, s.CreateAccount(ctx, " "), core.InvalidArgument, "department_id:")
		for range 2 {
			if err := s.CreateAccount(ctx, "d1"); err != nil {
				t.Fatal(err)
			}
		}
		for _, bad := range []string{"0", "-5", "abc", "1.001", "1e3", "NaN", "", "1000000000000000"} {
			_, err := s.Recharge(ctx, "d1", bad, "", "admin")
			wantKind(t, err, core.InvalidArgument, "amount:")
		}
		_, err := s.Recharge(ctx, "nobody", "5", "", "admin")
		wantKind(t, err, core.NotFound, "nobody")
		_, err = s.ListRecharges(ctx, "nobody", time.Time{}, time.Time{})
		wantKind(t, err, core.NotFound, "nobody")

		t1 := clock.Now()
		r1, err := s.Recharge(ctx, "d1", "100", "first", "alice")
		if err != nil || r1.Amount != "100.00" || r1.Method != RechargeMethodAdmin || r1.By != "alice" || r1.Note != "first" || !r1.Time.Equal(t1) || r1.ID == "" {
			t.Fatalf("recharge: %+v %v", r1, err)
		}
		t2 := clock.Add(time.Hour)
		if _, err := s.Recharge(ctx, "d1", "0.5", "", "bob"); err != nil {
			t.Fatal(err)
		}
		all, err := s.ListRecharges(ctx, "d1", time.Time{}, time.Time{})
		if err != nil || len(all) != 2 || all[0] != r1 || all[1].Amount != "0.50" || all[1].By != "bob" || !all[1].Time.Equal(t2) {
			t.Fatalf("list: %+v %v", all, err)
		}
		if later, err := s.ListRecharges(ctx, "d1", t1.Add(time.Second), time.Time{}); err != nil || len(later) != 1 || later[0].By != "bob" {
			t.Fatalf("from: %+v %v", later, err)
		}
		if earlier, err := s.ListRecharges(ctx, "d1", time.Time{}, t2); err != nil || len(earlier) != 1 || earlier[0].By != "alice" {
			t.Fatalf("to: %+v %v", earlier, err)
		}
		a, err := s.Account(ctx, "d1")
		if err != nil || a.Recharged != "100.50" || a.Balance != "100.50" || a.Charged != "0.00" || a.InArrears || a.RunOutAt != nil {
			t.Fatalf("account: %+v %v", a, err)
		}

		// JPY has no minor unit.
		if _, err := s.UpdateSettings(ctx, SettingsUpdate{Currency: strp("JPY")}); err != nil {
			t.Fatal(err)
		}
		_, err = s.Recharge(ctx, "d1", "1.5", "", "admin")
		wantKind(t, err, core.InvalidArgument, "amount:")
		if r, err := s.Recharge(ctx, "d1", "1000.000", "", "admin"); err != nil || r.Amount != "1000" {
			t.Fatalf("JPY: %+v %v", r, err)
		}
	})
}

// TestConcurrentRecharges: concurrent credits are all kept (no lost update).
func TestConcurrentRecharges(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqlx.DB, d Dialect) {
		ctx := context.Background()
		s := newTestService(t, db, d, newTestClock())
		if err := s.CreateAccount(ctx, "d1"); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.Recharge(ctx, "d1", "1.25", "", "admin"); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if a, err := s.Account(ctx, "d1"); err != nil || a.Recharged != "25.00" {
			t.Fatalf("account: %+v %v", a, err)
		}
	})
}

// TestLiveBalance_BL11: the balance counts what a running server accrued up
// to now, with cost per hour and day and the exact run-out time; a negative
// balance is in arrears with no run-out time.
func TestLiveBalance_BL11(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqlx.DB, d Dialect) {
		ctx := context.Background()
		clock := newTestClock()
		clock.Set(acctStart)
		s := newTestService(t, db, d, clock)
		acctPrices(t, s, map[string]string{ItemServerFlavorPrefix + "acct": "36"})
		if err := s.CreateAccount(ctx, "d1"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Recharge(ctx, "d1", "100", "", "admin"); err != nil {
			t.Fatal(err)
		}
		acctServer(t, s, "d1", "srv1", "ACTIVE", acctStart)
		clock.Set(acctStart.Add(time.Hour + 30*time.Second))
		a, err := s.Account(ctx, "d1")
		if err != nil {
			t.Fatal(err)
		}
		// 3630 s at 36/h = 36.30; 63.70 left at 36/h = 6370 s.
		want := Account{DepartmentID: "d1", Currency: Currency{"USD", "$", 2}, Recharged: "100.00", Charged: "36.30", Balance: "63.70",
			CostPerHour: "36.00", CostPerDay: "864.00", InArrears: false, AsOf: clock.Now()}
		runOut := clock.Now().Add(6370 * time.Second)
		if a.RunOutAt == nil || !a.RunOutAt.Equal(runOut) {
			t.Fatalf("run out %v, want %v", a.RunOutAt, runOut)
		}
		a.RunOutAt = nil
		if a != want {
			t.Fatalf("account:\n got %+v\nwant %+v", a, want)
		}

		// A second server; the run-out time is exact to the second (floor).
		acctServer(t, s, "d1", "srv2", "ACTIVE", clock.Now())
		a, _ = s.Account(ctx, "d1")
		// 63.70 at 72/h = 3185 s.
		if a.CostPerHour != "72.00" || a.RunOutAt == nil || !a.RunOutAt.Equal(clock.Now().Add(3185*time.Second)) {
			t.Fatalf("two servers: %+v", a)
		}

		// Posted charges beyond the balance: in arrears, no run-out time.
		if _, err := db.ExecContext(ctx, db.Rebind(`UPDATE billing_accounts SET charged_x3600 = ? WHERE department_id = ?`), "540000", "d1"); err != nil {
			t.Fatal(err)
		}
		a, err = s.Account(ctx, "d1")
		if err != nil || a.Balance != "-86.30" || !a.InArrears || a.RunOutAt != nil {
			t.Fatalf("arrears: %+v %v", a, err)
		}
		_, err = s.Account(ctx, "nobody")
		wantKind(t, err, core.NotFound, "nobody")
	})
}

// TestRunOutFarAway: a tiny cost against a large balance does not overflow.
func TestRunOutFarAway(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if got := runOut(now, mustDecimal("360000000000000000000"), mustDecimal("0.000001")); !got.Equal(maxRunOut) {
		t.Fatalf("far run-out: %v", got)
	}
	if got := runOut(now, mustDecimal("3599"), mustDecimal("1")); !got.Equal(now.Add(3599 * time.Second)) {
		t.Fatalf("run-out: %v", got)
	}
}

// TestLowBalanceSettings: the threshold and webhook are validated and shown.
func TestLowBalanceSettings(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqlx.DB, d Dialect) {
		ctx := context.Background()
		s := newTestService(t, db, d, newTestClock())
		if err := s.CreateAccount(ctx, "d1"); err != nil {
			t.Fatal(err)
		}
		wantKind(t, s.SetLowBalance(ctx, "d1", strp("-1"), ""), core.InvalidArgument, "low_balance_threshold:")
		wantKind(t, s.SetLowBalance(ctx, "d1", strp("1.234"), ""), core.InvalidArgument, "low_balance_threshold:")
		for _, u := range []string{"ftp://example.com/x", "/relative", "http://"} {
			wantKind(t, s.SetLowBalance(ctx, "d1", nil, u), core.InvalidArgument, "webhook_url:")
		}
		wantKind(t, s.SetLowBalance(ctx, "nobody", nil, ""), core.NotFound, "nobody")
		if err := s.SetLowBalance(ctx, "d1", strp("20"), "https://hooks.example.com/billing"); err != nil {
			t.Fatal(err)
		}
		if a, err := s.Account(ctx, "d1"); err != nil || a.LowBalanceThreshold == nil || *a.LowBalanceThreshold != "20.00" {
			t.Fatalf("threshold: %+v %v", a, err)
		}
		if err := s.SetLowBalance(ctx, "d1", nil, ""); err != nil {
			t.Fatal(err)
		}
		if a, _ := s.Account(ctx, "d1"); a.LowBalanceThreshold != nil {
			t.Fatalf("cleared: %+v", a)
		}
	})
}

// TestCanCreate_BL11: keep_running never refuses; refuse_creates refuses
// with a PaymentRequiredError at a balance ≤ 0 (also with no account) and
// allows again after a recharge.
func TestCanCreate_BL11(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqlx.DB, d Dialect) {
		ctx := context.Background()
		s := newTestService(t, db, d, newTestClock())
		if err := s.CreateAccount(ctx, "d1"); err != nil {
			t.Fatal(err)
		}
		if err := s.CanCreate(ctx, "d1"); err != nil {
			t.Fatalf("keep_running: %v", err)
		}
		if _, err := s.UpdateSettings(ctx, SettingsUpdate{OnZeroBalance: strp(OnZeroRefuseCreates)}); err != nil {
			t.Fatal(err)
		}
		for _, dept := range []string{"d1", "nobody"} {
			var pr *PaymentRequiredError
			if err := s.CanCreate(ctx, dept); !errors.As(err, &pr) || pr.Balance != "0.00" || pr.Message == "" {
				t.Fatalf("%s: want PaymentRequiredError, got %v", dept, err)
			}
		}
		if _, err := s.Recharge(ctx, "d1", "0.01", "", "admin"); err != nil {
			t.Fatal(err)
		}
		if err := s.CanCreate(ctx, "d1"); err != nil {
			t.Fatalf("after a recharge: %v", err)
		}
	})
}
