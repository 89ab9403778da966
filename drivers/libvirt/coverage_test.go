package libvirt

import (
	"bufio"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gisiaas/gisiaas/core"
)

// TestSpecCoverageRowsNameRealTests keeps the libvirt rows of
// docs/spec-coverage.md honest: one row per driver-facing clause, and every
// test a row names exists (here, or in cmd/gisiaas-driver-libvirt).
func TestSpecCoverageRowsNameRealTests(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "docs", "spec-coverage.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tests := testNames(t, ".", "")
	for k := range testNames(t, filepath.Join("..", "..", "cmd", "gisiaas-driver-libvirt"), "cmd/gisiaas-driver-libvirt: ") {
		tests[k] = true
	}
	rows := map[core.Clause]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cells := strings.Split(sc.Text(), "|")
		if len(cells) < 5 || strings.TrimSpace(cells[2]) != "libvirt" {
			continue
		}
		clause := core.Clause(strings.TrimSpace(cells[1]))
		rows[clause] = true
		for _, name := range strings.Split(cells[3], ",") {
			name = strings.Trim(strings.TrimSpace(name), "`")
			if name != "" && !tests[name] {
				t.Errorf("docs/spec-coverage.md names %s for %s, but no such test exists", name, clause)
			}
		}
	}
	for _, c := range core.Clauses {
		if c.ID != core.ClauseAuth && !rows[c.ID] {
			t.Errorf("clause %s has no libvirt row in docs/spec-coverage.md", c.ID)
		}
	}
}

func testNames(t *testing.T, dir, prefix string) map[string]bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	fset := token.NewFileSet()
	for _, name := range files {
		file, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range file.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && fn.Recv == nil && strings.HasPrefix(fn.Name.Name, "Test") {
				out[prefix+fn.Name.Name] = true
			}
		}
	}
	return out
}
