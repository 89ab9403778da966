package core

import "context"

// SecurityGroup is a named set of firewall rules (B.3.5).
type SecurityGroup struct {
	Meta
	ID          string              `json:"id"`
	Name        string              `json:"name"`
	Description string              `json:"description,omitempty"`
	Rules       []SecurityGroupRule `json:"rules"`
}

// Rule directions and ether types.
const (
	DirectionIngress = "ingress"
	DirectionEgress  = "egress"
	EtherTypeIPv4    = "IPv4"
	EtherTypeIPv6    = "IPv6"
)

// SecurityGroupRule is one rule (B.3.5.4). A nil port bound means any port;
// an empty protocol means any protocol.
type SecurityGroupRule struct {
	ID             string `json:"id"`
	GroupID        string `json:"security_group_id"`
	Description    string `json:"description,omitempty"`
	Direction      string `json:"direction"`
	EtherType      string `json:"ethertype"`
	Protocol       string `json:"protocol,omitempty"`
	PortRangeMin   *int   `json:"port_range_min,omitempty"`
	PortRangeMax   *int   `json:"port_range_max,omitempty"`
	RemoteIPPrefix string `json:"remote_ip_prefix,omitempty"`
	RemoteGroupID  string `json:"remote_group_id,omitempty"`
}

// SecurityGroupCreate is the input of CreateSecurityGroup (B.3.5.1).
type SecurityGroupCreate struct {
	CreateMeta
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// SecurityGroupRuleCreate is the input of CreateSecurityGroupRule (B.3.5.4).
type SecurityGroupRuleCreate struct {
	GroupID        string `json:"security_group_id"`
	Description    string `json:"description,omitempty"`
	Direction      string `json:"direction"`
	EtherType      string `json:"ethertype,omitempty"` // default IPv4
	Protocol       string `json:"protocol,omitempty"`
	PortRangeMin   *int   `json:"port_range_min,omitempty"`
	PortRangeMax   *int   `json:"port_range_max,omitempty"`
	RemoteIPPrefix string `json:"remote_ip_prefix,omitempty"`
	RemoteGroupID  string `json:"remote_group_id,omitempty"`
}

// SecurityGroups manages security groups and their rules (B.3.5). Deleting a
// group a server uses is Conflict; a duplicate rule is Conflict.
type SecurityGroups interface {
	CreateSecurityGroup(ctx context.Context, req SecurityGroupCreate) (SecurityGroup, error)
	GetSecurityGroup(ctx context.Context, id string) (SecurityGroup, error)
	ListSecurityGroups(ctx context.Context, opts ListOptions) ([]SecurityGroup, error)
	DeleteSecurityGroup(ctx context.Context, id string) error
	CreateSecurityGroupRule(ctx context.Context, req SecurityGroupRuleCreate) (SecurityGroupRule, error)
	DeleteSecurityGroupRule(ctx context.Context, id string) error
}
