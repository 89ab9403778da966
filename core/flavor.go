package core

import "context"

// Flavor is a server size (B.2.2). Flavors are shared by every project.
type Flavor struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	VCPUs    int64  `json:"vcpus"`
	MemoryMB int64  `json:"memory_mb"`
	DiskGB   int64  `json:"disk_gb"`
	Public   bool   `json:"public"`
}

// FlavorCreate is the input of CreateFlavor (B.2.2.1); every field but
// Public is required.
type FlavorCreate struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	VCPUs    int64  `json:"vcpus"`
	MemoryMB int64  `json:"memory_mb"`
	DiskGB   int64  `json:"disk_gb"`
	Public   bool   `json:"public"`
}

// Flavors manages flavors (B.2.2). Creating one whose ID or name exists is
// Conflict; deleting one a server uses is Conflict.
type Flavors interface {
	CreateFlavor(ctx context.Context, req FlavorCreate) (Flavor, error)
	GetFlavor(ctx context.Context, id string) (Flavor, error)
	ListFlavors(ctx context.Context) ([]Flavor, error)
	DeleteFlavor(ctx context.Context, id string) error
}
