//! The audit log's seal: a key the database does not hold.
//!
//! The hash chain alone shows an edit only to someone who did not recompute
//! every later hash and the head; anyone with write access to the database can
//! (an unkeyed hash). So each entry also carries a *seal*, an HMAC-SHA256 of its
//! hash under a key kept outside the database (`audit-key`, by default
//! `<data-dir>/audit.key`, made at the first start). Rewriting an entry without
//! the key leaves its seal wrong, and verification names it.
//!
//! The same key is an ed25519 signing key: `onewindow audit checkpoint` signs
//! the head (sequence number, hash, time) into a small file that the auditor
//! keeps away from the platform; `audit verify --checkpoint FILE` proves that
//! nothing up to it changed, even against someone who later got the key. Every
//! replica must hold the same key: the database records the key's public half
//! when it first seals, and a replica with another key refuses to start.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The key that seals the audit log and signs its checkpoints.
pub struct AuditKey {
    signing: SigningKey,
    mac: [u8; 32],
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AuditKey({})", self.fingerprint())
    }
}

/// The key file: the ed25519 secret, base64.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct KeyFile {
    secret_key: String,
}

impl AuditKey {
    fn from_secret(secret: [u8; 32]) -> Self {
        let mut mac = Sha256::new();
        mac.update(b"onewindow audit seal v1\0");
        mac.update(secret);
        Self {
            signing: SigningKey::from_bytes(&secret),
            mac: mac.finalize().into(),
        }
    }

    /// Reads the key at `path`, or makes it there (mode 600) when there is none.
    /// Replicas starting together make it once: the first file written wins.
    pub fn load_or_create(path: &Path) -> Result<Self, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => return Self::parse(&text).map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(format!("cannot read the audit key {}: {e}", path.display()));
            }
            Err(_) => {}
        }
        let mut secret = [0u8; 32];
        rand::Rng::fill(&mut rand::rng(), &mut secret);
        let text = toml::to_string(&KeyFile {
            secret_key: BASE64.encode(secret),
        })
        .expect("key files serialize");
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot make {}: {e}", parent.display()))?;
        }
        // Written aside, then linked into place: the link fails when another
        // process made the key first, and then that key is read.
        let aside = path.with_extension(format!("new-{}", std::process::id()));
        let written = write_private(&aside, text.as_bytes());
        let linked = written.and_then(|()| std::fs::hard_link(&aside, path));
        let _ = std::fs::remove_file(&aside);
        match linked {
            Ok(()) => {
                tracing::info!(key = %path.display(), "made the audit key; keep a copy, and give every replica the same file");
                Ok(Self::from_secret(secret))
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read the audit key {}: {e}", path.display()))?;
                Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
            }
            Err(e) => Err(format!(
                "cannot write the audit key {}: {e}",
                path.display()
            )),
        }
    }

    fn parse(text: &str) -> Result<Self, String> {
        let file: KeyFile =
            toml::from_str(text).map_err(|e| format!("not an audit key file: {e}"))?;
        let bytes = BASE64
            .decode(file.secret_key.trim())
            .map_err(|e| format!("secret-key is not base64: {e}"))?;
        let secret: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "secret-key is not 32 bytes".to_owned())?;
        Ok(Self::from_secret(secret))
    }

    /// The public half, base64: what the database records.
    pub fn public(&self) -> String {
        BASE64.encode(self.signing.verifying_key().as_bytes())
    }

    /// A short name for the key: `ed25519:` and 16 hex digits.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.signing.verifying_key())
    }

    /// The seal of an entry whose hash is `hash`.
    pub fn seal(&self, hash: &str) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.mac).expect("HMAC takes keys of any length");
        mac.update(hash.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Whether `seal` is the seal of `hash` (constant time).
    pub fn sealed(&self, hash: &str, seal: &str) -> bool {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.mac).expect("HMAC takes keys of any length");
        mac.update(hash.as_bytes());
        hex::decode(seal).is_ok_and(|seal| mac.verify_slice(&seal).is_ok())
    }

    /// A signed checkpoint of the log at entry `seq` with hash `hash`.
    pub fn checkpoint(&self, seq: i64, hash: &str, at: &str) -> Checkpoint {
        let message = Checkpoint::message(seq, hash, at);
        Checkpoint {
            seq,
            hash: hash.to_owned(),
            at: at.to_owned(),
            key: self.public(),
            signature: BASE64.encode(self.signing.sign(&message).to_bytes()),
        }
    }
}

fn fingerprint(key: &VerifyingKey) -> String {
    format!(
        "ed25519:{}",
        &hex::encode(Sha256::digest(key.as_bytes()))[..16]
    )
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(bytes)
}

/// The head of the audit log at one moment, signed with the audit key: what
/// the auditor keeps outside the platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// The number of the last entry it covers.
    pub seq: i64,
    /// That entry's hash.
    pub hash: String,
    /// When it was taken, RFC 3339.
    pub at: String,
    /// The audit key's public half, base64.
    pub key: String,
    /// The ed25519 signature over the three fields above, base64.
    pub signature: String,
}

impl Checkpoint {
    fn message(seq: i64, hash: &str, at: &str) -> Vec<u8> {
        format!("onewindow audit checkpoint v1\nseq {seq}\nhash {hash}\nat {at}\n").into_bytes()
    }

    /// Checks the signature, and that it is the platform's key (`public`, as
    /// [`AuditKey::public`] gives it).
    pub fn verify(&self, public: &str) -> Result<(), String> {
        if self.key != public {
            return Err("the checkpoint was signed with another audit key".into());
        }
        let key: [u8; 32] = BASE64
            .decode(&self.key)
            .ok()
            .and_then(|k| k.try_into().ok())
            .ok_or("the checkpoint's key is malformed")?;
        let key =
            VerifyingKey::from_bytes(&key).map_err(|e| format!("the checkpoint's key: {e}"))?;
        let signature: [u8; 64] = BASE64
            .decode(&self.signature)
            .ok()
            .and_then(|s| s.try_into().ok())
            .ok_or("the checkpoint's signature is malformed")?;
        key.verify_strict(
            &Self::message(self.seq, &self.hash, &self.at),
            &Signature::from_bytes(&signature),
        )
        .map_err(|_| "the checkpoint's signature does not match: the file was changed".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_checkpoints_need_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.key");
        let key = AuditKey::load_or_create(&path).unwrap();
        let again = AuditKey::load_or_create(&path).unwrap();
        assert_eq!(key.public(), again.public(), "the key is made once");
        let other = AuditKey::load_or_create(&dir.path().join("other.key")).unwrap();
        let seal = key.seal("abc");
        assert!(again.sealed("abc", &seal));
        assert!(!key.sealed("abd", &seal));
        assert!(!other.sealed("abc", &seal), "another key cannot reseal");
        assert!(!key.sealed("abc", "not hex"));

        let checkpoint = key.checkpoint(7, "deadbeef", "2026-12-06T00:00:00Z");
        assert_eq!(checkpoint.verify(&key.public()), Ok(()));
        assert!(checkpoint.verify(&other.public()).is_err());
        let forged = Checkpoint {
            seq: 8,
            ..checkpoint
        };
        assert!(
            forged
                .verify(&key.public())
                .unwrap_err()
                .contains("changed")
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
