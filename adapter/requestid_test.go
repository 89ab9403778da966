package adapter

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gisiaas/gisiaas/core"
)

// TestA02RequestID proves the request-id half of SPEC A.0.2: every response,
// errors included, carries X-Request-Id — the client's when sane.
func TestA02RequestID(t *testing.T) {
	var seen string
	h := RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = RequestIDFrom(r.Context())
		WriteError(w, core.Errorf(core.NotFound, "no such server"))
	}))
	cases := []struct {
		name, sent string
		keep       bool
	}{
		{"client id kept", "abc-123", true},
		{"none sent", "", false},
		{"spaces refused", "a b", false},
		{"control refused", "a\x01b", false},
		{"too long refused", strings.Repeat("x", 129), false},
	}
	ids := map[string]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/v1/p/servers/x", nil)
			if c.sent != "" {
				req.Header.Set(RequestIDHeader, c.sent)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			got := rec.Header().Get(RequestIDHeader)
			if got == "" || got != seen {
				t.Fatalf("header %q, handler saw %q", got, seen)
			}
			if c.keep != (got == c.sent) {
				t.Fatalf("sent %q got %q, keep=%v", c.sent, got, c.keep)
			}
			if !c.keep {
				if !strings.HasPrefix(got, "req-") || ids[got] {
					t.Fatalf("generated id %q not fresh", got)
				}
				ids[got] = true
			}
			if rec.Code != 404 {
				t.Fatalf("status %d", rec.Code)
			}
		})
	}
}
