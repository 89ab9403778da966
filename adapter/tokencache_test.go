package adapter

import (
	"fmt"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/adapter/identity"
)

// TestTokenCache: a validated token is trusted for tokenCacheTTL and never
// past its own expiry, is dropped on revocation, keeps no token value, and
// a full cache starts afresh rather than grow.
func TestTokenCache(t *testing.T) {
	tc := newTokenCache()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	tok := identity.Token{Value: "secret-value", ID: "t1", ExpiresAt: now.Add(time.Hour)}
	tc.put("secret-value", tok, now)
	got, ok := tc.get("secret-value", now.Add(tokenCacheTTL-time.Millisecond))
	if !ok || got.ID != "t1" || got.Value != "" {
		t.Fatalf("within the TTL: %+v %v (the value must not be kept)", got, ok)
	}
	if _, ok := tc.get("secret-value", now.Add(tokenCacheTTL)); ok {
		t.Fatal("trusted past the TTL")
	}
	short := identity.Token{ID: "t2", ExpiresAt: now.Add(time.Second)}
	tc.put("short", short, now)
	if _, ok := tc.get("short", now.Add(2*time.Second)); ok {
		t.Fatal("trusted past the token's own expiry")
	}
	tc.drop("secret-value")
	if _, ok := tc.get("secret-value", now); ok {
		t.Fatal("trusted after a drop (revocation)")
	}
	for i := 0; i < tokenCacheMax+1; i++ {
		tc.put(fmt.Sprint("t", i), tok, now)
	}
	if n := len(tc.m); n == 0 || n >= tokenCacheMax {
		t.Fatalf("a full cache holds %d entries: it must have started afresh", n)
	}
}
