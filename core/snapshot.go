package core

import "context"

// VolumeSnapshot is a point-in-time copy of a volume (X.1).
type VolumeSnapshot struct {
	Meta
	ID           string         `json:"id"`
	Name         string         `json:"name"`
	Description  string         `json:"description,omitempty"`
	VolumeID     string         `json:"volume_id"`
	SizeGB       int64          `json:"size_gb"`
	Status       SnapshotStatus `json:"status"`
	NativeStatus string         `json:"native_status,omitempty"`
}

// VolumeSnapshotCreate is the input of CreateVolumeSnapshot (X.1). Force
// allows a snapshot of an in-use volume.
type VolumeSnapshotCreate struct {
	CreateMeta
	VolumeID    string `json:"volume_id"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	Force       bool   `json:"force,omitempty"`
}

// VolumeSnapshots manages volume snapshots (X.1, optional).
type VolumeSnapshots interface {
	CreateVolumeSnapshot(ctx context.Context, req VolumeSnapshotCreate) (VolumeSnapshot, error)
	GetVolumeSnapshot(ctx context.Context, id string) (VolumeSnapshot, error)
	ListVolumeSnapshots(ctx context.Context, opts ListOptions) ([]VolumeSnapshot, error)
	DeleteVolumeSnapshot(ctx context.Context, id string) error
}
