//! The `onewindow:adapter/host` interface: logging and manifest config.

use super::CallState;
use super::bindings::onewindow::adapter::host::{Host, Level};

impl Host for CallState {
    fn log(&mut self, level: Level, message: String) {
        let adapter = &*self.shared.id;
        let Some(message) = self.names.mask(&message) else {
            return;
        };
        match level {
            Level::Trace => tracing::trace!(target: "adapter", adapter, "{message}"),
            Level::Debug => tracing::debug!(target: "adapter", adapter, "{message}"),
            Level::Info => tracing::info!(target: "adapter", adapter, "{message}"),
            Level::Warn => tracing::warn!(target: "adapter", adapter, "{message}"),
            Level::Error => tracing::error!(target: "adapter", adapter, "{message}"),
        }
    }

    fn config(&mut self, key: String) -> Option<String> {
        self.shared.config.get(&key).cloned()
    }
}
