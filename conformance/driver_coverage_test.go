package conformance

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

// TestSpecCoverageOfRealDrivers keeps the driver rows of
// docs/spec-coverage.md honest for the drivers of real clouds: one row per
// driver-facing clause (B.1.1 is the HTTP API's, optional here), and every
// test a row names exists, in drivers/<name> or, written
// "cmd/gisiaas-driver-<name>: TestX", in that plugin's command, or
// "adapter: TestX". (The simulator's rows have their own test in
// drivers/sim, the HTTP rows theirs in adapter.)
func TestSpecCoverageOfRealDrivers(t *testing.T) {
	for _, driver := range []string{"libvirt", "openstack"} {
		t.Run(driver, func(t *testing.T) {
			tests := testFuncs(t, filepath.Join("..", "drivers", driver), "")
			for _, extra := range []struct{ dir, prefix string }{
				{filepath.Join("..", "cmd", "gisiaas-driver-"+driver), "cmd/gisiaas-driver-" + driver + ": "},
				{filepath.Join("..", "adapter"), "adapter: "},
			} {
				for k := range testFuncs(t, extra.dir, extra.prefix) {
					tests[k] = true
				}
			}
			f, err := os.Open(filepath.Join("..", "docs", "spec-coverage.md"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rows := map[core.Clause]bool{}
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				cells := strings.Split(sc.Text(), "|")
				if len(cells) < 5 || strings.TrimSpace(cells[2]) != driver {
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
					t.Errorf("clause %s has no %s row in docs/spec-coverage.md", c.ID, driver)
				}
			}
		})
	}
}

// testFuncs are the Test functions of the _test.go files in dir, each name
// prefixed.
func testFuncs(t *testing.T, dir, prefix string) map[string]bool {
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
