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
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State as Extract};
use axum::http::{HeaderMap, Method, header};
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};

use crate::common::ActiveFault;
pub use crate::common::Fault;
use crate::common::department::{self, App};
pub use crate::common::department::{Config, Stats};
use state::State;

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

/// A running mock; [`Handle::endpoint`](department::Handle::endpoint) is the transaction
/// prefix URL, e.g. `http://127.0.0.1:9102/rkxt`, and a transaction is `<endpoint>/<交易码>`.
pub type Handle = department::Handle<State>;

department::register!(State, state::Case, "平台办件编号 or 业务流水号");

/// Binds `listen`, spawns the server and the lifecycle ticker, and returns at once.
pub async fn start(listen: SocketAddr, config: Config) -> anyhow::Result<Handle> {
    let protocol = Router::new().route(
        &format!("{PATH}/{{jym}}"),
        get(transaction).post(transaction),
    );
    department::serve(DEPARTMENT, PATH, listen, config, State::new, protocol).await
}

async fn transaction(
    Extract(app): Extract<Arc<App<State>>>,
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
    tracing::debug!(
        transaction = %jym,
        code = reply.code,
        message = %reply.message,
        records = reply.records.len(),
        "answered"
    );
    records::respond(&jym, reply, fault)
}
