package sim

import (
	"context"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// Floating IPs behave as Neutron's: an address taken from an external
// network, DOWN while it maps to nothing and ACTIVE once associated with a
// port. Association is synchronous, as in Neutron's API (the L3 agent's work
// is not simulated).

// netForeign reports whether two project ids name different projects. An
// empty id (a shared or seeded object) belongs to everyone.
func netForeign(a, b string) bool { return a != "" && b != "" && a != b }

// netRefreshDevice rebuilds the addresses of the server owning a port, if a
// server does. Called with d.mu held.
func (d *Driver) netRefreshDevice(deviceID string) {
	if s, ok := d.st.Servers[deviceID]; ok {
		d.refreshAddresses(s)
	}
}

// netServerUsable refuses a server that is going away or broken as the
// target of a binding. Called with d.mu held.
func netServerUsable(op string, s *core.Server) error {
	switch s.Status {
	case core.ServerSoftDeleted, core.ServerDeleted, core.ServerError:
		return conflict(op, "server %s is %s", s.ID, s.Status)
	}
	return nil
}

// fipPort checks that port portID may carry floating IP f (nil for a new
// one) of project in datacenter dc, and returns it. Called with d.mu held.
func (d *Driver) fipPort(op, dc, project, portID, fixedIP string, f *core.FloatingIP) (*core.Port, error) {
	p, ok := d.st.Ports[portID]
	if !ok || netForeign(project, d.deviceProject(p.DeviceID)) {
		return nil, invalidArg(op, "port_id: port %s not found", portID)
	}
	n, ok := d.st.Networks[p.NetworkID]
	if !ok || n.DatacenterID != dc {
		return nil, invalidArg(op, "port_id: port %s is not in datacenter %s", portID, dc)
	}
	// A floating IP is NAT towards an internal address: a port that is on
	// the external network itself, or a router's own interface, has none.
	if n.External {
		return nil, invalidArg(op, "port_id: port %s is on external network %s", portID, n.ID)
	}
	if _, ok := d.st.Routers[p.DeviceID]; ok {
		return nil, invalidArg(op, "port_id: port %s is an interface of router %s", portID, p.DeviceID)
	}
	if fixedIP != "" && fixedIP != p.FixedIP {
		return nil, invalidArg(op, "fixed_ip_address: %s is not an address of port %s", fixedIP, portID)
	}
	for _, o := range d.st.FloatingIPs {
		if o.PortID == portID && o != f {
			return nil, conflict(op, "port %s already has floating IP %s", portID, o.FloatingIP)
		}
	}
	return p, nil
}

// fipAssociate maps f to port p. Called with d.mu held.
func fipAssociate(f *core.FloatingIP, p *core.Port) {
	f.PortID, f.FixedIP, f.Status = p.ID, p.FixedIP, core.NetActive
	f.PortDetails = &core.PortDetails{Status: p.Status, Name: p.Name, NetworkID: p.NetworkID,
		DeviceID: p.DeviceID, MACAddress: p.MACAddress}
}

// fipSync refreshes the port details of f from its port, whose status may
// have changed since the association (a stopped server's port goes DOWN).
// Called with d.mu held.
func (d *Driver) fipSync(f *core.FloatingIP) *core.FloatingIP {
	if p, ok := d.st.Ports[f.PortID]; ok && f.PortDetails != nil {
		f.PortDetails.Status = p.Status
	}
	return f
}

// fipDissociate unmaps f. Called with d.mu held.
func fipDissociate(f *core.FloatingIP) {
	f.PortID, f.FixedIP, f.PortDetails, f.Status = "", "", nil, core.NetDown
}

// fipPortDevice is the device of port id, "" when there is no such port.
func (d *Driver) fipPortDevice(id string) string {
	if p, ok := d.st.Ports[id]; ok {
		return p.DeviceID
	}
	return ""
}

// CreateFloatingIP allocates an address on an external network, associated
// with a port when one is given (B.3.2.1).
func (d *Driver) CreateFloatingIP(ctx context.Context, req core.FloatingIPCreate) (core.FloatingIP, error) {
	const op = "CreateFloatingIP"
	if err := d.begin(ctx, op); err != nil {
		return core.FloatingIP{}, err
	}
	if err := req.Validate(); err != nil {
		return core.FloatingIP{}, core.WithOp(op, err)
	}
	if req.PortID != "" {
		if err := core.ValidateID("port_id", req.PortID); err != nil {
			return core.FloatingIP{}, core.WithOp(op, err)
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.resolveDC(op, &req.CreateMeta); err != nil {
		return core.FloatingIP{}, err
	}
	if id, ok := d.token(core.TypeFloatingIP, req.CreateMeta); ok {
		if f, ok := d.st.FloatingIPs[id]; ok {
			return cloneFloatingIP(f), nil
		}
	}
	dc := req.DatacenterID
	addr, subnetID, err := d.externalAddr(op, "floating_network_id", dc, req.FloatingNetworkID, req.SubnetID, req.FloatingIP)
	if err != nil {
		return core.FloatingIP{}, err
	}
	var port *core.Port
	if req.PortID != "" {
		if port, err = d.fipPort(op, dc, req.ProjectID, req.PortID, req.FixedIP, nil); err != nil {
			return core.FloatingIP{}, err
		}
	}
	f := &core.FloatingIP{Meta: d.newMeta(req.CreateMeta), ID: d.newID(), FloatingNetworkID: req.FloatingNetworkID,
		FloatingIP: addr, SubnetID: subnetID, Status: core.NetDown}
	if port != nil {
		fipAssociate(f, port)
	}
	d.st.FloatingIPs[f.ID] = f
	d.remember(core.TypeFloatingIP, req.CreateMeta, f.ID)
	d.emit(core.TypeFloatingIP, f.ID, f.Meta, "", string(f.Status), core.EventAttributes{})
	if port != nil {
		d.netRefreshDevice(port.DeviceID)
	}
	if err := d.commit(); err != nil {
		return core.FloatingIP{}, err
	}
	return cloneFloatingIP(f), nil
}

// GetFloatingIP shows a floating IP (B.3.2.4).
func (d *Driver) GetFloatingIP(ctx context.Context, id string) (core.FloatingIP, error) {
	const op = "GetFloatingIP"
	if err := d.begin(ctx, op); err != nil {
		return core.FloatingIP{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	f, err := d.floatingIP(op, id)
	if err != nil {
		return core.FloatingIP{}, err
	}
	return cloneFloatingIP(d.fipSync(f)), nil
}

// floatingIP looks up a floating IP by path id. Called with d.mu held.
func (d *Driver) floatingIP(op, id string) (*core.FloatingIP, error) {
	f, ok := d.st.FloatingIPs[id]
	if !ok {
		return nil, notFound(op, core.TypeFloatingIP, id)
	}
	if err := d.checkDC(op, f.DatacenterID); err != nil {
		return nil, err
	}
	return f, nil
}

// ListFloatingIPs lists floating IPs (B.3.2.4).
func (d *Driver) ListFloatingIPs(ctx context.Context, opts core.ListOptions) ([]core.FloatingIP, error) {
	if err := d.begin(ctx, "ListFloatingIPs"); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	out := []core.FloatingIP{}
	for _, f := range d.st.FloatingIPs {
		if matches(opts, f.Meta) {
			out = append(out, cloneFloatingIP(d.fipSync(f)))
		}
	}
	sortByCreated(out, func(f *core.FloatingIP) (time.Time, string) { return f.CreatedAt, f.ID })
	return out, nil
}

// UpdateFloatingIP associates a floating IP with a port, moves it to another
// port, or dissociates it when PortID is empty (B.3.2.3).
func (d *Driver) UpdateFloatingIP(ctx context.Context, id string, req core.FloatingIPUpdate) (core.FloatingIP, error) {
	const op = "UpdateFloatingIP"
	if err := d.begin(ctx, op); err != nil {
		return core.FloatingIP{}, err
	}
	if req.PortID != "" {
		if err := core.ValidateID("port_id", req.PortID); err != nil {
			return core.FloatingIP{}, core.WithOp(op, err)
		}
	}
	if req.FixedIP != "" {
		if req.PortID == "" {
			return core.FloatingIP{}, invalidArg(op, "fixed_ip_address: is allowed only with port_id")
		}
		if err := core.ValidateIP("fixed_ip_address", req.FixedIP); err != nil {
			return core.FloatingIP{}, core.WithOp(op, err)
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	f, err := d.floatingIP(op, id)
	if err != nil {
		return core.FloatingIP{}, err
	}
	oldDevice := d.fipPortDevice(f.PortID)
	from := f.Status
	switch {
	case req.PortID == "" && f.PortID == "":
		return cloneFloatingIP(f), nil // already dissociated: nothing changes
	case req.PortID == "":
		fipDissociate(f)
	default:
		p, err := d.fipPort(op, f.DatacenterID, f.ProjectID, req.PortID, req.FixedIP, f)
		if err != nil {
			return core.FloatingIP{}, err
		}
		if p.ID == f.PortID {
			return cloneFloatingIP(f), nil
		}
		fipAssociate(f, p)
	}
	f.UpdatedAt = d.now()
	if f.Status != from {
		d.emit(core.TypeFloatingIP, f.ID, f.Meta, string(from), string(f.Status), core.EventAttributes{})
	}
	d.netRefreshDevice(oldDevice)
	if newDevice := d.fipPortDevice(f.PortID); newDevice != oldDevice {
		d.netRefreshDevice(newDevice)
	}
	if err := d.commit(); err != nil {
		return core.FloatingIP{}, err
	}
	return cloneFloatingIP(f), nil
}

// DeleteFloatingIP releases a floating IP, dissociating it first if needed,
// as Neutron does (B.3.2.2).
func (d *Driver) DeleteFloatingIP(ctx context.Context, id string) error {
	const op = "DeleteFloatingIP"
	if err := d.begin(ctx, op); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	f, err := d.floatingIP(op, id)
	if err != nil {
		return err
	}
	device := d.fipPortDevice(f.PortID)
	from := f.Status
	f.Status, f.UpdatedAt = core.NetDeleted, d.now()
	d.emit(core.TypeFloatingIP, f.ID, f.Meta, string(from), string(core.NetDeleted), core.EventAttributes{})
	delete(d.st.FloatingIPs, id)
	d.netRefreshDevice(device)
	return d.commit()
}
