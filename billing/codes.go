package billing

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/gisiaas/gisiaas/core"
)

// Recharge codes (BL.10). A code is 160 random bits from crypto/rand in
// base32 (A–Z, 2–7: no 0, 1 or 8 to misread), grouped by four with dashes.
// It is shown once, when created; billing keeps only its SHA-256 — with
// 160 bits of entropy no salt or slow hash is needed to make a stolen
// table useless — and its last four characters to tell codes apart.
const (
	codeBytes    = 20 // 160 bits: 32 base32 characters, no padding
	codeChars    = 32
	codeGroup    = 4
	maxCodeBatch = 1000
)

var codeEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// Statuses of a recharge code.
const (
	CodeActive   = "active"
	CodeRedeemed = "redeemed"
	CodeExpired  = "expired"
	CodeDeleted  = "deleted"
)

// CodeCreate asks for Count codes worth Value each, good until ExpiresAt.
type CodeCreate struct {
	Count     int       `json:"count"`
	Value     string    `json:"value"`
	ExpiresAt time.Time `json:"expires_at"`
}

// IssuedCode is a code as created: Code is in clear here and nowhere else.
type IssuedCode struct {
	ID        string    `json:"id"`
	Code      string    `json:"code"`
	Hint      string    `json:"hint"`
	Value     string    `json:"value"`
	ExpiresAt time.Time `json:"expires_at"`
}

// RechargeCode is a code as listed: never the code itself.
type RechargeCode struct {
	ID                 string     `json:"id"`
	Hint               string     `json:"hint"`
	Value              string     `json:"value"`
	ExpiresAt          time.Time  `json:"expires_at"`
	Status             string     `json:"status"`
	CreatedBy          string     `json:"created_by"`
	CreatedAt          time.Time  `json:"created_at"`
	DeletedAt          *time.Time `json:"deleted_at,omitempty"`
	RedeemedAt         *time.Time `json:"redeemed_at,omitempty"`
	RedeemedBy         string     `json:"redeemed_by,omitempty"`
	RedeemedDepartment string     `json:"redeemed_department,omitempty"`
}

// errNoCode is the one answer to every failed redemption, so that a caller
// cannot tell an unknown code from a used, deleted or expired one.
func errNoCode() error {
	return core.Errorf(core.NotFound, "no such code, or it was used, deleted or expired")
}

// newCode returns a fresh code, grouped for display, and its normalized form.
func newCode() (display, normalized string) {
	var b [codeBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	normalized = codeEncoding.EncodeToString(b[:])
	var sb strings.Builder
	for i := 0; i < len(normalized); i += codeGroup {
		if i > 0 {
			sb.WriteByte('-')
		}
		sb.WriteString(normalized[i : i+codeGroup])
	}
	return sb.String(), normalized
}

// normalizeCode reads a code as a person typed it: any case, with or
// without dashes and spaces, and 0, 1 and 8 for the O, I and B they are
// mistaken for (the alphabet has none of them). ok is false for something
// that cannot be a code.
func normalizeCode(in string) (string, bool) {
	var sb strings.Builder
	for _, r := range strings.ToUpper(in) {
		switch {
		case r == '-' || r == ' ' || r == '\t' || r == '\n' || r == '\r':
			continue
		case r == '0':
			r = 'O'
		case r == '1':
			r = 'I'
		case r == '8':
			r = 'B'
		}
		if !(r >= 'A' && r <= 'Z' || r >= '2' && r <= '7') {
			return "", false
		}
		sb.WriteRune(r)
	}
	out := sb.String()
	return out, len(out) == codeChars
}

func hashCode(normalized string) string {
	h := sha256.Sum256([]byte(normalized))
	return hex.EncodeToString(h[:])
}

// CreateCodes creates c.Count codes worth c.Value, good until c.ExpiresAt,
// and returns them in clear: the only time they are (BL.10).
func (s *Service) CreateCodes(ctx context.Context, c CodeCreate, byUser string) ([]IssuedCode, error) {
	if c.Count < 1 || c.Count > maxCodeBatch {
		return nil, core.Errorf(core.InvalidArgument, "count: must be between 1 and %d", maxCodeBatch)
	}
	st, err := s.Settings(ctx)
	if err != nil {
		return nil, err
	}
	value, err := parseAmount("value", c.Value, st.Currency, false)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if c.ExpiresAt.IsZero() || !c.ExpiresAt.After(now) {
		return nil, core.Errorf(core.InvalidArgument, "expires_at: must be in the future")
	}
	if c.ExpiresAt.After(maxRunOut) {
		return nil, core.Errorf(core.InvalidArgument, "expires_at: must be before the year 10000")
	}
	expires := c.ExpiresAt.UTC()
	out := make([]IssuedCode, 0, c.Count)
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		out = out[:0]
		ins := tx.Rebind(`INSERT INTO billing_recharge_codes (id, code_hash, code_hint, value, expires_at, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
		for range c.Count {
			display, norm := newCode()
			ic := IssuedCode{ID: newID(), Code: display, Hint: norm[len(norm)-codeGroup:], Value: FormatMoney(value, st.Currency.MinorDigits), ExpiresAt: expires}
			if _, err := tx.ExecContext(ctx, ins, ic.ID, hashCode(norm), ic.Hint, value.Text('f'), expires, byUser, now); err != nil {
				return dbErr("CreateCodes", err)
			}
			out = append(out, ic)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListCodes lists the codes still redeemable, or with includeUsed every
// code ever created (redeemed, expired and deleted too), oldest first.
func (s *Service) ListCodes(ctx context.Context, includeUsed bool) ([]RechargeCode, error) {
	st, err := s.Settings(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	query := `SELECT id, code_hint, value, expires_at, created_by, created_at, deleted_at, redeemed_at, redeemed_by, redeemed_department FROM billing_recharge_codes`
	var args []any
	if !includeUsed {
		query += ` WHERE redeemed_at IS NULL AND deleted_at IS NULL AND expires_at > ?`
		args = append(args, now)
	}
	query += ` ORDER BY created_at, id`
	var rows []struct {
		ID                 string         `db:"id"`
		Hint               string         `db:"code_hint"`
		Value              string         `db:"value"`
		ExpiresAt          time.Time      `db:"expires_at"`
		CreatedBy          string         `db:"created_by"`
		CreatedAt          time.Time      `db:"created_at"`
		DeletedAt          sql.NullTime   `db:"deleted_at"`
		RedeemedAt         sql.NullTime   `db:"redeemed_at"`
		RedeemedBy         sql.NullString `db:"redeemed_by"`
		RedeemedDepartment sql.NullString `db:"redeemed_department"`
	}
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(query), args...); err != nil {
		return nil, dbErr("ListCodes", err)
	}
	out := make([]RechargeCode, 0, len(rows))
	for _, r := range rows {
		v, err := ParseDecimal(r.Value)
		if err != nil {
			return nil, core.Wrap(core.Internal, "billing.ListCodes", err)
		}
		c := RechargeCode{ID: r.ID, Hint: r.Hint, Value: FormatMoney(v, st.Currency.MinorDigits), ExpiresAt: r.ExpiresAt.UTC(),
			CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt.UTC(), RedeemedBy: r.RedeemedBy.String, RedeemedDepartment: r.RedeemedDepartment.String}
		switch {
		case r.DeletedAt.Valid:
			c.Status = CodeDeleted
		case r.RedeemedAt.Valid:
			c.Status = CodeRedeemed
		case !c.ExpiresAt.After(now):
			c.Status = CodeExpired
		default:
			c.Status = CodeActive
		}
		if r.DeletedAt.Valid {
			t := r.DeletedAt.Time.UTC()
			c.DeletedAt = &t
		}
		if r.RedeemedAt.Valid {
			t := r.RedeemedAt.Time.UTC()
			c.RedeemedAt = &t
		}
		out = append(out, c)
	}
	return out, nil
}

// DeleteCode deletes a code that was not redeemed: it can never be redeemed
// after. Its record stays, listed as deleted. Deleting it again is a no-op.
func (s *Service) DeleteCode(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE billing_recharge_codes SET deleted_at = ? WHERE id = ? AND redeemed_at IS NULL AND deleted_at IS NULL`), s.now(), id)
	if err != nil {
		return dbErr("DeleteCode", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return dbErr("DeleteCode", err)
	} else if n == 1 {
		return nil
	}
	// Nothing changed: say why. A redemption that won the race is final.
	var row struct {
		Deleted  bool `db:"deleted"`
		Redeemed bool `db:"redeemed"`
	}
	err = s.db.GetContext(ctx, &row, s.db.Rebind(`SELECT deleted_at IS NOT NULL AS deleted, redeemed_at IS NOT NULL AS redeemed FROM billing_recharge_codes WHERE id = ?`), id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return core.Errorf(core.NotFound, "recharge code %q not found", id)
	case err != nil:
		return dbErr("DeleteCode", err)
	case row.Redeemed:
		return core.Errorf(core.Conflict, "recharge code %q was redeemed and cannot be deleted", id)
	}
	return nil
}

// RedeemCode credits a code's value to departmentID's account, for userID
// (BL.10). It is atomic and once only: marking the code redeemed is a single
// conditional UPDATE — not redeemed, not deleted, not expired — and only the
// one transaction whose UPDATE changed the row records the recharge and
// credits the account, in the same transaction. Every failure to find a
// redeemable code gives the same answer.
func (s *Service) RedeemCode(ctx context.Context, code, userID, departmentID string) (Recharge, error) {
	if strings.TrimSpace(code) == "" {
		return Recharge{}, core.Errorf(core.InvalidArgument, "code: required")
	}
	if departmentID == "" {
		return Recharge{}, core.Errorf(core.InvalidArgument, "department_id: required")
	}
	norm, ok := normalizeCode(code)
	if !ok {
		return Recharge{}, errNoCode()
	}
	st, err := s.Settings(ctx)
	if err != nil {
		return Recharge{}, err
	}
	hash := hashCode(norm)
	var r Recharge
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		now := s.now()
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE billing_recharge_codes SET redeemed_at = ?, redeemed_by = ?, redeemed_department = ?
			WHERE code_hash = ? AND redeemed_at IS NULL AND deleted_at IS NULL AND expires_at > ?`), now, userID, departmentID, hash, now)
		if err != nil {
			return dbErr("RedeemCode", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return dbErr("RedeemCode", err)
		} else if n != 1 {
			return errNoCode()
		}
		var c struct {
			ID    string `db:"id"`
			Hint  string `db:"code_hint"`
			Value string `db:"value"`
		}
		if err := tx.GetContext(ctx, &c, tx.Rebind(`SELECT id, code_hint, value FROM billing_recharge_codes WHERE code_hash = ?`), hash); err != nil {
			return dbErr("RedeemCode", err)
		}
		value, err := ParseDecimal(c.Value)
		if err != nil {
			return core.Wrap(core.Internal, "billing.RedeemCode", err)
		}
		r = Recharge{ID: newID(), DepartmentID: departmentID, Amount: FormatMoney(value, st.Currency.MinorDigits),
			Note: "recharge code …" + c.Hint, Method: RechargeMethodCode, CodeID: c.ID, By: userID, Time: now}
		return s.credit(ctx, tx, &r, value)
	})
	if err != nil {
		return Recharge{}, err
	}
	return r, nil
}
