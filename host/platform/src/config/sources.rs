//! Where values come from: the file, `ONEWINDOW_*` variables and flags, merged by
//! figment (flag > environment > file), each value tagged with its origin so that
//! every error names the key and where the bad value came from.

use std::fmt;
use std::path::{Path, PathBuf};

use clap::Args as _;
use figment::error::Kind;
use figment::providers::Serialized;
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};
use serde::de::DeserializeOwned;

use super::ConfigError;
use super::checks::ordinal;
use super::keys::{DeliveryKeys, Overrides};
use super::load::Tables;

const FILE: &str = "file";
const GIVEN: &str = "flag or environment variable";

/// Where a configuration value came from; named in every error about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The configuration file at this path.
    File(PathBuf),
    /// A command-line flag such as `--listen`.
    Flag(String),
    /// An environment variable such as `ONEWINDOW_LISTEN`.
    Env(String),
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

/// One layer of values: the file's, or the flags' and variables' (as clap merged them).
struct Layer(&'static str, Dict);

impl Provider for Layer {
    fn metadata(&self) -> Metadata {
        Metadata::named(self.0)
    }
    fn data(&self) -> figment::Result<Map<Profile, Dict>> {
        Ok(Map::from([(Profile::Default, self.1.clone())]))
    }
}

/// The merged sources: the scalar keys (file < environment and flags) and the file's tables.
pub(super) struct Sources {
    pub keys: Figment,
    pub tables: Figment,
    file: Option<PathBuf>,
}

impl Sources {
    pub fn new(
        file: Option<&Path>,
        dict: Dict,
        overrides: &Overrides,
    ) -> Result<Self, ConfigError> {
        let scalars = known_keys::<Overrides>("");
        let (keys, tables) = dict
            .into_iter()
            .partition(|(k, _)| scalars.contains(&k.as_str()));
        let given = Serialized::defaults(overrides)
            .data()
            .map_err(|e| ConfigError::Invalid {
                origin: Origin::Default,
                key: "a flag or environment variable".into(),
                problem: e.to_string(),
            })?;
        let given = unset_removed(given.into_values().next().unwrap_or_default());
        Ok(Sources {
            keys: Figment::from(Layer(FILE, keys)).merge(Layer(GIVEN, given)),
            tables: Figment::from(Layer(FILE, tables)),
            file: file.map(Path::to_owned),
        })
    }

    /// Where the value at `path` came from.
    fn origin(&self, metadata: Option<&Metadata>, path: &[String]) -> Origin {
        let key = path.last().map_or("", String::as_str);
        match metadata.map(|m| m.name.as_ref()) {
            None => Origin::Default,
            Some(FILE) => self.file.clone().map_or(Origin::Default, Origin::File),
            Some(_) => {
                // clap merges a flag and its environment variable into one value; when the
                // variable holds exactly that value, it is named (it is set, and it is wrong
                // whether or not the flag repeats it), otherwise the flag is.
                let given = self.keys.find_value(&path.join(".")).ok();
                let given = given.as_ref().and_then(Value::as_str);
                match env_variable(key) {
                    Some(var) if std::env::var(&var).ok().as_deref() == given => Origin::Env(var),
                    _ => Origin::Flag(format!("--{key}")),
                }
            }
        }
    }

    pub fn file_origin(&self) -> Origin {
        self.file.clone().map_or(Origin::Default, Origin::File)
    }

    /// The error for `key` whose value is not acceptable.
    pub fn invalid(&self, key: &str, problem: impl Into<String>) -> ConfigError {
        let path: Vec<String> = key.split('.').map(str::to_owned).collect();
        ConfigError::Invalid {
            origin: self.origin(self.keys.find_metadata(key), &path),
            key: format!("`{key}`"),
            problem: problem.into(),
        }
    }

    /// `checked`, or the error naming `key` and its origin.
    pub fn check<T>(&self, key: &str, checked: Result<T, String>) -> Result<T, ConfigError> {
        checked.map_err(|problem| self.invalid(key, problem))
    }

    /// figment's error, with the key named as in the file and its origin.
    pub fn error(&self, e: figment::Error) -> ConfigError {
        let origin = self.origin(e.metadata.as_ref(), &e.path);
        let (mut path, problem) = match e.kind {
            // figment's path ends with the unknown key itself.
            Kind::UnknownField(key, known) => {
                let at = &e.path[..e.path.len().saturating_sub(1)];
                return self.unknown(key, at, known);
            }
            Kind::MissingField(field) => {
                ([e.path, vec![field.into()]].concat(), "is missing".into())
            }
            Kind::Message(message) => (e.path, message),
            kind => (e.path, format!("cannot be read: {kind}")),
        };
        let key = match path.as_mut_slice() {
            [section, i, field, ..] if section == "tokens" || section == "themes" => {
                let i: usize = i.parse().unwrap_or_default();
                format!("`{field}` of the {} [[{section}]] entry", ordinal(i + 1))
            }
            [hooks, id, field, ..] if hooks == "hooks" => format!("`{field}` of [hooks.{id}]"),
            path => format!("`{}`", path.join(".")),
        };
        ConfigError::Invalid {
            origin,
            key,
            problem,
        }
    }

    /// An unknown key, with the known key it probably meant.
    fn unknown(&self, key: String, at: &[String], known: &'static [&'static str]) -> ConfigError {
        let top: Vec<&str> = [known_keys::<Overrides>(""), known_keys::<Tables>("")].concat();
        let known = if at.is_empty() {
            top.clone()
        } else {
            known.to_vec()
        };
        let location = match at {
            [] => String::new(),
            [section, i] if section == "tokens" || section == "themes" => {
                let i: usize = i.parse().unwrap_or_default();
                format!(" in the {} [[{section}]] entry", ordinal(i + 1))
            }
            path => format!(" in [{}]", path.join(".")),
        };
        let hint = if let Some(near) = nearest(&key, &known) {
            format!(" (did you mean `{near}`?)")
        } else if at.is_empty() && known_keys::<DeliveryKeys>("").contains(&key.as_str()) {
            " (it belongs under [delivery])".to_owned()
        } else if !at.is_empty() && top.contains(&key.as_str()) {
            // The classic TOML trap: a key written after a [table] header belongs to that table.
            " (top-level keys must come before the first [table] or [[array]] header)".to_owned()
        } else {
            format!("; known keys here: {}", known.join(", "))
        };
        ConfigError::UnknownKey {
            path: self.file.clone().unwrap_or_default(),
            key,
            location,
            hint,
        }
    }
}

/// The environment variable of the flag `--{long}`, as declared in [`Overrides`].
fn env_variable(long: &str) -> Option<String> {
    let command = Overrides::augment_args(clap::Command::new("serve"));
    let arg = command
        .get_arguments()
        .find(|a| a.get_long() == Some(long))?;
    Some(arg.get_env()?.to_string_lossy().into_owned())
}

/// The overrides without the keys that were not given.
fn unset_removed(given: Dict) -> Dict {
    let set = |(key, value)| match value {
        Value::Empty(..) => None,
        Value::Dict(tag, dict) => Some((key, Value::Dict(tag, unset_removed(dict)))),
        value => Some((key, value)),
    };
    given.into_iter().filter_map(set).collect()
}

/// The keys `T` knows at `path`: figment's error for a key no struct has lists them.
pub(super) fn known_keys<T: DeserializeOwned>(path: &str) -> &'static [&'static str] {
    let probe = if path.is_empty() {
        "\u{1}".to_owned()
    } else {
        format!("{path}.\u{1}")
    };
    match Figment::from(Serialized::default(&probe, 0)).extract::<T>() {
        Err(e) => match e.kind {
            Kind::UnknownField(_, known) => known,
            _ => &[],
        },
        Ok(_) => &[],
    }
}

/// The known key closest to `key`, if it is close enough to be a typo.
fn nearest<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    let normal = key.to_lowercase().replace('_', "-");
    let len = normal.chars().count();
    known
        .iter()
        .map(|k| (strsim::levenshtein(&normal, k), *k))
        .filter(|(d, _)| *d <= 2 && *d < len)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}
