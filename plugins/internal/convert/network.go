package convert

import (
	"github.com/gisiaas/gisiaas/core"
	pb "github.com/gisiaas/gisiaas/plugins/proto/driverpb"
)

// NetworkToProto converts a network with its subnets.
func NetworkToProto(n core.Network) *pb.Network {
	var subnets *pb.SubnetList
	if n.Subnets != nil {
		subnets = &pb.SubnetList{Items: toList(n.Subnets, func(s core.Subnet) *pb.Subnet {
			return &pb.Subnet{Id: s.ID, Name: s.Name, NetworkId: s.NetworkID, Cidr: s.CIDR, GatewayIp: s.GatewayIP, IpVersion: int64(s.IPVersion)}
		})}
	}
	return &pb.Network{Meta: MetaToProto(n.Meta), Id: n.ID, Name: n.Name, External: n.External, Shared: n.Shared,
		Status: string(n.Status), Subnets: subnets}
}

// NetworkFromProto is the inverse of NetworkToProto.
func NetworkFromProto(n *pb.Network) core.Network {
	var subnets []core.Subnet
	if n.Subnets != nil {
		subnets = fromList(n.Subnets.Items, func(s *pb.Subnet) core.Subnet {
			return core.Subnet{ID: s.Id, Name: s.Name, NetworkID: s.NetworkId, CIDR: s.Cidr, GatewayIP: s.GatewayIp, IPVersion: int(s.IpVersion)}
		})
	}
	return core.Network{Meta: MetaFromProto(n.Meta), ID: n.Id, Name: n.Name, External: n.External, Shared: n.Shared,
		Status: core.NetStatus(n.Status), Subnets: subnets}
}

// NetworksToProto converts a list result.
func NetworksToProto(l []core.Network) *pb.ListNetworksResponse {
	if l == nil {
		return &pb.ListNetworksResponse{}
	}
	return &pb.ListNetworksResponse{List: &pb.NetworkList{Items: toList(l, NetworkToProto)}}
}

// NetworksFromProto is the inverse of NetworksToProto.
func NetworksFromProto(r *pb.ListNetworksResponse) []core.Network {
	if r.List == nil {
		return nil
	}
	return fromList(r.List.Items, NetworkFromProto)
}

// PortToProto converts a port.
func PortToProto(p core.Port) *pb.Port {
	return &pb.Port{Id: p.ID, Name: p.Name, NetworkId: p.NetworkID, SubnetId: p.SubnetID, DeviceId: p.DeviceID,
		MacAddress: p.MACAddress, FixedIp: p.FixedIP, Status: string(p.Status)}
}

// PortFromProto is the inverse of PortToProto.
func PortFromProto(p *pb.Port) core.Port {
	return core.Port{ID: p.Id, Name: p.Name, NetworkID: p.NetworkId, SubnetID: p.SubnetId, DeviceID: p.DeviceId,
		MACAddress: p.MacAddress, FixedIP: p.FixedIp, Status: core.NetStatus(p.Status)}
}

// PortsToProto converts a list result.
func PortsToProto(l []core.Port) *pb.ListPortsResponse {
	if l == nil {
		return &pb.ListPortsResponse{}
	}
	return &pb.ListPortsResponse{List: &pb.PortList{Items: toList(l, PortToProto)}}
}

// PortsFromProto is the inverse of PortsToProto.
func PortsFromProto(r *pb.ListPortsResponse) []core.Port {
	if r.List == nil {
		return nil
	}
	return fromList(r.List.Items, PortFromProto)
}

// FloatingIPToProto converts a floating IP; nil PortDetails stays absent.
func FloatingIPToProto(f core.FloatingIP) *pb.FloatingIP {
	var pd *pb.PortDetails
	if d := f.PortDetails; d != nil {
		pd = &pb.PortDetails{Status: string(d.Status), Name: d.Name, NetworkId: d.NetworkID, DeviceId: d.DeviceID, MacAddress: d.MACAddress}
	}
	return &pb.FloatingIP{Meta: MetaToProto(f.Meta), Id: f.ID, FloatingNetworkId: f.FloatingNetworkID,
		FloatingIp: f.FloatingIP, SubnetId: f.SubnetID, PortId: f.PortID, FixedIp: f.FixedIP,
		Status: string(f.Status), NativeStatus: f.NativeStatus, PortDetails: pd}
}

// FloatingIPFromProto is the inverse of FloatingIPToProto.
func FloatingIPFromProto(f *pb.FloatingIP) core.FloatingIP {
	var pd *core.PortDetails
	if d := f.PortDetails; d != nil {
		pd = &core.PortDetails{Status: core.NetStatus(d.Status), Name: d.Name, NetworkID: d.NetworkId, DeviceID: d.DeviceId, MACAddress: d.MacAddress}
	}
	return core.FloatingIP{Meta: MetaFromProto(f.Meta), ID: f.Id, FloatingNetworkID: f.FloatingNetworkId,
		FloatingIP: f.FloatingIp, SubnetID: f.SubnetId, PortID: f.PortId, FixedIP: f.FixedIp,
		Status: core.NetStatus(f.Status), NativeStatus: f.NativeStatus, PortDetails: pd}
}

// FloatingIPsToProto converts a list result.
func FloatingIPsToProto(l []core.FloatingIP) *pb.ListFloatingIPsResponse {
	if l == nil {
		return &pb.ListFloatingIPsResponse{}
	}
	return &pb.ListFloatingIPsResponse{List: &pb.FloatingIPList{Items: toList(l, FloatingIPToProto)}}
}

// FloatingIPsFromProto is the inverse of FloatingIPsToProto.
func FloatingIPsFromProto(r *pb.ListFloatingIPsResponse) []core.FloatingIP {
	if r.List == nil {
		return nil
	}
	return fromList(r.List.Items, FloatingIPFromProto)
}

// FloatingIPCreateToProto converts a create request.
func FloatingIPCreateToProto(r core.FloatingIPCreate) *pb.FloatingIPCreate {
	return &pb.FloatingIPCreate{Meta: CreateMetaToProto(r.CreateMeta), FloatingNetworkId: r.FloatingNetworkID,
		FloatingIp: r.FloatingIP, SubnetId: r.SubnetID, PortId: r.PortID, FixedIp: r.FixedIP}
}

// FloatingIPCreateFromProto is the inverse of FloatingIPCreateToProto.
func FloatingIPCreateFromProto(r *pb.FloatingIPCreate) core.FloatingIPCreate {
	return core.FloatingIPCreate{CreateMeta: CreateMetaFromProto(r.Meta), FloatingNetworkID: r.FloatingNetworkId,
		FloatingIP: r.FloatingIp, SubnetID: r.SubnetId, PortID: r.PortId, FixedIP: r.FixedIp}
}

// FloatingIPUpdateToProto converts an update.
func FloatingIPUpdateToProto(u core.FloatingIPUpdate) *pb.FloatingIPUpdate {
	return &pb.FloatingIPUpdate{PortId: u.PortID, FixedIp: u.FixedIP}
}

// FloatingIPUpdateFromProto is the inverse of FloatingIPUpdateToProto.
func FloatingIPUpdateFromProto(u *pb.FloatingIPUpdate) core.FloatingIPUpdate {
	return core.FloatingIPUpdate{PortID: u.GetPortId(), FixedIP: u.GetFixedIp()}
}

// PublicIPToProto converts a public IP.
func PublicIPToProto(p core.PublicIP) *pb.PublicIP {
	return &pb.PublicIP{Meta: MetaToProto(p.Meta), Id: p.ID, Name: p.Name, Address: p.Address,
		Status: string(p.Status), ServerId: p.ServerID, PrivateIp: p.PrivateIP}
}

// PublicIPFromProto is the inverse of PublicIPToProto.
func PublicIPFromProto(p *pb.PublicIP) core.PublicIP {
	return core.PublicIP{Meta: MetaFromProto(p.Meta), ID: p.Id, Name: p.Name, Address: p.Address,
		Status: core.NetStatus(p.Status), ServerID: p.ServerId, PrivateIP: p.PrivateIp}
}

// PublicIPsToProto converts a list result.
func PublicIPsToProto(l []core.PublicIP) *pb.ListPublicIPsResponse {
	if l == nil {
		return &pb.ListPublicIPsResponse{}
	}
	return &pb.ListPublicIPsResponse{List: &pb.PublicIPList{Items: toList(l, PublicIPToProto)}}
}

// PublicIPsFromProto is the inverse of PublicIPsToProto.
func PublicIPsFromProto(r *pb.ListPublicIPsResponse) []core.PublicIP {
	if r.List == nil {
		return nil
	}
	return fromList(r.List.Items, PublicIPFromProto)
}

// PublicIPCreateToProto converts a create request.
func PublicIPCreateToProto(r core.PublicIPCreate) *pb.PublicIPCreate {
	return &pb.PublicIPCreate{Meta: CreateMetaToProto(r.CreateMeta), Name: r.Name}
}

// PublicIPCreateFromProto is the inverse of PublicIPCreateToProto.
func PublicIPCreateFromProto(r *pb.PublicIPCreate) core.PublicIPCreate {
	return core.PublicIPCreate{CreateMeta: CreateMetaFromProto(r.Meta), Name: r.Name}
}

// PublicIPBindingToProto converts what a public IP is bound to.
func PublicIPBindingToProto(b core.PublicIPBinding) *pb.PublicIPBinding {
	return &pb.PublicIPBinding{ServerId: b.ServerID, PrivateIp: b.PrivateIP}
}

// PublicIPBindingFromProto is the inverse of PublicIPBindingToProto.
func PublicIPBindingFromProto(b *pb.PublicIPBinding) core.PublicIPBinding {
	return core.PublicIPBinding{ServerID: b.GetServerId(), PrivateIP: b.GetPrivateIp()}
}

func listenersToProto(l []core.Listener) *pb.ListenerList {
	if l == nil {
		return nil
	}
	return &pb.ListenerList{Items: toList(l, func(x core.Listener) *pb.Listener {
		return &pb.Listener{Id: x.ID, Protocol: x.Protocol, Port: int64(x.Port)}
	})}
}

func listenersFromProto(l *pb.ListenerList) []core.Listener {
	if l == nil {
		return nil
	}
	return fromList(l.Items, func(x *pb.Listener) core.Listener {
		return core.Listener{ID: x.Id, Protocol: x.Protocol, Port: int(x.Port)}
	})
}

// LoadBalancerToProto converts a load balancer.
func LoadBalancerToProto(lb core.LoadBalancer) *pb.LoadBalancer {
	var members *pb.MemberList
	if lb.Members != nil {
		members = &pb.MemberList{Items: toList(lb.Members, func(m core.Member) *pb.Member {
			return &pb.Member{ServerId: m.ServerID, Name: m.Name, Address: m.Address, Port: int64(m.Port)}
		})}
	}
	return &pb.LoadBalancer{Meta: MetaToProto(lb.Meta), Id: lb.ID, Name: lb.Name, Description: lb.Description,
		SubnetId: lb.SubnetID, VipAddress: lb.VIPAddress, Status: string(lb.Status), NativeStatus: lb.NativeStatus,
		Listeners: listenersToProto(lb.Listeners), Members: members}
}

// LoadBalancerFromProto is the inverse of LoadBalancerToProto.
func LoadBalancerFromProto(lb *pb.LoadBalancer) core.LoadBalancer {
	var members []core.Member
	if lb.Members != nil {
		members = fromList(lb.Members.Items, func(m *pb.Member) core.Member {
			return core.Member{ServerID: m.ServerId, Name: m.Name, Address: m.Address, Port: int(m.Port)}
		})
	}
	return core.LoadBalancer{Meta: MetaFromProto(lb.Meta), ID: lb.Id, Name: lb.Name, Description: lb.Description,
		SubnetID: lb.SubnetId, VIPAddress: lb.VipAddress, Status: core.LBStatus(lb.Status), NativeStatus: lb.NativeStatus,
		Listeners: listenersFromProto(lb.Listeners), Members: members}
}

// LoadBalancersToProto converts a list result.
func LoadBalancersToProto(l []core.LoadBalancer) *pb.ListLoadBalancersResponse {
	if l == nil {
		return &pb.ListLoadBalancersResponse{}
	}
	return &pb.ListLoadBalancersResponse{List: &pb.LoadBalancerList{Items: toList(l, LoadBalancerToProto)}}
}

// LoadBalancersFromProto is the inverse of LoadBalancersToProto.
func LoadBalancersFromProto(r *pb.ListLoadBalancersResponse) []core.LoadBalancer {
	if r.List == nil {
		return nil
	}
	return fromList(r.List.Items, LoadBalancerFromProto)
}

// LoadBalancerCreateToProto converts a create request.
func LoadBalancerCreateToProto(r core.LoadBalancerCreate) *pb.LoadBalancerCreate {
	return &pb.LoadBalancerCreate{Meta: CreateMetaToProto(r.CreateMeta), Name: r.Name, Description: r.Description,
		SubnetId: r.SubnetID, Listeners: listenersToProto(r.Listeners)}
}

// LoadBalancerCreateFromProto is the inverse of LoadBalancerCreateToProto.
func LoadBalancerCreateFromProto(r *pb.LoadBalancerCreate) core.LoadBalancerCreate {
	return core.LoadBalancerCreate{CreateMeta: CreateMetaFromProto(r.Meta), Name: r.Name, Description: r.Description,
		SubnetID: r.SubnetId, Listeners: listenersFromProto(r.Listeners)}
}

// MemberAddToProto converts a member to add.
func MemberAddToProto(m core.MemberAdd) *pb.MemberAdd {
	return &pb.MemberAdd{ServerId: m.ServerID, Port: int64(m.Port)}
}

// MemberAddFromProto is the inverse of MemberAddToProto.
func MemberAddFromProto(m *pb.MemberAdd) core.MemberAdd {
	return core.MemberAdd{ServerID: m.GetServerId(), Port: int(m.GetPort())}
}

// MemberRemoveToProto converts a member to remove.
func MemberRemoveToProto(m core.MemberRemove) *pb.MemberRemove {
	return &pb.MemberRemove{ServerId: m.ServerID, Address: m.Address}
}

// MemberRemoveFromProto is the inverse of MemberRemoveToProto.
func MemberRemoveFromProto(m *pb.MemberRemove) core.MemberRemove {
	return core.MemberRemove{ServerID: m.GetServerId(), Address: m.GetAddress()}
}

// SecurityGroupToProto converts a security group with its rules.
func SecurityGroupToProto(g core.SecurityGroup) *pb.SecurityGroup {
	var rules *pb.SecurityGroupRuleList
	if g.Rules != nil {
		rules = &pb.SecurityGroupRuleList{Items: toList(g.Rules, SecurityGroupRuleToProto)}
	}
	return &pb.SecurityGroup{Meta: MetaToProto(g.Meta), Id: g.ID, Name: g.Name, Description: g.Description, Rules: rules}
}

// SecurityGroupFromProto is the inverse of SecurityGroupToProto.
func SecurityGroupFromProto(g *pb.SecurityGroup) core.SecurityGroup {
	var rules []core.SecurityGroupRule
	if g.Rules != nil {
		rules = fromList(g.Rules.Items, SecurityGroupRuleFromProto)
	}
	return core.SecurityGroup{Meta: MetaFromProto(g.Meta), ID: g.Id, Name: g.Name, Description: g.Description, Rules: rules}
}

// SecurityGroupsToProto converts a list result.
func SecurityGroupsToProto(l []core.SecurityGroup) *pb.ListSecurityGroupsResponse {
	if l == nil {
		return &pb.ListSecurityGroupsResponse{}
	}
	return &pb.ListSecurityGroupsResponse{List: &pb.SecurityGroupList{Items: toList(l, SecurityGroupToProto)}}
}

// SecurityGroupsFromProto is the inverse of SecurityGroupsToProto.
func SecurityGroupsFromProto(r *pb.ListSecurityGroupsResponse) []core.SecurityGroup {
	if r.List == nil {
		return nil
	}
	return fromList(r.List.Items, SecurityGroupFromProto)
}

// SecurityGroupRuleToProto converts a rule; a nil port bound stays absent.
func SecurityGroupRuleToProto(r core.SecurityGroupRule) *pb.SecurityGroupRule {
	return &pb.SecurityGroupRule{Id: r.ID, GroupId: r.GroupID, Description: r.Description, Direction: r.Direction,
		EtherType: r.EtherType, Protocol: r.Protocol, PortRangeMin: intPtrToProto(r.PortRangeMin),
		PortRangeMax: intPtrToProto(r.PortRangeMax), RemoteIpPrefix: r.RemoteIPPrefix, RemoteGroupId: r.RemoteGroupID}
}

// SecurityGroupRuleFromProto is the inverse of SecurityGroupRuleToProto.
func SecurityGroupRuleFromProto(r *pb.SecurityGroupRule) core.SecurityGroupRule {
	return core.SecurityGroupRule{ID: r.Id, GroupID: r.GroupId, Description: r.Description, Direction: r.Direction,
		EtherType: r.EtherType, Protocol: r.Protocol, PortRangeMin: intPtrFromProto(r.PortRangeMin),
		PortRangeMax: intPtrFromProto(r.PortRangeMax), RemoteIPPrefix: r.RemoteIpPrefix, RemoteGroupID: r.RemoteGroupId}
}

// SecurityGroupCreateToProto converts a create request.
func SecurityGroupCreateToProto(r core.SecurityGroupCreate) *pb.SecurityGroupCreate {
	return &pb.SecurityGroupCreate{Meta: CreateMetaToProto(r.CreateMeta), Name: r.Name, Description: r.Description}
}

// SecurityGroupCreateFromProto is the inverse of SecurityGroupCreateToProto.
func SecurityGroupCreateFromProto(r *pb.SecurityGroupCreate) core.SecurityGroupCreate {
	return core.SecurityGroupCreate{CreateMeta: CreateMetaFromProto(r.Meta), Name: r.Name, Description: r.Description}
}

// SecurityGroupRuleCreateToProto converts a rule create request.
func SecurityGroupRuleCreateToProto(r core.SecurityGroupRuleCreate) *pb.SecurityGroupRuleCreate {
	return &pb.SecurityGroupRuleCreate{GroupId: r.GroupID, Description: r.Description, Direction: r.Direction,
		EtherType: r.EtherType, Protocol: r.Protocol, PortRangeMin: intPtrToProto(r.PortRangeMin),
		PortRangeMax: intPtrToProto(r.PortRangeMax), RemoteIpPrefix: r.RemoteIPPrefix, RemoteGroupId: r.RemoteGroupID}
}

// SecurityGroupRuleCreateFromProto is the inverse of SecurityGroupRuleCreateToProto.
func SecurityGroupRuleCreateFromProto(r *pb.SecurityGroupRuleCreate) core.SecurityGroupRuleCreate {
	return core.SecurityGroupRuleCreate{GroupID: r.GroupId, Description: r.Description, Direction: r.Direction,
		EtherType: r.EtherType, Protocol: r.Protocol, PortRangeMin: intPtrFromProto(r.PortRangeMin),
		PortRangeMax: intPtrFromProto(r.PortRangeMax), RemoteIPPrefix: r.RemoteIpPrefix, RemoteGroupID: r.RemoteGroupId}
}

// RouterToProto converts a router with its interfaces.
func RouterToProto(r core.Router) *pb.Router {
	var ifs *pb.RouterInterfaceList
	if r.Interfaces != nil {
		ifs = &pb.RouterInterfaceList{Items: toList(r.Interfaces, func(i core.RouterInterface) *pb.RouterInterface {
			return &pb.RouterInterface{SubnetId: i.SubnetID, PortId: i.PortID, IpAddress: i.IPAddress}
		})}
	}
	return &pb.Router{Meta: MetaToProto(r.Meta), Id: r.ID, Name: r.Name, ExternalNetworkId: r.ExternalNetworkID,
		Status: string(r.Status), NativeStatus: r.NativeStatus, Interfaces: ifs}
}

// RouterFromProto is the inverse of RouterToProto.
func RouterFromProto(r *pb.Router) core.Router {
	var ifs []core.RouterInterface
	if r.Interfaces != nil {
		ifs = fromList(r.Interfaces.Items, func(i *pb.RouterInterface) core.RouterInterface {
			return core.RouterInterface{SubnetID: i.SubnetId, PortID: i.PortId, IPAddress: i.IpAddress}
		})
	}
	return core.Router{Meta: MetaFromProto(r.Meta), ID: r.Id, Name: r.Name, ExternalNetworkID: r.ExternalNetworkId,
		Status: core.NetStatus(r.Status), NativeStatus: r.NativeStatus, Interfaces: ifs}
}

// RoutersToProto converts a list result.
func RoutersToProto(l []core.Router) *pb.ListRoutersResponse {
	if l == nil {
		return &pb.ListRoutersResponse{}
	}
	return &pb.ListRoutersResponse{List: &pb.RouterList{Items: toList(l, RouterToProto)}}
}

// RoutersFromProto is the inverse of RoutersToProto.
func RoutersFromProto(r *pb.ListRoutersResponse) []core.Router {
	if r.List == nil {
		return nil
	}
	return fromList(r.List.Items, RouterFromProto)
}

// RouterCreateToProto converts a create request.
func RouterCreateToProto(r core.RouterCreate) *pb.RouterCreate {
	return &pb.RouterCreate{Meta: CreateMetaToProto(r.CreateMeta), Name: r.Name, ExternalNetworkId: r.ExternalNetworkID}
}

// RouterCreateFromProto is the inverse of RouterCreateToProto.
func RouterCreateFromProto(r *pb.RouterCreate) core.RouterCreate {
	return core.RouterCreate{CreateMeta: CreateMetaFromProto(r.Meta), Name: r.Name, ExternalNetworkID: r.ExternalNetworkId}
}
