-- +goose Up
-- Billing (SPEC Part B). Money is decimal text, never a float: it is read
-- and summed with apd. Amounts named *_x3600 are price per hour × quantity ×
-- seconds, exact; money is that divided by 3600, rounded once per bill line.

-- BL.13: one row.
CREATE TABLE billing_settings (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    currency         TEXT NOT NULL,
    timezone         TEXT NOT NULL,
    timezone_changed BOOLEAN NOT NULL DEFAULT FALSE,
    -- what happens at a zero balance: 'keep_running' (the manual) or 'refuse_creates' (402)
    on_zero_balance  TEXT NOT NULL DEFAULT 'keep_running',
    updated_at       TIMESTAMP NOT NULL
);

-- BL.5
CREATE TABLE billing_templates (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    is_default  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMP NOT NULL
);

-- BL.6. status is what an operator set: not_activated, activated or
-- disabled; "waiting", "in use" and "used" follow from effective_at and the
-- other activated lists of the template.
CREATE TABLE billing_price_lists (
    id            TEXT PRIMARY KEY,
    template_id   TEXT NOT NULL REFERENCES billing_templates(id) ON DELETE CASCADE,
    number        INTEGER NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    effective_at  TIMESTAMP,
    status        TEXT NOT NULL CHECK (status IN ('not_activated', 'activated', 'disabled')),
    base_list_id  TEXT,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    UNIQUE (template_id, number)
);

CREATE TABLE billing_prices (
    price_list_id TEXT NOT NULL REFERENCES billing_price_lists(id) ON DELETE CASCADE,
    item          TEXT NOT NULL,
    unit_price    TEXT NOT NULL, -- per hour
    PRIMARY KEY (price_list_id, item)
);

-- BL.7: which template a department is bound to, from when.
CREATE TABLE billing_department_templates (
    department_id TEXT NOT NULL,
    template_id   TEXT NOT NULL REFERENCES billing_templates(id),
    effective_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (department_id, effective_at)
);

-- BL.8–BL.11: one account per department.
CREATE TABLE billing_accounts (
    department_id         TEXT PRIMARY KEY,
    recharged             TEXT NOT NULL DEFAULT '0',
    charged_x3600         TEXT NOT NULL DEFAULT '0', -- every posted segment, exact
    low_balance_threshold TEXT,
    webhook_url           TEXT NOT NULL DEFAULT '',
    alert_state           TEXT NOT NULL DEFAULT 'ok', -- ok, low, arrears: alerts fire on a change
    created_at            TIMESTAMP NOT NULL
);

CREATE TABLE billing_recharges (
    id            TEXT PRIMARY KEY,
    department_id TEXT NOT NULL REFERENCES billing_accounts(department_id),
    amount        TEXT NOT NULL,
    note          TEXT NOT NULL DEFAULT '',
    method        TEXT NOT NULL CHECK (method IN ('admin', 'code')),
    code_id       TEXT,
    by_user       TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX billing_recharges_department ON billing_recharges (department_id, created_at);

-- BL.10. Only a hash of a code is kept: reading the table gives no usable code.
CREATE TABLE billing_recharge_codes (
    id                  TEXT PRIMARY KEY,
    code_hash           TEXT NOT NULL UNIQUE,
    code_hint           TEXT NOT NULL, -- the last 4 characters, to tell codes apart
    value               TEXT NOT NULL,
    expires_at          TIMESTAMP NOT NULL,
    created_by          TEXT NOT NULL,
    created_at          TIMESTAMP NOT NULL,
    deleted_at          TIMESTAMP,
    redeemed_at         TIMESTAMP,
    redeemed_by         TEXT,
    redeemed_department TEXT
);

-- Every lifecycle event billing has seen, forever: event_id is the dedup
-- key (no time-to-live), seq the order of arrival (ties in time).
CREATE TABLE billing_events (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id      TEXT NOT NULL UNIQUE,
    resource_type TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    datacenter_id TEXT NOT NULL,
    project_id    TEXT NOT NULL,
    department_id TEXT NOT NULL,
    state         TEXT NOT NULL,
    attributes    TEXT NOT NULL,
    event_time    TIMESTAMP NOT NULL,
    received_at   TIMESTAMP NOT NULL
);
CREATE INDEX billing_events_resource ON billing_events (resource_type, resource_id, event_time);

-- Each billed resource: the last state it entered, so the next event
-- closes that interval without reading its history.
CREATE TABLE billing_resources (
    resource_type TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    department_id TEXT NOT NULL,
    project_id    TEXT NOT NULL,
    last_time     TIMESTAMP NOT NULL,
    last_state    TEXT NOT NULL,
    attributes    TEXT NOT NULL,
    last_event_id TEXT NOT NULL,
    open          BOOLEAN NOT NULL, -- false once deleted
    PRIMARY KEY (resource_type, resource_id)
);
CREATE INDEX billing_resources_open ON billing_resources (department_id, open);

-- The ledger: signed segments. A bill for any window sums
-- sign × unit_price × quantity × overlap seconds, so lines straddling a
-- window's edge are prorated exactly. kind 'adjustment' lines come from a
-- late event (event_id), never edit a posted line.
CREATE TABLE billing_charges (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    department_id TEXT NOT NULL,
    project_id    TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    item          TEXT NOT NULL,
    quantity      TEXT NOT NULL,
    unit_price    TEXT NOT NULL,
    price_list_id TEXT NOT NULL,
    start_at      TIMESTAMP NOT NULL,
    end_at        TIMESTAMP NOT NULL,
    sign          INTEGER NOT NULL CHECK (sign IN (1, -1)),
    kind          TEXT NOT NULL CHECK (kind IN ('charge', 'adjustment')),
    event_id      TEXT NOT NULL,
    posted_at     TIMESTAMP NOT NULL
);
CREATE INDEX billing_charges_department ON billing_charges (department_id, start_at);
CREATE INDEX billing_charges_resource ON billing_charges (resource_type, resource_id);

-- +goose Down
DROP TABLE billing_charges;
DROP TABLE billing_resources;
DROP TABLE billing_events;
DROP TABLE billing_recharge_codes;
DROP TABLE billing_recharges;
DROP TABLE billing_accounts;
DROP TABLE billing_department_templates;
DROP TABLE billing_prices;
DROP TABLE billing_price_lists;
DROP TABLE billing_templates;
DROP TABLE billing_settings;
