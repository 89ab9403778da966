package adapter

import (
	"context"
	"encoding/base64"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gisiaas/gisiaas/core"
)

func (s *Server) serverRoutes(g *echo.Group) {
	g.POST("/servers", s.createServer)
	g.GET("/servers", s.listServers)
	g.GET("/servers/:id", s.getServer)
	g.PUT("/servers/:id", s.updateServer)
	g.DELETE("/servers/:id", s.deleteServer)
	g.POST("/servers/:id/start", s.serverAction(core.ClauseServerStart, func(ctx context.Context, d core.Driver, id string, _ echo.Context) error {
		return d.StartServer(ctx, id)
	}))
	g.POST("/servers/:id/stop", s.serverAction(core.ClauseServerStop, func(ctx context.Context, d core.Driver, id string, _ echo.Context) error {
		return d.StopServer(ctx, id)
	}))
	g.POST("/servers/:id/reboot", s.rebootServer)
	g.POST("/servers/:id/live-migrate", s.liveMigrateServer)
	g.POST("/servers/:id/resize", s.resizeServer)
	g.POST("/servers/:id/confirm-resize", s.serverAction(core.ClauseServerResize, func(ctx context.Context, d core.Driver, id string, _ echo.Context) error {
		return d.ConfirmResize(ctx, id)
	}))
	g.POST("/servers/:id/revert-resize", s.serverAction(core.ClauseServerResize, func(ctx context.Context, d core.Driver, id string, _ echo.Context) error {
		return d.RevertResize(ctx, id)
	}))
}

// serverAddressView is one address of a server.
type serverAddressView struct {
	Address   string `json:"address"`
	NetworkID string `json:"network_id,omitempty"`
	PortID    string `json:"port_id,omitempty"`
	MAC       string `json:"mac,omitempty"`
}

// serverView is a server as the API shows it (B.2.1.3).
type serverView struct {
	ID               string                         `json:"id"`
	Name             string                         `json:"name"`
	Description      string                         `json:"description"`
	FlavorID         string                         `json:"flavor_id"`
	ImageID          string                         `json:"image_id"`
	VolumeIDs        []string                       `json:"volume_ids"`
	Addresses        map[string][]serverAddressView `json:"addresses"`
	Status           core.ServerStatus              `json:"status"`
	NativeStatus     string                         `json:"native_status,omitempty"`
	SecurityGroups   []string                       `json:"security_groups"`
	Metadata         map[string]string              `json:"metadata"`
	PreviousFlavorID string                         `json:"previous_flavor_id,omitempty"`
	Host             string                         `json:"host"`
	DatacenterID     string                         `json:"datacenter_id"`
	ProjectID        string                         `json:"project_id"`
	CreatedAt        apiTime                        `json:"created_at"`
	UpdatedAt        apiTime                        `json:"updated_at"`
}

func viewServer(v core.Server) serverView {
	out := serverView{ID: v.ID, Name: v.Name, Description: v.Description, FlavorID: v.FlavorID, ImageID: v.ImageID,
		VolumeIDs: v.VolumeIDs, Status: v.Status, NativeStatus: v.NativeStatus, SecurityGroups: v.SecurityGroupIDs,
		Metadata: v.Metadata, PreviousFlavorID: v.PreviousFlavorID, Host: v.Host, DatacenterID: v.DatacenterID,
		ProjectID: v.ProjectID, CreatedAt: apiTime(v.CreatedAt), UpdatedAt: apiTime(v.UpdatedAt),
		Addresses: map[string][]serverAddressView{"private": {}, "floating": {}, "public": {}}}
	if out.VolumeIDs == nil {
		out.VolumeIDs = []string{}
	}
	if out.SecurityGroups == nil {
		out.SecurityGroups = []string{}
	}
	if out.Metadata == nil {
		out.Metadata = map[string]string{}
	}
	for _, a := range v.Addresses {
		out.Addresses[string(a.Kind)] = append(out.Addresses[string(a.Kind)],
			serverAddressView{Address: a.Address, NetworkID: a.NetworkID, PortID: a.PortID, MAC: a.MAC})
	}
	return out
}

// serverCreateRequest is the body of POST /servers.
type serverCreateRequest struct {
	Server struct {
		Name             string                   `json:"name"`
		Description      string                   `json:"description"`
		FlavorID         string                   `json:"flavor_id"`
		ImageID          string                   `json:"image_id"`
		Networks         []core.NetworkAttachment `json:"networks"`
		BlockDevices     []core.BlockDevice       `json:"block_devices"`
		Metadata         map[string]string        `json:"metadata"`
		UserData         string                   `json:"user_data"` // base64, as in Nova
		SecurityGroupIDs []string                 `json:"security_group_ids"`
		DatacenterID     string                   `json:"datacenter_id"`
	} `json:"server"`
}

func (s *Server) createServer(c echo.Context) error {
	var req serverCreateRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	r := req.Server
	b, err := s.createDatacenter(r.DatacenterID)
	if err != nil {
		return err
	}
	in := core.ServerCreate{Name: r.Name, Description: r.Description, FlavorID: r.FlavorID, ImageID: r.ImageID,
		Networks: r.Networks, BlockDevices: r.BlockDevices, Metadata: r.Metadata, SecurityGroupIDs: r.SecurityGroupIDs}
	if r.UserData != "" {
		if in.UserData, err = base64.StdEncoding.DecodeString(r.UserData); err != nil {
			return core.Errorf(core.InvalidArgument, "user_data: must be base64")
		}
	}
	if err := in.Validate(); err != nil {
		return err
	}
	project := c.Param("project_id")
	refs := []ref{{core.TypeImage, "image_id", r.ImageID}}
	for _, n := range r.Networks {
		refs = append(refs, ref{core.TypePort, "networks.port_id", n.PortID})
	}
	for _, d := range r.BlockDevices {
		typ := map[core.BlockSource]core.ResourceType{core.SourceVolume: core.TypeVolume, core.SourceImage: core.TypeImage,
			core.SourceSnapshot: core.TypeVolumeSnapshot}[d.SourceType]
		refs = append(refs, ref{typ, "block_devices.uuid", d.UUID})
	}
	for _, id := range r.SecurityGroupIDs {
		refs = append(refs, ref{core.TypeSecurityGroup, "security_group_ids", id})
	}
	if err := s.checkRefs(project, b.ID, refs...); err != nil {
		return err
	}
	return s.create(c, core.TypeServer, core.ClauseServerCreate, b, req, func(ctx context.Context, meta core.CreateMeta) (created, error) {
		in.CreateMeta = meta
		v, err := b.Cloud.CreateServer(ctx, in)
		return created{ID: v.ID, State: string(v.Status), Body: viewServer(v)}, err
	})
}

func (s *Server) listServers(c echo.Context) error {
	return listProject(c, s, core.TypeServer, core.ClauseServerList, core.Driver.ListServers,
		func(v core.Server) listed { return listed{v.ProjectID, v.ID, string(v.Status), v.CreatedAt} }, viewServer)
}

func (s *Server) getServer(c echo.Context) error {
	return showOwned(c, s, core.TypeServer, core.ClauseServerShow, func(ctx context.Context, d core.Driver, id string) (core.Server, error) {
		return d.GetServer(ctx, id)
	}, func(v core.Server) string { return string(v.Status) }, viewServer)
}

type serverUpdateRequest struct {
	Server core.ServerUpdate `json:"server"`
}

func (s *Server) updateServer(c echo.Context) error {
	var req serverUpdateRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := req.Server.Validate(); err != nil {
		return err
	}
	res, b, err := s.owned(c, core.TypeServer, c.Param("id"))
	if err != nil {
		return err
	}
	var v core.Server
	err = b.call(c.Request().Context(), core.ClauseServerUpdate, func(ctx context.Context) (err error) {
		v, err = b.Cloud.UpdateServer(ctx, res.CloudID, req.Server)
		return err
	})
	if err != nil {
		return s.gone(c.Request().Context(), core.TypeServer, res.ID, err)
	}
	return one(c, http.StatusOK, core.TypeServer, viewServer(v))
}

func (s *Server) deleteServer(c echo.Context) error {
	return s.serverAction(core.ClauseServerDelete, func(ctx context.Context, d core.Driver, id string, _ echo.Context) error {
		return d.DeleteServer(ctx, id)
	})(c)
}

// serverAction runs an action on an owned server; the cloud's acceptance is
// answered 202 (204 for a delete), its outcome polled with GET.
func (s *Server) serverAction(clause core.Clause, fn func(ctx context.Context, d core.Driver, id string, c echo.Context) error) echo.HandlerFunc {
	return func(c echo.Context) error {
		res, b, err := s.owned(c, core.TypeServer, c.Param("id"))
		if err != nil {
			return err
		}
		err = b.call(c.Request().Context(), clause, func(ctx context.Context) error { return fn(ctx, b.Cloud, res.CloudID, c) })
		if err != nil {
			return s.gone(c.Request().Context(), core.TypeServer, res.ID, err)
		}
		if clause == core.ClauseServerDelete {
			return noContent(c)
		}
		return accepted(c)
	}
}

type rebootRequest struct {
	Type core.RebootType `json:"type"`
}

func (s *Server) rebootServer(c echo.Context) error {
	req := rebootRequest{Type: core.RebootSoft}
	if c.Request().ContentLength != 0 {
		if err := decodeJSON(c, &req); err != nil {
			return err
		}
	}
	if err := core.ValidateRebootType(req.Type); err != nil {
		return err
	}
	return s.serverAction(core.ClauseServerReboot, func(ctx context.Context, d core.Driver, id string, _ echo.Context) error {
		return d.RebootServer(ctx, id, req.Type)
	})(c)
}

type liveMigrateRequest struct {
	Host string `json:"host"`
}

func (s *Server) liveMigrateServer(c echo.Context) error {
	var req liveMigrateRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := core.ValidateName("host", req.Host, true); err != nil {
		return err
	}
	return s.serverAction(core.ClauseServerLiveMigrate, func(ctx context.Context, d core.Driver, id string, _ echo.Context) error {
		return d.LiveMigrateServer(ctx, id, req.Host)
	})(c)
}

type resizeRequest struct {
	FlavorID string `json:"flavor_id"`
}

func (s *Server) resizeServer(c echo.Context) error {
	var req resizeRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := core.ValidateID("flavor_id", req.FlavorID); err != nil {
		return err
	}
	return s.serverAction(core.ClauseServerResize, func(ctx context.Context, d core.Driver, id string, _ echo.Context) error {
		return d.ResizeServer(ctx, id, req.FlavorID)
	})(c)
}
