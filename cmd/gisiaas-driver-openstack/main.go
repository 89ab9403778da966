// Command gisiaas-driver-openstack is the OpenStack driver (drivers/openstack)
// as a gisiaas driver plugin. The host starts it and hands it the
// datacenter's settings (an openstack.Config in JSON); it authenticates the
// service credential then, so a wrong password fails the datacenter's start
// with the cloud's answer.
package main

import (
	"context"
	"time"

	"github.com/gisiaas/gisiaas/core"
	"github.com/gisiaas/gisiaas/drivers/openstack"
	"github.com/gisiaas/gisiaas/plugins"
)

func main() {
	plugins.Serve(plugins.ServeConfig{Name: "openstack", Version: openstack.Version, Factory: newDriver})
}

// connectTimeout bounds the first authentication and catalog lookup.
const connectTimeout = 2 * time.Minute

func newDriver(settings []byte) (core.Driver, error) {
	cfg, err := openstack.ParseConfig(settings)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	d, err := openstack.New(ctx, cfg)
	if err != nil {
		return nil, err // not a typed nil in a core.Driver
	}
	return d, nil
}
