package plugins_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/gisiaas/gisiaas/core"
	"github.com/gisiaas/gisiaas/plugins"
)

// A consumer that reads the same stream twice (after a reconnect, a
// replay) sees each event once.
func ExampleDedup() {
	seen := plugins.NewDedup(1000)
	handle := seen.Filter(func(ev core.Event) error {
		fmt.Println("handled", ev.ID)
		return nil
	})
	for _, id := range []string{"ev-1", "ev-2", "ev-1", "ev-3", "ev-2"} {
		_ = handle(core.Event{ID: id})
	}
	// Output:
	// handled ev-1
	// handled ev-2
	// handled ev-3
}

// The errors of a plugin are the driver's own: test them by kind. A plugin
// that cannot be reached is Unavailable too, and says so.
func ExampleErrPluginUnreachable() {
	handle := func(err error) {
		switch {
		case errors.Is(err, core.ErrNotFound):
			fmt.Println("404")
		case errors.Is(err, plugins.ErrPluginDown):
			fmt.Println("503, the plugin is down until an operator restarts it")
		case errors.Is(err, plugins.ErrPluginUnreachable):
			fmt.Println("503, the plugin is restarting")
		case core.KindOf(err) == core.Unavailable:
			fmt.Println("503, the cloud is unavailable")
		}
	}
	handle(&core.Error{Kind: core.NotFound, Op: "GetServer", Message: "server s1 not found"})
	handle(&core.Error{Kind: core.Unavailable, Op: "GetServer", Err: fmt.Errorf("%w: EOF", plugins.ErrPluginUnreachable)})
	// Output:
	// 404
	// 503, the plugin is restarting
}

// Backoff before each restart grows with the crashes of the window.
func ExampleExponentialBackoff() {
	backoff := plugins.ExponentialBackoff(100*time.Millisecond, time.Second)
	for crashes := 1; crashes <= 5; crashes++ {
		fmt.Println(crashes, backoff(crashes))
	}
	// Output:
	// 1 100ms
	// 2 200ms
	// 3 400ms
	// 4 800ms
	// 5 1s
}
