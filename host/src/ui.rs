//! The web front end, served by `onewindow serve` itself: the clerk's single
//! window (一窗受理) at `/`, the operator console at `/admin`, 督查 and the
//! departments' follow-ups and complaints at `/supervision` with the
//! statistics at `/stats`, the applicant's channel at `/my`, and the public
//! catalogue at `/services`.
//!
//! Pages are rendered on the server from the templates in `host/templates`
//! (minijinja, escaped by default) and are plain HTML forms and links, so every
//! task works with the keyboard and without scripts. The one script is the
//! vendored htmx (`host/assets`), which checks ID numbers as they are typed,
//! marks the materials that licenses cover once the applicant consents, and
//! keeps a case's timeline current. Nothing is fetched from elsewhere.

mod admin;
mod applicant;
mod charts;
mod clerk;
mod complaints;
mod guard;
mod public;
mod rating;
mod session;
mod stats;
mod supervision;

use std::collections::BTreeMap;
use std::sync::LazyLock;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use minijinja::{Environment, Value};

use crate::config::Role;
use crate::platform::lifecycle::Status;
use crate::platform::{Platform, PlatformError};
pub use session::User;

/// The pages and their assets.
pub fn router() -> Router<Platform> {
    Router::new()
        .route("/", get(clerk::home))
        .route("/login", get(session::login_page).post(session::login))
        .route("/logout", post(session::logout))
        .route("/matters/{code}", get(clerk::matter))
        .route("/accept", get(clerk::accept_form).post(clerk::accept))
        .route("/accept/check-id", get(clerk::check_id))
        .route("/accept/materials", post(clerk::materials))
        .route("/accept/prefill", post(clerk::prefill))
        .route("/cases", get(clerk::cases))
        .route("/cases/{case_no}", get(clerk::case_page))
        .route("/cases/{case_no}/live", get(clerk::case_live))
        .route("/cases/{case_no}/receipt", get(clerk::receipt))
        .route("/cases/{case_no}/rating-code", post(clerk::rating_code))
        .route("/rate", get(rating::form).post(rating::rate))
        .route("/cases/{case_no}/supplement", post(clerk::supplement))
        .route("/cases/{case_no}/withdraw", post(clerk::withdraw))
        .route("/licenses", get(clerk::licenses).post(clerk::licenses_of))
        .route("/admin", get(admin::console))
        .route(
            "/admin/adapters",
            post(admin::install).layer(DefaultBodyLimit::max(
                crate::registry::package::limits::UPLOAD_BYTES,
            )),
        )
        .route(
            "/admin/adapters/{id}/activate/{version}",
            post(admin::activate),
        )
        .route("/admin/adapters/{id}/rollback", post(admin::rollback))
        .route("/admin/adapters/{id}/disable", post(admin::disable))
        .route("/admin/cases/{case_no}/retry", post(admin::retry))
        .route("/admin/exchanges", get(admin::exchanges))
        .route(
            "/admin/exchanges/{id}/fixture",
            get(admin::exchange_fixture),
        )
        .route("/my", get(applicant::home))
        .route("/my/login", get(applicant::login))
        .route("/my/callback", get(applicant::callback))
        .route("/my/logout", post(applicant::logout))
        .route(
            "/my/apply/{code}",
            get(applicant::apply::form).post(applicant::apply::apply),
        )
        .route("/my/cases", get(applicant::cases::list))
        .route("/my/licenses", get(applicant::licenses::list))
        .route("/my/licenses/show", post(applicant::licenses::show))
        .route("/verify", get(applicant::licenses::verify))
        .route("/my/cases/{case_no}", get(applicant::cases::show))
        .route(
            "/my/cases/{case_no}/receipt",
            get(applicant::cases::receipt),
        )
        .route(
            "/my/cases/{case_no}/supplement",
            post(applicant::cases::supplement),
        )
        .route(
            "/my/cases/{case_no}/withdraw",
            post(applicant::cases::withdraw),
        )
        .route(
            "/my/cases/{case_no}/evaluation",
            post(applicant::cases::evaluate),
        )
        .route(
            "/complaints/new",
            get(complaints::window_form).post(complaints::take_at_window),
        )
        .route("/stats", get(stats::page_of))
        .route("/stats/csv/{table}", get(stats::csv))
        .route("/supervision", get(supervision::home))
        .route(
            "/supervision/follow-ups/{case_no}",
            get(supervision::follow_up),
        )
        .route(
            "/supervision/follow-ups/{case_no}/{step}",
            post(supervision::follow_up_step),
        )
        .route("/supervision/complaints/{id}", get(supervision::complaint))
        .route(
            "/supervision/complaints/{id}/reply",
            post(supervision::reply),
        )
        .route(
            "/supervision/complaints/{id}/supervision",
            post(supervision::supervise),
        )
        .route(
            "/my/complaints",
            get(complaints::own).post(complaints::take_online),
        )
        .route("/my/complaints/{id}", get(complaints::own_one))
        .route("/my/complaints/{id}/rating", post(complaints::rate))
        .route("/services", get(public::services))
        .route("/services/{code}", get(public::service))
        .route("/assets/htmx.min.js", get(htmx))
        .route("/assets/app.css", get(css))
        .route("/assets/app.js", get(script))
        .layer(axum::middleware::from_fn(guard::guard))
}

async fn htmx() -> Response {
    asset(include_str!("../assets/htmx.min.js"), "text/javascript")
}

async fn script() -> Response {
    asset(include_str!("../assets/app.js"), "text/javascript")
}

async fn css() -> Response {
    asset(include_str!("../assets/app.css"), "text/css")
}

fn asset(body: &'static str, media_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, media_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    // Optional values (`errors.name` with no errors) read as empty, not as errors.
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
    for (name, source) in [
        ("base.html", include_str!("../templates/base.html")),
        ("login.html", include_str!("../templates/login.html")),
        ("error.html", include_str!("../templates/error.html")),
        ("matters.html", include_str!("../templates/matters.html")),
        ("matter.html", include_str!("../templates/matter.html")),
        ("guide.html", include_str!("../templates/guide.html")),
        (
            "search_form.html",
            include_str!("../templates/search_form.html"),
        ),
        ("services.html", include_str!("../templates/services.html")),
        ("service.html", include_str!("../templates/service.html")),
        ("my.html", include_str!("../templates/my.html")),
        (
            "my_sign_in.html",
            include_str!("../templates/my_sign_in.html"),
        ),
        ("my_apply.html", include_str!("../templates/my_apply.html")),
        ("my_cases.html", include_str!("../templates/my_cases.html")),
        ("my_case.html", include_str!("../templates/my_case.html")),
        (
            "my_licenses.html",
            include_str!("../templates/my_licenses.html"),
        ),
        (
            "my_license_shown.html",
            include_str!("../templates/my_license_shown.html"),
        ),
        ("verify.html", include_str!("../templates/verify.html")),
        ("rate.html", include_str!("../templates/rate.html")),
        ("rated.html", include_str!("../templates/rated.html")),
        (
            "rating_fields.html",
            include_str!("../templates/rating_fields.html"),
        ),
        (
            "case_requests.html",
            include_str!("../templates/case_requests.html"),
        ),
        (
            "form_fields.html",
            include_str!("../templates/form_fields.html"),
        ),
        (
            "case_progress.html",
            include_str!("../templates/case_progress.html"),
        ),
        (
            "my_signed_out.html",
            include_str!("../templates/my_signed_out.html"),
        ),
        ("accept.html", include_str!("../templates/accept.html")),
        (
            "materials.html",
            include_str!("../templates/materials.html"),
        ),
        ("id_check.html", include_str!("../templates/id_check.html")),
        ("receipt.html", include_str!("../templates/receipt.html")),
        ("cases.html", include_str!("../templates/cases.html")),
        ("case.html", include_str!("../templates/case.html")),
        (
            "case_live.html",
            include_str!("../templates/case_live.html"),
        ),
        ("licenses.html", include_str!("../templates/licenses.html")),
        ("license.html", include_str!("../templates/license.html")),
        ("admin.html", include_str!("../templates/admin.html")),
        ("stats.html", include_str!("../templates/stats.html")),
        (
            "supervision.html",
            include_str!("../templates/supervision.html"),
        ),
        ("standing.html", include_str!("../templates/standing.html")),
        (
            "follow_up.html",
            include_str!("../templates/follow_up.html"),
        ),
        (
            "complaint.html",
            include_str!("../templates/complaint.html"),
        ),
        (
            "complaint_fields.html",
            include_str!("../templates/complaint_fields.html"),
        ),
        (
            "complaint_new.html",
            include_str!("../templates/complaint_new.html"),
        ),
        (
            "my_complaints.html",
            include_str!("../templates/my_complaints.html"),
        ),
        (
            "exchanges.html",
            include_str!("../templates/exchanges.html"),
        ),
    ] {
        env.add_template(name, source)
            .unwrap_or_else(|e| panic!("template {name}: {e:#}"));
    }
    env.add_filter("status", |name: &str| {
        Status::parse(name).map_or_else(|| name.to_owned(), |s| s.label().to_owned())
    });
    // Times are stored in UTC or with their offset; the window shows Beijing time.
    env.add_filter("datetime", |text: &str| {
        let beijing = chrono::FixedOffset::east_opt(8 * 3600).expect("in range");
        chrono::DateTime::parse_from_rfc3339(text)
            .map(|t| {
                t.with_timezone(&beijing)
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or_else(|_| text.to_owned())
    });
    env.add_filter("mask_id", |id: &str| crate::mask::id_number(id));
    env.add_filter("mask_text", |text: &str| crate::mask::text(text));
    env.add_filter("mask_name", |name: &str| crate::mask::name(name));
    env.add_filter("actor_name", |actor: &str| {
        match actor.strip_prefix("applicant:") {
            Some(name) => format!("{name}（申请人，网上办理）"),
            None => crate::platform::actor_name(actor).to_owned(),
        }
    });
    env
});

/// A page to render: a template and what it shows.
pub struct Page {
    template: &'static str,
    context: BTreeMap<&'static str, Value>,
}

impl Page {
    pub fn new(template: &'static str, user: Option<&User>) -> Page {
        let mut context = BTreeMap::new();
        if let Some(user) = user {
            context.insert("user", Value::from_serialize(user));
        }
        if let Some(token) = guard::token() {
            context.insert("csrf", Value::from(token));
        }
        Page { template, context }
    }

    pub fn with(mut self, key: &'static str, value: impl serde::Serialize) -> Page {
        self.context.insert(key, Value::from_serialize(value));
        self
    }
}

/// Renders `page` as an HTML answer.
pub fn page(page: Page) -> Response {
    let rendered = TEMPLATES
        .get_template(page.template)
        .and_then(|t| t.render(&page.context));
    match rendered {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(template = page.template, "a page failed to render: {e:#}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html("<!doctype html><meta charset=utf-8><title>出错了</title><p>页面生成失败，请联系运维人员。"),
            )
                .into_response()
        }
    }
}

/// A page that says what went wrong, with `status`, to the signed-in `user` or,
/// on a public page, to anyone.
pub fn error_page<'a>(
    status: StatusCode,
    user: impl Into<Option<&'a User>>,
    message: &str,
) -> Response {
    let mut response = page(Page::new("error.html", user.into()).with("message", message));
    *response.status_mut() = status;
    response
}

/// The page for a failed request to the platform: what was wrong, never a
/// database's own words.
pub(crate) fn failed<'a>(user: impl Into<Option<&'a User>>, error: PlatformError) -> Response {
    let status =
        StatusCode::from_u16(error.answer().status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    error_page(status, user, &error.for_reader())
}

/// The Chinese name of a role.
pub fn role_label(role: Role) -> &'static str {
    match role {
        Role::Clerk => "窗口人员",
        Role::Operator => "运维人员",
        Role::Auditor => "审计人员",
        Role::Supervisor => "督查人员",
        Role::Department => "部门工作人员",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_template_compiles() {
        for (name, _) in super::TEMPLATES.templates() {
            assert!(super::TEMPLATES.get_template(name).is_ok(), "{name}");
        }
        assert!(super::TEMPLATES.templates().count() >= 15);
    }
}
