package plugins_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// fake is the test double of a driver: every operation not written here
// answers Unsupported (core.Unimplemented); the ones written record their
// arguments and answer what the test set.
type fake struct {
	core.Unimplemented

	mu       sync.Mutex
	calls    []string // "Op arg…", in order
	server   core.Server
	servers  []core.Server
	getErr   error
	health   error
	closed   int
	lastSrv  core.ServerCreate
	lastUpd  core.ServerUpdate
	lastRule core.SecurityGroupRuleCreate
	lastOps  []core.PatchOp

	// blocked receives the context of a GetServer("block") call, which
	// then waits for that context to end.
	blocked chan context.Context

	// upload hooks: uploadRead is called with the bytes read so far after
	// each read of the driver's reader.
	uploadRead func(n int64)

	// events is the retained log; Watch replays after a cursor and
	// follows; first is the cursor number of events[0].
	events  []core.Event
	first   int
	changed chan struct{}
}

func newFake() *fake {
	return &fake{changed: make(chan struct{}), first: 1, blocked: make(chan context.Context, 1)}
}

// callsLike returns the recorded calls that start with prefix.
func (f *fake) callsLike(prefix string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		if strings.HasPrefix(c, prefix) {
			out = append(out, c)
		}
	}
	return out
}

func (f *fake) record(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

func (f *fake) Info(context.Context) (core.DriverInfo, error) {
	return core.DriverInfo{Name: "fake", Version: "1.2.3", Capabilities: []core.Clause{core.ClauseServerShow},
		StateTimeout: 1500 * time.Millisecond, CanReplay: true}, nil
}

func (f *fake) Health(context.Context) error { return f.health }

func (f *fake) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed++
	return nil
}

func (f *fake) GetServer(ctx context.Context, id string) (core.Server, error) {
	f.record("GetServer %s", id)
	if id == "block" {
		f.blocked <- ctx
		<-ctx.Done()
		return core.Server{}, core.Wrap(core.Unavailable, "GetServer", ctx.Err())
	}
	if f.getErr != nil {
		return core.Server{}, f.getErr
	}
	s := f.server
	s.ID = id
	return s, nil
}

func (f *fake) ListServers(_ context.Context, opts core.ListOptions) ([]core.Server, error) {
	f.record("ListServers %s/%s", opts.ProjectID, opts.DatacenterID)
	return f.servers, nil
}

func (f *fake) CreateServer(_ context.Context, req core.ServerCreate) (core.Server, error) {
	f.mu.Lock()
	f.lastSrv = req
	f.mu.Unlock()
	return core.Server{ID: "new", Name: req.Name, Metadata: req.Metadata}, nil
}

func (f *fake) UpdateServer(_ context.Context, id string, req core.ServerUpdate) (core.Server, error) {
	f.mu.Lock()
	f.lastUpd = req
	f.mu.Unlock()
	return core.Server{ID: id}, nil
}

func (f *fake) LiveMigrateServer(_ context.Context, id, host string) error {
	f.record("LiveMigrateServer %s %s", id, host)
	return nil
}

func (f *fake) CreateSecurityGroupRule(_ context.Context, req core.SecurityGroupRuleCreate) (core.SecurityGroupRule, error) {
	f.mu.Lock()
	f.lastRule = req
	f.mu.Unlock()
	return core.SecurityGroupRule{ID: "r1", GroupID: req.GroupID, PortRangeMin: req.PortRangeMin, PortRangeMax: req.PortRangeMax}, nil
}

func (f *fake) UpdateImage(_ context.Context, id string, ops []core.PatchOp) (core.Image, error) {
	f.mu.Lock()
	f.lastOps = ops
	f.mu.Unlock()
	return core.Image{ID: id}, nil
}

// UploadImage consumes the data in small reads and reports its size and
// checksum; an image "busy" is Conflict before any data is read.
func (f *fake) UploadImage(_ context.Context, id string, opts core.ImageUpload, data io.Reader) (core.Image, error) {
	if id == "busy" {
		return core.Image{}, &core.Error{Kind: core.Conflict, Op: "UploadImage", Message: "image busy has data"}
	}
	h := sha256.New()
	buf := make([]byte, 4096)
	var n int64
	for {
		k, err := data.Read(buf)
		h.Write(buf[:k])
		n += int64(k)
		if f.uploadRead != nil {
			f.uploadRead(n)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return core.Image{}, &core.Error{Kind: core.InvalidArgument, Op: "UploadImage", Message: "data: " + err.Error()}
		}
	}
	return core.Image{ID: id, DiskFormat: opts.DiskFormat, SizeBytes: n, Checksum: hex.EncodeToString(h.Sum(nil))}, nil
}

// emit appends events to the log, keeping the last keep of them.
func (f *fake) emit(keep int, evs ...core.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, ev := range evs {
		ev.Cursor = strconv.Itoa(f.first + len(f.events))
		if ev.ID == "" {
			ev.ID = "ev-" + ev.Cursor
		}
		f.events = append(f.events, ev)
	}
	if over := len(f.events) - keep; keep > 0 && over > 0 {
		f.events = append([]core.Event(nil), f.events[over:]...)
		f.first += over
	}
	close(f.changed)
	f.changed = make(chan struct{})
}

// Watch is core.Watcher over the retained log.
func (f *fake) Watch(ctx context.Context, after string, fn func(core.Event) error) error {
	f.record("Watch %s", after)
	pos := -1 // "": from the oldest retained
	if after != "" {
		var err error
		if pos, err = strconv.Atoi(after); err != nil {
			return &core.Error{Kind: core.InvalidArgument, Op: "Watch", Message: "bad cursor"}
		}
	}
	if pos < 0 {
		f.mu.Lock()
		pos = f.first - 1
		f.mu.Unlock()
	}
	for {
		f.mu.Lock()
		if pos < f.first-1 {
			f.mu.Unlock()
			return &core.Error{Kind: core.Gone, Op: "Watch", Message: fmt.Sprintf("cursor %d is older than %d", pos, f.first)}
		}
		batch := append([]core.Event(nil), f.events[min(pos-(f.first-1), len(f.events)):]...)
		wake := f.changed
		f.mu.Unlock()
		for _, ev := range batch {
			if err := fn(ev); err != nil {
				return err
			}
			pos, _ = strconv.Atoi(ev.Cursor)
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
