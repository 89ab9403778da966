package sim

import (
	"context"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// A public IP is an address of the datacenter's external network that is
// bound to a server (its first private port) or to a private IP; unbound it
// is DOWN, bound ACTIVE (B.3.3).

// CreatePublicIP allocates an address from the datacenter's external
// network (B.3.3.1).
func (d *Driver) CreatePublicIP(ctx context.Context, req core.PublicIPCreate) (core.PublicIP, error) {
	const op = "CreatePublicIP"
	if err := d.begin(ctx, op); err != nil {
		return core.PublicIP{}, err
	}
	if err := req.Validate(); err != nil {
		return core.PublicIP{}, core.WithOp(op, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.resolveDC(op, &req.CreateMeta); err != nil {
		return core.PublicIP{}, err
	}
	if id, ok := d.token(core.TypePublicIP, req.CreateMeta); ok {
		if p, ok := d.st.PublicIPs[id]; ok {
			return clonePublicIP(p), nil
		}
	}
	dc := req.DatacenterID
	ext := d.externalNetwork(dc)
	if ext == nil {
		return core.PublicIP{}, invalidArg(op, "datacenter_id: datacenter %s has no external network", dc)
	}
	addr, _, err := d.externalAddr(op, "datacenter_id", dc, ext.ID, "", "")
	if err != nil {
		return core.PublicIP{}, err
	}
	p := &core.PublicIP{Meta: d.newMeta(req.CreateMeta), ID: d.newID(), Name: req.Name, Address: addr, Status: core.NetDown}
	d.st.PublicIPs[p.ID] = p
	d.remember(core.TypePublicIP, req.CreateMeta, p.ID)
	d.emit(core.TypePublicIP, p.ID, p.Meta, "", string(p.Status), core.EventAttributes{Name: p.Name})
	if err := d.commit(); err != nil {
		return core.PublicIP{}, err
	}
	return clonePublicIP(p), nil
}

// publicIP looks up a public IP by path id. Called with d.mu held.
func (d *Driver) publicIP(op, id string) (*core.PublicIP, error) {
	p, ok := d.st.PublicIPs[id]
	if !ok {
		return nil, notFound(op, core.TypePublicIP, id)
	}
	if err := d.checkDC(op, p.DatacenterID); err != nil {
		return nil, err
	}
	return p, nil
}

// GetPublicIP shows a public IP (B.3.3.4).
func (d *Driver) GetPublicIP(ctx context.Context, id string) (core.PublicIP, error) {
	const op = "GetPublicIP"
	if err := d.begin(ctx, op); err != nil {
		return core.PublicIP{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	p, err := d.publicIP(op, id)
	if err != nil {
		return core.PublicIP{}, err
	}
	return clonePublicIP(p), nil
}

// ListPublicIPs lists public IPs (B.3.3.4).
func (d *Driver) ListPublicIPs(ctx context.Context, opts core.ListOptions) ([]core.PublicIP, error) {
	if err := d.begin(ctx, "ListPublicIPs"); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	out := []core.PublicIP{}
	for _, p := range d.st.PublicIPs {
		if matches(opts, p.Meta) {
			out = append(out, clonePublicIP(p))
		}
	}
	sortByCreated(out, func(p *core.PublicIP) (time.Time, string) { return p.CreatedAt, p.ID })
	return out, nil
}

// pubTarget resolves what a binding names to a server and a private
// address of it in datacenter dc. Called with d.mu held.
func (d *Driver) pubTarget(op string, p *core.PublicIP, to core.PublicIPBinding) (*core.Server, string, error) {
	if to.ServerID != "" {
		s, ok := d.st.Servers[to.ServerID]
		if !ok || netForeign(p.ProjectID, s.ProjectID) {
			return nil, "", invalidArg(op, "server_id: server %s not found", to.ServerID)
		}
		if s.DatacenterID != p.DatacenterID {
			return nil, "", invalidArg(op, "server_id: server %s is in datacenter %s, public IP %s in %s",
				s.ID, s.DatacenterID, p.ID, p.DatacenterID)
		}
		if err := netServerUsable(op, s); err != nil {
			return nil, "", err
		}
		// The first port on a private network: an address of the
		// external network itself needs no public IP.
		for _, port := range d.serverPorts(s.ID) {
			if n, ok := d.st.Networks[port.NetworkID]; ok && !n.External {
				return s, port.FixedIP, nil
			}
		}
		return nil, "", conflict(op, "server %s has no port on a private network", s.ID)
	}
	for _, port := range d.st.Ports {
		if port.FixedIP != to.PrivateIP {
			continue
		}
		n, ok := d.st.Networks[port.NetworkID]
		if !ok || n.DatacenterID != p.DatacenterID || n.External {
			continue
		}
		s, ok := d.st.Servers[port.DeviceID]
		if !ok || netForeign(p.ProjectID, s.ProjectID) {
			continue
		}
		if err := netServerUsable(op, s); err != nil {
			return nil, "", err
		}
		return s, port.FixedIP, nil
	}
	return nil, "", invalidArg(op, "private_ip: no server port has address %s in datacenter %s", to.PrivateIP, p.DatacenterID)
}

// BindPublicIP binds a public IP to a server or to a private IP (B.3.3.2).
func (d *Driver) BindPublicIP(ctx context.Context, id string, to core.PublicIPBinding) (core.PublicIP, error) {
	const op = "BindPublicIP"
	if err := d.begin(ctx, op); err != nil {
		return core.PublicIP{}, err
	}
	if err := to.Validate(); err != nil {
		return core.PublicIP{}, core.WithOp(op, err)
	}
	if to.ServerID != "" {
		if err := core.ValidateID("server_id", to.ServerID); err != nil {
			return core.PublicIP{}, core.WithOp(op, err)
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	p, err := d.publicIP(op, id)
	if err != nil {
		return core.PublicIP{}, err
	}
	if p.ServerID != "" || p.PrivateIP != "" {
		return core.PublicIP{}, conflict(op, "public IP %s is ACTIVE, bound to %s of server %s", p.ID, p.PrivateIP, p.ServerID)
	}
	s, private, err := d.pubTarget(op, p, to)
	if err != nil {
		return core.PublicIP{}, err
	}
	for _, o := range d.st.PublicIPs {
		if o != p && o.PrivateIP == private && o.DatacenterID == p.DatacenterID {
			return core.PublicIP{}, conflict(op, "private IP %s already has public IP %s", private, o.Address)
		}
	}
	from := p.Status
	p.ServerID, p.PrivateIP, p.Status, p.UpdatedAt = s.ID, private, core.NetActive, d.now()
	d.emit(core.TypePublicIP, p.ID, p.Meta, string(from), string(p.Status), core.EventAttributes{Name: p.Name, ServerID: s.ID})
	d.refreshAddresses(s)
	if err := d.commit(); err != nil {
		return core.PublicIP{}, err
	}
	return clonePublicIP(p), nil
}

// UnbindPublicIP unbinds a public IP from the server or private IP it is
// bound to (B.3.3.3).
func (d *Driver) UnbindPublicIP(ctx context.Context, id string, from core.PublicIPBinding) (core.PublicIP, error) {
	const op = "UnbindPublicIP"
	if err := d.begin(ctx, op); err != nil {
		return core.PublicIP{}, err
	}
	if err := from.Validate(); err != nil {
		return core.PublicIP{}, core.WithOp(op, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	p, err := d.publicIP(op, id)
	if err != nil {
		return core.PublicIP{}, err
	}
	if p.ServerID == "" && p.PrivateIP == "" {
		return core.PublicIP{}, conflict(op, "public IP %s is %s, bound to nothing", p.ID, p.Status)
	}
	if from.ServerID != "" && from.ServerID != p.ServerID {
		return core.PublicIP{}, invalidArg(op, "server_id: public IP %s is not bound to server %s", p.ID, from.ServerID)
	}
	if from.PrivateIP != "" && from.PrivateIP != p.PrivateIP {
		return core.PublicIP{}, invalidArg(op, "private_ip: public IP %s is not bound to %s", p.ID, from.PrivateIP)
	}
	server := p.ServerID
	was := p.Status
	p.ServerID, p.PrivateIP, p.Status, p.UpdatedAt = "", "", core.NetDown, d.now()
	d.emit(core.TypePublicIP, p.ID, p.Meta, string(was), string(p.Status), core.EventAttributes{Name: p.Name})
	if s, ok := d.st.Servers[server]; ok {
		d.refreshAddresses(s)
	}
	if err := d.commit(); err != nil {
		return core.PublicIP{}, err
	}
	return clonePublicIP(p), nil
}

// DeletePublicIP releases an unbound public IP (B.3.3.5).
func (d *Driver) DeletePublicIP(ctx context.Context, id string) error {
	const op = "DeletePublicIP"
	if err := d.begin(ctx, op); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	p, err := d.publicIP(op, id)
	if err != nil {
		return err
	}
	if p.ServerID != "" || p.PrivateIP != "" {
		return conflict(op, "public IP %s is %s, bound to %s; unbind it first", p.ID, p.Status, p.PrivateIP)
	}
	from := p.Status
	p.Status, p.UpdatedAt = core.NetDeleted, d.now()
	d.emit(core.TypePublicIP, p.ID, p.Meta, string(from), string(core.NetDeleted), core.EventAttributes{Name: p.Name})
	delete(d.st.PublicIPs, id)
	return d.commit()
}
