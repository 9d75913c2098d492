//! The applicant's channel (`/my`): residents and enterprises sign in once
//! through the identity platform ([`crate::oidc`]) and see their own page.
//!
//! - `GET /my/login` starts a sign-in: what it must remember (state, nonce,
//!   PKCE verifier, where to go after) is kept in `applicant_sign_ins`, named
//!   by a random cookie, for ten minutes and one use.
//! - `GET /my/callback` is where the identity platform sends the applicant
//!   back: the `state` must be the one this browser's sign-in sent, the code is
//!   exchanged and the ID token verified; then a session opens.
//! - Without a session, every page of `/my` answers 401 with a page that
//!   goes on to sign in (and comes back after).
//! - An applicant's session is a window session's kind (the same table and
//!   lifetimes) with the role `applicant` and its own cookie, so it never
//!   opens a page of the window or the console, and a clerk's never opens one
//!   of these. The cookie is `SameSite=Lax`: the applicant arrives from the
//!   identity platform's site, and forms still need the session's token.

pub(super) mod apply;
pub(super) mod cases;
pub(super) mod licenses;

use std::time::Duration;

use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use rand::RngCore as _;
use serde::Deserialize;
use sqlx::Row as _;
use subtle::ConstantTimeEq as _;

use super::session::{Sessions, cookie, digest, unavailable};
use super::{Page, page};
use crate::oidc::{self, Applicant, Pending, SignInError};
use crate::platform::{Platform, PlatformError};
use crate::store;

/// The applicant's session cookie.
pub(super) const COOKIE: &str = "onewindow_applicant";
/// The cookie naming a sign-in under way.
const SIGN_IN_COOKIE: &str = "onewindow_sign_in";
/// The role of applicants' sessions.
const ROLE: &str = "applicant";
/// How long a sign-in may take at the identity platform.
const SIGN_IN_WITHIN: Duration = Duration::from_secs(10 * 60);
pub(super) const SITE: &str = "网上办事大厅";

/// A signed-in applicant: pages of `/my` take it, and anyone else is sent to
/// sign in and brought back.
pub struct SignedIn(pub Applicant);

impl FromRequestParts<Platform> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, platform: &Platform) -> Result<Self, Response> {
        let jar = CookieJar::from_headers(&parts.headers);
        if let Some(cookie) = jar.get(COOKIE) {
            let held = Sessions(platform)
                .find(cookie.value())
                .await
                .map_err(|e| unavailable(&e))?;
            let applicant = held
                .filter(|held| held.role == ROLE)
                .and_then(|held| held.details)
                .and_then(|details| serde_json::from_str(&details).ok());
            if let Some(applicant) = applicant {
                return Ok(SignedIn(applicant));
            }
        }
        // Back to the page after signing in; a form's address is no page to return to.
        let next = match parts.method {
            Method::GET => parts.uri.path_and_query().map_or("/my", |p| p.as_str()),
            _ => "/my",
        };
        let to = format!(
            "/my/login?{}",
            serde_urlencoded::to_string([("next", next)]).unwrap_or_default()
        );
        if parts.headers.contains_key("hx-request") {
            let mut headers = HeaderMap::new();
            headers.insert("hx-redirect", HeaderValue::from_str(&to).expect("ascii"));
            return Err((StatusCode::UNAUTHORIZED, headers).into_response());
        }
        // 401, as for any request without a session, with a page that goes on
        // to sign in at once (and says where, should the browser not follow).
        let mut response = page(
            Page::new("my_sign_in.html", None)
                .with("site", SITE)
                .with("to", &to),
        );
        *response.status_mut() = StatusCode::UNAUTHORIZED;
        Err(response)
    }
}

/// Only paths under `/my` of this site are followed after signing in.
fn safe_next(next: Option<&str>) -> String {
    next.filter(|n| {
        (*n == "/my" || n.starts_with("/my/") || n.starts_with("/my?"))
            && !n
                .chars()
                .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
            && !n.contains("..")
            && !n.starts_with("/my/login")
            && !n.starts_with("/my/callback")
    })
    .unwrap_or("/my")
    .to_owned()
}

fn sign_in_failed(status: StatusCode, message: &str) -> Response {
    let mut response = page(
        Page::new("my_signed_out.html", None)
            .with("site", SITE)
            .with("message", message),
    );
    *response.status_mut() = status;
    response
}

fn refused(error: SignInError) -> Response {
    match error {
        SignInError::Unavailable(message) => {
            sign_in_failed(StatusCode::SERVICE_UNAVAILABLE, &message)
        }
        SignInError::Refused(message) => sign_in_failed(StatusCode::UNAUTHORIZED, &message),
    }
}

#[derive(Deserialize)]
pub struct Next {
    #[serde(default)]
    next: Option<String>,
}

/// `GET /my/login`: off to the identity platform.
pub async fn login(
    State(platform): State<Platform>,
    jar: CookieJar,
    Query(next): Query<Next>,
) -> Response {
    let Some(config) = platform.config.applicant_sign_in.clone() else {
        return sign_in_failed(
            StatusCode::SERVICE_UNAVAILABLE,
            "本平台尚未接入统一身份认证，暂不能在线办理；请查阅办事指南，或到综合窗口办理。",
        );
    };
    let (url, pending) = match oidc::start(&config, &oidc::http_client()).await {
        Ok(started) => started,
        Err(e) => return refused(e),
    };
    let mut id = [0u8; 32];
    rand::rng().fill_bytes(&mut id);
    let id = hex::encode(id);
    if let Err(e) = remember(&platform, &id, &pending, &safe_next(next.next.as_deref())).await {
        return unavailable(&e);
    }
    let mut sign_in = cookie(&platform, SIGN_IN_COOKIE, id, SameSite::Lax);
    sign_in.set_path("/my/callback");
    (jar.add(sign_in), Redirect::to(&url)).into_response()
}

async fn remember(
    platform: &Platform,
    id: &str,
    pending: &Pending,
    next: &str,
) -> Result<(), PlatformError> {
    let now = chrono::Utc::now();
    let stale = now - chrono::Duration::from_std(SIGN_IN_WITHIN).expect("ten minutes");
    let mut tx = platform.store.begin().await?;
    sqlx::query("DELETE FROM applicant_sign_ins WHERE started_at < $1")
        .bind(store::timestamp(stale))
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO applicant_sign_ins (id_sha256, state, nonce, pkce_verifier, next, started_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(digest(id))
    .bind(&pending.state)
    .bind(&pending.nonce)
    .bind(&pending.pkce_verifier)
    .bind(next)
    .bind(store::timestamp(now))
    .execute(&mut *tx)
    .await?;
    tx.commit().await.map_err(PlatformError::from)
}

/// The sign-in `id` names, taken (it is used once), if it began within
/// [`SIGN_IN_WITHIN`]; with where to go after.
async fn take(platform: &Platform, id: &str) -> Result<Option<(Pending, String)>, PlatformError> {
    let since =
        chrono::Utc::now() - chrono::Duration::from_std(SIGN_IN_WITHIN).expect("ten minutes");
    let row = sqlx::query(
        "DELETE FROM applicant_sign_ins WHERE id_sha256 = $1 AND started_at >= $2 \
         RETURNING state, nonce, pkce_verifier, next",
    )
    .bind(digest(id))
    .bind(store::timestamp(since))
    .fetch_optional(platform.store.writer())
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let pending = Pending {
        state: row.try_get(0)?,
        nonce: row.try_get(1)?,
        pkce_verifier: row.try_get(2)?,
    };
    Ok(Some((pending, row.try_get(3)?)))
}

#[derive(Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /my/callback`: back from the identity platform.
pub async fn callback(
    State(platform): State<Platform>,
    jar: CookieJar,
    Query(answer): Query<Callback>,
) -> Response {
    let Some(config) = platform.config.applicant_sign_in.clone() else {
        return sign_in_failed(
            StatusCode::SERVICE_UNAVAILABLE,
            "本平台尚未接入统一身份认证。",
        );
    };
    let started = match jar.get(SIGN_IN_COOKIE).map(|c| c.value().to_owned()) {
        Some(id) if !id.is_empty() => take(&platform, &id).await,
        _ => Ok(None),
    };
    let mut gone = Cookie::build((SIGN_IN_COOKIE, ""))
        .path("/my/callback")
        .build();
    gone.make_removal();
    let jar = jar.add(gone);
    let (pending, next) = match started {
        Ok(Some(started)) => started,
        Ok(None) => {
            return (
                jar,
                sign_in_failed(
                    StatusCode::BAD_REQUEST,
                    "登录已超时或不是从本浏览器发起的，请重新登录。",
                ),
            )
                .into_response();
        }
        Err(e) => return unavailable(&e),
    };
    if let Some(error) = answer.error {
        tracing::info!(%error, description = ?answer.error_description, "the identity platform ended a sign-in");
        let message = if error == "access_denied" {
            "您在统一身份认证平台取消了登录。".to_owned()
        } else {
            "统一身份认证平台未完成登录，请重新登录。".to_owned()
        };
        return (jar, sign_in_failed(StatusCode::UNAUTHORIZED, &message)).into_response();
    }
    let same_state = answer
        .state
        .as_deref()
        .is_some_and(|s| bool::from(s.as_bytes().ct_eq(pending.state.as_bytes())));
    let (Some(code), true) = (answer.code, same_state) else {
        tracing::warn!("a sign-in came back without its code or with another state");
        return (
            jar,
            sign_in_failed(StatusCode::BAD_REQUEST, "登录回调无效，请重新登录。"),
        )
            .into_response();
    };
    let applicant = match oidc::finish(&config, &oidc::http_client(), code, pending).await {
        Ok(applicant) => applicant,
        Err(e) => return (jar, refused(e)).into_response(),
    };
    let details = serde_json::to_string(&applicant).expect("an applicant serializes");
    let id = match Sessions(&platform)
        .open(applicant.party.id(), ROLE, Some(&details))
        .await
    {
        Ok(id) => id,
        Err(e) => return unavailable(&e),
    };
    tracing::info!(
        applicant = %crate::mask::id_number(applicant.party.id()),
        "an applicant signed in through the identity platform"
    );
    let session = cookie(&platform, COOKIE, id, SameSite::Lax);
    (jar.add(session), Redirect::to(&next)).into_response()
}

/// `GET /my`: who is signed in, and what they can do.
pub async fn home(SignedIn(applicant): SignedIn) -> Response {
    page(
        Page::new("my.html", None)
            .with("site", SITE)
            .with("nav", "my")
            .with("applicant", &applicant),
    )
}

/// `POST /my/logout`: ends the session on every replica.
pub async fn logout(State(platform): State<Platform>, jar: CookieJar) -> Response {
    if let Some(cookie) = jar.get(COOKIE)
        && let Err(e) = Sessions(&platform).close(cookie.value()).await
    {
        return unavailable(&e);
    }
    let gone = cookie(&platform, COOKIE, String::new(), SameSite::Lax);
    (jar.remove(gone), Redirect::to("/services")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_applicants_own_pages_are_followed_after_signing_in() {
        assert_eq!(safe_next(Some("/my")), "/my");
        assert_eq!(safe_next(Some("/my/cases?x=1")), "/my/cases?x=1");
        for elsewhere in [
            "/",
            "/admin",
            "//evil.example/my",
            "/my/../admin",
            "https://evil.example/my",
            "/my/login?next=/admin",
            "/my/callback",
            "/my/\t/x",
            "/myother",
        ] {
            assert_eq!(safe_next(Some(elsewhere)), "/my", "{elsewhere:?}");
        }
        assert_eq!(safe_next(None), "/my");
    }
}
