package sim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// imgPattern is a reader of n deterministic bytes that are never all in memory.
type imgPattern struct{ left, pos int64 }

func (p *imgPattern) Read(b []byte) (int, error) {
	if p.left == 0 {
		return 0, io.EOF
	}
	n := int64(len(b))
	if n > p.left {
		n = p.left
	}
	for i := int64(0); i < n; i++ {
		b[i] = byte((p.pos + i) * 31)
	}
	p.pos += n
	p.left -= n
	return int(n), nil
}

func TestImage_B2_3_1_CreateFromServer(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	s := srvCreate(t, d, "m1.small")
	im, err := d.CreateImage(ctx, core.ImageCreate{CreateMeta: meta(), Name: "snap", Description: "before upgrade", ServerID: s.ID})
	wantKind(t, err, core.KindUnknown)
	got, _ := d.GetImage(ctx, im.ID)
	if got.Type != core.ImageTypeSnapshot || got.Status != core.ImageActive || got.SourceServerID != s.ID ||
		got.SizeBytes != 20<<30/4 || got.MinDiskGB != 20 || got.Architecture != "x86_64" || got.OwnerID != testProject ||
		got.Visibility != core.VisibilityPrivate || len(got.Checksum) != 64 || got.FileLocation == "" || got.Description != "before upgrade" {
		t.Fatalf("%+v", got)
	}
	if evs := eventsFor(d, im.ID); len(evs) != 3 || evs[0][1] != "queued" || evs[1][1] != "saving" || evs[2][1] != "active" {
		t.Fatalf("events %v", evs)
	}
	if ev := lastEvent(t, d, im.ID); ev.Attributes.ImageType != core.ImageTypeSnapshot || ev.Attributes.ImageSizeBytes != got.SizeBytes {
		t.Fatalf("event %+v", ev)
	}
	// A server booted from the snapshot is marked for billing (BL.3).
	s2, err := d.CreateServer(ctx, core.ServerCreate{CreateMeta: meta(), Name: "clone", FlavorID: "m1.small", ImageID: im.ID})
	wantKind(t, err, core.KindUnknown)
	if ev := lastEvent(t, d, s2.ID); !ev.Attributes.FromSnapshot {
		t.Fatalf("clone event %+v", ev)
	}
	// Refusals.
	_, err = d.CreateImage(ctx, core.ImageCreate{CreateMeta: meta(), Name: "x", ServerID: "nope"})
	wantKind(t, err, core.InvalidArgument)
	_, err = d.CreateImage(ctx, core.ImageCreate{CreateMeta: core.CreateMeta{ProjectID: "proj-b"}, Name: "x", ServerID: s.ID})
	wantKind(t, err, core.InvalidArgument) // another project's server does not exist for proj-b
	_, err = d.CreateImage(ctx, core.ImageCreate{CreateMeta: meta(), Name: "", ServerID: s.ID})
	wantKind(t, err, core.InvalidArgument)
	_, err = d.CreateImage(ctx, core.ImageCreate{CreateMeta: meta(), Name: "x", Type: "disk"})
	wantKind(t, err, core.InvalidArgument)
}

func TestImage_B2_3_1_SnapshotTakesTime(t *testing.T) {
	d, clock := newManualDriver(t, time.Second)
	ctx := testCtx(t)
	s, _ := d.CreateServer(ctx, core.ServerCreate{CreateMeta: meta(), Name: "s", FlavorID: "m1.tiny", ImageID: publicImageID(t, d)})
	_, err := d.CreateImage(ctx, core.ImageCreate{CreateMeta: meta(), Name: "x", ServerID: s.ID})
	wantKind(t, err, core.Conflict) // still BUILD
	clock.Advance(time.Second)
	im, err := d.CreateImage(ctx, core.ImageCreate{CreateMeta: meta(), Name: "x", ServerID: s.ID})
	wantKind(t, err, core.KindUnknown)
	if got, _ := d.GetImage(ctx, im.ID); got.Status != core.ImageSaving {
		t.Fatalf("status %s", got.Status)
	}
	clock.Advance(time.Second)
	if got, _ := d.GetImage(ctx, im.ID); got.Status != core.ImageActive {
		t.Fatalf("status %s", got.Status)
	}
}

func TestImage_B2_3_2_UploadStreams(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	im, err := d.CreateImage(ctx, core.ImageCreate{CreateMeta: meta(), Name: "upload"})
	wantKind(t, err, core.KindUnknown)
	if im.Status != core.ImageQueued || im.Type != core.ImageTypeImage {
		t.Fatalf("%+v", im)
	}
	const size = 64 << 20
	want := sha256.New()
	_, _ = io.Copy(want, &imgPattern{left: size})

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	got, err := d.UploadImage(ctx, im.ID, core.ImageUpload{DiskFormat: "raw", Source: "dem.tif"}, &imgPattern{left: size})
	runtime.ReadMemStats(&after)
	wantKind(t, err, core.KindUnknown)
	if got.SizeBytes != size || got.Checksum != hex.EncodeToString(want.Sum(nil)) || got.Status != core.ImageActive ||
		got.DiskFormat != "raw" || got.Properties["source"] != "dem.tif" {
		t.Fatalf("%+v", got)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > size/8 {
		t.Fatalf("upload of %d bytes allocated %d: it buffers the data", size, alloc)
	}
	if evs := eventsFor(d, im.ID); len(evs) != 3 || evs[2][1] != "active" {
		t.Fatalf("events %v", evs)
	}
	// Data goes once: a second upload is a conflict.
	_, err = d.UploadImage(ctx, im.ID, core.ImageUpload{DiskFormat: "raw"}, &imgPattern{left: 10})
	wantKind(t, err, core.Conflict)
	_, err = d.UploadImage(ctx, "nope", core.ImageUpload{DiskFormat: "raw"}, &imgPattern{left: 10})
	wantKind(t, err, core.NotFound)
	im2, _ := d.CreateImage(ctx, core.ImageCreate{CreateMeta: meta(), Name: "u2"})
	_, err = d.UploadImage(ctx, im2.ID, core.ImageUpload{}, &imgPattern{left: 10})
	wantKind(t, err, core.InvalidArgument) // disk format is required
	_, err = d.UploadImage(ctx, im2.ID, core.ImageUpload{DiskFormat: "exe"}, &imgPattern{left: 10})
	wantKind(t, err, core.InvalidArgument)
}

type imgFailing struct{ n int }

func (f *imgFailing) Read(b []byte) (int, error) {
	if f.n == 0 {
		return 0, errors.New("connection reset")
	}
	f.n--
	return len(b), nil
}

func TestImage_B2_3_2_FailedUploadReturnsToQueued(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	im, _ := d.CreateImage(ctx, core.ImageCreate{CreateMeta: meta(), Name: "u"})
	_, err := d.UploadImage(ctx, im.ID, core.ImageUpload{DiskFormat: "qcow2"}, &imgFailing{n: 3})
	wantKind(t, err, core.InvalidArgument)
	if got, _ := d.GetImage(ctx, im.ID); got.Status != core.ImageQueued || got.SizeBytes != 0 {
		t.Fatalf("after a failed upload: %+v", got)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = d.UploadImage(cctx, im.ID, core.ImageUpload{DiskFormat: "qcow2"}, &imgPattern{left: 10})
	wantKind(t, err, core.Unavailable)
	// The retry works.
	got, err := d.UploadImage(ctx, im.ID, core.ImageUpload{DiskFormat: "qcow2"}, &imgPattern{left: 1000})
	wantKind(t, err, core.KindUnknown)
	if got.SizeBytes != 1000 {
		t.Fatalf("%+v", got)
	}
}

func TestImage_B2_3_4_Show_B2_3_6_List(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	_, err := d.GetImage(ctx, "nope")
	wantKind(t, err, core.NotFound)
	mine, _ := d.CreateImage(ctx, core.ImageCreate{CreateMeta: meta(), Name: "mine", ImageTags: []string{"dem"}, Architecture: "aarch64", MinRAMMB: 256})
	theirs, _ := d.CreateImage(ctx, core.ImageCreate{CreateMeta: core.CreateMeta{ProjectID: "proj-b"}, Name: "theirs"})
	got, _ := d.GetImage(ctx, mine.ID)
	if got.Architecture != "aarch64" || got.MinRAMMB != 256 || len(got.ImageTags) != 1 || got.OwnerID != testProject || got.Protected {
		t.Fatalf("%+v", got)
	}
	names := func(opts core.ListOptions) map[string]bool {
		list, err := d.ListImages(ctx, opts)
		wantKind(t, err, core.KindUnknown)
		out := map[string]bool{}
		for _, im := range list {
			out[im.Name] = true
		}
		return out
	}
	if n := names(core.ListOptions{ProjectID: testProject}); !n["mine"] || n["theirs"] || !n["cirros-0.6.2"] || !n["debian-12"] {
		t.Fatalf("project list %v", n)
	}
	if n := names(core.ListOptions{}); !n["mine"] || !n["theirs"] || len(n) != 4 {
		t.Fatalf("admin list %v", n)
	}
	_ = theirs
}

func TestImage_B2_3_5_Update(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	im, _ := d.CreateImage(ctx, core.ImageCreate{CreateMeta: meta(), Name: "orig"})
	got, err := d.UpdateImage(ctx, im.ID, []core.PatchOp{
		{Op: "replace", Path: "/name", Value: "renamed"},
		{Op: "add", Path: "/description", Value: "DEM tiles"},
		{Op: "add", Path: "/gis_crs", Value: "EPSG:4490"},
		{Op: "replace", Path: "/min_ram", Value: float64(512)},
	})
	wantKind(t, err, core.KindUnknown)
	if got.Name != "renamed" || got.Description != "DEM tiles" || got.Properties["gis_crs"] != "EPSG:4490" || got.MinRAMMB != 512 {
		t.Fatalf("%+v", got)
	}
	cases := []struct {
		name string
		ops  []core.PatchOp
		want core.Kind
	}{
		{"add an existing attribute", []core.PatchOp{{Op: "add", Path: "/description", Value: "x"}}, core.InvalidArgument},
		{"replace a missing attribute", []core.PatchOp{{Op: "replace", Path: "/architecture", Value: "x86_64"}}, core.InvalidArgument},
		{"remove a missing property", []core.PatchOp{{Op: "remove", Path: "/nope"}}, core.InvalidArgument},
		{"read-only id", []core.PatchOp{{Op: "replace", Path: "/id", Value: "x"}}, core.PermissionDenied},
		{"second op fails, first not applied", []core.PatchOp{{Op: "replace", Path: "/name", Value: "half"}, {Op: "bogus", Path: "/name"}}, core.InvalidArgument},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := d.UpdateImage(ctx, im.ID, c.ops)
			wantKind(t, err, c.want)
			if now, _ := d.GetImage(ctx, im.ID); now.Name != "renamed" || now.Description != "DEM tiles" {
				t.Fatalf("a refused patch changed the image: %+v", now)
			}
		})
	}
	got, err = d.UpdateImage(ctx, im.ID, []core.PatchOp{{Op: "remove", Path: "/gis_crs"}, {Op: "remove", Path: "/description"}})
	wantKind(t, err, core.KindUnknown)
	if got.Description != "" || len(got.Properties) != 0 {
		t.Fatalf("%+v", got)
	}
	_, err = d.UpdateImage(ctx, "nope", []core.PatchOp{{Op: "replace", Path: "/name", Value: "x"}})
	wantKind(t, err, core.NotFound)
}

func TestImage_B2_3_3_Delete(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	im, _ := d.CreateImage(ctx, core.ImageCreate{CreateMeta: meta(), Name: "p", Protected: true})
	wantKind(t, d.DeleteImage(ctx, im.ID), core.Conflict)
	_, err := d.UpdateImage(ctx, im.ID, []core.PatchOp{{Op: "replace", Path: "/protected", Value: false}})
	wantKind(t, err, core.KindUnknown)
	wantKind(t, d.DeleteImage(ctx, im.ID), core.KindUnknown)
	_, err = d.GetImage(ctx, im.ID)
	wantKind(t, err, core.NotFound)
	wantKind(t, d.DeleteImage(ctx, im.ID), core.NotFound)
	if ev := lastEvent(t, d, im.ID); ev.ToState != "deleted" {
		t.Fatalf("last event %+v", ev)
	}
}
