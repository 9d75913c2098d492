//! `/api/v1/admin/adapters`: the adapter registry, for operators.

#![allow(unused_qualifications)]

use super::*;

/// Every adapter version: installed in the registry, or loaded from the
/// adapter folder. Roles: operator.
#[utoipa::path(get, path = "/api/v1/admin/adapters", tag = "operations", security(("bearer" = [])),
    responses((status = OK, body = Items<AdapterInfo>), Refusals))]
pub(super) async fn list_adapters(
    _: Caller<Operators>,
    State(platform): State<Platform>,
) -> ApiResult<Json<Items<AdapterInfo>>> {
    Ok(Json(platform.adapter_infos().await?.into()))
}

/// Installs a package (`.tar.gz` from `onewindow adapter pack`): verified,
/// compiled and stored as an inactive version. Roles: operator.
#[utoipa::path(post, path = "/api/v1/admin/adapters", tag = "operations", security(("bearer" = [])),
    request_body(content = Vec<u8>, content_type = "application/gzip",
        description = "The package, as written by `onewindow adapter pack`"),
    responses(
        (status = CREATED, body = InstalledVersion),
        (status = CONFLICT, description = "This id and version is installed with other contents", body = ErrorBody),
        (status = PAYLOAD_TOO_LARGE, body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "The package was refused; `message` says why", body = ErrorBody),
        Refusals,
    ))]
pub(super) async fn install_adapter(
    caller: Caller<Operators>,
    State(platform): State<Platform>,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<(StatusCode, Json<InstalledVersion>)> {
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "the package is larger than this platform accepts",
            )
        } else {
            ApiError::new(e.status(), "bad_request", e.body_text())
        }
    })?;
    let installed = platform.install_package(&body, &caller.actor()).await?;
    Ok((StatusCode::CREATED, Json(installed)))
}

/// Makes an installed version the one serving its adapter; calls in flight
/// finish on the version they started on. Roles: operator.
#[utoipa::path(post, path = "/api/v1/admin/adapters/{id}/activate/{version}", tag = "operations", security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "The adapter id"),
        ("version" = String, Path, description = "An installed version"),
        Activation,
    ),
    responses(
        (status = OK, body = InstalledVersion),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, description = "That version is already active, is lower than the active one without `allow_downgrade=true`, or no longer verifies", body = ErrorBody),
        QueryErrors,
        Refusals,
    ))]
pub(super) async fn activate_adapter(
    caller: Caller<Operators>,
    State(platform): State<Platform>,
    Path((id, version)): Path<(String, String)>,
    Params(activation): Params<Activation>,
) -> ApiResult<Json<InstalledVersion>> {
    Ok(Json(
        platform
            .activate_adapter(&id, &version, &caller.actor(), activation.allow_downgrade)
            .await?,
    ))
}

/// `?allow_downgrade=` of an activation.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct Activation {
    /// Confirms the activation of a version lower than the active one.
    #[serde(default)]
    allow_downgrade: bool,
}

/// Goes back to the version active before the current one. Roles: operator.
#[utoipa::path(post, path = "/api/v1/admin/adapters/{id}/rollback", tag = "operations", security(("bearer" = [])),
    params(("id" = String, Path, description = "The adapter id")),
    responses(
        (status = OK, body = InstalledVersion),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, description = "There is no earlier version to go back to", body = ErrorBody),
        Refusals,
    ))]
pub(super) async fn rollback_adapter(
    caller: Caller<Operators>,
    State(platform): State<Platform>,
    Path(id): Path<String>,
) -> ApiResult<Json<InstalledVersion>> {
    Ok(Json(platform.rollback_adapter(&id, &caller.actor()).await?))
}

/// Switches an adapter off; its cases wait in the outbox. Roles: operator.
#[utoipa::path(post, path = "/api/v1/admin/adapters/{id}/disable", tag = "operations", security(("bearer" = [])),
    params(("id" = String, Path, description = "The adapter id")),
    responses(
        (status = NO_CONTENT, description = "Disabled"),
        (status = CONFLICT, description = "No version of it is active", body = ErrorBody),
        Refusals,
    ))]
pub(super) async fn disable_adapter(
    caller: Caller<Operators>,
    State(platform): State<Platform>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    platform.disable_adapter(&id, &caller.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes an installed version that is not active. Roles: operator.
#[utoipa::path(delete, path = "/api/v1/admin/adapters/{id}/versions/{version}", tag = "operations", security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "The adapter id"),
        ("version" = String, Path, description = "An installed version"),
    ),
    responses(
        (status = NO_CONTENT, description = "Deleted"),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, description = "The version is active", body = ErrorBody),
        Refusals,
    ))]
pub(super) async fn delete_adapter_version(
    caller: Caller<Operators>,
    State(platform): State<Platform>,
    Path((id, version)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    platform
        .delete_adapter_version(&id, &version, &caller.actor())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
