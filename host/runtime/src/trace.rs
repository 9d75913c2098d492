//! Spans of the sandbox: one per adapter call, and one per outbound request
//! the call makes, which carries the W3C `traceparent` of that span to the
//! legacy system. Their attributes name the adapter, its version, the function
//! and the URL (without its query, ID numbers masked), never what the call
//! carries.

use tracing::Instrument as _;
use wasmtime_wasi_http::WasiBody;

use onewindow_platform::adapter::CallError;
use onewindow_platform::mask;

use crate::outbound::ResponseFuture;

/// The span of one call of `function` on `adapter` at `version`; entered
/// around the guest's run, so its outbound requests are its children.
pub(crate) fn adapter_call(
    adapter: &str,
    version: &dyn std::fmt::Display,
    function: &'static str,
) -> tracing::Span {
    tracing::info_span!(
        "adapter call",
        adapter,
        version = %version,
        function,
        outcome = tracing::field::Empty,
        otel.status_code = tracing::field::Empty,
    )
}

/// Records how the call of `span` ended.
pub(crate) fn call_ended<T>(span: &tracing::Span, result: &Result<T, CallError>) {
    match result {
        Ok(_) => span.record("outcome", "ok"),
        Err(e) => span
            .record("outcome", e.kind())
            .record("otel.status_code", "ERROR"),
    };
}

/// The span of an outbound `request`, a child of the current adapter call,
/// with the request's `traceparent` set to it.
pub(crate) fn outbound_request(request: &mut http::Request<WasiBody>) -> tracing::Span {
    let uri = request.uri();
    let url = format!(
        "{}://{}{}",
        uri.scheme_str().unwrap_or("http"),
        uri.authority().map_or("", |a| a.as_str()),
        uri.path()
    );
    let span = tracing::info_span!(
        "outbound request",
        otel.kind = "client",
        method = %request.method(),
        url = %mask::text(&url),
        status = tracing::field::Empty,
        otel.status_code = tracing::field::Empty,
    );
    onewindow_platform::trace::inject(&span, request.headers_mut());
    span
}

/// `response` within `span`, which records its status and ends once the
/// response's head has come.
pub(crate) fn answered(span: tracing::Span, response: ResponseFuture) -> ResponseFuture {
    let recorded = span.clone();
    Box::new(
        async move {
            let answer = Box::into_pin(response).await;
            match &answer {
                Ok((response, _)) => {
                    recorded.record("status", response.status().as_u16());
                    if response.status().is_server_error() {
                        recorded.record("otel.status_code", "ERROR");
                    }
                }
                Err(_) => {
                    recorded.record("otel.status_code", "ERROR");
                }
            }
            answer
        }
        .instrument(span),
    )
}
