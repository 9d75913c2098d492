//! For development: a folder watched for adapter packages. A `*.tar.gz` that
//! appears or changes there is installed (verified exactly as an upload is) and
//! activated, once it has been quiet for [`QUIET`]. A file still being written
//! is never loaded: it is not read before it is quiet, and a package cut short
//! fails its archive, sha256 or signature check and is refused (and tried again
//! when it changes).

use std::path::{Path, PathBuf};
use std::time::Duration;

use notify_debouncer_mini::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_mini::{DebounceEventResult, Debouncer, new_debouncer};

use crate::platform::Platform;

/// How long a file must stay unchanged before it is read.
pub const QUIET: Duration = Duration::from_millis(500);

/// Watches `dir` (created if missing) and installs what appears there, starting
/// with what is there already. Watching stops when the returned watcher is dropped.
pub fn spawn(platform: Platform, dir: &Path) -> anyhow::Result<Debouncer<RecommendedWatcher>> {
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("creating the watched folder {}: {e}", dir.display()))?;
    let (changed, mut paths) = tokio::sync::mpsc::unbounded_channel::<PathBuf>();
    for entry in std::fs::read_dir(dir)?.flatten() {
        let _ = changed.send(entry.path());
    }
    let mut debouncer = new_debouncer(QUIET, move |events: DebounceEventResult| match events {
        Ok(events) => {
            for event in events {
                let _ = changed.send(event.path);
            }
        }
        Err(e) => tracing::warn!("watching for adapter packages: {e}"),
    })?;
    debouncer
        .watcher()
        .watch(dir, RecursiveMode::NonRecursive)
        .map_err(|e| anyhow::anyhow!("watching {}: {e}", dir.display()))?;
    tracing::info!(dir = %dir.display(), "watching for adapter packages");
    tokio::spawn(async move {
        while let Some(path) = paths.recv().await {
            install(&platform, &path).await;
        }
    });
    Ok(debouncer)
}

async fn install(platform: &Platform, path: &Path) {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return;
    };
    if !name.ends_with(".tar.gz") || !path.is_file() {
        return;
    }
    let Ok(bytes) = std::fs::read(path) else {
        return;
    };
    let actor = format!("watcher:{name}");
    let installed = match platform.install_package(&bytes, &actor).await {
        Ok(installed) => installed,
        Err(e) => {
            tracing::warn!(package = name, "not installed: {e}");
            return;
        }
    };
    if installed.state == "active" {
        return;
    }
    match platform
        .activate_adapter(&installed.id, &installed.version, &actor, false)
        .await
    {
        Ok(_) => tracing::info!(
            package = name,
            adapter = %installed.id,
            version = %installed.version,
            "adapter installed and activated from the watched folder"
        ),
        Err(e) => tracing::warn!(package = name, "installed but not activated: {e}"),
    }
}
