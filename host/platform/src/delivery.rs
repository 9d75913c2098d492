//! Delivery: the outbox worker that hands accepted cases to adapters, and the
//! sync of their status back (polling `cases.events` with a cursor kept per
//! adapter, and pushes to `/hooks/{adapter}`). Nothing accepted is lost: a case
//! leaves the outbox only in the transaction that records its delivery.

use std::time::Duration;

use indexmap::IndexMap;
use rand::Rng;
use sqlx::Row;
use tracing::Instrument as _;

use crate::adapter::Adapter;
use crate::audit::NewEntry;
use crate::mask;
use crate::model::{CaseEvent, CaseSubmission, License, LicenseRef};
use crate::platform::cases::{Move, material_of};
use crate::platform::licenses::{Provenance, mask_holder};
use crate::platform::lifecycle::Status;
use crate::platform::{Platform, PlatformError};
use crate::store::{self, json_column};

/// How often the outbox is looked at.
const TICK: Duration = Duration::from_millis(100);
/// How often the outbox depth gauge is refreshed.
const DEPTH_EVERY: Duration = Duration::from_secs(1);
/// Rows handed to adapters per tick.
const BATCH: i64 = 64;
/// Pages of events read per adapter per poll.
const MAX_PAGES: usize = 20;

/// How often the registry is read for adapters activated or disabled by
/// another replica.
const REGISTRY_POLL: Duration = Duration::from_secs(1);

/// Starts the delivery worker, the status poller, the catalogue sync and the
/// registry follower.
pub fn spawn(platform: Platform) -> Vec<tokio::task::JoinHandle<()>> {
    let deliver = platform.clone();
    let poll = platform.clone();
    let registry = platform.clone();
    let sync = platform;
    vec![
        tokio::spawn(async move {
            let mut depth_read: Option<tokio::time::Instant> = None;
            // A group is recorded while the next is being delivered: the
            // adapters' calls and the database's writes overlap.
            let mut recording: Option<tokio::task::JoinHandle<()>> = None;
            loop {
                // Counting the outbox is a query of its own: once a second is
                // enough for the gauge, however busy delivery is.
                if depth_read.is_none_or(|at| at.elapsed() >= DEPTH_EVERY) {
                    if let Err(e) = record_depth(&deliver).await {
                        tracing::error!("delivery worker: counting the outbox: {e}");
                    }
                    depth_read = Some(tokio::time::Instant::now());
                }
                let delivered = claim_and_deliver(&deliver).await;
                if let Some(previous) = recording.take()
                    && let Err(e) = previous.await
                {
                    tracing::error!("delivery worker: recording a group: {e}");
                }
                match delivered {
                    Ok(group) if group.tried > 0 => {
                        let platform = deliver.clone();
                        recording =
                            Some(tokio::spawn(async move { record(&platform, group).await }));
                        continue;
                    }
                    Ok(_) => {}
                    Err(e) => tracing::error!("delivery worker: {e}"),
                }
                tokio::time::sleep(TICK).await;
            }
        }),
        tokio::spawn(async move {
            loop {
                for adapter in poll.adapters() {
                    if !adapter.exports().cases {
                        continue;
                    }
                    // Each poll is a trace of its own.
                    let span = tracing::info_span!(
                        parent: None,
                        "status poll",
                        adapter = adapter.id(),
                        trace_id = tracing::field::Empty,
                    );
                    crate::trace::record_trace_id(&span);
                    if let Err(e) = poll_events(&poll, adapter.as_ref()).instrument(span).await {
                        tracing::warn!(adapter = adapter.id(), "status poll: {e}");
                    }
                }
                tokio::time::sleep(poll.config.delivery.poll_interval).await;
            }
        }),
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(REGISTRY_POLL).await;
                match registry.load_registry().await {
                    Ok(changed) => {
                        for id in changed {
                            registry.sync_catalogue_of(&id).await;
                        }
                    }
                    Err(e) => tracing::error!("following the adapter registry: {e}"),
                }
            }
        }),
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(sync.config.delivery.catalogue_sync_interval).await;
                let report = sync.sync_catalogue().await;
                if report.failed.is_empty() {
                    tracing::debug!(?report, "catalogue synced");
                } else {
                    tracing::warn!(?report, "catalogue synced, but not from every adapter");
                }
            }
        }),
    ]
}

struct Due {
    id: i64,
    case_no: String,
    part_no: i64,
    adapter_id: String,
    attempts: i64,
    created_at: String,
    /// The trace of the acceptance (or release) that wrote the row.
    traceparent: Option<String>,
}

/// Sets the `onewindow_outbox_depth` gauge: the cases waiting for delivery.
async fn record_depth(platform: &Platform) -> Result<(), PlatformError> {
    let depth: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE state = 'pending'")
        .fetch_one(platform.store.pool())
        .await?;
    metrics::gauge!("onewindow_outbox_depth").set(depth as f64);
    Ok(())
}

/// Hands every due outbox row to its adapter; returns how many were tried.
///
/// The due rows are claimed in one statement, delivered side by side (each
/// adapter's `max-concurrency` bounds its own calls), and what the departments
/// answered is recorded in one transaction: a group of deliveries costs the
/// database about what one did, so delivery keeps pace with group-committed
/// acceptance.
pub async fn deliver_due(platform: &Platform) -> Result<usize, PlatformError> {
    let group = claim_and_deliver(platform).await?;
    let tried = group.tried;
    record(platform, group).await;
    Ok(tried)
}

/// What a group of deliveries came to: how many rows were tried, and the
/// departments' answers to record.
struct Group {
    tried: usize,
    answered: Vec<Answered>,
}

/// Claims the due rows and hands them to their adapters side by side.
async fn claim_and_deliver(platform: &Platform) -> Result<Group, PlatformError> {
    let now = store::now();
    let lease = store::timestamp(chrono::Utc::now() + platform.config.delivery.claim_lease);
    // Claimed by moving the next attempt past the lease. Only one claimant
    // gets a row: on PostgreSQL a replica that picked the same rows waits for
    // their lock and then finds them no longer due.
    let rows = sqlx::query(
        "UPDATE outbox SET next_attempt_at = $2 \
         WHERE state = 'pending' AND next_attempt_at <= $1 AND id IN \
         (SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= $1 ORDER BY id LIMIT $3) \
         RETURNING id, case_no, part_no, adapter_id, attempts, created_at, traceparent",
    )
    .bind(&now)
    .bind(&lease)
    .bind(BATCH)
    .fetch_all(platform.store.writer())
    .await?;
    let claimed: Vec<Due> = rows
        .iter()
        .map(|r| {
            Ok(Due {
                id: r.try_get("id")?,
                case_no: r.try_get("case_no")?,
                part_no: r.try_get("part_no")?,
                adapter_id: r.try_get("adapter_id")?,
                attempts: r.try_get("attempts")?,
                created_at: r.try_get("created_at")?,
                traceparent: r.try_get("traceparent")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    let n = claimed.len();
    let mut tasks = tokio::task::JoinSet::new();
    for row in claimed {
        let platform = platform.clone();
        // Each attempt is a span of the trace that accepted the case.
        let span = tracing::info_span!(
            "delivery",
            case_no = %row.case_no,
            part_no = row.part_no,
            adapter = %row.adapter_id,
            attempt = row.attempts + 1,
            trace_id = tracing::field::Empty,
        );
        crate::trace::continue_traceparent(&span, row.traceparent.as_deref());
        tasks.spawn(
            async move {
                let case_no = row.case_no.clone();
                deliver_one(&platform, row).await.unwrap_or_else(|e| {
                    tracing::error!(case_no, "delivery bookkeeping failed: {e}");
                    None
                })
            }
            .instrument(span),
        );
    }
    let answered = tasks.join_all().await.into_iter().flatten().collect();
    Ok(Group { tried: n, answered })
}

/// Records what the departments answered to a group of deliveries, in one
/// transaction (see [`Platform::transitions`]).
async fn record(platform: &Platform, group: Group) {
    let moves: Vec<(&str, Move<'_>)> = group
        .answered
        .iter()
        .map(|a| {
            let (to, reference) = match &a.reference {
                Some(reference) => (Status::Delivered, Some(reference.as_str())),
                None => (Status::Returned, None),
            };
            (
                a.case_no.as_str(),
                Move {
                    part: Some((a.part_no, reference)),
                    to,
                    actor: &a.actor,
                    note: &a.note,
                    issued: None,
                    settles: Some(a.id),
                },
            )
        })
        .collect();
    for ((case_no, _), recorded) in moves.iter().zip(platform.transitions(&moves).await) {
        if let Err(e) = recorded {
            // The row stays claimed until its lease ends, and is tried again then.
            tracing::error!(case_no, "recording a delivery failed: {e}");
        }
    }
}

/// A department's answer to a delivery, to be recorded with the others of its
/// group: its reference (delivered), or none (returned, with the reason).
struct Answered {
    id: i64,
    case_no: String,
    part_no: i64,
    actor: String,
    reference: Option<String>,
    note: String,
}

/// What the adapter of part `part_no` receives: the case with that part's matter,
/// and of a theme (一件事) case only the attachments, licenses and qualified form
/// fields of that matter.
async fn submission(
    platform: &Platform,
    case_no: &str,
    part_no: i64,
) -> Result<CaseSubmission, PlatformError> {
    let row = sqlx::query(
        "SELECT p.matter_code, c.theme_code, c.applicant, c.accepted_at, c.form, c.covered \
         FROM case_parts p JOIN cases c ON c.case_no = p.case_no \
         WHERE p.case_no = $1 AND p.part_no = $2",
    )
    .bind(case_no)
    .bind(part_no)
    .fetch_one(platform.store.pool())
    .await?;
    let matter_code: String = row.try_get("matter_code")?;
    let theme = row.try_get::<Option<String>, _>("theme_code")?.is_some();
    let own = |code: &str| material_of(code, &matter_code, theme).map(str::to_owned);
    let mut attachments = Vec::new();
    for a in sqlx::query(
        "SELECT material_code, file_name, media_type, content FROM attachments WHERE case_no = $1",
    )
    .bind(case_no)
    .fetch_all(platform.store.pool())
    .await?
    {
        let code: String = a.try_get("material_code")?;
        if let Some(material_code) = own(&code) {
            attachments.push(crate::model::Attachment {
                material_code,
                file_name: a.try_get("file_name")?,
                media_type: a.try_get("media_type")?,
                content_base64: a.try_get("content")?,
            });
        }
    }
    let covered: Vec<LicenseRef> = json_column(&row, "covered")?;
    let licenses = covered
        .into_iter()
        .filter_map(|l| {
            Some(LicenseRef {
                material_code: own(&l.material_code)?,
                license: l.license,
            })
        })
        .collect();
    // A theme's form is shared by its parts, but for fields qualified as
    // `<matter code>/<field>`: those go to that matter's part only.
    let form: IndexMap<String, String> = json_column(&row, "form")?;
    let form = if theme {
        form.into_iter()
            .filter_map(|(key, value)| match key.split_once('/') {
                None => Some((key, value)),
                Some((matter, field)) => (matter == matter_code).then(|| (field.to_owned(), value)),
            })
            .collect()
    } else {
        form
    };
    Ok(CaseSubmission {
        case_no: case_no.to_owned(),
        matter_code,
        applicant: json_column(&row, "applicant")?,
        accepted_at: row.try_get("accepted_at")?,
        form,
        attachments,
        licenses,
    })
}

/// Hands one claimed row to its adapter: the department's answer to record,
/// or none when the delivery is to be retried (already written down).
async fn deliver_one(platform: &Platform, row: Due) -> Result<Option<Answered>, PlatformError> {
    let actor = format!("adapter:{}", row.adapter_id);
    let Some(adapter) = platform.adapter(&row.adapter_id) else {
        let error = format!("adapter {} is not loaded", row.adapter_id);
        return retry_later(platform, &row, &error).await.map(|()| None);
    };
    let submission = submission(platform, &row.case_no, row.part_no).await?;
    let answered = |reference, note| Answered {
        id: row.id,
        case_no: row.case_no.clone(),
        part_no: row.part_no,
        actor: actor.clone(),
        reference,
        note,
    };
    match adapter.submit_case(&submission).await {
        Ok(reference) => {
            let note = format!(
                "已推送{}，业务流水号 {reference}",
                adapter.manifest().department
            );
            Ok(Some(answered(Some(reference), note)))
        }
        Err(e) if e.is_retryable() => retry_later(platform, &row, &e.to_string())
            .await
            .map(|()| None),
        Err(e) => {
            // invalid or refused: back to the clerk with the department's reason.
            let reason = match &e {
                crate::adapter::CallError::Adapter { error, .. } => error.to_string(),
                other => other.to_string(),
            };
            Ok(Some(answered(None, reason)))
        }
    }
}

/// Exponential backoff with jitter, until the retry horizon; then the case shows
/// `delivery_failed` to operators.
async fn retry_later(platform: &Platform, row: &Due, error: &str) -> Result<(), PlatformError> {
    let delivery = &platform.config.delivery;
    let attempts = row.attempts + 1;
    let created = chrono::DateTime::parse_from_rfc3339(&row.created_at)
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_else(|_| chrono::Utc::now());
    let horizon = created + delivery.retry_horizon;
    let now = chrono::Utc::now();
    if now >= horizon {
        sqlx::query(
            "UPDATE outbox SET state = 'failed', attempts = $2, last_error = $3 WHERE id = $1",
        )
        .bind(row.id)
        .bind(attempts)
        .bind(error)
        .execute(platform.store.writer())
        .await?;
        let note = format!("推送失败（{attempts} 次）：{error}");
        let actor = format!("adapter:{}", row.adapter_id);
        platform
            .transition(
                &row.case_no,
                Move {
                    part: Some((row.part_no, None)),
                    to: Status::DeliveryFailed,
                    actor: &actor,
                    note: &note,
                    issued: None,
                    settles: None,
                },
            )
            .await?;
        return Ok(());
    }
    let exponent = u32::try_from(attempts.min(20)).unwrap_or(20);
    let base = delivery
        .initial_backoff
        .saturating_mul(2u32.saturating_pow(exponent - 1))
        .min(delivery.max_backoff);
    let jitter = rand::rng().random_range(0.75..1.25);
    let wait = base.mul_f64(jitter);
    let next = store::timestamp(now + wait);
    sqlx::query(
        "UPDATE outbox SET attempts = $2, next_attempt_at = $3, last_error = $4 WHERE id = $1",
    )
    .bind(row.id)
    .bind(attempts)
    .bind(&next)
    .bind(error)
    .execute(platform.store.writer())
    .await?;
    tracing::warn!(
        case_no = row.case_no,
        attempts,
        ?wait,
        "delivery will be retried: {error}"
    );
    Ok(())
}

/// An operator's retry of a case whose delivery failed.
pub async fn retry(
    platform: &Platform,
    case_no: &str,
    operator: &str,
) -> Result<(), PlatformError> {
    let reset = sqlx::query(
        "UPDATE outbox SET state = 'pending', attempts = 0, created_at = $2, next_attempt_at = $2 \
         WHERE case_no = $1 AND state = 'failed'",
    )
    .bind(case_no)
    .bind(store::now())
    .execute(platform.store.writer())
    .await?
    .rows_affected();
    if reset == 0 {
        return Err(PlatformError::Conflict(format!(
            "case {case_no} has no failed delivery to retry"
        )));
    }
    platform
        .transition(
            case_no,
            Move {
                part: None,
                to: Status::Accepted,
                actor: operator,
                note: "运维重新推送",
                issued: None,
                settles: None,
            },
        )
        .await
        .map(drop)
}

/// What applying an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Moved,
    /// Already applied, or the case has moved past it.
    Skipped,
    /// The case is not delivered yet as far as the platform knows, or the
    /// license it issues could not be confirmed now: try again later.
    Deferred,
    /// The event issues a license that is not the adapter's to issue or not
    /// the applicant's: nothing moved, and the rejection is audited.
    Rejected,
}

/// Applies one status change reported by `adapter`.
pub async fn apply_event(
    platform: &Platform,
    adapter: &dyn Adapter,
    event: &CaseEvent,
) -> Result<Applied, PlatformError> {
    let part = sqlx::query(
        "SELECT part_no, status FROM case_parts WHERE case_no = $1 AND adapter_id = $2",
    )
    .bind(&event.case_no)
    .bind(adapter.id())
    .fetch_optional(platform.store.pool())
    .await?;
    let Some(part) = part else {
        tracing::warn!(
            adapter = adapter.id(),
            case_no = event.case_no,
            "event for a case this adapter does not handle"
        );
        return Ok(Applied::Skipped);
    };
    let part_no: i64 = part.try_get("part_no")?;
    let current: String = part.try_get("status")?;
    let current = Status::parse(&current).unwrap_or(Status::Accepted);
    let to = Status::from(event.status);
    if current == to {
        return Ok(Applied::Skipped);
    }
    if current == Status::Withdrawn
        && matches!(to, Status::Approved | Status::Denied | Status::Completed)
    {
        return overtaken(platform, adapter, event, part_no, to).await;
    }
    if current.check(to).is_err() {
        if current.rank() == 0 && to.rank() > 0 {
            return Ok(Applied::Deferred);
        }
        tracing::debug!(case_no = event.case_no, %current, %to, "stale event skipped");
        return Ok(Applied::Skipped);
    }
    if let Some(license) = &event.issued {
        match platform
            .provenance(adapter, &event.case_no, license)
            .await?
        {
            Provenance::Accepted => {}
            Provenance::Unconfirmed(why) => {
                tracing::warn!(
                    adapter = adapter.id(),
                    case_no = event.case_no,
                    "the license the event issues could not be confirmed yet: {why}"
                );
                return Ok(Applied::Deferred);
            }
            Provenance::Rejected(reason) => {
                reject_license(platform, adapter, event, license, &reason).await?;
                return Ok(Applied::Rejected);
            }
        }
    }
    let actor = format!("adapter:{}", adapter.id());
    let note = if event.note.trim().is_empty() {
        default_note(to).to_owned()
    } else {
        masked_note(platform, &event.case_no, &event.note).await?
    };
    let moved = platform
        .transition(
            &event.case_no,
            Move {
                part: Some((part_no, None)),
                to,
                actor: &actor,
                note: &note,
                issued: event.issued.as_ref().map(|l| (l, adapter.id())),
                settles: None,
            },
        )
        .await;
    match moved {
        Ok(_) => Ok(Applied::Moved),
        // Another worker moved the case in between: the event is stale now.
        Err(PlatformError::Conflict(_)) => Ok(Applied::Skipped),
        Err(e) => Err(e),
    }
}

/// A decision on a part the platform withdrew: the department decided before
/// it could act on the withdrawal (a batch job that overtook it, or a system on
/// contract 0.1.0 that never got it). The part stays withdrawn here, and the
/// timeline and the audit log say so once, for the clerk to settle with the
/// department.
async fn overtaken(
    platform: &Platform,
    adapter: &dyn Adapter,
    event: &CaseEvent,
    part_no: i64,
    to: Status,
) -> Result<Applied, PlatformError> {
    let said = if event.note.trim().is_empty() {
        default_note(to).to_owned()
    } else {
        masked_note(platform, &event.case_no, &event.note).await?
    };
    let note = format!(
        "撤回未在部门生效：{}已作出决定（{}）：{said}。请与部门核实办理结果",
        adapter.manifest().department,
        to.label()
    );
    let seen =
        sqlx::query("SELECT 1 FROM timeline WHERE case_no = $1 AND part_no = $2 AND note = $3")
            .bind(&event.case_no)
            .bind(part_no)
            .bind(&note)
            .fetch_optional(platform.store.pool())
            .await?
            .is_some();
    if seen {
        return Ok(Applied::Skipped);
    }
    tracing::warn!(
        adapter = adapter.id(),
        case_no = event.case_no,
        %to,
        "a department decided a case the platform had withdrawn"
    );
    let mut tx = platform.store.begin().await?;
    crate::platform::cases::add_step(
        &mut tx,
        &event.case_no,
        Some(part_no),
        Status::Withdrawn,
        &format!("adapter:{}", adapter.id()),
        &note,
    )
    .await?;
    platform
        .store
        .append_audit(
            &mut tx,
            NewEntry {
                at: store::now(),
                actor: format!("adapter:{}", adapter.id()),
                action: "case.withdrawal_overtaken".into(),
                subject: event.case_no.clone(),
                detail: serde_json::json!({ "part": part_no, "decision": to.as_str(), "note": said }),
            },
        )
        .await?;
    tx.commit().await?;
    Ok(Applied::Skipped)
}

/// A department's note as the timeline and the audit log keep it: masked like
/// a log line, its ID numbers and the names of the case's applicant and
/// representative (what the clerk needs, the status and the reason, stays).
async fn masked_note(
    platform: &Platform,
    case_no: &str,
    note: &str,
) -> Result<String, PlatformError> {
    let row = sqlx::query("SELECT applicant, representative FROM cases WHERE case_no = $1")
        .bind(case_no)
        .fetch_optional(platform.store.pool())
        .await?;
    let mut names = Vec::new();
    if let Some(row) = row {
        for column in ["applicant", "representative"] {
            let party: Option<String> = row.try_get(column)?;
            let name = party
                .and_then(|json| serde_json::from_str::<serde_json::Value>(&json).ok())
                .and_then(|party| Some(party.get("name")?.as_str()?.to_owned()));
            names.extend(name);
        }
    }
    Ok(mask::text_with_names(note, &names))
}

/// Audits an event's license that the platform refused to keep; the case stays
/// where it is, and the operator console lists the rejection.
async fn reject_license(
    platform: &Platform,
    adapter: &dyn Adapter,
    event: &CaseEvent,
    license: &License,
    reason: &str,
) -> Result<(), PlatformError> {
    tracing::warn!(
        adapter = adapter.id(),
        case_no = event.case_no,
        "license rejected: {reason}"
    );
    metrics::counter!("onewindow_licenses_rejected_total", "adapter" => adapter.id().to_owned())
        .increment(1);
    platform
        .store
        .audit(NewEntry {
            at: store::now(),
            actor: "platform".into(),
            action: "license.rejected".into(),
            subject: event.case_no.clone(),
            detail: serde_json::json!({
                "adapter": adapter.id(),
                "department": adapter.manifest().department,
                "status": Status::from(event.status).as_str(),
                "type_code": license.type_code,
                "type_name": license.type_name,
                "number": mask::text(&license.number),
                "holder": mask_holder(&license.holder),
                "reason": reason,
            }),
        })
        .await?;
    Ok(())
}

fn default_note(to: Status) -> &'static str {
    match to {
        Status::InReview => "审查中",
        Status::SupplementRequested => "需补正材料",
        Status::SpecialProcedure => "特别程序",
        Status::Approved => "准予",
        Status::Denied => "不予",
        Status::Completed => "办结",
        _ => "",
    }
}

/// Reads `adapter`'s status changes from its stored cursor and applies them; the
/// cursor moves only past pages that were applied in full.
pub async fn poll_events(
    platform: &Platform,
    adapter: &dyn Adapter,
) -> Result<usize, PlatformError> {
    let mut cursor: Option<String> =
        sqlx::query("SELECT cursor FROM cursors WHERE adapter_id = $1")
            .bind(adapter.id())
            .fetch_optional(platform.store.pool())
            .await?
            .map(|r| r.try_get("cursor"))
            .transpose()?;
    let mut moved = 0;
    for _ in 0..MAX_PAGES {
        let page = match adapter.case_events(cursor.as_deref()).await {
            Ok(page) => page,
            Err(e) => {
                tracing::warn!(adapter = adapter.id(), "cases.events failed: {e}");
                break;
            }
        };
        for event in &page.license_events {
            match platform.license_changed(adapter, event).await {
                Ok(_) => {}
                // The issuer could not confirm it now: the page is read again.
                Err(PlatformError::Unavailable(why)) => {
                    tracing::warn!(adapter = adapter.id(), "license change deferred: {why}");
                    return Ok(moved);
                }
                Err(e) => return Err(e),
            }
        }
        for event in &page.events {
            match apply_event(platform, adapter, event).await? {
                Applied::Moved => moved += 1,
                Applied::Skipped | Applied::Rejected => {}
                Applied::Deferred => return Ok(moved),
            }
        }
        if let Some(next) = &page.next_cursor
            && cursor.as_deref() != Some(next)
        {
            sqlx::query(
                "INSERT INTO cursors (adapter_id, cursor, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (adapter_id) DO UPDATE SET cursor = $2, updated_at = $3",
            )
            .bind(adapter.id())
            .bind(next)
            .bind(store::now())
            .execute(platform.store.writer())
            .await?;
            cursor = Some(next.clone());
        }
        if !page.more {
            break;
        }
    }
    Ok(moved)
}
