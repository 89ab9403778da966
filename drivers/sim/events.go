package sim

import (
	"context"
	"fmt"
	"strconv"

	"github.com/gisiaas/gisiaas/core"
)

// emit appends a lifecycle event to the log and wakes every watcher.
// Called with d.mu held, after the resource has changed.
func (d *Driver) emit(typ core.ResourceType, id string, m core.Meta, from, to string, attrs core.EventAttributes) {
	d.st.Seq++
	cursor := strconv.FormatUint(d.st.Seq, 10)
	d.st.Events = append(d.st.Events, core.Event{
		ID:           fmt.Sprintf("%s:%s:%s", d.cfg.Name, d.st.BootID, cursor),
		Cursor:       cursor,
		ResourceType: typ,
		ResourceID:   id,
		DatacenterID: m.DatacenterID,
		ProjectID:    m.ProjectID,
		FromState:    from,
		ToState:      to,
		Attributes:   attrs,
		Time:         d.now(),
	})
	// Trim in steps of a quarter of the retention, so an event costs O(1)
	// amortized rather than a copy of the whole log.
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
			return &core.Error{Kind: core.Unavailable, Op: "Watch", Message: "simulator is closed"}
		}
		if pos > d.st.Seq {
			d.mu.Unlock()
			return &core.Error{Kind: core.InvalidArgument, Op: "Watch", Message: fmt.Sprintf("cursor %d is ahead of the stream (%d)", pos, d.st.Seq)}
		}
		oldest := d.st.Seq - uint64(len(d.st.Events)) // cursor of the event before the first retained
		if fromOldest && pos < oldest {
			pos = oldest // "" starts at the oldest retained, never Gone
		}
		fromOldest = false // once started, events trimmed unseen are Gone
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

// serverAttrs are the billing attributes of a server in its current flavor.
// Called with d.mu held.
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

// volumeAttrs are the billing attributes of a volume. Called with d.mu held.
func volumeAttrs(v *core.Volume) core.EventAttributes {
	a := core.EventAttributes{Name: v.Name, SizeGB: v.SizeGB, VolumeType: v.VolumeType}
	if len(v.Attachments) > 0 {
		a.ServerID = v.Attachments[0].ServerID
	}
	return a
}

// imageAttrs are the billing attributes of an image.
func imageAttrs(i *core.Image) core.EventAttributes {
	return core.EventAttributes{Name: i.Name, ImageID: i.ID, ImageType: i.Type, ImageSizeBytes: i.SizeBytes}
}
