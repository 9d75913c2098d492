//! 县税务局's 金税 征管 front-office service: GBK form requests to `POST /zg/service`,
//! answered with GBK `key=value` lines.
//!
//! The protocol is specified in `examples/legacy-systems/tax.md`.

mod catalogue;
mod operations;
pub mod protocol;
pub mod register;
mod state;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State as Extract};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router, middleware};
use serde::{Deserialize, Serialize};

pub use crate::common::Fault;
use crate::common::{ActiveFault, MockControl, Server};

/// The department's name, as its answers and the startup line spell it.
pub const DEPARTMENT: &str = "县税务局";

/// The path of the service.
pub const PATH: &str = "/zg/service";

/// The default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9105";

/// The code of 发票申领, the matter of the platform's 开办企业 theme.
pub const INVOICE_APPLICATION: &str = catalogue::INVOICE_APPLICATION;

/// How the mock behaves.
#[derive(Debug, Clone)]
pub struct Config {
    /// Time a case spends in each lifecycle stage.
    pub stage: Duration,
    /// Delay added to every answer of the service.
    pub latency: Duration,
    /// Share (0.0–1.0) of service requests answered 503.
    pub fail_rate: f64,
    /// Fault mode at start.
    pub fault: Fault,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            stage: Duration::from_secs(30),
            latency: Duration::ZERO,
            fail_rate: 0.0,
            fault: Fault::None,
        }
    }
}

/// The counters of `GET /_mock/stats`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Stored cases (a repeated ptbjbh does not count).
    pub submissions: u64,
    /// Stored cases (the same number as `submissions`: cases are never deleted).
    pub cases: u64,
    /// Submissions that repeated a known ptbjbh.
    pub duplicates: u64,
    /// Requests that reached the service, including those answered 503.
    pub requests: u64,
}

struct App {
    control: Arc<MockControl>,
    state: Mutex<state::State>,
}

impl App {
    fn state(&self) -> std::sync::MutexGuard<'_, state::State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn stats(&self) -> Stats {
        let counts = self.state().counts();
        Stats {
            submissions: counts.cases,
            cases: counts.cases,
            duplicates: counts.duplicates,
            requests: self.control.requests(),
        }
    }
}

/// A running mock: where it listens and how to steer and stop it.
pub struct Handle {
    server: Server,
    app: Arc<App>,
}

impl Handle {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The service URL, e.g. `http://127.0.0.1:9105/zg/service`.
    pub fn endpoint(&self) -> String {
        format!("http://{}{PATH}", self.addr())
    }

    /// Switches the fault mode for the following requests.
    pub fn set_fault(&self, fault: Fault) {
        self.app.control.set_fault(fault);
    }

    /// Current counters.
    pub fn stats(&self) -> Stats {
        self.app.stats()
    }

    /// Stops serving gracefully and returns once the port is closed.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

/// Binds `listen`, spawns the server and the lifecycle ticker, and returns at once.
pub async fn start(listen: SocketAddr, config: Config) -> anyhow::Result<Handle> {
    anyhow::ensure!(!config.stage.is_zero(), "the stage time must be positive");
    let control = Arc::new(MockControl::new(
        config.latency,
        config.fail_rate,
        config.fault,
    )?);
    let app = Arc::new(App {
        control: control.clone(),
        state: Mutex::new(state::State::new(config.stage)),
    });
    let mut server = Server::start(listen, router(app.clone(), control)).await?;
    server.attach(tokio::spawn(tick(app.clone(), config.stage)));
    tracing::info!(addr = %server.addr(), stage_ms = config.stage.as_millis() as u64, "{DEPARTMENT} mock started");
    Ok(Handle { server, app })
}

/// Advances cases; ticks several times per stage so each step lands close to one stage after the last.
async fn tick(app: Arc<App>, stage: Duration) {
    let period = (stage / 5).clamp(Duration::from_millis(1), Duration::from_secs(1));
    let mut interval = tokio::time::interval(period);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let now = interval.tick().await;
        app.state().advance(now);
    }
}

fn router(app: Arc<App>, control: Arc<MockControl>) -> Router {
    let protocol =
        Router::new()
            .route(PATH, post(service))
            .route_layer(middleware::from_fn_with_state(
                control.clone(),
                crate::common::fault::inject_faults,
            ));
    let admin = Router::new()
        .route("/_mock/stats", get(stats))
        .route("/_mock/cases/{reference}", get(case));
    protocol
        .merge(admin)
        .with_state(app)
        .merge(crate::common::fault::fault_routes(control))
        // Attachments travel inline as base64, so requests can be large.
        .layer(DefaultBodyLimit::max(64 * 1024 * 1024))
        .layer(middleware::from_fn(crate::common::log_requests))
}

async fn service(
    Extract(app): Extract<Arc<App>>,
    fault: Option<Extension<ActiveFault>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fault = fault.map(|Extension(ActiveFault(f))| f).unwrap_or_default();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let reply = match protocol::decode_request(&body, content_type) {
        Ok(request) => operations::dispatch(&request, &app.state),
        Err(err) => protocol::Reply::new("", err.code(), &err.to_string()),
    };
    tracing::info!(
        jylx = %reply.jylx,
        fhdm = reply.get("fhdm").unwrap_or_default(),
        fhxx = reply.get("fhxx").unwrap_or_default(),
        "answered"
    );
    reply.into_response(fault)
}

async fn stats(Extract(app): Extract<Arc<App>>) -> Json<Stats> {
    Json(app.stats())
}

async fn case(Extract(app): Extract<Arc<App>>, Path(reference): Path<String>) -> Response {
    match app.state().case(&reference) {
        Some(case) => Json(case.clone()).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({
                "error": format!("no case with ptbjbh or ywlsh {reference}")
            })),
        )
            .into_response(),
    }
}
