package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// sentinels maps every kind to its errors.Is sentinel.
var sentinels = map[Kind]*Error{
	NotFound: ErrNotFound, Conflict: ErrConflict, InvalidArgument: ErrInvalidArgument,
	Unauthenticated: ErrUnauthenticated, PermissionDenied: ErrPermissionDenied,
	QuotaExceeded: ErrQuotaExceeded, Unsupported: ErrUnsupported, Unavailable: ErrUnavailable,
	Throttled: ErrThrottled, Gone: ErrGone, Internal: ErrInternal,
}

// SPEC A.0.3: one HTTP status per kind, and back.
func TestErrors_A0_3_KindHTTPStatusRoundTrip(t *testing.T) {
	want := map[Kind]int{
		NotFound: http.StatusNotFound, Conflict: http.StatusConflict, InvalidArgument: http.StatusBadRequest,
		Unauthenticated: http.StatusUnauthorized, PermissionDenied: http.StatusForbidden,
		QuotaExceeded: http.StatusRequestEntityTooLarge, Unsupported: http.StatusNotImplemented,
		Unavailable: http.StatusServiceUnavailable, Throttled: http.StatusTooManyRequests,
		Gone: http.StatusGone, Internal: http.StatusInternalServerError,
	}
	if len(Kinds) != len(want) {
		t.Fatalf("Kinds has %d kinds, the table %d: a new kind needs a status", len(Kinds), len(want))
	}
	seen := map[int]Kind{}
	for _, k := range Kinds {
		t.Run(string(k), func(t *testing.T) {
			status := k.HTTPStatus()
			if status != want[k] {
				t.Fatalf("%s.HTTPStatus() = %d, want %d", k, status, want[k])
			}
			if prev, dup := seen[status]; dup {
				t.Fatalf("%s and %s share status %d", k, prev, status)
			}
			seen[status] = k
			if back := KindFromHTTPStatus(status); back != k {
				t.Fatalf("KindFromHTTPStatus(%d) = %s, want %s", status, back, k)
			}
			if _, ok := sentinels[k]; !ok {
				t.Fatalf("no sentinel for %s", k)
			}
		})
	}
	if got := KindUnknown.HTTPStatus(); got != http.StatusInternalServerError {
		t.Errorf("KindUnknown.HTTPStatus() = %d, want 500", got)
	}
	// Statuses no kind owns: gateways are Unavailable, other 4xx InvalidArgument, the rest Internal.
	others := []struct {
		status int
		want   Kind
	}{
		{http.StatusBadGateway, Unavailable},
		{http.StatusGatewayTimeout, Unavailable},
		{http.StatusTeapot, InvalidArgument},
		{http.StatusInternalServerError, Internal},
		{http.StatusMethodNotAllowed, InvalidArgument},
		{http.StatusUnprocessableEntity, InvalidArgument},
		{499, InvalidArgument},
		{http.StatusOK, Internal},
		{http.StatusMovedPermanently, Internal},
		{599, Internal},
		{0, Internal},
	}
	for _, c := range others {
		if got := KindFromHTTPStatus(c.status); got != c.want {
			t.Errorf("KindFromHTTPStatus(%d) = %s, want %s", c.status, got, c.want)
		}
	}
}

func TestErrors_IsMatchesEveryErrorOfTheKind(t *testing.T) {
	for _, k := range Kinds {
		for _, form := range []struct {
			name string
			err  error
		}{
			{"Errorf", Errorf(k, "thing %d", 1)},
			{"struct with op and cause", &Error{Kind: k, Op: "Op", Message: "m", Err: io.EOF}},
			{"Wrap", Wrap(k, "Op", io.EOF)},
			{"wrapped by fmt", fmt.Errorf("layer: %w", Errorf(k, "x"))},
			{"WithOp", WithOp("Op", Errorf(k, "x"))},
		} {
			for other, s := range sentinels {
				if got := errors.Is(form.err, s); got != (other == k) {
					t.Errorf("%s %s: errors.Is(err, Err%s) = %v", k, form.name, other, got)
				}
			}
		}
	}
	// Only a bare sentinel matches by kind: an error with a message is not a pattern.
	if errors.Is(Errorf(NotFound, "a"), &Error{Kind: NotFound, Message: "a"}) {
		t.Error("errors.Is matched a non-sentinel target by kind")
	}
	if errors.Is(errors.New("not found"), ErrNotFound) {
		t.Error("a plain error is NotFound")
	}
}

func TestErrors_As(t *testing.T) {
	orig := &Error{Kind: Conflict, Op: "StopServer", Message: "server s1 is SHUTOFF"}
	err := fmt.Errorf("adapter: %w", fmt.Errorf("dispatch: %w", orig))
	var e *Error
	if !errors.As(err, &e) {
		t.Fatal("errors.As found no *Error")
	}
	if e != orig || e.Kind != Conflict || e.Op != "StopServer" {
		t.Fatalf("errors.As gave %+v", e)
	}
}

func TestErrors_WrapKeepsTheCause(t *testing.T) {
	cause := errors.New("disk full")
	err := Wrap(Unavailable, "CreateVolume", cause)
	if !errors.Is(err, cause) || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("errors.Is(cause)=%v errors.Is(ErrUnavailable)=%v", errors.Is(err, cause), errors.Is(err, ErrUnavailable))
	}
	if errors.Unwrap(err) != cause {
		t.Fatalf("Unwrap = %v", errors.Unwrap(err))
	}
	if got := err.Error(); got != "CreateVolume: unavailable: disk full" {
		t.Fatalf("Error() = %q", got)
	}
	if MessageOf(err) != "disk full" || KindOf(err) != Unavailable {
		t.Fatalf("MessageOf %q KindOf %s", MessageOf(err), KindOf(err))
	}
	ctxErr := Wrap(Unavailable, "Watch", context.Canceled)
	if !errors.Is(ctxErr, context.Canceled) {
		t.Fatal("a wrapped context error is no longer context.Canceled")
	}
	if Wrap(NotFound, "Op", nil) != nil {
		t.Fatal("Wrap(nil) must be nil")
	}
}

func TestErrors_ErrorString(t *testing.T) {
	cases := []struct {
		err  *Error
		want string
	}{
		{&Error{Kind: NotFound, Op: "GetServer", Message: "server x not found"}, "GetServer: not_found: server x not found"},
		{&Error{Kind: NotFound, Message: "server x not found"}, "not_found: server x not found"},
		{&Error{Kind: Internal, Err: io.EOF}, "internal: EOF"},
		{&Error{Kind: Internal, Message: "shown", Err: io.EOF}, "internal: shown"},
		{&Error{Kind: Gone}, "gone: "},
	}
	for _, c := range cases {
		if got := c.err.Error(); got != c.want {
			t.Errorf("Error() = %q, want %q", got, c.want)
		}
	}
}

func TestErrors_WithOp(t *testing.T) {
	orig := &Error{Kind: Conflict, Message: "busy", Err: io.EOF}
	got := WithOp("StopServer", orig)
	if orig.Op != "" {
		t.Fatalf("WithOp mutated the original: %+v", orig)
	}
	var e *Error
	if !errors.As(got, &e) || e == orig {
		t.Fatal("WithOp did not return a copy")
	}
	if e.Op != "StopServer" || e.Kind != Conflict || e.Message != "busy" || e.Err != io.EOF {
		t.Fatalf("WithOp gave %+v", e)
	}
	// An op already set is kept.
	if again := WithOp("Other", got); again.(*Error).Op != "StopServer" {
		t.Fatalf("WithOp replaced an op: %v", again)
	}
	// A sentinel is never changed: it is shared by every caller.
	if s := WithOp("Op", ErrNotFound); ErrNotFound.Op != "" || !errors.Is(s, ErrNotFound) {
		t.Fatalf("WithOp on a sentinel: %+v, sentinel %+v", s, ErrNotFound)
	}
	// A *Error inside a fmt wrapper: the op is set on a copy, the kind is kept,
	// and the wrapped original is not changed.
	inner := Errorf(Gone, "cursor 3 is gone")
	wrapped := WithOp("Watch", fmt.Errorf("layer: %w", inner))
	if inner.(*Error).Op != "" || KindOf(wrapped) != Gone || !errors.Is(wrapped, ErrGone) || errors.Is(wrapped, ErrNotFound) {
		t.Fatalf("WithOp on a wrapped error: %v (inner %+v)", wrapped, inner)
	}
	if !errors.As(wrapped, &e) || e.Op != "Watch" {
		t.Fatalf("WithOp on a wrapped error set no op: %v", wrapped)
	}
	plain := errors.New("x")
	if WithOp("Op", plain) != plain {
		t.Fatal("WithOp changed a plain error")
	}
	if WithOp("Op", nil) != nil {
		t.Fatal("WithOp(nil) must be nil")
	}
}

func TestErrors_KindOfAndMessageOf(t *testing.T) {
	cases := []struct {
		name string
		err  error
		kind Kind
		msg  string
	}{
		{"nil", nil, KindUnknown, ""},
		{"plain", errors.New("plain"), Internal, "plain"},
		{"wrapped plain", fmt.Errorf("a: %w", io.EOF), Internal, "a: EOF"},
		{"Errorf", Errorf(NotFound, "server %s not found", "x"), NotFound, "server x not found"},
		{"cause only", Wrap(Throttled, "Op", errors.New("slow down")), Throttled, "slow down"},
		{"kind only", &Error{Kind: Conflict}, Conflict, "conflict"},
		{"wrapped by fmt", fmt.Errorf("layer: %w", Errorf(Gone, "cursor 3 is gone")), Gone, "cursor 3 is gone"},
	}
	for _, c := range cases {
		if got := KindOf(c.err); got != c.kind {
			t.Errorf("%s: KindOf = %q, want %q", c.name, got, c.kind)
		}
		if got := MessageOf(c.err); got != c.msg {
			t.Errorf("%s: MessageOf = %q, want %q", c.name, got, c.msg)
		}
	}
}

func TestErrors_UnsupportedNamesTheClause(t *testing.T) {
	err := UnsupportedError("LiveMigrateServer", ClauseServerLiveMigrate)
	var e *Error
	if !errors.As(err, &e) || e.Kind != Unsupported || e.Op != "LiveMigrateServer" || !errors.Is(err, ErrUnsupported) {
		t.Fatalf("%#v", err)
	}
	if !strings.Contains(e.Message, "LiveMigrateServer") || !strings.Contains(e.Message, "(B.2.1.9)") {
		t.Fatalf("message %q names neither the operation nor the clause", e.Message)
	}
	if KindOf(err).HTTPStatus() != http.StatusNotImplemented {
		t.Fatalf("status %d", KindOf(err).HTTPStatus())
	}
}

// Every operation of Unimplemented is Unsupported, names itself, and names a
// clause that exists; together they cover Driver but for Info, Health, Close.
func TestErrors_UnimplementedIsUnsupportedEverywhere(t *testing.T) {
	u := reflect.ValueOf(Unimplemented{})
	ut := u.Type()
	ctxType := reflect.TypeFor[context.Context]()
	errType := reflect.TypeFor[error]()
	for i := 0; i < ut.NumMethod(); i++ {
		m := ut.Method(i)
		t.Run(m.Name, func(t *testing.T) {
			args := []reflect.Value{}
			for j := 0; j < m.Type.NumIn()-1; j++ { // skip the receiver
				in := m.Type.In(j + 1)
				if in == ctxType {
					args = append(args, reflect.ValueOf(context.Background()))
				} else {
					args = append(args, reflect.Zero(in))
				}
			}
			out := u.Method(i).Call(args)
			last := out[len(out)-1]
			if last.Type() != errType || last.IsNil() {
				t.Fatalf("%s returned no error", m.Name)
			}
			err := last.Interface().(error)
			var e *Error
			if !errors.As(err, &e) || e.Kind != Unsupported || e.Op != m.Name {
				t.Fatalf("%s: %#v", m.Name, err)
			}
			if m.Name == "Watch" {
				return // streaming is not a clause
			}
			lp, rp := strings.Index(e.Message, "("), strings.Index(e.Message, ")")
			if lp < 0 || rp < lp {
				t.Fatalf("%s: message %q names no clause", m.Name, e.Message)
			}
			if _, ok := LookupClause(Clause(e.Message[lp+1 : rp])); !ok {
				t.Fatalf("%s names clause %q, which does not exist", m.Name, e.Message[lp+1:rp])
			}
		})
	}
	dt := reflect.TypeFor[Driver]()
	for i := 0; i < dt.NumMethod(); i++ {
		name := dt.Method(i).Name
		if _, ok := ut.MethodByName(name); !ok && name != "Info" && name != "Health" && name != "Close" {
			t.Errorf("Unimplemented lacks %s", name)
		}
	}
}
