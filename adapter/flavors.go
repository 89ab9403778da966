package adapter

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gisiaas/gisiaas/core"
)

// Flavors are shared by every project and live in each datacenter on its
// own: they are not in the registry, and every operation asks the
// datacenters themselves.
func (s *Server) flavorRoutes(g *echo.Group) {
	g.POST("/flavors", s.createFlavor)
	g.GET("/flavors", s.listFlavors)
	g.GET("/flavors/:id", s.getFlavor)
	g.DELETE("/flavors/:id", s.deleteFlavor)
}

// flavorView is a flavor as the API shows it (B.2.2.3), with the
// datacenter that answered for it.
type flavorView struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	VCPUs        int64  `json:"vcpus"`
	MemoryMB     int64  `json:"memory_mb"`
	DiskGB       int64  `json:"disk_gb"`
	Public       bool   `json:"public"`
	DatacenterID string `json:"datacenter_id"`
}

func viewFlavor(l located[core.Flavor]) flavorView {
	f := l.v
	return flavorView{ID: f.ID, Name: f.Name, VCPUs: f.VCPUs, MemoryMB: f.MemoryMB, DiskGB: f.DiskGB,
		Public: f.Public, DatacenterID: l.b.ID}
}

// flavorCreateRequest is the body of POST /flavors.
type flavorCreateRequest struct {
	Flavor struct {
		ID       string `json:"id"`
		Name     string `json:"name"`
		VCPUs    int64  `json:"vcpus"`
		MemoryMB int64  `json:"memory_mb"`
		DiskGB   int64  `json:"disk_gb"`
		// Public is true when absent, as in Nova.
		Public       *bool  `json:"public"`
		DatacenterID string `json:"datacenter_id"`
	} `json:"flavor"`
}

// createFlavor is synchronous and needs no intent: flavors are admin-made
// shared objects, and an id that exists is a Conflict, so a retry is safe.
func (s *Server) createFlavor(c echo.Context) error {
	if !isCloudAdmin(callerOf(c)) {
		return forbidden("creating flavors")
	}
	var req flavorCreateRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	r := req.Flavor
	in := core.FlavorCreate{ID: r.ID, Name: r.Name, VCPUs: r.VCPUs, MemoryMB: r.MemoryMB, DiskGB: r.DiskGB,
		Public: r.Public == nil || *r.Public}
	if err := in.Validate(); err != nil {
		return err
	}
	b, err := s.createDatacenter(r.DatacenterID)
	if err != nil {
		return err
	}
	// Synchronous and shared, but a retried create with the same
	// Idempotency-Key still answers the first answer.
	return s.createWith(c, core.TypeFlavor, core.ClauseFlavorCreate, b, req, createOptions{status: http.StatusCreated, unregistered: true},
		func(ctx context.Context, _ core.CreateMeta) (created, error) {
			f, err := b.Cloud.CreateFlavor(ctx, in)
			return created{ID: f.ID, Body: viewFlavor(located[core.Flavor]{f, b})}, err
		})
}

// listFlavors lists each datacenter's flavors. A page holds whole flavors
// (all its datacenters' copies), so that a marker, a flavor id, is never
// ambiguous.
func (s *Server) listFlavors(c echo.Context) error {
	items, err := fanOut(c, s, core.ClauseFlavorList, func(ctx context.Context, b *backend) ([]located[core.Flavor], error) {
		fs, err := b.Cloud.ListFlavors(ctx)
		out := make([]located[core.Flavor], len(fs))
		for i, f := range fs {
			out[i] = located[core.Flavor]{f, b}
		}
		return out, err
	})
	if err != nil {
		return err
	}
	// fanOut keeps the datacenters' order, so each group lists its copies
	// in configuration order.
	var groups [][]located[core.Flavor]
	at := map[string]int{}
	for _, f := range items {
		i, ok := at[f.v.ID]
		if !ok {
			i = len(groups)
			at[f.v.ID] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], f)
	}
	groups, err = paginate(c, groups, func(g []located[core.Flavor]) (time.Time, string) { return time.Time{}, g[0].v.ID })
	if err != nil {
		return err
	}
	out := []flavorView{}
	for _, g := range groups {
		for _, f := range g {
			out = append(out, viewFlavor(f))
		}
	}
	return c.JSON(http.StatusOK, map[string]any{bodyNames[core.TypeFlavor][1]: out})
}

func (s *Server) getFlavor(c echo.Context) error {
	id := c.Param("id")
	if err := core.ValidateID("id", id); err != nil {
		return err
	}
	found, err := findFirst(c, s, core.ClauseFlavorShow, func(ctx context.Context, b *backend) (core.Flavor, error) {
		return b.Cloud.GetFlavor(ctx, id)
	})
	if err != nil {
		return err
	}
	if len(found) == 0 {
		return core.Errorf(core.NotFound, "flavor %s not found", id)
	}
	return one(c, http.StatusOK, core.TypeFlavor, viewFlavor(found[0]))
}

// deleteFlavor removes the flavor from every datacenter of the request
// that has it, in configuration order, stopping at the first refusal (a
// flavor in use is Conflict): an admin deleting a flavor means it gone,
// and ?datacenter= narrows it to one.
func (s *Server) deleteFlavor(c echo.Context) error {
	if !isCloudAdmin(callerOf(c)) {
		return forbidden("deleting flavors")
	}
	id := c.Param("id")
	if err := core.ValidateID("id", id); err != nil {
		return err
	}
	targets := s.dcs
	if dc := c.QueryParam("datacenter"); dc != "" {
		b, ok := s.backends[dc]
		if !ok {
			return core.Errorf(core.InvalidArgument, "datacenter: unknown datacenter %s", dc)
		}
		targets = []Datacenter{b.Datacenter}
	}
	deleted := 0
	for _, dc := range targets {
		b := s.backends[dc.ID]
		err := b.call(c.Request().Context(), core.ClauseFlavorDelete, func(ctx context.Context) error {
			return b.Cloud.DeleteFlavor(ctx, id)
		})
		switch {
		case err == nil:
			deleted++
		case core.KindOf(err) != core.NotFound:
			return err
		}
	}
	if deleted == 0 {
		return core.Errorf(core.NotFound, "flavor %s not found", id)
	}
	return noContent(c)
}

// located is an object and the datacenter that answered for it.
type located[T any] struct {
	v T
	b *backend
}

// findFirst asks the datacenters of the request (all, or ?datacenter=)
// for one object that is not in the registry (a flavor, a public image, a
// shared network) and answers what they found, in configuration order:
// found[0] is the first datacenter's. A datacenter that does not have it
// answers nothing; one that fails is left out with a Warning, as fanOut does.
func findFirst[T any](c echo.Context, s *Server, clause core.Clause, get func(ctx context.Context, b *backend) (T, error)) ([]located[T], error) {
	return fanOut(c, s, clause, func(ctx context.Context, b *backend) ([]located[T], error) {
		v, err := get(ctx, b)
		if core.KindOf(err) == core.NotFound {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return []located[T]{{v, b}}, nil
	})
}
