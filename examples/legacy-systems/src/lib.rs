//! Mock legacy department systems that onewindow's adapters are written against.
//!
//! Each department module runs a real HTTP server that speaks the department's
//! old protocol (see the `*.md` specifications beside this crate); `common`
//! holds what they share: XML trees, GBK SOAP envelopes, fault injection and
//! the `/_mock` admin endpoints.

pub mod civil_affairs;
pub mod common;
pub mod market_supervision;
pub mod medical_insurance;
pub mod public_security;
pub mod real_estate;
pub mod social_security;
pub mod tax;
