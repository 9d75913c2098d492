//! Signing in to the front end: an account is a `[[tokens]]` entry, its name the
//! account and its token the password. A session is kept in the database, so
//! every replica knows it and signing out ends it everywhere; it ends after
//! [`IDLE`] without a request or [`LONGEST`] after signing in, and is named by
//! a random cookie that scripts cannot read and other sites cannot send (and
//! that travels only over HTTPS when `public-url` is an `https` address). The
//! database keeps only the cookie's sha256.

use std::collections::HashMap;
use std::time::Duration;

use axum::Form;
use axum::extract::{
    ConnectInfo, Extension, FromRequestParts, OptionalFromRequestParts, Query, State,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use rand::RngCore as _;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use sqlx::Row as _;

use super::{Page, page};
use crate::config::Role;
use crate::platform::sign_in::{Channel, Refusal};
use crate::platform::{Platform, PlatformError};
use crate::store;

/// A session ends after this long without a request.
pub const IDLE: Duration = Duration::from_secs(30 * 60);
/// And at the latest this long after signing in (a working day).
pub const LONGEST: Duration = Duration::from_secs(10 * 60 * 60);
/// A session's last request is written down at most this often.
const SEEN_EVERY: Duration = Duration::from_secs(60);
pub(super) const COOKIE: &str = "onewindow_session";

/// Who is signed in: a token's holder and role.
#[derive(Debug, Clone, serde::Serialize)]
pub struct User {
    pub name: String,
    #[serde(serialize_with = "role_name")]
    pub role: Role,
    /// The department of a department's staff, as their token names it.
    pub department: Option<String>,
}

impl User {
    /// How the audit log and the timeline name this person: as the API does.
    pub fn actor(&self) -> String {
        crate::platform::actor(self.role, &self.name)
    }
}

fn role_name<S: serde::Serializer>(role: &Role, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(role.as_str())
}

/// The sessions of every replica, in the database.
pub(super) struct Sessions<'a>(pub(super) &'a Platform);

pub(super) fn digest(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

fn ago(now: chrono::DateTime<chrono::Utc>, span: Duration) -> String {
    store::timestamp(now - chrono::Duration::from_std(span).expect("a short span"))
}

/// A live session's row: its account, role and details (an applicant's identity).
pub(super) struct Held {
    pub account: String,
    pub role: String,
    pub details: Option<String>,
}

impl Sessions<'_> {
    /// Opens a session for `account` in `role` and gives its cookie value;
    /// ended sessions are removed on the way.
    pub(super) async fn open(
        &self,
        account: &str,
        role: &str,
        details: Option<&str>,
    ) -> Result<String, PlatformError> {
        let mut id = [0u8; 32];
        rand::rng().fill_bytes(&mut id);
        let id = hex::encode(id);
        let now = chrono::Utc::now();
        let mut tx = self.0.store.begin().await?;
        sqlx::query("DELETE FROM sessions WHERE last_seen_at < $1 OR signed_in_at < $2")
            .bind(ago(now, IDLE))
            .bind(ago(now, LONGEST))
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (id_sha256, account, role, details, signed_in_at, last_seen_at) \
             VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(digest(&id))
        .bind(account)
        .bind(role)
        .bind(details)
        .bind(store::timestamp(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await.map_err(PlatformError::from)?;
        Ok(id)
    }

    /// Session `id`, if it is still live; the request renews it.
    pub(super) async fn find(&self, id: &str) -> Result<Option<Held>, PlatformError> {
        let now = chrono::Utc::now();
        let key = digest(id);
        let row = sqlx::query(
            "SELECT account, role, details, last_seen_at FROM sessions \
             WHERE id_sha256 = $1 AND last_seen_at >= $2 AND signed_in_at >= $3",
        )
        .bind(&key)
        .bind(ago(now, IDLE))
        .bind(ago(now, LONGEST))
        .fetch_optional(self.0.store.pool())
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let seen: String = row.try_get(3)?;
        if seen < ago(now, SEEN_EVERY) {
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_sha256 = $2")
                .bind(store::timestamp(now))
                .bind(&key)
                .execute(self.0.store.writer())
                .await?;
        }
        Ok(Some(Held {
            account: row.try_get(0)?,
            role: row.try_get(1)?,
            details: row.try_get(2)?,
        }))
    }

    /// The user of session `id`, if it is still live and its account still
    /// holds that role.
    async fn user(&self, id: &str) -> Result<Option<User>, PlatformError> {
        let Some(held) = self.find(id).await? else {
            return Ok(None);
        };
        // An applicant's session is no window user's, whatever cookie carries it.
        let Some(role) = Role::from_name(&held.role) else {
            return Ok(None);
        };
        // An account the operator has since removed, or moved to another role, is signed out.
        let Some(token) = self
            .0
            .config
            .tokens
            .iter()
            .find(|t| t.name == held.account && t.role == role)
        else {
            return Ok(None);
        };
        Ok(Some(User {
            name: held.account,
            role,
            department: token.department.clone(),
        }))
    }

    pub(super) async fn close(&self, id: &str) -> Result<(), PlatformError> {
        sqlx::query("DELETE FROM sessions WHERE id_sha256 = $1")
            .bind(digest(id))
            .execute(self.0.store.writer())
            .await?;
        Ok(())
    }
}

/// The session cookie (`value` empty: the one that removes it).
fn session_cookie(platform: &Platform, value: String) -> Cookie<'static> {
    cookie(platform, COOKIE, value, SameSite::Strict)
}

/// A cookie of this site that scripts cannot read, sent only over HTTPS when
/// `public-url` is an `https` address.
pub(super) fn cookie(
    platform: &Platform,
    name: &'static str,
    value: String,
    same_site: SameSite,
) -> Cookie<'static> {
    let secure = platform
        .config
        .public_url
        .as_deref()
        .is_some_and(|url| url.starts_with("https://"));
    Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(same_site)
        .build()
}

pub(super) fn unavailable(e: &PlatformError) -> Response {
    tracing::error!("reading the sessions: {e}");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        axum::response::Html("平台暂时无法读取登录状态，请稍后重试。"),
    )
        .into_response()
}

/// Pages other than the sign-in page need a user; without one, the browser is
/// sent to sign in and brought back afterwards.
impl FromRequestParts<Platform> for User {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &Platform) -> Result<Self, Response> {
        if let Some(user) =
            <User as OptionalFromRequestParts<Platform>>::from_request_parts(parts, state).await?
        {
            return Ok(user);
        }
        let next = parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
        let to = format!(
            "/login?{}",
            serde_urlencoded::to_string([("next", &next)]).unwrap_or_default()
        );
        if parts.headers.contains_key("hx-request") {
            // htmx follows this header with a full page load.
            let mut headers = HeaderMap::new();
            headers.insert("hx-redirect", HeaderValue::from_str(&to).expect("ascii"));
            return Err((StatusCode::UNAUTHORIZED, headers).into_response());
        }
        Err(Redirect::to(&to).into_response())
    }
}

impl OptionalFromRequestParts<Platform> for User {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Platform,
    ) -> Result<Option<Self>, Response> {
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(cookie) = jar.get(COOKIE) else {
            return Ok(None);
        };
        Sessions(state)
            .user(cookie.value())
            .await
            .map_err(|e| unavailable(&e))
    }
}

/// A signed-in user of one of some roles: pages for them take it, and anyone
/// else gets a page saying who may use them.
macro_rules! role {
    ($(#[$doc:meta])* $name:ident, $($role:expr),+) => {
        $(#[$doc])*
        pub struct $name(pub User);

        impl FromRequestParts<Platform> for $name {
            type Rejection = Response;

            async fn from_request_parts(
                parts: &mut Parts,
                state: &Platform,
            ) -> Result<Self, Response> {
                let user = <User as FromRequestParts<Platform>>::from_request_parts(parts, state)
                    .await?;
                let roles = [$($role),+];
                if !roles.contains(&user.role) {
                    return Err(super::error_page(
                        StatusCode::FORBIDDEN,
                        &user,
                        &format!(
                            "此功能仅限{}使用；您以{}身份登录。",
                            roles.map(super::role_label).join("或"),
                            super::role_label(user.role)
                        ),
                    ));
                }
                Ok($name(user))
            }
        }
    };
}

role!(
    /// A signed-in clerk.
    Clerk,
    Role::Clerk
);
role!(
    /// A signed-in operator.
    Operator,
    Role::Operator
);
role!(
    /// Anyone signed in who reads cases: all but a department's staff.
    CaseReader,
    Role::Clerk,
    Role::Operator,
    Role::Auditor,
    Role::Supervisor
);
role!(
    /// A signed-in supervisor (督查).
    Supervisor,
    Role::Supervisor
);
role!(
    /// Who handles 差评 follow-ups and complaints: a supervisor, or a
    /// department's staff (their department's only).
    Overseer,
    Role::Supervisor,
    Role::Department
);

#[derive(Deserialize)]
pub struct Next {
    #[serde(default)]
    next: Option<String>,
}

/// Only paths of this site: one `/` and then no `/` or `\\` (never `//host`,
/// which browsers read as another site), and no control character or space
/// (browsers drop a tab, which makes `/\t/host` into `//host`).
fn safe_next(next: Option<&str>, role: Role) -> String {
    let local = |n: &&str| {
        n.starts_with('/')
            && !n[1..].starts_with(['/', '\\'])
            && !n
                .chars()
                .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    };
    match next.filter(local) {
        Some(n) => n.to_owned(),
        None if role == Role::Operator => "/admin".to_owned(),
        None if matches!(role, Role::Supervisor | Role::Department) => "/supervision".to_owned(),
        None => "/".to_owned(),
    }
}

/// `GET /login`.
pub async fn login_page(Query(next): Query<Next>) -> Response {
    page(Page::new("login.html", None).with("next", next.next.unwrap_or_default()))
}

#[derive(Deserialize)]
pub struct Credentials {
    account: String,
    password: String,
    #[serde(default)]
    next: Option<String>,
}

/// `POST /login`: the account is a token's name, the password its token.
pub async fn login(
    State(platform): State<Platform>,
    peer: Option<Extension<ConnectInfo<std::net::SocketAddr>>>,
    jar: CookieJar,
    Form(form): Form<Credentials>,
) -> Response {
    let account = form.account.trim();
    let peer = peer.map(|Extension(ConnectInfo(addr))| addr.ip());
    let refused = |status: StatusCode, message: String| {
        let mut errors = HashMap::new();
        errors.insert("password", message);
        let mut response = page(
            Page::new("login.html", None)
                .with("next", form.next.clone().unwrap_or_default())
                .with("account", account)
                .with("errors", errors),
        );
        *response.status_mut() = status;
        response
    };
    if account.is_empty() || form.password.is_empty() {
        return refused(StatusCode::UNAUTHORIZED, "请输入账号和口令。".into());
    }
    let token = match platform
        .sign_in(Channel::Window, Some(account), &form.password, peer)
        .await
    {
        Ok(token) => token,
        Err(Refusal::Wrong) => {
            return refused(StatusCode::UNAUTHORIZED, "账号或口令不正确。".into());
        }
        Err(Refusal::Locked(wait)) => {
            let seconds = wait.as_secs() + 1;
            let mut response = refused(
                StatusCode::TOO_MANY_REQUESTS,
                format!("口令错误次数过多，该账号已暂时锁定，请 {seconds} 秒后再试。"),
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, seconds.into());
            return response;
        }
    };
    let user = User {
        name: token.name.clone(),
        role: token.role,
        department: token.department.clone(),
    };
    let id = match Sessions(&platform)
        .open(&user.name, user.role.as_str(), None)
        .await
    {
        Ok(id) => id,
        Err(e) => return unavailable(&e),
    };
    tracing::info!(actor = %user.name, role = %user.role, "signed in to the front end");
    let to = safe_next(form.next.as_deref(), user.role);
    (jar.add(session_cookie(&platform, id)), Redirect::to(&to)).into_response()
}

/// `POST /logout`: ends the session on every replica.
pub async fn logout(State(platform): State<Platform>, jar: CookieJar) -> Response {
    if let Some(cookie) = jar.get(COOKIE)
        && let Err(e) = Sessions(&platform).close(cookie.value()).await
    {
        return unavailable(&e);
    }
    let gone = session_cookie(&platform, String::new());
    (jar.remove(gone), Redirect::to("/login")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_signing_in() {
        assert_eq!(
            safe_next(Some("/cases?status=accepted"), Role::Clerk),
            "/cases?status=accepted"
        );
        for foreign in [
            "//evil.example/",
            "/\\evil.example/",
            "/\t/evil.example/",
            "/\n/evil.example/",
            "/ /evil.example/",
            "\\\\evil.example",
            "https://evil.example/",
            "",
        ] {
            assert_eq!(safe_next(Some(foreign), Role::Clerk), "/", "{foreign:?}");
        }
        assert_eq!(
            safe_next(Some("https://evil.example/"), Role::Operator),
            "/admin"
        );
        assert_eq!(safe_next(None, Role::Clerk), "/");
    }
}
