package plugins_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/gisiaas/gisiaas/core"
	"github.com/gisiaas/gisiaas/plugins"
)

func touch(t *testing.T, dir, name string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDiscoverAndFind(t *testing.T) {
	conf, onPath, other := t.TempDir(), t.TempDir(), t.TempDir()
	simLocal := touch(t, conf, "gisiaas-driver-sim", 0o755)
	touch(t, onPath, "gisiaas-driver-sim", 0o755) // shadowed by the configured directory
	osPath := touch(t, onPath, "gisiaas-driver-openstack", 0o755)
	touch(t, onPath, "gisiaas-driver-notexec", 0o644) // not executable: ignored
	touch(t, onPath, "gisiaas-driver-", 0o755)        // no name: ignored
	touch(t, onPath, "unrelated", 0o755)
	if err := os.Mkdir(filepath.Join(other, "gisiaas-driver-dir"), 0o755); err != nil { // a directory: ignored
		t.Fatal(err)
	}
	t.Setenv("PATH", onPath+string(os.PathListSeparator)+other+string(os.PathListSeparator)+filepath.Join(other, "missing"))

	got := plugins.Discover(conf)
	want := []plugins.Found{{Name: "openstack", Path: osPath}, {Name: "sim", Path: simLocal}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Discover = %+v; want %+v", got, want)
	}
	if p, err := plugins.Find("sim", conf); err != nil || p != simLocal {
		t.Fatalf("Find(sim) = %q, %v; want the configured directory's", p, err)
	}
	if p, err := plugins.Find("openstack", conf); err != nil || p != osPath {
		t.Fatalf("Find(openstack) = %q, %v; want the one on PATH", p, err)
	}
	if _, err := plugins.Find("notexec", conf); core.KindOf(err) != core.NotFound {
		t.Fatalf("Find(notexec) = %v; want NotFound", err)
	}
	if _, err := plugins.Find("../sim", conf); core.KindOf(err) != core.InvalidArgument {
		t.Fatalf("Find(../sim) = %v; want InvalidArgument", err)
	}
}
