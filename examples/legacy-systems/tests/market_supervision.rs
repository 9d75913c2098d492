//! End-to-end tests of the 县市场监督管理局 mock over real HTTP with GBK SOAP.

use std::net::SocketAddr;
use std::time::Duration;

use legacy_systems::common::soap;
use legacy_systems::common::xml::Element;
use legacy_systems::market_supervision::{self, Config, Fault, Handle, Stats};
use onewindow_codes::{credit_code, gbk};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE};

const STAGE: Duration = Duration::from_millis(30);
const DEADLINE: Duration = Duration::from_secs(10);

fn local() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

async fn start_with(config: Config) -> (Handle, reqwest::Client) {
    let handle = market_supervision::start(local(), config).await.unwrap();
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

fn envelope(operation: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"GBK\"?>\n\
         <soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">\
         <soap:Body>{operation}</soap:Body></soap:Envelope>"
    )
}

struct Raw {
    status: StatusCode,
    content_type: String,
    content_length: Option<usize>,
    body: Vec<u8>,
}

async fn post_bytes(
    client: &reqwest::Client,
    handle: &Handle,
    body: Vec<u8>,
    charset: &str,
) -> Raw {
    let response = client
        .post(handle.endpoint())
        .header(CONTENT_TYPE, format!("text/xml; charset={charset}"))
        .header("SOAPAction", "\"\"")
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

async fn post_raw(client: &reqwest::Client, handle: &Handle, operation: &str) -> Raw {
    let body = gbk::encode(&envelope(operation)).unwrap();
    post_bytes(client, handle, body, "GBK").await
}

/// Posts an operation and returns the `<XxxResponse>` element, checking the GBK framing.
async fn call(client: &reqwest::Client, handle: &Handle, operation: &str) -> Element {
    let raw = post_raw(client, handle, operation).await;
    assert_eq!(raw.status, StatusCode::OK);
    assert_eq!(raw.content_type, "text/xml; charset=GBK");
    parse_answer(&raw.body)
}

fn parse_answer(body: &[u8]) -> Element {
    let text = gbk::decode(body).unwrap();
    assert!(
        text.starts_with("<?xml version=\"1.0\" encoding=\"GBK\"?>"),
        "{text}"
    );
    soap::operation(&text).unwrap()
}

fn text<'a>(element: &'a Element, name: &str) -> &'a str {
    element
        .text_of(name)
        .unwrap_or_else(|| panic!("no {name} in {element:#?}"))
}

fn assert_code(answer: &Element, code: &str) {
    assert_eq!(text(answer, "FHDM"), code, "{answer:#?}");
}

async fn stats(client: &reqwest::Client, handle: &Handle) -> Stats {
    let url = format!("http://{}/_mock/stats", handle.addr());
    client.get(url).send().await.unwrap().json().await.unwrap()
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

fn bjsb(
    ptbjbh: &str,
    sxbm: &str,
    sqrlx: &str,
    zjhm: &str,
    sqrmc: &str,
    fields: &[(&str, &str)],
) -> String {
    let fields: String = fields
        .iter()
        .map(|(name, value)| format!("<ZD MC=\"{name}\">{value}</ZD>"))
        .collect();
    format!(
        "<BJSB xmlns=\"http://djzc.scjgj.gov.cn/ws\"><PTBJBH>{ptbjbh}</PTBJBH><SXBM>{sxbm}</SXBM>\
         <SQR><SQRLX>{sqrlx}</SQRLX><ZJHM>{zjhm}</ZJHM><SQRMC>{sqrmc}</SQRMC></SQR>\
         <SLSJ>2026年11月27日 14时03分05秒</SLSJ><BDXX>{fields}</BDXX>\
         <FJXX><FJ CLBM=\"002\" WJM=\"章程.pdf\" LX=\"application/pdf\">JVBERi0xLjQK</FJ></FJXX>\
         <ZZXX><ZZ CLBM=\"003\" ZZLX=\"居民身份证\" ZZBH=\"{zjhm}\" CYZ=\"{sqrmc}\"/></ZZXX></BJSB>"
    )
}

const SETUP: &str = "330122-SCJG-XK-001";

/// Polls `CXBJZT` until the case has reached 06 and returns its status changes.
async fn changes_until_done(
    client: &reqwest::Client,
    handle: &Handle,
    ptbjbh: &str,
) -> Vec<Element> {
    changes_until(client, handle, ptbjbh, "06").await
}

/// Polls `CXBJZT` until the case's latest change is `ztdm` and returns its changes.
async fn changes_until(
    client: &reqwest::Client,
    handle: &Handle,
    ptbjbh: &str,
    ztdm: &str,
) -> Vec<Element> {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let mine = changes_of(client, handle, ptbjbh).await;
        if mine.last().is_some_and(|zt| text(zt, "ZTDM") == ztdm) {
            return mine;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "case {ptbjbh} never reached {ztdm}: {mine:#?}"
        );
        tokio::time::sleep(STAGE / 3).await;
    }
}

/// Every `ZT` of the case so far, read page by page from the start; every other
/// record of the log (`ZZBG`) keeps the sequence.
async fn changes_of(client: &reqwest::Client, handle: &Handle, ptbjbh: &str) -> Vec<Element> {
    let mut after = 0;
    let mut mine = Vec::new();
    loop {
        let answer = call(
            client,
            handle,
            &format!("<CXBJZT><QSXH>{after}</QSXH><MYTS>100</MYTS></CXBJZT>"),
        )
        .await;
        assert_code(&answer, "0000");
        for record in &answer.find("ZTLB").unwrap().children {
            let xh: u64 = text(record, "XH").parse().unwrap();
            assert!(xh > after, "XH {xh} not after {after}");
            after = xh;
            if record.name == "ZT" && text(record, "PTBJBH") == ptbjbh {
                mine.push(record.clone());
            }
        }
        assert_eq!(text(&answer, "ZDXH"), after.to_string());
        if text(&answer, "SFYHY") == "0" {
            return mine;
        }
    }
}

async fn mock_case(client: &reqwest::Client, handle: &Handle, ptbjbh: &str) -> serde_json::Value {
    client
        .get(format!("http://{}/_mock/cases/{ptbjbh}", handle.addr()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// A `BJBZ` for the case `ptbjbh` with one file for material `clbm`.
fn bjbz(ptbjbh: &str, clbm: &str, content: &str) -> String {
    format!(
        "<BJBZ xmlns=\"http://djzc.scjgj.gov.cn/ws\"><PTBJBH>{ptbjbh}</PTBJBH>\
         <BZSM>补交全体股东签字的章程</BZSM>\
         <FJXX><FJ CLBM=\"{clbm}\" WJM=\"公司章程（签字版）.pdf\" LX=\"application/pdf\">{content}</FJ></FJXX></BJBZ>"
    )
}

fn codes(changes: &[Element]) -> Vec<&str> {
    changes.iter().map(|zt| text(zt, "ZTDM")).collect()
}

#[tokio::test]
async fn catalogue_lists_realistic_matters_in_gbk() {
    let (handle, client) = start().await;
    let raw = post_raw(
        &client,
        &handle,
        "<CXSXQD xmlns=\"http://djzc.scjgj.gov.cn/ws\"/>",
    )
    .await;
    assert!(
        std::str::from_utf8(&raw.body).is_err(),
        "answer should be GBK, not UTF-8"
    );
    let name = gbk::encode("企业设立登记").unwrap();
    assert!(raw.body.windows(name.len()).any(|w| w == name));
    let answer = parse_answer(&raw.body);
    assert_eq!(answer.name, "CXSXQDResponse");
    assert_code(&answer, "0000");
    let matters: Vec<&Element> = answer.find("SXLB").unwrap().find_all("SX").collect();
    assert!(matters.len() >= 12, "{} matters", matters.len());
    for sx in &matters {
        assert!(["01", "02", "03", "04", "05", "09", "10"].contains(&text(sx, "SXLX")));
        assert_eq!(text(sx, "SSBM"), "县市场监督管理局");
        let legal: u32 = text(sx, "FDBJSX").parse().unwrap();
        let promised: u32 = text(sx, "CNBJSX").parse().unwrap();
        assert!(promised <= legal, "{}", text(sx, "SXMC"));
        assert!(["0", "1"].contains(&text(sx, "SFWB")));
        let materials: Vec<&Element> = sx.find("CLQD").unwrap().find_all("CL").collect();
        assert!((3..=6).contains(&materials.len()), "{}", text(sx, "SXMC"));
    }
    let setup = matters
        .iter()
        .find(|sx| text(sx, "SXMC") == "企业设立登记")
        .unwrap();
    assert_eq!(text(setup, "SXBM"), SETUP);
    let id_card = setup
        .find("CLQD")
        .unwrap()
        .find_all("CL")
        .find(|cl| cl.text_of("ZZLX") == Some("居民身份证"))
        .expect("a material an ID card can replace");
    assert_eq!(text(id_card, "SFBX"), "1");
    for name in ["营业执照遗失补领", "计量器具型式批准", "食品经营许可"] {
        assert!(matters.iter().any(|sx| text(sx, "SXMC") == name), "{name}");
    }
    handle.shutdown().await;
}

#[tokio::test]
async fn submission_is_idempotent_and_registers_the_company() {
    let (handle, client) = start().await;
    let request = bjsb(
        "20261127-000123",
        SETUP,
        "1",
        "330122199001011234",
        "张三",
        &[
            ("企业名称", "桐庐云栖数字科技有限公司"),
            ("法定代表人", "张三"),
            ("注册资本", "100"),
            ("住所", "浙江省杭州市桐庐县城南街道迎春南路1号"),
            ("经营范围", "软件开发；信息技术咨询服务"),
        ],
    );
    let first = call(&client, &handle, &request).await;
    assert_code(&first, "0000");
    let ywlsh = text(&first, "YWLSH").to_owned();
    assert!(
        ywlsh.starts_with("SCJG")
            && ywlsh.len() == 16
            && ywlsh[4..].bytes().all(|b| b.is_ascii_digit()),
        "{ywlsh}"
    );
    let again = call(&client, &handle, &request).await;
    assert_code(&again, "0000");
    assert_eq!(text(&again, "YWLSH"), ywlsh);

    let counted = stats(&client, &handle).await;
    assert_eq!(
        (counted.submissions, counted.cases, counted.duplicates),
        (1, 1, 1)
    );
    assert_eq!(counted.requests, 2);
    assert_eq!(handle.stats(), counted);

    let changes = changes_until_done(&client, &handle, "20261127-000123").await;
    assert_eq!(codes(&changes), ["02", "04", "06"]);
    assert!(changes.iter().all(|zt| text(zt, "YWLSH") == ywlsh));
    assert_eq!(text(&changes[0], "BLYJ"), "材料齐全，进入审查");
    assert!(text(&changes[0], "BLSJ").contains('年') && text(&changes[0], "BLSJ").ends_with('秒'));
    assert!(changes[..2].iter().all(|zt| zt.find("ZZ").is_none()));
    let license = changes[2].find("ZZ").expect("06 carries the 营业执照");
    let code = text(license, "TYSHXYDM").to_owned();
    credit_code::validate(&code).unwrap();
    assert!(code.starts_with("91330122"), "{code}");
    assert_eq!(text(license, "ZZBH"), code);
    assert_eq!(text(license, "ZZLXDM"), "YYZZ");
    assert_eq!(text(license, "QYMC"), "桐庐云栖数字科技有限公司");
    assert_eq!(text(license, "FDDBR"), "张三");
    assert_eq!(text(license, "ZCZB"), "100万元人民币");
    assert_eq!(text(license, "ZS"), "浙江省杭州市桐庐县城南街道迎春南路1号");
    assert_eq!(text(license, "YXQZ"), "长期");
    assert_eq!(text(license, "ZZZT"), "1");
    assert_eq!(text(license, "FZJG"), "县市场监督管理局");

    let held = call(
        &client,
        &handle,
        &format!("<CXZZ><TYSHXYDM>{code}</TYSHXYDM></CXZZ>"),
    )
    .await;
    assert_code(&held, "0000");
    let held: Vec<&Element> = held.find("ZZLB").unwrap().find_all("ZZ").collect();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0], license);
    let verified = call(
        &client,
        &handle,
        &format!("<YZZZ><ZZLXDM>YYZZ</ZZLXDM><ZZBH>{code}</ZZBH></YZZZ>"),
    )
    .await;
    assert_code(&verified, "0000");
    assert_eq!(verified.find("ZZLB").unwrap().find_all("ZZ").count(), 1);
    assert_eq!(
        text(verified.find("ZZLB").unwrap().find("ZZ").unwrap(), "QYMC"),
        "桐庐云栖数字科技有限公司"
    );

    // Paging: one change per page, then an empty page past the end.
    let page = call(
        &client,
        &handle,
        "<CXBJZT><QSXH>0</QSXH><MYTS>1</MYTS></CXBJZT>",
    )
    .await;
    assert_eq!(page.find("ZTLB").unwrap().find_all("ZT").count(), 1);
    assert_eq!((text(&page, "ZDXH"), text(&page, "SFYHY")), ("1", "1"));
    let last = text(&changes[2], "XH");
    let past = call(
        &client,
        &handle,
        &format!("<CXBJZT><QSXH>{last}</QSXH><MYTS>50</MYTS></CXBJZT>"),
    )
    .await;
    assert_eq!(past.find("ZTLB").unwrap().find_all("ZT").count(), 0);
    assert_eq!((text(&past, "ZDXH"), text(&past, "SFYHY")), (last, "0"));

    let case: serde_json::Value = client
        .get(format!(
            "http://{}/_mock/cases/20261127-000123",
            handle.addr()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(case["ywlsh"], ywlsh.as_str());
    assert_eq!(case["status"], "06");
    assert_eq!(case["finished"], true);
    assert_eq!(case["issued_license"], code.as_str());
    assert_eq!(case["resubmissions"], 1);
    assert_eq!(case["attachments"][0]["size"], 9);
    let missing = client
        .get(format!("http://{}/_mock/cases/nope", handle.addr()))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    handle.shutdown().await;
}

#[tokio::test]
async fn refusal_and_correction_paths() {
    let (handle, client) = start().await;
    let refused = bjsb(
        "R-1",
        SETUP,
        "1",
        "330122199203154321",
        "李四",
        &[("模拟结果", "不予许可")],
    );
    assert_code(&call(&client, &handle, &refused).await, "0000");
    // An organisation registering under its own (valid, not yet registered) credit code.
    let body = "91330122MA2T0C1K8";
    let own_code = format!("{body}{}", credit_code::check_char(body).unwrap());
    let corrected = bjsb(
        "C-1",
        SETUP,
        "2",
        &own_code,
        "桐庐新设科技有限公司",
        &[("模拟结果", "补正")],
    );
    assert_code(&call(&client, &handle, &corrected).await, "0000");

    let refusal = changes_until_done(&client, &handle, "R-1").await;
    assert_eq!(codes(&refusal), ["02", "05", "06"]);
    assert!(refusal.iter().all(|zt| zt.find("ZZ").is_none()));
    assert!(text(&refusal[1], "BLYJ").contains("不予许可"));

    // The case waits at 03 for the materials, however many stages pass.
    let waiting = changes_until(&client, &handle, "C-1", "03").await;
    assert_eq!(codes(&waiting), ["02", "03"]);
    assert!(text(&waiting[1], "BLYJ").starts_with("申请材料不齐全，请补正："));
    tokio::time::sleep(STAGE * 5).await;
    assert_eq!(
        codes(&changes_of(&client, &handle, "C-1").await),
        ["02", "03"]
    );

    // Materials the matter does not have, a case that was not asked, and an unknown case.
    let wrong = call(&client, &handle, &bjbz("C-1", "099", "JVBERi0xLjQK")).await;
    assert_code(&wrong, "1001");
    assert!(text(&wrong, "FHXX").contains("099"), "{wrong:#?}");
    let not_asked = call(&client, &handle, &bjbz("R-1", "002", "JVBERi0xLjQK")).await;
    assert_code(&not_asked, "3001");
    assert!(
        text(&not_asked, "FHXX").contains("未要求补正"),
        "{not_asked:#?}"
    );
    let unknown = call(&client, &handle, &bjbz("X-9", "002", "JVBERi0xLjQK")).await;
    assert_code(&unknown, "2001");
    let empty = call(&client, &handle, "<BJBZ><PTBJBH>C-1</PTBJBH><FJXX/></BJBZ>").await;
    assert_code(&empty, "1001");

    let handed_in = call(&client, &handle, &bjbz("C-1", "002", "JVBERi0xLjQK")).await;
    assert_code(&handed_in, "0000");
    assert!(text(&handed_in, "FHXX").contains("继续审查"));
    // The same files again: accepted, nothing happens twice.
    let again = call(&client, &handle, &bjbz("C-1", "002", "JVBERi0xLjQK")).await;
    assert_code(&again, "0000");
    assert!(text(&again, "FHXX").contains("未重复处理"));
    // Other files, after review resumed, are not a supplement any more.
    let other = call(&client, &handle, &bjbz("C-1", "002", "JVBERi0xLjUK")).await;
    assert_code(&other, "3001");

    let correction = changes_until_done(&client, &handle, "C-1").await;
    assert_eq!(codes(&correction), ["02", "03", "02", "04", "06"]);
    assert_eq!(text(&correction[2], "BLYJ"), "补正材料已收到，继续审查");
    let license = correction[4].find("ZZ").unwrap();
    assert_eq!(text(license, "TYSHXYDM"), own_code);
    assert_eq!(text(license, "QYMC"), "桐庐新设科技有限公司");
    let case = mock_case(&client, &handle, "C-1").await;
    assert_eq!(case["supplements"].as_array().unwrap().len(), 1);
    assert_eq!(case["supplements"][0]["note"], "补交全体股东签字的章程");
    assert_eq!(case["supplements"][0]["attachments"][0]["material"], "002");
    assert_eq!(case["supplements"][0]["attachments"][0]["size"], 9);
    assert_eq!(case["repeated_supplements"], 1);

    // Registered now, so a second 设立登记 under the same code is refused by the rules.
    let twice = bjsb("C-2", SETUP, "2", &own_code, "桐庐新设科技有限公司", &[]);
    let answer = call(&client, &handle, &twice).await;
    assert_code(&answer, "3001");
    assert!(text(&answer, "FHXX").contains("已登记"));
    handle.shutdown().await;
}

#[tokio::test]
async fn withdrawals_stop_undecided_cases_and_decided_ones_refuse() {
    let (handle, client) = start().await;
    let person = ("1", "330122199203154321", "李四");
    for ptbjbh in ["W-1", "W-2"] {
        let request = bjsb(ptbjbh, SETUP, person.0, person.1, person.2, &[]);
        assert_code(&call(&client, &handle, &request).await, "0000");
    }
    let withdraw = |ptbjbh: &str| {
        format!("<BJCH><PTBJBH>{ptbjbh}</PTBJBH><CHYY>申请人决定暂缓设立</CHYY></BJCH>")
    };
    let withdrawn = call(&client, &handle, &withdraw("W-1")).await;
    assert_code(&withdrawn, "0000");
    assert_code(&call(&client, &handle, &withdraw("W-1")).await, "0000");

    let decided = changes_until_done(&client, &handle, "W-2").await;
    assert_eq!(codes(&decided), ["02", "04", "06"]);
    let refused = call(&client, &handle, &withdraw("W-2")).await;
    assert_code(&refused, "3001");
    assert!(text(&refused, "FHXX").contains("不能撤回"), "{refused:#?}");
    assert_code(&call(&client, &handle, &withdraw("X-9")).await, "2001");
    let no_reason = call(&client, &handle, "<BJCH><PTBJBH>W-1</PTBJBH></BJCH>").await;
    assert_code(&no_reason, "1001");

    // W-1 took no step after its withdrawal, and CXBJZT never reported one.
    tokio::time::sleep(STAGE * 5).await;
    assert!(changes_of(&client, &handle, "W-1").await.len() <= 1);
    let case = mock_case(&client, &handle, "W-1").await;
    assert_eq!(case["status"], "08");
    assert_eq!(case["status_name"], "已撤回");
    assert_eq!(case["withdrawal"]["reason"], "申请人决定暂缓设立");
    let last = case["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["ztdm"].clone(), last["xh"].clone()),
        ("08".into(), serde_json::Value::Null)
    );
    let supplement = call(&client, &handle, &bjbz("W-1", "002", "JVBERi0xLjQK")).await;
    assert_code(&supplement, "3001");
    handle.shutdown().await;
}

#[tokio::test]
async fn a_hearing_is_a_special_procedure_between_two_reviews() {
    let (handle, client) = start().await;
    let request = bjsb(
        "H-1",
        SETUP,
        "1",
        "330122199203154321",
        "李四",
        &[("模拟结果", "听证")],
    );
    assert_code(&call(&client, &handle, &request).await, "0000");
    let changes = changes_until_done(&client, &handle, "H-1").await;
    assert_eq!(codes(&changes), ["02", "07", "02", "04", "06"]);
    assert!(text(&changes[1], "BLYJ").contains("听证"));
    assert_eq!(text(&changes[2], "BLYJ"), "听证程序结束，恢复审查");
    handle.shutdown().await;
}

#[tokio::test]
async fn license_changes_are_logged_beside_the_cases() {
    let (handle, client) = start().await;
    let code = |body: &str| format!("{body}{}", credit_code::check_char(body).unwrap());
    let bees = code("91330122704218653");
    let shop = code("91330122MA2E5TA8L");
    let change = |number: &str, zzzt: &str| {
        format!(
            "<ZZZTBG><ZZBH>{number}</ZZBH><ZZZT>{zzzt}</ZZZT><BGYY>股东会决议解散，注销登记已核准</BGYY></ZZZTBG>"
        )
    };
    assert_code(&call(&client, &handle, &change(&shop, "3")).await, "0000");
    assert!(handle.revoke_license(&bees));
    // Again, or into another status once ended: the first is a no-op, the second refused.
    assert_code(&call(&client, &handle, &change(&shop, "3")).await, "0000");
    assert_code(&call(&client, &handle, &change(&shop, "2")).await, "3001");
    assert_code(&call(&client, &handle, &change(&shop, "1")).await, "1001");
    assert_code(
        &call(&client, &handle, &change("91330122MA2H1234XM", "2")).await,
        "2001",
    );

    let answer = call(&client, &handle, "<CXBJZT><QSXH>0</QSXH></CXBJZT>").await;
    let changes: Vec<&Element> = answer.find("ZTLB").unwrap().find_all("ZZBG").collect();
    assert_eq!(changes.len(), 2, "{answer:#?}");
    assert_eq!(
        (
            text(changes[0], "XH"),
            text(changes[0], "ZZBH"),
            text(changes[0], "ZZZT")
        ),
        ("1", shop.as_str(), "3")
    );
    assert_eq!(text(changes[0], "BGYY"), "股东会决议解散，注销登记已核准");
    assert_eq!(text(changes[0].find("ZZ").unwrap(), "ZZZT"), "3");
    assert_eq!(
        (text(changes[1], "XH"), text(changes[1], "ZZZT")),
        ("2", "2")
    );
    assert!(text(changes[1], "BGYY").contains("吊销"));
    assert!(text(changes[1], "BGSJ").ends_with('秒'));
    handle.shutdown().await;
}

#[tokio::test]
async fn errors_are_answered_with_codes() {
    let (handle, client) = start().await;
    let unknown = bjsb(
        "E-1",
        "330122-SCJG-XK-999",
        "1",
        "330122199001011234",
        "张三",
        &[],
    );
    let answer = call(&client, &handle, &unknown).await;
    assert_code(&answer, "2001");
    assert!(text(&answer, "FHXX").contains("330122-SCJG-XK-999"));

    let no_ptbjbh = call(
        &client,
        &handle,
        "<BJSB><SXBM>330122-SCJG-XK-001</SXBM></BJSB>",
    )
    .await;
    assert_code(&no_ptbjbh, "1001");
    assert!(text(&no_ptbjbh, "FHXX").contains("PTBJBH"));
    let no_sqr = call(
        &client,
        &handle,
        "<BJSB><PTBJBH>E-2</PTBJBH><SXBM>330122-SCJG-XK-001</SXBM></BJSB>",
    )
    .await;
    assert_code(&no_sqr, "1001");
    assert!(text(&no_sqr, "FHXX").contains("SQR"));

    let unknown_op = call(&client, &handle, "<CXHELLO/>").await;
    assert_eq!(unknown_op.name, "CXHELLOResponse");
    assert_code(&unknown_op, "1001");

    let broken = post_bytes(
        &client,
        &handle,
        gbk::encode("<soap:Envelope><soap:Body><CXSXQD>").unwrap(),
        "GBK",
    )
    .await;
    assert_eq!(broken.status, StatusCode::OK);
    let answer = parse_answer(&broken.body);
    assert_code(&answer, "1001");
    assert!(text(&answer, "FHXX").contains("XML"), "{answer:#?}");

    // GBK bytes that claim to be UTF-8 are not silently misread.
    let mislabelled =
        gbk::encode(&envelope("<CXZZ><TYSHXYDM>中文</TYSHXYDM></CXZZ>").replace("GBK", "UTF-8"))
            .unwrap();
    let answer = parse_answer(
        &post_bytes(&client, &handle, mislabelled, "UTF-8")
            .await
            .body,
    );
    assert_code(&answer, "1001");
    assert!(text(&answer, "FHXX").contains("编码"));

    // A request that honestly declares UTF-8 is read as UTF-8.
    let utf8 = envelope("<CXZZ><TYSHXYDM>中文</TYSHXYDM></CXZZ>").replace("GBK", "UTF-8");
    let answer = parse_answer(
        &post_bytes(&client, &handle, utf8.into_bytes(), "UTF-8")
            .await
            .body,
    );
    assert_code(&answer, "0000");
    assert_eq!(answer.find("ZZLB").unwrap().children.len(), 0);

    // Seeded enterprises include a revoked one, reported with ZZZT 2.
    let seeded = format!(
        "91330122697004128{}",
        credit_code::check_char("91330122697004128").unwrap()
    );
    let answer = call(
        &client,
        &handle,
        &format!("<CXZZ><TYSHXYDM>{seeded}</TYSHXYDM></CXZZ>"),
    )
    .await;
    let zz = answer.find("ZZLB").unwrap().find("ZZ").unwrap();
    assert_eq!(text(zz, "ZZZT"), "2");
    let other_type = call(
        &client,
        &handle,
        &format!("<YZZZ><ZZLXDM>SPJYXKZ</ZZLXDM><ZZBH>{seeded}</ZZBH></YZZZ>"),
    )
    .await;
    assert_code(&other_type, "0000");
    assert_eq!(other_type.find("ZZLB").unwrap().children.len(), 0);
    handle.shutdown().await;
}

#[tokio::test]
async fn faults_behave_as_specified() {
    let (handle, client) = start().await;
    let normal = post_raw(&client, &handle, "<CXSXQD/>").await;
    assert_eq!(normal.status, StatusCode::OK);

    assert_eq!(
        put_fault(&client, &handle, r#"{"mode": "truncated"}"#).await,
        StatusCode::OK
    );
    let cut = post_raw(&client, &handle, "<CXSXQD/>").await;
    assert_eq!(cut.status, StatusCode::OK);
    assert_eq!(cut.body.len(), normal.body.len() / 2);
    assert_eq!(cut.content_length, Some(cut.body.len()));
    assert_eq!(&cut.body[..], &normal.body[..cut.body.len()]);

    assert_eq!(
        put_fault(&client, &handle, r#"{"mode": "wrong-encoding"}"#).await,
        StatusCode::OK
    );
    let wrong = post_raw(&client, &handle, "<CXSXQD/>").await;
    assert_eq!(wrong.content_type, "text/xml; charset=UTF-8");
    assert!(
        wrong
            .body
            .starts_with(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
    );
    assert!(
        std::str::from_utf8(&wrong.body).is_err(),
        "the bytes must still be GBK"
    );
    assert!(gbk::decode(&wrong.body).unwrap().contains("企业设立登记"));

    handle.set_fault(Fault::MissingElement);
    let missing = parse_answer(&post_raw(&client, &handle, "<CXSXQD/>").await.body);
    let matters: Vec<&Element> = missing.find("SXLB").unwrap().find_all("SX").collect();
    assert!(matters[0].find("SXMC").is_none());
    assert!(matters[1].find("SXMC").is_some());
    let submitted = parse_answer(
        &post_raw(
            &client,
            &handle,
            &bjsb("F-1", SETUP, "1", "330122199001011234", "张三", &[]),
        )
        .await
        .body,
    );
    assert_code(&submitted, "0000");
    assert!(submitted.find("YWLSH").is_none());

    assert_eq!(
        put_fault(&client, &handle, r#"{"mode": "down"}"#).await,
        StatusCode::OK
    );
    let down = post_raw(&client, &handle, "<CXSXQD/>").await;
    assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(down.content_type.starts_with("text/html"));
    assert!(String::from_utf8_lossy(&down.body).contains("Service Unavailable"));
    // The admin side keeps working while the legacy side is down.
    assert_eq!(stats(&client, &handle).await.submissions, 1);

    assert_eq!(
        put_fault(&client, &handle, r#"{"mode": "slow", "delay_ms": 200}"#).await,
        StatusCode::OK
    );
    let started = std::time::Instant::now();
    assert_eq!(
        post_raw(&client, &handle, "<CXSXQD/>").await.status,
        StatusCode::OK
    );
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert!(
        put_fault(&client, &handle, r#"{"mode": "slow"}"#)
            .await
            .is_client_error()
    );
    assert!(
        put_fault(&client, &handle, r#"{"mode": "sideways"}"#)
            .await
            .is_client_error()
    );

    assert_eq!(
        put_fault(&client, &handle, r#"{"mode": "none"}"#).await,
        StatusCode::OK
    );
    let again = post_raw(&client, &handle, "<CXSXQD/>").await;
    assert_eq!(again.body, normal.body);
    assert_eq!(stats(&client, &handle).await.requests, 8);
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
    let failed = post_raw(&client, &handle, "<CXSXQD/>").await;
    assert_eq!(failed.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(started.elapsed() >= Duration::from_millis(100));
    assert_eq!(handle.stats().requests, 1);

    let addr = handle.addr();
    assert!(handle.endpoint().ends_with("/ws/djzc"));
    handle.shutdown().await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "port still open"
    );

    assert!(
        market_supervision::start(
            local(),
            Config {
                fail_rate: 1.5,
                ..Config::default()
            }
        )
        .await
        .is_err()
    );
}

#[tokio::test]
async fn status_changes_are_pushed_signed_to_the_platforms_hook() {
    use hmac::Mac as _;
    // A stand-in for the platform's hook that keeps what it is sent.
    type Received = std::sync::Arc<std::sync::Mutex<Vec<(axum::http::HeaderMap, Vec<u8>)>>>;
    let received = Received::default();
    let keep = received.clone();
    let hook = axum::Router::new().route(
        "/hooks/market-supervision",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| async move {
                keep.lock().unwrap().push((headers, body.to_vec()));
                "{}"
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind(local()).await.unwrap();
    let url = format!(
        "http://{}/hooks/market-supervision",
        listener.local_addr().unwrap()
    );
    tokio::spawn(async move { axum::serve(listener, hook).await.unwrap() });
    let secret = "a-hook-secret-of-at-least-32-characters";
    let (handle, client) = start_with(Config {
        stage: STAGE,
        push: Some(market_supervision::Push {
            url,
            secret: secret.into(),
        }),
        ..Config::default()
    })
    .await;
    let request = bjsb(
        "20261127-000321",
        SETUP,
        "1",
        "330122199001011234",
        "张三",
        &[
            ("企业名称", "桐庐云栖数字科技有限公司"),
            ("法定代表人", "张三"),
        ],
    );
    assert_code(&call(&client, &handle, &request).await, "0000");
    let polled = changes_until_done(&client, &handle, "20261127-000321").await;

    // Every change CXBJZT reports is pushed too, with the same sequence numbers.
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let pushed = loop {
        let pushes = received.lock().unwrap().clone();
        let mut records = Vec::new();
        for (headers, body) in &pushes {
            let header = |name: &str| headers[name].to_str().unwrap().to_owned();
            assert_eq!(header("content-type"), "text/xml; charset=GBK");
            let timestamp = header("x-onewindow-timestamp");
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs();
            assert!(now.abs_diff(timestamp.parse().unwrap()) < 30, "{timestamp}");
            let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
            mac.update(format!("{timestamp}.").as_bytes());
            mac.update(body);
            assert_eq!(
                header("x-onewindow-signature"),
                format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
            );
            let text = gbk::decode(body).unwrap();
            let document = soap::operation(&text).unwrap();
            assert_eq!(document.name, "BJZTTZ");
            records.extend(document.find("ZTLB").unwrap().find_all("ZT").cloned());
        }
        if records.len() >= polled.len() {
            break records;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} of {} changes pushed",
            records.len(),
            polled.len()
        );
        tokio::time::sleep(STAGE / 3).await;
    };
    let numbers = |zts: &[Element]| -> Vec<String> {
        zts.iter().map(|zt| text(zt, "XH").to_owned()).collect()
    };
    assert_eq!(numbers(&pushed), numbers(&polled));
    assert_eq!(codes(&pushed), codes(&polled));
    assert!(
        pushed.last().unwrap().find("ZZ").is_some(),
        "06 carries the 营业执照"
    );
    handle.shutdown().await;
}
