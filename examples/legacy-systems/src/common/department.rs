//! What every HTTP department mock shares around its protocol: the behaviour knobs,
//! the counters, the running handle, the lifecycle ticker and the `/_mock` admin routes.
//!
//! A department supplies its case register (a [`Register`]) and its protocol routes;
//! [`serve`] puts fault injection in front of those routes, adds `GET /_mock/stats`,
//! `GET /_mock/cases/{key}` and the `/_mock/fault` routes, and starts everything.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router, middleware};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::{Fault, MockControl, Server, fault, log_requests};

/// How a mock behaves.
#[derive(Debug, Clone)]
pub struct Config {
    /// Time a case spends in each lifecycle stage.
    pub stage: Duration,
    /// Delay added to every answer of the department's protocol endpoints (for the
    /// real estate batch job: before each run).
    pub latency: Duration,
    /// Share (0.0–1.0) of protocol requests answered 503 (for the real estate batch
    /// job: of runs that fail).
    pub fail_rate: f64,
    /// Fault mode at start.
    pub fault: Fault,
    /// Where the department pushes its status changes as they happen, signed
    /// (县市场监督管理局 only; the others are polled).
    pub push: Option<Push>,
}

/// A platform hook the department pushes to, and the secret it signs with.
#[derive(Debug, Clone)]
pub struct Push {
    /// The hook's URL, e.g. `http://127.0.0.1:8080/hooks/market-supervision`.
    pub url: String,
    /// The secret the platform's operator configured for the hook.
    pub secret: String,
}

impl Push {
    /// Posts `body` to the hook, signed as the platform requires: a timestamp
    /// and `sha256=` HMAC-SHA256 of `"<timestamp>.<body>"`. Failures are logged;
    /// the platform's next poll catches up.
    pub async fn send(&self, client: &reqwest::Client, content_type: &str, body: Vec<u8>) {
        use hmac::Mac as _;
        let timestamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default()
            .to_string();
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(self.secret.as_bytes())
            .expect("HMAC takes keys of any length");
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(&body);
        let signature = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        let sent = client
            .post(&self.url)
            .header("content-type", content_type)
            .header("x-onewindow-timestamp", timestamp)
            .header("x-onewindow-signature", signature)
            .timeout(Duration::from_secs(5))
            .body(body)
            .send()
            .await;
        match sent {
            Ok(answer) if answer.status().is_success() => {
                tracing::debug!(url = self.url, "status change pushed")
            }
            Ok(answer) => {
                let status = answer.status();
                let text = answer.text().await.unwrap_or_default();
                tracing::warn!(url = self.url, %status, "push refused: {text}");
            }
            Err(e) => tracing::warn!(url = self.url, "push failed: {e}"),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            stage: Duration::from_secs(30),
            latency: Duration::ZERO,
            fail_rate: 0.0,
            fault: Fault::None,
            push: None,
        }
    }
}

/// The counters of `GET /_mock/stats`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Stored cases (a repeated platform case number does not count).
    pub submissions: u64,
    /// Stored cases (the same number as `submissions`: cases are never deleted).
    pub cases: u64,
    /// Submissions that repeated a known platform case number.
    pub duplicates: u64,
    /// Requests that reached the protocol endpoints, including those answered 503.
    pub requests: u64,
}

/// Counters behind `GET /_mock/stats` (requests are counted elsewhere).
#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    /// Stored cases.
    pub cases: u64,
    /// Repeated platform case numbers.
    pub duplicates: u64,
}

/// What the admin routes and the lifecycle ticker need of a department's case register.
pub trait Register: Send + 'static {
    /// A stored case, as `GET /_mock/cases/{key}` shows it.
    type Case: Serialize;
    /// How the 404 of `GET /_mock/cases/{key}` names the key, e.g. `"PTBJBH"`.
    const CASE_KEY: &'static str;
    /// A stored case by the keys the department looks cases up by.
    fn case(&self, key: &str) -> Option<&Self::Case>;
    /// Stored cases and repeated submissions.
    fn counts(&self) -> Counts;
    /// Takes every case whose next step is due by `now` one step further.
    fn advance(&mut self, now: Instant);
    /// Revokes the license with `number` (`PUT /_mock/licenses/{number}/revoke`),
    /// so that every answer about it says so; false when the department issued
    /// no such license (or issues none).
    fn revoke_license(&mut self, _number: &str) -> bool {
        false
    }
}

/// `register!(State, Case, "key name")` implements [`Register`] for a department's
/// `State` through its inherent `case`, `counts` and `advance`, which have the trait's
/// signatures.
macro_rules! register {
    ($state:ty, $case:ty, $key:literal) => {
        impl $crate::common::department::Register for $state {
            type Case = $case;
            const CASE_KEY: &'static str = $key;
            fn case(&self, key: &str) -> Option<&$case> {
                <$state>::case(self, key)
            }
            fn counts(&self) -> $crate::common::department::Counts {
                <$state>::counts(self)
            }
            fn advance(&mut self, now: tokio::time::Instant) {
                <$state>::advance(self, now);
            }
        }
    };
    ($state:ty, $case:ty, $key:literal, revoke) => {
        impl $crate::common::department::Register for $state {
            type Case = $case;
            const CASE_KEY: &'static str = $key;
            fn case(&self, key: &str) -> Option<&$case> {
                <$state>::case(self, key)
            }
            fn counts(&self) -> $crate::common::department::Counts {
                <$state>::counts(self)
            }
            fn advance(&mut self, now: tokio::time::Instant) {
                <$state>::advance(self, now);
            }
            fn revoke_license(&mut self, number: &str) -> bool {
                <$state>::revoke_license(self, number)
            }
        }
    };
}
pub(crate) use register;

/// What the protocol handlers get as their state: the knobs and the register.
pub struct App<R> {
    control: Arc<MockControl>,
    /// The department's register; handlers lock it themselves.
    pub state: Mutex<R>,
    /// The W3C `traceparent` headers of the protocol requests, in order.
    traceparents: Mutex<Vec<String>>,
}

impl<R: Register> App<R> {
    /// The register, locked (a poisoned lock is taken over).
    pub fn state(&self) -> MutexGuard<'_, R> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Current counters.
    pub fn stats(&self) -> Stats {
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
pub struct Handle<R> {
    server: Server,
    app: Arc<App<R>>,
    base: &'static str,
}

impl<R: Register> Handle<R> {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The department's endpoint URL (its base path on the bound address), e.g.
    /// `http://127.0.0.1:9105/zg/service`.
    pub fn endpoint(&self) -> String {
        format!("http://{}{}", self.addr(), self.base)
    }

    /// Switches the fault mode for the following requests.
    pub fn set_fault(&self, fault: Fault) {
        self.app.control.set_fault(fault);
    }

    /// Current counters.
    pub fn stats(&self) -> Stats {
        self.app.stats()
    }

    /// The W3C `traceparent` headers the protocol endpoints received, in the
    /// order the requests came (requests without one are not listed).
    pub fn traceparents(&self) -> Vec<String> {
        self.app
            .traceparents
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Runs `task` with the mock's state beside it, until the mock stops.
    pub(crate) fn attach<F>(&mut self, task: impl FnOnce(Arc<App<R>>) -> F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.server.attach(tokio::spawn(task(self.app.clone())));
    }

    /// Revokes a license the department issued (as `PUT /_mock/licenses/{number}/revoke`).
    pub fn revoke_license(&self, number: &str) -> bool {
        self.app.state().revoke_license(number)
    }

    /// Stops serving gracefully and returns once the port is closed.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

/// Binds `listen`, spawns the server and the lifecycle ticker, and returns at once.
///
/// `department` names the mock in the startup line, `base` is the path [`Handle::endpoint`]
/// points at, `new_state` builds the register for the configured stage time, and
/// `protocol` holds the department's routes (fault injection is put in front of them).
pub async fn serve<R: Register>(
    department: &str,
    base: &'static str,
    listen: SocketAddr,
    config: Config,
    new_state: impl FnOnce(Duration) -> R,
    protocol: Router<Arc<App<R>>>,
) -> anyhow::Result<Handle<R>> {
    anyhow::ensure!(!config.stage.is_zero(), "the stage time must be positive");
    let control = Arc::new(MockControl::new(
        config.latency,
        config.fail_rate,
        config.fault,
    )?);
    let app = Arc::new(App {
        control: control.clone(),
        state: Mutex::new(new_state(config.stage)),
        traceparents: Mutex::default(),
    });
    let mut server = Server::start(listen, router(app.clone(), control, protocol)).await?;
    server.attach(tokio::spawn(tick(app.clone(), config.stage)));
    tracing::info!(addr = %server.addr(), stage_ms = config.stage.as_millis() as u64, "{department} mock started");
    Ok(Handle { server, app, base })
}

/// Advances cases; ticks several times per stage so each step lands close to one stage after the last.
async fn tick<R: Register>(app: Arc<App<R>>, stage: Duration) {
    let period = (stage / 5).clamp(Duration::from_millis(1), Duration::from_secs(1));
    let mut interval = tokio::time::interval(period);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let now = interval.tick().await;
        app.state().advance(now);
    }
}

fn router<R: Register>(
    app: Arc<App<R>>,
    control: Arc<MockControl>,
    protocol: Router<Arc<App<R>>>,
) -> Router {
    let protocol = protocol
        .route_layer(middleware::from_fn_with_state(
            control.clone(),
            fault::inject_faults,
        ))
        .route_layer(middleware::from_fn_with_state(
            app.clone(),
            remember_traceparent::<R>,
        ));
    let admin = Router::new()
        .route("/_mock/stats", get(stats::<R>))
        .route("/_mock/cases/{key}", get(case::<R>))
        .route("/_mock/licenses/{number}/revoke", put(revoke::<R>));
    protocol
        .merge(admin)
        .with_state(app)
        .merge(fault::fault_routes(control))
        // Attachments travel inline as base64, so requests can be large.
        .layer(DefaultBodyLimit::max(64 * 1024 * 1024))
        .layer(middleware::from_fn(log_requests))
}

/// Keeps the `traceparent` a protocol request carries, for [`Handle::traceparents`].
async fn remember_traceparent<R: Register>(
    State(app): State<Arc<App<R>>>,
    request: axum::extract::Request,
    next: middleware::Next,
) -> Response {
    if let Some(traceparent) = request
        .headers()
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
    {
        app.traceparents
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(traceparent.to_owned());
    }
    next.run(request).await
}

async fn revoke<R: Register>(
    State(app): State<Arc<App<R>>>,
    Path(number): Path<String>,
) -> Response {
    if app.state().revoke_license(&number) {
        tracing::info!(number, "license revoked");
        Json(serde_json::json!({"number": number, "status": "revoked"})).into_response()
    } else {
        (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({"error": format!("no license with number {number}")})),
        )
            .into_response()
    }
}

async fn stats<R: Register>(State(app): State<Arc<App<R>>>) -> Json<Stats> {
    Json(app.stats())
}

async fn case<R: Register>(State(app): State<Arc<App<R>>>, Path(key): Path<String>) -> Response {
    match app.state().case(&key) {
        Some(case) => Json(case).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({
                "error": format!("no case with {} {key}", R::CASE_KEY)
            })),
        )
            .into_response(),
    }
}
