-- A tenant's own event retention in days (src/retention.rs): NULL follows the server's
-- `retention.events_days`; 0 keeps the tenant's events forever.
ALTER TABLE tenants ADD COLUMN retention_days INTEGER;
