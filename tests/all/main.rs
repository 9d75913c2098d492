//! End-to-end tests: real components built from plugins/, real HTTP servers on
//! 127.0.0.1, the mock legacy systems from examples/.

mod applicant;
mod audit_seal;
mod civil_affairs;
mod contract;
mod edge;
mod exchanges;
mod guide;
mod kit;
mod market_supervision;
mod masking;
mod medical_insurance;
mod platform;
mod public_security;
mod real_estate;
mod runtime;
mod signing;
mod social_security;
mod tax;
mod traces;
mod trust;
mod window;
