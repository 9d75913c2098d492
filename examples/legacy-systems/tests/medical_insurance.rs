//! Tests of the 县医疗保障局 mock over real HTTP, speaking its WCF JSON service
//! with a session cookie.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use legacy_systems::common::china_today;
use legacy_systems::medical_insurance::{self, Config, Fault, Handle, Sessions, Stats};
use onewindow_codes::chrono::{Datelike as _, Days, NaiveDate, TimeDelta};
use onewindow_codes::{gbk, id_number};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, COOKIE, SET_COOKIE};
use serde_json::{Value, json};

const STAGE: Duration = Duration::from_millis(30);
/// A stage long enough for two requests to land within it on a busy machine.
const LONG_STAGE: Duration = Duration::from_millis(400);
const DEADLINE: Duration = Duration::from_secs(10);
const ENROLMENT: &str = "330122-YB-GG-001";
const REIMBURSEMENT: &str = "330122-YB-JF-001";
const FILING: &str = "330122-YB-GG-002";
const CHEN: &str = "11010519491231002X";
const JSON: &str = "application/json; charset=utf-8";
const UNAUTHORIZED: &str = r#"{"ExceptionType":"System.UnauthorizedAccessException","Message":"会话无效或已过期，请重新登录"}"#;
/// `%PDF-1.4`.
const PDF: &str = "JVBERi0xLjQ=";

fn local() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

fn with_check(first17: &str) -> String {
    format!("{first17}{}", id_number::check_char(first17).unwrap())
}

struct Raw {
    status: StatusCode,
    content_type: String,
    content_length: Option<usize>,
    set_cookie: Option<String>,
    body: Vec<u8>,
}

impl Raw {
    fn text(&self) -> &str {
        std::str::from_utf8(&self.body).unwrap()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A running mock, a client and the cookie of a live session.
struct Mock {
    handle: Handle,
    client: reqwest::Client,
    cookie: String,
}

async fn start_with(config: Config, sessions: Sessions) -> Mock {
    let handle = medical_insurance::start(local(), config, sessions)
        .await
        .unwrap();
    // Proxy variables in the environment must not divert requests meant for localhost.
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut mock = Mock {
        handle,
        client,
        cookie: String::new(),
    };
    mock.cookie = mock.login().await;
    mock
}

async fn start_staged(stage: Duration) -> Mock {
    start_with(
        Config {
            stage,
            ..Config::default()
        },
        Sessions::default(),
    )
    .await
}

async fn start() -> Mock {
    start_staged(STAGE).await
}

impl Mock {
    /// POSTs `body` to operation `op`, with `cookie` as the `Cookie` header.
    async fn send(&self, op: &str, body: impl Into<reqwest::Body>, cookie: Option<&str>) -> Raw {
        let mut request = self
            .client
            .post(format!("{}/{op}", self.handle.endpoint()))
            .header(CONTENT_TYPE, JSON)
            .body(body);
        if let Some(cookie) = cookie {
            request = request.header(COOKIE, cookie);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let header = |name| {
            response
                .headers()
                .get(name)
                .map(|v: &reqwest::header::HeaderValue| v.to_str().unwrap().to_owned())
        };
        let content_type = header(CONTENT_TYPE).unwrap_or_default();
        let content_length = header(CONTENT_LENGTH).map(|v| v.parse().unwrap());
        let set_cookie = header(SET_COOKIE);
        let body = response.bytes().await.unwrap().to_vec();
        Raw {
            status,
            content_type,
            content_length,
            set_cookie,
            body,
        }
    }

    /// Operation `op` with the session's cookie.
    async fn call(&self, op: &str, body: &Value) -> Raw {
        self.send(op, body.to_string(), Some(&self.cookie)).await
    }

    /// Operation `op`, which must succeed: its `d`.
    async fn ok(&self, op: &str, body: &Value) -> Value {
        let raw = self.call(op, body).await;
        assert_eq!(raw.status, StatusCode::OK, "{op}: {}", raw.text());
        assert_eq!(raw.content_type, JSON);
        let mut answer = raw.json();
        assert_eq!(answer.as_object().unwrap().len(), 1, "{answer}");
        answer["d"].take()
    }

    /// Operation `op`, which must fail with `status`: its `Message`.
    async fn fails(&self, op: &str, body: &Value, status: StatusCode) -> String {
        failure(&self.call(op, body).await, status)
    }

    /// Logs in as onewindow with the default password; the `Cookie` to send.
    async fn login(&self) -> String {
        let raw = self
            .send(
                "Login",
                json!({"userName": "onewindow", "password": medical_insurance::DEFAULT_PASSWORD})
                    .to_string(),
                None,
            )
            .await;
        assert_eq!(raw.status, StatusCode::OK);
        assert_eq!(raw.json()["d"]["Success"], true, "{}", raw.text());
        let set_cookie = raw.set_cookie.expect("a session cookie");
        let (cookie, attributes) = set_cookie.split_once("; ").unwrap();
        assert_eq!(attributes, "path=/; HttpOnly");
        let id = cookie.strip_prefix("ASP.NET_SessionId=").unwrap();
        assert!(
            id.len() == 24
                && id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
            "{id}"
        );
        cookie.to_owned()
    }

    async fn stats(&self) -> Stats {
        let url = format!("http://{}/_mock/stats", self.handle.addr());
        self.client
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn mock_case(&self, platform_case_no: &str) -> (StatusCode, Value) {
        let response = self
            .client
            .get(format!(
                "http://{}/_mock/cases/{platform_case_no}",
                self.handle.addr()
            ))
            .send()
            .await
            .unwrap();
        (response.status(), response.json().await.unwrap())
    }

    async fn put_fault(&self, json: &str) -> StatusCode {
        self.client
            .put(format!("http://{}/_mock/fault", self.handle.addr()))
            .header(CONTENT_TYPE, "application/json")
            .body(json.to_owned())
            .send()
            .await
            .unwrap()
            .status()
    }

    async fn revoke(&self, number: &str) -> StatusCode {
        self.client
            .put(format!(
                "http://{}/_mock/licenses/{number}/revoke",
                self.handle.addr()
            ))
            .send()
            .await
            .unwrap()
            .status()
    }

    /// Submits an application, which must be accepted: its BusinessNo.
    async fn submit(&self, application: Value) -> String {
        let d = self
            .ok("SubmitApplication", &json!({"application": application}))
            .await;
        d["BusinessNo"].as_str().unwrap().to_owned()
    }

    /// Every change, read to the end of the log.
    async fn all_changes(&self) -> Vec<Value> {
        let mut after = 0;
        let mut all = Vec::new();
        loop {
            let page = self
                .ok("GetChanges", &json!({"afterId": after, "max": 100}))
                .await;
            for change in page["Changes"].as_array().unwrap() {
                let id = change["Id"].as_u64().unwrap();
                assert_eq!(id, after + 1, "ids are gapless");
                after = id;
                all.push(change.clone());
            }
            assert_eq!(page["LastId"], after);
            if page["HasMore"] == false {
                return all;
            }
        }
    }

    /// The changes of case `platform_case_no` so far.
    async fn changes_of(&self, platform_case_no: &str) -> Vec<Value> {
        let mut all = self.all_changes().await;
        all.retain(|c| c["Kind"] == "Case" && c["PlatformCaseNo"] == platform_case_no);
        all
    }

    /// Polls until the case's latest change is to `status`; its changes.
    async fn changes_until(&self, platform_case_no: &str, status: i64) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            let mine = self.changes_of(platform_case_no).await;
            if mine.last().is_some_and(|c| c["Status"] == status) {
                return mine;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "case {platform_case_no} never reached {status}: {mine:#?}"
            );
            tokio::time::sleep(STAGE / 3).await;
        }
    }
}

/// Checks a failure's status, framing and exception; its `Message`.
#[track_caller]
fn failure(raw: &Raw, status: StatusCode) -> String {
    assert_eq!(raw.status, status, "{}", raw.text());
    assert_eq!(raw.content_type, JSON);
    let answer = raw.json();
    let exception = match status.as_u16() {
        400 => "System.ArgumentException",
        401 => "System.UnauthorizedAccessException",
        404 => "Yb.NotFoundException",
        409 => "Yb.BusinessRuleException",
        _ => "System.Exception",
    };
    assert_eq!(answer["ExceptionType"], exception, "{answer}");
    assert_eq!(answer.as_object().unwrap().len(), 2, "{answer}");
    answer["Message"].as_str().unwrap().to_owned()
}

fn statuses(changes: &[Value]) -> Vec<i64> {
    changes
        .iter()
        .map(|c| c["Status"].as_i64().unwrap())
        .collect()
}

fn millis_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// The milliseconds of 00:00 Beijing time of `day`.
fn midnight(day: NaiveDate) -> i64 {
    (day.and_hms_opt(0, 0, 0).unwrap() - TimeDelta::hours(8))
        .and_utc()
        .timestamp_millis()
}

/// `AcceptedAt`: now, without an offset.
fn accepted_now() -> String {
    format!("/Date({})/", millis_now())
}

/// `AcceptedAt`: 10:00 Beijing time of `day`, with the offset.
fn accepted_on(day: NaiveDate) -> String {
    format!("/Date({}+0800)/", midnight(day) + 10 * 3600 * 1000)
}

/// Reads `/Date(ms+0800)/`.
fn millis(date: &Value) -> i64 {
    let text = date.as_str().unwrap();
    let inner = text
        .strip_prefix("/Date(")
        .and_then(|t| t.strip_suffix("+0800)/"))
        .unwrap_or_else(|| panic!("{text}"));
    inner.parse().unwrap()
}

fn file(material: &str, name: &str) -> Value {
    json!({"MaterialCode": material, "FileName": name, "ContentType": "application/pdf", "Content": PDF})
}

fn id_card(number: &str) -> Value {
    json!({"MaterialCode": "01", "TypeName": "居民身份证", "Number": number})
}

fn form(items: &[(&str, &str)]) -> Value {
    items
        .iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect()
}

fn application(no: &str, matter: &str, form: Value, files: Value, licenses: Value) -> Value {
    json!({
        "PlatformCaseNo": no,
        "MatterCode": matter,
        "Applicant": {"IdType": 1, "IdNumber": CHEN, "Name": "陈晓东"},
        "AcceptedAt": accepted_now(),
        "Form": form,
        "Files": files,
        "Licenses": licenses,
    })
}

fn enrolment(no: &str) -> Value {
    application(
        no,
        ENROLMENT,
        form(&[
            ("category", "成年居民"),
            ("grade", "二档"),
            ("phone", "13906710001"),
        ]),
        json!([file("02", "户口簿.pdf")]),
        json!([id_card(CHEN)]),
    )
}

fn filing(no: &str) -> Value {
    application(
        no,
        FILING,
        form(&[
            ("kind", "异地长期居住"),
            ("place", "海南省三亚市吉阳区"),
            ("from", "2027-01-01"),
        ]),
        json!([]),
        json!([id_card(CHEN)]),
    )
}

/// A 零星报销 of `amount` for a visit on `visit`, accepted today; with the 出院小结
/// when `summary`.
fn reimbursement(no: &str, visit: NaiveDate, amount: &str, summary: bool) -> Value {
    let mut files = vec![file("02", "发票.pdf"), file("03", "费用明细清单.pdf")];
    if summary {
        files.push(file("04", "出院小结.pdf"));
    }
    let mut application = application(
        no,
        REIMBURSEMENT,
        form(&[
            ("hospital", "海南省人民医院"),
            ("visitDate", &visit.format("%Y-%m-%d").to_string()),
            ("amount", amount),
            ("reason", "异地急诊"),
        ]),
        json!(files),
        json!([id_card(CHEN)]),
    );
    application["AcceptedAt"] = json!(accepted_on(china_today()));
    application
}

fn days_ago(days: u64) -> NaiveDate {
    china_today() - Days::new(days)
}

#[tokio::test]
async fn login_opens_a_session_and_every_other_operation_needs_one() {
    let mock = start().await;
    let login = |body: Value| {
        let mock = &mock;
        async move { mock.send("Login", body.to_string(), None).await }
    };
    let right = login(json!({"userName": "onewindow", "password": "yb-demo-password-0001"})).await;
    assert_eq!(right.status, StatusCode::OK);
    assert_eq!(right.content_type, JSON);
    assert_eq!(
        right.text(),
        r#"{"d":{"Success":true,"SessionTimeoutMinutes":20}}"#
    );
    let cookie = right.set_cookie.clone().unwrap();
    assert!(cookie.starts_with("ASP.NET_SessionId=") && cookie.ends_with("; path=/; HttpOnly"));
    assert_ne!(
        cookie.split_once(';').unwrap().0,
        mock.cookie,
        "a new session"
    );

    for wrong in [
        json!({"userName": "onewindow", "password": "yb-demo-password-0002"}),
        json!({"userName": "admin", "password": "yb-demo-password-0001"}),
    ] {
        let raw = login(wrong).await;
        assert_eq!(raw.status, StatusCode::OK);
        assert_eq!(
            raw.text(),
            r#"{"d":{"Success":false,"Message":"用户名或密码错误"}}"#
        );
        assert_eq!(raw.set_cookie, None);
    }
    assert_eq!(
        failure(
            &login(json!({"userName": "onewindow"})).await,
            StatusCode::BAD_REQUEST
        ),
        "参数password无效：缺少密码"
    );
    assert_eq!(
        failure(
            &login(json!({"userName": 7, "password": "x"})).await,
            StatusCode::BAD_REQUEST
        ),
        "参数userName无效：用户名应为字符串，实际为数字"
    );

    // Without a session, or with one the service does not know: 401.
    for cookie in [
        None,
        Some("ASP.NET_SessionId=abcdefghijklmnopqrstuvwx"),
        Some("SessionId=whatever"),
    ] {
        let raw = mock.send("GetMatters", "{}", cookie).await;
        assert_eq!(raw.status, StatusCode::UNAUTHORIZED, "{cookie:?}");
        assert_eq!(raw.content_type, JSON);
        assert_eq!(raw.text(), UNAUTHORIZED);
    }
    // Even before the parameters are read.
    let raw = mock.send("SubmitApplication", "not json", None).await;
    assert_eq!(raw.text(), UNAUTHORIZED);
    // Both sessions are live, also among other cookies.
    let second = cookie.split_once(';').unwrap().0;
    for cookie in [mock.cookie.clone(), format!("theme=dark; {second}")] {
        let raw = mock.send("GetMatters", "{}", Some(&cookie)).await;
        assert_eq!(raw.status, StatusCode::OK, "{cookie}");
    }

    // What the service does not take.
    assert!(
        mock.send("GetMatters", "[]", Some(&mock.cookie))
            .await
            .text()
            .contains("请求正文无效：应为JSON对象，实际为数组")
    );
    assert!(
        failure(
            &mock.send("GetMatters", "", Some(&mock.cookie)).await,
            StatusCode::BAD_REQUEST
        )
        .starts_with("请求正文无效：不是有效的JSON")
    );
    assert_eq!(
        failure(
            &mock
                .send("DeleteEverything", "{}", Some(&mock.cookie))
                .await,
            StatusCode::NOT_FOUND
        ),
        "服务不存在操作DeleteEverything"
    );
    assert!(
        failure(
            &mock
                .send(
                    "GetMatters",
                    b"{\"a\": \"\xff\"}".to_vec(),
                    Some(&mock.cookie)
                )
                .await,
            StatusCode::BAD_REQUEST
        )
        .starts_with("请求正文无效：不是有效的UTF-8编码")
    );
    // The login of `start`, and 15 requests here.
    assert_eq!(mock.stats().await.requests, 16);
    let get = mock
        .client
        .get(format!("{}/GetMatters", mock.handle.endpoint()))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), StatusCode::METHOD_NOT_ALLOWED);
    mock.handle.shutdown().await;
}

#[tokio::test]
async fn a_session_lapses_after_its_idle_time() {
    let idle = Duration::from_millis(1500);
    let mock = start_with(
        Config {
            stage: STAGE,
            ..Config::default()
        },
        Sessions {
            idle,
            ..Sessions::default()
        },
    )
    .await;
    let raw = mock
        .send(
            "Login",
            json!({"userName": "onewindow", "password": medical_insurance::DEFAULT_PASSWORD})
                .to_string(),
            None,
        )
        .await;
    assert_eq!(raw.json()["d"]["SessionTimeoutMinutes"], 1, "rounded up");
    // Each request keeps the session alive for another idle time.
    for _ in 0..2 {
        tokio::time::sleep(idle * 3 / 5).await;
        assert_eq!(
            mock.call("GetMatters", &json!({})).await.status,
            StatusCode::OK
        );
    }
    tokio::time::sleep(idle + Duration::from_millis(500)).await;
    for _ in 0..2 {
        let raw = mock.call("GetMatters", &json!({})).await;
        assert_eq!(raw.status, StatusCode::UNAUTHORIZED);
        assert_eq!(raw.text(), UNAUTHORIZED);
    }
    let fresh = mock.login().await;
    assert_ne!(fresh, mock.cookie);
    let raw = mock.send("GetMatters", "{}", Some(&fresh)).await;
    assert_eq!(raw.status, StatusCode::OK);
    assert!(
        medical_insurance::start(
            local(),
            Config::default(),
            Sessions {
                idle: Duration::ZERO,
                ..Sessions::default()
            }
        )
        .await
        .is_err()
    );
    mock.handle.shutdown().await;
}

#[tokio::test]
async fn the_catalogue_lists_three_matters_with_materials_and_forms() {
    let mock = start().await;
    let raw = mock.call("GetMatters", &json!({})).await;
    assert!(
        raw.text()
            .starts_with(r#"{"d":[{"Code":"330122-YB-GG-001","Name":"城乡居民基本医疗保险参保登记","Agency":"县医疗保障局","Kind":6,"#),
        "{}",
        raw.text()
    );
    let matters = mock.ok("GetMatters", &json!({})).await;
    let matters = matters.as_array().unwrap();
    assert_eq!(matters.len(), 3);
    let codes: Vec<&str> = matters
        .iter()
        .map(|m| m["Code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, [ENROLMENT, REIMBURSEMENT, FILING]);
    for matter in matters {
        assert_eq!(matter["Agency"], "县医疗保障局");
        assert_eq!(
            (&matter["Visits"], &matter["Online"]),
            (&json!(0), &json!(true))
        );
        assert_eq!(matter["Fee"], "不收费");
        assert!(!matter["Conditions"].as_str().unwrap().is_empty());
        assert!(matter["PromisedDays"].as_u64() <= matter["LegalDays"].as_u64());
        for item in matter["Form"].as_array().unwrap() {
            assert_eq!(item["FieldType"] == 3, item["Options"].is_array(), "{item}");
            assert_eq!(item["Required"], true);
        }
    }
    let enrolment = &matters[0];
    assert_eq!(
        (&enrolment["LegalDays"], &enrolment["PromisedDays"]),
        (&json!(5), &json!(1))
    );
    assert_eq!(
        enrolment["Materials"],
        json!([
            {"Code": "01", "Name": "居民身份证", "Required": true, "LicenseType": "居民身份证"},
            {"Code": "02", "Name": "居民户口簿", "Required": true, "LicenseType": "居民户口簿"},
        ])
    );
    assert_eq!(
        enrolment["Form"],
        json!([
            {"Key": "category", "Label": "参保类别", "FieldType": 3,
             "Options": ["成年居民", "未成年人", "在校大学生"], "Required": true, "Source": null},
            {"Key": "grade", "Label": "缴费档次", "FieldType": 3,
             "Options": ["一档", "二档"], "Required": true, "Source": null},
            {"Key": "phone", "Label": "联系电话", "FieldType": 0,
             "Options": null, "Required": true, "Source": 4},
        ])
    );
    let reimbursement = &matters[1];
    assert_eq!(reimbursement["Name"], "医疗费用零星报销");
    assert_eq!(
        (
            &reimbursement["Kind"],
            &reimbursement["LegalDays"],
            &reimbursement["PromisedDays"]
        ),
        (&json!(2), &json!(20), &json!(10))
    );
    assert_eq!(
        reimbursement["Materials"][3],
        json!({"Code": "04", "Name": "出院小结", "Required": false, "LicenseType": null})
    );
    let types: Vec<(&str, i64)> = reimbursement["Form"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["Key"].as_str().unwrap(), f["FieldType"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        types,
        [
            ("hospital", 0),
            ("visitDate", 1),
            ("amount", 2),
            ("reason", 3)
        ]
    );
    assert_eq!(reimbursement["Form"][2]["Label"], "发生金额（元）");
    let filing = &matters[2];
    assert_eq!(filing["Name"], "异地就医备案");
    assert_eq!(filing["Kind"], 6);
    assert_eq!(filing["Materials"].as_array().unwrap().len(), 1);
    assert_eq!(
        filing["Form"][1],
        json!({"Key": "place", "Label": "就医地", "FieldType": 6, "Options": null, "Required": true, "Source": null})
    );
    assert_eq!(
        filing["Form"][0]["Options"],
        json!(["异地长期居住", "常驻异地工作", "异地转诊"])
    );
    mock.handle.shutdown().await;
}

#[tokio::test]
async fn an_application_is_stored_once() {
    // No stage passes while the test looks at the new case.
    let mock = start_staged(Duration::from_secs(10)).await;
    let request = json!({"application": enrolment("20261207-000042")});
    let business_no = mock.submit(enrolment("20261207-000042")).await;
    let today = china_today().format("%Y%m%d").to_string();
    assert_eq!(business_no, format!("YB{today}00001"));
    // Again, with the dates' slashes escaped as WCF writes them: the same number.
    let escaped = request
        .to_string()
        .replace("/Date(", "\\/Date(")
        .replace(")/", ")\\/");
    assert!(escaped.contains(r#""AcceptedAt":"\/Date("#), "{escaped}");
    let raw = mock
        .send("SubmitApplication", escaped, Some(&mock.cookie))
        .await;
    assert_eq!(
        raw.text(),
        format!(r#"{{"d":{{"BusinessNo":"{business_no}"}}}}"#)
    );
    let counted = mock.stats().await;
    assert_eq!(
        (counted.submissions, counted.cases, counted.duplicates),
        (1, 1, 1)
    );
    assert_eq!(mock.handle.stats(), counted);
    assert_eq!(
        mock.submit(filing("20261207-000043")).await,
        format!("YB{today}00002")
    );

    let (status, case) = mock.mock_case("20261207-000042").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(case["business_no"], business_no.as_str());
    assert_eq!(case["matter_code"], ENROLMENT);
    assert_eq!(
        case["applicant"],
        json!({"IdType": 1, "IdNumber": CHEN, "Name": "陈晓东"})
    );
    assert_eq!(case["status"], Value::Null);
    assert_eq!(case["resubmissions"], 1);
    assert_eq!(case["files"][0]["size"], 8);
    assert_eq!(case["licenses"][0]["number"], CHEN);
    assert_eq!(case["form"][1], json!({"key": "grade", "value": "二档"}));
    let (status, _) = mock.mock_case("nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    mock.handle.shutdown().await;
}

#[tokio::test]
async fn an_enrolment_issues_a_certificate_with_wcf_dates() {
    let mock = start().await;
    let business_no = mock.submit(enrolment("E-1")).await;
    let changes = mock.changes_until("E-1", 6).await;
    assert_eq!(statuses(&changes), [1, 4, 6]);
    assert!(
        changes
            .iter()
            .all(|c| c["BusinessNo"] == business_no.as_str())
    );
    assert_eq!(changes[0]["Remark"], "申请材料齐全，已受理，进入审核");
    assert_eq!(changes[1]["Remark"], "符合参保条件，审核通过");
    assert!(changes[..2].iter().all(|c| c["Certificate"].is_null()));
    let certificate = &changes[2]["Certificate"];
    let year = china_today().year();
    let number = format!("YB330122-{year}-000001");
    assert_eq!(
        changes[2]["Remark"],
        format!("已办结，核发参保凭证（编号{number}）")
    );
    assert_eq!(
        *certificate,
        json!({
            "TypeCode": "YBCBPZ",
            "TypeName": "城乡居民基本医疗保险参保凭证",
            "Number": number,
            "Holder": {"IdType": 1, "IdNumber": CHEN, "Name": "陈晓东"},
            "Issuer": "县医疗保障局",
            "IssuedOn": format!("/Date({}+0800)/", midnight(china_today())),
            "ValidUntil": format!(
                "/Date({}+0800)/",
                midnight(NaiveDate::from_ymd_opt(year + 1, 1, 1).unwrap()) - 1
            ),
            "Status": 0,
            "Face": [
                {"Key": "姓名", "Value": "陈晓东"},
                {"Key": "公民身份号码", "Value": CHEN},
                {"Key": "参保类别", "Value": "成年居民"},
                {"Key": "缴费档次", "Value": "二档"},
                {"Key": "参保年度", "Value": year.to_string()},
            ],
        })
    );
    for change in &changes {
        let at = millis(&change["ChangedAt"]);
        assert!((millis_now() - at).abs() < 60_000, "{change}");
    }

    // The dates as WCF writes them, slashes escaped.
    let raw = mock.call("GetChanges", &json!({"afterId": 2})).await;
    let text = raw.text();
    let changed_at = millis(&changes[2]["ChangedAt"]);
    assert!(
        text.contains(&format!(r#""ChangedAt":"\/Date({changed_at}+0800)\/""#)),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            r#""IssuedOn":"\/Date({}+0800)\/""#,
            midnight(china_today())
        )),
        "{text}"
    );
    assert!(!text.contains(r#""/Date("#), "{text}");

    let held = mock.ok("GetCertificates", &json!({"idNumber": CHEN})).await;
    assert_eq!(held, json!([certificate]));
    let other = with_check("33012219850312011");
    assert_eq!(
        mock.ok("GetCertificates", &json!({"idNumber": other}))
            .await,
        json!([])
    );
    let verified = mock
        .ok(
            "VerifyCertificate",
            &json!({"typeCode": "YBCBPZ", "number": number}),
        )
        .await;
    assert_eq!(verified, *certificate);
    for unknown in [
        json!({"typeCode": "YBCBPZ", "number": format!("YB330122-{year}-000009")}),
        json!({"typeCode": "JMSFZ", "number": number}),
    ] {
        let message = mock
            .fails("VerifyCertificate", &unknown, StatusCode::NOT_FOUND)
            .await;
        assert!(message.starts_with("凭证不存在"), "{message}");
    }

    let (_, case) = mock.mock_case("E-1").await;
    assert_eq!(case["status"], 6);
    assert_eq!(case["finished"], true);
    assert_eq!(case["issued_certificate"], number.as_str());
    assert_eq!(case["history"].as_array().unwrap().len(), 3);
    mock.handle.shutdown().await;
}

#[tokio::test]
async fn each_invalid_parameter_is_named() {
    let mock = start().await;
    type Edit = Box<dyn Fn(&mut Value)>;
    let base = reimbursement("V-1", days_ago(3), "300", false);
    let edits: Vec<(Edit, &str)> = vec![
        (
            Box::new(|a| a["PlatformCaseNo"] = Value::Null),
            "参数application.PlatformCaseNo无效：缺少平台办件编号",
        ),
        (
            Box::new(|a| a["PlatformCaseNo"] = json!(42)),
            "参数application.PlatformCaseNo无效：平台办件编号应为字符串，实际为数字",
        ),
        (
            Box::new(|a| a["MatterCode"] = json!("330122-YB-XX-009")),
            "参数application.MatterCode无效：事项编码“330122-YB-XX-009”不存在",
        ),
        (
            Box::new(|a| a["Applicant"] = json!("陈晓东")),
            "参数application.Applicant无效：申请人应为对象",
        ),
        (
            Box::new(|a| a["Applicant"]["IdType"] = json!(3)),
            "参数application.Applicant.IdType无效：证件类型应为1（居民身份证）或2（统一社会信用代码），实际为3",
        ),
        (
            Box::new(|a| a["Applicant"]["IdType"] = json!("1")),
            "参数application.Applicant.IdType无效",
        ),
        (
            Box::new(|a| {
                a["Applicant"] =
                    json!({"IdType": 2, "IdNumber": "91330122704218653L", "Name": "桐庐某公司"})
            }),
            "参数application.Applicant.IdType无效：事项“医疗费用零星报销”只能由居民本人申请",
        ),
        (
            Box::new(|a| a["Applicant"]["IdNumber"] = json!("110105194912310021")),
            "参数application.Applicant.IdNumber无效：“110105194912310021”不是有效的公民身份号码：校验码应为“X”",
        ),
        (
            Box::new(|a| a["Applicant"]["Name"] = json!("  ")),
            "参数application.Applicant.Name无效：姓名或名称不能为空",
        ),
        (
            Box::new(|a| a["AcceptedAt"] = json!("2026-12-07T10:00:00")),
            "参数application.AcceptedAt无效：应为\\/Date(毫秒数+0800)\\/格式的时间",
        ),
        (
            Box::new(|a| a["Form"][1]["Value"] = json!("2026/12/01")),
            "参数application.Form[visitDate]无效：应为YYYY-MM-DD格式的日期",
        ),
        (
            Box::new(|a| a["Form"][1]["Value"] = json!("2026-02-30")),
            "参数application.Form[visitDate]无效：“2026-02-30”不是真实存在的日期",
        ),
        (
            Box::new(|a| a["Form"][1]["Value"] = json!("")),
            "参数application.Form[visitDate]无效：缺少必填项“就诊日期”",
        ),
        (
            Box::new(|a| a["Form"][2]["Value"] = json!("一万")),
            "参数application.Form[amount]无效：发生金额（元）应为十进制数字，实际为“一万”",
        ),
        (
            Box::new(|a| a["Form"][2]["Value"] = json!(300)),
            "参数application.Form[2].Value无效：表单项值应为字符串，实际为数字",
        ),
        (
            Box::new(|a| a["Form"][3]["Value"] = json!("看病")),
            "参数application.Form[reason]无效：报销原因应为异地急诊、未持卡就医、其他之一，实际为“看病”",
        ),
        (
            Box::new(|a| a["Form"][0] = json!({"Value": "x"})),
            "参数application.Form[0].Key无效：缺少表单项名",
        ),
        (
            Box::new(|a| a["Files"][0]["Content"] = json!("!!")),
            "参数application.Files[0].Content无效：文件“发票.pdf”的内容不是有效的Base64编码",
        ),
        (
            Box::new(|a| a["Files"] = json!("发票.pdf")),
            "参数application.Files无效：文件应为数组，实际为字符串",
        ),
        (
            Box::new(|a| a["Files"][1]["MaterialCode"] = json!("09")),
            "参数application.Files无效：缺少必须提交的申请材料03（费用明细清单），应以文件（Files）或证照（Licenses）提交",
        ),
        (
            Box::new(|a| a["Licenses"][0]["Number"] = Value::Null),
            "参数application.Licenses[0].Number无效：缺少证照编号",
        ),
    ];
    for (edit, expected) in edits {
        let mut application = base.clone();
        edit(&mut application);
        let message = mock
            .fails(
                "SubmitApplication",
                &json!({"application": application}),
                StatusCode::BAD_REQUEST,
            )
            .await;
        assert!(
            message.starts_with(expected),
            "{message}\n  expected {expected}"
        );
    }
    let message = mock
        .fails("SubmitApplication", &json!({}), StatusCode::BAD_REQUEST)
        .await;
    assert_eq!(message, "参数application无效：缺少申请");

    // The other operations' parameters.
    for (op, body, expected) in [
        ("GetChanges", json!({}), "参数afterId无效：缺少起始序号"),
        (
            "GetChanges",
            json!({"afterId": "0"}),
            "参数afterId无效：起始序号应为不小于0的整数，实际为\"0\"",
        ),
        ("GetChanges", json!({"afterId": -1}), "参数afterId无效"),
        (
            "GetChanges",
            json!({"afterId": 0, "max": 0}),
            "参数max无效：每页条数应为1到100之间的整数，实际为0",
        ),
        (
            "GetChanges",
            json!({"afterId": 0, "max": 101}),
            "参数max无效",
        ),
        (
            "GetChanges",
            json!({"afterId": 0, "max": 2.5}),
            "参数max无效",
        ),
        (
            "Supplement",
            json!({"platformCaseNo": "V-1", "files": []}),
            "参数files无效：补正须至少提交一个文件",
        ),
        (
            "Supplement",
            json!({"files": [file("04", "出院小结.pdf")]}),
            "参数platformCaseNo无效：缺少平台办件编号",
        ),
        (
            "Supplement",
            json!({"platformCaseNo": "V-1", "files": [{"MaterialCode": "04"}]}),
            "参数files[0].FileName无效：缺少文件名",
        ),
        (
            "Withdraw",
            json!({"platformCaseNo": "V-1"}),
            "参数reason无效：缺少撤回原因",
        ),
        (
            "Withdraw",
            json!({"platformCaseNo": "V-1", "reason": ""}),
            "参数reason无效：撤回原因不能为空",
        ),
        (
            "GetCertificates",
            json!({"idNumber": "110105194912310021"}),
            "参数idNumber无效：“110105194912310021”不是有效的公民身份号码",
        ),
        (
            "VerifyCertificate",
            json!({"typeCode": "YBCBPZ"}),
            "参数number无效：缺少证照编号",
        ),
    ] {
        let message = mock.fails(op, &body, StatusCode::BAD_REQUEST).await;
        assert!(
            message.starts_with(expected),
            "{op}: {message}\n  expected {expected}"
        );
    }
    assert_eq!(mock.stats().await.cases, 0);
    // The base application itself is right.
    mock.submit(base).await;
    mock.handle.shutdown().await;
}

#[tokio::test]
async fn reimbursements_are_denied_supplemented_reviewed_or_paid() {
    let mock = start().await;
    mock.submit(reimbursement("R-1", days_ago(366), "300", false))
        .await;
    mock.submit(reimbursement("R-2", days_ago(365), "300", false))
        .await;
    mock.submit(reimbursement("R-3", days_ago(10), "20000", false))
        .await;
    mock.submit(reimbursement("R-4", days_ago(10), "60000.50", false))
        .await;
    mock.submit(reimbursement("R-5", days_ago(10), "60000.50", true))
        .await;

    let denied = mock.changes_until("R-1", 5).await;
    assert_eq!(statuses(&denied), [1, 5]);
    assert_eq!(denied[1]["Remark"], "就诊日期已超过一年的报销时限");
    let paid = mock.changes_until("R-2", 6).await;
    assert_eq!(statuses(&paid), [1, 4, 6]);
    assert_eq!(paid[1]["Remark"], "审核通过，发生金额300元，按规定核定报销");
    let reviewed = mock.changes_until("R-5", 6).await;
    assert_eq!(statuses(&reviewed), [1, 3, 4, 6]);
    assert_eq!(reviewed[1]["Remark"], "专家评审");

    // Large claims without the 出院小结 wait at 2 for it.
    for no in ["R-3", "R-4"] {
        let waiting = mock.changes_until(no, 2).await;
        assert_eq!(statuses(&waiting), [1, 2]);
        assert_eq!(waiting[1]["Remark"], "请补充出院小结");
    }
    tokio::time::sleep(STAGE * 8).await;
    assert_eq!(statuses(&mock.changes_of("R-3").await), [1, 2]);
    for no in ["R-3", "R-4"] {
        let answer = mock
            .ok(
                "Supplement",
                &json!({"platformCaseNo": no, "remark": "补充出院小结", "files": [file("04", "出院小结.pdf")]}),
            )
            .await;
        assert_eq!(answer, Value::Null);
    }
    let supplemented = mock.changes_until("R-3", 6).await;
    assert_eq!(statuses(&supplemented), [1, 2, 1, 4, 6]);
    assert_eq!(
        supplemented[2]["Remark"],
        "补正材料已收到（共1份），继续审核"
    );
    let expert = mock.changes_until("R-4", 6).await;
    assert_eq!(statuses(&expert), [1, 2, 1, 3, 4, 6]);
    let all = mock.all_changes().await;
    assert!(all.iter().all(|c| c["Certificate"].is_null()));
    assert!(mock.ok("GetCertificates", &json!({"idNumber": CHEN})).await == json!([]));

    // Only a case waiting for it takes a 补正.
    let supplement = json!({"platformCaseNo": "R-5", "files": [file("04", "出院小结.pdf")]});
    assert_eq!(
        mock.fails("Supplement", &supplement, StatusCode::CONFLICT)
            .await,
        "当前状态不需要补正"
    );
    let unknown = json!({"platformCaseNo": "R-9", "files": [file("04", "出院小结.pdf")]});
    assert_eq!(
        mock.fails("Supplement", &unknown, StatusCode::NOT_FOUND)
            .await,
        "平台办件编号R-9对应的申请不存在"
    );
    let (_, case) = mock.mock_case("R-3").await;
    assert_eq!(case["supplements"][0]["remark"], "补充出院小结");
    assert_eq!(case["supplements"][0]["files"][0]["material_code"], "04");
    mock.handle.shutdown().await;
}

#[tokio::test]
async fn a_supplement_is_taken_once() {
    let mock = start_staged(LONG_STAGE).await;
    mock.submit(reimbursement("S-1", days_ago(10), "60000", false))
        .await;
    // Not waiting yet (nor ever, for a case not asked for one).
    let early = json!({"platformCaseNo": "S-1", "files": [file("04", "出院小结.pdf")]});
    assert_eq!(
        mock.fails("Supplement", &early, StatusCode::CONFLICT).await,
        "当前状态不需要补正"
    );
    mock.changes_until("S-1", 2).await;

    let files = json!([file("04", "出院小结.pdf"), file("02", "发票（补）.pdf")]);
    let body = json!({"platformCaseNo": "S-1", "remark": "补充出院小结", "files": files});
    assert_eq!(mock.ok("Supplement", &body).await, Value::Null);
    // Within the same stage: the same files change nothing, others are refused.
    assert_eq!(mock.ok("Supplement", &body).await, Value::Null);
    let others = json!({"platformCaseNo": "S-1", "files": [file("04", "出院小结（新）.pdf")]});
    assert_eq!(
        mock.fails("Supplement", &others, StatusCode::CONFLICT)
            .await,
        "当前状态不需要补正"
    );
    let (_, case) = mock.mock_case("S-1").await;
    assert_eq!(case["status"], 1);

    let done = mock.changes_until("S-1", 6).await;
    assert_eq!(statuses(&done), [1, 2, 1, 3, 4, 6]);
    assert_eq!(done[2]["Remark"], "补正材料已收到（共2份），继续审核");
    // Decided: the same files are refused now.
    assert_eq!(
        mock.fails("Supplement", &body, StatusCode::CONFLICT).await,
        "当前状态不需要补正"
    );
    let (_, case) = mock.mock_case("S-1").await;
    let supplements = case["supplements"].as_array().unwrap();
    assert_eq!(supplements.len(), 1, "{case:#}");
    assert_eq!(supplements[0]["repeats"], 1);
    assert_eq!(supplements[0]["files"][1]["file_name"], "发票（补）.pdf");
    assert_eq!(
        supplements[0]["files"][0]["sha256"],
        "e16fa5d9b51928755db85b917f0297babaf22c7a47e97d9212adab56e61ba04e"
    );
    assert_eq!(supplements[0]["files"][0]["size"], 8);
    mock.handle.shutdown().await;
}

#[tokio::test]
async fn a_withdrawal_stops_an_undecided_case_and_a_decided_one_refuses_it() {
    let mock = start_staged(LONG_STAGE).await;
    mock.submit(filing("W-1")).await;
    let body = json!({"platformCaseNo": "W-1", "reason": "行程取消"});
    assert_eq!(mock.ok("Withdraw", &body).await, Value::Null);
    assert_eq!(mock.ok("Withdraw", &body).await, Value::Null, "again");
    let (_, case) = mock.mock_case("W-1").await;
    assert_eq!(case["withdrawal"]["reason"], "行程取消");
    assert_eq!(case["withdrawal"]["repeats"], 1);
    let last = case["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["status_name"], "已撤回");
    assert_eq!(last["remark"], "申请人撤回申请：行程取消");

    // Waiting for a 补正 is undecided too.
    mock.submit(reimbursement("W-3", days_ago(10), "20000", false))
        .await;
    mock.submit(filing("W-2")).await;
    mock.changes_until("W-3", 2).await;
    let body = json!({"platformCaseNo": "W-3", "reason": "已在异地结算"});
    assert_eq!(mock.ok("Withdraw", &body).await, Value::Null);
    let supplement = json!({"platformCaseNo": "W-3", "files": [file("04", "出院小结.pdf")]});
    assert_eq!(
        mock.fails("Supplement", &supplement, StatusCode::CONFLICT)
            .await,
        "当前状态不需要补正"
    );

    let decided = mock.changes_until("W-2", 6).await;
    assert_eq!(statuses(&decided), [1, 6]);
    let refused = mock
        .fails(
            "Withdraw",
            &json!({"platformCaseNo": "W-2", "reason": "不办了"}),
            StatusCode::CONFLICT,
        )
        .await;
    let (_, case) = mock.mock_case("W-2").await;
    let at = case["decided_at"].as_str().unwrap();
    assert_eq!(refused, format!("申请已于{at}审结，不能撤回"));
    assert!(
        onewindow_codes::chrono::NaiveDateTime::parse_from_str(at, "%Y-%m-%d %H:%M:%S").is_ok(),
        "{at}"
    );
    assert!(case["withdrawal"].is_null());

    tokio::time::sleep(LONG_STAGE * 3).await;
    assert!(mock.changes_of("W-1").await.is_empty(), "no change logged");
    assert_eq!(statuses(&mock.changes_of("W-3").await), [1, 2]);
    let unknown = json!({"platformCaseNo": "W-9", "reason": "x"});
    assert_eq!(
        mock.fails("Withdraw", &unknown, StatusCode::NOT_FOUND)
            .await,
        "平台办件编号W-9对应的申请不存在"
    );
    mock.handle.shutdown().await;
}

#[tokio::test]
async fn a_revoked_certificate_is_a_certificate_change() {
    let mock = start().await;
    mock.submit(enrolment("C-1")).await;
    let issued = mock.changes_until("C-1", 6).await;
    let number = issued[2]["Certificate"]["Number"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(mock.revoke(&number).await, StatusCode::OK);
    assert_eq!(mock.revoke(&number).await, StatusCode::OK, "again");
    assert_eq!(
        mock.revoke("YB330122-2000-000009").await,
        StatusCode::NOT_FOUND
    );
    assert!(!mock.handle.revoke_license("YB330122-2000-000009"));

    let all = mock.all_changes().await;
    assert_eq!(
        all.len(),
        4,
        "one certificate change, however often revoked"
    );
    let last = &all[3];
    assert_eq!(last["Kind"], "Certificate");
    assert_eq!(
        (
            &last["PlatformCaseNo"],
            &last["BusinessNo"],
            &last["Status"]
        ),
        (&Value::Null, &Value::Null, &Value::Null)
    );
    assert_eq!(last["Remark"], "已参加职工医保，参保凭证作废");
    assert!((millis_now() - millis(&last["ChangedAt"])).abs() < 60_000);
    let certificate = &last["Certificate"];
    assert_eq!(certificate["Number"], number.as_str());
    assert_eq!(certificate["Status"], 1);
    assert_eq!(issued[2]["Certificate"]["Status"], 0, "as it was issued");
    let mut expected = issued[2]["Certificate"].clone();
    expected["Status"] = json!(1);
    assert_eq!(*certificate, expected);

    let verified = mock
        .ok(
            "VerifyCertificate",
            &json!({"typeCode": "YBCBPZ", "number": number}),
        )
        .await;
    assert_eq!(verified, expected);
    assert_eq!(
        mock.ok("GetCertificates", &json!({"idNumber": CHEN})).await,
        json!([expected])
    );
    mock.handle.shutdown().await;
}

#[tokio::test]
async fn the_change_log_pages_by_id() {
    let mock = start().await;
    for no in ["P-1", "P-2", "P-3"] {
        mock.submit(filing(no)).await;
    }
    for no in ["P-1", "P-2", "P-3"] {
        mock.changes_until(no, 6).await;
    }
    let page = |after: u64, max: Option<u64>| {
        let mut body = json!({"afterId": after});
        if let Some(max) = max {
            body["max"] = json!(max);
        }
        let mock = &mock;
        async move {
            let d = mock.ok("GetChanges", &body).await;
            let ids: Vec<u64> = d["Changes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["Id"].as_u64().unwrap())
                .collect();
            (
                ids,
                d["LastId"].as_u64().unwrap(),
                d["HasMore"].as_bool().unwrap(),
            )
        }
    };
    assert_eq!(page(0, Some(1)).await, (vec![1], 1, true));
    assert_eq!(page(1, Some(2)).await, (vec![2, 3], 3, true));
    assert_eq!(page(0, None).await, (vec![1, 2, 3, 4, 5, 6], 6, false));
    assert_eq!(page(4, Some(2)).await, (vec![5, 6], 6, false));
    assert_eq!(page(4, Some(100)).await, (vec![5, 6], 6, false));
    assert_eq!(page(6, None).await, (vec![], 6, false));
    assert_eq!(page(99, Some(100)).await, (vec![], 99, false));
    let all = mock.all_changes().await;
    let mut per_case: Vec<(&str, i64)> = all
        .iter()
        .map(|c| {
            (
                c["PlatformCaseNo"].as_str().unwrap(),
                c["Status"].as_i64().unwrap(),
            )
        })
        .collect();
    per_case.sort();
    assert_eq!(
        per_case,
        [
            ("P-1", 1),
            ("P-1", 6),
            ("P-2", 1),
            ("P-2", 6),
            ("P-3", 1),
            ("P-3", 6)
        ]
    );
    assert!(all.iter().all(|c| c["Kind"] == "Case"));
    assert_eq!(all[5]["Remark"], "已办结，异地就医备案已生效");
    mock.handle.shutdown().await;
}

#[tokio::test]
async fn faults_show_in_the_answers() {
    let mock = start().await;
    mock.submit(enrolment("F-1")).await;
    mock.changes_until("F-1", 6).await;
    let normal = mock.call("GetMatters", &json!({})).await;

    assert_eq!(
        mock.put_fault(r#"{"mode": "truncated"}"#).await,
        StatusCode::OK
    );
    let cut = mock.call("GetMatters", &json!({})).await;
    assert_eq!(cut.status, StatusCode::OK);
    assert_eq!(cut.body.len(), normal.body.len() / 2);
    assert_eq!(cut.content_length, Some(cut.body.len()));
    assert_eq!(&cut.body[..], &normal.body[..cut.body.len()]);
    assert!(serde_json::from_slice::<Value>(&cut.body).is_err());

    mock.handle.set_fault(Fault::WrongEncoding);
    let wrong = mock.call("GetMatters", &json!({})).await;
    assert_eq!(wrong.content_type, JSON);
    assert!(std::str::from_utf8(&wrong.body).is_err(), "GBK bytes");
    assert_eq!(gbk::decode(&wrong.body).unwrap(), normal.text());
    let refused = mock.send("GetMatters", "{}", None).await;
    assert_eq!(gbk::decode(&refused.body).unwrap(), UNAUTHORIZED);

    mock.handle.set_fault(Fault::MissingElement);
    let matters = mock.ok("GetMatters", &json!({})).await;
    assert!(matters[0].get("Name").is_none());
    assert_eq!(matters[1]["Name"], "医疗费用零星报销");
    let submitted = mock
        .ok("SubmitApplication", &json!({"application": filing("F-2")}))
        .await;
    assert_eq!(submitted, json!({}));
    let changes = mock.ok("GetChanges", &json!({"afterId": 0})).await;
    assert!(changes["Changes"][0].get("Status").is_none());
    assert_eq!(changes["Changes"][1]["Status"], 4);
    let certificates = mock.ok("GetCertificates", &json!({"idNumber": CHEN})).await;
    assert!(certificates[0].get("Number").is_none());
    assert!(certificates[0].get("TypeCode").is_some());

    mock.handle.set_fault(Fault::UnknownCode);
    assert_eq!(mock.ok("GetMatters", &json!({})).await[0]["Kind"], 9);
    let changes = mock.ok("GetChanges", &json!({"afterId": 0})).await;
    assert_eq!(changes["Changes"][0]["Status"], 9);
    assert_eq!(changes["Changes"][1]["Status"], 4);
    let certificates = mock.ok("GetCertificates", &json!({"idNumber": CHEN})).await;
    assert_eq!(certificates[0]["Status"], 9);

    mock.handle.set_fault(Fault::EndlessPages);
    let endless = mock
        .ok("GetChanges", &json!({"afterId": 1, "max": 1}))
        .await;
    assert_eq!(
        (&endless["LastId"], &endless["HasMore"]),
        (&json!(1), &json!(true))
    );
    assert_eq!(endless["Changes"][0]["Id"], 2);

    assert_eq!(mock.put_fault(r#"{"mode": "down"}"#).await, StatusCode::OK);
    let down = mock.call("GetMatters", &json!({})).await;
    assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(down.content_type.starts_with("text/html"));
    assert!(String::from_utf8_lossy(&down.body).contains("Service Unavailable"));
    // The admin side keeps working while the service is down.
    assert_eq!(mock.stats().await.submissions, 2);

    assert_eq!(
        mock.put_fault(r#"{"mode": "slow", "delay_ms": 200}"#).await,
        StatusCode::OK
    );
    let started = std::time::Instant::now();
    assert_eq!(
        mock.call("GetMatters", &json!({})).await.status,
        StatusCode::OK
    );
    assert!(started.elapsed() >= Duration::from_millis(200));

    assert_eq!(mock.put_fault(r#"{"mode": "none"}"#).await, StatusCode::OK);
    assert_eq!(mock.call("GetMatters", &json!({})).await.body, normal.body);
    mock.handle.shutdown().await;
}

#[tokio::test]
async fn fail_rate_latency_and_shutdown() {
    let handle = medical_insurance::start(
        local(),
        Config {
            stage: STAGE,
            latency: Duration::from_millis(100),
            fail_rate: 1.0,
            ..Config::default()
        },
        Sessions::default(),
    )
    .await
    .unwrap();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let started = std::time::Instant::now();
    let failed = client
        .post(format!("{}/Login", handle.endpoint()))
        .body(r#"{"userName": "onewindow", "password": "yb-demo-password-0001"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(failed.headers().get(SET_COOKIE).is_none());
    assert!(started.elapsed() >= Duration::from_millis(100));
    assert_eq!(handle.stats().requests, 1);

    let addr = handle.addr();
    assert!(handle.endpoint().ends_with("/YbService.svc"));
    handle.shutdown().await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "port still open"
    );
    let bad = Config {
        fail_rate: 1.5,
        ..Config::default()
    };
    assert!(
        medical_insurance::start(local(), bad, Sessions::default())
            .await
            .is_err()
    );
    assert_eq!(medical_insurance::DEFAULT_LISTEN, "127.0.0.1:9107");
    assert_eq!(medical_insurance::BASE, "/YbService.svc");
    assert_eq!(medical_insurance::DEPARTMENT, "县医疗保障局");
}
