package openstack

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/layer3/routers"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/ports"

	"github.com/gisiaas/gisiaas/core"
)

// Routers (X.3) are Neutron's. A router's state is Neutron's status; its
// interfaces are its ports owned as router interfaces, one per fixed IP.
// Creation and deletion are events (routers are billed); interfaces change
// no state and emit none, as in the simulator.
//
// An interface takes its subnet's gateway IP, as Neutron's add-by-subnet
// does. When another router (or anything else) holds that address already,
// which Neutron refuses, the interface is a new port on the subnet with an
// address of Neutron's choosing instead: a subnet may reach several routers,
// and the interface's ip_address says which address this one has.

var _ core.Routers = (*Driver)(nil)

type neutronRouter struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Status      string `json:"status"`
	ProjectID   string `json:"project_id"`
	GatewayInfo *struct {
		NetworkID string `json:"network_id"`
	} `json:"external_gateway_info"`
	Tags      []string    `json:"tags"`
	AZs       []string    `json:"availability_zones"`
	CreatedAt neutronTime `json:"created_at"`
	UpdatedAt neutronTime `json:"updated_at"`
}

// routerInterfaceOwners are the device owners of a router's interfaces
// (legacy, distributed and HA routers).
var routerInterfaceOwners = []string{"network:router_interface", "network:router_interface_distributed",
	"network:ha_router_replicated_interface"}

func (d *Driver) routerOf(ctx context.Context, r neutronRouter, ifaces []neutronPort) core.Router {
	tags, dc := metaFromTags(r.Tags)
	az := ""
	if len(r.AZs) > 0 {
		az = r.AZs[0]
	}
	out := core.Router{
		Meta: core.Meta{ProjectID: d.projects.gisProject(ctx, r.ProjectID), DatacenterID: d.dcOf(ctx, dc, az), Tags: tags,
			CreatedAt: r.CreatedAt.utc(), UpdatedAt: netChanged(r.CreatedAt, r.UpdatedAt)},
		ID: r.ID, Name: r.Name, Status: netState(r.Status), NativeStatus: r.Status, Interfaces: []core.RouterInterface{},
	}
	if r.GatewayInfo != nil {
		out.ExternalNetworkID = r.GatewayInfo.NetworkID
	}
	for _, p := range ifaces {
		for _, ip := range p.FixedIPs {
			out.Interfaces = append(out.Interfaces, core.RouterInterface{SubnetID: ip.SubnetID, PortID: p.ID, IPAddress: ip.IPAddress})
		}
	}
	slices.SortFunc(out.Interfaces, func(a, b core.RouterInterface) int { return strings.Compare(a.SubnetID, b.SubnetID) })
	return out
}

func (d *Driver) routerObservation(r core.Router, osProject string, at time.Time) observation {
	return observation{Type: core.TypeRouter, ID: r.ID, OSProject: osProject, ProjectID: r.ProjectID, DatacenterID: r.DatacenterID,
		State: string(r.Status), Attrs: core.EventAttributes{Name: r.Name}, Time: at}
}

// routerInterfaces are the interface ports of router id ("" for every router's).
func (d *Driver) routerInterfaces(ctx context.Context, id string) ([]neutronPort, error) {
	var out []neutronPort
	for _, owner := range routerInterfaceOwners {
		var ps []neutronPort
		if err := neutronList(ctx, ports.List(d.admin.network, ports.ListOpts{DeviceID: id, DeviceOwner: owner}), "ports", &ps); err != nil {
			return nil, err
		}
		out = append(out, ps...)
	}
	return out, nil
}

// router reads router id with its interfaces; errors are classified.
func (d *Driver) router(ctx context.Context, op, id string) (neutronRouter, core.Router, error) {
	var body struct {
		Router neutronRouter `json:"router"`
	}
	if err := routers.Get(ctx, d.admin.network, id).ExtractInto(&body); err != nil {
		return neutronRouter{}, core.Router{}, classify(op, err)
	}
	ifaces, err := d.routerInterfaces(ctx, id)
	if err != nil {
		return neutronRouter{}, core.Router{}, classify(op, err)
	}
	return body.Router, d.routerOf(ctx, body.Router, ifaces), nil
}

func (d *Driver) listRouters(ctx context.Context, lo routers.ListOpts) ([]neutronRouter, error) {
	var rs []neutronRouter
	err := neutronList(ctx, routers.List(d.admin.network, lo), "routers", &rs)
	return rs, err
}

// CreateRouter creates a router, with its gateway on an external network
// when one is named (X.3).
func (d *Driver) CreateRouter(ctx context.Context, req core.RouterCreate) (core.Router, error) {
	const op = "CreateRouter"
	if err := req.Validate(); err != nil {
		return core.Router{}, core.WithOp(op, err)
	}
	if err := checkNeutronTags("CreateRouter", req.CreateMeta); err != nil {
		return core.Router{}, err
	}
	if req.ExternalNetworkID != "" {
		if err := core.ValidateID("external_network_id", req.ExternalNetworkID); err != nil {
			return core.Router{}, core.WithOp(op, err)
		}
		if _, err := d.externalNetworkRef(ctx, op, "external_network_id", req.ExternalNetworkID); err != nil {
			return core.Router{}, err
		}
	}
	osProj, err := d.projects.ensure(ctx, req.ProjectID)
	if err != nil {
		return core.Router{}, core.WithOp(op, err)
	}
	tok := tokenTag(osProj, req.ClientToken)
	defer tokenLocks.lock(tok)() // from the lookup to the tags: one create per token
	if tok != "" {
		rs, err := d.listRouters(ctx, routers.ListOpts{ProjectID: osProj, Tags: tok})
		if err != nil {
			return core.Router{}, classify(op, err)
		}
		if len(rs) > 0 {
			_, r, err := d.router(ctx, op, rs[0].ID)
			return r, err
		}
	}
	opts := routers.CreateOpts{Name: req.Name, ProjectID: osProj}
	if req.ExternalNetworkID != "" {
		opts.GatewayInfo = &routers.GatewayInfo{NetworkID: req.ExternalNetworkID}
	}
	var body struct {
		Router neutronRouter `json:"router"`
	}
	if err := routers.Create(ctx, d.admin.network, opts).ExtractInto(&body); err != nil {
		return core.Router{}, classify(op, err)
	}
	r := body.Router
	if r.Tags, err = d.netTag(ctx, "routers", r.ID, createTags(req.CreateMeta, osProj)); err != nil {
		// Untagged, a retry could not find it: give it back.
		_ = routers.Delete(ctx, d.admin.network, r.ID).ExtractErr()
		return core.Router{}, classify(op, err)
	}
	out := d.routerOf(ctx, r, nil)
	d.observe(ctx, d.routerObservation(out, r.ProjectID, netChanged(r.CreatedAt, r.UpdatedAt)))
	return out, nil
}

// GetRouter shows a router with its interfaces (X.3).
func (d *Driver) GetRouter(ctx context.Context, id string) (core.Router, error) {
	n, r, err := d.router(ctx, "GetRouter", id)
	if err != nil {
		return core.Router{}, err
	}
	d.observe(ctx, d.routerObservation(r, n.ProjectID, netChanged(n.CreatedAt, n.UpdatedAt)))
	return r, nil
}

// ListRouters lists routers with their interfaces (X.3).
func (d *Driver) ListRouters(ctx context.Context, opts core.ListOptions) ([]core.Router, error) {
	const op = "ListRouters"
	osProj, all, none, err := d.netListScope(ctx, opts)
	if err != nil {
		return nil, core.WithOp(op, err)
	}
	out := []core.Router{}
	if none {
		return out, nil
	}
	lo := routers.ListOpts{}
	if !all {
		lo.ProjectID = osProj
	}
	rs, err := d.listRouters(ctx, lo)
	if err != nil {
		return nil, classify(op, err)
	}
	ifaces, err := d.routerInterfaces(ctx, "")
	if err != nil {
		return nil, classify(op, err)
	}
	byRouter := map[string][]neutronPort{}
	for _, p := range ifaces {
		byRouter[p.DeviceID] = append(byRouter[p.DeviceID], p)
	}
	for _, n := range rs {
		r := d.routerOf(ctx, n, byRouter[n.ID])
		d.observe(ctx, d.routerObservation(r, n.ProjectID, netChanged(n.CreatedAt, n.UpdatedAt)))
		if netInDC(opts, r.DatacenterID) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b core.Router) int { return netByCreated(a.CreatedAt, a.ID, b.CreatedAt, b.ID) })
	return out, nil
}

// DeleteRouter deletes a router with no interface left; its gateway goes
// with it (X.3).
func (d *Driver) DeleteRouter(ctx context.Context, id string) error {
	const op = "DeleteRouter"
	n, r, err := d.router(ctx, op, id)
	if err != nil {
		return err
	}
	if len(r.Interfaces) > 0 {
		return &core.Error{Kind: core.Conflict, Op: op, Message: "router " + id + " still has interfaces; remove them first"}
	}
	if err := routers.Delete(ctx, d.admin.network, id).ExtractErr(); err != nil {
		return classify(op, err) // 409: an interface or a floating IP appeared meanwhile
	}
	r.Status = core.NetDeleted
	d.observe(ctx, d.routerObservation(r, n.ProjectID, time.Now().UTC()))
	return nil
}

// AddRouterInterface connects a private subnet to the router (X.3).
func (d *Driver) AddRouterInterface(ctx context.Context, id, subnetID string) (core.Router, error) {
	const op = "AddRouterInterface"
	if err := core.ValidateID("subnet_id", subnetID); err != nil {
		return core.Router{}, core.WithOp(op, err)
	}
	n, r, err := d.router(ctx, op, id)
	if err != nil {
		return core.Router{}, err
	}
	sub, err := d.getSubnet(ctx, subnetID)
	if err != nil {
		return core.Router{}, netRefError(op, "subnet_id", "subnet", subnetID, err)
	}
	net, err := d.neutronNetwork(ctx, sub.NetworkID)
	if err != nil {
		return core.Router{}, classify(op, err)
	}
	switch {
	case !net.Shared && !net.External && sub.ProjectID != n.ProjectID:
		// Another project's private subnet: not the router owner's to see.
		return core.Router{}, &core.Error{Kind: core.InvalidArgument, Op: op, Message: "subnet_id: subnet " + subnetID + " not found"}
	case net.External:
		return core.Router{}, &core.Error{Kind: core.InvalidArgument, Op: op, Message: "subnet_id: subnet " + subnetID + " is on external network " + net.ID + "; make it the gateway instead"}
	case sub.GatewayIP == "":
		return core.Router{}, &core.Error{Kind: core.InvalidArgument, Op: op, Message: "subnet_id: subnet " + subnetID + " has no gateway IP"}
	case slices.ContainsFunc(r.Interfaces, func(i core.RouterInterface) bool { return i.SubnetID == subnetID }):
		return core.Router{}, &core.Error{Kind: core.Conflict, Op: op, Message: "subnet " + subnetID + " is already an interface of router " + id}
	}
	var holders []neutronPort
	lo := ports.ListOpts{NetworkID: sub.NetworkID, FixedIPs: []ports.FixedIPOpts{{IPAddress: sub.GatewayIP, SubnetID: subnetID}}}
	if err := neutronList(ctx, ports.List(d.admin.network, lo), "ports", &holders); err != nil {
		return core.Router{}, classify(op, err)
	}
	ai := routers.AddInterfaceOpts{SubnetID: subnetID}
	var made string
	if len(holders) > 0 {
		p, err := ports.Create(ctx, d.admin.network, ports.CreateOpts{Name: "gisiaas-router-" + id, NetworkID: sub.NetworkID,
			ProjectID: n.ProjectID, FixedIPs: []ports.IP{{SubnetID: subnetID}}}).Extract()
		if err != nil {
			return core.Router{}, classify(op, err)
		}
		ai, made = routers.AddInterfaceOpts{PortID: p.ID}, p.ID
	}
	if _, err := routers.AddInterface(ctx, d.admin.network, id, ai).Extract(); err != nil {
		if made != "" {
			_ = ports.Delete(ctx, d.admin.network, made).ExtractErr()
		}
		return core.Router{}, classify(op, err)
	}
	_, r, err = d.router(ctx, op, id)
	return r, err
}

// RemoveRouterInterface disconnects a subnet from the router; Neutron
// deletes the interface's port (X.3).
func (d *Driver) RemoveRouterInterface(ctx context.Context, id, subnetID string) (core.Router, error) {
	const op = "RemoveRouterInterface"
	if err := core.ValidateID("subnet_id", subnetID); err != nil {
		return core.Router{}, core.WithOp(op, err)
	}
	_, r, err := d.router(ctx, op, id)
	if err != nil {
		return core.Router{}, err
	}
	i := slices.IndexFunc(r.Interfaces, func(i core.RouterInterface) bool { return i.SubnetID == subnetID })
	if i < 0 {
		return core.Router{}, &core.Error{Kind: core.InvalidArgument, Op: op, Message: "subnet_id: subnet " + subnetID + " is not an interface of router " + id}
	}
	if _, err := routers.RemoveInterface(ctx, d.admin.network, id, routers.RemoveInterfaceOpts{PortID: r.Interfaces[i].PortID}).Extract(); err != nil {
		return core.Router{}, classify(op, err)
	}
	_, r, err = d.router(ctx, op, id)
	return r, err
}

// pollRouters lists every router for the event source.
func (d *Driver) pollRouters(ctx context.Context, since time.Time) ([]observation, bool, error) {
	rs, err := d.listRouters(ctx, routers.ListOpts{})
	if err != nil {
		return nil, false, classify("PollRouters", err)
	}
	obs := make([]observation, 0, len(rs))
	for _, n := range rs {
		r := d.routerOf(ctx, n, nil)
		obs = append(obs, d.routerObservation(r, n.ProjectID, netChanged(n.CreatedAt, n.UpdatedAt)))
	}
	return obs, true, nil
}
