package openstack

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Defaults of the retry policy (issue 8: honour Retry-After on 429/503, with
// a default wait when it is absent, bounded by the context deadline).
const (
	defaultAttempts  = 5                // the first try and four retries
	defaultFirstWait = 1 * time.Second  // without Retry-After: 1 s, 2 s, 4 s, …
	defaultMaxWait   = 30 * time.Second // no single wait is longer
)

// retryTransport is the http.RoundTripper the driver sets on its
// ProviderClient's HTTPClient, so that every call of every service retries a
// 429 or 503 the same way. It sits below gophercloud on purpose: gophercloud's
// own RetryBackoffFunc sees only 429, and only after it has read the body;
// this sees both statuses and replays the request itself. The driver leaves
// RetryBackoffFunc nil so that the two never multiply their retries.
//
// A 429 or a 503 means the service did not act on the request, so replaying
// it is safe even for a POST. The request's body is replayed from GetBody,
// which net/http sets for the in-memory bodies gophercloud sends (JSON); a
// streamed body (an image upload) has no GetBody and is never retried, since
// it cannot be read twice.
//
// The wait is the answer's Retry-After (seconds or an HTTP date) or else the
// default backoff. When the wait would end after the context's deadline, or
// is longer than maxWait, the answer is returned at once: the caller then
// gets Throttled or Unavailable with time left to act, rather than an error
// of its own deadline after a pointless sleep.
type retryTransport struct {
	next        http.RoundTripper
	maxAttempts int           // attempts in all, the first included
	firstWait   time.Duration // the default wait before the first retry
	maxWait     time.Duration // the longest wait, default or asked for
	// wait sleeps d or until ctx is done; tests replace it to record the
	// waits without sleeping.
	wait func(ctx context.Context, d time.Duration) error
	now  func() time.Time
}

// newRetryTransport returns a retryTransport over next (http.DefaultTransport
// when nil) making at most maxAttempts attempts (the default when < 1).
func newRetryTransport(next http.RoundTripper, maxAttempts int) *retryTransport {
	if next == nil {
		next = http.DefaultTransport
	}
	if maxAttempts < 1 {
		maxAttempts = defaultAttempts
	}
	return &retryTransport{next: next, maxAttempts: maxAttempts, firstWait: defaultFirstWait,
		maxWait: defaultMaxWait, wait: sleepContext, now: time.Now}
}

// RoundTrip sends req, and again while the answer is a 429 or 503 that may be
// retried.
func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	hasBody := req.Body != nil && req.Body != http.NoBody
	replayable := !hasBody || req.GetBody != nil
	backoff := t.firstWait
	for attempt := 1; ; attempt++ {
		r := req
		if attempt > 1 {
			// A RoundTripper must not change the caller's request: each
			// retry sends a copy with a fresh body.
			r = req.Clone(ctx)
			if hasBody {
				body, err := req.GetBody()
				if err != nil {
					return nil, err
				}
				r.Body = body
			}
		}
		resp, err := t.next.RoundTrip(r)
		if err != nil || !retryable(resp.StatusCode) || !replayable || attempt >= t.maxAttempts {
			return resp, err
		}
		d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), t.now())
		if !ok {
			d = backoff
			backoff = min(backoff*2, t.maxWait)
		}
		if d > t.maxWait {
			return resp, nil
		}
		if deadline, ok := ctx.Deadline(); ok && !t.now().Add(d).Before(deadline) {
			return resp, nil
		}
		// Read what is left of the answer before closing it, so that its
		// connection goes back to the pool for the retry; bounded, as an
		// error body has no business being large.
		_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
		_ = resp.Body.Close()
		if err := t.wait(ctx, d); err != nil {
			return nil, err
		}
	}
}

// retryable reports whether an answer with this status asks to be retried.
func retryable(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable
}

// maxRetryAfterSeconds keeps an absurd Retry-After from overflowing a
// Duration; anything near it is far beyond any maxWait anyway.
const maxRetryAfterSeconds = 1 << 31

// parseRetryAfter reads a Retry-After value, delay-seconds or an HTTP date
// (RFC 9110 §10.2.3), as a wait from now; a date in the past is no wait. It
// reports false for an absent or malformed value, so the caller falls back to
// its default rather than retrying at once.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		return time.Duration(min(n, maxRetryAfterSeconds)) * time.Second, true
	}
	when, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(when.Sub(now), 0), true
}

// sleepContext waits d, or less if ctx ends first, and then says why.
func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
