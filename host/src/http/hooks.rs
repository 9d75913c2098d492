//! `/hooks/{adapter}`: notifications pushed by departments.

#![allow(unused_qualifications)]

use super::*;

/// What a pushed notification did.
#[derive(Serialize, ToSchema)]
pub(super) struct HookOutcome {
    /// Events the adapter read from the notification.
    events: usize,
    /// Events that moved a case or changed a license's status (the others
    /// were already applied).
    applied: usize,
    /// Events refused because the license they issue or change is not the
    /// department's or not the applicant's (audited as `license.rejected`).
    rejected: usize,
}

/// The push's headers as the adapter sees them (`cases.on-notify`), names in
/// lower case: all but the platform's own credentials, which are the
/// platform's to check, and any cookie or authorization a proxy let through.
fn push_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(name, _)| {
            !matches!(
                name.as_str(),
                "authorization" | "proxy-authorization" | "cookie" | pushes::SIGNATURE_HEADER
            )
        })
        .filter_map(|(name, value)| {
            Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect()
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
pub(super) async fn hook(
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
    let events = adapter
        .on_notify(&push_headers(&headers), &body)
        .await
        .map_err(|e| {
            let status = if e.is_retryable() {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            ApiError::new(status, "notification_rejected", e.to_string())
        })?;
    let (mut applied, mut rejected) = (0, 0);
    for event in &events.license_events {
        match platform.license_changed(adapter.as_ref(), event).await? {
            crate::platform::licenses::Changed::Applied => applied += 1,
            crate::platform::licenses::Changed::Rejected => rejected += 1,
            crate::platform::licenses::Changed::Unchanged => {}
        }
    }
    for event in &events.events {
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
        events: events.events.len() + events.license_events.len(),
        applied,
        rejected,
    }))
}
