package core

import (
	"context"
	"io"
)

// ImageType tells a plain image from a snapshot of a server (B.2.3.1), which
// billing prices as a server snapshot.
type ImageType string

// Image types.
const (
	ImageTypeImage    ImageType = "image"
	ImageTypeSnapshot ImageType = "snapshot"
)

// Visibility of an image.
type Visibility string

// Image visibilities.
const (
	VisibilityPublic  Visibility = "public"
	VisibilityPrivate Visibility = "private"
)

// Image is a bootable disk image (B.2.3.4).
type Image struct {
	Meta
	ID           string      `json:"id"`
	Name         string      `json:"name"`
	Type         ImageType   `json:"type"`
	Description  string      `json:"description,omitempty"`
	Status       ImageStatus `json:"status"`
	NativeStatus string      `json:"native_status,omitempty"`
	// Architecture is x86_64 or aarch64.
	Architecture    string            `json:"architecture,omitempty"`
	FileLocation    string            `json:"file_location,omitempty"`
	OwnerID         string            `json:"owner_id,omitempty"`
	ImageTags       []string          `json:"image_tags"`
	Visibility      Visibility        `json:"visibility"`
	Protected       bool              `json:"protected"`
	MinRAMMB        int64             `json:"min_ram_mb"`
	MinDiskGB       int64             `json:"min_disk_gb"`
	SizeBytes       int64             `json:"size_bytes"`
	DiskFormat      string            `json:"disk_format,omitempty"`
	ContainerFormat string            `json:"container_format,omitempty"`
	Checksum        string            `json:"checksum,omitempty"` // hex SHA-256 of the data
	SourceServerID  string            `json:"source_server_id,omitempty"`
	Properties      map[string]string `json:"properties,omitempty"` // further attributes a patch may add
}

// ImageCreate is the input of CreateImage. With ServerID it snapshots that
// server (B.2.3.1); without it, it registers an empty image (queued) whose
// data comes with UploadImage (B.2.3.2).
type ImageCreate struct {
	CreateMeta
	Name         string     `json:"name"`
	Type         ImageType  `json:"type"`
	Description  string     `json:"description,omitempty"`
	ServerID     string     `json:"server_id,omitempty"`
	Visibility   Visibility `json:"visibility,omitempty"`
	DiskFormat   string     `json:"disk_format,omitempty"`
	Architecture string     `json:"architecture,omitempty"`
	MinRAMMB     int64      `json:"min_ram_mb,omitempty"`
	MinDiskGB    int64      `json:"min_disk_gb,omitempty"`
	Protected    bool       `json:"protected,omitempty"`
	ImageTags    []string   `json:"image_tags,omitempty"`
}

// ImageUpload describes the data of UploadImage (B.2.3.2).
type ImageUpload struct {
	// DiskFormat is required: raw, qcow2, vmdk, vdi, vhd, vhdx, iso, ami, ari, aki.
	DiskFormat string `json:"disk_format"`
	// Source names where the data came from (a file name or URL), for the record.
	Source string `json:"source,omitempty"`
}

// PatchOp is one operation of an image update (B.2.3.5).
type PatchOp struct {
	Op    string `json:"op"` // add | replace | remove
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

// Images manages images (B.2.3).
type Images interface {
	CreateImage(ctx context.Context, req ImageCreate) (Image, error)
	// UploadImage streams data into a queued image; the driver must not hold
	// the whole of it in memory. Uploading to an image that has data is Conflict.
	UploadImage(ctx context.Context, id string, opts ImageUpload, data io.Reader) (Image, error)
	GetImage(ctx context.Context, id string) (Image, error)
	ListImages(ctx context.Context, opts ListOptions) ([]Image, error)
	// UpdateImage applies ops in order, all or none (see ApplyImagePatch).
	UpdateImage(ctx context.Context, id string, ops []PatchOp) (Image, error)
	// DeleteImage of a protected image is Conflict.
	DeleteImage(ctx context.Context, id string) error
}
