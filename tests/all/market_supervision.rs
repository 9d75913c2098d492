//! The market-supervision adapter against the running mock 县市场监督管理局
//! system: every function, and the legacy system's bad days.

use std::time::{Duration, Instant};

use legacy_systems::market_supervision::{self as mock, Fault};
use onewindow::adapter::{Adapter as _, CallError};
use onewindow::model::{AdapterError, CaseStatus, CaseSubmission, LicenseStatus, Party};
use onewindow_tests::Department;
use onewindow_tests::adapter_test::{self, AdapterTest};

type Setup = AdapterTest<mock::Handle>;

async fn setup() -> Setup {
    AdapterTest::start(
        |_| mock::start("127.0.0.1:0".parse().unwrap(), adapter_test::mock_config()),
        Department::market_supervision,
    )
    .await
}

fn submission(case_no: &str) -> CaseSubmission {
    let text = std::fs::read_to_string(
        onewindow_tests::repo_root().join("examples/requests/enterprise-registration.json"),
    )
    .unwrap();
    let mut submission: CaseSubmission = serde_json::from_str(&text).unwrap();
    submission.case_no = case_no.into();
    submission
}

#[tokio::test]
async fn the_catalogue_comes_from_the_legacy_system() {
    let s = setup().await;
    let matters = s.adapter.list_matters().await.unwrap();
    assert!(matters.len() >= 12, "{} matters", matters.len());
    let registration = matters
        .iter()
        .find(|m| m.name == "企业设立登记")
        .expect("企业设立登记 is in the catalogue");
    assert_eq!(registration.department, "县市场监督管理局");
    assert!(registration.promised_days <= registration.legal_days);
    assert!(
        registration
            .materials
            .iter()
            .any(|m| m.license_type.as_deref() == Some("居民身份证")),
        "an ID card can stand in for a material"
    );
    assert!(matters.iter().any(|m| m.name == "食品经营许可"));
}

#[tokio::test]
async fn a_case_is_submitted_once_and_completes_with_a_business_license() {
    let s = setup().await;
    let case = submission("20261127-000042");
    let reference = s.adapter.submit_case(&case).await.unwrap();
    assert!(!reference.is_empty());
    let again = s.adapter.submit_case(&case).await.unwrap();
    assert_eq!(again, reference, "resubmitting gives the same reference");
    let stats = s.mock.stats();
    assert_eq!((stats.cases, stats.duplicates), (1, 1));

    // Follow the events with the cursor until the case completes.
    let mut cursor: Option<String> = None;
    let mut statuses = Vec::new();
    let mut license = None;
    let deadline = Instant::now() + Duration::from_secs(15);
    while license.is_none() && Instant::now() < deadline {
        let page = s.adapter.case_events(cursor.as_deref()).await.unwrap();
        for event in page.events {
            assert_eq!(event.case_no, "20261127-000042");
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
    let license = license.expect("the completed case issued a license");
    assert_eq!(license.type_name, "营业执照");
    assert_eq!(license.status, LicenseStatus::Valid);
    let Party::Organization { credit_code, name } = &license.holder else {
        panic!("a business license is held by an organization");
    };
    assert_eq!(name, "桐庐晓东茶业有限公司");
    onewindow_codes::credit_code::validate(credit_code).expect("a valid new credit code");
    assert_eq!(license.face["legal-representative"], "陈晓东");

    // Reading the cursor again from the end gives nothing new.
    let page = s.adapter.case_events(cursor.as_deref()).await.unwrap();
    assert!(page.events.is_empty());

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
async fn licenses_are_found_and_verified() {
    let s = setup().await;
    let holder = Party::Organization {
        credit_code: "91330122704218653L".into(),
        name: "桐庐富春蜂语蜂业有限公司".into(),
    };
    let licenses = s.adapter.licenses_by_holder(&holder).await.unwrap();
    assert_eq!(licenses.len(), 1);
    assert_eq!(licenses[0].holder, holder);
    assert_eq!(licenses[0].issued_on, "2019-07-02");
    assert_eq!(licenses[0].valid_until, None, "长期 has no end date");

    let unknown = s
        .adapter
        .verify_license("YYZZ", "91330122MA2H1234XM")
        .await
        .unwrap();
    assert_eq!(unknown, None);
    let person = Party::Person {
        id_number: "11010519491231002X".into(),
        name: "陈晓东".into(),
    };
    assert!(
        s.adapter
            .licenses_by_holder(&person)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Every bad day becomes the adapter's own `unavailable` answer, never a trap.
#[tokio::test]
async fn the_legacy_systems_bad_days_are_adapter_errors_with_a_reason() {
    let s = setup().await;
    let cases = [
        (Fault::Truncated, "truncated"),
        (Fault::WrongEncoding, "UTF-8"),
        (Fault::MissingElement, "<SXMC>"),
        (Fault::Down, "503"),
    ];
    for (fault, expected) in cases {
        s.mock.set_fault(fault);
        let err = s.adapter.list_matters().await.unwrap_err();
        let CallError::Adapter {
            error: AdapterError::Unavailable(message),
            ..
        } = &err
        else {
            panic!("{fault:?}: expected unavailable, got {err:?}");
        };
        assert!(message.contains(expected), "{fault:?}: {message}");
        assert!(err.is_retryable());
    }
    s.mock.set_fault(Fault::MissingElement);
    let err = s
        .adapter
        .submit_case(&submission("20261127-000043"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("YWLSH"), "{err}");

    s.mock.set_fault(Fault::None);
    assert!(
        s.adapter.list_matters().await.is_ok(),
        "the next good day works"
    );

    s.mock.shutdown().await;
    let err = s.adapter.list_matters().await.unwrap_err();
    assert!(
        matches!(&err, CallError::Adapter { error: AdapterError::Unavailable(m), .. } if m.contains("cannot reach")),
        "{err:?}"
    );
}
