//! Signed adapter packages: integrators make a key pair (`onewindow keys new`)
//! and pack an adapter (`onewindow adapter pack`); the platform verifies a
//! package before anything of it runs.
//!
//! A package is a `.tar.gz` (or a directory) holding exactly:
//!
//! - `adapter.toml`, the manifest, with `component = "adapter.wasm"` and the
//!   component's `sha256`;
//! - `adapter.wasm`, the component;
//! - `adapter.sig`, the signature: who signed (`signer`), their ed25519
//!   `public-key` and the `signature` over [`signed_message`], which binds the
//!   manifest's bytes and the component's sha256.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::manifest::{MANIFEST_FILE, Manifest, ManifestError};

/// The component's file name inside a package.
pub const COMPONENT_FILE: &str = "adapter.wasm";
/// The signature's file name inside a package.
pub const SIGNATURE_FILE: &str = "adapter.sig";

/// The largest files a package may hold; anything larger is refused before it
/// is read any further (a compressed archive can claim anything).
pub mod limits {
    /// `adapter.toml`.
    pub const MANIFEST_BYTES: u64 = 64 * 1024;
    /// `adapter.sig`.
    pub const SIGNATURE_BYTES: u64 = 4 * 1024;
    /// `adapter.wasm`.
    pub const COMPONENT_BYTES: u64 = 64 * 1024 * 1024;
    /// A package upload (API and console): the largest component and a little more.
    pub const UPLOAD_BYTES: usize = COMPONENT_BYTES as usize + 1024 * 1024;
}

/// Why a package was refused, or a key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the package is not a readable .tar.gz: {0}")]
    Archive(String),
    #[error(
        "the package holds {0}, which a package may not; it holds exactly adapter.toml, adapter.wasm and adapter.sig"
    )]
    UnexpectedEntry(String),
    #[error("the package's {file} is larger than {limit} bytes")]
    TooLarge { file: &'static str, limit: u64 },
    #[error("the package has no {0}")]
    Missing(&'static str),
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error("the manifest must say `component = \"adapter.wasm\"` in a package, not {0:?}")]
    ComponentName(PathBuf),
    #[error("the manifest has no `sha256`; a package states its component's sha256")]
    NoSha256,
    #[error(
        "adapter.wasm has sha256 {actual}, but the manifest says {expected}: the component was changed after packing"
    )]
    Sha256Mismatch { expected: String, actual: String },
    #[error(
        "the package is not signed, and this platform requires signatures (require-signatures)"
    )]
    Unsigned,
    #[error("adapter.sig is malformed: {0}")]
    SignatureFile(String),
    #[error(
        "the package is signed by {signer:?} with a key that is not in the trust store ({fingerprint})"
    )]
    UntrustedKey { signer: String, fingerprint: String },
    #[error(
        "the signature by {signer:?} does not match the manifest and component: they were changed after signing"
    )]
    BadSignature { signer: String },
    #[error("{path}: {message}")]
    Key { path: PathBuf, message: String },
    #[error(
        "the package of adapter {adapter:?} is signed by {signer:?}, whose key may sign only {allowed}; the operator widens a key's scope with `adapters = [...]` in its .pub file"
    )]
    OutOfScope {
        adapter: String,
        signer: String,
        allowed: String,
    },
    #[error(
        "the package's archive has a {0} header, which a package never needs; pack it with `onewindow adapter pack`"
    )]
    ExtensionHeader(&'static str),
}

/// `adapter.sig`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct SignatureFile {
    signer: String,
    public_key: String,
    signature: String,
}

/// A public key file (`<name>.pub`): who, their ed25519 key, and (added by
/// the operator who trusts it) the adapter ids it may sign, `"*"` for any.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct PublicKeyFile {
    name: String,
    public_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    adapters: Option<Vec<String>>,
}

/// What a public key file says to the operator who trusts it.
const SCOPE_HINT: &str = "\n# The platform that trusts this key lists the adapter ids it may sign, e.g.\n# adapters = [\"market-supervision\"]   (or [\"*\"] for any adapter)\n";

/// A secret key file (`<name>.key`).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct SecretKeyFile {
    name: String,
    secret_key: String,
}

/// What is signed: the manifest's bytes (by their sha256) and the component's sha256.
pub fn signed_message(manifest: &[u8], component_sha256: &str) -> Vec<u8> {
    format!(
        "onewindow adapter package v1\nmanifest sha256 {}\ncomponent sha256 {component_sha256}\n",
        hex::encode(Sha256::digest(manifest))
    )
    .into_bytes()
}

/// A short, stable name for a public key: `ed25519:` and the first 16 hex digits
/// of its sha256.
pub fn fingerprint(key: &VerifyingKey) -> String {
    format!(
        "ed25519:{}",
        &hex::encode(Sha256::digest(key.as_bytes()))[..16]
    )
}

fn decode_key<const N: usize>(text: &str, what: &str) -> Result<[u8; N], String> {
    let bytes = BASE64
        .decode(text.trim())
        .map_err(|e| format!("{what} is not base64: {e}"))?;
    bytes
        .try_into()
        .map_err(|b: Vec<u8>| format!("{what} has {} bytes, not {N}", b.len()))
}

/// A signing key with its name.
pub struct SecretKey {
    pub name: String,
    key: SigningKey,
}

impl SecretKey {
    /// Reads a `<name>.key` file.
    pub fn read(path: &Path) -> Result<Self, PackageError> {
        let text = std::fs::read_to_string(path).map_err(|source| PackageError::Read {
            path: path.to_owned(),
            source,
        })?;
        let key_error = |message: String| PackageError::Key {
            path: path.to_owned(),
            message,
        };
        let file: SecretKeyFile =
            toml::from_str(&text).map_err(|e| key_error(format!("not a secret key file: {e}")))?;
        let bytes = decode_key::<32>(&file.secret_key, "secret-key").map_err(key_error)?;
        Ok(SecretKey {
            name: file.name,
            key: SigningKey::from_bytes(&bytes),
        })
    }

    /// The matching public key.
    pub fn public(&self) -> VerifyingKey {
        self.key.verifying_key()
    }
}

/// Makes a new key pair `<dir>/<name>.key` (secret, readable by its owner
/// only) and `<dir>/<name>.pub`; refuses to overwrite either. Returns both paths.
pub fn new_key_pair(name: &str, dir: &Path) -> Result<(PathBuf, PathBuf), PackageError> {
    crate::manifest::check_id(name).map_err(|problem| PackageError::Key {
        path: dir.join(name),
        message: format!("the key name {problem}"),
    })?;
    std::fs::create_dir_all(dir).map_err(|e| PackageError::Key {
        path: dir.to_owned(),
        message: format!("cannot make the folder: {e}"),
    })?;
    let mut seed = [0u8; 32];
    rand::Rng::fill(&mut rand::rng(), &mut seed);
    let key = SigningKey::from_bytes(&seed);
    let secret_path = dir.join(format!("{name}.key"));
    let public_path = dir.join(format!("{name}.pub"));
    let secret = toml::to_string(&SecretKeyFile {
        name: name.to_owned(),
        secret_key: BASE64.encode(key.to_bytes()),
    })
    .expect("key files serialize");
    let public = toml::to_string(&PublicKeyFile {
        name: name.to_owned(),
        public_key: BASE64.encode(key.verifying_key().as_bytes()),
        adapters: None,
    })
    .expect("key files serialize")
        + SCOPE_HINT;
    write_new(&secret_path, secret.as_bytes(), true)?;
    if let Err(e) = write_new(&public_path, public.as_bytes(), false) {
        let _ = std::fs::remove_file(&secret_path);
        return Err(e);
    }
    Ok((secret_path, public_path))
}

/// Trusts the public key file `public` for signing `adapters` (`*`: any): writes
/// it to `trust_dir` as `<name>.pub` with that scope, replacing the key's
/// earlier scope there. Gives the path written.
pub fn trust_key(
    public: &Path,
    trust_dir: &Path,
    adapters: &[String],
) -> Result<PathBuf, PackageError> {
    let key_error = |message: String| PackageError::Key {
        path: public.to_owned(),
        message,
    };
    let text = std::fs::read_to_string(public).map_err(|source| PackageError::Read {
        path: public.to_owned(),
        source,
    })?;
    let mut file: PublicKeyFile =
        toml::from_str(&text).map_err(|e| key_error(format!("not a public key file: {e}")))?;
    if adapters.is_empty() {
        return Err(key_error(
            "name the adapter ids this key may sign (or * for any)".into(),
        ));
    }
    file.adapters = Some(adapters.to_vec());
    let text = toml::to_string(&file).expect("key files serialize");
    // Checked as the platform will read it.
    TrustStore::default().add_text(&text, public)?;
    crate::manifest::check_id(&file.name)
        .map_err(|problem| key_error(format!("the key name {problem}")))?;
    std::fs::create_dir_all(trust_dir).map_err(|e| PackageError::Key {
        path: trust_dir.to_owned(),
        message: format!("cannot make the folder: {e}"),
    })?;
    let path = trust_dir.join(format!("{}.pub", file.name));
    std::fs::write(&path, text).map_err(|source| PackageError::Write {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

/// Writes a file that must not exist yet.
fn write_new(path: &Path, bytes: &[u8], secret: bool) -> Result<(), PackageError> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let write_error = |source| PackageError::Write {
        path: path.to_owned(),
        source,
    };
    let mut file = options.open(path).map_err(write_error)?;
    file.write_all(bytes).map_err(write_error)
}

/// The public keys a platform trusts, by name, each with the adapter ids it may sign.
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    keys: Vec<TrustedKey>,
}

#[derive(Debug, Clone)]
struct TrustedKey {
    name: String,
    key: VerifyingKey,
    /// The adapter ids it may sign; `*` stands for any.
    adapters: Vec<String>,
}

impl TrustedKey {
    fn may_sign(&self, adapter: &str) -> bool {
        self.adapters.iter().any(|a| a == "*" || a == adapter)
    }
}

impl TrustStore {
    /// Reads every `*.pub` file in `dir` (a missing folder trusts nobody).
    pub fn load_dir(dir: &Path) -> Result<Self, PackageError> {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(source) => {
                return Err(PackageError::Read {
                    path: dir.to_owned(),
                    source,
                });
            }
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "pub"))
            .collect();
        paths.sort();
        let mut store = Self::default();
        for path in paths {
            let text = std::fs::read_to_string(&path).map_err(|source| PackageError::Read {
                path: path.clone(),
                source,
            })?;
            store.add_text(&text, &path)?;
        }
        Ok(store)
    }

    /// Adds the key of a `.pub` file's `text`; `path` is for messages.
    pub fn add_text(&mut self, text: &str, path: &Path) -> Result<(), PackageError> {
        let key_error = |message: String| PackageError::Key {
            path: path.to_owned(),
            message,
        };
        let file: PublicKeyFile =
            toml::from_str(text).map_err(|e| key_error(format!("not a public key file: {e}")))?;
        let bytes = decode_key::<32>(&file.public_key, "public-key").map_err(key_error)?;
        let key = VerifyingKey::from_bytes(&bytes)
            .map_err(|e| key_error(format!("not an ed25519 public key: {e}")))?;
        let adapters = file.adapters.unwrap_or_default();
        for id in adapters.iter().filter(|id| *id != "*") {
            crate::manifest::check_id(id).map_err(|problem| {
                key_error(format!("`adapters` lists {id:?}, which {problem}"))
            })?;
        }
        if adapters.is_empty() {
            tracing::warn!(
                key = %path.display(),
                "the trusted key {} names no adapters it may sign, so it signs none; add `adapters = [\"<adapter id>\"]` to its file",
                file.name
            );
        }
        self.add(&file.name, key, adapters);
        Ok(())
    }

    /// Trusts `key` under `name` for signing the adapter ids `adapters` (`*`: any).
    pub fn add(&mut self, name: &str, key: VerifyingKey, adapters: Vec<String>) {
        self.keys.push(TrustedKey {
            name: name.to_owned(),
            key,
            adapters,
        });
    }

    fn trusts(&self, key: &VerifyingKey) -> Option<&TrustedKey> {
        self.keys.iter().find(|k| &k.key == key)
    }
}

/// The files of a package, read with their size limits, nothing else.
#[derive(Debug, Clone)]
pub struct PackageFiles {
    pub manifest: Vec<u8>,
    pub component: Vec<u8>,
    pub signature: Option<Vec<u8>>,
}

fn limit_of(name: &str) -> Option<(&'static str, u64)> {
    match name {
        MANIFEST_FILE => Some((MANIFEST_FILE, limits::MANIFEST_BYTES)),
        COMPONENT_FILE => Some((COMPONENT_FILE, limits::COMPONENT_BYTES)),
        SIGNATURE_FILE => Some((SIGNATURE_FILE, limits::SIGNATURE_BYTES)),
        _ => None,
    }
}

/// Reads at most `limit` bytes of `reader`; more is an error naming `file`.
fn read_limited(
    reader: impl std::io::Read,
    file: &'static str,
    limit: u64,
) -> Result<Vec<u8>, PackageError> {
    let mut bytes = Vec::new();
    reader
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| PackageError::Archive(format!("reading {file}: {e}")))?;
    if bytes.len() as u64 > limit {
        return Err(PackageError::TooLarge { file, limit });
    }
    Ok(bytes)
}

impl PackageFiles {
    /// Reads a package: a `.tar.gz` file or a directory.
    pub fn read(path: &Path) -> Result<Self, PackageError> {
        if path.is_dir() {
            return Self::read_dir(path);
        }
        let file = std::fs::File::open(path).map_err(|source| PackageError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_tar_gz(file)
    }

    fn read_dir(dir: &Path) -> Result<Self, PackageError> {
        let read = |name: &'static str| -> Result<Option<Vec<u8>>, PackageError> {
            let path = dir.join(name);
            match std::fs::File::open(&path) {
                Ok(file) => {
                    let (file_name, limit) = limit_of(name).expect("a package file name");
                    read_limited(file, file_name, limit).map(Some)
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(source) => Err(PackageError::Read { path, source }),
            }
        };
        Ok(Self {
            manifest: read(MANIFEST_FILE)?.ok_or(PackageError::Missing(MANIFEST_FILE))?,
            component: read(COMPONENT_FILE)?.ok_or(PackageError::Missing(COMPONENT_FILE))?,
            signature: read(SIGNATURE_FILE)?,
        })
    }

    /// Reads a `.tar.gz` stream: regular files with the three known names only.
    pub fn from_tar_gz(reader: impl std::io::Read) -> Result<Self, PackageError> {
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(reader));
        let (mut manifest, mut component, mut signature) = (None, None, None);
        // Raw entries: the tar crate would read a GNU long-name or PAX header
        // whole, whatever size it claims, before any check of ours.
        let entries = archive
            .entries()
            .map_err(|e| PackageError::Archive(e.to_string()))?
            .raw(true);
        for entry in entries {
            let entry = entry.map_err(|e| PackageError::Archive(e.to_string()))?;
            let kind = entry.header().entry_type();
            if kind.is_gnu_longname() || kind.is_gnu_longlink() {
                return Err(PackageError::ExtensionHeader("GNU long-name"));
            }
            if kind.is_pax_local_extensions() || kind.is_pax_global_extensions() {
                return Err(PackageError::ExtensionHeader("PAX"));
            }
            let raw = entry
                .path()
                .map_err(|e| PackageError::Archive(e.to_string()))?
                .to_string_lossy()
                .into_owned();
            let name = raw.strip_prefix("./").unwrap_or(&raw);
            if entry.header().entry_type().is_dir() && name.is_empty() {
                continue;
            }
            let known = limit_of(name).filter(|_| entry.header().entry_type().is_file());
            let Some((file, limit)) = known else {
                return Err(PackageError::UnexpectedEntry(format!("{raw:?}")));
            };
            let slot = match file {
                MANIFEST_FILE => &mut manifest,
                COMPONENT_FILE => &mut component,
                _ => &mut signature,
            };
            if slot.is_some() {
                return Err(PackageError::UnexpectedEntry(format!("{raw:?} twice")));
            }
            // The size the header claims is checked before a byte is read.
            if entry.header().size().map_or(true, |size| size > limit) {
                return Err(PackageError::TooLarge { file, limit });
            }
            *slot = Some(read_limited(entry, file, limit)?);
        }
        Ok(Self {
            manifest: manifest.ok_or(PackageError::Missing(MANIFEST_FILE))?,
            component: component.ok_or(PackageError::Missing(COMPONENT_FILE))?,
            signature,
        })
    }

    /// The package as a `.tar.gz`.
    pub fn to_tar_gz(&self) -> Vec<u8> {
        let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
            Vec::new(),
            flate2::Compression::default(),
        ));
        let mut files = vec![
            (MANIFEST_FILE, &self.manifest),
            (COMPONENT_FILE, &self.component),
        ];
        if let Some(signature) = &self.signature {
            files.push((SIGNATURE_FILE, signature));
        }
        for (name, bytes) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder
                .append_data(&mut header, name, bytes.as_slice())
                .expect("writing to memory");
        }
        builder
            .into_inner()
            .and_then(|gz| gz.finish())
            .expect("writing to memory")
    }
}

/// A package whose every check passed; nothing of it has run.
#[derive(Debug, Clone)]
pub struct Verified {
    pub manifest: Manifest,
    pub manifest_text: String,
    pub component: Vec<u8>,
    pub sha256: String,
    /// Who signed it (their name in the trust store), when signed.
    pub signer: Option<String>,
    /// `adapter.sig` as it came, kept so the package can be verified again
    /// whenever it is loaded.
    pub signature: Option<String>,
}

/// Checks a package: the manifest (strict: contract version, limits within the
/// platform's maxima, id), the component's sha256, and the signature against
/// `trust`. Unsigned packages, and those signed by a key `trust` does not hold,
/// pass (as unsigned) only when `require_signatures` is off.
pub fn verify(
    files: PackageFiles,
    trust: &TrustStore,
    require_signatures: bool,
) -> Result<Verified, PackageError> {
    let manifest_path = Path::new("<package>").join(MANIFEST_FILE);
    let manifest_text =
        String::from_utf8(files.manifest.clone()).map_err(|_| ManifestError::Syntax {
            path: manifest_path.clone(),
            message: "is not UTF-8".into(),
        })?;
    let manifest = Manifest::parse(&manifest_text, &manifest_path)?;
    if manifest.component != Path::new(COMPONENT_FILE) {
        return Err(PackageError::ComponentName(manifest.component));
    }
    let expected = manifest.sha256.clone().ok_or(PackageError::NoSha256)?;
    let sha256 = hex::encode(Sha256::digest(&files.component));
    if !expected.eq_ignore_ascii_case(&sha256) {
        return Err(PackageError::Sha256Mismatch {
            expected,
            actual: sha256,
        });
    }
    let signer = match &files.signature {
        None if require_signatures => return Err(PackageError::Unsigned),
        None => None,
        Some(bytes) => {
            let text = std::str::from_utf8(bytes)
                .map_err(|_| PackageError::SignatureFile("not UTF-8".into()))?;
            let file: SignatureFile =
                toml::from_str(text).map_err(|e| PackageError::SignatureFile(e.to_string()))?;
            let key = decode_key::<32>(&file.public_key, "public-key")
                .map_err(PackageError::SignatureFile)?;
            let key = VerifyingKey::from_bytes(&key)
                .map_err(|e| PackageError::SignatureFile(format!("public-key: {e}")))?;
            let signature = decode_key::<64>(&file.signature, "signature")
                .map_err(PackageError::SignatureFile)?;
            let Some(trusted_as) = trust.trusts(&key) else {
                if !require_signatures {
                    // A key nobody trusts vouches for nothing: the package counts
                    // as unsigned, which this platform accepts.
                    return Ok(Verified {
                        manifest,
                        manifest_text,
                        component: files.component,
                        sha256,
                        signer: None,
                        signature: None,
                    });
                }
                return Err(PackageError::UntrustedKey {
                    signer: file.signer,
                    fingerprint: fingerprint(&key),
                });
            };
            key.verify_strict(
                &signed_message(&files.manifest, &sha256),
                &Signature::from_bytes(&signature),
            )
            .map_err(|_| PackageError::BadSignature {
                signer: file.signer.clone(),
            })?;
            if !trusted_as.may_sign(&manifest.id) {
                return Err(PackageError::OutOfScope {
                    adapter: manifest.id.clone(),
                    signer: trusted_as.name.clone(),
                    allowed: if trusted_as.adapters.is_empty() {
                        "no adapter".to_owned()
                    } else {
                        trusted_as.adapters.join(", ")
                    },
                });
            }
            Some(trusted_as.name.clone())
        }
    };
    let signature = signer
        .is_some()
        .then(|| files.signature.as_deref().map(String::from_utf8_lossy))
        .flatten()
        .map(|text| text.into_owned());
    Ok(Verified {
        manifest,
        manifest_text,
        component: files.component,
        sha256,
        signer,
        signature,
    })
}

/// Packs the adapter in package directory `dir` (its `adapter.toml` and the
/// component it names) as a signed package: the manifest is rewritten with
/// `component = "adapter.wasm"` and the component's `sha256`, then signed with `key`.
pub fn pack(dir: &Path, key: &SecretKey) -> Result<(Manifest, PackageFiles), PackageError> {
    let package = crate::manifest::Package::read(dir)?;
    let manifest_path = dir.join(MANIFEST_FILE);
    let text = std::fs::read_to_string(&manifest_path).map_err(|source| PackageError::Read {
        path: manifest_path.clone(),
        source,
    })?;
    let mut table: toml::Table = toml::from_str(&text).map_err(|e| ManifestError::Syntax {
        path: manifest_path.clone(),
        message: e.to_string(),
    })?;
    table.insert("component".into(), COMPONENT_FILE.into());
    table.insert("sha256".into(), package.sha256.clone().into());
    let manifest = toml::to_string(&table)
        .expect("a parsed manifest serializes")
        .into_bytes();
    let signature = key.key.sign(&signed_message(&manifest, &package.sha256));
    let signature_file = toml::to_string(&SignatureFile {
        signer: key.name.clone(),
        public_key: BASE64.encode(key.public().as_bytes()),
        signature: BASE64.encode(signature.to_bytes()),
    })
    .expect("signature files serialize");
    Ok((
        package.manifest,
        PackageFiles {
            manifest,
            component: package.component,
            signature: Some(signature_file.into_bytes()),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = r#"id = "market-supervision"
version = "1.2.0"
department = "县市场监督管理局"
api = "onewindow:adapter@0.1.0"
component = "build/market_supervision.wasm"
[grants]
outbound = ["http://127.0.0.1:9101"]
[config]
endpoint = "http://127.0.0.1:9101/soap"
"#;

    /// A package directory with `manifest` and a stand-in component (nothing
    /// here compiles it), and a trusted key.
    fn setup(manifest: &str) -> (tempfile::TempDir, SecretKey, TrustStore) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("build")).unwrap();
        std::fs::write(
            dir.path().join("build/market_supervision.wasm"),
            b"\0asm component bytes",
        )
        .unwrap();
        std::fs::write(dir.path().join(MANIFEST_FILE), manifest).unwrap();
        let (secret, public) = new_key_pair("scjg-team", dir.path()).unwrap();
        trust_key(&public, dir.path(), &["market-supervision".into()]).unwrap();
        let key = SecretKey::read(&secret).unwrap();
        let trust = TrustStore::load_dir(public.parent().unwrap()).unwrap();
        (dir, key, trust)
    }

    fn packed(manifest: &str) -> (PackageFiles, TrustStore) {
        let (dir, key, trust) = setup(manifest);
        let (_, files) = pack(dir.path(), &key).unwrap();
        (files, trust)
    }

    #[test]
    fn a_packed_package_verifies_through_its_archive() {
        let (files, trust) = packed(MANIFEST);
        let archive = files.to_tar_gz();
        let read = PackageFiles::from_tar_gz(archive.as_slice()).unwrap();
        let verified = verify(read, &trust, true).unwrap();
        assert_eq!(verified.signer.as_deref(), Some("scjg-team"));
        assert_eq!(verified.manifest.component, Path::new(COMPONENT_FILE));
        assert_eq!(
            verified.manifest.sha256.as_deref(),
            Some(verified.sha256.as_str())
        );
        assert_eq!(
            verified.manifest.config["endpoint"],
            "http://127.0.0.1:9101/soap"
        );
    }

    #[test]
    fn one_changed_byte_of_the_component_is_refused() {
        let (mut files, trust) = packed(MANIFEST);
        files.component[3] ^= 1;
        let err = verify(files, &trust, true).unwrap_err();
        assert!(matches!(err, PackageError::Sha256Mismatch { .. }), "{err}");
        assert!(err.to_string().contains("changed after packing"), "{err}");
    }

    #[test]
    fn a_manifest_changed_after_signing_is_refused() {
        let (mut files, trust) = packed(MANIFEST);
        let text = String::from_utf8(files.manifest).unwrap();
        files.manifest = text
            .replace("http://127.0.0.1:9101\"", "http://10.0.0.1:80\"")
            .into_bytes();
        let err = verify(files, &trust, true).unwrap_err();
        assert!(matches!(err, PackageError::BadSignature { .. }), "{err}");
    }

    #[test]
    fn unsigned_packages_pass_only_when_signatures_are_not_required() {
        let (mut files, trust) = packed(MANIFEST);
        files.signature = None;
        let err = verify(files.clone(), &trust, true).unwrap_err();
        assert!(matches!(err, PackageError::Unsigned), "{err}");
        assert_eq!(verify(files, &trust, false).unwrap().signer, None);
    }

    #[test]
    fn a_key_outside_the_trust_store_is_refused_with_its_fingerprint() {
        let (files, _) = packed(MANIFEST);
        let err = verify(files.clone(), &TrustStore::default(), true).unwrap_err();
        let PackageError::UntrustedKey {
            signer,
            fingerprint,
        } = &err
        else {
            panic!("{err}");
        };
        assert_eq!(signer, "scjg-team");
        assert!(fingerprint.starts_with("ed25519:"), "{err}");
        // Where signatures are not required it counts as unsigned.
        let unsigned = verify(files, &TrustStore::default(), false).unwrap();
        assert_eq!(unsigned.signer, None);
    }

    #[test]
    fn manifests_beyond_the_contract_or_the_maxima_are_refused() {
        for (change, expected) in [
            (("@0.1.0", "@0.3.0"), "contract version 0.3.0"),
            (
                ("[config]", "[limits]\nmemory-mib = 100000\n[config]"),
                "limits.memory-mib",
            ),
            (("id = \"market-supervision\"", "id = \"../x\""), "`id`"),
        ] {
            let (dir, key, _) = setup(&MANIFEST.replace(change.0, change.1));
            let err = pack(dir.path(), &key).map(|_| ()).unwrap_err();
            assert!(err.to_string().contains(expected), "{expected}: {err}");
        }
    }

    #[test]
    fn archives_with_other_entries_or_oversized_files_are_refused() {
        let archive = |name: &str, size: u64| {
            let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
                Vec::new(),
                flate2::Compression::default(),
            ));
            let mut header = tar::Header::new_gnu();
            header.set_size(size);
            // Raw, so that names the tar crate would refuse to write can be tested.
            header.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name.as_bytes());
            header.set_cksum();
            builder
                .append(&header, std::io::repeat(0).take(size))
                .unwrap();
            builder.into_inner().unwrap().finish().unwrap()
        };
        let err = PackageFiles::from_tar_gz(archive("../adapter.toml", 10).as_slice()).unwrap_err();
        assert!(matches!(err, PackageError::UnexpectedEntry(_)), "{err}");
        // A bomb: a small archive claiming a component above the limit.
        let bomb = archive(COMPONENT_FILE, limits::COMPONENT_BYTES + 1);
        assert!(bomb.len() < 1024 * 1024);
        let err = PackageFiles::from_tar_gz(bomb.as_slice()).unwrap_err();
        assert!(matches!(err, PackageError::TooLarge { .. }), "{err}");
        let err = PackageFiles::from_tar_gz(&b"not gzip"[..]).unwrap_err();
        assert!(matches!(err, PackageError::Archive(_)), "{err}");
    }

    #[test]
    fn key_pairs_are_never_overwritten_and_the_secret_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let (secret, public) = new_key_pair("team", dir.path()).unwrap();
        assert!(public.exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&secret).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let before = std::fs::read(&secret).unwrap();
        assert!(new_key_pair("team", dir.path()).is_err());
        assert_eq!(std::fs::read(&secret).unwrap(), before);
        assert!(new_key_pair("../team", dir.path()).is_err());
    }
}
