package sim

import (
	"fmt"
	"slices"

	"github.com/gisiaas/gisiaas/core"
)

// Links between resources of several services live here, so that each
// service file changes the others only through these functions.

// attachVolume attaches v to server s (B.4.1.4). The volume must be
// available, or in-use and shareable and not on s already; the server must
// not be deleted or in error. Called with d.mu held.
func (d *Driver) attachVolume(op string, v *core.Volume, s *core.Server, mode, mountpoint string) error {
	switch s.Status {
	case core.ServerSoftDeleted, core.ServerDeleted, core.ServerError:
		return conflict(op, "server %s is %s; a volume cannot be attached", s.ID, s.Status)
	}
	if v.DatacenterID != s.DatacenterID {
		return invalidArg(op, "server_id: server %s is in datacenter %s, volume %s in %s", s.ID, s.DatacenterID, v.ID, v.DatacenterID)
	}
	for _, a := range v.Attachments {
		if a.ServerID == s.ID {
			return conflict(op, "volume %s is already attached to server %s", v.ID, s.ID)
		}
	}
	switch {
	case v.Status == core.VolumeAvailable:
	case v.Status == core.VolumeInUse && v.Shareable:
	case v.Status == core.VolumeInUse:
		return conflict(op, "volume %s is in use by server %s and is not shareable", v.ID, v.Attachments[0].ServerID)
	default:
		return conflict(op, "volume %s is %s; only an available volume can be attached", v.ID, v.Status)
	}
	if mode == "" {
		mode = "rw"
	}
	if mountpoint == "" {
		mountpoint = d.nextDevice(s)
	} else {
		for _, vid := range s.VolumeIDs {
			if o, ok := d.st.Volumes[vid]; ok {
				for _, a := range o.Attachments {
					if a.ServerID == s.ID && a.Mountpoint == mountpoint {
						return conflict(op, "mountpoint %s of server %s is taken by volume %s", mountpoint, s.ID, vid)
					}
				}
			}
		}
	}
	from := string(v.Status)
	v.Attachments = append(v.Attachments, core.Attachment{ServerID: s.ID, Mountpoint: mountpoint, Mode: mode, AttachedAt: d.now()})
	v.Status = core.VolumeInUse
	v.UpdatedAt = d.now()
	s.VolumeIDs = append(s.VolumeIDs, v.ID)
	s.UpdatedAt = d.now()
	attrs := volumeAttrs(v)
	attrs.ServerID = s.ID
	d.emit(core.TypeVolume, v.ID, v.Meta, from, string(v.Status), attrs)
	return nil
}

// nextDevice is the first free /dev/vdX of s; vda is the root disk.
func (d *Driver) nextDevice(s *core.Server) string {
	taken := map[string]bool{"/dev/vda": true}
	for _, vid := range s.VolumeIDs {
		if v, ok := d.st.Volumes[vid]; ok {
			for _, a := range v.Attachments {
				if a.ServerID == s.ID {
					taken[a.Mountpoint] = true
				}
			}
		}
	}
	for c := 'b'; c <= 'z'; c++ {
		if dev := fmt.Sprintf("/dev/vd%c", c); !taken[dev] {
			return dev
		}
	}
	return fmt.Sprintf("/dev/vd%d", len(taken))
}

// detachVolume detaches v from server serverID (B.4.1.5). Called with d.mu held.
func (d *Driver) detachVolume(op string, v *core.Volume, serverID string) error {
	i := slices.IndexFunc(v.Attachments, func(a core.Attachment) bool { return a.ServerID == serverID })
	if i < 0 {
		return conflict(op, "volume %s is not attached to server %s", v.ID, serverID)
	}
	from := string(v.Status)
	v.Attachments = slices.Delete(v.Attachments, i, i+1)
	if len(v.Attachments) == 0 {
		v.Status = core.VolumeAvailable
	}
	v.UpdatedAt = d.now()
	if s, ok := d.st.Servers[serverID]; ok {
		s.VolumeIDs = slices.DeleteFunc(s.VolumeIDs, func(id string) bool { return id == v.ID })
		s.UpdatedAt = d.now()
	}
	attrs := volumeAttrs(v)
	attrs.ServerID = serverID
	d.emit(core.TypeVolume, v.ID, v.Meta, from, string(v.Status), attrs)
	return nil
}

// serverPorts are the ports of server id. Called with d.mu held.
func (d *Driver) serverPorts(id string) []*core.Port {
	var out []*core.Port
	for _, p := range d.st.Ports {
		if p.DeviceID == id {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b *core.Port) int {
		if a.ID < b.ID {
			return -1
		}
		return 1
	})
	return out
}

// refreshAddresses rebuilds the addresses of server s from its ports and the
// floating and public IPs that reach them. Called with d.mu held after any
// change to those.
func (d *Driver) refreshAddresses(s *core.Server) {
	addrs := []core.ServerAddress{}
	for _, p := range d.serverPorts(s.ID) {
		addrs = append(addrs, core.ServerAddress{Kind: core.AddressPrivate, Address: p.FixedIP,
			NetworkID: p.NetworkID, PortID: p.ID, MAC: p.MACAddress})
	}
	for _, p := range d.serverPorts(s.ID) {
		for _, f := range d.st.FloatingIPs {
			if f.PortID == p.ID {
				addrs = append(addrs, core.ServerAddress{Kind: core.AddressFloating, Address: f.FloatingIP,
					NetworkID: f.FloatingNetworkID, PortID: p.ID})
			}
		}
		for _, pub := range d.st.PublicIPs {
			if pub.ServerID == s.ID && pub.PrivateIP == p.FixedIP {
				addrs = append(addrs, core.ServerAddress{Kind: core.AddressPublic, Address: pub.Address, PortID: p.ID})
			}
		}
	}
	s.Addresses = addrs
}

// releaseServer undoes every link of a server being purged: its volumes are
// detached (and kept), its floating IPs dissociated, its public IPs
// unbound, it leaves every load balancer, and its ports are freed. Called
// with d.mu held.
func (d *Driver) releaseServer(s *core.Server) {
	for _, vid := range slices.Clone(s.VolumeIDs) {
		if v, ok := d.st.Volumes[vid]; ok {
			_ = d.detachVolume("DeleteServer", v, s.ID)
		}
	}
	now := d.now()
	for _, p := range d.serverPorts(s.ID) {
		for _, f := range d.st.FloatingIPs {
			if f.PortID == p.ID {
				from := string(f.Status)
				f.PortID, f.FixedIP, f.PortDetails, f.Status, f.UpdatedAt = "", "", nil, core.NetDown, now
				d.emit(core.TypeFloatingIP, f.ID, f.Meta, from, string(f.Status), core.EventAttributes{})
			}
		}
		delete(d.st.Ports, p.ID)
	}
	for _, pub := range d.st.PublicIPs {
		if pub.ServerID == s.ID {
			from := string(pub.Status)
			pub.ServerID, pub.PrivateIP, pub.Status, pub.UpdatedAt = "", "", core.NetDown, now
			d.emit(core.TypePublicIP, pub.ID, pub.Meta, from, string(pub.Status), core.EventAttributes{Name: pub.Name})
		}
	}
	for _, l := range d.st.LoadBalancers {
		n := len(l.Members)
		l.Members = slices.DeleteFunc(l.Members, func(m core.Member) bool { return m.ServerID == s.ID })
		if len(l.Members) != n {
			l.UpdatedAt = now
		}
	}
	s.Addresses = []core.ServerAddress{}
}
