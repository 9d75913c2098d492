//! Personal data in logs: the `onewindow` binary serves a whole day's work at the
//! window — acceptances of a person and an organization, license lookups, a
//! wrong ID number, a case through to completion with its license, a pushed
//! status — at debug level, and no ID number or name appears in full in what it
//! logs.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use legacy_systems::{market_supervision, public_security};
use onewindow_tests::{CLERK, Db, Department, fresh_database, platform_config_with};
use serde_json::{Value, json};

/// The people in this test, with their ID numbers.
const PEOPLE: &[(&str, &str)] = &[
    ("陈晓东", "11010519491231002X"),
    ("王镕", "330122198203150014"),
];

struct Serving(Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

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
            "form": {"企业名称": "桐庐晓东茶业有限公司", "法定代表人": PEOPLE[0].0},
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
