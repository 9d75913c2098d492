//! The domain with in-memory departments ([`FakeAdapter`]): acceptance and its
//! 一次告知, the lifecycle, joint cases, delivery and its retries, and
//! deadlines across a 补正 pause. No component, no mock legacy system; each test
//! runs on SQLite and on the PostgreSQL server `ONEWINDOW_TEST_POSTGRES` names
//! (`make test` starts one and sets it; see tests/postgres.sh).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use indexmap::IndexMap;
use onewindow_platform::adapter::fake::{FakeAdapter, NoPackages};
use onewindow_platform::delivery;
use onewindow_platform::model::{
    Attachment, CaseEvent, CaseStatus, Material, Matter, MatterKind, Party,
};
use onewindow_platform::platform::calendar::Calendar;
use onewindow_platform::platform::cases::{Application, StatusChange};
use onewindow_platform::platform::lifecycle::Status;
use onewindow_platform::platform::{Clock, Platform, PlatformError};
use onewindow_platform::registry::package::TrustStore;
use onewindow_platform::store::Store;
use onewindow_platform::store::testing::{Db, fresh_database};

/// A platform over a fresh database with the given fake departments.
struct World {
    platform: Platform,
    _dir: tempfile::TempDir,
}

/// 2026-12-01, a Tuesday, 10:00 in China.
fn tuesday() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-12-01T10:00:00+08:00").unwrap()
}

const TOKENS: &str = r#"
[[tokens]]
name = "窗口一号"
role = "clerk"
token = "domain-clerk-token-0123456789abcdef"
"#;

const THEME: &str = r#"
[[themes]]
code = "open-shop"
name = "开办小店"
matters = ["SC-001", "SW-001"]
promised-days = 5

[[themes]]
code = "open-shop-in-order"
name = "开办小店（按序）"
matters = ["SC-001", "SW-002"]
promised-days = 5
[themes.after]
"SW-002" = ["SC-001"]
[themes.issues]
"SC-001" = ["营业执照"]
"#;

async fn world(db: Db, departments: &[Arc<FakeAdapter>]) -> World {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database(db, dir.path()).await;
    let toml = format!(
        "data-dir = \"{}\"\ndatabase-url = \"{url}\"\n{TOKENS}{THEME}",
        dir.path().join("data").display()
    );
    let path = dir.path().join("onewindow.toml");
    let mut config =
        onewindow_platform::config::Config::from_toml(&toml, &path, &Default::default()).unwrap();
    // Retries come at once, and give up after a second.
    config.delivery.initial_backoff = Duration::from_millis(1);
    config.delivery.max_backoff = Duration::from_millis(1);
    config.delivery.retry_horizon = Duration::from_secs(1);
    let calendar =
        Calendar::load_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../holidays"))
            .unwrap();
    let store = Store::open(&url).await.unwrap();
    let mut platform = Platform::new(
        store,
        calendar,
        config,
        Arc::new(NoPackages),
        TrustStore::default(),
    );
    platform.clock = Clock::set_at(tuesday());
    for department in departments {
        platform.install(department.clone());
    }
    let report = platform.sync_catalogue().await;
    assert!(report.failed.is_empty(), "{report:?}");
    World {
        platform,
        _dir: dir,
    }
}

/// Runs `test` on SQLite and on PostgreSQL.
macro_rules! on_both {
    ($name:ident, $test:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$test(super::Db::Sqlite).await
            }
            #[tokio::test]
            async fn postgres() {
                super::$test(super::Db::Postgres).await
            }
        }
    };
}

fn matter(code: &str, department: &str, materials: &[(&str, &str)]) -> Matter {
    Matter {
        code: code.into(),
        name: format!("事项{code}"),
        department: department.into(),
        kind: MatterKind::AdministrativeLicense,
        legal_days: 20,
        promised_days: 5,
        visits: 0,
        online: true,
        fee: "不收费".into(),
        conditions: String::new(),
        materials: materials
            .iter()
            .map(|(code, name)| Material {
                code: (*code).into(),
                name: (*name).into(),
                required: true,
                license_type: None,
            })
            .collect(),
        form: Vec::new(),
    }
}

fn market() -> Arc<FakeAdapter> {
    Arc::new(
        FakeAdapter::new("market", "县市场监督管理局").with_matters(vec![
            matter("SC-001", "县市场监督管理局", &[]),
            matter(
                "SC-002",
                "县市场监督管理局",
                &[("M1", "申请书"), ("M2", "章程")],
            ),
        ]),
    )
}

fn tax() -> Arc<FakeAdapter> {
    Arc::new(
        FakeAdapter::new("tax", "县税务局").with_matters(vec![matter("SW-001", "县税务局", &[])]),
    )
}

/// The applicant's 营业执照, in force, issued by the market.
fn business_license() -> onewindow_platform::model::License {
    use onewindow_platform::model::{License, LicenseStatus};
    License {
        type_code: "YYZZ".into(),
        type_name: "营业执照".into(),
        number: "91330122MA2H0XXX0L".into(),
        holder: applicant(),
        issuer: "县市场监督管理局".into(),
        issued_on: "2026-01-05".into(),
        valid_until: None,
        status: LicenseStatus::Valid,
        face: IndexMap::new(),
    }
}

fn applicant() -> Party {
    Party::Organization {
        credit_code: "91330122MA2H0XXX0L".into(),
        name: "桐庐小店有限公司".into(),
    }
}

fn application(matter: Option<&str>, theme: Option<&str>) -> Application {
    Application {
        matter_code: matter.map(str::to_owned),
        theme_code: theme.map(str::to_owned),
        applicant: applicant(),
        representative: None,
        form: IndexMap::new(),
        attachments: Vec::new(),
        consent: None,
    }
}

fn event(case_no: &str, status: CaseStatus) -> CaseEvent {
    CaseEvent {
        case_no: case_no.into(),
        status,
        at: "2026-12-01T11:00:00+08:00".into(),
        note: "部门办理".into(),
        issued: None,
    }
}

/// A clerk accepts an application for SC-001, which needs no materials.
async fn accept_sc001(platform: &Platform) -> onewindow_platform::platform::cases::Case {
    platform
        .accept(application(Some("SC-001"), None), "clerk:窗口一号")
        .await
        .unwrap()
}

/// Delivers what is due until nothing is.
async fn deliver(platform: &Platform) {
    while delivery::deliver_due(platform).await.unwrap() > 0 {}
}

async fn acceptance_lists_every_missing_material_at_once_and_stores_nothing(db: Db) {
    let w = world(db, &[market()]).await;
    let err = w
        .platform
        .accept(application(Some("SC-002"), None), "clerk:窗口一号")
        .await
        .unwrap_err();
    let PlatformError::MissingMaterials(missing) = err else {
        panic!("expected the missing materials, got {err:?}");
    };
    let names: Vec<_> = missing.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["申请书", "章程"]);
    let cases = w.platform.cases(&Default::default()).await.unwrap();
    assert!(cases.is_empty(), "a refused application stores nothing");
}
on_both!(
    acceptance,
    acceptance_lists_every_missing_material_at_once_and_stores_nothing
);

async fn a_case_moves_through_its_lifecycle_and_refuses_illegal_moves(db: Db) {
    let market = market();
    let w = world(db, std::slice::from_ref(&market)).await;
    let p = &w.platform;
    let case = accept_sc001(p).await;
    assert_eq!(case.status, Status::Accepted);
    deliver(p).await;
    assert_eq!(market.submissions().len(), 1);
    let case = p.case(&case.case_no).await.unwrap();
    assert_eq!(case.status, Status::Delivered);
    assert_eq!(
        case.parts[0].department_ref.as_deref(),
        Some(format!("market-{}", case.case_no).as_str())
    );

    // Completed before a decision is not a move the lifecycle knows.
    market.report(event(&case.case_no, CaseStatus::Completed));
    delivery::poll_events(p, market.as_ref()).await.unwrap();
    assert_eq!(
        p.case(&case.case_no).await.unwrap().status,
        Status::Delivered
    );

    for status in [
        CaseStatus::InReview,
        CaseStatus::Approved,
        CaseStatus::Completed,
    ] {
        market.report(event(&case.case_no, status));
    }
    delivery::poll_events(p, market.as_ref()).await.unwrap();
    let case = p.case(&case.case_no).await.unwrap();
    assert_eq!(case.status, Status::Completed);

    // A final case does not move back, whoever asks.
    market.report(event(&case.case_no, CaseStatus::InReview));
    delivery::poll_events(p, market.as_ref()).await.unwrap();
    assert_eq!(
        p.case(&case.case_no).await.unwrap().status,
        Status::Completed
    );
    let err = p
        .change_status(
            &case.case_no,
            &StatusChange {
                status: "withdrawn".into(),
                note: String::new(),
            },
            "clerk:窗口一号",
        )
        .await
        .unwrap_err();
    assert!(matches!(err, PlatformError::Conflict(_)), "{err:?}");
}
on_both!(
    lifecycle,
    a_case_moves_through_its_lifecycle_and_refuses_illegal_moves
);

async fn the_parts_of_a_joint_case_move_on_their_own(db: Db) {
    let (market, tax) = (market(), tax());
    let w = world(db, &[market.clone(), tax.clone()]).await;
    let p = &w.platform;
    let case = p
        .accept(application(None, Some("open-shop")), "clerk:窗口一号")
        .await
        .unwrap();
    assert_eq!(case.parts.len(), 2);
    deliver(p).await;
    assert_eq!(
        (market.submissions().len(), tax.submissions().len()),
        (1, 1)
    );

    for status in [CaseStatus::Approved, CaseStatus::Completed] {
        market.report(event(&case.case_no, status));
    }
    delivery::poll_events(p, market.as_ref()).await.unwrap();
    let case = p.case(&case.case_no).await.unwrap();
    let parts: Vec<_> = case.parts.iter().map(|p| p.status).collect();
    assert_eq!(parts, [Status::Completed, Status::Delivered]);
    assert_eq!(
        case.status,
        Status::Delivered,
        "the case waits for its last part"
    );

    for status in [CaseStatus::Denied, CaseStatus::Completed] {
        tax.report(event(&case.case_no, status));
    }
    delivery::poll_events(p, tax.as_ref()).await.unwrap();
    assert_eq!(
        p.case(&case.case_no).await.unwrap().status,
        Status::Completed
    );
}
on_both!(joint, the_parts_of_a_joint_case_move_on_their_own);

/// A case as a test compares it: without the moments things happened at, and
/// its timeline in part order (a joint case's parts are delivered side by
/// side, in no set order).
fn without_moments(case: &onewindow_platform::platform::cases::Case) -> serde_json::Value {
    let mut value = serde_json::to_value(case).unwrap();
    value["accepted_at"] = serde_json::Value::Null;
    let timeline = value["timeline"].as_array_mut().unwrap();
    for step in timeline.iter_mut() {
        step["at"] = serde_json::Value::Null;
    }
    timeline.sort_by_key(|step| step["part_no"].as_i64());
    value
}

async fn a_group_of_deliveries_is_recorded_as_each_delivery_on_its_own(db: Db) {
    // Three single cases and a joint one (whose two parts move in the same
    // group), delivered in one group, and the same cases delivered one by one.
    let applications = || {
        [
            application(Some("SC-001"), None),
            application(None, Some("open-shop")),
            application(Some("SC-001"), None),
            application(Some("SW-001"), None),
        ]
    };
    let (market, tax) = (market(), tax());
    let together = world(db, &[market.clone(), tax.clone()]).await;
    let mut grouped = Vec::new();
    for application in applications() {
        grouped.push(
            together
                .platform
                .accept(application, "clerk:窗口一号")
                .await
                .unwrap(),
        );
    }
    assert_eq!(
        delivery::deliver_due(&together.platform).await.unwrap(),
        5,
        "every part is delivered in one group"
    );
    let alone = world(db, &[self::market(), self::tax()]).await;
    let mut single = Vec::new();
    for application in applications() {
        single.push(
            alone
                .platform
                .accept(application, "clerk:窗口一号")
                .await
                .unwrap(),
        );
        deliver(&alone.platform).await;
    }
    for (grouped, single) in grouped.iter().zip(&single) {
        assert_eq!(grouped.case_no, single.case_no);
        let (grouped, single) = (
            together.platform.case(&grouped.case_no).await.unwrap(),
            alone.platform.case(&single.case_no).await.unwrap(),
        );
        assert_eq!(grouped.status, Status::Delivered);
        assert!(
            grouped.parts.iter().all(|p| p.department_ref.is_some()),
            "{grouped:?}"
        );
        assert_eq!(without_moments(&grouped), without_moments(&single));
    }
    for w in [&together, &alone] {
        assert_eq!(
            delivery::deliver_due(&w.platform).await.unwrap(),
            0,
            "nothing left to deliver"
        );
        let (log, _) = w.platform.store.audit_log().await.unwrap();
        let moves = log.iter().filter(|e| e.action == "case.status").count();
        assert_eq!(moves, 5, "one audit entry per move");
    }
    assert!(
        together
            .platform
            .store
            .verify_audit()
            .await
            .unwrap()
            .is_ok()
    );
}
on_both!(
    grouped_deliveries,
    a_group_of_deliveries_is_recorded_as_each_delivery_on_its_own
);

async fn delivery_retries_a_department_that_is_down_then_gives_up_at_the_horizon(db: Db) {
    let market = market();
    let w = world(db, std::slice::from_ref(&market)).await;
    let p = &w.platform;
    // Down once: the next attempt delivers.
    let first = accept_sc001(p).await;
    market.fail_next("cases.submit", "unavailable");
    assert_eq!(delivery::deliver_due(p).await.unwrap(), 1);
    assert_eq!(
        p.case(&first.case_no).await.unwrap().status,
        Status::Accepted
    );
    tokio::time::sleep(Duration::from_millis(5)).await;
    deliver(p).await;
    assert_eq!(
        p.case(&first.case_no).await.unwrap().status,
        Status::Delivered
    );
    assert_eq!(
        market.submissions().len(),
        1,
        "the failed attempt left nothing"
    );

    // Down for longer than the horizon: the case shows delivery_failed.
    let second = accept_sc001(p).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        market.fail_next("cases.submit", "unavailable");
        delivery::deliver_due(p).await.unwrap();
        let status = p.case(&second.case_no).await.unwrap().status;
        if status == Status::DeliveryFailed {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "still {status}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A case the department finds invalid is not retried: it is returned at
    // once, with the department's reason.
    let third = accept_sc001(p).await;
    market.fail_next("cases.submit", "invalid");
    assert_eq!(delivery::deliver_due(p).await.unwrap(), 1);
    let third = p.case(&third.case_no).await.unwrap();
    assert_eq!(third.status, Status::Returned);
    assert!(
        third
            .reason
            .as_deref()
            .unwrap_or_default()
            .contains("fail with invalid"),
        "{:?}",
        third.reason
    );
    deliver(p).await;
    assert_eq!(market.submissions().len(), 1, "nothing was retried");
}
on_both!(
    retries,
    delivery_retries_a_department_that_is_down_then_gives_up_at_the_horizon
);

async fn an_event_reported_twice_moves_the_case_once(db: Db) {
    let market = market();
    let w = world(db, std::slice::from_ref(&market)).await;
    let p = &w.platform;
    let case = accept_sc001(p).await;
    deliver(p).await;
    let approved = event(&case.case_no, CaseStatus::Approved);
    delivery::apply_event(p, market.as_ref(), &approved)
        .await
        .unwrap();
    delivery::apply_event(p, market.as_ref(), &approved)
        .await
        .unwrap();
    let case = p.case(&case.case_no).await.unwrap();
    let approvals = case
        .timeline
        .iter()
        .filter(|s| s.status == Status::Approved)
        .count();
    assert_eq!(approvals, 1, "{:?}", case.timeline);
    // Nothing is delivered twice either.
    deliver(p).await;
    assert_eq!(market.submissions().len(), 1);
}
on_both!(idempotent, an_event_reported_twice_moves_the_case_once);

async fn a_supplement_pause_moves_the_deadlines_by_its_working_days(db: Db) {
    let market = market();
    let w = world(db, std::slice::from_ref(&market)).await;
    let p = &w.platform;
    let case = accept_sc001(p).await;
    // Accepted Tuesday 2026-12-01: 5 working days on is Tuesday 12-08.
    assert_eq!(case.promised_by.to_string(), "2026-12-08");
    deliver(p).await;
    market.report(event(&case.case_no, CaseStatus::SupplementRequested));
    delivery::poll_events(p, market.as_ref()).await.unwrap();
    assert_eq!(
        p.case(&case.case_no).await.unwrap().status,
        Status::SupplementRequested
    );
    // The applicant hands the materials in a week later, on Tuesday 12-08,
    // and the department takes the case back into review.
    p.clock
        .set(DateTime::parse_from_rfc3339("2026-12-08T10:00:00+08:00").unwrap());
    p.supplement(&case.case_no, &[file("M1")], "", "clerk:窗口一号")
        .await
        .unwrap();
    market.report(event(&case.case_no, CaseStatus::InReview));
    delivery::poll_events(p, market.as_ref()).await.unwrap();
    let case = p.case(&case.case_no).await.unwrap();
    assert_eq!(case.status, Status::InReview);
    // Five working days of pause (12-01 to 12-08) move both dates by five.
    assert_eq!(case.promised_by.to_string(), "2026-12-15");
}
on_both!(
    pause,
    a_supplement_pause_moves_the_deadlines_by_its_working_days
);

fn file(material: &str) -> Attachment {
    Attachment {
        material_code: material.into(),
        file_name: format!("{material}.pdf"),
        media_type: "application/pdf".into(),
        content_base64: b"%PDF-1.4".to_vec(),
    }
}

/// A delivered SC-001 case that `market` has asked to supplement.
async fn waiting_for_materials(p: &Platform, market: &FakeAdapter) -> String {
    let case = accept_sc001(p).await;
    deliver(p).await;
    market.report(event(&case.case_no, CaseStatus::SupplementRequested));
    delivery::poll_events(p, market).await.unwrap();
    case.case_no
}

async fn supplementary_materials_reach_the_department_which_moves_the_case_on(db: Db) {
    let market = market();
    let w = world(db, std::slice::from_ref(&market)).await;
    let p = &w.platform;
    let case_no = waiting_for_materials(p, &market).await;

    // Nothing to send, or an empty file: refused, nothing reaches anyone.
    for files in [
        vec![],
        vec![Attachment {
            content_base64: Vec::new(),
            ..file("M1")
        }],
    ] {
        let err = p
            .supplement(&case_no, &files, "", "clerk:窗口一号")
            .await
            .unwrap_err();
        assert!(matches!(err, PlatformError::Invalid { .. }), "{err:?}");
    }
    // The department refuses: the clerk reads its reason, nothing is kept.
    market.fail_next("cases.supplement", "refused");
    let err = p
        .supplement(&case_no, &[file("M1")], "", "clerk:窗口一号")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, PlatformError::Conflict(m) if m.contains("县市场监督管理局不同意补正材料")),
        "{err:?}"
    );
    assert!(market.supplements().is_empty());

    let case = p
        .supplement(
            &case_no,
            &[file("M1"), file("M2")],
            "营业执照复印件已补",
            "clerk:窗口一号",
        )
        .await
        .unwrap();
    // The case waits for the department's answer, the timeline says the files went.
    assert_eq!(case.status, Status::SupplementRequested);
    let last = case.timeline.last().unwrap();
    assert!(last.note.contains("M1.pdf、M2.pdf"), "{}", last.note);
    let sent = market.supplements();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].0.as_str(), sent[0].1.len(), sent[0].2.as_str()),
        (case_no.as_str(), 2, "营业执照复印件已补")
    );

    // The clerk cannot put the case back in review past the department.
    let err = p
        .change_status(
            &case_no,
            &StatusChange {
                status: "in_review".into(),
                note: String::new(),
            },
            "clerk:窗口一号",
        )
        .await
        .unwrap_err();
    assert!(matches!(err, PlatformError::Conflict(_)), "{err:?}");

    market.report(event(&case_no, CaseStatus::InReview));
    delivery::poll_events(p, market.as_ref()).await.unwrap();
    assert_eq!(p.case(&case_no).await.unwrap().status, Status::InReview);
    // Not waiting any more: a second supplement is refused here.
    let err = p
        .supplement(&case_no, &[file("M1")], "", "clerk:窗口一号")
        .await
        .unwrap_err();
    assert!(matches!(err, PlatformError::Conflict(_)), "{err:?}");
    assert_eq!(market.supplements().len(), 1);
}
on_both!(
    supplement,
    supplementary_materials_reach_the_department_which_moves_the_case_on
);

async fn a_department_on_contract_0_1_gets_supplements_at_the_window_as_before(db: Db) {
    let market = Arc::new(Arc::into_inner(market()).unwrap().on_contract_0_1());
    let w = world(db, std::slice::from_ref(&market)).await;
    let p = &w.platform;
    let case_no = waiting_for_materials(p, &market).await;
    let case = p
        .supplement(&case_no, &[file("M1")], "", "clerk:窗口一号")
        .await
        .unwrap();
    assert_eq!(case.status, Status::InReview);
    assert!(case.timeline.last().unwrap().note.contains("线下转交"));
}
on_both!(
    supplement_0_1,
    a_department_on_contract_0_1_gets_supplements_at_the_window_as_before
);

async fn a_withdrawal_reaches_the_department_and_a_refusal_keeps_the_case(db: Db) {
    let market = market();
    let w = world(db, std::slice::from_ref(&market)).await;
    let p = &w.platform;
    let withdraw = |case_no: String| async move {
        p.change_status(
            &case_no,
            &StatusChange {
                status: "withdrawn".into(),
                note: "申请人不再办理".into(),
            },
            "clerk:窗口一号",
        )
        .await
    };

    // Not delivered yet: withdrawn here, nothing is asked of the department.
    let early = accept_sc001(p).await;
    assert_eq!(
        withdraw(early.case_no.clone()).await.unwrap().status,
        Status::Withdrawn
    );
    deliver(p).await;
    assert!(
        market
            .submissions()
            .iter()
            .all(|s| s.case_no != early.case_no)
    );
    assert!(market.withdrawals().is_empty());

    // Delivered: the department refuses (it has decided), the case keeps its status.
    let case = accept_sc001(p).await;
    deliver(p).await;
    market.fail_next("cases.withdraw", "refused");
    let err = withdraw(case.case_no.clone()).await.unwrap_err();
    assert!(
        matches!(&err, PlatformError::Conflict(m) if m.contains("县市场监督管理局不同意撤回申请")),
        "{err:?}"
    );
    assert_eq!(
        p.case(&case.case_no).await.unwrap().status,
        Status::Delivered
    );
    // Down: nothing changes either, and the clerk is told to try again.
    market.fail_next("cases.withdraw", "unavailable");
    let err = withdraw(case.case_no.clone()).await.unwrap_err();
    assert!(matches!(err, PlatformError::Unavailable(_)), "{err:?}");
    assert_eq!(
        p.case(&case.case_no).await.unwrap().status,
        Status::Delivered
    );

    let withdrawn = withdraw(case.case_no.clone()).await.unwrap();
    assert_eq!(withdrawn.status, Status::Withdrawn);
    assert_eq!(
        market.withdrawals(),
        [(case.case_no.clone(), "申请人不再办理".to_owned())]
    );
    assert!(
        withdrawn
            .timeline
            .last()
            .unwrap()
            .note
            .contains("部门已撤回")
    );

    // The department's batch job decided before it acted on the withdrawal:
    // the case stays withdrawn, and says so once, for the clerk to settle.
    for _ in 0..2 {
        market.report(event(&case.case_no, CaseStatus::Approved));
        delivery::poll_events(p, market.as_ref()).await.unwrap();
    }
    let overtaken = p.case(&case.case_no).await.unwrap();
    assert_eq!(overtaken.status, Status::Withdrawn);
    let flagged: Vec<_> = overtaken
        .timeline
        .iter()
        .filter(|s| s.note.starts_with("撤回未在部门生效"))
        .collect();
    assert_eq!(flagged.len(), 1, "{:?}", overtaken.timeline);
    assert!(
        flagged[0]
            .note
            .contains("县市场监督管理局已作出决定（准予）：部门办理"),
        "{}",
        flagged[0].note
    );
}
on_both!(
    withdrawal,
    a_withdrawal_reaches_the_department_and_a_refusal_keeps_the_case
);

async fn a_special_procedure_stops_the_clock(db: Db) {
    let market = market();
    let w = world(db, std::slice::from_ref(&market)).await;
    let p = &w.platform;
    let case = accept_sc001(p).await;
    assert_eq!(case.promised_by.to_string(), "2026-12-08");
    deliver(p).await;
    market.report(event(&case.case_no, CaseStatus::SpecialProcedure));
    delivery::poll_events(p, market.as_ref()).await.unwrap();
    // Two working days in: under half the 5 promised.
    p.clock
        .set(DateTime::parse_from_rfc3339("2026-12-03T10:00:00+08:00").unwrap());
    let early = p.case(&case.case_no).await.unwrap();
    assert_eq!(
        (early.special_procedure_days, early.special_procedure_long),
        (2, false)
    );
    // A hearing (听证) of a week: the deadline moves with it, and a special
    // procedure longer than half the promised time is flagged.
    p.clock
        .set(DateTime::parse_from_rfc3339("2026-12-08T10:00:00+08:00").unwrap());
    let waiting = p.case(&case.case_no).await.unwrap();
    assert_eq!(waiting.status, Status::SpecialProcedure);
    assert_eq!(waiting.promised_by.to_string(), "2026-12-15");
    assert_eq!(
        (
            waiting.special_procedure_days,
            waiting.special_procedure_long
        ),
        (5, true)
    );
    market.report(event(&case.case_no, CaseStatus::Approved));
    delivery::poll_events(p, market.as_ref()).await.unwrap();
    let decided = p.case(&case.case_no).await.unwrap();
    assert_eq!(decided.status, Status::Approved);
    assert_eq!(decided.promised_by.to_string(), "2026-12-15");
    // Over, it stays as long as it was.
    p.clock
        .set(DateTime::parse_from_rfc3339("2026-12-10T10:00:00+08:00").unwrap());
    let later = p.case(&case.case_no).await.unwrap();
    assert_eq!(
        (later.special_procedure_days, later.special_procedure_long),
        (5, true)
    );
}
on_both!(special, a_special_procedure_stops_the_clock);

async fn a_revoked_license_no_longer_covers_an_open_cases_material(db: Db) {
    use onewindow_platform::model::{License, LicenseEvent, LicenseStatus};
    let license = business_license();
    let market = Arc::new(
        Arc::into_inner(market())
            .unwrap()
            .with_licenses(vec![license.clone()]),
    );
    let tax = Arc::new(FakeAdapter::new("tax", "县税务局").with_matters(vec![{
        let mut m = matter("SW-002", "县税务局", &[("YY", "营业执照")]);
        m.materials[0].license_type = Some("营业执照".into());
        m
    }]));
    let w = world(db, &[market.clone(), tax.clone()]).await;
    let p = &w.platform;
    // Consent names the licenses it covers: consent to reuse another type
    // lets no 营业执照 stand in.
    let consenting = |types: Option<Vec<String>>| {
        let mut application = application(Some("SW-002"), None);
        application.consent = Some(onewindow_platform::platform::cases::Consent {
            reuse_licenses: true,
            purpose: "办理发票申领".into(),
            license_types: types,
        });
        application
    };
    let err = p
        .accept(consenting(Some(vec!["居民身份证".into()])), "applicant:陈*")
        .await
        .unwrap_err();
    assert!(matches!(err, PlatformError::MissingMaterials(_)), "{err:?}");
    let case = p
        .accept(consenting(Some(vec!["营业执照".into()])), "applicant:陈*")
        .await
        .unwrap();
    assert_eq!(case.covered_by_license, ["YY"]);
    let case = p.accept(consenting(None), "clerk:窗口一号").await.unwrap();
    assert_eq!(case.covered_by_license, ["YY"]);

    // Another department cannot revoke the market's license.
    let revoked = LicenseEvent {
        license: License {
            status: LicenseStatus::Revoked,
            ..license.clone()
        },
        at: "2026-12-02T09:00:00+08:00".into(),
        note: "因虚假登记吊销".into(),
    };
    tax.report_license(revoked.clone());
    delivery::poll_events(p, tax.as_ref()).await.unwrap();
    assert_eq!(
        p.case(&case.case_no).await.unwrap().covered_by_license,
        ["YY"]
    );

    market.report_license(revoked);
    delivery::poll_events(p, market.as_ref()).await.unwrap();
    let case = p.case(&case.case_no).await.unwrap();
    assert!(
        case.covered_by_license.is_empty(),
        "{:?}",
        case.covered_by_license
    );
    let last = case.timeline.last().unwrap();
    assert!(
        last.note.contains("吊销") && last.note.contains("YY"),
        "{}",
        last.note
    );
    // Reported again, it changes nothing more.
    let steps = case.timeline.len();
    delivery::poll_events(p, market.as_ref()).await.unwrap();
    assert_eq!(p.case(&case.case_no).await.unwrap().timeline.len(), steps);
}
on_both!(
    revoked,
    a_revoked_license_no_longer_covers_an_open_cases_material
);

/// 一件事 in order: SW-002 needs the 营业执照 that SC-001 issues.
async fn a_part_waits_for_the_license_of_the_part_before_it(db: Db) {
    use onewindow_platform::model::{License, LicenseStatus};
    let license = License {
        type_code: "YYZZ".into(),
        type_name: "营业执照".into(),
        number: "91330122MA2H0XXX0L".into(),
        holder: applicant(),
        issuer: "县市场监督管理局".into(),
        issued_on: "2026-12-01".into(),
        valid_until: None,
        status: LicenseStatus::Valid,
        face: IndexMap::new(),
    };
    let market = market();
    let tax = Arc::new(FakeAdapter::new("tax", "县税务局").with_matters(vec![{
        let mut m = matter(
            "SW-002",
            "县税务局",
            &[("YY", "营业执照"), ("SQ", "申请表")],
        );
        m.materials[0].license_type = Some("营业执照".into());
        m
    }]));
    let w = world(db, &[market.clone(), tax.clone()]).await;
    let p = &w.platform;
    let ordered = |consent: bool| {
        let mut a = application(None, Some("open-shop-in-order"));
        a.attachments = vec![file("SW-002/SQ")];
        a.consent = consent.then(|| onewindow_platform::platform::cases::Consent {
            reuse_licenses: true,
            purpose: "办理开办小店一件事".into(),
            license_types: None,
        });
        a
    };

    // Without consent to reuse licenses, the 营业执照 is a material like any other.
    let err = p
        .accept(ordered(false), "clerk:窗口一号")
        .await
        .unwrap_err();
    let PlatformError::MissingMaterials(missing) = err else {
        panic!("expected the missing materials, got {err:?}");
    };
    assert_eq!(
        missing.iter().map(|m| m.code.as_str()).collect::<Vec<_>>(),
        ["SW-002/YY"]
    );

    let case = p.accept(ordered(true), "clerk:窗口一号").await.unwrap();
    assert!(case.covered_by_license.is_empty());
    assert_eq!(case.parts[0].waiting_for, Vec::<String>::new());
    assert_eq!(case.parts[1].waiting_for, ["事项SC-001"]);
    let stored = p.case(&case.case_no).await.unwrap();
    assert_eq!(stored.parts[1].waiting_for, ["事项SC-001"]);
    assert!(
        stored.timeline[0]
            .note
            .contains("事项SW-002待「事项SC-001」发证后推送"),
        "{}",
        stored.timeline[0].note
    );
    deliver(p).await;
    assert_eq!(market.submissions().len(), 1);
    assert!(
        tax.submissions().is_empty(),
        "part 2 is not delivered before part 1's license"
    );

    // Approved without its license yet: part 2 still waits.
    market.report(event(&case.case_no, CaseStatus::Approved));
    delivery::poll_events(p, market.as_ref()).await.unwrap();
    deliver(p).await;
    assert!(tax.submissions().is_empty());
    assert_eq!(
        p.case(&case.case_no).await.unwrap().parts[1].waiting_for,
        ["事项SC-001"]
    );

    market.issue(license.clone());
    market.report(CaseEvent {
        issued: Some(license.clone()),
        ..event(&case.case_no, CaseStatus::Completed)
    });
    delivery::poll_events(p, market.as_ref()).await.unwrap();
    let released = p.case(&case.case_no).await.unwrap();
    assert!(released.parts[1].waiting_for.is_empty(), "{released:?}");
    assert_eq!(released.covered_by_license, ["SW-002/YY"]);
    let step = released.timeline.last().unwrap();
    assert_eq!((step.part_no, step.status), (Some(2), Status::Accepted));
    assert!(
        step.note.contains("已发证") && step.note.contains("SW-002/YY"),
        "{}",
        step.note
    );
    deliver(p).await;
    let [submission] = tax.submissions().try_into().unwrap();
    assert_eq!(submission.matter_code, "SW-002");
    assert_eq!(submission.attachments.len(), 1);
    assert_eq!(submission.licenses.len(), 1);
    assert_eq!(submission.licenses[0].material_code, "YY");
    assert_eq!(submission.licenses[0].license.number, license.number);
    // Delivered once, however often the outbox is looked at.
    deliver(p).await;
    assert_eq!(tax.submissions().len(), 1);

    // Denied: the part waiting for it is returned, with the reason, and never delivered.
    let denied = p.accept(ordered(true), "clerk:窗口一号").await.unwrap();
    deliver(p).await;
    market.report(event(&denied.case_no, CaseStatus::Denied));
    delivery::poll_events(p, market.as_ref()).await.unwrap();
    let denied = p.case(&denied.case_no).await.unwrap();
    assert_eq!(denied.parts[1].status, Status::Returned);
    assert!(denied.parts[1].waiting_for.is_empty());
    let reason = denied.parts[1].reason.as_deref().unwrap_or_default();
    assert!(reason.contains("前序事项「事项SC-001」不予"), "{reason}");
    deliver(p).await;
    assert_eq!(tax.submissions().len(), 1);

    // Withdrawn while waiting: the department that has it withdraws it, the
    // waiting part is never delivered.
    let withdrawn = p.accept(ordered(true), "clerk:窗口一号").await.unwrap();
    deliver(p).await;
    let withdrawn = p
        .withdraw(&withdrawn.case_no, "申请人不再开办", "clerk:窗口一号")
        .await
        .unwrap();
    assert_eq!(withdrawn.status, Status::Withdrawn);
    assert_eq!(market.withdrawals().len(), 1);
    deliver(p).await;
    assert_eq!(tax.submissions().len(), 1);
}
on_both!(in_order, a_part_waits_for_the_license_of_the_part_before_it);

/// A number no license can have (control characters, or absurdly long) is
/// not found at once: no department is asked about garbage, so one that
/// chokes on it cannot turn a wrong number into "try again later".
async fn an_impossible_license_number_is_not_found_without_asking(db: Db) {
    let market = market();
    let w = world(db, std::slice::from_ref(&market)).await;
    let p = &w.platform;
    for number in ["\u{81}\u{11}", "", &"9".repeat(65)] {
        market.fail_next("licenses.verify", "unavailable");
        let err = p.verify_license("YYZZ", number).await.unwrap_err();
        assert!(
            matches!(err, PlatformError::NotFound(_)),
            "{number:?}: {err:?}"
        );
    }
    // A plausible number is still asked about, and a department that does
    // not answer still says so.
    let err = p
        .verify_license("YYZZ", "91330122MA2H0XXX0L")
        .await
        .unwrap_err();
    assert!(matches!(err, PlatformError::Unavailable(_)), "{err:?}");
}
on_both!(
    impossible_license,
    an_impossible_license_number_is_not_found_without_asking
);

/// Moves the platform's clock to 10:00 in China on `day` (`YYYY-MM-DD`).
fn set_day(p: &Platform, day: &str) {
    p.clock
        .set(DateTime::parse_from_rfc3339(&format!("{day}T10:00:00+08:00")).unwrap());
}

/// The department reports `statuses` for `case_no`, and the platform polls them.
async fn department_moves(
    p: &Platform,
    department: &FakeAdapter,
    case_no: &str,
    statuses: &[CaseStatus],
) {
    for status in statuses {
        department.report(event(case_no, *status));
    }
    delivery::poll_events(p, department).await.unwrap();
}

fn rating(rating: i64) -> onewindow_platform::platform::cases::EvaluationRequest {
    onewindow_platform::platform::cases::EvaluationRequest {
        rating,
        comment: "等了很久".into(),
        code: None,
    }
}

/// The departments of the statistics' fixture: 县市场监督管理局 with SC-001 (no
/// materials, no visit) and SC-002 (two materials), 县税务局 with SW-002 (a
/// 营业执照, one visit), whose license the applicant holds.
fn fixture_departments() -> (Arc<FakeAdapter>, Arc<FakeAdapter>) {
    let license = business_license();
    let market = Arc::new(
        Arc::into_inner(market())
            .unwrap()
            .with_licenses(vec![license]),
    );
    let tax = Arc::new(FakeAdapter::new("tax", "县税务局").with_matters(vec![{
        let mut m = matter("SW-002", "县税务局", &[("YY", "营业执照")]);
        m.materials[0].license_type = Some("营业执照".into());
        m.visits = 1;
        m
    }]));
    (market, tax)
}

async fn every_figure_of_the_statistics_is_the_one_worked_out_by_hand(db: Db) {
    use onewindow_platform::platform::cases::{Consent, RatingChannel};
    use onewindow_platform::platform::stats::{Rate, StatsQuery};
    use onewindow_platform::platform::supervision::{ComplaintKind, FollowUpStep, NewComplaint};
    let (market, tax) = fixture_departments();
    let w = world(db, &[market.clone(), tax.clone()]).await;
    let p = &w.platform;
    let done = [
        CaseStatus::InReview,
        CaseStatus::Approved,
        CaseStatus::Completed,
    ];
    const MARKET: &str = "县市场监督管理局";

    // F: accepted at a window on Monday 11-02, completed the next day (1
    // working day), rated 1: its follow-up is due 11-24 and never closed.
    set_day(p, "2026-11-02");
    let f = accept_sc001(p).await.case_no;
    deliver(p).await;
    set_day(p, "2026-11-03");
    department_moves(p, &market, &f, &done).await;
    p.evaluate(&f, &rating(1), RatingChannel::Online)
        .await
        .unwrap();

    // A: at a window on Tuesday 12-01, completed Friday 12-04 (3), rated 5.
    set_day(p, "2026-12-01");
    let a = accept_sc001(p).await.case_no;
    // B: online, SC-002 with both materials, denied Thursday 12-10 (7, past
    // the promised 12-08), rated 1; its follow-up is closed in time.
    let mut b = application(Some("SC-002"), None);
    b.attachments = vec![file("M1"), file("M2")];
    let b = p.accept(b, "applicant:桐**").await.unwrap().case_no;
    deliver(p).await;
    set_day(p, "2026-12-04");
    department_moves(p, &market, &a, &done).await;
    p.evaluate(&a, &rating(5), RatingChannel::Online)
        .await
        .unwrap();
    // C: at a window on 12-02, SW-002 with the 营业执照 covering its one
    // material; one visit; still with the department.
    set_day(p, "2026-12-02");
    let mut c = application(Some("SW-002"), None);
    c.consent = Some(Consent {
        reuse_licenses: true,
        purpose: "办理发票申领".into(),
        license_types: None,
    });
    let c = p.accept(c, "clerk:窗口一号").await.unwrap();
    assert_eq!(c.covered_by_license, ["YY"]);
    // A complaint at the window about SW-002 goes to 县税务局, due in 5
    // working days (12-09), and is replied to on 12-08.
    let complaint = p
        .take_complaint(
            &NewComplaint {
                kind: ComplaintKind::Complaint,
                applicant: applicant(),
                matter_code: Some("SW-002".into()),
                case_no: None,
                department: None,
                content: "窗口说明不清楚".into(),
            },
            RatingChannel::Window,
            "clerk:窗口一号",
        )
        .await
        .unwrap();
    assert_eq!(complaint.department, "县税务局");
    assert_eq!(complaint.due_on.to_string(), "2026-12-09");
    // An enquiry online on 12-03 to the market, never answered: due 12-10.
    set_day(p, "2026-12-03");
    p.take_complaint(
        &NewComplaint {
            kind: ComplaintKind::Enquiry,
            applicant: applicant(),
            matter_code: None,
            case_no: None,
            department: Some(MARKET.into()),
            content: "营业执照能否网上变更？".into(),
        },
        RatingChannel::Online,
        "applicant:桐**",
    )
    .await
    .unwrap();
    set_day(p, "2026-12-08");
    p.reply_complaint(
        complaint.id,
        "县税务局",
        "已向窗口补充说明",
        "department:周洁",
    )
    .await
    .unwrap();

    // D: at another window on Tuesday 12-08; a special procedure from 12-09
    // to 12-11 stops the clock for two days; completed 12-15: 5 working days
    // less 2 is 3, within the promised date moved to 12-17. Rated 4.
    let d = p
        .accept(application(Some("SC-001"), None), "clerk:窗口二号")
        .await
        .unwrap();
    assert_eq!(d.promised_by.to_string(), "2026-12-15");
    let d = d.case_no;
    deliver(p).await;
    set_day(p, "2026-12-09");
    department_moves(p, &market, &d, &[CaseStatus::SpecialProcedure]).await;
    // E: online on 12-09, withdrawn the next day before it went anywhere.
    let e = p
        .accept(application(Some("SC-001"), None), "applicant:桐**")
        .await
        .unwrap()
        .case_no;
    set_day(p, "2026-12-10");
    p.change_status(
        &e,
        &StatusChange {
            status: "withdrawn".into(),
            note: String::new(),
        },
        "clerk:窗口一号",
    )
    .await
    .unwrap();
    department_moves(p, &market, &b, &[CaseStatus::InReview, CaseStatus::Denied]).await;
    p.evaluate(&b, &rating(1), RatingChannel::Online)
        .await
        .unwrap();
    set_day(p, "2026-12-11");
    department_moves(p, &market, &d, &[CaseStatus::InReview]).await;
    p.follow_up_step(
        &b,
        MARKET,
        FollowUpStep::Callback,
        "已电话回访",
        "department:孙立",
    )
    .await
    .unwrap();
    set_day(p, "2026-12-14");
    p.follow_up_step(
        &b,
        MARKET,
        FollowUpStep::Rectification,
        "补充了材料说明",
        "department:孙立",
    )
    .await
    .unwrap();
    p.follow_up_step(&b, MARKET, FollowUpStep::Close, "", "department:孙立")
        .await
        .unwrap();
    set_day(p, "2026-12-15");
    department_moves(
        p,
        &market,
        &d,
        &[CaseStatus::Approved, CaseStatus::Completed],
    )
    .await;
    assert_eq!(
        p.case(&d).await.unwrap().promised_by.to_string(),
        "2026-12-17"
    );
    p.evaluate(&d, &rating(4), RatingChannel::Online)
        .await
        .unwrap();

    set_day(p, "2026-12-16");
    let stats = p.stats(&StatsQuery::default()).await.unwrap();
    let s = &stats.summary;
    assert_eq!(
        (
            s.accepted,
            s.completed,
            s.denied,
            s.withdrawn,
            s.in_progress
        ),
        (6, 3, 1, 1, 1),
        "F, A and D completed, B denied, E withdrawn, C in progress"
    );
    // Decided: F (11-03 ≤ 11-09), A (12-04 ≤ 12-08), D (12-15 ≤ 12-17) on
    // time; B (12-10 > 12-08) late. All four within the legal 20 days.
    assert_eq!(s.on_time_promised, rate(3, 4));
    assert_eq!(s.on_time_legal, rate(4, 4));
    // Working days taken: F 1, A 3, D 3, B 7.
    assert_eq!(s.working_days.average, Some(14.0 / 4.0));
    assert_eq!(s.working_days.p90, Some(7));
    assert_eq!(s.working_days.promised_average, Some(5.0));
    assert_eq!(s.working_days.legal_average, Some(20.0));
    // Online with no visit: B and E. Trips: B and E none, the others one.
    assert_eq!(s.full_online, rate(2, 6));
    assert_eq!(s.zero_trips, rate(2, 6));
    assert_eq!(s.at_most_one_trip, rate(6, 6));
    // Required materials: B's two and C's one, which the license covered.
    assert_eq!(s.materials_covered, rate(1, 3));
    assert_eq!(s.ratings, [2, 0, 0, 1, 1]);
    // B's 差评 closed in time, F's overdue since 11-25.
    assert_eq!(s.bad_rectified_in_time, rate(1, 2));
    assert_eq!(s.follow_ups_overdue, 1);
    assert_eq!(s.complaints, 2);
    assert_eq!(s.complaints_replied_in_time, rate(1, 2));
    assert_eq!(s.complaints_overdue, 1);

    let weeks: Vec<(&str, i64, i64)> = stats
        .weeks
        .iter()
        .map(|w| (w.week.as_str(), w.figures.accepted, w.figures.complaints))
        .collect();
    assert_eq!(
        weeks,
        [("2026-W45", 1, 0), ("2026-W49", 3, 2), ("2026-W50", 2, 0)]
    );
    let departments: Vec<(&str, i64, i64, Rate)> = stats
        .departments
        .iter()
        .map(|d| {
            let f = &d.figures;
            (
                d.department.as_str(),
                f.accepted,
                f.complaints,
                f.on_time_promised,
            )
        })
        .collect();
    assert_eq!(
        departments,
        [
            ("县市场监督管理局", 5, 1, rate(3, 4)),
            ("县税务局", 1, 1, rate(0, 0)),
        ]
    );

    // The filters: a department, the applicant channel, a matter, a period.
    let only = |q: StatsQuery| async move { p.stats(&q).await.unwrap().summary };
    let tax_only = only(StatsQuery {
        department: Some("县税务局".into()),
        ..StatsQuery::default()
    })
    .await;
    assert_eq!((tax_only.accepted, tax_only.complaints), (1, 1));
    assert_eq!(tax_only.materials_covered, rate(1, 1));
    let online = only(StatsQuery {
        window: Some("online".into()),
        ..StatsQuery::default()
    })
    .await;
    assert_eq!((online.accepted, online.complaints), (2, 1));
    assert_eq!(online.full_online, rate(2, 2));
    let window_two = only(StatsQuery {
        window: Some("窗口二号".into()),
        ..StatsQuery::default()
    })
    .await;
    assert_eq!((window_two.accepted, window_two.completed), (1, 1));
    let sc002 = only(StatsQuery {
        matter: Some("SC-002".into()),
        ..StatsQuery::default()
    })
    .await;
    assert_eq!(
        (sc002.accepted, sc002.denied, sc002.ratings),
        (1, 1, [1, 0, 0, 0, 0])
    );
    let december = only(StatsQuery {
        from: Some("2026-12-07".into()),
        to: Some("2026-12-31".into()),
        ..StatsQuery::default()
    })
    .await;
    assert_eq!((december.accepted, december.withdrawn), (2, 1));

    // A wrong filter is refused with what was wrong.
    let err = p
        .stats(&StatsQuery {
            from: Some("12/07/2026".into()),
            ..StatsQuery::default()
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&err, PlatformError::Invalid { field, .. } if field == "from"),
        "{err:?}"
    );

    // Every table has its CSV, with a header row and one row per item.
    let csv = stats.csv("departments").unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .starts_with("县市场监督管理局,5,3,1,1,0,0.7500,1.0000,"),
        "{csv}"
    );
    let ratings = stats.csv("ratings").unwrap();
    assert!(ratings.contains("1,非常不满意,2\n"), "{ratings}");
    assert!(
        stats
            .csv("summary")
            .unwrap()
            .contains("减材料占比,0.3333\n")
    );
    assert_eq!(stats.csv("weeks").unwrap().lines().count(), 4);
    assert!(stats.csv("nothing").is_none());
}
on_both!(
    stats,
    every_figure_of_the_statistics_is_the_one_worked_out_by_hand
);

fn rate(count: i64, of: i64) -> onewindow_platform::platform::stats::Rate {
    onewindow_platform::platform::stats::Rate {
        count,
        of,
        share: (of > 0).then(|| count as f64 / of as f64),
    }
}

async fn a_follow_up_needs_its_callback_and_turns_overdue_on_the_16th_working_day(db: Db) {
    use onewindow_platform::platform::cases::RatingChannel;
    use onewindow_platform::platform::supervision::{FollowUpStep, Standing, Viewer};
    let market = market();
    let w = world(db, std::slice::from_ref(&market)).await;
    let p = &w.platform;
    // Rated 2 on Wednesday 09-23, before 中秋 and 国庆: the 15 working days
    // are 09-24, 09-28 to 09-30, 10-08 to 10-10 (a Saturday worked), 10-12 to
    // 10-16 and 10-19 to 10-21.
    set_day(p, "2026-09-23");
    let case_no = accept_sc001(p).await.case_no;
    deliver(p).await;
    department_moves(
        p,
        &market,
        &case_no,
        &[
            CaseStatus::InReview,
            CaseStatus::Approved,
            CaseStatus::Completed,
        ],
    )
    .await;
    p.evaluate(&case_no, &rating(2), RatingChannel::Online)
        .await
        .unwrap();
    let opened = p.follow_up(&case_no, Viewer::All).await.unwrap().unwrap();
    assert_eq!(opened.department, "县市场监督管理局");
    assert_eq!(opened.due_on.to_string(), "2026-10-21");
    assert_eq!(opened.standing, Standing::Open);

    // Another department neither sees it nor can act on it; the applicant sees it.
    assert!(
        p.follow_ups(Viewer::Department("县税务局"))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        p.follow_up(&case_no, Viewer::Department("县税务局"))
            .await
            .unwrap()
            .is_none()
    );
    let err = p
        .follow_up_step(
            &case_no,
            "县税务局",
            FollowUpStep::Callback,
            "回访",
            "department:周洁",
        )
        .await
        .unwrap_err();
    assert!(matches!(err, PlatformError::NotFound(_)), "{err:?}");
    assert_eq!(
        p.follow_ups(Viewer::Applicant("91330122MA2H0XXX0L"))
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        p.follow_ups(Viewer::Applicant("330122198203150014"))
            .await
            .unwrap()
            .is_empty()
    );

    // Closing needs the 回访 and the 整改; a blank note is refused.
    let market_staff = |step, note: &'static str| {
        p.follow_up_step(&case_no, "县市场监督管理局", step, note, "department:孙立")
    };
    let err = market_staff(FollowUpStep::Close, "").await.unwrap_err();
    assert!(err.to_string().contains("回访和整改"), "{err}");
    let err = market_staff(FollowUpStep::Callback, "  ")
        .await
        .unwrap_err();
    assert!(matches!(err, PlatformError::Invalid { .. }), "{err:?}");
    market_staff(FollowUpStep::Rectification, "窗口增加了导办")
        .await
        .unwrap();
    let err = market_staff(FollowUpStep::Close, "").await.unwrap_err();
    assert!(err.to_string().contains("还没有回访记录"), "{err}");
    let err = market_staff(FollowUpStep::Rectification, "再记一次")
        .await
        .unwrap_err();
    assert!(matches!(err, PlatformError::Conflict(_)), "{err:?}");

    // On its 15th working day it is still in time; on the 16th it is overdue,
    // and the count /metrics reports says so.
    set_day(p, "2026-10-21");
    let last_day = p.follow_up(&case_no, Viewer::All).await.unwrap().unwrap();
    assert_eq!(
        (last_day.standing, last_day.working_days_left),
        (Standing::Open, Some(0))
    );
    assert_eq!(p.overdue().await.unwrap(), (0, 0));
    set_day(p, "2026-10-22");
    let late = p.follow_up(&case_no, Viewer::All).await.unwrap().unwrap();
    assert_eq!(late.standing, Standing::Overdue);
    assert_eq!(p.overdue().await.unwrap(), (1, 0));

    market_staff(FollowUpStep::Callback, "已电话回访，申请人认可")
        .await
        .unwrap();
    let closed = market_staff(FollowUpStep::Close, "").await.unwrap();
    assert_eq!(closed.standing, Standing::DoneLate);
    assert_eq!(closed.callback.unwrap().note, "已电话回访，申请人认可");
    assert_eq!(p.overdue().await.unwrap(), (0, 0));
    let err = market_staff(FollowUpStep::Close, "").await.unwrap_err();
    assert!(matches!(err, PlatformError::Conflict(_)), "{err:?}");

    // Each step is in the audit log, its note masked.
    let audit = p.store.audit_log().await.unwrap().0;
    let actions: Vec<&str> = audit
        .iter()
        .filter(|e| e.subject == case_no && e.action.starts_with("follow_up."))
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "follow_up.rectified",
            "follow_up.called_back",
            "follow_up.closed"
        ]
    );
}
on_both!(
    follow_up,
    a_follow_up_needs_its_callback_and_turns_overdue_on_the_16th_working_day
);

async fn a_complaint_is_routed_replied_to_rated_and_pressed_once_overdue(db: Db) {
    use onewindow_platform::platform::cases::RatingChannel;
    use onewindow_platform::platform::supervision::{
        ComplaintKind, NewComplaint, Standing, Viewer,
    };
    let (market, tax) = fixture_departments();
    let w = world(db, &[market.clone(), tax.clone()]).await;
    let p = &w.platform;
    set_day(p, "2026-12-01");
    let case_no = accept_sc001(p).await.case_no;
    let new = |case_no: Option<String>, department: Option<&str>| NewComplaint {
        kind: ComplaintKind::Complaint,
        applicant: applicant(),
        matter_code: None,
        case_no,
        department: department.map(str::to_owned),
        content: "办理太慢".into(),
    };
    // Routed by the case it concerns; none of these is stored.
    for (bad, field) in [
        (new(None, None), "department"),
        (new(None, Some("县教育局")), "department"),
        (new(Some("20260101-0001".into()), None), "case_no"),
        (
            NewComplaint {
                content: " ".into(),
                ..new(Some(case_no.clone()), None)
            },
            "content",
        ),
    ] {
        let err = p
            .take_complaint(&bad, RatingChannel::Window, "clerk:窗口一号")
            .await
            .unwrap_err();
        assert!(
            matches!(&err, PlatformError::Invalid { field: f, .. } if f == field),
            "{field}: {err:?}"
        );
    }
    assert!(p.complaints(Viewer::All).await.unwrap().is_empty());
    let taken = p
        .take_complaint(
            &new(Some(case_no.clone()), None),
            RatingChannel::Online,
            "applicant:桐**",
        )
        .await
        .unwrap();
    assert_eq!(taken.department, "县市场监督管理局");
    // 5 working days from Tuesday 12-01.
    assert_eq!(taken.due_on.to_string(), "2026-12-08");
    let id = taken.id;

    // Only the market's staff, the supervisor and the applicant see it.
    assert!(
        p.complaints(Viewer::Department("县税务局"))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        p.complaint(id, Viewer::Department("县税务局"))
            .await
            .is_err()
    );
    assert!(
        p.complaint(id, Viewer::Applicant("330122198203150014"))
            .await
            .is_err()
    );
    assert_eq!(
        p.complaints(Viewer::Applicant("91330122MA2H0XXX0L"))
            .await
            .unwrap()
            .len(),
        1
    );
    let err = p
        .reply_complaint(id, "县税务局", "不是我们的", "department:周洁")
        .await
        .unwrap_err();
    assert!(matches!(err, PlatformError::NotFound(_)), "{err:?}");
    // Not rated before a reply, not pressed before it is overdue.
    let err = p
        .rate_complaint_reply(id, "91330122MA2H0XXX0L", 5, "", "applicant:桐**")
        .await
        .unwrap_err();
    assert!(matches!(err, PlatformError::Conflict(_)), "{err:?}");
    let err = p
        .supervise_complaint(id, "请尽快答复", "supervisor:赵敏")
        .await
        .unwrap_err();
    assert!(matches!(err, PlatformError::Conflict(_)), "{err:?}");

    set_day(p, "2026-12-09");
    assert_eq!(
        p.complaint(id, Viewer::All).await.unwrap().standing,
        Standing::Overdue
    );
    assert_eq!(p.overdue().await.unwrap(), (0, 1));
    p.supervise_complaint(id, "请尽快答复", "supervisor:赵敏")
        .await
        .unwrap();
    let replied = p
        .reply_complaint(
            id,
            "县市场监督管理局",
            "已加快办理，今日办结",
            "department:孙立",
        )
        .await
        .unwrap();
    assert_eq!(replied.standing, Standing::DoneLate);
    assert_eq!(p.overdue().await.unwrap(), (0, 0));
    let err = p
        .reply_complaint(id, "县市场监督管理局", "再答一次", "department:孙立")
        .await
        .unwrap_err();
    assert!(matches!(err, PlatformError::Conflict(_)), "{err:?}");
    // Only the applicant rates the reply, once.
    assert!(
        p.rate_complaint_reply(id, "330122198203150014", 5, "", "applicant:王*")
            .await
            .is_err()
    );
    let rated = p
        .rate_complaint_reply(id, "91330122MA2H0XXX0L", 4, "答复及时", "applicant:桐**")
        .await
        .unwrap();
    assert_eq!(rated.rating, Some(4));
    assert!(
        p.rate_complaint_reply(id, "91330122MA2H0XXX0L", 1, "", "applicant:桐**")
            .await
            .is_err()
    );
    let actions: Vec<&str> = rated.steps.iter().map(|s| s.action.as_str()).collect();
    assert_eq!(actions, ["受理", "督办", "答复", "评价"]);
    assert_eq!(rated.supervised, 1);
    let audit = p.store.audit_log().await.unwrap().0;
    let audited: Vec<&str> = audit
        .iter()
        .filter(|e| e.subject == format!("complaint:{id}"))
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(
        audited,
        [
            "complaint.taken",
            "complaint.supervised",
            "complaint.replied",
            "complaint.rated"
        ]
    );
    let taken_detail = audit
        .iter()
        .find(|e| e.action == "complaint.taken")
        .unwrap()
        .detail
        .to_string();
    assert!(!taken_detail.contains("桐庐小店有限公司"), "{taken_detail}");
}
on_both!(
    complaint,
    a_complaint_is_routed_replied_to_rated_and_pressed_once_overdue
);
