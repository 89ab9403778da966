-- +goose Up
-- The identity model of the billing manual §2.5. SQLite keeps TIMESTAMP as
-- text; go-sqlite3 parses columns declared TIMESTAMP back into time.Time.
CREATE TABLE departments (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL
);

CREATE TABLE projects (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    department_id TEXT NOT NULL REFERENCES departments(id),
    created_at    TIMESTAMP NOT NULL,
    UNIQUE (department_id, name)
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    domain        TEXT NOT NULL,
    department_id TEXT NOT NULL REFERENCES departments(id),
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    UNIQUE (domain, name)
);

CREATE TABLE role_assignments (
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('admin', 'department_admin', 'project_admin', 'member')),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (project_id, user_id, role)
);
CREATE INDEX role_assignments_user ON role_assignments (user_id);

CREATE TABLE access_keys (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    secret_hash TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX access_keys_user ON access_keys (user_id);

CREATE TABLE tokens (
    id         TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    project_id TEXT REFERENCES projects(id) ON DELETE CASCADE,
    method     TEXT NOT NULL,
    issued_at  TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX tokens_user ON tokens (user_id);

-- +goose Down
DROP TABLE tokens;
DROP TABLE access_keys;
DROP TABLE role_assignments;
DROP TABLE users;
DROP TABLE projects;
DROP TABLE departments;
