package core

import (
	"context"
	"time"
)

// DriverInfo describes a driver instance.
type DriverInfo struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Capabilities are the clauses the driver supports. Any other clause's
	// operations return Unsupported.
	Capabilities []Clause `json:"capabilities"`
	// StateTimeout bounds how long an asynchronous operation takes to reach
	// its final state; a conformance check polls no longer than this.
	StateTimeout time.Duration `json:"state_timeout"`
	// CanReplay is true when Watch resumes from a cursor.
	CanReplay bool `json:"can_replay"`
}

// Supports reports whether the driver declares clause.
func (i DriverInfo) Supports(clause Clause) bool {
	for _, c := range i.Capabilities {
		if c == clause {
			return true
		}
	}
	return false
}

// Driver is one cloud behind the standard interface. Every method takes a
// context and honours its deadline and cancellation. An operation the driver
// does not support returns an error of kind Unsupported; embed Unimplemented
// to get that for every operation not written yet.
type Driver interface {
	Info(ctx context.Context) (DriverInfo, error)
	// Health returns nil when the cloud answers, else an Unavailable error.
	Health(ctx context.Context) error
	// Close releases connections and stops background work.
	Close() error

	Watcher
	Datacenters
	Quotas
	Compute
	Flavors
	Images
	Networks
	FloatingIPs
	PublicIPs
	LoadBalancers
	SecurityGroups
	Volumes
	VolumeSnapshots
	Backups
	Routers
}
