-- +goose Up
-- BL.16: every backup taken, so a reset can require a recent one.
CREATE TABLE billing_backups (
    id       TEXT PRIMARY KEY,
    taken_at TIMESTAMPTZ NOT NULL,
    sha256   TEXT NOT NULL,
    bytes    BIGINT NOT NULL,
    by_user  TEXT NOT NULL
);

-- +goose Down
DROP TABLE billing_backups;
