package openstack

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/volumes"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/applicationcredentials"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/tokens"

	"github.com/gisiaas/gisiaas/core"
)

func TestInfoDeclaresEveryClauseWithOctavia(t *testing.T) {
	d := testDriver(t)
	info, err := d.Info(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range core.Clauses {
		if !info.Supports(c.ID) && d.admin.lb != nil {
			t.Errorf("%s not declared", c.ID)
		}
	}
	if err := d.Health(testContext(t)); err != nil {
		t.Errorf("Health: %v", err)
	}
}

func TestProjectsMapAndCreateOnDemand(t *testing.T) {
	d := testDriver(t)
	ctx := testContext(t)
	gis := "projmap-" + d.events.boot
	if _, ok, err := d.projects.find(ctx, gis); err != nil || ok {
		t.Fatalf("find before create: ok=%v err=%v", ok, err)
	}
	cs, os1, err := d.projects.clientsFor(ctx, gis)
	if err != nil {
		t.Fatalf("clientsFor: %v", err)
	}
	if os1 == d.ownProject || cs == d.admin {
		t.Fatalf("project %s mapped to the service project", gis)
	}
	if p, err := tokenProject(cs.provider); err != nil || p != os1 {
		t.Fatalf("scoped token's project = %q, %v; want %q", p, err, os1)
	}
	// A second driver (a restarted plugin) finds the same project by name.
	d2 := testDriver(t)
	os2, ok, err := d2.projects.find(ctx, gis)
	if err != nil || !ok || os2 != os1 {
		t.Fatalf("second driver: %q ok=%v err=%v; want %q", os2, ok, err, os1)
	}
	if got := d2.projects.gisProject(ctx, os1); got != gis {
		t.Errorf("gisProject(%s) = %q, want %q", os1, got, gis)
	}
	if got := d.projects.gisProject(ctx, d.ownProject); got != "" {
		t.Errorf("the service project maps to %q, want \"\"", got)
	}
}

// TestZonesNameDatacenters: with zones, the cloud's zone "nova" is
// datacenter "region-one" everywhere — listed, asked for in a create, and
// on the resource — while Cinder gets its own zone's name.
func TestZonesNameDatacenters(t *testing.T) {
	cfg, ok := cloudConfigFromEnv()
	if !ok {
		testDriver(t) // skips, or fails under CI
	}
	ctx := testContext(t)
	base, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	zone := base.defaultDC(ctx)
	_ = base.Close()
	cfg.Zones = map[string]string{"region-one": zone}
	d, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	dcs, err := d.ListDatacenters(ctx)
	if err != nil || len(dcs) == 0 || dcs[0].ID != "region-one" || dcs[0].Name != zone {
		t.Fatalf("ListDatacenters: %+v, %v; want region-one named %s", dcs, err, zone)
	}
	v, err := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: core.CreateMeta{DatacenterID: "region-one"}, Name: "zones-" + d.events.boot, SizeGB: 1})
	if err != nil {
		t.Fatalf("CreateVolume in region-one: %v", err)
	}
	t.Cleanup(func() { _ = d.DeleteVolume(context.Background(), v.ID) })
	if v.DatacenterID != "region-one" {
		t.Errorf("the volume is in %q, want region-one", v.DatacenterID)
	}
	raw, err := volumes.Get(ctx, d.admin.volume, v.ID).Extract()
	if err != nil || raw.AvailabilityZone != zone {
		t.Errorf("Cinder's zone of the volume: %+v, %v; want %s", raw, err, zone)
	}
	if _, err := ParseConfig([]byte(`{"auth_url": "http://x/v3", "zones": {"a": "nova", "b": "nova"}}`)); core.KindOf(err) != core.InvalidArgument {
		t.Errorf("two datacenters of one zone: %v, want invalid_argument", err)
	}
}

// TestWithoutOctaviaLoadBalancersAreUnsupported: a catalog without a
// load-balancer service leaves B.3.4 undeclared, and each of its operations
// answers unsupported (501) without a call.
func TestWithoutOctaviaLoadBalancersAreUnsupported(t *testing.T) {
	d := &Driver{admin: &clients{}, cfg: Config{StateTimeout: Duration(time.Minute)}}
	info, err := d.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	lb := []core.Clause{core.ClauseLBCreate, core.ClauseLBDelete, core.ClauseLBShow, core.ClauseLBList, core.ClauseLBAddMember, core.ClauseLBRemoveMember}
	for _, c := range core.Clauses {
		if got, want := info.Supports(c.ID), !slices.Contains(lb, c.ID); got != want {
			t.Errorf("%s declared %v without Octavia, want %v", c.ID, got, want)
		}
	}
	ctx := context.Background()
	_, e1 := d.CreateLoadBalancer(ctx, core.LoadBalancerCreate{Name: "x"})
	_, e2 := d.GetLoadBalancer(ctx, "x")
	_, e3 := d.ListLoadBalancers(ctx, core.ListOptions{})
	e4 := d.DeleteLoadBalancer(ctx, "x")
	_, e5 := d.AddMember(ctx, "x", core.MemberAdd{})
	_, e6 := d.RemoveMember(ctx, "x", core.MemberRemove{})
	for i, err := range []error{e1, e2, e3, e4, e5, e6} {
		if core.KindOf(err) != core.Unsupported {
			t.Errorf("load balancer operation %d: %v, want unsupported", i+1, err)
		}
	}
}

// TestApplicationCredential: the driver authenticates with an application
// credential (made here for the service user), serves the one gisiaas
// project mapped to the credential's project, and refuses a mapping to any
// other project.
func TestApplicationCredential(t *testing.T) {
	d := testDriver(t)
	ctx := testContext(t)
	r, _ := d.admin.provider.GetAuthResult().(interface{ ExtractUser() (*tokens.User, error) })
	u, err := r.ExtractUser()
	if err != nil {
		t.Fatal(err)
	}
	secret := "gisiaas-test-" + d.events.boot + "-secret"
	ac, err := applicationcredentials.Create(ctx, d.admin.identity, u.ID, applicationcredentials.CreateOpts{
		Name: "gisiaas-test-" + d.events.boot, Secret: secret}).Extract()
	if err != nil {
		t.Fatalf("creating an application credential: %v", err)
	}
	t.Cleanup(func() {
		_ = applicationcredentials.Delete(context.Background(), d.admin.identity, u.ID, ac.ID).ExtractErr()
	})
	auth := d.admin.identity.IdentityEndpoint
	if auth == "" {
		auth = d.admin.identity.Endpoint
	}
	cfg := Config{AuthURL: auth, ApplicationCredentialID: ac.ID, ApplicationCredentialSecret: secret, PollInterval: -1,
		Projects: map[string]string{"appcred": d.ownProject}}
	ad, err := New(ctx, cfg)
	if err != nil {
		t.Fatalf("New with an application credential: %v", err)
	}
	t.Cleanup(func() { _ = ad.Close() })
	if ad.ownProject != d.ownProject {
		t.Errorf("the credential's project is %s, want %s", ad.ownProject, d.ownProject)
	}
	if _, err := ad.ListDatacenters(ctx); err != nil {
		t.Errorf("ListDatacenters with an application credential: %v", err)
	}
	if os, ok, err := ad.projects.find(ctx, "appcred"); err != nil || !ok || os != d.ownProject {
		t.Errorf("project appcred → %q ok=%v err=%v", os, ok, err)
	}
	if _, err := ad.projects.ensure(ctx, "another"); core.KindOf(err) != core.InvalidArgument {
		t.Errorf("an unmapped project with an application credential: %v, want invalid_argument", err)
	}
	cfg.Projects = map[string]string{"appcred": "not-its-project"}
	if _, err := New(ctx, cfg); core.KindOf(err) != core.InvalidArgument {
		t.Errorf("a mapping to another project: %v, want invalid_argument", err)
	}
}
