//! End-to-end tests: real components built from plugins/, real HTTP servers on
//! 127.0.0.1, the mock legacy systems from examples/.

mod contract;
mod market_supervision;
mod platform;
mod runtime;
