-- Installed adapter packages (every verified version) and which one is active.

CREATE TABLE adapter_versions (
    adapter_id   TEXT NOT NULL,
    version      TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    manifest     TEXT NOT NULL,
    component    BYTEA NOT NULL,
    signer       TEXT,
    installed_at TEXT NOT NULL,
    installed_by TEXT NOT NULL,
    -- When it last became the active version.
    activated_at TEXT,
    PRIMARY KEY (adapter_id, version)
);

-- One row per adapter once a version was ever activated: `version` NULL is
-- disabled; `previous` is where a rollback goes.
CREATE TABLE adapter_active (
    adapter_id TEXT PRIMARY KEY,
    version    TEXT,
    previous   TEXT,
    changed_at TEXT NOT NULL
);
