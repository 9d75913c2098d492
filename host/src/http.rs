//! The HTTP API (`/api/v1/...`, `/hooks/{adapter}`, `/healthz`, `/readyz`): axum
//! routers over the [`Platform`], bearer tokens with roles, and one error type
//! that answers `{"error", "message", ...details}`.
//!
//! Every route is registered through `utoipa_axum::routes!` from its handler's
//! `#[utoipa::path]`, so the OpenAPI document at `/api/v1/openapi.json` is built
//! from the same list that routes requests and cannot drift from it.

// utoipa's expansion of `params(Type)` trips this lint on code we do not write.
#![allow(unused_qualifications)]

mod adapters;
mod audit;
mod cases;
mod error;
mod exchanges;
mod extract;
mod hooks;
mod licenses;
mod matters;
mod ops;
mod supervision;

use adapters::*;
use audit::*;
use cases::*;
pub(crate) use error::not_found;
use error::*;
pub use error::{ApiError, ErrorBody};
pub(crate) use exchanges::fixture_download;
use exchanges::*;
pub use extract::{
    Anyone, Auditors, Body, Caller, Clerks, Departments, Operators, Params, Roles, Supervision,
    Supervisors,
};
use hooks::*;
use licenses::*;
use matters::*;
pub(crate) use ops::count_requests;
use ops::*;
pub(crate) use supervision::csv_answer;
use supervision::*;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::config::{Role, Theme};
use crate::delivery;
use crate::platform::adapters::AdapterInfo;
use crate::platform::adapters::InstalledVersion;
use crate::platform::cases::{
    Application, Case, CaseQuery, Evaluation, EvaluationRequest, FieldError, RatingChannel,
    RatingCode, StatusChange, Supplement,
};
use crate::platform::catalogue::{CatalogueMatter, MatterQuery};
use crate::platform::licenses::{Found, Lookup, holder_party};
use crate::platform::pushes::{self, Push, PushError};
use crate::platform::sign_in::{Channel, Refusal};
use crate::platform::stats::{Stats, StatsQuery};
use crate::platform::supervision::{
    Complaint, FollowUp, FollowUpStep, NewComplaint, Viewer, complaint_id,
};
use crate::platform::{MissingMaterial, Platform, PlatformError};

/// Where the OpenAPI document is served.
pub const OPENAPI_PATH: &str = "/api/v1/openapi.json";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "onewindow",
        description = "The unified government service platform: matter catalogue, cases, electronic licenses. \
            Send `Authorization: Bearer <token>`; each operation names the roles it accepts.",
    ),
    modifiers(&BearerToken),
    components(schemas(ErrorBody)),
    tags(
        (name = "matters", description = "政务服务事项 and 一件事 themes"),
        (name = "cases", description = "办件: acceptance, lifecycle, 好差评"),
        (name = "licenses", description = "电子证照: lookup by holder, verification"),
        (name = "supervision", description = "督查: the reform's statistics, 差评 follow-ups, complaints and enquiries"),
        (name = "operations", description = "Health, readiness, metrics, operator and auditor tools"),
        (name = "hooks", description = "Notifications pushed by legacy department systems"),
    )
)]
struct ApiDoc;

/// Declares the `bearer` security scheme the operations refer to.
struct BearerToken;

impl utoipa::Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The routes with their OpenAPI description, before the state is attached.
fn routes() -> OpenApiRouter<Platform> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
        .routes(routes!(list_matters))
        .routes(routes!(get_matter))
        .routes(routes!(list_themes))
        .routes(routes!(accept_case, list_cases))
        .routes(routes!(get_case))
        .routes(routes!(change_status))
        .routes(routes!(supplement))
        .routes(routes!(evaluate))
        .routes(routes!(rating_code))
        .routes(routes!(stats))
        .routes(routes!(stats_table))
        .routes(routes!(follow_ups))
        .routes(routes!(follow_up_callback))
        .routes(routes!(follow_up_rectification))
        .routes(routes!(follow_up_close))
        .routes(routes!(take_complaint, list_complaints))
        .routes(routes!(get_complaint))
        .routes(routes!(reply_complaint))
        .routes(routes!(supervise_complaint))
        .routes(routes!(lookup_licenses))
        .routes(routes!(verify_license))
        .routes(routes!(list_adapters))
        .merge(
            // A package may be larger than any other request body.
            OpenApiRouter::new()
                .routes(routes!(install_adapter))
                .layer(DefaultBodyLimit::max(
                    crate::registry::package::limits::UPLOAD_BYTES,
                )),
        )
        .routes(routes!(activate_adapter))
        .routes(routes!(rollback_adapter))
        .routes(routes!(disable_adapter))
        .routes(routes!(delete_adapter_version))
        .routes(routes!(retry_delivery))
        .routes(routes!(list_exchanges))
        .routes(routes!(get_exchange))
        .routes(routes!(exchange_fixture))
        .routes(routes!(verify_audit))
        .routes(routes!(hook))
}

/// The OpenAPI document of [`api`].
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().into_openapi()
}

/// The API's routes, and its OpenAPI document at [`OPENAPI_PATH`];
/// [`crate::serve::app`] puts them together with the window's.
pub fn api() -> Router<Platform> {
    let (router, document) = routes().split_for_parts();
    let document = Json(document);
    router.route(OPENAPI_PATH, get(move || async move { document }))
}

/// A list answer.
#[derive(Serialize, ToSchema)]
pub struct Items<T> {
    items: Vec<T>,
}

impl<T> From<Vec<T>> for Items<T> {
    fn from(items: Vec<T>) -> Self {
        Items { items }
    }
}
