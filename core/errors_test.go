package core

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestKindHTTPStatusRoundTrip(t *testing.T) {
	seen := map[int]Kind{}
	for _, k := range Kinds {
		s := k.HTTPStatus()
		if prev, dup := seen[s]; dup {
			t.Fatalf("%s and %s share status %d", k, prev, s)
		}
		seen[s] = k
		if back := KindFromHTTPStatus(s); back != k {
			t.Fatalf("%s → %d → %s", k, s, back)
		}
	}
	for status, want := range map[int]Kind{502: Unavailable, 504: Unavailable, 418: InvalidArgument, 500: Internal, 599: Internal} {
		if got := KindFromHTTPStatus(status); got != want {
			t.Errorf("%d → %s, want %s", status, got, want)
		}
	}
}

func TestErrorsIsAsAndKindOf(t *testing.T) {
	cause := errors.New("disk full")
	err := Wrap(Unavailable, "CreateVolume", cause)
	wrapped := fmt.Errorf("adapter: %w", err)
	if !errors.Is(wrapped, ErrUnavailable) || errors.Is(wrapped, ErrNotFound) || !errors.Is(wrapped, cause) {
		t.Fatal("errors.Is does not follow kinds and causes")
	}
	var ce *Error
	if !errors.As(wrapped, &ce) || ce.Op != "CreateVolume" {
		t.Fatalf("errors.As: %+v", ce)
	}
	cases := []struct {
		err  error
		kind Kind
		msg  string
	}{
		{nil, KindUnknown, ""},
		{errors.New("plain"), Internal, "plain"},
		{Errorf(NotFound, "server %s not found", "x"), NotFound, "server x not found"},
		{wrapped, Unavailable, "disk full"},
		{&Error{Kind: Conflict}, Conflict, "conflict"},
	}
	for _, c := range cases {
		if KindOf(c.err) != c.kind || MessageOf(c.err) != c.msg {
			t.Errorf("%v: kind %s message %q", c.err, KindOf(c.err), MessageOf(c.err))
		}
	}
	if Wrap(NotFound, "x", nil) != nil {
		t.Fatal("Wrap(nil) must be nil")
	}
	if !strings.Contains(err.Error(), "CreateVolume: unavailable: disk full") {
		t.Fatalf("Error() = %q", err.Error())
	}
}

func TestWithOpDoesNotMutate(t *testing.T) {
	orig := Errorf(Conflict, "busy").(*Error)
	got := WithOp("StopServer", orig)
	if orig.Op != "" || got.(*Error).Op != "StopServer" || KindOf(got) != Conflict {
		t.Fatalf("orig %+v got %+v", orig, got)
	}
	if again := WithOp("Other", got); again.(*Error).Op != "StopServer" {
		t.Fatal("WithOp replaced an existing op")
	}
	plain := errors.New("x")
	if WithOp("Op", plain) != plain {
		t.Fatal("WithOp changed a plain error")
	}
}

func TestUnsupportedNamesTheClause(t *testing.T) {
	var u Unimplemented
	err := u.LiveMigrateServer(context.Background(), "id", "host")
	if KindOf(err) != Unsupported || !strings.Contains(err.Error(), "B.2.1.9") {
		t.Fatalf("%v", err)
	}
}
