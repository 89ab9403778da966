package adapter

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/gisiaas/gisiaas/adapter/events"
	"github.com/gisiaas/gisiaas/adapter/registry"
	"github.com/gisiaas/gisiaas/billing"
	"github.com/gisiaas/gisiaas/core"
)

// meterCursor is the name under which the meter's position on the bus is
// kept (in the registry's cursors), so a restart resumes where it stopped.
const meterCursor = "bus:billing"

// MeterConfig is what the meter is built from.
type MeterConfig struct {
	Bus      events.Bus
	Billing  *billing.Service
	Registry *registry.Registry
	Logger   *slog.Logger
	// Batch is the most events rated in one transaction (default 2,000).
	Batch int
}

// Meter feeds billing from the event bus: it reads every lifecycle event,
// in order, rates them in batches (a batch is whatever has arrived when
// billing is free again, so latency stays low when idle and throughput high
// under load), then checks the touched departments' balance alerts. It
// never loses an event: the cursor moves only after billing has stored a
// batch, and billing drops an event it has seen before, so a restart that
// replays some events charges nothing twice.
type Meter struct {
	cfg MeterConfig
	log *slog.Logger
}

// NewMeter builds a meter.
func NewMeter(cfg MeterConfig) *Meter {
	if cfg.Batch <= 0 {
		cfg.Batch = 2000
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Meter{cfg: cfg, log: log.With("component", "meter")}
}

// Run meters until ctx ends.
func (m *Meter) Run(ctx context.Context) error {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := m.run(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if core.KindOf(err) == core.Gone {
			// The bus trimmed events billing never rated: say so loudly,
			// then go on from what the bus still has.
			m.log.Error("the event bus no longer holds events billing has not rated; resuming from the oldest it holds", "error", err)
			if err := m.cfg.Registry.SetCursor(ctx, meterCursor, "0"); err != nil {
				m.log.Error("resetting the meter's cursor failed", "error", err)
			}
			continue
		}
		m.log.Warn("metering stopped; retrying", "error", err, "in", backoff)
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
	return ctx.Err()
}

func (m *Meter) run(ctx context.Context) error {
	raw, err := m.cfg.Registry.Cursor(ctx, meterCursor)
	if err != nil {
		return err
	}
	after, _ := strconv.ParseInt(raw, 10, 64)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	feed := make(chan events.Event, m.cfg.Batch)
	errc := make(chan error, 1)
	go func() {
		errc <- m.cfg.Bus.Subscribe(ctx, after, nil, func(e events.Event) error {
			select {
			case feed <- e:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	for {
		var first events.Event
		select {
		case first = <-feed:
		case err := <-errc:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
		batch := []events.Event{first}
	drain:
		for len(batch) < m.cfg.Batch {
			select {
			case e := <-feed:
				batch = append(batch, e)
			default:
				break drain
			}
		}
		if err := m.record(ctx, batch); err != nil {
			return err
		}
	}
}

// record rates batch, retrying while billing's database is unavailable,
// then moves the cursor past it.
func (m *Meter) record(ctx context.Context, batch []events.Event) error {
	in := make([]billing.Event, len(batch))
	depts := map[string]bool{}
	for i, e := range batch {
		in[i] = billing.Event{Event: e.Event, DepartmentID: e.DepartmentID}
		if e.DepartmentID != "" {
			depts[e.DepartmentID] = true
		} else if billing.IsBillableType(e.ResourceType) {
			m.log.Warn("a billable event has no department: it is not rated", "event", e.ID, "resource", e.ResourceID, "project", e.ProjectID)
		}
	}
	backoff := 100 * time.Millisecond
	for {
		_, err := m.cfg.Billing.Record(ctx, in)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if core.KindOf(err) != core.Unavailable {
			// One event billing refuses must not stop billing for all:
			// rate the batch event by event and leave out (loudly) only
			// what is refused.
			m.recordOneByOne(ctx, in)
			break
		}
		m.log.Warn("rating a batch failed; retrying", "error", err, "events", len(in))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
	if err := m.cfg.Registry.SetCursor(ctx, meterCursor, strconv.FormatInt(batch[len(batch)-1].Seq, 10)); err != nil {
		return err
	}
	for d := range depts {
		if err := m.cfg.Billing.CheckAlerts(ctx, d); err != nil && !errors.Is(err, context.Canceled) {
			m.log.Warn("balance alerts", "department", d, "error", err)
		}
	}
	return nil
}

// recordOneByOne rates events one at a time, logging each that billing
// refuses for a reason other than its database being unavailable.
func (m *Meter) recordOneByOne(ctx context.Context, in []billing.Event) {
	for _, e := range in {
		for {
			_, err := m.cfg.Billing.Record(ctx, []billing.Event{e})
			if err == nil || ctx.Err() != nil {
				break
			}
			if core.KindOf(err) != core.Unavailable {
				m.log.Error("billing refused an event; it is left out", "event", e.ID, "resource", e.ResourceID, "error", err)
				break
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
	}
}
