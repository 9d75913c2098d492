//! The HTTP API (`/api/v1/...`, `/hooks/{adapter}`, `/healthz`, `/readyz`): axum
//! routers over the [`Platform`], bearer tokens with roles, and one error type
//! that answers `{"error", "message", ...details}`.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::Role;
use crate::delivery;
use crate::platform::cases::{Application, CaseQuery, EvaluationRequest, StatusChange};
use crate::platform::catalogue::MatterQuery;
use crate::platform::licenses::holder_party;
use crate::platform::{Platform, PlatformError};

/// The whole API.
pub fn app(platform: Platform) -> Router {
    let limit = platform.config.max_body_bytes;
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/api/v1/matters", get(list_matters))
        .route("/api/v1/matters/{code}", get(get_matter))
        .route("/api/v1/themes", get(list_themes))
        .route("/api/v1/cases", post(accept_case).get(list_cases))
        .route("/api/v1/cases/{case_no}", get(get_case))
        .route("/api/v1/cases/{case_no}/status", post(change_status))
        .route("/api/v1/cases/{case_no}/evaluation", post(evaluate))
        .route("/api/v1/evaluations/follow-up", get(follow_ups))
        .route("/api/v1/licenses", get(lookup_licenses))
        .route("/api/v1/licenses/{type_code}/{number}", get(verify_license))
        .route("/api/v1/admin/adapters", get(list_adapters))
        .route("/api/v1/admin/cases/{case_no}/retry", post(retry_delivery))
        .route("/api/v1/audit/verify", get(verify_audit))
        .route("/hooks/{adapter}", post(hook))
        .fallback(not_found)
        .layer(axum::middleware::from_fn(count_requests))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(platform)
}

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    details: Value,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: Value::Null,
        }
    }

    fn with(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({"error": self.code, "message": self.message});
        if let (Value::Object(body), Value::Object(details)) = (&mut body, self.details) {
            body.extend(details);
        }
        (self.status, Json(body)).into_response()
    }
}

impl From<PlatformError> for ApiError {
    fn from(e: PlatformError) -> Self {
        match e {
            PlatformError::Invalid { field, message } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
                    .with(json!({"field": field}))
            }
            PlatformError::MissingMaterials(missing) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "missing_materials",
                format!(
                    "the application lacks {} required material(s); attach them or, where a license can stand in, get the applicant's consent to reuse it",
                    missing.len()
                ),
            )
            .with(json!({"missing_materials": missing})),
            PlatformError::NotFound(message) => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
            }
            PlatformError::Conflict(message) => {
                ApiError::new(StatusCode::CONFLICT, "conflict", message)
            }
            PlatformError::Store(e) => {
                tracing::error!("database: {e}");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the platform could not complete the request; it has been logged",
                )
            }
        }
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// The caller, from `Authorization: Bearer <token>`.
pub struct Caller {
    pub name: String,
    pub role: Role,
}

impl Caller {
    fn actor(&self) -> String {
        format!("{}:{}", self.role, self.name)
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

impl FromRequestParts<Platform> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, platform: &Platform) -> ApiResult<Self> {
        let unauthorized = |message: &str| {
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
        let token = platform
            .config
            .token(token)
            .ok_or_else(|| unauthorized("the token is not known to this platform"))?;
        Ok(Caller {
            name: token.name.clone(),
            role: token.role,
        })
    }
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

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such endpoint; see /api/v1/...",
    )
}

/// Counts requests by route (the pattern, never the concrete path, which may
/// hold an ID number) and status.
async fn count_requests(request: Request, next: axum::middleware::Next) -> Response {
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().to_string();
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    let labels = [
        ("method", method),
        ("route", route),
        ("status", response.status().as_u16().to_string()),
    ];
    metrics::counter!("onewindow_http_requests_total", &labels).increment(1);
    metrics::histogram!("onewindow_http_request_seconds", &labels[..2])
        .record(started.elapsed().as_secs_f64());
    response
}

async fn metrics() -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::metrics::render(),
    )
        .into_response()
}

async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

async fn readyz(State(platform): State<Platform>) -> Response {
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
        Json(json!({"ready": ready, "database": database, "adapters": adapters})),
    )
        .into_response()
}

const ANYONE: &[Role] = &[Role::Clerk, Role::Operator, Role::Auditor];
const CLERK: &[Role] = &[Role::Clerk];
const CASE_READERS: &[Role] = &[Role::Clerk, Role::Operator, Role::Auditor];
const OPERATOR: &[Role] = &[Role::Operator];
const AUDITOR: &[Role] = &[Role::Auditor];

async fn list_matters(
    caller: Caller,
    State(platform): State<Platform>,
    Params(query): Params<MatterQuery>,
) -> ApiResult<Json<Value>> {
    caller.require(ANYONE)?;
    let items: Vec<_> = platform.matters(&query).await?;
    Ok(Json(json!({"items": items})))
}

async fn get_matter(
    caller: Caller,
    State(platform): State<Platform>,
    Path(code): Path<String>,
) -> ApiResult<Json<Value>> {
    caller.require(ANYONE)?;
    Ok(Json(json!(platform.matter(&code).await?)))
}

async fn list_themes(caller: Caller, State(platform): State<Platform>) -> ApiResult<Json<Value>> {
    caller.require(ANYONE)?;
    Ok(Json(json!({"items": platform.config.themes})))
}

async fn accept_case(
    caller: Caller,
    State(platform): State<Platform>,
    Body(application): Body<Application>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    caller.require(CLERK)?;
    let case = platform.accept(application, &caller.actor()).await?;
    Ok((StatusCode::CREATED, Json(json!(case))))
}

async fn list_cases(
    caller: Caller,
    State(platform): State<Platform>,
    Params(query): Params<CaseQuery>,
) -> ApiResult<Json<Value>> {
    caller.require(CASE_READERS)?;
    Ok(Json(json!({"items": platform.cases(&query).await?})))
}

async fn get_case(
    caller: Caller,
    State(platform): State<Platform>,
    Path(case_no): Path<String>,
) -> ApiResult<Json<Value>> {
    caller.require(CASE_READERS)?;
    Ok(Json(json!(platform.case(&case_no).await?)))
}

async fn change_status(
    caller: Caller,
    State(platform): State<Platform>,
    Path(case_no): Path<String>,
    Body(change): Body<StatusChange>,
) -> ApiResult<Json<Value>> {
    caller.require(CLERK)?;
    let case = platform
        .change_status(&case_no, &change, &caller.actor())
        .await?;
    Ok(Json(json!(case)))
}

async fn evaluate(
    caller: Caller,
    State(platform): State<Platform>,
    Path(case_no): Path<String>,
    Body(request): Body<EvaluationRequest>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    caller.require(CLERK)?;
    let evaluation = platform
        .evaluate(&case_no, &request, &caller.actor())
        .await?;
    Ok((StatusCode::CREATED, Json(json!(evaluation))))
}

async fn follow_ups(caller: Caller, State(platform): State<Platform>) -> ApiResult<Json<Value>> {
    caller.require(CASE_READERS)?;
    Ok(Json(json!({"items": platform.follow_ups().await?})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LicenseQuery {
    holder: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    purpose: Option<String>,
}

async fn lookup_licenses(
    caller: Caller,
    State(platform): State<Platform>,
    Params(query): Params<LicenseQuery>,
) -> ApiResult<Json<Value>> {
    caller.require(CLERK)?;
    let holder = holder_party(&query.holder, &query.name)?;
    let purpose = query.purpose.as_deref().unwrap_or("窗口查询证照");
    let lookup = platform
        .lookup_licenses(&holder, &caller.actor(), purpose)
        .await?;
    Ok(Json(json!(lookup)))
}

async fn verify_license(
    caller: Caller,
    State(platform): State<Platform>,
    Path((type_code, number)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    caller.require(CLERK)?;
    Ok(Json(json!(
        platform.verify_license(&type_code, &number).await?
    )))
}

async fn list_adapters(caller: Caller, State(platform): State<Platform>) -> ApiResult<Json<Value>> {
    caller.require(OPERATOR)?;
    let items: Vec<Value> = platform
        .adapters()
        .iter()
        .map(|a| {
            json!({
                "id": a.id(),
                "version": a.manifest().version.to_string(),
                "department": a.manifest().department,
                "sha256": a.sha256(),
                "state": "active",
                "exports": {
                    "matters": a.exports().matters,
                    "cases": a.exports().cases,
                    "licenses": a.exports().licenses,
                },
            })
        })
        .collect();
    Ok(Json(json!({"items": items})))
}

async fn retry_delivery(
    caller: Caller,
    State(platform): State<Platform>,
    Path(case_no): Path<String>,
) -> ApiResult<Json<Value>> {
    caller.require(OPERATOR)?;
    delivery::retry(&platform, &case_no, &caller.actor()).await?;
    Ok(Json(json!(platform.case(&case_no).await?)))
}

async fn verify_audit(caller: Caller, State(platform): State<Platform>) -> ApiResult<Json<Value>> {
    caller.require(AUDITOR)?;
    match platform
        .store
        .verify_audit()
        .await
        .map_err(PlatformError::from)?
    {
        Ok(entries) => Ok(Json(json!({"valid": true, "entries": entries}))),
        Err(broken) => Ok(Json(
            json!({"valid": false, "first_break": broken.to_string()}),
        )),
    }
}

/// Notifications a legacy system pushes; the adapter turns them into events.
async fn hook(
    State(platform): State<Platform>,
    Path(adapter_id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    let adapter = platform.adapter(&adapter_id).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no adapter {adapter_id:?} is loaded"),
        )
    })?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream");
    let events = adapter.on_notify(&body, content_type).await.map_err(|e| {
        let status = if e.is_retryable() {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        ApiError::new(status, "notification_rejected", e.to_string())
    })?;
    let mut applied = 0;
    for event in &events {
        match delivery::apply_event(&platform, &adapter, event).await? {
            delivery::Applied::Moved => applied += 1,
            delivery::Applied::Skipped => {}
            delivery::Applied::Deferred => {
                return Err(ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "not_ready",
                    format!(
                        "case {} is not delivered yet as far as the platform knows; push again later",
                        event.case_no
                    ),
                ));
            }
        }
    }
    Ok(Json(json!({"events": events.len(), "applied": applied})))
}
