package openstack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gisiaas/gisiaas/core"
)

// imgPattern streams n bytes of a fixed pattern without holding them.
type imgPattern struct{ n, off int64 }

func (r *imgPattern) Read(p []byte) (int, error) {
	if r.off >= r.n {
		return 0, io.EOF
	}
	k := int(min(int64(len(p)), r.n-r.off))
	for i := range k {
		p[i] = byte((r.off + int64(i)) * 131 % 251)
	}
	r.off += int64(k)
	return k, nil
}

// imgNew registers an empty image of the test project and its deletion.
func imgNew(t *testing.T, ctx context.Context, d *Driver, mutate func(*core.ImageCreate)) core.Image {
	t.Helper()
	req := core.ImageCreate{CreateMeta: core.CreateMeta{ProjectID: srvTestProject, DatacenterID: "nova", Tags: map[string]string{"test": "image"}},
		Name: "imgtest-" + d.events.boot, Visibility: core.VisibilityPrivate}
	if mutate != nil {
		mutate(&req)
	}
	im, err := d.CreateImage(ctx, req)
	if err != nil {
		t.Fatalf("CreateImage: %v", err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		if err := d.DeleteImage(ctx, im.ID); core.KindOf(err) == core.Conflict {
			_, _ = d.UpdateImage(ctx, im.ID, []core.PatchOp{{Op: "replace", Path: "/protected", Value: false}})
			_ = d.DeleteImage(ctx, im.ID)
		}
	})
	return im
}

func TestImageCreateShowUploadDelete(t *testing.T) {
	d := testDriver(t)
	ctx := testContext(t)
	ev := watchEvents(t, d)
	token := "imgtok-" + d.events.boot
	im := imgNew(t, ctx, d, func(r *core.ImageCreate) {
		r.ClientToken, r.Architecture, r.MinRAMMB, r.MinDiskGB, r.ImageTags, r.Description = token, "x86_64", 64, 1, []string{"t1"}, "an image"
	})
	if im.Status != core.ImageQueued || im.Type != core.ImageTypeImage || im.ProjectID != srvTestProject || im.DatacenterID != "nova" ||
		im.Tags["test"] != "image" || im.Architecture != "x86_64" || im.MinRAMMB != 64 || im.MinDiskGB != 1 ||
		!slices.Equal(im.ImageTags, []string{"t1"}) || im.Visibility != core.VisibilityPrivate || im.Protected ||
		im.Description != "an image" || im.OwnerID == "" || len(im.Properties) != 0 {
		t.Errorf("CreateImage answered %+v", im)
	}
	again, err := d.CreateImage(ctx, core.ImageCreate{CreateMeta: core.CreateMeta{ProjectID: srvTestProject, ClientToken: token}, Name: "other"})
	if err != nil || again.ID != im.ID {
		t.Fatalf("CreateImage with the same client token: %s, %v; want %s", again.ID, err, im.ID)
	}
	got, err := d.GetImage(ctx, im.ID)
	if err != nil || got.ID != im.ID || got.Name != im.Name {
		t.Fatalf("GetImage: %+v, %v", got, err)
	}

	_, err = d.UploadImage(ctx, im.ID, core.ImageUpload{}, &imgPattern{n: 10})
	wantKind(t, "UploadImage without a disk format", err, core.InvalidArgument)
	const size = 3<<20 + 17
	h := sha256.New()
	up, err := d.UploadImage(ctx, im.ID, core.ImageUpload{DiskFormat: "raw", Source: "pattern"}, io.TeeReader(&imgPattern{n: size}, h))
	if err != nil {
		t.Fatal(err)
	}
	if up.Status != core.ImageActive || up.SizeBytes != size || up.Checksum != hex.EncodeToString(h.Sum(nil)) ||
		up.DiskFormat != "raw" || up.Properties["source"] != "pattern" || up.FileLocation == "" {
		t.Errorf("UploadImage answered %+v", up)
	}
	_, err = d.UploadImage(ctx, im.ID, core.ImageUpload{DiskFormat: "raw"}, strings.NewReader("again"))
	wantKind(t, "UploadImage to an image with data", err, core.Conflict)
	e := ev.waitMatch(t, ctx, "image to active", func(e core.Event) bool {
		return e.ResourceID == im.ID && e.ToState == string(core.ImageActive)
	})
	if e.Attributes.ImageType != core.ImageTypeImage || e.Attributes.ImageSizeBytes != size || e.ProjectID != srvTestProject {
		t.Errorf("active event %+v", e)
	}

	if err := d.DeleteImage(ctx, im.ID); err != nil {
		t.Fatal(err)
	}
	_, err = d.GetImage(ctx, im.ID)
	wantKind(t, "GetImage after delete", err, core.NotFound)
	ev.waitMatch(t, ctx, "image to deleted", func(e core.Event) bool {
		return e.ResourceID == im.ID && e.ToState == string(core.ImageDeleted) && e.FromState == string(core.ImageActive)
	})
	wantKind(t, "DeleteImage again", d.DeleteImage(ctx, im.ID), core.NotFound)
	_, err = d.UploadImage(ctx, im.ID, core.ImageUpload{DiskFormat: "raw"}, strings.NewReader("x"))
	wantKind(t, "UploadImage to an unknown id", err, core.NotFound)
	_, err = d.UpdateImage(ctx, im.ID, []core.PatchOp{{Op: "replace", Path: "/name", Value: "x"}})
	wantKind(t, "UpdateImage of an unknown id", err, core.NotFound)
	_, err = d.CreateImage(ctx, core.ImageCreate{CreateMeta: core.CreateMeta{ProjectID: srvTestProject}, Name: "x", ServerID: "00000000-0000-0000-0000-000000000000"})
	wantKind(t, "CreateImage of an unknown server", err, core.InvalidArgument)
}

func TestImagePatch(t *testing.T) {
	d := testDriver(t)
	ctx := testContext(t)
	im := imgNew(t, ctx, d, nil)
	name := im.Name + "-patched"
	got, err := d.UpdateImage(ctx, im.ID, []core.PatchOp{
		{Op: "replace", Path: "/name", Value: name},
		{Op: "add", Path: "/description", Value: "patched"},
		{Op: "replace", Path: "/min_ram_mb", Value: 256},
		{Op: "add", Path: "/image_tags", Value: []string{"a", "b"}},
		{Op: "add", Path: "/note", Value: "free-form"},
		{Op: "add", Path: "/architecture", Value: "aarch64"},
	})
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, x core.Image, desc string) {
		t.Helper()
		if x.Name != name || x.Description != desc || x.MinRAMMB != 256 || !slices.Equal(x.ImageTags, []string{"a", "b"}) ||
			x.Properties["note"] != "free-form" || x.Architecture != "aarch64" || x.Tags["test"] != "image" {
			t.Errorf("%s: %+v", what, x)
		}
	}
	check("UpdateImage", got, "patched")
	got, err = d.UpdateImage(ctx, im.ID, []core.PatchOp{{Op: "remove", Path: "/description"}, {Op: "replace", Path: "/protected", Value: true}})
	if err != nil {
		t.Fatal(err)
	}
	check("UpdateImage removing the description", got, "")
	if !got.Protected {
		t.Errorf("not protected after the patch")
	}
	wantKind(t, "DeleteImage of a protected image", d.DeleteImage(ctx, im.ID), core.Conflict)
	if got, err = d.GetImage(ctx, im.ID); err != nil {
		t.Fatal(err)
	}
	check("GetImage", got, "")

	for _, c := range []struct {
		what string
		ops  []core.PatchOp
		kind core.Kind
	}{
		{"add of an existing attribute", []core.PatchOp{{Op: "replace", Path: "/name", Value: "never"}, {Op: "add", Path: "/name", Value: "x"}}, core.InvalidArgument},
		{"replace of a missing attribute", []core.PatchOp{{Op: "replace", Path: "/absent", Value: "x"}}, core.InvalidArgument},
		{"remove of a missing attribute", []core.PatchOp{{Op: "remove", Path: "/description"}}, core.InvalidArgument},
		{"an unknown op", []core.PatchOp{{Op: "move", Path: "/name", Value: "x"}}, core.InvalidArgument},
		{"a bad value", []core.PatchOp{{Op: "replace", Path: "/visibility", Value: "everyone"}}, core.InvalidArgument},
		{"no op", nil, core.InvalidArgument},
		{"the read-only status", []core.PatchOp{{Op: "replace", Path: "/status", Value: "active"}}, core.PermissionDenied},
		{"a gisiaas key", []core.PatchOp{{Op: "add", Path: "/" + metaDC, Value: "x"}}, core.PermissionDenied},
	} {
		_, err := d.UpdateImage(ctx, im.ID, c.ops)
		wantKind(t, "UpdateImage with "+c.what, err, c.kind)
	}
	if got, err = d.GetImage(ctx, im.ID); err != nil || got.Name != name {
		t.Errorf("a refused patch changed the image: %+v, %v", got, err)
	}
}

func TestImageList(t *testing.T) {
	d := testDriver(t)
	ctx := testContext(t)
	im := imgNew(t, ctx, d, nil)
	ims, err := d.ListImages(ctx, core.ListOptions{ProjectID: srvTestProject, DatacenterID: "nova"})
	if err != nil {
		t.Fatal(err)
	}
	mine, public := false, false
	for _, x := range ims {
		mine = mine || x.ID == im.ID
		public = public || (x.Visibility == core.VisibilityPublic && x.Name == "tiny" && x.SizeBytes > 0 && x.ProjectID == "")
		if x.Visibility != core.VisibilityPublic && x.ProjectID != srvTestProject {
			t.Errorf("ListImages of %s shows %s of project %q", srvTestProject, x.ID, x.ProjectID)
		}
	}
	if !mine || !public {
		t.Errorf("ListImages: own image %v, public tiny %v", mine, public)
	}
	for _, o := range []core.ListOptions{{ProjectID: "imgtest-nobody"}, {ProjectID: srvTestProject, DatacenterID: "elsewhere"}} {
		ims, err = d.ListImages(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range ims {
			if x.ID == im.ID {
				t.Errorf("ListImages(%+v) shows the private image", o)
			}
		}
	}
	all, err := d.ListImages(ctx, core.ListOptions{})
	if err != nil || !slices.ContainsFunc(all, func(x core.Image) bool { return x.ID == im.ID }) {
		t.Errorf("ListImages of all projects lacks the image: %v", err)
	}
}

// TestImageConcurrentCreatesOfOneToken make one image.
func TestImageConcurrentCreatesOfOneToken(t *testing.T) {
	d := testDriver(t)
	ctx := testContext(t)
	token := "imgconc-" + d.events.boot
	ids := make([]string, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			im, err := d.CreateImage(ctx, core.ImageCreate{CreateMeta: core.CreateMeta{ProjectID: srvTestProject, ClientToken: token},
				Name: "imgconc-" + d.events.boot})
			ids[i], errs[i] = im.ID, err
		}()
	}
	wg.Wait()
	for i := range ids {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		t.Cleanup(func() { _ = d.DeleteImage(context.Background(), ids[i]) })
		if ids[i] != ids[0] {
			t.Errorf("creates of one token made images %v", ids)
		}
	}
}
