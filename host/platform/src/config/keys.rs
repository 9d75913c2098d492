//! The scalar keys, each declared once: its name in the file (serde, kebab-case), its
//! flag and environment variable (clap), and its type, which holds its range and default.

use std::fmt;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::path::PathBuf;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};

use super::DEFAULT_LISTEN;

const MIB: u64 = 1024 * 1024;
// The upper bounds keep `Instant + duration` far from overflow and catch unit mistakes.
const DAY_SECS: u64 = 24 * 60 * 60;
const HOUR_MS: u64 = 60 * 60 * 1000;

/// The flags and environment variables of `onewindow serve` that override the file.
/// Values are checked once merged with the file's, so an error names the key and
/// where its value came from.
#[derive(Clone, Debug, Default, clap::Args, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Overrides {
    /// Address and port to listen on, e.g. 0.0.0.0:8080 (file: listen; default 127.0.0.1:8080).
    #[arg(long, env = "ONEWINDOW_LISTEN", value_name = "ADDR")]
    pub listen: Option<Key<SocketAddr>>,
    /// Where the platform keeps its state (file: data-dir; default data).
    #[arg(long, env = "ONEWINDOW_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<Key<PathBuf>>,
    /// sqlite://… or postgres://… (file: database-url; default sqlite://<data-dir>/onewindow.db?mode=rwc).
    // hide_env_values: --help must not print a password taken from the environment.
    #[arg(
        long,
        env = "ONEWINDOW_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<Key<DatabaseUrl>>,
    /// Folder whose subfolders are adapter packages (file: adapter-dir; default <data-dir>/adapters).
    #[arg(long, env = "ONEWINDOW_ADAPTER_DIR", value_name = "DIR")]
    pub adapter_dir: Option<Key<PathBuf>>,
    /// Root of the adapters' exchange directories (file: exchange-root; default <data-dir>/exchange).
    #[arg(long, env = "ONEWINDOW_EXCHANGE_ROOT", value_name = "DIR")]
    pub exchange_root: Option<Key<PathBuf>>,
    /// Folder with the holiday calendar files (file: calendar-dir; default host/holidays).
    #[arg(long, env = "ONEWINDOW_CALENDAR_DIR", value_name = "DIR")]
    pub calendar_dir: Option<Key<PathBuf>>,
    /// Request body limit in bytes, 1024 to 536870912 (file: max-body-bytes; default 20971520).
    #[arg(long, env = "ONEWINDOW_MAX_BODY_BYTES", value_name = "BYTES")]
    pub max_body_bytes: Option<Key<Number<1024, { 512 * MIB }, { 20 * MIB }>>>,
    /// Folder of trusted public keys for adapter packages (file: trust-dir; default <data-dir>/trusted-keys).
    #[arg(long, env = "ONEWINDOW_TRUST_DIR", value_name = "DIR")]
    pub trust_dir: Option<Key<PathBuf>>,
    /// true or false: whether adapter packages must be signed by a trusted key (file: require-signatures; default true).
    #[arg(long, env = "ONEWINDOW_REQUIRE_SIGNATURES", value_name = "BOOL")]
    pub require_signatures: Option<Key<Switch<true>>>,
    /// The audit log's sealing key file, made at the first start (file: audit-key; default <data-dir>/audit.key).
    #[arg(long, env = "ONEWINDOW_AUDIT_KEY", value_name = "FILE")]
    pub audit_key: Option<Key<PathBuf>>,
    /// For development: install and activate the packages dropped into this folder (file: watch-dir; default none).
    #[arg(long, env = "ONEWINDOW_WATCH_DIR", value_name = "DIR")]
    pub watch_dir: Option<Key<PathBuf>>,
    /// true or false: the demo configuration, whose tokens are printed and may be weak (file: demo; default false).
    #[arg(long, env = "ONEWINDOW_DEMO", value_name = "BOOL")]
    pub demo: Option<Key<Switch<false>>>,
    /// Where users reach the platform, e.g. https://onewindow.example.gov.cn; https makes cookies Secure (file: public-url; default none).
    #[arg(long, env = "ONEWINDOW_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<Key<PublicUrl>>,
    /// Working days a department has to reply to a complaint or enquiry, 1 to 60 (file: complaint-days; default 5).
    #[arg(long, env = "ONEWINDOW_COMPLAINT_DAYS", value_name = "DAYS")]
    pub complaint_days: Option<Key<Number<1, 60, 5>>>,
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
    pub retry_horizon_secs: Option<Key<Number<1, { 365 * DAY_SECS }, DAY_SECS>>>,
    /// Delay before the first delivery retry (file: delivery.initial-backoff-ms; default 500).
    #[arg(long, env = "ONEWINDOW_INITIAL_BACKOFF_MS", value_name = "MS")]
    pub initial_backoff_ms: Option<Key<Number<1, HOUR_MS, 500>>>,
    /// Longest delay between delivery retries (file: delivery.max-backoff-ms; default 60000).
    #[arg(long, env = "ONEWINDOW_MAX_BACKOFF_MS", value_name = "MS")]
    pub max_backoff_ms: Option<Key<Number<1, { 24 * HOUR_MS }, 60_000>>>,
    /// How often each adapter's cases.events is polled (file: delivery.poll-interval-ms; default 2000).
    #[arg(long, env = "ONEWINDOW_POLL_INTERVAL_MS", value_name = "MS")]
    pub poll_interval_ms: Option<Key<Number<1, HOUR_MS, 2000>>>,
    /// How long a claimed delivery is left to the replica that claimed it; longer than the slowest delivery (file: delivery.claim-lease-secs; default 300).
    #[arg(long, env = "ONEWINDOW_CLAIM_LEASE_SECS", value_name = "SECS")]
    pub claim_lease_secs: Option<Key<Number<1, DAY_SECS, 300>>>,
    /// How often the matter catalogue is synced (file: delivery.catalogue-sync-secs; default 300).
    #[arg(long, env = "ONEWINDOW_CATALOGUE_SYNC_SECS", value_name = "SECS")]
    pub catalogue_sync_secs: Option<Key<Number<1, { 7 * DAY_SECS }, 300>>>,
    /// Consecutive failures that open an adapter's circuit breaker (file: delivery.breaker-failures; default 5).
    #[arg(long, env = "ONEWINDOW_BREAKER_FAILURES", value_name = "N")]
    pub breaker_failures: Option<Key<Number<1, 1000, 5>>>,
    /// How long an open circuit breaker refuses calls (file: delivery.breaker-cool-down-ms; default 30000).
    #[arg(long, env = "ONEWINDOW_BREAKER_COOL_DOWN_MS", value_name = "MS")]
    pub breaker_cool_down_ms: Option<Key<Number<1, HOUR_MS, 30_000>>>,
}

/// The keys of `[server]`.
#[derive(Clone, Debug, Default, clap::Args, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ServerKeys {
    /// How long a client may take to send a request's head (file: server.header-timeout-ms; default 10000).
    #[arg(long, env = "ONEWINDOW_HEADER_TIMEOUT_MS", value_name = "MS")]
    pub header_timeout_ms: Option<Key<Number<100, { 10 * 60 * 1000 }, 10_000>>>,
    /// How long one request may take, its body included (file: server.request-timeout-secs; default 300).
    #[arg(long, env = "ONEWINDOW_REQUEST_TIMEOUT_SECS", value_name = "SECS")]
    pub request_timeout_secs: Option<Key<Number<1, { 60 * 60 }, 300>>>,
    /// Connections held open at once (file: server.max-connections; default 4096).
    #[arg(long, env = "ONEWINDOW_MAX_CONNECTIONS", value_name = "N")]
    pub max_connections: Option<Key<Number<16, 1_000_000, 4096>>>,
    /// Requests in progress at once; more get 503 (file: server.max-requests; default 1024).
    #[arg(long, env = "ONEWINDOW_MAX_REQUESTS", value_name = "N")]
    pub max_requests: Option<Key<Number<1, 1_000_000, 1024>>>,
}

/// A key's value as the text a flag, variable or the file gave; checked as a `T` when
/// the sources are merged, and read as one once checked.
#[derive(Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Key<T>(pub String, #[serde(skip)] PhantomData<T>);

impl<T> From<String> for Key<T> {
    fn from(text: String) -> Self {
        Key(text, PhantomData)
    }
}

impl<T> fmt::Debug for Key<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&redact_url(&self.0), f) // the database URL may hold a password
    }
}

/// Every key's message: "`key` is <the value, as in TOML>; <what [`Check`] expects>".
impl<'de, T: Check> Deserialize<'de> for Key<T> {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let value = toml::Value::deserialize(de)?;
        let text = value
            .as_str()
            .map_or_else(|| value.to_string(), str::to_owned);
        let shown = redact_url(&value.to_string()); // never echo a password
        T::check(&text).map_err(|expected| D::Error::custom(format!("is {shown}; {expected}")))?;
        Ok(Key::from(text))
    }
}

/// How a key's type reads its text, or says what it expects.
pub trait Check: Sized {
    fn check(text: &str) -> Result<Self, String>;
}

/// A key's checked value if it was given, or its default.
pub trait Get<T> {
    fn get(&self) -> Option<T>;
    fn value(&self) -> T
    where
        T: Default,
    {
        self.get().unwrap_or_default()
    }
}

impl<T: Check> Get<T> for Option<Key<T>> {
    fn get(&self) -> Option<T> {
        T::check(&self.as_ref()?.0).ok()
    }
}

/// A whole number from `MIN` to `MAX`, `DEFAULT` when not given.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Number<const MIN: u64, const MAX: u64, const DEFAULT: u64>(pub u64);

impl<const MIN: u64, const MAX: u64, const D: u64> Default for Number<MIN, MAX, D> {
    fn default() -> Self {
        Number(D)
    }
}

impl<const MIN: u64, const MAX: u64, const D: u64> Check for Number<MIN, MAX, D> {
    fn check(text: &str) -> Result<Self, String> {
        match text.trim().parse() {
            Ok(n) if (MIN..=MAX).contains(&n) => Ok(Number(n)),
            _ => Err(format!("it must be a whole number from {MIN} to {MAX}")),
        }
    }
}

/// `true` or `false`, `DEFAULT` when not given.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Switch<const DEFAULT: bool>(pub bool);

impl<const D: bool> Default for Switch<D> {
    fn default() -> Self {
        Switch(D)
    }
}

impl<const D: bool> Check for Switch<D> {
    fn check(text: &str) -> Result<Self, String> {
        match text.trim() {
            "true" => Ok(Switch(true)),
            "false" => Ok(Switch(false)),
            _ => Err("it must be true or false".into()),
        }
    }
}

impl Check for PathBuf {
    fn check(text: &str) -> Result<Self, String> {
        match text {
            "" => Err("it must name a folder or file (relative to the current directory)".into()),
            path => Ok(path.into()),
        }
    }
}

impl Check for SocketAddr {
    fn check(text: &str) -> Result<Self, String> {
        text.trim().parse().map_err(|_| {
            let hint = text.trim().parse::<u16>().map_or(String::new(), |port| {
                format!(" (for port {port} on this machine only: 127.0.0.1:{port})")
            });
            format!("it must be an address such as {DEFAULT_LISTEN} or 0.0.0.0:8080 (an IP address and a port; host names are not resolved){hint}")
        })
    }
}

/// The database URL, `sqlite://…` or `postgres://…`; its `Debug` hides the password.
#[derive(Clone, PartialEq)]
pub struct DatabaseUrl(pub String);

impl std::ops::Deref for DatabaseUrl {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&redact_url(&self.0), f)
    }
}

impl Check for DatabaseUrl {
    fn check(url: &str) -> Result<Self, String> {
        let postgres = url.starts_with("postgres://") || url.starts_with("postgresql://");
        match url.strip_prefix("sqlite://").map(|rest| rest.split('?').next()) {
            Some(Some("")) => Err("it names no database file; write e.g. sqlite://data/onewindow.db?mode=rwc".into()),
            Some(_) => Ok(DatabaseUrl(url.into())),
            None if postgres => Ok(DatabaseUrl(url.into())),
            None => Err("it must start with sqlite:// (embedded, e.g. sqlite://data/onewindow.db?mode=rwc) or postgres:// (or postgresql://)".into()),
        }
    }
}

/// Where users reach the platform: `http://` or `https://` and a host, with no path,
/// query or credentials; kept without a trailing `/`.
#[derive(Clone, Debug, PartialEq)]
pub struct PublicUrl(pub String);

impl Check for PublicUrl {
    fn check(text: &str) -> Result<Self, String> {
        let url = text.trim().trim_end_matches('/');
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"));
        match rest {
            None => Err("give the address users open, starting with https:// (or http://), e.g. https://onewindow.example.gov.cn".into()),
            Some(r) if r.is_empty() || r.contains(['/', '?', '#', '@']) || r.contains(char::is_whitespace) => Err("give only the scheme, host and port, e.g. https://onewindow.example.gov.cn".into()),
            Some(_) => Ok(PublicUrl(url.into())),
        }
    }
}

/// `scheme://user:***@host/…?password=***`: the URL without its secrets.
pub fn redact_url(url: &str) -> String {
    let (head, query) = url
        .split_once('?')
        .map_or((url, None), |(h, q)| (h, Some(q)));
    let mut out = head.to_owned();
    if let Some((scheme, rest)) = head.split_once("://") {
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let user = authority
            .rsplit_once('@')
            .and_then(|(info, host)| Some((info.split_once(':')?.0, host)));
        if let Some((user, host)) = user {
            out = format!("{scheme}://{user}:***@{host}{path}");
        }
    }
    for (i, pair) in query.into_iter().flat_map(|q| q.split('&')).enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        match pair.split_once('=') {
            Some((name, _)) if name.eq_ignore_ascii_case("password") => {
                out += &format!("{name}=***")
            }
            _ => out += pair,
        }
    }
    out
}
