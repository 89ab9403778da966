package api

import (
	"strings"
	"testing"
	"testing/fstest"

	"gopkg.in/yaml.v3"
)

func TestMergeRefusesDuplicatesAndStrayKeys(t *testing.T) {
	root := &fstest.MapFile{Data: []byte("openapi: 3.0.3\npaths:\n  /a: {}\ncomponents:\n  schemas:\n    A: {type: string}\n")}
	cases := map[string]string{
		"paths: {/a: {}}":                         `paths "/a" is defined twice`,
		"components: {schemas: {A: {type: int}}}": `schemas "A" is defined twice`,
		"info: {title: x}":                        "only paths and components",
	}
	for part, want := range cases {
		_, err := merge(fstest.MapFS{"openapi.yaml": root, "paths/x.yaml": {Data: []byte(part)}})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", part, err, want)
		}
	}
	out, err := merge(fstest.MapFS{"openapi.yaml": root,
		"paths/b.yaml": {Data: []byte("paths: {/b: {}}\ncomponents: {schemas: {B: {type: string}}, parameters: {P: {name: p}}}")}})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths      map[string]any
		Components map[string]map[string]any
	}
	if err := yaml.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Paths) != 2 || len(doc.Components["schemas"]) != 2 || len(doc.Components["parameters"]) != 1 {
		t.Fatalf("merged: %s", out)
	}
}
