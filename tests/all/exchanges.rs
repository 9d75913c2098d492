//! The exchange log: every adapter call kept with what went to the department
//! and what came back, masked, in the mode and for the time the operator set,
//! readable over the API and replayable offline as an `adapter test` fixture.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use legacy_systems::market_supervision as mock;
use legacy_systems::medical_insurance;
use onewindow::adapter::Adapter as _;
use onewindow::exchange_log::{CallRecord, Mode, Policy, Recorder};
use onewindow::platform::exchanges;
use onewindow_tests::{CLERK, Db, Department, OPERATOR, TestPackage, fresh_database};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::platform::{Setup, application, on_both_databases, server_with};

on_both_databases!(
    a_garbled_answer_is_kept_with_the_request_and_replays_offline,
    records_are_pruned_after_their_adapters_retention,
);

/// The calls concerning `case_no` that `done` accepts, once there are some
/// (within 20 s).
async fn exchanges_of(
    s: &crate::platform::Server,
    query: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, answer) = s
            .call(
                "GET",
                &format!("/api/v1/admin/exchanges?{query}"),
                Some(OPERATOR),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        let items = answer["items"].as_array().unwrap().clone();
        if done(&items) {
            return items;
        }
        assert!(Instant::now() < deadline, "never kept: {query}: {items:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn a_garbled_answer_is_kept_with_the_request_and_replays_offline(db: Db) {
    let s = server_with(db, Setup::default()).await;
    // The department cuts every answer in half.
    s.mock.set_fault(mock::Fault::Truncated);
    let (status, case) = s
        .call("POST", "/api/v1/cases", Some(CLERK), Some(application()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let case_no = case["case_no"].as_str().unwrap();

    let failed = exchanges_of(&s, &format!("case_no={case_no}"), |items| {
        items
            .iter()
            .any(|e| e["function"] == "cases.submit" && e["outcome"] != "ok")
    })
    .await;
    let entry = failed
        .iter()
        .find(|e| e["function"] == "cases.submit")
        .unwrap();
    assert_eq!(entry["adapter"], "market-supervision");
    assert_eq!(entry["version"], "0.1.0");
    assert_eq!(entry["outcome"], "unavailable", "{entry}");
    assert_eq!(entry["case_nos"], json!([case_no]));
    assert_eq!(entry["error"]["error"]["kind"], "unavailable", "{entry:#}");
    let message = entry["error"]["error"]["message"].as_str().unwrap();
    assert!(message.contains("truncated"), "{message}");
    let http = entry["http"].as_array().unwrap();
    assert!(!http.is_empty(), "{entry}");
    let sent = &http[0];
    assert_eq!(sent["method"], "POST");
    assert!(
        sent["url"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:")
    );
    assert_eq!(sent["status"], 200);
    let request = sent["request_body"]["text"].as_str().unwrap();
    let answer = sent["response_body"]["text"].as_str().unwrap();
    assert!(!answer.is_empty());
    // The applicant is masked wherever the record shows them.
    assert!(request.contains("陈*"), "{request}");
    let whole = entry.to_string();
    for personal in ["陈晓东", "11010519491231002X"] {
        assert!(
            !whole.contains(personal),
            "{personal} kept in full: {whole}"
        );
    }

    // Filters.
    let id = entry["id"].as_i64().unwrap();
    let by_outcome = exchanges_of(
        &s,
        "outcome=unavailable&adapter=market-supervision",
        |items| !items.is_empty(),
    )
    .await;
    assert!(by_outcome.iter().any(|e| e["id"] == id));
    let (_, none) = s
        .call(
            "GET",
            "/api/v1/admin/exchanges?adapter=tax",
            Some(OPERATOR),
            None,
        )
        .await;
    assert_eq!(none["items"], json!([]));
    let (status, refused) = s
        .call(
            "GET",
            "/api/v1/admin/exchanges?from=yesterday",
            Some(OPERATOR),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["field"], "from");
    let (status, _) = s
        .call("GET", "/api/v1/admin/exchanges", Some(CLERK), None)
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "clerks do not read the exchange log"
    );

    // The same in a terminal.
    let config = s._dir.path().join("onewindow.toml");
    let printed = std::process::Command::new(onewindow_tests::onewindow_binary())
        .args(["exchanges", "--config"])
        .arg(&config)
        .args(["--case", case_no])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&printed.stdout);
    assert!(
        printed.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&printed.stderr)
    );
    assert!(text.contains(&format!("#{id} ")), "{text}");
    assert!(
        text.contains("market-supervision 0.1.0  cases.submit"),
        "{text}"
    );
    assert!(
        text.contains("unavailable") && text.contains("→ POST http://127.0.0.1:"),
        "{text}"
    );
    assert!(text.contains("<ZJHM>110105********002X</ZJHM>"), "{text}");
    assert!(!text.contains("陈晓东"), "{text}");

    // Saved as a fixture, the call fails the same way with no department at all.
    let archive = reqwest::Client::new()
        .get(format!("{}/api/v1/admin/exchanges/{id}/fixture", s.url()))
        .bearer_auth(OPERATOR)
        .send()
        .await
        .unwrap();
    assert_eq!(archive.status(), StatusCode::OK);
    let bytes = archive.bytes().await.unwrap();
    let unpacked = tempfile::tempdir().unwrap();
    tar::Archive::new(flate2::read::GzDecoder::new(&bytes[..]))
        .unpack(unpacked.path())
        .unwrap();
    let fixtures = unpacked.path().join(format!("exchange-{id}"));
    let package = s._dir.path().join("adapters/market-supervision");
    let exchange_root = tempfile::tempdir().unwrap();
    let report = onewindow::kit::run(&onewindow::kit::Options {
        package: package.clone(),
        fixtures: fixtures.clone(),
        record: false,
        exchange_root: exchange_root.path().to_owned(),
        cache_dir: Some(onewindow_tests::repo_root().join("target/test-compile-cache")),
    })
    .await
    .unwrap();
    assert!(report.passed(), "{}", report.render());
    assert_eq!(report.outcomes.len(), 1);

    // The command writes the same folder.
    let written = unpacked.path().join("from-the-command");
    let saved = std::process::Command::new(onewindow_tests::onewindow_binary())
        .args(["exchanges", "--config"])
        .arg(&config)
        .args(["--fixture", &id.to_string(), "--out"])
        .arg(&written)
        .output()
        .unwrap();
    assert!(
        saved.status.success(),
        "{}",
        String::from_utf8_lossy(&saved.stderr)
    );
    for file in [
        "calls/01-cases-submit.json",
        "calls/01-cases-submit.expected.json",
        "http.json",
    ] {
        assert_eq!(
            std::fs::read(written.join(file)).unwrap(),
            std::fs::read(fixtures.join(file)).unwrap(),
            "{file}"
        );
    }

    // The fixture can fail: an adapter that reads the answer gets another result.
    let answers = fixtures.join("http.json");
    let mut http: Value =
        serde_json::from_str(&std::fs::read_to_string(&answers).unwrap()).unwrap();
    http[0]["status"] = json!(503);
    std::fs::write(&answers, http.to_string()).unwrap();
    let report = onewindow::kit::run(&onewindow::kit::Options {
        package,
        fixtures,
        record: false,
        exchange_root: exchange_root.path().to_owned(),
        cache_dir: Some(onewindow_tests::repo_root().join("target/test-compile-cache")),
    })
    .await
    .unwrap();
    assert!(!report.passed(), "{}", report.render());
}

fn record(adapter: &str, started_at: &str, case_no: &str) -> CallRecord {
    CallRecord {
        adapter: adapter.into(),
        version: "1.0.0".into(),
        function: "cases.submit".into(),
        case_nos: vec![case_no.into()],
        started_at: started_at.into(),
        duration_ms: 12,
        outcome: "ok".into(),
        error: None,
        mode: Mode::Full,
        argument: None,
        http: Vec::new(),
        files: Vec::new(),
    }
}

async fn records_are_pruned_after_their_adapters_retention(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let store = onewindow::store::Store::open(&fresh_database(db, dir.path()).await)
        .await
        .unwrap();
    let config = onewindow::config::Config::from_toml(
        r#"
[exchange-log]
retention-days = 30
[exchange-log.adapters.tax]
retention-days = 7
mode = "metadata"
[[tokens]]
name = "运维"
role = "operator"
token = "operator-token-0123456789"
"#,
        std::path::Path::new("onewindow.toml"),
        &Default::default(),
    )
    .unwrap();
    let policies = &config.exchange_log;
    assert_eq!(policies.policy("tax").mode, Mode::Metadata);
    assert_eq!(policies.policy("market-supervision").mode, Mode::Full);
    let now = chrono::DateTime::parse_from_rfc3339("2026-12-07T12:00:00Z")
        .unwrap()
        .to_utc();
    exchanges::write(
        &store,
        &[
            // 40 and 10 days old at the default's 30 days: the first goes.
            record("market-supervision", "2026-10-28T12:00:00.000000Z", "A"),
            record("market-supervision", "2026-11-27T12:00:00.000000Z", "B"),
            // 10 and 2 days old at tax's 7 days: the first goes.
            record("tax", "2026-11-27T12:00:00.000000Z", "C"),
            record("tax", "2026-12-05T12:00:00.000000Z", "D"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(exchanges::prune(&store, policies, now).await.unwrap(), 2);
    let left = exchanges::list(&store, &exchanges::Filter::default())
        .await
        .unwrap();
    let cases: Vec<&str> = left.iter().map(|e| e.record.case_nos[0].as_str()).collect();
    assert_eq!(cases, ["D", "B"], "newest first");
    let filter = exchanges::Filter {
        case_no: Some("A".into()),
        ..Default::default()
    };
    assert!(exchanges::list(&store, &filter).await.unwrap().is_empty());
    assert_eq!(exchanges::prune(&store, policies, now).await.unwrap(), 0);

    let refused = onewindow::config::Config::from_toml(
        "[exchange-log]\nretention-days = 0\n[[tokens]]\nname = \"运维\"\nrole = \"operator\"\ntoken = \"operator-token-0123456789\"\n",
        std::path::Path::new("onewindow.toml"),
        &Default::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        refused.contains("`retention-days` of [exchange-log] is 0"),
        "{refused}"
    );
}

/// Keeps what the sandbox records, under one policy.
#[derive(Debug)]
struct Kept {
    policy: Policy,
    records: Mutex<Vec<CallRecord>>,
}

impl Recorder for Kept {
    fn policy(&self, _: &str) -> Policy {
        self.policy
    }

    fn record(&self, record: CallRecord) {
        self.records.lock().unwrap().push(record);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_mode_keeps_what_it_says_and_no_credential_is_kept() {
    let mock = medical_insurance::start(
        "127.0.0.1:0".parse().unwrap(),
        medical_insurance::Config {
            stage: Duration::from_millis(30),
            ..Default::default()
        },
        medical_insurance::Sessions::default(),
    )
    .await
    .unwrap();
    let department = Department::medical_insurance(&mock);
    let package = TestPackage::new(department.component, &department.manifest());
    for mode in [Mode::Full, Mode::Metadata, Mode::Off] {
        let kept = Arc::new(Kept {
            policy: Policy {
                mode,
                ..Policy::default()
            },
            records: Mutex::default(),
        });
        let (runtime, _exchange) = onewindow_tests::runtime_recording(kept.clone());
        let adapter = runtime.load_dir(package.path()).unwrap();
        adapter.list_matters().await.unwrap();
        // A status poll that finds nothing is not kept.
        let page = adapter.case_events(None).await.unwrap();
        assert!(page.events.is_empty());
        let records = kept.records.lock().unwrap().clone();
        if mode == Mode::Off {
            assert!(records.is_empty(), "{records:?}");
            continue;
        }
        let [record] = &records[..] else {
            panic!("{mode:?}: one call, one record: {records:?}")
        };
        assert_eq!(
            (
                record.function.as_str(),
                record.outcome.as_str(),
                record.mode
            ),
            ("matters.list", "ok", mode)
        );
        // The login, then the list with the session cookie.
        assert!(record.http.len() >= 2, "{record:?}");
        let whole = serde_json::to_string(record).unwrap();
        assert!(!whole.contains("yb-demo-password-0001"), "{whole}");
        assert!(!whole.contains("ASP.NET_SessionId="), "{whole}");
        let header = |h: &[(String, String)], name: &str| {
            h.iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        assert_eq!(
            header(&record.http[0].response_headers, "set-cookie").as_deref(),
            Some("***")
        );
        assert_eq!(
            header(&record.http[1].request_headers, "cookie").as_deref(),
            Some("***")
        );
        let bodies = record
            .http
            .iter()
            .filter(|h| h.request_body.is_some() || h.response_body.is_some())
            .count();
        match mode {
            Mode::Full => {
                assert_eq!(bodies, record.http.len());
                let login = record.http[0].request_body.as_ref().unwrap();
                assert!(login.text.as_deref().unwrap().contains("***"), "{login:?}");
                let list = record.http[1].response_body.as_ref().unwrap();
                assert!(list.size > 0 && list.text.is_some(), "{list:?}");
            }
            _ => assert_eq!(bodies, 0, "metadata mode keeps no body: {record:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_adapters_files_read_and_written_are_kept() {
    let kept = Arc::new(Kept {
        policy: Policy::default(),
        records: Mutex::default(),
    });
    let (runtime, exchange) = onewindow_tests::runtime_recording(kept.clone());
    let _mock = legacy_systems::real_estate::start(
        exchange.path().join("real-estate"),
        onewindow_tests::adapter_test::mock_config(),
    )
    .await
    .unwrap();
    let department = Department::real_estate();
    let package = TestPackage::new(department.component, &department.manifest());
    let adapter = runtime.load_dir(package.path()).unwrap();
    adapter.list_matters().await.unwrap();
    adapter
        .submit_case(&crate::real_estate::notice("20261207-000042"))
        .await
        .unwrap();
    let records = kept.records.lock().unwrap().clone();
    let [listed, submitted] = &records[..] else {
        panic!("two calls, two records: {records:?}")
    };
    // The catalogue is read from the department's GBK files.
    let catalogue = listed
        .files
        .iter()
        .find(|f| f.path == "sxqd.csv")
        .unwrap_or_else(|| panic!("{:?}", listed.files));
    assert_eq!(catalogue.change, onewindow::exchange_log::FileChange::Read);
    let content = catalogue.content.as_ref().unwrap();
    assert_eq!(content.charset.as_deref(), Some("gb18030"));
    assert!(
        content.text.as_deref().unwrap().contains("登记"),
        "{content:?}"
    );
    // The case goes out as a file in sqbj/, written, with the applicant masked.
    assert_eq!(submitted.case_nos, ["20261207-000042"]);
    let written: Vec<_> = submitted
        .files
        .iter()
        .filter(|f| f.change == onewindow::exchange_log::FileChange::Written)
        .collect();
    assert!(
        written.iter().any(|f| f.path.starts_with("sqbj/")),
        "{:?}",
        submitted.files
    );
    let whole = serde_json::to_string(submitted).unwrap();
    assert!(!whole.contains("33012219"), "{whole}");
}
