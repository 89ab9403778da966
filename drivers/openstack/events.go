package openstack

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// Lifecycle events. OpenStack has no replayable event stream of its own, so
// the driver keeps the last state it saw of every resource and turns each
// change it learns of into a core.Event. It learns from three sources, all
// fed to observe:
//
//   - its own calls: a create's answer, a Get, a List;
//   - polling: every PollInterval, each service's list (Nova's with
//     changes-since, which includes deleted servers; the others whole, a
//     resource missing from a whole list being deleted);
//   - OpenStack's versioned notifications on its message bus, when
//     NotificationsURL is set (notifications.go).
//
// The sources overlap by design, so observe deduplicates: an observation
// that changes neither the state nor what billing rates is no event, and one
// older than what is known (the cloud's updated_at) is dropped. An event's
// id is a digest of the resource, its new state and attributes and the
// cloud's time of the change, so the same transition seen again after a
// restart of the plugin carries the same id and consumers drop it.
//
// Cursors are "<boot>:<seq>": a cursor of an earlier process of the plugin
// is Gone, and the consumer reconciles by listing.

// observation is what the driver saw of one resource at one moment.
type observation struct {
	Type core.ResourceType
	ID   string
	// OSProject is the OpenStack project; observe maps it to the gisiaas
	// project. ProjectID, when set, wins (the create call knows it).
	OSProject    string
	ProjectID    string
	DatacenterID string
	State        string
	Attrs        core.EventAttributes
	// Time is when the cloud says the resource last changed (updated_at);
	// zero means now.
	Time time.Time
}

// deletedState is the last state of a resource of type t.
func deletedState(t core.ResourceType) string {
	switch t {
	case core.TypeServer:
		return string(core.ServerDeleted)
	case core.TypeVolume:
		return string(core.VolumeDeleted)
	case core.TypeImage:
		return string(core.ImageDeleted)
	case core.TypeVolumeSnapshot, core.TypeBackup:
		return string(core.SnapshotDeleted)
	case core.TypeLoadBalancer:
		return string(core.LBDeleted)
	default:
		return string(core.NetDeleted)
	}
}

type known struct {
	state       string
	fingerprint string
	project     string
	dc          string
	attrs       core.EventAttributes
	changed     time.Time // the cloud's time of the state we know
	seen        time.Time // when we last saw it (wall clock)
}

type eventLog struct {
	name string
	boot string
	max  int

	mu      sync.Mutex
	seq     uint64
	events  []core.Event
	state   map[string]*known   // type/id → last known
	deleted map[string]struct{} // type/id of deleted resources: never resurrected
	wake    chan struct{}
	closed  bool
}

func newEventLog(name string, retention int) *eventLog {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return &eventLog{name: name, boot: hex.EncodeToString(b), max: retention,
		state: map[string]*known{}, deleted: map[string]struct{}{}, wake: make(chan struct{})}
}

func key(t core.ResourceType, id string) string { return string(t) + "/" + id }

// observe records o and appends an event if it is news.
func (d *Driver) observe(ctx context.Context, o observation) {
	if o.ID == "" || o.State == "" {
		return
	}
	if o.ProjectID == "" && o.OSProject != "" {
		o.ProjectID = d.projects.gisProject(ctx, o.OSProject)
	}
	d.events.record(o, time.Now().UTC())
}

func (l *eventLog) record(o observation, now time.Time) {
	if o.Time.IsZero() {
		o.Time = now
	}
	o.Time = o.Time.UTC()
	k := key(o.Type, o.ID)
	fp := fingerprint(o)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	if _, gone := l.deleted[k]; gone {
		return
	}
	last := l.state[k]
	if last != nil {
		if o.Time.Before(last.changed) {
			return // stale: a list that began before the change we know
		}
		last.seen = now
		if o.ProjectID == "" {
			o.ProjectID = last.project
		}
		if o.DatacenterID == "" {
			o.DatacenterID = last.dc
		}
		if last.fingerprint == fp {
			return
		}
	}
	from := ""
	if last != nil {
		from = last.state
	}
	l.append(o, from, fp)
	if o.State == deletedState(o.Type) {
		delete(l.state, k)
		l.deleted[k] = struct{}{}
		return
	}
	l.state[k] = &known{state: o.State, fingerprint: fp, project: o.ProjectID, dc: o.DatacenterID, attrs: o.Attrs, changed: o.Time, seen: now}
}

// fingerprint is what makes an observation news: its state and what
// billing rates.
func fingerprint(o observation) string {
	b, _ := json.Marshal(o.Attrs)
	return o.State + "\x00" + string(b)
}

// append adds the event of o; l.mu is held.
func (l *eventLog) append(o observation, from, fp string) {
	l.seq++
	sum := sha256.Sum256([]byte(strings.Join([]string{l.name, string(o.Type), o.ID, fp, o.Time.Format(time.RFC3339Nano)}, "\x00")))
	l.events = append(l.events, core.Event{
		ID:           "openstack:" + hex.EncodeToString(sum[:16]),
		Cursor:       l.boot + ":" + strconv.FormatUint(l.seq, 10),
		ResourceType: o.Type,
		ResourceID:   o.ID,
		DatacenterID: o.DatacenterID,
		ProjectID:    o.ProjectID,
		FromState:    from,
		ToState:      o.State,
		Attributes:   o.Attrs,
		Time:         o.Time,
	})
	if over := len(l.events) - l.max; over > 0 && over >= max(1, l.max/4) {
		l.events = append(l.events[:0:0], l.events[over:]...)
	}
	close(l.wake)
	l.wake = make(chan struct{})
}

// sweep ends, as deleted, every known resource of type t that a whole list
// begun at started did not contain and that was not seen since.
func (l *eventLog) sweep(t core.ResourceType, present map[string]bool, started, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	prefix := string(t) + "/"
	for k, s := range l.state {
		if !strings.HasPrefix(k, prefix) || present[strings.TrimPrefix(k, prefix)] || !s.seen.Before(started) {
			continue
		}
		o := observation{Type: t, ID: strings.TrimPrefix(k, prefix), ProjectID: s.project, DatacenterID: s.dc,
			State: deletedState(t), Attrs: s.attrs, Time: now}
		l.append(o, s.state, fingerprint(o))
		delete(l.state, k)
		l.deleted[k] = struct{}{}
	}
}

func (l *eventLog) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.closed = true
		close(l.wake)
	}
}

// Watch replays the retained events after the cursor, then follows new ones.
func (d *Driver) Watch(ctx context.Context, after string, fn func(core.Event) error) error {
	l := d.events
	var pos uint64
	fromOldest := after == ""
	if after != "" {
		boot, seq, ok := strings.Cut(after, ":")
		n, err := strconv.ParseUint(seq, 10, 64)
		if !ok || err != nil {
			return &core.Error{Kind: core.InvalidArgument, Op: "Watch", Message: fmt.Sprintf("cursor %q is not one of this driver's", after)}
		}
		if boot != l.boot {
			return &core.Error{Kind: core.Gone, Op: "Watch", Message: "cursor " + after + " is from an earlier run of the driver"}
		}
		pos = n
	}
	for {
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			return &core.Error{Kind: core.Unavailable, Op: "Watch", Message: "the driver is closed"}
		}
		if pos > l.seq {
			l.mu.Unlock()
			return &core.Error{Kind: core.InvalidArgument, Op: "Watch", Message: fmt.Sprintf("cursor %d is ahead of the stream (%d)", pos, l.seq)}
		}
		oldest := l.seq - uint64(len(l.events))
		if fromOldest && pos < oldest {
			pos = oldest
		}
		fromOldest = false
		if pos < oldest {
			l.mu.Unlock()
			return &core.Error{Kind: core.Gone, Op: "Watch", Message: fmt.Sprintf("cursor %d is older than the retained events", pos)}
		}
		batch := append([]core.Event(nil), l.events[pos-oldest:]...)
		wake := l.wake
		l.mu.Unlock()
		for _, ev := range batch {
			if err := fn(ev); err != nil {
				return err
			}
			pos++
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

// poller lists one kind of resource for the event source. complete says
// the list holds every resource of its type (so one missing is deleted);
// Nova's changes-since list is not complete, and includes deleted servers.
type poller struct {
	typ  core.ResourceType
	list func(ctx context.Context, since time.Time) (obs []observation, complete bool, err error)
}

// pollers are the event source's lists, one per resource type.
func (d *Driver) pollers() []poller {
	ps := []poller{
		{core.TypeServer, d.pollServers},
		{core.TypeImage, d.pollImages},
		{core.TypeVolume, d.pollVolumes},
		{core.TypeVolumeSnapshot, d.pollSnapshots},
		{core.TypeBackup, d.pollBackups},
		{core.TypeFloatingIP, d.pollFloatingIPs},
		{core.TypeSecurityGroup, d.pollSecurityGroups},
		{core.TypeRouter, d.pollRouters},
	}
	if d.admin.lb != nil {
		ps = append(ps, poller{core.TypeLoadBalancer, d.pollLoadBalancers})
	}
	return ps
}

// startEventSources starts polling (and the notification listener when
// configured) until ctx ends.
func (d *Driver) startEventSources(ctx context.Context) {
	if d.cfg.NotificationsURL != "" {
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			d.listenNotifications(ctx)
		}()
	}
	if d.cfg.PollInterval < 0 {
		return
	}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		ps := d.pollers()
		since := make([]time.Time, len(ps))
		t := time.NewTicker(time.Duration(d.cfg.PollInterval))
		defer t.Stop()
		for {
			for i, p := range ps {
				started := time.Now().UTC()
				// Nova's changes-since compares with its own clock in
				// seconds: a margin keeps a change at the edge from
				// falling between two polls.
				obs, complete, err := p.list(ctx, since[i].Add(-2*time.Second))
				if err != nil {
					if ctx.Err() == nil {
						slog.Warn("openstack: poll failed", "type", p.typ, "error", err)
					}
					continue
				}
				present := map[string]bool{}
				for _, o := range obs {
					present[o.ID] = true
					d.observe(ctx, o)
				}
				if complete {
					d.events.sweep(p.typ, present, started, time.Now().UTC())
				}
				since[i] = started
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}
