-- Privacy (src/privacy/): deletion jobs by subject, the endpoints that had already received
-- the events a job deleted, and suppressions (subjects whose future events are dropped).
--
-- A job is durable: its phase, its scan position and its counts are written with each batch,
-- and a job whose lease ran out (its instance died) is taken up again by any instance.

CREATE TABLE deletions (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    -- JSON: {"match": {"meta.<key>": "<value>", ...}, "query": ..., "from": ..., "to": ...}
    spec         TEXT NOT NULL,
    dry_run      INTEGER NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed', 'cancelled')),
    -- 'count' (scanning from `cursor`), then 'delete' (a real job only).
    phase        TEXT NOT NULL CHECK (phase IN ('count', 'delete')),
    cursor       TEXT,
    matched      INTEGER NOT NULL DEFAULT 0,
    deleted      INTEGER NOT NULL DEFAULT 0,
    error        TEXT,
    leased_by    TEXT,
    lease_until  INTEGER,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    finished_at  INTEGER
);
CREATE INDEX deletions_tenant ON deletions (tenant_id, created_at);
CREATE INDEX deletions_open ON deletions (state) WHERE state IN ('pending', 'running');

CREATE TABLE deletion_endpoints (
    deletion_id  TEXT NOT NULL REFERENCES deletions (id) ON DELETE CASCADE,
    endpoint_id  TEXT NOT NULL,
    url          TEXT NOT NULL,
    events       INTEGER NOT NULL,
    PRIMARY KEY (deletion_id, endpoint_id)
);

CREATE TABLE suppressions (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    -- JSON object {"meta.<key>": "<value>", ...}, keys sorted: every pair must match.
    subject          TEXT NOT NULL,
    reason           TEXT,
    dropped          INTEGER NOT NULL DEFAULT 0,
    last_dropped_at  INTEGER,
    created_at       INTEGER NOT NULL,
    UNIQUE (tenant_id, subject)
);
