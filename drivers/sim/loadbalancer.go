package sim

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// Load balancers behave as Octavia's: every change takes the provisioning
// status through PENDING_* back to ACTIVE, and while it is PENDING_* the load
// balancer is immutable (Conflict). The VIP is a port on the load balancer's
// subnet owned by the load balancer, so a floating IP can be associated with
// it as with Octavia's vip_port_id.

func init() {
	transitions["lb.create"] = func(d *Driver, id string) { d.lbSettle(id, core.LBPendingCreate) }
	transitions["lb.update"] = func(d *Driver, id string) { d.lbSettle(id, core.LBPendingUpdate) }
	transitions["lb.delete"] = func(d *Driver, id string) {
		l, ok := d.st.LoadBalancers[id]
		if !ok || l.Status != core.LBPendingDelete {
			return
		}
		d.lbFreeVIP(l)
		l.Status, l.UpdatedAt = core.LBDeleted, d.now()
		d.emit(core.TypeLoadBalancer, l.ID, l.Meta, string(core.LBPendingDelete), string(core.LBDeleted), core.EventAttributes{Name: l.Name})
		delete(d.st.LoadBalancers, id) // members and listeners go with it
	}
}

// lbSettle ends a create or update: want → ACTIVE. Called with d.mu held.
func (d *Driver) lbSettle(id string, want core.LBStatus) {
	l, ok := d.st.LoadBalancers[id]
	if !ok || l.Status != want {
		return
	}
	l.Status, l.UpdatedAt = core.LBActive, d.now()
	d.emit(core.TypeLoadBalancer, l.ID, l.Meta, string(want), string(l.Status), core.EventAttributes{Name: l.Name})
}

// lbFreeVIP frees the VIP port of l, dissociating any floating IP on it.
// Called with d.mu held.
func (d *Driver) lbFreeVIP(l *core.LoadBalancer) {
	now := d.now()
	for _, p := range d.serverPorts(l.ID) {
		for _, f := range d.st.FloatingIPs {
			if f.PortID == p.ID {
				from := f.Status
				fipDissociate(f)
				f.UpdatedAt = now
				d.emit(core.TypeFloatingIP, f.ID, f.Meta, string(from), string(f.Status), core.EventAttributes{})
			}
		}
		delete(d.st.Ports, p.ID)
	}
}

// CreateLoadBalancer creates a load balancer with its VIP on a private
// subnet; it is PENDING_CREATE until provisioned (B.3.4.1).
func (d *Driver) CreateLoadBalancer(ctx context.Context, req core.LoadBalancerCreate) (core.LoadBalancer, error) {
	const op = "CreateLoadBalancer"
	if err := d.begin(ctx, op); err != nil {
		return core.LoadBalancer{}, err
	}
	if err := req.Validate(); err != nil {
		return core.LoadBalancer{}, core.WithOp(op, err)
	}
	if req.SubnetID != "" {
		if err := core.ValidateID("subnet_id", req.SubnetID); err != nil {
			return core.LoadBalancer{}, core.WithOp(op, err)
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.resolveDC(op, &req.CreateMeta); err != nil {
		return core.LoadBalancer{}, err
	}
	if id, ok := d.token(core.TypeLoadBalancer, req.CreateMeta); ok {
		if l, ok := d.st.LoadBalancers[id]; ok {
			return cloneLoadBalancer(l), nil
		}
	}
	dc := req.DatacenterID
	var n *core.Network
	var sub *core.Subnet
	if req.SubnetID == "" {
		if n = d.defaultNetwork(dc); n == nil || len(n.Subnets) == 0 {
			return core.LoadBalancer{}, invalidArg(op, "subnet_id: datacenter %s has no private subnet; name one", dc)
		}
		sub = &n.Subnets[0]
	} else {
		n, sub = d.subnetByID(req.SubnetID)
		if n == nil || (!n.Shared && netForeign(req.ProjectID, n.ProjectID)) {
			return core.LoadBalancer{}, invalidArg(op, "subnet_id: subnet %s not found", req.SubnetID)
		}
		if n.DatacenterID != dc {
			return core.LoadBalancer{}, invalidArg(op, "subnet_id: subnet %s is in datacenter %s, not %s", sub.ID, n.DatacenterID, dc)
		}
		if n.External {
			return core.LoadBalancer{}, invalidArg(op, "subnet_id: subnet %s is on external network %s", sub.ID, n.ID)
		}
	}
	id := d.newID()
	vip, err := d.createPort(op, "subnet_id", n, sub.ID, "", id, "octavia-lb-"+id)
	if err != nil {
		return core.LoadBalancer{}, err
	}
	l := &core.LoadBalancer{Meta: d.newMeta(req.CreateMeta), ID: id, Name: req.Name, Description: req.Description,
		SubnetID: sub.ID, VIPAddress: vip.FixedIP, Status: core.LBPendingCreate,
		Listeners: make([]core.Listener, 0, len(req.Listeners)), Members: []core.Member{}}
	for _, ls := range req.Listeners {
		l.Listeners = append(l.Listeners, core.Listener{ID: d.newID(), Protocol: strings.ToUpper(ls.Protocol), Port: ls.Port})
	}
	d.st.LoadBalancers[id] = l
	d.remember(core.TypeLoadBalancer, req.CreateMeta, id)
	d.emit(core.TypeLoadBalancer, id, l.Meta, "", string(l.Status), core.EventAttributes{Name: l.Name})
	d.schedule("lb.create", id)
	if err := d.commit(); err != nil {
		return core.LoadBalancer{}, err
	}
	return cloneLoadBalancer(l), nil
}

// loadBalancer looks up a load balancer by path id. Called with d.mu held.
func (d *Driver) loadBalancer(op, id string) (*core.LoadBalancer, error) {
	l, ok := d.st.LoadBalancers[id]
	if !ok {
		return nil, notFound(op, core.TypeLoadBalancer, id)
	}
	if err := d.checkDC(op, l.DatacenterID); err != nil {
		return nil, err
	}
	return l, nil
}

// lbMutable refuses a change while the load balancer is not ACTIVE, as
// Octavia answers 409 to a load balancer in an immutable state.
func lbMutable(op string, l *core.LoadBalancer) error {
	if l.Status != core.LBActive {
		return conflict(op, "load balancer %s is %s; it can be changed only when ACTIVE", l.ID, l.Status)
	}
	return nil
}

// GetLoadBalancer shows a load balancer with its listeners and members (B.3.4.3).
func (d *Driver) GetLoadBalancer(ctx context.Context, id string) (core.LoadBalancer, error) {
	const op = "GetLoadBalancer"
	if err := d.begin(ctx, op); err != nil {
		return core.LoadBalancer{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	l, err := d.loadBalancer(op, id)
	if err != nil {
		return core.LoadBalancer{}, err
	}
	return cloneLoadBalancer(l), nil
}

// ListLoadBalancers lists load balancers (B.3.4.4).
func (d *Driver) ListLoadBalancers(ctx context.Context, opts core.ListOptions) ([]core.LoadBalancer, error) {
	if err := d.begin(ctx, "ListLoadBalancers"); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	out := []core.LoadBalancer{}
	for _, l := range d.st.LoadBalancers {
		if matches(opts, l.Meta) {
			out = append(out, cloneLoadBalancer(l))
		}
	}
	sortByCreated(out, func(l *core.LoadBalancer) (time.Time, string) { return l.CreatedAt, l.ID })
	return out, nil
}

// DeleteLoadBalancer deletes a load balancer with its listeners and
// members, as Octavia's cascade delete (B.3.4.2).
func (d *Driver) DeleteLoadBalancer(ctx context.Context, id string) error {
	const op = "DeleteLoadBalancer"
	if err := d.begin(ctx, op); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	l, err := d.loadBalancer(op, id)
	if err != nil {
		return err
	}
	switch l.Status {
	case core.LBPendingCreate, core.LBPendingUpdate, core.LBPendingDelete:
		return conflict(op, "load balancer %s is %s", l.ID, l.Status)
	}
	from := l.Status
	l.Status, l.UpdatedAt = core.LBPendingDelete, d.now()
	d.emit(core.TypeLoadBalancer, l.ID, l.Meta, string(from), string(l.Status), core.EventAttributes{Name: l.Name})
	d.schedule("lb.delete", id)
	return d.commit()
}

// AddMember puts a server behind a load balancer (B.3.4.5).
func (d *Driver) AddMember(ctx context.Context, id string, m core.MemberAdd) (core.LoadBalancer, error) {
	const op = "AddMember"
	if err := d.begin(ctx, op); err != nil {
		return core.LoadBalancer{}, err
	}
	if err := core.ValidateID("server_id", m.ServerID); err != nil {
		return core.LoadBalancer{}, core.WithOp(op, err)
	}
	if m.Port != 0 {
		if err := core.ValidatePort("port", m.Port); err != nil {
			return core.LoadBalancer{}, core.WithOp(op, err)
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	l, err := d.loadBalancer(op, id)
	if err != nil {
		return core.LoadBalancer{}, err
	}
	if err := lbMutable(op, l); err != nil {
		return core.LoadBalancer{}, err
	}
	s, ok := d.st.Servers[m.ServerID]
	if !ok || netForeign(l.ProjectID, s.ProjectID) {
		return core.LoadBalancer{}, invalidArg(op, "server_id: server %s not found", m.ServerID)
	}
	if s.DatacenterID != l.DatacenterID {
		return core.LoadBalancer{}, invalidArg(op, "server_id: server %s is in datacenter %s, load balancer %s in %s",
			s.ID, s.DatacenterID, l.ID, l.DatacenterID)
	}
	if err := netServerUsable(op, s); err != nil {
		return core.LoadBalancer{}, err
	}
	if slices.ContainsFunc(l.Members, func(o core.Member) bool { return o.ServerID == s.ID }) {
		return core.LoadBalancer{}, conflict(op, "server %s is already a member of load balancer %s", s.ID, l.ID)
	}
	ports := d.serverPorts(s.ID)
	if len(ports) == 0 {
		return core.LoadBalancer{}, conflict(op, "server %s has no port", s.ID)
	}
	// Prefer the server's address on the VIP's subnet: Octavia reaches
	// members there without routing.
	addr := ports[0].FixedIP
	for _, p := range ports {
		if p.SubnetID == l.SubnetID {
			addr = p.FixedIP
			break
		}
	}
	port := m.Port
	if port == 0 {
		port = 80
		if len(l.Listeners) > 0 {
			port = l.Listeners[0].Port
		}
	}
	l.Members = append(l.Members, core.Member{ServerID: s.ID, Name: s.Name, Address: addr, Port: port})
	d.lbPendingUpdate(l)
	if err := d.commit(); err != nil {
		return core.LoadBalancer{}, err
	}
	return cloneLoadBalancer(l), nil
}

// lbPendingUpdate starts the provisioning of a change to l. Called with d.mu held.
func (d *Driver) lbPendingUpdate(l *core.LoadBalancer) {
	from := l.Status
	l.Status, l.UpdatedAt = core.LBPendingUpdate, d.now()
	d.emit(core.TypeLoadBalancer, l.ID, l.Meta, string(from), string(l.Status), core.EventAttributes{Name: l.Name})
	d.schedule("lb.update", l.ID)
}

// RemoveMember takes a member, named by server id or address, out of a load
// balancer (B.3.4.6).
func (d *Driver) RemoveMember(ctx context.Context, id string, m core.MemberRemove) (core.LoadBalancer, error) {
	const op = "RemoveMember"
	if err := d.begin(ctx, op); err != nil {
		return core.LoadBalancer{}, err
	}
	if err := m.Validate(); err != nil {
		return core.LoadBalancer{}, core.WithOp(op, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	l, err := d.loadBalancer(op, id)
	if err != nil {
		return core.LoadBalancer{}, err
	}
	i := slices.IndexFunc(l.Members, func(o core.Member) bool {
		return (m.ServerID != "" && o.ServerID == m.ServerID) || (m.Address != "" && o.Address == m.Address)
	})
	if i < 0 {
		if m.ServerID != "" {
			return core.LoadBalancer{}, invalidArg(op, "server_id: server %s is not a member of load balancer %s", m.ServerID, l.ID)
		}
		return core.LoadBalancer{}, invalidArg(op, "address: %s is not a member of load balancer %s", m.Address, l.ID)
	}
	if err := lbMutable(op, l); err != nil {
		return core.LoadBalancer{}, err
	}
	l.Members = slices.Delete(l.Members, i, i+1)
	d.lbPendingUpdate(l)
	if err := d.commit(); err != nil {
		return core.LoadBalancer{}, err
	}
	return cloneLoadBalancer(l), nil
}
