//! The one place the contract's WIT is turned into Rust (wasmtime `bindgen!`),
//! once per served version, and the conversions between those types and the
//! platform's [`model`]. What both versions share is converted by one macro;
//! what 0.2.0 added is converted below it.

use codes::chrono::{DateTime, NaiveDate};
use onewindow_codes as codes;

use onewindow_platform::model;

/// `onewindow:adapter@0.1.0`, frozen in `wit/since_v0.1.0/`.
pub mod v0_1 {
    wasmtime::component::bindgen!({
        path: "../../wit/since_v0.1.0",
        world: "onewindow:adapter/department-adapter",
        exports: { default: async },
    });

    pub use self::exports::onewindow::adapter::{cases, licenses, matters};
    pub use self::onewindow::adapter::host;
    pub use self::onewindow::adapter::types;
}

/// `onewindow:adapter@0.2.0`, the current contract in `wit/`.
pub mod v0_2 {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "onewindow:adapter/department-adapter",
        exports: { default: async },
    });

    pub use self::exports::onewindow::adapter::{cases, licenses, matters};
    pub use self::onewindow::adapter::codecs;
    pub use self::onewindow::adapter::common as types;
    pub use self::onewindow::adapter::host;
}

/// The current contract's data types.
pub use v0_2::types;

/// Conversions of the types both versions define alike.
macro_rules! shared_conversions {
    ($types:path) => {
        const _: () = {
            use $types as types;

            impl From<model::Party> for types::Party {
                fn from(p: model::Party) -> Self {
                    match p {
                        model::Party::Person { id_number, name } => {
                            types::Party::Person(types::Person { id_number, name })
                        }
                        model::Party::Organization { credit_code, name } => {
                            types::Party::Organization(types::Organization { credit_code, name })
                        }
                    }
                }
            }

            impl From<types::Party> for model::Party {
                fn from(p: types::Party) -> Self {
                    match p {
                        types::Party::Person(p) => model::Party::Person {
                            id_number: p.id_number,
                            name: p.name,
                        },
                        types::Party::Organization(o) => model::Party::Organization {
                            credit_code: o.credit_code,
                            name: o.name,
                        },
                    }
                }
            }

            impl From<model::License> for types::License {
                fn from(l: model::License) -> Self {
                    types::License {
                        type_code: l.type_code,
                        type_name: l.type_name,
                        number: l.number,
                        holder: l.holder.into(),
                        issuer: l.issuer,
                        issued_on: l.issued_on,
                        valid_until: l.valid_until,
                        status: match l.status {
                            model::LicenseStatus::Valid => types::LicenseStatus::Valid,
                            model::LicenseStatus::Revoked => types::LicenseStatus::Revoked,
                            model::LicenseStatus::Expired => types::LicenseStatus::Expired,
                        },
                        face: l
                            .face
                            .into_iter()
                            .map(|(key, value)| types::Field { key, value })
                            .collect(),
                    }
                }
            }

            impl From<&model::Attachment> for types::Attachment {
                fn from(a: &model::Attachment) -> Self {
                    types::Attachment {
                        material_code: a.material_code.clone(),
                        file_name: a.file_name.clone(),
                        media_type: a.media_type.clone(),
                        content: a.content_base64.clone(),
                    }
                }
            }

            impl From<model::CaseSubmission> for types::CaseSubmission {
                fn from(c: model::CaseSubmission) -> Self {
                    types::CaseSubmission {
                        case_no: c.case_no,
                        matter_code: c.matter_code,
                        applicant: c.applicant.into(),
                        accepted_at: c.accepted_at,
                        form: c
                            .form
                            .into_iter()
                            .map(|(key, value)| types::Field { key, value })
                            .collect(),
                        attachments: c.attachments.iter().map(Into::into).collect(),
                        licenses: c
                            .licenses
                            .into_iter()
                            .map(|r| types::LicenseRef {
                                material_code: r.material_code,
                                license: r.license.into(),
                            })
                            .collect(),
                    }
                }
            }

            impl From<types::MatterKind> for model::MatterKind {
                fn from(k: types::MatterKind) -> Self {
                    use types::MatterKind as K;
                    match k {
                        K::AdministrativeLicense => Self::AdministrativeLicense,
                        K::AdministrativeConfirmation => Self::AdministrativeConfirmation,
                        K::AdministrativePayment => Self::AdministrativePayment,
                        K::AdministrativeRuling => Self::AdministrativeRuling,
                        K::AdministrativeReward => Self::AdministrativeReward,
                        K::OtherPower => Self::OtherPower,
                        K::PublicService => Self::PublicService,
                    }
                }
            }

            impl From<types::Material> for model::Material {
                fn from(x: types::Material) -> Self {
                    model::Material {
                        code: x.code,
                        name: x.name,
                        required: x.required,
                        license_type: x.license_type,
                    }
                }
            }

            impl TryFrom<types::License> for model::License {
                type Error = String;

                fn try_from(l: types::License) -> Result<Self, String> {
                    check_date("license issued-on", &l.issued_on)?;
                    if let Some(until) = &l.valid_until {
                        check_date("license valid-until", until)?;
                    }
                    if l.number.trim().is_empty() {
                        return Err(format!("a {} license has an empty number", l.type_name));
                    }
                    Ok(model::License {
                        type_code: l.type_code,
                        type_name: l.type_name,
                        number: l.number,
                        holder: l.holder.into(),
                        issuer: l.issuer,
                        issued_on: l.issued_on,
                        valid_until: l.valid_until,
                        status: match l.status {
                            types::LicenseStatus::Valid => model::LicenseStatus::Valid,
                            types::LicenseStatus::Revoked => model::LicenseStatus::Revoked,
                            types::LicenseStatus::Expired => model::LicenseStatus::Expired,
                        },
                        face: l.face.into_iter().map(|f| (f.key, f.value)).collect(),
                    })
                }
            }

            impl TryFrom<types::CaseEvent> for model::CaseEvent {
                type Error = String;

                fn try_from(e: types::CaseEvent) -> Result<Self, String> {
                    check_instant(&e.at, || format!("case {}", e.case_no))?;
                    Ok(model::CaseEvent {
                        case_no: e.case_no,
                        status: e.status.into(),
                        at: e.at,
                        note: e.note,
                        issued: e.issued.map(TryInto::try_into).transpose()?,
                    })
                }
            }

            impl From<types::AdapterError> for model::AdapterError {
                fn from(e: types::AdapterError) -> Self {
                    match e {
                        types::AdapterError::Invalid(m) => Self::Invalid(m),
                        types::AdapterError::NotFound(m) => Self::NotFound(m),
                        types::AdapterError::Unavailable(m) => Self::Unavailable(m),
                        types::AdapterError::Refused(m) => Self::Refused(m),
                    }
                }
            }
        };
    };
}

shared_conversions!(v0_1::types);
shared_conversions!(v0_2::types);

// What only 0.1.0 has: a matter without a form, five case statuses, and pages
// of case events only.

/// A matter of either version, with `form` for what the version has of a form.
macro_rules! matter {
    ($m:ident, $form:expr) => {
        model::Matter {
            code: $m.code,
            name: $m.name,
            department: $m.department,
            kind: $m.kind.into(),
            legal_days: $m.legal_days,
            promised_days: $m.promised_days,
            visits: $m.visits,
            online: $m.online,
            fee: $m.fee,
            conditions: $m.conditions,
            materials: $m.materials.into_iter().map(Into::into).collect(),
            form: $form,
        }
    };
}

impl From<v0_1::types::Matter> for model::Matter {
    fn from(m: v0_1::types::Matter) -> Self {
        matter!(m, Vec::new())
    }
}

impl From<v0_1::types::CaseStatus> for model::CaseStatus {
    fn from(s: v0_1::types::CaseStatus) -> Self {
        use v0_1::types::CaseStatus as S;
        match s {
            S::InReview => Self::InReview,
            S::SupplementRequested => Self::SupplementRequested,
            S::Approved => Self::Approved,
            S::Denied => Self::Denied,
            S::Completed => Self::Completed,
        }
    }
}

impl TryFrom<v0_1::types::EventPage> for model::EventPage {
    type Error = String;

    fn try_from(p: v0_1::types::EventPage) -> Result<Self, String> {
        Ok(model::EventPage {
            events: p
                .events
                .into_iter()
                .map(TryInto::try_into)
                .collect::<Result<_, _>>()?,
            license_events: Vec::new(),
            next_cursor: p.next_cursor,
            more: p.more,
        })
    }
}

// What 0.2.0 added: form fields, special procedures, license events.

impl From<types::Matter> for model::Matter {
    fn from(m: types::Matter) -> Self {
        matter!(m, m.form.into_iter().map(Into::into).collect())
    }
}

impl From<types::FormField> for model::FormField {
    fn from(f: types::FormField) -> Self {
        use types::FieldKind as K;
        use types::PartyField as P;
        model::FormField {
            key: f.key,
            label: f.label,
            kind: match f.kind {
                K::Text => model::FieldKind::Text,
                K::Date => model::FieldKind::Date,
                K::Number => model::FieldKind::Number,
                K::Choice(options) => model::FieldKind::Choice { options },
                K::IdNumber => model::FieldKind::IdNumber,
                K::CreditCode => model::FieldKind::CreditCode,
                K::Address => model::FieldKind::Address,
            },
            required: f.required,
            from_party: f.from_party.map(|p| match p {
                P::Name => model::PartyField::Name,
                P::IdNumber => model::PartyField::IdNumber,
                P::CreditCode => model::PartyField::CreditCode,
                P::Address => model::PartyField::Address,
                P::Phone => model::PartyField::Phone,
                P::LegalRepresentative => model::PartyField::LegalRepresentative,
            }),
        }
    }
}

impl From<types::CaseStatus> for model::CaseStatus {
    fn from(s: types::CaseStatus) -> Self {
        use types::CaseStatus as S;
        match s {
            S::InReview => Self::InReview,
            S::SupplementRequested => Self::SupplementRequested,
            S::SpecialProcedure => Self::SpecialProcedure,
            S::Approved => Self::Approved,
            S::Denied => Self::Denied,
            S::Completed => Self::Completed,
        }
    }
}

/// A list of 0.2 events, split into case moves and license changes.
pub fn events(events: Vec<types::Event>) -> Result<model::Events, String> {
    {
        let mut out = model::Events::default();
        for event in events {
            match event {
                types::Event::CaseChanged(e) => out.events.push(e.try_into()?),
                types::Event::LicenseChanged(e) => {
                    check_instant(&e.at, || format!("license {}", e.license.number))?;
                    out.license_events.push(model::LicenseEvent {
                        license: e.license.try_into()?,
                        at: e.at,
                        note: e.note,
                    });
                }
            }
        }
        Ok(out)
    }
}

impl TryFrom<types::EventPage> for model::EventPage {
    type Error = String;

    fn try_from(p: types::EventPage) -> Result<Self, String> {
        let events = events(p.events)?;
        Ok(model::EventPage {
            events: events.events,
            license_events: events.license_events,
            next_cursor: p.next_cursor,
            more: p.more,
        })
    }
}

/// `about` names what the event is about, only when it is wrong (thousands
/// of events are checked per push).
fn check_instant(at: &str, about: impl FnOnce() -> String) -> Result<(), String> {
    DateTime::parse_from_rfc3339(at).map(drop).map_err(|_| {
        format!(
            "event of {} has time {at:?}, not RFC 3339 with an offset",
            about()
        )
    })
}

fn check_date(what: &str, value: &str) -> Result<(), String> {
    // chrono also reads `2018-1-5` and `+2018-01-05`; the contract writes
    // dates as `YYYY-MM-DD` only, which is checked first.
    let shape = value.len() == 10
        && value.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    shape
        .then(|| value.parse::<NaiveDate>().ok())
        .flatten()
        .map(drop)
        .ok_or_else(|| format!("{what} {value:?} is not a YYYY-MM-DD date"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frozen contract version never changes: every component built on it
    /// must keep linking. A new version goes beside it, in `wit/`.
    #[test]
    fn the_frozen_contract_is_unchanged() {
        use sha2::{Digest, Sha256};
        let frozen = include_bytes!("../../../wit/since_v0.1.0/adapter.wit");
        let sha256: String = Sha256::digest(frozen)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            sha256, "265c8320459dc4b55177b27920b43b8a392b4b3396fa87291df8b9837665a8e2",
            "wit/since_v0.1.0/adapter.wit changed: a frozen contract must stay as it was released; change wit/adapter.wit instead"
        );
    }

    #[test]
    fn license_dates_must_be_written_as_the_contract_says() {
        assert_eq!(check_date("issued-on", "2018-11-25"), Ok(()));
        // chrono's `%Y-%m-%d` alone reads the first four; tests/fuzz
        // (adapter_output) checks that only `YYYY-MM-DD` passes.
        for bad in [
            "2018-1-5",
            "2018-11-5",
            "+2018-11-25",
            " 2018-11-25",
            "2018-02-30",
            "",
        ] {
            assert!(check_date("issued-on", bad).is_err(), "{bad}");
        }
    }
}
