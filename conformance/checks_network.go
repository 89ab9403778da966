package conformance

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/gisiaas/gisiaas/core"
)

// Checks of the network clauses: networks (B.3.1), floating IPs (B.3.2),
// public IPs (B.3.3), load balancers (B.3.4), security groups (B.3.5) and
// routers (X.3).

func init() {
	register(
		// B.3.1.1 List networks.
		Check{Clause: core.ClauseNetworkList, Name: "list", Needs: core.ClauseNetworkList, Run: netCheckList,
			Unsupported: func(ctx context.Context, e *Env) error { _, err := e.Driver.ListNetworks(ctx, netOpts(e)); return err }},

		// B.3.2 Floating IPs.
		Check{Clause: core.ClauseFloatingIPCreate, Name: "create", Needs: core.ClauseFloatingIPCreate, Run: netCheckFIPCreate,
			Unsupported: netFIPProbe},
		Check{Clause: core.ClauseFloatingIPCreate, Name: "fixed address without port is invalid", Needs: core.ClauseFloatingIPCreate,
			Run: func(ctx context.Context, e *Env) error {
				ext, err := netExternal(ctx, e)
				if err != nil {
					return err
				}
				f, err := e.Driver.CreateFloatingIP(ctx, core.FloatingIPCreate{CreateMeta: e.Meta(), FloatingNetworkID: ext.ID, FixedIP: "10.0.0.10"})
				netFIPCleanup(e, f.ID, err)
				return WantKind("create with fixed_ip_address and no port_id", err, core.InvalidArgument)
			},
			Unsupported: netFIPProbe},
		Check{Clause: core.ClauseFloatingIPCreate, Name: "unknown network is invalid", Needs: core.ClauseFloatingIPCreate,
			Run: func(ctx context.Context, e *Env) error {
				f, err := e.Driver.CreateFloatingIP(ctx, core.FloatingIPCreate{CreateMeta: e.Meta(), FloatingNetworkID: noSuch})
				netFIPCleanup(e, f.ID, err)
				return WantKind("create on an unknown network", err, core.InvalidArgument)
			},
			Unsupported: netFIPProbe},
		Check{Clause: core.ClauseFloatingIPDelete, Name: "delete", Needs: core.ClauseFloatingIPDelete, Run: netCheckFIPDelete,
			Unsupported: func(ctx context.Context, e *Env) error { return e.Driver.DeleteFloatingIP(ctx, noSuch) }},
		Check{Clause: core.ClauseFloatingIPUpdate, Name: "associate and dissociate", Needs: core.ClauseFloatingIPUpdate, Run: netCheckFIPAssociate,
			Unsupported: func(ctx context.Context, e *Env) error {
				_, err := e.Driver.UpdateFloatingIP(ctx, noSuch, core.FloatingIPUpdate{})
				return err
			}},
		Check{Clause: core.ClauseFloatingIPUpdate, Name: "unknown port is invalid", Needs: core.ClauseFloatingIPUpdate,
			Run: func(ctx context.Context, e *Env) error {
				f, err := netFIP(ctx, e)
				if err != nil {
					return err
				}
				_, err = e.Driver.UpdateFloatingIP(ctx, f.ID, core.FloatingIPUpdate{PortID: noSuch})
				return WantKind("associate with an unknown port", err, core.InvalidArgument)
			},
			Unsupported: func(ctx context.Context, e *Env) error {
				_, err := e.Driver.UpdateFloatingIP(ctx, noSuch, core.FloatingIPUpdate{})
				return err
			}},
		Check{Clause: core.ClauseFloatingIPShow, Name: "show and list", Needs: core.ClauseFloatingIPShow, Run: netCheckFIPShow,
			Unsupported: func(ctx context.Context, e *Env) error {
				_, err := e.Driver.ListFloatingIPs(ctx, netOpts(e))
				return err
			}},
		Check{Clause: core.ClauseFloatingIPShow, Name: "show unknown is not found", Needs: core.ClauseFloatingIPShow,
			Run: func(ctx context.Context, e *Env) error {
				_, err := e.Driver.GetFloatingIP(ctx, noSuch)
				return WantKind("show an unknown floating IP", err, core.NotFound)
			},
			Unsupported: func(ctx context.Context, e *Env) error { _, err := e.Driver.GetFloatingIP(ctx, noSuch); return err }},

		// B.3.3 Public IPs.
		Check{Clause: core.ClausePublicIPCreate, Name: "create", Needs: core.ClausePublicIPCreate, Run: netCheckPubCreate,
			Unsupported: netPubProbe},
		Check{Clause: core.ClausePublicIPBind, Name: "bind to a server", Needs: core.ClausePublicIPBind, Run: netCheckPubBind,
			Unsupported: netPubBindProbe},
		Check{Clause: core.ClausePublicIPBind, Name: "server and private IP is invalid", Needs: core.ClausePublicIPBind,
			Run: func(ctx context.Context, e *Env) error {
				p, err := netPub(ctx, e)
				if err != nil {
					return err
				}
				_, err = e.Driver.BindPublicIP(ctx, p.ID, core.PublicIPBinding{ServerID: noSuch, PrivateIP: "10.0.0.10"})
				if err := WantKind("bind with both server_id and private_ip", err, core.InvalidArgument); err != nil {
					return err
				}
				_, err = e.Driver.BindPublicIP(ctx, p.ID, core.PublicIPBinding{})
				return WantKind("bind with neither server_id nor private_ip", err, core.InvalidArgument)
			},
			Unsupported: netPubBindProbe},
		Check{Clause: core.ClausePublicIPUnbind, Name: "unbind", Needs: core.ClausePublicIPUnbind, Run: netCheckPubUnbind,
			Unsupported: func(ctx context.Context, e *Env) error {
				_, err := e.Driver.UnbindPublicIP(ctx, noSuch, core.PublicIPBinding{ServerID: noSuch})
				return err
			}},
		Check{Clause: core.ClausePublicIPShow, Name: "show and list", Needs: core.ClausePublicIPShow, Run: netCheckPubShow,
			Unsupported: func(ctx context.Context, e *Env) error { _, err := e.Driver.GetPublicIP(ctx, noSuch); return err }},
		Check{Clause: core.ClausePublicIPShow, Name: "show unknown is not found", Needs: core.ClausePublicIPShow,
			Run: func(ctx context.Context, e *Env) error {
				_, err := e.Driver.GetPublicIP(ctx, noSuch)
				return WantKind("show an unknown public IP", err, core.NotFound)
			},
			Unsupported: func(ctx context.Context, e *Env) error { _, err := e.Driver.GetPublicIP(ctx, noSuch); return err }},
		Check{Clause: core.ClausePublicIPDelete, Name: "delete", Needs: core.ClausePublicIPDelete, Run: netCheckPubDelete,
			Unsupported: func(ctx context.Context, e *Env) error { return e.Driver.DeletePublicIP(ctx, noSuch) }},
		Check{Clause: core.ClausePublicIPDelete, Name: "delete while bound is conflict", Needs: core.ClausePublicIPDelete, Run: netCheckPubDeleteBound,
			Unsupported: func(ctx context.Context, e *Env) error { return e.Driver.DeletePublicIP(ctx, noSuch) }},

		// B.3.4 Load balancers.
		Check{Clause: core.ClauseLBCreate, Name: "create", Needs: core.ClauseLBCreate, Run: netCheckLBCreate,
			Unsupported: netLBProbe},
		Check{Clause: core.ClauseLBCreate, Name: "no name is invalid", Needs: core.ClauseLBCreate,
			Run: func(ctx context.Context, e *Env) error {
				l, err := e.Driver.CreateLoadBalancer(ctx, core.LoadBalancerCreate{CreateMeta: e.Meta()})
				netLBCleanup(e, l.ID, err)
				return WantKind("create a load balancer without a name", err, core.InvalidArgument)
			},
			Unsupported: netLBProbe},
		Check{Clause: core.ClauseLBDelete, Name: "delete", Needs: core.ClauseLBDelete, Run: netCheckLBDelete,
			Unsupported: func(ctx context.Context, e *Env) error { return e.Driver.DeleteLoadBalancer(ctx, noSuch) }},
		Check{Clause: core.ClauseLBShow, Name: "show", Needs: core.ClauseLBShow, Run: netCheckLBShow,
			Unsupported: func(ctx context.Context, e *Env) error { _, err := e.Driver.GetLoadBalancer(ctx, noSuch); return err }},
		Check{Clause: core.ClauseLBShow, Name: "show unknown is not found", Needs: core.ClauseLBShow,
			Run: func(ctx context.Context, e *Env) error {
				_, err := e.Driver.GetLoadBalancer(ctx, noSuch)
				return WantKind("show an unknown load balancer", err, core.NotFound)
			},
			Unsupported: func(ctx context.Context, e *Env) error { _, err := e.Driver.GetLoadBalancer(ctx, noSuch); return err }},
		Check{Clause: core.ClauseLBList, Name: "list", Needs: core.ClauseLBList, Run: netCheckLBList,
			Unsupported: func(ctx context.Context, e *Env) error {
				_, err := e.Driver.ListLoadBalancers(ctx, netOpts(e))
				return err
			}},
		Check{Clause: core.ClauseLBAddMember, Name: "add member", Needs: core.ClauseLBAddMember, Run: netCheckLBAddMember,
			Unsupported: func(ctx context.Context, e *Env) error {
				_, err := e.Driver.AddMember(ctx, noSuch, core.MemberAdd{ServerID: noSuch})
				return err
			}},
		Check{Clause: core.ClauseLBRemoveMember, Name: "remove member", Needs: core.ClauseLBRemoveMember, Run: netCheckLBRemoveMember,
			Unsupported: func(ctx context.Context, e *Env) error {
				_, err := e.Driver.RemoveMember(ctx, noSuch, core.MemberRemove{ServerID: noSuch})
				return err
			}},
		Check{Clause: core.ClauseLBRemoveMember, Name: "server and address is invalid", Needs: core.ClauseLBRemoveMember,
			Run: func(ctx context.Context, e *Env) error {
				l, err := netLB(ctx, e)
				if err != nil {
					return err
				}
				_, err = e.Driver.RemoveMember(ctx, l.ID, core.MemberRemove{ServerID: noSuch, Address: "10.0.0.10"})
				return WantKind("remove a member by both server_id and address", err, core.InvalidArgument)
			},
			Unsupported: func(ctx context.Context, e *Env) error {
				_, err := e.Driver.RemoveMember(ctx, noSuch, core.MemberRemove{ServerID: noSuch})
				return err
			}},

		// B.3.5 Security groups and rules.
		Check{Clause: core.ClauseSecGroupCreate, Name: "create", Needs: core.ClauseSecGroupCreate, Run: netCheckSGCreate,
			Unsupported: netSGProbe},
		Check{Clause: core.ClauseSecGroupCreate, Name: "no name is invalid", Needs: core.ClauseSecGroupCreate,
			Run: func(ctx context.Context, e *Env) error {
				g, err := e.Driver.CreateSecurityGroup(ctx, core.SecurityGroupCreate{CreateMeta: e.Meta()})
				netSGCleanup(e, g.ID, err)
				return WantKind("create a security group without a name", err, core.InvalidArgument)
			},
			Unsupported: netSGProbe},
		Check{Clause: core.ClauseSecGroupDelete, Name: "delete", Needs: core.ClauseSecGroupDelete, Run: netCheckSGDelete,
			Unsupported: func(ctx context.Context, e *Env) error { return e.Driver.DeleteSecurityGroup(ctx, noSuch) }},
		Check{Clause: core.ClauseSecGroupDelete, Name: "delete in use is conflict", Needs: core.ClauseSecGroupDelete, Run: netCheckSGDeleteInUse,
			Unsupported: func(ctx context.Context, e *Env) error { return e.Driver.DeleteSecurityGroup(ctx, noSuch) }},
		Check{Clause: core.ClauseSecGroupShow, Name: "show and list", Needs: core.ClauseSecGroupShow, Run: netCheckSGShow,
			Unsupported: func(ctx context.Context, e *Env) error {
				_, err := e.Driver.ListSecurityGroups(ctx, netOpts(e))
				return err
			}},
		Check{Clause: core.ClauseSecGroupShow, Name: "show unknown is not found", Needs: core.ClauseSecGroupShow,
			Run: func(ctx context.Context, e *Env) error {
				_, err := e.Driver.GetSecurityGroup(ctx, noSuch)
				return WantKind("show an unknown security group", err, core.NotFound)
			},
			Unsupported: func(ctx context.Context, e *Env) error { _, err := e.Driver.GetSecurityGroup(ctx, noSuch); return err }},
		Check{Clause: core.ClauseSecGroupRuleCreate, Name: "create rule", Needs: core.ClauseSecGroupRuleCreate, Run: netCheckRuleCreate,
			Unsupported: netRuleProbe},
		Check{Clause: core.ClauseSecGroupRuleCreate, Name: "remote group and prefix is invalid", Needs: core.ClauseSecGroupRuleCreate,
			Run: func(ctx context.Context, e *Env) error {
				g, err := netSG(ctx, e)
				if err != nil {
					return err
				}
				r, err := e.Driver.CreateSecurityGroupRule(ctx, core.SecurityGroupRuleCreate{GroupID: g.ID, Direction: core.DirectionIngress,
					Protocol: "tcp", PortRangeMin: netInt(443), PortRangeMax: netInt(443), RemoteIPPrefix: "10.0.0.0/8", RemoteGroupID: g.ID})
				if err == nil {
					_ = e.Driver.DeleteSecurityGroupRule(ctx, r.ID)
				}
				return WantKind("a rule with both remote_group_id and remote_ip_prefix", err, core.InvalidArgument)
			},
			Unsupported: netRuleProbe},
		Check{Clause: core.ClauseSecGroupRuleCreate, Name: "bad port range is invalid", Needs: core.ClauseSecGroupRuleCreate,
			Run: func(ctx context.Context, e *Env) error {
				g, err := netSG(ctx, e)
				if err != nil {
					return err
				}
				r, err := e.Driver.CreateSecurityGroupRule(ctx, core.SecurityGroupRuleCreate{GroupID: g.ID, Direction: core.DirectionIngress,
					Protocol: "tcp", PortRangeMin: netInt(90), PortRangeMax: netInt(80)})
				if err == nil {
					_ = e.Driver.DeleteSecurityGroupRule(ctx, r.ID)
				}
				return WantKind("a rule whose port_range_min exceeds port_range_max", err, core.InvalidArgument)
			},
			Unsupported: netRuleProbe},
		Check{Clause: core.ClauseSecGroupRuleDelete, Name: "delete rule", Needs: core.ClauseSecGroupRuleDelete, Run: netCheckRuleDelete,
			Unsupported: func(ctx context.Context, e *Env) error { return e.Driver.DeleteSecurityGroupRule(ctx, noSuch) }},

		// X.3 Routers.
		Check{Clause: core.ClauseRouters, Name: "create with gateway", Needs: core.ClauseRouters, Run: netCheckRouterCreate,
			Unsupported: netRouterProbe},
		Check{Clause: core.ClauseRouters, Name: "interfaces", Needs: core.ClauseRouters, Run: netCheckRouterInterfaces,
			Unsupported: netRouterProbe},
		Check{Clause: core.ClauseRouters, Name: "show unknown is not found", Needs: core.ClauseRouters,
			Run: func(ctx context.Context, e *Env) error {
				_, err := e.Driver.GetRouter(ctx, noSuch)
				return WantKind("show an unknown router", err, core.NotFound)
			},
			Unsupported: netRouterProbe},
	)
}

// --- shared helpers (also used by checks_storage.go) ---

func netOpts(e *Env) core.ListOptions {
	return core.ListOptions{ProjectID: e.Project, DatacenterID: e.Datacenter}
}

func netInt(n int) *int { return &n }

// netNeed refuses to go on when a check leans on a clause the target does
// not declare: the suite then cannot prove its own clause (ERROR, not FAIL).
func netNeed(e *Env, cs ...core.Clause) error {
	for _, c := range cs {
		if !e.Info.Supports(c) {
			return Broken(fmt.Errorf("this check also needs %s, which the target does not declare", c))
		}
	}
	return nil
}

// netIsIP checks an address field.
func netIsIP(what, s string) error {
	if _, err := netip.ParseAddr(s); err != nil {
		return Failf("%s: %q is not an IP address", what, s)
	}
	return nil
}

// netNetworks lists the datacenter's networks.
func netNetworks(ctx context.Context, e *Env) ([]core.Network, error) {
	if err := netNeed(e, core.ClauseNetworkList); err != nil {
		return nil, err
	}
	ns, err := e.Driver.ListNetworks(ctx, netOpts(e))
	if err != nil {
		return nil, Broken(fmt.Errorf("listing networks: %w", err))
	}
	return ns, nil
}

// netExternal is the external network floating and public IPs come from.
func netExternal(ctx context.Context, e *Env) (core.Network, error) {
	ns, err := netNetworks(ctx, e)
	if err != nil {
		return core.Network{}, err
	}
	for _, n := range ns {
		if n.External {
			return n, nil
		}
	}
	return core.Network{}, Failf("datacenter %s lists no external network: floating IPs, public IPs and router gateways need one", e.Datacenter)
}

// netPrivate is a private network with a subnet, for servers, load
// balancers and router interfaces.
func netPrivate(ctx context.Context, e *Env) (core.Network, error) {
	if err := netNeed(e, core.ClauseNetworkList); err != nil {
		return core.Network{}, err
	}
	n, err := pickNetwork(ctx, e)
	if err != nil {
		return core.Network{}, Broken(err)
	}
	return n, nil
}

// netServer boots an ACTIVE server of the run (fixtures.go), in the
// security groups given; its cleanup deletes it first, as it was made last.
// Failing to boot one is the suite's setback here (ERROR): the server
// clauses' own checks judge the target for it.
func netServer(ctx context.Context, e *Env, sgIDs ...string) (core.Server, error) {
	if err := netNeed(e, core.ClauseServerCreate, core.ClauseServerDelete, core.ClauseServerShow,
		core.ClauseFlavorList, core.ClauseImageList, core.ClauseNetworkList); err != nil {
		return core.Server{}, err
	}
	s, _, err := newServer(ctx, e, nil, func(r *core.ServerCreate) { r.SecurityGroupIDs = sgIDs })
	if err != nil {
		if isBroken(err) {
			return core.Server{}, err
		}
		return core.Server{}, Broken(fmt.Errorf("a server to work with: %w", err))
	}
	return s, nil
}

// netServerPort is the server's first private interface: its port id and
// fixed address.
func netServerPort(ctx context.Context, e *Env, s core.Server) (portID, fixedIP string, err error) {
	for _, a := range s.Addresses {
		if a.Kind == core.AddressPrivate && a.PortID != "" {
			return a.PortID, a.Address, nil
		}
	}
	ps, err := e.Driver.ListPorts(ctx, netOpts(e))
	if err != nil {
		return "", "", Broken(fmt.Errorf("listing ports: %w", err))
	}
	for _, p := range ps {
		if p.DeviceID == s.ID {
			return p.ID, p.FixedIP, nil
		}
	}
	return "", "", Failf("server %s: no private address names its port, and no port lists it as device", s.ID)
}

// netServerHas waits until the server lists address addr of kind k (or no
// longer lists it, when want is false).
func netServerHas(ctx context.Context, e *Env, serverID string, k core.AddressKind, addr string, want bool) error {
	what := fmt.Sprintf("server %s lists %s address %s", serverID, k, addr)
	if !want {
		what = fmt.Sprintf("server %s no longer lists %s address %s", serverID, k, addr)
	}
	return e.Eventually(ctx, what, func(ctx context.Context) (bool, error) {
		s, err := e.Driver.GetServer(ctx, serverID)
		if err != nil {
			return false, err
		}
		has := slices.ContainsFunc(s.Addresses, func(a core.ServerAddress) bool { return a.Kind == k && a.Address == addr })
		return has == want, nil
	})
}

// --- B.3.1.1 networks ---

func netCheckList(ctx context.Context, e *Env) error {
	ns, err := e.Driver.ListNetworks(ctx, netOpts(e))
	if err != nil {
		return err
	}
	if len(ns) == 0 {
		return Failf("no network listed in datacenter %s", e.Datacenter)
	}
	subnets, external := 0, false
	for _, n := range ns {
		if n.ID == "" || n.Name == "" {
			return Failf("network %+v: id and name are required", n)
		}
		if n.Subnets == nil {
			return Failf("network %s: subnets missing (want a list, empty when it has none)", n.ID)
		}
		external = external || n.External
		for _, s := range n.Subnets {
			subnets++
			if s.ID == "" {
				return Failf("network %s: a subnet has no id", n.ID)
			}
			p, err := netip.ParsePrefix(s.CIDR)
			if err != nil || p.Masked() != p {
				return Failf("network %s subnet %s: cidr %q is not a network prefix", n.ID, s.ID, s.CIDR)
			}
			if s.NetworkID != "" && s.NetworkID != n.ID {
				return Failf("network %s subnet %s: network_id %s", n.ID, s.ID, s.NetworkID)
			}
			if s.GatewayIP != "" {
				if a, err := netip.ParseAddr(s.GatewayIP); err != nil || !p.Contains(a) {
					return Failf("network %s subnet %s: gateway %q is not in %s", n.ID, s.ID, s.GatewayIP, s.CIDR)
				}
			}
		}
	}
	if subnets == 0 {
		return Failf("no network of datacenter %s has a subnet", e.Datacenter)
	}
	// Floating and public IPs (must clauses) come from an external network.
	if !external && (e.Info.Supports(core.ClauseFloatingIPCreate) || e.Info.Supports(core.ClausePublicIPCreate)) {
		return Failf("no external network listed, yet floating or public IPs are declared")
	}
	return nil
}

// --- B.3.2 floating IPs ---

func netFIPProbe(ctx context.Context, e *Env) error {
	f, err := e.Driver.CreateFloatingIP(ctx, core.FloatingIPCreate{CreateMeta: e.Meta(), FloatingNetworkID: noSuch})
	netFIPCleanup(e, f.ID, err)
	return err
}

// netFIPCleanup deletes a floating IP a create made, if it made one.
func netFIPCleanup(e *Env, id string, err error) {
	if err != nil || id == "" {
		return
	}
	e.Cleanup("floating IP "+id, func(ctx context.Context) error {
		if err := e.Driver.DeleteFloatingIP(ctx, id); err != nil {
			return err
		}
		return waitGone(ctx, e, "floating IP "+id, func(ctx context.Context) error { _, err := e.Driver.GetFloatingIP(ctx, id); return err })
	})
}

// netFIP allocates a floating IP on the external network for a check.
func netFIP(ctx context.Context, e *Env) (core.FloatingIP, error) {
	if err := netNeed(e, core.ClauseFloatingIPCreate, core.ClauseFloatingIPDelete); err != nil {
		return core.FloatingIP{}, err
	}
	ext, err := netExternal(ctx, e)
	if err != nil {
		return core.FloatingIP{}, err
	}
	f, err := e.Driver.CreateFloatingIP(ctx, core.FloatingIPCreate{CreateMeta: e.Meta(), FloatingNetworkID: ext.ID})
	netFIPCleanup(e, f.ID, err)
	if err != nil {
		return core.FloatingIP{}, Broken(fmt.Errorf("creating a floating IP to work with: %w", err))
	}
	return f, nil
}

func netCheckFIP(f core.FloatingIP, e *Env) error {
	if f.ID == "" || f.FloatingNetworkID == "" {
		return Failf("floating IP %+v: id and floating_network_id are required", f)
	}
	if err := netIsIP("floating IP "+f.ID+" floating_ip_address", f.FloatingIP); err != nil {
		return err
	}
	return wantRunMeta(e, "floating IP "+f.ID, f.Meta)
}

func netCheckFIPCreate(ctx context.Context, e *Env) error {
	ext, err := netExternal(ctx, e)
	if err != nil {
		return err
	}
	f, err := e.Driver.CreateFloatingIP(ctx, core.FloatingIPCreate{CreateMeta: e.Meta(), FloatingNetworkID: ext.ID})
	netFIPCleanup(e, f.ID, err)
	if err != nil {
		return err
	}
	if err := netCheckFIP(f, e); err != nil {
		return err
	}
	if f.FloatingNetworkID != ext.ID {
		return Failf("floating IP %s: floating_network_id %s, asked for %s", f.ID, f.FloatingNetworkID, ext.ID)
	}
	if f.PortID != "" || f.PortDetails != nil {
		return Failf("floating IP %s: created without a port but maps to port %q", f.ID, f.PortID)
	}
	a, _ := netip.ParseAddr(f.FloatingIP)
	in := len(ext.Subnets) == 0
	for _, s := range ext.Subnets {
		if p, err := netip.ParsePrefix(s.CIDR); err == nil && p.Contains(a) {
			in = true
		}
	}
	if !in {
		return Failf("floating IP %s: address %s is in no subnet of external network %s", f.ID, f.FloatingIP, ext.ID)
	}
	// Unassociated, a floating IP is DOWN (Neutron's state).
	return e.Eventually(ctx, "floating IP "+f.ID+" DOWN", func(ctx context.Context) (bool, error) {
		g, err := e.Driver.GetFloatingIP(ctx, f.ID)
		return err == nil && g.Status == core.NetDown, err
	})
}

func netCheckFIPDelete(ctx context.Context, e *Env) error {
	if err := netNeed(e, core.ClauseFloatingIPCreate, core.ClauseFloatingIPShow); err != nil {
		return err
	}
	f, err := netFIP(ctx, e)
	if err != nil {
		return err
	}
	if err := e.Driver.DeleteFloatingIP(ctx, f.ID); err != nil {
		return err
	}
	if err := waitGone(ctx, e, "floating IP "+f.ID, func(ctx context.Context) error { _, err := e.Driver.GetFloatingIP(ctx, f.ID); return err }); err != nil {
		return err
	}
	return WantKind("delete an unknown floating IP", e.Driver.DeleteFloatingIP(ctx, noSuch), core.NotFound)
}

func netCheckFIPAssociate(ctx context.Context, e *Env) error {
	if err := netNeed(e, core.ClauseFloatingIPShow); err != nil {
		return err
	}
	s, err := netServer(ctx, e)
	if err != nil {
		return err
	}
	portID, fixedIP, err := netServerPort(ctx, e, s)
	if err != nil {
		return err
	}
	f, err := netFIP(ctx, e)
	if err != nil {
		return err
	}
	g, err := e.Driver.UpdateFloatingIP(ctx, f.ID, core.FloatingIPUpdate{PortID: portID})
	if err != nil {
		return err
	}
	if g.PortID != portID {
		return Failf("associate: port_id %q, want %s", g.PortID, portID)
	}
	if g.FixedIP != fixedIP {
		return Failf("associate: fixed_ip_address %q, want the port's %s", g.FixedIP, fixedIP)
	}
	d := g.PortDetails
	if d == nil {
		return Failf("associate: port_details missing")
	}
	if d.DeviceID != s.ID || d.NetworkID == "" || d.MACAddress == "" {
		return Failf("associate: port_details %+v, want device_id %s, a network_id and a mac_address", *d, s.ID)
	}
	if err := e.Eventually(ctx, "floating IP "+f.ID+" ACTIVE", func(ctx context.Context) (bool, error) {
		g, err := e.Driver.GetFloatingIP(ctx, f.ID)
		return err == nil && g.Status == core.NetActive && g.PortID == portID, err
	}); err != nil {
		return err
	}
	if err := netServerHas(ctx, e, s.ID, core.AddressFloating, f.FloatingIP, true); err != nil {
		return err
	}
	g, err = e.Driver.UpdateFloatingIP(ctx, f.ID, core.FloatingIPUpdate{})
	if err != nil {
		return fmt.Errorf("dissociate: %w", err)
	}
	if g.PortID != "" || g.PortDetails != nil || g.FixedIP != "" {
		return Failf("dissociate: still maps to port %q (%s)", g.PortID, g.FixedIP)
	}
	if err := e.Eventually(ctx, "floating IP "+f.ID+" DOWN", func(ctx context.Context) (bool, error) {
		g, err := e.Driver.GetFloatingIP(ctx, f.ID)
		return err == nil && g.Status == core.NetDown && g.PortID == "", err
	}); err != nil {
		return err
	}
	return netServerHas(ctx, e, s.ID, core.AddressFloating, f.FloatingIP, false)
}

func netCheckFIPShow(ctx context.Context, e *Env) error {
	f, err := netFIP(ctx, e)
	if err != nil {
		return err
	}
	g, err := e.Driver.GetFloatingIP(ctx, f.ID)
	if err != nil {
		return err
	}
	if err := netCheckFIP(g, e); err != nil {
		return err
	}
	if g.ID != f.ID || g.FloatingIP != f.FloatingIP || g.FloatingNetworkID != f.FloatingNetworkID {
		return Failf("show: %s %s on %s, created %s %s on %s", g.ID, g.FloatingIP, g.FloatingNetworkID, f.ID, f.FloatingIP, f.FloatingNetworkID)
	}
	fs, err := e.Driver.ListFloatingIPs(ctx, netOpts(e))
	if err != nil {
		return err
	}
	i := slices.IndexFunc(fs, func(x core.FloatingIP) bool { return x.ID == f.ID })
	if i < 0 {
		return Failf("list: floating IP %s missing", f.ID)
	}
	if fs[i].FloatingIP != f.FloatingIP {
		return Failf("list: floating IP %s has address %s, show %s", f.ID, fs[i].FloatingIP, f.FloatingIP)
	}
	return nil
}

// --- B.3.3 public IPs ---

func netPubProbe(ctx context.Context, e *Env) error {
	p, err := e.Driver.CreatePublicIP(ctx, core.PublicIPCreate{CreateMeta: e.Meta(), Name: e.Name("pip")})
	netPubCleanup(e, p.ID, err)
	return err
}

func netPubBindProbe(ctx context.Context, e *Env) error {
	_, err := e.Driver.BindPublicIP(ctx, noSuch, core.PublicIPBinding{ServerID: noSuch})
	return err
}

// netPubCleanup unbinds (if bound) and deletes a public IP a create made.
func netPubCleanup(e *Env, id string, err error) {
	if err != nil || id == "" {
		return
	}
	e.Cleanup("public IP "+id, func(ctx context.Context) error {
		p, err := e.Driver.GetPublicIP(ctx, id)
		if err != nil {
			return err
		}
		if p.ServerID != "" || p.PrivateIP != "" {
			b := core.PublicIPBinding{ServerID: p.ServerID}
			if b.ServerID == "" {
				b.PrivateIP = p.PrivateIP
			}
			if _, err := e.Driver.UnbindPublicIP(ctx, id, b); err != nil && core.KindOf(err) != core.Conflict {
				return err
			}
		}
		if err := e.Driver.DeletePublicIP(ctx, id); err != nil {
			return err
		}
		return waitGone(ctx, e, "public IP "+id, func(ctx context.Context) error { _, err := e.Driver.GetPublicIP(ctx, id); return err })
	})
}

// netPub creates a public IP for a check.
func netPub(ctx context.Context, e *Env) (core.PublicIP, error) {
	if err := netNeed(e, core.ClausePublicIPCreate, core.ClausePublicIPShow, core.ClausePublicIPDelete, core.ClausePublicIPUnbind); err != nil {
		return core.PublicIP{}, err
	}
	p, err := e.Driver.CreatePublicIP(ctx, core.PublicIPCreate{CreateMeta: e.Meta(), Name: e.Name("pip")})
	netPubCleanup(e, p.ID, err)
	if err != nil {
		return core.PublicIP{}, Broken(fmt.Errorf("creating a public IP to work with: %w", err))
	}
	return p, nil
}

func netCheckPub(p core.PublicIP, e *Env) error {
	if p.ID == "" {
		return Failf("public IP %+v: id is required", p)
	}
	if err := netIsIP("public IP "+p.ID+" address", p.Address); err != nil {
		return err
	}
	return wantRunMeta(e, "public IP "+p.ID, p.Meta)
}

func netCheckPubCreate(ctx context.Context, e *Env) error {
	name := e.Name("pip")
	p, err := e.Driver.CreatePublicIP(ctx, core.PublicIPCreate{CreateMeta: e.Meta(), Name: name})
	netPubCleanup(e, p.ID, err)
	if err != nil {
		return err
	}
	if err := netCheckPub(p, e); err != nil {
		return err
	}
	if p.Name != name {
		return Failf("public IP %s: name %q, want %q", p.ID, p.Name, name)
	}
	if p.ServerID != "" || p.PrivateIP != "" {
		return Failf("public IP %s: created unbound, but bound to %q/%q", p.ID, p.ServerID, p.PrivateIP)
	}
	// Unbound it is DOWN (B.3.3).
	if p.Status != core.NetDown {
		return Failf("public IP %s: status %q, want DOWN while unbound", p.ID, p.Status)
	}
	return nil
}

// netPubBound creates a server and a public IP bound to it by server id.
func netPubBound(ctx context.Context, e *Env) (core.PublicIP, core.Server, error) {
	if err := netNeed(e, core.ClausePublicIPBind); err != nil {
		return core.PublicIP{}, core.Server{}, err
	}
	s, err := netServer(ctx, e)
	if err != nil {
		return core.PublicIP{}, core.Server{}, err
	}
	p, err := netPub(ctx, e)
	if err != nil {
		return core.PublicIP{}, core.Server{}, err
	}
	b, err := e.Driver.BindPublicIP(ctx, p.ID, core.PublicIPBinding{ServerID: s.ID})
	if err != nil {
		return core.PublicIP{}, core.Server{}, Broken(fmt.Errorf("binding a public IP to work with: %w", err))
	}
	return b, s, nil
}

func netCheckPubBind(ctx context.Context, e *Env) error {
	s, err := netServer(ctx, e)
	if err != nil {
		return err
	}
	_, fixedIP, err := netServerPort(ctx, e, s)
	if err != nil {
		return err
	}
	p, err := netPub(ctx, e)
	if err != nil {
		return err
	}
	b, err := e.Driver.BindPublicIP(ctx, p.ID, core.PublicIPBinding{ServerID: s.ID})
	if err != nil {
		return err
	}
	if b.ServerID != s.ID || b.PrivateIP != fixedIP {
		return Failf("bind: bound to server %q at %q, want server %s at its private address %s", b.ServerID, b.PrivateIP, s.ID, fixedIP)
	}
	if err := e.Eventually(ctx, "public IP "+p.ID+" ACTIVE", func(ctx context.Context) (bool, error) {
		g, err := e.Driver.GetPublicIP(ctx, p.ID)
		return err == nil && g.Status == core.NetActive, err
	}); err != nil {
		return err
	}
	if err := netServerHas(ctx, e, s.ID, core.AddressPublic, p.Address, true); err != nil {
		return err
	}
	_, err = e.Driver.BindPublicIP(ctx, p.ID, core.PublicIPBinding{ServerID: s.ID})
	if err := WantKind("bind a bound public IP", err, core.Conflict); err != nil {
		return err
	}
	// Binding by private address reaches the same server.
	if _, err := e.Driver.UnbindPublicIP(ctx, p.ID, core.PublicIPBinding{ServerID: s.ID}); err != nil {
		return Broken(fmt.Errorf("unbinding to bind again: %w", err))
	}
	b, err = e.Driver.BindPublicIP(ctx, p.ID, core.PublicIPBinding{PrivateIP: fixedIP})
	if err != nil {
		return fmt.Errorf("bind by private_ip: %w", err)
	}
	if b.ServerID != s.ID || b.PrivateIP != fixedIP {
		return Failf("bind by private_ip %s: bound to server %q at %q, want server %s", fixedIP, b.ServerID, b.PrivateIP, s.ID)
	}
	return nil
}

func netCheckPubUnbind(ctx context.Context, e *Env) error {
	p, s, err := netPubBound(ctx, e)
	if err != nil {
		return err
	}
	if err := netServerHas(ctx, e, s.ID, core.AddressPublic, p.Address, true); err != nil {
		return Broken(err)
	}
	u, err := e.Driver.UnbindPublicIP(ctx, p.ID, core.PublicIPBinding{ServerID: s.ID})
	if err != nil {
		return err
	}
	if u.ServerID != "" || u.PrivateIP != "" {
		return Failf("unbind: still bound to server %q at %q", u.ServerID, u.PrivateIP)
	}
	if err := e.Eventually(ctx, "public IP "+p.ID+" DOWN", func(ctx context.Context) (bool, error) {
		g, err := e.Driver.GetPublicIP(ctx, p.ID)
		return err == nil && g.Status == core.NetDown && g.ServerID == "", err
	}); err != nil {
		return err
	}
	if err := netServerHas(ctx, e, s.ID, core.AddressPublic, p.Address, false); err != nil {
		return err
	}
	_, err = e.Driver.UnbindPublicIP(ctx, p.ID, core.PublicIPBinding{ServerID: s.ID})
	return WantKind("unbind an unbound public IP", err, core.Conflict)
}

func netCheckPubShow(ctx context.Context, e *Env) error {
	p, err := netPub(ctx, e)
	if err != nil {
		return err
	}
	g, err := e.Driver.GetPublicIP(ctx, p.ID)
	if err != nil {
		return err
	}
	if err := netCheckPub(g, e); err != nil {
		return err
	}
	if g.ID != p.ID || g.Name != p.Name || g.Address != p.Address || g.Status != p.Status {
		return Failf("show: %+v, created %+v", g, p)
	}
	ps, err := e.Driver.ListPublicIPs(ctx, netOpts(e))
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(ps, func(x core.PublicIP) bool { return x.ID == p.ID && x.Address == p.Address }) {
		return Failf("list: public IP %s (%s) missing", p.ID, p.Address)
	}
	return nil
}

func netCheckPubDelete(ctx context.Context, e *Env) error {
	p, err := netPub(ctx, e)
	if err != nil {
		return err
	}
	if err := e.Driver.DeletePublicIP(ctx, p.ID); err != nil {
		return err
	}
	if err := waitGone(ctx, e, "public IP "+p.ID, func(ctx context.Context) error { _, err := e.Driver.GetPublicIP(ctx, p.ID); return err }); err != nil {
		return err
	}
	return WantKind("delete an unknown public IP", e.Driver.DeletePublicIP(ctx, noSuch), core.NotFound)
}

func netCheckPubDeleteBound(ctx context.Context, e *Env) error {
	p, _, err := netPubBound(ctx, e)
	if err != nil {
		return err
	}
	return WantKind("delete a bound public IP", e.Driver.DeletePublicIP(ctx, p.ID), core.Conflict)
}

// --- B.3.4 load balancers ---

func netLBProbe(ctx context.Context, e *Env) error {
	l, err := e.Driver.CreateLoadBalancer(ctx, core.LoadBalancerCreate{CreateMeta: e.Meta(), Name: e.Name("lb")})
	netLBCleanup(e, l.ID, err)
	return err
}

// netLBSettled waits until a load balancer is out of its PENDING states:
// a cloud refuses changes until then.
func netLBSettled(ctx context.Context, e *Env, id string) (core.LoadBalancer, error) {
	var l core.LoadBalancer
	err := e.Eventually(ctx, "load balancer "+id+" ACTIVE", func(ctx context.Context) (bool, error) {
		var err error
		if l, err = e.Driver.GetLoadBalancer(ctx, id); err != nil {
			return false, err
		}
		if l.Status == core.LBError {
			return false, errors.New("load balancer went to ERROR")
		}
		return l.Status == core.LBActive, nil
	})
	return l, err
}

// netLBCleanup deletes a load balancer a create made, once it settles.
func netLBCleanup(e *Env, id string, err error) {
	if err != nil || id == "" {
		return
	}
	e.Cleanup("load balancer "+id, func(ctx context.Context) error {
		if _, err := netLBSettled(ctx, e, id); err != nil {
			if core.KindOf(err) == core.NotFound {
				return nil
			}
			// An ERROR load balancer can still be deleted.
			if l, gerr := e.Driver.GetLoadBalancer(ctx, id); gerr != nil || l.Status != core.LBError {
				return err
			}
		}
		if err := e.Driver.DeleteLoadBalancer(ctx, id); err != nil {
			return err
		}
		return waitGone(ctx, e, "load balancer "+id, func(ctx context.Context) error { _, err := e.Driver.GetLoadBalancer(ctx, id); return err })
	})
}

// netLB creates an ACTIVE load balancer with a TCP listener on port 80.
func netLB(ctx context.Context, e *Env) (core.LoadBalancer, error) {
	if err := netNeed(e, core.ClauseLBCreate, core.ClauseLBDelete, core.ClauseLBShow); err != nil {
		return core.LoadBalancer{}, err
	}
	l, err := e.Driver.CreateLoadBalancer(ctx, core.LoadBalancerCreate{CreateMeta: e.Meta(), Name: e.Name("lb"),
		Description: "conformance", Listeners: []core.Listener{{Protocol: "TCP", Port: 80}}})
	netLBCleanup(e, l.ID, err)
	if err != nil {
		return core.LoadBalancer{}, Broken(fmt.Errorf("creating a load balancer to work with: %w", err))
	}
	s, err := netLBSettled(ctx, e, l.ID)
	if err != nil {
		return core.LoadBalancer{}, Broken(err)
	}
	return s, nil
}

func netCheckLB(l core.LoadBalancer, e *Env) error {
	if l.ID == "" || l.Name == "" {
		return Failf("load balancer %+v: id and name are required", l)
	}
	if err := netIsIP("load balancer "+l.ID+" vip_address", l.VIPAddress); err != nil {
		return err
	}
	if l.Listeners == nil || l.Members == nil {
		return Failf("load balancer %s: listeners and members must be lists, empty when there are none", l.ID)
	}
	for _, ls := range l.Listeners {
		if ls.ID == "" || ls.Protocol == "" || ls.Port < 1 || ls.Port > 65535 {
			return Failf("load balancer %s: listener %+v needs an id, a protocol and a port", l.ID, ls)
		}
	}
	for _, m := range l.Members {
		if m.ServerID == "" || m.Port < 1 {
			return Failf("load balancer %s: member %+v needs a server_id and a port", l.ID, m)
		}
		if err := netIsIP("load balancer "+l.ID+" member address", m.Address); err != nil {
			return err
		}
	}
	return wantRunMeta(e, "load balancer "+l.ID, l.Meta)
}

func netCheckLBCreate(ctx context.Context, e *Env) error {
	name := e.Name("lb")
	l, err := e.Driver.CreateLoadBalancer(ctx, core.LoadBalancerCreate{CreateMeta: e.Meta(), Name: name, Description: "conformance",
		Listeners: []core.Listener{{Protocol: "TCP", Port: 80}}})
	netLBCleanup(e, l.ID, err)
	if err != nil {
		return err
	}
	if l.ID == "" || l.Name != name || l.Description != "conformance" {
		return Failf("create: id %q, name %q, description %q; want an id, %q, %q", l.ID, l.Name, l.Description, name, "conformance")
	}
	a, err := netLBSettled(ctx, e, l.ID)
	if err != nil {
		return err
	}
	if err := netCheckLB(a, e); err != nil {
		return err
	}
	if len(a.Listeners) != 1 || a.Listeners[0].Port != 80 || a.Listeners[0].Protocol != "TCP" {
		return Failf("load balancer %s: listeners %+v, asked for TCP:80", a.ID, a.Listeners)
	}
	return nil
}

func netCheckLBDelete(ctx context.Context, e *Env) error {
	l, err := netLB(ctx, e)
	if err != nil {
		return err
	}
	if err := e.Driver.DeleteLoadBalancer(ctx, l.ID); err != nil {
		return err
	}
	if err := waitGone(ctx, e, "load balancer "+l.ID, func(ctx context.Context) error { _, err := e.Driver.GetLoadBalancer(ctx, l.ID); return err }); err != nil {
		return err
	}
	return WantKind("delete an unknown load balancer", e.Driver.DeleteLoadBalancer(ctx, noSuch), core.NotFound)
}

func netCheckLBShow(ctx context.Context, e *Env) error {
	l, err := netLB(ctx, e)
	if err != nil {
		return err
	}
	g, err := e.Driver.GetLoadBalancer(ctx, l.ID)
	if err != nil {
		return err
	}
	if err := netCheckLB(g, e); err != nil {
		return err
	}
	if g.Name != l.Name || g.Description != l.Description || g.VIPAddress != l.VIPAddress {
		return Failf("show: %s %q %q %s, created %q %q %s", g.ID, g.Name, g.Description, g.VIPAddress, l.Name, l.Description, l.VIPAddress)
	}
	return nil
}

func netCheckLBList(ctx context.Context, e *Env) error {
	l, err := netLB(ctx, e)
	if err != nil {
		return err
	}
	ls, err := e.Driver.ListLoadBalancers(ctx, netOpts(e))
	if err != nil {
		return err
	}
	i := slices.IndexFunc(ls, func(x core.LoadBalancer) bool { return x.ID == l.ID })
	if i < 0 {
		return Failf("list: load balancer %s missing", l.ID)
	}
	return netCheckLB(ls[i], e)
}

// netLBWithMember is an ACTIVE load balancer with server s as its member.
func netLBWithMember(ctx context.Context, e *Env) (core.LoadBalancer, core.Server, error) {
	s, err := netServer(ctx, e)
	if err != nil {
		return core.LoadBalancer{}, core.Server{}, err
	}
	l, err := netLB(ctx, e)
	if err != nil {
		return core.LoadBalancer{}, core.Server{}, err
	}
	if _, err := e.Driver.AddMember(ctx, l.ID, core.MemberAdd{ServerID: s.ID}); err != nil {
		return core.LoadBalancer{}, core.Server{}, err
	}
	l, err = netLBSettled(ctx, e, l.ID)
	return l, s, err
}

func netCheckLBAddMember(ctx context.Context, e *Env) error {
	l, s, err := netLBWithMember(ctx, e)
	if err != nil {
		return err
	}
	if err := netCheckLB(l, e); err != nil {
		return err
	}
	_, fixedIP, err := netServerPort(ctx, e, s)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(l.Members, func(m core.Member) bool { return m.ServerID == s.ID })
	if i < 0 {
		return Failf("load balancer %s: server %s is not listed as a member: %+v", l.ID, s.ID, l.Members)
	}
	if m := l.Members[i]; m.Address != fixedIP || m.Port != 80 {
		return Failf("load balancer %s: member %+v, want address %s and the listener's port 80", l.ID, m, fixedIP)
	}
	_, err = e.Driver.AddMember(ctx, l.ID, core.MemberAdd{ServerID: s.ID})
	if err := WantKind("add the same member again", err, core.Conflict); err != nil {
		return err
	}
	_, err = e.Driver.AddMember(ctx, noSuch, core.MemberAdd{ServerID: s.ID})
	return WantKind("add a member to an unknown load balancer", err, core.NotFound)
}

func netCheckLBRemoveMember(ctx context.Context, e *Env) error {
	if err := netNeed(e, core.ClauseLBAddMember); err != nil {
		return err
	}
	l, s, err := netLBWithMember(ctx, e)
	if err != nil {
		return Broken(err)
	}
	if _, err := e.Driver.RemoveMember(ctx, l.ID, core.MemberRemove{ServerID: s.ID}); err != nil {
		return err
	}
	l, err = netLBSettled(ctx, e, l.ID)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(l.Members, func(m core.Member) bool { return m.ServerID == s.ID }) {
		return Failf("load balancer %s: server %s still a member after removal", l.ID, s.ID)
	}
	// By address, the other form B.3.4.6 allows.
	if _, err := e.Driver.AddMember(ctx, l.ID, core.MemberAdd{ServerID: s.ID}); err != nil {
		return Broken(fmt.Errorf("adding the member again: %w", err))
	}
	if l, err = netLBSettled(ctx, e, l.ID); err != nil {
		return err
	}
	i := slices.IndexFunc(l.Members, func(m core.Member) bool { return m.ServerID == s.ID })
	if i < 0 {
		return Failf("load balancer %s: server %s not a member after adding it again", l.ID, s.ID)
	}
	if _, err := e.Driver.RemoveMember(ctx, l.ID, core.MemberRemove{Address: l.Members[i].Address}); err != nil {
		return fmt.Errorf("remove by address: %w", err)
	}
	if l, err = netLBSettled(ctx, e, l.ID); err != nil {
		return err
	}
	if len(l.Members) != 0 {
		return Failf("load balancer %s: members %+v after removing by address", l.ID, l.Members)
	}
	return nil
}

// --- B.3.5 security groups ---

func netSGProbe(ctx context.Context, e *Env) error {
	g, err := e.Driver.CreateSecurityGroup(ctx, core.SecurityGroupCreate{CreateMeta: e.Meta(), Name: e.Name("sg")})
	netSGCleanup(e, g.ID, err)
	return err
}

func netRuleProbe(ctx context.Context, e *Env) error {
	_, err := e.Driver.CreateSecurityGroupRule(ctx, core.SecurityGroupRuleCreate{GroupID: noSuch, Direction: core.DirectionIngress})
	return err
}

// netSGCleanup deletes a security group a create made.
func netSGCleanup(e *Env, id string, err error) {
	if err != nil || id == "" {
		return
	}
	e.Cleanup("security group "+id, func(ctx context.Context) error {
		if err := e.Driver.DeleteSecurityGroup(ctx, id); err != nil {
			return err
		}
		return waitGone(ctx, e, "security group "+id, func(ctx context.Context) error { _, err := e.Driver.GetSecurityGroup(ctx, id); return err })
	})
}

// netSG creates a security group for a check.
func netSG(ctx context.Context, e *Env) (core.SecurityGroup, error) {
	if err := netNeed(e, core.ClauseSecGroupCreate, core.ClauseSecGroupDelete, core.ClauseSecGroupShow); err != nil {
		return core.SecurityGroup{}, err
	}
	g, err := e.Driver.CreateSecurityGroup(ctx, core.SecurityGroupCreate{CreateMeta: e.Meta(), Name: e.Name("sg"), Description: "conformance"})
	netSGCleanup(e, g.ID, err)
	if err != nil {
		return core.SecurityGroup{}, Broken(fmt.Errorf("creating a security group to work with: %w", err))
	}
	return g, nil
}

func netCheckSG(g core.SecurityGroup, e *Env) error {
	if g.ID == "" || g.Name == "" {
		return Failf("security group %+v: id and name are required", g)
	}
	if g.Rules == nil {
		return Failf("security group %s: rules must be a list, empty when there are none", g.ID)
	}
	for _, r := range g.Rules {
		if r.ID == "" || (r.Direction != core.DirectionIngress && r.Direction != core.DirectionEgress) ||
			(r.EtherType != core.EtherTypeIPv4 && r.EtherType != core.EtherTypeIPv6) {
			return Failf("security group %s: rule %+v needs an id, a direction and an ethertype", g.ID, r)
		}
	}
	return wantRunMeta(e, "security group "+g.ID, g.Meta)
}

func netCheckSGCreate(ctx context.Context, e *Env) error {
	name := e.Name("sg")
	g, err := e.Driver.CreateSecurityGroup(ctx, core.SecurityGroupCreate{CreateMeta: e.Meta(), Name: name, Description: "conformance"})
	netSGCleanup(e, g.ID, err)
	if err != nil {
		return err
	}
	if err := netCheckSG(g, e); err != nil {
		return err
	}
	if g.Name != name || g.Description != "conformance" {
		return Failf("create: name %q, description %q; want %q, %q", g.Name, g.Description, name, "conformance")
	}
	return nil
}

func netCheckSGDelete(ctx context.Context, e *Env) error {
	g, err := netSG(ctx, e)
	if err != nil {
		return err
	}
	if err := e.Driver.DeleteSecurityGroup(ctx, g.ID); err != nil {
		return err
	}
	if err := waitGone(ctx, e, "security group "+g.ID, func(ctx context.Context) error { _, err := e.Driver.GetSecurityGroup(ctx, g.ID); return err }); err != nil {
		return err
	}
	return WantKind("delete an unknown security group", e.Driver.DeleteSecurityGroup(ctx, noSuch), core.NotFound)
}

func netCheckSGDeleteInUse(ctx context.Context, e *Env) error {
	g, err := netSG(ctx, e)
	if err != nil {
		return err
	}
	// The server's cleanup runs first (registered last), freeing the group.
	s, err := netServer(ctx, e, g.ID)
	if err != nil {
		return err
	}
	if !slices.Contains(s.SecurityGroupIDs, g.ID) {
		return Failf("server %s: security_group_ids %v lack %s it was created with", s.ID, s.SecurityGroupIDs, g.ID)
	}
	return WantKind("delete a security group a server uses", e.Driver.DeleteSecurityGroup(ctx, g.ID), core.Conflict)
}

func netCheckSGShow(ctx context.Context, e *Env) error {
	g, err := netSG(ctx, e)
	if err != nil {
		return err
	}
	s, err := e.Driver.GetSecurityGroup(ctx, g.ID)
	if err != nil {
		return err
	}
	if err := netCheckSG(s, e); err != nil {
		return err
	}
	if s.ID != g.ID || s.Name != g.Name || s.Description != g.Description {
		return Failf("show: %s %q %q, created %s %q %q", s.ID, s.Name, s.Description, g.ID, g.Name, g.Description)
	}
	gs, err := e.Driver.ListSecurityGroups(ctx, netOpts(e))
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(gs, func(x core.SecurityGroup) bool { return x.ID == g.ID && x.Name == g.Name }) {
		return Failf("list: security group %s missing", g.ID)
	}
	return nil
}

// netRuleSSH is the rule the rule checks add: SSH from 10.0.0.0/8.
func netRuleSSH(groupID string) core.SecurityGroupRuleCreate {
	return core.SecurityGroupRuleCreate{GroupID: groupID, Description: "conformance ssh", Direction: core.DirectionIngress,
		EtherType: core.EtherTypeIPv4, Protocol: "tcp", PortRangeMin: netInt(22), PortRangeMax: netInt(22), RemoteIPPrefix: "10.0.0.0/8"}
}

func netCheckRuleCreate(ctx context.Context, e *Env) error {
	g, err := netSG(ctx, e)
	if err != nil {
		return err
	}
	r, err := e.Driver.CreateSecurityGroupRule(ctx, netRuleSSH(g.ID))
	if err != nil {
		return err
	}
	if r.ID == "" || r.GroupID != g.ID || r.Direction != core.DirectionIngress || r.EtherType != core.EtherTypeIPv4 ||
		r.Protocol != "tcp" || r.PortRangeMin == nil || *r.PortRangeMin != 22 || r.PortRangeMax == nil || *r.PortRangeMax != 22 ||
		r.RemoteIPPrefix != "10.0.0.0/8" || r.RemoteGroupID != "" {
		return Failf("create rule: %+v, asked for ingress IPv4 tcp 22 from 10.0.0.0/8 in group %s", r, g.ID)
	}
	s, err := e.Driver.GetSecurityGroup(ctx, g.ID)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(s.Rules, func(x core.SecurityGroupRule) bool { return x.ID == r.ID }) {
		return Failf("security group %s: rule %s missing from show", g.ID, r.ID)
	}
	_, err = e.Driver.CreateSecurityGroupRule(ctx, netRuleSSH(g.ID))
	if err := WantKind("create the same rule again", err, core.Conflict); err != nil {
		return err
	}
	// A rule naming a remote group (the group itself) instead of a prefix.
	rg, err := e.Driver.CreateSecurityGroupRule(ctx, core.SecurityGroupRuleCreate{GroupID: g.ID, Direction: core.DirectionIngress,
		Protocol: "tcp", PortRangeMin: netInt(8080), PortRangeMax: netInt(8080), RemoteGroupID: g.ID})
	if err != nil {
		return fmt.Errorf("rule with remote_group_id: %w", err)
	}
	if rg.RemoteGroupID != g.ID || rg.RemoteIPPrefix != "" {
		return Failf("rule with remote_group_id: %+v, want remote group %s and no prefix", rg, g.ID)
	}
	_, err = e.Driver.CreateSecurityGroupRule(ctx, core.SecurityGroupRuleCreate{GroupID: g.ID, Direction: "sideways"})
	return WantKind("a rule with direction \"sideways\"", err, core.InvalidArgument)
}

func netCheckRuleDelete(ctx context.Context, e *Env) error {
	if err := netNeed(e, core.ClauseSecGroupRuleCreate); err != nil {
		return err
	}
	g, err := netSG(ctx, e)
	if err != nil {
		return err
	}
	r, err := e.Driver.CreateSecurityGroupRule(ctx, netRuleSSH(g.ID))
	if err != nil {
		return Broken(fmt.Errorf("creating a rule to delete: %w", err))
	}
	if err := e.Driver.DeleteSecurityGroupRule(ctx, r.ID); err != nil {
		return err
	}
	if err := e.Eventually(ctx, "rule "+r.ID+" gone from its group", func(ctx context.Context) (bool, error) {
		s, err := e.Driver.GetSecurityGroup(ctx, g.ID)
		return err == nil && !slices.ContainsFunc(s.Rules, func(x core.SecurityGroupRule) bool { return x.ID == r.ID }), err
	}); err != nil {
		return err
	}
	return WantKind("delete a deleted rule", e.Driver.DeleteSecurityGroupRule(ctx, r.ID), core.NotFound)
}

// --- X.3 routers ---

func netRouterProbe(ctx context.Context, e *Env) error {
	_, err := e.Driver.ListRouters(ctx, netOpts(e))
	return err
}

// netRouterCleanup removes a router's interfaces, then the router.
func netRouterCleanup(e *Env, id string) {
	e.Cleanup("router "+id, func(ctx context.Context) error {
		r, err := e.Driver.GetRouter(ctx, id)
		if err != nil {
			return err
		}
		for _, i := range r.Interfaces {
			if _, err := e.Driver.RemoveRouterInterface(ctx, id, i.SubnetID); err != nil && core.KindOf(err) != core.InvalidArgument {
				return err
			}
		}
		if err := e.Driver.DeleteRouter(ctx, id); err != nil {
			return err
		}
		return waitGone(ctx, e, "router "+id, func(ctx context.Context) error { _, err := e.Driver.GetRouter(ctx, id); return err })
	})
}

// netRouter creates a router whose gateway is the external network.
func netRouter(ctx context.Context, e *Env) (core.Router, core.Network, error) {
	ext, err := netExternal(ctx, e)
	if err != nil {
		return core.Router{}, core.Network{}, err
	}
	r, err := e.Driver.CreateRouter(ctx, core.RouterCreate{CreateMeta: e.Meta(), Name: e.Name("rt"), ExternalNetworkID: ext.ID})
	if err != nil {
		return core.Router{}, core.Network{}, err
	}
	netRouterCleanup(e, r.ID)
	return r, ext, nil
}

func netCheckRouterCreate(ctx context.Context, e *Env) error {
	r, ext, err := netRouter(ctx, e)
	if err != nil {
		return err
	}
	if r.ID == "" || r.Name == "" || r.ExternalNetworkID != ext.ID || r.Interfaces == nil {
		return Failf("create: %+v, want an id, a name, gateway %s and an interface list", r, ext.ID)
	}
	if err := e.Eventually(ctx, "router "+r.ID+" ACTIVE", func(ctx context.Context) (bool, error) {
		g, err := e.Driver.GetRouter(ctx, r.ID)
		return err == nil && g.Status == core.NetActive, err
	}); err != nil {
		return err
	}
	g, err := e.Driver.GetRouter(ctx, r.ID)
	if err != nil {
		return err
	}
	if err := wantRunMeta(e, "router "+r.ID, g.Meta); err != nil {
		return err
	}
	rs, err := e.Driver.ListRouters(ctx, netOpts(e))
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(rs, func(x core.Router) bool { return x.ID == r.ID }) {
		return Failf("list: router %s missing", r.ID)
	}
	// A private network is no gateway.
	if priv, err := netPrivate(ctx, e); err == nil {
		x, err := e.Driver.CreateRouter(ctx, core.RouterCreate{CreateMeta: e.Meta(), Name: e.Name("rt"), ExternalNetworkID: priv.ID})
		if err == nil {
			netRouterCleanup(e, x.ID)
		}
		return WantKind("a router whose gateway is private network "+priv.ID, err, core.InvalidArgument)
	}
	return nil
}

func netCheckRouterInterfaces(ctx context.Context, e *Env) error {
	priv, err := netPrivate(ctx, e)
	if err != nil {
		return err
	}
	sub := priv.Subnets[0]
	r, _, err := netRouter(ctx, e)
	if err != nil {
		return Broken(fmt.Errorf("creating a router to work with: %w", err))
	}
	g, err := e.Driver.AddRouterInterface(ctx, r.ID, sub.ID)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(g.Interfaces, func(x core.RouterInterface) bool { return x.SubnetID == sub.ID })
	if i < 0 {
		return Failf("add interface: subnet %s not among the router's interfaces %+v", sub.ID, g.Interfaces)
	}
	if g.Interfaces[i].PortID == "" {
		return Failf("add interface: interface %+v has no port", g.Interfaces[i])
	}
	if err := netIsIP("router interface ip_address", g.Interfaces[i].IPAddress); err != nil {
		return err
	}
	_, err = e.Driver.AddRouterInterface(ctx, r.ID, sub.ID)
	if err := WantKind("add the same subnet again", err, core.Conflict); err != nil {
		return err
	}
	if err := WantKind("delete a router with an interface", e.Driver.DeleteRouter(ctx, r.ID), core.Conflict); err != nil {
		return err
	}
	g, err = e.Driver.RemoveRouterInterface(ctx, r.ID, sub.ID)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(g.Interfaces, func(x core.RouterInterface) bool { return x.SubnetID == sub.ID }) {
		return Failf("remove interface: subnet %s still an interface", sub.ID)
	}
	if err := e.Driver.DeleteRouter(ctx, r.ID); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	return waitGone(ctx, e, "router "+r.ID, func(ctx context.Context) error { _, err := e.Driver.GetRouter(ctx, r.ID); return err })
}
