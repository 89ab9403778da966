package core

import (
	"errors"
	"fmt"
	"net/http"
)

// Kind classifies an error portably, the way gocloud's gcerrors does: a driver
// only decides which Kind a cloud's failure is; the adapter maps each Kind to
// one HTTP status (SPEC A.0.3) and the plugin boundary carries it intact.
type Kind string

// The error kinds. Their string values are stable: they cross the plugin
// boundary and appear in reports.
const (
	KindUnknown      Kind = ""
	NotFound         Kind = "not_found"
	Conflict         Kind = "conflict" // already exists, busy, or in the wrong state
	InvalidArgument  Kind = "invalid_argument"
	Unauthenticated  Kind = "unauthenticated"
	PermissionDenied Kind = "permission_denied"
	QuotaExceeded    Kind = "quota_exceeded"
	Unsupported      Kind = "unsupported"
	Unavailable      Kind = "unavailable"
	Throttled        Kind = "throttled" // the cloud asked us to slow down
	Gone             Kind = "gone"      // e.g. an event cursor older than what is retained
	Internal         Kind = "internal"
)

// Kinds lists every kind a driver may return, in a stable order.
var Kinds = []Kind{NotFound, Conflict, InvalidArgument, Unauthenticated, PermissionDenied,
	QuotaExceeded, Unsupported, Unavailable, Throttled, Gone, Internal}

// HTTPStatus is the one status each kind maps to (SPEC A.0.3). Quota exceeded
// is 413 as Cinder answers it; see docs/decisions.md.
func (k Kind) HTTPStatus() int {
	switch k {
	case NotFound:
		return http.StatusNotFound
	case Conflict:
		return http.StatusConflict
	case InvalidArgument:
		return http.StatusBadRequest
	case Unauthenticated:
		return http.StatusUnauthorized
	case PermissionDenied:
		return http.StatusForbidden
	case QuotaExceeded:
		return http.StatusRequestEntityTooLarge
	case Unsupported:
		return http.StatusNotImplemented
	case Unavailable:
		return http.StatusServiceUnavailable
	case Throttled:
		return http.StatusTooManyRequests
	case Gone:
		return http.StatusGone
	default:
		return http.StatusInternalServerError
	}
}

// KindFromHTTPStatus is the inverse of HTTPStatus, for clients of the API and
// for drivers that classify a cloud's HTTP answers.
func KindFromHTTPStatus(status int) Kind {
	for _, k := range Kinds {
		if k.HTTPStatus() == status {
			return k
		}
	}
	switch {
	case status == http.StatusBadGateway || status == http.StatusGatewayTimeout:
		return Unavailable
	case status >= 400 && status < 500:
		return InvalidArgument
	}
	return Internal
}

// Error is the error every driver returns. Op names the operation
// ("CreateServer"), Message is safe to show a user, Err is the cause.
type Error struct {
	Kind    Kind
	Op      string
	Message string
	Err     error
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	if e.Op != "" {
		return fmt.Sprintf("%s: %s: %s", e.Op, e.Kind, msg)
	}
	return fmt.Sprintf("%s: %s", e.Kind, msg)
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, core.ErrNotFound) true for any error of that kind.
func (e *Error) Is(target error) bool {
	var t *Error
	if errors.As(target, &t) && t.Op == "" && t.Message == "" && t.Err == nil {
		return t.Kind == e.Kind
	}
	return false
}

// Sentinels for errors.Is; they match any *Error of the same kind.
var (
	ErrNotFound         = &Error{Kind: NotFound}
	ErrConflict         = &Error{Kind: Conflict}
	ErrInvalidArgument  = &Error{Kind: InvalidArgument}
	ErrUnauthenticated  = &Error{Kind: Unauthenticated}
	ErrPermissionDenied = &Error{Kind: PermissionDenied}
	ErrQuotaExceeded    = &Error{Kind: QuotaExceeded}
	ErrUnsupported      = &Error{Kind: Unsupported}
	ErrUnavailable      = &Error{Kind: Unavailable}
	ErrThrottled        = &Error{Kind: Throttled}
	ErrGone             = &Error{Kind: Gone}
	ErrInternal         = &Error{Kind: Internal}
)

// Errorf builds an *Error of the given kind with a formatted message.
func Errorf(kind Kind, format string, args ...any) error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Wrap classifies err as kind, keeping it as the cause.
func Wrap(kind Kind, op string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: kind, Op: op, Err: err}
}

// WithOp returns err with Op set when it is an *Error that has none.
func WithOp(op string, err error) error {
	var e *Error
	if errors.As(err, &e) && e.Op == "" {
		c := *e
		c.Op = op
		return &c
	}
	return err
}

// KindOf returns the kind of err: Internal for an unclassified non-nil error,
// KindUnknown for nil.
func KindOf(err error) Kind {
	if err == nil {
		return KindUnknown
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// MessageOf is the user-facing message of err.
func MessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		if e.Message != "" {
			return e.Message
		}
		if e.Err != nil {
			return e.Err.Error()
		}
		return string(e.Kind)
	}
	if err == nil {
		return ""
	}
	return err.Error()
}

// unsupported is the error of an operation a driver does not offer.
func unsupported(op string, clause Clause) error {
	return &Error{Kind: Unsupported, Op: op, Message: fmt.Sprintf("%s (%s) is not supported by this driver", op, clause)}
}

// UnsupportedError is the error a driver returns for an operation it does not
// offer; clause is the SPEC clause the operation belongs to.
func UnsupportedError(op string, clause Clause) error { return unsupported(op, clause) }
