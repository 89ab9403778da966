package core

import "context"

// LoadBalancer spreads traffic over member servers (B.3.4).
type LoadBalancer struct {
	Meta
	ID           string     `json:"id"`
	Name         string     `json:"name"`
	Description  string     `json:"description,omitempty"`
	SubnetID     string     `json:"subnet_id,omitempty"`
	VIPAddress   string     `json:"vip_address,omitempty"`
	Status       LBStatus   `json:"status"`
	NativeStatus string     `json:"native_status,omitempty"`
	Listeners    []Listener `json:"listeners"`
	Members      []Member   `json:"members"`
}

// Listener is a protocol and port a load balancer accepts.
type Listener struct {
	ID       string `json:"id"`
	Protocol string `json:"protocol"` // TCP, UDP, HTTP, HTTPS
	Port     int    `json:"port"`
}

// Member is a server behind a load balancer.
type Member struct {
	ServerID string `json:"server_id"`
	Name     string `json:"name,omitempty"`
	Address  string `json:"address"`
	Port     int    `json:"port"`
}

// LoadBalancerCreate is the input of CreateLoadBalancer (B.3.4.1).
type LoadBalancerCreate struct {
	CreateMeta
	Name        string     `json:"name"`
	Description string     `json:"description,omitempty"`
	SubnetID    string     `json:"subnet_id,omitempty"`
	Listeners   []Listener `json:"listeners,omitempty"` // IDs ignored
}

// MemberAdd adds a server to a load balancer (B.3.4.5). Port 0 means the
// port of the first listener.
type MemberAdd struct {
	ServerID string `json:"server_id"`
	Port     int    `json:"port,omitempty"`
}

// MemberRemove removes a member by exactly one of ServerID and Address (B.3.4.6).
type MemberRemove struct {
	ServerID string `json:"server_id,omitempty"`
	Address  string `json:"address,omitempty"`
}

// LoadBalancers manages load balancers (B.3.4).
type LoadBalancers interface {
	CreateLoadBalancer(ctx context.Context, req LoadBalancerCreate) (LoadBalancer, error)
	GetLoadBalancer(ctx context.Context, id string) (LoadBalancer, error)
	ListLoadBalancers(ctx context.Context, opts ListOptions) ([]LoadBalancer, error)
	DeleteLoadBalancer(ctx context.Context, id string) error
	AddMember(ctx context.Context, id string, m MemberAdd) (LoadBalancer, error)
	RemoveMember(ctx context.Context, id string, m MemberRemove) (LoadBalancer, error)
}
