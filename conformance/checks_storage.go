package conformance

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/gisiaas/gisiaas/core"
)

// Checks of the storage clauses: volumes (B.4.1), volume snapshots (X.1)
// and backups, full and incremental (X.2). Billing rates volumes by size
// and type, snapshots by size, backups by size and kind: the lifecycle
// events must carry those.

func init() {
	register(
		// B.4.1.1 Create volume.
		Check{Clause: core.ClauseVolumeCreate, Name: "create", Needs: core.ClauseVolumeCreate, Run: volCheckCreate,
			Unsupported: volCreateProbe},
		Check{Clause: core.ClauseVolumeCreate, Name: "size zero is invalid", Needs: core.ClauseVolumeCreate,
			Run: func(ctx context.Context, e *Env) error {
				v, err := e.Driver.CreateVolume(ctx, core.VolumeCreate{CreateMeta: e.Meta(), Name: e.Name("vol")})
				volCleanupIf(e, v.ID, err)
				return WantKind("create a volume of 0 GB", err, core.InvalidArgument)
			},
			Unsupported: volCreateProbe},
		Check{Clause: core.ClauseVolumeCreate, Name: "unknown type is invalid", Needs: core.ClauseVolumeCreate,
			Run: func(ctx context.Context, e *Env) error {
				v, err := e.Driver.CreateVolume(ctx, core.VolumeCreate{CreateMeta: e.Meta(), Name: e.Name("vol"), SizeGB: 1, VolumeType: noSuch})
				volCleanupIf(e, v.ID, err)
				return WantKind("create a volume of an unknown type", err, core.InvalidArgument)
			},
			Unsupported: volCreateProbe},

		// B.4.1.2 Delete volume.
		Check{Clause: core.ClauseVolumeDelete, Name: "delete", Needs: core.ClauseVolumeDelete, Run: volCheckDelete,
			Unsupported: func(ctx context.Context, e *Env) error { return e.Driver.DeleteVolume(ctx, noSuch) }},
		Check{Clause: core.ClauseVolumeDelete, Name: "delete attached is conflict", Needs: core.ClauseVolumeDelete, Run: volCheckDeleteAttached,
			Unsupported: func(ctx context.Context, e *Env) error { return e.Driver.DeleteVolume(ctx, noSuch) }},

		// B.4.1.3 Show volume.
		Check{Clause: core.ClauseVolumeShow, Name: "show", Needs: core.ClauseVolumeShow, Run: volCheckShow,
			Unsupported: func(ctx context.Context, e *Env) error { _, err := e.Driver.GetVolume(ctx, noSuch); return err }},
		Check{Clause: core.ClauseVolumeShow, Name: "show unknown is not found", Needs: core.ClauseVolumeShow,
			Run: func(ctx context.Context, e *Env) error {
				_, err := e.Driver.GetVolume(ctx, noSuch)
				return WantKind("show an unknown volume", err, core.NotFound)
			},
			Unsupported: func(ctx context.Context, e *Env) error { _, err := e.Driver.GetVolume(ctx, noSuch); return err }},

		// B.4.1.4 Attach volume.
		Check{Clause: core.ClauseVolumeAttach, Name: "attach", Needs: core.ClauseVolumeAttach, Run: volCheckAttach,
			Unsupported: volAttachProbe},
		Check{Clause: core.ClauseVolumeAttach, Name: "attach in-use is conflict", Needs: core.ClauseVolumeAttach, Run: volCheckAttachInUse,
			Unsupported: volAttachProbe},
		Check{Clause: core.ClauseVolumeAttach, Name: "unknown server is invalid", Needs: core.ClauseVolumeAttach,
			Run: func(ctx context.Context, e *Env) error {
				v, err := volNew(ctx, e, 1)
				if err != nil {
					return err
				}
				_, err = e.Driver.AttachVolume(ctx, v.ID, core.VolumeAttach{ServerID: noSuch})
				return WantKind("attach to an unknown server", err, core.InvalidArgument)
			},
			Unsupported: volAttachProbe},

		// B.4.1.5 Detach volume.
		Check{Clause: core.ClauseVolumeDetach, Name: "detach", Needs: core.ClauseVolumeDetach, Run: volCheckDetach,
			Unsupported: func(ctx context.Context, e *Env) error {
				_, err := e.Driver.DetachVolume(ctx, noSuch, noSuch)
				return err
			}},
		Check{Clause: core.ClauseVolumeDetach, Name: "detach unknown is not found", Needs: core.ClauseVolumeDetach,
			Run: func(ctx context.Context, e *Env) error {
				_, err := e.Driver.DetachVolume(ctx, noSuch, noSuch)
				return WantKind("detach an unknown volume", err, core.NotFound)
			},
			Unsupported: func(ctx context.Context, e *Env) error {
				_, err := e.Driver.DetachVolume(ctx, noSuch, noSuch)
				return err
			}},

		// B.4.1.6 Extend volume.
		Check{Clause: core.ClauseVolumeExtend, Name: "extend", Needs: core.ClauseVolumeExtend, Run: volCheckExtend,
			Unsupported: func(ctx context.Context, e *Env) error { _, err := e.Driver.ExtendVolume(ctx, noSuch, 2); return err }},
		Check{Clause: core.ClauseVolumeExtend, Name: "extend smaller is invalid", Needs: core.ClauseVolumeExtend,
			Run: func(ctx context.Context, e *Env) error {
				v, err := volNew(ctx, e, 2)
				if err != nil {
					return err
				}
				_, err = e.Driver.ExtendVolume(ctx, v.ID, 1)
				if err := WantKind("extend a 2 GB volume to 1 GB", err, core.InvalidArgument); err != nil {
					return err
				}
				_, err = e.Driver.ExtendVolume(ctx, v.ID, 2)
				if err := WantKind("extend a 2 GB volume to 2 GB", err, core.InvalidArgument); err != nil {
					return err
				}
				g, err := e.Driver.GetVolume(ctx, v.ID)
				if err != nil {
					return err
				}
				if g.SizeGB != 2 {
					return Failf("volume %s: %d GB after refused extends, want 2", v.ID, g.SizeGB)
				}
				return nil
			},
			Unsupported: func(ctx context.Context, e *Env) error { _, err := e.Driver.ExtendVolume(ctx, noSuch, 2); return err }},

		// X.1 Volume snapshots.
		Check{Clause: core.ClauseVolumeSnapshots, Name: "create and delete", Needs: core.ClauseVolumeSnapshots, Run: volCheckSnapshot,
			Unsupported: volSnapshotProbe},
		Check{Clause: core.ClauseVolumeSnapshots, Name: "unknown volume is invalid", Needs: core.ClauseVolumeSnapshots,
			Run: func(ctx context.Context, e *Env) error {
				s, err := e.Driver.CreateVolumeSnapshot(ctx, core.VolumeSnapshotCreate{CreateMeta: e.Meta(), VolumeID: noSuch, Name: e.Name("snap")})
				if err == nil {
					volSnapshotCleanup(e, s.ID)
				}
				// A reference in the body to nothing is invalid_argument
				// (docs/decisions.md); not_found is for the path's id.
				return WantKind("snapshot an unknown volume", err, core.InvalidArgument)
			},
			Unsupported: volSnapshotProbe},
		Check{Clause: core.ClauseVolumeSnapshots, Name: "show unknown is not found", Needs: core.ClauseVolumeSnapshots,
			Run: func(ctx context.Context, e *Env) error {
				_, err := e.Driver.GetVolumeSnapshot(ctx, noSuch)
				return WantKind("show an unknown snapshot", err, core.NotFound)
			},
			Unsupported: volSnapshotProbe},

		// X.2 Backups.
		Check{Clause: core.ClauseVolumeBackups, Name: "full then incremental", Needs: core.ClauseVolumeBackups, Run: volCheckBackups,
			Unsupported: volBackupProbe},
		Check{Clause: core.ClauseVolumeBackups, Name: "incremental without full is invalid", Needs: core.ClauseVolumeBackups,
			Run: func(ctx context.Context, e *Env) error {
				v, err := volNew(ctx, e, 1)
				if err != nil {
					return err
				}
				b, err := e.Driver.CreateBackup(ctx, core.BackupCreate{CreateMeta: e.Meta(), VolumeID: v.ID, Name: e.Name("bak"), Kind: core.BackupIncremental})
				if err == nil {
					volBackupCleanup(e, b.ID)
				}
				return WantKind("an incremental backup of a volume with no full one", err, core.InvalidArgument)
			},
			Unsupported: volBackupProbe},
		Check{Clause: core.ClauseVolumeBackups, Name: "show unknown is not found", Needs: core.ClauseVolumeBackups,
			Run: func(ctx context.Context, e *Env) error {
				_, err := e.Driver.GetBackup(ctx, noSuch)
				return WantKind("show an unknown backup", err, core.NotFound)
			},
			Unsupported: volBackupProbe},
	)
}

// --- helpers ---

func volCreateProbe(ctx context.Context, e *Env) error {
	v, err := e.Driver.CreateVolume(ctx, core.VolumeCreate{CreateMeta: e.Meta(), Name: e.Name("vol"), SizeGB: 1})
	volCleanupIf(e, v.ID, err)
	return err
}

func volAttachProbe(ctx context.Context, e *Env) error {
	_, err := e.Driver.AttachVolume(ctx, noSuch, core.VolumeAttach{ServerID: noSuch})
	return err
}

func volSnapshotProbe(ctx context.Context, e *Env) error {
	_, err := e.Driver.ListVolumeSnapshots(ctx, netOpts(e))
	return err
}

func volBackupProbe(ctx context.Context, e *Env) error {
	_, err := e.Driver.ListBackups(ctx, netOpts(e))
	return err
}

// volTransient are the states a volume passes through on its own: a cloud
// refuses most actions until it leaves them.
var volTransient = []core.VolumeStatus{core.VolumeCreating, core.VolumeAttaching, core.VolumeDetaching,
	core.VolumeExtending, core.VolumeDeleting}

// volWait polls volume id until it is in state want; error fails at once.
func volWait(ctx context.Context, e *Env, id string, want core.VolumeStatus) (core.Volume, error) {
	var v core.Volume
	err := e.Eventually(ctx, fmt.Sprintf("volume %s %s", id, want), func(ctx context.Context) (bool, error) {
		var err error
		if v, err = e.Driver.GetVolume(ctx, id); err != nil {
			return false, err
		}
		if v.Status == core.VolumeError && want != core.VolumeError {
			return false, errors.New("volume went to error")
		}
		return v.Status == want, nil
	})
	return v, err
}

// volCleanupIf registers the cleanup of a volume a create made, if it did.
func volCleanupIf(e *Env, id string, err error) {
	if err == nil && id != "" {
		volCleanup(e, id)
	}
}

// volCleanup detaches a volume from whatever holds it, deletes it once it
// settles, and waits until it is gone.
func volCleanup(e *Env, id string) {
	e.Cleanup("volume "+id, func(ctx context.Context) error {
		settled := func(ctx context.Context) (core.Volume, error) {
			var v core.Volume
			err := e.Eventually(ctx, "volume "+id+" settled", func(ctx context.Context) (bool, error) {
				var err error
				v, err = e.Driver.GetVolume(ctx, id)
				return err == nil && !slices.Contains(volTransient, v.Status), err
			})
			return v, err
		}
		v, err := settled(ctx)
		if err != nil {
			return err
		}
		if len(v.Attachments) > 0 {
			for _, a := range v.Attachments {
				if _, err := e.Driver.DetachVolume(ctx, id, a.ServerID); err != nil && core.KindOf(err) != core.NotFound {
					return err
				}
			}
			if _, err := settled(ctx); err != nil {
				return err
			}
		}
		if err := e.Driver.DeleteVolume(ctx, id); err != nil {
			return err
		}
		return waitGone(ctx, e, "volume "+id, func(ctx context.Context) error { _, err := e.Driver.GetVolume(ctx, id); return err })
	})
}

// volNew creates an available volume of size GB for a check.
func volNew(ctx context.Context, e *Env, size int64) (core.Volume, error) {
	if err := netNeed(e, core.ClauseVolumeCreate, core.ClauseVolumeDelete, core.ClauseVolumeShow); err != nil {
		return core.Volume{}, err
	}
	v, err := e.Driver.CreateVolume(ctx, core.VolumeCreate{CreateMeta: e.Meta(), Name: e.Name("vol"), SizeGB: size})
	if err != nil {
		return core.Volume{}, Broken(fmt.Errorf("creating a volume to work with: %w", err))
	}
	volCleanup(e, v.ID)
	if v, err = volWait(ctx, e, v.ID, core.VolumeAvailable); err != nil {
		return core.Volume{}, Broken(err)
	}
	return v, nil
}

// volAttached is an available volume attached to a new server, in-use.
func volAttached(ctx context.Context, e *Env) (core.Volume, core.Server, error) {
	if err := netNeed(e, core.ClauseVolumeAttach, core.ClauseVolumeDetach); err != nil {
		return core.Volume{}, core.Server{}, err
	}
	s, err := netServer(ctx, e)
	if err != nil {
		return core.Volume{}, core.Server{}, err
	}
	v, err := volNew(ctx, e, 1)
	if err != nil {
		return core.Volume{}, core.Server{}, err
	}
	if _, err := e.Driver.AttachVolume(ctx, v.ID, core.VolumeAttach{ServerID: s.ID}); err != nil {
		return core.Volume{}, core.Server{}, Broken(fmt.Errorf("attaching a volume to work with: %w", err))
	}
	if v, err = volWait(ctx, e, v.ID, core.VolumeInUse); err != nil {
		return core.Volume{}, core.Server{}, Broken(err)
	}
	return v, s, nil
}

// volCheckFields checks what B.4.1.1 and B.4.1.3 return for every volume.
func volCheckFields(v core.Volume, e *Env) error {
	if v.ID == "" {
		return Failf("volume %+v: id is required", v)
	}
	if v.SizeGB < 1 {
		return Failf("volume %s: size_gb %d", v.ID, v.SizeGB)
	}
	if v.VolumeType == "" {
		return Failf("volume %s: volume_type is required (the datacenter's default when none was asked)", v.ID)
	}
	if v.Attachments == nil {
		return Failf("volume %s: attachments must be a list, empty when it is not attached", v.ID)
	}
	if !slices.Contains(core.VolumeStates, v.Status) {
		return Failf("volume %s: status %q is not a normalized volume state", v.ID, v.Status)
	}
	for _, a := range v.Attachments {
		if a.ServerID == "" || a.Mountpoint == "" {
			return Failf("volume %s: attachment %+v needs a server_id and a mountpoint", v.ID, a)
		}
		if a.Mode != "rw" && a.Mode != "ro" {
			return Failf("volume %s: attachment mode %q, want rw or ro", v.ID, a.Mode)
		}
		if err := wantUTC("volume "+v.ID+" attachment attached_at", a.AttachedAt); err != nil {
			return err
		}
	}
	return wantRunMeta(e, "volume "+v.ID, v.Meta)
}

// volWantAttrs checks that an event carries the size and type billing
// rates a volume by.
func volWantAttrs(ev core.Event, size int64, typ string) error {
	if ev.Attributes.SizeGB != size || ev.Attributes.VolumeType != typ {
		return Failf("event %s %s→%s of volume %s: size_gb %d, volume_type %q; want %d, %q (billing rates by them)",
			ev.ID, ev.FromState, ev.ToState, ev.ResourceID, ev.Attributes.SizeGB, ev.Attributes.VolumeType, size, typ)
	}
	return nil
}

// --- B.4.1 volumes ---

func volCheckCreate(ctx context.Context, e *Env) error {
	name := e.Name("vol")
	c, err := e.Driver.CreateVolume(ctx, core.VolumeCreate{CreateMeta: e.Meta(), Name: name, Description: "conformance", SizeGB: 1})
	volCleanupIf(e, c.ID, err)
	if err != nil {
		return err
	}
	if c.ID == "" {
		return Failf("create: no id")
	}
	v, err := volWait(ctx, e, c.ID, core.VolumeAvailable)
	if err != nil {
		return err
	}
	if err := volCheckFields(v, e); err != nil {
		return err
	}
	if v.Name != name || v.Description != "conformance" || v.SizeGB != 1 || v.Shareable || len(v.Attachments) != 0 {
		return Failf("volume %s: name %q, description %q, %d GB, shareable %v, %d attachments; asked for %q, %q, 1 GB, not shareable",
			v.ID, v.Name, v.Description, v.SizeGB, v.Shareable, len(v.Attachments), name, "conformance")
	}
	// The first event (from "") and the one to available both carry what
	// billing meters from.
	first, ok, err := watchFor(ctx, e, "the first event of volume "+v.ID, func(x core.Event) bool {
		return x.ResourceType == core.TypeVolume && x.ResourceID == v.ID && x.FromState == ""
	})
	if err != nil || !ok {
		return err // !ok: the target cannot replay, so the events cannot be awaited
	}
	if err := volWantAttrs(first, 1, v.VolumeType); err != nil {
		return err
	}
	if first.ProjectID != "" && first.ProjectID != e.Project {
		return Failf("event %s of volume %s: project_id %q, want %q", first.ID, v.ID, first.ProjectID, e.Project)
	}
	avail, _, err := watchEvent(ctx, e, core.TypeVolume, v.ID, string(core.VolumeAvailable))
	if err != nil {
		return err
	}
	return volWantAttrs(avail, 1, v.VolumeType)
}

func volCheckDelete(ctx context.Context, e *Env) error {
	v, err := volNew(ctx, e, 1)
	if err != nil {
		return err
	}
	if err := e.Driver.DeleteVolume(ctx, v.ID); err != nil {
		return err
	}
	if err := waitGone(ctx, e, "volume "+v.ID, func(ctx context.Context) error { _, err := e.Driver.GetVolume(ctx, v.ID); return err }); err != nil {
		return err
	}
	if err := WantKind("delete an unknown volume", e.Driver.DeleteVolume(ctx, noSuch), core.NotFound); err != nil {
		return err
	}
	// The last event ends the volume's billing.
	_, _, err = watchFor(ctx, e, "the deletion of volume "+v.ID, func(x core.Event) bool {
		return x.ResourceType == core.TypeVolume && x.ResourceID == v.ID &&
			(x.ToState == string(core.VolumeDeleted) || x.ToState == core.StateDeleted)
	})
	return err
}

func volCheckDeleteAttached(ctx context.Context, e *Env) error {
	v, _, err := volAttached(ctx, e)
	if err != nil {
		return err
	}
	return WantKind("delete an attached volume", e.Driver.DeleteVolume(ctx, v.ID), core.Conflict)
}

func volCheckShow(ctx context.Context, e *Env) error {
	v, err := volNew(ctx, e, 1)
	if err != nil {
		return err
	}
	g, err := e.Driver.GetVolume(ctx, v.ID)
	if err != nil {
		return err
	}
	if err := volCheckFields(g, e); err != nil {
		return err
	}
	if g.ID != v.ID || g.Name != v.Name || g.SizeGB != v.SizeGB || g.VolumeType != v.VolumeType || g.Status != core.VolumeAvailable {
		return Failf("show: %s %q %d GB %s %s, created %s %q %d GB %s, available", g.ID, g.Name, g.SizeGB, g.VolumeType, g.Status,
			v.ID, v.Name, v.SizeGB, v.VolumeType)
	}
	vs, err := e.Driver.ListVolumes(ctx, netOpts(e))
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(vs, func(x core.Volume) bool { return x.ID == v.ID && x.SizeGB == v.SizeGB }) {
		return Failf("list: volume %s missing", v.ID)
	}
	return nil
}

func volCheckAttach(ctx context.Context, e *Env) error {
	if err := netNeed(e, core.ClauseVolumeDetach); err != nil {
		return err
	}
	s, err := netServer(ctx, e)
	if err != nil {
		return err
	}
	v, err := volNew(ctx, e, 1)
	if err != nil {
		return err
	}
	if _, err := e.Driver.AttachVolume(ctx, v.ID, core.VolumeAttach{ServerID: s.ID, ServerName: s.Name}); err != nil {
		return err
	}
	v, err = volWait(ctx, e, v.ID, core.VolumeInUse)
	if err != nil {
		return err
	}
	if err := volCheckFields(v, e); err != nil {
		return err
	}
	if len(v.Attachments) != 1 || v.Attachments[0].ServerID != s.ID || v.Attachments[0].Mode != "rw" {
		return Failf("volume %s: attachments %+v, want one to server %s, rw (the default)", v.ID, v.Attachments, s.ID)
	}
	if err := e.Eventually(ctx, "server "+s.ID+" lists volume "+v.ID, func(ctx context.Context) (bool, error) {
		g, err := e.Driver.GetServer(ctx, s.ID)
		return err == nil && slices.Contains(g.VolumeIDs, v.ID), err
	}); err != nil {
		return err
	}
	ev, ok, err := watchEvent(ctx, e, core.TypeVolume, v.ID, string(core.VolumeInUse))
	if err != nil || !ok {
		return err
	}
	if err := volWantAttrs(ev, v.SizeGB, v.VolumeType); err != nil {
		return err
	}
	if ev.Attributes.ServerID != s.ID {
		return Failf("event %s of volume %s to in-use: server_id %q, want %s", ev.ID, v.ID, ev.Attributes.ServerID, s.ID)
	}
	return nil
}

func volCheckAttachInUse(ctx context.Context, e *Env) error {
	v, _, err := volAttached(ctx, e)
	if err != nil {
		return err
	}
	if v.Shareable {
		return Broken(fmt.Errorf("volume %s was created not shareable but says it is", v.ID))
	}
	other, err := netServer(ctx, e)
	if err != nil {
		return err
	}
	_, err = e.Driver.AttachVolume(ctx, v.ID, core.VolumeAttach{ServerID: other.ID})
	return WantKind("attach an in-use, not shareable volume to a second server", err, core.Conflict)
}

func volCheckDetach(ctx context.Context, e *Env) error {
	v, s, err := volAttached(ctx, e)
	if err != nil {
		return err
	}
	if _, err := e.Driver.DetachVolume(ctx, v.ID, s.ID); err != nil {
		return err
	}
	v, err = volWait(ctx, e, v.ID, core.VolumeAvailable)
	if err != nil {
		return err
	}
	if len(v.Attachments) != 0 {
		return Failf("volume %s: available but attachments %+v", v.ID, v.Attachments)
	}
	if err := e.Eventually(ctx, "server "+s.ID+" no longer lists volume "+v.ID, func(ctx context.Context) (bool, error) {
		g, err := e.Driver.GetServer(ctx, s.ID)
		return err == nil && !slices.Contains(g.VolumeIDs, v.ID), err
	}); err != nil {
		return err
	}
	_, err = e.Driver.DetachVolume(ctx, v.ID, s.ID)
	return WantKind("detach a volume that is not attached", err, core.Conflict)
}

func volCheckExtend(ctx context.Context, e *Env) error {
	v, err := volNew(ctx, e, 1)
	if err != nil {
		return err
	}
	if _, err := e.Driver.ExtendVolume(ctx, v.ID, 2); err != nil {
		return err
	}
	var g core.Volume
	if err := e.Eventually(ctx, "volume "+v.ID+" available at 2 GB", func(ctx context.Context) (bool, error) {
		var err error
		if g, err = e.Driver.GetVolume(ctx, v.ID); err != nil {
			return false, err
		}
		if g.Status == core.VolumeError {
			return false, errors.New("volume went to error")
		}
		return g.Status == core.VolumeAvailable && g.SizeGB == 2, nil
	}); err != nil {
		return fmt.Errorf("%w (last seen %s, %d GB)", err, g.Status, g.SizeGB)
	}
	// Billing rates the new size from the extend on.
	_, _, err = watchFor(ctx, e, "a 2 GB event of volume "+v.ID, func(x core.Event) bool {
		return x.ResourceType == core.TypeVolume && x.ResourceID == v.ID && x.Attributes.SizeGB == 2
	})
	return err
}

// --- X.1 volume snapshots ---

// volSnapshotCleanup deletes a snapshot once it settles, and waits it gone.
func volSnapshotCleanup(e *Env, id string) {
	e.Cleanup("volume snapshot "+id, func(ctx context.Context) error {
		if err := e.Eventually(ctx, "snapshot "+id+" settled", func(ctx context.Context) (bool, error) {
			s, err := e.Driver.GetVolumeSnapshot(ctx, id)
			return err == nil && s.Status != core.SnapshotCreating && s.Status != core.SnapshotDeleting, err
		}); err != nil {
			return err
		}
		if err := e.Driver.DeleteVolumeSnapshot(ctx, id); err != nil {
			return err
		}
		return waitGone(ctx, e, "snapshot "+id, func(ctx context.Context) error { _, err := e.Driver.GetVolumeSnapshot(ctx, id); return err })
	})
}

func volCheckSnapshot(ctx context.Context, e *Env) error {
	v, err := volNew(ctx, e, 1)
	if err != nil {
		return err
	}
	c, err := e.Driver.CreateVolumeSnapshot(ctx, core.VolumeSnapshotCreate{CreateMeta: e.Meta(), VolumeID: v.ID, Name: e.Name("snap")})
	if err != nil {
		return err
	}
	volSnapshotCleanup(e, c.ID)
	var s core.VolumeSnapshot
	if err := e.Eventually(ctx, "snapshot "+c.ID+" available", func(ctx context.Context) (bool, error) {
		var err error
		if s, err = e.Driver.GetVolumeSnapshot(ctx, c.ID); err != nil {
			return false, err
		}
		if s.Status == core.SnapshotError {
			return false, errors.New("snapshot went to error")
		}
		return s.Status == core.SnapshotAvailable, nil
	}); err != nil {
		return err
	}
	if s.VolumeID != v.ID || s.SizeGB != v.SizeGB {
		return Failf("snapshot %s: volume %s, %d GB; want volume %s, %d GB", s.ID, s.VolumeID, s.SizeGB, v.ID, v.SizeGB)
	}
	if err := wantRunMeta(e, "snapshot "+s.ID, s.Meta); err != nil {
		return err
	}
	ss, err := e.Driver.ListVolumeSnapshots(ctx, netOpts(e))
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(ss, func(x core.VolumeSnapshot) bool { return x.ID == s.ID }) {
		return Failf("list: snapshot %s missing", s.ID)
	}
	ev, ok, err := watchEvent(ctx, e, core.TypeVolumeSnapshot, s.ID, string(core.SnapshotAvailable))
	if err != nil {
		return err
	}
	if ok && ev.Attributes.SizeGB != s.SizeGB {
		return Failf("event %s of snapshot %s: size_gb %d, want %d (billing rates by it)", ev.ID, s.ID, ev.Attributes.SizeGB, s.SizeGB)
	}
	// A volume with a snapshot cannot go (core.Volumes).
	if err := WantKind("delete a volume that has a snapshot", e.Driver.DeleteVolume(ctx, v.ID), core.Conflict); err != nil {
		return err
	}
	if err := e.Driver.DeleteVolumeSnapshot(ctx, s.ID); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	return waitGone(ctx, e, "snapshot "+s.ID, func(ctx context.Context) error { _, err := e.Driver.GetVolumeSnapshot(ctx, s.ID); return err })
}

// --- X.2 backups ---

// volBackupCleanup deletes a backup once it settles, and waits it gone.
func volBackupCleanup(e *Env, id string) {
	e.Cleanup("backup "+id, func(ctx context.Context) error {
		if err := e.Eventually(ctx, "backup "+id+" settled", func(ctx context.Context) (bool, error) {
			b, err := e.Driver.GetBackup(ctx, id)
			return err == nil && b.Status != core.SnapshotCreating && b.Status != core.SnapshotDeleting, err
		}); err != nil {
			return err
		}
		if err := e.Driver.DeleteBackup(ctx, id); err != nil {
			return err
		}
		return waitGone(ctx, e, "backup "+id, func(ctx context.Context) error { _, err := e.Driver.GetBackup(ctx, id); return err })
	})
}

// volBackup makes a backup of kind k of volume v and waits until it is
// available; its cleanup deletes it.
func volBackup(ctx context.Context, e *Env, v core.Volume, k core.BackupKind) (core.Backup, error) {
	c, err := e.Driver.CreateBackup(ctx, core.BackupCreate{CreateMeta: e.Meta(), VolumeID: v.ID, Name: e.Name("bak"), Kind: k})
	if err != nil {
		return core.Backup{}, fmt.Errorf("%s backup: %w", k, err)
	}
	volBackupCleanup(e, c.ID)
	var b core.Backup
	if err := e.Eventually(ctx, string(k)+" backup "+c.ID+" available", func(ctx context.Context) (bool, error) {
		var err error
		if b, err = e.Driver.GetBackup(ctx, c.ID); err != nil {
			return false, err
		}
		if b.Status == core.SnapshotError {
			return false, errors.New("backup went to error")
		}
		return b.Status == core.SnapshotAvailable, nil
	}); err != nil {
		return core.Backup{}, err
	}
	if b.VolumeID != v.ID || b.Kind != k || b.SizeGB < 1 {
		return core.Backup{}, Failf("backup %s: volume %s, kind %q, %d GB; want volume %s, kind %s, a size", b.ID, b.VolumeID, b.Kind, b.SizeGB, v.ID, k)
	}
	if err := wantRunMeta(e, "backup "+b.ID, b.Meta); err != nil {
		return core.Backup{}, err
	}
	// Billing prices full and incremental backups apart, by size.
	ev, ok, err := watchEvent(ctx, e, core.TypeBackup, b.ID, string(core.SnapshotAvailable))
	if err != nil {
		return core.Backup{}, err
	}
	if ok && (ev.Attributes.BackupKind != k || ev.Attributes.SizeGB != b.SizeGB) {
		return core.Backup{}, Failf("event %s of backup %s: backup_kind %q, size_gb %d; want %s, %d",
			ev.ID, b.ID, ev.Attributes.BackupKind, ev.Attributes.SizeGB, k, b.SizeGB)
	}
	return b, nil
}

func volCheckBackups(ctx context.Context, e *Env) error {
	v, err := volNew(ctx, e, 2)
	if err != nil {
		return err
	}
	full, err := volBackup(ctx, e, v, core.BackupFull)
	if err != nil {
		return err
	}
	if full.ParentID != "" {
		return Failf("full backup %s: parent_id %q, want none", full.ID, full.ParentID)
	}
	if full.SizeGB != v.SizeGB {
		return Failf("full backup %s: %d GB of a %d GB volume", full.ID, full.SizeGB, v.SizeGB)
	}
	inc, err := volBackup(ctx, e, v, core.BackupIncremental)
	if err != nil {
		return err
	}
	if inc.ParentID != full.ID {
		return Failf("incremental backup %s: parent_id %q, want the full backup %s", inc.ID, inc.ParentID, full.ID)
	}
	if inc.SizeGB > full.SizeGB {
		return Failf("incremental backup %s: %d GB, more than its full backup's %d", inc.ID, inc.SizeGB, full.SizeGB)
	}
	bs, err := e.Driver.ListBackups(ctx, netOpts(e))
	if err != nil {
		return err
	}
	for _, id := range []string{full.ID, inc.ID} {
		if !slices.ContainsFunc(bs, func(x core.Backup) bool { return x.ID == id }) {
			return Failf("list: backup %s missing", id)
		}
	}
	if err := WantKind("delete a full backup an incremental one builds on", e.Driver.DeleteBackup(ctx, full.ID), core.Conflict); err != nil {
		return err
	}
	for _, id := range []string{inc.ID, full.ID} {
		if err := e.Driver.DeleteBackup(ctx, id); err != nil {
			return fmt.Errorf("delete backup %s: %w", id, err)
		}
		if err := waitGone(ctx, e, "backup "+id, func(ctx context.Context) error { _, err := e.Driver.GetBackup(ctx, id); return err }); err != nil {
			return err
		}
	}
	return nil
}
