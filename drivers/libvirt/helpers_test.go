package libvirt

import (
	"context"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// testConfig is a datacenter of one host on libvirt's test driver: real
// libvirt, in process, no daemon. Its state lives as long as a connection
// to test:///default is open in this process.
func testConfig() Config {
	return Config{URI: "test:///default", Pool: "default-pool", Networks: []string{"default"},
		Flavors: []core.Flavor{
			{ID: "m1.tiny", Name: "m1.tiny", VCPUs: 1, MemoryMB: 256, DiskGB: 1, Public: true},
			{ID: "m1.small", Name: "m1.small", VCPUs: 2, MemoryMB: 512, DiskGB: 1, Public: true},
		},
		Images:   []ImageConfig{{ID: "base", Name: "base", Volume: "gisiaas-test-base.img", CreateSizeGB: 1, Architecture: "x86_64"}},
		MaxVCPUs: 4, MaxMemoryMB: 1024, StopTimeout: Duration(5 * time.Second)}
}

// newTestDriver opens a driver on test:///default, closed after the test.
func newTestDriver(t *testing.T, mutate ...func(*Config)) *Driver {
	t.Helper()
	cfg := testConfig()
	for _, m := range mutate {
		m(&cfg)
	}
	d, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// meta is the create metadata of a test's resources.
func meta(project string) core.CreateMeta {
	return core.CreateMeta{ProjectID: project, DatacenterID: "default", Tags: map[string]string{"test": project}}
}

// newServer boots a server of m1.tiny from the base image.
func newServer(t *testing.T, d *Driver, project, name string) core.Server {
	t.Helper()
	s, err := d.CreateServer(testCtx(t), core.ServerCreate{CreateMeta: meta(project), Name: name, FlavorID: "m1.tiny", ImageID: "base"})
	if err != nil {
		t.Fatalf("CreateServer: %v", err)
	}
	t.Cleanup(func() { _ = d.DeleteServer(context.Background(), s.ID) })
	return s
}

// waitEvent waits (through Watch) for an event matching match.
func waitEvent(t *testing.T, d *Driver, what string, match func(core.Event) bool) core.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var got core.Event
	errFound := core.Errorf(core.Internal, "found")
	err := d.Watch(ctx, "", func(e core.Event) error {
		if match(e) {
			got = e
			return errFound
		}
		return nil
	})
	if err != errFound {
		t.Fatalf("no event of %s: %v", what, err)
	}
	return got
}

// wantKind fails unless err is of kind k.
func wantKind(t *testing.T, what string, err error, k core.Kind) {
	t.Helper()
	if core.KindOf(err) != k {
		t.Fatalf("%s: got %v (%s), want %s", what, err, core.KindOf(err), k)
	}
}
