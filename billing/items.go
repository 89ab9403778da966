package billing

import (
	"strings"

	"github.com/cockroachdb/apd/v3"

	"github.com/gisiaas/gisiaas/core"
)

// Billable item keys (BL.2). Unit prices are per hour of one unit.
const (
	ItemServerFlavorPrefix = "server.flavor." // + flavor id: a price for that flavor
	ItemServerVCPU         = "server.vcpu"
	ItemServerMemoryGB     = "server.memory_gb"
	ItemVolumeGBPrefix     = "volume.gb." // + volume type
	ItemImageGB            = "image.gb"
	ItemServerSnapshotGB   = "server_snapshot.gb"
	ItemVolumeSnapshotGB   = "volume_snapshot.gb"
	ItemBackupFullGB       = "backup.full.gb"
	ItemBackupIncrementGB  = "backup.incremental.gb"
	ItemPublicIP           = "public_ip"
	ItemRouter             = "router"
)

// FixedItems are the item keys without a flavor or volume type suffix.
var FixedItems = []string{ItemServerVCPU, ItemServerMemoryGB, ItemImageGB, ItemServerSnapshotGB,
	ItemVolumeSnapshotGB, ItemBackupFullGB, ItemBackupIncrementGB, ItemPublicIP, ItemRouter}

// ValidItem reports whether key names a billable item.
func ValidItem(key string) bool {
	for _, k := range FixedItems {
		if key == k {
			return true
		}
	}
	for _, p := range []string{ItemServerFlavorPrefix, ItemVolumeGBPrefix} {
		if rest, ok := strings.CutPrefix(key, p); ok && rest != "" && len(key) <= 255 {
			return true
		}
	}
	return false
}

// Usage is what a resource consumes per hour in one state: Quantity units
// of Item. When the price list has no price for Item, Else is used instead
// (a server priced by vCPU and memory when its flavor has no price).
type Usage struct {
	Item     string
	Quantity *apd.Decimal
	Else     []Usage
}

// bytesPerGB is a GiB, the unit OpenStack calls GB.
var bytesPerGB = apd.New(1<<30, 0)

// usageOf is what a resource of type typ consumes in state with attrs,
// following BL.2 and BL.3:
//   - a server bills its flavor (or vCPU + memory) while it runs — ACTIVE,
//     rebooting, resizing, migrating — and nothing while building, stopped
//     (SHUTOFF), in error, soft-deleted or in an unknown state: its volumes
//     and public IP are resources of their own and bill by their own rules;
//   - a volume bills its size by type while it exists (not while creating,
//     deleting or in error), attached or not, whatever its server does;
//   - an image bills its size while active; a server snapshot (an image of
//     type snapshot) as server_snapshot.gb; a server booted from a snapshot
//     bills its flavor, and the snapshot bills on its own (BL.3);
//   - a volume snapshot and a backup bill their size while available;
//   - a public IP and a router bill one unit while they exist (ACTIVE or
//     DOWN); a public IP bound to a soft-deleted server is handled by the
//     rater, which knows the server's timeline.
func usageOf(typ core.ResourceType, state string, a core.EventAttributes) []Usage {
	one := apd.New(1, 0)
	switch typ {
	case core.TypeServer:
		switch core.ServerStatus(state) {
		case core.ServerActive, core.ServerReboot, core.ServerResize, core.ServerVerifyResize, core.ServerMigrating:
		default:
			return nil
		}
		var memGB apd.Decimal
		_, _ = exact.Quo(&memGB, apd.New(a.MemoryMB, 0), apd.New(1024, 0))
		byParts := []Usage{{Item: ItemServerVCPU, Quantity: apd.New(a.VCPUs, 0)}, {Item: ItemServerMemoryGB, Quantity: &memGB}}
		if a.FlavorID == "" {
			return byParts
		}
		return []Usage{{Item: ItemServerFlavorPrefix + a.FlavorID, Quantity: one, Else: byParts}}
	case core.TypeVolume:
		switch core.VolumeStatus(state) {
		case core.VolumeAvailable, core.VolumeInUse, core.VolumeAttaching, core.VolumeDetaching, core.VolumeExtending:
			return []Usage{{Item: ItemVolumeGBPrefix + a.VolumeType, Quantity: apd.New(a.SizeGB, 0)}}
		}
	case core.TypeImage:
		if core.ImageStatus(state) != core.ImageActive {
			return nil
		}
		var gb apd.Decimal
		_, _ = exact.Quo(&gb, apd.New(a.ImageSizeBytes, 0), bytesPerGB)
		item := ItemImageGB
		if a.ImageType == core.ImageTypeSnapshot {
			item = ItemServerSnapshotGB
		}
		return []Usage{{Item: item, Quantity: &gb}}
	case core.TypeVolumeSnapshot:
		if core.SnapshotStatus(state) == core.SnapshotAvailable {
			return []Usage{{Item: ItemVolumeSnapshotGB, Quantity: apd.New(a.SizeGB, 0)}}
		}
	case core.TypeBackup:
		if core.SnapshotStatus(state) == core.SnapshotAvailable {
			item := ItemBackupFullGB
			if a.BackupKind == core.BackupIncremental {
				item = ItemBackupIncrementGB
			}
			return []Usage{{Item: item, Quantity: apd.New(a.SizeGB, 0)}}
		}
	case core.TypePublicIP:
		if s := core.NetStatus(state); s == core.NetActive || s == core.NetDown {
			return []Usage{{Item: ItemPublicIP, Quantity: one}}
		}
	case core.TypeRouter:
		if s := core.NetStatus(state); s == core.NetActive || s == core.NetDown {
			return []Usage{{Item: ItemRouter, Quantity: one}}
		}
	}
	return nil
}

// IsBillableType reports whether resources of typ are ever billed.
func IsBillableType(typ core.ResourceType) bool {
	switch typ {
	case core.TypeServer, core.TypeVolume, core.TypeImage, core.TypeVolumeSnapshot, core.TypeBackup, core.TypePublicIP, core.TypeRouter:
		return true
	}
	return false
}
