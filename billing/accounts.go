package billing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/jmoiron/sqlx"

	"github.com/gisiaas/gisiaas/core"
)

// Recharge is one credit to a department's account (BL.9, BL.10).
type Recharge struct {
	ID           string `json:"id"`
	DepartmentID string `json:"department_id"`
	Amount       string `json:"amount"`
	Note         string `json:"note"`
	// Method is "admin" (an administrator's recharge) or "code" (a
	// redeemed recharge code, CodeID).
	Method string    `json:"method"`
	CodeID string    `json:"code_id,omitempty"`
	By     string    `json:"by"`
	Time   time.Time `json:"time"`
}

// Recharge methods.
const (
	RechargeMethodAdmin = "admin"
	RechargeMethodCode  = "code"
)

// Account is a department's live balance and consumption estimate (BL.11).
// Money is text with the currency's minor digits.
type Account struct {
	DepartmentID string   `json:"department_id"`
	Currency     Currency `json:"currency"`
	Recharged    string   `json:"recharged"`
	// Charged is everything charged up to AsOf: posted segments and what
	// the running resources accrued since.
	Charged string `json:"charged"`
	// Balance is Recharged − Charged.
	Balance     string `json:"balance"`
	CostPerHour string `json:"cost_per_hour"`
	CostPerDay  string `json:"cost_per_day"`
	// RunOutAt is when the balance reaches zero at the current cost; nil
	// when nothing costs anything or the account is already in arrears.
	RunOutAt            *time.Time `json:"run_out_at"`
	InArrears           bool       `json:"in_arrears"`
	LowBalanceThreshold *string    `json:"low_balance_threshold"`
	AsOf                time.Time  `json:"as_of"`
}

// PaymentRequiredError is CanCreate's refusal: the department's balance is
// not positive and the settings refuse creates then. The HTTP layer maps it
// to 402 Payment Required (core has no such kind).
type PaymentRequiredError struct {
	DepartmentID string
	Balance      string
	Currency     string
	Message      string
}

func (e *PaymentRequiredError) Error() string { return e.Message }

// maxAmountDigits bounds the integer digits of an amount typed by an
// operator: far above any real recharge in any of the currencies, and
// short of nonsense.
const maxAmountDigits = 15

// parseAmount reads a money amount for field: a decimal, positive (or zero
// when allowZero), with no more fractional digits than the currency has.
func parseAmount(field, text string, c Currency, allowZero bool) (*apd.Decimal, error) {
	d, err := ParseDecimal(text)
	if err != nil {
		return nil, core.Errorf(core.InvalidArgument, "%s: %q is not a decimal number", field, text)
	}
	if d.Negative && !d.IsZero() || d.IsZero() && !allowZero {
		if allowZero {
			return nil, core.Errorf(core.InvalidArgument, "%s: must not be negative", field)
		}
		return nil, core.Errorf(core.InvalidArgument, "%s: must be positive", field)
	}
	var r apd.Decimal
	r.Reduce(d)
	if !r.IsZero() && r.Exponent < -c.MinorDigits {
		return nil, core.Errorf(core.InvalidArgument, "%s: %s has at most %d decimal digits", field, c.Code, c.MinorDigits)
	}
	if int64(r.NumDigits())+int64(r.Exponent) > maxAmountDigits {
		return nil, core.Errorf(core.InvalidArgument, "%s: too large", field)
	}
	// Stored with the currency's digits, exactly the value typed.
	var out apd.Decimal
	out.Abs(d)
	return mustDecimal(FormatMoney(&out, c.MinorDigits)), nil
}

// CreateAccount creates department's account with a zero balance (BL.8). It
// is idempotent: the adapter calls it when a department is created.
func (s *Service) CreateAccount(ctx context.Context, departmentID string) error {
	if strings.TrimSpace(departmentID) == "" {
		return core.Errorf(core.InvalidArgument, "department_id: required")
	}
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO billing_accounts (department_id, created_at) VALUES (?, ?) ON CONFLICT (department_id) DO NOTHING`),
		departmentID, s.now()); err != nil {
		return dbErr("CreateAccount", err)
	}
	return nil
}

// credit adds amount to department's recharged total and records it, in tx.
func (s *Service) credit(ctx context.Context, tx *sqlx.Tx, r *Recharge, amount *apd.Decimal) error {
	var recharged string
	err := tx.GetContext(ctx, &recharged, tx.Rebind(`SELECT recharged FROM billing_accounts WHERE department_id = ?`+s.forUpdateSQL()), r.DepartmentID)
	if errors.Is(err, sql.ErrNoRows) {
		return core.Errorf(core.NotFound, "department %q has no billing account", r.DepartmentID)
	}
	if err != nil {
		return dbErr("credit", err)
	}
	prev, err := ParseDecimal(recharged)
	if err != nil {
		return core.Wrap(core.Internal, "billing.credit", err)
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE billing_accounts SET recharged = ? WHERE department_id = ?`),
		add(prev, amount).Text('f'), r.DepartmentID); err != nil {
		return dbErr("credit", err)
	}
	var code any
	if r.CodeID != "" {
		code = r.CodeID
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO billing_recharges (id, department_id, amount, note, method, code_id, by_user, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		r.ID, r.DepartmentID, amount.Text('f'), r.Note, r.Method, code, r.By, r.Time); err != nil {
		return dbErr("credit", err)
	}
	return nil
}

// maxNoteLen bounds a recharge's note.
const maxNoteLen = 1024

// Recharge credits amount to department's account by an administrator
// (byUser) and records it (BL.9).
func (s *Service) Recharge(ctx context.Context, departmentID, amount, note, byUser string) (Recharge, error) {
	if len(note) > maxNoteLen {
		return Recharge{}, core.Errorf(core.InvalidArgument, "note: at most %d bytes", maxNoteLen)
	}
	st, err := s.Settings(ctx)
	if err != nil {
		return Recharge{}, err
	}
	amt, err := parseAmount("amount", amount, st.Currency, false)
	if err != nil {
		return Recharge{}, err
	}
	r := Recharge{ID: newID(), DepartmentID: departmentID, Amount: FormatMoney(amt, st.Currency.MinorDigits), Note: note,
		Method: RechargeMethodAdmin, By: byUser, Time: s.now()}
	if err := s.inTx(ctx, func(tx *sqlx.Tx) error { return s.credit(ctx, tx, &r, amt) }); err != nil {
		return Recharge{}, err
	}
	return r, nil
}

// ListRecharges returns department's recharges made in [from, to), oldest
// first; a zero from or to leaves that end open.
func (s *Service) ListRecharges(ctx context.Context, departmentID string, from, to time.Time) ([]Recharge, error) {
	if err := s.accountExists(ctx, departmentID); err != nil {
		return nil, err
	}
	st, err := s.Settings(ctx)
	if err != nil {
		return nil, err
	}
	if to.IsZero() {
		to = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	var rows []struct {
		ID           string         `db:"id"`
		DepartmentID string         `db:"department_id"`
		Amount       string         `db:"amount"`
		Note         string         `db:"note"`
		Method       string         `db:"method"`
		CodeID       sql.NullString `db:"code_id"`
		ByUser       string         `db:"by_user"`
		CreatedAt    time.Time      `db:"created_at"`
	}
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT id, department_id, amount, note, method, code_id, by_user, created_at
		FROM billing_recharges WHERE department_id = ? AND created_at >= ? AND created_at < ? ORDER BY created_at, id`),
		departmentID, from.UTC(), to.UTC()); err != nil {
		return nil, dbErr("ListRecharges", err)
	}
	out := make([]Recharge, 0, len(rows))
	for _, r := range rows {
		amt, err := ParseDecimal(r.Amount)
		if err != nil {
			return nil, core.Wrap(core.Internal, "billing.ListRecharges", err)
		}
		out = append(out, Recharge{ID: r.ID, DepartmentID: r.DepartmentID, Amount: FormatMoney(amt, st.Currency.MinorDigits), Note: r.Note,
			Method: r.Method, CodeID: r.CodeID.String, By: r.ByUser, Time: r.CreatedAt.UTC()})
	}
	return out, nil
}

func (s *Service) accountExists(ctx context.Context, departmentID string) error {
	var n int
	if err := s.db.GetContext(ctx, &n, s.db.Rebind(`SELECT COUNT(*) FROM billing_accounts WHERE department_id = ?`), departmentID); err != nil {
		return dbErr("account", err)
	}
	if n == 0 {
		return core.Errorf(core.NotFound, "department %q has no billing account", departmentID)
	}
	return nil
}

// accountState is an account's exact figures, behind Account's text.
type accountState struct {
	Account
	balance    *apd.Decimal // rounded to the minor unit, as shown
	perHour    *apd.Decimal
	threshold  *apd.Decimal // nil: no low-balance alert
	alertState string
	webhookURL string
}

// account computes department's account as of now.
func (s *Service) account(ctx context.Context, departmentID string) (accountState, error) {
	st, err := s.Settings(ctx)
	if err != nil {
		return accountState{}, err
	}
	var row struct {
		Recharged  string         `db:"recharged"`
		Threshold  sql.NullString `db:"low_balance_threshold"`
		WebhookURL string         `db:"webhook_url"`
		AlertState string         `db:"alert_state"`
	}
	err = s.db.GetContext(ctx, &row, s.db.Rebind(`SELECT recharged, low_balance_threshold, webhook_url, alert_state FROM billing_accounts WHERE department_id = ?`), departmentID)
	if errors.Is(err, sql.ErrNoRows) {
		return accountState{}, core.Errorf(core.NotFound, "department %q has no billing account", departmentID)
	}
	if err != nil {
		return accountState{}, dbErr("Account", err)
	}
	now := s.now()
	chargedX3600, perHour, err := s.usage(ctx, s.db, departmentID, now)
	if err != nil {
		return accountState{}, err
	}
	if chargedX3600 == nil {
		chargedX3600 = apd.New(0, 0)
	}
	if perHour == nil {
		perHour = apd.New(0, 0)
	}
	recharged, err := ParseDecimal(row.Recharged)
	if err != nil {
		return accountState{}, core.Wrap(core.Internal, "billing.Account", err)
	}
	digits := st.Currency.MinorDigits
	charged := hourAmount(chargedX3600, digits)
	balance := mustDecimal(FormatMoney(sub(recharged, charged), digits))
	a := accountState{
		Account: Account{
			DepartmentID: departmentID,
			Currency:     st.Currency,
			Recharged:    FormatMoney(recharged, digits),
			Charged:      FormatMoney(charged, digits),
			Balance:      FormatMoney(balance, digits),
			CostPerHour:  FormatMoney(perHour, digits),
			CostPerDay:   FormatMoney(mul(perHour, apd.New(24, 0)), digits),
			InArrears:    balance.Sign() <= 0,
			AsOf:         now,
		},
		balance:    balance,
		perHour:    perHour,
		alertState: row.AlertState,
		webhookURL: row.WebhookURL,
	}
	if row.Threshold.Valid {
		th, err := ParseDecimal(row.Threshold.String)
		if err != nil {
			return accountState{}, core.Wrap(core.Internal, "billing.Account", err)
		}
		a.threshold = th
		text := FormatMoney(th, digits)
		a.LowBalanceThreshold = &text
	}
	if !a.InArrears && perHour.Sign() > 0 {
		// Seconds left = balance × 3600 / cost per hour, from the exact
		// (unrounded) balance so the estimate does not jump by a rounding.
		exactLeft := sub(mul(recharged, secondsPerHour), chargedX3600)
		t := runOut(now, exactLeft, perHour)
		a.RunOutAt = &t
	}
	return a, nil
}

// maxRunOut caps a run-out time: a tiny cost against a big balance would
// otherwise overflow time arithmetic.
var maxRunOut = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)

// runOut is now + balanceX3600 / perHour seconds, truncated to the second.
func runOut(now time.Time, balanceX3600, perHour *apd.Decimal) time.Time {
	q := apd.Context{Precision: 80, MaxExponent: apd.MaxExponent, MinExponent: apd.MinExponent, Rounding: apd.RoundDown}
	var secs, whole apd.Decimal
	_, _ = q.Quo(&secs, balanceX3600, perHour)
	_, _ = q.Quantize(&whole, &secs, 0)
	limit := apd.New(maxRunOut.Unix()-now.Unix(), 0)
	if whole.Cmp(limit) >= 0 {
		return maxRunOut
	}
	n, err := whole.Int64()
	if err != nil {
		return maxRunOut
	}
	return now.Truncate(time.Second).Add(time.Duration(n) * time.Second).UTC()
}

// Account returns department's live balance and consumption estimate
// (BL.11): everything recharged, everything charged up to now (including
// what running resources accrued since their last event), the current cost
// per hour and per day, and when the balance runs out at that cost.
func (s *Service) Account(ctx context.Context, departmentID string) (Account, error) {
	a, err := s.account(ctx, departmentID)
	return a.Account, err
}

// SetLowBalance sets department's low-balance alert threshold (nil: no
// low-balance alert; arrears alerts always fire) and the URL alerts are
// POSTed to ("": none).
func (s *Service) SetLowBalance(ctx context.Context, departmentID string, threshold *string, webhookURL string) error {
	var th any
	if threshold != nil {
		st, err := s.Settings(ctx)
		if err != nil {
			return err
		}
		d, err := parseAmount("low_balance_threshold", *threshold, st.Currency, true)
		if err != nil {
			return err
		}
		th = d.Text('f')
	}
	webhookURL = strings.TrimSpace(webhookURL)
	if webhookURL != "" {
		u, err := url.Parse(webhookURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(webhookURL) > 2048 {
			return core.Errorf(core.InvalidArgument, "webhook_url: must be an absolute http or https URL")
		}
	}
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE billing_accounts SET low_balance_threshold = ?, webhook_url = ? WHERE department_id = ?`), th, webhookURL, departmentID)
	if err != nil {
		return dbErr("SetLowBalance", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return dbErr("SetLowBalance", err)
	} else if n == 0 {
		return core.Errorf(core.NotFound, "department %q has no billing account", departmentID)
	}
	return nil
}

// CanCreate says whether department may create a resource: always, unless
// the settings refuse creates at a zero balance and its balance is not
// positive — then a *PaymentRequiredError. A department with no account
// has nothing to pay with.
func (s *Service) CanCreate(ctx context.Context, departmentID string) error {
	st, err := s.Settings(ctx)
	if err != nil {
		return err
	}
	if st.OnZeroBalance != OnZeroRefuseCreates {
		return nil
	}
	a, err := s.account(ctx, departmentID)
	if core.KindOf(err) == core.NotFound {
		zero := FormatMoney(apd.New(0, 0), st.Currency.MinorDigits)
		a = accountState{Account: Account{DepartmentID: departmentID, Currency: st.Currency, Balance: zero, InArrears: true}}
	} else if err != nil {
		return err
	}
	if !a.InArrears {
		return nil
	}
	return &PaymentRequiredError{DepartmentID: departmentID, Balance: a.Balance, Currency: st.Currency.Code,
		Message: fmt.Sprintf("the department's balance is %s %s: recharge its account before creating resources", a.Balance, st.Currency.Code)}
}

// WebhookURL is where department's alerts are POSTed ("" for nowhere).
// It is not part of Account: such URLs often carry a secret, and every
// user of the department may read the account.
func (s *Service) WebhookURL(ctx context.Context, departmentID string) (string, error) {
	var u string
	if err := s.db.GetContext(ctx, &u, s.db.Rebind(`SELECT webhook_url FROM billing_accounts WHERE department_id = ?`), departmentID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return "", core.Errorf(core.NotFound, "department %q has no billing account", departmentID)
		}
		return "", dbErr("WebhookURL", err)
	}
	return u, nil
}
