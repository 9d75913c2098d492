//! What an adapter costs in each language: the same translation written in
//! Rust, Python and JavaScript, as `onewindow adapter new` makes it (a legacy
//! catalogue of two entries, GBK JSON, into the contract's matters), built with
//! each language's toolchain from the registries.
//!
//! For each language a fresh process (this binary again, with `--child`) loads
//! the adapter twice: compiled afresh into an empty compile cache, then from
//! that cache (what a restart does). It reports the component's size, both
//! activation times, the resident memory the idle loaded adapter adds (VmRSS),
//! and the median of `matters.list` calls, each on a fresh instance, with the
//! legacy system's answer replayed from the folder's recorded exchange (no
//! network). Results: a Markdown table and JSON under target/bench-results/.
//!
//! `cargo bench -p onewindow-tests --bench adapter_languages` (part of `make
//! bench`; the toolchains come from `make setup`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use onewindow::adapter::Adapter as _;
use onewindow::runtime::tape::{Exchange, Tape};
use onewindow::runtime::{Runtime, RuntimeConfig};
use onewindow::scaffold::Lang;
use serde_json::{Value, json};

#[derive(Parser)]
#[command(
    about = "Size, activation, memory and call cost of one adapter in Rust, Python and JavaScript"
)]
struct Args {
    /// Calls per language for the median.
    #[arg(long, default_value_t = 300)]
    calls: usize,
    /// Internal: load this package in this process and print JSON.
    #[arg(long, hide = true)]
    child: Option<PathBuf>,
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

/// The child: loads the package twice (cold, then from the cache), calls it,
/// and prints JSON.
fn child(package: &Path, cache: &Path, calls: usize) {
    let http = std::fs::read(package.join("fixtures/http.json")).expect("the recorded exchange");
    let exchanges: Vec<Exchange> = serde_json::from_slice(&http).expect("http.json");
    let exchange = tempfile::tempdir().expect("an exchange root");
    let runtime = || {
        Runtime::new(RuntimeConfig {
            exchange_root: exchange.path().to_owned(),
            max_instances: 16,
            cache_dir: Some(cache.to_owned()),
            tape: Some(Arc::new(Tape::replay(exchanges.clone()))),
            ..RuntimeConfig::default()
        })
        .expect("a runtime")
    };
    let load = |runtime: &Runtime| {
        let started = Instant::now();
        let adapter = runtime.load_dir(package).expect("loading the adapter");
        (adapter, started.elapsed())
    };
    // Cold: compiled afresh (and written to the cache).
    let cold_runtime = runtime();
    let (cold, cold_time) = load(&cold_runtime);
    drop(cold);
    drop(cold_runtime);
    // Warm: a restart that finds it in the cache; memory measured here, idle.
    let warm_runtime = runtime();
    let before = resident();
    let (adapter, warm_time) = load(&warm_runtime);
    let loaded = resident();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let mut samples: Vec<Duration> = rt.block_on(async {
        let mut samples = Vec::with_capacity(calls);
        for _ in 0..calls {
            let started = Instant::now();
            let matters = adapter.list_matters().await.expect("a call");
            samples.push(started.elapsed());
            assert_eq!(matters.len(), 2);
        }
        samples
    });
    samples.sort_unstable();
    let value = json!({
        "cold_activation_ms": cold_time.as_secs_f64() * 1e3,
        "cached_activation_ms": warm_time.as_secs_f64() * 1e3,
        "resident_added_bytes": loaded.saturating_sub(before),
        "call_median_us": samples[samples.len() / 2].as_secs_f64() * 1e6,
    });
    println!("{value}");
}

fn main() {
    let args = Args::parse();
    if let Some(package) = &args.child {
        child(
            package,
            args.cache.as_deref().expect("--cache with --child"),
            args.calls,
        );
        return;
    }
    let me = std::env::current_exe().expect("this binary");
    let folder = tempfile::tempdir().expect("a folder");
    let mut rows: Vec<(Lang, u64, Value)> = Vec::new();
    for (lang, id) in [
        (Lang::Rust, "bench-rust"),
        (Lang::Python, "bench-python"),
        (Lang::Js, "bench-js"),
    ] {
        eprintln!("{lang:?}: building with its toolchain");
        let dir = onewindow_tests::build_new_adapter(lang, id, folder.path())
            .unwrap_or_else(|e| panic!("{e}"));
        let size = onewindow::manifest::Package::read(&dir)
            .expect("the package")
            .component
            .len() as u64;
        eprintln!(
            "{lang:?}: compiling, then loading from the cache, then {} calls",
            args.calls
        );
        let cache = tempfile::tempdir().expect("a cache folder");
        let output = std::process::Command::new(&me)
            .arg("--child")
            .arg(&dir)
            .arg("--cache")
            .arg(cache.path())
            .args(["--calls", &args.calls.to_string()])
            .output()
            .expect("running the child");
        assert!(
            output.status.success(),
            "the child for {lang:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let line = String::from_utf8(output.stdout).expect("UTF-8");
        rows.push((
            lang,
            size,
            serde_json::from_str(line.trim()).expect("the child's JSON"),
        ));
    }
    let rust_call = rows[0].2["call_median_us"].as_f64().unwrap_or(f64::NAN);
    let mut table = String::from(
        "| language | component | activation, compiled | activation, from cache | resident memory, idle | one translation (`matters.list`, fresh instance) | against Rust |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
    );
    let mut json_rows = Vec::new();
    for (lang, size, row) in &rows {
        let call = row["call_median_us"].as_f64().unwrap_or(f64::NAN);
        writeln!(
            table,
            "| {lang:?} | {:.1} MB | {:.0} ms | {:.1} ms | {:.1} MiB | {:.0} µs | {:.1}× |",
            *size as f64 / 1e6,
            row["cold_activation_ms"].as_f64().unwrap_or(f64::NAN),
            row["cached_activation_ms"].as_f64().unwrap_or(f64::NAN),
            row["resident_added_bytes"].as_f64().unwrap_or(0.0) / (1024.0 * 1024.0),
            call,
            call / rust_call,
        )
        .expect("writing to a String");
        let mut row = row.clone();
        row["language"] = json!(format!("{lang:?}"));
        row["component_bytes"] = json!(size);
        json_rows.push(row);
    }
    println!("{table}");
    let out = onewindow_tests::repo_root().join("target/bench-results");
    std::fs::create_dir_all(&out).expect("the results folder");
    std::fs::write(out.join("adapter_languages.md"), &table).expect("writing the table");
    std::fs::write(
        out.join("adapter_languages.json"),
        serde_json::to_string_pretty(&json_rows).expect("JSON"),
    )
    .expect("writing the JSON");
    eprintln!("written to {}", out.join("adapter_languages.md").display());
}
