//! 县民政局's 婚姻登记和社会救助信息系统: GB 18030 XML 报文 at `POST /mzxt/jk`.
//!
//! The protocol is specified in `examples/legacy-systems/civil-affairs.md`.

mod catalogue;
mod licenses;
mod protocol;
mod state;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State as Extract;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::post;
use axum::{Extension, Router};

use crate::common::ActiveFault;
pub use crate::common::Fault;
use crate::common::department::{self, App};
pub use crate::common::department::{Config, Stats};
use state::State;

/// The department's name, as its answers and the startup line spell it.
pub const DEPARTMENT: &str = "县民政局";

/// The path of the interface (接口).
pub const BASE: &str = "/mzxt/jk";

/// The default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9106";

/// A running mock; [`Handle::endpoint`](department::Handle::endpoint) is the interface's
/// URL, e.g. `http://127.0.0.1:9106/mzxt/jk`.
pub type Handle = department::Handle<State>;

department::register!(State, state::Case, "PTBH", revoke);

/// Binds `listen`, spawns the server and the lifecycle ticker, and returns at once.
pub async fn start(listen: SocketAddr, config: Config) -> anyhow::Result<Handle> {
    let protocol = Router::new().route(BASE, post(jk));
    department::serve(DEPARTMENT, BASE, listen, config, State::new, protocol).await
}

async fn jk(
    Extract(app): Extract<Arc<App<State>>>,
    fault: Option<Extension<ActiveFault>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fault = fault.map(|Extension(ActiveFault(f))| f).unwrap_or_default();
    let answer = protocol::handle(&body, &headers, &app.state, fault);
    tracing::debug!(
        jydm = %answer.jydm,
        fhdm = %answer.fhdm,
        fhxx = %answer.fhxx,
        "answered"
    );
    protocol::respond(answer, fault)
}
