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
const ENV: &str = "environment variable";
const FLAG: &str = "flag";

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

/// One layer of values, and what to call where they came from.
struct Layer {
    metadata: Metadata,
    dict: Dict,
}

impl Provider for Layer {
    fn metadata(&self) -> Metadata {
        self.metadata.clone()
    }
    fn data(&self) -> figment::Result<Map<Profile, Dict>> {
        Ok(Map::from([(Profile::Default, self.dict.clone())]))
    }
}

/// The merged sources: the scalar keys (file, environment, flags) and the file's tables.
pub(super) struct Sources {
    pub keys: Figment,
    pub tables: Figment,
    file: Option<PathBuf>,
}

impl Sources {
    pub fn new(file: Option<(&Path, Dict)>, overrides: &Overrides) -> Result<Self, ConfigError> {
        let (mut keys, mut tables) = (Dict::new(), Dict::new());
        let scalar_keys = known_keys::<Overrides>("");
        for (key, value) in file
            .as_ref()
            .map(|(_, dict)| dict.clone())
            .unwrap_or_default()
        {
            let part = if scalar_keys.contains(&key.as_str()) {
                &mut keys
            } else {
                &mut tables
            };
            part.insert(key, value);
        }
        let meta = |name: &'static str| match file {
            Some((path, _)) => Metadata::from(name, path),
            None => Metadata::named(name),
        };
        // clap merges a flag and its environment variable into one value; when the
        // variable holds exactly that value, it is named (it is set, and it is wrong
        // whether or not the flag repeats it), otherwise the flag is.
        let given = Serialized::defaults(overrides)
            .data()
            .map_err(|e| ConfigError::Invalid {
                origin: Origin::Default,
                key: "a flag or environment variable".into(),
                problem: e.to_string(),
            })?;
        let (mut flags, mut env) = (Dict::new(), Dict::new());
        split(
            given.into_values().next().unwrap_or_default(),
            &mut flags,
            &mut env,
        );
        let layer = |metadata, dict| Layer { metadata, dict };
        Ok(Sources {
            keys: Figment::from(layer(meta(FILE), keys))
                .merge(layer(Metadata::named(ENV), env))
                .merge(layer(Metadata::named(FLAG), flags)),
            tables: Figment::from(layer(meta(FILE), tables)),
            file: file.map(|(path, _)| path.to_owned()),
        })
    }

    /// Where the value of `key` (dotted, as in the file) came from.
    pub fn origin(&self, key: &str) -> Origin {
        origin(
            self.keys.find_metadata(key),
            key.rsplit('.').next().unwrap_or(key),
        )
    }

    pub fn file_origin(&self) -> Origin {
        self.file.clone().map_or(Origin::Default, Origin::File)
    }

    /// The error for `key` whose value is not acceptable.
    pub fn invalid(&self, key: &str, problem: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            origin: self.origin(key),
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
        let name = e.path.last().map_or("", String::as_str);
        let origin = origin(e.metadata.as_ref(), name);
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

fn origin(metadata: Option<&Metadata>, key: &str) -> Origin {
    let Some(metadata) = metadata else {
        return Origin::Default;
    };
    match (
        metadata.name.as_ref(),
        metadata.source.as_ref().and_then(|s| s.file_path()),
    ) {
        (FLAG, _) => Origin::Flag(format!("--{key}")),
        (ENV, _) => Origin::Env(env_variable(key).unwrap_or_default()),
        (_, Some(path)) => Origin::File(path.to_owned()),
        _ => Origin::Default,
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

/// Sorts the given overrides into those set by their variable and those set by a flag.
fn split(given: Dict, flags: &mut Dict, env: &mut Dict) {
    for (key, value) in given {
        match value {
            Value::Dict(_, inner) => {
                let (mut f, mut e) = (Dict::new(), Dict::new());
                split(inner, &mut f, &mut e);
                for (part, dict) in [(&mut *flags, f), (&mut *env, e)] {
                    if !dict.is_empty() {
                        part.insert(key.clone(), dict.into());
                    }
                }
            }
            Value::Empty(..) => {}
            value => {
                let variable = env_variable(&key).and_then(std::env::var_os);
                let by_env = variable
                    .is_some_and(|v| Some(v.as_os_str()) == value.as_str().map(AsRef::as_ref));
                if by_env { &mut *env } else { &mut *flags }.insert(key, value);
            }
        }
    }
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
