//! Adapter packages as operators receive them: signed, verified before anything
//! of them runs.

pub mod package;
