-- Webhooks II (src/webhooks/replay.rs, src/webhooks/fairness.rs): replay jobs, the circuit
-- breaker of each endpoint, and claiming per endpoint.
--
-- A replay job queues deliveries for an endpoint's stored events in a time range. It is
-- durable as deletion jobs are (0010): its phase, scan position and counts are written with
-- each batch, under a lease that any instance takes over once it has run out.

CREATE TABLE webhook_replays (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    endpoint_id  TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    from_at      INTEGER NOT NULL,
    to_at        INTEGER NOT NULL,
    -- A JSON array of names or patterns; empty: every type the endpoint takes.
    event_types  TEXT NOT NULL,
    only_failed  INTEGER NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed', 'cancelled')),
    -- 'count' (scanning from `cursor`), then 'queue' (scanning again, queueing deliveries).
    phase        TEXT NOT NULL CHECK (phase IN ('count', 'queue')),
    cursor       TEXT,
    total        INTEGER NOT NULL DEFAULT 0,
    created      INTEGER NOT NULL DEFAULT 0,
    error        TEXT,
    leased_by    TEXT,
    lease_until  INTEGER,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    finished_at  INTEGER
);
CREATE INDEX webhook_replays_endpoint ON webhook_replays (endpoint_id, created_at);
CREATE INDEX webhook_replays_open ON webhook_replays (state) WHERE state IN ('pending', 'running');

-- The replay that last queued a delivery (its progress counts it); NULL for live deliveries,
-- which are claimed before replayed ones.
ALTER TABLE webhook_deliveries ADD COLUMN replay_id TEXT;
CREATE INDEX webhook_deliveries_replay ON webhook_deliveries (replay_id, status)
    WHERE replay_id IS NOT NULL;
-- Claiming endpoint by endpoint: each endpoint's waiting deliveries, live ones apart from
-- replayed ones, soonest due first (only waiting rows: the index stays as small as the queue).
CREATE INDEX webhook_deliveries_endpoint_due
    ON webhook_deliveries (endpoint_id, (replay_id IS NOT NULL), next_attempt_at)
    WHERE status IN ('pending', 'failed');

-- The circuit breaker: after `webhooks.circuit_after_failures` consecutive failures the
-- endpoint is not attempted until this time (growing with each failure), then one probe.
ALTER TABLE webhook_endpoints ADD COLUMN circuit_open_until INTEGER;
