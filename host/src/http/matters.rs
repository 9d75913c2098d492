//! `/api/v1/matters` and `/api/v1/themes`: the catalogue.

#![allow(unused_qualifications)]

use super::*;

/// Searches the matter catalogue. Roles: any.
#[utoipa::path(get, path = "/api/v1/matters", tag = "matters", security(("bearer" = [])),
    params(MatterQuery),
    responses((status = OK, body = Items<CatalogueMatter>), QueryErrors, Refusals))]
pub(super) async fn list_matters(
    _: Caller,
    State(platform): State<Platform>,
    Params(query): Params<MatterQuery>,
) -> ApiResult<Json<Items<CatalogueMatter>>> {
    Ok(Json(platform.matters(&query).await?.into()))
}

/// One matter with its full guide. Roles: any.
#[utoipa::path(get, path = "/api/v1/matters/{code}", tag = "matters", security(("bearer" = [])),
    params(("code" = String, Path, description = "The matter code, e.g. 330122-SCJG-XK-001")),
    responses(
        (status = OK, body = CatalogueMatter),
        (status = NOT_FOUND, body = ErrorBody),
        Refusals,
    ))]
pub(super) async fn get_matter(
    _: Caller,
    State(platform): State<Platform>,
    Path(code): Path<String>,
) -> ApiResult<Json<CatalogueMatter>> {
    Ok(Json(platform.matter(&code).await?))
}

/// The 一件事 themes. Roles: any.
#[utoipa::path(get, path = "/api/v1/themes", tag = "matters", security(("bearer" = [])),
    responses((status = OK, body = Items<Theme>), Refusals))]
pub(super) async fn list_themes(
    _: Caller,
    State(platform): State<Platform>,
) -> ApiResult<Json<Items<Theme>>> {
    Ok(Json(platform.config.themes.clone().into()))
}
