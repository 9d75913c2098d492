-- The platform's schema (PostgreSQL). Keep in step with sqlite/0001_platform.sql:
-- the same tables and columns, only the types that differ are spelt differently.
-- Instants are RFC 3339 text in UTC with microseconds (so they sort as text),
-- dates are YYYY-MM-DD text, structured values are JSON text, flags are 0/1
-- integers (the sqlx Any driver reads no SQLite BOOLEAN).

CREATE TABLE matters (
    code            TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    department      TEXT NOT NULL,
    kind            TEXT NOT NULL,
    legal_days      BIGINT NOT NULL,
    promised_days   BIGINT NOT NULL,
    visits          BIGINT NOT NULL,
    online          BIGINT NOT NULL,
    fee             TEXT NOT NULL,
    conditions      TEXT NOT NULL,
    materials       TEXT NOT NULL,
    adapter_id      TEXT NOT NULL,
    adapter_version TEXT NOT NULL,
    synced_at       TEXT NOT NULL
);

CREATE TABLE case_counters (
    day  TEXT PRIMARY KEY,
    last BIGINT NOT NULL
);

CREATE TABLE cases (
    case_no        TEXT PRIMARY KEY,
    matter_code    TEXT,
    theme_code     TEXT,
    status         TEXT NOT NULL,
    applicant      TEXT NOT NULL,
    applicant_id   TEXT NOT NULL,
    form           TEXT NOT NULL,
    consent        TEXT,
    covered        TEXT NOT NULL,
    accepted_at    TEXT NOT NULL,
    accepted_on    TEXT NOT NULL,
    promised_days  BIGINT NOT NULL,
    legal_days     BIGINT NOT NULL,
    promised_by    TEXT NOT NULL,
    legal_by       TEXT NOT NULL,
    provisional    BIGINT NOT NULL,
    paused         TEXT NOT NULL,
    reason         TEXT,
    updated_at     TEXT NOT NULL
);
CREATE INDEX cases_status ON cases (status);
CREATE INDEX cases_applicant ON cases (applicant_id);

CREATE TABLE case_parts (
    case_no        TEXT NOT NULL REFERENCES cases (case_no),
    part_no        BIGINT NOT NULL,
    matter_code    TEXT NOT NULL,
    adapter_id     TEXT NOT NULL,
    status         TEXT NOT NULL,
    department_ref TEXT,
    reason         TEXT,
    PRIMARY KEY (case_no, part_no)
);

CREATE TABLE timeline (
    id      BIGSERIAL PRIMARY KEY,
    case_no TEXT NOT NULL REFERENCES cases (case_no),
    part_no BIGINT,
    at      TEXT NOT NULL,
    status  TEXT NOT NULL,
    actor   TEXT NOT NULL,
    note    TEXT NOT NULL
);
CREATE INDEX timeline_case ON timeline (case_no, id);

CREATE TABLE attachments (
    case_no       TEXT NOT NULL REFERENCES cases (case_no),
    material_code TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    media_type    TEXT NOT NULL,
    content       BYTEA NOT NULL
);
CREATE INDEX attachments_case ON attachments (case_no);

CREATE TABLE outbox (
    id              BIGSERIAL PRIMARY KEY,
    case_no         TEXT NOT NULL REFERENCES cases (case_no),
    part_no         BIGINT NOT NULL,
    adapter_id      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    attempts        BIGINT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    state           TEXT NOT NULL,
    UNIQUE (case_no, part_no)
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);

CREATE TABLE cursors (
    adapter_id TEXT PRIMARY KEY,
    cursor     TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE licenses (
    type_code TEXT NOT NULL,
    number    TEXT NOT NULL,
    holder_id TEXT NOT NULL,
    license   TEXT NOT NULL,
    source    TEXT NOT NULL,
    case_no   TEXT,
    stored_at TEXT NOT NULL,
    PRIMARY KEY (type_code, number)
);
CREATE INDEX licenses_holder ON licenses (holder_id);

CREATE TABLE evaluations (
    case_no      TEXT PRIMARY KEY REFERENCES cases (case_no),
    rating       BIGINT NOT NULL,
    comment      TEXT NOT NULL,
    at           TEXT NOT NULL,
    follow_up_by TEXT
);

CREATE TABLE audit (
    seq       BIGINT PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);

-- The newest entry, written in the same transaction as each append, so that
-- deleting the newest entries is detected too.
CREATE TABLE audit_head (
    id   BIGINT PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
