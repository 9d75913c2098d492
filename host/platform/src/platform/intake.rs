//! Group commit for acceptances: cases accepted at the same moment are written
//! in one transaction with one multi-row statement per table, so the database
//! round trips of an acceptance are shared by every case that arrived while the
//! previous group was being written.
//!
//! Whoever finds no group being written becomes the writer and takes everything
//! queued; the others wait for their answer. The group is written on a task of
//! its own, so a client that goes away mid-write cannot cut the transaction
//! short for the others. Each case gets the same guarantees as before: the case,
//! its part, attachments, timeline step, outbox row and audit entry are stored
//! together or not at all.

use std::collections::BTreeMap;
use std::sync::Mutex;

use sqlx::Row;
use tokio::sync::oneshot;

use super::PlatformError;
use crate::audit::NewEntry;
use crate::store::rows::{self, Value};
use crate::store::{Store, StoreError};

/// Everything stored for one accepted case, but its number.
#[derive(Debug)]
pub struct NewCase {
    /// `YYYYMMDD` of acceptance: the prefix of the case number.
    pub day: String,
    pub matter_code: Option<String>,
    pub theme_code: Option<String>,
    /// Its parts, in part order.
    pub parts: Vec<NewPart>,
    pub status: &'static str,
    pub applicant: String,
    pub applicant_id: String,
    /// The representative (a person), as JSON.
    pub representative: Option<String>,
    pub form: String,
    /// The applicant's basic details to keep for their next case (JSON), if
    /// the form gave any.
    pub applicant_details: Option<String>,
    pub consent: Option<String>,
    pub covered: String,
    pub accepted_at: String,
    pub accepted_on: String,
    pub promised_days: i64,
    pub legal_days: i64,
    pub promised_by: String,
    pub legal_by: String,
    pub provisional: i64,
    /// The visits to the site its guide asks for (the most of its matters').
    pub visits: i64,
    /// How many required materials its matters have, covered or not.
    pub materials_required: i64,
    /// The W3C `traceparent` of the acceptance, for its outbox rows: their
    /// delivery continues its trace.
    pub traceparent: Option<String>,
    /// `(material_code, file_name, media_type, content)`.
    pub attachments: Vec<(String, String, String, Vec<u8>)>,
    /// The actor and note of the timeline step.
    pub actor: String,
    pub note: String,
    /// The audit entry; its `subject` is set to the case number.
    pub audit: NewEntry,
}

/// One part of an accepted case.
#[derive(Debug)]
pub struct NewPart {
    pub matter_code: String,
    /// The matter's department, as the catalogue names it now.
    pub department: String,
    pub adapter_id: String,
    /// The part numbers (JSON) it waits for (一件事 in order); such a part gets
    /// no outbox row until they have issued their licenses.
    pub waits_for: Option<String>,
    /// The materials (JSON) those licenses are to cover.
    pub deferred: Option<String>,
}

/// What the store gave a case.
#[derive(Debug, Clone)]
pub struct Stored {
    pub case_no: String,
    /// When its timeline step was written.
    pub at: String,
}

type Answer = oneshot::Sender<Result<Stored, String>>;

/// A case waiting to be written.
#[derive(Debug)]
struct Queued {
    /// Its place in the order of arrival.
    ticket: u64,
    case: NewCase,
    answer: Answer,
}

/// Cases in the order they came.
#[derive(Debug, Default)]
struct Queue {
    last_ticket: u64,
    waiting: Vec<Queued>,
}

/// The queue of cases waiting to be written, and the right to write.
#[derive(Debug, Default)]
pub struct Intake {
    queue: Mutex<Queue>,
    writing: tokio::sync::Mutex<()>,
}

/// At most this many cases in one transaction.
const GROUP: usize = 128;

impl Intake {
    /// Stores `case` with whatever else is waiting; its number and time.
    pub async fn store(&self, store: &Store, case: NewCase) -> Result<Stored, PlatformError> {
        let (answer, mut stored) = oneshot::channel();
        let ticket = {
            let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
            queue.last_ticket += 1;
            let ticket = queue.last_ticket;
            queue.waiting.push(Queued {
                ticket,
                case,
                answer,
            });
            ticket
        };
        let result = tokio::select! {
            biased;
            result = &mut stored => result,
            _writing = self.writing.lock() => {
                // Write groups until this case's has been written (a writer that
                // went before may have written it already).
                loop {
                    let group: Vec<_> = {
                        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
                        let n = queue.waiting.len().min(GROUP);
                        queue.waiting.drain(..n).collect()
                    };
                    let Some(last) = group.last().map(|q| q.ticket) else {
                        break;
                    };
                    let store = store.clone();
                    // On a task of its own: the group is written even if this
                    // request is dropped meanwhile.
                    if let Err(e) = tokio::spawn(async move { write(&store, group).await }).await {
                        tracing::error!("writing accepted cases: {e}");
                    }
                    if last >= ticket {
                        break;
                    }
                }
                stored.await
            }
        };
        let failed = |message: String| PlatformError::Store(StoreError::Failed(message));
        result
            .map_err(|_| failed("the case writer stopped before answering".into()))?
            .map_err(failed)
    }
}

/// Writes `group` in one transaction and answers every case.
async fn write(store: &Store, group: Vec<Queued>) {
    let (cases, answers): (Vec<NewCase>, Vec<Answer>) =
        group.into_iter().map(|q| (q.case, q.answer)).unzip();
    match insert(store, cases).await {
        Ok(stored) => {
            for (answer, stored) in answers.into_iter().zip(stored) {
                let _ = answer.send(Ok(stored));
            }
        }
        Err(e) => {
            tracing::error!("storing {} accepted case(s): {e}", answers.len());
            for answer in answers {
                let _ = answer.send(Err(e.to_string()));
            }
        }
    }
}

async fn insert(store: &Store, cases: Vec<NewCase>) -> Result<Vec<Stored>, StoreError> {
    let mut tx = store.begin().await?;
    // Numbers first: one counter row per day, advanced by that day's cases.
    let mut per_day: BTreeMap<&str, i64> = BTreeMap::new();
    for case in &cases {
        *per_day.entry(case.day.as_str()).or_default() += 1;
    }
    let mut next: BTreeMap<String, i64> = BTreeMap::new();
    for (day, count) in per_day {
        let last: i64 = sqlx::query(
            "INSERT INTO case_counters (day, last) VALUES ($1, $2) \
             ON CONFLICT (day) DO UPDATE SET last = case_counters.last + $2 RETURNING last",
        )
        .bind(day)
        .bind(count)
        .fetch_one(&mut *tx)
        .await?
        .try_get("last")?;
        next.insert(day.to_owned(), last - count + 1);
    }
    let numbers: Vec<String> = cases
        .iter()
        .map(|case| {
            let n = next.get_mut(&case.day).expect("every day was counted");
            *n += 1;
            format!("{}-{:06}", case.day, *n - 1)
        })
        .collect();

    let stamp = crate::store::now();
    let mut rows = Vec::new();
    let mut parts = Vec::new();
    let mut attachments = Vec::new();
    let mut steps = Vec::new();
    let mut outbox = Vec::new();
    let mut audit = Vec::new();
    let mut details = Vec::new();
    for (case, case_no) in cases.into_iter().zip(&numbers) {
        if let Some(given) = case.applicant_details {
            details.push((case.applicant_id.clone(), given));
        }
        let text = |v: &str| Value::Text(v.to_owned());
        rows.push(vec![
            text(case_no),
            Value::MaybeText(case.matter_code),
            Value::MaybeText(case.theme_code),
            text(case.status),
            Value::Text(case.applicant),
            Value::Text(case.applicant_id),
            Value::MaybeText(case.representative),
            Value::Text(case.form),
            Value::MaybeText(case.consent),
            Value::Text(case.covered),
            Value::Text(case.accepted_at),
            Value::Text(case.accepted_on),
            Value::Int(case.promised_days),
            Value::Int(case.legal_days),
            Value::Text(case.promised_by),
            Value::Text(case.legal_by),
            Value::Int(case.provisional),
            text("[]"),
            text(&stamp),
            text(&case.actor),
            Value::Int(case.visits),
            Value::Int(case.materials_required),
        ]);
        for (part_no, part) in (1..).zip(case.parts) {
            let waits = part.waits_for.is_some();
            parts.push(vec![
                text(case_no),
                Value::Int(part_no),
                Value::Text(part.matter_code),
                Value::Text(part.department),
                text(&part.adapter_id),
                text(case.status),
                Value::MaybeText(part.waits_for),
                Value::MaybeText(part.deferred),
            ]);
            if waits {
                continue;
            }
            outbox.push(vec![
                text(case_no),
                Value::Int(part_no),
                Value::Text(part.adapter_id),
                text(&stamp),
                Value::Int(0),
                text(&stamp),
                text("pending"),
                Value::MaybeText(case.traceparent.clone()),
            ]);
        }
        for (material, file, media, content) in case.attachments {
            attachments.push(vec![
                text(case_no),
                Value::Text(material),
                Value::Text(file),
                Value::Text(media),
                Value::Bytes(content),
            ]);
        }
        steps.push(vec![
            text(case_no),
            text(&stamp),
            text(case.status),
            Value::Text(case.actor),
            Value::Text(case.note),
        ]);
        audit.push(NewEntry {
            at: stamp.clone(),
            subject: case_no.clone(),
            ..case.audit
        });
    }
    rows::insert(
        &mut tx,
        "cases",
        &[
            "case_no",
            "matter_code",
            "theme_code",
            "status",
            "applicant",
            "applicant_id",
            "representative",
            "form",
            "consent",
            "covered",
            "accepted_at",
            "accepted_on",
            "promised_days",
            "legal_days",
            "promised_by",
            "legal_by",
            "provisional",
            "paused",
            "updated_at",
            "accepted_by",
            "visits",
            "materials_required",
        ],
        rows,
    )
    .await?;
    rows::insert(
        &mut tx,
        "case_parts",
        &[
            "case_no",
            "part_no",
            "matter_code",
            "department",
            "adapter_id",
            "status",
            "waits_for",
            "deferred",
        ],
        parts,
    )
    .await?;
    rows::insert(
        &mut tx,
        "attachments",
        &[
            "case_no",
            "material_code",
            "file_name",
            "media_type",
            "content",
        ],
        attachments,
    )
    .await?;
    rows::insert(
        &mut tx,
        "timeline",
        &["case_no", "at", "status", "actor", "note"],
        steps,
    )
    .await?;
    rows::insert(
        &mut tx,
        "outbox",
        &[
            "case_no",
            "part_no",
            "adapter_id",
            "created_at",
            "attempts",
            "next_attempt_at",
            "state",
            "traceparent",
        ],
        outbox,
    )
    .await?;
    for (applicant_id, given) in details {
        sqlx::query(
            "INSERT INTO applicant_details (applicant_id, details, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (applicant_id) DO UPDATE SET details = $2, updated_at = $3",
        )
        .bind(applicant_id)
        .bind(given)
        .bind(&stamp)
        .execute(&mut *tx)
        .await?;
    }
    store.append_audit_many(&mut tx, audit).await?;
    tx.commit().await?;
    Ok(numbers
        .into_iter()
        .map(|case_no| Stored {
            case_no,
            at: stamp.clone(),
        })
        .collect())
}
