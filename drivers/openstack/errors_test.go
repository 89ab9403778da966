package openstack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2"

	"github.com/gisiaas/gisiaas/core"
)

// respErr builds the error exactly as gophercloud's ProviderClient.doRequest
// does for an answer outside OkCodes: a value, with the body and headers.
func respErr(status int, body string, header http.Header) error {
	if header == nil {
		header = http.Header{}
	}
	return gophercloud.ErrUnexpectedResponseCode{
		URL:            "http://nova.example:8774/v2.1/servers",
		Method:         "POST",
		Expected:       []int{202},
		Actual:         status,
		Body:           []byte(body),
		ResponseHeader: header,
	}
}

func retryAfterHeader(v string) http.Header {
	h := http.Header{}
	h.Set("Retry-After", v)
	return h
}

func TestClassifyHTTP(t *testing.T) {
	cases := []struct {
		name    string
		err     error
		kind    core.Kind
		message string
	}{
		{"nova 400", respErr(400, `{"badRequest": {"code": 400, "message": "Invalid flavorRef provided."}}`, nil),
			core.InvalidArgument, "Invalid flavorRef provided."},
		{"keystone 401", respErr(401, `{"error": {"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}}`, nil),
			core.Unauthenticated, "The request you have made requires authentication."},
		{"nova policy 403", respErr(403, `{"forbidden": {"code": 403, "message": "Policy doesn't allow os_compute_api:servers:create to be performed."}}`, nil),
			core.PermissionDenied, "Policy doesn't allow os_compute_api:servers:create to be performed."},
		// Nova's own quota 403 has the same shape: structure cannot tell it
		// from a policy denial (doc.go says what the driver does about it).
		{"nova quota 403 is shaped like a denial", respErr(403, `{"forbidden": {"code": 403, "message": "Quota exceeded for cores: Requested 4, but already used 20 of 20 cores"}}`, nil),
			core.PermissionDenied, "Quota exceeded for cores: Requested 4, but already used 20 of 20 cores"},
		{"403 whose fault is overLimit", respErr(403, `{"overLimit": {"code": 403, "message": "Maximum number of key pairs exceeded"}}`, nil),
			core.QuotaExceeded, "Maximum number of key pairs exceeded"},
		{"403 whose type is QuotaError", respErr(403, `{"QuotaError": {"type": "QuotaError", "message": "quota"}}`, nil),
			core.QuotaExceeded, "quota"},
		{"octavia policy 403", respErr(403, `{"faultcode": "Client", "faultstring": "Policy does not allow this request to be performed.", "debuginfo": null}`, nil),
			core.PermissionDenied, "Policy does not allow this request to be performed."},
		{"nova 404", respErr(404, `{"itemNotFound": {"code": 404, "message": "Instance 7f0c could not be found."}}`, nil),
			core.NotFound, "Instance 7f0c could not be found."},
		{"neutron 404", respErr(404, `{"NeutronError": {"type": "FloatingIPNotFound", "message": "Floating IP 1 could not be found", "detail": ""}}`, nil),
			core.NotFound, "Floating IP 1 could not be found"},
		{"glance 404 in plain text", respErr(404, "404 Not Found\n\nNo image found with ID 9c1\n\n   ", nil),
			core.NotFound, "404 Not Found No image found with ID 9c1"},
		{"cinder 409 busy volume", respErr(409, `{"conflictingRequest": {"code": 409, "message": "Volume 5 is still attached, detach volume first."}}`, nil),
			core.Conflict, "Volume 5 is still attached, detach volume first."},
		{"neutron 409 in use", respErr(409, `{"NeutronError": {"type": "IpAddressInUse", "message": "IP address 10.0.0.5 already allocated", "detail": ""}}`, nil),
			core.Conflict, "IP address 10.0.0.5 already allocated"},
		{"neutron 409 OverQuota", respErr(409, `{"NeutronError": {"type": "OverQuota", "message": "Quota exceeded for resources: ['floatingip'].", "detail": ""}}`, nil),
			core.QuotaExceeded, "Quota exceeded for resources: ['floatingip']."},
		{"api-sig 409", respErr(409, `{"errors": [{"status": 409, "title": "Conflict", "detail": "resource provider generation conflict", "code": "placement.concurrent_update"}]}`, nil),
			core.Conflict, "resource provider generation conflict"},
		{"cinder 413 quota", respErr(413, `{"overLimit": {"code": 413, "message": "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota."}}`, nil),
			core.QuotaExceeded, "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota."},
		{"legacy nova 413 quota with Retry-After 0", respErr(413, `{"overLimit": {"code": 413, "message": "Quota exceeded for ram", "retryAfter": "0"}}`, retryAfterHeader("0")),
			core.QuotaExceeded, "Quota exceeded for ram"},
		{"413 rate limit, Retry-After header", respErr(413, `{"overLimit": {"code": 413, "message": "This request was rate-limited."}}`, retryAfterHeader("30")),
			core.Throttled, "This request was rate-limited."},
		{"413 rate limit, retryAfter in the body only", respErr(413, `{"overLimit": {"code": 413, "message": "This request was rate-limited.", "retryAfter": 12}}`, nil),
			core.Throttled, "This request was rate-limited."},
		{"glance 413 storage quota, html", respErr(413, "<html><body><h1>413 Request Entity Too Large</h1></body></html>", nil),
			core.QuotaExceeded, "the cloud answered 413 Request Entity Too Large"},
		{"429", respErr(429, `{"overLimit": {"code": 429, "message": "rate limited"}}`, retryAfterHeader("2")),
			core.Throttled, "rate limited"},
		{"429 without body", respErr(429, "", nil), core.Throttled, "the cloud answered 429 Too Many Requests"},
		{"501", respErr(501, `{"notImplemented": {"code": 501, "message": "Unable to process the contained instruction"}}`, nil),
			core.Unsupported, "Unable to process the contained instruction"},
		{"502 from a proxy", respErr(502, "<html>Bad Gateway</html>", nil), core.Unavailable, "the cloud answered 502 Bad Gateway"},
		{"503", respErr(503, `{"serviceUnavailable": {"code": 503, "message": "Service Unavailable"}}`, nil),
			core.Unavailable, "Service Unavailable"},
		{"504", respErr(504, "", nil), core.Unavailable, "the cloud answered 504 Gateway Timeout"},
		{"500", respErr(500, `{"computeFault": {"code": 500, "message": "Unexpected API Error."}}`, nil),
			core.Internal, "Unexpected API Error."},
		{"old neutron string fault", respErr(400, `{"NeutronError": "Invalid input for cidr"}`, nil),
			core.InvalidArgument, "Invalid input for cidr"},
		{"pointer form", func() error {
			e := respErr(404, `{"itemNotFound": {"message": "gone"}}`, nil).(gophercloud.ErrUnexpectedResponseCode)
			return &e
		}(),
			core.NotFound, "gone"},
		{"wrapped by a helper", fmt.Errorf("list servers: %w", respErr(404, `{"itemNotFound": {"message": "x"}}`, nil)),
			core.NotFound, "x"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := classify("CreateServer", c.err)
			var ce *core.Error
			if !errors.As(got, &ce) {
				t.Fatalf("classify = %T %v, want a *core.Error", got, got)
			}
			if ce.Kind != c.kind || ce.Op != "CreateServer" || ce.Message != c.message {
				t.Errorf("classify = {%s %q %q}, want {%s CreateServer %q}", ce.Kind, ce.Op, ce.Message, c.kind, c.message)
			}
			if !reflect.DeepEqual(ce.Err, c.err) { // errors.Is cannot: the error holds a slice
				t.Errorf("the gophercloud error is not kept as the cause")
			}
		})
	}
}

func TestClassifyKeepsResponseCodeIs(t *testing.T) {
	got := classify("GetServer", respErr(404, `{"itemNotFound": {"message": "x"}}`, nil))
	if !gophercloud.ResponseCodeIs(got, http.StatusNotFound) || !errors.Is(got, core.ErrNotFound) {
		t.Errorf("classify(404) = %v: ResponseCodeIs %v, errors.Is(ErrNotFound) %v", got,
			gophercloud.ResponseCodeIs(got, 404), errors.Is(got, core.ErrNotFound))
	}
}

func TestClassifyReauthentication(t *testing.T) {
	original := respErr(401, `{"error": {"code": 401, "message": "token expired"}}`, nil)
	cases := []struct {
		name string
		err  error
		kind core.Kind
	}{
		// gophercloud returns these as pointers.
		{"re-auth refused", &gophercloud.ErrUnableToReauthenticate{ErrOriginal: original,
			ErrReauth: respErr(401, `{"error": {"code": 401, "message": "The account is disabled."}}`, nil)}, core.Unauthenticated},
		{"keystone down during re-auth", &gophercloud.ErrUnableToReauthenticate{ErrOriginal: original,
			ErrReauth: respErr(503, "", nil)}, core.Unavailable},
		{"re-auth without a cause", &gophercloud.ErrUnableToReauthenticate{ErrOriginal: original}, core.Unauthenticated},
		{"error after re-auth", &gophercloud.ErrErrorAfterReauthentication{ErrOriginal: respErr(409,
			`{"conflictingRequest": {"message": "busy"}}`, nil)}, core.Conflict},
	}
	for _, c := range cases {
		got := classify("StopServer", c.err)
		if k := core.KindOf(got); k != c.kind {
			t.Errorf("%s: kind %s, want %s (%v)", c.name, k, c.kind, got)
		}
		if core.MessageOf(got) == "" {
			t.Errorf("%s: empty message", c.name)
		}
	}
}

func TestClassifyWithoutAnswer(t *testing.T) {
	deadline, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-deadline.Done()
	canceled, cancel2 := context.WithCancel(context.Background())
	cancel2()
	// As http.Client returns them: a *url.Error around the cause.
	urlErr := func(err error) error { return &url.Error{Op: "Get", URL: "http://nova.example/servers", Err: err} }
	refused := urlErr(&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")})

	cases := []struct {
		name  string
		err   error
		kind  core.Kind
		cause error
	}{
		{"deadline", urlErr(deadline.Err()), core.Unavailable, context.DeadlineExceeded},
		{"canceled", urlErr(canceled.Err()), core.Unavailable, context.Canceled},
		{"bare deadline", context.DeadlineExceeded, core.Unavailable, context.DeadlineExceeded},
		{"connection refused", refused, core.Unavailable, nil},
		{"no such service in the catalog", &gophercloud.ErrEndpointNotFound{}, core.Unsupported, nil},
		{"service not found, value form", gophercloud.ErrServiceNotFound{}, core.Unsupported, nil},
		{"name lookup found nothing", gophercloud.ErrResourceNotFound{Name: "web", ResourceType: "server"}, core.NotFound, nil},
		{"gophercloud wait timed out", gophercloud.ErrTimeOut{}, core.Unavailable, nil},
		{"anything else", errors.New("json: cannot unmarshal"), core.Internal, nil},
	}
	for _, c := range cases {
		got := classify("ListServers", c.err)
		if k := core.KindOf(got); k != c.kind {
			t.Errorf("%s: kind %s, want %s (%v)", c.name, k, c.kind, got)
		}
		if c.cause != nil && !errors.Is(got, c.cause) {
			t.Errorf("%s: %v does not wrap %v", c.name, got, c.cause)
		}
	}
}

func TestClassifyNilAndClassified(t *testing.T) {
	if classify("X", nil) != nil {
		t.Error("classify(nil) is not nil")
	}
	got := classify("AttachVolume", core.Errorf(core.Conflict, "volume busy"))
	var ce *core.Error
	if !errors.As(got, &ce) || ce.Kind != core.Conflict || ce.Op != "AttachVolume" || ce.Message != "volume busy" {
		t.Errorf("an already classified error became %#v", got)
	}
}

func TestParseFaultBoundsPlainText(t *testing.T) {
	long := strings.Repeat("é", maxMessage) // two bytes each: the cut falls inside a rune
	f := parseFault([]byte(long))
	if len(f.message) > maxMessage+len("…") || !strings.HasSuffix(f.message, "…") || !strings.HasPrefix(f.message, "éé") {
		t.Errorf("message of %d bytes: %q…", len(f.message), f.message[:10])
	}
	if f := parseFault([]byte("\xff\xfe binary")); f.message != "" {
		t.Errorf("binary body gave message %q", f.message)
	}
	if f := parseFault([]byte(`{"unrelated": [1, 2]}`)); f != (fault{}) {
		t.Errorf("unknown JSON shape gave %+v", f)
	}
}
