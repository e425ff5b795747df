-- Core schema: tenants, API keys, the admin token, and events.
-- Times are INTEGER microseconds since the Unix epoch (UTC); ids are lowercase hyphenated
-- uuid text, so that text order equals uuid order (UUIDv7 ids are time-ordered).

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

CREATE TABLE tenants (
    id                  TEXT PRIMARY KEY,
    name                TEXT NOT NULL UNIQUE,
    status              TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
    rate_per_second     INTEGER NOT NULL,
    rate_burst          INTEGER NOT NULL,
    created_at          INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    secret_hash   BLOB NOT NULL UNIQUE,
    scopes        TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER,
    revoked_at    INTEGER
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, created_at);

CREATE TABLE events (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    event_type   TEXT NOT NULL,
    ts           INTEGER NOT NULL,
    received_at  INTEGER NOT NULL,
    metadata     TEXT NOT NULL,
    event_id     TEXT
);
-- Listing newest first, with or without a type filter, and the stats range scans.
CREATE INDEX events_tenant_ts ON events (tenant_id, ts DESC, id DESC);
CREATE INDEX events_tenant_type_ts ON events (tenant_id, event_type, ts DESC, id DESC);
-- Idempotency: a client event_id is unique per tenant, forever. NULLs do not clash.
-- The live stream's resume: what was committed after a given id.
CREATE INDEX events_tenant_id ON events (tenant_id, id);
CREATE UNIQUE INDEX events_tenant_event_id ON events (tenant_id, event_id);
