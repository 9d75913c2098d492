//! The onewindow adapter SDK.
//!
//! Everything a department adapter needs besides its own legacy format:
//!
//! * the bindings of the current contract (`onewindow:adapter@0.2.0`,
//!   `wit/adapter.wit`): the unified [`types`], the traits to implement
//!   ([`MattersGuest`], [`CasesGuest`], [`LicensesGuest`]) and [`export!`];
//! * [`http`], a small blocking client over `wasi:http` for the legacy system;
//! * [`codes`]: GBK, fixed-width records, Chinese dates and the check digits of
//!   ID numbers and credit codes (the very code the host validates with);
//! * [`log`] and [`config`], the host's logging and the manifest's `[config]`.
//!
//! ```ignore
//! use onewindow_sdk::{MattersGuest, types::{Matter, AdapterError}};
//! struct Adapter;
//! impl MattersGuest for Adapter {
//!     fn list() -> Result<Vec<Matter>, AdapterError> { todo!() }
//! }
//! onewindow_sdk::export!(Adapter);
//! ```

pub mod http;
pub mod log;
#[cfg(feature = "testing")]
pub mod testing;

pub use onewindow_codes as codes;

#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "onewindow:adapter/department-adapter",
        pub_export_macro: true,
        default_bindings_module: "onewindow_sdk::bindings",
        export_macro_name: "export_department_adapter",
    });
}

/// The unified data types of the contract (`onewindow:adapter/common`).
pub mod types {
    pub use crate::bindings::onewindow::adapter::common::*;
}

pub use bindings::exports::onewindow::adapter::cases::Guest as CasesGuest;
pub use bindings::exports::onewindow::adapter::licenses::Guest as LicensesGuest;
pub use bindings::exports::onewindow::adapter::matters::Guest as MattersGuest;

/// Exports an adapter type that implements [`MattersGuest`], [`CasesGuest`] and
/// [`LicensesGuest`] as the component's `department-adapter` world.
#[macro_export]
macro_rules! export {
    ($adapter:ident) => {
        $crate::bindings::export_department_adapter!($adapter);
    };
}

/// The value of `key` in the `[config]` table of the adapter's manifest.
pub fn config(key: &str) -> Option<String> {
    bindings::onewindow::adapter::host::config(key)
}

/// Like [`config`], but a missing key is an `invalid` error that names it, so an
/// adapter whose manifest lacks a setting says so instead of guessing.
pub fn require_config(key: &str) -> Result<String, types::AdapterError> {
    config(key).ok_or_else(|| {
        types::AdapterError::Invalid(format!(
            "the adapter's manifest has no `{key}` in its [config] table"
        ))
    })
}

impl From<http::HttpError> for types::AdapterError {
    /// A failed request to the legacy system is worth retrying later, except when
    /// the host refused it: then the manifest's grants are wrong, and retrying
    /// cannot help.
    fn from(e: http::HttpError) -> Self {
        match e {
            http::HttpError::Denied { .. } | http::HttpError::InvalidUrl { .. } => {
                Self::Invalid(e.to_string())
            }
            _ => Self::Unavailable(e.to_string()),
        }
    }
}

impl From<types::CaseEvent> for types::Event {
    fn from(e: types::CaseEvent) -> Self {
        Self::CaseChanged(e)
    }
}

impl From<types::LicenseEvent> for types::Event {
    fn from(e: types::LicenseEvent) -> Self {
        Self::LicenseChanged(e)
    }
}

impl types::Event {
    /// The case event, when this is one.
    pub fn as_case(&self) -> Option<&types::CaseEvent> {
        match self {
            Self::CaseChanged(e) => Some(e),
            Self::LicenseChanged(_) => None,
        }
    }
}

/// The value of header `name` among a push's headers (`cases.on-notify`),
/// whose names the host gives in lower case; `""` when it is absent.
pub fn header<'a>(headers: &'a [types::Field], name: &str) -> &'a str {
    headers
        .iter()
        .find(|h| h.key.eq_ignore_ascii_case(name))
        .map_or("", |h| h.value.as_str())
}
