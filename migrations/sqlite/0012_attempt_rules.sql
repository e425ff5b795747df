-- Which rule set what followed each webhook attempt (src/webhooks/mod.rs, `Rule`): `succeeded`,
-- `schedule`, `retry_after`, `retry_after_capped`, `gone`, `exhausted`. NULL for attempts
-- recorded before this migration.
ALTER TABLE webhook_attempts ADD COLUMN rule TEXT;
