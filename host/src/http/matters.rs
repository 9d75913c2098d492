//! `/api/v1/matters` and `/api/v1/themes`: the catalogue. It is public: the
//! web, phones and the window read the very same data, without a token
//! (同源发布). Each answer carries an `ETag`, so a cache or a phone asks again
//! with `If-None-Match` and gets `304` while nothing changed.

#![allow(unused_qualifications)]

use sha2::{Digest as _, Sha256};

use super::*;

/// How long a cache may keep a catalogue answer before asking again.
const CACHE_CONTROL: &str = "public, max-age=60";

/// `value` as JSON with its entity tag, or `304 Not Modified` when the request's
/// `If-None-Match` names that tag (or is `*`).
fn cacheable<T: Serialize>(request: &HeaderMap, value: &T) -> Response {
    let body = match serde_json::to_vec(value) {
        Ok(body) => body,
        Err(e) => {
            return ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                format!("the catalogue could not be written as JSON: {e}"),
            )
            .into_response();
        }
    };
    let tag = format!("\"{}\"", hex::encode(&Sha256::digest(&body)[..16]));
    let fresh = request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == tag);
    let headers = [
        (header::ETAG, tag),
        (header::CACHE_CONTROL, CACHE_CONTROL.to_owned()),
    ];
    if fresh {
        (StatusCode::NOT_MODIFIED, headers).into_response()
    } else {
        (headers, [(header::CONTENT_TYPE, "application/json")], body).into_response()
    }
}

/// Searches the matter catalogue. Public: no token needed. Send the `ETag` of
/// an earlier answer as `If-None-Match` to get `304` while it is unchanged.
#[utoipa::path(get, path = "/api/v1/matters", tag = "matters",
    params(MatterQuery, IfNoneMatch),
    responses(
        (status = OK, body = Items<CatalogueMatter>, headers(
            ("ETag" = String, description = "The answer's entity tag"),
            ("Cache-Control" = String, description = "public, max-age=60"))),
        (status = NOT_MODIFIED, description = "Unchanged since the ETag sent as If-None-Match"),
        QueryErrors,
    ))]
pub(super) async fn list_matters(
    State(platform): State<Platform>,
    headers: HeaderMap,
    Params(query): Params<MatterQuery>,
) -> ApiResult<Response> {
    let matters: Items<CatalogueMatter> = platform.matters(&query).await?.into();
    Ok(cacheable(&headers, &matters))
}

/// One matter with its full guide. Public: no token needed; cacheable as the list is.
#[utoipa::path(get, path = "/api/v1/matters/{code}", tag = "matters",
    params(("code" = String, Path, description = "The matter code, e.g. 330122-SCJG-XK-001"), IfNoneMatch),
    responses(
        (status = OK, body = CatalogueMatter, headers(
            ("ETag" = String, description = "The answer's entity tag"),
            ("Cache-Control" = String, description = "public, max-age=60"))),
        (status = NOT_MODIFIED, description = "Unchanged since the ETag sent as If-None-Match"),
        (status = NOT_FOUND, body = ErrorBody),
    ))]
pub(super) async fn get_matter(
    State(platform): State<Platform>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> ApiResult<Response> {
    Ok(cacheable(&headers, &platform.matter(&code).await?))
}

/// The 一件事 themes. Public: no token needed; cacheable as the matters are.
#[utoipa::path(get, path = "/api/v1/themes", tag = "matters",
    params(IfNoneMatch),
    responses(
        (status = OK, body = Items<Theme>, headers(
            ("ETag" = String, description = "The answer's entity tag"),
            ("Cache-Control" = String, description = "public, max-age=60"))),
        (status = NOT_MODIFIED, description = "Unchanged since the ETag sent as If-None-Match"),
    ))]
pub(super) async fn list_themes(State(platform): State<Platform>, headers: HeaderMap) -> Response {
    let themes: Items<Theme> = platform.config.themes.clone().into();
    cacheable(&headers, &themes)
}

/// The conditional request header of the catalogue's answers.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // Read from the headers by `cacheable`; here for the document.
pub(super) struct IfNoneMatch {
    /// The `ETag` of an answer kept from before.
    #[serde(rename = "If-None-Match")]
    #[param(rename = "If-None-Match")]
    if_none_match: Option<String>,
}
