//! Error answers: one body for every error, the mapping from the platform's
//! errors, and the documented sets of error answers.

#![allow(unused_qualifications)]

use super::*;

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
    /// Every wrong field of the application's form at once (`invalid_form`).
    #[serde(skip_serializing_if = "Option::is_none")]
    form_errors: Option<Vec<FieldError>>,
    /// Every missing material at once (一次告知; `missing_materials`).
    #[serde(skip_serializing_if = "Option::is_none")]
    missing_materials: Option<Vec<MissingMaterial>>,
}

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    /// Boxed: every handler's `Result` carries an `ApiError`.
    body: Box<ErrorBody>,
    /// Seconds for `Retry-After`.
    retry_after: Option<u64>,
}

impl ApiError {
    pub(super) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            body: Box::new(ErrorBody {
                error: code,
                message: message.into(),
                field: None,
                form_errors: None,
                missing_materials: None,
            }),
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
            PlatformError::InvalidForm(errors) => {
                error.body.message = format!(
                    "{} field(s) of the application's form are missing or wrong; see form_errors",
                    errors.len()
                );
                error.body.form_errors = Some(errors);
            }
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

pub(super) type ApiResult<T> = Result<T, ApiError>;

pub(crate) async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such endpoint; see /api/v1/openapi.json",
    )
}

pub(super) type Responses =
    std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::response::Response>>;

/// Error answers, as documented responses with the [`ErrorBody`] schema.
pub(super) fn error_responses(answers: &[(&str, &str)]) -> Responses {
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
        pub(super) struct $name;

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

/// `429` with `Retry-After`: too many failed sign-ins from this address.
pub(super) fn too_many(wait: std::time::Duration) -> ApiError {
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
