package plugins

import (
	"sync"

	"github.com/gisiaas/gisiaas/core"
)

// Dedup remembers the IDs of the last events seen, so that a consumer
// sees each event once although a resumed or replayed Watch may deliver
// it again (core.Event: "a consumer that sees an ID twice drops the
// second"). It keeps at most a fixed number of IDs, forgetting the
// oldest first: replays cover recent events, so a window of a few
// thousand is plenty. It is safe for concurrent use.
type Dedup struct {
	mu   sync.Mutex
	ring []string // the remembered IDs, oldest at next once full
	next int
	set  map[string]struct{}
}

// NewDedup remembers up to size IDs; size < 1 means 4096.
func NewDedup(size int) *Dedup {
	if size < 1 {
		size = 4096
	}
	return &Dedup{ring: make([]string, 0, size), set: make(map[string]struct{}, size)}
}

// Seen reports whether id was seen before, and remembers it if not.
func (d *Dedup) Seen(id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.set[id]; ok {
		return true
	}
	d.add(id)
	return false
}

// has reports whether id was seen, without remembering it.
func (d *Dedup) has(id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.set[id]
	return ok
}

// remember records id as seen.
func (d *Dedup) remember(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.set[id]; !ok {
		d.add(id)
	}
}

// add records id; called with d.mu held and id not in the set.
func (d *Dedup) add(id string) {
	if len(d.ring) < cap(d.ring) {
		d.ring = append(d.ring, id)
	} else {
		delete(d.set, d.ring[d.next])
		d.ring[d.next] = id
		d.next = (d.next + 1) % len(d.ring)
	}
	d.set[id] = struct{}{}
}

// Filter wraps a Watch callback so that it gets only events not seen
// before. An event counts as seen once fn has accepted it (returned nil):
// one fn failed on is delivered again by the next Watch.
func (d *Dedup) Filter(fn func(core.Event) error) func(core.Event) error {
	return func(ev core.Event) error {
		if d.has(ev.ID) {
			return nil
		}
		if err := fn(ev); err != nil {
			return err
		}
		d.remember(ev.ID)
		return nil
	}
}
