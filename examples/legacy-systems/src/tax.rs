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
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State as Extract;
use axum::http::{HeaderMap, header};
use axum::response::Response;
use axum::routing::post;
use axum::{Extension, Router};

use crate::common::ActiveFault;
pub use crate::common::Fault;
use crate::common::department::{self, App};
pub use crate::common::department::{Config, Stats};
use state::State;

/// The department's name, as its answers and the startup line spell it.
pub const DEPARTMENT: &str = "县税务局";

/// The path of the service.
pub const PATH: &str = "/zg/service";

/// The default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9105";

/// The code of 发票申领, the matter of the platform's 开办企业 theme.
pub const INVOICE_APPLICATION: &str = catalogue::INVOICE_APPLICATION;

/// A running mock; [`Handle::endpoint`](department::Handle::endpoint) is the service URL,
/// e.g. `http://127.0.0.1:9105/zg/service`.
pub type Handle = department::Handle<State>;

department::register!(State, state::Case, "ptbjbh or ywlsh");

/// Binds `listen`, spawns the server and the lifecycle ticker, and returns at once.
pub async fn start(listen: SocketAddr, config: Config) -> anyhow::Result<Handle> {
    let protocol = Router::new().route(PATH, post(service));
    department::serve(DEPARTMENT, PATH, listen, config, State::new, protocol).await
}

async fn service(
    Extract(app): Extract<Arc<App<State>>>,
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
    tracing::debug!(
        jylx = %reply.jylx,
        fhdm = reply.get("fhdm").unwrap_or_default(),
        fhxx = reply.get("fhxx").unwrap_or_default(),
        "answered"
    );
    reply.into_response(fault)
}
