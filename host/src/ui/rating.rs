//! 好差评 by the applicant: the window's 评价器 (`/rate`), a page the applicant
//! operates at the counter with the one-time code the clerk asked for, and the
//! form of the applicant's own channel. A clerk's account never rates.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::{Page, failed, page};
use crate::platform::cases::{EvaluationRequest, RatingChannel};
use crate::platform::{Platform, PlatformError};

/// The five levels, best first, as the forms offer them.
pub const LEVELS: [(i64, &str); 5] = [
    (5, "非常满意"),
    (4, "满意"),
    (3, "基本满意"),
    (2, "不满意"),
    (1, "非常不满意"),
];

/// A rating form as the browser sends it.
#[derive(Debug, Default, Deserialize)]
pub struct RatingForm {
    #[serde(default)]
    pub rating: String,
    #[serde(default)]
    pub comment: String,
    #[serde(default)]
    pub code: Option<String>,
}

impl RatingForm {
    /// The request, or what the applicant must fix first.
    pub fn request(&self) -> Result<EvaluationRequest, &'static str> {
        let rating = self.rating.parse::<i64>().map_err(|_| "请选择评价等级。")?;
        Ok(EvaluationRequest {
            rating,
            comment: self.comment.trim().to_owned(),
            code: self.code.clone(),
        })
    }
}

fn rate_page(code: Option<&str>, case_no: Option<&str>, message: Option<&str>) -> Page {
    Page::new("rate.html", None)
        .with("site", "评价器")
        .with("levels", LEVELS)
        .with("code", code)
        .with("case_no", case_no)
        .with("error", message)
}

#[derive(Deserialize)]
pub struct CodeQuery {
    #[serde(default)]
    code: Option<String>,
}

/// `GET /rate`: the 评价器 asks for the code; `?code=` shows the rating form
/// of the case it is for.
pub async fn form(State(platform): State<Platform>, Query(query): Query<CodeQuery>) -> Response {
    let Some(code) = query.code.filter(|c| !c.trim().is_empty()) else {
        return page(rate_page(None, None, None));
    };
    match platform.rating_case(&code).await {
        Ok(Some(case_no)) => page(rate_page(Some(&code), Some(&case_no), None)),
        Ok(None) => refused(
            Some(&code),
            "评价码不对、已用过或已过期：请窗口人员重新生成。",
        ),
        Err(e) => failed(None, e),
    }
}

fn refused(code: Option<&str>, message: &str) -> Response {
    let mut response = page(rate_page(code, None, Some(message)));
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    response
}

/// `POST /rate`: the applicant's rating at the window, recorded with the
/// channel `window`; the code is used up.
pub async fn rate(State(platform): State<Platform>, Form(form): Form<RatingForm>) -> Response {
    let code = form.code.clone().unwrap_or_default();
    let case_no = match platform.rating_case(&code).await {
        Ok(Some(case_no)) => case_no,
        Ok(None) => {
            return refused(
                Some(&code),
                "评价码不对、已用过或已过期：请窗口人员重新生成。",
            );
        }
        Err(e) => return failed(None, e),
    };
    let request = match form.request() {
        Ok(request) => request,
        Err(message) => {
            let mut response = page(rate_page(Some(&code), Some(&case_no), Some(message)));
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return response;
        }
    };
    match platform
        .evaluate(&case_no, &request, RatingChannel::Window)
        .await
    {
        Ok(evaluation) => page(
            Page::new("rated.html", None)
                .with("site", "评价器")
                .with("evaluation", evaluation),
        ),
        Err(e @ (PlatformError::Invalid { .. } | PlatformError::Conflict(_))) => {
            refused(Some(&code), &e.for_reader())
        }
        Err(e) => failed(None, e),
    }
}
