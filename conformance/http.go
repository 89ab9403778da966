package conformance

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// Credentials are a user's, scoped to one project (Keystone v3 password
// authentication).
type Credentials struct {
	Username string
	Password string
	// UserDomain is the user's domain; "Default" when empty.
	UserDomain string
	// Project is the name of the project the token is scoped to.
	Project string
	// ProjectDomain is the project's domain (its department); UserDomain
	// when empty.
	ProjectDomain string
}

func (c Credentials) withDefaults() Credentials {
	if c.UserDomain == "" {
		c.UserDomain = "Default"
	}
	if c.ProjectDomain == "" {
		c.ProjectDomain = c.UserDomain
	}
	return c
}

// HTTPConfig is how to reach and log in to an HTTP deployment.
type HTTPConfig struct {
	// Endpoint is the API's base URL, e.g. https://iaas.example.org.
	Endpoint string
	// The run's user and project, as Credentials.
	Username, Password, UserDomain, Project, ProjectDomain string
	// Second is a user of another project, for the cross-project isolation
	// checks; without it they prove only what one project can.
	Second *Credentials
	// Datacenter is the datacenter the run creates in; empty: the first
	// the deployment lists.
	Datacenter string
	// CACert is a PEM file of a CA to trust besides the system's; Insecure
	// skips verifying the endpoint's certificate. Both ignored with Client.
	CACert   string
	Insecure bool
	// Client, when set, makes every call (its Timeout is dropped for the
	// event stream, which never ends by itself).
	Client *http.Client
	// StateTimeout is how long the deployment may take to reach a state;
	// 0: two minutes (a cloud's slowest asynchronous operations).
	StateTimeout time.Duration
}

// defaultHTTPStateTimeout is the budget of a deployment that declares none:
// the HTTP API has no field for it, and real clouds take minutes.
const defaultHTTPStateTimeout = 2 * time.Minute

// HTTPTarget is raw access to an HTTP deployment, for the checks only the
// HTTP API can prove (authentication, A.0.x, pagination, idempotency keys,
// isolation between two projects). The driver over it is in httpdriver.go.
type HTTPTarget struct {
	rec *Recorder

	cfg      HTTPConfig
	base     *url.URL
	client   *http.Client
	creds    Credentials
	timeout  time.Duration
	secondMu sync.Mutex
	second   *httpSession

	mu         sync.Mutex
	token      string
	projectID  string
	userID     string
	datacenter string
	// tags are the tags of what this target's driver created: the API has
	// no tags, so the run tag (leak check, sweep) is kept here and put back
	// on every answer about those resources.
	tags map[string]map[string]string
}

func (h *HTTPTarget) recorder() *Recorder {
	if h == nil {
		return nil
	}
	return h.rec
}

// Recorder is where the target records every call: pass it as
// Options.Recorder so a failure carries its exchanges.
func (h *HTTPTarget) Recorder() *Recorder { return h.recorder() }

// ProjectID is the id of the project the run's token is scoped to: the
// Options.Project of a run against this target.
func (h *HTTPTarget) ProjectID() string { return h.projectID }

// Datacenter is the datacenter the run creates in: Options.Datacenter.
func (h *HTTPTarget) Datacenter() string { return h.datacenter }

// HasSecond reports whether a second project's user was given.
func (h *HTTPTarget) HasSecond() bool { return h.cfg.Second != nil }

// httpSession is a logged-in user: the token and the project it is scoped to.
type httpSession struct {
	token     string
	projectID string
	userID    string
}

// NewHTTP logs in to the deployment at cfg.Endpoint and returns it as a
// core.Driver (every operation over its REST API) and the raw target for
// the HTTP-only checks. Run it with Options{Target: "http", HTTP: target,
// Recorder: target.Recorder(), Project: target.ProjectID(), Datacenter:
// target.Datacenter()}.
func NewHTTP(ctx context.Context, cfg HTTPConfig) (core.Driver, *HTTPTarget, error) {
	u, err := url.Parse(strings.TrimRight(cfg.Endpoint, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, nil, fmt.Errorf("endpoint %q: want an http:// or https:// URL", cfg.Endpoint)
	}
	client := cfg.Client
	if client == nil {
		if client, err = httpNewClient(cfg.CACert, cfg.Insecure); err != nil {
			return nil, nil, err
		}
	}
	h := &HTTPTarget{rec: NewRecorder(), cfg: cfg, base: u, client: client, tags: map[string]map[string]string{},
		creds: Credentials{Username: cfg.Username, Password: cfg.Password, UserDomain: cfg.UserDomain,
			Project: cfg.Project, ProjectDomain: cfg.ProjectDomain}.withDefaults(),
		timeout: cfg.StateTimeout}
	if h.timeout <= 0 {
		h.timeout = defaultHTTPStateTimeout
	}
	s, err := h.login(ctx, h.creds, true)
	if err != nil {
		return nil, nil, fmt.Errorf("logging in as %s: %w", cfg.Username, err)
	}
	if s.projectID == "" {
		return nil, nil, fmt.Errorf("logging in as %s: the token is not scoped to a project", cfg.Username)
	}
	h.token, h.projectID, h.userID = s.token, s.projectID, s.userID
	dcs, err := h.datacenters(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("listing the datacenters: %w", err)
	}
	switch {
	case cfg.Datacenter != "":
		h.datacenter = cfg.Datacenter
		found := false
		for _, d := range dcs {
			found = found || d.ID == cfg.Datacenter
		}
		if !found {
			return nil, nil, fmt.Errorf("datacenter %s is not one the deployment lists", cfg.Datacenter)
		}
	case len(dcs) > 0:
		h.datacenter = dcs[0].ID
	default:
		return nil, nil, errors.New("the deployment lists no datacenter")
	}
	return &httpDriver{t: h}, h, nil
}

func httpNewClient(caCert string, insecure bool) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if caCert != "" {
		pem, err := os.ReadFile(caCert)
		if err != nil {
			return nil, fmt.Errorf("CA certificate: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA certificate: %s holds no PEM certificate", caCert)
		}
		cfg.RootCAs = pool
	}
	cfg.InsecureSkipVerify = insecure // only on request, for a test cloud's self-signed certificate
	tr.TLSClientConfig = cfg
	return &http.Client{Transport: tr, Timeout: time.Minute,
		// A redirect would resend the token elsewhere; the API never redirects.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, nil
}

// httpAuthBody is the Keystone v3 password authentication of c; unscoped
// leaves the scope out.
func httpAuthBody(c Credentials, scoped bool) map[string]any {
	auth := map[string]any{"identity": map[string]any{
		"methods": []string{"password"},
		"password": map[string]any{"user": map[string]any{
			"name": c.Username, "domain": map[string]string{"name": c.UserDomain}, "password": c.Password}},
	}}
	if scoped {
		auth["scope"] = map[string]any{"project": map[string]any{"name": c.Project, "domain": map[string]string{"name": c.ProjectDomain}}}
	}
	return map[string]any{"auth": auth}
}

// httpTokenBody is the part of a token answer the suite reads.
type httpTokenBody struct {
	Token struct {
		Methods   []string `json:"methods"`
		IssuedAt  string   `json:"issued_at"`
		ExpiresAt string   `json:"expires_at"`
		User      struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"user"`
		Project *struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"project"`
		Roles []struct {
			Name string `json:"name"`
		} `json:"roles"`
	} `json:"token"`
}

// login authenticates c and returns the session.
func (h *HTTPTarget) login(ctx context.Context, c Credentials, scoped bool) (httpSession, error) {
	r, err := h.Do(ctx, Req{Method: "POST", Path: "/v3/auth/tokens", Body: httpAuthBody(c, scoped), NoAuth: true})
	if err != nil {
		return httpSession{}, err
	}
	if err := r.Err(); err != nil {
		return httpSession{}, err
	}
	var tb httpTokenBody
	if err := json.Unmarshal(r.Body, &tb); err != nil {
		return httpSession{}, fmt.Errorf("the token answer: %w", err)
	}
	s := httpSession{token: r.Header.Get("X-Subject-Token"), userID: tb.Token.User.ID}
	if s.token == "" {
		return httpSession{}, errors.New("the token answer carries no X-Subject-Token")
	}
	if tb.Token.Project != nil {
		s.projectID = tb.Token.Project.ID
	}
	return s, nil
}

// secondSession logs the second user in, once.
func (h *HTTPTarget) secondSession(ctx context.Context) (httpSession, error) {
	h.secondMu.Lock()
	defer h.secondMu.Unlock()
	if h.cfg.Second == nil {
		return httpSession{}, errors.New("no second project's user was given")
	}
	if h.second != nil {
		return *h.second, nil
	}
	s, err := h.login(ctx, h.cfg.Second.withDefaults(), true)
	if err != nil {
		return httpSession{}, fmt.Errorf("logging in as the second user %s: %w", h.cfg.Second.Username, err)
	}
	if s.projectID == "" || s.projectID == h.projectID {
		return httpSession{}, fmt.Errorf("the second user's token is scoped to project %q, not another project than the run's", s.projectID)
	}
	h.second = &s
	return s, nil
}

// Req is one raw call to the deployment.
type Req struct {
	Method string
	// Path is the concrete path; Op, when set, the template recorded
	// ("/v1/{project_id}/servers/{id}"), else Path.
	Path, Op string
	Query    url.Values
	// Body is marshalled as JSON unless Raw is set (sent as is, with
	// ContentType).
	Body        any
	Raw         []byte
	ContentType string
	// Stream, when set, is the body, streamed (an image's data).
	Stream io.Reader
	Header http.Header
	// NoAuth sends no X-Auth-Token; Token, when set, sends that one
	// instead of the run's.
	NoAuth bool
	Token  string
}

// Resp is the answer to a Req.
type Resp struct {
	Status int
	Header http.Header
	Body   []byte
	TLS    bool
}

// Err is the answer as an error when it is not a success: of the kind its
// status maps to, with the A.0.3 body's message.
func (r *Resp) Err() error {
	if r.Status < 300 {
		return nil
	}
	msg := strings.TrimSpace(string(r.Body))
	var eb ErrorBody
	if json.Unmarshal(r.Body, &eb) == nil && eb.Error.Message != nil && *eb.Error.Message != "" {
		msg = *eb.Error.Message
	}
	if msg == "" {
		msg = http.StatusText(r.Status)
	}
	// The message is the deployment's own, as the kind is its status's.
	return &core.Error{Kind: core.KindFromHTTPStatus(r.Status), Message: msg}
}

// ErrorBody is the error shape of SPEC A.0.3.
type ErrorBody struct {
	Error struct {
		Code    *int    `json:"code"`
		Title   *string `json:"title"`
		Message *string `json:"message"`
	} `json:"error"`
}

// httpMaxEvidence bounds the answer a recorded exchange keeps.
const httpMaxEvidence = 2048

// Do makes one call, recorded (redacted) with its latency. A transport
// failure is an Unavailable error; an HTTP error status is not an error
// here (see Resp.Err).
func (h *HTTPTarget) Do(ctx context.Context, q Req) (*Resp, error) {
	// A 429 was refused before it was looked at (RFC 6585), so any call may
	// be retried after Retry-After, as a client of a real deployment must;
	// a streamed body cannot be sent twice.
	for attempt := 1; ; attempt++ {
		r, err := h.do(ctx, q)
		if err != nil || r.Status != http.StatusTooManyRequests || q.Stream != nil || attempt == maxThrottled {
			return r, err
		}
		wait := time.Second
		if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err == nil && s >= 0 {
			wait = min(time.Duration(s)*time.Second, 30*time.Second)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return r, nil
		case <-t.C:
		}
	}
}

// maxThrottled bounds how often one call is retried after a 429.
const maxThrottled = 10

func (h *HTTPTarget) do(ctx context.Context, q Req) (*Resp, error) {
	var body io.Reader
	var rec any
	switch {
	case q.Stream != nil:
		body = q.Stream
		rec = map[string]any{"streamed": true, "content_type": q.ContentType, "query": q.Query.Encode()}
	case q.Raw != nil:
		body = bytes.NewReader(q.Raw)
		rec = map[string]any{"raw_bytes": len(q.Raw), "content_type": q.ContentType}
		if json.Valid(q.Raw) {
			rec = json.RawMessage(q.Raw)
		}
	case q.Body != nil:
		b, err := json.Marshal(q.Body)
		if err != nil {
			return nil, Broken(err)
		}
		body, rec = bytes.NewReader(b), q.Body
		if q.ContentType == "" {
			q.ContentType = "application/json"
		}
	}
	req, err := h.newRequest(ctx, q, body)
	if err != nil {
		return nil, Broken(err)
	}
	op := q.Method + " " + q.Op
	if q.Op == "" {
		op = q.Method + " " + q.Path
	}
	start := time.Now()
	resp, err := h.client.Do(req)
	if err != nil {
		err = &core.Error{Kind: core.Unavailable, Op: op, Message: err.Error()}
		h.rec.Observe(op, time.Since(start), rec, "", err)
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	d := time.Since(start)
	if err != nil {
		err = &core.Error{Kind: core.Unavailable, Op: op, Message: "reading the answer: " + err.Error()}
		h.rec.Observe(op, d, rec, "", err)
		return nil, err
	}
	r := &Resp{Status: resp.StatusCode, Header: resp.Header, Body: b, TLS: resp.TLS != nil}
	ev := string(b)
	if len(ev) > httpMaxEvidence {
		ev = ev[:httpMaxEvidence] + "…"
	}
	h.rec.Observe(op, d, rec, fmt.Sprintf("%d %s", r.Status, ev), r.Err())
	return r, nil
}

func (h *HTTPTarget) newRequest(ctx context.Context, q Req, body io.Reader) (*http.Request, error) {
	u := *h.base
	u.Path = h.base.Path + q.Path
	u.RawQuery = q.Query.Encode()
	req, err := http.NewRequestWithContext(ctx, q.Method, u.String(), body)
	if err != nil {
		return nil, err
	}
	for k, vs := range q.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if q.ContentType != "" {
		req.Header.Set("Content-Type", q.ContentType)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "gisiaas-conformance")
	if !q.NoAuth {
		tok := q.Token
		if tok == "" {
			h.mu.Lock()
			tok = h.token
			h.mu.Unlock()
		}
		req.Header.Set("X-Auth-Token", tok)
	}
	return req, nil
}

// ProjectPath is "/v1/{project}" + rest, for the run's project.
func (h *HTTPTarget) ProjectPath(rest string) string { return "/v1/" + h.projectID + rest }

// remember keeps the tags of a resource this target created.
func (h *HTTPTarget) remember(id string, tags map[string]string) {
	if id == "" || len(tags) == 0 {
		return
	}
	cp := make(map[string]string, len(tags))
	for k, v := range tags {
		cp[k] = v
	}
	h.mu.Lock()
	h.tags[id] = cp
	h.mu.Unlock()
}

// tagsOf returns the tags remembered for id (a copy), or nil.
func (h *HTTPTarget) tagsOf(id string) map[string]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	t, ok := h.tags[id]
	if !ok {
		return nil
	}
	cp := make(map[string]string, len(t))
	for k, v := range t {
		cp[k] = v
	}
	return cp
}

// httpDatacenterBody is a datacenter as GET /v1/{p}/datacenters lists it.
type httpDatacenterBody struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Kind         string   `json:"kind"`
	Driver       string   `json:"driver"`
	Version      string   `json:"version"`
	Health       string   `json:"health"`
	HealthDetail string   `json:"health_detail"`
	Capabilities []string `json:"capabilities"`
	Hosts        []string `json:"hosts"`
}

func (h *HTTPTarget) datacenters(ctx context.Context) ([]httpDatacenterBody, error) {
	r, err := h.Do(ctx, Req{Method: "GET", Path: h.ProjectPath("/datacenters"), Op: "/v1/{project_id}/datacenters"})
	if err != nil {
		return nil, err
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	var out struct {
		Datacenters []httpDatacenterBody `json:"datacenters"`
	}
	if err := json.Unmarshal(r.Body, &out); err != nil {
		return nil, fmt.Errorf("the datacenters answer: %w", err)
	}
	return out.Datacenters, nil
}
