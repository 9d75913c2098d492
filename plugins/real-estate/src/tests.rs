//! The translation against GBK CSV files shaped like the 不动产登记 batch job's,
//! good days and bad, and the file exchange itself in a temporary folder.

use std::path::PathBuf;

use onewindow_sdk::codes::{credit_code, gbk, id_number};
use onewindow_sdk::testing::{CaseEvents, assert_contains, face, invalid, unavailable};
use onewindow_sdk::types::{
    AdapterError, Attachment, CaseStatus, CaseSubmission, Field, FieldKind, FormField, License,
    LicenseRef, LicenseStatus, MatterKind, Organization, Party, PartyField, Person,
};

use crate::Exchange;
use crate::legacy::{
    CERTIFICATE, CaseRow, Cursor, PAGE_SIZE, ResultRow, Standing, add_forms, case_file,
    case_file_matter, case_rows, events_page, holder_licenses, parse_catalogue, parse_register,
    parse_results, supplement_file, verify, withdrawal_file,
};

// ---------------------------------------------------------------------------
// Fixtures

/// GBK bytes of `text`, with every line ended by CRLF as the batch job writes.
fn gbk_file(text: &str) -> Vec<u8> {
    let text = text.trim_start_matches('\n').replace('\n', "\r\n");
    gbk::encode(&text).unwrap()
}

fn person_id(first17: &str) -> String {
    format!("{first17}{}", id_number::check_char(first17).unwrap())
}

fn org_id(first17: &str) -> String {
    format!("{first17}{}", credit_code::check_char(first17).unwrap())
}

const SXQD: &str = "
事项编码,事项名称,实施机构,事项类型,法定办结时限,承诺办结时限,到现场次数,是否网办,收费标准,受理条件
330122-BDC-DJ-001,不动产转移登记,县不动产登记中心,07,30,5,1,是,住宅每件80元，非住宅每件550元,\"已登记的不动产因买卖、互换、赠与等导致权利发生转移的，当事人可以共同申请转移登记\"
330122-BDC-DJ-006,不动产查封登记,县不动产登记中心,10,1,1,1,否,不收费,人民法院送达协助执行通知书的
330122-BDC-CX-001,不动产登记资料查询,县不动产登记中心,20,5,0,0,是,不收费,\"权利人、利害关系人可以依法查询，\"\"当场\"\"办结\"
";

const CLQD: &str = "
事项编码,材料编码,材料名称,是否必需,可替代证照
330122-BDC-DJ-001,001,不动产登记申请书,是,
330122-BDC-DJ-001,002,申请人身份证明,是,居民身份证
330122-BDC-DJ-001,003,不动产权证书,是,不动产权证书
330122-BDC-DJ-001,006,营业执照（申请人为法人或其他组织的）,否,营业执照
330122-BDC-CX-001,001,不动产登记资料查询申请书,是,
";

const BDQD: &str = "
事项编码,字段名,字段标签,字段类型,可选值,是否必填,预填来源
330122-BDC-DJ-001,转移原因,转移原因,4,买卖|赠与|继承,是,
330122-BDC-DJ-001,面积,建筑面积（平方米）,3,,否,
330122-BDC-DJ-001,联系电话,联系电话,1,,否,5
330122-BDC-DJ-006,查封期限起,查封期限（起）,2,,是,
330122-BDC-CX-001,通讯地址,查询结果邮寄地址,7,,否,4
330122-BDC-CX-001,代理人证件号码,代理人公民身份号码,5,,否,
330122-BDC-CX-001,单位统一社会信用代码,单位统一社会信用代码,6,,否,3
";

fn register_header() -> &'static str {
    "证书类型代码,不动产权证号,权利人,权利人类型,证件种类,证件号码,共有情况,坐落,不动产单元号,权利类型,权利性质,用途,面积,使用期限,权利限制,登记机构,发证日期,证书状态"
}

fn certificate_row(number: &str, name: &str, kind: &str, id: &str, status: &str) -> String {
    let id_kind = if kind == "2" { "8" } else { "1" };
    format!(
        "BDCQZ,{number},{name},{kind},{id_kind},{id},单独所有,桐庐县桐君街道迎春南路277号金色蓝庭3幢2单元1502室,330122001001GB00101F00030215,国有建设用地使用权/房屋所有权,出让/市场化商品房,城镇住宅用地/住宅,118.36,2011年05月20日起2081年05月19日止,抵押,县不动产登记中心,20210618,{status}"
    )
}

fn register() -> String {
    format!(
        "\n{}\n{}\n{}\n{}\n{}\n",
        register_header(),
        certificate_row(
            "浙(2021)桐庐县不动产权第0008317号",
            "王镕",
            "1",
            &person_id("33012219880315051"),
            "1"
        ),
        certificate_row(
            "浙(2022)桐庐县不动产权第0004126号",
            "李喆",
            "1",
            &person_id("33012219910722003"),
            "2"
        ),
        certificate_row(
            "浙(2023)桐庐县不动产权第0002208号",
            "杭州桐庐富春江置业有限公司",
            "2",
            &org_id("91330122MA28C5R1X"),
            "1"
        ),
        certificate_row(
            "浙(2020)桐庐县不动产权第0006610号",
            "王镕",
            "1",
            &person_id("33012219880315051"),
            "3"
        ),
    )
}

const RESULT_HEADER: &str = "平台办件编号,业务号,状态代码,办理时间,办理意见,证书类型代码,不动产权证号,权利人,权利人类型,证件种类,证件号码,共有情况,坐落,不动产单元号,权利类型,权利性质,用途,面积,使用期限,权利限制,登记机构,发证日期,证书状态";

/// A result row without a certificate.
fn result(case_no: &str, reference: &str, code: &str, at: &str, note: &str) -> String {
    format!("{case_no},{reference},{code},{at},{note}{}", ",".repeat(18))
}

fn result_file(rows: &[String]) -> Vec<u8> {
    gbk_file(&format!("{RESULT_HEADER}\n{}\n", rows.join("\n")))
}

fn issued_row() -> String {
    format!(
        "20261127-000042,BDC202611270001,05,20261127093105,已登簿，核发不动产权证书（浙(2026)桐庐县不动产权第0013001号）,{}",
        certificate_row(
            "浙(2026)桐庐县不动产权第0013001号",
            "陈珺",
            "1",
            &person_id("33012219930519002"),
            "1"
        )
        .replace(",抵押,", ",无,")
    )
}

// ---------------------------------------------------------------------------
// The catalogue

#[test]
fn reads_the_catalogue() {
    let matters = parse_catalogue(&gbk_file(SXQD), &gbk_file(CLQD)).unwrap();
    assert_eq!(matters.len(), 3);
    let transfer = &matters[0];
    assert_eq!(transfer.code, "330122-BDC-DJ-001");
    assert_eq!(transfer.name, "不动产转移登记");
    assert_eq!(transfer.department, "县不动产登记中心");
    assert_eq!(transfer.kind, MatterKind::AdministrativeConfirmation);
    assert_eq!(
        (transfer.legal_days, transfer.promised_days, transfer.visits),
        (30, 5, 1)
    );
    assert!(transfer.online);
    assert_eq!(transfer.fee, "住宅每件80元，非住宅每件550元");
    let materials: Vec<_> = transfer
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
            ("001", "不动产登记申请书", true, None),
            ("002", "申请人身份证明", true, Some("居民身份证")),
            ("003", "不动产权证书", true, Some("不动产权证书")),
            (
                "006",
                "营业执照（申请人为法人或其他组织的）",
                false,
                Some("营业执照")
            ),
        ]
    );
    let seizure = &matters[1];
    assert_eq!(seizure.kind, MatterKind::OtherPower);
    assert!(!seizure.online);
    assert!(seizure.materials.is_empty());
    let query = &matters[2];
    assert_eq!(query.kind, MatterKind::PublicService);
    assert_eq!(
        query.conditions,
        "权利人、利害关系人可以依法查询，\"当场\"办结"
    );
    assert_eq!(query.promised_days, 0);
}

/// A form field as comparable text: key, label, kind, required, prefill.
fn described(field: &FormField) -> String {
    format!(
        "{} {} {:?} {} {:?}",
        field.key, field.label, field.kind, field.required, field.from_party
    )
}

#[test]
fn reads_the_form_of_every_matter() {
    let mut matters = parse_catalogue(&gbk_file(SXQD), &gbk_file(CLQD)).unwrap();
    add_forms(&mut matters, &gbk_file(BDQD)).unwrap();
    let transfer: Vec<String> = matters[0].form.iter().map(described).collect();
    let expected = [
        FormField {
            key: "转移原因".into(),
            label: "转移原因".into(),
            kind: FieldKind::Choice(vec!["买卖".into(), "赠与".into(), "继承".into()]),
            required: true,
            from_party: None,
        },
        FormField {
            key: "面积".into(),
            label: "建筑面积（平方米）".into(),
            kind: FieldKind::Number,
            required: false,
            from_party: None,
        },
        FormField {
            key: "联系电话".into(),
            label: "联系电话".into(),
            kind: FieldKind::Text,
            required: false,
            from_party: Some(PartyField::Phone),
        },
    ];
    assert_eq!(transfer, expected.iter().map(described).collect::<Vec<_>>());
    assert!(matches!(matters[1].form[0].kind, FieldKind::Date));
    assert!(matters[1].form[0].required);
    let query: Vec<String> = matters[2]
        .form
        .iter()
        .map(|f| format!("{:?} {:?}", f.kind, f.from_party))
        .collect();
    assert_eq!(
        query,
        [
            format!("{:?} {:?}", FieldKind::Address, Some(PartyField::Address)),
            format!("{:?} {:?}", FieldKind::IdNumber, None::<PartyField>),
            format!(
                "{:?} {:?}",
                FieldKind::CreditCode,
                Some(PartyField::CreditCode)
            ),
        ]
    );

    // The exchange folder's matters carry them too.
    let folder = Folder::new("forms");
    let read = Exchange::new(&folder.0).matters().unwrap();
    assert_eq!(
        read[0].form.iter().map(described).collect::<Vec<_>>(),
        transfer
    );
    std::fs::remove_file(folder.0.join("bdqd.csv")).unwrap();
    assert_contains(
        &unavailable(Exchange::new(&folder.0).matters()),
        &["bdqd.csv is not in the department's exchange folder"],
    );
}

#[test]
fn a_form_the_spec_does_not_allow_is_unavailable() {
    let header = BDQD.trim_start().lines().next().unwrap();
    let form = |row: &str| {
        let mut matters = parse_catalogue(&gbk_file(SXQD), &gbk_file(CLQD)).unwrap();
        add_forms(&mut matters, &gbk_file(&format!("{header}\n{row}\n")))
    };
    let cases = [
        (
            "330122-BDC-DJ-001,转移原因,转移原因,9,,是,",
            "bdqd.csv row 1 (事项编码 330122-BDC-DJ-001): has 字段类型 \"9\"; expected one of 1, 2, 3, 4, 5, 6, 7",
        ),
        (
            "330122-BDC-DJ-001,转移原因,转移原因,4,,是,",
            "has 字段类型 4 (选项) but no 可选值",
        ),
        (
            "330122-BDC-DJ-001,转移原因,转移原因,4,买卖||赠与,是,",
            "none of them empty",
        ),
        (
            "330122-BDC-DJ-001,面积,面积,3,大|小,是,",
            "only a field of 字段类型 4 (选项) has options",
        ),
        (
            "330122-BDC-DJ-001,联系电话,联系电话,1,,否,8",
            "has 预填来源 \"8\"; expected one of 1, 2, 3, 4, 5, 6",
        ),
        (
            "330122-BDC-DJ-001,联系电话,联系电话,1,,可以,",
            "has 是否必填 \"可以\"; expected 是 or 否",
        ),
        (
            "330122-BDC-DJ-099,联系电话,联系电话,1,,否,",
            "lists a form field of 事项编码 330122-BDC-DJ-099, which sxqd.csv does not have",
        ),
        ("330122-BDC-DJ-001,,联系电话,1,,否,", "has an empty 字段名"),
        (
            "330122-BDC-DJ-001,面积,面积,3,,否,\n330122-BDC-DJ-001,面积,面积,3,,否,",
            "row 2 (事项编码 330122-BDC-DJ-001): lists 字段名 面积 of 330122-BDC-DJ-001 a second time",
        ),
    ];
    for (row, expected) in cases {
        assert_contains(&unavailable(form(row)), &[expected]);
    }
    let missing = gbk_file("事项编码,字段名,字段标签,字段类型,是否必填,预填来源\n");
    let mut matters = parse_catalogue(&gbk_file(SXQD), &gbk_file(CLQD)).unwrap();
    assert_contains(
        &unavailable(add_forms(&mut matters, &missing)),
        &["bdqd.csv has no column 可选值"],
    );
}

#[test]
fn columns_are_found_by_name_in_any_order() {
    let reordered = "
可替代证照,材料名称,是否必需,材料编码,事项编码,备注
居民身份证,申请人身份证明,是,002,330122-BDC-DJ-001,新增列
";
    let matters = parse_catalogue(&gbk_file(SXQD), &gbk_file(reordered)).unwrap();
    assert_eq!(matters[0].materials[0].name, "申请人身份证明");
    assert_eq!(
        matters[0].materials[0].license_type.as_deref(),
        Some("居民身份证")
    );
}

#[test]
fn a_catalogue_in_utf8_is_unavailable() {
    let text = SXQD.trim_start().replace('\n', "\r\n");
    let message = unavailable(parse_catalogue(text.as_bytes(), &gbk_file(CLQD)));
    assert_contains(&message, &["sxqd.csv is UTF-8 text", "requires GBK"]);
    let with_bom = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
    let message = unavailable(parse_catalogue(&with_bom, &gbk_file(CLQD)));
    assert_contains(&message, &["sxqd.csv starts with a UTF-8 byte order mark"]);
    // The materials are checked the same way.
    let message = unavailable(parse_catalogue(
        &gbk_file(SXQD),
        CLQD.trim_start().as_bytes(),
    ));
    assert_contains(&message, &["clqd.csv is UTF-8 text"]);
}

#[test]
fn a_cut_catalogue_is_unavailable() {
    let bytes = gbk_file(SXQD);
    // Cut right after the first byte of a two-byte character in the second half.
    let mut i = bytes.len() / 2;
    while bytes[i] < 0x81 {
        i += 1;
    }
    // Step to a character boundary: count the two-byte characters before it.
    let mut start = 0;
    while start < i {
        start += if bytes[start] < 0x80 { 1 } else { 2 };
    }
    let message = unavailable(parse_catalogue(&bytes[..=start], &gbk_file(CLQD)));
    assert_contains(
        &message,
        &[
            "sxqd.csv is cut off",
            "middle of a GBK character",
            &format!("at byte {start}"),
        ],
    );
    // Cut at the end of a character but before the line ends.
    let at = bytes.len() - 20;
    let at = (0..at).rev().find(|&i| bytes[i] < 0x80).unwrap();
    let message = unavailable(parse_catalogue(&bytes[..at], &gbk_file(CLQD)));
    assert_contains(&message, &["sxqd.csv is cut off mid-row", "line 4"]);
    let message = unavailable(parse_catalogue(b"", &gbk_file(CLQD)));
    assert_contains(&message, &["sxqd.csv is empty"]);
}

#[test]
fn a_missing_column_is_named() {
    let text = SXQD
        .replace(",事项名称", "")
        .replace(",不动产转移登记", "")
        .replace(",不动产查封登记", "")
        .replace(",不动产登记资料查询", "");
    let message = unavailable(parse_catalogue(&gbk_file(&text), &gbk_file(CLQD)));
    assert_contains(
        &message,
        &[
            "sxqd.csv has no column 事项名称",
            "its header row is: 事项编码,实施机构,事项类型",
        ],
    );
    let text = CLQD.replacen(",不动产登记申请书", "", 1);
    let message = unavailable(parse_catalogue(&gbk_file(SXQD), &gbk_file(&text)));
    assert_contains(
        &message,
        &[
            "clqd.csv",
            "clqd.csv is damaged: row 1 has 4 fields but the header row has 5",
        ],
    );
    let text = SXQD.replace("县不动产登记中心,10,", ",10,");
    let message = unavailable(parse_catalogue(&gbk_file(&text), &gbk_file(CLQD)));
    assert_eq!(
        message,
        "sxqd.csv row 2 (事项编码 330122-BDC-DJ-006): has an empty 实施机构"
    );
}

#[test]
fn unknown_codes_and_bad_values_are_named() {
    let text = SXQD.replace("县不动产登记中心,07,", "县不动产登记中心,99,");
    let message = unavailable(parse_catalogue(&gbk_file(&text), &gbk_file(CLQD)));
    assert_eq!(
        message,
        "sxqd.csv row 1 (事项编码 330122-BDC-DJ-001): has 事项类型 \"99\"; expected one of 01, 05, 07, 08, 09, 10, 20 (the exchange spec defines no other)"
    );
    let text = SXQD.replace(",1,1,1,否,", ",1,1,1,N,");
    let message = unavailable(parse_catalogue(&gbk_file(&text), &gbk_file(CLQD)));
    assert_contains(&message, &["row 2", "是否网办 \"N\"; expected 是 or 否"]);
    let text = SXQD.replace(",30,5,1,", ",30,五,1,");
    let message = unavailable(parse_catalogue(&gbk_file(&text), &gbk_file(CLQD)));
    assert_contains(&message, &["承诺办结时限 \"五\"; expected a whole number"]);
    let text = SXQD.replace(",30,5,1,", ",30,45,1,");
    let message = unavailable(parse_catalogue(&gbk_file(&text), &gbk_file(CLQD)));
    assert_contains(&message, &["promises 45 working days", "legal limit is 30"]);
    let text = format!("{CLQD}330122-BDC-DJ-009,001,申请书,是,\n");
    let message = unavailable(parse_catalogue(&gbk_file(SXQD), &gbk_file(&text)));
    assert_eq!(
        message,
        "clqd.csv row 6 (事项编码 330122-BDC-DJ-009): lists a material of 事项编码 330122-BDC-DJ-009, which sxqd.csv does not have"
    );
    let text = CLQD.replace(",是,居民身份证", ",必须,居民身份证");
    let message = unavailable(parse_catalogue(&gbk_file(SXQD), &gbk_file(&text)));
    assert_contains(&message, &["clqd.csv row 2", "是否必需 \"必须\""]);
}

// ---------------------------------------------------------------------------
// Case files

fn submission() -> CaseSubmission {
    let buyer = person_id("33012219930519002");
    let id_card = License {
        type_code: "JMSFZ".into(),
        type_name: "居民身份证".into(),
        number: buyer.clone(),
        holder: Party::Person(Person {
            id_number: buyer.clone(),
            name: "陈珺".into(),
        }),
        issuer: "桐庐县公安局".into(),
        issued_on: "2018-03-01".into(),
        valid_until: Some("2038-03-01".into()),
        status: LicenseStatus::Valid,
        face: Vec::new(),
    };
    let certificate = License {
        type_code: CERTIFICATE.into(),
        type_name: "不动产权证书".into(),
        number: "浙(2019)桐庐县不动产权第0003128号".into(),
        holder: Party::Person(Person {
            id_number: person_id("33012219650211041"),
            name: "申屠建华".into(),
        }),
        issuer: "县不动产登记中心".into(),
        issued_on: "2019-06-12".into(),
        valid_until: None,
        status: LicenseStatus::Valid,
        face: Vec::new(),
    };
    let business = License {
        type_code: "YYZZ".into(),
        type_name: "营业执照".into(),
        number: org_id("91330122MA2B0K4Q5"),
        holder: Party::Organization(Organization {
            credit_code: org_id("91330122MA2B0K4Q5"),
            name: "桐庐堃喆镕珺贸易有限公司".into(),
        }),
        issuer: "县市场监督管理局".into(),
        issued_on: "2021年11月2日".into(),
        valid_until: None,
        status: LicenseStatus::Valid,
        face: Vec::new(),
    };
    let card = License {
        type_name: "残疾人证".into(),
        number: "33012219930519002X61".into(),
        ..id_card.clone()
    };
    CaseSubmission {
        case_no: "20261127-000042".into(),
        matter_code: "330122-BDC-DJ-001".into(),
        applicant: Party::Person(Person {
            id_number: buyer,
            name: "陈珺".into(),
        }),
        accepted_at: "2026-11-27T01:30:00Z".into(),
        form: vec![
            Field {
                key: "坐落".into(),
                value: "桐庐县桐君街道春江路168号春江花月5幢1201室".into(),
            },
            Field {
                key: "备注".into(),
                value: "卖方：申屠建华，\"一次性\"付款\n第二行".into(),
            },
        ],
        attachments: vec![Attachment {
            material_code: "004".into(),
            file_name: "不动产买卖合同.pdf".into(),
            media_type: "application/pdf".into(),
            content: b"%PDF-1.4\n".to_vec(),
        }],
        licenses: vec![
            LicenseRef {
                material_code: "002".into(),
                license: id_card,
            },
            LicenseRef {
                material_code: "003".into(),
                license: certificate,
            },
            LicenseRef {
                material_code: "006".into(),
                license: business,
            },
            LicenseRef {
                material_code: "009".into(),
                license: card,
            },
        ],
    }
}

#[test]
fn writes_the_case_file_in_gbk() {
    let bytes = case_file(&submission()).unwrap();
    // The rare characters travel as their GBK codes, not as UTF-8 or references.
    for ch in ["镕", "喆", "堃", "珺"] {
        let code = gbk::encode(ch).unwrap();
        assert_eq!(code.len(), 2);
        assert!(
            bytes.windows(2).any(|w| w == code.as_slice()),
            "{ch} is written in GBK"
        );
    }
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the file is not UTF-8"
    );
    let text = gbk::decode(&bytes).unwrap();
    assert!(text.ends_with("\r\n"));
    let buyer = person_id("33012219930519002");
    let seller = person_id("33012219650211041");
    let company = org_id("91330122MA2B0K4Q5");
    let expected = [
        "#申请,平台办件编号,事项编码,申请人类型,申请人,证件种类,证件号码,受理时间".to_owned(),
        // 01:30Z is 09:30 in Beijing.
        format!("申请,20261127-000042,330122-BDC-DJ-001,1,陈珺,1,{buyer},20261127093000"),
        "#表单,字段名,字段值".to_owned(),
        "表单,坐落,桐庐县桐君街道春江路168号春江花月5幢1201室".to_owned(),
        "表单,备注,\"卖方：申屠建华，\"\"一次性\"\"付款\n第二行\"".to_owned(),
        "#附件,材料编码,文件名,文件类型,文件内容".to_owned(),
        "附件,004,不动产买卖合同.pdf,application/pdf,JVBERi0xLjQK".to_owned(),
        "#证照,材料编码,证件种类,证照名称,证照号码,持证人,持证人证件号码,发证机关,发证日期,有效期至".to_owned(),
        format!("证照,002,1,居民身份证,{buyer},陈珺,{buyer},桐庐县公安局,20180301,20380301"),
        format!(
            "证照,003,10,不动产权证书,浙(2019)桐庐县不动产权第0003128号,申屠建华,{seller},县不动产登记中心,20190612,"
        ),
        format!(
            "证照,006,7,营业执照,{company},桐庐堃喆镕珺贸易有限公司,{company},县市场监督管理局,20211102,"
        ),
        format!("证照,009,99,残疾人证,33012219930519002X61,陈珺,{buyer},桐庐县公安局,20180301,20380301"),
    ];
    assert_eq!(text, format!("{}\r\n", expected.join("\r\n")));

    // A CSV reader gets the fields back, quotes and line breaks included.
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 12);
    assert_eq!(&records[4][2], "卖方：申屠建华，\"一次性\"付款\n第二行");

    // The same case gives the same bytes; an organization applies with its credit code.
    assert_eq!(case_file(&submission()).unwrap(), bytes);
    let mut by_company = submission();
    by_company.applicant = Party::Organization(Organization {
        credit_code: company.clone(),
        name: "桐庐堃喆镕珺贸易有限公司".into(),
    });
    let text = gbk::decode(&case_file(&by_company).unwrap()).unwrap();
    assert_contains(
        &text,
        &[&format!(
            "申请,20261127-000042,330122-BDC-DJ-001,2,桐庐堃喆镕珺贸易有限公司,8,{company},"
        )],
    );
}

#[test]
fn a_case_gbk_cannot_carry_is_invalid() {
    let mut bad = submission();
    bad.licenses[0].license.holder = Party::Person(Person {
        id_number: person_id("33012219930519002"),
        name: "张𠮷".into(),
    });
    let message = invalid(case_file(&bad));
    assert_contains(
        &message,
        &[
            "case 20261127-000042",
            "field 6 of a 证照 row",
            "'𠮷' (U+20BB7) at position 2",
            "GBK cannot represent",
        ],
    );
    let mut bad = submission();
    bad.form[0].value = "🏠".into();
    assert_contains(&invalid(case_file(&bad)), &["表单 row", "U+1F3E0"]);

    let mut bad = submission();
    bad.case_no = "../20261127".into();
    assert_contains(
        &invalid(case_file(&bad)),
        &["\"../20261127\" cannot name a case file"],
    );
    let mut bad = submission();
    bad.accepted_at = "2026-11-27 09:30".into();
    assert_contains(
        &invalid(case_file(&bad)),
        &["accepted-at \"2026-11-27 09:30\" is not an RFC 3339 instant"],
    );
    let mut bad = submission();
    bad.licenses[1].license.issued_on = "去年".into();
    assert_contains(
        &invalid(case_file(&bad)),
        &["issued-on of the reused license 浙(2019)桐庐县不动产权第0003128号"],
    );
}

// ---------------------------------------------------------------------------
// The register

#[test]
fn reads_certificates_by_holder_and_number() {
    let bytes = gbk_file(&register());
    let holder = Party::Person(Person {
        id_number: person_id("33012219880315051"),
        name: "王镕".into(),
    });
    let held = holder_licenses(&bytes, &holder).unwrap();
    assert_eq!(held.len(), 2);
    let first = &held[0];
    assert_eq!(first.type_code, "BDCQZ");
    assert_eq!(first.type_name, "不动产权证书");
    assert_eq!(first.number, "浙(2021)桐庐县不动产权第0008317号");
    assert!(matches!(&first.holder, Party::Person(p)
        if p.id_number == person_id("33012219880315051") && p.name == "王镕"));
    assert_eq!(first.issuer, "县不动产登记中心");
    assert_eq!(first.issued_on, "2021-06-18");
    assert_eq!(first.valid_until, None);
    assert_eq!(first.status, LicenseStatus::Valid);
    assert_eq!(
        face(first),
        [
            ("holder", "王镕"),
            ("co-ownership", "单独所有"),
            (
                "location",
                "桐庐县桐君街道迎春南路277号金色蓝庭3幢2单元1502室"
            ),
            ("unit-number", "330122001001GB00101F00030215"),
            ("right-type", "国有建设用地使用权/房屋所有权"),
            ("right-nature", "出让/市场化商品房"),
            ("use", "城镇住宅用地/住宅"),
            ("area", "118.36平方米"),
            ("term", "2011年05月20日起2081年05月19日止"),
            ("restriction", "抵押"),
        ]
    );
    assert_eq!(held[1].status, LicenseStatus::Revoked, "作废");

    let company = Party::Organization(Organization {
        credit_code: org_id("91330122MA28C5R1X"),
        name: "杭州桐庐富春江置业有限公司".into(),
    });
    assert_eq!(holder_licenses(&bytes, &company).unwrap().len(), 1);
    let stranger = Party::Person(Person {
        id_number: person_id("11010519491231002"),
        name: "陈晓东".into(),
    });
    assert!(holder_licenses(&bytes, &stranger).unwrap().is_empty());

    let found = verify(&bytes, "BDCQZ", "浙(2022)桐庐县不动产权第0004126号")
        .unwrap()
        .unwrap();
    assert_eq!(found.status, LicenseStatus::Revoked, "注销");
    assert!(
        verify(&bytes, "BDCQZ", "浙(2022)桐庐县不动产权第9999999号")
            .unwrap()
            .is_none()
    );
    // Another type is not this department's; the register is not even read.
    assert!(verify(b"", "YYZZ", "91330122MA28C5R1X0").unwrap().is_none());
}

#[test]
fn a_damaged_register_is_unavailable() {
    let text = register();
    let message = unavailable(parse_register(&gbk_file(
        &text.replace(",证件号码,", ",证件号,"),
    )));
    assert_contains(&message, &["zsqd.csv has no column 证件号码"]);
    let message = unavailable(parse_register(&gbk_file(&text.replacen(
        ",20210618,1",
        ",20210618,9",
        1,
    ))));
    assert_eq!(
        message,
        "zsqd.csv row 1 (不动产权证号 浙(2021)桐庐县不动产权第0008317号): has 证书状态 \"9\"; expected one of 1, 2, 3 (the exchange spec defines no other)"
    );
    let wrong = person_id("33012219880315051").replace("33012219880315051", "33012219880315052");
    let message = unavailable(parse_register(&gbk_file(&text.replacen(
        &person_id("33012219880315051"),
        &wrong,
        1,
    ))));
    assert_contains(&message, &["row 1", "证件号码", "check character"]);
    let message = unavailable(parse_register(&gbk_file(&text.replacen(
        ",118.36,",
        ",一百平方米,",
        1,
    ))));
    assert_contains(&message, &["面积 \"一百平方米\"; expected an area"]);
    let message = unavailable(parse_register(&gbk_file(&text.replacen(
        ",20210618,",
        ",2021-13-18,",
        1,
    ))));
    assert_contains(&message, &["发证日期 \"2021-13-18\""]);
    let doubled = format!("{text}{}\n", text.lines().nth(2).unwrap());
    let message = unavailable(parse_register(&gbk_file(&doubled)));
    assert_contains(&message, &["row 5", "a second time"]);
    let message = unavailable(parse_register(&gbk_file(
        &text.replacen("BDCQZ,", "BDCDJZM,", 1),
    )));
    assert_contains(&message, &["证书类型代码 \"BDCDJZM\"; expected BDCQZ"]);
}

// ---------------------------------------------------------------------------
// Results and the cursor

#[test]
fn reads_a_result_file() {
    let bytes = result_file(&[
        result(
            "20261127-000042",
            "BDC202611270001",
            "01",
            "20261127093005",
            "申请材料齐全，符合法定形式，予以受理",
        ),
        result(
            "20261127-000043",
            "",
            "09",
            "20261127093005",
            "不予受理：事项编码330122-BDC-DJ-099不存在",
        ),
        result("20261127-000044", "", "99", "20261127093005", "批处理异常"),
        result(
            "20261127-000042",
            "BDC202611270001",
            "02",
            "20261127093105",
            "请补正",
        ),
        result(
            "20261127-000042",
            "BDC202611270001",
            "03",
            "20261127093205",
            "",
        ),
        result(
            "20261127-000045",
            "BDC202611270002",
            "04",
            "20261127093205",
            "不予登记",
        ),
        issued_row(),
    ]);
    let rows = parse_results("JG_20261127_000001.csv", &bytes).unwrap();
    let events: Vec<_> = rows
        .iter()
        .filter_map(|r| match r {
            ResultRow::Event(e) => Some(e),
            _ => None,
        })
        .collect();
    let statuses: Vec<_> = events.iter().map(|e| e.status).collect();
    assert_eq!(
        statuses,
        [
            CaseStatus::InReview,
            CaseStatus::Denied,
            CaseStatus::SupplementRequested,
            CaseStatus::Approved,
            CaseStatus::Denied,
            CaseStatus::Completed
        ]
    );
    assert_eq!(events[0].case_no, "20261127-000042");
    assert_eq!(events[0].at, "2026-11-27T09:30:05+08:00");
    assert_eq!(events[0].note, "申请材料齐全，符合法定形式，予以受理");
    assert_eq!(events[1].note, "不予受理：事项编码330122-BDC-DJ-099不存在");
    let ResultRow::BatchFailure(warning) = &rows[2] else {
        panic!("99 is a batch failure");
    };
    assert_contains(
        warning,
        &[
            "bjjg/JG_20261127_000001.csv row 3",
            "failed on case 20261127-000044",
            "reads the case file again",
        ],
    );
    let license = events[5].issued.as_ref().expect("05 issues a certificate");
    assert_eq!(license.number, "浙(2026)桐庐县不动产权第0013001号");
    assert!(matches!(&license.holder, Party::Person(p) if p.name == "陈珺"));
    assert_eq!(face(license)[9], ("restriction", "无"));
    assert!(events[..5].iter().all(|e| e.issued.is_none()));
}

#[test]
fn a_damaged_result_file_is_unavailable() {
    let good = result(
        "20261127-000042",
        "BDC202611270001",
        "01",
        "20261127093005",
        "受理",
    );
    let name = "JG_20261127_000001.csv";
    let message = unavailable(parse_results(
        name,
        &result_file(&[good.replace(",01,", ",07,")]),
    ));
    assert_eq!(
        message,
        "bjjg/JG_20261127_000001.csv row 1 (平台办件编号 20261127-000042): has 状态代码 \"07\"; expected one of 01, 02, 03, 04, 05, 06, 08, 09, 16, 99 (the exchange spec defines no other)"
    );
    let header = RESULT_HEADER.replace(",状态代码", "");
    let bytes = gbk_file(&format!("{header}\n{}\n", good.replacen(",01,", ",", 1)));
    assert_contains(
        &unavailable(parse_results(name, &bytes)),
        &["bjjg/JG_20261127_000001.csv has no column 状态代码"],
    );
    assert_contains(
        &unavailable(parse_results(
            name,
            &result_file(&[good.replace("BDC202611270001", "")]),
        )),
        &["row 1", "has an empty 业务号"],
    );
    assert_contains(
        &unavailable(parse_results(
            name,
            &result_file(&[good.replace("20261127093005", "2026-11-27")]),
        )),
        &["办理时间 \"2026-11-27\"; expected a time YYYYMMDDHHMMSS"],
    );
    let misplaced = issued_row().replacen(",05,", ",03,", 1);
    assert_contains(
        &unavailable(parse_results(name, &result_file(&[misplaced]))),
        &["carries the certificate", "only 05 (已登簿) issues one"],
    );
    let text = format!("{RESULT_HEADER}\r\n{good}\r\n");
    assert_contains(
        &unavailable(parse_results(name, text.as_bytes())),
        &["bjjg/JG_20261127_000001.csv is UTF-8 text"],
    );
    let bytes = result_file(&[good.clone(), good]);
    assert_contains(
        &unavailable(parse_results(name, &bytes[..bytes.len() - 2])),
        &["is cut off mid-row"],
    );
}

/// Result files in memory, read as `events` reads them.
fn files(
    list: &[(&str, Vec<u8>)],
) -> (
    Vec<String>,
    impl FnMut(&str) -> Result<Vec<u8>, AdapterError> + use<>,
) {
    let names = list.iter().map(|(n, _)| (*n).to_owned()).collect();
    let contents: Vec<(String, Vec<u8>)> = list
        .iter()
        .map(|(n, b)| ((*n).to_owned(), b.clone()))
        .collect();
    let read = move |name: &str| {
        contents
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.clone())
            .ok_or_else(|| AdapterError::Unavailable(format!("no {name}")))
    };
    (names, read)
}

fn step(case: &str, code: &str) -> String {
    result(case, "BDC202611270001", code, "20261127093005", "")
}

#[test]
fn the_cursor_walks_the_result_files_in_name_order() {
    let (names, mut read) = files(&[
        ("JG_20261127_000002.csv", result_file(&[step("B", "03")])),
        (
            "JG_20261127_000001.csv",
            result_file(&[step("A", "01"), step("B", "01")]),
        ),
        (".JG_20261127_000003.csv.tmp", b"half".to_vec()),
        (
            "JG_20261127_000003.csv",
            gbk_file(&format!("{RESULT_HEADER}\n")),
        ),
        ("readme.txt", b"ignored".to_vec()),
    ]);
    let page = events_page(None, &names, &mut read).unwrap();
    let seen: Vec<_> = page
        .page
        .cases()
        .into_iter()
        .map(|e| (e.case_no.as_str(), e.status))
        .collect();
    assert_eq!(
        seen,
        [
            ("A", CaseStatus::InReview),
            ("B", CaseStatus::InReview),
            ("B", CaseStatus::Approved)
        ]
    );
    // The header-only file is read too, so the next call starts after it.
    assert_eq!(
        page.page.next_cursor.as_deref(),
        Some("JG_20261127_000003.csv:0")
    );
    assert!(!page.page.more);

    let page = events_page(Some("JG_20261127_000001.csv:1"), &names, &mut read).unwrap();
    assert_eq!(page.page.events.len(), 2);
    assert_eq!(page.page.cases()[0].case_no, "B");
    let page = events_page(Some("JG_20261127_000003.csv:0"), &names, &mut read).unwrap();
    assert!(page.page.events.is_empty());
    assert_eq!(
        page.page.next_cursor.as_deref(),
        Some("JG_20261127_000003.csv:0")
    );
    // An archived cursor file is no obstacle.
    let page = events_page(Some("JG_20261126_000099.csv:7"), &names, &mut read).unwrap();
    assert_eq!(page.page.events.len(), 3);
    // Nothing at all yet.
    let page = events_page(None, &[], &mut read).unwrap();
    assert!(page.page.events.is_empty() && page.page.next_cursor.is_none() && !page.page.more);
}

#[test]
fn a_page_holds_at_most_page_size_rows() {
    let rows: Vec<String> = (0..PAGE_SIZE + 5)
        .map(|i| step(&format!("C{i:03}"), if i % 10 == 9 { "99" } else { "01" }))
        .collect();
    let (names, mut read) = files(&[
        ("JG_20261127_000001.csv", result_file(&rows)),
        ("JG_20261127_000002.csv", result_file(&[step("D", "01")])),
    ]);
    let page = events_page(None, &names, &mut read).unwrap();
    assert_eq!(page.page.events.len() + page.warnings.len(), PAGE_SIZE);
    assert_eq!(page.warnings.len(), 10);
    assert!(page.page.more);
    let cursor = page.page.next_cursor.unwrap();
    assert_eq!(cursor, format!("JG_20261127_000001.csv:{PAGE_SIZE}"));
    let page = events_page(Some(&cursor), &names, &mut read).unwrap();
    assert_eq!(page.page.events.len() + page.warnings.len(), 6);
    assert_eq!(page.page.cases().last().unwrap().case_no, "D");
    assert!(!page.page.more);
    assert_eq!(
        page.page.next_cursor.as_deref(),
        Some("JG_20261127_000002.csv:1")
    );
}

#[test]
fn a_bad_result_file_stops_the_page_where_it_is() {
    let (names, mut read) = files(&[
        ("JG_20261127_000001.csv", result_file(&[step("A", "01")])),
        ("JG_20261127_000002.csv", result_file(&[step("A", "07")])),
        ("JG_20261127_000003.csv", result_file(&[step("A", "03")])),
    ]);
    let page = events_page(None, &names, &mut read).unwrap();
    assert_eq!(page.page.events.len(), 1, "what came before is reported");
    assert!(page.page.more);
    let cursor = page.page.next_cursor.unwrap();
    assert_eq!(cursor, "JG_20261127_000001.csv:1");
    let message = unavailable(events_page(Some(&cursor), &names, &mut read));
    assert_contains(
        &message,
        &["bjjg/JG_20261127_000002.csv row 1", "状态代码 \"07\""],
    );
}

#[test]
fn cursors_are_checked() {
    for cursor in [
        "",
        "17",
        "JG_20261127_000001.csv",
        "JG_20261127_000001.csv:-1",
        "JG_20261127_000001.csv:x",
        "../JG_1.csv:1",
        "SQ_1.csv:1",
    ] {
        assert_contains(
            &invalid(Cursor::parse(cursor)),
            &["is not one this adapter hands out"],
        );
    }
    let cursor = Cursor::parse("JG_20261127_000001.csv:12").unwrap();
    assert_eq!(cursor.rows, 12);
    assert_eq!(cursor.to_string(), "JG_20261127_000001.csv:12");
    let (names, mut read) = files(&[("JG_20261127_000001.csv", result_file(&[step("A", "01")]))]);
    assert_contains(
        &invalid(events_page(
            Some("JG_20261127_000001.csv:5"),
            &names,
            &mut read,
        )),
        &["says 5 rows", "has only 1"],
    );
}

// ---------------------------------------------------------------------------
// The exchange folder itself

/// A fresh exchange folder as the batch job sets it up.
struct Folder(PathBuf);

impl Folder {
    fn new(name: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir =
            std::env::temp_dir().join(format!("real-estate-{name}-{}-{nanos}", std::process::id()));
        for folder in [
            "sqbj/bak", "sqbj/err", "bjjg", "bzcl/bak", "bzcl/err", "chsq/bak", "chsq/err",
        ] {
            std::fs::create_dir_all(dir.join(folder)).unwrap();
        }
        std::fs::write(dir.join("sxqd.csv"), gbk_file(SXQD)).unwrap();
        std::fs::write(dir.join("clqd.csv"), gbk_file(CLQD)).unwrap();
        std::fs::write(dir.join("bdqd.csv"), gbk_file(BDQD)).unwrap();
        std::fs::write(dir.join("zsqd.csv"), gbk_file(&register())).unwrap();
        Self(dir)
    }

    fn names(&self, folder: &str) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.0.join(folder))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn submitting_writes_one_case_file_once() {
    let folder = Folder::new("submit");
    let exchange = Exchange::new(&folder.0);
    let case = submission();
    assert_eq!(exchange.submit(&case).unwrap(), "SQ_20261127-000042");
    assert_eq!(
        folder.names("sqbj"),
        ["SQ_20261127-000042.csv", "bak", "err"]
    );
    let written = std::fs::read(folder.0.join("sqbj/SQ_20261127-000042.csv")).unwrap();
    assert_eq!(written, case_file(&case).unwrap());

    // Again while it waits: nothing new.
    assert_eq!(exchange.submit(&case).unwrap(), "SQ_20261127-000042");
    // Again after the batch job has moved it to bak/: still nothing new.
    std::fs::rename(
        folder.0.join("sqbj/SQ_20261127-000042.csv"),
        folder.0.join("sqbj/bak/SQ_20261127-000042.csv"),
    )
    .unwrap();
    assert_eq!(exchange.submit(&case).unwrap(), "SQ_20261127-000042");
    assert_eq!(folder.names("sqbj"), ["bak", "err"]);

    // A matter the catalogue does not have is not written at all.
    let mut unknown = submission();
    unknown.case_no = "20261127-000043".into();
    unknown.matter_code = "330122-BDC-DJ-099".into();
    assert!(matches!(exchange.submit(&unknown),
        Err(AdapterError::NotFound(m)) if m.contains("330122-BDC-DJ-099") && m.contains("sxqd.csv")));
    assert_eq!(folder.names("sqbj"), ["bak", "err"]);
}

#[test]
fn a_missing_folder_or_grant_says_so() {
    let folder = Folder::new("missing");
    std::fs::remove_dir_all(folder.0.join("sqbj")).unwrap();
    let exchange = Exchange::new(&folder.0);
    assert_contains(
        &unavailable(exchange.submit(&submission())),
        &["sqbj is not in the department's exchange folder"],
    );
    std::fs::remove_file(folder.0.join("zsqd.csv")).unwrap();
    assert_contains(
        &unavailable(exchange.register()),
        &["zsqd.csv is not in the department's exchange folder"],
    );
    let nowhere = Exchange::new(folder.0.join("no-such-folder"));
    assert_contains(
        &invalid(nowhere.matters()),
        &["no exchange folder", "grants.exchange-dir"],
    );
}

#[test]
fn events_are_read_from_the_results_folder() {
    let folder = Folder::new("events");
    let exchange = Exchange::new(&folder.0);
    let page = exchange.events(None).unwrap();
    assert!(page.page.events.is_empty() && page.page.next_cursor.is_none());
    std::fs::write(
        folder.0.join("bjjg/JG_20261127_000001.csv"),
        result_file(&[step("20261127-000042", "01"), issued_row()]),
    )
    .unwrap();
    std::fs::write(folder.0.join("bjjg/.JG_20261127_000002.csv.tmp"), b"half").unwrap();
    let page = exchange.events(None).unwrap();
    assert_eq!(page.page.events.len(), 2);
    assert_eq!(page.page.cases()[1].status, CaseStatus::Completed);
    let cursor = page.page.next_cursor.unwrap();
    assert_eq!(cursor, "JG_20261127_000001.csv:2");
    assert!(
        exchange
            .events(Some(&cursor))
            .unwrap()
            .page
            .events
            .is_empty()
    );
    assert!(matches!(
        exchange.events(Some("garbage")),
        Err(AdapterError::Invalid(_))
    ));
    // The adapter never deletes the department's files.
    assert_eq!(
        folder.names("bjjg"),
        [".JG_20261127_000002.csv.tmp", "JG_20261127_000001.csv"]
    );
}

// ---------------------------------------------------------------------------
// 补正 and 撤回

fn contract() -> Attachment {
    Attachment {
        material_code: "001".into(),
        file_name: "不动产登记申请书.pdf".into(),
        media_type: "application/pdf".into(),
        content: b"%PDF-1.4\n".to_vec(),
    }
}

#[test]
fn writes_the_supplement_and_withdrawal_files_in_gbk() {
    let (name, bytes) =
        supplement_file("20261127-000042", &[contract()], " 已补交签字的登记申请书 ").unwrap();
    assert!(name.starts_with("BZ_20261127-000042_") && name.ends_with(".csv"));
    assert_eq!(name.len(), "BZ_20261127-000042_.csv".len() + 16);
    assert_eq!(
        gbk::decode(&bytes).unwrap(),
        "#补正,平台办件编号,交换编号,补正说明\r\n\
         补正,20261127-000042,SQ_20261127-000042,已补交签字的登记申请书\r\n\
         #附件,材料编码,文件名,文件类型,文件内容\r\n\
         附件,001,不动产登记申请书.pdf,application/pdf,JVBERi0xLjQK\r\n"
    );
    // The same files and note: the same name and bytes; other files: another name.
    assert_eq!(
        supplement_file("20261127-000042", &[contract()], "已补交签字的登记申请书").unwrap(),
        (name.clone(), bytes)
    );
    let other = Attachment {
        content: b"%PDF-1.5\n".to_vec(),
        ..contract()
    };
    assert_ne!(
        supplement_file("20261127-000042", &[other], "已补交签字的登记申请书")
            .unwrap()
            .0,
        name
    );
    assert_eq!(
        crate::legacy::supplement_case_no(&name),
        Some("20261127-000042")
    );

    assert_contains(
        &invalid(supplement_file("20261127-000042", &[], "  ")),
        &["neither files nor a note"],
    );
    assert_contains(
        &invalid(supplement_file(
            "20261127-000042",
            &[contract()],
            "代理人张𠮷",
        )),
        &["supplement file of case 20261127-000042", "U+20BB7"],
    );
    assert_contains(
        &invalid(supplement_file("2026/11/27", &[contract()], "")),
        &["cannot name a case file"],
    );
    let unnamed = Attachment {
        material_code: String::new(),
        ..contract()
    };
    assert_contains(
        &invalid(supplement_file("20261127-000042", &[unnamed], "")),
        &["no material code"],
    );

    let (name, bytes) = withdrawal_file("20261127-000042", "").unwrap();
    assert_eq!(name, "CH_20261127-000042.csv");
    assert_eq!(
        gbk::decode(&bytes).unwrap(),
        "#撤回,平台办件编号,交换编号,撤回原因\r\n撤回,20261127-000042,SQ_20261127-000042,申请人申请撤回\r\n"
    );
    assert_contains(
        &invalid(withdrawal_file("20261127-000042", "𠮷")),
        &["withdrawal file", "U+20BB7"],
    );
    assert_eq!(
        case_file_matter(&case_file(&submission()).unwrap()).as_deref(),
        Some("330122-BDC-DJ-001")
    );
    assert_eq!(case_file_matter(b"garbage\r\n"), None);
}

/// A result file with the 当前状态代码 column and no certificate columns.
fn answers(rows: &[&str]) -> Vec<u8> {
    gbk_file(&format!(
        "平台办件编号,业务号,状态代码,办理时间,办理意见,当前状态代码\n{}\n",
        rows.join("\n")
    ))
}

#[test]
fn withdrawals_and_special_procedures_in_the_results() {
    let bytes = answers(&[
        "A,BDC202611270001,08,20261127093005,特别程序（公告）：予以公告,",
        "B,BDC202611270002,06,20261127093005,申请人申请撤回（不买了），本中心已终止办理，申请材料退回,",
        "C,BDC202611270003,16,20261127093105,不予撤回：本中心已于2026年11月27日09:30:05审核通过，准予登记，申请不能撤回,03",
    ]);
    let rows = parse_results("JG_20261127_000001.csv", &bytes).unwrap();
    let ResultRow::Event(special) = &rows[0] else {
        panic!("08 is an event: {:?}", rows[0]);
    };
    assert_eq!(special.status, CaseStatus::SpecialProcedure);
    assert_eq!(special.note, "特别程序（公告）：予以公告");
    let ResultRow::Withdrawn(notice) = &rows[1] else {
        panic!("06 is no event: {:?}", rows[1]);
    };
    assert_contains(notice, &["row 2", "case B is withdrawn", "状态代码 06"]);
    let ResultRow::WithdrawalRefused(refused, warning) = &rows[2] else {
        panic!("16 keeps the status: {:?}", rows[2]);
    };
    assert_eq!(refused.case_no, "C");
    assert_eq!(refused.status, CaseStatus::Approved, "当前状态代码 03");
    assert!(refused.note.starts_with("不予撤回："));
    assert_eq!(refused.at, "2026-11-27T09:31:05+08:00");
    assert_contains(
        warning,
        &["refused the withdrawal of case C", "stays at 03"],
    );

    // The page: the 08 and 16 events, the 06 and 16 rows for the log.
    let (names, mut read) = files(&[("JG_20261127_000001.csv", bytes)]);
    let page = events_page(None, &names, &mut read).unwrap();
    let statuses: Vec<_> = page.page.cases().iter().map(|e| e.status).collect();
    assert_eq!(
        statuses,
        [CaseStatus::SpecialProcedure, CaseStatus::Approved]
    );
    assert_eq!((page.warnings.len(), page.notices.len()), (1, 1));
    assert_eq!(
        page.page.next_cursor.as_deref(),
        Some("JG_20261127_000001.csv:3")
    );

    let name = "JG_20261127_000002.csv";
    assert_contains(
        &unavailable(parse_results(
            name,
            &answers(&["C,BDC202611270003,16,20261127093105,不予撤回,"]),
        )),
        &["row 1", "has an empty 当前状态代码"],
    );
    assert_contains(
        &unavailable(parse_results(
            name,
            &answers(&["C,BDC202611270003,16,20261127093105,不予撤回,02"]),
        )),
        &["当前状态代码 \"02\"; expected one of 03, 04, 05"],
    );
}

fn row(code: &str, at: &str, note: &str) -> CaseRow {
    CaseRow {
        code: code.into(),
        reference: if code == "09" { "" } else { "BDC202611270001" }.into(),
        at: at.into(),
        note: note.into(),
    }
}

#[test]
fn the_standing_of_a_case_decides_supplements_and_withdrawals() {
    let nothing = Standing::of([]);
    assert_eq!(nothing.code(), None);
    assert_eq!(nothing.withdrawal_refusal(), None);
    assert_contains(
        &nothing.supplement_refusal().unwrap(),
        &["县不动产登记中心尚未受理该办件", "补正材料不予接收"],
    );

    let waiting = Standing::of([
        row("01", "20261127093005", "予以受理"),
        row("99", "20261127093010", "批处理异常"),
        row("02", "20261127093105", "请补正"),
    ]);
    assert_eq!(waiting.code(), Some("02"));
    assert_eq!(waiting.supplement_requests, 1);
    assert_eq!(waiting.supplement_refusal(), None);
    assert_eq!(waiting.withdrawal_refusal(), None);

    let done = Standing::of([
        row("01", "20261127093005", "予以受理"),
        row("03", "20261127093105", "经审核，符合登记条件，准予登记"),
        row("05", "20261127093205", "已登簿，核发不动产权证书"),
        row("16", "20261127093305", "不予撤回：……"),
    ]);
    assert_eq!(done.code(), Some("05"), "16 changes no status");
    assert_eq!(
        done.withdrawal_refusal().unwrap(),
        "县不动产登记中心已于2026年11月27日09:31:05作出准予登记决定（业务号BDC202611270001），并已于2026年11月27日09:32:05办结，申请不能撤回。办理意见：经审核，符合登记条件，准予登记"
    );
    assert_eq!(
        done.supplement_refusal().unwrap(),
        "该办件在县不动产登记中心的状态为已登簿（05），不在补正期间，补正材料不予接收"
    );
    let refused = Standing::of([row("09", "20261127093005", "不予受理：事项编码不存在")]);
    assert_eq!(
        refused.withdrawal_refusal().unwrap(),
        "县不动产登记中心已于2026年11月27日09:30:05作出不予受理决定，申请不能撤回。办理意见：不予受理：事项编码不存在"
    );
    let withdrawn = Standing::of([
        row("01", "20261127093005", ""),
        row("06", "20261127093105", ""),
    ]);
    assert!(withdrawn.withdrawn());
    assert_eq!(withdrawn.withdrawal_refusal(), None);
    assert_contains(&withdrawn.supplement_refusal().unwrap(), &["该办件已撤回"]);

    let rows = case_rows(
        "JG_20261127_000001.csv",
        &answers(&[
            "A,BDC202611270001,01,20261127093005,受理,",
            "B,BDC202611270002,01,20261127093005,受理,",
        ]),
        "B",
    )
    .unwrap();
    assert_eq!(
        rows,
        [CaseRow {
            code: "01".into(),
            reference: "BDC202611270002".into(),
            at: "20261127093005".into(),
            note: "受理".into(),
        }]
    );
}

impl Folder {
    /// Puts the case file of `submission()` where the batch job moves what it read.
    fn with_case_read(self) -> Self {
        std::fs::write(
            self.0.join("sqbj/bak/SQ_20261127-000042.csv"),
            case_file(&submission()).unwrap(),
        )
        .unwrap();
        self
    }

    /// Publishes a result file with `rows` (`code`, `note`) about 20261127-000042.
    fn results(&self, serial: u32, rows: &[(&str, &str)]) {
        let rows: Vec<String> = rows
            .iter()
            .map(|(code, note)| {
                result(
                    "20261127-000042",
                    "BDC202611270001",
                    code,
                    "20261127093005",
                    note,
                )
            })
            .collect();
        std::fs::write(
            self.0.join(format!("bjjg/JG_20261127_{serial:06}.csv")),
            result_file(&rows),
        )
        .unwrap();
    }
}

const CASE: &str = "20261127-000042";

#[test]
fn a_supplement_is_handed_in_once_while_the_case_waits_for_it() {
    let folder = Folder::new("supplement").with_case_read();
    let exchange = Exchange::new(&folder.0);
    let note = "已补交签字的登记申请书";
    // Not asked for yet.
    assert!(matches!(
        exchange.supplement(CASE, &[contract()], note),
        Err(AdapterError::Refused(m)) if m.contains("状态为受理（01）") || m.contains("尚未受理")
    ));
    folder.results(1, &[("01", "受理"), ("02", "请补正：契税完税凭证")]);
    exchange.supplement(CASE, &[contract()], note).unwrap();
    let names = folder.names("bzcl");
    assert_eq!(names.len(), 3, "{names:?}");
    let (name, bytes) = supplement_file(CASE, &[contract()], note).unwrap();
    assert_eq!(
        std::fs::read(folder.0.join("bzcl").join(&name)).unwrap(),
        bytes
    );
    // The same again: nothing new, also once the batch job has read it.
    exchange.supplement(CASE, &[contract()], note).unwrap();
    std::fs::rename(
        folder.0.join("bzcl").join(&name),
        folder.0.join("bzcl/bak").join(&name),
    )
    .unwrap();
    exchange.supplement(CASE, &[contract()], note).unwrap();
    assert_eq!(folder.names("bzcl"), ["bak", "err"]);
    // Something else for the same request: the department already has one.
    assert!(matches!(
        exchange.supplement(CASE, &[contract()], "另一份"),
        Err(AdapterError::Refused(m)) if m.contains("补正材料已提交") && m.contains(&name)
    ));
    // A material the matter does not have.
    let stranger = Attachment {
        material_code: "099".into(),
        ..contract()
    };
    assert_contains(
        &invalid(exchange.supplement(CASE, &[stranger], note)),
        &["material 099", "330122-BDC-DJ-001", "001, 002, 003, 006"],
    );
    // Back in review: refused with the department's status.
    folder.results(2, &[("01", "补正材料已收到，继续审核")]);
    assert!(matches!(
        exchange.supplement(CASE, &[contract()], "另一份"),
        Err(AdapterError::Refused(m)) if m == "该办件在县不动产登记中心的状态为受理（01），不在补正期间，补正材料不予接收"
    ));
    // A second request takes a second supplement.
    folder.results(3, &[("02", "请补正：买卖合同")]);
    exchange.supplement(CASE, &[contract()], "另一份").unwrap();
    assert!(matches!(
        exchange.supplement("20261127-000043", &[contract()], note),
        Err(AdapterError::NotFound(m)) if m.contains("SQ_20261127-000043.csv")
    ));
}

#[test]
fn a_withdrawal_is_handed_over_until_the_department_decides() {
    let folder = Folder::new("withdraw").with_case_read();
    let exchange = Exchange::new(&folder.0);
    folder.results(1, &[("01", "受理")]);
    exchange.withdraw(CASE, "申请人不再购买").unwrap();
    let bytes = std::fs::read(folder.0.join("chsq/CH_20261127-000042.csv")).unwrap();
    assert_eq!(bytes, withdrawal_file(CASE, "申请人不再购买").unwrap().1);
    // Again, waiting or read: nothing new.
    exchange.withdraw(CASE, "申请人不再购买").unwrap();
    std::fs::rename(
        folder.0.join("chsq/CH_20261127-000042.csv"),
        folder.0.join("chsq/bak/CH_20261127-000042.csv"),
    )
    .unwrap();
    exchange.withdraw(CASE, "申请人不再购买").unwrap();
    assert_eq!(folder.names("chsq"), ["bak", "err"]);
    folder.results(2, &[("06", "本中心已终止办理")]);
    exchange.withdraw(CASE, "").unwrap();
    assert_eq!(folder.names("chsq"), ["bak", "err"]);

    // Decided: refused at once, with the department's words, and nothing written.
    let decided = Folder::new("withdraw-decided").with_case_read();
    let exchange = Exchange::new(&decided.0);
    decided.results(
        1,
        &[("01", "受理"), ("04", "经审核，不予登记：权属存在争议")],
    );
    assert!(matches!(
        exchange.withdraw(CASE, "申请人撤回"),
        Err(AdapterError::Refused(m)) if m.starts_with("县不动产登记中心已于") && m.ends_with("办理意见：经审核，不予登记：权属存在争议")
    ));
    assert_eq!(decided.names("chsq"), ["bak", "err"]);
    assert!(matches!(
        exchange.withdraw("20261127-000043", "申请人撤回"),
        Err(AdapterError::NotFound(_))
    ));
    // A damaged result file: retry later.
    std::fs::write(decided.0.join("bjjg/JG_20261127_000009.csv"), b"\xd6\xd0").unwrap();
    unavailable(exchange.withdraw(CASE, "申请人撤回"));
}
