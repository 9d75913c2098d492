//! Pieces shared by the mock departments: serving, request logging, China time,
//! XML trees, GBK SOAP envelopes, the case store, fault injection and the `/_mock`
//! admin plumbing.

pub mod cases;
pub mod department;
pub mod fault;
pub mod soap;
pub mod xml;

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use axum::Router;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use onewindow_codes::chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Utc};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use fault::{ActiveFault, Fault, MockControl};

/// The current wall-clock time in China (UTC+8), whatever the machine's time zone.
pub fn china_now() -> NaiveDateTime {
    // The departments' systems stamp Beijing time; CI machines usually run in UTC.
    let beijing = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    DateTime::<Utc>::from(SystemTime::now())
        .with_timezone(&beijing)
        .naive_local()
}

/// Today's date in China (UTC+8).
pub fn china_today() -> NaiveDate {
    china_now().date()
}

/// Logs every request with its status and duration, at DEBUG: the platform
/// polls every few seconds, and what changes something is logged where it
/// happens (a case stored, a status changed, a fault set).
pub async fn log_requests(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let uri = req.uri().clone();
    let started = tokio::time::Instant::now();
    let response = next.run(req).await;
    tracing::debug!(
        %method,
        %uri,
        status = response.status().as_u16(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}

/// A running mock server: its bound address and the means to stop it.
pub struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    serving: Option<JoinHandle<std::io::Result<()>>>,
    background: Vec<JoinHandle<()>>,
}

impl Server {
    /// Binds `listen` and serves `router` on a spawned task; returns once the port is open.
    pub async fn start(listen: SocketAddr, router: Router) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("binding {listen}"))?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    // A dropped sender means the owner is gone: stop as well.
                    let _ = stopped.await;
                })
                .await
        });
        Ok(Self {
            addr,
            stop: Some(stop),
            serving: Some(serving),
            background: Vec::new(),
        })
    }

    /// The address the server is bound to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Ties a background task (e.g. a lifecycle ticker) to the server's lifetime.
    pub fn attach(&mut self, task: JoinHandle<()>) {
        self.background.push(task);
    }

    /// Stops accepting, lets in-flight requests finish, and returns once the port is closed.
    pub async fn shutdown(mut self) {
        for task in self.background.drain(..) {
            task.abort();
        }
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(serving) = self.serving.take() {
            // Bounded so that a client holding a connection open cannot hang the caller.
            match tokio::time::timeout(Duration::from_secs(10), serving).await {
                Ok(Ok(Ok(()))) => {}
                Ok(Ok(Err(err))) => tracing::warn!(%err, "server stopped with an error"),
                Ok(Err(err)) => tracing::warn!(%err, "server task failed"),
                Err(_) => tracing::warn!("server did not stop within 10 s"),
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        for task in &self.background {
            task.abort();
        }
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Resolves when the process is asked to stop (Ctrl-C, or SIGTERM on Unix).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(%err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(%err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
