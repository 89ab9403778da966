package billing

import (
	"context"
	"database/sql"
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/gisiaas/gisiaas/core"
)

// Pricing (BL.5–BL.7): templates, their numbered price lists, and which
// template each department is bound to. The rules below keep the past
// immutable, because bills are re-derived from the activated lists and their
// effective times (history.go): once a list has been in use, nothing about
// it changes, and no change takes effect before now.

// PriceListState is a price list's state (BL.6). Only not_activated,
// activated and disabled are stored; waiting, in_use and used follow from the
// effective time, the clock and the template's other activated lists.
type PriceListState string

// The states of a price list.
const (
	ListNotActivated PriceListState = "not_activated"
	ListWaiting      PriceListState = "waiting" // activated, effective time ahead
	ListInUse        PriceListState = "in_use"  // activated, the latest effective one
	ListUsed         PriceListState = "used"    // activated, superseded by a later one
	ListDisabled     PriceListState = "disabled"
)

// Stored statuses (billing_price_lists.status).
const (
	plStatusNotActivated = "not_activated"
	plStatusActivated    = "activated"
	plStatusDisabled     = "disabled"
)

// plActivateTolerance absorbs the delay between an operator choosing "now"
// and the request arriving; such a time is taken as now, never earlier.
const plActivateTolerance = time.Second

// Input limits, so a request cannot grow a row without bound.
const (
	plMaxNameLen        = 255
	plMaxDescriptionLen = 4096
	plMaxPriceLen       = 64
)

// Template is a pricing template (BL.5) as shown: with how many departments
// are bound to it now and a summary of its price lists.
type Template struct {
	ID          string             `json:"id"`
	Name        string             `json:"name"`
	Description string             `json:"description"`
	IsDefault   bool               `json:"is_default"`
	CreatedAt   time.Time          `json:"created_at"`
	Departments int                `json:"departments"`
	PriceLists  []PriceListSummary `json:"price_lists"`
}

// PriceListSummary is one price list in a template's view.
type PriceListSummary struct {
	Number      int            `json:"number"`
	Description string         `json:"description"`
	State       PriceListState `json:"state"`
	EffectiveAt *time.Time     `json:"effective_at,omitempty"`
}

// TemplateCreate creates a template from a base template's price list.
type TemplateCreate struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// BaseTemplateID is the template whose list is copied; "" is Default.
	BaseTemplateID string `json:"base_template_id,omitempty"`
	// BaseListNumber is the list copied; 0 is the base template's list in
	// use now, else its newest.
	BaseListNumber int `json:"base_list_number,omitempty"`
}

// Price is a unit price per hour of one billable item, as decimal text.
type Price struct {
	Item      string `json:"item" db:"item"`
	UnitPrice string `json:"unit_price" db:"unit_price"`
}

// PriceList is a numbered price list of a template (BL.6).
type PriceList struct {
	ID          string         `json:"id"`
	TemplateID  string         `json:"template_id"`
	Number      int            `json:"number"`
	Description string         `json:"description"`
	State       PriceListState `json:"state"`
	EffectiveAt *time.Time     `json:"effective_at,omitempty"`
	BaseListID  string         `json:"base_list_id,omitempty"`
	CreatedAt   time.Time      `json:"created_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
	// Prices, by item; ListPriceLists leaves them out.
	Prices []Price `json:"prices,omitempty"`
}

// PriceListCreate creates a price list.
type PriceListCreate struct {
	Description string `json:"description"`
	// BaseNumber is a list of the same template whose prices are copied; 0
	// starts empty.
	BaseNumber  int        `json:"base_number,omitempty"`
	EffectiveAt *time.Time `json:"effective_at,omitempty"`
}

// PriceListUpdate edits a price list; nil fields are left as they are.
type PriceListUpdate struct {
	Description *string    `json:"description,omitempty"`
	EffectiveAt *time.Time `json:"effective_at,omitempty"`
}

type tplRow struct {
	ID          string    `db:"id"`
	Name        string    `db:"name"`
	Description string    `db:"description"`
	IsDefault   bool      `db:"is_default"`
	CreatedAt   time.Time `db:"created_at"`
}

type plRow struct {
	ID          string     `db:"id"`
	TemplateID  string     `db:"template_id"`
	Number      int        `db:"number"`
	Description string     `db:"description"`
	EffectiveAt *time.Time `db:"effective_at"`
	Status      string     `db:"status"`
	BaseListID  *string    `db:"base_list_id"`
	CreatedAt   time.Time  `db:"created_at"`
	UpdatedAt   time.Time  `db:"updated_at"`
}

type tplBindingRow struct {
	DepartmentID string    `db:"department_id"`
	TemplateID   string    `db:"template_id"`
	EffectiveAt  time.Time `db:"effective_at"`
}

// plTime is t as both databases keep it: UTC, microseconds (PostgreSQL's
// precision), so a time read back compares equal to the one written.
func plTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// plStates derives each list's state at now: among the activated lists whose
// effective time has come, the latest is in use and the others used; so at
// most one list of a template is in use.
func plStates(lists []plRow, now time.Time) map[string]PriceListState {
	out := make(map[string]PriceListState, len(lists))
	var current *plRow
	for i := range lists {
		l := &lists[i]
		switch l.Status {
		case plStatusNotActivated:
			out[l.ID] = ListNotActivated
		case plStatusDisabled:
			out[l.ID] = ListDisabled
		default:
			if l.EffectiveAt == nil || l.EffectiveAt.After(now) {
				out[l.ID] = ListWaiting
				continue
			}
			out[l.ID] = ListUsed
			if current == nil || l.EffectiveAt.After(*current.EffectiveAt) ||
				(l.EffectiveAt.Equal(*current.EffectiveAt) && l.Number > current.Number) {
				current = l
			}
		}
	}
	if current != nil {
		out[current.ID] = ListInUse
	}
	return out
}

func (r plRow) view(state PriceListState) PriceList {
	out := PriceList{ID: r.ID, TemplateID: r.TemplateID, Number: r.Number, Description: r.Description, State: state,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if r.EffectiveAt != nil {
		t := r.EffectiveAt.UTC()
		out.EffectiveAt = &t
	}
	if r.BaseListID != nil {
		out.BaseListID = *r.BaseListID
	}
	return out
}

// ---- templates (BL.5) ----

func tplCheckName(field, v string) (string, error) {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		return "", core.Errorf(core.InvalidArgument, "%s: required", field)
	case len(v) > plMaxNameLen:
		return "", core.Errorf(core.InvalidArgument, "%s: longer than %d bytes", field, plMaxNameLen)
	}
	return v, nil
}

func plCheckDescription(v string) (string, error) {
	if len(v) > plMaxDescriptionLen {
		return "", core.Errorf(core.InvalidArgument, "description: longer than %d bytes", plMaxDescriptionLen)
	}
	return v, nil
}

// CreateTemplate creates a template whose price list 1 copies the prices of
// the base template's list; the new list is not activated.
func (s *Service) CreateTemplate(ctx context.Context, in TemplateCreate) (Template, error) {
	name, err := tplCheckName("name", in.Name)
	if err != nil {
		return Template{}, err
	}
	desc, err := plCheckDescription(in.Description)
	if err != nil {
		return Template{}, err
	}
	if in.BaseListNumber < 0 {
		return Template{}, core.Errorf(core.InvalidArgument, "base_list_number: must not be negative")
	}
	var out Template
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		now := s.now()
		var base tplRow
		var err error
		if in.BaseTemplateID == "" {
			base, err = s.tplDefault(ctx, tx)
		} else {
			base, err = s.tplGet(ctx, tx, in.BaseTemplateID, "base_template_id")
		}
		if err != nil {
			return err
		}
		lists, err := s.plRows(ctx, tx, base.ID)
		if err != nil {
			return err
		}
		var baseList *plRow
		if in.BaseListNumber > 0 {
			for i := range lists {
				if lists[i].Number == in.BaseListNumber {
					baseList = &lists[i]
				}
			}
			if baseList == nil {
				return core.Errorf(core.NotFound, "base_list_number: template %q has no price list %d", base.Name, in.BaseListNumber)
			}
		} else {
			states := plStates(lists, now)
			for i := range lists {
				if states[lists[i].ID] == ListInUse {
					baseList = &lists[i]
				}
			}
			if baseList == nil && len(lists) > 0 {
				baseList = &lists[len(lists)-1] // ordered by number: the newest
			}
		}
		id := newID()
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO billing_templates (id, name, description, is_default, created_at) VALUES (?, ?, ?, FALSE, ?)`),
			id, name, desc, plTime(now)); err != nil {
			if isUniqueViolation(err) {
				return core.Errorf(core.Conflict, "name: a template named %q exists", name)
			}
			return dbErr("CreateTemplate", err)
		}
		baseID := ""
		if baseList != nil {
			baseID = baseList.ID
		}
		if _, err := s.plInsert(ctx, tx, id, 1, "price list 1", nil, baseID, now); err != nil {
			return err
		}
		t, err := s.tplGet(ctx, tx, id, "id")
		if err != nil {
			return err
		}
		out, err = s.tplView(ctx, tx, t, now, nil)
		return err
	})
	return out, err
}

// ListTemplates returns every template, Default first, then by name.
func (s *Service) ListTemplates(ctx context.Context) ([]Template, error) {
	var rows []tplRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT id, name, description, is_default, created_at FROM billing_templates ORDER BY is_default DESC, name`); err != nil {
		return nil, dbErr("ListTemplates", err)
	}
	now := s.now()
	bound, err := s.tplBoundCounts(ctx, s.db, now)
	if err != nil {
		return nil, err
	}
	out := make([]Template, 0, len(rows))
	for _, r := range rows {
		t, err := s.tplView(ctx, s.db, r, now, bound)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// GetTemplate returns template id.
func (s *Service) GetTemplate(ctx context.Context, id string) (Template, error) {
	r, err := s.tplGet(ctx, s.db, id, "template")
	if err != nil {
		return Template{}, err
	}
	return s.tplView(ctx, s.db, r, s.now(), nil)
}

// UpdateTemplate renames a template or changes its description.
func (s *Service) UpdateTemplate(ctx context.Context, id string, name, description *string) (Template, error) {
	var n, d string
	var err error
	if name != nil {
		if n, err = tplCheckName("name", *name); err != nil {
			return Template{}, err
		}
	}
	if description != nil {
		if d, err = plCheckDescription(*description); err != nil {
			return Template{}, err
		}
	}
	var out Template
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := s.tplLock(ctx, tx, id, "template"); err != nil {
			return err
		}
		if name != nil {
			if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE billing_templates SET name = ? WHERE id = ?`), n, id); err != nil {
				if isUniqueViolation(err) {
					return core.Errorf(core.Conflict, "name: a template named %q exists", n)
				}
				return dbErr("UpdateTemplate", err)
			}
		}
		if description != nil {
			if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE billing_templates SET description = ? WHERE id = ?`), d, id); err != nil {
				return dbErr("UpdateTemplate", err)
			}
		}
		r, err := s.tplGet(ctx, tx, id, "template")
		if err != nil {
			return err
		}
		out, err = s.tplView(ctx, tx, r, s.now(), nil)
		return err
	})
	return out, err
}

// DeleteTemplate deletes a template and its price lists. Default cannot be
// deleted, nor a template a department is bound to — nor one a department
// was ever bound to: its price lists are part of that department's billing
// history, which bills are re-derived from.
func (s *Service) DeleteTemplate(ctx context.Context, id string) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := s.tplLock(ctx, tx, id, "template"); err != nil {
			return err
		}
		r, err := s.tplGet(ctx, tx, id, "template")
		if err != nil {
			return err
		}
		if r.IsDefault {
			return core.Errorf(core.Conflict, "template %q is the default template and cannot be deleted", r.Name)
		}
		depts, err := s.tplDepartmentsOf(ctx, tx, r, s.now())
		if err != nil {
			return err
		}
		if len(depts) > 0 {
			return core.Errorf(core.Conflict, "template %q is bound to %d department(s); bind them to another template first", r.Name, len(depts))
		}
		var past int
		if err := tx.GetContext(ctx, &past, tx.Rebind(`SELECT COUNT(*) FROM billing_department_templates WHERE template_id = ?`), id); err != nil {
			return dbErr("DeleteTemplate", err)
		}
		if past > 0 {
			return core.Errorf(core.Conflict, "template %q was bound to departments: its price lists are billing history and are kept", r.Name)
		}
		// Explicit deletes rather than ON DELETE CASCADE: SQLite enforces
		// foreign keys only when the connection asks for it.
		for _, q := range []string{
			`DELETE FROM billing_prices WHERE price_list_id IN (SELECT id FROM billing_price_lists WHERE template_id = ?)`,
			`DELETE FROM billing_price_lists WHERE template_id = ?`,
			`DELETE FROM billing_templates WHERE id = ?`,
		} {
			if _, err := tx.ExecContext(ctx, tx.Rebind(q), id); err != nil {
				return dbErr("DeleteTemplate", err)
			}
		}
		return nil
	})
}

// tplGet reads template id; field names the input in a NotFound.
func (s *Service) tplGet(ctx context.Context, q queryer, id, field string) (tplRow, error) {
	var r tplRow
	err := sqlx.GetContext(ctx, q, &r, q.Rebind(`SELECT id, name, description, is_default, created_at FROM billing_templates WHERE id = ?`), id)
	if errors.Is(err, sql.ErrNoRows) {
		return r, core.Errorf(core.NotFound, "%s: template %q not found", field, id)
	}
	if err != nil {
		return r, dbErr("template", err)
	}
	r.CreatedAt = r.CreatedAt.UTC()
	return r, nil
}

func (s *Service) tplDefault(ctx context.Context, q queryer) (tplRow, error) {
	var r tplRow
	if err := sqlx.GetContext(ctx, q, &r, `SELECT id, name, description, is_default, created_at FROM billing_templates WHERE is_default`); err != nil {
		return r, dbErr("defaultTemplate", err)
	}
	r.CreatedAt = r.CreatedAt.UTC()
	return r, nil
}

// tplLock takes template id's row lock for the transaction (a no-op
// write: portable, and SQLite's transactions are already exclusive), so
// that checks over its lists and bindings hold until commit.
func (s *Service) tplLock(ctx context.Context, tx *sqlx.Tx, id, field string) error {
	res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE billing_templates SET name = name WHERE id = ?`), id)
	if err != nil {
		return dbErr("lockTemplate", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return core.Errorf(core.NotFound, "%s: template %q not found", field, id)
	}
	return nil
}

// tplView builds the shown template; bound is the per-template count
// of departments bound now (nil: counted here).
func (s *Service) tplView(ctx context.Context, q queryer, r tplRow, now time.Time, bound map[string]int) (Template, error) {
	if bound == nil {
		var err error
		if bound, err = s.tplBoundCounts(ctx, q, now); err != nil {
			return Template{}, err
		}
	}
	lists, err := s.plRows(ctx, q, r.ID)
	if err != nil {
		return Template{}, err
	}
	states := plStates(lists, now)
	out := Template{ID: r.ID, Name: r.Name, Description: r.Description, IsDefault: r.IsDefault, CreatedAt: r.CreatedAt,
		Departments: bound[r.ID], PriceLists: make([]PriceListSummary, 0, len(lists))}
	if r.IsDefault {
		out.Departments += bound[""]
	}
	for _, l := range lists {
		v := l.view(states[l.ID])
		out.PriceLists = append(out.PriceLists, PriceListSummary{Number: v.Number, Description: v.Description, State: v.State, EffectiveAt: v.EffectiveAt})
	}
	return out, nil
}

// ---- departments (BL.7) ----

// tplCurrentBindings returns each department's template at now, for the
// departments ever bound explicitly.
func (s *Service) tplCurrentBindings(ctx context.Context, q queryer, now time.Time) (map[string]string, error) {
	var rows []tplBindingRow
	if err := sqlx.SelectContext(ctx, q, &rows, `SELECT department_id, template_id, effective_at FROM billing_department_templates ORDER BY department_id, effective_at`); err != nil {
		return nil, dbErr("bindings", err)
	}
	out := make(map[string]string)
	for _, b := range rows {
		if !b.EffectiveAt.After(now) {
			out[b.DepartmentID] = b.TemplateID
		}
	}
	return out, nil
}

// tplUnboundAccounts returns the departments with an account that were never
// bound explicitly: they are on Default.
func (s *Service) tplUnboundAccounts(ctx context.Context, q queryer, bound map[string]string) ([]string, error) {
	var ids []string
	if err := sqlx.SelectContext(ctx, q, &ids, `SELECT department_id FROM billing_accounts ORDER BY department_id`); err != nil {
		return nil, dbErr("accounts", err)
	}
	out := ids[:0]
	for _, id := range ids {
		if _, ok := bound[id]; !ok {
			out = append(out, id)
		}
	}
	return out, nil
}

// tplBoundCounts counts the departments bound now per template id; key ""
// counts the departments with an account never bound (on Default).
func (s *Service) tplBoundCounts(ctx context.Context, q queryer, now time.Time) (map[string]int, error) {
	cur, err := s.tplCurrentBindings(ctx, q, now)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int)
	for _, t := range cur {
		out[t]++
	}
	unbound, err := s.tplUnboundAccounts(ctx, q, cur)
	if err != nil {
		return nil, err
	}
	out[""] = len(unbound)
	return out, nil
}

func (s *Service) tplDepartmentsOf(ctx context.Context, q queryer, t tplRow, now time.Time) ([]string, error) {
	cur, err := s.tplCurrentBindings(ctx, q, now)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for d, tid := range cur {
		if tid == t.ID {
			out = append(out, d)
		}
	}
	if t.IsDefault {
		unbound, err := s.tplUnboundAccounts(ctx, q, cur)
		if err != nil {
			return nil, err
		}
		out = append(out, unbound...)
	}
	sort.Strings(out)
	return out, nil
}

// BindDepartment binds department to template from now on (BL.7): its
// resources bill at that template's prices from this instant; the time
// before stays as it was billed.
func (s *Service) BindDepartment(ctx context.Context, departmentID, templateID string) error {
	if strings.TrimSpace(departmentID) == "" {
		return core.Errorf(core.InvalidArgument, "department_id: required")
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := s.tplLock(ctx, tx, templateID, "template_id"); err != nil {
			return err
		}
		now := plTime(s.now())
		cur, last, err := s.tplBinding(ctx, tx, departmentID, now)
		if err != nil {
			return err
		}
		if cur == templateID {
			return nil // already bound: no new period
		}
		// Never at or before the latest binding (the same microsecond, or a
		// replica whose clock is behind): that would rewrite a period
		// already billed, and the price-history cache sees a change only
		// when the latest binding time moves.
		if !now.After(last) {
			now = last.Add(time.Microsecond)
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO billing_department_templates (department_id, template_id, effective_at) VALUES (?, ?, ?)`),
			departmentID, templateID, now); err != nil {
			if isUniqueViolation(err) {
				return core.Errorf(core.Conflict, "department_id: %q is being bound concurrently; retry", departmentID)
			}
			return dbErr("BindDepartment", err)
		}
		return nil
	})
}

// tplBinding returns the id of the template department is bound to at
// now, and the time of its latest binding (zero if never bound).
func (s *Service) tplBinding(ctx context.Context, q queryer, department string, now time.Time) (string, time.Time, error) {
	var rows []tplBindingRow
	if err := sqlx.SelectContext(ctx, q, &rows, q.Rebind(`SELECT department_id, template_id, effective_at FROM billing_department_templates WHERE department_id = ? ORDER BY effective_at`), department); err != nil {
		return "", time.Time{}, dbErr("DepartmentTemplate", err)
	}
	id, last := "", time.Time{}
	for _, b := range rows {
		if !b.EffectiveAt.After(now) {
			id = b.TemplateID
		}
		last = plTime(b.EffectiveAt)
	}
	if id == "" {
		def, err := s.tplDefault(ctx, q)
		if err != nil {
			return "", time.Time{}, err
		}
		id = def.ID
	}
	return id, last, nil
}

// DepartmentTemplate returns the template department is bound to now:
// Default for a department never bound.
func (s *Service) DepartmentTemplate(ctx context.Context, departmentID string) (Template, error) {
	now := s.now()
	id, _, err := s.tplBinding(ctx, s.db, departmentID, now)
	if err != nil {
		return Template{}, err
	}
	r, err := s.tplGet(ctx, s.db, id, "template")
	if err != nil {
		return Template{}, err
	}
	return s.tplView(ctx, s.db, r, now, nil)
}

// DepartmentsOfTemplate returns the departments bound to template now. For
// Default it includes the departments with an account never bound.
func (s *Service) DepartmentsOfTemplate(ctx context.Context, templateID string) ([]string, error) {
	r, err := s.tplGet(ctx, s.db, templateID, "template")
	if err != nil {
		return nil, err
	}
	return s.tplDepartmentsOf(ctx, s.db, r, s.now())
}

// ---- price lists (BL.6) ----

// plRows returns template's price lists by number.
func (s *Service) plRows(ctx context.Context, q queryer, templateID string) ([]plRow, error) {
	var rows []plRow
	if err := sqlx.SelectContext(ctx, q, &rows, q.Rebind(`SELECT id, template_id, number, description, effective_at, status, base_list_id, created_at, updated_at
		FROM billing_price_lists WHERE template_id = ? ORDER BY number`), templateID); err != nil {
		return nil, dbErr("priceLists", err)
	}
	return rows, nil
}

// plInsert adds price list number to template, copying baseID's prices
// when baseID is not "".
func (s *Service) plInsert(ctx context.Context, tx *sqlx.Tx, templateID string, number int, description string, effectiveAt *time.Time, baseID string, now time.Time) (string, error) {
	id := newID()
	var base *string
	if baseID != "" {
		base = &baseID
	}
	var eff *time.Time
	if effectiveAt != nil {
		t := plTime(*effectiveAt)
		eff = &t
	}
	stamp, err := s.plStamp(ctx, tx, now)
	if err != nil {
		return "", err
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO billing_price_lists (id, template_id, number, description, effective_at, status, base_list_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, 'not_activated', ?, ?, ?)`), id, templateID, number, description, eff, base, plTime(now), stamp); err != nil {
		if isUniqueViolation(err) {
			return "", core.Errorf(core.Conflict, "number: price list %d exists", number)
		}
		return "", dbErr("CreatePriceList", err)
	}
	if baseID != "" {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO billing_prices (price_list_id, item, unit_price) SELECT ?, item, unit_price FROM billing_prices WHERE price_list_id = ?`), id, baseID); err != nil {
			return "", dbErr("CreatePriceList", err)
		}
	}
	return id, nil
}

// plStamp is the updated_at of a price-list change: now, or just after the
// latest updated_at of any list when that is not earlier (a change in the
// same microsecond, or a replica whose clock is behind). Strictly
// increasing, it tells the price-history cache (history.go) that pricing
// changed.
func (s *Service) plStamp(ctx context.Context, tx *sqlx.Tx, now time.Time) (time.Time, error) {
	var last []time.Time
	// ORDER BY rather than MAX: SQLite returns an aggregate as text, not a time.
	if err := tx.SelectContext(ctx, &last, `SELECT updated_at FROM billing_price_lists ORDER BY updated_at DESC LIMIT 1`); err != nil {
		return time.Time{}, dbErr("priceList", err)
	}
	now = plTime(now)
	if len(last) > 0 && !now.After(plTime(last[0])) {
		now = plTime(last[0]).Add(time.Microsecond)
	}
	return now, nil
}

// plNextNumber is one more than template's highest list number; the
// template is locked, so two creates do not draw the same one.
func (s *Service) plNextNumber(ctx context.Context, tx *sqlx.Tx, templateID string) (int, error) {
	var n sql.NullInt64
	if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT MAX(number) FROM billing_price_lists WHERE template_id = ?`), templateID); err != nil {
		return 0, dbErr("CreatePriceList", err)
	}
	return int(n.Int64) + 1, nil
}

// CreatePriceList adds a not-activated price list to template with the
// next number, copying the prices of its list BaseNumber (0: empty).
func (s *Service) CreatePriceList(ctx context.Context, templateID string, in PriceListCreate) (PriceList, error) {
	desc, err := plCheckDescription(in.Description)
	if err != nil {
		return PriceList{}, err
	}
	if in.BaseNumber < 0 {
		return PriceList{}, core.Errorf(core.InvalidArgument, "base_number: must not be negative")
	}
	if in.EffectiveAt != nil && in.EffectiveAt.IsZero() {
		return PriceList{}, core.Errorf(core.InvalidArgument, "effective_at: not a time")
	}
	var out PriceList
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := s.tplLock(ctx, tx, templateID, "template"); err != nil {
			return err
		}
		now := s.now()
		baseID := ""
		if in.BaseNumber > 0 {
			var err error
			if baseID, err = s.plID(ctx, tx, templateID, in.BaseNumber, "base_number"); err != nil {
				return err
			}
		}
		n, err := s.plNextNumber(ctx, tx, templateID)
		if err != nil {
			return err
		}
		if desc == "" {
			desc = "price list " + strconv.Itoa(n)
		}
		if _, err := s.plInsert(ctx, tx, templateID, n, desc, in.EffectiveAt, baseID, now); err != nil {
			return err
		}
		out, err = s.plGet(ctx, tx, templateID, n, now, true)
		return err
	})
	return out, err
}

// plID returns the id of template's list number.
func (s *Service) plID(ctx context.Context, q queryer, templateID string, number int, field string) (string, error) {
	var id string
	err := sqlx.GetContext(ctx, q, &id, q.Rebind(`SELECT id FROM billing_price_lists WHERE template_id = ? AND number = ?`), templateID, number)
	if errors.Is(err, sql.ErrNoRows) {
		return "", core.Errorf(core.NotFound, "%s: price list %d not found", field, number)
	}
	if err != nil {
		return "", dbErr("priceList", err)
	}
	return id, nil
}

// plGet returns template's list number, with its state at now.
func (s *Service) plGet(ctx context.Context, q queryer, templateID string, number int, now time.Time, withPrices bool) (PriceList, error) {
	if _, err := s.tplGet(ctx, q, templateID, "template"); err != nil {
		return PriceList{}, err
	}
	lists, err := s.plRows(ctx, q, templateID)
	if err != nil {
		return PriceList{}, err
	}
	states := plStates(lists, now)
	for _, l := range lists {
		if l.Number != number {
			continue
		}
		out := l.view(states[l.ID])
		if withPrices {
			if out.Prices, err = s.plPrices(ctx, q, l.ID); err != nil {
				return PriceList{}, err
			}
		}
		return out, nil
	}
	return PriceList{}, core.Errorf(core.NotFound, "number: price list %d not found", number)
}

// plPrices returns a list's prices by item.
func (s *Service) plPrices(ctx context.Context, q queryer, listID string) ([]Price, error) {
	out := []Price{}
	if err := sqlx.SelectContext(ctx, q, &out, q.Rebind(`SELECT item, unit_price FROM billing_prices WHERE price_list_id = ? ORDER BY item`), listID); err != nil {
		return nil, dbErr("prices", err)
	}
	return out, nil
}

// ListPriceLists returns template's price lists by number, without prices.
func (s *Service) ListPriceLists(ctx context.Context, templateID string) ([]PriceList, error) {
	if _, err := s.tplGet(ctx, s.db, templateID, "template"); err != nil {
		return nil, err
	}
	lists, err := s.plRows(ctx, s.db, templateID)
	if err != nil {
		return nil, err
	}
	states := plStates(lists, s.now())
	out := make([]PriceList, 0, len(lists))
	for _, l := range lists {
		out = append(out, l.view(states[l.ID]))
	}
	return out, nil
}

// GetPriceList returns template's price list number with its prices.
func (s *Service) GetPriceList(ctx context.Context, templateID string, number int) (PriceList, error) {
	return s.plGet(ctx, s.db, templateID, number, s.now(), true)
}

// plChange is what a price-list action sees: the list, its template's
// lists, their states, and the transaction's instant.
type plChange struct {
	tx     *sqlx.Tx
	now    time.Time
	stamp  time.Time // updated_at for this change, see plStamp
	list   plRow
	lists  []plRow
	states map[string]PriceListState
}

func (c plChange) state() PriceListState { return c.states[c.list.ID] }

// plChangeList runs fn on template's list number with the template locked,
// so the states fn checks hold until commit, and returns the list after.
func (s *Service) plChangeList(ctx context.Context, templateID string, number int, fn func(c plChange) error) (PriceList, error) {
	var out PriceList
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		c, err := s.plOpen(ctx, tx, templateID, number)
		if err != nil {
			return err
		}
		if err := fn(c); err != nil {
			return err
		}
		out, err = s.plGet(ctx, tx, templateID, number, c.now, true)
		return err
	})
	return out, err
}

// plOpen locks template and reads its list number and the states.
func (s *Service) plOpen(ctx context.Context, tx *sqlx.Tx, templateID string, number int) (plChange, error) {
	if err := s.tplLock(ctx, tx, templateID, "template"); err != nil {
		return plChange{}, err
	}
	now := plTime(s.now())
	lists, err := s.plRows(ctx, tx, templateID)
	if err != nil {
		return plChange{}, err
	}
	stamp, err := s.plStamp(ctx, tx, now)
	if err != nil {
		return plChange{}, err
	}
	c := plChange{tx: tx, now: now, stamp: stamp, lists: lists, states: plStates(lists, now)}
	for _, l := range lists {
		if l.Number == number {
			c.list = l
			return c, nil
		}
	}
	return plChange{}, core.Errorf(core.NotFound, "number: price list %d not found", number)
}

// exec runs an update of the list being changed, stamping updated_at.
func (c plChange) exec(ctx context.Context, set string, args ...any) error {
	args = append(args, c.stamp, c.list.ID)
	if _, err := c.tx.ExecContext(ctx, c.tx.Rebind(`UPDATE billing_price_lists SET `+set+`, updated_at = ? WHERE id = ?`), args...); err != nil {
		return dbErr("priceList", err)
	}
	return nil
}

// refuse is the Conflict for an action the list's state forbids.
func (c plChange) refuse(action string) error {
	why := ""
	switch c.state() {
	case ListInUse, ListUsed:
		why = ": it has been in use, and the past cannot change"
	case ListWaiting:
		why = ": it is activated; disable it or create a new list"
	}
	return core.Errorf(core.Conflict, "price list %d is %s; cannot %s%s", c.list.Number, c.state(), action, why)
}

// sameTimeConflict refuses a second activated list at effective time t:
// which of the two would be in use would be ambiguous.
func (c plChange) sameTimeConflict(t time.Time) error {
	for _, l := range c.lists {
		if l.ID != c.list.ID && l.Status == plStatusActivated && l.EffectiveAt != nil && l.EffectiveAt.Equal(t) {
			return core.Errorf(core.Conflict, "effective_at: price list %d is already activated at %s", l.Number, t.Format(time.RFC3339Nano))
		}
	}
	return nil
}

// UpdatePriceList edits a list's description (while not activated, waiting
// or disabled) and effective time (while not activated).
func (s *Service) UpdatePriceList(ctx context.Context, templateID string, number int, u PriceListUpdate) (PriceList, error) {
	var desc string
	if u.Description != nil {
		var err error
		if desc, err = plCheckDescription(*u.Description); err != nil {
			return PriceList{}, err
		}
	}
	if u.EffectiveAt != nil && u.EffectiveAt.IsZero() {
		return PriceList{}, core.Errorf(core.InvalidArgument, "effective_at: not a time")
	}
	return s.plChangeList(ctx, templateID, number, func(c plChange) error {
		if u.Description != nil {
			switch c.state() {
			case ListNotActivated, ListWaiting, ListDisabled:
			default:
				return c.refuse("edit its description")
			}
			if err := c.exec(ctx, `description = ?`, desc); err != nil {
				return err
			}
		}
		if u.EffectiveAt != nil {
			if c.state() != ListNotActivated {
				return c.refuse("change its effective time")
			}
			if err := c.exec(ctx, `effective_at = ?`, plTime(*u.EffectiveAt)); err != nil {
				return err
			}
		}
		return nil
	})
}

// SetPrice sets item's unit price per hour in a not-activated list.
func (s *Service) SetPrice(ctx context.Context, templateID string, number int, item, unitPrice string) (Price, error) {
	canon, err := plCheckPrice(item, unitPrice)
	if err != nil {
		return Price{}, err
	}
	_, err = s.plChangeList(ctx, templateID, number, func(c plChange) error {
		if c.state() != ListNotActivated {
			return c.refuse("change its prices")
		}
		if _, err := c.tx.ExecContext(ctx, c.tx.Rebind(`INSERT INTO billing_prices (price_list_id, item, unit_price) VALUES (?, ?, ?)
			ON CONFLICT (price_list_id, item) DO UPDATE SET unit_price = excluded.unit_price`), c.list.ID, item, canon); err != nil {
			return dbErr("SetPrice", err)
		}
		return c.exec(ctx, `status = status`)
	})
	if err != nil {
		return Price{}, err
	}
	return Price{Item: item, UnitPrice: canon}, nil
}

// plCheckPrice validates item and a unit price, returning the price as it
// is stored: exactly the decimal typed, without sign for zero.
func plCheckPrice(item, unitPrice string) (string, error) {
	if !ValidItem(item) {
		return "", core.Errorf(core.InvalidArgument, "item: %q is not a billable item", item)
	}
	if len(unitPrice) > plMaxPriceLen {
		return "", core.Errorf(core.InvalidArgument, "unit_price: longer than %d characters", plMaxPriceLen)
	}
	d, err := ParseDecimal(unitPrice)
	if err != nil {
		return "", core.Errorf(core.InvalidArgument, "unit_price: %v", err)
	}
	if d.IsZero() {
		d.Negative = false
	}
	if d.Negative {
		return "", core.Errorf(core.InvalidArgument, "unit_price: %s is negative", d.Text('f'))
	}
	return d.Text('f'), nil
}

// DeletePrice removes item's price from a not-activated list.
func (s *Service) DeletePrice(ctx context.Context, templateID string, number int, item string) error {
	_, err := s.plChangeList(ctx, templateID, number, func(c plChange) error {
		if c.state() != ListNotActivated {
			return c.refuse("change its prices")
		}
		res, err := c.tx.ExecContext(ctx, c.tx.Rebind(`DELETE FROM billing_prices WHERE price_list_id = ? AND item = ?`), c.list.ID, item)
		if err != nil {
			return dbErr("DeletePrice", err)
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return core.Errorf(core.NotFound, "item: price list %d has no price for %q", c.list.Number, item)
		}
		return c.exec(ctx, `status = status`)
	})
	return err
}

// Activate activates a not-activated list at its effective time, which
// must not be in the past: it waits until then, then is in use. A time
// within a second before now is taken as now.
func (s *Service) Activate(ctx context.Context, templateID string, number int) (PriceList, error) {
	return s.plChangeList(ctx, templateID, number, func(c plChange) error {
		if c.state() != ListNotActivated {
			return c.refuse("activate it")
		}
		if c.list.EffectiveAt == nil {
			return core.Errorf(core.InvalidArgument, "effective_at: required to activate; set it, or use use-now")
		}
		eff := plTime(*c.list.EffectiveAt)
		if eff.Before(c.now.Add(-plActivateTolerance)) {
			return core.Errorf(core.InvalidArgument, "effective_at: in the past; use use-now")
		}
		if eff.Before(c.now) {
			eff = c.now // never take effect before this instant: that time may be billed already
		}
		if err := c.sameTimeConflict(eff); err != nil {
			return err
		}
		return c.exec(ctx, `status = 'activated', effective_at = ?`, eff)
	})
}

// UseNow puts a not-activated or waiting list in use from now; the list in
// use until now becomes used.
func (s *Service) UseNow(ctx context.Context, templateID string, number int) (PriceList, error) {
	return s.plChangeList(ctx, templateID, number, func(c plChange) error {
		switch c.state() {
		case ListNotActivated, ListWaiting:
		default:
			return c.refuse("use it now")
		}
		if err := c.sameTimeConflict(c.now); err != nil {
			return err
		}
		return c.exec(ctx, `status = 'activated', effective_at = ?`, c.now)
	})
}

// Disable disables a not-activated or waiting list; a list that has been in
// use cannot be: the bills of its time depend on it.
func (s *Service) Disable(ctx context.Context, templateID string, number int) (PriceList, error) {
	return s.plChangeList(ctx, templateID, number, func(c plChange) error {
		switch c.state() {
		case ListNotActivated, ListWaiting:
		default:
			return c.refuse("disable it")
		}
		return c.exec(ctx, `status = 'disabled'`)
	})
}

// DeletePriceList deletes a not-activated or disabled list — never one
// that was activated and not disabled, nor a template's only list.
func (s *Service) DeletePriceList(ctx context.Context, templateID string, number int) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		c, err := s.plOpen(ctx, tx, templateID, number)
		if err != nil {
			return err
		}
		switch c.state() {
		case ListNotActivated, ListDisabled:
		default:
			return c.refuse("delete it")
		}
		if len(c.lists) == 1 {
			return core.Errorf(core.Conflict, "price list %d is the template's only list", c.list.Number)
		}
		for _, q := range []string{`DELETE FROM billing_prices WHERE price_list_id = ?`, `DELETE FROM billing_price_lists WHERE id = ?`} {
			if _, err := tx.ExecContext(ctx, tx.Rebind(q), c.list.ID); err != nil {
				return dbErr("DeletePriceList", err)
			}
		}
		return nil
	})
}
