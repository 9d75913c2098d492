//! The department boundary: only a department moves its own cases. Pushes to
//! `/hooks/{adapter}` must be signed; a license an event issues must be the
//! department's to issue and the applicant's; licenses are verified with their
//! issuer; and nothing an outsider sends can open a breaker.

use std::time::{Duration, Instant};

use legacy_systems::common::fault::Fault;
use onewindow_tests::{CLERK, Db, OPERATOR, hook_secret, signed_push};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::platform::{Server, Setup, application, on_both_databases, server_with, statuses};

on_both_databases!(
    forged_pushes_are_refused_before_the_adapter_and_change_nothing,
    a_signed_push_cannot_issue_a_license_that_is_not_the_departments_or_the_applicants,
    a_license_revoked_at_its_issuer_stops_covering_and_the_kept_copy_answers_when_the_issuer_is_down,
    malformed_pushes_and_abandoned_lookups_leave_the_breaker_closed,
);

pub(crate) const ADAPTER: &str = "market-supervision";
pub(crate) const GBK_XML: &str = "text/xml; charset=GBK";

/// A license record (`ZZ`) of a BJZTTZ notification.
pub(crate) struct Zz<'a> {
    type_code: &'a str,
    type_name: &'a str,
    number: &'a str,
    credit_code: &'a str,
}

/// A BJZTTZ notification of `changes` (sequence, status code, note) for the
/// case, the last one carrying `license`.
pub(crate) fn bjzttz(
    case_no: &str,
    ywlsh: &str,
    changes: &[(u32, &str, &str)],
    license: Option<Zz>,
) -> Vec<u8> {
    let zz = license.map(|l| {
        format!(
            "<ZZ><ZZLXDM>{}</ZZLXDM><ZZLXMC>{}</ZZLXMC><ZZBH>{}</ZZBH><TYSHXYDM>{}</TYSHXYDM>\
             <QYMC>桐庐县某某科技有限公司</QYMC><FZJG>县市场监督管理局</FZJG><FZRQ>2026年11月27日</FZRQ>\
             <YXQZ>长期</YXQZ><ZZZT>1</ZZZT></ZZ>",
            l.type_code, l.type_name, l.number, l.credit_code
        )
    });
    let records: String = changes
        .iter()
        .enumerate()
        .map(|(i, (xh, ztdm, blyj))| {
            let zz = if i + 1 == changes.len() {
                zz.as_deref().unwrap_or_default()
            } else {
                ""
            };
            format!(
                "<ZT><XH>{xh}</XH><PTBJBH>{case_no}</PTBJBH><YWLSH>{ywlsh}</YWLSH><ZTDM>{ztdm}</ZTDM>\
                 <BLSJ>2026年11月27日 15时00分{xh:02}秒</BLSJ><BLYJ>{blyj}</BLYJ>{zz}</ZT>"
            )
        })
        .collect();
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"GBK\"?>\
         <soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body>\
         <BJZTTZ xmlns=\"http://djzc.scjgj.gov.cn/ws\"><ZTLB>{records}</ZTLB></BJZTTZ>\
         </soap:Body></soap:Envelope>"
    );
    onewindow_codes::gbk::encode(&xml).unwrap()
}

/// A valid unified social credit code ending the body `91330122MA2T` + `n`.
fn credit_code(n: u32) -> String {
    let body = format!("91330122MA2T{n:05}");
    let check = onewindow_codes::credit_code::check_char(&body).unwrap();
    format!("{body}{check}")
}

/// Accepts the 企业设立登记 application and waits until it is delivered; a
/// slow mock moves nothing by itself.
pub(crate) async fn delivered_case(s: &Server) -> (String, String) {
    let (status, case) = s
        .call("POST", "/api/v1/cases", Some(CLERK), Some(application()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case:#}");
    let case = s
        .wait_for_status(case["case_no"].as_str().unwrap(), "delivered")
        .await;
    (
        case["case_no"].as_str().unwrap().to_owned(),
        case["parts"][0]["department_ref"]
            .as_str()
            .unwrap()
            .to_owned(),
    )
}

async fn scalar(s: &Server, sql: &str, bind: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(bind)
        .fetch_one(s.platform().store.pool())
        .await
        .unwrap()
}

pub(crate) fn slow_mock() -> Setup {
    Setup {
        stage: Duration::from_secs(600),
        ..Setup::default()
    }
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

async fn forged_pushes_are_refused_before_the_adapter_and_change_nothing(db: Db) {
    let s = server_with(db, slow_mock()).await;
    let (case_no, ywlsh) = delivered_case(&s).await;
    let before = s
        .call(
            "GET",
            &format!("/api/v1/cases/{case_no}"),
            Some(CLERK),
            None,
        )
        .await
        .1;
    let in_the_departments_name = "SELECT COUNT(*) FROM audit WHERE actor = $1";
    let audited = scalar(&s, in_the_departments_name, "adapter:market-supervision").await;

    // Approval and completion with a 营业执照 for someone else, as an attacker would send it.
    let forged = |case_no: &str| {
        bjzttz(
            case_no,
            &ywlsh,
            &[(1, "02", "审查"), (2, "04", "准予"), (3, "06", "办结")],
            Some(Zz {
                type_code: "YYZZ",
                type_name: "营业执照",
                number: &credit_code(1),
                credit_code: &credit_code(1),
            }),
        )
    };
    let body = forged(&case_no);
    let ts = now_secs().to_string();
    let stale = (now_secs() - 600).to_string();
    let attempts: Vec<(&str, Vec<(&str, String)>)> = vec![
        ("no signature", vec![]),
        (
            "a wrong secret",
            vec![
                ("x-onewindow-timestamp", ts.clone()),
                (
                    "x-onewindow-signature",
                    onewindow::platform::pushes::sign(
                        "a-guessed-secret-of-at-least-32-chars",
                        &ts,
                        &body,
                    ),
                ),
            ],
        ),
        (
            "a signature of another body",
            vec![
                ("x-onewindow-timestamp", ts.clone()),
                (
                    "x-onewindow-signature",
                    onewindow::platform::pushes::sign(&hook_secret(ADAPTER), &ts, b"<BJZTTZ/>"),
                ),
            ],
        ),
        (
            "a stale timestamp",
            vec![
                ("x-onewindow-timestamp", stale.clone()),
                (
                    "x-onewindow-signature",
                    onewindow::platform::pushes::sign(&hook_secret(ADAPTER), &stale, &body),
                ),
            ],
        ),
    ];
    for (what, headers) in &attempts {
        let (status, answer) = s.push_with(ADAPTER, GBK_XML, body.clone(), headers).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {answer:#}");
        assert_eq!(answer["error"], "unauthorized", "{what}");
    }
    // The answer does not tell whether the case exists.
    let unknown = forged("20990101-000001");
    for (what, headers) in &attempts[..1] {
        let existing = s.push_with(ADAPTER, GBK_XML, body.clone(), headers).await;
        let missing = s
            .push_with(ADAPTER, GBK_XML, unknown.clone(), headers)
            .await;
        assert_eq!(existing, missing, "{what}");
    }
    // A hook the operator configured no secret for accepts nothing, signed or not.
    let (status, _) = s.push("no-such-adapter", GBK_XML, body.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let after = s
        .call(
            "GET",
            &format!("/api/v1/cases/{case_no}"),
            Some(CLERK),
            None,
        )
        .await
        .1;
    assert_eq!(after["status"], "delivered");
    assert_eq!(statuses(&after), statuses(&before));
    assert_eq!(
        scalar(
            &s,
            "SELECT COUNT(*) FROM licenses WHERE case_no = $1",
            &case_no
        )
        .await,
        0
    );
    assert_eq!(
        scalar(&s, in_the_departments_name, "adapter:market-supervision").await,
        audited
    );
    let adapter = s.platform().adapter(ADAPTER).unwrap();
    assert_eq!(adapter.health().breaker, "closed");

    // A correctly signed push moves the case; the same push again is a replay.
    let review = bjzttz(&case_no, &ywlsh, &[(1, "02", "材料齐全，进入审查")], None);
    let headers = signed_push(ADAPTER, &review);
    let (status, answer) = s
        .push_with(ADAPTER, GBK_XML, review.clone(), &headers)
        .await;
    assert_eq!(
        (status, answer["applied"].clone()),
        (StatusCode::OK, json!(1)),
        "{answer:#}"
    );
    let (status, answer) = s.push_with(ADAPTER, GBK_XML, review, &headers).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer:#}");
    assert!(
        answer["message"].as_str().unwrap().contains("already used"),
        "{answer:#}"
    );
    let after = s
        .call(
            "GET",
            &format!("/api/v1/cases/{case_no}"),
            Some(CLERK),
            None,
        )
        .await
        .1;
    assert_eq!(statuses(&after), ["accepted", "delivered", "in_review"]);

    let metrics = reqwest::get(format!("{}/metrics", s.url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for reason in [
        "unsigned",
        "wrong_signature",
        "stale",
        "replayed",
        "not_configured",
    ] {
        assert!(
            metrics
                .lines()
                .any(|l| l.starts_with("onewindow_hook_refusals_total")
                    && l.contains(&format!("reason=\"{reason}\""))),
            "{reason} is counted"
        );
    }
    assert!(
        !metrics.contains("no-such-adapter"),
        "invented hooks add no series"
    );
}

async fn a_signed_push_cannot_issue_a_license_that_is_not_the_departments_or_the_applicants(
    db: Db,
) {
    let s = server_with(db, slow_mock()).await;
    // Another organization the platform knows: it applied for a case of its own.
    let other = credit_code(7);
    let (status, answer) = s
        .call(
            "POST",
            "/api/v1/cases",
            Some(CLERK),
            Some(json!({
                "matter_code": "330122-SCJG-XK-002",
                "applicant": {"type": "organization", "credit_code": other, "name": "桐庐县另一家有限公司"},
                "form": {"变更事项": "住所", "变更后内容": "浙江省杭州市桐庐县城南街道白云源路1号"},
                "attachments": (["001", "002", "004"].iter().map(|code| json!({
                    "material_code": code, "file_name": format!("{code}.pdf"),
                    "media_type": "application/pdf", "content_base64": "JVBERi0xLjQK"
                })).collect::<Vec<_>>()),
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer:#}");
    let (case_no, ywlsh) = delivered_case(&s).await;
    let approve = bjzttz(
        &case_no,
        &ywlsh,
        &[(1, "02", "审查"), (2, "04", "准予")],
        None,
    );
    let (status, answer) = s.push(ADAPTER, GBK_XML, approve).await;
    assert_eq!(
        (status, answer["applied"].clone()),
        (StatusCode::OK, json!(2)),
        "{answer:#}"
    );

    let fresh = credit_code(3);
    let attempts = [
        (
            "a 居民身份证, which 县市场监督管理局 does not issue",
            Zz {
                type_code: "JMSFZ",
                type_name: "居民身份证",
                number: "110105194912310037",
                credit_code: &fresh,
            },
            "不颁发或不掌握",
        ),
        (
            "a 营业执照 of another organization",
            Zz {
                type_code: "YYZZ",
                type_name: "营业执照",
                number: &other,
                credit_code: &other,
            },
            "不是办件",
        ),
        (
            "an organization whose credit code is the applicant's ID number",
            Zz {
                type_code: "JMSFZ",
                type_name: "居民身份证",
                number: "11010519491231002X",
                credit_code: "11010519491231002X",
            },
            "主体类型不符",
        ),
    ];
    for (xh, (what, zz, reason)) in (3..).zip(attempts) {
        let body = bjzttz(&case_no, &ywlsh, &[(xh, "06", "已办结")], Some(zz));
        let (status, answer) = s.push(ADAPTER, GBK_XML, body).await;
        assert_eq!(status, StatusCode::OK, "{what}: {answer:#}");
        assert_eq!(
            (answer["applied"].clone(), answer["rejected"].clone()),
            (json!(0), json!(1)),
            "{what}"
        );
        let audited: Vec<String> = sqlx::query_scalar(
            "SELECT detail FROM audit WHERE action = 'license.rejected' AND subject = $1 ORDER BY seq",
        )
        .bind(&case_no)
        .fetch_all(s.platform().store.pool())
        .await
        .unwrap();
        let last: Value = serde_json::from_str(audited.last().unwrap()).unwrap();
        assert!(
            last["reason"].as_str().unwrap().contains(reason),
            "{what}: {last:#}"
        );
        assert!(
            !audited.last().unwrap().contains("11010519491231002X"),
            "masked: {last:#}"
        );
    }
    let case = s
        .call(
            "GET",
            &format!("/api/v1/cases/{case_no}"),
            Some(CLERK),
            None,
        )
        .await
        .1;
    assert_eq!(case["status"], "approved", "nothing moved: {case:#}");
    assert_eq!(
        scalar(
            &s,
            "SELECT COUNT(*) FROM licenses WHERE case_no = $1",
            &case_no
        )
        .await,
        0
    );
    let (status, _) = s
        .call(
            "GET",
            "/api/v1/licenses/JMSFZ/11010519491231002X",
            Some(CLERK),
            None,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "no planted 居民身份证 is answered"
    );

    // The console lists each rejection.
    let cookie = crate::window::sign_in(&s, "运维", OPERATOR).await;
    let console = crate::window::get(&s, "/admin", Some(&cookie)).await;
    assert_eq!(console.status, StatusCode::OK);
    assert_eq!(
        console
            .body
            .matches(&format!(">{case_no}</a></td><td>县市场监督管理局"))
            .count(),
        3,
        "{}",
        console.body
    );
}

async fn a_license_revoked_at_its_issuer_stops_covering_and_the_kept_copy_answers_when_the_issuer_is_down(
    db: Db,
) {
    let s = server_with(db, Setup::default()).await;
    let (_, case) = s
        .call("POST", "/api/v1/cases", Some(CLERK), Some(application()))
        .await;
    let case_no = case["case_no"].as_str().unwrap().to_owned();
    s.wait_for_status(&case_no, "completed").await;
    let number: String = sqlx::query_scalar("SELECT number FROM licenses WHERE case_no = $1")
        .bind(&case_no)
        .fetch_one(s.platform().store.pool())
        .await
        .expect("the completed case issued a 营业执照");
    let verify = format!("/api/v1/licenses/YYZZ/{number}");
    let (status, found) = s.call("GET", &verify, Some(CLERK), None).await;
    assert_eq!(status, StatusCode::OK, "{found:#}");
    assert_eq!(
        (found["source"].as_str(), found["status"].as_str()),
        (Some("issuer"), Some("valid"))
    );
    let holder = found["holder"]["credit_code"].as_str().unwrap().to_owned();

    // The department revokes it in its own system.
    let revoked = reqwest::Client::new()
        .put(format!(
            "http://{}/_mock/licenses/{number}/revoke",
            s.mock.addr()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    let (_, found) = s.call("GET", &verify, Some(CLERK), None).await;
    assert_eq!(
        (found["source"].as_str(), found["status"].as_str()),
        (Some("issuer"), Some("revoked"))
    );
    let lookup = format!("/api/v1/licenses?holder={holder}");
    let (_, held) = s.call("GET", &lookup, Some(CLERK), None).await;
    assert_eq!(held["items"][0]["status"], "revoked", "{held:#}");

    // It no longer stands in for the 营业执照 of a 企业变更登记.
    let change = |attachments: &[&str]| {
        json!({
            "matter_code": "330122-SCJG-XK-002",
            "applicant": {"type": "organization", "credit_code": holder, "name": "桐庐晓东茶业有限公司"},
            "form": {"变更事项": "住所", "变更后内容": "浙江省杭州市桐庐县城南街道白云源路1号"},
            "attachments": (attachments.iter().map(|code| json!({
                "material_code": code, "file_name": format!("{code}.pdf"),
                "media_type": "application/pdf", "content_base64": "JVBERi0xLjQK"
            })).collect::<Vec<_>>()),
            "consent": {"reuse_licenses": true, "purpose": "企业变更登记"},
        })
    };
    let (status, answer) = s
        .call(
            "POST",
            "/api/v1/cases",
            Some(CLERK),
            Some(change(&["001", "002"])),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer:#}");
    assert_eq!(answer["missing_materials"][0]["code"], "004", "{answer:#}");

    // With the issuer down, the kept copy answers, and says so.
    s.mock.set_fault(Fault::Down);
    let (status, found) = s.call("GET", &verify, Some(CLERK), None).await;
    assert_eq!(status, StatusCode::OK, "{found:#}");
    assert_eq!(
        (found["source"].as_str(), found["status"].as_str()),
        (Some("kept"), Some("revoked"))
    );
    assert!(found["verified_at"].as_str().is_some());
    let (_, held) = s.call("GET", &lookup, Some(CLERK), None).await;
    assert_eq!(held["unavailable"], json!(["县市场监督管理局"]));
    assert_eq!(
        (
            held["items"][0]["source"].as_str(),
            held["items"][0]["status"].as_str()
        ),
        (Some("kept"), Some("revoked"))
    );
}

async fn malformed_pushes_and_abandoned_lookups_leave_the_breaker_closed(db: Db) {
    let s = server_with(db, slow_mock()).await;
    let adapter = s.platform().adapter(ADAPTER).unwrap();
    for i in 0..20 {
        // Each body differs: the same body signed in the same second is one push.
        let body = format!("<not a notification {i}").into_bytes();
        let (status, answer) = s.push(ADAPTER, GBK_XML, body).await;
        // The adapter calls an unreadable notification unavailable (503) or invalid (422).
        assert!(
            [
                StatusCode::UNPROCESSABLE_ENTITY,
                StatusCode::SERVICE_UNAVAILABLE
            ]
            .contains(&status),
            "{status}: {answer:#}"
        );
        assert_eq!(answer["error"], "notification_rejected");
    }
    assert_eq!(adapter.health().breaker, "closed");

    // Clerks who give up on a slow department are not the department's failure.
    s.mock.set_fault(Fault::Slow(Duration::from_millis(1500)));
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let requests_before = s.mock.stats().requests;
    for _ in 0..20 {
        let gave_up = impatient
            .get(format!(
                "{}/api/v1/licenses?holder={}",
                s.url(),
                credit_code(9)
            ))
            .bearer_auth(CLERK)
            .send()
            .await;
        assert!(gave_up.is_err(), "the client gave up");
    }
    // The lookups reached the department before they were abandoned.
    let deadline = Instant::now() + Duration::from_secs(10);
    while s.mock.stats().requests == requests_before {
        assert!(
            Instant::now() < deadline,
            "no lookup reached the department"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(1600)).await;
    assert_eq!(adapter.health().breaker, "closed");
    s.mock.set_fault(Fault::None);
    let (status, _) = s
        .call(
            "GET",
            &format!("/api/v1/licenses?holder={}", credit_code(9)),
            Some(CLERK),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

/// The README's `sh` block under "How a department signs a push".
fn readme_signing_block() -> String {
    let readme = std::fs::read_to_string(onewindow_tests::repo_root().join("README.md")).unwrap();
    let section = readme
        .split("### How a department signs a push")
        .nth(1)
        .expect("the README explains how a department signs a push");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .expect("an sh block in that section");
    block.to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_signing_example_is_accepted() {
    let s = server_with(Db::Sqlite, slow_mock()).await;
    let (case_no, ywlsh) = delivered_case(&s).await;
    let block = readme_signing_block();
    let demo_secret = "demo-hook-secret-market-supervision-0001";
    assert!(
        block.contains(demo_secret) && block.contains("http://127.0.0.1:8080"),
        "{block}"
    );
    let script = block
        .replace(demo_secret, &hook_secret(ADAPTER))
        .replace("http://127.0.0.1:8080", s.url());
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(
        folder.path().join("notification.xml"),
        bjzttz(&case_no, &ywlsh, &[(1, "02", "材料齐全，进入审查")], None),
    )
    .unwrap();
    let output = tokio::process::Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .current_dir(folder.path())
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answer: Value = serde_json::from_str(&stdout).expect("the platform answers JSON");
    assert_eq!(answer["applied"], 1, "{answer:#}");
    let case = s.wait_for_status(&case_no, "in_review").await;
    assert_eq!(case["status"], "in_review");
    // Run again in the same second or later, the same block signs anew: a
    // replayed header pair is refused, a fresh one is not applied twice.
    let again = tokio::process::Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .current_dir(folder.path())
        .output()
        .await
        .unwrap();
    let again: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert!(
        again["applied"] == 0 || again["error"] == "unauthorized",
        "{again:#}"
    );
}
