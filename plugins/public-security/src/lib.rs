//! The 县公安局 adapter: translates the department's 人口信息管理系统 (GBK
//! fixed-width records over HTTP, see `examples/legacy-systems/public-security.md`)
//! into the onewindow contract's `matters`, `cases` and `licenses`.
//!
//! Each call sends one transaction (`<endpoint>/<交易码>`) and translates the
//! answer; the translation is pure ([`legacy`], [`records`]) so that it is tested
//! natively.

use std::time::Duration;

use onewindow_sdk::http::{Request, Response};
use onewindow_sdk::types::{
    AdapterError, Attachment, CaseSubmission, Event, EventPage, Field, License, Matter, Party,
};
use onewindow_sdk::{CasesGuest, LicensesGuest, MattersGuest, config, require_config};

pub mod legacy;
pub mod records;

pub use records::Answer;

#[cfg(test)]
mod tests;

/// Gives up on the legacy system a little before the host's call timeout (5 s in the
/// manifest), so that a slow system becomes an `unavailable` error that says so.
/// The manifest's optional `timeout-ms` overrides it.
const TIMEOUT: Duration = Duration::from_secs(4);

/// The adapter, exported as the component's `department-adapter` world.
pub struct Adapter;

fn url(path: &str) -> Result<String, AdapterError> {
    let endpoint = require_config("endpoint")?;
    Ok(format!("{}/{path}", endpoint.trim_end_matches('/')))
}

fn timeout() -> Result<Duration, AdapterError> {
    match config("timeout-ms") {
        None => Ok(TIMEOUT),
        Some(text) => text
            .trim()
            .parse()
            .ok()
            .filter(|&ms| ms > 0)
            .map(Duration::from_millis)
            .ok_or_else(|| {
                AdapterError::Invalid(format!(
                    "the manifest's [config] timeout-ms is \"{text}\"; expected a positive number of milliseconds"
                ))
            }),
    }
}

fn get(path: &str) -> Result<Response, AdapterError> {
    Ok(Request::get(url(path)?).timeout(timeout()?).send()?)
}

fn post(path: &str, body: Vec<u8>) -> Result<Response, AdapterError> {
    Ok(Request::post(url(path)?, records::CONTENT_TYPE, body)
        .timeout(timeout()?)
        .send()?)
}

fn answer(response: &Response) -> Answer<'_> {
    Answer {
        status: response.status,
        content_type: response.header("content-type").unwrap_or_default(),
        body: &response.body,
    }
}

impl MattersGuest for Adapter {
    fn list() -> Result<Vec<Matter>, AdapterError> {
        let response = get(&legacy::catalogue_path())?;
        legacy::parse_catalogue(&answer(&response))
    }
}

impl CasesGuest for Adapter {
    fn submit(submission: CaseSubmission) -> Result<String, AdapterError> {
        let body = legacy::submission_request(&submission)?;
        let response = post(records::SUBMIT.code, body)?;
        legacy::parse_submission(&answer(&response), &submission.case_no)
    }

    fn events(cursor: Option<String>) -> Result<EventPage, AdapterError> {
        let (after, path) = legacy::events_path(cursor.as_deref())?;
        let response = get(&path)?;
        legacy::parse_events(&answer(&response), after)
    }

    fn supplement(
        case_no: String,
        attachments: Vec<Attachment>,
        note: String,
    ) -> Result<(), AdapterError> {
        let body = legacy::supplement_request(&case_no, &attachments, &note)?;
        let response = post(records::SUPPLEMENT_TX.code, body)?;
        legacy::parse_supplement(&answer(&response), &case_no)
    }

    fn withdraw(case_no: String, reason: String) -> Result<(), AdapterError> {
        let body = legacy::withdrawal_request(&case_no, &reason)?;
        let response = post(records::WITHDRAW_TX.code, body)?;
        legacy::parse_withdrawal(&answer(&response), &case_no)
    }

    fn on_notify(_headers: Vec<Field>, _body: Vec<u8>) -> Result<Vec<Event>, AdapterError> {
        Err(legacy::notification_refused())
    }
}

impl LicensesGuest for Adapter {
    fn by_holder(holder: Party) -> Result<Vec<License>, AdapterError> {
        match holder {
            Party::Person(person) => {
                let body = legacy::holder_request(&person.id_number)?;
                let response = post(records::HOLDER.code, body)?;
                legacy::parse_holder_licenses(&answer(&response))
            }
            // The department issues licenses to people only.
            Party::Organization(_) => Ok(Vec::new()),
        }
    }

    fn verify(type_code: String, number: String) -> Result<Option<License>, AdapterError> {
        let Some(body) = legacy::verify_request(&type_code, &number) else {
            return Ok(None);
        };
        let response = post(records::VERIFY.code, body)?;
        legacy::parse_verification(&answer(&response))
    }
}

// Natively the crate is a library of the translation only (tests).
#[cfg(target_arch = "wasm32")]
onewindow_sdk::export!(Adapter);
