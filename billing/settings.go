package billing

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/gisiaas/gisiaas/core"
)

// What happens when a department's balance reaches zero (BL.11).
const (
	// OnZeroKeepRunning is the manual's behaviour: nothing is stopped or
	// refused; the account goes into arrears.
	OnZeroKeepRunning = "keep_running"
	// OnZeroRefuseCreates refuses new creates with 402 Payment Required
	// (CanCreate); what runs keeps running.
	OnZeroRefuseCreates = "refuse_creates"
)

// Settings are billing's settings (BL.13).
type Settings struct {
	Currency Currency `json:"currency"`
	// Timezone is the IANA name bills are shown in.
	Timezone string `json:"timezone"`
	// TimezoneChanged is true once the timezone was changed: it may be
	// changed only once after install.
	TimezoneChanged bool   `json:"timezone_changed"`
	OnZeroBalance   string `json:"on_zero_balance"`
	// Note says what an update did not do: switching the currency converts
	// no amount.
	Note string `json:"note,omitempty"`
}

// SettingsUpdate changes the fields that are set.
type SettingsUpdate struct {
	Currency      *string `json:"currency,omitempty"`
	Timezone      *string `json:"timezone,omitempty"`
	OnZeroBalance *string `json:"on_zero_balance,omitempty"`
}

// settingsRow is billing_settings as stored.
type settingsRow struct {
	Currency        string `db:"currency"`
	Timezone        string `db:"timezone"`
	TimezoneChanged bool   `db:"timezone_changed"`
	OnZeroBalance   string `db:"on_zero_balance"`
}

func (r settingsRow) settings() (Settings, error) {
	c, ok := LookupCurrency(r.Currency)
	if !ok {
		return Settings{}, core.Errorf(core.Internal, "billing settings: unknown stored currency %q", r.Currency)
	}
	return Settings{Currency: c, Timezone: r.Timezone, TimezoneChanged: r.TimezoneChanged, OnZeroBalance: r.OnZeroBalance}, nil
}

// forUpdateSQL locks the rows a read-modify-write reads, on PostgreSQL; on
// SQLite a writing transaction already holds the database's write lock
// (_txlock=immediate) or fails to commit over a concurrent writer.
func (s *Service) forUpdateSQL() string {
	if s.dialect == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

func (s *Service) readSettings(ctx context.Context, q queryer, lock bool) (Settings, error) {
	query := `SELECT currency, timezone, timezone_changed, on_zero_balance FROM billing_settings WHERE id = 1`
	if lock {
		query += s.forUpdateSQL()
	}
	var r settingsRow
	if err := sqlx.GetContext(ctx, q, &r, query); err != nil {
		return Settings{}, dbErr("settings", err)
	}
	return r.settings()
}

// Settings returns billing's settings.
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	return s.readSettings(ctx, s.db, false)
}

// Location returns the billing timezone.
func (s *Service) Location(ctx context.Context) (*time.Location, error) {
	st, err := s.Settings(ctx)
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(st.Timezone)
	if err != nil {
		return nil, core.Wrap(core.Internal, "billing.Location", err)
	}
	return loc, nil
}

// UpdateSettings changes the settings that u sets and returns them all.
// Switching the currency converts nothing: every amount keeps its number
// (the returned Note says so). The timezone may be changed once after
// install; setting the current one again is not a change.
func (s *Service) UpdateSettings(ctx context.Context, u SettingsUpdate) (Settings, error) {
	var cur *Currency
	if u.Currency != nil {
		c, ok := LookupCurrency(strings.TrimSpace(*u.Currency))
		if !ok {
			codes := make([]string, len(Currencies))
			for i, c := range Currencies {
				codes[i] = c.Code
			}
			return Settings{}, core.Errorf(core.InvalidArgument, "currency: %q is not one of %s", *u.Currency, strings.Join(codes, ", "))
		}
		cur = &c
	}
	var tz string
	if u.Timezone != nil {
		name := strings.TrimSpace(*u.Timezone)
		// "Local" would follow whatever machine runs billing; "" is UTC in
		// disguise: both are refused so the stored name means one thing.
		loc, err := time.LoadLocation(name)
		if name == "" || name == "Local" || err != nil {
			return Settings{}, core.Errorf(core.InvalidArgument, "timezone: %q is not an IANA timezone name (such as Asia/Shanghai or UTC)", *u.Timezone)
		}
		tz = loc.String()
	}
	if u.OnZeroBalance != nil && *u.OnZeroBalance != OnZeroKeepRunning && *u.OnZeroBalance != OnZeroRefuseCreates {
		return Settings{}, core.Errorf(core.InvalidArgument, "on_zero_balance: must be %q or %q", OnZeroKeepRunning, OnZeroRefuseCreates)
	}
	var out Settings
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		st, err := s.readSettings(ctx, tx, true)
		if err != nil {
			return err
		}
		note := ""
		if cur != nil && cur.Code != st.Currency.Code {
			note = fmt.Sprintf("the currency changed from %s to %s; no amount was converted: balances, prices, recharges and codes keep their numbers", st.Currency.Code, cur.Code)
			st.Currency = *cur
		}
		if u.Timezone != nil && tz != st.Timezone {
			if st.TimezoneChanged {
				return core.Errorf(core.Conflict, "the billing timezone can be changed only once")
			}
			st.Timezone, st.TimezoneChanged = tz, true
		}
		if u.OnZeroBalance != nil {
			st.OnZeroBalance = *u.OnZeroBalance
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE billing_settings SET currency = ?, timezone = ?, timezone_changed = ?, on_zero_balance = ?, updated_at = ? WHERE id = 1`),
			st.Currency.Code, st.Timezone, st.TimezoneChanged, st.OnZeroBalance, s.now()); err != nil {
			return dbErr("UpdateSettings", err)
		}
		st.Note = note
		out = st
		return nil
	})
	return out, err
}
