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
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State as Extract};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Router};

use crate::common::ActiveFault;
pub use crate::common::Fault;
use crate::common::department::{self, App};
pub use crate::common::department::{Config, Stats};
use protocol::{Failure, Op};
use state::State;

/// The department's name, as its answers and the startup line spell it.
pub const DEPARTMENT: &str = "县人力资源和社会保障局";

/// The path every operation lives below.
pub const BASE: &str = "/jbgc/api";

/// The default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9104";

/// A running mock; [`Handle::endpoint`](department::Handle::endpoint) is the interface's
/// base URL, e.g. `http://127.0.0.1:9104/jbgc/api`.
pub type Handle = department::Handle<State>;

department::register!(State, state::Case, "bae100");

/// Binds `listen`, spawns the server and the lifecycle ticker, and returns at once.
pub async fn start(listen: SocketAddr, config: Config) -> anyhow::Result<Handle> {
    let protocol = Router::new()
        .route(&format!("{BASE}/sx"), get(catalogue))
        .route(&format!("{BASE}/yw/sq"), post(submit))
        .route(&format!("{BASE}/yw/zt"), get(changes))
        .route(&format!("{BASE}/yw/bz"), post(supplement))
        .route(&format!("{BASE}/yw/ch"), post(withdraw))
        .route(&format!("{BASE}/sbk"), get(cards))
        .route(&format!("{BASE}/sbk/{{aaz500}}"), get(verify))
        .route(&format!("{BASE}/sbk/{{aaz500}}/zt"), post(change_card));
    department::serve(DEPARTMENT, BASE, listen, config, State::new, protocol).await
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
        tracing::debug!(?op, code = failure.code, message = %failure.message, "answered");
    }
    protocol::respond(op, protocol::envelope(result), fault)
}

async fn catalogue(fault: Option<Extension<ActiveFault>>, query: Params) -> Response {
    let fault = fault_of(fault);
    let result = params(query).and_then(|p| protocol::catalogue(&p, fault));
    answer(Op::Catalogue, result, fault)
}

async fn submit(
    Extract(app): Extract<Arc<App<State>>>,
    fault: Option<Extension<ActiveFault>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = protocol::submit(&body, &headers, &app.state);
    answer(Op::Submit, result, fault_of(fault))
}

async fn changes(
    Extract(app): Extract<Arc<App<State>>>,
    fault: Option<Extension<ActiveFault>>,
    query: Params,
) -> Response {
    let fault = fault_of(fault);
    let result = params(query).and_then(|p| protocol::changes(&p, &app.state, fault));
    answer(Op::Events, result, fault)
}

async fn cards(
    Extract(app): Extract<Arc<App<State>>>,
    fault: Option<Extension<ActiveFault>>,
    query: Params,
) -> Response {
    let fault = fault_of(fault);
    let result = params(query).and_then(|p| protocol::cards(&p, &app.state, fault));
    answer(Op::Cards, result, fault)
}

async fn verify(
    Extract(app): Extract<Arc<App<State>>>,
    fault: Option<Extension<ActiveFault>>,
    Path(aaz500): Path<String>,
) -> Response {
    let result = protocol::verify(&aaz500, &app.state);
    answer(Op::Verify, result, fault_of(fault))
}

async fn supplement(
    Extract(app): Extract<Arc<App<State>>>,
    fault: Option<Extension<ActiveFault>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = protocol::supplement(&body, &headers, &app.state);
    answer(Op::Supplement, result, fault_of(fault))
}

async fn withdraw(
    Extract(app): Extract<Arc<App<State>>>,
    fault: Option<Extension<ActiveFault>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = protocol::withdraw(&body, &headers, &app.state);
    answer(Op::Withdraw, result, fault_of(fault))
}

async fn change_card(
    Extract(app): Extract<Arc<App<State>>>,
    fault: Option<Extension<ActiveFault>>,
    Path(aaz500): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = protocol::change_card(&aaz500, &body, &headers, &app.state);
    answer(Op::CardStatus, result, fault_of(fault))
}
