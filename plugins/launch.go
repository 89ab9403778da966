package plugins

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"time"

	"github.com/hashicorp/go-plugin"

	"github.com/gisiaas/gisiaas/core"
)

// LaunchConfig says how to start one driver plugin.
type LaunchConfig struct {
	// Name is the driver's name, in logs and errors ("sim").
	Name string
	// Path is the plugin binary (see Find and Discover).
	Path string
	// Config is given to the driver's Factory through Configure. It is
	// never logged and never put in the environment or the command line,
	// where other processes could read it.
	Config []byte
	// Logger receives go-plugin's messages and the plugin's output, with
	// attribute plugin=Name. Nil means slog.Default().
	Logger *slog.Logger
	// StartTimeout bounds the start and handshake; zero means one minute.
	StartTimeout time.Duration
	// Env is added to the plugin's environment ("KEY=value"). Of the host's
	// own environment the plugin gets only PassEnv: a vendor's driver has no
	// business reading the host's database password.
	Env []string
}

// PassEnv are the variables of the host's environment a plugin inherits:
// what a process needs to run and to reach a cloud (proxies, CA
// certificates, locale, Go runtime settings).
var PassEnv = []string{"PATH", "HOME", "USER", "TMPDIR", "TZ", "LANG", "LC_ALL",
	"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
	"SSL_CERT_FILE", "SSL_CERT_DIR", "GOMAXPROCS", "GOMEMLIMIT", "GOGC", "GODEBUG", "GOTRACEBACK",
	"SYSTEMROOT", "TEMP", "TMP"} // the last three: Windows processes fail without them

// pluginEnv is the environment of a plugin: PassEnv from the host, then extra.
func pluginEnv(extra []string) []string {
	var env []string
	for _, k := range PassEnv {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return append(env, extra...)
}

// Process is a running plugin: a core.Driver over its gRPC connection
// that also owns the process. It is what Launch returns and what a
// Supervised restarts.
type Process struct {
	*Client
	pc     *plugin.Client
	exited <-chan struct{}
	info   PluginInfo
}

var _ Instance = (*Process)(nil)

// Launch starts the plugin binary, checks its protocol version, connects
// with mutual TLS and configures the driver. A plugin of another protocol
// version is refused with a *VersionError. The caller owns the result and
// must Close it.
func Launch(ctx context.Context, cfg LaunchConfig) (*Process, error) {
	const op = "Launch"
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = time.Minute
	}
	cmd := exec.Command(cfg.Path)
	cmd.Env = pluginEnv(cfg.Env)
	pc := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  handshake(ProtocolVersion),
		Plugins:          plugin.PluginSet{pluginKey: &grpcPlugin{name: cfg.Name}},
		Cmd:              cmd,
		SkipHostEnv:      true, // cmd.Env has what the plugin may see
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		StartTimeout:     cfg.StartTimeout,
		Logger:           newSlogHCLogger(cfg.Logger, cfg.Name),
		SyncStdout:       newStreamWriter(cfg.Logger, cfg.Name, "stdout"),
		SyncStderr:       newStreamWriter(cfg.Logger, cfg.Name, "stderr"),
		GRPCDialOptions:  DialOptions(),
	})
	// go-plugin's start takes no context: honour ctx by killing the
	// process should it expire before the plugin is configured.
	stopKill := context.AfterFunc(ctx, pc.Kill)
	defer stopKill()
	rpc, err := pc.Client()
	if err != nil {
		pc.Kill()
		if ve, ok := asVersionError(err, cfg.Name, cfg.Path); ok {
			return nil, ve
		}
		return nil, &core.Error{Kind: core.Unavailable, Op: op,
			Message: fmt.Sprintf("starting plugin %q (%s): %v", cfg.Name, cfg.Path, err), Err: err}
	}
	raw, err := rpc.Dispense(pluginKey)
	if err != nil {
		pc.Kill()
		return nil, &core.Error{Kind: core.Unavailable, Op: op, Message: fmt.Sprintf("plugin %q: %v", cfg.Name, err), Err: err}
	}
	d := raw.(*dispensed)
	p := &Process{Client: d.client, pc: pc, exited: d.exited}
	p.info, err = d.client.Configure(ctx, cfg.Config)
	if err != nil {
		pc.Kill()
		var ve *VersionError
		if errors.As(err, &ve) {
			ve.Path = cfg.Path
		}
		return nil, err
	}
	if !stopKill() { // ctx expired and the process was killed meanwhile
		return nil, &core.Error{Kind: core.Unavailable, Op: op, Message: ctx.Err().Error(), Err: ctx.Err()}
	}
	return p, nil
}

// Plugin is what the plugin said of itself when configured.
func (p *Process) Plugin() PluginInfo { return p.info }

// Done is closed once the process has exited, for whatever reason.
func (p *Process) Done() <-chan struct{} { return p.exited }

// Pid is the process id, or 0 once it is unknown.
func (p *Process) Pid() int {
	if rc := p.pc.ReattachConfig(); rc != nil {
		return rc.Pid
	}
	return 0
}

// Kill ends the process at once (after a short grace period go-plugin
// gives it to exit on its own) without closing the driver first.
func (p *Process) Kill() { p.pc.Kill() }

// Close closes the driver, so it can flush its state, then ends the process.
func (p *Process) Close() error {
	var err error
	if !p.pc.Exited() {
		err = p.Client.Close()
	}
	p.pc.Kill()
	if errors.Is(err, ErrPluginUnreachable) {
		return nil // it was already gone: nothing left to close
	}
	return err
}

// String names the process for logs.
func (p *Process) String() string {
	return fmt.Sprintf("plugin %q pid %d", p.info.Name, p.Pid())
}
