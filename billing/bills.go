package billing

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/jmoiron/sqlx"

	"github.com/gisiaas/gisiaas/core"
)

// BillQuery selects a bill: a department's (or one of its projects')
// charges over [From, To).
type BillQuery struct {
	DepartmentID string
	ProjectID    string // optional
	From, To     time.Time
}

// BillLine is what one resource owes for one item over the bill's window.
type BillLine struct {
	ProjectID    string `json:"project_id"`
	ResourceType string `json:"resource_type"`
	ResourceID   string `json:"resource_id"`
	Item         string `json:"item"`
	Seconds      string `json:"seconds"` // charged seconds (quantities may differ within)
	Amount       string `json:"amount"`
	exact        *apd.Decimal
}

// BillTotal is a subtotal of a bill (per project, per resource type).
type BillTotal struct {
	Key    string `json:"key"`
	Amount string `json:"amount"`
}

// Bill is a department's bill over a window (BL.12): a line per resource
// and item, each rounded once (half-even, to the currency's minor unit)
// with the residual carried so that the lines sum exactly to the total.
type Bill struct {
	DepartmentID string      `json:"department_id"`
	ProjectID    string      `json:"project_id,omitempty"`
	From         time.Time   `json:"from"`
	To           time.Time   `json:"to"`
	Currency     Currency    `json:"currency"`
	Timezone     string      `json:"timezone"`
	Lines        []BillLine  `json:"lines"`
	ByProject    []BillTotal `json:"by_project"`
	ByType       []BillTotal `json:"by_resource_type"`
	Total        string      `json:"total"`
	// Open is true when the window reaches past now: running resources
	// are accrued until now, so the bill still grows.
	Open bool `json:"open"`
}

type lineKey struct{ project, typ, id, item string }

type lineSum struct {
	x3600   *apd.Decimal
	seconds *apd.Decimal
}

// Bill computes a bill from the ledger: posted segments prorated to the
// window, plus the open intervals of running resources accrued until now.
func (s *Service) Bill(ctx context.Context, q BillQuery) (Bill, error) {
	return s.billAt(ctx, q, s.now())
}

func (s *Service) billAt(ctx context.Context, q BillQuery, now time.Time) (Bill, error) {
	if err := checkWindow(q); err != nil {
		return Bill{}, err
	}
	w := Interval{q.From.UTC(), q.To.UTC()}
	sums := map[lineKey]*lineSum{}
	addSeg := func(k lineKey, g Segment, sign int) {
		amt := g.AmountX3600(w)
		if amt.IsZero() {
			return
		}
		secs := overlapSeconds(g, w)
		if sign < 0 {
			amt.Neg(amt)
			secs.Neg(secs)
		}
		ls := sums[k]
		if ls == nil {
			ls = &lineSum{x3600: apd.New(0, 0), seconds: apd.New(0, 0)}
			sums[k] = ls
		}
		ls.x3600 = add(ls.x3600, amt)
		ls.seconds = add(ls.seconds, secs)
	}
	query := `SELECT ` + chargeColumns + ` FROM billing_charges WHERE department_id = ? AND start_at < ? AND end_at > ?`
	args := []any{q.DepartmentID, w.End, w.Start}
	if q.ProjectID != "" {
		query += ` AND project_id = ?`
		args = append(args, q.ProjectID)
	}
	rows, err := s.db.QueryxContext(ctx, s.db.Rebind(query), args...)
	if err != nil {
		return Bill{}, dbErr("Bill", err)
	}
	for rows.Next() {
		var r chargeRow
		if err := rows.StructScan(&r); err != nil {
			rows.Close()
			return Bill{}, dbErr("Bill", err)
		}
		g, err := r.segment()
		if err != nil {
			rows.Close()
			return Bill{}, err
		}
		addSeg(lineKey{r.ProjectID, r.ResourceType, r.ResourceID, r.Item}, g, r.Sign)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Bill{}, dbErr("Bill", err)
	}
	open, _, err := s.openSegments(ctx, s.db, q.DepartmentID, q.ProjectID, now)
	if err != nil {
		return Bill{}, err
	}
	for _, o := range open {
		addSeg(lineKey{o.row.Project, o.row.Type, o.row.ID, o.seg.Item}, o.seg, 1)
	}
	return s.assemble(ctx, q, sums, w.End.After(now))
}

func checkWindow(q BillQuery) error {
	if q.DepartmentID == "" {
		return core.Errorf(core.InvalidArgument, "department_id: required")
	}
	if q.From.IsZero() || q.To.IsZero() || !q.From.Before(q.To) {
		return core.Errorf(core.InvalidArgument, "from, to: give a window with from before to")
	}
	return nil
}

func overlapSeconds(g Segment, w Interval) *apd.Decimal {
	a, b := g.Start, g.End
	if w.Start.After(a) {
		a = w.Start
	}
	if w.End.Before(b) {
		b = w.End
	}
	if !a.Before(b) {
		return apd.New(0, 0)
	}
	return seconds(a, b)
}

// assemble rounds the sums into a bill.
func (s *Service) assemble(ctx context.Context, q BillQuery, sums map[lineKey]*lineSum, open bool) (Bill, error) {
	st, err := s.billDisplay(ctx)
	if err != nil {
		return Bill{}, err
	}
	keys := make([]lineKey, 0, len(sums))
	for k, v := range sums {
		if !v.x3600.IsZero() {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.project != b.project {
			return a.project < b.project
		}
		if a.typ != b.typ {
			return a.typ < b.typ
		}
		if a.id != b.id {
			return a.id < b.id
		}
		return a.item < b.item
	})
	exacts := make([]*apd.Decimal, len(keys))
	for i, k := range keys {
		exacts[i] = sums[k].x3600
	}
	rounded, total := RoundLines(exacts, st.currency.MinorDigits)
	b := Bill{DepartmentID: q.DepartmentID, ProjectID: q.ProjectID, From: q.From.UTC(), To: q.To.UTC(), Currency: st.currency,
		Timezone: st.timezone, Lines: make([]BillLine, len(keys)), Total: FormatMoney(total, st.currency.MinorDigits), Open: open}
	byProject, byType := map[string]*apd.Decimal{}, map[string]*apd.Decimal{}
	for i, k := range keys {
		b.Lines[i] = BillLine{ProjectID: k.project, ResourceType: k.typ, ResourceID: k.id, Item: k.item,
			Seconds: reduced(sums[k].seconds), Amount: FormatMoney(rounded[i], st.currency.MinorDigits), exact: sums[k].x3600}
		for m, key := range map[*map[string]*apd.Decimal]string{&byProject: k.project, &byType: k.typ} {
			if cur, ok := (*m)[key]; ok {
				(*m)[key] = add(cur, rounded[i])
			} else {
				(*m)[key] = rounded[i]
			}
		}
	}
	b.ByProject = totals(byProject, st.currency.MinorDigits)
	b.ByType = totals(byType, st.currency.MinorDigits)
	return b, nil
}

func totals(m map[string]*apd.Decimal, digits int32) []BillTotal {
	out := make([]BillTotal, 0, len(m))
	for k, v := range m {
		out = append(out, BillTotal{Key: k, Amount: FormatMoney(v, digits)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

type billDisplay struct {
	currency Currency
	timezone string
}

// billDisplay reads the currency and timezone bills are shown in.
func (s *Service) billDisplay(ctx context.Context) (billDisplay, error) {
	var r struct {
		Currency string `db:"currency"`
		Timezone string `db:"timezone"`
	}
	if err := s.db.GetContext(ctx, &r, `SELECT currency, timezone FROM billing_settings WHERE id = 1`); err != nil {
		return billDisplay{}, dbErr("settings", err)
	}
	c, ok := LookupCurrency(r.Currency)
	if !ok {
		return billDisplay{}, core.Errorf(core.Internal, "billing settings: unknown currency %q", r.Currency)
	}
	return billDisplay{currency: c, timezone: r.Timezone}, nil
}

// Rebuild re-derives a bill from scratch — from the event log and the
// price-list history alone, ignoring the ledger — with each resource's whole
// timeline rated by Rate up to now. Equal to Bill for the same query unless
// the ledger lost or doubled something.
func (s *Service) Rebuild(ctx context.Context, q BillQuery) (Bill, error) {
	return s.rebuildAt(ctx, q, s.now())
}

func (s *Service) rebuildAt(ctx context.Context, q BillQuery, now time.Time) (Bill, error) {
	if err := checkWindow(q); err != nil {
		return Bill{}, err
	}
	hist, err := s.cachedHistory(ctx, s.db, q.DepartmentID)
	if err != nil {
		return Bill{}, err
	}
	sums, err := s.rateFromLog(ctx, q, hist, now)
	if err != nil {
		return Bill{}, err
	}
	return s.assemble(ctx, q, sums, q.To.After(now))
}

// rateFromLog rates every resource of the query's department (and
// project) from the event log under hist, within the query's window.
func (s *Service) rateFromLog(ctx context.Context, q BillQuery, hist PriceHistory, now time.Time) (map[lineKey]*lineSum, error) {
	w := Interval{q.From.UTC(), q.To.UTC()}
	// A resource belongs to the project of its first event, as in the
	// ledger, whatever later events say.
	query := `SELECT e.resource_type, e.resource_id, e.project_id FROM billing_events e
		WHERE e.department_id = ? AND e.seq = (SELECT MIN(f.seq) FROM billing_events f
			WHERE f.resource_type = e.resource_type AND f.resource_id = e.resource_id)`
	args := []any{q.DepartmentID}
	if q.ProjectID != "" {
		query += ` AND e.project_id = ?`
		args = append(args, q.ProjectID)
	}
	var res []struct {
		Type    string `db:"resource_type"`
		ID      string `db:"resource_id"`
		Project string `db:"project_id"`
	}
	if err := s.db.SelectContext(ctx, &res, s.db.Rebind(query), args...); err != nil {
		return nil, dbErr("rateFromLog", err)
	}
	sums := map[lineKey]*lineSum{}
	for _, r := range res {
		tl, err := s.timeline(ctx, s.db, r.Type, r.ID)
		if err != nil {
			return nil, err
		}
		until := now
		if last := tl[len(tl)-1]; isDeleted(last.State) || last.Time.After(now) {
			until = time.Time{}
		}
		var blocked []Interval
		if core.ResourceType(r.Type) == core.TypePublicIP {
			if blocked, err = s.ipBlocked(ctx, s.db, tl, until); err != nil {
				return nil, err
			}
		}
		for _, g := range Rate(core.ResourceType(r.Type), tl, until, hist, blocked) {
			amt := g.AmountX3600(w)
			if amt.IsZero() {
				continue
			}
			k := lineKey{r.Project, r.Type, r.ID, g.Item}
			ls := sums[k]
			if ls == nil {
				ls = &lineSum{x3600: apd.New(0, 0), seconds: apd.New(0, 0)}
				sums[k] = ls
			}
			ls.x3600 = add(ls.x3600, amt)
			ls.seconds = add(ls.seconds, overlapSeconds(g, w))
		}
	}
	return sums, nil
}

var _ sqlx.QueryerContext = (*sqlx.DB)(nil)

// reduced prints d without trailing zeros ("17.5", not "17.500000").
func reduced(d *apd.Decimal) string {
	var r apd.Decimal
	r.Reduce(d)
	return r.Text('f')
}

// RebuildReport sets a bill re-derived from the event log beside the one
// the ledger posted, over the same window.
type RebuildReport struct {
	Posted  Bill `json:"posted"`
	Rebuilt Bill `json:"rebuilt"`
	// Equal is true when every line and the total agree to the minor unit.
	Equal bool `json:"equal"`
	// Differences name the lines that do not.
	Differences []string `json:"differences"`
}

// RebuildAndCompare re-derives q's bill from scratch (Rebuild) and compares
// it with the posted ledger (Bill). A window reaching past now is cut at
// now, read once, so both sides accrue running resources to the same
// instant.
func (s *Service) RebuildAndCompare(ctx context.Context, q BillQuery) (RebuildReport, error) {
	now := s.now()
	if q.To.After(now) {
		q.To = now
	}
	if err := checkWindow(q); err != nil {
		return RebuildReport{}, err
	}
	posted, err := s.billAt(ctx, q, now)
	if err != nil {
		return RebuildReport{}, err
	}
	rebuilt, err := s.rebuildAt(ctx, q, now)
	if err != nil {
		return RebuildReport{}, err
	}
	rep := RebuildReport{Posted: posted, Rebuilt: rebuilt, Differences: []string{}}
	amounts := func(b Bill) map[string]string {
		m := map[string]string{}
		for _, l := range b.Lines {
			m[l.ProjectID+" "+l.ResourceType+"/"+l.ResourceID+" "+l.Item] = l.Amount
		}
		return m
	}
	p, r := amounts(posted), amounts(rebuilt)
	for k, v := range p {
		if r[k] != v {
			rep.Differences = append(rep.Differences, fmt.Sprintf("%s: posted %s, rebuilt %s", k, v, r[k]))
		}
	}
	for k, v := range r {
		if _, ok := p[k]; !ok {
			rep.Differences = append(rep.Differences, fmt.Sprintf("%s: posted nothing, rebuilt %s", k, v))
		}
	}
	if posted.Total != rebuilt.Total {
		rep.Differences = append(rep.Differences, fmt.Sprintf("total: posted %s, rebuilt %s", posted.Total, rebuilt.Total))
	}
	sort.Strings(rep.Differences)
	rep.Equal = len(rep.Differences) == 0
	return rep, nil
}
