// Package convert turns core values into driver protocol messages and back.
//
// The rule every function keeps, which the round-trip tests enforce: a
// value that goes core → proto → core comes back reflect.DeepEqual-equal,
// provided its times are UTC without a monotonic reading (what a driver
// should return; any other time comes back as the same instant in UTC).
// In particular nil and empty differ and both survive: a nil slice or map
// is an absent wrapper message, an empty one a present wrapper with no
// items; a nil pointer (*int port bound, *string update, *PortDetails) is
// an absent optional field. A zero time.Time is an absent Timestamp.
//
// Encoders may share slices and maps with their input: a message is
// marshalled right away and never kept.
package convert

import (
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/gisiaas/gisiaas/core"
	pb "github.com/gisiaas/gisiaas/plugins/proto/driverpb"
)

// toList converts every element of in; nil stays nil.
func toList[T any, P any](in []T, f func(T) P) []P {
	if in == nil {
		return nil
	}
	out := make([]P, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

// fromList converts the items of a present wrapper: the result is never
// nil, because a present wrapper stands for a non-nil slice.
func fromList[P any, T any](in []P, f func(P) T) []T {
	out := make([]T, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

func stringsToProto(s []string) *pb.StringList {
	if s == nil {
		return nil
	}
	return &pb.StringList{Values: s}
}

func stringsFromProto(l *pb.StringList) []string {
	if l == nil {
		return nil
	}
	if l.Values == nil {
		return []string{}
	}
	return l.Values
}

func mapToProto(m map[string]string) *pb.StringMap {
	if m == nil {
		return nil
	}
	out := &pb.StringMap{Keys: make([]string, 0, len(m)), Values: make([]string, 0, len(m))}
	for k, v := range m {
		out.Keys = append(out.Keys, k)
		out.Values = append(out.Values, v)
	}
	return out
}

// mapFromProto rebuilds a map; entries without a value (a peer that sent
// fewer values than keys) get "", never a panic.
func mapFromProto(m *pb.StringMap) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m.Keys))
	for i, k := range m.Keys {
		if i < len(m.Values) {
			out[k] = m.Values[i]
		} else {
			out[k] = ""
		}
	}
	return out
}

func timeToProto(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// timeFromProto returns the instant in UTC; Go's UTC times carry no
// location pointer, so a UTC time round-trips DeepEqual-equal.
func timeFromProto(t *timestamppb.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.AsTime()
}

func intPtrToProto(p *int) *int64 {
	if p == nil {
		return nil
	}
	v := int64(*p)
	return &v
}

func intPtrFromProto(p *int64) *int {
	if p == nil {
		return nil
	}
	v := int(*p)
	return &v
}

func stringPtr(p *string) *string {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// MetaToProto converts the metadata every resource carries.
func MetaToProto(m core.Meta) *pb.Meta {
	return &pb.Meta{
		ProjectId:    m.ProjectID,
		DatacenterId: m.DatacenterID,
		Tags:         mapToProto(m.Tags),
		CreatedAt:    timeToProto(m.CreatedAt),
		UpdatedAt:    timeToProto(m.UpdatedAt),
	}
}

// MetaFromProto is the inverse of MetaToProto.
func MetaFromProto(m *pb.Meta) core.Meta {
	if m == nil {
		return core.Meta{}
	}
	return core.Meta{
		ProjectID:    m.ProjectId,
		DatacenterID: m.DatacenterId,
		Tags:         mapFromProto(m.Tags),
		CreatedAt:    timeFromProto(m.CreatedAt),
		UpdatedAt:    timeFromProto(m.UpdatedAt),
	}
}

// CreateMetaToProto converts the metadata of a create request.
func CreateMetaToProto(m core.CreateMeta) *pb.CreateMeta {
	return &pb.CreateMeta{
		ProjectId:    m.ProjectID,
		DatacenterId: m.DatacenterID,
		ClientToken:  m.ClientToken,
		Tags:         mapToProto(m.Tags),
	}
}

// CreateMetaFromProto is the inverse of CreateMetaToProto.
func CreateMetaFromProto(m *pb.CreateMeta) core.CreateMeta {
	if m == nil {
		return core.CreateMeta{}
	}
	return core.CreateMeta{
		ProjectID:    m.ProjectId,
		DatacenterID: m.DatacenterId,
		ClientToken:  m.ClientToken,
		Tags:         mapFromProto(m.Tags),
	}
}

// ListOptionsToProto converts list filters.
func ListOptionsToProto(o core.ListOptions) *pb.ListOptions {
	return &pb.ListOptions{ProjectId: o.ProjectID, DatacenterId: o.DatacenterID}
}

// ListOptionsFromProto is the inverse of ListOptionsToProto.
func ListOptionsFromProto(o *pb.ListOptions) core.ListOptions {
	return core.ListOptions{ProjectID: o.GetProjectId(), DatacenterID: o.GetDatacenterId()}
}

// DriverInfoToProto converts a driver's description.
func DriverInfoToProto(i core.DriverInfo) *pb.DriverInfo {
	var caps *pb.StringList
	if i.Capabilities != nil {
		caps = &pb.StringList{Values: toList(i.Capabilities, func(c core.Clause) string { return string(c) })}
	}
	return &pb.DriverInfo{
		Name:         i.Name,
		Version:      i.Version,
		Capabilities: caps,
		StateTimeout: durationpb.New(i.StateTimeout),
		CanReplay:    i.CanReplay,
	}
}

// DriverInfoFromProto is the inverse of DriverInfoToProto.
func DriverInfoFromProto(i *pb.DriverInfo) core.DriverInfo {
	var caps []core.Clause
	if i.Capabilities != nil {
		caps = fromList(i.Capabilities.Values, func(s string) core.Clause { return core.Clause(s) })
	}
	return core.DriverInfo{
		Name:         i.Name,
		Version:      i.Version,
		Capabilities: caps,
		StateTimeout: i.StateTimeout.AsDuration(),
		CanReplay:    i.CanReplay,
	}
}

// EventToProto converts a lifecycle event.
func EventToProto(e core.Event) *pb.Event {
	a := e.Attributes
	return &pb.Event{
		Id:           e.ID,
		Cursor:       e.Cursor,
		ResourceType: string(e.ResourceType),
		ResourceId:   e.ResourceID,
		DatacenterId: e.DatacenterID,
		ProjectId:    e.ProjectID,
		FromState:    e.FromState,
		ToState:      e.ToState,
		Attributes: &pb.EventAttributes{
			Name:           a.Name,
			FlavorId:       a.FlavorID,
			Vcpus:          a.VCPUs,
			MemoryMb:       a.MemoryMB,
			DiskGb:         a.DiskGB,
			SizeGb:         a.SizeGB,
			VolumeType:     a.VolumeType,
			ImageId:        a.ImageID,
			ImageType:      string(a.ImageType),
			ImageSizeBytes: a.ImageSizeBytes,
			FromSnapshot:   a.FromSnapshot,
			BackupKind:     string(a.BackupKind),
			ServerId:       a.ServerID,
			Host:           a.Host,
		},
		Time: timeToProto(e.Time),
	}
}

// EventFromProto is the inverse of EventToProto.
func EventFromProto(e *pb.Event) core.Event {
	a := e.Attributes
	return core.Event{
		ID:           e.Id,
		Cursor:       e.Cursor,
		ResourceType: core.ResourceType(e.ResourceType),
		ResourceID:   e.ResourceId,
		DatacenterID: e.DatacenterId,
		ProjectID:    e.ProjectId,
		FromState:    e.FromState,
		ToState:      e.ToState,
		Attributes: core.EventAttributes{
			Name:           a.GetName(),
			FlavorID:       a.GetFlavorId(),
			VCPUs:          a.GetVcpus(),
			MemoryMB:       a.GetMemoryMb(),
			DiskGB:         a.GetDiskGb(),
			SizeGB:         a.GetSizeGb(),
			VolumeType:     a.GetVolumeType(),
			ImageID:        a.GetImageId(),
			ImageType:      core.ImageType(a.GetImageType()),
			ImageSizeBytes: a.GetImageSizeBytes(),
			FromSnapshot:   a.GetFromSnapshot(),
			BackupKind:     core.BackupKind(a.GetBackupKind()),
			ServerID:       a.GetServerId(),
			Host:           a.GetHost(),
		},
		Time: timeFromProto(e.Time),
	}
}
