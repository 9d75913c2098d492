//! 县市场监督管理局's 登记注册业务系统: a GBK SOAP 1.1 service at `POST /ws/djzc`.
//!
//! The protocol is specified in `examples/legacy-systems/market-supervision.md`.

mod catalogue;
mod operations;
mod registry;
mod state;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State as Extract};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router, middleware};
use serde::{Deserialize, Serialize};

pub use crate::common::Fault;
use crate::common::soap;
use crate::common::{ActiveFault, MockControl, Server};

/// The department's name, as its answers and the startup line spell it.
pub const DEPARTMENT: &str = "县市场监督管理局";

/// The path of the SOAP endpoint.
pub const PATH: &str = "/ws/djzc";

/// The default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9101";

/// How the mock behaves.
#[derive(Debug, Clone)]
pub struct Config {
    /// Time a case spends in each lifecycle stage.
    pub stage: Duration,
    /// Delay added to every answer of the SOAP endpoint.
    pub latency: Duration,
    /// Share (0.0–1.0) of SOAP requests answered 503.
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
    /// Stored cases (a repeated PTBJBH does not count).
    pub submissions: u64,
    /// Stored cases (the same number as `submissions`: cases are never deleted).
    pub cases: u64,
    /// Submissions that repeated a known PTBJBH.
    pub duplicates: u64,
    /// Requests that reached the SOAP endpoint, including those answered 503.
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

    /// The SOAP endpoint URL, e.g. `http://127.0.0.1:9101/ws/djzc`.
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
            .route(PATH, post(djzc))
            .route_layer(middleware::from_fn_with_state(
                control.clone(),
                crate::common::fault::inject_faults,
            ));
    let admin = Router::new()
        .route("/_mock/stats", get(stats))
        .route("/_mock/cases/{ptbjbh}", get(case));
    protocol
        .merge(admin)
        .with_state(app)
        .merge(crate::common::fault::fault_routes(control))
        // Attachments travel inline as base64, so requests can be large.
        .layer(DefaultBodyLimit::max(64 * 1024 * 1024))
        .layer(middleware::from_fn(crate::common::log_requests))
}

async fn djzc(
    Extract(app): Extract<Arc<App>>,
    fault: Option<Extension<ActiveFault>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fault = fault.map(|Extension(ActiveFault(f))| f).unwrap_or_default();
    let answer = match soap::decode_request(&body, &headers).and_then(|t| soap::operation(&t)) {
        Ok(request) => operations::dispatch(&request, &app.state),
        Err(err) => {
            // Without a readable body the answer is named after SOAPAction when it is one of ours.
            let name = soap::soap_action(&headers)
                .filter(|a| operations::OPERATIONS.contains(&a.as_str()))
                .unwrap_or_else(|| "Error".to_owned());
            operations::failure(&name, &operations::Failure::Malformed(err.to_string()))
        }
    };
    tracing::info!(
        operation = %answer.name.trim_end_matches("Response"),
        fhdm = answer.text_of("FHDM").unwrap_or_default(),
        fhxx = answer.text_of("FHXX").unwrap_or_default(),
        "answered"
    );
    soap::respond(answer, fault, operations::DROPPABLE)
}

async fn stats(Extract(app): Extract<Arc<App>>) -> Json<Stats> {
    Json(app.stats())
}

async fn case(Extract(app): Extract<Arc<App>>, Path(ptbjbh): Path<String>) -> Response {
    match app.state().case(&ptbjbh) {
        Some(case) => Json(case.clone()).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({ "error": format!("no case with PTBJBH {ptbjbh}") })),
        )
            .into_response(),
    }
}
