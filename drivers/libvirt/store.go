package libvirt

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// state is what the driver keeps beside libvirt: what libvirt has no place
// for. It is written whole, atomically (temporary file, then rename), after
// every change, when Config.StatePath is set.
type state struct {
	Flavors map[string]core.Flavor  `json:"flavors"`
	Images  map[string]*imageRecord `json:"images"`
	Volumes map[string]*volRecord   `json:"volumes"`
	// SecurityGroups are the groups; their filters are nwfilters of the hosts.
	SecurityGroups map[string]*core.SecurityGroup `json:"security_groups"`
	// Tokens maps type/project/client token to the id it created.
	Tokens map[string]string `json:"tokens"`
	// Servers is the last state the event stream reported for each server,
	// so a restart reconciles what changed while it was down.
	Servers map[string]serverSeen `json:"servers"`
	// Seq is the cursor of the newest event; Events the retained ones.
	Seq    uint64       `json:"seq"`
	Events []core.Event `json:"events"`
	// Epoch names this store's event stream in event ids.
	Epoch string `json:"epoch"`
}

// imageRecord is an image and where its data lives.
type imageRecord struct {
	core.Image
	Host   string `json:"host"`   // the host whose pool holds the volume ("" for a queued image)
	Volume string `json:"volume"` // volume name in the pool
	Seeded bool   `json:"seeded"` // from the configuration, not deleted with its volume
}

// volRecord is a volume's attributes libvirt has no place for.
type volRecord struct {
	core.Volume
	VolName string `json:"vol_name"`
	Path    string `json:"path"`
	// AttachedAt is when each server attached it, by server id.
	AttachedAt map[string]time.Time `json:"attached_at,omitempty"`
}

// serverSeen is the last reported state of a server and what its events carry.
type serverSeen struct {
	Status core.ServerStatus    `json:"status"`
	Meta   core.Meta            `json:"meta"`
	Attrs  core.EventAttributes `json:"attrs"`
}

func newState() *state {
	return &state{Flavors: map[string]core.Flavor{}, Images: map[string]*imageRecord{}, Volumes: map[string]*volRecord{},
		SecurityGroups: map[string]*core.SecurityGroup{}, Tokens: map[string]string{}, Servers: map[string]serverSeen{}}
}

// loadState reads the store at path; a missing file is an empty store.
func loadState(path string) (*state, error) {
	st := newState()
	if path == "" {
		return st, nil
	}
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("libvirt store: %w", err)
	}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("libvirt store %s: %w", path, err)
	}
	fresh := newState()
	if st.Flavors == nil {
		st.Flavors = fresh.Flavors
	}
	if st.Images == nil {
		st.Images = fresh.Images
	}
	if st.Volumes == nil {
		st.Volumes = fresh.Volumes
	}
	if st.Tokens == nil {
		st.Tokens = fresh.Tokens
	}
	if st.SecurityGroups == nil {
		st.SecurityGroups = fresh.SecurityGroups
	}
	if st.Servers == nil {
		st.Servers = fresh.Servers
	}
	return st, nil
}

// save writes the store atomically. Called with d.mu held.
func (d *Driver) save() error {
	if d.cfg.StatePath == "" {
		return nil
	}
	b, err := json.Marshal(d.st)
	if err != nil {
		return core.Wrap(core.Internal, "save", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(d.cfg.StatePath), ".libvirt-state-*")
	if err != nil {
		return core.Wrap(core.Unavailable, "save", err)
	}
	_, werr := tmp.Write(b)
	serr := tmp.Sync()
	cerr := tmp.Close()
	if werr != nil || serr != nil || cerr != nil {
		_ = os.Remove(tmp.Name())
		return core.Wrap(core.Unavailable, "save", fmt.Errorf("writing the store: %v %v %v", werr, serr, cerr))
	}
	if err := os.Rename(tmp.Name(), d.cfg.StatePath); err != nil {
		_ = os.Remove(tmp.Name())
		return core.Wrap(core.Unavailable, "save", err)
	}
	return nil
}

// tokenKey is the key of a client token in the store.
func tokenKey(typ core.ResourceType, m core.CreateMeta) string {
	return string(typ) + "/" + m.ProjectID + "/" + m.ClientToken
}
