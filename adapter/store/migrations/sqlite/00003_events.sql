-- +goose Up
-- The lifecycle event log (adapter/events.Log): what the reconciler
-- publishes and the SSE route and billing read. seq is the position a
-- consumer resumes from; AUTOINCREMENT so a seq is never reused, even after
-- the newest rows are trimmed. id is the driver's event id, UNIQUE so a
-- second publish of one event is a no-op.
CREATE TABLE events (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT NOT NULL UNIQUE,
    cursor        TEXT NOT NULL DEFAULT '',
    resource_type TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    datacenter_id TEXT NOT NULL,
    project_id    TEXT NOT NULL DEFAULT '',
    department_id TEXT NOT NULL DEFAULT '',
    from_state    TEXT NOT NULL DEFAULT '',
    to_state      TEXT NOT NULL,
    attributes    TEXT NOT NULL DEFAULT '{}',
    occurred_at   TIMESTAMP NOT NULL,
    published_at  TIMESTAMP NOT NULL
);
CREATE INDEX events_project ON events (project_id, seq);
CREATE INDEX events_published ON events (published_at);

-- One row: the highest seq trimmed, so a consumer resuming from before it
-- is told Gone even when the trim left holes or an empty table behind.
CREATE TABLE event_log (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    trimmed_through INTEGER NOT NULL
);
INSERT INTO event_log (id, trimmed_through) VALUES (1, 0);

-- +goose Down
DROP TABLE event_log;
DROP TABLE events;
