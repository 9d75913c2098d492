//! Tests of the 县人力资源和社会保障局 mock over real HTTP, speaking its 金保 JSON interface.

use std::net::SocketAddr;
use std::time::Duration;

use legacy_systems::common::china_today;
use legacy_systems::social_security::{self, Config, Fault, Handle, Stats};
use onewindow_codes::chrono::Datelike as _;
use onewindow_codes::{gbk, id_number};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE};
use serde_json::{Value, json};

const STAGE: Duration = Duration::from_millis(30);
const DEADLINE: Duration = Duration::from_secs(10);
const CARD: &str = "330122-RS-SB-001";
const LOSS: &str = "330122-RS-SB-002";
const CHEN: &str = "11010519491231002X";

fn local() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

async fn start_with(config: Config) -> (Handle, reqwest::Client) {
    let handle = social_security::start(local(), config).await.unwrap();
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

async fn raw(request: reqwest::RequestBuilder) -> Raw {
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
    raw(client.get(format!("{}{path}", handle.endpoint()))).await
}

async fn post_raw(client: &reqwest::Client, handle: &Handle, body: Vec<u8>, charset: &str) -> Raw {
    raw(client
        .post(format!("{}/yw/sq", handle.endpoint()))
        .header(CONTENT_TYPE, format!("application/json;charset={charset}"))
        .body(body))
    .await
}

/// Checks the UTF-8 JSON framing and parses the answer.
fn parse(raw: &Raw) -> Value {
    assert_eq!(raw.status, StatusCode::OK);
    assert_eq!(raw.content_type, "application/json;charset=UTF-8");
    serde_json::from_slice(&raw.body).unwrap()
}

async fn get(client: &reqwest::Client, handle: &Handle, path: &str) -> Value {
    parse(&get_raw(client, handle, path).await)
}

async fn post(client: &reqwest::Client, handle: &Handle, body: &Value) -> Value {
    parse(&post_raw(client, handle, body.to_string().into_bytes(), "UTF-8").await)
}

#[track_caller]
fn assert_code(answer: &Value, code: i64) {
    assert_eq!(answer["code"], code, "{answer:#}");
}

async fn stats(client: &reqwest::Client, handle: &Handle) -> Stats {
    let url = format!("http://{}/_mock/stats", handle.addr());
    client.get(url).send().await.unwrap().json().await.unwrap()
}

async fn mock_case(client: &reqwest::Client, handle: &Handle, bae100: &str) -> (StatusCode, Value) {
    let response = client
        .get(format!("http://{}/_mock/cases/{bae100}", handle.addr()))
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

fn application(
    bae100: &str,
    aaa121: &str,
    aac002: &str,
    aac003: &str,
    form: &[(&str, &str)],
) -> Value {
    let bdxx: Vec<Value> = form
        .iter()
        .map(|(k, v)| json!({"bae110": k, "bae111": v}))
        .collect();
    json!({
        "bae100": bae100,
        "aaa121": aaa121,
        "bae101": 1,
        "aac002": aac002,
        "aac003": aac003,
        "aae036": "20261127093000",
        "bdxx": bdxx,
        "fjxx": [{"bae010": "002", "bae120": "照片.jpg", "bae121": "image/jpeg", "bae122": "/9j/4AAQSkZJRgABAQ=="}],
        "zzxx": [{
            "bae010": "001", "aac058": 1, "bae132": "居民身份证", "bae133": "JMSFZ",
            "aae135": aac002, "aac002": aac002, "aac003": aac003,
            "aae017": "县公安局", "aae030": "20160504", "aae031": null, "bae135": 1
        }]
    })
}

/// Every entry of the change log (办件状态变化查询), read to its end.
async fn all_changes(client: &reqwest::Client, handle: &Handle) -> Vec<Value> {
    let mut after = 0;
    let mut all = Vec::new();
    loop {
        let answer = get(client, handle, &format!("/yw/zt?qsxh={after}&pageSize=100")).await;
        assert_code(&answer, 0);
        for change in answer["data"]["list"].as_array().unwrap() {
            let xh = change["bae200"].as_u64().unwrap();
            assert!(xh > after, "bae200 {xh} not after {after}");
            after = xh;
            all.push(change.clone());
        }
        assert_eq!(answer["data"]["zdxh"], after);
        if answer["data"]["hasNext"] == false {
            return all;
        }
    }
}

/// The case changes (bae203 1) of `bae100` so far.
async fn changes_of(client: &reqwest::Client, handle: &Handle, bae100: &str) -> Vec<Value> {
    let mut all = all_changes(client, handle).await;
    all.retain(|c| c["bae203"] == 1 && c["bae100"] == bae100);
    all
}

/// The card changes (bae203 2) of the card `aaz500` so far.
async fn card_changes(client: &reqwest::Client, handle: &Handle, aaz500: &str) -> Vec<Value> {
    let mut all = all_changes(client, handle).await;
    all.retain(|c| c["bae203"] == 2 && c["aaz500"] == aaz500);
    all
}

/// Polls 办件状态变化查询 until the case's latest change is `code`; returns its changes.
async fn changes_until(
    client: &reqwest::Client,
    handle: &Handle,
    bae100: &str,
    code: i64,
) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let mine = changes_of(client, handle, bae100).await;
        if mine.last().is_some_and(|c| c["bae201"] == code) {
            return mine;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "case {bae100} never reached {code}: {mine:#?}"
        );
        tokio::time::sleep(STAGE / 3).await;
    }
}

/// Polls 办件状态变化查询 until the case has reached 60 and returns its changes.
async fn changes_until_done(client: &reqwest::Client, handle: &Handle, bae100: &str) -> Vec<Value> {
    changes_until(client, handle, bae100, 60).await
}

/// POSTs `body` as UTF-8 JSON to `path` below the endpoint.
async fn post_to(client: &reqwest::Client, handle: &Handle, path: &str, body: &Value) -> Value {
    parse(
        &raw(client
            .post(format!("{}{path}", handle.endpoint()))
            .header(CONTENT_TYPE, "application/json;charset=UTF-8")
            .body(body.to_string()))
        .await,
    )
}

/// A fjxx entry: a photo.
fn photo() -> Value {
    json!({"bae010": "002", "bae120": "照片（重拍）.jpg", "bae121": "image/jpeg", "bae122": "/9j/4A=="})
}

fn codes(changes: &[Value]) -> Vec<i64> {
    changes
        .iter()
        .map(|c| c["bae201"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn the_catalogue_pages_through_realistic_matters() {
    let (handle, client) = start().await;
    let first = get(&client, &handle, "/sx?pageNo=1&pageSize=10").await;
    assert_code(&first, 0);
    assert_eq!(first["message"], "成功");
    let data = &first["data"];
    assert_eq!(
        (data["pageNo"].as_u64(), data["pageSize"].as_u64()),
        (Some(1), Some(10))
    );
    let total = data["total"].as_u64().unwrap();
    assert!(total > 10, "{total} matters: more than one page");
    assert_eq!(data["hasNext"], true);
    let second = get(&client, &handle, "/sx?pageNo=2&pageSize=10").await;
    assert_eq!(second["data"]["hasNext"], false);
    let mut matters = data["list"].as_array().unwrap().clone();
    matters.extend(second["data"]["list"].as_array().unwrap().iter().cloned());
    assert_eq!(matters.len() as u64, total);
    for sx in &matters {
        assert!(sx["aaa121"].as_str().unwrap().starts_with("330122-RS-"));
        assert_eq!(sx["aab300"], "县人力资源和社会保障局");
        assert!([1, 2, 3, 4, 5, 9, 10].contains(&sx["aaa123"].as_i64().unwrap()));
        assert!(sx["bae002"].as_u64() <= sx["bae001"].as_u64(), "{sx}");
        assert!([0, 1].contains(&sx["bae004"].as_i64().unwrap()));
        for cl in sx["clxx"].as_array().unwrap() {
            assert!([0, 1].contains(&cl["bae012"].as_i64().unwrap()));
            assert!(cl["bae011"].as_str().is_some_and(|n| !n.is_empty()));
        }
        for bd in sx["bdxx"].as_array().unwrap() {
            let kind = bd["bae113"].as_i64().unwrap();
            assert!((1..=7).contains(&kind), "{bd}");
            assert_eq!(kind == 4, bd.get("bae116").is_some(), "{bd}");
            assert!([0, 1].contains(&bd["bae114"].as_i64().unwrap()));
            assert!(bd["bae115"].is_null() || (1..=6).contains(&bd["bae115"].as_i64().unwrap()));
            assert!(!["模拟结果", "不予办理原因"].contains(&bd["bae110"].as_str().unwrap()));
        }
    }
    let card = matters.iter().find(|sx| sx["aaa121"] == CARD).unwrap();
    assert_eq!(card["aaa122"], "社会保障卡申领");
    assert_eq!(
        card["bdxx"][0],
        json!({"bae110": "开户银行", "bae112": "社会保障卡开户银行（不填由经办机构指定）",
               "bae113": 1, "bae114": 0, "bae115": null})
    );
    let injury = matters
        .iter()
        .find(|sx| sx["aaa121"] == "330122-RS-GS-001")
        .unwrap();
    assert_eq!(
        injury["bdxx"][2],
        json!({"bae110": "事故发生日期", "bae112": "事故发生日期", "bae113": 2, "bae114": 1, "bae115": null})
    );
    assert!(
        card["clxx"]
            .as_array()
            .unwrap()
            .iter()
            .any(|cl| cl["bae013"] == "居民身份证" && cl["bae012"] == 1)
    );
    for name in [
        "社会保障卡挂失",
        "企业职工基本养老保险关系转移接续",
        "失业保险金申领",
        "城乡居民基本养老保险参保登记",
        "就业创业证申领",
    ] {
        assert!(matters.iter().any(|sx| sx["aaa122"] == name), "{name}");
    }
    // Defaults and limits of the paging parameters.
    assert_eq!(
        get(&client, &handle, "/sx").await["data"]["list"],
        first["data"]["list"]
    );
    let past = get(&client, &handle, "/sx?pageNo=9").await;
    assert_eq!(
        (
            past["data"]["list"].as_array().unwrap().len(),
            &past["data"]["hasNext"]
        ),
        (0, &json!(false))
    );
    for bad in ["/sx?pageSize=11", "/sx?pageNo=0", "/sx?pageNo=x"] {
        let answer = get(&client, &handle, bad).await;
        assert_code(&answer, 1001);
        assert!(answer["data"].is_null());
    }
    handle.shutdown().await;
}

#[tokio::test]
async fn seeded_cards_are_valid_and_verifiable() {
    let (handle, client) = start().await;
    let mut seen_rare = String::new();
    for number in [
        "D33011201",
        "D33011202",
        "D33011203",
        "D33011204",
        "D33011205",
        "B20140618",
        "D33011207",
    ] {
        let answer = get(&client, &handle, &format!("/sbk/{number}")).await;
        assert_code(&answer, 0);
        let card = &answer["data"];
        assert_eq!(card["aaz500"], number);
        id_number::validate(card["aac002"].as_str().unwrap()).unwrap();
        assert!(card["aac002"].as_str().unwrap().starts_with("330122"));
        assert_eq!(card["aae017"], "县人力资源和社会保障局");
        assert_eq!(card["aae030"].as_str().unwrap().len(), 8);
        assert_eq!(card["aae031"].as_str().unwrap().len(), 8);
        seen_rare.push_str(card["aac003"].as_str().unwrap());
        // Every holder's list holds the card.
        let held = get(
            &client,
            &handle,
            &format!("/sbk?aac002={}", card["aac002"].as_str().unwrap()),
        )
        .await;
        assert_code(&held, 0);
        assert!(held["data"]["list"].as_array().unwrap().contains(card));
    }
    for rare in ['镕', '喆', '堃', '珺'] {
        assert!(seen_rare.contains(rare), "{rare} in {seen_rare}");
    }
    let statuses: Vec<i64> = {
        let mut s = Vec::new();
        for n in ["D33011201", "D33011205", "D33011204", "B20140618"] {
            s.push(
                get(&client, &handle, &format!("/sbk/{n}")).await["data"]["aaz502"]
                    .as_i64()
                    .unwrap(),
            );
        }
        s
    };
    assert_eq!(statuses, [1, 2, 3, 5]);
    // 周珺: a lost card and its replacement, paged one per page.
    let zhou = get(&client, &handle, "/sbk/D33011204").await["data"]["aac002"]
        .as_str()
        .unwrap()
        .to_owned();
    let page1 = get(
        &client,
        &handle,
        &format!("/sbk?aac002={zhou}&pageNo=1&pageSize=1"),
    )
    .await;
    assert_eq!(
        (page1["data"]["total"].as_u64(), &page1["data"]["hasNext"]),
        (Some(2), &json!(true))
    );
    let page2 = get(
        &client,
        &handle,
        &format!("/sbk?aac002={zhou}&pageNo=2&pageSize=1"),
    )
    .await;
    assert_eq!(page2["data"]["hasNext"], false);
    assert_eq!(page2["data"]["list"][0]["aaz502"], 1);
    // 陈晓东 holds none yet.
    let none = get(&client, &handle, &format!("/sbk?aac002={CHEN}")).await;
    assert_eq!(
        (
            none["data"]["total"].as_u64(),
            none["data"]["list"].as_array().unwrap().len()
        ),
        (Some(0), 0)
    );

    let unknown = get(&client, &handle, "/sbk/D99999999").await;
    assert_code(&unknown, 2001);
    assert!(unknown["message"].as_str().unwrap().contains("D99999999"));
    assert_code(&get(&client, &handle, "/sbk/d33011201").await, 1001);
    assert_code(
        &get(&client, &handle, "/sbk?aac002=110105194912310021").await,
        1001,
    );
    assert_code(&get(&client, &handle, "/sbk").await, 1001);
    handle.shutdown().await;
}

#[tokio::test]
async fn an_application_is_idempotent_and_issues_a_card() {
    let (handle, client) = start().await;
    let request = application(
        "20261127-000042",
        CARD,
        CHEN,
        "陈晓东",
        &[("开户银行", "浙江桐庐农村商业银行")],
    );
    let first = post(&client, &handle, &request).await;
    assert_code(&first, 0);
    assert_eq!(first["message"], "申请成功");
    let aaz002 = first["data"]["aaz002"].as_str().unwrap().to_owned();
    assert!(
        aaz002.len() == 19
            && aaz002.starts_with("330122")
            && aaz002.bytes().all(|b| b.is_ascii_digit()),
        "{aaz002}"
    );
    let again = post(&client, &handle, &request).await;
    assert_code(&again, 0);
    assert_eq!(again["data"]["aaz002"], aaz002.as_str());
    assert_eq!(again["data"]["bae102"], 1);
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

    let (status, case) = mock_case(&client, &handle, "20261127-000042").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (case["status"].as_u64(), case["status_name"].as_str()),
        (Some(10), Some("已受理"))
    );

    let changes = changes_until_done(&client, &handle, "20261127-000042").await;
    assert_eq!(codes(&changes), [20, 40, 60]);
    assert!(
        changes
            .iter()
            .all(|c| c["aaz002"] == aaz002.as_str() && c["aaa121"] == CARD)
    );
    assert_eq!(changes[0]["aae013"], "材料齐全，已受理，进入审核");
    assert!(changes[..2].iter().all(|c| c.get("sbk").is_none()));
    let time = changes[0]["aae036"].as_str().unwrap();
    assert!(
        time.len() == 14 && time.bytes().all(|b| b.is_ascii_digit()),
        "{time}"
    );
    let card = &changes[2]["sbk"];
    let number = card["aaz500"].as_str().unwrap().to_owned();
    assert!(number.len() == 9 && number.starts_with('D'), "{number}");
    assert_eq!(
        (card["aac002"].as_str(), card["aac003"].as_str()),
        (Some(CHEN), Some("陈晓东"))
    );
    assert_eq!(card["aae008"], "浙江桐庐农村商业银行");
    assert_eq!(card["aaz502"], 1);
    let today = china_today();
    assert_eq!(card["aae030"], today.format("%Y%m%d").to_string());
    assert!(
        card["aae031"]
            .as_str()
            .unwrap()
            .starts_with(&(today.year() + 10).to_string())
    );
    assert!(changes[2]["aae013"].as_str().unwrap().contains(&number));

    let held = get(&client, &handle, &format!("/sbk?aac002={CHEN}")).await;
    assert_eq!(held["data"]["list"], json!([card]));
    assert_eq!(
        &get(&client, &handle, &format!("/sbk/{number}")).await["data"],
        card
    );

    // The case as the department stored it, with the reused 居民身份证.
    let (_, case) = mock_case(&client, &handle, "20261127-000042").await;
    assert_eq!(case["aaz002"], aaz002.as_str());
    assert_eq!(case["status"], 60);
    assert_eq!(case["finished"], true);
    assert_eq!(case["issued_card"], number.as_str());
    assert_eq!(case["resubmissions"], 1);
    assert_eq!(
        case["applicant"],
        json!({"bae101": 1, "aac002": CHEN, "aac003": "陈晓东"})
    );
    assert_eq!(case["fjxx"][0]["size"], 13);
    assert_eq!(case["zzxx"], request["zzxx"]);
    assert_eq!(case["history"].as_array().unwrap().len(), 3);

    // Applying again now that a card is held is refused by the rules.
    let twice = post(
        &client,
        &handle,
        &application("20261127-000043", CARD, CHEN, "陈晓东", &[]),
    )
    .await;
    assert_code(&twice, 3001);
    assert!(twice["message"].as_str().unwrap().contains(&number));

    // Paging the status log: one change per page, then nothing past the end.
    let one = get(&client, &handle, "/yw/zt?qsxh=0&pageSize=1").await;
    assert_eq!(one["data"]["list"].as_array().unwrap().len(), 1);
    assert_eq!(
        (one["data"]["zdxh"].as_u64(), &one["data"]["hasNext"]),
        (Some(1), &json!(true))
    );
    let last = changes[2]["bae200"].as_u64().unwrap();
    let past = get(&client, &handle, &format!("/yw/zt?qsxh={last}")).await;
    assert_eq!(
        past["data"],
        json!({"qsxh": last, "zdxh": last, "hasNext": false, "list": []})
    );
    assert_code(&get(&client, &handle, "/yw/zt").await, 1001);
    assert_code(
        &get(&client, &handle, "/yw/zt?qsxh=0&pageSize=101").await,
        1001,
    );
    let (status, _) = mock_case(&client, &handle, "nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    handle.shutdown().await;
}

#[tokio::test]
async fn denial_supplement_and_loss_paths() {
    let (handle, client) = start().await;
    let with_check = |body: &str| format!("{body}{}", id_number::check_char(body).unwrap());
    // 王镕 holds a normal card; 何晓燕 holds none.
    let wang = &with_check("33012219850312011");
    let he = &with_check("33012219941111088");
    let denied = application(
        "D-1",
        "330122-RS-JY-001",
        he,
        "何晓燕",
        &[
            ("模拟结果", "不予办理"),
            ("不予办理原因", "已在外县办理就业创业证"),
        ],
    );
    assert_code(&post(&client, &handle, &denied).await, 0);
    let supplemented = application("S-1", CARD, he, "何晓燕", &[("模拟结果", "补正")]);
    assert_code(&post(&client, &handle, &supplemented).await, 0);
    let lost = application("L-1", LOSS, wang, "王镕", &[]);
    assert_code(&post(&client, &handle, &lost).await, 0);

    let denial = changes_until_done(&client, &handle, "D-1").await;
    assert_eq!(codes(&denial), [20, 50, 60]);
    assert!(
        denial[1]["aae013"]
            .as_str()
            .unwrap()
            .contains("已在外县办理就业创业证")
    );
    assert!(denial.iter().all(|c| c.get("sbk").is_none()));
    // The supplement path waits at 30 until its 业务补正.
    let waiting = changes_until(&client, &handle, "S-1", 30).await;
    assert_eq!(codes(&waiting), [20, 30]);
    let answer = post_to(
        &client,
        &handle,
        "/yw/bz",
        &json!({"bae100": "S-1", "fjxx": [photo()]}),
    )
    .await;
    assert_code(&answer, 0);
    let supplement = changes_until_done(&client, &handle, "S-1").await;
    assert_eq!(codes(&supplement), [20, 30, 20, 40, 60]);
    assert_eq!(supplement[2]["aae013"], "补正材料已收到（共1份），继续审核");
    assert!(
        supplement[1]["aae013"]
            .as_str()
            .unwrap()
            .starts_with("申请材料不齐全，请补正")
    );
    assert_eq!(supplement[4]["sbk"]["aac003"], "何晓燕");
    let loss = changes_until_done(&client, &handle, "L-1").await;
    assert_eq!(codes(&loss), [20, 40, 60]);
    assert!(loss[2].get("sbk").is_none());
    // The card's new status follows the case's 60 in the change log.
    let lost = card_changes(&client, &handle, "D33011201").await;
    assert_eq!(lost.len(), 1, "{lost:#?}");
    assert_eq!(lost[0]["bae200"], loss[2]["bae200"].as_u64().unwrap() + 1);
    assert_eq!(lost[0]["aaz502"], 3);
    assert_eq!(lost[0]["sbk"]["aaz502"], 3);
    assert_eq!(
        lost[0]["aae013"],
        "社会保障卡正式挂失（社会保障卡挂失，平台办件编号L-1）"
    );
    assert_eq!(
        get(&client, &handle, "/sbk/D33011201").await["data"]["aaz502"],
        3
    );
    // With the card lost, 王镕 may apply for a new one.
    assert_code(
        &post(
            &client,
            &handle,
            &application("N-1", CARD, wang, "王镕", &[]),
        )
        .await,
        0,
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn errors_are_answered_with_codes() {
    let (handle, client) = start().await;
    let unknown = post(
        &client,
        &handle,
        &application("E-1", "330122-RS-XX-999", CHEN, "陈晓东", &[]),
    )
    .await;
    assert_code(&unknown, 2001);
    assert!(
        unknown["message"]
            .as_str()
            .unwrap()
            .contains("330122-RS-XX-999")
    );

    let mut no_case_no = application("E-2", CARD, CHEN, "陈晓东", &[]);
    no_case_no.as_object_mut().unwrap().remove("bae100");
    let answer = post(&client, &handle, &no_case_no).await;
    assert_code(&answer, 1001);
    assert_eq!(answer["message"], "缺少bae100（平台办件编号）");

    let mut organization = application("E-3", CARD, CHEN, "陈晓东", &[]);
    organization["bae101"] = json!(2);
    organization["aab998"] = json!("91330122704218653L");
    organization["aab004"] = json!("桐庐富春蜂语蜂业有限公司");
    let answer = post(&client, &handle, &organization).await;
    assert_code(&answer, 3001);
    assert!(answer["message"].as_str().unwrap().contains("个人"));
    // Organizations may apply where the catalogue lets them, with a reused 营业执照.
    let mut injury = organization.clone();
    injury["bae100"] = json!("E-4");
    injury["aaa121"] = json!("330122-RS-GS-001");
    // Its form lacks what the department cannot do without.
    let answer = post(&client, &handle, &injury).await;
    assert_code(&answer, 3001);
    assert_eq!(
        answer["message"],
        "表单信息缺少必填项：受伤害职工姓名、受伤害职工公民身份号码、事故发生日期"
    );
    injury["bdxx"] = json!([
        {"bae110": "受伤害职工姓名", "bae111": "陈晓东"},
        {"bae110": "受伤害职工公民身份号码", "bae111": CHEN},
        {"bae110": "事故发生日期", "bae111": "20261120"}
    ]);
    injury["zzxx"] = json!([{
        "bae010": "004", "aac058": 3, "bae132": "营业执照", "bae133": "YYZZ",
        "aae135": "91330122704218653L", "aab998": "91330122704218653L", "aab004": "桐庐富春蜂语蜂业有限公司",
        "aae017": "县市场监督管理局", "aae030": "20190702", "aae031": null, "bae135": 1
    }]);
    assert_code(&post(&client, &handle, &injury).await, 0);
    let (_, case) = mock_case(&client, &handle, "E-4").await;
    assert_eq!(case["applicant"]["aab998"], "91330122704218653L");
    assert_eq!(case["zzxx"][0]["aae017"], "县市场监督管理局");

    let broken = post_raw(&client, &handle, b"{\"bae100\": ".to_vec(), "UTF-8").await;
    let answer = parse(&broken);
    assert_code(&answer, 1001);
    assert!(answer["message"].as_str().unwrap().contains("JSON"));

    // GBK bytes that claim to be UTF-8 are not silently misread.
    let text = application("E-5", CARD, CHEN, "陈晓东", &[]).to_string();
    let answer = parse(&post_raw(&client, &handle, gbk::encode(&text).unwrap(), "UTF-8").await);
    assert_code(&answer, 1001);
    assert!(
        answer["message"].as_str().unwrap().contains("编码"),
        "{answer}"
    );
    // Honestly declared GBK is read.
    let answer = parse(&post_raw(&client, &handle, gbk::encode(&text).unwrap(), "GBK").await);
    assert_code(&answer, 0);
    handle.shutdown().await;
}

#[tokio::test]
async fn faults_show_in_the_json() {
    let (handle, client) = start().await;
    let normal = get_raw(&client, &handle, "/sx").await;
    let normal_json = parse(&normal);

    assert_eq!(
        put_fault(&client, &handle, r#"{"mode": "truncated"}"#).await,
        StatusCode::OK
    );
    let cut = get_raw(&client, &handle, "/sx").await;
    assert_eq!(cut.status, StatusCode::OK);
    assert_eq!(cut.body.len(), normal.body.len() / 2);
    assert_eq!(cut.content_length, Some(cut.body.len()));
    assert_eq!(&cut.body[..], &normal.body[..cut.body.len()]);
    assert!(serde_json::from_slice::<Value>(&cut.body).is_err());

    handle.set_fault(Fault::WrongEncoding);
    let wrong = get_raw(&client, &handle, "/sx").await;
    assert_eq!(wrong.content_type, "application/json;charset=UTF-8");
    assert!(
        std::str::from_utf8(&wrong.body).is_err(),
        "the bytes must be GBK"
    );
    assert!(gbk::decode(&wrong.body).unwrap().contains("社会保障卡申领"));

    handle.set_fault(Fault::MissingElement);
    let missing = get(&client, &handle, "/sx").await;
    assert!(missing["data"]["list"][0].get("aaa122").is_none());
    assert!(missing["data"]["list"][1].get("aaa122").is_some());
    let submitted = post(
        &client,
        &handle,
        &application("F-1", CARD, CHEN, "陈晓东", &[]),
    )
    .await;
    assert_code(&submitted, 0);
    assert!(submitted["data"].get("aaz002").is_none());
    let card = get(&client, &handle, "/sbk/D33011201").await;
    assert!(card["data"].get("aaz500").is_none());

    handle.set_fault(Fault::UnknownCode);
    let unknown = get(&client, &handle, "/sx").await;
    assert_eq!(unknown["data"]["list"][0]["aaa123"], 8);
    assert_eq!(
        get(&client, &handle, "/sbk/D33011201").await["data"]["aaz502"],
        9
    );
    assert_eq!(
        get(&client, &handle, "/yw/zt?qsxh=0").await["code"],
        4001,
        "no change yet: the 返回码"
    );
    let answer = post(
        &client,
        &handle,
        &application("F-2", "330122-RS-JY-001", CHEN, "陈晓东", &[]),
    )
    .await;
    assert_code(&answer, 4001);

    handle.set_fault(Fault::None);
    changes_until_done(&client, &handle, "F-2").await;
    handle.set_fault(Fault::UnknownCode);
    assert_eq!(
        get(&client, &handle, "/yw/zt?qsxh=0").await["data"]["list"][0]["bae201"],
        70
    );

    handle.set_fault(Fault::EndlessPages);
    let page2 = get(&client, &handle, "/sx?pageNo=2").await;
    assert_eq!(page2["data"]["pageNo"], 2);
    assert_eq!(page2["data"]["hasNext"], true);
    assert_eq!(page2["data"]["list"], normal_json["data"]["list"]);
    let endless = get(&client, &handle, "/yw/zt?qsxh=0").await;
    assert_eq!(
        (
            endless["data"]["zdxh"].as_u64(),
            &endless["data"]["hasNext"]
        ),
        (Some(0), &json!(true))
    );
    assert!(!endless["data"]["list"].as_array().unwrap().is_empty());

    assert_eq!(
        put_fault(&client, &handle, r#"{"mode": "down"}"#).await,
        StatusCode::OK
    );
    let down = get_raw(&client, &handle, "/sx").await;
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
    assert_eq!(
        get_raw(&client, &handle, "/sx").await.status,
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
    assert_eq!(get_raw(&client, &handle, "/sx").await.body, normal.body);
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
    let failed = get_raw(&client, &handle, "/sx").await;
    assert_eq!(failed.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(started.elapsed() >= Duration::from_millis(100));
    assert_eq!(handle.stats().requests, 1);

    let addr = handle.addr();
    assert!(handle.endpoint().ends_with("/jbgc/api"));
    handle.shutdown().await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "port still open"
    );

    let bad = Config {
        fail_rate: 1.5,
        ..Config::default()
    };
    assert!(social_security::start(local(), bad).await.is_err());
    assert_eq!(social_security::DEFAULT_LISTEN, "127.0.0.1:9104");
}

#[tokio::test]
async fn a_supplement_lets_the_waiting_case_go_on_once() {
    let (handle, client) = start().await;
    let request = application("S-2", CARD, CHEN, "陈晓东", &[("模拟结果", "补正")]);
    assert_code(&post(&client, &handle, &request).await, 0);
    let waiting = changes_until(&client, &handle, "S-2", 30).await;
    let aaz002 = waiting[0]["aaz002"].as_str().unwrap().to_owned();
    tokio::time::sleep(STAGE * 8).await;
    assert_eq!(codes(&changes_of(&client, &handle, "S-2").await), [20, 30]);

    let files = json!([photo(), {"bae010": "001", "bae120": "身份证.pdf", "bae121": "application/pdf", "bae122": "JVBERi0xLjQ="}]);
    // What the system does not take.
    let unknown = post_to(
        &client,
        &handle,
        "/yw/bz",
        &json!({"bae100": "S-9", "fjxx": files}),
    )
    .await;
    assert_code(&unknown, 2001);
    assert_eq!(unknown["message"], "办件不存在（bae100=S-9）");
    let empty = post_to(
        &client,
        &handle,
        "/yw/bz",
        &json!({"bae100": "S-2", "fjxx": []}),
    )
    .await;
    assert_code(&empty, 1001);
    assert_eq!(
        empty["message"],
        "fjxx（附件信息）不能为空：补正须至少提交一个附件"
    );
    let unnamed = post_to(&client, &handle, "/yw/bz", &json!({"fjxx": files})).await;
    assert_code(&unnamed, 1001);
    assert_eq!(
        unnamed["message"],
        "缺少bae100（平台办件编号）或aaz002（业务流水号）"
    );
    let mismatched = post_to(
        &client,
        &handle,
        "/yw/bz",
        &json!({"bae100": "S-2", "aaz002": "3301222026010100001", "fjxx": files}),
    )
    .await;
    assert_code(&mismatched, 2001);

    // By the department's reference, with a note; then the same again.
    let body = json!({"aaz002": aaz002, "aae013": "照片已重拍，补充身份证复印件", "fjxx": files});
    let answer = post_to(&client, &handle, "/yw/bz", &body).await;
    assert_code(&answer, 0);
    assert_eq!(answer["message"], "补正材料已接收，继续审核");
    assert_eq!(answer["data"]["bae100"], "S-2");
    assert_eq!(answer["data"]["aaz002"], aaz002.as_str());
    assert_eq!(answer["data"]["bae102"], 0);
    let received = answer["data"]["aae036"].clone();
    let again = post_to(&client, &handle, "/yw/bz", &body).await;
    assert_code(&again, 0);
    assert_eq!(again["data"]["bae102"], 1);
    assert_eq!(again["data"]["aae036"], received);

    let done = changes_until_done(&client, &handle, "S-2").await;
    assert_eq!(codes(&done), [20, 30, 20, 40, 60]);
    assert_eq!(done[2]["aae013"], "补正材料已收到（共2份），继续审核");
    let (_, case) = mock_case(&client, &handle, "S-2").await;
    let supplements = case["supplements"].as_array().unwrap();
    assert_eq!(supplements.len(), 1, "{case:#}");
    assert_eq!(supplements[0]["aae013"], "照片已重拍，补充身份证复印件");
    assert_eq!(supplements[0]["repeats"], 1);
    assert_eq!(supplements[0]["fjxx"][0]["bae120"], "照片（重拍）.jpg");
    assert_eq!(supplements[0]["fjxx"][0]["size"], 4);
    assert_eq!(
        supplements[0]["fjxx"][0]["sha256"],
        "ba4f25bf16ba4be6bc7d3276fafeb67f9eb3c5df042bc3a405e1af15b921eed7"
    );

    // A case not waiting: refused with the reason.
    let late = post_to(
        &client,
        &handle,
        "/yw/bz",
        &json!({"bae100": "S-2", "fjxx": [photo(), photo()]}),
    )
    .await;
    assert_code(&late, 3001);
    assert_eq!(
        late["message"],
        "办件当前状态为办结（60），不在需补正状态，无需补正"
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn a_withdrawal_stops_an_undecided_case_and_a_decided_one_refuses_it() {
    let (handle, client) = start().await;
    let with_check = |body: &str| format!("{body}{}", id_number::check_char(body).unwrap());
    let he = &with_check("33012219941111088");
    let waiting = application("W-1", CARD, he, "何晓燕", &[("模拟结果", "补正")]);
    assert_code(&post(&client, &handle, &waiting).await, 0);
    let quick = application("W-2", "330122-RS-JY-001", CHEN, "陈晓东", &[]);
    assert_code(&post(&client, &handle, &quick).await, 0);
    changes_until(&client, &handle, "W-1", 30).await;

    let body = json!({"bae100": "W-1", "aae013": "申请人已在外县申领"});
    let answer = post_to(&client, &handle, "/yw/ch", &body).await;
    assert_code(&answer, 0);
    assert_eq!(answer["message"], "撤回成功，办件终止办理");
    assert_eq!(answer["data"]["bae102"], 0);
    let at = answer["data"]["aae036"].clone();
    let (_, case) = mock_case(&client, &handle, "W-1").await;
    assert_eq!(
        (&case["status"], &case["status_name"]),
        (&json!(70), &json!("已撤回"))
    );
    assert_eq!(case["withdrawal"]["aae013"], "申请人已在外县申领");
    let last = case["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["bae201"], 70);
    assert_eq!(last["aae013"], "申请人撤回申请：申请人已在外县申领");
    assert!(
        last.get("bae200").is_none(),
        "not in the change log: {last}"
    );
    let again = post_to(&client, &handle, "/yw/ch", &json!({"bae100": "W-1"})).await;
    assert_code(&again, 0);
    assert_eq!(again["message"], "办件已撤回");
    assert_eq!(
        (&again["data"]["bae102"], &again["data"]["aae036"]),
        (&json!(1), &at)
    );
    let refused = post_to(
        &client,
        &handle,
        "/yw/bz",
        &json!({"bae100": "W-1", "fjxx": [photo()]}),
    )
    .await;
    assert_code(&refused, 3001);
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .ends_with("撤回，不能补正"),
        "{refused}"
    );

    changes_until_done(&client, &handle, "W-2").await;
    let decided = post_to(
        &client,
        &handle,
        "/yw/ch",
        &json!({"bae100": "W-2", "aae013": "不办了"}),
    )
    .await;
    assert_code(&decided, 3001);
    assert_eq!(decided["message"], "办件已办结，不能撤回");
    let (_, case) = mock_case(&client, &handle, "W-2").await;
    assert_eq!(case["status"], 60);
    assert!(case["withdrawal"].is_null());
    tokio::time::sleep(STAGE * 5).await;
    assert_eq!(codes(&changes_of(&client, &handle, "W-1").await), [20, 30]);

    let unknown = post_to(&client, &handle, "/yw/ch", &json!({"bae100": "W-9"})).await;
    assert_code(&unknown, 2001);
    let wrong_type = post_to(
        &client,
        &handle,
        "/yw/ch",
        &json!({"bae100": "W-1", "aae013": 7}),
    )
    .await;
    assert_code(&wrong_type, 1001);
    assert_eq!(
        wrong_type["message"],
        "aae013（撤回原因）应为字符串，实际为7"
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn a_card_reported_lost_or_cancelled_is_in_the_change_log() {
    let (handle, client) = start().await;
    let change = |aaz500: &str, body: Value| {
        let client = client.clone();
        let url = format!("/sbk/{aaz500}/zt");
        let handle = &handle;
        async move { post_to(&client, handle, &url, &body).await }
    };
    // 王镕's normal card: reported lost by telephone (临时挂失), then formally.
    let answer = change(
        "D33011201",
        json!({"aaz502": 2, "aae013": "持卡人电话挂失"}),
    )
    .await;
    assert_code(&answer, 0);
    assert_eq!(answer["message"], "社会保障卡状态已变更为临时挂失");
    assert_eq!(
        (&answer["data"]["aaz502"], &answer["data"]["bae102"]),
        (&json!(2), &json!(0))
    );
    let again = change("D33011201", json!({"aaz502": 2})).await;
    assert_code(&again, 0);
    assert_eq!(
        again["data"]["bae102"], 1,
        "the same status: nothing changes"
    );
    assert_code(
        &change(
            "D33011201",
            json!({"aaz502": 3, "aae013": "持卡人到窗口办理正式挂失"}),
        )
        .await,
        0,
    );
    // 正式挂失 is for good: only 注销 follows.
    let refused = change("D33011201", json!({"aaz502": 1})).await;
    assert_code(&refused, 3001);
    assert_eq!(
        refused["message"],
        "社会保障卡D33011201当前状态为正式挂失，正式挂失的卡只能注销，请办理补领"
    );
    assert_code(
        &change(
            "D33011201",
            json!({"aaz502": 4, "aae013": "补领后原卡注销"}),
        )
        .await,
        0,
    );
    let refused = change("D33011201", json!({"aaz502": 2})).await;
    assert_code(&refused, 3001);
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("已注销的卡不能再变更状态")
    );
    // 钱珺瑶's card in 临时挂失 is found again.
    let found = change("D33011205", json!({"aaz502": 1, "aae013": "卡片已找回"})).await;
    assert_code(&found, 0);
    assert_eq!(found["message"], "社会保障卡状态已变更为正常");

    let log = card_changes(&client, &handle, "D33011201").await;
    let described: Vec<(i64, &str)> = log
        .iter()
        .map(|c| (c["aaz502"].as_i64().unwrap(), c["aae013"].as_str().unwrap()))
        .collect();
    assert_eq!(
        described,
        [
            (2, "社会保障卡临时挂失：持卡人电话挂失"),
            (3, "社会保障卡正式挂失：持卡人到窗口办理正式挂失"),
            (4, "社会保障卡注销：补领后原卡注销"),
        ]
    );
    assert!(
        log.iter()
            .all(|c| c["sbk"]["aaz500"] == "D33011201" && c["sbk"]["aaz502"] == c["aaz502"])
    );
    assert!(
        log.iter()
            .all(|c| c["aae036"].as_str().unwrap().len() == 14 && c.get("bae100").is_none())
    );
    assert_eq!(
        card_changes(&client, &handle, "D33011205").await[0]["aae013"],
        "社会保障卡解除临时挂失：卡片已找回"
    );
    assert_eq!(
        get(&client, &handle, "/sbk/D33011201").await["data"]["aaz502"],
        4
    );

    // What the system does not take.
    assert_code(&change("D99999999", json!({"aaz502": 2})).await, 2001);
    assert_code(&change("d33011201", json!({"aaz502": 2})).await, 1001);
    let expired = change("D33011202", json!({"aaz502": 5})).await;
    assert_code(&expired, 1001);
    assert!(
        expired["message"]
            .as_str()
            .unwrap()
            .starts_with("aaz502（卡状态）应为"),
        "{expired}"
    );
    assert_code(&change("D33011202", json!({})).await, 1001);
    handle.shutdown().await;
}
