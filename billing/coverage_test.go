package billing

import (
	"bufio"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSpecCoverageOfPartB keeps the billing rows of docs/spec-coverage.md
// honest: BL.1–BL.16 each have a row, and every test a row names exists in
// the package it names.
func TestSpecCoverageOfPartB(t *testing.T) {
	tests := map[string]map[string]bool{"billing": testNames(t, "."), "adapter": testNames(t, filepath.Join("..", "adapter"))}
	f, err := os.Open(filepath.Join("..", "docs", "spec-coverage.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	covered := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cells := strings.Split(sc.Text(), "|")
		if len(cells) < 5 || strings.TrimSpace(cells[2]) != "billing" {
			continue
		}
		clause := strings.TrimSpace(cells[1])
		for _, ref := range strings.Split(cells[3], ",") {
			ref = strings.Trim(strings.TrimSpace(ref), "`")
			pkg, name, ok := strings.Cut(ref, ": ")
			if !ok || tests[pkg] == nil || !tests[pkg][name] {
				t.Errorf("%s names %q, which is not a test of billing or adapter", clause, ref)
				continue
			}
			covered[clause] = true
		}
	}
	for i := 1; i <= 16; i++ {
		if c := fmt.Sprintf("BL.%d", i); !covered[c] {
			t.Errorf("%s has no test in docs/spec-coverage.md", c)
		}
	}
}

func testNames(t *testing.T, dir string) map[string]bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("test files of %s: %v", dir, err)
	}
	out := map[string]bool{}
	fset := token.NewFileSet()
	for _, name := range files {
		file, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && strings.HasPrefix(fn.Name.Name, "Test") {
				out[fn.Name.Name] = true
			}
		}
	}
	return out
}
