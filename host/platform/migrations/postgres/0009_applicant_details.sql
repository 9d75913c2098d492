-- 一表申请. Keep in step with the other dialect's 0009_applicant_details.sql.
--
-- The basic details an applicant (ID number or credit code) gave on their
-- latest cases, by party field (address, phone, legal_representative), as
-- JSON: offered pre-filled at the window on their next case.
CREATE TABLE applicant_details (
    applicant_id TEXT PRIMARY KEY,
    details      TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
