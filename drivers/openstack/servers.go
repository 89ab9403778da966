package openstack

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/flavors"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/quotasets"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	"github.com/gophercloud/gophercloud/v2/openstack/image/v2/images"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/layer3/floatingips"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/networks"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/ports"

	"github.com/gisiaas/gisiaas/core"
)

var _ core.Compute = (*Driver)(nil)

// metaPrevFlavor keeps, in a server's metadata while a resize waits for
// confirmation, the flavor it was resized from: Nova's server shows only
// the new one, and core's PreviousFlavorID is what a revert returns to.
const metaPrevFlavor = "gisiaas:prev_flavor"

// novaServer is what the driver reads of a Nova server at microversion
// 2.79 (gophercloud's Server lacks the description and decodes the
// embedded flavor only as a map).
type novaServer struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	Description *string         `json:"description"`
	TenantID    string          `json:"tenant_id"`
	Status      string          `json:"status"`
	TaskState   string          `json:"OS-EXT-STS:task_state"`
	Host        string          `json:"OS-EXT-SRV-ATTR:host"`
	AZ          string          `json:"OS-EXT-AZ:availability_zone"`
	Created     time.Time       `json:"created"`
	Updated     time.Time       `json:"updated"`
	Image       json.RawMessage `json:"image"` // "" when booted from a volume, else {"id": …}
	Flavor      struct {
		OriginalName string `json:"original_name"`
		VCPUs        int64  `json:"vcpus"`
		RAM          int64  `json:"ram"`
		Disk         int64  `json:"disk"`
	} `json:"flavor"`
	Metadata map[string]string `json:"metadata"`
	Tags     []string          `json:"tags"`
	Volumes  []struct {
		ID string `json:"id"`
	} `json:"os-extended-volumes:volumes_attached"`
}

func (s novaServer) imageID() string {
	var im struct {
		ID string `json:"id"`
	}
	if len(s.Image) > 0 && s.Image[0] == '{' && json.Unmarshal(s.Image, &im) == nil {
		return im.ID
	}
	return ""
}

func (s novaServer) state() core.ServerStatus { return serverState(s.Status, s.TaskState) }

// novaServers lists servers through the service credential.
func (d *Driver) novaServers(ctx context.Context, op string, opts servers.ListOpts) ([]novaServer, error) {
	pages, err := servers.List(d.admin.compute, opts).AllPages(ctx)
	if err != nil {
		return nil, classify(op, err)
	}
	var out []novaServer
	if err := servers.ExtractServersInto(pages, &out); err != nil {
		return nil, classify(op, err)
	}
	return out, nil
}

// novaServerByID shows one server; a missing one is NotFound.
func (d *Driver) novaServerByID(ctx context.Context, op, id string) (novaServer, error) {
	var s novaServer
	if err := servers.Get(ctx, d.admin.compute, id).ExtractInto(&s); err != nil {
		return novaServer{}, classify(op, err)
	}
	return s, nil
}

// snapshotImages remembers whether an image is a server snapshot (it never
// changes): billing's FromSnapshot, asked for on every observation.
var snapshotImages sync.Map // image endpoint + id → bool

// serverProjects remembers each server's OpenStack project (compute
// endpoint + id → project id), which never changes.
var serverProjects sync.Map

func (d *Driver) isSnapshotImage(ctx context.Context, id string) bool {
	if id == "" {
		return false
	}
	k := d.admin.image.Endpoint + id
	if v, ok := snapshotImages.Load(k); ok {
		return v.(bool)
	}
	im, err := images.Get(ctx, d.admin.image, id).Extract()
	if err != nil {
		return false // not cached: Glance may answer next time
	}
	snap := imageTypeOf(im.Properties) == core.ImageTypeSnapshot
	snapshotImages.Store(k, snap)
	return snap
}

// serverAttrs are the billing attributes of s in its current flavor.
func (d *Driver) serverAttrs(ctx context.Context, s novaServer) core.EventAttributes {
	return core.EventAttributes{Name: s.Name, FlavorID: d.flavorIDByName(ctx, s.Flavor.OriginalName),
		VCPUs: s.Flavor.VCPUs, MemoryMB: s.Flavor.RAM, DiskGB: s.Flavor.Disk, ImageID: s.imageID(),
		Host: s.Host, FromSnapshot: d.isSnapshotImage(ctx, s.imageID())}
}

// serverObservation is what an answer about s tells the event log.
func (d *Driver) serverObservation(ctx context.Context, s novaServer, projectID string) observation {
	_, dc, _ := metaFromMetadata(s.Metadata)
	return observation{Type: core.TypeServer, ID: s.ID, OSProject: s.TenantID, ProjectID: projectID,
		DatacenterID: d.dcOf(ctx, dc, s.AZ), State: string(s.state()), Attrs: d.serverAttrs(ctx, s), Time: s.Updated}
}

// observable says whether s's state is an event. A revert runs from
// VERIFY_RESIZE back to ACTIVE through Nova's REVERT_RESIZE, which a caller
// sees as RESIZE (states.go); the event stream leaves the server in
// VERIFY_RESIZE until the revert ends, so that a revert, like a confirm,
// is one event VERIFY_RESIZE → ACTIVE at the settled flavor (what billing
// rates from, and what conformance's resize check expects).
func observable(s novaServer) bool { return s.Status != "REVERT_RESIZE" }

// serverNet is what Neutron knows of servers' interfaces: their ports
// and the floating IPs reaching those ports.
type serverNet struct {
	ports map[string][]ports.Port             // device (server) id → ports
	fips  map[string][]floatingips.FloatingIP // port id → floating IPs
}

// serverPorts lists the ports of one server (serverID), or of every server
// of project osProject ("" and "": all projects).
func (d *Driver) serverPorts(ctx context.Context, op, serverID, osProject string) ([]ports.Port, error) {
	pages, err := ports.List(d.admin.network, ports.ListOpts{DeviceID: serverID, ProjectID: osProject}).AllPages(ctx)
	if err != nil {
		return nil, classify(op, err)
	}
	ps, err := ports.ExtractPorts(pages)
	return ps, classify(op, err)
}

// serverFIPs lists the floating IPs fo selects.
func (d *Driver) serverFIPs(ctx context.Context, op string, fo floatingips.ListOpts) ([]floatingips.FloatingIP, error) {
	pages, err := floatingips.List(d.admin.network, fo).AllPages(ctx)
	if err != nil {
		return nil, classify(op, err)
	}
	fs, err := floatingips.ExtractFloatingIPs(pages)
	return fs, classify(op, err)
}

func newServerNet(ps []ports.Port, fs []floatingips.FloatingIP) serverNet {
	n := serverNet{ports: map[string][]ports.Port{}, fips: map[string][]floatingips.FloatingIP{}}
	for _, p := range ps {
		if p.DeviceID != "" {
			n.ports[p.DeviceID] = append(n.ports[p.DeviceID], p)
		}
	}
	for _, f := range fs {
		if f.PortID != "" {
			n.fips[f.PortID] = append(n.fips[f.PortID], f)
		}
	}
	return n
}

// async runs fn in a goroutine; the returned func waits for its answer.
// A read of a server asks Nova and Neutron at once, so that gisiaas adds
// the slower of the two to a call, not their sum.
func async[T any](fn func() (T, error)) func() (T, error) {
	type answer struct {
		v   T
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		v, err := fn()
		ch <- answer{v, err}
	}()
	return func() (T, error) {
		a := <-ch
		return a.v, a.err
	}
}

// coreServer is s as core shows it; projectID is its gisiaas project when
// the caller knows it.
func (d *Driver) coreServer(ctx context.Context, s novaServer, projectID string, net serverNet) core.Server {
	tags, dc, rest := metaFromMetadata(s.Metadata)
	if projectID == "" {
		projectID = d.projects.gisProject(ctx, s.TenantID)
	}
	out := core.Server{
		Meta: core.Meta{ProjectID: projectID, DatacenterID: d.dcOf(ctx, dc, s.AZ), Tags: tags,
			CreatedAt: s.Created.UTC(), UpdatedAt: s.Updated.UTC()},
		ID: s.ID, Name: s.Name, FlavorID: d.flavorIDByName(ctx, s.Flavor.OriginalName), ImageID: s.imageID(),
		Status: s.state(), NativeStatus: s.Status, Host: s.Host,
		VolumeIDs: []string{}, Addresses: []core.ServerAddress{}, SecurityGroupIDs: []string{},
	}
	if s.Description != nil {
		out.Description = *s.Description
	}
	if prev := s.Metadata[metaPrevFlavor]; prev != "" && (out.Status == core.ServerVerifyResize || out.Status == core.ServerResize) {
		out.PreviousFlavorID = prev
	}
	delete(rest, metaPrevFlavor)
	if len(rest) > 0 {
		out.Metadata = rest
	}
	for _, v := range s.Volumes {
		out.VolumeIDs = append(out.VolumeIDs, v.ID)
	}
	ps := slices.Clone(net.ports[s.ID])
	slices.SortFunc(ps, func(a, b ports.Port) int { return a.CreatedAt.Compare(b.CreatedAt) })
	for _, p := range ps {
		for _, ip := range p.FixedIPs {
			out.Addresses = append(out.Addresses, core.ServerAddress{Kind: core.AddressPrivate, Address: ip.IPAddress,
				NetworkID: p.NetworkID, PortID: p.ID, MAC: p.MACAddress})
		}
		for _, f := range net.fips[p.ID] {
			kind := core.AddressFloating
			if isPublicIPDescription(f.Description) {
				kind = core.AddressPublic // a public IP is a marked floating IP (publicips.go)
			}
			out.Addresses = append(out.Addresses, core.ServerAddress{Kind: kind, Address: f.FloatingIP,
				NetworkID: f.FloatingNetworkID, PortID: p.ID})
		}
		for _, g := range p.SecurityGroups {
			if !slices.Contains(out.SecurityGroupIDs, g) {
				out.SecurityGroupIDs = append(out.SecurityGroupIDs, g)
			}
		}
	}
	if s.TenantID != "" {
		serverProjects.Store(d.admin.compute.Endpoint+s.ID, s.TenantID)
	}
	if observable(s) {
		d.observe(ctx, d.serverObservation(ctx, s, projectID))
	}
	return out
}

// serverCreate adds to gophercloud's create body what it has no field
// for: the description (2.19) and block devices with their device names.
type serverCreate struct {
	servers.CreateOpts
	description string
	bdm         []map[string]any
}

func (o serverCreate) ToServerCreateMap() (map[string]any, error) {
	b, err := o.CreateOpts.ToServerCreateMap()
	if err != nil {
		return nil, err
	}
	srv := b["server"].(map[string]any)
	if o.description != "" {
		srv["description"] = o.description
	}
	if len(o.bdm) > 0 {
		srv["block_device_mapping_v2"] = o.bdm
	}
	return b, nil
}

// blockDevices maps core's block devices to Nova's block_device_mapping_v2.
// Without an image, the first device is the boot disk (core's rule, and
// Nova's boot_index 0). New volumes (from an image or a snapshot) go with
// the server; existing ones stay.
func blockDevices(req core.ServerCreate) []map[string]any {
	var out []map[string]any
	for i, b := range req.BlockDevices {
		bd := map[string]any{"source_type": string(b.SourceType), "uuid": b.UUID, "destination_type": "volume",
			"boot_index": -1, "delete_on_termination": b.SourceType != core.SourceVolume}
		if i == 0 && req.ImageID == "" {
			bd["boot_index"] = 0
		}
		if b.SizeGB > 0 {
			bd["volume_size"] = b.SizeGB
		}
		if b.DeviceName != "" {
			bd["device_name"] = b.DeviceName
		}
		out = append(out, bd)
	}
	if len(out) > 0 && req.ImageID != "" {
		// With mappings given, the image is spelled out as the local boot
		// disk (boot index 0), the documented form.
		out = append([]map[string]any{{"source_type": "image", "destination_type": "local", "uuid": req.ImageID,
			"boot_index": 0, "delete_on_termination": true}}, out...)
	}
	return out
}

// CreateServer boots a server in the project's OpenStack project
// (B.2.1.1). With a client token, a server made by an earlier try is
// found by its token tag and returned instead of a second one.
func (d *Driver) CreateServer(ctx context.Context, req core.ServerCreate) (core.Server, error) {
	const op = "CreateServer"
	if err := req.Validate(); err != nil {
		return core.Server{}, core.WithOp(op, err)
	}
	cs, osProj, err := d.projects.clientsFor(ctx, req.ProjectID)
	if err != nil {
		return core.Server{}, core.WithOp(op, err)
	}
	tag := tokenTag(osProj, req.ClientToken)
	defer tokenLocks.lock(tag)() // from the lookup to the create: one server per token
	if tag != "" {
		found, err := d.novaServers(ctx, op, servers.ListOpts{AllTenants: true, TenantID: osProj, Tags: tag})
		if err != nil {
			return core.Server{}, err
		}
		for _, s := range found {
			if s.Status != "DELETED" {
				return d.getServer(ctx, op, s.ID, req.ProjectID)
			}
		}
	}
	opts := servers.CreateOpts{Name: req.Name, ImageRef: req.ImageID, FlavorRef: req.FlavorID,
		SecurityGroups: req.SecurityGroupIDs, AvailabilityZone: d.zoneName(req.DatacenterID),
		Metadata: createMetadata(req.CreateMeta, osProj, req.Metadata)}
	if len(req.UserData) > 0 {
		// Encoded here: gophercloud passes data that already looks like
		// base64 as it is, which would corrupt such user data.
		opts.UserData = []byte(base64.StdEncoding.EncodeToString(req.UserData))
	}
	if tag != "" {
		opts.Tags = []string{tag}
	}
	if len(req.Networks) == 0 {
		id, err := d.defaultServerNetwork(ctx, op, osProj)
		if err != nil {
			return core.Server{}, err
		}
		opts.Networks = []servers.Network{{UUID: id}}
	} else {
		var nets []servers.Network
		for _, n := range req.Networks {
			nets = append(nets, servers.Network{UUID: n.NetworkID, Port: n.PortID, FixedIP: n.FixedIP})
		}
		opts.Networks = nets
	}
	var created struct {
		ID string `json:"id"`
	}
	err = servers.Create(ctx, cs.compute, serverCreate{opts, req.Description, blockDevices(req)}, nil).ExtractInto(&created)
	if err != nil {
		err = classify(op, err)
		if core.KindOf(err) == core.PermissionDenied {
			err = d.quotaOr(ctx, op, osProj, req.FlavorID, 1, err)
		}
		return core.Server{}, err
	}
	return d.getServer(ctx, op, created.ID, req.ProjectID)
}

// defaultServerNetwork is the network of a server created without one, as
// the simulator chooses: the project's own private network with a subnet,
// else a shared one (the oldest first). Nova's own default, "auto", needs
// Neutron's auto-allocated topology, which few clouds set up.
func (d *Driver) defaultServerNetwork(ctx context.Context, op, osProject string) (string, error) {
	type network struct {
		ID        string    `json:"id"`
		ProjectID string    `json:"project_id"`
		Shared    bool      `json:"shared"`
		External  bool      `json:"router:external"`
		Subnets   []string  `json:"subnets"`
		CreatedAt time.Time `json:"created_at"`
	}
	var best *network
	rank := func(n *network) int {
		if n.ProjectID == osProject {
			return 0
		}
		return 1
	}
	shared := true
	for _, lo := range []networks.ListOpts{{ProjectID: osProject}, {Shared: &shared}} {
		pages, err := networks.List(d.admin.network, lo).AllPages(ctx)
		if err != nil {
			return "", classify(op, err)
		}
		var ns []network
		if err := networks.ExtractNetworksInto(pages, &ns); err != nil {
			return "", classify(op, err)
		}
		for i := range ns {
			n := &ns[i]
			if n.External || len(n.Subnets) == 0 {
				continue
			}
			if best == nil || rank(n) < rank(best) || (rank(n) == rank(best) && n.CreatedAt.Before(best.CreatedAt)) {
				best = n
			}
		}
	}
	if best == nil {
		return "", &core.Error{Kind: core.InvalidArgument, Op: op, Message: "networks: the project has no private network of its own or shared; name one"}
	}
	return best.ID, nil
}

// quotaOr tells Nova's quota refusal from a policy denial, both a 403
// shaped alike: when adding servers and flavorID's size to the project's
// usage passes a limit, the refusal was the quota's; else it stays err.
func (d *Driver) quotaOr(ctx context.Context, op, osProject, flavorID string, servers int64, err error) error {
	f, ferr := flavors.Get(ctx, d.admin.compute, flavorID).Extract()
	q, qerr := quotasets.GetDetail(ctx, d.admin.compute, osProject).Extract()
	if ferr != nil || qerr != nil {
		return err
	}
	for _, x := range []struct {
		what string
		q    quotasets.QuotaDetail
		add  int64
	}{{"instances", q.Instances, servers}, {"cores", q.Cores, int64(f.VCPUs)}, {"ram", q.RAM, int64(f.RAM)}} {
		if x.q.Limit >= 0 && x.add > 0 && int64(x.q.InUse+x.q.Reserved)+x.add > int64(x.q.Limit) {
			return &core.Error{Kind: core.QuotaExceeded, Op: op, Message: core.MessageOf(err), Err: err}
		}
	}
	return err
}

// getServer shows server id with its addresses; projectID as in coreServer.
func (d *Driver) getServer(ctx context.Context, op, id, projectID string) (core.Server, error) {
	portsOf := async(func() ([]ports.Port, error) { return d.serverPorts(ctx, op, id, "") })
	// A server never changes project: once seen, its project's floating
	// IPs are asked for at the same time as the server and its ports.
	var fipsOf func() ([]floatingips.FloatingIP, error)
	if p, ok := serverProjects.Load(d.admin.compute.Endpoint + id); ok {
		fipsOf = async(func() ([]floatingips.FloatingIP, error) {
			return d.serverFIPs(ctx, op, floatingips.ListOpts{ProjectID: p.(string)})
		})
	}
	s, err := d.novaServerByID(ctx, op, id)
	ps, perr := portsOf()
	var fs []floatingips.FloatingIP
	var ferr error
	if fipsOf != nil {
		fs, ferr = fipsOf()
	}
	for _, e := range []error{err, perr, ferr} {
		if e != nil {
			return core.Server{}, e
		}
	}
	if fipsOf == nil && len(ps) > 0 {
		fo := floatingips.ListOpts{ProjectID: s.TenantID}
		if len(ps) == 1 {
			fo = floatingips.ListOpts{PortID: ps[0].ID}
		}
		if fs, err = d.serverFIPs(ctx, op, fo); err != nil {
			return core.Server{}, err
		}
	}
	return d.coreServer(ctx, s, projectID, newServerNet(ps, fs)), nil
}

// GetServer shows a server (B.2.1.3).
func (d *Driver) GetServer(ctx context.Context, id string) (core.Server, error) {
	return d.getServer(ctx, "GetServer", id, "")
}

// ListServers lists servers, oldest first (B.2.1.8): one project's, or
// every project's when opts.ProjectID is empty.
func (d *Driver) ListServers(ctx context.Context, opts core.ListOptions) ([]core.Server, error) {
	const op = "ListServers"
	lo := servers.ListOpts{AllTenants: true}
	osProj := ""
	if opts.ProjectID != "" {
		os, ok, err := d.projects.find(ctx, opts.ProjectID)
		if err != nil {
			return nil, core.WithOp(op, err)
		}
		if !ok {
			return []core.Server{}, nil
		}
		osProj, lo.TenantID = os, os
	}
	portsOf := async(func() ([]ports.Port, error) { return d.serverPorts(ctx, op, "", osProj) })
	fipsOf := async(func() ([]floatingips.FloatingIP, error) {
		return d.serverFIPs(ctx, op, floatingips.ListOpts{ProjectID: osProj})
	})
	ss, err := d.novaServers(ctx, op, lo)
	ps, perr := portsOf()
	fs, ferr := fipsOf()
	for _, e := range []error{err, perr, ferr} {
		if e != nil {
			return nil, e
		}
	}
	net := newServerNet(ps, fs)
	out := make([]core.Server, 0, len(ss))
	for _, s := range ss {
		c := d.coreServer(ctx, s, opts.ProjectID, net)
		if opts.DatacenterID == "" || c.DatacenterID == opts.DatacenterID {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b core.Server) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// serverUpdate is Nova's update body with the description (2.19).
type serverUpdate struct{ name, description *string }

func (u serverUpdate) ToServerUpdateMap() (map[string]any, error) {
	b := map[string]any{}
	if u.name != nil {
		b["name"] = *u.name
	}
	if u.description != nil {
		b["description"] = *u.description
	}
	return map[string]any{"server": b}, nil
}

// UpdateServer renames or redescribes a server (B.2.1.4).
func (d *Driver) UpdateServer(ctx context.Context, id string, req core.ServerUpdate) (core.Server, error) {
	const op = "UpdateServer"
	if err := req.Validate(); err != nil {
		return core.Server{}, core.WithOp(op, err)
	}
	if err := servers.Update(ctx, d.admin.compute, id, serverUpdate{req.Name, req.Description}).Err; err != nil {
		return core.Server{}, classify(op, err)
	}
	return d.getServer(ctx, op, id, "")
}

// act runs do on server id when it is in one of the allowed states; any
// other state is Conflict, as Nova's own 409 would be.
func (d *Driver) act(ctx context.Context, op, id string, allowed []core.ServerStatus, do func(s novaServer) error) error {
	s, err := d.novaServerByID(ctx, op, id)
	if err != nil {
		return err
	}
	if st := s.state(); !slices.Contains(allowed, st) {
		names := make([]string, len(allowed))
		for i, a := range allowed {
			names[i] = string(a)
		}
		return &core.Error{Kind: core.Conflict, Op: op,
			Message: "server " + id + " is " + string(st) + " (" + s.Status + "); " + op + " needs " + strings.Join(names, " or ")}
	}
	if err := do(s); err != nil {
		return classify(op, err)
	}
	return nil
}

// StartServer brings a stopped server back (B.2.1.5). Paused, suspended
// and shelved servers are SHUTOFF to core too, and each has its own Nova
// action: os-start answers 409 for all of them.
func (d *Driver) StartServer(ctx context.Context, id string) error {
	return d.act(ctx, "StartServer", id, []core.ServerStatus{core.ServerShutoff}, func(s novaServer) error {
		c := d.admin.compute
		switch s.Status {
		case "PAUSED":
			return servers.Unpause(ctx, c, id).ExtractErr()
		case "SUSPENDED":
			return servers.Resume(ctx, c, id).ExtractErr()
		case "SHELVED", "SHELVED_OFFLOADED":
			return servers.Unshelve(ctx, c, id, servers.UnshelveOpts{}).ExtractErr()
		}
		return servers.Start(ctx, c, id).ExtractErr()
	})
}

// StopServer powers an ACTIVE server off (B.2.1.6).
func (d *Driver) StopServer(ctx context.Context, id string) error {
	return d.act(ctx, "StopServer", id, []core.ServerStatus{core.ServerActive}, func(novaServer) error {
		return servers.Stop(ctx, d.admin.compute, id).ExtractErr()
	})
}

// RebootServer reboots a server (B.2.1.7): SOFT a running one, HARD also
// a stopped or failed one, as Nova allows.
func (d *Driver) RebootServer(ctx context.Context, id string, kind core.RebootType) error {
	const op = "RebootServer"
	if err := core.ValidateRebootType(kind); err != nil {
		return core.WithOp(op, err)
	}
	allowed, how := []core.ServerStatus{core.ServerActive}, servers.SoftReboot
	if kind == core.RebootHard {
		allowed, how = append(allowed, core.ServerShutoff, core.ServerError), servers.HardReboot
	}
	return d.act(ctx, op, id, allowed, func(novaServer) error {
		return servers.Reboot(ctx, d.admin.compute, id, servers.RebootOpts{Type: how}).ExtractErr()
	})
}

// liveMigrate is os-migrateLive with block_migration "auto" (2.25+): Nova
// decides from the storage whether the disk moves too.
type liveMigrate struct{ host string }

func (m liveMigrate) ToLiveMigrateMap() (map[string]any, error) {
	return map[string]any{"os-migrateLive": map[string]any{"host": m.host, "block_migration": "auto"}}, nil
}

// LiveMigrateServer moves an ACTIVE server to another compute host of its
// zone (B.2.1.9). The host is checked against the zone's hosts first, since
// Nova answers a host it does not know with the same 400 as other faults.
func (d *Driver) LiveMigrateServer(ctx context.Context, id, host string) error {
	const op = "LiveMigrateServer"
	if strings.TrimSpace(host) == "" {
		return &core.Error{Kind: core.InvalidArgument, Op: op, Message: "host: is required"}
	}
	return d.act(ctx, op, id, []core.ServerStatus{core.ServerActive}, func(s novaServer) error {
		_, dcMeta, _ := metaFromMetadata(s.Metadata)
		az := d.dcOf(ctx, "", s.AZ) // the zone's datacenter, not the one asked for: the server is where Nova put it
		if s.AZ == "" {
			az = d.dcOf(ctx, dcMeta, "")
		}
		z, err := d.zone(ctx, op, az)
		if err != nil {
			return err
		}
		if !slices.Contains(z.Hosts, host) {
			return &core.Error{Kind: core.InvalidArgument, Op: op, Message: "host: " + host + " is not a compute host of datacenter " + az}
		}
		if host == s.Host {
			return &core.Error{Kind: core.Conflict, Op: op, Message: "server " + id + " is on host " + host + " already"}
		}
		return servers.LiveMigrate(ctx, d.admin.compute, id, liveMigrate{host}).ExtractErr()
	})
}

// ResizeServer moves a server to flavorID (B.2.1.10); it waits in
// VERIFY_RESIZE for ConfirmResize or RevertResize. The flavor it leaves is
// kept in its metadata meanwhile (PreviousFlavorID).
func (d *Driver) ResizeServer(ctx context.Context, id, flavorID string) error {
	const op = "ResizeServer"
	if err := core.ValidateID("flavor_id", flavorID); err != nil {
		return core.WithOp(op, err)
	}
	return d.act(ctx, op, id, []core.ServerStatus{core.ServerActive, core.ServerShutoff}, func(s novaServer) error {
		to, err := flavors.Get(ctx, d.admin.compute, flavorID).Extract()
		if err != nil {
			if core.KindOf(classify(op, err)) == core.NotFound {
				return &core.Error{Kind: core.InvalidArgument, Op: op, Message: "flavor_id: flavor " + flavorID + " not found", Err: err}
			}
			return err
		}
		from := d.flavorIDByName(ctx, s.Flavor.OriginalName)
		if to.ID == from {
			return &core.Error{Kind: core.InvalidArgument, Op: op, Message: "flavor_id: server " + id + " has flavor " + to.ID + " already"}
		}
		if from != "" {
			if err := servers.UpdateMetadata(ctx, d.admin.compute, id, servers.MetadataOpts{metaPrevFlavor: from}).Err; err != nil {
				return err
			}
		}
		if err := servers.Resize(ctx, d.admin.compute, id, servers.ResizeOpts{FlavorRef: to.ID}).ExtractErr(); err != nil {
			_ = servers.DeleteMetadatum(ctx, d.admin.compute, id, metaPrevFlavor).ExtractErr()
			cerr := classify(op, err)
			if core.KindOf(cerr) == core.PermissionDenied {
				return d.resizeQuotaOr(ctx, op, s, *to, cerr)
			}
			return cerr
		}
		return nil
	})
}

// resizeQuotaOr is quotaOr for a resize: what the new flavor adds.
func (d *Driver) resizeQuotaOr(ctx context.Context, op string, s novaServer, to flavors.Flavor, err error) error {
	q, qerr := quotasets.GetDetail(ctx, d.admin.compute, s.TenantID).Extract()
	if qerr != nil {
		return err
	}
	over := func(x quotasets.QuotaDetail, add int64) bool {
		return x.Limit >= 0 && add > 0 && int64(x.InUse+x.Reserved)+add > int64(x.Limit)
	}
	if over(q.Cores, int64(to.VCPUs)-s.Flavor.VCPUs) || over(q.RAM, int64(to.RAM)-s.Flavor.RAM) {
		return &core.Error{Kind: core.QuotaExceeded, Op: op, Message: core.MessageOf(err), Err: err}
	}
	return err
}

// settleResize ends a resize with confirm or revert and drops the
// remembered flavor.
func (d *Driver) settleResize(ctx context.Context, op, id string, do func() error) error {
	return d.act(ctx, op, id, []core.ServerStatus{core.ServerVerifyResize}, func(s novaServer) error {
		if err := do(); err != nil {
			return err
		}
		if _, ok := s.Metadata[metaPrevFlavor]; ok {
			// Best effort: PreviousFlavorID shows only while resizing anyway.
			_ = servers.DeleteMetadatum(ctx, d.admin.compute, id, metaPrevFlavor).ExtractErr()
		}
		return nil
	})
}

// ConfirmResize keeps the new flavor (B.2.1.10).
func (d *Driver) ConfirmResize(ctx context.Context, id string) error {
	return d.settleResize(ctx, "ConfirmResize", id, func() error {
		return servers.ConfirmResize(ctx, d.admin.compute, id).ExtractErr()
	})
}

// RevertResize goes back to the old flavor (B.2.1.10).
func (d *Driver) RevertResize(ctx context.Context, id string) error {
	return d.settleResize(ctx, "RevertResize", id, func() error {
		return servers.RevertResize(ctx, d.admin.compute, id).ExtractErr()
	})
}

// DeleteServer deletes a server (B.2.1.2). A SOFT_DELETED one (a cloud
// with reclaim_instance_interval) is purged now with forceDelete.
func (d *Driver) DeleteServer(ctx context.Context, id string) error {
	const op = "DeleteServer"
	s, err := d.novaServerByID(ctx, op, id)
	if err != nil {
		return err
	}
	if s.Status == "SOFT_DELETED" {
		err = servers.ForceDelete(ctx, d.admin.compute, id).ExtractErr()
	} else {
		err = servers.Delete(ctx, d.admin.compute, id).ExtractErr()
	}
	return classify(op, err)
}

// pollServers lists every project's servers changed since since (all of
// them when since is zero); Nova's changes-since list includes the servers
// deleted meanwhile, as DELETED, which ends them. It is not a whole list.
func (d *Driver) pollServers(ctx context.Context, since time.Time) ([]observation, bool, error) {
	lo := servers.ListOpts{AllTenants: true}
	// The poll loop's first since is the zero time less a margin: before
	// 1970, which Nova refuses, means no filter.
	if since.After(time.Unix(0, 0)) {
		lo.ChangesSince = since.UTC().Format(time.RFC3339)
	}
	ss, err := d.novaServers(ctx, "pollServers", lo)
	if err != nil {
		return nil, false, err
	}
	obs := make([]observation, 0, len(ss))
	for _, s := range ss {
		if observable(s) {
			obs = append(obs, d.serverObservation(ctx, s, ""))
		}
	}
	return obs, false, nil
}
