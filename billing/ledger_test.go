package billing

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/jmoiron/sqlx"

	"github.com/gisiaas/gisiaas/core"
)

// activateList writes an activated price list of the Default template,
// effective at from, straight into the tables (pricing.go's rules are
// tested there; the ledger needs only the rows).
func activateList(t *testing.T, s *Service, number int, from time.Time, prices map[string]string) {
	t.Helper()
	ctx := context.Background()
	var tid string
	if err := s.db.Get(&tid, `SELECT id FROM billing_templates WHERE is_default`); err != nil {
		t.Fatal(err)
	}
	id := newID()
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO billing_price_lists (id, template_id, number, description, effective_at, status, created_at, updated_at)
		VALUES (?, ?, ?, '', ?, 'activated', ?, ?)`), id, tid, number+100, from, from, from); err != nil {
		t.Fatal(err)
	}
	for item, p := range prices {
		if _, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO billing_prices (price_list_id, item, unit_price) VALUES (?, ?, ?)`), id, item, p); err != nil {
			t.Fatal(err)
		}
	}
}

var t0 = time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)

func ev(id string, typ core.ResourceType, res, state string, at time.Time, a core.EventAttributes) Event {
	return Event{Event: core.Event{ID: id, ResourceType: typ, ResourceID: res, DatacenterID: "dc1", ProjectID: "p1",
		ToState: state, Attributes: a, Time: at}, DepartmentID: "d1"}
}

var tiny = core.EventAttributes{FlavorID: "m1.tiny", VCPUs: 1, MemoryMB: 512}

// TestRecordChargesPerSecondExactlyOnce_BL1: a server that ran 17 s costs
// 17 s; a stopped server costs nothing; a duplicate charges nothing.
func TestRecordChargesPerSecondExactlyOnce_BL1(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqlx.DB, d Dialect) {
		clock := newTestClock()
		clock.Set(t0.Add(time.Hour))
		s := newTestService(t, db, d, clock)
		activateList(t, s, 1, t0.Add(-time.Hour), map[string]string{"server.flavor.m1.tiny": "36"})
		ctx := context.Background()
		events := []Event{
			ev("e1", core.TypeServer, "s1", "BUILD", t0, tiny),
			ev("e2", core.TypeServer, "s1", "ACTIVE", t0.Add(3*time.Second), tiny),
			ev("e3", core.TypeServer, "s1", "SHUTOFF", t0.Add(20*time.Second), tiny),
			ev("e4", core.TypeServer, "s1", "ACTIVE", t0.Add(30*time.Minute), tiny),
			ev("e5", core.TypeServer, "s1", "DELETED", t0.Add(30*time.Minute+500*time.Millisecond), tiny),
		}
		n, err := s.Record(ctx, events)
		if err != nil || n != 5 {
			t.Fatalf("Record: %d %v", n, err)
		}
		// Again, and each alone: nothing new, nothing charged twice.
		if n, err := s.Record(ctx, append(events, events[2])); err != nil || n != 0 {
			t.Fatalf("duplicates: %d %v", n, err)
		}
		bill, err := s.Bill(ctx, BillQuery{DepartmentID: "d1", From: t0.Add(-time.Hour), To: t0.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		// 17 s + 0.5 s at 36/h = 0.175 → 0.18 (half-even on 0.175 → 0.18).
		if len(bill.Lines) != 1 || bill.Lines[0].Amount != "0.18" || bill.Total != "0.18" || bill.Lines[0].Seconds != "17.5" {
			t.Fatalf("bill: %+v", bill)
		}
		charged, perHour, err := s.usage(ctx, s.db, "d1", clock.Now())
		if err != nil || charged.Cmp(mustDecimal("630")) != 0 || !perHour.IsZero() {
			t.Fatalf("usage: %v %v %v", charged, perHour, err)
		}
	})
}

// TestNothingChargedBeforeAPriceListIsInUse_BL6, and a price change splits
// a running interval at its effective time (BL.4).
func TestPriceChangesSplitIntervals_BL4_BL6(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqlx.DB, d Dialect) {
		clock := newTestClock()
		clock.Set(t0.Add(3 * time.Hour))
		s := newTestService(t, db, d, clock)
		ctx := context.Background()
		activateList(t, s, 1, t0.Add(time.Hour), map[string]string{"server.vcpu": "1", "server.memory_gb": "2"})
		activateList(t, s, 2, t0.Add(2*time.Hour), map[string]string{"server.vcpu": "3", "server.memory_gb": "2"})
		if _, err := s.Record(ctx, []Event{
			ev("a", core.TypeServer, "s1", "ACTIVE", t0, tiny),
			ev("b", core.TypeServer, "s1", "DELETED", t0.Add(150*time.Minute), tiny),
		}); err != nil {
			t.Fatal(err)
		}
		bill, err := s.Bill(ctx, BillQuery{DepartmentID: "d1", From: t0, To: t0.Add(3 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		// 08:00–09:00 free (no list); 09:00–10:00: 1 vCPU × 1 + 0.5 GB × 2 = 2;
		// 10:00–10:30: (3 + 1) × 0.5 = 2. vCPU 1 + 1.5, memory 1 + 0.5.
		got := map[string]string{}
		for _, l := range bill.Lines {
			got[l.Item] = l.Amount
		}
		if got["server.vcpu"] != "2.50" || got["server.memory_gb"] != "1.50" || bill.Total != "4.00" {
			t.Fatalf("bill: %+v", bill)
		}
	})
}

// TestLateEventPostsAdjustments: an event older than what was posted
// re-derives the resource; the difference is posted as adjustments naming
// the late event, and the bill equals a rebuild from the log.
func TestLateEventPostsAdjustments(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqlx.DB, d Dialect) {
		clock := newTestClock()
		clock.Set(t0.Add(2 * time.Hour))
		s := newTestService(t, db, d, clock)
		ctx := context.Background()
		activateList(t, s, 1, t0.Add(-time.Hour), map[string]string{"server.flavor.m1.tiny": "60"})
		mustRecord(t, s, ev("a", core.TypeServer, "s1", "ACTIVE", t0, tiny), ev("c", core.TypeServer, "s1", "DELETED", t0.Add(time.Hour), tiny))
		// The stop at 08:30 arrives late: the second half-hour was not owed.
		mustRecord(t, s, ev("b", core.TypeServer, "s1", "SHUTOFF", t0.Add(30*time.Minute), tiny))
		bill, _ := s.Bill(ctx, BillQuery{DepartmentID: "d1", From: t0, To: t0.Add(2 * time.Hour)})
		if bill.Total != "30.00" {
			t.Fatalf("after the late stop: %+v", bill)
		}
		var adj int
		_ = db.Get(&adj, db.Rebind(`SELECT COUNT(*) FROM billing_charges WHERE kind = 'adjustment' AND event_id = ?`), "b")
		if adj == 0 {
			t.Fatal("no adjustment line names the late event")
		}
		rebuilt, _ := s.Rebuild(ctx, BillQuery{DepartmentID: "d1", From: t0, To: t0.Add(2 * time.Hour)})
		if rebuilt.Total != bill.Total {
			t.Fatalf("rebuild %s, ledger %s", rebuilt.Total, bill.Total)
		}
	})
}

func mustRecord(t *testing.T, s *Service, evs ...Event) {
	t.Helper()
	if _, err := s.Record(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
}

// TestStateRules_BL3: a stopped server bills nothing of its own while its
// volume and public IP go on; a soft-deleted server's public IP stops
// billing while the volume bills until it is deleted.
func TestStateRules_BL3(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqlx.DB, d Dialect) {
		clock := newTestClock()
		clock.Set(t0.Add(4 * time.Hour))
		s := newTestService(t, db, d, clock)
		ctx := context.Background()
		activateList(t, s, 1, t0.Add(-time.Hour), map[string]string{"server.flavor.m1.tiny": "10", "volume.gb.ssd": "1", "public_ip": "2"})
		vol := core.EventAttributes{SizeGB: 5, VolumeType: "ssd", ServerID: "s1"}
		ip := core.EventAttributes{ServerID: "s1"}
		mustRecord(t, s,
			ev("s-a", core.TypeServer, "s1", "ACTIVE", t0, tiny),
			ev("v-a", core.TypeVolume, "v1", "in-use", t0, vol),
			ev("i-a", core.TypePublicIP, "ip1", "ACTIVE", t0, ip),
			ev("s-b", core.TypeServer, "s1", "SHUTOFF", t0.Add(time.Hour), tiny),
			ev("s-c", core.TypeServer, "s1", "SOFT_DELETED", t0.Add(2*time.Hour), tiny),
			ev("s-d", core.TypeServer, "s1", "DELETED", t0.Add(3*time.Hour), tiny),
			ev("v-b", core.TypeVolume, "v1", "deleted", t0.Add(3*time.Hour), vol),
		)
		bill, _ := s.Bill(ctx, BillQuery{DepartmentID: "d1", From: t0, To: t0.Add(4 * time.Hour)})
		got := map[string]string{}
		for _, l := range bill.Lines {
			got[l.Item] = l.Amount
		}
		// server: 1 h × 10; volume: 3 h × 5 GB × 1; public IP: 08–10 and 11–12 (after the server is purged it is bound to none) = 3 h × 2.
		if got["server.flavor.m1.tiny"] != "10.00" || got["volume.gb.ssd"] != "15.00" || got["public_ip"] != "6.00" {
			t.Fatalf("bill: %+v", bill.Lines)
		}
		_, perHour, _ := s.usage(ctx, s.db, "d1", clock.Now())
		if perHour.Cmp(mustDecimal("2")) != 0 {
			t.Fatalf("cost per hour now (only the public IP): %s", perHour.Text('f'))
		}
	})
}

// TestLedgerEqualsIndependentRecomputation is the property test of the
// issue: random event sequences — shuffled, with duplicates and late
// arrivals, across price changes — give a ledger whose bill equals a rebuild
// from the log and a naive second-by-second recomputation, exactly, and
// whose lines sum to the total to the minor unit.
func TestLedgerEqualsIndependentRecomputation(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqlx.DB, d Dialect) {
		for round := 0; round < 6; round++ {
			t.Run(fmt.Sprint(round), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(round), 7))
				clock := newTestClock()
				end := t0.Add(3 * time.Hour)
				clock.Set(end)
				dept := fmt.Sprintf("d%d", round)
				s := newTestService(t, db, d, clock)
				if round == 0 {
					activateList(t, s, 1, t0.Add(17*time.Minute), map[string]string{"server.flavor.m1.tiny": "1.37", "server.vcpu": "0.11",
						"server.memory_gb": "0.013", "volume.gb.std": "0.0007", "public_ip": "0.9", "router": "0.25", "image.gb": "0.01"})
					activateList(t, s, 2, t0.Add(97*time.Minute+13*time.Second), map[string]string{"server.flavor.m1.tiny": "2.11", "server.vcpu": "0.05",
						"server.memory_gb": "0.02", "volume.gb.std": "0.0011", "public_ip": "0.5", "router": "0.3", "image.gb": "0.013"})
				}
				hist, err := s.priceHistory(context.Background(), s.db, dept)
				if err != nil {
					t.Fatal(err)
				}
				events := randomEvents(rng, dept, end)
				// Shuffled within bounded windows: late arrivals; some twice.
				shuffled := append([]Event(nil), events...)
				for i := range shuffled {
					j := i + rng.IntN(min(5, len(shuffled)-i))
					shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
				}
				for i := 0; i < len(events)/5; i++ {
					shuffled = append(shuffled, events[rng.IntN(len(events))])
				}
				for len(shuffled) > 0 {
					n := 1 + rng.IntN(7)
					n = min(n, len(shuffled))
					mustRecord(t, s, shuffled[:n]...)
					shuffled = shuffled[n:]
				}
				q := BillQuery{DepartmentID: dept, From: t0.Add(-time.Minute), To: end}
				ledger, err := s.Bill(context.Background(), q)
				if err != nil {
					t.Fatal(err)
				}
				rebuilt, err := s.Rebuild(context.Background(), q)
				if err != nil {
					t.Fatal(err)
				}
				naive := naiveRecompute(events, hist, q.From, end)
				if err := sameBill(ledger, naive); err != nil {
					t.Fatalf("ledger vs naive: %v", err)
				}
				if err := sameBill(rebuilt, naive); err != nil {
					t.Fatalf("rebuild vs naive: %v", err)
				}
				sum := apd.New(0, 0)
				for _, l := range ledger.Lines {
					sum = add(sum, mustDecimal(l.Amount))
				}
				if sum.Cmp(mustDecimal(ledger.Total)) != 0 {
					t.Fatalf("lines sum to %s, total %s", sum.Text('f'), ledger.Total)
				}
			})
		}
	})
}

// randomEvents makes a plausible history for a few resources at distinct
// whole seconds.
func randomEvents(rng *rand.Rand, dept string, end time.Time) []Event {
	var out []Event
	n := 0
	add := func(typ core.ResourceType, id, state string, at time.Time, a core.EventAttributes) {
		n++
		e := ev(fmt.Sprintf("%s-%d", dept, n), typ, dept+"-"+id, state, at, a)
		if a.ServerID != "" {
			e.Attributes.ServerID = dept + "-" + a.ServerID
		}
		e.DepartmentID = dept
		out = append(out, e)
	}
	span := int(end.Sub(t0) / time.Second)
	times := func(k int) []time.Time {
		seen := map[int]bool{}
		var ts []time.Time
		for len(ts) < k {
			x := rng.IntN(span - 1)
			if !seen[x] {
				seen[x] = true
				ts = append(ts, t0.Add(time.Duration(x)*time.Second))
			}
		}
		sortTimes(ts)
		return ts
	}
	flavors := []core.EventAttributes{tiny, {FlavorID: "m1.big", VCPUs: 4, MemoryMB: 3000}}
	for i := 0; i < 3; i++ {
		id := fmt.Sprintf("srv%d", i)
		states := []string{"BUILD", "ACTIVE", "SHUTOFF", "ACTIVE", "REBOOT", "ACTIVE", "SOFT_DELETED", "ACTIVE", "DELETED"}
		k := 2 + rng.IntN(len(states)-1)
		for j, at := range times(k) {
			st := states[j]
			if j == k-1 && rng.IntN(2) == 0 {
				st = "DELETED"
			}
			add(core.TypeServer, id, st, at, flavors[rng.IntN(2)])
		}
		ipStates := []string{"DOWN", "ACTIVE", "ACTIVE", "DOWN", "DELETED"}
		for j, at := range times(1 + rng.IntN(5)) {
			add(core.TypePublicIP, fmt.Sprintf("ip%d", i), ipStates[j], at, core.EventAttributes{ServerID: id})
		}
	}
	volStates := []string{"creating", "available", "in-use", "extending", "in-use", "available", "deleted"}
	for j, at := range times(1 + rng.IntN(len(volStates))) {
		add(core.TypeVolume, "vol", volStates[j], at, core.EventAttributes{SizeGB: int64(1 + j), VolumeType: "std"})
	}
	for j, at := range times(1 + rng.IntN(3)) {
		add(core.TypeRouter, "r1", []string{"ACTIVE", "DOWN", "DELETED"}[j], at, core.EventAttributes{})
	}
	for j, at := range times(1 + rng.IntN(3)) {
		add(core.TypeImage, "img", []string{"saving", "active", "deleted"}[j], at, core.EventAttributes{ImageSizeBytes: 123456789})
	}
	return out
}

func sortTimes(ts []time.Time) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j].Before(ts[j-1]); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}

// naiveRecompute bills second by second, knowing nothing of segments: for
// each second, each resource's state then, the price then, the rules.
func naiveRecompute(events []Event, hist PriceHistory, from, to time.Time) map[string]*apd.Decimal {
	byRes := map[string][]Event{}
	for _, e := range events {
		k := string(e.ResourceType) + "/" + e.ResourceID
		byRes[k] = append(byRes[k], e)
	}
	stateAt := func(evs []Event, at time.Time) (Event, bool) {
		var cur Event
		ok := false
		for _, e := range evs {
			if !e.Time.After(at) {
				cur, ok = e, true
			}
		}
		return cur, ok
	}
	out := map[string]*apd.Decimal{}
	for at := from; at.Before(to); at = at.Add(time.Second) {
		p, ok := hist.at(at)
		if !ok {
			continue
		}
		for k, evs := range byRes {
			e, ok := stateAt(evs, at)
			if !ok || isDeleted(e.ToState) {
				continue
			}
			if e.ResourceType == core.TypePublicIP && e.Attributes.ServerID != "" {
				if srv, ok := stateAt(byRes["server/"+e.Attributes.ServerID], at); ok && srv.ToState == "SOFT_DELETED" {
					continue
				}
			}
			for _, u := range priced(usageOf(e.ResourceType, e.ToState, e.Attributes), p) {
				key := k + "|" + u.Item
				v := mul(p.Prices[u.Item], u.Quantity)
				if cur, ok := out[key]; ok {
					out[key] = add(cur, v)
				} else {
					out[key] = v
				}
			}
		}
	}
	return out
}

// sameBill compares a bill's exact lines with the naive sums.
func sameBill(b Bill, naive map[string]*apd.Decimal) error {
	seen := map[string]bool{}
	for _, l := range b.Lines {
		k := l.ResourceType + "/" + l.ResourceID + "|" + l.Item
		seen[k] = true
		want, ok := naive[k]
		if !ok {
			want = apd.New(0, 0)
		}
		if l.exact.Cmp(want) != 0 {
			return fmt.Errorf("%s: %s, naive %s", k, l.exact.Text('f'), want.Text('f'))
		}
	}
	for k, v := range naive {
		if !seen[k] && !v.IsZero() {
			return fmt.Errorf("%s: missing from the bill (naive %s)", k, v.Text('f'))
		}
	}
	return nil
}

// TestRebuildAndCompare: the report says equal for a ledger built
// incrementally, late events included, and names the line when the ledger
// was tampered with.
func TestRebuildAndCompare(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqlx.DB, d Dialect) {
		clock := newTestClock()
		clock.Set(t0.Add(3 * time.Hour))
		s := newTestService(t, db, d, clock)
		ctx := context.Background()
		activateList(t, s, 1, t0.Add(-time.Hour), map[string]string{"server.flavor.m1.tiny": "7.77"})
		mustRecord(t, s, ev("a", core.TypeServer, "s1", "ACTIVE", t0, tiny), ev("c", core.TypeServer, "s1", "ACTIVE", t0.Add(time.Hour), tiny))
		mustRecord(t, s, ev("b", core.TypeServer, "s1", "SHUTOFF", t0.Add(20*time.Minute), tiny))
		q := BillQuery{DepartmentID: "d1", From: t0, To: t0.Add(24 * time.Hour)} // past now: cut at now
		rep, err := s.RebuildAndCompare(ctx, q)
		if err != nil || !rep.Equal || rep.Posted.Total == "0.00" || !rep.Posted.To.Equal(clock.Now()) {
			t.Fatalf("report: %+v %v", rep, err)
		}
		db.MustExec(`UPDATE billing_charges SET unit_price = '9' WHERE id = (SELECT MIN(id) FROM billing_charges)`)
		rep, _ = s.RebuildAndCompare(ctx, q)
		if rep.Equal || len(rep.Differences) == 0 {
			t.Fatalf("a tampered ledger compared equal: %+v", rep)
		}
	})
}

// TestPublicIPOfSoftDeletedServerAcrossBatches: the server's soft delete
// and the IP's own later event in one batch charge the IP once; a late
// server event that shortens a soft-deleted period re-derives the IP.
func TestPublicIPOfSoftDeletedServerAcrossBatches(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqlx.DB, d Dialect) {
		ctx := context.Background()
		clock := newTestClock()
		clock.Set(t0.Add(10 * time.Hour))
		s := newTestService(t, db, d, clock)
		activateList(t, s, 1, t0.Add(-time.Hour), map[string]string{"public_ip": "1"})
		ip := core.EventAttributes{ServerID: "s1"}
		q := BillQuery{DepartmentID: "d1", From: t0, To: t0.Add(10 * time.Hour)}
		mustRecord(t, s, ev("a1", core.TypeServer, "s1", "ACTIVE", t0, tiny), ev("a2", core.TypePublicIP, "ip1", "ACTIVE", t0, ip))
		mustRecord(t, s, ev("a3", core.TypeServer, "s1", "SOFT_DELETED", t0.Add(time.Hour), tiny), ev("a4", core.TypePublicIP, "ip1", "DELETED", t0.Add(2*time.Hour), ip))
		if rep, _ := s.RebuildAndCompare(ctx, q); !rep.Equal || rep.Posted.Total != "1.00" {
			t.Fatalf("same batch: %+v", rep.Differences)
		}
		mustRecord(t, s, ev("b1", core.TypeServer, "s2", "ACTIVE", t0, tiny), ev("b2", core.TypePublicIP, "ip2", "ACTIVE", t0, core.EventAttributes{ServerID: "s2"}))
		mustRecord(t, s, ev("b3", core.TypeServer, "s2", "SOFT_DELETED", t0.Add(time.Hour), tiny))
		mustRecord(t, s, ev("b4", core.TypeServer, "s2", "DELETED", t0.Add(3*time.Hour), tiny))
		mustRecord(t, s, ev("b5", core.TypePublicIP, "ip2", "DELETED", t0.Add(4*time.Hour), core.EventAttributes{ServerID: "s2"}))
		mustRecord(t, s, ev("b6", core.TypeServer, "s2", "ACTIVE", t0.Add(2*time.Hour), tiny)) // late: restored at 2 h
		rep, _ := s.RebuildAndCompare(ctx, q)
		if !rep.Equal || rep.Posted.Total != "4.00" { // ip1: 1 h; ip2: 0–1 h, 2–4 h
			t.Fatalf("late server event: %+v %s", rep.Differences, rep.Posted.Total)
		}
	})
}

// TestRebuildTakesAResourcesProjectOnce: a later event naming another (or
// no) project does not make a rebuild count the resource twice.
func TestRebuildTakesAResourcesProjectOnce(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqlx.DB, d Dialect) {
		clock := newTestClock()
		clock.Set(t0.Add(5 * time.Hour))
		s := newTestService(t, db, d, clock)
		activateList(t, s, 1, t0.Add(-time.Hour), map[string]string{"router": "1"})
		last := ev("r2", core.TypeRouter, "r1", "DELETED", t0.Add(2*time.Hour), core.EventAttributes{})
		last.ProjectID = ""
		mustRecord(t, s, ev("r1", core.TypeRouter, "r1", "ACTIVE", t0, core.EventAttributes{}), last)
		rep, err := s.RebuildAndCompare(context.Background(), BillQuery{DepartmentID: "d1", From: t0, To: t0.Add(5 * time.Hour)})
		if err != nil || !rep.Equal || rep.Rebuilt.Total != "2.00" {
			t.Fatalf("%+v %v", rep, err)
		}
	})
}
