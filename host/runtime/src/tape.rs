//! Recorded HTTP exchanges, for testing an adapter with no legacy system
//! (`onewindow adapter test`): in replay, every outbound request the manifest
//! grants is answered from the tape; in recording, it goes out and the answer is
//! kept. A request the tape does not know gets a `502` whose body says so, and is
//! listed by [`Tape::misses`].

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use serde::{Deserialize, Serialize};
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody};

/// One request and the answer it got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exchange {
    pub method: String,
    pub url: String,
    #[serde(with = "onewindow_platform::model::base64_bytes")]
    pub request_body_base64: Vec<u8>,
    /// Whether a request must carry this very body to get this answer; an
    /// exchange saved from the exchange log, whose bodies are masked, is
    /// matched by method and URL only.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub match_body: bool,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    #[serde(with = "onewindow_platform::model::base64_bytes")]
    pub body_base64: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Replay,
    Record,
}

#[derive(Debug, Default)]
struct Reel {
    exchanges: Vec<Exchange>,
    /// Which exchanges a replay has answered with.
    used: Vec<bool>,
    misses: Vec<String>,
}

/// The tape a runtime's adapters talk to instead of (or on the way to) the network.
#[derive(Debug)]
pub struct Tape {
    mode: Mode,
    reel: Mutex<Reel>,
}

impl Tape {
    /// Answers from `exchanges`: the first unused one with the same method, URL
    /// and request body, else the last one that matches (a legacy system asked
    /// the same twice answers the same).
    pub fn replay(exchanges: Vec<Exchange>) -> Self {
        let used = vec![false; exchanges.len()];
        Self {
            mode: Mode::Replay,
            reel: Mutex::new(Reel {
                exchanges,
                used,
                misses: Vec::new(),
            }),
        }
    }

    /// Sends every request on and keeps what was asked and answered.
    pub fn record() -> Self {
        Self {
            mode: Mode::Record,
            reel: Mutex::new(Reel::default()),
        }
    }

    /// The exchanges on the tape, in the order they happened (recording) or were given.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.reel().exchanges.clone()
    }

    /// The requests a replay had no answer for, as `METHOD url`.
    pub fn misses(&self) -> Vec<String> {
        self.reel().misses.clone()
    }

    fn reel(&self) -> std::sync::MutexGuard<'_, Reel> {
        self.reel.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn answer(&self, method: &str, url: &str, body: &[u8]) -> Option<Exchange> {
        let mut reel = self.reel();
        let matches: Vec<usize> = (0..reel.exchanges.len())
            .filter(|&i| {
                let e = &reel.exchanges[i];
                e.method == method
                    && e.url == url
                    && (!e.match_body || e.request_body_base64 == body)
            })
            .collect();
        let Some(&chosen) = matches.iter().find(|&&i| !reel.used[i]).or(matches.last()) else {
            reel.misses.push(format!("{method} {url}"));
            return None;
        };
        reel.used[chosen] = true;
        Some(reel.exchanges[chosen].clone())
    }

    /// Answers `request` from the tape, or sends it and records the exchange.
    pub(super) fn send(
        self: Arc<Self>,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
    ) -> super::outbound::ResponseFuture {
        Box::new(async move {
            let (parts, body) = request.into_parts();
            let body = body.collect().await?.to_bytes();
            let method = parts.method.to_string();
            let url = parts.uri.to_string();
            match self.mode {
                Mode::Replay => {
                    let exchange = self.answer(&method, &url, &body).unwrap_or_else(|| {
                        tracing::warn!(%method, %url, "no recorded answer for this request");
                        Exchange {
                            method: method.clone(),
                            url: url.clone(),
                            request_body_base64: body.to_vec(),
                            match_body: true,
                            status: 502,
                            headers: vec![("content-type".into(), "text/plain; charset=utf-8".into())],
                            body_base64: format!(
                                "onewindow adapter test: the fixtures have no recorded answer for {method} {url} with this request body; record them again with --record"
                            )
                            .into_bytes(),
                        }
                    });
                    Ok((response(&exchange), done()))
                }
                Mode::Record => {
                    let outgoing = http::Request::from_parts(parts, full(body.clone()));
                    let sent =
                        wasmtime_wasi_http::default_hooks().send_request(outgoing, options, done());
                    let (answer, io) = Box::into_pin(sent).await?;
                    // The connection is driven by `io` while the body is read.
                    let io = tokio::spawn(Box::into_pin(io));
                    let (answer, answer_body) = answer.into_parts();
                    let answer_body = answer_body.collect().await?.to_bytes();
                    if let Ok(Err(e)) = io.await {
                        tracing::warn!(%url, "recording: the connection ended with {e}");
                    }
                    let exchange = Exchange {
                        method,
                        url,
                        request_body_base64: body.to_vec(),
                        match_body: true,
                        status: answer.status.as_u16(),
                        headers: answer
                            .headers
                            .iter()
                            .filter_map(|(name, value)| {
                                Some((name.to_string(), value.to_str().ok()?.to_owned()))
                            })
                            .collect(),
                        body_base64: answer_body.to_vec(),
                    };
                    self.reel().exchanges.push(exchange);
                    Ok((
                        http::Response::from_parts(answer, full(answer_body)),
                        done(),
                    ))
                }
            }
        })
    }
}

fn yes() -> bool {
    true
}

fn is_true(value: &bool) -> bool {
    *value
}

fn full(bytes: Bytes) -> WasiBody {
    Full::new(bytes)
        .map_err(|never| match never {})
        .boxed_unsync()
}

fn done() -> Box<dyn Future<Output = Result<(), Error>> + Send> {
    Box::new(async { Ok(()) })
}

fn response(exchange: &Exchange) -> http::Response<WasiBody> {
    let mut response = http::Response::new(full(Bytes::from(exchange.body_base64.clone())));
    *response.status_mut() =
        http::StatusCode::from_u16(exchange.status).unwrap_or(http::StatusCode::BAD_GATEWAY);
    for (name, value) in &exchange.headers {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(value),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    response
}
