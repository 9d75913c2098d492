//! What loaded adapters cost as their number grows: 1, 10 and 100 distinct
//! market-supervision components (each with its own hash, as separate
//! departments' adapters would have) loaded into one runtime.
//!
//! For each count a fresh process (this binary again, with `--child`) loads them
//! twice: compiled afresh into an empty compile cache, then again from that cache
//! (what a restart does). It reports the activation time per adapter, the resident
//! memory the loaded adapters add (VmRSS, idle: loaded, no call running), and the
//! median cost of a call to one adapter, which must not grow with the number
//! loaded. Results: a Markdown table and JSON under target/bench-results/.
//!
//! `cargo bench -p onewindow-tests --bench adapter_scale` (part of `make bench`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Parser;
use onewindow::adapter::Adapter as _;
use onewindow::runtime::{Runtime, RuntimeConfig, WasmAdapter};
use onewindow_tests::components;
use serde_json::{Value, json};

#[derive(Parser)]
#[command(about = "Memory, activation time and call cost with 1, 10 and 100 adapters loaded")]
struct Args {
    /// Numbers of adapters, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,10,100")]
    counts: Vec<usize>,
    /// Internal: load this many adapters in this process and print JSON.
    #[arg(long, hide = true)]
    child: Option<usize>,
    /// Internal: the compile cache folder of the child.
    #[arg(long, hide = true)]
    cache: Option<PathBuf>,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

/// This process's resident memory, bytes.
fn resident() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("reading /proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .expect("VmRSS in /proc/self/status")
        * 1024
}

/// The market-supervision component with a custom section naming `n`, so each
/// copy has its own hash and is compiled and cached on its own.
fn distinct_component(dir: &Path, n: usize) -> PathBuf {
    let mut component = std::fs::read(components::MARKET_SUPERVISION).expect("the component");
    let (name, data) = (b"build".as_slice(), format!("scale-{n:04}"));
    let payload = 1 + name.len() + data.len();
    component.extend([0, payload as u8, name.len() as u8]);
    component.extend(name);
    component.extend(data.as_bytes());
    let path = dir.join(format!("ms-{n:04}.wasm"));
    std::fs::write(&path, component).expect("writing a component");
    path
}

/// Writes `count` packages under `dir` and returns their folders.
fn packages(dir: &Path, count: usize) -> Vec<PathBuf> {
    (0..count)
        .map(|n| {
            let folder = dir.join(format!("ms-{n:04}"));
            std::fs::create_dir_all(&folder).expect("a package folder");
            let component = distinct_component(dir, n);
            std::fs::write(
                folder.join("adapter.toml"),
                format!(
                    "id = \"ms-{n:04}\"\nversion = \"0.1.0\"\ndepartment = \"县市场监督管理局{n}\"\n\
                     api = \"onewindow:adapter@0.2.0\"\ncomponent = {:?}\n\
                     [config]\nendpoint = \"http://127.0.0.1:9/unused\"\n",
                    component.display().to_string()
                ),
            )
            .expect("a manifest");
            folder
        })
        .collect()
}

/// Loads the packages; returns the adapters and the time taken.
fn load_all(runtime: &Runtime, folders: &[PathBuf]) -> (Vec<WasmAdapter>, Duration) {
    let started = Instant::now();
    let adapters = folders
        .iter()
        .map(|f| runtime.load_dir(f).expect("loading an adapter"))
        .collect();
    (adapters, started.elapsed())
}

/// Median of `calls` calls of `cases.on-notify` with one record on `adapter`.
fn call_median(adapter: &WasmAdapter, calls: usize) -> Duration {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let body = market_supervision::sample_notification(1);
    let headers = [(
        "content-type".to_owned(),
        "text/xml; charset=GBK".to_owned(),
    )];
    let mut samples: Vec<Duration> = rt.block_on(async {
        let mut samples = Vec::with_capacity(calls);
        for _ in 0..calls {
            let started = Instant::now();
            let events = adapter.on_notify(&headers, &body).await.expect("a call");
            samples.push(started.elapsed());
            std::hint::black_box(events);
        }
        samples
    });
    samples.sort_unstable();
    samples[samples.len() / 2]
}

/// The child: loads `count` adapters twice (cold, then from the cache) and prints JSON.
fn child(count: usize, cache: PathBuf) {
    let dir = tempfile::tempdir().expect("a folder");
    let folders = packages(dir.path(), count);
    let exchange = tempfile::tempdir().expect("an exchange root");
    let runtime = |cache: &Path| {
        Runtime::new(RuntimeConfig {
            exchange_root: exchange.path().to_owned(),
            max_instances: 1000,
            cache_dir: Some(cache.to_owned()),
            ..RuntimeConfig::default()
        })
        .expect("a runtime")
    };
    // Cold: compiled afresh (and written to the cache).
    let cold_runtime = runtime(&cache);
    let (cold, cold_time) = load_all(&cold_runtime, &folders);
    drop(cold);
    drop(cold_runtime);
    // Warm: a restart that finds every adapter in the cache; memory measured here.
    let before = resident();
    let warm_runtime = runtime(&cache);
    let (adapters, warm_time) = load_all(&warm_runtime, &folders);
    let loaded = resident();
    let call = call_median(&adapters[count / 2], 2000);
    let value = json!({
        "adapters": count,
        "cold_activation_ms": cold_time.as_secs_f64() * 1e3 / count as f64,
        "cached_activation_ms": warm_time.as_secs_f64() * 1e3 / count as f64,
        "resident_added_bytes": loaded.saturating_sub(before),
        "call_median_us": call.as_secs_f64() * 1e6,
    });
    println!("{value}");
}

fn main() {
    let args = Args::parse();
    if let Some(count) = args.child {
        child(count, args.cache.expect("--cache with --child"));
        return;
    }
    let me = std::env::current_exe().expect("this binary");
    let mut rows: Vec<Value> = Vec::new();
    for &count in &args.counts {
        eprintln!("{count} adapter(s): compiling, then loading from the cache");
        let cache = tempfile::tempdir().expect("a cache folder");
        let output = std::process::Command::new(&me)
            .args(["--child", &count.to_string(), "--cache"])
            .arg(cache.path())
            .output()
            .expect("running the child");
        assert!(
            output.status.success(),
            "the child for {count} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let line = String::from_utf8(output.stdout).expect("UTF-8");
        rows.push(serde_json::from_str(line.trim()).expect("the child's JSON"));
    }
    let base_call = rows[0]["call_median_us"].as_f64().unwrap_or(f64::NAN);
    let mut table = String::from(
        "| adapters loaded | activation, compiled | activation, from cache | resident memory added | per adapter | call (1 record) | against 1 loaded |\n\
         |---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for row in &rows {
        let count = row["adapters"].as_u64().unwrap_or(1);
        let added = row["resident_added_bytes"].as_f64().unwrap_or(0.0);
        let call = row["call_median_us"].as_f64().unwrap_or(f64::NAN);
        writeln!(
            table,
            "| {count} | {:.1} ms each | {:.2} ms each | {:.1} MiB | {:.2} MiB | {call:.1} µs | {:.2}× |",
            row["cold_activation_ms"].as_f64().unwrap_or(f64::NAN),
            row["cached_activation_ms"].as_f64().unwrap_or(f64::NAN),
            added / (1024.0 * 1024.0),
            added / (1024.0 * 1024.0) / count as f64,
            call / base_call,
        )
        .expect("writing to a String");
    }
    println!("{table}");
    let out = onewindow_tests::repo_root().join("target/bench-results");
    std::fs::create_dir_all(&out).expect("the results folder");
    std::fs::write(out.join("adapter_scale.md"), &table).expect("writing the table");
    std::fs::write(
        out.join("adapter_scale.json"),
        serde_json::to_string_pretty(&rows).expect("JSON"),
    )
    .expect("writing the JSON");
    eprintln!("written to {}", out.join("adapter_scale.md").display());
}
