//! The `onewindow:adapter/host` interface: logging and manifest config.

use super::CallState;
use super::bindings::onewindow::adapter::host::{Host, Level};
use crate::mask;

impl Host for CallState {
    fn log(&mut self, level: Level, message: String) {
        let adapter = &*self.shared.id;
        let message = mask::text(&message);
        match level {
            Level::Trace => tracing::trace!(adapter, "{message}"),
            Level::Debug => tracing::debug!(adapter, "{message}"),
            Level::Info => tracing::info!(adapter, "{message}"),
            Level::Warn => tracing::warn!(adapter, "{message}"),
            Level::Error => tracing::error!(adapter, "{message}"),
        }
    }

    fn config(&mut self, key: String) -> Option<String> {
        self.shared.config.get(&key).cloned()
    }
}
