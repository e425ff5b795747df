-- What each webhook attempt sent (src/webhooks/worker.rs), for the delivery log: the request
-- body as sent and signed, and the request headers as a JSON object of name to value with the
-- `webhook-signature` value masked. Secrets are never stored here. NULL for attempts recorded
-- before this migration and for attempts whose request could not be built (an invalid or
-- refused URL). The body is bounded by the ingest limits (one event, ≤ 64 KiB by default).
ALTER TABLE webhook_attempts ADD COLUMN request_headers TEXT;
ALTER TABLE webhook_attempts ADD COLUMN request_body TEXT;
