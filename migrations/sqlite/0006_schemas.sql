-- Data contracts (src/schemas): per tenant and event type (or pattern), a JSON Schema for
-- metadata and a mode; the tenant's policy for event types no schema matches; violation
-- counts per concrete type and minute, and the newest examples.

CREATE TABLE schemas (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    event_type  TEXT NOT NULL,
    mode        TEXT NOT NULL CHECK (mode IN ('observe', 'warn', 'block')),
    schema      TEXT NOT NULL,
    version     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, event_type)
);

CREATE TABLE schema_policies (
    tenant_id  TEXT PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    unplanned  TEXT NOT NULL CHECK (unplanned IN ('allow', 'warn', 'block'))
);

-- `minute`: the minute's start in whole seconds since the Unix epoch.
CREATE TABLE schema_counts (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    event_type  TEXT NOT NULL,
    minute      INTEGER NOT NULL,
    checked     INTEGER NOT NULL,
    violations  INTEGER NOT NULL,
    blocked     INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, event_type, minute)
) WITHOUT ROWID;
CREATE INDEX schema_counts_tenant_minute ON schema_counts (tenant_id, minute);
CREATE INDEX schema_counts_minute ON schema_counts (minute);

CREATE TABLE schema_examples (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    event_type  TEXT NOT NULL,
    at          INTEGER NOT NULL,
    event_id    TEXT,
    mode        TEXT NOT NULL,
    violations  TEXT NOT NULL,
    metadata    TEXT NOT NULL
);
CREATE INDEX schema_examples_type ON schema_examples (tenant_id, event_type, id DESC);

-- What a `warn` schema found wrong with an event (a JSON array); NULL when nothing.
ALTER TABLE events ADD COLUMN violations TEXT;
