package adapter

import (
	"crypto/sha256"
	"sync"
	"time"

	"github.com/gisiaas/gisiaas/adapter/identity"
)

// tokenCacheTTL is how long a validated token is trusted without asking the
// database again. Revocation through this server takes effect at once (the
// entry is dropped); a role taken away, or a token revoked through another
// server sharing the database, takes effect within this time — the
// trade-off keystonemiddleware makes with its token cache (300 s there).
const tokenCacheTTL = 10 * time.Second

// tokenCacheMax bounds the cache; when full it is emptied, which costs one
// database lookup per live token and never a wrong answer.
const tokenCacheMax = 100_000

type cachedToken struct {
	tok   identity.Token
	until time.Time
}

// tokenCache keeps validated tokens by the hash of their value, so the
// value itself is never held longer than the request.
type tokenCache struct {
	mu sync.RWMutex
	m  map[[32]byte]cachedToken
}

func newTokenCache() *tokenCache { return &tokenCache{m: map[[32]byte]cachedToken{}} }

func (tc *tokenCache) get(value string, now time.Time) (identity.Token, bool) {
	k := sha256.Sum256([]byte(value))
	tc.mu.RLock()
	e, ok := tc.m[k]
	tc.mu.RUnlock()
	if !ok || !now.Before(e.until) {
		return identity.Token{}, false
	}
	return e.tok, true
}

func (tc *tokenCache) put(value string, tok identity.Token, now time.Time) {
	until := now.Add(tokenCacheTTL)
	if tok.ExpiresAt.Before(until) {
		until = tok.ExpiresAt
	}
	tok.Value = "" // not kept: the key is its hash
	k := sha256.Sum256([]byte(value))
	tc.mu.Lock()
	if len(tc.m) >= tokenCacheMax {
		tc.m = map[[32]byte]cachedToken{}
	}
	tc.m[k] = cachedToken{tok: tok, until: until}
	tc.mu.Unlock()
}

func (tc *tokenCache) drop(value string) {
	k := sha256.Sum256([]byte(value))
	tc.mu.Lock()
	delete(tc.m, k)
	tc.mu.Unlock()
}
