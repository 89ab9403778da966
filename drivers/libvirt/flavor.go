package libvirt

import (
	"context"
	"sort"

	"github.com/gisiaas/gisiaas/core"
)

// Flavors are the driver's own (libvirt has none): the configured ones and
// those created since, in the store. They are shared by every project.

// CreateFlavor adds a flavor (B.2.2.1); an id or name in use is Conflict.
func (d *Driver) CreateFlavor(ctx context.Context, req core.FlavorCreate) (core.Flavor, error) {
	const op = "CreateFlavor"
	if err := req.Validate(); err != nil {
		return core.Flavor{}, core.WithOp(op, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, f := range d.st.Flavors {
		if f.ID == req.ID || f.Name == req.Name {
			return core.Flavor{}, conflict(op, "flavor %s (%s) exists", f.ID, f.Name)
		}
	}
	f := core.Flavor(req)
	d.st.Flavors[f.ID] = f
	if err := d.save(); err != nil {
		delete(d.st.Flavors, f.ID)
		return core.Flavor{}, err
	}
	return f, nil
}

// GetFlavor shows a flavor (B.2.2.3).
func (d *Driver) GetFlavor(ctx context.Context, id string) (core.Flavor, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	f, ok := d.st.Flavors[id]
	if !ok {
		return core.Flavor{}, notFound("GetFlavor", core.TypeFlavor, id)
	}
	return f, nil
}

// ListFlavors lists flavors, smallest first (B.2.2.4).
func (d *Driver) ListFlavors(ctx context.Context) ([]core.Flavor, error) {
	d.mu.Lock()
	out := make([]core.Flavor, 0, len(d.st.Flavors))
	for _, f := range d.st.Flavors {
		out = append(out, f)
	}
	d.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.VCPUs != b.VCPUs {
			return a.VCPUs < b.VCPUs
		}
		if a.MemoryMB != b.MemoryMB {
			return a.MemoryMB < b.MemoryMB
		}
		return a.ID < b.ID
	})
	return out, nil
}

// DeleteFlavor deletes a flavor no server uses (B.2.2.2).
func (d *Driver) DeleteFlavor(ctx context.Context, id string) error {
	const op = "DeleteFlavor"
	d.mu.Lock()
	_, ok := d.st.Flavors[id]
	d.mu.Unlock()
	if !ok {
		return notFound(op, core.TypeFlavor, id)
	}
	servers, err := d.listServers(op, core.ListOptions{})
	if err != nil {
		return err
	}
	for _, s := range servers {
		if s.FlavorID == id || s.PreviousFlavorID == id {
			return conflict(op, "flavor %s is used by server %s", id, s.ID)
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	f := d.st.Flavors[id]
	delete(d.st.Flavors, id)
	if err := d.save(); err != nil {
		d.st.Flavors[id] = f
		return err
	}
	return nil
}
