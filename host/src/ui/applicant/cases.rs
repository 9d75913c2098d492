//! The applicant's own cases: `/my/cases` and `/my/cases/{case_no}`, with
//! their deadlines and timelines. A case is the applicant's when it was applied
//! for in their name (a resident's ID number, an enterprise's credit code),
//! online or at the window; anyone else's is refused.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::{SITE, SignedIn};
use crate::oidc::Applicant;
use crate::platform::cases::{Case, CaseQuery};
use crate::platform::{Platform, PlatformError};
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

/// `GET /my/cases/{case_no}`: one case with its receipt, deadlines and timeline.
pub async fn show(
    SignedIn(applicant): SignedIn,
    State(platform): State<Platform>,
    Path(case_no): Path<String>,
) -> Response {
    let case = match own_case(&platform, &applicant, &case_no).await {
        Ok(case) => case,
        Err(refused) => return refused,
    };
    let title = match title(&platform, &case).await {
        Ok(title) => title,
        Err(e) => return failed(None, e),
    };
    page(
        Page::new("my_case.html", None)
            .with("site", SITE)
            .with("nav", "cases")
            .with("applicant", &applicant)
            .with("title", title)
            .with("case", case),
    )
}

/// What the case is for: its matter's name, or its theme's.
async fn title(platform: &Platform, case: &Case) -> Result<String, PlatformError> {
    if let Some(code) = &case.theme_code {
        let theme = platform.config.themes.iter().find(|t| &t.code == code);
        return Ok(theme.map_or_else(|| code.clone(), |t| format!("{}（一件事）", t.name)));
    }
    Ok(case
        .parts
        .first()
        .and_then(|p| p.matter_name.clone())
        .or_else(|| case.matter_code.clone())
        .unwrap_or_default())
}
