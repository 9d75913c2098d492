//! The case list, a case's page and its live part, the printable receipt,
//! supplementary materials (补正) and withdrawal, and the applicant's evaluation.

use super::*;

/// The name a case goes by: its theme's, or its matter's.
pub(crate) fn case_title(platform: &Platform, case: &crate::platform::cases::Case) -> String {
    if let Some(code) = &case.theme_code {
        return platform
            .config
            .themes
            .iter()
            .find(|t| &t.code == code)
            .map_or_else(|| code.clone(), |t| format!("{}（一件事）", t.name));
    }
    case.parts
        .first()
        .and_then(|p| p.matter_name.clone())
        .or_else(|| case.matter_code.clone())
        .unwrap_or_default()
}

/// `GET /cases/{case_no}/receipt`: the printable 受理回执.
pub async fn receipt(
    Clerk(user): Clerk,
    State(platform): State<Platform>,
    Path(case_no): Path<String>,
) -> Response {
    match platform.case(&case_no).await {
        Ok(case) => page(
            Page::new("receipt.html", Some(&user))
                .with("nav", "cases")
                .with("title", case_title(&platform, &case))
                .with("clerk", case.timeline.first().map(|s| s.actor.clone()))
                .with("case", case),
        ),
        Err(e) => failed(&user, e),
    }
}

/// The filters of `/cases`.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct CaseFilters {
    #[serde(default)]
    status: String,
    #[serde(default)]
    department: String,
    /// `soon` or `overdue`.
    #[serde(default)]
    due: String,
    #[serde(default)]
    applicant: String,
}

/// `GET /cases`: the case list with its filters.
pub async fn cases(
    CaseReader(user): CaseReader,
    State(platform): State<Platform>,
    Query(filters): Query<CaseFilters>,
) -> Response {
    let query = CaseQuery {
        status: Some(filters.status.clone()).filter(|s| !s.is_empty()),
        overdue: (filters.due == "overdue").then_some(true),
        due_soon: (filters.due == "soon").then_some(true),
        applicant: Some(filters.applicant.trim().to_owned()).filter(|a| !a.is_empty()),
        department: Some(filters.department.clone()).filter(|d| !d.is_empty()),
    };
    let result = async {
        Ok::<_, PlatformError>((platform.cases(&query).await?, platform.departments().await?))
    }
    .await;
    match result {
        Ok((cases, departments)) => {
            let rows: Vec<_> = cases
                .into_iter()
                .map(|c| {
                    let title = case_title(&platform, &c);
                    serde_json::json!({"case": c, "title": title})
                })
                .collect();
            let statuses: Vec<(&str, &str)> = Status::ALL
                .iter()
                .map(|s| (s.as_str(), s.label()))
                .collect();
            page(
                Page::new("cases.html", Some(&user))
                    .with("nav", "cases")
                    .with("filters", &filters)
                    .with("rows", rows)
                    .with("statuses", statuses)
                    .with("departments", departments),
            )
        }
        Err(e) => failed(&user, e),
    }
}

/// Which form of a case page an error message belongs to.
#[derive(Clone, Copy)]
enum CaseForm {
    Evaluation,
    Supplement,
    Withdraw,
}

impl CaseForm {
    fn error_slot(self) -> &'static str {
        match self {
            CaseForm::Evaluation => "evaluation_error",
            CaseForm::Supplement => "supplement_error",
            CaseForm::Withdraw => "withdraw_error",
        }
    }
}

/// The materials of every part of `case`, for the 补正 upload.
pub(crate) async fn case_materials(
    platform: &Platform,
    case: &crate::platform::cases::Case,
) -> Vec<crate::model::Material> {
    let mut materials = Vec::new();
    for part in &case.parts {
        if let Ok(found) = platform.matter(&part.matter_code).await {
            materials.extend(found.matter.materials);
        }
    }
    materials
}

/// A case page, or only its live part (status, parts, timeline, evaluation),
/// with an error shown at the form it belongs to.
async fn case_view(
    platform: &Platform,
    user: &User,
    case_no: &str,
    template: &'static str,
    error: Option<(CaseForm, &str)>,
    rating_code: Option<RatingCode>,
) -> Response {
    let result = async {
        Ok::<_, PlatformError>((
            platform.case(case_no).await?,
            platform.evaluation(case_no).await?,
        ))
    }
    .await;
    match result {
        Ok((case, evaluation)) => {
            let live = !case.status.is_final();
            let materials = if case.status == Status::SupplementRequested {
                case_materials(platform, &case).await
            } else {
                Vec::new()
            };
            let mut view = Page::new(template, Some(user))
                .with("nav", "cases")
                .with("title", case_title(platform, &case))
                .with("live", live)
                .with("evaluation", evaluation)
                .with("supplement_materials", materials)
                .with("rating_code", rating_code)
                .with("case", case);
            if let Some((form, message)) = error {
                view = view.with(form.error_slot(), message);
            }
            let mut response = page(view);
            if error.is_some() {
                *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            }
            response
        }
        Err(e) => failed(user, e),
    }
}

/// `GET /cases/{case_no}`.
pub async fn case_page(
    CaseReader(user): CaseReader,
    State(platform): State<Platform>,
    Path(case_no): Path<String>,
) -> Response {
    case_view(&platform, &user, &case_no, "case.html", None, None).await
}

/// `GET /cases/{case_no}/live`: what changes while a case runs, polled by htmx.
pub async fn case_live(
    CaseReader(user): CaseReader,
    State(platform): State<Platform>,
    Path(case_no): Path<String>,
) -> Response {
    case_view(&platform, &user, &case_no, "case_live.html", None, None).await
}

/// `POST /cases/{case_no}/rating-code`: a one-time code for the window's 评价器,
/// shown on the case page for the applicant to type there. The clerk never
/// rates: the applicant does, on the 评价器 (`/rate`).
pub async fn rating_code(
    Clerk(user): Clerk,
    State(platform): State<Platform>,
    Path(case_no): Path<String>,
) -> Response {
    match platform.rating_code(&case_no).await {
        Ok(code) => case_view(&platform, &user, &case_no, "case.html", None, Some(code)).await,
        Err(e @ (PlatformError::Invalid { .. } | PlatformError::Conflict(_))) => {
            let message = e.for_reader();
            let error = Some((CaseForm::Evaluation, message.as_str()));
            case_view(&platform, &user, &case_no, "case.html", error, None).await
        }
        Err(e) => failed(&user, e),
    }
}

/// Shows the case page again with the platform's answer at `form`, or its
/// page once the request went through.
async fn after_request(
    platform: &Platform,
    user: &User,
    case_no: &str,
    form: CaseForm,
    result: Result<crate::platform::cases::Case, PlatformError>,
) -> Response {
    match result {
        Ok(_) => Redirect::to(&format!("/cases/{case_no}")).into_response(),
        Err(
            e @ (PlatformError::Invalid { .. }
            | PlatformError::Conflict(_)
            | PlatformError::Unavailable(_)),
        ) => {
            case_view(
                platform,
                user,
                case_no,
                "case.html",
                Some((form, &e.for_reader())),
                None,
            )
            .await
        }
        Err(e) => failed(user, e),
    }
}

/// `POST /cases/{case_no}/supplement`: hands the uploaded supplementary
/// materials (补正) to the departments waiting for them (clerks only).
pub async fn supplement(
    Clerk(user): Clerk,
    State(platform): State<Platform>,
    Path(case_no): Path<String>,
    multipart: Multipart,
) -> Response {
    let (attachments, note) = match read_supplement(multipart, Some(&user)).await {
        Ok(read) => read,
        Err(refused) => return refused,
    };
    let result = platform
        .supplement(&case_no, &attachments, &note, &user.actor())
        .await;
    after_request(&platform, &user, &case_no, CaseForm::Supplement, result).await
}

/// The files and the note of a 补正 form (the window's or the applicant's),
/// once its session's token is checked; the page to answer otherwise.
pub(crate) async fn read_supplement(
    multipart: Multipart,
    user: Option<&User>,
) -> Result<(Vec<Attachment>, String), Response> {
    let (values, attachments, csrf) = read_multipart(multipart)
        .await
        .map_err(|message| error_page(StatusCode::BAD_REQUEST, user, &message))?;
    if let Some(refused) = crate::ui::guard::refuse_field(csrf.as_deref()) {
        return Err(refused);
    }
    let note = values
        .into_iter()
        .find(|(name, _)| name == "note")
        .map_or_else(String::new, |(_, v)| v);
    Ok((attachments, note))
}

#[derive(Deserialize)]
pub struct WithdrawForm {
    #[serde(default)]
    reason: String,
}

/// `POST /cases/{case_no}/withdraw`: withdraws the case at its departments
/// (clerks only).
pub async fn withdraw(
    Clerk(user): Clerk,
    State(platform): State<Platform>,
    Path(case_no): Path<String>,
    Form(form): Form<WithdrawForm>,
) -> Response {
    if form.reason.trim().is_empty() {
        let message = "请填写撤回原因。";
        return case_view(
            &platform,
            &user,
            &case_no,
            "case.html",
            Some((CaseForm::Withdraw, message)),
            None,
        )
        .await;
    }
    let result = platform
        .withdraw(&case_no, &form.reason, &user.actor())
        .await;
    after_request(&platform, &user, &case_no, CaseForm::Withdraw, result).await
}
