package openstack

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/layer3/floatingips"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/subnets"

	"github.com/gisiaas/gisiaas/core"
)

// Floating IPs (B.3.2) are Neutron's. Public IPs (B.3.3, publicips.go) are
// Neutron floating IPs too, told apart by their description (see
// publicIPDescPrefix): each answer of this file leaves them out, and a public
// IP's id is not found here, as a floating IP's is not found there.
//
// State. Neutron's status of a floating IP says whether an L3 agent has
// wired the NAT: DOWN until it has, and for ever on a cloud without L3
// agents (such as the CI cloud), even when associated. The standard's status
// is the association's: DOWN while the address maps to no port, ACTIVE once
// it maps to one (as the simulator and Neutron with working agents answer).
// So the driver reports ACTIVE when port_id is set and DOWN when it is not,
// keeps Neutron's own value in NativeStatus, and passes Neutron's ERROR
// through: the binding is what "bound" means to a gisiaas user and to
// billing, which rates a floating IP alike in both states.

var _ core.FloatingIPs = (*Driver)(nil)

// neutronFIP is a Neutron floating IP with the fields gophercloud's struct
// lacks (port_details of the fip-port-details extension).
type neutronFIP struct {
	ID                string          `json:"id"`
	Description       string          `json:"description"`
	FloatingNetworkID string          `json:"floating_network_id"`
	FloatingIP        string          `json:"floating_ip_address"`
	PortID            string          `json:"port_id"`
	FixedIP           string          `json:"fixed_ip_address"`
	ProjectID         string          `json:"project_id"`
	Status            string          `json:"status"`
	Tags              []string        `json:"tags"`
	PortDetails       *fipPortDetails `json:"port_details"`
	CreatedAt         neutronTime     `json:"created_at"`
	UpdatedAt         neutronTime     `json:"updated_at"`
}

type fipPortDetails struct {
	Name        string `json:"name"`
	NetworkID   string `json:"network_id"`
	MACAddress  string `json:"mac_address"`
	Status      string `json:"status"`
	DeviceID    string `json:"device_id"`
	DeviceOwner string `json:"device_owner"`
}

// fipState is the normalized state of a floating or public IP: its
// association (see the file's comment), or Neutron's ERROR or unknown state.
func fipState(f neutronFIP) core.NetStatus {
	switch s := netState(f.Status); {
	case s == core.NetError || s == core.NetUnknown:
		return s
	case f.PortID != "":
		return core.NetActive
	default:
		return core.NetDown
	}
}

func (d *Driver) getFIP(ctx context.Context, id string) (neutronFIP, error) {
	var f neutronFIP
	err := floatingips.Get(ctx, d.admin.network, id).ExtractInto(&f)
	return f, err
}

func (d *Driver) listFIPs(ctx context.Context, lo floatingips.ListOpts) ([]neutronFIP, error) {
	var fs []neutronFIP
	err := neutronList(ctx, floatingips.List(d.admin.network, lo), "floatingips", &fs)
	return fs, err
}

// fipMeta is the gisiaas metadata of a floating or public IP.
func (d *Driver) fipMeta(ctx context.Context, f neutronFIP) core.Meta {
	tags, dc := metaFromTags(f.Tags)
	return core.Meta{ProjectID: d.projects.gisProject(ctx, f.ProjectID), DatacenterID: d.dcOf(ctx, dc, ""), Tags: tags,
		CreatedAt: f.CreatedAt.utc(), UpdatedAt: netChanged(f.CreatedAt, f.UpdatedAt)}
}

// floatingIPOf is the standard's view of a floating IP. subs caches the
// subnets of floating networks between the calls of one list (nil: none).
func (d *Driver) floatingIPOf(ctx context.Context, f neutronFIP, subs map[string][]neutronSubnet) core.FloatingIP {
	out := core.FloatingIP{Meta: d.fipMeta(ctx, f), ID: f.ID, FloatingNetworkID: f.FloatingNetworkID, FloatingIP: f.FloatingIP,
		SubnetID: d.fipSubnet(ctx, subs, f), PortID: f.PortID, FixedIP: f.FixedIP, Status: fipState(f), NativeStatus: f.Status}
	if f.PortID != "" && f.PortDetails != nil {
		p := f.PortDetails
		out.PortDetails = &core.PortDetails{Status: netState(p.Status), Name: p.Name, NetworkID: p.NetworkID,
			DeviceID: p.DeviceID, MACAddress: p.MACAddress}
	}
	return out
}

// fipSubnet is the subnet of its network a floating IP's address is in:
// Neutron's answer does not say. "" when the subnets cannot be read.
func (d *Driver) fipSubnet(ctx context.Context, cache map[string][]neutronSubnet, f neutronFIP) string {
	subs, ok := cache[f.FloatingNetworkID]
	if !ok {
		if err := neutronList(ctx, subnets.List(d.admin.network, subnets.ListOpts{NetworkID: f.FloatingNetworkID}), "subnets", &subs); err != nil {
			return ""
		}
		if cache != nil {
			cache[f.FloatingNetworkID] = subs
		}
	}
	a, err := netip.ParseAddr(f.FloatingIP)
	if err != nil {
		return ""
	}
	for _, s := range subs {
		if p, err := netip.ParsePrefix(s.CIDR); err == nil && p.Contains(a) {
			return s.ID
		}
	}
	return ""
}

// fipObservation is what observe learns from a floating or public IP.
func (d *Driver) fipObservation(ctx context.Context, f neutronFIP) observation {
	o := observation{Type: core.TypeFloatingIP, ID: f.ID, OSProject: f.ProjectID, DatacenterID: d.fipMeta(ctx, f).DatacenterID,
		State: string(fipState(f)), Time: netChanged(f.CreatedAt, f.UpdatedAt)}
	if isPublicIP(f) {
		p := d.publicIPOf(ctx, f)
		o.Type, o.Attrs = core.TypePublicIP, core.EventAttributes{Name: p.Name, ServerID: p.ServerID}
	}
	return o
}

// floatingIP reads floating IP id for operation op: NotFound when there is
// none, or when it is a public IP.
func (d *Driver) floatingIP(ctx context.Context, op, id string) (neutronFIP, error) {
	f, err := d.getFIP(ctx, id)
	if err != nil {
		return f, classify(op, err)
	}
	if isPublicIP(f) {
		return f, &core.Error{Kind: core.NotFound, Op: op, Message: "floating IP " + id + " not found"}
	}
	return f, nil
}

// createFIP allocates a floating IP (a public one when public) in the
// request's project and tags it, or returns the one an earlier create with
// the same client token made.
func (d *Driver) createFIP(ctx context.Context, op string, m core.CreateMeta, public bool, opts floatingips.CreateOpts) (neutronFIP, error) {
	osProj, err := d.projects.ensure(ctx, m.ProjectID)
	if err != nil {
		return neutronFIP{}, core.WithOp(op, err)
	}
	tok := tokenTag(osProj, m.ClientToken)
	// Held from the lookup to the tags, so that two concurrent retries in
	// this process cannot both miss the lookup and create twice.
	defer tokenLocks.lock(tok)()
	if tok != "" {
		fs, err := d.listFIPs(ctx, floatingips.ListOpts{ProjectID: osProj, Tags: tok})
		if err != nil {
			return neutronFIP{}, classify(op, err)
		}
		for _, f := range fs {
			if isPublicIP(f) == public {
				return f, nil
			}
		}
	}
	opts.ProjectID = osProj
	var f neutronFIP
	if err := floatingips.Create(ctx, d.admin.network, opts).ExtractInto(&f); err != nil {
		err = classify(op, err)
		if core.KindOf(err) == core.NotFound {
			// Only references in the body can be missing here: the port,
			// the subnet, or a route from the port to the network.
			err = &core.Error{Kind: core.InvalidArgument, Op: op, Message: core.MessageOf(err), Err: err}
		}
		return neutronFIP{}, err
	}
	tags, err := d.netTag(ctx, "floatingips", f.ID, createTags(m, osProj))
	if err != nil {
		// Untagged, a retry could not find it: give it back.
		_ = floatingips.Delete(ctx, d.admin.network, f.ID).ExtractErr()
		return neutronFIP{}, classify(op, err)
	}
	f.Tags = tags
	return f, nil
}

// CreateFloatingIP allocates an address on an external network, associated
// with a port when one is given (B.3.2.1).
func (d *Driver) CreateFloatingIP(ctx context.Context, req core.FloatingIPCreate) (core.FloatingIP, error) {
	const op = "CreateFloatingIP"
	if err := req.Validate(); err != nil {
		return core.FloatingIP{}, core.WithOp(op, err)
	}
	if err := checkNeutronTags("CreateFloatingIP", req.CreateMeta); err != nil {
		return core.FloatingIP{}, err
	}
	for field, id := range map[string]string{"port_id": req.PortID, "subnet_id": req.SubnetID} {
		if id != "" {
			if err := core.ValidateID(field, id); err != nil {
				return core.FloatingIP{}, core.WithOp(op, err)
			}
		}
	}
	if _, err := d.externalNetworkRef(ctx, op, "floating_network_id", req.FloatingNetworkID); err != nil {
		return core.FloatingIP{}, err
	}
	f, err := d.createFIP(ctx, op, req.CreateMeta, false, floatingips.CreateOpts{FloatingNetworkID: req.FloatingNetworkID,
		FloatingIP: req.FloatingIP, SubnetID: req.SubnetID, PortID: req.PortID, FixedIP: req.FixedIP})
	if err != nil {
		return core.FloatingIP{}, err
	}
	if f.PortID != "" && f.PortDetails == nil {
		if g, err := d.getFIP(ctx, f.ID); err == nil {
			f = g
		}
	}
	d.observe(ctx, d.fipObservation(ctx, f))
	return d.floatingIPOf(ctx, f, nil), nil
}

// GetFloatingIP shows a floating IP with its port's details (B.3.2.4).
func (d *Driver) GetFloatingIP(ctx context.Context, id string) (core.FloatingIP, error) {
	f, err := d.floatingIP(ctx, "GetFloatingIP", id)
	if err != nil {
		return core.FloatingIP{}, err
	}
	d.observe(ctx, d.fipObservation(ctx, f))
	return d.floatingIPOf(ctx, f, nil), nil
}

// ListFloatingIPs lists floating IPs, public IPs left out (B.3.2.4).
func (d *Driver) ListFloatingIPs(ctx context.Context, opts core.ListOptions) ([]core.FloatingIP, error) {
	const op = "ListFloatingIPs"
	fs, err := d.scopedFIPs(ctx, op, opts)
	if err != nil {
		return nil, err
	}
	out := []core.FloatingIP{}
	subs := map[string][]neutronSubnet{}
	for _, f := range fs {
		if isPublicIP(f) {
			continue
		}
		d.observe(ctx, d.fipObservation(ctx, f))
		if c := d.floatingIPOf(ctx, f, subs); netInDC(opts, c.DatacenterID) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b core.FloatingIP) int { return netByCreated(a.CreatedAt, a.ID, b.CreatedAt, b.ID) })
	return out, nil
}

// scopedFIPs lists the Neutron floating IPs of a list's project (all of
// them without one).
func (d *Driver) scopedFIPs(ctx context.Context, op string, opts core.ListOptions) ([]neutronFIP, error) {
	osProj, all, none, err := d.netListScope(ctx, opts)
	if err != nil {
		return nil, core.WithOp(op, err)
	}
	if none {
		return nil, nil
	}
	lo := floatingips.ListOpts{}
	if !all {
		lo.ProjectID = osProj
	}
	fs, err := d.listFIPs(ctx, lo)
	if err != nil {
		return nil, classify(op, err)
	}
	return fs, nil
}

// netByCreated orders resources by creation time, then id.
func netByCreated(at time.Time, id string, bt time.Time, bid string) int {
	if c := at.Compare(bt); c != 0 {
		return c
	}
	return strings.Compare(id, bid)
}

// UpdateFloatingIP associates a floating IP with a port, moves it to
// another, or dissociates it when PortID is empty (B.3.2.3).
func (d *Driver) UpdateFloatingIP(ctx context.Context, id string, req core.FloatingIPUpdate) (core.FloatingIP, error) {
	const op = "UpdateFloatingIP"
	if req.PortID != "" {
		if err := core.ValidateID("port_id", req.PortID); err != nil {
			return core.FloatingIP{}, core.WithOp(op, err)
		}
	}
	if req.FixedIP != "" {
		if req.PortID == "" {
			return core.FloatingIP{}, core.Errorf(core.InvalidArgument, "%s: fixed_ip_address: is allowed only with port_id", op)
		}
		if err := core.ValidateIP("fixed_ip_address", req.FixedIP); err != nil {
			return core.FloatingIP{}, core.WithOp(op, err)
		}
	}
	f, err := d.floatingIP(ctx, op, id)
	if err != nil {
		return core.FloatingIP{}, err
	}
	if req.PortID == f.PortID && (req.FixedIP == "" || req.FixedIP == f.FixedIP) {
		return d.floatingIPOf(ctx, f, nil), nil // already so: nothing changes
	}
	if f, err = d.setFIPPort(ctx, op, id, req.PortID, req.FixedIP); err != nil {
		return core.FloatingIP{}, err
	}
	d.observe(ctx, d.fipObservation(ctx, f))
	return d.floatingIPOf(ctx, f, nil), nil
}

// setFIPPort maps floating IP id to port (dissociates it when port is "")
// and returns it with its port's details. The floating IP is known to
// exist, so a 404 is about the port (or the route to it): InvalidArgument.
func (d *Driver) setFIPPort(ctx context.Context, op, id, port, fixedIP string) (neutronFIP, error) {
	var f neutronFIP
	err := floatingips.Update(ctx, d.admin.network, id, floatingips.UpdateOpts{PortID: &port, FixedIP: fixedIP}).ExtractInto(&f)
	if err != nil {
		if gophercloud.ResponseCodeIs(err, 404) {
			return neutronFIP{}, &core.Error{Kind: core.InvalidArgument, Op: op, Message: "port_id: " + core.MessageOf(classify(op, err)), Err: err}
		}
		return neutronFIP{}, classify(op, err)
	}
	if f.PortID != "" && f.PortDetails == nil {
		if g, err := d.getFIP(ctx, id); err == nil {
			f = g
		}
	}
	return f, nil
}

// DeleteFloatingIP releases a floating IP, dissociating it first if needed,
// as Neutron does (B.3.2.2).
func (d *Driver) DeleteFloatingIP(ctx context.Context, id string) error {
	const op = "DeleteFloatingIP"
	f, err := d.floatingIP(ctx, op, id)
	if err != nil {
		return err
	}
	return d.deleteFIP(ctx, op, f)
}

// deleteFIP deletes a floating or public IP and records its end.
func (d *Driver) deleteFIP(ctx context.Context, op string, f neutronFIP) error {
	if err := floatingips.Delete(ctx, d.admin.network, f.ID).ExtractErr(); err != nil {
		return classify(op, err)
	}
	o := d.fipObservation(ctx, f)
	o.State, o.Time = string(core.NetDeleted), time.Now().UTC()
	d.observe(ctx, o)
	return nil
}

// pollFloatingIPs lists every floating IP for the event source. Public IPs
// are in the same Neutron list: they are observed and swept here, under
// their own type, so the poll loop's sweep of floating IPs never ends one.
func (d *Driver) pollFloatingIPs(ctx context.Context, since time.Time) ([]observation, bool, error) {
	started := time.Now().UTC()
	fs, err := d.listFIPs(ctx, floatingips.ListOpts{})
	if err != nil {
		return nil, false, classify("PollFloatingIPs", err)
	}
	var obs []observation
	public := map[string]bool{}
	for _, f := range fs {
		o := d.fipObservation(ctx, f)
		if o.Type == core.TypePublicIP {
			public[f.ID] = true
			d.observe(ctx, o)
			continue
		}
		obs = append(obs, o)
	}
	d.events.sweep(core.TypePublicIP, public, started, time.Now().UTC())
	return obs, true, nil
}
