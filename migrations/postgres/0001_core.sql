-- Core schema: tenants, API keys, the admin token, and events.
-- Metadata is kept as `json` (not jsonb) so that it comes back exactly as it was sent,
-- key order included: the dashboard previews the first keys.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);

CREATE TABLE tenants (
    id                  UUID PRIMARY KEY,
    name                TEXT NOT NULL UNIQUE,
    status              TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
    rate_per_second     BIGINT NOT NULL,
    rate_burst          BIGINT NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL
);

CREATE TABLE api_keys (
    id            UUID PRIMARY KEY,
    tenant_id     UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    secret_hash   BYTEA NOT NULL UNIQUE,
    scopes        TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    last_used_at  TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, created_at);

CREATE TABLE events (
    id           UUID PRIMARY KEY,
    tenant_id    UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    event_type   TEXT NOT NULL,
    ts           TIMESTAMPTZ NOT NULL,
    received_at  TIMESTAMPTZ NOT NULL,
    metadata     JSON NOT NULL,
    event_id     TEXT
);
CREATE INDEX events_tenant_ts ON events (tenant_id, ts DESC, id DESC);
CREATE INDEX events_tenant_type_ts ON events (tenant_id, event_type, ts DESC, id DESC);
-- The live stream's resume: what was committed after a given id.
CREATE INDEX events_tenant_id ON events (tenant_id, id);
CREATE UNIQUE INDEX events_tenant_event_id ON events (tenant_id, event_id);
