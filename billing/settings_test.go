package billing

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/gisiaas/gisiaas/core"
)

func strp(s string) *string { return &s }

// wantKind fails unless err is of kind and its message names field.
func wantKind(t *testing.T, err error, kind core.Kind, field string) {
	t.Helper()
	if core.KindOf(err) != kind || !strings.Contains(core.MessageOf(err), field) {
		t.Fatalf("want %s naming %q, got %v", kind, field, err)
	}
}

// TestSettings_BL13: defaults, validation naming the field, and a currency
// switch that converts nothing and says so.
func TestSettings_BL13(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqlx.DB, d Dialect) {
		ctx := context.Background()
		s := newTestService(t, db, d, newTestClock())
		st, err := s.Settings(ctx)
		if err != nil || st.Currency.Code != "USD" || st.Timezone != "UTC" || st.TimezoneChanged || st.OnZeroBalance != OnZeroKeepRunning {
			t.Fatalf("defaults: %+v %v", st, err)
		}
		_, err = s.UpdateSettings(ctx, SettingsUpdate{Currency: strp("EUR")})
		wantKind(t, err, core.InvalidArgument, "currency:")
		for _, tz := range []string{"Mars/Olympus", "", "Local"} {
			_, err = s.UpdateSettings(ctx, SettingsUpdate{Timezone: strp(tz)})
			wantKind(t, err, core.InvalidArgument, "timezone:")
		}
		_, err = s.UpdateSettings(ctx, SettingsUpdate{OnZeroBalance: strp("stop_everything")})
		wantKind(t, err, core.InvalidArgument, "on_zero_balance:")

		if err := s.CreateAccount(ctx, "d1"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Recharge(ctx, "d1", "10.50", "", "admin"); err != nil {
			t.Fatal(err)
		}
		st, err = s.UpdateSettings(ctx, SettingsUpdate{Currency: strp("sgd"), OnZeroBalance: strp(OnZeroRefuseCreates)})
		if err != nil || st.Currency.Code != "SGD" || st.Currency.Symbol != "S$" || st.OnZeroBalance != OnZeroRefuseCreates || !strings.Contains(st.Note, "no amount was converted") {
			t.Fatalf("update: %+v %v", st, err)
		}
		a, err := s.Account(ctx, "d1")
		if err != nil || a.Currency.Code != "SGD" || a.Recharged != "10.50" || a.Balance != "10.50" {
			t.Fatalf("after a currency switch the numbers stay: %+v %v", a, err)
		}
		// Same currency again: nothing to say.
		if st, err := s.UpdateSettings(ctx, SettingsUpdate{Currency: strp("SGD")}); err != nil || st.Note != "" {
			t.Fatalf("same currency: %+v %v", st, err)
		}
		// A restart keeps the settings.
		s2 := newTestService(t, db, d, newTestClock())
		if st, err := s2.Settings(ctx); err != nil || st.Currency.Code != "SGD" || st.OnZeroBalance != OnZeroRefuseCreates {
			t.Fatalf("after restart: %+v %v", st, err)
		}
	})
}

// TestTimezoneChangesOnce_BL13: setting the current zone is no change; the
// first change is allowed, a second refused, even under concurrency.
func TestTimezoneChangesOnce_BL13(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqlx.DB, d Dialect) {
		ctx := context.Background()
		s := newTestService(t, db, d, newTestClock())
		if st, err := s.UpdateSettings(ctx, SettingsUpdate{Timezone: strp("UTC")}); err != nil || st.TimezoneChanged {
			t.Fatalf("same zone: %+v %v", st, err)
		}
		zones := []string{"Asia/Shanghai", "Europe/Paris", "America/New_York", "Asia/Tokyo", "Asia/Jakarta",
			"Asia/Ho_Chi_Minh", "Asia/Singapore", "Asia/Kuala_Lumpur", "Asia/Bangkok", "Australia/Sydney"}
		var wg sync.WaitGroup
		errs := make([]error, len(zones))
		for i, z := range zones {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.UpdateSettings(ctx, SettingsUpdate{Timezone: strp(z)})
			}()
		}
		wg.Wait()
		won := ""
		for i, err := range errs {
			switch {
			case err == nil:
				if won != "" {
					t.Fatalf("two changes succeeded: %s and %s", won, zones[i])
				}
				won = zones[i]
			case core.KindOf(err) == core.Conflict && core.MessageOf(err) == "the billing timezone can be changed only once":
			default:
				t.Fatalf("%s: %v", zones[i], err)
			}
		}
		if won == "" {
			t.Fatal("no change succeeded")
		}
		st, err := s.Settings(ctx)
		if err != nil || st.Timezone != won || !st.TimezoneChanged {
			t.Fatalf("settings: %+v %v", st, err)
		}
		// The current zone again is not a change; another one is refused.
		if _, err := s.UpdateSettings(ctx, SettingsUpdate{Timezone: strp(won)}); err != nil {
			t.Fatalf("same zone after the change: %v", err)
		}
		_, err = s.UpdateSettings(ctx, SettingsUpdate{Timezone: strp("UTC"), Currency: strp("JPY")})
		wantKind(t, err, core.Conflict, "only once")
		if st, _ := s.Settings(ctx); st.Currency.Code != "USD" {
			t.Fatalf("a refused update changed nothing else: %+v", st)
		}
		loc, err := s.Location(ctx)
		if err != nil || loc.String() != won {
			t.Fatalf("Location: %v %v", loc, err)
		}
	})
}
