package conformance

import (
	"encoding/json"
	"sort"
	"strings"
	"sync"
	"time"
)

// Exchange is one call to the target, as a failure's evidence: the
// operation (a gRPC method or "METHOD /path"), what was sent and answered,
// both redacted.
type Exchange struct {
	Op       string          `json:"op"`
	Request  json.RawMessage `json:"request,omitempty"`
	Response string          `json:"response,omitempty"`
	Error    string          `json:"error,omitempty"`
	Duration time.Duration   `json:"duration_ns"`
}

// Recorder keeps every call's latency per operation and the calls of the
// check running now.
type Recorder struct {
	mu      sync.Mutex
	latency map[string][]time.Duration
	current []Exchange
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder { return &Recorder{latency: map[string][]time.Duration{}} }

// maxExchanges bounds what one check keeps as evidence.
const maxExchanges = 50

// Observe records one call. req is marshalled and redacted.
func (r *Recorder) Observe(op string, d time.Duration, req any, resp string, err error) {
	if r == nil {
		return
	}
	var raw json.RawMessage
	if req != nil {
		if b, e := json.Marshal(req); e == nil {
			raw = Redact(b)
		}
	}
	x := Exchange{Op: op, Request: raw, Response: string(Redact([]byte(resp))), Duration: d}
	if err != nil {
		x.Error = string(Redact([]byte(err.Error())))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.latency[op] = append(r.latency[op], d)
	if len(r.current) < maxExchanges {
		r.current = append(r.current, x)
	}
}

// take returns and forgets the calls recorded since the last take.
func (r *Recorder) take() []Exchange {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.current
	r.current = nil
	return out
}

// OpLatency is an operation's latency over a run.
type OpLatency struct {
	Op    string        `json:"op"`
	Calls int           `json:"calls"`
	P50   time.Duration `json:"p50_ns"`
	P95   time.Duration `json:"p95_ns"`
}

func (r *Recorder) latencies() []OpLatency {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]OpLatency, 0, len(r.latency))
	for op, ds := range r.latency {
		s := append([]time.Duration(nil), ds...)
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		out = append(out, OpLatency{Op: op, Calls: len(s), P50: s[len(s)/2], P95: s[(len(s)*95)/100]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Op < out[j].Op })
	return out
}

// secretKeys are JSON keys whose values never reach a report.
var secretKeys = []string{"password", "secret", "token", "user_data", "webhook_url", "x-auth-token", "x-subject-token", "authorization", "access_key"}

// Redact replaces the values of secret keys in a JSON document — and in
// text that looks like "key: value", "key=value" or a quoted JSON member,
// inside JSON string values too — with "[redacted]". Keys match whatever
// their case.
func Redact(b []byte) []byte {
	var v any
	if json.Unmarshal(b, &v) == nil {
		out, err := json.Marshal(redactValue(v))
		if err == nil {
			return out
		}
	}
	return []byte(redactString(string(b)))
}

// redactString redacts the secrets of free text.
func redactString(s string) string {
	for _, k := range secretKeys {
		// JSON inside text (an error quoting a body, a body cut short).
		for _, sep := range []string{`":"`, `": "`} {
			s = redactQuoted(s, `"`+k+sep)
		}
		for _, sep := range []string{": ", "=", ":"} {
			s = redactText(s, k+sep, k == "authorization")
		}
	}
	return s
}

func redactValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if isSecretKey(k) {
				x[k] = "[redacted]"
				continue
			}
			x[k] = redactValue(val)
		}
		return x
	case string:
		return redactString(x)
	case []any:
		for i := range x {
			x[i] = redactValue(x[i])
		}
		return x
	}
	return v
}

func isSecretKey(k string) bool {
	k = strings.ToLower(k)
	for _, s := range secretKeys {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// redactText blanks what follows prefix (matched whatever its case): a
// quoted value to its closing quote, else a word up to the next space,
// quote or comma — or, toEOL, the rest of the line (an Authorization
// header's scheme and credentials).
func redactText(s, prefix string, toEOL bool) string {
	var b strings.Builder
	lower, lp := strings.ToLower(s), strings.ToLower(prefix)
	for {
		i := strings.Index(lower, lp)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i+len(prefix)])
		s, lower = s[i+len(prefix):], lower[i+len(prefix):]
		var j int
		switch {
		case toEOL:
			j = strings.IndexAny(s, "\r\n")
			if j < 0 {
				j = len(s)
			}
		case strings.HasPrefix(s, `"`) || strings.HasPrefix(s, "'"):
			q := s[:1]
			j = strings.Index(s[1:], q)
			if j < 0 {
				j = len(s)
			} else {
				j += 2
			}
		default:
			j = strings.IndexAny(s, " \t\n,\"'&")
			if j < 0 {
				j = len(s)
			}
		}
		if j > 0 {
			b.WriteString("[redacted]")
		}
		s, lower = s[j:], lower[j:]
	}
}

// redactQuoted blanks what follows prefix (which ends inside a JSON string)
// up to the string's closing quote, or to the end of a text cut short.
func redactQuoted(s, prefix string) string {
	var b strings.Builder
	for {
		i := strings.Index(strings.ToLower(s), strings.ToLower(prefix))
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i+len(prefix)])
		s = s[i+len(prefix):]
		j := 0
		for j < len(s) && s[j] != '"' {
			if s[j] == '\\' {
				j++
			}
			j++
		}
		b.WriteString("[redacted]")
		s = s[min(j, len(s)):]
	}
}
