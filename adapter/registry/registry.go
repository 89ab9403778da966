package registry

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/gisiaas/gisiaas/adapter/store"
	"github.com/gisiaas/gisiaas/core"
)

// Resource is one resource the adapter manages.
type Resource struct {
	Type         core.ResourceType `db:"type"`
	ID           string            `db:"id"` // global: unique across datacenters
	DatacenterID string            `db:"datacenter_id"`
	CloudID      string            `db:"cloud_id"` // the cloud's own id
	ProjectID    string            `db:"project_id"`
	State        string            `db:"state"` // last known, normalized
	CreatedAt    time.Time         `db:"created_at"`
	UpdatedAt    time.Time         `db:"updated_at"`
}

type key struct {
	typ core.ResourceType
	id  string
}

// Registry is the resource registry and the create intents.
type Registry struct {
	db    *store.DB
	clock func() time.Time

	// wmu serializes the writers of resources across their transaction and
	// the map update that follows its commit, so the map is always what the
	// database holds: a writer never misses a row another has just inserted,
	// and two commits are never remembered in the opposite order.
	wmu sync.Mutex
	mu  sync.RWMutex
	res map[key]Resource
}

// Option configures a Registry.
type Option func(*Registry)

// WithClock sets the clock (tests).
func WithClock(now func() time.Time) Option { return func(r *Registry) { r.clock = now } }

// Open loads the registry from db.
func Open(ctx context.Context, db *store.DB, opts ...Option) (*Registry, error) {
	r := &Registry{db: db, clock: time.Now, res: map[key]Resource{}}
	for _, o := range opts {
		o(r)
	}
	var rows []Resource
	if err := db.SelectContext(ctx, &rows, `SELECT type, id, datacenter_id, cloud_id, project_id, state, created_at, updated_at FROM resources`); err != nil {
		return nil, core.Wrap(core.Unavailable, "registry.Open", err)
	}
	for _, row := range rows {
		r.res[key{row.Type, row.ID}] = row
	}
	return r, nil
}

// Get returns the resource typ/id, if registered.
func (r *Registry) Get(typ core.ResourceType, id string) (Resource, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	v, ok := r.res[key{typ, id}]
	return v, ok
}

// Owned returns the resource typ/id when project owns it, else NotFound
// (never saying that it exists in another project).
func (r *Registry) Owned(typ core.ResourceType, id, project string) (Resource, error) {
	v, ok := r.Get(typ, id)
	if !ok || v.ProjectID != project {
		return Resource{}, core.Errorf(core.NotFound, "%s %s not found", typ, id)
	}
	return v, nil
}

// List returns project's resources of type typ, oldest first.
func (r *Registry) List(project string, typ core.ResourceType) []Resource {
	r.mu.RLock()
	var out []Resource
	for k, v := range r.res {
		if k.typ == typ && v.ProjectID == project {
			out = append(out, v)
		}
	}
	r.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Put records res, or updates its state. An id already held by another
// datacenter or project is Conflict: ids must be unique across datacenters.
func (r *Registry) Put(ctx context.Context, res Resource) error {
	r.wmu.Lock()
	defer r.wmu.Unlock()
	var saved Resource
	err := r.db.InTx(ctx, func(tx *sqlx.Tx) (err error) {
		saved, err = r.put(ctx, tx, res, false)
		return err
	})
	if err == nil {
		r.remember(saved)
	}
	return err
}

// put writes res in tx and returns the row as saved; the caller remembers
// it once tx has committed, so a rolled-back write is never seen.
//
// keepState keeps the state of a row already there: a create's answer is
// older news than the events the reconciler may have recorded meanwhile.
func (r *Registry) put(ctx context.Context, tx *sqlx.Tx, res Resource, keepState bool) (Resource, error) {
	now := r.clock().UTC()
	if res.CloudID == "" {
		res.CloudID = res.ID
	}
	if res.CreatedAt.IsZero() {
		res.CreatedAt = now
	}
	res.UpdatedAt = now
	r.mu.RLock()
	old, had := r.res[key{res.Type, res.ID}]
	r.mu.RUnlock()
	if had && (old.DatacenterID != res.DatacenterID || old.ProjectID != res.ProjectID) {
		return Resource{}, core.Errorf(core.Conflict, "%s %s is already registered in datacenter %s", res.Type, res.ID, old.DatacenterID)
	}
	if had {
		res.CreatedAt = old.CreatedAt
		if res.State == "" || keepState {
			res.State = old.State
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE resources SET state = ?, updated_at = ? WHERE type = ? AND id = ?`),
			res.State, res.UpdatedAt, res.Type, res.ID); err != nil {
			return Resource{}, core.Wrap(core.Unavailable, "registry.Put", err)
		}
	} else if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO resources (type, id, datacenter_id, cloud_id, project_id, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		res.Type, res.ID, res.DatacenterID, res.CloudID, res.ProjectID, res.State, res.CreatedAt, res.UpdatedAt); err != nil {
		if store.IsUniqueViolation(err) {
			return Resource{}, core.Errorf(core.Conflict, "%s %s is already registered", res.Type, res.ID)
		}
		return Resource{}, core.Wrap(core.Unavailable, "registry.Put", err)
	}
	return res, nil
}

func (r *Registry) remember(res Resource) {
	r.mu.Lock()
	r.res[key{res.Type, res.ID}] = res
	r.mu.Unlock()
}

// SetState records the last known state of typ/id; an unknown id is a no-op
// reported as false.
func (r *Registry) SetState(ctx context.Context, typ core.ResourceType, id, state string) (bool, error) {
	// Read and write under the writer lock: a Delete in between must not
	// be undone by re-inserting the row.
	r.wmu.Lock()
	defer r.wmu.Unlock()
	v, ok := r.Get(typ, id)
	if !ok {
		return false, nil
	}
	if v.State == state {
		return true, nil
	}
	v.State = state
	var saved Resource
	err := r.db.InTx(ctx, func(tx *sqlx.Tx) (err error) {
		saved, err = r.put(ctx, tx, v, false)
		return err
	})
	if err == nil {
		r.remember(saved)
	}
	return true, err
}

// Delete forgets typ/id (it is gone from its cloud).
func (r *Registry) Delete(ctx context.Context, typ core.ResourceType, id string) error {
	r.wmu.Lock()
	defer r.wmu.Unlock()
	if _, err := r.db.ExecContext(ctx, r.db.Rebind(`DELETE FROM resources WHERE type = ? AND id = ?`), typ, id); err != nil {
		return core.Wrap(core.Unavailable, "registry.Delete", err)
	}
	r.mu.Lock()
	delete(r.res, key{typ, id})
	r.mu.Unlock()
	return nil
}

// IntentStatus is where a create stands.
type IntentStatus string

// Intent statuses.
const (
	IntentPending   IntentStatus = "pending"   // recorded; the driver may or may not have it
	IntentDone      IntentStatus = "done"      // the driver answered; Response is the answer
	IntentFailed    IntentStatus = "failed"    // the driver refused; Response is the error
	IntentAbandoned IntentStatus = "abandoned" // cut short and not found in the cloud
)

// IdempotencyWindow is how long an Idempotency-Key replays its first answer.
const IdempotencyWindow = 24 * time.Hour

// Intent is a create the adapter was asked for.
type Intent struct {
	Token          string            `db:"token"` // the driver's client token
	ProjectID      string            `db:"project_id"`
	UserID         string            `db:"user_id"`
	Type           core.ResourceType `db:"type"`
	DatacenterID   string            `db:"datacenter_id"`
	IdempotencyKey sql.NullString    `db:"idempotency_key"`
	RequestHash    string            `db:"request_hash"`
	Status         IntentStatus      `db:"status"`
	ResourceID     string            `db:"resource_id"`
	ResponseCode   int               `db:"response_code"`
	Response       []byte            `db:"response"`
	CreatedAt      time.Time         `db:"created_at"`
	UpdatedAt      time.Time         `db:"updated_at"`
}

const intentColumns = `token, project_id, user_id, type, datacenter_id, idempotency_key, request_hash, status, resource_id, response_code, response, created_at, updated_at`

// ErrKeyReused is returned by BeginCreate when an Idempotency-Key comes back
// with a different request.
var ErrKeyReused = core.Errorf(core.Conflict, "this Idempotency-Key was used with a different request in the last 24 hours")

// BeginCreate records a create before the driver is called. With an
// idempotency key seen in the last 24 hours for the same request it returns
// that earlier intent and replay=true: done or failed, answer its Response;
// pending, call the driver again with the same token (the driver dedups). A
// key seen with a different request is ErrKeyReused.
func (r *Registry) BeginCreate(ctx context.Context, in Intent) (out Intent, replay bool, err error) {
	now := r.clock().UTC()
	err = r.db.InTx(ctx, func(tx *sqlx.Tx) error {
		if in.IdempotencyKey.Valid {
			var old Intent
			err := tx.GetContext(ctx, &old, tx.Rebind(`SELECT `+intentColumns+` FROM create_intents WHERE project_id = ? AND idempotency_key = ?`),
				in.ProjectID, in.IdempotencyKey.String)
			switch {
			case errors.Is(err, sql.ErrNoRows):
			case err != nil:
				return core.Wrap(core.Unavailable, "registry.BeginCreate", err)
			case now.Sub(old.CreatedAt) < IdempotencyWindow:
				if old.RequestHash != in.RequestHash || old.Type != in.Type {
					return ErrKeyReused
				}
				out, replay = old, true
				return nil
			default: // expired: the key is free again; the old intent stays, without its key
				if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE create_intents SET idempotency_key = NULL WHERE token = ?`), old.Token); err != nil {
					return core.Wrap(core.Unavailable, "registry.BeginCreate", err)
				}
			}
		}
		in.Token = NewToken()
		in.Status, in.CreatedAt, in.UpdatedAt = IntentPending, now, now
		_, err := tx.NamedExecContext(ctx, `INSERT INTO create_intents (`+intentColumns+`) VALUES (:token, :project_id, :user_id, :type, :datacenter_id, :idempotency_key, :request_hash, :status, :resource_id, :response_code, :response, :created_at, :updated_at)`, in)
		if store.IsUniqueViolation(err) {
			return core.Errorf(core.Conflict, "a request with this Idempotency-Key is already in progress")
		}
		if err != nil {
			return core.Wrap(core.Unavailable, "registry.BeginCreate", err)
		}
		out = in
		return nil
	})
	return out, replay, err
}

// FinishCreate records the driver's answer to intent token and registers
// the resource, in one transaction.
func (r *Registry) FinishCreate(ctx context.Context, token string, res Resource, code int, response []byte) error {
	r.wmu.Lock()
	defer r.wmu.Unlock()
	var saved Resource
	err := r.db.InTx(ctx, func(tx *sqlx.Tx) (err error) {
		if saved, err = r.put(ctx, tx, res, true); err != nil {
			return err
		}
		return r.setIntent(ctx, tx, token, IntentDone, res.ID, code, response)
	})
	if err == nil {
		r.remember(saved)
	}
	return err
}

// CompleteCreate records the driver's answer to intent token for an object
// the registry does not hold (a shared one, such as a flavor).
func (r *Registry) CompleteCreate(ctx context.Context, token, objectID string, code int, response []byte) error {
	return r.db.InTx(ctx, func(tx *sqlx.Tx) error { return r.setIntent(ctx, tx, token, IntentDone, objectID, code, response) })
}

// FailCreate records that the driver refused intent token; a replay
// answers the same error.
func (r *Registry) FailCreate(ctx context.Context, token string, code int, response []byte) error {
	return r.db.InTx(ctx, func(tx *sqlx.Tx) error { return r.setIntent(ctx, tx, token, IntentFailed, "", code, response) })
}

// AbandonCreate records that intent token was cut short and its resource
// never appeared in the cloud.
func (r *Registry) AbandonCreate(ctx context.Context, token string) error {
	return r.db.InTx(ctx, func(tx *sqlx.Tx) error { return r.setIntent(ctx, tx, token, IntentAbandoned, "", 0, nil) })
}

// ForgetCreate deletes a pending intent whose create never reached the
// cloud (the datacenter was unavailable), so its key can be retried afresh.
func (r *Registry) ForgetCreate(ctx context.Context, token string) error {
	_, err := r.db.ExecContext(ctx, r.db.Rebind(`DELETE FROM create_intents WHERE token = ? AND status = 'pending'`), token)
	if err != nil {
		return core.Wrap(core.Unavailable, "registry.ForgetCreate", err)
	}
	return nil
}

func (r *Registry) setIntent(ctx context.Context, tx *sqlx.Tx, token string, st IntentStatus, resID string, code int, response []byte) error {
	_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE create_intents SET status = ?, resource_id = ?, response_code = ?, response = ?, updated_at = ? WHERE token = ?`),
		st, resID, code, response, r.clock().UTC(), token)
	if err != nil {
		return core.Wrap(core.Unavailable, "registry.setIntent", err)
	}
	return nil
}

// PendingCreates lists intents still pending that were recorded before
// cutoff: the creates a crash or timeout cut short.
func (r *Registry) PendingCreates(ctx context.Context, cutoff time.Time) ([]Intent, error) {
	var out []Intent
	err := r.db.SelectContext(ctx, &out, r.db.Rebind(`SELECT `+intentColumns+` FROM create_intents WHERE status = 'pending' AND created_at < ? ORDER BY created_at`), cutoff.UTC())
	if err != nil {
		return nil, core.Wrap(core.Unavailable, "registry.PendingCreates", err)
	}
	return out, nil
}

// Intent returns the intent with token.
func (r *Registry) Intent(ctx context.Context, token string) (Intent, error) {
	var in Intent
	err := r.db.GetContext(ctx, &in, r.db.Rebind(`SELECT `+intentColumns+` FROM create_intents WHERE token = ?`), token)
	if errors.Is(err, sql.ErrNoRows) {
		return Intent{}, core.Errorf(core.NotFound, "intent %s not found", token)
	}
	if err != nil {
		return Intent{}, core.Wrap(core.Unavailable, "registry.Intent", err)
	}
	return in, nil
}

// Cursor returns where datacenter dc's Watch stream was last read ("" if never).
func (r *Registry) Cursor(ctx context.Context, dc string) (string, error) {
	var c string
	err := r.db.GetContext(ctx, &c, r.db.Rebind(`SELECT cursor FROM watch_cursors WHERE datacenter_id = ?`), dc)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", core.Wrap(core.Unavailable, "registry.Cursor", err)
	}
	return c, nil
}

// SetCursor records where datacenter dc's Watch stream was read to.
func (r *Registry) SetCursor(ctx context.Context, dc, cursor string) error {
	now := r.clock().UTC()
	_, err := r.db.ExecContext(ctx, r.db.Rebind(`INSERT INTO watch_cursors (datacenter_id, cursor, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (datacenter_id) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at`), dc, cursor, now)
	if err != nil {
		return core.Wrap(core.Unavailable, "registry.SetCursor", err)
	}
	return nil
}

// NewToken returns a random intent token (a UUID, as clouds' client tokens are).
func NewToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
