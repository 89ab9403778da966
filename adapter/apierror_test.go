package adapter

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gisiaas/gisiaas/core"
)

// TestA03ErrorShape proves SPEC A.0.3: every kind is answered with its one
// status and the {"error":{code,title,message}} body.
func TestA03ErrorShape(t *testing.T) {
	cases := []struct {
		kind   core.Kind
		status int
		title  string
	}{
		{core.NotFound, 404, "Not Found"},
		{core.Conflict, 409, "Conflict"},
		{core.InvalidArgument, 400, "Bad Request"},
		{core.Unauthenticated, 401, "Unauthorized"},
		{core.PermissionDenied, 403, "Forbidden"},
		{core.QuotaExceeded, 413, "Quota Exceeded"},
		{core.Unsupported, 501, "Not Implemented"},
		{core.Unavailable, 503, "Service Unavailable"},
		{core.Throttled, 429, "Too Many Requests"},
		{core.Gone, 410, "Gone"},
		{core.Internal, 500, "Internal Server Error"},
	}
	if len(cases) != len(core.Kinds) {
		t.Fatalf("table covers %d kinds, core has %d", len(cases), len(core.Kinds))
	}
	for _, c := range cases {
		t.Run(string(c.kind), func(t *testing.T) {
			rec := httptest.NewRecorder()
			WriteError(rec, core.Errorf(c.kind, "volume 42 is in use"))
			if rec.Code != c.status {
				t.Fatalf("status %d, want %d", rec.Code, c.status)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Fatalf("content type %q", ct)
			}
			var body map[string]map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", rec.Body, err)
			}
			e := body["error"]
			if e["code"] != float64(c.status) || e["title"] != c.title || e["message"] != "volume 42 is in use" {
				t.Fatalf("body %v", e)
			}
			if len(e) != 3 {
				t.Fatalf("body has extra fields: %v", e)
			}
		})
	}
}

func TestA03UnclassifiedErrorHidesInternals(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteError(rec, errors.New("pq: password authentication failed for user gisiaas"))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d", rec.Code)
	}
	if strings.Contains(rec.Body.String(), "password") {
		t.Fatalf("internal detail leaked: %s", rec.Body)
	}
}

// TestUnavailableCausesStayInTheLog: an unavailable or internal error that
// only wraps a cause (a database's text) answers a generic message; one
// that states its own message keeps it.
func TestUnavailableCausesStayInTheLog(t *testing.T) {
	wrapped := core.Wrap(core.Unavailable, "registry.Put", errors.New(`relation "create_intents" does not exist (SQLSTATE 42P01) at 10.0.0.5:5432`))
	if m := ErrorFor(wrapped).Error.Message; strings.Contains(m, "SQLSTATE") || strings.Contains(m, "10.0.0.5") || m == "" {
		t.Fatalf("wrapped cause leaked: %q", m)
	}
	own := core.Errorf(core.Unavailable, "datacenter dc2 is failing; calls are paused")
	if m := ErrorFor(own).Error.Message; m != "datacenter dc2 is failing; calls are paused" {
		t.Fatalf("own message lost: %q", m)
	}
	if m := ErrorFor(core.Wrap(core.NotFound, "x", errors.New("server s1 not found"))).Error.Message; m != "server s1 not found" {
		t.Fatalf("a not-found cause: %q", m)
	}
}
