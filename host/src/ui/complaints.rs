//! Taking complaints and enquiries (投诉、咨询): at the window
//! (`/complaints/new`, the clerk fills in who and what) and in the applicant's
//! own channel (`/my/complaints`, where the applicant also follows the reply
//! and rates it). Both are routed to a department by the platform.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use super::applicant::{SITE, SignedIn, apply::actor};
use super::rating::{LEVELS, RatingForm};
use super::session::Clerk;
use super::supervision::ComplaintNo;
use super::{Page, User, failed, page};
use crate::model::Party;
use crate::oidc::Applicant;
use crate::platform::cases::{CaseQuery, RatingChannel};
use crate::platform::catalogue::MatterQuery;
use crate::platform::supervision::{ComplaintKind, NewComplaint, Viewer};
use crate::platform::{Platform, PlatformError};

/// The complaint form as the browser sends it (and as it is shown again).
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ComplaintForm {
    kind: String,
    /// `person` or `organization` (the window's form only).
    party: String,
    name: String,
    id: String,
    matter_code: String,
    department: String,
    case_no: String,
    content: String,
}

impl ComplaintForm {
    fn complaint(&self, applicant: Party) -> NewComplaint {
        let given = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        NewComplaint {
            kind: if self.kind == "enquiry" {
                ComplaintKind::Enquiry
            } else {
                ComplaintKind::Complaint
            },
            applicant,
            matter_code: given(&self.matter_code),
            case_no: given(&self.case_no),
            department: given(&self.department),
            content: self.content.clone(),
        }
    }
}

/// The catalogue's matters and departments the form offers.
async fn choices(
    platform: &Platform,
) -> Result<(Vec<(String, String)>, Vec<String>), PlatformError> {
    let matters = platform
        .matters(&MatterQuery::default())
        .await?
        .into_iter()
        .map(|m| (m.matter.code, m.matter.name))
        .collect();
    Ok((matters, platform.departments().await?))
}

/// The window's complaint page: the form, with what was taken or refused.
async fn window_page(
    platform: &Platform,
    user: &User,
    form: &ComplaintForm,
    outcome: Result<Option<crate::platform::supervision::Complaint>, String>,
) -> Response {
    let (matters, departments) = match choices(platform).await {
        Ok(c) => c,
        Err(e) => return failed(user, e),
    };
    let refused = outcome.is_err();
    let (taken, error) = match outcome {
        Ok(taken) => (taken, None),
        Err(message) => (None, Some(message)),
    };
    let mut response = page(
        Page::new("complaint_new.html", Some(user))
            .with("nav", "complaints")
            .with("form", form)
            .with("matters", matters)
            .with("departments", departments)
            .with("taken", taken)
            .with("error", error),
    );
    if refused {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}

/// `GET /complaints/new`.
pub async fn window_form(Clerk(user): Clerk, State(platform): State<Platform>) -> Response {
    let form = ComplaintForm {
        party: "person".into(),
        ..ComplaintForm::default()
    };
    window_page(&platform, &user, &form, Ok(None)).await
}

/// `POST /complaints/new`: a complaint or enquiry taken at the window.
pub async fn take_at_window(
    Clerk(user): Clerk,
    State(platform): State<Platform>,
    Form(form): Form<ComplaintForm>,
) -> Response {
    let organization = form.party == "organization";
    let (name, id) = (form.name.trim().to_owned(), form.id.trim().to_owned());
    if name.is_empty() {
        return window_page(
            &platform,
            &user,
            &form,
            Err("请填写申请人姓名或名称。".into()),
        )
        .await;
    }
    if let Some(problem) = super::clerk::id_problem(organization, &id, true) {
        return window_page(&platform, &user, &form, Err(problem)).await;
    }
    let new = form.complaint(Party::new(organization, id, name));
    match platform
        .take_complaint(&new, RatingChannel::Window, &user.actor())
        .await
    {
        Ok(taken) => {
            let blank = ComplaintForm {
                party: "person".into(),
                ..ComplaintForm::default()
            };
            window_page(&platform, &user, &blank, Ok(Some(taken))).await
        }
        Err(e @ PlatformError::Invalid { .. }) => {
            window_page(&platform, &user, &form, Err(e.for_reader())).await
        }
        Err(e) => failed(&user, e),
    }
}

#[derive(Deserialize)]
pub struct About {
    #[serde(default)]
    case_no: Option<String>,
}

/// The applicant's complaints page: theirs, and the form.
async fn own_page(
    platform: &Platform,
    applicant: &Applicant,
    form: &ComplaintForm,
    error: Option<String>,
) -> Response {
    let query = CaseQuery {
        applicant: Some(applicant.party.id().to_owned()),
        ..CaseQuery::default()
    };
    let found = async {
        Ok::<_, PlatformError>((
            platform
                .complaints(Viewer::Applicant(applicant.party.id()))
                .await?,
            platform.cases(&query).await?,
            choices(platform).await?,
        ))
    }
    .await;
    let (complaints, cases, (matters, departments)) = match found {
        Ok(found) => found,
        Err(e) => return failed(None, e),
    };
    let case_nos: Vec<String> = cases.into_iter().map(|c| c.case_no).collect();
    let refused = error.is_some();
    let mut response = page(
        Page::new("my_complaints.html", None)
            .with("site", SITE)
            .with("nav", "complaints")
            .with("applicant", applicant)
            .with("complaints", complaints)
            .with("case_nos", case_nos)
            .with("matters", matters)
            .with("departments", departments)
            .with("form", form)
            .with("error", error),
    );
    if refused {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}

/// `GET /my/complaints`.
pub async fn own(
    SignedIn(applicant): SignedIn,
    State(platform): State<Platform>,
    Query(about): Query<About>,
) -> Response {
    let form = ComplaintForm {
        case_no: about.case_no.unwrap_or_default(),
        ..ComplaintForm::default()
    };
    own_page(&platform, &applicant, &form, None).await
}

/// `POST /my/complaints`: the applicant's own complaint or enquiry.
pub async fn take_online(
    SignedIn(applicant): SignedIn,
    State(platform): State<Platform>,
    Form(form): Form<ComplaintForm>,
) -> Response {
    let new = form.complaint(applicant.party.clone());
    match platform
        .take_complaint(&new, RatingChannel::Online, &actor(&applicant))
        .await
    {
        Ok(taken) => Redirect::to(&format!("/my/complaints/{}", taken.id)).into_response(),
        Err(e @ PlatformError::Invalid { .. }) => {
            own_page(&platform, &applicant, &form, Some(e.for_reader())).await
        }
        Err(e) => failed(None, e),
    }
}

async fn own_complaint(
    platform: &Platform,
    applicant: &Applicant,
    id: i64,
    error: Option<String>,
) -> Response {
    match platform
        .complaint(id, Viewer::Applicant(applicant.party.id()))
        .await
    {
        Ok(complaint) => {
            let refused = error.is_some();
            let mut response = page(
                Page::new("complaint.html", None)
                    .with("site", SITE)
                    .with("nav", "complaints")
                    .with("applicant", applicant)
                    .with("levels", LEVELS)
                    .with("complaint", complaint)
                    .with("error", error),
            );
            if refused {
                *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            }
            response
        }
        Err(e) => failed(None, e),
    }
}

/// `GET /my/complaints/{id}`: one of the applicant's, with its reply.
pub async fn own_one(
    SignedIn(applicant): SignedIn,
    State(platform): State<Platform>,
    ComplaintNo(id): ComplaintNo,
) -> Response {
    own_complaint(&platform, &applicant, id, None).await
}

/// `POST /my/complaints/{id}/rating`: the applicant rates the reply.
pub async fn rate(
    SignedIn(applicant): SignedIn,
    State(platform): State<Platform>,
    ComplaintNo(id): ComplaintNo,
    Form(form): Form<RatingForm>,
) -> Response {
    let request = match form.request() {
        Ok(request) => request,
        Err(message) => {
            return own_complaint(&platform, &applicant, id, Some(message.to_owned())).await;
        }
    };
    match platform
        .rate_complaint_reply(
            id,
            applicant.party.id(),
            request.rating,
            &request.comment,
            &actor(&applicant),
        )
        .await
    {
        Ok(_) => Redirect::to(&format!("/my/complaints/{id}")).into_response(),
        Err(e @ (PlatformError::Invalid { .. } | PlatformError::Conflict(_))) => {
            own_complaint(&platform, &applicant, id, Some(e.for_reader())).await
        }
        Err(e) => failed(None, e),
    }
}
