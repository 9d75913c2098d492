//! `/api/v1/cases`: acceptance, the lifecycle, 好差评, and the operators' retry.

#![allow(unused_qualifications)]

use super::*;

/// Accepts a case at the window. Roles: clerk.
///
/// Every required material must be attached or covered by a license of the
/// applicant that the applicant consents to reuse; otherwise the answer lists all
/// missing materials at once and nothing is stored.
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", security(("bearer" = [])),
    request_body = Application,
    responses(
        (status = CREATED, body = Case),
        (status = CONFLICT, description = "A matter's department is not connected now, or takes no applications through the platform", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "A field is wrong (`field` names it), fields of the form are missing or wrong (all listed in `form_errors`), or materials are missing (all listed in `missing_materials`)", body = ErrorBody),
        BodyErrors,
        Refusals,
    ))]
pub(super) async fn accept_case(
    caller: Caller<Clerks>,
    State(platform): State<Platform>,
    Body(application): Body<Application>,
) -> ApiResult<(StatusCode, Json<Case>)> {
    let case = platform.accept(application, &caller.actor()).await?;
    Ok((StatusCode::CREATED, Json(case)))
}

/// Lists cases, newest first. Roles: clerk, operator, auditor, supervisor.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", security(("bearer" = [])),
    params(CaseQuery),
    responses(
        (status = OK, body = Items<Case>),
        (status = UNPROCESSABLE_ENTITY, description = "A filter names an unknown status", body = ErrorBody),
        QueryErrors,
        Refusals,
    ))]
pub(super) async fn list_cases(
    _: Caller,
    State(platform): State<Platform>,
    Params(query): Params<CaseQuery>,
) -> ApiResult<Json<Items<Case>>> {
    Ok(Json(platform.cases(&query).await?.into()))
}

/// One case with its parts and timeline. Roles: clerk, operator, auditor, supervisor.
#[utoipa::path(get, path = "/api/v1/cases/{case_no}", tag = "cases", security(("bearer" = [])),
    params(("case_no" = String, Path, description = "The case number")),
    responses((status = OK, body = Case), (status = NOT_FOUND, body = ErrorBody), Refusals))]
pub(super) async fn get_case(
    _: Caller,
    State(platform): State<Platform>,
    Path(case_no): Path<String>,
) -> ApiResult<Json<Case>> {
    Ok(Json(platform.case(&case_no).await?))
}

/// Moves a case on (a clerk's step): `withdrawn` asks each department that has
/// the case to withdraw it first, and is refused with the department's reason
/// once it has decided; `in_review` after 补正 only for departments that cannot
/// take supplementary materials through the platform. Roles: clerk.
#[utoipa::path(post, path = "/api/v1/cases/{case_no}/status", tag = "cases", security(("bearer" = [])),
    params(("case_no" = String, Path, description = "The case number")),
    request_body = StatusChange,
    responses(
        (status = OK, body = Case),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, description = "The move is illegal from the case's status, or a department refused the withdrawal", body = ErrorBody),
        (status = SERVICE_UNAVAILABLE, description = "A department's system did not answer; nothing changed", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "A field is missing, unknown or wrong", body = ErrorBody),
        BodyErrors,
        Refusals,
    ))]
pub(super) async fn change_status(
    caller: Caller<Clerks>,
    State(platform): State<Platform>,
    Path(case_no): Path<String>,
    Body(change): Body<StatusChange>,
) -> ApiResult<Json<Case>> {
    let case = platform
        .change_status(&case_no, &change, &caller.actor())
        .await?;
    Ok(Json(case))
}

/// Hands the applicant's supplementary materials (补正) to the department of
/// every part waiting for them; the department's answer moves the case back to
/// review. Nothing is kept when a department refuses or cannot be reached.
/// Roles: clerk.
#[utoipa::path(post, path = "/api/v1/cases/{case_no}/supplement", tag = "cases", security(("bearer" = [])),
    params(("case_no" = String, Path, description = "The case number")),
    request_body = Supplement,
    responses(
        (status = OK, body = Case),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, description = "No part waits for materials, or the department refused them", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "No file, an empty file, or a field is wrong", body = ErrorBody),
        (status = SERVICE_UNAVAILABLE, description = "The department's system did not answer; nothing was kept", body = ErrorBody),
        BodyErrors,
        Refusals,
    ))]
pub(super) async fn supplement(
    caller: Caller<Clerks>,
    State(platform): State<Platform>,
    Path(case_no): Path<String>,
    Body(request): Body<Supplement>,
) -> ApiResult<Json<Case>> {
    let case = platform
        .supplement(
            &case_no,
            &request.attachments,
            &request.note,
            &caller.actor(),
        )
        .await?;
    Ok(Json(case))
}

/// The applicant's 好差评 on the window's 评价器, once the case is completed
/// or denied. Public: no token needed; the one-time `code` the clerk asked for
/// (`POST …/rating-code`) is what lets it through, so a clerk's account never
/// gives a rating. A wrong, used or expired code is a 422 on `code`.
#[utoipa::path(post, path = "/api/v1/cases/{case_no}/evaluation", tag = "cases",
    params(("case_no" = String, Path, description = "The case number")),
    request_body = EvaluationRequest,
    responses(
        (status = CREATED, body = Evaluation),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, description = "Not completed or denied yet, or already evaluated", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "The rating is not 1–5, the code is wrong, used or expired, or a field is wrong", body = ErrorBody),
        BodyErrors,
    ))]
pub(super) async fn evaluate(
    State(platform): State<Platform>,
    Path(case_no): Path<String>,
    Body(request): Body<EvaluationRequest>,
) -> ApiResult<(StatusCode, Json<Evaluation>)> {
    let evaluation = platform
        .evaluate(&case_no, &request, RatingChannel::Window)
        .await?;
    Ok((StatusCode::CREATED, Json(evaluation)))
}

/// A one-time code for the window's 评价器 (valid 30 minutes), once the case is
/// completed or denied and not yet rated: the applicant types it there and
/// rates. Roles: clerk.
#[utoipa::path(post, path = "/api/v1/cases/{case_no}/rating-code", tag = "cases", security(("bearer" = [])),
    params(("case_no" = String, Path, description = "The case number")),
    responses(
        (status = CREATED, body = RatingCode),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, description = "Not completed or denied yet, or already evaluated", body = ErrorBody),
        Refusals,
    ))]
pub(super) async fn rating_code(
    _: Caller<Clerks>,
    State(platform): State<Platform>,
    Path(case_no): Path<String>,
) -> ApiResult<(StatusCode, Json<RatingCode>)> {
    Ok((
        StatusCode::CREATED,
        Json(platform.rating_code(&case_no).await?),
    ))
}

/// Puts a case whose delivery failed back in the outbox. Roles: operator.
#[utoipa::path(post, path = "/api/v1/admin/cases/{case_no}/retry", tag = "operations", security(("bearer" = [])),
    params(("case_no" = String, Path, description = "The case number")),
    responses(
        (status = OK, body = Case),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, description = "The case's delivery has not failed", body = ErrorBody),
        Refusals,
    ))]
pub(super) async fn retry_delivery(
    caller: Caller<Operators>,
    State(platform): State<Platform>,
    Path(case_no): Path<String>,
) -> ApiResult<Json<Case>> {
    delivery::retry(&platform, &case_no, &caller.actor()).await?;
    Ok(Json(platform.case(&case_no).await?))
}
