package convert

import (
	"github.com/gisiaas/gisiaas/core"
	pb "github.com/gisiaas/gisiaas/plugins/proto/driverpb"
)

// VolumeToProto converts a volume with its attachments.
func VolumeToProto(v core.Volume) *pb.Volume {
	var atts *pb.AttachmentList
	if v.Attachments != nil {
		atts = &pb.AttachmentList{Items: toList(v.Attachments, func(a core.Attachment) *pb.Attachment {
			return &pb.Attachment{ServerId: a.ServerID, Mountpoint: a.Mountpoint, Mode: a.Mode, AttachedAt: timeToProto(a.AttachedAt)}
		})}
	}
	return &pb.Volume{Meta: MetaToProto(v.Meta), Id: v.ID, Name: v.Name, Description: v.Description, SizeGb: v.SizeGB,
		VolumeType: v.VolumeType, Shareable: v.Shareable, Host: v.Host, Status: string(v.Status),
		NativeStatus: v.NativeStatus, Attachments: atts, SnapshotId: v.SnapshotID, ImageId: v.ImageID}
}

// VolumeFromProto is the inverse of VolumeToProto.
func VolumeFromProto(v *pb.Volume) core.Volume {
	var atts []core.Attachment
	if v.Attachments != nil {
		atts = fromList(v.Attachments.Items, func(a *pb.Attachment) core.Attachment {
			return core.Attachment{ServerID: a.ServerId, Mountpoint: a.Mountpoint, Mode: a.Mode, AttachedAt: timeFromProto(a.AttachedAt)}
		})
	}
	return core.Volume{Meta: MetaFromProto(v.Meta), ID: v.Id, Name: v.Name, Description: v.Description, SizeGB: v.SizeGb,
		VolumeType: v.VolumeType, Shareable: v.Shareable, Host: v.Host, Status: core.VolumeStatus(v.Status),
		NativeStatus: v.NativeStatus, Attachments: atts, SnapshotID: v.SnapshotId, ImageID: v.ImageId}
}

// VolumesToProto converts a list result.
func VolumesToProto(l []core.Volume) *pb.ListVolumesResponse {
	if l == nil {
		return &pb.ListVolumesResponse{}
	}
	return &pb.ListVolumesResponse{List: &pb.VolumeList{Items: toList(l, VolumeToProto)}}
}

// VolumesFromProto is the inverse of VolumesToProto.
func VolumesFromProto(r *pb.ListVolumesResponse) []core.Volume {
	if r.List == nil {
		return nil
	}
	return fromList(r.List.Items, VolumeFromProto)
}

// VolumeCreateToProto converts a create request.
func VolumeCreateToProto(r core.VolumeCreate) *pb.VolumeCreate {
	return &pb.VolumeCreate{Meta: CreateMetaToProto(r.CreateMeta), Name: r.Name, Description: r.Description,
		SizeGb: r.SizeGB, VolumeType: r.VolumeType, Shareable: r.Shareable, SnapshotId: r.SnapshotID, ImageId: r.ImageID}
}

// VolumeCreateFromProto is the inverse of VolumeCreateToProto.
func VolumeCreateFromProto(r *pb.VolumeCreate) core.VolumeCreate {
	return core.VolumeCreate{CreateMeta: CreateMetaFromProto(r.Meta), Name: r.Name, Description: r.Description,
		SizeGB: r.SizeGb, VolumeType: r.VolumeType, Shareable: r.Shareable, SnapshotID: r.SnapshotId, ImageID: r.ImageId}
}

// VolumeAttachToProto converts an attach request.
func VolumeAttachToProto(a core.VolumeAttach) *pb.VolumeAttach {
	return &pb.VolumeAttach{ServerId: a.ServerID, ServerName: a.ServerName, Mode: a.Mode, Mountpoint: a.Mountpoint}
}

// VolumeAttachFromProto is the inverse of VolumeAttachToProto.
func VolumeAttachFromProto(a *pb.VolumeAttach) core.VolumeAttach {
	return core.VolumeAttach{ServerID: a.GetServerId(), ServerName: a.GetServerName(), Mode: a.GetMode(), Mountpoint: a.GetMountpoint()}
}

// VolumeSnapshotToProto converts a volume snapshot.
func VolumeSnapshotToProto(s core.VolumeSnapshot) *pb.VolumeSnapshot {
	return &pb.VolumeSnapshot{Meta: MetaToProto(s.Meta), Id: s.ID, Name: s.Name, Description: s.Description,
		VolumeId: s.VolumeID, SizeGb: s.SizeGB, Status: string(s.Status), NativeStatus: s.NativeStatus}
}

// VolumeSnapshotFromProto is the inverse of VolumeSnapshotToProto.
func VolumeSnapshotFromProto(s *pb.VolumeSnapshot) core.VolumeSnapshot {
	return core.VolumeSnapshot{Meta: MetaFromProto(s.Meta), ID: s.Id, Name: s.Name, Description: s.Description,
		VolumeID: s.VolumeId, SizeGB: s.SizeGb, Status: core.SnapshotStatus(s.Status), NativeStatus: s.NativeStatus}
}

// VolumeSnapshotsToProto converts a list result.
func VolumeSnapshotsToProto(l []core.VolumeSnapshot) *pb.ListVolumeSnapshotsResponse {
	if l == nil {
		return &pb.ListVolumeSnapshotsResponse{}
	}
	return &pb.ListVolumeSnapshotsResponse{List: &pb.VolumeSnapshotList{Items: toList(l, VolumeSnapshotToProto)}}
}

// VolumeSnapshotsFromProto is the inverse of VolumeSnapshotsToProto.
func VolumeSnapshotsFromProto(r *pb.ListVolumeSnapshotsResponse) []core.VolumeSnapshot {
	if r.List == nil {
		return nil
	}
	return fromList(r.List.Items, VolumeSnapshotFromProto)
}

// VolumeSnapshotCreateToProto converts a create request.
func VolumeSnapshotCreateToProto(r core.VolumeSnapshotCreate) *pb.VolumeSnapshotCreate {
	return &pb.VolumeSnapshotCreate{Meta: CreateMetaToProto(r.CreateMeta), VolumeId: r.VolumeID, Name: r.Name,
		Description: r.Description, Force: r.Force}
}

// VolumeSnapshotCreateFromProto is the inverse of VolumeSnapshotCreateToProto.
func VolumeSnapshotCreateFromProto(r *pb.VolumeSnapshotCreate) core.VolumeSnapshotCreate {
	return core.VolumeSnapshotCreate{CreateMeta: CreateMetaFromProto(r.Meta), VolumeID: r.VolumeId, Name: r.Name,
		Description: r.Description, Force: r.Force}
}

// BackupToProto converts a backup.
func BackupToProto(b core.Backup) *pb.Backup {
	return &pb.Backup{Meta: MetaToProto(b.Meta), Id: b.ID, Name: b.Name, Description: b.Description,
		VolumeId: b.VolumeID, Kind: string(b.Kind), SizeGb: b.SizeGB, Status: string(b.Status),
		NativeStatus: b.NativeStatus, ParentId: b.ParentID}
}

// BackupFromProto is the inverse of BackupToProto.
func BackupFromProto(b *pb.Backup) core.Backup {
	return core.Backup{Meta: MetaFromProto(b.Meta), ID: b.Id, Name: b.Name, Description: b.Description,
		VolumeID: b.VolumeId, Kind: core.BackupKind(b.Kind), SizeGB: b.SizeGb, Status: core.SnapshotStatus(b.Status),
		NativeStatus: b.NativeStatus, ParentID: b.ParentId}
}

// BackupsToProto converts a list result.
func BackupsToProto(l []core.Backup) *pb.ListBackupsResponse {
	if l == nil {
		return &pb.ListBackupsResponse{}
	}
	return &pb.ListBackupsResponse{List: &pb.BackupList{Items: toList(l, BackupToProto)}}
}

// BackupsFromProto is the inverse of BackupsToProto.
func BackupsFromProto(r *pb.ListBackupsResponse) []core.Backup {
	if r.List == nil {
		return nil
	}
	return fromList(r.List.Items, BackupFromProto)
}

// BackupCreateToProto converts a create request.
func BackupCreateToProto(r core.BackupCreate) *pb.BackupCreate {
	return &pb.BackupCreate{Meta: CreateMetaToProto(r.CreateMeta), VolumeId: r.VolumeID, Name: r.Name,
		Description: r.Description, Kind: string(r.Kind)}
}

// BackupCreateFromProto is the inverse of BackupCreateToProto.
func BackupCreateFromProto(r *pb.BackupCreate) core.BackupCreate {
	return core.BackupCreate{CreateMeta: CreateMetaFromProto(r.Meta), VolumeID: r.VolumeId, Name: r.Name,
		Description: r.Description, Kind: core.BackupKind(r.Kind)}
}
