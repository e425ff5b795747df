-- Retention (src/retention.rs). Events are pruned by id, which increases in commit order, so
-- the primary key serves; finished deliveries are pruned by the time they finished.
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (updated_at)
    WHERE status IN ('succeeded', 'dead');
