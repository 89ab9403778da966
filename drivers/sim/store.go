package sim

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// state is the whole simulated cloud. Every field is guarded by Driver.mu and
// written to Config.StatePath after each change when persistence is on.
type state struct {
	// BootID makes event ids unique across restarts without persistence.
	BootID string `json:"boot_id"`
	// Seq is the position of the last event; cursors are Seq values.
	Seq uint64 `json:"seq"`
	// IDSeq counts ids handed out, so a restored cloud never repeats one.
	IDSeq uint64 `json:"id_seq"`

	Servers        map[string]*core.Server         `json:"servers"`
	Flavors        map[string]*core.Flavor         `json:"flavors"`
	Images         map[string]*core.Image          `json:"images"`
	Networks       map[string]*core.Network        `json:"networks"`
	Ports          map[string]*core.Port           `json:"ports"`
	FloatingIPs    map[string]*core.FloatingIP     `json:"floating_ips"`
	PublicIPs      map[string]*core.PublicIP       `json:"public_ips"`
	LoadBalancers  map[string]*core.LoadBalancer   `json:"load_balancers"`
	SecurityGroups map[string]*core.SecurityGroup  `json:"security_groups"`
	Volumes        map[string]*core.Volume         `json:"volumes"`
	Snapshots      map[string]*core.VolumeSnapshot `json:"snapshots"`
	Backups        map[string]*core.Backup         `json:"backups"`
	Routers        map[string]*core.Router         `json:"routers"`

	// Quotas overrides Config.Quota per "datacenter/project".
	Quotas map[string]Quota `json:"quotas,omitempty"`
	// Tokens maps "type/project/client-token" to the id created with it.
	Tokens map[string]string `json:"tokens,omitempty"`
	// Pending are scheduled transitions, resumed after a restart.
	Pending map[string]pending `json:"pending,omitempty"`
	// Notes keep what a pending transition needs to finish ("migrate/<id>"
	// is the target host), so that it survives a restart too.
	Notes map[string]string `json:"notes,omitempty"`
	// Events is the retained log, oldest first.
	Events []core.Event `json:"events"`
}

// pending is a transition that will run at Due: the handler registered
// under Kind is called with ID.
type pending struct {
	Kind string    `json:"kind"`
	ID   string    `json:"id"`
	Due  time.Time `json:"due"`
}

func newState() *state {
	return &state{
		Servers:        map[string]*core.Server{},
		Flavors:        map[string]*core.Flavor{},
		Images:         map[string]*core.Image{},
		Networks:       map[string]*core.Network{},
		Ports:          map[string]*core.Port{},
		FloatingIPs:    map[string]*core.FloatingIP{},
		PublicIPs:      map[string]*core.PublicIP{},
		LoadBalancers:  map[string]*core.LoadBalancer{},
		SecurityGroups: map[string]*core.SecurityGroup{},
		Volumes:        map[string]*core.Volume{},
		Snapshots:      map[string]*core.VolumeSnapshot{},
		Backups:        map[string]*core.Backup{},
		Routers:        map[string]*core.Router{},
		Quotas:         map[string]Quota{},
		Tokens:         map[string]string{},
		Pending:        map[string]pending{},
		Notes:          map[string]string{},
	}
}

// loadState reads path; a missing file is (nil, nil).
func loadState(path string) (*state, error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sim: read state: %w", err)
	}
	st := newState()
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("sim: state file %s is corrupt: %w", path, err)
	}
	return st, nil
}

// save writes the state atomically: a crash leaves the old file or the new
// one, never half of one.
func (st *state) save(path string) error {
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("sim: encode state: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".sim-state-*")
	if err != nil {
		return fmt.Errorf("sim: save state: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("sim: save state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("sim: save state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("sim: save state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("sim: save state: %w", err)
	}
	return nil
}
