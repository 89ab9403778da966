package openstack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gophercloud/gophercloud/v2"

	"github.com/gisiaas/gisiaas/core"
)

// classify turns an error from gophercloud into a *core.Error of the right
// kind, named op. It decides by HTTP status and by the fault's structure (its
// JSON key or Neutron's "type"), never by the text of a message: OpenStack's
// messages are translated, reworded between releases and differ per service.
// The cloud's own message becomes the error's user-facing message; the
// gophercloud error stays the cause, so gophercloud.ResponseCodeIs and
// errors.Is(err, context.DeadlineExceeded) still work on the result.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	var ce *core.Error
	if errors.As(err, &ce) {
		return core.WithOp(op, err) // classified already, e.g. by a helper
	}

	// A failed re-authentication does not unwrap (gophercloud keeps the
	// original 401 and the re-auth failure apart): what matters is why the
	// re-auth failed. Keystone down is Unavailable, so a caller retries;
	// anything else (credentials revoked, application credential expired)
	// means this credential no longer authenticates.
	if r, ok := as[gophercloud.ErrUnableToReauthenticate](err); ok {
		kind, msg := core.Unauthenticated, ""
		if r.ErrReauth != nil {
			inner := classify(op, r.ErrReauth)
			if k := core.KindOf(inner); k == core.Unavailable || k == core.Throttled {
				kind = k
			}
			msg = core.MessageOf(inner)
		}
		if msg == "" {
			msg = "the cloud refused the service credential"
		}
		return &core.Error{Kind: kind, Op: op, Message: msg, Err: err}
	}

	// An HTTP answer is the most precise thing we have, so it is looked for
	// first; errors.As also finds it inside ErrErrorAfterReauthentication.
	// (gophercloud.ResponseCodeIs does the same search, but only for the
	// value form, and classify needs the body and headers as well.)
	if r, ok := as[gophercloud.ErrUnexpectedResponseCode](err); ok {
		kind, msg := classifyResponse(r, time.Now())
		return &core.Error{Kind: kind, Op: op, Message: msg, Err: err}
	}

	switch {
	case errors.Is(err, context.DeadlineExceeded):
		// Unavailable, not Internal: the cloud did not answer in time, which
		// is a statement about the cloud, and the caller may try again.
		return &core.Error{Kind: core.Unavailable, Op: op, Message: "the cloud did not answer before the deadline", Err: err}
	case errors.Is(err, context.Canceled):
		return &core.Error{Kind: core.Unavailable, Op: op, Message: "the request was canceled before the cloud answered", Err: err}
	case is[gophercloud.ErrServiceNotFound](err) || is[gophercloud.ErrEndpointNotFound](err):
		// The catalog has no such service (Octavia is optional, the issue
		// says: declared unsupported where the catalog lacks it).
		return &core.Error{Kind: core.Unsupported, Op: op, Message: "this cloud's service catalog does not offer the service " + op + " needs", Err: err}
	case is[gophercloud.ErrResourceNotFound](err):
		return &core.Error{Kind: core.NotFound, Op: op, Err: err}
	case is[gophercloud.ErrTimeOut](err):
		// gophercloud's own waits (WaitFor) ran out.
		return &core.Error{Kind: core.Unavailable, Op: op, Err: err}
	}
	// No answer at all: refused connection, DNS failure, reset, TLS
	// handshake timeout. http.Client wraps them all in *url.Error, a
	// net.Error. The cloud is unreachable from here, which is what
	// Unavailable means to the adapter and to Health.
	var ne net.Error
	if errors.As(err, &ne) {
		return &core.Error{Kind: core.Unavailable, Op: op, Message: "the cloud could not be reached", Err: err}
	}
	return &core.Error{Kind: core.Internal, Op: op, Err: err}
}

// classifyResponse is the kind and user-facing message of an HTTP error
// answer; now resolves a Retry-After given as a date.
func classifyResponse(r gophercloud.ErrUnexpectedResponseCode, now time.Time) (core.Kind, string) {
	f := parseFault(r.Body)
	msg := f.message
	if msg == "" {
		msg = fmt.Sprintf("the cloud answered %d %s", r.Actual, http.StatusText(r.Actual))
	}
	switch r.Actual {
	case http.StatusBadRequest:
		return core.InvalidArgument, msg
	case http.StatusUnauthorized:
		return core.Unauthenticated, msg
	case http.StatusForbidden:
		// Only a fault that names a quota is QuotaExceeded. Nova (servers,
		// key pairs, metadata) and Octavia answer an exhausted quota with a
		// 403 shaped exactly like a policy denial (Nova's fault key is
		// "forbidden" for both; Octavia's wsme body has no type); only the
		// message differs, which classify does not read. Those come out as
		// PermissionDenied here; the driver must tell them apart where it
		// can, by asking the limits API (see doc.go).
		if f.isQuota() {
			return core.QuotaExceeded, msg
		}
		return core.PermissionDenied, msg
	case http.StatusNotFound:
		return core.NotFound, msg
	case http.StatusConflict:
		// Neutron answers an exhausted quota with 409 and type OverQuota.
		if f.isQuota() {
			return core.QuotaExceeded, msg
		}
		return core.Conflict, msg
	case http.StatusRequestEntityTooLarge:
		// 413 is Cinder's and Glance's quota answer (Nova's "overLimit"
		// before it moved to 403), and also the old rate limiter's answer, told
		// apart by a positive Retry-After. Legacy Nova sends "Retry-After: 0"
		// with a quota 413: retrying at once cannot help, so 0 is quota.
		if d, ok := f.retryAfterOrHeader(r.ResponseHeader, now); ok && d > 0 {
			return core.Throttled, msg
		}
		return core.QuotaExceeded, msg
	case http.StatusTooManyRequests:
		return core.Throttled, msg
	case http.StatusNotImplemented:
		return core.Unsupported, msg
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return core.Unavailable, msg
	}
	return core.Internal, msg
}

// quotaFaults are the fault names and types by which OpenStack services say
// "quota exceeded": Nova's and Cinder's 413 fault key overLimit, Neutron's
// NeutronError type OverQuota, and Cinder's exception name QuotaError where a
// service reports the exception class.
var quotaFaults = []string{"overLimit", "OverQuota", "QuotaError"}

// fault is the structured part of an OpenStack error body. The services
// disagree on its shape:
//
//	Nova, Cinder:  {"itemNotFound": {"code": 404, "message": "…"}}  (key from the status)
//	               {"overLimit": {"code": 413, "message": "…", "retryAfter": "0"}}
//	Neutron:       {"NeutronError": {"type": "OverQuota", "message": "…", "detail": ""}}
//	Keystone:      {"error": {"code": 401, "title": "Unauthorized", "message": "…"}}
//	Octavia:       {"faultcode": "Client", "faultstring": "…", "debuginfo": null}
//	API-SIG style: {"errors": [{"status": 409, "code": "placement.concurrent_update", "detail": "…"}]}
//	Glance:        plain text from webob ("404 Not Found\n\nNo image found with ID …")
type fault struct {
	name       string // the outer key: "forbidden", "overLimit", "NeutronError", …
	typ        string // Neutron's type, or an API-SIG error code
	message    string
	retryAfter string // Nova's and Cinder's overLimit carry it in the body too
}

func (f fault) isQuota() bool {
	return slices.Contains(quotaFaults, f.name) || slices.Contains(quotaFaults, f.typ)
}

// retryAfterOrHeader is the wait the answer asks for, from the Retry-After
// header or else the body's retryAfter.
func (f fault) retryAfterOrHeader(h http.Header, now time.Time) (time.Duration, bool) {
	if v := h.Get("Retry-After"); v != "" {
		return parseRetryAfter(v, now)
	}
	if f.retryAfter != "" {
		return parseRetryAfter(f.retryAfter, now)
	}
	return 0, false
}

// maxMessage bounds a message taken from a non-JSON body, which is shown to
// users and could be a whole page.
const maxMessage = 512

// parseFault reads a fault from an error body, of any of the shapes above;
// an unreadable body gives an empty fault, never an error.
func parseFault(body []byte) fault {
	body = bytes.TrimSpace(body)
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return fault{message: plainMessage(body)}
	}
	if raw, ok := top["faultstring"]; ok {
		var f fault
		_ = json.Unmarshal(raw, &f.message)
		return f
	}
	if raw, ok := top["errors"]; ok {
		var list []struct {
			Code   string `json:"code"`
			Title  string `json:"title"`
			Detail string `json:"detail"`
		}
		if json.Unmarshal(raw, &list) == nil && len(list) > 0 {
			f := fault{name: "errors", typ: list[0].Code, message: list[0].Detail}
			if f.message == "" {
				f.message = list[0].Title
			}
			return f
		}
	}
	// One key naming the fault, whose value holds the details. Keys are
	// visited in order so that an odd body with several gives one answer.
	keys := make([]string, 0, len(top))
	for k := range top {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		var inner struct {
			Message    string          `json:"message"`
			Type       string          `json:"type"`
			RetryAfter json.RawMessage `json:"retryAfter"`
		}
		if json.Unmarshal(top[k], &inner) == nil && (inner.Message != "" || inner.Type != "") {
			return fault{name: k, typ: inner.Type, message: inner.Message,
				retryAfter: strings.Trim(string(inner.RetryAfter), `"`)}
		}
		// Old Neutron: {"NeutronError": "message"}.
		var s string
		if len(top) == 1 && json.Unmarshal(top[k], &s) == nil {
			return fault{name: k, message: s}
		}
	}
	return fault{}
}

// plainMessage is the message of a text body (Glance's webob answers),
// whitespace folded; an HTML page (a proxy's error page) gives none, as its
// markup is no message for a user.
func plainMessage(body []byte) string {
	if len(body) == 0 || body[0] == '<' || !utf8.Valid(body) {
		return ""
	}
	s := strings.Join(strings.Fields(string(body)), " ")
	if len(s) > maxMessage {
		cut := maxMessage
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// as finds an error of type T in err's chain, in value or pointer form:
// gophercloud returns some of its errors as values (ErrUnexpectedResponseCode)
// and others as pointers (ErrUnableToReauthenticate, ErrEndpointNotFound).
// P is *T, spelled out so that errors.As can be told it is an error too.
func as[T error, P interface {
	*T
	error
}](err error) (T, bool) {
	var v T
	if errors.As(err, &v) {
		return v, true
	}
	var p P
	if errors.As(err, &p) && p != nil {
		return *p, true
	}
	return v, false
}

// is reports whether err's chain holds an error of type T.
func is[T error, P interface {
	*T
	error
}](err error) bool {
	_, ok := as[T, P](err)
	return ok
}
