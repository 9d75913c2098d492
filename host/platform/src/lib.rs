//! The onewindow platform: the matter catalogue, cases and their lifecycle,
//! licenses, delivery to the departments, and the sealed audit log, on SQLite
//! or PostgreSQL.
//!
//! It reaches department adapters only through the [`adapter::Adapter`] and
//! [`adapter::Loader`] traits it owns; the WebAssembly sandbox
//! (`onewindow-runtime`) implements them, and the domain's tests use
//! [`adapter::fake`]. Nothing here names wasmtime.
//!
//! Dependencies point one way: the leaves ([`model`], [`mask`], [`trace`], [`manifest`],
//! [`audit`], [`config`], [`adapter`], [`exchange_log`], [`registry`]) ← [`store`] ←
//! [`platform`]
//! and [`delivery`].

pub mod adapter;
pub mod audit;
pub mod config;
pub mod delivery;
pub mod exchange_log;
pub mod manifest;
pub mod mask;
pub mod model;
pub mod platform;
pub mod registry;
pub mod store;
pub mod trace;
