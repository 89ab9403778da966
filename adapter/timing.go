package adapter

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
)

// backendTimeKey holds, in a request's context, the time the request spent
// in calls to datacenters. It is reported in the Server-Timing header
// (backend;dur=ms), which is how the benchmarks measure the share of a
// request's time spent across the plugin boundary.
type backendTimeKey struct{}

func withBackendTimer(ctx context.Context) (context.Context, *atomic.Int64) {
	n := new(atomic.Int64)
	return context.WithValue(ctx, backendTimeKey{}, n), n
}

// addBackendTime adds d to the request's backend time, if it keeps one.
func addBackendTime(ctx context.Context, d time.Duration) {
	if n, ok := ctx.Value(backendTimeKey{}).(*atomic.Int64); ok {
		n.Add(int64(d))
	}
}

// serverTiming reports the request's backend time and total time in
// Server-Timing, set just before the headers are written.
func serverTiming(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		ctx, n := withBackendTimer(c.Request().Context())
		c.SetRequest(c.Request().WithContext(ctx))
		c.Response().Before(func() {
			c.Response().Header().Set("Server-Timing", fmt.Sprintf("backend;dur=%.3f, total;dur=%.3f",
				float64(n.Load())/1e6, float64(time.Since(start))/1e6))
		})
		return next(c)
	}
}
