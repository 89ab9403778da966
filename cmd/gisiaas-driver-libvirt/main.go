// Command gisiaas-driver-libvirt serves plain KVM hosts (drivers/libvirt)
// to gisiaas as a driver plugin. The host starts it; run by hand it only
// says so. Its settings are a libvirt.Config in JSON: the hosts' URIs by
// datacenter, the storage pool, flavors and images (docs/drivers/libvirt.md).
package main

import (
	"github.com/gisiaas/gisiaas/drivers/libvirt"
	"github.com/gisiaas/gisiaas/plugins"
)

func main() {
	plugins.Serve(plugins.ServeConfig{Name: "libvirt", Version: libvirt.Version, Factory: libvirt.FromSettings})
}
