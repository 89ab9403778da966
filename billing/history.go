package billing

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/jmoiron/sqlx"
)

// queryer is a *sqlx.DB or a *sqlx.Tx.
type queryer interface {
	sqlx.QueryerContext
	Rebind(string) string
}

// epoch is "since always": a department never bound explicitly is bound to
// the Default template from the start.
var epoch = time.Unix(0, 0).UTC()

// historyCache keeps departments' price histories while pricing does not
// change; pricingVersion tells when it did (in this process or another
// replica's), for the price of one query.
type historyCache struct {
	mu      sync.Mutex
	version string
	byDept  map[string]PriceHistory
}

// pricingVersion changes whenever a price list's state or a department's
// binding does. Prices change only on lists not activated, which history
// ignores until their activation bumps updated_at.
func pricingVersion(ctx context.Context, q queryer) (string, error) {
	var v struct {
		Lists    int     `db:"lists"`
		Updated  *string `db:"updated"`
		Bindings int     `db:"bindings"`
		Bound    *string `db:"bound"`
	}
	err := sqlx.GetContext(ctx, q, &v, `SELECT (SELECT COUNT(*) FROM billing_price_lists) AS lists,
		(SELECT CAST(MAX(updated_at) AS TEXT) FROM billing_price_lists) AS updated,
		(SELECT COUNT(*) FROM billing_department_templates) AS bindings,
		(SELECT CAST(MAX(effective_at) AS TEXT) FROM billing_department_templates) AS bound`)
	if err != nil {
		return "", dbErr("pricingVersion", err)
	}
	deref := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	return fmt.Sprint(v.Lists, "|", deref(v.Updated), "|", v.Bindings, "|", deref(v.Bound)), nil
}

// cachedHistory is priceHistory through the cache.
func (s *Service) cachedHistory(ctx context.Context, q queryer, department string) (PriceHistory, error) {
	v, err := pricingVersion(ctx, q)
	if err != nil {
		return nil, err
	}
	s.hist.mu.Lock()
	if s.hist.version != v {
		s.hist.version, s.hist.byDept = v, map[string]PriceHistory{}
	}
	h, ok := s.hist.byDept[department]
	s.hist.mu.Unlock()
	if ok {
		return h, nil
	}
	if h, err = s.priceHistory(ctx, q, department); err != nil {
		return nil, err
	}
	s.hist.mu.Lock()
	if s.hist.version == v {
		s.hist.byDept[department] = h
	}
	s.hist.mu.Unlock()
	return h, nil
}

// priceHistory returns department's price history: the periods of the
// price lists of the templates it was bound to, in the order they came into
// use. A price list is in use from its effective time until the next
// activated list of its template takes over; lists not activated or
// disabled never are. Binding a department to another template takes effect
// at the binding's time (BL.7).
func (s *Service) priceHistory(ctx context.Context, q queryer, department string) (PriceHistory, error) {
	type binding struct {
		TemplateID  string    `db:"template_id"`
		EffectiveAt time.Time `db:"effective_at"`
	}
	var binds []binding
	if err := sqlx.SelectContext(ctx, q, &binds, q.Rebind(`SELECT template_id, effective_at FROM billing_department_templates WHERE department_id = ? ORDER BY effective_at`), department); err != nil {
		return nil, dbErr("priceHistory", err)
	}
	if len(binds) == 0 || binds[0].EffectiveAt.After(epoch) {
		var def string
		if err := sqlx.GetContext(ctx, q, &def, `SELECT id FROM billing_templates WHERE is_default`); err != nil {
			return nil, dbErr("priceHistory", err)
		}
		binds = append([]binding{{TemplateID: def, EffectiveAt: epoch}}, binds...)
	}
	var out PriceHistory
	for i, b := range binds {
		end := time.Time{}
		if i+1 < len(binds) {
			end = binds[i+1].EffectiveAt
		}
		periods, err := s.templateHistory(ctx, q, b.TemplateID)
		if err != nil {
			return nil, err
		}
		for j, p := range periods {
			from := p.From
			next := time.Time{}
			if j+1 < len(periods) {
				next = periods[j+1].From
			}
			if !next.IsZero() && !next.After(b.EffectiveAt) {
				continue // superseded before the binding began
			}
			if !end.IsZero() && !from.Before(end) {
				break // came into use after the binding ended
			}
			if from.Before(b.EffectiveAt) {
				from = b.EffectiveAt
			}
			p.From = from
			out = append(out, p)
		}
		if !end.IsZero() && len(out) > 0 && !out[len(out)-1].From.Before(end) {
			out = out[:len(out)-1]
		}
		if !end.IsZero() {
			// Nothing of this template after the binding ends: mark the gap
			// with an empty period unless the next binding's template
			// starts a list exactly then.
			out = append(out, PricePeriod{From: end, ListID: "", Prices: map[string]*apd.Decimal{}})
		}
	}
	// Empty gap markers followed at the same instant by a real period are dropped.
	var clean PriceHistory
	for i, p := range out {
		if p.ListID == "" && i+1 < len(out) && !out[i+1].From.After(p.From) {
			continue
		}
		clean = append(clean, p)
	}
	sort.SliceStable(clean, func(i, j int) bool { return clean[i].From.Before(clean[j].From) })
	return clean, nil
}

// templateHistory returns the periods of template's activated price lists,
// by effective time.
func (s *Service) templateHistory(ctx context.Context, q queryer, template string) ([]PricePeriod, error) {
	type list struct {
		ID          string    `db:"id"`
		EffectiveAt time.Time `db:"effective_at"`
	}
	var lists []list
	if err := sqlx.SelectContext(ctx, q, &lists, q.Rebind(`SELECT id, effective_at FROM billing_price_lists
		WHERE template_id = ? AND status = 'activated' AND effective_at IS NOT NULL ORDER BY effective_at, number`), template); err != nil {
		return nil, dbErr("templateHistory", err)
	}
	out := make([]PricePeriod, 0, len(lists))
	for _, l := range lists {
		prices, err := s.listPrices(ctx, q, l.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, PricePeriod{From: l.EffectiveAt.UTC(), ListID: l.ID, Prices: prices})
	}
	return out, nil
}

// listPrices returns a price list's unit prices by item.
func (s *Service) listPrices(ctx context.Context, q queryer, listID string) (map[string]*apd.Decimal, error) {
	var rows []struct {
		Item      string `db:"item"`
		UnitPrice string `db:"unit_price"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, q.Rebind(`SELECT item, unit_price FROM billing_prices WHERE price_list_id = ?`), listID); err != nil {
		return nil, dbErr("listPrices", err)
	}
	out := make(map[string]*apd.Decimal, len(rows))
	for _, r := range rows {
		d, err := ParseDecimal(r.UnitPrice)
		if err != nil {
			return nil, dbErr("listPrices", err)
		}
		out[r.Item] = d
	}
	return out, nil
}
