package sim

import (
	"context"
	"slices"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// Routers behave as Neutron's: a router with an external gateway holds a
// port (and so an address) on the external network; each interface is a
// port holding its subnet's gateway IP. Routers are billed, so creation and
// deletion are events; interfaces change no state and emit none.

// CreateRouter creates a router, with a gateway on an external network
// when one is named (X.3).
func (d *Driver) CreateRouter(ctx context.Context, req core.RouterCreate) (core.Router, error) {
	const op = "CreateRouter"
	if err := d.begin(ctx, op); err != nil {
		return core.Router{}, err
	}
	if err := req.Validate(); err != nil {
		return core.Router{}, core.WithOp(op, err)
	}
	if req.ExternalNetworkID != "" {
		if err := core.ValidateID("external_network_id", req.ExternalNetworkID); err != nil {
			return core.Router{}, core.WithOp(op, err)
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.resolveDC(op, &req.CreateMeta); err != nil {
		return core.Router{}, err
	}
	if id, ok := d.token(core.TypeRouter, req.CreateMeta); ok {
		if r, ok := d.st.Routers[id]; ok {
			return cloneRouter(r), nil
		}
	}
	id := d.newID()
	if req.ExternalNetworkID != "" {
		n, err := d.network(op, "external_network_id", req.DatacenterID, req.ExternalNetworkID)
		if err != nil {
			return core.Router{}, err
		}
		if !n.External {
			return core.Router{}, invalidArg(op, "external_network_id: network %s is not external", n.ID)
		}
		if _, err := d.createPort(op, "external_network_id", n, "", "", id, ""); err != nil {
			return core.Router{}, err
		}
	}
	r := &core.Router{Meta: d.newMeta(req.CreateMeta), ID: id, Name: req.Name, ExternalNetworkID: req.ExternalNetworkID,
		Status: core.NetActive, Interfaces: []core.RouterInterface{}}
	d.st.Routers[id] = r
	d.remember(core.TypeRouter, req.CreateMeta, id)
	d.emit(core.TypeRouter, id, r.Meta, "", string(r.Status), core.EventAttributes{Name: r.Name})
	if err := d.commit(); err != nil {
		return core.Router{}, err
	}
	return cloneRouter(r), nil
}

// router looks up a router by path id. Called with d.mu held.
func (d *Driver) router(op, id string) (*core.Router, error) {
	r, ok := d.st.Routers[id]
	if !ok {
		return nil, notFound(op, core.TypeRouter, id)
	}
	if err := d.checkDC(op, r.DatacenterID); err != nil {
		return nil, err
	}
	return r, nil
}

// GetRouter shows a router with its interfaces (X.3).
func (d *Driver) GetRouter(ctx context.Context, id string) (core.Router, error) {
	const op = "GetRouter"
	if err := d.begin(ctx, op); err != nil {
		return core.Router{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	r, err := d.router(op, id)
	if err != nil {
		return core.Router{}, err
	}
	return cloneRouter(r), nil
}

// ListRouters lists routers (X.3).
func (d *Driver) ListRouters(ctx context.Context, opts core.ListOptions) ([]core.Router, error) {
	if err := d.begin(ctx, "ListRouters"); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	out := []core.Router{}
	for _, r := range d.st.Routers {
		if matches(opts, r.Meta) {
			out = append(out, cloneRouter(r))
		}
	}
	sortByCreated(out, func(r *core.Router) (time.Time, string) { return r.CreatedAt, r.ID })
	return out, nil
}

// DeleteRouter deletes a router that has no interface left (X.3); its
// external gateway goes with it.
func (d *Driver) DeleteRouter(ctx context.Context, id string) error {
	const op = "DeleteRouter"
	if err := d.begin(ctx, op); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	r, err := d.router(op, id)
	if err != nil {
		return err
	}
	if len(r.Interfaces) > 0 {
		return conflict(op, "router %s still has %d interface(s); remove them first", r.ID, len(r.Interfaces))
	}
	for _, p := range d.serverPorts(r.ID) {
		delete(d.st.Ports, p.ID) // the external gateway
	}
	from := r.Status
	r.Status, r.UpdatedAt = core.NetDeleted, d.now()
	d.emit(core.TypeRouter, id, r.Meta, string(from), string(core.NetDeleted), core.EventAttributes{Name: r.Name})
	delete(d.st.Routers, id)
	return d.commit()
}

// AddRouterInterface connects a private subnet to the router through a port
// holding the subnet's gateway IP (X.3).
func (d *Driver) AddRouterInterface(ctx context.Context, id, subnetID string) (core.Router, error) {
	const op = "AddRouterInterface"
	if err := d.begin(ctx, op); err != nil {
		return core.Router{}, err
	}
	if err := core.ValidateID("subnet_id", subnetID); err != nil {
		return core.Router{}, core.WithOp(op, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	r, err := d.router(op, id)
	if err != nil {
		return core.Router{}, err
	}
	n, sub := d.subnetByID(subnetID)
	if n == nil || (!n.Shared && netForeign(r.ProjectID, n.ProjectID)) {
		return core.Router{}, invalidArg(op, "subnet_id: subnet %s not found", subnetID)
	}
	if n.DatacenterID != r.DatacenterID {
		return core.Router{}, invalidArg(op, "subnet_id: subnet %s is in datacenter %s, router %s in %s",
			subnetID, n.DatacenterID, r.ID, r.DatacenterID)
	}
	if n.External {
		return core.Router{}, invalidArg(op, "subnet_id: subnet %s is on external network %s; set it as the gateway instead", subnetID, n.ID)
	}
	if sub.GatewayIP == "" {
		return core.Router{}, invalidArg(op, "subnet_id: subnet %s has no gateway IP", subnetID)
	}
	if slices.ContainsFunc(r.Interfaces, func(i core.RouterInterface) bool { return i.SubnetID == subnetID }) {
		return core.Router{}, conflict(op, "subnet %s is already an interface of router %s", subnetID, r.ID)
	}
	for _, p := range d.st.Ports {
		if p.SubnetID == subnetID && p.FixedIP == sub.GatewayIP {
			return core.Router{}, conflict(op, "gateway IP %s of subnet %s is in use by router %s", sub.GatewayIP, subnetID, p.DeviceID)
		}
	}
	// allocAddr keeps the gateway IP out of every pool, so the port is made
	// here rather than with createPort.
	p := &core.Port{ID: d.newID(), NetworkID: n.ID, SubnetID: subnetID, DeviceID: r.ID,
		MACAddress: d.newMAC(), FixedIP: sub.GatewayIP, Status: core.NetActive}
	d.st.Ports[p.ID] = p
	r.Interfaces = append(r.Interfaces, core.RouterInterface{SubnetID: subnetID, PortID: p.ID, IPAddress: p.FixedIP})
	r.UpdatedAt = d.now()
	if err := d.commit(); err != nil {
		return core.Router{}, err
	}
	return cloneRouter(r), nil
}

// RemoveRouterInterface disconnects a subnet from the router and frees the
// interface's port (X.3).
func (d *Driver) RemoveRouterInterface(ctx context.Context, id, subnetID string) (core.Router, error) {
	const op = "RemoveRouterInterface"
	if err := d.begin(ctx, op); err != nil {
		return core.Router{}, err
	}
	if err := core.ValidateID("subnet_id", subnetID); err != nil {
		return core.Router{}, core.WithOp(op, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	r, err := d.router(op, id)
	if err != nil {
		return core.Router{}, err
	}
	i := slices.IndexFunc(r.Interfaces, func(i core.RouterInterface) bool { return i.SubnetID == subnetID })
	if i < 0 {
		return core.Router{}, invalidArg(op, "subnet_id: subnet %s is not an interface of router %s", subnetID, r.ID)
	}
	delete(d.st.Ports, r.Interfaces[i].PortID)
	r.Interfaces = slices.Delete(r.Interfaces, i, i+1)
	r.UpdatedAt = d.now()
	if err := d.commit(); err != nil {
		return core.Router{}, err
	}
	return cloneRouter(r), nil
}
