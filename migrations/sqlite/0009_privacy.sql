-- Privacy (src/privacy/): each tenant's redaction policy and the key its `hash` action uses.
-- The key is made when the policy is first saved and kept across changes; it is never shown.
CREATE TABLE privacy_policies (
    tenant_id   TEXT PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    policy      TEXT NOT NULL,      -- JSON: {"rules": [...], "detectors": [...]}
    hash_key    BLOB NOT NULL,
    updated_at  INTEGER NOT NULL
);
