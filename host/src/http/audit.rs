//! `/api/v1/audit`: the audit chain, for auditors.

#![allow(unused_qualifications)]

use super::*;

/// The outcome of walking the audit chain.
#[derive(Serialize, ToSchema)]
pub(super) struct AuditVerification {
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
pub(super) async fn verify_audit(
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
