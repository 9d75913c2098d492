//! End-to-end tests of the 县公安局 mock over real HTTP with GBK fixed-width records.
//! Records are written and read here field by field with the widths of
//! `public-security.md`, independently of the mock's own layouts.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use legacy_systems::public_security::{self, CHEN_XIAODONG, Config, Fault, Handle, Stats};
use onewindow_codes::{gbk, id_number};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE};

const STAGE: Duration = Duration::from_millis(30);
const DEADLINE: Duration = Duration::from_secs(10);

type Layout = &'static [(&'static str, usize)];

const HEADER: Layout = &[
    ("记录类型", 2),
    ("交易码", 4),
    ("返回码", 4),
    ("返回信息", 80),
    ("记录数", 6),
];
const MATTER: Layout = &[
    ("记录类型", 2),
    ("事项编码", 20),
    ("事项名称", 60),
    ("实施机构", 40),
    ("事项类型", 2),
    ("法定时限", 3),
    ("承诺时限", 3),
    ("到现场次数", 1),
    ("网办标志", 1),
    ("收费标准", 40),
    ("受理条件", 300),
    ("材料数", 2),
    ("表单项数", 2),
];
const MATERIAL: Layout = &[
    ("记录类型", 2),
    ("材料编码", 10),
    ("材料名称", 60),
    ("必要标志", 1),
    ("可替代证照", 20),
];
const FORM_FIELD: Layout = &[
    ("记录类型", 2),
    ("字段名", 40),
    ("显示名称", 60),
    ("字段类型", 2),
    ("必填标志", 1),
    ("取值来源", 2),
    ("可选值", 200),
];
const SUPPLEMENT_RECEIPT: Layout = &[
    ("记录类型", 2),
    ("平台办件编号", 30),
    ("业务流水号", 20),
    ("附件数", 3),
    ("重复标志", 1),
];
const WITHDRAWAL_RECEIPT: Layout = &[
    ("记录类型", 2),
    ("平台办件编号", 30),
    ("业务流水号", 20),
    ("撤回时间", 14),
    ("重复标志", 1),
];
const RECEIPT: Layout = &[
    ("记录类型", 2),
    ("平台办件编号", 30),
    ("业务流水号", 20),
    ("重复标志", 1),
];
const PAGE: Layout = &[
    ("记录类型", 2),
    ("起始序号", 12),
    ("最大序号", 12),
    ("后页标志", 1),
];
const CHANGE: Layout = &[
    ("记录类型", 2),
    ("序号", 12),
    ("平台办件编号", 30),
    ("业务流水号", 20),
    ("状态代码", 2),
    ("办理时间", 14),
    ("办理意见", 200),
];
const LICENSE: Layout = &[
    ("记录类型", 2),
    ("证照类型代码", 6),
    ("证照类型名称", 20),
    ("证照编号", 20),
    ("持证人证件号码", 18),
    ("持证人姓名", 30),
    ("发证机关", 40),
    ("签发日期", 8),
    ("有效期至", 8),
    ("证照状态", 1),
    ("性别", 2),
    ("民族", 10),
    ("出生日期", 8),
    ("住址", 100),
    ("户号", 9),
    ("户主姓名", 30),
    ("与户主关系", 10),
];

fn local() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

async fn start_with(config: Config) -> (Handle, reqwest::Client) {
    let handle = public_security::start(local(), config).await.unwrap();
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

/// A GBK text field padded to `width` bytes.
fn text(value: &str, width: usize) -> Vec<u8> {
    let mut bytes = gbk::encode(value).unwrap();
    assert!(bytes.len() <= width, "{value:?} does not fit {width}");
    bytes.resize(width, b' ');
    bytes
}

fn num(value: usize, width: usize) -> Vec<u8> {
    format!("{value:0width$}").into_bytes()
}

fn line(parts: &[Vec<u8>]) -> Vec<u8> {
    let mut out = parts.concat();
    out.extend_from_slice(b"\r\n");
    out
}

/// One parsed record: its fields by name.
#[derive(Debug, Clone)]
struct Rec(HashMap<&'static str, String>);

impl Rec {
    fn get(&self, field: &str) -> &str {
        self.0
            .get(field)
            .unwrap_or_else(|| panic!("no {field} in {self:?}"))
    }
}

fn parse(line: &[u8], layout: Layout) -> Rec {
    let width: usize = layout.iter().map(|(_, w)| w).sum();
    assert_eq!(line.len(), width, "record {:?}", gbk::decode(line));
    let mut at = 0;
    let mut fields = HashMap::new();
    for &(name, w) in layout {
        let value = gbk::decode(&line[at..at + w]).unwrap();
        fields.insert(name, value.trim_end_matches(' ').to_owned());
        at += w;
    }
    Rec(fields)
}

/// A checked answer: header and data records (raw, with their type).
struct Answer {
    header: Rec,
    records: Vec<Vec<u8>>,
}

impl Answer {
    fn code(&self) -> &str {
        self.header.get("返回码")
    }

    fn message(&self) -> &str {
        self.header.get("返回信息")
    }

    fn of(&self, kind: &[u8; 2], layout: Layout) -> Vec<Rec> {
        self.records
            .iter()
            .filter(|r| r.starts_with(kind))
            .map(|r| parse(r, layout))
            .collect()
    }
}

struct Raw {
    status: StatusCode,
    content_type: String,
    content_length: Option<usize>,
    body: Vec<u8>,
}

async fn send(request: reqwest::RequestBuilder) -> Raw {
    let response = request.send().await.unwrap();
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

async fn get_raw(client: &reqwest::Client, handle: &Handle, path: &str) -> Raw {
    send(client.get(format!("{}/{path}", handle.endpoint()))).await
}

async fn post_raw(
    client: &reqwest::Client,
    handle: &Handle,
    tx: &str,
    body: Vec<u8>,
    charset: &str,
) -> Raw {
    send(
        client
            .post(format!("{}/{tx}", handle.endpoint()))
            .header(CONTENT_TYPE, format!("text/plain; charset={charset}"))
            .body(body),
    )
    .await
}

/// Checks the framing of a GBK answer to `tx` and splits it.
fn split_answer(raw: &Raw, tx: &str) -> Answer {
    assert_eq!(raw.status, StatusCode::OK);
    assert_eq!(raw.content_type, "text/plain; charset=GBK");
    assert!(raw.body.ends_with(b"\r\n"), "every record ends with CRLF");
    let lines: Vec<Vec<u8>> = raw.body[..raw.body.len() - 2]
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l).to_vec())
        .collect();
    let header = parse(&lines[0], HEADER);
    assert_eq!(header.get("记录类型"), "00");
    assert_eq!(header.get("交易码"), tx);
    let records = lines[1..].to_vec();
    assert_eq!(
        header.get("记录数"),
        format!("{:06}", records.len()),
        "the header counts the data records"
    );
    Answer { header, records }
}

async fn get(client: &reqwest::Client, handle: &Handle, path: &str) -> Answer {
    let raw = get_raw(client, handle, path).await;
    split_answer(&raw, &path[..4])
}

async fn post(client: &reqwest::Client, handle: &Handle, tx: &str, body: Vec<u8>) -> Answer {
    let raw = post_raw(client, handle, tx, body, "GBK").await;
    split_answer(&raw, tx)
}

async fn stats(client: &reqwest::Client, handle: &Handle) -> Stats {
    let url = format!("http://{}/_mock/stats", handle.addr());
    client.get(url).send().await.unwrap().json().await.unwrap()
}

async fn mock_case(client: &reqwest::Client, handle: &Handle, key: &str) -> serde_json::Value {
    let url = format!("http://{}/_mock/cases/{key}", handle.addr());
    let response = client.get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "case {key}");
    response.json().await.unwrap()
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

/// A reused license in the `05` layout.
struct Reused<'a> {
    material: &'a str,
    type_code: &'a str,
    type_name: &'a str,
    number: &'a str,
    holder_kind: &'a str,
    holder_id: &'a str,
    holder_name: &'a str,
    issuer: &'a str,
    legal_representative: &'a str,
}

/// A `2001` request: `01`, one `02` per field, one attachment, the reused licenses.
fn submission(
    case_no: &str,
    matter: &str,
    applicant: (&str, &str, &str),
    form: &[(&str, &str)],
    reused: &[Reused<'_>],
) -> Vec<u8> {
    let content = "JVBERi0xLjQK"; // %PDF-1.4\n
    let mut body = line(&[
        b"01".to_vec(),
        text(case_no, 30),
        text(matter, 20),
        text(applicant.0, 1),
        text(applicant.1, 18),
        text(applicant.2, 60),
        text("20261127140305", 14),
        num(form.len(), 4),
        num(1, 3),
        num(reused.len(), 3),
    ]);
    for (name, value) in form {
        body.extend(line(&[
            b"02".to_vec(),
            text(name, 40),
            text("0", 1),
            text(value, 200),
        ]));
    }
    body.extend(line(&[
        b"03".to_vec(),
        text("003", 10),
        text("印模.pdf", 80),
        text("application/pdf", 40),
        num(9, 10),
        num(1, 6),
    ]));
    body.extend(line(&[b"04".to_vec(), text(content, 76)]));
    for r in reused {
        body.extend(line(&[
            b"05".to_vec(),
            text(r.material, 10),
            text(r.type_code, 10),
            text(r.type_name, 20),
            text(r.number, 60),
            text(r.holder_kind, 1),
            text(r.holder_id, 18),
            text(r.holder_name, 60),
            text(r.issuer, 60),
            text("20261127", 8),
            text("长期", 8),
            text("1", 1),
            text(r.legal_representative, 30),
        ]));
    }
    body
}

const ID_CARD_RENEWAL: &str = "330122-GA-QR-003";
const SEAL: &str = "330122-GA-BA-003";
const ENTERPRISE: &str = "91330122MA2H1234XM";
const ZHANG_WEI: &str = "41052319910508321X";
const WANG_RONG: &str = "330122198203150014";

fn chen(case_no: &str, form: &[(&str, &str)]) -> Vec<u8> {
    submission(
        case_no,
        ID_CARD_RENEWAL,
        ("1", CHEN_XIAODONG, "陈晓东"),
        form,
        &[],
    )
}

/// Polls `2002` until `case_no` has reached 40; returns its changes (each `21` with the `30` after it).
async fn changes_until_done(
    client: &reqwest::Client,
    handle: &Handle,
    case_no: &str,
) -> Vec<(Rec, Option<Rec>)> {
    changes_until(client, handle, case_no, "40").await
}

/// All changes in the log: each `21` with the `30` after it.
async fn all_changes(client: &reqwest::Client, handle: &Handle) -> Vec<(Rec, Option<Rec>)> {
    let mut after = 0;
    let mut all: Vec<(Rec, Option<Rec>)> = Vec::new();
    loop {
        let answer = get(client, handle, &format!("2002?qsxh={after:012}&myts=100")).await;
        assert_eq!(answer.code(), "0000");
        assert!(
            answer.records[0].starts_with(b"29"),
            "the page record comes first"
        );
        let page = parse(&answer.records[0], PAGE);
        assert_eq!(page.get("起始序号"), format!("{after:012}"));
        for record in &answer.records[1..] {
            if record.starts_with(b"21") {
                let change = parse(record, CHANGE);
                let xh: u64 = change.get("序号").parse().unwrap();
                assert!(xh > after, "序号 {xh} not after {after}");
                after = xh;
                all.push((change, None));
            } else {
                assert!(record.starts_with(b"30"), "unexpected record {record:?}");
                all.last_mut().unwrap().1 = Some(parse(record, LICENSE));
            }
        }
        assert_eq!(page.get("最大序号"), format!("{after:012}"));
        if page.get("后页标志") == "0" {
            return all;
        }
    }
}

/// The changes of `case_no` so far.
async fn changes_of(
    client: &reqwest::Client,
    handle: &Handle,
    case_no: &str,
) -> Vec<(Rec, Option<Rec>)> {
    let mut all = all_changes(client, handle).await;
    all.retain(|(c, _)| c.get("平台办件编号") == case_no);
    all
}

/// Polls `2002` until the latest change of `case_no` has 状态代码 `code`; returns its changes.
async fn changes_until(
    client: &reqwest::Client,
    handle: &Handle,
    case_no: &str,
    code: &str,
) -> Vec<(Rec, Option<Rec>)> {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let mine = changes_of(client, handle, case_no).await;
        if mine.last().is_some_and(|(c, _)| c.get("状态代码") == code) {
            return mine;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "case {case_no} never reached {code}: {mine:#?}"
        );
        tokio::time::sleep(STAGE / 3).await;
    }
}

/// `07` 说明 records of `lines` (all but the last continue: 续行标志 1).
fn notes(lines: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, text_line) in lines.iter().enumerate() {
        let flag = if i + 1 == lines.len() { "0" } else { "1" };
        out.extend(line(&[b"07".to_vec(), text(flag, 1), text(text_line, 200)]));
    }
    out
}

/// A `2003` request: `06`, the note's `07`, one `03` and `04` per file (material, name, content).
fn supplement(
    case_no: &str,
    reference: &str,
    note: &[&str],
    files: &[(&str, &str, &[u8])],
) -> Vec<u8> {
    use base64::Engine as _;
    let mut body = line(&[
        b"06".to_vec(),
        text(case_no, 30),
        text(reference, 20),
        num(files.len(), 3),
        num(note.len(), 3),
    ]);
    body.extend(notes(note));
    for (material, name, content) in files {
        let encoded = base64::engine::general_purpose::STANDARD.encode(content);
        let chunks: Vec<&[u8]> = encoded.as_bytes().chunks(76).collect();
        body.extend(line(&[
            b"03".to_vec(),
            text(material, 10),
            text(name, 80),
            text("application/pdf", 40),
            num(content.len(), 10),
            num(chunks.len(), 6),
        ]));
        for chunk in chunks {
            body.extend(line(&[
                b"04".to_vec(),
                text(std::str::from_utf8(chunk).unwrap(), 76),
            ]));
        }
    }
    body
}

/// A `2004` request: `08` and the reason's `07`.
fn withdrawal(case_no: &str, reference: &str, reason: &[&str]) -> Vec<u8> {
    let mut body = line(&[
        b"08".to_vec(),
        text(case_no, 30),
        text(reference, 20),
        num(reason.len(), 3),
    ]);
    body.extend(notes(reason));
    body
}

fn codes(changes: &[(Rec, Option<Rec>)]) -> Vec<&str> {
    changes.iter().map(|(c, _)| c.get("状态代码")).collect()
}

#[tokio::test]
async fn catalogue_lists_the_matters_in_gbk_records() {
    let (handle, client) = start().await;
    let raw = get_raw(&client, &handle, "1001").await;
    assert!(std::str::from_utf8(&raw.body).is_err(), "GBK, not UTF-8");
    let answer = split_answer(&raw, "1001");
    assert_eq!((answer.code(), answer.message()), ("0000", "成功"));
    let matters = answer.of(b"10", MATTER);
    assert!(matters.len() >= 6, "{} matters", matters.len());
    // Every 10 is followed by as many 11 as it announces, then as many 12.
    let mut i = 0;
    while i < answer.records.len() {
        let matter = parse(&answer.records[i], MATTER);
        let n: usize = matter.get("材料数").parse().unwrap();
        let f: usize = matter.get("表单项数").parse().unwrap();
        for j in 1..=n {
            assert!(answer.records[i + j].starts_with(b"11"));
            parse(&answer.records[i + j], MATERIAL);
        }
        for j in n + 1..=n + f {
            assert!(answer.records[i + j].starts_with(b"12"));
            let field = parse(&answer.records[i + j], FORM_FIELD);
            assert!(["TX", "RQ", "SZ", "XZ", "SF", "XY", "DZ"].contains(&field.get("字段类型")));
            assert_eq!(
                field.get("字段类型") == "XZ",
                !field.get("可选值").is_empty()
            );
            assert!(
                !["模拟结果", "不予办理原因"].contains(&field.get("字段名")),
                "test switches are not on the form"
            );
        }
        i += n + f + 1;
    }
    for sx in &matters {
        assert!(["XK", "QR", "JF", "CJ", "JL", "QT", "GF"].contains(&sx.get("事项类型")));
        assert_eq!(sx.get("实施机构"), "县公安局");
        assert!(sx.get("事项编码").starts_with("330122-GA-"));
        let legal: u32 = sx.get("法定时限").parse().unwrap();
        let promised: u32 = sx.get("承诺时限").parse().unwrap();
        assert!(promised <= legal, "{}", sx.get("事项名称"));
        assert!(["0", "1"].contains(&sx.get("网办标志")));
    }
    let names: Vec<&str> = matters.iter().map(|m| m.get("事项名称")).collect();
    for name in [
        "户口迁移（迁入）登记",
        "居住证办理",
        "居民身份证换领",
        "出生登记",
        "临时身份证明开具",
        "公章刻制备案",
    ] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    let seal = matters
        .iter()
        .position(|m| m.get("事项编码") == SEAL)
        .unwrap();
    let seal_at = answer
        .records
        .iter()
        .position(|r| r.starts_with(b"10") && parse(r, MATTER).get("事项编码") == SEAL)
        .unwrap();
    assert_eq!(matters[seal].get("事项名称"), "公章刻制备案");
    assert_eq!(matters[seal].get("承诺时限"), "001");
    let materials: Vec<(String, String, String)> = answer.records[seal_at + 1..seal_at + 4]
        .iter()
        .map(|r| parse(r, MATERIAL))
        .map(|m| {
            (
                m.get("材料名称").to_owned(),
                m.get("必要标志").to_owned(),
                m.get("可替代证照").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        materials,
        [
            ("营业执照".into(), "1".into(), "营业执照".into()),
            ("法定代表人身份证明".into(), "1".into(), "居民身份证".into()),
            ("印章印模".into(), "1".into(), "".into()),
        ]
    );
    // Its form: 印章名称, prefilled with the applicant's name, and a choice of 印章类型.
    let fields: Vec<Rec> = answer.records[seal_at + 5..seal_at + 7]
        .iter()
        .map(|r| parse(r, FORM_FIELD))
        .collect();
    let described: Vec<[&str; 5]> = fields
        .iter()
        .map(|f| {
            [
                f.get("字段名"),
                f.get("字段类型"),
                f.get("必填标志"),
                f.get("取值来源"),
                f.get("可选值"),
            ]
        })
        .collect();
    assert_eq!(
        described,
        [
            ["印章名称", "TX", "0", "XM", ""],
            [
                "印章类型",
                "XZ",
                "0",
                "",
                "单位公章|财务专用章|发票专用章|合同专用章|法定代表人名章"
            ],
        ]
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn the_seeded_register_is_valid_and_answers_licenses() {
    let (handle, client) = start().await;
    let people = public_security::seeded_residents();
    assert!(people.len() >= 20, "{} residents", people.len());
    let names: String = people.iter().map(|(_, n)| n.as_str()).collect();
    for rare in ["镕", "喆", "堃", "珺"] {
        assert!(names.contains(rare), "a resident's name has {rare}");
    }
    for (id, name) in &people {
        id_number::validate(id).unwrap();
        let answer = post(
            &client,
            &handle,
            "3001",
            line(&[b"31".to_vec(), text(id, 18), text(name, 30)]),
        )
        .await;
        assert_eq!(answer.code(), "0000", "{name}");
        let licenses = answer.of(b"30", LICENSE);
        assert!(!licenses.is_empty(), "{name} has a 户口簿 page at least");
        for l in &licenses {
            assert_eq!(l.get("持证人证件号码"), id);
            assert_eq!(l.get("持证人姓名"), name, "GBK round trip of {name}");
            assert_eq!(l.get("发证机关"), "桐庐县公安局");
            assert!(["JMSFZ", "JMHKB"].contains(&l.get("证照类型代码")));
        }
    }

    let answer = post(
        &client,
        &handle,
        "3001",
        line(&[b"31".to_vec(), text(CHEN_XIAODONG, 18), text("", 30)]),
    )
    .await;
    let licenses = answer.of(b"30", LICENSE);
    let card = licenses
        .iter()
        .find(|l| l.get("证照类型代码") == "JMSFZ")
        .unwrap();
    assert_eq!(card.get("证照类型名称"), "居民身份证");
    assert_eq!(card.get("证照编号"), CHEN_XIAODONG);
    assert_eq!(
        card.get("有效期至"),
        "长期",
        "born 1949: valid indefinitely"
    );
    assert_eq!(card.get("出生日期"), "19491231");
    let book = licenses
        .iter()
        .find(|l| l.get("证照类型代码") == "JMHKB")
        .unwrap();
    assert_eq!(book.get("证照类型名称"), "居民户口簿");
    assert_eq!(book.get("与户主关系"), "户主");
    assert!(book.get("证照编号").starts_with(book.get("户号")));

    // Verification by type and number.
    let verify =
        |kind: &str, number: &str| line(&[b"32".to_vec(), text(kind, 6), text(number, 20)]);
    let answer = post(&client, &handle, "3002", verify("JMSFZ", WANG_RONG)).await;
    let found = answer.of(b"30", LICENSE);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].get("持证人姓名"), "王镕");
    let answer = post(
        &client,
        &handle,
        "3002",
        verify("JMHKB", book.get("证照编号")),
    )
    .await;
    assert_eq!(answer.of(b"30", LICENSE)[0].get("持证人姓名"), "陈晓东");
    let answer = post(&client, &handle, "3002", verify("YYZZ", ENTERPRISE)).await;
    assert_eq!((answer.code(), answer.records.len()), ("0000", 0));

    // 张伟 lives here on a 居住证; the register does not know him.
    let answer = post(
        &client,
        &handle,
        "3001",
        line(&[b"31".to_vec(), text(ZHANG_WEI, 18), text("", 30)]),
    )
    .await;
    let licenses = answer.of(b"30", LICENSE);
    assert_eq!(licenses.len(), 1);
    assert_eq!(licenses[0].get("证照类型名称"), "居住证");

    // A name that does not match is refused; an invalid number is malformed.
    let answer = post(
        &client,
        &handle,
        "3001",
        line(&[b"31".to_vec(), text(WANG_RONG, 18), text("王荣", 30)]),
    )
    .await;
    assert_eq!(answer.code(), "3001");
    let answer = post(
        &client,
        &handle,
        "3001",
        line(&[b"31".to_vec(), text("330122198203150011", 18), text("", 30)]),
    )
    .await;
    assert_eq!(answer.code(), "1001");
    assert!(answer.message().contains("不是有效的公民身份号码"));
    handle.shutdown().await;
}

#[tokio::test]
async fn an_id_card_renewal_is_idempotent_and_issues_a_new_card() {
    let (handle, client) = start().await;
    let answer = post(&client, &handle, "2001", chen("20261127-000001", &[])).await;
    assert_eq!((answer.code(), answer.message()), ("0000", "申报成功"));
    let receipt = &answer.of(b"20", RECEIPT)[0];
    assert_eq!(receipt.get("平台办件编号"), "20261127-000001");
    assert_eq!(receipt.get("重复标志"), "0");
    let reference = receipt.get("业务流水号").to_owned();
    assert!(reference.starts_with("GA"), "{reference}");

    let again = post(&client, &handle, "2001", chen("20261127-000001", &[])).await;
    let receipt = &again.of(b"20", RECEIPT)[0];
    assert_eq!(receipt.get("业务流水号"), reference);
    assert_eq!(receipt.get("重复标志"), "1");
    let s = stats(&client, &handle).await;
    assert_eq!((s.submissions, s.cases, s.duplicates), (1, 1, 1));

    let changes = changes_until_done(&client, &handle, "20261127-000001").await;
    assert_eq!(codes(&changes), ["20", "30", "40"]);
    for (change, _) in &changes {
        assert_eq!(change.get("业务流水号"), reference);
        assert_eq!(change.get("办理时间").len(), 14);
    }
    let (done, license) = changes.last().unwrap();
    assert!(done.get("办理意见").contains("已办结"));
    let card = license.as_ref().expect("the renewal issues a card");
    assert_eq!(card.get("证照类型代码"), "JMSFZ");
    assert_eq!(card.get("证照编号"), CHEN_XIAODONG);
    assert_eq!(card.get("有效期至"), "长期");
    assert!(changes[..2].iter().all(|(_, l)| l.is_none()));

    let case = mock_case(&client, &handle, "20261127-000001").await;
    assert_eq!(case["reference"], reference.as_str());
    assert_eq!(case["status"], "40");
    assert_eq!(case["finished"], true);
    assert_eq!(case["resubmissions"], 1);
    assert_eq!(case["issued_license"]["number"], CHEN_XIAODONG);
    assert_eq!(case["attachments"][0]["size"], 9);
    let by_reference = mock_case(&client, &handle, &reference).await;
    assert_eq!(by_reference["case_no"], "20261127-000001");
    let missing = client
        .get(format!("http://{}/_mock/cases/nothing", handle.addr()))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    handle.shutdown().await;
}

#[tokio::test]
async fn a_seal_filing_keeps_the_reused_licenses_and_answers_its_number() {
    let (handle, client) = start().await;
    let reused = [
        Reused {
            material: "001",
            type_code: "YYZZ",
            type_name: "营业执照",
            number: ENTERPRISE,
            holder_kind: "2",
            holder_id: ENTERPRISE,
            holder_name: "桐庐晓东茶业有限公司",
            issuer: "县市场监督管理局",
            legal_representative: "陈晓东",
        },
        Reused {
            material: "002",
            type_code: "JMSFZ",
            type_name: "居民身份证",
            number: CHEN_XIAODONG,
            holder_kind: "1",
            holder_id: CHEN_XIAODONG,
            holder_name: "陈晓东",
            issuer: "桐庐县公安局",
            legal_representative: "",
        },
    ];
    let body = submission(
        "20261127-000002",
        SEAL,
        ("2", ENTERPRISE, "桐庐晓东茶业有限公司"),
        &[("印章名称", "桐庐晓东茶业有限公司")],
        &reused,
    );
    let answer = post(&client, &handle, "2001", body).await;
    assert_eq!(answer.code(), "0000", "{}", answer.message());

    let case = mock_case(&client, &handle, "20261127-000002").await;
    let licenses = case["licenses"].as_array().unwrap();
    assert_eq!(licenses.len(), 2);
    assert_eq!(licenses[0]["type_name"], "营业执照");
    assert_eq!(licenses[0]["number"], ENTERPRISE);
    assert_eq!(licenses[0]["holder_name"], "桐庐晓东茶业有限公司");
    assert_eq!(licenses[0]["issuer"], "县市场监督管理局");
    assert_eq!(licenses[0]["legal_representative"], "陈晓东");
    assert_eq!(licenses[0]["valid_until"], "长期");
    assert_eq!(licenses[1]["type_name"], "居民身份证");
    assert_eq!(case["applicant"]["kind"], "2");
    assert_eq!(case["form"][0]["value"], "桐庐晓东茶业有限公司");

    let changes = changes_until_done(&client, &handle, "20261127-000002").await;
    assert_eq!(codes(&changes), ["20", "30", "40"]);
    let (done, license) = changes.last().unwrap();
    assert!(license.is_none(), "a filing issues no license");
    let case = mock_case(&client, &handle, "20261127-000002").await;
    let filing = case["filing_no"].as_str().unwrap();
    assert!(filing.starts_with("330122"), "{filing}");
    assert!(
        done.get("办理意见")
            .contains(&format!("公章刻制备案编号：{filing}")),
        "{done:?}"
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn form_fields_drive_denial_and_supplement_and_long_values_continue() {
    let (handle, client) = start().await;
    let denied = chen(
        "20261127-000003",
        &[("模拟结果", "不予办理"), ("不予办理原因", "照片不符合要求")],
    );
    assert_eq!(post(&client, &handle, "2001", denied).await.code(), "0000");
    // 住址 in three 02 records: continued (续行标志 1), then after a line break (2).
    let supplemented = {
        let mut body = line(&[
            b"01".to_vec(),
            text("20261127-000004", 30),
            text(ID_CARD_RENEWAL, 20),
            text("1", 1),
            text(CHEN_XIAODONG, 18),
            text("陈晓东", 60),
            text("20261127140305", 14),
            num(4, 4),
            num(0, 3),
            num(0, 3),
        ]);
        for (flag, value) in [
            ("0", "补正"),
            ("1", "桐庐县"),
            ("2", "桐君街道"),
            ("0", "迎春南路"),
        ] {
            let name = if value == "补正" {
                "模拟结果"
            } else {
                "住址"
            };
            body.extend(line(&[
                b"02".to_vec(),
                text(name, 40),
                text(flag, 1),
                text(value, 200),
            ]));
        }
        body
    };
    assert_eq!(
        post(&client, &handle, "2001", supplemented).await.code(),
        "0000"
    );

    let changes = changes_until_done(&client, &handle, "20261127-000003").await;
    assert_eq!(codes(&changes), ["20", "35", "40"]);
    assert!(changes[1].0.get("办理意见").contains("照片不符合要求"));
    assert!(changes[2].1.is_none(), "a denied case issues nothing");
    // The supplement path waits at 25 until the materials come (2003).
    let changes = changes_until(&client, &handle, "20261127-000004", "25").await;
    assert_eq!(codes(&changes), ["20", "25"]);
    assert!(changes[1].0.get("办理意见").contains("请补正"));
    let files: &[(&str, &str, &[u8])] = &[("001", "照片.jpg", b"%PDF-1.4")];
    let body = supplement("20261127-000004", "", &["照片已重新拍摄"], files);
    assert_eq!(post(&client, &handle, "2003", body).await.code(), "0000");
    let changes = changes_until_done(&client, &handle, "20261127-000004").await;
    assert_eq!(codes(&changes), ["20", "25", "20", "30", "40"]);
    assert_eq!(
        changes[2].0.get("办理意见"),
        "补正材料已收到（共1份），继续审核"
    );
    let case = mock_case(&client, &handle, "20261127-000004").await;
    assert_eq!(case["form"][1]["name"], "住址");
    assert_eq!(case["form"][1]["value"], "桐庐县桐君街道\n迎春南路");
    handle.shutdown().await;
}

#[tokio::test]
async fn moving_in_and_residence_permits_and_births_change_the_register() {
    let (handle, client) = start().await;
    let person = ("1", ZHANG_WEI, "张伟");
    let body = submission(
        "20261127-000005",
        "330122-GA-QR-001",
        person,
        &[
            ("迁入地址", "浙江省桐庐县城南街道金东路99号"),
            ("迁出地", "河南省安阳县"),
        ],
        &[],
    );
    assert_eq!(post(&client, &handle, "2001", body).await.code(), "0000");
    let changes = changes_until_done(&client, &handle, "20261127-000005").await;
    let book = changes.last().unwrap().1.as_ref().expect("a 户口簿 page");
    assert_eq!(book.get("证照类型名称"), "居民户口簿");
    assert_eq!(book.get("住址"), "浙江省桐庐县城南街道金东路99号");
    assert_eq!(book.get("户主姓名"), "张伟");

    // Now a resident: he has his page and his 居住证, and cannot move in twice.
    let answer = post(
        &client,
        &handle,
        "3001",
        line(&[b"31".to_vec(), text(ZHANG_WEI, 18), text("张伟", 30)]),
    )
    .await;
    let mut kinds: Vec<String> = answer
        .of(b"30", LICENSE)
        .iter()
        .map(|l| l.get("证照类型代码").to_owned())
        .collect();
    kinds.sort();
    assert_eq!(kinds, ["JMHKB", "JZZ"]);
    let body = submission("20261127-000006", "330122-GA-QR-001", person, &[], &[]);
    let answer = post(&client, &handle, "2001", body).await;
    assert_eq!(answer.code(), "3001");
    assert!(
        answer.message().contains("无需办理迁入"),
        "{}",
        answer.message()
    );

    // A 居住证 for someone registered elsewhere.
    let outsider = ("1", "320102198807150018", "朱堃");
    let body = submission(
        "20261127-000007",
        "330122-GA-QR-004",
        outsider,
        &[("居住地址", "浙江省桐庐县桐君街道白云源路6号")],
        &[],
    );
    assert_eq!(post(&client, &handle, "2001", body).await.code(), "0000");
    let changes = changes_until_done(&client, &handle, "20261127-000007").await;
    let permit = changes.last().unwrap().1.as_ref().expect("a 居住证");
    assert_eq!(permit.get("证照类型代码"), "JZZ");
    assert_eq!(permit.get("持证人姓名"), "朱堃");
    assert_eq!(permit.get("证照编号").len(), 16);

    // A newborn in 王镕's household.
    let body = submission(
        "20261127-000008",
        "330122-GA-QR-002",
        ("1", WANG_RONG, "王镕"),
        &[
            ("新生儿姓名", "王喆"),
            ("新生儿性别", "男"),
            ("出生日期", "20261101"),
        ],
        &[],
    );
    assert_eq!(post(&client, &handle, "2001", body).await.code(), "0000");
    let changes = changes_until_done(&client, &handle, "20261127-000008").await;
    let note = changes.last().unwrap().0.get("办理意见").to_owned();
    let id = note.rsplit("公民身份号码").next().unwrap();
    id_number::validate(id).unwrap();
    assert!(id.starts_with("33012220261101"), "{note}");
    let answer = post(
        &client,
        &handle,
        "3001",
        line(&[b"31".to_vec(), text(id, 18), text("王喆", 30)]),
    )
    .await;
    let page = &answer.of(b"30", LICENSE)[0];
    assert_eq!(
        (page.get("户主姓名"), page.get("与户主关系")),
        ("王镕", "子")
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn business_rules_and_malformed_requests_have_their_codes() {
    let (handle, client) = start().await;
    let refused = [
        // Not registered here: no ID card renewal.
        submission("R-1", ID_CARD_RENEWAL, ("1", ZHANG_WEI, "张伟"), &[], &[]),
        // Registered here: no 居住证.
        submission(
            "R-2",
            "330122-GA-QR-004",
            ("1", WANG_RONG, "王镕"),
            &[],
            &[],
        ),
        // A person cannot file a seal.
        submission("R-3", SEAL, ("1", WANG_RONG, "王镕"), &[], &[]),
        // An organization cannot renew an ID card.
        submission(
            "R-4",
            ID_CARD_RENEWAL,
            ("2", ENTERPRISE, "桐庐晓东茶业有限公司"),
            &[],
            &[],
        ),
        // The name does not match the register.
        submission("R-5", ID_CARD_RENEWAL, ("1", WANG_RONG, "王荣"), &[], &[]),
    ];
    for body in refused {
        let answer = post(&client, &handle, "2001", body).await;
        assert_eq!(answer.code(), "3001", "{}", answer.message());
        assert!(!answer.message().is_empty());
        assert!(answer.records.is_empty());
    }
    let answer = post(
        &client,
        &handle,
        "2001",
        submission(
            "N-1",
            "330122-GA-XX-999",
            ("1", WANG_RONG, "王镕"),
            &[],
            &[],
        ),
    )
    .await;
    assert_eq!(answer.code(), "2001");
    assert!(answer.message().contains("330122-GA-XX-999"));

    let good = chen("M-1", &[]);
    let mut cut = good.clone();
    cut.truncate(100);
    cut.extend_from_slice(b"\r\n");
    let mut wrong_count = good.clone();
    wrong_count[145..149].copy_from_slice(b"0003");
    let malformed: Vec<(Vec<u8>, &str)> = vec![
        (cut, "长度为100字节，应为155字节"),
        (good[..good.len() - 2].to_vec(), "没有以CRLF结束"),
        (wrong_count, "声明表单记录3条"),
        (chen("M-2", &[("模拟结果", "随便")]), "模拟结果"),
        (
            submission(
                "M-3",
                ID_CARD_RENEWAL,
                ("1", "330122198203150011", "王镕"),
                &[],
                &[],
            ),
            "不是有效的公民身份号码",
        ),
        ([b"99".as_slice(), &good[2..]].concat(), "记录类型为“99”"),
    ];
    for (body, expected) in malformed {
        let answer = post(&client, &handle, "2001", body).await;
        assert_eq!(answer.code(), "1001", "{expected}");
        assert!(answer.message().contains(expected), "{}", answer.message());
    }
    // Declared UTF-8, unknown transaction, wrong method, bad paging parameters.
    let raw = post_raw(&client, &handle, "2001", chen("M-4", &[]), "UTF-8").await;
    assert_eq!(split_answer(&raw, "2001").code(), "1001");
    let raw = get_raw(&client, &handle, "4001").await;
    let unknown = split_answer(&raw, "4001");
    assert_eq!(unknown.code(), "1001");
    assert!(unknown.message().contains("不支持的交易码4001"));
    let raw = get_raw(&client, &handle, "2001").await;
    assert!(split_answer(&raw, "2001").message().contains("POST"));
    for query in ["2002", "2002?qsxh=abc", "2002?qsxh=0&myts=101"] {
        let answer = get(&client, &handle, query).await;
        assert_eq!(answer.code(), "1001", "{query}");
    }
    assert_eq!(stats(&client, &handle).await.cases, 0);
    handle.shutdown().await;
}

#[tokio::test]
async fn status_pages_honour_the_page_size() {
    let (handle, client) = start().await;
    for n in 1..=3 {
        let body = chen(&format!("P-{n}"), &[]);
        assert_eq!(post(&client, &handle, "2001", body).await.code(), "0000");
    }
    for n in 1..=3 {
        changes_until_done(&client, &handle, &format!("P-{n}")).await;
    }
    let answer = get(&client, &handle, "2002?qsxh=000000000000&myts=2").await;
    let page = parse(&answer.records[0], PAGE);
    assert_eq!(page.get("最大序号"), "000000000002");
    assert_eq!(page.get("后页标志"), "1");
    assert_eq!(answer.of(b"21", CHANGE).len(), 2);
    let answer = get(&client, &handle, "2002?qsxh=9").await;
    let page = parse(&answer.records[0], PAGE);
    assert_eq!(
        (page.get("最大序号"), page.get("后页标志")),
        ("000000000009", "0")
    );
    assert_eq!(answer.records.len(), 1);
    handle.shutdown().await;
}

#[tokio::test]
async fn fault_modes_show_in_the_records() {
    let (handle, client) = start().await;

    // truncated: half the body, still 200, cut inside a record.
    let whole = get_raw(&client, &handle, "1001").await.body.len();
    assert_eq!(
        put_fault(&client, &handle, r#"{"mode":"truncated"}"#).await,
        StatusCode::OK
    );
    let raw = get_raw(&client, &handle, "1001").await;
    assert_eq!(raw.status, StatusCode::OK);
    assert_eq!(raw.body.len(), whole / 2);
    assert_eq!(raw.content_length, Some(whole / 2));
    assert!(!raw.body.ends_with(b"\r\n"));

    // wrong-encoding: UTF-8 declared and sent.
    handle.set_fault(Fault::WrongEncoding);
    let raw = get_raw(&client, &handle, "1001").await;
    assert_eq!(raw.content_type, "text/plain; charset=UTF-8");
    let utf8 = String::from_utf8(raw.body).expect("UTF-8");
    assert!(utf8.contains("公章刻制备案"));

    // missing-element: the first 事项名称 is blank.
    handle.set_fault(Fault::MissingElement);
    let answer = get(&client, &handle, "1001").await;
    assert_eq!(parse(&answer.records[0], MATTER).get("事项名称"), "");
    assert_ne!(parse(&answer.records[2], MATERIAL).get("材料名称"), "");
    let answer = post(&client, &handle, "2001", chen("F-1", &[])).await;
    assert_eq!(answer.of(b"20", RECEIPT)[0].get("业务流水号"), "");
    let answer = post(
        &client,
        &handle,
        "3002",
        line(&[b"32".to_vec(), text("YYZZ", 6), text(ENTERPRISE, 20)]),
    )
    .await;
    assert_eq!(answer.code(), "", "no droppable field: the 返回码 goes");

    // unknown-code: the first data record's type is 99; no records: 返回码 5001.
    handle.set_fault(Fault::UnknownCode);
    let raw = get_raw(&client, &handle, "1001").await;
    let unknown = split_answer(&raw, "1001");
    assert!(unknown.records[0].starts_with(b"99"));
    assert!(unknown.records[1].starts_with(b"11"));
    let answer = post(
        &client,
        &handle,
        "3002",
        line(&[b"32".to_vec(), text("YYZZ", 6), text(ENTERPRISE, 20)]),
    )
    .await;
    assert_eq!(answer.code(), "5001");

    // endless-pages: more, never past the cursor asked from.
    handle.set_fault(Fault::EndlessPages);
    for after in [0, 5] {
        let answer = get(&client, &handle, &format!("2002?qsxh={after}")).await;
        let page = parse(&answer.records[0], PAGE);
        assert_eq!(page.get("最大序号"), format!("{after:012}"));
        assert_eq!(page.get("后页标志"), "1");
    }

    // down: the application server's 503 page.
    handle.set_fault(Fault::Down);
    let raw = get_raw(&client, &handle, "1001").await;
    assert_eq!(raw.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(raw.content_type.starts_with("text/html"));

    // slow: the answer waits.
    assert_eq!(
        put_fault(&client, &handle, r#"{"mode":"slow","delay_ms":300}"#).await,
        StatusCode::OK
    );
    let started = tokio::time::Instant::now();
    let answer = get(&client, &handle, "1001").await;
    assert_eq!(answer.code(), "0000");
    assert!(started.elapsed() >= Duration::from_millis(300));

    let current: serde_json::Value = client
        .get(format!("http://{}/_mock/fault", handle.addr()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(current["mode"], "slow");
    assert!(
        put_fault(&client, &handle, r#"{"mode":"sideways"}"#)
            .await
            .is_client_error()
    );
    handle.set_fault(Fault::None);
    assert_eq!(get(&client, &handle, "1001").await.code(), "0000");
    assert!(stats(&client, &handle).await.requests >= 10);
    handle.shutdown().await;
}

#[tokio::test]
async fn a_fail_rate_answers_some_requests_503() {
    let (handle, client) = start_with(Config {
        stage: STAGE,
        fail_rate: 1.0,
        ..Config::default()
    })
    .await;
    let raw = get_raw(&client, &handle, "1001").await;
    assert_eq!(raw.status, StatusCode::SERVICE_UNAVAILABLE);
    handle.shutdown().await;
}

#[tokio::test]
async fn a_supplement_lets_the_held_case_go_on_once() {
    let (handle, client) = start().await;
    let body = chen("S-1", &[("模拟结果", "补正")]);
    assert_eq!(post(&client, &handle, "2001", body).await.code(), "0000");
    let changes = changes_until(&client, &handle, "S-1", "25").await;
    let reference = changes[0].0.get("业务流水号").to_owned();
    // Held: many stages later it still waits at 25.
    tokio::time::sleep(STAGE * 8).await;
    assert_eq!(
        codes(&changes_of(&client, &handle, "S-1").await),
        ["20", "25"]
    );
    assert_eq!(mock_case(&client, &handle, "S-1").await["status"], "25");

    let files: &[(&str, &str, &[u8])] = &[
        ("001", "居民身份证（补正）.pdf", b"%PDF-1.4 one"),
        ("003", "照片.jpg", &[0xFF, 0xD8, 0xFF, 0xE0]),
    ];
    // What the system cannot take.
    let unknown = post(&client, &handle, "2003", supplement("S-9", "", &[], files)).await;
    assert_eq!(unknown.code(), "2001");
    assert!(unknown.message().contains("S-9"), "{}", unknown.message());
    let empty = post(
        &client,
        &handle,
        "2003",
        supplement("S-1", "", &["只有说明"], &[]),
    )
    .await;
    assert_eq!(
        (empty.code(), empty.message()),
        ("1001", "补正须至少提交一个附件")
    );
    let nameless = post(&client, &handle, "2003", supplement("", "", &[], files)).await;
    assert_eq!(nameless.code(), "1001");
    assert!(nameless.message().contains("平台办件编号或业务流水号"));
    let mut broken = supplement("S-1", "", &["说明"], files);
    broken[52..55].copy_from_slice(b"005");
    let broken = post(&client, &handle, "2003", broken).await;
    assert_eq!(broken.code(), "1001");
    assert!(
        broken.message().contains("声明附件5个，实际为2个"),
        "{}",
        broken.message()
    );

    // The supplement, by the department's reference, with a note of two lines.
    let body = supplement(
        "",
        &reference,
        &["身份证复印件已补充，", "照片已重新拍摄"],
        files,
    );
    let answer = post(&client, &handle, "2003", body.clone()).await;
    assert_eq!(
        (answer.code(), answer.message()),
        ("0000", "补正材料已接收，继续审核")
    );
    let receipt = &answer.of(b"22", SUPPLEMENT_RECEIPT)[0];
    assert_eq!(
        [
            receipt.get("平台办件编号"),
            receipt.get("业务流水号"),
            receipt.get("附件数"),
            receipt.get("重复标志")
        ],
        ["S-1", reference.as_str(), "002", "0"]
    );
    // The same files again: taken, nothing happens twice.
    let again = post(&client, &handle, "2003", body).await;
    assert_eq!(again.code(), "0000");
    assert_eq!(again.of(b"22", SUPPLEMENT_RECEIPT)[0].get("重复标志"), "1");

    let changes = changes_until_done(&client, &handle, "S-1").await;
    assert_eq!(codes(&changes), ["20", "25", "20", "30", "40"]);
    assert_eq!(
        changes[2].0.get("办理意见"),
        "补正材料已收到（共2份），继续审核"
    );
    let case = mock_case(&client, &handle, "S-1").await;
    let supplements = case["supplements"].as_array().unwrap();
    assert_eq!(supplements.len(), 1, "{case:#}");
    assert_eq!(supplements[0]["note"], "身份证复印件已补充，照片已重新拍摄");
    assert_eq!(supplements[0]["repeats"], 1);
    let supplied = &supplements[0]["files"];
    assert_eq!(supplied[0]["file_name"], "居民身份证（补正）.pdf");
    assert_eq!(supplied[1]["size"], 4);
    assert_eq!(
        supplied[1]["sha256"],
        "ba4f25bf16ba4be6bc7d3276fafeb67f9eb3c5df042bc3a405e1af15b921eed7"
    );

    // Other files for a case no longer waiting: refused with the reason.
    let other: &[(&str, &str, &[u8])] = &[("001", "另一份.pdf", b"%PDF-1.7")];
    let late = post(&client, &handle, "2003", supplement("S-1", "", &[], other)).await;
    assert_eq!(
        (late.code(), late.message()),
        ("3001", "办件当前状态为办结，不在待补正状态，无需补正")
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn a_withdrawal_stops_an_undecided_case_and_a_decided_one_refuses_it() {
    let (handle, client) = start().await;
    for (case_no, form) in [("W-1", &[("模拟结果", "补正")][..]), ("W-2", &[])] {
        let body = chen(case_no, form);
        assert_eq!(post(&client, &handle, "2001", body).await.code(), "0000");
    }
    let changes = changes_until(&client, &handle, "W-1", "25").await;
    let reference = changes[0].0.get("业务流水号").to_owned();

    // Withdrawn while it waits for its supplement, by both its numbers.
    let answer = post(
        &client,
        &handle,
        "2004",
        withdrawal("W-1", &reference, &["申请人已另行办理"]),
    )
    .await;
    assert_eq!(
        (answer.code(), answer.message()),
        ("0000", "撤回成功，办件终止办理")
    );
    let receipt = &answer.of(b"23", WITHDRAWAL_RECEIPT)[0];
    assert_eq!(receipt.get("重复标志"), "0");
    let at = receipt.get("撤回时间").to_owned();
    assert_eq!(at.len(), 14);
    let case = mock_case(&client, &handle, "W-1").await;
    assert_eq!(
        (&case["status"], &case["status_name"]),
        (&"45".into(), &"已撤回".into())
    );
    let last = case["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["code"], "45");
    assert_eq!(last["note"], "申请人撤回申请：申请人已另行办理");
    assert!(last.get("xh").is_none(), "2002 does not report it: {last}");
    assert_eq!(case["withdrawal"]["reason"], "申请人已另行办理");

    // Again: taken, the first withdrawal's time.
    let again = post(&client, &handle, "2004", withdrawal("W-1", "", &[])).await;
    assert_eq!(again.code(), "0000");
    let receipt = &again.of(b"23", WITHDRAWAL_RECEIPT)[0];
    assert_eq!(
        (receipt.get("重复标志"), receipt.get("撤回时间")),
        ("1", at.as_str())
    );
    // No supplement and no step any more.
    let files: &[(&str, &str, &[u8])] = &[("001", "补正.pdf", b"%PDF")];
    let refused = post(&client, &handle, "2003", supplement("W-1", "", &[], files)).await;
    assert_eq!(refused.code(), "3001");
    assert!(
        refused.message().starts_with("办件已于"),
        "{}",
        refused.message()
    );
    assert!(
        refused.message().ends_with("撤回，不能补正"),
        "{}",
        refused.message()
    );

    // A decided case keeps its status.
    changes_until_done(&client, &handle, "W-2").await;
    let refused = post(
        &client,
        &handle,
        "2004",
        withdrawal("W-2", "", &["不想办了"]),
    )
    .await;
    assert_eq!(
        (refused.code(), refused.message()),
        ("3001", "办件已办结，不能撤回")
    );
    assert_eq!(mock_case(&client, &handle, "W-2").await["status"], "40");
    assert!(mock_case(&client, &handle, "W-2").await["withdrawal"].is_null());
    assert_eq!(
        codes(&changes_of(&client, &handle, "W-1").await),
        ["20", "25"]
    );

    // Unknown, mismatched, unnamed.
    let unknown = post(&client, &handle, "2004", withdrawal("W-9", "", &[])).await;
    assert_eq!(unknown.code(), "2001");
    let mismatched = post(&client, &handle, "2004", withdrawal("W-2", &reference, &[])).await;
    assert_eq!(mismatched.code(), "2001");
    assert!(mismatched.message().contains(&reference));
    let unnamed = post(&client, &handle, "2004", withdrawal("", "", &[])).await;
    assert_eq!(unnamed.code(), "1001");
    let mut unended = withdrawal("W-2", "", &["第一行", "第二行"]);
    unended.truncate(unended.len() - 205);
    unended[52..55].copy_from_slice(b"001");
    let unended = post(&client, &handle, "2004", unended).await;
    assert_eq!(unended.code(), "1001");
    assert!(
        unended.message().contains("续行标志应为0"),
        "{}",
        unended.message()
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn the_form_is_checked_against_the_declared_fields() {
    let (handle, client) = start().await;
    let seal = |case_no: &str, form: &[(&str, &str)]| {
        submission(
            case_no,
            SEAL,
            ("2", ENTERPRISE, "桐庐晓东茶业有限公司"),
            form,
            &[],
        )
    };
    let body = seal(
        "F-2",
        &[("印章名称", "桐庐晓东茶业有限公司"), ("印章类型", "红章")],
    );
    let answer = post(&client, &handle, "2001", body).await;
    assert_eq!(
        (answer.code(), answer.message()),
        (
            "3001",
            "印章类型只能是单位公章、财务专用章、发票专用章、合同专用章、法定代表人名章"
        )
    );
    let body = submission(
        "F-3",
        "330122-GA-QR-001",
        ("1", ZHANG_WEI, "张伟"),
        &[],
        &[],
    );
    let answer = post(&client, &handle, "2001", body).await;
    assert_eq!(
        (answer.code(), answer.message()),
        ("3001", "申请表缺少迁出地（原户籍所在地）、迁入地址")
    );
    let body = seal(
        "F-4",
        &[
            ("印章名称", "桐庐晓东茶业有限公司财务部"),
            ("印章类型", "财务专用章"),
        ],
    );
    assert_eq!(post(&client, &handle, "2001", body).await.code(), "0000");
    // Without 印章名称 the seal bears the organization's name, 单位公章 by default.
    assert_eq!(
        post(&client, &handle, "2001", seal("F-5", &[]))
            .await
            .code(),
        "0000"
    );
    for (case_no, seal) in [
        ("F-4", "（财务专用章“桐庐晓东茶业有限公司财务部”）"),
        ("F-5", "（单位公章“桐庐晓东茶业有限公司”）"),
    ] {
        let changes = changes_until_done(&client, &handle, case_no).await;
        let note = changes[2].0.get("办理意见");
        assert!(note.contains(seal), "{note}");
    }
    assert_eq!(stats(&client, &handle).await.cases, 2);
    handle.shutdown().await;
}
