//! 督查: `/api/v1/stats` (the reform's statistics, each table as CSV too),
//! `/api/v1/follow-ups` (差评 回访 and 整改) and `/api/v1/complaints` (投诉、咨询).
//! A department's staff see and handle their department's only.

#![allow(unused_qualifications)]

use super::*;

/// The reform's statistics of the cases accepted (and complaints taken) in
/// the period, for a department, matter or window, computed from the cases
/// themselves. Roles: supervisor.
#[utoipa::path(get, path = "/api/v1/stats", tag = "supervision", security(("bearer" = [])),
    params(StatsQuery),
    responses(
        (status = OK, body = Stats),
        (status = UNPROCESSABLE_ENTITY, description = "A date is not `YYYY-MM-DD`, or the period ends before it starts", body = ErrorBody),
        QueryErrors,
        Refusals,
    ))]
pub(super) async fn stats(
    _: Caller<Supervisors>,
    State(platform): State<Platform>,
    Params(query): Params<StatsQuery>,
) -> ApiResult<Json<Stats>> {
    Ok(Json(platform.stats(&query).await?))
}

/// One table of the statistics as CSV (UTF-8, a header row): `summary`,
/// `weeks`, `departments` or `ratings`. Roles: supervisor.
#[utoipa::path(get, path = "/api/v1/stats/{table}", tag = "supervision", security(("bearer" = [])),
    params(("table" = String, Path, description = "summary, weeks, departments or ratings"), StatsQuery),
    responses(
        (status = OK, description = "The table as CSV", body = String, content_type = "text/csv"),
        (status = NOT_FOUND, description = "No such table", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "A date is not `YYYY-MM-DD`, or the period ends before it starts", body = ErrorBody),
        QueryErrors,
        Refusals,
    ))]
pub(super) async fn stats_table(
    _: Caller<Supervisors>,
    State(platform): State<Platform>,
    Path(table): Path<String>,
    Params(query): Params<StatsQuery>,
) -> ApiResult<Response> {
    let stats = platform.stats(&query).await?;
    csv_answer(&stats, &table).ok_or_else(|| {
        PlatformError::NotFound(format!(
            "no table {table:?}; the tables are {}",
            crate::platform::stats::TABLES.join(", ")
        ))
        .into()
    })
}

/// `table` of `stats` as a CSV download, named for its table and period.
pub(crate) fn csv_answer(stats: &Stats, table: &str) -> Option<Response> {
    let body = stats.csv(table)?;
    let period = |d: Option<chrono::NaiveDate>| d.map_or("all".to_owned(), |d| d.to_string());
    let name = format!(
        "onewindow-{table}-{}-{}.csv",
        period(stats.from),
        period(stats.to)
    );
    Some(
        (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
            ],
            body,
        )
            .into_response(),
    )
}

/// The 差评 follow-ups the caller may see, the most urgent first: a
/// department's staff their department's. Roles: supervisor, department.
#[utoipa::path(get, path = "/api/v1/follow-ups", tag = "supervision", security(("bearer" = [])),
    responses((status = OK, body = Items<FollowUp>), Refusals))]
pub(super) async fn follow_ups(
    caller: Caller<Supervision>,
    State(platform): State<Platform>,
) -> ApiResult<Json<Items<FollowUp>>> {
    Ok(Json(platform.follow_ups(caller.viewer()).await?.into()))
}

/// What a person records: a 回访, an 整改, a 督办.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Note {
    /// At most 2000 characters; not blank.
    note: String,
}

async fn follow_up_step(
    caller: &Caller<Departments>,
    platform: &Platform,
    case_no: &str,
    step: FollowUpStep,
    note: &str,
) -> ApiResult<Json<FollowUp>> {
    let department = caller.department.as_deref().unwrap_or_default();
    Ok(Json(
        platform
            .follow_up_step(case_no, department, step, note, &caller.actor())
            .await?,
    ))
}

/// Records the 回访 of a 差评 (the call back to the applicant), once.
/// Roles: department.
#[utoipa::path(post, path = "/api/v1/follow-ups/{case_no}/callback", tag = "supervision", security(("bearer" = [])),
    params(("case_no" = String, Path, description = "The case number")),
    request_body = Note,
    responses(
        (status = OK, body = FollowUp),
        (status = NOT_FOUND, description = "Your department has no follow-up of the case", body = ErrorBody),
        (status = CONFLICT, description = "Already recorded, or the follow-up is closed", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "The note is blank or too long", body = ErrorBody),
        BodyErrors,
        Refusals,
    ))]
pub(super) async fn follow_up_callback(
    caller: Caller<Departments>,
    State(platform): State<Platform>,
    Path(case_no): Path<String>,
    Body(body): Body<Note>,
) -> ApiResult<Json<FollowUp>> {
    follow_up_step(
        &caller,
        &platform,
        &case_no,
        FollowUpStep::Callback,
        &body.note,
    )
    .await
}

/// Records the 整改 of a 差评 (what the department changed), once.
/// Roles: department.
#[utoipa::path(post, path = "/api/v1/follow-ups/{case_no}/rectification", tag = "supervision", security(("bearer" = [])),
    params(("case_no" = String, Path, description = "The case number")),
    request_body = Note,
    responses(
        (status = OK, body = FollowUp),
        (status = NOT_FOUND, description = "Your department has no follow-up of the case", body = ErrorBody),
        (status = CONFLICT, description = "Already recorded, or the follow-up is closed", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "The note is blank or too long", body = ErrorBody),
        BodyErrors,
        Refusals,
    ))]
pub(super) async fn follow_up_rectification(
    caller: Caller<Departments>,
    State(platform): State<Platform>,
    Path(case_no): Path<String>,
    Body(body): Body<Note>,
) -> ApiResult<Json<FollowUp>> {
    follow_up_step(
        &caller,
        &platform,
        &case_no,
        FollowUpStep::Rectification,
        &body.note,
    )
    .await
}

/// Closes a 差评's follow-up, once its 回访 and 整改 are both recorded.
/// Roles: department.
#[utoipa::path(post, path = "/api/v1/follow-ups/{case_no}/close", tag = "supervision", security(("bearer" = [])),
    params(("case_no" = String, Path, description = "The case number")),
    responses(
        (status = OK, body = FollowUp),
        (status = NOT_FOUND, description = "Your department has no follow-up of the case", body = ErrorBody),
        (status = CONFLICT, description = "The 回访 or the 整改 is not recorded yet (the message names which), or it is closed", body = ErrorBody),
        Refusals,
    ))]
pub(super) async fn follow_up_close(
    caller: Caller<Departments>,
    State(platform): State<Platform>,
    Path(case_no): Path<String>,
) -> ApiResult<Json<FollowUp>> {
    follow_up_step(&caller, &platform, &case_no, FollowUpStep::Close, "").await
}

/// Takes a complaint or enquiry at the window, routed to the department
/// chosen, else to that of its matter, else to that of its case; it is due in
/// `complaint-days` working days. Roles: clerk.
#[utoipa::path(post, path = "/api/v1/complaints", tag = "supervision", security(("bearer" = [])),
    request_body = NewComplaint,
    responses(
        (status = CREATED, body = Complaint),
        (status = UNPROCESSABLE_ENTITY, description = "No department can be found for it, the content is blank, or a field is wrong (`field` names it)", body = ErrorBody),
        BodyErrors,
        Refusals,
    ))]
pub(super) async fn take_complaint(
    caller: Caller<Clerks>,
    State(platform): State<Platform>,
    Body(new): Body<NewComplaint>,
) -> ApiResult<(StatusCode, Json<Complaint>)> {
    let complaint = platform
        .take_complaint(&new, RatingChannel::Window, &caller.actor())
        .await?;
    Ok((StatusCode::CREATED, Json(complaint)))
}

/// The complaints and enquiries the caller may see, the most urgent first,
/// without their timelines. Roles: supervisor, department.
#[utoipa::path(get, path = "/api/v1/complaints", tag = "supervision", security(("bearer" = [])),
    responses((status = OK, body = Items<Complaint>), Refusals))]
pub(super) async fn list_complaints(
    caller: Caller<Supervision>,
    State(platform): State<Platform>,
) -> ApiResult<Json<Items<Complaint>>> {
    Ok(Json(platform.complaints(caller.viewer()).await?.into()))
}

/// One complaint or enquiry with its timeline. Roles: supervisor, department.
#[utoipa::path(get, path = "/api/v1/complaints/{id}", tag = "supervision", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The complaint's number")),
    responses((status = OK, body = Complaint), (status = NOT_FOUND, body = ErrorBody), Refusals))]
pub(super) async fn get_complaint(
    caller: Caller<Supervision>,
    State(platform): State<Platform>,
    Path(id): Path<String>,
) -> ApiResult<Json<Complaint>> {
    let id = complaint_id(&id)?;
    Ok(Json(platform.complaint(id, caller.viewer()).await?))
}

/// The department's reply to the applicant.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Reply {
    /// At most 2000 characters; not blank.
    reply: String,
}

/// The department's reply to a complaint or enquiry, once; the applicant sees
/// it in their channel and rates it. Roles: department.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/reply", tag = "supervision", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The complaint's number")),
    request_body = Reply,
    responses(
        (status = OK, body = Complaint),
        (status = NOT_FOUND, description = "Your department has no such complaint", body = ErrorBody),
        (status = CONFLICT, description = "Already replied to", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "The reply is blank or too long", body = ErrorBody),
        BodyErrors,
        Refusals,
    ))]
pub(super) async fn reply_complaint(
    caller: Caller<Departments>,
    State(platform): State<Platform>,
    Path(id): Path<String>,
    Body(body): Body<Reply>,
) -> ApiResult<Json<Complaint>> {
    let id = complaint_id(&id)?;
    let department = caller.department.as_deref().unwrap_or_default();
    Ok(Json(
        platform
            .reply_complaint(id, department, &body.reply, &caller.actor())
            .await?,
    ))
}

/// 督办: presses a complaint past its limit without a reply, with what the
/// supervisor asks. Roles: supervisor.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/supervision", tag = "supervision", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The complaint's number")),
    request_body = Note,
    responses(
        (status = OK, body = Complaint),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, description = "It is not overdue, or it has been replied to", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "The note is blank or too long", body = ErrorBody),
        BodyErrors,
        Refusals,
    ))]
pub(super) async fn supervise_complaint(
    caller: Caller<Supervisors>,
    State(platform): State<Platform>,
    Path(id): Path<String>,
    Body(body): Body<Note>,
) -> ApiResult<Json<Complaint>> {
    let id = complaint_id(&id)?;
    Ok(Json(
        platform
            .supervise_complaint(id, &body.note, &caller.actor())
            .await?,
    ))
}
