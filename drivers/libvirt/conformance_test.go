package libvirt

import (
	"testing"

	"github.com/gisiaas/gisiaas/conformance"
)

// TestConformanceInProcess runs the suite against the driver as a Go value
// on test:///default: quick feedback; the plugin run in
// cmd/gisiaas-driver-libvirt is the one that counts.
func TestConformanceInProcess(t *testing.T) {
	d := newTestDriver(t)
	rep := conformance.RunDriver(t, d, func(o *conformance.Options) {
		o.Log = func(r conformance.CheckResult) {
			if r.Status != conformance.Pass {
				t.Logf("%-10s %s %s", r.Status, r.ID, r.Message)
			}
		}
	})
	if !rep.Passed() {
		t.Errorf("the libvirt driver does not conform on test:///default")
	}
}
