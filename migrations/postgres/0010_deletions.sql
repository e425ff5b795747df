-- Privacy (src/privacy/): deletion jobs by subject, the endpoints that had already received
-- the events a job deleted, and suppressions (subjects whose future events are dropped).
--
-- A job is durable: its phase, its scan position and its counts are written with each batch,
-- and a job whose lease ran out (its instance died) is taken up again by any instance.

CREATE TABLE deletions (
    id           UUID PRIMARY KEY,
    tenant_id    UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    -- {"match": {"meta.<key>": "<value>", ...}, "query": ..., "from": ..., "to": ...}
    spec         JSONB NOT NULL,
    dry_run      BOOLEAN NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed', 'cancelled')),
    -- 'count' (scanning from `cursor`), then 'delete' (a real job only).
    phase        TEXT NOT NULL CHECK (phase IN ('count', 'delete')),
    cursor       TEXT,
    matched      BIGINT NOT NULL DEFAULT 0,
    deleted      BIGINT NOT NULL DEFAULT 0,
    error        TEXT,
    leased_by    TEXT,
    lease_until  TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ
);
CREATE INDEX deletions_tenant ON deletions (tenant_id, created_at);
CREATE INDEX deletions_open ON deletions (state) WHERE state IN ('pending', 'running');

CREATE TABLE deletion_endpoints (
    deletion_id  UUID NOT NULL REFERENCES deletions (id) ON DELETE CASCADE,
    endpoint_id  UUID NOT NULL,
    url          TEXT NOT NULL,
    events       BIGINT NOT NULL,
    PRIMARY KEY (deletion_id, endpoint_id)
);

CREATE TABLE suppressions (
    id               UUID PRIMARY KEY,
    tenant_id        UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    -- {"meta.<key>": "<value>", ...}, keys sorted: every pair must match.
    subject          TEXT NOT NULL,
    reason           TEXT,
    dropped          BIGINT NOT NULL DEFAULT 0,
    last_dropped_at  TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL,
    UNIQUE (tenant_id, subject)
);
