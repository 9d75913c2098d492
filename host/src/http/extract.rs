//! Extractors: the caller and its roles from the bearer token, and JSON bodies
//! and query strings whose rejections answer in the API's error shape.

#![allow(unused_qualifications)]

use super::*;

/// The roles an endpoint accepts. They are checked as the request's head is
/// read, before its body: a caller without the role learns nothing about what
/// the body should have been.
pub trait Roles {
    const ROLES: &'static [Role];
}

/// Any role that reads cases: all but a department's staff, who see only
/// their department's follow-ups and complaints.
pub struct Anyone;
/// 窗口人员.
pub struct Clerks;
/// 运维.
pub struct Operators;
/// 审计.
pub struct Auditors;
/// 督查.
pub struct Supervisors;
/// A department's staff.
pub struct Departments;
/// Who handles follow-ups and complaints: supervisors and departments' staff.
pub struct Supervision;

impl Roles for Anyone {
    const ROLES: &'static [Role] = &[Role::Clerk, Role::Operator, Role::Auditor, Role::Supervisor];
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
impl Roles for Supervisors {
    const ROLES: &'static [Role] = &[Role::Supervisor];
}
impl Roles for Departments {
    const ROLES: &'static [Role] = &[Role::Department];
}
impl Roles for Supervision {
    const ROLES: &'static [Role] = &[Role::Supervisor, Role::Department];
}

/// The caller, from `Authorization: Bearer <token>`, holding one of `R`'s roles.
pub struct Caller<R: Roles = Anyone> {
    pub name: String,
    pub role: Role,
    /// The department of a department's staff.
    pub department: Option<String>,
    roles: std::marker::PhantomData<R>,
}

impl<R: Roles> Caller<R> {
    pub(super) fn actor(&self) -> String {
        crate::platform::actor(self.role, &self.name)
    }

    /// What the caller may see of follow-ups and complaints: a department's
    /// staff their department's, anyone else all.
    pub(super) fn viewer(&self) -> Viewer<'_> {
        match &self.department {
            Some(d) => Viewer::Department(d),
            None => Viewer::All,
        }
    }

    pub(super) fn require(&self, roles: &[Role]) -> ApiResult<()> {
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
            department: token.department.clone(),
            roles: std::marker::PhantomData,
        };
        caller.require(R::ROLES)?;
        Ok(caller)
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

pub(super) fn json_rejection(rejection: JsonRejection) -> ApiError {
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
