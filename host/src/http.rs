//! The HTTP API (`/api/v1/...`, `/hooks/{adapter}`, `/healthz`, `/readyz`): axum
//! routers over the [`Platform`], bearer tokens with roles, and one error type
//! that answers `{"error", "message", ...details}`.
//!
//! Every route is registered through `utoipa_axum::routes!` from its handler's
//! `#[utoipa::path]`, so the OpenAPI document at `/api/v1/openapi.json` is built
//! from the same list that routes requests and cannot drift from it.

// utoipa's expansion of `params(Type)` trips this lint on code we do not write.
#![allow(unused_qualifications)]

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
    Application, Case, CaseQuery, Evaluation, EvaluationRequest, StatusChange,
};
use crate::platform::catalogue::{CatalogueMatter, MatterQuery};
use crate::platform::licenses::{Found, Lookup, holder_party};
use crate::platform::pushes::{self, Push, PushError};
use crate::platform::sign_in::{Channel, Refusal};
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
        .routes(routes!(evaluate))
        .routes(routes!(follow_ups))
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

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// A stable code: `invalid`, `missing_materials`, `not_found`, `conflict`,
    /// `unauthorized`, `forbidden`, `malformed_json`, `too_large`, ….
    error: &'static str,
    /// What was wrong, for a person.
    message: String,
    /// The request field the error is about (`invalid`).
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<String>,
    /// Every missing material at once (一次告知; `missing_materials`).
    #[serde(skip_serializing_if = "Option::is_none")]
    missing_materials: Option<Vec<MissingMaterial>>,
}

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
    /// Seconds for `Retry-After`.
    retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            body: ErrorBody {
                error: code,
                message: message.into(),
                field: None,
                missing_materials: None,
            },
            retry_after: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

impl From<PlatformError> for ApiError {
    fn from(e: PlatformError) -> Self {
        let answer = e.answer();
        let status =
            StatusCode::from_u16(answer.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut error = ApiError::new(status, answer.code(), e.to_string());
        match e {
            PlatformError::Invalid { field, .. } => error.body.field = Some(field),
            PlatformError::MissingMaterials(missing) => {
                error.body.message = format!(
                    "the application lacks {} required material(s); attach them or, where a license can stand in, get the applicant's consent to reuse it",
                    missing.len()
                );
                error.body.missing_materials = Some(missing);
            }
            PlatformError::Store(_) => {
                error.body.message =
                    "the platform's database is not available now; try again later".into();
            }
            PlatformError::NotFound(_)
            | PlatformError::Conflict(_)
            | PlatformError::Unavailable(_) => {}
        }
        error
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// The roles an endpoint accepts. They are checked as the request's head is
/// read, before its body: a caller without the role learns nothing about what
/// the body should have been.
pub trait Roles {
    const ROLES: &'static [Role];
}

/// Any signed-in role.
pub struct Anyone;
/// 窗口人员.
pub struct Clerks;
/// 运维.
pub struct Operators;
/// 审计.
pub struct Auditors;

impl Roles for Anyone {
    const ROLES: &'static [Role] = &[Role::Clerk, Role::Operator, Role::Auditor];
}
impl Roles for Clerks {
    const ROLES: &'static [Role] = &[Role::Clerk];
}
impl Roles for Operators {
    const ROLES: &'static [Role] = &[Role::Operator];
}
impl Roles for Auditors {
    const ROLES: &'static [Role] = &[Role::Auditor];
}

/// The caller, from `Authorization: Bearer <token>`, holding one of `R`'s roles.
pub struct Caller<R: Roles = Anyone> {
    pub name: String,
    pub role: Role,
    roles: std::marker::PhantomData<R>,
}

impl<R: Roles> Caller<R> {
    fn actor(&self) -> String {
        crate::platform::actor(self.role, &self.name)
    }

    fn require(&self, roles: &[Role]) -> ApiResult<()> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!(
                    "this needs the {} role; your token has the {} role",
                    roles
                        .iter()
                        .map(|r| r.as_str())
                        .collect::<Vec<_>>()
                        .join(" or "),
                    self.role
                ),
            ))
        }
    }
}

impl<R: Roles> FromRequestParts<Platform> for Caller<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, platform: &Platform) -> ApiResult<Self> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        let unauthorized = |message: &str| {
            tracing::info!(
                address = peer.map(|ip| ip.to_string()),
                path = parts.uri.path(),
                "an API request without a usable token was refused: {message}"
            );
            ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message.to_owned())
        };
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or_else(|| unauthorized("send your token as `Authorization: Bearer <token>`"))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| unauthorized("the Authorization header must be `Bearer <token>`"))?;
        // `sign_in` logs and audits a wrong token itself.
        let token = match platform.sign_in(Channel::Api, None, token, peer).await {
            Ok(token) => token,
            Err(Refusal::Wrong) => {
                return Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "the token is not known to this platform",
                ));
            }
            Err(Refusal::Locked(wait)) => return Err(too_many(wait)),
        };
        let caller = Caller {
            name: token.name.clone(),
            role: token.role,
            roles: std::marker::PhantomData,
        };
        caller.require(R::ROLES)?;
        Ok(caller)
    }
}

/// `429` with `Retry-After`: too many failed sign-ins from this address.
fn too_many(wait: std::time::Duration) -> ApiError {
    let mut error = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_failures",
        format!(
            "too many unknown tokens from this address; try again in {} seconds",
            wait.as_secs() + 1
        ),
    );
    error.retry_after = Some(wait.as_secs() + 1);
    error
}

/// A JSON body whose rejections answer in the API's error shape.
pub struct Body<T>(pub T);

impl<T: serde::de::DeserializeOwned> FromRequest<Platform> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &Platform) -> ApiResult<Self> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Body(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonDataError(e) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            format!(
                "the request body does not have the expected fields: {}",
                e.body_text()
            ),
        ),
        JsonRejection::JsonSyntaxError(e) => ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!("the request body is not valid JSON: {}", e.body_text()),
        ),
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as JSON with `Content-Type: application/json`",
        ),
        JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "the request body is larger than this platform accepts (max-body-bytes)",
            )
        }
        other => ApiError::new(other.status(), "bad_request", other.body_text()),
    }
}

/// Query parameters whose rejections answer in the API's error shape.
pub struct Params<T>(pub T);

impl<T: serde::de::DeserializeOwned + Send> FromRequestParts<Platform> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Platform) -> ApiResult<Self> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(Params(value)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                e.body_text(),
            )),
            Err(other) => Err(ApiError::new(
                other.status(),
                "invalid_query",
                other.body_text(),
            )),
        }
    }
}

pub(crate) async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such endpoint; see /api/v1/openapi.json",
    )
}

type Responses =
    std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::response::Response>>;

/// Error answers, as documented responses with the [`ErrorBody`] schema.
fn error_responses(answers: &[(&str, &str)]) -> Responses {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    answers
        .iter()
        .map(|&(status, description)| {
            let response = ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build();
            (status.to_owned(), response.into())
        })
        .collect()
}

/// A set of error answers, as a type to name in `#[utoipa::path(responses(...))]`.
macro_rules! error_answers {
    ($(#[$doc:meta])* $name:ident { $($status:literal => $description:literal),+ $(,)? }) => {
        $(#[$doc])*
        struct $name;

        impl utoipa::IntoResponses for $name {
            fn responses() -> Responses {
                error_responses(&[$(($status, $description)),+])
            }
        }
    };
}

error_answers!(
    /// The 401 and 403 answers every operation with a token can give.
    Refusals {
        "401" => "No token, or one this platform does not know",
        "403" => "The token's role may not do this",
        "429" => "Too many unknown tokens from this address within a minute; see Retry-After",
    }
);

error_answers!(
    /// The answers of [`Body`] to a body it cannot read.
    BodyErrors {
        "400" => "The body is not valid JSON",
        "413" => "The body is larger than the platform accepts (max-body-bytes)",
        "415" => "The body is not sent as application/json",
    }
);

error_answers!(
    /// The answer of [`Params`] to a query it cannot read.
    QueryErrors {
        "400" => "A query parameter is unknown or malformed",
    }
);

/// Counts requests by route (the pattern, never the concrete path, which may
/// hold an ID number) and status.
pub(crate) async fn count_requests(request: Request, next: axum::middleware::Next) -> Response {
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    // Labels come only from fixed sets, so no request can add series: an
    // invented method counts as `other`, and a path no route has as `unmatched`.
    let method = match *request.method() {
        axum::http::Method::GET => "GET",
        axum::http::Method::HEAD => "HEAD",
        axum::http::Method::POST => "POST",
        axum::http::Method::PUT => "PUT",
        axum::http::Method::DELETE => "DELETE",
        axum::http::Method::PATCH => "PATCH",
        axum::http::Method::OPTIONS => "OPTIONS",
        _ => "other",
    };
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    let labels = [
        ("method", method.to_owned()),
        ("route", route),
        ("status", response.status().as_u16().to_string()),
    ];
    metrics::counter!("onewindow_http_requests_total", &labels).increment(1);
    metrics::histogram!("onewindow_http_request_seconds", &labels[..2])
        .record(started.elapsed().as_secs_f64());
    response
}

/// Metrics in the Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = OK, description = "Prometheus text exposition format", body = String, content_type = "text/plain")))]
async fn metrics() -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::metrics::render(),
    )
        .into_response()
}

/// `GET /healthz`.
#[derive(Serialize, ToSchema)]
struct Health {
    /// Always `ok`: the process answers.
    status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = OK, body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// `GET /readyz`.
#[derive(Serialize, ToSchema)]
struct Readiness {
    ready: bool,
    /// The database answers.
    database: bool,
    /// How many adapters are loaded.
    adapters: usize,
}

/// The database answers and adapters are loaded.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses(
    (status = OK, body = Readiness),
    (status = SERVICE_UNAVAILABLE, description = "Not ready; the body says what is missing", body = Readiness),
))]
async fn readyz(State(platform): State<Platform>) -> (StatusCode, Json<Readiness>) {
    let database = platform.store.ping().await.is_ok();
    let adapters = platform.adapters().len();
    let ready = database && adapters > 0;
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(Readiness {
            ready,
            database,
            adapters,
        }),
    )
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

/// Searches the matter catalogue. Roles: any.
#[utoipa::path(get, path = "/api/v1/matters", tag = "matters", security(("bearer" = [])),
    params(MatterQuery),
    responses((status = OK, body = Items<CatalogueMatter>), QueryErrors, Refusals))]
async fn list_matters(
    _: Caller,
    State(platform): State<Platform>,
    Params(query): Params<MatterQuery>,
) -> ApiResult<Json<Items<CatalogueMatter>>> {
    Ok(Json(platform.matters(&query).await?.into()))
}

/// One matter with its full guide. Roles: any.
#[utoipa::path(get, path = "/api/v1/matters/{code}", tag = "matters", security(("bearer" = [])),
    params(("code" = String, Path, description = "The matter code, e.g. 330122-SCJG-XK-001")),
    responses(
        (status = OK, body = CatalogueMatter),
        (status = NOT_FOUND, body = ErrorBody),
        Refusals,
    ))]
async fn get_matter(
    _: Caller,
    State(platform): State<Platform>,
    Path(code): Path<String>,
) -> ApiResult<Json<CatalogueMatter>> {
    Ok(Json(platform.matter(&code).await?))
}

/// The 一件事 themes. Roles: any.
#[utoipa::path(get, path = "/api/v1/themes", tag = "matters", security(("bearer" = [])),
    responses((status = OK, body = Items<Theme>), Refusals))]
async fn list_themes(_: Caller, State(platform): State<Platform>) -> ApiResult<Json<Items<Theme>>> {
    Ok(Json(platform.config.themes.clone().into()))
}

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
        (status = UNPROCESSABLE_ENTITY, description = "A field is wrong (`field` names it), or materials are missing (all listed in `missing_materials`)", body = ErrorBody),
        BodyErrors,
        Refusals,
    ))]
async fn accept_case(
    caller: Caller<Clerks>,
    State(platform): State<Platform>,
    Body(application): Body<Application>,
) -> ApiResult<(StatusCode, Json<Case>)> {
    let case = platform.accept(application, &caller.actor()).await?;
    Ok((StatusCode::CREATED, Json(case)))
}

/// Lists cases, newest first. Roles: any.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", security(("bearer" = [])),
    params(CaseQuery),
    responses(
        (status = OK, body = Items<Case>),
        (status = UNPROCESSABLE_ENTITY, description = "A filter names an unknown status", body = ErrorBody),
        QueryErrors,
        Refusals,
    ))]
async fn list_cases(
    _: Caller,
    State(platform): State<Platform>,
    Params(query): Params<CaseQuery>,
) -> ApiResult<Json<Items<Case>>> {
    Ok(Json(platform.cases(&query).await?.into()))
}

/// One case with its parts and timeline. Roles: any.
#[utoipa::path(get, path = "/api/v1/cases/{case_no}", tag = "cases", security(("bearer" = [])),
    params(("case_no" = String, Path, description = "The case number")),
    responses((status = OK, body = Case), (status = NOT_FOUND, body = ErrorBody), Refusals))]
async fn get_case(
    _: Caller,
    State(platform): State<Platform>,
    Path(case_no): Path<String>,
) -> ApiResult<Json<Case>> {
    Ok(Json(platform.case(&case_no).await?))
}

/// Moves a case on (a clerk's step, e.g. withdrawal). Roles: clerk.
#[utoipa::path(post, path = "/api/v1/cases/{case_no}/status", tag = "cases", security(("bearer" = [])),
    params(("case_no" = String, Path, description = "The case number")),
    request_body = StatusChange,
    responses(
        (status = OK, body = Case),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, description = "The move is illegal from the case's status", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "A field is missing, unknown or wrong", body = ErrorBody),
        BodyErrors,
        Refusals,
    ))]
async fn change_status(
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

/// Records the applicant's 好差评, once, after completion. Roles: clerk.
#[utoipa::path(post, path = "/api/v1/cases/{case_no}/evaluation", tag = "cases", security(("bearer" = [])),
    params(("case_no" = String, Path, description = "The case number")),
    request_body = EvaluationRequest,
    responses(
        (status = CREATED, body = Evaluation),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, description = "Not completed yet, or already evaluated", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "The rating is not 1–5, or a field is wrong", body = ErrorBody),
        BodyErrors,
        Refusals,
    ))]
async fn evaluate(
    caller: Caller<Clerks>,
    State(platform): State<Platform>,
    Path(case_no): Path<String>,
    Body(request): Body<EvaluationRequest>,
) -> ApiResult<(StatusCode, Json<Evaluation>)> {
    let evaluation = platform
        .evaluate(&case_no, &request, &caller.actor())
        .await?;
    Ok((StatusCode::CREATED, Json(evaluation)))
}

/// Ratings of 1–2 with their rectification deadline. Roles: any.
#[utoipa::path(get, path = "/api/v1/evaluations/follow-up", tag = "cases", security(("bearer" = [])),
    responses((status = OK, body = Items<Evaluation>), Refusals))]
async fn follow_ups(
    _: Caller,
    State(platform): State<Platform>,
) -> ApiResult<Json<Items<Evaluation>>> {
    Ok(Json(platform.follow_ups().await?.into()))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct LicenseQuery {
    /// The holder's resident ID number or unified social credit code.
    holder: String,
    /// The holder's name, if known.
    #[serde(default)]
    name: String,
    /// Ask only this department (its name, e.g. 县公安局) instead of every one.
    #[serde(default)]
    department: Option<String>,
    /// Why the licenses are looked up; recorded in the audit log.
    #[serde(default)]
    purpose: Option<String>,
}

/// Asks every license adapter (or one department's) for the holder's licenses. Roles: clerk.
#[utoipa::path(get, path = "/api/v1/licenses", tag = "licenses", security(("bearer" = [])),
    params(LicenseQuery),
    responses(
        (status = OK, description = "The merged list and the departments that did not answer", body = Lookup),
        QueryErrors,
        (status = UNPROCESSABLE_ENTITY, description = "The holder is neither a valid ID number nor a valid credit code, or no department of that name issues licenses", body = ErrorBody),
        Refusals,
    ))]
async fn lookup_licenses(
    caller: Caller<Clerks>,
    State(platform): State<Platform>,
    Params(query): Params<LicenseQuery>,
) -> ApiResult<Json<Lookup>> {
    let holder = holder_party(&query.holder, &query.name)?;
    let purpose = query.purpose.as_deref().unwrap_or("窗口查询证照");
    let lookup = platform
        .lookup_licenses(
            &holder,
            query.department.as_deref(),
            &caller.actor(),
            purpose,
        )
        .await?;
    Ok(Json(lookup))
}

/// Verifies one license by its type and number. Roles: clerk.
#[utoipa::path(get, path = "/api/v1/licenses/{type_code}/{number}", tag = "licenses", security(("bearer" = [])),
    params(
        ("type_code" = String, Path, description = "The license type, e.g. 营业执照's code"),
        ("number" = String, Path, description = "The license number"),
    ),
    responses(
        (status = OK, description = "The license as its issuer answers it now (`source: issuer`), or the copy the platform kept when the issuer does not answer (`source: kept`)", body = Found),
        (status = NOT_FOUND, description = "The issuer does not know it", body = ErrorBody),
        (status = SERVICE_UNAVAILABLE, description = "Not found, and a department did not answer; try again later", body = ErrorBody),
        Refusals,
    ))]
async fn verify_license(
    _: Caller<Clerks>,
    State(platform): State<Platform>,
    Path((type_code, number)): Path<(String, String)>,
) -> ApiResult<Json<Found>> {
    Ok(Json(platform.verify_license(&type_code, &number).await?))
}

/// Every adapter version: installed in the registry, or loaded from the
/// adapter folder. Roles: operator.
#[utoipa::path(get, path = "/api/v1/admin/adapters", tag = "operations", security(("bearer" = [])),
    responses((status = OK, body = Items<AdapterInfo>), Refusals))]
async fn list_adapters(
    _: Caller<Operators>,
    State(platform): State<Platform>,
) -> ApiResult<Json<Items<AdapterInfo>>> {
    Ok(Json(platform.adapter_infos().await?.into()))
}

/// Installs a package (`.tar.gz` from `onewindow adapter pack`): verified,
/// compiled and stored as an inactive version. Roles: operator.
#[utoipa::path(post, path = "/api/v1/admin/adapters", tag = "operations", security(("bearer" = [])),
    request_body(content = Vec<u8>, content_type = "application/gzip",
        description = "The package, as written by `onewindow adapter pack`"),
    responses(
        (status = CREATED, body = InstalledVersion),
        (status = CONFLICT, description = "This id and version is installed with other contents", body = ErrorBody),
        (status = PAYLOAD_TOO_LARGE, body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "The package was refused; `message` says why", body = ErrorBody),
        Refusals,
    ))]
async fn install_adapter(
    caller: Caller<Operators>,
    State(platform): State<Platform>,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<(StatusCode, Json<InstalledVersion>)> {
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "the package is larger than this platform accepts",
            )
        } else {
            ApiError::new(e.status(), "bad_request", e.body_text())
        }
    })?;
    let installed = platform.install_package(&body, &caller.actor()).await?;
    Ok((StatusCode::CREATED, Json(installed)))
}

/// Makes an installed version the one serving its adapter; calls in flight
/// finish on the version they started on. Roles: operator.
#[utoipa::path(post, path = "/api/v1/admin/adapters/{id}/activate/{version}", tag = "operations", security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "The adapter id"),
        ("version" = String, Path, description = "An installed version"),
        Activation,
    ),
    responses(
        (status = OK, body = InstalledVersion),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, description = "That version is already active, is lower than the active one without `allow_downgrade=true`, or no longer verifies", body = ErrorBody),
        QueryErrors,
        Refusals,
    ))]
async fn activate_adapter(
    caller: Caller<Operators>,
    State(platform): State<Platform>,
    Path((id, version)): Path<(String, String)>,
    Params(activation): Params<Activation>,
) -> ApiResult<Json<InstalledVersion>> {
    Ok(Json(
        platform
            .activate_adapter(&id, &version, &caller.actor(), activation.allow_downgrade)
            .await?,
    ))
}

/// `?allow_downgrade=` of an activation.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct Activation {
    /// Confirms the activation of a version lower than the active one.
    #[serde(default)]
    allow_downgrade: bool,
}

/// Goes back to the version active before the current one. Roles: operator.
#[utoipa::path(post, path = "/api/v1/admin/adapters/{id}/rollback", tag = "operations", security(("bearer" = [])),
    params(("id" = String, Path, description = "The adapter id")),
    responses(
        (status = OK, body = InstalledVersion),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, description = "There is no earlier version to go back to", body = ErrorBody),
        Refusals,
    ))]
async fn rollback_adapter(
    caller: Caller<Operators>,
    State(platform): State<Platform>,
    Path(id): Path<String>,
) -> ApiResult<Json<InstalledVersion>> {
    Ok(Json(platform.rollback_adapter(&id, &caller.actor()).await?))
}

/// Switches an adapter off; its cases wait in the outbox. Roles: operator.
#[utoipa::path(post, path = "/api/v1/admin/adapters/{id}/disable", tag = "operations", security(("bearer" = [])),
    params(("id" = String, Path, description = "The adapter id")),
    responses(
        (status = NO_CONTENT, description = "Disabled"),
        (status = CONFLICT, description = "No version of it is active", body = ErrorBody),
        Refusals,
    ))]
async fn disable_adapter(
    caller: Caller<Operators>,
    State(platform): State<Platform>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    platform.disable_adapter(&id, &caller.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes an installed version that is not active. Roles: operator.
#[utoipa::path(delete, path = "/api/v1/admin/adapters/{id}/versions/{version}", tag = "operations", security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "The adapter id"),
        ("version" = String, Path, description = "An installed version"),
    ),
    responses(
        (status = NO_CONTENT, description = "Deleted"),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, description = "The version is active", body = ErrorBody),
        Refusals,
    ))]
async fn delete_adapter_version(
    caller: Caller<Operators>,
    State(platform): State<Platform>,
    Path((id, version)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    platform
        .delete_adapter_version(&id, &version, &caller.actor())
        .await?;
    Ok(StatusCode::NO_CONTENT)
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
async fn retry_delivery(
    caller: Caller<Operators>,
    State(platform): State<Platform>,
    Path(case_no): Path<String>,
) -> ApiResult<Json<Case>> {
    delivery::retry(&platform, &case_no, &caller.actor()).await?;
    Ok(Json(platform.case(&case_no).await?))
}

/// The outcome of walking the audit chain.
#[derive(Serialize, ToSchema)]
struct AuditVerification {
    valid: bool,
    /// How many entries were checked (when valid).
    #[serde(skip_serializing_if = "Option::is_none")]
    entries: Option<u64>,
    /// The first edited, reordered or deleted entry (when not valid).
    #[serde(skip_serializing_if = "Option::is_none")]
    first_break: Option<String>,
}

/// Walks the audit chain. Roles: auditor.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "operations", security(("bearer" = [])),
    responses((status = OK, body = AuditVerification), Refusals))]
async fn verify_audit(
    _: Caller<Auditors>,
    State(platform): State<Platform>,
) -> ApiResult<Json<AuditVerification>> {
    let outcome = platform
        .store
        .verify_audit()
        .await
        .map_err(PlatformError::from)?;
    Ok(Json(match outcome {
        Ok(entries) => AuditVerification {
            valid: true,
            entries: Some(entries),
            first_break: None,
        },
        Err(broken) => AuditVerification {
            valid: false,
            entries: None,
            first_break: Some(broken.to_string()),
        },
    }))
}

/// What a pushed notification did.
#[derive(Serialize, ToSchema)]
struct HookOutcome {
    /// Events the adapter read from the notification.
    events: usize,
    /// Events that moved a case (the others were already applied).
    applied: usize,
    /// Events refused because the license they issue is not the department's
    /// to issue or not the applicant's (audited as `license.rejected`).
    rejected: usize,
}

/// A notification pushed by a legacy system; the adapter turns it into events.
/// The push must be signed with a secret of the hook (`[hooks.<adapter>]`):
/// `X-Onewindow-Timestamp` (unix seconds, within 5 minutes of now) and
/// `X-Onewindow-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`,
/// each signature used once. Anything else is a `401` before the adapter is called.
#[utoipa::path(post, path = "/hooks/{adapter}", tag = "hooks",
    params(
        ("adapter" = String, Path, description = "The adapter id, e.g. market-supervision"),
        ("x-onewindow-timestamp" = String, Header, description = "When the push was signed, in unix seconds"),
        ("x-onewindow-signature" = String, Header, description = "sha256=<hex of HMAC-SHA256(secret, timestamp + \".\" + body)>"),
    ),
    request_body(content = String, content_type = "application/octet-stream",
        description = "The legacy system's notification in its own format, passed to the adapter unchanged"),
    responses(
        (status = OK, body = HookOutcome),
        (status = UNAUTHORIZED, description = "Not signed as the hook requires: nothing was applied", body = ErrorBody),
        (status = NOT_FOUND, body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "The adapter could not read the notification", body = ErrorBody),
        (status = SERVICE_UNAVAILABLE, description = "Retry later, signed anew", body = ErrorBody),
    ))]
async fn hook(
    State(platform): State<Platform>,
    Path(adapter_id): Path<String>,
    peer: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Json<HookOutcome>> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let peer = peer.map(|p| p.0.0.ip());
    let push = Push {
        adapter_id: &adapter_id,
        timestamp: header(pushes::TIMESTAMP_HEADER),
        signature: header(pushes::SIGNATURE_HEADER),
        body: &body,
        peer,
    };
    match platform.authenticate_push(&push).await {
        Ok(()) => {}
        Err(PushError::Refused(refusal)) => {
            // The label is the adapter id only for configured hooks, so invented
            // paths cannot add series.
            let hook = if platform.config.hooks.contains_key(&adapter_id) {
                adapter_id.clone()
            } else {
                "unconfigured".to_owned()
            };
            metrics::counter!("onewindow_hook_refusals_total", "hook" => hook, "reason" => refusal.reason())
                .increment(1);
            tracing::warn!(
                hook = adapter_id,
                source = peer.map(|ip| ip.to_string()).unwrap_or_default(),
                reason = refusal.reason(),
                "push refused: {refusal}"
            );
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                format!("push refused: {refusal}"),
            ));
        }
        Err(PushError::Platform(e)) => return Err(e.into()),
    }
    let adapter = platform.adapter(&adapter_id).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no adapter {adapter_id:?} is loaded"),
        )
    })?;
    let content_type = header(header::CONTENT_TYPE.as_str()).unwrap_or("application/octet-stream");
    let events = adapter.on_notify(&body, content_type).await.map_err(|e| {
        let status = if e.is_retryable() {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        ApiError::new(status, "notification_rejected", e.to_string())
    })?;
    let (mut applied, mut rejected) = (0, 0);
    for event in &events {
        match delivery::apply_event(&platform, adapter.as_ref(), event).await? {
            delivery::Applied::Moved => applied += 1,
            delivery::Applied::Rejected => rejected += 1,
            delivery::Applied::Skipped => {}
            delivery::Applied::Deferred => {
                return Err(ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "not_ready",
                    format!(
                        "case {} cannot take this event yet; push again later, signed anew",
                        event.case_no
                    ),
                ));
            }
        }
    }
    Ok(Json(HookOutcome {
        events: events.len(),
        applied,
        rejected,
    }))
}
