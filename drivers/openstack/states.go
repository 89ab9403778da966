package openstack

import "github.com/gisiaas/gisiaas/core"

// The tables below map each OpenStack service's native states into core's
// normalized sets. Billing reads only the normalized state (docs/billing.md:
// a server bills while ACTIVE, REBOOT, RESIZE, VERIFY_RESIZE or MIGRATING; a
// volume while available, in-use, attaching, detaching or extending; …), so
// every choice below is also a choice about what is billed. The caller keeps
// the native value in NativeStatus, so nothing is lost when several native
// states share one normalized state. A native state missing from a table
// becomes UNKNOWN through core.MapState, never a panic, and bills nothing.

// novaServerStates maps Nova's server "status" (the API's summary of vm_state
// and task_state, nova/api/openstack/common.py) to core's server states.
var novaServerStates = map[string]core.ServerStatus{
	"ACTIVE":        core.ServerActive,
	"BUILD":         core.ServerBuild,
	"SHUTOFF":       core.ServerShutoff,
	"REBOOT":        core.ServerReboot,
	"HARD_REBOOT":   core.ServerReboot, // core has one reboot state; the kind of reboot is in NativeStatus
	"RESIZE":        core.ServerResize,
	"VERIFY_RESIZE": core.ServerVerifyResize,
	// A revert is a resize running backwards: the server is moving between
	// hosts and flavors until it is ACTIVE again on the old one, so it is a
	// RESIZE (billed as one) rather than VERIFY_RESIZE, which would invite a
	// second confirm or revert that Nova refuses while the revert runs.
	"REVERT_RESIZE": core.ServerResize,
	"MIGRATING":     core.ServerMigrating,
	"ERROR":         core.ServerError,
	"SOFT_DELETED":  core.ServerSoftDeleted,
	"DELETED":       core.ServerDeleted,
	// PAUSED (guest frozen in the host's memory), SUSPENDED (guest saved to
	// disk) and SHELVED (snapshotted and powered off, still on its host) all
	// mean the guest does not run and answers nothing, and the standard's
	// "start" brings each back: SHUTOFF is the state a gisiaas user means by
	// that, and SHUTOFF bills only the server's volumes and public IP, as a
	// stopped server does. Nova keeps the host's resources reserved in these
	// states (as it does for SHUTOFF); an operator who wants them billed
	// changes billing's rules, not this mapping. The driver's StartServer has
	// to pick the Nova action from NativeStatus (unpause, resume, unshelve,
	// start), since os-start answers 409 for all but SHUTOFF.
	"PAUSED":    core.ServerShutoff,
	"SUSPENDED": core.ServerShutoff,
	"SHELVED":   core.ServerShutoff,
	// SHELVED_OFFLOADED has left its host (no placement allocation); it is
	// still a server the user can start (unshelve), so SHUTOFF, not DELETED.
	"SHELVED_OFFLOADED": core.ServerShutoff,
	// RESCUE runs a rescue image in the server's place on its host, with its
	// flavor's CPU and memory: the server runs and is billed as ACTIVE.
	"RESCUE": core.ServerActive,
	// PASSWORD is an ACTIVE server whose admin password is being changed.
	"PASSWORD": core.ServerActive,
	// REBUILD re-creates the server's disk from an image and boots it again:
	// until it is ACTIVE the server is being built, as after a create.
	"REBUILD": core.ServerBuild,
	// Nova's own UNKNOWN (the compute host does not report) is deliberately
	// absent: it falls through to core's UNKNOWN with "UNKNOWN" kept.
}

// serverState is the normalized state of a Nova server from its status and,
// where it changes the answer, its OS-EXT-STS:task_state (admin-or-owner
// visible; "" when the cloud hides it). Nova already folds most task states
// into the status (REBOOT, RESIZE, MIGRATING, REBUILD, REVERT_RESIZE, …);
// the one it does not is an unshelve of an offloaded server, which schedules
// and spawns the server anew while the status stays SHELVED_OFFLOADED.
// Reporting BUILD there tells a caller waiting on a start that it is under
// way; both states bill nothing, so billing does not see the difference.
// Other task states (deleting, powering-off, image_uploading, …) leave the
// status's meaning true until Nova changes the status itself.
func serverState(status, taskState string) core.ServerStatus {
	if status == "SHELVED_OFFLOADED" && (taskState == "unshelving" || taskState == "spawning") {
		return core.ServerBuild
	}
	return core.MapState(novaServerStates, status)
}

// cinderVolumeStates maps Cinder's volume status. Statuses whose meaning
// depends on whether the volume is attached are not here; see
// cinderBusyVolumeStates.
var cinderVolumeStates = map[string]core.VolumeStatus{
	"creating":  core.VolumeCreating,
	"available": core.VolumeAvailable,
	// reserved: an attachment exists but is not connected yet (the attach
	// flow of API 3.27+ goes reserved → attaching → in-use). It is on its way
	// to in-use, so attaching. It is also where the volumes of a
	// SHELVED_OFFLOADED server rest; attaching and in-use bill alike, so the
	// only cost of that is a label.
	"reserved":  core.VolumeAttaching,
	"attaching": core.VolumeAttaching,
	"in-use":    core.VolumeInUse,
	"detaching": core.VolumeDetaching,
	"extending": core.VolumeExtending,
	"deleting":  core.VolumeDeleting,
	"error":     core.VolumeError,
	// Every failed operation is an error state: Cinder refuses most actions
	// until an admin resets the status, which is what core's error means.
	"error_deleting":   core.VolumeError,
	"error_extending":  core.VolumeError,
	"error_restoring":  core.VolumeError,
	"error_backing-up": core.VolumeError,
	"error_managing":   core.VolumeError,
	// downloading: a volume created from an image while the image is copied
	// in (creating → downloading → available); it is still being created.
	"downloading": core.VolumeCreating,
	// managing: an existing backend volume being adopted by Cinder; it
	// becomes a gisiaas volume only once available.
	"managing": core.VolumeCreating,
	// Cinder never lists a deleted volume (it answers 404), but its
	// notifications and the changes-since polling of the event source do.
	"deleted": core.VolumeDeleted,
}

// cinderBusyVolumeStates are statuses of a volume that exists, keeps its
// data and is busy with a long operation. Core has no "busy" state, so the
// volume is shown as what it is underneath: in-use when it has attachments
// (backing-up, uploading and retyping are all allowed on an attached volume)
// and available otherwise. Billing goes on, since the volume keeps its size;
// an action Cinder refuses meanwhile comes back as an error.
var cinderBusyVolumeStates = map[string]bool{
	"maintenance":       true, // locked for migration by an admin
	"backing-up":        true,
	"restoring-backup":  true, // always on a detached volume: Cinder restores only into an available one
	"uploading":         true, // upload to image
	"retyping":          true,
	"awaiting-transfer": true, // always detached: Cinder transfers only available volumes
}

// volumeState is the normalized state of a Cinder volume from its status and
// whether it has attachments (len(volume.Attachments) > 0).
func volumeState(status string, attached bool) core.VolumeStatus {
	if cinderBusyVolumeStates[status] {
		if attached {
			return core.VolumeInUse
		}
		return core.VolumeAvailable
	}
	return core.MapState(cinderVolumeStates, status)
}

// cinderSnapshotStates maps Cinder's snapshot status.
var cinderSnapshotStates = map[string]core.SnapshotStatus{
	"creating":  core.SnapshotCreating,
	"available": core.SnapshotAvailable,
	"deleting":  core.SnapshotDeleting,
	"error":     core.SnapshotError,
	"deleted":   core.SnapshotDeleted,
	// backing-up and restoring (a volume reverted to it) read the snapshot
	// without changing it: it still exists and still bills, so available.
	"backing-up": core.SnapshotAvailable,
	"restoring":  core.SnapshotAvailable,
	// unmanaging: Cinder is letting go of it; to gisiaas it is going away.
	"unmanaging":     core.SnapshotDeleting,
	"error_deleting": core.SnapshotError,
}

// snapshotState is the normalized state of a Cinder volume snapshot.
func snapshotState(status string) core.SnapshotStatus {
	return core.MapState(cinderSnapshotStates, status)
}

// cinderBackupStates maps Cinder's backup status (core uses the snapshot set
// for backups too).
var cinderBackupStates = map[string]core.SnapshotStatus{
	"creating":  core.SnapshotCreating,
	"available": core.SnapshotAvailable,
	"deleting":  core.SnapshotDeleting,
	"error":     core.SnapshotError,
	"deleted":   core.SnapshotDeleted,
	// restoring: a volume is being filled from this backup, which is read,
	// not changed; Cinder sets it back to available when the restore ends,
	// even when the restore fails (the volume takes the error).
	"restoring":      core.SnapshotAvailable,
	"error_deleting": core.SnapshotError,
}

// backupState is the normalized state of a Cinder backup.
func backupState(status string) core.SnapshotStatus {
	return core.MapState(cinderBackupStates, status)
}

// glanceImageStates maps Glance v2's image status.
var glanceImageStates = map[string]core.ImageStatus{
	"queued": core.ImageQueued,
	"saving": core.ImageSaving,
	// uploading (data being staged) and importing (the import task running)
	// are the interoperable-import flow's versions of saving: data is on its
	// way and the image is not usable yet.
	"uploading": core.ImageSaving,
	"importing": core.ImageSaving,
	"active":    core.ImageActive,
	"killed":    core.ImageKilled,
	"deleted":   core.ImageDeleted,
	// pending_delete: deleted by its owner, data scrubbed later (delayed
	// delete). To the user it is gone and it must stop billing: deleted.
	"pending_delete": core.ImageDeleted,
	// deactivated: an admin blocked downloads and boots, but the image keeps
	// its data and comes back with reactivate, no copy made. It still
	// occupies storage, so it stays active (and billed); NativeStatus says
	// why a boot from it fails.
	"deactivated": core.ImageActive,
}

// imageState is the normalized state of a Glance image.
func imageState(status string) core.ImageStatus {
	return core.MapState(glanceImageStates, status)
}

// neutronStates maps the status of Neutron's floating IPs, ports and routers;
// core's network states are Neutron's own names.
var neutronStates = map[string]core.NetStatus{
	"ACTIVE": core.NetActive,
	// DOWN is an allocated object that forwards nothing yet (a floating IP
	// bound to no port, or whose L3 agent has not wired it): it exists and
	// bills (docs/billing.md), so it must not become UNKNOWN.
	"DOWN":  core.NetDown,
	"BUILD": core.NetBuild,
	"ERROR": core.NetError,
	// ALLOCATING: a router being scheduled to an L3 agent.
	"ALLOCATING": core.NetBuild,
	// N/A: ports whose status has no meaning, such as a distributed
	// router's interfaces, bound on every host; they work, so ACTIVE.
	"N/A": core.NetActive,
}

// netState is the normalized state of a Neutron floating IP, port or router.
func netState(status string) core.NetStatus {
	return core.MapState(neutronStates, status)
}

// octaviaStates maps Octavia's provisioning_status, whose names core uses.
// operating_status (ONLINE, OFFLINE, DEGRADED, NO_MONITOR, …) says how the
// members answer, not the load balancer's lifecycle, and is not mapped here.
var octaviaStates = map[string]core.LBStatus{
	"PENDING_CREATE": core.LBPendingCreate,
	"PENDING_UPDATE": core.LBPendingUpdate,
	"PENDING_DELETE": core.LBPendingDelete,
	"ACTIVE":         core.LBActive,
	"DELETED":        core.LBDeleted,
	"ERROR":          core.LBError,
}

// lbState is the normalized state of an Octavia load balancer.
func lbState(provisioningStatus string) core.LBStatus {
	return core.MapState(octaviaStates, provisioningStatus)
}
