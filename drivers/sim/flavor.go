package sim

import (
	"context"
	"sort"

	"github.com/gisiaas/gisiaas/core"
)

// CreateFlavor adds a flavor (B.2.2.1); an existing id or name is Conflict.
func (d *Driver) CreateFlavor(ctx context.Context, req core.FlavorCreate) (core.Flavor, error) {
	const op = "CreateFlavor"
	if err := d.begin(ctx, op); err != nil {
		return core.Flavor{}, err
	}
	if err := req.Validate(); err != nil {
		return core.Flavor{}, core.WithOp(op, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, f := range d.st.Flavors {
		if f.ID == req.ID {
			return core.Flavor{}, conflict(op, "flavor id %s exists", req.ID)
		}
		if f.Name == req.Name {
			return core.Flavor{}, conflict(op, "flavor name %s exists", req.Name)
		}
	}
	f := core.Flavor(req)
	d.st.Flavors[f.ID] = &f
	if err := d.commit(); err != nil {
		return core.Flavor{}, err
	}
	return f, nil
}

// GetFlavor shows a flavor (B.2.2.3).
func (d *Driver) GetFlavor(ctx context.Context, id string) (core.Flavor, error) {
	if err := d.begin(ctx, "GetFlavor"); err != nil {
		return core.Flavor{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	f, ok := d.st.Flavors[id]
	if !ok {
		return core.Flavor{}, notFound("GetFlavor", core.TypeFlavor, id)
	}
	return *f, nil
}

// ListFlavors lists flavors from the smallest (B.2.2.4).
func (d *Driver) ListFlavors(ctx context.Context) ([]core.Flavor, error) {
	if err := d.begin(ctx, "ListFlavors"); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]core.Flavor, 0, len(d.st.Flavors))
	for _, f := range d.st.Flavors {
		out = append(out, *f)
	}
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

// DeleteFlavor removes a flavor no server uses (B.2.2.2); one in use,
// including as the old flavor of a resize awaiting confirmation, is Conflict.
func (d *Driver) DeleteFlavor(ctx context.Context, id string) error {
	const op = "DeleteFlavor"
	if err := d.begin(ctx, op); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.st.Flavors[id]; !ok {
		return notFound(op, core.TypeFlavor, id)
	}
	for _, s := range d.st.Servers {
		if s.FlavorID == id || s.PreviousFlavorID == id {
			return conflict(op, "flavor %s is used by server %s", id, s.ID)
		}
	}
	delete(d.st.Flavors, id)
	return d.commit()
}
