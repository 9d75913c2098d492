//! Logs and traces: the log lines (every ID number masked, whoever wrote the
//! line) and, when an OTLP endpoint is configured, the spans exported over
//! OTLP/HTTP with protobuf.
//!
//! The endpoint is OpenTelemetry's own setting: `OTEL_EXPORTER_OTLP_ENDPOINT`
//! (the collector's base URL, `/v1/traces` is added) or
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (the full URL); the exporter reads the
//! other `OTEL_*` variables too (headers, timeout, the batch delay). Without
//! an endpoint there is no OpenTelemetry layer, no exporter and no
//! propagation: nothing is sent, and legacy systems get no `traceparent`.
//!
//! The spans are the HTTP request ([`trace_requests`]), the delivery and the
//! status poll (`onewindow_platform::delivery`), the adapter call and each of
//! its outbound requests (`onewindow_runtime`), all at info: the log filter
//! (`RUST_LOG`) applies to them too, so `RUST_LOG=warn` traces nothing. Only
//! spans are exported, never log events: those may quote what an adapter or a
//! legacy system said, and only the log writer masks it.

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Instrument as _;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer as _};

/// The variables that configure where spans go.
pub const ENDPOINT_VARIABLES: [&str; 2] = [
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
];

/// The service name spans are exported under, unless `OTEL_SERVICE_NAME` says otherwise.
pub const SERVICE_NAME: &str = "onewindow";

/// Whether an OTLP endpoint is configured.
pub fn endpoint_configured() -> bool {
    ENDPOINT_VARIABLES
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|v| !v.trim().is_empty()))
}

/// What has to be flushed before the process ends.
#[must_use = "shut it down before exiting, or the last spans are lost"]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Exports the spans still waiting and stops the exporter.
    pub async fn shutdown(self) {
        let Some(provider) = self.provider else {
            return;
        };
        // The batch processor's thread is joined: not on a runtime worker.
        let done = tokio::task::spawn_blocking(move || provider.shutdown()).await;
        match done {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("warning: exporting the last spans: {e}"),
            Err(e) => eprintln!("warning: exporting the last spans: {e}"),
        }
    }
}

/// Installs the global subscriber: log lines filtered by `RUST_LOG` (or
/// `default_filter`) through the masking writer, and, when `export` is set and
/// an endpoint is configured, the OpenTelemetry layer with its exporter.
pub fn init(default_filter: &str, export: bool) -> Telemetry {
    // One filter for both: a span the log leaves out is not traced either.
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let fmt = tracing_subscriber::fmt::layer()
        // No ID number reaches the log in full, whoever wrote the line.
        .with_writer(crate::mask::Writer);
    let (otel, provider, failed) =
        match (export && endpoint_configured()).then(exporter).transpose() {
            Ok(Some(provider)) => {
                let tracer = provider.tracer(SERVICE_NAME);
                let layer = tracing_opentelemetry::layer()
                    .with_tracer(tracer)
                    // Spans only, at info and above: events stay in the (masked) log.
                    // Asked at every span rather than cached per callsite: a
                    // per-layer filter's cached answer can be overturned by the
                    // state an unanswered `enabled` check (sqlx makes them)
                    // leaves behind, and the next span would be lost.
                    .with_filter(tracing_subscriber::filter::dynamic_filter_fn(|meta, _| {
                        meta.is_span() && *meta.level() <= tracing::Level::INFO
                    }));
                opentelemetry::global::set_text_map_propagator(
                    opentelemetry_sdk::propagation::TraceContextPropagator::new(),
                );
                (Some(layer), Some(provider), None)
            }
            Ok(None) => (None, None, None),
            Err(e) => (None, None, Some(e)),
        };
    tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .with(otel)
        .init();
    match failed {
        Some(e) => tracing::error!("spans are not exported: {e}"),
        None if provider.is_some() => {
            let endpoint = ENDPOINT_VARIABLES
                .iter()
                .find_map(|v| std::env::var(v).ok().filter(|v| !v.trim().is_empty()))
                .unwrap_or_default();
            tracing::info!(endpoint, "exporting spans over OTLP");
        }
        None => {}
    }
    Telemetry { provider }
}

/// The tracer provider: a batch exporter over OTLP/HTTP with protobuf, to the
/// endpoint the `OTEL_*` variables name.
fn exporter() -> Result<SdkTracerProvider, opentelemetry_otlp::ExporterBuildError> {
    use opentelemetry_otlp::{Protocol, WithExportConfig as _};
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .build()?;
    let mut resource = opentelemetry_sdk::Resource::builder().with_attribute(
        opentelemetry::KeyValue::new("service.version", env!("CARGO_PKG_VERSION")),
    );
    if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
        resource = resource.with_service_name(SERVICE_NAME);
    }
    Ok(SdkTracerProvider::builder()
        .with_resource(resource.build())
        .with_batch_exporter(exporter)
        .build())
}

/// Routes whose requests are not traced: the probes and the scrape, which
/// come every few seconds and say nothing about a case.
const UNTRACED: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

/// A span for each request, named by its route (the pattern, never the
/// concrete path, which may hold an ID number), that continues the caller's
/// trace when the request carries a `traceparent`, and records the status.
pub async fn trace_requests(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    if UNTRACED.contains(&route.as_str()) {
        return next.run(request).await;
    }
    let span = tracing::info_span!(
        "request",
        otel.name = %format!("{} {route}", request.method()),
        otel.kind = "server",
        method = %request.method(),
        route = %route,
        status = tracing::field::Empty,
        otel.status_code = tracing::field::Empty,
        trace_id = tracing::field::Empty,
    );
    crate::trace::continue_from(&span, &crate::trace::Headers(request.headers()));
    let response = next.run(request).instrument(span.clone()).await;
    span.record("status", response.status().as_u16());
    if response.status().is_server_error() {
        span.record("otel.status_code", "ERROR");
    }
    response
}
