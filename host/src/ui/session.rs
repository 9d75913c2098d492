//! Signing in to the front end: an account is a `[[tokens]]` entry, its name the
//! account and its token the password. A session lives in this process only (a
//! restart signs everybody out), ends after [`IDLE`] without a request or
//! [`LONGEST`] after signing in, and is named by a random cookie that scripts
//! cannot read and other sites cannot send.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Form;
use axum::extract::{Extension, FromRequestParts, OptionalFromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use rand::RngCore as _;
use serde::Deserialize;

use super::{Page, page};
use crate::config::Role;
use crate::platform::Platform;

/// A session ends after this long without a request.
pub const IDLE: Duration = Duration::from_secs(30 * 60);
/// And at the latest this long after signing in (a working day).
pub const LONGEST: Duration = Duration::from_secs(10 * 60 * 60);
const COOKIE: &str = "onewindow_session";

/// The signed-in sessions of this process.
#[derive(Default)]
pub struct Sessions {
    open: Mutex<HashMap<String, Session>>,
}

struct Session {
    user: User,
    signed_in: Instant,
    last_seen: Instant,
}

/// Who is signed in: a token's holder and role.
#[derive(Debug, Clone, serde::Serialize)]
pub struct User {
    pub name: String,
    #[serde(serialize_with = "role_name")]
    pub role: Role,
}

fn role_name<S: serde::Serializer>(role: &Role, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(role.as_str())
}

impl Sessions {
    fn open(&self, user: User) -> String {
        let mut id = [0u8; 32];
        rand::rng().fill_bytes(&mut id);
        let id = hex::encode(id);
        let now = Instant::now();
        let mut open = self.open.lock().expect("sessions lock");
        open.retain(|_, s| live(s, now));
        open.insert(
            id.clone(),
            Session {
                user,
                signed_in: now,
                last_seen: now,
            },
        );
        id
    }

    /// The user of session `id`, if it is still live; the request renews it.
    fn user(&self, id: &str) -> Option<User> {
        let now = Instant::now();
        let mut open = self.open.lock().expect("sessions lock");
        let session = open.get_mut(id)?;
        if !live(session, now) {
            open.remove(id);
            return None;
        }
        session.last_seen = now;
        Some(session.user.clone())
    }

    fn close(&self, id: &str) {
        self.open.lock().expect("sessions lock").remove(id);
    }
}

fn live(session: &Session, now: Instant) -> bool {
    now.duration_since(session.last_seen) < IDLE && now.duration_since(session.signed_in) < LONGEST
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
        let Extension(sessions) =
            <Extension<Arc<Sessions>> as FromRequestParts<Platform>>::from_request_parts(
                parts, state,
            )
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(jar.get(COOKIE).and_then(|c| sessions.user(c.value())))
    }
}

/// A signed-in user of one role: pages for that role take it, and anyone else
/// gets a page saying who may use them.
macro_rules! role {
    ($(#[$doc:meta])* $name:ident, $role:expr) => {
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
                if user.role != $role {
                    return Err(super::error_page(
                        StatusCode::FORBIDDEN,
                        &user,
                        &format!(
                            "此功能仅限{}使用；您以{}身份登录。",
                            super::role_label($role),
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

#[derive(Deserialize)]
pub struct Next {
    #[serde(default)]
    next: Option<String>,
}

/// Only paths of this site: never another site, never `//host`.
fn safe_next(next: Option<&str>, role: Role) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") => {
            n.to_owned()
        }
        _ if role == Role::Operator => "/admin".to_owned(),
        _ => "/".to_owned(),
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
    Extension(sessions): Extension<Arc<Sessions>>,
    jar: CookieJar,
    Form(form): Form<Credentials>,
) -> Response {
    let account = form.account.trim();
    let token = platform
        .config
        .token(&form.password)
        .filter(|t| t.name == account);
    let Some(token) = token else {
        tracing::info!("a sign-in to the front end failed");
        let mut errors = HashMap::new();
        let message = if account.is_empty() || form.password.is_empty() {
            "请输入账号和口令。"
        } else {
            "账号或口令不正确。"
        };
        errors.insert("password", message);
        let mut response = page(
            Page::new("login.html", None)
                .with("next", form.next.unwrap_or_default())
                .with("account", account)
                .with("errors", errors),
        );
        *response.status_mut() = StatusCode::UNAUTHORIZED;
        return response;
    };
    let user = User {
        name: token.name.clone(),
        role: token.role,
    };
    tracing::info!(actor = %user.name, role = %user.role, "signed in to the front end");
    let to = safe_next(form.next.as_deref(), user.role);
    let cookie = Cookie::build((COOKIE, sessions.open(user)))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .build();
    (jar.add(cookie), Redirect::to(&to)).into_response()
}

/// `POST /logout`.
pub async fn logout(Extension(sessions): Extension<Arc<Sessions>>, jar: CookieJar) -> Response {
    if let Some(cookie) = jar.get(COOKIE) {
        sessions.close(cookie.value());
    }
    let gone = Cookie::build((COOKIE, "")).path("/").build();
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
        assert_eq!(safe_next(Some("//evil.example/"), Role::Clerk), "/");
        assert_eq!(
            safe_next(Some("https://evil.example/"), Role::Operator),
            "/admin"
        );
        assert_eq!(safe_next(None, Role::Clerk), "/");
    }

    #[test]
    fn sessions_end_when_closed() {
        let sessions = Sessions::default();
        let id = sessions.open(User {
            name: "窗口一号".into(),
            role: Role::Clerk,
        });
        assert_eq!(sessions.user(&id).unwrap().name, "窗口一号");
        assert!(sessions.user("not-a-session").is_none());
        sessions.close(&id);
        assert!(sessions.user(&id).is_none());
    }

    #[test]
    fn idle_sessions_are_not_live() {
        let now = Instant::now();
        let Some(long_ago) = now.checked_sub(IDLE + Duration::from_secs(1)) else {
            return; // the machine has not been up that long
        };
        let session = Session {
            user: User {
                name: "x".into(),
                role: Role::Clerk,
            },
            signed_in: long_ago,
            last_seen: long_ago,
        };
        assert!(!live(&session, now));
        let fresh = Session {
            last_seen: now,
            ..session
        };
        assert!(
            live(&fresh, now),
            "signed in long ago but active, within a working day"
        );
    }
}
