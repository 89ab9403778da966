package libvirt

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	lv "libvirt.org/go/libvirt"

	"github.com/gisiaas/gisiaas/core"
)

// serverStates maps libvirt's domain states to core's. A domain shutting
// down is still ACTIVE until it is off, as Nova's vm_state is.
var serverStates = map[string]core.ServerStatus{
	"running": core.ServerActive, "blocked": core.ServerActive, "shutdown": core.ServerActive,
	"shutoff": core.ServerShutoff, "crashed": core.ServerError,
}

var stateNames = map[lv.DomainState]string{
	lv.DOMAIN_NOSTATE: "nostate", lv.DOMAIN_RUNNING: "running", lv.DOMAIN_BLOCKED: "blocked", lv.DOMAIN_PAUSED: "paused",
	lv.DOMAIN_SHUTDOWN: "shutdown", lv.DOMAIN_SHUTOFF: "shutoff", lv.DOMAIN_CRASHED: "crashed", lv.DOMAIN_PMSUSPENDED: "pmsuspended",
}

// domainIDs lists the ids (UUIDs) of the driver's domains on h.
func (d *Driver) domainIDs(h *host) ([]string, error) {
	c, err := h.connection("ListServers")
	if err != nil {
		return nil, err
	}
	doms, err := c.ListAllDomains(0)
	if err != nil {
		return nil, lverr("ListServers", err)
	}
	var ids []string
	for i := range doms {
		name, err := doms[i].GetName()
		if err == nil && strings.HasPrefix(name, domainPrefix) {
			if id, err := doms[i].GetUUIDString(); err == nil {
				ids = append(ids, id)
			}
		}
		_ = doms[i].Free()
	}
	return ids, nil
}

// domain looks up the driver's domain id on h; the caller frees it.
func (d *Driver) domain(h *host, op, id string) (*lv.Domain, error) {
	c, err := h.connection(op)
	if err != nil {
		return nil, err
	}
	dom, err := c.LookupDomainByUUIDString(id)
	if err != nil {
		if isCode(err, lv.ERR_NO_DOMAIN) || isCode(err, lv.ERR_INVALID_ARG) {
			return nil, notFound(op, core.TypeServer, id)
		}
		return nil, lverr(op, err)
	}
	if name, err := dom.GetName(); err != nil || !strings.HasPrefix(name, domainPrefix) {
		_ = dom.Free()
		return nil, notFound(op, core.TypeServer, id)
	}
	return dom, nil
}

// serverOn reads server id on host h.
func (d *Driver) serverOn(h *host, op, id string) (core.Server, serverMeta, error) {
	dom, err := d.domain(h, op, id)
	if err != nil {
		return core.Server{}, serverMeta{}, err
	}
	defer dom.Free()
	s, m, _, err := d.readServer(h, op, id, dom)
	return s, m, err
}

// findServer finds server id on any host.
func (d *Driver) findServer(op, id string) (*host, *lv.Domain, error) {
	for _, h := range d.order {
		dom, err := d.domain(h, op, id)
		if err == nil {
			return h, dom, nil
		}
		if core.KindOf(err) != core.NotFound {
			return nil, nil, err
		}
	}
	return nil, nil, notFound(op, core.TypeServer, id)
}

// readServer builds the core.Server of dom from its state, its definition
// and its metadata. It takes d.mu briefly; never call it with d.mu held.
func (d *Driver) readServer(h *host, op, id string, dom *lv.Domain) (core.Server, serverMeta, domainXML, error) {
	st, _, err := dom.GetState()
	if err != nil {
		if isCode(err, lv.ERR_NO_DOMAIN) {
			return core.Server{}, serverMeta{}, domainXML{}, notFound(op, core.TypeServer, id)
		}
		return core.Server{}, serverMeta{}, domainXML{}, lverr(op, err)
	}
	raw, err := dom.GetMetadata(lv.DOMAIN_METADATA_ELEMENT, metaURI, lv.DOMAIN_AFFECT_CURRENT)
	if err != nil {
		if isCode(err, lv.ERR_NO_DOMAIN) || isCode(err, lv.ERR_NO_DOMAIN_METADATA) {
			return core.Server{}, serverMeta{}, domainXML{}, notFound(op, core.TypeServer, id)
		}
		return core.Server{}, serverMeta{}, domainXML{}, lverr(op, err)
	}
	m, err := parseMeta(raw)
	if err != nil {
		return core.Server{}, serverMeta{}, domainXML{}, core.Wrap(core.Internal, op, fmt.Errorf("server %s: its metadata: %w", id, err))
	}
	desc, err := dom.GetXMLDesc(0)
	if err != nil {
		return core.Server{}, serverMeta{}, domainXML{}, lverr(op, err)
	}
	x, err := parseDomain(desc)
	if err != nil {
		return core.Server{}, serverMeta{}, domainXML{}, core.Wrap(core.Internal, op, err)
	}
	disks := x.Disks
	if inactive, err := dom.GetXMLDesc(lv.DOMAIN_XML_INACTIVE); err == nil {
		if ix, err := parseDomain(inactive); err == nil {
			disks = append(disks, ix.Disks...) // attached to the definition only, or being unplugged
		}
	}
	native := stateNames[st]
	d.mu.Lock()
	status, busy := d.transient[id]
	if !busy {
		status = core.MapState(serverStates, native)
		if m.PreviousFlavorID != "" {
			status = core.ServerVerifyResize
		}
	}
	s := core.Server{
		Meta: core.Meta{ProjectID: m.ProjectID, DatacenterID: m.DatacenterID, Tags: cloneMap(m.Tags), CreatedAt: m.CreatedAt.UTC(), UpdatedAt: m.UpdatedAt.UTC()},
		ID:   id, Name: m.Name, Description: m.Description, FlavorID: m.FlavorID, ImageID: m.ImageID,
		Status: status, NativeStatus: native, Host: h.name, VolumeIDs: []string{}, Addresses: []core.ServerAddress{},
		SecurityGroupIDs: append([]string{}, m.SecurityGroupIDs...), Metadata: cloneMap(m.Metadata), PreviousFlavorID: m.PreviousFlavorID,
	}
	seenPath := map[string]bool{}
	for _, disk := range disks {
		if v := d.volumeByPath(disk.Source.File); v != nil && !seenPath[v.Path] {
			seenPath[v.Path] = true
			s.VolumeIDs = append(s.VolumeIDs, v.ID)
		}
	}
	d.mu.Unlock()
	for _, a := range m.Addresses {
		s.Addresses = append(s.Addresses, core.ServerAddress{Kind: core.AddressPrivate, Address: a.IP, NetworkID: a.NetworkID, PortID: a.PortID, MAC: a.MAC})
	}
	return s, m, x, nil
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// setMeta writes a server's record into its domain, live and persistent.
func setMeta(dom *lv.Domain, m serverMeta) error {
	m.UpdatedAt = now()
	x, err := m.metaXML()
	if err != nil {
		return err
	}
	flags := lv.DOMAIN_AFFECT_CONFIG
	if active, _ := dom.IsActive(); active {
		flags |= lv.DOMAIN_AFFECT_LIVE
	}
	if err := dom.SetMetadata(lv.DOMAIN_METADATA_ELEMENT, x, metaPrefix, metaURI, flags); err != nil {
		return err
	}
	// The title and description are what virsh shows; best effort.
	_ = dom.SetMetadata(lv.DOMAIN_METADATA_TITLE, m.Name, "", "", flags)
	_ = dom.SetMetadata(lv.DOMAIN_METADATA_DESCRIPTION, m.Description, "", "", flags)
	return nil
}

// visibleImage reports whether project may boot from im.
func visibleImage(im *imageRecord, project string) bool {
	return project == "" || im.Visibility == core.VisibilityPublic || im.ProjectID == project
}

// CreateServer defines a domain on a host of the datacenter, with a
// copy-on-write disk over the image's volume, and starts it (B.2.1.1).
// Everything that can be refused is checked before anything is created.
func (d *Driver) CreateServer(ctx context.Context, req core.ServerCreate) (core.Server, error) {
	const op = "CreateServer"
	if err := req.Validate(); err != nil {
		return core.Server{}, core.WithOp(op, err)
	}
	if err := d.resolveDC(op, &req.CreateMeta); err != nil {
		return core.Server{}, err
	}
	d.createMu.Lock()
	defer d.createMu.Unlock()
	dc, project := req.DatacenterID, req.ProjectID
	all, err := d.listServers(op, core.ListOptions{DatacenterID: dc})
	if err != nil {
		return core.Server{}, err
	}
	if req.ClientToken != "" {
		for _, s := range all {
			if s.token == req.ClientToken && s.ProjectID == project {
				return s.Server, nil
			}
		}
	}
	if len(req.BlockDevices) > 0 {
		return core.Server{}, invalidArg(op, "block_devices: the libvirt driver boots from an image only")
	}
	if err := d.serverGroups(op, dc, project, req.SecurityGroupIDs); err != nil {
		return core.Server{}, err
	}
	for i, a := range req.Networks {
		if a.PortID != "" {
			return core.Server{}, invalidArg(op, "networks[%d].port_id: port %s not found (libvirt has no ports to create ahead)", i, a.PortID)
		}
	}
	d.mu.Lock()
	flavor, ok := d.st.Flavors[req.FlavorID]
	var im imageRecord
	imOK := false
	if r, found := d.st.Images[req.ImageID]; found && visibleImage(r, project) {
		im, imOK = *r, true
	}
	d.mu.Unlock()
	if !ok {
		return core.Server{}, invalidArg(op, "flavor_id: flavor %s not found", req.FlavorID)
	}
	if !imOK {
		return core.Server{}, invalidArg(op, "image_id: image %s not found", req.ImageID)
	}
	if im.Status != core.ImageActive {
		return core.Server{}, conflict(op, "image %s is %s; only an active image boots", im.ID, im.Status)
	}
	if flavor.MemoryMB < im.MinRAMMB {
		return core.Server{}, invalidArg(op, "flavor_id: flavor %s has %d MB of memory; image %s needs %d", flavor.ID, flavor.MemoryMB, im.ID, im.MinRAMMB)
	}
	if flavor.DiskGB < im.MinDiskGB {
		return core.Server{}, invalidArg(op, "flavor_id: flavor %s has a %d GB disk; image %s needs %d", flavor.ID, flavor.DiskGB, im.ID, im.MinDiskGB)
	}
	if err := d.checkComputeQuota(op, dc, project, all, flavor.VCPUs, flavor.MemoryMB, 1); err != nil {
		return core.Server{}, err
	}
	h, err := d.pickHost(op, dc, im, all)
	if err != nil {
		return core.Server{}, err
	}
	imgPath, imgFormat, imgBytes, err := d.imageVolume(h, op, im)
	if err != nil {
		return core.Server{}, err
	}
	id := newID()
	ports, names, err := d.allocatePorts(h, op, id, req.Networks, all)
	if err != nil {
		return core.Server{}, err
	}
	t := now()
	meta := serverMeta{Name: req.Name, Description: req.Description, FlavorID: flavor.ID, ImageID: im.ID, ProjectID: project,
		DatacenterID: dc, ClientToken: req.ClientToken, Tags: cloneMap(req.Tags), Metadata: cloneMap(req.Metadata),
		SecurityGroupIDs: append([]string(nil), req.SecurityGroupIDs...),
		Addresses:        ports, RootVolume: "gisiaas-disk-" + id, CreatedAt: t, UpdatedAt: t}
	rootPath, err := d.createRootDisk(h, op, meta.RootVolume, imgPath, imgFormat, max(flavor.DiskGB<<30, imgBytes))
	if err != nil {
		return core.Server{}, err
	}
	spec := domainSpec{id: id, typ: d.domainType(h), machine: d.machine(), meta: meta, vcpus: flavor.VCPUs, maxVCPUs: d.cfg.MaxVCPUs,
		memMB: flavor.MemoryMB, maxMemMB: d.cfg.MaxMemoryMB, rootPath: rootPath, rootFormat: "qcow2", networks: ports, netNames: names,
		boot: d.cfg.Boot}
	if d.cfg.ConsoleDir != "" {
		spec.console = filepath.Join(d.cfg.ConsoleDir, id+".log")
	}
	if len(req.SecurityGroupIDs) > 0 {
		if err := d.defineServerFilter(op, dc, id, req.SecurityGroupIDs); err != nil {
			d.deleteVolumeByName(h, meta.RootVolume)
			return core.Server{}, err
		}
		spec.filter = srvFilter(id)
	}
	undo := func() {
		d.deleteVolumeByName(h, meta.RootVolume)
		if spec.filter != "" {
			d.dropServerFilter(op, dc, id)
		}
	}
	if h.isTest() {
		spec.rootFormat = "raw"
	}
	xml, err := spec.xml()
	if err != nil {
		undo()
		return core.Server{}, core.Wrap(core.Internal, op, err)
	}
	c, err := h.connection(op)
	if err != nil {
		undo()
		return core.Server{}, err
	}
	d.mu.Lock()
	d.transient[id] = core.ServerBuild
	d.mu.Unlock()
	dom, err := c.DomainDefineXML(xml)
	if err != nil {
		d.mu.Lock()
		delete(d.transient, id)
		d.mu.Unlock()
		undo()
		return core.Server{}, lverr(op, err)
	}
	defer dom.Free()
	d.addDHCPHosts(h, ports, names)
	d.observe(h, id) // "" → BUILD
	if err := dom.Create(); err != nil {
		// Never leave half a server: the domain and its disk go.
		_ = dom.Undefine()
		undo()
		d.removeDHCPHosts(h, ports, names)
		d.mu.Lock()
		delete(d.transient, id)
		d.mu.Unlock()
		d.observe(h, id) // BUILD → DELETED
		return core.Server{}, lverr(op, fmt.Errorf("starting the new server: %w", err))
	}
	d.mu.Lock()
	delete(d.transient, id)
	d.mu.Unlock()
	d.observe(h, id) // BUILD → ACTIVE
	d.refreshRemoteGroups(op, dc, req.SecurityGroupIDs)
	s, _, _, err := d.readServer(h, op, id, dom)
	return s, err
}

// domainType is the <domain type> on h.
func (d *Driver) domainType(h *host) string {
	if h.isTest() {
		return "test"
	}
	if d.cfg.DomainType != "" {
		return d.cfg.DomainType
	}
	return "kvm"
}

func (d *Driver) machine() string {
	if d.cfg.Machine != "" {
		return d.cfg.Machine
	}
	return "pc"
}

// pickHost chooses the host of a new server: one whose pool holds the
// image, the one with the fewest of the driver's servers.
func (d *Driver) pickHost(op, dc string, im imageRecord, all []listed) (*host, error) {
	hosts, err := d.dcHosts(op, dc)
	if err != nil {
		return nil, err
	}
	count := map[string]int{}
	for _, s := range all {
		count[s.Host]++
	}
	var best *host
	for _, h := range hosts {
		if im.Host != "" && im.Host != h.name {
			continue
		}
		if best == nil || count[h.name] < count[best.name] {
			best = h
		}
	}
	if best == nil {
		return nil, conflict(op, "image %s is on host %s, outside datacenter %s", im.ID, im.Host, dc)
	}
	return best, nil
}

// listed is a server with what a create looks for.
type listed struct {
	core.Server
	token string
	ports []portMeta
}

// listServers reads every driver server of the hosts opts selects.
func (d *Driver) listServers(op string, opts core.ListOptions) ([]listed, error) {
	var out []listed
	for _, h := range d.order {
		if opts.DatacenterID != "" && h.dc != opts.DatacenterID {
			continue
		}
		ids, err := d.domainIDs(h)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			dom, err := d.domain(h, op, id)
			if err != nil {
				continue // gone meanwhile
			}
			s, m, _, err := d.readServer(h, op, id, dom)
			_ = dom.Free()
			if err != nil {
				continue
			}
			if opts.ProjectID != "" && s.ProjectID != opts.ProjectID {
				continue
			}
			out = append(out, listed{Server: s, token: m.ClientToken, ports: m.Addresses})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// GetServer shows a server (B.2.1.3).
func (d *Driver) GetServer(ctx context.Context, id string) (core.Server, error) {
	const op = "GetServer"
	h, dom, err := d.findServer(op, id)
	if err != nil {
		return core.Server{}, err
	}
	defer dom.Free()
	s, _, _, err := d.readServer(h, op, id, dom)
	return s, err
}

// ListServers lists servers, oldest first (B.2.1.8).
func (d *Driver) ListServers(ctx context.Context, opts core.ListOptions) ([]core.Server, error) {
	if opts.DatacenterID != "" {
		if _, err := d.dcHosts("ListServers", opts.DatacenterID); err != nil {
			return nil, err
		}
	}
	ls, err := d.listServers("ListServers", opts)
	if err != nil {
		return nil, err
	}
	out := make([]core.Server, 0, len(ls))
	for _, s := range ls {
		out = append(out, s.Server)
	}
	return out, nil
}

// UpdateServer renames or redescribes a server in its domain metadata (B.2.1.4).
func (d *Driver) UpdateServer(ctx context.Context, id string, req core.ServerUpdate) (core.Server, error) {
	const op = "UpdateServer"
	h, dom, err := d.findServer(op, id)
	if err != nil {
		return core.Server{}, err
	}
	defer dom.Free()
	if err := req.Validate(); err != nil {
		return core.Server{}, core.WithOp(op, err)
	}
	_, m, _, err := d.readServer(h, op, id, dom)
	if err != nil {
		return core.Server{}, err
	}
	if req.Name != nil {
		m.Name = *req.Name
	}
	if req.Description != nil {
		m.Description = *req.Description
	}
	if err := setMeta(dom, m); err != nil {
		return core.Server{}, lverr(op, err)
	}
	d.observe(h, id)
	s, _, _, err := d.readServer(h, op, id, dom)
	return s, err
}

// act runs an action on a server that must be in one of the allowed states.
func (d *Driver) act(op, id string, allowed []core.ServerStatus, do func(h *host, dom *lv.Domain, s core.Server, m serverMeta, x domainXML) error) error {
	h, dom, err := d.findServer(op, id)
	if err != nil {
		return err
	}
	defer dom.Free()
	s, m, x, err := d.readServer(h, op, id, dom)
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
	return do(h, dom, s, m, x)
}

// withTransient shows state while fn runs, with its events before and after.
func (d *Driver) withTransient(h *host, id string, state core.ServerStatus, fn func() error) error {
	d.mu.Lock()
	d.transient[id] = state
	d.mu.Unlock()
	d.observe(h, id)
	err := fn()
	d.mu.Lock()
	delete(d.transient, id)
	d.mu.Unlock()
	d.observe(h, id)
	return err
}

// StartServer powers on a SHUTOFF server (B.2.1.5).
func (d *Driver) StartServer(ctx context.Context, id string) error {
	const op = "StartServer"
	return d.act(op, id, []core.ServerStatus{core.ServerShutoff}, func(h *host, dom *lv.Domain, _ core.Server, _ serverMeta, _ domainXML) error {
		if err := dom.Create(); err != nil {
			return lverr(op, err)
		}
		d.observe(h, id)
		return nil
	})
}

// StopServer asks the guest to shut down (ACPI) and powers it off if it
// has not within the stop timeout (B.2.1.6). It returns at once; the
// server is ACTIVE until it is off.
func (d *Driver) StopServer(ctx context.Context, id string) error {
	const op = "StopServer"
	return d.act(op, id, []core.ServerStatus{core.ServerActive}, func(h *host, dom *lv.Domain, _ core.Server, _ serverMeta, _ domainXML) error {
		if err := dom.Shutdown(); err != nil {
			if err := dom.Destroy(); err != nil {
				return lverr(op, err)
			}
			d.observe(h, id)
			return nil
		}
		d.wg.Add(1)
		go d.forceOff(h, id, time.Now().Add(time.Duration(d.cfg.StopTimeout)))
		return nil
	})
}

// forceOff powers server id off once the graceful stop's deadline passes,
// woken by the domain's events (its stop ends the wait).
func (d *Driver) forceOff(h *host, id string, deadline time.Time) {
	defer d.wg.Done()
	for {
		dom, err := d.domain(h, "StopServer", id)
		if err != nil {
			return
		}
		st, _, err := dom.GetState()
		if err != nil || st == lv.DOMAIN_SHUTOFF {
			_ = dom.Free()
			return
		}
		if time.Now().After(deadline) {
			_ = dom.Destroy()
			_ = dom.Free()
			d.observe(h, id)
			return
		}
		_ = dom.Free()
		// The domain's stop is an event; the deadline is the only other wake-up.
		if !d.awaitEvent(id, min(time.Until(deadline)+time.Millisecond, 5*time.Second)) {
			return
		}
	}
}

// RebootServer reboots a server (B.2.1.7): SOFT asks the guest, HARD
// resets it (and powers on a stopped or failed one).
func (d *Driver) RebootServer(ctx context.Context, id string, kind core.RebootType) error {
	const op = "RebootServer"
	if _, dom, err := d.findServer(op, id); err != nil {
		return err
	} else {
		_ = dom.Free()
	}
	if err := core.ValidateRebootType(kind); err != nil {
		return core.WithOp(op, err)
	}
	allowed := []core.ServerStatus{core.ServerActive}
	if kind == core.RebootHard {
		allowed = append(allowed, core.ServerShutoff, core.ServerError)
	}
	return d.act(op, id, allowed, func(h *host, dom *lv.Domain, s core.Server, _ serverMeta, _ domainXML) error {
		return d.withTransient(h, id, core.ServerReboot, func() error {
			switch {
			case s.Status != core.ServerActive:
				if st, _, _ := dom.GetState(); st != lv.DOMAIN_SHUTOFF {
					_ = dom.Destroy()
				}
				return lverr(op, dom.Create())
			case kind == core.RebootSoft:
				return lverr(op, dom.Reboot(0))
			default:
				if err := dom.Reset(0); err != nil {
					if !isCode(err, lv.ERR_NO_SUPPORT) {
						return lverr(op, err)
					}
					// No reset on this hypervisor: a power cycle is a hard reboot.
					if err := dom.Destroy(); err != nil {
						return lverr(op, err)
					}
					return lverr(op, dom.Create())
				}
				return nil
			}
		})
	})
}

// DeleteServer powers a server off, undefines its domain and deletes its
// disk; attached volumes are detached and kept (B.2.1.2).
func (d *Driver) DeleteServer(ctx context.Context, id string) error {
	const op = "DeleteServer"
	h, dom, err := d.findServer(op, id)
	if err != nil {
		return err
	}
	defer dom.Free()
	s, m, _, err := d.readServer(h, op, id, dom)
	if err != nil {
		return err
	}
	if active, _ := dom.IsActive(); active {
		if err := dom.Destroy(); err != nil && !isCode(err, lv.ERR_OPERATION_INVALID) {
			return lverr(op, err)
		}
	}
	if err := dom.UndefineFlags(lv.DOMAIN_UNDEFINE_MANAGED_SAVE | lv.DOMAIN_UNDEFINE_SNAPSHOTS_METADATA | lv.DOMAIN_UNDEFINE_NVRAM); err != nil {
		if err := dom.Undefine(); err != nil && !isCode(err, lv.ERR_NO_DOMAIN) {
			return lverr(op, err)
		}
	}
	d.deleteVolumeByName(h, m.RootVolume)
	d.removeDHCPHosts(h, m.Addresses, nil)
	if len(m.SecurityGroupIDs) > 0 {
		d.dropServerFilter(op, m.DatacenterID, id)
		d.refreshRemoteGroups(op, m.DatacenterID, m.SecurityGroupIDs)
	}
	d.observe(h, id) // → DELETED
	// Its volumes (live or in its definition) are free again.
	d.mu.Lock()
	for _, vid := range s.VolumeIDs {
		if v, ok := d.st.Volumes[vid]; ok {
			delete(v.AttachedAt, id)
			d.emit(core.TypeVolume, v.ID, v.Meta, string(core.VolumeInUse), string(core.VolumeAvailable), volumeAttrs(&v.Volume))
		}
	}
	_ = d.save()
	d.mu.Unlock()
	return nil
}

// LiveMigrateServer moves a running server to another host of its
// datacenter with virDomainMigrate (live, disks copied, persistent on the
// destination, undefined on the source) (B.2.1.9).
func (d *Driver) LiveMigrateServer(ctx context.Context, id, to string) error {
	const op = "LiveMigrateServer"
	if !d.caps.migrate {
		return core.UnsupportedError(op, core.ClauseServerLiveMigrate)
	}
	if strings.TrimSpace(to) == "" {
		return invalidArg(op, "host: is required")
	}
	return d.act(op, id, []core.ServerStatus{core.ServerActive}, func(h *host, dom *lv.Domain, s core.Server, _ serverMeta, _ domainXML) error {
		dst := d.hosts[to]
		if dst == nil || dst.dc != h.dc {
			return invalidArg(op, "host: %q is not a host of datacenter %s", to, h.dc)
		}
		if dst == h {
			return conflict(op, "server %s is on host %s already", id, to)
		}
		dconn, err := dst.connection(op)
		if err != nil {
			return err
		}
		var merr error
		d.mu.Lock()
		d.transient[id] = core.ServerMigrating
		d.mu.Unlock()
		d.observe(h, id)
		nd, err := dom.Migrate(dconn, lv.MIGRATE_LIVE|lv.MIGRATE_PERSIST_DEST|lv.MIGRATE_UNDEFINE_SOURCE|lv.MIGRATE_NON_SHARED_DISK, "", "", 0)
		if err != nil {
			merr = lverr(op, err)
		} else {
			_ = nd.Free()
		}
		d.mu.Lock()
		delete(d.transient, id)
		if merr == nil {
			if seen, ok := d.st.Servers[id]; ok {
				seen.Attrs.Host = dst.name
				seen.Status = core.ServerMigrating
				d.st.Servers[id] = seen
			}
		}
		d.mu.Unlock()
		if merr != nil {
			d.observe(h, id)
			return merr
		}
		d.observe(dst, id)
		return nil
	})
}

// ResizeServer moves a server to another flavor (B.2.1.10): vCPUs and
// memory are changed live where the hypervisor can (see applyFlavor), and
// in its persistent definition. It waits in VERIFY_RESIZE for
// ConfirmResize or RevertResize.
func (d *Driver) ResizeServer(ctx context.Context, id, flavorID string) error {
	const op = "ResizeServer"
	if _, dom, err := d.findServer(op, id); err != nil {
		return err
	} else {
		_ = dom.Free()
	}
	if err := core.ValidateID("flavor_id", flavorID); err != nil {
		return core.WithOp(op, err)
	}
	return d.act(op, id, []core.ServerStatus{core.ServerActive, core.ServerShutoff}, func(h *host, dom *lv.Domain, s core.Server, m serverMeta, x domainXML) error {
		d.mu.Lock()
		to, ok := d.st.Flavors[flavorID]
		from, fromOK := d.st.Flavors[s.FlavorID]
		d.mu.Unlock()
		if !ok {
			return invalidArg(op, "flavor_id: flavor %s not found", flavorID)
		}
		if to.ID == s.FlavorID {
			return invalidArg(op, "flavor_id: server %s has flavor %s already", id, to.ID)
		}
		if fromOK && to.DiskGB < from.DiskGB {
			return invalidArg(op, "flavor_id: flavor %s has a %d GB disk, smaller than %d GB; a disk cannot shrink", to.ID, to.DiskGB, from.DiskGB)
		}
		if fromOK {
			all, err := d.listServers(op, core.ListOptions{DatacenterID: s.DatacenterID})
			if err != nil {
				return err
			}
			if err := d.checkComputeQuota(op, s.DatacenterID, s.ProjectID, all, max(0, to.VCPUs-from.VCPUs), max(0, to.MemoryMB-from.MemoryMB), 0); err != nil {
				return err
			}
		}
		return d.withTransient(h, id, core.ServerResize, func() error {
			if err := d.applyFlavor(op, h, dom, x, to, fromOK && to.DiskGB > from.DiskGB, m.RootVolume); err != nil {
				return err
			}
			m.ResizedFrom = s.Status
			m.PreviousFlavorID, m.FlavorID = s.FlavorID, to.ID
			return lverr(op, setMeta(dom, m))
		})
	})
}

// applyFlavor gives dom f's vCPUs and memory: live where the hypervisor
// can (within the domain's maxima; vCPU hot-unplug where it has it), and in
// the persistent definition. When a running server cannot take the change
// live, its definition is changed and it is restarted, as Nova's resize
// restarts a server.
func (d *Driver) applyFlavor(op string, h *host, dom *lv.Domain, x domainXML, f core.Flavor, growDisk bool, rootVol string) error {
	active, err := dom.IsActive()
	if err != nil {
		return lverr(op, err)
	}
	if active {
		if lerr := applyLive(dom, x, f); lerr != nil {
			if err := applyDefinition(op, dom, x, f); err != nil {
				return err
			}
			if err := dom.Destroy(); err != nil {
				return lverr(op, fmt.Errorf("restarting the server for its new size (%v): %w", lerr, err))
			}
			if err := dom.Create(); err != nil {
				return lverr(op, fmt.Errorf("restarting the server for its new size (%v): %w", lerr, err))
			}
		}
	} else if err := applyDefinition(op, dom, x, f); err != nil {
		return err
	}
	if growDisk {
		if !d.caps.resizeVolume {
			return conflict(op, "flavor %s has a bigger disk, and this hypervisor cannot resize one", f.ID)
		}
		size := uint64(f.DiskGB) << 30
		if active, _ := dom.IsActive(); active {
			return lverr(op, dom.BlockResize("vda", size, lv.DOMAIN_BLOCK_RESIZE_BYTES))
		}
		vol, err := d.lookupVolume(h, op, rootVol)
		if err != nil {
			return err
		}
		defer vol.Free()
		return lverr(op, vol.Resize(size, 0))
	}
	return nil
}

// applyLive changes a running domain's vCPUs and memory, then its
// definition; an error means the hypervisor would not do it live.
func applyLive(dom *lv.Domain, x domainXML, f core.Flavor) error {
	if f.VCPUs > int64(x.VCPU.Max) || f.MemoryMB > x.memoryMiB() {
		return fmt.Errorf("flavor %s exceeds what the running server can grow to (%d vCPUs, %d MB)", f.ID, x.VCPU.Max, x.memoryMiB())
	}
	kib := uint64(f.MemoryMB) << 10
	// Live, then persistent: some hypervisors take one at a time.
	for _, fl := range []lv.DomainVcpuFlags{lv.DOMAIN_VCPU_LIVE, lv.DOMAIN_VCPU_CONFIG} {
		if err := dom.SetVcpusFlags(uint(f.VCPUs), fl); err != nil {
			return fmt.Errorf("vCPUs: %w", err)
		}
	}
	for _, fl := range []lv.DomainMemoryModFlags{lv.DOMAIN_MEM_LIVE, lv.DOMAIN_MEM_CONFIG} {
		if err := dom.SetMemoryFlags(kib, fl); err != nil {
			return fmt.Errorf("memory: %w", err)
		}
	}
	return nil
}

// applyDefinition changes the persistent definition only, maxima included.
func applyDefinition(op string, dom *lv.Domain, x domainXML, f core.Flavor) error {
	kib := uint64(f.MemoryMB) << 10
	if f.VCPUs > int64(x.VCPU.Max) {
		if err := dom.SetVcpusFlags(uint(f.VCPUs), lv.DOMAIN_VCPU_CONFIG|lv.DOMAIN_VCPU_MAXIMUM); err != nil {
			return lverr(op, fmt.Errorf("vCPUs: %w", err))
		}
	}
	if err := dom.SetVcpusFlags(uint(f.VCPUs), lv.DOMAIN_VCPU_CONFIG); err != nil {
		return lverr(op, fmt.Errorf("vCPUs: %w", err))
	}
	if f.MemoryMB > x.memoryMiB() {
		if err := dom.SetMemoryFlags(kib, lv.DOMAIN_MEM_CONFIG|lv.DOMAIN_MEM_MAXIMUM); err != nil {
			return lverr(op, fmt.Errorf("memory: %w", err))
		}
	}
	if err := dom.SetMemoryFlags(kib, lv.DOMAIN_MEM_CONFIG); err != nil {
		return lverr(op, fmt.Errorf("memory: %w", err))
	}
	return nil
}

// ConfirmResize keeps the new flavor (B.2.1.10).
func (d *Driver) ConfirmResize(ctx context.Context, id string) error {
	const op = "ConfirmResize"
	return d.act(op, id, []core.ServerStatus{core.ServerVerifyResize}, func(h *host, dom *lv.Domain, _ core.Server, m serverMeta, _ domainXML) error {
		m.PreviousFlavorID, m.ResizedFrom = "", ""
		if err := setMeta(dom, m); err != nil {
			return lverr(op, err)
		}
		d.observe(h, id)
		return nil
	})
}

// RevertResize goes back to the old flavor (B.2.1.10).
func (d *Driver) RevertResize(ctx context.Context, id string) error {
	const op = "RevertResize"
	return d.act(op, id, []core.ServerStatus{core.ServerVerifyResize}, func(h *host, dom *lv.Domain, _ core.Server, m serverMeta, x domainXML) error {
		d.mu.Lock()
		old, ok := d.st.Flavors[m.PreviousFlavorID]
		d.mu.Unlock()
		if !ok {
			return conflict(op, "the previous flavor %s of server %s is gone", m.PreviousFlavorID, id)
		}
		if err := d.applyFlavor(op, h, dom, x, old, false, m.RootVolume); err != nil {
			return err
		}
		m.FlavorID, m.PreviousFlavorID, m.ResizedFrom = old.ID, "", ""
		if err := setMeta(dom, m); err != nil {
			return lverr(op, err)
		}
		d.observe(h, id)
		return nil
	})
}
