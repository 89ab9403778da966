package adapter

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/adapter/events"
	"github.com/gisiaas/gisiaas/adapter/identity"
	"github.com/gisiaas/gisiaas/adapter/registry"
	"github.com/gisiaas/gisiaas/adapter/store"
	"github.com/gisiaas/gisiaas/adapter/store/storetest"
	"github.com/gisiaas/gisiaas/core"
)

type sseEvent struct{ id, event, data string }

// sseStream is one open GET of the event stream.
type sseStream struct {
	resp   *http.Response
	r      *bufio.Reader
	cancel context.CancelFunc
}

func openStream(t *testing.T, url, token string, header map[string]string) *sseStream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	req.Header.Set("X-Auth-Token", token)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	s := &sseStream{resp: resp, r: bufio.NewReader(resp.Body), cancel: cancel}
	t.Cleanup(s.close)
	return s
}

// close disconnects, as a client going away does.
func (s *sseStream) close() {
	s.cancel()
	s.resp.Body.Close()
}

// next reads the next event, or the next comment when comments is set.
func (s *sseStream) next(t *testing.T, comments bool) sseEvent {
	t.Helper()
	var e sseEvent
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the stream: %v (so far %+v)", err, e)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if e != (sseEvent{}) {
				return e
			}
		case strings.HasPrefix(line, ":"):
			if comments {
				return sseEvent{data: line}
			}
		case strings.HasPrefix(line, "id: "):
			e.id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "event: "):
			e.event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			e.data += strings.TrimPrefix(line, "data: ")
		default:
			t.Fatalf("unexpected line %q", line)
		}
	}
}

var apiTimeRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`)

// TestEventStream: a client reads its project's events, disconnects and
// resumes with Last-Event-ID without losing or repeating any; another
// project's events never reach it; another project's token is refused; a
// resume point older than the retention is 410.
func TestEventStream(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ids := testIdentity(t, db)
		a, b := newTenant(t, ids, "alpha"), newTenant(t, ids, "beta")
		login := func(project tenant, user string) string {
			u, err := ids.CreateUser(ctx, user, user+"-secret", project.dep)
			if err != nil {
				t.Fatal(err)
			}
			if err := ids.GrantRole(ctx, project.project, u.ID, identity.RoleMember); err != nil {
				t.Fatal(err)
			}
			tok, err := ids.Authenticate(ctx, identity.Credentials{UserName: user, Password: user + "-secret",
				Scope: &identity.Scope{ProjectID: project.project}})
			if err != nil {
				t.Fatal(err)
			}
			return tok.Value
		}
		alice, bob := login(a, "alice"), login(b, "bob")
		reg, err := registry.Open(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		log := events.NewLog(db, events.WithRetention(events.Retention{MaxCount: 1000}))
		n := 0
		publish := func(ten tenant) events.Event {
			n++
			e, _, err := log.Publish(ctx, events.Event{DepartmentID: ten.dep, Event: core.Event{
				ID: fmt.Sprintf("ev-%d", n), Cursor: fmt.Sprint(n), ResourceType: core.TypeVolume, ResourceID: fmt.Sprintf("vol-%d", n),
				DatacenterID: "dc1", ProjectID: ten.project, FromState: "creating", ToState: "available",
				Attributes: core.EventAttributes{SizeGB: 10, VolumeType: "ssd"}, Time: time.Now()}})
			if err != nil {
				t.Fatal(err)
			}
			return e
		}
		var mine []events.Event
		for i := range 6 {
			if i%2 == 0 {
				mine = append(mine, publish(a))
			} else {
				publish(b)
			}
		}
		srv := httptest.NewServer(NewServer(Config{Identity: ids, Registry: reg, Events: log}))
		t.Cleanup(srv.Close)
		url := srv.URL + "/v1/" + a.project + "/events"

		s := openStream(t, url, alice, nil)
		if s.resp.StatusCode != 200 || !strings.HasPrefix(s.resp.Header.Get("Content-Type"), "text/event-stream") {
			t.Fatalf("%d %s", s.resp.StatusCode, s.resp.Header.Get("Content-Type"))
		}
		var seen []sseEvent
		for range 2 {
			seen = append(seen, s.next(t, false))
		}
		s.close()

		mine = append(mine, publish(b), publish(a)) // while disconnected
		s = openStream(t, url, alice, map[string]string{"Last-Event-ID": seen[1].id})
		seen = append(seen, s.next(t, false), s.next(t, false))
		mine = append(mine, publish(b), publish(a)) // live
		seen = append(seen, s.next(t, false))
		var want []events.Event
		for _, e := range mine {
			if e.ProjectID == a.project {
				want = append(want, e)
			}
		}
		if len(seen) != len(want) {
			t.Fatalf("read %d events, want %d", len(seen), len(want))
		}
		for i, got := range seen {
			var v map[string]any
			if err := json.Unmarshal([]byte(got.data), &v); err != nil {
				t.Fatalf("event %d data %q: %v", i, got.data, err)
			}
			w := want[i]
			if got.id != fmt.Sprint(w.Seq) || got.event != "volume" || v["id"] != w.ID || v["seq"] != float64(w.Seq) ||
				v["project_id"] != a.project || v["department_id"] != a.dep || v["to_state"] != "available" ||
				v["attributes"].(map[string]any)["size_gb"] != float64(10) || !apiTimeRE.MatchString(v["time"].(string)) {
				t.Fatalf("event %d: %+v %v, want %+v", i, got, v, w)
			}
		}
		s.close()

		// ?after= resumes too; Last-Event-ID wins over it.
		s = openStream(t, url+"?after="+seen[2].id, alice, nil)
		if got := s.next(t, false); got.id != seen[3].id {
			t.Fatalf("?after=%s: %+v", seen[2].id, got)
		}
		s.close()
		s = openStream(t, url+"?after=0", alice, map[string]string{"Last-Event-ID": seen[3].id})
		if got := s.next(t, false); got.id != seen[4].id {
			t.Fatalf("Last-Event-ID %s: %+v", seen[3].id, got)
		}
		s.close()

		for _, c := range []struct {
			token, path string
			header      map[string]string
			want        int
		}{
			{bob, "/v1/" + a.project + "/events", nil, 403},
			{"", "/v1/" + a.project + "/events", nil, 401},
			{alice, "/v1/" + a.project + "/events", map[string]string{"Last-Event-ID": "abc"}, 400},
			{alice, "/v1/" + a.project + "/events?after=-1", nil, 400},
		} {
			resp, body := call(t, "GET", srv.URL+c.path, "", mergeHeaders(map[string]string{"X-Auth-Token": c.token}, c.header))
			if resp.StatusCode != c.want {
				t.Errorf("%s %v: %d %v, want %d", c.path, c.header, resp.StatusCode, body, c.want)
			}
		}

		// Trimmed past the resume point: 410 with the A.0.3 body.
		trimmer := events.NewLog(db, events.WithRetention(events.Retention{MaxCount: 2}))
		if _, err := trimmer.Trim(ctx); err != nil {
			t.Fatal(err)
		}
		resp, body := call(t, "GET", url, "", map[string]string{"X-Auth-Token": alice, "Last-Event-ID": seen[0].id})
		if resp.StatusCode != 410 || body["error"].(map[string]any)["code"] != float64(410) {
			t.Fatalf("resume from a trimmed event: %d %v", resp.StatusCode, body)
		}
		s = openStream(t, url, alice, nil) // from the oldest retained (9, of beta; then 10): fine
		if got := s.next(t, false); got.id != fmt.Sprint(mine[len(mine)-1].Seq) {
			t.Fatalf("from the oldest retained: %+v", got)
		}
	})
}

func mergeHeaders(a, b map[string]string) map[string]string {
	for k, v := range b {
		a[k] = v
	}
	return a
}

// TestEventStreamHeartbeatAndDisabled: an idle stream gets comment lines;
// a server without a bus answers 503.
func TestEventStreamHeartbeatAndDisabled(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	ids := testIdentity(t, db)
	tok, err := ids.Authenticate(ctx, identity.Credentials{UserName: "admin", Password: "admin-secret",
		Scope: &identity.Scope{ProjectName: "admin", DepartmentName: "Default"}})
	if err != nil {
		t.Fatal(err)
	}
	path := "/v1/" + tok.Project.ID + "/events"

	off := httptest.NewServer(NewServer(Config{Identity: ids}))
	t.Cleanup(off.Close)
	if resp, body := call(t, "GET", off.URL+path, "", map[string]string{"X-Auth-Token": tok.Value}); resp.StatusCode != 503 {
		t.Fatalf("without a bus: %d %v", resp.StatusCode, body)
	}

	old := sseHeartbeat
	sseHeartbeat = 5 * time.Millisecond
	t.Cleanup(func() { sseHeartbeat = old })
	srv := httptest.NewUnstartedServer(NewServer(Config{Identity: ids, Events: events.NewLog(db)}))
	stop := make(chan struct{})
	srv.Config.BaseContext = func(net.Listener) context.Context { return WithStreamStop(context.Background(), stop) }
	srv.Start()
	t.Cleanup(srv.Close) // runs first: no handler reads sseHeartbeat once it is restored
	s := openStream(t, srv.URL+path, tok.Value, nil)
	if got := s.next(t, true); got.data != ": heartbeat" {
		t.Fatalf("idle stream: %+v", got)
	}

	// A stream lives no longer than its token: revoked, the stream says so
	// and ends.
	tok2, err := ids.Authenticate(ctx, identity.Credentials{UserName: "admin", Password: "admin-secret",
		Scope: &identity.Scope{ProjectName: "admin", DepartmentName: "Default"}})
	if err != nil {
		t.Fatal(err)
	}
	revoked := openStream(t, srv.URL+path, tok2.Value, nil)
	if err := ids.RevokeToken(ctx, tok2.Value); err != nil {
		t.Fatal(err)
	}
	var rest strings.Builder
	for {
		line, err := revoked.r.ReadString('\n')
		rest.WriteString(line)
		if err != nil {
			break
		}
	}
	if !strings.Contains(rest.String(), "event: error") || !strings.Contains(rest.String(), `"code":401`) {
		t.Fatalf("a revoked token's stream: %q", rest.String())
	}

	// A server shutting down ends its streams rather than wait for them.
	close(stop)
	for {
		if _, err := s.r.ReadString('\n'); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatalf("after the stop: %v, want the end of the stream", err)
			}
			break
		}
	}
}
