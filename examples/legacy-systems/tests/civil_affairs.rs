//! Tests of the 县民政局 mock over real HTTP, speaking its GB 18030 XML 报文.

use std::net::SocketAddr;
use std::time::Duration;

use legacy_systems::civil_affairs::{self, Config, Fault, Handle, Stats};
use legacy_systems::common::china_today;
use legacy_systems::common::xml::{self, Element};
use onewindow_codes::chrono::Datelike as _;
use onewindow_codes::{date, gbk, id_number};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE};

const STAGE: Duration = Duration::from_millis(30);
const DEADLINE: Duration = Duration::from_secs(10);
const MARRIAGE: &str = "330122-MZ-QR-001";
const SUBSISTENCE: &str = "330122-MZ-JF-001";
const RECORD: &str = "330122-MZ-GF-001";
const CHEN: &str = "11010519491231002X";
const DECLARATION: &[u8] = b"<?xml version=\"1.0\" encoding=\"GB18030\"?>";
const GB18030: &str = "text/xml; charset=GB18030";

fn local() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

fn with_check(first17: &str) -> String {
    format!("{first17}{}", id_number::check_char(first17).unwrap())
}

async fn start_with(config: Config) -> (Handle, reqwest::Client) {
    let handle = civil_affairs::start(local(), config).await.unwrap();
    // Proxy variables in the environment must not divert requests meant for localhost.
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    (handle, client)
}

async fn start() -> (Handle, reqwest::Client) {
    start_with(Config {
        stage: STAGE,
        ..Config::default()
    })
    .await
}

struct Raw {
    status: StatusCode,
    content_type: String,
    content_length: Option<usize>,
    body: Vec<u8>,
}

/// POSTs `body` to the interface, sent as `content_type`.
async fn post_raw(
    client: &reqwest::Client,
    handle: &Handle,
    body: Vec<u8>,
    content_type: &str,
) -> Raw {
    let response = client
        .post(handle.endpoint())
        .header(CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let header = |name| {
        response
            .headers()
            .get(name)
            .map(|v: &reqwest::header::HeaderValue| v.to_str().unwrap().to_owned())
    };
    let content_type = header(CONTENT_TYPE).unwrap_or_default();
    let content_length = header(CONTENT_LENGTH).map(|v| v.parse().unwrap());
    let body = response.bytes().await.unwrap().to_vec();
    Raw {
        status,
        content_type,
        content_length,
        body,
    }
}

/// A request 报文 (as text) of transaction `jydm` with `bwn` inside `<BWN>`.
fn message(jydm: &str, bwn: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"GB18030\"?>\n<BW>\n  <BWT><JYDM>{jydm}</JYDM><XTBS>onewindow</XTBS></BWT>\n  <BWN>{bwn}</BWN>\n</BW>\n"
    )
}

fn gb18030(text: &str) -> Vec<u8> {
    gbk::encode_declared(text, "GB18030").unwrap()
}

/// Checks the GB 18030 framing and parses the answer's `<BW>`.
fn parse(raw: &Raw) -> Element {
    assert_eq!(raw.status, StatusCode::OK);
    assert_eq!(raw.content_type, GB18030);
    assert!(
        raw.body.starts_with(DECLARATION),
        "{}",
        String::from_utf8_lossy(&raw.body)
    );
    let text = gbk::decode_declared(&raw.body, "GB18030").unwrap();
    let bw = xml::parse(&text).unwrap();
    assert_eq!(bw.name, "BW");
    bw
}

/// Sends transaction `jydm` with `bwn` and returns the answer's `<BW>`.
async fn call(client: &reqwest::Client, handle: &Handle, jydm: &str, bwn: &str) -> Element {
    let raw = post_raw(client, handle, gb18030(&message(jydm, bwn)), GB18030).await;
    let bw = parse(&raw);
    assert_eq!(bwt(&bw).text_of("JYDM"), Some(jydm));
    bw
}

fn bwt(bw: &Element) -> &Element {
    bw.find("BWT").unwrap()
}

fn bwn(bw: &Element) -> &Element {
    bw.find("BWN").unwrap()
}

fn fhxx(bw: &Element) -> &str {
    bwt(bw).text_of("FHXX").unwrap()
}

#[track_caller]
fn assert_code(bw: &Element, code: &str) {
    let mut text = String::new();
    bw.write_to(&mut text, 0);
    assert_eq!(bwt(bw).text_of("FHDM"), Some(code), "{text}");
    if code != "0000" {
        assert!(bwn(bw).children.is_empty(), "{text}");
    }
}

/// Asserts a 1002 answer naming `field`.
#[track_caller]
fn assert_field(bw: &Element, field: &str) {
    assert_code(bw, "1002");
    let expected = format!("字段{field}校验失败：");
    assert!(fhxx(bw).starts_with(&expected), "{}", fhxx(bw));
}

/// The texts of `element`'s children named `name`, each child's `field`.
fn texts<'a>(element: &'a Element, name: &'a str, field: &str) -> Vec<&'a str> {
    element
        .find_all(name)
        .map(|e| e.text_of(field).unwrap_or_default())
        .collect()
}

async fn stats(client: &reqwest::Client, handle: &Handle) -> Stats {
    let url = format!("http://{}/_mock/stats", handle.addr());
    client.get(url).send().await.unwrap().json().await.unwrap()
}

async fn mock_case(
    client: &reqwest::Client,
    handle: &Handle,
    ptbh: &str,
) -> (StatusCode, serde_json::Value) {
    let response = client
        .get(format!("http://{}/_mock/cases/{ptbh}", handle.addr()))
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

async fn put_fault(client: &reqwest::Client, handle: &Handle, json: &str) -> StatusCode {
    client
        .put(format!("http://{}/_mock/fault", handle.addr()))
        .header(CONTENT_TYPE, "application/json")
        .body(json.to_owned())
        .send()
        .await
        .unwrap()
        .status()
}

async fn revoke(client: &reqwest::Client, handle: &Handle, zzbh: &str) -> StatusCode {
    client
        .put(format!(
            "http://{}/_mock/licenses/{zzbh}/revoke",
            handle.addr()
        ))
        .send()
        .await
        .unwrap()
        .status()
}

/// An `<F>` of material `clbm`.
fn file(clbm: &str, wjm: &str, nr: &str) -> String {
    format!("<F><CLBM>{clbm}</CLBM><WJM>{wjm}</WJM><LX>application/pdf</LX><NR>{nr}</NR></F>")
}

/// A `<SQ>` with the applicant's 居民身份证 as 免提交证照 (material 01).
fn sq(ptbh: &str, sxbm: &str, zjhm: &str, xm: &str, form: &[(&str, &str)], files: &str) -> String {
    let bd: String = form
        .iter()
        .map(|(zdm, z)| format!("<X><ZDM>{zdm}</ZDM><Z>{z}</Z></X>"))
        .collect();
    format!(
        "<SQ><PTBH>{ptbh}</PTBH><SXBM>{sxbm}</SXBM>\
         <SQR><ZJLX>SFZ</ZJLX><ZJHM>{zjhm}</ZJHM><XM>{xm}</XM></SQR>\
         <SLSJ>2026年12月07日 14时03分05秒</SLSJ><BD>{bd}</BD><FJ>{files}</FJ>\
         <ZZ><Z><CLBM>01</CLBM><ZZLX>居民身份证</ZZLX><ZZBH>{zjhm}</ZZBH></Z></ZZ></SQ>"
    )
}

fn marriage(ptbh: &str, zjhm: &str, xm: &str, spouse: &str, spouse_id: &str) -> String {
    let files = [
        file("02", "户口簿.pdf", "JVBERi0xLjQ="),
        file("03", "合影.jpg", "/9j/4AAQSkZJRgABAQ=="),
        file("04", "声明书.pdf", "JVBERi0xLjc="),
    ]
    .concat();
    sq(
        ptbh,
        MARRIAGE,
        zjhm,
        xm,
        &[
            ("DFXM", spouse),
            ("DFSFZ", spouse_id),
            ("DJRQ", "2026年12月07日"),
        ],
        &files,
    )
}

fn subsistence(ptbh: &str, zjhm: &str, xm: &str, jtrk: &str, ysr: &str) -> String {
    sq(
        ptbh,
        SUBSISTENCE,
        zjhm,
        xm,
        &[
            ("JTRK", jtrk),
            ("YSR", ysr),
            ("JZDZ", "浙江省杭州市桐庐县城南街道迎春南路8号"),
            ("LXDH", "13957112345"),
            ("SQLY", "家庭成员患病，收入微薄"),
        ],
        &file("02", "家庭经济状况声明.pdf", "JVBERi0xLjQ="),
    )
}

fn record(ptbh: &str) -> String {
    sq(ptbh, RECORD, CHEN, "陈晓东", &[], "")
}

/// `id` with another check character.
fn wrong_check(id: &str) -> String {
    let other = if id.ends_with('1') { '2' } else { '1' };
    format!("{}{other}", &id[..17])
}

fn zhou() -> String {
    with_check("33012219920315042")
}

/// Submits and asserts 0000; returns the 业务编号.
async fn submit(client: &reqwest::Client, handle: &Handle, sq: &str) -> String {
    let answer = call(client, handle, "TJSQ", sq).await;
    assert_code(&answer, "0000");
    bwn(&answer).text_of("YWBH").unwrap().to_owned()
}

/// Every change (`<BH>`) `CXBH` reports, read to its end.
async fn all_changes(client: &reqwest::Client, handle: &Handle) -> Vec<Element> {
    let mut after = 0;
    let mut all = Vec::new();
    loop {
        let answer = call(
            client,
            handle,
            "CXBH",
            &format!("<QSXH>{after}</QSXH><MYTS>100</MYTS>"),
        )
        .await;
        assert_code(&answer, "0000");
        let bwn = bwn(&answer);
        for bh in bwn.find("BHLB").unwrap().find_all("BH") {
            let xh: u64 = bh.text_of("XH").unwrap().parse().unwrap();
            assert_eq!(xh, after + 1, "gapless");
            after = xh;
            all.push(bh.clone());
        }
        assert_eq!(bwn.text_of("ZDXH"), Some(after.to_string().as_str()));
        if bwn.text_of("GD") == Some("0") {
            return all;
        }
    }
}

async fn changes_of(client: &reqwest::Client, handle: &Handle, ptbh: &str) -> Vec<Element> {
    let mut all = all_changes(client, handle).await;
    all.retain(|bh| bh.text_of("PTBH") == Some(ptbh));
    all
}

/// Polls `CXBH` until the case's latest change is `ztdm`; returns its changes.
async fn changes_until(
    client: &reqwest::Client,
    handle: &Handle,
    ptbh: &str,
    ztdm: &str,
) -> Vec<Element> {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let mine = changes_of(client, handle, ptbh).await;
        if mine
            .last()
            .is_some_and(|bh| bh.text_of("ZTDM") == Some(ztdm))
        {
            return mine;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "case {ptbh} never reached {ztdm}: {mine:#?}"
        );
        tokio::time::sleep(STAGE / 3).await;
    }
}

fn codes(changes: &[Element]) -> Vec<&str> {
    changes
        .iter()
        .map(|bh| bh.text_of("ZTDM").unwrap())
        .collect()
}

#[tokio::test]
async fn the_catalogue_lists_three_matters_with_materials_and_forms() {
    let (handle, client) = start().await;
    let answer = call(&client, &handle, "CXSX", "").await;
    assert_code(&answer, "0000");
    assert_eq!(fhxx(&answer), "成功");
    let matters: Vec<&Element> = bwn(&answer).find("SXLB").unwrap().find_all("SX").collect();
    assert_eq!(
        matters
            .iter()
            .map(|sx| sx.text_of("SXBM").unwrap())
            .collect::<Vec<_>>(),
        [MARRIAGE, SUBSISTENCE, RECORD]
    );
    let summary = |sx: &Element| {
        [
            "SXMC", "SSJG", "SXLX", "FDSX", "CNSX", "DCCS", "WSBL", "SFBZ",
        ]
        .map(|name| sx.text_of(name).unwrap().to_owned())
    };
    assert_eq!(
        summary(matters[0]),
        [
            "内地居民结婚登记",
            "县民政局",
            "02",
            "1",
            "1",
            "1",
            "0",
            "不收费"
        ]
    );
    assert_eq!(
        summary(matters[1]),
        [
            "最低生活保障审批",
            "县民政局",
            "03",
            "30",
            "20",
            "0",
            "1",
            "不收费"
        ]
    );
    assert_eq!(
        summary(matters[2]),
        [
            "婚姻登记记录证明",
            "县民政局",
            "07",
            "1",
            "1",
            "0",
            "1",
            "不收费"
        ]
    );
    for sx in &matters {
        assert!(sx.text_of("SLTJ").is_some_and(|t| t.chars().count() > 10));
    }

    // Materials: CLBM, CLMC, BX and ZZLX (absent if none).
    let materials = |sx: &Element| -> Vec<(String, String, String, Option<String>)> {
        sx.find("CLLB")
            .unwrap()
            .find_all("CL")
            .map(|cl| {
                let text = |name| cl.text_of(name).unwrap().to_owned();
                (
                    text("CLBM"),
                    text("CLMC"),
                    text("BX"),
                    cl.text_of("ZZLX").map(str::to_owned),
                )
            })
            .collect()
    };
    let owned = |rows: &[(&str, &str, &str, Option<&str>)]| -> Vec<_> {
        rows.iter()
            .map(|(a, b, c, d)| {
                (
                    a.to_string(),
                    b.to_string(),
                    c.to_string(),
                    d.map(str::to_owned),
                )
            })
            .collect()
    };
    assert_eq!(
        materials(matters[0]),
        owned(&[
            ("01", "居民身份证", "1", Some("居民身份证")),
            ("02", "居民户口簿", "1", Some("居民户口簿")),
            ("03", "近期半身免冠合影照片", "1", None),
            (
                "04",
                "本人无配偶以及与对方当事人没有直系血亲和三代以内旁系血亲关系的签字声明",
                "1",
                None
            ),
        ])
    );
    assert_eq!(
        materials(matters[1]),
        owned(&[
            ("01", "居民身份证", "1", Some("居民身份证")),
            ("02", "家庭经济状况声明", "1", None),
            ("03", "残疾人证", "0", Some("残疾人证")),
        ])
    );
    assert_eq!(
        materials(matters[2]),
        owned(&[("01", "居民身份证", "1", Some("居民身份证"))])
    );

    // Forms: ZDM, BQ, LX, BX and LY (absent if none); no XX without an X item.
    let form = |sx: &Element| -> Vec<[String; 5]> {
        sx.find("BDLB")
            .unwrap()
            .find_all("BDX")
            .map(|bdx| {
                assert!(bdx.find("XX").is_none());
                ["ZDM", "BQ", "LX", "BX", "LY"]
                    .map(|name| bdx.text_of(name).unwrap_or("-").to_owned())
            })
            .collect()
    };
    let rows = |rows: &[[&str; 5]]| -> Vec<[String; 5]> {
        rows.iter().map(|r| r.map(str::to_owned)).collect()
    };
    assert_eq!(
        form(matters[0]),
        rows(&[
            ["DFXM", "对方姓名", "T", "1", "-"],
            ["DFSFZ", "对方公民身份号码", "S", "1", "-"],
            ["DJRQ", "预约登记日期", "D", "1", "-"],
        ])
    );
    assert_eq!(
        form(matters[1]),
        rows(&[
            ["JTRK", "家庭人口", "N", "1", "-"],
            ["YSR", "家庭月收入（元）", "N", "1", "-"],
            ["JZDZ", "居住地址", "A", "1", "ZZ"],
            ["LXDH", "联系电话", "T", "1", "DH"],
            ["SQLY", "申请理由", "T", "1", "-"],
        ])
    );
    assert!(form(matters[2]).is_empty());
    assert!(matters[2].find("BDLB").is_some());
    handle.shutdown().await;
}

#[tokio::test]
async fn a_marriage_is_submitted_once_and_issues_a_certificate() {
    let (handle, client) = start().await;
    let request = marriage("M-1", CHEN, "陈晓东", "周婷", &zhou());
    let first = call(&client, &handle, "TJSQ", &request).await;
    assert_code(&first, "0000");
    assert_eq!(fhxx(&first), "提交成功");
    let ywbh = bwn(&first).text_of("YWBH").unwrap().to_owned();
    let today = china_today();
    assert_eq!(ywbh.len(), 16, "{ywbh}");
    assert!(
        ywbh.starts_with(&format!("MZ{}", today.format("%Y%m%d"))),
        "{ywbh}"
    );
    assert!(ywbh[2..].bytes().all(|b| b.is_ascii_digit()), "{ywbh}");
    // The same PTBH again: the first 业务编号, nothing stored.
    let again = call(&client, &handle, "TJSQ", &request).await;
    assert_code(&again, "0000");
    assert_eq!(bwn(&again).text_of("YWBH"), Some(ywbh.as_str()));
    assert_eq!(fhxx(&again), "重复提交，返回原业务编号");
    let counted = stats(&client, &handle).await;
    assert_eq!(
        (
            counted.submissions,
            counted.cases,
            counted.duplicates,
            counted.requests
        ),
        (1, 1, 1, 2)
    );
    assert_eq!(handle.stats(), counted);
    // A second marriage the same day gets the next serial.
    let next = submit(
        &client,
        &handle,
        &marriage("M-2", &zhou(), "周婷", "陈晓东", CHEN),
    )
    .await;
    assert_eq!(&next[10..], "000002");
    assert_eq!(&ywbh[10..], "000001");

    let (status, case) = mock_case(&client, &handle, "M-1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(case["ywbh"], ywbh.as_str());
    assert_eq!(case["applicant"]["xm"], "陈晓东");
    assert_eq!(case["slsj"], "2026年12月7日 14时03分05秒");
    assert_eq!(case["licenses"][0]["zzlx"], "居民身份证");
    assert_eq!(case["attachments"].as_array().unwrap().len(), 3);
    assert_eq!(case["resubmissions"], 1);

    let changes = changes_until(&client, &handle, "M-1", "09").await;
    assert_eq!(codes(&changes), ["01", "05", "09"]);
    assert_eq!(texts_of(&changes, "ZTMC"), ["审查中", "准予", "办结"]);
    assert!(changes.iter().all(|bh| bh.text_of("YWBH") == Some(&ywbh)));
    for bh in &changes {
        let bhsj = bh.text_of("BHSJ").unwrap();
        assert!(
            date::parse_datetime(bhsj).is_ok() && bhsj.contains('时'),
            "{bhsj}"
        );
    }
    assert!(changes[..2].iter().all(|bh| bh.find("ZZ").is_none()));
    let zz = changes[2].find("ZZ").unwrap();
    let zzbh = zz.text_of("ZZBH").unwrap().to_owned();
    assert!(changes[2].text_of("SM").unwrap().contains(&zzbh));
    let year = today.year();
    assert!(
        zzbh.starts_with(&format!("J330122-{year}-")) && zzbh.len() == 19,
        "{zzbh}"
    );
    assert_eq!(zz.text_of("ZZLXDM"), Some("MZJHZ"));
    assert_eq!(zz.text_of("ZZLXMC"), Some("结婚证"));
    let czr = zz.find("CZR").unwrap();
    assert_eq!(
        ["ZJLX", "ZJHM", "XM"].map(|n| czr.text_of(n).unwrap()),
        ["SFZ", CHEN, "陈晓东"]
    );
    assert_eq!(zz.text_of("FZJG"), Some("县民政局"));
    let issued = date::to_chinese(today);
    assert_eq!(zz.text_of("FZRQ"), Some(issued.as_str()));
    assert!(
        zz.find("YXQZ").is_some() && zz.text_of("YXQZ").is_none(),
        "长期"
    );
    assert_eq!(zz.text_of("ZT"), Some("1"));
    let face: Vec<(&str, &str)> = zz
        .find("ZMXX")
        .unwrap()
        .find_all("X")
        .map(|x| (x.text_of("ZDM").unwrap(), x.text_of("Z").unwrap()))
        .collect();
    let spouse_id = zhou();
    assert_eq!(
        face,
        [
            ("持证人", "陈晓东"),
            ("公民身份号码", CHEN),
            ("对方姓名", "周婷"),
            ("对方公民身份号码", spouse_id.as_str()),
            ("登记日期", issued.as_str()),
            ("登记机关", "县民政局"),
        ]
    );

    // The same 证照 in CXZZ and YZZZ.
    let held = call(&client, &handle, "CXZZ", &format!("<ZJHM>{CHEN}</ZJHM>")).await;
    assert_code(&held, "0000");
    let list: Vec<&Element> = bwn(&held).find("ZZLB").unwrap().find_all("ZZ").collect();
    assert_eq!(list, [zz]);
    let verified = call(
        &client,
        &handle,
        "YZZZ",
        &format!("<ZZLXDM>MZJHZ</ZZLXDM><ZZBH>{zzbh}</ZZBH>"),
    )
    .await;
    assert_code(&verified, "0000");
    assert_eq!(bwn(&verified).find("ZZ"), Some(zz));
    let (_, case) = mock_case(&client, &handle, "M-1").await;
    assert_eq!(case["issued_license"], zzbh.as_str());
    assert_eq!(case["finished"], true);
    assert_eq!(case["status"], "09");

    // Nobody else holds it; what does not exist is 2001.
    let none = call(
        &client,
        &handle,
        "CXZZ",
        &format!("<ZJHM>{}</ZJHM>", with_check("33012219800101001")),
    )
    .await;
    assert_code(&none, "0000");
    assert!(bwn(&none).find("ZZLB").unwrap().children.is_empty());
    for bwn_text in [
        "<ZZLXDM>MZJHZ</ZZLXDM><ZZBH>J330122-2000-000001</ZZBH>".to_owned(),
        format!("<ZZLXDM>MZLHZ</ZZLXDM><ZZBH>{zzbh}</ZZBH>"),
    ] {
        let missing = call(&client, &handle, "YZZZ", &bwn_text).await;
        assert_code(&missing, "2001");
    }
    assert_field(
        &call(&client, &handle, "YZZZ", "<ZZLXDM>MZJHZ</ZZLXDM>").await,
        "ZZBH",
    );
    assert_field(
        &call(&client, &handle, "CXZZ", "<ZJHM>110105194912310021</ZJHM>").await,
        "ZJHM",
    );
    let (status, _) = mock_case(&client, &handle, "nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    handle.shutdown().await;
}

fn texts_of<'a>(changes: &'a [Element], name: &str) -> Vec<&'a str> {
    changes.iter().map(|bh| bh.text_of(name).unwrap()).collect()
}

#[tokio::test]
async fn each_invalid_field_is_named() {
    let (handle, client) = start().await;
    let good = marriage("F-1", CHEN, "陈晓东", "周婷", &zhou());
    let poor = subsistence("F-2", CHEN, "陈晓东", "2", "1000");
    let cases: Vec<(String, &str)> = vec![
        (good.replace("<PTBH>F-1</PTBH>", ""), "PTBH"),
        (good.replace("<PTBH>F-1</PTBH>", "<PTBH> </PTBH>"), "PTBH"),
        (good.replace(MARRIAGE, "330122-MZ-QR-009"), "SXBM"),
        (
            good.replace(
                &format!("<ZJHM>{CHEN}</ZJHM>"),
                "<ZJHM>110105194912310021</ZJHM>",
            ),
            "SQR/ZJHM",
        ),
        (
            good.replace(
                &format!("<ZJHM>{CHEN}</ZJHM>"),
                "<ZJHM>11010519491231002x</ZJHM>",
            ),
            "SQR/ZJHM",
        ),
        (
            good.replace("<ZJLX>SFZ</ZJLX>", "<ZJLX>HZ</ZJLX>"),
            "SQR/ZJLX",
        ),
        // 结婚登记 and 低保 are for residents only.
        (
            good.replace("<ZJLX>SFZ</ZJLX>", "<ZJLX>XYDM</ZJLX>")
                .replace(
                    &format!("<ZJHM>{CHEN}</ZJHM>"),
                    "<ZJHM>91330122704218653L</ZJHM>",
                ),
            "SQR/ZJLX",
        ),
        (
            poor.replace("<ZJLX>SFZ</ZJLX>", "<ZJLX>XYDM</ZJLX>")
                .replace(
                    &format!("<ZJHM>{CHEN}</ZJHM>"),
                    "<ZJHM>91330122704218653L</ZJHM>",
                ),
            "SQR/ZJLX",
        ),
        (good.replace("<XM>陈晓东</XM>", ""), "SQR/XM"),
        (
            good.replace("<SQR><ZJLX>SFZ</ZJLX>", "<SQX><ZJLX>SFZ</ZJLX>")
                .replace("</XM></SQR>", "</XM></SQX>"),
            "SQR",
        ),
        (
            good.replace("<SLSJ>2026年12月07日 14时03分05秒</SLSJ>", ""),
            "SLSJ",
        ),
        (
            good.replace("2026年12月07日 14时03分05秒", "2026年02月30日 14时03分05秒"),
            "SLSJ",
        ),
        (
            good.replace("2026年12月07日 14时03分05秒", "2026年12月07日 24时00分00秒"),
            "SLSJ",
        ),
        (
            good.replace("2026年12月07日 14时03分05秒", "2026-12-07 14:03:05"),
            "SLSJ",
        ),
        (
            good.replace("<X><ZDM>DJRQ</ZDM><Z>2026年12月07日</Z></X>", ""),
            "BD/DJRQ",
        ),
        (good.replace("<Z>2026年12月07日</Z>", "<Z></Z>"), "BD/DJRQ"),
        (
            good.replace("<Z>2026年12月07日</Z>", "<Z>2026-12-07</Z>"),
            "BD/DJRQ",
        ),
        (
            good.replace("<Z>2026年12月07日</Z>", "<Z>2027年02月29日</Z>"),
            "BD/DJRQ",
        ),
        (good.replace(&zhou(), &wrong_check(&zhou())), "BD/DFSFZ"),
        (
            good.replace("<X><ZDM>DFXM</ZDM>", "<X><ZDX>DFXM</ZDX>"),
            "BD/X[1]/ZDM",
        ),
        (poor.replace("<Z>1000</Z>", "<Z>一千元</Z>"), "BD/YSR"),
        (poor.replace("<Z>1000</Z>", "<Z>-5</Z>"), "BD/YSR"),
        (poor.replace("<Z>2</Z>", "<Z>0</Z>"), "BD/JTRK"),
        (poor.replace("<Z>2</Z>", "<Z>2.5</Z>"), "BD/JTRK"),
        (
            poor.replace("<X><ZDM>SQLY</ZDM><Z>家庭成员患病，收入微薄</Z></X>", ""),
            "BD/SQLY",
        ),
        // A required material neither as a file nor as a 证照.
        (
            good.replace(&file("03", "合影.jpg", "/9j/4AAQSkZJRgABAQ=="), ""),
            "FJ",
        ),
        (
            good.replace("<ZZ><Z><CLBM>01</CLBM>", "<ZZ><Z><CLBM>09</CLBM>"),
            "FJ",
        ),
        (poor.replace("<CLBM>02</CLBM>", "<CLBM>03</CLBM>"), "FJ"),
        (
            good.replace("/9j/4AAQSkZJRgABAQ==", "不是base64"),
            "FJ/F[2]/NR",
        ),
        (good.replace("<WJM>户口簿.pdf</WJM>", ""), "FJ/F[1]/WJM"),
        (
            good.replace("<ZZBH>11010519491231002X</ZZBH>", ""),
            "ZZ/Z[1]/ZZBH",
        ),
        (String::new(), "SQ"),
    ];
    for (bwn_text, field) in &cases {
        let answer = call(&client, &handle, "TJSQ", bwn_text).await;
        assert_field(&answer, field);
    }
    let named = call(
        &client,
        &handle,
        "TJSQ",
        &good.replace(
            &format!("<ZJHM>{CHEN}</ZJHM>"),
            "<ZJHM>110105194912310021</ZJHM>",
        ),
    )
    .await;
    assert!(
        fhxx(&named).contains("110105194912310021"),
        "{}",
        fhxx(&named)
    );
    assert!(fhxx(&named).contains("校验码"), "{}", fhxx(&named));
    let (no_date, _) = cases.iter().find(|(_, field)| *field == "BD/DJRQ").unwrap();
    let missing = call(&client, &handle, "TJSQ", no_date).await;
    assert!(
        fhxx(&missing).contains("预约登记日期"),
        "{}",
        fhxx(&missing)
    );
    assert_eq!(
        stats(&client, &handle).await.submissions,
        0,
        "nothing stored"
    );

    // What is valid: an organisation may ask for a 婚姻登记记录证明, the
    // optional 残疾人证 may be left out, 免提交证照 stand in for files.
    let organisation = record("F-3")
        .replace("<ZJLX>SFZ</ZJLX>", "<ZJLX>XYDM</ZJLX>")
        .replace(
            &format!("<ZJHM>{CHEN}</ZJHM>"),
            "<ZJHM>91330122704218653L</ZJHM>",
        );
    submit(&client, &handle, &organisation).await;
    submit(&client, &handle, &good).await;
    submit(
        &client,
        &handle,
        &poor.replace("<Z>1000</Z>", "<Z>1000.50</Z>"),
    )
    .await;
    let bad_credit = record("F-4")
        .replace("<ZJLX>SFZ</ZJLX>", "<ZJLX>XYDM</ZJLX>")
        .replace(
            &format!("<ZJHM>{CHEN}</ZJHM>"),
            "<ZJHM>91330122704218653X</ZJHM>",
        );
    assert_field(
        &call(&client, &handle, "TJSQ", &bad_credit).await,
        "SQR/ZJHM",
    );
    assert_eq!(stats(&client, &handle).await.submissions, 3);
    handle.shutdown().await;
}

#[tokio::test]
async fn unreadable_messages_answer_1001() {
    let (handle, client) = start().await;
    let malformed = |raw: &Raw, jydm: &str| {
        let bw = parse(raw);
        assert_code(&bw, "1001");
        assert_eq!(bwt(&bw).text_of("JYDM").unwrap_or_default(), jydm);
        fhxx(&bw).to_owned()
    };
    let not_xml = post_raw(&client, &handle, b"JYDM=CXSX".to_vec(), GB18030).await;
    assert!(malformed(&not_xml, "").contains("XML"));
    let cut = message("CXSX", "");
    let cut = post_raw(&client, &handle, gb18030(&cut[..cut.len() - 8]), GB18030).await;
    assert!(malformed(&cut, "").contains("XML"));

    // Bytes that are not GB 18030.
    let mut bytes = gb18030(&message("TJSQ", &record("U-1")));
    let at = bytes.windows(3).position(|w| w == b"<XM").unwrap() + 4;
    bytes[at] = 0x81;
    bytes[at + 1] = 0x20;
    let answer = malformed(&post_raw(&client, &handle, bytes, GB18030).await, "");
    assert!(answer.contains("GB18030"), "{answer}");
    // GB 18030 bytes declared as UTF-8 are not silently misread.
    let lying = message("CXSX", "").replace("GB18030", "UTF-8");
    let lying = [gb18030(&lying), gb18030("<!-- 中文 -->")].concat();
    let answer = malformed(
        &post_raw(&client, &handle, lying, "text/xml; charset=UTF-8").await,
        "",
    );
    assert!(answer.contains("UTF-8"), "{answer}");
    let unknown = message("CXSX", "").replace("GB18030", "GB2018");
    let answer = malformed(
        &post_raw(&client, &handle, unknown.into_bytes(), GB18030).await,
        "",
    );
    assert!(answer.contains("GB2018"), "{answer}");

    // The header's elements.
    let answer = malformed(
        &post_raw(&client, &handle, gb18030(&message("CXYY", "")), GB18030).await,
        "CXYY",
    );
    assert!(answer.contains("CXYY"), "{answer}");
    let no_system = message("CXSX", "").replace("<XTBS>onewindow</XTBS>", "");
    let answer = malformed(
        &post_raw(&client, &handle, gb18030(&no_system), GB18030).await,
        "CXSX",
    );
    assert!(answer.contains("XTBS"), "{answer}");
    let no_code = message("CXSX", "").replace("<JYDM>CXSX</JYDM>", "");
    let answer = malformed(
        &post_raw(&client, &handle, gb18030(&no_code), GB18030).await,
        "",
    );
    assert!(answer.contains("JYDM"), "{answer}");
    let no_header = "<BW><BWN/></BW>";
    let answer = malformed(
        &post_raw(&client, &handle, gb18030(no_header), GB18030).await,
        "",
    );
    assert!(answer.contains("BWT"), "{answer}");
    let wrong_root = "<BAOWEN><BWT><JYDM>CXSX</JYDM><XTBS>x</XTBS></BWT></BAOWEN>";
    let answer = malformed(
        &post_raw(&client, &handle, gb18030(wrong_root), GB18030).await,
        "",
    );
    assert!(answer.contains("BAOWEN"), "{answer}");

    // Honestly declared UTF-8 is read as UTF-8; undeclared text is GB 18030.
    let utf8 =
        message("TJSQ", &record("U-2").replace("陈晓东", "陈𠈌")).replace("GB18030", "UTF-8");
    let answer = parse(
        &post_raw(
            &client,
            &handle,
            utf8.into_bytes(),
            "text/xml; charset=UTF-8",
        )
        .await,
    );
    assert_code(&answer, "0000");
    let bare = "<BW><BWT><JYDM>TJSQ</JYDM><XTBS>x</XTBS></BWT><BWN>".to_owned()
        + &record("U-3").replace("陈晓东", "王䶮")
        + "</BWN></BW>";
    let answer = parse(&post_raw(&client, &handle, gb18030(&bare), "text/xml").await);
    assert_code(&answer, "0000");
    assert_eq!(
        mock_case(&client, &handle, "U-2").await.1["applicant"]["xm"],
        "陈𠈌"
    );
    assert_eq!(
        mock_case(&client, &handle, "U-3").await.1["applicant"]["xm"],
        "王䶮"
    );
    assert_eq!(stats(&client, &handle).await.submissions, 2);
    handle.shutdown().await;
}

#[tokio::test]
async fn names_outside_gbk_round_trip_through_submission_changes_and_licenses() {
    let (handle, client) = start().await;
    let (wang, li) = ("王䶮", "李𠈌");
    // 𠈌 (U+2020C) takes four bytes in GB 18030; 䶮 (U+4DAE) two, FE 9F, which
    // many GBK (CP936) codecs lack.
    assert!(gbk::encode(li).is_err(), "{li} is outside GBK");
    let four_bytes = gb18030("𠈌");
    assert_eq!(four_bytes, b"\x95\x32\xB7\x30");
    assert_eq!(gb18030("䶮"), b"\xFE\x9F");
    let wang_id = with_check("33012219880808081");
    let li_id = with_check("33012219900909092");
    let request = gb18030(&message(
        "TJSQ",
        &marriage("R-1", &wang_id, wang, li, &li_id),
    ));
    assert!(request.windows(4).any(|w| w == four_bytes.as_slice()));
    let answer = parse(&post_raw(&client, &handle, request, GB18030).await);
    assert_code(&answer, "0000");
    let (_, case) = mock_case(&client, &handle, "R-1").await;
    assert_eq!(case["applicant"]["xm"], wang);
    assert_eq!(case["form"][0]["z"], li);

    changes_until(&client, &handle, "R-1", "09").await;
    // The raw answer holds the four-byte sequences, not character references.
    let raw = post_raw(
        &client,
        &handle,
        gb18030(&message("CXBH", "<QSXH>0</QSXH>")),
        GB18030,
    )
    .await;
    assert!(raw.body.windows(4).any(|w| w == four_bytes.as_slice()));
    assert!(raw.body.windows(2).any(|w| w == gb18030("䶮").as_slice()));
    assert!(!raw.body.windows(2).any(|w| w == b"&#"));
    let changes = changes_of(&client, &handle, "R-1").await;
    let zz = changes[2].find("ZZ").unwrap();
    assert_eq!(zz.find("CZR").unwrap().text_of("XM"), Some(wang));
    let face = zz.find("ZMXX").unwrap();
    assert_eq!(texts(face, "X", "Z")[..3], [wang, wang_id.as_str(), li]);

    let held = call(&client, &handle, "CXZZ", &format!("<ZJHM>{wang_id}</ZJHM>")).await;
    assert_code(&held, "0000");
    let listed = bwn(&held).find("ZZLB").unwrap().find("ZZ").unwrap();
    assert_eq!(listed, zz);
    assert_eq!(listed.find("CZR").unwrap().text_of("XM"), Some(wang));
    handle.shutdown().await;
}

#[tokio::test]
async fn subsistence_is_denied_supplemented_or_granted_by_income() {
    // Stages long enough for two requests to land in the same one.
    let stage = Duration::from_millis(100);
    let (handle, client) = start_with(Config {
        stage,
        ..Config::default()
    })
    .await;
    let he = with_check("33012219941111088");
    // 2700 元 for 3: 900 元 a person, over the standard; 2610 for 3 is exactly it.
    submit(
        &client,
        &handle,
        &subsistence("D-1", &he, "何晓燕", "3", "2700"),
    )
    .await;
    submit(
        &client,
        &handle,
        &subsistence("D-2", &he, "何晓燕", "3", "2610"),
    )
    .await;
    // 1000 for 2: granted after the special procedure.
    submit(
        &client,
        &handle,
        &subsistence("A-1", CHEN, "陈晓东", "2", "1000"),
    )
    .await;
    // 2000 for 4: under the standard, but a large household must prove its income.
    submit(
        &client,
        &handle,
        &subsistence("S-1", &zhou(), "周婷", "4", "2000"),
    )
    .await;

    let denied = changes_until(&client, &handle, "D-1", "06").await;
    assert_eq!(codes(&denied), ["01", "06"]);
    assert_eq!(denied[1].text_of("ZTMC"), Some("不予"));
    let reason = denied[1].text_of("SM").unwrap();
    assert!(
        reason.contains("900元") && reason.contains("870元"),
        "{reason}"
    );
    let exactly = changes_until(&client, &handle, "D-2", "06").await;
    assert!(exactly[1].text_of("SM").unwrap().contains("870元"));

    let granted = changes_until(&client, &handle, "A-1", "09").await;
    assert_eq!(codes(&granted), ["01", "03", "05", "09"]);
    assert_eq!(granted[1].text_of("SM"), Some("入户调查、民主评议和公示"));
    assert_eq!(granted[1].text_of("ZTMC"), Some("特别程序"));
    assert!(granted.iter().all(|bh| bh.find("ZZ").is_none()));

    let waiting = changes_until(&client, &handle, "S-1", "02").await;
    assert_eq!(codes(&waiting), ["01", "02"]);
    assert_eq!(
        waiting[1].text_of("SM"),
        Some("请补充共同生活家庭成员的收入证明")
    );
    assert_eq!(waiting[1].text_of("ZTMC"), Some("需补正"));
    tokio::time::sleep(stage * 4).await;
    assert_eq!(
        codes(&changes_of(&client, &handle, "S-1").await),
        ["01", "02"]
    );
    assert_eq!(
        codes(&changes_of(&client, &handle, "D-1").await),
        ["01", "06"]
    );

    // What BZCL does not take.
    let proof = file("02", "家庭成员收入证明.pdf", "JVBERi0xLjU=");
    let bzcl = |ptbh: &str, files: &str| {
        format!("<PTBH>{ptbh}</PTBH><SM>补充父母的收入证明</SM><FJ>{files}</FJ>")
    };
    let unknown = call(&client, &handle, "BZCL", &bzcl("S-9", &proof)).await;
    assert_code(&unknown, "2001");
    assert!(fhxx(&unknown).contains("S-9"));
    assert_field(
        &call(&client, &handle, "BZCL", &bzcl("S-1", "")).await,
        "FJ",
    );
    assert_field(
        &call(&client, &handle, "BZCL", "<FJ><F><CLBM>02</CLBM></F></FJ>").await,
        "PTBH",
    );
    assert_field(
        &call(
            &client,
            &handle,
            "BZCL",
            &bzcl("S-1", &file("02", "x.pdf", "%%%")),
        )
        .await,
        "FJ/F[1]/NR",
    );
    let not_waiting = call(&client, &handle, "BZCL", &bzcl("A-1", &proof)).await;
    assert_code(&not_waiting, "2003");
    assert!(
        fhxx(&not_waiting).contains("办结"),
        "{}",
        fhxx(&not_waiting)
    );

    // The 补正: back to 01 at once, and on along the path.
    let taken = call(&client, &handle, "BZCL", &bzcl("S-1", &proof)).await;
    assert_code(&taken, "0000");
    assert_eq!(fhxx(&taken), "补正材料1份已接收，申请继续审查");
    let resumed = changes_of(&client, &handle, "S-1").await;
    assert_eq!(codes(&resumed)[..3], ["01", "02", "01"]);
    assert_eq!(
        resumed[2].text_of("SM"),
        Some("补正材料已收到（共1份），继续审查")
    );
    // The same files again: 0000, nothing changes.
    let again = call(&client, &handle, "BZCL", &bzcl("S-1", &proof)).await;
    assert_code(&again, "0000");
    assert_eq!(fhxx(&again), "该补正材料此前已接收，未重复处理");
    // Other files: the case no longer waits.
    let other = bzcl("S-1", &file("02", "另一份证明.pdf", "JVBERi0xLjY="));
    assert_code(&call(&client, &handle, "BZCL", &other).await, "2003");

    let done = changes_until(&client, &handle, "S-1", "09").await;
    assert_eq!(codes(&done), ["01", "02", "01", "03", "05", "09"]);
    // Decided: the same files are refused too.
    let late = call(&client, &handle, "BZCL", &bzcl("S-1", &proof)).await;
    assert_code(&late, "2003");
    assert!(fhxx(&late).contains("办结"), "{}", fhxx(&late));
    let (_, case) = mock_case(&client, &handle, "S-1").await;
    let supplements = case["supplements"].as_array().unwrap();
    assert_eq!(supplements.len(), 1, "{case:#}");
    assert_eq!(supplements[0]["sm"], "补充父母的收入证明");
    assert_eq!(supplements[0]["repeats"], 1);
    assert_eq!(
        supplements[0]["attachments"][0]["wjm"],
        "家庭成员收入证明.pdf"
    );
    assert_eq!(supplements[0]["attachments"][0]["size"], 8);
    assert_eq!(case["history"].as_array().unwrap().len(), 6);
    handle.shutdown().await;
}

#[tokio::test]
async fn a_withdrawal_stops_an_undecided_case_and_a_decided_one_refuses_it() {
    let (handle, client) = start().await;
    let chsq = |ptbh: &str| format!("<PTBH>{ptbh}</PTBH><CHYY>申请人已在外县办理</CHYY>");
    submit(
        &client,
        &handle,
        &subsistence("W-1", &zhou(), "周婷", "5", "1500"),
    )
    .await;
    submit(
        &client,
        &handle,
        &marriage("W-2", CHEN, "陈晓东", "周婷", &zhou()),
    )
    .await;
    submit(
        &client,
        &handle,
        &subsistence("W-3", CHEN, "陈晓东", "1", "5000"),
    )
    .await;

    // Before its first step.
    submit(&client, &handle, &record("W-0")).await;
    let early = call(&client, &handle, "CHSQ", &chsq("W-0")).await;
    assert_code(&early, "0000");
    assert_eq!(fhxx(&early), "撤回成功，申请终止办理");
    // Waiting for its 补正.
    changes_until(&client, &handle, "W-1", "02").await;
    let answer = call(&client, &handle, "CHSQ", &chsq("W-1")).await;
    assert_code(&answer, "0000");
    let again = call(&client, &handle, "CHSQ", &chsq("W-1")).await;
    assert_code(&again, "0000");
    assert_eq!(fhxx(&again), "申请此前已撤回");
    let proof = file("02", "收入证明.pdf", "JVBERi0xLjU=");
    let refused = call(
        &client,
        &handle,
        "BZCL",
        &format!("<PTBH>W-1</PTBH><FJ>{proof}</FJ>"),
    )
    .await;
    assert_code(&refused, "2003");
    assert!(fhxx(&refused).contains("撤回"), "{}", fhxx(&refused));
    let (_, case) = mock_case(&client, &handle, "W-1").await;
    assert_eq!(case["withdrawal"]["reason"], "申请人已在外县办理");
    assert_eq!(case["withdrawal"]["repeats"], 1);

    // Decided cases refuse, saying when they were decided.
    let granted = changes_until(&client, &handle, "W-2", "09").await;
    let decided = call(&client, &handle, "CHSQ", &chsq("W-2")).await;
    assert_code(&decided, "2002");
    let at = granted[1].text_of("BHSJ").unwrap();
    assert_eq!(fhxx(&decided), format!("申请已于{at}作出决定，不能撤回"));
    assert_code(&call(&client, &handle, "CHSQ", &chsq("W-2")).await, "2002");
    let denied = changes_until(&client, &handle, "W-3", "06").await;
    let refused = call(&client, &handle, "CHSQ", &chsq("W-3")).await;
    assert_code(&refused, "2002");
    let at = denied[1].text_of("BHSJ").unwrap();
    assert_eq!(fhxx(&refused), format!("申请已于{at}作出决定，不能撤回"));

    // Withdrawn cases take no further step.
    tokio::time::sleep(STAGE * 8).await;
    assert_eq!(
        codes(&changes_of(&client, &handle, "W-1").await),
        ["01", "02"]
    );
    // (01 at most, should a stage have passed before the withdrawal arrived.)
    assert!(codes(&changes_of(&client, &handle, "W-0").await).len() <= 1);

    let unknown = call(&client, &handle, "CHSQ", &chsq("W-9")).await;
    assert_code(&unknown, "2001");
    assert_field(
        &call(&client, &handle, "CHSQ", "<PTBH>W-2</PTBH>").await,
        "CHYY",
    );
    assert_field(
        &call(&client, &handle, "CHSQ", "<CHYY>不办了</CHYY>").await,
        "PTBH",
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn a_divorce_cancels_the_certificate_and_logs_a_change() {
    let (handle, client) = start().await;
    submit(
        &client,
        &handle,
        &marriage("V-1", CHEN, "陈晓东", "周婷", &zhou()),
    )
    .await;
    let issued = changes_until(&client, &handle, "V-1", "09").await;
    let zzbh = issued[2]
        .find("ZZ")
        .unwrap()
        .text_of("ZZBH")
        .unwrap()
        .to_owned();
    assert_eq!(revoke(&client, &handle, &zzbh).await, StatusCode::OK);
    assert_eq!(revoke(&client, &handle, &zzbh).await, StatusCode::OK);
    assert_eq!(
        revoke(&client, &handle, "J330122-2000-000009").await,
        StatusCode::NOT_FOUND
    );
    assert!(!handle.revoke_license("J330122-2000-000009"));

    let all = all_changes(&client, &handle).await;
    let last = all.last().unwrap();
    assert_eq!(all.len(), 4, "one ZZBG, however often revoked");
    assert_eq!(last.text_of("ZTDM"), Some("ZZBG"));
    assert_eq!(last.text_of("ZTMC"), Some("证照状态变更"));
    assert_eq!(last.text_of("SM"), Some("离婚登记，结婚证注销"));
    assert!(last.find("PTBH").is_some() && last.text_of("PTBH").is_none());
    assert!(last.find("YWBH").is_some() && last.text_of("YWBH").is_none());
    assert!(date::parse_datetime(last.text_of("BHSJ").unwrap()).is_ok());
    let zz = last.find("ZZ").unwrap();
    assert_eq!(zz.text_of("ZZBH"), Some(zzbh.as_str()));
    assert_eq!(zz.text_of("ZT"), Some("2"));

    let verified = call(
        &client,
        &handle,
        "YZZZ",
        &format!("<ZZLXDM>MZJHZ</ZZLXDM><ZZBH>{zzbh}</ZZBH>"),
    )
    .await;
    assert_eq!(bwn(&verified).find("ZZ"), Some(zz));
    let held = call(&client, &handle, "CXZZ", &format!("<ZJHM>{CHEN}</ZJHM>")).await;
    assert_eq!(texts(bwn(&held).find("ZZLB").unwrap(), "ZZ", "ZT"), ["2"]);
    handle.shutdown().await;
}

#[tokio::test]
async fn the_change_log_pages_by_sequence_number() {
    let (handle, client) = start().await;
    for ptbh in ["P-1", "P-2", "P-3"] {
        submit(&client, &handle, &record(ptbh)).await;
    }
    for ptbh in ["P-1", "P-2", "P-3"] {
        changes_until(&client, &handle, ptbh, "09").await;
    }
    let page = |qsxh: &str, myts: Option<&str>| {
        let mut text = format!("<QSXH>{qsxh}</QSXH>");
        if let Some(myts) = myts {
            text.push_str(&format!("<MYTS>{myts}</MYTS>"));
        }
        let (client, handle) = (&client, &handle);
        async move {
            let answer = call(client, handle, "CXBH", &text).await;
            assert_code(&answer, "0000");
            let bwn = bwn(&answer);
            (
                texts(bwn.find("BHLB").unwrap(), "BH", "XH")
                    .into_iter()
                    .map(str::to_owned)
                    .collect::<Vec<_>>(),
                bwn.text_of("ZDXH").unwrap().to_owned(),
                bwn.text_of("GD").unwrap().to_owned(),
            )
        }
    };
    let strings = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(
        page("0", Some("1")).await,
        (strings(&["1"]), "1".into(), "1".into())
    );
    assert_eq!(
        page("1", Some("2")).await,
        (strings(&["2", "3"]), "3".into(), "1".into())
    );
    assert_eq!(
        page("0", None).await,
        (
            strings(&["1", "2", "3", "4", "5", "6"]),
            "6".into(),
            "0".into()
        )
    );
    assert_eq!(
        page("4", Some("2")).await,
        (strings(&["5", "6"]), "6".into(), "0".into())
    );
    assert_eq!(page("6", None).await, (vec![], "6".into(), "0".into()));
    assert_eq!(
        page("99", Some("100")).await,
        (vec![], "99".into(), "0".into())
    );

    for bad in [
        "<QSXH>0</QSXH><MYTS>0</MYTS>",
        "<QSXH>0</QSXH><MYTS>101</MYTS>",
        "<QSXH>0</QSXH><MYTS>x</MYTS>",
    ] {
        assert_field(&call(&client, &handle, "CXBH", bad).await, "MYTS");
    }
    for bad in ["", "<QSXH>-1</QSXH>", "<QSXH>第一</QSXH>"] {
        assert_field(&call(&client, &handle, "CXBH", bad).await, "QSXH");
    }
    handle.shutdown().await;
}

#[tokio::test]
async fn faults_show_in_the_answers() {
    let (handle, client) = start().await;
    let cxsx = || gb18030(&message("CXSX", ""));
    let normal = post_raw(&client, &handle, cxsx(), GB18030).await;
    parse(&normal);

    assert_eq!(
        put_fault(&client, &handle, r#"{"mode": "truncated"}"#).await,
        StatusCode::OK
    );
    let cut = post_raw(&client, &handle, cxsx(), GB18030).await;
    assert_eq!(cut.status, StatusCode::OK);
    assert_eq!(cut.body.len(), normal.body.len() / 2);
    assert_eq!(cut.content_length, Some(cut.body.len()));
    assert_eq!(&cut.body[..], &normal.body[..cut.body.len()]);

    handle.set_fault(Fault::WrongEncoding);
    let wrong = post_raw(&client, &handle, cxsx(), GB18030).await;
    assert_eq!(wrong.content_type, "text/xml; charset=UTF-8");
    assert!(
        wrong
            .body
            .starts_with(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
    );
    assert!(std::str::from_utf8(&wrong.body).is_err(), "GB 18030 bytes");
    let text = gbk::decode_declared(&wrong.body, "GB18030").unwrap();
    assert!(text.contains("内地居民结婚登记"));

    handle.set_fault(Fault::MissingElement);
    let missing = parse(&post_raw(&client, &handle, cxsx(), GB18030).await);
    let sxlb = bwn(&missing).find("SXLB").unwrap();
    assert_eq!(
        texts(sxlb, "SX", "SXMC"),
        ["", "最低生活保障审批", "婚姻登记记录证明"]
    );
    let submitted = call(&client, &handle, "TJSQ", &record("F-1")).await;
    assert_code(&submitted, "0000");
    assert!(bwn(&submitted).find("YWBH").is_none());

    handle.set_fault(Fault::UnknownCode);
    let unknown = call(&client, &handle, "CXSX", "").await;
    let sxlb = bwn(&unknown).find("SXLB").unwrap();
    assert_eq!(texts(sxlb, "SX", "SXLX"), ["08", "03", "07"]);
    let submitted = call(&client, &handle, "TJSQ", &record("F-2")).await;
    assert_eq!(bwt(&submitted).text_of("FHDM"), Some("8888"));
    handle.set_fault(Fault::None);
    changes_until(&client, &handle, "F-2", "09").await;
    handle.set_fault(Fault::UnknownCode);
    let changes = call(&client, &handle, "CXBH", "<QSXH>0</QSXH>").await;
    let bhlb = bwn(&changes).find("BHLB").unwrap();
    let codes = texts(bhlb, "BH", "ZTDM");
    assert_eq!(codes[0], "99");
    assert!(
        codes[1..].iter().all(|c| ["01", "09"].contains(c)),
        "{codes:?}"
    );

    handle.set_fault(Fault::EndlessPages);
    let endless = call(&client, &handle, "CXBH", "<QSXH>0</QSXH><MYTS>1</MYTS>").await;
    let bwn_endless = bwn(&endless);
    assert_eq!(
        (bwn_endless.text_of("ZDXH"), bwn_endless.text_of("GD")),
        (Some("0"), Some("1"))
    );
    assert_eq!(bwn_endless.find("BHLB").unwrap().children.len(), 1);

    assert_eq!(
        put_fault(&client, &handle, r#"{"mode": "down"}"#).await,
        StatusCode::OK
    );
    let down = post_raw(&client, &handle, cxsx(), GB18030).await;
    assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(down.content_type.starts_with("text/html"));
    assert!(String::from_utf8_lossy(&down.body).contains("Service Unavailable"));
    // The admin side keeps working while the interface is down.
    assert_eq!(stats(&client, &handle).await.submissions, 2);

    assert_eq!(
        put_fault(&client, &handle, r#"{"mode": "slow", "delay_ms": 200}"#).await,
        StatusCode::OK
    );
    let started = std::time::Instant::now();
    parse(&post_raw(&client, &handle, cxsx(), GB18030).await);
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert!(
        put_fault(&client, &handle, r#"{"mode": "sideways"}"#)
            .await
            .is_client_error()
    );

    assert_eq!(
        put_fault(&client, &handle, r#"{"mode": "none"}"#).await,
        StatusCode::OK
    );
    assert_eq!(
        post_raw(&client, &handle, cxsx(), GB18030).await.body,
        normal.body
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn fail_rate_latency_and_shutdown() {
    let (handle, client) = start_with(Config {
        stage: STAGE,
        latency: Duration::from_millis(100),
        fail_rate: 1.0,
        fault: Fault::None,
        ..Config::default()
    })
    .await;
    let started = std::time::Instant::now();
    let failed = post_raw(&client, &handle, gb18030(&message("CXSX", "")), GB18030).await;
    assert_eq!(failed.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(started.elapsed() >= Duration::from_millis(100));
    assert_eq!(handle.stats().requests, 1);

    let addr = handle.addr();
    assert!(handle.endpoint().ends_with("/mzxt/jk"));
    handle.shutdown().await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "port still open"
    );

    let bad = Config {
        fail_rate: 1.5,
        ..Config::default()
    };
    assert!(civil_affairs::start(local(), bad).await.is_err());
    assert_eq!(civil_affairs::DEFAULT_LISTEN, "127.0.0.1:9106");
    assert_eq!(civil_affairs::BASE, "/mzxt/jk");
}
