package billing

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/gisiaas/gisiaas/core"
)

const noCodeMsg = "no such code, or it was used, deleted or expired"

func wantNoCode(t *testing.T, err error) {
	t.Helper()
	if core.KindOf(err) != core.NotFound || core.MessageOf(err) != noCodeMsg {
		t.Fatalf("want the one NotFound answer, got %v", err)
	}
}

// TestCreateCodes_BL10: validation, the format, and nothing usable stored.
func TestCreateCodes_BL10(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqlx.DB, d Dialect) {
		ctx := context.Background()
		clock := newTestClock()
		s := newTestService(t, db, d, clock)
		later := clock.Now().Add(24 * time.Hour)
		for _, c := range []struct {
			in    CodeCreate
			field string
		}{
			{CodeCreate{Count: 0, Value: "10", ExpiresAt: later}, "count:"},
			{CodeCreate{Count: 1001, Value: "10", ExpiresAt: later}, "count:"},
			{CodeCreate{Count: 1, Value: "0", ExpiresAt: later}, "value:"},
			{CodeCreate{Count: 1, Value: "1.234", ExpiresAt: later}, "value:"},
			{CodeCreate{Count: 1, Value: "10", ExpiresAt: clock.Now()}, "expires_at:"},
			{CodeCreate{Count: 1, Value: "10"}, "expires_at:"},
		} {
			_, err := s.CreateCodes(ctx, c.in, "admin")
			wantKind(t, err, core.InvalidArgument, c.field)
		}
		codes, err := s.CreateCodes(ctx, CodeCreate{Count: 50, Value: "25.5", ExpiresAt: later}, "admin")
		if err != nil || len(codes) != 50 {
			t.Fatalf("create: %d %v", len(codes), err)
		}
		format := regexp.MustCompile(`^[A-Z2-7]{4}(-[A-Z2-7]{4}){7}$`)
		seen := map[string]bool{}
		for _, c := range codes {
			if !format.MatchString(c.Code) || seen[c.Code] || c.Value != "25.50" || !c.ExpiresAt.Equal(later) || c.Hint != c.Code[len(c.Code)-4:] {
				t.Fatalf("code: %+v", c)
			}
			seen[c.Code] = true
		}
		// A database read reveals no usable code: no column holds it, in
		// any form; the stored hash is SHA-256 of the normalized code.
		rows, err := db.QueryxContext(ctx, `SELECT * FROM billing_recharge_codes`)
		if err != nil {
			t.Fatal(err)
		}
		stored := map[string]bool{}
		for rows.Next() {
			m := map[string]any{}
			if err := rows.MapScan(m); err != nil {
				t.Fatal(err)
			}
			for _, v := range m {
				text := strings.ToUpper(strings.ReplaceAll(toText(v), "-", ""))
				for _, c := range codes {
					if norm := strings.ReplaceAll(c.Code, "-", ""); strings.Contains(text, norm) {
						t.Fatalf("code %s stored in clear", c.Code)
					}
				}
			}
			stored[toText(m["code_hash"])] = true
		}
		rows.Close()
		for _, c := range codes {
			h := sha256.Sum256([]byte(strings.ReplaceAll(c.Code, "-", "")))
			if !stored[hex.EncodeToString(h[:])] {
				t.Fatalf("hash of %s not stored", c.Code)
			}
		}
		list, err := s.ListCodes(ctx, false)
		if err != nil || len(list) != 50 || list[0].Status != CodeActive || list[0].Value != "25.50" || list[0].CreatedBy != "admin" {
			t.Fatalf("list: %d %+v %v", len(list), list, err)
		}
	})
}

func toText(v any) string {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case string:
		return x
	}
	return ""
}

// TestRedeemCode_BL10: a code is good once, typed loosely, never after
// expiry or deletion; every failure gives one answer; a redeemed code
// cannot be deleted; a failed credit leaves the code redeemable.
func TestRedeemCode_BL10(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqlx.DB, d Dialect) {
		ctx := context.Background()
		clock := newTestClock()
		s := newTestService(t, db, d, clock)
		for _, dept := range []string{"d1", "d2"} {
			if err := s.CreateAccount(ctx, dept); err != nil {
				t.Fatal(err)
			}
		}
		expiry := clock.Now().Add(time.Hour)
		codes, err := s.CreateCodes(ctx, CodeCreate{Count: 3, Value: "40", ExpiresAt: expiry}, "admin")
		if err != nil {
			t.Fatal(err)
		}
		use, del, exp := codes[0], codes[1], codes[2]

		_, err = s.RedeemCode(ctx, "", "u1", "d1")
		wantKind(t, err, core.InvalidArgument, "code:")
		_, err = s.RedeemCode(ctx, "not a code!", "u1", "d1")
		wantNoCode(t, err)
		_, err = s.RedeemCode(ctx, strings.Repeat("A", 32), "u1", "d1")
		wantNoCode(t, err)

		// Into a department with no account: refused, and the code stays good.
		_, err = s.RedeemCode(ctx, use.Code, "u1", "nobody")
		wantKind(t, err, core.NotFound, "nobody")

		// Lower case, spaces instead of dashes, 0 for O and 1 for I.
		typed := strings.ToLower(strings.ReplaceAll(use.Code, "-", " "))
		typed = strings.NewReplacer("o", "0", "i", "1").Replace(typed)
		r, err := s.RedeemCode(ctx, typed, "u1", "d1")
		if err != nil || r.Amount != "40.00" || r.Method != RechargeMethodCode || r.CodeID != use.ID || r.By != "u1" || r.DepartmentID != "d1" {
			t.Fatalf("redeem: %+v %v", r, err)
		}
		_, err = s.RedeemCode(ctx, use.Code, "u2", "d2")
		wantNoCode(t, err)
		if a, _ := s.Account(ctx, "d1"); a.Balance != "40.00" {
			t.Fatalf("d1: %+v", a)
		}
		if a, _ := s.Account(ctx, "d2"); a.Balance != "0.00" {
			t.Fatalf("d2: %+v", a)
		}
		if rs, err := s.ListRecharges(ctx, "d1", time.Time{}, time.Time{}); err != nil || len(rs) != 1 || rs[0] != r {
			t.Fatalf("recharges: %+v %v", rs, err)
		}

		wantKind(t, s.DeleteCode(ctx, use.ID), core.Conflict, "redeemed")
		wantKind(t, s.DeleteCode(ctx, "nope"), core.NotFound, "nope")
		if err := s.DeleteCode(ctx, del.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteCode(ctx, del.ID); err != nil {
			t.Fatalf("deleting again: %v", err)
		}
		_, err = s.RedeemCode(ctx, del.Code, "u1", "d1")
		wantNoCode(t, err)

		clock.Set(expiry)
		_, err = s.RedeemCode(ctx, exp.Code, "u1", "d1")
		wantNoCode(t, err)

		if active, err := s.ListCodes(ctx, false); err != nil || len(active) != 0 {
			t.Fatalf("active: %+v %v", active, err)
		}
		all, err := s.ListCodes(ctx, true)
		if err != nil || len(all) != 3 {
			t.Fatalf("all: %+v %v", all, err)
		}
		status := map[string]RechargeCode{}
		for _, c := range all {
			status[c.ID] = c
		}
		if c := status[use.ID]; c.Status != CodeRedeemed || c.RedeemedBy != "u1" || c.RedeemedDepartment != "d1" || c.RedeemedAt == nil {
			t.Fatalf("redeemed: %+v", c)
		}
		if c := status[del.ID]; c.Status != CodeDeleted || c.DeletedAt == nil {
			t.Fatalf("deleted: %+v", c)
		}
		if c := status[exp.ID]; c.Status != CodeExpired || c.Hint != exp.Hint {
			t.Fatalf("expired: %+v", c)
		}
		if a, _ := s.Account(ctx, "d1"); a.Balance != "40.00" {
			t.Fatalf("d1 after: %+v", a)
		}
	})
}

// TestRedeemCodeConcurrently_BL10: 20 users redeeming one code at once:
// exactly one succeeds and the balance rises once.
func TestRedeemCodeConcurrently_BL10(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqlx.DB, d Dialect) {
		ctx := context.Background()
		clock := newTestClock()
		s := newTestService(t, db, d, clock)
		for _, dept := range []string{"d1", "d2"} {
			if err := s.CreateAccount(ctx, dept); err != nil {
				t.Fatal(err)
			}
		}
		codes, err := s.CreateCodes(ctx, CodeCreate{Count: 1, Value: "7.77", ExpiresAt: clock.Now().Add(time.Hour)}, "admin")
		if err != nil {
			t.Fatal(err)
		}
		var ok atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				dept := []string{"d1", "d2"}[i%2]
				_, err := s.RedeemCode(ctx, codes[0].Code, "u", dept)
				switch {
				case err == nil:
					ok.Add(1)
				case core.KindOf(err) == core.NotFound && core.MessageOf(err) == noCodeMsg:
				default:
					t.Error(err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if ok.Load() != 1 {
			t.Fatalf("%d redemptions succeeded", ok.Load())
		}
		a1, _ := s.Account(ctx, "d1")
		a2, _ := s.Account(ctx, "d2")
		var n int
		if err := db.GetContext(ctx, &n, `SELECT COUNT(*) FROM billing_recharges`); err != nil {
			t.Fatal(err)
		}
		if n != 1 || (a1.Balance == "7.77") == (a2.Balance == "7.77") || a1.Balance != "7.77" && a1.Balance != "0.00" || a2.Balance != "7.77" && a2.Balance != "0.00" {
			t.Fatalf("%d recharges, balances %s and %s", n, a1.Balance, a2.Balance)
		}
	})
}
