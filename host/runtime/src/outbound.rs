//! The outbound HTTP capability: requests go out only to the URL prefixes in
//! the manifest's `grants.outbound`; any other fails inside the adapter with
//! `HTTP-request-denied`, and the refusal is logged.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, SizeHint};
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

use super::Shared;

pub(super) struct Hooks {
    shared: Arc<Shared>,
    /// Requests this call may still make (`limits.outbound-requests`).
    left: u32,
    limit: u32,
    stop: super::Stop,
    /// Response bytes the call may still read (`limits.response-mib`).
    response: ResponseBudget,
    /// Where the call's exchanges are noted for the exchange log, if it keeps any.
    pub(super) log: Option<super::record::HttpLog>,
}

impl Hooks {
    pub(super) fn new(
        shared: Arc<Shared>,
        limit: u32,
        response_mib: u32,
        stop: super::Stop,
        log: Option<super::record::HttpLog>,
    ) -> Self {
        Self {
            log,
            shared,
            left: limit,
            limit,
            response: ResponseBudget {
                left: Arc::new(AtomicU64::new(u64::from(response_mib) * 1024 * 1024)),
                mib: response_mib,
                stop: stop.clone(),
            },
            stop,
        }
    }
}

/// What the response bodies of one call may still bring in, shared by all of them.
#[derive(Clone)]
struct ResponseBudget {
    left: Arc<AtomicU64>,
    mib: u32,
    stop: super::Stop,
}

impl ResponseBudget {
    /// `response` with a body that stops the call once the budget is spent.
    fn cap(self, response: ResponseFuture) -> ResponseFuture {
        Box::new(async move {
            let (response, io) = Box::into_pin(response).await?;
            Ok((
                response.map(|inner| {
                    Capped {
                        inner,
                        budget: self,
                    }
                    .boxed_unsync()
                }),
                io,
            ))
        })
    }
}

/// A response body counted against its call's [`ResponseBudget`]: the chunk
/// that would go past it is not passed on, and the call is stopped.
struct Capped {
    inner: WasiBody,
    budget: ResponseBudget,
}

impl Body for Capped {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let frame = ready!(Pin::new(&mut self.inner).poll_frame(cx));
        let len = match &frame {
            Some(Ok(frame)) => frame.data_ref().map_or(0, |data| data.len() as u64),
            _ => 0,
        };
        if len > 0 {
            let budget = &self.budget;
            let spent = budget
                .left
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                    left.checked_sub(len)
                })
                .is_err();
            if spent {
                budget
                    .stop
                    .stop(format!("limits.response-mib = {}", budget.mib));
                return Poll::Ready(Some(Err(Error::HttpResponseBodySize(Some(
                    u64::from(budget.mib) * 1024 * 1024,
                )))));
            }
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
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
        mut request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), Error>> + Send>,
    ) -> ResponseFuture {
        let span = super::trace::outbound_request(&mut request);
        let _in_span = span.enter();
        let uri = request.uri();
        let Some(left) = self.left.checked_sub(1) else {
            // Past the budget: refused, and the call is stopped at the next tick.
            let limit = format!("limits.outbound-requests = {}", self.limit);
            if let Some(log) = &self.log {
                log.refused(&request, &format!("refused: past {limit}"));
            }
            self.stop.stop(limit);
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
            if let Some(log) = &self.log {
                log.refused(
                    &request,
                    "refused: the manifest's grants.outbound does not grant this URL",
                );
            }
            return Box::new(async { Err(Error::HttpRequestDenied) });
        }
        let (request, logged) = match &self.log {
            Some(log) => {
                let (request, at) = log.request(request);
                (request, Some(at))
            }
            None => (request, None),
        };
        let response = match &self.shared.tape {
            Some(tape) => tape.clone().send(request, options),
            None => wasmtime_wasi_http::default_hooks().send_request(request, options, fut),
        };
        let response = super::trace::answered(span.clone(), self.response.clone().cap(response));
        match (&self.log, logged) {
            (Some(log), Some(at)) => log.response(at, response),
            _ => response,
        }
    }
}
