package sim

import (
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

func TestVolume_B4_1_1_Create(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	v, err := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta(), Name: "dem", Description: "elevation", SizeGB: 50, VolumeType: "ssd", Shareable: true})
	wantKind(t, err, core.KindUnknown)
	got := volGet(t, d, v.ID)
	if got.Name != "dem" || got.Description != "elevation" || got.SizeGB != 50 || got.VolumeType != "ssd" || !got.Shareable ||
		got.DatacenterID != "dc1" || got.Status != core.VolumeAvailable || got.Host != "dc1@sim-ssd" || got.Attachments == nil {
		t.Fatalf("%+v", got)
	}
	if evs := eventsFor(d, v.ID); len(evs) != 2 || evs[0] != [2]string{"", "creating"} || evs[1] != [2]string{"creating", "available"} {
		t.Fatalf("events %v", evs)
	}
	if ev := lastEvent(t, d, v.ID); ev.Attributes.SizeGB != 50 || ev.Attributes.VolumeType != "ssd" || ev.ResourceType != core.TypeVolume {
		t.Fatalf("event %+v", ev)
	}
	if def := volCreate(t, d, 1); def.VolumeType != "standard" {
		t.Fatalf("default type %q", def.VolumeType)
	}
	cases := []struct {
		name string
		req  core.VolumeCreate
		want core.Kind
	}{
		{"zero size", core.VolumeCreate{SizeGB: 0}, core.InvalidArgument},
		{"too big", core.VolumeCreate{SizeGB: core.MaxSizeGB + 1}, core.InvalidArgument},
		{"unknown type", core.VolumeCreate{SizeGB: 1, VolumeType: "gold"}, core.InvalidArgument},
		{"unknown image", core.VolumeCreate{SizeGB: 1, ImageID: "nope"}, core.InvalidArgument},
		{"from an image that fits", core.VolumeCreate{SizeGB: 1, ImageID: publicImageID(t, d)}, core.KindUnknown},
		{"unknown snapshot", core.VolumeCreate{SizeGB: 1, SnapshotID: "nope"}, core.InvalidArgument},
		{"unknown datacenter", core.VolumeCreate{CreateMeta: core.CreateMeta{DatacenterID: "dc9"}, SizeGB: 1}, core.InvalidArgument},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.req.ProjectID = testProject
			_, err := d.CreateVolume(ctx, c.req)
			wantKind(t, err, c.want)
		})
	}
	// An image of 2 GiB needs a 10 GB volume (its min disk).
	imgs, _ := d.ListImages(ctx, core.ListOptions{})
	for _, im := range imgs {
		if im.Name == "debian-12" {
			_, err := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta(), SizeGB: 9, ImageID: im.ID})
			wantKind(t, err, core.InvalidArgument)
			v, err := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta(), SizeGB: 10, ImageID: im.ID})
			wantKind(t, err, core.KindUnknown)
			if v.ImageID != im.ID {
				t.Fatalf("%+v", v)
			}
		}
	}
}

func TestVolume_B4_1_1_IdempotentAndQuota(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	req := core.VolumeCreate{CreateMeta: meta(), SizeGB: 4}
	req.ClientToken = "vol-tok"
	a, _ := d.CreateVolume(ctx, req)
	b, _ := d.CreateVolume(ctx, req)
	if a.ID != b.ID {
		t.Fatal("a client token created two volumes")
	}
	d.SetQuota("dc1", testProject, Quota{VCPUs: -1, MemoryMB: -1, Servers: -1, VolumeGB: 10, Volumes: 3})
	_, err := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta(), SizeGB: 7})
	wantKind(t, err, core.QuotaExceeded)
	volCreate(t, d, 6)
	q, err := d.GetVolumeQuota(ctx, "dc1", testProject)
	wantKind(t, err, core.KindUnknown)
	if q.UsedGB != 10 || q.TotalGB != 10 || q.UsedVolumes != 2 || q.TotalVolumes != 3 {
		t.Fatalf("%+v", q)
	}
	_, err = d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta(), SizeGB: 1})
	wantKind(t, err, core.QuotaExceeded)
}

func TestVolume_B4_1_3_Show(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	_, err := d.GetVolume(ctx, "nope")
	wantKind(t, err, core.NotFound)
	v := volCreate(t, d, 2)
	other, _ := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: core.CreateMeta{ProjectID: "proj-b", DatacenterID: "dc2"}, SizeGB: 1})
	list, _ := d.ListVolumes(ctx, core.ListOptions{ProjectID: testProject})
	if len(list) != 1 || list[0].ID != v.ID {
		t.Fatalf("%+v", list)
	}
	list, _ = d.ListVolumes(ctx, core.ListOptions{DatacenterID: "dc2"})
	if len(list) != 1 || list[0].ID != other.ID {
		t.Fatalf("%+v", list)
	}
}

func TestVolume_B4_1_4_Attach_B4_1_5_Detach(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	s1 := srvCreate(t, d, "m1.tiny")
	s2 := srvCreate(t, d, "m1.tiny")
	v := volCreate(t, d, 2)
	shared, _ := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta(), SizeGB: 2, Shareable: true})
	theirs, _ := d.CreateServer(ctx, core.ServerCreate{CreateMeta: core.CreateMeta{ProjectID: "proj-b"}, Name: "b", FlavorID: "m1.tiny", ImageID: publicImageID(t, d)})

	steps := []struct {
		name string
		do   func() (core.Volume, error)
		want core.Kind
	}{
		{"attach", func() (core.Volume, error) {
			return d.AttachVolume(ctx, v.ID, core.VolumeAttach{ServerID: s1.ID, ServerName: "srv", Mode: "ro", Mountpoint: "/dev/vdc"})
		}, core.KindUnknown},
		{"attach in-use to another server", func() (core.Volume, error) { return d.AttachVolume(ctx, v.ID, core.VolumeAttach{ServerID: s2.ID}) }, core.Conflict},
		{"attach twice to the same server", func() (core.Volume, error) { return d.AttachVolume(ctx, v.ID, core.VolumeAttach{ServerID: s1.ID}) }, core.Conflict},
		{"mountpoint taken", func() (core.Volume, error) {
			return d.AttachVolume(ctx, shared.ID, core.VolumeAttach{ServerID: s1.ID, Mountpoint: "/dev/vdc"})
		}, core.Conflict},
		{"unknown server", func() (core.Volume, error) {
			return d.AttachVolume(ctx, shared.ID, core.VolumeAttach{ServerID: "nope"})
		}, core.InvalidArgument},
		{"another project's server", func() (core.Volume, error) {
			return d.AttachVolume(ctx, shared.ID, core.VolumeAttach{ServerID: theirs.ID})
		}, core.InvalidArgument},
		{"wrong server name", func() (core.Volume, error) {
			return d.AttachVolume(ctx, shared.ID, core.VolumeAttach{ServerID: s1.ID, ServerName: "other"})
		}, core.InvalidArgument},
		{"bad mode", func() (core.Volume, error) {
			return d.AttachVolume(ctx, shared.ID, core.VolumeAttach{ServerID: s1.ID, Mode: "rx"})
		}, core.InvalidArgument},
		{"shareable to s1", func() (core.Volume, error) { return d.AttachVolume(ctx, shared.ID, core.VolumeAttach{ServerID: s1.ID}) }, core.KindUnknown},
		{"shareable to s2 as well", func() (core.Volume, error) { return d.AttachVolume(ctx, shared.ID, core.VolumeAttach{ServerID: s2.ID}) }, core.KindUnknown},
		{"unknown volume", func() (core.Volume, error) { return d.AttachVolume(ctx, "nope", core.VolumeAttach{ServerID: s1.ID}) }, core.NotFound},
		{"detach from a server it is not on", func() (core.Volume, error) { return d.DetachVolume(ctx, v.ID, s2.ID) }, core.Conflict},
		{"detach without a server", func() (core.Volume, error) { return d.DetachVolume(ctx, v.ID, "") }, core.InvalidArgument},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			_, err := st.do()
			wantKind(t, err, st.want)
		})
	}
	got := volGet(t, d, v.ID)
	if got.Status != core.VolumeInUse || len(got.Attachments) != 1 || got.Attachments[0] != (core.Attachment{ServerID: s1.ID, Mountpoint: "/dev/vdc", Mode: "ro", AttachedAt: got.Attachments[0].AttachedAt}) {
		t.Fatalf("%+v", got)
	}
	if sv, _ := d.GetServer(ctx, s1.ID); len(sv.VolumeIDs) != 2 || sv.VolumeIDs[0] != v.ID {
		t.Fatalf("server volumes %v", sv.VolumeIDs)
	}
	if sh := volGet(t, d, shared.ID); len(sh.Attachments) != 2 {
		t.Fatalf("shareable attachments %+v", sh.Attachments)
	}
	if ev := lastEvent(t, d, shared.ID); ev.Attributes.ServerID != s2.ID {
		t.Fatalf("attach event %+v", ev)
	}
	// Detach.
	got, err := d.DetachVolume(ctx, v.ID, s1.ID)
	wantKind(t, err, core.KindUnknown)
	if got.Status != core.VolumeAvailable || len(got.Attachments) != 0 {
		t.Fatalf("%+v", got)
	}
	if sv, _ := d.GetServer(ctx, s1.ID); len(sv.VolumeIDs) != 1 {
		t.Fatalf("server volumes after detach %v", sv.VolumeIDs)
	}
	got, _ = d.DetachVolume(ctx, shared.ID, s1.ID)
	if got.Status != core.VolumeInUse || len(got.Attachments) != 1 {
		t.Fatalf("shareable after one detach %+v", got)
	}
	if evs := eventsFor(d, v.ID); len(evs) != 4 || evs[2] != [2]string{"available", "in-use"} || evs[3] != [2]string{"in-use", "available"} {
		t.Fatalf("events %v", evs)
	}
}

func TestVolume_B4_1_6_Extend(t *testing.T) {
	d, clock := newManualDriver(t, time.Second)
	ctx := testCtx(t)
	v, _ := d.CreateVolume(ctx, core.VolumeCreate{CreateMeta: meta(), SizeGB: 10})
	_, err := d.ExtendVolume(ctx, v.ID, 20)
	wantKind(t, err, core.Conflict) // still creating
	clock.Advance(time.Second)
	for _, size := range []int64{10, 5, 0} {
		_, err := d.ExtendVolume(ctx, v.ID, size)
		wantKind(t, err, core.InvalidArgument)
	}
	_, err = d.ExtendVolume(ctx, "nope", 20)
	wantKind(t, err, core.NotFound)
	got, err := d.ExtendVolume(ctx, v.ID, 20)
	wantKind(t, err, core.KindUnknown)
	if got.Status != core.VolumeExtending || got.SizeGB != 20 {
		t.Fatalf("%+v", got)
	}
	_, err = d.ExtendVolume(ctx, v.ID, 30)
	wantKind(t, err, core.Conflict)
	clock.Advance(time.Second)
	if got := volGet(t, d, v.ID); got.Status != core.VolumeAvailable || got.SizeGB != 20 {
		t.Fatalf("%+v", got)
	}
	if ev := lastEvent(t, d, v.ID); ev.Attributes.SizeGB != 20 || ev.FromState != "extending" {
		t.Fatalf("%+v", ev)
	}
	// An attached volume goes back to in-use; the quota covers the increase.
	s, _ := d.CreateServer(ctx, core.ServerCreate{CreateMeta: meta(), Name: "s", FlavorID: "m1.tiny", ImageID: publicImageID(t, d)})
	clock.Advance(time.Second)
	_, err = d.AttachVolume(ctx, v.ID, core.VolumeAttach{ServerID: s.ID})
	wantKind(t, err, core.KindUnknown)
	d.SetQuota("dc1", testProject, Quota{VCPUs: -1, MemoryMB: -1, Servers: -1, VolumeGB: 25, Volumes: -1})
	_, err = d.ExtendVolume(ctx, v.ID, 26)
	wantKind(t, err, core.QuotaExceeded)
	_, err = d.ExtendVolume(ctx, v.ID, 25)
	wantKind(t, err, core.KindUnknown)
	clock.Advance(time.Second)
	if got := volGet(t, d, v.ID); got.Status != core.VolumeInUse || got.SizeGB != 25 {
		t.Fatalf("%+v", got)
	}
}

func TestVolume_B4_1_2_Delete(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	wantKind(t, d.DeleteVolume(ctx, "nope"), core.NotFound)
	s := srvCreate(t, d, "m1.tiny")
	v := volCreate(t, d, 3)
	_, _ = d.AttachVolume(ctx, v.ID, core.VolumeAttach{ServerID: s.ID})
	wantKind(t, d.DeleteVolume(ctx, v.ID), core.Conflict)
	_, _ = d.DetachVolume(ctx, v.ID, s.ID)
	snap, err := d.CreateVolumeSnapshot(ctx, core.VolumeSnapshotCreate{CreateMeta: meta(), VolumeID: v.ID})
	wantKind(t, err, core.KindUnknown)
	wantKind(t, d.DeleteVolume(ctx, v.ID), core.Conflict)
	wantKind(t, d.DeleteVolumeSnapshot(ctx, snap.ID), core.KindUnknown)
	wantKind(t, d.DeleteVolume(ctx, v.ID), core.KindUnknown)
	_, err = d.GetVolume(ctx, v.ID)
	wantKind(t, err, core.NotFound)
	evs := eventsFor(d, v.ID)
	if last := evs[len(evs)-1]; last != [2]string{"deleting", "deleted"} {
		t.Fatalf("events %v", evs)
	}
	q, _ := d.GetVolumeQuota(ctx, "dc1", testProject)
	if q.UsedGB != 0 || q.UsedVolumes != 0 {
		t.Fatalf("%+v", q)
	}
}

func TestVolume_ConcurrentCreateRespectsQuota(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	d.SetQuota("dc1", testProject, Quota{VCPUs: -1, MemoryMB: -1, Servers: -1, VolumeGB: 50, Volumes: -1})
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
			}
		}()
	}
	wg.Wait()
	q, _ := d.GetVolumeQuota(ctx, "dc1", testProject)
	if made != 16 || q.UsedGB != 48 {
		t.Fatalf("made %d volumes, %d GB used of 50", made, q.UsedGB)
	}
}
