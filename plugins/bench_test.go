package plugins_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/core"
	"github.com/gisiaas/gisiaas/drivers/sim"
	"github.com/gisiaas/gisiaas/plugins"
	"github.com/gisiaas/gisiaas/plugins/internal/testdriver"
)

// The benchmarks compare the same driver in process and as a real plugin
// process (go-plugin, gRPC over a Unix socket, mutual TLS), so that the
// difference is the boundary. testdriver returns fully populated servers
// and events; the simulator variants add a real driver's own work.

// recorder of per-call latencies, reported as percentiles.
type latencies []time.Duration

func (l latencies) report(b *testing.B) {
	if len(l) == 0 {
		return
	}
	s := slices.Clone(l)
	slices.Sort(s)
	at := func(p float64) float64 {
		i := int(float64(len(s)-1) * p)
		return float64(s[i].Nanoseconds()) / 1e3
	}
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}

// timed runs call b.N times, recording each call's latency.
func timed(b *testing.B, call func() error) {
	b.Helper()
	lat := make(latencies, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if err := call(); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	lat.report(b)
}

// testDrivers returns testdriver with cfg in process and as a plugin.
func testDrivers(b *testing.B, cfg testdriver.Config) map[string]core.Driver {
	b.Helper()
	settings, _ := json.Marshal(cfg)
	p, err := plugins.Launch(context.Background(), plugins.LaunchConfig{Name: "testplugin",
		Path: buildPlugin(b, testPluginPkg, plugins.BinaryPrefix+"testplugin", ""), Config: settings, Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = p.Close() })
	return map[string]core.Driver{"inprocess": testdriver.New(cfg), "plugin": p}
}

var modes = []string{"inprocess", "plugin"}

func BenchmarkGetServer(b *testing.B) {
	drivers := testDrivers(b, testdriver.Config{Greeting: "bench"})
	ctx := context.Background()
	for _, mode := range modes {
		d := drivers[mode]
		b.Run(mode, func(b *testing.B) {
			timed(b, func() error { _, err := d.GetServer(ctx, "6f1c2b0e-0000-4000-8000-000000000001"); return err })
		})
	}
}

func BenchmarkListServers1000(b *testing.B) {
	drivers := testDrivers(b, testdriver.Config{Servers: 1000})
	ctx := context.Background()
	for _, mode := range modes {
		d := drivers[mode]
		b.Run(mode, func(b *testing.B) {
			timed(b, func() error {
				l, err := d.ListServers(ctx, core.ListOptions{})
				if err == nil && len(l) != 1000 {
					err = fmt.Errorf("%d servers", len(l))
				}
				return err
			})
		})
	}
}

var errEnough = errors.New("enough")

// watchN receives n events from the start of d's stream.
func watchN(d core.Driver, n int) error {
	got := 0
	err := d.Watch(context.Background(), "", func(core.Event) error {
		got++
		if got == n {
			return errEnough
		}
		return nil
	})
	if err != errEnough {
		return fmt.Errorf("Watch: %v after %d events", err, got)
	}
	return nil
}

func BenchmarkWatchEvents(b *testing.B) {
	drivers := testDrivers(b, testdriver.Config{Events: -1}) // an endless stream
	for _, mode := range modes {
		d := drivers[mode]
		b.Run(mode, func(b *testing.B) {
			b.ReportAllocs()
			b.ResetTimer()
			if err := watchN(d, b.N); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// simDrivers returns the simulator in process and as a plugin, each with
// setup applied; it skips when the simulator does not offer what setup needs.
func simDrivers(b *testing.B, setup func(d core.Driver) error) map[string]core.Driver {
	b.Helper()
	cfg := simConfig()
	cfg.Quota = sim.Quota{VCPUs: -1, MemoryMB: -1, Servers: -1, VolumeGB: -1, Volumes: -1}
	cfg.EventRetention = 100000
	local, err := sim.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = local.Close() })
	out := map[string]core.Driver{"inprocess": local, "plugin": launchSim(b, cfg)}
	for _, mode := range modes {
		if err := setup(out[mode]); err != nil {
			if core.KindOf(err) == core.Unsupported {
				b.Skipf("the simulator does not offer this yet: %v", err)
			}
			b.Fatal(err)
		}
	}
	return out
}

func simServers(n int) func(core.Driver) error {
	return func(d core.Driver) error {
		ctx := context.Background()
		images, err := d.ListImages(ctx, core.ListOptions{})
		if err != nil {
			return err
		}
		if len(images) == 0 {
			return errors.New("no image")
		}
		for i := 0; i < n; i++ {
			if _, err := d.CreateServer(ctx, core.ServerCreate{CreateMeta: core.CreateMeta{ProjectID: "p1", DatacenterID: "dc1"},
				Name: fmt.Sprintf("web-%04d", i), FlavorID: "m1.small", ImageID: images[0].ID,
				Metadata: map[string]string{"role": "web"}}); err != nil {
				return err
			}
		}
		return nil
	}
}

func BenchmarkSimGetServer(b *testing.B) {
	drivers := simDrivers(b, simServers(1))
	ctx := context.Background()
	for _, mode := range modes {
		d := drivers[mode]
		l, err := d.ListServers(ctx, core.ListOptions{})
		if err != nil || len(l) == 0 {
			b.Fatalf("ListServers: %v", err)
		}
		id := l[0].ID
		b.Run(mode, func(b *testing.B) {
			timed(b, func() error { _, err := d.GetServer(ctx, id); return err })
		})
	}
}

func BenchmarkSimListServers1000(b *testing.B) {
	drivers := simDrivers(b, simServers(1000))
	ctx := context.Background()
	for _, mode := range modes {
		d := drivers[mode]
		b.Run(mode, func(b *testing.B) {
			timed(b, func() error {
				l, err := d.ListServers(ctx, core.ListOptions{ProjectID: "p1"})
				if err == nil && len(l) != 1000 {
					err = fmt.Errorf("%d servers", len(l))
				}
				return err
			})
		})
	}
}

// BenchmarkSimWatchEvents replays the simulator's log of 10,000 events
// (router creations) per iteration.
func BenchmarkSimWatchEvents(b *testing.B) {
	const n = 10000
	drivers := simDrivers(b, func(d core.Driver) error {
		for i := 0; i < n; i++ {
			if _, err := d.CreateRouter(context.Background(), core.RouterCreate{
				CreateMeta: core.CreateMeta{ProjectID: "p1", DatacenterID: "dc1"}, Name: fmt.Sprintf("r%d", i)}); err != nil {
				return err
			}
		}
		return nil
	})
	for _, mode := range modes {
		d := drivers[mode]
		b.Run(mode, func(b *testing.B) {
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := watchN(d, n); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
