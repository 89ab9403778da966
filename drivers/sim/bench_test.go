package sim

import (
	"context"
	"fmt"
	"testing"

	"github.com/gisiaas/gisiaas/core"
)

func benchDriver(b *testing.B, servers int) (*Driver, []string) {
	b.Helper()
	d := newTestDriver(b, func(c *Config) {
		c.Quota = Quota{VCPUs: -1, MemoryMB: -1, Servers: -1, VolumeGB: -1, Volumes: -1}
	})
	ctx := testCtx(b)
	img := publicImageID(b, d)
	ids := make([]string, servers)
	for i := range ids {
		s, err := d.CreateServer(ctx, core.ServerCreate{CreateMeta: meta(), Name: fmt.Sprintf("b-%d", i), FlavorID: "m1.tiny", ImageID: img})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = s.ID
	}
	return d, ids
}

func BenchmarkGetServer(b *testing.B) {
	d, ids := benchDriver(b, 100)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := d.GetServer(ctx, ids[i%len(ids)]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkListServers1000(b *testing.B) {
	d, _ := benchDriver(b, 1000)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		list, err := d.ListServers(ctx, core.ListOptions{ProjectID: testProject})
		if err != nil || len(list) != 1000 {
			b.Fatalf("%d servers, %v", len(list), err)
		}
	}
}

func BenchmarkCreateDeleteServer(b *testing.B) {
	d, _ := benchDriver(b, 0)
	ctx := testCtx(b)
	img := publicImageID(b, d)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := d.CreateServer(ctx, core.ServerCreate{CreateMeta: meta(), Name: "c", FlavorID: "m1.tiny", ImageID: img})
		if err != nil {
			b.Fatal(err)
		}
		if err := d.DeleteServer(ctx, s.ID); err != nil {
			b.Fatal(err)
		}
	}
}
