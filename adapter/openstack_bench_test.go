package adapter

import (
	"context"
	"net/http"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	"github.com/gophercloud/gophercloud/v2/openstack/config/clouds"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/projects"

	"github.com/gisiaas/gisiaas/adapter/store"
	"github.com/gisiaas/gisiaas/adapter/store/storetest"
)

// BenchmarkOpenStackOverhead measures, in one run against a real OpenStack,
// the latency of GET /servers/{id} and GET /servers through gisiaas (HTTP,
// token check, registry, gRPC to the driver plugin, the driver's calls to
// OpenStack) next to the same reads made directly to Nova with gophercloud,
// with the same credential and query. Each sub-benchmark reports p50 and
// p99 besides the mean (ns/op).
func BenchmarkOpenStackOverhead(b *testing.B) {
	proc := openStackPlugin(b)
	db := storetest.Open(b, store.SQLite)
	const dc = "nova"
	f := newAPIFixture(b, db, func(c *Config) {
		c.Datacenters = []Datacenter{{ID: dc, Name: "OpenStack", Driver: "openstack", Cloud: proc}}
		c.Limits.CallTimeout = 5 * time.Minute
	})
	f.patience, f.pollEvery = 4*time.Minute, 500*time.Millisecond
	base := "/v1/" + f.pa
	img := f.firstID(base+"/images", f.alice, "images", func(m map[string]any) bool { return m["name"] == "tiny" })
	net := f.firstID(base+"/networks", f.alice, "networks", func(m map[string]any) bool { return m["name"] == "private" })
	body := serverBody("bench", dc, img, net)
	body["server"].(map[string]any)["flavor_id"] = "1"
	srv := f.must(202, "POST", base+"/servers", f.alice, body)["server"].(map[string]any)["id"].(string)
	b.Cleanup(func() { f.do("DELETE", base+"/servers/"+srv, f.alice, nil) })
	f.waitFor(base+"/servers/"+srv, f.alice, "server", "status", "ACTIVE")

	ctx := context.Background()
	ao, eo, _, err := clouds.Parse(clouds.WithCloudName(os.Getenv("OS_CLOUD")), clouds.WithLocations(os.Getenv("OS_CLIENT_CONFIG_FILE")))
	if err != nil {
		b.Fatal(err)
	}
	pc, err := openstack.AuthenticatedClient(ctx, ao)
	if err != nil {
		b.Fatal(err)
	}
	nova, err := openstack.NewComputeV2(pc, eo)
	if err != nil {
		b.Fatal(err)
	}
	keystone, err := openstack.NewIdentityV3(pc, eo)
	if err != nil {
		b.Fatal(err)
	}
	// The OpenStack project the driver made for gisiaas project pa.
	pages, err := projects.List(keystone, projects.ListOpts{Name: "gisiaas-" + f.pa}).AllPages(ctx)
	if err != nil {
		b.Fatal(err)
	}
	ps, _ := projects.ExtractProjects(pages)
	if len(ps) != 1 {
		b.Fatalf("OpenStack projects named gisiaas-%s: %d", f.pa, len(ps))
	}
	osProject := ps[0].ID

	measure := func(b *testing.B, op func() error) {
		if err := op(); err != nil { // warm: tokens, connections, caches
			b.Fatal(err)
		}
		lat := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for b.Loop() {
			t0 := time.Now()
			if err := op(); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		b.StopTimer()
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
	get := func(path string) func() error {
		return func() error {
			resp, _ := f.do("GET", path, f.alice, nil)
			if resp.StatusCode != http.StatusOK {
				return errStatus(resp.StatusCode)
			}
			return nil
		}
	}
	b.Run("gisiaas GET server", func(b *testing.B) { measure(b, get(base+"/servers/"+srv)) })
	b.Run("nova GET server", func(b *testing.B) {
		measure(b, func() error { return servers.Get(ctx, nova, srv).Err })
	})
	b.Run("gisiaas GET servers", func(b *testing.B) { measure(b, get(base+"/servers?datacenter="+dc)) })
	b.Run("nova GET servers", func(b *testing.B) {
		measure(b, func() error {
			_, err := servers.List(nova, servers.ListOpts{AllTenants: true, TenantID: osProject}).AllPages(ctx)
			return err
		})
	})
}

type errStatus int

func (e errStatus) Error() string { return http.StatusText(int(e)) }
