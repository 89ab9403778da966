package core

import (
	"context"
	"time"
)

// Volume is a block-storage volume (B.4.1).
type Volume struct {
	Meta
	ID           string       `json:"id"`
	Name         string       `json:"name"`
	Description  string       `json:"description,omitempty"`
	SizeGB       int64        `json:"size_gb"`
	VolumeType   string       `json:"volume_type"`
	Shareable    bool         `json:"shareable"` // may attach to several servers at once
	Host         string       `json:"host,omitempty"`
	Status       VolumeStatus `json:"status"`
	NativeStatus string       `json:"native_status,omitempty"`
	Attachments  []Attachment `json:"attachments"`
	// SnapshotID and ImageID name the source of a volume created from one.
	SnapshotID string `json:"snapshot_id,omitempty"`
	ImageID    string `json:"image_id,omitempty"`
}

// Attachment of a volume to a server (B.4.1.3).
type Attachment struct {
	ServerID   string    `json:"server_id"`
	Mountpoint string    `json:"mountpoint"`
	Mode       string    `json:"mode"` // rw | ro
	AttachedAt time.Time `json:"attached_at"`
}

// VolumeCreate is the input of CreateVolume (B.4.1.1).
type VolumeCreate struct {
	CreateMeta
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	SizeGB      int64  `json:"size_gb"`
	VolumeType  string `json:"volume_type,omitempty"` // empty: the datacenter's default type
	Shareable   bool   `json:"shareable,omitempty"`
	SnapshotID  string `json:"snapshot_id,omitempty"`
	ImageID     string `json:"image_id,omitempty"`
}

// VolumeAttach is the input of AttachVolume (B.4.1.4).
type VolumeAttach struct {
	ServerID   string `json:"server_id"`
	ServerName string `json:"server_name,omitempty"`
	Mode       string `json:"mode,omitempty"` // rw (default) | ro
	Mountpoint string `json:"mountpoint,omitempty"`
}

// Volumes manages volumes (B.4.1).
//
// Attaching a volume that is in use (and not shareable) is Conflict;
// extending to a size not strictly larger is InvalidArgument; deleting an
// attached volume, or one with snapshots, is Conflict.
type Volumes interface {
	CreateVolume(ctx context.Context, req VolumeCreate) (Volume, error)
	GetVolume(ctx context.Context, id string) (Volume, error)
	ListVolumes(ctx context.Context, opts ListOptions) ([]Volume, error)
	DeleteVolume(ctx context.Context, id string) error
	AttachVolume(ctx context.Context, id string, req VolumeAttach) (Volume, error)
	DetachVolume(ctx context.Context, id, serverID string) (Volume, error)
	ExtendVolume(ctx context.Context, id string, newSizeGB int64) (Volume, error)
}
