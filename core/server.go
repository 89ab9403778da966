package core

import "context"

// Server is a virtual machine (B.2.1.3).
type Server struct {
	Meta
	ID           string       `json:"id"`
	Name         string       `json:"name"`
	Description  string       `json:"description,omitempty"`
	FlavorID     string       `json:"flavor_id"`
	ImageID      string       `json:"image_id,omitempty"`
	Status       ServerStatus `json:"status"`
	NativeStatus string       `json:"native_status,omitempty"` // the cloud's own state, kept when unmapped
	Host         string       `json:"host,omitempty"`
	// VolumeIDs are the attached volumes, in attachment order.
	VolumeIDs        []string          `json:"volume_ids"`
	Addresses        []ServerAddress   `json:"addresses"`
	SecurityGroupIDs []string          `json:"security_group_ids"`
	Metadata         map[string]string `json:"metadata,omitempty"`
	// PreviousFlavorID is set while a resize waits for confirmation.
	PreviousFlavorID string `json:"previous_flavor_id,omitempty"`
}

// AddressKind tells a server's private addresses from its floating and public ones.
type AddressKind string

// Address kinds.
const (
	AddressPrivate  AddressKind = "private"
	AddressFloating AddressKind = "floating"
	AddressPublic   AddressKind = "public"
)

// ServerAddress is one address of a server. PortID and MAC are set for
// private addresses; floating and public addresses name the port they reach.
type ServerAddress struct {
	Kind      AddressKind `json:"kind"`
	Address   string      `json:"address"`
	NetworkID string      `json:"network_id,omitempty"`
	PortID    string      `json:"port_id,omitempty"`
	MAC       string      `json:"mac,omitempty"`
}

// NetworkAttachment asks for a server's interface on a network (B.2.1.1).
type NetworkAttachment struct {
	NetworkID string `json:"network_id"`
	PortID    string `json:"port_id,omitempty"`
	FixedIP   string `json:"fixed_ip,omitempty"`
}

// BlockSource is where a block device of a new server comes from.
type BlockSource string

// Block device sources (B.2.1.1).
const (
	SourceVolume   BlockSource = "volume"
	SourceImage    BlockSource = "image"
	SourceSnapshot BlockSource = "snapshot"
)

// BlockDevice is one block device of a new server (B.2.1.1).
type BlockDevice struct {
	SourceType BlockSource `json:"source_type"`
	UUID       string      `json:"uuid"`
	SizeGB     int64       `json:"size_gb,omitempty"`
	DeviceName string      `json:"device_name,omitempty"`
}

// ServerCreate is the input of CreateServer (B.2.1.1).
type ServerCreate struct {
	CreateMeta
	Name             string              `json:"name"`
	Description      string              `json:"description,omitempty"`
	FlavorID         string              `json:"flavor_id"`
	ImageID          string              `json:"image_id"`
	Networks         []NetworkAttachment `json:"networks,omitempty"`
	BlockDevices     []BlockDevice       `json:"block_devices,omitempty"`
	Metadata         map[string]string   `json:"metadata,omitempty"`
	UserData         []byte              `json:"user_data,omitempty"`
	SecurityGroupIDs []string            `json:"security_group_ids,omitempty"`
}

// ServerUpdate is the input of UpdateServer (B.2.1.4); nil fields are kept.
type ServerUpdate struct {
	Name        *string `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
}

// RebootType is SOFT (ask the guest) or HARD (reset) (B.2.1.7).
type RebootType string

// Reboot types.
const (
	RebootSoft RebootType = "SOFT"
	RebootHard RebootType = "HARD"
)

// Compute manages servers (B.2.1).
//
// Operations that take time on a real cloud return once the cloud accepted
// them: CreateServer returns the server in BUILD, StopServer returns while it
// may still be ACTIVE. The final state is observed with GetServer or through
// Watch. An action not allowed in the server's current state is Conflict.
type Compute interface {
	CreateServer(ctx context.Context, req ServerCreate) (Server, error)
	GetServer(ctx context.Context, id string) (Server, error)
	ListServers(ctx context.Context, opts ListOptions) ([]Server, error)
	UpdateServer(ctx context.Context, id string, req ServerUpdate) (Server, error)
	// DeleteServer deletes a server; a cloud configured to soft-delete
	// leaves it SOFT_DELETED until reclaimed.
	DeleteServer(ctx context.Context, id string) error
	StartServer(ctx context.Context, id string) error
	StopServer(ctx context.Context, id string) error
	RebootServer(ctx context.Context, id string, kind RebootType) error
	// LiveMigrateServer moves an ACTIVE server to host; an unknown host is
	// InvalidArgument, the host it is on already is Conflict.
	LiveMigrateServer(ctx context.Context, id, host string) error
	// ResizeServer moves a server to flavorID; it ends in VERIFY_RESIZE
	// until ConfirmResize or RevertResize.
	ResizeServer(ctx context.Context, id, flavorID string) error
	ConfirmResize(ctx context.Context, id string) error
	RevertResize(ctx context.Context, id string) error
}
