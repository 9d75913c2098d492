//! The platform's unified types, in the JSON shapes of the HTTP API (DESIGN.md).
//! The runtime converts them to and from the contract's WIT types.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// 申请人 or 持证主体: a person or an organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Party {
    /// 自然人, identified by the resident ID number.
    Person { id_number: String, name: String },
    /// 法人或其他组织, identified by the unified social credit code.
    Organization { credit_code: String, name: String },
}

impl Party {
    /// An organization (by its credit code) or a person (by ID number), named `name`.
    pub fn new(organization: bool, id: String, name: String) -> Party {
        if organization {
            Party::Organization {
                credit_code: id,
                name,
            }
        } else {
            Party::Person {
                id_number: id,
                name,
            }
        }
    }

    /// The ID number or credit code.
    pub fn id(&self) -> &str {
        match self {
            Party::Person { id_number, .. } => id_number,
            Party::Organization { credit_code, .. } => credit_code,
        }
    }

    /// The name.
    pub fn name(&self) -> &str {
        match self {
            Party::Person { name, .. } | Party::Organization { name, .. } => name,
        }
    }
}

/// 事项类型.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MatterKind {
    AdministrativeLicense,
    AdministrativeConfirmation,
    AdministrativePayment,
    AdministrativeRuling,
    AdministrativeReward,
    OtherPower,
    PublicService,
}

/// 申请材料.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Material {
    pub code: String,
    pub name: String,
    pub required: bool,
    pub license_type: Option<String>,
}

/// 政务服务事项 with its guide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Matter {
    pub code: String,
    pub name: String,
    pub department: String,
    pub kind: MatterKind,
    pub legal_days: u32,
    pub promised_days: u32,
    pub visits: u32,
    pub online: bool,
    pub fee: String,
    pub conditions: String,
    pub materials: Vec<Material>,
    /// The application form's fields (一表申请); empty for adapters on
    /// contract 0.1.0, which cannot declare them.
    #[serde(default)]
    pub form: Vec<FormField>,
}

/// What a form field holds, and so how it is checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    /// `YYYY-MM-DD`.
    Date,
    Number,
    /// One of `options`, as written.
    Choice {
        options: Vec<String>,
    },
    IdNumber,
    CreditCode,
    Address,
}

/// The applicant's basic details a form field can be filled from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PartyField {
    Name,
    IdNumber,
    CreditCode,
    Address,
    Phone,
    LegalRepresentative,
}

/// One field of a matter's application form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FormField {
    pub key: String,
    pub label: String,
    pub kind: FieldKind,
    pub required: bool,
    pub from_party: Option<PartyField>,
}

/// A file handed in for a material.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Attachment {
    pub material_code: String,
    pub file_name: String,
    pub media_type: String,
    #[serde(with = "base64_bytes")]
    #[schema(value_type = String, format = Byte)]
    pub content_base64: Vec<u8>,
}

/// 证照状态.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LicenseStatus {
    Valid,
    Revoked,
    Expired,
}

/// 电子证照.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct License {
    pub type_code: String,
    pub type_name: String,
    pub number: String,
    pub holder: Party,
    pub issuer: String,
    pub issued_on: String,
    pub valid_until: Option<String>,
    pub status: LicenseStatus,
    /// 照面信息, in print order.
    pub face: IndexMap<String, String>,
}

/// A license standing in for a material.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenseRef {
    pub material_code: String,
    pub license: License,
}

/// A case as handed to a department's adapter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseSubmission {
    pub case_no: String,
    pub matter_code: String,
    pub applicant: Party,
    pub accepted_at: String,
    #[serde(default)]
    pub form: IndexMap<String, String>,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    #[serde(default)]
    pub licenses: Vec<LicenseRef>,
}

/// Where a case stands at the department.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    InReview,
    SupplementRequested,
    /// 特别程序 (专家评审, 听证, 检验检测): the clock stops as for 补正.
    SpecialProcedure,
    Approved,
    Denied,
    Completed,
}

/// A status change reported by a department.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseEvent {
    pub case_no: String,
    pub status: CaseStatus,
    pub at: String,
    pub note: String,
    pub issued: Option<License>,
}

/// A license's status changed at its issuer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenseEvent {
    /// The license as it stands now.
    pub license: License,
    pub at: String,
    pub note: String,
}

/// What a department reported: case moves and license changes, each in the
/// order they happened.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Events {
    pub events: Vec<CaseEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub license_events: Vec<LicenseEvent>,
}

/// One page of events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventPage {
    pub events: Vec<CaseEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub license_events: Vec<LicenseEvent>,
    pub next_cursor: Option<String>,
    pub more: bool,
}

/// An adapter's own answer that it cannot do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", content = "message", rename_all = "snake_case")]
pub enum AdapterError {
    /// The request is wrong; retrying cannot help.
    #[error("invalid: {0}")]
    Invalid(String),
    /// What was asked for does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The legacy system is down or answered badly; retry later.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The department refused.
    #[error("refused: {0}")]
    Refused(String),
}

/// Bytes as standard base64 text in JSON.
pub mod base64_bytes {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD
            .decode(text.as_bytes())
            .map_err(|e| serde::de::Error::custom(format!("content_base64 is not base64: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn party_uses_the_api_shape() {
        let p: Party = serde_json::from_str(
            r#"{"type":"organization","credit_code":"91350100M000100Y43","name":"某公司"}"#,
        )
        .unwrap();
        assert_eq!(p.id(), "91350100M000100Y43");
        let json = serde_json::to_value(Party::Person {
            id_number: "11010519491231002X".into(),
            name: "张三".into(),
        })
        .unwrap();
        assert_eq!(json["type"], "person");
        assert_eq!(json["id_number"], "11010519491231002X");
    }

    #[test]
    fn attachment_content_is_base64() {
        let a: Attachment = serde_json::from_str(
            r#"{"material_code":"001","file_name":"a.txt","media_type":"text/plain","content_base64":"5Lit5paH"}"#,
        )
        .unwrap();
        assert_eq!(String::from_utf8(a.content_base64).unwrap(), "中文");
        let err = serde_json::from_str::<Attachment>(
            r#"{"material_code":"001","file_name":"a","media_type":"t","content_base64":"***"}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("content_base64 is not base64"));
    }
}
