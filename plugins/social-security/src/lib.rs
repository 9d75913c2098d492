//! The 县人力资源和社会保障局 adapter: translates the department's 金保工程 business
//! system (JSON over HTTP with 金保 field codes, see
//! `examples/legacy-systems/social-security.md`) into the onewindow contract's
//! `matters`, `cases` and `licenses`.
//!
//! The catalogue and a person's cards are paged lists, read to their end within one
//! call (with guards against paging that never ends); events are one page of the
//! system's change log per call, the cursor being its sequence number: cases that
//! moved, and 社会保障卡 reported lost, found again or cancelled at the department
//! (license events).
//! The system does not push, so `on-notify` refuses everything. The translation is
//! pure ([`legacy`]) and tested natively.

use std::time::Duration;

use onewindow_sdk::http::{Request, Response};
use onewindow_sdk::types::{
    AdapterError, Attachment, CaseSubmission, Event, EventPage, Field, License, Matter, Party,
};
use onewindow_sdk::{CasesGuest, LicensesGuest, MattersGuest, config, require_config};

pub mod json;
pub mod legacy;

pub use json::Answer;

#[cfg(test)]
mod tests;

/// Gives up on the legacy system a little before the host's call timeout (5 s in the
/// manifest), so that a slow system becomes an `unavailable` error that says so;
/// `timeout-ms` in the manifest's [config] overrides it.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(4);

/// The adapter, exported as the component's `department-adapter` world.
pub struct Adapter;

/// The manifest's endpoint, without a trailing slash.
fn endpoint() -> Result<String, AdapterError> {
    Ok(require_config("endpoint")?.trim_end_matches('/').to_owned())
}

/// The manifest's `timeout-ms`, or the default.
fn timeout() -> Result<Duration, AdapterError> {
    match config("timeout-ms") {
        None => Ok(DEFAULT_TIMEOUT),
        Some(text) => match text.trim().parse::<u64>() {
            Ok(ms) if ms > 0 => Ok(Duration::from_millis(ms)),
            _ => Err(AdapterError::Invalid(format!(
                "the adapter's manifest has timeout-ms = \"{text}\" in its [config] table; expected a positive number of milliseconds"
            ))),
        },
    }
}

fn answer(response: Response) -> Answer {
    Answer {
        status: response.status,
        content_type: response
            .header("content-type")
            .unwrap_or_default()
            .to_owned(),
        body: response.body,
    }
}

/// `GET`s `path` below the endpoint.
fn get(path: &str) -> Result<Answer, AdapterError> {
    let response = Request::get(format!("{}{path}", endpoint()?))
        .header("accept", "application/json")
        .timeout(timeout()?)
        .send()?;
    Ok(answer(response))
}

/// `POST`s the JSON `body` to `path` below the endpoint.
fn post(path: &str, body: Vec<u8>) -> Result<Answer, AdapterError> {
    let response = Request::post(format!("{}{path}", endpoint()?), json::CONTENT_TYPE, body)
        .header("accept", "application/json")
        .timeout(timeout()?)
        .send()?;
    Ok(answer(response))
}

impl MattersGuest for Adapter {
    fn list() -> Result<Vec<Matter>, AdapterError> {
        legacy::read_catalogue(get)
    }
}

impl CasesGuest for Adapter {
    fn submit(submission: CaseSubmission) -> Result<String, AdapterError> {
        let body = legacy::submission_body(&submission)?;
        legacy::parse_submission(&post(legacy::SUBMIT_PATH, body)?)
    }

    fn events(cursor: Option<String>) -> Result<EventPage, AdapterError> {
        let answer = get(&legacy::events_path(cursor.as_deref())?)?;
        legacy::parse_events(cursor.as_deref(), &answer)
    }

    fn supplement(
        case_no: String,
        attachments: Vec<Attachment>,
        note: String,
    ) -> Result<(), AdapterError> {
        let body = legacy::supplement_body(&case_no, &attachments, &note)?;
        legacy::parse_supplement(&case_no, &post(legacy::SUPPLEMENT_PATH, body)?)
    }

    fn withdraw(case_no: String, reason: String) -> Result<(), AdapterError> {
        let body = legacy::withdrawal_body(&case_no, &reason)?;
        legacy::parse_withdrawal(&case_no, &post(legacy::WITHDRAW_PATH, body)?)
    }

    fn on_notify(headers: Vec<Field>, body: Vec<u8>) -> Result<Vec<Event>, AdapterError> {
        legacy::parse_notification(&body, onewindow_sdk::header(&headers, "content-type"))
            .map(|events| events.into_iter().map(Into::into).collect())
    }
}

impl LicensesGuest for Adapter {
    fn by_holder(holder: Party) -> Result<Vec<License>, AdapterError> {
        match holder {
            Party::Person(person) => legacy::read_cards(&person.id_number, get),
            // 社会保障卡 are held by people; organizations hold no license here.
            Party::Organization(_) => Ok(Vec::new()),
        }
    }

    fn verify(type_code: String, number: String) -> Result<Option<License>, AdapterError> {
        if type_code != legacy::CARD_TYPE {
            return Ok(None);
        }
        let answer = get(&legacy::verify_path(&number)?)?;
        legacy::parse_verification(&number, &answer)
    }
}

// Natively the crate is a library of the translation only (tests).
#[cfg(target_arch = "wasm32")]
onewindow_sdk::export!(Adapter);
