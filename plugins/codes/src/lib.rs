//! Legacy-format codecs and check digits shared by onewindow adapters and the host.
//!
//! Everything here is pure computation (no I/O, no clock) so that exactly the same code
//! runs natively in the host and inside wasm32-wasip2 adapters; a number the host
//! accepts is therefore never rejected by an adapter, or the other way round.

pub mod credit_code;
pub mod date;
pub mod fixed;
pub mod gbk;
pub mod id_number;

pub use chrono;
pub use date::DateError;
pub use fixed::FixedError;
pub use gbk::EncodingError;

/// Why a resident ID number or unified social credit code was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// The code does not have the required number of characters.
    #[error("{kind} must be {expected} characters long, found {found}")]
    Length {
        /// Which code was checked, e.g. "resident ID number".
        kind: &'static str,
        /// Required number of characters.
        expected: usize,
        /// Number of characters given.
        found: usize,
    },
    /// A character that may not appear at that position.
    #[error("character '{ch}' at position {position} is not allowed in a {kind}")]
    Char {
        /// Which code was checked.
        kind: &'static str,
        /// 1-based character position.
        position: usize,
        /// The offending character.
        ch: char,
    },
    /// A lowercase letter whose uppercase form would be allowed.
    #[error(
        "character '{ch}' at position {position} must be written in uppercase ('{upper}') in a {kind}",
        upper = ch.to_ascii_uppercase()
    )]
    Lowercase {
        /// Which code was checked.
        kind: &'static str,
        /// 1-based character position.
        position: usize,
        /// The lowercase character given.
        ch: char,
    },
    /// Positions 7-14 of a resident ID number are not a real date in 1900..=2100.
    #[error(
        "positions 7-14 of the resident ID number ({digits}) are not a real birth date between 1900-01-01 and 2100-12-31"
    )]
    BirthDate {
        /// The eight digits found at positions 7-14.
        digits: String,
    },
    /// The last character does not match the one computed from the others.
    #[error("{kind} check character is {found}, expected {expected}")]
    CheckChar {
        /// Which code was checked.
        kind: &'static str,
        /// The check character given.
        found: char,
        /// The check character computed from the first 17 characters.
        expected: char,
    },
}
