-- The delivery stats of an endpoint (src/webhooks/stats.rs) count its attempts of a recent
-- window. Attempts carry their tenant, not their endpoint (that is on the delivery), so the
-- window is read through the tenant's attempts by time and joined to the deliveries by their
-- primary key; the only index on attempts so far is by delivery.
CREATE INDEX webhook_attempts_tenant_time ON webhook_attempts (tenant_id, attempted_at);
