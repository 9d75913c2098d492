//! The public-security adapter against the running mock 县公安局 人口信息管理系统:
//! every function, licenses reused from another department, and the legacy
//! system's bad days.

use std::time::{Duration, Instant};

use legacy_systems::public_security::{self as mock, CHEN_XIAODONG, Fault};
use onewindow::adapter::{Adapter as _, CallError};
use onewindow::model::{
    AdapterError, Attachment, CaseEvent, CaseStatus, CaseSubmission, FieldKind, License,
    LicenseStatus, Party, PartyField,
};
use onewindow::runtime::WasmAdapter;
use onewindow_tests::Department;
use onewindow_tests::adapter_test::{self, AdapterTest};

type Setup = AdapterTest<mock::Handle>;

async fn setup() -> Setup {
    AdapterTest::start(
        |_| mock::start("127.0.0.1:0".parse().unwrap(), adapter_test::mock_config()),
        |mock| Department::public_security(mock).with_config(r#"timeout-ms = "1000""#),
    )
    .await
}

fn chen() -> Party {
    Party::Person {
        id_number: CHEN_XIAODONG.into(),
        name: "陈晓东".into(),
    }
}

fn submission(json: serde_json::Value) -> CaseSubmission {
    serde_json::from_value(json).expect("a valid case submission")
}

/// 陈晓东 (moved in from Beijing) renews the ID card.
fn renewal(case_no: &str) -> CaseSubmission {
    submission(serde_json::json!({
        "case_no": case_no,
        "matter_code": "330122-GA-QR-003",
        "applicant": {"type": "person", "id_number": CHEN_XIAODONG, "name": "陈晓东"},
        "accepted_at": "2026-11-27T09:30:00+08:00",
        "form": {"换领原因": "有效期满", "联系电话": "13857112345"},
        "attachments": [
            {"material_code": "003", "file_name": "照片.jpg", "media_type": "image/jpeg",
             "content_base64": "/9j/4AAQSkZJRgABAQ=="}
        ]
    }))
}

/// The 营业执照 as the market-supervision adapter reports it.
fn business_license() -> License {
    serde_json::from_value(serde_json::json!({
        "type_code": "YYZZ",
        "type_name": "营业执照",
        "number": "91330122704218653L",
        "holder": {"type": "organization", "credit_code": "91330122704218653L",
                   "name": "桐庐富春蜂语蜂业有限公司"},
        "issuer": "县市场监督管理局",
        "issued_on": "2019-07-02",
        "valid_until": null,
        "status": "valid",
        "face": {
            "name": "桐庐富春蜂语蜂业有限公司",
            "credit-code": "91330122704218653L",
            "legal-representative": "赵堃",
            "address": "浙江省杭州市桐庐县凤川街道凤川大道2号"
        }
    }))
    .unwrap()
}

/// Follows the events from `cursor` until `case_no` completes; returns its events.
async fn events_until_done(
    adapter: &WasmAdapter,
    case_no: &str,
    cursor: &mut Option<String>,
) -> Vec<CaseEvent> {
    events_until(adapter, case_no, cursor, CaseStatus::Completed).await
}

/// The events of `case_no` from `cursor` on, as far as they go now.
async fn events_now(
    adapter: &WasmAdapter,
    case_no: &str,
    cursor: &mut Option<String>,
) -> Vec<CaseEvent> {
    let mut mine = Vec::new();
    loop {
        let page = adapter.case_events(cursor.as_deref()).await.unwrap();
        mine.extend(page.events.into_iter().filter(|e| e.case_no == case_no));
        *cursor = page.next_cursor.or(cursor.take());
        if !page.more {
            return mine;
        }
    }
}

/// Follows the events from `cursor` until `case_no` reaches `status`; returns its events.
async fn events_until(
    adapter: &WasmAdapter,
    case_no: &str,
    cursor: &mut Option<String>,
    status: CaseStatus,
) -> Vec<CaseEvent> {
    let mut mine = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let page = adapter.case_events(cursor.as_deref()).await.unwrap();
        mine.extend(page.events.into_iter().filter(|e| e.case_no == case_no));
        *cursor = page.next_cursor.or(cursor.take());
        if mine.last().is_some_and(|e| e.status == status) {
            return mine;
        }
        assert!(
            Instant::now() < deadline,
            "{case_no} never reached {status:?}: {mine:?}"
        );
        if !page.more {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn statuses(events: &[CaseEvent]) -> Vec<CaseStatus> {
    events.iter().map(|e| e.status).collect()
}

/// The case as the mock department recorded it (`/_mock/cases/{case_no}`).
async fn recorded(s: &Setup, case_no: &str) -> serde_json::Value {
    let url = format!("http://{}/_mock/cases/{case_no}", s.mock.addr());
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    client.get(url).send().await.unwrap().json().await.unwrap()
}

/// The adapter's own error of a failed call.
fn adapter_error(err: CallError) -> AdapterError {
    match err {
        CallError::Adapter { error, .. } => error,
        other => panic!("expected the adapter's own error, got {other:?}"),
    }
}

fn pdf(material_code: &str, file_name: &str, content: &[u8]) -> Attachment {
    Attachment {
        material_code: material_code.into(),
        file_name: file_name.into(),
        media_type: "application/pdf".into(),
        content_base64: content.to_vec(),
    }
}

#[tokio::test]
async fn the_catalogue_comes_from_the_legacy_system() {
    let s = setup().await;
    let matters = s.adapter.list_matters().await.unwrap();
    assert!(matters.len() >= 6, "{} matters", matters.len());
    for matter in &matters {
        assert_eq!(matter.department, "县公安局");
        assert!(matter.code.starts_with("330122-GA-"));
        assert!(matter.promised_days <= matter.legal_days);
    }
    let seal = matters
        .iter()
        .find(|m| m.code == "330122-GA-BA-003")
        .expect("公章刻制备案 is in the catalogue");
    assert_eq!(seal.name, "公章刻制备案");
    assert_eq!(seal.promised_days, 1);
    let types: Vec<(&str, Option<&str>)> = seal
        .materials
        .iter()
        .map(|m| (m.name.as_str(), m.license_type.as_deref()))
        .collect();
    assert!(types.contains(&("营业执照", Some("营业执照"))), "{types:?}");
    assert!(types.contains(&("法定代表人身份证明", Some("居民身份证"))));
    assert!(types.contains(&("印章印模", None)));
    // The form the department declares for it: the seal's name, prefilled with
    // the applicant's (the department's default), and its type, a choice of
    // what the department files.
    let form: Vec<(&str, bool, Option<PartyField>)> = seal
        .form
        .iter()
        .map(|f| (f.key.as_str(), f.required, f.from_party))
        .collect();
    assert_eq!(
        form,
        [
            ("印章名称", false, Some(PartyField::Name)),
            ("印章类型", false, None)
        ]
    );
    assert_eq!(seal.form[0].kind, FieldKind::Text);
    let FieldKind::Choice { options } = &seal.form[1].kind else {
        panic!("印章类型 is a choice: {:?}", seal.form[1]);
    };
    assert_eq!(options[0], "单位公章");
    assert!(options.iter().any(|o| o == "财务专用章"), "{options:?}");
    for matter in &matters {
        assert!(!matter.form.is_empty(), "{} has a form", matter.name);
        assert!(
            matter
                .form
                .iter()
                .all(|f| !["模拟结果", "不予办理原因"].contains(&f.key.as_str())),
            "{}: the mock's test switches are not on the form",
            matter.name
        );
    }
    let birth = matters.iter().find(|m| m.name == "出生登记").unwrap();
    let kinds: Vec<(&str, &FieldKind, bool)> = birth
        .form
        .iter()
        .map(|f| (f.key.as_str(), &f.kind, f.required))
        .collect();
    assert!(
        kinds.contains(&("出生日期", &FieldKind::Date, true)),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("新生儿姓名", &FieldKind::Text, true)),
        "{kinds:?}"
    );
    for name in [
        "户口迁移（迁入）登记",
        "居住证办理",
        "居民身份证换领",
        "出生登记",
    ] {
        let matter = matters.iter().find(|m| m.name == name).expect(name);
        assert!(
            matter
                .materials
                .iter()
                .any(|m| m.license_type.as_deref() == Some("居民身份证")),
            "{name} takes an ID card"
        );
    }
}

#[tokio::test]
async fn a_renewal_is_submitted_once_and_completes_with_an_id_card() {
    let s = setup().await;
    let case = renewal("20261127-000042");
    let reference = s.adapter.submit_case(&case).await.unwrap();
    assert!(reference.starts_with("GA"), "{reference}");
    let again = s.adapter.submit_case(&case).await.unwrap();
    assert_eq!(again, reference, "resubmitting gives the same reference");
    let stats = s.mock.stats();
    assert_eq!((stats.cases, stats.duplicates), (1, 1));

    let mut cursor = None;
    let events = events_until_done(&s.adapter, "20261127-000042", &mut cursor).await;
    assert_eq!(
        statuses(&events),
        [
            CaseStatus::InReview,
            CaseStatus::Approved,
            CaseStatus::Completed
        ]
    );
    assert!(events.iter().all(|e| e.at.ends_with("+08:00")));
    let card = events
        .last()
        .unwrap()
        .issued
        .clone()
        .expect("the renewal issued a card");
    assert_eq!(card.type_name, "居民身份证");
    assert_eq!(card.number, CHEN_XIAODONG);
    assert_eq!(card.holder, chen());
    assert_eq!(card.issuer, "桐庐县公安局");
    assert_eq!(card.valid_until, None, "born 1949: 长期");
    assert_eq!(card.status, LicenseStatus::Valid);
    assert_eq!(card.face["birth-date"], "1949-12-31");
    assert_eq!(card.face["id-number"], CHEN_XIAODONG);

    // Reading again from the end gives nothing new.
    let page = s.adapter.case_events(cursor.as_deref()).await.unwrap();
    assert!(page.events.is_empty());
    assert!(!page.more);

    let held = s.adapter.licenses_by_holder(&chen()).await.unwrap();
    assert!(held.contains(&card), "{held:?}");
    let book = held
        .iter()
        .find(|l| l.type_name == "居民户口簿")
        .expect("a 居民户口簿 page");
    assert_eq!(book.face["head-of-household"], "陈晓东");
    let verified = s
        .adapter
        .verify_license(&card.type_code, &card.number)
        .await
        .unwrap();
    assert_eq!(verified, Some(card));
    let verified = s
        .adapter
        .verify_license(&book.type_code, &book.number)
        .await
        .unwrap();
    assert_eq!(verified.as_ref(), Some(book));
}

#[tokio::test]
async fn licenses_are_found_by_holder_and_verified() {
    let s = setup().await;
    let rong = Party::Person {
        id_number: "330122198203150014".into(),
        name: "王镕".into(),
    };
    let licenses = s.adapter.licenses_by_holder(&rong).await.unwrap();
    assert_eq!(licenses.len(), 2, "{licenses:?}");
    assert!(licenses.iter().all(|l| l.holder == rong));
    let card = licenses.iter().find(|l| l.type_code == "JMSFZ").unwrap();
    assert_eq!(card.face["name"], "王镕");
    assert_eq!(card.valid_until.as_deref(), Some("2035-06-10"));

    // 钟珺's card ran out in 2026.
    let jun = Party::Person {
        id_number: "330122199607230023".into(),
        name: "钟珺".into(),
    };
    let licenses = s.adapter.licenses_by_holder(&jun).await.unwrap();
    let card = licenses.iter().find(|l| l.type_code == "JMSFZ").unwrap();
    assert_eq!(card.status, LicenseStatus::Expired);
    assert_eq!(card.face["ethnicity"], "畲");

    // Organizations hold nothing here; other departments' types are not ours.
    let company = Party::Organization {
        credit_code: "91330122704218653L".into(),
        name: "桐庐富春蜂语蜂业有限公司".into(),
    };
    assert!(
        s.adapter
            .licenses_by_holder(&company)
            .await
            .unwrap()
            .is_empty()
    );
    let requests = s.mock.stats().requests;
    assert_eq!(
        s.adapter
            .verify_license("YYZZ", "91330122704218653L")
            .await
            .unwrap(),
        None
    );
    assert_eq!(s.mock.stats().requests, requests, "not asked at all");
    assert_eq!(
        s.adapter
            .verify_license("JMSFZ", "110101199003070011")
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn a_seal_filing_passes_the_reused_licenses_on() {
    let s = setup().await;
    let id_card = {
        let kun = Party::Person {
            id_number: "330122197502270353".into(),
            name: "赵堃".into(),
        };
        let mut held = s.adapter.licenses_by_holder(&kun).await.unwrap();
        held.retain(|l| l.type_name == "居民身份证");
        held.pop().expect("赵堃's ID card")
    };
    let case = submission(serde_json::json!({
        "case_no": "20261127-000077",
        "matter_code": "330122-GA-BA-003",
        "applicant": {"type": "organization", "credit_code": "91330122704218653L",
                      "name": "桐庐富春蜂语蜂业有限公司"},
        "accepted_at": "2026-11-27T01:30:00Z",
        "form": {"印章名称": "桐庐富春蜂语蜂业有限公司", "印章类型": "单位公章"},
        "attachments": [
            {"material_code": "003", "file_name": "印章印模.pdf", "media_type": "application/pdf",
             "content_base64": "JVBERi0xLjQKJcOkw7zDtsOfCg=="}
        ],
        "licenses": [
            {"material_code": "001", "license": business_license()},
            {"material_code": "002", "license": id_card}
        ]
    }));
    let reference = s.adapter.submit_case(&case).await.unwrap();

    let url = format!("http://{}/_mock/cases/20261127-000077", s.mock.addr());
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let stored: serde_json::Value = client.get(url).send().await.unwrap().json().await.unwrap();
    assert_eq!(stored["reference"], reference.as_str());
    assert_eq!(stored["accepted_at"], "20261127093000", "Beijing time");
    let licenses = stored["licenses"].as_array().unwrap();
    assert_eq!(licenses.len(), 2, "{stored:#}");
    let business = &licenses[0];
    assert_eq!(business["material"], "001");
    assert_eq!(business["type_code"], "YYZZ");
    assert_eq!(business["type_name"], "营业执照");
    assert_eq!(business["number"], "91330122704218653L");
    assert_eq!(business["holder_kind"], "2");
    assert_eq!(business["holder_name"], "桐庐富春蜂语蜂业有限公司");
    assert_eq!(business["issuer"], "县市场监督管理局");
    assert_eq!(business["issued_on"], "20190702");
    assert_eq!(business["valid_until"], "长期");
    assert_eq!(business["legal_representative"], "赵堃");
    assert_eq!(licenses[1]["type_name"], "居民身份证");
    assert_eq!(licenses[1]["holder_name"], "赵堃");
    assert_eq!(stored["attachments"][0]["size"], 19);

    let mut cursor = None;
    let events = events_until_done(&s.adapter, "20261127-000077", &mut cursor).await;
    let done = events.last().unwrap();
    assert!(done.issued.is_none(), "a filing issues no license");
    assert!(done.note.contains("公章刻制备案编号"), "{}", done.note);
}

#[tokio::test]
async fn denials_refusals_and_notifications() {
    let s = setup().await;
    let mut denied = renewal("20261127-000050");
    denied.form.insert("模拟结果".into(), "不予办理".into());
    s.adapter.submit_case(&denied).await.unwrap();
    let mut cursor = None;
    let events = events_until_done(&s.adapter, "20261127-000050", &mut cursor).await;
    assert_eq!(
        statuses(&events),
        [
            CaseStatus::InReview,
            CaseStatus::Denied,
            CaseStatus::Completed
        ]
    );

    let expect = |err: CallError| match err {
        CallError::Adapter { error, .. } => error,
        other => panic!("expected the adapter's own error, got {other:?}"),
    };
    // 张伟 is not registered here: the department refuses with its reason.
    let mut stranger = renewal("20261127-000051");
    stranger.applicant = Party::Person {
        id_number: "41052319910508321X".into(),
        name: "张伟".into(),
    };
    let err = expect(s.adapter.submit_case(&stranger).await.unwrap_err());
    assert!(
        matches!(&err, AdapterError::Refused(m) if m.contains("不是本县常住户籍人口")),
        "{err:?}"
    );
    let mut unknown = renewal("20261127-000052");
    unknown.matter_code = "330122-GA-XX-999".into();
    let err = expect(s.adapter.submit_case(&unknown).await.unwrap_err());
    assert!(
        matches!(&err, AdapterError::NotFound(m) if m.contains("330122-GA-XX-999")),
        "{err:?}"
    );
    // A name the records cannot carry never reaches the department.
    let mut rare = renewal("20261127-000053");
    rare.applicant = Party::Person {
        id_number: CHEN_XIAODONG.into(),
        name: "陈𠮷".into(),
    };
    let err = expect(s.adapter.submit_case(&rare).await.unwrap_err());
    assert!(
        matches!(&err, AdapterError::Invalid(m) if m.contains("GBK")),
        "{err:?}"
    );

    let err = expect(
        s.adapter
            .on_notify(&onewindow_tests::content_type("text/plain"), b"anything")
            .await
            .unwrap_err(),
    );
    assert!(
        matches!(&err, AdapterError::Invalid(m) if m.contains("does not push")),
        "{err:?}"
    );
}

/// Every bad day becomes the adapter's own error with a reason, never a trap.
#[tokio::test]
async fn the_legacy_systems_bad_days_are_adapter_errors_with_a_reason() {
    let s = setup().await;
    let unavailable = |err: CallError, what: &str, expected: &str| {
        let CallError::Adapter {
            error: AdapterError::Unavailable(message),
            ..
        } = &err
        else {
            panic!("{what}: expected unavailable, got {err:?}");
        };
        assert!(message.contains(expected), "{what}: {message}");
        assert!(err.is_retryable());
    };
    let cases = [
        (Fault::Truncated, "cut off"),
        (Fault::WrongEncoding, "charset=UTF-8"),
        (Fault::MissingElement, "empty 事项名称"),
        (Fault::UnknownCode, "record type \"99\""),
        (Fault::Down, "HTTP 503"),
        (
            Fault::Slow(Duration::from_millis(2500)),
            "did not answer in time",
        ),
    ];
    for (fault, expected) in cases {
        s.mock.set_fault(fault);
        let err = s.adapter.list_matters().await.unwrap_err();
        unavailable(err, &fault.to_string(), expected);
    }

    s.mock.set_fault(Fault::EndlessPages);
    let err = s.adapter.case_events(None).await.unwrap_err();
    unavailable(err, "endless-pages", "would never end");
    let err = s.adapter.case_events(Some("7")).await.unwrap_err();
    unavailable(err, "endless-pages", "does not go past the 7");

    s.mock.set_fault(Fault::MissingElement);
    let err = s
        .adapter
        .submit_case(&renewal("20261127-000060"))
        .await
        .unwrap_err();
    unavailable(err, "missing-element", "empty 业务流水号");
    s.mock.set_fault(Fault::UnknownCode);
    let err = s.adapter.licenses_by_holder(&chen()).await.unwrap_err();
    unavailable(err, "unknown-code", "record type \"99\"");
    let err = s
        .adapter
        .verify_license("JMSFZ", "110101199003070011")
        .await
        .unwrap_err();
    unavailable(err, "unknown-code", "返回码 \"5001\"");

    s.mock.set_fault(Fault::None);
    assert!(
        s.adapter.list_matters().await.is_ok(),
        "the next good day works"
    );
    assert!(s.adapter.case_events(None).await.is_ok());

    s.mock.shutdown().await;
    let err = s.adapter.list_matters().await.unwrap_err();
    unavailable(err, "stopped", "cannot reach");
}

#[tokio::test]
async fn a_case_held_for_its_supplement_goes_on_once_the_materials_arrive() {
    let s = setup().await;
    let mut case = renewal("20261127-000070");
    case.form.insert("模拟结果".into(), "补正".into());
    s.adapter.submit_case(&case).await.unwrap();
    let mut cursor = None;
    let events = events_until(
        &s.adapter,
        "20261127-000070",
        &mut cursor,
        CaseStatus::SupplementRequested,
    )
    .await;
    assert_eq!(
        statuses(&events),
        [CaseStatus::InReview, CaseStatus::SupplementRequested]
    );
    assert!(events[1].note.contains("请补正"), "{}", events[1].note);
    // Held: many stages later nothing has moved.
    tokio::time::sleep(adapter_test::STAGE * 10).await;
    assert!(
        events_now(&s.adapter, "20261127-000070", &mut cursor)
            .await
            .is_empty()
    );
    assert_eq!(recorded(&s, "20261127-000070").await["status"], "25");

    let files = [
        pdf(
            "001",
            "居民身份证（正反面）.pdf",
            b"%PDF-1.4 front and back",
        ),
        pdf("003", "照片（重拍）.pdf", b"%PDF-1.4 photo"),
    ];
    s.adapter
        .supplement_case(
            "20261127-000070",
            &files,
            "已按要求补充身份证复印件并重拍照片",
        )
        .await
        .unwrap();
    // The same materials again: taken, nothing happens twice.
    s.adapter
        .supplement_case(
            "20261127-000070",
            &files,
            "已按要求补充身份证复印件并重拍照片",
        )
        .await
        .unwrap();
    let stored = recorded(&s, "20261127-000070").await;
    let supplements = stored["supplements"].as_array().unwrap();
    assert_eq!(supplements.len(), 1, "{stored:#}");
    assert_eq!(supplements[0]["note"], "已按要求补充身份证复印件并重拍照片");
    assert_eq!(supplements[0]["repeats"], 1);
    assert_eq!(
        supplements[0]["files"][0]["file_name"],
        "居民身份证（正反面）.pdf"
    );
    assert_eq!(supplements[0]["files"][0]["material"], "001");
    assert_eq!(supplements[0]["files"][1]["size"], 14);

    let more = events_until_done(&s.adapter, "20261127-000070", &mut cursor).await;
    assert_eq!(
        statuses(&more),
        [
            CaseStatus::InReview,
            CaseStatus::Approved,
            CaseStatus::Completed
        ]
    );
    assert_eq!(more[0].note, "补正材料已收到（共2份），继续审核");
    assert!(more[2].issued.is_some(), "the renewal issued its card");

    // Other materials for a case that no longer waits: the department says why.
    let err = adapter_error(
        s.adapter
            .supplement_case("20261127-000070", &files[..1], "再补一份")
            .await
            .unwrap_err(),
    );
    assert_eq!(
        err,
        AdapterError::Refused("办件当前状态为办结，不在待补正状态，无需补正".into())
    );
    let err = adapter_error(
        s.adapter
            .supplement_case("20261127-000099", &files, "")
            .await
            .unwrap_err(),
    );
    assert!(
        matches!(&err, AdapterError::NotFound(m) if m.contains("20261127-000099")),
        "{err:?}"
    );
    let err = adapter_error(
        s.adapter
            .supplement_case("20261127-000070", &[], "只有说明")
            .await
            .unwrap_err(),
    );
    assert!(
        matches!(&err, AdapterError::Invalid(m) if m.contains("补正须至少提交一个附件")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_withdrawn_case_takes_no_further_step_and_a_decided_one_cannot_be_withdrawn() {
    let s = setup().await;
    let mut waiting = renewal("20261127-000080");
    waiting.form.insert("模拟结果".into(), "补正".into());
    s.adapter.submit_case(&waiting).await.unwrap();
    s.adapter
        .submit_case(&renewal("20261127-000081"))
        .await
        .unwrap();
    let mut cursor = None;
    events_until(
        &s.adapter,
        "20261127-000080",
        &mut cursor,
        CaseStatus::SupplementRequested,
    )
    .await;

    s.adapter
        .withdraw_case("20261127-000080", "申请人已在外地换领")
        .await
        .unwrap();
    let stored = recorded(&s, "20261127-000080").await;
    assert_eq!(stored["status"], "45");
    assert_eq!(stored["status_name"], "已撤回");
    assert_eq!(stored["withdrawal"]["reason"], "申请人已在外地换领");
    let last = stored["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["note"], "申请人撤回申请：申请人已在外地换领");
    // Withdrawing again succeeds and changes nothing.
    s.adapter
        .withdraw_case("20261127-000080", "申请人已在外地换领")
        .await
        .unwrap();
    assert_eq!(
        recorded(&s, "20261127-000080").await["withdrawal"]["repeats"],
        1
    );
    // The other case completes meanwhile; the withdrawn one never moves again.
    let decided = events_until_done(&s.adapter, "20261127-000081", &mut None).await;
    assert_eq!(
        statuses(&decided),
        [
            CaseStatus::InReview,
            CaseStatus::Approved,
            CaseStatus::Completed
        ]
    );
    tokio::time::sleep(adapter_test::STAGE * 10).await;
    assert!(
        events_now(&s.adapter, "20261127-000080", &mut cursor)
            .await
            .is_empty()
    );
    assert_eq!(recorded(&s, "20261127-000080").await["status"], "45");
    let err = adapter_error(
        s.adapter
            .supplement_case("20261127-000080", &[pdf("001", "a.pdf", b"%PDF")], "")
            .await
            .unwrap_err(),
    );
    assert!(
        matches!(&err, AdapterError::Refused(m) if m.ends_with("撤回，不能补正")),
        "{err:?}"
    );

    // Decided: the department refuses with its reason; the case keeps its status.
    let err = s
        .adapter
        .withdraw_case("20261127-000081", "不想办了")
        .await
        .unwrap_err();
    assert!(!err.is_retryable());
    assert_eq!(
        adapter_error(err),
        AdapterError::Refused("办件已办结，不能撤回".into())
    );
    let stored = recorded(&s, "20261127-000081").await;
    assert_eq!(stored["status"], "40");
    assert!(stored["withdrawal"].is_null());

    let err = adapter_error(
        s.adapter
            .withdraw_case("20261127-000089", "")
            .await
            .unwrap_err(),
    );
    assert!(
        matches!(&err, AdapterError::NotFound(m) if m.contains("20261127-000089")),
        "{err:?}"
    );
}
