package sim

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

func init() {
	finish := func(from, to core.ServerStatus) func(d *Driver, id string) {
		return func(d *Driver, id string) {
			if s, ok := d.st.Servers[id]; ok && s.Status == from {
				d.setServerStatus(s, to)
			}
		}
	}
	transitions["server.build"] = finish(core.ServerBuild, core.ServerActive)
	transitions["server.start"] = finish(core.ServerShutoff, core.ServerActive)
	transitions["server.stop"] = finish(core.ServerActive, core.ServerShutoff)
	transitions["server.reboot"] = finish(core.ServerReboot, core.ServerActive)
	transitions["server.resize"] = finish(core.ServerResize, core.ServerVerifyResize)
	transitions["server.migrate"] = func(d *Driver, id string) {
		s, ok := d.st.Servers[id]
		if !ok || s.Status != core.ServerMigrating {
			return
		}
		if host := d.st.Notes["migrate/"+id]; host != "" {
			s.Host = host
		}
		delete(d.st.Notes, "migrate/"+id)
		d.setServerStatus(s, core.ServerActive)
	}
	purge := func(d *Driver, id string) {
		if s, ok := d.st.Servers[id]; ok {
			d.purgeServer(s)
		}
	}
	transitions["server.delete"] = purge
	transitions["server.reclaim"] = purge
}

// serverBusyKinds are the transitions during which a server takes no other action.
var serverBusyKinds = []string{"server.start", "server.stop", "server.delete"}

// setServerStatus moves s to status and emits the event. Called with d.mu held.
func (d *Driver) setServerStatus(s *core.Server, to core.ServerStatus) {
	from := s.Status
	s.Status = to
	s.UpdatedAt = d.now()
	d.emit(core.TypeServer, s.ID, s.Meta, string(from), string(to), d.serverAttrs(s))
}

// purgeServer deletes s for good: its links are released, the last event is
// emitted and it leaves the state. Called with d.mu held.
func (d *Driver) purgeServer(s *core.Server) {
	for _, k := range []string{"server.build", "server.start", "server.stop", "server.reboot",
		"server.resize", "server.migrate", "server.delete", "server.reclaim"} {
		d.cancel(k, s.ID)
	}
	delete(d.st.Notes, "migrate/"+s.ID)
	delete(d.st.Notes, "resize/"+s.ID)
	d.releaseServer(s)
	d.setServerStatus(s, core.ServerDeleted)
	delete(d.st.Servers, s.ID)
}

// server looks up id for operation op, checking its datacenter is up.
// Called with d.mu held.
func (d *Driver) server(op, id string) (*core.Server, error) {
	s, ok := d.st.Servers[id]
	if !ok {
		return nil, notFound(op, core.TypeServer, id)
	}
	if err := d.checkDC(op, s.DatacenterID); err != nil {
		return nil, err
	}
	for _, k := range serverBusyKinds {
		if _, busy := d.st.Pending[k+"/"+id]; busy && op != "GetServer" && op != "DeleteServer" {
			return nil, conflict(op, "server %s is busy (%s in progress)", id, strings.TrimPrefix(k, "server."))
		}
	}
	return s, nil
}

// visibleImage reports whether project may boot from im.
func visibleImage(im *core.Image, project string) bool {
	return project == "" || im.Visibility == core.VisibilityPublic || im.ProjectID == project
}

// CreateServer boots a server (B.2.1.1). Everything that can be refused is
// checked before anything is created, so a refused create leaves nothing.
func (d *Driver) CreateServer(ctx context.Context, req core.ServerCreate) (core.Server, error) {
	const op = "CreateServer"
	if err := d.begin(ctx, op); err != nil {
		return core.Server{}, err
	}
	if err := req.Validate(); err != nil {
		return core.Server{}, core.WithOp(op, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.resolveDC(op, &req.CreateMeta); err != nil {
		return core.Server{}, err
	}
	if id, ok := d.token(core.TypeServer, req.CreateMeta); ok {
		if s, ok := d.st.Servers[id]; ok {
			return cloneServer(s), nil
		}
	}
	dc, project := req.DatacenterID, req.ProjectID
	flavor, ok := d.st.Flavors[req.FlavorID]
	if !ok {
		return core.Server{}, invalidArg(op, "flavor_id: flavor %s not found", req.FlavorID)
	}
	if req.ImageID != "" {
		im, ok := d.st.Images[req.ImageID]
		if !ok || !visibleImage(im, project) {
			return core.Server{}, invalidArg(op, "image_id: image %s not found", req.ImageID)
		}
		if im.Status != core.ImageActive {
			return core.Server{}, conflict(op, "image %s is %s; only an active image boots", im.ID, im.Status)
		}
		if flavor.MemoryMB < im.MinRAMMB {
			return core.Server{}, invalidArg(op, "flavor_id: flavor %s has %d MB of memory; image %s needs %d", flavor.ID, flavor.MemoryMB, im.ID, im.MinRAMMB)
		}
		if flavor.DiskGB < im.MinDiskGB && len(req.BlockDevices) == 0 {
			return core.Server{}, invalidArg(op, "flavor_id: flavor %s has a %d GB disk; image %s needs %d", flavor.ID, flavor.DiskGB, im.ID, im.MinDiskGB)
		}
	}
	for i, gid := range req.SecurityGroupIDs {
		g, ok := d.st.SecurityGroups[gid]
		if !ok || g.DatacenterID != dc || (project != "" && g.ProjectID != "" && g.ProjectID != project) {
			return core.Server{}, invalidArg(op, "security_group_ids[%d]: security group %s not found", i, gid)
		}
	}
	if err := d.checkComputeQuota(op, dc, project, flavor.VCPUs, flavor.MemoryMB, 1); err != nil {
		return core.Server{}, err
	}
	// Networks: check every attachment before any port exists.
	nets := req.Networks
	if len(nets) == 0 {
		n := d.defaultNetwork(dc)
		if n == nil {
			return core.Server{}, invalidArg(op, "networks: datacenter %s has no private network; name one", dc)
		}
		nets = []core.NetworkAttachment{{NetworkID: n.ID}}
	}
	wanted := map[string]bool{}
	for i, a := range nets {
		field := fmt.Sprintf("networks[%d]", i)
		n, err := d.network(op, field+".network_id", dc, a.NetworkID)
		if err != nil {
			return core.Server{}, err
		}
		if n.External {
			return core.Server{}, invalidArg(op, "%s.network_id: network %s is external; use a floating or public IP", field, n.ID)
		}
		if a.PortID != "" {
			p, ok := d.st.Ports[a.PortID]
			if !ok || p.NetworkID != n.ID {
				return core.Server{}, invalidArg(op, "%s.port_id: port %s not found on network %s", field, a.PortID, n.ID)
			}
			if p.DeviceID != "" {
				return core.Server{}, conflict(op, "%s.port_id: port %s is in use by %s", field, p.ID, p.DeviceID)
			}
			continue
		}
		if a.FixedIP != "" {
			if wanted[a.FixedIP] {
				return core.Server{}, invalidArg(op, "%s.fixed_ip: %s is asked for twice", field, a.FixedIP)
			}
			wanted[a.FixedIP] = true
			if _, err := d.allocAddr(op, field+".fixed_ip", &n.Subnets[0], a.FixedIP); err != nil {
				return core.Server{}, err
			}
		}
	}
	// Block devices: existing volumes must be attachable now.
	for i, b := range req.BlockDevices {
		if b.SourceType != core.SourceVolume {
			if b.SizeGB == 0 {
				return core.Server{}, invalidArg(op, "block_devices[%d].size_gb: is required for a %s source", i, b.SourceType)
			}
			continue
		}
		v, ok := d.st.Volumes[b.UUID]
		if !ok || v.DatacenterID != dc || (project != "" && v.ProjectID != "" && v.ProjectID != project) {
			return core.Server{}, invalidArg(op, "block_devices[%d].uuid: volume %s not found", i, b.UUID)
		}
		if v.Status != core.VolumeAvailable && !(v.Status == core.VolumeInUse && v.Shareable) {
			return core.Server{}, conflict(op, "block_devices[%d]: volume %s is %s", i, v.ID, v.Status)
		}
	}
	// New volumes from images and snapshots come first: they are the only
	// step left that can still be refused (their quota and sources).
	newVols := map[int]*core.Volume{}
	for i, b := range req.BlockDevices {
		if b.SourceType == core.SourceVolume {
			continue
		}
		vreq := core.VolumeCreate{CreateMeta: core.CreateMeta{ProjectID: project, DatacenterID: dc, Tags: req.Tags},
			Name: fmt.Sprintf("%s-disk-%d", req.Name, i), SizeGB: b.SizeGB}
		if b.SourceType == core.SourceImage {
			vreq.ImageID = b.UUID
		} else {
			vreq.SnapshotID = b.UUID
		}
		v, err := d.createVolumeLocked(op, vreq, true)
		if err != nil {
			for _, made := range newVols {
				d.dropVolume(made)
			}
			return core.Server{}, core.WithOp(op, err)
		}
		newVols[i] = v
	}

	s := &core.Server{
		Meta: d.newMeta(req.CreateMeta), ID: d.newID(), Name: req.Name, Description: req.Description,
		FlavorID: flavor.ID, ImageID: req.ImageID, Status: core.ServerBuild, Host: d.pickHost(dc),
		VolumeIDs: []string{}, Addresses: []core.ServerAddress{},
		SecurityGroupIDs: append([]string{}, req.SecurityGroupIDs...), Metadata: cloneMap(req.Metadata),
	}
	d.st.Servers[s.ID] = s
	d.emit(core.TypeServer, s.ID, s.Meta, "", string(core.ServerBuild), d.serverAttrs(s))
	for i, a := range nets {
		if a.PortID != "" {
			d.st.Ports[a.PortID].DeviceID = s.ID
			continue
		}
		n := d.st.Networks[a.NetworkID]
		if _, err := d.createPort(op, fmt.Sprintf("networks[%d]", i), n, "", a.FixedIP, s.ID, ""); err != nil {
			d.purgeServer(s) // cannot happen after the checks above; never leave half a server
			return core.Server{}, err
		}
	}
	for i, b := range req.BlockDevices {
		v := newVols[i]
		if v == nil {
			v = d.st.Volumes[b.UUID]
		}
		mount := b.DeviceName
		if mount == "" && i == 0 && req.ImageID == "" {
			mount = "/dev/vda" // the boot volume
		}
		if err := d.attachVolume(op, v, s, "rw", mount); err != nil {
			d.purgeServer(s)
			return core.Server{}, err
		}
	}
	d.refreshAddresses(s)
	d.remember(core.TypeServer, req.CreateMeta, s.ID)
	out := cloneServer(s)
	d.schedule("server.build", s.ID)
	if err := d.commit(); err != nil {
		return core.Server{}, err
	}
	return out, nil
}

// dropVolume removes a volume made by a create that was then refused,
// with its last event. Called with d.mu held.
func (d *Driver) dropVolume(v *core.Volume) {
	d.cancel("volume.create", v.ID)
	from := v.Status
	v.Status = core.VolumeDeleted
	d.emit(core.TypeVolume, v.ID, v.Meta, string(from), string(v.Status), volumeAttrs(v))
	delete(d.st.Volumes, v.ID)
}

// GetServer shows a server (B.2.1.3).
func (d *Driver) GetServer(ctx context.Context, id string) (core.Server, error) {
	if err := d.begin(ctx, "GetServer"); err != nil {
		return core.Server{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	s, err := d.server("GetServer", id)
	if err != nil {
		return core.Server{}, err
	}
	return cloneServer(s), nil
}

// ListServers lists servers, oldest first (B.2.1.8).
func (d *Driver) ListServers(ctx context.Context, opts core.ListOptions) ([]core.Server, error) {
	if err := d.begin(ctx, "ListServers"); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if opts.DatacenterID != "" {
		if err := d.checkDC("ListServers", opts.DatacenterID); err != nil {
			return nil, err
		}
	}
	out := make([]core.Server, 0, len(d.st.Servers))
	for _, s := range d.st.Servers {
		if matches(opts, s.Meta) && !d.down[s.DatacenterID] {
			out = append(out, cloneServer(s))
		}
	}
	sortByCreated(out, func(x *core.Server) (time.Time, string) { return x.CreatedAt, x.ID })
	return out, nil
}

// UpdateServer renames or redescribes a server (B.2.1.4).
func (d *Driver) UpdateServer(ctx context.Context, id string, req core.ServerUpdate) (core.Server, error) {
	const op = "UpdateServer"
	if err := d.begin(ctx, op); err != nil {
		return core.Server{}, err
	}
	if err := req.Validate(); err != nil {
		return core.Server{}, core.WithOp(op, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	s, err := d.server(op, id)
	if err != nil {
		return core.Server{}, err
	}
	if s.Status == core.ServerSoftDeleted {
		return core.Server{}, conflict(op, "server %s is SOFT_DELETED", id)
	}
	if req.Name != nil {
		s.Name = *req.Name
	}
	if req.Description != nil {
		s.Description = *req.Description
	}
	s.UpdatedAt = d.now()
	if err := d.commit(); err != nil {
		return core.Server{}, err
	}
	return cloneServer(s), nil
}

// act runs an action on a server that must be in one of the allowed states.
func (d *Driver) act(ctx context.Context, op, id string, allowed []core.ServerStatus, do func(s *core.Server) error) error {
	if err := d.begin(ctx, op); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	s, err := d.server(op, id)
	if err != nil {
		return err
	}
	ok := false
	for _, a := range allowed {
		ok = ok || s.Status == a
	}
	if !ok {
		names := make([]string, len(allowed))
		for i, a := range allowed {
			names[i] = string(a)
		}
		return conflict(op, "server %s is %s; %s needs %s", id, s.Status, op, strings.Join(names, " or "))
	}
	if err := do(s); err != nil {
		return err
	}
	return d.commit()
}

// StartServer powers on a SHUTOFF server (B.2.1.5).
func (d *Driver) StartServer(ctx context.Context, id string) error {
	return d.act(ctx, "StartServer", id, []core.ServerStatus{core.ServerShutoff}, func(s *core.Server) error {
		d.schedule("server.start", s.ID)
		return nil
	})
}

// StopServer powers off an ACTIVE server (B.2.1.6). It stays ACTIVE until
// it is SHUTOFF, as Nova's vm_state does while powering off.
func (d *Driver) StopServer(ctx context.Context, id string) error {
	return d.act(ctx, "StopServer", id, []core.ServerStatus{core.ServerActive}, func(s *core.Server) error {
		d.schedule("server.stop", s.ID)
		return nil
	})
}

// RebootServer reboots a server (B.2.1.7): SOFT only a running one, HARD
// also a stopped or failed one, as Nova allows.
func (d *Driver) RebootServer(ctx context.Context, id string, kind core.RebootType) error {
	const op = "RebootServer"
	if err := core.ValidateRebootType(kind); err != nil {
		return core.WithOp(op, err)
	}
	allowed := []core.ServerStatus{core.ServerActive}
	if kind == core.RebootHard {
		allowed = append(allowed, core.ServerShutoff, core.ServerError)
	}
	return d.act(ctx, op, id, allowed, func(s *core.Server) error {
		d.setServerStatus(s, core.ServerReboot)
		d.schedule("server.reboot", s.ID)
		return nil
	})
}

// LiveMigrateServer moves an ACTIVE server to another host of its
// datacenter (B.2.1.9).
func (d *Driver) LiveMigrateServer(ctx context.Context, id, host string) error {
	const op = "LiveMigrateServer"
	if strings.TrimSpace(host) == "" {
		return invalidArg(op, "host: is required")
	}
	return d.act(ctx, op, id, []core.ServerStatus{core.ServerActive}, func(s *core.Server) error {
		if !d.hasHost(s.DatacenterID, host) {
			return invalidArg(op, "host: %q is not a host of datacenter %s", host, s.DatacenterID)
		}
		if host == s.Host {
			return conflict(op, "server %s is on host %s already", s.ID, host)
		}
		d.st.Notes["migrate/"+s.ID] = host
		d.setServerStatus(s, core.ServerMigrating)
		d.schedule("server.migrate", s.ID)
		return nil
	})
}

// ResizeServer moves a server to another flavor (B.2.1.10); it waits in
// VERIFY_RESIZE for ConfirmResize or RevertResize. Both flavors count
// against the quota until then.
func (d *Driver) ResizeServer(ctx context.Context, id, flavorID string) error {
	const op = "ResizeServer"
	if err := core.ValidateID("flavor_id", flavorID); err != nil {
		return core.WithOp(op, err)
	}
	return d.act(ctx, op, id, []core.ServerStatus{core.ServerActive, core.ServerShutoff}, func(s *core.Server) error {
		to, ok := d.st.Flavors[flavorID]
		if !ok {
			return invalidArg(op, "flavor_id: flavor %s not found", flavorID)
		}
		if to.ID == s.FlavorID {
			return invalidArg(op, "flavor_id: server %s has flavor %s already", s.ID, to.ID)
		}
		from := d.st.Flavors[s.FlavorID]
		if from != nil {
			if to.DiskGB < from.DiskGB {
				return invalidArg(op, "flavor_id: flavor %s has a %d GB disk, smaller than %d GB; a disk cannot shrink", to.ID, to.DiskGB, from.DiskGB)
			}
			if err := d.checkComputeQuota(op, s.DatacenterID, s.ProjectID, max(0, to.VCPUs-from.VCPUs), max(0, to.MemoryMB-from.MemoryMB), 0); err != nil {
				return err
			}
		}
		d.st.Notes["resize/"+s.ID] = string(s.Status)
		s.PreviousFlavorID = s.FlavorID
		s.FlavorID = to.ID
		d.setServerStatus(s, core.ServerResize)
		d.schedule("server.resize", s.ID)
		return nil
	})
}

// ConfirmResize keeps the new flavor (B.2.1.10).
func (d *Driver) ConfirmResize(ctx context.Context, id string) error {
	return d.act(ctx, "ConfirmResize", id, []core.ServerStatus{core.ServerVerifyResize}, func(s *core.Server) error {
		s.PreviousFlavorID = ""
		d.setServerStatus(s, d.afterResize(s.ID))
		return nil
	})
}

// RevertResize goes back to the old flavor (B.2.1.10).
func (d *Driver) RevertResize(ctx context.Context, id string) error {
	return d.act(ctx, "RevertResize", id, []core.ServerStatus{core.ServerVerifyResize}, func(s *core.Server) error {
		s.FlavorID, s.PreviousFlavorID = s.PreviousFlavorID, ""
		d.setServerStatus(s, d.afterResize(s.ID))
		return nil
	})
}

// afterResize is the state a server returns to once its resize is settled:
// SHUTOFF if it was stopped before, else ACTIVE. Called with d.mu held.
func (d *Driver) afterResize(id string) core.ServerStatus {
	was := d.st.Notes["resize/"+id]
	delete(d.st.Notes, "resize/"+id)
	if was == string(core.ServerShutoff) {
		return core.ServerShutoff
	}
	return core.ServerActive
}

// DeleteServer deletes a server (B.2.1.2). With soft delete configured it
// is SOFT_DELETED until reclaimed — still holding its quota and volumes, as
// billing rule BL.3 expects; deleting a SOFT_DELETED server purges it now.
func (d *Driver) DeleteServer(ctx context.Context, id string) error {
	const op = "DeleteServer"
	if err := d.begin(ctx, op); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	s, err := d.server(op, id)
	if err != nil {
		return err
	}
	if _, pending := d.st.Pending["server.delete/"+id]; pending {
		return nil // a delete is under way already
	}
	for _, k := range []string{"server.build", "server.start", "server.stop", "server.reboot", "server.resize", "server.migrate"} {
		d.cancel(k, id)
	}
	switch {
	case s.Status == core.ServerSoftDeleted:
		d.purgeServer(s)
	case d.cfg.SoftDeleteReclaim > 0:
		d.setServerStatus(s, core.ServerSoftDeleted)
		d.scheduleAfter("server.reclaim", id, time.Duration(d.cfg.SoftDeleteReclaim))
	default:
		d.schedule("server.delete", id)
	}
	return d.commit()
}
