//! Cases: acceptance at the window (identity, matter, materials or licenses,
//! 一次告知), deadlines in working days, the lifecycle with its timeline, and the
//! applicant's evaluation.

mod acceptance;
mod evaluation;
mod form;
mod order;
mod query;
mod requests;
mod status;

pub(crate) use acceptance::material_of;
pub use acceptance::{DeferredMaterial, MaterialCheck};
pub use form::{AskedField, FieldError, fields_of};
use query::*;
pub(crate) use status::{Move, add_step};

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;
use utoipa::{IntoParams, ToSchema};

use super::calendar::Deadline;
use super::calendar::DueStatus;
use super::catalogue::CatalogueMatter;
use super::intake::{NewCase, NewPart, Stored};
use super::lifecycle::Status;
use super::{MissingMaterial, Platform, PlatformError, licenses};
use crate::adapter::Adapter;
use crate::audit::NewEntry;
use crate::model::{Attachment, License, LicenseRef, LicenseStatus, Party};
use crate::store::{self, Tx, json_column};

/// The applicant's consent to reuse electronic licenses (recorded with its purpose).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    pub reuse_licenses: bool,
    pub purpose: String,
    /// The license types (e.g. `营业执照`) the applicant agreed to reuse, each
    /// after seeing it; absent, any of theirs may stand in. Recorded and
    /// audited with the case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_types: Option<Vec<String>>,
}

impl Consent {
    /// Whether a license of `license_type` may stand in for a material.
    pub fn allows(&self, license_type: &str) -> bool {
        self.reuse_licenses
            && self
                .license_types
                .as_ref()
                .is_none_or(|types| types.iter().any(|t| t == license_type))
    }
}

/// `POST /api/v1/cases`: an application for one matter, or for a theme (一件事)
/// whose matters are applied for together under one case number.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Application {
    /// The matter applied for; give this or `theme_code`.
    #[serde(default)]
    pub matter_code: Option<String>,
    /// The theme (一件事) applied for; give this or `matter_code`. Attachments
    /// then name their material as `<matter code>/<material code>`, and a form
    /// field named `<matter code>/<field>` goes to that matter's department only
    /// (the others go to every department of the theme).
    #[serde(default)]
    pub theme_code: Option<String>,
    pub applicant: Party,
    /// The person acting for the applicant: an organization's 法定代表人, or an
    /// agent (经办人). With the applicant's consent, this person's licenses (a
    /// 居民身份证) can stand in for materials too.
    #[serde(default)]
    pub representative: Option<Party>,
    #[serde(default)]
    pub form: IndexMap<String, String>,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    #[serde(default)]
    pub consent: Option<Consent>,
}

/// One department's part of a case: the only one of a single-matter case, one
/// per matter of a theme (一件事).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Part {
    pub part_no: i64,
    pub matter_code: String,
    /// The matter's name, while the matter is in the catalogue.
    pub matter_name: Option<String>,
    /// The department that handles this part, while the matter is in the catalogue.
    pub department: Option<String>,
    pub status: Status,
    pub department_ref: Option<String>,
    pub reason: Option<String>,
    /// 一件事 in order: the matters (their names) whose licenses this part
    /// waits for before it is delivered; empty once it is on its way.
    pub waiting_for: Vec<String>,
}

/// A step on a case's timeline.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Step {
    pub at: String,
    /// The part the step concerns; none for the case as a whole.
    pub part_no: Option<i64>,
    pub status: Status,
    pub actor: String,
    pub note: String,
}

/// A case as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Case {
    pub case_no: String,
    /// The matter applied for; none for a theme (一件事).
    pub matter_code: Option<String>,
    /// The theme (一件事) applied for, whose matters are the parts.
    pub theme_code: Option<String>,
    pub status: Status,
    pub applicant: Party,
    pub accepted_at: String,
    /// 承诺办结日期.
    pub promised_by: NaiveDate,
    /// 法定办结日期.
    pub legal_by: NaiveDate,
    /// The deadlines were counted on weekends only: the calendar lacks a year.
    pub provisional: bool,
    /// Where the case stands against its promised date; none once it is final.
    pub due: Option<DueStatus>,
    pub working_days_left: Option<i64>,
    /// Materials covered by the applicant's licenses (免提交).
    pub covered_by_license: Vec<String>,
    pub consent: Option<Consent>,
    pub form: IndexMap<String, String>,
    /// Why the case was returned or denied, when it was.
    pub reason: Option<String>,
    /// Working days spent in special procedures (特别程序: 专家评审, 听证,
    /// 检验检测), which the deadlines do not count.
    pub special_procedure_days: i64,
    /// The special procedures took more than half the promised working days:
    /// flagged for supervision (seed item 22).
    pub special_procedure_long: bool,
    pub parts: Vec<Part>,
    pub timeline: Vec<Step>,
}

/// Filters of `GET /api/v1/cases`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CaseQuery {
    /// A platform status, e.g. `in_review`.
    pub status: Option<String>,
    /// Only cases past their promised date (or only those that are not).
    pub overdue: Option<bool>,
    /// Only cases within two working days of their promised date.
    pub due_soon: Option<bool>,
    /// The applicant's ID number or credit code.
    pub applicant: Option<String>,
    /// Only cases with a part handled by this department (its name, e.g. 县税务局).
    pub department: Option<String>,
}

/// `POST /api/v1/cases/{case_no}/evaluation`: the applicant's rating, given on
/// the window's 评价器 with the code the clerk asked for.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluationRequest {
    /// 1 (非常不满意) to 5 (非常满意).
    #[schema(minimum = 1, maximum = 5)]
    pub rating: i64,
    #[serde(default)]
    pub comment: String,
    /// The one-time rating code of the case (`POST …/rating-code`); the
    /// applicant's own channel needs none.
    #[serde(default)]
    pub code: Option<String>,
}

/// Where a rating was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RatingChannel {
    /// The applicant's own channel, signed in.
    Online,
    /// The 评价器 at the window, with a one-time code.
    Window,
}

impl RatingChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            RatingChannel::Online => "online",
            RatingChannel::Window => "window",
        }
    }
}

/// A one-time code for the window's 评价器: `POST /api/v1/cases/{case_no}/rating-code`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RatingCode {
    pub case_no: String,
    /// Eight digits, as the applicant types them on the 评价器.
    pub code: String,
    pub expires_at: String,
}

/// 好差评: the applicant's rating of a completed case.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Evaluation {
    pub case_no: String,
    pub rating: i64,
    /// 非常不满意 … 非常满意.
    pub rating_name: &'static str,
    pub comment: String,
    pub at: String,
    /// For ratings of 1–2: the date by which the department must rectify (15 working days).
    pub follow_up_by: Option<NaiveDate>,
    /// Where the applicant gave it.
    pub channel: RatingChannel,
}

/// A clerk's status change: `POST /api/v1/cases/{case_no}/status`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    /// The status to move to, e.g. `withdrawn`; illegal moves are refused with the legal ones named.
    pub status: String,
    #[serde(default)]
    pub note: String,
}

/// Supplementary materials (补正): `POST /api/v1/cases/{case_no}/supplement`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Supplement {
    /// The files, each for the material it stands for.
    pub attachments: Vec<Attachment>,
    /// What the clerk adds for the department.
    #[serde(default)]
    pub note: String,
}

pub(crate) const RATING_NAMES: [&str; 5] = ["非常不满意", "不满意", "基本满意", "满意", "非常满意"];
const FOLLOW_UP_DAYS: u32 = 15;
const LIST_LIMIT: i64 = 500;

type Pauses = Vec<(NaiveDate, Option<NaiveDate>)>;

fn invalid(field: &str, message: impl Into<String>) -> PlatformError {
    PlatformError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}
