// Package api holds the OpenAPI document of gisiaas, embedded so that the
// server validates requests against the very document it serves.
//
// The document is kept as a root (openapi.yaml: info, auth, identity,
// datacenters and the shared components) plus one file per resource in
// paths/, each with its own paths and components. OpenAPI is their merge;
// a path or component defined twice is a build defect and panics at init,
// which every test catches.
package api

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"

	"gopkg.in/yaml.v3"
)

//go:embed openapi.yaml paths/*.yaml
var files embed.FS

// OpenAPI is the merged document, as served at /openapi.yaml.
var OpenAPI = mustMerge()

func mustMerge() []byte {
	out, err := merge(files)
	if err != nil {
		panic(err)
	}
	return out
}

func merge(fsys fs.FS) ([]byte, error) {
	var root map[string]any
	raw, err := fs.ReadFile(fsys, "openapi.yaml")
	if err != nil {
		return nil, err
	}
	if err := yaml.Unmarshal(raw, &root); err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	names, err := fs.Glob(fsys, "paths/*.yaml")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	for _, name := range names {
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		var part map[string]any
		if err := yaml.Unmarshal(raw, &part); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for key := range part {
			if key != "paths" && key != "components" {
				return nil, fmt.Errorf("%s: only paths and components may be set, not %s", name, key)
			}
		}
		if err := mergeSection(root, part, "paths", name); err != nil {
			return nil, err
		}
		comps, _ := part["components"].(map[string]any)
		rootComps, _ := root["components"].(map[string]any)
		if rootComps == nil {
			rootComps = map[string]any{}
			root["components"] = rootComps
		}
		for section := range comps {
			if err := mergeSection(rootComps, comps, section, name+": components"); err != nil {
				return nil, err
			}
		}
	}
	return yaml.Marshal(root)
}

// mergeSection adds part[key]'s entries to root[key], refusing duplicates.
func mergeSection(root, part map[string]any, key, where string) error {
	src, _ := part[key].(map[string]any)
	if len(src) == 0 {
		return nil
	}
	dst, _ := root[key].(map[string]any)
	if dst == nil {
		dst = map[string]any{}
		root[key] = dst
	}
	for k, v := range src {
		if _, dup := dst[k]; dup {
			return fmt.Errorf("%s: %s %q is defined twice", where, key, k)
		}
		dst[k] = v
	}
	return nil
}
