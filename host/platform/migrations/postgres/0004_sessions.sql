-- Sessions of the front end, shared by every replica. Keep in step with the
-- other dialect's 0004_sessions.sql.
--
-- A session is named by a random cookie; only its sha256 is kept, so whoever
-- reads the database cannot use a session. Instants are RFC 3339 in UTC.
CREATE TABLE sessions (
    id_sha256    TEXT PRIMARY KEY,
    account      TEXT NOT NULL,
    role         TEXT NOT NULL,
    signed_in_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);
