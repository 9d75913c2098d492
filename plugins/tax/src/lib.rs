//! The 县税务局 adapter: translates the department's 金税 征管 front-office service
//! (GBK form-encoded requests, GBK `key=value` answers; see
//! `examples/legacy-systems/tax.md`) into the onewindow contract's `matters`,
//! `cases` and `licenses`.
//!
//! Each call posts one request (the catalogue: one per page) and translates the
//! answer; the translation is pure ([`legacy`], over the transport in [`kv`]) so
//! that it is tested natively.

use std::time::Duration;

use onewindow_sdk::http::Request;
use onewindow_sdk::types::{
    AdapterError, Attachment, CaseSubmission, Event, EventPage, Field, License, Matter, Party,
};
use onewindow_sdk::{CasesGuest, LicensesGuest, MattersGuest, require_config};

pub mod kv;
pub mod legacy;

pub use kv::Answer;

#[cfg(test)]
mod tests;

/// Gives up on the legacy system a little before the host's call timeout (5 s in the
/// manifest), so that a slow system becomes an `unavailable` error that says so.
const TIMEOUT: Duration = Duration::from_secs(4);

/// The adapter, exported as the component's `department-adapter` world.
pub struct Adapter;

/// Posts the form `body` to the manifest's endpoint.
fn post(body: Vec<u8>) -> Result<Answer, AdapterError> {
    let endpoint = require_config("endpoint")?;
    let response = Request::post(endpoint, kv::CONTENT_TYPE, body)
        .timeout(TIMEOUT)
        .send()?;
    Ok(Answer {
        status: response.status,
        content_type: response
            .header("content-type")
            .unwrap_or_default()
            .to_owned(),
        body: response.body,
    })
}

impl MattersGuest for Adapter {
    fn list() -> Result<Vec<Matter>, AdapterError> {
        legacy::read_catalogue(post)
    }
}

impl CasesGuest for Adapter {
    fn submit(submission: CaseSubmission) -> Result<String, AdapterError> {
        let answer = post(legacy::submission_request(&submission)?)?;
        legacy::parse_submission(&answer)
    }

    fn events(cursor: Option<String>) -> Result<EventPage, AdapterError> {
        let after = legacy::events_cursor(cursor.as_deref())?;
        let answer = post(legacy::events_request(after))?;
        legacy::parse_events(&answer, after)
    }

    /// 补正 (`BJBZ`): the system takes the files of a case it holds at 20 待补正
    /// and resumes review; the same files again change nothing there.
    fn supplement(
        case_no: String,
        attachments: Vec<Attachment>,
        note: String,
    ) -> Result<(), AdapterError> {
        onewindow_sdk::log::info(&format!("补正办件 {case_no}：{} 份资料", attachments.len()));
        let answer = post(legacy::supplement_request(&case_no, &attachments, &note)?)?;
        legacy::parse_supplement(&answer)
    }

    /// 撤回 (`BJCH`): refused (fhdm=3003) with the system's reason once it has decided.
    fn withdraw(case_no: String, reason: String) -> Result<(), AdapterError> {
        onewindow_sdk::log::info(&format!("撤回办件 {case_no}"));
        let answer = post(legacy::withdrawal_request(&case_no, &reason)?)?;
        legacy::parse_withdrawal(&answer)
    }

    fn on_notify(headers: Vec<Field>, _body: Vec<u8>) -> Result<Vec<Event>, AdapterError> {
        Err(legacy::notification_refused(onewindow_sdk::header(
            &headers,
            "content-type",
        )))
    }
}

impl LicensesGuest for Adapter {
    fn by_holder(holder: Party) -> Result<Vec<License>, AdapterError> {
        match holder {
            // 发票领用 records belong to unit taxpayers; people hold none here.
            Party::Person(_) => Ok(Vec::new()),
            Party::Organization(organization) => {
                let answer = post(legacy::holder_request(&organization.credit_code))?;
                legacy::parse_holder_licenses(&answer)
            }
        }
    }

    fn verify(type_code: String, number: String) -> Result<Option<License>, AdapterError> {
        if type_code != legacy::LICENSE_TYPE {
            return Ok(None);
        }
        let answer = post(legacy::verify_request(&type_code, &number))?;
        legacy::parse_verification(&answer)
    }
}

// Natively the crate is a library of the translation only (tests).
#[cfg(target_arch = "wasm32")]
onewindow_sdk::export!(Adapter);
