-- The exchange log: each adapter call with its HTTP requests and answers and
-- the exchange-folder files it changed, masked (`exchange_log.rs`). Keep in
-- step with the other dialect's 0011_exchanges.sql.
CREATE TABLE exchanges (
    id          BIGSERIAL PRIMARY KEY,
    started_at  TEXT NOT NULL,
    adapter_id  TEXT NOT NULL,
    version     TEXT NOT NULL,
    function    TEXT NOT NULL,
    duration_ms BIGINT NOT NULL,
    outcome     TEXT NOT NULL,
    mode        TEXT NOT NULL,
    -- The whole record as JSON (`CallRecord`).
    record      TEXT NOT NULL
);
CREATE INDEX exchanges_started ON exchanges (started_at);
CREATE INDEX exchanges_adapter ON exchanges (adapter_id, started_at);

-- Which cases each call concerns (a status poll may concern several).
CREATE TABLE exchange_cases (
    exchange_id BIGINT NOT NULL REFERENCES exchanges (id) ON DELETE CASCADE,
    case_no     TEXT NOT NULL,
    PRIMARY KEY (case_no, exchange_id)
);
CREATE INDEX exchange_cases_exchange ON exchange_cases (exchange_id);
