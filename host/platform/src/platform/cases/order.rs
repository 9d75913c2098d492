//! 一件事 in order: a part that waits for others (公章刻制备案 after
//! 企业设立登记) gets no outbox row at acceptance. Once the parts it waits for
//! have issued their licenses, the move that issued the last of them releases
//! it, in the same transaction: those licenses stand in for its materials, and
//! its delivery is queued. If they end without issuing them, it is returned
//! with the reason.

use super::status::PartState;
use super::*;

/// What a move does to a waiting part.
pub(super) enum Release {
    /// Deliver it now, with these licenses standing in for its materials.
    Deliver {
        part_no: i64,
        covered: Vec<LicenseRef>,
        note: String,
    },
    /// It cannot be done: a part it waits for ended without the license.
    Return { part_no: i64, reason: String },
}

/// The waiting parts among `parts` (as the move leaves them) that can go now,
/// or never will.
pub(super) async fn releases(
    tx: &mut Tx,
    case_no: &str,
    parts: &[PartState],
) -> Result<Vec<Release>, PlatformError> {
    let mut out = Vec::new();
    // The licenses this case issued, read once and only when needed.
    let mut issued: Option<Vec<License>> = None;
    for part in parts {
        let (Some(waits_for), Status::Accepted) = (&part.waits_for, part.status) else {
            continue;
        };
        let awaited: Vec<&PartState> = parts
            .iter()
            .filter(|p| waits_for.contains(&p.part_no))
            .collect();
        let names = awaited
            .iter()
            .map(|p| format!("「{}」", p.label()))
            .collect::<Vec<_>>()
            .join("");
        if let Some(ended) = awaited
            .iter()
            .find(|p| matches!(p.status, Status::Denied | Status::Returned))
        {
            out.push(Release::Return {
                part_no: part.part_no,
                reason: format!(
                    "前序事项「{}」{}，本事项无法办理",
                    ended.label(),
                    ended.status.label()
                ),
            });
            continue;
        }
        // A withdrawn part it waits for: the withdrawal of the case withdraws
        // this one too.
        if !awaited
            .iter()
            .all(|p| matches!(p.status, Status::Approved | Status::Completed))
        {
            continue;
        }
        if issued.is_none() {
            let mut licenses = Vec::new();
            for row in sqlx::query("SELECT license FROM licenses WHERE case_no = $1")
                .bind(case_no)
                .fetch_all(&mut **tx)
                .await?
            {
                let license: License = json_column(&row, "license")?;
                if license.status == LicenseStatus::Valid {
                    licenses.push(license);
                }
            }
            issued = Some(licenses);
        }
        let deferred: Vec<DeferredMaterial> = match &part.deferred {
            Some(json) => serde_json::from_str(json)
                .map_err(|e| store::StoreError::Corrupt(format!("case_parts.deferred: {e}")))?,
            None => Vec::new(),
        };
        let mut covered = Vec::new();
        let mut lacking = Vec::new();
        for material in &deferred {
            match issued
                .iter()
                .flatten()
                .find(|l| l.type_name == material.license_type)
            {
                Some(license) => covered.push(LicenseRef {
                    material_code: material.code.clone(),
                    license: license.clone(),
                }),
                None => lacking.push(material),
            }
        }
        if lacking.is_empty() {
            let mut note = format!("{names}已发证，开始推送");
            if !covered.is_empty() {
                note += &format!(
                    "；免提交材料 {}",
                    covered
                        .iter()
                        .map(|c| format!("{}（{}）", c.material_code, c.license.type_name))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            out.push(Release::Deliver {
                part_no: part.part_no,
                covered,
                note,
            });
        } else if awaited.iter().all(|p| p.status == Status::Completed) {
            out.push(Release::Return {
                part_no: part.part_no,
                reason: format!(
                    "前序事项{names}已办结，但未发放{}，本事项无法办理",
                    lacking
                        .iter()
                        .map(|m| m.license_type.as_str())
                        .collect::<Vec<_>>()
                        .join("、")
                ),
            });
        }
        // Approved without the license yet: it may come with completion.
    }
    Ok(out)
}

/// Writes `releases` in the move's transaction: the released part's outbox row
/// and the licenses that now stand in for its materials, or the returned part's
/// reason; a timeline step for each.
pub(super) async fn apply(
    tx: &mut Tx,
    case_no: &str,
    releases: Vec<Release>,
) -> Result<(), PlatformError> {
    for release in releases {
        match release {
            Release::Deliver {
                part_no,
                covered,
                note,
            } => {
                let stamp = store::now();
                sqlx::query(
                    "INSERT INTO outbox (case_no, part_no, adapter_id, created_at, attempts, next_attempt_at, state, traceparent) \
                     SELECT case_no, part_no, adapter_id, $3, 0, $3, 'pending', $4 FROM case_parts \
                     WHERE case_no = $1 AND part_no = $2",
                )
                .bind(case_no)
                .bind(part_no)
                .bind(&stamp)
                // The trace of what released it (a status poll, a push).
                .bind(crate::trace::current_traceparent())
                .execute(&mut **tx)
                .await?;
                if !covered.is_empty() {
                    let row = sqlx::query("SELECT covered FROM cases WHERE case_no = $1")
                        .bind(case_no)
                        .fetch_one(&mut **tx)
                        .await?;
                    let mut all: Vec<LicenseRef> = json_column(&row, "covered")?;
                    all.extend(covered);
                    sqlx::query("UPDATE cases SET covered = $2 WHERE case_no = $1")
                        .bind(case_no)
                        .bind(serde_json::to_string(&all).expect("license refs serialize"))
                        .execute(&mut **tx)
                        .await?;
                }
                release_part(tx, case_no, part_no, None).await?;
                add_step(
                    tx,
                    case_no,
                    Some(part_no),
                    Status::Accepted,
                    "platform",
                    &note,
                )
                .await?;
            }
            Release::Return { part_no, reason } => {
                release_part(tx, case_no, part_no, Some(&reason)).await?;
                sqlx::query("UPDATE cases SET reason = COALESCE(reason, $2) WHERE case_no = $1")
                    .bind(case_no)
                    .bind(&reason)
                    .execute(&mut **tx)
                    .await?;
                add_step(
                    tx,
                    case_no,
                    Some(part_no),
                    Status::Returned,
                    "platform",
                    &reason,
                )
                .await?;
            }
        }
    }
    Ok(())
}

/// The part waits for nothing any more; returned with `reason` when given.
async fn release_part(
    tx: &mut Tx,
    case_no: &str,
    part_no: i64,
    returned: Option<&str>,
) -> Result<(), PlatformError> {
    sqlx::query(
        "UPDATE case_parts SET waits_for = NULL, status = COALESCE($3, status), \
         reason = COALESCE($4, reason) WHERE case_no = $1 AND part_no = $2",
    )
    .bind(case_no)
    .bind(part_no)
    .bind(returned.map(|_| Status::Returned.as_str()))
    .bind(returned)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
