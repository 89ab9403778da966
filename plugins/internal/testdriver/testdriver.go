// Package testdriver is the driver of the plugins package's tests and
// benchmarks: the same code runs in process and, through
// plugins/internal/testplugin, as a plugin binary, so that the two can be
// compared with nothing but the boundary between them. Its servers and
// events have every field set, with sizes like a real cloud's, so that
// what crosses is representative.
package testdriver

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// Config is the driver's settings, JSON on the wire.
type Config struct {
	// Greeting is the name of every server GetServer returns.
	Greeting string `json:"greeting"`
	// Secret stands for a credential that must never reach a log.
	Secret string `json:"secret"`
	// Servers is how many servers ListServers returns.
	Servers int `json:"servers"`
	// Events is how many events Watch replays from the start; a negative
	// number is an endless stream.
	Events int `json:"events"`
}

// Driver serves fixed, fully populated servers and events.
type Driver struct {
	core.Unimplemented
	cfg     Config
	servers []core.Server
	ring    []core.Event // events are these, renumbered: cheap to make, any number of them
}

var _ core.Driver = (*Driver)(nil)

// New builds the driver; it logs its greeting, never its secret.
func New(cfg Config) *Driver {
	d := &Driver{cfg: cfg, servers: make([]core.Server, cfg.Servers), ring: make([]core.Event, 256)}
	for i := range d.servers {
		d.servers[i] = Server(i)
	}
	for i := range d.ring {
		d.ring[i] = Event(i)
	}
	slog.Info("configured", "greeting", cfg.Greeting)
	return d
}

var epoch = time.Date(2026, 11, 23, 9, 0, 0, 123456000, time.UTC)

// Server is the i-th server: every field set.
func Server(i int) core.Server {
	id := fmt.Sprintf("6f1c2b0e-0000-4000-8000-%012d", i)
	return core.Server{
		Meta: core.Meta{ProjectID: "3f5a8c2e9d1b4a7f8e6c5d4b3a291807", DatacenterID: "dc1",
			Tags:      map[string]string{"gisiaas.id": "rec-" + strconv.Itoa(i), "env": "production"},
			CreatedAt: epoch.Add(time.Duration(i) * time.Second), UpdatedAt: epoch.Add(time.Duration(i)*time.Second + time.Minute)},
		ID: id, Name: fmt.Sprintf("web-%04d", i), Description: "application server of the GIS portal",
		FlavorID: "m1.medium", ImageID: "0b6c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d", Status: core.ServerActive,
		NativeStatus: "active", Host: "dc1-host-1",
		VolumeIDs: []string{"a1b2c3d4-0000-4000-8000-000000000001", "a1b2c3d4-0000-4000-8000-000000000002"},
		Addresses: []core.ServerAddress{
			{Kind: core.AddressPrivate, Address: fmt.Sprintf("10.0.%d.%d", i/250, i%250+2), NetworkID: "net-private",
				PortID: "port-" + id, MAC: "fa:16:3e:12:34:56"},
			{Kind: core.AddressFloating, Address: "198.18.0.10", NetworkID: "net-public", PortID: "port-" + id},
		},
		SecurityGroupIDs: []string{"sg-default", "sg-web"},
		Metadata:         map[string]string{"role": "web", "owner": "gis-team"},
		PreviousFlavorID: "",
	}
}

// Event is the i-th event: every field set; its cursor is i+1.
func Event(i int) core.Event {
	return core.Event{
		ID: "testdriver:" + strconv.Itoa(i+1), Cursor: strconv.Itoa(i + 1),
		ResourceType: core.TypeServer, ResourceID: fmt.Sprintf("6f1c2b0e-0000-4000-8000-%012d", i),
		DatacenterID: "dc1", ProjectID: "3f5a8c2e9d1b4a7f8e6c5d4b3a291807", FromState: "BUILD", ToState: "ACTIVE",
		Attributes: core.EventAttributes{Name: "web", FlavorID: "m1.medium", VCPUs: 2, MemoryMB: 4096, DiskGB: 40,
			ImageID: "0b6c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d", Host: "dc1-host-1"},
		Time: epoch.Add(time.Duration(i) * time.Millisecond),
	}
}

// Info describes the driver.
func (d *Driver) Info(context.Context) (core.DriverInfo, error) {
	return core.DriverInfo{Name: "testdriver", Version: "0.0.1", Capabilities: []core.Clause{core.ClauseServerShow, core.ClauseServerList},
		StateTimeout: time.Second, CanReplay: true}, nil
}

// Health is always fine.
func (d *Driver) Health(context.Context) error { return nil }

// Close does nothing.
func (d *Driver) Close() error { return nil }

// GetServer returns a server named after the greeting. The ids "print"
// and "exit" make the process write to stdout and stderr, or die as a
// crash would; "env:NAME" names the server after the variable NAME of the
// process's environment, "<unset>" if it has none.
func (d *Driver) GetServer(_ context.Context, id string) (core.Server, error) {
	s := Server(0)
	s.ID, s.Name = id, d.cfg.Greeting
	switch {
	case id == "print":
		fmt.Println("hello on stdout")
		fmt.Fprintln(os.Stderr, "hello on stderr")
	case id == "exit":
		os.Exit(3)
	case strings.HasPrefix(id, "env:"):
		v, ok := os.LookupEnv(strings.TrimPrefix(id, "env:"))
		if !ok {
			v = "<unset>"
		}
		s.Name = v
	}
	return s, nil
}

// ListServers returns the configured number of servers, in a new slice
// as a real driver builds its answer.
func (d *Driver) ListServers(context.Context, core.ListOptions) ([]core.Server, error) {
	return slices.Clone(d.servers), nil
}

// Watch replays the events after the cursor, then waits for ctx.
func (d *Driver) Watch(ctx context.Context, after string, fn func(core.Event) error) error {
	from := 0
	if after != "" {
		n, err := strconv.Atoi(after)
		if err != nil || n < 0 || (d.cfg.Events >= 0 && n > d.cfg.Events) {
			return &core.Error{Kind: core.InvalidArgument, Op: "Watch", Message: "unknown cursor " + strconv.Quote(after)}
		}
		from = n
	}
	for i := from; d.cfg.Events < 0 || i < d.cfg.Events; i++ {
		if i%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		ev := d.ring[i%len(d.ring)]
		ev.Cursor = strconv.Itoa(i + 1)
		ev.ID = "testdriver:" + ev.Cursor
		if err := fn(ev); err != nil {
			return err
		}
	}
	<-ctx.Done()
	return ctx.Err()
}
