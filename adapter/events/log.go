package events

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/gisiaas/gisiaas/adapter/store"
	"github.com/gisiaas/gisiaas/core"
)

// Retention bounds the log; a zero field does not bound.
type Retention struct {
	// MaxAge is how long an event is kept after it was published.
	MaxAge time.Duration
	// MaxCount is how many of the newest events are kept.
	MaxCount int64
}

// DefaultRetention keeps a week, which outlasts any consumer outage worth
// resuming from; beyond it a consumer reconciles by listing.
var DefaultRetention = Retention{MaxAge: 7 * 24 * time.Hour, MaxCount: 1_000_000}

// CursorChecker is a Bus that tells up front whether a seq is still
// retained, so a server can refuse a stale resume with 410 before it commits
// to a stream.
type CursorChecker interface {
	CheckCursor(ctx context.Context, after int64) error
}

// Log is the Bus over the adapter's database. See the package doc.
type Log struct {
	db        *store.DB
	retention Retention
	clock     func() time.Time
	batch     int

	pubMu sync.Mutex // serializes this process's publishers

	mu   sync.Mutex
	wake chan struct{} // closed and replaced whenever the table changes
}

var (
	_ Bus           = (*Log)(nil)
	_ CursorChecker = (*Log)(nil)
)

// Option configures a Log.
type Option func(*Log)

// WithRetention sets the retention (DefaultRetention otherwise).
func WithRetention(r Retention) Option { return func(l *Log) { l.retention = r } }

// WithClock sets the clock that stamps published_at (tests).
func WithClock(now func() time.Time) Option { return func(l *Log) { l.clock = now } }

// WithBatch sets how many rows one read of Subscribe takes (tests make it
// small to cross batch boundaries).
func WithBatch(n int) Option {
	return func(l *Log) {
		if n > 0 {
			l.batch = n
		}
	}
}

// NewLog returns the log over db, whose migrations created its tables.
func NewLog(db *store.DB, opts ...Option) *Log {
	l := &Log{db: db, retention: DefaultRetention, clock: time.Now, batch: 256, wake: make(chan struct{})}
	for _, o := range opts {
		o(l)
	}
	return l
}

// publishLockID is the PostgreSQL advisory lock publishers hold until they
// commit, so seq order is commit order across processes too: a reader that
// sees seq n can never later find a smaller one appear.
const publishLockID int64 = 0x67697369616174 // "gisiaat"

const eventColumns = `seq, id, cursor, resource_type, resource_id, datacenter_id, project_id, department_id, from_state, to_state, attributes, occurred_at`

// Publish appends e, or returns the event already stored under e.ID and
// false. e.Seq is ignored; e.Time is kept in UTC to the microsecond, the
// precision both databases hold, so the event returned is the one
// subscribers will read.
func (l *Log) Publish(ctx context.Context, e Event) (Event, bool, error) {
	if e.ID == "" {
		return Event{}, false, core.Errorf(core.InvalidArgument, "event id is required")
	}
	attrs, err := json.Marshal(e.Attributes)
	if err != nil {
		return Event{}, false, core.Wrap(core.Internal, "events.Publish", err)
	}
	e.Seq = 0
	e.Time = e.Time.UTC().Truncate(time.Microsecond)
	now := l.clock().UTC()

	l.pubMu.Lock()
	defer l.pubMu.Unlock()
	var stored Event
	added := false
	err = l.db.InTx(ctx, func(tx *sqlx.Tx) error {
		if l.db.Dialect() == store.Postgres {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, publishLockID); err != nil {
				return core.Wrap(core.Unavailable, "events.Publish", err)
			}
		}
		// ON CONFLICT leaves the transaction usable (a failed INSERT would
		// abort it on PostgreSQL), so the stored row can be read right away.
		var seq int64
		err := tx.QueryRowxContext(ctx, tx.Rebind(`INSERT INTO events (id, cursor, resource_type, resource_id, datacenter_id, project_id, department_id, from_state, to_state, attributes, occurred_at, published_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING seq`),
			e.ID, e.Cursor, e.ResourceType, e.ResourceID, e.DatacenterID, e.ProjectID, e.DepartmentID, e.FromState, e.ToState,
			string(attrs), e.Time, now).Scan(&seq)
		switch {
		case errors.Is(err, sql.ErrNoRows): // the id is taken: a duplicate
			var r eventRow
			if err := tx.GetContext(ctx, &r, tx.Rebind(`SELECT `+eventColumns+` FROM events WHERE id = ?`), e.ID); err != nil {
				return core.Wrap(core.Unavailable, "events.Publish", err)
			}
			stored, err = r.event()
			return err
		case err != nil:
			return core.Wrap(core.Unavailable, "events.Publish", err)
		}
		e.Seq = seq
		stored, added = e, true
		return nil
	})
	if err != nil {
		return Event{}, false, err
	}
	if added {
		l.broadcast() // after the commit: a woken subscriber must find the row
	}
	return stored, added, nil
}

// changed returns the channel the next change closes. A subscriber takes it
// before it queries, so a change committed after the query still wakes it.
func (l *Log) changed() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.wake
}

func (l *Log) broadcast() {
	l.mu.Lock()
	close(l.wake)
	l.wake = make(chan struct{})
	l.mu.Unlock()
}

// Subscribe calls fn with every retained event after seq after (0 = from the
// oldest retained) that match accepts, in Seq order, then with each new one,
// until ctx is done or fn fails. A seq the log has trimmed is Gone, when
// Subscribe starts or later, if the subscriber falls that far behind.
func (l *Log) Subscribe(ctx context.Context, after int64, match func(Event) bool, fn func(Event) error) error {
	if after < 0 {
		return core.Errorf(core.InvalidArgument, "after: %d is negative", after)
	}
	last := after
	fromOldest := after == 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		wake := l.changed()
		batch, trimmed, err := l.read(ctx, last)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		if last < trimmed && !fromOldest {
			return goneError(last, trimmed)
		}
		fromOldest = false // once started, events trimmed unseen are Gone
		for _, e := range batch {
			if match == nil || match(e) {
				if err := fn(e); err != nil {
					return err
				}
			}
			last = e.Seq
		}
		if len(batch) == l.batch {
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		}
	}
}

// CheckCursor returns Gone when after is older than the retained events.
func (l *Log) CheckCursor(ctx context.Context, after int64) error {
	if after < 0 {
		return core.Errorf(core.InvalidArgument, "after: %d is negative", after)
	}
	var trimmed int64
	if err := l.db.GetContext(ctx, &trimmed, `SELECT trimmed_through FROM event_log WHERE id = 1`); err != nil {
		return core.Wrap(core.Unavailable, "events.CheckCursor", err)
	}
	if after > 0 && after < trimmed {
		return goneError(after, trimmed)
	}
	return nil
}

func goneError(after, trimmed int64) error {
	return core.Errorf(core.Gone, "event %d is older than the retained events (from %d); reconcile by listing", after, trimmed+1)
}

// read returns up to l.batch events after seq last and the highest seq
// trimmed, in one statement: one snapshot, so a Trim between two reads
// cannot delete unseen events without the watermark saying so.
func (l *Log) read(ctx context.Context, last int64) ([]Event, int64, error) {
	rows, err := l.db.QueryxContext(ctx, l.db.Rebind(`SELECT l.trimmed_through, e.seq, e.id, e.cursor, e.resource_type, e.resource_id,
		e.datacenter_id, e.project_id, e.department_id, e.from_state, e.to_state, e.attributes, e.occurred_at
		FROM event_log l LEFT JOIN events e ON e.seq > ? WHERE l.id = 1 ORDER BY e.seq LIMIT ?`), last, l.batch)
	if err != nil {
		return nil, 0, core.Wrap(core.Unavailable, "events.Subscribe", err)
	}
	defer rows.Close()
	var out []Event
	var trimmed int64
	for rows.Next() {
		var r joinedRow
		if err := rows.StructScan(&r); err != nil {
			return nil, 0, core.Wrap(core.Unavailable, "events.Subscribe", err)
		}
		trimmed = r.Trimmed
		if !r.Seq.Valid { // the log is empty after last
			continue
		}
		e, err := r.eventRow().event()
		if err != nil {
			return nil, 0, err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, core.Wrap(core.Unavailable, "events.Subscribe", err)
	}
	return out, trimmed, nil
}

// Trim deletes the events beyond the retention and returns how many. It
// deletes a prefix of the log (every seq up to the newest one beyond the
// retention), so "older than the retained" stays one number.
func (l *Log) Trim(ctx context.Context) (int64, error) {
	r := l.retention
	if r.MaxAge <= 0 && r.MaxCount <= 0 {
		return 0, nil
	}
	var deleted int64
	err := l.db.InTx(ctx, func(tx *sqlx.Tx) error {
		var through int64
		if r.MaxCount > 0 {
			var s int64
			err := tx.GetContext(ctx, &s, tx.Rebind(`SELECT seq FROM events ORDER BY seq DESC LIMIT 1 OFFSET ?`), r.MaxCount)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return core.Wrap(core.Unavailable, "events.Trim", err)
			}
			through = max(through, s)
		}
		if r.MaxAge > 0 {
			var s sql.NullInt64
			if err := tx.GetContext(ctx, &s, tx.Rebind(`SELECT MAX(seq) FROM events WHERE published_at < ?`),
				l.clock().UTC().Add(-r.MaxAge)); err != nil {
				return core.Wrap(core.Unavailable, "events.Trim", err)
			}
			through = max(through, s.Int64)
		}
		if through == 0 {
			return nil
		}
		res, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM events WHERE seq <= ?`), through)
		if err != nil {
			return core.Wrap(core.Unavailable, "events.Trim", err)
		}
		deleted, _ = res.RowsAffected()
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE event_log SET trimmed_through = ? WHERE id = 1 AND trimmed_through < ?`),
			through, through); err != nil {
			return core.Wrap(core.Unavailable, "events.Trim", err)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if deleted > 0 {
		l.broadcast() // a subscriber now behind the retention learns it at once
	}
	return deleted, nil
}

// RunTrim trims at once and then every interval until ctx is done; a
// failure is logged and retried at the next tick.
func (l *Log) RunTrim(ctx context.Context, every time.Duration, logger *slog.Logger) {
	if logger == nil {
		logger = slog.Default()
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := l.Trim(ctx); err != nil && ctx.Err() == nil {
			logger.Warn("trimming the event log failed", "error", err)
		} else if n > 0 {
			logger.Debug("event log trimmed", "deleted", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// eventRow is one row of the events table.
type eventRow struct {
	Seq          int64     `db:"seq"`
	ID           string    `db:"id"`
	Cursor       string    `db:"cursor"`
	ResourceType string    `db:"resource_type"`
	ResourceID   string    `db:"resource_id"`
	DatacenterID string    `db:"datacenter_id"`
	ProjectID    string    `db:"project_id"`
	DepartmentID string    `db:"department_id"`
	FromState    string    `db:"from_state"`
	ToState      string    `db:"to_state"`
	Attributes   string    `db:"attributes"`
	OccurredAt   time.Time `db:"occurred_at"`
}

func (r eventRow) event() (Event, error) {
	e := Event{Seq: r.Seq, DepartmentID: r.DepartmentID, Event: core.Event{
		ID: r.ID, Cursor: r.Cursor, ResourceType: core.ResourceType(r.ResourceType), ResourceID: r.ResourceID,
		DatacenterID: r.DatacenterID, ProjectID: r.ProjectID, FromState: r.FromState, ToState: r.ToState,
		Time: r.OccurredAt.UTC(),
	}}
	if err := json.Unmarshal([]byte(r.Attributes), &e.Attributes); err != nil {
		return Event{}, core.Wrap(core.Internal, "events: attributes of event "+r.ID, err)
	}
	return e, nil
}

// joinedRow is a row of read's join: the event columns are NULL when no
// event follows the seq asked for.
type joinedRow struct {
	Trimmed      int64          `db:"trimmed_through"`
	Seq          sql.NullInt64  `db:"seq"`
	ID           sql.NullString `db:"id"`
	Cursor       sql.NullString `db:"cursor"`
	ResourceType sql.NullString `db:"resource_type"`
	ResourceID   sql.NullString `db:"resource_id"`
	DatacenterID sql.NullString `db:"datacenter_id"`
	ProjectID    sql.NullString `db:"project_id"`
	DepartmentID sql.NullString `db:"department_id"`
	FromState    sql.NullString `db:"from_state"`
	ToState      sql.NullString `db:"to_state"`
	Attributes   sql.NullString `db:"attributes"`
	OccurredAt   sql.NullTime   `db:"occurred_at"`
}

func (j joinedRow) eventRow() eventRow {
	return eventRow{Seq: j.Seq.Int64, ID: j.ID.String, Cursor: j.Cursor.String, ResourceType: j.ResourceType.String,
		ResourceID: j.ResourceID.String, DatacenterID: j.DatacenterID.String, ProjectID: j.ProjectID.String,
		DepartmentID: j.DepartmentID.String, FromState: j.FromState.String, ToState: j.ToState.String,
		Attributes: j.Attributes.String, OccurredAt: j.OccurredAt.Time}
}
