//! 县市场监督管理局's 登记注册业务系统: a GBK SOAP 1.1 service at `POST /ws/djzc`.
//!
//! The protocol is specified in `examples/legacy-systems/market-supervision.md`.

mod catalogue;
mod operations;
mod registry;
mod state;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State as Extract;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::post;
use axum::{Extension, Router};

pub use crate::common::Fault;
use crate::common::department::{self, App};
pub use crate::common::department::{Config, Push, Stats};
use crate::common::{ActiveFault, soap};
use state::State;

/// The department's name, as its answers and the startup line spell it.
pub const DEPARTMENT: &str = "县市场监督管理局";

/// The path of the SOAP endpoint.
pub const PATH: &str = "/ws/djzc";

/// The default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9101";

/// A running mock; [`Handle::endpoint`](department::Handle::endpoint) is the SOAP
/// endpoint URL, e.g. `http://127.0.0.1:9101/ws/djzc`.
pub type Handle = department::Handle<State>;

department::register!(State, state::Case, "PTBJBH", revoke);

/// Binds `listen`, spawns the server and the lifecycle ticker, and returns at once.
pub async fn start(listen: SocketAddr, config: Config) -> anyhow::Result<Handle> {
    let protocol = Router::new().route(PATH, post(djzc));
    let push = config.push.clone();
    let mut handle =
        department::serve(DEPARTMENT, PATH, listen, config, State::new, protocol).await?;
    if let Some(push) = push {
        handle.attach(|app| push_changes(app, push));
    }
    Ok(handle)
}

/// Pushes every status change, as `CXBJZT` reports it, in a signed `BJZTTZ`
/// notification (办件状态通知) soon after it happens.
async fn push_changes(app: Arc<App<State>>, push: Push) {
    let client = reqwest::Client::new();
    let mut pushed = app.state().last_change();
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(200));
    loop {
        tick.tick().await;
        let body = {
            let state = app.state();
            let (page, _) = state.changes(pushed, 50);
            let Some(last) = page.last() else { continue };
            pushed = crate::common::cases::Numbered::number(last);
            operations::notification(page)
        };
        push.send(&client, "text/xml; charset=GBK", body).await;
    }
}

async fn djzc(
    Extract(app): Extract<Arc<App<State>>>,
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
    tracing::debug!(
        operation = %answer.name.trim_end_matches("Response"),
        fhdm = answer.text_of("FHDM").unwrap_or_default(),
        fhxx = answer.text_of("FHXX").unwrap_or_default(),
        "answered"
    );
    soap::respond(answer, fault, operations::DROPPABLE)
}
