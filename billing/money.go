package billing

import (
	"fmt"
	"strings"

	"github.com/cockroachdb/apd/v3"
)

// Currency is one of the eight currencies of BL.13.
type Currency struct {
	Code   string `json:"code"`
	Symbol string `json:"symbol"`
	// MinorDigits is how many decimal digits its smallest unit has: bill
	// lines are rounded to it.
	MinorDigits int32 `json:"minor_digits"`
}

// Currencies are BL.13's, in the manual's order.
var Currencies = []Currency{
	{"USD", "$", 2}, {"CNY", "￥", 2}, {"JPY", "￥", 0}, {"IDR", "Rp", 0},
	{"VND", "₫", 0}, {"SGD", "S$", 2}, {"MYR", "RM", 2}, {"THB", "฿", 2},
}

// LookupCurrency returns the currency with code (case-insensitive).
func LookupCurrency(code string) (Currency, bool) {
	for _, c := range Currencies {
		if strings.EqualFold(c.Code, code) {
			return c, true
		}
	}
	return Currency{}, false
}

// exact is the context of every money computation before rounding: wide
// enough that sums of per-second amounts over years never round, and
// trapping on inexact results where exactness is promised.
var exact = apd.Context{Precision: 60, MaxExponent: apd.MaxExponent, MinExponent: apd.MinExponent,
	Rounding: apd.RoundHalfEven, Traps: apd.DefaultTraps}

// ParseDecimal reads a decimal as an operator types it ("0.05", "12").
// Exponents, NaN and infinities are refused.
func ParseDecimal(s string) (*apd.Decimal, error) {
	d, _, err := apd.NewFromString(strings.TrimSpace(s))
	if err != nil || d.Form != apd.Finite || strings.ContainsAny(s, "eE") {
		return nil, fmt.Errorf("%q is not a decimal number", s)
	}
	return d, nil
}

// mustDecimal is ParseDecimal for constants.
func mustDecimal(s string) *apd.Decimal {
	d, err := ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return d
}

// secondsPerHour turns a price per hour and a count of seconds into money.
var secondsPerHour = apd.New(3600, 0)

func add(a, b *apd.Decimal) *apd.Decimal {
	var out apd.Decimal
	if _, err := exact.Add(&out, a, b); err != nil {
		panic(err) // 60 digits: unreachable for money
	}
	return &out
}

func sub(a, b *apd.Decimal) *apd.Decimal {
	var out apd.Decimal
	if _, err := exact.Sub(&out, a, b); err != nil {
		panic(err)
	}
	return &out
}

func mul(a, b *apd.Decimal) *apd.Decimal {
	var out apd.Decimal
	if _, err := exact.Mul(&out, a, b); err != nil {
		panic(err)
	}
	return &out
}

// hourAmount turns amountX3600 — price per hour × quantity × seconds, which
// is exact — into money, rounded once, half-even, to the currency's minor
// unit. Rounding is the only place precision is given up.
func hourAmount(amountX3600 *apd.Decimal, minorDigits int32) *apd.Decimal {
	q := apd.Context{Precision: 80, MaxExponent: apd.MaxExponent, MinExponent: apd.MinExponent, Rounding: apd.RoundHalfEven}
	var hours apd.Decimal
	_, _ = q.Quo(&hours, amountX3600, secondsPerHour)
	var out apd.Decimal
	_, _ = q.Quantize(&out, &hours, -minorDigits)
	return &out
}

// RoundLines rounds exact amounts (each ×3600, see hourAmount) to the minor
// unit so that the rounded lines sum exactly to the rounded total: line k
// is round(Σ₁..ₖ) − round(Σ₁..ₖ₋₁), which carries each line's residual into
// the next. It returns the lines and the total.
func RoundLines(amountsX3600 []*apd.Decimal, minorDigits int32) ([]*apd.Decimal, *apd.Decimal) {
	out := make([]*apd.Decimal, len(amountsX3600))
	cum := apd.New(0, 0)
	prev := apd.New(0, 0)
	for i, a := range amountsX3600 {
		cum = add(cum, a)
		r := hourAmount(cum, minorDigits)
		out[i] = sub(r, prev)
		prev = r
	}
	return out, prev
}

// FormatMoney prints d with exactly the currency's minor digits.
func FormatMoney(d *apd.Decimal, minorDigits int32) string {
	var q apd.Decimal
	ctx := apd.BaseContext.WithPrecision(80)
	ctx.Rounding = apd.RoundHalfEven
	_, _ = ctx.Quantize(&q, d, -minorDigits)
	return q.Text('f')
}
