-- Webhooks (src/webhooks/): endpoints, the outbox of deliveries, and the log of attempts.
--
-- A delivery is written in the same transaction as its event (the outbox), so a committed
-- event never lacks its deliveries, whatever happens to the process afterwards. Several
-- instances claim due deliveries with FOR UPDATE SKIP LOCKED and a lease.

CREATE TABLE webhook_endpoints (
    id                     UUID PRIMARY KEY,
    tenant_id              UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    url                    TEXT NOT NULL,
    description            TEXT NOT NULL,
    -- A JSON array of event types, as text; empty: every type.
    event_types            TEXT NOT NULL,
    -- `whsec_` + base64 of the key. The previous one keeps signing (beside the new one) until
    -- `previous_secret_until`, so that receivers can switch without dropping deliveries.
    secret                 TEXT NOT NULL,
    previous_secret        TEXT,
    previous_secret_until  TIMESTAMPTZ,
    enabled                BOOLEAN NOT NULL,
    disabled_reason        TEXT,
    created_at             TIMESTAMPTZ NOT NULL,
    updated_at             TIMESTAMPTZ NOT NULL,
    -- Health: set by the delivery worker. `failing_since` is the first failure after the last
    -- success (NULL while healthy).
    failing_since          TIMESTAMPTZ,
    consecutive_failures   BIGINT NOT NULL DEFAULT 0,
    last_success_at        TIMESTAMPTZ,
    last_failure_at        TIMESTAMPTZ
);
CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints (tenant_id, enabled, created_at);

CREATE TABLE webhook_deliveries (
    id               UUID PRIMARY KEY,
    tenant_id        UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    endpoint_id      UUID NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    -- The event delivered; NULL for a test delivery, which carries its body in `payload`.
    event_id         UUID REFERENCES events (id) ON DELETE CASCADE,
    payload          TEXT,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'dead')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    -- When the next attempt is due; NULL once succeeded or dead.
    next_attempt_at  TIMESTAMPTZ,
    -- A worker that claimed the delivery holds it until `lease_until`; after that (its
    -- instance died) any worker may claim it again.
    lease_until      TIMESTAMPTZ,
    leased_by        TEXT,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);

CREATE TABLE webhook_attempts (
    id             UUID PRIMARY KEY,
    delivery_id    UUID NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    tenant_id      UUID NOT NULL,
    attempted_at   TIMESTAMPTZ NOT NULL,
    -- The HTTP status, or NULL when no response came (then `error` says why).
    status_code    INTEGER,
    error          TEXT,
    latency_ms     BIGINT NOT NULL,
    -- The first 4 KiB of the response body.
    response_body  TEXT
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, attempted_at);
