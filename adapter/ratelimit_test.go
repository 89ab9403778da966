package adapter

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/adapter/store"
	"github.com/gisiaas/gisiaas/adapter/store/storetest"
)

// TestPerTokenRateLimit: past its burst a token gets 429 with Retry-After
// and the A.0.3 body, before its request is validated; another token is
// not affected.
func TestPerTokenRateLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAPIFixture(t, db, func(c *Config) { c.Limits.TokenRate, c.Limits.TokenBurst = 0.001, 3 })
		// The token's first request counts against the address (the token
		// is not known valid yet); then its own burst of 3.
		for i := 0; i < 4; i++ {
			f.must(200, "GET", "/v1/"+f.pa+"/servers", f.alice, nil)
		}
		// Junk past the limit is refused by the limiter, not by the validator.
		resp, out := f.do("POST", "/v1/"+f.pa+"/servers", f.alice, "{not json")
		after, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		if resp.StatusCode != 429 || time.Duration(after)*time.Second < time.Second {
			t.Fatalf("past the burst: %d %v, Retry-After %q", resp.StatusCode, out, resp.Header.Get("Retry-After"))
		}
		f.must(200, "GET", "/v1/"+f.pb+"/servers", f.bob, nil)
		// Invented tokens buy nothing: they share the address's bucket,
		// which alice's and bob's first requests have half spent.
		codes := []int{}
		for i := 0; i < 3; i++ {
			resp, _ := f.do("GET", "/v1/"+f.pa+"/servers", fmt.Sprintf("junk-%d", i), nil)
			codes = append(codes, resp.StatusCode)
		}
		if codes[0] != 401 || codes[2] != 429 {
			t.Fatalf("junk tokens: %v, want 401 … 429", codes)
		}
	})
}

func TestRateLimiterForgetsIdleBuckets(t *testing.T) {
	r := newRateLimiter(Limits{TokenRate: 1, TokenBurst: 1}, nil)
	now := time.Now()
	if ok, _ := r.allow("a", now); !ok {
		t.Fatal("first call refused")
	}
	if ok, wait := r.allow("a", now); ok || wait <= 0 {
		t.Fatalf("second call at once: ok=%v wait=%v", ok, wait)
	}
	later := now.Add(idleBucket + time.Minute)
	if ok, _ := r.allow("b", later); !ok || len(r.buckets) != 1 {
		t.Fatalf("idle bucket kept: %d buckets", len(r.buckets))
	}
}
