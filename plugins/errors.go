package plugins

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gisiaas/gisiaas/core"
	pb "github.com/gisiaas/gisiaas/plugins/proto/driverpb"
)

// ErrPluginUnreachable is the cause of every error that did not come from
// the driver but from the way to it: the plugin process died, the
// connection broke. Such errors are of kind Unavailable; errors.Is(err,
// ErrPluginUnreachable) tells them from a driver's own Unavailable (its
// cloud is down), which restarting the plugin would not cure.
var ErrPluginUnreachable = errors.New("plugin unreachable")

// kindCodes maps each kind to the gRPC code nearest in meaning. The code
// is for gRPC tooling and logs only: the kind itself travels in the
// ErrorDetail and is what the host reads back.
var kindCodes = map[core.Kind]codes.Code{
	core.KindUnknown:      codes.Unknown,
	core.NotFound:         codes.NotFound,
	core.Conflict:         codes.FailedPrecondition,
	core.InvalidArgument:  codes.InvalidArgument,
	core.Unauthenticated:  codes.Unauthenticated,
	core.PermissionDenied: codes.PermissionDenied,
	core.QuotaExceeded:    codes.ResourceExhausted,
	core.Unsupported:      codes.Unimplemented,
	core.Unavailable:      codes.Unavailable,
	core.Throttled:        codes.ResourceExhausted,
	core.Gone:             codes.OutOfRange,
	core.Internal:         codes.Internal,
}

// errorToStatus turns a driver's error into a gRPC status carrying an
// ErrorDetail. An error that is not a *core.Error is Internal, its text
// kept as the cause, as core.KindOf classifies it in process.
func errorToStatus(err error) error {
	d := &pb.ErrorDetail{Kind: string(core.Internal), Cause: err.Error()}
	var e *core.Error
	if errors.As(err, &e) {
		d = &pb.ErrorDetail{Kind: string(e.Kind), Op: e.Op, Message: e.Message}
		if e.Err != nil {
			d.Cause = e.Err.Error()
		}
	}
	code, ok := kindCodes[core.Kind(d.Kind)]
	if !ok {
		code = codes.Unknown // a kind newer than this build: the detail still carries it
	}
	st, werr := status.New(code, err.Error()).WithDetails(d)
	if werr != nil { // only if the detail cannot be marshalled, which a plain message always can
		return status.Error(codes.Internal, err.Error())
	}
	return st.Err()
}

// errorFromRPC turns the error of a call into what an in-process driver
// would have returned: the driver's *core.Error rebuilt from the detail,
// or, when the call never reached the driver, an Unavailable error whose
// cause is ErrPluginUnreachable. It never returns a raw gRPC error.
func errorFromRPC(ctx context.Context, plugin, op string, err error) error {
	st, ok := status.FromError(err)
	if ok {
		for _, d := range st.Details() {
			if ed, ok := d.(*pb.ErrorDetail); ok {
				return &core.Error{Kind: core.Kind(ed.Kind), Op: ed.Op, Message: ed.Message, Err: causeError(ed.Cause)}
			}
		}
	}
	// The caller gave up: say so in the kind an in-process driver uses for
	// a cancelled call, keeping ctx.Err() as the cause for errors.Is.
	if cerr := ctx.Err(); cerr != nil {
		return &core.Error{Kind: core.Unavailable, Op: op, Message: cerr.Error(), Err: cerr}
	}
	// The deadline travels as time left, so the plugin's copy may fire a
	// moment before ours: a bare DeadlineExceeded is the caller's deadline,
	// not a dead plugin.
	if ok && st.Code() == codes.DeadlineExceeded {
		return &core.Error{Kind: core.Unavailable, Op: op, Message: context.DeadlineExceeded.Error(), Err: context.DeadlineExceeded}
	}
	if ok && st.Code() == codes.Unimplemented {
		// The plugin was built against an older protocol that lacks this RPC.
		return &core.Error{Kind: core.Unsupported, Op: op,
			Message: fmt.Sprintf("plugin %q does not implement %s (built for an older protocol)", plugin, op)}
	}
	text := err.Error()
	if ok {
		text = fmt.Sprintf("%s: %s", st.Code(), st.Message())
	}
	return &core.Error{Kind: core.Unavailable, Op: op,
		Message: fmt.Sprintf("plugin %q is unreachable", plugin),
		Err:     fmt.Errorf("%w: %s", ErrPluginUnreachable, text)}
}

// causeError rebuilds core.Error.Err from its text. The context errors
// come back as themselves so that errors.Is(err, context.Canceled) holds
// across the boundary as it does in process.
func causeError(text string) error {
	switch text {
	case "":
		return nil
	case context.Canceled.Error():
		return context.Canceled
	case context.DeadlineExceeded.Error():
		return context.DeadlineExceeded
	}
	return errors.New(text)
}
