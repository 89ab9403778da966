package billing

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jmoiron/sqlx"
	"github.com/mattn/go-sqlite3"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"

	"github.com/gisiaas/gisiaas/core"
)

// Dialect names the database behind a Service: "sqlite" or "postgres".
type Dialect string

// The dialects billing runs on.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// versionTable is billing's own goose version table, so its schema evolves
// apart from the adapter's in the same database.
const versionTable = "billing_goose_db_version"

// Service is billing: the ledger, pricing, accounts and bills, over its own
// tables in the deployment's database. It consumes lifecycle events (Record)
// and knows no driver.
type Service struct {
	db      *sqlx.DB
	dialect Dialect
	clock   func() time.Time
	log     *slog.Logger
	alerts  func(Alert)

	// recordMu serializes Record: events of one resource must be rated in
	// order, and the ledger's running totals are read-modify-write.
	recordMu sync.Mutex
	hist     historyCache
	// resources caches billing_resources rows as of ledger version
	// resourcesAt; guarded by recordMu, which every writer of the table
	// holds in this process (other replicas bump the version).
	resources   map[resKey]resourceRow
	resourcesAt int64

	stmtMu sync.Mutex
	stmts  map[string]*sqlx.Stmt
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock (tests).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.clock = now } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithAlerts sets what is called with each low-balance or arrears alert
// (the adapter publishes it on its bus); webhooks are sent as well.
func WithAlerts(fn func(Alert)) Option { return func(s *Service) { s.alerts = fn } }

// New opens billing over db (of dialect), applies its migrations and, at the
// first start, creates the settings, the Default template and its price
// list 1, not activated: nothing is charged until an operator activates a
// price list (BL.6).
func New(ctx context.Context, db *sqlx.DB, dialect Dialect, opts ...Option) (*Service, error) {
	s := &Service{db: db, dialect: dialect, clock: time.Now, log: slog.New(slog.DiscardHandler), alerts: func(Alert) {}}
	for _, o := range opts {
		o(s)
	}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	if err := s.seed(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Service) migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations/"+string(s.dialect))
	if err != nil {
		return err
	}
	gd := database.DialectSQLite3
	if s.dialect == Postgres {
		gd = database.DialectPostgres
	}
	store, err := database.NewStore(gd, versionTable)
	if err != nil {
		return err
	}
	p, err := goose.NewProvider("", s.db.DB, sub, goose.WithStore(store), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return core.Wrap(core.Internal, "billing.migrate", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return core.Wrap(core.Unavailable, "billing.migrate", err)
	}
	return nil
}

// DefaultTemplateName is the template that exists from install (BL.5).
const DefaultTemplateName = "Default"

func (s *Service) seed(ctx context.Context) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		now := s.now()
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO billing_settings (id, currency, timezone, updated_at) VALUES (1, 'USD', 'UTC', ?) ON CONFLICT (id) DO NOTHING`), now); err != nil {
			return dbErr("seed", err)
		}
		var n int
		if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM billing_templates WHERE is_default`); err != nil {
			return dbErr("seed", err)
		}
		if n > 0 {
			return nil
		}
		tid, lid := newID(), newID()
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO billing_templates (id, name, description, is_default, created_at) VALUES (?, ?, ?, TRUE, ?)`),
			tid, DefaultTemplateName, "the template every department starts with", now); err != nil {
			return dbErr("seed", err)
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO billing_price_lists (id, template_id, number, description, status, created_at, updated_at) VALUES (?, ?, 1, ?, 'not_activated', ?, ?)`),
			lid, tid, "price list 1", now, now); err != nil {
			return dbErr("seed", err)
		}
		return nil
	})
}

func (s *Service) now() time.Time { return s.clock().UTC() }

// inTx runs fn in a transaction, committed when fn returns nil.
func (s *Service) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return dbErr("begin", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return dbErr("commit", err)
	}
	return nil
}

// dbErr classifies a database failure: the caller may retry.
func dbErr(op string, err error) error {
	var ce *core.Error
	if errors.As(err, &ce) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return core.Errorf(core.NotFound, "%s: not found", op)
	}
	return core.Wrap(core.Unavailable, "billing."+op, err)
}

// isUniqueViolation reports a unique or primary-key violation on either dialect.
func isUniqueViolation(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// newID returns a random 128-bit id in hex.
func newID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return hex.EncodeToString(b[:])
}

// Alert is a low-balance or arrears alert (BL.11, beyond the manual).
type Alert struct {
	DepartmentID string    `json:"department_id"`
	Kind         string    `json:"kind"` // "low_balance" or "arrears"
	Balance      string    `json:"balance"`
	Threshold    string    `json:"threshold,omitempty"`
	Currency     string    `json:"currency"`
	Time         time.Time `json:"time"`
}
