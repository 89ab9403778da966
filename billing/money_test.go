package billing

import (
	"math/rand/v2"
	"testing"

	"github.com/cockroachdb/apd/v3"
)

func TestHourAmountRoundsHalfEvenToTheMinorUnit(t *testing.T) {
	cases := []struct {
		priceX3600 string // price per hour × seconds
		digits     int32
		want       string
	}{
		{"36", 2, "0.01"},    // 0.01 exactly
		{"18", 2, "0.00"},    // 0.005 → 0.00 (half to even)
		{"54", 2, "0.02"},    // 0.015 → 0.02 (half to even)
		{"3600", 0, "1"},     // one hour of 1
		{"1800", 0, "0"},     // 0.5 JPY → 0
		{"5400", 0, "2"},     // 1.5 → 2
		{"61.2", 2, "0.02"},  // 0.017
		{"0.036", 2, "0.00"}, // 0.00001
		{"1", 2, "0.00"},     // 1/3600 is not a finite decimal: still rounds exactly
		{"-54", 2, "-0.02"},  // adjustments are negative
	}
	for _, c := range cases {
		got := hourAmount(mustDecimal(c.priceX3600), c.digits)
		if got.Text('f') != c.want {
			t.Errorf("%s/3600 to %d digits: %s, want %s", c.priceX3600, c.digits, got.Text('f'), c.want)
		}
	}
}

// TestRoundLinesSumToTheTotal: whatever the amounts, the rounded lines sum
// exactly to the rounded total, and no line is more than one minor unit
// away from its own exact value.
func TestRoundLinesSumToTheTotal(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, digits := range []int32{0, 2} {
		for round := 0; round < 200; round++ {
			n := 1 + rng.IntN(40)
			amounts := make([]*apd.Decimal, n)
			for i := range amounts {
				amounts[i] = apd.New(rng.Int64N(1_000_000), -int32(rng.IntN(5)))
			}
			lines, total := RoundLines(amounts, digits)
			sum := apd.New(0, 0)
			for i, l := range lines {
				sum = add(sum, l)
				diff := sub(l, hourAmount(amounts[i], 8))
				var abs apd.Decimal
				abs.Abs(diff)
				if abs.Cmp(apd.New(1, -digits)) > 0 {
					t.Fatalf("line %d is %s for an exact %s", i, l.Text('f'), hourAmount(amounts[i], 8).Text('f'))
				}
			}
			if sum.Cmp(total) != 0 {
				t.Fatalf("lines sum to %s, total %s", sum.Text('f'), total.Text('f'))
			}
		}
	}
}

func TestParseDecimal(t *testing.T) {
	for _, ok := range []string{"0", "0.05", "12", " 3.5 ", "-1"} {
		if _, err := ParseDecimal(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "abc", "1e3", "NaN", "Infinity", "1.2.3"} {
		if _, err := ParseDecimal(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if c, ok := LookupCurrency("jpy"); !ok || c.MinorDigits != 0 {
		t.Fatal(c, ok)
	}
	if FormatMoney(mustDecimal("1.005"), 2) != "1.00" || FormatMoney(mustDecimal("7"), 2) != "7.00" {
		t.Fatal(FormatMoney(mustDecimal("1.005"), 2))
	}
}
