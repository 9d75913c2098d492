//! The `onewindow:adapter/host` interface, the same in every contract version:
//! logging and manifest config.

use super::CallState;
use super::bindings::{v0_1, v0_2};

impl CallState {
    fn log(&mut self, level: tracing::Level, message: &str) {
        let adapter = &*self.shared.id;
        let Some(message) = self.names.mask(message) else {
            return;
        };
        match level {
            tracing::Level::TRACE => tracing::trace!(target: "adapter", adapter, "{message}"),
            tracing::Level::DEBUG => tracing::debug!(target: "adapter", adapter, "{message}"),
            tracing::Level::INFO => tracing::info!(target: "adapter", adapter, "{message}"),
            tracing::Level::WARN => tracing::warn!(target: "adapter", adapter, "{message}"),
            tracing::Level::ERROR => tracing::error!(target: "adapter", adapter, "{message}"),
        }
    }
}

/// Implements one version's `host` interface on [`CallState`].
macro_rules! host {
    ($version:ident) => {
        impl $version::host::Host for CallState {
            fn log(&mut self, level: $version::host::Level, message: String) {
                use $version::host::Level as L;
                let level = match level {
                    L::Trace => tracing::Level::TRACE,
                    L::Debug => tracing::Level::DEBUG,
                    L::Info => tracing::Level::INFO,
                    L::Warn => tracing::Level::WARN,
                    L::Error => tracing::Level::ERROR,
                };
                CallState::log(self, level, &message);
            }

            fn config(&mut self, key: String) -> Option<String> {
                self.shared.config.get(&key).cloned()
            }
        }
    };
}

host!(v0_1);
host!(v0_2);
