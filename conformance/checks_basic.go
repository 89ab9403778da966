package conformance

import (
	"context"

	"github.com/gisiaas/gisiaas/core"
)

func init() {
	register(Check{Clause: core.ClauseDatacenters, Name: "list", Needs: core.ClauseDatacenters,
		Run: func(ctx context.Context, e *Env) error {
			dcs, err := e.Driver.ListDatacenters(ctx)
			if err != nil {
				return err
			}
			if len(dcs) == 0 {
				return Failf("no datacenter listed")
			}
			for _, d := range dcs {
				if d.ID == "" || d.Name == "" {
					return Failf("datacenter %+v: id and name are required", d)
				}
				if d.Kind != core.Region && d.Kind != core.AvailabilityZone {
					return Failf("datacenter %s: kind %q, want region or availability_zone", d.ID, d.Kind)
				}
			}
			return nil
		},
		Unsupported: func(ctx context.Context, e *Env) error { _, err := e.Driver.ListDatacenters(ctx); return err },
	})
}
