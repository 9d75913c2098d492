//! W3C trace context across the platform's hand-offs: the HTTP request that
//! accepts a case, its outbox row, the delivery that takes the row up, and the
//! requests an adapter makes of its legacy system.
//!
//! Spans are `tracing` spans; the server (`onewindow serve`) exports them over
//! OTLP when an endpoint is configured, through `tracing-opentelemetry`. Without
//! one there is no OpenTelemetry layer: every function here then finds no trace
//! context, writes none and sends none.
//!
//! A span that continues a trace declares an empty `trace_id` field; once its
//! parent is set it is recorded there, so every log line inside the span names
//! its trace.

use std::collections::HashMap;

use opentelemetry::propagation::Extractor;
use opentelemetry::trace::TraceContextExt as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// The W3C header (and the outbox column) that carries a span's context.
pub const TRACEPARENT: &str = "traceparent";

/// The trace-context headers of `span` as the global propagator writes them
/// (`traceparent`, and `tracestate` when there is one); none when the span is
/// not traced.
pub fn headers(span: &tracing::Span) -> Vec<(String, String)> {
    let cx = span.context();
    if !cx.span().span_context().is_valid() {
        return Vec::new();
    }
    let mut carrier = HashMap::new();
    opentelemetry::global::get_text_map_propagator(|p| p.inject_context(&cx, &mut carrier));
    let mut headers: Vec<_> = carrier.into_iter().collect();
    headers.sort();
    headers
}

/// The W3C `traceparent` of the current span, kept with work handed on
/// through the database (an outbox row); `None` when it is not traced.
pub fn current_traceparent() -> Option<String> {
    headers(&tracing::Span::current())
        .into_iter()
        .find_map(|(name, value)| (name == TRACEPARENT).then_some(value))
}

/// Makes `span` continue the trace of the context `carrier` holds (a request's
/// headers), and records its `trace_id`. Call it before the span is entered.
pub fn continue_from(span: &tracing::Span, carrier: &dyn Extractor) {
    let cx = opentelemetry::global::get_text_map_propagator(|p| p.extract(carrier));
    if cx.span().span_context().is_valid() {
        // Fails only without the OpenTelemetry layer, when nothing is traced.
        let _ = span.set_parent(cx);
    }
    record_trace_id(span);
}

/// Makes `span` continue the trace of a stored `traceparent` (an outbox
/// row's), or start one of its own; records its `trace_id`.
pub fn continue_traceparent(span: &tracing::Span, traceparent: Option<&str>) {
    let mut carrier = HashMap::new();
    if let Some(traceparent) = traceparent {
        carrier.insert(TRACEPARENT.to_owned(), traceparent.to_owned());
    }
    continue_from(span, &carrier);
}

/// Records `span`'s trace id in its `trace_id` field, when it is traced.
pub fn record_trace_id(span: &tracing::Span) {
    let cx = span.context();
    let context = cx.span().span_context().clone();
    if context.is_valid() {
        span.record("trace_id", tracing::field::display(context.trace_id()));
    }
}

/// A received HTTP header map as a carrier of trace context.
pub struct Headers<'a>(pub &'a http::HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

/// Writes the trace-context headers of `span` into `headers` (an outgoing
/// request's); nothing when the span is not traced.
pub fn inject(span: &tracing::Span, headers: &mut http::HeaderMap) {
    for (name, value) in self::headers(span) {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::try_from(name),
            http::HeaderValue::try_from(value),
        ) {
            headers.insert(name, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::TracerProvider as _;
    use tracing_subscriber::layer::SubscriberExt as _;

    /// Runs `f` with spans traced as `onewindow serve` traces them with an endpoint.
    fn traced<T>(f: impl FnOnce() -> T) -> T {
        opentelemetry::global::set_text_map_propagator(
            opentelemetry_sdk::propagation::TraceContextPropagator::new(),
        );
        let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
        let subscriber = tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
        tracing::subscriber::with_default(subscriber, f)
    }

    fn ids(span: &tracing::Span) -> (String, String) {
        let cx = span.context();
        let context = cx.span().span_context().clone();
        (
            context.trace_id().to_string(),
            context.span_id().to_string(),
        )
    }

    #[test]
    fn a_delivery_continues_the_trace_its_outbox_row_kept() {
        traced(|| {
            let accepted = tracing::info_span!("request");
            let (trace, request) = ids(&accepted);
            let kept = accepted
                .in_scope(current_traceparent)
                .expect("a traced span has a traceparent");
            assert_eq!(kept, format!("00-{trace}-{request}-01"));

            let delivery =
                tracing::info_span!(parent: None, "delivery", trace_id = tracing::field::Empty);
            continue_traceparent(&delivery, Some(&kept));
            let (continued, own) = ids(&delivery);
            assert_eq!(continued, trace);
            assert_ne!(own, request);
            // What the delivery hands on names the delivery's span.
            let mut sent = http::HeaderMap::new();
            inject(&delivery, &mut sent);
            assert_eq!(sent[TRACEPARENT], format!("00-{trace}-{own}-01"));
        });
    }

    #[test]
    fn a_request_continues_the_callers_trace_or_starts_one() {
        traced(|| {
            let caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
            let mut headers = http::HeaderMap::new();
            headers.insert(TRACEPARENT, caller.parse().unwrap());
            let span = tracing::info_span!("request", trace_id = tracing::field::Empty);
            continue_from(&span, &Headers(&headers));
            assert_eq!(ids(&span).0, "4bf92f3577b34da6a3ce929d0e0e4736");

            let fresh = tracing::info_span!("request", trace_id = tracing::field::Empty);
            continue_from(&fresh, &Headers(&http::HeaderMap::new()));
            let (trace, _) = ids(&fresh);
            assert_ne!(trace, "4bf92f3577b34da6a3ce929d0e0e4736");
            assert_ne!(trace, opentelemetry::trace::TraceId::INVALID.to_string());
        });
    }

    #[test]
    fn nothing_is_traced_without_the_opentelemetry_layer() {
        let span = tracing::info_span!("request");
        assert_eq!(span.in_scope(current_traceparent), None);
        let mut sent = http::HeaderMap::new();
        inject(&span, &mut sent);
        assert!(sent.is_empty());
        continue_traceparent(
            &span,
            Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        );
        assert!(headers(&span).is_empty());
    }
}
