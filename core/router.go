package core

import "context"

// Router connects subnets to each other and to an external network (X.3).
type Router struct {
	Meta
	ID                string            `json:"id"`
	Name              string            `json:"name"`
	ExternalNetworkID string            `json:"external_network_id,omitempty"`
	Status            NetStatus         `json:"status"`
	NativeStatus      string            `json:"native_status,omitempty"`
	Interfaces        []RouterInterface `json:"interfaces"`
}

// RouterInterface is a router's port on a subnet.
type RouterInterface struct {
	SubnetID  string `json:"subnet_id"`
	PortID    string `json:"port_id"`
	IPAddress string `json:"ip_address"`
}

// RouterCreate is the input of CreateRouter (X.3).
type RouterCreate struct {
	CreateMeta
	Name              string `json:"name"`
	ExternalNetworkID string `json:"external_network_id,omitempty"`
}

// Routers manages routers (X.3, optional). A subnet already on the router
// is Conflict; deleting a router with interfaces is Conflict.
type Routers interface {
	CreateRouter(ctx context.Context, req RouterCreate) (Router, error)
	GetRouter(ctx context.Context, id string) (Router, error)
	ListRouters(ctx context.Context, opts ListOptions) ([]Router, error)
	DeleteRouter(ctx context.Context, id string) error
	AddRouterInterface(ctx context.Context, id, subnetID string) (Router, error)
	RemoveRouterInterface(ctx context.Context, id, subnetID string) (Router, error)
}
