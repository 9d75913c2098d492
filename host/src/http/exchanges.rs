//! `/api/v1/admin/exchanges`: the exchange log, for operators.

#![allow(unused_qualifications)]

use super::*;
use crate::platform::exchanges::{self, Entry, Filter};

/// The adapter calls kept in the exchange log, newest first, with what went to
/// each department and what came back (masked). Roles: operator.
#[utoipa::path(get, path = "/api/v1/admin/exchanges", tag = "operations", security(("bearer" = [])),
    params(Filter),
    responses(
        (status = OK, body = Items<Entry>),
        (status = UNPROCESSABLE_ENTITY, description = "`from`, `to` or `limit` cannot be used", body = ErrorBody),
        QueryErrors,
        Refusals,
    ))]
pub(super) async fn list_exchanges(
    _: Caller<Operators>,
    State(platform): State<Platform>,
    Params(filter): Params<Filter>,
) -> ApiResult<Json<Items<Entry>>> {
    Ok(Json(
        exchanges::list(&platform.store, &filter).await?.into(),
    ))
}

/// One adapter call of the exchange log. Roles: operator.
#[utoipa::path(get, path = "/api/v1/admin/exchanges/{id}", tag = "operations", security(("bearer" = [])),
    params(("id" = String, Path, description = "The exchange's number")),
    responses((status = OK, body = Entry), (status = NOT_FOUND, body = ErrorBody), Refusals))]
pub(super) async fn get_exchange(
    _: Caller<Operators>,
    State(platform): State<Platform>,
    Path(id): Path<String>,
) -> ApiResult<Json<Entry>> {
    Ok(Json(entry(&platform, &id).await?))
}

/// The call as an `onewindow adapter test` fixtures folder (`.tar.gz`), to
/// replay it offline: `tar xzf` it and run `onewindow adapter test <package>
/// --fixtures exchange-<id>`. Roles: operator.
#[utoipa::path(get, path = "/api/v1/admin/exchanges/{id}/fixture", tag = "operations", security(("bearer" = [])),
    params(("id" = String, Path, description = "The exchange's number")),
    responses(
        (status = OK, description = "The fixtures folder", body = Vec<u8>, content_type = "application/gzip"),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, description = "The exchange was kept without its bodies (metadata mode)", body = ErrorBody),
        Refusals,
    ))]
pub(super) async fn exchange_fixture(
    caller: Caller<Operators>,
    State(platform): State<Platform>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let entry = entry(&platform, &id).await?;
    let archive = exchanges::fixture_archive(&entry).map_err(PlatformError::Conflict)?;
    tracing::info!(actor = %caller.actor(), exchange = entry.id, "exchange saved as a fixture");
    Ok(fixture_download(entry.id, archive))
}

/// Exchange `id`'s fixtures `archive` as a download, for the API and the console.
pub(crate) fn fixture_download(id: i64, archive: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/gzip".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"exchange-{id}.tar.gz\""),
            ),
        ],
        archive,
    )
        .into_response()
}

/// Exchange `id`; one that is not a number names none either.
async fn entry(platform: &Platform, id: &str) -> Result<Entry, PlatformError> {
    let missing = || PlatformError::NotFound(format!("no exchange {id:?} is kept"));
    let id: i64 = id.parse().map_err(|_| missing())?;
    exchanges::get(&platform.store, id)
        .await?
        .ok_or_else(missing)
}
