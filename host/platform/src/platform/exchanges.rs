//! Keeping the exchange log ([`crate::exchange_log`]): the sandbox's records
//! are queued and written in batches off the call's path, pruned after each
//! adapter's retention, read back for operators, and turned into an
//! `onewindow adapter test` fixtures folder to replay a failure offline.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use sqlx::Row;
use tokio::sync::mpsc;

use crate::config;
use crate::exchange_log::{CallRecord, FileChange, Mode, Policy, Recorder};
use crate::platform::PlatformError;
use crate::store::{self, Store, StoreError};

/// Records waiting to be written; past this the newest are dropped and counted.
const QUEUE: usize = 10_000;
/// How often old records are pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// The most records one query returns.
pub const MAX_LIMIT: u32 = 500;

/// The platform's [`Recorder`]: hands records to the writer task.
#[derive(Debug)]
pub struct ExchangeLog {
    policies: config::ExchangeLog,
    queue: mpsc::Sender<CallRecord>,
}

/// The records handed over, for [`spawn_writer`].
pub struct Queue(mpsc::Receiver<CallRecord>);

impl ExchangeLog {
    pub fn new(policies: config::ExchangeLog) -> (Arc<Self>, Queue) {
        let (queue, rx) = mpsc::channel(QUEUE);
        (Arc::new(Self { policies, queue }), Queue(rx))
    }
}

impl Recorder for ExchangeLog {
    fn policy(&self, adapter: &str) -> Policy {
        self.policies.policy(adapter)
    }

    fn record(&self, record: CallRecord) {
        if self.queue.try_send(record).is_err() {
            metrics::counter!("onewindow_exchange_log_dropped_total").increment(1);
        }
    }
}

/// Writes the queued records (in batches, one transaction each) and prunes
/// those past their retention, at start and every hour.
pub fn spawn_writer(
    store: Store,
    policies: config::ExchangeLog,
    queue: Queue,
) -> tokio::task::JoinHandle<()> {
    let Queue(mut rx) = queue;
    tokio::spawn(async move {
        let mut prune = tokio::time::interval(PRUNE_EVERY);
        let mut batch = Vec::new();
        loop {
            tokio::select! {
                received = rx.recv_many(&mut batch, 256) => {
                    if received == 0 {
                        return;
                    }
                    if let Err(e) = write(&store, &batch).await {
                        metrics::counter!("onewindow_exchange_log_dropped_total")
                            .increment(batch.len() as u64);
                        tracing::error!("exchange log: {} records not kept: {e}", batch.len());
                    }
                    batch.clear();
                }
                _ = prune.tick() => {
                    match self::prune(&store, &policies, chrono::Utc::now()).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!("exchange log: pruned {n} records past their retention"),
                        Err(e) => tracing::error!("exchange log: pruning: {e}"),
                    }
                }
            }
        }
    })
}

/// Writes `records` in one transaction.
pub async fn write(store: &Store, records: &[CallRecord]) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    for record in records {
        let text = serde_json::to_string(record).expect("records serialize");
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO exchanges (started_at, adapter_id, version, function, duration_ms, outcome, mode, record) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(&record.started_at)
        .bind(&record.adapter)
        .bind(&record.version)
        .bind(&record.function)
        .bind(i64::try_from(record.duration_ms).unwrap_or(i64::MAX))
        .bind(&record.outcome)
        .bind(record.mode.as_str())
        .bind(text)
        .fetch_one(&mut *tx)
        .await?;
        let mut cases: Vec<&String> = record.case_nos.iter().collect();
        cases.sort();
        cases.dedup();
        for case_no in cases {
            sqlx::query("INSERT INTO exchange_cases (exchange_id, case_no) VALUES ($1, $2)")
                .bind(id)
                .bind(case_no)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Removes the records older than their adapter's retention; returns how many.
pub async fn prune(
    store: &Store,
    policies: &config::ExchangeLog,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<u64, StoreError> {
    let cutoff = |policy: &Policy| {
        store::timestamp(now - chrono::Duration::days(i64::from(policy.retention_days)))
    };
    let mut removed = 0;
    let mut tx = store.begin().await?;
    for (adapter, policy) in &policies.adapters {
        removed += delete(&mut tx, "adapter_id = $2", &cutoff(policy), &[adapter]).await?;
    }
    let named: Vec<&String> = policies.adapters.keys().collect();
    let others = if named.is_empty() {
        "TRUE".to_owned()
    } else {
        let list: Vec<String> = (0..named.len()).map(|i| format!("${}", i + 2)).collect();
        format!("adapter_id NOT IN ({})", list.join(", "))
    };
    removed += delete(&mut tx, &others, &cutoff(&policies.default), &named).await?;
    tx.commit().await?;
    Ok(removed)
}

async fn delete(
    tx: &mut store::Tx,
    which: &str,
    cutoff: &str,
    binds: &[&String],
) -> Result<u64, StoreError> {
    let old = format!("SELECT id FROM exchanges WHERE started_at < $1 AND {which}");
    let cases = format!("DELETE FROM exchange_cases WHERE exchange_id IN ({old})");
    let mut query = sqlx::query(&cases).bind(cutoff);
    for bind in binds {
        query = query.bind(*bind);
    }
    query.execute(&mut **tx).await?;
    let records = format!("DELETE FROM exchanges WHERE started_at < $1 AND {which}");
    let mut query = sqlx::query(&records).bind(cutoff);
    for bind in binds {
        query = query.bind(*bind);
    }
    Ok(query.execute(&mut **tx).await?.rows_affected())
}

/// Which records to read.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Filter {
    /// Only calls concerning this case.
    pub case_no: Option<String>,
    /// Only this adapter's calls.
    pub adapter: Option<String>,
    /// Only calls with this outcome: `ok`, or a failure's kind (`unavailable`, `trap`, …).
    pub outcome: Option<String>,
    /// Calls started at or after this instant (RFC 3339).
    pub from: Option<String>,
    /// Calls started before this instant (RFC 3339).
    pub to: Option<String>,
    /// At most this many, newest first (default 100, at most 500).
    pub limit: Option<u32>,
}

/// A kept record and its number.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Entry {
    pub id: i64,
    #[serde(flatten)]
    pub record: CallRecord,
}

fn instant(field: &str, text: &Option<String>) -> Result<Option<String>, PlatformError> {
    text.as_deref()
        .map(|t| {
            chrono::DateTime::parse_from_rfc3339(t)
                .map(|at| store::timestamp(at.to_utc()))
                .map_err(|e| PlatformError::Invalid {
                    field: field.to_owned(),
                    message: format!(
                        "`{field}` is {t:?}, not an RFC 3339 instant such as 2026-12-07T09:30:00+08:00: {e}"
                    ),
                })
        })
        .transpose()
}

/// The records `filter` asks for, newest first.
pub async fn list(store: &Store, filter: &Filter) -> Result<Vec<Entry>, PlatformError> {
    let from = instant("from", &filter.from)?;
    let to = instant("to", &filter.to)?;
    let limit = filter.limit.unwrap_or(100);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(PlatformError::Invalid {
            field: "limit".into(),
            message: format!("`limit` is {limit}; it must be from 1 to {MAX_LIMIT}"),
        });
    }
    let mut conditions = Vec::new();
    let mut binds: Vec<String> = Vec::new();
    let mut bind = |condition: &str, value: String| {
        binds.push(value);
        conditions.push(condition.replace('?', &format!("${}", binds.len())));
    };
    if let Some(case_no) = &filter.case_no {
        bind(
            "id IN (SELECT exchange_id FROM exchange_cases WHERE case_no = ?)",
            case_no.clone(),
        );
    }
    if let Some(adapter) = &filter.adapter {
        bind("adapter_id = ?", adapter.clone());
    }
    if let Some(outcome) = &filter.outcome {
        bind("outcome = ?", outcome.clone());
    }
    if let Some(from) = from {
        bind("started_at >= ?", from);
    }
    if let Some(to) = to {
        bind("started_at < ?", to);
    }
    let mut sql = "SELECT id, record FROM exchanges".to_owned();
    if !conditions.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&conditions.join(" AND "));
    }
    sql.push_str(&format!(" ORDER BY started_at DESC, id DESC LIMIT {limit}"));
    let mut query = sqlx::query(&sql);
    for value in &binds {
        query = query.bind(value);
    }
    let rows = query.fetch_all(store.pool()).await?;
    Ok(rows.iter().map(entry).collect::<Result<_, _>>()?)
}

/// Record `id`.
pub async fn get(store: &Store, id: i64) -> Result<Option<Entry>, StoreError> {
    let row = sqlx::query("SELECT id, record FROM exchanges WHERE id = $1")
        .bind(id)
        .fetch_optional(store.pool())
        .await?;
    row.as_ref().map(entry).transpose()
}

fn entry(row: &sqlx::any::AnyRow) -> Result<Entry, StoreError> {
    let id: i64 = row.try_get("id")?;
    let text: String = row.try_get("record")?;
    let record = serde_json::from_str(&text)
        .map_err(|e| StoreError::Corrupt(format!("exchange {id}: {e}")))?;
    Ok(Entry { id, record })
}

/// The files of an `onewindow adapter test` fixtures folder that replays
/// `entry`'s call: the call with its (masked) argument, the failure it met as
/// the expected result, the department's answers as `http.json` (matched by
/// method and URL: the masked request bodies cannot be sent again as they
/// were), and the exchange-folder files it read as the folder before it.
/// Paths are relative to the fixtures folder.
pub fn fixture(entry: &Entry) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let record = &entry.record;
    if record.mode != Mode::Full {
        return Err(format!(
            "exchange {} was kept in {} mode, without its bodies; only one kept in full mode replays",
            entry.id,
            record.mode.as_str()
        ));
    }
    let name = format!("01-{}", record.function.replace('.', "-"));
    let pretty = |value: &Value| {
        (serde_json::to_string_pretty(value).expect("JSON values print") + "\n").into_bytes()
    };
    let mut files = BTreeMap::new();
    let mut call = json!({ "call": record.function });
    if let Some(argument) = &record.argument {
        call["argument"] = argument.clone();
    }
    files.insert(format!("calls/{name}.json"), pretty(&call));
    if let Some(error) = &record.error {
        files.insert(format!("calls/{name}.expected.json"), pretty(error));
    }
    use base64::Engine as _;
    let b64 = |bytes: Vec<u8>| base64::engine::general_purpose::STANDARD.encode(bytes);
    let http: Vec<Value> = record
        .http
        .iter()
        .filter_map(|h| {
            let status = h.status?;
            Some(json!({
                "method": h.method,
                "url": h.url,
                "request_body_base64": b64(h.request_body.as_ref().map(|b| b.bytes()).unwrap_or_default()),
                "match_body": false,
                "status": status,
                "headers": h.response_headers.iter().filter(|(n, _)| !crate::exchange_log::is_credential(n)).collect::<Vec<_>>(),
                "body_base64": b64(h.response_body.as_ref().map(|b| b.bytes()).unwrap_or_default()),
            }))
        })
        .collect();
    files.insert("http.json".into(), pretty(&Value::Array(http)));
    // The folder as the call found it, as far as it read it.
    for file in &record.files {
        if file.change == FileChange::Read
            && let Some(content) = file.content.as_ref().filter(|c| !c.truncated)
        {
            files.insert(format!("exchange/{name}/{}", file.path), content.bytes());
        }
    }
    Ok(files)
}

/// [`fixture`] as a `.tar.gz` whose one folder is `exchange-<id>/`.
pub fn fixture_archive(entry: &Entry) -> Result<Vec<u8>, String> {
    let files = fixture(entry)?;
    let encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut archive = tar::Builder::new(encoder);
    for (path, bytes) in &files {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        let path = format!("exchange-{}/{path}", entry.id);
        archive
            .append_data(&mut header, path, bytes.as_slice())
            .map_err(|e| e.to_string())?;
    }
    archive
        .into_inner()
        .and_then(flate2::write::GzEncoder::finish)
        .map_err(|e| e.to_string())
}
