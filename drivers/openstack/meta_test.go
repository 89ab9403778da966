package openstack

import (
	"maps"
	"strings"
	"testing"

	"github.com/gisiaas/gisiaas/core"
)

func TestMetaRoundTrips(t *testing.T) {
	m := core.CreateMeta{ProjectID: "p", DatacenterID: "nova", ClientToken: "tok", Tags: map[string]string{"run": "r1", "team": "gis"}}
	md := createMetadata(m, "os-p", map[string]string{"owner": "alice"})
	tags, dc, rest := metaFromMetadata(md)
	if !maps.Equal(tags, m.Tags) || dc != "nova" || !maps.Equal(rest, map[string]string{"owner": "alice"}) {
		t.Errorf("metadata round trip: tags %v dc %q rest %v", tags, dc, rest)
	}
	if md[metaToken] != tokenTag("os-p", "tok") || !strings.HasPrefix(md[metaToken], tokenTagPrefix) || len(md[metaToken]) > 60 {
		t.Errorf("token digest %q", md[metaToken])
	}
	if tokenTag("os-p", "tok") == tokenTag("os-q", "tok") {
		t.Error("the same token in two projects has one digest")
	}
	ts := createTags(m, "os-p")
	gotTags, gotDC := metaFromTags(append(ts, "someone-elses-tag"))
	if !maps.Equal(gotTags, m.Tags) || gotDC != "nova" {
		t.Errorf("tags round trip: %v %q from %v", gotTags, gotDC, ts)
	}
}

func TestCheckNeutronTags(t *testing.T) {
	// The adapter's intent tag and the conformance run tag must fit.
	ok := core.CreateMeta{DatacenterID: "nova", ClientToken: "f32ab041-6a31-4972-af27-243e1963c728", Tags: map[string]string{
		"gisiaas-conformance-run": "0123456789abcdef", "gisiaas:intent": "f32ab041-6a31-4972-af27-243e1963c728"}}
	if err := checkNeutronTags("CreateRouter", ok); err != nil {
		t.Errorf("a run tag was refused: %v", err)
	}
	long := core.CreateMeta{Tags: map[string]string{"cost-centre": strings.Repeat("x", 250)}}
	if err := checkNeutronTags("CreateRouter", long); core.KindOf(err) != core.InvalidArgument {
		t.Errorf("a 73-character tag: %v, want invalid_argument", err)
	}
}
