//! The 县不动产登记中心 mock through its own protocol: GBK CSV files in an exchange
//! folder, written and read the way the spec (`real-estate.md`) says.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use legacy_systems::real_estate::{self, Config, Fault, Handle, csv};
use onewindow_codes::{credit_code, gbk, id_number};

const STAGE: Duration = Duration::from_millis(30);
const DEADLINE: Duration = Duration::from_secs(10);

/// A fresh exchange folder, removed at the end.
struct Folder(PathBuf);

impl Folder {
    fn new(name: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        Self(std::env::temp_dir().join(format!(
            "real-estate-mock-{name}-{}-{nanos}",
            std::process::id()
        )))
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.0.join(relative)
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

async fn start_with(name: &str, config: Config) -> (Folder, Handle) {
    let folder = Folder::new(name);
    let handle = real_estate::start(folder.0.clone(), config).await.unwrap();
    assert_eq!(handle.dir(), folder.0);
    (folder, handle)
}

async fn start(name: &str) -> (Folder, Handle) {
    start_with(
        name,
        Config {
            stage: STAGE,
            ..Config::default()
        },
    )
    .await
}

/// A table the department wrote: header and rows as maps, checking the GBK framing.
struct Table {
    header: Vec<String>,
    rows: Vec<HashMap<String, String>>,
}

fn read_table(path: &Path) -> Table {
    let bytes = std::fs::read(path).unwrap();
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "{} is GBK, not UTF-8",
        path.display()
    );
    let text = gbk::decode(&bytes).unwrap();
    assert!(text.ends_with("\r\n"), "{} ends with CRLF", path.display());
    let mut records = csv::parse(&text).unwrap();
    let header = records.remove(0);
    let rows = records
        .into_iter()
        .map(|r| {
            assert_eq!(r.len(), header.len(), "{r:?}");
            header.iter().cloned().zip(r).collect()
        })
        .collect();
    Table { header, rows }
}

fn person_id(first17: &str) -> String {
    format!("{first17}{}", id_number::check_char(first17).unwrap())
}

/// Writes a case file into `sqbj/` through a temporary name, as the platform does.
fn put_case(folder: &Folder, case_no: &str, text: &str) {
    let name = format!("SQ_{case_no}.csv");
    let temporary = folder.path(&format!("sqbj/.{name}.tmp"));
    std::fs::write(&temporary, gbk::encode(text).unwrap()).unwrap();
    std::fs::rename(temporary, folder.path(&format!("sqbj/{name}"))).unwrap();
}

/// Writes a file into `folder` through a temporary name, as the platform does.
fn put_file(folder: &Folder, relative: &str, name: &str, text: &str) {
    let temporary = folder.path(&format!("{relative}/.{name}.tmp"));
    std::fs::write(&temporary, gbk::encode(text).unwrap()).unwrap();
    std::fs::rename(temporary, folder.path(&format!("{relative}/{name}"))).unwrap();
}

/// Writes the supplement file `bzcl/BZ_<case_no>_<batch>.csv` with `note` and one
/// file per `(material, file name)`.
fn put_supplement(folder: &Folder, case_no: &str, batch: &str, note: &str, files: &[(&str, &str)]) {
    let mut records = vec![
        vec!["#补正", "平台办件编号", "交换编号", "补正说明"]
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>(),
        vec![
            "补正".to_owned(),
            case_no.to_owned(),
            format!("SQ_{case_no}"),
            note.to_owned(),
        ],
        ["#附件", "材料编码", "文件名", "文件类型", "文件内容"]
            .map(str::to_owned)
            .to_vec(),
    ];
    for (material, name) in files {
        records.push(
            ["附件", material, name, "application/pdf", "JVBERi0xLjQK"]
                .map(str::to_owned)
                .to_vec(),
        );
    }
    put_file(
        folder,
        "bzcl",
        &format!("BZ_{case_no}_{batch}.csv"),
        &csv::to_text(&records),
    );
}

/// Writes the withdrawal file `chsq/CH_<case_no>.csv`.
fn put_withdrawal(folder: &Folder, case_no: &str, reason: &str) {
    let records = vec![
        ["#撤回", "平台办件编号", "交换编号", "撤回原因"]
            .map(str::to_owned)
            .to_vec(),
        vec![
            "撤回".to_owned(),
            case_no.to_owned(),
            format!("SQ_{case_no}"),
            reason.to_owned(),
        ],
    ];
    put_file(
        folder,
        "chsq",
        &format!("CH_{case_no}.csv"),
        &csv::to_text(&records),
    );
}

/// The reason the batch job gave for refusing `relative` (its `.txt`).
fn refusal(folder: &Folder, relative: &str) -> String {
    gbk::decode(&std::fs::read(folder.path(&format!("{relative}.txt"))).unwrap()).unwrap()
}

const SELLER_CERTIFICATE: &str = "浙(2019)桐庐县不动产权第0003128号";
const SEIZED_CERTIFICATE: &str = "浙(2020)桐庐县不动产权第0003318号";

/// The text of a case file of `matter` by 陈珺 with `form`, reusing her ID card and,
/// when given, a 不动产权证书.
fn case_text(
    case_no: &str,
    matter: &str,
    form: &[(&str, &str)],
    certificate: Option<&str>,
) -> String {
    let buyer = person_id("33012219930519002");
    let mut records: Vec<Vec<String>> = Vec::new();
    let mut push = |fields: &[&str]| records.push(fields.iter().map(|&f| f.to_owned()).collect());
    push(&[
        "#申请",
        "平台办件编号",
        "事项编码",
        "申请人类型",
        "申请人",
        "证件种类",
        "证件号码",
        "受理时间",
    ]);
    push(&[
        "申请",
        case_no,
        matter,
        "1",
        "陈珺",
        "1",
        &buyer,
        "20261127093000",
    ]);
    push(&["#表单", "字段名", "字段值"]);
    for (name, value) in form {
        push(&["表单", name, value]);
    }
    push(&["#附件", "材料编码", "文件名", "文件类型", "文件内容"]);
    push(&[
        "附件",
        "004",
        "不动产买卖合同.pdf",
        "application/pdf",
        "JVBERi0xLjQK",
    ]);
    push(&[
        "#证照",
        "材料编码",
        "证件种类",
        "证照名称",
        "证照号码",
        "持证人",
        "持证人证件号码",
        "发证机关",
        "发证日期",
        "有效期至",
    ]);
    push(&[
        "证照",
        "002",
        "1",
        "居民身份证",
        &buyer,
        "陈珺",
        &buyer,
        "桐庐县公安局",
        "20180301",
        "20380301",
    ]);
    if let Some(number) = certificate {
        push(&[
            "证照",
            "003",
            "10",
            "不动产权证书",
            number,
            "申屠建华",
            &person_id("33012219650211041"),
            "县不动产登记中心",
            "20190612",
            "",
        ]);
    }
    csv::to_text(&records)
}

/// Every result row so far, in file name order, with the file it is in.
fn results(folder: &Folder) -> Vec<(String, HashMap<String, String>)> {
    folder
        .names("bjjg")
        .into_iter()
        .filter(|n| n.starts_with("JG_") && n.ends_with(".csv"))
        .flat_map(|name| {
            read_table(&folder.path(&format!("bjjg/{name}")))
                .rows
                .into_iter()
                .map(move |row| (name.clone(), row))
        })
        .collect()
}

/// The 状态代码 of the result rows of `case_no` so far.
fn codes(folder: &Folder, case_no: &str) -> Vec<String> {
    results(folder)
        .into_iter()
        .filter(|(_, r)| r["平台办件编号"] == case_no)
        .map(|(_, r)| r["状态代码"].clone())
        .collect()
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(STAGE / 3).await;
    }
}

/// Waits for the case's last result row to be `last` and returns its rows' codes.
async fn wait_for_code(folder: &Folder, case_no: &str, last: &str) -> Vec<String> {
    let mut seen = Vec::new();
    wait_until(&format!("{case_no} reaches {last}"), || {
        seen = codes(folder, case_no);
        seen.last().is_some_and(|c| c == last)
    })
    .await;
    seen
}

#[tokio::test]
async fn exports_the_catalogue_and_the_register_in_gbk() {
    let (folder, handle) = start("exports").await;
    let sxqd = read_table(&folder.path("sxqd.csv"));
    assert_eq!(
        sxqd.header,
        [
            "事项编码",
            "事项名称",
            "实施机构",
            "事项类型",
            "法定办结时限",
            "承诺办结时限",
            "到现场次数",
            "是否网办",
            "收费标准",
            "受理条件"
        ]
    );
    assert!(sxqd.rows.len() >= 5);
    let matter = |code: &str| {
        sxqd.rows
            .iter()
            .find(|r| r["事项编码"] == code)
            .unwrap_or_else(|| panic!("{code} is in the catalogue"))
    };
    assert_eq!(matter("330122-BDC-DJ-001")["事项名称"], "不动产转移登记");
    assert_eq!(matter("330122-BDC-DJ-002")["事项名称"], "不动产抵押登记");
    for row in &sxqd.rows {
        assert_eq!(row["实施机构"], real_estate::DEPARTMENT);
        let legal: u32 = row["法定办结时限"].parse().unwrap();
        let promised: u32 = row["承诺办结时限"].parse().unwrap();
        assert!(promised <= legal, "{row:?}");
        assert!(["01", "05", "07", "08", "09", "10", "20"].contains(&row["事项类型"].as_str()));
        assert!(["是", "否"].contains(&row["是否网办"].as_str()));
        assert!(!row["受理条件"].is_empty() && !row["收费标准"].is_empty());
    }

    let clqd = read_table(&folder.path("clqd.csv"));
    for row in &clqd.rows {
        matter(&row["事项编码"]);
    }
    let substitutes: Vec<&str> = clqd.rows.iter().map(|r| r["可替代证照"].as_str()).collect();
    for license in ["居民身份证", "不动产权证书", "营业执照"] {
        assert!(substitutes.contains(&license), "{license}");
    }

    // 表单清单: every matter declares its form; the test switches are not in it.
    let bdqd = read_table(&folder.path("bdqd.csv"));
    assert_eq!(
        bdqd.header,
        [
            "事项编码",
            "字段名",
            "字段标签",
            "字段类型",
            "可选值",
            "是否必填",
            "预填来源"
        ]
    );
    for row in &sxqd.rows {
        assert!(
            bdqd.rows.iter().any(|f| f["事项编码"] == row["事项编码"]),
            "{} declares its form",
            row["事项编码"]
        );
    }
    for field in &bdqd.rows {
        matter(&field["事项编码"]);
        assert!(!["模拟结果", "不予登记原因"].contains(&field["字段名"].as_str()));
        assert!(["1", "2", "3", "4", "5", "6", "7"].contains(&field["字段类型"].as_str()));
        assert_eq!(
            field["字段类型"] == "4",
            !field["可选值"].is_empty(),
            "{field:?}"
        );
        assert!(["是", "否"].contains(&field["是否必填"].as_str()));
        assert!(["", "1", "2", "3", "4", "5", "6"].contains(&field["预填来源"].as_str()));
    }
    let transfer: Vec<&str> = bdqd
        .rows
        .iter()
        .filter(|f| f["事项编码"] == "330122-BDC-DJ-001")
        .map(|f| f["字段名"].as_str())
        .collect();
    assert_eq!(
        transfer,
        [
            "转移原因",
            "不动产权证号",
            "坐落",
            "面积",
            "共有情况",
            "成交价格",
            "联系电话"
        ]
    );

    let zsqd = read_table(&folder.path("zsqd.csv"));
    assert!((20..=25).contains(&zsqd.rows.len()), "{}", zsqd.rows.len());
    let mut names = String::new();
    for row in &zsqd.rows {
        assert_eq!(row["证书类型代码"], "BDCQZ");
        let number = &row["不动产权证号"];
        assert!(
            number.starts_with("浙(")
                && number.contains(")桐庐县不动产权第")
                && number.ends_with('号'),
            "{number}"
        );
        match row["权利人类型"].as_str() {
            "1" => {
                assert_eq!(row["证件种类"], "1");
                id_number::validate(&row["证件号码"]).unwrap();
                assert!(row["证件号码"].starts_with("330122"), "a person of 桐庐县");
            }
            "2" => {
                assert_eq!(row["证件种类"], "8");
                credit_code::validate(&row["证件号码"]).unwrap();
            }
            other => panic!("权利人类型 {other}"),
        }
        assert_eq!(row["不动产单元号"].chars().count(), 28, "{row:?}");
        assert!(row["坐落"].starts_with("桐庐县"));
        row["面积"].parse::<f64>().unwrap();
        names.push_str(&row["权利人"]);
    }
    for rare in ["镕", "喆", "堃", "珺", "申屠"] {
        assert!(names.contains(rare), "{rare}");
    }
    let count = |column: &str, value: &str| {
        zsqd.rows
            .iter()
            .filter(|r| r[column].contains(value))
            .count()
    };
    assert!(count("权利人类型", "2") >= 3);
    assert_eq!(count("证书状态", "2"), 1, "one 注销");
    assert_eq!(count("权利限制", "抵押"), 1);
    assert_eq!(count("权利限制", "查封"), 1);
    assert_eq!(folder.names("sqbj"), ["bak", "err"]);
    assert!(folder.names("bjjg").is_empty());
    handle.shutdown().await;
}

#[tokio::test]
async fn a_transfer_completes_with_a_new_certificate() {
    let (folder, handle) = start("transfer").await;
    let form = [("面积", "127.7"), ("备注", "一次性付款，\"含\"车位")];
    put_case(
        &folder,
        "20261127-000042",
        &case_text(
            "20261127-000042",
            "330122-BDC-DJ-001",
            &form,
            Some(SELLER_CERTIFICATE),
        ),
    );
    let seen = wait_for_code(&folder, "20261127-000042", "05").await;
    assert_eq!(seen, ["01", "03", "05"]);
    assert_eq!(folder.names("sqbj"), ["bak", "err"]);
    assert_eq!(folder.names("sqbj/bak"), ["SQ_20261127-000042.csv"]);

    let rows = results(&folder);
    let done = &rows.iter().find(|(_, r)| r["状态代码"] == "05").unwrap().1;
    assert!(done["业务号"].starts_with("BDC"));
    assert!(done["办理意见"].contains("核发不动产权证书"));
    let number = done["不动产权证号"].clone();
    assert!(number.contains("桐庐县不动产权第"), "{number}");
    assert_eq!(done["权利人"], "陈珺");
    assert_eq!(done["证件号码"], person_id("33012219930519002"));
    assert_eq!(
        done["坐落"], "桐庐县桐君街道春江路168号春江花月5幢1201室",
        "from the old certificate"
    );
    assert_eq!(done["面积"], "127.70", "from the form");
    assert_eq!(done["证书状态"], "1");
    let at = &done["办理时间"];
    assert!(
        at.len() == 14 && at.bytes().all(|b| b.is_ascii_digit()),
        "{at}"
    );
    // Rows without a certificate leave its columns empty.
    let review = &rows.iter().find(|(_, r)| r["状态代码"] == "01").unwrap().1;
    assert_eq!(review["不动产权证号"], "");
    assert_eq!(review["办理意见"], "申请材料齐全，符合法定形式，予以受理");

    // The register is exported before the result that reports it.
    let zsqd = read_table(&folder.path("zsqd.csv"));
    let status = |n: &str| {
        zsqd.rows
            .iter()
            .find(|r| r["不动产权证号"] == n)
            .map(|r| r["证书状态"].clone())
    };
    assert_eq!(
        status(SELLER_CERTIFICATE).as_deref(),
        Some("2"),
        "the seller's is 注销"
    );
    assert_eq!(status(&number).as_deref(), Some("1"));

    let case = handle.case("20261127-000042").unwrap();
    assert_eq!(case["matter_name"], "不动产转移登记");
    assert_eq!(case["applicant"]["name"], "陈珺");
    assert_eq!(case["issued_certificate"], number.as_str());
    assert_eq!(case["finished"], true);
    assert_eq!(case["form"][1]["value"], "一次性付款，\"含\"车位");
    assert_eq!(case["attachments"][0]["size"], 9);
    let licenses = case["licenses"].as_array().unwrap();
    assert_eq!(licenses.len(), 2);
    assert_eq!(licenses[0]["kind"], "1");
    assert_eq!(licenses[0]["name"], "居民身份证");
    assert_eq!(licenses[0]["issuer"], "桐庐县公安局");
    assert_eq!(licenses[1]["kind"], "10");
    assert_eq!(licenses[1]["number"], SELLER_CERTIFICATE);
    // The case is found by its 业务号 and its 交换编号 too.
    let reference = case["reference"].as_str().unwrap();
    assert_eq!(
        handle.case(reference).unwrap()["case_no"],
        "20261127-000042"
    );
    assert_eq!(
        handle.case("SQ_20261127-000042").unwrap()["case_no"],
        "20261127-000042"
    );
    assert!(handle.case("20261127-999999").is_none());
    handle.shutdown().await;
}

#[tokio::test]
async fn a_repeated_case_is_stored_once() {
    let (folder, handle) = start("repeat").await;
    let text = case_text("20261127-000050", "330122-BDC-DJ-005", &[], None);
    put_case(&folder, "20261127-000050", &text);
    wait_until("the first file is read", || handle.stats().files == 1).await;
    put_case(&folder, "20261127-000050", &text);
    wait_until("the second file is read", || handle.stats().files == 2).await;
    let stats = handle.stats();
    assert_eq!((stats.cases, stats.duplicates), (1, 1));
    assert_eq!(
        folder.names("sqbj/bak"),
        ["SQ_20261127-000050.csv", "SQ_20261127-000050.csv.1"]
    );
    let seen = wait_for_code(&folder, "20261127-000050", "05").await;
    assert_eq!(seen, ["01", "03", "05"], "one life, not two");
    assert_eq!(handle.case("20261127-000050").unwrap()["duplicates"], 1);
    handle.shutdown().await;
}

#[tokio::test]
async fn denial_supplement_and_the_departments_own_rules() {
    let (folder, handle) = start("paths").await;
    put_case(
        &folder,
        "20261127-000061",
        &case_text(
            "20261127-000061",
            "330122-BDC-DJ-002",
            &[
                ("模拟结果", "不予登记"),
                ("不予登记原因", "抵押合同未经双方签字"),
            ],
            Some(SELLER_CERTIFICATE),
        ),
    );
    put_case(
        &folder,
        "20261127-000062",
        &case_text(
            "20261127-000062",
            "330122-BDC-DJ-004",
            &[("模拟结果", "补正")],
            Some(SELLER_CERTIFICATE),
        ),
    );
    put_case(
        &folder,
        "20261127-000063",
        &case_text(
            "20261127-000063",
            "330122-BDC-DJ-001",
            &[],
            Some(SEIZED_CERTIFICATE),
        ),
    );
    assert_eq!(
        wait_for_code(&folder, "20261127-000061", "05").await,
        ["01", "04", "05"]
    );
    assert_eq!(
        wait_for_code(&folder, "20261127-000063", "05").await,
        ["01", "04", "05"]
    );
    // 需补正 holds the case until its supplement file arrives.
    assert_eq!(
        wait_for_code(&folder, "20261127-000062", "02").await,
        ["01", "02"]
    );
    tokio::time::sleep(STAGE * 5).await;
    assert_eq!(codes(&folder, "20261127-000062"), ["01", "02"], "held");
    assert_eq!(
        handle.case("20261127-000062").unwrap()["waiting_for_supplement"],
        true
    );
    put_supplement(
        &folder,
        "20261127-000062",
        "1",
        "已补交变更证明",
        &[("004", "变更证明.pdf")],
    );
    assert_eq!(
        wait_for_code(&folder, "20261127-000062", "05").await,
        ["01", "02", "01", "03", "05"]
    );
    let notes: HashMap<(String, String), String> = results(&folder)
        .into_iter()
        .map(|(_, r)| {
            (
                (r["平台办件编号"].clone(), r["状态代码"].clone()),
                r["办理意见"].clone(),
            )
        })
        .collect();
    let note = |case: &str, code: &str| notes[&(case.to_owned(), code.to_owned())].clone();
    assert_eq!(
        note("20261127-000061", "04"),
        "经审核，不予登记：抵押合同未经双方签字"
    );
    assert_eq!(
        note("20261127-000061", "05"),
        "已办结（不予登记），申请材料已退回"
    );
    assert!(note("20261127-000062", "02").starts_with("申请材料不齐全，请补正："));
    assert_eq!(note("20261127-000062", "01"), "补正材料已收到，继续审核");
    assert!(
        note("20261127-000063", "04").contains("已被查封"),
        "{}",
        note("20261127-000063", "04")
    );
    // 变更登记 after the supplement issued a new certificate in place of the old one.
    let changed = handle.case("20261127-000062").unwrap();
    assert!(changed["issued_certificate"].is_string());
    assert_eq!(changed["waiting_for_supplement"], false);
    let supplement = &changed["supplements"][0];
    assert_eq!(supplement["note"], "已补交变更证明");
    assert_eq!(supplement["file"], "bzcl/bak/BZ_20261127-000062_1.csv");
    assert_eq!(supplement["attachments"][0]["material"], "004");
    assert_eq!(supplement["attachments"][0]["size"], 9);
    assert_eq!(
        handle.case("20261127-000063").unwrap()["outcome"],
        "不予登记"
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn supplements_are_taken_once_and_only_while_a_case_waits_for_one() {
    let (folder, handle) = start("supplements").await;
    let held = "20261127-000064";
    put_case(
        &folder,
        held,
        &case_text(held, "330122-BDC-DJ-005", &[("模拟结果", "补正")], None),
    );
    let running = "20261127-000065";
    put_case(
        &folder,
        running,
        &case_text(running, "330122-BDC-DJ-005", &[], None),
    );
    wait_for_code(&folder, held, "02").await;
    // A case that is not waiting: refused with the reason.
    wait_for_code(&folder, running, "05").await;
    put_supplement(&folder, running, "1", "", &[("003", "预售合同.pdf")]);
    // A material the matter does not have, and a case that does not exist.
    put_supplement(&folder, held, "2", "", &[("009", "无关材料.pdf")]);
    put_supplement(&folder, "20261127-999999", "1", "说明", &[]);
    wait_until("three refusals", || handle.stats().refusals == 3).await;
    assert!(
        refusal(&folder, &format!("bzcl/err/BZ_{running}_1.csv"))
            .contains("该办件当前状态为已登簿（05），不在补正期间，补正材料不予接收")
    );
    assert!(
        refusal(&folder, &format!("bzcl/err/BZ_{held}_2.csv"))
            .contains("材料编码009不是事项330122-BDC-DJ-005（预购商品房预告登记）的申请材料")
    );
    assert!(
        refusal(&folder, "bzcl/err/BZ_20261127-999999_1.csv")
            .contains("平台办件编号20261127-999999不存在")
    );
    assert_eq!(codes(&folder, held), ["01", "02"], "still held");

    put_supplement(&folder, held, "3", "补交合同", &[("003", "预售合同.pdf")]);
    wait_until("the supplement is taken", || {
        handle.stats().supplements == 1
    })
    .await;
    // The same file again: accepted, no second effect.
    put_supplement(&folder, held, "3", "补交合同", &[("003", "预售合同.pdf")]);
    wait_until("the repeat is read", || handle.stats().repeats == 1).await;
    assert_eq!(
        wait_for_code(&folder, held, "05").await,
        ["01", "02", "01", "03", "05"]
    );
    let case = handle.case(held).unwrap();
    assert_eq!(case["supplements"].as_array().unwrap().len(), 1);
    assert_eq!(case["repeats"], 1);
    assert_eq!(
        folder.names("bzcl/bak"),
        [format!("BZ_{held}_3.csv"), format!("BZ_{held}_3.csv.1")]
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn withdrawals_stop_a_case_or_are_refused_once_it_is_decided() {
    let (folder, handle) = start("withdrawals").await;
    let waiting = "20261127-000066";
    put_case(
        &folder,
        waiting,
        &case_text(waiting, "330122-BDC-DJ-005", &[("模拟结果", "补正")], None),
    );
    let decided = "20261127-000067";
    put_case(
        &folder,
        decided,
        &case_text(decided, "330122-BDC-DJ-005", &[], None),
    );
    wait_for_code(&folder, waiting, "02").await;
    put_withdrawal(&folder, waiting, "申请人不再购买该房屋");
    assert_eq!(
        wait_for_code(&folder, waiting, "06").await,
        ["01", "02", "06"]
    );
    let case = handle.case(waiting).unwrap();
    assert_eq!(case["withdrawn"], "申请人不再购买该房屋");
    assert_eq!(case["status_name"], "已撤回");
    assert_eq!(
        case["history"][2]["note"],
        "申请人申请撤回（申请人不再购买该房屋），本中心已终止办理，申请材料退回"
    );
    // Withdrawn for good: no further step, and no supplement taken.
    put_supplement(&folder, waiting, "1", "", &[("003", "预售合同.pdf")]);
    wait_until("the supplement is refused", || handle.stats().refusals == 1).await;
    assert!(refusal(&folder, &format!("bzcl/err/BZ_{waiting}_1.csv")).contains("该办件已撤回"));
    // Withdrawing again is accepted without a second effect.
    put_withdrawal(&folder, waiting, "申请人不再购买该房屋");
    wait_until("the repeat is read", || handle.stats().repeats == 1).await;
    tokio::time::sleep(STAGE * 6).await;
    assert_eq!(codes(&folder, waiting), ["01", "02", "06"]);

    // Decided: refused with a 16 row naming the status the case keeps.
    wait_for_code(&folder, decided, "05").await;
    put_withdrawal(&folder, decided, "申请人撤回");
    assert_eq!(
        wait_for_code(&folder, decided, "16").await,
        ["01", "03", "05", "16"]
    );
    let (_, row) = results(&folder)
        .into_iter()
        .find(|(_, r)| r["状态代码"] == "16")
        .unwrap();
    assert_eq!(row["当前状态代码"], "05");
    assert!(row["业务号"].starts_with("BDC"));
    assert!(
        row["办理意见"].starts_with("不予撤回：本中心已于")
            && row["办理意见"].contains("审核通过，准予登记")
            && row["办理意见"].contains("且已办结"),
        "{}",
        row["办理意见"]
    );
    assert!(refusal(&folder, &format!("chsq/err/CH_{decided}.csv")).contains("不予撤回"));
    let case = handle.case(decided).unwrap();
    assert_eq!(case["status"], "05", "the case keeps its status");
    assert!(case["withdrawal_refused"].is_string());

    // Unknown: refused as not found.
    put_withdrawal(&folder, "20261127-999999", "申请人撤回");
    wait_until("the unknown withdrawal is refused", || {
        handle.stats().refusals == 3
    })
    .await;
    assert!(
        refusal(&folder, "chsq/err/CH_20261127-999999.csv")
            .contains("平台办件编号20261127-999999不存在")
    );
    let stats = handle.stats();
    assert_eq!((stats.withdrawals, stats.repeats), (1, 1));
    assert_eq!(folder.names("chsq"), ["bak", "err"]);
    handle.shutdown().await;
}

#[tokio::test]
async fn announcement_and_site_inspection_are_special_procedures() {
    let (folder, handle) = start("special").await;
    for (case_no, path) in [("20261127-000068", "公告"), ("20261127-000069", "实地查看")] {
        put_case(
            &folder,
            case_no,
            &case_text(case_no, "330122-BDC-DJ-003", &[("模拟结果", path)], None),
        );
    }
    for (case_no, path) in [("20261127-000068", "公告"), ("20261127-000069", "实地查看")] {
        assert_eq!(
            wait_for_code(&folder, case_no, "05").await,
            ["01", "08", "03", "05"]
        );
        let case = handle.case(case_no).unwrap();
        assert_eq!(case["outcome"], path);
        let special = &case["history"][1];
        assert_eq!(special["code"], "08");
        assert!(
            special["note"]
                .as_str()
                .unwrap()
                .starts_with(&format!("特别程序（{path}）：")),
            "{special}"
        );
    }
    handle.shutdown().await;
}

#[tokio::test]
async fn case_files_it_cannot_accept_go_to_err() {
    let (folder, handle) = start("rejected").await;
    put_case(
        &folder,
        "20261127-000071",
        &case_text("20261127-000071", "330122-BDC-DJ-099", &[], None),
    );
    // Not GBK: UTF-8 bytes under the name of a case.
    std::fs::write(
        folder.path("sqbj/SQ_20261127-000072.csv"),
        case_text("20261127-000072", "330122-BDC-DJ-001", &[], None),
    )
    .unwrap();
    // A section missing.
    let text = case_text("20261127-000073", "330122-BDC-DJ-001", &[], None);
    let cut = text.find("#证照").unwrap();
    put_case(&folder, "20261127-000073", &text[..cut]);
    // A file being written is left alone.
    std::fs::write(folder.path("sqbj/.SQ_20261127-000074.csv.tmp"), b"half").unwrap();

    wait_until("three files are rejected", || handle.stats().rejected == 3).await;
    assert_eq!(
        folder.names("sqbj/err"),
        [
            "SQ_20261127-000071.csv",
            "SQ_20261127-000071.csv.txt",
            "SQ_20261127-000072.csv",
            "SQ_20261127-000072.csv.txt",
            "SQ_20261127-000073.csv",
            "SQ_20261127-000073.csv.txt",
        ]
    );
    let reason =
        gbk::decode(&std::fs::read(folder.path("sqbj/err/SQ_20261127-000071.csv.txt")).unwrap())
            .unwrap();
    assert!(
        reason.contains("事项编码330122-BDC-DJ-099不存在"),
        "{reason}"
    );
    assert_eq!(
        folder.names("sqbj"),
        [".SQ_20261127-000074.csv.tmp", "bak", "err"]
    );
    wait_until("09 rows", || codes(&folder, "20261127-000073") == ["09"]).await;
    let rows = results(&folder);
    let note = |case: &str| {
        rows.iter()
            .find(|(_, r)| r["平台办件编号"] == case)
            .map(|(_, r)| r["办理意见"].clone())
            .unwrap()
    };
    assert!(note("20261127-000071").starts_with("不予受理：事项编码330122-BDC-DJ-099不存在"));
    assert!(note("20261127-000072").contains("GBK"));
    assert!(
        note("20261127-000073").contains("缺少[证照]段"),
        "{}",
        note("20261127-000073")
    );
    assert_eq!(handle.stats().cases, 0);
    handle.shutdown().await;
}

#[tokio::test]
async fn faults_show_in_the_exported_files() {
    let (folder, handle) = start("faults").await;
    let good: Vec<Vec<u8>> = ["sxqd.csv", "clqd.csv", "bdqd.csv", "zsqd.csv"]
        .iter()
        .map(|f| std::fs::read(folder.path(f)).unwrap())
        .collect();

    handle.set_fault(Fault::Truncated);
    for file in ["sxqd.csv", "clqd.csv", "bdqd.csv", "zsqd.csv"] {
        let bytes = std::fs::read(folder.path(file)).unwrap();
        assert!(!bytes.ends_with(b"\n"), "{file} is cut");
        assert!(
            matches!(
                gbk::decode(&bytes),
                Err(gbk::EncodingError::Truncated { .. })
            ),
            "{file} ends inside a GBK character"
        );
    }

    handle.set_fault(Fault::WrongEncoding);
    let text = String::from_utf8(std::fs::read(folder.path("sxqd.csv")).unwrap()).expect("UTF-8");
    assert!(text.starts_with("事项编码,事项名称,"));

    handle.set_fault(Fault::MissingElement);
    let header = |file: &str| {
        let text = gbk::decode(&std::fs::read(folder.path(file)).unwrap()).unwrap();
        text.lines().next().unwrap().to_owned()
    };
    assert!(!header("sxqd.csv").contains("事项名称"));
    assert!(!header("clqd.csv").contains("材料名称"));
    assert!(!header("bdqd.csv").contains("字段名"));
    assert!(!header("zsqd.csv").contains("不动产权证号"));
    assert!(header("zsqd.csv").contains("权利人"));

    handle.set_fault(Fault::UnknownCode);
    assert_eq!(
        read_table(&folder.path("sxqd.csv")).rows[0]["事项类型"],
        "99"
    );
    assert_eq!(
        read_table(&folder.path("zsqd.csv")).rows[0]["证书状态"],
        "9"
    );
    assert_eq!(
        read_table(&folder.path("bdqd.csv")).rows[0]["字段类型"],
        "9"
    );

    // EndlessPages has no file form: the files are as good as with none.
    handle.set_fault(Fault::EndlessPages);
    handle.set_fault(Fault::None);
    for (file, good) in ["sxqd.csv", "clqd.csv", "bdqd.csv", "zsqd.csv"]
        .iter()
        .zip(&good)
    {
        assert_eq!(&std::fs::read(folder.path(file)).unwrap(), good, "{file}");
    }
    handle.shutdown().await;
}

#[tokio::test]
async fn damaged_result_files_are_exported_again() {
    let (folder, handle) = start("repair").await;
    handle.set_fault(Fault::MissingElement);
    put_case(
        &folder,
        "20261127-000081",
        &case_text("20261127-000081", "330122-BDC-DJ-005", &[], None),
    );
    wait_until("a result file", || !folder.names("bjjg").is_empty()).await;
    let name = folder.names("bjjg")[0].clone();
    assert!(
        name.starts_with("JG_") && name.ends_with("_000001.csv"),
        "{name}"
    );
    let damaged = read_table(&folder.path(&format!("bjjg/{name}")));
    assert!(!damaged.header.contains(&"状态代码".to_owned()));

    handle.set_fault(Fault::UnknownCode);
    let repaired = read_table(&folder.path(&format!("bjjg/{name}")));
    assert_eq!(repaired.rows.len(), damaged.rows.len());
    assert_eq!(
        repaired.rows[0]["状态代码"], "01",
        "repaired with the same rows"
    );
    wait_until("a file with the unknown code", || {
        results(&folder).iter().any(|(_, r)| r["状态代码"] == "07")
    })
    .await;

    handle.set_fault(Fault::Truncated);
    assert!(!results(&folder).iter().any(|(_, r)| r["状态代码"] == "07"));
    let before = folder.names("bjjg").len();
    wait_until("a cut result file", || folder.names("bjjg").len() > before).await;
    let last = folder.names("bjjg").pop().unwrap();
    assert!(
        !std::fs::read(folder.path(&format!("bjjg/{last}")))
            .unwrap()
            .ends_with(b"\n")
    );
    handle.set_fault(Fault::None);
    assert_eq!(
        wait_for_code(&folder, "20261127-000081", "05").await,
        ["01", "03", "05"]
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn a_down_batch_job_reads_and_writes_nothing() {
    let (folder, handle) = start("down").await;
    handle.set_fault(Fault::Down);
    let runs = handle.stats().runs;
    put_case(
        &folder,
        "20261127-000091",
        &case_text("20261127-000091", "330122-BDC-DJ-005", &[], None),
    );
    tokio::time::sleep(STAGE * 8).await;
    assert_eq!(handle.stats().runs, runs);
    assert_eq!(
        folder.names("sqbj"),
        ["SQ_20261127-000091.csv", "bak", "err"]
    );
    assert!(folder.names("bjjg").is_empty());
    handle.set_fault(Fault::None);
    assert_eq!(
        wait_for_code(&folder, "20261127-000091", "05").await,
        ["01", "03", "05"]
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn a_slow_batch_job_answers_late() {
    let (folder, handle) = start("slow").await;
    handle.set_fault(Fault::Slow(Duration::from_millis(600)));
    // Let a run that started before the fault finish.
    tokio::time::sleep(STAGE * 2).await;
    put_case(
        &folder,
        "20261127-000092",
        &case_text("20261127-000092", "330122-BDC-DJ-005", &[], None),
    );
    let started = tokio::time::Instant::now();
    wait_until("the slow job reads the file", || handle.stats().files == 1).await;
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn failed_runs_answer_with_99_rows_and_read_the_file_again() {
    let (folder, handle) = start_with(
        "fail",
        Config {
            stage: STAGE,
            fail_rate: 1.0,
            ..Config::default()
        },
    )
    .await;
    put_case(
        &folder,
        "20261127-000093",
        &case_text("20261127-000093", "330122-BDC-DJ-005", &[], None),
    );
    wait_until("99 rows", || codes(&folder, "20261127-000093").len() >= 2).await;
    let stats = handle.stats();
    assert!(stats.failed_batches >= 2);
    assert_eq!((stats.files, stats.cases), (0, 0));
    assert!(
        folder
            .names("sqbj")
            .contains(&"SQ_20261127-000093.csv".to_owned())
    );
    let row = &results(&folder)[0].1;
    assert_eq!(
        (row["状态代码"].as_str(), row["业务号"].as_str()),
        ("99", "")
    );
    assert!(row["办理意见"].contains("将于下一批次重新读取"));
    handle.shutdown().await;
}

#[tokio::test]
async fn result_file_names_keep_increasing_across_restarts() {
    let (folder, handle) = start("restart").await;
    put_case(
        &folder,
        "20261127-000094",
        &case_text("20261127-000094", "330122-BDC-DJ-005", &[], None),
    );
    wait_for_code(&folder, "20261127-000094", "05").await;
    handle.shutdown().await;
    let before = folder.names("bjjg");
    let handle = real_estate::start(
        folder.0.clone(),
        Config {
            stage: STAGE,
            ..Config::default()
        },
    )
    .await
    .unwrap();
    put_case(
        &folder,
        "20261127-000095",
        &case_text("20261127-000095", "330122-BDC-DJ-005", &[], None),
    );
    wait_for_code(&folder, "20261127-000095", "05").await;
    let after = folder.names("bjjg");
    assert!(after.len() > before.len());
    let serial = |name: &str| {
        name.trim_end_matches(".csv")
            .rsplit('_')
            .next()
            .unwrap()
            .to_owned()
    };
    let mut serials: Vec<String> = after.iter().map(|n| serial(n)).collect();
    serials.dedup();
    assert_eq!(serials.len(), after.len(), "no name is used twice");
    assert!(after.windows(2).all(|w| serial(&w[0]) < serial(&w[1])));
    handle.shutdown().await;
}
