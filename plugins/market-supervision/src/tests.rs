//! The translation against GBK answers shaped like the 登记注册 system's, good days and bad.

use onewindow_sdk::codes::gbk;
use onewindow_sdk::testing::{CaseEvents, assert_contains, face, unavailable};
use onewindow_sdk::types::{
    AdapterError, Attachment, CaseStatus, CaseSubmission, Event, Field, FieldKind, License,
    LicenseRef, LicenseStatus, MatterKind, Organization, Party, PartyField, Person,
};

use crate::Answer;
use crate::legacy::{
    events_request, parse_catalogue, parse_events, parse_holder_licenses, parse_notification,
    parse_submission, parse_supplement, parse_verification, parse_withdrawal, sample_notification,
    submission_request, supplement_request, withdrawal_request,
};

const GBK_XML: &str = "text/xml; charset=GBK";

const CATALOGUE: &str = r#"<CXSXQDResponse xmlns="http://djzc.scjgj.gov.cn/ws">
  <FHDM>0000</FHDM>
  <FHXX>成功</FHXX>
  <SXLB>
    <SX>
      <SXBM>330122-SCJG-XK-001</SXBM>
      <SXMC>企业设立登记</SXMC>
      <SSBM>县市场监督管理局</SSBM>
      <SXLX>01</SXLX>
      <FDBJSX>15</FDBJSX>
      <CNBJSX>3</CNBJSX>
      <DXCCS>0</DXCCS>
      <SFWB>1</SFWB>
      <SFBZ>不收费</SFBZ>
      <SLTJ>拟设立企业的全体股东 &amp; 发起人，或其委托的代理人</SLTJ>
      <CLQD>
        <CL><CLBM>001</CLBM><CLMC>法定代表人身份证明</CLMC><SFBX>1</SFBX><ZZLX>居民身份证</ZZLX></CL>
        <CL><CLBM>002</CLBM><CLMC>公司章程</CLMC><SFBX>1</SFBX></CL>
        <CL><CLBM>003</CLBM><CLMC>住所使用证明</CLMC><SFBX>0</SFBX><ZZLX/></CL>
      </CLQD>
      <BDQD>
        <ZD><ZDMC>企业名称</ZDMC><ZDBQ>企业名称</ZDBQ><ZDLX>WB</ZDLX><SFBT>1</SFBT></ZD>
        <ZD><ZDMC>企业类型</ZDMC><ZDBQ>企业类型</ZDBQ><ZDLX>XZ</ZDLX><KXZ>有限责任公司（自然人独资）| 股份有限公司（非上市）|</KXZ><SFBT>0</SFBT></ZD>
        <ZD><ZDMC>法定代表人</ZDMC><ZDBQ>法定代表人</ZDBQ><ZDLX>WB</ZDLX><SFBT>1</SFBT><SJLY>FDDBR</SJLY></ZD>
        <ZD><ZDMC>注册资本</ZDMC><ZDBQ>注册资本（万元）</ZDBQ><ZDLX>SZ</ZDLX><SFBT>1</SFBT></ZD>
        <ZD><ZDMC>住所</ZDMC><ZDBQ>住所</ZDBQ><ZDLX>DZ</ZDLX><SFBT>1</SFBT><SJLY>ZS</SJLY></ZD>
        <ZD><ZDMC>成立日期</ZDMC><ZDBQ>拟成立日期</ZDBQ><ZDLX>RQ</ZDLX><SFBT>0</SFBT><SJLY/></ZD>
        <ZD><ZDMC>股东证件号码</ZDMC><ZDBQ>股东公民身份号码</ZDBQ><ZDLX>SFZ</ZDLX><SFBT>0</SFBT><SJLY>ZJHM</SJLY></ZD>
        <ZD><ZDMC>股东信用代码</ZDMC><ZDBQ>法人股东统一社会信用代码</ZDBQ><ZDLX>XYDM</ZDLX><SFBT>0</SFBT><SJLY>XYDM</SJLY></ZD>
        <ZD><ZDMC>联系电话</ZDMC><ZDBQ>联系电话</ZDBQ><ZDLX>WB</ZDLX><SFBT>0</SFBT><SJLY>LXDH</SJLY></ZD>
        <ZD><ZDMC>联络员</ZDMC><ZDBQ>联络员</ZDBQ><ZDLX>WB</ZDLX><SFBT>0</SFBT><SJLY>MC</SJLY></ZD>
      </BDQD>
    </SX>
    <SX>
      <SXBM>330122-SCJG-XK-004</SXBM>
      <SXMC>食品经营许可</SXMC>
      <SSBM>县市场监督管理局</SSBM>
      <SXLX>01</SXLX>
      <FDBJSX>20</FDBJSX>
      <CNBJSX>10</CNBJSX>
      <DXCCS>1</DXCCS>
      <SFWB>0</SFWB>
      <SFBZ>不收费</SFBZ>
      <SLTJ>已取得营业执照的食品经营者</SLTJ>
      <CLQD>
        <CL><CLBM>001</CLBM><CLMC>营业执照</CLMC><SFBX>1</SFBX><ZZLX>营业执照</ZZLX></CL>
      </CLQD>
    </SX>
    <SX>
      <SXBM>330122-SCJG-GF-001</SXBM>
      <SXMC>计量器具检定咨询</SXMC>
      <SSBM>县市场监督管理局</SSBM>
      <SXLX>10</SXLX>
      <FDBJSX>5</FDBJSX>
      <CNBJSX>5</CNBJSX>
      <DXCCS>0</DXCCS>
      <SFWB>1</SFWB>
      <SFBZ>不收费</SFBZ>
      <SLTJ>任何单位和个人</SLTJ>
      <CLQD/>
    </SX>
  </SXLB>
</CXSXQDResponse>"#;

const LICENSE: &str = r#"<ZZ>
        <ZZLXDM>YYZZ</ZZLXDM>
        <ZZLXMC>营业执照</ZZLXMC>
        <ZZBH>91330122MA2H1234X5</ZZBH>
        <TYSHXYDM>91330122MA2H1234X5</TYSHXYDM>
        <QYMC>杭州某某科技有限公司</QYMC>
        <FZJG>县市场监督管理局</FZJG>
        <FZRQ>2018年11月25日</FZRQ>
        <YXQZ>长期</YXQZ>
        <ZZZT>1</ZZZT>
        <QYLX>有限责任公司（自然人投资或控股）</QYLX>
        <FDDBR>张三</FDDBR>
        <ZCZB>100万元人民币</ZCZB>
        <CLRQ>2018年1月5日</CLRQ>
        <ZS>浙江省杭州市某某县某某街道某某路1号</ZS>
        <JYFW>技术服务、技术开发；软件开发</JYFW>
      </ZZ>"#;

fn status_page() -> String {
    format!(
        r#"<CXBJZTResponse xmlns="http://djzc.scjgj.gov.cn/ws">
  <FHDM>0000</FHDM><FHXX>成功</FHXX>
  <ZTLB>
    <ZT>
      <XH>16</XH><PTBJBH>20261127-000123</PTBJBH><YWLSH>SCJG202611270001</YWLSH>
      <ZTDM>02</ZTDM><BLSJ>2026年11月27日 14时05分00秒</BLSJ><BLYJ>材料齐全，进入审查</BLYJ>
    </ZT>
    <ZT>
      <XH>17</XH><PTBJBH>20261127-000123</PTBJBH><YWLSH>SCJG202611270001</YWLSH>
      <ZTDM>06</ZTDM><BLSJ>2026年11月27日 9时07分30秒</BLSJ>
      {LICENSE}
    </ZT>
  </ZTLB>
  <ZDXH>17</ZDXH>
  <SFYHY>1</SFYHY>
</CXBJZTResponse>"#
    )
}

fn licenses_answer(op: &str, licenses: &str) -> String {
    format!(
        "<{op}Response><FHDM>0000</FHDM><FHXX>成功</FHXX><ZZLB>{licenses}</ZZLB></{op}Response>"
    )
}

/// `inner` in the service's SOAP envelope, encoded in GBK.
fn envelope(inner: &str) -> Vec<u8> {
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"GBK\"?>\n<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">\n  <soap:Body>\n{inner}\n  </soap:Body>\n</soap:Envelope>\n"
    );
    gbk::encode(&xml).unwrap()
}

fn ok(body: &[u8]) -> Answer<'_> {
    Answer {
        status: 200,
        content_type: GBK_XML,
        body,
    }
}

#[test]
fn reads_the_catalogue() {
    let body = envelope(CATALOGUE);
    let matters = parse_catalogue(&ok(&body)).unwrap();
    assert_eq!(matters.len(), 3);

    let setup = &matters[0];
    assert_eq!(setup.code, "330122-SCJG-XK-001");
    assert_eq!(setup.name, "企业设立登记");
    assert_eq!(setup.department, "县市场监督管理局");
    assert_eq!(setup.kind, MatterKind::AdministrativeLicense);
    assert_eq!(
        (setup.legal_days, setup.promised_days, setup.visits),
        (15, 3, 0)
    );
    assert!(setup.online);
    assert_eq!(setup.fee, "不收费");
    assert_eq!(
        setup.conditions,
        "拟设立企业的全体股东 & 发起人，或其委托的代理人"
    );
    let materials: Vec<_> = setup
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
            ("001", "法定代表人身份证明", true, Some("居民身份证")),
            ("002", "公司章程", true, None),
            ("003", "住所使用证明", false, None),
        ]
    );

    let form: Vec<_> = setup
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
    let choice = "choice 有限责任公司（自然人独资）|股份有限公司（非上市）".to_owned();
    assert_eq!(
        form,
        [
            ("企业名称", "企业名称", "text".into(), true, None),
            ("企业类型", "企业类型", choice, false, None),
            (
                "法定代表人",
                "法定代表人",
                "text".into(),
                true,
                Some(PartyField::LegalRepresentative)
            ),
            ("注册资本", "注册资本（万元）", "number".into(), true, None),
            (
                "住所",
                "住所",
                "address".into(),
                true,
                Some(PartyField::Address)
            ),
            ("成立日期", "拟成立日期", "date".into(), false, None),
            (
                "股东证件号码",
                "股东公民身份号码",
                "id-number".into(),
                false,
                Some(PartyField::IdNumber)
            ),
            (
                "股东信用代码",
                "法人股东统一社会信用代码",
                "credit-code".into(),
                false,
                Some(PartyField::CreditCode)
            ),
            (
                "联系电话",
                "联系电话",
                "text".into(),
                false,
                Some(PartyField::Phone)
            ),
            (
                "联络员",
                "联络员",
                "text".into(),
                false,
                Some(PartyField::Name)
            ),
        ]
    );

    let food = &matters[1];
    assert!(food.form.is_empty(), "a matter without BDQD has no form");
    assert_eq!((food.visits, food.online), (1, false));
    assert_eq!(food.materials.len(), 1);
    assert_eq!(food.materials[0].license_type.as_deref(), Some("营业执照"));
    assert_eq!(matters[2].kind, MatterKind::PublicService);
    assert!(matters[2].materials.is_empty());
}

#[test]
fn reads_a_status_page_with_a_license() {
    let body = envelope(&status_page());
    let page = parse_events(&ok(&body)).unwrap();
    assert_eq!(page.next_cursor.as_deref(), Some("17"));
    assert!(page.more);
    assert_eq!(page.events.len(), 2);

    let review = page.cases()[0];
    assert_eq!(review.case_no, "20261127-000123");
    assert_eq!(review.status, CaseStatus::InReview);
    assert_eq!(review.at, "2026-11-27T14:05:00+08:00");
    assert_eq!(review.note, "材料齐全，进入审查");
    assert!(review.issued.is_none());

    let done = page.cases()[1];
    assert_eq!(done.status, CaseStatus::Completed);
    assert_eq!(done.at, "2026-11-27T09:07:30+08:00");
    assert_eq!(done.note, "", "BLYJ is absent");
    let license = done.issued.as_ref().unwrap();
    assert_eq!(license.type_code, "YYZZ");
    assert_eq!(license.type_name, "营业执照");
    assert_eq!(license.number, "91330122MA2H1234X5");
    assert!(matches!(&license.holder, Party::Organization(o)
        if o.credit_code == "91330122MA2H1234X5" && o.name == "杭州某某科技有限公司"));
    assert_eq!(license.issuer, "县市场监督管理局");
    assert_eq!(license.issued_on, "2018-11-25");
    assert_eq!(license.valid_until, None);
    assert_eq!(license.status, LicenseStatus::Valid);
    assert_eq!(
        face(license),
        [
            ("name", "杭州某某科技有限公司"),
            ("credit-code", "91330122MA2H1234X5"),
            ("type", "有限责任公司（自然人投资或控股）"),
            ("legal-representative", "张三"),
            ("registered-capital", "100万元人民币"),
            ("established-on", "2018-01-05"),
            ("address", "浙江省杭州市某某县某某街道某某路1号"),
            ("business-scope", "技术服务、技术开发；软件开发"),
        ]
    );
}

#[test]
fn an_empty_status_page_keeps_the_cursor() {
    let body = envelope(
        "<CXBJZTResponse><FHDM>0000</FHDM><FHXX>成功</FHXX><ZTLB/><ZDXH>17</ZDXH><SFYHY>0</SFYHY></CXBJZTResponse>",
    );
    let page = parse_events(&ok(&body)).unwrap();
    assert!(page.events.is_empty());
    assert_eq!(page.next_cursor.as_deref(), Some("17"));
    assert!(!page.more);
}

#[test]
fn reads_the_sample_notification() {
    let body = sample_notification(50);
    assert!(body.starts_with(b"<?xml version=\"1.0\" encoding=\"GBK\"?>"));
    let events = parse_notification(&body, GBK_XML).unwrap();
    assert_eq!(events.len(), 50);
    let events: Vec<_> = events.iter().filter_map(Event::as_case).collect();
    assert_eq!(events.len(), 50, "the sample holds case changes only");
    assert_eq!(events[0].case_no, "20261127-000001");
    assert_eq!(events[0].at, "2026-11-27T15:00:00+08:00");
    assert_eq!(events[49].at, "2026-11-27T15:00:49+08:00");
    for status in [
        CaseStatus::InReview,
        CaseStatus::SupplementRequested,
        CaseStatus::Approved,
        CaseStatus::Denied,
        CaseStatus::Completed,
    ] {
        assert!(events.iter().any(|e| e.status == status), "{status:?}");
    }
    let issued: Vec<_> = events.iter().filter_map(|e| e.issued.as_ref()).collect();
    assert_eq!(issued.len(), 5, "one in every eleven changes");
    for license in issued {
        assert_eq!(license.type_name, "营业执照");
        onewindow_sdk::codes::credit_code::validate(&license.number).unwrap();
        assert_eq!(face(license).len(), 8);
    }
    assert!(
        events
            .iter()
            .filter(|e| e.issued.is_some())
            .all(|e| e.status == CaseStatus::Completed)
    );
}

#[test]
fn notifications_take_the_charset_from_either_place() {
    let body = sample_notification(3);
    // No charset parameter: the XML declaration says GBK.
    assert_eq!(parse_notification(&body, "text/xml").unwrap().len(), 3);
    // UTF-8 throughout is as good.
    let text = gbk::decode(&body)
        .unwrap()
        .replace("encoding=\"GBK\"", "encoding=\"UTF-8\"");
    let events = parse_notification(text.as_bytes(), "text/xml; charset=utf-8").unwrap();
    assert_eq!(
        events[2].as_case().unwrap().issued.as_ref().unwrap().face[0].value,
        "桐庐县第1号数字科技有限公司"
    );
}

#[test]
fn a_truncated_answer_is_unavailable() {
    let body = envelope(CATALOGUE);
    let half = body.len() / 2;
    // Cut before a tag: the text decodes, the XML ends early.
    let at = body[..half].iter().rposition(|&b| b == b'<').unwrap();
    let message = unavailable(parse_catalogue(&ok(&body[..at])));
    assert_contains(
        &message,
        &[
            "the answer to CXSXQD is truncated or malformed XML",
            "unclosed inside ",
            "SX #",
        ],
    );
    // Cut inside a tag: quick-xml's own complaint is passed on.
    let message = unavailable(parse_catalogue(&ok(&body[..at + 3])));
    assert_contains(
        &message,
        &["the answer to CXSXQD is truncated or malformed XML: "],
    );
    // Cut inside a two-byte GBK character.
    let name = gbk::encode("食品经营许可").unwrap();
    let lead = body.windows(name.len()).position(|w| w == name).unwrap();
    let message = unavailable(parse_catalogue(&ok(&body[..=lead])));
    assert_contains(
        &message,
        &[
            "the answer to CXSXQD is truncated",
            "GBK",
            "cut off",
            &format!("offset {lead}"),
        ],
    );
}

#[test]
fn gbk_bytes_declared_as_utf8_are_unavailable() {
    let text = envelope(CATALOGUE);
    let body = [
        b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>".as_slice(),
        &text[text.iter().position(|&b| b == b'\n').unwrap()..],
    ]
    .concat();
    let first_gbk = body.iter().position(|&b| b >= 0x80).unwrap();
    let answer = Answer {
        status: 200,
        content_type: "text/xml; charset=UTF-8",
        body: &body,
    };
    let message = unavailable(parse_catalogue(&answer));
    assert_contains(
        &message,
        &[
            "CXSXQD",
            "declared charset UTF-8",
            &format!("offset {first_gbk}"),
        ],
    );
}

#[test]
fn charsets_that_contradict_each_other_are_unavailable() {
    let body = envelope(CATALOGUE);
    let answer = Answer {
        status: 200,
        content_type: "text/xml; charset=UTF-8",
        body: &body,
    };
    let message = unavailable(parse_catalogue(&answer));
    assert_contains(&message, &["charset=UTF-8", "encoding=\"GBK\""]);
    // Two labels of one encoding agree.
    let answer = Answer {
        content_type: "text/xml; charset=gb2312",
        ..answer
    };
    assert_eq!(parse_catalogue(&answer).unwrap().len(), 3);
}

#[test]
fn http_errors_are_unavailable() {
    let answer = Answer {
        status: 503,
        content_type: "text/html",
        body: b"<html><body>Service Unavailable</body></html>",
    };
    let message = unavailable(parse_catalogue(&answer));
    assert_contains(&message, &["answered HTTP 503 to CXSXQD"]);
}

#[test]
fn an_answer_that_is_not_the_expected_one_is_unavailable() {
    let body = envelope("<BJSBResponse><FHDM>0000</FHDM></BJSBResponse>");
    let message = unavailable(parse_catalogue(&ok(&body)));
    assert_contains(&message, &["holds no <CXSXQDResponse>"]);
}

#[test]
fn missing_elements_are_named_with_their_record() {
    let body = envelope(&CATALOGUE.replace("<SXMC>企业设立登记</SXMC>", ""));
    let message = unavailable(parse_catalogue(&ok(&body)));
    assert_eq!(
        message,
        "the answer to CXSXQD: SX #1 (SXBM=330122-SCJG-XK-001) has no <SXMC> (事项名称)"
    );

    let body = envelope(&CATALOGUE.replace("<CLMC>公司章程</CLMC>", "<CLMC> </CLMC>"));
    let message = unavailable(parse_catalogue(&ok(&body)));
    assert_eq!(
        message,
        "the answer to CXSXQD: CL #2 (CLBM=002) of SX #1 (SXBM=330122-SCJG-XK-001) has an empty <CLMC> (材料名称)"
    );

    let body = envelope("<BJSBResponse><FHDM>0000</FHDM><FHXX>申报成功</FHXX></BJSBResponse>");
    let message = unavailable(parse_submission(&ok(&body)));
    assert_eq!(message, "the answer to BJSB has no <YWLSH> (业务流水号)");

    // What the mock's missing-element fault does to a status page.
    let body = envelope(&status_page().replacen("<YWLSH>SCJG202611270001</YWLSH>", "", 1));
    let message = unavailable(parse_events(&ok(&body)));
    assert_eq!(
        message,
        "the answer to CXBJZT: ZT #1 (PTBJBH=20261127-000123) has no <YWLSH> (业务流水号)"
    );

    let body = envelope(&status_page().replacen("<ZTDM>02</ZTDM>", "", 1));
    let message = unavailable(parse_events(&ok(&body)));
    assert_eq!(
        message,
        "the answer to CXBJZT: ZT #1 (PTBJBH=20261127-000123) has no <ZTDM> (状态代码)"
    );

    let body = envelope(&status_page().replace("<ZZBH>91330122MA2H1234X5</ZZBH>", ""));
    let message = unavailable(parse_events(&ok(&body)));
    assert_eq!(
        message,
        "the answer to CXBJZT: ZZ #1 of ZT #2 (PTBJBH=20261127-000123) has no <ZZBH> (证照编号)"
    );
}

#[test]
fn unknown_codes_are_unavailable() {
    let body = envelope(&CATALOGUE.replacen("<SXLX>01</SXLX>", "<SXLX>07</SXLX>", 1));
    let message = unavailable(parse_catalogue(&ok(&body)));
    assert_eq!(
        message,
        "the answer to CXSXQD: SX #1 (SXBM=330122-SCJG-XK-001) has <SXLX>07</SXLX> (事项类型); expected one of 01, 02, 03, 04, 05, 09, 10"
    );

    let body = envelope(&status_page().replacen("<ZTDM>02</ZTDM>", "<ZTDM>01</ZTDM>", 1));
    let message = unavailable(parse_events(&ok(&body)));
    assert_contains(
        &message,
        &[
            "ZT #1",
            "<ZTDM>01</ZTDM> (状态代码)",
            "one of 02, 03, 04, 05, 06, 07",
        ],
    );

    let body = envelope(&CATALOGUE.replacen("<SFWB>1</SFWB>", "<SFWB>Y</SFWB>", 1));
    let message = unavailable(parse_catalogue(&ok(&body)));
    assert_contains(
        &message,
        &["<SFWB>Y</SFWB> (是否网办); expected 1 (yes) or 0 (no)"],
    );

    let body = envelope(&CATALOGUE.replacen("<DXCCS>0</DXCCS>", "<DXCCS>-1</DXCCS>", 1));
    let message = unavailable(parse_catalogue(&ok(&body)));
    assert_contains(
        &message,
        &["<DXCCS>-1</DXCCS> (到现场次数); expected a whole number"],
    );

    let body = envelope(&status_page().replace("<ZZZT>1</ZZZT>", "<ZZZT>9</ZZZT>"));
    let message = unavailable(parse_events(&ok(&body)));
    assert_contains(
        &message,
        &["<ZZZT>9</ZZZT> (证照状态); expected one of 1, 2, 3, 4"],
    );
}

#[test]
fn a_promise_beyond_the_legal_limit_is_unavailable() {
    let body = envelope(&CATALOGUE.replace("<CNBJSX>10</CNBJSX>", "<CNBJSX>25</CNBJSX>"));
    let message = unavailable(parse_catalogue(&ok(&body)));
    assert_eq!(
        message,
        "the answer to CXSXQD: SX #2 (SXBM=330122-SCJG-XK-004) promises 25 working days (CNBJSX) but the legal limit is 20 (FDBJSX); a promised time limit can never exceed the legal one"
    );
}

#[test]
fn return_codes_map_to_the_contract() {
    let failing = |code: &str, message: &str| {
        envelope(&format!(
            "<BJSBResponse><FHDM>{code}</FHDM><FHXX>{message}</FHXX></BJSBResponse>"
        ))
    };
    let body = failing("2001", "事项编码330122-SCJG-XX-999不存在");
    assert!(matches!(parse_submission(&ok(&body)),
        Err(AdapterError::NotFound(m)) if m == "事项编码330122-SCJG-XX-999不存在"));
    let body = failing("3001", "该企业营业执照已被吊销，不能申请补领");
    assert!(matches!(parse_submission(&ok(&body)),
        Err(AdapterError::Refused(m)) if m == "该企业营业执照已被吊销，不能申请补领"));
    let body = failing("1001", "缺少PTBJBH（平台办件编号）");
    assert!(matches!(parse_submission(&ok(&body)),
        Err(AdapterError::Invalid(m)) if m.contains("BJSB") && m.contains("缺少PTBJBH（平台办件编号）")));
    for code in ["9999", "0001"] {
        let body = failing(code, "系统内部错误");
        let message = unavailable(parse_submission(&ok(&body)));
        assert_contains(&message, &["BJSB", &format!("FHDM {code}"), "系统内部错误"]);
    }
    let body = envelope("<CXZZResponse><FHXX>成功</FHXX><ZZLB/></CXZZResponse>");
    let message = unavailable(parse_holder_licenses(&ok(&body)));
    assert_eq!(message, "the answer to CXZZ has no <FHDM> (返回代码)");
}

#[test]
fn reads_licenses_and_verifications() {
    let revoked = LICENSE
        .replace("<ZZZT>1</ZZZT>", "<ZZZT>2</ZZZT>")
        .replace("<YXQZ>长期</YXQZ>", "<YXQZ>2038年11月24日</YXQZ>")
        .replace("<ZCZB>100万元人民币</ZCZB>", "")
        .replace("<JYFW>技术服务、技术开发；软件开发</JYFW>", "<JYFW/>");
    let body = envelope(&licenses_answer("CXZZ", &format!("{LICENSE}{revoked}")));
    let licenses = parse_holder_licenses(&ok(&body)).unwrap();
    assert_eq!(licenses.len(), 2);
    assert_eq!(licenses[1].status, LicenseStatus::Revoked);
    assert_eq!(licenses[1].valid_until.as_deref(), Some("2038-11-24"));
    let keys: Vec<_> = face(&licenses[1]).into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        [
            "name",
            "credit-code",
            "type",
            "legal-representative",
            "established-on",
            "address"
        ]
    );

    let body = envelope(&licenses_answer("YZZZ", LICENSE));
    let found = parse_verification(&ok(&body)).unwrap().unwrap();
    assert_eq!(found.number, "91330122MA2H1234X5");
    let body = envelope(&licenses_answer("YZZZ", ""));
    assert!(parse_verification(&ok(&body)).unwrap().is_none());

    let body = envelope(&licenses_answer(
        "CXZZ",
        &LICENSE.replace("2018年11月25日", "2018年13月25日"),
    ));
    let message = unavailable(parse_holder_licenses(&ok(&body)));
    assert_contains(
        &message,
        &["ZZ #1 (ZZBH=91330122MA2H1234X5) has <FZRQ>2018年13月25日</FZRQ> (发证日期)"],
    );
}

fn submission() -> CaseSubmission {
    let license = License {
        type_code: "SFZ".into(),
        type_name: "居民身份证".into(),
        number: "330106199001011234".into(),
        holder: Party::Person(Person {
            id_number: "330106199001011234".into(),
            name: "张𠮷".into(),
        }),
        issuer: "杭州市公安局西湖分局".into(),
        issued_on: "2020-01-01".into(),
        valid_until: Some("2040-01-01".into()),
        status: LicenseStatus::Valid,
        face: Vec::new(),
    };
    CaseSubmission {
        case_no: "20261127-000123".into(),
        matter_code: "330122-SCJG-XK-001".into(),
        applicant: Party::Organization(Organization {
            credit_code: "91330122MA2H1234X5".into(),
            name: "杭州\"某某\"科技有限公司".into(),
        }),
        accepted_at: "2026-11-27T06:03:05Z".into(),
        form: vec![
            Field {
                key: "法定代表人".into(),
                value: "张𠮷".into(),
            },
            Field {
                key: "经营范围".into(),
                value: "软件开发 & <咨询>\n第二行".into(),
            },
        ],
        attachments: vec![Attachment {
            material_code: "002".into(),
            file_name: "章程.pdf".into(),
            media_type: "application/pdf".into(),
            content: b"%PDF-1.4".to_vec(),
        }],
        licenses: vec![LicenseRef {
            material_code: "001".into(),
            license,
        }],
    }
}

#[test]
fn writes_the_submission_in_gbk() {
    let bytes = submission_request(&submission()).unwrap();
    let text = gbk::decode(&bytes).unwrap();
    assert_contains(
        &text,
        &[
            "<?xml version=\"1.0\" encoding=\"GBK\"?>",
            "<BJSB xmlns=\"http://djzc.scjgj.gov.cn/ws\"><PTBJBH>20261127-000123</PTBJBH><SXBM>330122-SCJG-XK-001</SXBM>",
            "<SQR><SQRLX>2</SQRLX><ZJHM>91330122MA2H1234X5</ZJHM><SQRMC>杭州&quot;某某&quot;科技有限公司</SQRMC></SQR>",
            // 06:03:05Z is 14:03:05 in Beijing.
            "<SLSJ>2026年11月27日 14时03分05秒</SLSJ>",
            // 𠮷 is not in GBK and travels as a character reference.
            "<BDXX><ZD MC=\"法定代表人\">张&#134071;</ZD><ZD MC=\"经营范围\">软件开发 &amp; &lt;咨询&gt;&#10;第二行</ZD></BDXX>",
            "<FJXX><FJ CLBM=\"002\" WJM=\"章程.pdf\" LX=\"application/pdf\">JVBERi0xLjQ=</FJ></FJXX>",
            "<ZZXX><ZZ CLBM=\"001\" ZZLX=\"居民身份证\" ZZBH=\"330106199001011234\" CYZ=\"张&#134071;\"></ZZ></ZZXX>",
            "</BJSB></soap:Body></soap:Envelope>",
        ],
    );

    let body = envelope(
        "<BJSBResponse><FHDM>0000</FHDM><FHXX>申报成功</FHXX><YWLSH>SCJG202611270001</YWLSH></BJSBResponse>",
    );
    assert_eq!(parse_submission(&ok(&body)).unwrap(), "SCJG202611270001");
}

#[test]
fn a_submission_xml_cannot_carry_is_invalid() {
    let mut bad = submission();
    bad.form[1].value = "a\u{7}b".into();
    assert!(matches!(submission_request(&bad),
        Err(AdapterError::Invalid(m)) if m.contains("BJSB") && m.contains("<ZD> holds the control character U+0007")));

    let mut bad = submission();
    bad.accepted_at = "2026-11-27 14:03:05".into();
    assert!(matches!(submission_request(&bad),
        Err(AdapterError::Invalid(m)) if m.contains("accepted-at \"2026-11-27 14:03:05\"")));
}

#[test]
fn cursors_are_sequence_numbers() {
    let text = gbk::decode(&events_request(None).unwrap()).unwrap();
    assert_contains(
        &text,
        &["<CXBJZT xmlns=\"http://djzc.scjgj.gov.cn/ws\"><QSXH>0</QSXH><MYTS>100</MYTS></CXBJZT>"],
    );
    let text = gbk::decode(&events_request(Some("17")).unwrap()).unwrap();
    assert_contains(&text, &["<QSXH>17</QSXH>"]);
    for cursor in ["", "-1", "+5", " 5", "abc", "99999999999999999999"] {
        assert!(
            matches!(events_request(Some(cursor)), Err(AdapterError::Invalid(m)) if m.contains("CXBJZT sequence numbers")),
            "{cursor:?}"
        );
    }
}

#[test]
fn form_fields_the_platform_cannot_use_are_unavailable() {
    let body = envelope(&CATALOGUE.replacen("<ZDLX>SZ</ZDLX>", "<ZDLX>JE</ZDLX>", 1));
    let message = unavailable(parse_catalogue(&ok(&body)));
    assert_eq!(
        message,
        "the answer to CXSXQD: ZD #4 (ZDMC=注册资本) of SX #1 (SXBM=330122-SCJG-XK-001) has <ZDLX>JE</ZDLX> (字段类型); expected one of WB, RQ, SZ, XZ, SFZ, XYDM, DZ"
    );
    let body = envelope(&CATALOGUE.replacen(
        "<KXZ>有限责任公司（自然人独资）| 股份有限公司（非上市）|</KXZ>",
        "<KXZ> | </KXZ>",
        1,
    ));
    let message = unavailable(parse_catalogue(&ok(&body)));
    assert_contains(
        &message,
        &[
            "ZD #2 (ZDMC=企业类型)",
            "<KXZ>|</KXZ> (可选值)",
            "separated by |",
        ],
    );
    let body = envelope(&CATALOGUE.replacen("<SJLY>ZS</SJLY>", "<SJLY>YB</SJLY>", 1));
    let message = unavailable(parse_catalogue(&ok(&body)));
    assert_contains(
        &message,
        &["ZD #5 (ZDMC=住所)", "<SJLY>YB</SJLY> (数据来源)"],
    );
    let body = envelope(&CATALOGUE.replacen("<ZDBQ>企业名称</ZDBQ>", "", 1));
    let message = unavailable(parse_catalogue(&ok(&body)));
    assert_contains(
        &message,
        &["ZD #1 (ZDMC=企业名称)", "has no <ZDBQ> (显示标签)"],
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

fn supplement_files() -> Vec<Attachment> {
    vec![Attachment {
        material_code: "002".into(),
        file_name: "公司章程（全体股东签字）.pdf".into(),
        media_type: "application/pdf".into(),
        content: b"%PDF-1.4".to_vec(),
    }]
}

#[test]
fn writes_the_supplement_in_gbk() {
    let bytes = supplement_request(
        " 20261127-000123 ",
        &supplement_files(),
        "补交签字页 & 说明",
    )
    .unwrap();
    let text = gbk::decode(&bytes).unwrap();
    assert_contains(
        &text,
        &[
            "<?xml version=\"1.0\" encoding=\"GBK\"?>",
            "<BJBZ xmlns=\"http://djzc.scjgj.gov.cn/ws\"><PTBJBH>20261127-000123</PTBJBH><BZSM>补交签字页 &amp; 说明</BZSM>",
            "<FJXX><FJ CLBM=\"002\" WJM=\"公司章程（全体股东签字）.pdf\" LX=\"application/pdf\">JVBERi0xLjQ=</FJ></FJXX></BJBZ>",
        ],
    );
    assert!(matches!(supplement_request(" ", &supplement_files(), ""),
        Err(AdapterError::Invalid(m)) if m.contains("BJBZ")));
}

#[test]
fn writes_the_withdrawal_in_gbk() {
    let bytes = withdrawal_request("20261127-000123", " 申请人决定暂缓设立 ").unwrap();
    let text = gbk::decode(&bytes).unwrap();
    assert_contains(
        &text,
        &[
            "<BJCH xmlns=\"http://djzc.scjgj.gov.cn/ws\"><PTBJBH>20261127-000123</PTBJBH><CHYY>申请人决定暂缓设立</CHYY></BJCH>",
        ],
    );
    assert!(matches!(withdrawal_request("20261127-000123", "  "),
        Err(AdapterError::Invalid(m)) if m.contains("撤回原因")));
}

#[test]
fn supplement_and_withdrawal_answers_map_to_the_contract() {
    let answer = |op: &str, code: &str, message: &str| {
        envelope(&format!(
            "<{op}Response><FHDM>{code}</FHDM><FHXX>{message}</FHXX></{op}Response>"
        ))
    };
    let body = answer("BJBZ", "0000", "补正材料1份已接收，办件继续审查");
    assert!(parse_supplement(&ok(&body)).is_ok());
    let body = answer("BJBZ", "0000", "该补正材料此前已接收，未重复处理");
    assert!(parse_supplement(&ok(&body)).is_ok());
    let body = answer(
        "BJBZ",
        "3001",
        "办件SCJG202611270001当前状态为审查中，未要求补正，不能提交补正材料",
    );
    assert!(matches!(parse_supplement(&ok(&body)),
        Err(AdapterError::Refused(m)) if m.ends_with("未要求补正，不能提交补正材料")));
    let body = answer(
        "BJBZ",
        "2001",
        "平台办件编号20261127-000999对应的办件不存在",
    );
    assert!(matches!(parse_supplement(&ok(&body)),
        Err(AdapterError::NotFound(m)) if m.contains("20261127-000999")));
    let body = answer("BJBZ", "1001", "补正须至少提交一份材料：FJXX中没有FJ");
    assert!(matches!(parse_supplement(&ok(&body)),
        Err(AdapterError::Invalid(m)) if m.contains("BJBZ") && m.contains("至少提交一份材料")));

    let body = answer("BJCH", "0000", "撤回成功，办件终止办理");
    assert!(parse_withdrawal(&ok(&body)).is_ok());
    let body = answer(
        "BJCH",
        "3001",
        "办件SCJG202611270001已于2026年11月27日 14时05分00秒作出准予许可决定，不能撤回申请",
    );
    assert!(matches!(parse_withdrawal(&ok(&body)),
        Err(AdapterError::Refused(m)) if m.contains("不能撤回申请")));
    // The answer of another operation is not an acknowledgement.
    let body = answer("BJBZ", "0000", "成功");
    let message = unavailable(parse_withdrawal(&ok(&body)));
    assert_contains(&message, &["holds no <BJCHResponse>"]);
    let message = unavailable(parse_withdrawal(&Answer {
        status: 503,
        content_type: "text/html",
        body: b"down",
    }));
    assert_contains(&message, &["answered HTTP 503 to BJCH"]);
}

/// A page where a hearing (07) interrupts a case's review and a license is 吊销.
fn page_with_a_hearing_and_a_revocation() -> String {
    let revoked = LICENSE.replace("<ZZZT>1</ZZZT>", "<ZZZT>2</ZZZT>");
    format!(
        r#"<CXBJZTResponse xmlns="http://djzc.scjgj.gov.cn/ws">
  <FHDM>0000</FHDM><FHXX>成功</FHXX>
  <ZTLB>
    <ZT>
      <XH>21</XH><PTBJBH>20261127-000124</PTBJBH><YWLSH>SCJG202611270002</YWLSH>
      <ZTDM>07</ZTDM><BLSJ>2026年11月27日 14时06分00秒</BLSJ>
      <BLYJ>特别程序：听证。拟作出的许可决定涉及申请人与他人之间重大利益关系，依法组织听证</BLYJ>
    </ZT>
    <ZZBG>
      <XH>22</XH><ZZBH>91330122MA2H1234X5</ZZBH><ZZZT>2</ZZZT>
      <BGSJ>2026年11月27日 14时07分00秒</BGSJ><BGYY>因无照经营被依法吊销营业执照</BGYY>
      {revoked}
    </ZZBG>
    <ZT>
      <XH>23</XH><PTBJBH>20261127-000124</PTBJBH><YWLSH>SCJG202611270002</YWLSH>
      <ZTDM>02</ZTDM><BLSJ>2026年11月27日 14时08分00秒</BLSJ><BLYJ>听证程序结束，恢复审查</BLYJ>
    </ZT>
  </ZTLB>
  <ZDXH>23</ZDXH>
  <SFYHY>0</SFYHY>
</CXBJZTResponse>"#
    )
}

#[test]
fn a_special_procedure_and_a_license_change_are_read_in_order() {
    let body = envelope(&page_with_a_hearing_and_a_revocation());
    let page = parse_events(&ok(&body)).unwrap();
    assert_eq!(page.next_cursor.as_deref(), Some("23"));
    assert_eq!(page.events.len(), 3);

    let Event::CaseChanged(hearing) = &page.events[0] else {
        panic!("a case change first: {:?}", page.events[0]);
    };
    assert_eq!(hearing.status, CaseStatus::SpecialProcedure);
    assert!(
        hearing.note.starts_with("特别程序：听证"),
        "{}",
        hearing.note
    );

    let Event::LicenseChanged(change) = &page.events[1] else {
        panic!("then the license change: {:?}", page.events[1]);
    };
    assert_eq!(change.license.number, "91330122MA2H1234X5");
    assert_eq!(change.license.status, LicenseStatus::Revoked);
    assert_eq!(change.license.type_name, "营业执照");
    assert!(
        matches!(&change.license.holder, Party::Organization(o) if o.name == "杭州某某科技有限公司")
    );
    assert_eq!(change.at, "2026-11-27T14:07:00+08:00");
    assert_eq!(change.note, "因无照经营被依法吊销营业执照");

    assert_eq!(page.cases()[1].status, CaseStatus::InReview);
    assert_eq!(page.cases().len(), 2);

    // Pushed, the same records mean the same events.
    let pushed = envelope(
        &page_with_a_hearing_and_a_revocation()
            .replace("CXBJZTResponse", "BJZTTZ")
            .replace("<FHDM>0000</FHDM><FHXX>成功</FHXX>", "")
            .replace("<ZDXH>23</ZDXH>", "")
            .replace("<SFYHY>0</SFYHY>", ""),
    );
    let events = parse_notification(&pushed, GBK_XML).unwrap();
    assert_eq!(events.len(), 3);
    assert!(
        matches!(&events[1], Event::LicenseChanged(c) if c.license.status == LicenseStatus::Revoked)
    );
}

#[test]
fn a_license_change_that_contradicts_its_license_is_unavailable() {
    let page = page_with_a_hearing_and_a_revocation();
    let body = envelope(&page.replacen("<ZZZT>2</ZZZT>", "<ZZZT>4</ZZZT>", 1));
    let message = unavailable(parse_events(&ok(&body)));
    assert_contains(
        &message,
        &[
            "ZZBG #1 (ZZBH=91330122MA2H1234X5)",
            "now <ZZZT>4</ZZZT>",
            "revoked (2 吊销 or 3 注销)",
        ],
    );
    let without = page.replace(&LICENSE.replace("<ZZZT>1</ZZZT>", "<ZZZT>2</ZZZT>"), "");
    let message = unavailable(parse_events(&ok(&envelope(&without))));
    assert_contains(&message, &["ZZBG #1", "holds no <ZZ>"]);
    let body = envelope(&page.replacen("<ZZZT>2</ZZZT>", "<ZZZT>5</ZZZT>", 1));
    let message = unavailable(parse_events(&ok(&body)));
    assert_contains(
        &message,
        &["<ZZZT>5</ZZZT> (证照状态); expected one of 1, 2, 3, 4"],
    );
    let body = envelope(&page.replace("<BGSJ>2026年11月27日 14时07分00秒</BGSJ>", ""));
    let message = unavailable(parse_events(&ok(&body)));
    assert_contains(&message, &["ZZBG #1", "has no <BGSJ> (变更时间)"]);
}
