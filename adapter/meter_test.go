package adapter

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/adapter/events"
	"github.com/gisiaas/gisiaas/adapter/registry"
	"github.com/gisiaas/gisiaas/adapter/store"
	"github.com/gisiaas/gisiaas/adapter/store/storetest"
	"github.com/gisiaas/gisiaas/billing"
	"github.com/gisiaas/gisiaas/core"
)

type meterRig struct {
	bus  *events.Log
	bill *billing.Service
	reg  *registry.Registry
	tmpl string
}

func newMeterRig(t testing.TB, db *store.DB) *meterRig {
	ctx := context.Background()
	bill, err := billing.New(ctx, db.DB, billing.Dialect(db.Dialect()))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := registry.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	tmpls, err := bill.ListTemplates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bill.SetPrice(ctx, tmpls[0].ID, 1, "server.flavor.m1.tiny", "3600"); err != nil {
		t.Fatal(err)
	}
	if _, err := bill.UseNow(ctx, tmpls[0].ID, 1); err != nil {
		t.Fatal(err)
	}
	if err := bill.CreateAccount(ctx, "dept"); err != nil {
		t.Fatal(err)
	}
	return &meterRig{bus: events.NewLog(db), bill: bill, reg: reg, tmpl: tmpls[0].ID}
}

func (r *meterRig) start(t testing.TB) context.CancelFunc {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = NewMeter(MeterConfig{Bus: r.bus, Billing: r.bill, Registry: r.reg}).Run(ctx)
	}()
	return func() { cancel(); <-done }
}

func (r *meterRig) publish(t testing.TB, id, server, state string, at time.Time) {
	t.Helper()
	_, _, err := r.bus.Publish(context.Background(), events.Event{DepartmentID: "dept", Event: core.Event{ID: id, ResourceType: core.TypeServer,
		ResourceID: server, DatacenterID: "dc1", ProjectID: "p", ToState: state, Time: at,
		Attributes: core.EventAttributes{FlavorID: "m1.tiny", VCPUs: 1, MemoryMB: 512}}})
	if err != nil {
		t.Fatal(err)
	}
}

// TestMeterRatesTheBusOnceAcrossRestarts: the meter rates what the bus
// carries; stopped and started again, it resumes from its cursor and —
// even fed the same events again — charges nothing twice.
func TestMeterRatesTheBusOnceAcrossRestarts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newMeterRig(t, db)
		ctx := context.Background()
		base := time.Now().UTC().Add(time.Second).Truncate(time.Second) // after the price list came into use
		stop := r.start(t)
		r.publish(t, "e1", "s1", "ACTIVE", base)
		r.publish(t, "e2", "s1", "SHUTOFF", base.Add(10*time.Second))
		charged := func() string {
			bill, err := r.bill.Bill(ctx, billing.BillQuery{DepartmentID: "dept", From: base.Add(-time.Hour), To: base.Add(2 * time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			return bill.Total
		}
		eventuallyTrue(t, "10 s charged", func() bool { return charged() == "10.00" })
		stop()
		// While it is stopped, more happens; then the same events again
		// (a replica republishing them) — they are dropped by the bus or billing.
		r.publish(t, "e3", "s1", "ACTIVE", base.Add(20*time.Second))
		r.publish(t, "e4", "s1", "DELETED", base.Add(25*time.Second))
		r.publish(t, "e2", "s1", "SHUTOFF", base.Add(10*time.Second))
		stop = r.start(t)
		defer stop()
		eventuallyTrue(t, "15 s charged", func() bool { return charged() == "15.00" })
		if c, _ := r.reg.Cursor(ctx, meterCursor); c != "4" {
			t.Fatalf("cursor %q, want 4", c)
		}
	})
}

func eventuallyTrue(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10 s", what)
		}
		<-tick.C
	}
}

// BenchmarkEventToBalance measures, through the whole path — publish on the
// bus, the meter, the ledger, the account — how long until a department's
// cost per hour shows a server that just started. Reported as p50/p99.
func BenchmarkEventToBalance(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			db := storetest.Open(b, d)
			r := newMeterRig(b, db)
			stop := r.start(b)
			defer stop()
			ctx := context.Background()
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				r.publish(b, fmt.Sprint("b", i), fmt.Sprint("srv", i), "ACTIVE", start.UTC())
				want := fmt.Sprintf("%d.00", (i+1)*3600)
				for {
					acct, err := r.bill.Account(ctx, "dept")
					if err != nil {
						b.Fatal(err)
					}
					if acct.CostPerHour == want {
						break
					}
				}
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
