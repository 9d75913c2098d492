//! The platform's log. Messages are tagged with the adapter id by the host, and
//! ID numbers and names in them are masked there.

use crate::bindings::onewindow::adapter::host::{self, Level};

/// Logs at `debug` level.
pub fn debug(message: &str) {
    host::log(Level::Debug, message);
}

/// Logs at `info` level.
pub fn info(message: &str) {
    host::log(Level::Info, message);
}

/// Logs at `warn` level.
pub fn warn(message: &str) {
    host::log(Level::Warn, message);
}

/// Logs at `error` level.
pub fn error(message: &str) {
    host::log(Level::Error, message);
}
