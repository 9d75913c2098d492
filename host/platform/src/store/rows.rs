//! Multi-row statements that run unchanged on SQLite and PostgreSQL: a group
//! of rows written with one statement (a few, past the parameter limit)
//! instead of one round trip each.

use super::Tx;

/// One value to bind.
pub enum Value {
    Text(String),
    MaybeText(Option<String>),
    Int(i64),
    MaybeInt(Option<i64>),
    Bytes(Vec<u8>),
}

/// Bind parameters per statement, well below SQLite's (32,766) and
/// PostgreSQL's (65,535) limits.
const MAX_PARAMS: usize = 16_000;

/// `($1, $2), ($3, $4)`: the placeholders of `rows` tuples of `width` values.
pub fn tuples(rows: usize, width: usize) -> String {
    (0..rows)
        .map(|r| {
            let params: Vec<String> = (1..=width).map(|c| format!("${}", r * width + c)).collect();
            format!("({})", params.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs the statement `sql` makes of the placeholders of some rows (see
/// [`tuples`]) for all `rows`, in as few statements as the parameter limit
/// allows.
pub async fn execute(
    tx: &mut Tx,
    rows: Vec<Vec<Value>>,
    sql: impl Fn(&str) -> String,
) -> Result<(), sqlx::Error> {
    let Some(width) = rows.first().map(Vec::len) else {
        return Ok(());
    };
    let per_statement = (MAX_PARAMS / width).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Value>> = rows.by_ref().take(per_statement).collect();
        let sql = sql(&tuples(chunk.len(), width));
        let mut query = sqlx::query(&sql);
        for value in chunk.into_iter().flatten() {
            query = match value {
                Value::Text(v) => query.bind(v),
                Value::MaybeText(v) => query.bind(v),
                Value::Int(v) => query.bind(v),
                Value::MaybeInt(v) => query.bind(v),
                Value::Bytes(v) => query.bind(v),
            };
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// `INSERT INTO table (columns) VALUES (…), (…)` for all `rows`.
pub async fn insert(
    tx: &mut Tx,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
) -> Result<(), sqlx::Error> {
    let columns = columns.join(", ");
    execute(tx, rows, |tuples| {
        format!("INSERT INTO {table} ({columns}) VALUES {tuples}")
    })
    .await
}
