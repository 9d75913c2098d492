//! The scalar keys, each declared once: its name in the file (serde, kebab-case),
//! its flag and environment variable (clap), its type, range and default. The same
//! structs are the flags of `onewindow serve` and the scalar part of the file.

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};

use super::checks::redact_url;

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
// Upper bounds keep `Instant + duration` arithmetic elsewhere far from overflow
// and catch unit mistakes (seconds written into a milliseconds key).
const DAY_SECS: u64 = 24 * 60 * 60;
const HOUR_MS: u64 = 60 * 60 * 1000;

/// The flags and environment variables of `onewindow serve` that override the file.
/// Values are kept as given and checked when the configuration is built, so a bad
/// one is reported with the key and where it came from.
#[derive(Clone, Debug, Default, clap::Args, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Overrides {
    /// Address and port to listen on, e.g. 0.0.0.0:8080 (file: listen; default 127.0.0.1:8080).
    #[arg(long, env = "ONEWINDOW_LISTEN", value_name = "ADDR")]
    pub listen: Option<String>,
    /// Where the platform keeps its state (file: data-dir; default data).
    #[arg(long, env = "ONEWINDOW_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<Folder>,
    /// sqlite://… or postgres://… (file: database-url; default sqlite://<data-dir>/onewindow.db?mode=rwc).
    // hide_env_values: --help must not print a password taken from the environment.
    #[arg(
        long,
        env = "ONEWINDOW_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<DatabaseUrl>,
    /// Folder whose subfolders are adapter packages (file: adapter-dir; default <data-dir>/adapters).
    #[arg(long, env = "ONEWINDOW_ADAPTER_DIR", value_name = "DIR")]
    pub adapter_dir: Option<Folder>,
    /// Root of the adapters' exchange directories (file: exchange-root; default <data-dir>/exchange).
    #[arg(long, env = "ONEWINDOW_EXCHANGE_ROOT", value_name = "DIR")]
    pub exchange_root: Option<Folder>,
    /// Folder with the holiday calendar files (file: calendar-dir; default host/holidays).
    #[arg(long, env = "ONEWINDOW_CALENDAR_DIR", value_name = "DIR")]
    pub calendar_dir: Option<Folder>,
    /// Request body limit in bytes, 1024 to 536870912 (file: max-body-bytes; default 20971520).
    #[arg(long, env = "ONEWINDOW_MAX_BODY_BYTES", value_name = "BYTES")]
    pub max_body_bytes: Option<Number<BYTES, KIB, { 512 * MIB }, { 20 * MIB }>>,
    /// Folder of trusted public keys for adapter packages (file: trust-dir; default <data-dir>/trusted-keys).
    #[arg(long, env = "ONEWINDOW_TRUST_DIR", value_name = "DIR")]
    pub trust_dir: Option<Folder>,
    /// true or false: whether adapter packages must be signed by a trusted key (file: require-signatures; default true).
    #[arg(long, env = "ONEWINDOW_REQUIRE_SIGNATURES", value_name = "BOOL")]
    pub require_signatures: Option<Switch<true>>,
    /// The audit log's sealing key file, made at the first start (file: audit-key; default <data-dir>/audit.key).
    #[arg(long, env = "ONEWINDOW_AUDIT_KEY", value_name = "FILE")]
    pub audit_key: Option<Folder>,
    /// For development: install and activate the packages dropped into this folder (file: watch-dir; default none).
    #[arg(long, env = "ONEWINDOW_WATCH_DIR", value_name = "DIR")]
    pub watch_dir: Option<Folder>,
    /// true or false: the demo configuration, whose tokens are printed and may be weak (file: demo; default false).
    #[arg(long, env = "ONEWINDOW_DEMO", value_name = "BOOL")]
    pub demo: Option<Switch<false>>,
    /// Where users reach the platform, e.g. https://onewindow.example.gov.cn; https makes cookies Secure (file: public-url; default none).
    #[arg(long, env = "ONEWINDOW_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    #[command(flatten)]
    #[serde(default)]
    pub delivery: DeliveryKeys,
    #[command(flatten)]
    #[serde(default)]
    pub server: ServerKeys,
}

/// The keys of `[delivery]`.
#[derive(Clone, Debug, Default, clap::Args, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct DeliveryKeys {
    /// How long a delivery is retried before the case shows delivery_failed (file: delivery.retry-horizon-secs; default 86400).
    #[arg(long, env = "ONEWINDOW_RETRY_HORIZON_SECS", value_name = "SECS")]
    pub retry_horizon_secs: Option<Number<SECONDS, 1, { 365 * DAY_SECS }, DAY_SECS>>,
    /// Delay before the first delivery retry (file: delivery.initial-backoff-ms; default 500).
    #[arg(long, env = "ONEWINDOW_INITIAL_BACKOFF_MS", value_name = "MS")]
    pub initial_backoff_ms: Option<Number<MILLISECONDS, 1, HOUR_MS, 500>>,
    /// Longest delay between delivery retries (file: delivery.max-backoff-ms; default 60000).
    #[arg(long, env = "ONEWINDOW_MAX_BACKOFF_MS", value_name = "MS")]
    pub max_backoff_ms: Option<Number<MILLISECONDS, 1, { 24 * HOUR_MS }, 60_000>>,
    /// How often each adapter's cases.events is polled (file: delivery.poll-interval-ms; default 2000).
    #[arg(long, env = "ONEWINDOW_POLL_INTERVAL_MS", value_name = "MS")]
    pub poll_interval_ms: Option<Number<MILLISECONDS, 1, HOUR_MS, 2000>>,
    /// How long a claimed delivery is left to the replica that claimed it; longer than the slowest delivery (file: delivery.claim-lease-secs; default 300).
    #[arg(long, env = "ONEWINDOW_CLAIM_LEASE_SECS", value_name = "SECS")]
    pub claim_lease_secs: Option<Number<SECONDS, 1, DAY_SECS, 300>>,
    /// How often the matter catalogue is synced (file: delivery.catalogue-sync-secs; default 300).
    #[arg(long, env = "ONEWINDOW_CATALOGUE_SYNC_SECS", value_name = "SECS")]
    pub catalogue_sync_secs: Option<Number<SECONDS, 1, { 7 * DAY_SECS }, 300>>,
    /// Consecutive failures that open an adapter's circuit breaker (file: delivery.breaker-failures; default 5).
    #[arg(long, env = "ONEWINDOW_BREAKER_FAILURES", value_name = "N")]
    pub breaker_failures: Option<Number<FAILURES, 1, 1000, 5>>,
    /// How long an open circuit breaker refuses calls (file: delivery.breaker-cool-down-ms; default 30000).
    #[arg(long, env = "ONEWINDOW_BREAKER_COOL_DOWN_MS", value_name = "MS")]
    pub breaker_cool_down_ms: Option<Number<MILLISECONDS, 1, HOUR_MS, 30_000>>,
}

/// The keys of `[server]`.
#[derive(Clone, Debug, Default, clap::Args, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ServerKeys {
    /// How long a client may take to send a request's head (file: server.header-timeout-ms; default 10000).
    #[arg(long, env = "ONEWINDOW_HEADER_TIMEOUT_MS", value_name = "MS")]
    pub header_timeout_ms: Option<Number<MILLISECONDS, 100, { 10 * 60 * 1000 }, 10_000>>,
    /// How long one request may take, its body included (file: server.request-timeout-secs; default 300).
    #[arg(long, env = "ONEWINDOW_REQUEST_TIMEOUT_SECS", value_name = "SECS")]
    pub request_timeout_secs: Option<Number<SECONDS, 1, { 60 * 60 }, 300>>,
    /// Connections held open at once (file: server.max-connections; default 4096).
    #[arg(long, env = "ONEWINDOW_MAX_CONNECTIONS", value_name = "N")]
    pub max_connections: Option<Number<CONNECTIONS, 16, 1_000_000, 4096>>,
    /// Requests in progress at once; more get 503 (file: server.max-requests; default 1024).
    #[arg(long, env = "ONEWINDOW_MAX_REQUESTS", value_name = "N")]
    pub max_requests: Option<Number<REQUESTS, 1, 1_000_000, 1024>>,
}

/// The units of [`Number`]s, as named in messages.
const UNITS: [&str; 6] = [
    "bytes",
    "seconds",
    "milliseconds",
    "failures",
    "connections",
    "requests",
];
const BYTES: usize = 0;
const SECONDS: usize = 1;
const MILLISECONDS: usize = 2;
const FAILURES: usize = 3;
const CONNECTIONS: usize = 4;
const REQUESTS: usize = 5;

/// A whole number of `UNITS[UNIT]` from `MIN` to `MAX`, `DEFAULT` when not given.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Number<const UNIT: usize, const MIN: u64, const MAX: u64, const DEFAULT: u64> {
    /// As a flag or variable gave it, not yet checked.
    Given(String),
    /// Checked.
    Value(u64),
}

/// `true` or `false`, `DEFAULT` when not given.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Switch<const DEFAULT: bool> {
    /// As a flag or variable gave it, not yet checked.
    Given(String),
    /// Checked.
    Value(bool),
}

/// A path that is not empty (relative paths are relative to the current directory).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Folder(pub PathBuf);

/// The database URL; its `Debug` hides the password.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DatabaseUrl(pub String);

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&redact_url(&self.0), f)
    }
}

impl<const U: usize, const MIN: u64, const MAX: u64, const D: u64> From<String>
    for Number<U, MIN, MAX, D>
{
    fn from(text: String) -> Self {
        Number::Given(text)
    }
}
impl<const D: bool> From<String> for Switch<D> {
    fn from(text: String) -> Self {
        Switch::Given(text)
    }
}
impl From<OsString> for Folder {
    fn from(path: OsString) -> Self {
        Folder(path.into())
    }
}
impl From<String> for DatabaseUrl {
    fn from(url: String) -> Self {
        DatabaseUrl(url)
    }
}

/// A scalar as the file or an override gave it.
#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Bool(b) => write!(f, "{b}"),
            Scalar::Int(n) => write!(f, "{n}"),
            Scalar::Float(x) => write!(f, "{x}"),
            Scalar::Text(text) => write!(f, "{text:?}"),
        }
    }
}

impl<'de, const U: usize, const MIN: u64, const MAX: u64, const D: u64> Deserialize<'de>
    for Number<U, MIN, MAX, D>
{
    fn deserialize<De: Deserializer<'de>>(de: De) -> Result<Self, De::Error> {
        let given = Scalar::deserialize(de)?;
        let value = match &given {
            Scalar::Int(n) => u64::try_from(*n).ok(),
            Scalar::Text(text) => text.trim().parse::<u64>().ok(),
            _ => None,
        };
        match value {
            Some(n) if (MIN..=MAX).contains(&n) => Ok(Number::Value(n)),
            _ => Err(De::Error::custom(format!(
                "is {}; it must be a whole number of {} from {MIN} to {MAX}",
                value.map_or(given.to_string(), |n| n.to_string()),
                UNITS[U]
            ))),
        }
    }
}

impl<'de, const D: bool> Deserialize<'de> for Switch<D> {
    fn deserialize<De: Deserializer<'de>>(de: De) -> Result<Self, De::Error> {
        match Scalar::deserialize(de)? {
            Scalar::Bool(b) => Ok(Switch::Value(b)),
            Scalar::Text(t) if matches!(t.trim(), "true" | "false") => {
                Ok(Switch::Value(t.trim() == "true"))
            }
            other => Err(De::Error::custom(format!(
                "is {other}; it must be true or false"
            ))),
        }
    }
}

impl<'de> Deserialize<'de> for Folder {
    fn deserialize<De: Deserializer<'de>>(de: De) -> Result<Self, De::Error> {
        let path = PathBuf::deserialize(de)?;
        if path.as_os_str().is_empty() {
            return Err(De::Error::custom(
                "is empty; give a folder (relative paths are relative to the current directory)",
            ));
        }
        Ok(Folder(path))
    }
}

/// A key's value once checked, or its default.
pub(super) trait Setting {
    type Value;
    fn value(&self) -> Self::Value;
}

impl<const U: usize, const MIN: u64, const MAX: u64, const D: u64> Setting
    for Option<Number<U, MIN, MAX, D>>
{
    type Value = u64;
    fn value(&self) -> u64 {
        // Extraction leaves only checked values; text is never read as a number unchecked.
        match self {
            Some(Number::Value(n)) => *n,
            _ => D,
        }
    }
}

impl<const D: bool> Setting for Option<Switch<D>> {
    type Value = bool;
    fn value(&self) -> bool {
        match self {
            Some(Switch::Value(b)) => *b,
            _ => D,
        }
    }
}
