package core

import "time"

// Meta is what every project-owned resource carries besides its own fields.
type Meta struct {
	ProjectID    string            `json:"project_id,omitempty"`
	DatacenterID string            `json:"datacenter_id,omitempty"`
	Tags         map[string]string `json:"tags,omitempty"` // e.g. the adapter's record id, a conformance run id
	CreatedAt    time.Time         `json:"created_at"`
	UpdatedAt    time.Time         `json:"updated_at"`
}

// CreateMeta is what every create request carries besides its own fields.
//
// ClientToken makes a create idempotent, as CSI keys creates by name: a
// driver that already created a resource with this token in this project
// returns that resource instead of creating a second one. Tags are stored on
// the cloud resource where the cloud allows, so an interrupted create can be
// found and adopted.
type CreateMeta struct {
	ProjectID    string            `json:"project_id,omitempty"`
	DatacenterID string            `json:"datacenter_id,omitempty"`
	ClientToken  string            `json:"client_token,omitempty"`
	Tags         map[string]string `json:"tags,omitempty"`
}

// ListOptions filters a list. Empty fields do not filter. Objects shared by
// every project (flavors, public images, external networks) are listed
// whatever the project.
type ListOptions struct {
	ProjectID    string `json:"project_id,omitempty"`
	DatacenterID string `json:"datacenter_id,omitempty"`
}

// ResourceType names a kind of resource in events and in the adapter's registry.
type ResourceType string

// Resource types.
const (
	TypeServer         ResourceType = "server"
	TypeFlavor         ResourceType = "flavor"
	TypeImage          ResourceType = "image"
	TypeVolume         ResourceType = "volume"
	TypeVolumeSnapshot ResourceType = "volume_snapshot"
	TypeBackup         ResourceType = "backup"
	TypeFloatingIP     ResourceType = "floating_ip"
	TypePublicIP       ResourceType = "public_ip"
	TypeLoadBalancer   ResourceType = "load_balancer"
	TypeSecurityGroup  ResourceType = "security_group"
	TypeRouter         ResourceType = "router"
	TypePort           ResourceType = "port"
)
