// Command gisiaas is one binary: the API server and a client for humans.
//
//	gisiaas serve [--config FILE] [--listen ADDR] [--data-dir DIR]
//	gisiaas login --endpoint URL --username USER --password-stdin --project NAME
//	gisiaas server list | server create --name N --flavor F --image I --network NET --wait | …
//	gisiaas help
//
// The client commands are in cli.go, commands.go, client.go and
// credentials.go; every one prints a table, or the API's JSON with -o json.
//
// Without --config, serve uses the embedded default: SQLite in ./var and two
// simulated datacenters, each a gisiaas-driver-sim plugin process. The
// bootstrap cloud admin is user "admin" of domain "Default" in project
// "admin"; its password is $GISIAAS_ADMIN_PASSWORD, or generated and
// printed once at the first start.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/gisiaas/gisiaas/adapter"
	"github.com/gisiaas/gisiaas/adapter/events"
	"github.com/gisiaas/gisiaas/adapter/identity"
	"github.com/gisiaas/gisiaas/adapter/registry"
	"github.com/gisiaas/gisiaas/adapter/store"
	"github.com/gisiaas/gisiaas/billing"
	"github.com/gisiaas/gisiaas/core"
	"github.com/gisiaas/gisiaas/plugins"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// serveCommand is `gisiaas serve`; run dispatches to it.
func serveCommand(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "configuration file (YAML); empty: the embedded default")
	listen := fs.String("listen", "", "listen address, overriding the file")
	dataDir := fs.String("data-dir", "", "data directory, overriding the file")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "gisiaas serve: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if err := serve(ctx, log, *configPath, *listen, *dataDir, nil); err != nil {
		log.Error("gisiaas stopped", "err", err)
		return 1
	}
	return 0
}

// serve runs the API until ctx ends; onListen, when set, learns the address.
func serve(ctx context.Context, log *slog.Logger, configPath, listen, dataDir string, onListen func(net.Addr)) error {
	cfg, err := adapter.LoadConfig(configPath)
	if err != nil {
		return err
	}
	if listen != "" {
		cfg.Listen = listen
	}
	if dataDir != "" {
		cfg.DataDir = dataDir
		cfg.Database.URL = ""
	}
	if err := cfg.Finish(); err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	db, err := store.Open(ctx, cfg.Database.URL)
	if err != nil {
		return err
	}
	defer db.Close()
	ids, err := identity.New(db)
	if err != nil {
		return err
	}
	if err := bootstrap(ctx, ids); err != nil {
		return err
	}
	// One registry for the server and the reconciler: it keeps its rows in
	// memory, so two would drift apart.
	reg, err := registry.Open(ctx, db)
	if err != nil {
		return err
	}
	bus := events.NewLog(db)
	// Billing shares the database, with tables of its own. Its alerts go on
	// the bus too (as "account" events of the department), besides webhooks.
	bill, err := billing.New(ctx, db.DB, billing.Dialect(db.Dialect()), billing.WithLogger(log),
		billing.WithAlerts(func(a billing.Alert) { publishAlert(bus, log, a) }))
	if err != nil {
		return err
	}
	if err := ensureAccounts(ctx, ids, bill); err != nil {
		return err
	}

	var dcs []adapter.Datacenter
	defer func() {
		for _, dc := range dcs {
			_ = dc.Cloud.Close()
		}
	}()
	for _, dcc := range cfg.Datacenters {
		path, err := plugins.Find(dcc.Driver, cfg.PluginDirs...)
		if err != nil {
			return fmt.Errorf("datacenter %s: %w", dcc.ID, err)
		}
		settings, err := json.Marshal(dcc.Settings)
		if err != nil {
			return fmt.Errorf("datacenter %s: settings: %w", dcc.ID, err)
		}
		sup, err := plugins.Supervise(ctx, plugins.SupervisorConfig{
			Name:   dcc.Driver + "/" + dcc.ID,
			Start:  plugins.Launcher(plugins.LaunchConfig{Name: dcc.Driver + "/" + dcc.ID, Path: path, Config: settings, Logger: log}),
			Logger: log,
		})
		if err != nil {
			return fmt.Errorf("datacenter %s: %w", dcc.ID, err)
		}
		dcs = append(dcs, adapter.Datacenter{ID: dcc.ID, Name: dcc.Name, Driver: dcc.Driver, Cloud: sup})
		log.Info("datacenter up", "id", dcc.ID, "driver", dcc.Driver, "plugin", path)
	}

	// The reconciler and the trimming run on their own context, so that on
	// shutdown they stop after the HTTP server (whose requests they serve)
	// and before the plugins and the database close (deferred earlier).
	bg, stopBG := context.WithCancel(context.Background())
	var bgWG sync.WaitGroup
	stopBackground := func() { stopBG(); bgWG.Wait() }
	defer stopBackground()
	bgWG.Go(func() {
		_ = adapter.NewReconciler(adapter.ReconcilerConfig{Registry: reg, Bus: bus, Identity: ids, Datacenters: dcs, Logger: log}).Run(bg)
	})
	bgWG.Go(func() { bus.RunTrim(bg, 10*time.Minute, log) })
	bgWG.Go(func() {
		_ = adapter.NewMeter(adapter.MeterConfig{Bus: bus, Billing: bill, Registry: reg, Logger: log}).Run(bg)
	})
	bgWG.Go(func() { bill.RunAlerts(bg, time.Minute) })

	streamStop := make(chan struct{})
	srv := &http.Server{Handler: adapter.NewServer(adapter.Config{Identity: ids, Registry: reg, Events: bus, Datacenters: dcs, Limits: cfg.Limits, Billing: bill}),
		ReadHeaderTimeout: 10 * time.Second,
		// Event streams never go idle: Shutdown ends them rather than wait.
		BaseContext: func(net.Listener) context.Context { return adapter.WithStreamStop(context.Background(), streamStop) }}
	srv.RegisterOnShutdown(func() { close(streamStop) })
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() {
		if cfg.TLS.Cert != "" {
			errc <- srv.ServeTLS(ln, cfg.TLS.Cert, cfg.TLS.Key)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	scheme := "http"
	if cfg.TLS.Cert != "" {
		scheme = "https"
	}
	log.Info("serving", "url", scheme+"://"+ln.Addr().String(), "database", filepath.Base(cfg.Database.URL))
	if onListen != nil {
		onListen(ln.Addr())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// In-flight requests finish; then the plugins stop (deferred).
	shutdown, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	stopBackground()
	log.Info("stopped")
	return nil
}

// bootstrap creates the cloud admin at the first start, as Keystone's
// bootstrap does, printing a generated password once.
func bootstrap(ctx context.Context, ids *identity.Service) error {
	pw, given := os.LookupEnv("GISIAAS_ADMIN_PASSWORD")
	if !given {
		var b [18]byte
		if _, err := rand.Read(b[:]); err != nil {
			return err
		}
		pw = base64.RawURLEncoding.EncodeToString(b[:])
	}
	created, err := ids.Bootstrap(ctx, pw)
	if err != nil {
		return err
	}
	if created && !given {
		fmt.Printf("bootstrap cloud admin: user admin, domain Default, project admin, password %s\n(shown once; set GISIAAS_ADMIN_PASSWORD to choose it)\n", pw)
	}
	return nil
}

// ensureAccounts gives every department a billing account (BL.8), for the
// departments made before billing was there; creating one is idempotent.
func ensureAccounts(ctx context.Context, ids *identity.Service, bill *billing.Service) error {
	depts, err := ids.ListDepartments(ctx)
	if err != nil {
		return err
	}
	for _, d := range depts {
		if err := bill.CreateAccount(ctx, d.ID); err != nil {
			return err
		}
	}
	return nil
}

// publishAlert puts a balance alert on the bus, as an event of the
// department's account, for subscribers other than the webhook.
func publishAlert(bus *events.Log, log *slog.Logger, a billing.Alert) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e := events.Event{DepartmentID: a.DepartmentID, Event: core.Event{
		ID:           fmt.Sprintf("alert:%s:%s:%d", a.DepartmentID, a.Kind, a.Time.UnixNano()),
		ResourceType: "account", ResourceID: a.DepartmentID, ToState: a.Kind, Time: a.Time}}
	if _, _, err := bus.Publish(ctx, e); err != nil {
		log.Warn("publishing a balance alert failed", "department", a.DepartmentID, "error", err)
	}
}
