package libvirt

import (
	"strings"
	"testing"

	"github.com/gisiaas/gisiaas/core"
)

func TestImage_SeededCreateFromServerUpdateDelete(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	base, err := d.GetImage(ctx, "base")
	if err != nil || base.Status != core.ImageActive || base.Visibility != core.VisibilityPublic || base.SizeBytes != 1<<30 {
		t.Fatalf("the configured image: %+v %v", base, err)
	}
	s := newServer(t, d, "img", "src")
	snap, err := d.CreateImage(ctx, core.ImageCreate{CreateMeta: meta("img"), Name: "snap", ServerID: s.ID})
	if err != nil {
		t.Fatal(err)
	}
	if snap.Type != core.ImageTypeSnapshot || snap.Status != core.ImageActive || snap.SourceServerID != s.ID || snap.SizeBytes <= 0 {
		t.Fatalf("snapshot %+v", snap)
	}
	ev := waitEvent(t, d, "snapshot active", func(e core.Event) bool { return e.ResourceID == snap.ID && e.ToState == string(core.ImageActive) })
	if ev.Attributes.ImageType != core.ImageTypeSnapshot || ev.Attributes.ImageSizeBytes != snap.SizeBytes {
		t.Fatalf("event %+v", ev)
	}
	_, err = d.CreateImage(ctx, core.ImageCreate{CreateMeta: meta("img"), Name: "x", ServerID: "no-such"})
	wantKind(t, "snapshot of an unknown server", err, core.InvalidArgument)

	// A private image is its project's only.
	ims, _ := d.ListImages(ctx, core.ListOptions{ProjectID: "someone-else"})
	for _, im := range ims {
		if im.ID == snap.ID {
			t.Fatal("another project lists the private snapshot")
		}
	}
	got, err := d.UpdateImage(ctx, snap.ID, []core.PatchOp{{Op: "replace", Path: "/name", Value: "renamed"}, {Op: "add", Path: "/note", Value: "x"}})
	if err != nil || got.Name != "renamed" || got.Properties["note"] != "x" {
		t.Fatalf("UpdateImage: %+v %v", got, err)
	}
	_, err = d.UpdateImage(ctx, snap.ID, []core.PatchOp{{Op: "replace", Path: "/status", Value: "killed"}})
	wantKind(t, "patch the read-only status", err, core.PermissionDenied)

	// The image backing a server's disk stays while the server lives.
	wantKind(t, "delete the image a server boots from", d.DeleteImage(ctx, "base"), core.Conflict)
	if err := d.DeleteImage(ctx, snap.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.lookupVolume(d.order[0], "test", "gisiaas-img-"+snap.ID); core.KindOf(err) != core.NotFound {
		t.Fatalf("the snapshot's volume is still in the pool: %v", err)
	}
}

func TestImage_UploadUnsupportedOnTheTestDriver(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	im, err := d.CreateImage(ctx, core.ImageCreate{CreateMeta: meta("up"), Name: "q"})
	if err != nil || im.Status != core.ImageQueued {
		t.Fatalf("CreateImage: %+v %v", im, err)
	}
	defer func() { _ = d.DeleteImage(ctx, im.ID) }()
	// virStorageVolUpload does not exist in the test driver: the clause is
	// not declared and the call answers unsupported, not a half upload.
	_, err = d.UploadImage(ctx, im.ID, core.ImageUpload{DiskFormat: "raw"}, strings.NewReader("data"))
	wantKind(t, "upload on test:///default", err, core.Unsupported)
	info, _ := d.Info(ctx)
	if info.Supports(core.ClauseImageUpload) {
		t.Fatal("B.2.3.2 declared on test:///default")
	}
}
