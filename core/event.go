package core

import (
	"context"
	"time"
)

// Event is a normalized lifecycle event: one resource moved from one state
// to another. Billing meters them; the adapter's reconciler keeps its
// registry with them.
type Event struct {
	// ID is unique for ever across datacenters; a consumer that sees an ID
	// twice drops the second.
	ID string `json:"id"`
	// Cursor is the event's position in its driver's stream: Watch(after =
	// Cursor) resumes right after it.
	Cursor       string       `json:"cursor"`
	ResourceType ResourceType `json:"resource_type"`
	ResourceID   string       `json:"resource_id"`
	DatacenterID string       `json:"datacenter_id"`
	ProjectID    string       `json:"project_id,omitempty"`
	// FromState is "" for a resource's first event; ToState is DELETED (or
	// the type's deleted state) for its last.
	FromState  string          `json:"from_state"`
	ToState    string          `json:"to_state"`
	Attributes EventAttributes `json:"attributes"`
	// Time is when the transition happened, UTC, at least millisecond precision.
	Time time.Time `json:"time"`
}

// EventAttributes are what billing needs to rate a resource in its new state.
type EventAttributes struct {
	Name     string `json:"name,omitempty"`
	FlavorID string `json:"flavor_id,omitempty"`
	VCPUs    int64  `json:"vcpus,omitempty"`
	MemoryMB int64  `json:"memory_mb,omitempty"`
	DiskGB   int64  `json:"disk_gb,omitempty"`
	// SizeGB is the size of a volume, snapshot or backup.
	SizeGB     int64     `json:"size_gb,omitempty"`
	VolumeType string    `json:"volume_type,omitempty"`
	ImageID    string    `json:"image_id,omitempty"`
	ImageType  ImageType `json:"image_type,omitempty"`
	// ImageSizeBytes is the size of an image's data.
	ImageSizeBytes int64 `json:"image_size_bytes,omitempty"`
	// FromSnapshot is set on a server booted from a server snapshot
	// (billing rule BL.3: flavor + snapshot + volumes).
	FromSnapshot bool       `json:"from_snapshot,omitempty"`
	BackupKind   BackupKind `json:"backup_kind,omitempty"`
	// ServerID is the server a volume or public IP is attached or bound to.
	ServerID string `json:"server_id,omitempty"`
	Host     string `json:"host,omitempty"`
}

// Watcher streams lifecycle events.
type Watcher interface {
	// Watch calls fn with every event after the cursor after ("" = from the
	// oldest the driver retains), in order, then with each new event as it
	// happens, until ctx is done (it returns ctx.Err()) or fn returns an
	// error (it returns that error). A cursor older than what the driver
	// retains is Gone: the consumer then reconciles by listing. A driver that
	// cannot replay says so in DriverInfo.CanReplay and treats any cursor as
	// "from now".
	Watch(ctx context.Context, after string, fn func(Event) error) error
}
