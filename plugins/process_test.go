package plugins_test

import (
	"context"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/core"
	"github.com/gisiaas/gisiaas/plugins"
	"github.com/gisiaas/gisiaas/plugins/internal/testdriver"
)

const testPluginPkg = "plugins/internal/testplugin"

func launchTestPlugin(t *testing.T, log *slog.Logger, config string) *plugins.Process {
	t.Helper()
	path := buildPlugin(t, testPluginPkg, plugins.BinaryPrefix+"testplugin", "")
	p, err := plugins.Launch(context.Background(), plugins.LaunchConfig{Name: "testplugin", Path: path, Config: []byte(config), Logger: log})
	if err != nil {
		t.Fatalf("Launch: %v", err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func TestLaunchedPluginServesItsDriver(t *testing.T) {
	p := launchTestPlugin(t, slog.New(newRecorder()), `{"greeting":"hello","servers":3}`)
	if got := p.Plugin(); got.Name != "testplugin" || got.Version != "0.0.1" || got.ProtocolVersion != plugins.ProtocolVersion {
		t.Fatalf("Plugin() = %+v", got)
	}
	s, err := p.GetServer(context.Background(), "s1")
	if err != nil || s.ID != "s1" || s.Name != "hello" {
		t.Fatalf("GetServer = %+v, %v; want the configured greeting", s, err)
	}
	if _, err := p.ListVolumes(context.Background(), core.ListOptions{}); core.KindOf(err) != core.Unsupported {
		t.Fatalf("ListVolumes = %v; want Unsupported from core.Unimplemented", err)
	}
	if l, err := p.ListServers(context.Background(), core.ListOptions{}); err != nil || len(l) != 3 || !reflect.DeepEqual(l[2], testdriver.Server(2)) {
		t.Fatalf("ListServers = %d servers, %v; want the driver's 3, intact", len(l), err)
	}
	if p.Pid() == 0 {
		t.Fatal("no pid")
	}
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case <-p.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("the process did not end after Close")
	}
}

// TestPluginEnvironment: the plugin sees the pass-through variables and
// its own, not the rest of the host's environment.
func TestPluginEnvironment(t *testing.T) {
	t.Setenv("GISIAAS_DB_PASSWORD", "host-secret")
	t.Setenv("HTTPS_PROXY", "http://proxy.example:3128")
	path := buildPlugin(t, testPluginPkg, plugins.BinaryPrefix+"testplugin", "")
	p, err := plugins.Launch(context.Background(), plugins.LaunchConfig{Name: "testplugin", Path: path, Config: []byte(`{}`),
		Env: []string{"MYCLOUD_REGION=eu-1"}, Logger: slog.New(newRecorder())})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for name, want := range map[string]string{"GISIAAS_DB_PASSWORD": "<unset>", "HTTPS_PROXY": "http://proxy.example:3128",
		"MYCLOUD_REGION": "eu-1"} {
		s, err := p.GetServer(context.Background(), "env:"+name)
		if err != nil || s.Name != want {
			t.Errorf("%s in the plugin = %q, %v; want %q", name, s.Name, err, want)
		}
	}
}

func TestBadSettingsAreInvalidArgument(t *testing.T) {
	path := buildPlugin(t, testPluginPkg, plugins.BinaryPrefix+"testplugin", "")
	_, err := plugins.Launch(context.Background(), plugins.LaunchConfig{Name: "testplugin", Path: path,
		Config: []byte(`{not json`), Logger: slog.New(newRecorder())})
	if core.KindOf(err) != core.InvalidArgument || !strings.Contains(err.Error(), "bad settings") {
		t.Fatalf("err = %v; want InvalidArgument from the factory", err)
	}
}

// TestPluginOutputReachesTheHostLog: the plugin's slog records, its stdout
// and its stderr all land in the host's slog logger, tagged with the
// plugin's name; its settings never do.
func TestPluginOutputReachesTheHostLog(t *testing.T) {
	const secret = "pa55w0rd-that-must-not-leak"
	r := newRecorder()
	p := launchTestPlugin(t, slog.New(r), `{"greeting":"hi","secret":"`+secret+`"}`)
	configured := r.waitFor(t, `"configured" from the plugin's slog`, func(x rec) bool { return x.msg == "configured" })
	if configured.attrs["plugin"] != "testplugin" || configured.attrs["greeting"] != "hi" || configured.level != slog.LevelInfo {
		t.Fatalf("configured record = %+v; want level INFO, plugin=testplugin, greeting=hi", configured)
	}
	if _, err := p.GetServer(context.Background(), "print"); err != nil {
		t.Fatal(err)
	}
	for _, stream := range []string{"stdout", "stderr"} {
		x := r.waitFor(t, "hello on "+stream, func(x rec) bool { return x.msg == "hello on "+stream })
		if x.attrs["plugin"] != "testplugin" || x.attrs["stream"] != stream {
			t.Fatalf("%s record = %+v; want plugin=testplugin stream=%s", stream, x, stream)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, "of the plugin's exit", func(x rec) bool { return strings.Contains(x.msg, "plugin process exited") })
	for _, x := range r.all() {
		line := x.msg
		for k, v := range x.attrs {
			line += " " + k + "=" + v
		}
		if strings.Contains(line, secret) {
			t.Fatalf("the settings leaked into the log: %s", line)
		}
	}
}

// TestIncompatiblePluginIsRefused builds the test plugin claiming protocol
// version 2 and checks that the host refuses it, naming both versions.
func TestIncompatiblePluginIsRefused(t *testing.T) {
	path := buildPlugin(t, testPluginPkg, plugins.BinaryPrefix+"testplugin", "-X github.com/gisiaas/gisiaas/plugins.protocolVersionOverride=2")
	_, err := plugins.Launch(context.Background(), plugins.LaunchConfig{Name: "testplugin", Path: path, Logger: slog.New(newRecorder())})
	var ve *plugins.VersionError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %T %v; want *plugins.VersionError", err, err)
	}
	if ve.PluginVersion != 2 || ve.HostVersion != plugins.ProtocolVersion || ve.Path != path {
		t.Fatalf("VersionError = %+v", ve)
	}
	msg := err.Error()
	t.Log(msg)
	for _, want := range []string{"version 2", "version 1", path, `"testplugin"`} {
		if !strings.Contains(msg, want) {
			t.Fatalf("message %q does not name %s", msg, want)
		}
	}
}

// TestSupervisedProcessRestartsAfterACrash: a plugin that exits in the
// middle of a call fails that call as Unavailable and is back for the next.
func TestSupervisedProcessRestartsAfterACrash(t *testing.T) {
	path := buildPlugin(t, testPluginPkg, plugins.BinaryPrefix+"testplugin", "")
	var starts int
	launch := plugins.Launcher(plugins.LaunchConfig{Name: "testplugin", Path: path, Config: []byte(`{"greeting":"again"}`),
		Logger: slog.New(newRecorder())})
	s, err := plugins.Supervise(context.Background(), plugins.SupervisorConfig{
		Name:    "testplugin",
		Start:   func(ctx context.Context) (plugins.Instance, error) { starts++; return launch(ctx) },
		Backoff: func(int) time.Duration { return 0 },
		Logger:  slog.New(newRecorder()),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.GetServer(context.Background(), "exit")
	if core.KindOf(err) != core.Unavailable || !errors.Is(err, plugins.ErrPluginUnreachable) {
		t.Fatalf("the call the plugin died in = %v; want Unavailable, unreachable", err)
	}
	got, err := s.GetServer(context.Background(), "s2")
	if err != nil || got.Name != "again" {
		t.Fatalf("the next call = %+v, %v; want it served by the restarted, reconfigured plugin", got, err)
	}
	if st := s.State(); starts != 2 || st.Restarts != 1 || st.Phase != "running" {
		t.Fatalf("starts %d, state %+v; want one restart", starts, st)
	}
}
