-- The audit log's seal. Keep in step with the other dialect's 0006_audit_seal.sql.
--
-- Each entry's seal is an HMAC of its hash under the audit key, which lives
-- outside the database (`audit-key`); audit_seal records the key's public half
-- when the log is first sealed, so every replica must use the same key.
ALTER TABLE audit ADD COLUMN seal TEXT;
CREATE TABLE audit_seal (
    id         BIGINT PRIMARY KEY CHECK (id = 1),
    public_key TEXT NOT NULL,
    sealed_at  TEXT NOT NULL
);
