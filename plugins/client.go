package plugins

import (
	"context"
	"io"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/gisiaas/gisiaas/core"
	"github.com/gisiaas/gisiaas/plugins/internal/convert"
	pb "github.com/gisiaas/gisiaas/plugins/proto/driverpb"
)

// Client is the host side of the boundary: a core.Driver whose every call
// crosses a gRPC connection to a plugin. Results and errors come back as
// the driver returned them (see package convert for the one rule on
// times), so the caller cannot tell it from the driver in process. Errors
// of the connection itself are Unavailable with cause ErrPluginUnreachable.
type Client struct {
	rpc  pb.DriverClient
	name string
}

var _ core.Driver = (*Client)(nil)

// NewClient returns a driver over conn, which serves the driver protocol.
// name is the driver's name for error messages. The connection stays the
// caller's: Close closes the driver, not the connection.
func NewClient(conn grpc.ClientConnInterface, name string) *Client {
	return &Client{rpc: pb.NewDriverClient(conn), name: name}
}

// PluginInfo is what a plugin says of itself when configured.
type PluginInfo struct {
	Name            string
	Version         string
	ProtocolVersion int
}

// Configure builds the driver in the plugin from its settings. A plugin of
// another protocol version is refused with a *VersionError.
func (c *Client) Configure(ctx context.Context, config []byte) (PluginInfo, error) {
	r, err := c.rpc.Configure(ctx, &pb.ConfigureRequest{Config: config, ProtocolVersion: ProtocolVersion})
	if err != nil {
		if st, ok := status.FromError(err); ok {
			for _, d := range st.Details() {
				if me, ok := d.(*pb.ConfigureResponse); ok {
					return PluginInfo{}, &VersionError{Plugin: c.name, PluginVersion: int(me.ProtocolVersion), HostVersion: ProtocolVersion}
				}
			}
		}
		return PluginInfo{}, c.fail(ctx, "Configure", err)
	}
	if r.ProtocolVersion != ProtocolVersion { // a plugin that skipped the check
		return PluginInfo{}, &VersionError{Plugin: c.name, PluginVersion: int(r.ProtocolVersion), HostVersion: ProtocolVersion}
	}
	return PluginInfo{Name: r.Name, Version: r.Version, ProtocolVersion: int(r.ProtocolVersion)}, nil
}

func (c *Client) fail(ctx context.Context, op string, err error) error {
	return errorFromRPC(ctx, c.name, op, err)
}

// call runs one unary RPC and converts its answer.
func call[Req any, Resp any, T any](c *Client, ctx context.Context, op string,
	rpc func(context.Context, Req, ...grpc.CallOption) (Resp, error), req Req, from func(Resp) T) (T, error) {
	r, err := rpc(ctx, req)
	if err != nil {
		var zero T
		return zero, c.fail(ctx, op, err)
	}
	return from(r), nil
}

// call0 runs one unary RPC whose answer is only an error.
func call0[Req any](c *Client, ctx context.Context, op string,
	rpc func(context.Context, Req, ...grpc.CallOption) (*emptypb.Empty, error), req Req) error {
	if _, err := rpc(ctx, req); err != nil {
		return c.fail(ctx, op, err)
	}
	return nil
}

// Info describes the driver.
func (c *Client) Info(ctx context.Context) (core.DriverInfo, error) {
	return call(c, ctx, "Info", c.rpc.Info, &emptypb.Empty{}, convert.DriverInfoFromProto)
}

// Health is nil when the driver's cloud answers.
func (c *Client) Health(ctx context.Context) error {
	return call0(c, ctx, "Health", c.rpc.Health, &emptypb.Empty{})
}

// closeTimeout bounds Close, which has no context: a hung plugin must not
// hang the host's shutdown.
const closeTimeout = 10 * time.Second

// Close closes the driver in the plugin. It does not end the process or the
// connection; Process.Close does.
func (c *Client) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	return call0(c, ctx, "Close", c.rpc.Close, &emptypb.Empty{})
}

// Watch streams events after the cursor until ctx is done (it returns
// ctx.Err()) or fn fails (it returns fn's error), as core.Watcher says.
func (c *Client) Watch(ctx context.Context, after string, fn func(core.Event) error) error {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the stream when fn fails
	stream, err := c.rpc.Watch(sctx, &pb.WatchRequest{After: after})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return c.fail(ctx, "Watch", err)
	}
	for {
		ev, err := stream.Recv()
		if err == io.EOF {
			return nil // the driver's Watch returned nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return c.fail(ctx, "Watch", err)
		}
		if err := fn(convert.EventFromProto(ev)); err != nil {
			return err
		}
	}
}

// ListDatacenters lists the driver's datacenters.
func (c *Client) ListDatacenters(ctx context.Context) ([]core.Datacenter, error) {
	return call(c, ctx, "ListDatacenters", c.rpc.ListDatacenters, &emptypb.Empty{}, convert.DatacentersFromProto)
}

// GetComputeQuota returns a project's compute quota.
func (c *Client) GetComputeQuota(ctx context.Context, datacenterID, projectID string) (core.ComputeQuota, error) {
	return call(c, ctx, "GetComputeQuota", c.rpc.GetComputeQuota,
		&pb.QuotaRequest{DatacenterId: datacenterID, ProjectId: projectID}, convert.ComputeQuotaFromProto)
}

// GetVolumeQuota returns a project's volume quota.
func (c *Client) GetVolumeQuota(ctx context.Context, datacenterID, projectID string) (core.VolumeQuota, error) {
	return call(c, ctx, "GetVolumeQuota", c.rpc.GetVolumeQuota,
		&pb.QuotaRequest{DatacenterId: datacenterID, ProjectId: projectID}, convert.VolumeQuotaFromProto)
}

// UpdateImage applies a patch; a value no PatchValue can carry is
// InvalidArgument before anything is sent.
func (c *Client) UpdateImage(ctx context.Context, id string, ops []core.PatchOp) (core.Image, error) {
	l, err := convert.PatchOpsToProto(ops)
	if err != nil {
		return core.Image{}, err
	}
	return call(c, ctx, "UpdateImage", c.rpc.UpdateImage, &pb.UpdateImageRequest{Id: id, Ops: l}, convert.ImageFromProto)
}
