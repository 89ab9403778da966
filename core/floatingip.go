package core

import "context"

// FloatingIP is an address of an external network mapped to a port (B.3.2).
type FloatingIP struct {
	Meta
	ID                string       `json:"id"`
	FloatingNetworkID string       `json:"floating_network_id"`
	FloatingIP        string       `json:"floating_ip_address"`
	SubnetID          string       `json:"subnet_id,omitempty"`
	PortID            string       `json:"port_id,omitempty"`
	FixedIP           string       `json:"fixed_ip_address,omitempty"`
	Status            NetStatus    `json:"status"`
	NativeStatus      string       `json:"native_status,omitempty"`
	PortDetails       *PortDetails `json:"port_details,omitempty"`
}

// PortDetails describes the port a floating IP maps to (B.3.2.1).
type PortDetails struct {
	Status     NetStatus `json:"status"`
	Name       string    `json:"name"`
	NetworkID  string    `json:"network_id"`
	DeviceID   string    `json:"device_id"`
	MACAddress string    `json:"mac_address"`
}

// FloatingIPCreate is the input of CreateFloatingIP (B.3.2.1). FixedIP is
// allowed only with PortID.
type FloatingIPCreate struct {
	CreateMeta
	FloatingNetworkID string `json:"floating_network_id"`
	FloatingIP        string `json:"floating_ip_address,omitempty"`
	SubnetID          string `json:"subnet_id,omitempty"`
	PortID            string `json:"port_id,omitempty"`
	FixedIP           string `json:"fixed_ip_address,omitempty"`
}

// FloatingIPUpdate associates (PortID set) or dissociates (PortID empty) a
// floating IP (B.3.2.3).
type FloatingIPUpdate struct {
	PortID  string `json:"port_id,omitempty"`
	FixedIP string `json:"fixed_ip_address,omitempty"`
}

// FloatingIPs manages floating IPs (B.3.2). An address already allocated is
// Conflict; a port that already has a floating IP is Conflict.
type FloatingIPs interface {
	CreateFloatingIP(ctx context.Context, req FloatingIPCreate) (FloatingIP, error)
	GetFloatingIP(ctx context.Context, id string) (FloatingIP, error)
	ListFloatingIPs(ctx context.Context, opts ListOptions) ([]FloatingIP, error)
	UpdateFloatingIP(ctx context.Context, id string, req FloatingIPUpdate) (FloatingIP, error)
	DeleteFloatingIP(ctx context.Context, id string) error
}
