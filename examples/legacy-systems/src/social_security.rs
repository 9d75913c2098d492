//! 县人力资源和社会保障局's 金保工程 business system: a JSON interface under
//! `/jbgc/api` with 金保 field codes (aac002 公民身份号码, aaz002 业务流水号, …),
//! numeric codes, compact dates and paged lists.
//!
//! The protocol is specified in `examples/legacy-systems/social-security.md`.

mod catalogue;
mod protocol;
mod register;
mod state;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State as Extract};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router, middleware};
use serde::{Deserialize, Serialize};

pub use crate::common::Fault;
use crate::common::{ActiveFault, MockControl, Server};
use protocol::{Failure, Op};

/// The department's name, as its answers and the startup line spell it.
pub const DEPARTMENT: &str = "县人力资源和社会保障局";

/// The path every operation lives below.
pub const BASE: &str = "/jbgc/api";

/// The default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9104";

/// How the mock behaves.
#[derive(Debug, Clone)]
pub struct Config {
    /// Time a case spends in each lifecycle stage.
    pub stage: Duration,
    /// Delay added to every answer of the interface.
    pub latency: Duration,
    /// Share (0.0–1.0) of interface requests answered 503.
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
    /// Stored cases (a repeated bae100 does not count).
    pub submissions: u64,
    /// Stored cases (the same number as `submissions`: cases are never deleted).
    pub cases: u64,
    /// Submissions that repeated a known bae100.
    pub duplicates: u64,
    /// Requests that reached the interface, including those answered 503.
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

    /// The interface's base URL, e.g. `http://127.0.0.1:9104/jbgc/api`.
    pub fn endpoint(&self) -> String {
        format!("http://{}{BASE}", self.addr())
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
    let protocol = Router::new()
        .route(&format!("{BASE}/sx"), get(catalogue))
        .route(&format!("{BASE}/yw/sq"), post(submit))
        .route(&format!("{BASE}/yw/zt"), get(changes))
        .route(&format!("{BASE}/sbk"), get(cards))
        .route(&format!("{BASE}/sbk/{{aaz500}}"), get(verify))
        .route_layer(middleware::from_fn_with_state(
            control.clone(),
            crate::common::fault::inject_faults,
        ));
    let admin = Router::new()
        .route("/_mock/stats", get(stats))
        .route("/_mock/cases/{bae100}", get(case));
    protocol
        .merge(admin)
        .with_state(app)
        .merge(crate::common::fault::fault_routes(control))
        // Attachments travel inline as base64, so requests can be large.
        .layer(DefaultBodyLimit::max(64 * 1024 * 1024))
        .layer(middleware::from_fn(crate::common::log_requests))
}

type Params = Result<Query<HashMap<String, String>>, QueryRejection>;

fn fault_of(fault: Option<Extension<ActiveFault>>) -> Fault {
    fault.map(|Extension(ActiveFault(f))| f).unwrap_or_default()
}

/// The query's parameters, or the 1001 answer for a query that cannot be read.
fn params(query: Params) -> Result<HashMap<String, String>, Failure> {
    query
        .map(|Query(params)| params)
        .map_err(|e| Failure::malformed(format!("查询参数无法解析：{e}")))
}

fn answer(op: Op, result: Result<(String, serde_json::Value), Failure>, fault: Fault) -> Response {
    if let Err(failure) = &result {
        tracing::info!(?op, code = failure.code, message = %failure.message, "answered");
    }
    protocol::respond(op, protocol::envelope(result), fault)
}

async fn catalogue(fault: Option<Extension<ActiveFault>>, query: Params) -> Response {
    let fault = fault_of(fault);
    let result = params(query).and_then(|p| protocol::catalogue(&p, fault));
    answer(Op::Catalogue, result, fault)
}

async fn submit(
    Extract(app): Extract<Arc<App>>,
    fault: Option<Extension<ActiveFault>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = protocol::submit(&body, &headers, &app.state);
    answer(Op::Submit, result, fault_of(fault))
}

async fn changes(
    Extract(app): Extract<Arc<App>>,
    fault: Option<Extension<ActiveFault>>,
    query: Params,
) -> Response {
    let fault = fault_of(fault);
    let result = params(query).and_then(|p| protocol::changes(&p, &app.state, fault));
    answer(Op::Events, result, fault)
}

async fn cards(
    Extract(app): Extract<Arc<App>>,
    fault: Option<Extension<ActiveFault>>,
    query: Params,
) -> Response {
    let fault = fault_of(fault);
    let result = params(query).and_then(|p| protocol::cards(&p, &app.state, fault));
    answer(Op::Cards, result, fault)
}

async fn verify(
    Extract(app): Extract<Arc<App>>,
    fault: Option<Extension<ActiveFault>>,
    Path(aaz500): Path<String>,
) -> Response {
    let result = protocol::verify(&aaz500, &app.state);
    answer(Op::Verify, result, fault_of(fault))
}

async fn stats(Extract(app): Extract<Arc<App>>) -> Json<Stats> {
    Json(app.stats())
}

async fn case(Extract(app): Extract<Arc<App>>, Path(bae100): Path<String>) -> Response {
    match app.state().case(&bae100) {
        Some(case) => Json(case.clone()).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({ "error": format!("no case with bae100 {bae100}") })),
        )
            .into_response(),
    }
}
