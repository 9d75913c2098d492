//! onewindow: the integration core of a county's unified government service
//! platform. This crate is the server: the HTTP API, the window and console,
//! the command line and `serve`, which puts the platform
//! (`onewindow-platform`) and the sandbox (`onewindow-runtime`) together.
//!
//! The lower crates' modules are re-exported under their usual names, so
//! `onewindow::platform::Platform` and `onewindow::runtime::Runtime` keep
//! working for the tests and the benchmarks.

pub use onewindow_platform::{
    adapter, audit, config, delivery, exchange_log, manifest, mask, model, platform, registry,
    store, trace,
};
pub use onewindow_runtime as runtime;

pub mod cli;
pub mod exchanges;
pub mod http;
pub mod kit;
pub mod metrics;
pub mod oidc;
pub mod scaffold;
pub mod serve;
pub mod telemetry;
pub mod ui;
pub mod watch;
