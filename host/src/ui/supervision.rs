//! 督查 and the departments' own work (`/supervision`): 差评 follow-ups with
//! their 回访 and 整改, complaints and enquiries with their replies, and 督办
//! of those past their limit. A department's staff see and handle their
//! department's only; a supervisor sees all and presses, but does not answer
//! for a department.

use axum::Form;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::session::Overseer;
use super::{Page, User, error_page, failed, page};
use crate::config::Role;
use crate::platform::supervision::{FollowUpStep, Viewer, complaint_id};
use crate::platform::{Platform, PlatformError};

/// The complaint number of a page's address; anything but a number is a
/// page saying there is no such complaint.
pub(crate) struct ComplaintNo(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for ComplaintNo {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let Path(id) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        complaint_id(&id)
            .map(ComplaintNo)
            .map_err(|e| failed(None, e))
    }
}

/// What `user` may see.
fn viewer(user: &User) -> Viewer<'_> {
    match (&user.role, &user.department) {
        (Role::Department, Some(d)) => Viewer::Department(d),
        // A department's token always names its department; without one it sees nothing.
        (Role::Department, None) => Viewer::Department(""),
        _ => Viewer::All,
    }
}

/// `GET /supervision`: the follow-ups and the complaints, the most urgent first.
pub async fn home(Overseer(user): Overseer, State(platform): State<Platform>) -> Response {
    let viewer = viewer(&user);
    let lists = async {
        Ok::<_, PlatformError>((
            platform.follow_ups(viewer).await?,
            platform.complaints(viewer).await?,
        ))
    }
    .await;
    match lists {
        Ok((follow_ups, complaints)) => page(
            Page::new("supervision.html", Some(&user))
                .with("nav", "supervision")
                .with("follow_ups", follow_ups)
                .with("complaints", complaints),
        ),
        Err(e) => failed(&user, e),
    }
}

/// One follow-up with the case it concerns, and the department's forms.
async fn follow_up_page(
    platform: &Platform,
    user: &User,
    case_no: &str,
    error: Option<String>,
) -> Response {
    let follow_up = match platform.follow_up(case_no, viewer(user)).await {
        Ok(Some(f)) => f,
        Ok(None) => {
            return error_page(
                StatusCode::NOT_FOUND,
                user,
                &format!("没有可查看的办件 {case_no} 差评回访整改。"),
            );
        }
        Err(e) => return failed(user, e),
    };
    let case = match platform.case(case_no).await {
        Ok(case) => case,
        Err(e) => return failed(user, e),
    };
    page(
        Page::new("follow_up.html", Some(user))
            .with("nav", "supervision")
            .with("title", crate::ui::clerk::case_title(platform, &case))
            .with("case", case)
            .with("follow_up", follow_up)
            .with("error", error),
    )
}

/// A refusal a person can act on (a blank note, a step out of order) is shown
/// on the page again, with its status; any other failure is an error page.
async fn refused<F: Future<Output = Response>>(
    user: &User,
    error: PlatformError,
    again: impl FnOnce(String) -> F,
) -> Response {
    match error {
        PlatformError::Invalid { .. } | PlatformError::Conflict(_) | PlatformError::NotFound(_) => {
            let status = StatusCode::from_u16(error.answer().status())
                .unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            let mut response = again(error.for_reader()).await;
            if response.status() == StatusCode::OK {
                *response.status_mut() = status;
            }
            response
        }
        e => failed(user, e),
    }
}

/// `GET /supervision/follow-ups/{case_no}`.
pub async fn follow_up(
    Overseer(user): Overseer,
    State(platform): State<Platform>,
    Path(case_no): Path<String>,
) -> Response {
    follow_up_page(&platform, &user, &case_no, None).await
}

#[derive(Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    note: String,
}

/// `POST /supervision/follow-ups/{case_no}/{step}`: the 回访, the 整改 or the
/// close, by the department's staff.
pub async fn follow_up_step(
    Overseer(user): Overseer,
    State(platform): State<Platform>,
    Path((case_no, step)): Path<(String, String)>,
    Form(form): Form<NoteForm>,
) -> Response {
    let step = match step.as_str() {
        "callback" => FollowUpStep::Callback,
        "rectification" => FollowUpStep::Rectification,
        "close" => FollowUpStep::Close,
        _ => return error_page(StatusCode::NOT_FOUND, &user, "没有这一步。"),
    };
    let Some(department) = user
        .department
        .as_deref()
        .filter(|_| user.role == Role::Department)
    else {
        return error_page(
            StatusCode::FORBIDDEN,
            &user,
            "回访和整改由承办部门的工作人员记录。",
        );
    };
    match platform
        .follow_up_step(&case_no, department, step, &form.note, &user.actor())
        .await
    {
        Ok(_) => Redirect::to(&format!("/supervision/follow-ups/{case_no}")).into_response(),
        Err(e) => {
            refused(&user, e, |message| {
                follow_up_page(&platform, &user, &case_no, Some(message))
            })
            .await
        }
    }
}

/// One complaint with its timeline, and the forms its viewer may use.
async fn complaint_page(
    platform: &Platform,
    user: &User,
    id: i64,
    error: Option<String>,
) -> Response {
    match platform.complaint(id, viewer(user)).await {
        Ok(complaint) => page(
            Page::new("complaint.html", Some(user))
                .with("nav", "supervision")
                .with("complaint", complaint)
                .with("error", error),
        ),
        Err(e) => failed(user, e),
    }
}

/// `GET /supervision/complaints/{id}`.
pub async fn complaint(
    Overseer(user): Overseer,
    State(platform): State<Platform>,
    ComplaintNo(id): ComplaintNo,
) -> Response {
    complaint_page(&platform, &user, id, None).await
}

#[derive(Deserialize)]
pub struct ReplyForm {
    #[serde(default)]
    reply: String,
}

/// `POST /supervision/complaints/{id}/reply`: the department's reply.
pub async fn reply(
    Overseer(user): Overseer,
    State(platform): State<Platform>,
    ComplaintNo(id): ComplaintNo,
    Form(form): Form<ReplyForm>,
) -> Response {
    let Some(department) = user
        .department
        .clone()
        .filter(|_| user.role == Role::Department)
    else {
        return error_page(
            StatusCode::FORBIDDEN,
            &user,
            "答复由承办部门的工作人员作出。",
        );
    };
    let result = platform
        .reply_complaint(id, &department, &form.reply, &user.actor())
        .await;
    after_complaint(&platform, &user, id, result.map(|_| ())).await
}

/// `POST /supervision/complaints/{id}/supervision`: 督办, by a supervisor.
pub async fn supervise(
    Overseer(user): Overseer,
    State(platform): State<Platform>,
    ComplaintNo(id): ComplaintNo,
    Form(form): Form<NoteForm>,
) -> Response {
    if user.role != Role::Supervisor {
        return error_page(StatusCode::FORBIDDEN, &user, "督办由督查人员作出。");
    }
    let result = platform
        .supervise_complaint(id, &form.note, &user.actor())
        .await;
    after_complaint(&platform, &user, id, result.map(|_| ())).await
}

async fn after_complaint(
    platform: &Platform,
    user: &User,
    id: i64,
    result: Result<(), PlatformError>,
) -> Response {
    match result {
        Ok(()) => Redirect::to(&format!("/supervision/complaints/{id}")).into_response(),
        Err(e) => {
            refused(user, e, |message| {
                complaint_page(platform, user, id, Some(message))
            })
            .await
        }
    }
}
