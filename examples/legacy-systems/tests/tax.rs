//! End-to-end tests of the 县税务局 mock over real HTTP: GBK form requests,
//! GBK key=value answers.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use legacy_systems::common::soap;
use legacy_systems::tax::{self, Config, Fault, Handle, Stats};
use legacy_systems::{common::xml::Element, market_supervision};
use onewindow_codes::{credit_code, gbk};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE};

const STAGE: Duration = Duration::from_millis(30);
const DEADLINE: Duration = Duration::from_secs(10);
const FORM: &str = "application/x-www-form-urlencoded; charset=GBK";

fn local() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

async fn start_with(config: Config) -> (Handle, reqwest::Client) {
    let handle = tax::start(local(), config).await.unwrap();
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

/// Percent-encodes `bytes` as an HTML form does.
fn percent(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                char::from(b).to_string()
            }
            b' ' => "+".to_owned(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

/// A form body with GBK values.
fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                percent(&gbk::encode(k).unwrap()),
                percent(&gbk::encode(v).unwrap())
            )
        })
        .collect::<Vec<_>>()
        .join("&")
        .into_bytes()
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

async fn post_raw(client: &reqwest::Client, handle: &Handle, pairs: &[(&str, &str)]) -> Raw {
    post_bytes(client, handle, form(pairs), FORM).await
}

type Lines = BTreeMap<String, String>;

/// Reads GBK key=value lines, checking the closing line.
fn parse_lines(body: &[u8]) -> Lines {
    let text = gbk::decode(body).unwrap();
    assert!(text.ends_with("\r\njsbz=1\r\n"), "{text}");
    let mut lines = Lines::new();
    for line in text.split("\r\n").filter(|l| !l.is_empty()) {
        let (key, value) = line.split_once('=').unwrap();
        let value = value
            .replace("\\n", "\n")
            .replace("\\r", "\r")
            .replace("\\\\", "\\");
        assert!(lines.insert(key.to_owned(), value).is_none(), "{key} twice");
    }
    lines
}

/// Posts a request and returns the answer's lines, checking the GBK framing.
async fn call(client: &reqwest::Client, handle: &Handle, pairs: &[(&str, &str)]) -> Lines {
    let raw = post_raw(client, handle, pairs).await;
    assert_eq!(raw.status, StatusCode::OK);
    assert_eq!(raw.content_type, "text/plain; charset=GBK");
    parse_lines(&raw.body)
}

fn get<'a>(lines: &'a Lines, key: &str) -> &'a str {
    lines
        .get(key)
        .unwrap_or_else(|| panic!("no {key} in {lines:#?}"))
}

fn assert_code(lines: &Lines, code: &str) {
    assert_eq!(get(lines, "fhdm"), code, "{lines:#?}");
}

async fn stats(client: &reqwest::Client, handle: &Handle) -> Stats {
    let url = format!("http://{}/_mock/stats", handle.addr());
    client.get(url).send().await.unwrap().json().await.unwrap()
}

async fn mock_case(
    client: &reqwest::Client,
    handle: &Handle,
    reference: &str,
) -> serde_json::Value {
    client
        .get(format!("http://{}/_mock/cases/{reference}", handle.addr()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
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

const INVOICES: &str = "330122-SW-FP-001";
const SXQD: &[(&str, &str)] = &[
    ("jylx", "SXQD"),
    ("qdbs", "YWTB"),
    ("yb", "0"),
    ("mys", "50"),
];

fn code_of(body: &str) -> String {
    format!("{body}{}", credit_code::check_char(body).unwrap())
}

/// A `BJSB` of 发票申领 by an organization, reusing its 营业执照 and the agent's 居民身份证.
fn bjsb(
    ptbjbh: &str,
    sxbm: &str,
    nsrsbh: &str,
    nsrmc: &str,
    extra: &[(&str, &str)],
) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = [
        ("jylx", "BJSB"),
        ("qdbs", "YWTB"),
        ("ptbjbh", ptbjbh),
        ("sxbm", sxbm),
        ("sqrlx", "2"),
        ("sqrzjhm", nsrsbh),
        ("sqrmc", nsrmc),
        ("slsj", "2026-11-27 14:03:05"),
        ("fj.ts", "1"),
        ("fj.1.clbm", "003"),
        ("fj.1.wjm", "票种核定表.pdf"),
        ("fj.1.lx", "application/pdf"),
        ("fj.1.nr", "JVBERi0xLjQK"),
        ("zz.ts", "2"),
        ("zz.1.clbm", "001"),
        ("zz.1.zzlxdm", "YYZZ"),
        ("zz.1.zzlxmc", "营业执照"),
        ("zz.1.zzbh", nsrsbh),
        ("zz.1.nsrsbh", nsrsbh),
        ("zz.1.nsrmc", nsrmc),
        ("zz.1.fddbr", "陈晓东"),
        ("zz.1.fzjg", "县市场监督管理局"),
        ("zz.1.fzrq", "2026-11-27"),
        ("zz.1.yxqz", "长期"),
        ("zz.1.zt", "1"),
        ("zz.2.clbm", "002"),
        ("zz.2.zzlxmc", "居民身份证"),
        ("zz.2.zzbh", "330122199203154327"),
        ("zz.2.nsrsbh", "330122199203154327"),
        ("zz.2.nsrmc", "李堃"),
        ("zz.2.fzjg", "桐庐县公安局"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    pairs.push(("bd.ts".to_owned(), extra.len().to_string()));
    for (i, (name, value)) in extra.iter().enumerate() {
        pairs.push((format!("bd.{}.mc", i + 1), (*name).to_owned()));
        pairs.push((format!("bd.{}.z", i + 1), (*value).to_owned()));
    }
    pairs
}

fn pairs(owned: &[(String, String)]) -> Vec<(&str, &str)> {
    owned
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// Polls `BJZT` until the case has reached 50 and returns its changes (as `zt.N.` prefixes' lines).
async fn changes_until_done(client: &reqwest::Client, handle: &Handle, ptbjbh: &str) -> Vec<Lines> {
    changes_until(client, handle, ptbjbh, "50").await
}

/// Polls `BJZT` until the case's latest change is `ztdm` and returns its changes.
async fn changes_until(
    client: &reqwest::Client,
    handle: &Handle,
    ptbjbh: &str,
    ztdm: &str,
) -> Vec<Lines> {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let mut after = 0_u64;
    let mut mine = Vec::new();
    loop {
        let yb = after.to_string();
        let answer = call(
            client,
            handle,
            &[
                ("jylx", "BJZT"),
                ("qdbs", "YWTB"),
                ("yb", &yb),
                ("mys", "100"),
            ],
        )
        .await;
        assert_code(&answer, "0");
        let count: usize = get(&answer, "zt.ts").parse().unwrap();
        for i in 1..=count {
            let prefix = format!("zt.{i}.");
            let change: Lines = answer
                .iter()
                .filter_map(|(k, v)| k.strip_prefix(&prefix).map(|k| (k.to_owned(), v.clone())))
                .collect();
            let xh: u64 = get(&change, "xh").parse().unwrap();
            assert!(xh > after, "xh {xh} not after {after}");
            after = xh;
            if get(&change, "ptbjbh") == ptbjbh {
                mine.push(change);
            }
        }
        assert_eq!(get(&answer, "xyb"), after.to_string());
        if mine.last().is_some_and(|c| get(c, "ztdm") == ztdm) {
            return mine;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "case {ptbjbh} never finished: {mine:#?}"
        );
        tokio::time::sleep(STAGE / 3).await;
    }
}

fn codes(changes: &[Lines]) -> Vec<&str> {
    changes.iter().map(|c| get(c, "ztdm")).collect()
}

/// A `BJBZ` for the case `ptbjbh` with one file for material `clbm`.
fn bjbz<'a>(ptbjbh: &'a str, clbm: &'a str, content: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("jylx", "BJBZ"),
        ("qdbs", "YWTB"),
        ("ptbjbh", ptbjbh),
        ("bzsm", "补交签章的票种核定表"),
        ("fj.ts", "1"),
        ("fj.1.clbm", clbm),
        ("fj.1.wjm", "票种核定表（签章）.pdf"),
        ("fj.1.lx", "application/pdf"),
        ("fj.1.nr", content),
    ]
}

#[tokio::test]
async fn catalogue_pages_realistic_matters_in_gbk() {
    let (handle, client) = start().await;
    let raw = post_raw(&client, &handle, SXQD).await;
    assert!(
        std::str::from_utf8(&raw.body).is_err(),
        "answer should be GBK, not UTF-8"
    );
    let name = gbk::encode("发票申领").unwrap();
    assert!(raw.body.windows(name.len()).any(|w| w == name));
    let whole = parse_lines(&raw.body);
    assert_code(&whole, "0");
    let total: usize = get(&whole, "sx.ts").parse().unwrap();
    assert!(total >= 6, "{total} matters");
    assert_eq!(get(&whole, "sfyhy"), "N");
    assert_eq!(get(&whole, "xyb"), total.to_string());

    // The same matters three at a time.
    let mut cursor = 0;
    let mut paged = Vec::new();
    loop {
        let yb = cursor.to_string();
        let page = call(
            &client,
            &handle,
            &[
                ("jylx", "SXQD"),
                ("qdbs", "YWTB"),
                ("yb", &yb),
                ("mys", "3"),
            ],
        )
        .await;
        let n: usize = get(&page, "sx.ts").parse().unwrap();
        assert!(n <= 3);
        for i in 1..=n {
            paged.push(get(&page, &format!("sx.{i}.bm")).to_owned());
        }
        cursor = get(&page, "xyb").parse().unwrap();
        if get(&page, "sfyhy") == "N" {
            break;
        }
    }
    let all: Vec<String> = (1..=total)
        .map(|i| get(&whole, &format!("sx.{i}.bm")).to_owned())
        .collect();
    assert_eq!(paged, all);

    for i in 1..=total {
        let key = |k: &str| format!("sx.{i}.{k}");
        assert!(["XK", "QR", "GF", "CJ", "JL", "QT", "GG"].contains(&get(&whole, &key("sxlx"))));
        assert_eq!(get(&whole, &key("ssjg")), "县税务局");
        assert!(get(&whole, &key("bm")).starts_with("330122-SW-"));
        let legal: u32 = get(&whole, &key("fdsx")).parse().unwrap();
        let promised: u32 = get(&whole, &key("cnsx")).parse().unwrap();
        assert!(promised <= legal, "{}", get(&whole, &key("mc")));
        assert!(["Y", "N"].contains(&get(&whole, &key("wb"))));
        let materials: usize = get(&whole, &key("cl.ts")).parse().unwrap();
        assert!(materials >= 1);
    }
    let invoices = (1..=total)
        .find(|i| get(&whole, &format!("sx.{i}.bm")) == INVOICES)
        .expect("发票申领 is in the catalogue");
    let key = |k: &str| format!("sx.{invoices}.{k}");
    assert_eq!(get(&whole, &key("mc")), "发票申领");
    assert_eq!(get(&whole, &key("cnsx")), "1");
    assert_eq!(get(&whole, &key("cl.1.mc")), "营业执照");
    assert_eq!(get(&whole, &key("cl.1.zzlx")), "营业执照");
    assert_eq!(get(&whole, &key("cl.2.mc")), "经办人身份证件");
    assert_eq!(get(&whole, &key("cl.2.zzlx")), "居民身份证");
    // The form: what the 发票领用 record is made of, each with its default.
    let fields: usize = get(&whole, &key("bd.ts")).parse().unwrap();
    let form: Vec<(&str, &str, &str)> = (1..=fields)
        .map(|k| {
            (
                get(&whole, &key(&format!("bd.{k}.mc"))),
                get(&whole, &key(&format!("bd.{k}.lx"))),
                get(&whole, &key(&format!("bd.{k}.bt"))),
            )
        })
        .collect();
    assert_eq!(
        form,
        [
            ("发票种类", "XZ", "N"),
            ("单份发票最高开票限额", "XZ", "N"),
            ("每月最高领用数量", "WB", "N"),
            ("领用方式", "XZ", "N"),
            ("经办人", "WB", "N"),
            ("法定代表人", "WB", "N"),
        ]
    );
    assert_eq!(get(&whole, &key("bd.1.xx.ts")), "3");
    assert_eq!(
        get(&whole, &key("bd.1.xx.1.z")),
        "数电发票（增值税普通发票）"
    );
    assert_eq!(get(&whole, &key("bd.6.ly")), "FDDBR");
    assert!(!whole.values().any(|v| v == "模拟结果"));
    let names: Vec<&str> = (1..=total)
        .map(|i| get(&whole, &format!("sx.{i}.mc")))
        .collect();
    for name in [
        "税务登记信息确认",
        "发票票种核定",
        "清税申报",
        "代开增值税发票",
    ] {
        assert!(names.contains(&name), "{name}");
    }
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("增值税专用发票") && n.ends_with("最高开票限额审批"))
    );
    handle.shutdown().await;
}

/// The taxpayers are the enterprises of the market-supervision mock, by code and name.
#[tokio::test]
async fn seeded_taxpayers_are_the_registered_enterprises() {
    let (handle, client) = start().await;
    let market = market_supervision::start(local(), Config::default())
        .await
        .unwrap();
    let (taxpayers, records) = tax::register::seed();
    assert!(taxpayers.len() >= 15);
    assert!(records.len() >= 10);
    for taxpayer in &taxpayers {
        credit_code::validate(&taxpayer.nsrsbh).unwrap();
        let envelope = soap::envelope(
            &Element::new("CXZZ").field("TYSHXYDM", &taxpayer.nsrsbh),
            "GBK",
        );
        let answer = client
            .post(market.endpoint())
            .header(CONTENT_TYPE, "text/xml; charset=GBK")
            .body(gbk::encode(&envelope).unwrap())
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let answer = soap::operation(&gbk::decode(&answer).unwrap()).unwrap();
        let enterprise = answer
            .find("ZZLB")
            .and_then(|l| l.find("ZZ"))
            .unwrap_or_else(|| {
                panic!(
                    "{} is not registered at market supervision",
                    taxpayer.nsrsbh
                )
            });
        assert_eq!(enterprise.text_of("QYMC"), Some(taxpayer.nsrmc.as_str()));

        let held = call(
            &client,
            &handle,
            &[
                ("jylx", "FPCX"),
                ("qdbs", "YWTB"),
                ("nsrsbh", &taxpayer.nsrsbh),
            ],
        )
        .await;
        assert_code(&held, "0");
        let n: usize = get(&held, "ly.ts").parse().unwrap();
        assert_eq!(
            n,
            records
                .iter()
                .filter(|r| r.nsrsbh == taxpayer.nsrsbh)
                .count()
        );
        for i in 1..=n {
            assert_eq!(get(&held, &format!("ly.{i}.nsrsbh")), taxpayer.nsrsbh);
            assert_eq!(get(&held, &format!("ly.{i}.zzlxdm")), "FPLY");
        }
    }
    // Rare characters travel as GBK: 钟镕 is the agent of 杭州桐江智能装备股份有限公司.
    let code = code_of("91330122MA28K7R3B");
    let raw = post_raw(
        &client,
        &handle,
        &[("jylx", "FPCX"), ("qdbs", "YWTB"), ("nsrsbh", &code)],
    )
    .await;
    let rare = gbk::encode("钟镕").unwrap();
    assert!(raw.body.windows(rare.len()).any(|w| w == rare));
    let held = parse_lines(&raw.body);
    assert_eq!(get(&held, "ly.ts"), "2");
    assert_eq!(get(&held, "ly.1.jbr"), "钟镕");
    // The deregistered taxpayer's record is cancelled (2), the abnormal one's lapsed (3).
    for (body, status) in [("91330122682902743", "2"), ("91330122697004128", "3")] {
        let held = call(
            &client,
            &handle,
            &[
                ("jylx", "FPCX"),
                ("qdbs", "YWTB"),
                ("nsrsbh", &code_of(body)),
            ],
        )
        .await;
        assert_eq!(get(&held, "ly.1.zt"), status);
    }
    let number = get(&held, "ly.1.zzbh").to_owned();
    let verified = call(
        &client,
        &handle,
        &[
            ("jylx", "FPYZ"),
            ("qdbs", "YWTB"),
            ("zzlxdm", "FPLY"),
            ("zzbh", &number),
        ],
    )
    .await;
    assert_code(&verified, "0");
    assert_eq!(get(&verified, "ly.ts"), "1");
    assert_eq!(get(&verified, "ly.1.zzbh"), number);
    market.shutdown().await;
    handle.shutdown().await;
}

#[tokio::test]
async fn submission_is_idempotent_and_issues_an_invoice_record() {
    let (handle, client) = start().await;
    // A new enterprise, as in the 开办企业 theme: not yet registered for tax.
    let nsrsbh = code_of("91330122MA2T0C1K8");
    let owned = bjsb(
        "20261127-000123",
        INVOICES,
        &nsrsbh,
        "桐庐晓东茶业有限公司",
        &[
            ("每月最高领用数量", "50份"),
            ("备注", "第一行\n第二行\\结束"),
        ],
    );
    let request = pairs(&owned);
    let first = call(&client, &handle, &request).await;
    assert_code(&first, "0");
    let ywlsh = get(&first, "ywlsh").to_owned();
    assert!(
        ywlsh.starts_with("SW330122")
            && ywlsh.len() == 20
            && ywlsh[2..].bytes().all(|b| b.is_ascii_digit()),
        "{ywlsh}"
    );
    let again = call(&client, &handle, &request).await;
    assert_code(&again, "0");
    assert_eq!(get(&again, "ywlsh"), ywlsh);
    assert!(get(&again, "fhxx").contains("重复"));

    let counted = stats(&client, &handle).await;
    assert_eq!(
        (counted.submissions, counted.cases, counted.duplicates),
        (1, 1, 1)
    );
    assert_eq!(counted.requests, 2);
    assert_eq!(handle.stats(), counted);

    let changes = changes_until_done(&client, &handle, "20261127-000123").await;
    assert_eq!(codes(&changes), ["10", "30", "50"]);
    assert!(changes.iter().all(|c| get(c, "ywlsh") == ywlsh));
    assert_eq!(get(&changes[0], "blyj"), "已受理，资料齐全，进入审核");
    let blsj = get(&changes[0], "blsj");
    assert!(
        onewindow_codes::date::parse_datetime(blsj).is_ok() && blsj.len() == 19,
        "{blsj}"
    );
    assert!(changes[..2].iter().all(|c| !c.contains_key("ly.zzbh")));
    let done = &changes[2];
    let number = get(done, "ly.zzbh").to_owned();
    assert!(
        number.starts_with("FPLY330122") && number.len() == 22,
        "{number}"
    );
    assert_eq!(get(done, "ly.zzlxdm"), "FPLY");
    assert_eq!(get(done, "ly.zzlxmc"), "发票领用");
    assert_eq!(get(done, "ly.nsrsbh"), nsrsbh);
    assert_eq!(get(done, "ly.nsrmc"), "桐庐晓东茶业有限公司");
    assert_eq!(get(done, "ly.fzjg"), "县税务局");
    assert_eq!(get(done, "ly.yxqz"), "长期");
    assert_eq!(get(done, "ly.zt"), "1");
    assert_eq!(get(done, "ly.myzgsl"), "50份");
    // The agent comes from the reused 居民身份证.
    assert_eq!(get(done, "ly.jbr"), "李堃");
    assert!(get(done, "blyj").contains(&number));

    let held = call(
        &client,
        &handle,
        &[("jylx", "FPCX"), ("qdbs", "YWTB"), ("nsrsbh", &nsrsbh)],
    )
    .await;
    assert_code(&held, "0");
    assert_eq!(get(&held, "ly.ts"), "1");
    assert_eq!(get(&held, "ly.1.zzbh"), number);
    let verified = call(
        &client,
        &handle,
        &[
            ("jylx", "FPYZ"),
            ("qdbs", "YWTB"),
            ("zzlxdm", "FPLY"),
            ("zzbh", &number),
        ],
    )
    .await;
    assert_eq!(get(&verified, "ly.1.nsrmc"), "桐庐晓东茶业有限公司");

    // Paging: one change per page, then an empty page past the end.
    let page = call(
        &client,
        &handle,
        &[
            ("jylx", "BJZT"),
            ("qdbs", "YWTB"),
            ("yb", "0"),
            ("mys", "1"),
        ],
    )
    .await;
    assert_eq!(get(&page, "zt.ts"), "1");
    assert_eq!((get(&page, "xyb"), get(&page, "sfyhy")), ("1", "Y"));
    let last = get(done, "xh").to_owned();
    let past = call(
        &client,
        &handle,
        &[("jylx", "BJZT"), ("qdbs", "YWTB"), ("yb", &last)],
    )
    .await;
    assert_eq!(get(&past, "zt.ts"), "0");
    assert_eq!(
        (get(&past, "xyb"), get(&past, "sfyhy")),
        (last.as_str(), "N")
    );

    // The stored case shows the reused licenses in the system's own terms.
    let case = mock_case(&client, &handle, "20261127-000123").await;
    assert_eq!(case["ywlsh"], ywlsh.as_str());
    assert_eq!(case["status"], "50");
    assert_eq!(case["finished"], true);
    assert_eq!(case["issued_record"], number.as_str());
    assert_eq!(case["resubmissions"], 1);
    assert_eq!(case["slsj"], "2026-11-27 14:03:05");
    assert_eq!(case["attachments"][0]["size"], 9);
    assert_eq!(case["form"][1]["z"], "第一行\n第二行\\结束");
    let license = &case["licenses"][0];
    assert_eq!(license["zzlxmc"], "营业执照");
    assert_eq!(license["zzbh"], nsrsbh.as_str());
    assert_eq!(license["nsrsbh"], nsrsbh.as_str());
    assert_eq!(license["nsrmc"], "桐庐晓东茶业有限公司");
    assert_eq!(license["fddbr"], "陈晓东");
    assert_eq!(license["fzjg"], "县市场监督管理局");
    assert_eq!(case["licenses"][1]["nsrmc"], "李堃");
    assert_eq!(
        mock_case(&client, &handle, &ywlsh).await["ptbjbh"],
        "20261127-000123"
    );
    let missing = client
        .get(format!("http://{}/_mock/cases/nope", handle.addr()))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    handle.shutdown().await;
}

#[tokio::test]
async fn denial_and_supplement_paths() {
    let (handle, client) = start().await;
    let seeded = code_of("91330122MA2H3G0K1");
    let denied = bjsb(
        "D-1",
        INVOICES,
        &seeded,
        "杭州富春山水民宿管理有限公司",
        &[("模拟结果", "不予核准")],
    );
    assert_code(&call(&client, &handle, &pairs(&denied)).await, "0");
    let supplemented = bjsb(
        "S-1",
        INVOICES,
        &seeded,
        "杭州富春山水民宿管理有限公司",
        &[("模拟结果", "补正")],
    );
    assert_code(&call(&client, &handle, &pairs(&supplemented)).await, "0");
    let other = bjsb(
        "S-2",
        "330122-SW-XK-001",
        &seeded,
        "杭州富春山水民宿管理有限公司",
        &[("模拟结果", "不予许可")],
    );
    assert_code(&call(&client, &handle, &pairs(&other)).await, "0");

    let denial = changes_until_done(&client, &handle, "D-1").await;
    assert_eq!(codes(&denial), ["10", "40", "50"]);
    assert!(denial.iter().all(|c| !c.contains_key("ly.zzbh")));
    assert!(get(&denial[1], "blyj").contains("不予核准"));

    // The case waits at 20 for the materials, however many stages pass.
    let waiting = changes_until(&client, &handle, "S-1", "20").await;
    assert!(get(&waiting[1], "blyj").contains("请补正"));
    tokio::time::sleep(STAGE * 5).await;
    assert_eq!(mock_case(&client, &handle, "S-1").await["status"], "20");

    let wrong = call(&client, &handle, &bjbz("S-1", "099", "JVBERi0xLjQK")).await;
    assert_code(&wrong, "1002");
    assert!(get(&wrong, "fhxx").contains("099"));
    let not_asked = call(&client, &handle, &bjbz("D-1", "003", "JVBERi0xLjQK")).await;
    assert_code(&not_asked, "3003");
    assert!(get(&not_asked, "fhxx").contains("未通知补正"));
    assert_code(
        &call(&client, &handle, &bjbz("X-9", "003", "JVBERi0xLjQK")).await,
        "2001",
    );
    assert_code(
        &call(
            &client,
            &handle,
            &[("jylx", "BJBZ"), ("qdbs", "YWTB"), ("ptbjbh", "S-1")],
        )
        .await,
        "1001",
    );

    let handed_in = call(&client, &handle, &bjbz("S-1", "003", "JVBERi0xLjQK")).await;
    assert_code(&handed_in, "0");
    let again = call(&client, &handle, &bjbz("S-1", "003", "JVBERi0xLjQK")).await;
    assert_code(&again, "0");
    assert!(get(&again, "fhxx").contains("未重复处理"));
    let other = call(&client, &handle, &bjbz("S-1", "003", "JVBERi0xLjUK")).await;
    assert_code(&other, "3003");

    let supplement = changes_until_done(&client, &handle, "S-1").await;
    assert_eq!(codes(&supplement), ["10", "20", "10", "30", "50"]);
    assert_eq!(get(&supplement[2], "blyj"), "补正资料已收到，继续审核");
    let case = mock_case(&client, &handle, "S-1").await;
    assert_eq!(case["supplements"][0]["bzsm"], "补交签章的票种核定表");
    assert_eq!(case["supplements"][0]["fj"][0]["clbm"], "003");
    assert_eq!(case["supplements"][0]["fj"][0]["size"], 9);
    assert_eq!(case["repeated_supplements"], 1);
    // A seeded taxpayer gets a further record beside its existing one.
    assert_eq!(
        get(&supplement[4], "ly.nsrmc"),
        "杭州富春山水民宿管理有限公司"
    );
    let held = call(
        &client,
        &handle,
        &[("jylx", "FPCX"), ("qdbs", "YWTB"), ("nsrsbh", &seeded)],
    )
    .await;
    assert_eq!(get(&held, "ly.ts"), "2");

    let limit = changes_until_done(&client, &handle, "S-2").await;
    assert_eq!(codes(&limit), ["10", "40", "50"]);
    handle.shutdown().await;
}

#[tokio::test]
async fn withdrawals_stop_undecided_cases_and_decided_ones_refuse() {
    let (handle, client) = start().await;
    let seeded = code_of("91330122MA2H3G0K1");
    for ptbjbh in ["W-1", "W-2"] {
        let request = bjsb(
            ptbjbh,
            INVOICES,
            &seeded,
            "杭州富春山水民宿管理有限公司",
            &[],
        );
        assert_code(&call(&client, &handle, &pairs(&request)).await, "0");
    }
    let withdraw = |ptbjbh: &'static str| {
        [
            ("jylx", "BJCH"),
            ("qdbs", "YWTB"),
            ("ptbjbh", ptbjbh),
            ("chyy", "纳税人决定暂不申领"),
        ]
    };
    assert_code(&call(&client, &handle, &withdraw("W-1")).await, "0");
    let again = call(&client, &handle, &withdraw("W-1")).await;
    assert_code(&again, "0");
    assert!(get(&again, "fhxx").contains("此前已撤回"));

    let decided = changes_until_done(&client, &handle, "W-2").await;
    assert_eq!(codes(&decided), ["10", "30", "50"]);
    let refused = call(&client, &handle, &withdraw("W-2")).await;
    assert_code(&refused, "3003");
    assert!(get(&refused, "fhxx").contains("不能撤回"), "{refused:#?}");
    assert_code(&call(&client, &handle, &withdraw("X-9")).await, "2001");
    let no_reason = call(
        &client,
        &handle,
        &[("jylx", "BJCH"), ("qdbs", "YWTB"), ("ptbjbh", "W-1")],
    )
    .await;
    assert_code(&no_reason, "1001");

    tokio::time::sleep(STAGE * 5).await;
    let case = mock_case(&client, &handle, "W-1").await;
    assert_eq!(case["status"], "60");
    assert_eq!(case["status_name"], "已撤回");
    assert_eq!(case["withdrawal"]["chyy"], "纳税人决定暂不申领");
    assert!(case["history"].as_array().unwrap().len() <= 2);
    assert!(case["issued_record"].is_null());
    handle.shutdown().await;
}

#[tokio::test]
async fn errors_are_answered_with_codes() {
    let (handle, client) = start().await;
    let check = |lines: Lines, code: &str, part: &str| {
        assert_code(&lines, code);
        assert!(get(&lines, "fhxx").contains(part), "{part}: {lines:#?}");
    };
    check(
        call(&client, &handle, &[("qdbs", "YWTB")]).await,
        "1001",
        "jylx",
    );
    check(
        call(&client, &handle, &[("jylx", "SXQD")]).await,
        "1001",
        "qdbs",
    );
    check(
        call(&client, &handle, &[("jylx", "CXHELLO"), ("qdbs", "YWTB")]).await,
        "1003",
        "CXHELLO",
    );
    check(
        call(
            &client,
            &handle,
            &[("jylx", "BJSB"), ("qdbs", "YWTB"), ("sxbm", INVOICES)],
        )
        .await,
        "1001",
        "ptbjbh",
    );
    check(
        call(
            &client,
            &handle,
            &[("jylx", "BJZT"), ("qdbs", "YWTB"), ("mys", "101")],
        )
        .await,
        "1002",
        "mys",
    );

    let nsrsbh = code_of("91330122MA2T0C1K8");
    let unknown = bjsb("E-1", "330122-SW-XX-999", &nsrsbh, "某公司", &[]);
    check(
        call(&client, &handle, &pairs(&unknown)).await,
        "2001",
        "330122-SW-XX-999",
    );
    let bad_code = bjsb("E-2", INVOICES, "913301220000000000", "某公司", &[]);
    check(
        call(&client, &handle, &pairs(&bad_code)).await,
        "1002",
        "913301220000000000",
    );
    let odd = bjsb("E-3", INVOICES, &nsrsbh, "某公司", &[("模拟结果", "随便")]);
    check(
        call(&client, &handle, &pairs(&odd)).await,
        "1002",
        "模拟结果",
    );

    // Business rules.
    let mut person = bjsb("E-4", INVOICES, &nsrsbh, "某公司", &[]);
    for (k, v) in &mut person {
        match k.as_str() {
            "sqrlx" => *v = "1".to_owned(),
            "sqrzjhm" => *v = "330122199203154327".to_owned(),
            _ => {}
        }
    }
    check(
        call(&client, &handle, &pairs(&person)).await,
        "3002",
        "单位纳税人",
    );
    let abnormal = bjsb(
        "E-5",
        INVOICES,
        &code_of("91330122697004128"),
        "桐庐兴旺娱乐有限公司",
        &[],
    );
    check(
        call(&client, &handle, &pairs(&abnormal)).await,
        "3001",
        "非正常户",
    );
    let cancelled = bjsb(
        "E-6",
        "330122-SW-QS-001",
        &code_of("91330122682902743"),
        "杭州桐庐恒昌纺织有限公司",
        &[],
    );
    check(
        call(&client, &handle, &pairs(&cancelled)).await,
        "3001",
        "已注销",
    );
    let unregistered = bjsb("E-7", "330122-SW-FP-002", &nsrsbh, "某公司", &[]);
    check(
        call(&client, &handle, &pairs(&unregistered)).await,
        "2001",
        "未在本局",
    );
    check(
        call(
            &client,
            &handle,
            &[("jylx", "FPCX"), ("qdbs", "YWTB"), ("nsrsbh", &nsrsbh)],
        )
        .await,
        "2001",
        &nsrsbh,
    );
    check(
        call(
            &client,
            &handle,
            &[
                ("jylx", "FPYZ"),
                ("qdbs", "YWTB"),
                ("zzlxdm", "FPLY"),
                ("zzbh", "FPLY330122209901010001"),
            ],
        )
        .await,
        "2001",
        "不存在",
    );
    check(
        call(
            &client,
            &handle,
            &[
                ("jylx", "FPYZ"),
                ("qdbs", "YWTB"),
                ("zzlxdm", "YYZZ"),
                ("zzbh", &nsrsbh),
            ],
        )
        .await,
        "2001",
        "YYZZ",
    );
    assert_eq!(
        stats(&client, &handle).await.cases,
        0,
        "nothing refused is stored"
    );

    // Broken percent-encoding, and GBK bytes that claim to be UTF-8.
    let broken = parse_lines(
        &post_bytes(&client, &handle, b"jylx=SXQD&qdbs=YW%T".to_vec(), FORM)
            .await
            .body,
    );
    check(broken, "1002", "百分号编码");
    let mislabelled = post_bytes(
        &client,
        &handle,
        form(&[("jylx", "FPCX"), ("qdbs", "YWTB"), ("nsrsbh", "中文")]),
        "application/x-www-form-urlencoded; charset=UTF-8",
    )
    .await;
    check(parse_lines(&mislabelled.body), "1004", "编码");
    // A request that honestly declares UTF-8 is read as UTF-8.
    let utf8 = post_bytes(
        &client,
        &handle,
        format!("jylx=FPCX&qdbs=YWTB&nsrsbh={}", percent("中文".as_bytes())).into_bytes(),
        "application/x-www-form-urlencoded; charset=UTF-8",
    )
    .await;
    check(parse_lines(&utf8.body), "2001", "中文");
    handle.shutdown().await;
}

#[tokio::test]
async fn faults_behave_as_specified() {
    let (handle, client) = start().await;
    let normal = post_raw(&client, &handle, SXQD).await;
    assert_eq!(normal.status, StatusCode::OK);

    assert_eq!(
        put_fault(&client, &handle, r#"{"mode": "truncated"}"#).await,
        StatusCode::OK
    );
    let cut = post_raw(&client, &handle, SXQD).await;
    assert_eq!(cut.status, StatusCode::OK);
    assert_eq!(cut.body.len(), normal.body.len() / 2);
    assert_eq!(cut.content_length, Some(cut.body.len()));
    assert_eq!(&cut.body[..], &normal.body[..cut.body.len()]);
    assert!(!cut.body.ends_with(b"jsbz=1\r\n"));

    assert_eq!(
        put_fault(&client, &handle, r#"{"mode": "wrong-encoding"}"#).await,
        StatusCode::OK
    );
    let wrong = post_raw(&client, &handle, SXQD).await;
    assert_eq!(wrong.content_type, "text/plain; charset=UTF-8");
    assert!(
        std::str::from_utf8(&wrong.body).is_err(),
        "the bytes must still be GBK"
    );
    assert_eq!(wrong.body, normal.body);

    handle.set_fault(Fault::MissingElement);
    let missing = parse_lines(&post_raw(&client, &handle, SXQD).await.body);
    assert!(!missing.contains_key("sx.1.mc"));
    assert!(missing.contains_key("sx.2.mc"));
    let owned = bjsb(
        "F-1",
        INVOICES,
        &code_of("91330122MA2T0C1K8"),
        "桐庐新设科技有限公司",
        &[],
    );
    let submitted = call(&client, &handle, &pairs(&owned)).await;
    assert_code(&submitted, "0");
    assert!(!submitted.contains_key("ywlsh"));

    handle.set_fault(Fault::UnknownCode);
    let unknown = parse_lines(&post_raw(&client, &handle, SXQD).await.body);
    assert_eq!(get(&unknown, "sx.1.sxlx"), "ZZ");
    assert_eq!(get(&unknown, "sx.2.sxlx"), "GG");
    let again = call(&client, &handle, &pairs(&owned)).await;
    assert_code(&again, "8001");
    tokio::time::sleep(STAGE * 2).await;
    let page = call(
        &client,
        &handle,
        &[("jylx", "BJZT"), ("qdbs", "YWTB"), ("yb", "0")],
    )
    .await;
    assert_eq!(get(&page, "zt.1.ztdm"), "99");

    handle.set_fault(Fault::EndlessPages);
    let endless = call(
        &client,
        &handle,
        &[
            ("jylx", "SXQD"),
            ("qdbs", "YWTB"),
            ("yb", "0"),
            ("mys", "50"),
        ],
    )
    .await;
    assert_eq!((get(&endless, "xyb"), get(&endless, "sfyhy")), ("0", "Y"));
    let endless = call(
        &client,
        &handle,
        &[("jylx", "BJZT"), ("qdbs", "YWTB"), ("yb", "0")],
    )
    .await;
    assert_eq!((get(&endless, "xyb"), get(&endless, "sfyhy")), ("0", "Y"));
    assert_eq!(get(&endless, "zt.1.ztdm"), "10");

    assert_eq!(
        put_fault(&client, &handle, r#"{"mode": "down"}"#).await,
        StatusCode::OK
    );
    let down = post_raw(&client, &handle, SXQD).await;
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
        post_raw(&client, &handle, SXQD).await.status,
        StatusCode::OK
    );
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
    let fine = post_raw(&client, &handle, SXQD).await;
    assert_eq!(fine.body, normal.body);
    assert_eq!(stats(&client, &handle).await.requests, 13);
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
    let failed = post_raw(&client, &handle, SXQD).await;
    assert_eq!(failed.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(started.elapsed() >= Duration::from_millis(100));
    assert_eq!(handle.stats().requests, 1);

    let addr = handle.addr();
    assert!(handle.endpoint().ends_with("/zg/service"));
    handle.shutdown().await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "port still open"
    );

    assert!(
        tax::start(
            local(),
            Config {
                fail_rate: 1.5,
                ..Config::default()
            }
        )
        .await
        .is_err()
    );
    assert!(
        tax::start(
            local(),
            Config {
                stage: Duration::ZERO,
                ..Config::default()
            }
        )
        .await
        .is_err()
    );
    assert_eq!(tax::DEFAULT_LISTEN, "127.0.0.1:9105");
}
