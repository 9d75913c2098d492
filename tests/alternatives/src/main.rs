//! Issue 8, part 1: what dispatching a translation through a onewindow adapter
//! costs against the alternatives, in one run on one machine.
//!
//! The translation is the market-supervision adapter's `cases.on-notify`: a pushed
//! GBK XML notification of N legacy status records turned into unified case
//! events. It is the adapter export that is pure translation (`matters.list` and
//! the others fetch over HTTP first). It runs four ways, for N = 1, 100, 10,000:
//!
//! * `native`: `market_supervision::parse_notification` called in this process;
//! * `onewindow`: the real market-supervision component, `cases.on-notify` on a
//!   fresh instance per call, as the platform calls it;
//! * `http`: an axum microservice on 127.0.0.1 (its own thread and tokio runtime)
//!   whose `POST /translate` runs the native code and answers JSON; a reqwest
//!   client over one HTTP/1.1 keep-alive connection, the time including the
//!   answer's serialisation and its parsing back into events;
//! * `extism`: an Extism plugin (`extism-plugin/`, built with `extism-pdk` from the
//!   same crate) that answers the same JSON, parsed back by the host.
//!
//! Every way is first checked to give the very events of the native call. Calls
//! are then timed one by one, the ways interleaved in rounds so that a change in
//! the machine's load falls on all of them alike. Results: a Markdown table on
//! stdout and in `target/bench/alternatives.md`, and `target/bench/alternatives.json`
//! (`[{way, n, median_ns, p99_ns, ratio_to_native}]`) at the repository's root.
//!
//! `bash tests/alternatives/run.sh` builds the plugin and runs this (`make bench`).

use std::collections::HashSet;
use std::fmt::Write as _;
use std::hint::black_box;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use bytes::Bytes;
use onewindow::adapter::Adapter as _;
use onewindow::model;
use onewindow_sdk::types as sdk;
use onewindow_tests::{TestPackage, components};
use serde::Serialize;

const CONTENT_TYPE: &str = "text/xml; charset=GBK";
const SIZES: [usize; 3] = [1, 100, 10_000];
/// Rounds of the interleaved measurement of one N.
const ROUNDS: u32 = 8;
/// Calls of each way before the first round of one N is timed.
const WARM_UP: Duration = Duration::from_millis(300);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    Native,
    Onewindow,
    Http,
    Extism,
}

const WAYS: [Way; 4] = [Way::Native, Way::Onewindow, Way::Http, Way::Extism];

impl Way {
    fn name(self) -> &'static str {
        match self {
            Way::Native => "native",
            Way::Onewindow => "onewindow",
            Way::Http => "http",
            Way::Extism => "extism",
        }
    }
}

struct Args {
    plugin: PathBuf,
    /// `--profile WAY N`: only call WAY on N records for `seconds`, for `perf`.
    profile: Option<(String, usize)>,
    /// Measuring time for each way and N, spread over the rounds.
    seconds: f64,
    out_dir: PathBuf,
}

fn args() -> anyhow::Result<Args> {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut args = Args {
        plugin: here.join("target/wasm32-unknown-unknown/release/onewindow_extism_plugin.wasm"),
        profile: None,
        seconds: 7.0,
        out_dir: here.join("../../target/bench"),
    };
    let mut given = std::env::args().skip(1);
    while let Some(arg) = given.next() {
        let mut value = || given.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--plugin" => args.plugin = value()?.into(),
            "--seconds" => args.seconds = value()?.parse().context("--seconds")?,
            "--out-dir" => args.out_dir = value()?.into(),
            "--profile" => {
                let way = value()?;
                let n = value()?.parse().context("--profile WAY N")?;
                args.profile = Some((way, n));
            }
            _ => bail!(
                "unknown argument {arg}; usage: [--plugin FILE.wasm] [--seconds PER_WAY_AND_N] [--out-dir DIR] [--profile WAY N]"
            ),
        }
    }
    Ok(args)
}

/// What the four ways are called on.
struct Subjects {
    adapter: onewindow::runtime::WasmAdapter,
    client: reqwest::Client,
    url: String,
    plugin: extism::Plugin,
}

/// The notification of one N, in the forms the ways take it.
struct Input {
    body: Bytes,
    /// For the Extism plugin: the content type, a newline, the body.
    framed: Vec<u8>,
}

impl Input {
    fn new(n: usize) -> Self {
        let body = market_supervision::sample_notification(n);
        let mut framed = Vec::with_capacity(CONTENT_TYPE.len() + 1 + body.len());
        framed.extend_from_slice(CONTENT_TYPE.as_bytes());
        framed.push(b'\n');
        framed.extend_from_slice(&body);
        Input {
            body: body.into(),
            framed,
        }
    }
}

impl Subjects {
    fn native(input: &Input) -> anyhow::Result<Vec<sdk::CaseEvent>> {
        let events = market_supervision::parse_notification(&input.body, CONTENT_TYPE)
            .map_err(|e| anyhow::anyhow!("native translation: {e:?}"))?;
        Ok(events
            .iter()
            .filter_map(sdk::Event::as_case)
            .cloned()
            .collect())
    }

    async fn onewindow(&self, input: &Input) -> anyhow::Result<Vec<model::CaseEvent>> {
        let headers = [("content-type".to_owned(), CONTENT_TYPE.to_owned())];
        Ok(self.adapter.on_notify(&headers, &input.body).await?.events)
    }

    async fn http(&self, input: &Input) -> anyhow::Result<Vec<model::CaseEvent>> {
        let response = self
            .client
            .post(&self.url)
            .header(header::CONTENT_TYPE, CONTENT_TYPE)
            .body(input.body.clone())
            .send()
            .await?
            .error_for_status()?;
        let json = response.bytes().await?;
        Ok(serde_json::from_slice(&json)?)
    }

    fn extism(&mut self, input: &Input) -> anyhow::Result<Vec<model::CaseEvent>> {
        let json = self
            .plugin
            .call::<&[u8], &[u8]>("translate", &input.framed)?;
        Ok(serde_json::from_slice(json)?)
    }

    /// One call of `way`; the number of events it gave.
    async fn call(&mut self, way: Way, input: &Input) -> anyhow::Result<usize> {
        Ok(match way {
            Way::Native => black_box(Self::native(input)?).len(),
            Way::Onewindow => black_box(self.onewindow(input).await?).len(),
            Way::Http => black_box(self.http(input).await?).len(),
            Way::Extism => black_box(self.extism(input)?).len(),
        })
    }

    /// Checks that every way gives the native call's events for `input`.
    async fn check(&mut self, n: usize, input: &Input) -> anyhow::Result<()> {
        let native: Vec<model::CaseEvent> = Self::native(input)?.iter().map(to_model).collect();
        ensure!(
            native.len() == n,
            "native: {} events for {n} records",
            native.len()
        );
        let onewindow = self.onewindow(input).await?;
        let http = self.http(input).await?;
        let extism = self.extism(input)?;
        for (way, events) in [("onewindow", onewindow), ("http", http), ("extism", extism)] {
            ensure!(
                events.len() == n,
                "{way}: {} events for {n} records",
                events.len()
            );
            ensure!(
                events == native,
                "{way}: other events than the native call's"
            );
        }
        Ok(())
    }
}

/// The native call's events in the platform's types, converted here independently
/// of the host's and the `wire` crate's conversions so that each is checked.
fn to_model(event: &sdk::CaseEvent) -> model::CaseEvent {
    model::CaseEvent {
        case_no: event.case_no.clone(),
        status: match event.status {
            sdk::CaseStatus::InReview => model::CaseStatus::InReview,
            sdk::CaseStatus::SupplementRequested => model::CaseStatus::SupplementRequested,
            sdk::CaseStatus::SpecialProcedure => model::CaseStatus::SpecialProcedure,
            sdk::CaseStatus::Approved => model::CaseStatus::Approved,
            sdk::CaseStatus::Denied => model::CaseStatus::Denied,
            sdk::CaseStatus::Completed => model::CaseStatus::Completed,
        },
        at: event.at.clone(),
        note: event.note.clone(),
        issued: event.issued.as_ref().map(|license| model::License {
            type_code: license.type_code.clone(),
            type_name: license.type_name.clone(),
            number: license.number.clone(),
            holder: match &license.holder {
                sdk::Party::Person(p) => model::Party::Person {
                    id_number: p.id_number.clone(),
                    name: p.name.clone(),
                },
                sdk::Party::Organization(o) => model::Party::Organization {
                    credit_code: o.credit_code.clone(),
                    name: o.name.clone(),
                },
            },
            issuer: license.issuer.clone(),
            issued_on: license.issued_on.clone(),
            valid_until: license.valid_until.clone(),
            status: match license.status {
                sdk::LicenseStatus::Valid => model::LicenseStatus::Valid,
                sdk::LicenseStatus::Revoked => model::LicenseStatus::Revoked,
                sdk::LicenseStatus::Expired => model::LicenseStatus::Expired,
            },
            face: license
                .face
                .iter()
                .map(|f| (f.key.clone(), f.value.clone()))
                .collect(),
        }),
    }
}

/// The microservice: `POST /translate` runs the native translation and answers
/// the events as JSON. Its own thread and current-thread tokio runtime.
struct Microservice {
    url: String,
    /// The client addresses it has served: one, if the connection is kept alive.
    peers: Arc<Mutex<HashSet<SocketAddr>>>,
}

fn start_microservice() -> anyhow::Result<Microservice> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let peers = Arc::new(Mutex::new(HashSet::new()));
    let state = peers.clone();
    std::thread::Builder::new()
        .name("microservice".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("the microservice's runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)
                    .expect("the microservice's listener");
                let app = Router::new()
                    .route("/translate", post(translate))
                    // 10,000 records are ~2.6 MB, over axum's default limit of 2 MB.
                    .layer(DefaultBodyLimit::max(64 << 20))
                    .with_state(state);
                axum::serve(
                    listener,
                    app.into_make_service_with_connect_info::<SocketAddr>(),
                )
                .await
                .expect("the microservice serves");
            });
        })?;
    Ok(Microservice {
        url: format!("http://{addr}/translate"),
        peers,
    })
}

async fn translate(
    State(peers): State<Arc<Mutex<HashSet<SocketAddr>>>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    peers.lock().unwrap().insert(peer);
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    match market_supervision::parse_notification(&body, content_type) {
        Ok(events) => (
            [(header::CONTENT_TYPE, "application/json")],
            wire::to_json(&events),
        )
            .into_response(),
        Err(e) => (StatusCode::UNPROCESSABLE_ENTITY, format!("{e:?}")).into_response(),
    }
}

#[derive(Serialize)]
struct Row {
    way: &'static str,
    n: usize,
    median_ns: u64,
    p99_ns: u64,
    ratio_to_native: f64,
    #[serde(skip)]
    calls: usize,
}

/// The `q` quantile of sorted `samples`, nearest rank.
fn quantile(samples: &[Duration], q: f64) -> Duration {
    let rank = (q * samples.len() as f64).ceil() as usize;
    samples[rank.clamp(1, samples.len()) - 1]
}

fn human(ns: u64) -> String {
    let ns = ns as f64;
    if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{:.1} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

fn command(program: &str, args: &[&str]) -> String {
    std::process::Command::new(program)
        .args(args)
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|| "?".into())
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn main() -> anyhow::Result<()> {
    let args = args()?;
    let started = Instant::now();
    let load_before = load_average();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;

    // (b) The real component, loaded as the platform loads it.
    let (runtime, _exchange) = onewindow_tests::runtime();
    let package = TestPackage::new(
        components::MARKET_SUPERVISION,
        r#"id = "market-supervision"
version = "0.1.0"
department = "县市场监督管理局"
api = "onewindow:adapter@0.2.0"
[config]
endpoint = "http://127.0.0.1:9/unused"
"#,
    );
    let adapter = runtime.load_dir(package.path())?;

    // (c) The microservice and a client holding one HTTP/1.1 keep-alive connection.
    let microservice = start_microservice()?;
    let client = reqwest::Client::builder()
        .http1_only()
        .pool_max_idle_per_host(1)
        .pool_idle_timeout(None)
        .build()?;

    // (d) The Extism plugin, WASI off (it imports only Extism's kernel).
    let wasm = std::fs::read(&args.plugin).with_context(|| {
        format!(
            "reading the Extism plugin {} (built by tests/alternatives/run.sh)",
            args.plugin.display()
        )
    })?;
    let plugin = extism::Plugin::new(&wasm, [], false)?;

    let mut subjects = Subjects {
        adapter,
        client,
        url: microservice.url.clone(),
        plugin,
    };

    if let Some((name, n)) = &args.profile {
        let way = WAYS
            .into_iter()
            .find(|w| w.name() == name)
            .with_context(|| format!("no way called {name}"))?;
        let input = Input::new(*n);
        let until = Instant::now() + Duration::from_secs_f64(args.seconds);
        let mut calls = 0u64;
        rt.block_on(async {
            while Instant::now() < until {
                subjects.call(way, &input).await?;
                calls += 1;
            }
            anyhow::Ok(())
        })?;
        let per_call = args.seconds * 1e9 / calls as f64;
        eprintln!(
            "{name}, N = {n}: {calls} calls, {} a call",
            human(per_call as u64)
        );
        return Ok(());
    }

    let mut rows = Vec::new();
    for n in SIZES {
        let input = Input::new(n);
        rt.block_on(subjects.check(n, &input))
            .with_context(|| format!("checking the ways agree for N = {n}"))?;
        let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); WAYS.len()];
        rt.block_on(async {
            for way in WAYS {
                let until = Instant::now() + WARM_UP;
                while Instant::now() < until {
                    subjects.call(way, &input).await?;
                }
            }
            let slice = Duration::from_secs_f64(args.seconds / f64::from(ROUNDS));
            for _ in 0..ROUNDS {
                for (i, way) in WAYS.into_iter().enumerate() {
                    let until = Instant::now() + slice;
                    let mut calls = 0;
                    while calls < 3 || Instant::now() < until {
                        let start = Instant::now();
                        let events = subjects.call(way, &input).await?;
                        samples[i].push(start.elapsed());
                        debug_assert_eq!(events, n);
                        calls += 1;
                    }
                }
            }
            anyhow::Ok(())
        })?;
        let mut native_median = 0;
        for (way, mut samples) in WAYS.into_iter().zip(samples) {
            samples.sort_unstable();
            let median = quantile(&samples, 0.5).as_nanos() as u64;
            let p99 = quantile(&samples, 0.99).as_nanos() as u64;
            if way == Way::Native {
                native_median = median;
            }
            let row = Row {
                way: way.name(),
                n,
                median_ns: median,
                p99_ns: p99,
                ratio_to_native: (median as f64 / native_median as f64 * 100.0).round() / 100.0,
                calls: samples.len(),
            };
            eprintln!(
                "N = {n:>6}  {:<9}  median {:>9}  p99 {:>9}  {:>6.2}× native  ({} calls)",
                row.way,
                human(row.median_ns),
                human(row.p99_ns),
                row.ratio_to_native,
                row.calls
            );
            rows.push(row);
        }
    }
    let connections = microservice.peers.lock().unwrap().len();
    ensure!(
        connections == 1,
        "the HTTP client used {connections} connections instead of one kept alive"
    );

    let report = report(&rows, &load_before, started.elapsed());
    print!("{report}");
    std::fs::create_dir_all(&args.out_dir)?;
    std::fs::write(args.out_dir.join("alternatives.md"), &report)?;
    std::fs::write(
        args.out_dir.join("alternatives.json"),
        serde_json::to_string_pretty(&rows)? + "\n",
    )?;
    eprintln!(
        "wrote {} and alternatives.json",
        args.out_dir.join("alternatives.md").display()
    );
    Ok(())
}

fn find(rows: &[Row], way: &str, n: usize) -> u64 {
    rows.iter()
        .find(|r| r.way == way && r.n == n)
        .map_or(0, |r| r.median_ns)
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "**missed**" }
}

/// The Markdown report: the table, the issue's targets, the machine.
fn report(rows: &[Row], load_before: &str, took: Duration) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "| records | way | median per call | p99 | against native | calls timed |"
    );
    let _ = writeln!(md, "|---:|---|---:|---:|---:|---:|");
    for row in rows {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {:.2}× | {} |",
            row.n,
            row.way,
            human(row.median_ns),
            human(row.p99_ns),
            row.ratio_to_native,
            row.calls
        );
    }
    let big = *SIZES.last().unwrap();
    let in_onewindow = find(rows, "onewindow", big) as f64 / find(rows, "native", big) as f64;
    let http_over = find(rows, "http", 1) as f64 / find(rows, "onewindow", 1) as f64;
    let _ = writeln!(md);
    let _ = writeln!(md, "Targets of issue 8 (medians):");
    let _ = writeln!(md);
    let _ = writeln!(
        md,
        "- onewindow within 2× of native for N = {big} (onewindow's time over native's: {:.2}×) — {}",
        in_onewindow,
        verdict(in_onewindow <= 2.0)
    );
    let _ = writeln!(
        md,
        "- onewindow at least 5× faster than the microservice for N = 1 (the microservice's time over onewindow's: {:.2}×) — {}",
        http_over,
        verdict(http_over >= 5.0)
    );
    let extism: Vec<String> = SIZES
        .iter()
        .map(|&n| {
            format!(
                "N = {n}: {:.2}×",
                find(rows, "extism", n) as f64 / find(rows, "onewindow", n) as f64
            )
        })
        .collect();
    let faster = SIZES
        .iter()
        .all(|&n| find(rows, "onewindow", n) < find(rows, "extism", n));
    let _ = writeln!(
        md,
        "- onewindow faster than Extism for every N (Extism's time over onewindow's: {}) — {}",
        extism.join(", "),
        verdict(faster)
    );
    let _ = writeln!(md);
    let _ = writeln!(
        md,
        "Machine: {} cores (nproc), Linux {}, {}; load average {} before the run, {} after; the run took {:.0} s.",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        command("uname", &["-r"]),
        command("rustc", &["--version"]),
        load_before,
        load_average(),
        took.as_secs_f64()
    );
    md
}
