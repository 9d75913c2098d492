//! The outbound HTTP capability: requests go out only to the URL prefixes in
//! the manifest's `grants.outbound`; any other fails inside the adapter with
//! `HTTP-request-denied`, and the refusal is logged.

use std::sync::Arc;

use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

use super::Shared;

pub(super) struct Hooks {
    shared: Arc<Shared>,
    /// Requests this call may still make (`limits.outbound-requests`).
    left: u32,
    limit: u32,
    stop: super::Stop,
}

impl Hooks {
    pub(super) fn new(shared: Arc<Shared>, limit: u32, stop: super::Stop) -> Self {
        Self {
            shared,
            left: limit,
            limit,
            stop,
        }
    }
}

pub(super) type ResponseFuture = Box<
    dyn Future<
            Output = wasmtime_wasi_http::Result<(
                http::Response<WasiBody>,
                Box<dyn Future<Output = Result<(), Error>> + Send>,
            )>,
        > + Send,
>;

impl WasiHttpHooks for Hooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), Error>> + Send>,
    ) -> ResponseFuture {
        let uri = request.uri();
        let Some(left) = self.left.checked_sub(1) else {
            // Past the budget: refused, and the call is stopped at the next tick.
            self.stop
                .stop(format!("limits.outbound-requests = {}", self.limit));
            return Box::new(async { Err(Error::HttpRequestDenied) });
        };
        self.left = left;
        if !self.shared.outbound.iter().any(|prefix| prefix.allows(uri)) {
            tracing::warn!(
                adapter = %self.shared.id,
                url = %uri,
                granted = ?self.shared.outbound.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "refused an outbound request the manifest does not grant"
            );
            return Box::new(async { Err(Error::HttpRequestDenied) });
        }
        if let Some(tape) = &self.shared.tape {
            return tape.clone().send(request, options);
        }
        wasmtime_wasi_http::default_hooks().send_request(request, options, fut)
    }
}
