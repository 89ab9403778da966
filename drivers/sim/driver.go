package sim

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// Version is the simulator driver's version.
const Version = "0.1.0"

// Driver is a simulated cloud. It is safe for concurrent use: one mutex
// guards the whole state, as one control plane would.
type Driver struct {
	mu      sync.Mutex
	cfg     Config
	clock   Clock
	st      *state
	rng     *rand.Rand // ids; seeded by Config.Seed
	faults  *rand.Rand // fault draws; seeded apart so faults do not shift ids
	down    map[string]bool
	timers  map[string]func() bool // pending key -> stop
	changed chan struct{}          // closed and replaced on every event
	closed  bool
	saveErr error
}

var _ core.Driver = (*Driver)(nil)

// Option changes how New builds a Driver.
type Option func(*Driver)

// WithClock makes the simulator use c instead of the wall clock.
func WithClock(c Clock) Option { return func(d *Driver) { d.clock = c } }

// New builds a simulated cloud from cfg, restoring it from cfg.StatePath
// when that file exists.
func New(cfg Config, opts ...Option) (*Driver, error) {
	cfg = cfg.clone() // defaults and fault knobs must not reach the caller's value
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	seed := cfg.Seed
	if seed == 0 {
		var b [8]byte
		_, _ = crand.Read(b[:])
		seed = binary.LittleEndian.Uint64(b[:])
	}
	d := &Driver{
		cfg:     cfg,
		clock:   realClock{},
		down:    map[string]bool{},
		timers:  map[string]func() bool{},
		changed: make(chan struct{}),
	}
	for _, o := range opts {
		o(d)
	}
	for _, dc := range cfg.Datacenters {
		d.down[dc.ID] = dc.Down
	}
	var st *state
	if cfg.StatePath != "" {
		var err error
		if st, err = loadState(cfg.StatePath); err != nil {
			return nil, err
		}
	}
	d.faults = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	if st != nil {
		d.st = st
		// Continue the id stream where the previous run stopped.
		d.rng = rand.New(rand.NewPCG(seed, st.IDSeq))
		d.resumePending()
		// Save what the resumed transitions did, so a second restart does
		// not run them again.
		if err := d.commit(); err != nil {
			return nil, err
		}
		return d, nil
	}
	d.rng = rand.New(rand.NewPCG(seed, 0))
	d.st = newState()
	d.st.BootID = d.bootID(cfg.Seed)
	d.seed()
	if err := d.commit(); err != nil {
		return nil, err
	}
	return d, nil
}

// bootID names this cloud's event stream. With a fixed seed and no
// persistence it is still fresh per process, so events of two runs never
// share an id.
func (d *Driver) bootID(seed uint64) string {
	var b [8]byte
	_, _ = crand.Read(b[:])
	_ = seed
	return hex.EncodeToString(b[:])
}

// seed creates the flavors, images and networks of a new cloud.
func (d *Driver) seed() {
	now := d.now()
	for _, f := range d.cfg.Flavors {
		fl := core.Flavor(f)
		d.st.Flavors[f.ID] = &fl
	}
	for _, im := range d.cfg.Images {
		id := d.newID()
		d.st.Images[id] = &core.Image{
			Meta: core.Meta{CreatedAt: now, UpdatedAt: now},
			ID:   id, Name: im.Name, Type: core.ImageTypeImage, Status: core.ImageActive,
			Architecture: im.Architecture, FileLocation: "sim://images/" + id, OwnerID: "",
			ImageTags: []string{}, Visibility: core.VisibilityPublic, MinRAMMB: im.MinRAMMB,
			MinDiskGB: im.MinDiskGB, SizeBytes: im.SizeBytes, DiskFormat: im.DiskFormat, ContainerFormat: "bare",
		}
	}
	for i, dc := range d.cfg.Datacenters {
		d.seedNetworks(i, dc.ID, now)
	}
}

// newID returns a UUID (version 4 layout) drawn from the seeded generator.
func (d *Driver) newID() string {
	d.st.IDSeq++
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], d.rng.Uint64())
	binary.LittleEndian.PutUint64(b[8:], d.rng.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// newMAC returns a locally administered unicast MAC address.
func (d *Driver) newMAC() string {
	v := d.rng.Uint64()
	return fmt.Sprintf("fa:16:3e:%02x:%02x:%02x", byte(v), byte(v>>8), byte(v>>16))
}

// now is the simulator's time, UTC, at microsecond precision (what JSON and
// the plugin boundary keep).
func (d *Driver) now() time.Time { return d.clock.Now().UTC().Truncate(time.Microsecond) }

// Info describes the simulator: it supports every clause.
func (d *Driver) Info(ctx context.Context) (core.DriverInfo, error) {
	if err := ctx.Err(); err != nil {
		return core.DriverInfo{}, core.Wrap(core.Unavailable, "Info", err)
	}
	timeout := 30 * time.Second
	if t := d.maxLatency() * 10; t > timeout {
		timeout = t
	}
	return core.DriverInfo{Name: "sim", Version: Version, Capabilities: core.AllClauses(),
		StateTimeout: timeout, CanReplay: true}, nil
}

func (d *Driver) maxLatency() time.Duration {
	m := time.Duration(d.cfg.Latency)
	for _, l := range d.cfg.Latencies {
		m = max(m, time.Duration(l))
	}
	m = max(m, time.Duration(d.cfg.SoftDeleteReclaim))
	return m
}

// Health is nil unless the simulator is closed or its state cannot be saved.
func (d *Driver) Health(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return core.Errorf(core.Unavailable, "simulator is closed")
	}
	if d.saveErr != nil {
		return core.Wrap(core.Unavailable, "Health", d.saveErr)
	}
	return core.Wrap(core.Unavailable, "Health", ctx.Err())
}

// Close stops every pending transition; they resume at the next New with
// the same StatePath.
func (d *Driver) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	for k, stop := range d.timers {
		stop()
		delete(d.timers, k)
	}
	close(d.changed)
	return d.saveErr
}

// begin is called first by every operation: it honours the context,
// refuses calls after Close, and injects the configured faults.
func (d *Driver) begin(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return core.Wrap(core.Unavailable, op, err)
	}
	d.mu.Lock()
	closed := d.closed
	f, ok := d.cfg.Faults[op]
	if !ok {
		f, ok = d.cfg.Faults["*"]
	}
	var fail bool
	if ok && f.ErrorRate > 0 {
		fail = d.faults.Float64() < f.ErrorRate
	}
	d.mu.Unlock()
	if closed {
		return &core.Error{Kind: core.Unavailable, Op: op, Message: "simulator is closed"}
	}
	if ok && f.Latency > 0 {
		done := make(chan struct{})
		stop := d.clock.AfterFunc(time.Duration(f.Latency), func() { close(done) })
		select {
		case <-done:
		case <-ctx.Done():
			stop()
			return core.Wrap(core.Unavailable, op, ctx.Err())
		}
	}
	if fail {
		kind := f.Kind
		if kind == "" {
			kind = core.Unavailable
		}
		return &core.Error{Kind: kind, Op: op, Message: "injected fault"}
	}
	return nil
}

// checkDC returns Unavailable when datacenter dc is down and InvalidArgument
// when there is no such datacenter. Called with d.mu held.
func (d *Driver) checkDC(op, dc string) error {
	down, ok := d.down[dc]
	if !ok {
		return &core.Error{Kind: core.InvalidArgument, Op: op, Message: fmt.Sprintf("datacenter_id: no datacenter %q", dc)}
	}
	if down {
		return &core.Error{Kind: core.Unavailable, Op: op, Message: fmt.Sprintf("datacenter %s is down", dc)}
	}
	return nil
}

// resolveDC picks the datacenter of a create: the one named, else the first.
// Called with d.mu held.
func (d *Driver) resolveDC(op string, m *core.CreateMeta) error {
	if m.DatacenterID == "" {
		m.DatacenterID = d.cfg.Datacenters[0].ID
	}
	return d.checkDC(op, m.DatacenterID)
}

// commit saves the state when persistence is on. Called with d.mu held at
// the end of every change.
func (d *Driver) commit() error {
	if d.cfg.StatePath == "" {
		return nil
	}
	if err := d.st.save(d.cfg.StatePath); err != nil {
		d.saveErr = err
		return core.Wrap(core.Internal, "save", err)
	}
	d.saveErr = nil
	return nil
}

// SetDatacenterDown takes a datacenter down or brings it back (a fault knob).
func (d *Driver) SetDatacenterDown(dc string, down bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, known := d.down[dc]; known { // an unknown id must stay unknown
		d.down[dc] = down
	}
}

// SetFault sets or, with a zero Fault, clears the fault of an operation.
func (d *Driver) SetFault(op string, f Fault) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cfg.Faults == nil {
		d.cfg.Faults = map[string]Fault{}
	}
	if f == (Fault{}) {
		delete(d.cfg.Faults, op)
		return
	}
	d.cfg.Faults[op] = f
}

// SetQuota overrides one project's quota in one datacenter.
func (d *Driver) SetQuota(dc, project string, q Quota) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.st.Quotas[dc+"/"+project] = q
	_ = d.commit()
}

// token looks up the id created earlier with the same client token.
// Called with d.mu held.
func (d *Driver) token(typ core.ResourceType, m core.CreateMeta) (string, bool) {
	if m.ClientToken == "" {
		return "", false
	}
	id, ok := d.st.Tokens[string(typ)+"/"+m.ProjectID+"/"+m.ClientToken]
	return id, ok
}

// remember records the id created with a client token. Called with d.mu held.
func (d *Driver) remember(typ core.ResourceType, m core.CreateMeta, id string) {
	if m.ClientToken != "" {
		d.st.Tokens[string(typ)+"/"+m.ProjectID+"/"+m.ClientToken] = id
	}
}

// newMeta is the Meta of a resource created now from m.
func (d *Driver) newMeta(m core.CreateMeta) core.Meta {
	now := d.now()
	return core.Meta{ProjectID: m.ProjectID, DatacenterID: m.DatacenterID, Tags: cloneMap(m.Tags),
		CreatedAt: now, UpdatedAt: now}
}

// notFound is the error for an unknown id.
func notFound(op string, typ core.ResourceType, id string) error {
	return &core.Error{Kind: core.NotFound, Op: op, Message: fmt.Sprintf("%s %s not found", typ, id)}
}

// conflict and invalid build errors of their kind.
func conflict(op, format string, args ...any) error {
	return &core.Error{Kind: core.Conflict, Op: op, Message: fmt.Sprintf(format, args...)}
}

func invalidArg(op, format string, args ...any) error {
	return &core.Error{Kind: core.InvalidArgument, Op: op, Message: fmt.Sprintf(format, args...)}
}

// matches reports whether a resource of project and datacenter passes opts.
func matches(opts core.ListOptions, m core.Meta) bool {
	return (opts.ProjectID == "" || opts.ProjectID == m.ProjectID) &&
		(opts.DatacenterID == "" || opts.DatacenterID == m.DatacenterID)
}
