//! Persistence with sqlx: SQLite by default (a file under the data directory,
//! WAL), PostgreSQL for several replicas. One schema, migrations for both
//! (`host/platform/migrations/`); the SQL below is written to run unchanged on both.

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyPool, Row, Transaction};

use crate::audit::seal::AuditKey;
use crate::audit::{self, Entry, NewEntry};

pub mod rows;

static SQLITE: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("migrations/postgres");

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Postgres,
}

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {url}: {source}")]
    Open { url: String, source: sqlx::Error },
    #[error("cannot migrate the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    /// A write shared with other requests failed (the cause is logged).
    #[error("database error: {0}")]
    Failed(String),
    /// The audit log is sealed with another key than this platform's.
    #[error("{0}")]
    AuditKey(String),
}

/// The database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    /// Where writes go. SQLite has one writer at a time: its own pool of one
    /// connection queues writers fairly in the process, instead of letting
    /// them collide on the database lock and sleep in SQLite's busy handler.
    /// On PostgreSQL it is the same pool.
    writer: AnyPool,
    kind: DbKind,
    /// The key that seals each audit entry, once installed.
    seal: Option<std::sync::Arc<AuditKey>>,
}

/// A transaction.
pub type Tx = Transaction<'static, Any>;

/// Now, as stored: RFC 3339 in UTC with microseconds, so instants sort as text.
pub fn now() -> String {
    timestamp(chrono::Utc::now())
}

/// An instant as stored.
pub fn timestamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

impl Store {
    /// Opens (creating a SQLite file if needed) and migrates the database.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let kind = if url.starts_with("sqlite:") {
            DbKind::Sqlite
        } else {
            DbKind::Postgres
        };
        if kind == DbKind::Sqlite
            && let Some(path) = sqlite_path(url)
            && let Some(parent) = std::path::Path::new(path).parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(|e| StoreError::Open {
                url: url.to_owned(),
                source: sqlx::Error::Io(e),
            })?;
        }
        let pool = connect(url, kind, if kind == DbKind::Sqlite { 4 } else { 16 }).await?;
        match kind {
            DbKind::Sqlite => SQLITE.run(&pool).await?,
            DbKind::Postgres => POSTGRES.run(&pool).await?,
        }
        let writer = match kind {
            DbKind::Sqlite => connect(url, kind, 1).await?,
            DbKind::Postgres => pool.clone(),
        };
        Ok(Self {
            pool,
            writer,
            kind,
            seal: None,
        })
    }

    /// The database kind.
    pub fn kind(&self) -> DbKind {
        self.kind
    }

    /// The pool, for queries.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The pool for a write outside [`Store::begin`].
    pub fn writer(&self) -> &AnyPool {
        &self.writer
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Starts a transaction whose first statement should be a write, so SQLite
    /// takes the write lock at once instead of failing to upgrade later.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(self.writer.begin().await?)
    }

    /// Starts a read-only transaction in which every query sees the same
    /// snapshot, so that a case, its parts and its timeline read one after the
    /// other always agree (SQLite's WAL gives a deferred transaction one snapshot
    /// from its first read; PostgreSQL needs REPEATABLE READ for it).
    pub async fn snapshot(&self) -> Result<Tx, StoreError> {
        let mut tx = self.pool.begin().await?;
        if self.kind == DbKind::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }

    /// `FOR UPDATE` where the database has it.
    pub fn for_update(&self) -> &'static str {
        match self.kind {
            DbKind::Sqlite => "",
            DbKind::Postgres => " FOR UPDATE",
        }
    }

    /// Seals the audit log with `key` from now on. The first key to seal a
    /// database is recorded there (with every entry so far sealed); a platform
    /// with another key is refused, so replicas cannot seal with different keys.
    pub async fn install_audit_key(&mut self, key: AuditKey, path: &str) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        // The head row first: it serialises this with every append.
        sqlx::query(&format!(
            "SELECT seq FROM audit_head WHERE id = 1{}",
            self.for_update()
        ))
        .fetch_one(&mut *tx)
        .await?;
        let recorded: Option<String> =
            sqlx::query_scalar("SELECT public_key FROM audit_seal WHERE id = 1")
                .fetch_optional(&mut *tx)
                .await?;
        match recorded {
            Some(public) if public != key.public() => {
                return Err(StoreError::AuditKey(format!(
                    "the audit log is sealed with another audit key (public key {public}); this platform's key {path} ({}) is not it: give every replica a copy of the same key file",
                    key.fingerprint()
                )));
            }
            Some(_) => {}
            None => {
                let unsealed =
                    sqlx::query("SELECT seq, hash FROM audit WHERE seal IS NULL ORDER BY seq")
                        .fetch_all(&mut *tx)
                        .await?;
                for row in &unsealed {
                    let (seq, hash): (i64, String) = (row.try_get("seq")?, row.try_get("hash")?);
                    sqlx::query("UPDATE audit SET seal = $1 WHERE seq = $2")
                        .bind(key.seal(&hash))
                        .bind(seq)
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query(
                    "INSERT INTO audit_seal (id, public_key, sealed_at) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING",
                )
                .bind(key.public())
                .bind(now())
                .execute(&mut *tx)
                .await?;
                tracing::info!(entries = unsealed.len(), key = %key.fingerprint(), "the audit log is sealed from now on");
            }
        }
        tx.commit().await?;
        self.seal = Some(std::sync::Arc::new(key));
        Ok(())
    }

    /// The audit key, once installed.
    pub fn audit_key(&self) -> Option<&AuditKey> {
        self.seal.as_deref()
    }

    /// Appends an audit entry inside `tx`, advancing the recorded head.
    pub async fn append_audit(&self, tx: &mut Tx, entry: NewEntry) -> Result<(), StoreError> {
        self.append_audit_many(tx, vec![entry]).await
    }

    /// Appends audit entries, in order, inside `tx` with one insert.
    pub async fn append_audit_many(
        &self,
        tx: &mut Tx,
        entries: Vec<NewEntry>,
    ) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        // Taking the head row first serialises appends across replicas.
        let head = sqlx::query(&format!(
            "SELECT seq, hash FROM audit_head WHERE id = 1{}",
            self.for_update()
        ))
        .fetch_one(&mut **tx)
        .await?;
        let mut seq: i64 = head.try_get("seq")?;
        let mut hash: String = head.try_get("hash")?;
        let mut sealed = Vec::with_capacity(entries.len());
        for entry in entries {
            seq += 1;
            let entry = entry.seal(seq, &hash);
            hash = entry.hash.clone();
            sealed.push(entry);
        }
        let sql = format!(
            "INSERT INTO audit (seq, at, actor, action, subject, detail, prev_hash, hash, seal) VALUES {}",
            rows::tuples(sealed.len(), 9)
        );
        let mut insert = sqlx::query(&sql);
        for entry in &sealed {
            insert = insert
                .bind(entry.seq)
                .bind(&entry.at)
                .bind(&entry.actor)
                .bind(&entry.action)
                .bind(&entry.subject)
                .bind(entry.detail.to_string())
                .bind(&entry.prev_hash)
                .bind(&entry.hash)
                .bind(self.seal.as_ref().map(|key| key.seal(&entry.hash)));
        }
        insert.execute(&mut **tx).await?;
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(seq)
            .bind(&hash)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Appends an audit entry in a transaction of its own.
    pub async fn audit(&self, entry: NewEntry) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        self.append_audit(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every audit entry in storage order, and the recorded head, read in one
    /// snapshot: an entry appended between the two reads would otherwise look
    /// like a deleted one.
    pub async fn audit_log(&self) -> Result<(Vec<Entry>, (i64, String)), StoreError> {
        let mut tx = self.snapshot().await?;
        let rows = sqlx::query(
            "SELECT seq, at, actor, action, subject, detail, prev_hash, hash, seal FROM audit ORDER BY seq",
        )
        .fetch_all(&mut *tx)
        .await?;
        let entries = rows
            .iter()
            .map(|row| -> Result<Entry, StoreError> {
                let detail: String = row.try_get("detail")?;
                Ok(Entry {
                    seq: row.try_get("seq")?,
                    at: row.try_get("at")?,
                    actor: row.try_get("actor")?,
                    action: row.try_get("action")?,
                    subject: row.try_get("subject")?,
                    detail: serde_json::from_str(&detail).map_err(|e| {
                        StoreError::Corrupt(format!("audit detail is not JSON: {e}"))
                    })?,
                    prev_hash: row.try_get("prev_hash")?,
                    hash: row.try_get("hash")?,
                    seal: row.try_get("seal")?,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((entries, (head.try_get("seq")?, head.try_get("hash")?)))
    }

    /// Walks the audit chain; `Ok(count)` or the first break. With the audit
    /// key installed, every entry's seal is checked first, so an entry that was
    /// rewritten and whose later hashes were all recomputed is still named.
    pub async fn verify_audit(&self) -> Result<Result<u64, audit::Break>, StoreError> {
        let (entries, (seq, hash)) = self.audit_log().await?;
        if let Some(key) = &self.seal
            && let Err(broken) = audit::verify_seals(&entries, key)
        {
            return Ok(Err(broken));
        }
        Ok(audit::verify_with_head(&entries, (seq, &hash)))
    }
}

/// A pool of up to `connections` connections to `url`.
async fn connect(url: &str, kind: DbKind, connections: u32) -> Result<AnyPool, StoreError> {
    AnyPoolOptions::new()
        .max_connections(connections)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if kind == DbKind::Sqlite {
                    // WAL lets readers work while one writer commits; NORMAL
                    // sync is durable across process crashes in WAL mode.
                    use sqlx::Executor as _;
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                    )
                    .await?;
                }
                Ok(())
            })
        })
        .connect(url)
        .await
        .map_err(|source| StoreError::Open {
            url: redact(url),
            source,
        })
}

/// Reads a JSON text column.
pub fn json_column<T: serde::de::DeserializeOwned>(
    row: &AnyRow,
    column: &str,
) -> Result<T, StoreError> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text)
        .map_err(|e| StoreError::Corrupt(format!("column {column} is not the expected JSON: {e}")))
}

fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then_some(path)
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Databases for tests, shared by this crate's domain tests and the end-to-end
/// tests (`onewindow-tests`).
pub mod testing {
    use std::path::Path;

    /// The database a test runs on.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Db {
        Sqlite,
        Postgres,
    }

    /// A fresh, empty database: a SQLite file in `dir`, or a new PostgreSQL
    /// database on the server named by `ONEWINDOW_TEST_POSTGRES` (which `make test`
    /// starts and sets, see tests/postgres.sh).
    pub async fn fresh_database(db: Db, dir: &Path) -> String {
        match db {
            Db::Sqlite => format!("sqlite://{}/onewindow.db?mode=rwc", dir.display()),
            Db::Postgres => {
                use sqlx::Connection as _;
                let admin = std::env::var("ONEWINDOW_TEST_POSTGRES").expect(
                    "ONEWINDOW_TEST_POSTGRES is not set: the PostgreSQL tests need a server \
                     (`make test` starts one and sets it; see tests/postgres.sh)",
                );
                sqlx::any::install_default_drivers();
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos();
                let name = format!("onewindow_t_{}_{nanos}", std::process::id());
                let mut conn = sqlx::AnyConnection::connect(&admin)
                    .await
                    .expect("connecting to the test PostgreSQL server");
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .expect("creating a test database");
                let base = admin
                    .rsplit_once('/')
                    .map(|(base, _)| base)
                    .expect("ONEWINDOW_TEST_POSTGRES ends with /<database>");
                format!("{base}/{name}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(
            redact("postgres://onewindow:secret@127.0.0.1/ow"),
            "postgres://onewindow:***@127.0.0.1/ow"
        );
        assert_eq!(redact("sqlite://data/ow.db"), "sqlite://data/ow.db");
    }

    /// The two dialects' migrations are the same but for the words each
    /// dialect spells its own way; a migration added to one only, or changed in
    /// one only, fails here.
    #[test]
    fn the_sqlite_and_postgresql_migrations_do_not_drift() {
        const DIALECT: [(&str, &str); 2] = [
            ("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY"),
            ("BLOB", "BYTEA"),
        ];
        let describe = |migrator: &Migrator| -> Vec<(i64, String, String)> {
            migrator
                .iter()
                .map(|m| {
                    let mut sql = m.sql.to_string();
                    for (sqlite, postgres) in DIALECT {
                        sql = sql.replace(postgres, sqlite);
                    }
                    // Comments may explain a dialect; only the statements must agree.
                    let statements: Vec<&str> = sql
                        .lines()
                        .map(|l| l.split("--").next().unwrap_or_default().trim_end())
                        .filter(|l| !l.trim().is_empty())
                        .collect();
                    (m.version, m.description.to_string(), statements.join("\n"))
                })
                .collect()
        };
        let (sqlite, postgres) = (describe(&SQLITE), describe(&POSTGRES));
        assert_eq!(
            sqlite.iter().map(|m| (m.0, &m.1)).collect::<Vec<_>>(),
            postgres.iter().map(|m| (m.0, &m.1)).collect::<Vec<_>>(),
            "both dialects have the same migrations"
        );
        for (a, b) in sqlite.iter().zip(&postgres) {
            assert_eq!(
                a.2, b.2,
                "migration {} {} differs between the dialects",
                a.0, a.1
            );
        }
    }

    #[test]
    fn sqlite_paths_are_found_in_urls() {
        assert_eq!(
            sqlite_path("sqlite://data/ow.db?mode=rwc"),
            Some("data/ow.db")
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
    }

    #[tokio::test]
    async fn a_fresh_database_has_an_empty_valid_audit_chain_that_grows() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/t.db?mode=rwc", dir.path().display());
        let store = Store::open(&url).await.unwrap();
        assert_eq!(store.verify_audit().await.unwrap(), Ok(0));
        for n in 0..3 {
            store
                .audit(NewEntry {
                    at: now(),
                    actor: "system".into(),
                    action: "test".into(),
                    subject: format!("s{n}"),
                    detail: serde_json::json!({"n": n}),
                })
                .await
                .unwrap();
        }
        assert_eq!(store.verify_audit().await.unwrap(), Ok(3));
        sqlx::query("UPDATE audit SET subject = 'forged' WHERE seq = 2")
            .execute(store.pool())
            .await
            .unwrap();
        let broken = store.verify_audit().await.unwrap().unwrap_err();
        assert!(
            broken.to_string().contains("entry 2 was edited"),
            "{broken}"
        );
    }
}
