package core

import (
	"testing"
)

func patchBase() Image {
	return Image{ID: "i", Name: "base", Visibility: VisibilityPrivate, MinRAMMB: 128,
		ImageTags: []string{"a"}, Properties: map[string]string{"crs": "EPSG:4326"}}
}

func TestApplyImagePatch(t *testing.T) {
	cases := []struct {
		name  string
		ops   []PatchOp
		kind  Kind
		check func(Image) bool
	}{
		{"replace name", []PatchOp{{Op: "replace", Path: "/name", Value: "new"}}, KindUnknown, func(i Image) bool { return i.Name == "new" }},
		{"add description", []PatchOp{{Op: "add", Path: "/description", Value: "d"}}, KindUnknown, func(i Image) bool { return i.Description == "d" }},
		{"add existing name", []PatchOp{{Op: "add", Path: "/name", Value: "x"}}, InvalidArgument, nil},
		{"replace missing description", []PatchOp{{Op: "replace", Path: "/description", Value: "x"}}, InvalidArgument, nil},
		{"remove required name", []PatchOp{{Op: "remove", Path: "/name"}}, InvalidArgument, nil},
		{"read-only id", []PatchOp{{Op: "replace", Path: "/id", Value: "x"}}, PermissionDenied, nil},
		{"read-only size alias", []PatchOp{{Op: "replace", Path: "/size", Value: float64(1)}}, PermissionDenied, nil},
		{"glance alias min_ram", []PatchOp{{Op: "replace", Path: "/min_ram", Value: float64(512)}}, KindUnknown, func(i Image) bool { return i.MinRAMMB == 512 }},
		{"non-integer", []PatchOp{{Op: "replace", Path: "/min_disk", Value: 1.5}}, InvalidArgument, nil},
		{"negative", []PatchOp{{Op: "replace", Path: "/min_disk", Value: float64(-1)}}, InvalidArgument, nil},
		{"tags from JSON", []PatchOp{{Op: "replace", Path: "/tags", Value: []any{"x", "y"}}}, KindUnknown, func(i Image) bool { return len(i.ImageTags) == 2 && i.ImageTags[1] == "y" }},
		{"tags wrong type", []PatchOp{{Op: "replace", Path: "/tags", Value: "x"}}, InvalidArgument, nil},
		{"protected wrong type", []PatchOp{{Op: "replace", Path: "/protected", Value: "yes"}}, InvalidArgument, nil},
		{"visibility", []PatchOp{{Op: "replace", Path: "/visibility", Value: "shared"}}, InvalidArgument, nil},
		{"property add", []PatchOp{{Op: "add", Path: "/gis_layer", Value: "roads"}}, KindUnknown, func(i Image) bool { return i.Properties["gis_layer"] == "roads" }},
		{"property remove", []PatchOp{{Op: "remove", Path: "/crs"}}, KindUnknown, func(i Image) bool { return len(i.Properties) == 0 && i.Properties == nil }},
		{"property add existing", []PatchOp{{Op: "add", Path: "/crs", Value: "x"}}, InvalidArgument, nil},
		{"bad path", []PatchOp{{Op: "replace", Path: "name", Value: "x"}}, InvalidArgument, nil},
		{"nested path", []PatchOp{{Op: "replace", Path: "/a/b", Value: "x"}}, InvalidArgument, nil},
		{"root path", []PatchOp{{Op: "replace", Path: "/", Value: "x"}}, InvalidArgument, nil},
		{"unknown op", []PatchOp{{Op: "move", Path: "/name"}}, InvalidArgument, nil},
		{"empty patch", nil, InvalidArgument, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := patchBase()
			out, err := ApplyImagePatch(in, c.ops)
			if KindOf(err) != c.kind {
				t.Fatalf("kind %s (%v), want %s", KindOf(err), err, c.kind)
			}
			if c.check != nil && !c.check(out) {
				t.Fatalf("result %+v", out)
			}
		})
	}
}

// A failing later op leaves the input untouched, and the result never
// shares the input's map or slice.
func TestApplyImagePatchAllOrNoneAndNoAliasing(t *testing.T) {
	in := patchBase()
	_, err := ApplyImagePatch(in, []PatchOp{
		{Op: "replace", Path: "/name", Value: "half"},
		{Op: "add", Path: "/new_prop", Value: "x"},
		{Op: "replace", Path: "/tags", Value: []any{"z"}},
		{Op: "remove", Path: "/nope"},
	})
	if KindOf(err) != InvalidArgument {
		t.Fatalf("%v", err)
	}
	if in.Name != "base" || len(in.Properties) != 1 || in.ImageTags[0] != "a" {
		t.Fatalf("input changed: %+v", in)
	}
	out, err := ApplyImagePatch(in, []PatchOp{{Op: "replace", Path: "/name", Value: "n"}})
	if err != nil {
		t.Fatal(err)
	}
	out.Properties["crs"] = "changed"
	out.ImageTags[0] = "changed"
	if in.Properties["crs"] != "EPSG:4326" || in.ImageTags[0] != "a" {
		t.Fatal("result aliases the input")
	}
}
