// Package libvirt is the gisiaas driver for plain KVM hosts: libvirt
// connections (qemu:///system, qemu+ssh://host/system, test:///default …)
// grouped into datacenters, behind the same core.Driver as every cloud.
//
// Servers are domains whose gisiaas record (project, flavor, image, client
// token, tags, addresses) lives in the domain's own metadata element, so a
// restart of the plugin loses nothing the hypervisor keeps. Images and
// volumes are volumes of one storage pool per host; what libvirt has no
// place for (flavors, image attributes, volume names and tags) is kept in the
// driver's small JSON store (Config.StatePath), written atomically.
//
// Lifecycle events come from libvirt's domain event callbacks
// (virConnectDomainEventRegisterAny), not from polling; a reconnect after a
// lost connection re-registers them and reconciles what changed meanwhile.
// Volumes and images have no libvirt events: the driver emits theirs on its
// own successful operations.
//
// Security groups are nwfilters; live migration moves a domain to another
// host of its datacenter with virDomainMigrate.
//
// What a connection cannot do is not declared: the capabilities depend on
// the hypervisor of the configured hosts (libvirt's test driver has no
// volume upload or resize, no nwfilter and no migration; its volumes attach
// to the persistent definition, as it has no hot-plug). See
// docs/drivers/libvirt.md.
//
//	d, err := libvirt.New(libvirt.Config{URI: "test:///default", Pool: "default-pool",
//		Flavors: []core.Flavor{{ID: "m1.tiny", Name: "m1.tiny", VCPUs: 1, MemoryMB: 512, DiskGB: 1, Public: true}}})
package libvirt
