-- The audit log (src/audit/): one row per change made through the API, written after the
-- change succeeded. `tenant_id` is the tenant the change belongs to (NULL for a change that
-- belongs to none); no foreign key, so that the record of a change outlives what it changed.
-- `before` and `after` are JSON (never a secret); `at` is in microseconds since the epoch.
CREATE TABLE audit_entries (
    id                TEXT PRIMARY KEY,
    tenant_id         TEXT,
    at                INTEGER NOT NULL,
    actor_type        TEXT NOT NULL CHECK (actor_type IN ('admin', 'key')),
    actor_key_id      TEXT,
    actor_key_prefix  TEXT,
    via_jwt           INTEGER NOT NULL,
    ip                TEXT,
    action            TEXT NOT NULL,
    method            TEXT NOT NULL,
    route             TEXT NOT NULL,
    status            INTEGER NOT NULL,
    target_id         TEXT,
    before            TEXT,
    after             TEXT,
    request_id        TEXT
);
-- A tenant's log newest first (the listing's keyset), and the pruner's scan by age.
CREATE INDEX audit_entries_tenant_at ON audit_entries (tenant_id, at, id);
CREATE INDEX audit_entries_at ON audit_entries (at, id);
