package libvirt

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gisiaas/gisiaas/core"
)

func TestStoreSurvivesARestartAndIsWrittenAtomically(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	d := newTestDriver(t, func(c *Config) { c.StatePath = path })
	ctx := testCtx(t)
	im, err := d.CreateImage(ctx, core.ImageCreate{CreateMeta: meta("st"), Name: "kept", ImageTags: []string{"x"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("the store's directory holds %d files, want only state.json (no temporary left)", len(entries))
	}
	d2 := newTestDriver(t, func(c *Config) { c.StatePath = path })
	got, err := d2.GetImage(ctx, im.ID)
	if err != nil || got.Name != "kept" || got.ImageTags[0] != "x" || got.ProjectID != "st" {
		t.Fatalf("image after restart: %+v %v", got, err)
	}
	if err := d2.DeleteImage(ctx, im.ID); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.StatePath = path
	if _, err := New(cfg); err == nil {
		t.Fatal("a corrupt store was accepted")
	}
}
