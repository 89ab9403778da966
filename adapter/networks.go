package adapter

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gisiaas/gisiaas/core"
)

// Networks are read-only here (B.3.1.1: the standard has no create, nor
// has core.Networks), and not in the registry, which has no network type:
// every request asks the datacenters.
func (s *Server) networkRoutes(g *echo.Group) {
	g.GET("/networks", s.listNetworks)
	g.GET("/networks/:id", s.getNetwork)
}

// subnetView is a subnet as the API shows it, inside its network.
type subnetView struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	NetworkID string `json:"network_id"`
	CIDR      string `json:"cidr"`
	GatewayIP string `json:"gateway_ip"`
	IPVersion int    `json:"ip_version"`
}

// networkView is a network as the API shows it (B.3.1.1).
type networkView struct {
	ID           string         `json:"id"`
	Name         string         `json:"name"`
	Status       core.NetStatus `json:"status"`
	External     bool           `json:"external"`
	Shared       bool           `json:"shared"`
	Subnets      []subnetView   `json:"subnets"`
	DatacenterID string         `json:"datacenter_id"`
	ProjectID    string         `json:"project_id"`
	CreatedAt    apiTime        `json:"created_at"`
	UpdatedAt    apiTime        `json:"updated_at"`
}

func viewNetwork(l located[core.Network]) networkView {
	n := l.v
	out := networkView{ID: n.ID, Name: n.Name, Status: n.Status, External: n.External, Shared: n.Shared,
		Subnets: make([]subnetView, len(n.Subnets)), DatacenterID: n.DatacenterID, ProjectID: n.ProjectID,
		CreatedAt: apiTime(n.CreatedAt), UpdatedAt: apiTime(n.UpdatedAt)}
	if out.DatacenterID == "" {
		out.DatacenterID = l.b.ID
	}
	for i, sn := range n.Subnets {
		out.Subnets[i] = subnetView{ID: sn.ID, Name: sn.Name, NetworkID: sn.NetworkID, CIDR: sn.CIDR,
			GatewayIP: sn.GatewayIP, IPVersion: sn.IPVersion}
	}
	return out
}

// listNetworks lists the project's networks and the shared and external
// ones of every datacenter of the request, with their subnets.
func (s *Server) listNetworks(c echo.Context) error {
	project := c.Param("project_id")
	items, err := fanOut(c, s, core.ClauseNetworkList, func(ctx context.Context, b *backend) ([]located[core.Network], error) {
		ns, err := b.Cloud.ListNetworks(ctx, core.ListOptions{ProjectID: project, DatacenterID: b.ID})
		out := make([]located[core.Network], len(ns))
		for i, n := range ns {
			out[i] = located[core.Network]{n, b}
		}
		return out, err
	})
	if err != nil {
		return err
	}
	items, err = paginate(c, items, func(l located[core.Network]) (time.Time, string) { return l.v.CreatedAt, l.v.ID })
	if err != nil {
		return err
	}
	out := make([]networkView, len(items))
	for i, l := range items {
		out[i] = viewNetwork(l)
	}
	return c.JSON(http.StatusOK, map[string]any{"networks": out})
}

// getNetwork shows one network: the project's own, or a shared or
// external one; another project's private network is NotFound. Showing a
// network is part of listing them: the standard has no clause of its own.
func (s *Server) getNetwork(c echo.Context) error {
	id, project := c.Param("id"), c.Param("project_id")
	if err := core.ValidateID("id", id); err != nil {
		return err
	}
	found, err := findFirst(c, s, core.ClauseNetworkList, func(ctx context.Context, b *backend) (core.Network, error) {
		return b.Cloud.GetNetwork(ctx, id)
	})
	if err != nil {
		return err
	}
	if len(found) == 0 {
		return core.Errorf(core.NotFound, "network %s not found", id)
	}
	n := found[0].v
	if n.ProjectID != "" && n.ProjectID != project && !n.Shared && !n.External {
		return core.Errorf(core.NotFound, "network %s not found", id)
	}
	return c.JSON(http.StatusOK, map[string]any{"network": viewNetwork(found[0])})
}
