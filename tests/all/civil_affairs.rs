//! The civil-affairs adapter, written in Python (componentize-py), against the
//! running mock 县民政局 婚姻登记和社会救助信息系统: GB 18030 text with names
//! GBK cannot write, Chinese dates through the host's codecs, every function of
//! the contract, and the legacy system's bad days.

use std::time::{Duration, Instant};

use legacy_systems::civil_affairs::{self as mock, Fault};
use onewindow::adapter::Adapter as _;
use onewindow::model::{
    AdapterError, Attachment, CaseStatus, CaseSubmission, FieldKind, LicenseStatus, MatterKind,
    Party, PartyField,
};
use onewindow_tests::Department;
use onewindow_tests::adapter_test::{self, AdapterTest, adapter_error, statuses};
use serde_json::json;

/// 王䶮: `䶮` (U+4DAE) is outside GBK; GB 18030 writes it in two bytes (`FE 9F`).
const WANG: &str = "330122199003071236";
const WANG_NAME: &str = "王䶮";
/// 李𠈌: `𠈌` (U+2020C), outside the Basic Multilingual Plane, takes four.
const LI: &str = "330122199208152347";
const LI_NAME: &str = "李𠈌";
const ZHAO: &str = "33012219581201345X";

const MARRIAGE: &str = "330122-MZ-QR-001";
const DIBAO: &str = "330122-MZ-JF-001";
const RECORD: &str = "330122-MZ-GF-001";

type Setup = AdapterTest<mock::Handle>;

async fn setup() -> Setup {
    setup_with(adapter_test::STAGE).await
}

/// With each lifecycle stage taking `stage`.
async fn setup_with(stage: Duration) -> Setup {
    let config = mock::Config {
        stage,
        ..adapter_test::mock_config()
    };
    AdapterTest::start(
        |_| mock::start("127.0.0.1:0".parse().unwrap(), config),
        |mock| Department::civil_affairs(mock).with_config(r#"timeout-ms = "1000""#),
    )
    .await
}

fn file(material_code: &str, file_name: &str) -> serde_json::Value {
    json!({"material_code": material_code, "file_name": file_name,
           "media_type": "application/pdf", "content_base64": "JVBERi0xLjQ="})
}

fn submission(
    case_no: &str,
    matter_code: &str,
    (id_number, name): (&str, &str),
    form: serde_json::Value,
    files: Vec<serde_json::Value>,
) -> CaseSubmission {
    serde_json::from_value(json!({
        "case_no": case_no,
        "matter_code": matter_code,
        "applicant": {"type": "person", "id_number": id_number, "name": name},
        "accepted_at": "2026-12-07T09:30:00+08:00",
        "form": form,
        "attachments": files,
        "licenses": [{
            "material_code": "01",
            "license": {
                "type_code": "JMSFZ", "type_name": "居民身份证", "number": id_number,
                "holder": {"type": "person", "id_number": id_number, "name": name},
                "issuer": "县公安局", "issued_on": "2016-05-04", "valid_until": null,
                "status": "valid", "face": {"name": name}
            }
        }]
    }))
    .unwrap()
}

fn marriage(case_no: &str) -> CaseSubmission {
    submission(
        case_no,
        MARRIAGE,
        (WANG, WANG_NAME),
        json!({"DFXM": LI_NAME, "DFSFZ": LI, "DJRQ": "2026-12-08"}),
        vec![
            file("02", "户口簿.pdf"),
            file("03", "合影.jpg"),
            file("04", "声明.pdf"),
        ],
    )
}

fn dibao(case_no: &str, people: u32, income: u32) -> CaseSubmission {
    submission(
        case_no,
        DIBAO,
        (ZHAO, "赵秀英"),
        json!({"JTRK": people.to_string(), "YSR": income.to_string(),
               "JZDZ": "浙江省杭州市桐庐县城南街道白云源路8号", "LXDH": "13805710000",
               "SQLY": "丈夫病故，无固定收入"}),
        vec![file("02", "家庭经济状况声明.pdf")],
    )
}

#[tokio::test]
async fn the_catalogue_comes_from_the_python_adapter_with_forms_and_license_types() {
    let s = setup().await;
    let matters = s.adapter.list_matters().await.unwrap();
    let codes: Vec<&str> = matters.iter().map(|m| m.code.as_str()).collect();
    assert_eq!(codes, [MARRIAGE, DIBAO, RECORD]);
    let marriage = &matters[0];
    assert_eq!(marriage.name, "内地居民结婚登记");
    assert_eq!(marriage.department, "县民政局");
    assert_eq!(marriage.kind, MatterKind::AdministrativeConfirmation);
    assert_eq!(
        (marriage.legal_days, marriage.promised_days, marriage.visits),
        (1, 1, 1)
    );
    assert!(!marriage.online);
    assert_eq!(marriage.materials.len(), 4);
    assert_eq!(
        marriage.materials[0].license_type.as_deref(),
        Some("居民身份证")
    );
    assert_eq!(marriage.materials[2].license_type, None);
    let kinds: Vec<(&str, &FieldKind)> = marriage
        .form
        .iter()
        .map(|f| (f.key.as_str(), &f.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            ("DFXM", &FieldKind::Text),
            ("DFSFZ", &FieldKind::IdNumber),
            ("DJRQ", &FieldKind::Date)
        ]
    );
    let dibao = &matters[1];
    assert_eq!(dibao.kind, MatterKind::AdministrativePayment);
    assert_eq!(
        (dibao.legal_days, dibao.promised_days, dibao.visits),
        (30, 20, 0)
    );
    assert!(dibao.online);
    assert!(!dibao.materials[2].required);
    let address = dibao.form.iter().find(|f| f.key == "JZDZ").unwrap();
    assert_eq!(address.kind, FieldKind::Address);
    assert_eq!(address.from_party, Some(PartyField::Address));
    assert!(matters[2].form.is_empty());
}

/// A name GBK cannot write reaches the department and comes back on the
/// license it issues, and the license is found by its holder and its number.
#[tokio::test]
async fn a_marriage_registered_for_a_name_outside_gbk_issues_its_license() {
    let s = setup().await;
    let mut cursor = None;
    let reference = s.adapter.submit_case(&marriage("MZ-T-0001")).await.unwrap();
    assert!(reference.starts_with("MZ"), "{reference}");
    // Idempotent by the platform's case number.
    let again = s.adapter.submit_case(&marriage("MZ-T-0001")).await.unwrap();
    assert_eq!(again, reference);
    assert_eq!(s.mock.stats().duplicates, 1);

    let events = s
        .events_until("MZ-T-0001", &mut cursor, CaseStatus::Completed)
        .await;
    assert_eq!(
        statuses(&events),
        [
            CaseStatus::InReview,
            CaseStatus::Approved,
            CaseStatus::Completed
        ]
    );
    // Times are Beijing time in Chinese, read by the host's codecs.
    assert!(events[0].at.ends_with("+08:00"), "{}", events[0].at);
    let license = events[2].issued.clone().expect("the 结婚证");
    assert_eq!(license.type_name, "结婚证");
    assert_eq!(
        license.holder,
        Party::Person {
            id_number: WANG.into(),
            name: WANG_NAME.into()
        }
    );
    assert_eq!(license.status, LicenseStatus::Valid);
    assert_eq!(license.valid_until, None);
    let face: Vec<(&str, &str)> = license
        .face
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert!(face.contains(&("对方姓名", LI_NAME)), "{face:?}");

    let held = s.adapter.licenses_by_holder(&license.holder).await.unwrap();
    assert_eq!(held, std::slice::from_ref(&license));
    let verified = s
        .adapter
        .verify_license(&license.type_code, &license.number)
        .await
        .unwrap();
    assert_eq!(verified.as_ref(), Some(&license));
    assert_eq!(
        s.adapter
            .verify_license(&license.type_code, "J330122-2026-999999")
            .await
            .unwrap(),
        None
    );

    // A divorce at the department cancels the 结婚证: a license event.
    assert!(s.mock.revoke_license(&license.number));
    let (_, changes) = s.events_now(&mut cursor).await;
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].license.number, license.number);
    assert_eq!(changes[0].license.status, LicenseStatus::Revoked);
    assert!(changes[0].note.contains("注销"), "{}", changes[0].note);
}

/// 低保 for a household of four: the department asks for 补正, takes the
/// files, goes through 入户调查 and 公示 (a special procedure) and completes.
#[tokio::test]
async fn a_dibao_case_goes_through_supplement_and_a_special_procedure() {
    // Stages long enough for the repeated 补正 to arrive before the decision.
    let s = setup_with(Duration::from_millis(400)).await;
    let mut cursor = None;
    s.adapter
        .submit_case(&dibao("MZ-T-0002", 4, 2000))
        .await
        .unwrap();
    let asked = s
        .events_until("MZ-T-0002", &mut cursor, CaseStatus::SupplementRequested)
        .await;
    assert!(asked.last().unwrap().note.contains("收入证明"), "{asked:?}");
    let proof = Attachment {
        material_code: "02".into(),
        file_name: "收入证明.pdf".into(),
        media_type: "application/pdf".into(),
        content_base64: b"%PDF-1.4".to_vec(),
    };
    s.adapter
        .supplement_case("MZ-T-0002", std::slice::from_ref(&proof), "已补充")
        .await
        .unwrap();
    // Handing the same files in again changes nothing.
    s.adapter
        .supplement_case("MZ-T-0002", std::slice::from_ref(&proof), "已补充")
        .await
        .unwrap();
    let events = s
        .events_until("MZ-T-0002", &mut cursor, CaseStatus::Completed)
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
    // Not waiting for 补正 any more: the department refuses, with its reason.
    let err = s
        .adapter
        .supplement_case("MZ-T-0002", &[proof], "再补")
        .await
        .unwrap_err();
    assert!(
        matches!(adapter_error(&err), AdapterError::Refused(_)),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_household_over_the_standard_is_denied_with_the_departments_reason() {
    let s = setup().await;
    let mut cursor = None;
    s.adapter
        .submit_case(&dibao("MZ-T-0003", 2, 3000))
        .await
        .unwrap();
    let events = s
        .events_until("MZ-T-0003", &mut cursor, CaseStatus::Denied)
        .await;
    let note = &events.last().unwrap().note;
    assert!(note.contains("1500") && note.contains("870"), "{note}");
}

#[tokio::test]
async fn a_withdrawal_reaches_the_department_until_it_has_decided() {
    let s = setup().await;
    let mut cursor = None;
    s.adapter
        .submit_case(&dibao("MZ-T-0004", 1, 500))
        .await
        .unwrap();
    s.adapter
        .withdraw_case("MZ-T-0004", "不再申请")
        .await
        .unwrap();
    s.adapter
        .withdraw_case("MZ-T-0004", "不再申请")
        .await
        .unwrap();

    let record = submission("MZ-T-0005", RECORD, (WANG, WANG_NAME), json!({}), vec![]);
    s.adapter.submit_case(&record).await.unwrap();
    s.events_until("MZ-T-0005", &mut cursor, CaseStatus::Completed)
        .await;
    let err = s
        .adapter
        .withdraw_case("MZ-T-0005", "不办了")
        .await
        .unwrap_err();
    let AdapterError::Refused(reason) = adapter_error(&err) else {
        panic!("expected refused, got {err:?}");
    };
    assert!(reason.contains("不能撤回"), "{reason}");
    let err = s.adapter.withdraw_case("MZ-T-9999", "x").await.unwrap_err();
    assert!(
        matches!(adapter_error(&err), AdapterError::NotFound(_)),
        "{err:?}"
    );
}

/// The department's field check becomes `invalid` with its message, which
/// names the field; nothing is stored.
#[tokio::test]
async fn a_submission_the_department_rejects_is_invalid_with_its_message() {
    let s = setup().await;
    let mut incomplete = dibao("MZ-T-0006", 2, 500);
    incomplete.form.retain(|key, _| key != "JTRK");
    let err = s.adapter.submit_case(&incomplete).await.unwrap_err();
    let AdapterError::Invalid(message) = adapter_error(&err) else {
        panic!("expected invalid, got {err:?}");
    };
    assert!(
        message.contains("1002") && message.contains("JTRK"),
        "{message}"
    );
    assert_eq!(s.mock.stats().cases, 0);
}

/// Every bad day becomes the adapter's own `unavailable` answer naming what
/// was wrong, never a trap, and never a wait until the host's timeout.
#[tokio::test]
async fn the_legacy_systems_bad_days_are_adapter_errors_with_a_reason() {
    let s = setup().await;
    let cases = [
        (Fault::Down, "HTTP 503"),
        // Cut in the middle of a character or of the XML: either is said.
        (Fault::Truncated, "cut off|not well-formed XML|has no"),
        (Fault::WrongEncoding, "is not UTF-8 text"),
        (Fault::MissingElement, "SX[1]/SXMC (事项名称)"),
        (Fault::UnknownCode, "SXLX (事项类型) '08'"),
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

/// The grant holds for Python as for Rust: an endpoint the manifest does not
/// grant is refused by the host, and the adapter says so as `invalid` (a retry
/// cannot help), without the request leaving the sandbox.
#[tokio::test]
async fn an_endpoint_outside_the_grant_is_refused_by_the_host() {
    let s = AdapterTest::start(
        |_| mock::start("127.0.0.1:0".parse().unwrap(), adapter_test::mock_config()),
        |mock| Department {
            config: r#"endpoint = "http://127.0.0.1:9/mzxt/jk""#.into(),
            ..Department::civil_affairs(mock)
        },
    )
    .await;
    let err = s.adapter.list_matters().await.unwrap_err();
    let AdapterError::Invalid(message) = adapter_error(&err) else {
        panic!("expected invalid, got {err:?}");
    };
    assert!(
        message.contains("denied the request to http://127.0.0.1:9/mzxt/jk"),
        "{message}"
    );
    assert_eq!(s.mock.stats().requests, 0);
}
