//! Pushes from department systems to `/hooks/{adapter}`, authenticated before any
//! adapter sees them. The department signs each push with a secret the operator
//! configured for that hook (`[hooks.<adapter-id>]`):
//!
//! ```text
//! X-Onewindow-Timestamp: <unix seconds>
//! X-Onewindow-Signature: sha256=<hex of HMAC-SHA256(secret, "<timestamp>.<body>")>
//! ```
//!
//! A push is refused unless its hook has credentials, it comes from an allowed
//! network, its timestamp is within [`WINDOW`] of now, its signature matches one
//! of the hook's secrets, and that signature has not been seen before (on any
//! replica: the signatures are kept in the database).

use std::net::IpAddr;
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{Platform, PlatformError};
use crate::store;

/// The header with the push's timestamp, in unix seconds.
pub const TIMESTAMP_HEADER: &str = "x-onewindow-timestamp";
/// The header with the push's signature, `sha256=<hex>`.
pub const SIGNATURE_HEADER: &str = "x-onewindow-signature";
/// How far a push's timestamp may be from the platform's clock, either way.
pub const WINDOW: Duration = Duration::from_secs(5 * 60);

/// What a push presented.
#[derive(Debug, Clone, Copy)]
pub struct Push<'a> {
    pub adapter_id: &'a str,
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
    pub body: &'a [u8],
    /// The address the push came from, when known.
    pub peer: Option<IpAddr>,
}

/// Why a push was refused; every one is answered `401` alike.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("no credentials are configured for this hook, so it accepts no push")]
    NotConfigured,
    #[error("pushes to this hook are not accepted from {0}")]
    SourceNotAllowed(String),
    #[error("the push carries no {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header")]
    Unsigned,
    #[error("{TIMESTAMP_HEADER} must be the unix time in whole seconds")]
    BadTimestamp,
    #[error("the push was signed {0} s away from the platform's clock; at most 300 s are accepted")]
    Stale(i64),
    #[error("{SIGNATURE_HEADER} must be sha256= and 64 hex digits")]
    BadSignature,
    #[error("the signature does not match the body and timestamp under any secret of this hook")]
    WrongSignature,
    #[error("this signature was already used; sign every push anew")]
    Replayed,
}

impl Refusal {
    /// The reason as a metric label.
    pub fn reason(&self) -> &'static str {
        match self {
            Refusal::NotConfigured => "not_configured",
            Refusal::SourceNotAllowed(_) => "source_not_allowed",
            Refusal::Unsigned => "unsigned",
            Refusal::BadTimestamp => "bad_timestamp",
            Refusal::Stale(_) => "stale",
            Refusal::BadSignature => "bad_signature",
            Refusal::WrongSignature => "wrong_signature",
            Refusal::Replayed => "replayed",
        }
    }
}

/// Why a push was not authenticated.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Platform(#[from] PlatformError),
}

/// The value of [`SIGNATURE_HEADER`] for `body` pushed at `timestamp` with `secret`.
pub fn sign(secret: &str, timestamp: &str, body: &[u8]) -> String {
    format!(
        "sha256={}",
        hex::encode(mac(secret, timestamp, body).finalize().into_bytes())
    )
}

fn mac(secret: &str, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// Checks everything of `push` but replay, at `now` (unix seconds); returns the
/// signature's hex digits.
fn check<'a>(
    hook: Option<&crate::config::Hook>,
    push: &Push<'a>,
    now: i64,
) -> Result<&'a str, Refusal> {
    let hook = hook.ok_or(Refusal::NotConfigured)?;
    if !hook.allow_from.is_empty() {
        let allowed = push
            .peer
            .is_some_and(|ip| hook.allow_from.iter().any(|net| net.contains(&ip)));
        if !allowed {
            return Err(Refusal::SourceNotAllowed(
                push.peer
                    .map_or_else(|| "an unknown address".into(), |ip| ip.to_string()),
            ));
        }
    }
    let (Some(timestamp), Some(signature)) = (push.timestamp, push.signature) else {
        return Err(Refusal::Unsigned);
    };
    if timestamp.is_empty()
        || timestamp.len() > 12
        || !timestamp.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(Refusal::BadTimestamp);
    }
    let signed_at: i64 = timestamp.parse().map_err(|_| Refusal::BadTimestamp)?;
    let skew = now - signed_at;
    if skew.unsigned_abs() > WINDOW.as_secs() {
        return Err(Refusal::Stale(skew));
    }
    let digits = signature
        .strip_prefix("sha256=")
        .filter(|d| d.len() == 64)
        .ok_or(Refusal::BadSignature)?;
    let mut presented = [0u8; 32];
    hex::decode_to_slice(digits, &mut presented).map_err(|_| Refusal::BadSignature)?;
    // Every secret is tried, each compared in constant time.
    let matched = hook.secrets.iter().fold(false, |found, secret| {
        mac(secret, timestamp, push.body)
            .verify_slice(&presented)
            .is_ok()
            | found
    });
    if !matched {
        return Err(Refusal::WrongSignature);
    }
    Ok(digits)
}

impl Platform {
    /// Authenticates a push to `/hooks/{adapter}`; nothing else happens to a
    /// refused one. An accepted signature is recorded, so it cannot be replayed.
    pub async fn authenticate_push(&self, push: &Push<'_>) -> Result<(), PushError> {
        let now = chrono::Utc::now();
        let digits = check(
            self.config.hooks.get(push.adapter_id),
            push,
            now.timestamp(),
        )?;
        let signature = digits.to_ascii_lowercase();
        let mut tx = self.store.begin().await.map_err(PlatformError::from)?;
        // Signatures older than the window can never be presented again.
        let expired = store::timestamp(now - WINDOW * 2);
        sqlx::query("DELETE FROM hook_signatures WHERE received_at < $1")
            .bind(&expired)
            .execute(&mut *tx)
            .await
            .map_err(PlatformError::from)?;
        let inserted = sqlx::query(
            "INSERT INTO hook_signatures (adapter_id, signature, received_at) VALUES ($1, $2, $3) \
             ON CONFLICT (adapter_id, signature) DO NOTHING",
        )
        .bind(push.adapter_id)
        .bind(&signature)
        .bind(store::timestamp(now))
        .execute(&mut *tx)
        .await
        .map_err(PlatformError::from)?
        .rows_affected();
        tx.commit().await.map_err(PlatformError::from)?;
        if inserted == 0 {
            return Err(Refusal::Replayed.into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Hook;

    const SECRET: &str = "a-hook-secret-of-at-least-32-chars!!";
    const NOW: i64 = 1_764_000_000;

    fn hook(secrets: &[&str], allow_from: &[&str]) -> Hook {
        Hook {
            secrets: secrets.iter().map(|s| s.to_string()).collect(),
            allow_from: allow_from.iter().map(|n| n.parse().unwrap()).collect(),
        }
    }

    fn push<'a>(timestamp: &'a str, signature: &'a str, body: &'a [u8]) -> Push<'a> {
        Push {
            adapter_id: "market-supervision",
            timestamp: Some(timestamp),
            signature: Some(signature),
            body,
            peer: Some("127.0.0.1".parse().unwrap()),
        }
    }

    #[test]
    fn a_push_signed_with_either_secret_within_the_window_passes() {
        let hook = hook(&[SECRET, "the-next-secret-of-at-least-32-characters"], &[]);
        let ts = (NOW - 299).to_string();
        for secret in &hook.secrets {
            let sig = sign(secret, &ts, b"<BJZTTZ/>");
            assert!(check(Some(&hook), &push(&ts, &sig, b"<BJZTTZ/>"), NOW).is_ok());
        }
    }

    #[test]
    fn every_forgery_is_refused_for_its_own_reason() {
        let hook = hook(&[SECRET], &[]);
        let ts = NOW.to_string();
        let sig = sign(SECRET, &ts, b"body");
        let refused = |p: Push<'_>, h: Option<&Hook>| check(h, &p, NOW).unwrap_err();
        assert_eq!(
            refused(push(&ts, &sig, b"body"), None),
            Refusal::NotConfigured
        );
        assert_eq!(
            refused(push(&ts, &sig, b"bodY"), Some(&hook)),
            Refusal::WrongSignature
        );
        let other = sign("another-secret-of-at-least-32-characters", &ts, b"body");
        assert_eq!(
            refused(push(&ts, &other, b"body"), Some(&hook)),
            Refusal::WrongSignature
        );
        let old = (NOW - 301).to_string();
        let old_sig = sign(SECRET, &old, b"body");
        assert_eq!(
            refused(push(&old, &old_sig, b"body"), Some(&hook)),
            Refusal::Stale(301)
        );
        let future = (NOW + 400).to_string();
        let future_sig = sign(SECRET, &future, b"body");
        assert_eq!(
            refused(push(&future, &future_sig, b"body"), Some(&hook)),
            Refusal::Stale(-400)
        );
        assert_eq!(
            refused(push("-5", &sig, b"body"), Some(&hook)),
            Refusal::BadTimestamp
        );
        assert_eq!(
            refused(push(&ts, "sha1=abcd", b"body"), Some(&hook)),
            Refusal::BadSignature
        );
        let mut unsigned = push(&ts, &sig, b"body");
        unsigned.signature = None;
        assert_eq!(refused(unsigned, Some(&hook)), Refusal::Unsigned);
        // The timestamp is part of what is signed.
        let shifted = (NOW - 1).to_string();
        assert_eq!(
            refused(push(&shifted, &sig, b"body"), Some(&hook)),
            Refusal::WrongSignature
        );
    }

    #[test]
    fn only_allowed_networks_may_push() {
        let hook = hook(&[SECRET], &["10.8.0.0/16"]);
        let ts = NOW.to_string();
        let sig = sign(SECRET, &ts, b"b");
        assert_eq!(
            check(Some(&hook), &push(&ts, &sig, b"b"), NOW).unwrap_err(),
            Refusal::SourceNotAllowed("127.0.0.1".into())
        );
        let mut inside = push(&ts, &sig, b"b");
        inside.peer = Some("10.8.3.4".parse().unwrap());
        assert!(check(Some(&hook), &inside, NOW).is_ok());
        inside.peer = None;
        assert!(check(Some(&hook), &inside, NOW).is_err());
    }

    #[test]
    fn the_signature_is_what_openssl_computes() {
        // printf '%s' '1700000000.hello' | openssl dgst -sha256 -hmac key -hex
        assert_eq!(
            sign("key", "1700000000", b"hello"),
            "sha256=4d583a269f4f276a3fa80ff31b5a01879a848096983222a17893d198418939aa"
        );
    }
}
