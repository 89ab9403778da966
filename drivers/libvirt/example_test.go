package libvirt_test

import (
	"context"
	"fmt"

	"github.com/gisiaas/gisiaas/core"
	"github.com/gisiaas/gisiaas/drivers/libvirt"
)

// A datacenter of one host on libvirt's test driver, a flavor, an image
// volume the driver creates, and a server on the host's default network.
func Example() {
	d, err := libvirt.New(libvirt.Config{URI: "test:///default", Pool: "default-pool",
		Flavors: []core.Flavor{{ID: "m1.tiny", Name: "m1.tiny", VCPUs: 1, MemoryMB: 256, DiskGB: 1, Public: true}},
		Images:  []libvirt.ImageConfig{{ID: "base", Name: "base", Volume: "example-base.img", CreateSizeGB: 1}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer d.Close()
	ctx := context.Background()
	s, err := d.CreateServer(ctx, core.ServerCreate{CreateMeta: core.CreateMeta{ProjectID: "gis"},
		Name: "web", FlavorID: "m1.tiny", ImageID: "base"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer d.DeleteServer(ctx, s.ID)
	fmt.Println(s.Name, s.Status, s.Host, s.DatacenterID, s.Addresses[0].NetworkID)
	// Output: web ACTIVE host1 default default
}
