package libvirt

import (
	"testing"

	"github.com/gisiaas/gisiaas/core"
)

// Every clause a driver does not declare has a reason for the report, and
// the test driver declares what its hypervisor can do, nothing more.
func TestCapabilitiesOfTheTestDriver(t *testing.T) {
	d := newTestDriver(t)
	info, err := d.Info(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []core.Clause{core.ClauseImageUpload, core.ClauseVolumeExtend, core.ClauseServerLiveMigrate, core.ClauseSecGroupCreate} {
		if info.Supports(c) {
			t.Errorf("%s declared on test:///default", c)
		}
	}
	reasons := UnsupportedReasons(info.Capabilities)
	for _, c := range core.Clauses {
		_, has := reasons[c.ID]
		if has == info.Supports(c.ID) {
			t.Errorf("%s: declared %v, reason %q", c.ID, info.Supports(c.ID), reasons[c.ID])
		}
	}
	wantKind(t, "live migration on one host", d.LiveMigrateServer(testCtx(t), "x", "y"), core.Unsupported)
}
