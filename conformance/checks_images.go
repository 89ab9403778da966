package conformance

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/gisiaas/gisiaas/core"
)

// Checks of flavors (B.2.2) and images (B.2.3).

// Unsupported probes, with ids that do not exist or requests core refuses,
// so a target that does support the clause changes nothing.
func probeCreateFlavor(ctx context.Context, e *Env) error {
	// Zero vCPUs: invalid wherever flavors can be created.
	_, err := e.Driver.CreateFlavor(ctx, core.FlavorCreate{ID: noSuch, Name: noSuch, VCPUs: 0, MemoryMB: 1})
	return err
}
func probeDeleteFlavor(ctx context.Context, e *Env) error { return e.Driver.DeleteFlavor(ctx, noSuch) }
func probeGetFlavor(ctx context.Context, e *Env) error {
	_, err := e.Driver.GetFlavor(ctx, noSuch)
	return err
}
func probeListFlavors(ctx context.Context, e *Env) error {
	_, err := e.Driver.ListFlavors(ctx)
	return err
}
func probeCreateImage(ctx context.Context, e *Env) error {
	_, err := e.Driver.CreateImage(ctx, core.ImageCreate{CreateMeta: e.Meta(), Name: e.Name("probe"), Type: core.ImageTypeSnapshot, ServerID: noSuch})
	return err
}
func probeUploadImage(ctx context.Context, e *Env) error {
	_, err := e.Driver.UploadImage(ctx, noSuch, core.ImageUpload{DiskFormat: "raw"}, strings.NewReader("probe"))
	return err
}
func probeDeleteImage(ctx context.Context, e *Env) error { return e.Driver.DeleteImage(ctx, noSuch) }
func probeGetImage(ctx context.Context, e *Env) error {
	_, err := e.Driver.GetImage(ctx, noSuch)
	return err
}
func probeUpdateImage(ctx context.Context, e *Env) error {
	_, err := e.Driver.UpdateImage(ctx, noSuch, []core.PatchOp{{Op: "replace", Path: "/name", Value: "probe"}})
	return err
}
func probeListImages(ctx context.Context, e *Env) error {
	_, err := e.Driver.ListImages(ctx, core.ListOptions{ProjectID: e.Project, DatacenterID: e.Datacenter})
	return err
}

// wantFlavor checks the fields every flavor carries (B.2.2.4).
func wantFlavor(what string, f core.Flavor) error {
	if f.ID == "" || f.Name == "" {
		return Failf("%s: flavor %+v: id and name are required", what, f)
	}
	if f.VCPUs < 1 || f.MemoryMB < 1 || f.DiskGB < 0 {
		return Failf("%s: flavor %s: %d vCPUs, %d MB, %d GB", what, f.ID, f.VCPUs, f.MemoryMB, f.DiskGB)
	}
	return nil
}

// newFlavor creates a flavor with a unique id and name, the sizes of the
// smallest listed flavor (so any image that fits that one fits it), and
// registers its deletion.
func newFlavor(ctx context.Context, e *Env) (core.FlavorCreate, core.Flavor, error) {
	fs, err := sortedFlavors(ctx, e)
	if err != nil {
		return core.FlavorCreate{}, core.Flavor{}, Broken(err)
	}
	req := core.FlavorCreate{VCPUs: 1, MemoryMB: 512, DiskGB: 1, Public: true}
	if len(fs) > 0 {
		req.VCPUs, req.MemoryMB, req.DiskGB = fs[0].VCPUs, fs[0].MemoryMB, fs[0].DiskGB
	}
	req.ID = e.Name("flv")
	req.Name = req.ID
	f, err := e.Driver.CreateFlavor(ctx, req)
	if err != nil {
		return req, core.Flavor{}, fmt.Errorf("CreateFlavor: %w", err)
	}
	e.Cleanup("flavor "+f.ID, func(ctx context.Context) error { return e.Driver.DeleteFlavor(ctx, f.ID) })
	return req, f, nil
}

// newImage registers an empty (queued) image of the run, changed by
// mutate, and its deletion.
func newImage(ctx context.Context, e *Env, mutate func(*core.ImageCreate)) (core.Image, error) {
	req := core.ImageCreate{CreateMeta: e.Meta(), Name: e.Name("img"), Type: core.ImageTypeImage, Visibility: core.VisibilityPrivate}
	if mutate != nil {
		mutate(&req)
	}
	im, err := e.Driver.CreateImage(ctx, req)
	if err != nil {
		return core.Image{}, fmt.Errorf("CreateImage: %w", err)
	}
	if im.ID == "" {
		return core.Image{}, Failf("CreateImage answered no id")
	}
	e.Cleanup("image "+im.ID, func(ctx context.Context) error { return deleteImageAndWait(ctx, e, im.ID) })
	return im, nil
}

// waitImage polls image id until it is active; killed fails at once.
func waitImage(ctx context.Context, e *Env, id string) (core.Image, error) {
	var im core.Image
	err := e.Eventually(ctx, "image "+id+" to be active", func(ctx context.Context) (bool, error) {
		var err error
		im, err = e.Driver.GetImage(ctx, id)
		if err != nil {
			return false, err
		}
		if im.Status == core.ImageKilled {
			return false, Failf("image %s was killed", id)
		}
		return im.Status == core.ImageActive, nil
	})
	return im, err
}

// wantImageEvent checks the event of image id becoming active carries what
// billing meters an image by: its type and its size.
func wantImageEvent(ctx context.Context, e *Env, im core.Image, typ core.ImageType) error {
	ev, ok, err := watchEvent(ctx, e, core.TypeImage, im.ID, string(core.ImageActive))
	if err != nil || !ok {
		return err
	}
	if ev.Attributes.ImageType != typ || ev.Attributes.ImageSizeBytes != im.SizeBytes {
		return Failf("event of image %s to active: image_type %q, image_size_bytes %d; want %q, %d",
			im.ID, ev.Attributes.ImageType, ev.Attributes.ImageSizeBytes, typ, im.SizeBytes)
	}
	return nil
}

// patternReader streams n bytes of a fixed pattern without holding them:
// what UploadImage reads is never in memory as a whole, on either side.
type patternReader struct{ n, off int64 }

func (r *patternReader) Read(p []byte) (int, error) {
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

// uploadSize is odd and over a few buffers, so chunking is exercised.
const uploadSize = 3<<20 + 17

func init() {
	register(
		// B.2.2.1 Create flavor.
		Check{Clause: core.ClauseFlavorCreate, Name: "create", Needs: core.ClauseFlavorCreate, Unsupported: probeCreateFlavor,
			Run: func(ctx context.Context, e *Env) error {
				req, f, err := newFlavor(ctx, e)
				if err != nil {
					return err
				}
				if f != core.Flavor(req) {
					return Failf("CreateFlavor answered %+v, want %+v", f, core.Flavor(req))
				}
				got, err := e.Driver.GetFlavor(ctx, f.ID)
				if err != nil {
					return fmt.Errorf("GetFlavor of the new flavor: %w", err)
				}
				if got != f {
					return Failf("GetFlavor answered %+v, want %+v", got, f)
				}
				_, err = e.Driver.CreateFlavor(ctx, req)
				return WantKind("CreateFlavor with an id that exists", err, core.Conflict)
			}},
		Check{Clause: core.ClauseFlavorCreate, Name: "zero vcpus is invalid", Needs: core.ClauseFlavorCreate, Unsupported: probeCreateFlavor,
			Run: func(ctx context.Context, e *Env) error {
				id := e.Name("flv")
				f, err := e.Driver.CreateFlavor(ctx, core.FlavorCreate{ID: id, Name: id, VCPUs: 0, MemoryMB: 512, DiskGB: 1})
				if err == nil {
					e.Cleanup("flavor "+f.ID, func(ctx context.Context) error { return e.Driver.DeleteFlavor(ctx, f.ID) })
				}
				return WantKind("CreateFlavor of 0 vCPUs", err, core.InvalidArgument)
			}},

		// B.2.2.2 Delete flavor.
		Check{Clause: core.ClauseFlavorDelete, Name: "delete", Needs: core.ClauseFlavorDelete, Unsupported: probeDeleteFlavor,
			Run: func(ctx context.Context, e *Env) error {
				if !e.Info.Supports(core.ClauseFlavorCreate) {
					return nil // nothing the run may delete
				}
				_, f, err := newFlavor(ctx, e)
				if err != nil {
					return Broken(err)
				}
				if err := e.Driver.DeleteFlavor(ctx, f.ID); err != nil {
					return fmt.Errorf("DeleteFlavor: %w", err)
				}
				return waitGone(ctx, e, "flavor "+f.ID, func(ctx context.Context) error {
					_, err := e.Driver.GetFlavor(ctx, f.ID)
					return err
				})
			}},
		Check{Clause: core.ClauseFlavorDelete, Name: "in use is conflict", Needs: core.ClauseFlavorDelete, Unsupported: probeDeleteFlavor,
			Run: func(ctx context.Context, e *Env) error {
				if !e.Info.Supports(core.ClauseFlavorCreate) || !e.Info.Supports(core.ClauseServerCreate) {
					return nil
				}
				b, err := pickBoot(ctx, e)
				if err != nil {
					return err
				}
				id := e.Name("flv")
				f, err := e.Driver.CreateFlavor(ctx, core.FlavorCreate{ID: id, Name: id, VCPUs: b.Flavor.VCPUs, MemoryMB: b.Flavor.MemoryMB, DiskGB: b.Flavor.DiskGB, Public: true})
				if err != nil {
					return Broken(fmt.Errorf("CreateFlavor: %w", err))
				}
				// Registered before the server's, so it runs after it.
				e.Cleanup("flavor "+f.ID, func(ctx context.Context) error { return e.Driver.DeleteFlavor(ctx, f.ID) })
				b.Flavor = f
				s, _, err := newServer(ctx, e, &b, nil)
				if err != nil {
					return Broken(err)
				}
				return WantKind(fmt.Sprintf("DeleteFlavor of %s, used by server %s", f.ID, s.ID), e.Driver.DeleteFlavor(ctx, f.ID), core.Conflict)
			}},
		Check{Clause: core.ClauseFlavorDelete, Name: "unknown is not found", Needs: core.ClauseFlavorDelete, Unsupported: probeDeleteFlavor,
			Run: func(ctx context.Context, e *Env) error {
				return WantKind("DeleteFlavor of an unknown id", probeDeleteFlavor(ctx, e), core.NotFound)
			}},

		// B.2.2.3 Show flavor.
		Check{Clause: core.ClauseFlavorShow, Name: "show", Needs: core.ClauseFlavorShow, Unsupported: probeGetFlavor,
			Run: func(ctx context.Context, e *Env) error {
				fs, err := e.Driver.ListFlavors(ctx)
				if err != nil {
					return Broken(fmt.Errorf("ListFlavors: %w", err))
				}
				if len(fs) == 0 {
					return Broken(fmt.Errorf("no flavor to show"))
				}
				for _, f := range fs {
					got, err := e.Driver.GetFlavor(ctx, f.ID)
					if err != nil {
						return fmt.Errorf("GetFlavor(%s): %w", f.ID, err)
					}
					if got != f {
						return Failf("GetFlavor answered %+v; the list shows %+v", got, f)
					}
					if err := wantFlavor("GetFlavor", got); err != nil {
						return err
					}
				}
				return nil
			}},
		Check{Clause: core.ClauseFlavorShow, Name: "unknown is not found", Needs: core.ClauseFlavorShow, Unsupported: probeGetFlavor,
			Run: func(ctx context.Context, e *Env) error {
				return WantKind("GetFlavor of an unknown id", probeGetFlavor(ctx, e), core.NotFound)
			}},

		// B.2.2.4 List flavors.
		Check{Clause: core.ClauseFlavorList, Name: "list", Needs: core.ClauseFlavorList, Unsupported: probeListFlavors,
			Run: func(ctx context.Context, e *Env) error {
				fs, err := e.Driver.ListFlavors(ctx)
				if err != nil {
					return fmt.Errorf("ListFlavors: %w", err)
				}
				if len(fs) == 0 {
					return Failf("ListFlavors: no flavor; nothing can boot")
				}
				seen := map[string]bool{}
				for _, f := range fs {
					if err := wantFlavor("ListFlavors", f); err != nil {
						return err
					}
					if seen[f.ID] {
						return Failf("ListFlavors shows flavor %s twice", f.ID)
					}
					seen[f.ID] = true
				}
				return nil
			}},

		// B.2.3.1 Create image from a server.
		Check{Clause: core.ClauseImageCreate, Name: "snapshot a server", Needs: core.ClauseImageCreate, Unsupported: probeCreateImage,
			Run: func(ctx context.Context, e *Env) error {
				if !e.Info.Supports(core.ClauseServerCreate) {
					return Broken(fmt.Errorf("a server snapshot needs a server, and %s is not declared", core.ClauseServerCreate))
				}
				s, _, err := newServer(ctx, e, nil, nil)
				if err != nil {
					return err
				}
				name, desc := e.Name("snap"), "a snapshot by the conformance suite"
				im, err := newImage(ctx, e, func(r *core.ImageCreate) {
					r.Name, r.Description, r.Type, r.ServerID = name, desc, core.ImageTypeSnapshot, s.ID
				})
				if err != nil {
					return err
				}
				if err := wantImage(e, "CreateImage", im, name, core.ImageTypeSnapshot); err != nil {
					return err
				}
				if im.SourceServerID != s.ID {
					return Failf("CreateImage: source_server_id %q, want %q", im.SourceServerID, s.ID)
				}
				if im, err = waitImage(ctx, e, im.ID); err != nil {
					return err
				}
				if im.Type != core.ImageTypeSnapshot || im.Description != desc {
					return Failf("GetImage of the snapshot: type %q, description %q; want snapshot, %q", im.Type, im.Description, desc)
				}
				if im.SizeBytes <= 0 {
					return Failf("the active snapshot %s has size_bytes %d", im.ID, im.SizeBytes)
				}
				// Billing meters a server snapshot by its type and size.
				return wantImageEvent(ctx, e, im, core.ImageTypeSnapshot)
			}},
		Check{Clause: core.ClauseImageCreate, Name: "unknown server is invalid", Needs: core.ClauseImageCreate, Unsupported: probeCreateImage,
			Run: func(ctx context.Context, e *Env) error {
				im, err := e.Driver.CreateImage(ctx, core.ImageCreate{CreateMeta: e.Meta(), Name: e.Name("snap"), Type: core.ImageTypeSnapshot, ServerID: noSuch})
				if err == nil && im.ID != "" {
					e.Cleanup("image "+im.ID, func(ctx context.Context) error { return deleteImageAndWait(ctx, e, im.ID) })
				}
				return WantKind("CreateImage of an unknown server", err, core.InvalidArgument)
			}},

		// B.2.3.2 Upload image data.
		Check{Clause: core.ClauseImageUpload, Name: "upload", Needs: core.ClauseImageUpload, Unsupported: probeUploadImage,
			Run: func(ctx context.Context, e *Env) error {
				im, err := newImage(ctx, e, nil)
				if err != nil {
					return err
				}
				if im.Status != core.ImageQueued {
					return Failf("CreateImage without a server answered status %s, want queued", im.Status)
				}
				h := sha256.New()
				data := io.TeeReader(&patternReader{n: uploadSize}, h)
				got, err := e.Driver.UploadImage(ctx, im.ID, core.ImageUpload{DiskFormat: "raw", Source: "conformance-pattern"}, data)
				if err != nil {
					return fmt.Errorf("UploadImage: %w", err)
				}
				if got.Status != core.ImageSaving && got.Status != core.ImageActive {
					return Failf("UploadImage answered status %s, want saving or active", got.Status)
				}
				if got, err = waitImage(ctx, e, im.ID); err != nil {
					return err
				}
				if got.SizeBytes != uploadSize {
					return Failf("the uploaded image has size_bytes %d, want %d", got.SizeBytes, uploadSize)
				}
				if sum := hex.EncodeToString(h.Sum(nil)); got.Checksum != "" && got.Checksum != sum {
					return Failf("the uploaded image has checksum %s, want the SHA-256 %s", got.Checksum, sum)
				}
				if got.DiskFormat != "raw" {
					return Failf("the uploaded image has disk_format %q, want raw", got.DiskFormat)
				}
				_, err = e.Driver.UploadImage(ctx, im.ID, core.ImageUpload{DiskFormat: "raw"}, strings.NewReader("again"))
				if err := WantKind("UploadImage to an image that has data", err, core.Conflict); err != nil {
					return err
				}
				return wantImageEvent(ctx, e, got, core.ImageTypeImage)
			}},
		Check{Clause: core.ClauseImageUpload, Name: "missing disk format is invalid", Needs: core.ClauseImageUpload, Unsupported: probeUploadImage,
			Run: func(ctx context.Context, e *Env) error {
				im, err := newImage(ctx, e, nil)
				if err != nil {
					return err
				}
				_, err = e.Driver.UploadImage(ctx, im.ID, core.ImageUpload{}, &patternReader{n: 1024})
				return WantKind("UploadImage without a disk format", err, core.InvalidArgument)
			}},
		Check{Clause: core.ClauseImageUpload, Name: "unknown is not found", Needs: core.ClauseImageUpload, Unsupported: probeUploadImage,
			Run: func(ctx context.Context, e *Env) error {
				return WantKind("UploadImage to an unknown id", probeUploadImage(ctx, e), core.NotFound)
			}},

		// B.2.3.3 Delete image.
		Check{Clause: core.ClauseImageDelete, Name: "delete", Needs: core.ClauseImageDelete, Unsupported: probeDeleteImage,
			Run: func(ctx context.Context, e *Env) error {
				im, err := newImage(ctx, e, nil)
				if err != nil {
					return Broken(err)
				}
				if err := e.Driver.DeleteImage(ctx, im.ID); err != nil {
					return fmt.Errorf("DeleteImage: %w", err)
				}
				return waitGone(ctx, e, "image "+im.ID, func(ctx context.Context) error {
					_, err := e.Driver.GetImage(ctx, im.ID)
					return err
				})
			}},
		Check{Clause: core.ClauseImageDelete, Name: "protected is conflict", Needs: core.ClauseImageDelete, Unsupported: probeDeleteImage,
			Run: func(ctx context.Context, e *Env) error {
				im, err := newImage(ctx, e, func(r *core.ImageCreate) { r.Protected = true })
				if err != nil {
					return Broken(err)
				}
				if !im.Protected {
					return Failf("CreateImage with protected answered protected false")
				}
				if err := WantKind("DeleteImage of a protected image", e.Driver.DeleteImage(ctx, im.ID), core.Conflict); err != nil {
					return err
				}
				if _, err := e.Driver.GetImage(ctx, im.ID); err != nil {
					return Failf("the protected image is gone after a refused delete: %v", err)
				}
				return nil // the cleanup unprotects and deletes it
			}},
		Check{Clause: core.ClauseImageDelete, Name: "unknown is not found", Needs: core.ClauseImageDelete, Unsupported: probeDeleteImage,
			Run: func(ctx context.Context, e *Env) error {
				return WantKind("DeleteImage of an unknown id", probeDeleteImage(ctx, e), core.NotFound)
			}},

		// B.2.3.4 Show image.
		Check{Clause: core.ClauseImageShow, Name: "show", Needs: core.ClauseImageShow, Unsupported: probeGetImage,
			Run: func(ctx context.Context, e *Env) error {
				name := e.Name("img")
				im, err := newImage(ctx, e, func(r *core.ImageCreate) {
					r.Name, r.Architecture, r.MinRAMMB, r.MinDiskGB, r.ImageTags = name, "x86_64", 64, 1, []string{"conformance"}
				})
				if err != nil {
					return Broken(err)
				}
				got, err := e.Driver.GetImage(ctx, im.ID)
				if err != nil {
					return fmt.Errorf("GetImage: %w", err)
				}
				if err := wantImage(e, "GetImage", got, name, core.ImageTypeImage); err != nil {
					return err
				}
				if got.Status != core.ImageQueued || got.Architecture != "x86_64" || got.MinRAMMB != 64 || got.MinDiskGB != 1 ||
					got.Visibility != core.VisibilityPrivate || got.Protected || !hasString(got.ImageTags, "conformance") {
					return Failf("GetImage answered status %s, architecture %q, min_ram_mb %d, min_disk_gb %d, visibility %s, protected %v, tags %v; "+
						"want queued, x86_64, 64, 1, private, false, [conformance]",
						got.Status, got.Architecture, got.MinRAMMB, got.MinDiskGB, got.Visibility, got.Protected, got.ImageTags)
				}
				if got.OwnerID == "" {
					return Failf("GetImage: owner_id is missing")
				}
				return nil
			}},
		Check{Clause: core.ClauseImageShow, Name: "public image", Needs: core.ClauseImageShow, Unsupported: probeGetImage,
			Run: func(ctx context.Context, e *Env) error {
				b, err := pickBoot(ctx, e)
				if err != nil {
					return err
				}
				got, err := e.Driver.GetImage(ctx, b.Image.ID)
				if err != nil {
					return fmt.Errorf("GetImage of public image %s: %w", b.Image.ID, err)
				}
				if got.ID != b.Image.ID || got.Name == "" || got.Status != core.ImageActive || got.Visibility != core.VisibilityPublic {
					return Failf("GetImage of public image %s: id %q, name %q, status %s, visibility %s", b.Image.ID, got.ID, got.Name, got.Status, got.Visibility)
				}
				if got.SizeBytes <= 0 {
					return Failf("GetImage of active image %s: size_bytes %d", got.ID, got.SizeBytes)
				}
				if got.Architecture != "" && got.Architecture != "x86_64" && got.Architecture != "aarch64" {
					return Failf("GetImage of %s: architecture %q, want x86_64 or aarch64", got.ID, got.Architecture)
				}
				return nil
			}},
		Check{Clause: core.ClauseImageShow, Name: "unknown is not found", Needs: core.ClauseImageShow, Unsupported: probeGetImage,
			Run: func(ctx context.Context, e *Env) error {
				return WantKind("GetImage of an unknown id", probeGetImage(ctx, e), core.NotFound)
			}},

		// B.2.3.5 Update image.
		Check{Clause: core.ClauseImageUpdate, Name: "patch", Needs: core.ClauseImageUpdate, Unsupported: probeUpdateImage,
			Run: func(ctx context.Context, e *Env) error {
				im, err := newImage(ctx, e, nil)
				if err != nil {
					return Broken(err)
				}
				name := e.Name("patched")
				got, err := e.Driver.UpdateImage(ctx, im.ID, []core.PatchOp{
					{Op: "replace", Path: "/name", Value: name},
					{Op: "add", Path: "/description", Value: "patched by the conformance suite"},
					{Op: "replace", Path: "/min_ram_mb", Value: 256},
					{Op: "add", Path: "/image_tags", Value: []string{"conformance", "patched"}},
					{Op: "add", Path: "/conformance_note", Value: "free-form"},
				})
				if err != nil {
					return fmt.Errorf("UpdateImage: %w", err)
				}
				check := func(what string, x core.Image, desc string) error {
					if x.Name != name || x.Description != desc || x.MinRAMMB != 256 || !hasString(x.ImageTags, "patched") || x.Properties["conformance_note"] != "free-form" {
						return Failf("%s: name %q, description %q, min_ram_mb %d, tags %v, properties %v; the patch is not applied",
							what, x.Name, x.Description, x.MinRAMMB, x.ImageTags, x.Properties)
					}
					return nil
				}
				if err := check("UpdateImage", got, "patched by the conformance suite"); err != nil {
					return err
				}
				if got, err = e.Driver.UpdateImage(ctx, im.ID, []core.PatchOp{{Op: "remove", Path: "/description"}}); err != nil {
					return fmt.Errorf("UpdateImage removing the description: %w", err)
				}
				if err := check("UpdateImage removing the description", got, ""); err != nil {
					return err
				}
				if got, err = e.Driver.GetImage(ctx, im.ID); err != nil {
					return fmt.Errorf("GetImage: %w", err)
				}
				return check("GetImage after the patches", got, "")
			}},
		Check{Clause: core.ClauseImageUpdate, Name: "refused op is invalid", Needs: core.ClauseImageUpdate, Unsupported: probeUpdateImage,
			Run: func(ctx context.Context, e *Env) error {
				im, err := newImage(ctx, e, nil)
				if err != nil {
					return Broken(err)
				}
				for _, c := range []struct {
					what string
					ops  []core.PatchOp
				}{
					// All or none: the valid first op must not be applied.
					{"add of an existing attribute", []core.PatchOp{{Op: "replace", Path: "/name", Value: e.Name("never")}, {Op: "add", Path: "/name", Value: "x"}}},
					{"replace of a missing attribute", []core.PatchOp{{Op: "replace", Path: "/conformance_absent", Value: "x"}}},
					{"remove of a missing attribute", []core.PatchOp{{Op: "remove", Path: "/description"}}},
					{"an unknown op", []core.PatchOp{{Op: "move", Path: "/name", Value: "x"}}},
					{"a bad value", []core.PatchOp{{Op: "replace", Path: "/visibility", Value: "everyone"}}},
					{"no op", nil},
				} {
					_, err := e.Driver.UpdateImage(ctx, im.ID, c.ops)
					if err := WantKind("UpdateImage with "+c.what, err, core.InvalidArgument); err != nil {
						return err
					}
				}
				got, err := e.Driver.GetImage(ctx, im.ID)
				if err != nil {
					return fmt.Errorf("GetImage: %w", err)
				}
				if got.Name != im.Name {
					return Failf("a refused patch changed the name to %q: a patch applies all or none", got.Name)
				}
				return nil
			}},
		Check{Clause: core.ClauseImageUpdate, Name: "read-only is denied", Needs: core.ClauseImageUpdate, Unsupported: probeUpdateImage,
			Run: func(ctx context.Context, e *Env) error {
				im, err := newImage(ctx, e, nil)
				if err != nil {
					return Broken(err)
				}
				// Glance answers 403 for a read-only attribute (docs/decisions.md).
				_, err = e.Driver.UpdateImage(ctx, im.ID, []core.PatchOp{{Op: "replace", Path: "/status", Value: "active"}})
				return WantKind("UpdateImage of the read-only status", err, core.PermissionDenied)
			}},
		Check{Clause: core.ClauseImageUpdate, Name: "unknown is not found", Needs: core.ClauseImageUpdate, Unsupported: probeUpdateImage,
			Run: func(ctx context.Context, e *Env) error {
				return WantKind("UpdateImage of an unknown id", probeUpdateImage(ctx, e), core.NotFound)
			}},

		// B.2.3.6 List images.
		Check{Clause: core.ClauseImageList, Name: "list", Needs: core.ClauseImageList, Unsupported: probeListImages,
			Run: func(ctx context.Context, e *Env) error {
				im, err := newImage(ctx, e, nil)
				if err != nil {
					return Broken(err)
				}
				ims, err := e.Driver.ListImages(ctx, core.ListOptions{ProjectID: e.Project, DatacenterID: e.Datacenter})
				if err != nil {
					return fmt.Errorf("ListImages: %w", err)
				}
				mine, public := false, false
				for _, x := range ims {
					if x.ID == "" || x.Name == "" || x.Status == "" || x.Visibility == "" {
						return Failf("ListImages: image %+v: id, name, status and visibility are required", x)
					}
					mine = mine || x.ID == im.ID
					public = public || x.Visibility == core.VisibilityPublic
				}
				if !mine {
					return Failf("ListImages of the run's project does not show its image %s", im.ID)
				}
				if !public {
					return Failf("ListImages shows no public image")
				}
				// A private image is not another project's to see.
				ims, err = e.Driver.ListImages(ctx, core.ListOptions{ProjectID: unrelatedProject(e)})
				if core.KindOf(err) == core.PermissionDenied {
					return nil
				}
				if err != nil {
					return fmt.Errorf("ListImages of another project: %w", err)
				}
				for _, x := range ims {
					if x.ID == im.ID {
						return Failf("ListImages of another project shows the run's private image %s", im.ID)
					}
				}
				return nil
			}},
	)
}

// wantImage checks what every answer about the run's image carries.
func wantImage(e *Env, what string, im core.Image, name string, typ core.ImageType) error {
	if im.ID == "" {
		return Failf("%s: id is missing", what)
	}
	if im.Name != name || im.Type != typ {
		return Failf("%s: name %q, type %q; want %q, %q", what, im.Name, im.Type, name, typ)
	}
	switch im.Status {
	case core.ImageQueued, core.ImageSaving, core.ImageActive:
	default:
		return Failf("%s: status %q, want queued, saving or active", what, im.Status)
	}
	if im.Visibility != core.VisibilityPrivate && im.Visibility != core.VisibilityPublic {
		return Failf("%s: visibility %q", what, im.Visibility)
	}
	return wantRunMeta(e, what, im.Meta)
}
