package convert

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gisiaas/gisiaas/core"
	pb "github.com/gisiaas/gisiaas/plugins/proto/driverpb"
)

// fillMode says how fill sets collections and pointers.
type fillMode int

const (
	// full sets every field, every collection to two elements, every
	// pointer to a value.
	full fillMode = iota
	// empty sets scalars as full does but every slice and map to a
	// non-nil empty one and every pointer to nil.
	empty
	// zero leaves the value zero: nil collections, nil pointers, zero times.
	zero
)

func (m fillMode) String() string { return [...]string{"full", "empty", "zero"}[m] }

// filler gives every scalar a distinct value, so that two fields swapped
// in a converter make the round trip fail.
type filler struct {
	mode fillMode
	n    int
}

var timeType = reflect.TypeOf(time.Time{})

func (f *filler) fill(v reflect.Value, path string) {
	if f.mode == zero {
		return
	}
	f.n++
	switch {
	case v.Type() == timeType:
		// UTC, nanosecond precision: what must survive intact.
		v.Set(reflect.ValueOf(time.Date(2026, 11, 23, 12, 0, f.n, 123456789+f.n, time.UTC)))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("%s-%d", path, f.n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		if v.Type() == reflect.TypeOf(time.Duration(0)) {
			v.SetInt(int64(f.n)*int64(time.Second) + 7) // a duration with nanoseconds
			return
		}
		v.SetInt(int64(1000 + f.n))
	case reflect.Uint8:
		v.SetUint(uint64(f.n % 256))
	case reflect.Float64:
		v.SetFloat(float64(f.n) + 0.5)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			f.fill(v.Field(i), path+"."+v.Type().Field(i).Name)
		}
	case reflect.Pointer:
		if f.mode == empty {
			return
		}
		p := reflect.New(v.Type().Elem())
		f.fill(p.Elem(), path)
		v.Set(p)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 0, 2)
		if f.mode == full {
			for i := 0; i < 2; i++ {
				e := reflect.New(v.Type().Elem()).Elem()
				f.fill(e, fmt.Sprintf("%s[%d]", path, i))
				s = reflect.Append(s, e)
			}
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		if f.mode == full {
			for i := 0; i < 2; i++ {
				k := reflect.New(v.Type().Key()).Elem()
				f.fill(k, path+".key")
				e := reflect.New(v.Type().Elem()).Elem()
				f.fill(e, path+".value")
				m.SetMapIndex(k, e)
			}
		}
		v.Set(m)
	case reflect.Interface:
		// core.PatchOp.Value: every Go type the protocol keeps apart.
		if f.mode == full {
			v.Set(reflect.ValueOf([]any{"s", 1.5, 2, int64(3), true, []string{"a", "b"},
				map[string]any{"k": "v", "n": nil, "l": []any{false}}, nil, []any{}}))
		} else {
			v.Set(reflect.ValueOf(fmt.Sprintf("%s-%d", path, f.n)))
		}
	default:
		panic(fmt.Sprintf("fill: %s has unhandled kind %s", path, v.Kind()))
	}
}

// zeroFields lists the fields of v left zero: with mode full there must be none,
// so a field added to core without a converter update fails the test.
func zeroFields(v reflect.Value, path string) []string {
	if v.Type() == timeType {
		if v.Interface().(time.Time).IsZero() {
			return []string{path}
		}
		return nil
	}
	switch v.Kind() {
	case reflect.Struct:
		var out []string
		for i := 0; i < v.NumField(); i++ {
			out = append(out, zeroFields(v.Field(i), path+"."+v.Type().Field(i).Name)...)
		}
		return out
	case reflect.Slice:
		if v.Len() == 0 {
			return []string{path}
		}
		var out []string
		for i := 0; i < v.Len(); i++ {
			out = append(out, zeroFields(v.Index(i), fmt.Sprintf("%s[%d]", path, i))...)
		}
		return out
	case reflect.Pointer:
		if v.IsNil() {
			return []string{path}
		}
		return zeroFields(v.Elem(), path)
	default:
		if v.IsZero() {
			return []string{path}
		}
		return nil
	}
}

// roundTrip converts a filled T to its message, through the wire format,
// and back, and requires the result DeepEqual to the input.
func roundTrip[T any, P proto.Message](to func(T) P, from func(P) T) func(*testing.T, fillMode) {
	return func(t *testing.T, mode fillMode) {
		t.Helper()
		var in T
		(&filler{mode: mode}).fill(reflect.ValueOf(&in).Elem(), reflect.TypeOf(in).String())
		if mode == full {
			if z := zeroFields(reflect.ValueOf(in), "in"); len(z) > 0 {
				t.Fatalf("the fixture leaves fields zero: %s", strings.Join(z, ", "))
			}
		}
		msg := to(in)
		b, err := proto.Marshal(msg)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		out := msg.ProtoReflect().New().Interface().(P)
		if err := proto.Unmarshal(b, out); err != nil {
			t.Fatalf("unmarshal: %v", err)
		}
		got := from(out)
		if !reflect.DeepEqual(in, got) {
			t.Fatalf("round trip changed the value\n in: %#v\nout: %#v", in, got)
		}
	}
}

func TestRoundTripEveryType(t *testing.T) {
	// A patch travels inside UpdateImageRequest, whose absent list is nil.
	patchTo := func(ops []core.PatchOp) *pb.UpdateImageRequest {
		l, err := PatchOpsToProto(ops)
		if err != nil {
			t.Fatal(err)
		}
		return &pb.UpdateImageRequest{Ops: l}
	}
	patchFrom := func(r *pb.UpdateImageRequest) []core.PatchOp {
		ops, err := PatchOpsFromProto(r.Ops)
		if err != nil {
			t.Fatal(err)
		}
		return ops
	}
	cases := map[string]func(*testing.T, fillMode){
		"Meta":                    roundTrip(MetaToProto, MetaFromProto),
		"CreateMeta":              roundTrip(CreateMetaToProto, CreateMetaFromProto),
		"ListOptions":             roundTrip(ListOptionsToProto, ListOptionsFromProto),
		"DriverInfo":              roundTrip(DriverInfoToProto, DriverInfoFromProto),
		"Event":                   roundTrip(EventToProto, EventFromProto),
		"Datacenter":              roundTrip(DatacenterToProto, DatacenterFromProto),
		"[]Datacenter":            roundTrip(DatacentersToProto, DatacentersFromProto),
		"ComputeQuota":            roundTrip(ComputeQuotaToProto, ComputeQuotaFromProto),
		"VolumeQuota":             roundTrip(VolumeQuotaToProto, VolumeQuotaFromProto),
		"Server":                  roundTrip(ServerToProto, ServerFromProto),
		"[]Server":                roundTrip(ServersToProto, ServersFromProto),
		"ServerCreate":            roundTrip(ServerCreateToProto, ServerCreateFromProto),
		"ServerUpdate":            roundTrip(ServerUpdateToProto, ServerUpdateFromProto),
		"Flavor":                  roundTrip(FlavorToProto, FlavorFromProto),
		"[]Flavor":                roundTrip(FlavorsToProto, FlavorsFromProto),
		"FlavorCreate":            roundTrip(FlavorCreateToProto, FlavorCreateFromProto),
		"Image":                   roundTrip(ImageToProto, ImageFromProto),
		"[]Image":                 roundTrip(ImagesToProto, ImagesFromProto),
		"ImageCreate":             roundTrip(ImageCreateToProto, ImageCreateFromProto),
		"ImageUpload":             roundTrip(ImageUploadToProto, ImageUploadFromProto),
		"[]PatchOp":               roundTrip(patchTo, patchFrom),
		"Network":                 roundTrip(NetworkToProto, NetworkFromProto),
		"[]Network":               roundTrip(NetworksToProto, NetworksFromProto),
		"Port":                    roundTrip(PortToProto, PortFromProto),
		"[]Port":                  roundTrip(PortsToProto, PortsFromProto),
		"FloatingIP":              roundTrip(FloatingIPToProto, FloatingIPFromProto),
		"[]FloatingIP":            roundTrip(FloatingIPsToProto, FloatingIPsFromProto),
		"FloatingIPCreate":        roundTrip(FloatingIPCreateToProto, FloatingIPCreateFromProto),
		"FloatingIPUpdate":        roundTrip(FloatingIPUpdateToProto, FloatingIPUpdateFromProto),
		"PublicIP":                roundTrip(PublicIPToProto, PublicIPFromProto),
		"[]PublicIP":              roundTrip(PublicIPsToProto, PublicIPsFromProto),
		"PublicIPCreate":          roundTrip(PublicIPCreateToProto, PublicIPCreateFromProto),
		"PublicIPBinding":         roundTrip(PublicIPBindingToProto, PublicIPBindingFromProto),
		"LoadBalancer":            roundTrip(LoadBalancerToProto, LoadBalancerFromProto),
		"[]LoadBalancer":          roundTrip(LoadBalancersToProto, LoadBalancersFromProto),
		"LoadBalancerCreate":      roundTrip(LoadBalancerCreateToProto, LoadBalancerCreateFromProto),
		"MemberAdd":               roundTrip(MemberAddToProto, MemberAddFromProto),
		"MemberRemove":            roundTrip(MemberRemoveToProto, MemberRemoveFromProto),
		"SecurityGroup":           roundTrip(SecurityGroupToProto, SecurityGroupFromProto),
		"[]SecurityGroup":         roundTrip(SecurityGroupsToProto, SecurityGroupsFromProto),
		"SecurityGroupRule":       roundTrip(SecurityGroupRuleToProto, SecurityGroupRuleFromProto),
		"SecurityGroupCreate":     roundTrip(SecurityGroupCreateToProto, SecurityGroupCreateFromProto),
		"SecurityGroupRuleCreate": roundTrip(SecurityGroupRuleCreateToProto, SecurityGroupRuleCreateFromProto),
		"Router":                  roundTrip(RouterToProto, RouterFromProto),
		"[]Router":                roundTrip(RoutersToProto, RoutersFromProto),
		"RouterCreate":            roundTrip(RouterCreateToProto, RouterCreateFromProto),
		"Volume":                  roundTrip(VolumeToProto, VolumeFromProto),
		"[]Volume":                roundTrip(VolumesToProto, VolumesFromProto),
		"VolumeCreate":            roundTrip(VolumeCreateToProto, VolumeCreateFromProto),
		"VolumeAttach":            roundTrip(VolumeAttachToProto, VolumeAttachFromProto),
		"VolumeSnapshot":          roundTrip(VolumeSnapshotToProto, VolumeSnapshotFromProto),
		"[]VolumeSnapshot":        roundTrip(VolumeSnapshotsToProto, VolumeSnapshotsFromProto),
		"VolumeSnapshotCreate":    roundTrip(VolumeSnapshotCreateToProto, VolumeSnapshotCreateFromProto),
		"Backup":                  roundTrip(BackupToProto, BackupFromProto),
		"[]Backup":                roundTrip(BackupsToProto, BackupsFromProto),
		"BackupCreate":            roundTrip(BackupCreateToProto, BackupCreateFromProto),
	}
	for name, run := range cases {
		for _, mode := range []fillMode{full, empty, zero} {
			t.Run(name+"/"+mode.String(), func(t *testing.T) { run(t, mode) })
		}
	}
}

// TestEveryResourceTypeIsCovered fails when core gains a type that crosses
// the boundary but the table above does not test.
func TestEveryResourceTypeIsCovered(t *testing.T) {
	driver := reflect.TypeOf((*core.Driver)(nil)).Elem()
	seen := map[string]bool{}
	for i := 0; i < driver.NumMethod(); i++ {
		m := driver.Method(i).Type
		for j := 0; j < m.NumIn(); j++ {
			seen[m.In(j).String()] = true
		}
		for j := 0; j < m.NumOut(); j++ {
			seen[m.Out(j).String()] = true
		}
	}
	covered := "core.DriverInfo core.Datacenter []core.Datacenter core.ComputeQuota core.VolumeQuota core.Server []core.Server " +
		"core.ServerCreate core.ServerUpdate core.Flavor []core.Flavor core.FlavorCreate core.Image []core.Image core.ImageCreate " +
		"core.ImageUpload []core.PatchOp core.Network []core.Network []core.Port core.FloatingIP []core.FloatingIP " +
		"core.FloatingIPCreate core.FloatingIPUpdate core.PublicIP []core.PublicIP core.PublicIPCreate core.PublicIPBinding " +
		"core.LoadBalancer []core.LoadBalancer core.LoadBalancerCreate core.MemberAdd core.MemberRemove core.SecurityGroup " +
		"[]core.SecurityGroup core.SecurityGroupRule core.SecurityGroupCreate core.SecurityGroupRuleCreate core.Router " +
		"[]core.Router core.RouterCreate core.Volume []core.Volume core.VolumeCreate core.VolumeAttach core.VolumeSnapshot " +
		"[]core.VolumeSnapshot core.VolumeSnapshotCreate core.Backup []core.Backup core.BackupCreate core.ListOptions " +
		"core.RebootType func(core.Event) error"
	ok := map[string]bool{"context.Context": true, "error": true, "string": true, "int64": true, "io.Reader": true}
	for _, s := range strings.Split(covered, " ") {
		ok[s] = true
	}
	ok["func(core.Event) error"] = true
	for typ := range seen {
		if !ok[typ] {
			t.Errorf("core.Driver uses %s, which TestRoundTripEveryType does not cover", typ)
		}
	}
}

func TestNilListsAndPatchesStayNil(t *testing.T) {
	ops, err := PatchOpsToProto(nil)
	if err != nil || ops != nil {
		t.Fatalf("PatchOpsToProto(nil) = %v, %v; want nil, nil", ops, err)
	}
	back, err := PatchOpsFromProto(nil)
	if err != nil || back != nil {
		t.Fatalf("PatchOpsFromProto(nil) = %#v, %v; want nil, nil", back, err)
	}
	// A present but empty list stays empty, not nil.
	back, err = PatchOpsFromProto(&pb.PatchOpList{})
	if err != nil || back == nil || len(back) != 0 {
		t.Fatalf("PatchOpsFromProto(empty) = %#v, %v; want empty non-nil", back, err)
	}
}

func TestPatchValueOfUnknownTypeIsInvalidArgument(t *testing.T) {
	_, err := PatchOpsToProto([]core.PatchOp{{Op: "add", Path: "/x", Value: struct{}{}}})
	if core.KindOf(err) != core.InvalidArgument || !strings.Contains(err.Error(), "struct {}") {
		t.Fatalf("err = %v; want InvalidArgument naming the type", err)
	}
}

func TestTimeInAnotherZoneIsTheSameInstant(t *testing.T) {
	loc := time.FixedZone("CET", 3600)
	in := core.Meta{CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 6, loc)}
	got := MetaFromProto(MetaToProto(in))
	if !got.CreatedAt.Equal(in.CreatedAt) || got.CreatedAt.Location() != time.UTC {
		t.Fatalf("got %v; want the same instant in UTC", got.CreatedAt)
	}
	// The monotonic reading is dropped, the instant kept.
	now := time.Now()
	if got := MetaFromProto(MetaToProto(core.Meta{UpdatedAt: now})).UpdatedAt; !got.Equal(now) {
		t.Fatalf("got %v; want %v", got, now)
	}
}
