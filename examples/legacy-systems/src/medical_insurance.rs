//! 县医疗保障局's 医保经办服务: an ASP.NET WCF service with JSON endpoints at
//! `POST /YbService.svc/{Operation}`, a session cookie from `Login`, answers wrapped
//! in `{"d": …}`, .NET exceptions and `\/Date(ms+0800)\/` dates.
//!
//! The protocol is specified in `examples/legacy-systems/medical-insurance.md`.

mod catalogue;
mod licenses;
mod protocol;
mod session;
mod state;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State as Extract};
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
pub const DEPARTMENT: &str = "县医疗保障局";

/// The service's base: every operation is `POST {BASE}/{Operation}`.
pub const BASE: &str = "/YbService.svc";

/// The default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9107";

/// The password `Login` accepts unless told otherwise.
pub const DEFAULT_PASSWORD: &str = "yb-demo-password-0001";

/// The user name `Login` accepts.
pub const USER_NAME: &str = state::USER_NAME;

/// A running mock; [`Handle::endpoint`](department::Handle::endpoint) is the service's
/// base URL, e.g. `http://127.0.0.1:9107/YbService.svc`.
pub type Handle = department::Handle<State>;

department::register!(State, state::Case, "PlatformCaseNo", revoke);

/// Who may log in, and how long a session lives without a request.
#[derive(Debug, Clone)]
pub struct Sessions {
    /// The password of the user `onewindow`.
    pub password: String,
    /// Idle time after which a session lapses (the protocol's 20 minutes by
    /// default; tests shorten it). `Login` answers it in whole minutes, rounded up.
    pub idle: Duration,
}

impl Default for Sessions {
    fn default() -> Self {
        Self {
            password: DEFAULT_PASSWORD.to_owned(),
            idle: session::IDLE,
        }
    }
}

/// Binds `listen`, spawns the server and the lifecycle ticker, and returns at once.
pub async fn start(
    listen: SocketAddr,
    config: Config,
    sessions: Sessions,
) -> anyhow::Result<Handle> {
    anyhow::ensure!(
        !sessions.idle.is_zero(),
        "the session idle time must be positive"
    );
    let protocol = Router::new().route(&format!("{BASE}/{{operation}}"), post(operation));
    let new_state = move |stage| State::new(stage, sessions.password, sessions.idle);
    department::serve(DEPARTMENT, BASE, listen, config, new_state, protocol).await
}

async fn operation(
    Extract(app): Extract<Arc<App<State>>>,
    fault: Option<Extension<ActiveFault>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fault = fault.map(|Extension(ActiveFault(f))| f).unwrap_or_default();
    protocol::handle(&name, &headers, &body, &app.state, fault)
}
