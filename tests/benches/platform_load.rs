//! Load generator for the platform over HTTP: accepted cases per second with
//! p50/p99 latency at several numbers of concurrent clients, on SQLite and on
//! PostgreSQL, and cases delivered per second end to end through the
//! market-supervision adapter to the mock 县市场监督管理局 system (from the
//! phase's start until its last case is in the mock's register). Writes a
//! Markdown table, the figures as JSON, and a plot of latency against load (SVG)
//! to target/bench-results/.
//!
//! The platform runs on its own tokio runtime (as `onewindow serve` would), the
//! clients on another, both in this process and on this machine's cores, talking
//! HTTP/1.1 keep-alive over 127.0.0.1.
//!
//! ```sh
//! ONEWINDOW_TEST_POSTGRES=$(bash tests/postgres.sh) \
//!     cargo bench -p onewindow-tests --bench platform_load -- --secs 5
//! ```

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use clap::Parser;
use hdrhistogram::Histogram;
use legacy_systems::market_supervision as mock;
use onewindow::platform::Clock;
use onewindow_tests::{CLERK, Db, Running, fresh_database, platform_config};
use serde_json::{Value, json};

#[derive(Parser)]
#[command(about = "Accepted and delivered cases per second against a running platform")]
struct Args {
    /// Seconds of load per number of clients.
    #[arg(long, default_value_t = 5)]
    secs: u64,
    /// Numbers of concurrent clients, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,16,64")]
    clients: Vec<usize>,
    /// Databases, comma-separated: sqlite, postgres (PostgreSQL needs
    /// ONEWINDOW_TEST_POSTGRES, as `make bench` sets it).
    #[arg(long, value_delimiter = ',', default_value = "sqlite,postgres")]
    db: Vec<String>,
    /// Where the Markdown table is written as well as printed [default:
    /// target/bench-results/platform_load.md in the repository].
    #[arg(long)]
    out: Option<std::path::PathBuf>,
    /// Accept only: no delivery worker runs (to tell acceptance's own cost
    /// from delivery's).
    #[arg(long)]
    no_delivery: bool,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

/// One run at one number of clients.
struct Phase {
    clients: usize,
    /// Requests answered as expected (cases accepted, lookups answered).
    succeeded: u64,
    failed: u64,
    elapsed: Duration,
    latency: Histogram<u64>,
    /// Cases the phase accepted that reached the department, and the time from
    /// the phase's start until the last of them did.
    delivered: u64,
    delivered_in: Duration,
    /// Cases still waiting in the outbox as the phase's last client stopped:
    /// how far delivery lagged behind acceptance.
    lag: i64,
}

fn application(n: u64) -> Value {
    json!({
        "matter_code": "330122-SCJG-XK-001",
        "applicant": {"type": "person", "id_number": "11010519491231002X", "name": "陈晓东"},
        "form": onewindow_tests::company_form(&format!("桐庐压测{n}号有限公司"), "陈晓东"),
        "attachments": (["001", "002", "003", "004", "005"].iter().map(|code| json!({
            "material_code": code, "file_name": format!("{code}.pdf"),
            "media_type": "application/pdf", "content_base64": "JVBERi0xLjQK"
        })).collect::<Vec<_>>()),
    })
}

/// What the clients ask.
#[derive(Clone, Copy)]
enum Ask {
    /// `POST /api/v1/cases`, expecting 201.
    Accept,
    /// `GET /api/v1/licenses?holder=`, which asks every license adapter live.
    LookUp,
}

/// `clients` clients each accepting cases one after another for `length`.
async fn load(url: &str, clients: usize, length: Duration) -> Phase {
    load_with(url, clients, length, Ask::Accept).await
}

/// `clients` clients each asking `ask` one after another for `length`.
async fn load_with(url: &str, clients: usize, length: Duration, ask: Ask) -> Phase {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()
        .expect("an HTTP client");
    let started = Instant::now();
    let until = started + length;
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..clients {
        let client = client.clone();
        let url = url.to_owned();
        tasks.spawn(async move {
            let mut latency = Histogram::<u64>::new(3).expect("a histogram");
            let (mut succeeded, mut failed) = (0u64, 0u64);
            let mut n = c as u64 * 1_000_000;
            while Instant::now() < until {
                n += 1;
                let sent = Instant::now();
                let (request, expected) = match ask {
                    Ask::Accept => (
                        client
                            .post(format!("{url}/api/v1/cases"))
                            .json(&application(n)),
                        reqwest::StatusCode::CREATED,
                    ),
                    Ask::LookUp => (
                        client.get(format!("{url}/api/v1/licenses?holder=11010519491231002X")),
                        reqwest::StatusCode::OK,
                    ),
                };
                let response = request.bearer_auth(CLERK).send().await;
                match response {
                    Ok(r) if r.status() == expected => {
                        // Read the whole answer: a client is not done before that.
                        let _ = r.bytes().await;
                        latency
                            .record(sent.elapsed().as_micros() as u64)
                            .expect("latency within range");
                        succeeded += 1;
                    }
                    Ok(r) => {
                        failed += 1;
                        if failed == 1 {
                            let status = r.status();
                            let body = r.text().await.unwrap_or_default();
                            eprintln!("client {c}: {status}: {body}");
                        }
                    }
                    Err(e) => {
                        failed += 1;
                        if failed == 1 {
                            eprintln!("client {c}: {e}");
                        }
                    }
                }
            }
            (succeeded, failed, latency)
        });
    }
    let mut phase = Phase {
        clients,
        succeeded: 0,
        failed: 0,
        elapsed: Duration::ZERO,
        latency: Histogram::new(3).expect("a histogram"),
        delivered: 0,
        delivered_in: Duration::ZERO,
        lag: 0,
    };
    while let Some(result) = tasks.join_next().await {
        let (succeeded, failed, latency) = result.expect("a client task");
        phase.succeeded += succeeded;
        phase.failed += failed;
        phase.latency.add(latency).expect("histograms of one shape");
    }
    phase.elapsed = started.elapsed();
    phase
}

/// Rows in the outbox still waiting to be delivered.
async fn backlog(platform: &onewindow::platform::Platform) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM outbox")
        .fetch_one(platform.store.pool())
        .await
        .expect("counting the outbox")
}

/// License lookups (which call every license adapter live) at 16 clients, in a
/// steady state and while an adapter is swapped between two versions.
struct Swaps {
    steady: Phase,
    swapping: Phase,
    swaps: u32,
}

/// Installs two versions of the fixture adapter and measures [`Swaps`].
fn swap_phases(
    server: &tokio::runtime::Runtime,
    clients: &tokio::runtime::Runtime,
    running: &Running,
    dir: &std::path::Path,
    secs: u64,
) -> Swaps {
    let platform = running.platform.clone();
    for version in ["1.0.0", "2.0.0"] {
        let manifest = onewindow_tests::fixture_package_manifest(version, "", "")
            + onewindow_tests::FIXTURE_GRANT;
        let files = onewindow_tests::signed_package(dir, &manifest);
        server
            .block_on(platform.install_package(&files.to_tar_gz(), "bench"))
            .expect("installing the fixture");
    }
    server
        .block_on(platform.activate_adapter("fixture", "1.0.0", "bench", false))
        .expect("activating the fixture");
    let length = Duration::from_secs(secs);
    eprintln!("license lookups, steady, for {secs} s");
    let steady = clients.block_on(load_with(&running.url, 16, length, Ask::LookUp));
    eprintln!("license lookups while swapping every 100 ms, for {secs} s");
    let swapper = server.spawn(async move {
        let mut swaps = 0u32;
        let until = Instant::now() + length;
        while Instant::now() < until {
            let version = if swaps.is_multiple_of(2) {
                "2.0.0"
            } else {
                "1.0.0"
            };
            platform
                .activate_adapter("fixture", version, "bench", true)
                .await
                .expect("swapping");
            swaps += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        swaps
    });
    let swapping = clients.block_on(load_with(&running.url, 16, length, Ask::LookUp));
    let swaps = server.block_on(swapper).expect("the swapper");
    Swaps {
        steady,
        swapping,
        swaps,
    }
}

/// Runs every phase on `db`; `None` when the database is not available.
fn run_database(db: Db, args: &Args) -> Option<(Vec<Phase>, Swaps)> {
    if db == Db::Postgres && std::env::var_os("ONEWINDOW_TEST_POSTGRES").is_none() {
        eprintln!(
            "skipping PostgreSQL: ONEWINDOW_TEST_POSTGRES is not set (see tests/postgres.sh)"
        );
        return None;
    }
    let server = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("platform")
        .build()
        .expect("the platform's runtime");
    let clients = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("clients")
        .build()
        .expect("the clients' runtime");
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a data directory");
    let (mock, running) = server.block_on(async {
        // Cases stay at the department's first stage: the status feed stays quiet
        // and what is measured is acceptance and delivery.
        let mock = mock::start(
            "127.0.0.1:0".parse().expect("an address"),
            mock::Config {
                stage: Duration::from_secs(3600),
                ..mock::Config::default()
            },
        )
        .await
        .expect("starting the mock system");
        let database = fresh_database(db, dir.path()).await;
        let config = platform_config(dir.path(), &database, &mock);
        let running = Running::start(config, !args.no_delivery, Clock::System).await;
        (mock, running)
    });
    let url = running.url.clone();

    eprintln!("{db:?}: warming up");
    clients.block_on(load(&url, 16, Duration::from_secs(1)));
    let platform = running.platform.clone();
    let drain = || {
        let drained_by = Instant::now() + Duration::from_secs(600);
        while !args.no_delivery && server.block_on(backlog(&platform)) > 0 {
            assert!(
                Instant::now() < drained_by,
                "the outbox did not drain within 10 minutes"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    drain();
    let mut phases = Vec::new();
    for &n in &args.clients {
        eprintln!("{db:?}: {n} client(s) for {} s", args.secs);
        let before = mock.stats().cases;
        let started = Instant::now();
        let mut phase = clients.block_on(load(&url, n, Duration::from_secs(args.secs)));
        phase.lag = server.block_on(backlog(&platform));
        eprintln!(
            "{db:?}: waiting for the delivery of {} case(s)",
            phase.succeeded
        );
        drain();
        phase.delivered = mock.stats().cases - before;
        phase.delivered_in = started.elapsed();
        phases.push(phase);
    }
    let swaps = swap_phases(&server, &clients, &running, dir.path(), args.secs);
    server.block_on(async {
        drop(running);
        mock.shutdown().await;
    });
    Some((phases, swaps))
}

fn millis(micros: u64) -> String {
    format!("{:.1} ms", micros as f64 / 1000.0)
}

fn per_second(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

/// p50 and p99 latency against the number of clients, per database, as SVG.
fn plot(rows: &[Value], path: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    use plotters::prelude::*;
    let max_clients = rows
        .iter()
        .filter_map(|r| r["clients"].as_f64())
        .fold(1.0, f64::max);
    let max_ms = rows
        .iter()
        .filter_map(|r| r["p99_ms"].as_f64())
        .fold(1.0, f64::max);
    let root = SVGBackend::new(path, (720, 440)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Accepting cases over HTTP: latency against concurrent clients",
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d((1f64..max_clients * 1.2).log_scale(), 0f64..max_ms * 1.1)?;
    chart
        .configure_mesh()
        .x_desc("concurrent clients (log scale)")
        .y_desc("latency, ms")
        .draw()?;
    let series = [
        ("sqlite", "p50_ms", BLUE.mix(0.5)),
        ("sqlite", "p99_ms", BLUE.to_rgba()),
        ("postgres", "p50_ms", RED.mix(0.5)),
        ("postgres", "p99_ms", RED.to_rgba()),
    ];
    for (db, quantile, colour) in series {
        let points: Vec<(f64, f64)> = rows
            .iter()
            .filter(|r| r["database"] == db)
            .filter_map(|r| Some((r["clients"].as_f64()?, r[quantile].as_f64()?)))
            .collect();
        if points.is_empty() {
            continue;
        }
        chart
            .draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))?
            .label(format!("{db} {}", &quantile[..3]))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
            });
        chart.draw_series(
            points
                .into_iter()
                .map(|p| Circle::new(p, 3, colour.filled())),
        )?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

fn main() {
    let args = Args::parse();
    let mut table = String::from(
        "| database | clients | accepted/s | p50 | p99 | failed | delivered/s | outbox at the end |\n|---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    let mut swapping = String::from(
        "| database | license lookups, 16 clients | per s | p50 | p99 | failed |\n|---|---|---:|---:|---:|---:|\n",
    );
    let mut rows = Vec::new();
    for name in &args.db {
        let db = match name.as_str() {
            "sqlite" => Db::Sqlite,
            "postgres" => Db::Postgres,
            other => panic!("unknown database {other:?}; use sqlite or postgres"),
        };
        let Some((phases, swaps)) = run_database(db, &args) else {
            continue;
        };
        for (what, p) in [
            ("steady".to_owned(), &swaps.steady),
            (
                format!("{} swaps of an adapter meanwhile", swaps.swaps),
                &swaps.swapping,
            ),
        ] {
            writeln!(
                swapping,
                "| {name} | {what} | {:.0} | {} | {} | {} |",
                per_second(p.succeeded, p.elapsed),
                millis(p.latency.value_at_quantile(0.5)),
                millis(p.latency.value_at_quantile(0.99)),
                p.failed,
            )
            .expect("writing to a String");
        }
        for p in &phases {
            let (p50, p99) = (
                p.latency.value_at_quantile(0.5),
                p.latency.value_at_quantile(0.99),
            );
            writeln!(
                table,
                "| {name} | {} | {:.0} | {} | {} | {} | {:.0} | {} |",
                p.clients,
                per_second(p.succeeded, p.elapsed),
                millis(p50),
                millis(p99),
                p.failed,
                per_second(p.delivered, p.delivered_in),
                p.lag,
            )
            .expect("writing to a String");
            rows.push(json!({
                "database": name,
                "clients": p.clients,
                "accepted_per_s": per_second(p.succeeded, p.elapsed),
                "delivered_per_s": per_second(p.delivered, p.delivered_in),
                "outbox_at_end": p.lag,
                "p50_ms": p50 as f64 / 1000.0,
                "p99_ms": p99 as f64 / 1000.0,
                "failed": p.failed,
            }));
        }
    }
    let report = format!("{table}\n{swapping}");
    println!("{report}");
    let out = args.out.clone().unwrap_or_else(|| {
        onewindow_tests::repo_root().join("target/bench-results/platform_load.md")
    });
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent).expect("creating the results folder");
    }
    std::fs::write(&out, &report).expect("writing the results");
    std::fs::write(
        out.with_extension("json"),
        serde_json::to_string_pretty(&rows).expect("JSON"),
    )
    .expect("writing the JSON");
    let svg = out.with_file_name("latency.svg");
    plot(&rows, &svg).expect("drawing the plot");
    eprintln!(
        "written to {}, its .json and {}",
        out.display(),
        svg.display()
    );
}
