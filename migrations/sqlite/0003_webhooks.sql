-- Webhooks (src/webhooks/): endpoints, the outbox of deliveries, and the log of attempts.
-- Times are INTEGER microseconds since the Unix epoch; ids are uuid text, as in 0001.
--
-- A delivery is written in the same transaction as its event (the outbox), so a committed
-- event never lacks its deliveries, whatever happens to the process afterwards.

CREATE TABLE webhook_endpoints (
    id                     TEXT PRIMARY KEY,
    tenant_id              TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    url                    TEXT NOT NULL,
    description            TEXT NOT NULL,
    -- A JSON array of event types; empty: every type.
    event_types            TEXT NOT NULL,
    -- `whsec_` + base64 of the key. The previous one keeps signing (beside the new one) until
    -- `previous_secret_until`, so that receivers can switch without dropping deliveries.
    secret                 TEXT NOT NULL,
    previous_secret        TEXT,
    previous_secret_until  INTEGER,
    enabled                INTEGER NOT NULL,
    disabled_reason        TEXT,
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL,
    -- Health: set by the delivery worker. `failing_since` is the first failure after the last
    -- success (NULL while healthy).
    failing_since          INTEGER,
    consecutive_failures   INTEGER NOT NULL DEFAULT 0,
    last_success_at        INTEGER,
    last_failure_at        INTEGER
);
-- The outbox loads a tenant's enabled endpoints on every commit; the API lists them.
CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints (tenant_id, enabled, created_at);

CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    endpoint_id      TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    -- The event delivered; NULL for a test delivery, which carries its body in `payload`.
    event_id         TEXT REFERENCES events (id) ON DELETE CASCADE,
    payload          TEXT,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'dead')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    -- When the next attempt is due; NULL once succeeded or dead.
    next_attempt_at  INTEGER,
    -- A worker that claimed the delivery holds it until `lease_until`; after that (its
    -- instance died) any worker may claim it again.
    lease_until      INTEGER,
    leased_by        TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
-- Claiming due deliveries.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
-- The delivery log of an endpoint, newest first.
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at);
-- Events cascade to their deliveries (a tenant's deletion).
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);

CREATE TABLE webhook_attempts (
    id             TEXT PRIMARY KEY,
    delivery_id    TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    tenant_id      TEXT NOT NULL,
    attempted_at   INTEGER NOT NULL,
    -- The HTTP status, or NULL when no response came (then `error` says why).
    status_code    INTEGER,
    error          TEXT,
    latency_ms     INTEGER NOT NULL,
    -- The first 4 KiB of the response body.
    response_body  TEXT
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, attempted_at);
