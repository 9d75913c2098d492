-- The reform's own measures, 差评 follow-ups as a workflow, and complaints
-- (投诉、咨询) with time limits. Keep in step with the other dialect's
-- 0016_supervision.sql.

-- What the statistics read from each case, kept as it was at acceptance: who
-- accepted it (`clerk:<name>` at a window, `applicant:<masked name>` online),
-- the visits to the site its guide asked for (the largest of its matters'),
-- and how many required materials it had; and the day it became final.
ALTER TABLE cases ADD COLUMN accepted_by TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN visits BIGINT NOT NULL DEFAULT 1;
ALTER TABLE cases ADD COLUMN materials_required BIGINT NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN finished_on TEXT;
UPDATE cases SET accepted_by = COALESCE(
    (SELECT t.actor FROM timeline t WHERE t.case_no = cases.case_no ORDER BY t.id LIMIT 1), '');
UPDATE cases SET finished_on = substr(updated_at, 1, 10)
    WHERE status IN ('completed', 'denied', 'withdrawn', 'returned');
CREATE INDEX cases_accepted_on ON cases (accepted_on);

-- The department of each part, as the catalogue named it at acceptance.
ALTER TABLE case_parts ADD COLUMN department TEXT NOT NULL DEFAULT '';
UPDATE case_parts SET department = COALESCE(
    (SELECT m.department FROM matters m WHERE m.code = case_parts.matter_code), '');

-- A 差评 (rating 1–2) opens a follow-up for the department of the case's first
-- part: the call back to the applicant (回访) and the rectification are both
-- needed to close it, within 15 working days (`due_on`).
CREATE TABLE follow_ups (
    case_no            TEXT PRIMARY KEY REFERENCES cases (case_no),
    department         TEXT NOT NULL,
    opened_on          TEXT NOT NULL,
    due_on             TEXT NOT NULL,
    called_back_at     TEXT,
    called_back_by     TEXT,
    callback_note      TEXT,
    rectified_at       TEXT,
    rectified_by       TEXT,
    rectification_note TEXT,
    closed_at          TEXT,
    closed_on          TEXT,
    closed_by          TEXT
);
CREATE INDEX follow_ups_department ON follow_ups (department, due_on);
INSERT INTO follow_ups (case_no, department, opened_on, due_on)
SELECT e.case_no,
       COALESCE((SELECT p.department FROM case_parts p WHERE p.case_no = e.case_no
                 ORDER BY p.part_no LIMIT 1), ''),
       substr(e.at, 1, 10),
       e.follow_up_by
FROM evaluations e WHERE e.follow_up_by IS NOT NULL;

-- 投诉 (`complaint`) and 咨询 (`enquiry`), routed to a department, replied to
-- within `due_on`, and rated by the applicant. `applicant` is the party as
-- JSON; `taken_by` is who took it (a clerk, or the applicant online).
CREATE TABLE complaints (
    id             BIGSERIAL PRIMARY KEY,
    kind           TEXT NOT NULL,
    applicant      TEXT NOT NULL,
    applicant_id   TEXT NOT NULL,
    channel        TEXT NOT NULL,
    taken_by       TEXT NOT NULL,
    matter_code    TEXT,
    case_no        TEXT,
    department     TEXT NOT NULL,
    content        TEXT NOT NULL,
    opened_at      TEXT NOT NULL,
    opened_on      TEXT NOT NULL,
    due_on         TEXT NOT NULL,
    reply          TEXT,
    replied_at     TEXT,
    replied_on     TEXT,
    replied_by     TEXT,
    rating         BIGINT,
    rating_comment TEXT,
    rated_at       TEXT,
    supervised     BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX complaints_department ON complaints (department, due_on);
CREATE INDEX complaints_applicant ON complaints (applicant_id);

-- Each step of a complaint, for its timeline (the audit log has them too).
CREATE TABLE complaint_steps (
    id           BIGSERIAL PRIMARY KEY,
    complaint_id BIGINT NOT NULL REFERENCES complaints (id),
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    note         TEXT NOT NULL
);
CREATE INDEX complaint_steps_complaint ON complaint_steps (complaint_id, id);
