package openstack

import (
	"testing"

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
