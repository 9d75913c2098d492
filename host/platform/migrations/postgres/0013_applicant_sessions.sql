-- Applicants' sign-ins through the identity platform (OpenID Connect). Keep in
-- step with the other dialect's 0013_applicant_sessions.sql.
--
-- An applicant's session is a row of `sessions` like a clerk's, under the same
-- rules (idle and longest lifetimes, only the cookie's sha256 kept), with the
-- role `applicant`, the ID number or credit code as the account, and who they
-- are, as the ID token said, in `details` (JSON).
ALTER TABLE sessions ADD COLUMN details TEXT;

-- A sign-in under way: sent to the identity platform, not yet back. Named by a
-- random cookie (its sha256 here), used once, valid for ten minutes.
CREATE TABLE applicant_sign_ins (
    id_sha256     TEXT PRIMARY KEY,
    state         TEXT NOT NULL,
    nonce         TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    next          TEXT NOT NULL,
    started_at    TEXT NOT NULL
);
CREATE INDEX applicant_sign_ins_started ON applicant_sign_ins (started_at);
