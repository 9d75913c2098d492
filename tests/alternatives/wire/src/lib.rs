//! The answer of the HTTP microservice and of the Extism plugin: the case events
//! the market-supervision translation made, as JSON in the platform's API shape
//! (`onewindow::model::CaseEvent`, which the benchmark parses them back into).
//!
//! Both alternatives serialise with this very code, so they pay the same for it.

use onewindow_sdk::types::{
    CaseEvent, CaseStatus, Event as Translated, Field, License, LicenseStatus, Party,
};
use serde::Serialize;
use serde::ser::{SerializeMap as _, Serializer};

/// The case events of `events` (a notification carries only those) as a JSON
/// array of `onewindow::model::CaseEvent`.
pub fn to_json(events: &[Translated]) -> Vec<u8> {
    let events: Vec<Event<'_>> = events
        .iter()
        .filter_map(Translated::as_case)
        .map(Event::from)
        .collect();
    serde_json::to_vec(&events).expect("case events always serialise")
}

#[derive(Serialize)]
struct Event<'a> {
    case_no: &'a str,
    status: &'static str,
    at: &'a str,
    note: &'a str,
    issued: Option<Licence<'a>>,
}

impl<'a> From<&'a CaseEvent> for Event<'a> {
    fn from(event: &'a CaseEvent) -> Self {
        Event {
            case_no: &event.case_no,
            status: match event.status {
                CaseStatus::InReview => "in_review",
                CaseStatus::SupplementRequested => "supplement_requested",
                CaseStatus::SpecialProcedure => "special_procedure",
                CaseStatus::Approved => "approved",
                CaseStatus::Denied => "denied",
                CaseStatus::Completed => "completed",
            },
            at: &event.at,
            note: &event.note,
            issued: event.issued.as_ref().map(Licence::from),
        }
    }
}

#[derive(Serialize)]
struct Licence<'a> {
    type_code: &'a str,
    type_name: &'a str,
    number: &'a str,
    holder: Holder<'a>,
    issuer: &'a str,
    issued_on: &'a str,
    valid_until: Option<&'a str>,
    status: &'static str,
    face: Face<'a>,
}

impl<'a> From<&'a License> for Licence<'a> {
    fn from(license: &'a License) -> Self {
        Licence {
            type_code: &license.type_code,
            type_name: &license.type_name,
            number: &license.number,
            holder: match &license.holder {
                Party::Person(p) => Holder::Person {
                    id_number: &p.id_number,
                    name: &p.name,
                },
                Party::Organization(o) => Holder::Organization {
                    credit_code: &o.credit_code,
                    name: &o.name,
                },
            },
            issuer: &license.issuer,
            issued_on: &license.issued_on,
            valid_until: license.valid_until.as_deref(),
            status: match license.status {
                LicenseStatus::Valid => "valid",
                LicenseStatus::Revoked => "revoked",
                LicenseStatus::Expired => "expired",
            },
            face: Face(&license.face),
        }
    }
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Holder<'a> {
    Person { id_number: &'a str, name: &'a str },
    Organization { credit_code: &'a str, name: &'a str },
}

/// 照面信息: an object in print order, as the platform's `IndexMap`.
struct Face<'a>(&'a [Field]);

impl Serialize for Face<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for field in self.0 {
            map.serialize_entry(&field.key, &field.value)?;
        }
        map.end()
    }
}
