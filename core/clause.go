package core

import "sort"

// Clause is the ID of one clause of the specification (see docs/spec.md),
// e.g. "B.2.1.7". A driver declares its capabilities as a set of clauses.
type Clause string

// Level says whether a clause is a floor every driver must meet or an
// optional extension.
type Level string

// Clause levels.
const (
	Must      Level = "must"
	Extension Level = "extension"
)

// ClauseInfo describes one clause of Part A or of the extensions X.1–X.3.
type ClauseInfo struct {
	ID      Clause
	Title   string
	Level   Level
	Section string // where the standard states it
}

// The driver-facing clauses. General clauses A.0.x belong to the HTTP API
// and are not capabilities of a driver.
const (
	ClauseAuth               Clause = "B.1.1"
	ClauseDatacenters        Clause = "B.1.2"
	ClauseComputeQuota       Clause = "B.1.3.1"
	ClauseVolumeQuota        Clause = "B.1.3.2"
	ClauseServerCreate       Clause = "B.2.1.1"
	ClauseServerDelete       Clause = "B.2.1.2"
	ClauseServerShow         Clause = "B.2.1.3"
	ClauseServerUpdate       Clause = "B.2.1.4"
	ClauseServerStart        Clause = "B.2.1.5"
	ClauseServerStop         Clause = "B.2.1.6"
	ClauseServerReboot       Clause = "B.2.1.7"
	ClauseServerList         Clause = "B.2.1.8"
	ClauseServerLiveMigrate  Clause = "B.2.1.9"
	ClauseServerResize       Clause = "B.2.1.10"
	ClauseFlavorCreate       Clause = "B.2.2.1"
	ClauseFlavorDelete       Clause = "B.2.2.2"
	ClauseFlavorShow         Clause = "B.2.2.3"
	ClauseFlavorList         Clause = "B.2.2.4"
	ClauseImageCreate        Clause = "B.2.3.1"
	ClauseImageUpload        Clause = "B.2.3.2"
	ClauseImageDelete        Clause = "B.2.3.3"
	ClauseImageShow          Clause = "B.2.3.4"
	ClauseImageUpdate        Clause = "B.2.3.5"
	ClauseImageList          Clause = "B.2.3.6"
	ClauseNetworkList        Clause = "B.3.1.1"
	ClauseFloatingIPCreate   Clause = "B.3.2.1"
	ClauseFloatingIPDelete   Clause = "B.3.2.2"
	ClauseFloatingIPUpdate   Clause = "B.3.2.3"
	ClauseFloatingIPShow     Clause = "B.3.2.4"
	ClausePublicIPCreate     Clause = "B.3.3.1"
	ClausePublicIPBind       Clause = "B.3.3.2"
	ClausePublicIPUnbind     Clause = "B.3.3.3"
	ClausePublicIPShow       Clause = "B.3.3.4"
	ClausePublicIPDelete     Clause = "B.3.3.5"
	ClauseLBCreate           Clause = "B.3.4.1"
	ClauseLBDelete           Clause = "B.3.4.2"
	ClauseLBShow             Clause = "B.3.4.3"
	ClauseLBList             Clause = "B.3.4.4"
	ClauseLBAddMember        Clause = "B.3.4.5"
	ClauseLBRemoveMember     Clause = "B.3.4.6"
	ClauseSecGroupCreate     Clause = "B.3.5.1"
	ClauseSecGroupDelete     Clause = "B.3.5.2"
	ClauseSecGroupShow       Clause = "B.3.5.3"
	ClauseSecGroupRuleCreate Clause = "B.3.5.4"
	ClauseSecGroupRuleDelete Clause = "B.3.5.5"
	ClauseVolumeCreate       Clause = "B.4.1.1"
	ClauseVolumeDelete       Clause = "B.4.1.2"
	ClauseVolumeShow         Clause = "B.4.1.3"
	ClauseVolumeAttach       Clause = "B.4.1.4"
	ClauseVolumeDetach       Clause = "B.4.1.5"
	ClauseVolumeExtend       Clause = "B.4.1.6"
	ClauseVolumeSnapshots    Clause = "X.1"
	ClauseVolumeBackups      Clause = "X.2"
	ClauseRouters            Clause = "X.3"
)

// Clauses is every clause of Part A (driver-facing) and X.1–X.3, in order.
var Clauses = []ClauseInfo{
	{ClauseAuth, "Authentication", Must, "B.1.1"},
	{ClauseDatacenters, "List datacenters", Must, "B.1.2"},
	{ClauseComputeQuota, "Compute quota", Must, "B.1.3.1"},
	{ClauseVolumeQuota, "Volume quota", Must, "B.1.3.2"},
	{ClauseServerCreate, "Create server", Must, "B.2.1.1"},
	{ClauseServerDelete, "Delete server", Must, "B.2.1.2"},
	{ClauseServerShow, "Show server", Must, "B.2.1.3"},
	{ClauseServerUpdate, "Update server", Must, "B.2.1.4"},
	{ClauseServerStart, "Start server", Must, "B.2.1.5"},
	{ClauseServerStop, "Stop server", Must, "B.2.1.6"},
	{ClauseServerReboot, "Reboot server", Must, "B.2.1.7"},
	{ClauseServerList, "List servers", Must, "B.2.1.8"},
	{ClauseServerLiveMigrate, "Live-migrate server", Must, "B.2.1.9"},
	{ClauseServerResize, "Resize server", Must, "B.2.1.10"},
	{ClauseFlavorCreate, "Create flavor", Must, "B.2.2.1"},
	{ClauseFlavorDelete, "Delete flavor", Must, "B.2.2.2"},
	{ClauseFlavorShow, "Show flavor", Must, "B.2.2.3"},
	{ClauseFlavorList, "List flavors", Must, "B.2.2.4"},
	{ClauseImageCreate, "Create image from a server", Must, "B.2.3.1"},
	{ClauseImageUpload, "Upload image data", Must, "B.2.3.2"},
	{ClauseImageDelete, "Delete image", Must, "B.2.3.3"},
	{ClauseImageShow, "Show image", Must, "B.2.3.4"},
	{ClauseImageUpdate, "Update image", Must, "B.2.3.5"},
	{ClauseImageList, "List images", Must, "B.2.3.6"},
	{ClauseNetworkList, "List networks", Must, "B.3.1.1"},
	{ClauseFloatingIPCreate, "Create floating IP", Must, "B.3.2.1"},
	{ClauseFloatingIPDelete, "Delete floating IP", Must, "B.3.2.2"},
	{ClauseFloatingIPUpdate, "Update floating IP", Must, "§6.4"},
	{ClauseFloatingIPShow, "Show / list floating IPs", Must, "§6.4"},
	{ClausePublicIPCreate, "Create public IP", Must, "B.3.3.1"},
	{ClausePublicIPBind, "Bind public IP", Must, "B.3.3.2"},
	{ClausePublicIPUnbind, "Unbind public IP", Must, "B.3.3.3"},
	{ClausePublicIPShow, "Show public IP", Must, "B.3.3.4"},
	{ClausePublicIPDelete, "Delete public IP", Must, "B.3.3.5"},
	{ClauseLBCreate, "Create load balancer", Must, "B.3.4.1"},
	{ClauseLBDelete, "Delete load balancer", Must, "B.3.4.2"},
	{ClauseLBShow, "Show load balancer", Must, "B.3.4.3"},
	{ClauseLBList, "List load balancers", Must, "B.3.4.4"},
	{ClauseLBAddMember, "Add load balancer member", Must, "B.3.4.5"},
	{ClauseLBRemoveMember, "Remove load balancer member", Must, "B.3.4.6"},
	{ClauseSecGroupCreate, "Create security group", Must, "B.3.5.1"},
	{ClauseSecGroupDelete, "Delete security group", Must, "B.3.5.2"},
	{ClauseSecGroupShow, "Show / list security groups", Must, "B.3.5.3"},
	{ClauseSecGroupRuleCreate, "Create security group rule", Must, "B.3.5.4"},
	{ClauseSecGroupRuleDelete, "Delete security group rule", Must, "B.3.5.5"},
	{ClauseVolumeCreate, "Create volume", Must, "B.4.1.1"},
	{ClauseVolumeDelete, "Delete volume", Must, "B.4.1.2"},
	{ClauseVolumeShow, "Show volume", Must, "B.4.1.3"},
	{ClauseVolumeAttach, "Attach volume", Must, "B.4.1.4"},
	{ClauseVolumeDetach, "Detach volume", Must, "B.4.1.5"},
	{ClauseVolumeExtend, "Extend volume", Must, "B.4.1.6"},
	{ClauseVolumeSnapshots, "Volume snapshots", Extension, "billing §2.6"},
	{ClauseVolumeBackups, "Volume backups (full and incremental)", Extension, "billing §2.6"},
	{ClauseRouters, "Routers", Extension, "billing §2.6"},
}

// LookupClause returns the description of id.
func LookupClause(id Clause) (ClauseInfo, bool) {
	for _, c := range Clauses {
		if c.ID == id {
			return c, true
		}
	}
	return ClauseInfo{}, false
}

// AllClauses returns the IDs of every clause, for a driver that supports all.
func AllClauses() []Clause {
	out := make([]Clause, len(Clauses))
	for i, c := range Clauses {
		out[i] = c.ID
	}
	return out
}

// ClauseSet is a set of clauses with cheap membership tests.
type ClauseSet map[Clause]struct{}

// NewClauseSet builds a set from ids.
func NewClauseSet(ids ...Clause) ClauseSet {
	s := make(ClauseSet, len(ids))
	for _, id := range ids {
		s[id] = struct{}{}
	}
	return s
}

// Has reports whether id is in the set.
func (s ClauseSet) Has(id Clause) bool { _, ok := s[id]; return ok }

// Sorted returns the members in the order of Clauses.
func (s ClauseSet) Sorted() []Clause {
	out := make([]Clause, 0, len(s))
	for _, c := range Clauses {
		if s.Has(c.ID) {
			out = append(out, c.ID)
		}
	}
	// Unknown IDs (a newer driver) last, in lexical order.
	var extra []Clause
	for id := range s {
		if _, ok := LookupClause(id); !ok {
			extra = append(extra, id)
		}
	}
	sort.Slice(extra, func(i, j int) bool { return extra[i] < extra[j] })
	return append(out, extra...)
}
