package libvirt

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// domainEvent is one domain callback of libvirt (lifecycle, a device
// removed, a job completed), queued for the worker: the callback runs on
// libvirt's event loop, which must never wait for us.
type domainEvent struct {
	host, uuid string
}

// eventQueue is an unbounded queue: push never blocks the event loop.
type eventQueue struct {
	mu     sync.Mutex
	cond   *sync.Cond
	items  []domainEvent
	closed bool
}

func newEventQueue() *eventQueue {
	q := &eventQueue{}
	q.cond = sync.NewCond(&q.mu)
	return q
}

func (q *eventQueue) push(e domainEvent) {
	q.mu.Lock()
	if !q.closed {
		q.items = append(q.items, e)
		q.cond.Signal()
	}
	q.mu.Unlock()
}

// pop waits for the next event; ok is false once the queue is closed.
func (q *eventQueue) pop() (domainEvent, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.items) == 0 && !q.closed {
		q.cond.Wait()
	}
	if q.closed {
		return domainEvent{}, false
	}
	e := q.items[0]
	q.items = q.items[1:]
	return e, true
}

func (q *eventQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.cond.Broadcast()
	q.mu.Unlock()
}

// worker turns libvirt's domain events into normalized server events.
func (d *Driver) worker() {
	defer d.wg.Done()
	for {
		e, ok := d.queue.pop()
		if !ok {
			return
		}
		if h := d.hosts[e.host]; h != nil {
			d.observe(h, e.uuid)
		}
		d.kick(e.uuid)
	}
}

// awaitEvent waits for domain id's next event, or at most recheck (then
// the caller checks again by itself), reporting false once the driver is
// closed.
func (d *Driver) awaitEvent(id string, recheck time.Duration) bool {
	ch := make(chan struct{})
	d.kickMu.Lock()
	d.kicks[id] = append(d.kicks[id], ch)
	d.kickMu.Unlock()
	t := time.NewTimer(recheck)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
	case <-d.done:
		return false
	}
	d.kickMu.Lock()
	for i, c := range d.kicks[id] {
		if c == ch {
			d.kicks[id] = append(d.kicks[id][:i], d.kicks[id][i+1:]...)
			break
		}
	}
	if len(d.kicks[id]) == 0 {
		delete(d.kicks, id)
	}
	d.kickMu.Unlock()
	return true
}

// kick wakes everything waiting for domain id's next event.
func (d *Driver) kick(id string) {
	d.kickMu.Lock()
	for _, c := range d.kicks[id] {
		close(c)
	}
	delete(d.kicks, id)
	d.kickMu.Unlock()
}

// observe reads server id's state on h and emits the transition from the
// last state reported, if it moved; a domain that is gone ends with DELETED.
// It is what every domain event, every reconcile and the driver's own
// operations call: one path, so a transition is reported once.
func (d *Driver) observe(h *host, id string) {
	d.obsMu.Lock()
	defer d.obsMu.Unlock()
	s, _, err := d.serverOn(h, "observe", id)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	seen, known := d.st.Servers[id]
	switch {
	case core.KindOf(err) == core.NotFound:
		if d.transient[id] == core.ServerMigrating {
			return // the source's undefine of a live migration
		}
		if known && seen.Attrs.Host == h.name {
			d.emit(core.TypeServer, id, seen.Meta, string(seen.Status), core.StateDeleted, seen.Attrs)
			delete(d.st.Servers, id)
			_ = d.save()
		}
		return
	case err != nil:
		return // not ours, or the host is gone: the reconcile after the reconnect catches up
	}
	attrs := d.serverAttrs(&s)
	if known && seen.Status == s.Status && seen.Attrs == attrs {
		return
	}
	from := ""
	if known {
		from = string(seen.Status)
	}
	if !known || seen.Status != s.Status || seen.Attrs.FlavorID != attrs.FlavorID || seen.Attrs.Host != attrs.Host {
		d.emit(core.TypeServer, id, s.Meta, from, string(s.Status), attrs)
	}
	d.st.Servers[id] = serverSeen{Status: s.Status, Meta: s.Meta, Attrs: attrs}
	_ = d.save()
}

// reconcile compares what h shows with the last states reported: after a
// (re)connect, every server that changed or vanished meanwhile gets its event.
func (d *Driver) reconcile(h *host) {
	ids, err := d.domainIDs(h)
	if err != nil {
		return
	}
	present := map[string]bool{}
	for _, id := range ids {
		present[id] = true
		d.observe(h, id)
	}
	d.mu.Lock()
	var gone []string
	for id, seen := range d.st.Servers {
		if seen.Attrs.Host == h.name && !present[id] {
			gone = append(gone, id)
		}
	}
	d.mu.Unlock()
	for _, id := range gone {
		d.observe(h, id)
	}
}

// emit appends an event to the log and wakes every watcher. Called with
// d.mu held, after the resource has changed.
func (d *Driver) emit(typ core.ResourceType, id string, m core.Meta, from, to string, attrs core.EventAttributes) {
	d.st.Seq++
	cursor := strconv.FormatUint(d.st.Seq, 10)
	d.st.Events = append(d.st.Events, core.Event{
		ID:           fmt.Sprintf("libvirt:%s:%s", d.st.Epoch, cursor),
		Cursor:       cursor,
		ResourceType: typ,
		ResourceID:   id,
		DatacenterID: m.DatacenterID,
		ProjectID:    m.ProjectID,
		FromState:    from,
		ToState:      to,
		Attributes:   attrs,
		Time:         now(),
	})
	if over := len(d.st.Events) - d.cfg.EventRetention; over > 0 && over >= max(1, d.cfg.EventRetention/4) {
		d.st.Events = append(d.st.Events[:0:0], d.st.Events[over:]...)
	}
	if !d.closed {
		close(d.changed)
		d.changed = make(chan struct{})
	}
}

// Watch replays the retained events after the cursor, then follows new ones.
func (d *Driver) Watch(ctx context.Context, after string, fn func(core.Event) error) error {
	var pos uint64
	if after != "" {
		var err error
		if pos, err = strconv.ParseUint(after, 10, 64); err != nil {
			return &core.Error{Kind: core.InvalidArgument, Op: "Watch", Message: fmt.Sprintf("cursor %q is not one of this driver's", after)}
		}
	}
	fromOldest := after == ""
	for {
		d.mu.Lock()
		if d.closed {
			d.mu.Unlock()
			return &core.Error{Kind: core.Unavailable, Op: "Watch", Message: "the driver is closed"}
		}
		if pos > d.st.Seq {
			d.mu.Unlock()
			return &core.Error{Kind: core.Gone, Op: "Watch", Message: fmt.Sprintf("cursor %d is ahead of the stream (%d): the store was reset", pos, d.st.Seq)}
		}
		oldest := d.st.Seq - uint64(len(d.st.Events))
		if fromOldest && pos < oldest {
			pos = oldest
		}
		fromOldest = false
		if pos < oldest {
			d.mu.Unlock()
			return &core.Error{Kind: core.Gone, Op: "Watch", Message: fmt.Sprintf("cursor %d is older than the retained events (from %d)", pos, oldest+1)}
		}
		batch := append([]core.Event(nil), d.st.Events[pos-oldest:]...)
		wake := d.changed
		d.mu.Unlock()
		for _, ev := range batch {
			if err := fn(ev); err != nil {
				return err
			}
			pos, _ = strconv.ParseUint(ev.Cursor, 10, 64)
		}
		if len(batch) > 0 {
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		}
	}
}

// Events returns the retained event log, oldest first (for tests).
func (d *Driver) Events() []core.Event {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]core.Event(nil), d.st.Events...)
}

// serverAttrs are the billing attributes of a server. Called with d.mu held.
func (d *Driver) serverAttrs(s *core.Server) core.EventAttributes {
	a := core.EventAttributes{Name: s.Name, FlavorID: s.FlavorID, ImageID: s.ImageID, Host: s.Host}
	if f, ok := d.st.Flavors[s.FlavorID]; ok {
		a.VCPUs, a.MemoryMB, a.DiskGB = f.VCPUs, f.MemoryMB, f.DiskGB
	}
	if im, ok := d.st.Images[s.ImageID]; ok && im.Type == core.ImageTypeSnapshot {
		a.FromSnapshot = true
	}
	return a
}

// volumeAttrs are the billing attributes of a volume.
func volumeAttrs(v *core.Volume) core.EventAttributes {
	a := core.EventAttributes{Name: v.Name, SizeGB: v.SizeGB, VolumeType: v.VolumeType, Host: v.Host}
	if len(v.Attachments) > 0 {
		a.ServerID = v.Attachments[0].ServerID
	}
	return a
}

// imageAttrs are the billing attributes of an image.
func imageAttrs(i *core.Image) core.EventAttributes {
	return core.EventAttributes{Name: i.Name, ImageID: i.ID, ImageType: i.Type, ImageSizeBytes: i.SizeBytes}
}
