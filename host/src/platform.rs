//! The domain: matter catalogue, cases and their deadlines, license reuse,
//! evaluations and the audit chain. Adapters are reached only through a narrow
//! trait, so this module is tested without wasm.

pub mod audit;
pub mod calendar;
pub mod lifecycle;
