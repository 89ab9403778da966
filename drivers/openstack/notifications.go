package openstack

import "context"

func (d *Driver) listenNotifications(ctx context.Context) { <-ctx.Done() }
