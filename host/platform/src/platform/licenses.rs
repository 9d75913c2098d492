//! Electronic licenses: looked up across every license adapter at once, verified
//! by number, and kept when a case issues one so it is found without asking the
//! department again.

use std::time::Duration;

use serde::Serialize;
use sqlx::Row as _;

use super::{Platform, PlatformError};
use crate::audit::NewEntry;
use crate::mask;
use crate::model::{License, LicenseStatus, Party};
use crate::store::{self, Tx, json_column};

/// How long a lookup waits for any one department.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(3);

/// Where the platform's answer about a license comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The issuing department answered just now.
    Issuer,
    /// The issuing department did not answer; this is the copy the platform kept
    /// when a case issued the license, as last confirmed at `verified_at`.
    Kept,
}

/// A license as the platform answers it: from its issuer, or the kept copy.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Found {
    #[serde(flatten)]
    pub license: License,
    pub source: Source,
    /// When the issuer last confirmed it (RFC 3339).
    pub verified_at: String,
}

/// The answer of `GET /api/v1/licenses?holder=`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Lookup {
    pub items: Vec<Found>,
    /// Departments that did not answer in time or failed; their licenses may be missing.
    pub unavailable: Vec<String>,
}

/// Whether `a` and `b` are the same person or organization: the same kind and number.
pub fn same_party(a: &Party, b: &Party) -> bool {
    match (a, b) {
        (Party::Person { id_number: x, .. }, Party::Person { id_number: y, .. }) => x == y,
        (
            Party::Organization { credit_code: x, .. },
            Party::Organization { credit_code: y, .. },
        ) => x == y,
        _ => false,
    }
}

/// Whether the holder's number is of its kind: an ID number for a person, a
/// credit code for an organization.
pub fn holder_fits(holder: &Party) -> bool {
    match holder {
        Party::Person { id_number, .. } => onewindow_codes::id_number::validate(id_number).is_ok(),
        Party::Organization { credit_code, .. } => {
            onewindow_codes::credit_code::validate(credit_code).is_ok()
        }
    }
}

/// `license` with the status it has `today`: a valid one past its `valid_until` has expired.
fn as_of(mut license: License, today: chrono::NaiveDate) -> License {
    let lapsed = license
        .valid_until
        .as_deref()
        .and_then(|d| d.parse::<chrono::NaiveDate>().ok())
        .is_some_and(|until| until < today);
    if license.status == LicenseStatus::Valid && lapsed {
        license.status = LicenseStatus::Expired;
    }
    license
}

/// A license the platform keeps, with the adapter it came from.
struct Kept {
    license: License,
    source: String,
    verified_at: String,
}

fn kept_from_row(row: &sqlx::any::AnyRow) -> Result<Kept, PlatformError> {
    let stored_at: String = row.try_get("stored_at")?;
    Ok(Kept {
        license: json_column(row, "license")?,
        source: row.try_get("source")?,
        verified_at: row
            .try_get::<Option<String>, _>("verified_at")?
            .unwrap_or(stored_at),
    })
}

const KEPT_COLUMNS: &str = "license, source, stored_at, verified_at";

/// Works out whether `id` is a resident ID number or a credit code, by its check
/// character.
pub fn holder_party(id: &str, name: &str) -> Result<Party, PlatformError> {
    let id = id.trim();
    let person = onewindow_codes::id_number::validate(id);
    if person.is_ok() {
        return Ok(Party::Person {
            id_number: id.to_owned(),
            name: name.to_owned(),
        });
    }
    let organization = onewindow_codes::credit_code::validate(id);
    if organization.is_ok() {
        return Ok(Party::Organization {
            credit_code: id.to_owned(),
            name: name.to_owned(),
        });
    }
    let reason = if id.chars().any(|c| c.is_ascii_alphabetic() && c != 'X') {
        organization.unwrap_err().to_string()
    } else {
        person.unwrap_err().to_string()
    };
    Err(PlatformError::Invalid {
        field: "holder".into(),
        message: format!(
            "holder must be an 18-character resident ID number or unified social credit code: {reason}"
        ),
    })
}

/// A license the platform refused to keep, as the console lists it (masked as audited).
#[derive(Debug, Clone, Serialize)]
pub struct Rejection {
    pub at: String,
    pub case_no: String,
    pub department: String,
    pub type_name: String,
    pub number: String,
    pub reason: String,
}

/// What the issuer said of a license a case issued.
pub(crate) enum Provenance {
    /// The license may be kept.
    Accepted,
    /// The license is not the adapter's to issue, or not the applicant's; why.
    Rejected(String),
    /// The issuer could not be asked now; try again later.
    Unconfirmed(String),
}

impl Platform {
    /// Every license of `holder` from every license adapter (or only those of
    /// `department`), in parallel. The issuer's answer is the truth; a license
    /// the platform keeps is answered only when its issuer did not answer.
    /// Audited: who looked up whose licenses, and why.
    pub async fn lookup_licenses(
        &self,
        holder: &Party,
        department: Option<&str>,
        actor: &str,
        purpose: &str,
    ) -> Result<Lookup, PlatformError> {
        let mut adapters: Vec<_> = self
            .adapters()
            .into_iter()
            .filter(|a| a.exports().licenses)
            .collect();
        if let Some(department) = department {
            let mut departments: Vec<String> = adapters
                .iter()
                .map(|a| a.manifest().department.clone())
                .collect();
            adapters.retain(|a| a.manifest().department == department);
            if adapters.is_empty() {
                departments.sort();
                departments.dedup();
                return Err(PlatformError::Invalid {
                    field: "department".into(),
                    message: format!(
                        "no department named {department:?} issues licenses here; those that do: {}",
                        departments.join("、")
                    ),
                });
            }
        }
        let sources: Option<Vec<String>> =
            department.map(|_| adapters.iter().map(|a| a.id().to_owned()).collect());
        let mut tasks = tokio::task::JoinSet::new();
        for adapter in adapters {
            let holder = holder.clone();
            tasks.spawn(async move {
                let answer = adapter
                    .licenses_by_holder_within(&holder, LOOKUP_TIMEOUT)
                    .await;
                (
                    adapter.id().to_owned(),
                    adapter.manifest().department.clone(),
                    answer,
                )
            });
        }
        let kept = self.kept_licenses(holder, sources.as_deref()).await?;
        let verified_at = store::now();
        let today = self.today();
        let mut items: Vec<Found> = Vec::new();
        let mut answered = Vec::new();
        let mut unavailable = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            let Ok((id, department, answer)) = joined else {
                continue;
            };
            match answer {
                Ok(found) => {
                    for license in found {
                        // An issuer speaks only of the holder it was asked about.
                        if !same_party(&license.holder, holder) {
                            tracing::warn!(
                                adapter = id,
                                "a holder lookup answered a license of another holder; ignored"
                            );
                            continue;
                        }
                        items.push(Found {
                            license: as_of(license, today),
                            source: Source::Issuer,
                            verified_at: verified_at.clone(),
                        });
                    }
                    answered.push(id);
                }
                Err(e) => {
                    tracing::warn!(%department, "license lookup failed: {e}");
                    unavailable.push(department);
                }
            }
        }
        self.refresh_kept(&kept, &items, &answered).await?;
        for k in kept {
            if !answered.contains(&k.source) {
                items.push(Found {
                    license: as_of(k.license, today),
                    source: Source::Kept,
                    verified_at: k.verified_at,
                });
            }
        }
        items.sort_by(|a, b| {
            (&a.license.type_name, &a.license.number)
                .cmp(&(&b.license.type_name, &b.license.number))
        });
        items.dedup_by(|a, b| {
            a.license.type_code == b.license.type_code && a.license.number == b.license.number
        });
        unavailable.sort();
        self.store
            .audit(NewEntry {
                at: store::now(),
                actor: actor.to_owned(),
                action: "license.lookup".into(),
                subject: mask_holder(holder),
                detail: serde_json::json!({
                    "purpose": purpose,
                    "found": items.len(),
                    "unavailable": unavailable,
                }),
            })
            .await?;
        Ok(Lookup { items, unavailable })
    }

    /// The license of `type_code` with `number`, as its issuer answers it now;
    /// the kept copy when the issuer does not answer.
    pub async fn verify_license(
        &self,
        type_code: &str,
        number: &str,
    ) -> Result<Found, PlatformError> {
        // No license has an empty, control-character or overlong type or
        // number: such is not found, and no department is asked about it.
        let plausible = |text: &str| {
            !text.is_empty() && text.chars().count() <= 64 && !text.chars().any(char::is_control)
        };
        if !plausible(type_code) || !plausible(number) {
            return Err(PlatformError::NotFound(format!(
                "no license of type {type_code:?} with number {number:?} can exist"
            )));
        }
        let kept = sqlx::query(&format!(
            "SELECT {KEPT_COLUMNS} FROM licenses WHERE type_code = $1 AND number = $2"
        ))
        .bind(type_code)
        .bind(number)
        .fetch_optional(self.store.pool())
        .await?
        .map(|row| kept_from_row(&row))
        .transpose()?;
        let today = self.today();
        let unknown = || {
            PlatformError::NotFound(format!(
                "no license of type {type_code:?} with number {number:?} is known to its issuer"
            ))
        };
        // A kept license is asked of the department that issued it.
        let adapters: Vec<_> = self
            .adapters()
            .into_iter()
            .filter(|a| a.exports().licenses)
            .filter(|a| kept.as_ref().is_none_or(|k| k.source == a.id()))
            .collect();
        let mut tasks = tokio::task::JoinSet::new();
        for adapter in adapters {
            let (type_code, number) = (type_code.to_owned(), number.to_owned());
            tasks.spawn(async move {
                let answer = adapter
                    .verify_license_within(&type_code, &number, LOOKUP_TIMEOUT)
                    .await;
                (
                    adapter.id().to_owned(),
                    adapter.manifest().department.clone(),
                    answer,
                )
            });
        }
        let mut unavailable = Vec::new();
        let mut answered = Vec::new();
        let mut confirmed = None;
        while let Some(joined) = tasks.join_next().await {
            let Ok((id, department, answer)) = joined else {
                continue;
            };
            match answer {
                Ok(Some(license)) if license.type_code == type_code && license.number == number => {
                    confirmed.get_or_insert(license);
                    answered.push(id);
                }
                Ok(_) => answered.push(id),
                Err(e) => {
                    tracing::warn!(adapter = id, "license verification failed: {e}");
                    unavailable.push(department);
                }
            }
        }
        if let Some(license) = confirmed {
            let found = Found {
                license: as_of(license, today),
                source: Source::Issuer,
                verified_at: store::now(),
            };
            if let Some(k) = &kept {
                self.refresh_kept(
                    std::slice::from_ref(k),
                    std::slice::from_ref(&found),
                    &answered,
                )
                .await?;
            }
            return Ok(found);
        }
        match kept {
            // The issuer answered and does not know it: the kept copy proves nothing.
            Some(k) if answered.contains(&k.source) => Err(unknown()),
            Some(k) => Ok(Found {
                license: as_of(k.license, today),
                source: Source::Kept,
                verified_at: k.verified_at,
            }),
            None if unavailable.is_empty() => Err(unknown()),
            None => {
                unavailable.sort();
                unavailable.dedup();
                Err(PlatformError::Unavailable(format!(
                    "license {number:?} of type {type_code:?} was not found, and {} did not answer; try again later",
                    unavailable.join("、")
                )))
            }
        }
    }

    /// Brings kept copies up to date with what their issuers just answered.
    async fn refresh_kept(
        &self,
        kept: &[Kept],
        answers: &[Found],
        answered: &[String],
    ) -> Result<(), PlatformError> {
        for k in kept.iter().filter(|k| answered.contains(&k.source)) {
            let Some(fresh) = answers.iter().find(|f| {
                f.license.type_code == k.license.type_code && f.license.number == k.license.number
            }) else {
                continue;
            };
            if !same_party(&fresh.license.holder, &k.license.holder) {
                continue;
            }
            sqlx::query(
                "UPDATE licenses SET license = $3, verified_at = $4 \
                 WHERE type_code = $1 AND number = $2 AND source = $5",
            )
            .bind(&k.license.type_code)
            .bind(&k.license.number)
            .bind(serde_json::to_string(&fresh.license).expect("licenses serialize"))
            .bind(&fresh.verified_at)
            .bind(&k.source)
            .execute(self.store.writer())
            .await?;
        }
        Ok(())
    }

    /// The licenses of `holder` the platform keeps, of every source or only
    /// those `from` these adapters.
    async fn kept_licenses(
        &self,
        holder: &Party,
        from: Option<&[String]>,
    ) -> Result<Vec<Kept>, PlatformError> {
        let rows = sqlx::query(&format!(
            "SELECT {KEPT_COLUMNS} FROM licenses WHERE holder_id = $1"
        ))
        .bind(holder.id())
        .fetch_all(self.store.pool())
        .await?;
        let mut kept = Vec::new();
        for row in &rows {
            let k = kept_from_row(row)?;
            if same_party(&k.license.holder, holder)
                && from.is_none_or(|ids| ids.contains(&k.source))
            {
                kept.push(k);
            }
        }
        Ok(kept)
    }

    /// The latest licenses the platform refused to keep (audited as
    /// `license.rejected`), newest first, for the operator console.
    pub async fn rejected_licenses(&self) -> Result<Vec<Rejection>, PlatformError> {
        let rows = sqlx::query(
            "SELECT at, subject, detail FROM audit WHERE action = 'license.rejected'              ORDER BY seq DESC LIMIT 50",
        )
        .fetch_all(self.store.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let detail: serde_json::Value = json_column(row, "detail")?;
                let text = |key: &str| detail[key].as_str().unwrap_or_default().to_owned();
                Ok(Rejection {
                    at: row.try_get("at")?,
                    case_no: row.try_get("subject")?,
                    department: text("department"),
                    type_name: text("type_name"),
                    number: text("number"),
                    reason: text("reason"),
                })
            })
            .collect()
    }

    /// Whether `id` has applied for a case or holds a kept license.
    async fn party_known(&self, id: &str) -> Result<bool, PlatformError> {
        let known: Option<i64> = sqlx::query_scalar(
            "SELECT CAST(1 AS BIGINT) FROM cases WHERE applicant_id = $1 UNION ALL \
             SELECT CAST(1 AS BIGINT) FROM licenses WHERE holder_id = $1 LIMIT 1",
        )
        .bind(id)
        .fetch_optional(self.store.pool())
        .await?;
        Ok(known.is_some())
    }

    /// Whether the license an event of `adapter` on `case_no` issues may be kept:
    /// its holder's number fits its kind, it is the applicant's (or the
    /// representative's, or a new organization's that a person founds), no other department or holder has it already, and
    /// the adapter's own department confirms it through `licenses.verify`.
    pub(crate) async fn provenance(
        &self,
        adapter: &dyn crate::adapter::Adapter,
        case_no: &str,
        license: &License,
    ) -> Result<Provenance, PlatformError> {
        let department = &adapter.manifest().department;
        let what = format!("{} {}", license.type_name, mask::text(&license.number));
        let holder = mask_holder(&license.holder);
        if !holder_fits(&license.holder) {
            return Ok(Provenance::Rejected(format!(
                "{what} 的持证主体 {holder} 的证件号码与主体类型不符（自然人须为公民身份号码，组织须为统一社会信用代码）"
            )));
        }
        let row = sqlx::query("SELECT applicant, representative FROM cases WHERE case_no = $1")
            .bind(case_no)
            .fetch_one(self.store.pool())
            .await?;
        let applicant: Party = json_column(&row, "applicant")?;
        let representative: Option<String> = row.try_get("representative")?;
        let representative: Option<Party> = representative
            .map(|r| serde_json::from_str(&r))
            .transpose()
            .map_err(|e| store::StoreError::Corrupt(format!("representative: {e}")))?;
        let owns = std::iter::once(&applicant)
            .chain(&representative)
            .any(|p| same_party(p, &license.holder));
        // A person founding a company (企业设立登记) gets the license of an
        // organization that did not exist before: one the platform has never
        // seen as an applicant or a holder.
        let founds = !owns
            && matches!(applicant, Party::Person { .. })
            && matches!(license.holder, Party::Organization { .. })
            && !self.party_known(license.holder.id()).await?;
        if !owns && !founds {
            return Ok(Provenance::Rejected(format!(
                "{what} 的持证主体 {holder} 不是办件 {case_no} 的申请人或其代理人，也不是该办件新设立的组织"
            )));
        }
        let existing = sqlx::query(&format!(
            "SELECT {KEPT_COLUMNS} FROM licenses WHERE type_code = $1 AND number = $2"
        ))
        .bind(&license.type_code)
        .bind(&license.number)
        .fetch_optional(self.store.pool())
        .await?
        .map(|row| kept_from_row(&row))
        .transpose()?;
        if let Some(k) = existing
            && (k.source != adapter.id() || !same_party(&k.license.holder, &license.holder))
        {
            return Ok(Provenance::Rejected(format!(
                "{what} 已由平台留存（来源 {}，持证主体 {}），不能被另一部门或另一持证主体覆盖",
                k.source,
                mask_holder(&k.license.holder)
            )));
        }
        if !adapter.exports().licenses {
            return Ok(Provenance::Rejected(format!(
                "{department}的适配器不提供电子证照接口，无法核验其颁发的 {what}"
            )));
        }
        match adapter
            .verify_license_within(&license.type_code, &license.number, LOOKUP_TIMEOUT)
            .await
        {
            Ok(Some(confirmed))
                if confirmed.type_code == license.type_code
                    && confirmed.number == license.number
                    && same_party(&confirmed.holder, &license.holder) =>
            {
                Ok(Provenance::Accepted)
            }
            Ok(Some(_)) => Ok(Provenance::Rejected(format!(
                "{department}核验 {what} 时答复的持证主体或证照与办件结果不一致"
            ))),
            Ok(None) => Ok(Provenance::Rejected(format!(
                "{department}不颁发或不掌握 {what}（类型代码 {}）",
                license.type_code
            ))),
            Err(e) if e.is_retryable() => Ok(Provenance::Unconfirmed(e.to_string())),
            Err(e) => Ok(Provenance::Rejected(format!(
                "{department}核验 {what} 失败：{e}"
            ))),
        }
    }
}

/// What a license change reported by a department did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Changed {
    /// The kept copy, and the open cases it covered materials of, follow it.
    Applied,
    /// Nothing to do: the platform neither keeps the license nor covers an
    /// open case's material with it, or already knows its status.
    Unchanged,
    /// Not the department's license to change: nothing changed, and the
    /// rejection is audited.
    Rejected,
}

impl Platform {
    /// Applies a license change `adapter` reported (0.2 `license-changed`):
    /// the kept copy takes the new status, and an open case whose material the
    /// license covered (免提交) no longer counts it once it is revoked or
    /// expired; the timeline says which material must now be handed in.
    ///
    /// Only the issuer may change a license: the adapter the platform kept it
    /// from, or, for a license it does not keep, one whose department confirms
    /// the license and its holder through `licenses.verify`.
    pub async fn license_changed(
        &self,
        adapter: &dyn crate::adapter::Adapter,
        event: &crate::model::LicenseEvent,
    ) -> Result<Changed, PlatformError> {
        let license = &event.license;
        let what = format!("{} {}", license.type_name, mask::text(&license.number));
        let kept = sqlx::query(&format!(
            "SELECT {KEPT_COLUMNS} FROM licenses WHERE type_code = $1 AND number = $2"
        ))
        .bind(&license.type_code)
        .bind(&license.number)
        .fetch_optional(self.store.pool())
        .await?
        .map(|row| kept_from_row(&row))
        .transpose()?;
        let refusal = match &kept {
            Some(k) if k.source != adapter.id() => Some(format!(
                "{what} 由 {} 颁发并留存，{} 无权变更其状态",
                k.source,
                adapter.id()
            )),
            Some(k) if !same_party(&k.license.holder, &license.holder) => Some(format!(
                "{what} 的持证主体与平台留存的不一致，状态变更不予采用"
            )),
            Some(_) => None,
            None => self.issuer_confirms(adapter, license, &what).await?,
        };
        if let Some(reason) = refusal {
            tracing::warn!(adapter = adapter.id(), "license change rejected: {reason}");
            metrics::counter!("onewindow_licenses_rejected_total", "adapter" => adapter.id().to_owned())
                .increment(1);
            self.store
                .audit(NewEntry {
                    at: store::now(),
                    actor: format!("adapter:{}", adapter.id()),
                    action: "license.rejected".into(),
                    subject: what.clone(),
                    detail: serde_json::json!({
                        "adapter": adapter.id(),
                        "type_code": license.type_code,
                        "number": mask::text(&license.number),
                        "holder": mask_holder(&license.holder),
                        "status": license.status,
                        "reason": reason,
                    }),
                })
                .await?;
            return Ok(Changed::Rejected);
        }
        let mut tx = self.store.begin().await?;
        let mut changed = false;
        if let Some(k) = &kept
            && k.license.status != license.status
        {
            sqlx::query(
                "UPDATE licenses SET license = $3, verified_at = $4 WHERE type_code = $1 AND number = $2",
            )
            .bind(&license.type_code)
            .bind(&license.number)
            .bind(serde_json::to_string(license).expect("licenses serialize"))
            .bind(store::now())
            .execute(&mut *tx)
            .await?;
            changed = true;
        }
        let mut uncovered = Vec::new();
        if license.status != LicenseStatus::Valid {
            // The number is in the covered JSON as written; each match is checked.
            let rows =
                sqlx::query("SELECT case_no, status, covered FROM cases WHERE covered LIKE $1")
                    .bind(format!("%{}%", license.number.replace(['%', '_'], "")))
                    .fetch_all(&mut *tx)
                    .await?;
            for row in &rows {
                let status: String = row.try_get("status")?;
                let Some(status) = super::lifecycle::Status::parse(&status) else {
                    continue;
                };
                if status.is_final() {
                    continue;
                }
                let case_no: String = row.try_get("case_no")?;
                let mut covered: Vec<crate::model::LicenseRef> = json_column(row, "covered")?;
                let (gone, kept_refs): (Vec<_>, Vec<_>) = covered.drain(..).partition(|r| {
                    r.license.type_code == license.type_code && r.license.number == license.number
                });
                if gone.is_empty() {
                    continue;
                }
                sqlx::query("UPDATE cases SET covered = $2, updated_at = $3 WHERE case_no = $1")
                    .bind(&case_no)
                    .bind(serde_json::to_string(&kept_refs).expect("license refs serialize"))
                    .bind(store::now())
                    .execute(&mut *tx)
                    .await?;
                let materials: Vec<&str> = gone.iter().map(|r| r.material_code.as_str()).collect();
                let note = format!(
                    "{what} 已{}，不再代替材料 {}；请申请人另行提交{}",
                    status_word(license.status),
                    materials.join("、"),
                    if event.note.trim().is_empty() {
                        String::new()
                    } else {
                        format!("（发证机关：{}）", mask::text(&event.note))
                    }
                );
                super::cases::add_step(
                    &mut tx,
                    &case_no,
                    None,
                    status,
                    &format!("adapter:{}", adapter.id()),
                    &note,
                )
                .await?;
                uncovered.push(serde_json::json!({"case_no": case_no, "materials": materials}));
                changed = true;
            }
        }
        if !changed {
            tx.commit().await?;
            return Ok(Changed::Unchanged);
        }
        self.store
            .append_audit(
                &mut tx,
                NewEntry {
                    at: store::now(),
                    actor: format!("adapter:{}", adapter.id()),
                    action: "license.changed".into(),
                    subject: what,
                    detail: serde_json::json!({
                        "type_code": license.type_code,
                        "number": mask::text(&license.number),
                        "holder": mask_holder(&license.holder),
                        "status": license.status,
                        "at": event.at,
                        "uncovered": uncovered,
                    }),
                },
            )
            .await?;
        tx.commit().await?;
        Ok(Changed::Applied)
    }

    /// Why `adapter` may not change `license` it did not issue through the
    /// platform; none when its department confirms the license and holder.
    async fn issuer_confirms(
        &self,
        adapter: &dyn crate::adapter::Adapter,
        license: &License,
        what: &str,
    ) -> Result<Option<String>, PlatformError> {
        if !adapter.exports().licenses {
            return Ok(Some(format!(
                "{} 的适配器不提供电子证照接口，无法核验 {what}",
                adapter.id()
            )));
        }
        Ok(
            match adapter
                .verify_license_within(&license.type_code, &license.number, LOOKUP_TIMEOUT)
                .await
            {
                Ok(Some(confirmed)) if same_party(&confirmed.holder, &license.holder) => None,
                Ok(_) => Some(format!("{} 不掌握 {what}，无权变更其状态", adapter.id())),
                Err(e) if e.is_retryable() => {
                    return Err(PlatformError::Unavailable(format!(
                        "the change of {what} cannot be confirmed with its issuer now: {e}"
                    )));
                }
                Err(e) => Some(format!("{} 核验 {what} 失败：{e}", adapter.id())),
            },
        )
    }
}

/// The Chinese word for a license's status.
fn status_word(status: LicenseStatus) -> &'static str {
    match status {
        LicenseStatus::Valid => "恢复有效",
        LicenseStatus::Revoked => "吊销或注销",
        LicenseStatus::Expired => "过期",
    }
}

/// Keeps a license a case issued (inside the case's transaction); a license
/// kept from another adapter or for another holder is never overwritten.
pub(crate) async fn keep(
    tx: &mut Tx,
    license: &License,
    source: &str,
    case_no: &str,
) -> Result<(), PlatformError> {
    let now = store::now();
    sqlx::query(
        "INSERT INTO licenses (type_code, number, holder_id, license, source, case_no, stored_at, verified_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
         ON CONFLICT (type_code, number) DO UPDATE SET license = $4, case_no = $6, stored_at = $7, verified_at = $7 \
         WHERE licenses.source = $5 AND licenses.holder_id = $3",
    )
    .bind(&license.type_code)
    .bind(&license.number)
    .bind(license.holder.id())
    .bind(serde_json::to_string(license).expect("licenses serialize"))
    .bind(source)
    .bind(case_no)
    .bind(&now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A holder as the audit log names it: ID numbers masked, credit codes (public) not.
pub fn mask_holder(holder: &Party) -> String {
    match holder {
        Party::Person { id_number, .. } => format!("person:{}", mask::id_number(id_number)),
        // A "credit code" may be a person's ID number in disguise: masked then.
        Party::Organization { credit_code, .. } => {
            format!("organization:{}", mask::text(credit_code))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holders_are_told_apart_by_their_check_character() {
        assert!(matches!(
            holder_party("11010519491231002X", "").unwrap(),
            Party::Person { .. }
        ));
        assert!(matches!(
            holder_party("91350100M000100Y43", "").unwrap(),
            Party::Organization { .. }
        ));
        let err = holder_party("110105194912310021", "")
            .unwrap_err()
            .to_string();
        assert!(err.contains("check character"), "{err}");
    }
}
