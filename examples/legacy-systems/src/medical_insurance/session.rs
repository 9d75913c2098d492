//! ASP.NET sessions: `Login` opens one and answers its `ASP.NET_SessionId` cookie;
//! every other operation needs a live one, which lapses after a while without a request.

use std::collections::HashMap;
use std::time::Duration;

use axum::http::{HeaderMap, header};
use rand::Rng as _;
use tokio::time::Instant;

/// The cookie that carries the session.
pub const COOKIE: &str = "ASP.NET_SessionId";

/// How long a session lives without a request, as the protocol has it.
pub const IDLE: Duration = Duration::from_secs(20 * 60);

/// The characters of a session id.
const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// The live sessions and when each was last used.
#[derive(Debug)]
pub struct Sessions {
    idle: Duration,
    live: HashMap<String, Instant>,
}

impl Sessions {
    /// No session yet; each lapses after `idle` without a request.
    pub fn new(idle: Duration) -> Self {
        Self {
            idle,
            live: HashMap::new(),
        }
    }

    /// `SessionTimeoutMinutes`: the idle time in whole minutes, rounded up.
    pub fn timeout_minutes(&self) -> u64 {
        self.idle.as_secs().div_ceil(60).max(1)
    }

    /// Opens a session at `now` and returns its id.
    pub fn open(&mut self, now: Instant) -> String {
        let mut rng = rand::rng();
        loop {
            let id: String = (0..24)
                .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
                .collect();
            if !self.live.contains_key(&id) {
                self.live.insert(id.clone(), now);
                return id;
            }
        }
    }

    /// Whether `id` names a live session at `now`; a live one counts as used now,
    /// a lapsed one is forgotten.
    pub fn touch(&mut self, id: &str, now: Instant) -> bool {
        let Some(last) = self.live.get_mut(id) else {
            return false;
        };
        if now.saturating_duration_since(*last) > self.idle {
            self.live.remove(id);
            tracing::debug!(id, "session lapsed");
            return false;
        }
        *last = now;
        true
    }

    /// Forgets the sessions that lapsed by `now`.
    pub fn prune(&mut self, now: Instant) {
        let idle = self.idle;
        self.live
            .retain(|_, last| now.saturating_duration_since(*last) <= idle);
    }

    /// How many sessions are kept.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.live.len()
    }
}

/// The session id a request's `Cookie` headers carry, if any.
pub fn from_headers(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim())
}

/// The `Set-Cookie` value that hands out session `id`.
pub fn set_cookie(id: &str) -> String {
    format!("{COOKIE}={id}; path=/; HttpOnly")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_lapse_when_idle() {
        let t0 = Instant::now();
        let idle = Duration::from_secs(60);
        let mut sessions = Sessions::new(idle);
        assert_eq!(sessions.timeout_minutes(), 1);
        let id = sessions.open(t0);
        assert_eq!(id.len(), 24);
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        );
        assert!(sessions.touch(&id, t0 + idle));
        assert!(sessions.touch(&id, t0 + idle * 2), "use keeps it alive");
        assert!(!sessions.touch(&id, t0 + idle * 3 + Duration::from_millis(1)));
        assert!(!sessions.touch(&id, t0), "a lapsed session is gone");
        assert!(!sessions.touch("nope", t0));
        let other = sessions.open(t0);
        sessions.prune(t0 + idle * 2);
        assert_eq!(sessions.len(), 0);
        assert!(!sessions.touch(&other, t0));
        assert_eq!(Sessions::new(IDLE).timeout_minutes(), 20);
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, "a=1".parse().unwrap());
        headers.append(
            header::COOKIE,
            "theme=dark; ASP.NET_SessionId=abc123 ; x=y"
                .parse()
                .unwrap(),
        );
        assert_eq!(from_headers(&headers), Some("abc123"));
        assert_eq!(from_headers(&HeaderMap::new()), None);
        assert_eq!(set_cookie("abc"), "ASP.NET_SessionId=abc; path=/; HttpOnly");
    }
}
