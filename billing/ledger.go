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
}

func (r resourceRow) stateAt() StateAt {
	var a core.EventAttributes
	_ = json.Unmarshal([]byte(r.Attributes), &a)
	return StateAt{Time: r.LastTime.UTC(), State: r.LastState, Attrs: a, EventID: r.LastEventID}
}

// isDeleted reports whether state is a resource's final state.
func isDeleted(state string) bool { return strings.EqualFold(state, core.StateDeleted) }

// recordBatch is the state one Record call keeps across its events.
type recordBatch struct {
	tx        *sqlx.Tx
	histories map[string]PriceHistory
	charged   map[string]*apd.Decimal // department → ×3600 posted in this batch
}

// Record rates events exactly once: each is stored under its id in the same
// transaction as the charges it causes, so a duplicate — in this batch or
// any time later — is a no-op, never an error and never a second charge.
// An event in order closes its resource's previous interval; a late one
// (older than the resource's last) re-rates the resource from its whole
// history and posts the difference as adjustment segments naming it.
// Events of types that are never billed, or without a department, are
// skipped. It returns how many events were new.
func (s *Service) Record(ctx context.Context, events []Event) (int, error) {
	s.recordMu.Lock()
	defer s.recordMu.Unlock()
	added := 0
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		added = 0
		b := &recordBatch{tx: tx, histories: map[string]PriceHistory{}, charged: map[string]*apd.Decimal{}}
		for _, ev := range events {
			ok, err := s.recordOne(ctx, b, ev)
			if err != nil {
				return err
			}
			if ok {
				added++
			}
		}
		for dept, x := range b.charged {
			if err := s.addCharged(ctx, tx, dept, x); err != nil {
				return err
			}
		}
		return nil
	})
	return added, err
}

func (s *Service) recordOne(ctx context.Context, b *recordBatch, ev Event) (bool, error) {
	if !IsBillableType(ev.ResourceType) || ev.DepartmentID == "" || ev.ID == "" || ev.ResourceID == "" {
		return false, nil
	}
	attrs, _ := json.Marshal(ev.Attributes)
	t := ev.Time.UTC()
	res, err := b.tx.ExecContext(ctx, b.tx.Rebind(`INSERT INTO billing_events (event_id, resource_type, resource_id, datacenter_id, project_id, department_id, state, attributes, event_time, received_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING`),
		ev.ID, ev.ResourceType, ev.ResourceID, ev.DatacenterID, ev.ProjectID, ev.DepartmentID, ev.ToState, string(attrs), t, s.now())
	if err != nil {
		return false, dbErr("Record", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil // seen before: a no-op
	}
	var row resourceRow
	err = sqlx.GetContext(ctx, b.tx, &row, b.tx.Rebind(`SELECT resource_type, resource_id, department_id, project_id, last_time, last_state, attributes, last_event_id, open
		FROM billing_resources WHERE resource_type = ? AND resource_id = ?`), ev.ResourceType, ev.ResourceID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, dbErr("Record", err)
	}
	known := err == nil
	switch {
	case !known:
		_, err = b.tx.ExecContext(ctx, b.tx.Rebind(`INSERT INTO billing_resources (resource_type, resource_id, department_id, project_id, last_time, last_state, attributes, last_event_id, open)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`), ev.ResourceType, ev.ResourceID, ev.DepartmentID, ev.ProjectID, t, ev.ToState, string(attrs), ev.ID, !isDeleted(ev.ToState))
		if err != nil {
			return false, dbErr("Record", err)
		}
	case !t.Before(row.LastTime.UTC()):
		// In order: the previous state ran from its event until this one.
		prev := row.stateAt()
		segs, err := s.rateResource(ctx, b, row, []StateAt{prev}, t)
		if err != nil {
			return false, err
		}
		if err := s.post(ctx, b, row, segs, 1, "charge", ev.ID); err != nil {
			return false, err
		}
		_, err = b.tx.ExecContext(ctx, b.tx.Rebind(`UPDATE billing_resources SET last_time = ?, last_state = ?, attributes = ?, last_event_id = ?, open = ?
			WHERE resource_type = ? AND resource_id = ?`), t, ev.ToState, string(attrs), ev.ID, !isDeleted(ev.ToState), ev.ResourceType, ev.ResourceID)
		if err != nil {
			return false, dbErr("Record", err)
		}
	default:
		// Late: what was posted is re-derived from the whole history.
		if err := s.reconcile(ctx, b, row, ev.ID); err != nil {
			return false, err
		}
	}
	// A server entering or leaving SOFT_DELETED changes what its public
	// IPs owe (BL.3); re-derive the ones bound to it.
	if ev.ResourceType == core.TypeServer {
		if err := s.reconcileBoundIPs(ctx, b, ev); err != nil {
			return false, err
		}
	}
	return true, nil
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
	h, err := s.priceHistory(ctx, b.tx, dept)
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
	if err := s.post(ctx, b, row, plus, 1, "adjustment", cause); err != nil {
		return err
	}
	if err := s.post(ctx, b, row, minus, -1, "adjustment", cause); err != nil {
		return err
	}
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

// post writes segs for row's resource with sign, and adds them to the
// department's running total.
func (s *Service) post(ctx context.Context, b *recordBatch, row resourceRow, segs []Segment, sign int, kind, eventID string) error {
	if len(segs) == 0 {
		return nil
	}
	now := s.now()
	total := apd.New(0, 0)
	for _, g := range segs {
		if _, err := b.tx.ExecContext(ctx, b.tx.Rebind(`INSERT INTO billing_charges (department_id, project_id, resource_type, resource_id, item, quantity, unit_price, price_list_id, start_at, end_at, sign, kind, event_id, posted_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			row.Department, row.Project, row.Type, row.ID, g.Item, g.Quantity.Text('f'), g.UnitPrice.Text('f'), g.ListID,
			g.Start, g.End, sign, kind, eventID, now); err != nil {
			return dbErr("post", err)
		}
		total = add(total, g.AmountX3600(Interval{g.Start, g.End}))
	}
	if sign < 0 {
		total.Neg(total)
	}
	if c, ok := b.charged[row.Department]; ok {
		b.charged[row.Department] = add(c, total)
	} else {
		b.charged[row.Department] = total
	}
	return nil
}

// addCharged adds x (×3600) to a department's posted total, creating its
// account if the department has none yet.
func (s *Service) addCharged(ctx context.Context, tx *sqlx.Tx, dept string, x *apd.Decimal) error {
	if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO billing_accounts (department_id, created_at) VALUES (?, ?) ON CONFLICT (department_id) DO NOTHING`), dept, s.now()); err != nil {
		return dbErr("addCharged", err)
	}
	var cur string
	if err := tx.GetContext(ctx, &cur, tx.Rebind(`SELECT charged_x3600 FROM billing_accounts WHERE department_id = ?`), dept); err != nil {
		return dbErr("addCharged", err)
	}
	c, err := ParseDecimal(cur)
	if err != nil {
		return dbErr("addCharged", err)
	}
	_, err = tx.ExecContext(ctx, tx.Rebind(`UPDATE billing_accounts SET charged_x3600 = ? WHERE department_id = ?`), add(c, x).Text('f'), dept)
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
	hist, err := s.priceHistory(ctx, q, department)
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
	hist, err := s.priceHistory(ctx, q, department)
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
