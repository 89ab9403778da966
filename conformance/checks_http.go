package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gisiaas/gisiaas/core"
)

// The checks only an HTTP deployment can be put to: the transport and
// error conventions of A.0, authentication (B.1.1), pagination, idempotency
// keys and the isolation of projects. They call the API raw, through
// e.HTTP, so what is asserted is the wire, not the driver's reading of it.

func init() {
	register(
		Check{Clause: "A.0.1", Name: "scheme", HTTPOnly: true, Run: checkHTTPScheme},
		Check{Clause: "A.0.1", Name: "methods", HTTPOnly: true, Run: checkHTTPMethods},
		Check{Clause: "A.0.2", Name: "token required", HTTPOnly: true, Run: checkHTTPTokenRequired},
		Check{Clause: "A.0.2", Name: "request id", HTTPOnly: true, Run: checkHTTPRequestID},
		Check{Clause: "A.0.3", Name: "not found", HTTPOnly: true, Run: checkHTTPNotFoundBody},
		Check{Clause: "A.0.3", Name: "bad request", HTTPOnly: true, Run: checkHTTPBadRequestBody},
		Check{Clause: "A.0.3", Name: "other project's path", HTTPOnly: true, Run: checkHTTPOtherProjectPath},
		Check{Clause: "A.0.3", Name: "isolation", HTTPOnly: true, Run: checkHTTPIsolation},
		Check{Clause: "A.0.4", Name: "timestamps", HTTPOnly: true, Run: checkHTTPTimestamps},
		Check{Clause: "A.0.4", Name: "utf-8", HTTPOnly: true, Run: checkHTTPUTF8},
		Check{Clause: core.ClauseAuth, Name: "token lifecycle", HTTPOnly: true, Run: checkHTTPTokenLifecycle},
		Check{Clause: core.ClauseAuth, Name: "wrong password", HTTPOnly: true, Run: checkHTTPWrongPassword},
		Check{Clause: core.ClauseAuth, Name: "unscoped token", HTTPOnly: true, Run: checkHTTPUnscopedToken},
		Check{Clause: core.ClauseServerList, Name: "pagination", Needs: core.ClauseServerList, HTTPOnly: true, Run: checkHTTPPagination,
			Unsupported: func(ctx context.Context, e *Env) error {
				_, err := e.Driver.ListServers(ctx, core.ListOptions{ProjectID: e.Project, DatacenterID: e.Datacenter})
				return err
			}},
		Check{Clause: core.ClauseVolumeCreate, Name: "idempotency key", Needs: core.ClauseVolumeCreate, HTTPOnly: true, Run: checkHTTPIdempotencyKey,
			Unsupported: func(ctx context.Context, e *Env) error {
				v, err := e.Driver.CreateVolume(ctx, core.VolumeCreate{CreateMeta: e.Meta(), Name: e.Name("vol"), SizeGB: 1})
				if err == nil {
					e.Cleanup("volume "+v.ID, func(ctx context.Context) error { return httpDeleteVolume(ctx, e, v.ID) })
				}
				return err
			}},
	)
}

// httpTargetOf is the check's HTTP target; its absence is the suite's fault.
func httpTargetOf(e *Env) (*HTTPTarget, error) {
	if e.HTTP == nil {
		return nil, Broken(errors.New("an HTTP-only check ran without an HTTP target"))
	}
	return e.HTTP, nil
}

// httpCall makes a raw call and fails on a transport error.
func httpCall(ctx context.Context, h *HTTPTarget, q Req) (*Resp, error) {
	r, err := h.Do(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", q.Method, q.Path, err)
	}
	return r, nil
}

// httpWantStatus checks an answer's status; for an error status, also the
// A.0.3 body and the request id.
func httpWantStatus(what string, r *Resp, want int) error {
	if r.Status != want {
		return Failf("%s: answered %d %s, want %d", what, r.Status, httpTrim(r.Body), want)
	}
	if r.Header.Get("X-Request-Id") == "" {
		return Failf("%s: the %d answer has no X-Request-Id (A.0.2)", what, r.Status)
	}
	if want >= 400 {
		return httpWantErrorBody(what, r)
	}
	return nil
}

// httpWantErrorBody checks the A.0.3 shape: a JSON object {"error": {"code",
// "title", "message"}}, the code the answer's status, title and message
// set.
func httpWantErrorBody(what string, r *Resp) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return Failf("%s: the error's Content-Type is %q, want application/json", what, r.Header.Get("Content-Type"))
	}
	var eb ErrorBody
	if err := json.Unmarshal(r.Body, &eb); err != nil {
		return Failf("%s: the error body is not the A.0.3 object: %v: %s", what, err, httpTrim(r.Body))
	}
	switch {
	case eb.Error.Code == nil || eb.Error.Title == nil || eb.Error.Message == nil:
		return Failf("%s: the error body lacks code, title or message: %s", what, httpTrim(r.Body))
	case *eb.Error.Code != r.Status:
		return Failf("%s: error.code %d, but the status is %d", what, *eb.Error.Code, r.Status)
	case strings.TrimSpace(*eb.Error.Title) == "" || strings.TrimSpace(*eb.Error.Message) == "":
		return Failf("%s: error.title and error.message must say something: %s", what, httpTrim(r.Body))
	}
	return nil
}

func httpTrim(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// httpOtherProject is a project path the run's token is not scoped to: the
// second user's project when given, else an id made for the run.
func httpOtherProject(ctx context.Context, e *Env, h *HTTPTarget) (string, error) {
	if h.HasSecond() {
		s, err := h.secondSession(ctx)
		if err != nil {
			return "", Broken(err)
		}
		return s.projectID, nil
	}
	return "conformance-other-" + e.RunID[:12], nil
}

// ---- A.0.1 ----

func checkHTTPScheme(ctx context.Context, e *Env) error {
	h, err := httpTargetOf(e)
	if err != nil {
		return err
	}
	r, err := httpCall(ctx, h, Req{Method: "GET", Path: h.ProjectPath("/datacenters"), Op: httpProjectTemplate + "/datacenters"})
	if err != nil {
		return err
	}
	if err := httpWantStatus("GET datacenters", r, http.StatusOK); err != nil {
		return err
	}
	if h.base.Scheme != "https" {
		return nil // nothing more to prove of plain HTTP
	}
	if !r.TLS {
		return Failf("the endpoint is https but the answer did not come over TLS")
	}
	// The same port must not serve the API in clear: the document is
	// public, so it is asked for without a token that could leak.
	plain := *h.base
	plain.Scheme, plain.Path = "http", h.base.Path+"/openapi.yaml"
	req, err := http.NewRequestWithContext(ctx, "GET", plain.String(), nil)
	if err != nil {
		return Broken(err)
	}
	client := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		if resp.StatusCode < 300 {
			return Failf("plain HTTP on the https port answered %d: the API is served unencrypted", resp.StatusCode)
		}
	}
	return nil
}

func checkHTTPMethods(ctx context.Context, e *Env) error {
	h, err := httpTargetOf(e)
	if err != nil {
		return err
	}
	srv := h.ProjectPath("/servers/" + noSuch)
	img := h.ProjectPath("/images/" + noSuch)
	lbm := h.ProjectPath("/loadbalancers/" + noSuch + "/members")
	// Each method reaches its route, which answers that the id does not
	// exist (404): the method is routed, not refused.
	routed := []Req{
		{Method: "GET", Path: srv, Op: httpProjectTemplate + "/servers/{id}"},
		{Method: "PUT", Path: srv, Op: httpProjectTemplate + "/servers/{id}", Body: map[string]any{"server": map[string]any{"name": e.Name("x")}}},
		{Method: "DELETE", Path: srv, Op: httpProjectTemplate + "/servers/{id}"},
		{Method: "POST", Path: srv + "/stop", Op: httpProjectTemplate + "/servers/{id}/stop"},
		{Method: "PATCH", Path: img, Op: httpProjectTemplate + "/images/{id}", ContentType: httpImagePatchType,
			Body: []map[string]any{{"op": "replace", "path": "/name", "value": e.Name("x")}}},
		{Method: "PATCH", Path: lbm, Op: httpProjectTemplate + "/loadbalancers/{id}/members",
			Body: map[string]any{"remove": []map[string]any{{"address": "192.0.2.1"}}}},
	}
	for _, q := range routed {
		r, err := httpCall(ctx, h, q)
		if err != nil {
			return err
		}
		if r.Status == http.StatusMethodNotAllowed || r.Status == http.StatusNotImplemented {
			return Failf("%s %s: %d: the method is not routed", q.Method, q.Op, r.Status)
		}
		if err := httpWantStatus(q.Method+" "+q.Op+" of an unknown id", r, http.StatusNotFound); err != nil {
			return err
		}
		// The route's own answer names the id it looked up; a method
		// nothing routes would get a generic not found.
		var eb ErrorBody
		_ = json.Unmarshal(r.Body, &eb)
		if !strings.Contains(*eb.Error.Message, noSuch) {
			return Failf("%s %s: %q does not name the id: is the method routed?", q.Method, q.Op, *eb.Error.Message)
		}
	}
	return nil
}

// ---- A.0.2 ----

func checkHTTPTokenRequired(ctx context.Context, e *Env) error {
	h, err := httpTargetOf(e)
	if err != nil {
		return err
	}
	calls := []Req{
		{Method: "GET", Path: h.ProjectPath("/servers"), Op: httpProjectTemplate + "/servers"},
		{Method: "POST", Path: h.ProjectPath("/volumes"), Op: httpProjectTemplate + "/volumes",
			Body: map[string]any{"volume": map[string]any{"name": e.Name("vol"), "size_gb": 1}}},
		{Method: "DELETE", Path: h.ProjectPath("/servers/" + noSuch), Op: httpProjectTemplate + "/servers/{id}"},
		{Method: "GET", Path: "/v3/auth/tokens", Header: http.Header{"X-Subject-Token": {"conformance-not-a-token"}}},
	}
	for _, q := range calls {
		for _, tok := range []string{"", "conformance-not-a-token-" + e.RunID} {
			q := q
			what := q.Method + " " + q.Path + " without a token"
			if tok == "" {
				q.NoAuth = true
			} else {
				q.Token, what = tok, q.Method+" "+q.Path+" with a made-up token"
			}
			r, err := httpCall(ctx, h, q)
			if err != nil {
				return err
			}
			if err := httpWantStatus(what, r, http.StatusUnauthorized); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkHTTPRequestID(ctx context.Context, e *Env) error {
	h, err := httpTargetOf(e)
	if err != nil {
		return err
	}
	for i, c := range []struct {
		q    Req
		want int
	}{
		{Req{Method: "GET", Path: h.ProjectPath("/datacenters"), Op: httpProjectTemplate + "/datacenters"}, http.StatusOK},
		{Req{Method: "GET", Path: h.ProjectPath("/servers/" + noSuch), Op: httpProjectTemplate + "/servers/{id}"}, http.StatusNotFound},
		{Req{Method: "GET", Path: h.ProjectPath("/servers"), Op: httpProjectTemplate + "/servers", NoAuth: true}, http.StatusUnauthorized},
	} {
		// Each answer has one of its own…
		r, err := httpCall(ctx, h, c.q)
		if err != nil {
			return err
		}
		if err := httpWantStatus(c.q.Method+" "+c.q.Op, r, c.want); err != nil {
			return err
		}
		// …and echoes the client's.
		mine := fmt.Sprintf("conf-%s-%d", e.RunID[:12], i)
		q := c.q
		q.Header = http.Header{"X-Request-Id": {mine}}
		if r, err = httpCall(ctx, h, q); err != nil {
			return err
		}
		if got := r.Header.Get("X-Request-Id"); got != mine {
			return Failf("%s %s with X-Request-Id %s: answered %q, want it echoed", q.Method, q.Op, mine, got)
		}
	}
	return nil
}

// ---- A.0.3 ----

func checkHTTPNotFoundBody(ctx context.Context, e *Env) error {
	h, err := httpTargetOf(e)
	if err != nil {
		return err
	}
	for _, coll := range []string{"/servers/", "/volumes/", "/security-groups/"} {
		r, err := httpCall(ctx, h, Req{Method: "GET", Path: h.ProjectPath(coll + noSuch), Op: httpProjectTemplate + coll + "{id}"})
		if err != nil {
			return err
		}
		if err := httpWantStatus("GET "+coll+" of an unknown id", r, http.StatusNotFound); err != nil {
			return err
		}
	}
	return nil
}

func checkHTTPBadRequestBody(ctx context.Context, e *Env) error {
	h, err := httpTargetOf(e)
	if err != nil {
		return err
	}
	for _, c := range []struct{ what, body string }{
		{"malformed JSON", `{"volume": {"size_gb": 1`},
		{"a string for a number", `{"volume": {"size_gb": "one"}}`},
		{"an unknown member", `{"volume": {"size_gb": 1, "colour": "blue"}}`},
	} {
		r, err := httpCall(ctx, h, Req{Method: "POST", Path: h.ProjectPath("/volumes"), Op: httpProjectTemplate + "/volumes",
			Raw: []byte(c.body), ContentType: "application/json"})
		if err != nil {
			return err
		}
		if err := httpWantStatus("POST volumes with "+c.what, r, http.StatusBadRequest); err != nil {
			return err
		}
	}
	return nil
}

func checkHTTPOtherProjectPath(ctx context.Context, e *Env) error {
	h, err := httpTargetOf(e)
	if err != nil {
		return err
	}
	other, err := httpOtherProject(ctx, e, h)
	if err != nil {
		return err
	}
	for _, q := range []Req{
		{Method: "GET", Path: "/v1/" + other + "/servers", Op: httpProjectTemplate + "/servers"},
		{Method: "POST", Path: "/v1/" + other + "/volumes", Op: httpProjectTemplate + "/volumes",
			Body: map[string]any{"volume": map[string]any{"name": e.Name("vol"), "size_gb": 1}}},
		{Method: "DELETE", Path: "/v1/" + other + "/volumes/" + noSuch, Op: httpProjectTemplate + "/volumes/{id}"},
	} {
		r, err := httpCall(ctx, h, q)
		if err != nil {
			return err
		}
		if err := httpWantStatus(q.Method+" on another project's path", r, http.StatusForbidden); err != nil {
			return err
		}
	}
	return nil
}

// probe is a resource a check made to look at over the wire: its
// collection and id.
type httpProbe struct {
	coll, one, id, name string
}

// httpNewProbe creates the cheapest resource the target declares — a security
// group, else a volume, else a public IP — named name, through the driver
// (so it carries the run tag), with its cleanup.
func httpNewProbe(ctx context.Context, e *Env, name string) (httpProbe, error) {
	switch {
	case e.Info.Supports(core.ClauseSecGroupCreate):
		g, err := e.Driver.CreateSecurityGroup(ctx, core.SecurityGroupCreate{CreateMeta: e.Meta(), Name: name})
		if err != nil {
			return httpProbe{}, fmt.Errorf("CreateSecurityGroup: %w", err)
		}
		e.Cleanup("security group "+g.ID, func(ctx context.Context) error {
			if err := e.Driver.DeleteSecurityGroup(ctx, g.ID); err != nil {
				return err
			}
			return waitGone(ctx, e, "security group "+g.ID, func(ctx context.Context) error {
				_, err := e.Driver.GetSecurityGroup(ctx, g.ID)
				return err
			})
		})
		return httpProbe{"/security-groups/", "security_group", g.ID, name}, nil
	case e.Info.Supports(core.ClauseVolumeCreate):
		v, err := e.Driver.CreateVolume(ctx, core.VolumeCreate{CreateMeta: e.Meta(), Name: name, SizeGB: 1})
		if err != nil {
			return httpProbe{}, fmt.Errorf("CreateVolume: %w", err)
		}
		e.Cleanup("volume "+v.ID, func(ctx context.Context) error { return httpDeleteVolume(ctx, e, v.ID) })
		return httpProbe{"/volumes/", "volume", v.ID, name}, nil
	case e.Info.Supports(core.ClausePublicIPCreate):
		p, err := e.Driver.CreatePublicIP(ctx, core.PublicIPCreate{CreateMeta: e.Meta(), Name: name})
		if err != nil {
			return httpProbe{}, fmt.Errorf("CreatePublicIP: %w", err)
		}
		e.Cleanup("public IP "+p.ID, func(ctx context.Context) error {
			if err := e.Driver.DeletePublicIP(ctx, p.ID); err != nil {
				return err
			}
			return waitGone(ctx, e, "public IP "+p.ID, func(ctx context.Context) error {
				_, err := e.Driver.GetPublicIP(ctx, p.ID)
				return err
			})
		})
		return httpProbe{"/publicips/", "publicip", p.ID, name}, nil
	}
	return httpProbe{}, Broken(errors.New("the target declares no security groups, volumes or public IPs to create"))
}

// httpDeleteVolume waits until volume id is out of its transitional state
// (a volume being created cannot be deleted), deletes it and waits until
// it is gone.
func httpDeleteVolume(ctx context.Context, e *Env, id string) error {
	err := e.Eventually(ctx, "volume "+id+" to settle", func(ctx context.Context) (bool, error) {
		v, err := e.Driver.GetVolume(ctx, id)
		if err != nil {
			return false, err
		}
		return v.Status == core.VolumeAvailable || v.Status == core.VolumeError, nil
	})
	if err != nil {
		return err
	}
	if err := e.Driver.DeleteVolume(ctx, id); err != nil {
		return err
	}
	return waitGone(ctx, e, "volume "+id, func(ctx context.Context) error {
		_, err := e.Driver.GetVolume(ctx, id)
		return err
	})
}

// checkIsolation: another project's user cannot reach the run's project,
// by its path (403) nor by naming its resource's id under their own
// (404, as an id that does not exist). Without a second user only the
// first half can be proven: the resource under a path the token is not
// scoped to is 403 and reveals nothing.
func checkHTTPIsolation(ctx context.Context, e *Env) error {
	h, err := httpTargetOf(e)
	if err != nil {
		return err
	}
	p, err := httpNewProbe(ctx, e, e.Name("iso"))
	if err != nil {
		return err
	}
	own := Req{Method: "GET", Path: h.ProjectPath(p.coll + p.id), Op: httpProjectTemplate + p.coll + "{id}"}
	if !h.HasSecond() {
		e.Note("isolation from a second user's own project (no --second-* credentials were given)")
		other := "/v1/conformance-other-" + e.RunID[:12] + p.coll + p.id
		r, err := httpCall(ctx, h, Req{Method: "GET", Path: other, Op: httpProjectTemplate + p.coll + "{id}"})
		if err != nil {
			return err
		}
		if err := httpWantStatus("the run's resource under another project's path", r, http.StatusForbidden); err != nil {
			return err
		}
		if strings.Contains(string(r.Body), p.name) {
			return Failf("the refusal reveals the resource: %s", httpTrim(r.Body))
		}
		return nil
	}
	s2, err := h.secondSession(ctx)
	if err != nil {
		return Broken(err)
	}
	// The second user on the run's project: 403 whatever the call.
	for _, q := range []Req{
		{Method: "GET", Path: h.ProjectPath("/servers"), Op: httpProjectTemplate + "/servers", Token: s2.token},
		{Method: "GET", Path: own.Path, Op: own.Op, Token: s2.token},
		{Method: "DELETE", Path: own.Path, Op: own.Op, Token: s2.token},
	} {
		r, err := httpCall(ctx, h, q)
		if err != nil {
			return err
		}
		if err := httpWantStatus("the second project's user: "+q.Method+" "+q.Op+" of the run's project", r, http.StatusForbidden); err != nil {
			return err
		}
	}
	// The second user naming the run's resource on their own path: 404.
	mine := "/v1/" + s2.projectID + p.coll + p.id
	for _, method := range []string{"GET", "DELETE"} {
		r, err := httpCall(ctx, h, Req{Method: method, Path: mine, Op: own.Op, Token: s2.token})
		if err != nil {
			return err
		}
		if err := httpWantStatus("the second project's user: "+method+" the run's resource under their project", r, http.StatusNotFound); err != nil {
			return err
		}
	}
	r, err := httpCall(ctx, h, Req{Method: "GET", Path: "/v1/" + s2.projectID + strings.TrimSuffix(p.coll, "/"),
		Op: httpProjectTemplate + strings.TrimSuffix(p.coll, "/"), Token: s2.token})
	if err != nil {
		return err
	}
	if err := httpWantStatus("the second project's list", r, http.StatusOK); err != nil {
		return err
	}
	if strings.Contains(string(r.Body), p.id) {
		return Failf("the second project's list shows the run's resource %s", p.id)
	}
	// And the resource is untouched.
	r, err = httpCall(ctx, h, own)
	if err != nil {
		return err
	}
	return httpWantStatus("the run's resource after the second user's attempts", r, http.StatusOK)
}

// ---- A.0.4 ----

// httpISOUTC is A.0.4's time: ISO 8601, UTC with Z, fractions allowed.
var httpISOUTC = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$`)

// httpWantISOUTC checks a time as the wire carries it, and that it is near
// now (within an hour: clocks drift, time zones do not).
func httpWantISOUTC(what string, raw json.RawMessage) error {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return Failf("%s: %s is not a string", what, raw)
	}
	if !httpISOUTC.MatchString(s) {
		return Failf("%s: %q is not ISO 8601 UTC with Z", what, s)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return Failf("%s: %q: %v", what, s, err)
	}
	if d := time.Since(t); d > time.Hour || d < -time.Hour {
		return Failf("%s: %s is %s from now: not UTC?", what, s, d.Round(time.Second))
	}
	return nil
}

func checkHTTPTimestamps(ctx context.Context, e *Env) error {
	h, err := httpTargetOf(e)
	if err != nil {
		return err
	}
	p, err := httpNewProbe(ctx, e, e.Name("ts"))
	if err != nil {
		return err
	}
	r, err := httpCall(ctx, h, Req{Method: "GET", Path: h.ProjectPath(p.coll + p.id), Op: httpProjectTemplate + p.coll + "{id}"})
	if err != nil {
		return err
	}
	if err := httpWantStatus("GET the created "+p.one, r, http.StatusOK); err != nil {
		return err
	}
	var body map[string]map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &body); err != nil || body[p.one] == nil {
		return Failf("GET %s: no %q object: %s", p.one, p.one, httpTrim(r.Body))
	}
	if err := httpWantISOUTC(p.one+".created_at", body[p.one]["created_at"]); err != nil {
		return err
	}
	if u := body[p.one]["updated_at"]; u != nil && string(u) != "null" {
		if err := httpWantISOUTC(p.one+".updated_at", u); err != nil {
			return err
		}
	}
	return nil
}

func checkHTTPUTF8(ctx context.Context, e *Env) error {
	h, err := httpTargetOf(e)
	if err != nil {
		return err
	}
	// Latin, CJK, Cyrillic and a character outside the BMP.
	name := e.Name("utf8") + "-Größe-地图-карта-🌍"
	p, err := httpNewProbe(ctx, e, name)
	if err != nil {
		return err
	}
	r, err := httpCall(ctx, h, Req{Method: "GET", Path: h.ProjectPath(p.coll + p.id), Op: httpProjectTemplate + p.coll + "{id}"})
	if err != nil {
		return err
	}
	if err := httpWantStatus("GET the created "+p.one, r, http.StatusOK); err != nil {
		return err
	}
	if !utf8.Valid(r.Body) {
		return Failf("the answer is not valid UTF-8")
	}
	ct := r.Header.Get("Content-Type")
	if mt, params, _ := mime.ParseMediaType(ct); mt != "application/json" || (params["charset"] != "" && !strings.EqualFold(params["charset"], "utf-8")) {
		return Failf("Content-Type %q: want application/json in UTF-8", ct)
	}
	var body map[string]struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		return Failf("GET %s: %v", p.one, err)
	}
	if got := body[p.one].Name; got != name {
		return Failf("the name %q came back as %q", name, got)
	}
	return nil
}

// ---- B.1.1 ----

func checkHTTPTokenLifecycle(ctx context.Context, e *Env) error {
	h, err := httpTargetOf(e)
	if err != nil {
		return err
	}
	r, err := httpCall(ctx, h, Req{Method: "POST", Path: "/v3/auth/tokens", Body: httpAuthBody(h.creds, true), NoAuth: true})
	if err != nil {
		return err
	}
	if err := httpWantStatus("authenticate", r, http.StatusCreated); err != nil {
		return err
	}
	tok := r.Header.Get("X-Subject-Token")
	if tok == "" {
		return Failf("authenticate: no X-Subject-Token")
	}
	revoked := false
	e.Cleanup("token", func(ctx context.Context) error {
		if revoked {
			return nil
		}
		r, err := h.Do(ctx, Req{Method: "DELETE", Path: "/v3/auth/tokens", Token: tok, Header: http.Header{"X-Subject-Token": {tok}}})
		if err != nil {
			return err
		}
		return r.Err()
	})
	if err := httpWantToken("authenticate", r.Body, h.projectID); err != nil {
		return err
	}
	// The new token works, and validates.
	r, err = httpCall(ctx, h, Req{Method: "GET", Path: h.ProjectPath("/datacenters"), Op: httpProjectTemplate + "/datacenters", Token: tok})
	if err != nil {
		return err
	}
	if err := httpWantStatus("a call with the new token", r, http.StatusOK); err != nil {
		return err
	}
	subject := http.Header{"X-Subject-Token": {tok}}
	r, err = httpCall(ctx, h, Req{Method: "GET", Path: "/v3/auth/tokens", Header: subject})
	if err != nil {
		return err
	}
	if err := httpWantStatus("validate the new token", r, http.StatusOK); err != nil {
		return err
	}
	if err := httpWantToken("validate", r.Body, h.projectID); err != nil {
		return err
	}
	// Revoked, it is refused.
	r, err = httpCall(ctx, h, Req{Method: "DELETE", Path: "/v3/auth/tokens", Header: subject})
	if err != nil {
		return err
	}
	if err := httpWantStatus("revoke the new token", r, http.StatusNoContent); err != nil {
		return err
	}
	revoked = true
	r, err = httpCall(ctx, h, Req{Method: "GET", Path: h.ProjectPath("/datacenters"), Op: httpProjectTemplate + "/datacenters", Token: tok})
	if err != nil {
		return err
	}
	if err := httpWantStatus("a call with the revoked token", r, http.StatusUnauthorized); err != nil {
		return err
	}
	r, err = httpCall(ctx, h, Req{Method: "GET", Path: "/v3/auth/tokens", Header: subject})
	if err != nil {
		return err
	}
	if r.Status < 400 {
		return Failf("validating the revoked token answered %d, want it refused", r.Status)
	}
	return httpWantErrorBody("validate the revoked token", r)
}

// httpWantToken checks a token answer: methods, times in A.0.4's format, the
// user, and the project when scoped (project "" = unscoped: none).
func httpWantToken(what string, body []byte, project string) error {
	var tb httpTokenBody
	if err := json.Unmarshal(body, &tb); err != nil {
		return Failf("%s: the token body: %v", what, err)
	}
	t := tb.Token
	if len(t.Methods) == 0 || t.User.ID == "" {
		return Failf("%s: the token lacks methods or user.id: %s", what, httpTrim(body))
	}
	for _, f := range []struct{ name, v string }{{"issued_at", t.IssuedAt}, {"expires_at", t.ExpiresAt}} {
		if !httpISOUTC.MatchString(f.v) {
			return Failf("%s: token.%s %q is not ISO 8601 UTC", what, f.name, f.v)
		}
	}
	exp, _ := time.Parse(time.RFC3339Nano, t.ExpiresAt)
	if !exp.After(time.Now()) {
		return Failf("%s: the token expires at %s, already past", what, t.ExpiresAt)
	}
	switch {
	case project == "" && t.Project != nil:
		return Failf("%s: an unscoped token names project %s", what, t.Project.ID)
	case project != "" && (t.Project == nil || t.Project.ID != project):
		return Failf("%s: the token is not scoped to project %s: %s", what, project, httpTrim(body))
	}
	return nil
}

func checkHTTPWrongPassword(ctx context.Context, e *Env) error {
	h, err := httpTargetOf(e)
	if err != nil {
		return err
	}
	wrong := h.creds
	wrong.Password = h.creds.Password + "-wrong"
	nobody := h.creds
	nobody.Username = "conformance-nobody-" + e.RunID[:12]
	var bodies []string
	for _, c := range []struct {
		what string
		cr   Credentials
	}{{"a wrong password", wrong}, {"an unknown user", nobody}} {
		r, err := httpCall(ctx, h, Req{Method: "POST", Path: "/v3/auth/tokens", Body: httpAuthBody(c.cr, true), NoAuth: true})
		if err != nil {
			return err
		}
		if err := httpWantStatus("authenticate with "+c.what, r, http.StatusUnauthorized); err != nil {
			return err
		}
		if r.Header.Get("X-Subject-Token") != "" {
			return Failf("authenticate with %s: a token was issued", c.what)
		}
		var eb ErrorBody
		_ = json.Unmarshal(r.Body, &eb)
		bodies = append(bodies, *eb.Error.Message)
	}
	// Telling the two apart would let anyone find out who has an account.
	if bodies[0] != bodies[1] {
		return Failf("a wrong password (%q) and an unknown user (%q) are told apart", bodies[0], bodies[1])
	}
	return nil
}

func checkHTTPUnscopedToken(ctx context.Context, e *Env) error {
	h, err := httpTargetOf(e)
	if err != nil {
		return err
	}
	r, err := httpCall(ctx, h, Req{Method: "POST", Path: "/v3/auth/tokens", Body: httpAuthBody(h.creds, false), NoAuth: true})
	if err != nil {
		return err
	}
	if err := httpWantStatus("authenticate without a scope", r, http.StatusCreated); err != nil {
		return err
	}
	tok := r.Header.Get("X-Subject-Token")
	if tok == "" {
		return Failf("authenticate without a scope: no X-Subject-Token")
	}
	e.Cleanup("unscoped token", func(ctx context.Context) error {
		r, err := h.Do(ctx, Req{Method: "DELETE", Path: "/v3/auth/tokens", Token: tok, Header: http.Header{"X-Subject-Token": {tok}}})
		if err != nil {
			return err
		}
		return r.Err()
	})
	if err := httpWantToken("authenticate without a scope", r.Body, ""); err != nil {
		return err
	}
	// It names no project, so no project's path accepts it.
	r, err = httpCall(ctx, h, Req{Method: "GET", Path: h.ProjectPath("/servers"), Op: httpProjectTemplate + "/servers", Token: tok})
	if err != nil {
		return err
	}
	return httpWantStatus("a project's path with an unscoped token", r, http.StatusForbidden)
}

// ---- pagination (B.2.1.8 over HTTP) ----

// httpListIDs GETs one page of the run's servers and returns its ids and
// datacenters.
func httpListIDs(ctx context.Context, h *HTTPTarget, q url.Values) (*Resp, []string, []string, error) {
	r, err := httpCall(ctx, h, Req{Method: "GET", Path: h.ProjectPath("/servers"), Op: httpProjectTemplate + "/servers", Query: q})
	if err != nil || r.Status != http.StatusOK {
		return r, nil, nil, err
	}
	var body struct {
		Servers []struct {
			ID           string `json:"id"`
			DatacenterID string `json:"datacenter_id"`
		} `json:"servers"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil || body.Servers == nil {
		return r, nil, nil, Failf("GET servers: no servers list: %s", httpTrim(r.Body))
	}
	var ids, dcs []string
	for _, s := range body.Servers {
		ids = append(ids, s.ID)
		dcs = append(dcs, s.DatacenterID)
	}
	return r, ids, dcs, nil
}

func checkHTTPPagination(ctx context.Context, e *Env) error {
	h, err := httpTargetOf(e)
	if err != nil {
		return err
	}
	b, err := pickBoot(ctx, e)
	if err != nil {
		return err
	}
	var made []string
	for range 3 {
		s, err := startServer(ctx, e, serverRequest(e, b))
		if err != nil {
			return err
		}
		made = append(made, s.ID)
	}
	for _, id := range made {
		if _, err := waitServer(ctx, e, id, core.ServerActive); err != nil {
			return err
		}
	}
	r, all, _, err := httpListIDs(ctx, h, url.Values{"limit": {"1000"}})
	if err != nil {
		return err
	}
	if err := httpWantStatus("GET servers", r, http.StatusOK); err != nil {
		return err
	}
	// Page by two, following the marker: the same servers, in the same
	// order, none twice, no page longer than asked.
	var paged []string
	marker := ""
	for pages := 0; ; pages++ {
		if pages > len(all)+1 {
			return Failf("paging by 2 did not end after %d pages", pages)
		}
		q := url.Values{"limit": {"2"}}
		if marker != "" {
			q.Set("marker", marker)
		}
		r, ids, _, err := httpListIDs(ctx, h, q)
		if err != nil {
			return err
		}
		if err := httpWantStatus("GET servers?"+q.Encode(), r, http.StatusOK); err != nil {
			return err
		}
		if len(ids) > 2 {
			return Failf("GET servers?%s answered %d servers", q.Encode(), len(ids))
		}
		paged = append(paged, ids...)
		if len(ids) < 2 {
			break
		}
		marker = ids[len(ids)-1]
	}
	if strings.Join(paged, ",") != strings.Join(all, ",") {
		return Failf("paging by 2 gave %v, the whole list %v", paged, all)
	}
	for _, id := range made {
		if !httpContains(all, id) {
			return Failf("the list lacks the run's server %s", id)
		}
	}
	// The datacenter filter keeps only that datacenter's servers.
	r, ids, dcs, err := httpListIDs(ctx, h, url.Values{"datacenter": {e.Datacenter}})
	if err != nil {
		return err
	}
	if err := httpWantStatus("GET servers?datacenter="+e.Datacenter, r, http.StatusOK); err != nil {
		return err
	}
	for i, dc := range dcs {
		if dc != e.Datacenter {
			return Failf("GET servers?datacenter=%s lists server %s of %s", e.Datacenter, ids[i], dc)
		}
	}
	for _, id := range made {
		if !httpContains(ids, id) {
			return Failf("GET servers?datacenter=%s lacks the run's server %s", e.Datacenter, id)
		}
	}
	// Bad paging is the client's error.
	for _, q := range []url.Values{{"limit": {"0"}}, {"limit": {"many"}}, {"marker": {noSuch}}} {
		r, err := httpCall(ctx, h, Req{Method: "GET", Path: h.ProjectPath("/servers"), Op: httpProjectTemplate + "/servers", Query: q})
		if err != nil {
			return err
		}
		if err := httpWantStatus("GET servers?"+q.Encode(), r, http.StatusBadRequest); err != nil {
			return err
		}
	}
	return nil
}

func httpContains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// ---- idempotency keys (B.4.1.1 over HTTP) ----

func checkHTTPIdempotencyKey(ctx context.Context, e *Env) error {
	h, err := httpTargetOf(e)
	if err != nil {
		return err
	}
	key := e.Name("idempotency-key")
	name := e.Name("idem")
	post := func(size int) (*Resp, string, error) {
		r, err := httpCall(ctx, h, Req{Method: "POST", Path: h.ProjectPath("/volumes"), Op: httpProjectTemplate + "/volumes",
			Header: http.Header{"Idempotency-Key": {key}},
			Body:   map[string]any{"volume": map[string]any{"name": name, "size_gb": size, "datacenter_id": e.Datacenter}}})
		if err != nil || r.Status >= 300 {
			return r, "", err
		}
		var body struct {
			Volume struct {
				ID string `json:"id"`
			} `json:"volume"`
		}
		if err := json.Unmarshal(r.Body, &body); err != nil || body.Volume.ID == "" {
			return r, "", Failf("POST volumes: no volume.id: %s", httpTrim(r.Body))
		}
		return r, body.Volume.ID, nil
	}
	r, first, err := post(1)
	if err != nil {
		return err
	}
	if err := httpWantStatus("POST volumes with an Idempotency-Key", r, http.StatusAccepted); err != nil {
		return err
	}
	// Made by a raw call: tagged here, so the leak check sees it.
	h.remember(first, e.Meta().Tags)
	e.Cleanup("volume "+first, func(ctx context.Context) error { return httpDeleteVolume(ctx, e, first) })
	r, again, err := post(1)
	if err != nil {
		return err
	}
	if err := httpWantStatus("the same POST with the same key", r, http.StatusAccepted); err != nil {
		return err
	}
	if again != first {
		h.remember(again, e.Meta().Tags)
		e.Cleanup("volume "+again, func(ctx context.Context) error { return httpDeleteVolume(ctx, e, again) })
		return Failf("the same request with the same key made volume %s, then %s", first, again)
	}
	if r.Header.Get("Idempotent-Replayed") != "true" {
		return Failf("the replayed answer lacks Idempotent-Replayed: true")
	}
	r, _, err = post(2)
	if err != nil {
		return err
	}
	if err := httpWantStatus("another body with the same key", r, http.StatusConflict); err != nil {
		return err
	}
	vs, err := e.Driver.ListVolumes(ctx, core.ListOptions{ProjectID: e.Project, DatacenterID: e.Datacenter})
	if err != nil {
		return err
	}
	n := 0
	for _, v := range vs {
		if v.Name == name {
			n++
		}
	}
	if n != 1 {
		return Failf("%d volumes named %s after three posts with one key, want 1", n, name)
	}
	return nil
}
