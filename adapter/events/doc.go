// Package events carries lifecycle events from the reconciler to their
// consumers: the SSE route now, billing next.
//
// Log is the Bus over the adapter's own database. Every event is a row of
// the events table: seq, its position, is what a consumer resumes from (the
// SSE id); the driver's event id is UNIQUE, so publishing an event twice —
// a reconciler restarted before it saved its cursor, a plugin that replayed
// — stores it once. Publishers are serialized, so seq order is commit order
// and a reader that has seen seq n has seen everything before it.
//
// Subscribe replays from the table, then waits on a broadcast that every
// Publish fires after it commits and queries again from the last seq it
// delivered. Events never travel through channels, so a slow subscriber
// holds nothing in memory and a Publish racing with the switch from replay
// to live can be neither lost nor seen twice.
//
// Retention bounds the table by age and count; Trim (or RunTrim) deletes the
// oldest rows and remembers the highest seq it deleted, so a consumer that
// resumes from before it is told Gone and reconciles, as a Kubernetes watch
// does on "resource version too old".
//
//	log := events.NewLog(db, events.WithRetention(events.Retention{MaxAge: 7 * 24 * time.Hour}))
//	_, added, err := log.Publish(ctx, events.Event{Event: ev, DepartmentID: dept})
//	err = log.Subscribe(ctx, lastSeq, nil, func(e events.Event) error { … })
package events
