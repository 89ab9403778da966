package sim

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

// TestSpecCoverageListsEveryClause keeps docs/spec-coverage.md honest: every
// driver-facing clause has a row for the simulator, and every test that row
// names exists in this package. A clause can never be silently untested.
func TestSpecCoverageListsEveryClause(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "docs", "spec-coverage.md"))
	if err != nil {
		t.Fatalf("open coverage doc: %v", err)
	}
	defer f.Close()
	tests := testFuncs(t)
	covered := map[core.Clause][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cells := strings.Split(sc.Text(), "|")
		if len(cells) < 5 {
			continue
		}
		clause, driver := strings.TrimSpace(cells[1]), strings.TrimSpace(cells[2])
		if driver != "sim" {
			continue
		}
		for _, name := range strings.Split(cells[3], ",") {
			name = strings.Trim(strings.TrimSpace(name), "`")
			if name == "" {
				continue
			}
			if !tests[name] {
				t.Errorf("coverage doc names %s for %s, but drivers/sim has no such test", name, clause)
			}
			covered[core.Clause(clause)] = append(covered[core.Clause(clause)], name)
		}
	}
	for _, c := range core.Clauses {
		if c.ID == core.ClauseAuth {
			continue // authentication belongs to the HTTP API, not to a driver
		}
		if len(covered[c.ID]) == 0 {
			t.Errorf("clause %s (%s) has no simulator test in docs/spec-coverage.md", c.ID, c.Title)
		}
	}
}

// testFuncs is the set of Test functions in this package's test files.
func testFuncs(t *testing.T) map[string]bool {
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	fset := token.NewFileSet()
	for _, name := range files {
		file, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatalf("parse %s: %v", name, err)
		}
		for _, decl := range file.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && fn.Recv == nil && strings.HasPrefix(fn.Name.Name, "Test") {
				out[fn.Name.Name] = true
			}
		}
	}
	return out
}
