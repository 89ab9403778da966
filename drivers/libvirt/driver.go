package libvirt

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	lv "libvirt.org/go/libvirt"

	"github.com/gisiaas/gisiaas/core"
)

// Version is the libvirt driver's version.
const Version = "0.1.0"

// Driver is a group of libvirt hosts behind core.Driver. It is safe for
// concurrent use: one mutex guards the store and the event log; libvirt
// calls that take long (uploads, graceful stops) run outside it.
type Driver struct {
	core.Unimplemented

	cfg   Config
	mu    sync.Mutex
	obsMu sync.Mutex // one observation at a time, so transitions are reported in order
	// createMu makes a create's token lookup, quota check and definition one step.
	createMu sync.Mutex
	// sgMu serializes changes of security groups and their filters.
	sgMu  sync.Mutex
	st    *state
	hosts map[string]*host // by host name
	order []*host          // in configuration order

	changed chan struct{} // closed and replaced on every event
	closed  bool
	queue   *eventQueue // libvirt callbacks → the worker
	done    chan struct{}
	wg      sync.WaitGroup

	// transient is a state the hypervisor does not show (BUILD while a
	// server is being created, REBOOT, MIGRATING), by server id.
	transient map[string]core.ServerStatus
	// caps is what every host's hypervisor can do.
	caps hostCaps
	// kicks wake what waits for a domain's next event, by domain id.
	kickMu sync.Mutex
	kicks  map[string][]chan struct{}
}

var _ core.Driver = (*Driver)(nil)

// host is one libvirt connection of a datacenter.
type host struct {
	name, uri, dc string
	mu            sync.Mutex
	conn          *lv.Connect
	typ           string // the connection's hypervisor type: "TEST", "QEMU" …
	callbackIDs   []int
	markLost      func() // what libvirt's close callback calls: reconnect
}

// hostCaps is what the hypervisors of the configured hosts can do.
type hostCaps struct {
	// hotplug: attach and detach volumes; hot-plugged where the hypervisor
	// can, else into the persistent definition (the test driver).
	hotplug, upload, resizeVolume, migrate bool
	// nwfilter: security groups (the test driver has no nwfilter).
	nwfilter bool
}

var eventLoopOnce sync.Once
var eventLoopErr error

// startEventLoop registers libvirt's default event loop and runs it for
// the life of the process: it must exist before the first connection is
// opened for domain event callbacks to be delivered.
func startEventLoop() error {
	eventLoopOnce.Do(func() {
		if eventLoopErr = lv.EventRegisterDefaultImpl(); eventLoopErr != nil {
			return
		}
		go func() {
			for {
				if err := lv.EventRunDefaultImpl(); err != nil {
					slog.Error("libvirt event loop", "err", err)
					time.Sleep(100 * time.Millisecond)
				}
			}
		}()
	})
	return eventLoopErr
}

// FromSettings builds the driver from gisiaas's settings (JSON).
func FromSettings(settings []byte) (core.Driver, error) {
	cfg, err := ParseConfig(settings)
	if err != nil {
		return nil, err
	}
	d, err := New(cfg)
	if err != nil {
		return nil, err // not a typed nil in a core.Driver
	}
	return d, nil
}

// New connects to every configured host, registers the domain event
// callbacks and reconciles the event stream with what the hosts show.
func New(cfg Config) (*Driver, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := startEventLoop(); err != nil {
		return nil, fmt.Errorf("libvirt event loop: %w", err)
	}
	st, err := loadState(cfg.StatePath)
	if err != nil {
		return nil, err
	}
	if st.Epoch == "" {
		st.Epoch = newID()[:8]
	}
	d := &Driver{cfg: cfg, st: st, hosts: map[string]*host{}, changed: make(chan struct{}),
		queue: newEventQueue(), done: make(chan struct{}), transient: map[string]core.ServerStatus{},
		kicks: map[string][]chan struct{}{}}
	for _, f := range cfg.Flavors {
		if _, ok := d.st.Flavors[f.ID]; !ok {
			d.st.Flavors[f.ID] = f
		}
	}
	for _, dc := range cfg.Datacenters {
		for _, hc := range dc.Hosts {
			h := &host{name: hc.Name, uri: hc.URI, dc: dc.ID}
			d.hosts[h.name] = h
			d.order = append(d.order, h)
		}
	}
	d.caps = hostCaps{hotplug: true, upload: true, resizeVolume: true, migrate: true, nwfilter: true}
	for _, h := range d.order {
		if err := d.connect(h); err != nil {
			d.abandon()
			return nil, err
		}
		if fs, err := h.conn.ListAllNWFilters(0); err != nil {
			d.caps.nwfilter = false
		} else {
			for i := range fs {
				_ = fs[i].Free()
			}
		}
		if h.isTest() { // the test driver: no upload, volume resize, nor migration
			d.caps.upload, d.caps.resizeVolume, d.caps.migrate = false, false, false
		}
	}
	if !d.hasSecondHost() {
		d.caps.migrate = false
	}
	d.mu.Lock()
	err = d.seedImages()
	d.mu.Unlock()
	if err != nil {
		d.abandon()
		return nil, err
	}
	d.wg.Add(1)
	go d.worker()
	for _, h := range d.order {
		d.reconcile(h)
	}
	return d, nil
}

// hasSecondHost reports whether some datacenter has two hosts to migrate between.
func (d *Driver) hasSecondHost() bool {
	for _, dc := range d.cfg.Datacenters {
		if len(dc.Hosts) > 1 {
			return true
		}
	}
	return false
}

// connect opens h's connection and registers its callbacks.
func (d *Driver) connect(h *host) error {
	conn, err := lv.NewConnect(h.uri)
	if err != nil {
		return fmt.Errorf("libvirt host %s: %w", h.name, lverr("connect", err))
	}
	typ, err := conn.GetType()
	if err != nil {
		_, _ = conn.Close()
		return fmt.Errorf("libvirt host %s: %w", h.name, lverr("connect", err))
	}
	if !strings.HasPrefix(h.uri, "test:") {
		_ = conn.SetKeepAlive(5, 3) // a lost remote host is noticed in ~20 s
	}
	lost := make(chan struct{})
	var once sync.Once
	markLost := func() { once.Do(func() { close(lost) }) }
	if err := conn.RegisterCloseCallback(func(*lv.Connect, lv.ConnectCloseReason) { markLost() }); err != nil {
		slog.Warn("libvirt: no close callback", "host", h.name, "err", err)
	}
	queue := func(dom *lv.Domain) {
		if uuid, err := dom.GetUUIDString(); err == nil {
			d.queue.push(domainEvent{host: h.name, uuid: uuid})
		}
	}
	id, err := conn.DomainEventLifecycleRegister(nil, func(_ *lv.Connect, dom *lv.Domain, _ *lv.DomainEventLifecycle) { queue(dom) })
	if err != nil {
		_, _ = conn.Close()
		return fmt.Errorf("libvirt host %s: domain events: %w", h.name, lverr("connect", err))
	}
	ids := []int{id}
	// A disk the guest released and a finished job (a backup) wake what
	// waits for them; a hypervisor without these events leaves the waits
	// to their slow re-checks.
	if id, err := conn.DomainEventDeviceRemovedRegister(nil, func(_ *lv.Connect, dom *lv.Domain, _ *lv.DomainEventDeviceRemoved) { queue(dom) }); err == nil {
		ids = append(ids, id)
	}
	if id, err := conn.DomainEventJobCompletedRegister(nil, func(_ *lv.Connect, dom *lv.Domain, _ *lv.DomainEventJobCompleted) { queue(dom) }); err == nil {
		ids = append(ids, id)
	}
	h.mu.Lock()
	h.conn, h.typ, h.callbackIDs, h.markLost = conn, typ, ids, markLost
	h.mu.Unlock()
	d.wg.Add(1)
	go d.watchConnection(h, lost)
	return nil
}

// watchConnection reconnects h once its connection is lost, with backoff,
// then reconciles what changed meanwhile.
func (d *Driver) watchConnection(h *host, lost chan struct{}) {
	defer d.wg.Done()
	select {
	case <-d.done:
		return
	case <-lost:
	}
	slog.Warn("libvirt: connection lost; reconnecting", "host", h.name)
	h.mu.Lock()
	old := h.conn
	h.conn = nil
	h.mu.Unlock()
	if old != nil {
		_, _ = old.Close()
	}
	wait := 100 * time.Millisecond
	for {
		if err := d.connect(h); err == nil {
			d.reconcile(h)
			return
		}
		t := time.NewTimer(wait)
		select {
		case <-d.done:
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(2*wait, 10*time.Second)
	}
}

// conn returns h's live connection or an Unavailable error.
func (h *host) connection(op string) (*lv.Connect, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.conn == nil {
		return nil, &core.Error{Kind: core.Unavailable, Op: op, Message: "host " + h.name + " is not connected"}
	}
	return h.conn, nil
}

// Info describes the driver: the clauses its hosts' hypervisors support.
func (d *Driver) Info(context.Context) (core.DriverInfo, error) {
	return core.DriverInfo{Name: "libvirt", Version: Version, Capabilities: d.capabilities(),
		StateTimeout: 2*time.Duration(d.cfg.StopTimeout) + time.Minute, CanReplay: true}, nil
}

// capabilities are the clauses declared: everything written below, less
// what the configured hypervisors cannot do.
func (d *Driver) capabilities() []core.Clause {
	cs := []core.Clause{core.ClauseDatacenters, core.ClauseComputeQuota, core.ClauseVolumeQuota,
		core.ClauseServerCreate, core.ClauseServerDelete, core.ClauseServerShow, core.ClauseServerUpdate,
		core.ClauseServerStart, core.ClauseServerStop, core.ClauseServerReboot, core.ClauseServerList,
		core.ClauseServerResize,
		core.ClauseFlavorCreate, core.ClauseFlavorDelete, core.ClauseFlavorShow, core.ClauseFlavorList,
		core.ClauseImageCreate, core.ClauseImageDelete, core.ClauseImageShow, core.ClauseImageUpdate, core.ClauseImageList,
		core.ClauseNetworkList,
		core.ClauseVolumeCreate, core.ClauseVolumeDelete, core.ClauseVolumeShow}
	if d.caps.migrate {
		cs = append(cs, core.ClauseServerLiveMigrate)
	}
	if d.caps.upload {
		cs = append(cs, core.ClauseImageUpload)
	}
	if d.caps.hotplug {
		cs = append(cs, core.ClauseVolumeAttach, core.ClauseVolumeDetach)
	}
	if d.caps.resizeVolume {
		cs = append(cs, core.ClauseVolumeExtend)
	}
	if d.caps.nwfilter {
		cs = append(cs, core.ClauseSecGroupCreate, core.ClauseSecGroupDelete, core.ClauseSecGroupShow,
			core.ClauseSecGroupRuleCreate, core.ClauseSecGroupRuleDelete)
	}
	return cs
}

// Health answers nil when every host's connection is alive.
func (d *Driver) Health(context.Context) error {
	for _, h := range d.order {
		c, err := h.connection("Health")
		if err != nil {
			return err
		}
		if alive, err := c.IsAlive(); err != nil || !alive {
			return &core.Error{Kind: core.Unavailable, Op: "Health", Message: "host " + h.name + " does not answer"}
		}
	}
	return nil
}

// Close stops the event worker and closes every connection.
func (d *Driver) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	close(d.done)
	close(d.changed)
	d.mu.Unlock()
	d.queue.close()
	d.closeHosts()
	d.wg.Wait()
	return nil
}

// abandon undoes a New that failed half-way: the connections opened so
// far and their watchers.
func (d *Driver) abandon() {
	d.closed = true
	close(d.done)
	d.closeHosts()
	d.wg.Wait()
}

func (d *Driver) closeHosts() {
	for _, h := range d.order {
		h.mu.Lock()
		if h.conn != nil {
			for _, id := range h.callbackIDs {
				_ = h.conn.DomainEventDeregister(id)
			}
			_, _ = h.conn.Close()
			h.conn = nil
		}
		h.mu.Unlock()
	}
}

// dcHosts returns the hosts of datacenter dc, or InvalidArgument.
func (d *Driver) dcHosts(op, dc string) ([]*host, error) {
	var out []*host
	for _, h := range d.order {
		if h.dc == dc {
			out = append(out, h)
		}
	}
	if len(out) == 0 {
		return nil, &core.Error{Kind: core.InvalidArgument, Op: op, Message: fmt.Sprintf("datacenter_id: datacenter %q not found", dc)}
	}
	return out, nil
}

// resolveDC fills an empty datacenter with the first one and checks it.
func (d *Driver) resolveDC(op string, m *core.CreateMeta) error {
	if m.DatacenterID == "" {
		m.DatacenterID = d.cfg.Datacenters[0].ID
	}
	_, err := d.dcHosts(op, m.DatacenterID)
	return err
}

// newID is a random UUID (version 4).
func newID() string {
	var b [16]byte
	_, _ = crand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func now() time.Time { return time.Now().UTC() }

// Errors.

func notFound(op string, typ core.ResourceType, id string) error {
	return &core.Error{Kind: core.NotFound, Op: op, Message: fmt.Sprintf("%s %s not found", typ, id)}
}

func invalidArg(op, format string, a ...any) error {
	return &core.Error{Kind: core.InvalidArgument, Op: op, Message: fmt.Sprintf(format, a...)}
}

func conflict(op, format string, a ...any) error {
	return &core.Error{Kind: core.Conflict, Op: op, Message: fmt.Sprintf(format, a...)}
}

// lverr classifies a libvirt error into a kind.
func lverr(op string, err error) error {
	if err == nil {
		return nil
	}
	var ce *core.Error
	if errors.As(err, &ce) {
		return core.WithOp(op, err)
	}
	var le lv.Error
	if !errors.As(err, &le) {
		return core.Wrap(core.Internal, op, err)
	}
	kind := core.Internal
	switch le.Code {
	case lv.ERR_NO_DOMAIN, lv.ERR_NO_STORAGE_VOL, lv.ERR_NO_NETWORK, lv.ERR_NO_STORAGE_POOL, lv.ERR_NO_DOMAIN_METADATA:
		kind = core.NotFound
	case lv.ERR_NO_SUPPORT, lv.ERR_ARGUMENT_UNSUPPORTED:
		kind = core.Unsupported
	case lv.ERR_OPERATION_INVALID, lv.ERR_OPERATION_FAILED, lv.ERR_OPERATION_DENIED, lv.ERR_DOM_EXIST, lv.ERR_STORAGE_VOL_EXIST:
		kind = core.Conflict
	case lv.ERR_INVALID_ARG, lv.ERR_XML_ERROR, lv.ERR_CONFIG_UNSUPPORTED:
		kind = core.InvalidArgument
	case lv.ERR_NO_CONNECT, lv.ERR_INVALID_CONN, lv.ERR_RPC, lv.ERR_SYSTEM_ERROR, lv.ERR_OPERATION_TIMEOUT, lv.ERR_AGENT_UNRESPONSIVE:
		kind = core.Unavailable
	case lv.ERR_AUTH_FAILED, lv.ERR_AUTH_CANCELLED, lv.ERR_AUTH_UNAVAILABLE:
		kind = core.Unauthenticated
	case lv.ERR_ACCESS_DENIED:
		kind = core.PermissionDenied
	}
	return &core.Error{Kind: kind, Op: op, Message: le.Message, Err: err}
}

// isCode reports whether err is a libvirt error of code.
func isCode(err error, code lv.ErrorNumber) bool {
	var le lv.Error
	return errors.As(err, &le) && le.Code == code
}

// isTest reports whether h is libvirt's test driver (test:///default).
func (h *host) isTest() bool { return strings.EqualFold(h.typ, "test") }
