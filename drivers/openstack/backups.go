package openstack

import (
	"context"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

var _ = core.TypeServer

func (d *Driver) pollBackups(ctx context.Context, since time.Time) ([]observation, bool, error) {
	return nil, false, nil
}
