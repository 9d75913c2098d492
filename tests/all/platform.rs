//! The platform end to end over HTTP: a real server on 127.0.0.1, the real
//! market-supervision adapter, the mock legacy system, a real SQLite file.
//! Every answer is checked against the OpenAPI document the server serves.

use std::time::{Duration, Instant};

use legacy_systems::market_supervision as mock;
use legacy_systems::{public_security, social_security, tax};
use onewindow::config::Config;
use onewindow::platform::Clock;
use onewindow_tests::{
    AUDITOR, CLERK, Db, Department, IdentityPlatform, MARKET_STAFF, OPEN_BUSINESS, OPERATOR,
    Running, SUPERVISOR, TAX_STAFF, fresh_database, platform_config_with,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::contract::Contract;
use onewindow::registry::package;

pub(crate) struct Server {
    running: Running,
    pub(crate) client: reqwest::Client,
    contract: Contract,
    pub(crate) mock: mock::Handle,
    /// The other departments, when the setup connects them.
    others: Option<Others>,
    pub(crate) config: Config,
    /// The identity platform applicants sign in with, when the setup has one.
    pub(crate) identity: Option<IdentityPlatform>,
    pub(crate) _dir: tempfile::TempDir,
}

/// The mock systems of 县公安局, 县税务局 and 县人力资源和社会保障局.
struct Others {
    public_security: public_security::Handle,
    tax: tax::Handle,
    social_security: social_security::Handle,
}

/// Runs a test on SQLite and on PostgreSQL.
macro_rules! on_both_databases {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$test(Db::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$test(Db::Postgres).await;
            }
        }
    )*};
}

pub(crate) use on_both_databases;

on_both_databases!(
    a_case_goes_from_the_window_to_a_license_and_an_evaluation,
    a_joint_case_fans_out_to_three_departments_and_completes_when_every_part_has,
    a_joint_case_with_one_part_delayed_and_one_refused,
    the_window_marks_the_materials_a_license_to_come_stands_in_for,
    a_license_issued_by_one_department_stands_in_for_a_material_at_another,
    every_endpoint_answers_every_role_as_its_document_says,
    the_audit_chain_names_an_edited_a_reordered_and_a_deleted_entry,
    deadlines_count_working_days_across_spring_festival_and_stop_for_a_supplement,
    bad_requests_get_a_clear_error_and_change_nothing,
    cases_accepted_while_the_legacy_system_is_down_are_delivered_once_it_is_back,
    a_case_accepted_before_a_restart_is_delivered_once_after_it,
    concurrent_acceptances_get_consecutive_numbers_and_one_audit_chain,
    two_replicas_on_one_database_deliver_every_case_exactly_once,
    operators_install_activate_roll_back_disable_and_delete_adapter_versions,
    swapping_an_adapter_under_load_fails_no_request,
    packages_dropped_into_the_watched_folder_are_installed_once_complete,
    a_replica_takes_cases_for_an_adapter_activated_elsewhere_at_once,
);

/// How a test's platform and mock system run.
pub(crate) struct Setup {
    /// Whether the delivery worker runs.
    pub(crate) deliver: bool,
    /// The mock's time per lifecycle stage.
    pub(crate) stage: Duration,
    pub(crate) clock: Clock,
    /// Whether 县公安局, 县税务局 and 县人力资源和社会保障局 are connected too, with
    /// the theme 开办企业.
    pub(crate) departments: bool,
    /// How long delivery is retried before a case shows `delivery_failed`.
    pub(crate) retry_horizon: Option<Duration>,
    /// What bounds the HTTP server, when not the defaults.
    pub(crate) server: Option<onewindow::config::ServerLimits>,
    /// Whether applicants sign in, through examples/identity started for it.
    pub(crate) applicants: bool,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            deliver: true,
            stage: Duration::from_millis(100),
            clock: Clock::System,
            departments: false,
            retry_horizon: None,
            server: None,
            applicants: false,
        }
    }
}

async fn server(db: Db) -> Server {
    server_with(db, Setup::default()).await
}

/// A platform that delivers nothing: for what happens at its edge.
pub(crate) async fn idle_server(db: Db) -> Server {
    server_with(
        db,
        Setup {
            deliver: false,
            ..Setup::default()
        },
    )
    .await
}

pub(crate) async fn server_with(db: Db, setup: Setup) -> Server {
    let mock = mock::start(
        "127.0.0.1:0".parse().unwrap(),
        mock::Config {
            stage: setup.stage,
            ..mock::Config::default()
        },
    )
    .await
    .unwrap();
    let mut departments = vec![Department::market_supervision(&mock)];
    let others = if setup.departments {
        let any_port = || "127.0.0.1:0".parse().unwrap();
        let others = Others {
            public_security: public_security::start(
                any_port(),
                public_security::Config {
                    stage: setup.stage,
                    ..Default::default()
                },
            )
            .await
            .unwrap(),
            tax: tax::start(
                any_port(),
                tax::Config {
                    stage: setup.stage,
                    ..Default::default()
                },
            )
            .await
            .unwrap(),
            social_security: social_security::start(
                any_port(),
                social_security::Config {
                    stage: setup.stage,
                    ..Default::default()
                },
            )
            .await
            .unwrap(),
        };
        departments.extend([
            Department::public_security(&others.public_security),
            Department::tax(&others.tax),
            Department::social_security(&others.social_security),
        ]);
        Some(others)
    } else {
        None
    };
    let dir = tempfile::tempdir().unwrap();
    let database = fresh_database(db, dir.path()).await;
    let themes = if setup.departments { OPEN_BUSINESS } else { "" };
    let mut config = platform_config_with(dir.path(), &database, &departments, themes);
    if let Some(horizon) = setup.retry_horizon {
        config.delivery.retry_horizon = horizon;
    }
    if let Some(limits) = setup.server {
        config.server = limits;
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let identity = if setup.applicants {
        let url = format!("http://{}", listener.local_addr().unwrap());
        let identity = IdentityPlatform::start(&url).await;
        config.public_url = Some(url.clone());
        config.applicant_sign_in = Some(identity.sign_in(&url));
        Some(identity)
    } else {
        None
    };
    let running = Running::start_on(listener, config.clone(), setup.deliver, setup.clock).await;
    let client = reqwest::Client::new();
    let document = client
        .get(format!("{}{}", running.url, onewindow::http::OPENAPI_PATH))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .expect("the OpenAPI document is JSON");
    Server {
        running,
        client,
        contract: Contract::new(document),
        mock,
        others,
        config,
        identity,
        _dir: dir,
    }
}

impl Server {
    pub(crate) fn url(&self) -> &str {
        &self.running.url
    }

    pub(crate) fn platform(&self) -> &onewindow::platform::Platform {
        &self.running.platform
    }

    /// Stops the platform (HTTP and workers) and starts it again on the same
    /// database, as after a crash or a redeploy.
    pub(crate) async fn restart(&mut self, deliver: bool) {
        self.running.stop().await;
        let clock = self.running.platform.clock.clone();
        self.running = Running::start(self.config.clone(), deliver, clock).await;
    }

    /// A JSON request; the answer is checked against the OpenAPI document.
    pub(crate) async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let body = body.map(|b| ("application/json", serde_json::to_vec(&b).unwrap()));
        self.send(method, path, token, body).await
    }

    /// A request with a body of `(content type, bytes)`; the answer is checked
    /// against the OpenAPI document.
    pub(crate) async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<(&str, Vec<u8>)>,
    ) -> (StatusCode, Value) {
        self.send_to(self.url(), method, path, token, body).await
    }

    /// [`Server::send`] to the replica serving at `base`.
    async fn send_to(
        &self,
        base: &str,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<(&str, Vec<u8>)>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .client
            .request(method.parse().unwrap(), format!("{base}{path}"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some((content_type, bytes)) = body {
            request = request.header("content-type", content_type).body(bytes);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if let Err(contradiction) = self.contract.check(method, path, status.as_u16(), &body) {
            panic!("the answer contradicts /api/v1/openapi.json: {contradiction}");
        }
        (status, body)
    }

    /// Pushes a legacy notification to the adapter's hook, signed as the department would.
    pub(crate) async fn push(
        &self,
        adapter: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        let headers = onewindow_tests::signed_push(adapter, &body);
        self.push_with(adapter, content_type, body, &headers).await
    }

    /// Pushes `body` to the adapter's hook with exactly `headers`; the answer
    /// is checked against the OpenAPI document.
    pub(crate) async fn push_with(
        &self,
        adapter: &str,
        content_type: &str,
        body: Vec<u8>,
        headers: &[(&str, String)],
    ) -> (StatusCode, Value) {
        let path = format!("/hooks/{adapter}");
        let mut request = self
            .client
            .post(format!("{}{path}", self.url()))
            .header("content-type", content_type)
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if let Err(contradiction) = self.contract.check("POST", &path, status.as_u16(), &body) {
            panic!("the answer contradicts /api/v1/openapi.json: {contradiction}");
        }
        (status, body)
    }

    /// Waits until the case has reached `status` (its timeline has that step).
    pub(crate) async fn wait_for_status(&self, case_no: &str, status: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let (_, case) = self
                .call(
                    "GET",
                    &format!("/api/v1/cases/{case_no}"),
                    Some(CLERK),
                    None,
                )
                .await;
            // The case may already have moved on: its timeline says it got there.
            let reached = case["timeline"]
                .as_array()
                .is_some_and(|steps| steps.iter().any(|step| step["status"] == status));
            if reached {
                return case;
            }
            assert!(
                Instant::now() < deadline,
                "case never reached {status}: {case:#}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A one-time code for the 评价器 of `case_no`, asked for by the clerk.
    pub(crate) async fn rating_code(&self, case_no: &str) -> String {
        let (status, code) = self
            .call(
                "POST",
                &format!("/api/v1/cases/{case_no}/rating-code"),
                Some(CLERK),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{code:#}");
        code["code"].as_str().unwrap().to_owned()
    }

    async fn row_counts(&self) -> Vec<i64> {
        let mut counts = Vec::new();
        for table in [
            "cases",
            "timeline",
            "outbox",
            "audit",
            "evaluations",
            "attachments",
        ] {
            let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(self.platform().store.pool())
                .await
                .unwrap();
            counts.push(n);
        }
        counts
    }
}

/// What was wrong, method, path, token, body, the expected status, and a word
/// the answer must contain.
type BadRequest<'a> = (
    &'a str,
    &'a str,
    &'a str,
    Option<&'a str>,
    Option<Value>,
    StatusCode,
    &'a str,
);

/// The statuses on a case's timeline, in order.
pub(crate) fn statuses(case: &Value) -> Vec<&str> {
    case["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| step["status"].as_str().unwrap())
        .collect()
}

pub(crate) fn application() -> Value {
    json!({
        "matter_code": "330122-SCJG-XK-001",
        "applicant": {"type": "person", "id_number": "11010519491231002X", "name": "陈晓东"},
        "form": onewindow_tests::company_form("桐庐晓东茶业有限公司", "陈晓东"),
        "attachments": (["001", "002", "003", "004", "005"].iter().map(|code| json!({
            "material_code": code, "file_name": format!("{code}.pdf"),
            "media_type": "application/pdf", "content_base64": "JVBERi0xLjQK"
        })).collect::<Vec<_>>()),
    })
}

async fn a_case_goes_from_the_window_to_a_license_and_an_evaluation(db: Db) {
    let s = server(db).await;
    let (status, matters) = s
        .call("GET", "/api/v1/matters?q=企业设立", Some(CLERK), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(matters["items"][0]["name"], "企业设立登记");

    let (status, case) = s
        .call("POST", "/api/v1/cases", Some(CLERK), Some(application()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case:#}");
    let case_no = case["case_no"].as_str().unwrap().to_owned();
    assert_eq!(case["status"], "accepted");
    assert!(case["promised_by"].as_str().is_some());

    let completed = s.wait_for_status(&case_no, "completed").await;
    assert_eq!(
        statuses(&completed),
        [
            "accepted",
            "delivered",
            "in_review",
            "approved",
            "completed"
        ]
    );
    assert!(completed["parts"][0]["department_ref"].as_str().is_some());
    assert_eq!(s.mock.stats().cases, 1, "delivered exactly once");

    // The issued license is kept and found by holder without asking again.
    let credit_code =
        sqlx::query_scalar::<_, String>("SELECT holder_id FROM licenses WHERE case_no = $1")
            .bind(&case_no)
            .fetch_one(s.platform().store.pool())
            .await
            .expect("the completed case issued a license");
    let (status, found) = s
        .call(
            "GET",
            &format!("/api/v1/licenses?holder={credit_code}&purpose=核验"),
            Some(CLERK),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found["items"][0]["type_name"], "营业执照");
    assert_eq!(found["unavailable"], json!([]));

    // 好差评 is the applicant's: the clerk asks for a one-time code, and the
    // 评价器 rates with it, with no token; the clerk's token cannot rate.
    let evaluation_path = format!("/api/v1/cases/{case_no}/evaluation");
    let (status, refused) = s
        .call(
            "POST",
            &evaluation_path,
            Some(CLERK),
            Some(json!({"rating": 5})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused:#}");
    assert_eq!(refused["field"], "code", "{refused:#}");
    let (status, code) = s
        .call(
            "POST",
            &format!("/api/v1/cases/{case_no}/rating-code"),
            Some(CLERK),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{code:#}");
    let code = code["code"].as_str().unwrap().to_owned();
    let (status, evaluation) = s
        .call(
            "POST",
            &evaluation_path,
            None,
            Some(json!({"rating": 2, "comment": "等候时间长", "code": code})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{evaluation:#}");
    assert_eq!(evaluation["rating_name"], "不满意");
    assert_eq!(evaluation["channel"], "window");
    let (status, _) = s
        .call(
            "POST",
            &evaluation_path,
            None,
            Some(json!({"rating": 5, "code": code})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a code is used once"
    );
    assert!(evaluation["follow_up_by"].as_str().is_some());
    // The 差评 goes to the market's staff: the tax office's see none of it.
    let s = &s;
    let follow_ups = |token| async move {
        let (status, answer) = s.call("GET", "/api/v1/follow-ups", Some(token), None).await;
        assert_eq!(status, StatusCode::OK, "{answer:#}");
        answer["items"].as_array().unwrap().clone()
    };
    assert_eq!(follow_ups(SUPERVISOR).await[0]["case_no"], case_no.as_str());
    assert_eq!(
        follow_ups(MARKET_STAFF).await[0]["department"],
        "县市场监督管理局"
    );
    assert!(follow_ups(TAX_STAFF).await.is_empty());
    let step = |token, step: &'static str, note: Option<&'static str>| {
        let path = format!("/api/v1/follow-ups/{case_no}/{step}");
        async move {
            s.call("POST", &path, Some(token), note.map(|n| json!({"note": n})))
                .await
        }
    };
    let (status, answer) = step(TAX_STAFF, "callback", Some("不是我们的")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer:#}");
    let (status, answer) = step(MARKET_STAFF, "close", None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer:#}");
    assert!(
        answer["message"].as_str().unwrap().contains("回访和整改"),
        "{answer:#}"
    );
    let (status, _) = step(SUPERVISOR, "callback", Some("督查代记")).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a supervisor presses, not answers"
    );
    for (name, note) in [("callback", "已电话回访"), ("rectification", "增设导办员")] {
        let (status, answer) = step(MARKET_STAFF, name, Some(note)).await;
        assert_eq!(status, StatusCode::OK, "{answer:#}");
    }
    let (status, closed) = step(MARKET_STAFF, "close", None).await;
    assert_eq!(status, StatusCode::OK, "{closed:#}");
    assert_eq!(closed["standing"], "done");

    // A complaint at the window about the case goes to its department.
    let (status, complaint) = s
        .call(
            "POST",
            "/api/v1/complaints",
            Some(CLERK),
            Some(json!({
                "kind": "complaint",
                "applicant": {"type": "person", "id_number": "11010519491231002X", "name": "陈晓东"},
                "case_no": case_no,
                "content": "窗口排队时间长",
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{complaint:#}");
    assert_eq!(complaint["department"], "县市场监督管理局");
    let complaint_path = format!("/api/v1/complaints/{}", complaint["id"]);
    let (status, _) = s.call("GET", &complaint_path, Some(TAX_STAFF), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, replied) = s
        .call(
            "POST",
            &format!("{complaint_path}/reply"),
            Some(MARKET_STAFF),
            Some(json!({"reply": "已增加窗口"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{replied:#}");
    assert_eq!(replied["steps"][1]["action"], "答复");

    // The statistics count the case, its rating and the complaint.
    let (status, stats) = s.call("GET", "/api/v1/stats", Some(SUPERVISOR), None).await;
    assert_eq!(status, StatusCode::OK, "{stats:#}");
    assert_eq!(stats["summary"]["ratings"], json!([0, 1, 0, 0, 0]));
    assert_eq!(stats["summary"]["complaints"], 1);
    let (status, _) = s
        .call("GET", "/api/v1/stats", Some(MARKET_STAFF), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let csv = s
        .client
        .get(format!("{}/api/v1/stats/ratings", s.url()))
        .bearer_auth(SUPERVISOR)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(csv.text().await.unwrap().contains("2,不满意,1"));

    let metrics = s
        .client
        .get(format!("{}/metrics", s.url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for expected in [
        "onewindow_adapter_calls_total{adapter=\"market-supervision\",version=\"0.1.0\",function=\"cases.submit\",outcome=\"ok\"}",
        "onewindow_adapter_call_seconds_bucket{adapter=\"market-supervision\",version=\"0.1.0\",function=\"cases.events\"",
        "onewindow_http_requests_total{method=\"POST\",route=\"/api/v1/cases\",status=\"201\"}",
        "onewindow_outbox_depth",
        "onewindow_adapter_breaker_open{adapter=\"market-supervision\",version=\"0.1.0\"} 0",
        "onewindow_adapter_memory_high_water_bytes{adapter=\"market-supervision\",version=\"0.1.0\"}",
        "onewindow_follow_ups_overdue 0",
        "onewindow_complaints_overdue 0",
    ] {
        assert!(
            metrics.contains(expected),
            "/metrics lacks {expected}:\n{metrics}"
        );
    }
    assert!(
        !metrics.contains(&credit_code),
        "no identifiers in metric labels"
    );

    let (status, adapters) = s
        .call("GET", "/api/v1/admin/adapters", Some(OPERATOR), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let adapter = &adapters["items"][0];
    assert_eq!(
        (&adapter["id"], &adapter["breaker"], &adapter["exports"]),
        (
            &json!("market-supervision"),
            &json!("closed"),
            &json!(["matters", "cases", "licenses"])
        )
    );
    // The adapter's calls have used memory; far less than its 64 MiB cap.
    let high_water = adapter["memory_high_water_bytes"].as_u64().unwrap();
    assert!(
        (64 * 1024..64 * 1024 * 1024).contains(&high_water),
        "{high_water}"
    );

    let (status, audit) = s
        .call("GET", "/api/v1/audit/verify", Some(AUDITOR), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(audit["valid"], true, "{audit:#}");
}

/// 县市场监督管理局's push of status changes (BJZTTZ) for one case, in GBK.
pub(crate) fn notification(case: &Value, changes: &[(u32, &str, &str, &str)]) -> Vec<u8> {
    let case_no = case["case_no"].as_str().unwrap();
    let ywlsh = case["parts"][0]["department_ref"].as_str().unwrap();
    let records: String = changes
        .iter()
        .map(|(xh, ztdm, blsj, blyj)| {
            format!(
                "<ZT><XH>{xh}</XH><PTBJBH>{case_no}</PTBJBH><YWLSH>{ywlsh}</YWLSH>\
                 <ZTDM>{ztdm}</ZTDM><BLSJ>{blsj}</BLSJ><BLYJ>{blyj}</BLYJ></ZT>"
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

pub(crate) fn china(at: &str) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339(at).unwrap()
}

/// Spring Festival 2026: Sun 15 – Mon 23 February off, Sat 14 and Sat 28
/// February worked (调休). 企业设立登记 promises 1 working day, the law allows 15.
async fn deadlines_count_working_days_across_spring_festival_and_stop_for_a_supplement(db: Db) {
    let clock = Clock::set_at(china("2026-02-13T10:00:00+08:00"));
    let s = server_with(
        db,
        Setup {
            // The mock's own status changes come far too late to interfere;
            // this test pushes the department's changes itself.
            stage: Duration::from_secs(600),
            clock: clock.clone(),
            ..Setup::default()
        },
    )
    .await;
    let case_of = |case: &Value| {
        (
            case["status"].as_str().unwrap_or_default().to_owned(),
            case["promised_by"].as_str().unwrap_or_default().to_owned(),
            case["legal_by"].as_str().unwrap_or_default().to_owned(),
            case["due"].as_str().unwrap_or_default().to_owned(),
            case["working_days_left"].as_i64(),
        )
    };
    let expect = |status: &str, promised: &str, legal: &str, due: &str, left: i64| {
        (
            status.to_owned(),
            promised.to_owned(),
            legal.to_owned(),
            due.to_owned(),
            Some(left),
        )
    };

    // Accepted on Friday 13 February: the one promised day is the make-up
    // Saturday; the fifteen legal days jump the festival and count Sat 28.
    let (status, case) = s
        .call("POST", "/api/v1/cases", Some(CLERK), Some(application()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case:#}");
    let case_no = case["case_no"].as_str().unwrap().to_owned();
    assert!(case_no.starts_with("20260213-"), "{case_no}");
    assert_eq!(
        case_of(&case),
        expect("accepted", "2026-02-14", "2026-03-12", "due_soon", 1)
    );
    let case = s.wait_for_status(&case_no, "delivered").await;

    // That afternoon the department asks for a supplement (补正).
    clock.set(china("2026-02-13T15:00:00+08:00"));
    let body = notification(
        &case,
        &[
            (1, "02", "2026年02月13日 14时00分00秒", "材料齐全，进入审查"),
            (
                2,
                "03",
                "2026年02月13日 15时00分00秒",
                "请补正：公司章程缺少全体股东签字",
            ),
        ],
    );
    let (status, pushed) = s
        .push("market-supervision", "text/xml; charset=GBK", body)
        .await;
    assert_eq!(status, StatusCode::OK, "{pushed:#}");
    assert_eq!(pushed["applied"], 2);
    let path = format!("/api/v1/cases/{case_no}");
    let (_, case) = s.call("GET", &path, Some(CLERK), None).await;
    assert_eq!(
        case_of(&case),
        expect(
            "supplement_requested",
            "2026-02-14",
            "2026-03-12",
            "due_soon",
            1
        )
    );

    // Still waiting on Wednesday 25 February: the clock has stood still since the
    // 13th, so the make-up Saturday, the 24th and the 25th did not count, and the
    // case is not overdue.
    clock.set(china("2026-02-25T09:30:00+08:00"));
    let (_, case) = s.call("GET", &path, Some(CLERK), None).await;
    assert_eq!(
        case_of(&case),
        expect(
            "supplement_requested",
            "2026-02-26",
            "2026-03-17",
            "due_soon",
            1
        )
    );
    let (_, overdue) = s
        .call("GET", "/api/v1/cases?overdue=true", Some(CLERK), None)
        .await;
    assert_eq!(
        overdue["items"],
        json!([]),
        "a paused case is never overdue"
    );

    // The supplement is handed in and review resumes the same morning.
    clock.set(china("2026-02-25T10:00:00+08:00"));
    let body = notification(
        &case,
        &[(
            3,
            "02",
            "2026年02月25日 10时00分00秒",
            "补正材料已收到，继续审查",
        )],
    );
    let (status, pushed) = s
        .push("market-supervision", "text/xml; charset=GBK", body)
        .await;
    assert_eq!(
        (status, pushed["applied"].clone()),
        (StatusCode::OK, json!(1))
    );
    let (_, case) = s.call("GET", &path, Some(CLERK), None).await;
    assert_eq!(
        case_of(&case),
        expect("in_review", "2026-02-26", "2026-03-17", "due_soon", 1)
    );

    // Monday 2 March: the promised Thursday has passed.
    clock.set(china("2026-03-02T09:00:00+08:00"));
    let (_, case) = s.call("GET", &path, Some(CLERK), None).await;
    assert_eq!(case["due"], "overdue", "{case:#}");
    assert!(case["working_days_left"].as_i64().unwrap() < 0);
    let (_, overdue) = s
        .call("GET", "/api/v1/cases?overdue=true", Some(CLERK), None)
        .await;
    assert_eq!(overdue["items"][0]["case_no"], case_no.as_str());
    let (_, due_soon) = s
        .call("GET", "/api/v1/cases?due_soon=true", Some(CLERK), None)
        .await;
    assert_eq!(due_soon["items"], json!([]));
    assert_eq!(
        statuses(&case),
        [
            "accepted",
            "delivered",
            "in_review",
            "supplement_requested",
            "in_review"
        ]
    );
}

async fn bad_requests_get_a_clear_error_and_change_nothing(db: Db) {
    let s = server(db).await;
    let (_, case) = s
        .call("POST", "/api/v1/cases", Some(CLERK), Some(application()))
        .await;
    let case_no = case["case_no"].as_str().unwrap().to_owned();
    let completed = s.wait_for_status(&case_no, "completed").await;
    assert_eq!(completed["status"], "completed", "{completed:#}");
    let before = s.row_counts().await;

    let mut wrong_digit = application();
    wrong_digit["applicant"]["id_number"] = json!("110105194912310021");
    let mut unknown_matter = application();
    unknown_matter["matter_code"] = json!("330122-NOPE-001");
    let mut missing = application();
    missing["attachments"] = json!([]);
    let mut wrong_form = application();
    wrong_form["form"]["企业类型"] = json!("合伙企业");
    wrong_form["form"]["注册资本"] = json!("");
    let big = json!({"matter_code": "x".repeat(70_000)});
    let status_path = format!("/api/v1/cases/{case_no}/status");
    let evaluation_path = format!("/api/v1/cases/{case_no}/evaluation");
    let cases: Vec<BadRequest> = vec![
        (
            "wrong check digit",
            "POST",
            "/api/v1/cases",
            Some(CLERK),
            Some(wrong_digit),
            StatusCode::UNPROCESSABLE_ENTITY,
            "applicant.id_number",
        ),
        (
            "unknown matter",
            "POST",
            "/api/v1/cases",
            Some(CLERK),
            Some(unknown_matter),
            StatusCode::UNPROCESSABLE_ENTITY,
            "matter_code",
        ),
        (
            "missing materials",
            "POST",
            "/api/v1/cases",
            Some(CLERK),
            Some(missing),
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_materials",
        ),
        (
            "wrong form",
            "POST",
            "/api/v1/cases",
            Some(CLERK),
            Some(wrong_form.clone()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_form",
        ),
        (
            "oversized body",
            "POST",
            "/api/v1/cases",
            Some(CLERK),
            Some(big),
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
        ),
        (
            "illegal transition",
            "POST",
            &status_path,
            Some(CLERK),
            Some(json!({"status": "in_review"})),
            StatusCode::CONFLICT,
            "cannot become in_review",
        ),
        (
            "bad rating",
            "POST",
            &evaluation_path,
            Some(CLERK),
            Some(json!({"rating": 9})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "rating",
        ),
        (
            "no token",
            "GET",
            "/api/v1/cases",
            None,
            None,
            StatusCode::UNAUTHORIZED,
            "Bearer",
        ),
        (
            "wrong role",
            "POST",
            "/api/v1/cases",
            Some(AUDITOR),
            Some(application()),
            StatusCode::FORBIDDEN,
            "clerk role",
        ),
        (
            "unknown case",
            "GET",
            "/api/v1/cases/20990101-000001",
            Some(CLERK),
            None,
            StatusCode::NOT_FOUND,
            "no case",
        ),
    ];
    for (what, method, path, token, body, expected, mentions) in cases {
        let (status, answer) = s.call(method, path, token, body).await;
        assert_eq!(status, expected, "{what}: {answer:#}");
        assert!(answer.to_string().contains(mentions), "{what}: {answer:#}");
        assert!(
            answer["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{what}: {answer:#}"
        );
    }
    // Missing materials are listed all at once.
    let mut missing = application();
    missing["attachments"] = json!([]);
    let (_, answer) = s
        .call("POST", "/api/v1/cases", Some(CLERK), Some(missing))
        .await;
    assert_eq!(
        answer["missing_materials"].as_array().unwrap().len(),
        5,
        "{answer:#}"
    );

    // Every wrong field of the form at once (一表申请), each named and said in Chinese.
    let (_, answer) = s
        .call("POST", "/api/v1/cases", Some(CLERK), Some(wrong_form))
        .await;
    let named: Vec<(&str, &str)> = answer["form_errors"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer:#}"))
        .iter()
        .map(|e| (e["key"].as_str().unwrap(), e["message"].as_str().unwrap()))
        .collect();
    assert_eq!(named.len(), 2, "{answer:#}");
    assert_eq!(named[0].0, "企业类型");
    assert!(named[0].1.contains("应为以下之一"), "{answer:#}");
    assert_eq!(
        named[1],
        ("注册资本", "请填写「注册资本（如：100万元人民币）」")
    );

    // Malformed JSON.
    let response = s
        .client
        .post(format!("{}/api/v1/cases", s.url()))
        .bearer_auth(CLERK)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    // A second evaluation is refused: no code is given for a rated case, and
    // the first code is used up.
    let code = s.rating_code(&case_no).await;
    let (status, _) = s
        .call(
            "POST",
            &evaluation_path,
            None,
            Some(json!({"rating": 5, "code": code})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let after_first = s.row_counts().await;
    let (status, answer) = s
        .call(
            "POST",
            &format!("/api/v1/cases/{case_no}/rating-code"),
            Some(CLERK),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer:#}");
    let (status, answer) = s
        .call(
            "POST",
            &evaluation_path,
            None,
            Some(json!({"rating": 4, "code": code})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer:#}");
    assert_eq!(
        s.row_counts().await,
        after_first,
        "a refused evaluation changes nothing"
    );

    // Nothing but the one good evaluation changed anything.
    let mut expected = before;
    expected[3] += 1; // its audit entry
    expected[4] += 1; // the evaluation
    assert_eq!(after_first, expected);
}

async fn cases_accepted_while_the_legacy_system_is_down_are_delivered_once_it_is_back(db: Db) {
    let s = server(db).await;
    s.mock.set_fault(mock::Fault::Down);
    let mut numbers = Vec::new();
    for n in 0..3 {
        let mut app = application();
        app["form"]["企业名称"] = json!(format!("桐庐测试{n}号有限公司"));
        let (status, case) = s
            .call("POST", "/api/v1/cases", Some(CLERK), Some(app))
            .await;
        assert_eq!(status, StatusCode::CREATED);
        numbers.push(case["case_no"].as_str().unwrap().to_owned());
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    for case_no in &numbers {
        let (_, case) = s
            .call(
                "GET",
                &format!("/api/v1/cases/{case_no}"),
                Some(CLERK),
                None,
            )
            .await;
        assert_eq!(
            case["status"], "accepted",
            "queued while the system is down"
        );
    }
    assert_eq!(s.mock.stats().cases, 0);
    s.mock.set_fault(mock::Fault::None);
    for case_no in &numbers {
        s.wait_for_status(case_no, "delivered").await;
    }
    assert_eq!(s.mock.stats().cases, 3, "each case delivered exactly once");
    assert_eq!(s.mock.stats().duplicates, 0);
}

async fn a_case_accepted_before_a_restart_is_delivered_once_after_it(db: Db) {
    let mut s = server_with(
        db,
        Setup {
            deliver: false,
            ..Setup::default()
        },
    )
    .await;
    let (status, case) = s
        .call("POST", "/api/v1/cases", Some(CLERK), Some(application()))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let case_no = case["case_no"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        s.mock.stats().cases,
        0,
        "nothing is delivered before the restart"
    );

    s.restart(true).await;
    let delivered = s.wait_for_status(&case_no, "delivered").await;
    assert_eq!(delivered["case_no"], case_no.as_str());
    s.wait_for_status(&case_no, "completed").await;
    let stats = s.mock.stats();
    assert_eq!(
        (stats.cases, stats.duplicates),
        (1, 0),
        "delivered exactly once"
    );
}

/// Acceptances at the same moment are written together (group commit); each
/// still gets its own number, rows, outbox entry and place in the audit chain.
async fn concurrent_acceptances_get_consecutive_numbers_and_one_audit_chain(db: Db) {
    let s = server_with(
        db,
        Setup {
            deliver: false,
            ..Setup::default()
        },
    )
    .await;
    let before = s.row_counts().await;
    let accepted = futures::future::join_all((0..100).map(|n| {
        let mut app = application();
        app["form"]["企业名称"] = json!(format!("桐庐并发{n}号有限公司"));
        let s = &s;
        async move {
            s.call("POST", "/api/v1/cases", Some(CLERK), Some(app))
                .await
        }
    }))
    .await;
    let mut numbers: Vec<u32> = accepted
        .iter()
        .map(|(status, case)| {
            assert_eq!(*status, StatusCode::CREATED, "{case:#}");
            let case_no = case["case_no"].as_str().unwrap();
            case_no.rsplit_once('-').unwrap().1.parse().unwrap()
        })
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=100).collect::<Vec<_>>());
    // Each answer is its own case, as stored.
    for (_, case) in accepted.iter().take(5) {
        let path = format!("/api/v1/cases/{}", case["case_no"].as_str().unwrap());
        let (_, stored) = s.call("GET", &path, Some(CLERK), None).await;
        assert_eq!(stored["form"], case["form"]);
        assert_eq!(stored["timeline"], case["timeline"]);
    }
    // The list reads every case's parts and timeline at once; each gets its own.
    let (_, listed) = s.call("GET", "/api/v1/cases", Some(CLERK), None).await;
    let listed = listed["items"].as_array().unwrap();
    assert_eq!(listed.len(), 100);
    for case in listed {
        let path = format!("/api/v1/cases/{}", case["case_no"].as_str().unwrap());
        let (_, stored) = s.call("GET", &path, Some(CLERK), None).await;
        assert_eq!(case["parts"], stored["parts"]);
        assert_eq!(case["timeline"], stored["timeline"]);
        assert_eq!(case["parts"].as_array().unwrap().len(), 1, "{case:#}");
    }
    let after = s.row_counts().await;
    // cases, timeline, outbox and audit gain one row per case; attachments five.
    let gained: Vec<i64> = after.iter().zip(&before).map(|(a, b)| a - b).collect();
    assert_eq!(gained, [100, 100, 100, 100, 0, 500]);
    let (_, audit) = s
        .call("GET", "/api/v1/audit/verify", Some(AUDITOR), None)
        .await;
    assert_eq!(audit["valid"], true, "{audit:#}");
}

/// The market-supervision adapter as `version`, packed by the trusted integrator.
/// Each version's component carries a custom section naming the version, so
/// versions differ in their sha256 as real builds do.
fn package(s: &Server, version: &str) -> package::PackageFiles {
    let mut component = std::fs::read(onewindow_tests::components::MARKET_SUPERVISION).unwrap();
    let (name, data) = (b"build", version.as_bytes());
    let payload = 1 + name.len() + data.len();
    assert!(payload < 128, "one-byte LEB128 lengths");
    component.extend([0, payload as u8, name.len() as u8]);
    component.extend(name);
    component.extend(data);
    let path = s
        ._dir
        .path()
        .join(format!("market_supervision-{version}.wasm"));
    std::fs::write(&path, component).unwrap();
    let manifest: String =
        std::fs::read_to_string(s.config.adapter_dir.join("market-supervision/adapter.toml"))
            .unwrap()
            .replace("version = \"0.1.0\"", &format!("version = \"{version}\""))
            .lines()
            // The folder's package is packed already: its sha256 is the old build's.
            .filter(|line| !line.starts_with("sha256 = "))
            .map(|line| {
                if line.starts_with("component = ") {
                    format!("component = {:?}\n", path.display().to_string())
                } else {
                    format!("{line}\n")
                }
            })
            .collect();
    signed(s, &manifest)
}

/// A package of `manifest` (which names its component) signed by the trusted integrator.
fn signed(s: &Server, manifest: &str) -> package::PackageFiles {
    onewindow_tests::signed_package(s._dir.path(), manifest)
}

async fn operators_install_activate_roll_back_disable_and_delete_adapter_versions(db: Db) {
    let mut s = server(db).await;
    let upload = |files: &package::PackageFiles| Some(("application/gzip", files.to_tar_gz()));
    let admin = "/api/v1/admin/adapters";

    // Refusals: each says why, changes nothing, and is audited.
    let good = package(&s, "0.2.0");
    let mut tampered = good.clone();
    let last = tampered.component.len() - 1;
    tampered.component[last] ^= 1;
    let mut unsigned = good.clone();
    unsigned.signature = None;
    let tampered_manifest = |from: &str, to: &str| {
        let mut files = good.clone();
        let text = String::from_utf8(good.manifest.clone()).unwrap();
        assert!(text.contains(from), "{text}");
        files.manifest = text.replace(from, to).into_bytes();
        files
    };
    let other_contract = tampered_manifest("@0.2.0", "@0.3.0");
    let too_much = tampered_manifest("[config]", "[limits]\nmemory-mib = 100000\n\n[config]");
    let path_id = tampered_manifest("id = \"market-supervision\"", "id = \"../x\"");
    let stranger = tempfile::tempdir().unwrap();
    let (secret, _) = package::new_key_pair("stranger", stranger.path()).unwrap();
    let source = tempfile::tempdir().unwrap();
    std::fs::write(source.path().join("adapter.toml"), &good.manifest).unwrap();
    std::fs::write(source.path().join("adapter.wasm"), &good.component).unwrap();
    let (_, untrusted) =
        package::pack(source.path(), &package::SecretKey::read(&secret).unwrap()).unwrap();
    // What is installed and what serves (not the live call counts).
    let versions = |list: Value| -> Vec<(Value, Value, Value, Value)> {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["id"].clone(),
                    v["version"].clone(),
                    v["state"].clone(),
                    v["sha256"].clone(),
                )
            })
            .collect()
    };
    let ungranted = signed(&s, &fixture_manifest("1.0.0", "无授权"));
    let before = versions(s.call("GET", admin, Some(OPERATOR), None).await.1);
    let audit_before = s.row_counts().await[3];
    for (files, reason) in [
        (&tampered, "changed after packing"),
        (&unsigned, "not signed"),
        (&other_contract, "contract version 0.3.0"),
        (&untrusted, "not in the trust store"),
        (&ungranted, "grants no `grants.outbound` prefix"),
        (&too_much, "`limits.memory-mib` is 100000"),
        (&path_id, "`id` is \"../x\""),
    ] {
        let (status, error) = s.send("POST", admin, Some(OPERATOR), upload(files)).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{reason}: {error:#}"
        );
        let message = error["message"].as_str().unwrap();
        assert!(message.contains(reason), "{reason}: {message}");
    }
    let (status, _) = s.send("POST", admin, Some(CLERK), upload(&good)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        versions(s.call("GET", admin, Some(OPERATOR), None).await.1),
        before
    );
    assert_eq!(
        s.row_counts().await[3],
        audit_before + 7,
        "each refusal is audited"
    );

    // Install two versions; nothing changes until one is activated.
    let (status, installed) = s.send("POST", admin, Some(OPERATOR), upload(&good)).await;
    assert_eq!(status, StatusCode::CREATED, "{installed:#}");
    assert_eq!(
        (&installed["state"], &installed["signer"]),
        (&json!("installed"), &json!(onewindow_tests::INTEGRATOR))
    );
    // The second through the CLI, as an operator would.
    let file = s._dir.path().join("market-supervision-0.3.0.tar.gz");
    std::fs::write(&file, package(&s, "0.3.0").to_tar_gz()).unwrap();
    let refused = onewindow::cli::install(&file, s.url(), CLERK, false, false).await;
    assert!(
        refused.unwrap_err().contains("403"),
        "a clerk cannot install"
    );
    let done = onewindow::cli::install(&file, s.url(), OPERATOR, false, false)
        .await
        .unwrap();
    assert!(
        done.starts_with("installed market-supervision 0.3.0"),
        "{done}"
    );
    let serving = |s: &Server| {
        s.platform()
            .adapter("market-supervision")
            .unwrap()
            .manifest()
            .version
            .to_string()
    };
    assert_eq!(serving(&s), "0.1.0", "the folder's version still serves");

    let activate = |v: &str| format!("{admin}/market-supervision/activate/{v}");
    let (status, active) = s
        .call("POST", &activate("0.2.0"), Some(OPERATOR), None)
        .await;
    assert_eq!(
        (status, &active["state"]),
        (StatusCode::OK, &json!("active"))
    );
    assert_eq!(serving(&s), "0.2.0");

    // A second replica on the same database follows the registry.
    let replica = Running::start(s.config.clone(), true, Clock::System).await;
    serving_soon(&replica.platform, "market-supervision", "0.2.0").await;
    let (status, _) = s
        .call("POST", &activate("0.3.0"), Some(OPERATOR), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(serving(&s), "0.3.0");
    serving_soon(&replica.platform, "market-supervision", "0.3.0").await;
    let (status, _) = s
        .call("POST", &activate("0.3.0"), Some(OPERATOR), None)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "already active");
    let (status, _) = s
        .call("POST", &activate("9.9.9"), Some(OPERATOR), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A case accepted now is delivered by the active version.
    let (_, case) = s
        .call("POST", "/api/v1/cases", Some(CLERK), Some(application()))
        .await;
    let delivered = s
        .wait_for_status(case["case_no"].as_str().unwrap(), "delivered")
        .await;
    assert!(delivered["parts"][0]["department_ref"].as_str().is_some());
    let (_, list) = s.call("GET", admin, Some(OPERATOR), None).await;
    let active: Vec<&Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["state"] == "active")
        .collect();
    assert_eq!(active.len(), 1, "{list:#}");
    assert_eq!(active[0]["version"], "0.3.0");
    assert_ne!(active[0]["sha256"], installed["sha256"], "another build");
    assert!(active[0]["activated_at"].as_str().is_some());
    assert!(
        active[0]["calls"].as_u64().unwrap() >= 1,
        "it delivered the case"
    );
    assert_eq!(active[0]["breaker"], "closed");

    // Rollback goes back to exactly the previous version.
    let rollback = format!("{admin}/market-supervision/rollback");
    let (status, back) = s.call("POST", &rollback, Some(OPERATOR), None).await;
    assert_eq!(
        (status, &back["version"]),
        (StatusCode::OK, &json!("0.2.0"))
    );
    assert_eq!(back["sha256"], installed["sha256"]);
    assert_eq!(serving(&s), "0.2.0");
    serving_soon(&replica.platform, "market-supervision", "0.2.0").await;
    drop(replica);

    // A restart keeps the active version, and compiles nothing again.
    s.restart(true).await;
    assert_eq!(serving(&s), "0.2.0");
    let (hits, _) = s.platform().loader.cache_stats().unwrap();
    assert!(hits >= 1, "loaded from the compile cache");

    // Disable, then delete: the active version cannot be deleted.
    let delete = |v: &str| format!("{admin}/market-supervision/versions/{v}");
    let (status, _) = s
        .call("DELETE", &delete("0.2.0"), Some(OPERATOR), None)
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = s
        .call(
            "POST",
            &format!("{admin}/market-supervision/disable"),
            Some(OPERATOR),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(s.platform().adapter("market-supervision").is_none());
    let (_, list) = s.call("GET", admin, Some(OPERATOR), None).await;
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v["state"] == "disabled"),
        "{list:#}"
    );
    for version in ["0.2.0", "0.3.0"] {
        let (status, _) = s
            .call("DELETE", &delete(version), Some(OPERATOR), None)
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
    let (_, list) = s.call("GET", admin, Some(OPERATOR), None).await;
    assert_eq!(list["items"], json!([]));
    let (_, audit) = s
        .call("GET", "/api/v1/audit/verify", Some(AUDITOR), None)
        .await;
    assert_eq!(audit["valid"], true, "{audit:#}");
}

/// Waits until `platform` serves `version` of adapter `id`.
async fn serving_soon(platform: &onewindow::platform::Platform, id: &str, version: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let now = platform
            .adapter(id)
            .map(|a| a.manifest().version.to_string());
        if now.as_deref() == Some(version) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{id}: serving {now:?}, not {version}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The manifest of the fixture adapter as `version`, answering with `name`.
pub(crate) fn fixture_manifest(version: &str, name: &str) -> String {
    onewindow_tests::fixture_package_manifest(version, &format!("name = \"{name}\""), "")
}

/// The fixture adapter as `version`, answering with `name`, signed. Its
/// component can make HTTP requests, so the package grants a prefix.
pub(crate) fn fixture(s: &Server, version: &str, name: &str) -> package::PackageFiles {
    signed(
        s,
        &(fixture_manifest(version, name) + onewindow_tests::FIXTURE_GRANT),
    )
}

/// [`fixture`], built on contract 0.2.0 instead of 0.1.0.
pub(crate) fn fixture_0_2(s: &Server, version: &str, name: &str) -> package::PackageFiles {
    let manifest = fixture_manifest(version, name)
        .replace(
            onewindow_tests::components::FIXTURE_ADAPTER,
            onewindow_tests::components::FIXTURE_ADAPTER_0_2,
        )
        .replace("onewindow:adapter@0.1.0", "onewindow:adapter@0.2.0");
    signed(s, &(manifest + onewindow_tests::FIXTURE_GRANT))
}

/// An adapter activated through one replica serves its matters on another at
/// once: a replica that has not followed the registry yet looks it up when a
/// case for the adapter's matter arrives, instead of refusing it.
async fn a_replica_takes_cases_for_an_adapter_activated_elsewhere_at_once(db: Db) {
    let s = server(db).await;
    // No workers: this replica never polls the registry on its own.
    let replica = Running::start(s.config.clone(), false, Clock::System).await;
    let admin = "/api/v1/admin/adapters";
    let upload = Some((
        "application/gzip",
        fixture(&s, "1.0.0", "版本一").to_tar_gz(),
    ));
    let (status, body) = s.send("POST", admin, Some(OPERATOR), upload).await;
    assert_eq!(status, StatusCode::CREATED, "{body:#}");
    let (status, body) = s
        .call(
            "POST",
            &format!("{admin}/fixture/activate/1.0.0"),
            Some(OPERATOR),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body:#}");
    assert!(replica.platform.adapter("fixture").is_none());

    let application = json!({
        "matter_code": "FIXTURE-001",
        "applicant": {"type": "person", "id_number": "11010519491231002X", "name": "陈晓东"},
    });
    let body = Some((
        "application/json",
        serde_json::to_vec(&application).unwrap(),
    ));
    let (status, case) = s
        .send_to(&replica.url, "POST", "/api/v1/cases", Some(CLERK), body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case:#}");
    assert!(replica.platform.adapter("fixture").is_some());
}

/// Clients ask for matters, accept cases and look up licenses without pause
/// while the fixture adapter is swapped 20 times between two versions that put
/// their name in every answer, one built on contract 0.1.0 and one on 0.2.0:
/// no request fails, and every answer (and every delivered case) comes from
/// exactly one of the two.
async fn swapping_an_adapter_under_load_fails_no_request(db: Db) {
    use std::sync::atomic::{AtomicBool, Ordering};
    let s = server(db).await;
    let admin = "/api/v1/admin/adapters";
    let names = ["版本一", "版本二"];
    let packages = [
        fixture(&s, "1.0.0", names[0]),
        fixture_0_2(&s, "2.0.0", names[1]),
    ];
    for files in &packages {
        let upload = Some(("application/gzip", files.to_tar_gz()));
        let (status, body) = s.send("POST", admin, Some(OPERATOR), upload).await;
        assert_eq!(status, StatusCode::CREATED, "{body:#}");
    }
    let activate = |v: &str| format!("{admin}/fixture/activate/{v}?allow_downgrade=true");
    let (status, _) = s
        .call("POST", &activate("1.0.0"), Some(OPERATOR), None)
        .await;
    assert_eq!(status, StatusCode::OK);

    let running = AtomicBool::new(true);
    let one_version = |found: &[String]| {
        assert!(
            found.len() == 1 && names.contains(&found[0].as_str()),
            "not exactly one version: {found:?}"
        );
    };
    let matters = async {
        let mut n = 0;
        while running.load(Ordering::Relaxed) {
            let (status, body) = s
                .call("GET", "/api/v1/matters?q=FIXTURE", Some(CLERK), None)
                .await;
            assert_eq!(status, StatusCode::OK, "{body:#}");
            let found: Vec<String> = body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["name"].as_str().unwrap().to_owned())
                .collect();
            one_version(&found);
            n += 1;
        }
        n
    };
    let licenses = async {
        let mut n = 0;
        while running.load(Ordering::Relaxed) {
            let path = "/api/v1/licenses?holder=11010519491231002X";
            let (status, body) = s.call("GET", path, Some(CLERK), None).await;
            assert_eq!(status, StatusCode::OK, "{body:#}");
            assert_eq!(body["unavailable"], json!([]), "every department answered");
            let found: Vec<String> = body["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|l| l["type_code"] == "FIXTURE")
                .map(|l| l["issuer"].as_str().unwrap().to_owned())
                .collect();
            one_version(&found);
            n += 1;
        }
        n
    };
    let cases = async {
        let mut accepted = Vec::new();
        while running.load(Ordering::Relaxed) {
            let application = json!({
                "matter_code": "FIXTURE-001",
                "applicant": {"type": "person", "id_number": "11010519491231002X", "name": "陈晓东"},
            });
            let (status, case) = s
                .call("POST", "/api/v1/cases", Some(CLERK), Some(application))
                .await;
            assert_eq!(status, StatusCode::CREATED, "{case:#}");
            accepted.push(case["case_no"].as_str().unwrap().to_owned());
        }
        accepted
    };
    let swaps = async {
        for i in 0..20 {
            let version = if i % 2 == 0 { "2.0.0" } else { "1.0.0" };
            let (status, body) = s
                .call("POST", &activate(version), Some(OPERATOR), None)
                .await;
            assert_eq!(status, StatusCode::OK, "{body:#}");
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        running.store(false, Ordering::Relaxed);
    };
    let (matter_requests, license_requests, accepted, ()) =
        tokio::join!(matters, licenses, cases, swaps);
    assert!(matter_requests > 0 && license_requests > 0 && !accepted.is_empty());
    for case_no in &accepted {
        let case = s.wait_for_status(case_no, "delivered").await;
        let reference = case["parts"][0]["department_ref"].as_str().unwrap();
        let version = reference.strip_prefix(&format!("{case_no}:")).unwrap();
        assert!(names.contains(&version), "{reference}");
    }
}

/// In development, packages dropped into the watched folder are installed and
/// activated; one still being written is not loaded.
async fn packages_dropped_into_the_watched_folder_are_installed_once_complete(db: Db) {
    let s = server(db).await;
    let folder = tempfile::tempdir().unwrap();
    let _watching = onewindow::watch::spawn(s.platform().clone(), folder.path()).unwrap();

    let archive = fixture(&s, "1.0.0", "版本一").to_tar_gz();
    let file = folder.path().join("fixture-1.0.0.tar.gz");
    std::fs::write(&file, &archive[..archive.len() / 2]).unwrap();
    tokio::time::sleep(onewindow::watch::QUIET * 3).await;
    assert!(
        s.platform().adapter("fixture").is_none(),
        "half a package is not loaded"
    );
    std::fs::write(&file, &archive).unwrap();
    serving_soon(s.platform(), "fixture", "1.0.0").await;

    // Written elsewhere and moved in, as a careful tool would.
    let part = folder.path().join("fixture-2.0.0.tar.gz.part");
    std::fs::write(&part, fixture(&s, "2.0.0", "版本二").to_tar_gz()).unwrap();
    std::fs::rename(&part, folder.path().join("fixture-2.0.0.tar.gz")).unwrap();
    serving_soon(s.platform(), "fixture", "2.0.0").await;
}

/// The applicant of the 开办企业 tests: an enterprise being founded, known to
/// no department yet.
const NEW_ENTERPRISE: &str = "91330122MA2H1234XM";
const NEW_NAME: &str = "桐庐蜂语新创科技有限公司";

fn open_business(form: Value, attachments: Vec<Value>) -> Value {
    json!({
        "theme_code": "open-business",
        "applicant": {"type": "organization", "credit_code": NEW_ENTERPRISE, "name": NEW_NAME},
        "form": form,
        "attachments": attachments,
        "consent": {"reuse_licenses": true, "purpose": "办理开办企业一件事"},
    })
}

fn pdf(material_code: &str) -> Value {
    json!({
        "material_code": material_code,
        "file_name": "材料.pdf",
        "media_type": "application/pdf",
        "content_base64": "JVBERi0xLjQKJcOkw7zDtsOfCg==",
    })
}

/// The codes of a 422's `missing_materials`.
fn missing_codes(answer: &Value) -> Vec<String> {
    answer["missing_materials"]
        .as_array()
        .unwrap_or_else(|| panic!("no missing_materials in {answer:#}"))
        .iter()
        .map(|m| m["code"].as_str().unwrap().to_owned())
        .collect()
}

/// A case as a mock legacy system stored it (`GET /_mock/cases/{case_no}`).
pub(crate) async fn stored_at(addr: std::net::SocketAddr, case_no: &str) -> Value {
    reqwest::get(format!("http://{addr}/_mock/cases/{case_no}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

impl Server {
    fn others(&self) -> &Others {
        self.others
            .as_ref()
            .expect("the setup connects every department")
    }

    /// Waits until the case satisfies `done`.
    async fn wait_until(&self, case_no: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let path = format!("/api/v1/cases/{case_no}");
            let (_, case) = self.call("GET", &path, Some(CLERK), None).await;
            if done(&case) {
                return case;
            }
            assert!(Instant::now() < deadline, "case never got {what}: {case:#}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Applies for 开办企业 with `form`: first without attachments, which lists
    /// everything missing across the three matters at once (一次告知), then with
    /// exactly those attached. Returns the 201 answer.
    async fn apply_for_open_business(&self, form: Value) -> Value {
        let before = self.row_counts().await;
        let (status, answer) = self
            .call(
                "POST",
                "/api/v1/cases",
                Some(CLERK),
                Some(open_business(form.clone(), Vec::new())),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer:#}");
        // Nothing is stored but the audit entry of the license lookup.
        let mut after = self.row_counts().await;
        after[3] -= 1;
        assert_eq!(after, before, "a refused application stores nothing");
        let missing = missing_codes(&answer);
        for matter in [
            "330122-SCJG-XK-001/",
            "330122-GA-BA-003/",
            "330122-SW-FP-001/",
        ] {
            assert!(
                missing.iter().any(|code| code.starts_with(matter)),
                "nothing of {matter} is missing? {missing:?}"
            );
        }
        // The 营业执照 that 企业设立登记 is to issue is asked of nobody.
        for deferred in ["330122-GA-BA-003/001", "330122-SW-FP-001/001"] {
            assert!(!missing.iter().any(|m| m == deferred), "{missing:?}");
        }
        let attachments = missing.iter().map(|code| pdf(code)).collect();
        let (status, case) = self
            .call(
                "POST",
                "/api/v1/cases",
                Some(CLERK),
                Some(open_business(form, attachments)),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{case:#}");
        case
    }
}

fn open_business_form() -> Value {
    json!({
        "企业名称": NEW_NAME,
        "法定代表人": "王建国",
        "注册资本": "200万元人民币",
        "住所": "浙江省杭州市桐庐县横村镇横村大道290号",
        "经营范围": "一般项目：技术服务、技术开发；蜂产品销售",
        "印章名称": NEW_NAME,
        "印章类型": "单位公章",
    })
}

async fn a_joint_case_fans_out_to_three_departments_and_completes_when_every_part_has(db: Db) {
    let s = server_with(
        db,
        Setup {
            departments: true,
            ..Setup::default()
        },
    )
    .await;
    let (status, themes) = s.call("GET", "/api/v1/themes", Some(CLERK), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(themes["items"][0]["name"], "开办企业", "{themes:#}");

    let case = s.apply_for_open_business(open_business_form()).await;
    let case_no = case["case_no"].as_str().unwrap();
    assert_eq!(case["theme_code"], "open-business");
    assert!(case["matter_code"].is_null());
    let parts: Vec<(&str, &str)> = case["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["matter_code"].as_str().unwrap(),
                p["department"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        parts,
        [
            ("330122-SCJG-XK-001", "县市场监督管理局"),
            ("330122-GA-BA-003", "县公安局"),
            ("330122-SW-FP-001", "县税务局"),
        ]
    );
    // 一件事 in order: 公章刻制备案 and 发票申领 wait for 企业设立登记's 营业执照.
    let waiting: Vec<&Value> = case["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["waiting_for"])
        .collect();
    assert_eq!(
        waiting,
        [
            &json!([]),
            &json!(["企业设立登记"]),
            &json!(["企业设立登记"])
        ]
    );
    // The joint promise: 3 working days for the whole bundle.
    let today = s.platform().today();
    let promised = s.platform().calendar.deadline(today, 3, &[], today).date;
    assert_eq!(case["promised_by"], promised.to_string());
    let done = s
        .wait_until(case_no, "completed", |c| c["status"] == "completed")
        .await;
    for part in done["parts"].as_array().unwrap() {
        assert_eq!(part["status"], "completed", "{done:#}");
        assert!(part["department_ref"].is_string(), "{done:#}");
    }
    let steps = done["timeline"].as_array().unwrap();
    for part_no in 1..=3 {
        assert!(
            steps
                .iter()
                .any(|s| s["part_no"] == part_no && s["status"] == "completed"),
            "part {part_no} has no completed step: {done:#}"
        );
    }
    assert_eq!(steps.last().unwrap()["note"], "一件事各部分均已办结");
    // Parts 2 and 3 went out only once part 1 had issued the 营业执照, which
    // stands in for their 营业执照 material.
    let at = |part: i64, status: &str| {
        steps
            .iter()
            .position(|s| s["part_no"] == part && s["status"] == status)
            .unwrap_or_else(|| panic!("part {part} never {status}: {done:#}"))
    };
    let issued = at(1, "approved").min(at(1, "completed"));
    for part in [2, 3] {
        let released = steps
            .iter()
            .position(|s| {
                s["part_no"] == part
                    && s["status"] == "accepted"
                    && s["note"]
                        .as_str()
                        .unwrap()
                        .contains("「企业设立登记」已发证")
            })
            .unwrap_or_else(|| panic!("part {part} never released: {done:#}"));
        assert!(
            issued < released && released < at(part, "delivered"),
            "{done:#}"
        );
        assert_eq!(done["parts"][part as usize - 1]["waiting_for"], json!([]));
    }
    let covered: Vec<&str> = done["covered_by_license"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    for material in ["330122-GA-BA-003/001", "330122-SW-FP-001/001"] {
        assert!(covered.contains(&material), "{done:#}");
    }

    // Each department got its own matter and only its own materials.
    let others = s.others();
    let at_tax = stored_at(others.tax.addr(), case_no).await;
    let license = &at_tax["licenses"][0];
    assert_eq!(license["zzlxmc"], "营业执照", "{at_tax:#}");
    assert_eq!(license["zzbh"], NEW_ENTERPRISE, "{at_tax:#}");
    let at_police = stored_at(others.public_security.addr(), case_no).await;
    assert_eq!(
        at_police["matter_code"], "330122-GA-BA-003",
        "{at_police:#}"
    );
    let materials: Vec<&str> = at_police["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["material"].as_str().unwrap_or_default())
        .collect();
    assert!(
        !materials.is_empty() && materials.iter().all(|m| !m.contains('/')),
        "{at_police:#}"
    );

    // The enterprise now holds the 营业执照 that 县市场监督管理局 issued through
    // the case; at 县税务局 it stands in for its material (免提交), and reaches
    // the tax system in that system's own terms.
    let holder = format!("/api/v1/licenses?holder={NEW_ENTERPRISE}");
    let (_, held) = s.call("GET", &holder, Some(CLERK), None).await;
    // It holds the 发票领用 that 县税务局 issued through the case, too.
    let issuers: Vec<(&str, &str)> = held["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["type_name"].as_str().unwrap(),
                l["issuer"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        issuers.contains(&("营业执照", "县市场监督管理局")),
        "{held:#}"
    );
    assert!(issuers.contains(&("发票领用", "县税务局")), "{held:#}");
    let follow_up = json!({
        "matter_code": "330122-SW-FP-002",
        "applicant": {"type": "organization", "credit_code": NEW_ENTERPRISE, "name": NEW_NAME},
        "form": {"发票种类": "数电发票（增值税普通发票）", "单份发票最高开票限额": "十万元", "每月最高领用数量": "25份"},
        "attachments": [pdf("001"), pdf("003")],
        "consent": {"reuse_licenses": true, "purpose": "发票票种核定"},
    });
    let (status, case) = s
        .call("POST", "/api/v1/cases", Some(CLERK), Some(follow_up))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case:#}");
    assert_eq!(case["covered_by_license"], json!(["002"]), "{case:#}");
    let case_no = case["case_no"].as_str().unwrap();
    s.wait_until(case_no, "delivered", |c| {
        c["parts"][0]["department_ref"].is_string()
    })
    .await;
    let at_tax = stored_at(others.tax.addr(), case_no).await;
    let license = &at_tax["licenses"][0];
    assert_eq!(license["zzlxmc"], "营业执照", "{at_tax:#}");
    assert_eq!(license["zzbh"], NEW_ENTERPRISE, "{at_tax:#}");
    assert_eq!(license["fzjg"], "县市场监督管理局", "{at_tax:#}");
    assert_eq!(license["nsrmc"], NEW_NAME, "{at_tax:#}");
}

/// 一件事 in order at the window: the 营业执照 that 企业设立登记 is to issue is
/// marked as covered, while the clerk types and after a refused submission.
async fn the_window_marks_the_materials_a_license_to_come_stands_in_for(db: Db) {
    let s = server_with(
        db,
        Setup {
            departments: true,
            ..Setup::default()
        },
    )
    .await;
    let cookie = crate::window::sign_in(&s, "窗口一号", CLERK).await;
    // 一表申请: the 法定代表人 that 企业设立登记 and 发票申领 both ask for is asked once.
    let form = crate::window::get(&s, "/accept?theme_code=open-business", Some(&cookie)).await;
    assert_eq!(form.status, StatusCode::OK);
    assert_eq!(
        form.body.matches(r#"name="f:法定代表人""#).count(),
        1,
        "{}",
        form.body
    );
    assert!(
        form.body.contains("2 个事项共用此项，只填一次"),
        "{}",
        form.body
    );
    assert!(form.body.contains(r#"name="f:印章类型""#), "{}", form.body);

    let csrf = crate::window::csrf_token(&s, &cookie).await;
    let fields = [
        ("theme_code", "open-business"),
        ("applicant_type", "organization"),
        ("id_number", NEW_ENTERPRISE),
        ("name", NEW_NAME),
        ("consent", "on"),
        ("purpose", "办理开办企业一件事"),
        ("csrf", &csrf),
        ("f:企业名称", NEW_NAME),
        ("f:法定代表人", "王建国"),
        ("f:注册资本", "200万元人民币"),
        ("f:住所", "浙江省杭州市桐庐县横村镇横村大道290号"),
        ("f:经营范围", "一般项目：技术服务"),
    ];
    let to_come = "「企业设立登记」发放的营业执照（发证后免提交）";
    let checked = crate::window::post_as_is(&s, "/accept/materials", &fields, Some(&cookie)).await;
    assert_eq!(checked.status, StatusCode::OK, "{}", checked.body);
    assert_eq!(checked.body.matches(to_come).count(), 2, "{}", checked.body);

    // Submitted without a file: the rest is missing, these two are not.
    let refused = crate::window::post_multipart(&s, "/accept", &fields, &cookie).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.body;
    assert!(page.contains("还缺"), "{page}");
    assert_eq!(page.matches(to_come).count(), 2, "{page}");
}

async fn a_joint_case_with_one_part_delayed_and_one_refused(db: Db) {
    let s = server_with(
        db,
        Setup {
            departments: true,
            ..Setup::default()
        },
    )
    .await;
    let others = s.others();
    // 县税务局's system is down when the case is accepted.
    others.tax.set_fault(legacy_systems::common::Fault::Down);
    let mut form = open_business_form();
    // Fields qualified by a matter go to that department only: 县公安局 refuses.
    form["330122-GA-BA-003/模拟结果"] = json!("不予办理");
    form["330122-GA-BA-003/不予办理原因"] = json!("印章名称与营业执照登记名称不一致");
    let case = s.apply_for_open_business(form).await;
    let case_no = case["case_no"].as_str().unwrap();

    let part = |case: &Value, n: usize| case["parts"][n - 1]["status"].as_str().unwrap().to_owned();
    let waiting = s
        .wait_until(case_no, "its first two parts final", |c| {
            part(c, 1) == "completed" && part(c, 2) == "completed"
        })
        .await;
    assert_eq!(
        part(&waiting, 3),
        "accepted",
        "the tax part waits: {waiting:#}"
    );
    assert_eq!(
        waiting["status"], "accepted",
        "the case stands where its slowest part stands"
    );
    let refused = &waiting["parts"][1];
    assert!(
        refused["reason"]
            .as_str()
            .unwrap()
            .contains("印章名称与营业执照登记名称不一致"),
        "{waiting:#}"
    );
    let reason = waiting["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("公章刻制备案") && reason.contains("印章名称与营业执照登记名称不一致"),
        "the case says which part was refused and why: {reason}"
    );
    assert!(
        waiting["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["part_no"] == 2 && s["status"] == "denied"),
        "{waiting:#}"
    );
    // Only 县公安局 saw the qualified fields.
    let at_market = stored_at(s.mock.addr(), case_no).await;
    assert!(!at_market.to_string().contains("不予办理"), "{at_market:#}");

    // 县税务局 is back: its part is delivered once, and the case completes.
    others.tax.set_fault(legacy_systems::common::Fault::None);
    let done = s
        .wait_until(case_no, "completed", |c| c["status"] == "completed")
        .await;
    assert_eq!(part(&done, 3), "completed", "{done:#}");
    assert_eq!(others.tax.stats().submissions, 1);
    assert_eq!(others.tax.stats().duplicates, 0);
}

async fn a_license_issued_by_one_department_stands_in_for_a_material_at_another(db: Db) {
    let s = server_with(
        db,
        Setup {
            departments: true,
            ..Setup::default()
        },
    )
    .await;
    let application = |attachments: Vec<Value>| {
        json!({
            "matter_code": "330122-RS-SB-001",
            "applicant": {"type": "person", "id_number": "11010519491231002X", "name": "陈晓东"},
            "form": {"开户银行": "中国农业银行桐庐支行"},
            "attachments": attachments,
            "consent": {"reuse_licenses": true, "purpose": "申领社会保障卡"},
        })
    };
    let (status, answer) = s
        .call(
            "POST",
            "/api/v1/cases",
            Some(CLERK),
            Some(application(Vec::new())),
        )
        .await;
    let attachments = if status == StatusCode::UNPROCESSABLE_ENTITY {
        missing_codes(&answer).iter().map(|c| pdf(c)).collect()
    } else {
        Vec::new()
    };
    let (status, case) = s
        .call(
            "POST",
            "/api/v1/cases",
            Some(CLERK),
            Some(application(attachments)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case:#}");
    assert!(
        !case["covered_by_license"].as_array().unwrap().is_empty(),
        "the 居民身份证 stands in for its material: {case:#}"
    );
    let case_no = case["case_no"].as_str().unwrap();
    s.wait_until(case_no, "delivered", |c| {
        c["parts"][0]["department_ref"].is_string()
    })
    .await;
    // 县公安局's 居民身份证 reached the 金保 system in its own fields.
    let stored = stored_at(s.others().social_security.addr(), case_no).await;
    let licenses = stored["zzxx"].as_array().unwrap();
    assert!(
        licenses.iter().any(|l| l["bae132"] == "居民身份证"
            && l["aae017"] == "桐庐县公安局"
            && l["aac002"] == "11010519491231002X"),
        "{stored:#}"
    );
    // And the completed case's 社会保障卡 is found like any license.
    s.wait_until(case_no, "completed", |c| c["status"] == "completed")
        .await;
    let type_names = async |query: &str| -> Vec<String> {
        let path = format!("/api/v1/licenses?holder=11010519491231002X{query}");
        let (_, found) = s.call("GET", &path, Some(CLERK), None).await;
        found["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["type_name"].as_str().unwrap().to_owned())
            .collect()
    };
    let types = type_names("").await;
    assert!(
        types.iter().any(|t| t == "社会保障卡") && types.iter().any(|t| t == "居民身份证"),
        "{types:?}"
    );
    // One department asked alone answers alone: the 社会保障卡 the platform keeps
    // came from 人社, so asking 公安 does not show it.
    let types = type_names("&department=县公安局").await;
    assert!(types.iter().any(|t| t == "居民身份证"), "{types:?}");
    assert!(!types.iter().any(|t| t == "社会保障卡"), "{types:?}");
    let (status, error) = s
        .call(
            "GET",
            "/api/v1/licenses?holder=11010519491231002X&department=县教育局",
            Some(CLERK),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error:#}");
    assert_eq!(error["field"], "department");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("县教育局") && message.contains("县公安局"),
        "{message}"
    );

    // An organization applies through its 法定代表人, whose 居民身份证 stands in
    // for 法定代表人身份证明 (003) and 股东…身份证明 (004) of 企业设立登记.
    let found = async |representative: Value| {
        let application = json!({
            "matter_code": "330122-SCJG-XK-001",
            "applicant": {"type": "organization", "credit_code": NEW_ENTERPRISE, "name": NEW_NAME},
            "representative": representative,
            "form": onewindow_tests::company_form(NEW_NAME, "王建国"),
            "attachments": [pdf("001"), pdf("002"), pdf("005")],
            "consent": {"reuse_licenses": true, "purpose": "办理企业设立登记"},
        });
        s.call("POST", "/api/v1/cases", Some(CLERK), Some(application))
            .await
    };
    let (status, answer) = found(Value::Null).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer:#}");
    assert_eq!(missing_codes(&answer), ["003", "004"]);
    // (That refusal looked licenses up, which the audit log keeps; these do not.)
    let before = s.row_counts().await;
    for (representative, field) in [
        (
            json!({"type": "organization", "credit_code": NEW_ENTERPRISE, "name": NEW_NAME}),
            "representative.type",
        ),
        (
            json!({"type": "person", "id_number": "110105194912310021", "name": "陈晓东"}),
            "representative.id_number",
        ),
    ] {
        let (status, answer) = found(representative).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer:#}");
        assert_eq!(answer["field"], field);
    }
    assert_eq!(s.row_counts().await, before, "refusals store nothing");
    let (status, founded) =
        found(json!({"type": "person", "id_number": "11010519491231002X", "name": "陈晓东"})).await;
    assert_eq!(status, StatusCode::CREATED, "{founded:#}");
    assert_eq!(founded["covered_by_license"], json!(["003", "004"]));

    // Cases are found by the department that handles them.
    let numbers = async |department: &str| -> Vec<String> {
        let path = format!("/api/v1/cases?department={department}");
        let (_, found) = s.call("GET", &path, Some(CLERK), None).await;
        found["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["case_no"].as_str().unwrap().to_owned())
            .collect()
    };
    let founded = founded["case_no"].as_str().unwrap().to_owned();
    assert_eq!(numbers("县市场监督管理局").await, [founded]);
    assert_eq!(
        numbers("县人力资源和社会保障局").await,
        [case_no.to_owned()]
    );
    assert!(numbers("县公安局").await.is_empty());
}

/// What a path parameter is filled with: something that names nothing, so a
/// caller with the right role gets a 4xx about the thing, never a change.
fn placeholder(name: &str) -> &'static str {
    match name {
        "case_no" => "20000101-999999",
        "version" => "9.9.9",
        "type_code" => "YYZZ",
        "id" => "999999",
        "table" => "summary",
        _ => "no-such-thing",
    }
}

async fn every_endpoint_answers_every_role_as_its_document_says(db: Db) {
    let s = server_with(
        db,
        Setup {
            deliver: false,
            ..Setup::default()
        },
    )
    .await;
    let document: Value = s
        .client
        .get(format!("{}{}", s.url(), onewindow::http::OPENAPI_PATH))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let roles_of = regex::Regex::new(r"Roles: ([a-z, ]+)\.").unwrap();
    let params = regex::Regex::new(r"\{([a-z_]+)\}").unwrap();
    let callers = [
        (None, "nobody"),
        (Some(CLERK), "clerk"),
        (Some(OPERATOR), "operator"),
        (Some(AUDITOR), "auditor"),
        (Some(SUPERVISOR), "supervisor"),
        (Some(MARKET_STAFF), "department"),
    ];
    let (mut checked, mut public) = (0, 0);
    for (template, item) in document["paths"].as_object().unwrap() {
        let path = params
            .replace_all(template, |c: &regex::Captures| placeholder(&c[1]))
            .into_owned();
        for (method, operation) in item.as_object().unwrap() {
            let words = format!(
                "{} {}",
                operation["summary"].as_str().unwrap_or_default(),
                operation["description"].as_str().unwrap_or_default()
            );
            let secured = operation.get("security").is_some();
            let Some(roles) = roles_of.captures(&words) else {
                assert!(
                    !secured,
                    "{method} {template} is secured but names no roles"
                );
                if words.contains("Public: no token needed") {
                    let method = method.to_uppercase();
                    for (token, role) in callers {
                        let body = matches!(method.as_str(), "POST" | "PUT").then(|| json!({}));
                        let (status, answer) = s.call(&method, &path, token, body).await;
                        assert!(
                            !status.is_server_error()
                                && status != StatusCode::UNAUTHORIZED
                                && status != StatusCode::FORBIDDEN,
                            "public {method} {path} as {role}: {status} {answer}"
                        );
                        public += 1;
                    }
                }
                continue;
            };
            let roles: Vec<&str> = roles.get(1).unwrap().as_str().split(", ").collect();
            let method = method.to_uppercase();
            for (token, role) in callers {
                let body = matches!(method.as_str(), "POST" | "PUT").then(|| json!({}));
                let (status, answer) = s.call(&method, &path, token, body).await;
                let who = format!("{method} {path} as {role}");
                assert!(!status.is_server_error(), "{who}: {status} {answer}");
                if token.is_none() {
                    assert_eq!(status, StatusCode::UNAUTHORIZED, "{who}: {answer}");
                } else if roles.contains(&"any") || roles.contains(&role) {
                    assert!(
                        status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
                        "{who} (allowed: {roles:?}): {status} {answer}"
                    );
                } else {
                    assert_eq!(status, StatusCode::FORBIDDEN, "{who}: {answer}");
                }
                checked += 1;
            }
        }
    }
    // 29 secured operations today, and 4 public ones (the catalogue, the
    // 评价器's rating), each called by all six kinds of caller.
    assert!(checked >= 6 * 29, "only {checked} calls checked");
    assert!(public >= 6 * 4, "only {public} public calls checked");
}

async fn the_audit_chain_names_an_edited_a_reordered_and_a_deleted_entry(db: Db) {
    let s = server_with(
        db,
        Setup {
            deliver: false,
            ..Setup::default()
        },
    )
    .await;
    for _ in 0..3 {
        let (status, _) = s
            .call("POST", "/api/v1/cases", Some(CLERK), Some(application()))
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let verify = || async {
        let (status, answer) = s
            .call("GET", "/api/v1/audit/verify", Some(AUDITOR), None)
            .await;
        assert_eq!(status, StatusCode::OK);
        answer
    };
    let intact = verify().await;
    assert_eq!(intact["valid"], true, "{intact:#}");
    assert!(intact["entries"].as_u64().unwrap() >= 4, "{intact:#}");
    let pool = s.platform().store.pool();
    let sql = |statement: &'static str| async move {
        sqlx::query(statement).execute(pool).await.unwrap();
    };
    let broken = || async {
        let answer = verify().await;
        assert_eq!(answer["valid"], false, "{answer:#}");
        answer["first_break"].as_str().unwrap().to_owned()
    };

    // Edited: an entry's actor is changed, then put back.
    let actor: String = sqlx::query_scalar("SELECT actor FROM audit WHERE seq = 2")
        .fetch_one(pool)
        .await
        .unwrap();
    sql("UPDATE audit SET actor = 'forger' WHERE seq = 2").await;
    let message = broken().await;
    assert!(message.starts_with("entry 2 was edited"), "{message}");
    sqlx::query("UPDATE audit SET actor = $1 WHERE seq = 2")
        .bind(&actor)
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(verify().await["valid"], true);

    // Reordered: entries 2 and 3 change places, then go back.
    let swap = || async {
        sql("UPDATE audit SET seq = -3 WHERE seq = 3").await;
        sql("UPDATE audit SET seq = 3 WHERE seq = 2").await;
        sql("UPDATE audit SET seq = 2 WHERE seq = -3").await;
    };
    swap().await;
    let message = broken().await;
    assert!(message.starts_with("entry 2 "), "{message}");
    swap().await;
    assert_eq!(verify().await["valid"], true);

    // Deleted.
    sql("DELETE FROM audit WHERE seq = 3").await;
    let message = broken().await;
    assert!(message.starts_with("entry 3 is missing"), "{message}");
}

async fn two_replicas_on_one_database_deliver_every_case_exactly_once(db: Db) {
    let s = server(db).await;
    // A second replica: its own HTTP port and delivery worker, the same database.
    let replica = Running::start(s.config.clone(), true, Clock::System).await;
    let replicas = [s.url().to_owned(), replica.url.clone()];
    let accepted = futures::future::join_all((0..60).map(|n| {
        let mut app = application();
        app["form"]["企业名称"] = json!(format!("桐庐双活{n}号有限公司"));
        let body = ("application/json", serde_json::to_vec(&app).unwrap());
        let base = replicas[n % 2].clone();
        let s = &s;
        async move {
            s.send_to(&base, "POST", "/api/v1/cases", Some(CLERK), Some(body))
                .await
        }
    }))
    .await;
    let mut numbers: Vec<&str> = accepted
        .iter()
        .map(|(status, case)| {
            assert_eq!(*status, StatusCode::CREATED, "{case:#}");
            case["case_no"].as_str().unwrap()
        })
        .collect();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), 60, "case numbers are unique across replicas");

    // Both workers deliver from one outbox: every case reaches the department
    // once, none twice.
    let pool = s.platform().store.pool();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let waiting: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox")
            .fetch_one(pool)
            .await
            .unwrap();
        if waiting == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{waiting} cases were never delivered"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stats = s.mock.stats();
    assert_eq!(stats.cases, 60, "{stats:?}");
    assert_eq!(stats.duplicates, 0, "a case was submitted twice: {stats:?}");
    let (_, audit) = s
        .call("GET", "/api/v1/audit/verify", Some(AUDITOR), None)
        .await;
    assert_eq!(audit["valid"], true, "one audit chain: {audit:#}");
    drop(replica);
}
