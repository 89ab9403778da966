package billing

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/gisiaas/gisiaas/core"
)

// pricingKind fails unless err is of kind want and its message contains
// each of contains.
func pricingKind(t *testing.T, err error, want core.Kind, contains ...string) {
	t.Helper()
	if core.KindOf(err) != want {
		t.Fatalf("error %v: kind %q, want %q", err, core.KindOf(err), want)
	}
	for _, c := range contains {
		if !strings.Contains(core.MessageOf(err), c) {
			t.Fatalf("error %q does not say %q", core.MessageOf(err), c)
		}
	}
}

// pricingOK(f())(t) is f's value, failing t on f's error.
func pricingOK[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func pricingDefault(t *testing.T, s *Service) Template {
	t.Helper()
	ts := pricingOK(s.ListTemplates(context.Background()))(t)
	if len(ts) == 0 || !ts[0].IsDefault || ts[0].Name != DefaultTemplateName {
		t.Fatalf("templates %+v: Default is not first", ts)
	}
	return ts[0]
}

func pricingState(t *testing.T, s *Service, tpl string, number int) PriceListState {
	t.Helper()
	return pricingOK(s.GetPriceList(context.Background(), tpl, number))(t).State
}

func pricingPrices(t *testing.T, s *Service, tpl string, number int) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range pricingOK(s.GetPriceList(context.Background(), tpl, number))(t).Prices {
		out[p.Item] = p.UnitPrice
	}
	return out
}

func pricingSet(t *testing.T, s *Service, tpl string, number int, kv ...string) {
	t.Helper()
	for i := 0; i+1 < len(kv); i += 2 {
		pricingOK(s.SetPrice(context.Background(), tpl, number, kv[i], kv[i+1]))(t)
	}
}

func pricingEqual(t *testing.T, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("prices %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("prices %v, want %v", got, want)
		}
	}
}

func TestTemplatesCreateCopyEditDelete(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqlx.DB, d Dialect) {
		ctx := context.Background()
		clock := newTestClock()
		s := newTestService(t, db, d, clock)
		def := pricingDefault(t, s)
		if len(def.PriceLists) != 1 || def.PriceLists[0].Number != 1 || def.PriceLists[0].State != ListNotActivated {
			t.Fatalf("Default's lists at install: %+v", def.PriceLists)
		}
		pricingSet(t, s, def.ID, 1, ItemServerVCPU, "0.05", ItemPublicIP, "0.010")
		list1 := pricingOK(s.GetPriceList(ctx, def.ID, 1))(t)

		// A new template copies Default's newest list (none is in use), not activated.
		gold := pricingOK(s.CreateTemplate(ctx, TemplateCreate{Name: " Gold ", Description: "for gold"}))(t)
		if gold.Name != "Gold" || gold.IsDefault || len(gold.PriceLists) != 1 || gold.PriceLists[0].State != ListNotActivated {
			t.Fatalf("created %+v", gold)
		}
		g1 := pricingOK(s.GetPriceList(ctx, gold.ID, 1))(t)
		if g1.BaseListID != list1.ID {
			t.Fatalf("gold list 1 based on %q, want %q", g1.BaseListID, list1.ID)
		}
		pricingEqual(t, pricingPrices(t, s, gold.ID, 1), map[string]string{ItemServerVCPU: "0.05", ItemPublicIP: "0.010"})

		_, err := s.CreateTemplate(ctx, TemplateCreate{Name: "Gold"})
		pricingKind(t, err, core.Conflict, "name")
		_, err = s.CreateTemplate(ctx, TemplateCreate{Name: "  "})
		pricingKind(t, err, core.InvalidArgument, "name")
		_, err = s.CreateTemplate(ctx, TemplateCreate{Name: "X", BaseTemplateID: "nope"})
		pricingKind(t, err, core.NotFound, "base_template_id")
		_, err = s.CreateTemplate(ctx, TemplateCreate{Name: "X", BaseListNumber: 9})
		pricingKind(t, err, core.NotFound, "base_list_number")
		_, err = s.CreateTemplate(ctx, TemplateCreate{Name: "X", BaseListNumber: -1})
		pricingKind(t, err, core.InvalidArgument, "base_list_number")

		// Default: list 1 in use, list 2 newer but not activated. The
		// default base is the list in use; an explicit number wins.
		pricingOK(s.UseNow(ctx, def.ID, 1))(t)
		pricingOK(s.CreatePriceList(ctx, def.ID, PriceListCreate{BaseNumber: 1}))(t)
		pricingSet(t, s, def.ID, 2, ItemServerVCPU, "0.07")
		clock.Add(time.Minute)
		silver := pricingOK(s.CreateTemplate(ctx, TemplateCreate{Name: "Silver"}))(t)
		pricingEqual(t, pricingPrices(t, s, silver.ID, 1), map[string]string{ItemServerVCPU: "0.05", ItemPublicIP: "0.010"})
		bronze := pricingOK(s.CreateTemplate(ctx, TemplateCreate{Name: "Bronze", BaseListNumber: 2}))(t)
		pricingEqual(t, pricingPrices(t, s, bronze.ID, 1), map[string]string{ItemServerVCPU: "0.07", ItemPublicIP: "0.010"})
		// From another template: its newest list when none is in use.
		pricingOK(s.CreatePriceList(ctx, gold.ID, PriceListCreate{}))(t)
		pricingSet(t, s, gold.ID, 2, ItemRouter, "1")
		copper := pricingOK(s.CreateTemplate(ctx, TemplateCreate{Name: "Copper", BaseTemplateID: gold.ID}))(t)
		pricingEqual(t, pricingPrices(t, s, copper.ID, 1), map[string]string{ItemRouter: "1"})

		// Edit.
		name, desc := "Silver", "renamed"
		_, err = s.UpdateTemplate(ctx, gold.ID, &name, nil)
		pricingKind(t, err, core.Conflict, "name")
		name = "Platinum"
		gold = pricingOK(s.UpdateTemplate(ctx, gold.ID, &name, &desc))(t)
		if gold.Name != "Platinum" || gold.Description != "renamed" {
			t.Fatalf("updated %+v", gold)
		}
		empty := ""
		_, err = s.UpdateTemplate(ctx, gold.ID, &empty, nil)
		pricingKind(t, err, core.InvalidArgument, "name")
		_, err = s.UpdateTemplate(ctx, "nope", &name, nil)
		pricingKind(t, err, core.NotFound)

		all := pricingOK(s.ListTemplates(ctx))(t)
		if len(all) != 5 || all[0].ID != def.ID {
			t.Fatalf("templates %+v", all)
		}

		// Delete: never Default, never a template bound now or ever.
		pricingKind(t, s.DeleteTemplate(ctx, def.ID), core.Conflict, "default")
		if err := s.BindDepartment(ctx, "d1", gold.ID); err != nil {
			t.Fatal(err)
		}
		if g := pricingOK(s.GetTemplate(ctx, gold.ID))(t); g.Departments != 1 {
			t.Fatalf("gold bound to %d departments, want 1", g.Departments)
		}
		pricingKind(t, s.DeleteTemplate(ctx, gold.ID), core.Conflict, "bound to 1 department")
		clock.Add(time.Minute)
		if err := s.BindDepartment(ctx, "d1", def.ID); err != nil {
			t.Fatal(err)
		}
		pricingKind(t, s.DeleteTemplate(ctx, gold.ID), core.Conflict, "billing history")
		if err := s.DeleteTemplate(ctx, copper.ID); err != nil {
			t.Fatal(err)
		}
		_, err = s.GetTemplate(ctx, copper.ID)
		pricingKind(t, err, core.NotFound)
		var left int
		_ = db.Get(&left, db.Rebind(`SELECT COUNT(*) FROM billing_price_lists WHERE template_id = ?`), copper.ID)
		if left != 0 {
			t.Fatalf("%d price lists left of a deleted template", left)
		}
		pricingKind(t, s.DeleteTemplate(ctx, copper.ID), core.NotFound)
	})
}

func TestPriceListStatesOverTime(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqlx.DB, d Dialect) {
		ctx := context.Background()
		clock := newTestClock()
		s := newTestService(t, db, d, clock)
		def := pricingDefault(t, s).ID
		t0 := clock.Now()
		at := func(h time.Duration) *time.Time { x := t0.Add(h * time.Hour); return &x }
		want := func(states ...PriceListState) {
			t.Helper()
			lists := pricingOK(s.ListPriceLists(ctx, def))(t)
			inUse := 0
			for i, l := range lists {
				if i < len(states) && l.State != states[i] {
					t.Fatalf("at %s list %d is %s, want %s", clock.Now().Sub(t0), l.Number, l.State, states[i])
				}
				if l.State == ListInUse {
					inUse++
				}
			}
			if len(lists) != len(states) || inUse > 1 {
				t.Fatalf("%d lists (%d in use), want %d", len(lists), inUse, len(states))
			}
		}

		// Activate at a future time: waiting, then in use when the time comes.
		pricingSet(t, s, def, 1, ItemServerVCPU, "1")
		pricingOK(s.UpdatePriceList(ctx, def, 1, PriceListUpdate{EffectiveAt: at(1)}))(t)
		l := pricingOK(s.Activate(ctx, def, 1))(t)
		if l.State != ListWaiting || !l.EffectiveAt.Equal(*at(1)) {
			t.Fatalf("activated: %+v", l)
		}
		want(ListWaiting)
		clock.Set(*at(1))
		want(ListInUse)

		// A second list waits, then takes over; the first becomes used.
		pricingOK(s.CreatePriceList(ctx, def, PriceListCreate{Description: "two", BaseNumber: 1, EffectiveAt: at(2)}))(t)
		pricingSet(t, s, def, 2, ItemServerVCPU, "2")
		pricingOK(s.Activate(ctx, def, 2))(t)
		want(ListInUse, ListWaiting)
		clock.Set(at(2).Add(-time.Microsecond))
		want(ListInUse, ListWaiting)
		clock.Set(*at(2))
		want(ListUsed, ListInUse)

		// Use now: a not-activated list is in use from this instant.
		clock.Set(*at(3))
		pricingOK(s.CreatePriceList(ctx, def, PriceListCreate{BaseNumber: 2}))(t)
		l = pricingOK(s.UseNow(ctx, def, 3))(t)
		if l.State != ListInUse || !l.EffectiveAt.Equal(*at(3)) {
			t.Fatalf("used now: %+v", l)
		}
		want(ListUsed, ListUsed, ListInUse)

		// Use now on a waiting list brings it forward to now.
		pricingOK(s.CreatePriceList(ctx, def, PriceListCreate{EffectiveAt: at(10)}))(t)
		pricingOK(s.Activate(ctx, def, 4))(t)
		want(ListUsed, ListUsed, ListInUse, ListWaiting)
		clock.Set(*at(4))
		l = pricingOK(s.UseNow(ctx, def, 4))(t)
		if !l.EffectiveAt.Equal(*at(4)) {
			t.Fatalf("use-now of a waiting list: effective %v", l.EffectiveAt)
		}
		want(ListUsed, ListUsed, ListUsed, ListInUse)

		// Disable a not-activated list and a waiting one; a disabled list
		// never comes into use.
		pricingOK(s.CreatePriceList(ctx, def, PriceListCreate{}))(t)
		pricingOK(s.Disable(ctx, def, 5))(t)
		pricingOK(s.CreatePriceList(ctx, def, PriceListCreate{EffectiveAt: at(5)}))(t)
		pricingOK(s.Activate(ctx, def, 6))(t)
		pricingOK(s.Disable(ctx, def, 6))(t)
		clock.Set(*at(6))
		want(ListUsed, ListUsed, ListUsed, ListInUse, ListDisabled, ListDisabled)

		// Delete a disabled and a not-activated list.
		pricingOK(s.CreatePriceList(ctx, def, PriceListCreate{}))(t)
		if err := s.DeletePriceList(ctx, def, 5); err != nil {
			t.Fatal(err)
		}
		if err := s.DeletePriceList(ctx, def, 7); err != nil {
			t.Fatal(err)
		}
		_, err := s.GetPriceList(ctx, def, 5)
		pricingKind(t, err, core.NotFound)
		// Numbers are never reused while a higher one exists.
		l = pricingOK(s.CreatePriceList(ctx, def, PriceListCreate{}))(t)
		if l.Number != 7 {
			t.Fatalf("next number %d, want 7", l.Number)
		}

		sum := pricingDefault(t, s).PriceLists
		if len(sum) != 6 || sum[3].Number != 4 || sum[3].State != ListInUse {
			t.Fatalf("summary %+v", sum)
		}
	})
}

func TestPriceListRefusals(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqlx.DB, d Dialect) {
		ctx := context.Background()
		clock := newTestClock()
		s := newTestService(t, db, d, clock)
		def := pricingDefault(t, s).ID
		t0 := clock.Now()
		at := func(h time.Duration) *time.Time { x := t0.Add(h * time.Hour); return &x }

		// Bad prices name the field.
		_, err := s.SetPrice(ctx, def, 1, "server.gpu", "1")
		pricingKind(t, err, core.InvalidArgument, "item", "server.gpu")
		_, err = s.SetPrice(ctx, def, 1, "server.flavor.", "1")
		pricingKind(t, err, core.InvalidArgument, "item")
		for _, bad := range []string{"abc", "", "1e3", "NaN", "-0.01", "Infinity"} {
			_, err = s.SetPrice(ctx, def, 1, ItemRouter, bad)
			pricingKind(t, err, core.InvalidArgument, "unit_price")
		}
		p := pricingOK(s.SetPrice(ctx, def, 1, ItemRouter, " -0.00 "))(t)
		if p.UnitPrice != "0.00" {
			t.Fatalf("stored %q", p.UnitPrice)
		}
		pricingKind(t, s.DeletePrice(ctx, def, 1, ItemPublicIP), core.NotFound, "item")
		if err := s.DeletePrice(ctx, def, 1, ItemRouter); err != nil {
			t.Fatal(err)
		}
		_, err = s.SetPrice(ctx, def, 9, ItemRouter, "1")
		pricingKind(t, err, core.NotFound, "number")
		_, err = s.SetPrice(ctx, "nope", 1, ItemRouter, "1")
		pricingKind(t, err, core.NotFound, "template")
		_, err = s.GetPriceList(ctx, "nope", 1)
		pricingKind(t, err, core.NotFound, "template")
		_, err = s.ListPriceLists(ctx, "nope")
		pricingKind(t, err, core.NotFound, "template")
		_, err = s.CreatePriceList(ctx, def, PriceListCreate{BaseNumber: 9})
		pricingKind(t, err, core.NotFound, "base_number")
		_, err = s.CreatePriceList(ctx, def, PriceListCreate{BaseNumber: -1})
		pricingKind(t, err, core.InvalidArgument, "base_number")
		_, err = s.CreatePriceList(ctx, def, PriceListCreate{EffectiveAt: &time.Time{}})
		pricingKind(t, err, core.InvalidArgument, "effective_at")

		// The only list of a template cannot be deleted.
		pricingKind(t, s.DeletePriceList(ctx, def, 1), core.Conflict, "only list")

		// Activation needs an effective time, not in the past.
		_, err = s.Activate(ctx, def, 1)
		pricingKind(t, err, core.InvalidArgument, "effective_at")
		past := t0.Add(-2 * time.Second)
		pricingOK(s.UpdatePriceList(ctx, def, 1, PriceListUpdate{EffectiveAt: &past}))(t)
		_, err = s.Activate(ctx, def, 1)
		pricingKind(t, err, core.InvalidArgument, "effective_at: in the past; use use-now")
		// Within the tolerance it is taken as now — never earlier.
		almost := t0.Add(-500 * time.Millisecond)
		pricingOK(s.UpdatePriceList(ctx, def, 1, PriceListUpdate{EffectiveAt: &almost}))(t)
		l := pricingOK(s.Activate(ctx, def, 1))(t)
		if l.State != ListInUse || !l.EffectiveAt.Equal(t0) {
			t.Fatalf("activated within tolerance: %+v", l)
		}

		// In use: nothing changes, not even the description.
		in := "x"
		_, err = s.SetPrice(ctx, def, 1, ItemRouter, "1")
		pricingKind(t, err, core.Conflict, "in_use")
		pricingKind(t, s.DeletePrice(ctx, def, 1, ItemRouter), core.Conflict)
		_, err = s.UpdatePriceList(ctx, def, 1, PriceListUpdate{Description: &in})
		pricingKind(t, err, core.Conflict, "past cannot change")
		_, err = s.UpdatePriceList(ctx, def, 1, PriceListUpdate{EffectiveAt: at(1)})
		pricingKind(t, err, core.Conflict)
		_, err = s.Activate(ctx, def, 1)
		pricingKind(t, err, core.Conflict)
		_, err = s.UseNow(ctx, def, 1)
		pricingKind(t, err, core.Conflict)
		_, err = s.Disable(ctx, def, 1)
		pricingKind(t, err, core.Conflict, "past cannot change")
		pricingKind(t, s.DeletePriceList(ctx, def, 1), core.Conflict)

		// Waiting: the description may change; prices, time and deletion not.
		pricingOK(s.CreatePriceList(ctx, def, PriceListCreate{EffectiveAt: at(1)}))(t)
		pricingOK(s.Activate(ctx, def, 2))(t)
		if l := pricingOK(s.UpdatePriceList(ctx, def, 2, PriceListUpdate{Description: &in}))(t); l.Description != "x" {
			t.Fatalf("description %q", l.Description)
		}
		_, err = s.SetPrice(ctx, def, 2, ItemRouter, "1")
		pricingKind(t, err, core.Conflict, "waiting")
		_, err = s.UpdatePriceList(ctx, def, 2, PriceListUpdate{EffectiveAt: at(2)})
		pricingKind(t, err, core.Conflict)
		_, err = s.Activate(ctx, def, 2)
		pricingKind(t, err, core.Conflict)
		pricingKind(t, s.DeletePriceList(ctx, def, 2), core.Conflict)

		// Two activated lists never share an effective time.
		pricingOK(s.CreatePriceList(ctx, def, PriceListCreate{EffectiveAt: at(1)}))(t)
		_, err = s.Activate(ctx, def, 3)
		pricingKind(t, err, core.Conflict, "effective_at", "price list 2")

		// Used: as in use.
		clock.Set(*at(1))
		if st := pricingState(t, s, def, 1); st != ListUsed {
			t.Fatalf("list 1 is %s, want used", st)
		}
		_, err = s.SetPrice(ctx, def, 1, ItemRouter, "1")
		pricingKind(t, err, core.Conflict, "used")
		_, err = s.UseNow(ctx, def, 1)
		pricingKind(t, err, core.Conflict)
		_, err = s.Disable(ctx, def, 1)
		pricingKind(t, err, core.Conflict)
		pricingKind(t, s.DeletePriceList(ctx, def, 1), core.Conflict)

		// Disabled: the description may change; it cannot be activated,
		// used now or have its prices changed.
		pricingOK(s.Disable(ctx, def, 3))(t)
		pricingOK(s.UpdatePriceList(ctx, def, 3, PriceListUpdate{Description: &in}))(t)
		_, err = s.SetPrice(ctx, def, 3, ItemRouter, "1")
		pricingKind(t, err, core.Conflict, "disabled")
		_, err = s.Activate(ctx, def, 3)
		pricingKind(t, err, core.Conflict)
		_, err = s.UseNow(ctx, def, 3)
		pricingKind(t, err, core.Conflict)
		_, err = s.Disable(ctx, def, 3)
		pricingKind(t, err, core.Conflict)
		_, err = s.UpdatePriceList(ctx, def, 3, PriceListUpdate{EffectiveAt: at(3)})
		pricingKind(t, err, core.Conflict)

		// Use now at an instant another list took effect: ambiguous.
		pricingOK(s.CreatePriceList(ctx, def, PriceListCreate{}))(t)
		_, err = s.UseNow(ctx, def, 4)
		pricingKind(t, err, core.Conflict, "effective_at")

		// Long input is refused.
		long := strings.Repeat("x", plMaxDescriptionLen+1)
		_, err = s.UpdatePriceList(ctx, def, 4, PriceListUpdate{Description: &long})
		pricingKind(t, err, core.InvalidArgument, "description")
	})
}

func TestPriceHistoryFollowsListsAndBindings(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqlx.DB, d Dialect) {
		ctx := context.Background()
		clock := newTestClock()
		s := newTestService(t, db, d, clock)
		def := pricingDefault(t, s).ID
		t0 := clock.Now()

		// Gold's list is in use from t0 on, but d1 is on Default until T3.
		gold := pricingOK(s.CreateTemplate(ctx, TemplateCreate{Name: "Gold"}))(t).ID
		pricingSet(t, s, gold, 1, ItemServerVCPU, "5")
		pricingOK(s.UseNow(ctx, gold, 1))(t)

		h := pricingOK(s.priceHistory(ctx, s.db, "d1"))(t)
		if len(h) != 0 {
			t.Fatalf("history before any Default list is activated: %+v", h)
		}

		t1, t2, t3, t4 := t0.Add(time.Hour), t0.Add(2*time.Hour), t0.Add(3*time.Hour), t0.Add(4*time.Hour)
		pricingSet(t, s, def, 1, ItemServerVCPU, "1")
		pricingOK(s.UpdatePriceList(ctx, def, 1, PriceListUpdate{EffectiveAt: &t1}))(t)
		pricingOK(s.Activate(ctx, def, 1))(t)
		pricingOK(s.CreatePriceList(ctx, def, PriceListCreate{BaseNumber: 1, EffectiveAt: &t2}))(t)
		pricingSet(t, s, def, 2, ItemServerVCPU, "2")
		pricingOK(s.Activate(ctx, def, 2))(t)
		l1 := pricingOK(s.GetPriceList(ctx, def, 1))(t).ID
		l2 := pricingOK(s.GetPriceList(ctx, def, 2))(t).ID
		g1 := pricingOK(s.GetPriceList(ctx, gold, 1))(t).ID

		type period struct {
			from time.Time
			list string
			vcpu string
		}
		check := func(dept string, want ...period) {
			t.Helper()
			h := pricingOK(s.priceHistory(ctx, s.db, dept))(t)
			if len(h) != len(want) {
				t.Fatalf("%s: %d periods %+v, want %d", dept, len(h), h, len(want))
			}
			for i, w := range want {
				if !h[i].From.Equal(w.from) || h[i].ListID != w.list || h[i].Prices[ItemServerVCPU].Text('f') != w.vcpu {
					t.Fatalf("%s: period %d from %s list %s vcpu %s, want from %s list %s vcpu %s", dept, i,
						h[i].From, h[i].ListID, h[i].Prices[ItemServerVCPU].Text('f'), w.from, w.list, w.vcpu)
				}
			}
		}
		// [T1, T2) at list 1, [T2, …) at list 2.
		check("d1", period{t1, l1, "1"}, period{t2, l2, "2"})

		// d1 switches to Gold at T3, and back to Default at T4.
		clock.Set(t3)
		if err := s.BindDepartment(ctx, "d1", gold); err != nil {
			t.Fatal(err)
		}
		check("d1", period{t1, l1, "1"}, period{t2, l2, "2"}, period{t3, g1, "5"})
		clock.Set(t4)
		if err := s.BindDepartment(ctx, "d1", def); err != nil {
			t.Fatal(err)
		}
		check("d1", period{t1, l1, "1"}, period{t2, l2, "2"}, period{t3, g1, "5"}, period{t4, l2, "2"})
		check("d2", period{t1, l1, "1"}, period{t2, l2, "2"})

		// Disabling a waiting list removes it from the future, not the past.
		t5 := t0.Add(5 * time.Hour)
		pricingOK(s.CreatePriceList(ctx, def, PriceListCreate{BaseNumber: 2, EffectiveAt: &t5}))(t)
		pricingOK(s.Activate(ctx, def, 3))(t)
		if h := pricingOK(s.priceHistory(ctx, s.db, "d2"))(t); len(h) != 3 {
			t.Fatalf("with a waiting list: %+v", h)
		}
		pricingOK(s.Disable(ctx, def, 3))(t)
		check("d2", period{t1, l1, "1"}, period{t2, l2, "2"})
	})
}

func TestDepartmentBindings(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqlx.DB, d Dialect) {
		ctx := context.Background()
		clock := newTestClock()
		s := newTestService(t, db, d, clock)
		def := pricingDefault(t, s).ID
		gold := pricingOK(s.CreateTemplate(ctx, TemplateCreate{Name: "Gold"}))(t).ID

		pricingKind(t, s.BindDepartment(ctx, "d1", "nope"), core.NotFound, "template_id")
		pricingKind(t, s.BindDepartment(ctx, " ", gold), core.InvalidArgument, "department_id")
		if tp := pricingOK(s.DepartmentTemplate(ctx, "d1"))(t); tp.ID != def {
			t.Fatalf("a department never bound is on %q", tp.Name)
		}
		// A department with an account, never bound, counts on Default.
		if _, err := db.Exec(db.Rebind(`INSERT INTO billing_accounts (department_id, created_at) VALUES (?, ?)`), "acct", clock.Now()); err != nil {
			t.Fatal(err)
		}
		if ds := pricingOK(s.DepartmentsOfTemplate(ctx, def))(t); len(ds) != 1 || ds[0] != "acct" {
			t.Fatalf("departments of Default: %v", ds)
		}

		if err := s.BindDepartment(ctx, "d1", gold); err != nil {
			t.Fatal(err)
		}
		if err := s.BindDepartment(ctx, "acct", gold); err != nil {
			t.Fatal(err)
		}
		if tp := pricingOK(s.DepartmentTemplate(ctx, "d1"))(t); tp.ID != gold || tp.Departments != 2 {
			t.Fatalf("d1 on %+v", tp)
		}
		if ds := pricingOK(s.DepartmentsOfTemplate(ctx, gold))(t); len(ds) != 2 || ds[0] != "acct" || ds[1] != "d1" {
			t.Fatalf("departments of Gold: %v", ds)
		}
		if ds := pricingOK(s.DepartmentsOfTemplate(ctx, def))(t); len(ds) != 0 {
			t.Fatalf("departments of Default: %v", ds)
		}
		_, err := s.DepartmentsOfTemplate(ctx, "nope")
		pricingKind(t, err, core.NotFound)

		// Binding again to the same template adds no period; binding twice
		// in one instant takes effect a microsecond later: a binding never
		// lands on or before an earlier one.
		t1 := clock.Add(time.Second)
		if err := s.BindDepartment(ctx, "d1", gold); err != nil {
			t.Fatal(err)
		}
		if err := s.BindDepartment(ctx, "d1", def); err != nil {
			t.Fatal(err)
		}
		silver := pricingOK(s.CreateTemplate(ctx, TemplateCreate{Name: "Silver"}))(t).ID
		if err := s.BindDepartment(ctx, "d1", silver); err != nil {
			t.Fatal(err)
		}
		var times []time.Time
		_ = db.Select(&times, db.Rebind(`SELECT effective_at FROM billing_department_templates WHERE department_id = ? ORDER BY effective_at`), "d1")
		if len(times) != 3 || !times[1].Equal(t1) || !times[2].Equal(t1.Add(time.Microsecond)) {
			t.Fatalf("bindings of d1 at %v", times)
		}
		if tp := pricingOK(s.DepartmentTemplate(ctx, "d1"))(t); tp.ID != def {
			t.Fatalf("d1 on %q, want Default until the next microsecond", tp.Name)
		}
		clock.Add(time.Microsecond)
		if tp := pricingOK(s.DepartmentTemplate(ctx, "d1"))(t); tp.ID != silver {
			t.Fatalf("d1 on %q, want Silver", tp.Name)
		}
	})
}

// TestPriceListsConcurrent: concurrent creates draw distinct numbers, and
// of concurrent activations at one effective time exactly one wins.
func TestPriceListsConcurrent(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqlx.DB, d Dialect) {
		ctx := context.Background()
		clock := newTestClock()
		s := newTestService(t, db, d, clock)
		def := pricingDefault(t, s).ID
		when := clock.Now().Add(time.Hour)
		const n = 8
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Go(func() {
				_, err := s.CreatePriceList(ctx, def, PriceListCreate{EffectiveAt: &when})
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		lists := pricingOK(s.ListPriceLists(ctx, def))(t)
		if len(lists) != n+1 || lists[n].Number != n+1 {
			t.Fatalf("%d lists, last %d", len(lists), lists[len(lists)-1].Number)
		}
		var won, lost int
		var mu sync.Mutex
		for i := 2; i <= n+1; i++ {
			wg.Go(func() {
				_, err := s.Activate(ctx, def, i)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					won++
				case errors.Is(err, core.ErrConflict):
					lost++
				default:
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if won != 1 || lost != n-1 {
			t.Fatalf("%d activations won, %d lost", won, lost)
		}
	})
}

// TestPricingChangesMoveTheStamp: within one instant, each change of a
// price list still moves the latest updated_at forward, which is how the
// price-history cache (history.go) learns pricing changed.
func TestPricingChangesMoveTheStamp(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqlx.DB, d Dialect) {
		ctx := context.Background()
		clock := newTestClock()
		s := newTestService(t, db, d, clock)
		def := pricingDefault(t, s).ID
		var prev time.Time
		moved := func(what string) {
			t.Helper()
			var last []time.Time
			if err := db.Select(&last, `SELECT updated_at FROM billing_price_lists ORDER BY updated_at DESC LIMIT 1`); err != nil {
				t.Fatal(err)
			}
			if !last[0].After(prev) {
				t.Fatalf("%s: latest updated_at %v did not move past %v", what, last[0], prev)
			}
			prev = last[0]
		}
		moved("install")
		pricingSet(t, s, def, 1, ItemRouter, "1")
		moved("set price")
		when := clock.Now().Add(time.Hour)
		pricingOK(s.CreatePriceList(ctx, def, PriceListCreate{EffectiveAt: &when}))(t)
		moved("create")
		pricingOK(s.Activate(ctx, def, 2))(t)
		moved("activate")
		pricingOK(s.Disable(ctx, def, 2))(t)
		moved("disable")
		pricingOK(s.UseNow(ctx, def, 1))(t)
		moved("use now")
	})
}
