//! `/api/v1/licenses`: lookup by holder and verification.

#![allow(unused_qualifications)]

use super::*;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct LicenseQuery {
    /// The holder's resident ID number or unified social credit code.
    holder: String,
    /// The holder's name, if known.
    #[serde(default)]
    name: String,
    /// Ask only this department (its name, e.g. 县公安局) instead of every one.
    #[serde(default)]
    department: Option<String>,
    /// Why the licenses are looked up; recorded in the audit log.
    #[serde(default)]
    purpose: Option<String>,
}

/// Asks every license adapter (or one department's) for the holder's licenses. Roles: clerk.
#[utoipa::path(get, path = "/api/v1/licenses", tag = "licenses", security(("bearer" = [])),
    params(LicenseQuery),
    responses(
        (status = OK, description = "The merged list and the departments that did not answer", body = Lookup),
        QueryErrors,
        (status = UNPROCESSABLE_ENTITY, description = "The holder is neither a valid ID number nor a valid credit code, or no department of that name issues licenses", body = ErrorBody),
        Refusals,
    ))]
pub(super) async fn lookup_licenses(
    caller: Caller<Clerks>,
    State(platform): State<Platform>,
    Params(query): Params<LicenseQuery>,
) -> ApiResult<Json<Lookup>> {
    let holder = holder_party(&query.holder, &query.name)?;
    let purpose = query.purpose.as_deref().unwrap_or("窗口查询证照");
    let lookup = platform
        .lookup_licenses(
            &holder,
            query.department.as_deref(),
            &caller.actor(),
            purpose,
        )
        .await?;
    Ok(Json(lookup))
}

/// Verifies one license by its type and number. Roles: clerk.
#[utoipa::path(get, path = "/api/v1/licenses/{type_code}/{number}", tag = "licenses", security(("bearer" = [])),
    params(
        ("type_code" = String, Path, description = "The license type, e.g. 营业执照's code"),
        ("number" = String, Path, description = "The license number"),
    ),
    responses(
        (status = OK, description = "The license as its issuer answers it now (`source: issuer`), or the copy the platform kept when the issuer does not answer (`source: kept`)", body = Found),
        (status = NOT_FOUND, description = "The issuer does not know it", body = ErrorBody),
        (status = SERVICE_UNAVAILABLE, description = "Not found, and a department did not answer; try again later", body = ErrorBody),
        Refusals,
    ))]
pub(super) async fn verify_license(
    _: Caller<Clerks>,
    State(platform): State<Platform>,
    Path((type_code, number)): Path<(String, String)>,
) -> ApiResult<Json<Found>> {
    Ok(Json(platform.verify_license(&type_code, &number).await?))
}
