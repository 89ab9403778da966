-- +goose Up
-- The lifecycle event log (adapter/events.Log): what the reconciler
-- publishes and the SSE route and billing read. seq is the position a
-- consumer resumes from (publishers are serialized, so seq order is commit
-- order; a rolled-back or duplicate publish leaves a hole, never a reuse).
-- id is the driver's event id, UNIQUE so a second publish of one event is a
-- no-op.
CREATE TABLE events (
    seq           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
    occurred_at   TIMESTAMPTZ NOT NULL,
    published_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX events_project ON events (project_id, seq);
CREATE INDEX events_published ON events (published_at);

-- One row: the highest seq trimmed, so a consumer resuming from before it
-- is told Gone even when the trim left holes or an empty table behind.
CREATE TABLE event_log (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    trimmed_through BIGINT NOT NULL
);
INSERT INTO event_log (id, trimmed_through) VALUES (1, 0);

-- +goose Down
DROP TABLE event_log;
DROP TABLE events;
