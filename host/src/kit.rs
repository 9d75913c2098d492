//! `onewindow adapter test`: the offline test kit for integrators. Runs an
//! adapter with no legacy system: outbound HTTP is answered from recorded
//! exchanges, the exchange directory starts from fixture files, and every call's
//! unified result is compared with a golden JSON file, a readable diff for each
//! difference. `--record` makes the same calls against the running legacy system
//! and writes the fixtures.
//!
//! A fixtures folder:
//!
//! ```text
//! calls/01-matters.json            {"call": "matters.list"}
//! calls/01-matters.expected.json   {"ok": …} | {"error": {"kind": …, "message": …}} | {"failure": "…"}
//! calls/02-submit.json             {"call": "cases.submit", "argument": {…}}
//! calls/03-events.json             {"call": "cases.events", "wait_ms": 2000}
//! http.json                        the recorded requests and answers
//! exchange/<call>/                 the exchange directory's files before that call
//! ```
//!
//! Calls run in the order of their file names, on one loaded adapter. A call
//! without an `exchange/<call>/` snapshot sees the folder as the calls before it
//! left it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::adapter::breaker::BreakerConfig;
use crate::adapter::{CallError, LoadError};
use crate::cli::{Call, CliError};
use crate::manifest::{ManifestError, Package};
use crate::runtime::tape::{Exchange, Tape};
use crate::runtime::{Runtime, RuntimeConfig};

/// What `adapter test` was asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// The package directory (with adapter.toml).
    pub package: PathBuf,
    /// The fixtures folder.
    pub fixtures: PathBuf,
    /// Record from the running legacy system instead of comparing.
    pub record: bool,
    /// In recording, where the live exchange directories are.
    pub exchange_root: PathBuf,
    /// Where compiled components are kept between runs; none to compile afresh.
    pub cache_dir: Option<PathBuf>,
}

/// Why the kit could not run (as opposed to an adapter that answers differently).
#[derive(Debug, thiserror::Error)]
pub enum KitError {
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("{path}: {message}")]
    Fixture { path: PathBuf, message: String },
    #[error("cannot prepare the adapter's runtime: {0}")]
    Runtime(String),
}

/// One call's result against its golden file.
#[derive(Debug)]
pub struct Outcome {
    /// The call file's name without `.json`.
    pub name: String,
    /// `None` when the result matched (or was recorded), else what differs.
    pub difference: Option<String>,
}

/// What a run found.
#[derive(Debug)]
pub struct Report {
    pub outcomes: Vec<Outcome>,
    /// Requests the recorded exchanges had no answer for.
    pub unrecorded: Vec<String>,
    /// In recording: how many HTTP exchanges were written.
    pub recorded: Option<usize>,
    /// With a compile cache: its folder, and whether the component came from it.
    pub compiled: Option<(PathBuf, bool)>,
}

impl Report {
    /// Whether every call matched its golden file and no request went unanswered.
    pub fn passed(&self) -> bool {
        self.outcomes.iter().all(|o| o.difference.is_none()) && self.unrecorded.is_empty()
    }

    /// The report as the command prints it.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for outcome in &self.outcomes {
            match &outcome.difference {
                None if self.recorded.is_some() => {
                    out.push_str(&format!("recorded {}\n", outcome.name));
                }
                None => out.push_str(&format!("ok       {}\n", outcome.name)),
                Some(difference) => {
                    out.push_str(&format!("FAILED   {}\n", outcome.name));
                    for line in difference.lines() {
                        out.push_str(&format!("    {line}\n"));
                    }
                }
            }
        }
        if !self.unrecorded.is_empty() {
            out.push_str(
                "requests with no recorded answer (record the fixtures again with --record):\n",
            );
            for request in &self.unrecorded {
                out.push_str(&format!("    {request}\n"));
            }
        }
        let failed = self
            .outcomes
            .iter()
            .filter(|o| o.difference.is_some())
            .count();
        if let Some((dir, cached)) = &self.compiled {
            out.push_str(&if *cached {
                format!("component: from the compile cache ({})\n", dir.display())
            } else {
                format!(
                    "component: compiled, kept for the next run ({})\n",
                    dir.display()
                )
            });
        }
        match self.recorded {
            Some(exchanges) => out.push_str(&format!(
                "{} calls recorded, {exchanges} HTTP exchanges\n",
                self.outcomes.len()
            )),
            None => out.push_str(&format!(
                "{} calls: {} passed, {failed} failed\n",
                self.outcomes.len(),
                self.outcomes.len() - failed
            )),
        }
        out
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CallFile {
    call: String,
    #[serde(default)]
    argument: Value,
    /// In recording, how long to wait before the call (for the legacy system
    /// to move a case on); replaying answers at once.
    #[serde(default)]
    wait_ms: u64,
}

const HTTP_FILE: &str = "http.json";
const EXCHANGE_DIR: &str = "exchange";
const EXPECTED: &str = ".expected.json";

/// Runs the calls in `options.fixtures` and compares (or records) their results.
pub async fn run(options: &Options) -> Result<Report, KitError> {
    let package = Package::read(&options.package)?;
    let fixtures = &options.fixtures;
    let calls = read_calls(fixtures)?;
    let exchange_dir = package.manifest.grants.exchange_dir.clone();
    let http_file = fixtures.join(HTTP_FILE);

    // The exchange folder as the department left it before each call: recorded
    // from the live folder, replayed into a scratch one.
    let scratch = tempfile::tempdir().map_err(|e| KitError::Runtime(e.to_string()))?;
    let snapshots = fixtures.join(EXCHANGE_DIR);
    let (tape, exchange_root) = if options.record {
        if exchange_dir.is_some() {
            remove_dir(&snapshots)?;
        }
        (Tape::record(), options.exchange_root.clone())
    } else {
        if let Some(dir) = &exchange_dir {
            let target = scratch.path().join(dir);
            std::fs::create_dir_all(&target).map_err(|e| fixture(&target, e))?;
        }
        let exchanges: Vec<Exchange> = match std::fs::read_to_string(&http_file) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| fixture(&http_file, e))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(fixture(&http_file, e)),
        };
        (Tape::replay(exchanges), scratch.path().to_owned())
    };
    let tape = Arc::new(tape);
    let runtime = Runtime::new(RuntimeConfig {
        exchange_root: exchange_root.clone(),
        max_instances: 16,
        // Fixtures show a legacy system's bad days one after another; the
        // breaker must not answer for the adapter.
        breaker: BreakerConfig {
            failures: u32::MAX,
            ..BreakerConfig::default()
        },
        tape: Some(tape.clone()),
        cache_dir: options.cache_dir.clone(),
        recorder: None,
    })
    .map_err(|e| KitError::Runtime(format!("{e:#}")))?;
    let adapter = runtime.load(package.manifest, &package.component, package.sha256)?;

    let mut outcomes = Vec::new();
    for (name, path) in calls {
        let text = std::fs::read_to_string(&path).map_err(|e| fixture(&path, e))?;
        let file: CallFile = serde_json::from_str(&text).map_err(|e| fixture(&path, e))?;
        let call = Call::parse(&file.call, file.argument).map_err(|e| fixture(&path, e))?;
        if options.record && file.wait_ms > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(file.wait_ms)).await;
        }
        if let Some(dir) = &exchange_dir {
            let live = exchange_root.join(dir);
            let snapshot = snapshots.join(&name);
            if options.record {
                copy_dir(&live, &snapshot, true)?;
            } else if snapshot.is_dir() {
                // Emptied rather than replaced: the adapter holds the folder it
                // was loaded with, as it would a department's.
                empty_dir(&live)?;
                copy_dir(&snapshot, &live, false)?;
            }
        }
        let actual = match call.run(&adapter).await {
            Ok(value) => json!({ "ok": value }),
            Err(CliError::Call(CallError::Adapter { error, .. })) => json!({ "error": error }),
            Err(CliError::Call(other)) => json!({ "failure": other.to_string() }),
            Err(other) => return Err(fixture(&path, other)),
        };
        let actual = pretty(&actual);
        let expected_path = path.with_file_name(format!("{name}{EXPECTED}"));
        let difference = if options.record {
            std::fs::write(&expected_path, &actual).map_err(|e| fixture(&expected_path, e))?;
            None
        } else {
            match std::fs::read_to_string(&expected_path) {
                Ok(text) => {
                    // Compared as JSON, shown as text: formatting is not a difference.
                    let expected: Value =
                        serde_json::from_str(&text).map_err(|e| fixture(&expected_path, e))?;
                    let expected = pretty(&expected);
                    (expected != actual).then(|| {
                        similar::TextDiff::from_lines(&expected, &actual)
                            .unified_diff()
                            .context_radius(3)
                            .header(&format!("{name}{EXPECTED}"), "what the adapter answered")
                            .to_string()
                    })
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(format!(
                    "no {} to compare with; write it with --record against the legacy system",
                    expected_path.display()
                )),
                Err(e) => return Err(fixture(&expected_path, e)),
            }
        };
        outcomes.push(Outcome { name, difference });
    }

    let recorded = if options.record {
        let exchanges = tape.exchanges();
        if !exchanges.is_empty() || http_file.exists() {
            let text = serde_json::to_string_pretty(&exchanges).expect("exchanges serialize");
            std::fs::write(&http_file, text + "\n").map_err(|e| fixture(&http_file, e))?;
        }
        Some(exchanges.len())
    } else {
        None
    };
    let compiled = options
        .cache_dir
        .clone()
        .zip(runtime.compile_cache_stats())
        .map(|(dir, (hits, _))| (dir, hits > 0));
    Ok(Report {
        outcomes,
        unrecorded: tape.misses(),
        recorded,
        compiled,
    })
}

/// The call files of `fixtures/calls`, sorted by name, as (name, path).
fn read_calls(fixtures: &Path) -> Result<Vec<(String, PathBuf)>, KitError> {
    let dir = fixtures.join("calls");
    let entries = std::fs::read_dir(&dir).map_err(|e| fixture(&dir, e))?;
    let mut calls = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| fixture(&dir, e))?.path();
        let Some(file_name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if file_name.ends_with(EXPECTED) {
            continue;
        }
        if let Some(name) = file_name.strip_suffix(".json") {
            calls.push((name.to_owned(), path.clone()));
        }
    }
    calls.sort();
    if calls.is_empty() {
        return Err(KitError::Fixture {
            path: dir,
            message: r#"no calls: add one JSON file per call, e.g. 01-matters.json with {"call": "matters.list"}"#.into(),
        });
    }
    Ok(calls)
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).expect("JSON values print") + "\n"
}

fn fixture(path: &Path, e: impl std::fmt::Display) -> KitError {
    KitError::Fixture {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

fn remove_dir(dir: &Path) -> Result<(), KitError> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(fixture(dir, e)),
        _ => Ok(()),
    }
}

/// Removes what `dir` holds, keeping the folder itself.
fn empty_dir(dir: &Path) -> Result<(), KitError> {
    for entry in std::fs::read_dir(dir).map_err(|e| fixture(dir, e))? {
        let path = entry.map_err(|e| fixture(dir, e))?.path();
        let removed = if path.is_dir() && !path.is_symlink() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        removed.map_err(|e| fixture(&path, e))?;
    }
    Ok(())
}

/// Git keeps no empty folder; a snapshot marks one with this file, and the
/// replay leaves it out.
const KEEP: &str = ".keep";

/// Copies the files of `from` (and its subfolders) into `to`. A snapshot marks
/// each empty folder with [`KEEP`]; a restore skips the marks.
fn copy_dir(from: &Path, to: &Path, snapshot: bool) -> Result<(), KitError> {
    std::fs::create_dir_all(to).map_err(|e| fixture(to, e))?;
    let mut empty = true;
    for entry in std::fs::read_dir(from).map_err(|e| fixture(from, e))? {
        let entry = entry.map_err(|e| fixture(from, e))?;
        let kind = entry.file_type().map_err(|e| fixture(&entry.path(), e))?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_dir(&entry.path(), &target, snapshot)?;
        } else if kind.is_file() && entry.file_name() != KEEP {
            std::fs::copy(entry.path(), &target).map_err(|e| fixture(&entry.path(), e))?;
        } else {
            continue;
        }
        empty = false;
    }
    if snapshot && empty {
        let mark = to.join(KEEP);
        std::fs::write(&mark, "").map_err(|e| fixture(&mark, e))?;
    }
    Ok(())
}
