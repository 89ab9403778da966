package core

import "context"

// PublicIP is an internet address bound to a server or a private IP (B.3.3).
// Unbound it is DOWN, bound ACTIVE.
type PublicIP struct {
	Meta
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Address   string    `json:"address"`
	Status    NetStatus `json:"status"`
	ServerID  string    `json:"server_id,omitempty"`
	PrivateIP string    `json:"private_ip,omitempty"`
}

// PublicIPCreate is the input of CreatePublicIP (B.3.3.1).
type PublicIPCreate struct {
	CreateMeta
	Name string `json:"name"`
}

// PublicIPBinding names what a public IP is bound to or unbound from:
// exactly one of ServerID and PrivateIP (B.3.3.2, B.3.3.3).
type PublicIPBinding struct {
	ServerID  string `json:"server_id,omitempty"`
	PrivateIP string `json:"private_ip,omitempty"`
}

// PublicIPs manages public IPs (B.3.3). Binding a bound address is Conflict;
// deleting a bound one is Conflict.
type PublicIPs interface {
	CreatePublicIP(ctx context.Context, req PublicIPCreate) (PublicIP, error)
	GetPublicIP(ctx context.Context, id string) (PublicIP, error)
	ListPublicIPs(ctx context.Context, opts ListOptions) ([]PublicIP, error)
	BindPublicIP(ctx context.Context, id string, to PublicIPBinding) (PublicIP, error)
	UnbindPublicIP(ctx context.Context, id string, from PublicIPBinding) (PublicIP, error)
	DeletePublicIP(ctx context.Context, id string) error
}
