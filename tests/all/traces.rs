//! Every exchange traceable: the `onewindow` binary, with an OTLP endpoint set,
//! exports one trace per accepted case — the HTTP request, the delivery that
//! takes up its outbox row, the adapter call and the adapter's request to the
//! legacy system — and the legacy system gets that trace in `traceparent`.
//! Without an endpoint nothing is traced.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use legacy_systems::market_supervision;
use onewindow_tests::otlp::{Receiver, Span};
use onewindow_tests::{
    CLERK, Db, Department, PEOPLE, Serving, free_port, fresh_database, platform_config_with,
};
use serde_json::{Value, json};

use crate::platform::on_both_databases;

/// A platform run by the `onewindow` binary on `db`, connected to the
/// market-supervision mock, with `env` set; its log goes to `serve.log` in `dir`.
struct Platform {
    url: String,
    log: std::path::PathBuf,
    market: market_supervision::Handle,
    _serving: Serving,
}

impl Platform {
    async fn start(db: Db, dir: &Path, env: &[(&str, &str)]) -> Platform {
        let market = market_supervision::start(
            "127.0.0.1:0".parse().unwrap(),
            market_supervision::Config::default(),
        )
        .await
        .unwrap();
        let database = fresh_database(db, dir).await;
        platform_config_with(
            dir,
            &database,
            &[Department::market_supervision(&market)],
            "",
        );
        let port = free_port();
        let log = dir.join("serve.log");
        let mut command = Command::new(onewindow_tests::onewindow_binary());
        command
            .args(["serve", "--config"])
            .arg(dir.join("onewindow.toml"))
            .args(["--listen", &format!("127.0.0.1:{port}")])
            // The delivery's log lines, and the adapter call's.
            .env("RUST_LOG", "info,onewindow_runtime=debug")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("OTEL_")) {
            command.env_remove(name);
        }
        command.envs(env.iter().copied());
        let serving = Serving(command.spawn().unwrap());
        let url = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(120);
        while client.get(format!("{url}/readyz")).send().await.is_err() {
            assert!(
                Instant::now() < deadline,
                "the platform did not start:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Platform {
            url,
            log,
            market,
            _serving: serving,
        }
    }

    /// Accepts a case of 企业设立登记 for `person` at the window; its number.
    async fn accept(&self, (name, id): (&str, &str)) -> String {
        let attachments: Vec<Value> = ["001", "002", "003", "004", "005"]
            .iter()
            .map(|code| json!({"material_code": code, "file_name": "材料.pdf", "media_type": "application/pdf", "content_base64": "JVBERi0xLjQK"}))
            .collect();
        let response = reqwest::Client::new()
            .post(format!("{}/api/v1/cases", self.url))
            .bearer_auth(CLERK)
            .json(&json!({
                "matter_code": "330122-SCJG-XK-001",
                "applicant": {"type": "person", "id_number": id, "name": name},
                "form": onewindow_tests::company_form(&format!("桐庐{name}茶业有限公司"), name),
                "attachments": attachments,
            }))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let case: Value = response.json().await.unwrap();
        assert_eq!(status, 201, "{case}");
        case["case_no"].as_str().unwrap().to_owned()
    }

    /// Waits until case `case_no` has been delivered.
    async fn wait_delivered(&self, case_no: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let case: Value = reqwest::Client::new()
                .get(format!("{}/api/v1/cases/{case_no}", self.url))
                .bearer_auth(CLERK)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if case["status"] != "accepted" {
                assert_eq!(case["status"], "delivered", "{case}");
                return;
            }
            assert!(
                Instant::now() < deadline,
                "case {case_no} was not delivered"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap()
    }
}

/// The spans of one accepted case's trace, as far as the test needs them.
struct CaseTrace {
    trace_id: String,
    request: Span,
    delivery: Span,
    call: Span,
    outbound: Span,
}

/// The trace of `case_no` among `spans`, once all its spans have come.
fn case_trace(spans: &[Span], case_no: &str) -> Option<CaseTrace> {
    let delivery = spans
        .iter()
        .find(|s| s.name == "delivery" && s.attribute("case_no") == Some(case_no))?;
    let in_trace = |name: &str, parent: &str| {
        spans
            .iter()
            .find(|s| {
                s.trace_id == delivery.trace_id && s.name == name && s.parent_span_id == parent
            })
            .cloned()
    };
    let request = spans
        .iter()
        .find(|s| s.trace_id == delivery.trace_id && s.name == "POST /api/v1/cases")?
        .clone();
    let call = in_trace("adapter call", &delivery.span_id)?;
    let outbound = in_trace("outbound request", &call.span_id)?;
    Some(CaseTrace {
        trace_id: delivery.trace_id.clone(),
        request,
        delivery: delivery.clone(),
        call,
        outbound,
    })
}

on_both_databases!(each_accepted_case_is_one_trace_down_to_the_legacy_system);

async fn each_accepted_case_is_one_trace_down_to_the_legacy_system(db: Db) {
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let platform = Platform::start(
        db,
        dir.path(),
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.endpoint),
            // Export every 100 ms instead of every 5 s.
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ],
    )
    .await;
    let mut cases = Vec::new();
    for person in PEOPLE {
        let case_no = platform.accept(*person).await;
        platform.wait_delivered(&case_no).await;
        cases.push(case_no);
    }

    let deadline = Instant::now() + Duration::from_secs(30);
    let traces: Vec<CaseTrace> = loop {
        let spans = receiver.spans();
        let found: Vec<_> = cases.iter().map(|c| case_trace(&spans, c)).collect();
        if found.iter().all(Option::is_some) {
            break found.into_iter().flatten().collect();
        }
        assert!(
            Instant::now() < deadline,
            "not every case's trace came: {:#?}",
            spans
                .iter()
                .map(|s| (&s.trace_id, &s.name, &s.parent_span_id))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let spans = receiver.spans();
    let traceparents = platform.market.traceparents();
    let log = platform.log();

    // One trace per case, each holding its case's acceptance only.
    assert_ne!(traces[0].trace_id, traces[1].trace_id);
    let acceptances: Vec<&Span> = spans
        .iter()
        .filter(|s| s.name == "POST /api/v1/cases")
        .collect();
    assert_eq!(acceptances.len(), 2, "{acceptances:#?}");
    for (trace, case_no) in traces.iter().zip(&cases) {
        let request = &trace.request;
        assert_eq!(request.service, "onewindow");
        assert_eq!(request.parent_span_id, "", "the request starts the trace");
        assert_eq!(request.attribute("route"), Some("/api/v1/cases"));
        assert_eq!(request.attribute("status"), Some("201"));
        assert_eq!(
            trace.delivery.parent_span_id, request.span_id,
            "the delivery continues the acceptance's trace"
        );
        assert_eq!(
            trace.delivery.attribute("adapter"),
            Some("market-supervision")
        );
        assert_eq!(trace.call.attribute("function"), Some("cases.submit"));
        assert_eq!(trace.call.attribute("adapter"), Some("market-supervision"));
        assert_eq!(trace.call.attribute("outcome"), Some("ok"));
        assert_eq!(trace.outbound.attribute("method"), Some("POST"));
        assert_eq!(
            trace.outbound.attribute("url"),
            Some(platform.market.endpoint().as_str())
        );
        assert_eq!(trace.outbound.attribute("status"), Some("200"));
        let deliveries = spans
            .iter()
            .filter(|s| s.trace_id == trace.trace_id && s.name == "delivery")
            .count();
        assert_eq!(deliveries, 1, "case {case_no} was delivered once");

        // The department got the trace, with the outbound request as parent.
        let sent = format!("00-{}-{}-01", trace.trace_id, trace.outbound.span_id);
        assert!(
            traceparents.contains(&sent),
            "the mock did not get {sent}: {traceparents:#?}"
        );
        // And the log lines of the delivery name the trace.
        let named = format!("trace_id={}", trace.trace_id);
        assert!(
            log.lines()
                .any(|l| l.contains(&named) && l.contains("delivery{")),
            "no delivery log line names {named}:\n{log}"
        );
    }

    // No span is lost between a request to the department and its start:
    // every outbound request is inside an adapter call, and every status
    // poll's call inside its poll.
    for span in &spans {
        let orphan = match span.name.as_str() {
            "outbound request" => span.parent_span_id.is_empty(),
            "adapter call" => {
                span.attribute("function") != Some("matters.list") && span.parent_span_id.is_empty()
            }
            _ => false,
        };
        assert!(!orphan, "{span:#?} has no parent");
    }

    // No span says who applied.
    for span in &spans {
        for (key, value) in &span.attributes {
            for (name, id) in PEOPLE {
                assert!(
                    !value.contains(name) && !value.contains(id),
                    "span {} attribute {key} = {value}",
                    span.name
                );
            }
        }
    }
}

/// Without an endpoint there is no OpenTelemetry layer: no `traceparent`
/// reaches the legacy system, and no log line names a trace or an exporter.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_endpoint_nothing_is_traced() {
    let dir = tempfile::tempdir().unwrap();
    // Everything an endpoint would be used with, but the endpoint.
    let platform = Platform::start(
        Db::Sqlite,
        dir.path(),
        &[
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
            ("OTEL_SERVICE_NAME", "onewindow"),
        ],
    )
    .await;
    let case_no = platform.accept(PEOPLE[0]).await;
    platform.wait_delivered(&case_no).await;
    let stats = platform.market.stats();
    assert!(stats.requests > 0, "the department was reached: {stats:?}");
    assert_eq!(platform.market.traceparents(), Vec::<String>::new());
    let log = platform.log();
    assert!(log.contains("case accepted"), "{log}");
    assert!(
        !log.contains("trace_id=") && !log.contains("exporting spans"),
        "{log}"
    );
}
