//! 亮证: an applicant shows one of their licenses with a short-lived
//! verification code, and anyone (a clerk, a bank, a landlord) checks the code
//! at the public verification page, which asks the issuer about the license
//! again and shows only what is needed to trust it.
//!
//! A code is 10 characters of a 32-letter alphabet without look-alikes (50
//! bits), valid for [`VALID_FOR`]; only its sha256 is kept. Showing is
//! audited; so is each successful check (a failed one is only counted, so that
//! guessing cannot fill the audit log).

use std::time::Duration;

use rand::Rng as _;
use serde::Serialize;
use sha2::{Digest as _, Sha256};
use sqlx::Row as _;

use super::licenses::{Found, mask_holder, same_party};
use super::{Platform, PlatformError};
use crate::audit::NewEntry;
use crate::mask;
use crate::model::{License, LicenseStatus, Party};
use crate::store;

/// How long a verification code can be checked.
pub const VALID_FOR: Duration = Duration::from_secs(10 * 60);
/// The letters of a code: no 0/O, 1/I/L.
const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const LENGTH: usize = 10;

/// A license being shown.
#[derive(Debug, Clone, Serialize)]
pub struct Showing {
    /// The verification code, as `ABCDE-FGHJK`.
    pub code: String,
    pub license: License,
    pub expires_at: String,
}

/// What the public verification page shows: no more than it takes to trust
/// the license (the holder's name and the number masked, no face details).
#[derive(Debug, Clone, Serialize)]
pub struct Checked {
    pub type_name: String,
    pub number: String,
    pub holder: String,
    pub issuer: String,
    pub valid_until: Option<String>,
    /// As its issuer answers now (or the kept copy, when the issuer does not answer).
    pub status: LicenseStatus,
    /// Whether the issuer itself answered just now.
    pub confirmed_by_issuer: bool,
    pub shown_at: String,
}

pub(crate) fn digest(code: &str) -> String {
    hex::encode(Sha256::digest(code.as_bytes()))
}

/// A code as typed: letters upper-cased, spaces and dashes dropped.
pub fn normalize(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Whether a normalized code could be one of ours.
pub(crate) fn well_formed(code: &str) -> bool {
    code.len() == LENGTH && code.bytes().all(|b| ALPHABET.contains(&b))
}

/// A new code of [`LENGTH`] letters of [`ALPHABET`].
pub(crate) fn new_code() -> String {
    let mut rng = rand::rng();
    (0..LENGTH)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// A code as printed: `ABCDE-FGHJK`.
pub(crate) fn shown(code: &str) -> String {
    format!("{}-{}", &code[..LENGTH / 2], &code[LENGTH / 2..])
}

impl Platform {
    /// Shows `holder`'s license of `type_code` with `number`, as its issuer
    /// answers now: a new verification code for it. Only a valid license of the
    /// holder's own can be shown.
    pub async fn show_license(
        &self,
        holder: &Party,
        type_code: &str,
        number: &str,
        actor: &str,
    ) -> Result<Showing, PlatformError> {
        let Found { license, .. } = self.verify_license(type_code, number).await?;
        if !same_party(holder, &license.holder) {
            return Err(PlatformError::NotFound("您名下没有这本证照。".to_owned()));
        }
        if license.status != LicenseStatus::Valid {
            return Err(PlatformError::Conflict(format!(
                "这本{}已不在有效状态，不能亮证。",
                license.type_name
            )));
        }
        let code = new_code();
        let now = chrono::Utc::now();
        let expires = now + chrono::Duration::from_std(VALID_FOR).expect("minutes");
        let mut tx = self.store.begin().await?;
        sqlx::query("DELETE FROM license_showings WHERE expires_at < $1")
            .bind(store::timestamp(now))
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO license_showings \
             (code_sha256, holder_id, type_code, number, license, shown_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(digest(&code))
        .bind(holder.id())
        .bind(&license.type_code)
        .bind(&license.number)
        .bind(serde_json::to_string(&license).expect("licenses serialize"))
        .bind(store::timestamp(now))
        .bind(store::timestamp(expires))
        .execute(&mut *tx)
        .await?;
        self.store
            .append_audit(
                &mut tx,
                NewEntry {
                    at: store::now(),
                    actor: actor.to_owned(),
                    action: "license.shown".into(),
                    subject: mask_holder(holder),
                    detail: serde_json::json!({
                        "type_code": license.type_code,
                        "number": mask::id_number(&license.number),
                        "expires_at": store::timestamp(expires),
                    }),
                },
            )
            .await?;
        tx.commit().await.map_err(PlatformError::from)?;
        Ok(Showing {
            code: shown(&code),
            license,
            expires_at: store::timestamp(expires),
        })
    }

    /// The license shown with `code`, checked with its issuer now; `None` for a
    /// code that is unknown or expired.
    pub async fn check_shown_license(&self, code: &str) -> Result<Option<Checked>, PlatformError> {
        let code = normalize(code);
        if !well_formed(&code) {
            metrics::counter!("onewindow_license_codes_refused_total").increment(1);
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT type_code, number, license, shown_at FROM license_showings \
             WHERE code_sha256 = $1 AND expires_at >= $2",
        )
        .bind(digest(&code))
        .bind(store::timestamp(chrono::Utc::now()))
        .fetch_optional(self.store.pool())
        .await?;
        let Some(row) = row else {
            metrics::counter!("onewindow_license_codes_refused_total").increment(1);
            return Ok(None);
        };
        let (type_code, number, kept, shown_at): (String, String, String, String) = (
            row.try_get(0)?,
            row.try_get(1)?,
            row.try_get(2)?,
            row.try_get(3)?,
        );
        let kept: License = serde_json::from_str(&kept)
            .map_err(|e| store::StoreError::Corrupt(format!("a shown license: {e}")))?;
        // The issuer's word now; what was shown when it cannot be asked.
        let (license, confirmed) = match self.verify_license(&type_code, &number).await {
            Ok(found) => {
                let confirmed = matches!(found.source, super::licenses::Source::Issuer);
                (found.license, confirmed)
            }
            Err(PlatformError::NotFound(_)) => (
                License {
                    status: LicenseStatus::Revoked,
                    ..kept
                },
                true,
            ),
            Err(PlatformError::Unavailable(_)) => (kept, false),
            Err(e) => return Err(e),
        };
        self.store
            .audit(NewEntry {
                at: store::now(),
                actor: "public".into(),
                action: "license.checked".into(),
                subject: mask_holder(&license.holder),
                detail: serde_json::json!({
                    "type_code": license.type_code,
                    "number": mask::id_number(&license.number),
                    "status": license.status,
                }),
            })
            .await?;
        Ok(Some(Checked {
            type_name: license.type_name.clone(),
            number: mask::id_number(&license.number),
            holder: mask::name(license.holder.name()),
            issuer: license.issuer.clone(),
            valid_until: license.valid_until.clone(),
            status: license.status,
            confirmed_by_issuer: confirmed,
            shown_at,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_long_unambiguous_and_read_back_however_typed() {
        let code = new_code();
        assert_eq!(code.len(), LENGTH);
        assert!(code.bytes().all(|b| ALPHABET.contains(&b)));
        assert!(!code.contains(['0', 'O', '1', 'I', 'L']));
        let printed = shown(&code);
        assert_eq!(printed.len(), LENGTH + 1);
        assert_eq!(normalize(&printed.to_lowercase()), code);
        assert_eq!(normalize(&format!(" {} ", printed.replace('-', " "))), code);
        assert_ne!(new_code(), new_code());
    }
}
