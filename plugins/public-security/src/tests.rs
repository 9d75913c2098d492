//! The translation against GBK fixed-width answers shaped like the 人口信息管理系统's,
//! good days and bad. The records here are written field by field from the widths in
//! `examples/legacy-systems/public-security.md`, not with the adapter's own layouts.

use onewindow_sdk::codes::gbk;
use onewindow_sdk::testing::{CaseEvents, assert_contains, face, invalid, unavailable};
use onewindow_sdk::types::{
    AdapterError, Attachment, CaseStatus, CaseSubmission, Field, FieldKind, FormField, License,
    LicenseRef, LicenseStatus, MatterKind, Organization, Party, PartyField, Person,
};

use crate::Answer;
use crate::legacy::{
    events_path, holder_request, notification_refused, parse_catalogue, parse_events,
    parse_holder_licenses, parse_submission, parse_supplement, parse_verification,
    parse_withdrawal, submission_request, supplement_request, verify_request, withdrawal_request,
};

const GBK_TEXT: &str = "text/plain; charset=GBK";

/// A text field: GBK, padded with spaces to `width` bytes.
fn text(value: &str, width: usize) -> Vec<u8> {
    let mut bytes = gbk::encode(value).unwrap();
    assert!(bytes.len() <= width, "{value:?} does not fit {width} bytes");
    bytes.resize(width, b' ');
    bytes
}

/// A numeric field: zero-filled to `width` digits.
fn num(value: u64, width: usize) -> Vec<u8> {
    format!("{value:0width$}").into_bytes()
}

fn record(parts: &[Vec<u8>]) -> Vec<u8> {
    let mut out = parts.concat();
    out.extend_from_slice(b"\r\n");
    out
}

fn header(tx: &str, code: &str, message: &str, count: u64) -> Vec<u8> {
    record(&[
        b"00".to_vec(),
        text(tx, 4),
        text(code, 4),
        text(message, 80),
        num(count, 6),
    ])
}

/// An answer: the header with the right count, then the records.
fn answer_body(tx: &str, records: &[Vec<u8>]) -> Vec<u8> {
    let mut body = header(tx, "0000", "成功", records.len() as u64);
    for r in records {
        body.extend_from_slice(r);
    }
    body
}

fn ok(body: &[u8]) -> Answer<'_> {
    Answer {
        status: 200,
        content_type: GBK_TEXT,
        body,
    }
}

#[allow(clippy::too_many_arguments)]
fn matter_record(
    code: &str,
    name: &str,
    kind: &str,
    legal: u64,
    promised: u64,
    visits: u64,
    online: &str,
    materials: u64,
) -> Vec<u8> {
    record(&[
        b"10".to_vec(),
        text(code, 20),
        text(name, 60),
        text("县公安局", 40),
        text(kind, 2),
        num(legal, 3),
        num(promised, 3),
        num(visits, 1),
        text(online, 1),
        text("不收费", 40),
        text(
            "依法登记的企业、事业单位、社会团体等需要刻制公章的单位",
            300,
        ),
        num(materials, 2),
        num(0, 2),
    ])
}

/// `matter` (a `10`) announcing `fields` form fields (表单项数).
fn with_form(mut matter: Vec<u8>, fields: u64) -> Vec<u8> {
    let at = matter.len() - 4;
    matter[at..at + 2].copy_from_slice(&num(fields, 2));
    matter
}

fn field_record(
    key: &str,
    label: &str,
    kind: &str,
    required: &str,
    source: &str,
    options: &str,
) -> Vec<u8> {
    record(&[
        b"12".to_vec(),
        text(key, 40),
        text(label, 60),
        text(kind, 2),
        text(required, 1),
        text(source, 2),
        text(options, 200),
    ])
}

fn material_record(code: &str, name: &str, required: &str, license: &str) -> Vec<u8> {
    record(&[
        b"11".to_vec(),
        text(code, 10),
        text(name, 60),
        text(required, 1),
        text(license, 20),
    ])
}

fn catalogue() -> Vec<Vec<u8>> {
    vec![
        with_form(
            matter_record("330122-GA-BA-003", "公章刻制备案", "QT", 3, 1, 0, "1", 4),
            2,
        ),
        material_record("001", "营业执照", "1", "营业执照"),
        material_record("002", "法定代表人身份证明", "1", "居民身份证"),
        material_record("003", "印章印模", "1", ""),
        material_record("004", "委托书", "0", ""),
        field_record("印章名称", "印章名称（印文）", "TX", "1", "XM", ""),
        field_record(
            "印章类型",
            "印章类型",
            "XZ",
            "0",
            "",
            "单位公章|财务专用章|法定代表人名章",
        ),
        with_form(
            matter_record(
                "330122-GA-QR-003",
                "居民身份证换领",
                "QR",
                60,
                20,
                1,
                "0",
                1,
            ),
            1,
        ),
        material_record("001", "居民身份证", "1", "居民身份证"),
        field_record("联系电话", "联系电话", "TX", "0", "DH", ""),
    ]
}

fn change_record(xh: u64, case_no: &str, code: &str, at: &str, note: &str) -> Vec<u8> {
    record(&[
        b"21".to_vec(),
        num(xh, 12),
        text(case_no, 30),
        text("GA202611270001", 20),
        text(code, 2),
        text(at, 14),
        text(note, 200),
    ])
}

fn page_record(from: u64, last: u64, more: &str) -> Vec<u8> {
    record(&[b"29".to_vec(), num(from, 12), num(last, 12), text(more, 1)])
}

const WANG_RONG: &str = "330122198203150014";

/// A 居民身份证 of 王镕, or a 居民户口簿 page with `number` when `kind` is JMHKB.
fn license_record(kind: &str, number: &str, valid_until: &str, status: &str) -> Vec<u8> {
    let (name, household, head, relation) = match kind {
        "JMHKB" => ("居民户口簿", "122000101", "王镕", "户主"),
        _ => ("居民身份证", "", "", ""),
    };
    record(&[
        b"30".to_vec(),
        text(kind, 6),
        text(name, 20),
        text(number, 20),
        text(WANG_RONG, 18),
        text("王镕", 30),
        text("桐庐县公安局", 40),
        text("20150610", 8),
        text(valid_until, 8),
        text(status, 1),
        text("男", 2),
        text("汉", 10),
        text("19820315", 8),
        text("浙江省桐庐县城南街道白云源路1号", 100),
        text(household, 9),
        text(head, 30),
        text(relation, 10),
    ])
}

fn id_card() -> Vec<u8> {
    license_record("JMSFZ", WANG_RONG, "20350610", "1")
}

#[test]
fn the_header_has_the_documented_layout() {
    let bytes = header("1001", "0000", "成功", 7);
    assert_eq!(bytes.len(), 96 + 2);
    let mut expected = b"0010010000\xB3\xC9\xB9\xA6".to_vec();
    expected.resize(90, b' ');
    expected.extend_from_slice(b"000007\r\n");
    assert_eq!(bytes, expected);
}

#[test]
fn reads_the_catalogue() {
    let body = answer_body("1001", &catalogue());
    let matters = parse_catalogue(&ok(&body)).unwrap();
    assert_eq!(matters.len(), 2);

    let seal = &matters[0];
    assert_eq!(seal.code, "330122-GA-BA-003");
    assert_eq!(seal.name, "公章刻制备案");
    assert_eq!(seal.department, "县公安局");
    assert_eq!(seal.kind, MatterKind::OtherPower);
    assert_eq!(
        (seal.legal_days, seal.promised_days, seal.visits),
        (3, 1, 0)
    );
    assert!(seal.online);
    assert_eq!(seal.fee, "不收费");
    assert!(seal.conditions.starts_with("依法登记的企业"));
    let materials: Vec<_> = seal
        .materials
        .iter()
        .map(|m| {
            (
                m.code.as_str(),
                m.name.as_str(),
                m.required,
                m.license_type.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        materials,
        [
            ("001", "营业执照", true, Some("营业执照")),
            ("002", "法定代表人身份证明", true, Some("居民身份证")),
            ("003", "印章印模", true, None),
            ("004", "委托书", false, None),
        ]
    );
    // The bindings' FormField has no PartialEq: compared as written out.
    assert_eq!(
        format!("{:?}", seal.form),
        format!(
            "{:?}",
            [
                FormField {
                    key: "印章名称".into(),
                    label: "印章名称（印文）".into(),
                    kind: FieldKind::Text,
                    required: true,
                    from_party: Some(PartyField::Name),
                },
                FormField {
                    key: "印章类型".into(),
                    label: "印章类型".into(),
                    kind: FieldKind::Choice(vec![
                        "单位公章".into(),
                        "财务专用章".into(),
                        "法定代表人名章".into(),
                    ]),
                    required: false,
                    from_party: None,
                },
            ]
        )
    );
    let card = &matters[1];
    assert_eq!(card.kind, MatterKind::AdministrativeConfirmation);
    assert_eq!((card.visits, card.online), (1, false));
    assert_eq!(
        card.materials[0].license_type.as_deref(),
        Some("居民身份证")
    );
    assert_eq!(card.form.len(), 1);
    assert_eq!(card.form[0].from_party, Some(PartyField::Phone));
}

#[test]
fn every_field_type_and_source_is_read() {
    let kinds = [
        ("TX", FieldKind::Text),
        ("RQ", FieldKind::Date),
        ("SZ", FieldKind::Number),
        ("SF", FieldKind::IdNumber),
        ("XY", FieldKind::CreditCode),
        ("DZ", FieldKind::Address),
    ];
    let sources = [
        ("", None),
        ("XM", Some(PartyField::Name)),
        ("SF", Some(PartyField::IdNumber)),
        ("XY", Some(PartyField::CreditCode)),
        ("DZ", Some(PartyField::Address)),
        ("DH", Some(PartyField::Phone)),
        ("FR", Some(PartyField::LegalRepresentative)),
    ];
    let mut records = vec![with_form(
        matter_record(
            "330122-GA-XK-001",
            "旅馆业特种行业许可证核发",
            "XK",
            20,
            10,
            1,
            "1",
            0,
        ),
        (kinds.len() + sources.len()) as u64,
    )];
    for (i, (code, _)) in kinds.iter().enumerate() {
        records.push(field_record(&format!("k{i}"), "类型", code, "1", "", ""));
    }
    for (i, (code, _)) in sources.iter().enumerate() {
        records.push(field_record(&format!("s{i}"), "来源", "TX", "0", code, ""));
    }
    let body = answer_body("1001", &records);
    let matters = parse_catalogue(&ok(&body)).unwrap();
    let form = &matters[0].form;
    for (i, (_, kind)) in kinds.iter().enumerate() {
        assert_eq!(format!("{:?}", form[i].kind), format!("{kind:?}"));
        assert!(form[i].required);
    }
    for (i, (_, source)) in sources.iter().enumerate() {
        assert_eq!(form[kinds.len() + i].from_party, *source);
        assert!(!form[kinds.len() + i].required);
    }
}

#[test]
fn form_field_definitions_are_checked() {
    let catalogue_with = |field: Vec<u8>| {
        let mut records = catalogue();
        records[6] = field;
        answer_body("1001", &records)
    };
    let cases = [
        (
            field_record("印章类型", "印章类型", "ZZ", "0", "", ""),
            "record 7 (12 表单项定义 印章类型) has 字段类型 \"ZZ\", a code the specification does not define (expected one of TX, RQ, SZ, XZ, SF, XY, DZ)",
        ),
        (
            field_record("印章类型", "印章类型", "XZ", "0", "", ""),
            "has 可选值 \"\"; expected the values of a choice (字段类型 XZ), separated by |, none of them empty",
        ),
        (
            field_record(
                "印章类型",
                "印章类型",
                "XZ",
                "0",
                "",
                "单位公章||财务专用章",
            ),
            "none of them empty",
        ),
        (
            field_record("印章类型", "印章类型", "TX", "0", "", "单位公章"),
            "has 可选值 \"单位公章\" but its 字段类型 TX is not a choice (XZ)",
        ),
        (
            field_record("印章类型", "印章类型", "TX", "0", "QQ", ""),
            "has 取值来源 \"QQ\", a code the specification does not define (expected one of XM, SF, XY, DZ, DH, FR)",
        ),
        (
            field_record("印章类型", "印章类型", "TX", "2", "", ""),
            "has 必填标志 \"2\"; expected 1 (yes) or 0 (no)",
        ),
        (
            field_record("印章类型", "", "TX", "0", "", ""),
            "has an empty 显示名称, which the specification requires",
        ),
        (
            field_record("印章名称", "印章名称", "TX", "0", "", ""),
            "record 7 (12 表单项定义 印章名称) declares form field 印章名称 of matter 330122-GA-BA-003 a second time",
        ),
    ];
    for (field, expected) in cases {
        assert_contains(
            &unavailable(parse_catalogue(&ok(&catalogue_with(field)))),
            &[expected],
        );
    }

    // Counted like the materials; the materials come first.
    let mut records = catalogue();
    records.remove(6);
    let body = answer_body("1001", &records);
    assert_eq!(
        unavailable(parse_catalogue(&ok(&body))),
        "the answer to 交易1001（事项清单查询）: record 1 (10 事项 330122-GA-BA-003) announces 2 form fields (表单项数) but 1 12 表单项定义 records follow it"
    );
    let mut records = catalogue();
    records.swap(4, 5);
    let body = answer_body("1001", &records);
    assert_eq!(
        unavailable(parse_catalogue(&ok(&body))),
        "the answer to 交易1001（事项清单查询）: record 6 (11 材料 004) comes after the 12 表单项定义 records of matter 330122-GA-BA-003; its 11 材料 records come first"
    );
}

#[test]
fn catalogue_structure_is_checked() {
    // A material count that does not match what follows.
    let mut records = catalogue();
    records.remove(4);
    let body = answer_body("1001", &records);
    assert_eq!(
        unavailable(parse_catalogue(&ok(&body))),
        "the answer to 交易1001（事项清单查询）: record 1 (10 事项 330122-GA-BA-003) announces 4 materials (材料数) but 3 11 材料 records follow it"
    );
    // A material before any matter.
    let mut records = catalogue();
    records.swap(0, 1);
    let body = answer_body("1001", &records);
    assert_contains(
        &unavailable(parse_catalogue(&ok(&body))),
        &["record 1 (11 材料 001) comes before any 10 事项"],
    );
    // A promise beyond the legal limit.
    let mut records = catalogue();
    records[7] = matter_record(
        "330122-GA-QR-003",
        "居民身份证换领",
        "QR",
        20,
        60,
        1,
        "0",
        1,
    );
    let body = answer_body("1001", &records);
    assert_contains(
        &unavailable(parse_catalogue(&ok(&body))),
        &[
            "record 8 (10 事项 330122-GA-QR-003)",
            "promises 60 working days (承诺时限) but the legal limit is 20 (法定时限)",
        ],
    );
}

#[test]
fn unknown_codes_name_their_record_and_field() {
    let mut records = catalogue();
    records[0] = matter_record("330122-GA-BA-003", "公章刻制备案", "ZZ", 3, 1, 0, "1", 4);
    let body = answer_body("1001", &records);
    assert_eq!(
        unavailable(parse_catalogue(&ok(&body))),
        "the answer to 交易1001（事项清单查询）: record 1 (10 事项 330122-GA-BA-003) has 事项类型 \"ZZ\", a code the specification does not define (expected one of XK, QR, JF, CJ, JL, QT, GF)"
    );

    let mut records = catalogue();
    records[0] = matter_record("330122-GA-BA-003", "公章刻制备案", "QT", 3, 1, 0, "Y", 4);
    let body = answer_body("1001", &records);
    assert_contains(
        &unavailable(parse_catalogue(&ok(&body))),
        &["has 网办标志 \"Y\"; expected 1 (yes) or 0 (no)"],
    );

    // An unknown record type: what the mock's unknown-code fault does.
    let mut records = catalogue();
    records[0][..2].copy_from_slice(b"99");
    let body = answer_body("1001", &records);
    assert_eq!(
        unavailable(parse_catalogue(&ok(&body))),
        "the answer to 交易1001（事项清单查询）: record 1 has record type \"99\", which the specification does not define here (expected 10 事项, 11 材料, 12 表单项定义)"
    );

    // An unknown 返回码 (what the fault does to an answer without data records).
    let body = header("3001", "5001", "", 0);
    assert_eq!(
        unavailable(parse_holder_licenses(&ok(&body))),
        "the answer to 交易3001（证照查询）: record 0 (00 头记录) has 返回码 \"5001\", a code the specification does not define (expected one of 0000, 1001, 2001, 3001, 9001, 9999); 返回信息: (none)"
    );
}

#[test]
fn return_codes_map_to_the_contract() {
    let failing = |code: &str, message: &str| header("2001", code, message, 0);
    let body = failing("2001", "事项编码330122-GA-XX-999不存在");
    assert!(matches!(parse_submission(&ok(&body), "X"),
        Err(AdapterError::NotFound(m)) if m == "事项编码330122-GA-XX-999不存在"));
    let body = failing("3001", "申请人不是本县户籍人口，不能办理居民身份证换领");
    assert!(matches!(parse_submission(&ok(&body), "X"),
        Err(AdapterError::Refused(m)) if m == "申请人不是本县户籍人口，不能办理居民身份证换领"));
    let body = failing("1001", "申报主记录缺少事项编码");
    assert_contains(
        &invalid(parse_submission(&ok(&body), "X")),
        &[
            "交易2001（办件申报）",
            "返回码 1001",
            "申报主记录缺少事项编码",
        ],
    );
    for code in ["9001", "9999"] {
        let body = failing(code, "系统繁忙");
        assert_contains(
            &unavailable(parse_submission(&ok(&body), "X")),
            &[&format!("返回码 {code}"), "系统繁忙", "try again later"],
        );
    }
    // A header answering another transaction.
    let body = header("1001", "0000", "成功", 0);
    assert_contains(
        &unavailable(parse_submission(&ok(&body), "X")),
        &["answers 交易码 1001, not the 2001 that was asked"],
    );
}

#[test]
fn truncated_answers_are_unavailable_and_say_where() {
    let body = answer_body("1001", &catalogue());
    // Cut in the middle of a record: the half the mock's truncated fault sends.
    let half = &body[..body.len() / 2];
    assert_contains(
        &unavailable(parse_catalogue(&ok(half))),
        &[
            "the answer to 交易1001（事项清单查询） is cut off or damaged: record ",
            "without the CRLF that ends every record",
        ],
    );
    // Cut exactly after a record: the count in the header gives it away.
    let records = catalogue();
    let whole = answer_body("1001", &records);
    let cut = whole.len() - records[9].len();
    assert_eq!(
        unavailable(parse_catalogue(&ok(&whole[..cut]))),
        "the answer to 交易1001（事项清单查询） announces 10 data records (记录数 in the header) but 9 follow; the answer was cut off"
    );
    // A record shorter than its layout, with its CRLF.
    let mut records = catalogue();
    let len = records[1].len();
    records[1].drain(len - 14..len - 2);
    let body = answer_body("1001", &records);
    assert_eq!(
        unavailable(parse_catalogue(&ok(&body))),
        "the answer to 交易1001（事项清单查询）: record 2 (11 材料) is 81 bytes long, shorter than the 93 bytes of its layout: it was cut off"
    );
    // A record that lost a byte inside 营业执照, padded back to its width.
    let mut records = catalogue();
    let name_start = 2 + 10;
    records[1].remove(name_start + 1);
    let len = records[1].len();
    records[1].insert(len - 2, b' ');
    let body = answer_body("1001", &records);
    assert_contains(
        &unavailable(parse_catalogue(&ok(&body))),
        &["record 2 (11 材料)", "材料名称"],
    );
    // A bare LF.
    let mut body = answer_body("1001", &catalogue());
    let end = body.len();
    body.remove(end - 2);
    assert_contains(
        &unavailable(parse_catalogue(&ok(&body))),
        &["record 10 ends with a bare LF"],
    );
    // Nothing at all.
    assert_contains(&unavailable(parse_catalogue(&ok(b""))), &["is empty"]);
}

#[test]
fn a_field_cut_mid_character_is_named() {
    // 镕 straddles the end of the 30-byte 持证人姓名: its first byte is the field's last.
    let mut bad = id_card();
    let at = 2 + 6 + 20 + 20 + 18;
    let rong = gbk::encode("镕").unwrap();
    bad[at + 29] = rong[0];
    bad[at + 30] = rong[1];
    let body = answer_body("3001", &[bad]);
    assert_eq!(
        unavailable(parse_holder_licenses(&ok(&body))),
        "the answer to 交易3001（证照查询）: record 1 (30 证照) has a double-byte character cut in half at the end of 持证人姓名 (byte 95): the fields do not match the layout, or the text is not GBK"
    );
}

#[test]
fn wrong_encodings_are_unavailable() {
    // Declared UTF-8 (what the mock's wrong-encoding fault sends).
    let body = answer_body("1001", &catalogue());
    let utf8 = gbk::decode(&body).unwrap();
    let answer = Answer {
        status: 200,
        content_type: "text/plain; charset=UTF-8",
        body: utf8.as_bytes(),
    };
    assert_eq!(
        unavailable(parse_catalogue(&answer)),
        "the answer to 交易1001（事项清单查询） is declared as charset=UTF-8, but the system's records are GBK and their field widths count GBK bytes; it cannot be read (is the system misconfigured?)"
    );
    // UTF-8 bytes declared as GBK: the widths no longer fit.
    let answer = Answer {
        content_type: GBK_TEXT,
        ..answer
    };
    assert_contains(
        &unavailable(parse_catalogue(&answer)),
        &["record 0 (00 头记录) is 98 bytes long, longer than the 96 bytes of its layout"],
    );
    // Bytes that are not GBK at all.
    let mut records = catalogue();
    records[1][12] = 0xFF;
    let body = answer_body("1001", &records);
    assert_contains(
        &unavailable(parse_catalogue(&ok(&body))),
        &[
            "record 2 (11 材料)",
            "材料名称 that is not GBK text",
            "0xFF",
        ],
    );
    // The other names of GBK are fine; no charset means GBK.
    let body = answer_body("1001", &catalogue());
    for content_type in ["text/plain; charset=gb2312", "text/plain", ""] {
        let answer = Answer {
            status: 200,
            content_type,
            body: &body,
        };
        assert_eq!(parse_catalogue(&answer).unwrap().len(), 2, "{content_type}");
    }
}

#[test]
fn missing_fields_are_named_with_their_record() {
    let mut records = catalogue();
    records[0] = matter_record("330122-GA-BA-003", "", "QT", 3, 1, 0, "1", 4);
    let body = answer_body("1001", &records);
    assert_eq!(
        unavailable(parse_catalogue(&ok(&body))),
        "the answer to 交易1001（事项清单查询）: record 1 (10 事项 330122-GA-BA-003) has an empty 事项名称, which the specification requires"
    );

    let receipt = record(&[
        b"20".to_vec(),
        text("20261127-000001", 30),
        text("", 20),
        text("0", 1),
    ]);
    let body = answer_body("2001", &[receipt]);
    assert_eq!(
        unavailable(parse_submission(&ok(&body), "20261127-000001")),
        "the answer to 交易2001（办件申报）: record 1 (20 办件回执 20261127-000001) has an empty 业务流水号, which the specification requires"
    );

    let body = answer_body(
        "2002",
        &[
            page_record(0, 1, "0"),
            change_record(1, "20261127-000001", "", "20261127140500", ""),
        ],
    );
    assert_eq!(
        unavailable(parse_events(&ok(&body), 0)),
        "the answer to 交易2002（办件状态查询）: record 2 (21 状态变化 000000000001) has an empty 状态代码, which the specification requires"
    );

    let body = answer_body("3001", &[license_record("JMSFZ", "", "20350610", "1")]);
    assert_contains(
        &unavailable(parse_holder_licenses(&ok(&body))),
        &["record 1 (30 证照) has an empty 证照编号"],
    );

    let body = header("1001", "", "成功", 0);
    assert_contains(
        &unavailable(parse_catalogue(&ok(&body))),
        &["record 0 (00 头记录) has an empty 返回码"],
    );
}

#[test]
fn http_errors_are_unavailable() {
    let answer = Answer {
        status: 503,
        content_type: "text/html",
        body: b"<html><body>Service Unavailable</body></html>",
    };
    assert_eq!(
        unavailable(parse_catalogue(&answer)),
        "the 县公安局 人口信息管理系统 answered HTTP 503 to 交易1001（事项清单查询） instead of records; it is down or overloaded, try again later"
    );
    // An HTML page with 200 is no header record.
    let answer = Answer {
        status: 200,
        content_type: "text/html; charset=GBK",
        body: b"<html>\r\n",
    };
    assert_contains(
        &unavailable(parse_catalogue(&answer)),
        &["record 0 has record type \"<h\""],
    );
}

fn status_page() -> Vec<u8> {
    answer_body(
        "2002",
        &[
            page_record(16, 19, "1"),
            change_record(
                17,
                "20261127-000123",
                "20",
                "20261127140500",
                "材料齐全，进入审核",
            ),
            change_record(18, "20261127-000123", "30", "20261127141000", "审批通过"),
            change_record(
                19,
                "20261127-000123",
                "40",
                "20261127091730",
                "已办结，核发居民身份证",
            ),
            id_card(),
        ],
    )
}

#[test]
fn reads_a_status_page_with_a_license() {
    let body = status_page();
    let page = parse_events(&ok(&body), 16).unwrap();
    assert_eq!(page.next_cursor.as_deref(), Some("19"));
    assert!(page.more);
    let statuses: Vec<_> = page.cases().into_iter().map(|e| e.status).collect();
    assert_eq!(
        statuses,
        [
            CaseStatus::InReview,
            CaseStatus::Approved,
            CaseStatus::Completed
        ]
    );
    let review = page.cases()[0];
    assert_eq!(review.case_no, "20261127-000123");
    assert_eq!(review.at, "2026-11-27T14:05:00+08:00");
    assert_eq!(review.note, "材料齐全，进入审核");
    assert!(review.issued.is_none());

    let done = page.cases()[2];
    assert_eq!(done.at, "2026-11-27T09:17:30+08:00");
    let license = done.issued.as_ref().unwrap();
    assert_eq!(license.type_code, "JMSFZ");
    assert_eq!(license.type_name, "居民身份证");
    assert_eq!(license.number, WANG_RONG);
    assert!(
        matches!(&license.holder, Party::Person(p) if p.id_number == WANG_RONG && p.name == "王镕")
    );
    assert_eq!(license.issuer, "桐庐县公安局");
    assert_eq!(license.issued_on, "2015-06-10");
    assert_eq!(license.valid_until.as_deref(), Some("2035-06-10"));
    assert_eq!(license.status, LicenseStatus::Valid);
    assert_eq!(
        face(license),
        [
            ("name", "王镕"),
            ("sex", "男"),
            ("ethnicity", "汉"),
            ("birth-date", "1982-03-15"),
            ("address", "浙江省桐庐县城南街道白云源路1号"),
            ("id-number", WANG_RONG),
        ]
    );
}

#[test]
fn an_empty_page_keeps_the_cursor() {
    let body = answer_body("2002", &[page_record(19, 19, "0")]);
    let page = parse_events(&ok(&body), 19).unwrap();
    assert!(page.events.is_empty());
    assert_eq!(page.next_cursor.as_deref(), Some("19"));
    assert!(!page.more);
}

#[test]
fn a_page_that_never_ends_is_unavailable() {
    // What the mock's endless-pages fault sends: more, from the same cursor.
    let body = answer_body(
        "2002",
        &[
            page_record(0, 0, "1"),
            change_record(1, "20261127-000123", "20", "20261127140500", ""),
        ],
    );
    assert_eq!(
        unavailable(parse_events(&ok(&body), 0)),
        "the answer to 交易2002（办件状态查询）: record 1 (29 分页信息) says more status changes follow (后页标志 1) but its 最大序号 0 does not go past the 0 asked from, so following its pages would never end; the system's paging is broken, try again later"
    );
    let body = answer_body("2002", &[page_record(7, 7, "1")]);
    assert_contains(
        &unavailable(parse_events(&ok(&body), 7)),
        &["would never end"],
    );
}

#[test]
fn status_pages_are_checked_for_consistency() {
    let check = |records: &[Vec<u8>], after: u64, expected: &str| {
        let body = answer_body("2002", records);
        assert_contains(&unavailable(parse_events(&ok(&body), after)), &[expected]);
    };
    let change = |xh, code| change_record(xh, "20261127-000123", code, "20261127140500", "");
    check(
        &[change(1, "20")],
        0,
        "record 1 (21 状态变化 000000000001) comes first, where the 29 分页信息 record belongs",
    );
    check(&[], 0, "has no 29 分页信息 record");
    check(
        &[page_record(3, 4, "0"), change(4, "20")],
        0,
        "answers from 起始序号 3, not from 0 as asked",
    );
    check(
        &[page_record(0, 5, "0"), change(4, "20")],
        0,
        "says 最大序号 5, but the last change in the page has 序号 4",
    );
    check(
        &[page_record(0, 4, "0"), change(4, "20"), change(3, "30")],
        0,
        "has 序号 3, which does not come after 4",
    );
    check(
        &[page_record(0, 1, "0"), change(1, "26")],
        0,
        "has 状态代码 \"26\", a code the specification does not define (expected one of 20, 25, 30, 35, 40)",
    );
    check(
        &[page_record(0, 1, "0"), change(1, "30"), id_card()],
        0,
        "follows a change of case 20261127-000123 that is not 40 办结",
    );
    check(
        &[page_record(0, 0, "0"), id_card()],
        0,
        "record 2 (30 证照 330122198203150014) does not follow a 21 状态变化 record",
    );
    check(
        &[
            page_record(0, 1, "0"),
            change_record(1, "20261127-000123", "20", "2026-11-27", ""),
        ],
        0,
        "has 办理时间 \"2026-11-27\"; expected a time written yyyyMMddHHmmss",
    );
}

#[test]
fn cursors_are_sequence_numbers() {
    assert_eq!(
        events_path(None).unwrap(),
        (0, "2002?qsxh=000000000000&myts=100".to_owned())
    );
    assert_eq!(
        events_path(Some("17")).unwrap(),
        (17, "2002?qsxh=000000000017&myts=100".to_owned())
    );
    for cursor in ["", "-1", "+5", " 5", "abc", "99999999999999999999"] {
        assert_contains(
            &invalid(events_path(Some(cursor))),
            &["is not a non-negative integer", "序号"],
        );
    }
}

#[test]
fn reads_licenses_and_verifications() {
    let page = license_record("JMHKB", "12200010101", "长期", "1");
    let expired = license_record("JMSFZ", WANG_RONG, "20200610", "3");
    let body = answer_body("3001", &[expired, page]);
    let licenses = parse_holder_licenses(&ok(&body)).unwrap();
    assert_eq!(licenses.len(), 2);
    assert_eq!(licenses[0].status, LicenseStatus::Expired);
    let book = &licenses[1];
    assert_eq!(book.type_name, "居民户口簿");
    assert_eq!(book.number, "12200010101");
    assert_eq!(book.valid_until, None, "长期 has no end date");
    assert_eq!(
        face(book),
        [
            ("household-no", "122000101"),
            ("head-of-household", "王镕"),
            ("relationship", "户主"),
            ("name", "王镕"),
            ("sex", "男"),
            ("ethnicity", "汉"),
            ("birth-date", "1982-03-15"),
            ("id-number", WANG_RONG),
            ("address", "浙江省桐庐县城南街道白云源路1号"),
        ]
    );

    let body = answer_body("3002", &[id_card()]);
    let found = parse_verification(&ok(&body)).unwrap().unwrap();
    assert_eq!(found.number, WANG_RONG);
    let body = answer_body("3002", &[]);
    assert!(parse_verification(&ok(&body)).unwrap().is_none());
    let body = answer_body("3002", &[id_card(), id_card()]);
    assert_contains(
        &unavailable(parse_verification(&ok(&body))),
        &["lists 2 licenses for one license number"],
    );

    let bad = [
        (
            license_record("JMXXX", WANG_RONG, "20350610", "1"),
            "证照类型代码 \"JMXXX\", a license type the specification does not define",
        ),
        (
            license_record("JMSFZ", WANG_RONG, "20350610", "7"),
            "证照状态 \"7\"",
        ),
        (
            license_record("JMSFZ", WANG_RONG, "20351310", "1"),
            "有效期至 \"20351310\"",
        ),
        (
            license_record("JMSFZ", WANG_RONG, "20350610", "1")
                .iter()
                .enumerate()
                .map(|(i, &b)| if i == 2 + 6 + 20 + 20 + 17 { b'9' } else { b })
                .collect(),
            "is not a valid resident ID number",
        ),
    ];
    for (record, expected) in bad {
        let body = answer_body("3001", &[record]);
        assert_contains(&unavailable(parse_holder_licenses(&ok(&body))), &[expected]);
    }
}

#[test]
fn verification_requests_only_what_the_system_can_hold() {
    let body = verify_request("JMSFZ", WANG_RONG).unwrap();
    let mut expected = b"32JMSFZ ".to_vec();
    expected.extend_from_slice(&text(WANG_RONG, 20));
    expected.extend_from_slice(b"\r\n");
    assert_eq!(body, expected);
    assert!(
        verify_request("YYZZ", "91330122MA2H1234XM").is_none(),
        "not a type it issues"
    );
    assert!(
        verify_request("JMSFZ", &"1".repeat(21)).is_none(),
        "too long for the field"
    );
    assert!(verify_request("JMSFZ", "张𠮷").is_none(), "not GBK");

    let body = holder_request(WANG_RONG).unwrap();
    assert_eq!(body.len(), 50 + 2);
    assert!(body.starts_with(b"31330122198203150014 "));
}

#[test]
fn notifications_are_refused_as_the_system_never_pushes() {
    assert_contains(
        &invalid::<()>(Err(notification_refused())),
        &["does not push notifications", "交易2002"],
    );
}

fn business_license() -> License {
    License {
        type_code: "YYZZ".into(),
        type_name: "营业执照".into(),
        number: "91330122MA2H1234XM".into(),
        holder: Party::Organization(Organization {
            credit_code: "91330122MA2H1234XM".into(),
            name: "桐庐堃喆珺镕文化传媒有限公司".into(),
        }),
        issuer: "县市场监督管理局".into(),
        issued_on: "2026-11-27".into(),
        valid_until: None,
        status: LicenseStatus::Valid,
        face: vec![
            Field {
                key: "name".into(),
                value: "桐庐堃喆珺镕文化传媒有限公司".into(),
            },
            Field {
                key: "legal-representative".into(),
                value: "钟珺".into(),
            },
        ],
    }
}

fn seal_submission() -> CaseSubmission {
    let id_card = License {
        type_code: "JMSFZ".into(),
        type_name: "居民身份证".into(),
        number: "330122199607230023".into(),
        holder: Party::Person(Person {
            id_number: "330122199607230023".into(),
            name: "钟珺".into(),
        }),
        issuer: "桐庐县公安局".into(),
        issued_on: "2016-08-01".into(),
        valid_until: Some("2026-08-01".into()),
        status: LicenseStatus::Expired,
        face: Vec::new(),
    };
    CaseSubmission {
        case_no: "20261127-000123".into(),
        matter_code: "330122-GA-BA-003".into(),
        applicant: Party::Organization(Organization {
            credit_code: "91330122MA2H1234XM".into(),
            name: "桐庐堃喆珺镕文化传媒有限公司".into(),
        }),
        accepted_at: "2026-11-27T06:03:05Z".into(),
        form: vec![
            Field {
                key: "印章名称".into(),
                value: "桐庐堃喆珺镕文化传媒有限公司".into(),
            },
            Field {
                key: "经营范围".into(),
                value: format!("{}\r\n第二行 王镕", "文化艺术交流活动；".repeat(15)),
            },
        ],
        attachments: vec![Attachment {
            material_code: "003".into(),
            file_name: "印模.pdf".into(),
            media_type: "application/pdf".into(),
            content: vec![b'%'; 100],
        }],
        licenses: vec![
            LicenseRef {
                material_code: "001".into(),
                license: business_license(),
            },
            LicenseRef {
                material_code: "002".into(),
                license: id_card,
            },
        ],
    }
}

/// The request's records without their CRLF.
fn request_records(body: &[u8]) -> Vec<&[u8]> {
    assert!(body.ends_with(b"\r\n"));
    body.split(|&b| b == b'\n')
        .filter(|r| !r.is_empty())
        .map(|r| r.strip_suffix(b"\r").unwrap())
        .collect()
}

/// Reads `width` bytes at `at` of a record as GBK text without its padding.
fn field(record: &[u8], at: usize, width: usize) -> String {
    gbk::decode(&record[at..at + width])
        .unwrap()
        .trim_end_matches(' ')
        .to_owned()
}

#[test]
fn writes_the_submission_in_gbk_records() {
    let body = submission_request(&seal_submission()).unwrap();
    let records = request_records(&body);
    let types: Vec<&[u8]> = records.iter().map(|r| &r[..2]).collect();
    assert_eq!(
        types,
        [
            b"01".as_slice(),
            b"02",
            b"02",
            b"02",
            b"02",
            b"03",
            b"04",
            b"04",
            b"05",
            b"05"
        ]
    );
    let widths: Vec<usize> = records.iter().map(|r| r.len()).collect();
    assert_eq!(widths, [155, 243, 243, 243, 243, 148, 78, 78, 288, 288]);

    let main = records[0];
    assert_eq!(field(main, 2, 30), "20261127-000123");
    assert_eq!(field(main, 32, 20), "330122-GA-BA-003");
    assert_eq!(field(main, 52, 1), "2");
    assert_eq!(field(main, 53, 18), "91330122MA2H1234XM");
    // The rare characters travel as GBK and come back unchanged.
    assert_eq!(field(main, 71, 60), "桐庐堃喆珺镕文化传媒有限公司");
    assert!(main[71..131].starts_with(&gbk::encode("桐庐堃喆珺镕").unwrap()));
    // 06:03:05Z is 14:03:05 in Beijing.
    assert_eq!(field(main, 131, 14), "20261127140305");
    assert_eq!(&main[145..155], b"0004001002");

    // The long value goes on in a second record (续行标志 1), the line break in a third (2).
    let form: Vec<(String, String, String)> = records[1..5]
        .iter()
        .map(|r| (field(r, 2, 40), field(r, 42, 1), field(r, 43, 200)))
        .collect();
    assert_eq!(
        form[0],
        (
            "印章名称".into(),
            "0".into(),
            "桐庐堃喆珺镕文化传媒有限公司".into()
        )
    );
    assert_eq!(form[1].1, "1");
    assert_eq!(form[2].1, "2");
    assert_eq!(
        form[3],
        ("经营范围".into(), "0".into(), "第二行 王镕".into())
    );
    assert_eq!(
        format!("{}{}", form[1].2, form[2].2),
        "文化艺术交流活动；".repeat(15)
    );

    let attachment = records[5];
    assert_eq!(field(attachment, 2, 10), "003");
    assert_eq!(field(attachment, 12, 80), "印模.pdf");
    assert_eq!(field(attachment, 92, 40), "application/pdf");
    assert_eq!(field(attachment, 132, 10), "0000000100");
    assert_eq!(field(attachment, 142, 6), "000002");
    let content = format!("{}{}", field(records[6], 2, 76), field(records[7], 2, 76));
    use base64::Engine as _;
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(content)
            .unwrap(),
        vec![b'%'; 100]
    );

    // The 营业执照 from 县市场监督管理局 in the system's own 05 layout.
    let reused = records[8];
    let fields: Vec<String> = [
        (2, 10),
        (12, 10),
        (22, 20),
        (42, 60),
        (102, 1),
        (103, 18),
        (121, 60),
        (181, 60),
        (241, 8),
        (249, 8),
        (257, 1),
        (258, 30),
    ]
    .iter()
    .map(|&(at, width)| field(reused, at, width))
    .collect();
    assert_eq!(
        fields,
        [
            "001",
            "YYZZ",
            "营业执照",
            "91330122MA2H1234XM",
            "2",
            "91330122MA2H1234XM",
            "桐庐堃喆珺镕文化传媒有限公司",
            "县市场监督管理局",
            "20261127",
            "长期",
            "1",
            "钟珺",
        ]
    );
    let card = records[9];
    assert_eq!(field(card, 22, 20), "居民身份证");
    assert_eq!(field(card, 102, 1), "1");
    assert_eq!(field(card, 249, 8), "20260801");
    assert_eq!(field(card, 257, 1), "3");
    assert_eq!(field(card, 258, 30), "");

    let receipt = record(&[
        b"20".to_vec(),
        text("20261127-000123", 30),
        text("GA202611270001", 20),
        text("0", 1),
    ]);
    let body = answer_body("2001", &[receipt]);
    assert_eq!(
        parse_submission(&ok(&body), "20261127-000123").unwrap(),
        "GA202611270001"
    );
    assert_contains(
        &unavailable(parse_submission(&ok(&body), "20261127-000999")),
        &["is the receipt of case 20261127-000123, not of case 20261127-000999"],
    );
}

#[test]
fn a_submission_the_records_cannot_carry_is_invalid() {
    let mut bad = seal_submission();
    bad.applicant = Party::Person(Person {
        id_number: "330122198203150014".into(),
        name: "王𠮷".into(),
    });
    assert_contains(
        &invalid(submission_request(&bad)),
        &[
            "cannot send case 20261127-000123",
            "the applicant (01 申报主记录)",
            "'𠮷'",
            "cannot be represented in GBK",
        ],
    );

    let mut bad = seal_submission();
    bad.form[0].value = "a\tb".into();
    assert_contains(
        &invalid(submission_request(&bad)),
        &["form field 印章名称 (02 表单项): 字段值 holds the control character U+0009"],
    );

    let mut bad = seal_submission();
    bad.attachments[0].file_name = format!("{}.pdf", "很长的文件名".repeat(10));
    assert_contains(
        &invalid(submission_request(&bad)),
        &[
            "attachment",
            "(03 附件)",
            "文件名",
            "longer than the field's 80 bytes",
        ],
    );

    let mut bad = seal_submission();
    bad.licenses[0].license.issued_on = "27.11.2026x".into();
    assert_contains(
        &invalid(submission_request(&bad)),
        &[
            "the 营业执照 91330122MA2H1234XM reused for material 001",
            "issued-on",
        ],
    );

    let mut bad = seal_submission();
    bad.accepted_at = "2026-11-27 14:03:05".into();
    assert_contains(
        &invalid(submission_request(&bad)),
        &["accepted-at \"2026-11-27 14:03:05\""],
    );

    let mut bad = seal_submission();
    bad.form[1].value = "王𠮷".into();
    assert_contains(
        &invalid(submission_request(&bad)),
        &["form field 经营范围", "'𠮷'"],
    );
}

fn supplied_files() -> Vec<Attachment> {
    vec![
        Attachment {
            material_code: "003".into(),
            file_name: "印章印模（补正）.pdf".into(),
            media_type: "application/pdf".into(),
            content: vec![b'%'; 60],
        },
        Attachment {
            material_code: "004".into(),
            file_name: "委托书.pdf".into(),
            media_type: "application/pdf".into(),
            content: b"%PDF-1.4".to_vec(),
        },
    ]
}

#[test]
fn writes_the_supplement_in_gbk_records() {
    let note = format!("{}\n已按要求重新盖章 钟珺", "印模清晰度不足，".repeat(14));
    let body = supplement_request("20261127-000123", &supplied_files(), &note).unwrap();
    let records = request_records(&body);
    let types: Vec<&[u8]> = records.iter().map(|r| &r[..2]).collect();
    assert_eq!(
        types,
        [
            b"06".as_slice(),
            b"07",
            b"07",
            b"07",
            b"03",
            b"04",
            b"04",
            b"03",
            b"04"
        ]
    );
    let widths: Vec<usize> = records.iter().map(|r| r.len()).collect();
    assert_eq!(widths, [58, 203, 203, 203, 148, 78, 78, 148, 78]);

    let main = records[0];
    assert_eq!(field(main, 2, 30), "20261127-000123");
    assert_eq!(
        field(main, 32, 20),
        "",
        "the department's reference is not needed"
    );
    assert_eq!(&main[52..58], b"002003");

    // The note: cut at 200 bytes (续行标志 1), then after the line break (2), then the last (0).
    let note: Vec<(String, String)> = records[1..4]
        .iter()
        .map(|r| (field(r, 2, 1), field(r, 3, 200)))
        .collect();
    assert_eq!(
        note.iter()
            .map(|(flag, _)| flag.as_str())
            .collect::<Vec<_>>(),
        ["1", "2", "0"]
    );
    assert_eq!(
        format!("{}{}", note[0].1, note[1].1),
        "印模清晰度不足，".repeat(14)
    );
    assert_eq!(note[2].1, "已按要求重新盖章 钟珺");

    assert_eq!(field(records[4], 12, 80), "印章印模（补正）.pdf");
    assert_eq!(field(records[4], 132, 10), "0000000060");
    assert_eq!(field(records[4], 142, 6), "000002");
    assert_eq!(field(records[7], 2, 10), "004");
    assert_eq!(field(records[8], 2, 76), "JVBERi0xLjQ=");

    // No note: no 07 at all.
    let body = supplement_request("20261127-000123", &supplied_files()[1..], "  ").unwrap();
    let records = request_records(&body);
    assert_eq!(&records[0][52..58], b"001000");
    assert_eq!(&records[1][..2], b"03");
}

#[test]
fn a_supplement_the_records_cannot_carry_is_invalid() {
    let mut files = supplied_files();
    files[0].file_name = "印模𠮷.pdf".into();
    assert_contains(
        &invalid(supplement_request("20261127-000123", &files, "")),
        &[
            "cannot send the supplement (补正) of case 20261127-000123",
            "attachment 印模𠮷.pdf for material 003 (03 附件)",
            "cannot be represented in GBK",
        ],
    );
    assert_contains(
        &invalid(supplement_request(
            "20261127-000123",
            &supplied_files(),
            "a\u{7}b",
        )),
        &["the note (07 说明): 说明内容 holds the control character U+0007"],
    );
    assert_contains(
        &invalid(supplement_request(&"1".repeat(31), &supplied_files(), "")),
        &[
            "the case (06 补正主记录)",
            "平台办件编号",
            "longer than the field's 30 bytes",
        ],
    );
}

fn supplement_receipt(case_no: &str, repeat: &str) -> Vec<u8> {
    record(&[
        b"22".to_vec(),
        text(case_no, 30),
        text("GA202611270001", 20),
        num(2, 3),
        text(repeat, 1),
    ])
}

fn withdrawal_receipt(case_no: &str, at: &str) -> Vec<u8> {
    record(&[
        b"23".to_vec(),
        text(case_no, 30),
        text("GA202611270001", 20),
        text(at, 14),
        text("0", 1),
    ])
}

#[test]
fn reads_the_supplement_and_withdrawal_receipts() {
    for repeat in ["0", "1"] {
        let body = answer_body("2003", &[supplement_receipt("20261127-000123", repeat)]);
        parse_supplement(&ok(&body), "20261127-000123").unwrap();
    }
    let body = answer_body("2003", &[supplement_receipt("20261127-000999", "0")]);
    assert_eq!(
        unavailable(parse_supplement(&ok(&body), "20261127-000123")),
        "the answer to 交易2003（补正材料提交）: record 1 (22 补正回执 20261127-000999) is about case 20261127-000999, not about case 20261127-000123 that was sent"
    );
    let body = answer_body("2003", &[supplement_receipt("20261127-000123", "Y")]);
    assert_contains(
        &unavailable(parse_supplement(&ok(&body), "20261127-000123")),
        &["has 重复标志 \"Y\"; expected 1 (yes) or 0 (no)"],
    );
    let body = answer_body("2003", &[]);
    assert_contains(
        &unavailable(parse_supplement(&ok(&body), "20261127-000123")),
        &["holds 0 22 补正回执 records; expected exactly one"],
    );
    // A receipt of the other transaction is not one of this.
    let body = answer_body(
        "2003",
        &[withdrawal_receipt("20261127-000123", "20261127150000")],
    );
    assert_contains(
        &unavailable(parse_supplement(&ok(&body), "20261127-000123")),
        &["record type \"23\"", "(expected 22 补正回执)"],
    );

    let body = answer_body(
        "2004",
        &[withdrawal_receipt("20261127-000123", "20261127150000")],
    );
    parse_withdrawal(&ok(&body), "20261127-000123").unwrap();
    let body = answer_body(
        "2004",
        &[withdrawal_receipt("20261127-000123", "20261327150000")],
    );
    assert_contains(
        &unavailable(parse_withdrawal(&ok(&body), "20261127-000123")),
        &["has 撤回时间 \"20261327150000\"; expected a time written yyyyMMddHHmmss"],
    );
}

#[test]
fn writes_the_withdrawal_and_maps_the_departments_answers() {
    let body = withdrawal_request("20261127-000123", "申请人 钟珺 不再需要刻制").unwrap();
    let records = request_records(&body);
    assert_eq!(
        records.iter().map(|r| r.len()).collect::<Vec<_>>(),
        [55, 203]
    );
    assert_eq!(field(records[0], 2, 30), "20261127-000123");
    assert_eq!(&records[0][52..55], b"001");
    assert_eq!(field(records[1], 2, 1), "0");
    assert_eq!(field(records[1], 3, 200), "申请人 钟珺 不再需要刻制");
    let body = withdrawal_request("20261127-000123", "").unwrap();
    assert_eq!(request_records(&body).len(), 1);

    // The department's own answers: refused with its reason, unknown case, malformed.
    let failing = |tx: &str, code: &str, message: &str| header(tx, code, message, 0);
    let body = failing("2004", "3001", "办件已办结，不能撤回");
    assert!(matches!(parse_withdrawal(&ok(&body), "X"),
        Err(AdapterError::Refused(m)) if m == "办件已办结，不能撤回"));
    let body = failing("2004", "2001", "平台办件编号X的办件不存在");
    assert!(matches!(parse_withdrawal(&ok(&body), "X"),
        Err(AdapterError::NotFound(m)) if m == "平台办件编号X的办件不存在"));
    let body = failing(
        "2003",
        "3001",
        "办件当前状态为审核中，不在待补正状态，无需补正",
    );
    assert!(matches!(parse_supplement(&ok(&body), "X"),
        Err(AdapterError::Refused(m)) if m.contains("不在待补正状态")));
    let body = failing("2003", "1001", "补正须至少提交一个附件");
    assert_contains(
        &invalid(parse_supplement(&ok(&body), "X")),
        &[
            "交易2003（补正材料提交）",
            "返回码 1001",
            "补正须至少提交一个附件",
        ],
    );
    let body = failing("2004", "9001", "系统繁忙");
    assert_contains(
        &unavailable(parse_withdrawal(&ok(&body), "X")),
        &["交易2004（撤回申请）", "系统繁忙", "try again later"],
    );
}
