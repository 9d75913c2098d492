-- Trust boundaries. Keep in step with the other dialect's 0003_trust.sql.
--
-- The signatures of accepted pushes to /hooks/{adapter}, kept for longer than
-- the five minutes a signature is accepted, so a replay is refused on any replica.
CREATE TABLE hook_signatures (
    adapter_id  TEXT NOT NULL,
    signature   TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (adapter_id, signature)
);
CREATE INDEX hook_signatures_received ON hook_signatures (received_at);

-- When the issuing department last confirmed a kept license.
ALTER TABLE licenses ADD COLUMN verified_at TEXT;

-- The applicant's representative (a person, JSON), whose licenses a case may issue too.
ALTER TABLE cases ADD COLUMN representative TEXT;

-- The operator console lists the latest rejected licenses.
CREATE INDEX audit_action ON audit (action, seq);
