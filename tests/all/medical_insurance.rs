//! The medical-insurance adapter, written in JavaScript (componentize-js),
//! against the running mock 县医疗保障局 医保经办服务, a WCF JSON service: a
//! login and its session cookie on every call, `{"d": …}` answers,
//! `\/Date(ms+0800)\/` dates, .NET exceptions, and the service's bad days.

use std::time::{Duration, Instant};

use legacy_systems::medical_insurance::{self as mock, Fault, Sessions};
use onewindow::adapter::Adapter as _;
use onewindow::model::{
    AdapterError, Attachment, CaseStatus, CaseSubmission, FieldKind, LicenseStatus, MatterKind,
    Party, PartyField,
};
use onewindow_tests::Department;
use onewindow_tests::adapter_test::{self, AdapterTest, adapter_error, statuses};
use serde_json::json;

const ZHOU: &str = "330122199003071236";
const ZHOU_NAME: &str = "周珺";

const ENROLMENT: &str = "330122-YB-GG-001";
const REIMBURSEMENT: &str = "330122-YB-JF-001";
const FILING: &str = "330122-YB-GG-002";

type Setup = AdapterTest<mock::Handle>;

async fn setup() -> Setup {
    setup_with(adapter_test::STAGE, |d| d).await
}

/// With each lifecycle stage taking `stage`, and the department's adapter
/// package as `department` makes it.
async fn setup_with(stage: Duration, department: impl FnOnce(Department) -> Department) -> Setup {
    let config = mock::Config {
        stage,
        ..adapter_test::mock_config()
    };
    AdapterTest::start(
        |_| mock::start("127.0.0.1:0".parse().unwrap(), config, Sessions::default()),
        |mock| {
            department(Department::medical_insurance(mock).with_config(r#"timeout-ms = "1000""#))
        },
    )
    .await
}

fn submission(
    case_no: &str,
    matter_code: &str,
    form: serde_json::Value,
    files: serde_json::Value,
) -> CaseSubmission {
    serde_json::from_value(json!({
        "case_no": case_no,
        "matter_code": matter_code,
        "applicant": {"type": "person", "id_number": ZHOU, "name": ZHOU_NAME},
        "accepted_at": "2026-12-07T09:30:00+08:00",
        "form": form,
        "attachments": files,
        "licenses": [{
            "material_code": "01",
            "license": {
                "type_code": "JMSFZ", "type_name": "居民身份证", "number": ZHOU,
                "holder": {"type": "person", "id_number": ZHOU, "name": ZHOU_NAME},
                "issuer": "县公安局", "issued_on": "2016-05-04", "valid_until": null,
                "status": "valid", "face": {"name": ZHOU_NAME}
            }
        }]
    }))
    .unwrap()
}

fn pdf(code: &str, name: &str) -> serde_json::Value {
    json!({"material_code": code, "file_name": name, "media_type": "application/pdf", "content_base64": "JVBERi0xLjQ="})
}

fn enrolment(case_no: &str) -> CaseSubmission {
    submission(
        case_no,
        ENROLMENT,
        json!({"category": "成年居民", "grade": "一档", "phone": "13905710000"}),
        json!([pdf("02", "户口簿.pdf")]),
    )
}

fn reimbursement(case_no: &str, visit: &str, amount: u32) -> CaseSubmission {
    submission(
        case_no,
        REIMBURSEMENT,
        json!({"hospital": "浙江大学医学院附属第一医院", "visitDate": visit,
               "amount": amount.to_string(), "reason": "异地急诊"}),
        json!([pdf("02", "发票.pdf"), pdf("03", "费用明细.pdf")]),
    )
}

#[tokio::test]
async fn the_catalogue_comes_from_the_javascript_adapter_with_forms_and_license_types() {
    let s = setup().await;
    let matters = s.adapter.list_matters().await.unwrap();
    let codes: Vec<&str> = matters.iter().map(|m| m.code.as_str()).collect();
    assert_eq!(codes, [ENROLMENT, REIMBURSEMENT, FILING]);
    let enrolment = &matters[0];
    assert_eq!(enrolment.name, "城乡居民基本医疗保险参保登记");
    assert_eq!(enrolment.department, "县医疗保障局");
    assert_eq!(enrolment.kind, MatterKind::PublicService);
    assert_eq!(
        (
            enrolment.legal_days,
            enrolment.promised_days,
            enrolment.visits
        ),
        (5, 1, 0)
    );
    assert!(enrolment.online);
    assert_eq!(
        enrolment.materials[1].license_type.as_deref(),
        Some("居民户口簿")
    );
    let category = &enrolment.form[0];
    assert_eq!(
        category.kind,
        FieldKind::Choice {
            options: vec!["成年居民".into(), "未成年人".into(), "在校大学生".into()]
        }
    );
    let phone = enrolment.form.iter().find(|f| f.key == "phone").unwrap();
    assert_eq!(phone.from_party, Some(PartyField::Phone));
    let reimbursement = &matters[1];
    assert_eq!(reimbursement.kind, MatterKind::AdministrativePayment);
    assert!(!reimbursement.materials[3].required);
    let kinds: Vec<&FieldKind> = reimbursement.form.iter().map(|f| &f.kind).collect();
    assert_eq!(kinds[1..3], [&FieldKind::Date, &FieldKind::Number]);
    assert_eq!(matters[2].form[1].kind, FieldKind::Address);
}

/// 参保登记 issues a 参保凭证, dated from the service's `\/Date(…)\/`, found by
/// its holder and its number; the service voiding it is a license event.
#[tokio::test]
async fn an_enrolment_issues_its_certificate_and_a_voided_one_is_a_license_event() {
    let s = setup().await;
    let mut cursor = None;
    let reference = s
        .adapter
        .submit_case(&enrolment("YB-T-0001"))
        .await
        .unwrap();
    assert!(reference.starts_with("YB2026"), "{reference}");
    assert_eq!(
        s.adapter
            .submit_case(&enrolment("YB-T-0001"))
            .await
            .unwrap(),
        reference
    );
    assert_eq!(s.mock.stats().duplicates, 1);

    let events = s
        .events_until("YB-T-0001", &mut cursor, CaseStatus::Completed)
        .await;
    assert_eq!(
        statuses(&events),
        [
            CaseStatus::InReview,
            CaseStatus::Approved,
            CaseStatus::Completed
        ]
    );
    assert!(events[0].at.ends_with("+08:00"), "{}", events[0].at);
    let license = events[2].issued.clone().expect("the 参保凭证");
    assert_eq!(license.type_code, "YBCBPZ");
    assert_eq!(
        license.holder,
        Party::Person {
            id_number: ZHOU.into(),
            name: ZHOU_NAME.into()
        }
    );
    // Issued today in Beijing, valid to the end of the year.
    assert_eq!(license.issued_on.len(), 10);
    let year = &license.issued_on[..4];
    assert_eq!(license.valid_until, Some(format!("{year}-12-31")));
    assert_eq!(license.status, LicenseStatus::Valid);
    assert!(
        license
            .face
            .iter()
            .any(|(k, v)| k == "参保类别" && v == "成年居民"),
        "{:?}",
        license.face
    );

    let held = s.adapter.licenses_by_holder(&license.holder).await.unwrap();
    assert_eq!(held, std::slice::from_ref(&license));
    let verified = s
        .adapter
        .verify_license("YBCBPZ", &license.number)
        .await
        .unwrap();
    assert_eq!(verified.as_ref(), Some(&license));
    assert_eq!(
        s.adapter
            .verify_license("YBCBPZ", "YB330122-2026-999999")
            .await
            .unwrap(),
        None
    );

    assert!(s.mock.revoke_license(&license.number));
    let (_, changes) = s.events_now(&mut cursor).await;
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].license.status, LicenseStatus::Revoked);
    assert!(changes[0].note.contains("作废"), "{}", changes[0].note);
}

/// A large claim without its 出院小结: 补正, then 专家评审 (a special
/// procedure), then paid.
#[tokio::test]
async fn a_large_claim_goes_through_supplement_and_expert_review() {
    // Stages long enough for the repeated 补正 to arrive before the decision.
    let s = setup_with(Duration::from_millis(400), |d| d).await;
    let mut cursor = None;
    s.adapter
        .submit_case(&reimbursement("YB-T-0002", "2026-11-20", 60_000))
        .await
        .unwrap();
    let asked = s
        .events_until("YB-T-0002", &mut cursor, CaseStatus::SupplementRequested)
        .await;
    assert!(asked.last().unwrap().note.contains("出院小结"), "{asked:?}");
    let summary = Attachment {
        material_code: "04".into(),
        file_name: "出院小结.pdf".into(),
        media_type: "application/pdf".into(),
        content_base64: b"%PDF-1.4".to_vec(),
    };
    for _ in 0..2 {
        s.adapter
            .supplement_case(
                "YB-T-0002",
                std::slice::from_ref(&summary),
                "已补充出院小结",
            )
            .await
            .unwrap();
    }
    let events = s
        .events_until("YB-T-0002", &mut cursor, CaseStatus::Completed)
        .await;
    assert_eq!(
        statuses(&events),
        [
            CaseStatus::InReview,
            CaseStatus::SpecialProcedure,
            CaseStatus::Approved,
            CaseStatus::Completed
        ]
    );
    let err = s
        .adapter
        .supplement_case("YB-T-0002", &[summary], "再补")
        .await
        .unwrap_err();
    assert!(
        matches!(adapter_error(&err), AdapterError::Refused(m) if m.contains("不需要补正")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_claim_past_the_time_limit_is_denied_with_the_departments_reason() {
    let s = setup().await;
    let mut cursor = None;
    s.adapter
        .submit_case(&reimbursement("YB-T-0003", "2025-06-01", 800))
        .await
        .unwrap();
    let events = s
        .events_until("YB-T-0003", &mut cursor, CaseStatus::Denied)
        .await;
    assert!(
        events.last().unwrap().note.contains("报销时限"),
        "{events:?}"
    );
}

#[tokio::test]
async fn a_withdrawal_reaches_the_department_until_it_has_decided() {
    let s = setup().await;
    let mut cursor = None;
    s.adapter
        .submit_case(&reimbursement("YB-T-0004", "2026-11-20", 800))
        .await
        .unwrap();
    s.adapter
        .withdraw_case("YB-T-0004", "已在参保地报销")
        .await
        .unwrap();
    s.adapter
        .withdraw_case("YB-T-0004", "已在参保地报销")
        .await
        .unwrap();

    let filing = submission(
        "YB-T-0005",
        FILING,
        json!({"kind": "异地长期居住", "place": "上海市浦东新区张江路1号", "from": "2026-12-10"}),
        json!([]),
    );
    s.adapter.submit_case(&filing).await.unwrap();
    s.events_until("YB-T-0005", &mut cursor, CaseStatus::Completed)
        .await;
    let err = s
        .adapter
        .withdraw_case("YB-T-0005", "不去了")
        .await
        .unwrap_err();
    let AdapterError::Refused(reason) = adapter_error(&err) else {
        panic!("expected refused, got {err:?}");
    };
    assert!(reason.contains("不能撤回"), "{reason}");
    let err = s.adapter.withdraw_case("YB-T-9999", "x").await.unwrap_err();
    assert!(
        matches!(adapter_error(&err), AdapterError::NotFound(_)),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_submission_the_service_rejects_is_invalid_with_its_message() {
    let s = setup().await;
    let mut wrong = reimbursement("YB-T-0006", "2026-11-20", 800);
    wrong.form.insert("reason".into(), "看病".into());
    let err = s.adapter.submit_case(&wrong).await.unwrap_err();
    let AdapterError::Invalid(message) = adapter_error(&err) else {
        panic!("expected invalid, got {err:?}");
    };
    assert!(
        message.contains("HTTP 400") && message.contains("reason"),
        "{message}"
    );
    assert_eq!(s.mock.stats().cases, 0);
}

/// A wrong password in the manifest is a wrong setting, not a bad day: the
/// adapter says so as `invalid`, naming where to look.
#[tokio::test]
async fn a_wrong_password_is_invalid_and_says_where_to_fix_it() {
    let s = setup_with(adapter_test::STAGE, |d| Department {
        config: d.config.replace(mock::DEFAULT_PASSWORD, "wrong-password"),
        ..d
    })
    .await;
    let err = s.adapter.list_matters().await.unwrap_err();
    let AdapterError::Invalid(message) = adapter_error(&err) else {
        panic!("expected invalid, got {err:?}");
    };
    assert!(
        message.contains("用户名或密码错误") && message.contains("password"),
        "{message}"
    );
}

#[tokio::test]
async fn the_services_bad_days_are_adapter_errors_with_a_reason() {
    let s = setup().await;
    let cases = [
        (Fault::Down, "HTTP 503"),
        (Fault::Truncated, "not well-formed JSON|not UTF-8"),
        (Fault::WrongEncoding, "not UTF-8 text"),
        (Fault::MissingElement, "has no d[0].Name (事项名称)"),
        (Fault::UnknownCode, "d[0].Kind (事项类型)"),
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
        assert!(
            expected.split('|').any(|e| message.contains(e)),
            "{fault:?}: {message}"
        );
        assert!(err.is_retryable());
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{fault:?} took {:?}",
            started.elapsed()
        );
    }
    s.mock.set_fault(Fault::None);
    assert_eq!(s.adapter.list_matters().await.unwrap().len(), 3);
}
