//! The offline test kit (`onewindow adapter test`): every adapter's shipped
//! fixtures pass, and recording from a running legacy system then replaying
//! without it gives the same answers, a diff when they differ, and a list of
//! the requests the recording lacks.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use legacy_systems::market_supervision as mock;
use onewindow::kit::{Options, Report, run};
use onewindow_tests::{TestPackage, components, repo_root};

fn options(package: &Path, fixtures: &Path, record: bool) -> Options {
    Options {
        package: package.to_owned(),
        fixtures: fixtures.to_owned(),
        record,
        exchange_root: PathBuf::from("unused"),
        // The test platforms' cache: Python and JavaScript take seconds to compile.
        cache_dir: Some(repo_root().join("target/test-compile-cache")),
    }
}

/// `adapter test` (and `adapter call`, which loads the same way) compiles a
/// component once: the second run takes it from the compile cache.
#[test]
fn a_second_run_of_the_cli_takes_the_compiled_component_from_the_cache() {
    let adapter = repo_root().join("plugins/market-supervision");
    let cache = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        let output = Command::new(onewindow_tests::onewindow_binary())
            .arg("adapter")
            .arg("test")
            .arg(&adapter)
            .arg("--fixtures")
            .arg(adapter.join("fixtures"))
            .args(extra)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{text}");
        text
    };
    let dir = cache.path().to_str().unwrap();
    let first = run(&["--cache-dir", dir]);
    assert!(
        first.contains(&format!(
            "component: compiled, kept for the next run ({dir})"
        )),
        "{first}"
    );
    let second = run(&["--cache-dir", dir]);
    assert!(
        second.contains(&format!("component: from the compile cache ({dir})")),
        "{second}"
    );
    let fresh = run(&["--no-cache"]);
    assert!(!fresh.contains("component:"), "{fresh}");
}

/// Every adapter in plugins/ (every folder with an adapter.toml).
fn shipped_adapters() -> Vec<PathBuf> {
    let mut adapters: Vec<PathBuf> = std::fs::read_dir(repo_root().join("plugins"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("adapter.toml").is_file())
        .collect();
    adapters.sort();
    adapters
}

#[tokio::test]
async fn every_adapter_ships_fixtures_that_pass() {
    let adapters = shipped_adapters();
    // Rust and Python alike.
    for expected in ["market-supervision", "civil-affairs"] {
        assert!(
            adapters.iter().any(|a| a.ends_with(expected)),
            "{adapters:?}"
        );
    }
    for adapter in adapters {
        let fixtures = adapter.join("fixtures");
        assert!(
            fixtures.join("calls").is_dir(),
            "{} ships no fixtures/calls",
            adapter.display()
        );
        let report = run(&options(&adapter, &fixtures, false))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", adapter.display()));
        assert!(
            report.passed(),
            "{}:\n{}",
            adapter.display(),
            report.render()
        );
        assert!(report.outcomes.len() >= 5, "{}", report.render());
    }
}

/// Copies the call files (not the golden results) of the shipped fixtures.
fn copy_calls(to: &Path) {
    let from = repo_root().join("plugins/market-supervision/fixtures/calls");
    std::fs::create_dir_all(to.join("calls")).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if !name.ends_with(".expected.json") {
            std::fs::copy(&path, to.join("calls").join(name)).unwrap();
        }
    }
}

fn failed(report: &Report) -> Vec<&str> {
    report
        .outcomes
        .iter()
        .filter(|o| o.difference.is_some())
        .map(|o| o.name.as_str())
        .collect()
}

#[tokio::test]
async fn recording_then_replaying_without_the_legacy_system() {
    let legacy = mock::start(
        "127.0.0.1:0".parse().unwrap(),
        mock::Config {
            stage: Duration::from_secs(60),
            ..mock::Config::default()
        },
    )
    .await
    .unwrap();
    let package = TestPackage::new(
        components::MARKET_SUPERVISION,
        &format!(
            r#"id = "market-supervision"
version = "0.1.0"
department = "县市场监督管理局"
api = "onewindow:adapter@0.2.0"
[grants]
outbound = ["http://{}"]
[config]
endpoint = "{}"
"#,
            legacy.addr(),
            legacy.endpoint()
        ),
    );
    let fixtures = tempfile::tempdir().unwrap();
    copy_calls(fixtures.path());

    let recorded = run(&options(package.path(), fixtures.path(), true))
        .await
        .unwrap();
    assert!(recorded.passed(), "{}", recorded.render());
    assert_eq!(recorded.recorded, Some(12), "{}", recorded.render());
    let submitted =
        std::fs::read_to_string(fixtures.path().join("calls/02-submit.expected.json")).unwrap();
    assert!(submitted.contains(r#""ok": "SCJG"#), "{submitted}");
    legacy.shutdown().await;

    // The legacy system is gone: the same answers come from the recording.
    let replayed = run(&options(package.path(), fixtures.path(), false))
        .await
        .unwrap();
    assert!(replayed.passed(), "{}", replayed.render());
    assert!(replayed.render().contains("13 calls: 13 passed, 0 failed"));

    // A golden file that says something else: the call fails with a diff.
    let golden = fixtures
        .path()
        .join("calls/05-licenses-of-an-enterprise.expected.json");
    let text = std::fs::read_to_string(&golden).unwrap();
    std::fs::write(&golden, text.replace("王建国", "王建军")).unwrap();
    // A call the recording never saw: its request is listed.
    std::fs::write(
        fixtures.path().join("calls/09-verify-another.json"),
        r#"{"call": "licenses.verify", "argument": ["YYZZ", "91330122MA28C4W1XW"]}"#,
    )
    .unwrap();
    let report = run(&options(package.path(), fixtures.path(), false))
        .await
        .unwrap();
    assert!(!report.passed());
    assert_eq!(
        failed(&report),
        ["05-licenses-of-an-enterprise", "09-verify-another"],
        "{}",
        report.render()
    );
    let rendered = report.render();
    let diff_line = |sign: char, text: &str| {
        rendered
            .lines()
            .any(|l| l.trim_start().starts_with(sign) && l.contains(text))
    };
    assert!(
        diff_line('-', "王建军") && diff_line('+', "王建国"),
        "{rendered}"
    );
    assert!(
        rendered.contains("09-verify-another.expected.json to compare with"),
        "{rendered}"
    );
    assert_eq!(report.unrecorded.len(), 1, "{rendered}");
    assert!(
        report.unrecorded[0].starts_with("POST http://"),
        "{rendered}"
    );
}

#[tokio::test]
async fn broken_fixtures_are_errors_that_name_the_file() {
    let package = repo_root().join("plugins/market-supervision");
    let empty = tempfile::tempdir().unwrap();
    let e = run(&options(&package, empty.path(), false))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("calls"), "{e}");

    std::fs::create_dir_all(empty.path().join("calls")).unwrap();
    let e = run(&options(&package, empty.path(), false))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("no calls"), "{e}");

    std::fs::write(
        empty.path().join("calls/01-typo.json"),
        r#"{"call": "matters.lsit"}"#,
    )
    .unwrap();
    let e = run(&options(&package, empty.path(), false))
        .await
        .unwrap_err();
    let message = e.to_string();
    assert!(
        message.contains("01-typo.json") && message.contains("matters.lsit"),
        "{message}"
    );
}

/// `onewindow adapter new`: the folder builds with the commands it prints and
/// passes its own offline test at once. The Python and JavaScript templates go
/// the same way, and further, in the guide (`guide.rs`, its section 8).
#[test]
fn a_new_adapter_builds_and_passes_its_own_test() {
    let bin = onewindow_tests::onewindow_binary();
    let folder = tempfile::tempdir().unwrap();
    let dir = onewindow_tests::build_new_adapter(
        onewindow::scaffold::Lang::Rust,
        "archives-rs",
        folder.path(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let output = Command::new(&bin)
        .args([
            "adapter",
            "test",
            ".",
            "--fixtures",
            "fixtures",
            "--no-cache",
        ])
        .current_dir(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 calls: 1 passed, 0 failed"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
