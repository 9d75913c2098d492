//! `onewindow serve`: loads the configuration, the database, the calendar and
//! every adapter package, then runs the HTTP API and the delivery worker.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use crate::audit::NewEntry;
use crate::audit::seal::AuditKey;
use crate::config::{Config, Overrides, ServerLimits};
use crate::platform::Platform;
use crate::platform::calendar::Calendar;
use crate::platform::exchanges::{self, ExchangeLog};
use crate::registry::package::{self, PackageFiles, TrustStore};
use crate::runtime::{Runtime, RuntimeConfig};
use crate::store::{self, Store};

/// Builds the platform from `config`: database, calendar, runtime, the trust
/// store, and the adapters of the adapter folder and the registry.
pub async fn platform(config: Config) -> anyhow::Result<Platform> {
    crate::metrics::install();
    let mut store = Store::open(&config.database_url).await?;
    let key = AuditKey::load_or_create(&config.audit_key).map_err(anyhow::Error::msg)?;
    store
        .install_audit_key(key, &config.audit_key.display().to_string())
        .await?;
    let calendar = Calendar::load_dir(&config.calendar_dir).with_context(|| {
        format!(
            "loading the holiday calendar from {}",
            config.calendar_dir.display()
        )
    })?;
    // Every adapter call is recorded, and kept by a task of its own.
    let (exchange_log, queue) = ExchangeLog::new(config.exchange_log.clone());
    exchanges::spawn_writer(store.clone(), config.exchange_log.clone(), queue);
    let runtime = Runtime::new(RuntimeConfig {
        exchange_root: config.exchange_root.clone(),
        breaker: config.delivery.breaker,
        cache_dir: Some(config.data_dir.join("cache")),
        recorder: Some(exchange_log),
        ..RuntimeConfig::default()
    })?;
    let trust = TrustStore::load_dir(&config.trust_dir).with_context(|| {
        format!(
            "loading the trusted keys from {}",
            config.trust_dir.display()
        )
    })?;
    let adapter_dir = config.adapter_dir.clone();
    let platform = Platform::new(store, calendar, config, Arc::new(runtime), trust);
    load_adapters(&platform, &adapter_dir).await?;
    platform
        .load_registry()
        .await
        .context("loading the active adapters of the registry")?;
    Ok(platform)
}

/// The whole application: the API, the clerks' window and the operators'
/// console, with the request metrics, the request spans and the body limit
/// around them.
pub fn app(platform: Platform) -> axum::Router {
    let limit = platform.config.max_body_bytes;
    crate::http::api()
        .merge(crate::ui::router())
        .fallback(crate::http::not_found)
        .layer(axum::middleware::from_fn(crate::http::count_requests))
        .layer(axum::middleware::from_fn(crate::telemetry::trace_requests))
        .layer(axum::extract::DefaultBodyLimit::max(limit))
        .with_state(platform)
}

/// Loads every package folder in `dir`; one that fails is reported and skipped.
pub async fn load_adapters(platform: &Platform, dir: &Path) -> anyhow::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::warn!(dir = %dir.display(), "no adapter folder; no department is connected");
            return Ok(());
        }
        Err(e) => {
            return Err(e).with_context(|| format!("reading the adapter folder {}", dir.display()));
        }
    };
    let mut packages: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join(crate::manifest::MANIFEST_FILE).is_file())
        .collect();
    packages.sort();
    for package in packages {
        // With signatures required, a folder's package is verified like any
        // other: it must be a signed package (adapter.toml, adapter.wasm,
        // adapter.sig) by a key trusted for its adapter id.
        let loaded = if platform.config.require_signatures {
            PackageFiles::read(&package)
                .and_then(|files| package::verify(files, platform.trust(), true))
                .map_err(|e| e.to_string())
                .and_then(|verified| {
                    platform
                        .loader
                        .load(verified.manifest, &verified.component, verified.sha256)
                        .map_err(|e| e.to_string())
                })
        } else {
            platform
                .loader
                .load_dir(&package)
                .map_err(|e| e.to_string())
        };
        match loaded {
            Ok(adapter) => {
                tracing::info!(
                    adapter = adapter.id(),
                    version = %adapter.manifest().version,
                    exports = %adapter.exports(),
                    "adapter loaded"
                );
                platform
                    .store
                    .audit(NewEntry {
                        at: store::now(),
                        actor: "system".into(),
                        action: "adapter.loaded".into(),
                        subject: adapter.id().to_owned(),
                        detail: serde_json::json!({
                            "version": adapter.manifest().version.to_string(),
                            "sha256": adapter.sha256(),
                        }),
                    })
                    .await?;
                platform.install(adapter);
            }
            Err(e) => tracing::error!(package = %package.display(), "adapter not loaded: {e}"),
        }
    }
    Ok(())
}

/// Runs the platform until Ctrl-C or SIGTERM.
pub async fn run(file: Option<&Path>, overrides: &Overrides) -> anyhow::Result<()> {
    let config = Config::load(file, overrides)?;
    if config.tokens.is_empty() {
        anyhow::bail!(
            "no tokens are configured, so nobody could use the platform; add [[tokens]] to onewindow.toml"
        );
    }
    let listen = config.listen;
    let platform = platform(config).await?;
    let report = platform.sync_catalogue().await;
    tracing::info!(?report, "catalogue synced");
    let workers = crate::delivery::spawn(platform.clone());
    // Kept alive while serving; dropping it stops watching.
    let _watcher = match &platform.config.watch_dir {
        Some(dir) => Some(crate::watch::spawn(platform.clone(), dir)?),
        None => None,
    };

    // Each connection holds a descriptor: make room for as many as allowed.
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) if limit < platform.config.server.max_connections as u64 + 256 => tracing::warn!(
            descriptors = limit,
            max_connections = platform.config.server.max_connections,
            "the process may open fewer files than server.max-connections needs; lower it or raise `ulimit -n`"
        ),
        Ok(_) => {}
        Err(e) => tracing::warn!("cannot raise the open-file limit: {e}"),
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    println!("onewindow listening on http://{listen}");
    println!("  window:  http://{listen}/  (operators: http://{listen}/admin)");
    println!("  API:     http://{listen}/api/v1/matters");
    println!("  health:  http://{listen}/healthz  http://{listen}/readyz");
    // The demo's tokens are public; a real platform's are never printed.
    let demo = platform.config.demo.then_some(&platform.config.tokens);
    for t in demo.into_iter().flatten() {
        if let Some(token) = t.plain_text() {
            let (role, name) = (t.role, &t.name);
            println!("{role} token: {token}  (the window's account {name:?}, password: the token)");
        }
    }
    let limits = platform.config.server.clone();
    serve_http(listener, app(platform), &limits, shutdown())
        .await
        .context("serving HTTP")?;
    for worker in workers {
        worker.abort();
    }
    Ok(())
}

async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing the SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// What a connection past [`ServerLimits::max_connections`] is told before it is closed.
const TOO_MANY_CONNECTIONS: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n\
Connection: close\r\nContent-Type: application/json\r\nContent-Length: 91\r\n\r\n\
{\"error\":\"overloaded\",\"message\":\"the platform has too many connections; retry in a second\"}";

/// Serves `app` on `listener` until `shutdown`, within `limits`:
///
/// - a client has [`ServerLimits::header_timeout`] to send a request's head
///   (hyper's own timer), and a request [`ServerLimits::request_timeout`] in
///   all (tower-http, which answers 408);
/// - at most [`ServerLimits::max_requests`] requests are in progress at once
///   (tower's concurrency limit); past it a request is shed at once with 503
///   and `Retry-After`, never queued;
/// - at most [`ServerLimits::max_connections`] connections are held; one past
///   it gets a 503 and is closed, so descriptors never run out.
///
/// Each request carries its peer's address (`ConnectInfo<SocketAddr>`) for the
/// hooks' `allow-from`, the sign-in limits and the logs.
pub async fn serve_http(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    limits: &ServerLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use hyper_util::server::conn::auto::Builder;
    use tower::{ServiceBuilder, ServiceExt as _};

    let service = ServiceBuilder::new()
        .layer(axum::error_handling::HandleErrorLayer::new(overloaded))
        .load_shed()
        .concurrency_limit(limits.max_requests)
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            http::StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .service(app);
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(limits.header_timeout));
    let builder = Arc::new(builder);
    let connections = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (mut stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors or a connection reset before accept:
                    // wait a little instead of spinning.
                    tracing::warn!("accepting a connection failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = connections.clone().try_acquire_owned() else {
            metrics::counter!("onewindow_http_connections_refused_total").increment(1);
            tokio::spawn(async move {
                use tokio::io::AsyncWriteExt as _;
                let _ = tokio::time::timeout(Duration::from_secs(1), async {
                    let _ = stream.write_all(TOO_MANY_CONNECTIONS).await;
                    let _ = stream.shutdown().await;
                })
                .await;
            });
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service =
            service
                .clone()
                .map_request(move |request: http::Request<hyper::body::Incoming>| {
                    let mut request = request.map(axum::body::Body::new);
                    request
                        .extensions_mut()
                        .insert(axum::extract::ConnectInfo(peer));
                    request
                });
        let service = hyper_util::service::TowerToHyperService::new(service);
        let builder = builder.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
            if let Err(e) = watcher.watch(connection.into_owned()).await {
                tracing::debug!(%peer, "connection ended: {e}");
            }
            drop(permit);
        });
    }
    drop(listener);
    // Requests in progress finish; idle connections are closed.
    if tokio::time::timeout(limits.request_timeout, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("some connections were still open at shut-down");
    }
    Ok(())
}

async fn overloaded(error: tower::BoxError) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let (status, code, message) = if error.is::<tower::load_shed::error::Overloaded>() {
        metrics::counter!("onewindow_http_requests_shed_total").increment(1);
        (
            http::StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            "the platform is answering as many requests as it can; retry in a second",
        )
    } else {
        tracing::error!("serving a request failed: {error}");
        (
            http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the platform could not complete the request; it has been logged",
        )
    };
    let body = serde_json::json!({"error": code, "message": message});
    (status, [(http::header::RETRY_AFTER, "1")], axum::Json(body)).into_response()
}
