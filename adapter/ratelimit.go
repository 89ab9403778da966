package adapter

import (
	"crypto/sha256"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"github.com/gisiaas/gisiaas/core"
)

// rateLimiter holds one token bucket per token, and one per client
// address for everything else. It runs before validation and before any
// database lookup: a token counts as itself only once it has been found
// valid (it is in the token cache); a new, junk or absent token counts
// against the client's address — so inventing tokens buys no requests.
type rateLimiter struct {
	rate  rate.Limit
	burst int
	known func(token string) bool

	mu      sync.Mutex
	buckets map[[32]byte]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// idleBucket is how long an unused bucket is kept; a bucket that has been
// idle this long is full again anyway.
const idleBucket = 10 * time.Minute

func newRateLimiter(l Limits, known func(token string) bool) *rateLimiter {
	return &rateLimiter{rate: rate.Limit(l.TokenRate), burst: l.TokenBurst, known: known, buckets: map[[32]byte]*bucket{}, swept: time.Now()}
}

// maxBuckets bounds the limiter's memory; when full it starts afresh,
// which forgets some debts and never refuses a new client.
const maxBuckets = 100_000

func (r *rateLimiter) allow(key string, now time.Time) (bool, time.Duration) {
	k := sha256.Sum256([]byte(key))
	r.mu.Lock()
	defer r.mu.Unlock()
	if now.Sub(r.swept) > idleBucket {
		for k, b := range r.buckets {
			if now.Sub(b.seen) > idleBucket {
				delete(r.buckets, k)
			}
		}
		r.swept = now
	}
	b := r.buckets[k]
	if b == nil && len(r.buckets) >= maxBuckets {
		r.buckets = map[[32]byte]*bucket{}
	}
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(r.rate, r.burst)}
		r.buckets[k] = b
	}
	b.seen = now
	res := b.lim.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}

func (r *rateLimiter) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		key := "addr:" + c.RealIP()
		if tok := c.Request().Header.Get("X-Auth-Token"); tok != "" && r.known != nil && r.known(tok) {
			key = "tok:" + tok
		}
		if ok, wait := r.allow(key, time.Now()); !ok {
			return retryAfter(core.Errorf(core.Throttled, "too many requests; retry later"), max(wait, time.Second))
		}
		return next(c)
	}
}

var _ http.Handler = (*Server)(nil)
