-- 亮证: a license an applicant shows, named by a short-lived verification
-- code that anyone can check at /verify. Keep in step with the other
-- dialect's 0014_license_showings.sql.
--
-- Only the code's sha256 is kept, so whoever reads the database cannot check
-- a license as if shown. `license` is the license as its issuer answered when
-- it was shown (JSON); instants are RFC 3339 in UTC.
CREATE TABLE license_showings (
    code_sha256 TEXT PRIMARY KEY,
    holder_id   TEXT NOT NULL,
    type_code   TEXT NOT NULL,
    number      TEXT NOT NULL,
    license     TEXT NOT NULL,
    shown_at    TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX license_showings_expires ON license_showings (expires_at);
