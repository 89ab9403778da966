package core

import "context"

// BackupKind is full or incremental (X.2); billing prices them apart.
type BackupKind string

// Backup kinds.
const (
	BackupFull        BackupKind = "full"
	BackupIncremental BackupKind = "incremental"
)

// Backup is a copy of a volume kept apart from it (X.2).
type Backup struct {
	Meta
	ID           string         `json:"id"`
	Name         string         `json:"name"`
	Description  string         `json:"description,omitempty"`
	VolumeID     string         `json:"volume_id"`
	Kind         BackupKind     `json:"kind"`
	SizeGB       int64          `json:"size_gb"`
	Status       SnapshotStatus `json:"status"`
	NativeStatus string         `json:"native_status,omitempty"`
	// ParentID is the backup an incremental one builds on.
	ParentID string `json:"parent_id,omitempty"`
}

// BackupCreate is the input of CreateBackup (X.2). An incremental backup of
// a volume with no full backup is InvalidArgument.
type BackupCreate struct {
	CreateMeta
	VolumeID    string     `json:"volume_id"`
	Name        string     `json:"name,omitempty"`
	Description string     `json:"description,omitempty"`
	Kind        BackupKind `json:"kind,omitempty"` // default full
}

// Backups manages volume backups (X.2, optional). Deleting a backup that an
// incremental one builds on is Conflict.
type Backups interface {
	CreateBackup(ctx context.Context, req BackupCreate) (Backup, error)
	GetBackup(ctx context.Context, id string) (Backup, error)
	ListBackups(ctx context.Context, opts ListOptions) ([]Backup, error)
	DeleteBackup(ctx context.Context, id string) error
}
