package plugins_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/status"

	"github.com/gisiaas/gisiaas/core"
	"github.com/gisiaas/gisiaas/plugins"
	"github.com/gisiaas/gisiaas/plugins/plugintest"
	pb "github.com/gisiaas/gisiaas/plugins/proto/driverpb"
)

// TestEveryDriverMethodHasAnRPC fails when core.Driver gains a method the
// protocol does not carry.
func TestEveryDriverMethodHasAnRPC(t *testing.T) {
	rpcs := map[string]bool{}
	for _, m := range pb.Driver_ServiceDesc.Methods {
		rpcs[m.MethodName] = true
	}
	for _, s := range pb.Driver_ServiceDesc.Streams {
		rpcs[s.StreamName] = true
	}
	driver := reflect.TypeOf((*core.Driver)(nil)).Elem()
	for i := 0; i < driver.NumMethod(); i++ {
		name := driver.Method(i).Name
		if !rpcs[name] {
			t.Errorf("core.Driver.%s has no RPC", name)
		}
		delete(rpcs, name)
	}
	delete(rpcs, "Configure")
	if len(rpcs) > 0 {
		t.Errorf("RPCs that are no method of core.Driver: %v", rpcs)
	}
	if len(pb.Driver_ServiceDesc.Methods)+len(pb.Driver_ServiceDesc.Streams) != driver.NumMethod()+1 {
		t.Errorf("%d RPCs for %d methods and Configure", len(pb.Driver_ServiceDesc.Methods)+len(pb.Driver_ServiceDesc.Streams), driver.NumMethod())
	}
}

// bare answers Unsupported for every service operation, with the
// operation's name as Op: calling each method through the boundary and
// getting its own name back proves the client calls the right RPC and the
// server the right driver method.
type bare struct{ core.Unimplemented }

func (bare) Info(context.Context) (core.DriverInfo, error) { return core.DriverInfo{Name: "bare"}, nil }
func (bare) Health(context.Context) error                  { return nil }
func (bare) Close() error                                  { return nil }

func TestEveryMethodReachesTheDriversMethodOfTheSameName(t *testing.T) {
	d := plugintest.New(t, bare{})
	v := reflect.ValueOf(d.Client)
	driver := reflect.TypeOf((*core.Driver)(nil)).Elem()
	ctx := reflect.ValueOf(context.Background())
	checked := 0
	for i := 0; i < driver.NumMethod(); i++ {
		m := driver.Method(i)
		switch m.Name {
		case "Info", "Health", "Close":
			continue
		}
		mt := m.Type
		args := []reflect.Value{ctx}
		for j := 1; j < mt.NumIn(); j++ {
			switch in := mt.In(j); {
			case in == reflect.TypeOf((*io.Reader)(nil)).Elem():
				args = append(args, reflect.ValueOf(io.Reader(strings.NewReader("data"))))
			case in.Kind() == reflect.Func:
				args = append(args, reflect.ValueOf(func(core.Event) error { return nil }))
			default:
				args = append(args, reflect.Zero(in))
			}
		}
		out := v.MethodByName(m.Name).Call(args)
		err, _ := out[len(out)-1].Interface().(error)
		var ce *core.Error
		if !errors.As(err, &ce) || ce.Kind != core.Unsupported || ce.Op != m.Name {
			t.Errorf("%s: err = %v; want Unsupported from the driver's %s", m.Name, err, m.Name)
			continue
		}
		checked++
	}
	if want := driver.NumMethod() - 3; checked != want {
		t.Fatalf("checked %d methods; want every service method, %d", checked, want)
	}
}

func TestInfoAndHealthCross(t *testing.T) {
	f := newFake()
	d := plugintest.New(t, f)
	ctx := context.Background()
	info, err := d.Info(ctx)
	want, _ := f.Info(ctx)
	if err != nil || !reflect.DeepEqual(info, want) {
		t.Fatalf("Info = %+v, %v; want %+v", info, err, want)
	}
	if err := d.Health(ctx); err != nil {
		t.Fatalf("Health = %v", err)
	}
	f.health = core.Errorf(core.Unavailable, "cloud down")
	if err := d.Health(ctx); core.KindOf(err) != core.Unavailable || core.MessageOf(err) != "cloud down" {
		t.Fatalf("Health = %v; want Unavailable cloud down", err)
	}
	if errors.Is(d.Health(ctx), plugins.ErrPluginUnreachable) {
		t.Fatal("a driver's own Unavailable must not look like an unreachable plugin")
	}
	if err := d.Close(); err != nil || f.closed != 1 {
		t.Fatalf("Close = %v, driver closed %d times; want nil, 1", err, f.closed)
	}
}

// TestErrorsCrossIntact: a *core.Error of every kind comes back with the
// same kind, op, message and cause text, matching its sentinel.
func TestErrorsCrossIntact(t *testing.T) {
	f := newFake()
	d := plugintest.New(t, f)
	sentinels := map[core.Kind]error{core.NotFound: core.ErrNotFound, core.Conflict: core.ErrConflict,
		core.InvalidArgument: core.ErrInvalidArgument, core.Unauthenticated: core.ErrUnauthenticated,
		core.PermissionDenied: core.ErrPermissionDenied, core.QuotaExceeded: core.ErrQuotaExceeded,
		core.Unsupported: core.ErrUnsupported, core.Unavailable: core.ErrUnavailable, core.Throttled: core.ErrThrottled,
		core.Gone: core.ErrGone, core.Internal: core.ErrInternal}
	if len(sentinels) != len(core.Kinds) {
		t.Fatalf("the table has %d kinds, core.Kinds %d", len(sentinels), len(core.Kinds))
	}
	kinds := append([]core.Kind{core.KindUnknown}, core.Kinds...)
	for _, k := range kinds {
		for _, variant := range []struct {
			name string
			err  *core.Error
		}{
			{"full", &core.Error{Kind: k, Op: "GetServer", Message: "message of " + string(k), Err: errors.New("cause of " + string(k))}},
			{"no cause", &core.Error{Kind: k, Op: "CreateThing", Message: "only a message"}},
			{"only cause", &core.Error{Kind: k, Err: errors.New("only a cause")}},
			{"bare", &core.Error{Kind: k}},
		} {
			t.Run(string(k)+"/"+variant.name, func(t *testing.T) {
				f.getErr = variant.err
				_, err := d.GetServer(context.Background(), "x")
				var got *core.Error
				if !errors.As(err, &got) {
					t.Fatalf("err = %T %v; want *core.Error", err, err)
				}
				w := variant.err
				if got.Kind != w.Kind || got.Op != w.Op || got.Message != w.Message {
					t.Fatalf("got kind %q op %q message %q; want %q %q %q", got.Kind, got.Op, got.Message, w.Kind, w.Op, w.Message)
				}
				if (got.Err == nil) != (w.Err == nil) || (w.Err != nil && got.Err.Error() != w.Err.Error()) {
					t.Fatalf("cause = %v; want %v", got.Err, w.Err)
				}
				if err.Error() != w.Error() || core.MessageOf(err) != core.MessageOf(w) {
					t.Fatalf("Error() = %q; want %q", err.Error(), w.Error())
				}
				if s, ok := sentinels[k]; ok && !errors.Is(err, s) {
					t.Fatalf("errors.Is(err, sentinel of %s) = false", k)
				}
				if _, isStatus := status.FromError(err); isStatus {
					t.Fatalf("a raw gRPC status leaked: %v", err)
				}
			})
		}
	}
}

func TestPlainAndContextErrorsCross(t *testing.T) {
	f := newFake()
	d := plugintest.New(t, f)
	f.getErr = errors.New("disk on fire")
	_, err := d.GetServer(context.Background(), "x")
	if core.KindOf(err) != core.Internal || core.MessageOf(err) != "disk on fire" {
		t.Fatalf("plain error: %v; want Internal with its text, as core.KindOf classifies it in process", err)
	}
	// A driver's own timeout keeps context.DeadlineExceeded as its cause.
	f.getErr = core.Wrap(core.Unavailable, "GetServer", context.DeadlineExceeded)
	_, err = d.GetServer(context.Background(), "x")
	if core.KindOf(err) != core.Unavailable || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v; want Unavailable wrapping context.DeadlineExceeded", err)
	}
}

// waitCtx receives the plugin-side context of a blocked call.
func waitCtx(t *testing.T, f *fake) context.Context {
	t.Helper()
	select {
	case ctx := <-f.blocked:
		return ctx
	case <-time.After(10 * time.Second):
		t.Fatal("the call never reached the driver")
		return nil
	}
}

func waitDone(t *testing.T, ctx context.Context) {
	t.Helper()
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the driver's context was never cancelled")
	}
}

func TestCancellationReachesThePlugin(t *testing.T) {
	f := newFake()
	d := plugintest.New(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { _, err := d.GetServer(ctx, "block"); errc <- err }()
	pctx := waitCtx(t, f)
	cancel()
	waitDone(t, pctx)
	if !errors.Is(pctx.Err(), context.Canceled) {
		t.Fatalf("plugin ctx err = %v; want Canceled", pctx.Err())
	}
	err := <-errc
	if core.KindOf(err) != core.Unavailable || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v; want Unavailable wrapping context.Canceled", err)
	}
	if errors.Is(err, plugins.ErrPluginUnreachable) {
		t.Fatal("a cancelled call is not an unreachable plugin")
	}
}

func TestDeadlineReachesThePlugin(t *testing.T) {
	f := newFake()
	d := plugintest.New(t, f)
	deadline := time.Now().Add(300 * time.Millisecond)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	errc := make(chan error, 1)
	go func() { _, err := d.GetServer(ctx, "block"); errc <- err }()
	pctx := waitCtx(t, f)
	got, ok := pctx.Deadline()
	// gRPC sends the time left, so the plugin's deadline is the host's
	// give or take the transit time.
	if skew := got.Sub(deadline).Abs(); !ok || skew > 100*time.Millisecond {
		t.Fatalf("plugin deadline = %v, %v; want close to %v", got, ok, deadline)
	}
	// The plugin's call ends with the host's deadline: by its own timer
	// (DeadlineExceeded) or by the host cancelling the stream (Canceled),
	// whichever comes first.
	waitDone(t, pctx)
	if err := <-errc; core.KindOf(err) != core.Unavailable || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v; want Unavailable wrapping context.DeadlineExceeded", err)
	}
}

func TestUnreachablePluginIsUnavailable(t *testing.T) {
	d := plugintest.New(t, newFake())
	d.Kill()
	_, err := d.GetServer(context.Background(), "x")
	if core.KindOf(err) != core.Unavailable || !errors.Is(err, plugins.ErrPluginUnreachable) {
		t.Fatalf("err = %v; want Unavailable caused by ErrPluginUnreachable", err)
	}
	if _, isStatus := status.FromError(err); isStatus {
		t.Fatalf("a raw gRPC status leaked: %v", err)
	}
}

// TestNilAndEmptyCross checks the nil-versus-empty rule on real calls:
// list results, pointer fields of updates and rules, maps of requests.
func TestNilAndEmptyCross(t *testing.T) {
	f := newFake()
	d := plugintest.New(t, f)
	ctx := context.Background()
	for _, list := range [][]core.Server{nil, {}, {{ID: "a", VolumeIDs: []string{}}, {ID: "b"}}} {
		f.servers = list
		got, err := d.ListServers(ctx, core.ListOptions{ProjectID: "p"})
		if err != nil || !reflect.DeepEqual(got, list) || (got == nil) != (list == nil) {
			t.Fatalf("ListServers = %#v, %v; want %#v", got, err, list)
		}
	}
	empty, name := "", "n"
	for _, upd := range []core.ServerUpdate{{}, {Name: &empty}, {Name: &name, Description: &empty}} {
		if _, err := d.UpdateServer(ctx, "s", upd); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(f.lastUpd, upd) {
			t.Fatalf("driver got %+v; want %+v", f.lastUpd, upd)
		}
	}
	zero, port := 0, 443
	for _, r := range []core.SecurityGroupRuleCreate{
		{GroupID: "g"}, {GroupID: "g", PortRangeMin: &zero}, {GroupID: "g", PortRangeMin: &port, PortRangeMax: &port}} {
		got, err := d.CreateSecurityGroupRule(ctx, r)
		if err != nil || !reflect.DeepEqual(f.lastRule, r) {
			t.Fatalf("driver got %+v (%v); want %+v", f.lastRule, err, r)
		}
		if !reflect.DeepEqual(got.PortRangeMin, r.PortRangeMin) || !reflect.DeepEqual(got.PortRangeMax, r.PortRangeMax) {
			t.Fatalf("result ports %v %v; want %v %v", got.PortRangeMin, got.PortRangeMax, r.PortRangeMin, r.PortRangeMax)
		}
	}
	for _, md := range []map[string]string{nil, {}, {"k": "v"}} {
		s, err := d.CreateServer(ctx, core.ServerCreate{Name: "x", Metadata: md, UserData: []byte{}})
		if err != nil || !reflect.DeepEqual(f.lastSrv.Metadata, md) || !reflect.DeepEqual(s.Metadata, md) {
			t.Fatalf("metadata sent %#v, driver got %#v, came back %#v", md, f.lastSrv.Metadata, s.Metadata)
		}
		if f.lastSrv.UserData == nil {
			t.Fatal("empty user data arrived nil")
		}
	}
}

func TestPatchValuesCross(t *testing.T) {
	f := newFake()
	d := plugintest.New(t, f)
	ops := []core.PatchOp{
		{Op: "replace", Path: "/min_ram_mb", Value: 512.0},
		{Op: "replace", Path: "/min_disk_gb", Value: 10},
		{Op: "add", Path: "/image_tags", Value: []any{"a", "b"}},
		{Op: "add", Path: "/tags", Value: []string{"c"}},
		{Op: "replace", Path: "/protected", Value: true},
		{Op: "remove", Path: "/description"},
	}
	if _, err := d.UpdateImage(context.Background(), "img", ops); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.lastOps, ops) {
		t.Fatalf("driver got %#v; want %#v", f.lastOps, ops)
	}
	_, err := d.UpdateImage(context.Background(), "img", []core.PatchOp{{Op: "add", Path: "/x", Value: time.Now()}})
	if core.KindOf(err) != core.InvalidArgument {
		t.Fatalf("err = %v; want InvalidArgument for a value that cannot cross", err)
	}
}

func TestUploadStreamsTheData(t *testing.T) {
	f := newFake()
	d := plugintest.New(t, f)
	data := make([]byte, 3<<20+17) // not a multiple of the chunk size
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	img, err := d.UploadImage(context.Background(), "img", core.ImageUpload{DiskFormat: "qcow2"}, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if img.SizeBytes != int64(len(data)) || img.Checksum != hex.EncodeToString(sum[:]) || img.DiskFormat != "qcow2" {
		t.Fatalf("driver saw %d bytes, checksum %s; want %d, %x", img.SizeBytes, img.Checksum, len(data), sum)
	}
}

// countingReader is an endless source of zeros that counts what was read
// and says when more than limit bytes were.
type countingReader struct {
	n, limit, total int64
	over            chan struct{}
	closed          bool
}

func (r *countingReader) Read(p []byte) (int, error) {
	if r.n >= r.total {
		return 0, io.EOF
	}
	k := int64(len(p))
	if r.n+k > r.total {
		k = r.total - r.n
	}
	clear(p[:k])
	r.n += k
	if r.n > r.limit && !r.closed {
		r.closed = true
		close(r.over)
	}
	return int(k), nil
}

// TestUploadIsNotBuffered holds the driver after its first read and checks
// that the host stops reading the source long before the end: flow control
// holds the data back, nothing buffers the image whole.
func TestUploadIsNotBuffered(t *testing.T) {
	f := newFake()
	d := plugintest.New(t, f)
	const total, limit = 64 << 20, 16 << 20
	src := &countingReader{total: total, limit: limit, over: make(chan struct{})}
	hold, held := make(chan struct{}), make(chan struct{})
	var once bool
	f.uploadRead = func(n int64) {
		if !once {
			once = true
			close(held)
			<-hold
		}
	}
	done := make(chan error, 1)
	go func() {
		img, err := d.UploadImage(context.Background(), "img", core.ImageUpload{DiskFormat: "raw"}, src)
		if err == nil && img.SizeBytes != total {
			err = errors.New("wrong size")
		}
		done <- err
	}()
	<-held
	// The host may read ahead as far as gRPC's windows allow; give it time
	// to overrun if it were going to.
	select {
	case <-src.over:
		t.Fatalf("the host read more than %d MiB of the source while the driver held its first chunk", limit>>20)
	case <-time.After(500 * time.Millisecond):
	}
	close(hold)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestUploadErrors(t *testing.T) {
	f := newFake()
	d := plugintest.New(t, f)
	// The driver refuses before reading: its error, not a broken stream.
	src := &countingReader{total: 32 << 20, limit: 1 << 62, over: make(chan struct{})}
	_, err := d.UploadImage(context.Background(), "busy", core.ImageUpload{}, src)
	if core.KindOf(err) != core.Conflict || core.MessageOf(err) != "image busy has data" {
		t.Fatalf("err = %v; want the driver's Conflict", err)
	}
	// The source fails: the driver's reader fails with its text.
	_, err = d.UploadImage(context.Background(), "img", core.ImageUpload{},
		io.MultiReader(strings.NewReader("some data"), iotestErrReader{errors.New("disk read error")}))
	if core.KindOf(err) != core.InvalidArgument || !strings.Contains(core.MessageOf(err), "disk read error") {
		t.Fatalf("err = %v; want the driver's classification of the source's error", err)
	}
}

type iotestErrReader struct{ err error }

func (r iotestErrReader) Read([]byte) (int, error) { return 0, r.err }

func TestWatchCrosses(t *testing.T) {
	f := newFake()
	d := plugintest.New(t, f)
	at := time.Date(2026, 11, 23, 10, 0, 0, 123456789, time.UTC)
	f.emit(3,
		core.Event{ResourceType: core.TypeServer, ResourceID: "s1", ToState: "BUILD", Time: at},
		core.Event{ResourceType: core.TypeServer, ResourceID: "s1", FromState: "BUILD", ToState: "ACTIVE", Time: at.Add(time.Second),
			Attributes: core.EventAttributes{FlavorID: "m1", VCPUs: 2, FromSnapshot: true}},
		core.Event{ResourceType: core.TypeVolume, ResourceID: "v1", ToState: "available", Time: at.Add(2 * time.Second)},
		core.Event{ResourceType: core.TypeVolume, ResourceID: "v1", FromState: "available", ToState: "deleted", Time: at.Add(3 * time.Second)},
	)
	want := append([]core.Event(nil), f.events...) // the 3 retained, cursors 2..4
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got []core.Event
	stop := errors.New("stop")
	err := d.Watch(ctx, "1", func(ev core.Event) error {
		got = append(got, ev)
		if len(got) == len(want) {
			return stop
		}
		return nil
	})
	if err != stop {
		t.Fatalf("Watch = %v; want fn's own error back", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("events differ\n got %+v\nwant %+v", got, want)
	}
	// A cursor older than the log is Gone, across the boundary too.
	if err := d.Watch(ctx, "0", func(core.Event) error { return nil }); core.KindOf(err) != core.Gone {
		t.Fatalf("Watch(0) = %v; want Gone", err)
	}
	// Following new events, then ending with the context.
	wctx, wcancel := context.WithCancel(ctx)
	seen := make(chan core.Event, 10)
	errc := make(chan error, 1)
	go func() { errc <- d.Watch(wctx, "4", func(ev core.Event) error { seen <- ev; return nil }) }()
	f.emit(10, core.Event{ResourceType: core.TypeRouter, ResourceID: "r1", ToState: "ACTIVE", Time: at})
	select {
	case ev := <-seen:
		if ev.Cursor != "5" || ev.ResourceID != "r1" {
			t.Fatalf("followed %+v; want the event after cursor 4", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a new event never arrived")
	}
	wcancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Watch after cancel = %v; want context.Canceled", err)
	}
}

func TestCallsAreConcurrent(t *testing.T) {
	f := newFake()
	d := plugintest.New(t, f)
	errc := make(chan error, 16)
	for i := 0; i < 16; i++ {
		go func() {
			_, err := d.GetServer(context.Background(), "s")
			errc <- err
		}()
	}
	for i := 0; i < 16; i++ {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	calls := append([]string(nil), f.calls...)
	sort.Strings(calls)
	if len(calls) != 16 || calls[0] != "GetServer s" {
		t.Fatalf("driver calls = %v", calls)
	}
}
