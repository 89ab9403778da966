package openstack

import (
	"slices"
	"testing"

	"github.com/gisiaas/gisiaas/core"
)

func TestServerState(t *testing.T) {
	cases := []struct {
		status, task string
		want         core.ServerStatus
	}{
		{"ACTIVE", "", core.ServerActive},
		{"BUILD", "", core.ServerBuild},
		{"BUILD", "spawning", core.ServerBuild},
		{"SHUTOFF", "", core.ServerShutoff},
		{"SHUTOFF", "powering-on", core.ServerShutoff},
		{"REBOOT", "", core.ServerReboot},
		{"HARD_REBOOT", "", core.ServerReboot},
		{"RESIZE", "", core.ServerResize},
		{"VERIFY_RESIZE", "", core.ServerVerifyResize},
		{"REVERT_RESIZE", "resize_reverting", core.ServerResize},
		{"MIGRATING", "migrating", core.ServerMigrating},
		{"ERROR", "", core.ServerError},
		{"SOFT_DELETED", "", core.ServerSoftDeleted},
		{"DELETED", "", core.ServerDeleted},
		{"PAUSED", "", core.ServerShutoff},
		{"SUSPENDED", "", core.ServerShutoff},
		{"SHELVED", "", core.ServerShutoff},
		{"SHELVED", "unshelving", core.ServerShutoff}, // a power-on, not a new build
		{"SHELVED_OFFLOADED", "", core.ServerShutoff},
		{"SHELVED_OFFLOADED", "unshelving", core.ServerBuild},
		{"SHELVED_OFFLOADED", "spawning", core.ServerBuild},
		{"RESCUE", "", core.ServerActive},
		{"PASSWORD", "updating_password", core.ServerActive},
		{"REBUILD", "rebuilding", core.ServerBuild},
		{"ACTIVE", "deleting", core.ServerActive}, // runs until Nova says DELETED
		{"UNKNOWN", "", core.ServerUnknown},       // Nova's own: host not reporting
		{"FROZEN", "", core.ServerUnknown},        // a state this code does not know
		{"active", "", core.ServerUnknown},        // Nova's statuses are upper case; no guessing
		{"", "", core.ServerUnknown},
	}
	for _, c := range cases {
		if got := serverState(c.status, c.task); got != c.want {
			t.Errorf("serverState(%q, %q) = %q, want %q", c.status, c.task, got, c.want)
		}
	}
}

func TestVolumeState(t *testing.T) {
	cases := []struct {
		status   string
		attached bool
		want     core.VolumeStatus
	}{
		{"creating", false, core.VolumeCreating},
		{"available", false, core.VolumeAvailable},
		{"reserved", true, core.VolumeAttaching},
		{"attaching", true, core.VolumeAttaching},
		{"in-use", true, core.VolumeInUse},
		{"detaching", true, core.VolumeDetaching},
		{"extending", false, core.VolumeExtending},
		{"deleting", false, core.VolumeDeleting},
		{"deleted", false, core.VolumeDeleted},
		{"error", false, core.VolumeError},
		{"error_deleting", false, core.VolumeError},
		{"error_extending", false, core.VolumeError},
		{"error_restoring", false, core.VolumeError},
		{"error_backing-up", false, core.VolumeError},
		{"error_managing", false, core.VolumeError},
		{"downloading", false, core.VolumeCreating},
		{"managing", false, core.VolumeCreating},
		{"maintenance", false, core.VolumeAvailable},
		{"maintenance", true, core.VolumeInUse},
		{"backing-up", false, core.VolumeAvailable},
		{"backing-up", true, core.VolumeInUse},
		{"restoring-backup", false, core.VolumeAvailable},
		{"uploading", false, core.VolumeAvailable},
		{"uploading", true, core.VolumeInUse},
		{"retyping", false, core.VolumeAvailable},
		{"retyping", true, core.VolumeInUse},
		{"awaiting-transfer", false, core.VolumeAvailable},
		{"migrating", false, core.VolumeUnknown},
		{"", false, core.VolumeUnknown},
	}
	for _, c := range cases {
		if got := volumeState(c.status, c.attached); got != c.want {
			t.Errorf("volumeState(%q, attached=%v) = %q, want %q", c.status, c.attached, got, c.want)
		}
	}
}

func TestSnapshotAndBackupState(t *testing.T) {
	snapshots := []struct {
		status string
		want   core.SnapshotStatus
	}{
		{"creating", core.SnapshotCreating},
		{"available", core.SnapshotAvailable},
		{"backing-up", core.SnapshotAvailable},
		{"restoring", core.SnapshotAvailable},
		{"deleting", core.SnapshotDeleting},
		{"unmanaging", core.SnapshotDeleting},
		{"deleted", core.SnapshotDeleted},
		{"error", core.SnapshotError},
		{"error_deleting", core.SnapshotError},
		{"frozen", core.SnapshotUnknown},
	}
	for _, c := range snapshots {
		if got := snapshotState(c.status); got != c.want {
			t.Errorf("snapshotState(%q) = %q, want %q", c.status, got, c.want)
		}
	}
	backups := []struct {
		status string
		want   core.SnapshotStatus
	}{
		{"creating", core.SnapshotCreating},
		{"available", core.SnapshotAvailable},
		{"restoring", core.SnapshotAvailable},
		{"deleting", core.SnapshotDeleting},
		{"deleted", core.SnapshotDeleted},
		{"error", core.SnapshotError},
		{"error_deleting", core.SnapshotError},
		{"backing-up", core.SnapshotUnknown}, // a snapshot's status, never a backup's
	}
	for _, c := range backups {
		if got := backupState(c.status); got != c.want {
			t.Errorf("backupState(%q) = %q, want %q", c.status, got, c.want)
		}
	}
}

func TestImageState(t *testing.T) {
	cases := []struct {
		status string
		want   core.ImageStatus
	}{
		{"queued", core.ImageQueued},
		{"saving", core.ImageSaving},
		{"uploading", core.ImageSaving},
		{"importing", core.ImageSaving},
		{"active", core.ImageActive},
		{"deactivated", core.ImageActive},
		{"killed", core.ImageKilled},
		{"deleted", core.ImageDeleted},
		{"pending_delete", core.ImageDeleted},
		{"ACTIVE", core.ImageUnknown},
		{"", core.ImageUnknown},
	}
	for _, c := range cases {
		if got := imageState(c.status); got != c.want {
			t.Errorf("imageState(%q) = %q, want %q", c.status, got, c.want)
		}
	}
}

func TestNetState(t *testing.T) {
	cases := []struct {
		status string
		want   core.NetStatus
	}{
		{"ACTIVE", core.NetActive},
		{"DOWN", core.NetDown},
		{"BUILD", core.NetBuild},
		{"ERROR", core.NetError},
		{"ALLOCATING", core.NetBuild},
		{"N/A", core.NetActive},
		{"PENDING", core.NetUnknown},
		{"", core.NetUnknown},
	}
	for _, c := range cases {
		if got := netState(c.status); got != c.want {
			t.Errorf("netState(%q) = %q, want %q", c.status, got, c.want)
		}
	}
}

func TestLBState(t *testing.T) {
	cases := []struct {
		status string
		want   core.LBStatus
	}{
		{"PENDING_CREATE", core.LBPendingCreate},
		{"PENDING_UPDATE", core.LBPendingUpdate},
		{"PENDING_DELETE", core.LBPendingDelete},
		{"ACTIVE", core.LBActive},
		{"DELETED", core.LBDeleted},
		{"ERROR", core.LBError},
		{"ONLINE", core.LBUnknown}, // an operating_status, not a provisioning one
		{"", core.LBUnknown},
	}
	for _, c := range cases {
		if got := lbState(c.status); got != c.want {
			t.Errorf("lbState(%q) = %q, want %q", c.status, got, c.want)
		}
	}
}

// TestStateTablesTargetCoreStates guards against a table entry naming a state
// core does not define (a typo would pass the compiler, as the types are
// strings underneath) and against a table mapping anything to UNKNOWN, which
// is core.MapState's job alone.
func TestStateTablesTargetCoreStates(t *testing.T) {
	for native, s := range novaServerStates {
		if !slices.Contains(core.ServerStates, s) || s == core.ServerUnknown {
			t.Errorf("Nova %q maps to %q", native, s)
		}
	}
	for native, s := range cinderVolumeStates {
		if !slices.Contains(core.VolumeStates, s) || s == core.VolumeUnknown {
			t.Errorf("Cinder volume %q maps to %q", native, s)
		}
	}
	for native := range cinderBusyVolumeStates {
		if _, dup := cinderVolumeStates[native]; dup {
			t.Errorf("Cinder volume %q is in both tables", native)
		}
	}
	snapshotSet := []core.SnapshotStatus{core.SnapshotCreating, core.SnapshotAvailable, core.SnapshotDeleting,
		core.SnapshotError, core.SnapshotDeleted}
	for _, table := range []map[string]core.SnapshotStatus{cinderSnapshotStates, cinderBackupStates} {
		for native, s := range table {
			if !slices.Contains(snapshotSet, s) {
				t.Errorf("Cinder %q maps to %q", native, s)
			}
		}
	}
	imageSet := []core.ImageStatus{core.ImageQueued, core.ImageSaving, core.ImageActive, core.ImageKilled, core.ImageDeleted}
	for native, s := range glanceImageStates {
		if !slices.Contains(imageSet, s) {
			t.Errorf("Glance %q maps to %q", native, s)
		}
	}
	netSet := []core.NetStatus{core.NetActive, core.NetDown, core.NetBuild, core.NetError, core.NetDeleted}
	for native, s := range neutronStates {
		if !slices.Contains(netSet, s) {
			t.Errorf("Neutron %q maps to %q", native, s)
		}
	}
	lbSet := []core.LBStatus{core.LBPendingCreate, core.LBPendingUpdate, core.LBPendingDelete, core.LBActive,
		core.LBError, core.LBDeleted}
	for native, s := range octaviaStates {
		if !slices.Contains(lbSet, s) {
			t.Errorf("Octavia %q maps to %q", native, s)
		}
	}
}
