//! What the adapters' unit tests share (feature `testing`, for dev-dependencies):
//! taking an expected error apart and reading a license's face.

use crate::types::{AdapterError, License};

/// The message of an `unavailable` error; panics on anything else.
#[track_caller]
pub fn unavailable<T: std::fmt::Debug>(result: Result<T, AdapterError>) -> String {
    match result {
        Err(AdapterError::Unavailable(message)) => message,
        other => panic!("expected unavailable, got {other:?}"),
    }
}

/// The message of an `invalid` error; panics on anything else.
#[track_caller]
pub fn invalid<T: std::fmt::Debug>(result: Result<T, AdapterError>) -> String {
    match result {
        Err(AdapterError::Invalid(message)) => message,
        other => panic!("expected invalid, got {other:?}"),
    }
}

/// Asserts that `message` contains every one of `parts`.
#[track_caller]
pub fn assert_contains(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(message.contains(part), "{message:?} lacks {part:?}");
    }
}

/// A license's face as key–value pairs, in order.
pub fn face(license: &License) -> Vec<(&str, &str)> {
    license
        .face
        .iter()
        .map(|f| (f.key.as_str(), f.value.as_str()))
        .collect()
}

/// The case events of a page, for tests that read what `cases.events` made of
/// a legacy answer.
pub trait CaseEvents {
    /// The page's case events, in order; license events are left out.
    fn cases(&self) -> Vec<&crate::types::CaseEvent>;
}

impl CaseEvents for crate::types::EventPage {
    fn cases(&self) -> Vec<&crate::types::CaseEvent> {
        self.events
            .iter()
            .filter_map(crate::types::Event::as_case)
            .collect()
    }
}
