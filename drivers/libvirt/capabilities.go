package libvirt

import "github.com/gisiaas/gisiaas/core"

// Why a clause is not declared, for the conformance report: by clause, or
// by what the connection lacks.
var (
	reasonNoFloatingIPs = "a KVM host has no floating IPs: libvirt's NAT networks give no per-address mapping from an external network; " +
		"declared unsupported until an operator-managed mapping (nftables DNAT) exists"
	reasonNoPublicIPs = "a KVM host has no pool of public addresses to bind; declared unsupported"
	reasonNoLB        = "libvirt has no load balancer; declared unsupported"
	reasonNoSG        = "security groups are nwfilters, and libvirt's test driver (test:///default) has no nwfilter; declared on hosts that have it (QEMU), where the TCG test proves it"
	reasonNoSnapshots = "volume snapshots and backups are not implemented (qcow2 external snapshots would fit); declared unsupported"
	reasonNoRouters   = "libvirt networks route by themselves (forward mode nat/route); there is no router object to manage"
	reasonUpload      = "libvirt's test driver (test:///default) has no virStorageVolUpload; declared on QEMU hosts, where the TCG test proves it"
	reasonExtend      = "libvirt's test driver (test:///default) has no virStorageVolResize; declared on QEMU hosts, where the TCG test proves it"
	reasonMigrate     = "declared when a datacenter has two hosts whose hypervisor migrates (QEMU), where TestQEMULiveMigration and the suite prove it; libvirt's test driver has no virDomainMigrate"
)

// UnsupportedReasons says why each clause not in declared is not: what
// gisiaas conformance writes beside it in the report.
func UnsupportedReasons(declared []core.Clause) map[core.Clause]string {
	have := core.NewClauseSet(declared...)
	out := map[core.Clause]string{}
	for _, c := range core.Clauses {
		if have.Has(c.ID) {
			continue
		}
		switch c.ID {
		case core.ClauseFloatingIPCreate, core.ClauseFloatingIPDelete, core.ClauseFloatingIPUpdate, core.ClauseFloatingIPShow:
			out[c.ID] = reasonNoFloatingIPs
		case core.ClausePublicIPCreate, core.ClausePublicIPBind, core.ClausePublicIPUnbind, core.ClausePublicIPShow, core.ClausePublicIPDelete:
			out[c.ID] = reasonNoPublicIPs
		case core.ClauseLBCreate, core.ClauseLBDelete, core.ClauseLBShow, core.ClauseLBList, core.ClauseLBAddMember, core.ClauseLBRemoveMember:
			out[c.ID] = reasonNoLB
		case core.ClauseSecGroupCreate, core.ClauseSecGroupDelete, core.ClauseSecGroupShow, core.ClauseSecGroupRuleCreate, core.ClauseSecGroupRuleDelete:
			out[c.ID] = reasonNoSG
		case core.ClauseVolumeSnapshots, core.ClauseVolumeBackups:
			out[c.ID] = reasonNoSnapshots
		case core.ClauseRouters:
			out[c.ID] = reasonNoRouters
		case core.ClauseImageUpload:
			out[c.ID] = reasonUpload
		case core.ClauseVolumeExtend:
			out[c.ID] = reasonExtend
		case core.ClauseServerLiveMigrate:
			out[c.ID] = reasonMigrate
		default:
			out[c.ID] = "not declared by this connection"
		}
	}
	return out
}
