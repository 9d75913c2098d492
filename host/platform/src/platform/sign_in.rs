//! Signing in, by the window's form or by a bearer token, with limits on
//! guessing:
//!
//! - an account is locked for a minute after [`ACCOUNT_FAILURES`] wrong
//!   passwords; while locked even the right password is refused (`429`), so a
//!   guess that happens to be right is worth nothing;
//! - an address that made [`ADDRESS_FAILURES`] failed sign-ins or presented as
//!   many unknown tokens within a minute gets `429` for every further wrong
//!   one, unaudited. A known token still passes: behind a proxy many users
//!   share one address, and a guesser must not lock them all out.
//!
//! Every failure is logged and audited with the account and the address (never
//! the secret), and so is each lock; the failures past a lock are only counted
//! in `/metrics`, so a flood cannot fill the audit log.
//!
//! The counts live in the serving process: behind several replicas an attacker
//! gets the limits once per replica, which still bounds guessing to a handful
//! per minute against 128-bit tokens.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::Platform;
use crate::audit::NewEntry;
use crate::config::Token;
use crate::store;

/// Wrong passwords for one account within [`WINDOW`] that lock it.
pub const ACCOUNT_FAILURES: usize = 5;
/// Failed sign-ins or unknown tokens from one address within [`WINDOW`] that lock it.
pub const ADDRESS_FAILURES: usize = 20;
/// How far back failures count, and so how long a lock lasts at most.
pub const WINDOW: Duration = Duration::from_secs(60);
/// The most accounts and addresses tracked; past it the oldest are forgotten.
const TRACKED: usize = 100_000;

/// Where a sign-in was tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// The window's sign-in form (account and password).
    Window,
    /// A bearer token on the API.
    Api,
}

impl Channel {
    fn as_str(self) -> &'static str {
        match self {
            Channel::Window => "window",
            Channel::Api => "api",
        }
    }
}

/// Why a sign-in was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No such account or token, or the wrong password.
    Wrong,
    /// Too many failures lately; try again after this long.
    Locked(Duration),
}

/// Failed sign-ins of the last [`WINDOW`], by account and by address.
#[derive(Debug, Default)]
pub struct Failures {
    recent: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Failures {
    /// How long `key` stays locked, if it has `limit` failures within the window.
    fn locked(&self, key: &str, limit: usize, now: Instant) -> Option<Duration> {
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        let times = recent.get_mut(key)?;
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            times.pop_front();
        }
        if times.is_empty() {
            recent.remove(key);
            return None;
        }
        (times.len() >= limit).then(|| WINDOW - now.duration_since(times[0]))
    }

    /// Counts a failure of `key`; true when it is the one that locks it.
    fn fail(&self, key: String, limit: usize, now: Instant) -> bool {
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        if recent.len() >= TRACKED && !recent.contains_key(&key) {
            recent.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < WINDOW)
            });
            if recent.len() >= TRACKED {
                return false;
            }
        }
        let times = recent.entry(key).or_default();
        times.push_back(now);
        if times.len() > limit {
            times.pop_front();
        }
        times.len() == limit
    }
}

impl Platform {
    /// The token `secret` is, if the sign-in is allowed: on the window with the
    /// token's name as `account`, on the API with no account.
    pub async fn sign_in(
        &self,
        channel: Channel,
        account: Option<&str>,
        secret: &str,
        peer: Option<IpAddr>,
    ) -> Result<&Token, Refusal> {
        let now = Instant::now();
        let address = peer.map(|ip| ip.to_string());
        let account_key = account.map(|a| format!("account:{a}"));
        let address_key = address.as_ref().map(|a| format!("address:{a}"));
        let refuse = |wait: Duration| {
            metrics::counter!("onewindow_sign_ins_refused_total", "channel" => channel.as_str(), "reason" => "locked")
                .increment(1);
            tracing::debug!(
                channel = channel.as_str(),
                account,
                address,
                "sign-in refused while locked"
            );
            Err(Refusal::Locked(wait))
        };
        // A locked account is refused even the right password.
        if let Some(wait) = account_key
            .as_deref()
            .and_then(|key| self.failures.locked(key, ACCOUNT_FAILURES, now))
        {
            return refuse(wait);
        }
        let token = self
            .config
            .token(secret)
            .filter(|t| account.is_none_or(|a| t.name == a));
        if let Some(token) = token {
            return Ok(token);
        }
        // A locked address is refused only wrong secrets: behind a proxy many
        // users share one address, and a guesser must not lock them all out.
        if let Some(wait) = address_key
            .as_deref()
            .and_then(|key| self.failures.locked(key, ADDRESS_FAILURES, now))
        {
            return refuse(wait);
        }
        metrics::counter!("onewindow_sign_ins_refused_total", "channel" => channel.as_str(), "reason" => "wrong")
            .increment(1);
        let mut locks = Vec::new();
        if let Some(key) = account_key
            && self.failures.fail(key, ACCOUNT_FAILURES, now)
        {
            locks.push("account");
        }
        if let Some(key) = address_key
            && self.failures.fail(key, ADDRESS_FAILURES, now)
        {
            locks.push("address");
        }
        tracing::warn!(
            channel = channel.as_str(),
            account,
            address,
            locked = ?locks,
            "a sign-in failed"
        );
        let subject = account.unwrap_or("bearer token").to_owned();
        let mut entries = vec![("sign_in.failed", serde_json::Value::Null)];
        entries.extend(locks.iter().map(|what| {
            (
                "sign_in.locked",
                serde_json::json!({"locked": what, "for_seconds": WINDOW.as_secs()}),
            )
        }));
        for (action, extra) in entries {
            let mut detail = serde_json::json!({"channel": channel.as_str(), "address": address});
            if let (Some(detail), serde_json::Value::Object(extra)) =
                (detail.as_object_mut(), extra)
            {
                detail.extend(extra);
            }
            let entry = NewEntry {
                at: store::now(),
                actor: format!("anonymous:{}", address.as_deref().unwrap_or("unknown")),
                action: action.into(),
                subject: subject.clone(),
                detail,
            };
            if let Err(e) = self.store.audit(entry).await {
                tracing::error!("auditing a failed sign-in: {e}");
            }
        }
        Err(Refusal::Wrong)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_th_failure_locks_until_the_oldest_leaves_the_window() {
        let failures = Failures::default();
        let start = Instant::now();
        for i in 0..ACCOUNT_FAILURES {
            assert_eq!(failures.locked("a", ACCOUNT_FAILURES, start), None);
            let locks = failures.fail(
                "a".into(),
                ACCOUNT_FAILURES,
                start + Duration::from_secs(i as u64),
            );
            assert_eq!(locks, i + 1 == ACCOUNT_FAILURES, "failure {i}");
        }
        let later = start + Duration::from_secs(10);
        assert_eq!(
            failures.locked("a", ACCOUNT_FAILURES, later),
            Some(WINDOW - Duration::from_secs(10))
        );
        assert_eq!(
            failures.locked("b", ACCOUNT_FAILURES, later),
            None,
            "another key is free"
        );
        assert_eq!(failures.locked("a", ACCOUNT_FAILURES, start + WINDOW), None);
    }
}
