package openstack

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/attributestags"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/networks"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/ports"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/subnets"
	"github.com/gophercloud/gophercloud/v2/pagination"

	"github.com/gisiaas/gisiaas/core"
)

// Networks (B.3.1.1) are Neutron's, read only: gisiaas lists what the
// operator made. Neutron's answers are decoded into the driver's own structs
// rather than gophercloud's, which drop what gisiaas needs (port_details of
// floating IPs, "no port range" of rules, router:external).

var _ core.Networks = (*Driver)(nil)

// neutronTime reads Neutron's timestamps: RFC 3339 with a zone, or the
// zone-less form older releases wrote (UTC).
type neutronTime time.Time

func (t *neutronTime) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil || s == "" {
		*t = neutronTime{}
		return nil // null or absent: no time, not an error
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05"} {
		if v, err := time.Parse(layout, s); err == nil {
			*t = neutronTime(v.UTC())
			return nil
		}
	}
	*t = neutronTime{}
	return nil
}

func (t neutronTime) utc() time.Time { return time.Time(t).UTC() }

// netChanged is the time of a resource's last change: updated_at, else created_at.
func netChanged(created, updated neutronTime) time.Time {
	if !time.Time(updated).IsZero() {
		return updated.utc()
	}
	return created.utc()
}

// neutronList lists a whole Neutron (or Octavia) collection into out, a
// pointer to a slice of the driver's structs; key is the collection's key.
func neutronList(ctx context.Context, pager pagination.Pager, key string, out any) error {
	page, err := pager.AllPages(ctx)
	if err != nil {
		return err
	}
	s, ok := page.(interface{ ExtractIntoSlicePtr(any, string) error })
	if !ok {
		return core.Errorf(core.Internal, "openstack: the %s page cannot be decoded", key)
	}
	return s.ExtractIntoSlicePtr(out, key)
}

// netListScope resolves a list's project filter: all is true when the list is
// not filtered by project; otherwise osProject is the OpenStack project of
// opts.ProjectID, and none is true when that project has none yet (so it
// owns nothing). Lists never create projects.
func (d *Driver) netListScope(ctx context.Context, opts core.ListOptions) (osProject string, all, none bool, err error) {
	if opts.ProjectID == "" {
		return "", true, false, nil
	}
	os, ok, err := d.projects.find(ctx, opts.ProjectID)
	if err != nil {
		return "", false, false, err
	}
	return os, false, !ok, nil
}

// netInDC says whether a resource of datacenter dc passes the list's filter.
func netInDC(opts core.ListOptions, dc string) bool {
	return opts.DatacenterID == "" || opts.DatacenterID == dc
}

type neutronNetwork struct {
	ID        string      `json:"id"`
	Name      string      `json:"name"`
	Status    string      `json:"status"`
	Shared    bool        `json:"shared"`
	External  bool        `json:"router:external"`
	ProjectID string      `json:"project_id"`
	Subnets   []string    `json:"subnets"`
	Tags      []string    `json:"tags"`
	AZs       []string    `json:"availability_zones"`
	CreatedAt neutronTime `json:"created_at"`
	UpdatedAt neutronTime `json:"updated_at"`
}

type neutronSubnet struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	NetworkID string `json:"network_id"`
	CIDR      string `json:"cidr"`
	GatewayIP string `json:"gateway_ip"`
	IPVersion int    `json:"ip_version"`
	ProjectID string `json:"project_id"`
}

type neutronFixedIP struct {
	SubnetID  string `json:"subnet_id"`
	IPAddress string `json:"ip_address"`
}

type neutronPort struct {
	ID          string           `json:"id"`
	Name        string           `json:"name"`
	NetworkID   string           `json:"network_id"`
	DeviceID    string           `json:"device_id"`
	DeviceOwner string           `json:"device_owner"`
	MACAddress  string           `json:"mac_address"`
	Status      string           `json:"status"`
	ProjectID   string           `json:"project_id"`
	FixedIPs    []neutronFixedIP `json:"fixed_ips"`
}

func (p neutronPort) core() core.Port {
	c := core.Port{ID: p.ID, Name: p.Name, NetworkID: p.NetworkID, DeviceID: p.DeviceID,
		MACAddress: p.MACAddress, Status: netState(p.Status)}
	if len(p.FixedIPs) > 0 {
		c.SubnetID, c.FixedIP = p.FixedIPs[0].SubnetID, p.FixedIPs[0].IPAddress
	}
	return c
}

// isServerPort says whether a port is a Nova server's interface.
func (p neutronPort) isServerPort() bool { return strings.HasPrefix(p.DeviceOwner, "compute:") }

func (d *Driver) networkOf(ctx context.Context, n neutronNetwork, subs []neutronSubnet) core.Network {
	tags, dc := metaFromTags(n.Tags)
	az := ""
	if len(n.AZs) > 0 {
		az = n.AZs[0]
	}
	out := core.Network{
		Meta: core.Meta{ProjectID: d.projects.gisProject(ctx, n.ProjectID), DatacenterID: d.dcOf(ctx, dc, az), Tags: tags,
			CreatedAt: n.CreatedAt.utc(), UpdatedAt: netChanged(n.CreatedAt, n.UpdatedAt)},
		ID: n.ID, Name: n.Name, External: n.External, Shared: n.Shared, Status: netState(n.Status),
		Subnets: []core.Subnet{},
	}
	for _, s := range subs {
		out.Subnets = append(out.Subnets, core.Subnet{ID: s.ID, Name: s.Name, NetworkID: s.NetworkID, CIDR: s.CIDR,
			GatewayIP: s.GatewayIP, IPVersion: s.IPVersion})
	}
	slices.SortFunc(out.Subnets, func(a, b core.Subnet) int { return strings.Compare(a.CIDR, b.CIDR) })
	if out.Name == "" {
		out.Name = n.ID // the standard requires a name; Neutron's is optional
	}
	return out
}

// ListNetworks lists networks with their subnets (B.3.1.1): with a project,
// its own networks and every shared or external one.
func (d *Driver) ListNetworks(ctx context.Context, opts core.ListOptions) ([]core.Network, error) {
	const op = "ListNetworks"
	osProj, all, none, err := d.netListScope(ctx, opts)
	if err != nil {
		return nil, core.WithOp(op, err)
	}
	var ns []neutronNetwork
	if err := neutronList(ctx, networks.List(d.admin.network, networks.ListOpts{}), "networks", &ns); err != nil {
		return nil, classify(op, err)
	}
	var ss []neutronSubnet
	if err := neutronList(ctx, subnets.List(d.admin.network, subnets.ListOpts{}), "subnets", &ss); err != nil {
		return nil, classify(op, err)
	}
	byNet := map[string][]neutronSubnet{}
	for _, s := range ss {
		byNet[s.NetworkID] = append(byNet[s.NetworkID], s)
	}
	out := []core.Network{}
	for _, n := range ns {
		if !all && !n.Shared && !n.External && (none || n.ProjectID != osProj) {
			continue
		}
		c := d.networkOf(ctx, n, byNet[n.ID])
		if netInDC(opts, c.DatacenterID) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b core.Network) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// GetNetwork shows one network with its subnets.
func (d *Driver) GetNetwork(ctx context.Context, id string) (core.Network, error) {
	const op = "GetNetwork"
	n, err := d.neutronNetwork(ctx, id)
	if err != nil {
		return core.Network{}, classify(op, err)
	}
	var ss []neutronSubnet
	if err := neutronList(ctx, subnets.List(d.admin.network, subnets.ListOpts{NetworkID: id}), "subnets", &ss); err != nil {
		return core.Network{}, classify(op, err)
	}
	return d.networkOf(ctx, n, ss), nil
}

// neutronNetwork reads one network; the error is gophercloud's.
func (d *Driver) neutronNetwork(ctx context.Context, id string) (neutronNetwork, error) {
	var n neutronNetwork
	err := networks.Get(ctx, d.admin.network, id).ExtractInto(&n)
	return n, err
}

// getSubnet reads one subnet; the error is gophercloud's.
func (d *Driver) getSubnet(ctx context.Context, id string) (neutronSubnet, error) {
	var body struct {
		Subnet neutronSubnet `json:"subnet"`
	}
	err := subnets.Get(ctx, d.admin.network, id).ExtractInto(&body)
	return body.Subnet, err
}

// externalNetworkRef checks that id, named in a request's field, is an
// external network: InvalidArgument when it does not exist or is not
// external, as a reference in a body is.
func (d *Driver) externalNetworkRef(ctx context.Context, op, field, id string) (neutronNetwork, error) {
	n, err := d.neutronNetwork(ctx, id)
	if err != nil {
		return n, netRefError(op, field, "network", id, err)
	}
	if !n.External {
		return n, &core.Error{Kind: core.InvalidArgument, Op: op, Message: field + ": network " + id + " is not external"}
	}
	return n, nil
}

// netRefError classifies the failure to read a resource a request's body
// names: a missing one is InvalidArgument (not NotFound, which is for the
// id in the path).
func netRefError(op, field, what, id string, err error) error {
	err = classify(op, err)
	if core.KindOf(err) == core.NotFound {
		return &core.Error{Kind: core.InvalidArgument, Op: op, Message: field + ": " + what + " " + id + " not found", Err: err}
	}
	return err
}

// netTag puts gisiaas' tags on a new Neutron resource of collection
// resource ("floatingips", "security-groups", "routers"); none is no call.
func (d *Driver) netTag(ctx context.Context, resource, id string, tags []string) ([]string, error) {
	if len(tags) == 0 {
		return nil, nil
	}
	return attributestags.ReplaceAll(ctx, d.admin.network, resource, id, attributestags.ReplaceAllOpts{Tags: tags}).Extract()
}

// ListPorts lists ports; with a project, those it owns (its servers',
// routers' and load balancers' interfaces).
func (d *Driver) ListPorts(ctx context.Context, opts core.ListOptions) ([]core.Port, error) {
	const op = "ListPorts"
	osProj, all, none, err := d.netListScope(ctx, opts)
	if err != nil {
		return nil, core.WithOp(op, err)
	}
	out := []core.Port{}
	if none {
		return out, nil
	}
	lo := ports.ListOpts{}
	if !all {
		lo.ProjectID = osProj
	}
	var ps []neutronPort
	if err := neutronList(ctx, ports.List(d.admin.network, lo), "ports", &ps); err != nil {
		return nil, classify(op, err)
	}
	// Ports have no datacenter of their own: a port is in the datacenter
	// its network is in, which is the cloud's default for every network.
	if !netInDC(opts, d.dcOf(ctx, "", "")) {
		return out, nil
	}
	for _, p := range ps {
		out = append(out, p.core())
	}
	slices.SortFunc(out, func(a, b core.Port) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// netServerPorts are a server's ports, by id, on networks that are not
// external: where a floating or public IP, or a load balancer, reaches it.
func (d *Driver) netServerPorts(ctx context.Context, serverID string) ([]neutronPort, error) {
	var ps []neutronPort
	if err := neutronList(ctx, ports.List(d.admin.network, ports.ListOpts{DeviceID: serverID}), "ports", &ps); err != nil {
		return nil, err
	}
	var out []neutronPort
	for _, p := range ps {
		if len(p.FixedIPs) == 0 {
			continue
		}
		n, err := d.neutronNetwork(ctx, p.NetworkID)
		if err != nil || n.External {
			continue
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b neutronPort) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}
