-- The stats rollup (src/events/rollup.rs): events per (tenant, UTC minute of their timestamp,
-- type), written in the same transaction as the events and taken back out in the one that
-- prunes them, so that stats read whole minutes here instead of every event.
-- `version` grows by one with every change to a row: a cached breakdown unit is current while
-- the sum of its minutes' versions (its `stamp`) is unchanged. `shard` keeps concurrent writers
-- (the committers of several instances, retention) off each other's rows: each writes its own.
CREATE TABLE stats_counts (
    tenant_id   UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    minute      BIGINT NOT NULL,    -- seconds since the Unix epoch, a multiple of 60
    event_type  TEXT NOT NULL,
    shard       INTEGER NOT NULL,
    events      BIGINT NOT NULL,
    version     BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, minute, event_type, shard)
);

-- The events stored before this migration.
INSERT INTO stats_counts (tenant_id, minute, event_type, shard, events, version)
SELECT tenant_id, (floor(extract(epoch FROM ts) / 60) * 60)::bigint, event_type, 0, COUNT(*), 1
FROM events GROUP BY 1, 2, 3;

-- The breakdown's cache: the values of one metadata path among one type's events over
-- `width` seconds from `bucket`, computed when the stamp was `stamp`. `overflow`: more
-- distinct values than are kept (none stored; such ranges are scanned).
CREATE TABLE stats_breakdown_units (
    tenant_id   UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    path        TEXT[] NOT NULL,
    width       BIGINT NOT NULL,
    bucket      BIGINT NOT NULL,
    event_type  TEXT NOT NULL,
    stamp       BIGINT NOT NULL,
    overflow    BOOLEAN NOT NULL,
    PRIMARY KEY (tenant_id, path, width, bucket, event_type)
);

CREATE TABLE stats_breakdown_values (
    tenant_id   UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    path        TEXT[] NOT NULL,
    width       BIGINT NOT NULL,
    bucket      BIGINT NOT NULL,
    event_type  TEXT NOT NULL,
    value       TEXT NOT NULL,
    events      BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, path, width, bucket, event_type, value)
);
