-- +goose Up
-- Bumped by every batch the ledger records: a replica whose cache of
-- resources' last states was written at another version reloads it.
CREATE TABLE billing_ledger_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO billing_ledger_version (id, version) VALUES (1, 0);

-- +goose Down
DROP TABLE billing_ledger_version;
