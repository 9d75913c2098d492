//! The real-estate adapter against the running 县不动产登记中心 batch job: the real
//! component, granted the department's exchange folder and nothing else.

use std::time::{Duration, Instant};

use legacy_systems::real_estate::{self as mock, Fault};
use onewindow::adapter::{Adapter as _, CallError};
use onewindow::model::{
    AdapterError, Attachment, CaseStatus, CaseSubmission, FieldKind, License, LicenseStatus,
    MatterKind, Party, PartyField,
};
use onewindow::runtime::WasmAdapter;
use onewindow_tests::adapter_test::{self, AdapterTest, STAGE, adapter_error};
use onewindow_tests::{Department, TestPackage};

const DEADLINE: Duration = Duration::from_secs(15);

const SELLER_CERTIFICATE: &str = "浙(2019)桐庐县不动产权第0003128号";
const BUYER_ID: &str = "33012219930519002X";

type Setup = AdapterTest<mock::Handle>;

async fn setup_with(config: mock::Config) -> Setup {
    let s = AdapterTest::start(
        |exchange| mock::start(exchange.join("real-estate"), config),
        |_| Department::real_estate(),
    )
    .await;
    // The department's folder and nothing else: no outbound HTTP at all.
    assert!(s.adapter.manifest().grants.outbound.is_empty());
    s
}

async fn setup() -> Setup {
    setup_with(adapter_test::mock_config()).await
}

/// A 转移登记 by 陈珺, reusing her 居民身份证 (issued by the 县公安局, another
/// department) and the seller's 不动产权证书 as the platform found it.
fn transfer(case_no: &str, certificate: &License) -> CaseSubmission {
    serde_json::from_value(serde_json::json!({
        "case_no": case_no,
        "matter_code": "330122-BDC-DJ-001",
        "applicant": {"type": "person", "id_number": BUYER_ID, "name": "陈珺"},
        "accepted_at": "2026-11-27T09:30:00+08:00",
        "form": {"转移原因": "买卖", "面积": "127.7", "成交价格": "2380000", "备注": "一次性付款, 含车位"},
        "attachments": [{
            "material_code": "004",
            "file_name": "不动产买卖合同.pdf",
            "media_type": "application/pdf",
            "content_base64": "JVBERi0xLjQK"
        }],
        "licenses": [
            {
                "material_code": "002",
                "license": {
                    "type_code": "JMSFZ",
                    "type_name": "居民身份证",
                    "number": BUYER_ID,
                    "holder": {"type": "person", "id_number": BUYER_ID, "name": "陈珺"},
                    "issuer": "县公安局",
                    "issued_on": "2018-03-01",
                    "valid_until": "2038-03-01",
                    "status": "valid",
                    "face": {"name": "陈珺"}
                }
            },
            {"material_code": "003", "license": certificate}
        ]
    }))
    .expect("a valid submission")
}

/// A 预告登记 by 陈珺 with `form`, reusing nothing.
pub(crate) fn notice(case_no: &str) -> CaseSubmission {
    serde_json::from_value(serde_json::json!({
        "case_no": case_no,
        "matter_code": "330122-BDC-DJ-005",
        "applicant": {"type": "person", "id_number": BUYER_ID, "name": "陈珺"},
        "accepted_at": "2026-11-27T09:30:00+08:00",
    }))
    .expect("a valid submission")
}

/// A 预告登记 by 陈珺 on the mock's path `模拟结果`.
fn notice_on(case_no: &str, path: &str) -> CaseSubmission {
    let mut case = notice(case_no);
    case.form.insert("模拟结果".into(), path.into());
    case
}

/// The 商品房预售合同 handed in as a supplement.
fn contract(content: &[u8]) -> Attachment {
    Attachment {
        material_code: "003".into(),
        file_name: "商品房预售合同.pdf".into(),
        media_type: "application/pdf".into(),
        content_base64: content.to_vec(),
    }
}

/// Waits until the mock's case `case_no` satisfies `done`, and returns it.
async fn stored_when(
    s: &Setup,
    case_no: &str,
    mut done: impl FnMut(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(case) = s.mock.case(case_no)
            && done(&case)
        {
            return case;
        }
        assert!(Instant::now() < deadline, "the mock never got there");
        tokio::time::sleep(STAGE / 3).await;
    }
}

#[track_caller]
fn refused(err: &CallError) -> &str {
    match adapter_error(err) {
        AdapterError::Refused(reason) => {
            assert!(!err.is_retryable());
            reason
        }
        other => panic!("expected the department's refusal, got {other:?}"),
    }
}

#[track_caller]
fn unavailable(err: &CallError) -> &str {
    match adapter_error(err) {
        AdapterError::Unavailable(message) => {
            assert!(err.is_retryable());
            message
        }
        other => panic!("expected unavailable, got {other:?}"),
    }
}

/// Reads events from `cursor` until `done` says stop, returning the cursor reached.
async fn follow(
    adapter: &WasmAdapter,
    mut cursor: Option<String>,
    mut done: impl FnMut(&onewindow::model::CaseEvent) -> bool,
) -> Option<String> {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let page = adapter.case_events(cursor.as_deref()).await.unwrap();
        let mut finished = false;
        for event in &page.events {
            finished |= done(event);
        }
        cursor = page.next_cursor.or(cursor);
        if finished {
            return cursor;
        }
        assert!(Instant::now() < deadline, "the events never arrived");
        tokio::time::sleep(STAGE / 2).await;
    }
}

#[tokio::test]
async fn the_catalogue_comes_from_the_exchange_folder() {
    let s = setup().await;
    let matters = s.adapter.list_matters().await.unwrap();
    assert!(matters.len() >= 5, "{} matters", matters.len());
    let transfer = matters
        .iter()
        .find(|m| m.code == "330122-BDC-DJ-001")
        .expect("不动产转移登记 is in the catalogue");
    assert_eq!(transfer.name, "不动产转移登记");
    assert_eq!(transfer.department, "县不动产登记中心");
    assert_eq!(transfer.kind, MatterKind::AdministrativeConfirmation);
    assert_eq!((transfer.legal_days, transfer.promised_days), (30, 5));
    let license_types: Vec<_> = transfer
        .materials
        .iter()
        .filter_map(|m| m.license_type.as_deref())
        .collect();
    assert_eq!(license_types, ["居民身份证", "不动产权证书", "营业执照"]);
    let mortgage = matters
        .iter()
        .find(|m| m.code == "330122-BDC-DJ-002")
        .unwrap();
    assert_eq!(mortgage.name, "不动产抵押登记");
    assert!(
        matters
            .iter()
            .all(|m| m.promised_days <= m.legal_days && !m.conditions.is_empty())
    );
}

#[tokio::test]
async fn a_transfer_is_written_once_and_completes_with_a_new_certificate() {
    let s = setup().await;
    let seller = s
        .adapter
        .verify_license("BDCQZ", SELLER_CERTIFICATE)
        .await
        .unwrap()
        .expect("the seller's certificate is in the register");
    assert_eq!(seller.status, LicenseStatus::Valid);
    assert_eq!(seller.holder.name(), "申屠建华");

    let case = transfer("20261127-000042", &seller);
    let reference = s.adapter.submit_case(&case).await.unwrap();
    assert_eq!(reference, "SQ_20261127-000042");
    assert_eq!(s.adapter.submit_case(&case).await.unwrap(), reference);
    let deadline = Instant::now() + DEADLINE;
    while s.mock.stats().files == 0 {
        assert!(
            Instant::now() < deadline,
            "the batch job never read the file"
        );
        tokio::time::sleep(STAGE / 3).await;
    }
    // Read and moved to bak/: submitting again still writes nothing.
    assert_eq!(s.adapter.submit_case(&case).await.unwrap(), reference);

    // The reused licenses reached the department in its own format.
    let stored = s.mock.case("20261127-000042").expect("the case is stored");
    assert_eq!(stored["exchange_reference"], "SQ_20261127-000042");
    let licenses = stored["licenses"].as_array().unwrap();
    assert_eq!(licenses.len(), 2);
    assert_eq!(licenses[0]["material"], "002");
    assert_eq!(licenses[0]["kind"], "1", "证件种类 1 居民身份证");
    assert_eq!(licenses[0]["number"], BUYER_ID);
    assert_eq!(licenses[0]["holder"], "陈珺");
    assert_eq!(licenses[0]["issuer"], "县公安局");
    assert_eq!(licenses[0]["issued_on"], "20180301");
    assert_eq!(licenses[0]["valid_until"], "20380301");
    assert_eq!(licenses[1]["kind"], "10", "证件种类 10 不动产权证书");
    assert_eq!(licenses[1]["number"], SELLER_CERTIFICATE);
    assert_eq!(licenses[1]["holder"], "申屠建华");
    assert_eq!(licenses[1]["valid_until"], "");
    let form = stored["form"].as_array().unwrap();
    assert!(
        form.iter()
            .any(|f| f["name"] == "备注" && f["value"] == "一次性付款, 含车位"),
        "{form:?}"
    );
    assert_eq!(stored["attachments"][0]["size"], 9);

    let mut statuses = Vec::new();
    let mut issued = None;
    let cursor = follow(&s.adapter, None, |event| {
        assert_eq!(event.case_no, "20261127-000042");
        assert!(event.at.ends_with("+08:00"), "{}", event.at);
        statuses.push(event.status);
        if event.status == CaseStatus::Completed {
            issued = event.issued.clone();
            return true;
        }
        false
    })
    .await;
    assert_eq!(
        statuses,
        [
            CaseStatus::InReview,
            CaseStatus::Approved,
            CaseStatus::Completed
        ]
    );
    let stats = s.mock.stats();
    assert_eq!((stats.files, stats.cases, stats.duplicates), (1, 1, 0));

    let license = issued.expect("the transfer issued a certificate");
    assert_eq!(license.type_code, "BDCQZ");
    assert_eq!(license.type_name, "不动产权证书");
    assert!(
        license.number.contains("桐庐县不动产权第"),
        "{}",
        license.number
    );
    assert_eq!(
        license.holder,
        Party::Person {
            id_number: BUYER_ID.into(),
            name: "陈珺".into()
        }
    );
    assert_eq!(license.issuer, "县不动产登记中心");
    assert_eq!(license.status, LicenseStatus::Valid);
    assert_eq!(license.valid_until, None);
    assert_eq!(license.face["location"], seller.face["location"]);
    assert_eq!(license.face["area"], "127.70平方米");

    // Nothing more from the end.
    let page = s.adapter.case_events(cursor.as_deref()).await.unwrap();
    assert!(page.events.is_empty());
    assert_eq!(page.next_cursor, cursor);

    let held = s.adapter.licenses_by_holder(&license.holder).await.unwrap();
    assert!(held.contains(&license), "{held:?}");
    assert_eq!(held.len(), 2, "陈珺 already held one");
    let verified = s
        .adapter
        .verify_license("BDCQZ", &license.number)
        .await
        .unwrap();
    assert_eq!(verified, Some(license));
    let old = s
        .adapter
        .verify_license("BDCQZ", SELLER_CERTIFICATE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old.status, LicenseStatus::Revoked, "the seller's is 注销");
}

#[tokio::test]
async fn seeded_certificates_are_found_by_holder_and_number() {
    let s = setup().await;
    let wang = Party::Person {
        id_number: "33012219880315051X".into(),
        name: "王镕".into(),
    };
    let held = s.adapter.licenses_by_holder(&wang).await.unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].holder, wang);
    assert_eq!(held[0].issued_on, "2021-06-18");
    assert_eq!(held[0].face["restriction"], "抵押");
    assert_eq!(held[0].face["area"], "118.36平方米");

    let company = Party::Organization {
        credit_code: "91330122MA28C5R1X3".into(),
        name: "杭州桐庐富春江置业有限公司".into(),
    };
    assert_eq!(
        s.adapter.licenses_by_holder(&company).await.unwrap().len(),
        1
    );
    let stranger = Party::Person {
        id_number: "11010519491231002X".into(),
        name: "陈晓东".into(),
    };
    assert!(
        s.adapter
            .licenses_by_holder(&stranger)
            .await
            .unwrap()
            .is_empty()
    );
    let cancelled = s
        .adapter
        .verify_license("BDCQZ", "浙(2022)桐庐县不动产权第0005503号")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cancelled.status, LicenseStatus::Revoked);
    assert_eq!(
        s.adapter
            .verify_license("BDCQZ", "浙(2022)桐庐县不动产权第9999999号")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        s.adapter
            .verify_license("YYZZ", "91330122MA28C5R1X3")
            .await
            .unwrap(),
        None,
        "another department's type"
    );
}

#[tokio::test]
async fn requests_that_cannot_succeed_are_invalid_or_not_found() {
    let s = setup().await;
    let mut unknown = notice("20261127-000051");
    unknown.matter_code = "330122-BDC-DJ-099".into();
    let err = s.adapter.submit_case(&unknown).await.unwrap_err();
    assert!(
        matches!(adapter_error(&err), AdapterError::NotFound(m) if m.contains("330122-BDC-DJ-099")),
        "{err:?}"
    );
    let err = s
        .adapter
        .submit_case(&notice("2026/11/27-1"))
        .await
        .unwrap_err();
    assert!(
        matches!(adapter_error(&err), AdapterError::Invalid(m) if m.contains("cannot name a case file"))
    );
    let mut rare = notice("20261127-000052");
    rare.form.insert("备注".into(), "代理人张𠮷".into());
    let err = s.adapter.submit_case(&rare).await.unwrap_err();
    assert!(matches!(adapter_error(&err), AdapterError::Invalid(m) if m.contains("U+20BB7")));
    let err = s.adapter.case_events(Some("17")).await.unwrap_err();
    assert!(matches!(adapter_error(&err), AdapterError::Invalid(_)));
    let err = s
        .adapter
        .on_notify(&onewindow_tests::content_type("text/csv"), b"x")
        .await
        .unwrap_err();
    assert!(matches!(adapter_error(&err), AdapterError::Invalid(m) if m.contains("files only")));
    // Nothing was written for any of them.
    assert_eq!(s.mock.stats().files, 0);
    tokio::time::sleep(STAGE * 3).await;
    assert_eq!(s.mock.stats().files, 0);
}

/// Submits a case with no fault, switches `fault` on, and reads events until the
/// damaged result file stops them; returns the error's message. The cases seen
/// completed on the way are added to `completed`.
async fn events_error(
    s: &Setup,
    case_no: &str,
    fault: Fault,
    cursor: &mut Option<String>,
    completed: &mut Vec<String>,
) -> String {
    s.mock.set_fault(Fault::None);
    s.adapter.submit_case(&notice(case_no)).await.unwrap();
    s.mock.set_fault(fault);
    let deadline = Instant::now() + DEADLINE;
    loop {
        match s.adapter.case_events(cursor.as_deref()).await {
            Ok(page) => {
                completed.extend(
                    page.events
                        .iter()
                        .filter(|e| e.status == CaseStatus::Completed)
                        .map(|e| e.case_no.clone()),
                );
                *cursor = page.next_cursor.or(cursor.take());
            }
            Err(err) => return unavailable(&err).to_owned(),
        }
        assert!(
            Instant::now() < deadline,
            "{fault:?} never showed in the results"
        );
        tokio::time::sleep(STAGE / 2).await;
    }
}

/// Every bad day of the batch job becomes the adapter's own `unavailable` answer
/// naming the file and what is wrong; never a trap.
#[tokio::test]
async fn the_batch_jobs_bad_days_are_adapter_errors_with_a_reason() {
    let s = setup().await;
    let holder = Party::Person {
        id_number: "33012219880315051X".into(),
        name: "王镕".into(),
    };
    let cases = [
        (Fault::Truncated, "cut off", "cut off", "cut off"),
        (Fault::WrongEncoding, "UTF-8", "UTF-8", "UTF-8"),
        (
            Fault::MissingElement,
            "sxqd.csv has no column 事项名称",
            "zsqd.csv has no column 不动产权证号",
            "has no column 状态代码",
        ),
        (
            Fault::UnknownCode,
            "事项类型 \"99\"",
            "证书状态 \"9\"",
            "状态代码 \"07\"",
        ),
    ];
    let mut cursor = None;
    let mut completed = Vec::new();
    for (i, (fault, catalogue, register, results)) in cases.into_iter().enumerate() {
        s.mock.set_fault(fault);
        let err = s.adapter.list_matters().await.unwrap_err();
        let message = unavailable(&err);
        assert!(message.contains(catalogue), "{fault:?}: {message}");
        assert!(
            message.contains(".csv"),
            "{fault:?} names the file: {message}"
        );
        let err = s.adapter.licenses_by_holder(&holder).await.unwrap_err();
        assert!(unavailable(&err).contains(register), "{fault:?}: {err}");
        let err = s
            .adapter
            .verify_license("BDCQZ", SELLER_CERTIFICATE)
            .await
            .unwrap_err();
        assert!(unavailable(&err).contains(register), "{fault:?}: {err}");
        // Submitting checks the matter against the damaged catalogue: retry later.
        let err = s
            .adapter
            .submit_case(&notice(&format!("20261127-00010{i}")))
            .await
            .unwrap_err();
        unavailable(&err);

        let message = events_error(
            &s,
            &format!("20261127-00020{i}"),
            fault,
            &mut cursor,
            &mut completed,
        )
        .await;
        assert!(message.contains("bjjg/JG_"), "{fault:?}: {message}");
        assert!(message.contains(results), "{fault:?}: {message}");
    }

    // The good day after: the batch job exports everything again and the events
    // continue where they stopped, to the end of every case.
    s.mock.set_fault(Fault::None);
    assert!(s.adapter.list_matters().await.is_ok());
    let mut open: Vec<String> = (0..4)
        .map(|i| format!("20261127-00020{i}"))
        .filter(|c| !completed.contains(c))
        .collect();
    if open.is_empty() {
        return;
    }
    follow(&s.adapter, cursor, |event| {
        if event.status == CaseStatus::Completed {
            open.retain(|c| *c != event.case_no);
        }
        open.is_empty()
    })
    .await;
}

#[tokio::test]
async fn a_down_or_slow_batch_job_only_delays_the_results() {
    let s = setup().await;
    s.mock.set_fault(Fault::Down);
    let reference = s
        .adapter
        .submit_case(&notice("20261127-000061"))
        .await
        .unwrap();
    assert_eq!(reference, "SQ_20261127-000061");
    tokio::time::sleep(STAGE * 8).await;
    let page = s.adapter.case_events(None).await.unwrap();
    assert!(page.events.is_empty() && !page.more);
    assert_eq!(s.mock.stats().files, 0, "nothing was read");

    s.mock.set_fault(Fault::Slow(Duration::from_millis(200)));
    let cursor = follow(&s.adapter, None, |event| {
        event.status == CaseStatus::Completed
    })
    .await;
    s.mock.set_fault(Fault::None);
    assert!(
        s.adapter
            .case_events(cursor.as_deref())
            .await
            .unwrap()
            .events
            .is_empty()
    );
}

#[tokio::test]
async fn a_file_renamed_while_the_adapter_lists_the_results_is_no_error() {
    let s = setup().await;
    // The batch job publishes each result as `.JG_….csv.tmp` renamed to its name;
    // a listing that meets a `.tmp` as it goes must not fail.
    let results = s.exchange.path().join("real-estate/bjjg");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let churn = std::thread::spawn({
        let stop = stop.clone();
        move || {
            let (temporary, renamed) = (results.join(".JG_churn.csv.tmp"), results.join(".gone"));
            let mut published = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                std::fs::write(&temporary, b"x").unwrap();
                std::fs::rename(&temporary, &renamed).unwrap();
                std::fs::remove_file(&renamed).unwrap();
                published += 1;
                std::thread::sleep(Duration::from_micros(200));
            }
            published
        }
    });
    let mut failure = None;
    for listing in 0..600 {
        if let Err(e) = s.adapter.case_events(None).await {
            failure = Some(format!("listing {listing}: {e:?}"));
            break;
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let published = churn.join().unwrap();
    assert_eq!(failure, None);
    assert!(published > 100, "the folder changed all along: {published}");
}

#[tokio::test]
async fn failed_batch_runs_move_the_cursor_without_events() {
    let s = setup_with(mock::Config {
        stage: STAGE,
        fail_rate: 1.0,
        ..mock::Config::default()
    })
    .await;
    s.adapter
        .submit_case(&notice("20261127-000071"))
        .await
        .unwrap();
    let deadline = Instant::now() + DEADLINE;
    loop {
        let page = s.adapter.case_events(None).await.unwrap();
        assert!(page.events.is_empty(), "a 99 row is no event");
        if page.next_cursor.is_some() {
            break;
        }
        assert!(Instant::now() < deadline, "no 99 row appeared");
        tokio::time::sleep(STAGE).await;
    }
    assert!(s.mock.stats().failed_batches >= 1);
    assert_eq!(s.mock.stats().cases, 0);
}

#[tokio::test]
async fn without_the_exchange_grant_the_adapter_says_so() {
    let s = setup().await;
    let ungranted = Department {
        grants: String::new(),
        limits: adapter_test::LIMITS.into(),
        ..Department::real_estate()
    };
    let package = TestPackage::new(ungranted.component, &ungranted.manifest());
    let ungranted = s.runtime.load_dir(package.path()).unwrap();
    let err = ungranted.list_matters().await.unwrap_err();
    assert!(
        matches!(adapter_error(&err), AdapterError::Invalid(m) if m.contains("grants.exchange-dir")),
        "{err:?}"
    );
    let err = ungranted
        .submit_case(&notice("20261127-000081"))
        .await
        .unwrap_err();
    assert!(matches!(adapter_error(&err), AdapterError::Invalid(_)));
}

#[tokio::test]
async fn a_supplement_reaches_the_held_case_and_its_review_resumes() {
    let s = setup().await;
    let case_no = "20261127-000091";
    s.adapter
        .submit_case(&notice_on(case_no, "补正"))
        .await
        .unwrap();
    let mut asked = String::new();
    let cursor = follow(&s.adapter, None, |event| {
        assert_ne!(event.status, CaseStatus::Approved, "held before approval");
        if event.status == CaseStatus::SupplementRequested {
            asked = event.note.clone();
            return true;
        }
        false
    })
    .await;
    assert!(asked.starts_with("申请材料不齐全，请补正："), "{asked}");
    // Held at 需补正: stages pass and nothing happens.
    tokio::time::sleep(STAGE * 8).await;
    let page = s.adapter.case_events(cursor.as_deref()).await.unwrap();
    assert!(page.events.is_empty(), "{:?}", page.events);
    assert_eq!(
        s.mock.case(case_no).unwrap()["waiting_for_supplement"],
        true
    );

    let files = [contract(b"%PDF-1.4\n")];
    s.adapter
        .supplement_case(case_no, &files, "已补交备案的商品房预售合同")
        .await
        .unwrap();
    // Handing the same in again changes nothing.
    s.adapter
        .supplement_case(case_no, &files, "已补交备案的商品房预售合同")
        .await
        .unwrap();
    let mut statuses = Vec::new();
    let mut notes = Vec::new();
    follow(&s.adapter, cursor, |event| {
        assert_eq!(event.case_no, case_no);
        statuses.push(event.status);
        notes.push(event.note.clone());
        event.status == CaseStatus::Completed
    })
    .await;
    assert_eq!(
        statuses,
        [
            CaseStatus::InReview,
            CaseStatus::Approved,
            CaseStatus::Completed
        ]
    );
    assert_eq!(notes[0], "补正材料已收到，继续审核");

    // The department recorded the files once, in its own terms.
    let stored = s.mock.case(case_no).unwrap();
    let supplements = stored["supplements"].as_array().unwrap();
    assert_eq!(supplements.len(), 1, "{supplements:?}");
    assert_eq!(supplements[0]["note"], "已补交备案的商品房预售合同");
    let file = supplements[0]["file"].as_str().unwrap();
    assert!(
        file.starts_with(&format!("bzcl/bak/BZ_{case_no}_")),
        "{file}"
    );
    let attachment = &supplements[0]["attachments"][0];
    assert_eq!(attachment["material"], "003");
    assert_eq!(attachment["file_name"], "商品房预售合同.pdf");
    assert_eq!(attachment["media_type"], "application/pdf");
    assert_eq!(attachment["size"], 9);
    assert_eq!(stored["waiting_for_supplement"], false);
    let stats = s.mock.stats();
    assert_eq!(
        (stats.supplements, stats.repeats, stats.refusals),
        (1, 0, 0)
    );

    // No longer waiting: other files are refused with the department's status.
    let err = s
        .adapter
        .supplement_case(case_no, &[contract(b"%PDF-1.7\n")], "再补一份")
        .await
        .unwrap_err();
    assert_eq!(
        refused(&err),
        "该办件在县不动产登记中心的状态为已登簿（05），不在补正期间，补正材料不予接收"
    );
    let err = s
        .adapter
        .supplement_case("20261127-000099", &files, "")
        .await
        .unwrap_err();
    assert!(
        matches!(adapter_error(&err), AdapterError::NotFound(m) if m.contains("SQ_20261127-000099.csv")),
        "{err:?}"
    );
    let err = s
        .adapter
        .supplement_case(case_no, &[], " ")
        .await
        .unwrap_err();
    assert!(
        matches!(adapter_error(&err), AdapterError::Invalid(_)),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_withdrawal_stops_the_case_and_a_decided_case_refuses_it() {
    let s = setup().await;
    let held = "20261127-000092";
    s.adapter
        .submit_case(&notice_on(held, "补正"))
        .await
        .unwrap();
    let cursor = follow(&s.adapter, None, |event| {
        event.status == CaseStatus::SupplementRequested
    })
    .await;
    s.adapter
        .withdraw_case(held, "申请人不再购买该房屋")
        .await
        .unwrap();
    let stored = stored_when(&s, held, |case| case["withdrawn"].is_string()).await;
    assert_eq!(stored["withdrawn"], "申请人不再购买该房屋");
    assert_eq!(stored["status"], "06");
    assert_eq!(stored["status_name"], "已撤回");
    assert_eq!(stored["waiting_for_supplement"], false);
    // Withdrawing again succeeds, and hands nothing over.
    s.adapter
        .withdraw_case(held, "申请人不再购买该房屋")
        .await
        .unwrap();
    // The case takes no further step: no event after 需补正, no new history.
    tokio::time::sleep(STAGE * 8).await;
    let page = s.adapter.case_events(cursor.as_deref()).await.unwrap();
    assert!(page.events.is_empty(), "{:?}", page.events);
    let stored = s.mock.case(held).unwrap();
    let codes: Vec<&str> = stored["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["01", "02", "06"]);
    let stats = s.mock.stats();
    assert_eq!((stats.withdrawals, stats.repeats), (1, 0));
    // A supplement for it is refused now.
    let err = s
        .adapter
        .supplement_case(held, &[contract(b"%PDF-1.4\n")], "")
        .await
        .unwrap_err();
    assert_eq!(
        refused(&err),
        "该办件已撤回，县不动产登记中心不再接收补正材料"
    );

    // Decided and done: refused at once, in the department's words; the case keeps its status.
    let decided = "20261127-000093";
    s.adapter.submit_case(&notice(decided)).await.unwrap();
    follow(&s.adapter, page.next_cursor, |event| {
        event.case_no == decided && event.status == CaseStatus::Completed
    })
    .await;
    let err = s
        .adapter
        .withdraw_case(decided, "申请人撤回")
        .await
        .unwrap_err();
    let reason = refused(&err);
    assert!(
        reason.starts_with("县不动产登记中心已于")
            && reason.contains("作出准予登记决定（业务号BDC")
            && reason.contains("办结，申请不能撤回。办理意见：经审核，符合登记条件，准予登记"),
        "{reason}"
    );
    let stored = s.mock.case(decided).unwrap();
    assert_eq!(stored["status"], "05");
    assert!(
        stored["withdrawal_refused"].is_null(),
        "nothing was handed over"
    );
    assert_eq!(s.mock.stats().withdrawals, 1);

    let err = s
        .adapter
        .withdraw_case("20261127-000099", "申请人撤回")
        .await
        .unwrap_err();
    assert!(
        matches!(adapter_error(&err), AdapterError::NotFound(_)),
        "{err:?}"
    );
}

/// The batch job decides a case between the adapter's look at the results and
/// its reading of the withdrawal: `withdraw` succeeded, and the department's
/// refusal comes back through `events`, as an event that keeps the decided
/// status and carries the refusal as its note.
#[tokio::test]
async fn a_withdrawal_the_department_overtakes_comes_back_as_an_event() {
    let stage = Duration::from_millis(400);
    let s = setup_with(mock::Config {
        stage,
        ..adapter_test::mock_config()
    })
    .await;
    let case_no = "20261127-000094";
    s.adapter.submit_case(&notice(case_no)).await.unwrap();
    let cursor = follow(&s.adapter, None, |event| {
        event.status == CaseStatus::InReview
    })
    .await;
    // The batch job stops before its next run, with approval due: the adapter
    // sees the case in review and hands the withdrawal over.
    s.mock.set_fault(Fault::Down);
    s.adapter
        .withdraw_case(case_no, "申请人撤回")
        .await
        .unwrap();
    tokio::time::sleep(stage * 2).await;
    s.mock.set_fault(Fault::None);
    let mut events = Vec::new();
    follow(&s.adapter, cursor, |event| {
        events.push((event.status, event.note.clone()));
        event.status == CaseStatus::Completed
    })
    .await;
    assert_eq!(events.len(), 3, "{events:?}");
    assert_eq!(events[0].0, CaseStatus::Approved);
    let (kept, note) = &events[1];
    assert_eq!(*kept, CaseStatus::Approved, "the case keeps its status");
    assert!(
        note.starts_with("不予撤回：本中心已于") && note.contains("审核通过，准予登记"),
        "{note}"
    );
    assert_eq!(events[2].0, CaseStatus::Completed);
    let stored = s.mock.case(case_no).unwrap();
    assert_eq!(stored["withdrawal_refused"].as_str(), Some(note.as_str()));
    assert!(stored["withdrawn"].is_null());
    // Now the results show the decision: a second withdrawal is refused at once.
    let err = s
        .adapter
        .withdraw_case(case_no, "申请人撤回")
        .await
        .unwrap_err();
    assert!(refused(&err).contains("申请不能撤回"));
}

#[tokio::test]
async fn announcement_and_site_inspection_are_special_procedures() {
    let s = setup().await;
    let mut cursor = None;
    for (case_no, path) in [("20261127-000095", "公告"), ("20261127-000096", "实地查看")] {
        let mut case = notice_on(case_no, path);
        case.matter_code = "330122-BDC-DJ-003".into();
        s.adapter.submit_case(&case).await.unwrap();
        let mut events = Vec::new();
        cursor = follow(&s.adapter, cursor, |event| {
            assert_eq!(event.case_no, case_no);
            events.push((event.status, event.note.clone()));
            event.status == CaseStatus::Completed
        })
        .await;
        let statuses: Vec<_> = events.iter().map(|(status, _)| *status).collect();
        assert_eq!(
            statuses,
            [
                CaseStatus::InReview,
                CaseStatus::SpecialProcedure,
                CaseStatus::Approved,
                CaseStatus::Completed
            ],
            "{path}"
        );
        assert!(
            events[1].1.starts_with(&format!("特别程序（{path}）：")),
            "the note says which: {}",
            events[1].1
        );
        assert_eq!(s.mock.case(case_no).unwrap()["history"][1]["code"], "08");
    }
}

#[tokio::test]
async fn every_matter_declares_its_form() {
    let s = setup().await;
    let matters = s.adapter.list_matters().await.unwrap();
    for matter in &matters {
        assert!(!matter.form.is_empty(), "{} declares its form", matter.code);
        for field in &matter.form {
            assert!(
                !["模拟结果", "不予登记原因"].contains(&field.key.as_str()),
                "{}: the mock's test switches stay out of the form",
                matter.code
            );
            assert!(!field.label.is_empty());
        }
    }
    let form = |code: &str| {
        &matters
            .iter()
            .find(|m| m.code == code)
            .unwrap_or_else(|| panic!("{code} is in the catalogue"))
            .form
    };
    let transfer = form("330122-BDC-DJ-001");
    let keys: Vec<&str> = transfer.iter().map(|f| f.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "转移原因",
            "不动产权证号",
            "坐落",
            "面积",
            "共有情况",
            "成交价格",
            "联系电话"
        ]
    );
    let cause = &transfer[0];
    assert!(cause.required);
    assert!(
        matches!(&cause.kind, FieldKind::Choice { options } if options.len() == 7 && options[0] == "买卖"),
        "{cause:?}"
    );
    assert!(
        !transfer[1].required,
        "the certificate may come as a license"
    );
    assert_eq!(transfer[2].kind, FieldKind::Address);
    assert_eq!(transfer[3].kind, FieldKind::Number);
    assert_eq!(transfer[3].label, "建筑面积（平方米）");
    assert_eq!(transfer[5].label, "成交价格（元）");
    assert_eq!(transfer[6].from_party, Some(PartyField::Phone));
    assert_eq!(transfer[6].kind, FieldKind::Text);

    let mortgage = form("330122-BDC-DJ-002");
    let mortgagee = mortgage
        .iter()
        .find(|f| f.key == "抵押权人统一社会信用代码")
        .unwrap();
    assert_eq!(
        (mortgagee.kind.clone(), mortgagee.required),
        (FieldKind::CreditCode, true)
    );
    assert!(
        mortgage
            .iter()
            .any(|f| f.key == "债务履行期限起" && f.kind == FieldKind::Date && f.required)
    );
    let first = form("330122-BDC-DJ-003");
    assert!(first.iter().take(3).all(|f| f.required), "坐落, 面积, 用途");
    assert_eq!(
        first
            .iter()
            .find(|f| f.key == "法定代表人")
            .unwrap()
            .from_party,
        Some(PartyField::LegalRepresentative)
    );
    assert!(form("330122-BDC-DJ-006").iter().all(|f| f.required));
    let query = form("330122-BDC-CX-001");
    assert_eq!(
        query
            .iter()
            .find(|f| f.key == "通讯地址")
            .unwrap()
            .from_party,
        Some(PartyField::Address)
    );
}
