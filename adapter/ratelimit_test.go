package adapter

import (
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
		for i := 0; i < 3; i++ {
			f.must(200, "GET", "/v1/"+f.pa+"/servers", f.alice, nil)
		}
		// Junk past the limit is refused by the limiter, not by the validator.
		resp, out := f.do("POST", "/v1/"+f.pa+"/servers", f.alice, "{not json")
		after, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		if resp.StatusCode != 429 || time.Duration(after)*time.Second < time.Second {
			t.Fatalf("past the burst: %d %v, Retry-After %q", resp.StatusCode, out, resp.Header.Get("Retry-After"))
		}
		f.must(200, "GET", "/v1/"+f.pb+"/servers", f.bob, nil)
	})
}

func TestRateLimiterForgetsIdleBuckets(t *testing.T) {
	r := newRateLimiter(Limits{TokenRate: 1, TokenBurst: 1})
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
