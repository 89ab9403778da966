package sim

import (
	"sort"
	"time"
)

// transitions maps a transition kind ("server.build") to the function that
// completes it. Each service file registers its own in init. A handler runs
// with d.mu held and must check that the resource is still in the state the
// transition expects: it may have been deleted or changed meanwhile.
var transitions = map[string]func(d *Driver, id string){}

// schedule runs the transition kind for id after its configured latency.
// With zero latency it runs at once, inside the caller's operation, so that
// tests see final states without waiting. Called with d.mu held.
func (d *Driver) schedule(kind, id string) {
	d.scheduleAfter(kind, id, d.cfg.latency(kind))
}

// scheduleAfter is schedule with an explicit delay. Called with d.mu held.
func (d *Driver) scheduleAfter(kind, id string, delay time.Duration) {
	h, ok := transitions[kind]
	if !ok {
		panic("sim: no transition registered for " + kind)
	}
	key := kind + "/" + id
	if stop, ok := d.timers[key]; ok {
		stop()
	}
	if delay <= 0 {
		delete(d.st.Pending, key)
		delete(d.timers, key)
		h(d, id)
		return
	}
	d.st.Pending[key] = pending{Kind: kind, ID: id, Due: d.now().Add(delay)}
	d.arm(key, kind, id, delay)
}

// arm starts the timer of a pending transition. The timer runs only the
// pending entry it was armed for: one replaced meanwhile (same key, new due
// time) belongs to its own timer, even if this one already fired and waits
// for the lock. Called with d.mu held.
func (d *Driver) arm(key, kind, id string, delay time.Duration) {
	due := d.st.Pending[key].Due
	d.timers[key] = d.clock.AfterFunc(delay, func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.closed {
			return
		}
		p, ok := d.st.Pending[key]
		if !ok || !p.Due.Equal(due) {
			return // cancelled, already run, or replaced
		}
		delete(d.st.Pending, key)
		delete(d.timers, key)
		transitions[kind](d, id)
		_ = d.commit()
	})
}

// cancel drops a pending transition. Called with d.mu held.
func (d *Driver) cancel(kind, id string) {
	key := kind + "/" + id
	if stop, ok := d.timers[key]; ok {
		stop()
		delete(d.timers, key)
	}
	delete(d.st.Pending, key)
}

// resumePending re-arms the transitions a restored state was waiting for;
// those already due run at once, in the order they fell due. Called from
// New, before d is shared; New saves the result.
func (d *Driver) resumePending() {
	now := d.now()
	keys := make([]string, 0, len(d.st.Pending))
	for key := range d.st.Pending {
		keys = append(keys, key)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := d.st.Pending[keys[i]], d.st.Pending[keys[j]]
		if !a.Due.Equal(b.Due) {
			return a.Due.Before(b.Due)
		}
		return keys[i] < keys[j]
	})
	for _, key := range keys {
		p, ok := d.st.Pending[key]
		if !ok {
			continue // a transition run before it removed this one
		}
		if _, known := transitions[p.Kind]; !known {
			delete(d.st.Pending, key)
			continue
		}
		if delay := p.Due.Sub(now); delay > 0 {
			d.arm(key, p.Kind, p.ID, delay)
			continue
		}
		delete(d.st.Pending, key)
		transitions[p.Kind](d, p.ID)
	}
}
