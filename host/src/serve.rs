//! `onewindow serve`: loads the configuration, the database, the calendar and
//! every adapter package, then runs the HTTP API and the delivery worker.

use std::path::Path;

use anyhow::Context as _;

use crate::config::{Config, Overrides, Role};
use crate::platform::Platform;
use crate::platform::audit::NewEntry;
use crate::platform::calendar::Calendar;
use crate::registry::package::TrustStore;
use crate::runtime::{Runtime, RuntimeConfig};
use crate::store::{self, Store};

/// Builds the platform from `config`: database, calendar, runtime, the trust
/// store, and the adapters of the adapter folder and the registry.
pub async fn platform(config: Config) -> anyhow::Result<Platform> {
    crate::metrics::install();
    let store = Store::open(&config.database_url).await?;
    let calendar = Calendar::load_dir(&config.calendar_dir).with_context(|| {
        format!(
            "loading the holiday calendar from {}",
            config.calendar_dir.display()
        )
    })?;
    let runtime = Runtime::new(RuntimeConfig {
        exchange_root: config.exchange_root.clone(),
        breaker: config.delivery.breaker,
        cache_dir: Some(config.data_dir.join("cache")),
        ..RuntimeConfig::default()
    })?;
    let trust = TrustStore::load_dir(&config.trust_dir).with_context(|| {
        format!(
            "loading the trusted keys from {}",
            config.trust_dir.display()
        )
    })?;
    let adapter_dir = config.adapter_dir.clone();
    let platform = Platform::new(store, calendar, config, runtime, trust);
    load_adapters(&platform, &adapter_dir).await?;
    platform
        .load_registry()
        .await
        .context("loading the active adapters of the registry")?;
    Ok(platform)
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
        match platform.runtime.load_dir(&package) {
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

    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    println!("onewindow listening on http://{listen}");
    println!("  window:  http://{listen}/  (operators: http://{listen}/admin)");
    println!("  API:     http://{listen}/api/v1/matters");
    println!("  health:  http://{listen}/healthz  http://{listen}/readyz");
    for role in [Role::Clerk, Role::Operator, Role::Auditor] {
        if let Some((name, token)) = platform
            .config
            .tokens
            .iter()
            .find(|t| t.role == role)
            .and_then(|t| Some((&t.name, t.plain_text()?)))
        {
            println!("{role} token: {token}  (the window's account {name:?}, password: the token)");
        }
    }
    // The peer's address is kept for the hooks' `allow-from` and their logs.
    let app =
        crate::http::app(platform).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
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
