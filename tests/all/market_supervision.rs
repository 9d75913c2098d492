//! The market-supervision adapter against the running mock 县市场监督管理局
//! system: every function, and the legacy system's bad days.

use std::time::{Duration, Instant};

use legacy_systems::market_supervision::{self as mock, Fault};
use onewindow::adapter::{Adapter as _, CallError};
use onewindow::model::{
    AdapterError, Attachment, CaseEvent, CaseStatus, CaseSubmission, FieldKind, LicenseStatus,
    Party, PartyField,
};
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

/// The stored case at the mock, as `GET /_mock/cases/{PTBJBH}` shows it.
async fn mock_case(mock: &mock::Handle, ptbjbh: &str) -> serde_json::Value {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("http://{}/_mock/cases/{ptbjbh}", mock.addr()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Reads `cases.events` from `cursor` on until `done` holds for the events of
/// `case_no` seen so far (the cursor moves on); panics after 15 s.
async fn events_until(
    s: &Setup,
    cursor: &mut Option<String>,
    seen: &mut Vec<CaseEvent>,
    case_no: &str,
    done: impl Fn(&[CaseEvent]) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !done(seen) {
        assert!(
            Instant::now() < deadline,
            "case {case_no} did not get there: {seen:#?}"
        );
        let page = s.adapter.case_events(cursor.as_deref()).await.unwrap();
        seen.extend(page.events.into_iter().filter(|e| e.case_no == case_no));
        *cursor = page.next_cursor.or(cursor.take());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn reached(status: CaseStatus) -> impl Fn(&[CaseEvent]) -> bool {
    move |events| events.iter().any(|e| e.status == status)
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

fn signed_articles() -> Vec<Attachment> {
    vec![Attachment {
        material_code: "002".into(),
        file_name: "公司章程（全体股东签字）.pdf".into(),
        media_type: "application/pdf".into(),
        content_base64: b"%PDF-1.4 signed".to_vec(),
    }]
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
async fn the_catalogues_matters_carry_their_declared_form_fields() {
    let s = setup().await;
    let matters = s.adapter.list_matters().await.unwrap();
    for matter in &matters {
        assert!(!matter.form.is_empty(), "{} declares its form", matter.name);
        assert!(
            matter
                .form
                .iter()
                .all(|f| f.key != "模拟结果" && !f.label.is_empty()),
            "{}: the mock's test switch is no form field",
            matter.name
        );
    }
    let registration = matters
        .iter()
        .find(|m| m.code == "330122-SCJG-XK-001")
        .unwrap();
    let fields: Vec<_> = registration
        .form
        .iter()
        .map(|f| (f.key.as_str(), f.required, f.from_party))
        .collect();
    assert_eq!(
        fields,
        [
            ("企业名称", true, None),
            ("企业类型", false, None),
            ("法定代表人", true, Some(PartyField::LegalRepresentative)),
            ("注册资本", true, None),
            ("住所", true, Some(PartyField::Address)),
            ("经营范围", true, None),
        ]
    );
    let field = |key: &str| registration.form.iter().find(|f| f.key == key).unwrap();
    assert_eq!(field("住所").kind, FieldKind::Address);
    assert_eq!(field("经营范围").kind, FieldKind::Text);
    let FieldKind::Choice { options } = &field("企业类型").kind else {
        panic!("企业类型 is a choice: {:?}", field("企业类型"));
    };
    assert!(options.contains(&"有限责任公司（自然人投资或控股）".to_owned()));
    // Every key of the example application is a declared field.
    for key in submission("x").form.keys() {
        assert!(
            registration.form.iter().any(|f| &f.key == key),
            "{key} is not declared"
        );
    }
    let replacement = matters
        .iter()
        .find(|m| m.name == "营业执照遗失补领")
        .unwrap();
    assert!(
        replacement
            .form
            .iter()
            .any(|f| f.kind == FieldKind::Date && f.required)
    );
}

#[tokio::test]
async fn a_case_waits_for_its_supplement_and_goes_on_once_handed_in() {
    let s = setup().await;
    let case_no = "20261127-000044";
    let mut case = submission(case_no);
    case.form.insert("模拟结果".into(), "补正".into());
    s.adapter.submit_case(&case).await.unwrap();

    let (mut cursor, mut seen) = (None, Vec::new());
    events_until(
        &s,
        &mut cursor,
        &mut seen,
        case_no,
        reached(CaseStatus::SupplementRequested),
    )
    .await;
    let asked = seen.last().unwrap();
    assert!(asked.note.contains("请补正"), "{asked:?}");

    // Held: however many stages pass, the department waits for the materials.
    tokio::time::sleep(adapter_test::STAGE * 10).await;
    let page = s.adapter.case_events(cursor.as_deref()).await.unwrap();
    assert!(page.events.is_empty(), "{:?}", page.events);
    assert_eq!(mock_case(&s.mock, case_no).await["status"], "03");

    s.adapter
        .supplement_case(case_no, &signed_articles(), "补交全体股东签字的章程")
        .await
        .unwrap();
    // Handing the same files in again is accepted and changes nothing.
    s.adapter
        .supplement_case(case_no, &signed_articles(), "补交全体股东签字的章程")
        .await
        .unwrap();
    let stored = mock_case(&s.mock, case_no).await;
    let supplements = stored["supplements"].as_array().unwrap();
    assert_eq!(supplements.len(), 1, "{stored:#}");
    assert_eq!(supplements[0]["note"], "补交全体股东签字的章程");
    let file = &supplements[0]["attachments"][0];
    assert_eq!(file["material"], "002");
    assert_eq!(file["file_name"], "公司章程（全体股东签字）.pdf");
    assert_eq!(file["mime_type"], "application/pdf");
    assert_eq!(file["size"], 15);
    assert_eq!(stored["repeated_supplements"], 1);

    events_until(
        &s,
        &mut cursor,
        &mut seen,
        case_no,
        reached(CaseStatus::Completed),
    )
    .await;
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
    assert_eq!(seen[2].note, "补正材料已收到，继续审查");
    assert!(seen[4].issued.is_some(), "the license is issued after all");

    // Other files for a finished case, and files for a case nobody knows.
    let mut other = signed_articles();
    other[0].content_base64 = b"%PDF-1.4 another".to_vec();
    let reason = refusal(s.adapter.supplement_case(case_no, &other, "").await);
    assert!(reason.contains("未要求补正"), "{reason}");
    let err = s
        .adapter
        .supplement_case("20261127-000999", &signed_articles(), "")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CallError::Adapter { error: AdapterError::NotFound(m), .. } if m.contains("20261127-000999")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_withdrawn_case_stops_and_a_decided_one_cannot_be_withdrawn() {
    let s = setup().await;
    let (withdrawn, decided) = ("20261127-000045", "20261127-000046");
    s.adapter.submit_case(&submission(withdrawn)).await.unwrap();
    s.adapter
        .withdraw_case(withdrawn, "申请人决定暂缓设立企业")
        .await
        .unwrap();
    s.adapter
        .withdraw_case(withdrawn, "申请人决定暂缓设立企业")
        .await
        .expect("withdrawing a withdrawn case succeeds");
    let stored = mock_case(&s.mock, withdrawn).await;
    assert_eq!(stored["status"], "08");
    assert_eq!(stored["status_name"], "已撤回");
    assert_eq!(stored["withdrawal"]["reason"], "申请人决定暂缓设立企业");
    let history = stored["history"].as_array().unwrap();
    assert_eq!(history.last().unwrap()["ztdm"], "08");
    let steps_when_withdrawn = history.len();

    // The other case runs to its end meanwhile; the withdrawn one takes no step.
    s.adapter.submit_case(&submission(decided)).await.unwrap();
    let (mut cursor, mut seen) = (None, Vec::new());
    events_until(
        &s,
        &mut cursor,
        &mut seen,
        decided,
        reached(CaseStatus::Completed),
    )
    .await;
    let stored = mock_case(&s.mock, withdrawn).await;
    assert_eq!(stored["status"], "08");
    assert_eq!(
        stored["history"].as_array().unwrap().len(),
        steps_when_withdrawn
    );
    assert!(
        s.adapter
            .case_events(None)
            .await
            .unwrap()
            .events
            .iter()
            .all(|e| e.case_no != withdrawn || e.status == CaseStatus::InReview),
        "the withdrawn case was never decided"
    );

    let reason = refusal(s.adapter.withdraw_case(decided, "申请人改变主意").await);
    assert!(reason.contains("不能撤回"), "{reason}");
    assert!(reason.contains("办结"), "{reason}");
    let stored = mock_case(&s.mock, decided).await;
    assert_eq!(stored["status"], "06", "the decided case keeps its status");
    assert!(stored["withdrawal"].is_null());

    let err = s
        .adapter
        .withdraw_case("20261127-000999", "申请人决定暂缓设立企业")
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            CallError::Adapter {
                error: AdapterError::NotFound(_),
                ..
            }
        ),
        "{err:?}"
    );
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

#[tokio::test]
async fn a_license_revoked_or_cancelled_at_the_department_is_a_license_event() {
    let s = setup().await;
    let bees = Party::Organization {
        credit_code: "91330122704218653L".into(),
        name: "桐庐富春蜂语蜂业有限公司".into(),
    };
    let before = s.adapter.case_events(None).await.unwrap();
    assert!(before.license_events.is_empty());
    let cursor = before.next_cursor;

    // 吊销 through the mock's control route.
    assert!(s.mock.revoke_license(bees.id()));
    let page = s.adapter.case_events(cursor.as_deref()).await.unwrap();
    assert!(page.events.is_empty(), "no case moved: {:?}", page.events);
    let [revoked] = page.license_events.as_slice() else {
        panic!("one license event: {page:?}");
    };
    assert_eq!(revoked.license.status, LicenseStatus::Revoked);
    assert_eq!(revoked.license.number, "91330122704218653L");
    assert_eq!(revoked.license.type_name, "营业执照");
    assert_eq!(revoked.license.holder, bees);
    assert!(revoked.note.contains("吊销"), "{}", revoked.note);
    assert!(revoked.at.ends_with("+08:00"), "{}", revoked.at);
    // The license answers revoked now, as the event said.
    let held = s.adapter.licenses_by_holder(&bees).await.unwrap();
    assert_eq!(held, vec![revoked.license.clone()]);

    // 注销 through the department's own ZZZTBG.
    let body = "91330122MA2E5TA8L"; // 桐庐惠邻超市有限公司
    let shop = format!(
        "{body}{}",
        onewindow_codes::credit_code::check_char(body).unwrap()
    );
    let request = format!(
        "<?xml version=\"1.0\" encoding=\"GBK\"?><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body>\
         <ZZZTBG xmlns=\"http://djzc.scjgj.gov.cn/ws\"><ZZBH>{shop}</ZZBH><ZZZT>3</ZZZT><BGYY>股东会决议解散，注销登记已核准</BGYY></ZZZTBG>\
         </soap:Body></soap:Envelope>"
    );
    let answer = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .post(s.mock.endpoint())
        .header("content-type", "text/xml; charset=GBK")
        .body(onewindow_codes::gbk::encode(&request).unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let answer = onewindow_codes::gbk::decode(&answer).unwrap();
    assert!(answer.contains("<FHDM>0000</FHDM>"), "{answer}");
    let page = s
        .adapter
        .case_events(page.next_cursor.as_deref())
        .await
        .unwrap();
    let [cancelled] = page.license_events.as_slice() else {
        panic!("one license event: {page:?}");
    };
    assert_eq!(cancelled.license.number, shop);
    assert_eq!(cancelled.license.status, LicenseStatus::Revoked);
    assert_eq!(cancelled.note, "股东会决议解散，注销登记已核准");
    assert_eq!(
        s.adapter.verify_license("YYZZ", &shop).await.unwrap(),
        Some(cancelled.license.clone())
    );
}

#[tokio::test]
async fn a_hearing_is_reported_as_a_special_procedure() {
    let s = setup().await;
    let case_no = "20261127-000047";
    let mut case = submission(case_no);
    case.form.insert("模拟结果".into(), "听证".into());
    s.adapter.submit_case(&case).await.unwrap();
    let (mut cursor, mut seen) = (None, Vec::new());
    events_until(
        &s,
        &mut cursor,
        &mut seen,
        case_no,
        reached(CaseStatus::Completed),
    )
    .await;
    let statuses: Vec<_> = seen.iter().map(|e| e.status).collect();
    assert_eq!(
        statuses,
        [
            CaseStatus::InReview,
            CaseStatus::SpecialProcedure,
            CaseStatus::InReview,
            CaseStatus::Approved,
            CaseStatus::Completed
        ]
    );
    let hearing = &seen[1];
    assert!(
        hearing.note.contains("听证"),
        "the note says which: {}",
        hearing.note
    );
    assert!(hearing.note.contains("特别程序"), "{}", hearing.note);
    assert_eq!(seen[2].note, "听证程序结束，恢复审查");
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
