//! Electronic licenses: looked up across every license adapter at once, verified
//! by number, and kept when a case issues one so it is found without asking the
//! department again.

use std::time::Duration;

use serde::Serialize;
use sqlx::Row as _;

use super::{Platform, PlatformError};
use crate::mask;
use crate::model::{License, Party};
use crate::platform::audit::NewEntry;
use crate::store::{self, Tx, json_column};

/// How long a lookup waits for any one department.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(3);

/// The answer of `GET /api/v1/licenses?holder=`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Lookup {
    pub items: Vec<License>,
    /// Departments that did not answer in time or failed; their licenses may be missing.
    pub unavailable: Vec<String>,
}

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

impl Platform {
    /// Every license of `holder` from every license adapter (or only those of
    /// `department`), in parallel, plus those the platform keeps. Audited: who
    /// looked up whose licenses, and why.
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
                let department = adapter.manifest().department.clone();
                let answer =
                    tokio::time::timeout(LOOKUP_TIMEOUT, adapter.licenses_by_holder(&holder)).await;
                (department, answer)
            });
        }
        let mut items = self
            .stored_licenses(holder.id(), sources.as_deref())
            .await?;
        let mut unavailable = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            let Ok((department, answer)) = joined else {
                continue;
            };
            match answer {
                Ok(Ok(found)) => {
                    for license in found {
                        items.retain(|l: &License| {
                            !(l.type_code == license.type_code && l.number == license.number)
                        });
                        items.push(license);
                    }
                }
                Ok(Err(e)) => {
                    tracing::warn!(%department, "license lookup failed: {e}");
                    unavailable.push(department);
                }
                Err(_) => unavailable.push(department),
            }
        }
        items.sort_by(|a, b| (&a.type_name, &a.number).cmp(&(&b.type_name, &b.number)));
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

    /// The license of `type_code` with `number`: kept by the platform, or
    /// verified by the license adapters.
    pub async fn verify_license(
        &self,
        type_code: &str,
        number: &str,
    ) -> Result<License, PlatformError> {
        let row = sqlx::query("SELECT license FROM licenses WHERE type_code = $1 AND number = $2")
            .bind(type_code)
            .bind(number)
            .fetch_optional(self.store.pool())
            .await?;
        if let Some(row) = row {
            return json_column(&row, "license").map_err(Into::into);
        }
        for adapter in self.adapters() {
            if !adapter.exports().licenses {
                continue;
            }
            match adapter.verify_license(type_code, number).await {
                Ok(Some(license)) => return Ok(license),
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(adapter = adapter.id(), "license verification failed: {e}")
                }
            }
        }
        Err(PlatformError::NotFound(format!(
            "no license of type {type_code:?} with number {number:?} is known"
        )))
    }

    /// The licenses of `holder_id` the platform keeps, of every source or only
    /// those `from` these adapters.
    async fn stored_licenses(
        &self,
        holder_id: &str,
        from: Option<&[String]>,
    ) -> Result<Vec<License>, PlatformError> {
        let rows = sqlx::query("SELECT license, source FROM licenses WHERE holder_id = $1")
            .bind(holder_id)
            .fetch_all(self.store.pool())
            .await?;
        let mut kept = Vec::new();
        for row in &rows {
            let source: String = row.try_get("source")?;
            if from.is_none_or(|ids| ids.contains(&source)) {
                kept.push(json_column(row, "license")?);
            }
        }
        Ok(kept)
    }
}

/// Keeps a license a case issued (inside the case's transaction).
pub(crate) async fn keep(
    tx: &mut Tx,
    license: &License,
    source: &str,
    case_no: &str,
) -> Result<(), PlatformError> {
    sqlx::query(
        "INSERT INTO licenses (type_code, number, holder_id, license, source, case_no, stored_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (type_code, number) DO UPDATE SET holder_id = $3, license = $4, source = $5, \
         case_no = $6, stored_at = $7",
    )
    .bind(&license.type_code)
    .bind(&license.number)
    .bind(license.holder.id())
    .bind(serde_json::to_string(license).expect("licenses serialize"))
    .bind(source)
    .bind(case_no)
    .bind(store::now())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A holder as the audit log names it: ID numbers masked, credit codes (public) not.
pub fn mask_holder(holder: &Party) -> String {
    match holder {
        Party::Person { id_number, .. } => format!("person:{}", mask::id_number(id_number)),
        Party::Organization { credit_code, .. } => format!("organization:{credit_code}"),
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
