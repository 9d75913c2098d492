//! Cases: acceptance at the window (identity, matter, materials or licenses,
//! 一次告知), deadlines in working days, the lifecycle with its timeline, and the
//! applicant's evaluation.

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
use super::intake::{NewCase, Stored};
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

/// `POST /api/v1/cases/{case_no}/evaluation`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluationRequest {
    /// 1 (非常不满意) to 5 (非常满意).
    #[schema(minimum = 1, maximum = 5)]
    pub rating: i64,
    #[serde(default)]
    pub comment: String,
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

const RATING_NAMES: [&str; 5] = ["非常不满意", "不满意", "基本满意", "满意", "非常满意"];
const FOLLOW_UP_DAYS: u32 = 15;
const LIST_LIMIT: i64 = 500;

type Pauses = Vec<(NaiveDate, Option<NaiveDate>)>;

fn invalid(field: &str, message: impl Into<String>) -> PlatformError {
    PlatformError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// Checks the ID number or credit code and the name of `party`, naming the
/// offending field under `field` (`applicant`, `representative`).
fn check_party(party: &Party, field: &str) -> Result<(), PlatformError> {
    match party {
        Party::Person { id_number, name } => {
            onewindow_codes::id_number::validate(id_number)
                .map_err(|e| invalid(&format!("{field}.id_number"), e.to_string()))?;
            if name.trim().is_empty() {
                return Err(invalid(
                    &format!("{field}.name"),
                    format!("the {field}'s name is empty"),
                ));
            }
        }
        Party::Organization { credit_code, name } => {
            onewindow_codes::credit_code::validate(credit_code)
                .map_err(|e| invalid(&format!("{field}.credit_code"), e.to_string()))?;
            if name.trim().is_empty() {
                return Err(invalid(
                    &format!("{field}.name"),
                    "the organization's name is empty",
                ));
            }
        }
    }
    Ok(())
}

/// The applicant and, when given, the representative (a person).
fn check_parties(application: &Application) -> Result<(), PlatformError> {
    check_party(&application.applicant, "applicant")?;
    match &application.representative {
        Some(Party::Organization { .. }) => Err(invalid(
            "representative.type",
            "the representative is the person acting for the applicant; give a person (type person)",
        )),
        Some(person) => check_party(person, "representative"),
        None => Ok(()),
    }
}

/// What an application's required materials come to: covered by the applicant's
/// (or representative's) licenses, or missing (all of them, 一次告知).
#[derive(Debug, Clone, Default)]
pub struct MaterialCheck {
    pub covered: Vec<LicenseRef>,
    pub missing: Vec<MissingMaterial>,
}

/// One matter of an application and the adapter that takes it.
struct Target {
    matter: CatalogueMatter,
    adapter: Arc<dyn Adapter>,
    /// `Some(matter code)` in a theme application, where material codes are
    /// qualified as `<matter code>/<material code>`.
    qualifier: Option<String>,
}

impl Target {
    fn qualified(&self, material_code: &str) -> String {
        match &self.qualifier {
            Some(matter) => format!("{matter}/{material_code}"),
            None => material_code.to_owned(),
        }
    }
}

/// The part of an attachment's or license's material code that belongs to the
/// matter `matter_code` of a case: all of it in a single-matter case, the part
/// after `<matter code>/` in a theme (一件事) case.
pub(crate) fn material_of<'a>(code: &'a str, matter_code: &str, theme: bool) -> Option<&'a str> {
    if theme {
        code.strip_prefix(matter_code)?.strip_prefix('/')
    } else {
        Some(code)
    }
}

impl Platform {
    /// The matters an application is for, each with the adapter that takes it.
    async fn targets(&self, application: &Application) -> Result<Vec<Target>, PlatformError> {
        let (codes, theme) = match (&application.matter_code, &application.theme_code) {
            (Some(code), None) => (vec![code.clone()], false),
            (None, Some(theme)) => {
                let theme = self
                    .config
                    .themes
                    .iter()
                    .find(|t| &t.code == theme)
                    .ok_or_else(|| {
                        invalid(
                            "theme_code",
                            format!(
                                "no theme (一件事) with code {theme:?}; the themes are {}",
                                self.config
                                    .themes
                                    .iter()
                                    .map(|t| format!("{} {}", t.code, t.name))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        )
                    })?;
                (theme.matters.clone(), true)
            }
            _ => {
                return Err(invalid(
                    "matter_code",
                    "an application names either one matter (matter_code) or one theme (theme_code)",
                ));
            }
        };
        let mut targets = Vec::new();
        for code in codes {
            let field = if theme { "theme_code" } else { "matter_code" };
            let matter = self.matter(&code).await.map_err(|e| match e {
                PlatformError::NotFound(message) => invalid(field, message),
                other => other,
            })?;
            let mut adapter = self.adapter(&matter.adapter_id);
            if adapter.is_none() {
                // Activated on another replica a moment ago: follow the registry
                // now instead of at the next poll.
                self.load_registry().await?;
                adapter = self.adapter(&matter.adapter_id);
            }
            let Some(adapter) = adapter else {
                return Err(PlatformError::Conflict(format!(
                    "matter {} cannot be accepted now: the system of {} is not connected",
                    matter.matter.code, matter.matter.department
                )));
            };
            if !adapter.exports().cases {
                return Err(PlatformError::Conflict(format!(
                    "matter {} is listed but its department does not take applications through the platform",
                    matter.matter.code
                )));
            }
            targets.push(Target {
                qualifier: theme.then(|| matter.matter.code.clone()),
                matter,
                adapter,
            });
        }
        Ok(targets)
    }

    /// What the application's materials come to, without accepting it: the
    /// window shows which materials the applicant's licenses cover once the
    /// applicant consents. Looking the licenses up is audited like any lookup.
    pub async fn check_materials(
        &self,
        application: &Application,
        clerk: &str,
    ) -> Result<MaterialCheck, PlatformError> {
        check_parties(application)?;
        let targets = self.targets(application).await?;
        self.materials(application, &targets, clerk).await
    }

    /// Checks the attachments and the consent of `application` for `targets`, and
    /// works out which required materials its licenses cover and which are missing.
    async fn materials(
        &self,
        application: &Application,
        targets: &[Target],
        clerk: &str,
    ) -> Result<MaterialCheck, PlatformError> {
        let theme = application.theme_code.is_some();
        for (i, a) in application.attachments.iter().enumerate() {
            let known = targets.iter().any(|t| {
                material_of(&a.material_code, &t.matter.matter.code, theme)
                    .is_some_and(|code| t.matter.matter.materials.iter().any(|m| m.code == code))
            });
            if !known {
                return Err(invalid(
                    &format!("attachments[{i}].material_code"),
                    format!(
                        "the application has no material {:?}; its materials are {}",
                        a.material_code,
                        targets
                            .iter()
                            .flat_map(|t| t.matter.matter.materials.iter().map(move |m| format!(
                                "{} {}",
                                t.qualified(&m.code),
                                m.name
                            )))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
        let consent = application.consent.as_ref();
        if let Some(c) = consent
            && c.reuse_licenses
            && c.purpose.trim().is_empty()
        {
            return Err(invalid(
                "consent.purpose",
                "consent to reuse licenses must say for what purpose",
            ));
        }

        // Every required material: attached, or covered by a valid license of the
        // applicant (or of the representative) that the applicant consented to reuse.
        let reuse = consent.is_some_and(|c| c.reuse_licenses);
        let holders: Vec<&Party> = std::iter::once(&application.applicant)
            .chain(&application.representative)
            .collect();
        let mut held: Option<Vec<License>> = None;
        let mut covered = Vec::new();
        let mut missing = Vec::new();
        for target in targets {
            for material in target.matter.matter.materials.iter().filter(|m| m.required) {
                let code = target.qualified(&material.code);
                if application
                    .attachments
                    .iter()
                    .any(|a| a.material_code == code)
                {
                    continue;
                }
                if reuse && let Some(license_type) = &material.license_type {
                    if held.is_none() {
                        let purpose = consent.map(|c| c.purpose.as_str()).unwrap_or_default();
                        let mut licenses = Vec::new();
                        for holder in holders.iter() {
                            licenses.extend(
                                self.lookup_licenses(holder, None, clerk, purpose)
                                    .await?
                                    .items
                                    .into_iter()
                                    .map(|found| found.license),
                            );
                        }
                        held = Some(licenses);
                    }
                    // Only a license in force, held by the very person or
                    // organization (its kind and number), stands in.
                    let found = held.iter().flatten().find(|l| {
                        &l.type_name == license_type
                            && l.status == LicenseStatus::Valid
                            && holders.iter().any(|h| licenses::same_party(h, &l.holder))
                    });
                    if let Some(license) = found {
                        covered.push(LicenseRef {
                            material_code: code,
                            license: license.clone(),
                        });
                        continue;
                    }
                }
                missing.push(MissingMaterial {
                    code,
                    name: material.name.clone(),
                    license_type: material.license_type.clone(),
                });
            }
        }
        Ok(MaterialCheck { covered, missing })
    }

    /// Accepts an application for a matter or a theme (一件事): checks it, and in
    /// one transaction stores the case, its parts (one per matter), its first
    /// timeline step, an audit entry and the outbox rows that deliver it.
    pub async fn accept(
        &self,
        application: Application,
        clerk: &str,
    ) -> Result<Case, PlatformError> {
        check_parties(&application)?;
        let targets = self.targets(&application).await?;
        let MaterialCheck { covered, missing } =
            self.materials(&application, &targets, clerk).await?;
        if !missing.is_empty() {
            return Err(PlatformError::MissingMaterials(missing));
        }
        let consent = application.consent.clone();

        // A theme promises its own time for the whole bundle; the legal limit is
        // the longest of its matters'.
        let promised_days = match &application.theme_code {
            Some(code) => self
                .config
                .themes
                .iter()
                .find(|t| &t.code == code)
                .map_or(0, |t| t.promised_days),
            None => targets[0].matter.matter.promised_days,
        };
        let legal_days = targets
            .iter()
            .map(|t| t.matter.matter.legal_days)
            .max()
            .unwrap_or_default()
            .max(promised_days);
        let now = self.clock.now();
        let today = now.date_naive();
        let promised = self.calendar.deadline(today, promised_days, &[], today);
        let legal = self.calendar.deadline(today, legal_days, &[], today);
        let accepted_at = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, false);

        let note = if covered.is_empty() {
            "受理".to_owned()
        } else {
            format!(
                "受理；免提交材料 {}",
                covered
                    .iter()
                    .map(|c| c.material_code.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let matter_codes: Vec<String> = targets
            .iter()
            .map(|t| t.matter.matter.code.clone())
            .collect();
        let new_case = NewCase {
            day: today.format("%Y%m%d").to_string(),
            matter_code: application.matter_code.clone(),
            theme_code: application.theme_code.clone(),
            parts: targets
                .iter()
                .map(|t| (t.matter.matter.code.clone(), t.adapter.id().to_owned()))
                .collect(),
            status: Status::Accepted.as_str(),
            applicant: serde_json::to_string(&application.applicant).expect("parties serialize"),
            applicant_id: application.applicant.id().to_owned(),
            representative: application
                .representative
                .as_ref()
                .map(|r| serde_json::to_string(r).expect("parties serialize")),
            form: serde_json::to_string(&application.form).expect("forms serialize"),
            consent: consent
                .as_ref()
                .map(|c| serde_json::to_string(c).expect("consents serialize")),
            covered: serde_json::to_string(&covered).expect("license refs serialize"),
            accepted_at: accepted_at.clone(),
            accepted_on: today.to_string(),
            promised_days: i64::from(promised_days),
            legal_days: i64::from(legal_days),
            promised_by: promised.date.to_string(),
            legal_by: legal.date.to_string(),
            provisional: i64::from(promised.provisional || legal.provisional),
            attachments: application
                .attachments
                .iter()
                .map(|a| {
                    (
                        a.material_code.clone(),
                        a.file_name.clone(),
                        a.media_type.clone(),
                        a.content_base64.clone(),
                    )
                })
                .collect(),
            actor: clerk.to_owned(),
            note: note.clone(),
            audit: NewEntry {
                at: String::new(),
                actor: clerk.to_owned(),
                action: "case.accepted".into(),
                subject: String::new(),
                detail: serde_json::json!({
                    "matters": matter_codes,
                    "theme": application.theme_code,
                    "applicant": licenses::mask_holder(&application.applicant),
                    "representative": application.representative.as_ref().map(licenses::mask_holder),
                    "covered_by_license": covered.iter().map(|c| &c.material_code).collect::<Vec<_>>(),
                    "consent": consent,
                }),
            },
        };
        let Stored { case_no, at } = self.intake.store(&self.store, new_case).await?;
        let step = Step {
            at,
            part_no: None,
            status: Status::Accepted,
            actor: clerk.to_owned(),
            note,
        };
        tracing::info!(case_no, matters = ?matter_codes, "case accepted");
        // The answer is what was just written; reading it back would cost a
        // transaction of its own on every acceptance.
        let (due, working_days_left) = self.due(Status::Accepted, promised.date, today);
        Ok(Case {
            case_no,
            matter_code: application.matter_code,
            theme_code: application.theme_code,
            status: Status::Accepted,
            applicant: application.applicant,
            accepted_at,
            promised_by: promised.date,
            legal_by: legal.date,
            provisional: promised.provisional || legal.provisional,
            due,
            working_days_left,
            covered_by_license: covered.into_iter().map(|c| c.material_code).collect(),
            consent,
            form: application.form,
            reason: None,
            parts: targets
                .into_iter()
                .zip(1..)
                .map(|(t, part_no)| Part {
                    part_no,
                    matter_code: t.matter.matter.code,
                    matter_name: Some(t.matter.matter.name),
                    department: Some(t.matter.matter.department),
                    status: Status::Accepted,
                    department_ref: None,
                    reason: None,
                })
                .collect(),
            timeline: vec![step],
        })
    }

    /// One case with its parts and timeline.
    pub async fn case(&self, case_no: &str) -> Result<Case, PlatformError> {
        let mut tx = self.store.snapshot().await?;
        let row = sqlx::query(&format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE case_no = $1"
        ))
        .bind(case_no)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| PlatformError::NotFound(format!("no case with number {case_no:?}")))?;
        let mut case = self.case_from_row(&row)?;
        fill_details(&mut tx, std::slice::from_mut(&mut case)).await?;
        tx.commit().await?;
        Ok(case)
    }

    /// Cases matching the filters, newest first.
    pub async fn cases(&self, query: &CaseQuery) -> Result<Vec<Case>, PlatformError> {
        let status = match query.status.as_deref().filter(|s| !s.is_empty()) {
            Some(name) => Some(Status::parse(name).ok_or_else(|| {
                invalid(
                    "status",
                    format!(
                        "unknown status {name:?}; use one of {}",
                        Status::ALL
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?),
            None => None,
        };
        let mut tx = self.store.snapshot().await?;
        let rows = sqlx::query(&format!(
            "SELECT {CASE_COLUMNS} FROM cases \
             WHERE ($1 = '' OR status = $1) AND ($2 = '' OR applicant_id = $2) \
             ORDER BY case_no DESC LIMIT {LIST_LIMIT}"
        ))
        .bind(status.map(Status::as_str).unwrap_or_default())
        .bind(query.applicant.as_deref().unwrap_or_default().trim())
        .fetch_all(&mut *tx)
        .await?;
        let mut cases = Vec::new();
        for row in &rows {
            let case = self.case_from_row(row)?;
            let overdue = case.due == Some(DueStatus::Overdue);
            let due_soon = case.due == Some(DueStatus::DueSoon);
            if query.overdue.is_some_and(|want| want != overdue)
                || query.due_soon.is_some_and(|want| want != due_soon)
            {
                continue;
            }
            cases.push(case);
        }
        fill_details(&mut tx, &mut cases).await?;
        if let Some(department) = query.department.as_deref().filter(|d| !d.is_empty()) {
            cases.retain(|case| {
                case.parts
                    .iter()
                    .any(|p| p.department.as_deref() == Some(department))
            });
        }
        tx.commit().await?;
        Ok(cases)
    }

    /// Where a case in `status` stands against `promised_by` today, and the
    /// working days left; nothing once the department has decided.
    fn due(
        &self,
        status: Status,
        promised_by: NaiveDate,
        today: NaiveDate,
    ) -> (Option<DueStatus>, Option<i64>) {
        if status.is_final() || matches!(status, Status::Approved | Status::Denied) {
            (None, None)
        } else {
            (
                Some(self.calendar.status(promised_by, today)),
                Some(self.calendar.working_days_left(promised_by, today)),
            )
        }
    }

    fn case_from_row(&self, row: &AnyRow) -> Result<Case, PlatformError> {
        let status: String = row.try_get("status")?;
        let status = Status::parse(&status)
            .ok_or_else(|| store::StoreError::Corrupt(format!("unknown case status {status:?}")))?;
        let date = |column: &str| -> Result<NaiveDate, PlatformError> {
            let text: String = row.try_get(column)?;
            text.parse()
                .map_err(|_| store::StoreError::Corrupt(format!("{column} is {text:?}")).into())
        };
        let mut promised_by = date("promised_by")?;
        let mut legal_by = date("legal_by")?;
        let mut provisional = row.try_get::<i64, _>("provisional")? != 0;
        let today = self.today();
        if status == Status::SupplementRequested {
            // The clock is stopped: the deadlines move on with every day of waiting.
            let paused: Pauses = json_column(row, "paused")?;
            let (promised, legal) = deadlines(self, row, &paused, today)?;
            promised_by = promised.date;
            legal_by = legal.date;
            provisional = promised.provisional || legal.provisional;
        }
        let (due, left) = self.due(status, promised_by, today);
        let covered: Vec<LicenseRef> = json_column(row, "covered")?;
        let consent: Option<String> = row.try_get("consent")?;
        Ok(Case {
            case_no: row.try_get("case_no")?,
            matter_code: row.try_get("matter_code")?,
            theme_code: row.try_get("theme_code")?,
            status,
            applicant: json_column(row, "applicant")?,
            accepted_at: row.try_get("accepted_at")?,
            promised_by,
            legal_by,
            provisional,
            due,
            working_days_left: left,
            covered_by_license: covered.into_iter().map(|c| c.material_code).collect(),
            consent: consent
                .map(|c| serde_json::from_str(&c))
                .transpose()
                .map_err(|e| store::StoreError::Corrupt(format!("consent: {e}")))?,
            form: json_column(row, "form")?,
            reason: row.try_get("reason")?,
            parts: Vec::new(),
            timeline: Vec::new(),
        })
    }

    /// A clerk's status change: withdrawing a case, or putting it back in review
    /// once the applicant handed in what was asked for.
    pub async fn change_status(
        &self,
        case_no: &str,
        change: &StatusChange,
        clerk: &str,
    ) -> Result<Case, PlatformError> {
        let to = Status::parse(&change.status)
            .ok_or_else(|| invalid("status", format!("unknown status {:?}", change.status)))?;
        if !matches!(to, Status::Withdrawn | Status::InReview) {
            return Err(invalid(
                "status",
                format!(
                    "a clerk can only set withdrawn or in_review (after 补正); {to} comes from the department's system"
                ),
            ));
        }
        let note = if change.note.trim().is_empty() {
            match to {
                Status::Withdrawn => "申请人撤回",
                _ => "申请人已补正材料",
            }
        } else {
            change.note.trim()
        };
        self.transition(
            case_no,
            Move {
                part: None,
                to,
                actor: clerk,
                note,
                issued: None,
                settles: None,
            },
        )
        .await?;
        self.case(case_no).await
    }

    /// Moves a case (and its part, when one is named) in one transaction:
    /// status, paused clock and deadlines, timeline, audit, a license it issued,
    /// and the outbox row the move settles.
    pub(crate) async fn transition(
        &self,
        case_no: &str,
        mv: Move<'_>,
    ) -> Result<Status, PlatformError> {
        let Move {
            part,
            to,
            actor,
            note,
            issued,
            settles,
        } = mv;
        let mut tx = self.store.begin().await?;
        let stamp = store::now();
        // Writing first takes SQLite's write lock at once (and the row lock on PostgreSQL).
        let touched = sqlx::query("UPDATE cases SET updated_at = $2 WHERE case_no = $1")
            .bind(case_no)
            .bind(&stamp)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if touched == 0 {
            return Err(PlatformError::NotFound(format!(
                "no case with number {case_no:?}"
            )));
        }
        let row = sqlx::query(
            "SELECT status, paused, accepted_on, promised_days, legal_days FROM cases WHERE case_no = $1",
        )
        .bind(case_no)
        .fetch_one(&mut *tx)
        .await?;
        let from: String = row.try_get("status")?;
        let from = Status::parse(&from)
            .ok_or_else(|| store::StoreError::Corrupt(format!("unknown case status {from:?}")))?;
        let mut parts = case_parts(&mut tx, case_no).await?;
        let joint = parts.len() > 1;
        // The parts that move: the one named, or (a clerk's or operator's move of
        // the whole case) every part the move concerns.
        let moving: Vec<usize> = match part {
            Some((part_no, _)) => {
                let i = parts
                    .iter()
                    .position(|p| p.part_no == part_no)
                    .ok_or_else(|| {
                        PlatformError::NotFound(format!("case {case_no} has no part {part_no}"))
                    })?;
                vec![i]
            }
            None => {
                let concerned: Vec<usize> = (0..parts.len())
                    .filter(|&i| match to {
                        Status::Withdrawn => !parts[i].status.is_final(),
                        Status::InReview => parts[i].status == Status::SupplementRequested,
                        Status::Accepted => parts[i].status == Status::DeliveryFailed,
                        _ => true,
                    })
                    .collect();
                if concerned.is_empty() {
                    from.check(to)
                        .map_err(|e| PlatformError::Conflict(e.to_string()))?;
                    return Err(PlatformError::Conflict(format!(
                        "case {case_no} is {from}; none of its parts can move to {to}"
                    )));
                }
                concerned
            }
        };
        for &i in &moving {
            let p = &parts[i];
            p.status.check(to).map_err(|e| {
                PlatformError::Conflict(if joint {
                    format!("part {} ({}): {e}", p.part_no, p.label())
                } else {
                    e.to_string()
                })
            })?;
        }
        for &i in &moving {
            parts[i].status = to;
        }
        let statuses: Vec<Status> = parts.iter().map(|p| p.status).collect();
        let case_to = Status::of_parts(&statuses);

        let today = self.today();
        let mut paused: Pauses = json_column(&row, "paused")?;
        if case_to == Status::SupplementRequested && from != Status::SupplementRequested {
            paused.push((today, None));
        } else if from == Status::SupplementRequested
            && case_to != Status::SupplementRequested
            && let Some(open) = paused.last_mut()
        {
            open.1 = Some(today);
        }
        let (promised, legal) = deadlines(self, &row, &paused, today)?;
        let part_reason = matches!(to, Status::Returned | Status::Denied).then_some(note);
        // On a joint case the reason says which part it concerns.
        let case_reason = part_reason.map(|note| match (joint, moving.as_slice()) {
            (true, [i]) => format!("{}：{note}", parts[*i].label()),
            _ => note.to_owned(),
        });
        sqlx::query(
            "UPDATE cases SET status = $2, paused = $3, promised_by = $4, legal_by = $5, \
             provisional = $6, reason = COALESCE($7, reason) WHERE case_no = $1",
        )
        .bind(case_no)
        .bind(case_to.as_str())
        .bind(serde_json::to_string(&paused).expect("pauses serialize"))
        .bind(promised.date.to_string())
        .bind(legal.date.to_string())
        .bind(i64::from(promised.provisional || legal.provisional))
        .bind(case_reason)
        .execute(&mut *tx)
        .await?;
        let department_ref = part.and_then(|(_, r)| r);
        for &i in &moving {
            sqlx::query(
                "UPDATE case_parts SET status = $3, department_ref = COALESCE($4, department_ref), \
                 reason = COALESCE($5, reason) WHERE case_no = $1 AND part_no = $2",
            )
            .bind(case_no)
            .bind(parts[i].part_no)
            .bind(to.as_str())
            .bind(department_ref)
            .bind(part_reason)
            .execute(&mut *tx)
            .await?;
        }
        if let Some(id) = settles {
            sqlx::query("DELETE FROM outbox WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        if matches!(case_to, Status::Withdrawn) {
            // Nothing is delivered for a withdrawn case.
            sqlx::query("DELETE FROM outbox WHERE case_no = $1")
                .bind(case_no)
                .execute(&mut *tx)
                .await?;
        }
        let part_no = part.map(|(n, _)| n);
        add_step(&mut tx, case_no, part_no, to, actor, note).await?;
        if joint && part_no.is_some() && case_to != from && case_to.is_final() {
            add_step(
                &mut tx,
                case_no,
                None,
                case_to,
                actor,
                "一件事各部分均已办结",
            )
            .await?;
        }
        if let Some((license, source)) = issued {
            licenses::keep(&mut tx, license, source, case_no).await?;
        }
        self.store
            .append_audit(
                &mut tx,
                NewEntry {
                    at: stamp,
                    actor: actor.to_owned(),
                    action: "case.status".into(),
                    subject: case_no.to_owned(),
                    detail: serde_json::json!({
                        "from": from.as_str(),
                        "to": case_to.as_str(),
                        "part": part_no,
                        "part_to": to.as_str(),
                        "note": note,
                        "issued": issued.map(|(l, _)| format!("{} {}", l.type_name, l.number)),
                    }),
                },
            )
            .await?;
        tx.commit().await?;
        tracing::info!(case_no, %from, to = %case_to, part = part_no, actor, "case status changed");
        Ok(from)
    }

    /// Records the applicant's evaluation of a completed case, once.
    pub async fn evaluate(
        &self,
        case_no: &str,
        request: &EvaluationRequest,
        clerk: &str,
    ) -> Result<Evaluation, PlatformError> {
        if !(1..=5).contains(&request.rating) {
            return Err(invalid(
                "rating",
                format!(
                    "rating is {}; it must be 1 (非常不满意) to 5 (非常满意)",
                    request.rating
                ),
            ));
        }
        if request.comment.chars().count() > 2000 {
            return Err(invalid(
                "comment",
                "the comment is longer than 2000 characters",
            ));
        }
        let case = self.case(case_no).await?;
        if case.status != Status::Completed {
            return Err(PlatformError::Conflict(format!(
                "case {case_no} is {}; it can be evaluated once it is completed",
                case.status
            )));
        }
        let at = store::now();
        let follow_up_by = (request.rating <= 2).then(|| {
            let today = self.today();
            self.calendar
                .deadline(today, FOLLOW_UP_DAYS, &[], today)
                .date
        });
        let mut tx = self.store.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO evaluations (case_no, rating, comment, at, follow_up_by) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (case_no) DO NOTHING",
        )
        .bind(case_no)
        .bind(request.rating)
        .bind(&request.comment)
        .bind(&at)
        .bind(follow_up_by.map(|d| d.to_string()))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Err(PlatformError::Conflict(format!(
                "case {case_no} has already been evaluated; an evaluation is given once"
            )));
        }
        self.store
            .append_audit(
                &mut tx,
                NewEntry {
                    at: at.clone(),
                    actor: clerk.to_owned(),
                    action: "case.evaluated".into(),
                    subject: case_no.to_owned(),
                    detail: serde_json::json!({"rating": request.rating}),
                },
            )
            .await?;
        tx.commit().await?;
        Ok(Evaluation {
            case_no: case_no.to_owned(),
            rating: request.rating,
            rating_name: RATING_NAMES[(request.rating - 1) as usize],
            comment: request.comment.clone(),
            at,
            follow_up_by,
        })
    }

    /// Ratings of 1–2 waiting for rectification, oldest deadline first.
    pub async fn follow_ups(&self) -> Result<Vec<Evaluation>, PlatformError> {
        let rows = sqlx::query(&format!(
            "SELECT {EVALUATION_COLUMNS} FROM evaluations \
             WHERE follow_up_by IS NOT NULL ORDER BY follow_up_by, case_no"
        ))
        .fetch_all(self.store.pool())
        .await?;
        rows.iter().map(evaluation_from_row).collect()
    }

    /// The evaluation of a case, once it has been given.
    pub async fn evaluation(&self, case_no: &str) -> Result<Option<Evaluation>, PlatformError> {
        let row = sqlx::query(&format!(
            "SELECT {EVALUATION_COLUMNS} FROM evaluations WHERE case_no = $1"
        ))
        .bind(case_no)
        .fetch_optional(self.store.pool())
        .await?;
        row.as_ref().map(evaluation_from_row).transpose()
    }
}

const EVALUATION_COLUMNS: &str = "case_no, rating, comment, at, follow_up_by";

fn evaluation_from_row(row: &AnyRow) -> Result<Evaluation, PlatformError> {
    let rating: i64 = row.try_get("rating")?;
    let follow_up_by: Option<String> = row.try_get("follow_up_by")?;
    Ok(Evaluation {
        case_no: row.try_get("case_no")?,
        rating,
        rating_name: RATING_NAMES[(rating.clamp(1, 5) - 1) as usize],
        comment: row.try_get("comment")?,
        at: row.try_get("at")?,
        follow_up_by: follow_up_by.and_then(|d| d.parse().ok()),
    })
}

/// One move of a case, see [`Platform::transition`].
pub(crate) struct Move<'a> {
    /// The part that moved, and the department's reference when it became known.
    pub part: Option<(i64, Option<&'a str>)>,
    pub to: Status,
    pub actor: &'a str,
    pub note: &'a str,
    /// A license the case issued, with the adapter it came from.
    pub issued: Option<(&'a License, &'a str)>,
    /// The outbox row this move settles.
    pub settles: Option<i64>,
}

const CASE_COLUMNS: &str = "case_no, matter_code, theme_code, status, applicant, form, consent, covered, accepted_at, \
     promised_by, legal_by, provisional, reason, paused, accepted_on, promised_days, legal_days";

/// The promised and legal deadlines of a case from its row (`paused`,
/// `accepted_on`, `promised_days`, `legal_days`) with `paused` in place of the
/// stored pauses; an open pause runs until `today`.
fn deadlines(
    platform: &Platform,
    row: &AnyRow,
    paused: &Pauses,
    today: NaiveDate,
) -> Result<(Deadline, Deadline), PlatformError> {
    let accepted_on: String = row.try_get("accepted_on")?;
    let accepted_on: NaiveDate = accepted_on
        .parse()
        .map_err(|_| store::StoreError::Corrupt(format!("accepted_on is {accepted_on:?}")))?;
    let days = |column: &str| -> Result<u32, PlatformError> {
        let value: i64 = row.try_get(column)?;
        Ok(u32::try_from(value).unwrap_or(u32::MAX))
    };
    let calendar = &platform.calendar;
    Ok((
        calendar.deadline(accepted_on, days("promised_days")?, paused, today),
        calendar.deadline(accepted_on, days("legal_days")?, paused, today),
    ))
}

/// A part's number, matter and status, as a move needs them.
struct PartState {
    part_no: i64,
    matter_code: String,
    matter_name: Option<String>,
    status: Status,
}

impl PartState {
    /// `企业设立登记` (or the matter code once the matter left the catalogue).
    fn label(&self) -> &str {
        self.matter_name.as_deref().unwrap_or(&self.matter_code)
    }
}

async fn case_parts(tx: &mut Tx, case_no: &str) -> Result<Vec<PartState>, PlatformError> {
    let rows = sqlx::query(
        "SELECT p.part_no, p.matter_code, p.status, m.name AS matter_name FROM case_parts p \
         LEFT JOIN matters m ON m.code = p.matter_code WHERE p.case_no = $1 ORDER BY p.part_no",
    )
    .bind(case_no)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|row| {
            let status: String = row.try_get("status")?;
            Ok(PartState {
                part_no: row.try_get("part_no")?,
                matter_code: row.try_get("matter_code")?,
                matter_name: row.try_get("matter_name")?,
                status: Status::parse(&status).ok_or_else(|| {
                    store::StoreError::Corrupt(format!("unknown part status {status:?}"))
                })?,
            })
        })
        .collect()
}

/// Reads the parts and timeline of `case` in `tx`.
/// Reads the parts and timelines of `cases`: two queries, however many cases.
async fn fill_details(tx: &mut Tx, cases: &mut [Case]) -> Result<(), PlatformError> {
    if cases.is_empty() {
        return Ok(());
    }
    let placeholders = (1..=cases.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let parts_sql = format!(
        "SELECT p.case_no, p.part_no, p.matter_code, p.status, p.department_ref, p.reason, \
         m.name AS matter_name, m.department FROM case_parts p \
         LEFT JOIN matters m ON m.code = p.matter_code WHERE p.case_no IN ({placeholders}) \
         ORDER BY p.case_no, p.part_no"
    );
    let mut query = sqlx::query(&parts_sql);
    for case in cases.iter() {
        query = query.bind(&case.case_no);
    }
    let mut parts: HashMap<String, Vec<Part>> = HashMap::new();
    for row in query.fetch_all(&mut **tx).await? {
        let status: String = row.try_get("status")?;
        parts
            .entry(row.try_get("case_no")?)
            .or_default()
            .push(Part {
                part_no: row.try_get("part_no")?,
                matter_code: row.try_get("matter_code")?,
                matter_name: row.try_get("matter_name")?,
                department: row.try_get("department")?,
                status: Status::parse(&status).ok_or_else(|| {
                    store::StoreError::Corrupt(format!("unknown part status {status:?}"))
                })?,
                department_ref: row.try_get("department_ref")?,
                reason: row.try_get("reason")?,
            });
    }
    let steps_sql = format!(
        "SELECT case_no, at, part_no, status, actor, note FROM timeline \
         WHERE case_no IN ({placeholders}) ORDER BY id"
    );
    let mut query = sqlx::query(&steps_sql);
    for case in cases.iter() {
        query = query.bind(&case.case_no);
    }
    let mut steps: HashMap<String, Vec<Step>> = HashMap::new();
    for row in query.fetch_all(&mut **tx).await? {
        let status: String = row.try_get("status")?;
        steps
            .entry(row.try_get("case_no")?)
            .or_default()
            .push(Step {
                at: row.try_get("at")?,
                part_no: row.try_get("part_no")?,
                status: Status::parse(&status).ok_or_else(|| {
                    store::StoreError::Corrupt(format!("unknown timeline status {status:?}"))
                })?,
                actor: row.try_get("actor")?,
                note: row.try_get("note")?,
            });
    }
    for case in cases.iter_mut() {
        case.parts = parts.remove(&case.case_no).unwrap_or_default();
        case.timeline = steps.remove(&case.case_no).unwrap_or_default();
    }
    Ok(())
}

async fn add_step(
    tx: &mut Tx,
    case_no: &str,
    part_no: Option<i64>,
    status: Status,
    actor: &str,
    note: &str,
) -> Result<(), PlatformError> {
    sqlx::query(
        "INSERT INTO timeline (case_no, part_no, at, status, actor, note) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(case_no)
    .bind(part_no)
    .bind(store::now())
    .bind(status.as_str())
    .bind(actor)
    .bind(note)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
