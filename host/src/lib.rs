//! onewindow: the integration core of a county's unified government service
//! platform. Department adapters are sandboxed WebAssembly components; this
//! crate hosts them and (in later modules) the platform around them.

pub mod adapter;
pub mod audit;
pub mod cli;
pub mod config;
pub mod delivery;
pub mod http;
pub mod kit;
pub mod manifest;
pub mod mask;
pub mod metrics;
pub mod model;
pub mod platform;
pub mod registry;
pub mod runtime;
pub mod serve;
pub mod store;
pub mod ui;
pub mod watch;
