package openstack

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/loadbalancer/v2/listeners"
	"github.com/gophercloud/gophercloud/v2/openstack/loadbalancer/v2/loadbalancers"
	"github.com/gophercloud/gophercloud/v2/openstack/loadbalancer/v2/pools"

	"github.com/gisiaas/gisiaas/core"
)

// Load balancers (B.3.4) are Octavia's. The standard's model is flatter than
// Octavia's: a load balancer has listeners and members, where Octavia hangs
// members on pools. So each listener gets a default pool of its protocol,
// and a member is a server put in every pool of the load balancer at one
// port (a load balancer without listeners gets a pool of its own at the
// first member). A member's server is kept in its tags (memberServerTag),
// its name is the server's.
//
// Building. Octavia's one-call "fully populated" create leaves the
// listeners and pools PENDING_CREATE for ever under the no-op provider of
// Zed (the CI cloud's), and nothing can be added to an immutable pool. So a
// create makes the load balancer alone, with the listeners it asked for in a
// tag (lbListenersKey), and the driver builds the rest one step at a time,
// each when Octavia is ACTIVE again: a listener, then its pool. Every read
// of a load balancer and every poll takes the next step (so a restart of
// the driver resumes a build), and a goroutine started by the create keeps
// reading until the build is done. Until then the load balancer is PENDING_CREATE
// whatever Octavia says between the steps (NativeStatus keeps Octavia's
// value): the standard's ACTIVE means usable as asked.
//
// Every change takes Octavia's provisioning status through PENDING_UPDATE,
// during which Octavia refuses the next (409): a change touching several
// pools waits for ACTIVE between them.

var _ core.LoadBalancers = (*Driver)(nil)

// memberServerTag prefixes the tag naming a member's server.
const memberServerTag = "gisiaas:server="

// lbListenersKey is the tag key of the listeners a create asked for, as
// "TCP:80,HTTP:8080".
const lbListenersKey = "gisiaas:listeners="

// lbBuilt holds the ids of the load balancers seen built and ACTIVE. Octavia
// goes PENDING_UPDATE → ACTIVE after the build's last step exactly as after a
// later change of members, so only having seen the end tells the two apart.
// It is kept per process, not per Driver: being built is a fact of the
// cloud. After a restart, a load balancer in the middle of a member change
// shows PENDING_CREATE until it is ACTIVE again.
var lbBuilt sync.Map

// lbWanted are the listeners (protocol, port) a load balancer's create asked for.
func lbWanted(l loadbalancers.LoadBalancer) []core.Listener {
	var out []core.Listener
	for _, t := range l.Tags {
		v, ok := strings.CutPrefix(t, lbListenersKey)
		if !ok {
			continue
		}
		for _, spec := range strings.Split(v, ",") {
			proto, port, _ := strings.Cut(spec, ":")
			if n, err := strconv.Atoi(port); err == nil {
				out = append(out, core.Listener{Protocol: proto, Port: n})
			}
		}
	}
	return out
}

// lbNextStep is the next step of a load balancer's build: a listener to
// create, or (listener set) a pool to create for it; done when it is built.
func lbNextStep(l loadbalancers.LoadBalancer, p lbParts) (want core.Listener, listener string, done bool) {
	for _, w := range lbWanted(l) {
		i := slices.IndexFunc(p.listeners, func(x listeners.Listener) bool { return x.Protocol == w.Protocol && x.ProtocolPort == w.Port })
		if i < 0 {
			return w, "", false
		}
		if p.listeners[i].DefaultPoolID == "" {
			return w, p.listeners[i].ID, false
		}
	}
	for _, x := range p.listeners {
		if lbState(x.ProvisioningStatus) != core.LBActive {
			return core.Listener{}, "", false // still being made
		}
	}
	for _, x := range p.pools {
		if lbState(x.ProvisioningStatus) != core.LBActive {
			return core.Listener{}, "", false
		}
	}
	return core.Listener{}, "", true
}

// lbStep takes the next step of the build of l, which Octavia reports
// ACTIVE. A 409 means another reader took it first.
func (d *Driver) lbStep(ctx context.Context, l loadbalancers.LoadBalancer, p lbParts) {
	want, listener, done := lbNextStep(l, p)
	switch {
	case done || want.Protocol == "":
		return
	case listener == "":
		_, _ = listeners.Create(ctx, d.admin.lb, listeners.CreateOpts{LoadbalancerID: l.ID, Protocol: listeners.Protocol(want.Protocol),
			ProtocolPort: want.Port}).Extract()
	default:
		_, _ = pools.Create(ctx, d.admin.lb, pools.CreateOpts{ListenerID: listener, Protocol: lbPoolProtocol[want.Protocol],
			LBMethod: pools.LBMethodRoundRobin, Name: "gisiaas-" + strings.ToLower(want.Protocol) + "-" + strconv.Itoa(want.Port)}).Extract()
	}
}

// lbBuild reads load balancer id until its build is done, each read
// taking a step, within the state timeout or until the driver closes.
func (d *Driver) lbBuild(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(d.cfg.StateTimeout))
	defer cancel()
	go func() {
		select {
		case <-d.closed:
			cancel()
		case <-ctx.Done():
		}
	}()
	interval := 500 * time.Millisecond
	for {
		_, _, c, err := d.loadBalancer(ctx, "BuildLoadBalancer", id)
		if err != nil || c.Status != core.LBPendingCreate {
			return
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		interval = min(2*interval, 2*time.Second)
	}
}

// lbPoolProtocol is the protocol of a listener's default pool.
var lbPoolProtocol = map[string]pools.Protocol{"TCP": pools.ProtocolTCP, "UDP": pools.ProtocolUDP, "HTTP": pools.ProtocolHTTP,
	"HTTPS": pools.ProtocolHTTPS, "TERMINATED_HTTPS": pools.ProtocolHTTP, "SCTP": pools.ProtocolSCTP}

// lbParts are what a load balancer's view is made of besides itself.
type lbParts struct {
	listeners []listeners.Listener
	pools     []pools.Pool
	members   map[string][]pools.Member // by pool id
}

func (d *Driver) lbClient(op string, clause core.Clause) error {
	if d.admin.lb == nil {
		return core.UnsupportedError(op, clause)
	}
	return nil
}

func memberServer(m pools.Member) string {
	for _, t := range m.Tags {
		if s, ok := strings.CutPrefix(t, memberServerTag); ok {
			return s
		}
	}
	return ""
}

func (d *Driver) loadBalancerOf(ctx context.Context, l loadbalancers.LoadBalancer, p lbParts) core.LoadBalancer {
	tags, dc := metaFromTags(l.Tags)
	out := core.LoadBalancer{
		Meta: core.Meta{ProjectID: d.projects.gisProject(ctx, l.ProjectID), DatacenterID: d.dcOf(ctx, dc, ""), Tags: tags,
			CreatedAt: l.CreatedAt.UTC(), UpdatedAt: lbChanged(l).UTC()},
		ID: l.ID, Name: l.Name, Description: l.Description, SubnetID: l.VipSubnetID, VIPAddress: l.VipAddress,
		Status: lbState(l.ProvisioningStatus), NativeStatus: l.ProvisioningStatus,
		Listeners: []core.Listener{}, Members: []core.Member{},
	}
	if _, built := lbBuilt.Load(l.ID); !built && len(lbWanted(l)) > 0 {
		_, _, done := lbNextStep(l, p)
		switch {
		case done && out.Status == core.LBActive:
			lbBuilt.Store(l.ID, struct{}{})
		case out.Status == core.LBActive || out.Status == core.LBPendingUpdate:
			out.Status = core.LBPendingCreate
		}
	}
	for _, ls := range p.listeners {
		out.Listeners = append(out.Listeners, core.Listener{ID: ls.ID, Protocol: ls.Protocol, Port: ls.ProtocolPort})
	}
	// One member per server and port, however many pools it is in.
	seen := map[string]bool{}
	for _, pl := range p.pools {
		for _, m := range p.members[pl.ID] {
			c := core.Member{ServerID: memberServer(m), Name: m.Name, Address: m.Address, Port: m.ProtocolPort}
			k := c.ServerID + "|" + c.Address + "|" + strconv.Itoa(c.Port)
			if !seen[k] {
				seen[k] = true
				out.Members = append(out.Members, c)
			}
		}
	}
	return out
}

func lbChanged(l loadbalancers.LoadBalancer) time.Time {
	if !l.UpdatedAt.IsZero() {
		return l.UpdatedAt
	}
	return l.CreatedAt
}

func (d *Driver) lbObservation(l loadbalancers.LoadBalancer, c core.LoadBalancer) observation {
	return observation{Type: core.TypeLoadBalancer, ID: l.ID, OSProject: l.ProjectID, ProjectID: c.ProjectID,
		DatacenterID: c.DatacenterID, State: string(c.Status), Attrs: core.EventAttributes{Name: c.Name}, Time: lbChanged(l).UTC()}
}

// lbParts reads the listeners, pools and (with members) members of the
// load balancers ids.
func (d *Driver) lbParts(ctx context.Context, ids map[string]bool, members bool) (map[string]lbParts, error) {
	byLB := map[string]lbParts{}
	lo := listeners.ListOpts{}
	po := pools.ListOpts{}
	if len(ids) == 1 {
		for id := range ids {
			lo.LoadbalancerID, po.LoadbalancerID = id, id
		}
	}
	lpages, err := listeners.List(d.admin.lb, lo).AllPages(ctx)
	if err != nil {
		return nil, err
	}
	ls, err := listeners.ExtractListeners(lpages)
	if err != nil {
		return nil, err
	}
	for _, l := range ls {
		for _, ref := range l.Loadbalancers {
			if ids[ref.ID] {
				p := byLB[ref.ID]
				p.listeners = append(p.listeners, l)
				byLB[ref.ID] = p
			}
		}
	}
	ppages, err := pools.List(d.admin.lb, po).AllPages(ctx)
	if err != nil {
		return nil, err
	}
	ps, err := pools.ExtractPools(ppages)
	if err != nil {
		return nil, err
	}
	for _, pl := range ps {
		for _, ref := range pl.Loadbalancers {
			if !ids[ref.ID] {
				continue
			}
			var ms []pools.Member
			if members {
				mpages, err := pools.ListMembers(d.admin.lb, pl.ID, nil).AllPages(ctx)
				if err != nil {
					return nil, err
				}
				if ms, err = pools.ExtractMembers(mpages); err != nil {
					return nil, err
				}
			}
			p := byLB[ref.ID]
			if p.members == nil {
				p.members = map[string][]pools.Member{}
			}
			p.pools = append(p.pools, pl)
			p.members[pl.ID] = ms
			byLB[ref.ID] = p
		}
	}
	return byLB, nil
}

// loadBalancer reads load balancer id with its parts, and takes the next
// step of its build: NotFound when there is none (Octavia keeps deleted ones
// a while, as DELETED).
func (d *Driver) loadBalancer(ctx context.Context, op, id string) (loadbalancers.LoadBalancer, lbParts, core.LoadBalancer, error) {
	type read struct {
		l     loadbalancers.LoadBalancer
		parts lbParts
		c     core.LoadBalancer
	}
	r, err := octaviaRead(ctx, func() (read, error) {
		l, parts, c, err := d.loadBalancerOnce(ctx, op, id)
		return read{l, parts, c}, err
	})
	return r.l, r.parts, r.c, err
}

// octaviaRead runs a read of Octavia's, again when it answers 500: Octavia
// (Zed) answers 500 ('NoneType' object has no attribute 'to_dict') for a
// load balancer whose listeners or pools a cascade delete is removing, and a
// moment later it answers as it should. Five tries at most, within ctx.
func octaviaRead[T any](ctx context.Context, read func() (T, error)) (T, error) {
	wait := 250 * time.Millisecond
	for attempt := 1; ; attempt++ {
		v, err := read()
		if err == nil || attempt == 5 || !gophercloud.ResponseCodeIs(err, http.StatusInternalServerError) {
			return v, err
		}
		select {
		case <-ctx.Done():
			return v, err
		case <-time.After(wait):
		}
		wait *= 2
	}
}

func (d *Driver) loadBalancerOnce(ctx context.Context, op, id string) (loadbalancers.LoadBalancer, lbParts, core.LoadBalancer, error) {
	l, err := loadbalancers.Get(ctx, d.admin.lb, id).Extract()
	if err != nil {
		return loadbalancers.LoadBalancer{}, lbParts{}, core.LoadBalancer{}, classify(op, err)
	}
	if l == nil { // a 200 without a load balancer in it: not Octavia's answer
		return loadbalancers.LoadBalancer{}, lbParts{}, core.LoadBalancer{}, &core.Error{Kind: core.Unavailable, Op: op, Message: "the load-balancer service answered without a load balancer"}
	}
	if lbState(l.ProvisioningStatus) == core.LBDeleted {
		d.observe(ctx, d.lbObservation(*l, d.loadBalancerOf(ctx, *l, lbParts{})))
		return loadbalancers.LoadBalancer{}, lbParts{}, core.LoadBalancer{}, &core.Error{Kind: core.NotFound, Op: op, Message: "load balancer " + id + " not found"}
	}
	parts, err := d.lbParts(ctx, map[string]bool{id: true}, true)
	if err != nil {
		return loadbalancers.LoadBalancer{}, lbParts{}, core.LoadBalancer{}, classify(op, err)
	}
	if lbState(l.ProvisioningStatus) == core.LBActive {
		d.lbStep(ctx, *l, parts[id])
	}
	c := d.loadBalancerOf(ctx, *l, parts[id])
	d.observe(ctx, d.lbObservation(*l, c))
	return *l, parts[id], c, nil
}

// lbSubnet resolves the VIP subnet of a create: the one named, which must be
// a private subnet the project may use, or the first subnet of the first
// private network it sees (as a server without networks lands there).
func (d *Driver) lbSubnet(ctx context.Context, op, gisProject, osProject, id string) (string, error) {
	if id == "" {
		ns, err := d.ListNetworks(ctx, core.ListOptions{ProjectID: gisProject})
		if err != nil {
			return "", core.WithOp(op, err)
		}
		for _, n := range ns {
			if !n.External && len(n.Subnets) > 0 {
				return n.Subnets[0].ID, nil
			}
		}
		return "", &core.Error{Kind: core.InvalidArgument, Op: op, Message: "subnet_id: the project sees no private subnet; name one"}
	}
	sub, err := d.getSubnet(ctx, id)
	if err != nil {
		return "", netRefError(op, "subnet_id", "subnet", id, err)
	}
	n, err := d.neutronNetwork(ctx, sub.NetworkID)
	if err != nil {
		return "", classify(op, err)
	}
	if n.External {
		return "", &core.Error{Kind: core.InvalidArgument, Op: op, Message: "subnet_id: subnet " + id + " is on external network " + n.ID}
	}
	if !n.Shared && sub.ProjectID != osProject {
		return "", &core.Error{Kind: core.InvalidArgument, Op: op, Message: "subnet_id: subnet " + id + " not found"}
	}
	return id, nil
}

// CreateLoadBalancer creates a load balancer with its VIP on a private
// subnet and its listeners, each with a pool; it is PENDING_CREATE until
// Octavia has built it (B.3.4.1).
func (d *Driver) CreateLoadBalancer(ctx context.Context, req core.LoadBalancerCreate) (core.LoadBalancer, error) {
	const op = "CreateLoadBalancer"
	if err := d.lbClient(op, core.ClauseLBCreate); err != nil {
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
	for i, ls := range req.Listeners {
		// Octavia needs a certificate from Barbican to terminate TLS, which
		// the standard's request cannot name: refused now rather than a
		// build that never ends.
		if strings.EqualFold(ls.Protocol, "TERMINATED_HTTPS") {
			return core.LoadBalancer{}, core.Errorf(core.InvalidArgument, "%s: listeners[%d].protocol: TERMINATED_HTTPS needs a TLS certificate this API cannot give; use HTTPS (passed through) or HTTP", op, i)
		}
	}
	osProj, err := d.projects.ensure(ctx, req.ProjectID)
	if err != nil {
		return core.LoadBalancer{}, core.WithOp(op, err)
	}
	tok := tokenTag(osProj, req.ClientToken)
	defer tokenLocks.lock(tok)() // from the lookup to the create: one load balancer per token
	if tok != "" {
		pages, err := loadbalancers.List(d.admin.lb, loadbalancers.ListOpts{ProjectID: osProj, Tags: []string{tok}}).AllPages(ctx)
		if err != nil {
			return core.LoadBalancer{}, classify(op, err)
		}
		ls, err := loadbalancers.ExtractLoadBalancers(pages)
		if err != nil {
			return core.LoadBalancer{}, classify(op, err)
		}
		for _, l := range ls {
			if lbState(l.ProvisioningStatus) != core.LBDeleted {
				_, _, c, err := d.loadBalancer(ctx, op, l.ID)
				return c, err
			}
		}
	}
	subnet, err := d.lbSubnet(ctx, op, req.ProjectID, osProj, req.SubnetID)
	if err != nil {
		return core.LoadBalancer{}, err
	}
	opts := loadbalancers.CreateOpts{Name: req.Name, Description: req.Description, VipSubnetID: subnet, ProjectID: osProj,
		Tags: createTags(req.CreateMeta, osProj)}
	if len(req.Listeners) > 0 {
		specs := make([]string, 0, len(req.Listeners))
		for _, ls := range req.Listeners {
			specs = append(specs, strings.ToUpper(ls.Protocol)+":"+strconv.Itoa(ls.Port))
		}
		opts.Tags = append(opts.Tags, lbListenersKey+strings.Join(specs, ","))
	}
	l, err := loadbalancers.Create(ctx, d.admin.lb, opts).Extract()
	if err != nil {
		return core.LoadBalancer{}, classify(op, err)
	}
	c := d.loadBalancerOf(ctx, *l, lbParts{})
	d.observe(ctx, d.lbObservation(*l, c))
	go d.lbBuild(l.ID)
	return c, nil
}

// GetLoadBalancer shows a load balancer with its listeners and members (B.3.4.3).
func (d *Driver) GetLoadBalancer(ctx context.Context, id string) (core.LoadBalancer, error) {
	const op = "GetLoadBalancer"
	if err := d.lbClient(op, core.ClauseLBShow); err != nil {
		return core.LoadBalancer{}, err
	}
	_, _, c, err := d.loadBalancer(ctx, op, id)
	return c, err
}

// ListLoadBalancers lists load balancers with their listeners and members (B.3.4.4).
func (d *Driver) ListLoadBalancers(ctx context.Context, opts core.ListOptions) ([]core.LoadBalancer, error) {
	const op = "ListLoadBalancers"
	if err := d.lbClient(op, core.ClauseLBList); err != nil {
		return nil, err
	}
	osProj, all, none, err := d.netListScope(ctx, opts)
	if err != nil {
		return nil, core.WithOp(op, err)
	}
	out := []core.LoadBalancer{}
	if none {
		return out, nil
	}
	lo := loadbalancers.ListOpts{}
	if !all {
		lo.ProjectID = osProj
	}
	type read struct {
		ls    []loadbalancers.LoadBalancer
		parts map[string]lbParts
	}
	r, err := octaviaRead(ctx, func() (read, error) {
		pages, err := loadbalancers.List(d.admin.lb, lo).AllPages(ctx)
		if err != nil {
			return read{}, err
		}
		ls, err := loadbalancers.ExtractLoadBalancers(pages)
		if err != nil {
			return read{}, err
		}
		ids := map[string]bool{}
		for _, l := range ls {
			if lbState(l.ProvisioningStatus) != core.LBDeleted {
				ids[l.ID] = true
			}
		}
		parts := map[string]lbParts{}
		if len(ids) > 0 {
			if parts, err = d.lbParts(ctx, ids, true); err != nil {
				return read{}, err
			}
		}
		return read{ls, parts}, nil
	})
	if err != nil {
		return nil, classify(op, err)
	}
	ls, parts := r.ls, r.parts
	for _, l := range ls {
		c := d.loadBalancerOf(ctx, l, parts[l.ID])
		d.observe(ctx, d.lbObservation(l, c))
		if lbState(l.ProvisioningStatus) != core.LBDeleted && netInDC(opts, c.DatacenterID) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b core.LoadBalancer) int { return netByCreated(a.CreatedAt, a.ID, b.CreatedAt, b.ID) })
	return out, nil
}

// DeleteLoadBalancer deletes a load balancer with its listeners, pools and
// members (Octavia's cascade delete, B.3.4.2).
func (d *Driver) DeleteLoadBalancer(ctx context.Context, id string) error {
	const op = "DeleteLoadBalancer"
	if err := d.lbClient(op, core.ClauseLBDelete); err != nil {
		return err
	}
	l, _, _, err := d.loadBalancer(ctx, op, id)
	if err != nil {
		return err
	}
	// Octavia's own state decides: between two steps of a build the load
	// balancer may go, which ends the build.
	switch st := lbState(l.ProvisioningStatus); st {
	case core.LBPendingCreate, core.LBPendingUpdate, core.LBPendingDelete:
		return &core.Error{Kind: core.Conflict, Op: op, Message: "load balancer " + id + " is " + string(st)}
	}
	if err := loadbalancers.Delete(ctx, d.admin.lb, id, loadbalancers.DeleteOpts{Cascade: true}).ExtractErr(); err != nil {
		return classify(op, err) // 409: it went PENDING_* meanwhile
	}
	_, _, _, _ = d.loadBalancer(ctx, op, id) // observes PENDING_DELETE, or DELETED
	return nil
}

// lbMutable refuses a change while the load balancer is not ACTIVE, as
// Octavia does (409 on an immutable load balancer).
func lbMutable(op string, c core.LoadBalancer) error {
	if c.Status != core.LBActive {
		return &core.Error{Kind: core.Conflict, Op: op, Message: "load balancer " + c.ID + " is " + string(c.Status) + "; it can be changed only when ACTIVE"}
	}
	return nil
}

// lbSettle waits until load balancer id is ACTIVE again after a change,
// within the driver's state timeout.
func (d *Driver) lbSettle(ctx context.Context, op, id string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(d.cfg.StateTimeout))
	defer cancel()
	interval := 200 * time.Millisecond
	for {
		l, err := loadbalancers.Get(ctx, d.admin.lb, id).Extract()
		if err != nil {
			return classify(op, err)
		}
		switch lbState(l.ProvisioningStatus) {
		case core.LBActive:
			return nil
		case core.LBError, core.LBDeleted, core.LBPendingDelete:
			return &core.Error{Kind: core.Conflict, Op: op, Message: "load balancer " + id + " went " + l.ProvisioningStatus}
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return classify(op, ctx.Err())
		case <-t.C:
		}
		interval = min(2*interval, 2*time.Second)
	}
}

// AddMember puts a server behind a load balancer, at its address on the
// VIP's subnet if it has one (B.3.4.5).
func (d *Driver) AddMember(ctx context.Context, id string, m core.MemberAdd) (core.LoadBalancer, error) {
	const op = "AddMember"
	if err := d.lbClient(op, core.ClauseLBAddMember); err != nil {
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
	l, parts, c, err := d.loadBalancer(ctx, op, id)
	if err != nil {
		return core.LoadBalancer{}, err
	}
	if err := lbMutable(op, c); err != nil {
		return core.LoadBalancer{}, err
	}
	s, err := d.pubServer(ctx, op, "server_id", m.ServerID, l.ProjectID)
	if err != nil {
		return core.LoadBalancer{}, err
	}
	if slices.ContainsFunc(c.Members, func(x core.Member) bool { return x.ServerID == s.ID }) {
		return core.LoadBalancer{}, &core.Error{Kind: core.Conflict, Op: op, Message: "server " + s.ID + " is already a member of load balancer " + id}
	}
	ports, err := d.netServerPorts(ctx, s.ID)
	if err != nil {
		return core.LoadBalancer{}, classify(op, err)
	}
	var addr neutronFixedIP
	for _, p := range ports {
		for _, ip := range p.FixedIPs {
			if addr.IPAddress == "" || (ip.SubnetID == l.VipSubnetID && addr.SubnetID != l.VipSubnetID) {
				addr = ip
			}
		}
	}
	if addr.IPAddress == "" {
		return core.LoadBalancer{}, &core.Error{Kind: core.Conflict, Op: op, Message: "server " + s.ID + " has no address on a private network"}
	}
	port := m.Port
	if port == 0 {
		port = 80
		if len(c.Listeners) > 0 {
			port = c.Listeners[0].Port
		}
	}
	poolIDs := make([]string, 0, len(parts.pools))
	for _, p := range parts.pools {
		poolIDs = append(poolIDs, p.ID)
	}
	if len(poolIDs) == 0 {
		// No listener, so no pool: members wait in one of the load
		// balancer's own until a listener uses it.
		p, err := pools.Create(ctx, d.admin.lb, pools.CreateOpts{LBMethod: pools.LBMethodRoundRobin, Protocol: pools.ProtocolTCP,
			LoadbalancerID: id, ProjectID: l.ProjectID, Name: "gisiaas-members"}).Extract()
		if err != nil {
			return core.LoadBalancer{}, classify(op, err)
		}
		poolIDs = append(poolIDs, p.ID)
	}
	for i, pool := range poolIDs {
		if i > 0 || len(parts.pools) == 0 {
			if err := d.lbSettle(ctx, op, id); err != nil {
				return core.LoadBalancer{}, err
			}
		}
		_, err := pools.CreateMember(ctx, d.admin.lb, pool, pools.CreateMemberOpts{Address: addr.IPAddress, ProtocolPort: port,
			Name: s.Name, SubnetID: addr.SubnetID, ProjectID: l.ProjectID, Tags: []string{memberServerTag + s.ID}}).Extract()
		if err != nil {
			return core.LoadBalancer{}, classify(op, err) // 409: the load balancer is busy, or the address:port is a member
		}
	}
	_, _, c, err = d.loadBalancer(ctx, op, id)
	return c, err
}

// RemoveMember takes a member, named by server id or address, out of every
// pool of a load balancer (B.3.4.6).
func (d *Driver) RemoveMember(ctx context.Context, id string, m core.MemberRemove) (core.LoadBalancer, error) {
	const op = "RemoveMember"
	if err := d.lbClient(op, core.ClauseLBRemoveMember); err != nil {
		return core.LoadBalancer{}, err
	}
	if err := m.Validate(); err != nil {
		return core.LoadBalancer{}, core.WithOp(op, err)
	}
	_, parts, c, err := d.loadBalancer(ctx, op, id)
	if err != nil {
		return core.LoadBalancer{}, err
	}
	type ref struct{ pool, member string }
	var gone []ref
	for _, p := range parts.pools {
		for _, x := range parts.members[p.ID] {
			if (m.ServerID != "" && memberServer(x) == m.ServerID) || (m.Address != "" && x.Address == m.Address) {
				gone = append(gone, ref{p.ID, x.ID})
			}
		}
	}
	if len(gone) == 0 {
		if m.ServerID != "" {
			return core.LoadBalancer{}, &core.Error{Kind: core.InvalidArgument, Op: op, Message: "server_id: server " + m.ServerID + " is not a member of load balancer " + id}
		}
		return core.LoadBalancer{}, &core.Error{Kind: core.InvalidArgument, Op: op, Message: "address: " + m.Address + " is not a member of load balancer " + id}
	}
	if err := lbMutable(op, c); err != nil {
		return core.LoadBalancer{}, err
	}
	for i, g := range gone {
		if i > 0 {
			if err := d.lbSettle(ctx, op, id); err != nil {
				return core.LoadBalancer{}, err
			}
		}
		if err := pools.DeleteMember(ctx, d.admin.lb, g.pool, g.member).ExtractErr(); err != nil {
			return core.LoadBalancer{}, classify(op, err)
		}
	}
	_, _, c, err = d.loadBalancer(ctx, op, id)
	return c, err
}

// pollLoadBalancers lists every load balancer for the event source; one
// Octavia still lists as DELETED ends there.
func (d *Driver) pollLoadBalancers(ctx context.Context, since time.Time) ([]observation, bool, error) {
	pages, err := loadbalancers.List(d.admin.lb, loadbalancers.ListOpts{}).AllPages(ctx)
	if err != nil {
		return nil, false, classify("PollLoadBalancers", err)
	}
	ls, err := loadbalancers.ExtractLoadBalancers(pages)
	if err != nil {
		return nil, false, classify("PollLoadBalancers", err)
	}
	ids := map[string]bool{}
	for _, l := range ls {
		ids[l.ID] = true
	}
	parts := map[string]lbParts{}
	if len(ids) > 0 {
		// The parts decide whether a build is done (PENDING_CREATE or ACTIVE).
		if parts, err = d.lbParts(ctx, ids, false); err != nil {
			return nil, false, classify("PollLoadBalancers", err)
		}
	}
	obs := make([]observation, 0, len(ls))
	for _, l := range ls {
		// A build whose goroutine is gone (the driver restarted) goes on here.
		if lbState(l.ProvisioningStatus) == core.LBActive {
			d.lbStep(ctx, l, parts[l.ID])
		}
		obs = append(obs, d.lbObservation(l, d.loadBalancerOf(ctx, l, parts[l.ID])))
	}
	return obs, true, nil
}
