package adapter

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/xuri/excelize/v2"

	"github.com/gisiaas/gisiaas/adapter/identity"
	"github.com/gisiaas/gisiaas/billing"
	"github.com/gisiaas/gisiaas/core"
)

// The billing API (SPEC Part B), under /v1/billing. Who may do what
// (BL.14, billing manual §2.5):
//   - a cloud admin (role admin), everything;
//   - a department admin, the bill overview and details, the account and
//     estimate, the recharge history and the low-balance alert of their own
//     department;
//   - a project admin or member, the same reads for the projects they
//     belong to: their department's account and recharges, and bills
//     filtered to one of their projects (without project_id, the project
//     their token is scoped to);
//   - anyone, redeeming a recharge code into their own department, and
//     reading the settings (bills are shown in their currency and timezone).
//
// Pricing, settings changes, admin recharges, template binding and
// recharge codes (create, list, delete) are the cloud admin's. Another
// department's id is 403 on every route, whatever the caller's role there.

const xlsxContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

func (s *Server) billingRoutes() {
	g := s.echo.Group("/v1/billing", s.authenticated, s.doc.validate, s.billingEnabled)
	g.GET("/settings", s.getBillingSettings)
	g.PUT("/settings", s.putBillingSettings)

	g.POST("/templates", s.createTemplate)
	g.GET("/templates", s.listTemplates)
	g.GET("/templates/:id", s.getTemplate)
	g.PUT("/templates/:id", s.updateTemplate)
	g.DELETE("/templates/:id", s.deleteTemplate)
	g.POST("/templates/:id/price-lists", s.createPriceList)
	g.GET("/templates/:id/price-lists", s.listPriceLists)
	g.POST("/templates/:id/price-lists/import", s.importPriceList)
	g.GET("/templates/:id/price-lists/:number", s.getPriceList)
	g.PUT("/templates/:id/price-lists/:number", s.updatePriceList)
	g.DELETE("/templates/:id/price-lists/:number", s.deletePriceList)
	g.POST("/templates/:id/price-lists/:number/activate", s.priceListAction((*billing.Service).Activate))
	g.POST("/templates/:id/price-lists/:number/disable", s.priceListAction((*billing.Service).Disable))
	g.POST("/templates/:id/price-lists/:number/use-now", s.priceListAction((*billing.Service).UseNow))
	g.PUT("/templates/:id/price-lists/:number/prices/:item", s.setPrice)
	g.DELETE("/templates/:id/price-lists/:number/prices/:item", s.deletePrice)
	g.GET("/templates/:id/price-lists/:number/export", s.exportPriceList)
	g.POST("/templates/:id/price-lists/:number/what-if", s.whatIf)

	g.PUT("/departments/:id/template", s.bindDepartmentTemplate)
	g.GET("/departments/:id/account", s.getAccount)
	g.POST("/departments/:id/recharges", s.createRecharge)
	g.GET("/departments/:id/recharges", s.listRecharges)
	g.PUT("/departments/:id/alerts", s.putAlerts)

	g.POST("/recharge-codes", s.createRechargeCodes)
	g.GET("/recharge-codes", s.listRechargeCodes)
	g.DELETE("/recharge-codes/:id", s.deleteRechargeCode)
	g.POST("/recharge-codes/redeem", s.redeemRechargeCode)

	g.GET("/bills", s.getBill)
	g.GET("/bills/export", s.exportBill)
	s.billingOpsRoutes(g)
}

// billingEnabled answers 503 when the server runs without billing, so the
// routes exist (and are documented) either way.
func (s *Server) billingEnabled(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.billing == nil {
			return core.Errorf(core.Unavailable, "billing is not enabled on this server")
		}
		return next(c)
	}
}

// ---- permissions ----

// requireCloudAdmin refuses everyone but a cloud admin.
func requireCloudAdmin(c echo.Context, what string) error {
	if !isCloudAdmin(callerOf(c)) {
		return forbidden(what)
	}
	return nil
}

// billingAccess decides whether the caller may read departmentID's billing
// data, for projectID when it is not "" (BL.14). A cloud admin may read
// any; anyone else only their own department's: a department admin all of
// it, a project admin or member the account and recharges, and the bills of
// projects they hold a role in. A project given must be of departmentID,
// whoever asks.
func (s *Server) billingAccess(c echo.Context, departmentID, projectID string) error {
	ctx := c.Request().Context()
	who := callerOf(c)
	if !isCloudAdmin(who) && who.User.DepartmentID != departmentID {
		return forbidden("reading another department's billing data")
	}
	if projectID != "" {
		p, err := s.ids.GetProject(ctx, projectID)
		if err != nil {
			if core.KindOf(err) == core.NotFound && !isCloudAdmin(who) {
				// Not "not found": that would tell whether another
				// department's project exists.
				return forbidden("reading this project's billing data")
			}
			return err
		}
		if p.DepartmentID != departmentID {
			if isCloudAdmin(who) {
				return core.Errorf(core.InvalidArgument, "project_id: project %q is not in department %q", projectID, departmentID)
			}
			return forbidden("reading this project's billing data")
		}
	}
	if isCloudAdmin(who) || departmentAdminOf(who, departmentID) {
		return nil
	}
	// A project admin or member: their token is scoped to a project of
	// the department, and a project asked for is one they hold a role in.
	if who.Project == nil || who.Project.DepartmentID != departmentID || len(who.Roles) == 0 {
		return forbidden("reading billing data without a project scope in this department")
	}
	if projectID == "" || projectID == who.Project.ID {
		return nil
	}
	roles, err := s.ids.ListRoles(ctx, who.User.ID, projectID)
	if err != nil {
		return err
	}
	if len(roles) == 0 {
		return forbidden("reading the billing data of a project you do not belong to")
	}
	return nil
}

// seesWholeDepartment reports whether the caller may read departmentID's
// bills across all its projects, not only one of their own.
func seesWholeDepartment(who *identity.Token, departmentID string) bool {
	return isCloudAdmin(who) || departmentAdminOf(who, departmentID)
}

// withAccount runs fn, and when billing has no account for the department
// yet but identity has the department — one made before billing was
// enabled — makes it (BL.8: every department has one) and runs fn again.
func (s *Server) withAccount(ctx context.Context, departmentID string, fn func() error) error {
	err := fn()
	if core.KindOf(err) != core.NotFound || s.ids == nil {
		return err
	}
	if _, derr := s.ids.GetDepartment(ctx, departmentID); derr != nil {
		return derr
	}
	if cerr := s.billing.CreateAccount(ctx, departmentID); cerr != nil {
		return cerr
	}
	return fn()
}

// ---- views: money is decimal text, times A.0.4 ----

type currencyView struct {
	Code        string `json:"code"`
	Symbol      string `json:"symbol"`
	MinorDigits int32  `json:"minor_digits"`
}

func viewCurrency(c billing.Currency) currencyView {
	return currencyView{Code: c.Code, Symbol: c.Symbol, MinorDigits: c.MinorDigits}
}

type settingsView struct {
	Currency        string         `json:"currency"`
	CurrencySymbol  string         `json:"currency_symbol"`
	MinorDigits     int32          `json:"minor_digits"`
	Timezone        string         `json:"timezone"`
	TimezoneChanged bool           `json:"timezone_changed"`
	OnZeroBalance   string         `json:"on_zero_balance"`
	Currencies      []currencyView `json:"currencies"`
	Note            string         `json:"note,omitempty"`
}

func viewSettings(st billing.Settings) settingsView {
	v := settingsView{Currency: st.Currency.Code, CurrencySymbol: st.Currency.Symbol, MinorDigits: st.Currency.MinorDigits,
		Timezone: st.Timezone, TimezoneChanged: st.TimezoneChanged, OnZeroBalance: st.OnZeroBalance, Note: st.Note}
	for _, c := range billing.Currencies {
		v.Currencies = append(v.Currencies, viewCurrency(c))
	}
	return v
}

// apiTimePtr is a nullable time in A.0.4's format.
func apiTimePtr(t *time.Time) apiTime {
	if t == nil {
		return apiTime{}
	}
	return apiTime(*t)
}

type priceListSummaryView struct {
	Number      int     `json:"number"`
	Description string  `json:"description"`
	State       string  `json:"state"`
	EffectiveAt apiTime `json:"effective_at"`
}

type templateView struct {
	ID          string                 `json:"id"`
	Name        string                 `json:"name"`
	Description string                 `json:"description"`
	IsDefault   bool                   `json:"is_default"`
	Departments int                    `json:"departments"`
	PriceLists  []priceListSummaryView `json:"price_lists"`
	CreatedAt   apiTime                `json:"created_at"`
}

func viewTemplate(t billing.Template) templateView {
	v := templateView{ID: t.ID, Name: t.Name, Description: t.Description, IsDefault: t.IsDefault,
		Departments: t.Departments, PriceLists: []priceListSummaryView{}, CreatedAt: apiTime(t.CreatedAt)}
	for _, l := range t.PriceLists {
		v.PriceLists = append(v.PriceLists, priceListSummaryView{Number: l.Number, Description: l.Description,
			State: string(l.State), EffectiveAt: apiTimePtr(l.EffectiveAt)})
	}
	return v
}

type priceListView struct {
	ID          string           `json:"id"`
	TemplateID  string           `json:"template_id"`
	Number      int              `json:"number"`
	Description string           `json:"description"`
	State       string           `json:"state"`
	EffectiveAt apiTime          `json:"effective_at"`
	BaseListID  string           `json:"base_list_id"`
	CreatedAt   apiTime          `json:"created_at"`
	UpdatedAt   apiTime          `json:"updated_at"`
	Prices      *[]billing.Price `json:"prices,omitempty"` // shown one at a time, not in a list
}

func viewPriceList(l billing.PriceList, withPrices bool) priceListView {
	v := priceListView{ID: l.ID, TemplateID: l.TemplateID, Number: l.Number, Description: l.Description, State: string(l.State),
		EffectiveAt: apiTimePtr(l.EffectiveAt), BaseListID: l.BaseListID, CreatedAt: apiTime(l.CreatedAt), UpdatedAt: apiTime(l.UpdatedAt)}
	if withPrices {
		prices := l.Prices
		if prices == nil {
			prices = []billing.Price{}
		}
		v.Prices = &prices
	}
	return v
}

type accountView struct {
	DepartmentID        string  `json:"department_id"`
	Currency            string  `json:"currency"`
	Recharged           string  `json:"recharged"`
	Charged             string  `json:"charged"`
	Balance             string  `json:"balance"`
	CostPerHour         string  `json:"cost_per_hour"`
	CostPerDay          string  `json:"cost_per_day"`
	RunOutAt            apiTime `json:"run_out_at"`
	InArrears           bool    `json:"in_arrears"`
	LowBalanceThreshold *string `json:"low_balance_threshold"`
	AsOf                apiTime `json:"as_of"`
}

func viewAccount(a billing.Account) accountView {
	return accountView{DepartmentID: a.DepartmentID, Currency: a.Currency.Code, Recharged: a.Recharged, Charged: a.Charged,
		Balance: a.Balance, CostPerHour: a.CostPerHour, CostPerDay: a.CostPerDay, RunOutAt: apiTimePtr(a.RunOutAt),
		InArrears: a.InArrears, LowBalanceThreshold: a.LowBalanceThreshold, AsOf: apiTime(a.AsOf)}
}

type rechargeView struct {
	ID           string  `json:"id"`
	DepartmentID string  `json:"department_id"`
	Amount       string  `json:"amount"`
	Note         string  `json:"note"`
	Method       string  `json:"method"`
	CodeID       string  `json:"code_id"`
	By           string  `json:"by"`
	Time         apiTime `json:"time"`
}

func viewRecharge(r billing.Recharge) rechargeView {
	return rechargeView{ID: r.ID, DepartmentID: r.DepartmentID, Amount: r.Amount, Note: r.Note, Method: r.Method,
		CodeID: r.CodeID, By: r.By, Time: apiTime(r.Time)}
}

type issuedCodeView struct {
	ID        string  `json:"id"`
	Code      string  `json:"code"`
	Hint      string  `json:"hint"`
	Value     string  `json:"value"`
	ExpiresAt apiTime `json:"expires_at"`
}

type rechargeCodeView struct {
	ID                 string  `json:"id"`
	Hint               string  `json:"hint"`
	Value              string  `json:"value"`
	ExpiresAt          apiTime `json:"expires_at"`
	Status             string  `json:"status"`
	CreatedBy          string  `json:"created_by"`
	CreatedAt          apiTime `json:"created_at"`
	DeletedAt          apiTime `json:"deleted_at"`
	RedeemedAt         apiTime `json:"redeemed_at"`
	RedeemedBy         string  `json:"redeemed_by"`
	RedeemedDepartment string  `json:"redeemed_department"`
}

type billView struct {
	DepartmentID string              `json:"department_id"`
	ProjectID    string              `json:"project_id"`
	From         apiTime             `json:"from"`
	To           apiTime             `json:"to"`
	Timezone     string              `json:"timezone"`
	FromLocal    string              `json:"from_local"`
	ToLocal      string              `json:"to_local"`
	Currency     string              `json:"currency"`
	Total        string              `json:"total"`
	Open         bool                `json:"open"`
	ByProject    []billing.BillTotal `json:"by_project"`
	ByType       []billing.BillTotal `json:"by_resource_type"`
	Lines        []billing.BillLine  `json:"lines"`
}

// localTimeFormat shows a time in the billing timezone, with its offset.
const localTimeFormat = "2006-01-02T15:04:05-07:00"

func viewBill(b billing.Bill, loc *time.Location) billView {
	v := billView{DepartmentID: b.DepartmentID, ProjectID: b.ProjectID, From: apiTime(b.From), To: apiTime(b.To),
		Timezone: b.Timezone, FromLocal: b.From.In(loc).Format(localTimeFormat), ToLocal: b.To.In(loc).Format(localTimeFormat),
		Currency: b.Currency.Code, Total: b.Total, Open: b.Open, ByProject: b.ByProject, ByType: b.ByType, Lines: b.Lines}
	for _, p := range []*[]billing.BillTotal{&v.ByProject, &v.ByType} {
		if *p == nil {
			*p = []billing.BillTotal{}
		}
	}
	if v.Lines == nil {
		v.Lines = []billing.BillLine{}
	}
	return v
}

// ---- settings ----

func (s *Server) getBillingSettings(c echo.Context) error {
	st, err := s.billing.Settings(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"settings": viewSettings(st)})
}

func (s *Server) putBillingSettings(c echo.Context) error {
	if err := requireCloudAdmin(c, "changing the billing settings"); err != nil {
		return err
	}
	var req billing.SettingsUpdate
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	st, err := s.billing.UpdateSettings(c.Request().Context(), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"settings": viewSettings(st)})
}

// ---- templates and price lists (cloud admin) ----

func (s *Server) createTemplate(c echo.Context) error {
	if err := requireCloudAdmin(c, "managing pricing"); err != nil {
		return err
	}
	var req billing.TemplateCreate
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	t, err := s.billing.CreateTemplate(c.Request().Context(), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"template": viewTemplate(t)})
}

func (s *Server) listTemplates(c echo.Context) error {
	if err := requireCloudAdmin(c, "reading pricing"); err != nil {
		return err
	}
	ts, err := s.billing.ListTemplates(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]templateView, 0, len(ts))
	for _, t := range ts {
		out = append(out, viewTemplate(t))
	}
	return c.JSON(http.StatusOK, map[string]any{"templates": out})
}

func (s *Server) getTemplate(c echo.Context) error {
	if err := requireCloudAdmin(c, "reading pricing"); err != nil {
		return err
	}
	t, err := s.billing.GetTemplate(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"template": viewTemplate(t)})
}

func (s *Server) updateTemplate(c echo.Context) error {
	if err := requireCloudAdmin(c, "managing pricing"); err != nil {
		return err
	}
	var req struct {
		Name        *string `json:"name"`
		Description *string `json:"description"`
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	t, err := s.billing.UpdateTemplate(c.Request().Context(), c.Param("id"), req.Name, req.Description)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"template": viewTemplate(t)})
}

func (s *Server) deleteTemplate(c echo.Context) error {
	if err := requireCloudAdmin(c, "managing pricing"); err != nil {
		return err
	}
	if err := s.billing.DeleteTemplate(c.Request().Context(), c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// listNumber is the path's price-list number (the document bounds it).
func listNumber(c echo.Context) (int, error) {
	n, err := strconv.Atoi(c.Param("number"))
	if err != nil || n < 1 {
		return 0, core.Errorf(core.InvalidArgument, "number: %q is not a price-list number", c.Param("number"))
	}
	return n, nil
}

func (s *Server) createPriceList(c echo.Context) error {
	if err := requireCloudAdmin(c, "managing pricing"); err != nil {
		return err
	}
	var req billing.PriceListCreate
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	l, err := s.billing.CreatePriceList(c.Request().Context(), c.Param("id"), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"price_list": viewPriceList(l, true)})
}

func (s *Server) listPriceLists(c echo.Context) error {
	if err := requireCloudAdmin(c, "reading pricing"); err != nil {
		return err
	}
	ls, err := s.billing.ListPriceLists(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	out := make([]priceListView, 0, len(ls))
	for _, l := range ls {
		out = append(out, viewPriceList(l, false))
	}
	return c.JSON(http.StatusOK, map[string]any{"price_lists": out})
}

func (s *Server) getPriceList(c echo.Context) error {
	if err := requireCloudAdmin(c, "reading pricing"); err != nil {
		return err
	}
	n, err := listNumber(c)
	if err != nil {
		return err
	}
	l, err := s.billing.GetPriceList(c.Request().Context(), c.Param("id"), n)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"price_list": viewPriceList(l, true)})
}

func (s *Server) updatePriceList(c echo.Context) error {
	if err := requireCloudAdmin(c, "managing pricing"); err != nil {
		return err
	}
	n, err := listNumber(c)
	if err != nil {
		return err
	}
	var req billing.PriceListUpdate
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	l, err := s.billing.UpdatePriceList(c.Request().Context(), c.Param("id"), n, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"price_list": viewPriceList(l, true)})
}

func (s *Server) deletePriceList(c echo.Context) error {
	if err := requireCloudAdmin(c, "managing pricing"); err != nil {
		return err
	}
	n, err := listNumber(c)
	if err != nil {
		return err
	}
	if err := s.billing.DeletePriceList(c.Request().Context(), c.Param("id"), n); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// priceListAction serves activate, disable and use-now: a state change
// answered with the list after it.
func (s *Server) priceListAction(fn func(*billing.Service, context.Context, string, int) (billing.PriceList, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := requireCloudAdmin(c, "managing pricing"); err != nil {
			return err
		}
		n, err := listNumber(c)
		if err != nil {
			return err
		}
		l, err := fn(s.billing, c.Request().Context(), c.Param("id"), n)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]any{"price_list": viewPriceList(l, true)})
	}
}

func (s *Server) setPrice(c echo.Context) error {
	if err := requireCloudAdmin(c, "managing pricing"); err != nil {
		return err
	}
	n, err := listNumber(c)
	if err != nil {
		return err
	}
	var req struct {
		UnitPrice string `json:"unit_price"`
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	p, err := s.billing.SetPrice(c.Request().Context(), c.Param("id"), n, c.Param("item"), req.UnitPrice)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"price": p})
}

func (s *Server) deletePrice(c echo.Context) error {
	if err := requireCloudAdmin(c, "managing pricing"); err != nil {
		return err
	}
	n, err := listNumber(c)
	if err != nil {
		return err
	}
	if err := s.billing.DeletePrice(c.Request().Context(), c.Param("id"), n, c.Param("item")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// attachment sends data as a download named name.
func attachment(c echo.Context, contentType, name string, data []byte) error {
	h := c.Response().Header()
	h.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	h.Set("X-Content-Type-Options", "nosniff")
	return c.Blob(http.StatusOK, contentType, data)
}

func (s *Server) exportPriceList(c echo.Context) error {
	if err := requireCloudAdmin(c, "reading pricing"); err != nil {
		return err
	}
	n, err := listNumber(c)
	if err != nil {
		return err
	}
	// Buffered: an error must still be able to answer with its status.
	var buf bytes.Buffer
	if err := s.billing.ExportPriceList(c.Request().Context(), c.Param("id"), n, &buf); err != nil {
		return err
	}
	return attachment(c, xlsxContentType, fmt.Sprintf("price-list-%d.xlsx", n), buf.Bytes())
}

// importPriceList reads the .xlsx as the raw request body
// (application/octet-stream), which the document's validation leaves
// unread; billing bounds what it reads.
func (s *Server) importPriceList(c echo.Context) error {
	if err := requireCloudAdmin(c, "managing pricing"); err != nil {
		return err
	}
	l, err := s.billing.ImportPriceList(c.Request().Context(), c.Param("id"), c.Request().Body, c.QueryParam("description"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"price_list": viewPriceList(l, true)})
}

type whatIfView struct {
	TemplateID  string                     `json:"template_id"`
	Number      int                        `json:"number"`
	From        apiTime                    `json:"from"`
	To          apiTime                    `json:"to"`
	Currency    string                     `json:"currency"`
	Actual      string                     `json:"actual"`
	WhatIf      string                     `json:"what_if"`
	Difference  string                     `json:"difference"`
	Departments []billing.WhatIfDepartment `json:"departments"`
}

// defaultWhatIfDays is the window of a what-if without days.
const defaultWhatIfDays = 30

// whatIf rates a price list over the last days of real events, as if it
// had been in use, next to what was charged (beyond the manual).
func (s *Server) whatIf(c echo.Context) error {
	if err := requireCloudAdmin(c, "reading pricing"); err != nil {
		return err
	}
	n, err := listNumber(c)
	if err != nil {
		return err
	}
	req := struct {
		Days int `json:"days"`
	}{Days: defaultWhatIfDays}
	// The body is optional: without one, the last 30 days.
	if c.Request().ContentLength != 0 {
		if err := decodeJSON(c, &req); err != nil {
			return err
		}
	}
	r, err := s.billing.WhatIf(c.Request().Context(), c.Param("id"), n, req.Days)
	if err != nil {
		return err
	}
	v := whatIfView{TemplateID: r.TemplateID, Number: r.Number, From: apiTime(r.From), To: apiTime(r.To), Currency: r.Currency.Code,
		Actual: r.Actual, WhatIf: r.WhatIf, Difference: r.Difference, Departments: r.Departments}
	if v.Departments == nil {
		v.Departments = []billing.WhatIfDepartment{}
	}
	return c.JSON(http.StatusOK, map[string]any{"what_if": v})
}

// ---- departments: template, account, recharges, alerts ----

func (s *Server) bindDepartmentTemplate(c echo.Context) error {
	if err := requireCloudAdmin(c, "binding a department to a pricing template"); err != nil {
		return err
	}
	var req struct {
		TemplateID string `json:"template_id"`
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	dept := c.Param("id")
	// Billing knows departments only by id: identity says which exist.
	if _, err := s.ids.GetDepartment(ctx, dept); err != nil {
		return err
	}
	if err := s.billing.BindDepartment(ctx, dept, req.TemplateID); err != nil {
		return err
	}
	t, err := s.billing.DepartmentTemplate(ctx, dept)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"department_id": dept, "template": viewTemplate(t)})
}

func (s *Server) getAccount(c echo.Context) error {
	dept := c.Param("id")
	if err := s.billingAccess(c, dept, ""); err != nil {
		return err
	}
	ctx := c.Request().Context()
	var a billing.Account
	err := s.withAccount(ctx, dept, func() (err error) {
		a, err = s.billing.Account(ctx, dept)
		return err
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"account": viewAccount(a)})
}

func (s *Server) createRecharge(c echo.Context) error {
	if err := requireCloudAdmin(c, "recharging an account"); err != nil {
		return err
	}
	var req struct {
		Amount string `json:"amount"`
		Note   string `json:"note"`
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	dept, who := c.Param("id"), callerOf(c)
	var r billing.Recharge
	err := s.withAccount(ctx, dept, func() (err error) {
		r, err = s.billing.Recharge(ctx, dept, req.Amount, req.Note, who.User.ID)
		return err
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"recharge": viewRecharge(r)})
}

// parseBillingTime reads a time of a query: RFC 3339 with an offset is that
// instant; a date ("2025-03-01") or a local time ("2025-03-01T08:00:00") is
// read in the billing timezone, as bills are shown.
func parseBillingTime(field, v string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC(), nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, core.Errorf(core.InvalidArgument, "%s: %q is not a time: give RFC 3339 (2025-03-01T00:00:00Z) or a date in the billing timezone (2025-03-01)", field, v)
}

// window reads the from and to query parameters; missing ones are zero
// unless required.
func (s *Server) window(c echo.Context, required bool) (from, to time.Time, loc *time.Location, err error) {
	loc, err = s.billing.Location(c.Request().Context())
	if err != nil {
		return
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &from}, {"to", &to}} {
		v := c.QueryParam(p.name)
		if v == "" {
			if required {
				err = core.Errorf(core.InvalidArgument, "%s: required", p.name)
				return
			}
			continue
		}
		if *p.dst, err = parseBillingTime(p.name, v, loc); err != nil {
			return
		}
	}
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		err = core.Errorf(core.InvalidArgument, "from, to: from must be before to")
	}
	return
}

func (s *Server) listRecharges(c echo.Context) error {
	dept := c.Param("id")
	if err := s.billingAccess(c, dept, ""); err != nil {
		return err
	}
	from, to, _, err := s.window(c, false)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	var rs []billing.Recharge
	err = s.withAccount(ctx, dept, func() (err error) {
		rs, err = s.billing.ListRecharges(ctx, dept, from, to)
		return err
	})
	if err != nil {
		return err
	}
	out := make([]rechargeView, 0, len(rs))
	for _, r := range rs {
		out = append(out, viewRecharge(r))
	}
	return c.JSON(http.StatusOK, map[string]any{"recharges": out})
}

// putAlerts sets a department's low-balance threshold and webhook: a cloud
// admin, or the department's own admin (the alerts go to them).
func (s *Server) putAlerts(c echo.Context) error {
	dept, who := c.Param("id"), callerOf(c)
	if !isCloudAdmin(who) && !departmentAdminOf(who, dept) {
		return forbidden("setting this department's billing alerts")
	}
	var req struct {
		LowBalanceThreshold *string `json:"low_balance_threshold"`
		WebhookURL          *string `json:"webhook_url"` // absent: kept
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.WebhookURL != nil && strings.TrimSpace(*req.WebhookURL) != "" && !isCloudAdmin(who) {
		// The server itself calls a webhook: pointing it at an address of
		// the operator's network is the operator's decision.
		return forbidden("setting a webhook (a cloud admin's)")
	}
	ctx := c.Request().Context()
	var a billing.Account
	webhook := ""
	err := s.withAccount(ctx, dept, func() error {
		if req.WebhookURL != nil {
			webhook = *req.WebhookURL
		} else {
			var err error
			if webhook, err = s.billing.WebhookURL(ctx, dept); err != nil {
				return err
			}
		}
		if err := s.billing.SetLowBalance(ctx, dept, req.LowBalanceThreshold, webhook); err != nil {
			return err
		}
		var err error
		a, err = s.billing.Account(ctx, dept)
		return err
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"account": viewAccount(a), "webhook_url": strings.TrimSpace(webhook)})
}

// ---- recharge codes ----

func (s *Server) createRechargeCodes(c echo.Context) error {
	if err := requireCloudAdmin(c, "creating recharge codes"); err != nil {
		return err
	}
	var req billing.CodeCreate
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	codes, err := s.billing.CreateCodes(c.Request().Context(), req, callerOf(c).User.ID)
	if err != nil {
		return err
	}
	out := make([]issuedCodeView, 0, len(codes))
	for _, ic := range codes {
		out = append(out, issuedCodeView{ID: ic.ID, Code: ic.Code, Hint: ic.Hint, Value: ic.Value, ExpiresAt: apiTime(ic.ExpiresAt)})
	}
	// The codes are in clear here only: never stored, never cached.
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusCreated, map[string]any{"recharge_codes": out})
}

func (s *Server) listRechargeCodes(c echo.Context) error {
	if err := requireCloudAdmin(c, "listing recharge codes"); err != nil {
		return err
	}
	all := c.QueryParam("all") == "true"
	codes, err := s.billing.ListCodes(c.Request().Context(), all)
	if err != nil {
		return err
	}
	out := make([]rechargeCodeView, 0, len(codes))
	for _, rc := range codes {
		out = append(out, rechargeCodeView{ID: rc.ID, Hint: rc.Hint, Value: rc.Value, ExpiresAt: apiTime(rc.ExpiresAt),
			Status: rc.Status, CreatedBy: rc.CreatedBy, CreatedAt: apiTime(rc.CreatedAt), DeletedAt: apiTimePtr(rc.DeletedAt),
			RedeemedAt: apiTimePtr(rc.RedeemedAt), RedeemedBy: rc.RedeemedBy, RedeemedDepartment: rc.RedeemedDepartment})
	}
	return c.JSON(http.StatusOK, map[string]any{"recharge_codes": out})
}

func (s *Server) deleteRechargeCode(c echo.Context) error {
	if err := requireCloudAdmin(c, "deleting recharge codes"); err != nil {
		return err
	}
	if err := s.billing.DeleteCode(c.Request().Context(), c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// redeemRechargeCode credits a code into the caller's own department:
// never another's, whatever the caller's roles (BL.10).
func (s *Server) redeemRechargeCode(c echo.Context) error {
	var req struct {
		Code string `json:"code"`
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	who := callerOf(c)
	dept := who.User.DepartmentID
	// Made first, not on failure: a redemption's NotFound means the code.
	if _, err := s.ids.GetDepartment(ctx, dept); err != nil {
		return err
	}
	if err := s.billing.CreateAccount(ctx, dept); err != nil {
		return err
	}
	r, err := s.billing.RedeemCode(ctx, req.Code, who.User.ID, dept)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"recharge": viewRecharge(r)})
}

// ---- bills ----

// billQuery reads and authorizes a bill's query: the department (the
// caller's own by default), the project (for a project admin or member,
// theirs: the token's project by default), and the window.
func (s *Server) billQuery(c echo.Context) (billing.BillQuery, *time.Location, error) {
	who := callerOf(c)
	q := billing.BillQuery{DepartmentID: c.QueryParam("department_id"), ProjectID: c.QueryParam("project_id")}
	if q.DepartmentID == "" {
		q.DepartmentID = who.User.DepartmentID
	}
	if q.ProjectID == "" && !seesWholeDepartment(who, q.DepartmentID) && who.Project != nil {
		q.ProjectID = who.Project.ID
	}
	if err := s.billingAccess(c, q.DepartmentID, q.ProjectID); err != nil {
		return q, nil, err
	}
	from, to, loc, err := s.window(c, true)
	q.From, q.To = from, to
	return q, loc, err
}

func (s *Server) getBill(c echo.Context) error {
	q, loc, err := s.billQuery(c)
	if err != nil {
		return err
	}
	b, err := s.billing.Bill(c.Request().Context(), q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"bill": viewBill(b, loc)})
}

// billColumns are the columns of an exported bill's lines.
var billColumns = []string{"department_id", "project_id", "resource_type", "resource_id", "item", "from", "to", "seconds", "amount", "currency"}

func (s *Server) exportBill(c echo.Context) error {
	q, loc, err := s.billQuery(c)
	if err != nil {
		return err
	}
	format := c.QueryParam("format")
	if format == "" {
		format = "xlsx"
	}
	b, err := s.billing.Bill(c.Request().Context(), q)
	if err != nil {
		return err
	}
	from, to := b.From.In(loc).Format(localTimeFormat), b.To.In(loc).Format(localTimeFormat)
	name := fmt.Sprintf("bill-%s-%s-%s.%s", b.DepartmentID, b.From.In(loc).Format("20060102T150405"), b.To.In(loc).Format("20060102T150405"), format)
	rows := make([][]string, 0, len(b.Lines))
	for _, l := range b.Lines {
		rows = append(rows, []string{b.DepartmentID, l.ProjectID, l.ResourceType, l.ResourceID, l.Item, from, to, l.Seconds, l.Amount, b.Currency.Code})
	}
	switch format {
	case "csv":
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		_ = w.Write(billColumns)
		for _, r := range rows {
			for i := 1; i <= 4; i++ {
				r[i] = csvSafe(r[i])
			}
			_ = w.Write(r)
		}
		w.Flush()
		if err := w.Error(); err != nil {
			return core.Wrap(core.Internal, "exportBill", err)
		}
		return attachment(c, "text/csv; charset=utf-8", name, buf.Bytes())
	case "xlsx":
		data, err := billXLSX(b, from, to, rows)
		if err != nil {
			return core.Wrap(core.Internal, "exportBill", err)
		}
		return attachment(c, xlsxContentType, name, data)
	}
	return core.Errorf(core.InvalidArgument, "format: %q is not xlsx or csv", format)
}

// csvSafe keeps a spreadsheet opening the CSV from reading a text cell as
// a formula: ids and item keys come from clouds and users.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// billXLSX writes a bill as a workbook: sheet "summary" (the window in the
// billing timezone, the currency, the total and the subtotals) and sheet
// "lines" (billColumns). Seconds and amounts are numeric cells holding
// exactly the decimal text: no float is involved.
func billXLSX(b billing.Bill, from, to string, rows [][]string) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName(f.GetSheetName(0), "summary"); err != nil {
		return nil, err
	}
	if _, err := f.NewSheet("lines"); err != nil {
		return nil, err
	}
	set := func(sheet string, col, row int, v string, numeric bool) error {
		cell, err := excelize.CoordinatesToCellName(col, row)
		if err != nil {
			return err
		}
		if numeric {
			return f.SetCellDefault(sheet, cell, v)
		}
		return f.SetCellStr(sheet, cell, v)
	}
	summary := [][2]string{{"department_id", b.DepartmentID}, {"project_id", b.ProjectID}, {"from", from}, {"to", to},
		{"timezone", b.Timezone}, {"currency", b.Currency.Code}, {"total", b.Total}, {"open", strconv.FormatBool(b.Open)}}
	r := 1
	for _, kv := range summary {
		if err := set("summary", 1, r, kv[0], false); err != nil {
			return nil, err
		}
		if err := set("summary", 2, r, kv[1], kv[0] == "total"); err != nil {
			return nil, err
		}
		r++
	}
	for _, group := range []struct {
		title  string
		totals []billing.BillTotal
	}{{"by project", b.ByProject}, {"by resource type", b.ByType}} {
		r++
		if err := set("summary", 1, r, group.title, false); err != nil {
			return nil, err
		}
		r++
		for _, t := range group.totals {
			if err := set("summary", 1, r, t.Key, false); err != nil {
				return nil, err
			}
			if err := set("summary", 2, r, t.Amount, true); err != nil {
				return nil, err
			}
			r++
		}
	}
	for i, h := range billColumns {
		if err := set("lines", i+1, 1, h, false); err != nil {
			return nil, err
		}
	}
	for i, row := range rows {
		for j, v := range row {
			numeric := billColumns[j] == "seconds" || billColumns[j] == "amount"
			if err := set("lines", j+1, i+2, v, numeric); err != nil {
				return nil, err
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
