// Package openstack is the OpenStack driver of gisiaas: the cloud most of its
// users already own, behind core.Driver, through gophercloud v2 for every
// call, served as a plugin by cmd/gisiaas-driver-openstack.
//
// New authenticates a service credential (a password, or an application
// credential bound to one project) and finds every service in the catalog;
// load balancers are declared only where the catalog has Octavia.
//
//	d, err := openstack.New(ctx, openstack.Config{Cloud: "mycloud", CloudsFile: "/etc/gisiaas/clouds.yaml"})
//	if err != nil {
//		return err
//	}
//	defer d.Close()
//	servers, err := d.ListServers(ctx, core.ListOptions{ProjectID: project})
//
// The files, one per concern:
//
//   - config.go, driver.go: settings, the service clients of one token (a
//     ProviderClient re-authenticates once for every call that sees a 401),
//     datacenters as availability zones (zones renames them);
//   - projects.go: each gisiaas project is an OpenStack project, mapped by
//     config or made on demand, with a token scoped to it for creates;
//   - meta.go: what gisiaas keeps on a cloud resource — its tags, its
//     datacenter and a digest of the create's client token, so that a
//     retried or adopted create finds what an interrupted one made;
//   - servers.go, flavors.go, images.go, datacenters.go (Nova, Glance);
//     networks.go, floatingips.go, publicips.go, securitygroups.go,
//     routers.go (Neutron); loadbalancers.go (Octavia); volumes.go,
//     snapshots.go, backups.go (Cinder, attachments through Nova);
//   - events.go, notifications.go: lifecycle events from the driver's own
//     answers, OpenStack's notifications on its bus and polling, merged into
//     one record of each resource's last state;
//   - states.go, errors.go, retry.go: native states to core's (unknown ones
//     kept), errors classified by status and fault structure (never by
//     message text), 429/503 retried after Retry-After within the deadline.
//
// docs/drivers/openstack.md has the configuration, the call behind each
// operation and what the service user must be granted.
package openstack
