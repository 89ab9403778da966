package sim

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// stFilled is a state with something in every field.
func stFilled() *state {
	st := newState()
	now := time.Date(2026, 2, 3, 4, 5, 6, 789000, time.UTC)
	m := core.Meta{ProjectID: "p", DatacenterID: "dc1", Tags: map[string]string{"run": "r1"}, CreatedAt: now, UpdatedAt: now}
	st.BootID, st.Seq, st.IDSeq = "0123456789abcdef", 42, 17
	st.Servers["s1"] = &core.Server{Meta: m, ID: "s1", Name: "地图服务", FlavorID: "m1.tiny", Status: core.ServerActive,
		VolumeIDs: []string{"v1"}, Addresses: []core.ServerAddress{{Kind: core.AddressPrivate, Address: "10.0.0.2"}}, SecurityGroupIDs: []string{}}
	st.Flavors["f1"] = &core.Flavor{ID: "f1", Name: "f1", VCPUs: 1, MemoryMB: 512}
	st.Images["i1"] = &core.Image{Meta: m, ID: "i1", Name: "i", Status: core.ImageActive, ImageTags: []string{"a"}, Properties: map[string]string{"k": "v"}}
	st.Networks["n1"] = &core.Network{Meta: m, ID: "n1", Subnets: []core.Subnet{{ID: "sub1", CIDR: "10.0.0.0/24"}}}
	st.Ports["p1"] = &core.Port{ID: "p1", FixedIP: "10.0.0.2"}
	st.FloatingIPs["fip1"] = &core.FloatingIP{Meta: m, ID: "fip1", PortDetails: &core.PortDetails{Name: "x"}}
	st.PublicIPs["pub1"] = &core.PublicIP{Meta: m, ID: "pub1", Address: "198.18.0.9"}
	st.LoadBalancers["lb1"] = &core.LoadBalancer{Meta: m, ID: "lb1", Listeners: []core.Listener{{ID: "l", Protocol: "TCP", Port: 80}}}
	st.SecurityGroups["sg1"] = &core.SecurityGroup{Meta: m, ID: "sg1", Rules: []core.SecurityGroupRule{{ID: "r", PortRangeMin: new(int)}}}
	st.Volumes["v1"] = &core.Volume{Meta: m, ID: "v1", SizeGB: 3, Attachments: []core.Attachment{{ServerID: "s1", AttachedAt: now}}}
	st.Snapshots["sn1"] = &core.VolumeSnapshot{Meta: m, ID: "sn1", VolumeID: "v1"}
	st.Backups["b1"] = &core.Backup{Meta: m, ID: "b1", Kind: core.BackupIncremental}
	st.Routers["r1"] = &core.Router{Meta: m, ID: "r1", Interfaces: []core.RouterInterface{{SubnetID: "sub1"}}}
	st.Quotas["dc1/p"] = Quota{VCPUs: 2, MemoryMB: -1, Servers: 1, VolumeGB: 10, Volumes: 1}
	st.Tokens["server/p/tok"] = "s1"
	st.Pending["server.build/s1"] = pending{Kind: "server.build", ID: "s1", Due: now.Add(time.Second)}
	st.Notes["migrate/s1"] = "dc1-host-2"
	st.Events = []core.Event{{ID: "sim:0123456789abcdef:42", Cursor: "42", ResourceType: core.TypeServer, ResourceID: "s1",
		ToState: "ACTIVE", Attributes: core.EventAttributes{VCPUs: 1}, Time: now}}
	return st
}

func TestStore_SaveLoadRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	want := stFilled()
	if err := want.save(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || !json.Valid(b) {
		t.Fatalf("the saved file is not JSON: %v", err)
	}
	got, err := loadState(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip\n got %+v\nwant %+v", got, want)
	}
	// No temporary file is left beside it.
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".sim-state-*")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	// A file without the optional maps still gives usable (non-nil) maps.
	if err := os.WriteFile(path, []byte(`{"boot_id":"b","seq":3,"id_seq":4,"events":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := loadState(path)
	if err != nil || st.Seq != 3 || st.IDSeq != 4 || st.Quotas == nil || st.Pending == nil || st.Servers == nil || st.Tokens == nil {
		t.Fatalf("%+v %v", st, err)
	}
}

func TestStore_LoadMissingFileIsNothing(t *testing.T) {
	st, err := loadState(filepath.Join(t.TempDir(), "absent.json"))
	if st != nil || err != nil {
		t.Fatalf("%v %v", st, err)
	}
}

// A reader never sees half a file, however the saves interleave with it.
func TestStore_SaveIsAtomic(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	big := stFilled()
	for i := 0; i < 2000; i++ { // a file of a few hundred kB, written in several syscalls
		big.Events = append(big.Events, big.Events[0])
	}
	small := stFilled()
	if err := small.save(path); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var saveErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(stop)
		for i := 0; i < 16; i++ {
			st := small
			if i%2 == 0 {
				st = big
			}
			if err := st.save(path); err != nil {
				saveErr = err
				return
			}
		}
	}()
	reads := 0
	for done := false; !done; {
		select {
		case <-stop:
			done = true
		default:
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("read during saves: %v", err)
		}
		if !json.Valid(b) {
			t.Fatalf("read %d bytes of invalid JSON during a save", len(b))
		}
		reads++
	}
	wg.Wait()
	if saveErr != nil {
		t.Fatal(saveErr)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".sim-state-*")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	if reads == 0 {
		t.Fatal("no read happened")
	}
}

func TestStore_SaveIntoMissingDirectoryFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "dir", "state.json")
	if err := stFilled().save(path); err == nil || !strings.Contains(err.Error(), "save state") {
		t.Fatalf("save: %v", err)
	}
	cfg := TestConfig()
	cfg.StatePath = path
	d, err := New(cfg)
	if err == nil {
		d.Close()
		t.Fatal("New accepted a state path it cannot write")
	}
	wantKind(t, err, core.Internal)
}

func TestStore_CorruptFileIsRefusedByName(t *testing.T) {
	for name, content := range map[string]string{
		"truncated":  `{"boot_id":"b","seq":`,
		"empty":      ``,
		"not JSON":   `servers: []`,
		"wrong type": `{"seq":"many"}`,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.json")
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg := TestConfig()
			cfg.StatePath = path
			d, err := New(cfg)
			if err == nil {
				d.Close()
				t.Fatal("New accepted a corrupt state file")
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "corrupt") {
				t.Fatalf("the error does not name the file: %v", err)
			}
			if b, _ := os.ReadFile(path); string(b) != content {
				t.Fatal("New overwrote the corrupt file")
			}
		})
	}
	t.Run("a directory", func(t *testing.T) {
		cfg := TestConfig()
		cfg.StatePath = t.TempDir()
		if d, err := New(cfg); err == nil {
			d.Close()
			t.Fatal("New accepted a directory as its state file")
		}
	})
}

// A restart from the file restores the resources, the event stream (Seq,
// BootID) and the id stream (IDSeq): new ids never repeat old ones, and two
// restarts from the same file hand out the same ids.
func TestStore_RestartRestoresStateAndStreams(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	clock := NewManualClock(clkStart)
	cfg := TestConfig()
	cfg.StatePath = path
	d1, err := New(cfg, WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	nets1, _ := d1.ListNetworks(ctx, core.ListOptions{})
	d1.SetQuota("dc2", "proj-q", Quota{VCPUs: 3, MemoryMB: 300, Servers: 2, VolumeGB: 30, Volumes: 4})
	seen := map[string]bool{}
	schDo(d1, func() {
		for id := range d1.st.Images {
			seen[id] = true
		}
		for i := 0; i < 50; i++ {
			seen[d1.newID()] = true
		}
		d1.remember(core.TypeVolume, core.CreateMeta{ProjectID: "p", ClientToken: "tok"}, "vol-1")
		d1.emit(core.TypeVolume, "vol-1", core.Meta{DatacenterID: "dc1"}, "", "creating", core.EventAttributes{})
		d1.emit(core.TypeVolume, "vol-1", core.Meta{DatacenterID: "dc1"}, "creating", "available", core.EventAttributes{})
		if err := d1.commit(); err != nil {
			t.Fatal(err)
		}
	})
	for _, n := range nets1 {
		seen[n.ID] = true
		seen[n.Subnets[0].ID] = true
	}
	boot, idSeq, events := d1.st.BootID, d1.st.IDSeq, d1.Events()
	_ = d1.Close()

	// Keep a copy of the file: a second restart from the same file must
	// give the same ids (the seed and IDSeq fix the stream).
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	path2 := filepath.Join(dir, "copy.json")
	if err := os.WriteFile(path2, b, 0o600); err != nil {
		t.Fatal(err)
	}

	d2, err := New(cfg, WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	nets2, _ := d2.ListNetworks(ctx, core.ListOptions{})
	if !reflect.DeepEqual(nets1, nets2) {
		t.Fatalf("networks after restart\n%+v\nwant\n%+v", nets2, nets1)
	}
	if q, _ := d2.GetComputeQuota(ctx, "dc2", "proj-q"); q.TotalVCPUs != 3 || q.TotalServers != 2 {
		t.Fatalf("quota override lost: %+v", q)
	}
	if !reflect.DeepEqual(d2.Events(), events) {
		t.Fatal("the event log changed across the restart")
	}
	var next []string
	schDo(d2, func() {
		if d2.st.BootID != boot || d2.st.IDSeq != idSeq {
			t.Fatalf("boot %s id_seq %d, want %s %d", d2.st.BootID, d2.st.IDSeq, boot, idSeq)
		}
		if id, ok := d2.token(core.TypeVolume, core.CreateMeta{ProjectID: "p", ClientToken: "tok"}); !ok || id != "vol-1" {
			t.Fatalf("client token lost: %q %v", id, ok)
		}
		for i := 0; i < 200; i++ {
			id := d2.newID()
			if seen[id] {
				t.Fatalf("id %s handed out again after the restart", id)
			}
			seen[id] = true
			next = append(next, id)
		}
		// The stream continues: the next cursor follows the last one, same boot id.
		d2.emit(core.TypeVolume, "vol-1", core.Meta{DatacenterID: "dc1"}, "available", "deleting", core.EventAttributes{})
	})
	last := d2.Events()[len(d2.Events())-1]
	if last.Cursor != "3" || last.ID != "sim:"+boot+":3" {
		t.Fatalf("event after restart %+v", last)
	}

	cfg2 := cfg
	cfg2.StatePath = path2
	d3, err := New(cfg2, WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	defer d3.Close()
	schDo(d3, func() {
		for i, want := range next {
			if id := d3.newID(); id != want {
				t.Fatalf("id %d after a restart from the same file: %s, want %s", i, id, want)
			}
		}
	})
}

// A failed save makes Health Unavailable until a save succeeds again.
func TestStore_SaveFailureMakesHealthUnavailable(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := TestConfig()
	cfg.StatePath = filepath.Join(dir, "state.json")
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := testCtx(t)
	wantKind(t, d.Health(ctx), core.KindUnknown)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	d.SetQuota("dc1", "p", Quota{VCPUs: 1}) // commits, and fails
	wantKind(t, d.Health(ctx), core.Unavailable)
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	d.SetQuota("dc1", "p", Quota{VCPUs: 2})
	wantKind(t, d.Health(ctx), core.KindUnknown)
	if _, err := os.Stat(cfg.StatePath); err != nil {
		t.Fatalf("the state was not saved again: %v", err)
	}
}
