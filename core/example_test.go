package core_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/gisiaas/gisiaas/core"
)

// toyCloud stands for a cloud's SDK: server id → the cloud's own state.
type toyCloud map[string]string

// toyDriver offers one operation; core.Unimplemented answers every other
// one with Unsupported, naming its clause.
type toyDriver struct {
	core.Unimplemented
	cloud toyCloud
}

// toyStates maps the cloud's states into the normalized set.
var toyStates = map[string]core.ServerStatus{"running": core.ServerActive, "stopped": core.ServerShutoff}

func (d *toyDriver) GetServer(ctx context.Context, id string) (core.Server, error) {
	native, ok := d.cloud[id]
	if !ok {
		return core.Server{}, core.WithOp("GetServer", core.Errorf(core.NotFound, "server %s not found", id))
	}
	return core.Server{ID: id, Status: core.MapState(toyStates, native), NativeStatus: native}, nil
}

// A driver maps its cloud's states and classifies its failures once; every
// layer above tests the kind and the adapter answers its HTTP status.
func Example() {
	var compute core.Compute = &toyDriver{cloud: toyCloud{"a": "running", "b": "shelved"}}
	ctx := context.Background()

	for _, id := range []string{"a", "b"} {
		s, _ := compute.GetServer(ctx, id)
		fmt.Println(s.ID, s.Status, s.NativeStatus)
	}

	_, err := compute.GetServer(ctx, "c")
	err = fmt.Errorf("dispatch: %w", err)
	fmt.Println(errors.Is(err, core.ErrNotFound), core.KindOf(err).HTTPStatus(), core.MessageOf(err))

	err = compute.LiveMigrateServer(ctx, "a", "host-2")
	fmt.Println(core.KindOf(err).HTTPStatus(), err)
	// Output:
	// a ACTIVE running
	// b UNKNOWN shelved
	// true 404 server c not found
	// 501 LiveMigrateServer: unsupported: LiveMigrateServer (B.2.1.9) is not supported by this driver
}

// Request types validate themselves, so every driver refuses bad input with
// the same InvalidArgument naming the field, and fills the same defaults.
func ExampleServerCreate_Validate() {
	req := core.ServerCreate{Name: "gis-1", FlavorID: "m1.small"}
	err := req.Validate()
	fmt.Println(core.KindOf(err), core.MessageOf(err))

	rule := core.SecurityGroupRuleCreate{GroupID: "sg1", Direction: core.DirectionIngress,
		Protocol: "TCP", RemoteIPPrefix: "10.1.2.3/16"}
	fmt.Println(rule.Validate(), rule.EtherType, rule.Protocol, rule.RemoteIPPrefix)
	// Output:
	// invalid_argument image_id: is required unless a block device is the boot disk
	// <nil> IPv4 tcp 10.1.0.0/16
}

// An image update is all or none: a failing op leaves the image unchanged.
func ExampleApplyImagePatch() {
	img := core.Image{ID: "i1", Name: "roads", Visibility: core.VisibilityPrivate}
	out, err := core.ApplyImagePatch(img, []core.PatchOp{
		{Op: "replace", Path: "/name", Value: "roads-2026"},
		{Op: "add", Path: "/crs", Value: "EPSG:4326"},
	})
	fmt.Println(out.Name, out.Properties["crs"], err)

	_, err = core.ApplyImagePatch(img, []core.PatchOp{
		{Op: "replace", Path: "/name", Value: "x"},
		{Op: "replace", Path: "/checksum", Value: "0"},
	})
	fmt.Println(img.Name, core.KindOf(err), core.MessageOf(err))
	// Output:
	// roads-2026 EPSG:4326 <nil>
	// roads permission_denied patch[1]: attribute "checksum" is read-only
}
