//! The translation against GBK answers shaped like the 征管 system's, good days and bad.

use std::cell::Cell;

use onewindow_sdk::codes::gbk;
use onewindow_sdk::testing::{CaseEvents, assert_contains, face, unavailable};
use onewindow_sdk::types::{
    AdapterError, Attachment, CaseStatus, CaseSubmission, Field, FieldKind, License, LicenseRef,
    LicenseStatus, MatterKind, Organization, Party, PartyField, Person,
};

use crate::Answer;
use crate::legacy::{
    catalogue_request, events_cursor, events_request, holder_request, notification_refused,
    parse_catalogue_page, parse_events, parse_holder_licenses, parse_submission, parse_supplement,
    parse_verification, parse_withdrawal, read_catalogue, submission_request, supplement_request,
    verify_request, withdrawal_request,
};

const GBK_TEXT: &str = "text/plain; charset=GBK";

const CATALOGUE: &str = "fhdm=0
fhxx=成功
sx.ts=2
sx.1.bm=330122-SW-FP-001
sx.1.mc=发票申领
sx.1.ssjg=县税务局
sx.1.sxlx=GG
sx.1.fdsx=5
sx.1.cnsx=1
sx.1.dccs=0
sx.1.wb=Y
sx.1.sfbz=不收费
sx.1.sltj=已办理税务登记信息确认的单位纳税人\\n（新办企业可一并申领）
sx.1.cl.ts=3
sx.1.cl.1.bm=001
sx.1.cl.1.mc=营业执照
sx.1.cl.1.bx=Y
sx.1.cl.1.zzlx=营业执照
sx.1.cl.2.bm=002
sx.1.cl.2.mc=经办人身份证件
sx.1.cl.2.bx=Y
sx.1.cl.2.zzlx=居民身份证
sx.1.cl.3.bm=003
sx.1.cl.3.mc=纳税人领用发票票种核定表
sx.1.cl.3.bx=N
sx.1.bd.ts=4
sx.1.bd.1.mc=发票种类
sx.1.bd.1.bq=发票种类
sx.1.bd.1.lx=XZ
sx.1.bd.1.xx.ts=2
sx.1.bd.1.xx.1.z=数电发票（增值税普通发票）
sx.1.bd.1.xx.2.z=增值税专用发票（纸质）
sx.1.bd.1.bt=N
sx.1.bd.2.mc=每月最高领用数量
sx.1.bd.2.bq=每月最高领用数量（如：25份）
sx.1.bd.2.lx=WB
sx.1.bd.2.bt=Y
sx.1.bd.3.mc=法定代表人
sx.1.bd.3.bq=法定代表人
sx.1.bd.3.lx=WB
sx.1.bd.3.bt=N
sx.1.bd.3.ly=FDDBR
sx.1.bd.4.mc=生产经营地址
sx.1.bd.4.bq=生产经营地址
sx.1.bd.4.lx=DZ
sx.1.bd.4.bt=Y
sx.1.bd.4.ly=DZ
sx.2.bm=330122-SW-XK-001
sx.2.mc=增值税专用发票（增值税税控系统）最高开票限额审批
sx.2.ssjg=县税务局
sx.2.sxlx=XK
sx.2.fdsx=20
sx.2.cnsx=10
sx.2.dccs=1
sx.2.wb=N
sx.2.sfbz=不收费
sx.2.sltj=增值税一般纳税人
sx.2.cl.ts=0
sx.2.bd.ts=3
sx.2.bd.1.mc=金额
sx.2.bd.1.bq=金额（元）
sx.2.bd.1.lx=SZ
sx.2.bd.1.bt=Y
sx.2.bd.2.mc=开具期间起
sx.2.bd.2.bq=开具期间起
sx.2.bd.2.lx=RQ
sx.2.bd.2.bt=Y
sx.2.bd.3.mc=购买方纳税人识别号
sx.2.bd.3.bq=购买方纳税人识别号
sx.2.bd.3.lx=NSRSBH
sx.2.bd.3.bt=N
sx.2.bd.3.ly=NSRSBH
xyb=2
sfyhy=Y
";

const LAST_PAGE: &str = "fhdm=0
fhxx=成功
sx.ts=1
sx.1.bm=330122-SW-ZM-001
sx.1.mc=开具个人所得税纳税记录
sx.1.ssjg=县税务局
sx.1.sxlx=GG
sx.1.fdsx=1
sx.1.cnsx=1
sx.1.dccs=0
sx.1.wb=Y
sx.1.sfbz=不收费
sx.1.sltj=负有个人所得税纳税义务的自然人
sx.1.cl.ts=1
sx.1.cl.1.bm=001
sx.1.cl.1.mc=居民身份证
sx.1.cl.1.bx=Y
sx.1.cl.1.zzlx=居民身份证
xyb=3
sfyhy=N
";

/// A 发票领用 record under `prefix`.
fn record(prefix: &str) -> String {
    [
        ("zzlxdm", "FPLY"),
        ("zzlxmc", "发票领用"),
        ("zzbh", "FPLY330122202611270001"),
        ("nsrsbh", "91330122MA2H3G0K12"),
        ("nsrmc", "杭州富春山水民宿管理有限公司"),
        ("fzjg", "县税务局"),
        ("fzrq", "2026-11-27"),
        ("yxqz", "长期"),
        ("zt", "1"),
        ("fpzl", "数电发票（增值税普通发票）"),
        ("dzzgxe", "十万元"),
        ("myzgsl", "25份"),
        ("lyfs", "网上申领，邮寄送达"),
        ("jbr", "钟镕"),
        ("zgswjg", "国家税务总局桐庐县税务局富春江税务所"),
    ]
    .iter()
    .map(|(k, v)| format!("{prefix}.{k}={v}\n"))
    .collect()
}

fn status_page() -> String {
    format!(
        "fhdm=0
fhxx=成功
zt.ts=2
zt.1.xh=16
zt.1.ptbjbh=20261127-000123
zt.1.ywlsh=SW330122202611270001
zt.1.ztdm=10
zt.1.blsj=2026-11-27 14:05:00
zt.1.blyj=已受理，资料齐全，进入审核
zt.2.xh=17
zt.2.ptbjbh=20261127-000123
zt.2.ywlsh=SW330122202611270001
zt.2.ztdm=50
zt.2.blsj=2026-11-27 09:07:30
{}xyb=17
sfyhy=Y
",
        record("zt.2.ly")
    )
}

fn holder_answer(n: usize) -> String {
    let mut text = format!("fhdm=0\nfhxx=成功\nly.ts={n}\n");
    for i in 1..=n {
        text.push_str(&record(&format!("ly.{i}")));
    }
    text
}

/// `lines` (`\n`-separated) as the service sends them: CRLF, closed by `jsbz=1`, in GBK.
fn wire(lines: &str) -> Vec<u8> {
    let text = format!("{lines}jsbz=1\n").replace('\n', "\r\n");
    gbk::encode(&text).unwrap()
}

fn ok(lines: &str) -> Answer {
    Answer {
        status: 200,
        content_type: GBK_TEXT.into(),
        body: wire(lines),
    }
}

/// Percent-decodes a form body into its GBK-decoded fields.
fn fields(body: &[u8]) -> Vec<(String, String)> {
    fn decode(bytes: &[u8]) -> String {
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' => {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                    out.push(u8::from_str_radix(hex, 16).unwrap());
                    i += 2;
                }
                b => out.push(b),
            }
            i += 1;
        }
        gbk::decode(&out).unwrap()
    }
    assert!(body.is_ascii(), "a form body is ASCII");
    body.split(|&b| b == b'&')
        .map(|pair| {
            let at = pair.iter().position(|&b| b == b'=').unwrap();
            (decode(&pair[..at]), decode(&pair[at + 1..]))
        })
        .collect()
}

fn value<'a>(fields: &'a [(String, String)], key: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {key} in {fields:?}"))
}

#[test]
fn reads_the_catalogue_page_by_page() {
    let pages = [ok(CATALOGUE), ok(LAST_PAGE)];
    let mut sent = Vec::new();
    let matters = read_catalogue(|body| {
        sent.push(String::from_utf8(body).unwrap());
        Ok(pages[sent.len() - 1].clone())
    })
    .unwrap();
    assert_eq!(
        sent,
        [
            "jylx=SXQD&qdbs=YWTB&yb=0&mys=20",
            "jylx=SXQD&qdbs=YWTB&yb=2&mys=20"
        ]
    );
    assert_eq!(matters.len(), 3);

    let invoices = &matters[0];
    assert_eq!(invoices.code, "330122-SW-FP-001");
    assert_eq!(invoices.name, "发票申领");
    assert_eq!(invoices.department, "县税务局");
    assert_eq!(invoices.kind, MatterKind::PublicService);
    assert_eq!(
        (invoices.legal_days, invoices.promised_days, invoices.visits),
        (5, 1, 0)
    );
    assert!(invoices.online);
    assert_eq!(invoices.fee, "不收费");
    assert_eq!(
        invoices.conditions,
        "已办理税务登记信息确认的单位纳税人\n（新办企业可一并申领）"
    );
    let materials: Vec<_> = invoices
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
            ("002", "经办人身份证件", true, Some("居民身份证")),
            ("003", "纳税人领用发票票种核定表", false, None),
        ]
    );
    let form: Vec<_> = invoices
        .form
        .iter()
        .map(|f| {
            (
                f.key.as_str(),
                f.label.as_str(),
                kind(&f.kind),
                f.required,
                f.from_party,
            )
        })
        .collect();
    assert_eq!(
        form,
        [
            (
                "发票种类",
                "发票种类",
                "choice 数电发票（增值税普通发票）|增值税专用发票（纸质）".to_owned(),
                false,
                None
            ),
            (
                "每月最高领用数量",
                "每月最高领用数量（如：25份）",
                "text".to_owned(),
                true,
                None
            ),
            (
                "法定代表人",
                "法定代表人",
                "text".to_owned(),
                false,
                Some(PartyField::LegalRepresentative)
            ),
            (
                "生产经营地址",
                "生产经营地址",
                "address".to_owned(),
                true,
                Some(PartyField::Address)
            ),
        ]
    );
    let limit = &matters[1];
    assert_eq!(limit.kind, MatterKind::AdministrativeLicense);
    assert_eq!((limit.visits, limit.online), (1, false));
    assert!(limit.materials.is_empty());
    let kinds: Vec<_> = limit.form.iter().map(|f| kind(&f.kind)).collect();
    assert_eq!(kinds, ["number", "date", "credit-code"]);
    assert_eq!(limit.form[2].from_party, Some(PartyField::CreditCode));
    assert_eq!(matters[2].code, "330122-SW-ZM-001");
    assert!(
        matters[2].form.is_empty(),
        "a matter without a bd list has no form"
    );
}

/// A form field's kind in words, for comparing (the bindings' type has no `PartialEq`).
fn kind(kind: &FieldKind) -> String {
    match kind {
        FieldKind::Text => "text".into(),
        FieldKind::Date => "date".into(),
        FieldKind::Number => "number".into(),
        FieldKind::Choice(options) => format!("choice {}", options.join("|")),
        FieldKind::IdNumber => "id-number".into(),
        FieldKind::CreditCode => "credit-code".into(),
        FieldKind::Address => "address".into(),
    }
}

#[test]
fn form_fields_the_platform_cannot_use_are_unavailable() {
    let page = |lines: &str| parse_catalogue_page(&ok(lines), 0);
    let message = unavailable(page(
        &CATALOGUE.replace("sx.2.bd.1.lx=SZ", "sx.2.bd.1.lx=JE"),
    ));
    assert_contains(
        &message,
        &[
            "sx.2.bd.1.lx=JE (字段类型) on line",
            "expected one of WB, RQ, SZ, XZ, SFZ, NSRSBH, DZ",
        ],
    );
    let message = unavailable(page(
        &CATALOGUE.replace("sx.1.bd.1.xx.ts=2", "sx.1.bd.1.xx.ts=0"),
    ));
    assert_contains(&message, &["sx.1.bd.1.xx.ts=0", "at least one option"]);
    let message = unavailable(page(
        &CATALOGUE.replace("sx.1.bd.1.xx.2.z=增值税专用发票（纸质）\n", ""),
    ));
    assert_contains(&message, &["has no sx.1.bd.1.xx.2.z (选项)"]);
    let message = unavailable(page(
        &CATALOGUE.replace("sx.1.bd.4.ly=DZ", "sx.1.bd.4.ly=YB"),
    ));
    assert_contains(&message, &["sx.1.bd.4.ly=YB (取值来源)"]);
    let message = unavailable(page(&CATALOGUE.replace("sx.1.bd.2.bt=Y", "sx.1.bd.2.bt=1")));
    assert_contains(
        &message,
        &["sx.1.bd.2.bt=1 (是否必填)", "Y (yes) or N (no)"],
    );
    let message = unavailable(page(&CATALOGUE.replace("sx.1.bd.ts=4", "sx.1.bd.ts=5")));
    assert_contains(&message, &["has no sx.1.bd.5.lx (字段类型)"]);
}

fn supplement_files() -> Vec<Attachment> {
    vec![Attachment {
        material_code: "003".into(),
        file_name: "纳税人领用发票票种核定表（签章）.pdf".into(),
        media_type: "application/pdf".into(),
        content: b"%PDF-1.4".to_vec(),
    }]
}

#[test]
fn writes_the_supplement_as_a_gbk_form() {
    let body = supplement_request(
        " 20261127-000123 ",
        &supplement_files(),
        "补交签章的核定表 & 说明",
    )
    .unwrap();
    let sent = fields(&body);
    let keys: Vec<_> = sent.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "jylx",
            "qdbs",
            "ptbjbh",
            "bzsm",
            "fj.ts",
            "fj.1.clbm",
            "fj.1.wjm",
            "fj.1.lx",
            "fj.1.nr"
        ]
    );
    assert_eq!(value(&sent, "jylx"), "BJBZ");
    assert_eq!(value(&sent, "ptbjbh"), "20261127-000123");
    assert_eq!(value(&sent, "bzsm"), "补交签章的核定表 & 说明");
    assert_eq!(value(&sent, "fj.ts"), "1");
    assert_eq!(value(&sent, "fj.1.clbm"), "003");
    assert_eq!(
        value(&sent, "fj.1.wjm"),
        "纳税人领用发票票种核定表（签章）.pdf"
    );
    assert_eq!(value(&sent, "fj.1.nr"), "JVBERi0xLjQ=");
    assert!(matches!(supplement_request("", &supplement_files(), ""),
        Err(AdapterError::Invalid(m)) if m.contains("BJBZ")));
}

#[test]
fn writes_the_withdrawal_as_a_gbk_form() {
    let body = withdrawal_request("20261127-000123", " 纳税人决定暂不申领 ").unwrap();
    assert_eq!(
        fields(&body),
        [
            ("jylx".to_owned(), "BJCH".to_owned()),
            ("qdbs".to_owned(), "YWTB".to_owned()),
            ("ptbjbh".to_owned(), "20261127-000123".to_owned()),
            ("chyy".to_owned(), "纳税人决定暂不申领".to_owned()),
        ]
    );
    assert!(matches!(withdrawal_request("20261127-000123", " "),
        Err(AdapterError::Invalid(m)) if m.contains("撤回原因")));
}

#[test]
fn supplement_and_withdrawal_answers_map_to_the_contract() {
    let answer = |code: &str, message: &str| ok(&format!("fhdm={code}\nfhxx={message}\n"));
    assert!(parse_supplement(&answer("0", "补正资料1份已接收，继续审核")).is_ok());
    assert!(parse_supplement(&answer("0", "该补正资料此前已接收，未重复处理")).is_ok());
    assert!(matches!(
        parse_supplement(&answer("3003", "办件SW330122202611270001当前状态为审核中，未通知补正，不能提交补正资料")),
        Err(AdapterError::Refused(m)) if m.ends_with("不能提交补正资料")
    ));
    assert!(matches!(
        parse_supplement(&answer("2001", "平台办件编号20261127-000999对应的办件不存在")),
        Err(AdapterError::NotFound(m)) if m.contains("20261127-000999")
    ));
    assert!(matches!(
        parse_supplement(&answer("1001", "缺少fj（补正资料）")),
        Err(AdapterError::Invalid(m)) if m.contains("BJBZ") && m.contains("缺少fj")
    ));
    assert!(parse_withdrawal(&answer("0", "撤回成功，办件终止办理")).is_ok());
    assert!(matches!(
        parse_withdrawal(&answer("3003", "办件SW330122202611270001已于2026-11-27 14:05:00核准，不能撤回")),
        Err(AdapterError::Refused(m)) if m.contains("不能撤回")
    ));
    let message = unavailable(parse_withdrawal(&Answer {
        body: gbk::encode("fhdm=0\r\nfhxx=撤回成功\r\n").unwrap(),
        ..ok("")
    }));
    assert_contains(&message, &["the answer to BJCH is truncated"]);
    let message = unavailable(parse_withdrawal(&answer("3009", "未知")));
    assert_contains(&message, &["fhdm=3009", "3003"]);
}

#[test]
fn catalogue_pages_that_never_end_are_unavailable() {
    // The same cursor again while more pages are announced.
    let stuck = CATALOGUE.replace("xyb=2", "xyb=0");
    let message = unavailable(read_catalogue(|_| Ok(ok(&stuck))));
    assert_contains(
        &message,
        &[
            "the answer to SXQD",
            "sfyhy=Y",
            "xyb=0 did not advance from the requested yb=0",
        ],
    );
    // A cursor that advances, but the page repeats what came before.
    let calls = Cell::new(0_u64);
    let message = unavailable(read_catalogue(|_| {
        calls.set(calls.get() + 2);
        Ok(ok(
            &CATALOGUE.replace("xyb=2", &format!("xyb={}", calls.get()))
        ))
    }));
    assert_contains(&message, &["lists 330122-SW-FP-001 again", "after yb=2"]);
    // Ever new matters, ever more pages.
    let calls = Cell::new(0_u64);
    let message = unavailable(read_catalogue(|_| {
        calls.set(calls.get() + 1);
        let n = calls.get();
        Ok(ok(&LAST_PAGE
            .replace("330122-SW-ZM-001", &format!("330122-SW-ZM-{n:03}"))
            .replace("xyb=3", &format!("xyb={n}"))
            .replace("sfyhy=N", "sfyhy=Y")))
    }));
    assert_eq!(calls.get(), 50);
    assert_contains(&message, &["after 50 pages", "does not end"]);
    // A cursor that goes back.
    let message = unavailable(parse_catalogue_page(&ok(CATALOGUE), 5));
    assert_contains(
        &message,
        &["xyb=2 (下一游标)", "not before the requested yb=5"],
    );
}

#[test]
fn reads_a_status_page_with_an_issued_record() {
    let page = parse_events(&ok(&status_page()), 15).unwrap();
    assert_eq!(page.next_cursor.as_deref(), Some("17"));
    assert!(page.more);
    assert_eq!(page.events.len(), 2);

    let review = page.cases()[0];
    assert_eq!(review.case_no, "20261127-000123");
    assert_eq!(review.status, CaseStatus::InReview);
    assert_eq!(review.at, "2026-11-27T14:05:00+08:00");
    assert_eq!(review.note, "已受理，资料齐全，进入审核");
    assert!(review.issued.is_none());

    let done = page.cases()[1];
    assert_eq!(done.status, CaseStatus::Completed);
    assert_eq!(done.at, "2026-11-27T09:07:30+08:00");
    assert_eq!(done.note, "", "blyj is absent");
    let license = done.issued.as_ref().unwrap();
    assert_eq!(license.type_code, "FPLY");
    assert_eq!(license.type_name, "发票领用");
    assert_eq!(license.number, "FPLY330122202611270001");
    assert!(matches!(&license.holder, Party::Organization(o)
        if o.credit_code == "91330122MA2H3G0K12" && o.name == "杭州富春山水民宿管理有限公司"));
    assert_eq!(license.issuer, "县税务局");
    assert_eq!(license.issued_on, "2026-11-27");
    assert_eq!(license.valid_until, None);
    assert_eq!(license.status, LicenseStatus::Valid);
    assert_eq!(
        face(license),
        [
            ("taxpayer-id", "91330122MA2H3G0K12"),
            ("taxpayer-name", "杭州富春山水民宿管理有限公司"),
            ("invoice-kind", "数电发票（增值税普通发票）"),
            ("max-amount", "十万元"),
            ("monthly-quantity", "25份"),
            ("delivery", "网上申领，邮寄送达"),
            ("agent", "钟镕"),
            ("tax-office", "国家税务总局桐庐县税务局富春江税务所"),
        ]
    );
}

#[test]
fn an_empty_status_page_keeps_the_cursor() {
    let page = parse_events(&ok("fhdm=0\nfhxx=成功\nzt.ts=0\nxyb=17\nsfyhy=N\n"), 17).unwrap();
    assert!(page.events.is_empty());
    assert_eq!(page.next_cursor.as_deref(), Some("17"));
    assert!(!page.more);
}

#[test]
fn status_pages_that_never_end_are_unavailable() {
    // What the mock's endless-pages fault answers: more, from the same cursor.
    let stuck = status_page().replace("xyb=17", "xyb=15");
    let message = unavailable(parse_events(&ok(&stuck), 15));
    assert_contains(
        &message,
        &["the answer to BJZT: sfyhy=Y", "xyb=15 did not advance"],
    );
    let behind = status_page()
        .replace("xyb=17", "xyb=16")
        .replace("sfyhy=Y", "sfyhy=N");
    let message = unavailable(parse_events(&ok(&behind), 15));
    assert_contains(
        &message,
        &["xyb=16 (下一游标)", "at least 17, the last sequence number"],
    );
    let stuck = "fhdm=0\nfhxx=成功\nzt.ts=0\nxyb=15\nsfyhy=Y\n";
    let message = unavailable(parse_events(&ok(stuck), 15));
    assert_contains(
        &message,
        &[
            "the answer to BJZT",
            "did not advance from the requested yb=15",
            "would never end",
        ],
    );
    let back = status_page().replace("zt.2.xh=17", "zt.2.xh=16");
    let message = unavailable(parse_events(&ok(&back), 15));
    assert_contains(&message, &["zt.2.xh=16 (序号) on line", "after 16"]);
    let old = unavailable(parse_events(&ok(&status_page()), 16));
    assert_contains(&old, &["zt.1.xh=16"]);
}

#[test]
fn a_truncated_answer_is_unavailable() {
    let body = wire(CATALOGUE);
    // Cut after a complete line: the closing line never came.
    let at = body[..body.len() / 2]
        .iter()
        .rposition(|&b| b == b'\n')
        .unwrap();
    let cut = Answer {
        body: body[..=at].to_vec(),
        ..ok("")
    };
    let message = unavailable(parse_catalogue_page(&cut, 0));
    assert_contains(
        &message,
        &[
            "the answer to SXQD is truncated",
            "without the closing line jsbz=1",
            "the last line read holds sx.1.",
        ],
    );
    // Cut in the middle of a line.
    let cut = Answer {
        body: body[..at - 3].to_vec(),
        ..ok("")
    };
    let message = unavailable(parse_catalogue_page(&cut, 0));
    assert_contains(
        &message,
        &["the answer to SXQD is truncated", "has no line break"],
    );
    // Cut inside a two-byte GBK character.
    let name = gbk::encode("发票申领").unwrap();
    let lead = body.windows(name.len()).position(|w| w == name).unwrap();
    let cut = Answer {
        body: body[..=lead].to_vec(),
        ..ok("")
    };
    let message = unavailable(parse_catalogue_page(&cut, 0));
    assert_contains(
        &message,
        &[
            "the answer to SXQD is truncated",
            "GBK",
            "cut off",
            &format!("offset {lead}"),
            "in the value of sx.1.mc on line 5",
        ],
    );
    // Nothing at all.
    let empty = Answer {
        body: Vec::new(),
        ..ok("")
    };
    let message = unavailable(parse_submission(&empty));
    assert_contains(&message, &["truncated", "holds no line at all"]);
}

#[test]
fn gbk_bytes_declared_as_utf8_are_unavailable() {
    let answer = Answer {
        content_type: "text/plain; charset=UTF-8".into(),
        ..ok(CATALOGUE)
    };
    let first = answer.body.iter().position(|&b| b >= 0x80).unwrap();
    let message = unavailable(parse_catalogue_page(&answer, 0));
    assert_contains(
        &message,
        &[
            "the answer to SXQD cannot be read in its declared charset UTF-8",
            &format!("offset {first}"),
            "in the value of fhxx on line 2",
            "specified to send GBK",
        ],
    );
    // Any label of GBK is as good, and so is an answer that declares nothing.
    for content_type in ["text/plain; charset=gb2312", "text/plain", ""] {
        let answer = Answer {
            content_type: content_type.into(),
            ..ok(CATALOGUE)
        };
        assert_eq!(parse_catalogue_page(&answer, 0).unwrap().matters.len(), 2);
    }
    let answer = Answer {
        content_type: "text/plain; charset=klingon".into(),
        ..ok(CATALOGUE)
    };
    assert_contains(&unavailable(parse_catalogue_page(&answer, 0)), &["klingon"]);
}

#[test]
fn http_errors_and_other_media_are_unavailable() {
    let answer = Answer {
        status: 503,
        content_type: "text/html".into(),
        body: b"<html><body>Service Unavailable</body></html>".to_vec(),
    };
    let message = unavailable(parse_catalogue_page(&answer, 0));
    assert_contains(&message, &["answered HTTP 503 to SXQD", "try again later"]);
    let answer = Answer {
        status: 200,
        ..answer
    };
    let message = unavailable(parse_submission(&answer));
    assert_contains(&message, &["the answer to BJSB is text/html"]);
}

#[test]
fn missing_keys_are_named() {
    let body = CATALOGUE.replace("sx.1.mc=发票申领\n", "");
    let message = unavailable(parse_catalogue_page(&ok(&body), 0));
    assert_eq!(message, "the answer to SXQD has no sx.1.mc (事项名称)");

    let body = CATALOGUE.replace("sx.1.cl.2.mc=经办人身份证件", "sx.1.cl.2.mc= ");
    let message = unavailable(parse_catalogue_page(&ok(&body), 0));
    assert_eq!(
        message,
        "the answer to SXQD has an empty sx.1.cl.2.mc (材料名称) on line 20"
    );

    let message = unavailable(parse_submission(&ok("fhdm=0\nfhxx=申报成功\n")));
    assert_eq!(message, "the answer to BJSB has no ywlsh (业务流水号)");

    // What the mock's missing-element fault does to a status page.
    let body = status_page().replace("zt.1.ztdm=10\n", "");
    let message = unavailable(parse_events(&ok(&body), 0));
    assert_eq!(message, "the answer to BJZT has no zt.1.ztdm (状态代码)");

    let body = status_page().replace("zt.2.ly.zzbh=FPLY330122202611270001\n", "");
    let message = unavailable(parse_events(&ok(&body), 0));
    assert_eq!(message, "the answer to BJZT has no zt.2.ly.zzbh (证照编号)");

    let body = holder_answer(2).replace("ly.2.zzbh=FPLY330122202611270001\n", "");
    let message = unavailable(parse_holder_licenses(&ok(&body)));
    assert_eq!(message, "the answer to FPCX has no ly.2.zzbh (证照编号)");

    let message = unavailable(parse_events(&ok("fhdm=0\nfhxx=成功\nzt.ts=0\nxyb=1\n"), 0));
    assert_eq!(message, "the answer to BJZT has no sfyhy (是否有后页)");
    let message = unavailable(parse_holder_licenses(&ok("fhxx=成功\nly.ts=0\n")));
    assert_eq!(message, "the answer to FPCX has no fhdm (返回代码)");
}

#[test]
fn unknown_codes_are_unavailable() {
    let body = CATALOGUE.replacen("sx.1.sxlx=GG", "sx.1.sxlx=ZZ", 1);
    let message = unavailable(parse_catalogue_page(&ok(&body), 0));
    assert_eq!(
        message,
        "the answer to SXQD: sx.1.sxlx=ZZ (事项类型) on line 7 is not a code the 征管 system's specification defines; expected one of XK, QR, GF, CJ, JL, QT, GG"
    );

    let body = status_page().replacen("zt.1.ztdm=10", "zt.1.ztdm=99", 1);
    let message = unavailable(parse_events(&ok(&body), 0));
    assert_contains(
        &message,
        &["zt.1.ztdm=99 (状态代码)", "one of 10, 20, 30, 40, 50"],
    );

    let body = status_page().replace("zt.2.ly.zt=1", "zt.2.ly.zt=9");
    let message = unavailable(parse_events(&ok(&body), 0));
    assert_contains(&message, &["zt.2.ly.zt=9 (证照状态)", "one of 1, 2, 3"]);

    let body = holder_answer(1).replace("ly.1.zzlxdm=FPLY", "ly.1.zzlxdm=FPHD");
    let message = unavailable(parse_holder_licenses(&ok(&body)));
    assert_contains(
        &message,
        &["ly.1.zzlxdm=FPHD (证照类型代码)", "expected one of FPLY"],
    );

    let message = unavailable(parse_submission(&ok("fhdm=8001\nfhxx=未知\nywlsh=1\n")));
    assert_contains(
        &message,
        &[
            "the answer to BJSB: fhdm=8001 (返回代码) is not a status code",
            "0, 1001, 1002, 1003, 1004, 2001, 3001, 3002, 3003, 9001, 9999",
            "\"未知\"",
        ],
    );

    let body = CATALOGUE.replacen("sx.1.wb=Y", "sx.1.wb=1", 1);
    let message = unavailable(parse_catalogue_page(&ok(&body), 0));
    assert_contains(
        &message,
        &["sx.1.wb=1 (是否网办) on line 11; expected Y (yes) or N (no)"],
    );

    let body = CATALOGUE.replacen("sx.1.dccs=0", "sx.1.dccs=-1", 1);
    let message = unavailable(parse_catalogue_page(&ok(&body), 0));
    assert_contains(
        &message,
        &["sx.1.dccs=-1 (到办事现场次数)", "a whole number"],
    );

    let body = CATALOGUE.replacen("sx.1.cnsx=1", "sx.1.cnsx=9", 1);
    let message = unavailable(parse_catalogue_page(&ok(&body), 0));
    assert_contains(&message, &["promises 9 working days", "legal limit is 5"]);
}

#[test]
fn lines_that_break_the_format_are_unavailable() {
    let message = unavailable(parse_submission(&ok("fhdm=0\nywlsh 1\n")));
    assert_contains(&message, &["line 2 (\"ywlsh 1\") is not a key=value line"]);
    let message = unavailable(parse_submission(&ok("fhdm=0\nywlsh=1\nywlsh=2\n")));
    assert_contains(&message, &["gives ywlsh twice, on lines 2 and 3"]);
    let message = unavailable(parse_submission(&ok("fhdm=0\nfhxx=C:\\temp\nywlsh=1\n")));
    assert_contains(
        &message,
        &["the value of fhxx on line 2 holds the escape \\t"],
    );
    let message = unavailable(parse_submission(&Answer {
        body: wire("fhdm=0\nywlsh=1\njsbz=1\nywlsh=2\n"),
        ..ok("")
    }));
    assert_contains(&message, &["goes on after its closing line jsbz=1"]);
    let message = unavailable(parse_submission(&Answer {
        body: gbk::encode("fhdm=0\r\nywlsh=1\r\njsbz=0\r\n").unwrap(),
        ..ok("")
    }));
    assert_contains(&message, &["line 3 is jsbz=0"]);
}

#[test]
fn status_codes_map_to_the_contract() {
    let failing = |code: &str, message: &str| ok(&format!("fhdm={code}\nfhxx={message}\n"));
    assert!(
        matches!(parse_submission(&failing("2001", "事项编码330122-SW-XX-999不存在")),
        Err(AdapterError::NotFound(m)) if m == "事项编码330122-SW-XX-999不存在")
    );
    assert!(
        matches!(parse_submission(&failing("3001", "纳税人“桐庐兴旺娱乐有限公司”为非正常户")),
        Err(AdapterError::Refused(m)) if m.contains("非正常户"))
    );
    assert!(
        matches!(parse_submission(&failing("3002", "发票申领须由单位纳税人申请")),
        Err(AdapterError::Refused(m)) if m == "发票申领须由单位纳税人申请")
    );
    for code in ["1001", "1002", "1003", "1004"] {
        assert!(
            matches!(parse_submission(&failing(code, "缺少ptbjbh（平台办件编号）")),
            Err(AdapterError::Invalid(m)) if m.contains("BJSB") && m.contains(&format!("fhdm={code}")) && m.contains("缺少ptbjbh"))
        );
    }
    for code in ["9001", "9999"] {
        let message = unavailable(parse_submission(&failing(code, "系统繁忙，请稍后再试")));
        assert_contains(&message, &["BJSB", &format!("fhdm={code}"), "系统繁忙"]);
    }
}

#[test]
fn reads_records_and_verifications() {
    let lapsed = record("ly.2")
        .replace("ly.2.zt=1", "ly.2.zt=3")
        .replace("ly.2.yxqz=长期", "ly.2.yxqz=2023-11-30")
        .replace("ly.2.jbr=钟镕\n", "");
    let body = format!("fhdm=0\nfhxx=成功\nly.ts=2\n{}{lapsed}", record("ly.1"));
    let licenses = parse_holder_licenses(&ok(&body)).unwrap();
    assert_eq!(licenses.len(), 2);
    assert_eq!(licenses[1].status, LicenseStatus::Expired);
    assert_eq!(licenses[1].valid_until.as_deref(), Some("2023-11-30"));
    assert!(!face(&licenses[1]).iter().any(|(k, _)| *k == "agent"));

    // An unknown taxpayer holds nothing here.
    let none = ok("fhdm=2001\nfhxx=纳税人识别号91330122MA2H1234XM未在本局办理税务登记\n");
    assert!(parse_holder_licenses(&none).unwrap().is_empty());
    assert!(parse_verification(&none).unwrap().is_none());

    let found = parse_verification(&ok(&holder_answer(1))).unwrap().unwrap();
    assert_eq!(found.number, "FPLY330122202611270001");
    let message = unavailable(parse_verification(&ok(&holder_answer(2))));
    assert_contains(&message, &["ly.ts=2", "at most one"]);

    let body = holder_answer(1).replace("ly.1.fzrq=2026-11-27", "ly.1.fzrq=2026-13-27");
    let message = unavailable(parse_holder_licenses(&ok(&body)));
    assert_contains(
        &message,
        &["ly.1.fzrq=2026-13-27 (发证日期)", "a date such as"],
    );

    let body = holder_answer(1).replace("91330122MA2H3G0K12", "91330122MA2H3G0K13");
    let message = unavailable(parse_holder_licenses(&ok(&body)));
    assert_contains(
        &message,
        &[
            "ly.1.nsrsbh=91330122MA2H3G0K13 (纳税人识别号)",
            "check character",
        ],
    );

    assert_eq!(
        String::from_utf8(holder_request("91330122MA2H3G0K12")).unwrap(),
        "jylx=FPCX&qdbs=YWTB&nsrsbh=91330122MA2H3G0K12"
    );
    assert_eq!(
        String::from_utf8(verify_request("FPLY", "FPLY330122202611270001")).unwrap(),
        "jylx=FPYZ&qdbs=YWTB&zzlxdm=FPLY&zzbh=FPLY330122202611270001"
    );
}

#[test]
fn rare_characters_round_trip_in_gbk() {
    // 镕 喆 堃 珺 are in GBK: they travel as their two GBK bytes, never as references.
    let names = "钟镕、王喆、蒋堃、陈珺";
    let body = record("ly.1").replace("钟镕", names);
    let answer = ok(&format!("fhdm=0\nfhxx=成功\nly.ts=1\n{body}"));
    for ch in ['镕', '喆', '堃', '珺'] {
        let bytes = gbk::encode(&ch.to_string()).unwrap();
        assert_eq!(bytes.len(), 2);
        assert!(answer.body.windows(2).any(|w| w == bytes), "{ch}");
    }
    let licenses = parse_holder_licenses(&answer).unwrap();
    assert_eq!(face(&licenses[0])[6], ("agent", names));

    let mut case = submission();
    case.form[0].value = names.into();
    let sent = fields(&submission_request(&case).unwrap());
    assert_eq!(value(&sent, "bd.1.z"), names);
    let raw = String::from_utf8(submission_request(&case).unwrap()).unwrap();
    // 镕 is 0xE9 0x46 in GBK; 0x46 is 'F', which needs no percent-encoding.
    assert!(raw.contains("%E9F"), "{raw}");

    // A character outside GBK comes back from the system as a reference.
    let answer = ok("fhdm=0\nfhxx=张&#134071;，AT&T &#x41;\nywlsh=SW1\n");
    assert!(matches!(parse_submission(&answer), Ok(r) if r == "SW1"));
    let reply = crate::kv::Reply::read("BJSB", &answer).unwrap();
    assert_eq!(reply.message(), "张𠮷，AT&T &#x41;");
}

fn submission() -> CaseSubmission {
    let business_license = License {
        type_code: "YYZZ".into(),
        type_name: "营业执照".into(),
        number: "91330122MA2H3G0K12".into(),
        holder: Party::Organization(Organization {
            credit_code: "91330122MA2H3G0K12".into(),
            name: "杭州富春山水民宿管理有限公司".into(),
        }),
        issuer: "县市场监督管理局".into(),
        issued_on: "2019-06-17".into(),
        valid_until: None,
        status: LicenseStatus::Valid,
        face: vec![
            Field {
                key: "name".into(),
                value: "杭州富春山水民宿管理有限公司".into(),
            },
            Field {
                key: "legal-representative".into(),
                value: "徐晓明".into(),
            },
        ],
    };
    let id_card = License {
        type_code: "SFZ".into(),
        type_name: "居民身份证".into(),
        number: "330122199001011234".into(),
        holder: Party::Person(Person {
            id_number: "330122199001011234".into(),
            name: "张𠮷".into(),
        }),
        issuer: "桐庐县公安局".into(),
        issued_on: "2020-01-01".into(),
        valid_until: Some("2040-01-01".into()),
        status: LicenseStatus::Valid,
        face: Vec::new(),
    };
    CaseSubmission {
        case_no: "20261127-000123".into(),
        matter_code: "330122-SW-FP-001".into(),
        applicant: Party::Organization(Organization {
            credit_code: "91330122MA2H3G0K12".into(),
            name: "杭州富春山水民宿管理有限公司".into(),
        }),
        accepted_at: "2026-11-27T06:03:05Z".into(),
        form: vec![
            Field {
                key: "经办人".into(),
                value: "张𠮷".into(),
            },
            Field {
                key: "备注".into(),
                value: "A&B=C+D 100%\n第二行".into(),
            },
        ],
        attachments: vec![Attachment {
            material_code: "003".into(),
            file_name: "票种核定表.pdf".into(),
            media_type: "application/pdf".into(),
            content: b"%PDF-1.4".to_vec(),
        }],
        licenses: vec![
            LicenseRef {
                material_code: "001".into(),
                license: business_license,
            },
            LicenseRef {
                material_code: "002".into(),
                license: id_card,
            },
        ],
    }
}

#[test]
fn writes_the_submission_as_a_gbk_form() {
    let body = submission_request(&submission()).unwrap();
    let sent = fields(&body);
    let expected = [
        ("jylx", "BJSB"),
        ("qdbs", "YWTB"),
        ("ptbjbh", "20261127-000123"),
        ("sxbm", "330122-SW-FP-001"),
        ("sqrlx", "2"),
        ("sqrzjhm", "91330122MA2H3G0K12"),
        ("sqrmc", "杭州富春山水民宿管理有限公司"),
        // 06:03:05Z is 14:03:05 in Beijing.
        ("slsj", "2026-11-27 14:03:05"),
        ("bd.ts", "2"),
        ("bd.1.mc", "经办人"),
        // 𠮷 is not in GBK and travels as a character reference.
        ("bd.1.z", "张&#134071;"),
        ("bd.2.mc", "备注"),
        ("bd.2.z", "A&B=C+D 100%\n第二行"),
        ("fj.ts", "1"),
        ("fj.1.clbm", "003"),
        ("fj.1.wjm", "票种核定表.pdf"),
        ("fj.1.lx", "application/pdf"),
        ("fj.1.nr", "JVBERi0xLjQ="),
        ("zz.ts", "2"),
        ("zz.1.clbm", "001"),
        ("zz.1.zzlxdm", "YYZZ"),
        ("zz.1.zzlxmc", "营业执照"),
        ("zz.1.zzbh", "91330122MA2H3G0K12"),
        ("zz.1.nsrsbh", "91330122MA2H3G0K12"),
        ("zz.1.nsrmc", "杭州富春山水民宿管理有限公司"),
        ("zz.1.fddbr", "徐晓明"),
        ("zz.1.fzjg", "县市场监督管理局"),
        ("zz.1.fzrq", "2019-06-17"),
        ("zz.1.yxqz", "长期"),
        ("zz.1.zt", "1"),
        ("zz.2.clbm", "002"),
        ("zz.2.zzlxdm", "SFZ"),
        ("zz.2.zzlxmc", "居民身份证"),
        ("zz.2.zzbh", "330122199001011234"),
        ("zz.2.nsrsbh", "330122199001011234"),
        ("zz.2.nsrmc", "张&#134071;"),
        ("zz.2.fzjg", "桐庐县公安局"),
        ("zz.2.fzrq", "2020-01-01"),
        ("zz.2.yxqz", "2040-01-01"),
        ("zz.2.zt", "1"),
    ];
    let sent: Vec<(&str, &str)> = sent.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(sent, expected);
    let raw = String::from_utf8(body).unwrap();
    assert!(raw.contains("&bd.2.z=A%26B%3DC%2BD+100%25%0A"), "{raw}");

    let answer = ok("fhdm=0\nfhxx=申报成功\nywlsh=SW330122202611270001\n");
    assert_eq!(parse_submission(&answer).unwrap(), "SW330122202611270001");
}

#[test]
fn a_submission_with_a_bad_time_is_invalid() {
    let mut bad = submission();
    bad.accepted_at = "2026-11-27 14:03:05".into();
    assert!(matches!(submission_request(&bad),
        Err(AdapterError::Invalid(m)) if m.contains("accepted-at \"2026-11-27 14:03:05\"")));
}

#[test]
fn cursors_are_sequence_numbers() {
    assert_eq!(events_cursor(None).unwrap(), 0);
    assert_eq!(events_cursor(Some("17")).unwrap(), 17);
    assert_eq!(
        String::from_utf8(events_request(17)).unwrap(),
        "jylx=BJZT&qdbs=YWTB&yb=17&mys=100"
    );
    assert_eq!(
        String::from_utf8(catalogue_request(0)).unwrap(),
        "jylx=SXQD&qdbs=YWTB&yb=0&mys=20"
    );
    for cursor in ["", "-1", "+5", " 5", "abc", "99999999999999999999"] {
        assert!(
            matches!(events_cursor(Some(cursor)), Err(AdapterError::Invalid(m)) if m.contains("BJZT sequence numbers")),
            "{cursor:?}"
        );
    }
}

#[test]
fn the_department_does_not_push() {
    let AdapterError::Invalid(message) = notification_refused("text/plain") else {
        panic!("expected invalid");
    };
    assert_contains(&message, &["does not push", "polling"]);
}
