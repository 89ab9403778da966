package openstack

import (
	"context"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/external"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/layer3/floatingips"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/networks"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/ports"

	"github.com/gisiaas/gisiaas/core"
)

// A public IP (B.3.3) is a Neutron floating IP on the datacenter's external
// network (Config.ExternalNetwork, else the first router:external network)
// whose description starts with publicIPDescPrefix; the rest of the
// description is the public IP's name. The mark is in the description, not
// a tag, because Neutron (Zed) takes tags only after a create: a poll
// between the two calls would have seen a floating IP and then lost it.
// Bound means associated with a port of a server; see floatingips.go for the
// state (ACTIVE bound, DOWN unbound, whatever the L3 agent did).

var _ core.PublicIPs = (*Driver)(nil)

const publicIPDescPrefix = "gisiaas-public-ip:"

// maxPublicIPName is the longest name Neutron's 255-character description
// holds after the mark.
var maxPublicIPName = 255 - utf8.RuneCountInString(publicIPDescPrefix)

func isPublicIP(f neutronFIP) bool { return isPublicIPDescription(f.Description) }

// isPublicIPDescription says whether a Neutron floating IP with this
// description is a public IP; a server's addresses use it to tell its
// public addresses from its floating ones.
func isPublicIPDescription(desc string) bool { return strings.HasPrefix(desc, publicIPDescPrefix) }

func (d *Driver) publicIPOf(ctx context.Context, f neutronFIP) core.PublicIP {
	p := core.PublicIP{Meta: d.fipMeta(ctx, f), ID: f.ID, Name: strings.TrimPrefix(f.Description, publicIPDescPrefix),
		Address: f.FloatingIP, Status: fipState(f)}
	if f.PortID != "" {
		p.PrivateIP = f.FixedIP
		if f.PortDetails != nil && strings.HasPrefix(f.PortDetails.DeviceOwner, "compute:") {
			p.ServerID = f.PortDetails.DeviceID
		}
	}
	return p
}

// publicIP reads public IP id: NotFound when there is none, or when it is a
// plain floating IP.
func (d *Driver) publicIP(ctx context.Context, op, id string) (neutronFIP, error) {
	f, err := d.getFIP(ctx, id)
	if err != nil {
		return f, classify(op, err)
	}
	if !isPublicIP(f) {
		return f, &core.Error{Kind: core.NotFound, Op: op, Message: "public IP " + id + " not found"}
	}
	return f, nil
}

// externalNetwork is the network public IPs come from.
func (d *Driver) externalNetwork(ctx context.Context, op string) (neutronNetwork, error) {
	var ns []neutronNetwork
	yes := true
	pager := networks.List(d.admin.network, external.ListOptsExt{ListOptsBuilder: networks.ListOpts{}, External: &yes})
	if err := neutronList(ctx, pager, "networks", &ns); err != nil {
		return neutronNetwork{}, classify(op, err)
	}
	slices.SortFunc(ns, func(a, b neutronNetwork) int { return strings.Compare(a.Name, b.Name) })
	for _, n := range ns {
		if want := d.cfg.ExternalNetwork; want == "" || n.ID == want || n.Name == want {
			return n, nil
		}
	}
	msg := "the cloud has no external network"
	if d.cfg.ExternalNetwork != "" {
		msg = "external_network " + d.cfg.ExternalNetwork + " is not an external network of the cloud"
	}
	return neutronNetwork{}, &core.Error{Kind: core.InvalidArgument, Op: op, Message: msg}
}

// CreatePublicIP allocates an address from the external network (B.3.3.1).
func (d *Driver) CreatePublicIP(ctx context.Context, req core.PublicIPCreate) (core.PublicIP, error) {
	const op = "CreatePublicIP"
	if err := req.Validate(); err != nil {
		return core.PublicIP{}, core.WithOp(op, err)
	}
	if err := checkNeutronTags("CreatePublicIP", req.CreateMeta); err != nil {
		return core.PublicIP{}, err
	}
	if utf8.RuneCountInString(req.Name) > maxPublicIPName {
		return core.PublicIP{}, core.Errorf(core.InvalidArgument, "%s: name: at most %d characters on this cloud", op, maxPublicIPName)
	}
	ext, err := d.externalNetwork(ctx, op)
	if err != nil {
		return core.PublicIP{}, err
	}
	f, err := d.createFIP(ctx, op, req.CreateMeta, true, floatingips.CreateOpts{FloatingNetworkID: ext.ID,
		Description: publicIPDescPrefix + req.Name})
	if err != nil {
		return core.PublicIP{}, err
	}
	d.observe(ctx, d.fipObservation(ctx, f))
	return d.publicIPOf(ctx, f), nil
}

// GetPublicIP shows a public IP (B.3.3.4).
func (d *Driver) GetPublicIP(ctx context.Context, id string) (core.PublicIP, error) {
	f, err := d.publicIP(ctx, "GetPublicIP", id)
	if err != nil {
		return core.PublicIP{}, err
	}
	d.observe(ctx, d.fipObservation(ctx, f))
	return d.publicIPOf(ctx, f), nil
}

// ListPublicIPs lists public IPs, plain floating IPs left out (B.3.3.4).
func (d *Driver) ListPublicIPs(ctx context.Context, opts core.ListOptions) ([]core.PublicIP, error) {
	const op = "ListPublicIPs"
	fs, err := d.scopedFIPs(ctx, op, opts)
	if err != nil {
		return nil, err
	}
	out := []core.PublicIP{}
	for _, f := range fs {
		if !isPublicIP(f) {
			continue
		}
		d.observe(ctx, d.fipObservation(ctx, f))
		if p := d.publicIPOf(ctx, f); netInDC(opts, p.DatacenterID) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b core.PublicIP) int { return netByCreated(a.CreatedAt, a.ID, b.CreatedAt, b.ID) })
	return out, nil
}

// pubServer reads the server a binding names: InvalidArgument when it does
// not exist or is another project's, Conflict when it is going away.
func (d *Driver) pubServer(ctx context.Context, op, field, id, osProject string) (*servers.Server, error) {
	s, err := servers.Get(ctx, d.admin.compute, id).Extract()
	if err != nil {
		return nil, netRefError(op, field, "server", id, err)
	}
	if osProject != "" && s.TenantID != osProject {
		return nil, &core.Error{Kind: core.InvalidArgument, Op: op, Message: field + ": server " + id + " not found"}
	}
	switch serverState(s.Status, "") {
	case core.ServerError, core.ServerDeleted, core.ServerSoftDeleted:
		return nil, &core.Error{Kind: core.Conflict, Op: op, Message: "server " + id + " is " + s.Status}
	}
	return s, nil
}

// pubTarget resolves a binding to a server port and its private address.
func (d *Driver) pubTarget(ctx context.Context, op string, f neutronFIP, to core.PublicIPBinding) (neutronPort, string, error) {
	if to.ServerID != "" {
		if _, err := d.pubServer(ctx, op, "server_id", to.ServerID, f.ProjectID); err != nil {
			return neutronPort{}, "", err
		}
		ps, err := d.netServerPorts(ctx, to.ServerID)
		if err != nil {
			return neutronPort{}, "", classify(op, err)
		}
		// Its first IPv4 address on a private network: an address of the
		// external network itself needs no public IP.
		for _, p := range ps {
			for _, ip := range p.FixedIPs {
				if !strings.Contains(ip.IPAddress, ":") {
					return p, ip.IPAddress, nil
				}
			}
		}
		return neutronPort{}, "", &core.Error{Kind: core.Conflict, Op: op, Message: "server " + to.ServerID + " has no IPv4 address on a private network"}
	}
	var ps []neutronPort
	lo := ports.ListOpts{ProjectID: f.ProjectID, FixedIPs: []ports.FixedIPOpts{{IPAddress: to.PrivateIP}}}
	if err := neutronList(ctx, ports.List(d.admin.network, lo), "ports", &ps); err != nil {
		return neutronPort{}, "", classify(op, err)
	}
	for _, p := range ps {
		if !p.isServerPort() {
			continue
		}
		if n, err := d.neutronNetwork(ctx, p.NetworkID); err != nil || n.External {
			continue
		}
		if _, err := d.pubServer(ctx, op, "private_ip", p.DeviceID, f.ProjectID); err != nil {
			if core.KindOf(err) == core.InvalidArgument {
				continue
			}
			return neutronPort{}, "", err
		}
		return p, to.PrivateIP, nil
	}
	return neutronPort{}, "", &core.Error{Kind: core.InvalidArgument, Op: op, Message: "private_ip: no server port has address " + to.PrivateIP}
}

// BindPublicIP binds a public IP to a server (its first private address) or
// to a private IP of a server (B.3.3.2).
func (d *Driver) BindPublicIP(ctx context.Context, id string, to core.PublicIPBinding) (core.PublicIP, error) {
	const op = "BindPublicIP"
	if err := to.Validate(); err != nil {
		return core.PublicIP{}, core.WithOp(op, err)
	}
	if to.ServerID != "" {
		if err := core.ValidateID("server_id", to.ServerID); err != nil {
			return core.PublicIP{}, core.WithOp(op, err)
		}
	}
	f, err := d.publicIP(ctx, op, id)
	if err != nil {
		return core.PublicIP{}, err
	}
	if f.PortID != "" {
		return core.PublicIP{}, &core.Error{Kind: core.Conflict, Op: op, Message: "public IP " + id + " is bound to " + f.FixedIP + "; unbind it first"}
	}
	port, addr, err := d.pubTarget(ctx, op, f, to)
	if err != nil {
		return core.PublicIP{}, err
	}
	// Neutron refuses (409) a port address that already has a floating or
	// public IP, and (404) one no router connects to the external network.
	if f, err = d.setFIPPort(ctx, op, id, port.ID, addr); err != nil {
		return core.PublicIP{}, err
	}
	d.observe(ctx, d.fipObservation(ctx, f))
	return d.publicIPOf(ctx, f), nil
}

// UnbindPublicIP unbinds a public IP from the server or private IP it is
// bound to (B.3.3.3).
func (d *Driver) UnbindPublicIP(ctx context.Context, id string, from core.PublicIPBinding) (core.PublicIP, error) {
	const op = "UnbindPublicIP"
	if err := from.Validate(); err != nil {
		return core.PublicIP{}, core.WithOp(op, err)
	}
	f, err := d.publicIP(ctx, op, id)
	if err != nil {
		return core.PublicIP{}, err
	}
	p := d.publicIPOf(ctx, f)
	if f.PortID == "" {
		return core.PublicIP{}, &core.Error{Kind: core.Conflict, Op: op, Message: "public IP " + id + " is bound to nothing"}
	}
	if from.ServerID != "" && from.ServerID != p.ServerID {
		return core.PublicIP{}, &core.Error{Kind: core.InvalidArgument, Op: op, Message: "server_id: public IP " + id + " is not bound to server " + from.ServerID}
	}
	if from.PrivateIP != "" && from.PrivateIP != p.PrivateIP {
		return core.PublicIP{}, &core.Error{Kind: core.InvalidArgument, Op: op, Message: "private_ip: public IP " + id + " is not bound to " + from.PrivateIP}
	}
	if f, err = d.setFIPPort(ctx, op, id, "", ""); err != nil {
		return core.PublicIP{}, err
	}
	d.observe(ctx, d.fipObservation(ctx, f))
	return d.publicIPOf(ctx, f), nil
}

// DeletePublicIP releases an unbound public IP (B.3.3.5).
func (d *Driver) DeletePublicIP(ctx context.Context, id string) error {
	const op = "DeletePublicIP"
	f, err := d.publicIP(ctx, op, id)
	if err != nil {
		return err
	}
	if f.PortID != "" {
		return &core.Error{Kind: core.Conflict, Op: op, Message: "public IP " + id + " is bound to " + f.FixedIP + "; unbind it first"}
	}
	return d.deleteFIP(ctx, op, f)
}
