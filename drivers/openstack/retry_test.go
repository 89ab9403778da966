package openstack

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2"

	"github.com/gisiaas/gisiaas/core"
)

// script is a test server answering its requests from a list: the i-th
// request gets answers[i] (the last one repeats), and each request's body is
// recorded.
type script struct {
	mu      sync.Mutex
	answers []answer
	bodies  []string
	hits    atomic.Int32
}

type answer struct {
	status     int
	retryAfter string
	body       string
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	n := int(s.hits.Add(1))
	s.mu.Lock()
	s.bodies = append(s.bodies, string(b))
	a := s.answers[min(n, len(s.answers))-1]
	s.mu.Unlock()
	if a.retryAfter != "" {
		w.Header().Set("Retry-After", a.retryAfter)
	}
	w.WriteHeader(a.status)
	_, _ = io.WriteString(w, a.body)
}

func serve(t *testing.T, answers ...answer) (*script, *httptest.Server) {
	t.Helper()
	s := &script{answers: answers}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

// recorder replaces the transport's wait: it records the waits asked for and
// returns at once, so that tests of 1 s, 2 s, 4 s… backoffs take no time.
type recorder struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (r *recorder) wait(ctx context.Context, d time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.waits = append(r.waits, d)
	return ctx.Err()
}

func (r *recorder) got() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.waits)
}

func get(t *testing.T, ctx context.Context, rt http.RoundTripper, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Transport: rt}).Do(req)
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestRetrySucceedsAfterRetryAfterZero(t *testing.T) {
	s, srv := serve(t,
		answer{503, "0", "busy"},
		answer{429, "0", "slow down"},
		answer{200, "", "ok"})
	rt := newRetryTransport(nil, 5) // the real wait: Retry-After 0 sleeps nothing
	status, body := get(t, context.Background(), rt, srv.URL)
	if status != 200 || body != "ok" || s.hits.Load() != 3 {
		t.Errorf("got %d %q after %d requests, want 200 \"ok\" after 3", status, body, s.hits.Load())
	}
}

func TestRetryDefaultBackoffWithoutRetryAfter(t *testing.T) {
	s, srv := serve(t, answer{429, "", "slow down"})
	rt := newRetryTransport(nil, 8)
	rec := &recorder{}
	rt.wait = rec.wait
	status, body := get(t, context.Background(), rt, srv.URL)
	if status != 429 || body != "slow down" || s.hits.Load() != 8 {
		t.Errorf("got %d %q after %d requests, want the last 429 after 8", status, body, s.hits.Load())
	}
	want := []time.Duration{1 * time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second,
		16 * time.Second, 30 * time.Second, 30 * time.Second}
	if got := rec.got(); !slices.Equal(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
}

func TestRetryAfterSecondsAndDate(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	_, srv := serve(t,
		answer{503, "3", ""},
		answer{503, now.Add(7 * time.Second).Format(http.TimeFormat), ""},
		answer{503, "soon", ""}, // malformed: the default backoff, first step
		answer{204, "", ""})
	rt := newRetryTransport(nil, 4)
	rec := &recorder{}
	rt.wait, rt.now = rec.wait, func() time.Time { return now }
	if status, _ := get(t, context.Background(), rt, srv.URL); status != 204 {
		t.Fatalf("status %d, want 204", status)
	}
	want := []time.Duration{3 * time.Second, 7 * time.Second, 1 * time.Second}
	if got := rec.got(); !slices.Equal(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
}

func TestRetryDeadlineTooShortReturnsAtOnce(t *testing.T) {
	for _, retryAfter := range []string{"5", ""} { // asked for, and the 1 s default
		s, srv := serve(t, answer{503, retryAfter, "busy"}, answer{200, "", "ok"})
		rt := newRetryTransport(nil, 5)
		rt.wait = func(context.Context, time.Duration) error {
			t.Errorf("Retry-After %q: waited although the deadline does not allow it", retryAfter)
			return nil
		}
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		start := time.Now()
		status, body := get(t, ctx, rt, srv.URL)
		cancel()
		if status != 503 || body != "busy" || s.hits.Load() != 1 {
			t.Errorf("Retry-After %q: got %d %q after %d requests, want the first 503 intact", retryAfter, status, body, s.hits.Load())
		}
		if d := time.Since(start); d > 400*time.Millisecond {
			t.Errorf("Retry-After %q: returned after %v, not at once", retryAfter, d)
		}
	}
}

func TestRetryAfterLongerThanMaxWaitIsNotWaited(t *testing.T) {
	s, srv := serve(t, answer{429, "120", "later"}, answer{200, "", "ok"})
	rt := newRetryTransport(nil, 5)
	rec := &recorder{}
	rt.wait = rec.wait
	status, _ := get(t, context.Background(), rt, srv.URL)
	if status != 429 || s.hits.Load() != 1 || len(rec.got()) != 0 {
		t.Errorf("got %d after %d requests and waits %v, want the 429 at once", status, s.hits.Load(), rec.got())
	}
}

func TestRetryStopsAfterMaxAttempts(t *testing.T) {
	s, srv := serve(t, answer{503, "0", "still busy"})
	status, body := get(t, context.Background(), newRetryTransport(nil, 3), srv.URL)
	if status != 503 || body != "still busy" || s.hits.Load() != 3 {
		t.Errorf("got %d %q after %d requests, want the last 503 after 3", status, body, s.hits.Load())
	}
}

func TestRetryOtherStatusesAreNotRetried(t *testing.T) {
	for _, st := range []int{200, 400, 401, 404, 409, 413, 500, 502, 504} {
		s, srv := serve(t, answer{st, "0", ""}, answer{299, "", ""})
		if status, _ := get(t, context.Background(), newRetryTransport(nil, 5), srv.URL); status != st || s.hits.Load() != 1 {
			t.Errorf("%d: got %d after %d requests", st, status, s.hits.Load())
		}
	}
}

func TestRetryReplaysPOSTBody(t *testing.T) {
	s, srv := serve(t, answer{503, "0", ""}, answer{429, "0", ""}, answer{202, "", `{"server": {}}`})
	payload := `{"server": {"name": "gis-1", "flavorRef": "m1.small", "imageRef": "9c1"}}`
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL, strings.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Transport: newRetryTransport(nil, 5)}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 202 {
		t.Fatalf("status %d, want 202", resp.StatusCode)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.bodies) != 3 {
		t.Fatalf("%d requests, want 3", len(s.bodies))
	}
	for i, b := range s.bodies {
		if b != payload {
			t.Errorf("request %d carried %q, want %q", i+1, b, payload)
		}
	}
}

func TestRetryBodyWithoutGetBodyIsNotRetried(t *testing.T) {
	s, srv := serve(t, answer{503, "0", "busy"}, answer{201, "", ""})
	// A streamed upload: net/http cannot set GetBody for an arbitrary reader.
	stream := io.MultiReader(strings.NewReader("image "), strings.NewReader("bytes"))
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPut, srv.URL, stream)
	if err != nil {
		t.Fatal(err)
	}
	if req.GetBody != nil {
		t.Fatal("test broken: the request has GetBody")
	}
	resp, err := newRetryTransport(nil, 5).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 || s.hits.Load() != 1 {
		t.Errorf("got %d after %d requests, want the 503 after 1", resp.StatusCode, s.hits.Load())
	}
}

func TestRetryCanceledDuringWait(t *testing.T) {
	_, srv := serve(t, answer{503, "", "busy"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rt := newRetryTransport(nil, 5)
	rt.wait = func(ctx context.Context, d time.Duration) error {
		cancel() // the caller gives up while we wait
		return sleepContext(ctx, d)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	_, err := (&http.Client{Transport: rt}).Do(req)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if got := classify("GetServer", err); core.KindOf(got) != core.Unavailable || !errors.Is(got, context.Canceled) {
		t.Errorf("classify = %v, want Unavailable wrapping context.Canceled", got)
	}
}

// TestRetryUnderGophercloud runs the transport where the driver will put it,
// under a ProviderClient: gophercloud's JSON body is replayed, and what the
// transport finally gives up on reaches classify as gophercloud reports it.
func TestRetryUnderGophercloud(t *testing.T) {
	s, srv := serve(t, answer{503, "0", ""}, answer{200, "", `{"ok": true}`})
	pc := &gophercloud.ProviderClient{HTTPClient: http.Client{Transport: newRetryTransport(nil, 5)}}
	var out struct {
		OK bool `json:"ok"`
	}
	_, err := pc.Request(context.Background(), http.MethodPost, srv.URL, &gophercloud.RequestOpts{
		JSONBody: map[string]string{"name": "gis-1"}, JSONResponse: &out, OkCodes: []int{200}})
	if err != nil || !out.OK {
		t.Fatalf("Request: %v, ok=%v", err, out.OK)
	}
	s.mu.Lock()
	bodies := slices.Clone(s.bodies)
	s.mu.Unlock()
	if len(bodies) != 2 || bodies[0] != bodies[1] || !bytes.Contains([]byte(bodies[1]), []byte("gis-1")) {
		t.Errorf("bodies %q, want the same JSON twice", bodies)
	}

	_, srv2 := serve(t, answer{429, "0", `{"overLimit": {"code": 429, "message": "rate limited"}}`})
	pc2 := &gophercloud.ProviderClient{HTTPClient: http.Client{Transport: newRetryTransport(nil, 2)}}
	_, err = pc2.Request(context.Background(), http.MethodGet, srv2.URL, &gophercloud.RequestOpts{OkCodes: []int{200}})
	got := classify("ListServers", err)
	if core.KindOf(got) != core.Throttled || core.MessageOf(got) != "rate limited" {
		t.Errorf("classify = %v, want Throttled \"rate limited\"", got)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		v    string
		d    time.Duration
		ok   bool
		name string
	}{
		{"0", 0, true, "zero"},
		{"5", 5 * time.Second, true, "seconds"},
		{" 7 ", 7 * time.Second, true, "spaces"},
		{"99999999999999", maxRetryAfterSeconds * time.Second, true, "absurd, no overflow"},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true, "HTTP date"},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true, "date in the past"},
		{"-1", 0, false, "negative"},
		{"1.5", 0, false, "fraction"},
		{"soon", 0, false, "word"},
		{"", 0, false, "absent"},
	}
	for _, c := range cases {
		d, ok := parseRetryAfter(c.v, now)
		if d != c.d || ok != c.ok {
			t.Errorf("%s: parseRetryAfter(%q) = %v, %v; want %v, %v", c.name, c.v, d, ok, c.d, c.ok)
		}
	}
}
