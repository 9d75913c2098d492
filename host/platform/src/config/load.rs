//! Building the [`Config`]: the merged sources extracted, checked, and the
//! defaults (some derived from the data directory) filled in.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use figment::providers::{Format, Toml};
use figment::value::Dict;
use figment::{Profile, Provider as _};
use serde::Deserialize;

use super::checks::{self, RawHook, RawTheme};
use super::keys::{Folder, Overrides, Setting as _};
use super::sources::Sources;
use super::tokens::{self, RawToken};
use super::{
    Config, ConfigError, DEFAULT_CALENDAR_DIR, DEFAULT_DATA_DIR, DEFAULT_LISTEN, Delivery,
    ServerLimits,
};

/// The file's tables, which only the file can set.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Tables {
    tokens: Option<Vec<RawToken>>,
    #[serde(default)]
    themes: Vec<RawTheme>,
    #[serde(default)]
    hooks: BTreeMap<String, RawHook>,
}

impl Config {
    /// Reads `file` (if given; a given file that does not exist is an error) and applies `overrides`.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Config, ConfigError> {
        match file {
            None => build(Sources::new(None, Dict::new(), overrides)?),
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
        let mut data = Toml::string(text).data().map_err(|e| ConfigError::Syntax {
            path: origin.to_owned(),
            message: e.kind.to_string().trim_end().to_owned(),
        })?;
        let dict = data.remove(&Profile::Default).unwrap_or_default();
        build(Sources::new(Some(origin), dict, overrides)?)
    }
}

fn build(s: Sources) -> Result<Config, ConfigError> {
    // The tables first: an unknown key anywhere is most likely the mistake to fix.
    let tables: Tables = s.tables.extract().map_err(|e| s.error(e))?;
    let o: Overrides = s.keys.extract().map_err(|e| s.error(e))?;

    let listen = match &o.listen {
        None => DEFAULT_LISTEN
            .parse()
            .expect("DEFAULT_LISTEN is an address"),
        Some(text) => s.check("listen", checks::parse_listen(text))?,
    };
    let path = |p: &Option<Folder>| p.as_ref().map(|f| f.0.clone());
    let data_dir = path(&o.data_dir).unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
    // The derived defaults follow the data directory, so `--data-dir` alone
    // moves the database, the adapters and the exchange folders together.
    let database_url = match o.database_url {
        None => format!(
            "sqlite://{}?mode=rwc",
            data_dir.join("onewindow.db").display()
        ),
        Some(url) => {
            s.check("database-url", checks::check_database_url(&url.0))?;
            url.0
        }
    };
    let public_url = match &o.public_url {
        None => None,
        Some(url) => Some(s.check("public-url", checks::check_public_url(url))?),
    };

    let delivery = Delivery::from(&o.delivery);
    let (initial, max) = (&o.delivery.initial_backoff_ms, &o.delivery.max_backoff_ms);
    if max.value() < initial.value() {
        // Blame the key that was actually set: a default is not the operator's mistake.
        let key = match max {
            Some(_) => "delivery.max-backoff-ms",
            None => "delivery.initial-backoff-ms",
        };
        return Err(s.invalid(
            key,
            format!(
                "makes the longest retry delay (`delivery.max-backoff-ms` = {}) shorter than the first (`delivery.initial-backoff-ms` = {}); the maximum must be at least the initial delay",
                max.value(),
                initial.value()
            ),
        ));
    }

    let demo = o.demo.value();
    let file_origin = s.file_origin();
    let tokens = match tables.tokens {
        // No file at all: nothing to complain about here; the API then admits nobody.
        None if file_origin == super::Origin::Default => Vec::new(),
        None => {
            return Err(ConfigError::Invalid {
                origin: file_origin,
                key: "`[[tokens]]`".into(),
                problem: "is missing; add at least one token (name, role and token or token-sha256), or nobody can use the API".into(),
            });
        }
        Some(raw) => tokens::tokens(raw, &file_origin, demo)?,
    };

    Ok(Config {
        listen,
        adapter_dir: path(&o.adapter_dir).unwrap_or_else(|| data_dir.join("adapters")),
        exchange_root: path(&o.exchange_root).unwrap_or_else(|| data_dir.join("exchange")),
        calendar_dir: path(&o.calendar_dir).unwrap_or_else(|| DEFAULT_CALENDAR_DIR.into()),
        // Bounded to 512 MiB, so it fits a usize on every target.
        max_body_bytes: o.max_body_bytes.value() as usize,
        trust_dir: path(&o.trust_dir).unwrap_or_else(|| data_dir.join("trusted-keys")),
        require_signatures: o.require_signatures.value(),
        audit_key: path(&o.audit_key).unwrap_or_else(|| data_dir.join("audit.key")),
        watch_dir: path(&o.watch_dir),
        delivery,
        tokens,
        themes: checks::themes(tables.themes, &file_origin)?,
        hooks: checks::hooks(tables.hooks, &file_origin)?,
        demo,
        public_url,
        server: ServerLimits::from(&o.server),
        data_dir,
        database_url,
    })
}
