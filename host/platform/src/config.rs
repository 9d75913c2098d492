//! The platform's configuration: one `onewindow.toml`, every scalar key of which
//! can be overridden by a flag of `onewindow serve` or an `ONEWINDOW_*`
//! environment variable. Precedence: flag > environment > file > default.
//!
//! Everything is checked at start-up, and every error names the key and where
//! the bad value came from (the file, the flag or the environment variable), so
//! an operator never has to guess which of the three to fix.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::adapter::breaker::BreakerConfig;

/// The address `onewindow serve` listens on unless told otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The data directory unless told otherwise (relative to the current directory).
pub const DEFAULT_DATA_DIR: &str = "data";
/// Where the holiday calendar files are read from unless told otherwise.
pub const DEFAULT_CALENDAR_DIR: &str = "host/holidays";
/// The request body limit unless told otherwise: 20 MiB, room for scanned materials.
pub const DEFAULT_MAX_BODY_BYTES: usize = 20 * 1024 * 1024;

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
// Upper bounds keep `Instant + duration` arithmetic elsewhere far from overflow
// and catch unit mistakes (seconds written into a milliseconds key).
const DAY_SECS: u64 = 24 * 60 * 60;
const HOUR_MS: u64 = 60 * 60 * 1000;

/// The platform's configuration, checked and with every default filled in.
#[derive(Clone)]
pub struct Config {
    /// Address and port the HTTP server listens on.
    pub listen: SocketAddr,
    /// Where the platform keeps its state; relative paths are relative to the current directory.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; may hold a password, so log it only via [`Config::redacted_database_url`].
    pub database_url: String,
    /// Folder whose subfolders are adapter packages.
    pub adapter_dir: PathBuf,
    /// Folder under which each adapter's granted exchange directory lives.
    pub exchange_root: PathBuf,
    /// Folder with the holiday calendar files (`YYYY.json`).
    pub calendar_dir: PathBuf,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Folder of the public keys (`*.pub`) whose signatures on adapter packages are trusted.
    pub trust_dir: PathBuf,
    /// Whether an adapter package must be signed by a trusted key to be installed.
    pub require_signatures: bool,
    /// The key that seals the audit log and signs its checkpoints; made there
    /// at the first start. Every replica needs a copy of the same file.
    pub audit_key: PathBuf,
    /// For development: a folder watched for adapter packages, each installed and
    /// activated when it appears; none watches nothing.
    pub watch_dir: Option<PathBuf>,
    /// How accepted cases are handed to adapters and their status synced back.
    pub delivery: Delivery,
    /// Who may call the API, and in which role.
    pub tokens: Vec<Token>,
    /// 一件事: named bundles of matters across departments.
    pub themes: Vec<Theme>,
    /// What a department's pushes to `/hooks/{adapter}` must carry, by adapter id;
    /// an adapter without an entry accepts no push.
    pub hooks: BTreeMap<String, Hook>,
    /// The demo configuration: its (public) tokens are printed at start-up and
    /// may be weaker than 128 bits. Never set on a real platform.
    pub demo: bool,
    /// Where users reach the platform (`https://…` behind a TLS proxy); an
    /// `https` address makes the session cookies `Secure`.
    pub public_url: Option<String>,
    /// What bounds the HTTP server.
    pub server: ServerLimits,
}

/// What bounds the HTTP server: slow or numerous clients get a quick refusal,
/// never the platform's file descriptors or memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerLimits {
    /// How long a client may take to send a request's head; then the connection is closed.
    pub header_timeout: Duration,
    /// How long one request may take, its body included; then it answers 408.
    pub request_timeout: Duration,
    /// Connections held open at once; past it a new one gets `503` and is closed.
    pub max_connections: usize,
    /// Requests in progress at once; past it a request gets `503` with `Retry-After`.
    pub max_requests: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_millis(HEADER_TIMEOUT.default),
            request_timeout: Duration::from_secs(REQUEST_TIMEOUT.default),
            max_connections: MAX_CONNECTIONS.default as usize,
            max_requests: MAX_REQUESTS.default as usize,
        }
    }
}

/// The credentials of one adapter's hook, set by the operator (never in the package).
#[derive(Clone)]
pub struct Hook {
    /// HMAC-SHA256 keys; a push signed with any of them is accepted (two during a rotation).
    pub secrets: Vec<String>,
    /// The networks pushes may come from; empty: any address.
    pub allow_from: Vec<ipnet::IpNet>,
}

impl fmt::Debug for Hook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hook")
            .field(
                "secrets",
                &format_args!("<{} redacted>", self.secrets.len()),
            )
            .field("allow_from", &self.allow_from)
            .finish()
    }
}

/// Timing of the delivery worker and the catalogue sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// How long a case's delivery is retried; after it the case shows `delivery_failed`.
    pub retry_horizon: Duration,
    /// The first retry's delay; each further retry doubles it (with jitter).
    pub initial_backoff: Duration,
    /// The longest delay between two retries; at least `initial_backoff`.
    pub max_backoff: Duration,
    /// How often `cases.events` is polled per adapter.
    pub poll_interval: Duration,
    /// How long a replica's claim on an outbox row holds: after a replica dies, the
    /// cases it had claimed are delivered by another once their claims lapse.
    pub claim_lease: Duration,
    /// How often the matter catalogue is synced from the adapters.
    pub catalogue_sync_interval: Duration,
    /// When an adapter's circuit breaker opens (consecutive failures) and for how long.
    pub breaker: BreakerConfig,
}

impl Default for Delivery {
    fn default() -> Self {
        Self {
            retry_horizon: Duration::from_secs(RETRY_HORIZON.default),
            initial_backoff: Duration::from_millis(INITIAL_BACKOFF.default),
            max_backoff: Duration::from_millis(MAX_BACKOFF.default),
            poll_interval: Duration::from_millis(POLL_INTERVAL.default),
            claim_lease: Duration::from_secs(CLAIM_LEASE.default),
            catalogue_sync_interval: Duration::from_secs(CATALOGUE_SYNC.default),
            breaker: BreakerConfig {
                failures: BREAKER_FAILURES.default as u32,
                cool_down: Duration::from_millis(BREAKER_COOL_DOWN.default),
            },
        }
    }
}

/// What a token's holder may do; each endpoint requires one role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Window staff: accept applications, track cases, check licenses.
    Clerk,
    /// Runs the platform: installs, swaps and watches adapters, retries deliveries.
    Operator,
    /// Reads and verifies the audit log.
    Auditor,
}

impl Role {
    /// Every role, in the order they are listed in messages.
    pub const ALL: [Role; 3] = [Role::Clerk, Role::Operator, Role::Auditor];

    /// The role's name as written in the configuration and in API errors.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Clerk => "clerk",
            Role::Operator => "operator",
            Role::Auditor => "auditor",
        }
    }

    /// The role called `name` (lower case, as in the configuration).
    pub fn from_name(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One bearer token: who holds it and in which role. Its secret never appears in `Debug`.
#[derive(Clone)]
pub struct Token {
    /// Who holds it; the actor named on timelines and in the audit log.
    pub name: String,
    /// What it may do.
    pub role: Role,
    secret: TokenSecret,
}

#[derive(Clone)]
enum TokenSecret {
    // The plain text is kept only so the demo can print its tokens at start-up.
    Plain { text: String, digest: [u8; 32] },
    Sha256([u8; 32]),
}

impl TokenSecret {
    fn digest(&self) -> &[u8; 32] {
        match self {
            TokenSecret::Plain { digest, .. } | TokenSecret::Sha256(digest) => digest,
        }
    }
}

impl Token {
    /// Whether `presented` is this token, compared in constant time.
    pub fn matches(&self, presented: &str) -> bool {
        !presented.is_empty() && digest_eq(&sha256(presented), self.secret.digest())
    }

    /// The token as written in the file when it was given in plain (`token = …`);
    /// `None` for `token-sha256`. Only for printing the demo tokens at start-up.
    pub fn plain_text(&self) -> Option<&str> {
        match &self.secret {
            TokenSecret::Plain { text, .. } => Some(text),
            TokenSecret::Sha256(_) => None,
        }
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.secret {
            TokenSecret::Plain { .. } => "<plain, redacted>",
            TokenSecret::Sha256(_) => "<sha256, redacted>",
        };
        f.debug_struct("Token")
            .field("name", &self.name)
            .field("role", &self.role)
            .field("secret", &kind)
            .finish()
    }
}

fn sha256(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

// Comparing digests (not the texts) makes the time independent of the token's
// length, and subtle's comparison independent of where they differ.
fn digest_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    subtle::ConstantTimeEq::ct_eq(&a[..], &b[..]).into()
}

/// 一件事: a named bundle of matters across departments, accepted as one application.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Theme {
    /// Stable code, `[a-z0-9-]`, e.g. `open-business`.
    pub code: String,
    /// Name shown to clerks and citizens, e.g. 开办企业.
    pub name: String,
    /// The matter codes it bundles, at least two, each once.
    pub matters: Vec<String>,
    /// Working days promised for the whole bundle.
    pub promised_days: u32,
}

/// Where a configuration value came from; named in every error about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The configuration file at this path.
    File(PathBuf),
    /// A command-line flag such as `--listen`.
    Flag(&'static str),
    /// An environment variable such as `ONEWINDOW_LISTEN`.
    Env(&'static str),
    /// The built-in default.
    Default,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File(path) => write!(f, "{}", path.display()),
            Origin::Flag(name) | Origin::Env(name) => f.write_str(name),
            Origin::Default => f.write_str("the default configuration"),
        }
    }
}

/// Why the configuration cannot be used; the platform does not start.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read (missing, unreadable, not UTF-8).
    #[error("cannot read the configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is not valid TOML, or a value has the wrong type (toml's message, with line and column).
    #[error("{path}: {message}")]
    Syntax { path: PathBuf, message: String },
    /// The file has a key the platform does not know, often a typo.
    #[error("{path}: unknown key `{key}`{location}{hint}")]
    UnknownKey {
        path: PathBuf,
        key: String,
        location: String,
        hint: String,
    },
    /// A value is present but not acceptable; `key` says which, `origin` where it came from.
    #[error("{origin}: {key} {problem}")]
    Invalid {
        origin: Origin,
        key: String,
        problem: String,
    },
}

/// The flags and environment variables of `onewindow serve` that override the file.
#[derive(Clone, Default, clap::Args)]
pub struct Overrides {
    /// Address and port to listen on, e.g. 0.0.0.0:8080 (file: listen; default 127.0.0.1:8080).
    #[arg(long, env = "ONEWINDOW_LISTEN", value_name = "ADDR")]
    pub listen: Option<String>,
    /// Where the platform keeps its state (file: data-dir; default data).
    #[arg(long, env = "ONEWINDOW_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// sqlite://… or postgres://… (file: database-url; default sqlite://<data-dir>/onewindow.db?mode=rwc).
    // hide_env_values: --help must not print a password taken from the environment.
    #[arg(
        long,
        env = "ONEWINDOW_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Folder whose subfolders are adapter packages (file: adapter-dir; default <data-dir>/adapters).
    #[arg(long, env = "ONEWINDOW_ADAPTER_DIR", value_name = "DIR")]
    pub adapter_dir: Option<PathBuf>,
    /// Root of the adapters' exchange directories (file: exchange-root; default <data-dir>/exchange).
    #[arg(long, env = "ONEWINDOW_EXCHANGE_ROOT", value_name = "DIR")]
    pub exchange_root: Option<PathBuf>,
    /// Folder with the holiday calendar files (file: calendar-dir; default host/holidays).
    #[arg(long, env = "ONEWINDOW_CALENDAR_DIR", value_name = "DIR")]
    pub calendar_dir: Option<PathBuf>,
    /// Request body limit in bytes, 1024 to 536870912 (file: max-body-bytes; default 20971520).
    #[arg(long, env = "ONEWINDOW_MAX_BODY_BYTES", value_name = "BYTES")]
    pub max_body_bytes: Option<String>,
    /// Folder of trusted public keys for adapter packages (file: trust-dir; default <data-dir>/trusted-keys).
    #[arg(long, env = "ONEWINDOW_TRUST_DIR", value_name = "DIR")]
    pub trust_dir: Option<PathBuf>,
    /// The audit log's sealing key file, made at the first start (file: audit-key; default <data-dir>/audit.key).
    #[arg(long, env = "ONEWINDOW_AUDIT_KEY", value_name = "FILE")]
    pub audit_key: Option<PathBuf>,
    /// true or false: whether adapter packages must be signed by a trusted key (file: require-signatures; default true).
    #[arg(long, env = "ONEWINDOW_REQUIRE_SIGNATURES", value_name = "BOOL")]
    pub require_signatures: Option<String>,
    /// For development: install and activate the packages dropped into this folder (file: watch-dir; default none).
    #[arg(long, env = "ONEWINDOW_WATCH_DIR", value_name = "DIR")]
    pub watch_dir: Option<PathBuf>,
    /// How long a delivery is retried before the case shows delivery_failed (file: delivery.retry-horizon-secs; default 86400).
    #[arg(long, env = "ONEWINDOW_RETRY_HORIZON_SECS", value_name = "SECS")]
    pub retry_horizon_secs: Option<String>,
    /// Delay before the first delivery retry (file: delivery.initial-backoff-ms; default 500).
    #[arg(long, env = "ONEWINDOW_INITIAL_BACKOFF_MS", value_name = "MS")]
    pub initial_backoff_ms: Option<String>,
    /// Longest delay between delivery retries (file: delivery.max-backoff-ms; default 60000).
    #[arg(long, env = "ONEWINDOW_MAX_BACKOFF_MS", value_name = "MS")]
    pub max_backoff_ms: Option<String>,
    /// How often each adapter's cases.events is polled (file: delivery.poll-interval-ms; default 2000).
    #[arg(long, env = "ONEWINDOW_POLL_INTERVAL_MS", value_name = "MS")]
    pub poll_interval_ms: Option<String>,
    /// How long a claimed delivery is left to the replica that claimed it; longer than the slowest delivery (file: delivery.claim-lease-secs; default 300).
    #[arg(long, env = "ONEWINDOW_CLAIM_LEASE_SECS", value_name = "SECS")]
    pub claim_lease_secs: Option<String>,
    /// How often the matter catalogue is synced (file: delivery.catalogue-sync-secs; default 300).
    #[arg(long, env = "ONEWINDOW_CATALOGUE_SYNC_SECS", value_name = "SECS")]
    pub catalogue_sync_secs: Option<String>,
    /// true or false: the demo configuration, whose tokens are printed and may be weak (file: demo; default false).
    #[arg(long, env = "ONEWINDOW_DEMO", value_name = "BOOL")]
    pub demo: Option<String>,
    /// Where users reach the platform, e.g. https://onewindow.example.gov.cn; https makes cookies Secure (file: public-url; default none).
    #[arg(long, env = "ONEWINDOW_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// How long a client may take to send a request's head (file: server.header-timeout-ms; default 10000).
    #[arg(long, env = "ONEWINDOW_HEADER_TIMEOUT_MS", value_name = "MS")]
    pub header_timeout_ms: Option<String>,
    /// How long one request may take, its body included (file: server.request-timeout-secs; default 300).
    #[arg(long, env = "ONEWINDOW_REQUEST_TIMEOUT_SECS", value_name = "SECS")]
    pub request_timeout_secs: Option<String>,
    /// Connections held open at once (file: server.max-connections; default 4096).
    #[arg(long, env = "ONEWINDOW_MAX_CONNECTIONS", value_name = "N")]
    pub max_connections: Option<String>,
    /// Requests in progress at once; more get 503 (file: server.max-requests; default 1024).
    #[arg(long, env = "ONEWINDOW_MAX_REQUESTS", value_name = "N")]
    pub max_requests: Option<String>,
    /// Consecutive failures that open an adapter's circuit breaker (file: delivery.breaker-failures; default 5).
    #[arg(long, env = "ONEWINDOW_BREAKER_FAILURES", value_name = "N")]
    pub breaker_failures: Option<String>,
    /// How long an open circuit breaker refuses calls (file: delivery.breaker-cool-down-ms; default 30000).
    #[arg(long, env = "ONEWINDOW_BREAKER_COOL_DOWN_MS", value_name = "MS")]
    pub breaker_cool_down_ms: Option<String>,
}

// Numbers are taken as text (not parsed by clap) so that a bad value gets this
// module's message, which names the environment variable when it came from one.

impl fmt::Debug for Overrides {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Overrides")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self.database_url.as_deref().map(redact_url),
            )
            .field("adapter_dir", &self.adapter_dir)
            .field("exchange_root", &self.exchange_root)
            .field("calendar_dir", &self.calendar_dir)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("trust_dir", &self.trust_dir)
            .field("require_signatures", &self.require_signatures)
            .field("audit_key", &self.audit_key)
            .field("watch_dir", &self.watch_dir)
            .field("retry_horizon_secs", &self.retry_horizon_secs)
            .field("initial_backoff_ms", &self.initial_backoff_ms)
            .field("max_backoff_ms", &self.max_backoff_ms)
            .field("poll_interval_ms", &self.poll_interval_ms)
            .field("claim_lease_secs", &self.claim_lease_secs)
            .field("catalogue_sync_secs", &self.catalogue_sync_secs)
            .field("breaker_failures", &self.breaker_failures)
            .field("breaker_cool_down_ms", &self.breaker_cool_down_ms)
            .field("demo", &self.demo)
            .field("public_url", &self.public_url)
            .field("header_timeout_ms", &self.header_timeout_ms)
            .field("request_timeout_secs", &self.request_timeout_secs)
            .field("max_connections", &self.max_connections)
            .field("max_requests", &self.max_requests)
            .finish()
    }
}

/// One scalar key: its name in the file, its flag and its environment variable.
struct Key {
    file: &'static str,
    flag: &'static str,
    env: &'static str,
}

/// A numeric key with its unit, bounds and default.
struct Number {
    key: Key,
    unit: &'static str,
    min: u64,
    max: u64,
    default: u64,
}

const LISTEN: Key = Key {
    file: "listen",
    flag: "--listen",
    env: "ONEWINDOW_LISTEN",
};
const DATA_DIR: Key = Key {
    file: "data-dir",
    flag: "--data-dir",
    env: "ONEWINDOW_DATA_DIR",
};
const DATABASE_URL: Key = Key {
    file: "database-url",
    flag: "--database-url",
    env: "ONEWINDOW_DATABASE_URL",
};
const ADAPTER_DIR: Key = Key {
    file: "adapter-dir",
    flag: "--adapter-dir",
    env: "ONEWINDOW_ADAPTER_DIR",
};
const EXCHANGE_ROOT: Key = Key {
    file: "exchange-root",
    flag: "--exchange-root",
    env: "ONEWINDOW_EXCHANGE_ROOT",
};
const CALENDAR_DIR: Key = Key {
    file: "calendar-dir",
    flag: "--calendar-dir",
    env: "ONEWINDOW_CALENDAR_DIR",
};
const TRUST_DIR: Key = Key {
    file: "trust-dir",
    flag: "--trust-dir",
    env: "ONEWINDOW_TRUST_DIR",
};
const REQUIRE_SIGNATURES: Key = Key {
    file: "require-signatures",
    flag: "--require-signatures",
    env: "ONEWINDOW_REQUIRE_SIGNATURES",
};
const AUDIT_KEY: Key = Key {
    file: "audit-key",
    flag: "--audit-key",
    env: "ONEWINDOW_AUDIT_KEY",
};
const WATCH_DIR: Key = Key {
    file: "watch-dir",
    flag: "--watch-dir",
    env: "ONEWINDOW_WATCH_DIR",
};
const DEMO: Key = Key {
    file: "demo",
    flag: "--demo",
    env: "ONEWINDOW_DEMO",
};
const PUBLIC_URL: Key = Key {
    file: "public-url",
    flag: "--public-url",
    env: "ONEWINDOW_PUBLIC_URL",
};
const HEADER_TIMEOUT: Number = Number {
    key: Key {
        file: "server.header-timeout-ms",
        flag: "--header-timeout-ms",
        env: "ONEWINDOW_HEADER_TIMEOUT_MS",
    },
    unit: "milliseconds",
    min: 100,
    max: 10 * 60 * 1000,
    default: 10_000,
};
const REQUEST_TIMEOUT: Number = Number {
    key: Key {
        file: "server.request-timeout-secs",
        flag: "--request-timeout-secs",
        env: "ONEWINDOW_REQUEST_TIMEOUT_SECS",
    },
    unit: "seconds",
    min: 1,
    max: 60 * 60,
    default: 300,
};
const MAX_CONNECTIONS: Number = Number {
    key: Key {
        file: "server.max-connections",
        flag: "--max-connections",
        env: "ONEWINDOW_MAX_CONNECTIONS",
    },
    unit: "connections",
    min: 16,
    max: 1_000_000,
    default: 4096,
};
const MAX_REQUESTS: Number = Number {
    key: Key {
        file: "server.max-requests",
        flag: "--max-requests",
        env: "ONEWINDOW_MAX_REQUESTS",
    },
    unit: "requests",
    min: 1,
    max: 1_000_000,
    default: 1024,
};
const MAX_BODY_BYTES: Number = Number {
    key: Key {
        file: "max-body-bytes",
        flag: "--max-body-bytes",
        env: "ONEWINDOW_MAX_BODY_BYTES",
    },
    unit: "bytes",
    min: KIB,
    max: 512 * MIB,
    default: DEFAULT_MAX_BODY_BYTES as u64,
};
const RETRY_HORIZON: Number = Number {
    key: Key {
        file: "delivery.retry-horizon-secs",
        flag: "--retry-horizon-secs",
        env: "ONEWINDOW_RETRY_HORIZON_SECS",
    },
    unit: "seconds",
    min: 1,
    max: 365 * DAY_SECS,
    default: DAY_SECS,
};
const INITIAL_BACKOFF: Number = Number {
    key: Key {
        file: "delivery.initial-backoff-ms",
        flag: "--initial-backoff-ms",
        env: "ONEWINDOW_INITIAL_BACKOFF_MS",
    },
    unit: "milliseconds",
    min: 1,
    max: HOUR_MS,
    default: 500,
};
const MAX_BACKOFF: Number = Number {
    key: Key {
        file: "delivery.max-backoff-ms",
        flag: "--max-backoff-ms",
        env: "ONEWINDOW_MAX_BACKOFF_MS",
    },
    unit: "milliseconds",
    min: 1,
    max: 24 * HOUR_MS,
    default: 60_000,
};
const POLL_INTERVAL: Number = Number {
    key: Key {
        file: "delivery.poll-interval-ms",
        flag: "--poll-interval-ms",
        env: "ONEWINDOW_POLL_INTERVAL_MS",
    },
    unit: "milliseconds",
    min: 1,
    max: HOUR_MS,
    default: 2000,
};
const CLAIM_LEASE: Number = Number {
    key: Key {
        file: "delivery.claim-lease-secs",
        flag: "--claim-lease-secs",
        env: "ONEWINDOW_CLAIM_LEASE_SECS",
    },
    unit: "seconds",
    min: 1,
    max: DAY_SECS,
    default: 300,
};
const CATALOGUE_SYNC: Number = Number {
    key: Key {
        file: "delivery.catalogue-sync-secs",
        flag: "--catalogue-sync-secs",
        env: "ONEWINDOW_CATALOGUE_SYNC_SECS",
    },
    unit: "seconds",
    min: 1,
    max: 7 * DAY_SECS,
    default: 300,
};

const BREAKER_FAILURES: Number = Number {
    key: Key {
        file: "delivery.breaker-failures",
        flag: "--breaker-failures",
        env: "ONEWINDOW_BREAKER_FAILURES",
    },
    unit: "failures",
    min: 1,
    max: 1000,
    default: 5,
};
const BREAKER_COOL_DOWN: Number = Number {
    key: Key {
        file: "delivery.breaker-cool-down-ms",
        flag: "--breaker-cool-down-ms",
        env: "ONEWINDOW_BREAKER_COOL_DOWN_MS",
    },
    unit: "milliseconds",
    min: 1,
    max: HOUR_MS,
    default: 30_000,
};

const TOP_KEYS: &[&str] = &[
    "listen",
    "data-dir",
    "database-url",
    "adapter-dir",
    "exchange-root",
    "calendar-dir",
    "max-body-bytes",
    "trust-dir",
    "require-signatures",
    "audit-key",
    "watch-dir",
    "demo",
    "public-url",
    "server",
    "delivery",
    "tokens",
    "themes",
    "hooks",
];
const DELIVERY_KEYS: &[&str] = &[
    "retry-horizon-secs",
    "initial-backoff-ms",
    "max-backoff-ms",
    "poll-interval-ms",
    "claim-lease-secs",
    "catalogue-sync-secs",
    "breaker-failures",
    "breaker-cool-down-ms",
];
const SERVER_KEYS: &[&str] = &[
    "header-timeout-ms",
    "request-timeout-secs",
    "max-connections",
    "max-requests",
];
const TOKEN_KEYS: &[&str] = &["name", "role", "token", "token-sha256"];
const THEME_KEYS: &[&str] = &["code", "name", "matters", "promised-days"];
const HOOK_KEYS: &[&str] = &["secrets", "allow-from"];

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawFile {
    listen: Option<String>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    adapter_dir: Option<PathBuf>,
    exchange_root: Option<PathBuf>,
    calendar_dir: Option<PathBuf>,
    max_body_bytes: Option<u64>,
    trust_dir: Option<PathBuf>,
    require_signatures: Option<bool>,
    audit_key: Option<PathBuf>,
    watch_dir: Option<PathBuf>,
    demo: Option<bool>,
    public_url: Option<String>,
    #[serde(default)]
    server: RawServer,
    #[serde(default)]
    delivery: RawDelivery,
    tokens: Option<Vec<RawToken>>,
    #[serde(default)]
    themes: Vec<RawTheme>,
    #[serde(default)]
    hooks: BTreeMap<String, RawHook>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawHook {
    secrets: Vec<String>,
    #[serde(default)]
    allow_from: Vec<String>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawServer {
    header_timeout_ms: Option<u64>,
    request_timeout_secs: Option<u64>,
    max_connections: Option<u64>,
    max_requests: Option<u64>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawDelivery {
    retry_horizon_secs: Option<u64>,
    initial_backoff_ms: Option<u64>,
    max_backoff_ms: Option<u64>,
    poll_interval_ms: Option<u64>,
    claim_lease_secs: Option<u64>,
    catalogue_sync_secs: Option<u64>,
    breaker_failures: Option<u64>,
    breaker_cool_down_ms: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawToken {
    name: String,
    // Text, not `Role`, so a wrong role gets a message naming the entry.
    role: String,
    token: Option<String>,
    token_sha256: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawTheme {
    code: String,
    name: String,
    matters: Vec<String>,
    promised_days: u32,
}

impl Config {
    /// Reads `file` (if given; a given file that does not exist is an error) and applies `overrides`.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Config, ConfigError> {
        match file {
            None => build(RawFile::default(), None, overrides),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                Config::from_toml(&text, path, overrides)
            }
        }
    }

    /// Parses the text of a configuration file and applies `overrides`; `origin` is only named in errors.
    pub fn from_toml(
        text: &str,
        origin: &Path,
        overrides: &Overrides,
    ) -> Result<Config, ConfigError> {
        let syntax = |e: toml::de::Error| ConfigError::Syntax {
            path: origin.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        };
        // Unknown keys are looked for first, on the plain table, so a typo gets
        // a suggestion instead of serde's list of every known field.
        let table: toml::Table = toml::from_str(text).map_err(syntax)?;
        check_keys(&table, origin)?;
        let raw: RawFile = toml::from_str(text).map_err(syntax)?;
        build(raw, Some(origin), overrides)
    }

    /// The token `presented` in an `Authorization: Bearer` header, if it is one of ours.
    pub fn token(&self, presented: &str) -> Option<&Token> {
        if presented.is_empty() {
            return None;
        }
        let digest = sha256(presented);
        // Every token is compared, so the time taken does not tell which one matched.
        let mut found = None;
        for token in &self.tokens {
            if digest_eq(&digest, token.secret.digest()) && found.is_none() {
                found = Some(token);
            }
        }
        found
    }

    /// The database URL with any password replaced by `***`, for logs and banners.
    pub fn redacted_database_url(&self) -> String {
        redact_url(&self.database_url)
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("database_url", &self.redacted_database_url())
            .field("adapter_dir", &self.adapter_dir)
            .field("exchange_root", &self.exchange_root)
            .field("calendar_dir", &self.calendar_dir)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("trust_dir", &self.trust_dir)
            .field("require_signatures", &self.require_signatures)
            .field("audit_key", &self.audit_key)
            .field("watch_dir", &self.watch_dir)
            .field("delivery", &self.delivery)
            .field("tokens", &self.tokens)
            .field("themes", &self.themes)
            .field("hooks", &self.hooks)
            .field("demo", &self.demo)
            .field("public_url", &self.public_url)
            .field("server", &self.server)
            .finish()
    }
}

/// A value with where it came from.
struct Setting<T> {
    value: T,
    origin: Origin,
}

/// Picks each key's value from the overrides or the file and checks it.
struct Resolver<'a> {
    file: Option<&'a Path>,
}

impl Resolver<'_> {
    fn file_origin(&self) -> Origin {
        self.file
            .map_or(Origin::Default, |path| Origin::File(path.to_owned()))
    }

    fn pick<T: AsRef<OsStr>>(
        &self,
        key: &Key,
        over: Option<T>,
        file: Option<T>,
    ) -> Option<Setting<T>> {
        match (over, file) {
            (Some(value), _) => {
                let origin = override_origin(key, value.as_ref());
                Some(Setting { value, origin })
            }
            (None, Some(value)) => Some(Setting {
                value,
                origin: self.file_origin(),
            }),
            (None, None) => None,
        }
    }

    fn path(
        &self,
        key: &Key,
        over: &Option<PathBuf>,
        file: Option<PathBuf>,
    ) -> Result<Option<PathBuf>, ConfigError> {
        match self.pick(key, over.clone(), file) {
            Some(s) if s.value.as_os_str().is_empty() => Err(invalid(
                s.origin,
                key,
                "is empty; give a folder (relative paths are relative to the current directory)",
            )),
            other => Ok(other.map(|s| s.value)),
        }
    }

    fn number(
        &self,
        spec: &Number,
        over: &Option<String>,
        file: Option<u64>,
    ) -> Result<Setting<u64>, ConfigError> {
        let range = format!(
            "it must be a whole number of {} from {} to {}",
            spec.unit, spec.min, spec.max
        );
        let setting = match (over, file) {
            (Some(text), _) => {
                let origin = override_origin(&spec.key, OsStr::new(text));
                let value = text.trim().parse::<u64>().map_err(|_| {
                    invalid(origin.clone(), &spec.key, format!("is {text:?}; {range}"))
                })?;
                Setting { value, origin }
            }
            (None, Some(value)) => Setting {
                value,
                origin: self.file_origin(),
            },
            (None, None) => Setting {
                value: spec.default,
                origin: Origin::Default,
            },
        };
        if !(spec.min..=spec.max).contains(&setting.value) {
            return Err(invalid(
                setting.origin,
                &spec.key,
                format!("is {}; {range}", setting.value),
            ));
        }
        Ok(setting)
    }
}

impl Resolver<'_> {
    fn flag(
        &self,
        key: &Key,
        over: &Option<String>,
        file: Option<bool>,
        default: bool,
    ) -> Result<bool, ConfigError> {
        match (over, file) {
            (Some(text), _) => match text.trim() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(invalid(
                    override_origin(key, OsStr::new(text)),
                    key,
                    format!("is {text:?}; it must be true or false"),
                )),
            },
            (None, Some(value)) => Ok(value),
            (None, None) => Ok(default),
        }
    }
}

// clap merges a flag and its environment variable into one value; when the
// variable holds exactly that value, it is named (it is set, and it is wrong
// whether or not the flag repeats it), otherwise the flag is.
fn override_origin(key: &Key, value: &OsStr) -> Origin {
    if std::env::var_os(key.env).as_deref() == Some(value) {
        Origin::Env(key.env)
    } else {
        Origin::Flag(key.flag)
    }
}

fn invalid(origin: Origin, key: &Key, problem: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        origin,
        key: format!("`{}`", key.file),
        problem: problem.into(),
    }
}

fn build(raw: RawFile, file: Option<&Path>, o: &Overrides) -> Result<Config, ConfigError> {
    let r = Resolver { file };

    let listen = match r.pick(&LISTEN, o.listen.clone(), raw.listen) {
        None => DEFAULT_LISTEN
            .parse()
            .expect("DEFAULT_LISTEN is an address"),
        Some(s) => parse_listen(&s.value).map_err(|p| invalid(s.origin, &LISTEN, p))?,
    };
    let data_dir = r
        .path(&DATA_DIR, &o.data_dir, raw.data_dir)?
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
    // The derived defaults follow the data directory, so `--data-dir` alone
    // moves the database, the adapters and the exchange folders together.
    let database_url = match r.pick(&DATABASE_URL, o.database_url.clone(), raw.database_url) {
        None => format!(
            "sqlite://{}?mode=rwc",
            data_dir.join("onewindow.db").display()
        ),
        Some(s) => {
            check_database_url(&s.value).map_err(|p| invalid(s.origin, &DATABASE_URL, p))?;
            s.value
        }
    };
    let adapter_dir = r
        .path(&ADAPTER_DIR, &o.adapter_dir, raw.adapter_dir)?
        .unwrap_or_else(|| data_dir.join("adapters"));
    let exchange_root = r
        .path(&EXCHANGE_ROOT, &o.exchange_root, raw.exchange_root)?
        .unwrap_or_else(|| data_dir.join("exchange"));
    let calendar_dir = r
        .path(&CALENDAR_DIR, &o.calendar_dir, raw.calendar_dir)?
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CALENDAR_DIR));
    // Bounded to 512 MiB above, so it fits a usize on every target.
    let max_body_bytes = r
        .number(&MAX_BODY_BYTES, &o.max_body_bytes, raw.max_body_bytes)?
        .value as usize;

    let trust_dir = r
        .path(&TRUST_DIR, &o.trust_dir, raw.trust_dir)?
        .unwrap_or_else(|| data_dir.join("trusted-keys"));
    let require_signatures = r.flag(
        &REQUIRE_SIGNATURES,
        &o.require_signatures,
        raw.require_signatures,
        true,
    )?;
    let audit_key = r
        .path(&AUDIT_KEY, &o.audit_key, raw.audit_key)?
        .unwrap_or_else(|| data_dir.join("audit.key"));
    let watch_dir = r.path(&WATCH_DIR, &o.watch_dir, raw.watch_dir)?;

    let d = raw.delivery;
    let retry_horizon = r.number(&RETRY_HORIZON, &o.retry_horizon_secs, d.retry_horizon_secs)?;
    let initial = r.number(
        &INITIAL_BACKOFF,
        &o.initial_backoff_ms,
        d.initial_backoff_ms,
    )?;
    let max = r.number(&MAX_BACKOFF, &o.max_backoff_ms, d.max_backoff_ms)?;
    let poll = r.number(&POLL_INTERVAL, &o.poll_interval_ms, d.poll_interval_ms)?;
    let lease = r.number(&CLAIM_LEASE, &o.claim_lease_secs, d.claim_lease_secs)?;
    let sync = r.number(
        &CATALOGUE_SYNC,
        &o.catalogue_sync_secs,
        d.catalogue_sync_secs,
    )?;
    if max.value < initial.value {
        // Blame the key that was actually set: a default is not the operator's mistake.
        let (origin, key) = if max.origin == Origin::Default {
            (initial.origin, &INITIAL_BACKOFF.key)
        } else {
            (max.origin, &MAX_BACKOFF.key)
        };
        return Err(invalid(
            origin,
            key,
            format!(
                "makes the longest retry delay (`delivery.max-backoff-ms` = {}) shorter than the first (`delivery.initial-backoff-ms` = {}); the maximum must be at least the initial delay",
                max.value, initial.value
            ),
        ));
    }
    let breaker_failures = r.number(&BREAKER_FAILURES, &o.breaker_failures, d.breaker_failures)?;
    let breaker_cool_down = r.number(
        &BREAKER_COOL_DOWN,
        &o.breaker_cool_down_ms,
        d.breaker_cool_down_ms,
    )?;
    let delivery = Delivery {
        breaker: BreakerConfig {
            // Bounded to 1000 above.
            failures: breaker_failures.value as u32,
            cool_down: Duration::from_millis(breaker_cool_down.value),
        },
        retry_horizon: Duration::from_secs(retry_horizon.value),
        initial_backoff: Duration::from_millis(initial.value),
        max_backoff: Duration::from_millis(max.value),
        poll_interval: Duration::from_millis(poll.value),
        claim_lease: Duration::from_secs(lease.value),
        catalogue_sync_interval: Duration::from_secs(sync.value),
    };

    let demo = r.flag(&DEMO, &o.demo, raw.demo, false)?;
    let public_url = match r.pick(&PUBLIC_URL, o.public_url.clone(), raw.public_url) {
        None => None,
        Some(s) => Some(check_public_url(&s.value).map_err(|p| invalid(s.origin, &PUBLIC_URL, p))?),
    };
    let sv = raw.server;
    let server = ServerLimits {
        header_timeout: Duration::from_millis(
            r.number(&HEADER_TIMEOUT, &o.header_timeout_ms, sv.header_timeout_ms)?
                .value,
        ),
        request_timeout: Duration::from_secs(
            r.number(
                &REQUEST_TIMEOUT,
                &o.request_timeout_secs,
                sv.request_timeout_secs,
            )?
            .value,
        ),
        // Both bounded to a million above, so they fit a usize.
        max_connections: r
            .number(&MAX_CONNECTIONS, &o.max_connections, sv.max_connections)?
            .value as usize,
        max_requests: r
            .number(&MAX_REQUESTS, &o.max_requests, sv.max_requests)?
            .value as usize,
    };

    let file_origin = r.file_origin();
    let tokens = match raw.tokens {
        // No file at all: nothing to complain about here; the API then admits nobody.
        None if file.is_none() => Vec::new(),
        None => {
            return Err(ConfigError::Invalid {
                origin: file_origin,
                key: "`[[tokens]]`".into(),
                problem: "is missing; add at least one token (name, role and token or token-sha256), or nobody can use the API".into(),
            });
        }
        Some(raw) => tokens(raw, &file_origin, demo)?,
    };
    let themes = themes(raw.themes, &file_origin)?;
    let hooks = hooks(raw.hooks, &file_origin)?;

    Ok(Config {
        listen,
        data_dir,
        database_url,
        adapter_dir,
        exchange_root,
        calendar_dir,
        max_body_bytes,
        trust_dir,
        require_signatures,
        audit_key,
        watch_dir,
        delivery,
        tokens,
        themes,
        hooks,
        demo,
        public_url,
        server,
    })
}

/// A public address: `http://` or `https://` and a host, with no path, query or
/// credentials; kept without a trailing `/`.
fn check_public_url(text: &str) -> Result<String, String> {
    let text = text.trim().trim_end_matches('/');
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .ok_or_else(|| {
            format!("is {text:?}; give the address users open, starting with https:// (or http://), e.g. https://onewindow.example.gov.cn")
        })?;
    if rest.is_empty()
        || rest.contains(['/', '?', '#', '@'])
        || rest.chars().any(char::is_whitespace)
    {
        return Err(format!(
            "is {text:?}; give only the scheme, host and port, e.g. https://onewindow.example.gov.cn"
        ));
    }
    Ok(text.to_owned())
}

fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = text.trim().parse::<SocketAddr>() {
        return Ok(addr);
    }
    let hint = if let Ok(port) = text.trim().parse::<u16>() {
        format!(" (for port {port} on this machine only: 127.0.0.1:{port})")
    } else {
        String::new()
    };
    Err(format!(
        "is {text:?}; it must be an address such as {DEFAULT_LISTEN} or 0.0.0.0:8080 (an IP address and a port; host names are not resolved){hint}"
    ))
}

fn check_database_url(url: &str) -> Result<(), String> {
    // Only the redacted form is ever echoed back: the URL may carry a password.
    let shown = redact_url(url);
    if let Some(rest) = url.strip_prefix("sqlite://") {
        let path = rest.split('?').next().unwrap_or_default();
        if path.is_empty() {
            return Err(format!(
                "is {shown:?}, which names no database file; write e.g. sqlite://data/onewindow.db?mode=rwc"
            ));
        }
        return Ok(());
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(());
    }
    Err(format!(
        "is {shown:?}; it must start with sqlite:// (embedded, e.g. sqlite://data/onewindow.db?mode=rwc) or postgres:// (or postgresql://)"
    ))
}

/// `scheme://user:***@host/…?password=***`: the URL without its secrets.
fn redact_url(url: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((head, query)) => (head, Some(query)),
        None => (url, None),
    };
    let mut out = match head.split_once("://") {
        Some((scheme, rest)) => {
            let end = rest.find('/').unwrap_or(rest.len());
            let (authority, path) = rest.split_at(end);
            let authority = match authority.rsplit_once('@') {
                Some((userinfo, host)) => match userinfo.split_once(':') {
                    Some((user, _password)) => format!("{user}:***@{host}"),
                    None => format!("{userinfo}@{host}"),
                },
                None => authority.to_owned(),
            };
            format!("{scheme}://{authority}{path}")
        }
        None => head.to_owned(),
    };
    if let Some(query) = query {
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, _)) if name.eq_ignore_ascii_case("password") => format!("{name}=***"),
                _ => pair.to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&pairs.join("&"));
    }
    out
}

/// How an entry of `[[tokens]]` or `[[themes]]` is named in messages.
fn entry_key(field: &str, section: &str, index: usize, label: &str) -> String {
    let label = if label.trim().is_empty() {
        String::new()
    } else {
        format!(" ({label:?})")
    };
    format!(
        "`{field}` of the {} [[{section}]] entry{label}",
        ordinal(index + 1)
    )
}

fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

fn tokens(raw: Vec<RawToken>, origin: &Origin, demo: bool) -> Result<Vec<Token>, ConfigError> {
    let err = |key: String, problem: String| ConfigError::Invalid {
        origin: origin.clone(),
        key,
        problem,
    };
    if raw.is_empty() {
        return Err(err(
            "`tokens`".into(),
            "is empty; add at least one [[tokens]] entry, or nobody can use the API".into(),
        ));
    }
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    let mut digests: BTreeMap<[u8; 32], usize> = BTreeMap::new();
    let mut out: Vec<Token> = Vec::with_capacity(raw.len());
    for (i, t) in raw.into_iter().enumerate() {
        let key = |field: &str| entry_key(field, "tokens", i, &t.name);
        let name = t.name.trim();
        if name.is_empty() {
            return Err(err(
                key("name"),
                "is empty; it names the holder on case timelines and in the audit log".into(),
            ));
        }
        if let Some(first) = names.insert(name.to_owned(), i) {
            return Err(err(
                key("name"),
                format!(
                    "is also the name of the {} entry; every token needs its own name (it is the actor in the audit log)",
                    ordinal(first + 1)
                ),
            ));
        }
        let role = Role::from_name(&t.role).ok_or_else(|| {
            err(
                key("role"),
                format!("is {:?}; it must be clerk, operator or auditor", t.role),
            )
        })?;
        let (field, secret) = match (&t.token, &t.token_sha256) {
            (Some(_), Some(_)) => {
                return Err(err(
                    format!(
                        "`token` and `token-sha256` of the {} [[tokens]] entry ({name:?})",
                        ordinal(i + 1)
                    ),
                    "are both set; give exactly one of them (token-sha256 keeps the token itself out of the file)".into(),
                ));
            }
            (None, None) => {
                return Err(err(
                    key("token"),
                    "is missing; give `token = \"...\"` (a random one of at least 128 bits, e.g. from `openssl rand -hex 24`) or `token-sha256 = \"<64 hex digits>\"`".into(),
                ));
            }
            (Some(text), None) => (
                "token",
                plain_secret(text, demo).map_err(|p| err(key("token"), p))?,
            ),
            (None, Some(hex)) => (
                "token-sha256",
                hashed_secret(hex).map_err(|p| err(key("token-sha256"), p))?,
            ),
        };
        if let Some(first) = digests.insert(*secret.digest(), i) {
            return Err(err(
                key(field),
                format!(
                    "is the same token as that of the {} entry ({:?}); every holder needs their own token",
                    ordinal(first + 1),
                    out[first].name
                ),
            ));
        }
        out.push(Token {
            name: name.to_owned(),
            role,
            secret,
        });
    }
    Ok(out)
}

/// The fewest bits a token outside the demo may carry.
const TOKEN_BITS: f64 = 128.0;

/// The most a token can carry: its length times the bits of a character of the
/// smallest usual alphabet that holds all its characters (hex, base32,
/// base64url, or all of visible ASCII). A random token reaches this; a chosen
/// one carries less, which no rule can see.
fn token_bits(text: &str) -> f64 {
    let all = |f: fn(&u8) -> bool| text.as_bytes().iter().all(f);
    let per_char = if all(u8::is_ascii_hexdigit) {
        4.0
    } else if all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(b)) {
        5.0
    } else if all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_') {
        6.0
    } else {
        94f64.log2()
    };
    per_char * text.len() as f64
}

// The token itself is never part of a message: it may be a real one with a typo.
fn plain_secret(text: &str, demo: bool) -> Result<TokenSecret, String> {
    let len = text.chars().count();
    if len < 16 {
        return Err(format!(
            "is {len} characters long; it must be at least 16 (use a long random string, e.g. from `openssl rand -hex 24`)"
        ));
    }
    if !text.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(
            "contains a space, control or non-ASCII character; it travels in an HTTP header, so use visible ASCII only".into(),
        );
    }
    let bits = token_bits(text);
    if !demo && bits < TOKEN_BITS {
        return Err(format!(
            "carries at most {bits:.0} bits (a token of {len} such characters); outside the demo a token needs at least 128, so that it cannot be guessed: use e.g. `openssl rand -hex 24` (32 hex digits are 128 bits), or give its sha256 as token-sha256"
        ));
    }
    Ok(TokenSecret::Plain {
        text: text.to_owned(),
        digest: sha256(text),
    })
}

fn hashed_secret(text: &str) -> Result<TokenSecret, String> {
    let mut digest = [0u8; 32];
    if text.len() != 64 || hex::decode_to_slice(text, &mut digest).is_err() {
        return Err(
            "must be 64 hex digits: the sha256 of the token, e.g. from `printf %s 'TOKEN' | sha256sum`".into(),
        );
    }
    if digest == sha256("") {
        return Err("is the sha256 of an empty text; hash the token itself".into());
    }
    Ok(TokenSecret::Sha256(digest))
}

/// The shortest hook secret: 128 bits as hex.
const HOOK_SECRET_MIN: usize = 32;

fn hooks(
    raw: BTreeMap<String, RawHook>,
    origin: &Origin,
) -> Result<BTreeMap<String, Hook>, ConfigError> {
    let mut hooks = BTreeMap::new();
    for (id, hook) in raw {
        let err = |field: &str, problem: String| ConfigError::Invalid {
            origin: origin.clone(),
            key: format!("`{field}` of [hooks.{id}]"),
            problem,
        };
        if id.is_empty()
            || !id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(ConfigError::Invalid {
                origin: origin.clone(),
                key: format!("[hooks.{id}]"),
                problem: "must be named after an adapter id: a-z, 0-9 and -".into(),
            });
        }
        if !(1..=2).contains(&hook.secrets.len()) {
            return Err(err(
                "secrets",
                format!(
                    "has {} entries; give one secret, or two while the department moves from the old to the new",
                    hook.secrets.len()
                ),
            ));
        }
        for secret in &hook.secrets {
            let len = secret.chars().count();
            if len < HOOK_SECRET_MIN || !secret.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(err(
                    "secrets",
                    format!(
                        "holds a secret of {len} characters; each must be at least {HOOK_SECRET_MIN} visible ASCII characters (e.g. from `openssl rand -hex 32`)"
                    ),
                ));
            }
        }
        if hook.secrets.len() == 2 && hook.secrets[0] == hook.secrets[1] {
            return Err(err("secrets", "holds the same secret twice".into()));
        }
        let allow_from = hook
            .allow_from
            .iter()
            .map(|net| {
                net.parse::<ipnet::IpNet>()
                    .or_else(|_| net.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        err(
                            "allow-from",
                            format!("holds {net:?}, which is neither an address nor a network such as 10.8.0.0/16"),
                        )
                    })
            })
            .collect::<Result<_, _>>()?;
        hooks.insert(
            id,
            Hook {
                secrets: hook.secrets,
                allow_from,
            },
        );
    }
    Ok(hooks)
}

fn themes(raw: Vec<RawTheme>, origin: &Origin) -> Result<Vec<Theme>, ConfigError> {
    let err = |key: String, problem: String| ConfigError::Invalid {
        origin: origin.clone(),
        key,
        problem,
    };
    let mut codes: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = Vec::with_capacity(raw.len());
    for (i, t) in raw.into_iter().enumerate() {
        let key = |field: &str| entry_key(field, "themes", i, &t.code);
        crate::manifest::check_id(&t.code).map_err(|p| err(key("code"), p))?;
        if let Some(first) = codes.insert(t.code.clone(), i) {
            return Err(err(
                key("code"),
                format!(
                    "is also the code of the {} entry; every theme needs its own code",
                    ordinal(first + 1)
                ),
            ));
        }
        let name = t.name.trim();
        if name.is_empty() {
            return Err(err(
                key("name"),
                "is empty; it is what clerks and applicants see, e.g. 开办企业".into(),
            ));
        }
        if t.matters.len() < 2 {
            return Err(err(
                key("matters"),
                format!(
                    "lists {} matter(s); a theme bundles at least 2 (a single matter is applied for directly)",
                    t.matters.len()
                ),
            ));
        }
        let mut seen = BTreeSet::new();
        for matter in &t.matters {
            if matter.trim().is_empty() {
                return Err(err(key("matters"), "has an empty matter code".into()));
            }
            if !seen.insert(matter.as_str()) {
                return Err(err(
                    key("matters"),
                    format!("lists {matter:?} twice; each matter once"),
                ));
            }
        }
        if t.promised_days == 0 {
            return Err(err(
                key("promised-days"),
                "is 0; it must be at least 1 working day".into(),
            ));
        }
        out.push(Theme {
            code: t.code,
            name: name.to_owned(),
            matters: t.matters,
            promised_days: t.promised_days,
        });
    }
    Ok(out)
}

/// Finds keys the platform does not know, with a suggestion for the likely intended one.
fn check_keys(table: &toml::Table, path: &Path) -> Result<(), ConfigError> {
    let unknown = |key: &str, location: String, allowed: &[&str]| {
        let hint = if let Some(near) = nearest(key, allowed) {
            format!(" (did you mean `{near}`?)")
        } else if location.is_empty() && DELIVERY_KEYS.contains(&key) {
            " (it belongs under [delivery])".to_owned()
        } else if !location.is_empty() && TOP_KEYS.contains(&key) {
            // The classic TOML trap: a key written after a [table] header belongs to that table.
            " (top-level keys must come before the first [table] or [[array]] header)".to_owned()
        } else {
            format!("; known keys here: {}", allowed.join(", "))
        };
        ConfigError::UnknownKey {
            path: path.to_owned(),
            key: key.to_owned(),
            location,
            hint,
        }
    };
    let check = |t: &toml::Table, location: String, allowed: &[&str]| match t
        .keys()
        .find(|k| !allowed.contains(&k.as_str()))
    {
        Some(key) => Err(unknown(key, location, allowed)),
        None => Ok(()),
    };
    check(table, String::new(), TOP_KEYS)?;
    // Values of the wrong shape are left to serde, whose message says what was expected.
    if let Some(toml::Value::Table(delivery)) = table.get("delivery") {
        check(delivery, " in [delivery]".into(), DELIVERY_KEYS)?;
    }
    if let Some(toml::Value::Table(server)) = table.get("server") {
        check(server, " in [server]".into(), SERVER_KEYS)?;
    }
    if let Some(toml::Value::Table(hooks)) = table.get("hooks") {
        for (id, hook) in hooks {
            if let toml::Value::Table(hook) = hook {
                check(hook, format!(" in [hooks.{id}]"), HOOK_KEYS)?;
            }
        }
    }
    for (section, allowed) in [("tokens", TOKEN_KEYS), ("themes", THEME_KEYS)] {
        if let Some(toml::Value::Array(items)) = table.get(section) {
            for (i, item) in items.iter().enumerate() {
                if let toml::Value::Table(entry) = item {
                    let location = format!(" in the {} [[{section}]] entry", ordinal(i + 1));
                    check(entry, location, allowed)?;
                }
            }
        }
    }
    Ok(())
}

/// The known key closest to `key`, if it is close enough to be a typo.
fn nearest<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    let normal = key.to_lowercase().replace('_', "-");
    let len = normal.chars().count();
    known
        .iter()
        .map(|k| (edit_distance(&normal, k), *k))
        .filter(|(d, _)| *d <= 2 && *d < len)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(cur).min(row[j])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "onewindow.toml";

    /// A valid file: one token, nothing else.
    const MINIMAL: &str = r#"
[[tokens]]
name = "窗口一号 王芳"
role = "clerk"
token = "test-clerk-token-0123456789"
"#;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::from_toml(text, Path::new(FILE), &Overrides::default())
    }

    fn error(text: &str) -> String {
        match parse(text) {
            Ok(config) => panic!("expected an error, got {config:?}"),
            Err(e) => e.to_string(),
        }
    }

    fn assert_names(message: &str, parts: &[&str]) {
        for part in parts {
            assert!(
                message.contains(part),
                "message {message:?} should contain {part:?}"
            );
        }
    }

    #[test]
    fn example_file_parses_with_the_demo_values() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/onewindow.toml");
        let config = Config::load(Some(&path), &Overrides::default()).unwrap();
        assert_eq!(
            config.listen,
            "127.0.0.1:8080".parse::<SocketAddr>().unwrap()
        );
        assert_eq!(config.data_dir, Path::new("data"));
        assert_eq!(config.database_url, "sqlite://data/onewindow.db?mode=rwc");
        assert_eq!(config.adapter_dir, Path::new("plugins"));
        assert_eq!(config.exchange_root, Path::new("data/exchange"));
        assert_eq!(config.calendar_dir, Path::new("host/holidays"));
        assert_eq!(config.max_body_bytes, 20 * 1024 * 1024);
        assert_eq!(config.delivery, Delivery::default());

        let demo = [
            ("demo-clerk-token-0001", Role::Clerk),
            ("demo-operator-token-0001", Role::Operator),
            ("demo-auditor-token-0001", Role::Auditor),
        ];
        assert_eq!(config.tokens.len(), 3);
        for (text, role) in demo {
            let token = config.token(text).expect(text);
            assert_eq!(token.role, role);
            // `make run` prints these, so they must stay readable.
            assert_eq!(token.plain_text(), Some(text));
        }

        let [theme] = config.themes.as_slice() else {
            panic!("one theme expected: {:?}", config.themes)
        };
        assert_eq!(theme.code, "open-business");
        assert_eq!(theme.name, "开办企业");
        assert_eq!(
            theme.matters,
            ["330122-SCJG-XK-001", "330122-GA-BA-003", "330122-SW-FP-001"]
        );
        assert_eq!(theme.promised_days, 3);
    }

    #[test]
    fn without_a_file_every_default_applies() {
        let config = Config::load(None, &Overrides::default()).unwrap();
        assert_eq!(config.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(config.data_dir, Path::new("data"));
        assert_eq!(config.database_url, "sqlite://data/onewindow.db?mode=rwc");
        assert_eq!(config.adapter_dir, Path::new("data/adapters"));
        assert_eq!(config.exchange_root, Path::new("data/exchange"));
        assert_eq!(config.calendar_dir, Path::new("host/holidays"));
        assert_eq!(config.max_body_bytes, 20_971_520);
        assert_eq!(config.delivery.retry_horizon, Duration::from_secs(86_400));
        assert_eq!(config.delivery.initial_backoff, Duration::from_millis(500));
        assert_eq!(config.delivery.max_backoff, Duration::from_millis(60_000));
        assert_eq!(config.delivery.poll_interval, Duration::from_millis(2000));
        assert_eq!(config.delivery.claim_lease, Duration::from_secs(300));
        assert_eq!(
            config.delivery.catalogue_sync_interval,
            Duration::from_secs(300)
        );
        assert!(config.tokens.is_empty());
        assert!(config.themes.is_empty());
        assert!(config.token("demo-clerk-token-0001").is_none());
    }

    #[test]
    fn a_given_file_that_does_not_exist_is_an_error_naming_it() {
        let path = Path::new("no/such/onewindow.toml");
        let err = Config::load(Some(path), &Overrides::default()).unwrap_err();
        assert!(matches!(err, ConfigError::Read { .. }));
        assert_names(&err.to_string(), &["no/such/onewindow.toml"]);
    }

    #[test]
    fn overrides_win_over_the_file_and_the_file_over_defaults() {
        let text = format!(
            r#"
listen = "127.0.0.1:9000"
data-dir = "/srv/file-data"
adapter-dir = "/srv/file-adapters"
max-body-bytes = 4096
[delivery]
poll-interval-ms = 100
retry-horizon-secs = 600
claim-lease-secs = 20
{MINIMAL}"#
        );
        let overrides = Overrides {
            listen: Some("0.0.0.0:7000".into()),
            data_dir: Some("/srv/flag-data".into()),
            retry_horizon_secs: Some("60".into()),
            catalogue_sync_secs: Some("5".into()),
            ..Overrides::default()
        };
        let config = Config::from_toml(&text, Path::new(FILE), &overrides).unwrap();
        // Overridden.
        assert_eq!(config.listen.to_string(), "0.0.0.0:7000");
        assert_eq!(config.data_dir, Path::new("/srv/flag-data"));
        assert_eq!(config.delivery.retry_horizon, Duration::from_secs(60));
        assert_eq!(
            config.delivery.catalogue_sync_interval,
            Duration::from_secs(5)
        );
        // From the file, not overridden.
        assert_eq!(config.adapter_dir, Path::new("/srv/file-adapters"));
        assert_eq!(config.max_body_bytes, 4096);
        assert_eq!(config.delivery.poll_interval, Duration::from_millis(100));
        assert_eq!(config.delivery.claim_lease, Duration::from_secs(20));
        // Defaults derived from the overridden data directory.
        assert_eq!(
            config.database_url,
            "sqlite:///srv/flag-data/onewindow.db?mode=rwc"
        );
        assert_eq!(config.exchange_root, Path::new("/srv/flag-data/exchange"));
        // Plain defaults.
        assert_eq!(config.delivery.initial_backoff, Duration::from_millis(500));
        assert_eq!(config.calendar_dir, Path::new("host/holidays"));
    }

    #[test]
    fn flags_have_the_documented_names() {
        use clap::{CommandFactory, Parser};
        #[derive(Parser)]
        struct Serve {
            #[command(flatten)]
            overrides: Overrides,
        }
        Serve::command().debug_assert();
        let serve = Serve::try_parse_from([
            "serve",
            "--listen",
            "0.0.0.0:8443",
            "--database-url",
            "postgres://onewindow@db/onewindow",
            "--max-body-bytes",
            "65536",
            "--max-backoff-ms",
            "1000",
            "--poll-interval-ms",
            "50",
            "--claim-lease-secs",
            "15",
        ])
        .unwrap();
        let config = Config::load(None, &serve.overrides).unwrap();
        assert_eq!(config.listen.to_string(), "0.0.0.0:8443");
        assert_eq!(config.database_url, "postgres://onewindow@db/onewindow");
        assert_eq!(config.max_body_bytes, 65536);
        assert_eq!(config.delivery.max_backoff, Duration::from_millis(1000));
        assert_eq!(config.delivery.poll_interval, Duration::from_millis(50));
        assert_eq!(config.delivery.claim_lease, Duration::from_secs(15));
    }

    #[test]
    fn an_unknown_key_is_named_with_a_suggestion() {
        let message = error(&format!("lisen = \"127.0.0.1:8080\"\n{MINIMAL}"));
        assert_names(
            &message,
            &[
                "onewindow.toml",
                "unknown key `lisen`",
                "did you mean `listen`?",
            ],
        );

        let message = error(&format!("{MINIMAL}rol = \"clerk\"\n"));
        assert_names(
            &message,
            &["onewindow.toml", "`rol`", "1st [[tokens]] entry", "`role`"],
        );

        // A top-level key written after a table header lands in that table.
        let message = error(&format!(
            "[delivery]\npoll-interval-ms = 10\nlisten = \"0.0.0.0:1\"\n{MINIMAL}"
        ));
        assert_names(
            &message,
            &["`listen`", "in [delivery]", "before the first [table]"],
        );
    }

    #[test]
    fn a_bad_listen_address_names_the_key_and_its_source() {
        let message = error(&format!("listen = \"localhost\"\n{MINIMAL}"));
        assert_names(
            &message,
            &[
                "onewindow.toml",
                "`listen`",
                "\"localhost\"",
                "127.0.0.1:8080",
            ],
        );

        let overrides = Overrides {
            listen: Some("8080".into()),
            ..Overrides::default()
        };
        let message = Config::load(None, &overrides).unwrap_err().to_string();
        assert_names(
            &message,
            &["--listen", "`listen`", "\"8080\"", "127.0.0.1:8080"],
        );
    }

    #[test]
    fn an_unsupported_database_scheme_is_refused_without_echoing_the_password() {
        let message = error(&format!(
            "database-url = \"mysql://root:hunter2@db/onewindow\"\n{MINIMAL}"
        ));
        assert_names(
            &message,
            &[
                "onewindow.toml",
                "`database-url`",
                "mysql://root:***@db",
                "sqlite://",
                "postgres://",
            ],
        );
        assert!(!message.contains("hunter2"), "{message}");

        for ok in [
            "sqlite://data/x.db",
            "postgres://u:p@localhost/onewindow",
            "postgresql://localhost/onewindow",
        ] {
            let overrides = Overrides {
                database_url: Some(ok.into()),
                ..Overrides::default()
            };
            assert_eq!(Config::load(None, &overrides).unwrap().database_url, ok);
        }
    }

    #[test]
    fn signatures_are_required_unless_switched_off_with_true_or_false() {
        let config = Config::load(None, &Overrides::default()).unwrap();
        assert!(config.require_signatures);
        assert_eq!(config.trust_dir, Path::new("data/trusted-keys"));
        let config = Config::from_toml(
            &format!("require-signatures = false\ntrust-dir = \"keys\"\n{MINIMAL}"),
            Path::new("onewindow.toml"),
            &Overrides::default(),
        )
        .unwrap();
        assert!(!config.require_signatures);
        assert_eq!(config.trust_dir, Path::new("keys"));
        let overrides = Overrides {
            require_signatures: Some("no".into()),
            ..Overrides::default()
        };
        let message = Config::load(None, &overrides).unwrap_err().to_string();
        assert_names(
            &message,
            &[
                "--require-signatures",
                "`require-signatures`",
                "true or false",
            ],
        );
    }

    #[test]
    fn a_zero_or_malformed_duration_names_the_key_and_its_source() {
        let message = error(&format!("[delivery]\npoll-interval-ms = 0\n{MINIMAL}"));
        assert_names(
            &message,
            &[
                "onewindow.toml",
                "`delivery.poll-interval-ms`",
                "is 0",
                "from 1",
            ],
        );

        let overrides = Overrides {
            retry_horizon_secs: Some("0".into()),
            ..Overrides::default()
        };
        let message = Config::load(None, &overrides).unwrap_err().to_string();
        assert_names(
            &message,
            &[
                "--retry-horizon-secs",
                "`delivery.retry-horizon-secs`",
                "is 0",
            ],
        );

        let overrides = Overrides {
            max_body_bytes: Some("20MiB".into()),
            ..Overrides::default()
        };
        let message = Config::load(None, &overrides).unwrap_err().to_string();
        assert_names(
            &message,
            &[
                "--max-body-bytes",
                "`max-body-bytes`",
                "\"20MiB\"",
                "whole number of bytes",
            ],
        );
    }

    #[test]
    fn the_longest_backoff_cannot_be_shorter_than_the_first() {
        let message = error(&format!(
            "[delivery]\ninitial-backoff-ms = 120000\n{MINIMAL}"
        ));
        // The maximum is the default here, so the key that was set is blamed.
        assert_names(
            &message,
            &[
                "onewindow.toml",
                "`delivery.initial-backoff-ms`",
                "120000",
                "60000",
            ],
        );
    }

    #[test]
    fn a_file_without_tokens_is_an_error() {
        let message = error("listen = \"127.0.0.1:8080\"\n");
        assert_names(&message, &["onewindow.toml", "[[tokens]]", "missing"]);
    }

    #[test]
    fn outside_the_demo_a_token_under_128_bits_is_refused() {
        let weak = |demo: &str, token: &str| {
            parse(&format!(
                "{demo}\n[[tokens]]\nname = \"窗口\"\nrole = \"clerk\"\ntoken = \"{token}\"\n"
            ))
        };
        // 16 hex digits are 64 bits; 21 base64url characters 126.
        for token in ["0123456789abcdef0123", "demo-clerk-token-0001"] {
            let message = weak("", token).unwrap_err().to_string();
            assert_names(
                &message,
                &["onewindow.toml", "`token`", "128", "openssl rand -hex 24"],
            );
            assert!(!message.contains(token), "the token is never in a message");
            let config = weak("demo = true", token).expect("the demo may use it");
            assert!(config.demo);
        }
        // 32 hex digits, 22 base64url characters: 128 bits and more.
        for token in ["0123456789abcdef0123456789abcdef", "AbCdEfGhIjKlMnOpQrStUv"] {
            assert!(!weak("", token).unwrap().demo, "{token}");
        }
    }

    #[test]
    fn public_url_and_server_limits_are_checked() {
        let config = parse(&format!(
            "public-url = \"https://onewindow.example.gov.cn/\"\n[server]\nheader-timeout-ms = 2000\nmax-connections = 100\n{MINIMAL}"
        ))
        .unwrap();
        assert_eq!(
            config.public_url.as_deref(),
            Some("https://onewindow.example.gov.cn")
        );
        assert_eq!(config.server.header_timeout, Duration::from_secs(2));
        assert_eq!(config.server.max_connections, 100);
        assert_eq!(config.server.max_requests, 1024);
        for (url, why) in [
            ("onewindow.example.gov.cn", "https://"),
            ("https://x.example/window", "only the scheme, host and port"),
        ] {
            let message = error(&format!("public-url = \"{url}\"\n{MINIMAL}"));
            assert_names(&message, &["`public-url`", why]);
        }
        let message = error(&format!("[server]\nmax-conections = 10\n{MINIMAL}"));
        assert_names(&message, &["max-conections", "[server]", "max-connections"]);
        let message = error(&format!("[server]\nheader-timeout-ms = 5\n{MINIMAL}"));
        assert_names(&message, &["`server.header-timeout-ms`", "100 to 600000"]);
    }

    #[test]
    fn a_token_both_plain_and_hashed_is_refused() {
        let message = error(&format!(
            r#"{MINIMAL}
[[tokens]]
name = "运维 陈建国"
role = "operator"
token = "operator-token-0001"
token-sha256 = "{}"
"#,
            hex::encode(sha256("operator-token-0001"))
        ));
        assert_names(
            &message,
            &[
                "onewindow.toml",
                "`token` and `token-sha256`",
                "2nd [[tokens]]",
                "运维 陈建国",
                "exactly one",
            ],
        );
    }

    #[test]
    fn a_short_plain_token_is_refused_without_echoing_it() {
        let message = error(
            r#"
[[tokens]]
name = "窗口一号 王芳"
role = "clerk"
token = "short-secret"
"#,
        );
        assert_names(
            &message,
            &[
                "onewindow.toml",
                "`token`",
                "1st [[tokens]]",
                "12 characters",
                "at least 16",
            ],
        );
        assert!(!message.contains("short-secret"), "{message}");
    }

    #[test]
    fn a_token_given_twice_is_refused_even_once_hashed() {
        let message = error(&format!(
            r#"{MINIMAL}
[[tokens]]
name = "窗口二号 李强"
role = "clerk"
token-sha256 = "{}"
"#,
            hex::encode(sha256("test-clerk-token-0123456789"))
        ));
        assert_names(
            &message,
            &[
                "`token-sha256`",
                "2nd [[tokens]]",
                "same token",
                "窗口一号 王芳",
            ],
        );
    }

    #[test]
    fn a_bad_role_names_the_entry() {
        let message = error(
            r#"
[[tokens]]
name = "窗口一号 王芳"
role = "admin"
token = "test-clerk-token-0123456789"
"#,
        );
        assert_names(
            &message,
            &[
                "onewindow.toml",
                "`role`",
                "1st [[tokens]]",
                "\"admin\"",
                "clerk, operator or auditor",
            ],
        );
    }

    #[test]
    fn a_duplicate_theme_code_is_refused() {
        let message = error(&format!(
            r#"{MINIMAL}
[[themes]]
code = "open-business"
name = "开办企业"
matters = ["A-1", "B-1"]
promised-days = 3
[[themes]]
code = "open-business"
name = "开办餐饮店"
matters = ["A-1", "C-1"]
promised-days = 5
"#
        ));
        assert_names(
            &message,
            &[
                "onewindow.toml",
                "`code`",
                "2nd [[themes]]",
                "open-business",
                "1st",
            ],
        );
    }

    #[test]
    fn a_theme_with_one_matter_is_refused() {
        let message = error(&format!(
            r#"{MINIMAL}
[[themes]]
code = "open-business"
name = "开办企业"
matters = ["330122-SCJG-XK-001"]
promised-days = 3
"#
        ));
        assert_names(
            &message,
            &["onewindow.toml", "`matters`", "open-business", "at least 2"],
        );
    }

    #[test]
    fn token_finds_plain_and_hashed_tokens_and_rejects_others() {
        let config = parse(&format!(
            r#"{MINIMAL}
[[tokens]]
name = "数据局 陈建国"
role = "operator"
token-sha256 = "{}"
"#,
            hex::encode_upper(sha256("hashed-operator-token"))
        ))
        .unwrap();
        let clerk = config.token("test-clerk-token-0123456789").unwrap();
        assert_eq!(
            (clerk.name.as_str(), clerk.role),
            ("窗口一号 王芳", Role::Clerk)
        );
        let operator = config.token("hashed-operator-token").unwrap();
        assert_eq!(
            (operator.name.as_str(), operator.role),
            ("数据局 陈建国", Role::Operator)
        );
        assert_eq!(operator.plain_text(), None);
        for wrong in [
            "",
            "test-clerk-token-000",
            "test-clerk-token-01234567891",
            "TEST-CLERK-TOKEN-0001",
            "hashed-operator-token ",
            &hex::encode(sha256("hashed-operator-token")),
        ] {
            assert!(config.token(wrong).is_none(), "{wrong:?} must not match");
        }
    }

    #[test]
    fn debug_output_hides_tokens_and_database_passwords() {
        let secret = "hashed-operator-token";
        let hash = hex::encode(sha256(secret));
        let text = format!(
            r#"database-url = "postgres://onewindow:s3cret-pw@db:5432/onewindow?sslmode=require&password=other-pw"
{MINIMAL}
[[tokens]]
name = "数据局 陈建国"
role = "operator"
token-sha256 = "{hash}"
"#
        );
        let config = parse(&text).unwrap();
        let debug = format!("{config:?}");
        for hidden in [
            "test-clerk-token-0123456789",
            &hash,
            "s3cret-pw",
            "other-pw",
        ] {
            assert!(!debug.contains(hidden), "{hidden:?} leaked in {debug}");
        }
        assert_names(
            &debug,
            &[
                "窗口一号 王芳",
                "Clerk",
                "postgres://onewindow:***@db:5432/onewindow",
            ],
        );
        assert_eq!(
            config.redacted_database_url(),
            "postgres://onewindow:***@db:5432/onewindow?sslmode=require&password=***"
        );
    }
}
