//! The platform's configuration: one `onewindow.toml`, every scalar key of which
//! can be overridden by a flag of `onewindow serve` or an `ONEWINDOW_*`
//! environment variable. Precedence: flag > environment > file > default.
//!
//! Everything is checked at start-up, and every error names the key and where
//! the bad value came from (the file, the flag or the environment variable), so
//! an operator never has to guess which of the three to fix.
//!
//! Each scalar key is declared once, in [`keys`]; [`sources`] merges the file,
//! the variables and the flags with figment; [`load`] builds the [`Config`].

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::adapter::breaker::BreakerConfig;

mod checks;
pub mod keys;
mod load;
mod sources;
#[cfg(test)]
mod tests;
mod tokens;

pub use keys::{DeliveryKeys, Overrides, ServerKeys};
pub use sources::Origin;
pub use tokens::{Role, Token};

use checks::redact_url;
use keys::Setting as _;
use tokens::{digest_eq, sha256};

/// The address `onewindow serve` listens on unless told otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The data directory unless told otherwise (relative to the current directory).
pub const DEFAULT_DATA_DIR: &str = "data";
/// Where the holiday calendar files are read from unless told otherwise.
pub const DEFAULT_CALENDAR_DIR: &str = "host/holidays";
/// The request body limit unless told otherwise: 20 MiB, room for scanned materials.
pub const DEFAULT_MAX_BODY_BYTES: usize = 20 * 1024 * 1024;

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
        Self::from(&ServerKeys::default())
    }
}

impl From<&ServerKeys> for ServerLimits {
    fn from(keys: &ServerKeys) -> Self {
        Self {
            header_timeout: Duration::from_millis(keys.header_timeout_ms.value()),
            request_timeout: Duration::from_secs(keys.request_timeout_secs.value()),
            // Both bounded to a million, so they fit a usize.
            max_connections: keys.max_connections.value() as usize,
            max_requests: keys.max_requests.value() as usize,
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
        Self::from(&DeliveryKeys::default())
    }
}

impl From<&DeliveryKeys> for Delivery {
    fn from(keys: &DeliveryKeys) -> Self {
        Self {
            retry_horizon: Duration::from_secs(keys.retry_horizon_secs.value()),
            initial_backoff: Duration::from_millis(keys.initial_backoff_ms.value()),
            max_backoff: Duration::from_millis(keys.max_backoff_ms.value()),
            poll_interval: Duration::from_millis(keys.poll_interval_ms.value()),
            claim_lease: Duration::from_secs(keys.claim_lease_secs.value()),
            catalogue_sync_interval: Duration::from_secs(keys.catalogue_sync_secs.value()),
            breaker: BreakerConfig {
                // Bounded to 1000.
                failures: keys.breaker_failures.value() as u32,
                cool_down: Duration::from_millis(keys.breaker_cool_down_ms.value()),
            },
        }
    }
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

/// Why the configuration cannot be used; the platform does not start.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read (missing, unreadable, not UTF-8).
    #[error("cannot read the configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is not valid TOML (toml's message, with line and column).
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

impl Config {
    /// The token `presented` in an `Authorization: Bearer` header, if it is one of ours.
    pub fn token(&self, presented: &str) -> Option<&Token> {
        if presented.is_empty() {
            return None;
        }
        let digest = sha256(presented);
        // Every token is compared, so the time taken does not tell which one matched.
        let mut found = None;
        for token in &self.tokens {
            if digest_eq(&digest, &token.digest) && found.is_none() {
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
