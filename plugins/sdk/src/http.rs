//! A blocking HTTP client over `wasi:http/outgoing-handler`.
//!
//! The host sends a request only when its URL starts with one of the prefixes in
//! the manifest's `grants.outbound`; any other request fails with
//! [`HttpError::Denied`].

use std::time::Duration;

use wasip2::http::outgoing_handler;
use wasip2::http::types::{
    ErrorCode, Fields, IncomingBody, Method, OutgoingBody, OutgoingRequest, RequestOptions, Scheme,
};
use wasip2::io::streams::StreamError;

/// Answers larger than this are refused rather than read into the adapter's memory.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// Why a request did not produce a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    /// The URL cannot be requested (not absolute http/https, or malformed).
    InvalidUrl { url: String, reason: String },
    /// The host refused the request: the manifest does not grant this URL.
    Denied { url: String },
    /// The legacy system did not answer in time.
    Timeout { url: String },
    /// The connection could not be made or broke off.
    Connection { url: String, reason: String },
    /// The answer was larger than the adapter accepts.
    TooLarge { url: String, limit: usize },
    /// Anything else the HTTP layer reported.
    Protocol { url: String, reason: String },
}

impl core::fmt::Display for HttpError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::InvalidUrl { url, reason } => write!(f, "cannot request {url}: {reason}"),
            Self::Denied { url } => write!(
                f,
                "the host denied the request to {url}: the adapter's manifest does not grant it in grants.outbound"
            ),
            Self::Timeout { url } => write!(f, "{url} did not answer in time"),
            Self::Connection { url, reason } => write!(f, "cannot reach {url}: {reason}"),
            Self::TooLarge { url, limit } => {
                write!(f, "the answer from {url} is larger than {limit} bytes")
            }
            Self::Protocol { url, reason } => write!(f, "request to {url} failed: {reason}"),
        }
    }
}

impl std::error::Error for HttpError {}

/// An HTTP request to a legacy system.
#[derive(Debug, Clone)]
pub struct Request {
    method: Method,
    url: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
    timeout: Option<Duration>,
    max_response_bytes: usize,
}

impl Request {
    /// A `GET` of `url`.
    pub fn get(url: impl Into<String>) -> Self {
        Self::new(Method::Get, url)
    }

    /// A `POST` of `body` to `url` with the given content type.
    pub fn post(url: impl Into<String>, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        let mut r = Self::new(Method::Post, url).header("content-type", content_type);
        r.body = body.into();
        r
    }

    fn new(method: Method, url: impl Into<String>) -> Self {
        Self {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
            timeout: None,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl AsRef<[u8]>) -> Self {
        self.headers
            .push((name.to_ascii_lowercase(), value.as_ref().to_vec()));
        self
    }

    /// Gives up when the legacy system takes longer than `timeout` to connect, to
    /// send the first byte, or between two bytes. Without it, the adapter's call
    /// timeout (set by the host) is the only limit.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Refuses answers larger than `limit` bytes.
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Sends the request and reads the whole answer.
    pub fn send(self) -> Result<Response, HttpError> {
        let url = self.url.clone();
        let protocol = |reason: String| HttpError::Protocol {
            url: url.clone(),
            reason,
        };
        let uri: http::Uri =
            self.url
                .parse()
                .map_err(|e: http::uri::InvalidUri| HttpError::InvalidUrl {
                    url: url.clone(),
                    reason: e.to_string(),
                })?;
        let scheme = match uri.scheme_str() {
            Some("http") => Scheme::Http,
            Some("https") => Scheme::Https,
            other => {
                return Err(HttpError::InvalidUrl {
                    url,
                    reason: format!("scheme {other:?} is not http or https"),
                });
            }
        };
        let Some(authority) = uri.authority() else {
            return Err(HttpError::InvalidUrl {
                url,
                reason: "it has no host".into(),
            });
        };

        let headers = Fields::from_list(&self.headers)
            .map_err(|e| protocol(format!("invalid header: {e:?}")))?;
        let request = OutgoingRequest::new(headers);
        let bad = |_| protocol("the host rejected a part of the request line".into());
        request.set_method(&self.method).map_err(bad)?;
        request.set_scheme(Some(&scheme)).map_err(bad)?;
        request
            .set_authority(Some(authority.as_str()))
            .map_err(bad)?;
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        request.set_path_with_query(Some(path)).map_err(bad)?;

        let options = self.timeout.map(|t| {
            let options = RequestOptions::new();
            let ns = u64::try_from(t.as_nanos()).unwrap_or(u64::MAX);
            // Setting a timeout the host does not support is not an error worth failing for.
            let _ = options.set_connect_timeout(Some(ns));
            let _ = options.set_first_byte_timeout(Some(ns));
            let _ = options.set_between_bytes_timeout(Some(ns));
            options
        });

        let body = request
            .body()
            .map_err(|()| protocol("request body already taken".into()))?;
        // Hand the request over before writing the body: the host streams it, so a
        // body larger than its buffer would otherwise never drain.
        let pending = outgoing_handler::handle(request, options)
            .map_err(|code| error_from_code(&self.url, code))?;
        {
            let stream = body
                .write()
                .map_err(|()| protocol("request body stream already taken".into()))?;
            for chunk in self.body.chunks(4096) {
                stream
                    .blocking_write_and_flush(chunk)
                    .map_err(|e| stream_error(&self.url, e))?;
            }
        }
        OutgoingBody::finish(body, None).map_err(|code| error_from_code(&self.url, code))?;

        pending.subscribe().block();
        let response = match pending.get() {
            Some(Ok(Ok(response))) => response,
            Some(Ok(Err(code))) => return Err(error_from_code(&self.url, code)),
            Some(Err(())) | None => {
                return Err(protocol("the response was not ready after waiting".into()));
            }
        };

        let status = response.status();
        let headers = response
            .headers()
            .entries()
            .into_iter()
            .map(|(name, value)| (name.to_ascii_lowercase(), value))
            .collect();
        let incoming = response
            .consume()
            .map_err(|()| protocol("response body already taken".into()))?;
        let mut body = Vec::new();
        {
            let stream = incoming
                .stream()
                .map_err(|()| protocol("response body stream already taken".into()))?;
            loop {
                match stream.blocking_read(64 * 1024) {
                    Ok(chunk) => {
                        if body.len() + chunk.len() > self.max_response_bytes {
                            return Err(HttpError::TooLarge {
                                url: self.url,
                                limit: self.max_response_bytes,
                            });
                        }
                        body.extend_from_slice(&chunk);
                    }
                    Err(StreamError::Closed) => break,
                    Err(e) => return Err(stream_error(&self.url, e)),
                }
            }
        }
        drop(IncomingBody::finish(incoming));
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

/// A legacy system's answer.
#[derive(Debug, Clone)]
pub struct Response {
    /// The HTTP status code.
    pub status: u16,
    /// Header names in lower case, values as sent.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The whole body.
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name` (any case), if it is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| core::str::from_utf8(v).ok())
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

fn stream_error(url: &str, e: StreamError) -> HttpError {
    match e {
        StreamError::Closed => HttpError::Connection {
            url: url.into(),
            reason: "the connection was closed early".into(),
        },
        StreamError::LastOperationFailed(err) => match wasip2::http::types::http_error_code(&err) {
            Some(code) => error_from_code(url, code),
            None => HttpError::Connection {
                url: url.into(),
                reason: err.to_debug_string(),
            },
        },
    }
}

fn error_from_code(url: &str, code: ErrorCode) -> HttpError {
    let url = url.to_owned();
    match code {
        ErrorCode::HttpRequestDenied => HttpError::Denied { url },
        ErrorCode::ConnectionTimeout
        | ErrorCode::ConnectionReadTimeout
        | ErrorCode::ConnectionWriteTimeout
        | ErrorCode::HttpResponseTimeout
        | ErrorCode::DnsTimeout => HttpError::Timeout { url },
        ErrorCode::ConnectionRefused => HttpError::Connection {
            url,
            reason: "connection refused".into(),
        },
        ErrorCode::ConnectionTerminated => HttpError::Connection {
            url,
            reason: "the connection was closed early".into(),
        },
        ErrorCode::DestinationNotFound | ErrorCode::DestinationUnavailable => {
            HttpError::Connection {
                url,
                reason: "the destination cannot be reached".into(),
            }
        }
        ErrorCode::HttpRequestUriInvalid => HttpError::InvalidUrl {
            url,
            reason: "the host considers the URL invalid".into(),
        },
        other => HttpError::Protocol {
            url,
            reason: format!("{other:?}"),
        },
    }
}
