package billing

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/gisiaas/gisiaas/core"
)

// benchDB opens a fresh database of dialect for a benchmark.
func benchDB(b *testing.B, d Dialect) *sqlx.DB {
	b.Helper()
	var db *sqlx.DB
	t := &testing.T{}
	_ = t
	switch d {
	case SQLite:
		dsn := "file:" + filepath.Join(b.TempDir(), "billing.db") + "?_journal_mode=WAL&_foreign_keys=on&_busy_timeout=5000&_txlock=immediate&_synchronous=NORMAL"
		var err error
		if db, err = sqlx.Open("sqlite3", dsn); err != nil {
			b.Fatal(err)
		}
	case Postgres:
		url := os.Getenv("GISIAAS_TEST_POSTGRES_URL")
		if url == "" {
			url = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
		}
		var err error
		if db, err = sqlx.Open("pgx", url); err != nil {
			b.Fatal(err)
		}
		name := "bench_" + newID()[:12]
		if _, err := db.Exec(`CREATE SCHEMA ` + name); err != nil {
			b.Fatal(err)
		}
		db.Close()
		if db, err = sqlx.Open("pgx", url+"&search_path="+name); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() {
			admin, _ := sqlx.Open("pgx", url)
			_, _ = admin.Exec(`DROP SCHEMA ` + name + ` CASCADE`)
			admin.Close()
		})
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// BenchmarkRecord rates events into each database in batches of 500: a
// department's servers and volumes changing state, each event closing an
// interval and posting its segments. Reported as events/s.
func BenchmarkRecord(b *testing.B) {
	for _, d := range []Dialect{SQLite, Postgres} {
		b.Run(string(d), func(b *testing.B) {
			db := benchDB(b, d)
			clock := newTestClock()
			s, err := New(context.Background(), db, d, WithClock(clock.Now))
			if err != nil {
				b.Fatal(err)
			}
			benchPrices(b, s)
			const batch, resources = 2000, 2000
			states := []string{"ACTIVE", "SHUTOFF"}
			n := 0
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				evs := make([]Event, batch)
				for j := range evs {
					n++
					r := n % resources
					at := t0.Add(time.Duration(n) * time.Second)
					evs[j] = Event{Event: core.Event{ID: fmt.Sprint("e", n), ResourceType: core.TypeServer, ResourceID: fmt.Sprint("s", r),
						ProjectID: "p", DatacenterID: "dc1", ToState: states[(n/resources)%2], Attributes: tiny, Time: at}, DepartmentID: fmt.Sprint("d", r%20)}
				}
				if _, err := s.Record(context.Background(), evs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*batch)/time.Since(start).Seconds(), "events/s")
		})
	}
}

func benchPrices(b *testing.B, s *Service) {
	var tid string
	if err := s.db.Get(&tid, `SELECT id FROM billing_templates WHERE is_default`); err != nil {
		b.Fatal(err)
	}
	id := newID()
	s.db.MustExec(s.db.Rebind(`INSERT INTO billing_price_lists (id, template_id, number, description, effective_at, status, created_at, updated_at) VALUES (?, ?, 9, '', ?, 'activated', ?, ?)`), id, tid, t0.Add(-time.Hour), t0, t0)
	s.db.MustExec(s.db.Rebind(`INSERT INTO billing_prices (price_list_id, item, unit_price) VALUES (?, 'server.flavor.m1.tiny', '0.0321')`), id)
	s.db.MustExec(s.db.Rebind(`INSERT INTO billing_prices (price_list_id, item, unit_price) VALUES (?, 'volume.gb.std', '0.0001')`), id)
}

// BenchmarkBill30Days10k bills a department with 10,000 resources over 30
// days: each resource with a few state changes, half still running.
func BenchmarkBill30Days10k(b *testing.B) {
	for _, d := range []Dialect{SQLite, Postgres} {
		b.Run(string(d), func(b *testing.B) {
			db := benchDB(b, d)
			clock := newTestClock()
			s, err := New(context.Background(), db, d, WithClock(clock.Now))
			if err != nil {
				b.Fatal(err)
			}
			benchPrices(b, s)
			const resources = 10000
			var evs []Event
			n := 0
			for r := 0; r < resources; r++ {
				typ, attrs := core.TypeServer, tiny
				states := []string{"ACTIVE", "SHUTOFF", "ACTIVE", "DELETED"}
				if r%2 == 1 {
					typ, attrs = core.TypeVolume, core.EventAttributes{SizeGB: 10, VolumeType: "std"}
					states = []string{"available", "in-use", "available"}
				}
				for k, st := range states {
					n++
					evs = append(evs, Event{Event: core.Event{ID: fmt.Sprint("e", n), ResourceType: typ, ResourceID: fmt.Sprint("r", r), ProjectID: fmt.Sprint("p", r%7),
						DatacenterID: "dc1", ToState: st, Attributes: attrs, Time: t0.Add(time.Duration(k*7*24+r%100) * time.Hour)}, DepartmentID: "d"})
				}
			}
			for i := 0; i < len(evs); i += 2000 {
				if _, err := s.Record(context.Background(), evs[i:min(i+2000, len(evs))]); err != nil {
					b.Fatal(err)
				}
			}
			clock.Set(t0.Add(30 * 24 * time.Hour))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				bill, err := s.Bill(context.Background(), BillQuery{DepartmentID: "d", From: t0, To: t0.Add(30 * 24 * time.Hour)})
				if err != nil || len(bill.Lines) < resources {
					b.Fatalf("%d lines, %v", len(bill.Lines), err)
				}
			}
		})
	}
}
