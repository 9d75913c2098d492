//! Operations: request metrics, `/metrics`, `/healthz` and `/readyz`.

#![allow(unused_qualifications)]

use super::*;

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
pub(super) async fn metrics(State(platform): State<Platform>) -> Response {
    // What is overdue depends on today: counted from the database at each
    // scrape, so every replica reports the same.
    match platform.overdue().await {
        Ok((follow_ups, complaints)) => {
            metrics::gauge!("onewindow_follow_ups_overdue").set(follow_ups as f64);
            metrics::gauge!("onewindow_complaints_overdue").set(complaints as f64);
        }
        Err(e) => tracing::warn!("counting what is overdue for /metrics: {e}"),
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::metrics::render(),
    )
        .into_response()
}

/// `GET /healthz`.
#[derive(Serialize, ToSchema)]
pub(super) struct Health {
    /// Always `ok`: the process answers.
    status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = OK, body = Health)))]
pub(super) async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// `GET /readyz`.
#[derive(Serialize, ToSchema)]
pub(super) struct Readiness {
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
pub(super) async fn readyz(State(platform): State<Platform>) -> (StatusCode, Json<Readiness>) {
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
