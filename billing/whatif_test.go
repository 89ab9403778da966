package billing

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/gisiaas/gisiaas/core"
)

// TestWhatIfRatesACandidateListOverRealEvents: a list not yet activated is
// rated over the last days' real events and compared with what the real
// prices charge, per department and per resource; nothing is charged.
func TestWhatIfRatesACandidateListOverRealEvents(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqlx.DB, d Dialect) {
		ctx := context.Background()
		clock := newTestClock()
		s := newTestService(t, db, d, clock)
		tmpls, _ := s.ListTemplates(ctx)
		def := tmpls[0].ID
		if _, err := s.SetPrice(ctx, def, 1, "server.flavor.m1.tiny", "2"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UseNow(ctx, def, 1); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateAccount(ctx, "d1"); err != nil {
			t.Fatal(err)
		}
		start := clock.Add(time.Minute)
		mustRecord(t, s, ev("w1", core.TypeServer, "s1", "ACTIVE", start, tiny), ev("w2", core.TypeServer, "s1", "DELETED", start.Add(3*time.Hour), tiny),
			ev("w3", core.TypeServer, "s2", "ACTIVE", start.Add(time.Hour), tiny))
		clock.Set(start.Add(5 * time.Hour))
		cand, err := s.CreatePriceList(ctx, def, PriceListCreate{Description: "dearer", BaseNumber: 1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetPrice(ctx, def, cand.Number, "server.flavor.m1.tiny", "3.5"); err != nil {
			t.Fatal(err)
		}
		before, _ := s.Account(ctx, "d1")
		rep, err := s.WhatIf(ctx, def, cand.Number, 7)
		if err != nil {
			t.Fatal(err)
		}
		// s1: 3 h, s2: 4 h so far → 7 h at 2 = 14.00 actual, at 3.5 = 24.50.
		if rep.Actual != "14.00" || rep.WhatIf != "24.50" || rep.Difference != "10.50" || len(rep.Departments) != 1 ||
			len(rep.Departments[0].Resources) != 2 || rep.Departments[0].Resources[1].WhatIf != "14.00" {
			t.Fatalf("what-if: %+v", rep)
		}
		if after, _ := s.Account(ctx, "d1"); after.Charged != before.Charged {
			t.Fatalf("what-if charged something: %s → %s", before.Charged, after.Charged)
		}
		if _, err := s.WhatIf(ctx, def, cand.Number, 0); core.KindOf(err) != core.InvalidArgument {
			t.Fatalf("days 0: %v", err)
		}
		if _, err := s.WhatIf(ctx, def, 99, 7); core.KindOf(err) != core.NotFound {
			t.Fatalf("unknown list: %v", err)
		}
	})
}

// TestReplicasRecordingTheSameEventsChargeOnce_BL15: two billing replicas
// over one database, fed the same events concurrently (each reads the whole
// bus), charge every interval exactly once.
func TestReplicasRecordingTheSameEventsChargeOnce_BL15(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqlx.DB, d Dialect) {
		ctx := context.Background()
		clock := newTestClock()
		clock.Set(t0.Add(10 * time.Hour))
		a := newTestService(t, db, d, clock)
		b := newTestService(t, db, d, clock)
		activateList(t, a, 1, t0.Add(-time.Hour), map[string]string{"server.flavor.m1.tiny": "3600"})
		var evs []Event
		for i := 0; i < 40; i++ {
			st := []string{"ACTIVE", "SHUTOFF"}[i%2]
			e := ev("r"+string(rune('a'+i%26))+string(rune('a'+i/26)), core.TypeServer, "s"+string(rune('a'+i%4)), st, t0.Add(time.Duration(i)*time.Minute), tiny)
			evs = append(evs, e)
		}
		// Each replica gets every other pair of events of the same servers at
		// the same time — different events of one resource in concurrent
		// transactions — and then all of them again.
		var wg sync.WaitGroup
		for r, svc := range []*Service{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := r * 4; i < len(evs); i += 8 {
					if _, err := svc.Record(ctx, evs[i:i+4]); err != nil {
						t.Error(err)
						return
					}
				}
				if _, err := svc.Record(ctx, evs); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		var n int
		_ = db.Get(&n, `SELECT COUNT(*) FROM billing_events`)
		q := BillQuery{DepartmentID: "d1", From: t0, To: t0.Add(time.Hour)}
		got, _ := a.Bill(ctx, q)
		want, _ := a.Rebuild(ctx, q)
		if n != 40 || got.Total != want.Total {
			t.Fatalf("%d events stored; ledger %s, rebuild %s", n, got.Total, want.Total)
		}
	})
}
