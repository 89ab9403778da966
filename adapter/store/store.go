package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/jmoiron/sqlx"
	"github.com/mattn/go-sqlite3"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/gisiaas/gisiaas/core"
)

// Dialect names the SQL flavour behind a DB.
type Dialect string

// The dialects Open understands.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// The migrations are embedded so a single binary carries its schema: there
// is no migrations directory to ship or to get out of step with the code.
// Types differ between the dialects (TIMESTAMP vs TIMESTAMPTZ), hence one set
// per dialect with the same version numbers.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// migrationLockID is the PostgreSQL advisory lock goose holds while it
// migrates, so several servers starting at once do not race on the schema.
// It is ours rather than goose's default so another goose-managed schema in
// the same database cannot block us.
const migrationLockID int64 = 0x67697369616173 // "gisiaas"

// sqliteBusyTimeout is how long a SQLite writer waits for the lock before
// failing with SQLITE_BUSY: long enough to ride out another writer's
// transaction, short enough to surface a stuck one.
const sqliteBusyTimeout = 5 * time.Second

// DB is an open, migrated database. It embeds *sqlx.DB, so callers write
// queries with ? placeholders and pass them through Rebind (or use the
// helpers below, which rebind for them) and the same code runs on SQLite and
// PostgreSQL.
type DB struct {
	*sqlx.DB
	dialect Dialect
	file    string // the SQLite file, "" for PostgreSQL and in-memory SQLite
}

// Open opens the database at rawURL and applies every pending migration.
//
// rawURL is one of:
//   - a file path, "file:…" or "sqlite:///abs/path" / "sqlite://rel/path":
//     SQLite, in WAL mode with foreign keys on and a busy timeout;
//   - "postgres://…" or "postgresql://…": PostgreSQL through pgx.
func Open(ctx context.Context, rawURL string) (*DB, error) {
	dialect, driver, dsn, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	sdb, err := sqlx.Open(driver, dsn)
	if err != nil {
		return nil, core.Wrap(core.Unavailable, "store.Open", err)
	}
	db := &DB{DB: sdb, dialect: dialect}
	if dialect == SQLite {
		if isSQLiteMemory(dsn) {
			// Every connection to :memory: is its own empty database; one
			// connection keeps the migrated schema the one everybody sees.
			sdb.SetMaxOpenConns(1)
		} else {
			db.file = sqliteFile(dsn)
		}
	}
	if err := sdb.PingContext(ctx); err != nil {
		sdb.Close()
		return nil, core.Wrap(core.Unavailable, "store.Open", err)
	}
	if err := db.migrate(ctx); err != nil {
		sdb.Close()
		return nil, err
	}
	return db, nil
}

// Dialect reports which database is behind db.
func (db *DB) Dialect() Dialect { return db.dialect }

// Close closes the database.
func (db *DB) Close() error { return db.DB.Close() }

// SchemaVersion is the version of the newest applied migration.
func (db *DB) SchemaVersion(ctx context.Context) (int64, error) {
	p, err := db.provider()
	if err != nil {
		return 0, err
	}
	return p.GetDBVersion(ctx)
}

func (db *DB) provider() (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations/"+string(db.dialect))
	if err != nil {
		return nil, err
	}
	gd := goose.DialectSQLite3
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	if db.dialect == Postgres {
		gd = goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(migrationLockID))
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	if db.file != "" {
		opts = append(opts, goose.WithLocker(newFileLocker(db.file)))
	}
	return goose.NewProvider(gd, db.DB.DB, sub, opts...)
}

// migrate applies pending migrations; applied ones are recorded in goose's
// version table, so running it again is a no-op.
func (db *DB) migrate(ctx context.Context) error {
	p, err := db.provider()
	if err != nil {
		return core.Wrap(core.Internal, "store.migrate", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return core.Wrap(core.Internal, "store.migrate", err)
	}
	return nil
}

// InTx runs fn in a transaction, committing when fn returns nil and rolling
// back otherwise. fn's error is returned as is, so its kind survives.
func (db *DB) InTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return core.Wrap(core.Unavailable, "store.InTx", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return core.Wrap(core.Unavailable, "store.InTx", err)
	}
	return nil
}

// IsUniqueViolation reports whether err is a unique or primary-key
// constraint violation on either dialect: the portable way to turn a
// duplicate name into core.Conflict without a racy check-then-insert.
func IsUniqueViolation(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505" // unique_violation
	}
	return false
}

// IsForeignKeyViolation reports whether err is a foreign-key violation on
// either dialect: a referenced row vanished between a check and a write.
func IsForeignKeyViolation(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.ExtendedCode == sqlite3.ErrConstraintForeignKey
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23503" // foreign_key_violation
	}
	return false
}

// parseURL maps a database URL onto a dialect, a database/sql driver name and
// that driver's DSN.
func parseURL(raw string) (Dialect, string, string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", "", "", core.Errorf(core.InvalidArgument, "database url: empty")
	}
	scheme, rest, hasScheme := strings.Cut(raw, "://")
	if !hasScheme {
		return SQLite, "sqlite3", sqliteDSN(raw), nil
	}
	switch strings.ToLower(scheme) {
	case "sqlite", "sqlite3":
		if rest == "" || rest == "/" {
			return "", "", "", core.Errorf(core.InvalidArgument, "database url: %q names no file", raw)
		}
		// sqlite:///abs/path leaves "/abs/path"; sqlite://rel/path leaves
		// "rel/path", the relative path people mean when they write it.
		return SQLite, "sqlite3", sqliteDSN(rest), nil
	case "postgres", "postgresql":
		if _, err := url.Parse(raw); err != nil {
			return "", "", "", core.Errorf(core.InvalidArgument, "database url: %v", err)
		}
		return Postgres, "pgx", raw, nil
	default:
		return "", "", "", core.Errorf(core.InvalidArgument, "database url: unknown scheme %q (want a SQLite path, sqlite:// or postgres://)", scheme)
	}
}

// sqliteDSN adds the connection settings we depend on to a SQLite path,
// keeping any the caller set:
//   - WAL lets readers run alongside the one writer;
//   - foreign keys are off by default in SQLite and the schema relies on them;
//   - the busy timeout makes a second writer wait instead of failing;
//   - immediate transactions take the write lock at BEGIN, so two
//     read-then-write transactions cannot deadlock upgrading their locks
//     (which SQLite reports as SQLITE_BUSY without waiting).
func sqliteDSN(path string) string {
	file, query, _ := strings.Cut(path, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		q = url.Values{}
	}
	set := func(k, v string) {
		if q.Get(k) == "" {
			q.Set(k, v)
		}
	}
	set("_journal_mode", "WAL")
	set("_foreign_keys", "on")
	set("_busy_timeout", fmt.Sprint(sqliteBusyTimeout.Milliseconds()))
	set("_txlock", "immediate")
	if !strings.HasPrefix(file, "file:") {
		file = "file:" + file
	}
	return file + "?" + q.Encode()
}

// sqliteFile is the file path inside a DSN built by sqliteDSN.
func sqliteFile(dsn string) string {
	file, _, _ := strings.Cut(strings.TrimPrefix(dsn, "file:"), "?")
	return file
}

func isSQLiteMemory(dsn string) bool {
	return strings.Contains(dsn, ":memory:") || strings.Contains(dsn, "mode=memory")
}

// NullString converts an optional string column value.
func NullString(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}
