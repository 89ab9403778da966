package core

import "context"

// Network is a network with its subnets (B.3.1.1).
type Network struct {
	Meta
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	External bool      `json:"external"` // floating and public IPs come from external networks
	Shared   bool      `json:"shared"`
	Status   NetStatus `json:"status"`
	Subnets  []Subnet  `json:"subnets"`
}

// Subnet is an address range of a network.
type Subnet struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	NetworkID string `json:"network_id"`
	CIDR      string `json:"cidr"`
	GatewayIP string `json:"gateway_ip,omitempty"`
	IPVersion int    `json:"ip_version"`
}

// Port is a server's (or a router's) interface on a network.
type Port struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	NetworkID  string    `json:"network_id"`
	SubnetID   string    `json:"subnet_id"`
	DeviceID   string    `json:"device_id"`
	MACAddress string    `json:"mac_address"`
	FixedIP    string    `json:"fixed_ip"`
	Status     NetStatus `json:"status"`
}

// Networks lists networks (B.3.1.1) and ports.
type Networks interface {
	ListNetworks(ctx context.Context, opts ListOptions) ([]Network, error)
	GetNetwork(ctx context.Context, id string) (Network, error)
	ListPorts(ctx context.Context, opts ListOptions) ([]Port, error)
}
