//! The one place the contract's WIT is turned into Rust (wasmtime `bindgen!`),
//! and the conversions between those types and the platform's [`model`].

use codes::chrono::{DateTime, NaiveDate};
use onewindow_codes as codes;

use onewindow_platform::model;

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "onewindow:adapter/department-adapter",
    exports: { default: async },
});

pub use self::onewindow::adapter::types;

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

fn fields(map: indexmap::IndexMap<String, String>) -> Vec<types::Field> {
    map.into_iter()
        .map(|(key, value)| types::Field { key, value })
        .collect()
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
            face: fields(l.face),
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
            form: fields(c.form),
            attachments: c
                .attachments
                .into_iter()
                .map(|a| types::Attachment {
                    material_code: a.material_code,
                    file_name: a.file_name,
                    media_type: a.media_type,
                    content: a.content_base64,
                })
                .collect(),
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

impl From<types::Matter> for model::Matter {
    fn from(m: types::Matter) -> Self {
        model::Matter {
            code: m.code,
            name: m.name,
            department: m.department,
            kind: m.kind.into(),
            legal_days: m.legal_days,
            promised_days: m.promised_days,
            visits: m.visits,
            online: m.online,
            fee: m.fee,
            conditions: m.conditions,
            materials: m
                .materials
                .into_iter()
                .map(|x| model::Material {
                    code: x.code,
                    name: x.name,
                    required: x.required,
                    license_type: x.license_type,
                })
                .collect(),
        }
    }
}

fn check_date(what: &str, value: &str) -> Result<(), String> {
    // chrono's `%Y-%m-%d` also reads `2018-1-5` and `+2018-01-05`; the contract
    // writes dates as `YYYY-MM-DD` only, so the date must print back as given.
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .ok()
        .filter(|date| codes::date::to_iso(*date) == value && value.len() == 10)
        .map(drop)
        .ok_or_else(|| format!("{what} {value:?} is not a YYYY-MM-DD date"))
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
        DateTime::parse_from_rfc3339(&e.at).map_err(|_| {
            format!(
                "event of case {} has time {:?}, not RFC 3339 with an offset",
                e.case_no, e.at
            )
        })?;
        Ok(model::CaseEvent {
            case_no: e.case_no,
            status: match e.status {
                types::CaseStatus::InReview => model::CaseStatus::InReview,
                types::CaseStatus::SupplementRequested => model::CaseStatus::SupplementRequested,
                types::CaseStatus::Approved => model::CaseStatus::Approved,
                types::CaseStatus::Denied => model::CaseStatus::Denied,
                types::CaseStatus::Completed => model::CaseStatus::Completed,
            },
            at: e.at,
            note: e.note,
            issued: e.issued.map(TryInto::try_into).transpose()?,
        })
    }
}

impl TryFrom<types::EventPage> for model::EventPage {
    type Error = String;

    fn try_from(p: types::EventPage) -> Result<Self, String> {
        Ok(model::EventPage {
            events: p
                .events
                .into_iter()
                .map(TryInto::try_into)
                .collect::<Result<_, _>>()?,
            next_cursor: p.next_cursor,
            more: p.more,
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

#[cfg(test)]
mod tests {
    use super::*;

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
