// Package storetest gives tests a fresh, empty database of every dialect the
// store supports, so each store-backed test proves itself on SQLite and on
// PostgreSQL alike.
//
//	storetest.Each(t, func(t *testing.T, db *store.DB) {
//		... // db is migrated, empty, and dropped when t ends
//	})
//
// PostgreSQL is reached at $GISIAAS_TEST_POSTGRES_URL, by default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable. Each call creates
// its own database there and drops it in t.Cleanup, so runs never collide.
// An unreachable server fails the test: a silently skipped dialect is an
// untested one.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver for the admin connection

	"github.com/gisiaas/gisiaas/adapter/store"
)

// PostgresURLEnv names the environment variable with the PostgreSQL server
// tests use; the database in it only serves to create and drop others.
const PostgresURLEnv = "GISIAAS_TEST_POSTGRES_URL"

// DefaultPostgresURL is used when PostgresURLEnv is unset.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Dialects lists the dialects Each runs on, in order.
var Dialects = []store.Dialect{store.SQLite, store.Postgres}

// Each runs fn as a subtest per dialect, each with a freshly opened database.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(string(d), func(t *testing.T) {
			fn(t, Open(t, d))
		})
	}
}

// EachURL runs fn as a subtest per dialect with the URL of a fresh, empty,
// not yet migrated database, for tests of Open itself.
func EachURL(t *testing.T, fn func(t *testing.T, dialect store.Dialect, url string)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(string(d), func(t *testing.T) {
			fn(t, d, URL(t, d))
		})
	}
}

// Open opens and migrates a fresh database of dialect d, closed when t ends.
func Open(t testing.TB, d store.Dialect) *store.DB {
	t.Helper()
	u := URL(t, d)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := store.Open(ctx, u)
	if err != nil {
		t.Fatalf("store.Open(%s): %v", redact(u), err)
	}
	// Registered after URL's cleanup, so it runs first: the database is
	// closed before it is dropped.
	t.Cleanup(func() { db.Close() })
	return db
}

// URL returns the URL of a fresh, empty database of dialect d that lives as
// long as t.
func URL(t testing.TB, d store.Dialect) string {
	t.Helper()
	switch d {
	case store.SQLite:
		return "sqlite://" + filepath.Join(t.TempDir(), "gisiaas.db")
	case store.Postgres:
		return postgresURL(t)
	}
	t.Fatalf("storetest: unknown dialect %q", d)
	return ""
}

func postgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresURLEnv)
	if base == "" {
		base = DefaultPostgresURL
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("PostgreSQL at %s (set %s): %v", redact(base), PostgresURLEnv, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		t.Fatalf("PostgreSQL unreachable at %s (set %s to a server where this user may CREATE DATABASE): %v",
			redact(base), PostgresURLEnv, err)
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	name := "gisiaas_test_" + hex.EncodeToString(b[:])
	// name is ours and made of [a-z0-9_], so quoting it is enough.
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE "`+name+`"`); err != nil {
		admin.Close()
		t.Fatalf("CREATE DATABASE %s on %s: %v", name, redact(base), err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// FORCE ends connections a failed test may have leaked.
		if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`); err != nil {
			t.Errorf("DROP DATABASE %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", PostgresURLEnv, err)
	}
	u.Path = "/" + name
	return u.String()
}

// redact hides a password in a URL before it reaches a test log.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable url)"
	}
	return u.Redacted()
}
