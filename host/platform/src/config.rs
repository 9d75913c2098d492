//! The platform's configuration: `onewindow.toml`, whose scalar keys a flag of
//! `onewindow serve` or an `ONEWINDOW_*` variable overrides (flag > variable > file >
//! default). figment merges the sources, each value tagged with where it came from,
//! so that every error names the key and its source. Each scalar key is declared
//! once, in [`keys::Overrides`]; the file's tables are in [`tables`].

use std::collections::BTreeMap;
use std::fmt::Display;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args as _;
use figment::error::Kind;
use figment::providers::{Format, Toml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};

use crate::adapter::breaker::BreakerConfig;

pub mod keys;
mod tables;
#[cfg(test)]
mod tests;

pub use keys::{DatabaseUrl, DeliveryKeys, Overrides, ServerKeys};
use keys::{Get as _, redact_url};
pub use tables::{ApplicantSignIn, ExchangeLog, Hook, Role, Theme, Token};

/// The address `onewindow serve` listens on unless told otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The data directory unless told otherwise (relative to the current directory).
pub const DEFAULT_DATA_DIR: &str = "data";
/// Where the holiday calendar files are read from unless told otherwise.
pub const DEFAULT_CALENDAR_DIR: &str = "host/holidays";
/// The request body limit unless told otherwise: 20 MiB, room for scanned materials.
pub const DEFAULT_MAX_BODY_BYTES: usize = 20 * 1024 * 1024;

/// The platform's configuration, checked and with every default filled in.
#[derive(Clone, Debug)]
pub struct Config {
    /// Address and port the HTTP server listens on.
    pub listen: SocketAddr,
    /// Where the platform keeps its state.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; its `Debug` hides any password.
    pub database_url: DatabaseUrl,
    /// Folder whose subfolders are adapter packages.
    pub adapter_dir: PathBuf,
    /// Folder under which each adapter's granted exchange directory lives.
    pub exchange_root: PathBuf,
    /// Folder with the holiday calendar files (`YYYY.json`).
    pub calendar_dir: PathBuf,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Folder of the public keys (`*.pub`) trusted to sign adapter packages.
    pub trust_dir: PathBuf,
    /// Whether an adapter package must be signed by a trusted key to be installed.
    pub require_signatures: bool,
    /// The key sealing the audit log, made at the first start; the same file on every replica.
    pub audit_key: PathBuf,
    /// For development: a folder whose adapter packages are installed and activated as they appear.
    pub watch_dir: Option<PathBuf>,
    /// Working days a department has to reply to a complaint or enquiry (投诉、咨询).
    pub complaint_days: u32,
    /// How accepted cases are handed to adapters and their status synced back.
    pub delivery: Delivery,
    /// Who may call the API, and in which role.
    pub tokens: Vec<Token>,
    /// 一件事: named bundles of matters across departments.
    pub themes: Vec<Theme>,
    /// What pushes to `/hooks/{adapter}` must carry, by adapter id; without an entry, none is accepted.
    pub hooks: BTreeMap<String, Hook>,
    /// The demo: its tokens are printed at start-up and may be weaker than 128 bits.
    pub demo: bool,
    /// Where users reach the platform; an `https` address makes the session cookies `Secure`.
    pub public_url: Option<String>,
    /// What bounds the HTTP server.
    pub server: ServerLimits,
    /// What the exchange log keeps of each adapter's calls (`[exchange-log]`).
    pub exchange_log: ExchangeLog,
    /// How applicants sign in (`[applicant-sign-in]`); without it, only the
    /// public catalogue is open to them.
    pub applicant_sign_in: Option<ApplicantSignIn>,
}

/// What bounds the HTTP server, so slow or numerous clients get a quick refusal.
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
            header_timeout: Duration::from_millis(keys.header_timeout_ms.value().0),
            request_timeout: Duration::from_secs(keys.request_timeout_secs.value().0),
            // Both bounded to a million, so they fit a usize.
            max_connections: keys.max_connections.value().0 as usize,
            max_requests: keys.max_requests.value().0 as usize,
        }
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
    /// How long a replica's claim on an outbox row holds; a dead replica's claims lapse.
    pub claim_lease: Duration,
    /// How often the matter catalogue is synced from the adapters.
    pub catalogue_sync_interval: Duration,
    /// When an adapter's circuit breaker opens (consecutive failures) and for how long.
    pub breaker: BreakerConfig,
}

impl From<&DeliveryKeys> for Delivery {
    fn from(keys: &DeliveryKeys) -> Self {
        let (ms, secs) = (Duration::from_millis, Duration::from_secs);
        Self {
            retry_horizon: secs(keys.retry_horizon_secs.value().0),
            initial_backoff: ms(keys.initial_backoff_ms.value().0),
            max_backoff: ms(keys.max_backoff_ms.value().0),
            poll_interval: ms(keys.poll_interval_ms.value().0),
            claim_lease: secs(keys.claim_lease_secs.value().0),
            catalogue_sync_interval: secs(keys.catalogue_sync_secs.value().0),
            breaker: BreakerConfig {
                failures: keys.breaker_failures.value().0 as u32, // bounded to 1000
                cool_down: ms(keys.breaker_cool_down_ms.value().0),
            },
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
    /// A key is unknown, missing or not acceptable; `origin` is where it came from: the
    /// file's path, a flag (`--listen`) or an environment variable (`ONEWINDOW_LISTEN`).
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
}

fn invalid(origin: impl Display, message: impl Into<String>) -> ConfigError {
    let (origin, message) = (origin.to_string(), message.into());
    ConfigError::Invalid { origin, message }
}

impl Config {
    /// Reads `file` (if given; a given file that does not exist is an error) and applies `overrides`.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Config, ConfigError> {
        let Some(path) = file else {
            return build(None, overrides);
        };
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Config::from_toml(&text, path, overrides)
    }

    /// Parses the text of a configuration file and applies `overrides`; `origin` is only named in errors.
    pub fn from_toml(
        text: &str,
        origin: &Path,
        overrides: &Overrides,
    ) -> Result<Config, ConfigError> {
        let name = origin.display().to_string();
        let mut data = Toml::string(text)
            .data()
            .map_err(|e| invalid(&name, e.kind.to_string().trim_end()))?;
        let dict = data.remove(&Profile::Default).unwrap_or_default();
        build(Some(Layer(name, dict)), overrides)
    }

    /// The token `presented` in an `Authorization: Bearer` header, if it is one of ours.
    pub fn token(&self, presented: &str) -> Option<&Token> {
        let digest = tables::sha256(presented);
        // Every token is compared, in constant time, so the time taken tells nothing.
        let same =
            |t: &&Token| bool::from(subtle::ConstantTimeEq::ct_eq(&digest[..], &t.digest[..]));
        let found: Vec<&Token> = self.tokens.iter().filter(same).collect();
        found.first().copied().filter(|_| !presented.is_empty())
    }

    /// The database URL with any password replaced by `***`, for logs and banners.
    pub fn redacted_database_url(&self) -> String {
        redact_url(&self.database_url)
    }
}

/// Values from one origin, the name figment gives their errors: the file, a flag or a variable.
struct Layer(String, Dict);

impl Provider for Layer {
    fn metadata(&self) -> Metadata {
        Metadata::named(self.0.clone())
    }
    fn data(&self) -> figment::Result<Map<Profile, Dict>> {
        Ok(Map::from([(Profile::Default, self.1.clone())]))
    }
}

/// The scalar keys of `overrides` (`listen`, `delivery.poll-interval-ms`, …) and their values.
fn leaves(overrides: &Overrides) -> Result<Vec<(String, Value)>, ConfigError> {
    fn walk(path: String, value: Value, out: &mut Vec<(String, Value)>) {
        match value {
            Value::Dict(_, dict) => {
                for (key, value) in dict {
                    walk(
                        format!("{path}.{key}").trim_start_matches('.').into(),
                        value,
                        out,
                    );
                }
            }
            value => out.push((path, value)),
        }
    }
    let value = Value::serialize(overrides);
    let value = value.map_err(|e| invalid("a flag or environment variable", e.to_string()))?;
    let mut out = Vec::new();
    walk(String::new(), value, &mut out);
    Ok(out)
}

fn build(file: Option<Layer>, overrides: &Overrides) -> Result<Config, ConfigError> {
    let keys: Vec<String> = leaves(&Overrides::default())?
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    let has_file = file.is_some();
    let name = file
        .as_ref()
        .map_or("the default configuration".into(), |f| f.0.clone());
    let error = |e| figment_error(e, &name, &keys);
    let (mut scalars, mut tables) = (Figment::new(), Figment::new());
    if let Some(Layer(name, dict)) = file {
        let scalar = |k: &String| keys.iter().any(|p| p.split('.').next() == Some(k));
        let (dict, rest): (Dict, Dict) = dict.into_iter().partition(|(k, _)| scalar(k));
        (scalars, tables) = (
            Figment::from(Layer(name.clone(), dict)),
            Figment::from(Layer(name, rest)),
        );
    }
    // Each key given, as a layer named after its flag, or after its variable when that
    // holds the value (clap merges the two, the flag winning).
    let command = Overrides::augment_args(clap::Command::new("serve"));
    for (path, value) in leaves(overrides)? {
        if matches!(value, Value::Empty(..)) {
            continue;
        }
        let long = path.rsplit('.').next().unwrap_or_default();
        let arg = command.get_arguments().find(|a| a.get_long() == Some(long));
        let var = arg
            .and_then(|a| a.get_env())
            .map(|v| v.to_string_lossy().into_owned());
        let origin = match var {
            Some(var) if std::env::var(&var).ok().as_deref() == value.as_str() => var,
            _ => format!("--{long}"),
        };
        let dict = figment::util::nest(&path, value)
            .into_dict()
            .unwrap_or_default();
        scalars = scalars.merge(Layer(origin, dict));
    }
    // The tables first: an unknown key anywhere is most likely the mistake to fix.
    let t: tables::Tables = tables.extract().map_err(error)?;
    let o: Overrides = scalars.extract().map_err(error)?;

    let (initial, max) = (&o.delivery.initial_backoff_ms, &o.delivery.max_backoff_ms);
    if max.value().0 < initial.value().0 {
        // Blame the key that was set: a default is not the operator's mistake.
        let key =
            ["delivery.initial-backoff-ms", "delivery.max-backoff-ms"][max.is_some() as usize];
        let origin = scalars
            .find_metadata(key)
            .map_or(name.clone(), |m| m.name.to_string());
        let (max, initial) = (max.value().0, initial.value().0);
        return Err(invalid(
            origin,
            format!(
                "`{key}` makes the longest retry delay (`delivery.max-backoff-ms` = {max}) shorter than the first (`delivery.initial-backoff-ms` = {initial}); the maximum must be at least the initial delay"
            ),
        ));
    }
    for id in t.hooks.keys() {
        crate::manifest::check_id(id).map_err(|p| invalid(&name, format!("[hooks.{id}] {p}")))?;
    }
    let demo = o.demo.value().0;
    if t.tokens.is_empty() && has_file {
        return Err(invalid(
            &name,
            "`[[tokens]]` is missing; add at least one, or nobody can use the API",
        ));
    }
    let data_dir = o.data_dir.get().unwrap_or_else(|| DEFAULT_DATA_DIR.into());
    // The derived defaults follow the data directory, so `--data-dir` alone moves
    // the database, the adapters and the exchange folders together.
    let under = |key: &Option<keys::Key<PathBuf>>, default| {
        key.get().unwrap_or_else(|| data_dir.join(default))
    };
    let sqlite = || {
        DatabaseUrl(format!(
            "sqlite://{}?mode=rwc",
            data_dir.join("onewindow.db").display()
        ))
    };
    Ok(Config {
        listen: o
            .listen
            .get()
            .unwrap_or_else(|| DEFAULT_LISTEN.parse().expect("an address")),
        database_url: o.database_url.get().unwrap_or_else(sqlite),
        adapter_dir: under(&o.adapter_dir, "adapters"),
        exchange_root: under(&o.exchange_root, "exchange"),
        calendar_dir: o
            .calendar_dir
            .get()
            .unwrap_or_else(|| DEFAULT_CALENDAR_DIR.into()),
        max_body_bytes: o.max_body_bytes.value().0 as usize, // at most 512 MiB
        trust_dir: under(&o.trust_dir, "trusted-keys"),
        require_signatures: o.require_signatures.value().0,
        audit_key: under(&o.audit_key, "audit.key"),
        watch_dir: o.watch_dir.get(),
        complaint_days: o.complaint_days.value().0 as u32, // at most 60
        delivery: Delivery::from(&o.delivery),
        tokens: tables::tokens(t.tokens, demo).map_err(|m| invalid(&name, m))?,
        themes: tables::themes(t.themes).map_err(|m| invalid(&name, m))?,
        hooks: t.hooks,
        exchange_log: tables::exchange_log(t.exchange_log).map_err(|m| invalid(&name, m))?,
        applicant_sign_in: tables::applicant_sign_in(
            t.applicant_sign_in,
            o.public_url.get().map(|url| url.0).as_deref(),
        )
        .map_err(|m| invalid(&name, m))?,
        demo,
        public_url: o.public_url.get().map(|url| url.0),
        server: ServerLimits::from(&o.server),
        data_dir,
    })
}

/// figment's error as ours: the key named as in the file, and where its value came from.
fn figment_error(e: figment::Error, file: &str, keys: &[String]) -> ConfigError {
    let origin = e
        .metadata
        .as_ref()
        .map_or(file.to_owned(), |m| m.name.to_string());
    let mut path = e.path;
    let problem = match e.kind {
        Kind::UnknownField(key, known) => {
            path.pop(); // figment's path ends with the unknown key
            return unknown(file, &key, &path, known, keys);
        }
        Kind::MissingField(field) => {
            path.push(field.into());
            "is missing".into()
        }
        Kind::UnknownVariant(found, known) => {
            format!("is {found:?}; it must be one of {}", known.join(", "))
        }
        Kind::Message(message) => message,
        kind => format!("cannot be read: {kind}"),
    };
    let key = match path.as_slice() {
        [table, i, field, ..] if table == "tokens" || table == "themes" => {
            tables::entry(table, i.parse().unwrap_or_default(), field, "")
        }
        [hooks, id, field, ..] if hooks == "hooks" => format!("`{field}` of [hooks.{id}]"),
        path => format!("`{}`", path.join(".")),
    };
    invalid(origin, format!("{key} {problem}"))
}

/// An unknown key (in the file: nothing else can have one), with what it probably meant.
fn unknown(file: &str, key: &str, at: &[String], known: &[&str], keys: &[String]) -> ConfigError {
    let mut known = known.to_vec();
    if at.is_empty() {
        // The tables' keys and the scalars' (figment names only the tables').
        let top = keys.iter().filter_map(|k| k.split('.').next());
        known = [known, top.collect()].concat();
        known.dedup();
    }
    let normal = key.to_lowercase().replace('_', "-");
    let near = known
        .iter()
        .map(|k| (strsim::levenshtein(&normal, k), k))
        .filter(|(d, _)| *d <= 2 && *d < normal.chars().count())
        .min_by_key(|(d, _)| *d);
    let home = keys.iter().find(|k| k.rsplit('.').next() == Some(key));
    let hint = match (near, home.map(|k| k.split_once('.'))) {
        (Some((_, near)), _) => format!(" (did you mean `{near}`?)"),
        (None, Some(Some((table, _)))) => format!(" (it belongs under [{table}])"),
        // The classic TOML trap: a key written after a [table] header belongs to that table.
        (None, Some(None)) => {
            " (top-level keys must come before the first [table] or [[array]] header)".into()
        }
        (None, None) => format!("; known keys here: {}", known.join(", ")),
    };
    let location = match at {
        [] => String::new(),
        [table, i] if table == "tokens" || table == "themes" => {
            format!(
                " in the {} [[{table}]] entry",
                tables::ordinal(i.parse().unwrap_or_default())
            )
        }
        path => format!(" in [{}]", path.join(".")),
    };
    invalid(file, format!("unknown key `{key}`{location}{hint}"))
}
