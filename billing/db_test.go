package billing

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
	"github.com/jmoiron/sqlx"
	_ "github.com/mattn/go-sqlite3" // the "sqlite3" driver
)

// testClock is a settable clock shared by a test and its Service.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock {
	return &testClock{t: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *testClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func (c *testClock) Add(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// eachDB runs fn on a fresh SQLite file and on a fresh PostgreSQL database
// (GISIAAS_TEST_POSTGRES_URL, default the local server), as the adapter's
// store tests do: billing must behave the same on both.
func eachDB(t *testing.T, fn func(t *testing.T, db *sqlx.DB, d Dialect)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		dsn := "file:" + filepath.Join(t.TempDir(), "billing.db") + "?_journal_mode=WAL&_foreign_keys=on&_busy_timeout=5000&_txlock=immediate"
		db, err := sqlx.Open("sqlite3", dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		fn(t, db, SQLite)
	})
	t.Run("postgres", func(t *testing.T) {
		base := os.Getenv("GISIAAS_TEST_POSTGRES_URL")
		if base == "" {
			base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
		}
		admin, err := sql.Open("pgx", base)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var b [8]byte
		_, _ = rand.Read(b[:])
		name := "gisiaas_billing_" + hex.EncodeToString(b[:])
		if _, err := admin.ExecContext(ctx, `CREATE DATABASE "`+name+`"`); err != nil {
			admin.Close()
			t.Fatalf("PostgreSQL (set GISIAAS_TEST_POSTGRES_URL): CREATE DATABASE: %v", err)
		}
		u, _ := url.Parse(base)
		u.Path = "/" + name
		db, err := sqlx.Open("pgx", u.String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			db.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, _ = admin.ExecContext(ctx, `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`)
			admin.Close()
		})
		fn(t, db, Postgres)
	})
}

// newTestService opens billing over db with clock.
func newTestService(t *testing.T, db *sqlx.DB, d Dialect, clock *testClock) *Service {
	t.Helper()
	s, err := New(context.Background(), db, d, WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewSeedsDefaultsOnce(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqlx.DB, d Dialect) {
		clock := newTestClock()
		newTestService(t, db, d, clock)
		newTestService(t, db, d, clock) // a second start changes nothing
		var templates, lists int
		_ = db.Get(&templates, `SELECT COUNT(*) FROM billing_templates`)
		_ = db.Get(&lists, `SELECT COUNT(*) FROM billing_price_lists WHERE number = 1 AND status = 'not_activated'`)
		if templates != 1 || lists != 1 {
			t.Fatalf("%d templates, %d not-activated lists 1", templates, lists)
		}
	})
}
