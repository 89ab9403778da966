package plugins

import (
	"bytes"
	"context"
	"io"
	"log"
	"log/slog"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"
)

// go-plugin logs through hclog; gisiaas logs through log/slog. The two
// adapters here bridge them: slogHCLogger (host side) is an hclog.Logger
// writing to an slog.Logger, so go-plugin's own messages and every line a
// plugin writes to stderr land in the host's structured log; hclogHandler
// (plugin side) is an slog.Handler writing hclog JSON, which the host
// parses back into levels and attributes.

// levelTrace is hclog's Trace in slog's scale, below Debug.
const levelTrace = slog.LevelDebug - 4

func toSlogLevel(l hclog.Level) slog.Level {
	switch l {
	case hclog.Trace:
		return levelTrace
	case hclog.Debug:
		return slog.LevelDebug
	case hclog.Warn:
		return slog.LevelWarn
	case hclog.Error:
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}

func toHCLogLevel(l slog.Level) hclog.Level {
	switch {
	case l < slog.LevelDebug:
		return hclog.Trace
	case l < slog.LevelInfo:
		return hclog.Debug
	case l < slog.LevelWarn:
		return hclog.Info
	case l < slog.LevelError:
		return hclog.Warn
	default:
		return hclog.Error
	}
}

// slogHCLogger is an hclog.Logger that writes to an slog.Logger.
type slogHCLogger struct {
	l       *slog.Logger
	name    string
	implied []any
}

// newSlogHCLogger returns the hclog.Logger go-plugin uses on the host side
// for the plugin called name.
func newSlogHCLogger(l *slog.Logger, name string) hclog.Logger {
	if l == nil {
		l = slog.Default()
	}
	return &slogHCLogger{l: l.With("plugin", name)}
}

var _ hclog.Logger = (*slogHCLogger)(nil)

func (h *slogHCLogger) Log(level hclog.Level, msg string, args ...any) {
	lvl := toSlogLevel(level)
	ctx := context.Background()
	if !h.l.Enabled(ctx, lvl) {
		return
	}
	l := h.l
	if h.name != "" {
		l = l.With("module", h.name)
	}
	l.Log(ctx, lvl, msg, append(append([]any(nil), h.implied...), args...)...)
}

func (h *slogHCLogger) Trace(msg string, args ...any) { h.Log(hclog.Trace, msg, args...) }
func (h *slogHCLogger) Debug(msg string, args ...any) { h.Log(hclog.Debug, msg, args...) }
func (h *slogHCLogger) Info(msg string, args ...any)  { h.Log(hclog.Info, msg, args...) }
func (h *slogHCLogger) Warn(msg string, args ...any)  { h.Log(hclog.Warn, msg, args...) }
func (h *slogHCLogger) Error(msg string, args ...any) { h.Log(hclog.Error, msg, args...) }

func (h *slogHCLogger) enabled(l hclog.Level) bool {
	return h.l.Enabled(context.Background(), toSlogLevel(l))
}

func (h *slogHCLogger) IsTrace() bool { return h.enabled(hclog.Trace) }
func (h *slogHCLogger) IsDebug() bool { return h.enabled(hclog.Debug) }
func (h *slogHCLogger) IsInfo() bool  { return h.enabled(hclog.Info) }
func (h *slogHCLogger) IsWarn() bool  { return h.enabled(hclog.Warn) }
func (h *slogHCLogger) IsError() bool { return h.enabled(hclog.Error) }

func (h *slogHCLogger) ImpliedArgs() []any { return h.implied }

func (h *slogHCLogger) With(args ...any) hclog.Logger {
	c := *h
	c.implied = append(append([]any(nil), h.implied...), args...)
	return &c
}

func (h *slogHCLogger) Name() string { return h.name }

func (h *slogHCLogger) Named(name string) hclog.Logger {
	c := *h
	if c.name != "" {
		name = c.name + "." + name
	}
	c.name = name
	return &c
}

func (h *slogHCLogger) ResetNamed(name string) hclog.Logger {
	c := *h
	c.name = name
	return &c
}

// SetLevel is ignored: the slog handler decides what is kept.
func (h *slogHCLogger) SetLevel(hclog.Level) {}

// GetLevel reports the lowest level the slog handler keeps; go-plugin
// skips parsing plugin lines below it.
func (h *slogHCLogger) GetLevel() hclog.Level {
	for _, l := range []hclog.Level{hclog.Trace, hclog.Debug, hclog.Info, hclog.Warn, hclog.Error} {
		if h.enabled(l) {
			return l
		}
	}
	return hclog.Off
}

func (h *slogHCLogger) StandardLogger(opts *hclog.StandardLoggerOptions) *log.Logger {
	return log.New(h.StandardWriter(opts), "", 0)
}

func (h *slogHCLogger) StandardWriter(*hclog.StandardLoggerOptions) io.Writer {
	return &lineWriter{log: func(line string) { h.Info(line) }}
}

// lineWriter logs each complete line written to it; go-plugin copies a
// plugin's stdout and stderr into one in arbitrary pieces.
type lineWriter struct {
	mu  sync.Mutex
	buf []byte
	log func(line string)
}

// newStreamWriter logs the lines of one of the plugin's output streams.
func newStreamWriter(l *slog.Logger, name, stream string) io.Writer {
	if l == nil {
		l = slog.Default()
	}
	l = l.With("plugin", name, "stream", stream)
	return &lineWriter{log: func(line string) { l.Info(line) }}
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		if line := strings.TrimRight(string(w.buf[:i]), "\r"); line != "" {
			w.log(line)
		}
		w.buf = w.buf[i+1:]
	}
	return len(p), nil
}

// hclogHandler is an slog.Handler writing to an hclog.Logger: in a plugin,
// slog's output becomes hclog JSON on stderr, which the host reads back.
type hclogHandler struct {
	l      hclog.Logger
	attrs  []any
	prefix string // open groups, "a.b."
}

func newHCLogHandler(l hclog.Logger) slog.Handler { return &hclogHandler{l: l} }

func (h *hclogHandler) Enabled(_ context.Context, l slog.Level) bool {
	return toHCLogLevel(l) >= h.l.GetLevel()
}

func (h *hclogHandler) Handle(_ context.Context, r slog.Record) error {
	args := append([]any(nil), h.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		args = appendAttr(args, h.prefix, a)
		return true
	})
	h.l.Log(toHCLogLevel(r.Level), r.Message, args...)
	return nil
}

func appendAttr(args []any, prefix string, a slog.Attr) []any {
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		p := prefix
		if a.Key != "" {
			p += a.Key + "."
		}
		for _, g := range v.Group() {
			args = appendAttr(args, p, g)
		}
		return args
	}
	return append(args, prefix+a.Key, v.Any())
}

func (h *hclogHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append([]any(nil), h.attrs...)
	for _, a := range as {
		c.attrs = appendAttr(c.attrs, h.prefix, a)
	}
	return &c
}

func (h *hclogHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.prefix = h.prefix + name + "."
	return &c
}
