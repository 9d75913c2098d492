//! What the host does with an adapter's answers, on arbitrary answers:
//!
//! * the conversions of the contract's licenses, case events, event pages,
//!   matters and adapter errors into the platform's model never panic, accept
//!   exactly what the contract allows (dates `YYYY-MM-DD`, instants RFC 3339, a
//!   license number), keep every field, survive the JSON the platform stores them
//!   as, and convert back to what was given;
//! * a holder's id is told apart as an ID number or credit code as `codes` says;
//! * masking of adapter logs and stdio (`mask::text`, `text_with_names`) and of
//!   holders never leaves a valid resident ID number standing on its own in its
//!   output, and `mask::id_number` and `mask::name` keep only what they promise.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use onewindow::mask;
use onewindow::model;
use onewindow::platform::licenses::{holder_party, mask_holder};
use onewindow::platform::lifecycle::Status;
use onewindow::runtime::bindings::types;
use onewindow_codes::chrono::{DateTime, Duration, FixedOffset, NaiveDate};
use onewindow_codes::{date, id_number};

#[derive(Arbitrary, Debug)]
enum Input {
    License(ArbLicense),
    Event(ArbEvent),
    Page {
        events: Vec<ArbEvent>,
        next_cursor: Option<String>,
        more: bool,
    },
    Matter(ArbMatter),
    Error(u8, String),
    Log {
        pieces: Vec<Piece>,
        names: Vec<String>,
    },
    Holder(Piece, String),
}

/// A piece of text an adapter writes: free text, or a well-formed resident ID
/// number (with its check character, and sometimes a wrong one).
#[derive(Arbitrary, Debug)]
enum Piece {
    Text(String),
    Id {
        region: u32,
        born: u16,
        sequence: u16,
        wrong_check: bool,
    },
    Separator(u8),
}

#[derive(Arbitrary, Debug)]
struct ArbParty {
    organization: bool,
    id: Piece,
    name: String,
}

#[derive(Arbitrary, Debug)]
enum ArbDate {
    Text(String),
    Day(i32),
}

#[derive(Arbitrary, Debug)]
enum ArbInstant {
    Text(String),
    At { seconds: i64, offset_minutes: i16 },
}

#[derive(Arbitrary, Debug)]
struct ArbLicense {
    type_code: String,
    type_name: String,
    number: String,
    holder: ArbParty,
    issuer: String,
    issued_on: ArbDate,
    valid_until: Option<ArbDate>,
    status: u8,
    face: Vec<(String, String)>,
}

#[derive(Arbitrary, Debug)]
struct ArbEvent {
    case_no: String,
    status: u8,
    at: ArbInstant,
    note: String,
    issued: Option<ArbLicense>,
}

#[derive(Arbitrary, Debug)]
struct ArbMatter {
    code: String,
    name: String,
    department: String,
    kind: u8,
    legal_days: u32,
    promised_days: u32,
    visits: u32,
    online: bool,
    fee: String,
    conditions: String,
    materials: Vec<(String, String, bool, Option<String>)>,
}

const SEPARATORS: &[&str] = &[
    "", " ", "\n", "（", "）", ":", "a", "X", "0", "_", "，", "*",
];

fuzz_target!(|input: Input| match input {
    Input::License(l) => license(l),
    Input::Event(e) => {
        let given = e.build();
        let check = given.clone();
        match model::CaseEvent::try_from(given) {
            Ok(event) => accepted_event(&check, &event),
            Err(problem) => assert!(!problem.is_empty()),
        }
    }
    Input::Page {
        events,
        next_cursor,
        more,
    } => {
        let given: Vec<types::CaseEvent> = events.into_iter().map(ArbEvent::build).collect();
        let page = types::EventPage {
            events: given.iter().cloned().map(types::Event::CaseChanged).collect(),
            next_cursor: next_cursor.clone(),
            more,
        };
        let all_good = given
            .iter()
            .all(|e| model::CaseEvent::try_from(e.clone()).is_ok());
        match model::EventPage::try_from(page) {
            Ok(page) => {
                assert!(all_good, "a page with a bad event was accepted");
                assert_eq!(page.events.len(), given.len());
                assert_eq!((page.next_cursor, page.more), (next_cursor, more));
                for (g, e) in given.iter().zip(&page.events) {
                    accepted_event(g, e);
                }
            }
            Err(_) => assert!(!all_good, "a page of good events was refused"),
        }
    }
    Input::Matter(m) => matter(m),
    Input::Error(kind, message) => {
        let error = match kind % 4 {
            0 => types::AdapterError::Invalid(message.clone()),
            1 => types::AdapterError::NotFound(message.clone()),
            2 => types::AdapterError::Unavailable(message.clone()),
            _ => types::AdapterError::Refused(message.clone()),
        };
        let error = model::AdapterError::from(error);
        assert!(error.to_string().ends_with(&message));
        json_round_trip(&error);
    }
    Input::Log { pieces, names } => {
        let text: String = pieces.iter().map(Piece::text).collect();
        let masked = mask::text(&text);
        no_id_stands_alone(&masked, &text);
        assert_eq!(mask::text(&masked), masked, "masking twice changes more");
        // The adapter's stdio goes through `mask::text` line by line.
        for line in text.lines() {
            no_id_stands_alone(&mask::text(line), line);
        }
        let with_names = mask::text_with_names(&text, &names);
        no_id_stands_alone(&with_names, &text);
        for name in names.iter().filter(|n| n.chars().count() >= 2) {
            let masked = mask::name(name);
            assert!(masked.chars().count() == name.chars().count());
            assert!(masked.chars().skip(1).all(|c| c == '*'));
        }
    }
    Input::Holder(id, name) => {
        let id = id.text();
        match holder_party(&id, &name) {
            Ok(party) => {
                assert_eq!(party.id(), id.trim());
                assert_eq!(party.name(), name);
                let valid = match &party {
                    model::Party::Person { id_number, .. } => id_number::validate(id_number),
                    model::Party::Organization { credit_code, .. } => {
                        onewindow_codes::credit_code::validate(credit_code)
                    }
                };
                assert_eq!(valid, Ok(()));
                let shown = mask_holder(&party);
                no_id_stands_alone(&shown, &id);
                if let model::Party::Person { id_number, .. } = &party {
                    let masked = mask::id_number(id_number);
                    assert_eq!(
                        masked,
                        format!("{}********{}", &id_number[..6], &id_number[14..])
                    );
                }
            }
            Err(e) => assert!(e.to_string().contains("holder")),
        }
        let masked = mask::id_number(&id);
        assert_eq!(masked.chars().count(), id.chars().count());
        if id.chars().count() == 18 {
            let kept: String = id.chars().take(6).chain(id.chars().skip(14)).collect();
            let shown: String = masked
                .chars()
                .take(6)
                .chain(masked.chars().skip(14))
                .collect();
            assert_eq!(
                (kept, masked.chars().filter(|&c| c == '*').count() >= 8),
                (shown, true)
            );
        }
    }
});

impl Piece {
    fn text(&self) -> String {
        match self {
            Piece::Text(text) => text.clone(),
            Piece::Separator(n) => SEPARATORS[usize::from(*n) % SEPARATORS.len()].to_owned(),
            Piece::Id {
                region,
                born,
                sequence,
                wrong_check,
            } => {
                let born = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap()
                    + Duration::days(i64::from(*born) % 73_000);
                let first17 = format!(
                    "{:06}{}{:03}",
                    region % 1_000_000,
                    date::to_compact(born),
                    sequence % 1000
                );
                let check = id_number::check_char(&first17).unwrap();
                let check = match (wrong_check, check) {
                    (false, c) => c,
                    (true, '0') => '1',
                    (true, _) => '0',
                };
                format!("{first17}{check}")
            }
        }
    }
}

impl ArbParty {
    fn build(&self) -> types::Party {
        let (id, name) = (self.id.text(), self.name.clone());
        if self.organization {
            types::Party::Organization(types::Organization {
                credit_code: id,
                name,
            })
        } else {
            types::Party::Person(types::Person {
                id_number: id,
                name,
            })
        }
    }
}

impl ArbDate {
    fn text(&self) -> String {
        match self {
            ArbDate::Text(text) => text.clone(),
            ArbDate::Day(days) => NaiveDate::from_num_days_from_ce_opt(days % 4_000_000)
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
        }
    }
}

impl ArbInstant {
    fn text(&self) -> String {
        match self {
            ArbInstant::Text(text) => text.clone(),
            ArbInstant::At {
                seconds,
                offset_minutes,
            } => {
                let offset = FixedOffset::east_opt(i32::from(offset_minutes % 1440) * 60).unwrap();
                DateTime::from_timestamp(seconds % 400_000_000_000, 0)
                    .map(|t| t.with_timezone(&offset).to_rfc3339())
                    .unwrap_or_default()
            }
        }
    }
}

impl ArbLicense {
    fn build(&self) -> types::License {
        types::License {
            type_code: self.type_code.clone(),
            type_name: self.type_name.clone(),
            number: self.number.clone(),
            holder: self.holder.build(),
            issuer: self.issuer.clone(),
            issued_on: self.issued_on.text(),
            valid_until: self.valid_until.as_ref().map(ArbDate::text),
            status: match self.status % 3 {
                0 => types::LicenseStatus::Valid,
                1 => types::LicenseStatus::Revoked,
                _ => types::LicenseStatus::Expired,
            },
            face: self
                .face
                .iter()
                .map(|(key, value)| types::Field {
                    key: key.clone(),
                    value: value.clone(),
                })
                .collect(),
        }
    }
}

impl ArbEvent {
    fn build(self) -> types::CaseEvent {
        types::CaseEvent {
            case_no: self.case_no,
            status: match self.status % 6 {
                0 => types::CaseStatus::InReview,
                1 => types::CaseStatus::SupplementRequested,
                2 => types::CaseStatus::SpecialProcedure,
                3 => types::CaseStatus::Approved,
                4 => types::CaseStatus::Denied,
                _ => types::CaseStatus::Completed,
            },
            at: self.at.text(),
            note: self.note,
            issued: self.issued.as_ref().map(ArbLicense::build),
        }
    }
}

/// A `YYYY-MM-DD` date, as the contract writes dates.
fn is_contract_date(text: &str) -> bool {
    text.len() == 10 && date::parse(text).is_ok_and(|d| date::to_iso(d) == text)
}

fn license(l: ArbLicense) {
    let given = l.build();
    let result = model::License::try_from(given.clone());
    let well_formed = is_contract_date(&given.issued_on)
        && given.valid_until.as_deref().is_none_or(is_contract_date)
        && !given.number.trim().is_empty();
    match result {
        Ok(license) => {
            assert!(
                well_formed,
                "accepted issued-on {:?}, valid-until {:?}, number {:?}",
                given.issued_on, given.valid_until, given.number
            );
            accepted_license(&given, &license);
        }
        Err(problem) => {
            assert!(!well_formed, "refused a well-formed license: {problem}");
        }
    }
}

fn accepted_license(given: &types::License, license: &model::License) {
    assert_eq!(license.type_code, given.type_code);
    assert_eq!(license.type_name, given.type_name);
    assert_eq!(license.number, given.number);
    assert_eq!(license.issuer, given.issuer);
    assert_eq!(license.issued_on, given.issued_on);
    assert_eq!(license.valid_until, given.valid_until);
    assert_eq!(license.holder, model::Party::from(given.holder.clone()));
    // 照面信息: one value per key, the last one given, in first-given order.
    for field in &given.face {
        let last = given
            .face
            .iter()
            .rev()
            .find(|f| f.key == field.key)
            .unwrap();
        assert_eq!(license.face.get(&field.key), Some(&last.value));
    }
    assert!(license.face.len() <= given.face.len());
    json_round_trip(license);
    let back = model::License::try_from(types::License::from(license.clone()))
        .expect("a license the host made converts back");
    assert_eq!(&back, license);
}

fn accepted_event(given: &types::CaseEvent, event: &model::CaseEvent) {
    DateTime::parse_from_rfc3339(&event.at).expect("an accepted event has an RFC 3339 time");
    assert_eq!(event.case_no, given.case_no);
    assert_eq!(event.at, given.at);
    assert_eq!(event.note, given.note);
    let status = Status::from(event.status);
    assert!(!status.as_str().is_empty());
    match (&given.issued, &event.issued) {
        (Some(g), Some(l)) => accepted_license(g, l),
        (None, None) => {}
        _ => panic!("the issued license was lost or made up"),
    }
    json_round_trip(event);
}

fn matter(m: ArbMatter) {
    use types::MatterKind as K;
    let kinds = [
        K::AdministrativeLicense,
        K::AdministrativeConfirmation,
        K::AdministrativePayment,
        K::AdministrativeRuling,
        K::AdministrativeReward,
        K::OtherPower,
        K::PublicService,
    ];
    let given = types::Matter {
        code: m.code,
        name: m.name,
        department: m.department,
        kind: kinds[usize::from(m.kind) % kinds.len()],
        legal_days: m.legal_days,
        promised_days: m.promised_days,
        visits: m.visits,
        online: m.online,
        fee: m.fee,
        conditions: m.conditions,
        materials: m
            .materials
            .into_iter()
            .map(|(code, name, required, license_type)| types::Material {
                code,
                name,
                required,
                license_type,
            })
            .collect(),
        form: Vec::new(),
    };
    let matter = model::Matter::from(given.clone());
    assert_eq!(
        (&matter.code, &matter.name, &matter.fee, matter.legal_days),
        (&given.code, &given.name, &given.fee, given.legal_days)
    );
    assert_eq!(matter.materials.len(), given.materials.len());
    json_round_trip(&matter);
    json_round_trip(&matter.materials);
}

fn json_round_trip<T>(value: &T)
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let json = serde_json::to_string(value).expect("serializes");
    let back: T = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{json}: {e}"));
    assert_eq!(&back, value);
}

/// No 18 characters of `masked` that stand on their own (no ASCII letter or
/// digit on either side, as the masking defines it) are a valid ID number.
fn no_id_stands_alone(masked: &str, original: &str) {
    let chars: Vec<char> = masked.chars().collect();
    for start in 0..chars.len().saturating_sub(17) {
        let end = start + 18;
        let alone = (start == 0 || !chars[start - 1].is_ascii_alphanumeric())
            && chars.get(end).is_none_or(|c| !c.is_ascii_alphanumeric());
        if !alone {
            continue;
        }
        let window: String = chars[start..end].iter().collect();
        assert!(
            id_number::validate(&window).is_err(),
            "{window} is unmasked in {masked:?} (from {original:?})"
        );
    }
}
