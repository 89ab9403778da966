package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gisiaas/gisiaas/core"
)

// fakeAPI answers the few calls the test makes, as the API would.
func fakeAPI(t *testing.T) *httptest.Server {
	var throttled atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v3/auth/tokens", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Subject-Token", "tok-secret-1")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"token":{"methods":["password"],"user":{"id":"u1"},"project":{"id":"p1","name":"one"},"roles":[]}}`)
	})
	mux.HandleFunc("DELETE /v3/auth/tokens", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	auth := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-Auth-Token") != "tok-secret-1" {
				w.WriteHeader(http.StatusUnauthorized)
				io.WriteString(w, `{"error":{"code":401,"title":"Unauthorized","message":"X-Auth-Token is required"}}`)
				return
			}
			h(w, r)
		}
	}
	mux.HandleFunc("GET /v1/p1/datacenters", auth(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"datacenters":[{"id":"dc1","name":"one","kind":"region","driver":"fake","version":"1.2","health":"ok","capabilities":["B.4.1.1","B.4.1.3"]}]}`)
	}))
	mux.HandleFunc("POST /v1/p1/volumes", auth(func(w http.ResponseWriter, r *http.Request) {
		if !throttled.Swap(true) {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"error":{"code":429,"title":"Too Many Requests","message":"slow down"}}`)
			return
		}
		var body map[string]map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		v := body["volume"]
		for _, k := range []string{"tags", "project_id", "client_token"} {
			if _, ok := v[k]; ok {
				t.Errorf("the create body carries %s: %v", k, v)
			}
		}
		if v["datacenter_id"] != "dc1" || r.Header.Get("Idempotency-Key") != "key-1" || v["name"] != "v" {
			t.Errorf("create: body %v, key %q", v, r.Header.Get("Idempotency-Key"))
		}
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"volume":{"id":"vol1","name":"v","size_gb":1,"status":"creating","attachments":[],"datacenter_id":"dc1","project_id":"p1","created_at":"2026-01-02T03:04:05.000000Z","updated_at":null}}`)
	}))
	mux.HandleFunc("GET /v1/p1/volumes", auth(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("limit") == "" || r.URL.Query().Get("datacenter") != "dc1" {
			t.Errorf("list query %q", r.URL.RawQuery)
		}
		io.WriteString(w, `{"volumes":[{"id":"vol1","name":"v","size_gb":1,"status":"available","attachments":[],"datacenter_id":"dc1","project_id":"p1","created_at":"2026-01-02T03:04:05.000000Z"},{"id":"other","name":"o","status":"available","datacenter_id":"dc1","project_id":"p1"}]}`)
	}))
	mux.HandleFunc("GET /v1/p1/volumes/{id}", auth(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"error":{"code":404,"title":"Not Found","message":"volume %s not found"}}`, r.PathValue("id"))
	}))
	mux.HandleFunc("GET /v1/p1/servers/{id}", auth(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"server":{"id":"s1","name":"web","flavor_id":"f","status":"ACTIVE","volume_ids":[],"security_groups":["sg1"],
			"addresses":{"private":[{"address":"10.0.0.5","network_id":"n1","port_id":"port1","mac":"fa:16:3e:00:00:01"}],"floating":[],"public":[{"address":"203.0.113.9"}]},
			"datacenter_id":"dc1","project_id":"p1","created_at":"2026-01-02T03:04:05.000000Z"}}`)
	}))
	mux.HandleFunc("GET /v1/p1/events", auth(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Last-Event-ID") != "7" {
			t.Errorf("Last-Event-ID %q, want 7", r.Header.Get("Last-Event-ID"))
		}
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, ": heartbeat\n\n")
		for seq := 8; seq <= 9; seq++ {
			fmt.Fprintf(w, "id: %d\nevent: volume\ndata: {\"seq\":%d,\"id\":\"e%d\",\"resource_type\":\"volume\",\"resource_id\":\"vol1\",\"datacenter_id\":\"dc1\",\"project_id\":\"p1\",\"from_state\":\"creating\",\"to_state\":\"available\",\"attributes\":{\"size_gb\":1},\"time\":\"2026-01-02T03:04:05.000000Z\"}\n\n", seq, seq, seq)
		}
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestHTTPDriver: the driver's reading of the API — bodies wrapped and
// unwrapped, create meta as datacenter_id and Idempotency-Key, the run tag
// kept client-side, errors back to their kind with the API's message,
// addresses by kind, a 429 retried, events from the stream — with every
// call recorded and no secret in the record.
func TestHTTPDriver(t *testing.T) {
	srv := fakeAPI(t)
	ctx := context.Background()
	d, h, err := NewHTTP(ctx, HTTPConfig{Endpoint: srv.URL, Username: "alice", Password: "hunter2-pass", Project: "one"})
	if err != nil {
		t.Fatal(err)
	}
	if h.ProjectID() != "p1" || h.Datacenter() != "dc1" {
		t.Fatalf("project %q datacenter %q", h.ProjectID(), h.Datacenter())
	}
	info, err := d.Info(ctx)
	if err != nil || !info.Supports(core.ClauseVolumeCreate) || info.Supports(core.ClauseServerCreate) || info.StateTimeout != defaultHTTPStateTimeout || !info.CanReplay {
		t.Fatalf("Info: %+v, %v", info, err)
	}
	tags := map[string]string{RunTag: "run-1"}
	v, err := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: core.CreateMeta{ProjectID: "p1", ClientToken: "key-1", Tags: tags}, Name: "v", SizeGB: 1})
	if err != nil || v.ID != "vol1" || v.Tags[RunTag] != "run-1" || v.CreatedAt.Location().String() != "UTC" {
		t.Fatalf("CreateVolume: %+v, %v", v, err)
	}
	vs, err := d.ListVolumes(ctx, core.ListOptions{ProjectID: "p1", DatacenterID: "dc1"})
	if err != nil || len(vs) != 2 || vs[0].Tags[RunTag] != "run-1" || vs[1].Tags != nil {
		t.Fatalf("ListVolumes: %+v, %v", vs, err)
	}
	_, err = d.GetVolume(ctx, "missing")
	if core.KindOf(err) != core.NotFound || core.MessageOf(err) != "volume missing not found" {
		t.Fatalf("GetVolume of an unknown id: %v (%s)", err, core.KindOf(err))
	}
	s, err := d.GetServer(ctx, "s1")
	if err != nil || len(s.Addresses) != 2 || s.Addresses[0].Kind != core.AddressPrivate || s.Addresses[0].PortID != "port1" ||
		s.Addresses[1].Kind != core.AddressPublic || len(s.SecurityGroupIDs) != 1 {
		t.Fatalf("GetServer: %+v, %v", s, err)
	}
	ports, err := d.ListPorts(ctx, core.ListOptions{})
	if err == nil {
		t.Fatalf("ListPorts without a servers list answered %v", ports)
	}
	stop := errors.New("stop")
	var got []core.Event
	err = d.Watch(ctx, "7", func(e core.Event) error {
		got = append(got, e)
		if len(got) == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || got[1].Cursor != "9" || got[0].ResourceID != "vol1" || got[0].Attributes.SizeGB != 1 || got[0].Time.IsZero() {
		t.Fatalf("Watch: %v, %+v", err, got)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	xs := h.rec.take()
	if len(xs) < 8 {
		t.Fatalf("%d exchanges recorded", len(xs))
	}
	all, _ := json.Marshal(xs)
	for _, secret := range []string{"hunter2-pass", "tok-secret-1"} {
		if strings.Contains(string(all), secret) {
			t.Errorf("a recorded exchange holds %q: %s", secret, all)
		}
	}
	ops := map[string]bool{}
	for _, l := range h.rec.latencies() {
		ops[l.Op] = true
	}
	for _, op := range []string{"POST /v1/{project_id}/volumes", "GET /v1/{project_id}/volumes/{id}", "GET /v1/{project_id}/events"} {
		if !ops[op] {
			t.Errorf("no latency for %s: %v", op, ops)
		}
	}
}

func TestHTTPCreateBody(t *testing.T) {
	got := httpCreateBody(core.LoadBalancerCreate{CreateMeta: core.CreateMeta{ProjectID: "p", Tags: map[string]string{"a": "b"}},
		Name: "lb", Listeners: []core.Listener{{Protocol: "TCP", Port: 80}}}, "dc2")
	b, _ := json.Marshal(got)
	if string(b) != `{"datacenter_id":"dc2","listeners":[{"port":80,"protocol":"TCP"}],"name":"lb"}` {
		t.Fatalf("%s", b)
	}
}
