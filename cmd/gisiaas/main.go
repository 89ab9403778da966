// Command gisiaas serves the gisiaas API.
//
//	gisiaas serve [--config FILE] [--listen ADDR] [--data-dir DIR]
//
// Without --config it serves the embedded default: SQLite in ./var and two
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
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/gisiaas/gisiaas/adapter"
	"github.com/gisiaas/gisiaas/adapter/identity"
	"github.com/gisiaas/gisiaas/adapter/store"
	"github.com/gisiaas/gisiaas/plugins"
)

func main() {
	if len(os.Args) < 2 || os.Args[1] != "serve" {
		fmt.Fprintln(os.Stderr, "usage: gisiaas serve [--config FILE] [--listen ADDR] [--data-dir DIR]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	configPath := fs.String("config", "", "configuration file (YAML); empty: the embedded default")
	listen := fs.String("listen", "", "listen address, overriding the file")
	dataDir := fs.String("data-dir", "", "data directory, overriding the file")
	_ = fs.Parse(os.Args[2:])
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, log, *configPath, *listen, *dataDir, nil); err != nil {
		log.Error("gisiaas stopped", "err", err)
		os.Exit(1)
	}
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

	srv := &http.Server{Handler: adapter.NewServer(adapter.Config{Identity: ids, Datacenters: dcs}),
		ReadHeaderTimeout: 10 * time.Second}
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
