package convert

import (
	"github.com/gisiaas/gisiaas/core"
	pb "github.com/gisiaas/gisiaas/plugins/proto/driverpb"
)

// ServerToProto converts a server.
func ServerToProto(s core.Server) *pb.Server {
	var addrs *pb.ServerAddressList
	if s.Addresses != nil {
		addrs = &pb.ServerAddressList{Items: toList(s.Addresses, serverAddressToProto)}
	}
	return &pb.Server{
		Meta:             MetaToProto(s.Meta),
		Id:               s.ID,
		Name:             s.Name,
		Description:      s.Description,
		FlavorId:         s.FlavorID,
		ImageId:          s.ImageID,
		Status:           string(s.Status),
		NativeStatus:     s.NativeStatus,
		Host:             s.Host,
		VolumeIds:        stringsToProto(s.VolumeIDs),
		Addresses:        addrs,
		SecurityGroupIds: stringsToProto(s.SecurityGroupIDs),
		Metadata:         mapToProto(s.Metadata),
		PreviousFlavorId: s.PreviousFlavorID,
	}
}

// ServerFromProto is the inverse of ServerToProto.
func ServerFromProto(s *pb.Server) core.Server {
	var addrs []core.ServerAddress
	if s.Addresses != nil {
		addrs = fromList(s.Addresses.Items, serverAddressFromProto)
	}
	return core.Server{
		Meta:             MetaFromProto(s.Meta),
		ID:               s.Id,
		Name:             s.Name,
		Description:      s.Description,
		FlavorID:         s.FlavorId,
		ImageID:          s.ImageId,
		Status:           core.ServerStatus(s.Status),
		NativeStatus:     s.NativeStatus,
		Host:             s.Host,
		VolumeIDs:        stringsFromProto(s.VolumeIds),
		Addresses:        addrs,
		SecurityGroupIDs: stringsFromProto(s.SecurityGroupIds),
		Metadata:         mapFromProto(s.Metadata),
		PreviousFlavorID: s.PreviousFlavorId,
	}
}

func serverAddressToProto(a core.ServerAddress) *pb.ServerAddress {
	return &pb.ServerAddress{Kind: string(a.Kind), Address: a.Address, NetworkId: a.NetworkID, PortId: a.PortID, Mac: a.MAC}
}

func serverAddressFromProto(a *pb.ServerAddress) core.ServerAddress {
	return core.ServerAddress{Kind: core.AddressKind(a.Kind), Address: a.Address, NetworkID: a.NetworkId, PortID: a.PortId, MAC: a.Mac}
}

// ServersToProto converts a list result.
func ServersToProto(l []core.Server) *pb.ListServersResponse {
	if l == nil {
		return &pb.ListServersResponse{}
	}
	return &pb.ListServersResponse{List: &pb.ServerList{Items: toList(l, ServerToProto)}}
}

// ServersFromProto is the inverse of ServersToProto.
func ServersFromProto(r *pb.ListServersResponse) []core.Server {
	if r.List == nil {
		return nil
	}
	return fromList(r.List.Items, ServerFromProto)
}

// ServerCreateToProto converts a create request.
func ServerCreateToProto(r core.ServerCreate) *pb.ServerCreate {
	var nets *pb.NetworkAttachmentList
	if r.Networks != nil {
		nets = &pb.NetworkAttachmentList{Items: toList(r.Networks, func(n core.NetworkAttachment) *pb.NetworkAttachment {
			return &pb.NetworkAttachment{NetworkId: n.NetworkID, PortId: n.PortID, FixedIp: n.FixedIP}
		})}
	}
	var devs *pb.BlockDeviceList
	if r.BlockDevices != nil {
		devs = &pb.BlockDeviceList{Items: toList(r.BlockDevices, func(b core.BlockDevice) *pb.BlockDevice {
			return &pb.BlockDevice{SourceType: string(b.SourceType), Uuid: b.UUID, SizeGb: b.SizeGB, DeviceName: b.DeviceName}
		})}
	}
	return &pb.ServerCreate{
		Meta:             CreateMetaToProto(r.CreateMeta),
		Name:             r.Name,
		Description:      r.Description,
		FlavorId:         r.FlavorID,
		ImageId:          r.ImageID,
		Networks:         nets,
		BlockDevices:     devs,
		Metadata:         mapToProto(r.Metadata),
		UserData:         r.UserData, // optional bytes: nil is absent, empty is present
		SecurityGroupIds: stringsToProto(r.SecurityGroupIDs),
	}
}

// ServerCreateFromProto is the inverse of ServerCreateToProto.
func ServerCreateFromProto(r *pb.ServerCreate) core.ServerCreate {
	var nets []core.NetworkAttachment
	if r.Networks != nil {
		nets = fromList(r.Networks.Items, func(n *pb.NetworkAttachment) core.NetworkAttachment {
			return core.NetworkAttachment{NetworkID: n.NetworkId, PortID: n.PortId, FixedIP: n.FixedIp}
		})
	}
	var devs []core.BlockDevice
	if r.BlockDevices != nil {
		devs = fromList(r.BlockDevices.Items, func(b *pb.BlockDevice) core.BlockDevice {
			return core.BlockDevice{SourceType: core.BlockSource(b.SourceType), UUID: b.Uuid, SizeGB: b.SizeGb, DeviceName: b.DeviceName}
		})
	}
	return core.ServerCreate{
		CreateMeta:       CreateMetaFromProto(r.Meta),
		Name:             r.Name,
		Description:      r.Description,
		FlavorID:         r.FlavorId,
		ImageID:          r.ImageId,
		Networks:         nets,
		BlockDevices:     devs,
		Metadata:         mapFromProto(r.Metadata),
		UserData:         r.UserData,
		SecurityGroupIDs: stringsFromProto(r.SecurityGroupIds),
	}
}

// ServerUpdateToProto converts an update; a nil field stays absent.
func ServerUpdateToProto(u core.ServerUpdate) *pb.ServerUpdate {
	return &pb.ServerUpdate{Name: stringPtr(u.Name), Description: stringPtr(u.Description)}
}

// ServerUpdateFromProto is the inverse of ServerUpdateToProto.
func ServerUpdateFromProto(u *pb.ServerUpdate) core.ServerUpdate {
	if u == nil {
		return core.ServerUpdate{}
	}
	return core.ServerUpdate{Name: stringPtr(u.Name), Description: stringPtr(u.Description)}
}

// FlavorToProto converts a flavor.
func FlavorToProto(f core.Flavor) *pb.Flavor {
	return &pb.Flavor{Id: f.ID, Name: f.Name, Vcpus: f.VCPUs, MemoryMb: f.MemoryMB, DiskGb: f.DiskGB, Public: f.Public}
}

// FlavorFromProto is the inverse of FlavorToProto.
func FlavorFromProto(f *pb.Flavor) core.Flavor {
	return core.Flavor{ID: f.Id, Name: f.Name, VCPUs: f.Vcpus, MemoryMB: f.MemoryMb, DiskGB: f.DiskGb, Public: f.Public}
}

// FlavorsToProto converts a list result.
func FlavorsToProto(l []core.Flavor) *pb.ListFlavorsResponse {
	if l == nil {
		return &pb.ListFlavorsResponse{}
	}
	return &pb.ListFlavorsResponse{List: &pb.FlavorList{Items: toList(l, FlavorToProto)}}
}

// FlavorsFromProto is the inverse of FlavorsToProto.
func FlavorsFromProto(r *pb.ListFlavorsResponse) []core.Flavor {
	if r.List == nil {
		return nil
	}
	return fromList(r.List.Items, FlavorFromProto)
}

// FlavorCreateToProto converts a create request.
func FlavorCreateToProto(f core.FlavorCreate) *pb.FlavorCreate {
	return &pb.FlavorCreate{Id: f.ID, Name: f.Name, Vcpus: f.VCPUs, MemoryMb: f.MemoryMB, DiskGb: f.DiskGB, Public: f.Public}
}

// FlavorCreateFromProto is the inverse of FlavorCreateToProto.
func FlavorCreateFromProto(f *pb.FlavorCreate) core.FlavorCreate {
	return core.FlavorCreate{ID: f.Id, Name: f.Name, VCPUs: f.Vcpus, MemoryMB: f.MemoryMb, DiskGB: f.DiskGb, Public: f.Public}
}
