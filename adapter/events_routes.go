package adapter

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gisiaas/gisiaas/adapter/events"
	"github.com/gisiaas/gisiaas/core"
)

// sseHeartbeat is how often an idle event stream gets a comment line, so
// proxies and load balancers do not close it as dead.
var sseHeartbeat = 15 * time.Second

type streamStopKey struct{}

// WithStreamStop returns parent carrying stop: event streams served under
// it (as an http.Server's BaseContext) end when stop closes. Close it from
// RegisterOnShutdown, as a stream never goes idle and Shutdown would
// otherwise wait for it until its deadline.
func WithStreamStop(parent context.Context, stop <-chan struct{}) context.Context {
	return context.WithValue(parent, streamStopKey{}, stop)
}

// eventView is a lifecycle event as the API shows it: SPEC A.0.4 times, no
// driver cursor (the stream's own id is seq).
type eventView struct {
	Seq          int64                `json:"seq"`
	ID           string               `json:"id"`
	ResourceType core.ResourceType    `json:"resource_type"`
	ResourceID   string               `json:"resource_id"`
	DatacenterID string               `json:"datacenter_id"`
	ProjectID    string               `json:"project_id"`
	DepartmentID string               `json:"department_id,omitempty"`
	FromState    string               `json:"from_state"`
	ToState      string               `json:"to_state"`
	Attributes   core.EventAttributes `json:"attributes"`
	Time         string               `json:"time"`
}

func toEventView(e events.Event) eventView {
	return eventView{Seq: e.Seq, ID: e.ID, ResourceType: e.ResourceType, ResourceID: e.ResourceID, DatacenterID: e.DatacenterID,
		ProjectID: e.ProjectID, DepartmentID: e.DepartmentID, FromState: e.FromState, ToState: e.ToState,
		Attributes: e.Attributes, Time: e.Time.UTC().Format(TimeFormat)}
}

// sseFrame is one Server-Sent Event: id is the seq to resume from, event
// the resource type (so an EventSource can listen per type), data the JSON.
func sseFrame(e events.Event) ([]byte, error) {
	data, err := json.Marshal(toEventView(e))
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString("id: ")
	b.WriteString(strconv.FormatInt(e.Seq, 10))
	b.WriteString("\nevent: ")
	b.WriteString(string(e.ResourceType))
	b.WriteString("\ndata: ")
	b.Write(data) // JSON escapes newlines, so one data line is enough
	b.WriteString("\n\n")
	return b.Bytes(), nil
}

// streamEvents is GET /v1/{project_id}/events: the project's lifecycle
// events as Server-Sent Events, from the oldest retained or after the seq
// in Last-Event-ID (a reconnecting EventSource sends it) or ?after=. A seq
// older than the retention is 410: the client reconciles by listing.
func (s *Server) streamEvents(c echo.Context) error {
	token := c.Request().Header.Get("X-Auth-Token")
	if s.bus == nil {
		return core.Errorf(core.Unavailable, "the event stream is not enabled on this server")
	}
	after, err := resumePoint(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if chk, ok := s.bus.(events.CursorChecker); ok {
		// Checked before the 200 is sent, while a 410 can still be answered.
		if err := chk.CheckCursor(ctx, after); err != nil {
			return err
		}
	}
	project := c.Param("project_id")
	w := c.Response()
	w.Header().Set(echo.HeaderContentType, "text/event-stream")
	w.Header().Set(echo.HeaderCacheControl, "no-cache")
	w.Header().Set("X-Accel-Buffering", "no") // nginx would otherwise hold events back
	w.WriteHeader(http.StatusOK)
	w.Flush()

	// The heartbeat and the events share the writer.
	var mu sync.Mutex
	write := func(b []byte) error {
		mu.Lock()
		defer mu.Unlock()
		if _, err := w.Write(b); err != nil {
			return err
		}
		w.Flush()
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	if stop, ok := ctx.Value(streamStopKey{}).(<-chan struct{}); ok {
		wg.Go(func() {
			select {
			case <-stop:
				cancel()
			case <-ctx.Done():
			}
		})
	}
	wg.Go(func() {
		t := time.NewTicker(sseHeartbeat)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				// A stream lives no longer than its token: revoked,
				// expired or its role in the project gone, it ends.
				if who, err := s.ids.ValidateToken(ctx, token); err != nil || who.Project == nil || who.Project.ID != project {
					if ctx.Err() == nil {
						body, _ := json.Marshal(ErrorFor(core.Errorf(core.Unauthenticated, "the token is no longer valid for this project")))
						_ = write(append(append([]byte("event: error\ndata: "), body...), "\n\n"...))
					}
					cancel()
					return
				}
				if write([]byte(": heartbeat\n\n")) != nil {
					cancel()
					return
				}
			}
		}
	})
	err = s.bus.Subscribe(ctx, after, func(e events.Event) bool { return e.ProjectID == project }, func(e events.Event) error {
		frame, err := sseFrame(e)
		if err != nil {
			return core.Wrap(core.Internal, "events", err)
		}
		return write(frame)
	})
	clientGone := ctx.Err() != nil
	cancel()
	wg.Wait() // nothing may write once the handler has returned
	if err != nil && !clientGone {
		// The 200 is sent: the error goes in the stream, A.0.3 body as data.
		body, _ := json.Marshal(ErrorFor(err))
		_ = write(append(append([]byte("event: error\ndata: "), body...), "\n\n"...))
	}
	return nil
}

// resumePoint is the seq the client has seen: Last-Event-ID, else ?after=,
// else 0 (from the oldest retained).
func resumePoint(c echo.Context) (int64, error) {
	field, v := "Last-Event-ID", strings.TrimSpace(c.Request().Header.Get("Last-Event-ID"))
	if v == "" {
		field, v = "after", c.QueryParam("after")
	}
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, core.Errorf(core.InvalidArgument, "%s: %q is not an event id (a non-negative integer)", field, v)
	}
	return n, nil
}
