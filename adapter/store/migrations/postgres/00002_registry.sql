-- +goose Up
-- The registry of every resource the adapter manages (issue 5): global id,
-- datacenter, the cloud's own id, owning project, type, last known state.
-- Shared objects (flavors, public images, external networks) are not here.
CREATE TABLE resources (
    type          TEXT NOT NULL,
    id            TEXT NOT NULL,
    datacenter_id TEXT NOT NULL,
    cloud_id      TEXT NOT NULL,
    project_id    TEXT NOT NULL,
    state         TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (type, id)
);
CREATE INDEX resources_project ON resources (project_id, type);

-- A create is recorded here before the driver is called; the record's token
-- is the driver's client token and a tag on the cloud resource, so a create
-- cut short is adopted, never duplicated. The same rows keep Idempotency-Key
-- replays: the first answer, for 24 hours.
CREATE TABLE create_intents (
    token           TEXT PRIMARY KEY,
    project_id      TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    type            TEXT NOT NULL,
    datacenter_id   TEXT NOT NULL,
    idempotency_key TEXT,
    request_hash    TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed', 'abandoned')),
    resource_id     TEXT NOT NULL DEFAULT '',
    response_code   INTEGER NOT NULL DEFAULT 0,
    response        BYTEA,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX create_intents_key ON create_intents (project_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX create_intents_pending ON create_intents (status, created_at);

-- Where each datacenter's Watch stream was last read, so a restart resumes.
CREATE TABLE watch_cursors (
    datacenter_id TEXT PRIMARY KEY,
    cursor        TEXT NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE watch_cursors;
DROP TABLE create_intents;
DROP TABLE resources;
