//! Personal data in logs: the `onewindow` binary serves a whole day's work at the
//! window — acceptances of a person and an organization, license lookups, a
//! wrong ID number, a case through to completion with its license, a pushed
//! status — at debug level, and no ID number or name appears in full in what it
//! logs.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use legacy_systems::{market_supervision, public_security};
use onewindow::adapter::Adapter as _;
use onewindow_tests::{
    CLERK, Db, Department, PEOPLE, Serving, free_port, fresh_database, platform_config_with,
};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_id_number_or_name_is_logged_in_full() {
    let stage = Duration::from_millis(100);
    let market = market_supervision::start(
        "127.0.0.1:0".parse().unwrap(),
        market_supervision::Config {
            stage,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let police = public_security::start(
        "127.0.0.1:0".parse().unwrap(),
        public_security::Config {
            stage,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let database = fresh_database(Db::Sqlite, dir.path()).await;
    platform_config_with(
        dir.path(),
        &database,
        &[
            Department::market_supervision(&market),
            Department::public_security(&police),
        ],
        "",
    );
    let port = free_port();
    let log = dir.path().join("serve.log");
    let _serving = Serving(
        Command::new(onewindow_tests::onewindow_binary())
            .args(["serve", "--config"])
            .arg(dir.path().join("onewindow.toml"))
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .env("RUST_LOG", "debug,onewindow=trace,adapter=trace,h2=info,hyper=info,sqlx=info,cranelift_codegen=info,wasmtime=info")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    let url = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while client.get(format!("{url}/readyz")).send().await.is_err() {
        assert!(Instant::now() < deadline, "the platform did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let call = |method: &str, path: &str, body: Option<Value>| {
        let mut request = client
            .request(method.parse().unwrap(), format!("{url}{path}"))
            .bearer_auth(CLERK);
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let attachments: Vec<Value> = ["001", "002", "003", "004", "005"]
        .iter()
        .map(|code| json!({"material_code": code, "file_name": "材料.pdf", "media_type": "application/pdf", "content_base64": "JVBERi0xLjQK"}))
        .collect();

    // A person founds an enterprise; the case runs through to its 营业执照.
    let (status, case) = call(
        "POST",
        "/api/v1/cases",
        Some(json!({
            "matter_code": "330122-SCJG-XK-001",
            "applicant": {"type": "person", "id_number": PEOPLE[0].1, "name": PEOPLE[0].0},
            "form": onewindow_tests::company_form("桐庐晓东茶业有限公司", PEOPLE[0].0),
            "attachments": attachments,
            "consent": {"reuse_licenses": true, "purpose": "办理企业设立登记"},
        })),
    )
    .await;
    assert_eq!(status, 201, "{case}");
    // A resident renews an ID card, reusing it (县公安局 looks it up).
    let (status, renewal) = call(
        "POST",
        "/api/v1/cases",
        Some(json!({
            "matter_code": "330122-GA-QR-003",
            "applicant": {"type": "person", "id_number": PEOPLE[1].1, "name": PEOPLE[1].0},
            "form": {"换领原因": "有效期满"},
            "attachments": [{"material_code": "003", "file_name": "照片.jpg", "media_type": "image/jpeg", "content_base64": "/9j/4AAQ"}],
            "consent": {"reuse_licenses": true, "purpose": "居民身份证换领"},
        })),
    )
    .await;
    assert!(status == 201 || status == 422, "{renewal}");
    // License lookups by holder, and a wrong check digit.
    for (_, id) in PEOPLE {
        let (status, _) = call(
            "GET",
            &format!("/api/v1/licenses?holder={id}&purpose=核验"),
            None,
        )
        .await;
        assert_eq!(status, 200);
    }
    let (status, _) = call(
        "POST",
        "/api/v1/cases",
        Some(json!({
            "matter_code": "330122-SCJG-XK-001",
            "applicant": {"type": "person", "id_number": "110105194912310021", "name": PEOPLE[0].0},
        })),
    )
    .await;
    assert_eq!(status, 422);
    let case_no = case["case_no"].as_str().unwrap().to_owned();
    loop {
        let (_, now) = call("GET", &format!("/api/v1/cases/{case_no}"), None).await;
        if now["status"] == "completed" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the case did not complete: {now}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(_serving);

    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("case accepted"),
        "nothing was logged:\n{text}"
    );
    // The data did pass through the log, masked: the check can fail.
    for masked in [
        onewindow::mask::id_number(PEOPLE[0].1),
        onewindow::mask::name(PEOPLE[0].0),
    ] {
        assert!(text.contains(&masked), "{masked} is not in the log");
    }
    let mut leaks = Vec::new();
    for (name, id) in PEOPLE {
        for secret in [*name, *id, "110105194912310021"] {
            for line in text.lines().filter(|l| l.contains(secret)) {
                leaks.push(format!("{secret}: {line}"));
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "personal data in the log:\n{}",
        leaks.join("\n")
    );
}

/// What an adapter writes to stdout and stderr about the people of a call is
/// masked: their ID numbers, glued to other characters too, and their names.
/// stderr's last lines come back in a trap's message, so they show it here.
#[tokio::test]
async fn an_adapters_output_masks_the_names_and_numbers_of_the_calls_parties() {
    let (runtime, _exchange) = onewindow_tests::runtime();
    let package = onewindow_tests::TestPackage::new(
        onewindow_tests::components::FIXTURE_ADAPTER,
        &onewindow_tests::fixture_manifest("echoing", "trap", "echo = \"yes\"", ""),
    );
    let adapter = runtime.load_dir(package.path()).unwrap();
    let (name, id) = PEOPLE[1];
    let holder = onewindow::model::Party::Person {
        id_number: id.into(),
        name: name.into(),
    };
    let error = adapter.licenses_by_holder(&holder).await.unwrap_err();
    let said = error.to_string();
    assert!(
        said.contains(&format!(
            "{}330122********001420240101",
            onewindow::mask::name(name)
        )),
        "the adapter's stderr, masked, is in the trap: {said}"
    );
    assert!(!said.contains(name) && !said.contains(id), "{said}");
}

/// A department's note is masked like a log line where the platform keeps it:
/// in the case's timeline and in the audit entry of the status change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_departments_note_is_masked_in_the_timeline_and_the_audit_log() {
    use crate::trust::{ADAPTER, GBK_XML, bjzttz, delivered_case, slow_mock};
    let s = crate::platform::server_with(Db::Sqlite, slow_mock()).await;
    let (case_no, ywlsh) = delivered_case(&s).await;
    // The applicant of `application()`, quoted by the department.
    let (name, id) = PEOPLE[0];
    let note = format!("申请人{name}（{id}）材料齐全；原记录 CHEN{id}20240101 已核对");
    let push = bjzttz(&case_no, &ywlsh, &[(1, "02", &note)], None);
    let (status, answer) = s.push(ADAPTER, GBK_XML, push).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{answer:#}");
    let case = s.wait_for_status(&case_no, "in_review").await;
    let kept = case["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["status"] == "in_review")
        .unwrap()["note"]
        .as_str()
        .unwrap()
        .to_owned();
    let masked_id = onewindow::mask::id_number(id);
    assert_eq!(
        kept,
        format!(
            "申请人{}（{masked_id}）材料齐全；原记录 CHEN{masked_id}20240101 已核对",
            onewindow::mask::name(name)
        )
    );
    let (entries, _) = s.platform().store.audit_log().await.unwrap();
    let by_department: Vec<_> = entries
        .iter()
        .filter(|e| e.actor == format!("adapter:{ADAPTER}"))
        .collect();
    assert!(!by_department.is_empty());
    let audited = serde_json::to_string(&by_department).unwrap();
    assert!(audited.contains(&masked_id), "{audited}");
    assert!(
        !audited.contains(id) && !audited.contains(name),
        "{audited}"
    );
}
