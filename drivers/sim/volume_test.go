package sim

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

func volCreate(t testing.TB, d *Driver, size int64) core.Volume {
	t.Helper()
	v, err := d.CreateVolume(testCtx(t), core.VolumeCreate{CreateMeta: meta(), Name: "vol", SizeGB: size})
	if err != nil {
		t.Fatalf("CreateVolume: %v", err)
	}
	return v
}

func volGet(t testing.TB, d *Driver, id string) core.Volume {
	t.Helper()
	v, err := d.GetVolume(testCtx(t), id)
	if err != nil {
		t.Fatalf("GetVolume: %v", err)
	}
	return v
}

// volServer boots a server named name in dc1 of testProject (ACTIVE at once
// under TestConfig).
func volServer(t testing.TB, d *Driver, name string) core.Server {
	t.Helper()
	s, err := d.CreateServer(testCtx(t), core.ServerCreate{CreateMeta: meta(), Name: name, FlavorID: "m1.tiny", ImageID: publicImageID(t, d)})
	if err != nil {
		t.Fatalf("CreateServer: %v", err)
	}
	return s
}

// volWantEvents fails unless the events of id are exactly want.
func volWantEvents(t testing.TB, d *Driver, id string, want ...[2]string) {
	t.Helper()
	got := eventsFor(d, id)
	if len(got) != len(want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("events %v, want %v", got, want)
		}
	}
}

// volPutImage stores im as it is, bypassing the image service, so a test
// can reach image states directly.
func volPutImage(d *Driver, im core.Image) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.st.Images[im.ID] = &im
}

// volSetStatus forces a volume into a state no API call reaches (error).
func volSetStatus(d *Driver, id string, st core.VolumeStatus) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.st.Volumes[id].Status = st
}

var volNoLimits = Quota{VCPUs: -1, MemoryMB: -1, Servers: -1, VolumeGB: -1, Volumes: -1}

func TestVolume_B4_1_1_Create(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	v, err := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta(), Name: "dem", Description: "elevation", SizeGB: 50, VolumeType: "ssd", Shareable: true})
	wantKind(t, err, core.KindUnknown)
	got := volGet(t, d, v.ID)
	if got.Name != "dem" || got.Description != "elevation" || got.SizeGB != 50 || got.VolumeType != "ssd" || !got.Shareable ||
		got.DatacenterID != "dc1" || got.ProjectID != testProject || got.Status != core.VolumeAvailable ||
		got.Host != "dc1@sim-ssd" || got.Attachments == nil || len(got.Attachments) != 0 {
		t.Fatalf("%+v", got)
	}
	volWantEvents(t, d, v.ID, [2]string{"", "creating"}, [2]string{"creating", "available"})
	for _, ev := range d.Events() {
		if ev.ResourceID == v.ID && (ev.ResourceType != core.TypeVolume || ev.Attributes.SizeGB != 50 ||
			ev.Attributes.VolumeType != "ssd" || ev.Attributes.Name != "dem" || ev.ProjectID != testProject || ev.DatacenterID != "dc1") {
			t.Fatalf("event %+v", ev)
		}
	}
	def, err := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: core.CreateMeta{ProjectID: testProject}, SizeGB: 1})
	wantKind(t, err, core.KindUnknown)
	if def.VolumeType != "standard" || def.DatacenterID != "dc1" || def.Host != "dc1@sim-standard" {
		t.Fatalf("defaults %+v", def)
	}
	cases := []struct {
		name string
		req  core.VolumeCreate
		want core.Kind
		in   string // the error names this
	}{
		{"zero size", core.VolumeCreate{SizeGB: 0}, core.InvalidArgument, "size_gb"},
		{"too big", core.VolumeCreate{SizeGB: core.MaxSizeGB + 1}, core.InvalidArgument, "size_gb"},
		{"unknown type", core.VolumeCreate{SizeGB: 1, VolumeType: "gold"}, core.InvalidArgument, "volume_type"},
		{"unknown image", core.VolumeCreate{SizeGB: 1, ImageID: "nope"}, core.InvalidArgument, "image_id"},
		{"unknown snapshot", core.VolumeCreate{SizeGB: 1, SnapshotID: "nope"}, core.InvalidArgument, "snapshot_id"},
		{"snapshot and image", core.VolumeCreate{SizeGB: 1, SnapshotID: "a", ImageID: "b"}, core.InvalidArgument, "snapshot_id"},
		{"unknown datacenter", core.VolumeCreate{CreateMeta: core.CreateMeta{DatacenterID: "dc9"}, SizeGB: 1}, core.InvalidArgument, "datacenter_id"},
	}
	for _, c := range cases {
		t.Run("B.4.1.1 "+c.name, func(t *testing.T) {
			c.req.ProjectID = testProject
			_, err := d.CreateVolume(ctx, c.req)
			wantKind(t, err, c.want)
			if !strings.Contains(err.Error(), c.in) {
				t.Fatalf("error %q does not name %s", err, c.in)
			}
		})
	}
	d.SetDatacenterDown("dc2", true)
	_, err = d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: core.CreateMeta{ProjectID: testProject, DatacenterID: "dc2"}, SizeGB: 1})
	wantKind(t, err, core.Unavailable)
}

func TestVolume_B4_1_1_FromImage(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	volPutImage(d, core.Image{ID: "img-queued", Name: "q", Status: core.ImageQueued, Visibility: core.VisibilityPrivate,
		Meta: core.Meta{ProjectID: testProject}})
	volPutImage(d, core.Image{ID: "img-theirs", Name: "t", Status: core.ImageActive, Visibility: core.VisibilityPrivate,
		Meta: core.Meta{ProjectID: "proj-b"}})
	// 3 GiB and one byte round up to 4 GB, above its 2 GB minimum.
	volPutImage(d, core.Image{ID: "img-mine", Name: "m", Status: core.ImageActive, Visibility: core.VisibilityPrivate,
		Meta: core.Meta{ProjectID: testProject}, SizeBytes: 3<<30 + 1, MinDiskGB: 2})
	var debian string
	imgs, _ := d.ListImages(ctx, core.ListOptions{})
	for _, im := range imgs {
		if im.Name == "debian-12" {
			debian = im.ID
		}
	}
	cases := []struct {
		name  string
		image string
		size  int64
		want  core.Kind
	}{
		{"public image that fits", publicImageID(t, d), 1, core.KindUnknown},
		{"below the min disk", debian, 9, core.InvalidArgument},
		{"at the min disk", debian, 10, core.KindUnknown},
		{"smaller than the image data", "img-mine", 3, core.InvalidArgument},
		{"own private image, rounded up", "img-mine", 4, core.KindUnknown},
		{"image not active", "img-queued", 5, core.InvalidArgument},
		{"another project's private image", "img-theirs", 5, core.InvalidArgument},
	}
	for _, c := range cases {
		t.Run("B.4.1.1 "+c.name, func(t *testing.T) {
			v, err := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta(), SizeGB: c.size, ImageID: c.image})
			wantKind(t, err, c.want)
			if err != nil {
				if !strings.Contains(err.Error(), "image") && !strings.Contains(err.Error(), "size_gb") {
					t.Fatalf("error %q names no field", err)
				}
				return
			}
			if v.ImageID != c.image || v.SizeGB != c.size {
				t.Fatalf("%+v", v)
			}
			volWantEvents(t, d, v.ID, [2]string{"", "creating"}, [2]string{"creating", "available"})
		})
	}
	q, _ := d.GetVolumeQuota(ctx, "dc1", testProject)
	if q.UsedVolumes != 3 || q.UsedGB != 15 {
		t.Fatalf("refused creates left something: %+v", q)
	}
}

func TestVolume_B4_1_1_FromSnapshot(t *testing.T) {
	d, clock := newManualDriver(t, time.Second)
	ctx := testCtx(t)
	src, _ := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta(), SizeGB: 8})
	clock.Advance(time.Second)
	sn, err := d.CreateVolumeSnapshot(ctx, core.VolumeSnapshotCreate{CreateMeta: meta(), VolumeID: src.ID})
	wantKind(t, err, core.KindUnknown)
	// Still creating: not yet a source.
	_, err = d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta(), SizeGB: 8, SnapshotID: sn.ID})
	wantKind(t, err, core.InvalidArgument)
	clock.Advance(time.Second)
	cases := []struct {
		name string
		cm   core.CreateMeta
		size int64
		want core.Kind
	}{
		{"smaller than the snapshot", meta(), 7, core.InvalidArgument},
		{"another datacenter", core.CreateMeta{ProjectID: testProject, DatacenterID: "dc2"}, 8, core.InvalidArgument},
		{"another project", core.CreateMeta{ProjectID: "proj-b", DatacenterID: "dc1"}, 8, core.InvalidArgument},
		{"same size", meta(), 8, core.KindUnknown},
		{"larger", meta(), 20, core.KindUnknown},
	}
	for _, c := range cases {
		t.Run("B.4.1.1 "+c.name, func(t *testing.T) {
			v, err := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: c.cm, SizeGB: c.size, SnapshotID: sn.ID})
			wantKind(t, err, c.want)
			if err != nil {
				if !strings.Contains(err.Error(), "snapshot_id") && !strings.Contains(err.Error(), "size_gb") {
					t.Fatalf("error %q names no field", err)
				}
				return
			}
			if v.SnapshotID != sn.ID || v.Status != core.VolumeCreating {
				t.Fatalf("%+v", v)
			}
			clock.Advance(time.Second)
			if got := volGet(t, d, v.ID); got.Status != core.VolumeAvailable || got.SizeGB != c.size {
				t.Fatalf("%+v", got)
			}
			volWantEvents(t, d, v.ID, [2]string{"", "creating"}, [2]string{"creating", "available"})
		})
	}
}

func TestVolume_B4_1_1_Latency_B4_1_2_DeleteLatency(t *testing.T) {
	d, clock := newManualDriver(t, time.Second)
	ctx := testCtx(t)
	v, err := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta(), SizeGB: 2})
	wantKind(t, err, core.KindUnknown)
	if v.Status != core.VolumeCreating || volGet(t, d, v.ID).Status != core.VolumeCreating {
		t.Fatalf("%+v", v)
	}
	wantKind(t, d.DeleteVolume(ctx, v.ID), core.Conflict) // still creating
	clock.Advance(999 * time.Millisecond)
	if got := volGet(t, d, v.ID).Status; got != core.VolumeCreating {
		t.Fatalf("available early: %s", got)
	}
	clock.Advance(time.Millisecond)
	if got := volGet(t, d, v.ID).Status; got != core.VolumeAvailable {
		t.Fatalf("status %s", got)
	}
	wantKind(t, d.DeleteVolume(ctx, v.ID), core.KindUnknown)
	if got := volGet(t, d, v.ID).Status; got != core.VolumeDeleting {
		t.Fatalf("status %s", got)
	}
	wantKind(t, d.DeleteVolume(ctx, v.ID), core.Conflict) // deleting already
	clock.Advance(time.Second)
	_, err = d.GetVolume(ctx, v.ID)
	wantKind(t, err, core.NotFound)
	volWantEvents(t, d, v.ID, [2]string{"", "creating"}, [2]string{"creating", "available"},
		[2]string{"available", "deleting"}, [2]string{"deleting", "deleted"})
	if clock.Pending() != 0 {
		t.Fatalf("%d timers left", clock.Pending())
	}
}

func TestVolume_B4_1_1_IdempotentAndQuota(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	req := core.VolumeCreate{CreateMeta: meta(), SizeGB: 4}
	req.ClientToken = "vol-tok"
	a, err := d.CreateVolume(ctx, req)
	wantKind(t, err, core.KindUnknown)
	b, err := d.CreateVolume(ctx, req)
	wantKind(t, err, core.KindUnknown)
	if a.ID != b.ID {
		t.Fatal("a client token created two volumes")
	}
	volWantEvents(t, d, a.ID, [2]string{"", "creating"}, [2]string{"creating", "available"})
	// The same token in another project is another request.
	other := req
	other.ProjectID = "proj-b"
	c, _ := d.CreateVolume(ctx, other)
	if c.ID == a.ID {
		t.Fatal("a token leaked across projects")
	}
	q := volNoLimits
	q.VolumeGB, q.Volumes = 10, 3
	d.SetQuota("dc1", testProject, q)
	_, err = d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta(), SizeGB: 7})
	wantKind(t, err, core.QuotaExceeded)
	volCreate(t, d, 6)
	got, err := d.GetVolumeQuota(ctx, "dc1", testProject)
	wantKind(t, err, core.KindUnknown)
	if got.UsedGB != 10 || got.TotalGB != 10 || got.UsedVolumes != 2 || got.TotalVolumes != 3 {
		t.Fatalf("%+v", got)
	}
	_, err = d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta(), SizeGB: 1})
	wantKind(t, err, core.QuotaExceeded)
	// The count limit too.
	q.VolumeGB, q.Volumes = -1, 2
	d.SetQuota("dc1", testProject, q)
	_, err = d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta(), SizeGB: 1})
	wantKind(t, err, core.QuotaExceeded)
	// Another datacenter has its own quota.
	_, err = d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: core.CreateMeta{ProjectID: testProject, DatacenterID: "dc2"}, SizeGB: 1})
	wantKind(t, err, core.KindUnknown)
	// A retry of the first create still answers, quota or not.
	b, err = d.CreateVolume(ctx, req)
	wantKind(t, err, core.KindUnknown)
	if b.ID != a.ID {
		t.Fatal("retry made a new volume")
	}
}

func TestVolume_B4_1_3_Show(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	_, err := d.GetVolume(ctx, "nope")
	wantKind(t, err, core.NotFound)
	if list, err := d.ListVolumes(ctx, core.ListOptions{}); err != nil || list == nil || len(list) != 0 {
		t.Fatalf("empty list %v %v", list, err)
	}
	v1 := volCreate(t, d, 2)
	v2 := volCreate(t, d, 3)
	other, _ := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: core.CreateMeta{ProjectID: "proj-b", DatacenterID: "dc2"}, SizeGB: 1})
	list, _ := d.ListVolumes(ctx, core.ListOptions{ProjectID: testProject})
	if len(list) != 2 || list[0].ID != v1.ID || list[1].ID != v2.ID {
		t.Fatalf("%+v", list)
	}
	list, _ = d.ListVolumes(ctx, core.ListOptions{DatacenterID: "dc2"})
	if len(list) != 1 || list[0].ID != other.ID {
		t.Fatalf("%+v", list)
	}
	// Results are copies.
	s := volServer(t, d, "srv")
	got, _ := d.AttachVolume(ctx, v1.ID, core.VolumeAttach{ServerID: s.ID})
	got.Attachments[0].ServerID = "x"
	got.Tags = map[string]string{"a": "b"}
	if again := volGet(t, d, v1.ID); again.Attachments[0].ServerID != s.ID || again.Tags != nil {
		t.Fatalf("state changed through a result: %+v", again)
	}
	// A datacenter that is down answers nothing.
	d.SetDatacenterDown("dc2", true)
	_, err = d.GetVolume(ctx, other.ID)
	wantKind(t, err, core.Unavailable)
	list, _ = d.ListVolumes(ctx, core.ListOptions{})
	if len(list) != 2 {
		t.Fatalf("list with dc2 down %+v", list)
	}
}

func TestVolume_B4_1_4_Attach_B4_1_5_Detach(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	s1 := volServer(t, d, "srv")
	s2 := volServer(t, d, "srv2")
	v := volCreate(t, d, 2)
	shared, _ := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta(), SizeGB: 2, Shareable: true})
	theirs, err := d.CreateServer(ctx, core.ServerCreate{CreateMeta: core.CreateMeta{ProjectID: "proj-b"}, Name: "b", FlavorID: "m1.tiny", ImageID: publicImageID(t, d)})
	wantKind(t, err, core.KindUnknown)
	far, err := d.CreateServer(ctx, core.ServerCreate{CreateMeta: core.CreateMeta{ProjectID: testProject, DatacenterID: "dc2"}, Name: "far", FlavorID: "m1.tiny", ImageID: publicImageID(t, d)})
	wantKind(t, err, core.KindUnknown)

	steps := []struct {
		name string
		do   func() (core.Volume, error)
		want core.Kind
	}{
		{"attach", func() (core.Volume, error) {
			return d.AttachVolume(ctx, v.ID, core.VolumeAttach{ServerID: s1.ID, ServerName: "srv", Mode: "ro", Mountpoint: "/dev/vdc"})
		}, core.KindUnknown},
		{"attach in-use non-shareable to another server", func() (core.Volume, error) { return d.AttachVolume(ctx, v.ID, core.VolumeAttach{ServerID: s2.ID}) }, core.Conflict},
		{"attach twice to the same server", func() (core.Volume, error) { return d.AttachVolume(ctx, v.ID, core.VolumeAttach{ServerID: s1.ID}) }, core.Conflict},
		{"mountpoint taken", func() (core.Volume, error) {
			return d.AttachVolume(ctx, shared.ID, core.VolumeAttach{ServerID: s1.ID, Mountpoint: "/dev/vdc"})
		}, core.Conflict},
		{"unknown server", func() (core.Volume, error) {
			return d.AttachVolume(ctx, shared.ID, core.VolumeAttach{ServerID: "nope"})
		}, core.InvalidArgument},
		{"no server", func() (core.Volume, error) {
			return d.AttachVolume(ctx, shared.ID, core.VolumeAttach{})
		}, core.InvalidArgument},
		{"another project's server", func() (core.Volume, error) {
			return d.AttachVolume(ctx, shared.ID, core.VolumeAttach{ServerID: theirs.ID})
		}, core.InvalidArgument},
		{"server in another datacenter", func() (core.Volume, error) {
			return d.AttachVolume(ctx, shared.ID, core.VolumeAttach{ServerID: far.ID})
		}, core.InvalidArgument},
		{"wrong server name", func() (core.Volume, error) {
			return d.AttachVolume(ctx, shared.ID, core.VolumeAttach{ServerID: s1.ID, ServerName: "other"})
		}, core.InvalidArgument},
		{"bad mode", func() (core.Volume, error) {
			return d.AttachVolume(ctx, shared.ID, core.VolumeAttach{ServerID: s1.ID, Mode: "rx"})
		}, core.InvalidArgument},
		{"bad mountpoint", func() (core.Volume, error) {
			return d.AttachVolume(ctx, shared.ID, core.VolumeAttach{ServerID: s1.ID, Mountpoint: "vdb"})
		}, core.InvalidArgument},
		{"shareable to s1", func() (core.Volume, error) { return d.AttachVolume(ctx, shared.ID, core.VolumeAttach{ServerID: s1.ID}) }, core.KindUnknown},
		{"shareable to s2 as well", func() (core.Volume, error) { return d.AttachVolume(ctx, shared.ID, core.VolumeAttach{ServerID: s2.ID}) }, core.KindUnknown},
		{"unknown volume", func() (core.Volume, error) { return d.AttachVolume(ctx, "nope", core.VolumeAttach{ServerID: s1.ID}) }, core.NotFound},
		{"detach from a server it is not on", func() (core.Volume, error) { return d.DetachVolume(ctx, v.ID, s2.ID) }, core.Conflict},
		{"detach without a server", func() (core.Volume, error) { return d.DetachVolume(ctx, v.ID, "") }, core.InvalidArgument},
		{"detach unknown volume", func() (core.Volume, error) { return d.DetachVolume(ctx, "nope", s1.ID) }, core.NotFound},
	}
	for _, st := range steps {
		t.Run("B.4.1.4 "+st.name, func(t *testing.T) {
			_, err := st.do()
			wantKind(t, err, st.want)
		})
	}
	got := volGet(t, d, v.ID)
	if got.Status != core.VolumeInUse || len(got.Attachments) != 1 || got.Attachments[0] != (core.Attachment{ServerID: s1.ID, Mountpoint: "/dev/vdc", Mode: "ro", AttachedAt: got.Attachments[0].AttachedAt}) ||
		got.Attachments[0].AttachedAt.IsZero() {
		t.Fatalf("%+v", got)
	}
	sh := volGet(t, d, shared.ID)
	// vda is the root disk and vdc is taken, so the shareable volume gets vdb on s1.
	if sh.Status != core.VolumeInUse || len(sh.Attachments) != 2 || sh.Attachments[0].ServerID != s1.ID || sh.Attachments[0].Mountpoint != "/dev/vdb" ||
		sh.Attachments[0].Mode != "rw" || sh.Attachments[1].ServerID != s2.ID {
		t.Fatalf("shareable attachments %+v", sh.Attachments)
	}
	if sv, _ := d.GetServer(ctx, s1.ID); len(sv.VolumeIDs) != 2 || sv.VolumeIDs[0] != v.ID || sv.VolumeIDs[1] != shared.ID {
		t.Fatalf("server volumes %v", sv.VolumeIDs)
	}
	// The second attach of a shareable volume is in-use → in-use, naming its server.
	volWantEvents(t, d, shared.ID, [2]string{"", "creating"}, [2]string{"creating", "available"},
		[2]string{"available", "in-use"}, [2]string{"in-use", "in-use"})
	if ev := lastEvent(t, d, shared.ID); ev.Attributes.ServerID != s2.ID || ev.Attributes.SizeGB != 2 {
		t.Fatalf("attach event %+v", ev)
	}

	// B.4.1.5: detach.
	got, err = d.DetachVolume(ctx, v.ID, s1.ID)
	wantKind(t, err, core.KindUnknown)
	if got.Status != core.VolumeAvailable || len(got.Attachments) != 0 {
		t.Fatalf("%+v", got)
	}
	if ev := lastEvent(t, d, v.ID); ev.Attributes.ServerID != s1.ID {
		t.Fatalf("detach event %+v", ev)
	}
	if sv, _ := d.GetServer(ctx, s1.ID); len(sv.VolumeIDs) != 1 {
		t.Fatalf("server volumes after detach %v", sv.VolumeIDs)
	}
	_, err = d.DetachVolume(ctx, v.ID, s1.ID)
	wantKind(t, err, core.Conflict)
	got, _ = d.DetachVolume(ctx, shared.ID, s1.ID)
	if got.Status != core.VolumeInUse || len(got.Attachments) != 1 || got.Attachments[0].ServerID != s2.ID {
		t.Fatalf("shareable after one detach %+v", got)
	}
	volWantEvents(t, d, v.ID, [2]string{"", "creating"}, [2]string{"creating", "available"},
		[2]string{"available", "in-use"}, [2]string{"in-use", "available"})
}

func TestVolume_B4_1_4_AttachNotAvailable(t *testing.T) {
	d, clock := newManualDriver(t, time.Second)
	ctx := testCtx(t)
	s, _ := d.CreateServer(ctx, core.ServerCreate{CreateMeta: meta(), Name: "s", FlavorID: "m1.tiny", ImageID: publicImageID(t, d)})
	clock.Advance(time.Second)
	v, _ := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta(), SizeGB: 1})
	_, err := d.AttachVolume(ctx, v.ID, core.VolumeAttach{ServerID: s.ID})
	wantKind(t, err, core.Conflict) // creating
	clock.Advance(time.Second)
	_, err = d.AttachVolume(ctx, v.ID, core.VolumeAttach{ServerID: s.ID})
	wantKind(t, err, core.KindUnknown)
}

func TestVolume_B4_1_6_Extend(t *testing.T) {
	d, clock := newManualDriver(t, time.Second)
	ctx := testCtx(t)
	v, _ := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta(), SizeGB: 10})
	_, err := d.ExtendVolume(ctx, v.ID, 20)
	wantKind(t, err, core.Conflict) // still creating
	clock.Advance(time.Second)
	for _, size := range []int64{10, 5, 0, -1} {
		t.Run("B.4.1.6 not larger", func(t *testing.T) {
			_, err := d.ExtendVolume(ctx, v.ID, size)
			wantKind(t, err, core.InvalidArgument)
		})
	}
	_, err = d.ExtendVolume(ctx, "nope", 20)
	wantKind(t, err, core.NotFound)
	got, err := d.ExtendVolume(ctx, v.ID, 20)
	wantKind(t, err, core.KindUnknown)
	if got.Status != core.VolumeExtending || got.SizeGB != 20 {
		t.Fatalf("%+v", got)
	}
	_, err = d.ExtendVolume(ctx, v.ID, 30)
	wantKind(t, err, core.Conflict) // extending already
	clock.Advance(time.Second)
	if got := volGet(t, d, v.ID); got.Status != core.VolumeAvailable || got.SizeGB != 20 {
		t.Fatalf("%+v", got)
	}
	volWantEvents(t, d, v.ID, [2]string{"", "creating"}, [2]string{"creating", "available"},
		[2]string{"available", "extending"}, [2]string{"extending", "available"})
	for _, ev := range d.Events()[len(d.Events())-2:] {
		if ev.ResourceID != v.ID || ev.Attributes.SizeGB != 20 {
			t.Fatalf("extend event %+v", ev)
		}
	}
	// An attached volume goes back to in-use; the quota covers the increase.
	s, _ := d.CreateServer(ctx, core.ServerCreate{CreateMeta: meta(), Name: "s", FlavorID: "m1.tiny", ImageID: publicImageID(t, d)})
	clock.Advance(time.Second)
	_, err = d.AttachVolume(ctx, v.ID, core.VolumeAttach{ServerID: s.ID})
	wantKind(t, err, core.KindUnknown)
	q := volNoLimits
	q.VolumeGB = 25
	d.SetQuota("dc1", testProject, q)
	_, err = d.ExtendVolume(ctx, v.ID, 26)
	wantKind(t, err, core.QuotaExceeded)
	if got := volGet(t, d, v.ID); got.Status != core.VolumeInUse || got.SizeGB != 20 {
		t.Fatalf("a refused extend changed the volume: %+v", got)
	}
	got, err = d.ExtendVolume(ctx, v.ID, 25)
	wantKind(t, err, core.KindUnknown)
	if got.Status != core.VolumeExtending || len(got.Attachments) != 1 {
		t.Fatalf("%+v", got)
	}
	// While it grows, the new size is held against the quota.
	if qq, _ := d.GetVolumeQuota(ctx, "dc1", testProject); qq.UsedGB != 25 {
		t.Fatalf("%+v", qq)
	}
	clock.Advance(time.Second)
	if got := volGet(t, d, v.ID); got.Status != core.VolumeInUse || got.SizeGB != 25 {
		t.Fatalf("%+v", got)
	}
	evs := eventsFor(d, v.ID)
	if n := len(evs); evs[n-2] != [2]string{"in-use", "extending"} || evs[n-1] != [2]string{"extending", "in-use"} {
		t.Fatalf("events %v", evs)
	}
	if ev := lastEvent(t, d, v.ID); ev.Attributes.SizeGB != 25 || ev.Attributes.ServerID != s.ID {
		t.Fatalf("%+v", ev)
	}
}

func TestVolume_B4_1_2_Delete(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	wantKind(t, d.DeleteVolume(ctx, "nope"), core.NotFound)
	s := volServer(t, d, "srv")
	v := volCreate(t, d, 3)
	_, err := d.AttachVolume(ctx, v.ID, core.VolumeAttach{ServerID: s.ID})
	wantKind(t, err, core.KindUnknown)
	wantKind(t, d.DeleteVolume(ctx, v.ID), core.Conflict) // attached
	_, err = d.DetachVolume(ctx, v.ID, s.ID)
	wantKind(t, err, core.KindUnknown)
	snap, err := d.CreateVolumeSnapshot(ctx, core.VolumeSnapshotCreate{CreateMeta: meta(), VolumeID: v.ID})
	wantKind(t, err, core.KindUnknown)
	wantKind(t, d.DeleteVolume(ctx, v.ID), core.Conflict) // has a snapshot
	wantKind(t, d.DeleteVolumeSnapshot(ctx, snap.ID), core.KindUnknown)
	// A backup does not hold its volume.
	_, err = d.CreateBackup(ctx, core.BackupCreate{CreateMeta: meta(), VolumeID: v.ID})
	wantKind(t, err, core.KindUnknown)
	wantKind(t, d.DeleteVolume(ctx, v.ID), core.KindUnknown)
	_, err = d.GetVolume(ctx, v.ID)
	wantKind(t, err, core.NotFound)
	evs := eventsFor(d, v.ID)
	if n := len(evs); evs[n-2] != [2]string{"available", "deleting"} || evs[n-1] != [2]string{"deleting", "deleted"} {
		t.Fatalf("events %v", evs)
	}
	if ev := lastEvent(t, d, v.ID); ev.Attributes.SizeGB != 3 {
		t.Fatalf("%+v", ev)
	}
	q, _ := d.GetVolumeQuota(ctx, "dc1", testProject)
	if q.UsedGB != 0 || q.UsedVolumes != 0 {
		t.Fatalf("%+v", q)
	}
	// A failed volume can be deleted too.
	bad := volCreate(t, d, 1)
	volSetStatus(d, bad.ID, core.VolumeError)
	wantKind(t, d.DeleteVolume(ctx, bad.ID), core.KindUnknown)
	volWantEvents(t, d, bad.ID, [2]string{"", "creating"}, [2]string{"creating", "available"},
		[2]string{"error", "deleting"}, [2]string{"deleting", "deleted"})
	// A datacenter that is down refuses.
	v2 := volCreate(t, d, 1)
	d.SetDatacenterDown("dc1", true)
	wantKind(t, d.DeleteVolume(ctx, v2.ID), core.Unavailable)
}

func TestVolume_ConcurrentCreateRespectsQuota(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	q := volNoLimits
	q.VolumeGB, q.Volumes = 50, 15
	d.SetQuota("dc1", testProject, q)
	var wg sync.WaitGroup
	var mu sync.Mutex
	made := 0
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				_, err := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta(), SizeGB: 3})
				if err == nil {
					mu.Lock()
					made++
					mu.Unlock()
				} else if core.KindOf(err) != core.QuotaExceeded {
					t.Errorf("create: %v", err)
				}
				_, _ = d.ListVolumes(ctx, core.ListOptions{})
			}
		}()
	}
	wg.Wait()
	got, _ := d.GetVolumeQuota(ctx, "dc1", testProject)
	if made != 15 || got.UsedGB != 45 || got.UsedVolumes != 15 {
		t.Fatalf("made %d volumes, %+v", made, got)
	}
}

func TestVolume_B4_1_4_ConcurrentAttachOnce(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	v := volCreate(t, d, 1)
	servers := make([]core.Server, 6)
	for i := range servers {
		servers[i] = volServer(t, d, "srv")
	}
	var wg sync.WaitGroup
	errs := make([]error, len(servers))
	for i, s := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = d.AttachVolume(ctx, v.ID, core.VolumeAttach{ServerID: s.ID})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if core.KindOf(err) != core.Conflict {
			t.Fatalf("attach: %v", err)
		}
	}
	if got := volGet(t, d, v.ID); ok != 1 || len(got.Attachments) != 1 {
		t.Fatalf("%d attaches succeeded: %+v", ok, got.Attachments)
	}
}

// createVolumeLocked is what CreateVolume and a server's boot volumes share:
// instant makes the volume available in the same call whatever the latency;
// otherwise it waits for "volume.create". It neither remembers client tokens
// nor leaves anything behind when it refuses.
func TestVolume_B4_1_1_CreateVolumeLocked(t *testing.T) {
	cases := []struct {
		name    string
		instant bool
		want    core.VolumeStatus // right after the call
		events  [][2]string
		timers  int
	}{
		{"B.4.1.1 instant (a boot volume)", true, core.VolumeAvailable,
			[][2]string{{"", "creating"}, {"creating", "available"}}, 0},
		{"B.4.1.1 scheduled", false, core.VolumeCreating,
			[][2]string{{"", "creating"}}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, clock := newManualDriver(t, time.Second)
			req := core.VolumeCreate{CreateMeta: meta(), Name: "boot", SizeGB: 3}
			req.ClientToken = "tok"
			d.mu.Lock()
			v, err := d.createVolumeLocked("CreateServer", req, c.instant)
			_, remembered := d.token(core.TypeVolume, req.CreateMeta)
			d.mu.Unlock()
			wantKind(t, err, core.KindUnknown)
			if remembered {
				t.Fatal("createVolumeLocked remembered the client token; its callers do")
			}
			got := volGet(t, d, v.ID)
			if got.Status != c.want || got.VolumeType != "standard" || got.Host != "dc1@sim-standard" || got.SizeGB != 3 {
				t.Fatalf("%+v", got)
			}
			volWantEvents(t, d, v.ID, c.events...)
			for _, ev := range d.Events() {
				if ev.ResourceID == v.ID && ev.Attributes != (core.EventAttributes{Name: "boot", SizeGB: 3, VolumeType: "standard"}) {
					t.Fatalf("event attributes %+v", ev.Attributes)
				}
			}
			if clock.Pending() != c.timers {
				t.Fatalf("%d timers, want %d", clock.Pending(), c.timers)
			}
			clock.Advance(time.Second)
			if got := volGet(t, d, v.ID); got.Status != core.VolumeAvailable {
				t.Fatalf("after the latency: %s", got.Status)
			}
		})
	}
	t.Run("B.4.1.1 refused: nothing left", func(t *testing.T) {
		d := newTestDriver(t)
		q := volNoLimits
		q.VolumeGB = 2
		d.SetQuota("dc1", testProject, q)
		before := len(d.Events())
		for _, req := range []core.VolumeCreate{
			{CreateMeta: meta(), SizeGB: 3},
			{CreateMeta: meta(), SizeGB: 1, VolumeType: "gold"},
			{CreateMeta: meta(), SizeGB: 1, SnapshotID: "nope"},
			{CreateMeta: meta(), SizeGB: 1, ImageID: "nope"},
		} {
			d.mu.Lock()
			_, err := d.createVolumeLocked("CreateServer", req, true)
			d.mu.Unlock()
			if k := core.KindOf(err); k != core.QuotaExceeded && k != core.InvalidArgument {
				t.Fatalf("%+v: %v", req, err)
			}
		}
		if list, _ := d.ListVolumes(testCtx(t), core.ListOptions{}); len(list) != 0 || len(d.Events()) != before {
			t.Fatalf("a refused create left %d volumes, %d events", len(list), len(d.Events())-before)
		}
	})
}

// Every storage list filtered on a datacenter that is down is Unavailable and
// on an unknown one InvalidArgument, as ListServers; a list across
// datacenters leaves out those that are down.
func TestStorage_B4_1_3_X1_X2_ListByDatacenter(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	for _, dc := range []string{"dc1", "dc2"} {
		cm := core.CreateMeta{ProjectID: testProject, DatacenterID: dc}
		v, err := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: cm, SizeGB: 1})
		wantKind(t, err, core.KindUnknown)
		_, err = d.CreateVolumeSnapshot(ctx, core.VolumeSnapshotCreate{CreateMeta: cm, VolumeID: v.ID})
		wantKind(t, err, core.KindUnknown)
		_, err = d.CreateBackup(ctx, core.BackupCreate{CreateMeta: cm, VolumeID: v.ID})
		wantKind(t, err, core.KindUnknown)
	}
	d.SetDatacenterDown("dc2", true)
	lists := []struct {
		name string
		list func(core.ListOptions) ([]string, error) // datacenters of the items
	}{
		{"B.4.1.3 ListVolumes", func(o core.ListOptions) ([]string, error) {
			l, err := d.ListVolumes(ctx, o)
			return volDCs(l, func(v core.Volume) string { return v.DatacenterID }), err
		}},
		{"X.1 ListVolumeSnapshots", func(o core.ListOptions) ([]string, error) {
			l, err := d.ListVolumeSnapshots(ctx, o)
			return volDCs(l, func(s core.VolumeSnapshot) string { return s.DatacenterID }), err
		}},
		{"X.2 ListBackups", func(o core.ListOptions) ([]string, error) {
			l, err := d.ListBackups(ctx, o)
			return volDCs(l, func(b core.Backup) string { return b.DatacenterID }), err
		}},
	}
	for _, l := range lists {
		t.Run(l.name, func(t *testing.T) {
			for _, c := range []struct {
				dc   string
				want core.Kind
				dcs  string
			}{
				{"", core.KindUnknown, "dc1"},
				{"dc1", core.KindUnknown, "dc1"},
				{"dc2", core.Unavailable, ""},
				{"dc9", core.InvalidArgument, ""},
			} {
				got, err := l.list(core.ListOptions{DatacenterID: c.dc})
				wantKind(t, err, c.want)
				if err == nil && strings.Join(got, ",") != c.dcs {
					t.Fatalf("filter %q listed datacenters %v, want %s", c.dc, got, c.dcs)
				}
				if err != nil && c.want == core.InvalidArgument && !strings.Contains(err.Error(), "datacenter_id") {
					t.Fatalf("%v does not name datacenter_id", err)
				}
			}
		})
	}
}

func volDCs[T any](l []T, dc func(T) string) []string {
	out := []string{}
	for _, x := range l {
		out = append(out, dc(x))
	}
	return out
}

// Every storage operation on a resource of a datacenter that is down is
// Unavailable, and changes nothing.
func TestStorage_B4_1_X1_X2_DatacenterDown(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	s := volServer(t, d, "srv")
	v := volCreate(t, d, 2)
	att := volCreate(t, d, 2)
	_, err := d.AttachVolume(ctx, att.ID, core.VolumeAttach{ServerID: s.ID})
	wantKind(t, err, core.KindUnknown)
	sn, _ := d.CreateVolumeSnapshot(ctx, core.VolumeSnapshotCreate{CreateMeta: meta(), VolumeID: v.ID})
	bk, _ := d.CreateBackup(ctx, core.BackupCreate{CreateMeta: meta(), VolumeID: v.ID})
	d.SetDatacenterDown("dc1", true)
	before := len(d.Events())
	ops := []struct {
		name string
		do   func() error
	}{
		{"B.4.1.1 CreateVolume", func() error {
			_, err := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta(), SizeGB: 1})
			return err
		}},
		{"B.4.1.2 DeleteVolume", func() error { return d.DeleteVolume(ctx, v.ID) }},
		{"B.4.1.3 GetVolume", func() error { _, err := d.GetVolume(ctx, v.ID); return err }},
		{"B.4.1.4 AttachVolume", func() error { _, err := d.AttachVolume(ctx, v.ID, core.VolumeAttach{ServerID: s.ID}); return err }},
		{"B.4.1.5 DetachVolume", func() error { _, err := d.DetachVolume(ctx, att.ID, s.ID); return err }},
		{"B.4.1.6 ExtendVolume", func() error { _, err := d.ExtendVolume(ctx, v.ID, 3); return err }},
		{"X.1 CreateVolumeSnapshot", func() error {
			_, err := d.CreateVolumeSnapshot(ctx, core.VolumeSnapshotCreate{CreateMeta: meta(), VolumeID: v.ID})
			return err
		}},
		{"X.1 GetVolumeSnapshot", func() error { _, err := d.GetVolumeSnapshot(ctx, sn.ID); return err }},
		{"X.1 DeleteVolumeSnapshot", func() error { return d.DeleteVolumeSnapshot(ctx, sn.ID) }},
		{"X.2 CreateBackup", func() error {
			_, err := d.CreateBackup(ctx, core.BackupCreate{CreateMeta: meta(), VolumeID: v.ID})
			return err
		}},
		{"X.2 GetBackup", func() error { _, err := d.GetBackup(ctx, bk.ID); return err }},
		{"X.2 DeleteBackup", func() error { return d.DeleteBackup(ctx, bk.ID) }},
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) { wantKind(t, op.do(), core.Unavailable) })
	}
	if n := len(d.Events()) - before; n != 0 {
		t.Fatalf("%d events while the datacenter was down", n)
	}
}

// An extend keeps the attachments: detaching meanwhile is Conflict, and the
// volume goes back to in-use with the new size.
func TestVolume_B4_1_5_DetachWhileExtending(t *testing.T) {
	d, clock := newManualDriver(t, time.Second, func(c *Config) {
		c.Latencies = map[string]Duration{"volume.extend": Duration(time.Second)}
		c.Latency = 0
	})
	ctx := testCtx(t)
	s := volServer(t, d, "srv")
	v := volCreate(t, d, 4)
	_, err := d.AttachVolume(ctx, v.ID, core.VolumeAttach{ServerID: s.ID})
	wantKind(t, err, core.KindUnknown)
	_, err = d.ExtendVolume(ctx, v.ID, 8)
	wantKind(t, err, core.KindUnknown)
	steps := []struct {
		name string
		do   func() (core.Volume, error)
		want core.Kind
		in   string
	}{
		{"detach while extending", func() (core.Volume, error) { return d.DetachVolume(ctx, v.ID, s.ID) }, core.Conflict, "extending"},
		{"attach while extending", func() (core.Volume, error) {
			return d.AttachVolume(ctx, v.ID, core.VolumeAttach{ServerID: volServer(t, d, "other").ID})
		}, core.Conflict, "extending"},
		{"extend again while extending", func() (core.Volume, error) { return d.ExtendVolume(ctx, v.ID, 9) }, core.Conflict, "extending"},
	}
	for _, st := range steps {
		t.Run("B.4.1.5 "+st.name, func(t *testing.T) {
			_, err := st.do()
			wantKind(t, err, st.want)
			if !strings.Contains(err.Error(), st.in) {
				t.Fatalf("%v does not name the state", err)
			}
		})
	}
	clock.Advance(time.Second)
	got := volGet(t, d, v.ID)
	if got.Status != core.VolumeInUse || got.SizeGB != 8 || len(got.Attachments) != 1 || got.Attachments[0].ServerID != s.ID {
		t.Fatalf("%+v", got)
	}
	got, err = d.DetachVolume(ctx, v.ID, s.ID)
	wantKind(t, err, core.KindUnknown)
	volWantEvents(t, d, v.ID, [2]string{"", "creating"}, [2]string{"creating", "available"}, [2]string{"available", "in-use"},
		[2]string{"in-use", "extending"}, [2]string{"extending", "in-use"}, [2]string{"in-use", "available"})
	if ev := lastEvent(t, d, v.ID); ev.Attributes.SizeGB != 8 || ev.Attributes.ServerID != s.ID {
		t.Fatalf("detach event %+v", ev)
	}
}

// An extend pending at Close completes at the next start, back to the state
// it started from, with its new size, once.
func TestVolume_B4_1_6_ExtendSurvivesRestart(t *testing.T) {
	for _, attached := range []bool{false, true} {
		name := "B.4.1.6 available"
		if attached {
			name = "B.4.1.6 in-use"
		}
		t.Run(name, func(t *testing.T) {
			clock := NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			cfg := TestConfig()
			cfg.StatePath = t.TempDir() + "/state.json"
			cfg.Latencies = map[string]Duration{"volume.extend": Duration(time.Second)}
			d, err := New(cfg, WithClock(clock))
			if err != nil {
				t.Fatal(err)
			}
			ctx := testCtx(t)
			v := volCreate(t, d, 5)
			want := core.VolumeAvailable
			if attached {
				s := volServer(t, d, "srv")
				_, err := d.AttachVolume(ctx, v.ID, core.VolumeAttach{ServerID: s.ID})
				wantKind(t, err, core.KindUnknown)
				want = core.VolumeInUse
			}
			_, err = d.ExtendVolume(ctx, v.ID, 7)
			wantKind(t, err, core.KindUnknown)
			n := len(eventsFor(d, v.ID))
			_ = d.Close()
			clock.Advance(2 * time.Second)
			d2, err := New(cfg, WithClock(clock))
			if err != nil {
				t.Fatal(err)
			}
			defer d2.Close()
			got := volGet(t, d2, v.ID)
			if got.Status != want || got.SizeGB != 7 {
				t.Fatalf("after restart %+v", got)
			}
			evs := eventsFor(d2, v.ID)
			if len(evs) != n+1 || evs[n] != [2]string{"extending", string(want)} {
				t.Fatalf("events %v", evs)
			}
			if ev := lastEvent(t, d2, v.ID); ev.Attributes.SizeGB != 7 {
				t.Fatalf("%+v", ev)
			}
		})
	}
}

// Extends hold their new size from the request: concurrent creates and
// extends, some still pending, never take more than the quota.
func TestVolume_B4_1_6_ConcurrentExtendRespectsQuota(t *testing.T) {
	d, clock := newManualDriver(t, time.Second, func(c *Config) {
		c.Latency = 0
		c.Latencies = map[string]Duration{"volume.extend": Duration(time.Second)}
	})
	ctx := testCtx(t)
	q := volNoLimits
	q.VolumeGB = 60
	d.SetQuota("dc1", testProject, q)
	vols := make([]core.Volume, 8)
	for i := range vols {
		vols[i] = volCreate(t, d, 2) // 16 GB
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	granted := int64(16)
	for i, v := range vols {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if _, err := d.ExtendVolume(ctx, v.ID, 2+int64(i+1)); err == nil {
				mu.Lock()
				granted += int64(i + 1)
				mu.Unlock()
			} else if core.KindOf(err) != core.QuotaExceeded {
				t.Errorf("extend: %v", err)
			}
		}()
		go func() {
			defer wg.Done()
			if _, err := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta(), SizeGB: 4}); err == nil {
				mu.Lock()
				granted += 4
				mu.Unlock()
			} else if core.KindOf(err) != core.QuotaExceeded {
				t.Errorf("create: %v", err)
			}
		}()
	}
	wg.Wait()
	used, _ := d.GetVolumeQuota(ctx, "dc1", testProject)
	clock.Advance(time.Second)
	after, _ := d.GetVolumeQuota(ctx, "dc1", testProject)
	if used.UsedGB != granted || after.UsedGB != granted || granted > 60 {
		t.Fatalf("granted %d GB; used %d while extending, %d after; quota 60", granted, used.UsedGB, after.UsedGB)
	}
	list, _ := d.ListVolumes(ctx, core.ListOptions{})
	for _, v := range list {
		if v.Status != core.VolumeAvailable {
			t.Fatalf("%s left %s", v.ID, v.Status)
		}
	}
}
