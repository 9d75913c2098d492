//! What every page of the front end is guarded by:
//!
//! - **Same origin only.** A form that changes something (any method but
//!   `GET`/`HEAD`) is refused with 403 when the browser says it comes from
//!   another origin (`Sec-Fetch-Site` other than `same-origin`, or an `Origin`
//!   that is not this site's). Other ports of the same host, such as the mock
//!   departments, and sibling subdomains are other origins.
//! - **A token tied to the session.** A request that carries the session
//!   cookie must also carry that session's token: the form field `csrf`, or the
//!   `X-CSRF-Token` header that htmx sends. The token is an HMAC of the
//!   session's cookie, so only a page of this site, served to that session,
//!   can know it. Pages get it as `csrf` (see [`token`]); a handler that reads
//!   a `multipart/form-data` body itself checks the field with [`refuse_field`].
//! - **Security headers** on every answer: a Content-Security-Policy that lets
//!   no inline script run and no other site frame a page, `nosniff`, and a
//!   `Referrer-Policy` that keeps addresses from other sites.
//! - **Banners of the last action** travel in a short-lived cookie signed for
//!   the session ([`flash`]), never in the address, so a link cannot make the
//!   console say what the platform did not.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq as _;

use super::applicant::COOKIE as APPLICANT_COOKIE;
use super::session::COOKIE;

/// The largest url-encoded form the guard reads to find its token.
const FORM_LIMIT: usize = 1024 * 1024;
const FLASH: &str = "onewindow_flash";
/// The longest banner kept in the flash cookie, in characters.
const FLASH_CHARS: usize = 600;

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

tokio::task_local! {
    /// The token of the request being answered, for the pages it renders.
    static TOKEN: Option<String>;
}

/// The token of the session the current request belongs to, if it has one;
/// [`super::page`] gives it to every template as `csrf`.
pub fn token() -> Option<String> {
    TOKEN.try_with(Clone::clone).ok().flatten()
}

fn mac(session: &str, purpose: &str) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(session.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(purpose.as_bytes());
    mac
}

fn session_token(session: &str) -> String {
    hex::encode(&mac(session, "onewindow csrf\0").finalize().into_bytes()[..20])
}

fn same_token(presented: &str, session: &str) -> bool {
    bool::from(
        presented
            .as_bytes()
            .ct_eq(session_token(session).as_bytes()),
    )
}

/// The refusal of a form the handler read itself (multipart) whose `csrf`
/// field is not its session's token; `None` when it may go on.
pub fn refuse_field(field: Option<&str>) -> Option<Response> {
    match (token(), field) {
        (None, _) => None,
        (Some(expected), Some(presented))
            if bool::from(presented.as_bytes().ct_eq(expected.as_bytes())) =>
        {
            None
        }
        _ => Some(refused()),
    }
}

/// The middleware of every page: origin and token checks, then the headers.
pub async fn guard(request: Request, next: Next) -> Response {
    // A clerk's session, or else an applicant's: forms of either need its token.
    let jar = CookieJar::from_headers(request.headers());
    let session = [COOKIE, APPLICANT_COOKIE]
        .iter()
        .filter_map(|name| jar.get(name))
        .map(|c| c.value().to_owned())
        .find(|v| !v.is_empty());
    let token = session.as_deref().map(session_token);
    let mut response = if changes_state(request.method()) {
        match checked(request, session.as_deref()).await {
            Ok(request) => TOKEN.scope(token, next.run(request)).await,
            Err(refusal) => refusal,
        }
    } else {
        TOKEN.scope(token, next.run(request)).await
    };
    secure(response.headers_mut());
    response
}

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The request back if it comes from this site with its session's token.
async fn checked(request: Request, session: Option<&str>) -> Result<Request, Response> {
    if !same_origin(request.headers()) {
        tracing::warn!(
            method = %request.method(),
            path = request.uri().path(),
            origin = ?request.headers().get(header::ORIGIN),
            "a form from another site was refused"
        );
        return Err(refused());
    }
    let Some(session) = session else {
        // Not signed in: the handler asks for a session (or signs one in).
        return Ok(request);
    };
    if let Some(presented) = request.headers().get("x-csrf-token") {
        return match presented.to_str() {
            Ok(p) if same_token(p, session) => Ok(request),
            _ => Err(refused()),
        };
    }
    let media_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if media_type.starts_with("multipart/form-data") {
        // Read by the handler, which checks the field with `refuse_field`.
        return Ok(request);
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, FORM_LIMIT).await else {
        return Err((StatusCode::PAYLOAD_TOO_LARGE, Html("表单过大。")).into_response());
    };
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
    let presented = fields.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v);
    match presented {
        Some(p) if same_token(p, session) => Ok(Request::from_parts(parts, Body::from(bytes))),
        _ => Err(refused()),
    }
}

/// What the browser says of where a request comes from: only this site's own
/// pages may change something. Clients that say nothing (not browsers) pass
/// here and still need the token.
fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return site == "same-origin";
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let (Ok(origin), Some(Ok(host))) = (
        origin.to_str(),
        headers.get(header::HOST).map(HeaderValue::to_str),
    ) else {
        return false;
    };
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(|authority| authority.eq_ignore_ascii_case(host))
}

fn refused() -> Response {
    let mut response = (
        StatusCode::FORBIDDEN,
        Html(
            "<!doctype html><meta charset=utf-8><title>请求被拒绝</title>\
             <p>此操作只能从本平台自己的页面提交。请返回上一页，刷新后重试。</p>",
        ),
    )
        .into_response();
    secure(response.headers_mut());
    response
}

fn secure(headers: &mut HeaderMap) {
    for (name, value) in [
        ("content-security-policy", CSP),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
    ] {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    }
}

/// Adds the banner of an action, as a cookie the next page of this session
/// shows once (see [`take_flash`]); `ok` says whether it reports success.
pub fn flash(jar: CookieJar, ok: bool, message: &str) -> CookieJar {
    let Some(session) = jar.get(COOKIE).map(|c| c.value().to_owned()) else {
        return jar;
    };
    let kind = if ok { "done" } else { "error" };
    let signed = format!(
        "{kind}:{}",
        message.chars().take(FLASH_CHARS).collect::<String>()
    );
    let tag = flash_tag(&session, &signed);
    let value = serde_urlencoded::to_string([("m", &signed), ("t", &tag)]).unwrap_or_default();
    jar.add(
        Cookie::build((FLASH, value))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Strict)
            .build(),
    )
}

fn flash_tag(session: &str, signed: &str) -> String {
    hex::encode(
        mac(session, &format!("onewindow flash\0{signed}"))
            .finalize()
            .into_bytes(),
    )
}

/// The banner of the last action, if this session set it (shown once: the
/// cookie is removed), as `(ok, message)`.
pub fn take_flash(jar: CookieJar) -> (CookieJar, Option<(bool, String)>) {
    let Some(value) = jar.get(FLASH).map(|c| c.value().to_owned()) else {
        return (jar, None);
    };
    let jar = jar.remove(Cookie::build((FLASH, "")).path("/").build());
    let session = jar.get(COOKIE).map(|c| c.value().to_owned());
    let fields: Vec<(String, String)> = serde_urlencoded::from_str(&value).unwrap_or_default();
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let (Some(session), Some(signed), Some(tag)) = (session, field("m"), field("t")) else {
        return (jar, None);
    };
    if !bool::from(flash_tag(&session, signed).as_bytes().ct_eq(tag.as_bytes())) {
        return (jar, None);
    }
    let banner = signed
        .split_once(':')
        .map(|(kind, message)| (kind == "done", message.to_owned()));
    (jar, banner)
}
