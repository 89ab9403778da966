package billing

import (
	"sort"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/gisiaas/gisiaas/core"
)

// StateAt says a resource entered State, with Attrs, at Time.
type StateAt struct {
	Time    time.Time
	State   string
	Attrs   core.EventAttributes
	EventID string
}

// PricePeriod is a price list in force from From until the next period.
type PricePeriod struct {
	From   time.Time
	ListID string
	Prices map[string]*apd.Decimal // unit price per hour, by item key
}

// PriceHistory is what one department paid per item over time: its
// template's price lists in the order they came into use, and the template
// it was bound to. Before the first period nothing is charged (BL.6: billing
// is off until a price list is activated).
type PriceHistory []PricePeriod

// at returns the period in force at t.
func (h PriceHistory) at(t time.Time) (PricePeriod, bool) {
	i := sort.Search(len(h), func(i int) bool { return h[i].From.After(t) })
	if i == 0 {
		return PricePeriod{}, false
	}
	return h[i-1], true
}

// Interval is [Start, End).
type Interval struct{ Start, End time.Time }

// Segment is a stretch of time during which a resource consumed Quantity
// units of Item at UnitPrice per hour: the unit of the ledger.
type Segment struct {
	Item      string
	Quantity  *apd.Decimal
	UnitPrice *apd.Decimal
	ListID    string
	Start     time.Time
	End       time.Time
}

// seconds is the exact length of [start, end) in seconds (microseconds kept).
func seconds(start, end time.Time) *apd.Decimal {
	return apd.New(end.Sub(start).Microseconds(), -6)
}

// AmountX3600 is what the segment costs within w, times 3600 (exact; see
// hourAmount): unit price × quantity × seconds of overlap.
func (s Segment) AmountX3600(w Interval) *apd.Decimal {
	a, b := s.Start, s.End
	if w.Start.After(a) {
		a = w.Start
	}
	if w.End.Before(b) {
		b = w.End
	}
	if !a.Before(b) {
		return apd.New(0, 0)
	}
	return mul(mul(s.UnitPrice, s.Quantity), seconds(a, b))
}

// key identifies a segment for comparing two ratings of one resource.
func (s Segment) key() string {
	return s.Item + "|" + s.Quantity.Text('f') + "|" + s.UnitPrice.Text('f') + "|" + s.ListID + "|" +
		s.Start.UTC().Format(time.RFC3339Nano) + "|" + s.End.UTC().Format(time.RFC3339Nano)
}

// Rate rates one resource of type typ over its closed intervals: from each
// state change to the next, and the last state until until (zero: the last
// state is left open). Intervals are split at every price period's start;
// blocked intervals (a public IP's server soft-deleted, BL.3) are not
// charged. It is a pure function of its inputs: rebuilding a bill from the
// event log gives what was posted incrementally.
func Rate(typ core.ResourceType, timeline []StateAt, until time.Time, prices PriceHistory, blocked []Interval) []Segment {
	var out []Segment
	for i, st := range timeline {
		end := until
		if i+1 < len(timeline) {
			end = timeline[i+1].Time
		}
		if end.IsZero() || !st.Time.Before(end) {
			continue
		}
		usage := usageOf(typ, st.State, st.Attrs)
		if len(usage) == 0 {
			continue
		}
		for _, piece := range subtract(Interval{st.Time, end}, blocked) {
			out = append(out, ratePiece(usage, piece, prices)...)
		}
	}
	return out
}

// ratePiece prices usage over iv, split at the price periods' starts.
func ratePiece(usage []Usage, iv Interval, prices PriceHistory) []Segment {
	var out []Segment
	cuts := []time.Time{iv.Start}
	for _, p := range prices {
		if p.From.After(iv.Start) && p.From.Before(iv.End) {
			cuts = append(cuts, p.From)
		}
	}
	cuts = append(cuts, iv.End)
	for i := 0; i+1 < len(cuts); i++ {
		p, ok := prices.at(cuts[i])
		if !ok {
			continue
		}
		for _, u := range priced(usage, p) {
			out = append(out, Segment{Item: u.Item, Quantity: u.Quantity, UnitPrice: p.Prices[u.Item], ListID: p.ListID,
				Start: cuts[i], End: cuts[i+1]})
		}
	}
	return out
}

// priced picks, for each usage, the item the list prices: the usage itself,
// else its fallbacks; items without a price (or priced zero) are free.
func priced(usage []Usage, p PricePeriod) []Usage {
	var out []Usage
	for _, u := range usage {
		if price, ok := p.Prices[u.Item]; ok {
			if !price.IsZero() && !u.Quantity.IsZero() {
				out = append(out, u)
			}
			continue
		}
		out = append(out, priced(u.Else, p)...)
	}
	return out
}

// subtract returns iv without the blocked intervals.
func subtract(iv Interval, blocked []Interval) []Interval {
	out := []Interval{iv}
	for _, b := range blocked {
		var next []Interval
		for _, x := range out {
			if !b.Start.Before(x.End) || !x.Start.Before(b.End) {
				next = append(next, x)
				continue
			}
			if x.Start.Before(b.Start) {
				next = append(next, Interval{x.Start, b.Start})
			}
			if b.End.Before(x.End) {
				next = append(next, Interval{b.End, x.End})
			}
		}
		out = next
	}
	return out
}

// CostPerHour is what usage in one state costs per hour under the period p.
func CostPerHour(typ core.ResourceType, state string, a core.EventAttributes, p PricePeriod) *apd.Decimal {
	total := apd.New(0, 0)
	for _, u := range priced(usageOf(typ, state, a), p) {
		total = add(total, mul(p.Prices[u.Item], u.Quantity))
	}
	return total
}

// softDeleted returns the intervals during which a server was SOFT_DELETED,
// from its timeline (the last one open until until).
func softDeleted(timeline []StateAt, until time.Time) []Interval {
	var out []Interval
	for i, st := range timeline {
		if core.ServerStatus(st.State) != core.ServerSoftDeleted {
			continue
		}
		end := until
		if i+1 < len(timeline) {
			end = timeline[i+1].Time
		}
		if end.IsZero() {
			end = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		out = append(out, Interval{st.Time, end})
	}
	return out
}
