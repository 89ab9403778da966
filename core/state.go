package core

// Normalized states: one set per resource type for every cloud. Mapping a
// cloud's own states into these is the driver's job; a native state with no
// mapping becomes StateUnknown and the native value is kept beside it.

// StateUnknown is the state of a resource whose native state has no mapping.
const StateUnknown = "UNKNOWN"

// StateDeleted is the to-state of the last event of any resource.
const StateDeleted = "DELETED"

// ServerStatus is a normalized server state.
type ServerStatus string

// Server states.
const (
	ServerBuild        ServerStatus = "BUILD"
	ServerActive       ServerStatus = "ACTIVE"
	ServerShutoff      ServerStatus = "SHUTOFF"
	ServerReboot       ServerStatus = "REBOOT"
	ServerResize       ServerStatus = "RESIZE"
	ServerVerifyResize ServerStatus = "VERIFY_RESIZE"
	ServerMigrating    ServerStatus = "MIGRATING"
	ServerError        ServerStatus = "ERROR"
	ServerSoftDeleted  ServerStatus = "SOFT_DELETED"
	ServerDeleted      ServerStatus = "DELETED"
	ServerUnknown      ServerStatus = StateUnknown
)

// VolumeStatus is a normalized volume state (Cinder's names).
type VolumeStatus string

// Volume states.
const (
	VolumeCreating  VolumeStatus = "creating"
	VolumeAvailable VolumeStatus = "available"
	VolumeAttaching VolumeStatus = "attaching"
	VolumeInUse     VolumeStatus = "in-use"
	VolumeDetaching VolumeStatus = "detaching"
	VolumeExtending VolumeStatus = "extending"
	VolumeDeleting  VolumeStatus = "deleting"
	VolumeError     VolumeStatus = "error"
	VolumeDeleted   VolumeStatus = "deleted"
	VolumeUnknown   VolumeStatus = StateUnknown
)

// ImageStatus is a normalized image state (Glance's names).
type ImageStatus string

// Image states.
const (
	ImageQueued  ImageStatus = "queued"
	ImageSaving  ImageStatus = "saving"
	ImageActive  ImageStatus = "active"
	ImageKilled  ImageStatus = "killed"
	ImageDeleted ImageStatus = "deleted"
	ImageUnknown ImageStatus = StateUnknown
)

// SnapshotStatus is the state of a volume snapshot or a backup.
type SnapshotStatus string

// Snapshot and backup states.
const (
	SnapshotCreating  SnapshotStatus = "creating"
	SnapshotAvailable SnapshotStatus = "available"
	SnapshotDeleting  SnapshotStatus = "deleting"
	SnapshotError     SnapshotStatus = "error"
	SnapshotDeleted   SnapshotStatus = "deleted"
	SnapshotUnknown   SnapshotStatus = StateUnknown
)

// NetStatus is the state of a network object: floating IP, public IP,
// router, port (Neutron's names).
type NetStatus string

// Network object states.
const (
	NetActive  NetStatus = "ACTIVE"
	NetDown    NetStatus = "DOWN"
	NetBuild   NetStatus = "BUILD"
	NetError   NetStatus = "ERROR"
	NetDeleted NetStatus = "DELETED"
	NetUnknown NetStatus = StateUnknown
)

// LBStatus is a load balancer's provisioning state (Octavia's names).
type LBStatus string

// Load balancer states.
const (
	LBPendingCreate LBStatus = "PENDING_CREATE"
	LBPendingUpdate LBStatus = "PENDING_UPDATE"
	LBPendingDelete LBStatus = "PENDING_DELETE"
	LBActive        LBStatus = "ACTIVE"
	LBError         LBStatus = "ERROR"
	LBDeleted       LBStatus = "DELETED"
	LBUnknown       LBStatus = StateUnknown
)

// ServerStates is every normalized server state, for validation and tests.
var ServerStates = []ServerStatus{ServerBuild, ServerActive, ServerShutoff, ServerReboot, ServerResize,
	ServerVerifyResize, ServerMigrating, ServerError, ServerSoftDeleted, ServerDeleted, ServerUnknown}

// VolumeStates is every normalized volume state.
var VolumeStates = []VolumeStatus{VolumeCreating, VolumeAvailable, VolumeAttaching, VolumeInUse,
	VolumeDetaching, VolumeExtending, VolumeDeleting, VolumeError, VolumeDeleted, VolumeUnknown}

// MapState maps a cloud's native state through table; a state the table does
// not know becomes StateUnknown and the caller keeps native beside it.
func MapState[S ~string](table map[string]S, native string) S {
	if s, ok := table[native]; ok {
		return s
	}
	return S(StateUnknown)
}
