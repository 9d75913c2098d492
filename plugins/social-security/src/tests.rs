//! The translation against answers shaped like the 金保 system's, good days and bad.

use std::cell::RefCell;
use std::rc::Rc;

use onewindow_sdk::codes::gbk;
use onewindow_sdk::testing::{CaseEvents, assert_contains, face, invalid, unavailable};
use onewindow_sdk::types::{
    AdapterError, Attachment, CaseStatus, CaseSubmission, Event, Field, FieldKind, FormField,
    License, LicenseRef, LicenseStatus, MatterKind, Organization, Party, PartyField, Person,
};
use serde_json::{Value, json};

use crate::Answer;
use crate::legacy::{
    MAX_PAGES, cards_path, catalogue_path, events_path, parse_events, parse_notification,
    parse_submission, parse_supplement, parse_verification, parse_withdrawal, read_cards,
    read_catalogue, submission_body, supplement_body, verify_path, withdrawal_body,
};

const JSON_UTF8: &str = "application/json;charset=UTF-8";

fn answer_of(value: &Value) -> Answer {
    Answer {
        status: 200,
        content_type: JSON_UTF8.into(),
        body: serde_json::to_vec(value).unwrap(),
    }
}

fn ok(data: Value) -> Answer {
    answer_of(&json!({"code": 0, "message": "成功", "data": data}))
}

fn matter(n: u32) -> Value {
    json!({
        "aaa121": format!("330122-RS-XX-{n:03}"),
        "aaa122": format!("事项{n}"),
        "aab300": "县人力资源和社会保障局",
        "aaa123": 10,
        "bae001": 20,
        "bae002": 5,
        "bae003": 0,
        "bae004": 1,
        "bae005": "不收费",
        "bae006": "本县户籍或在本县参保的人员",
        "clxx": [],
        "bdxx": []
    })
}

fn card_application() -> Value {
    json!({
        "aaa121": "330122-RS-SB-001",
        "aaa122": "社会保障卡申领",
        "aab300": "县人力资源和社会保障局",
        "aaa123": 10,
        "bae001": 20,
        "bae002": 5,
        "bae003": 0,
        "bae004": 1,
        "bae005": "首次申领不收费",
        "bae006": "在本县参加社会保险、尚未持有有效社会保障卡的人员 & 其监护人",
        "clxx": [
            {"bae010": "001", "bae011": "居民身份证", "bae012": 1, "bae013": "居民身份证"},
            {"bae010": "002", "bae011": "近期免冠彩色证件照片", "bae012": 1, "bae013": null},
            {"bae010": "003", "bae011": "监护人身份证明", "bae012": 0}
        ],
        "bdxx": [
            {"bae110": "开户银行", "bae112": "社会保障卡开户银行", "bae113": 1, "bae114": 0, "bae115": null},
            {"bae110": "邮寄地址", "bae112": "制卡后邮寄地址", "bae113": 7, "bae114": 1, "bae115": 4},
            {"bae110": "领卡方式", "bae112": "领卡方式", "bae113": 4, "bae114": 0,
             "bae116": ["邮寄到家", "银行网点领取"]}
        ]
    })
}

fn page(page_no: u64, total: u64, has_next: bool, list: Vec<Value>) -> Answer {
    ok(json!({
        "pageNo": page_no, "pageSize": 10, "total": total, "hasNext": has_next, "list": list
    }))
}

/// The paths a paged reader asked for.
type Asked = Rc<RefCell<Vec<String>>>;

/// Serves `pages` in order to a paged reader and records the paths asked for.
fn serve(pages: Vec<Answer>) -> (impl FnMut(&str) -> Result<Answer, AdapterError>, Asked) {
    let asked = Rc::new(RefCell::new(Vec::new()));
    let mut pages = pages.into_iter();
    let log = Rc::clone(&asked);
    let fetch = move |path: &str| {
        log.borrow_mut().push(path.to_owned());
        Ok(pages
            .next()
            .expect("no more pages were expected to be asked for"))
    };
    (fetch, asked)
}

#[test]
fn reads_a_catalogue_of_two_pages() {
    let mut first: Vec<Value> = vec![card_application()];
    first.extend((2..=10).map(matter));
    let second = vec![matter(11)];
    let asked = RefCell::new(Vec::new());
    let mut pages = vec![page(1, 11, true, first), page(2, 11, false, second)].into_iter();
    let matters = read_catalogue(|path| {
        asked.borrow_mut().push(path.to_owned());
        Ok(pages.next().unwrap())
    })
    .unwrap();
    assert_eq!(
        asked.into_inner(),
        [catalogue_path(1), catalogue_path(2)],
        "both pages, then no more"
    );
    assert_eq!(catalogue_path(2), "/sx?pageNo=2&pageSize=10");
    assert_eq!(matters.len(), 11);
    let card = &matters[0];
    assert_eq!(card.code, "330122-RS-SB-001");
    assert_eq!(card.name, "社会保障卡申领");
    assert_eq!(card.department, "县人力资源和社会保障局");
    assert_eq!(card.kind, MatterKind::PublicService);
    assert_eq!(
        (card.legal_days, card.promised_days, card.visits),
        (20, 5, 0)
    );
    assert!(card.online);
    assert_eq!(card.fee, "首次申领不收费");
    assert!(card.conditions.ends_with("& 其监护人"));
    let materials: Vec<_> = card
        .materials
        .iter()
        .map(|m| (m.code.as_str(), m.required, m.license_type.as_deref()))
        .collect();
    assert_eq!(
        materials,
        [
            ("001", true, Some("居民身份证")),
            ("002", true, None),
            ("003", false, None)
        ]
    );
    // The bindings' FormField has no PartialEq: compared as written out.
    assert_eq!(
        format!("{:?}", card.form),
        format!(
            "{:?}",
            [
                FormField {
                    key: "开户银行".into(),
                    label: "社会保障卡开户银行".into(),
                    kind: FieldKind::Text,
                    required: false,
                    from_party: None,
                },
                FormField {
                    key: "邮寄地址".into(),
                    label: "制卡后邮寄地址".into(),
                    kind: FieldKind::Address,
                    required: true,
                    from_party: Some(PartyField::Address),
                },
                FormField {
                    key: "领卡方式".into(),
                    label: "领卡方式".into(),
                    kind: FieldKind::Choice(vec!["邮寄到家".into(), "银行网点领取".into()]),
                    required: false,
                    from_party: None,
                },
            ]
        )
    );
    assert!(matters[1].form.is_empty());
    assert_eq!(matters[10].code, "330122-RS-XX-011");
}

#[test]
fn every_field_type_and_source_is_read() {
    let kinds = [
        (1, "Text"),
        (2, "Date"),
        (3, "Number"),
        (5, "IdNumber"),
        (6, "CreditCode"),
        (7, "Address"),
    ];
    let sources = [
        (1, PartyField::Name),
        (2, PartyField::IdNumber),
        (3, PartyField::CreditCode),
        (4, PartyField::Address),
        (5, PartyField::Phone),
        (6, PartyField::LegalRepresentative),
    ];
    let mut sx = matter(1);
    let mut bdxx: Vec<Value> = kinds
        .iter()
        .map(|(code, _)| json!({"bae110": format!("k{code}"), "bae112": "类型", "bae113": code, "bae114": 1}))
        .collect();
    bdxx.extend(sources.iter().map(|(code, _)| {
        json!({"bae110": format!("s{code}"), "bae112": "来源", "bae113": 1, "bae114": 0, "bae115": code})
    }));
    sx["bdxx"] = Value::Array(bdxx);
    let (fetch, _) = serve(vec![page(1, 1, false, vec![sx])]);
    let matters = read_catalogue(fetch).unwrap();
    let form = &matters[0].form;
    for (i, (_, kind)) in kinds.iter().enumerate() {
        assert_eq!(format!("{:?}", form[i].kind), format!("FieldKind::{kind}"));
        assert!(form[i].required);
        assert_eq!(form[i].from_party, None);
    }
    for (i, (_, source)) in sources.iter().enumerate() {
        assert_eq!(form[kinds.len() + i].from_party, Some(*source));
        assert!(!form[kinds.len() + i].required);
    }
}

#[test]
fn form_field_definitions_are_checked() {
    let one = |field: Value| {
        let mut sx = matter(1);
        sx["bdxx"] =
            json!([{"bae110": "联系电话", "bae112": "联系电话", "bae113": 1, "bae114": 0}, field]);
        let (fetch, _) = serve(vec![page(1, 1, false, vec![sx])]);
        unavailable(read_catalogue(fetch))
    };
    let at = "the answer to 事项目录查询 (GET /sx, page 1): data.list[0].bdxx[1] (bae110=领卡方式)";
    assert_eq!(
        one(json!({"bae110": "领卡方式", "bae112": "领卡方式", "bae113": 8, "bae114": 0})),
        format!(
            "{at} has bae113 8 (字段类型), a code the 金保 interface does not define; expected one of 1 (文本), 2 (日期), 3 (数字), 4 (代码选择), 5 (公民身份号码), 6 (统一社会信用代码), 7 (地址)"
        )
    );
    assert_eq!(
        one(
            json!({"bae110": "领卡方式", "bae112": "领卡方式", "bae113": 4, "bae114": 0, "bae116": []})
        ),
        format!(
            "{at} is a choice (bae113 4, 代码选择) without any value to choose (bae116 可选值)"
        )
    );
    assert_contains(
        &one(json!({"bae110": "领卡方式", "bae112": "领卡方式", "bae113": 4, "bae114": 0})),
        &["has no bae116 (可选值)"],
    );
    assert_contains(
        &one(
            json!({"bae110": "领卡方式", "bae112": "领卡方式", "bae113": 4, "bae114": 0, "bae116": ["邮寄", " "]}),
        ),
        &["has \" \" as bae116[1] (可选值); expected a text that is not blank"],
    );
    assert_contains(
        &one(
            json!({"bae110": "领卡方式", "bae112": "领卡方式", "bae113": 1, "bae114": 0, "bae116": ["邮寄"]}),
        ),
        &["has bae116 [\"邮寄\"] (可选值) although its bae113 1 (字段类型) is not 4 (代码选择)"],
    );
    assert_contains(
        &one(
            json!({"bae110": "领卡方式", "bae112": "领卡方式", "bae113": 1, "bae114": 0, "bae115": 9}),
        ),
        &["has bae115 9 (取值来源), a code the 金保 interface does not define"],
    );
    assert_contains(
        &one(json!({"bae110": "领卡方式", "bae112": "领卡方式", "bae113": 1, "bae114": "否"})),
        &["has bae114 \"否\" (是否必填); expected 1 (是) or 0 (否)"],
    );
    assert_contains(
        &one(json!({"bae110": "领卡方式", "bae113": 1, "bae114": 0})),
        &["has no bae112 (显示名称)"],
    );
    assert_contains(
        &one(json!({"bae110": "联系电话", "bae112": "电话", "bae113": 1, "bae114": 0})),
        &["bdxx[1] (bae110=联系电话) declares the form field 联系电话 (bae110) a second time"],
    );
    let mut sx = matter(1);
    sx.as_object_mut().unwrap().remove("bdxx");
    let (fetch, _) = serve(vec![page(1, 1, false, vec![sx])]);
    assert_contains(
        &unavailable(read_catalogue(fetch)),
        &["data.list[0] (aaa121=330122-RS-XX-001) has no bdxx (表单信息)"],
    );
}

#[test]
fn an_empty_catalogue_is_one_page() {
    let (fetch, asked) = serve(vec![page(1, 0, false, vec![])]);
    assert!(read_catalogue(fetch).unwrap().is_empty());
    assert_eq!(asked.borrow().len(), 1);
}

#[test]
fn a_page_that_repeats_stops_the_reading() {
    // What the mock's endless-pages fault does: every page is page 1 again.
    let list: Vec<Value> = (1..=10).map(matter).collect();
    let (fetch, asked) = serve(vec![
        page(1, 11, true, list.clone()),
        page(2, 11, true, list.clone()),
    ]);
    let message = unavailable(read_catalogue(fetch));
    assert_eq!(
        message,
        "the answer to 事项目录查询 (GET /sx, page 2): data.list[0] (aaa121=330122-RS-XX-001) repeats aaa121 330122-RS-XX-001 (事项编码) already read on page 1: the paging does not advance, so the adapter stopped"
    );
    assert_eq!(asked.borrow().len(), 2);

    // The same page number again.
    let (fetch, _) = serve(vec![
        page(1, 11, true, list.clone()),
        page(1, 11, true, list),
    ]);
    let message = unavailable(read_catalogue(fetch));
    assert_contains(
        &message,
        &["page 2", "is page 1 (pageNo) although page 2 was asked for"],
    );

    // An empty page that says more follow.
    let (fetch, _) = serve(vec![page(1, 5, true, vec![])]);
    let message = unavailable(read_catalogue(fetch));
    assert_contains(&message, &["data is empty but says hasNext is true"]);
}

#[test]
fn a_list_that_never_ends_stops_at_the_page_bound() {
    // Fresh records on every page, for ever: stopped after MAX_PAGES requests.
    let mut next = 0;
    let mut requests = 0;
    let message = unavailable(read_catalogue(|_| {
        requests += 1;
        let list = (0..10)
            .map(|_| {
                next += 1;
                matter(next)
            })
            .collect();
        Ok(page(u64::from(requests), 500, true, list))
    }));
    assert_eq!(requests, MAX_PAGES);
    assert_eq!(
        message,
        "事项目录查询 (GET /sx) still said hasNext after 50 pages of 10 records; no list of this department is that long, so the adapter stopped"
    );

    let (fetch, _) = serve(vec![page(1, 1_000_000, true, vec![matter(1)])]);
    let message = unavailable(read_catalogue(fetch));
    assert_contains(
        &message,
        &["announces 1000000 records (total)", "at most 500"],
    );

    let (fetch, _) = serve(vec![page(1, 3, false, vec![matter(1), matter(2)])]);
    let message = unavailable(read_catalogue(fetch));
    assert_contains(
        &message,
        &["the pages held 2 records where total announced 3"],
    );

    let (fetch, _) = serve(vec![page(1, 11, true, (1..=11).map(matter).collect())]);
    let message = unavailable(read_catalogue(fetch));
    assert_contains(&message, &["holds 11 records although pageSize was 10"]);
}

#[test]
fn missing_fields_are_named_with_their_record() {
    let mut broken = card_application();
    broken.as_object_mut().unwrap().remove("aaa122");
    let (fetch, _) = serve(vec![page(1, 1, false, vec![broken])]);
    assert_eq!(
        unavailable(read_catalogue(fetch)),
        "the answer to 事项目录查询 (GET /sx, page 1): data.list[0] (aaa121=330122-RS-SB-001) has no aaa122 (事项名称)"
    );

    let mut broken = card_application();
    broken["clxx"][1]["bae011"] = json!(" ");
    let (fetch, _) = serve(vec![page(1, 1, false, vec![broken])]);
    assert_eq!(
        unavailable(read_catalogue(fetch)),
        "the answer to 事项目录查询 (GET /sx, page 1): data.list[0].clxx[1] (bae010=002) has an empty bae011 (材料名称)"
    );

    let (fetch, _) = serve(vec![ok(json!({"pageNo": 1, "total": 0, "list": []}))]);
    assert_contains(
        &unavailable(read_catalogue(fetch)),
        &["data has no hasNext (是否有下一页)"],
    );

    let (fetch, _) = serve(vec![answer_of(&json!({"code": 0, "message": "成功"}))]);
    assert_eq!(
        unavailable(read_catalogue(fetch)),
        "the answer to 事项目录查询 (GET /sx, page 1) has no data (业务数据)"
    );

    let (fetch, _) = serve(vec![answer_of(&json!({"message": "成功", "data": {}}))]);
    assert_eq!(
        unavailable(read_catalogue(fetch)),
        "the answer to 事项目录查询 (GET /sx, page 1) has no code (返回码)"
    );
}

#[test]
fn unknown_codes_and_wrong_types_are_unavailable() {
    let mut odd = card_application();
    odd["aaa123"] = json!(8);
    let (fetch, _) = serve(vec![page(1, 1, false, vec![odd])]);
    assert_eq!(
        unavailable(read_catalogue(fetch)),
        "the answer to 事项目录查询 (GET /sx, page 1): data.list[0] (aaa121=330122-RS-SB-001) has aaa123 8 (事项类型), a code the 金保 interface does not define; expected one of 1 (行政许可), 2 (行政确认), 3 (行政给付), 4 (行政裁决), 5 (行政奖励), 9 (其他行政权力), 10 (公共服务)"
    );

    let mut odd = card_application();
    odd["bae004"] = json!("Y");
    let (fetch, _) = serve(vec![page(1, 1, false, vec![odd])]);
    assert_contains(
        &unavailable(read_catalogue(fetch)),
        &["has bae004 \"Y\" (是否网上可办); expected 1 (是) or 0 (否)"],
    );

    let mut odd = card_application();
    odd["bae003"] = json!(-1);
    let (fetch, _) = serve(vec![page(1, 1, false, vec![odd])]);
    assert_contains(
        &unavailable(read_catalogue(fetch)),
        &["has bae003 -1 (到现场次数); expected a whole number"],
    );

    let mut odd = card_application();
    odd["bae002"] = json!(25);
    let (fetch, _) = serve(vec![page(1, 1, false, vec![odd])]);
    assert_contains(
        &unavailable(read_catalogue(fetch)),
        &["promises 25 working days (bae002) but the legal limit is 20 (bae001)"],
    );
}

#[test]
fn return_codes_map_to_the_contract() {
    let failing = |code: i64, message: &str| {
        answer_of(&json!({"code": code, "message": message, "data": null}))
    };
    assert!(
        matches!(parse_submission(&failing(2001, "事项编码330122-RS-XX-999不存在")),
        Err(AdapterError::NotFound(m)) if m == "事项编码330122-RS-XX-999不存在")
    );
    assert!(
        matches!(parse_submission(&failing(3001, "该人员已持有有效社会保障卡，不能重复申领")),
        Err(AdapterError::Refused(m)) if m == "该人员已持有有效社会保障卡，不能重复申领")
    );
    let message = invalid(parse_submission(&failing(
        1001,
        "缺少bae100（平台办件编号）",
    )));
    assert_contains(
        &message,
        &["业务申请 (POST /yw/sq)", "code 1001", "缺少bae100"],
    );
    let message = unavailable(parse_submission(&failing(9999, "数据库连接失败")));
    assert_contains(
        &message,
        &["code 9999", "数据库连接失败", "try again later"],
    );
    let message = unavailable(parse_submission(&failing(4001, "")));
    assert_eq!(
        message,
        "the answer to 业务申请 (POST /yw/sq) has code 4001 (返回码), which the 金保 interface does not define (it defines 0, 1001, 2001, 3001, 9999); message: none"
    );
    let message = unavailable(parse_submission(&answer_of(
        &json!({"code": "0", "data": {}}),
    )));
    assert_contains(
        &message,
        &["has code \"0\" (返回码); expected a whole number"],
    );
}

#[test]
fn transport_faults_are_unavailable_and_say_what_happened() {
    let whole = page(1, 1, false, vec![card_application()]);

    // Cut in half, as the mock's truncated fault does.
    let mut cut = whole.clone();
    cut.body.truncate(whole.body.len() / 2);
    // Half may fall inside a character: cut back to a character boundary as well.
    let mut boundary = cut.clone();
    while std::str::from_utf8(&boundary.body).is_err() {
        boundary.body.pop();
    }
    let (fetch, _) = serve(vec![boundary]);
    assert_contains(
        &unavailable(read_catalogue(fetch)),
        &["the answer to 事项目录查询 (GET /sx, page 1) is truncated: the JSON ends early"],
    );
    // Cut inside a three-byte UTF-8 character.
    let name = "社会保障卡申领".as_bytes();
    let at = whole
        .body
        .windows(name.len())
        .position(|w| w == name)
        .unwrap();
    let mut inside = whole.clone();
    inside.body.truncate(at + 1);
    let (fetch, _) = serve(vec![inside]);
    assert_contains(
        &unavailable(read_catalogue(fetch)),
        &["is truncated", "cut off", &format!("offset {at}")],
    );

    // GBK bytes declared as UTF-8, as the wrong-encoding fault sends them.
    let text = String::from_utf8(whole.body.clone()).unwrap();
    let gbk_body = gbk::encode(&text).unwrap();
    let first = gbk_body.iter().position(|&b| b >= 0x80).unwrap();
    let (fetch, _) = serve(vec![Answer {
        body: gbk_body.clone(),
        ..whole.clone()
    }]);
    assert_contains(
        &unavailable(read_catalogue(fetch)),
        &[
            "cannot be read as UTF-8, which it declares charset=UTF-8",
            &format!("offset {first}"),
            "GBK",
        ],
    );
    // Honestly declared GBK is read as GBK.
    let (fetch, _) = serve(vec![Answer {
        content_type: "application/json; charset=GBK".into(),
        body: gbk_body,
        status: 200,
    }]);
    assert_eq!(read_catalogue(fetch).unwrap()[0].name, "社会保障卡申领");

    let (fetch, _) = serve(vec![Answer {
        status: 503,
        content_type: "text/html".into(),
        body: b"<html><body><h1>Service Unavailable</h1></body></html>".to_vec(),
    }]);
    assert_contains(
        &unavailable(read_catalogue(fetch)),
        &[
            "answered HTTP 503 to 事项目录查询 (GET /sx)",
            "Service Unavailable",
        ],
    );
    let (fetch, _) = serve(vec![Answer {
        status: 404,
        content_type: "text/html".into(),
        body: Vec::new(),
    }]);
    assert_contains(&invalid(read_catalogue(fetch)), &["HTTP 404", "endpoint"]);
    let (fetch, _) = serve(vec![Answer {
        status: 200,
        content_type: "text/html; charset=UTF-8".into(),
        body: b"<html>login</html>".to_vec(),
    }]);
    assert_contains(
        &unavailable(read_catalogue(fetch)),
        &["is text/html, not JSON"],
    );
    let (fetch, _) = serve(vec![Answer {
        body: b"[1, 2]".to_vec(),
        ..whole.clone()
    }]);
    assert_contains(&unavailable(read_catalogue(fetch)), &["is a JSON array"]);
    let (fetch, _) = serve(vec![Answer {
        body: b"{\"code\": 0,, }".to_vec(),
        ..whole
    }]);
    assert_contains(&unavailable(read_catalogue(fetch)), &["is malformed JSON"]);
}

/// Names with rare characters (镕 喆 堃 珺) travel as UTF-8 both ways, and arrive
/// as GBK only under the wrong-encoding fault, which is then noticed.
#[test]
fn rare_name_characters_survive_and_gbk_under_a_utf8_label_does_not_pass() {
    let names = ["王镕", "李喆", "陈堃", "周珺"];
    for name in names {
        let card = card_record("E33012201", "330122199003151233", name, 1);
        let answer = ok(card);
        assert!(std::str::from_utf8(&answer.body).unwrap().contains(name));
        let license = parse_verification("E33012201", &answer).unwrap().unwrap();
        assert!(matches!(&license.holder, Party::Person(p) if p.name == name));

        let gbk_bytes = gbk::encode(&String::from_utf8(answer.body.clone()).unwrap()).unwrap();
        assert!(gbk::decode(&gbk_bytes).unwrap().contains(name));
        let message = unavailable(parse_verification(
            "E33012201",
            &Answer {
                body: gbk_bytes,
                ..answer
            },
        ));
        assert_contains(&message, &["社会保障卡验证", "UTF-8"]);
    }
    let mut submission = submission();
    submission.applicant = Party::Person(Person {
        id_number: "330122199003151233".into(),
        name: names.concat(),
    });
    let body: Value = serde_json::from_slice(&submission_body(&submission).unwrap()).unwrap();
    assert_eq!(body["aac003"], "王镕李喆陈堃周珺");
}

fn card_record(number: &str, id_number: &str, name: &str, status: i64) -> Value {
    json!({
        "aaz500": number,
        "aac002": id_number,
        "aac003": name,
        "aae008": "中国农业银行桐庐县支行",
        "aae030": "20181125",
        "aae031": "20281125",
        "aaz502": status,
        "aae017": "县人力资源和社会保障局"
    })
}

#[test]
fn reads_a_persons_cards_over_pages() {
    let id = "11010519491231002X";
    let lost = card_record("A12345678", id, "陈晓东", 3);
    let mut current = card_record("D33012345", id, "陈晓东", 1);
    current["aae030"] = json!("20240301");
    current["aae031"] = json!("20340301");
    let expired = card_record("B00000007", id, "陈晓东", 5);
    let mut fillers: Vec<Value> = (0..8)
        .map(|i| card_record(&format!("C{i:08}"), id, "陈晓东", 4))
        .collect();
    fillers.insert(0, lost);
    fillers.push(current);
    let (fetch, asked) = serve(vec![
        page(1, 11, true, fillers),
        page(2, 11, false, vec![expired]),
    ]);
    let cards = read_cards(id, fetch).unwrap();
    assert_eq!(*asked.borrow(), [cards_path(id, 1), cards_path(id, 2)]);
    assert_eq!(
        cards_path(id, 1),
        "/sbk?aac002=11010519491231002X&pageNo=1&pageSize=10"
    );
    assert_eq!(cards.len(), 11);
    assert_eq!(cards[0].status, LicenseStatus::Revoked, "正式挂失");
    assert_eq!(cards[1].status, LicenseStatus::Revoked, "注销");
    assert_eq!(cards[10].status, LicenseStatus::Expired);
    let card = &cards[9];
    assert_eq!(card.type_code, "SHBZK");
    assert_eq!(card.type_name, "社会保障卡");
    assert_eq!(card.number, "D33012345");
    assert_eq!(card.status, LicenseStatus::Valid);
    assert_eq!(card.issuer, "县人力资源和社会保障局");
    assert_eq!(card.issued_on, "2024-03-01");
    assert_eq!(card.valid_until.as_deref(), Some("2034-03-01"));
    assert!(matches!(&card.holder, Party::Person(p) if p.id_number == id && p.name == "陈晓东"));
    assert_eq!(
        face(card),
        [
            ("name", "陈晓东"),
            ("social-security-number", id),
            ("card-number", "D33012345"),
            ("issued-on", "2024-03-01"),
            ("valid-until", "2034-03-01"),
            ("bank", "中国农业银行桐庐县支行"),
        ]
    );

    // The endless-pages fault on this list.
    let same = vec![card_record("D33012345", id, "陈晓东", 1)];
    let (fetch, _) = serve(vec![page(1, 2, true, same.clone()), page(2, 2, true, same)]);
    assert_contains(
        &unavailable(read_cards(id, fetch)),
        &[
            "社会保障卡查询 (GET /sbk, page 2)",
            "repeats aaz500 D33012345",
        ],
    );
}

#[test]
fn card_fields_are_checked() {
    let check = |edit: &dyn Fn(&mut Value)| {
        let mut card = card_record("D33012345", "11010519491231002X", "陈晓东", 1);
        edit(&mut card);
        unavailable(parse_verification("D33012345", &ok(card)))
    };
    assert_eq!(
        check(&|c| c["aaz502"] = json!(9)),
        "the answer to 社会保障卡验证 (GET /sbk/{aaz500}, aaz500=D33012345): data has aaz502 9 (卡状态), a code the 金保 interface does not define; expected one of 1 (正常), 2 (临时挂失), 3 (正式挂失), 4 (注销), 5 (有效期满)"
    );
    assert_contains(
        &check(&|c| {
            c.as_object_mut().unwrap().remove("aaz500");
        }),
        &["data has no aaz500 (社会保障卡卡号)"],
    );
    assert_contains(
        &check(&|c| c["aae030"] = json!("2018-11-25")),
        &["has aae030 \"2018-11-25\" (发卡日期); expected a real date written like 20181125"],
    );
    assert_contains(
        &check(&|c| c["aae031"] = json!("20280230")),
        &["aae031 \"20280230\" (有效期至)"],
    );
    assert_contains(
        &check(&|c| c["aae008"] = json!(null)),
        &["has no aae008 (开户银行)"],
    );
    assert_contains(
        &check(&|c| c["aaz500"] = json!("d33012345")),
        &["expected one capital letter and 8 digits"],
    );
    assert_contains(
        &check(&|c| c["aaz500"] = json!("D99999999")),
        &["is the card D99999999 although the card D33012345 was asked for"],
    );
}

#[test]
fn verification_finds_or_does_not() {
    let card = card_record("D33012345", "11010519491231002X", "陈晓东", 1);
    let found = parse_verification("D33012345", &ok(card)).unwrap().unwrap();
    assert_eq!(found.number, "D33012345");
    let none = answer_of(&json!({"code": 2001, "message": "卡号D33012346不存在", "data": null}));
    assert!(parse_verification("D33012346", &none).unwrap().is_none());

    assert_eq!(verify_path("D33012345").unwrap(), "/sbk/D33012345");
    for bad in [
        "",
        "D3301234",
        "D330123456",
        "33012345X",
        "D3301234X",
        "Ｄ33012345",
    ] {
        assert_contains(&invalid(verify_path(bad)), &["is not a 社会保障卡卡号"]);
    }
    assert_contains(&invalid(verify_path("d33012345")), &["uppercase"]);
    // A path can never be smuggled in as a number.
    assert!(verify_path("../sx?a=1").is_err());
}

fn events_page(after: u64, last: u64, has_next: bool, list: Vec<Value>) -> Answer {
    ok(json!({"qsxh": after, "zdxh": last, "hasNext": has_next, "list": list}))
}

fn change(xh: u64, status: i64, at: &str) -> Value {
    json!({
        "bae200": xh,
        "bae203": 1,
        "bae100": "20261127-000042",
        "aaz002": "3301222026112700001",
        "aaa121": "330122-RS-SB-001",
        "bae201": status,
        "aae036": at,
        "aae013": "材料齐全，已受理，进入审核",
        "aae011": "桐庐县社会保险事业管理中心"
    })
}

#[test]
fn reads_a_page_of_events_with_the_issued_card() {
    let mut done = change(18, 60, "20261127091530");
    done["aae013"] = json!(null);
    done["sbk"] = card_record("D33012345", "11010519491231002X", "陈晓东", 1);
    let answer = events_page(16, 18, true, vec![change(17, 20, "20261127140500"), done]);
    let page = parse_events(Some("16"), &answer).unwrap();
    assert_eq!(page.next_cursor.as_deref(), Some("18"));
    assert!(page.more);
    assert_eq!(page.events.len(), 2);
    let review = &page.cases()[0];
    assert_eq!(review.case_no, "20261127-000042");
    assert_eq!(review.status, CaseStatus::InReview);
    assert_eq!(review.at, "2026-11-27T14:05:00+08:00");
    assert_eq!(review.note, "材料齐全，已受理，进入审核");
    assert!(review.issued.is_none());
    let done = &page.cases()[1];
    assert_eq!(done.status, CaseStatus::Completed);
    assert_eq!(done.at, "2026-11-27T09:15:30+08:00");
    assert_eq!(done.note, "");
    let card = done.issued.as_ref().unwrap();
    assert_eq!(
        (card.type_code.as_str(), card.number.as_str()),
        ("SHBZK", "D33012345")
    );

    for (code, status) in [
        (30, CaseStatus::SupplementRequested),
        (40, CaseStatus::Approved),
        (50, CaseStatus::Denied),
    ] {
        let page = parse_events(
            None,
            &events_page(0, 1, false, vec![change(1, code, "20261127140500")]),
        )
        .unwrap();
        assert_eq!(page.cases()[0].status, status);
    }

    // An empty page keeps the cursor.
    let page = parse_events(Some("18"), &events_page(18, 18, false, vec![])).unwrap();
    assert!(page.events.is_empty());
    assert_eq!(page.next_cursor.as_deref(), Some("18"));
    assert!(!page.more);
}

#[test]
fn event_pages_that_do_not_advance_stop() {
    // The endless-pages fault: the changes after 0, but "more from 0".
    let answer = events_page(0, 0, true, vec![change(1, 20, "20261127140500")]);
    let message = unavailable(parse_events(None, &answer));
    assert_eq!(
        message,
        "the answer to 办件状态变化查询 (GET /yw/zt, qsxh=0): data says hasNext is true but its zdxh 0 (本页最大序号) does not advance past qsxh 0: asking again would return the same page forever, so the adapter stopped"
    );
    let answer = events_page(5, 5, true, vec![]);
    assert_contains(
        &unavailable(parse_events(Some("5"), &answer)),
        &["does not advance past qsxh 5"],
    );
    // Sequence numbers that do not rise.
    let answer = events_page(
        5,
        7,
        false,
        vec![
            change(7, 20, "20261127140500"),
            change(6, 40, "20261127140600"),
        ],
    );
    assert_contains(
        &unavailable(parse_events(Some("5"), &answer)),
        &["data.list[1] (bae100=20261127-000042) has bae200 6 (序号), not after 7"],
    );
    let answer = events_page(5, 5, false, vec![change(3, 20, "20261127140500")]);
    assert_contains(
        &unavailable(parse_events(Some("5"), &answer)),
        &["not after 5"],
    );
    let answer = events_page(
        0,
        1,
        false,
        vec![
            change(1, 20, "20261127140500"),
            change(2, 20, "20261127140500"),
        ],
    );
    assert_contains(
        &unavailable(parse_events(None, &answer)),
        &["zdxh 1 (本页最大序号), below the last bae200 2"],
    );
}

#[test]
fn bad_event_records_are_unavailable() {
    let one = |edit: &dyn Fn(&mut Value)| {
        let mut record = change(1, 20, "20261127140500");
        edit(&mut record);
        unavailable(parse_events(None, &events_page(0, 1, false, vec![record])))
    };
    assert_eq!(
        one(&|r| r["bae201"] = json!(70)),
        "the answer to 办件状态变化查询 (GET /yw/zt, qsxh=0): data.list[0] (bae100=20261127-000042) has bae201 70 (办件状态), a code the 金保 interface does not define; expected one of 20 (审核中), 30 (需补正), 40 (审核通过), 50 (不予办理), 60 (办结)"
    );
    assert_contains(
        &one(&|r| {
            r.as_object_mut().unwrap().remove("bae201");
        }),
        &["data.list[0] (bae100=20261127-000042) has no bae201 (办件状态)"],
    );
    assert_contains(
        &one(&|r| {
            r.as_object_mut().unwrap().remove("aaz002");
        }),
        &["has no aaz002 (业务流水号)"],
    );
    assert_contains(
        &one(&|r| r["aae036"] = json!("2026-11-27 14:05:00")),
        &[
            "has aae036 \"2026-11-27 14:05:00\" (经办时间); expected a real time written like 20181125140305",
        ],
    );
    assert_contains(
        &one(&|r| r["aae036"] = json!("20261127250000")),
        &["(经办时间)"],
    );
    assert_contains(
        &one(&|r| r["sbk"] = card_record("D33012345", "11010519491231002X", "陈晓东", 1)),
        &["data.list[0].sbk is a 社会保障卡 issued with a change that is not 60"],
    );
    assert_contains(
        &one(&|r| {
            r["bae201"] = json!(60);
            r["sbk"] = json!({"aaz500": "D33012345"});
        }),
        &["data.list[0].sbk has no aac002 (社会保障号码)"],
    );
}

#[test]
fn cursors_are_sequence_numbers() {
    assert_eq!(events_path(None).unwrap(), "/yw/zt?qsxh=0&pageSize=100");
    assert_eq!(
        events_path(Some("17")).unwrap(),
        "/yw/zt?qsxh=17&pageSize=100"
    );
    for cursor in ["", "-1", "+5", " 5", "abc", "99999999999999999999"] {
        assert_contains(&invalid(events_path(Some(cursor))), &["序号 (bae200)"]);
        assert!(parse_events(Some(cursor), &events_page(0, 0, false, vec![])).is_err());
    }
}

fn submission() -> CaseSubmission {
    let id_card = License {
        type_code: "JMSFZ".into(),
        type_name: "居民身份证".into(),
        number: "11010519491231002X".into(),
        holder: Party::Person(Person {
            id_number: "11010519491231002X".into(),
            name: "陈晓东".into(),
        }),
        issuer: "县公安局".into(),
        issued_on: "2016-05-04".into(),
        valid_until: None,
        status: LicenseStatus::Valid,
        face: Vec::new(),
    };
    let business = License {
        type_code: "YYZZ".into(),
        type_name: "营业执照".into(),
        number: "91330122704218653L".into(),
        holder: Party::Organization(Organization {
            credit_code: "91330122704218653L".into(),
            name: "桐庐富春蜂语蜂业有限公司".into(),
        }),
        issuer: "县市场监督管理局".into(),
        issued_on: "2019-07-02".into(),
        valid_until: Some("2039-07-01".into()),
        status: LicenseStatus::Revoked,
        face: Vec::new(),
    };
    let mut other = business.clone();
    other.type_code = "SPJYXKZ".into();
    other.type_name = "食品经营许可证".into();
    other.status = LicenseStatus::Expired;
    CaseSubmission {
        case_no: "20261127-000042".into(),
        matter_code: "330122-RS-SB-001".into(),
        applicant: Party::Person(Person {
            id_number: "11010519491231002X".into(),
            name: "陈晓东".into(),
        }),
        accepted_at: "2026-11-27T01:30:00Z".into(),
        form: vec![
            Field {
                key: "开户银行".into(),
                value: "中国农业银行桐庐县支行".into(),
            },
            Field {
                key: "备注".into(),
                value: "邮寄 \"到家\"\n第二行".into(),
            },
        ],
        attachments: vec![Attachment {
            material_code: "002".into(),
            file_name: "照片.jpg".into(),
            media_type: "image/jpeg".into(),
            content: b"\xFF\xD8\xFF\xE0".to_vec(),
        }],
        licenses: vec![
            LicenseRef {
                material_code: "001".into(),
                license: id_card,
            },
            LicenseRef {
                material_code: "004".into(),
                license: business,
            },
            LicenseRef {
                material_code: "005".into(),
                license: other,
            },
        ],
    }
}

#[test]
fn writes_the_submission_with_reused_licenses() {
    let body: Value = serde_json::from_slice(&submission_body(&submission()).unwrap()).unwrap();
    assert_eq!(
        body,
        json!({
            "bae100": "20261127-000042",
            "aaa121": "330122-RS-SB-001",
            "bae101": 1,
            "aac002": "11010519491231002X",
            "aac003": "陈晓东",
            // 01:30Z is 09:30 in Beijing.
            "aae036": "20261127093000",
            "bdxx": [
                {"bae110": "开户银行", "bae111": "中国农业银行桐庐县支行"},
                {"bae110": "备注", "bae111": "邮寄 \"到家\"\n第二行"}
            ],
            "fjxx": [
                {"bae010": "002", "bae120": "照片.jpg", "bae121": "image/jpeg", "bae122": "/9j/4A=="}
            ],
            "zzxx": [
                {
                    "bae010": "001", "aac058": 1, "bae132": "居民身份证", "bae133": "JMSFZ",
                    "aae135": "11010519491231002X",
                    "aac002": "11010519491231002X", "aac003": "陈晓东",
                    "aae017": "县公安局", "aae030": "20160504", "aae031": null, "bae135": 1
                },
                {
                    "bae010": "004", "aac058": 3, "bae132": "营业执照", "bae133": "YYZZ",
                    "aae135": "91330122704218653L",
                    "aab998": "91330122704218653L", "aab004": "桐庐富春蜂语蜂业有限公司",
                    "aae017": "县市场监督管理局", "aae030": "20190702", "aae031": "20390701", "bae135": 2
                },
                {
                    "bae010": "005", "aac058": 99, "bae132": "食品经营许可证", "bae133": "SPJYXKZ",
                    "aae135": "91330122704218653L",
                    "aab998": "91330122704218653L", "aab004": "桐庐富春蜂语蜂业有限公司",
                    "aae017": "县市场监督管理局", "aae030": "20190702", "aae031": "20390701", "bae135": 3
                }
            ]
        })
    );

    let mut organization = submission();
    organization.applicant = Party::Organization(Organization {
        credit_code: "91330122704218653L".into(),
        name: "桐庐富春蜂语蜂业有限公司".into(),
    });
    organization.form.clear();
    organization.attachments.clear();
    organization.licenses.clear();
    let body: Value = serde_json::from_slice(&submission_body(&organization).unwrap()).unwrap();
    assert_eq!(body["bae101"], 2);
    assert_eq!(body["aab998"], "91330122704218653L");
    assert_eq!(body["aab004"], "桐庐富春蜂语蜂业有限公司");
    assert!(body.get("aac002").is_none());
    assert_eq!(body["bdxx"], json!([]));
    assert_eq!(body["zzxx"], json!([]));

    let answer = ok(json!({"aaz002": "3301222026112700001", "bae102": 0}));
    assert_eq!(parse_submission(&answer).unwrap(), "3301222026112700001");
    // What the missing-element fault does to the answer.
    let answer = ok(json!({"bae102": 0}));
    assert_eq!(
        unavailable(parse_submission(&answer)),
        "the answer to 业务申请 (POST /yw/sq): data has no aaz002 (业务流水号)"
    );
}

#[test]
fn a_submission_that_cannot_be_written_is_invalid() {
    let mut bad = submission();
    bad.accepted_at = "2026-11-27 09:30:00".into();
    assert_contains(
        &invalid(submission_body(&bad)),
        &[
            "case 20261127-000042",
            "accepted-at \"2026-11-27 09:30:00\"",
        ],
    );
    let mut bad = submission();
    bad.licenses[0].license.issued_on = "去年".into();
    assert_contains(
        &invalid(submission_body(&bad)),
        &["the reused 居民身份证 11010519491231002X has issued-on \"去年\""],
    );
}

#[test]
fn the_department_does_not_push() {
    let message = invalid(parse_notification(b"{}", "application/json"));
    assert_contains(
        &message,
        &["does not push", "2 bytes of application/json", "GET /yw/zt"],
    );
}

/// An entry of the change log: the card `number` of 周珺 changed to `status`.
fn card_change(xh: u64, number: &str, status: i64) -> Value {
    json!({
        "bae200": xh,
        "bae203": 2,
        "aaz500": number,
        "aaz502": status,
        "aae036": "20261127153000",
        "aae013": "社会保障卡正式挂失：持卡人电话挂失",
        "aae011": "县人力资源和社会保障局",
        "sbk": card_record(number, "330122199208150026", "周珺", status)
    })
}

#[test]
fn a_card_reported_lost_or_cancelled_is_a_license_event() {
    let answer = events_page(
        3,
        6,
        false,
        vec![
            change(4, 20, "20261127140500"),
            card_change(5, "D33011204", 3),
            card_change(6, "D33011298", 1),
        ],
    );
    let page = parse_events(Some("3"), &answer).unwrap();
    assert_eq!(page.next_cursor.as_deref(), Some("6"));
    assert_eq!(page.events.len(), 3);
    assert_eq!(page.cases().len(), 1, "one case moved");
    let Event::LicenseChanged(lost) = &page.events[1] else {
        panic!("a card change is a license event: {:?}", page.events[1]);
    };
    assert_eq!(lost.license.type_code, "SHBZK");
    assert_eq!(lost.license.number, "D33011204");
    assert_eq!(lost.license.status, LicenseStatus::Revoked);
    assert!(
        matches!(&lost.license.holder, Party::Person(p) if p.id_number == "330122199208150026" && p.name == "周珺"),
        "{:?}",
        lost.license.holder
    );
    assert_eq!(lost.at, "2026-11-27T15:30:00+08:00");
    assert_eq!(lost.note, "社会保障卡正式挂失：持卡人电话挂失");
    let Event::LicenseChanged(found) = &page.events[2] else {
        panic!("{:?}", page.events[2]);
    };
    assert_eq!(found.license.status, LicenseStatus::Valid, "found again");
    for (code, status) in [
        (2, LicenseStatus::Revoked),
        (4, LicenseStatus::Revoked),
        (5, LicenseStatus::Expired),
    ] {
        let page = parse_events(
            None,
            &events_page(0, 1, false, vec![card_change(1, "D33011204", code)]),
        )
        .unwrap();
        let Event::LicenseChanged(event) = &page.events[0] else {
            panic!("{:?}", page.events[0]);
        };
        assert_eq!(event.license.status, status, "aaz502 {code}");
    }
}

#[test]
fn bad_card_changes_are_unavailable() {
    let one = |edit: &dyn Fn(&mut Value)| {
        let mut record = card_change(1, "D33011204", 3);
        edit(&mut record);
        unavailable(parse_events(None, &events_page(0, 1, false, vec![record])))
    };
    assert_eq!(
        one(&|r| r["bae203"] = json!(3)),
        "the answer to 办件状态变化查询 (GET /yw/zt, qsxh=0): data.list[0] has bae203 3 (变化类型), a code the 金保 interface does not define; expected one of 1 (办件状态), 2 (社会保障卡状态)"
    );
    assert_contains(
        &one(&|r| {
            r.as_object_mut().unwrap().remove("bae203");
        }),
        &["data.list[0] has no bae203 (变化类型)"],
    );
    assert_contains(
        &one(&|r| {
            r.as_object_mut().unwrap().remove("sbk");
        }),
        &["data.list[0] is a change of the card D33011204 (bae203 2) without the card (sbk)"],
    );
    assert_contains(
        &one(&|r| r["aaz502"] = json!(9)),
        &["has aaz502 9 (卡状态), a code the 金保 interface does not define"],
    );
    assert_contains(
        &one(&|r| r["sbk"]["aaz502"] = json!(1)),
        &[
            "data.list[0].sbk is the card D33011204 with aaz502 1, but the change is of the card D33011204 to aaz502 3",
        ],
    );
    assert_contains(
        &one(&|r| r["sbk"]["aaz500"] = json!("D33011298")),
        &["is the card D33011298 with aaz502 3, but the change is of the card D33011204"],
    );
    assert_contains(
        &one(&|r| r["aae036"] = json!("20261127")),
        &["has aae036 \"20261127\" (经办时间)"],
    );
}

fn supplied() -> Vec<Attachment> {
    vec![Attachment {
        material_code: "002".into(),
        file_name: "照片（重拍）.jpg".into(),
        media_type: "image/jpeg".into(),
        content: vec![0xFF, 0xD8, 0xFF, 0xE0],
    }]
}

#[test]
fn writes_the_supplement_and_the_withdrawal() {
    let body = supplement_body("20261127-000042", &supplied(), " 照片已按要求重拍 \n").unwrap();
    let sent: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        sent,
        json!({
            "bae100": "20261127-000042",
            "aae013": "照片已按要求重拍",
            "fjxx": [{"bae010": "002", "bae120": "照片（重拍）.jpg", "bae121": "image/jpeg", "bae122": "/9j/4A=="}]
        })
    );
    let body = withdrawal_body("20261127-000042", "申请人 陈晓东 已在外地办理").unwrap();
    let sent: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        sent,
        json!({"bae100": "20261127-000042", "aae013": "申请人 陈晓东 已在外地办理"})
    );
}

#[test]
fn reads_the_supplement_and_withdrawal_answers() {
    let handled = |bae100: &str, repeat: i64| {
        ok(
            json!({"bae100": bae100, "aaz002": "3301222026112700001", "aae036": "20261127153000", "bae102": repeat}),
        )
    };
    for repeat in [0, 1] {
        parse_supplement("20261127-000042", &handled("20261127-000042", repeat)).unwrap();
        parse_withdrawal("20261127-000042", &handled("20261127-000042", repeat)).unwrap();
    }
    assert_eq!(
        unavailable(parse_supplement(
            "20261127-000042",
            &handled("20261127-000043", 0)
        )),
        "the answer to 业务补正 (POST /yw/bz, bae100=20261127-000042): data is about case 20261127-000043 (bae100) although case 20261127-000042 was sent"
    );
    let mut bad = json!({"bae100": "20261127-000042", "aaz002": "3301222026112700001", "aae036": "2026-11-27", "bae102": 0});
    assert_contains(
        &unavailable(parse_withdrawal("20261127-000042", &ok(bad.clone()))),
        &[
            "业务撤回 (POST /yw/ch",
            "has aae036 \"2026-11-27\" (经办时间)",
        ],
    );
    bad["aae036"] = json!("20261127153000");
    bad.as_object_mut().unwrap().remove("aaz002");
    assert_contains(
        &unavailable(parse_withdrawal("20261127-000042", &ok(bad))),
        &["has no aaz002 (业务流水号)"],
    );

    // The department's own answers.
    let failing = |code: i64, message: &str| {
        answer_of(&json!({"code": code, "message": message, "data": null}))
    };
    let refused = failing(3001, "办件已办结，不能撤回");
    assert!(matches!(parse_withdrawal("X", &refused),
        Err(AdapterError::Refused(m)) if m == "办件已办结，不能撤回"));
    let refused = failing(3001, "办件当前状态为审核中（20），不在需补正状态，无需补正");
    assert!(matches!(parse_supplement("X", &refused),
        Err(AdapterError::Refused(m)) if m.contains("不在需补正状态")));
    let unknown = failing(2001, "办件不存在（bae100=X）");
    assert!(matches!(parse_supplement("X", &unknown),
        Err(AdapterError::NotFound(m)) if m == "办件不存在（bae100=X）"));
    assert!(matches!(
        parse_withdrawal("X", &unknown),
        Err(AdapterError::NotFound(_))
    ));
    let malformed = failing(1001, "fjxx（附件信息）不能为空：补正须至少提交一个附件");
    assert_contains(
        &invalid(parse_supplement("X", &malformed)),
        &[
            "业务补正 (POST /yw/bz)",
            "code 1001",
            "补正须至少提交一个附件",
        ],
    );
    let down = Answer {
        status: 503,
        content_type: "text/html".into(),
        body: b"<html>Service Unavailable</html>".to_vec(),
    };
    assert_contains(
        &unavailable(parse_withdrawal("X", &down)),
        &["HTTP 503 to 业务撤回 (POST /yw/ch)", "try again later"],
    );
}
