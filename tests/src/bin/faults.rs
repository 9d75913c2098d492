//! The fault-injection suite: `onewindow serve` replicas (real processes) on one
//! PostgreSQL database, the four HTTP mock departments, and the fixture adapter,
//! under a steady stream of case acceptances while one fault at a time is
//! injected. After each run every case must have reached its department exactly
//! once: checked at the mock legacy systems and in the database.
//!
//! `faults --seconds N` runs every scenario for N seconds of load (the fault in
//! the middle third); `--strict` also fails a run whose healthy-adapter p99 is
//! more than twice the baseline's. `make test` runs it short, `make soak` long.
//! Needs `ONEWINDOW_TEST_POSTGRES` (tests/postgres.sh) and, for the PostgreSQL
//! restart, `pg_ctlcluster`.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use clap::Parser;
use legacy_systems::common::Fault;
use legacy_systems::common::department::{self, Config as MockConfig, Register};
use onewindow_tests::{CLERK, Department, OPERATOR};
use serde_json::{Value, json};
use sqlx::Row as _;

#[derive(Parser)]
#[command(about = "Injects faults under load and checks every case is delivered exactly once")]
struct Args {
    /// Seconds of load per scenario; the fault lasts the middle third.
    #[arg(long, default_value_t = 9)]
    seconds: u64,
    /// Fail a scenario whose healthy-adapter p99 exceeds twice the baseline's.
    #[arg(long)]
    strict: bool,
    /// Run only these scenarios (after the baseline), e.g. `--only kill-replica`.
    #[arg(long)]
    only: Vec<String>,
    /// Also write the table (Markdown) to this file.
    #[arg(long)]
    table: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scenario {
    Baseline,
    KillReplica,
    PostgresRestart,
    LegacyDown,
    LegacySlow,
    Malformed,
    TrappingAdapter,
    LoopingAdapter,
    MemoryAdapter,
}

impl Scenario {
    const ALL: [Scenario; 9] = [
        Scenario::Baseline,
        Scenario::KillReplica,
        Scenario::PostgresRestart,
        Scenario::LegacyDown,
        Scenario::LegacySlow,
        Scenario::Malformed,
        Scenario::TrappingAdapter,
        Scenario::LoopingAdapter,
        Scenario::MemoryAdapter,
    ];

    fn name(self) -> &'static str {
        match self {
            Scenario::Baseline => "baseline",
            Scenario::KillReplica => "kill-replica",
            Scenario::PostgresRestart => "postgres-restart",
            Scenario::LegacyDown => "legacy-down",
            Scenario::LegacySlow => "legacy-slow",
            Scenario::Malformed => "malformed-answers",
            Scenario::TrappingAdapter => "trapping-adapter",
            Scenario::LoopingAdapter => "looping-adapter",
            Scenario::MemoryAdapter => "memory-adapter",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Scenario::Baseline => "no fault: the yardstick for latency",
            Scenario::KillReplica => "kill -9 of one of two replicas, restarted later",
            Scenario::PostgresRestart => "PostgreSQL restarted (pg_ctlcluster restart)",
            Scenario::LegacyDown => "市场监管 and 人社 answer 503 for a while",
            Scenario::LegacySlow => "税务 answers after 1.5 s, past its 1 s call timeout",
            Scenario::Malformed => "truncated, wrongly encoded and unknown-code answers",
            Scenario::TrappingAdapter => "a new adapter version traps on 30% of deliveries",
            Scenario::LoopingAdapter => "a new adapter version loops in every delivery",
            Scenario::MemoryAdapter => {
                "a new adapter version exhausts its 32 MiB in every delivery"
            }
        }
    }

    /// Whether the scenario misbehaves in the fixture adapter (and so measures
    /// isolation): the broken version's `[config]` and `[limits]` lines.
    fn broken_adapter(self) -> Option<(&'static str, &'static str)> {
        match self {
            Scenario::TrappingAdapter => Some((
                "submit = \"sometimes-trap\"\ntrap-percent = \"30\"",
                "call-timeout-ms = 2000",
            )),
            Scenario::LoopingAdapter => Some(("submit = \"loop\"", "call-timeout-ms = 500")),
            Scenario::MemoryAdapter => Some(("submit = \"memory\"", "memory-mib = 32")),
            _ => None,
        }
    }

    /// The adapters whose departments (or selves) are at fault.
    fn faulty(self) -> &'static [&'static str] {
        match self {
            Scenario::LegacyDown => &["market-supervision", "social-security"],
            Scenario::LegacySlow => &["tax"],
            Scenario::Malformed => &["market-supervision", "public-security", "tax"],
            Scenario::TrappingAdapter | Scenario::LoopingAdapter | Scenario::MemoryAdapter => {
                &["fixture"]
            }
            Scenario::Baseline | Scenario::KillReplica | Scenario::PostgresRestart => &[],
        }
    }

    fn replicas(self) -> usize {
        if self == Scenario::KillReplica { 2 } else { 1 }
    }
}

/// The four HTTP mock departments, running in this process.
struct Mocks {
    market: legacy_systems::market_supervision::Handle,
    police: legacy_systems::public_security::Handle,
    tax: legacy_systems::tax::Handle,
    social: legacy_systems::social_security::Handle,
}

impl Mocks {
    async fn start() -> anyhow::Result<Self> {
        let listen = "127.0.0.1:0".parse()?;
        // Long stages: the cases stay where delivery put them.
        let config = || MockConfig {
            stage: Duration::from_secs(3600),
            ..MockConfig::default()
        };
        Ok(Self {
            market: legacy_systems::market_supervision::start(listen, config()).await?,
            police: legacy_systems::public_security::start(listen, config()).await?,
            tax: legacy_systems::tax::start(listen, config()).await?,
            social: legacy_systems::social_security::start(listen, config()).await?,
        })
    }

    fn departments(&self) -> Vec<Department> {
        let mut tax = Department::tax(&self.tax);
        tax.limits = "call-timeout-ms = 1000".into();
        vec![
            Department::market_supervision(&self.market),
            Department::public_security(&self.police),
            tax,
            Department::social_security(&self.social),
        ]
    }

    /// The mock department that `adapter` talks to.
    fn of(&self, adapter: &str) -> &dyn Mock {
        match adapter {
            "market-supervision" => &self.market,
            "public-security" => &self.police,
            "tax" => &self.tax,
            "social-security" => &self.social,
            other => panic!("no mock for {other}"),
        }
    }

    async fn shutdown(self) {
        self.market.shutdown().await;
        self.police.shutdown().await;
        self.tax.shutdown().await;
        self.social.shutdown().await;
    }
}

/// What the suite asks of a mock department, whichever protocol it speaks.
trait Mock {
    fn set_fault(&self, fault: Fault);
    /// (stored cases, repeated submissions).
    fn stats(&self) -> (u64, u64);
    fn addr(&self) -> std::net::SocketAddr;
}

impl<R: Register> Mock for department::Handle<R> {
    fn set_fault(&self, fault: Fault) {
        department::Handle::set_fault(self, fault);
    }

    fn stats(&self) -> (u64, u64) {
        let stats = department::Handle::stats(self);
        (stats.cases, stats.duplicates)
    }

    fn addr(&self) -> std::net::SocketAddr {
        department::Handle::addr(self)
    }
}

/// One `onewindow serve` process.
struct Replica {
    child: Option<Child>,
    url: String,
    listen: String,
    config: PathBuf,
    log: PathBuf,
}

impl Replica {
    fn start(binary: &Path, config: &Path, n: usize) -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let listen = format!("127.0.0.1:{port}");
        let log = config.with_file_name(format!("replica-{n}.log"));
        let mut replica = Self {
            child: None,
            url: format!("http://{listen}"),
            listen,
            config: config.to_owned(),
            log,
        };
        replica.spawn(binary)?;
        Ok(replica)
    }

    fn spawn(&mut self, binary: &Path) -> anyhow::Result<()> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)?;
        let child = Command::new(binary)
            .args(["serve", "--config"])
            .arg(&self.config)
            .env("ONEWINDOW_LISTEN", &self.listen)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting onewindow serve")?;
        self.child = Some(child);
        Ok(())
    }

    /// `kill -9`.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    async fn ready(&mut self, http: &reqwest::Client) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(r) = http.get(format!("{}/readyz", self.url)).send().await
                && r.status().is_success()
            {
                return Ok(());
            }
            if let Some(child) = &mut self.child
                && let Some(status) = child.try_wait()?
            {
                bail!(
                    "the replica exited ({status}) before it was ready; its log:\n{}",
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            ensure!(
                Instant::now() < deadline,
                "the replica on {} was not ready in 120 s",
                self.url
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One matter the stream applies for, and how.
struct Kind {
    adapter: &'static str,
    body: Value,
}

/// License lookups at one department each: (adapter, path).
const LOOKUPS: [(&str, &str); 4] = [
    (
        "market-supervision",
        "/api/v1/licenses?holder=91330122MA2H1234XM&department=县市场监督管理局",
    ),
    (
        "public-security",
        "/api/v1/licenses?holder=11010519491231002X&department=县公安局",
    ),
    (
        "tax",
        "/api/v1/licenses?holder=91330122MA2H1234XM&department=县税务局",
    ),
    (
        "social-security",
        "/api/v1/licenses?holder=11010519491231002X&department=县人力资源和社会保障局",
    ),
];

/// Applications the departments accept: every material attached.
async fn kinds(http: &reqwest::Client, url: &str) -> anyhow::Result<Vec<Kind>> {
    let person = json!({"type": "person", "id_number": "11010519491231002X", "name": "陈晓东"});
    let organization = json!({"type": "organization", "credit_code": "91330122MA2H1234XM", "name": "桐庐蜂语新创科技有限公司"});
    let form = json!({
        "企业名称": "桐庐蜂语新创科技有限公司",
        "法定代表人": "陈晓东",
        "注册资本": "200万元人民币",
        "住所": "浙江省杭州市桐庐县横村镇横村大道290号",
        "经营范围": "一般项目：技术服务、技术开发",
        "印章名称": "桐庐蜂语新创科技有限公司",
        "印章类型": "单位公章",
    });
    let matters = [
        ("market-supervision", "330122-SCJG-XK-001", &person),
        ("public-security", "330122-GA-BA-003", &organization),
        ("tax", "330122-SW-FP-001", &organization),
        ("social-security", "330122-RS-SB-001", &person),
        ("fixture", "FIXTURE-001", &person),
    ];
    let mut kinds = Vec::new();
    for (adapter, code, applicant) in matters {
        let guide: Value = http
            .get(format!("{url}/api/v1/matters/{code}"))
            .bearer_auth(CLERK)
            .send()
            .await?
            .error_for_status()
            .with_context(|| format!("the matter {code} is not in the catalogue"))?
            .json()
            .await?;
        let attachments: Vec<Value> = guide["materials"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|m| {
                json!({
                    "material_code": m["code"], "file_name": "材料.pdf",
                    "media_type": "application/pdf", "content_base64": "JVBERi0xLjQK",
                })
            })
            .collect();
        kinds.push(Kind {
            adapter,
            body: json!({
                "matter_code": code, "applicant": applicant, "form": form,
                "attachments": attachments,
            }),
        });
    }
    Ok(kinds)
}

/// What the stream saw.
#[derive(Default)]
struct Seen {
    /// Case numbers answered 201, with their adapter.
    accepted: Vec<(String, &'static str)>,
    /// Requests answered with an error (nothing stored, the clerk is told).
    refused: u64,
    /// Requests without an answer (connection lost).
    unanswered: u64,
    /// Answers that are wrong whatever the fault: 4xx for a valid request.
    wrong: Vec<String>,
    /// Latency of license lookups at departments not at fault, in the middle
    /// third of the run (while the fault is on).
    healthy: Vec<Duration>,
}

/// What the stream shares with the scenario's driver.
struct Shared {
    http: reqwest::Client,
    /// The replicas taking requests (a killed one is taken out).
    urls: Mutex<Vec<String>>,
    kinds: Vec<Kind>,
    /// The adapters at fault in this scenario.
    faulty: &'static [&'static str],
    /// Set in the middle third of the run, while the fault is on.
    window: std::sync::atomic::AtomicBool,
    stop: std::sync::atomic::AtomicBool,
    seen: Mutex<Seen>,
}

/// One clerk: applications and license lookups, one after another, until `stop`.
async fn clerk(shared: Arc<Shared>, client: usize) {
    use std::sync::atomic::Ordering::Relaxed;
    let (mut n, mut lookups) = (client, client);
    while !shared.stop.load(Relaxed) {
        n += CLERKS;
        let url = {
            let urls = shared.urls.lock().unwrap();
            urls[n / CLERKS % urls.len()].clone()
        };
        let kind = &shared.kinds[n / 2 % shared.kinds.len()];
        let lookup = n % 3 == 0;
        if lookup {
            lookups += 1;
        }
        let (looked_up, path) = LOOKUPS[lookups % LOOKUPS.len()];
        let request = if lookup {
            shared.http.get(format!("{url}{path}"))
        } else {
            shared
                .http
                .post(format!("{url}/api/v1/cases"))
                .json(&kind.body)
        };
        let started = Instant::now();
        let answer = match request.bearer_auth(CLERK).send().await {
            Ok(r) => {
                let status = r.status();
                r.json::<Value>().await.map(|body| (status, body)).ok()
            }
            Err(_) => None,
        };
        let took = started.elapsed();
        let in_window = shared.window.load(Relaxed);
        {
            let mut seen = shared.seen.lock().unwrap();
            match answer {
                None => seen.unanswered += 1,
                Some((status, _)) if status.is_server_error() => seen.refused += 1,
                Some((status, body)) if !status.is_success() => seen
                    .wrong
                    .push(format!("{status} for {}: {body}", kind.body["matter_code"])),
                Some((_, body)) => {
                    if in_window && lookup && !shared.faulty.contains(&looked_up) {
                        seen.healthy.push(took);
                    }
                    if !lookup {
                        match body["case_no"].as_str() {
                            Some(no) => seen.accepted.push((no.to_owned(), kind.adapter)),
                            None => seen
                                .wrong
                                .push(format!("201 without a case number: {body}")),
                        }
                    }
                }
            }
        }
        tokio::time::sleep(PAUSE).await;
    }
}

/// How long after activating a broken version its latency is measured.
const SWAP_SETTLE: Duration = Duration::from_millis(500);

/// Clerks at the window.
const CLERKS: usize = 4;
/// Each clerk's pause between two requests.
const PAUSE: Duration = Duration::from_millis(15);

/// The outcome of one scenario.
struct Outcome {
    scenario: Scenario,
    accepted: usize,
    delivered: usize,
    lost: Vec<String>,
    duplicated: Vec<String>,
    resent: u64,
    refused: u64,
    unanswered: u64,
    p99: Option<Duration>,
}

fn p99(samples: &mut [Duration]) -> Option<Duration> {
    if samples.is_empty() {
        return None;
    }
    samples.sort_unstable();
    let rank = (samples.len() * 99).div_ceil(100).max(1) - 1;
    Some(samples[rank])
}

/// A platform for `scenario`, the stream, the fault, the drain, and the checks.
async fn run(scenario: Scenario, seconds: u64, binary: &Path) -> anyhow::Result<Outcome> {
    let dir = tempfile::tempdir()?;
    let mocks = Mocks::start().await?;
    let database = onewindow_tests::fresh_database(onewindow_tests::Db::Postgres, dir.path()).await;
    let delivery = "poll-interval-ms = 500\ninitial-backoff-ms = 200\nmax-backoff-ms = 2000\n\
                    breaker-cool-down-ms = 1000\nclaim-lease-secs = 5";
    // Written out as onewindow.toml, which the replicas are started with.
    onewindow_tests::platform_config_delivering(
        dir.path(),
        &database,
        &mocks.departments(),
        delivery,
        "",
    );
    let config = dir.path().join("onewindow.toml");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let mut replicas = Vec::new();
    for n in 0..scenario.replicas() {
        replicas.push(Replica::start(binary, &config, n)?);
    }
    for replica in &mut replicas {
        replica.ready(&http).await?;
    }
    let url = replicas[0].url.clone();
    let fixture = Fixture::new(dir.path());
    fixture.install(&http, &url, "1.0.0", ("", "")).await?;
    fixture.activate(&http, &url, "1.0.0").await?;
    if let Some(broken) = scenario.broken_adapter() {
        fixture.install(&http, &url, "2.0.0", broken).await?;
    }
    let kinds = kinds(&http, &url).await?;

    let shared = Arc::new(Shared {
        http: http.clone(),
        urls: Mutex::new(replicas.iter().map(|r| r.url.clone()).collect()),
        kinds,
        faulty: scenario.faulty(),
        window: false.into(),
        stop: false.into(),
        seen: Mutex::default(),
    });
    let clerks: Vec<_> = (0..CLERKS)
        .map(|n| tokio::spawn(clerk(shared.clone(), n)))
        .collect();
    let third = Duration::from_secs(seconds) / 3;
    tokio::time::sleep(third).await;
    let fault_on = Instant::now();
    // Latency is measured while the fault is on; after an adapter swap, once the
    // swap itself (loading the version, syncing the catalogue) is over.
    let swap = scenario.broken_adapter().is_some();
    let measure = |on: bool| {
        shared
            .window
            .store(on, std::sync::atomic::Ordering::Relaxed)
    };
    if !swap {
        measure(true);
    }
    match scenario {
        Scenario::Baseline => {}
        Scenario::KillReplica => {
            shared.urls.lock().unwrap().truncate(1);
            replicas[1].kill();
        }
        Scenario::PostgresRestart => tokio::task::spawn_blocking(restart_postgres).await??,
        Scenario::LegacyDown => {
            mocks.of("market-supervision").set_fault(Fault::Down);
            mocks.of("social-security").set_fault(Fault::Down);
        }
        Scenario::LegacySlow => mocks
            .of("tax")
            .set_fault(Fault::Slow(Duration::from_millis(1500))),
        Scenario::Malformed => {
            mocks.of("market-supervision").set_fault(Fault::Truncated);
            mocks.of("public-security").set_fault(Fault::WrongEncoding);
            mocks.of("tax").set_fault(Fault::UnknownCode);
        }
        Scenario::TrappingAdapter | Scenario::LoopingAdapter | Scenario::MemoryAdapter => {
            fixture.activate(&http, &url, "2.0.0").await?;
            tokio::time::sleep(SWAP_SETTLE).await;
            measure(true);
        }
    }
    tokio::time::sleep(third.saturating_sub(fault_on.elapsed())).await;
    measure(false);
    // The fault, off.
    match scenario {
        Scenario::KillReplica => {
            replicas[1].spawn(binary)?;
            replicas[1].ready(&http).await?;
            shared.urls.lock().unwrap().push(replicas[1].url.clone());
        }
        Scenario::LegacyDown | Scenario::LegacySlow | Scenario::Malformed => {
            for adapter in [
                "market-supervision",
                "public-security",
                "tax",
                "social-security",
            ] {
                mocks.of(adapter).set_fault(Fault::None);
            }
        }
        Scenario::TrappingAdapter | Scenario::LoopingAdapter | Scenario::MemoryAdapter => {
            // The operator rolls the broken version back; its cases waited.
            fixture.rollback(&http, &url).await?;
        }
        Scenario::Baseline | Scenario::PostgresRestart => {}
    }
    tokio::time::sleep(third).await;
    shared
        .stop
        .store(true, std::sync::atomic::Ordering::Relaxed);
    for clerk in clerks {
        clerk.await?;
    }
    let mut seen = std::mem::take(&mut *shared.seen.lock().unwrap());
    ensure!(
        seen.wrong.is_empty(),
        "{}: answers no fault excuses:\n{}",
        scenario.name(),
        seen.wrong.join("\n")
    );
    ensure!(
        !seen.accepted.is_empty(),
        "{}: nothing was accepted",
        scenario.name()
    );

    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect(&database)
        .await?;
    drain(&pool).await?;
    let outcome = check(scenario, &seen, &pool, &mocks, &http).await?;
    pool.close().await;
    for replica in &mut replicas {
        replica.kill();
    }
    mocks.shutdown().await;
    Ok(Outcome {
        p99: p99(&mut seen.healthy),
        ..outcome
    })
}

/// The fixture adapter, installed and steered through the operator API.
struct Fixture {
    /// The platform's folder, where platform_config_with put the integrator's key.
    dir: PathBuf,
}

impl Fixture {
    fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_owned(),
        }
    }

    /// Signs and uploads `version` with `settings`: its `[config]` and `[limits]` lines.
    async fn install(
        &self,
        http: &reqwest::Client,
        url: &str,
        version: &str,
        (config, limits): (&str, &str),
    ) -> anyhow::Result<()> {
        let manifest = onewindow_tests::fixture_package_manifest(version, config, limits)
            + onewindow_tests::FIXTURE_GRANT;
        let files = onewindow_tests::signed_package(&self.dir, &manifest);
        operator(
            http.post(format!("{url}/api/v1/admin/adapters"))
                .header("content-type", "application/gzip")
                .body(files.to_tar_gz()),
        )
        .await
    }

    async fn activate(
        &self,
        http: &reqwest::Client,
        url: &str,
        version: &str,
    ) -> anyhow::Result<()> {
        operator(http.post(format!(
            "{url}/api/v1/admin/adapters/fixture/activate/{version}"
        )))
        .await
    }

    async fn rollback(&self, http: &reqwest::Client, url: &str) -> anyhow::Result<()> {
        operator(http.post(format!("{url}/api/v1/admin/adapters/fixture/rollback"))).await
    }
}

/// Sends an operator's request; an error answer is an error.
async fn operator(request: reqwest::RequestBuilder) -> anyhow::Result<()> {
    let answer = request.bearer_auth(OPERATOR).send().await?;
    let status = answer.status();
    let body = answer.text().await?;
    ensure!(status.is_success(), "operator request: {status} {body}");
    Ok(())
}

/// `pg_ctlcluster <version> <cluster> restart` of the machine's first cluster.
fn restart_postgres() -> anyhow::Result<()> {
    let clusters = Command::new("pg_lsclusters").arg("-h").output()?;
    let text = String::from_utf8(clusters.stdout)?;
    let mut fields = text.split_whitespace();
    let (Some(version), Some(cluster)) = (fields.next(), fields.next()) else {
        bail!("pg_lsclusters lists no cluster");
    };
    let status = Command::new("pg_ctlcluster")
        .args([version, cluster, "restart", "-m", "fast"])
        .status()?;
    ensure!(status.success(), "pg_ctlcluster restart failed: {status}");
    Ok(())
}

/// Waits until the outbox is empty: every case handed to its department.
async fn drain(pool: &sqlx::PgPool) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let rows =
            sqlx::query("SELECT case_no, adapter_id, state, attempts, last_error FROM outbox")
                .fetch_all(pool)
                .await?;
        if rows.is_empty() {
            return Ok(());
        }
        if Instant::now() > deadline {
            let mut waiting = String::new();
            for row in rows.iter().take(20) {
                let error: Option<String> = row.try_get("last_error")?;
                writeln!(
                    waiting,
                    "  {} to {}: {}, {} attempts, {}",
                    row.try_get::<String, _>("case_no")?,
                    row.try_get::<String, _>("adapter_id")?,
                    row.try_get::<String, _>("state")?,
                    row.try_get::<i64, _>("attempts")?,
                    error.unwrap_or_default()
                )?;
            }
            bail!(
                "{} cases were still not delivered after 120 s:\n{waiting}",
                rows.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Every case the platform accepted reached its department exactly once.
async fn check(
    scenario: Scenario,
    seen: &Seen,
    pool: &sqlx::PgPool,
    mocks: &Mocks,
    http: &reqwest::Client,
) -> anyhow::Result<Outcome> {
    // (case number) → (adapter, part status, delivered steps on its timeline)
    let rows = sqlx::query(
        "SELECT p.case_no, p.adapter_id, p.status, \
         (SELECT COUNT(*) FROM timeline t WHERE t.case_no = p.case_no AND t.part_no = p.part_no \
          AND t.status = 'delivered') AS delivered \
         FROM case_parts p",
    )
    .fetch_all(pool)
    .await?;
    let mut stored: BTreeMap<String, (String, String, i64)> = BTreeMap::new();
    for row in &rows {
        stored.insert(
            row.try_get("case_no")?,
            (
                row.try_get("adapter_id")?,
                row.try_get("status")?,
                row.try_get("delivered")?,
            ),
        );
    }
    let mut lost = Vec::new();
    let mut duplicated = Vec::new();
    for (case_no, adapter) in &seen.accepted {
        match stored.get(case_no) {
            None => lost.push(format!(
                "{case_no} ({adapter}) was answered 201 but is not stored"
            )),
            Some((stored_adapter, _, _)) if stored_adapter != adapter => {
                lost.push(format!("{case_no} went to {stored_adapter}, not {adapter}"))
            }
            Some(_) => {}
        }
    }
    let mut delivered = 0;
    let mut per_adapter: HashMap<&str, u64> = HashMap::new();
    for (case_no, (adapter, status, steps)) in &stored {
        match steps {
            0 => lost.push(format!(
                "{case_no} ({adapter}) is {status}, never delivered"
            )),
            1 => {
                delivered += 1;
                *per_adapter.entry(adapter).or_default() += 1;
            }
            n => duplicated.push(format!(
                "{case_no} ({adapter}) was recorded delivered {n} times"
            )),
        }
        if adapter != "fixture" && *steps > 0 {
            let at = format!("http://{}/_mock/cases/{case_no}", mocks.of(adapter).addr());
            if !http.get(&at).send().await?.status().is_success() {
                lost.push(format!(
                    "{case_no} is delivered but {adapter}'s system does not have it"
                ));
            }
        }
    }
    let mut resent = 0;
    for adapter in [
        "market-supervision",
        "public-security",
        "tax",
        "social-security",
    ] {
        let (cases, repeats) = mocks.of(adapter).stats();
        let expected = per_adapter.get(adapter).copied().unwrap_or_default();
        if cases > expected {
            duplicated.push(format!(
                "{adapter}'s system stored {cases} cases for {expected} delivered"
            ));
        }
        resent += repeats;
    }
    Ok(Outcome {
        scenario,
        accepted: stored.len(),
        delivered,
        lost,
        duplicated,
        resent,
        refused: seen.refused,
        unanswered: seen.unanswered,
        p99: None,
    })
}

fn table(outcomes: &[Outcome], baseline: Option<Duration>) -> String {
    let mut out = String::from(
        "| scenario | fault | accepted | delivered | lost | duplicated | resent, kept once | refused or unanswered | healthy p99 | vs baseline |\n\
         |---|---|--:|--:|--:|--:|--:|--:|--:|--:|\n",
    );
    for o in outcomes {
        let p99 = o
            .p99
            .map_or("–".into(), |p| format!("{:.1} ms", p.as_secs_f64() * 1e3));
        let ratio = match (o.p99, baseline) {
            (Some(p), Some(b)) if !b.is_zero() => {
                format!("{:.2}×", p.as_secs_f64() / b.as_secs_f64())
            }
            _ => "–".into(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {p99} | {ratio} |",
            o.scenario.name(),
            o.scenario.what(),
            o.accepted,
            o.delivered,
            o.lost.len(),
            o.duplicated.len(),
            o.resent,
            o.refused + o.unanswered,
        );
    }
    out
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    ensure!(args.seconds >= 3, "--seconds must be at least 3");
    let mut scenarios = vec![Scenario::Baseline];
    for name in &args.only {
        let scenario = Scenario::ALL
            .into_iter()
            .find(|s| s.name() == name)
            .with_context(|| {
                let names: Vec<_> = Scenario::ALL.iter().map(|s| s.name()).collect();
                format!("no scenario {name:?}; there are {}", names.join(", "))
            })?;
        if scenario != Scenario::Baseline {
            scenarios.push(scenario);
        }
    }
    if args.only.is_empty() {
        scenarios = Scenario::ALL.to_vec();
    }
    let binary = onewindow_tests::onewindow_binary();
    let mut outcomes: Vec<Outcome> = Vec::new();
    let mut failures = Vec::new();
    for scenario in scenarios {
        eprintln!("== {}: {}", scenario.name(), scenario.what());
        let outcome = run(scenario, args.seconds, &binary)
            .await
            .with_context(|| format!("scenario {}", scenario.name()))?;
        for problem in outcome.lost.iter().chain(&outcome.duplicated) {
            failures.push(format!("{}: {problem}", scenario.name()));
        }
        eprintln!(
            "   accepted {}, delivered {}, lost {}, duplicated {}",
            outcome.accepted,
            outcome.delivered,
            outcome.lost.len(),
            outcome.duplicated.len()
        );
        outcomes.push(outcome);
    }
    let baseline = outcomes
        .iter()
        .find(|o| o.scenario == Scenario::Baseline)
        .and_then(|o| o.p99);
    if args.strict
        && let Some(baseline) = baseline
    {
        for o in &outcomes {
            if o.scenario.broken_adapter().is_some()
                && let Some(p) = o.p99
                && p > baseline * 2
            {
                failures.push(format!(
                    "{}: healthy p99 {p:?} is more than twice the baseline's {baseline:?}",
                    o.scenario.name()
                ));
            }
        }
    }
    let table = table(&outcomes, baseline);
    println!("{table}");
    if let Some(path) = &args.table {
        std::fs::write(path, &table)?;
    }
    ensure!(failures.is_empty(), "{}", failures.join("\n"));
    Ok(())
}
