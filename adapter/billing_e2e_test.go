package adapter

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/gisiaas/gisiaas/adapter/events"
	"github.com/gisiaas/gisiaas/adapter/store"
	"github.com/gisiaas/gisiaas/adapter/store/storetest"
	"github.com/gisiaas/gisiaas/billing"
	"github.com/gisiaas/gisiaas/core"
)

// TestBillingEndToEnd goes through the whole path over HTTP: a price list
// activated, a recharge, a simulated server created, resized, stopped and
// deleted and a volume created, extended and deleted, the events carried by
// the reconciler, the bus and the meter; the bill then matches, to the minor
// unit, the amount computed by hand from the events' own times.
func TestBillingEndToEnd(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		bill, err := billing.New(ctx, db.DB, billing.Dialect(db.Dialect()))
		if err != nil {
			t.Fatal(err)
		}
		bus := events.NewLog(db)
		f := newAPIFixture(t, db, func(c *Config) { c.Billing, c.Events = bill, bus })
		wait := f.runMetering(ctx, bus, bill)
		defer func() { cancel(); wait() }()

		// Prices per hour, high enough that the milliseconds the simulator
		// takes are worth cents.
		prices := map[string]string{"server.flavor.m1.tiny": "3600000", "server.flavor.m1.small": "7200000", "volume.gb.standard": "36000"}
		tmpl := f.must(200, "GET", "/v1/billing/templates", f.admin, nil)["templates"].([]any)[0].(map[string]any)["id"].(string)
		for item, p := range prices {
			f.must(200, "PUT", "/v1/billing/templates/"+tmpl+"/price-lists/1/prices/"+item, f.admin, map[string]any{"unit_price": p})
		}
		f.must(200, "POST", "/v1/billing/templates/"+tmpl+"/price-lists/1/use-now", f.admin, nil)
		dept := f.must(200, "GET", "/v3/auth/tokens", f.alice, nil, "X-Subject-Token", f.alice)["token"].(map[string]any)["project"].(map[string]any)["domain"].(map[string]any)["id"].(string)
		f.must(201, "POST", "/v1/billing/departments/"+dept+"/recharges", f.admin, map[string]any{"amount": "1000000", "note": "e2e"})
		start := time.Now().UTC()

		img, net := f.simRefs("dc1", f.pa)
		base := "/v1/" + f.pa
		srv := f.must(202, "POST", base+"/servers", f.alice, serverBody("billed", "dc1", img, net))["server"].(map[string]any)["id"].(string)
		f.waitFor(base+"/servers/"+srv, f.alice, "server", "status", "ACTIVE")
		vol := f.must(202, "POST", base+"/volumes", f.alice, map[string]any{"volume": map[string]any{"name": "data", "size_gb": 10, "datacenter_id": "dc1"}})["volume"].(map[string]any)["id"].(string)
		f.waitFor(base+"/volumes/"+vol, f.alice, "volume", "status", "available")
		f.must(202, "POST", base+"/servers/"+srv+"/resize", f.alice, map[string]any{"flavor_id": "m1.small"})
		f.waitFor(base+"/servers/"+srv, f.alice, "server", "status", "VERIFY_RESIZE")
		f.must(202, "POST", base+"/servers/"+srv+"/confirm-resize", f.alice, nil)
		f.waitFor(base+"/servers/"+srv, f.alice, "server", "status", "ACTIVE")
		f.must(202, "POST", base+"/volumes/"+vol+"/extend", f.alice, map[string]any{"size_gb": 20})
		f.waitUntil(base+"/volumes/"+vol, f.alice, "volume", func(v map[string]any) bool {
			return v["status"] == "available" && v["size_gb"] == float64(20)
		})
		f.must(202, "POST", base+"/servers/"+srv+"/stop", f.alice, nil)
		f.waitFor(base+"/servers/"+srv, f.alice, "server", "status", "SHUTOFF")
		f.must(204, "DELETE", base+"/servers/"+srv, f.alice, nil)
		f.must(204, "DELETE", base+"/volumes/"+vol, f.alice, nil)

		// The events as the bus carried them, until both resources are gone.
		var seen []events.Event
		gone := map[string]bool{}
		sctx, scancel := context.WithTimeout(ctx, 20*time.Second)
		defer scancel()
		_ = bus.Subscribe(sctx, 0, func(e events.Event) bool { return e.ProjectID == f.pa }, func(e events.Event) error {
			seen = append(seen, e)
			if e.ToState == core.StateDeleted || e.ToState == string(core.VolumeDeleted) {
				gone[e.ResourceID] = true
			}
			if gone[srv] && gone[vol] {
				scancel()
			}
			return nil
		})
		if !gone[srv] || !gone[vol] {
			t.Fatalf("the deletions never reached the bus: %d events", len(seen))
		}
		// By hand: each interval between two events of a resource, in a
		// state that bills, at its price.
		wantRounded := billByHand(t, seen, func(e events.Event) *apd.Decimal {
			switch {
			case e.ResourceID == srv && (e.ToState == "ACTIVE" || e.ToState == "RESIZE" || e.ToState == "VERIFY_RESIZE" || e.ToState == "REBOOT" || e.ToState == "MIGRATING"):
				p, _, _ := apd.NewFromString(prices["server.flavor."+e.Attributes.FlavorID])
				return p
			case e.ResourceID == vol && (e.ToState == "available" || e.ToState == "in-use" || e.ToState == "extending"):
				return apd.New(36000*e.Attributes.SizeGB, 0)
			}
			return nil
		})
		got := f.waitForBill(ctx, dept, start, wantRounded.Text('f'), 10*time.Second)
		t.Logf("%d events; bill total %s, by hand %s", len(seen), got, wantRounded.Text('f'))
		acct := f.must(200, "GET", "/v1/billing/departments/"+dept+"/account", f.alice, nil)["account"].(map[string]any)
		var left apd.Decimal
		_, _ = apd.BaseContext.WithPrecision(60).Sub(&left, apd.New(1000000, 0), &wantRounded)
		if acct["balance"] != left.Text('f') || acct["cost_per_hour"] != "0.00" {
			t.Fatalf("account %v, want balance %s", acct, left.Text('f'))
		}
	})
}

// billByHand is what the events seen should cost, computed the plain way:
// each interval between two events of a resource, at the price per hour
// perHour gives for the state the first of them entered (nil: free),
// summed exactly and rounded half-even to the cent once.
func billByHand(t *testing.T, seen []events.Event, perHour func(events.Event) *apd.Decimal) apd.Decimal {
	t.Helper()
	ctx60 := apd.BaseContext.WithPrecision(60)
	want := apd.New(0, 0)
	byRes := map[string][]events.Event{}
	for _, e := range seen {
		byRes[e.ResourceID] = append(byRes[e.ResourceID], e)
	}
	for _, evs := range byRes {
		for i := 0; i+1 < len(evs); i++ {
			p := perHour(evs[i])
			if p == nil {
				continue
			}
			secs := apd.New(evs[i+1].Time.Sub(evs[i].Time).Microseconds(), -6)
			var x apd.Decimal
			_, _ = ctx60.Mul(&x, p, secs)
			_, _ = ctx60.Add(want, want, &x)
		}
	}
	var hours, rounded apd.Decimal
	_, _ = ctx60.Quo(&hours, want, apd.New(3600, 0))
	ctx60.Rounding = apd.RoundHalfEven
	_, _ = ctx60.Quantize(&rounded, &hours, -2)
	if rounded.IsZero() {
		t.Fatalf("nothing to bill: %d events", len(seen))
	}
	return rounded
}

// waitForBill polls the department's bill since start until its total is
// want (the meter is asynchronous), failing after patience.
func (f *apiFixture) waitForBill(ctx context.Context, dept string, start time.Time, want string, patience time.Duration) string {
	f.t.Helper()
	q := url.Values{"department_id": {dept}, "from": {start.Add(-time.Minute).Format(time.RFC3339)}, "to": {time.Now().UTC().Add(time.Minute).Format(time.RFC3339)}}
	deadline := time.Now().Add(patience)
	for {
		got := f.must(200, "GET", "/v1/billing/bills?"+q.Encode(), f.admin, nil)
		total, _ := got["bill"].(map[string]any)["total"].(string)
		if total == want {
			return total
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("bill %v, by hand %s", got, want)
		}
		select {
		case <-time.After(10 * time.Millisecond):
		case <-ctx.Done():
			f.t.Fatal(ctx.Err())
		}
	}
}

// runMetering runs the reconciler (driver events → registry and bus) and
// the meter (bus → billing) until ctx ends; the returned func waits for both.
func (f *apiFixture) runMetering(ctx context.Context, bus *events.Log, bill *billing.Service) func() {
	done := make(chan struct{}, 2)
	go func() {
		_ = NewReconciler(ReconcilerConfig{Registry: f.reg, Bus: bus, Identity: f.ids, Datacenters: f.dcs}).Run(ctx)
		done <- struct{}{}
	}()
	go func() {
		_ = NewMeter(MeterConfig{Bus: bus, Billing: bill, Registry: f.reg}).Run(ctx)
		done <- struct{}{}
	}()
	return func() { <-done; <-done }
}
