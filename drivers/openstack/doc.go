// Package openstack will be the OpenStack driver of gisiaas (issue 8): the
// cloud most of its users already own, behind core.Driver, through
// gophercloud v2 for every call, served as a plugin by
// cmd/gisiaas-driver-openstack.
//
// # What it will be
//
// Identity v3 with a password or an application credential, one shared
// ProviderClient per credential so that a 401 leads to one re-authentication;
// Compute v2 (servers with every action of B.2.1 — start, stop, soft and hard
// reboot, live-migrate to a host, resize with confirm and revert — flavors,
// images from servers, availability zones as datacenters, limits); Image v2
// (create, streamed upload, JSON-patch update, protected flag, delete);
// Networking v2 (networks and subnets, floating IPs with their ports,
// security groups and rules, routers; a public IP is a floating IP on the
// external network bound to a server's port or a fixed IP); Load Balancer v2
// where the catalog has Octavia, declared unsupported where it does not;
// Block Storage v3 (volumes attached through compute volume attachments,
// extend, snapshots, full and incremental backups); quotas for B.1.3. Each
// gisiaas project maps to an OpenStack project; resources carry the gisiaas
// id and idempotency record in their tags or metadata so that an interrupted
// create is adopted, never duplicated. Lifecycle events come from OpenStack's
// versioned notifications on its message bus when the datacenter config names
// the transport, and from changes-since polling otherwise.
//
// # What exists now
//
// Only the parts that need no cloud to be right, each with its tests:
//
//   - states.go maps the native states of Nova servers (status, refined by
//     task_state), Cinder volumes (refined by whether they are attached),
//     snapshots and backups, Glance images, Neutron floating IPs, ports and
//     routers, and Octavia load balancers into core's normalized states.
//     Every choice that is not a same-name match is commented where it is
//     made, with its effect on billing; a native state not in the tables
//     becomes core's UNKNOWN and the caller keeps the native value in
//     NativeStatus.
//   - errors.go has classify, which turns a gophercloud error into a core
//     kind by HTTP status and by the fault's structure (its JSON key,
//     Neutron's type), never by message text, keeping the cloud's message.
//   - retry.go has the http.RoundTripper to set on the ProviderClient's
//     HTTPClient: it retries a 429 or 503 after Retry-After, or a default
//     backoff, within the context's deadline, replaying the request body.
//
// One limit of classify to carry into the driver: Nova answers an exhausted
// quota on server create with a 403 whose body is shaped exactly like a
// policy denial ({"forbidden": {"message": …}}), and Octavia does the same
// in its own shape, so by structure both are PermissionDenied. The driver
// must decide those itself where it matters, from the limits API (Nova's
// GET /limits, Octavia's quotas), not from the message.
package openstack
