package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/gisiaas/gisiaas/adapter/store"
	"github.com/gisiaas/gisiaas/adapter/store/storetest"
	"github.com/gisiaas/gisiaas/core"
)

var tables = []string{"departments", "projects", "users", "role_assignments", "access_keys", "tokens"}

// TestMigrationsIdempotent opens the same database twice: the second Open
// finds every migration applied, changes nothing and keeps the data.
func TestMigrationsIdempotent(t *testing.T) {
	storetest.EachURL(t, func(t *testing.T, dialect store.Dialect, url string) {
		ctx := context.Background()
		db, err := store.Open(ctx, url)
		if err != nil {
			t.Fatalf("first Open: %v", err)
		}
		if db.Dialect() != dialect {
			t.Fatalf("dialect %q, want %q", db.Dialect(), dialect)
		}
		v1, err := db.SchemaVersion(ctx)
		if err != nil || v1 < 1 {
			t.Fatalf("schema version %d, %v", v1, err)
		}
		if _, err := db.ExecContext(ctx, db.Rebind(`INSERT INTO departments (id, name, description, created_at) VALUES (?, ?, ?, CURRENT_TIMESTAMP)`),
			"d1", "Sales", "kept across opens"); err != nil {
			t.Fatalf("insert: %v", err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}

		db2, err := store.Open(ctx, url)
		if err != nil {
			t.Fatalf("second Open: %v", err)
		}
		defer db2.Close()
		v2, err := db2.SchemaVersion(ctx)
		if err != nil || v2 != v1 {
			t.Fatalf("schema version after reopen %d (%v), want %d", v2, err, v1)
		}
		for _, table := range tables {
			var n int
			if err := db2.GetContext(ctx, &n, `SELECT count(*) FROM `+table); err != nil {
				t.Fatalf("table %s: %v", table, err)
			}
		}
		var desc string
		if err := db2.GetContext(ctx, &desc, db2.Rebind(`SELECT description FROM departments WHERE id = ?`), "d1"); err != nil || desc != "kept across opens" {
			t.Fatalf("row after reopen: %q, %v", desc, err)
		}
		var applied int
		if err := db2.GetContext(ctx, &applied, `SELECT count(*) FROM goose_db_version WHERE version_id > 0`); err != nil || int64(applied) != v1 {
			t.Fatalf("goose recorded %d migrations (%v), want %d: a migration ran twice", applied, err, v1)
		}
	})
}

// TestConcurrentOpen starts several servers on one database at once; the
// migration lock (PostgreSQL) or the busy timeout (SQLite) lets all succeed.
func TestConcurrentOpen(t *testing.T) {
	storetest.EachURL(t, func(t *testing.T, _ store.Dialect, url string) {
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				db, err := store.Open(context.Background(), url)
				if err == nil {
					err = db.Close()
				}
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("concurrent Open: %v", err)
			}
		}
	})
}

// TestConstraints proves the schema enforces what the identity layer relies
// on, and that both dialects' violations are recognised the same way.
func TestConstraints(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ins := func(q string, args ...any) error {
			_, err := db.ExecContext(ctx, db.Rebind(q), args...)
			return err
		}
		if err := ins(`INSERT INTO departments (id, name, created_at) VALUES (?, ?, CURRENT_TIMESTAMP)`, "d1", "Sales"); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name       string
			err        error
			unique, fk bool
		}{
			{"duplicate department name",
				ins(`INSERT INTO departments (id, name, created_at) VALUES (?, ?, CURRENT_TIMESTAMP)`, "d2", "Sales"), true, false},
			{"duplicate primary key",
				ins(`INSERT INTO departments (id, name, created_at) VALUES (?, ?, CURRENT_TIMESTAMP)`, "d1", "Other"), true, false},
			{"project in unknown department",
				ins(`INSERT INTO projects (id, name, department_id, created_at) VALUES (?, ?, ?, CURRENT_TIMESTAMP)`, "p1", "web", "nope"), false, true},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if c.err == nil {
					t.Fatal("constraint not enforced")
				}
				if got := store.IsUniqueViolation(c.err); got != c.unique {
					t.Errorf("IsUniqueViolation=%v want %v (%v)", got, c.unique, c.err)
				}
				if got := store.IsForeignKeyViolation(c.err); got != c.fk {
					t.Errorf("IsForeignKeyViolation=%v want %v (%v)", got, c.fk, c.err)
				}
			})
		}
		if store.IsUniqueViolation(errors.New("x")) || store.IsForeignKeyViolation(nil) {
			t.Error("plain errors classified as violations")
		}
	})
}

// TestInTx proves a failing fn rolls back and keeps its error's kind.
func TestInTx(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		want := core.Errorf(core.Conflict, "boom")
		err := db.InTx(ctx, func(tx *sqlx.Tx) error {
			if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO departments (id, name, created_at) VALUES (?, ?, CURRENT_TIMESTAMP)`), "d1", "A"); err != nil {
				return err
			}
			return want
		})
		if core.KindOf(err) != core.Conflict {
			t.Fatalf("InTx error %v, want the Conflict fn returned", err)
		}
		var n int
		if err := db.GetContext(ctx, &n, `SELECT count(*) FROM departments`); err != nil || n != 0 {
			t.Fatalf("rolled back insert visible: %d rows, %v", n, err)
		}
		if err := db.InTx(ctx, func(tx *sqlx.Tx) error {
			_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO departments (id, name, created_at) VALUES (?, ?, CURRENT_TIMESTAMP)`), "d1", "A")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if err := db.GetContext(ctx, &n, `SELECT count(*) FROM departments`); err != nil || n != 1 {
			t.Fatalf("committed insert: %d rows, %v", n, err)
		}
	})
}

// TestOpenURLs covers the URL forms Open accepts and refuses.
func TestOpenURLs(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		url  string
		kind core.Kind // KindUnknown: opens
		want store.Dialect
	}{
		{"bare path", dir + "/a.db", core.KindUnknown, store.SQLite},
		{"sqlite triple slash", "sqlite://" + dir + "/b.db", core.KindUnknown, store.SQLite},
		{"sqlite with options", "sqlite://" + dir + "/c.db?cache=shared", core.KindUnknown, store.SQLite},
		{"memory", ":memory:", core.KindUnknown, store.SQLite},
		{"empty", "", core.InvalidArgument, ""},
		{"sqlite without file", "sqlite://", core.InvalidArgument, ""},
		{"unknown scheme", "mysql://root@localhost/x", core.InvalidArgument, ""},
		{"unreachable postgres", "postgres://nobody@127.0.0.1:1/x?sslmode=disable&connect_timeout=2", core.Unavailable, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db, err := store.Open(context.Background(), c.url)
			if c.kind != core.KindUnknown {
				if core.KindOf(err) != c.kind {
					t.Fatalf("Open(%q) = %v, want kind %s", c.url, err, c.kind)
				}
				return
			}
			if err != nil {
				t.Fatalf("Open(%q): %v", c.url, err)
			}
			defer db.Close()
			if db.Dialect() != c.want {
				t.Fatalf("dialect %s want %s", db.Dialect(), c.want)
			}
			var mode string
			if err := db.GetContext(context.Background(), &mode, `PRAGMA journal_mode`); err != nil {
				t.Fatal(err)
			}
			var fk int
			if err := db.GetContext(context.Background(), &fk, `PRAGMA foreign_keys`); err != nil || fk != 1 {
				t.Fatalf("foreign_keys=%d, %v", fk, err)
			}
			if c.url != ":memory:" && mode != "wal" {
				t.Fatalf("journal_mode %q, want wal", mode)
			}
		})
	}
}
