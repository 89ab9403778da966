package adapter

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gisiaas/gisiaas/core"
)

// Datacenter is one configured datacenter and the driver serving it (a
// supervised plugin, or a driver linked in process).
type Datacenter struct {
	ID     string
	Name   string
	Driver string // the driver's name in the configuration
	Cloud  core.Driver
}

// backendTimeout bounds one call to a datacenter from a fan-out, so one slow
// cloud cannot hold a whole list.
const backendTimeout = 10 * time.Second

func (s *Server) projectRoutes() {
	g := s.echo.Group("/v1/:project_id", s.authenticated, s.projectScoped, s.doc.validate)
	g.GET("/datacenters", s.listDatacenters)
	g.GET("/datacenters/:dc/quotas/compute", s.computeQuota)
	g.GET("/datacenters/:dc/quotas/volume", s.volumeQuota)
	g.GET("/events", s.streamEvents)
	s.serverRoutes(g)
	s.flavorRoutes(g)
	s.imageRoutes(g)
	s.networkRoutes(g)
	s.floatingIPRoutes(g)
	s.publicIPRoutes(g)
	s.loadBalancerRoutes(g)
	s.securityGroupRoutes(g)
	s.volumeRoutes(g)
	s.snapshotRoutes(g)
	s.backupRoutes(g)
	s.routerRoutes(g)
}

// projectScoped lets a token scoped to project P touch only /v1/P/…
func (s *Server) projectScoped(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		who := callerOf(c)
		if who.Project == nil || who.Project.ID != c.Param("project_id") {
			return core.Errorf(core.PermissionDenied, "this token is not scoped to project %s", c.Param("project_id"))
		}
		return next(c)
	}
}

type datacenterView struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Kind         string   `json:"kind,omitempty"`
	Driver       string   `json:"driver"`
	Version      string   `json:"version,omitempty"`
	Health       string   `json:"health"`
	HealthDetail string   `json:"health_detail,omitempty"`
	Capabilities []string `json:"capabilities"`
	Hosts        []string `json:"hosts,omitempty"`
}

// describe asks one datacenter's driver what it is and whether it is up.
func describe(ctx context.Context, dc Datacenter, admin bool) datacenterView {
	ctx, cancel := context.WithTimeout(ctx, backendTimeout)
	defer cancel()
	v := datacenterView{ID: dc.ID, Name: dc.Name, Driver: dc.Driver, Health: "ok", Capabilities: []string{}}
	if err := dc.Cloud.Health(ctx); err != nil {
		v.Health, v.HealthDetail = "unavailable", core.MessageOf(err)
		return v
	}
	if info, err := dc.Cloud.Info(ctx); err == nil {
		v.Version = info.Version
		for _, c := range info.Capabilities {
			v.Capabilities = append(v.Capabilities, string(c))
		}
	}
	dcs, err := dc.Cloud.ListDatacenters(ctx)
	if err != nil {
		v.Health, v.HealthDetail = "unavailable", core.MessageOf(err)
		return v
	}
	for _, d := range dcs {
		if d.ID == dc.ID || len(dcs) == 1 {
			v.Kind = string(d.Kind)
			if !d.Available {
				v.Health = "unavailable"
			}
			if admin {
				v.Hosts = d.Hosts
			}
		}
	}
	return v
}

// listDatacenters answers B.1.2 with each datacenter's kind, driver,
// version, health and clauses; hosts only for cloud admins. The
// datacenters are asked concurrently; one that is down is listed as such.
func (s *Server) listDatacenters(c echo.Context) error {
	admin := isCloudAdmin(callerOf(c))
	out := make([]datacenterView, len(s.dcs))
	var wg sync.WaitGroup
	for i, dc := range s.dcs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = describe(c.Request().Context(), dc, admin)
		}()
	}
	wg.Wait()
	return c.JSON(http.StatusOK, map[string]any{"datacenters": out})
}

func (s *Server) datacenter(id string) (Datacenter, error) {
	for _, dc := range s.dcs {
		if dc.ID == id {
			return dc, nil
		}
	}
	return Datacenter{}, core.Errorf(core.NotFound, "datacenter %s not found", id)
}

func (s *Server) computeQuota(c echo.Context) error {
	dc, err := s.datacenter(c.Param("dc"))
	if err != nil {
		return err
	}
	var q core.ComputeQuota
	b := s.backends[dc.ID]
	err = b.call(c.Request().Context(), core.ClauseComputeQuota, func(ctx context.Context) (err error) {
		q, err = dc.Cloud.GetComputeQuota(ctx, dc.ID, c.Param("project_id"))
		return err
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"quota": q})
}

func (s *Server) volumeQuota(c echo.Context) error {
	dc, err := s.datacenter(c.Param("dc"))
	if err != nil {
		return err
	}
	var q core.VolumeQuota
	b := s.backends[dc.ID]
	err = b.call(c.Request().Context(), core.ClauseVolumeQuota, func(ctx context.Context) (err error) {
		q, err = dc.Cloud.GetVolumeQuota(ctx, dc.ID, c.Param("project_id"))
		return err
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"quota": q})
}
