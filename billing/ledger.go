package billing

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/jmoiron/sqlx"

	"github.com/gisiaas/gisiaas/core"
)

// Event is a lifecycle event as billing consumes it: the driver's
// normalized event and the department that owns its project.
type Event struct {
	core.Event
	DepartmentID string `json:"department_id"`
}

// resourceRow is billing_resources: a resource's last known state.
type resourceRow struct {
	Type        string    `db:"resource_type"`
	ID          string    `db:"resource_id"`
	Department  string    `db:"department_id"`
	Project     string    `db:"project_id"`
	LastTime    time.Time `db:"last_time"`
	LastState   string    `db:"last_state"`
	Attributes  string    `db:"attributes"`
	LastEventID string    `db:"last_event_id"`
	Open        bool      `db:"open"`
	// parsed is Attributes decoded, when the row was made from an event
	// (not read from the table): no decoding per event on the hot path.
	parsed *core.EventAttributes
}

func (r resourceRow) stateAt() StateAt {
	var a core.EventAttributes
	if r.parsed != nil {
		a = *r.parsed
	} else {
		_ = json.Unmarshal([]byte(r.Attributes), &a)
	}
	return StateAt{Time: r.LastTime.UTC(), State: r.LastState, Attrs: a, EventID: r.LastEventID}
}

// isDeleted reports whether state is a resource's final state.
func isDeleted(state string) bool { return strings.EqualFold(state, core.StateDeleted) }

// recordBatch is the state one Record call keeps across its events.
type recordBatch struct {
	tx        *sqlx.Tx
	histories map[string]PriceHistory
	charged   map[string]*apd.Decimal // department → ×3600 posted in this batch
	pending   []pendingCharge
	version   int64                  // the ledger version this batch writes
	loaded    map[resKey]resourceRow // rows read or written, for the cache
	attrs     map[string]string      // event id → its attributes as stored
	dirty     map[resKey]bool        // rows written around the cache
}

// Record rates events exactly once: each is stored under its id in the same
// transaction as the charges it causes, so a duplicate — in this batch or
// any time later — is a no-op, never an error and never a second charge.
// An event in order closes its resource's previous interval; a late one
// (older than the resource's last) re-rates the resource from its whole
// history and posts the difference as adjustment segments naming it.
// Events of types that are never billed, or without a department, are
// skipped. It returns how many events were new.
//
// A batch costs a handful of statements whatever its size (events, charges
// and resources are written with multi-row statements), which is what makes
// tens of thousands of events per second possible.
func (s *Service) Record(ctx context.Context, events []Event) (int, error) {
	s.recordMu.Lock()
	defer s.recordMu.Unlock()
	added := 0
	var b *recordBatch
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if s.dialect == Postgres {
			// Replicas rate one batch at a time, as SQLite's exclusive
			// transactions make them: a resource new to both could not
			// be locked by row (BL.15: none counted twice, none lost).
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, recordLockID); err != nil {
				return dbErr("Record", err)
			}
		}
		b = &recordBatch{tx: tx, histories: map[string]PriceHistory{}, charged: map[string]*apd.Decimal{},
			loaded: map[resKey]resourceRow{}, dirty: map[resKey]bool{}, attrs: map[string]string{}}
		if err := s.bumpVersion(ctx, b); err != nil {
			return err
		}
		fresh, err := s.insertEvents(ctx, b, events)
		if err != nil {
			return err
		}
		added = len(fresh)
		if err := s.rateBatch(ctx, b, fresh); err != nil {
			return err
		}
		if err := s.flushCharges(ctx, b); err != nil {
			return err
		}
		return s.addCharged(ctx, tx, b.charged)
	})
	if err != nil || b.version == 0 {
		s.resources = nil // what the rolled-back batch cached is not so
		return added, err
	}
	// Committed: the cache is what the table holds at the new version.
	if s.resources == nil || s.resourcesAt != b.version-1 {
		s.resources = map[resKey]resourceRow{}
	}
	for k, r := range b.loaded {
		s.resources[k] = r
	}
	for k := range b.dirty {
		delete(s.resources, k)
	}
	s.resourcesAt = b.version
	return added, err
}

// bumpVersion moves the ledger's version on and drops the cache of
// resources when another writer (a replica, a restore) moved it since.
func (s *Service) bumpVersion(ctx context.Context, b *recordBatch) error {
	var v int64
	if err := b.tx.GetContext(ctx, &v, `SELECT version FROM billing_ledger_version WHERE id = 1`); err != nil {
		return dbErr("Record", err)
	}
	if v != s.resourcesAt {
		s.resources = nil
	}
	if _, err := b.tx.ExecContext(ctx, `UPDATE billing_ledger_version SET version = version + 1 WHERE id = 1`); err != nil {
		return dbErr("Record", err)
	}
	b.version = v + 1
	return nil
}

// recordLockID is the PostgreSQL advisory lock Record holds.
const recordLockID int64 = 0x6269_6c6c_696e_67 // "billing"

// insertEvents stores the billable events of a batch and returns those not
// seen before, in batch order.
func (s *Service) insertEvents(ctx context.Context, b *recordBatch, events []Event) ([]Event, error) {
	tx := b.tx
	var cand []Event
	seen := map[string]bool{}
	for _, ev := range events {
		if !IsBillableType(ev.ResourceType) || ev.DepartmentID == "" || ev.ID == "" || ev.ResourceID == "" || seen[ev.ID] {
			continue
		}
		seen[ev.ID] = true
		ev.Time = ev.Time.UTC()
		cand = append(cand, ev)
	}
	isNew := map[string]bool{}
	now := s.now()
	const cols = 10
	for i := 0; i < len(cand); i += 1000 {
		chunk := cand[i:min(i+1000, len(cand))]
		var q strings.Builder
		q.WriteString(`INSERT INTO billing_events (event_id, resource_type, resource_id, datacenter_id, project_id, department_id, state, attributes, event_time, received_at) VALUES `)
		args := make([]any, 0, cols*len(chunk))
		for j, ev := range chunk {
			if j > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
			attrs, _ := json.Marshal(ev.Attributes)
			b.attrs[ev.ID] = string(attrs)
			args = append(args, ev.ID, ev.ResourceType, ev.ResourceID, ev.DatacenterID, ev.ProjectID, ev.DepartmentID, ev.ToState, string(attrs), ev.Time, now)
		}
		q.WriteString(" ON CONFLICT (event_id) DO NOTHING RETURNING event_id")
		var ids []string
		st, err := s.stmt(ctx, tx, q.String())
		if err != nil {
			return nil, err
		}
		if err := st.SelectContext(ctx, &ids, args...); err != nil {
			return nil, dbErr("Record", err)
		}
		for _, id := range ids {
			isNew[id] = true
		}
	}
	var out []Event
	for _, ev := range cand {
		if isNew[ev.ID] {
			out = append(out, ev)
		}
	}
	return out, nil
}

type resKey struct{ typ, id string }

// rateBatch rates the new events of a batch, resource by resource in time
// order: intervals after the resource's last stored state are posted as
// charges; a resource with an event older than that is reconciled from its
// whole history instead.
func (s *Service) rateBatch(ctx context.Context, b *recordBatch, fresh []Event) error {
	if len(fresh) == 0 {
		return nil
	}
	byRes := map[resKey][]Event{}
	var order []resKey
	for _, ev := range fresh {
		k := resKey{string(ev.ResourceType), ev.ResourceID}
		if _, ok := byRes[k]; !ok {
			order = append(order, k)
		}
		byRes[k] = append(byRes[k], ev)
	}
	rows, err := s.loadResources(ctx, b.tx, order)
	if err != nil {
		return err
	}
	var upserts []resourceRow
	var servers []Event
	for _, k := range order {
		evs := byRes[k]
		sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time.Before(evs[j].Time) })
		row, known := rows[k]
		if known && evs[0].Time.Before(row.LastTime.UTC()) {
			// Late: what was posted is re-derived from the whole history
			// (the log already holds this batch's events).
			if err := s.reconcile(ctx, b, row, evs[0].ID); err != nil {
				return err
			}
		} else {
			for _, ev := range evs {
				a := ev.Attributes
				next := resourceRow{Type: k.typ, ID: k.id, Department: ev.DepartmentID, Project: ev.ProjectID, LastTime: ev.Time,
					LastState: ev.ToState, Attributes: b.attrs[ev.ID], LastEventID: ev.ID, Open: !isDeleted(ev.ToState), parsed: &a}
				if known {
					next.Department, next.Project = row.Department, row.Project
					segs, err := s.rateResource(ctx, b, row, []StateAt{row.stateAt()}, ev.Time)
					if err != nil {
						return err
					}
					s.queue(b, row, segs, 1, "charge", ev.ID)
				}
				row, known = next, true
			}
			upserts = append(upserts, row)
		}
		if core.ResourceType(k.typ) == core.TypeServer && touchesSoftDelete(rows[k], evs) {
			servers = append(servers, evs[0])
		}
	}
	// A server entering or leaving SOFT_DELETED — or any late server event,
	// which may move such a change — changes what its public IPs owe
	// (BL.3): re-derive the ones bound to it, after the batch's own IP
	// events have been rated (so what they queued counts as posted).
	for _, ev := range servers {
		if err := s.reconcileBoundIPs(ctx, b, ev); err != nil {
			return err
		}
	}
	for _, r := range upserts {
		b.loaded[resKey{r.Type, r.ID}] = r
	}
	return s.upsertResources(ctx, b.tx, upserts)
}

// touchesSoftDelete reports whether a server's new events enter or leave
// SOFT_DELETED, or arrive late (and so may move such a change).
func touchesSoftDelete(prev resourceRow, evs []Event) bool {
	if prev.LastState == string(core.ServerSoftDeleted) {
		return true
	}
	for _, ev := range evs {
		if ev.ToState == string(core.ServerSoftDeleted) || (prev.ID != "" && ev.Time.Before(prev.LastTime.UTC())) {
			return true
		}
	}
	return false
}

const resourceColumns = `resource_type, resource_id, department_id, project_id, last_time, last_state, attributes, last_event_id, open`

// loadResources reads the stored rows of keys, locked against other
// replicas on PostgreSQL (SQLite's transactions are exclusive already).
func (s *Service) loadResources(ctx context.Context, tx *sqlx.Tx, keys []resKey) (map[resKey]resourceRow, error) {
	out := make(map[resKey]resourceRow, len(keys))
	var missing []resKey
	for _, k := range keys {
		if r, ok := s.resources[k]; ok {
			out[k] = r
		} else {
			missing = append(missing, k)
		}
	}
	keys = missing
	for i := 0; i < len(keys); i += 1000 {
		chunk := keys[i:min(i+1000, len(keys))]
		ids := make([]any, len(chunk))
		for j, k := range chunk {
			ids[j] = k.id
		}
		q, args, err := sqlx.In(`SELECT `+resourceColumns+` FROM billing_resources WHERE resource_id IN (?)`, ids)
		if err != nil {
			return nil, dbErr("loadResources", err)
		}
		if s.dialect == Postgres {
			q += ` FOR UPDATE`
		}
		var rows []resourceRow
		if err := sqlx.SelectContext(ctx, tx, &rows, tx.Rebind(q), args...); err != nil {
			return nil, dbErr("loadResources", err)
		}
		for _, r := range rows {
			out[resKey{r.Type, r.ID}] = r
		}
	}
	return out, nil
}

// upsertResources writes resources' last states.
func (s *Service) upsertResources(ctx context.Context, tx *sqlx.Tx, rows []resourceRow) error {
	for i := 0; i < len(rows); i += 1000 {
		chunk := rows[i:min(i+1000, len(rows))]
		var q strings.Builder
		q.WriteString(`INSERT INTO billing_resources (` + resourceColumns + `) VALUES `)
		args := make([]any, 0, 9*len(chunk))
		for j, r := range chunk {
			if j > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, r.Type, r.ID, r.Department, r.Project, r.LastTime.UTC(), r.LastState, r.Attributes, r.LastEventID, r.Open)
		}
		q.WriteString(` ON CONFLICT (resource_type, resource_id) DO UPDATE SET last_time = excluded.last_time, last_state = excluded.last_state,
			attributes = excluded.attributes, last_event_id = excluded.last_event_id, open = excluded.open`)
		st, err := s.stmt(ctx, tx, q.String())
		if err != nil {
			return err
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return dbErr("upsertResources", err)
		}
	}
	return nil
}

// rateResource rates timeline (closed at until; zero: the last state open)
// for row's resource, with its department's prices and, for a public IP,
// the soft-deleted intervals of the servers it was bound to.
func (s *Service) rateResource(ctx context.Context, b *recordBatch, row resourceRow, timeline []StateAt, until time.Time) ([]Segment, error) {
	hist, err := s.history(ctx, b, row.Department)
	if err != nil {
		return nil, err
	}
	var blocked []Interval
	if core.ResourceType(row.Type) == core.TypePublicIP {
		if blocked, err = s.ipBlocked(ctx, b.tx, timeline, until); err != nil {
			return nil, err
		}
	}
	return Rate(core.ResourceType(row.Type), timeline, until, hist, blocked), nil
}

func (s *Service) history(ctx context.Context, b *recordBatch, dept string) (PriceHistory, error) {
	if h, ok := b.histories[dept]; ok {
		return h, nil
	}
	h, err := s.cachedHistory(ctx, b.tx, dept)
	if err != nil {
		return nil, err
	}
	b.histories[dept] = h
	return h, nil
}

// ipBlocked returns the intervals during which a public IP, per its
// timeline, was bound to a server that was soft-deleted.
func (s *Service) ipBlocked(ctx context.Context, q queryer, timeline []StateAt, until time.Time) ([]Interval, error) {
	servers := map[string][]Interval{}
	var out []Interval
	for i, st := range timeline {
		srv := st.Attrs.ServerID
		if srv == "" {
			continue
		}
		if _, ok := servers[srv]; !ok {
			tl, err := s.timeline(ctx, q, string(core.TypeServer), srv)
			if err != nil {
				return nil, err
			}
			servers[srv] = softDeleted(tl, time.Time{})
		}
		end := until
		if i+1 < len(timeline) {
			end = timeline[i+1].Time
		}
		if end.IsZero() {
			end = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		for _, sd := range servers[srv] {
			a, z := sd.Start, sd.End
			if a.Before(st.Time) {
				a = st.Time
			}
			if z.After(end) {
				z = end
			}
			if a.Before(z) {
				out = append(out, Interval{a, z})
			}
		}
	}
	return out, nil
}

// timeline reads a resource's states from the event log, in time order
// (ties in the order they arrived).
func (s *Service) timeline(ctx context.Context, q queryer, typ, id string) ([]StateAt, error) {
	var rows []struct {
		EventID    string    `db:"event_id"`
		State      string    `db:"state"`
		Attributes string    `db:"attributes"`
		Time       time.Time `db:"event_time"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, q.Rebind(`SELECT event_id, state, attributes, event_time FROM billing_events
		WHERE resource_type = ? AND resource_id = ? ORDER BY event_time, seq`), typ, id); err != nil {
		return nil, dbErr("timeline", err)
	}
	out := make([]StateAt, len(rows))
	for i, r := range rows {
		var a core.EventAttributes
		_ = json.Unmarshal([]byte(r.Attributes), &a)
		out[i] = StateAt{Time: r.Time.UTC(), State: r.State, Attrs: a, EventID: r.EventID}
	}
	return out, nil
}

// reconcile re-rates row's resource from its whole history and posts, as
// adjustments naming cause, whatever differs from what was posted before.
func (s *Service) reconcile(ctx context.Context, b *recordBatch, row resourceRow, cause string) error {
	b.dirty[resKey{row.Type, row.ID}] = true // written below, around the cache
	tl, err := s.timeline(ctx, b.tx, row.Type, row.ID)
	if err != nil || len(tl) == 0 {
		return err
	}
	want, err := s.rateResource(ctx, b, row, tl, time.Time{})
	if err != nil {
		return err
	}
	posted, err := s.postedSegments(ctx, b.tx, row.Type, row.ID)
	if err != nil {
		return err
	}
	net := map[string]int{}
	seg := map[string]Segment{}
	for _, p := range posted {
		net[p.seg.key()] += p.sign
		seg[p.seg.key()] = p.seg
	}
	// What this batch queued for the resource is not in the table yet:
	// it counts as posted.
	for _, p := range b.pending {
		if p.row.Type == row.Type && p.row.ID == row.ID {
			net[p.seg.key()] += p.sign
			seg[p.seg.key()] = p.seg
		}
	}
	for _, w := range want {
		net[w.key()]--
		seg[w.key()] = w
	}
	var plus, minus []Segment
	keys := make([]string, 0, len(net))
	for k := range net {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for n := net[k]; n < 0; n++ {
			plus = append(plus, seg[k])
		}
		for n := net[k]; n > 0; n-- {
			minus = append(minus, seg[k])
		}
	}
	s.queue(b, row, plus, 1, "adjustment", cause)
	s.queue(b, row, minus, -1, "adjustment", cause)
	last := tl[len(tl)-1]
	attrs, _ := json.Marshal(last.Attrs)
	_, err = b.tx.ExecContext(ctx, b.tx.Rebind(`UPDATE billing_resources SET last_time = ?, last_state = ?, attributes = ?, last_event_id = ?, open = ?
		WHERE resource_type = ? AND resource_id = ?`), last.Time, last.State, string(attrs), last.EventID, !isDeleted(last.State), row.Type, row.ID)
	return dbErr("reconcile", err)
}

// reconcileBoundIPs re-derives the public IPs a server event may change.
func (s *Service) reconcileBoundIPs(ctx context.Context, b *recordBatch, ev Event) error {
	var ids []string
	if err := sqlx.SelectContext(ctx, b.tx, &ids, b.tx.Rebind(`SELECT DISTINCT resource_id FROM billing_events
		WHERE resource_type = ? AND department_id = ? AND attributes LIKE ?`),
		core.TypePublicIP, ev.DepartmentID, `%"server_id":"`+ev.ResourceID+`"%`); err != nil {
		return dbErr("reconcileBoundIPs", err)
	}
	for _, id := range ids {
		var row resourceRow
		if err := sqlx.GetContext(ctx, b.tx, &row, b.tx.Rebind(`SELECT resource_type, resource_id, department_id, project_id, last_time, last_state, attributes, last_event_id, open
			FROM billing_resources WHERE resource_type = ? AND resource_id = ?`), core.TypePublicIP, id); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				continue // new in this batch: rated from the log already
			}
			return dbErr("reconcileBoundIPs", err)
		}
		if err := s.reconcile(ctx, b, row, ev.ID); err != nil {
			return err
		}
	}
	return nil
}

type postedSegment struct {
	seg  Segment
	sign int
}

func (s *Service) postedSegments(ctx context.Context, q queryer, typ, id string) ([]postedSegment, error) {
	var rows []chargeRow
	if err := sqlx.SelectContext(ctx, q, &rows, q.Rebind(`SELECT `+chargeColumns+` FROM billing_charges WHERE resource_type = ? AND resource_id = ? ORDER BY id`), typ, id); err != nil {
		return nil, dbErr("postedSegments", err)
	}
	out := make([]postedSegment, len(rows))
	for i, r := range rows {
		seg, err := r.segment()
		if err != nil {
			return nil, err
		}
		out[i] = postedSegment{seg: seg, sign: r.Sign}
	}
	return out, nil
}

// chargeRow is billing_charges.
type chargeRow struct {
	ID           int64     `db:"id"`
	DepartmentID string    `db:"department_id"`
	ProjectID    string    `db:"project_id"`
	ResourceType string    `db:"resource_type"`
	ResourceID   string    `db:"resource_id"`
	Item         string    `db:"item"`
	Quantity     string    `db:"quantity"`
	UnitPrice    string    `db:"unit_price"`
	PriceListID  string    `db:"price_list_id"`
	StartAt      time.Time `db:"start_at"`
	EndAt        time.Time `db:"end_at"`
	Sign         int       `db:"sign"`
	Kind         string    `db:"kind"`
	EventID      string    `db:"event_id"`
	PostedAt     time.Time `db:"posted_at"`
}

const chargeColumns = `id, department_id, project_id, resource_type, resource_id, item, quantity, unit_price, price_list_id, start_at, end_at, sign, kind, event_id, posted_at`

func (r chargeRow) segment() (Segment, error) {
	q, err := ParseDecimal(r.Quantity)
	if err != nil {
		return Segment{}, dbErr("segment", err)
	}
	p, err := ParseDecimal(r.UnitPrice)
	if err != nil {
		return Segment{}, dbErr("segment", err)
	}
	return Segment{Item: r.Item, Quantity: q, UnitPrice: p, ListID: r.PriceListID, Start: r.StartAt.UTC(), End: r.EndAt.UTC()}, nil
}

// queue adds segs for row's resource, with sign, to the batch's charges
// and the department's running total; flushCharges writes them.
func (s *Service) queue(b *recordBatch, row resourceRow, segs []Segment, sign int, kind, eventID string) {
	total := apd.New(0, 0)
	for _, g := range segs {
		b.pending = append(b.pending, pendingCharge{row: row, seg: g, sign: sign, kind: kind, eventID: eventID})
		total = add(total, g.AmountX3600(Interval{g.Start, g.End}))
	}
	if len(segs) == 0 {
		return
	}
	if sign < 0 {
		total.Neg(total)
	}
	if c, ok := b.charged[row.Department]; ok {
		b.charged[row.Department] = add(c, total)
	} else {
		b.charged[row.Department] = total
	}
}

type pendingCharge struct {
	row     resourceRow
	seg     Segment
	sign    int
	kind    string
	eventID string
}

// flushCharges writes the batch's queued charges with multi-row inserts.
func (s *Service) flushCharges(ctx context.Context, b *recordBatch) error {
	now := s.now()
	for i := 0; i < len(b.pending); i += 1000 {
		chunk := b.pending[i:min(i+1000, len(b.pending))]
		var q strings.Builder
		q.WriteString(`INSERT INTO billing_charges (department_id, project_id, resource_type, resource_id, item, quantity, unit_price, price_list_id, start_at, end_at, sign, kind, event_id, posted_at) VALUES `)
		args := make([]any, 0, 14*len(chunk))
		for j, c := range chunk {
			if j > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, c.row.Department, c.row.Project, c.row.Type, c.row.ID, c.seg.Item, c.seg.Quantity.Text('f'),
				c.seg.UnitPrice.Text('f'), c.seg.ListID, c.seg.Start, c.seg.End, c.sign, c.kind, c.eventID, now)
		}
		st, err := s.stmt(ctx, b.tx, q.String())
		if err != nil {
			return err
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return dbErr("post", err)
		}
	}
	b.pending = nil
	return nil
}

// addCharged adds each department's x (×3600) to its posted total, creating
// accounts for departments that have none yet, in three statements.
func (s *Service) addCharged(ctx context.Context, tx *sqlx.Tx, charged map[string]*apd.Decimal) error {
	if len(charged) == 0 {
		return nil
	}
	depts := make([]string, 0, len(charged))
	for d := range charged {
		depts = append(depts, d)
	}
	sort.Strings(depts)
	var ins strings.Builder
	ins.WriteString(`INSERT INTO billing_accounts (department_id, created_at) VALUES `)
	args := []any{}
	now := s.now()
	for i, d := range depts {
		if i > 0 {
			ins.WriteString(", ")
		}
		ins.WriteString("(?, ?)")
		args = append(args, d, now)
	}
	ins.WriteString(" ON CONFLICT (department_id) DO NOTHING")
	if _, err := tx.ExecContext(ctx, tx.Rebind(ins.String()), args...); err != nil {
		return dbErr("addCharged", err)
	}
	q, qargs, err := sqlx.In(`SELECT department_id, charged_x3600 FROM billing_accounts WHERE department_id IN (?)`, depts)
	if err != nil {
		return dbErr("addCharged", err)
	}
	if s.dialect == Postgres {
		q += ` FOR UPDATE`
	}
	var rows []struct {
		Dept    string `db:"department_id"`
		Charged string `db:"charged_x3600"`
	}
	if err := sqlx.SelectContext(ctx, tx, &rows, tx.Rebind(q), qargs...); err != nil {
		return dbErr("addCharged", err)
	}
	var upd strings.Builder
	upd.WriteString(`UPDATE billing_accounts SET charged_x3600 = CASE department_id`)
	uargs := []any{}
	for _, r := range rows {
		c, err := ParseDecimal(r.Charged)
		if err != nil {
			return dbErr("addCharged", err)
		}
		upd.WriteString(" WHEN ? THEN ?")
		uargs = append(uargs, r.Dept, add(c, charged[r.Dept]).Text('f'))
	}
	upd.WriteString(" ELSE charged_x3600 END WHERE department_id IN (?)")
	uq, ua, err := sqlx.In(upd.String(), append(uargs, depts)...)
	if err != nil {
		return dbErr("addCharged", err)
	}
	_, err = tx.ExecContext(ctx, tx.Rebind(uq), ua...)
	return dbErr("addCharged", err)
}

// usage is everything charged to department up to at (posted segments and
// the open intervals of its resources accrued until at), exact ×3600, and
// what its resources cost per hour at at. at must not be before the
// department's last event.
func (s *Service) usage(ctx context.Context, q queryer, department string, at time.Time) (chargedX3600, perHour *apd.Decimal, err error) {
	var cur string
	err = sqlx.GetContext(ctx, q, &cur, q.Rebind(`SELECT charged_x3600 FROM billing_accounts WHERE department_id = ?`), department)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, nil, dbErr("usage", err)
	}
	charged := apd.New(0, 0)
	if err == nil {
		if charged, err = ParseDecimal(cur); err != nil {
			return nil, nil, dbErr("usage", err)
		}
	}
	accrued, perHour, err := s.openUsage(ctx, q, department, Interval{epoch, at}, at)
	if err != nil {
		return nil, nil, err
	}
	return add(charged, accrued), perHour, nil
}

// openUsage rates the department's open resources (their last state, from
// its event until at) within w, and their cost per hour at at.
func (s *Service) openUsage(ctx context.Context, q queryer, department string, w Interval, at time.Time) (accruedX3600, perHour *apd.Decimal, err error) {
	segs, rows, err := s.openSegments(ctx, q, department, "", at)
	if err != nil {
		return nil, nil, err
	}
	accrued := apd.New(0, 0)
	for _, g := range segs {
		accrued = add(accrued, g.seg.AmountX3600(w))
	}
	hist, err := s.cachedHistory(ctx, q, department)
	if err != nil {
		return nil, nil, err
	}
	perHour = apd.New(0, 0)
	p, ok := hist.at(at)
	if !ok {
		return accrued, perHour, nil
	}
	for _, r := range rows {
		st := r.stateAt()
		if core.ResourceType(r.Type) == core.TypePublicIP && st.Attrs.ServerID != "" {
			blocked, err := s.ipBlocked(ctx, q, []StateAt{st}, time.Time{})
			if err != nil {
				return nil, nil, err
			}
			if len(subtract(Interval{at, at.Add(time.Microsecond)}, blocked)) == 0 {
				continue
			}
		}
		perHour = add(perHour, CostPerHour(core.ResourceType(r.Type), st.State, st.Attrs, p))
	}
	return accrued, perHour, nil
}

// openSegment is a segment of an open interval with the resource it rates.
type openSegment struct {
	row resourceRow
	seg Segment
}

// openSegments rates each open resource of department (of project, if
// set) from its last event until at.
func (s *Service) openSegments(ctx context.Context, q queryer, department, project string, at time.Time) ([]openSegment, []resourceRow, error) {
	query := `SELECT resource_type, resource_id, department_id, project_id, last_time, last_state, attributes, last_event_id, open
		FROM billing_resources WHERE department_id = ? AND open`
	args := []any{department}
	if project != "" {
		query += ` AND project_id = ?`
		args = append(args, project)
	}
	var rows []resourceRow
	if err := sqlx.SelectContext(ctx, q, &rows, q.Rebind(query), args...); err != nil {
		return nil, nil, dbErr("openSegments", err)
	}
	hist, err := s.cachedHistory(ctx, q, department)
	if err != nil {
		return nil, nil, err
	}
	var out []openSegment
	for _, r := range rows {
		st := r.stateAt()
		if !st.Time.Before(at) {
			continue
		}
		var blocked []Interval
		if core.ResourceType(r.Type) == core.TypePublicIP {
			if blocked, err = s.ipBlocked(ctx, q, []StateAt{st}, at); err != nil {
				return nil, nil, err
			}
		}
		for _, g := range Rate(core.ResourceType(r.Type), []StateAt{st}, at, hist, blocked) {
			out = append(out, openSegment{row: r, seg: g})
		}
	}
	return out, rows, nil
}

// maxStmts bounds the prepared statements kept (one per batch shape).
const maxStmts = 64

// stmt returns query prepared once on the database and bound to tx: the
// multi-row statements of a batch repeat from batch to batch, and compiling
// one of a thousand rows costs more than running it.
func (s *Service) stmt(ctx context.Context, tx *sqlx.Tx, query string) (*sqlx.Stmt, error) {
	s.stmtMu.Lock()
	p, ok := s.stmts[query]
	if !ok {
		if len(s.stmts) >= maxStmts {
			for _, old := range s.stmts {
				_ = old.Close()
			}
			s.stmts = map[string]*sqlx.Stmt{}
		}
		var err error
		if p, err = s.db.PreparexContext(ctx, s.db.Rebind(query)); err != nil {
			s.stmtMu.Unlock()
			return nil, dbErr("prepare", err)
		}
		if s.stmts == nil {
			s.stmts = map[string]*sqlx.Stmt{}
		}
		s.stmts[query] = p
	}
	s.stmtMu.Unlock()
	return tx.StmtxContext(ctx, p), nil
}
