package sim

import "time"

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

// arm starts the timer of a pending transition. Called with d.mu held.
func (d *Driver) arm(key, kind, id string, delay time.Duration) {
	d.timers[key] = d.clock.AfterFunc(delay, func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.closed {
			return
		}
		if _, ok := d.st.Pending[key]; !ok {
			return // cancelled or already run
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
// those already due run at once. Called from New, before d is shared.
func (d *Driver) resumePending() {
	now := d.now()
	for key, p := range d.st.Pending {
		if _, ok := transitions[p.Kind]; !ok {
			delete(d.st.Pending, key)
			continue
		}
		delay := p.Due.Sub(now)
		if delay <= 0 {
			delete(d.st.Pending, key)
			transitions[p.Kind](d, p.ID)
			continue
		}
		d.arm(key, p.Kind, p.ID, delay)
	}
}
