package adapter

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

// TestSpecCoverageOverHTTP keeps the HTTP rows of docs/spec-coverage.md
// honest: every clause has a row, and every test a row names exists here.
func TestSpecCoverageOverHTTP(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "docs", "spec-coverage.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tests := map[string]bool{}
	files, _ := filepath.Glob("*_test.go")
	fset := token.NewFileSet()
	for _, name := range files {
		file, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && strings.HasPrefix(fn.Name.Name, "Test") {
				tests[fn.Name.Name] = true
			}
		}
	}
	covered := map[core.Clause]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cells := strings.Split(sc.Text(), "|")
		if len(cells) < 4 || strings.TrimSpace(cells[2]) != "http" {
			continue
		}
		clause := core.Clause(strings.TrimSpace(cells[1]))
		for _, name := range strings.Split(cells[3], ",") {
			name = strings.TrimPrefix(strings.Trim(strings.TrimSpace(name), "`"), "adapter: ")
			if name == "" {
				continue
			}
			if !tests[name] {
				t.Errorf("docs/spec-coverage.md names %s for %s over HTTP, but adapter has no such test", name, clause)
			}
			covered[clause] = true
		}
	}
	for _, c := range core.Clauses {
		if !covered[c.ID] {
			t.Errorf("clause %s (%s) has no HTTP row in docs/spec-coverage.md", c.ID, c.Title)
		}
	}
}
