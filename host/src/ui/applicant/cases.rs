//! The applicant's own cases: `/my/cases` and `/my/cases/{case_no}`, with
//! their deadlines and timelines. A case is the applicant's when it was applied
//! for in their name (a resident's ID number, an enterprise's credit code),
//! online or at the window; anyone else's is refused.

use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::apply::actor;
use super::{SITE, SignedIn};
use crate::oidc::Applicant;
use crate::platform::cases::{Case, CaseQuery, EvaluationRequest, RatingChannel};
use crate::platform::lifecycle::Status;
use crate::platform::{Platform, PlatformError};
use crate::ui::clerk::{case_materials, case_title, read_supplement};
use crate::ui::rating::{LEVELS, RatingForm};
use crate::ui::{Page, error_page, failed, page};

/// Case `case_no`, if it is `applicant`'s; a page saying why not otherwise.
pub(super) async fn own_case(
    platform: &Platform,
    applicant: &Applicant,
    case_no: &str,
) -> Result<Case, Response> {
    let case = platform.case(case_no).await.map_err(|e| failed(None, e))?;
    if case.applicant.id() != applicant.party.id() {
        tracing::warn!(case_no, "an applicant asked for a case that is not theirs");
        return Err(error_page(
            StatusCode::FORBIDDEN,
            None,
            "此办件不是以您的名义申请的，不能查看或办理。",
        ));
    }
    Ok(case)
}

/// `GET /my/cases`: the applicant's cases, newest first.
pub async fn list(SignedIn(applicant): SignedIn, State(platform): State<Platform>) -> Response {
    let query = CaseQuery {
        applicant: Some(applicant.party.id().to_owned()),
        ..CaseQuery::default()
    };
    match platform.cases(&query).await {
        Ok(cases) => page(
            Page::new("my_cases.html", None)
                .with("site", SITE)
                .with("nav", "cases")
                .with("applicant", &applicant)
                .with("cases", cases),
        ),
        Err(e) => failed(None, e),
    }
}

/// `GET /my/cases/{case_no}`: one case with its receipt, deadlines and
/// timeline; its 补正 upload while a department asks for one, and its
/// withdrawal while it can be withdrawn.
pub async fn show(
    SignedIn(applicant): SignedIn,
    State(platform): State<Platform>,
    Path(case_no): Path<String>,
) -> Response {
    case_page(&platform, &applicant, &case_no, None).await
}

/// `GET /my/cases/{case_no}/receipt`: the printable 受理回执, as the window gives it.
pub async fn receipt(
    SignedIn(applicant): SignedIn,
    State(platform): State<Platform>,
    Path(case_no): Path<String>,
) -> Response {
    match own_case(&platform, &applicant, &case_no).await {
        Ok(case) => page(
            Page::new("receipt.html", None)
                .with("site", SITE)
                .with("nav", "cases")
                .with("applicant", &applicant)
                .with("title", case_title(&platform, &case))
                .with("clerk", case.timeline.first().map(|s| s.actor.clone()))
                .with("case", case),
        ),
        Err(refused) => refused,
    }
}

/// Which of the case page's forms an error belongs to.
#[derive(Clone, Copy)]
enum Request {
    Supplement,
    Withdraw,
    Evaluation,
}

async fn case_page(
    platform: &Platform,
    applicant: &Applicant,
    case_no: &str,
    error: Option<(Request, String)>,
) -> Response {
    let case = match own_case(platform, applicant, case_no).await {
        Ok(case) => case,
        Err(refused) => return refused,
    };
    let materials = if case.status == Status::SupplementRequested {
        case_materials(platform, &case).await
    } else {
        Vec::new()
    };
    let viewer = crate::platform::supervision::Viewer::Applicant(applicant.party.id());
    let (evaluation, follow_up) = match tokio::try_join!(
        platform.evaluation(case_no),
        platform.follow_up(case_no, viewer)
    ) {
        Ok(found) => found,
        Err(e) => return failed(None, e),
    };
    let mut view = Page::new("my_case.html", None)
        .with("site", SITE)
        .with("nav", "cases")
        .with("applicant", applicant)
        .with("title", case_title(platform, &case))
        .with("supplement_materials", materials)
        .with("evaluation", evaluation)
        .with("follow_up", follow_up)
        .with("levels", LEVELS)
        .with("case", case);
    if let Some((request, message)) = &error {
        let slot = match request {
            Request::Supplement => "supplement_error",
            Request::Withdraw => "withdraw_error",
            Request::Evaluation => "evaluation_error",
        };
        view = view.with(slot, message);
    }
    let mut response = page(view);
    if error.is_some() {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}

/// The case page once a request went through, or again with why it did not.
async fn after(
    platform: &Platform,
    applicant: &Applicant,
    case_no: &str,
    request: Request,
    result: Result<(), PlatformError>,
) -> Response {
    match result {
        Ok(_) => Redirect::to(&format!("/my/cases/{case_no}")).into_response(),
        Err(
            e @ (PlatformError::Invalid { .. }
            | PlatformError::Conflict(_)
            | PlatformError::Unavailable(_)),
        ) => {
            case_page(
                platform,
                applicant,
                case_no,
                Some((request, e.for_reader())),
            )
            .await
        }
        Err(e) => failed(None, e),
    }
}

/// `POST /my/cases/{case_no}/supplement`: the applicant's 补正 files, handed to
/// the departments waiting for them, as the window hands them.
pub async fn supplement(
    SignedIn(applicant): SignedIn,
    State(platform): State<Platform>,
    Path(case_no): Path<String>,
    multipart: Multipart,
) -> Response {
    if let Err(refused) = own_case(&platform, &applicant, &case_no).await {
        return refused;
    }
    let (attachments, note) = match read_supplement(multipart, None).await {
        Ok(read) => read,
        Err(refused) => return refused,
    };
    let result = platform
        .supplement(&case_no, &attachments, &note, &actor(&applicant))
        .await
        .map(|_| ());
    after(&platform, &applicant, &case_no, Request::Supplement, result).await
}

#[derive(Deserialize)]
pub struct WithdrawForm {
    #[serde(default)]
    reason: String,
}

/// `POST /my/cases/{case_no}/withdraw`: the applicant withdraws the case at
/// its departments (one that has decided refuses, with its reason).
pub async fn withdraw(
    SignedIn(applicant): SignedIn,
    State(platform): State<Platform>,
    Path(case_no): Path<String>,
    Form(form): Form<WithdrawForm>,
) -> Response {
    if let Err(refused) = own_case(&platform, &applicant, &case_no).await {
        return refused;
    }
    if form.reason.trim().is_empty() {
        let message = "请填写撤回原因。".to_owned();
        return case_page(
            &platform,
            &applicant,
            &case_no,
            Some((Request::Withdraw, message)),
        )
        .await;
    }
    let result = platform
        .withdraw(&case_no, &form.reason, &actor(&applicant))
        .await
        .map(|_| ());
    after(&platform, &applicant, &case_no, Request::Withdraw, result).await
}

/// `POST /my/cases/{case_no}/evaluation`: the applicant rates a completed or
/// denied case in their own channel (recorded with the channel `online`).
pub async fn evaluate(
    SignedIn(applicant): SignedIn,
    State(platform): State<Platform>,
    Path(case_no): Path<String>,
    Form(form): Form<RatingForm>,
) -> Response {
    if let Err(refused) = own_case(&platform, &applicant, &case_no).await {
        return refused;
    }
    let request = match form.request() {
        Ok(request) => EvaluationRequest {
            code: None,
            ..request
        },
        Err(message) => {
            let error = Some((Request::Evaluation, message.to_owned()));
            return case_page(&platform, &applicant, &case_no, error).await;
        }
    };
    let result = platform
        .evaluate(&case_no, &request, RatingChannel::Online)
        .await
        .map(|_| ());
    after(&platform, &applicant, &case_no, Request::Evaluation, result).await
}
