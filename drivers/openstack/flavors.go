package openstack

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/flavors"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"

	"github.com/gisiaas/gisiaas/core"
)

var _ core.Flavors = (*Driver)(nil)

// flavorNames maps flavor names to ids. Since microversion 2.47 Nova embeds
// a server's flavor (original_name, vcpus, ram, disk) instead of its id;
// flavor names are unique in Nova, and flavors are few, so the name finds
// the id again. Rebuilt from the list when a name is missing, at most once
// a minute per name: servers of a deleted flavor keep its name for ever.
type flavorNames struct {
	mu     sync.Mutex
	byNm   map[string]string
	missed map[string]time.Time // name → when a fresh list lacked it
}

// flavorMissTTL is how long a name a fresh list lacked is not looked up again.
const flavorMissTTL = time.Minute

// flavorCaches holds one cache per compute endpoint: drivers of the same
// cloud share it, and a closed driver leaves nothing behind but its names.
var flavorCaches sync.Map // compute endpoint → *flavorNames

func (d *Driver) flavorNames() *flavorNames {
	v, _ := flavorCaches.LoadOrStore(d.admin.compute.Endpoint, &flavorNames{})
	return v.(*flavorNames)
}

// flavorIDByName is the id of the flavor named name ("" when there is none).
func (d *Driver) flavorIDByName(ctx context.Context, name string) string {
	if name == "" {
		return ""
	}
	fn := d.flavorNames()
	fn.mu.Lock()
	id, ok := fn.byNm[name]
	missed, recent := fn.missed[name]
	fn.mu.Unlock()
	if ok {
		return id
	}
	if recent && time.Since(missed) < flavorMissTTL {
		return ""
	}
	fs, err := d.listFlavors(ctx, "ListFlavors")
	if err != nil {
		return ""
	}
	for _, f := range fs {
		if f.Name == name {
			return f.ID
		}
	}
	fn.mu.Lock()
	if fn.missed == nil {
		fn.missed = map[string]time.Time{}
	}
	fn.missed[name] = time.Now()
	fn.mu.Unlock()
	return ""
}

// forgetFlavor drops name from the cache, for a flavor just deleted.
func (d *Driver) forgetFlavor(name string) {
	fn := d.flavorNames()
	fn.mu.Lock()
	delete(fn.byNm, name)
	fn.mu.Unlock()
}

// listFlavors lists every flavor, public and private (admin), and
// refreshes the name cache.
func (d *Driver) listFlavors(ctx context.Context, op string) ([]core.Flavor, error) {
	pages, err := flavors.ListDetail(d.admin.compute, flavors.ListOpts{AccessType: flavors.AllAccess}).AllPages(ctx)
	if err != nil {
		return nil, classify(op, err)
	}
	fs, err := flavors.ExtractFlavors(pages)
	if err != nil {
		return nil, classify(op, err)
	}
	out := make([]core.Flavor, 0, len(fs))
	names := make(map[string]string, len(fs))
	for _, f := range fs {
		out = append(out, coreFlavor(f))
		names[f.Name] = f.ID
	}
	fn := d.flavorNames()
	fn.mu.Lock()
	fn.byNm = names
	for name := range fn.missed {
		if _, ok := names[name]; ok {
			delete(fn.missed, name)
		}
	}
	fn.mu.Unlock()
	return out, nil
}

func coreFlavor(f flavors.Flavor) core.Flavor {
	return core.Flavor{ID: f.ID, Name: f.Name, VCPUs: int64(f.VCPUs), MemoryMB: int64(f.RAM), DiskGB: int64(f.Disk), Public: f.IsPublic}
}

// CreateFlavor adds a flavor (B.2.2.1); an existing id or name is Conflict
// (Nova answers 409 for both).
func (d *Driver) CreateFlavor(ctx context.Context, req core.FlavorCreate) (core.Flavor, error) {
	const op = "CreateFlavor"
	if err := req.Validate(); err != nil {
		return core.Flavor{}, core.WithOp(op, err)
	}
	disk := int(req.DiskGB)
	public := req.Public
	f, err := flavors.Create(ctx, d.admin.compute, flavors.CreateOpts{ID: req.ID, Name: req.Name,
		VCPUs: int(req.VCPUs), RAM: int(req.MemoryMB), Disk: &disk, IsPublic: &public}).Extract()
	if err != nil {
		return core.Flavor{}, classify(op, err)
	}
	fn := d.flavorNames()
	fn.mu.Lock()
	if fn.byNm != nil {
		fn.byNm[f.Name] = f.ID
	}
	delete(fn.missed, f.Name)
	fn.mu.Unlock()
	return coreFlavor(*f), nil
}

// GetFlavor shows a flavor (B.2.2.3).
func (d *Driver) GetFlavor(ctx context.Context, id string) (core.Flavor, error) {
	f, err := flavors.Get(ctx, d.admin.compute, id).Extract()
	if err != nil {
		return core.Flavor{}, classify("GetFlavor", err)
	}
	return coreFlavor(*f), nil
}

// ListFlavors lists every flavor, smallest first (B.2.2.4).
func (d *Driver) ListFlavors(ctx context.Context) ([]core.Flavor, error) {
	out, err := d.listFlavors(ctx, "ListFlavors")
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b core.Flavor) int {
		switch {
		case a.VCPUs != b.VCPUs:
			return int(a.VCPUs - b.VCPUs)
		case a.MemoryMB != b.MemoryMB:
			return int(a.MemoryMB - b.MemoryMB)
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return out, nil
}

// DeleteFlavor removes a flavor no server uses (B.2.2.2). Nova itself
// deletes a flavor in use (servers keep an embedded copy), so the driver
// refuses first: a server of any project with the flavor, or waiting to
// confirm a resize away from it, is Conflict.
func (d *Driver) DeleteFlavor(ctx context.Context, id string) error {
	const op = "DeleteFlavor"
	f, err := flavors.Get(ctx, d.admin.compute, id).Extract()
	if err != nil {
		return classify(op, err)
	}
	ss, err := d.novaServers(ctx, op, servers.ListOpts{AllTenants: true, Flavor: id})
	if err != nil {
		return err
	}
	for _, s := range ss {
		// A server Nova is deleting no longer holds its flavor: the API
		// already answers 404 for it, and a caller that waited for that
		// must be able to delete the flavor next.
		if s.Status != "DELETED" && s.TaskState != "deleting" {
			return &core.Error{Kind: core.Conflict, Op: op, Message: "flavor " + id + " is used by server " + s.ID}
		}
	}
	resizing, err := d.novaServers(ctx, op, servers.ListOpts{AllTenants: true, Status: "VERIFY_RESIZE"})
	if err != nil {
		return err
	}
	for _, s := range resizing {
		if s.Metadata[metaPrevFlavor] == id || s.Flavor.OriginalName == f.Name {
			return &core.Error{Kind: core.Conflict, Op: op, Message: "flavor " + id + " is used by server " + s.ID + " (resize awaiting confirmation)"}
		}
	}
	if err := flavors.Delete(ctx, d.admin.compute, id).ExtractErr(); err != nil {
		return classify(op, err)
	}
	d.forgetFlavor(f.Name)
	return nil
}
