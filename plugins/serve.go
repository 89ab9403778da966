package plugins

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	pb "github.com/gisiaas/gisiaas/plugins/proto/driverpb"
)

// ServeConfig describes the driver a plugin binary serves.
type ServeConfig struct {
	// Name is the driver's name, the <name> of gisiaas-driver-<name>.
	Name string
	// Version is the driver's own version, reported to the host.
	Version string
	// Factory builds the driver when the host calls Configure.
	Factory Factory
}

// maxMessageSize bounds one message either way. gRPC's default of 4 MiB
// would cap a list at a few thousand servers; 64 MiB leaves room for tens
// of thousands while still refusing a runaway answer.
const maxMessageSize = 64 << 20

// ServerOptions are the gRPC server options of a plugin: its message size
// limits. A host serving a driver over its own gRPC server (plugintest)
// uses them to behave as a plugin process does.
func ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{grpc.MaxRecvMsgSize(maxMessageSize), grpc.MaxSendMsgSize(maxMessageSize)}
}

// DialOptions are the matching gRPC dial options of a host.
func DialOptions() []grpc.DialOption {
	return []grpc.DialOption{grpc.WithDefaultCallOptions(
		grpc.MaxCallRecvMsgSize(maxMessageSize), grpc.MaxCallSendMsgSize(maxMessageSize))}
}

// Serve serves the driver of cfg to the gisiaas host that started this
// process, and returns once the host has ended it. It is the whole of a
// plugin binary's main:
//
//	func main() {
//		plugins.Serve(plugins.ServeConfig{Name: "mycloud", Version: version, Factory: mycloud.FromConfig})
//	}
//
// Logs: slog's default logger writes hclog JSON to stderr, which the host
// parses and re-logs through its own slog logger with the plugin's name;
// anything else the driver prints also reaches the host's log.
func Serve(cfg ServeConfig) {
	if cfg.Name == "" || cfg.Factory == nil {
		fmt.Fprintln(os.Stderr, "plugins.Serve: ServeConfig needs a Name and a Factory")
		os.Exit(2)
	}
	// os.Stderr now, before go-plugin swaps it for a pipe: the host reads
	// this one line by line as structured log entries.
	hl := hclog.New(&hclog.LoggerOptions{Name: cfg.Name, Level: hclog.Debug, Output: os.Stderr, JSONFormat: true})
	slog.SetDefault(slog.New(newHCLogHandler(hl)))

	go exitWithHost(hl)
	version := servedProtocolVersion()
	srv := newServer(cfg, version)
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: handshake(version),
		Plugins:         plugin.PluginSet{pluginKey: &grpcPlugin{server: srv}},
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			return grpc.NewServer(append(opts, ServerOptions()...)...)
		},
		Logger: hl,
	})
	// The host ended the plugin: let the driver flush its state.
	if err := srv.closeDriver(); err != nil {
		hl.Warn("closing the driver", "error", err)
	}
}

// exitWithHost ends the plugin once the host that started it is gone, even
// killed by SIGKILL: an orphaned plugin would hold its state file and its
// cloud sessions against the host's next run. The process is then
// re-parented, which a check each second notices; polling the parent id
// works on every Unix, unlike Linux's Pdeathsig, which also fires when
// the host's forking thread ends.
func exitWithHost(log hclog.Logger) {
	parent := os.Getppid()
	if parent <= 1 {
		return // started by init or a subreaper directly: nothing to watch
	}
	for range time.Tick(time.Second) {
		if os.Getppid() != parent {
			log.Error("the host process is gone; exiting", "host_pid", parent)
			os.Exit(1)
		}
	}
}

// grpcPlugin is the go-plugin glue on both sides: server on the plugin
// side, client on the host side.
type grpcPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	server *server // plugin side
	name   string  // host side: the driver's name for messages
}

func (p *grpcPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterDriverServer(s, p.server)
	return nil
}

// GRPCClient receives go-plugin's context, which is cancelled when the
// plugin process has exited: the supervisor's cue to restart it.
func (p *grpcPlugin) GRPCClient(ctx context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	return &dispensed{client: NewClient(conn, p.name), exited: ctx.Done()}, nil
}

type dispensed struct {
	client *Client
	exited <-chan struct{}
}
