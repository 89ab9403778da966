package billing

import (
	"context"
	"sort"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/gisiaas/gisiaas/core"
)

// WhatIfResource is one resource's cost under the real prices and under
// the candidate list.
type WhatIfResource struct {
	ProjectID    string `json:"project_id"`
	ResourceType string `json:"resource_type"`
	ResourceID   string `json:"resource_id"`
	Actual       string `json:"actual"`
	WhatIf       string `json:"what_if"`
	Difference   string `json:"difference"`
}

// WhatIfDepartment is one department's totals and its resources.
type WhatIfDepartment struct {
	DepartmentID string           `json:"department_id"`
	Actual       string           `json:"actual"`
	WhatIf       string           `json:"what_if"`
	Difference   string           `json:"difference"`
	Resources    []WhatIfResource `json:"resources"`
}

// WhatIfReport says what a price list would have charged over the last days
// had it been in use the whole time, next to what was charged.
type WhatIfReport struct {
	TemplateID  string             `json:"template_id"`
	Number      int                `json:"number"`
	From        time.Time          `json:"from"`
	To          time.Time          `json:"to"`
	Currency    Currency           `json:"currency"`
	Departments []WhatIfDepartment `json:"departments"`
	Actual      string             `json:"actual"`
	WhatIf      string             `json:"what_if"`
	Difference  string             `json:"difference"`
}

// WhatIf rates price list number of template — typically not activated yet
// — over the last days of real events of every department bound to the
// template, as if it had been in use throughout, and compares with what
// the real price history charges over the same window (beyond the manual:
// an operator sees the effect of new prices before anyone pays them).
func (s *Service) WhatIf(ctx context.Context, templateID string, number, days int) (WhatIfReport, error) {
	if days < 1 || days > 366 {
		return WhatIfReport{}, core.Errorf(core.InvalidArgument, "days: must be from 1 to 366")
	}
	pl, err := s.GetPriceList(ctx, templateID, number)
	if err != nil {
		return WhatIfReport{}, err
	}
	prices, err := s.listPrices(ctx, s.db, pl.ID)
	if err != nil {
		return WhatIfReport{}, err
	}
	candidate := PriceHistory{{From: epoch, ListID: pl.ID, Prices: prices}}
	depts, err := s.DepartmentsOfTemplate(ctx, templateID)
	if err != nil {
		return WhatIfReport{}, err
	}
	st, err := s.billDisplay(ctx)
	if err != nil {
		return WhatIfReport{}, err
	}
	digits := st.currency.MinorDigits
	now := s.now()
	rep := WhatIfReport{TemplateID: templateID, Number: number, From: now.Add(-time.Duration(days) * 24 * time.Hour), To: now, Currency: st.currency}
	totalActual, totalWhatIf := apd.New(0, 0), apd.New(0, 0)
	sort.Strings(depts)
	for _, d := range depts {
		q := BillQuery{DepartmentID: d, From: rep.From, To: rep.To}
		real, err := s.cachedHistory(ctx, s.db, d)
		if err != nil {
			return WhatIfReport{}, err
		}
		actual, err := s.rateFromLog(ctx, q, real, now)
		if err != nil {
			return WhatIfReport{}, err
		}
		whatIf, err := s.rateFromLog(ctx, q, candidate, now)
		if err != nil {
			return WhatIfReport{}, err
		}
		type resKey struct{ project, typ, id string }
		perRes := map[resKey][2]*apd.Decimal{}
		for side, sums := range []map[lineKey]*lineSum{actual, whatIf} {
			for k, v := range sums {
				rk := resKey{k.project, k.typ, k.id}
				pair := perRes[rk]
				if pair[0] == nil {
					pair = [2]*apd.Decimal{apd.New(0, 0), apd.New(0, 0)}
				}
				pair[side] = add(pair[side], v.x3600)
				perRes[rk] = pair
			}
		}
		dep := WhatIfDepartment{DepartmentID: d}
		da, dw := apd.New(0, 0), apd.New(0, 0)
		keys := make([]resKey, 0, len(perRes))
		for k := range perRes {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			if keys[i].project != keys[j].project {
				return keys[i].project < keys[j].project
			}
			if keys[i].typ != keys[j].typ {
				return keys[i].typ < keys[j].typ
			}
			return keys[i].id < keys[j].id
		})
		for _, k := range keys {
			p := perRes[k]
			a, w := hourAmount(p[0], digits), hourAmount(p[1], digits)
			da, dw = add(da, p[0]), add(dw, p[1])
			dep.Resources = append(dep.Resources, WhatIfResource{ProjectID: k.project, ResourceType: k.typ, ResourceID: k.id,
				Actual: FormatMoney(a, digits), WhatIf: FormatMoney(w, digits), Difference: FormatMoney(sub(w, a), digits)})
		}
		a, w := hourAmount(da, digits), hourAmount(dw, digits)
		dep.Actual, dep.WhatIf, dep.Difference = FormatMoney(a, digits), FormatMoney(w, digits), FormatMoney(sub(w, a), digits)
		totalActual, totalWhatIf = add(totalActual, a), add(totalWhatIf, w)
		rep.Departments = append(rep.Departments, dep)
	}
	rep.Actual, rep.WhatIf, rep.Difference = FormatMoney(totalActual, digits), FormatMoney(totalWhatIf, digits), FormatMoney(sub(totalWhatIf, totalActual), digits)
	return rep, nil
}
