package plugins

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/gisiaas/gisiaas/core"
)

// BinaryPrefix starts the file name of every driver plugin:
// gisiaas-driver-<name>, as Terraform's providers are terraform-provider-<name>.
const BinaryPrefix = "gisiaas-driver-"

// Found is a driver plugin binary.
type Found struct {
	Name string // the driver's name: the file name without BinaryPrefix
	Path string
}

// Discover lists the driver binaries in dirs, then in the directories of
// $PATH. A name found twice keeps the first: a configured directory
// overrides PATH, as a local build overrides an installed one. Missing or
// unreadable directories are skipped, since PATH often names some.
func Discover(dirs ...string) []Found {
	seen := map[string]bool{}
	var out []Found
	for _, dir := range searchPath(dirs) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			name, ok := driverName(e.Name())
			if !ok || seen[name] {
				continue
			}
			path := filepath.Join(dir, e.Name())
			if !isExecutable(path) {
				continue
			}
			seen[name] = true
			out = append(out, Found{Name: name, Path: path})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Find returns the binary of the driver called name, searched as Discover
// does. A driver found nowhere is NotFound, naming where it was sought.
func Find(name string, dirs ...string) (string, error) {
	if name == "" || strings.ContainsAny(name, `/\`) {
		return "", &core.Error{Kind: core.InvalidArgument, Op: "Find", Message: fmt.Sprintf("%q is not a driver name", name)}
	}
	file := BinaryPrefix + name
	if runtime.GOOS == "windows" {
		file += ".exe"
	}
	places := searchPath(dirs)
	for _, dir := range places {
		path := filepath.Join(dir, file)
		if isExecutable(path) {
			return path, nil
		}
	}
	return "", &core.Error{Kind: core.NotFound, Op: "Find",
		Message: fmt.Sprintf("no driver plugin %s in %s", file, strings.Join(places, string(os.PathListSeparator)))}
}

// searchPath is dirs followed by $PATH, without empty entries.
func searchPath(dirs []string) []string {
	var out []string
	for _, d := range append(append([]string(nil), dirs...), filepath.SplitList(os.Getenv("PATH"))...) {
		if d != "" {
			out = append(out, d)
		}
	}
	return out
}

// driverName is the driver name a file name stands for, if any.
func driverName(file string) (string, bool) {
	if runtime.GOOS == "windows" {
		file = strings.TrimSuffix(file, ".exe")
	}
	name, ok := strings.CutPrefix(file, BinaryPrefix)
	if !ok || name == "" {
		return "", false
	}
	return name, true
}

// isExecutable reports whether path is a regular file someone may execute.
func isExecutable(path string) bool {
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() {
		return false
	}
	return runtime.GOOS == "windows" || st.Mode().Perm()&0o111 != 0
}
