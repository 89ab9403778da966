package main

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
	"strings"
	"time"
)

// defaultRequestTimeout bounds one HTTP call; waiting for a state is bounded
// separately, by its own --timeout.
const defaultRequestTimeout = 60 * time.Second

// maxResponseBytes keeps a misbehaving endpoint from filling memory.
const maxResponseBytes = 64 << 20

// APIError is an error answer of the API, decoded from its A.0.3 body.
type APIError struct {
	Status    int // the HTTP status, in case the body disagrees or is absent
	Code      int
	Title     string
	Message   string
	RequestID string // X-Request-Id, for reporting a problem to an operator
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Code, e.Title, e.Message)
}

// statusOf is err's HTTP status when it is an API error, else 0.
func statusOf(err error) int {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}

// Client talks to one gisiaas endpoint as one token scoped to one project.
type Client struct {
	Endpoint  string // base URL, no trailing slash
	Token     string
	ProjectID string
	HTTP      *http.Client
	UserAgent string
	// Warn receives the Warning header of any answer (e.g. a datacenter that
	// could not be listed), so a partial result never looks complete.
	Warn func(string)
}

// TLSOptions choose how the client trusts the endpoint.
type TLSOptions struct {
	CACert   string // PEM file added to the system roots
	Insecure bool   // skip verification (a test cloud with a self-signed certificate)
}

// newHTTPClient builds an HTTP client with a per-request timeout and the
// given trust.
func newHTTPClient(opts TLSOptions, timeout time.Duration) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if opts.CACert != "" {
		pem, err := os.ReadFile(opts.CACert)
		if err != nil {
			return nil, fmt.Errorf("--ca-cert: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca-cert: %s holds no PEM certificate", opts.CACert)
		}
		cfg.RootCAs = pool
	}
	// Only ever on request (--insecure), for a test cloud's self-signed certificate.
	cfg.InsecureSkipVerify = opts.Insecure
	tr.TLSClientConfig = cfg
	if timeout <= 0 {
		timeout = defaultRequestTimeout
	}
	return &http.Client{Transport: tr, Timeout: timeout, CheckRedirect: refuseRedirect}, nil
}

// refuseRedirect stops at any redirect: the client would carry X-Auth-Token
// (not one of the headers net/http drops) to wherever it points.
func refuseRedirect(req *http.Request, _ []*http.Request) error {
	return fmt.Errorf("the endpoint redirects to %s; log in with that URL if you trust it", req.URL.Redacted())
}

// normalizeEndpoint checks that raw is an http(s) URL and drops a trailing
// slash, so paths can be appended.
func normalizeEndpoint(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("endpoint %q: give a URL such as https://iaas.example.org", raw)
	}
	u.RawQuery, u.Fragment = "", ""
	return strings.TrimRight(u.String(), "/"), nil
}

// Response is a successful answer: status, headers and the raw body.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// request is one call: the path is already escaped.
type request struct {
	method string
	path   string
	query  url.Values
	body   any // marshalled as JSON when not nil
	header http.Header
	noAuth bool
}

// Do sends r and returns the answer, or an *APIError for any status >= 400.
func (c *Client) Do(ctx context.Context, r request) (*Response, error) {
	target := c.Endpoint + r.path
	if len(r.query) > 0 {
		target += "?" + r.query.Encode()
	}
	var body io.Reader
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, target, body)
	if err != nil {
		return nil, err
	}
	for k, vs := range r.header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	if !r.noAuth && c.Token != "" {
		req.Header.Set("X-Auth-Token", c.Token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, transportError(ctx, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading the answer: %w", r.method, r.path, transportError(ctx, err))
	}
	if c.Warn != nil {
		for _, w := range resp.Header.Values("Warning") {
			c.Warn(w)
		}
	}
	if resp.StatusCode >= 400 {
		return nil, decodeAPIError(resp, data)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: data}, nil
}

// transportError names a timeout plainly instead of url.Error's wording.
func transportError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var ue *url.Error
	if errors.As(err, &ue) && ue.Timeout() {
		return fmt.Errorf("%s %s: no answer in time (--request-timeout): %w", ue.Op, ue.URL, ue.Err)
	}
	return err
}

// decodeAPIError reads the A.0.3 body; anything else (a proxy's HTML page)
// still gives the status and a short excerpt.
func decodeAPIError(resp *http.Response, data []byte) error {
	e := &APIError{Status: resp.StatusCode, Code: resp.StatusCode, Title: http.StatusText(resp.StatusCode),
		RequestID: resp.Header.Get("X-Request-Id")}
	var body struct {
		Error *struct {
			Code    int    `json:"code"`
			Title   string `json:"title"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(data, &body) == nil && body.Error != nil {
		if body.Error.Code != 0 {
			e.Code = body.Error.Code
		}
		if body.Error.Title != "" {
			e.Title = body.Error.Title
		}
		e.Message = body.Error.Message
		return e
	}
	msg := strings.TrimSpace(string(data))
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	if msg == "" {
		msg = "(no error body)"
	}
	e.Message = msg
	return e
}

// projectPath is /v1/{project}/{parts…}, each part escaped.
func (c *Client) projectPath(parts ...string) string {
	var b strings.Builder
	b.WriteString("/v1/")
	b.WriteString(url.PathEscape(c.ProjectID))
	for _, p := range parts {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(p))
	}
	return b.String()
}

// getJSON GETs path and returns body[key] as the API wrote it.
func (c *Client) getJSON(ctx context.Context, path, key string, query url.Values) (json.RawMessage, error) {
	resp, err := c.Do(ctx, request{method: http.MethodGet, path: path, query: query})
	if err != nil {
		return nil, err
	}
	return member(resp.Body, key)
}

// member returns obj[key] byte for byte; a body without it is reported, as
// it means the endpoint is not a gisiaas API of this version.
func member(body []byte, key string) (json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return nil, fmt.Errorf("the answer is not a JSON object: %w", err)
	}
	v, ok := obj[key]
	if !ok {
		return nil, fmt.Errorf("the answer has no %q member", key)
	}
	return v, nil
}
