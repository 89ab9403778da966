// Package plugintest serves a driver over a real gRPC connection inside
// the test process, as Nomad's testutils.NewDriverHarness does: the
// driver sits behind the very server and client shims of a plugin
// process, so a test sees every conversion and error mapping of the
// boundary without building a binary.
//
//	func TestMyDriver(t *testing.T) {
//		d := plugintest.New(t, mydriver.New(cfg))
//		s, err := d.CreateServer(ctx, req) // through gRPC
//		…
//	}
package plugintest

import (
	"context"
	"net"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/gisiaas/gisiaas/core"
	"github.com/gisiaas/gisiaas/plugins"
)

// Harness is a driver served over an in-memory gRPC connection. It is a
// core.Driver (the host side, *plugins.Client) and a plugins.Instance, so
// a test can supervise it and Kill it as a crashing process.
type Harness struct {
	*plugins.Client

	srv      *grpc.Server
	conn     *grpc.ClientConn
	done     chan struct{}
	killOnce sync.Once
}

var _ plugins.Instance = (*Harness)(nil)

// New serves d and returns its host side, configured. The test keeps
// owning d: the harness closes the connection at the end of the test but
// not the driver (Close on the harness closes it through the boundary).
func New(t testing.TB, d core.Driver) *Harness {
	t.Helper()
	return NewFactory(t, "plugintest", func([]byte) (core.Driver, error) { return d, nil }, nil)
}

// NewFactory serves the driver factory builds from config, as a plugin
// process would, under the driver name name.
func NewFactory(t testing.TB, name string, factory plugins.Factory, config []byte) *Harness {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer(plugins.ServerOptions()...)
	plugins.RegisterServer(srv, plugins.ServeConfig{Name: name, Version: "plugintest", Factory: factory})
	go func() { _ = srv.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///"+name,
		append(plugins.DialOptions(),
			grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
			grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		srv.Stop()
		t.Fatalf("plugintest: dial: %v", err)
	}
	h := &Harness{Client: plugins.NewClient(conn, name), srv: srv, conn: conn, done: make(chan struct{})}
	t.Cleanup(h.Kill)
	if _, err := h.Configure(context.Background(), config); err != nil {
		t.Fatalf("plugintest: configure %s: %v", name, err)
	}
	return h
}

// Kill drops the connection and the server at once, as a plugin process
// dying would: calls in flight and later calls fail with kind Unavailable.
func (h *Harness) Kill() {
	h.killOnce.Do(func() {
		h.srv.Stop()
		_ = h.conn.Close()
		close(h.done)
	})
}

// Done is closed once Kill was called.
func (h *Harness) Done() <-chan struct{} { return h.done }
