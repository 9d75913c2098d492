//! The social-security adapter against the running mock 县人力资源和社会保障局
//! 金保 system: every function, licenses reused from other departments, and the
//! legacy system's bad days.

use std::time::{Duration, Instant};

use legacy_systems::social_security::{self as mock, Fault};
use onewindow::adapter::{Adapter as _, CallError};
use onewindow::model::{
    AdapterError, Attachment, CaseStatus, CaseSubmission, FieldKind, LicenseStatus, Party,
    PartyField,
};
use onewindow_tests::Department;
use onewindow_tests::adapter_test::{self, AdapterTest, adapter_error};
use serde_json::{Value, json};

const CHEN: &str = "11010519491231002X";

type Setup = AdapterTest<mock::Handle>;

async fn setup() -> Setup {
    AdapterTest::start(
        |_| mock::start("127.0.0.1:0".parse().unwrap(), adapter_test::mock_config()),
        |mock| Department::social_security(mock).with_config(r#"timeout-ms = "1000""#),
    )
    .await
}

/// 陈晓东 applies for his first 社会保障卡, reusing the 居民身份证 that 县公安局 issued.
fn application(case_no: &str) -> CaseSubmission {
    serde_json::from_value(json!({
        "case_no": case_no,
        "matter_code": "330122-RS-SB-001",
        "applicant": {"type": "person", "id_number": CHEN, "name": "陈晓东"},
        "accepted_at": "2026-11-27T09:30:00+08:00",
        "form": {"开户银行": "中国工商银行桐庐支行"},
        "attachments": [
            {"material_code": "002", "file_name": "照片.jpg", "media_type": "image/jpeg", "content_base64": "/9j/4AAQSkZJRgABAQ=="}
        ],
        "licenses": [{
            "material_code": "001",
            "license": {
                "type_code": "JMSFZ",
                "type_name": "居民身份证",
                "number": CHEN,
                "holder": {"type": "person", "id_number": CHEN, "name": "陈晓东"},
                "issuer": "县公安局",
                "issued_on": "2016-05-04",
                "valid_until": null,
                "status": "valid",
                "face": {"name": "陈晓东", "address": "浙江省杭州市桐庐县桐君街道迎春南路277号"}
            }
        }]
    }))
    .unwrap()
}

async fn mock_case(mock: &mock::Handle, case_no: &str) -> Value {
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    client
        .get(format!("http://{}/_mock/cases/{case_no}", mock.addr()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn photo(file_name: &str, content: &[u8]) -> Attachment {
    Attachment {
        material_code: "002".into(),
        file_name: file_name.into(),
        media_type: "image/jpeg".into(),
        content_base64: content.to_vec(),
    }
}

/// The change of a 社会保障卡's status at the department's counter
/// (`POST /sbk/{aaz500}/zt`, 社会保障卡状态变更).
async fn change_card(s: &Setup, aaz500: &str, aaz502: u8, reason: &str) -> Value {
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    client
        .post(format!("{}/sbk/{aaz500}/zt", s.mock.endpoint()))
        .header("content-type", "application/json;charset=UTF-8")
        .body(json!({"aaz502": aaz502, "aae013": reason}).to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_catalogue_is_read_over_its_pages() {
    let s = setup().await;
    let matters = s.adapter.list_matters().await.unwrap();
    assert_eq!(matters.len(), 11, "two pages of the 金保 catalogue");
    let card = matters
        .iter()
        .find(|m| m.code == "330122-RS-SB-001")
        .expect("社会保障卡申领 is in the catalogue");
    assert_eq!(card.name, "社会保障卡申领");
    assert_eq!(card.department, "县人力资源和社会保障局");
    assert!(card.promised_days <= card.legal_days);
    assert!(
        card.materials
            .iter()
            .any(|m| m.license_type.as_deref() == Some("居民身份证") && m.required)
    );
    for name in [
        "社会保障卡挂失",
        "企业职工基本养老保险关系转移接续",
        "失业保险金申领",
        "城乡居民基本养老保险参保登记",
        "就业创业证申领",
        "用人单位社会保险登记",
    ] {
        assert!(matters.iter().any(|m| m.name == name), "{name}");
    }
    assert!(
        matters
            .iter()
            .flat_map(|m| &m.materials)
            .any(|m| m.license_type.as_deref() == Some("社会保障卡"))
    );
    assert_eq!(s.mock.stats().requests, 2, "one request per page");

    // Each matter's application form as the 金保 catalogue declares it.
    let fields: Vec<(&str, bool, Option<PartyField>)> = card
        .form
        .iter()
        .map(|f| (f.key.as_str(), f.required, f.from_party))
        .collect();
    assert_eq!(
        fields,
        [
            ("开户银行", false, None),
            ("邮寄地址", false, Some(PartyField::Address)),
            ("联系电话", false, Some(PartyField::Phone)),
        ]
    );
    assert_eq!(card.form[1].kind, FieldKind::Address);
    let injury = matters.iter().find(|m| m.name == "工伤认定申请").unwrap();
    let required: Vec<(&str, &FieldKind)> = injury
        .form
        .iter()
        .filter(|f| f.required)
        .map(|f| (f.key.as_str(), &f.kind))
        .collect();
    assert_eq!(
        required,
        [
            ("受伤害职工姓名", &FieldKind::Text),
            ("受伤害职工公民身份号码", &FieldKind::IdNumber),
            ("事故发生日期", &FieldKind::Date),
        ]
    );
    let replacement = matters
        .iter()
        .find(|m| m.name == "社会保障卡补换领")
        .unwrap();
    let FieldKind::Choice { options } = &replacement.form[0].kind else {
        panic!("补换领原因 is a choice: {:?}", replacement.form[0]);
    };
    assert!(options.contains(&"遗失补领".to_owned()), "{options:?}");
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
}

#[tokio::test]
async fn an_application_is_submitted_once_and_completes_with_a_card() {
    let s = setup().await;
    let case = application("20261127-000042");
    let reference = s.adapter.submit_case(&case).await.unwrap();
    assert_eq!(reference.len(), 19, "{reference}");
    let again = s.adapter.submit_case(&case).await.unwrap();
    assert_eq!(again, reference, "resubmitting gives the same reference");
    let stats = s.mock.stats();
    assert_eq!((stats.cases, stats.duplicates), (1, 1));

    // The 居民身份证 from 县公安局 reached the 金保 system in its own fields.
    let stored = mock_case(&s.mock, "20261127-000042").await;
    assert_eq!(stored["aaz002"], reference.as_str());
    assert_eq!(stored["applicant"]["aac002"], CHEN);
    assert_eq!(stored["aae036"], "20261127093000");
    assert_eq!(
        stored["zzxx"],
        json!([{
            "bae010": "001", "aac058": 1, "bae132": "居民身份证", "bae133": "JMSFZ",
            "aae135": CHEN, "aac002": CHEN, "aac003": "陈晓东",
            "aae017": "县公安局", "aae030": "20160504", "aae031": null, "bae135": 1
        }])
    );
    assert_eq!(stored["fjxx"][0]["size"], 13);

    // Follow the events with the cursor until the case completes.
    let mut cursor: Option<String> = None;
    let mut statuses = Vec::new();
    let mut card = None;
    let deadline = Instant::now() + Duration::from_secs(15);
    while card.is_none() && Instant::now() < deadline {
        let page = s.adapter.case_events(cursor.as_deref()).await.unwrap();
        for event in page.events {
            assert_eq!(event.case_no, "20261127-000042");
            assert!(event.at.ends_with("+08:00"), "{}", event.at);
            statuses.push(event.status);
            if event.status == CaseStatus::Completed {
                card = event.issued;
            }
        }
        cursor = page.next_cursor.or(cursor);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        statuses,
        [
            CaseStatus::InReview,
            CaseStatus::Approved,
            CaseStatus::Completed
        ]
    );
    let card = card.expect("the completed case issued a 社会保障卡");
    assert_eq!(card.type_code, "SHBZK");
    assert_eq!(card.type_name, "社会保障卡");
    assert_eq!(card.status, LicenseStatus::Valid);
    assert_eq!(card.issuer, "县人力资源和社会保障局");
    assert_eq!(
        card.holder,
        Party::Person {
            id_number: CHEN.into(),
            name: "陈晓东".into()
        }
    );
    assert_eq!(card.face["card-number"], card.number);
    assert_eq!(card.face["bank"], "中国工商银行桐庐支行");
    assert_eq!(card.face["issued-on"], card.issued_on);
    assert_eq!(Some(&card.face["valid-until"]), card.valid_until.as_ref());

    // Reading from the end gives nothing new.
    let page = s.adapter.case_events(cursor.as_deref()).await.unwrap();
    assert!(page.events.is_empty());
    assert!(!page.more);

    let held = s.adapter.licenses_by_holder(&card.holder).await.unwrap();
    assert_eq!(held, vec![card.clone()]);
    let verified = s
        .adapter
        .verify_license(&card.type_code, &card.number)
        .await
        .unwrap();
    assert_eq!(verified, Some(card));

    // A second application now that he holds a card is the department's refusal.
    let err = s
        .adapter
        .submit_case(&application("20261127-000043"))
        .await
        .unwrap_err();
    assert!(
        matches!(adapter_error(&err), AdapterError::Refused(m) if m.contains("已持有社会保障卡")),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_organization_reuses_its_business_license() {
    let s = setup().await;
    let case: CaseSubmission = serde_json::from_value(json!({
        "case_no": "20261127-000050",
        "matter_code": "330122-RS-DW-001",
        "applicant": {"type": "organization", "credit_code": "91330122704218653L", "name": "桐庐富春蜂语蜂业有限公司"},
        "accepted_at": "2026-11-27T01:00:00Z",
        "form": {"法定代表人": "赵堃", "单位地址": "浙江省杭州市桐庐县凤川街道凤川大道2号"},
        "licenses": [{
            "material_code": "001",
            "license": {
                "type_code": "YYZZ",
                "type_name": "营业执照",
                "number": "91330122704218653L",
                "holder": {"type": "organization", "credit_code": "91330122704218653L", "name": "桐庐富春蜂语蜂业有限公司"},
                "issuer": "县市场监督管理局",
                "issued_on": "2019-07-02",
                "valid_until": null,
                "status": "valid",
                "face": {}
            }
        }]
    }))
    .unwrap();
    s.adapter.submit_case(&case).await.unwrap();
    let stored = mock_case(&s.mock, "20261127-000050").await;
    assert_eq!(
        stored["applicant"],
        json!({"bae101": 2, "aab998": "91330122704218653L", "aab004": "桐庐富春蜂语蜂业有限公司"})
    );
    assert_eq!(stored["aae036"], "20261127090000");
    let license = &stored["zzxx"][0];
    assert_eq!(
        (&license["aac058"], &license["aab998"], &license["aae017"]),
        (
            &json!(3),
            &json!("91330122704218653L"),
            &json!("县市场监督管理局")
        )
    );
    // Organizations hold no license here.
    let organization = case.applicant.clone();
    assert!(
        s.adapter
            .licenses_by_holder(&organization)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn seeded_cards_are_found_and_verified() {
    let s = setup().await;
    let zhou = s
        .adapter
        .verify_license("SHBZK", "D33011204")
        .await
        .unwrap()
        .expect("周珺's lost card is on file");
    assert_eq!(zhou.status, LicenseStatus::Revoked, "正式挂失");
    let Party::Person { name, .. } = &zhou.holder else {
        panic!("a card is held by a person");
    };
    assert_eq!(name, "周珺");
    let held = s.adapter.licenses_by_holder(&zhou.holder).await.unwrap();
    let states: Vec<_> = held.iter().map(|c| (c.number.as_str(), c.status)).collect();
    assert_eq!(
        states,
        [
            ("D33011204", LicenseStatus::Revoked),
            ("D33011298", LicenseStatus::Valid)
        ]
    );
    let expired = s
        .adapter
        .verify_license("SHBZK", "B20140618")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(expired.status, LicenseStatus::Expired);
    assert_eq!(expired.valid_until.as_deref(), Some("2024-06-18"));

    assert_eq!(
        s.adapter
            .verify_license("SHBZK", "D99999999")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        s.adapter.verify_license("YYZZ", "D33011204").await.unwrap(),
        None,
        "not this department's license type"
    );
    let err = s
        .adapter
        .verify_license("SHBZK", "not-a-card")
        .await
        .unwrap_err();
    assert!(
        matches!(adapter_error(&err), AdapterError::Invalid(m) if m.contains("社会保障卡卡号"))
    );
    let nobody = Party::Person {
        id_number: "110105194912310021".into(),
        name: "陈晓东".into(),
    };
    // A wrong check character: the 金保 system rejects the query as malformed.
    let err = s.adapter.licenses_by_holder(&nobody).await.unwrap_err();
    assert!(
        matches!(adapter_error(&err), AdapterError::Invalid(m) if m.contains("1001")),
        "{err:?}"
    );
}

#[tokio::test]
async fn refusals_unknown_matters_and_pushes_are_final() {
    let s = setup().await;
    let mut unknown = application("20261127-000060");
    unknown.matter_code = "330122-RS-XX-999".into();
    let err = s.adapter.submit_case(&unknown).await.unwrap_err();
    assert!(
        matches!(adapter_error(&err), AdapterError::NotFound(m) if m.contains("330122-RS-XX-999"))
    );
    assert!(!err.is_retryable());

    let mut organization = application("20261127-000061");
    organization.applicant = Party::Organization {
        credit_code: "91330122704218653L".into(),
        name: "桐庐富春蜂语蜂业有限公司".into(),
    };
    let err = s.adapter.submit_case(&organization).await.unwrap_err();
    assert!(matches!(adapter_error(&err), AdapterError::Refused(m) if m.contains("个人")));

    let err = s
        .adapter
        .on_notify(
            &onewindow_tests::content_type("application/json"),
            b"{\"bae200\": 1}",
        )
        .await
        .unwrap_err();
    assert!(
        matches!(adapter_error(&err), AdapterError::Invalid(m) if m.contains("does not push")),
        "{err:?}"
    );
}

/// Every bad day becomes the adapter's own `unavailable` answer naming what was
/// wrong, never a trap, and never a wait until the host's timeout.
#[tokio::test]
async fn the_legacy_systems_bad_days_are_adapter_errors_with_a_reason() {
    let s = setup().await;
    let cases = [
        (Fault::Truncated, "truncated"),
        (Fault::WrongEncoding, "UTF-8"),
        (Fault::MissingElement, "aaa122 (事项名称)"),
        (Fault::UnknownCode, "aaa123 8 (事项类型)"),
        (Fault::EndlessPages, "the paging does not advance"),
        (Fault::Down, "HTTP 503"),
        (
            Fault::Slow(Duration::from_millis(2500)),
            "did not answer in time",
        ),
    ];
    for (fault, expected) in cases {
        s.mock.set_fault(fault);
        let started = Instant::now();
        let err = s.adapter.list_matters().await.unwrap_err();
        let AdapterError::Unavailable(message) = adapter_error(&err) else {
            panic!("{fault:?}: expected unavailable, got {err:?}");
        };
        assert!(message.contains(expected), "{fault:?}: {message}");
        assert!(err.is_retryable());
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{fault:?} took {:?}",
            started.elapsed()
        );
    }

    // The other operations under the faults that concern them.
    s.mock.set_fault(Fault::None);
    let holder = s
        .adapter
        .verify_license("SHBZK", "D33011204")
        .await
        .unwrap()
        .expect("周珺's card")
        .holder;
    let expect = |fault: Fault, result: Result<String, CallError>, expected: &str| {
        let err = result.unwrap_err();
        let AdapterError::Unavailable(message) = adapter_error(&err) else {
            panic!("{fault:?}: expected unavailable, got {err:?}");
        };
        assert!(message.contains(expected), "{fault:?}: {message}");
    };
    s.mock.set_fault(Fault::EndlessPages);
    expect(
        Fault::EndlessPages,
        s.adapter
            .licenses_by_holder(&holder)
            .await
            .map(|_| String::new()),
        "repeats aaz500 D33011204",
    );
    expect(
        Fault::EndlessPages,
        s.adapter.case_events(None).await.map(|_| String::new()),
        "does not advance past qsxh 0",
    );
    s.mock.set_fault(Fault::UnknownCode);
    expect(
        Fault::UnknownCode,
        s.adapter
            .verify_license("SHBZK", "D33011204")
            .await
            .map(|_| String::new()),
        "aaz502 9 (卡状态)",
    );
    s.mock.set_fault(Fault::MissingElement);
    expect(
        Fault::MissingElement,
        s.adapter.submit_case(&application("20261127-000070")).await,
        "aaz002 (业务流水号)",
    );
    // The case was stored all the same: once the answer is whole again, resubmitting
    // it is recognised, not stored twice.
    s.mock.set_fault(Fault::None);
    s.adapter
        .submit_case(&application("20261127-000070"))
        .await
        .unwrap();
    assert_eq!((s.mock.stats().cases, s.mock.stats().duplicates), (1, 1));
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut events = Vec::new();
    while events.is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(30)).await;
        events = s.adapter.case_events(None).await.unwrap().events;
    }
    s.mock.set_fault(Fault::UnknownCode);
    expect(
        Fault::UnknownCode,
        s.adapter.case_events(None).await.map(|_| String::new()),
        "bae201 70 (办件状态)",
    );
    s.mock.set_fault(Fault::MissingElement);
    expect(
        Fault::MissingElement,
        s.adapter.case_events(None).await.map(|_| String::new()),
        "bae201 (办件状态)",
    );

    s.mock.set_fault(Fault::None);
    assert!(
        s.adapter.list_matters().await.is_ok(),
        "the next good day works"
    );

    s.mock.shutdown().await;
    let err = s.adapter.list_matters().await.unwrap_err();
    assert!(
        matches!(adapter_error(&err), AdapterError::Unavailable(m) if m.contains("cannot reach")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_case_waiting_for_its_supplement_goes_on_once_the_materials_arrive() {
    let s = setup().await;
    let mut case = application("20261127-000080");
    case.form.insert("模拟结果".into(), "补正".into());
    s.adapter.submit_case(&case).await.unwrap();
    let mut cursor = None;
    let events = s
        .events_until(
            "20261127-000080",
            &mut cursor,
            CaseStatus::SupplementRequested,
        )
        .await;
    assert_eq!(
        events.iter().map(|e| e.status).collect::<Vec<_>>(),
        [CaseStatus::InReview, CaseStatus::SupplementRequested]
    );
    assert!(
        events[1].note.starts_with("申请材料不齐全，请补正"),
        "{}",
        events[1].note
    );
    // It waits: many stages later nothing has moved.
    tokio::time::sleep(adapter_test::STAGE * 10).await;
    assert!(s.events_now(&mut cursor).await.0.is_empty());
    assert_eq!(mock_case(&s.mock, "20261127-000080").await["status"], 30);

    let files = [photo(
        "照片（白底重拍）.jpg",
        &[0xFF, 0xD8, 0xFF, 0xE0, 0x00],
    )];
    s.adapter
        .supplement_case("20261127-000080", &files, "已按要求重拍白底照片")
        .await
        .unwrap();
    s.adapter
        .supplement_case("20261127-000080", &files, "已按要求重拍白底照片")
        .await
        .expect("handing the same files in again is accepted");
    let stored = mock_case(&s.mock, "20261127-000080").await;
    let supplements = stored["supplements"].as_array().unwrap();
    assert_eq!(supplements.len(), 1, "{stored:#}");
    assert_eq!(supplements[0]["aae013"], "已按要求重拍白底照片");
    assert_eq!(supplements[0]["repeats"], 1);
    assert_eq!(
        supplements[0]["fjxx"][0],
        json!({
            "bae010": "002", "bae120": "照片（白底重拍）.jpg", "bae121": "image/jpeg", "size": 5,
            "sha256": "f55517e918c9f1ac538778a7d787f93b66102886b93464e5bf61b48527913dfd"
        })
    );

    let more = s
        .events_until("20261127-000080", &mut cursor, CaseStatus::Completed)
        .await;
    assert_eq!(
        more.iter().map(|e| e.status).collect::<Vec<_>>(),
        [
            CaseStatus::InReview,
            CaseStatus::Approved,
            CaseStatus::Completed
        ]
    );
    assert_eq!(more[0].note, "补正材料已收到（共1份），继续审核");
    assert!(more[2].issued.is_some(), "the card was issued");

    // New files for a case that no longer waits: the department says why.
    let err = s
        .adapter
        .supplement_case("20261127-000080", &[photo("又一张.jpg", b"jpg")], "")
        .await
        .unwrap_err();
    assert_eq!(
        adapter_error(&err),
        &AdapterError::Refused("办件当前状态为办结（60），不在需补正状态，无需补正".into())
    );
    let err = s
        .adapter
        .supplement_case("20261127-000089", &files, "")
        .await
        .unwrap_err();
    assert!(
        matches!(adapter_error(&err), AdapterError::NotFound(m) if m.contains("20261127-000089")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_withdrawn_case_takes_no_further_step_and_a_decided_one_cannot_be_withdrawn() {
    let s = setup().await;
    let mut waiting = application("20261127-000090");
    waiting.form.insert("模拟结果".into(), "补正".into());
    s.adapter.submit_case(&waiting).await.unwrap();
    let mut cursor = None;
    s.events_until(
        "20261127-000090",
        &mut cursor,
        CaseStatus::SupplementRequested,
    )
    .await;
    s.adapter
        .withdraw_case("20261127-000090", "申请人决定暂不申领")
        .await
        .unwrap();
    let stored = mock_case(&s.mock, "20261127-000090").await;
    assert_eq!(
        (&stored["status"], &stored["status_name"]),
        (&json!(70), &json!("已撤回"))
    );
    assert_eq!(stored["withdrawal"]["aae013"], "申请人决定暂不申领");
    assert_eq!(
        stored["history"].as_array().unwrap().last().unwrap()["aae013"],
        "申请人撤回申请：申请人决定暂不申领"
    );
    s.adapter
        .withdraw_case("20261127-000090", "申请人决定暂不申领")
        .await
        .expect("withdrawing a withdrawn case succeeds");
    assert_eq!(
        mock_case(&s.mock, "20261127-000090").await["withdrawal"]["repeats"],
        1
    );
    tokio::time::sleep(adapter_test::STAGE * 10).await;
    assert!(
        s.events_now(&mut cursor).await.0.is_empty(),
        "no further step"
    );

    // 陈晓东 may apply again (the withdrawn case issued no card); this one completes.
    s.adapter
        .submit_case(&application("20261127-000091"))
        .await
        .unwrap();
    s.events_until("20261127-000091", &mut cursor, CaseStatus::Completed)
        .await;
    let err = s
        .adapter
        .withdraw_case("20261127-000091", "不想要了")
        .await
        .unwrap_err();
    assert!(!err.is_retryable());
    assert_eq!(
        adapter_error(&err),
        &AdapterError::Refused("办件已办结，不能撤回".into())
    );
    assert_eq!(mock_case(&s.mock, "20261127-000091").await["status"], 60);

    let err = s
        .adapter
        .withdraw_case("20261127-000099", "")
        .await
        .unwrap_err();
    assert!(
        matches!(adapter_error(&err), AdapterError::NotFound(m) if m.contains("20261127-000099")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_card_reported_lost_or_cancelled_at_the_department_is_a_license_event() {
    let s = setup().await;
    let mut cursor = None;
    assert_eq!(s.events_now(&mut cursor).await, (Vec::new(), Vec::new()));

    // 王镕 reports his card lost by telephone, then at the counter; 钱珺瑶 finds hers.
    assert_eq!(
        change_card(&s, "D33011201", 2, "持卡人电话挂失").await["code"],
        0
    );
    assert_eq!(
        change_card(&s, "D33011201", 3, "持卡人到窗口正式挂失").await["code"],
        0
    );
    assert_eq!(
        change_card(&s, "D33011205", 1, "卡片已找回").await["code"],
        0
    );
    let refused = change_card(&s, "D33011201", 1, "").await;
    assert_eq!(refused["code"], 3001, "正式挂失 is for good: {refused}");

    let (cases, licenses) = s.events_now(&mut cursor).await;
    assert!(cases.is_empty());
    let seen: Vec<(&str, LicenseStatus, &str)> = licenses
        .iter()
        .map(|e| (e.license.number.as_str(), e.license.status, e.note.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            (
                "D33011201",
                LicenseStatus::Revoked,
                "社会保障卡临时挂失：持卡人电话挂失"
            ),
            (
                "D33011201",
                LicenseStatus::Revoked,
                "社会保障卡正式挂失：持卡人到窗口正式挂失"
            ),
            (
                "D33011205",
                LicenseStatus::Valid,
                "社会保障卡解除临时挂失：卡片已找回"
            ),
        ]
    );
    let lost = &licenses[1];
    assert!(lost.at.ends_with("+08:00"), "{}", lost.at);
    assert_eq!(lost.license.type_code, "SHBZK");
    assert_eq!(lost.license.issuer, "县人力资源和社会保障局");
    let Party::Person { name, .. } = &lost.license.holder else {
        panic!("{:?}", lost.license.holder);
    };
    assert_eq!(name, "王镕");
    // The card as the department now answers for it.
    let verified = s
        .adapter
        .verify_license("SHBZK", "D33011201")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(verified, lost.license);

    // Cancelled (注销), also when a 补换领 case cancels the old card.
    assert_eq!(
        change_card(&s, "D33011201", 4, "补卡后原卡注销").await["code"],
        0
    );
    let (_, licenses) = s.events_now(&mut cursor).await;
    assert_eq!(licenses.len(), 1);
    assert_eq!(licenses[0].license.status, LicenseStatus::Revoked);
    assert_eq!(licenses[0].note, "社会保障卡注销：补卡后原卡注销");

    let zhou = s
        .adapter
        .verify_license("SHBZK", "D33011204")
        .await
        .unwrap()
        .expect("周珺's lost card")
        .holder;
    let replacement: CaseSubmission = serde_json::from_value(json!({
        "case_no": "20261127-000095",
        "matter_code": "330122-RS-SB-003",
        "applicant": zhou,
        "accepted_at": "2026-11-27T09:30:00+08:00",
        "form": {"补换领原因": "遗失补领"},
        "attachments": [
            {"material_code": "001", "file_name": "身份证.pdf", "media_type": "application/pdf", "content_base64": "JVBERi0xLjQK"},
            {"material_code": "002", "file_name": "照片.jpg", "media_type": "image/jpeg", "content_base64": "/9j/4AAQ"}
        ]
    }))
    .unwrap();
    s.adapter.submit_case(&replacement).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut cancelled = Vec::new();
    while cancelled.len() < 2 {
        assert!(Instant::now() < deadline, "{cancelled:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
        let (_, licenses) = s.events_now(&mut cursor).await;
        cancelled.extend(licenses);
    }
    let numbers: Vec<(&str, LicenseStatus)> = cancelled
        .iter()
        .map(|e| (e.license.number.as_str(), e.license.status))
        .collect();
    assert_eq!(
        numbers,
        [
            ("D33011204", LicenseStatus::Revoked),
            ("D33011298", LicenseStatus::Revoked)
        ],
        "周珺's old cards are cancelled when the new one is issued"
    );
    assert!(
        cancelled[0].note.contains("平台办件编号20261127-000095"),
        "{}",
        cancelled[0].note
    );
}
