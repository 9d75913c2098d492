//! The 县市场监督管理局 adapter: translates the department's 登记注册 SOAP service
//! (GBK, see `examples/legacy-systems/market-supervision.md`) into the onewindow
//! contract's `matters`, `cases` and `licenses`.
//!
//! Each call posts one SOAP request and translates the answer; the translation is
//! pure ([`legacy`]) so that it is tested natively and the host's benchmarks can
//! compare it with the wasm call.

use std::time::Duration;

use onewindow_sdk::http::{Request, Response};
use onewindow_sdk::types::{
    AdapterError, Attachment, CaseSubmission, Event, EventPage, Field, License, Matter, Party,
};
use onewindow_sdk::{CasesGuest, LicensesGuest, MattersGuest, require_config};

pub mod legacy;
mod soap;

pub use legacy::{parse_notification, sample_notification};
pub use soap::Answer;

#[cfg(test)]
mod tests;

/// Gives up on the legacy system a little before the host's call timeout (5 s in the
/// manifest), so that a slow system becomes an `unavailable` error that says so.
const TIMEOUT: Duration = Duration::from_secs(4);

/// The only license type this department issues: 营业执照.
const BUSINESS_LICENSE: &str = "YYZZ";

/// The adapter, exported as the component's `department-adapter` world.
pub struct Adapter;

/// Posts the request `body` for `op` to the manifest's endpoint.
fn post(op: &str, body: Vec<u8>) -> Result<Response, AdapterError> {
    let endpoint = require_config("endpoint")?;
    Ok(Request::post(endpoint, soap::CONTENT_TYPE, body)
        .header("soapaction", format!("\"{op}\""))
        .timeout(TIMEOUT)
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
        let response = post("CXSXQD", legacy::catalogue_request()?)?;
        legacy::parse_catalogue(&answer(&response))
    }
}

impl CasesGuest for Adapter {
    fn submit(submission: CaseSubmission) -> Result<String, AdapterError> {
        // The host masks the ID number and the name in the platform's log.
        let (name, id) = match &submission.applicant {
            Party::Person(p) => (&p.name, &p.id_number),
            Party::Organization(o) => (&o.name, &o.credit_code),
        };
        onewindow_sdk::log::info(&format!(
            "提交办件 {}（{}）：申请人 {name}（{id}）",
            submission.case_no, submission.matter_code
        ));
        let response = post("BJSB", legacy::submission_request(&submission)?)?;
        legacy::parse_submission(&answer(&response))
    }

    fn events(cursor: Option<String>) -> Result<EventPage, AdapterError> {
        let response = post("CXBJZT", legacy::events_request(cursor.as_deref())?)?;
        legacy::parse_events(&answer(&response))
    }

    /// 补正 (`BJBZ`): the department takes the files of a case it holds at 03
    /// 需补正 and resumes review; the same files again change nothing there.
    fn supplement(
        case_no: String,
        attachments: Vec<Attachment>,
        note: String,
    ) -> Result<(), AdapterError> {
        onewindow_sdk::log::info(&format!("补正办件 {case_no}：{} 份材料", attachments.len()));
        let response = post(
            "BJBZ",
            legacy::supplement_request(&case_no, &attachments, &note)?,
        )?;
        legacy::parse_supplement(&answer(&response))
    }

    /// 撤回 (`BJCH`): refused (3001) with the department's reason once it has decided.
    fn withdraw(case_no: String, reason: String) -> Result<(), AdapterError> {
        onewindow_sdk::log::info(&format!("撤回办件 {case_no}"));
        let response = post("BJCH", legacy::withdrawal_request(&case_no, &reason)?)?;
        legacy::parse_withdrawal(&answer(&response))
    }

    fn on_notify(headers: Vec<Field>, body: Vec<u8>) -> Result<Vec<Event>, AdapterError> {
        parse_notification(&body, onewindow_sdk::header(&headers, "content-type"))
    }
}

impl LicensesGuest for Adapter {
    fn by_holder(holder: Party) -> Result<Vec<License>, AdapterError> {
        match holder {
            // The department registers market entities only; people hold no licenses here.
            Party::Person(_) => Ok(Vec::new()),
            Party::Organization(organization) => {
                let response = post("CXZZ", legacy::holder_request(&organization.credit_code)?)?;
                legacy::parse_holder_licenses(&answer(&response))
            }
        }
    }

    fn verify(type_code: String, number: String) -> Result<Option<License>, AdapterError> {
        if type_code != BUSINESS_LICENSE {
            return Ok(None);
        }
        let response = post("YZZZ", legacy::verify_request(&type_code, &number)?)?;
        legacy::parse_verification(&answer(&response))
    }
}

// Natively, or without the `component` feature, the crate is a library of the
// translation only (tests, benchmarks, the Extism plugin of tests/alternatives).
#[cfg(all(target_arch = "wasm32", feature = "component"))]
onewindow_sdk::export!(Adapter);
