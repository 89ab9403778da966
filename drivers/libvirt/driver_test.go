package libvirt

import (
	"context"
	"errors"
	"testing"

	lv "libvirt.org/go/libvirt"

	"github.com/gisiaas/gisiaas/core"
)

func TestDriver_InfoHealthClose(t *testing.T) {
	d := newTestDriver(t)
	ctx := context.Background()
	info, err := d.Info(ctx)
	if err != nil || info.Name != "libvirt" || info.Version != Version || !info.CanReplay || info.StateTimeout <= 0 {
		t.Fatalf("Info: %+v %v", info, err)
	}
	if err := d.Health(ctx); err != nil {
		t.Fatalf("Health: %v", err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("a second Close: %v", err)
	}
	wantKind(t, "Health after Close", d.Health(ctx), core.Unavailable)
	wantKind(t, "Watch after Close", d.Watch(ctx, "", func(core.Event) error { return nil }), core.Unavailable)
	_, err = d.GetServer(ctx, "6f1c1c8e-0000-4000-8000-000000000001")
	wantKind(t, "a call after Close", err, core.Unavailable)
}

func TestLibvirtErrorsAreClassified(t *testing.T) {
	for _, c := range []struct {
		code lv.ErrorNumber
		want core.Kind
	}{
		{lv.ERR_NO_DOMAIN, core.NotFound}, {lv.ERR_NO_STORAGE_VOL, core.NotFound}, {lv.ERR_NO_SUPPORT, core.Unsupported},
		{lv.ERR_OPERATION_INVALID, core.Conflict}, {lv.ERR_XML_ERROR, core.InvalidArgument}, {lv.ERR_RPC, core.Unavailable},
		{lv.ERR_AUTH_FAILED, core.Unauthenticated}, {lv.ERR_ACCESS_DENIED, core.PermissionDenied}, {lv.ERR_INTERNAL_ERROR, core.Internal},
	} {
		err := lverr("Op", lv.Error{Code: c.code, Message: "libvirt says no"})
		var ce *core.Error
		if !errors.As(err, &ce) || ce.Kind != c.want || ce.Op != "Op" || ce.Message != "libvirt says no" {
			t.Errorf("code %d: %#v, want kind %s", c.code, err, c.want)
		}
	}
	if lverr("Op", nil) != nil {
		t.Error("lverr(nil) is not nil")
	}
	if k := core.KindOf(lverr("Op", errors.New("plain"))); k != core.Internal {
		t.Errorf("a plain error: %s", k)
	}
}
