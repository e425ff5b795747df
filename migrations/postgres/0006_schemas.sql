-- Data contracts (src/schemas): per tenant and event type (or pattern), a JSON Schema for
-- metadata and a mode; the tenant's policy for event types no schema matches; violation
-- counts per concrete type and minute, and the newest examples. Documents are `json`, not
-- `jsonb`, so that a schema comes back with its keys in the order it was written.

CREATE TABLE schemas (
    tenant_id   UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    event_type  TEXT NOT NULL,
    mode        TEXT NOT NULL CHECK (mode IN ('observe', 'warn', 'block')),
    schema      JSON NOT NULL,
    version     BIGINT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, event_type)
);

CREATE TABLE schema_policies (
    tenant_id  UUID PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    unplanned  TEXT NOT NULL CHECK (unplanned IN ('allow', 'warn', 'block'))
);

-- `minute`: the minute's start in whole seconds since the Unix epoch.
CREATE TABLE schema_counts (
    tenant_id   UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    event_type  TEXT NOT NULL,
    minute      BIGINT NOT NULL,
    checked     BIGINT NOT NULL,
    violations  BIGINT NOT NULL,
    blocked     BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, event_type, minute)
);
CREATE INDEX schema_counts_tenant_minute ON schema_counts (tenant_id, minute);
CREATE INDEX schema_counts_minute ON schema_counts (minute);

CREATE TABLE schema_examples (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    event_type  TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    event_id    UUID,
    mode        TEXT NOT NULL,
    violations  JSON NOT NULL,
    metadata    JSON NOT NULL
);
CREATE INDEX schema_examples_type ON schema_examples (tenant_id, event_type, id DESC);

-- What a `warn` schema found wrong with an event (a JSON array); NULL when nothing.
ALTER TABLE events ADD COLUMN violations JSON;
