package plugins_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// binDir holds the plugin binaries the tests build, once per test run.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gisiaas-plugins-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	// The in-process drivers log through slog's default; keep that out of
	// test and benchmark output. Plugins log through their own logger.
	slog.SetDefault(quietLogger())
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var (
	buildMu sync.Mutex
	built   = map[string]string{}
)

// buildPlugin builds the main package pkg (relative to the module root)
// into a binary named file, with extra -ldflags, once per test run. The
// plugin binary is built without -race: it is a separate process and the
// host's race detector does not reach it; a plain build is several times
// faster.
func buildPlugin(t testing.TB, pkg, file, ldflags string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	key := pkg + "|" + file + "|" + ldflags
	if p, ok := built[key]; ok {
		return p
	}
	out := filepath.Join(binDir, fmt.Sprintf("%d", len(built)), file)
	args := []string{"build", "-o", out}
	if ldflags != "" {
		args = append(args, "-ldflags", ldflags)
	}
	args = append(args, "github.com/gisiaas/gisiaas/"+pkg)
	cmd := exec.Command(goTool(), args...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, b)
	}
	built[key] = out
	return out
}

// goTool is the go command: go test puts its toolchain's bin first on
// the PATH of the test process.
func goTool() string { return "go" }

// quietLogger keeps plugin chatter out of the test output.
func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// recorder is an slog.Handler that keeps every record, so a test can wait
// for a line from a plugin and scan everything that was logged.
type recorder struct {
	mu      sync.Mutex
	records []rec
	attrs   []slog.Attr
	root    *recorder
	notify  chan struct{}
}

type rec struct {
	level slog.Level
	msg   string
	attrs map[string]string
}

func newRecorder() *recorder {
	r := &recorder{notify: make(chan struct{})}
	r.root = r
	return r
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }

func (r *recorder) Handle(_ context.Context, record slog.Record) error {
	x := rec{level: record.Level, msg: record.Message, attrs: map[string]string{}}
	for _, a := range r.attrs {
		x.attrs[a.Key] = a.Value.String()
	}
	record.Attrs(func(a slog.Attr) bool { x.attrs[a.Key] = a.Value.String(); return true })
	root := r.root
	root.mu.Lock()
	root.records = append(root.records, x)
	close(root.notify)
	root.notify = make(chan struct{})
	root.mu.Unlock()
	return nil
}

func (r *recorder) WithAttrs(as []slog.Attr) slog.Handler {
	return &recorder{root: r.root, attrs: append(append([]slog.Attr(nil), r.attrs...), as...)}
}

func (r *recorder) WithGroup(string) slog.Handler { return r }

// waitFor waits until a record matches, or fails the test.
func (r *recorder) waitFor(t *testing.T, what string, match func(rec) bool) rec {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		r.mu.Lock()
		for _, x := range r.records {
			if match(x) {
				r.mu.Unlock()
				return x
			}
		}
		wake := r.notify
		r.mu.Unlock()
		select {
		case <-wake:
		case <-deadline:
			t.Fatalf("no log record %s", what)
		}
	}
}

// all is a copy of every record so far.
func (r *recorder) all() []rec {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]rec(nil), r.records...)
}
