//! Adapter packages: `adapter.toml`, parsed strictly, and the component it names.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The contract versions this host serves, oldest first; the last is current
/// (`wit/adapter.wit`), the others are frozen (`wit/since_v*/`).
pub const SERVED_API_VERSIONS: &[&str] = &["0.1.0", CURRENT_API_VERSION];

/// The contract version new adapters are built on.
pub const CURRENT_API_VERSION: &str = "0.2.0";

/// The contract package every adapter targets.
pub const API_PACKAGE: &str = "onewindow:adapter";

/// The file name of a package's manifest.
pub const MANIFEST_FILE: &str = "adapter.toml";

/// The largest per-adapter limits the platform allows.
pub mod maxima {
    /// Memory cap per call, MiB.
    pub const MEMORY_MIB: u32 = 1024;
    /// Call timeout, ms.
    pub const CALL_TIMEOUT_MS: u64 = 120_000;
    /// Calls in flight per adapter.
    pub const MAX_CONCURRENCY: u32 = 1024;
    /// What one call may log (stdout, stderr and `host.log` together), KiB.
    pub const LOG_KIB: u32 = 1024;
    /// Outbound HTTP requests of one call.
    pub const OUTBOUND_REQUESTS: u32 = 1000;
    /// Response bodies one call may read, MiB.
    pub const RESPONSE_MIB: u32 = 256;
    /// What an exchange folder may hold, MiB.
    pub const EXCHANGE_MIB: u32 = 16 * 1024;
    /// Files (folders and links included) an exchange folder may hold.
    pub const EXCHANGE_FILES: u32 = 100_000;
}

/// What is wrong with a package.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("{path}: `{key}` {problem}")]
    Invalid {
        path: PathBuf,
        key: &'static str,
        problem: String,
    },
    #[error(
        "{path}: the component {component} has sha256 {actual}, but the manifest says {expected}; rebuild the package or fix `sha256`"
    )]
    Sha256Mismatch {
        path: PathBuf,
        component: PathBuf,
        expected: String,
        actual: String,
    },
}

/// `adapter.toml`: who the adapter is, what it may reach, and its limits.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Manifest {
    /// Unique adapter id, `[a-z0-9-]`.
    pub id: String,
    /// Semantic version of this build of the adapter.
    pub version: semver::Version,
    /// The department whose legacy system the adapter translates.
    pub department: String,
    /// The contract it targets, `onewindow:adapter@0.1.0`.
    pub api: String,
    /// The component file, relative to the package directory.
    #[serde(default = "default_component")]
    pub component: PathBuf,
    /// sha256 of the component, lower-case hex; checked when present.
    #[serde(default)]
    pub sha256: Option<String>,
    /// What the adapter may reach.
    #[serde(default)]
    pub grants: Grants,
    /// Its resource limits.
    #[serde(default)]
    pub limits: Limits,
    /// Values the adapter reads through `host.config`.
    #[serde(default)]
    pub config: BTreeMap<String, String>,
}

fn default_component() -> PathBuf {
    PathBuf::from("adapter.wasm")
}

/// Capabilities granted to an adapter; empty means none.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Grants {
    /// `scheme://host:port[/path]` prefixes the adapter may send HTTP requests to.
    #[serde(default)]
    pub outbound: Vec<String>,
    /// A subfolder of the platform's exchange root, preopened as `/exchange`.
    #[serde(default)]
    pub exchange_dir: Option<String>,
}

/// Per-call limits.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Limits {
    /// Linear memory cap of one call, MiB.
    #[serde(default = "default_memory_mib")]
    pub memory_mib: u32,
    /// Wall-clock limit of one call, ms.
    #[serde(default = "default_call_timeout_ms")]
    pub call_timeout_ms: u64,
    /// Calls in flight at once; further calls wait.
    #[serde(default = "default_max_concurrency")]
    pub max_concurrency: u32,
    /// What one call may log, KiB; the rest is dropped and counted.
    #[serde(default = "default_log_kib")]
    pub log_kib: u32,
    /// Outbound HTTP requests one call may make; past it the call stops.
    #[serde(default = "default_outbound_requests")]
    pub outbound_requests: u32,
    /// Response bodies one call may read together, MiB; past it the call stops.
    #[serde(default = "default_response_mib")]
    pub response_mib: u32,
    /// What the exchange folder may hold, MiB; a call that grows it past that stops.
    #[serde(default = "default_exchange_mib")]
    pub exchange_mib: u32,
    /// Files (folders and links included) the exchange folder may hold.
    #[serde(default = "default_exchange_files")]
    pub exchange_files: u32,
}

fn default_memory_mib() -> u32 {
    64
}
fn default_call_timeout_ms() -> u64 {
    2000
}
fn default_max_concurrency() -> u32 {
    32
}
fn default_log_kib() -> u32 {
    64
}
fn default_outbound_requests() -> u32 {
    100
}
fn default_response_mib() -> u32 {
    16
}
fn default_exchange_mib() -> u32 {
    256
}
fn default_exchange_files() -> u32 {
    1000
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            memory_mib: default_memory_mib(),
            call_timeout_ms: default_call_timeout_ms(),
            max_concurrency: default_max_concurrency(),
            log_kib: default_log_kib(),
            outbound_requests: default_outbound_requests(),
            response_mib: default_response_mib(),
            exchange_mib: default_exchange_mib(),
            exchange_files: default_exchange_files(),
        }
    }
}

impl Manifest {
    /// Parses and checks a manifest; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ManifestError> {
        let manifest: Manifest = toml::from_str(text).map_err(|e| ManifestError::Syntax {
            path: path.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        })?;
        manifest.check(path)?;
        Ok(manifest)
    }

    /// The contract version the manifest claims, e.g. `0.1.0`.
    pub fn api_version(&self) -> &str {
        self.api
            .strip_prefix(API_PACKAGE)
            .and_then(|v| v.strip_prefix('@'))
            .unwrap_or_default()
    }

    fn check(&self, path: &Path) -> Result<(), ManifestError> {
        let invalid = |key: &'static str, problem: String| ManifestError::Invalid {
            path: path.to_owned(),
            key,
            problem,
        };
        check_id(&self.id).map_err(|p| invalid("id", p))?;
        if self.department.trim().is_empty() {
            return Err(invalid("department", "must name the department".into()));
        }
        let version = self.api_version();
        if version.is_empty() {
            return Err(invalid(
                "api",
                format!(
                    "is {:?}; it must be `{API_PACKAGE}@<version>`, e.g. `{API_PACKAGE}@{}`",
                    self.api, CURRENT_API_VERSION
                ),
            ));
        }
        if !SERVED_API_VERSIONS.contains(&version) {
            return Err(invalid(
                "api",
                format!(
                    "targets contract version {version}, but this host serves {}",
                    SERVED_API_VERSIONS.join(", ")
                ),
            ));
        }
        if let Some(sha) = &self.sha256
            && (sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return Err(invalid(
                "sha256",
                format!("is {sha:?}; it must be 64 hex digits"),
            ));
        }
        if self.component.as_os_str().is_empty() {
            return Err(invalid("component", "must name the component file".into()));
        }
        for prefix in &self.grants.outbound {
            OutboundPrefix::parse(prefix).map_err(|p| invalid("grants.outbound", p))?;
        }
        if let Some(dir) = &self.grants.exchange_dir {
            check_exchange_dir(dir).map_err(|p| invalid("grants.exchange-dir", p))?;
        }
        let limits = &self.limits;
        if !(1..=maxima::MEMORY_MIB).contains(&limits.memory_mib) {
            return Err(invalid(
                "limits.memory-mib",
                format!(
                    "is {}; it must be between 1 and {}",
                    limits.memory_mib,
                    maxima::MEMORY_MIB
                ),
            ));
        }
        if !(1..=maxima::CALL_TIMEOUT_MS).contains(&limits.call_timeout_ms) {
            return Err(invalid(
                "limits.call-timeout-ms",
                format!(
                    "is {}; it must be between 1 and {}",
                    limits.call_timeout_ms,
                    maxima::CALL_TIMEOUT_MS
                ),
            ));
        }
        for (key, value, max) in [
            (
                "limits.max-concurrency",
                limits.max_concurrency,
                maxima::MAX_CONCURRENCY,
            ),
            ("limits.log-kib", limits.log_kib, maxima::LOG_KIB),
            (
                "limits.outbound-requests",
                limits.outbound_requests,
                maxima::OUTBOUND_REQUESTS,
            ),
            (
                "limits.response-mib",
                limits.response_mib,
                maxima::RESPONSE_MIB,
            ),
            (
                "limits.exchange-mib",
                limits.exchange_mib,
                maxima::EXCHANGE_MIB,
            ),
            (
                "limits.exchange-files",
                limits.exchange_files,
                maxima::EXCHANGE_FILES,
            ),
        ] {
            if !(1..=max).contains(&value) {
                return Err(invalid(
                    key,
                    format!("is {value}; it must be between 1 and {max}"),
                ));
            }
        }
        Ok(())
    }

    /// The parsed outbound grants.
    pub fn outbound(&self) -> Vec<OutboundPrefix> {
        self.grants
            .outbound
            .iter()
            .filter_map(|p| OutboundPrefix::parse(p).ok())
            .collect()
    }
}

/// Checks an adapter id: 1–64 of `[a-z0-9-]`, not starting or ending with `-`.
pub fn check_id(id: &str) -> Result<(), String> {
    if id.is_empty() || id.len() > 64 {
        return Err(format!(
            "is {id:?}; it must be 1 to 64 characters of a-z, 0-9 and -"
        ));
    }
    if let Some(c) = id
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(format!(
            "is {id:?}; {c:?} is not allowed (only a-z, 0-9 and -)"
        ));
    }
    if id.starts_with('-') || id.ends_with('-') {
        return Err(format!("is {id:?}; it must not start or end with -"));
    }
    Ok(())
}

fn check_exchange_dir(dir: &str) -> Result<(), String> {
    let ok = !dir.is_empty()
        && dir.len() <= 64
        && dir != "."
        && dir != ".."
        && dir
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "is {dir:?}; it must be one folder name of a-z, 0-9, - and _ inside the platform's exchange root"
        ))
    }
}

/// One `grants.outbound` entry, compared structurally so that
/// `http://127.0.0.1:9101` does not also grant `http://127.0.0.1:91010`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundPrefix {
    scheme: String,
    host: String,
    port: u16,
    path: String,
}

impl OutboundPrefix {
    /// Parses `scheme://host[:port][/path]`.
    pub fn parse(prefix: &str) -> Result<Self, String> {
        let uri: http::Uri = prefix
            .parse()
            .map_err(|e| format!("entry {prefix:?} is not a URL: {e}"))?;
        Self::from_uri(&uri).ok_or_else(|| {
            format!("entry {prefix:?} must be scheme://host:port[/path] with scheme http or https")
        })
    }

    fn from_uri(uri: &http::Uri) -> Option<Self> {
        let scheme = uri.scheme_str()?.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "http" => 80,
            "https" => 443,
            _ => return None,
        };
        if uri.query().is_some() {
            return None;
        }
        let authority = uri.authority()?;
        if authority.as_str().contains('@') {
            return None;
        }
        Some(Self {
            scheme,
            host: authority.host().to_ascii_lowercase(),
            port: authority.port_u16().unwrap_or(default_port),
            path: uri.path().trim_end_matches('/').to_owned(),
        })
    }

    /// Whether a request to `uri` falls under this prefix.
    pub fn allows(&self, uri: &http::Uri) -> bool {
        let Some(scheme) = uri.scheme_str() else {
            return false;
        };
        let Some(authority) = uri.authority() else {
            return false;
        };
        let default_port = if scheme.eq_ignore_ascii_case("https") {
            443
        } else {
            80
        };
        if !scheme.eq_ignore_ascii_case(&self.scheme)
            || !authority.host().eq_ignore_ascii_case(&self.host)
            || authority.port_u16().unwrap_or(default_port) != self.port
        {
            return false;
        }
        let path = uri.path();
        // A path prefix grants itself and what lies below it, never a sibling
        // that merely starts with the same letters, and never a `..` escape,
        // not even a percent-encoded one that the legacy server would decode.
        let below = path == self.path
            || path
                .strip_prefix(&self.path)
                .is_some_and(|rest| rest.starts_with('/'));
        below
            && !percent_decoded(path)
                .split(['/', '\\'])
                .any(|segment| segment == "..")
    }
}

/// `path` with its `%XX` escapes decoded; a `%` without two hex digits stays.
fn percent_decoded(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .filter(|_| bytes[i] == b'%')
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match hex {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl std::fmt::Display for OutboundPrefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}://{}:{}{}",
            self.scheme, self.host, self.port, self.path
        )
    }
}

/// A manifest with its component's bytes, read from a package directory.
#[derive(Debug, Clone)]
pub struct Package {
    /// The parsed manifest.
    pub manifest: Manifest,
    /// The component's bytes.
    pub component: Vec<u8>,
    /// sha256 of the component, lower-case hex.
    pub sha256: String,
    /// The package directory.
    pub dir: PathBuf,
}

impl Package {
    /// Reads `dir/adapter.toml` and the component it names, checking its sha256
    /// when the manifest gives one.
    pub fn read(dir: &Path) -> Result<Self, ManifestError> {
        let manifest_path = dir.join(MANIFEST_FILE);
        let text =
            std::fs::read_to_string(&manifest_path).map_err(|source| ManifestError::Read {
                path: manifest_path.clone(),
                source,
            })?;
        let manifest = Manifest::parse(&text, &manifest_path)?;
        let component_path = dir.join(&manifest.component);
        let component = std::fs::read(&component_path).map_err(|source| ManifestError::Read {
            path: component_path.clone(),
            source,
        })?;
        let sha256 = hex::encode(Sha256::digest(&component));
        if let Some(expected) = &manifest.sha256
            && !expected.eq_ignore_ascii_case(&sha256)
        {
            return Err(ManifestError::Sha256Mismatch {
                path: manifest_path,
                component: component_path,
                expected: expected.clone(),
                actual: sha256,
            });
        }
        Ok(Self {
            manifest,
            component,
            sha256,
            dir: dir.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
id = "market-supervision"
version = "1.2.0"
department = "县市场监督管理局"
api = "onewindow:adapter@0.1.0"
[grants]
outbound = ["http://127.0.0.1:9101"]
exchange-dir = "real-estate"
[limits]
memory-mib = 64
call-timeout-ms = 2000
max-concurrency = 32
[config]
endpoint = "http://127.0.0.1:9101/ws/djzc"
"#;

    fn parse(text: &str) -> Result<Manifest, String> {
        Manifest::parse(text, Path::new("adapter.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn good_manifest_parses_with_its_grants_and_config() {
        let m = parse(GOOD).unwrap();
        assert_eq!(m.id, "market-supervision");
        assert_eq!(m.version, semver::Version::new(1, 2, 0));
        assert_eq!(m.api_version(), "0.1.0");
        assert_eq!(m.component, PathBuf::from("adapter.wasm"));
        assert_eq!(m.grants.exchange_dir.as_deref(), Some("real-estate"));
        assert_eq!(m.config["endpoint"], "http://127.0.0.1:9101/ws/djzc");
    }

    #[test]
    fn bad_manifests_say_what_is_wrong() {
        let cases: &[(&str, &str, &str)] = &[
            ("unknown key", "color = \"red\"\n", "unknown field `color`"),
            (
                "bad id",
                "",
                "`id` is \"Market_Supervision\"; 'M' is not allowed",
            ),
            ("api version", "", "targets contract version 9.0.0"),
            (
                "api package",
                "",
                "it must be `onewindow:adapter@<version>`",
            ),
            (
                "sha",
                "sha256 = \"abc\"\n",
                "`sha256` is \"abc\"; it must be 64 hex digits",
            ),
            (
                "outbound",
                "",
                "entry \"ftp://x\" must be scheme://host:port",
            ),
            ("exchange", "", "`grants.exchange-dir` is \"../etc\""),
            (
                "memory",
                "",
                "`limits.memory-mib` is 4096; it must be between 1 and 1024",
            ),
            ("timeout", "", "`limits.call-timeout-ms` is 0"),
            ("missing key", "", "missing field `department`"),
        ];
        for (what, extra, expected) in cases {
            let mut text = format!("{extra}{GOOD}");
            match *what {
                "bad id" => text = text.replace("\"market-supervision\"", "\"Market_Supervision\""),
                "api version" => text = text.replace("@0.1.0", "@9.0.0"),
                "api package" => text = text.replace("onewindow:adapter@0.1.0", "other:pkg@0.1.0"),
                "outbound" => text = text.replace("\"http://127.0.0.1:9101\"]", "\"ftp://x\"]"),
                "exchange" => text = text.replace("\"real-estate\"", "\"../etc\""),
                "memory" => text = text.replace("memory-mib = 64", "memory-mib = 4096"),
                "timeout" => text = text.replace("call-timeout-ms = 2000", "call-timeout-ms = 0"),
                "missing key" => text = text.replace("department = \"县市场监督管理局\"\n", ""),
                _ => {}
            }
            let err = parse(&text).expect_err(what);
            assert!(err.contains(expected), "{what}: {err}");
        }
    }

    #[test]
    fn outbound_prefixes_match_structurally() {
        let p = OutboundPrefix::parse("http://127.0.0.1:9101").unwrap();
        let allows = |u: &str| p.allows(&u.parse().unwrap());
        assert!(allows("http://127.0.0.1:9101/ws/djzc"));
        assert!(allows("http://127.0.0.1:9101"));
        assert!(!allows("http://127.0.0.1:91010/ws"));
        assert!(!allows("https://127.0.0.1:9101/ws"));
        assert!(!allows("http://127.0.0.2:9101/ws"));
        let p = OutboundPrefix::parse("http://legacy.local/api/").unwrap();
        let allows = |u: &str| p.allows(&u.parse().unwrap());
        assert!(allows("http://legacy.local:80/api/x"));
        assert!(allows("http://legacy.local/api"));
        assert!(!allows("http://legacy.local/apix"));
        assert!(!allows("http://legacy.local/api/../admin"));
        // Found by tests/fuzz (manifest): a percent-encoded `..` climbed out.
        for escape in ["%2e%2e", "%2E%2E", ".%2e", "%2e.", "x%2f..", "..%5c"] {
            assert!(
                !allows(&format!("http://legacy.local/api/{escape}/admin")),
                "{escape}"
            );
        }
        assert!(allows("http://legacy.local/api/%2e%2ex/%41"));
    }
}
