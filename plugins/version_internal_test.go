package plugins

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/gisiaas/gisiaas/core"
	pb "github.com/gisiaas/gisiaas/plugins/proto/driverpb"
)

// TestConfigureRefusesAnotherProtocolVersion covers the second version
// check, the one in Configure, which protects connections that skip
// go-plugin's handshake (plugintest, a reattached plugin).
func TestConfigureRefusesAnotherProtocolVersion(t *testing.T) {
	built := false
	lis := bufconn.Listen(1 << 16)
	srv := grpc.NewServer()
	pb.RegisterDriverServer(srv, newServer(ServeConfig{Name: "future", Factory: func([]byte) (core.Driver, error) {
		built = true
		return nil, errors.New("unreachable")
	}}, ProtocolVersion+1))
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()
	conn, err := grpc.NewClient("passthrough:///future",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = NewClient(conn, "future").Configure(context.Background(), []byte("{}"))
	var ve *VersionError
	if !errors.As(err, &ve) || ve.PluginVersion != ProtocolVersion+1 || ve.HostVersion != ProtocolVersion {
		t.Fatalf("err = %v; want a VersionError naming both versions", err)
	}
	if !strings.Contains(err.Error(), "version 2") || !strings.Contains(err.Error(), "version 1") {
		t.Fatalf("message %q does not name both versions", err)
	}
	if built {
		t.Fatal("the driver was built despite the mismatch")
	}
}

// TestCallsBeforeConfigureFail: a plugin serves nothing until configured.
func TestCallsBeforeConfigureFail(t *testing.T) {
	s := newServer(ServeConfig{Name: "x"}, ProtocolVersion)
	_, err := s.GetServer(context.Background(), &pb.IdRequest{Id: "a"})
	got := errorFromRPC(context.Background(), "x", "GetServer", err)
	if core.KindOf(got) != core.Internal || !strings.Contains(got.Error(), "not configured") {
		t.Fatalf("err = %v; want Internal saying Configure is missing", got)
	}
}

// TestDriverPanicIsInternal: a panicking driver answers Internal and the
// plugin keeps serving.
func TestDriverPanicIsInternal(t *testing.T) {
	s := newServer(ServeConfig{Name: "x", Factory: func([]byte) (core.Driver, error) { return panicky{}, nil }}, ProtocolVersion)
	if _, err := s.Configure(context.Background(), &pb.ConfigureRequest{ProtocolVersion: ProtocolVersion}); err != nil {
		t.Fatal(err)
	}
	_, err := s.GetServer(context.Background(), &pb.IdRequest{Id: "a"})
	got := errorFromRPC(context.Background(), "x", "GetServer", err)
	if core.KindOf(got) != core.Internal || !strings.Contains(got.Error(), "driver panicked: boom") {
		t.Fatalf("err = %v; want Internal naming the panic", got)
	}
}

type panicky struct{ core.Unimplemented }

func (panicky) Info(context.Context) (core.DriverInfo, error)          { return core.DriverInfo{}, nil }
func (panicky) Health(context.Context) error                           { return nil }
func (panicky) Close() error                                           { return nil }
func (panicky) GetServer(context.Context, string) (core.Server, error) { panic("boom") }
