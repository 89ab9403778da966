package events

import (
	"context"

	"github.com/gisiaas/gisiaas/core"
)

// Event is a normalized lifecycle event as the adapter publishes it: the
// driver's event with the owning department added, and Seq, its position in
// the bus's log (the SSE id a client resumes from with Last-Event-ID).
type Event struct {
	Seq int64 `json:"seq"`
	core.Event
	DepartmentID string `json:"department_id,omitempty"`
}

// Bus carries lifecycle events from the reconciler to their consumers (the
// SSE route now, billing next). Implementations: the in-process log over the
// adapter's database (this package); Redis Streams comes with scale-out.
type Bus interface {
	// Publish appends e unless an event with e.ID was published before, in
	// which case it returns the stored event and false: a duplicate is a
	// no-op, never an error.
	Publish(ctx context.Context, e Event) (stored Event, added bool, err error)
	// Subscribe calls fn with every event after seq after (0 = from the
	// oldest retained) for which match returns true (nil matches all), in
	// Seq order, then with each new one, until ctx is done (ctx.Err()) or fn
	// fails (its error). A seq older than what is retained is Gone.
	Subscribe(ctx context.Context, after int64, match func(Event) bool, fn func(Event) error) error
}
