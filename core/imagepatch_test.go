package core

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func patchBase() Image {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return Image{Meta: Meta{ProjectID: "p", CreatedAt: now, UpdatedAt: now},
		ID: "i", Name: "base", Type: ImageTypeImage, Status: ImageActive, Visibility: VisibilityPrivate,
		Architecture: "x86_64", MinRAMMB: 128, MinDiskGB: 1, SizeBytes: 1024, DiskFormat: "qcow2",
		ImageTags: []string{"a"}, Properties: map[string]string{"crs": "EPSG:4326"}}
}

// patchCopy is a deep copy of img, to compare against after a patch.
func patchCopy(img Image) Image {
	c := img
	c.ImageTags = append([]string(nil), img.ImageTags...)
	if img.ImageTags != nil && len(img.ImageTags) == 0 {
		c.ImageTags = []string{}
	}
	if img.Properties != nil {
		c.Properties = map[string]string{}
		for k, v := range img.Properties {
			c.Properties[k] = v
		}
	}
	return c
}

func op(o, path string, v any) PatchOp { return PatchOp{Op: o, Path: path, Value: v} }

func TestImagePatch_B2_3_5_Apply(t *testing.T) {
	cases := []struct {
		name  string
		ops   []PatchOp
		kind  Kind
		field string // the start of the error message
		want  func(*Image)
	}{
		// add only what is missing, replace and remove only what exists
		{"replace name", []PatchOp{op("replace", "/name", "new")}, KindUnknown, "", func(i *Image) { i.Name = "new" }},
		{"add name that exists", []PatchOp{op("add", "/name", "x")}, InvalidArgument, "patch[0]", nil},
		{"add missing description", []PatchOp{op("add", "/description", "d")}, KindUnknown, "", func(i *Image) { i.Description = "d" }},
		{"replace missing description", []PatchOp{op("replace", "/description", "d")}, InvalidArgument, "patch[0]", nil},
		{"remove missing description", []PatchOp{op("remove", "/description", nil)}, InvalidArgument, "patch[0]", nil},
		{"remove architecture", []PatchOp{op("remove", "/architecture", nil)}, KindUnknown, "", func(i *Image) { i.Architecture = "" }},
		{"replace architecture", []PatchOp{op("replace", "/architecture", "aarch64")}, KindUnknown, "", func(i *Image) { i.Architecture = "aarch64" }},
		{"bad architecture", []PatchOp{op("replace", "/architecture", "sparc")}, InvalidArgument, "patch[0].value", nil},
		{"add then replace in one patch", []PatchOp{op("add", "/description", "1"), op("replace", "/description", "2")}, KindUnknown, "",
			func(i *Image) { i.Description = "2" }},
		// required attributes cannot be removed
		{"remove name", []PatchOp{op("remove", "/name", nil)}, InvalidArgument, "patch[0]", nil},
		{"remove visibility", []PatchOp{op("remove", "/visibility", nil)}, InvalidArgument, "patch[0]", nil},
		{"remove min_ram", []PatchOp{op("remove", "/min_ram", nil)}, InvalidArgument, "patch[0]", nil},
		{"remove protected", []PatchOp{op("remove", "/protected", nil)}, InvalidArgument, "patch[0]", nil},
		{"empty name", []PatchOp{op("replace", "/name", "")}, InvalidArgument, "name", nil},
		{"name not a string", []PatchOp{op("replace", "/name", 5.0)}, InvalidArgument, "patch[0].value", nil},
		// read-only attributes, by our names and by Glance's
		{"id", []PatchOp{op("replace", "/id", "x")}, PermissionDenied, "patch[0]", nil},
		{"status", []PatchOp{op("replace", "/status", "active")}, PermissionDenied, "patch[0]", nil},
		{"checksum", []PatchOp{op("remove", "/checksum", nil)}, PermissionDenied, "patch[0]", nil},
		{"size_bytes", []PatchOp{op("replace", "/size_bytes", float64(1))}, PermissionDenied, "patch[0]", nil},
		{"add id", []PatchOp{op("add", "/id", "x")}, PermissionDenied, "patch[0]", nil},
		{"size (Glance)", []PatchOp{op("replace", "/size", float64(1))}, PermissionDenied, "patch[0]", nil},
		{"owner (Glance)", []PatchOp{op("replace", "/owner", "p2")}, PermissionDenied, "patch[0]", nil},
		{"file (Glance)", []PatchOp{op("add", "/file", "x")}, PermissionDenied, "patch[0]", nil},
		{"disk_format", []PatchOp{op("replace", "/disk_format", "raw")}, PermissionDenied, "patch[0]", nil},
		{"project_id", []PatchOp{op("replace", "/project_id", "p2")}, PermissionDenied, "patch[0]", nil},
		{"read-only wins over a bad op", []PatchOp{op("move", "/created_at", nil)}, PermissionDenied, "patch[0]", nil},
		{"second op read-only", []PatchOp{op("replace", "/name", "n"), op("replace", "/type", "snapshot")}, PermissionDenied, "patch[1]", nil},
		// Glance aliases
		{"min_ram (Glance)", []PatchOp{op("replace", "/min_ram", float64(512))}, KindUnknown, "", func(i *Image) { i.MinRAMMB = 512 }},
		{"min_disk (Glance)", []PatchOp{op("replace", "/min_disk", float64(20))}, KindUnknown, "", func(i *Image) { i.MinDiskGB = 20 }},
		{"min_ram_mb", []PatchOp{op("replace", "/min_ram_mb", 256)}, KindUnknown, "", func(i *Image) { i.MinRAMMB = 256 }},
		{"min_disk_gb int64", []PatchOp{op("replace", "/min_disk_gb", int64(3))}, KindUnknown, "", func(i *Image) { i.MinDiskGB = 3 }},
		{"add min_ram (exists always)", []PatchOp{op("add", "/min_ram", float64(1))}, InvalidArgument, "patch[0]", nil},
		{"tags (Glance)", []PatchOp{op("replace", "/tags", []any{"x", "y"})}, KindUnknown, "", func(i *Image) { i.ImageTags = []string{"x", "y"} }},
		{"image_tags []string", []PatchOp{op("replace", "/image_tags", []string{"z"})}, KindUnknown, "", func(i *Image) { i.ImageTags = []string{"z"} }},
		{"add tags that exist", []PatchOp{op("add", "/tags", []any{"x"})}, InvalidArgument, "patch[0]", nil},
		{"remove tags leaves an empty list", []PatchOp{op("remove", "/tags", nil)}, KindUnknown, "", func(i *Image) { i.ImageTags = []string{} }},
		{"remove tags then add", []PatchOp{op("remove", "/tags", nil), op("add", "/tags", []any{"n"})}, KindUnknown, "",
			func(i *Image) { i.ImageTags = []string{"n"} }},
		{"replace tags with an empty JSON list", []PatchOp{op("replace", "/tags", []any{})}, KindUnknown, "", func(i *Image) { i.ImageTags = []string{} }},
		// Tags given as []string (a Go caller, a plugin codec) obey the same
		// rules as tags decoded from JSON, and an empty list stays a list.
		{"replace tags with an empty []string", []PatchOp{op("replace", "/image_tags", []string{})}, KindUnknown, "", func(i *Image) { i.ImageTags = []string{} }},
		{"empty tag as []string", []PatchOp{op("replace", "/image_tags", []string{"ok", ""})}, InvalidArgument, "patch[0].value", nil},
		{"long tag as []string", []PatchOp{op("replace", "/tags", []string{strings.Repeat("t", 256)})}, InvalidArgument, "patch[0].value", nil},
		{"tags null", []PatchOp{op("replace", "/tags", nil)}, InvalidArgument, "patch[0].value", nil},
		// A tag's length counts characters, as a name's does.
		{"tag of 255 Chinese characters", []PatchOp{op("replace", "/tags", []any{strings.Repeat("图", 255)})}, KindUnknown, "",
			func(i *Image) { i.ImageTags = []string{strings.Repeat("图", 255)} }},
		{"tag of 256 Chinese characters", []PatchOp{op("replace", "/tags", []any{strings.Repeat("图", 256)})}, InvalidArgument, "patch[0].value", nil},
		{"tag not UTF-8", []PatchOp{op("replace", "/tags", []any{"a\xffb"})}, InvalidArgument, "patch[0].value", nil},
		// numbers as JSON gives them
		{"fractional", []PatchOp{op("replace", "/min_disk", 1.5)}, InvalidArgument, "patch[0].value", nil},
		{"negative", []PatchOp{op("replace", "/min_disk", float64(-1))}, InvalidArgument, "patch[0].value", nil},
		{"negative int", []PatchOp{op("replace", "/min_ram_mb", -5)}, InvalidArgument, "patch[0].value", nil},
		{"zero", []PatchOp{op("replace", "/min_disk", float64(0))}, KindUnknown, "", func(i *Image) { i.MinDiskGB = 0 }},
		{"beyond int64", []PatchOp{op("replace", "/min_ram", 1e19)}, InvalidArgument, "patch[0].value", nil},
		{"number null", []PatchOp{op("replace", "/min_ram", nil)}, InvalidArgument, "patch[0].value", nil},
		{"bool as number", []PatchOp{op("replace", "/min_ram", true)}, InvalidArgument, "patch[0].value", nil},
		{"number as string", []PatchOp{op("replace", "/min_ram", "512")}, InvalidArgument, "patch[0].value", nil},
		{"tags not a list", []PatchOp{op("replace", "/tags", "x")}, InvalidArgument, "patch[0].value", nil},
		{"tag not a string", []PatchOp{op("replace", "/tags", []any{"x", 1.0})}, InvalidArgument, "patch[0].value", nil},
		{"empty tag", []PatchOp{op("replace", "/tags", []any{""})}, InvalidArgument, "patch[0].value", nil},
		{"tag too long", []PatchOp{op("replace", "/tags", []any{strings.Repeat("t", 256)})}, InvalidArgument, "patch[0].value", nil},
		{"protected", []PatchOp{op("replace", "/protected", true)}, KindUnknown, "", func(i *Image) { i.Protected = true }},
		{"protected as string", []PatchOp{op("replace", "/protected", "yes")}, InvalidArgument, "patch[0].value", nil},
		{"visibility public", []PatchOp{op("replace", "/visibility", "public")}, KindUnknown, "", func(i *Image) { i.Visibility = VisibilityPublic }},
		{"visibility shared", []PatchOp{op("replace", "/visibility", "shared")}, InvalidArgument, "patch[0].value", nil},
		// custom properties
		{"property add", []PatchOp{op("add", "/gis_layer", "roads")}, KindUnknown, "",
			func(i *Image) { i.Properties = map[string]string{"crs": "EPSG:4326", "gis_layer": "roads"} }},
		{"property replace", []PatchOp{op("replace", "/crs", "EPSG:3857")}, KindUnknown, "", func(i *Image) { i.Properties = map[string]string{"crs": "EPSG:3857"} }},
		{"property remove, last one", []PatchOp{op("remove", "/crs", nil)}, KindUnknown, "", func(i *Image) { i.Properties = nil }},
		{"property add that exists", []PatchOp{op("add", "/crs", "x")}, InvalidArgument, "patch[0]", nil},
		{"property replace missing", []PatchOp{op("replace", "/nope", "x")}, InvalidArgument, "patch[0]", nil},
		{"property remove missing", []PatchOp{op("remove", "/nope", nil)}, InvalidArgument, "patch[0]", nil},
		{"property not a string", []PatchOp{op("add", "/layers", 3.0)}, InvalidArgument, "patch[0].value", nil},
		{"property null", []PatchOp{op("add", "/layers", nil)}, InvalidArgument, "patch[0].value", nil},
		{"property value too long", []PatchOp{op("add", "/layers", strings.Repeat("v", MaxNameLen+1))}, InvalidArgument, "layers", nil},
		{"property named like a Glance alias is the alias", []PatchOp{op("add", "/owner", "x")}, PermissionDenied, "patch[0]", nil},
		{"property value control character", []PatchOp{op("add", "/layers", "a\x00")}, InvalidArgument, "layers", nil},
		{"property key with colon and dot", []PatchOp{op("add", "/os:distro.v", "debian")}, KindUnknown, "",
			func(i *Image) { i.Properties = map[string]string{"crs": "EPSG:4326", "os:distro.v": "debian"} }},
		{"property remove then add back", []PatchOp{op("remove", "/crs", nil), op("add", "/crs", "EPSG:2000")}, KindUnknown, "",
			func(i *Image) { i.Properties = map[string]string{"crs": "EPSG:2000"} }},
		// bad paths and ops
		{"path without slash", []PatchOp{op("replace", "name", "x")}, InvalidArgument, "patch[0].path", nil},
		{"root path", []PatchOp{op("replace", "/", "x")}, InvalidArgument, "patch[0].path", nil},
		{"empty path", []PatchOp{op("replace", "", "x")}, InvalidArgument, "patch[0].path", nil},
		{"nested path", []PatchOp{op("replace", "/a/b", "x")}, InvalidArgument, "patch[0].path", nil},
		{"property key with space", []PatchOp{op("add", "/a b", "x")}, InvalidArgument, "patch[0].path", nil},
		{"property key too long", []PatchOp{op("add", "/"+strings.Repeat("k", 256), "x")}, InvalidArgument, "patch[0].path", nil},
		{"op move", []PatchOp{op("move", "/name", nil)}, InvalidArgument, "patch[0].op", nil},
		{"op test", []PatchOp{op("test", "/name", "base")}, InvalidArgument, "patch[0].op", nil},
		{"op empty", []PatchOp{op("", "/name", "x")}, InvalidArgument, "patch[0].op", nil},
		{"op upper case", []PatchOp{op("REPLACE", "/name", "x")}, InvalidArgument, "patch[0].op", nil},
		{"bad second op", []PatchOp{op("replace", "/name", "x"), op("copy", "/name", nil)}, InvalidArgument, "patch[1].op", nil},
		{"empty patch", nil, InvalidArgument, "patch", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := patchBase()
			before := patchCopy(in)
			out, err := ApplyImagePatch(in, c.ops)
			if KindOf(err) != c.kind {
				t.Fatalf("kind %q (%v), want %q", KindOf(err), err, c.kind)
			}
			if !reflect.DeepEqual(in, before) {
				t.Fatalf("the input changed:\n got %+v\nwant %+v", in, before)
			}
			if err != nil {
				if !strings.HasPrefix(MessageOf(err), c.field) {
					t.Fatalf("message %q does not start with %q", MessageOf(err), c.field)
				}
				return
			}
			want := patchCopy(before)
			c.want(&want)
			if !reflect.DeepEqual(out, want) {
				t.Fatalf("result\n got %+v\nwant %+v", out, want)
			}
		})
	}
}

// A patch that fails at its last op leaves the input exactly as it was:
// name, tags slice (contents and backing array) and properties map.
func TestImagePatch_B2_3_5_AllOrNone(t *testing.T) {
	in := patchBase()
	before := patchCopy(in)
	tagsArray := &in.ImageTags[0]
	out, err := ApplyImagePatch(in, []PatchOp{
		op("replace", "/name", "half"),
		op("add", "/new_prop", "x"),
		op("replace", "/crs", "changed"),
		op("remove", "/architecture", nil),
		op("replace", "/tags", []any{"z"}),
		op("replace", "/min_ram", float64(4096)),
		op("remove", "/nope", nil), // fails
	})
	if KindOf(err) != InvalidArgument || !strings.HasPrefix(MessageOf(err), "patch[6]") {
		t.Fatalf("%v", err)
	}
	if !reflect.DeepEqual(in, before) || &in.ImageTags[0] != tagsArray || in.ImageTags[0] != "a" {
		t.Fatalf("input changed: %+v", in)
	}
	if !reflect.DeepEqual(out, before) {
		t.Fatalf("a failed patch returned a changed image: %+v", out)
	}
	// An image with no properties at all: a failed add must not leave one behind.
	bare := patchBase()
	bare.Properties = nil
	if _, err := ApplyImagePatch(bare, []PatchOp{op("add", "/p", "v"), op("replace", "/id", "x")}); KindOf(err) != PermissionDenied {
		t.Fatalf("%v", err)
	}
	if bare.Properties != nil {
		t.Fatalf("properties appeared on the input: %v", bare.Properties)
	}
}

// The result never shares the input's map or slice: changing one cannot
// change the other (the driver keeps the input in its state).
func TestImagePatch_B2_3_5_ResultDoesNotAliasInput(t *testing.T) {
	in := patchBase()
	out, err := ApplyImagePatch(in, []PatchOp{op("replace", "/name", "n")})
	if err != nil {
		t.Fatal(err)
	}
	out.Properties["crs"] = "changed"
	out.Properties["added"] = "x"
	out.ImageTags[0] = "changed"
	out.ImageTags = append(out.ImageTags, "more")
	if in.Properties["crs"] != "EPSG:4326" || len(in.Properties) != 1 || in.ImageTags[0] != "a" || len(in.ImageTags) != 1 {
		t.Fatalf("result aliases the input: %+v", in)
	}
	// Tags given as []string are copied too.
	src := []string{"x"}
	out, err = ApplyImagePatch(in, []PatchOp{op("replace", "/image_tags", src)})
	if err != nil {
		t.Fatal(err)
	}
	src[0] = "changed"
	if out.ImageTags[0] != "x" {
		t.Fatalf("result aliases the patch value: %v", out.ImageTags)
	}
}

// An image with no tags keeps an empty, non-nil list through a patch that
// does not touch its tags: image_tags has no omitempty, and the API must
// answer [] rather than null.
func TestImagePatch_B2_3_5_EmptyTagsStayEmptyList(t *testing.T) {
	in := patchBase()
	in.ImageTags = []string{}
	out, err := ApplyImagePatch(in, []PatchOp{op("replace", "/name", "n")})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(out)
	if !strings.Contains(string(b), `"image_tags":[]`) {
		t.Fatalf("image_tags after a rename: %s", b)
	}
	// Emptying the tags, however the empty list is given, answers [] too.
	for _, v := range []any{[]any{}, []string{}, []string(nil)} {
		out, err := ApplyImagePatch(patchBase(), []PatchOp{op("replace", "/tags", v)})
		if err != nil {
			t.Fatalf("%#v: %v", v, err)
		}
		b, _ := json.Marshal(out)
		if !strings.Contains(string(b), `"image_tags":[]`) {
			t.Errorf("image_tags after replacing them with %#v: %s", v, b)
		}
	}
	out, err = ApplyImagePatch(patchBase(), []PatchOp{op("remove", "/tags", nil)})
	if b, _ := json.Marshal(out); err != nil || !strings.Contains(string(b), `"image_tags":[]`) {
		t.Errorf("image_tags after remove: %v %s", err, b)
	}
}

// A patch document as the API decodes it: numbers are float64, lists []any.
func TestImagePatch_B2_3_5_JSONDecodedValues(t *testing.T) {
	doc := `[
		{"op": "replace", "path": "/min_ram", "value": 2048},
		{"op": "replace", "path": "/min_disk", "value": 20},
		{"op": "replace", "path": "/tags", "value": ["gis", "roads"]},
		{"op": "replace", "path": "/protected", "value": true},
		{"op": "add", "path": "/description", "value": "道路图层"},
		{"op": "add", "path": "/crs_units", "value": "m"},
		{"op": "replace", "path": "/visibility", "value": "public"}
	]`
	var ops []PatchOp
	if err := json.Unmarshal([]byte(doc), &ops); err != nil {
		t.Fatal(err)
	}
	out, err := ApplyImagePatch(patchBase(), ops)
	if err != nil {
		t.Fatal(err)
	}
	want := patchBase()
	want.MinRAMMB, want.MinDiskGB, want.Protected, want.Visibility = 2048, 20, true, VisibilityPublic
	want.ImageTags = []string{"gis", "roads"}
	want.Description = "道路图层"
	want.Properties = map[string]string{"crs": "EPSG:4326", "crs_units": "m"}
	if !reflect.DeepEqual(out, want) {
		t.Fatalf("got  %+v\nwant %+v", out, want)
	}
	var bad []PatchOp
	if err := json.Unmarshal([]byte(`[{"op":"replace","path":"/min_ram","value":1e-3}]`), &bad); err != nil {
		t.Fatal(err)
	}
	if _, err := ApplyImagePatch(patchBase(), bad); KindOf(err) != InvalidArgument {
		t.Fatalf("0.001 MB accepted: %v", err)
	}
}
