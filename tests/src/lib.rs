//! Shared pieces of the end-to-end tests and benchmarks: where the components
//! built from plugins/ are, and packages made from them in a temporary folder.

use std::path::{Path, PathBuf};

/// Paths of the components built by `build.rs`.
pub mod components {
    include!(concat!(env!("OUT_DIR"), "/components.rs"));
}

/// An adapter package in a temporary directory: `adapter.toml` pointing at a
/// component built from plugins/.
pub struct TestPackage {
    dir: tempfile::TempDir,
}

impl TestPackage {
    /// Writes `adapter.toml` with `manifest` (everything but `component`, which
    /// is set to `component`).
    pub fn new(component: &str, manifest: &str) -> Self {
        let dir = tempfile::tempdir().expect("creating a temporary package directory");
        let text = format!("component = {component:?}\n{manifest}");
        std::fs::write(dir.path().join("adapter.toml"), text).expect("writing adapter.toml");
        Self { dir }
    }

    /// The package directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// A manifest for the fixture adapter with the given behaviour and extra lines.
pub fn fixture_manifest(id: &str, behaviour: &str, extra_config: &str, limits: &str) -> String {
    format!(
        r#"id = "{id}"
version = "0.1.0"
department = "测试部门"
api = "onewindow:adapter@0.1.0"
[limits]
{limits}
[config]
behaviour = "{behaviour}"
{extra_config}
"#
    )
}

/// A runtime whose exchange root is a fresh temporary folder.
pub fn runtime() -> (onewindow::runtime::Runtime, tempfile::TempDir) {
    let exchange = tempfile::tempdir().expect("creating an exchange root");
    let runtime = onewindow::runtime::Runtime::new(onewindow::runtime::RuntimeConfig {
        exchange_root: exchange.path().to_owned(),
        max_instances: 100,
    })
    .expect("creating the runtime");
    (runtime, exchange)
}

/// The repository's top folder.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_owned()
}

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
