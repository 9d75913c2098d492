//! The tax adapter against the running mock 县税务局 征管 system: every
//! function, a license from another department passed through, and the legacy
//! system's bad days.

use std::time::{Duration, Instant};

use legacy_systems::tax::{self as mock, Fault};
use onewindow::adapter::{Adapter as _, CallError};
use onewindow::model::{
    AdapterError, Attachment, CaseEvent, CaseStatus, CaseSubmission, FieldKind, LicenseStatus,
    Party, PartyField,
};
use onewindow_tests::Department;
use onewindow_tests::adapter_test::{self, AdapterTest, adapter_error};

type Setup = AdapterTest<mock::Handle>;

async fn setup() -> Setup {
    AdapterTest::start(
        |_| mock::start("127.0.0.1:0".parse().unwrap(), adapter_test::mock_config()),
        Department::tax,
    )
    .await
}

/// A new enterprise's credit code (not yet registered for tax), as after 企业设立登记.
fn new_enterprise() -> String {
    let body = "91330122MA2T0C1K8";
    format!(
        "{body}{}",
        onewindow_codes::credit_code::check_char(body).unwrap()
    )
}

/// 发票申领 by a new enterprise, reusing its 营业执照 (issued by 县市场监督管理局) and
/// the agent's 居民身份证 (issued by 县公安局) instead of the materials.
fn submission(case_no: &str, credit_code: &str, form: serde_json::Value) -> CaseSubmission {
    serde_json::from_value(serde_json::json!({
        "case_no": case_no,
        "matter_code": mock::INVOICE_APPLICATION,
        "applicant": {"type": "organization", "credit_code": credit_code, "name": "桐庐晓东茶业有限公司"},
        "accepted_at": "2026-11-27T09:30:00+08:00",
        "form": form,
        "attachments": [{
            "material_code": "003",
            "file_name": "纳税人领用发票票种核定表.pdf",
            "media_type": "application/pdf",
            "content_base64": "JVBERi0xLjQK"
        }],
        "licenses": [
            {
                "material_code": "001",
                "license": {
                    "type_code": "YYZZ",
                    "type_name": "营业执照",
                    "number": credit_code,
                    "holder": {"type": "organization", "credit_code": credit_code, "name": "桐庐晓东茶业有限公司"},
                    "issuer": "县市场监督管理局",
                    "issued_on": "2026-11-27",
                    "valid_until": null,
                    "status": "valid",
                    "face": {
                        "name": "桐庐晓东茶业有限公司",
                        "credit-code": credit_code,
                        "legal-representative": "陈晓东"
                    }
                }
            },
            {
                "material_code": "002",
                "license": {
                    "type_code": "SFZ",
                    "type_name": "居民身份证",
                    "number": "330122199203154327",
                    "holder": {"type": "person", "id_number": "330122199203154327", "name": "李堃"},
                    "issuer": "桐庐县公安局",
                    "issued_on": "2020-03-15",
                    "valid_until": "2040-03-15",
                    "status": "valid",
                    "face": {}
                }
            }
        ]
    }))
    .unwrap()
}

async fn mock_case(mock: &mock::Handle, reference: &str) -> serde_json::Value {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("http://{}/_mock/cases/{reference}", mock.addr()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Reads `cases.events` from `cursor` on until the events of `case_no` seen so
/// far include `status` (the cursor moves on); panics after 15 s.
async fn events_until(
    s: &Setup,
    cursor: &mut Option<String>,
    seen: &mut Vec<CaseEvent>,
    case_no: &str,
    status: CaseStatus,
) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !seen.iter().any(|e| e.status == status) {
        assert!(
            Instant::now() < deadline,
            "case {case_no} never reached {status:?}: {seen:#?}"
        );
        let page = s.adapter.case_events(cursor.as_deref()).await.unwrap();
        seen.extend(page.events.into_iter().filter(|e| e.case_no == case_no));
        *cursor = page.next_cursor.or(cursor.take());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[track_caller]
fn refusal(result: Result<(), CallError>) -> String {
    match result {
        Err(CallError::Adapter {
            error: AdapterError::Refused(reason),
            ..
        }) => reason,
        other => panic!("expected the department's refusal, got {other:?}"),
    }
}

fn signed_form() -> Vec<Attachment> {
    vec![Attachment {
        material_code: "003".into(),
        file_name: "纳税人领用发票票种核定表（签章）.pdf".into(),
        media_type: "application/pdf".into(),
        content_base64: b"%PDF-1.4 stamped".to_vec(),
    }]
}

#[tokio::test]
async fn the_catalogue_comes_from_the_legacy_system() {
    let s = setup().await;
    let matters = s.adapter.list_matters().await.unwrap();
    assert!(matters.len() >= 6, "{} matters", matters.len());
    assert!(matters.iter().all(|m| m.department == "县税务局"));
    assert!(matters.iter().all(|m| m.promised_days <= m.legal_days));
    let invoices = matters
        .iter()
        .find(|m| m.code == "330122-SW-FP-001")
        .expect("发票申领 is in the catalogue");
    assert_eq!(invoices.name, "发票申领");
    assert_eq!(invoices.promised_days, 1);
    let license_types: Vec<_> = invoices
        .materials
        .iter()
        .map(|m| (m.name.as_str(), m.license_type.as_deref()))
        .collect();
    assert!(license_types.contains(&("营业执照", Some("营业执照"))));
    assert!(license_types.contains(&("经办人身份证件", Some("居民身份证"))));
    for name in [
        "税务登记信息确认",
        "发票票种核定",
        "清税申报",
        "代开增值税发票",
    ] {
        assert!(matters.iter().any(|m| m.name == name), "{name}");
    }
}

#[tokio::test]
async fn the_catalogues_matters_carry_their_declared_form_fields() {
    let s = setup().await;
    let matters = s.adapter.list_matters().await.unwrap();
    for matter in &matters {
        assert!(!matter.form.is_empty(), "{} declares its form", matter.name);
        assert!(
            matter
                .form
                .iter()
                .all(|f| f.key != "模拟结果" && f.key != "不予核准原因"),
            "{}: the mock's test switches are no form fields",
            matter.name
        );
    }
    let invoices = matters
        .iter()
        .find(|m| m.code == mock::INVOICE_APPLICATION)
        .unwrap();
    let fields: Vec<_> = invoices
        .form
        .iter()
        .map(|f| (f.key.as_str(), f.required, f.from_party))
        .collect();
    assert_eq!(
        fields,
        [
            ("发票种类", false, None),
            ("单份发票最高开票限额", false, None),
            ("每月最高领用数量", false, None),
            ("领用方式", false, None),
            ("经办人", false, None),
            ("法定代表人", false, Some(PartyField::LegalRepresentative)),
        ],
        "every field of the record has a default at the department"
    );
    let FieldKind::Choice { options } = &invoices.form[1].kind else {
        panic!("单份发票最高开票限额 is a choice: {:?}", invoices.form[1]);
    };
    assert_eq!(options, &["一万元", "十万元", "一百万元", "一千万元"]);
    assert_eq!(invoices.form[2].kind, FieldKind::Text);
    let record = matters
        .iter()
        .find(|m| m.name == "开具个人所得税纳税记录")
        .unwrap();
    assert!(
        record
            .form
            .iter()
            .any(|f| f.kind == FieldKind::Date && f.required)
    );
}

#[tokio::test]
async fn a_case_waits_for_its_supplement_and_goes_on_once_handed_in() {
    let s = setup().await;
    let case_no = "20261127-000044";
    let case = submission(
        case_no,
        &new_enterprise(),
        serde_json::json!({"模拟结果": "补正"}),
    );
    s.adapter.submit_case(&case).await.unwrap();

    let (mut cursor, mut seen) = (None, Vec::new());
    events_until(
        &s,
        &mut cursor,
        &mut seen,
        case_no,
        CaseStatus::SupplementRequested,
    )
    .await;
    assert!(seen.last().unwrap().note.contains("请补正"), "{seen:?}");
    // Held: however many stages pass, the system waits for the materials.
    tokio::time::sleep(adapter_test::STAGE * 10).await;
    let page = s.adapter.case_events(cursor.as_deref()).await.unwrap();
    assert!(page.events.is_empty(), "{:?}", page.events);
    assert_eq!(mock_case(&s.mock, case_no).await["status"], "20");

    s.adapter
        .supplement_case(case_no, &signed_form(), "补交签章的票种核定表")
        .await
        .unwrap();
    s.adapter
        .supplement_case(case_no, &signed_form(), "补交签章的票种核定表")
        .await
        .expect("the same supplement again is accepted");
    let stored = mock_case(&s.mock, case_no).await;
    let supplements = stored["supplements"].as_array().unwrap();
    assert_eq!(supplements.len(), 1, "{stored:#}");
    assert_eq!(supplements[0]["bzsm"], "补交签章的票种核定表");
    let file = &supplements[0]["fj"][0];
    assert_eq!(file["clbm"], "003");
    assert_eq!(file["wjm"], "纳税人领用发票票种核定表（签章）.pdf");
    assert_eq!(file["lx"], "application/pdf");
    assert_eq!(file["size"], 16);
    assert_eq!(stored["repeated_supplements"], 1);

    events_until(&s, &mut cursor, &mut seen, case_no, CaseStatus::Completed).await;
    let statuses: Vec<_> = seen.iter().map(|e| e.status).collect();
    assert_eq!(
        statuses,
        [
            CaseStatus::InReview,
            CaseStatus::SupplementRequested,
            CaseStatus::InReview,
            CaseStatus::Approved,
            CaseStatus::Completed
        ]
    );
    assert_eq!(seen[2].note, "补正资料已收到，继续审核");
    assert!(seen[4].issued.is_some(), "the record is issued after all");

    let mut other = signed_form();
    other[0].content_base64 = b"%PDF-1.4 another".to_vec();
    let reason = refusal(s.adapter.supplement_case(case_no, &other, "").await);
    assert!(reason.contains("未通知补正"), "{reason}");
    let err = s
        .adapter
        .supplement_case("20261127-000999", &signed_form(), "")
        .await
        .unwrap_err();
    assert!(
        matches!(adapter_error(&err), AdapterError::NotFound(m) if m.contains("20261127-000999")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_withdrawn_case_stops_and_a_decided_one_cannot_be_withdrawn() {
    let s = setup().await;
    let (withdrawn, decided) = ("20261127-000045", "20261127-000046");
    let case = submission(withdrawn, &new_enterprise(), serde_json::json!({}));
    s.adapter.submit_case(&case).await.unwrap();
    s.adapter
        .withdraw_case(withdrawn, "纳税人决定暂不申领发票")
        .await
        .unwrap();
    s.adapter
        .withdraw_case(withdrawn, "纳税人决定暂不申领发票")
        .await
        .expect("withdrawing a withdrawn case succeeds");
    let stored = mock_case(&s.mock, withdrawn).await;
    assert_eq!(stored["status"], "60");
    assert_eq!(stored["withdrawal"]["chyy"], "纳税人决定暂不申领发票");
    let steps_when_withdrawn = stored["history"].as_array().unwrap().len();

    // The other case runs to its end meanwhile; the withdrawn one takes no step.
    let other = submission(decided, "91330122704218653L", serde_json::json!({}));
    s.adapter.submit_case(&other).await.unwrap();
    let (mut cursor, mut seen) = (None, Vec::new());
    events_until(&s, &mut cursor, &mut seen, decided, CaseStatus::Completed).await;
    let stored = mock_case(&s.mock, withdrawn).await;
    assert_eq!(stored["status"], "60");
    assert_eq!(
        stored["history"].as_array().unwrap().len(),
        steps_when_withdrawn
    );
    assert!(stored["issued_record"].is_null());

    let reason = refusal(s.adapter.withdraw_case(decided, "纳税人改变主意").await);
    assert!(reason.contains("不能撤回"), "{reason}");
    assert_eq!(
        mock_case(&s.mock, decided).await["status"],
        "50",
        "the decided case keeps its status"
    );
    let err = s
        .adapter
        .withdraw_case("20261127-000999", "纳税人决定暂不申领发票")
        .await
        .unwrap_err();
    assert!(
        matches!(adapter_error(&err), AdapterError::NotFound(_)),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_invoice_application_is_submitted_once_and_completes_with_a_record() {
    let s = setup().await;
    let code = new_enterprise();
    let case = submission(
        "20261127-000042",
        &code,
        serde_json::json!({"经办人": "李堃", "每月最高领用数量": "50份", "备注": "首次申领\n邮寄至公司住所"}),
    );
    let reference = s.adapter.submit_case(&case).await.unwrap();
    assert!(reference.starts_with("SW330122"), "{reference}");
    let again = s.adapter.submit_case(&case).await.unwrap();
    assert_eq!(again, reference, "resubmitting gives the same reference");
    let stats = s.mock.stats();
    assert_eq!((stats.cases, stats.duplicates), (1, 1));

    // The licenses from other departments reached the system in its own terms.
    let stored = mock_case(&s.mock, "20261127-000042").await;
    assert_eq!(stored["ywlsh"], reference.as_str());
    assert_eq!(stored["slsj"], "2026-11-27 09:30:00");
    let business_license = &stored["licenses"][0];
    assert_eq!(business_license["clbm"], "001");
    assert_eq!(business_license["zzlxdm"], "YYZZ");
    assert_eq!(business_license["zzlxmc"], "营业执照");
    assert_eq!(business_license["zzbh"], code.as_str());
    assert_eq!(business_license["nsrsbh"], code.as_str());
    assert_eq!(business_license["nsrmc"], "桐庐晓东茶业有限公司");
    assert_eq!(business_license["fddbr"], "陈晓东");
    assert_eq!(business_license["fzjg"], "县市场监督管理局");
    assert_eq!(business_license["yxqz"], "长期");
    let id_card = &stored["licenses"][1];
    assert_eq!(id_card["zzlxmc"], "居民身份证");
    assert_eq!(id_card["nsrsbh"], "330122199203154327");
    assert_eq!(id_card["nsrmc"], "李堃");
    assert_eq!(id_card["fzjg"], "桐庐县公安局");
    assert_eq!(id_card["yxqz"], "2040-03-15");
    let remark = stored["form"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["mc"] == "备注")
        .expect("the form reached the system");
    assert_eq!(remark["z"], "首次申领\n邮寄至公司住所");
    assert_eq!(stored["attachments"][0]["size"], 9);

    // Follow the events with the cursor until the case completes.
    let mut cursor: Option<String> = None;
    let mut statuses = Vec::new();
    let mut license = None;
    let deadline = Instant::now() + Duration::from_secs(15);
    while license.is_none() && Instant::now() < deadline {
        let page = s.adapter.case_events(cursor.as_deref()).await.unwrap();
        for event in page.events {
            assert_eq!(event.case_no, "20261127-000042");
            assert!(event.at.ends_with("+08:00"), "{}", event.at);
            statuses.push(event.status);
            if event.status == CaseStatus::Completed {
                license = event.issued;
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
    let license = license.expect("the completed case issued a 发票领用 record");
    assert_eq!(license.type_code, "FPLY");
    assert_eq!(license.type_name, "发票领用");
    assert_eq!(license.status, LicenseStatus::Valid);
    assert_eq!(license.issuer, "县税务局");
    assert_eq!(license.valid_until, None);
    assert_eq!(
        license.holder,
        Party::Organization {
            credit_code: code.clone(),
            name: "桐庐晓东茶业有限公司".into()
        }
    );
    assert_eq!(license.face["agent"], "李堃");
    assert_eq!(license.face["monthly-quantity"], "50份");
    assert_eq!(license.face["taxpayer-id"], code);

    // Reading the cursor again from the end gives nothing new.
    let page = s.adapter.case_events(cursor.as_deref()).await.unwrap();
    assert!(page.events.is_empty());
    assert!(!page.more);

    let held = s.adapter.licenses_by_holder(&license.holder).await.unwrap();
    assert_eq!(held, vec![license.clone()]);
    let verified = s
        .adapter
        .verify_license(&license.type_code, &license.number)
        .await
        .unwrap();
    assert_eq!(verified, Some(license));
}

#[tokio::test]
async fn seeded_records_are_found_and_verified() {
    let s = setup().await;
    let holder = Party::Organization {
        credit_code: "91330122MA28K7R3B2".into(),
        name: "杭州桐江智能装备股份有限公司".into(),
    };
    let records = s.adapter.licenses_by_holder(&holder).await.unwrap();
    assert_eq!(records.len(), 2);
    assert!(records.iter().all(|r| r.holder == holder));
    // A rare character of the agent's name survived GBK both ways.
    assert_eq!(records[0].face["agent"], "钟镕");
    let verified = s
        .adapter
        .verify_license("FPLY", &records[1].number)
        .await
        .unwrap();
    assert_eq!(verified.as_ref(), Some(&records[1]));

    let cancelled = s
        .adapter
        .licenses_by_holder(&Party::Organization {
            credit_code: "913301226829027431".into(),
            name: "杭州桐庐恒昌纺织有限公司".into(),
        })
        .await
        .unwrap();
    assert_eq!(cancelled[0].status, LicenseStatus::Revoked);

    // Unknown taxpayers, people and other license types hold nothing here.
    let unknown = Party::Organization {
        credit_code: new_enterprise(),
        name: "桐庐晓东茶业有限公司".into(),
    };
    assert!(
        s.adapter
            .licenses_by_holder(&unknown)
            .await
            .unwrap()
            .is_empty()
    );
    let person = Party::Person {
        id_number: "330122199203154327".into(),
        name: "李堃".into(),
    };
    assert!(
        s.adapter
            .licenses_by_holder(&person)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.adapter
            .verify_license("FPLY", "FPLY330122209901010001")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        s.adapter
            .verify_license("YYZZ", "91330122MA28K7R3B2")
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn refusals_reach_the_clerk_and_pushes_are_not_accepted() {
    let s = setup().await;
    let mut by_person = submission("20261127-000050", &new_enterprise(), serde_json::json!({}));
    by_person.applicant = Party::Person {
        id_number: "330122199203154327".into(),
        name: "李堃".into(),
    };
    let err = s.adapter.submit_case(&by_person).await.unwrap_err();
    assert!(
        matches!(adapter_error(&err), AdapterError::Refused(m) if m.contains("单位纳税人")),
        "{err:?}"
    );
    let abnormal = submission(
        "20261127-000051",
        "91330122697004128L",
        serde_json::json!({}),
    );
    let err = s.adapter.submit_case(&abnormal).await.unwrap_err();
    assert!(
        matches!(adapter_error(&err), AdapterError::Refused(m) if m.contains("非正常户")),
        "{err:?}"
    );
    let mut unknown = submission("20261127-000052", &new_enterprise(), serde_json::json!({}));
    unknown.matter_code = "330122-SW-XX-999".into();
    let err = s.adapter.submit_case(&unknown).await.unwrap_err();
    assert!(
        matches!(adapter_error(&err), AdapterError::NotFound(m) if m.contains("330122-SW-XX-999")),
        "{err:?}"
    );
    assert_eq!(s.mock.stats().cases, 0);

    let err = s
        .adapter
        .on_notify(
            &onewindow_tests::content_type("text/plain; charset=GBK"),
            b"fhdm=0\r\njsbz=1\r\n",
        )
        .await
        .unwrap_err();
    assert!(
        matches!(adapter_error(&err), AdapterError::Invalid(m) if m.contains("does not push")),
        "{err:?}"
    );
    assert!(!err.is_retryable());
}

/// Every bad day becomes the adapter's own `unavailable` answer, never a trap.
#[tokio::test]
async fn the_legacy_systems_bad_days_are_adapter_errors_with_a_reason() {
    let s = setup().await;
    let cases = [
        (Fault::Truncated, "truncated"),
        (Fault::WrongEncoding, "declared charset UTF-8"),
        (Fault::MissingElement, "has no sx.1.mc"),
        (Fault::UnknownCode, "sx.1.sxlx=ZZ"),
        (Fault::EndlessPages, "would never end"),
        (Fault::Down, "HTTP 503"),
    ];
    for (fault, expected) in cases {
        s.mock.set_fault(fault);
        let err = s.adapter.list_matters().await.unwrap_err();
        let AdapterError::Unavailable(message) = adapter_error(&err) else {
            panic!("{fault:?}: expected unavailable, got {err:?}");
        };
        assert!(message.contains(expected), "{fault:?}: {message}");
        assert!(err.is_retryable());
    }

    s.mock.set_fault(Fault::MissingElement);
    let case = submission("20261127-000043", &new_enterprise(), serde_json::json!({}));
    let err = s.adapter.submit_case(&case).await.unwrap_err();
    assert!(err.to_string().contains("ywlsh"), "{err}");
    s.mock.set_fault(Fault::UnknownCode);
    let err = s.adapter.submit_case(&case).await.unwrap_err();
    assert!(err.to_string().contains("fhdm=8001"), "{err}");

    // Wait for the case's first change, then page through it endlessly.
    s.mock.set_fault(Fault::None);
    let deadline = Instant::now() + Duration::from_secs(10);
    while s.adapter.case_events(None).await.unwrap().events.is_empty() {
        assert!(Instant::now() < deadline, "no change arrived");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    s.mock.set_fault(Fault::EndlessPages);
    let err = s.adapter.case_events(None).await.unwrap_err();
    assert!(err.to_string().contains("did not advance"), "{err}");
    s.mock.set_fault(Fault::UnknownCode);
    let err = s.adapter.case_events(None).await.unwrap_err();
    assert!(err.to_string().contains("zt.1.ztdm=99"), "{err}");
    s.mock.set_fault(Fault::Truncated);
    let err = s.adapter.case_events(Some("0")).await.unwrap_err();
    assert!(err.to_string().contains("BJZT is truncated"), "{err}");
    let err = s.adapter.case_events(Some("later")).await.unwrap_err();
    assert!(
        matches!(adapter_error(&err), AdapterError::Invalid(m) if m.contains("\"later\"")),
        "{err:?}"
    );

    // Slower than the adapter waits: it gives up before the host's call timeout.
    s.mock.set_fault(Fault::Slow(Duration::from_millis(4500)));
    let err = s.adapter.list_matters().await.unwrap_err();
    assert!(
        matches!(adapter_error(&err), AdapterError::Unavailable(m) if m.contains("in time")),
        "{err:?}"
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
