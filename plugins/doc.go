// Package plugins runs every gisiaas driver as its own process, behind
// HashiCorp's go-plugin and gRPC, as Terraform's providers and Nomad's task
// drivers run: a driver that crashes or hangs never takes the API down.
//
// The pieces, one concern per file:
//
//   - proto/ — the protocol: one gRPC service carrying every method of
//     core.Driver plus Configure; driverpb is its generated code
//     (make proto). internal/convert turns core values into its messages
//     and back.
//   - serve.go — Serve, the whole main of a plugin binary;
//     server*.go — the plugin side, serving any core.Driver built by a
//     Factory from opaque settings.
//   - client*.go — Client, the host side: a core.Driver over the
//     connection, indistinguishable from the driver in process.
//   - launch.go — Launch starts a binary with the handshake (protocol
//     version, magic cookie), mutual TLS, and the plugin's output in the
//     host's slog log (log.go bridges hclog and slog).
//   - supervisor*.go — Supervised, a core.Driver that owns one plugin and
//     restarts it with backoff; dedup.go — Dedup, exactly-once events.
//   - discovery.go — Find and Discover, for gisiaas-driver-<name> binaries.
//   - plugintest — a driver behind a real in-memory gRPC connection, for
//     tests.
//
// What crosses intact: every value as the driver returned it (nil and
// empty slices and maps apart, nil pointers apart, times to the
// nanosecond, returned in UTC); every *core.Error with its Kind, Op,
// Message and the text of its cause; the caller's deadline and
// cancellation. A failure of the way to the driver (process dead,
// connection broken) is kind Unavailable with cause ErrPluginUnreachable,
// never a raw gRPC error.
//
// A host runs a driver like this:
//
//	path, err := plugins.Find("sim", cfg.PluginDir) // gisiaas-driver-sim
//	if err != nil { … }
//	drv, err := plugins.Supervise(ctx, plugins.SupervisorConfig{
//		Name:  "sim",
//		Start: plugins.Launcher(plugins.LaunchConfig{Name: "sim", Path: path, Config: settings, Logger: logger}),
//		OnResync: reconcileByListing, // a Watch cursor lost across a restart
//	})
//	if err != nil { … }
//	defer drv.Close()
//	servers, err := drv.ListServers(ctx, core.ListOptions{ProjectID: p}) // a core.Driver like any other
//
// and a driver binary is:
//
//	func main() {
//		plugins.Serve(plugins.ServeConfig{Name: "mycloud", Version: version, Factory: mycloud.FromSettings})
//	}
//
// The same core.Driver value also links in process, without this package.
// docs/writing-a-driver.md is the guide for vendors.
package plugins
