-- 好差评 belongs to the applicant: each rating records the channel it came
-- through, and a rating at the window is given on the 评价器 with a one-time
-- code that the clerk asks for, never through the clerk's account. Keep in
-- step with the other dialect's 0015_rating_channels.sql.
--
-- `channel`: `online` (the applicant's own channel) or `window` (the 评价器).
-- Ratings given before this migration were recorded at the window.
ALTER TABLE evaluations ADD COLUMN channel TEXT NOT NULL DEFAULT 'window';

-- A code the window's 评价器 takes, for one case, once, for a short while.
-- Only its sha256 is kept.
CREATE TABLE rating_codes (
    code_sha256 TEXT PRIMARY KEY,
    case_no     TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX rating_codes_expires ON rating_codes (expires_at);
