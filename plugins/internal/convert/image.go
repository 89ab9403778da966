package convert

import (
	"fmt"
	"math"

	"github.com/gisiaas/gisiaas/core"
	pb "github.com/gisiaas/gisiaas/plugins/proto/driverpb"
)

// ImageToProto converts an image.
func ImageToProto(i core.Image) *pb.Image {
	return &pb.Image{
		Meta:            MetaToProto(i.Meta),
		Id:              i.ID,
		Name:            i.Name,
		Type:            string(i.Type),
		Description:     i.Description,
		Status:          string(i.Status),
		NativeStatus:    i.NativeStatus,
		Architecture:    i.Architecture,
		FileLocation:    i.FileLocation,
		OwnerId:         i.OwnerID,
		ImageTags:       stringsToProto(i.ImageTags),
		Visibility:      string(i.Visibility),
		Protected:       i.Protected,
		MinRamMb:        i.MinRAMMB,
		MinDiskGb:       i.MinDiskGB,
		SizeBytes:       i.SizeBytes,
		DiskFormat:      i.DiskFormat,
		ContainerFormat: i.ContainerFormat,
		Checksum:        i.Checksum,
		SourceServerId:  i.SourceServerID,
		Properties:      mapToProto(i.Properties),
	}
}

// ImageFromProto is the inverse of ImageToProto.
func ImageFromProto(i *pb.Image) core.Image {
	return core.Image{
		Meta:            MetaFromProto(i.Meta),
		ID:              i.Id,
		Name:            i.Name,
		Type:            core.ImageType(i.Type),
		Description:     i.Description,
		Status:          core.ImageStatus(i.Status),
		NativeStatus:    i.NativeStatus,
		Architecture:    i.Architecture,
		FileLocation:    i.FileLocation,
		OwnerID:         i.OwnerId,
		ImageTags:       stringsFromProto(i.ImageTags),
		Visibility:      core.Visibility(i.Visibility),
		Protected:       i.Protected,
		MinRAMMB:        i.MinRamMb,
		MinDiskGB:       i.MinDiskGb,
		SizeBytes:       i.SizeBytes,
		DiskFormat:      i.DiskFormat,
		ContainerFormat: i.ContainerFormat,
		Checksum:        i.Checksum,
		SourceServerID:  i.SourceServerId,
		Properties:      mapFromProto(i.Properties),
	}
}

// ImagesToProto converts a list result.
func ImagesToProto(l []core.Image) *pb.ListImagesResponse {
	if l == nil {
		return &pb.ListImagesResponse{}
	}
	return &pb.ListImagesResponse{List: &pb.ImageList{Items: toList(l, ImageToProto)}}
}

// ImagesFromProto is the inverse of ImagesToProto.
func ImagesFromProto(r *pb.ListImagesResponse) []core.Image {
	if r.List == nil {
		return nil
	}
	return fromList(r.List.Items, ImageFromProto)
}

// ImageCreateToProto converts a create request.
func ImageCreateToProto(r core.ImageCreate) *pb.ImageCreate {
	return &pb.ImageCreate{
		Meta:         CreateMetaToProto(r.CreateMeta),
		Name:         r.Name,
		Type:         string(r.Type),
		Description:  r.Description,
		ServerId:     r.ServerID,
		Visibility:   string(r.Visibility),
		DiskFormat:   r.DiskFormat,
		Architecture: r.Architecture,
		MinRamMb:     r.MinRAMMB,
		MinDiskGb:    r.MinDiskGB,
		Protected:    r.Protected,
		ImageTags:    stringsToProto(r.ImageTags),
	}
}

// ImageCreateFromProto is the inverse of ImageCreateToProto.
func ImageCreateFromProto(r *pb.ImageCreate) core.ImageCreate {
	return core.ImageCreate{
		CreateMeta:   CreateMetaFromProto(r.Meta),
		Name:         r.Name,
		Type:         core.ImageType(r.Type),
		Description:  r.Description,
		ServerID:     r.ServerId,
		Visibility:   core.Visibility(r.Visibility),
		DiskFormat:   r.DiskFormat,
		Architecture: r.Architecture,
		MinRAMMB:     r.MinRamMb,
		MinDiskGB:    r.MinDiskGb,
		Protected:    r.Protected,
		ImageTags:    stringsFromProto(r.ImageTags),
	}
}

// ImageUploadToProto converts the description of an upload.
func ImageUploadToProto(u core.ImageUpload) *pb.ImageUpload {
	return &pb.ImageUpload{DiskFormat: u.DiskFormat, Source: u.Source}
}

// ImageUploadFromProto is the inverse of ImageUploadToProto.
func ImageUploadFromProto(u *pb.ImageUpload) core.ImageUpload {
	return core.ImageUpload{DiskFormat: u.GetDiskFormat(), Source: u.GetSource()}
}

// PatchOpsToProto converts an image patch. A value whose Go type has no
// counterpart in PatchValue is InvalidArgument: it could not cross intact.
func PatchOpsToProto(ops []core.PatchOp) (*pb.PatchOpList, error) {
	if ops == nil {
		return nil, nil
	}
	out := &pb.PatchOpList{Items: make([]*pb.PatchOp, len(ops))}
	for i, op := range ops {
		v, err := patchValueToProto(op.Value)
		if err != nil {
			return nil, &core.Error{Kind: core.InvalidArgument, Op: "UpdateImage",
				Message: fmt.Sprintf("patch[%d].value: %v", i, err)}
		}
		out.Items[i] = &pb.PatchOp{Op: op.Op, Path: op.Path, Value: v}
	}
	return out, nil
}

// PatchOpsFromProto is the inverse of PatchOpsToProto.
func PatchOpsFromProto(l *pb.PatchOpList) ([]core.PatchOp, error) {
	if l == nil {
		return nil, nil
	}
	out := make([]core.PatchOp, len(l.Items))
	for i, op := range l.Items {
		v, err := patchValueFromProto(op.Value)
		if err != nil {
			return nil, &core.Error{Kind: core.InvalidArgument, Op: "UpdateImage",
				Message: fmt.Sprintf("patch[%d].value: %v", i, err)}
		}
		out[i] = core.PatchOp{Op: op.Op, Path: op.Path, Value: v}
	}
	return out, nil
}

// patchValueToProto keeps the Go type of v, since ApplyImagePatch tells
// them apart. nil is an absent value. A []string or []any, nil or not,
// arrives non-nil: the value is data, never compared for nil-ness.
func patchValueToProto(v any) (*pb.PatchValue, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		return &pb.PatchValue{Kind: &pb.PatchValue_StringValue{StringValue: x}}, nil
	case bool:
		return &pb.PatchValue{Kind: &pb.PatchValue_BoolValue{BoolValue: x}}, nil
	case float64:
		return &pb.PatchValue{Kind: &pb.PatchValue_Float64Value{Float64Value: x}}, nil
	case int:
		return &pb.PatchValue{Kind: &pb.PatchValue_IntValue{IntValue: int64(x)}}, nil
	case int64:
		return &pb.PatchValue{Kind: &pb.PatchValue_Int64Value{Int64Value: x}}, nil
	case []string:
		return &pb.PatchValue{Kind: &pb.PatchValue_StringList{StringList: &pb.StringList{Values: x}}}, nil
	case []any:
		l := &pb.PatchValueList{Items: make([]*pb.PatchValue, len(x))}
		for i, e := range x {
			pv, err := patchValueToProto(e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			if pv == nil {
				pv = &pb.PatchValue{} // a nil element: no kind set
			}
			l.Items[i] = pv
		}
		return &pb.PatchValue{Kind: &pb.PatchValue_ListValue{ListValue: l}}, nil
	case map[string]any:
		m := &pb.PatchValueMap{Entries: make(map[string]*pb.PatchValue, len(x))}
		for k, e := range x {
			pv, err := patchValueToProto(e)
			if err != nil {
				return nil, fmt.Errorf("[%q]: %w", k, err)
			}
			if pv == nil {
				pv = &pb.PatchValue{}
			}
			m.Entries[k] = pv
		}
		return &pb.PatchValue{Kind: &pb.PatchValue_MapValue{MapValue: m}}, nil
	default:
		return nil, fmt.Errorf("a value of type %T cannot cross the plugin boundary (use string, bool, float64, int, int64, []string, []any or map[string]any)", v)
	}
}

func patchValueFromProto(v *pb.PatchValue) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch k := v.Kind.(type) {
	case nil:
		return nil, nil
	case *pb.PatchValue_StringValue:
		return k.StringValue, nil
	case *pb.PatchValue_BoolValue:
		return k.BoolValue, nil
	case *pb.PatchValue_Float64Value:
		return k.Float64Value, nil
	case *pb.PatchValue_IntValue:
		if k.IntValue > math.MaxInt || k.IntValue < math.MinInt {
			return nil, fmt.Errorf("%d overflows int", k.IntValue)
		}
		return int(k.IntValue), nil
	case *pb.PatchValue_Int64Value:
		return k.Int64Value, nil
	case *pb.PatchValue_StringList:
		return append([]string{}, k.StringList.GetValues()...), nil
	case *pb.PatchValue_ListValue:
		out := make([]any, len(k.ListValue.GetItems()))
		for i, e := range k.ListValue.GetItems() {
			x, err := patchValueFromProto(e)
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	case *pb.PatchValue_MapValue:
		out := make(map[string]any, len(k.MapValue.GetEntries()))
		for key, e := range k.MapValue.GetEntries() {
			x, err := patchValueFromProto(e)
			if err != nil {
				return nil, err
			}
			out[key] = x
		}
		return out, nil
	default:
		return nil, fmt.Errorf("unknown value kind %T (a newer protocol?)", k)
	}
}
