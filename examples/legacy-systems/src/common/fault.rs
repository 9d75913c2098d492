//! Fault injection shared by the mock departments: the fault modes, the
//! latency/fail-rate middleware for protocol routes and `PUT /_mock/fault`.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

/// A misbehaviour the mock can be told to show on its protocol endpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "FaultJson", into = "FaultJson")]
pub enum Fault {
    /// Answer normally.
    #[default]
    None,
    /// Cut the answer's body in half (still `200 OK`).
    Truncated,
    /// Declare UTF-8 in the body and the header while sending the legacy encoding.
    WrongEncoding,
    /// Drop the first of the department's key elements from the answer.
    MissingElement,
    /// Answer with a status or type code the department's specification does not define.
    UnknownCode,
    /// Paged lists never end: every page says another one follows, from the same cursor.
    EndlessPages,
    /// Answer `503 Service Unavailable` with an HTML error page.
    Down,
    /// Wait this long before answering.
    Slow(Duration),
}

/// The JSON shape of a fault: `{"mode": "slow", "delay_ms": 5000}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultJson {
    mode: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    delay_ms: Option<u64>,
}

impl TryFrom<FaultJson> for Fault {
    type Error = String;

    fn try_from(json: FaultJson) -> Result<Self, Self::Error> {
        match json.mode.as_str() {
            "slow" => json
                .delay_ms
                .map(|ms| Fault::Slow(Duration::from_millis(ms)))
                .ok_or_else(|| "mode \"slow\" needs \"delay_ms\"".to_owned()),
            mode => mode.parse(),
        }
    }
}

impl From<Fault> for FaultJson {
    fn from(fault: Fault) -> Self {
        let delay_ms = match fault {
            Fault::Slow(delay) => Some(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX)),
            _ => None,
        };
        let mode = match fault {
            Fault::Slow(_) => "slow".to_owned(),
            other => other.to_string(),
        };
        FaultJson { mode, delay_ms }
    }
}

impl FromStr for Fault {
    type Err = String;

    /// Parses `none`, `truncated`, `wrong-encoding`, `missing-element`, `unknown-code`,
    /// `endless-pages`, `down` or `slow:MS`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "none" => Fault::None,
            "truncated" => Fault::Truncated,
            "wrong-encoding" => Fault::WrongEncoding,
            "missing-element" => Fault::MissingElement,
            "unknown-code" => Fault::UnknownCode,
            "endless-pages" => Fault::EndlessPages,
            "down" => Fault::Down,
            "slow" => return Err("mode \"slow\" needs a delay: slow:MS".to_owned()),
            other => match other.strip_prefix("slow:") {
                Some(ms) => Fault::Slow(Duration::from_millis(
                    ms.parse()
                        .map_err(|_| format!("bad delay in {other:?}: expected slow:MS"))?,
                )),
                None => {
                    return Err(format!(
                        "unknown fault mode {other:?} (none, truncated, wrong-encoding, missing-element, unknown-code, endless-pages, down, slow:MS)"
                    ));
                }
            },
        })
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::None => f.write_str("none"),
            Fault::Truncated => f.write_str("truncated"),
            Fault::WrongEncoding => f.write_str("wrong-encoding"),
            Fault::MissingElement => f.write_str("missing-element"),
            Fault::UnknownCode => f.write_str("unknown-code"),
            Fault::EndlessPages => f.write_str("endless-pages"),
            Fault::Down => f.write_str("down"),
            Fault::Slow(delay) => write!(f, "slow:{}", delay.as_millis()),
        }
    }
}

/// The fault in force for one protocol request, put in its extensions by [`inject_faults`].
// Read once per request so that every layer of one answer agrees on the mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActiveFault(pub Fault);

/// Shared knobs of one mock server: current fault, latency, fail rate and a request counter.
#[derive(Debug)]
pub struct MockControl {
    fault: Mutex<Fault>,
    latency: Duration,
    fail_rate: f64,
    requests: AtomicU64,
}

impl MockControl {
    /// New knobs; `fail_rate` is the share (0.0–1.0) of requests answered 503.
    pub fn new(latency: Duration, fail_rate: f64, fault: Fault) -> anyhow::Result<Self> {
        anyhow::ensure!(
            (0.0..=1.0).contains(&fail_rate),
            "fail rate must be between 0.0 and 1.0, got {fail_rate}"
        );
        Ok(Self {
            fault: Mutex::new(fault),
            latency,
            fail_rate,
            requests: AtomicU64::new(0),
        })
    }

    /// The fault currently in force.
    pub fn fault(&self) -> Fault {
        *self.fault.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Switches the fault mode for the following requests.
    pub fn set_fault(&self, fault: Fault) {
        *self.fault.lock().unwrap_or_else(|e| e.into_inner()) = fault;
        tracing::info!(%fault, "fault mode set");
    }

    /// How many protocol requests have arrived (including those answered 503).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

/// Middleware for protocol routes: counts, delays, fails and truncates as configured.
// Encoding and missing-element faults depend on the wire format, so they are left
// to the department's answer writer, which finds the mode in [`ActiveFault`].
pub async fn inject_faults(
    State(control): State<Arc<MockControl>>,
    mut req: Request,
    next: Next,
) -> Response {
    control.requests.fetch_add(1, Ordering::Relaxed);
    let fault = control.fault();
    if !control.latency.is_zero() {
        tokio::time::sleep(control.latency).await;
    }
    if control.fail_rate > 0.0 && rand::random::<f64>() < control.fail_rate {
        tracing::debug!("failing request (fail rate)");
        return service_unavailable();
    }
    match fault {
        Fault::Down => return service_unavailable(),
        Fault::Slow(delay) => tokio::time::sleep(delay).await,
        _ => {}
    }
    req.extensions_mut().insert(ActiveFault(fault));
    let response = next.run(req).await;
    if fault == Fault::Truncated {
        truncate(response).await
    } else {
        response
    }
}

async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(err) => {
            tracing::error!(%err, "cannot buffer answer to truncate it");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let cut = bytes.slice(..bytes.len() / 2);
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(cut.len()));
    Response::from_parts(parts, Body::from(cut))
}

/// The HTML page an overloaded or stopped legacy application server answers with.
pub fn service_unavailable() -> Response {
    const PAGE: &str = "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n\
        <html><head>\n<title>503 Service Unavailable</title>\n</head><body>\n\
        <h1>Service Unavailable</h1>\n\
        <p>The server is temporarily unable to service your request due to maintenance \
        downtime or capacity problems. Please try again later.</p>\n\
        <hr>\n<address>Apache/2.2.15 (CentOS) Server</address>\n</body></html>\n";
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [
            (header::CONTENT_TYPE, "text/html; charset=iso-8859-1"),
            (header::RETRY_AFTER, "5"),
        ],
        PAGE,
    )
        .into_response()
}

/// `GET`/`PUT /_mock/fault`: read or switch the fault mode with its JSON shape.
pub fn fault_routes(control: Arc<MockControl>) -> Router {
    Router::new()
        .route("/_mock/fault", get(get_fault).put(put_fault))
        .with_state(control)
}

async fn get_fault(State(control): State<Arc<MockControl>>) -> Json<Fault> {
    Json(control.fault())
}

async fn put_fault(
    State(control): State<Arc<MockControl>>,
    Json(fault): Json<Fault>,
) -> Json<Fault> {
    control.set_fault(fault);
    Json(fault)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shapes_of_the_spec() {
        let parse = |s: &str| serde_json::from_str::<Fault>(s);
        assert_eq!(parse(r#"{"mode":"none"}"#).unwrap(), Fault::None);
        assert_eq!(
            parse(r#"{"mode":"wrong-encoding","delay_ms":0}"#).unwrap(),
            Fault::WrongEncoding
        );
        assert_eq!(
            parse(r#"{"mode":"slow","delay_ms":250}"#).unwrap(),
            Fault::Slow(Duration::from_millis(250))
        );
        assert!(parse(r#"{"mode":"slow"}"#).is_err());
        assert!(parse(r#"{"mode":"sideways"}"#).is_err());
        let json = serde_json::to_string(&Fault::Slow(Duration::from_millis(7))).unwrap();
        assert_eq!(json, r#"{"mode":"slow","delay_ms":7}"#);
    }

    #[test]
    fn command_line_shapes() {
        assert_eq!("missing-element".parse(), Ok(Fault::MissingElement));
        assert_eq!(
            "slow:1500".parse(),
            Ok(Fault::Slow(Duration::from_millis(1500)))
        );
        assert!("slow".parse::<Fault>().is_err());
        for fault in [
            Fault::Down,
            Fault::UnknownCode,
            Fault::EndlessPages,
            Fault::Truncated,
            Fault::Slow(Duration::from_secs(1)),
        ] {
            assert_eq!(fault.to_string().parse(), Ok(fault));
        }
    }
}
