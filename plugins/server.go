package plugins

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/gisiaas/gisiaas/core"
	"github.com/gisiaas/gisiaas/plugins/internal/convert"
	pb "github.com/gisiaas/gisiaas/plugins/proto/driverpb"
)

// Factory builds a driver from its settings, inside the plugin process.
// The settings are the bytes the host passed to Configure (usually JSON);
// they may hold credentials, so a factory must not log them.
type Factory func(config []byte) (core.Driver, error)

// server is the plugin side of the boundary: it serves the driver that
// Configure built through the gRPC service.
type server struct {
	pb.UnimplementedDriverServer

	name, version   string
	protocolVersion uint
	factory         Factory

	mu  sync.RWMutex
	drv core.Driver
}

// RegisterServer registers the driver service of cfg on s. Serve does this
// in a plugin process; plugintest and hosts that want a driver behind a
// real gRPC connection use it directly. It returns a function that closes
// the configured driver, if any, for the caller's shutdown.
func RegisterServer(s grpc.ServiceRegistrar, cfg ServeConfig) (closeDriver func() error) {
	srv := newServer(cfg, ProtocolVersion)
	pb.RegisterDriverServer(s, srv)
	return srv.closeDriver
}

func newServer(cfg ServeConfig, protocolVersion uint) *server {
	return &server{name: cfg.Name, version: cfg.Version, factory: cfg.Factory, protocolVersion: protocolVersion}
}

func (s *server) driver() (core.Driver, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.drv == nil {
		return nil, errorToStatus(&core.Error{Kind: core.Internal, Op: "Configure",
			Message: fmt.Sprintf("plugin %q is not configured: the host must call Configure first", s.name)})
	}
	return s.drv, nil
}

func (s *server) closeDriver() error {
	s.mu.Lock()
	d := s.drv
	s.drv = nil
	s.mu.Unlock()
	if d == nil {
		return nil
	}
	return d.Close()
}

// Configure builds the driver. The previous driver, if any, is closed
// first: two instances of one driver must not share its state (the
// simulator's state file, a cloud session).
func (s *server) Configure(_ context.Context, r *pb.ConfigureRequest) (*pb.ConfigureResponse, error) {
	me := &pb.ConfigureResponse{ProtocolVersion: uint32(s.protocolVersion), Name: s.name, Version: s.version}
	if r.ProtocolVersion != uint32(s.protocolVersion) {
		st := status.New(codes.FailedPrecondition, fmt.Sprintf("host speaks driver protocol %d, plugin %q speaks %d",
			r.ProtocolVersion, s.name, s.protocolVersion))
		// The response rides along so that the host can name both versions.
		if withMe, err := st.WithDetails(me); err == nil {
			st = withMe
		}
		return nil, st.Err()
	}
	if err := s.closeDriver(); err != nil {
		slog.Warn("closing the previous driver", "plugin", s.name, "error", err)
	}
	d, err := s.factory(r.Config)
	if err != nil {
		if core.KindOf(err) == core.Internal {
			// A factory's plain error is almost always bad settings.
			err = &core.Error{Kind: core.InvalidArgument, Op: "Configure", Message: err.Error()}
		}
		return nil, errorToStatus(core.WithOp("Configure", err))
	}
	s.mu.Lock()
	s.drv = d
	s.mu.Unlock()
	return me, nil
}

// recovered turns a driver's panic into an Internal error, so that one bad
// request does not take down every other call the plugin is serving.
func recovered(name, op string, err *error) {
	if r := recover(); r != nil {
		slog.Error("driver panicked", "plugin", name, "op", op, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		*err = errorToStatus(&core.Error{Kind: core.Internal, Op: op, Message: fmt.Sprintf("driver panicked: %v", r)})
	}
}

// unary runs one driver call and converts its result.
func unary[T any, P any](s *server, op string, call func(core.Driver) (T, error), to func(T) P) (out P, err error) {
	defer recovered(s.name, op, &err)
	d, err := s.driver()
	if err != nil {
		return out, err
	}
	v, err := call(d)
	if err != nil {
		return out, errorToStatus(err)
	}
	return to(v), nil
}

// empty runs one driver call that returns only an error.
func empty(s *server, op string, call func(core.Driver) error) (*emptypb.Empty, error) {
	return unary(s, op, func(d core.Driver) (struct{}, error) { return struct{}{}, call(d) },
		func(struct{}) *emptypb.Empty { return &emptypb.Empty{} })
}

func (s *server) Info(ctx context.Context, _ *emptypb.Empty) (*pb.DriverInfo, error) {
	return unary(s, "Info", func(d core.Driver) (core.DriverInfo, error) { return d.Info(ctx) }, convert.DriverInfoToProto)
}

func (s *server) Health(ctx context.Context, _ *emptypb.Empty) (*emptypb.Empty, error) {
	return empty(s, "Health", func(d core.Driver) error { return d.Health(ctx) })
}

func (s *server) Close(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return empty(s, "Close", func(d core.Driver) error { return d.Close() })
}

// Watch streams events until the host cancels. Back-pressure is gRPC's
// flow control: Send blocks while the host is not reading, and so does the
// driver's callback.
func (s *server) Watch(r *pb.WatchRequest, stream pb.Driver_WatchServer) (err error) {
	defer recovered(s.name, "Watch", &err)
	d, err := s.driver()
	if err != nil {
		return err
	}
	ctx := stream.Context()
	err = d.Watch(ctx, r.After, func(ev core.Event) error { return stream.Send(convert.EventToProto(ev)) })
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return status.FromContextError(ctx.Err()).Err()
	}
	return errorToStatus(err)
}

func (s *server) ListDatacenters(ctx context.Context, _ *emptypb.Empty) (*pb.ListDatacentersResponse, error) {
	return unary(s, "ListDatacenters", func(d core.Driver) ([]core.Datacenter, error) { return d.ListDatacenters(ctx) },
		convert.DatacentersToProto)
}

func (s *server) GetComputeQuota(ctx context.Context, r *pb.QuotaRequest) (*pb.ComputeQuota, error) {
	return unary(s, "GetComputeQuota", func(d core.Driver) (core.ComputeQuota, error) {
		return d.GetComputeQuota(ctx, r.DatacenterId, r.ProjectId)
	}, convert.ComputeQuotaToProto)
}

func (s *server) GetVolumeQuota(ctx context.Context, r *pb.QuotaRequest) (*pb.VolumeQuota, error) {
	return unary(s, "GetVolumeQuota", func(d core.Driver) (core.VolumeQuota, error) {
		return d.GetVolumeQuota(ctx, r.DatacenterId, r.ProjectId)
	}, convert.VolumeQuotaToProto)
}
