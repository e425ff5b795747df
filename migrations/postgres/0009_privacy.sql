-- Privacy (src/privacy/): each tenant's redaction policy and the key its `hash` action uses.
-- The key is made when the policy is first saved and kept across changes; it is never shown.
CREATE TABLE privacy_policies (
    tenant_id   UUID PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    policy      JSONB NOT NULL,     -- {"rules": [...], "detectors": [...]}
    hash_key    BYTEA NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
