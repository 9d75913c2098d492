//! 县公安局's 人口信息管理系统 / 治安管理: GBK fixed-width records over HTTP at
//! `/rkxt/{交易码}`.
//!
//! The protocol is specified in `examples/legacy-systems/public-security.md`.

mod catalogue;
mod operations;
mod records;
mod register;
mod state;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State as Extract};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router, middleware};
use serde::{Deserialize, Serialize};

pub use crate::common::Fault;
use crate::common::{ActiveFault, MockControl, Server};

/// The department's name, as its answers and the startup line spell it.
pub const DEPARTMENT: &str = "县公安局";

/// The prefix of the transaction endpoints: `/rkxt/{交易码}`.
pub const PATH: &str = "/rkxt";

/// The default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9102";

/// The ID number of 陈晓东, the resident the repository's example requests use.
pub const CHEN_XIAODONG: &str = register::CHEN_XIAODONG;

/// The seeded register's people, (公民身份号码, 姓名), for tests and demos.
pub fn seeded_residents() -> Vec<(String, String)> {
    register::seed_residents()
        .into_iter()
        .map(|r| (r.id_number, r.name))
        .collect()
}

/// How the mock behaves.
#[derive(Debug, Clone)]
pub struct Config {
    /// Time a case spends in each lifecycle stage.
    pub stage: Duration,
    /// Delay added to every answer of the transaction endpoints.
    pub latency: Duration,
    /// Share (0.0–1.0) of transaction requests answered 503.
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
    /// Stored cases (a repeated 平台办件编号 does not count).
    pub submissions: u64,
    /// Stored cases (the same number as `submissions`: cases are never deleted).
    pub cases: u64,
    /// Submissions that repeated a known 平台办件编号.
    pub duplicates: u64,
    /// Requests that reached the transaction endpoints, including those answered 503.
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
        let (cases, duplicates) = self.state().counts();
        Stats {
            submissions: cases,
            cases,
            duplicates,
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

    /// The transaction prefix URL, e.g. `http://127.0.0.1:9102/rkxt`; a transaction is
    /// `<endpoint>/<交易码>`.
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
    let protocol = Router::new()
        .route(
            &format!("{PATH}/{{jym}}"),
            get(transaction).post(transaction),
        )
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
        // Attachments travel inline as base64 records, so requests can be large.
        .layer(DefaultBodyLimit::max(64 * 1024 * 1024))
        .layer(middleware::from_fn(crate::common::log_requests))
}

async fn transaction(
    Extract(app): Extract<Arc<App>>,
    Path(jym): Path<String>,
    method: Method,
    Query(query): Query<HashMap<String, String>>,
    fault: Option<Extension<ActiveFault>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fault = fault.map(|Extension(ActiveFault(f))| f).unwrap_or_default();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let request = operations::Request {
        method: &method,
        query: &query,
        charset: onewindow_codes::gbk::content_type_charset(content_type),
        body: &body,
    };
    let reply = operations::dispatch(&jym, &request, &app.state, fault);
    tracing::info!(
        transaction = %jym,
        code = reply.code,
        message = %reply.message,
        records = reply.records.len(),
        "answered"
    );
    records::respond(&jym, reply, fault)
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
                "error": format!("no case with 平台办件编号 or 业务流水号 {reference}")
            })),
        )
            .into_response(),
    }
}
