//! The 报文 interface: reading GB 18030 requests, running the transactions, writing
//! GB 18030 answers and showing the fault modes in them.

use std::sync::{Mutex, MutexGuard};

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use onewindow_codes::chrono::{NaiveDate, NaiveDateTime};
use onewindow_codes::date::{self, datetime_to_chinese};
use onewindow_codes::{CodeError, DateError, EncodingError, credit_code, gbk, id_number};
use sha2::{Digest as _, Sha256};
use tokio::time::Instant;

use super::catalogue::{self, ItemType, MATTERS, Matter, Path};
use super::licenses::MARRIAGE_CERTIFICATE;
use super::state::{
    Applicant, Attachment, Change, Done, FormValue, LicenseRef, Refused, State, Submission,
    status_name,
};
use crate::common::Fault;
use crate::common::cases::Numbered;
use crate::common::soap;
use crate::common::xml::{self, Element, XmlError};

/// The charset of every 报文.
pub const CHARSET: &str = "GB18030";

/// What every answer is sent as (except under the wrong-encoding fault).
pub const CONTENT_TYPE: &str = "text/xml; charset=GB18030";

/// The transactions (交易代码) the interface knows.
pub const TRANSACTIONS: &[&str] = &["CXSX", "TJSQ", "BZCL", "CHSQ", "CXBH", "CXZZ", "YZZZ"];

/// Elements the missing-element fault may drop: the first of them in the answer.
pub const DROPPABLE: &[&str] = &["SXMC", "YWBH", "ZTDM", "ZZBH"];

/// The most changes one `CXBH` page may hold, and how many it holds by default.
pub const MAX_PAGE: u64 = 100;
const DEFAULT_PAGE: u64 = 50;

/// FHDM the unknown-code fault answers with when the answer holds no other code.
pub const UNDEFINED_FHDM: &str = "8888";

/// Why a transaction did not succeed: its FHDM and FHXX.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// FHDM.
    pub code: &'static str,
    /// FHXX.
    pub message: String,
}

impl Failure {
    /// 1001 报文格式错误.
    fn malformed(message: impl Into<String>) -> Self {
        Self {
            code: "1001",
            message: message.into(),
        }
    }

    /// 1002 字段校验失败, naming the field (its path below the transaction's element).
    fn field(path: &str, reason: impl std::fmt::Display) -> Self {
        Self {
            code: "1002",
            message: format!("字段{path}校验失败：{reason}"),
        }
    }

    /// 2001 无此记录.
    fn not_found(message: impl Into<String>) -> Self {
        Self {
            code: "2001",
            message: message.into(),
        }
    }
}

impl From<Refused> for Failure {
    fn from(refused: Refused) -> Self {
        Self {
            code: refused.code,
            message: refused.message,
        }
    }
}

/// An answer before it is written: `BWT`'s elements and `BWN`.
#[derive(Debug, Clone)]
pub struct Answer {
    /// JYDM, as the request named it (empty when it could not be read).
    pub jydm: String,
    /// FHDM.
    pub fhdm: String,
    /// FHXX.
    pub fhxx: String,
    /// BWN (empty for a failure).
    pub bwn: Element,
}

impl Answer {
    fn new(jydm: String, result: Result<(String, Element), Failure>) -> Self {
        match result {
            Ok((fhxx, bwn)) => Self {
                jydm,
                fhdm: "0000".to_owned(),
                fhxx,
                bwn,
            },
            Err(failure) => Self {
                jydm,
                fhdm: failure.code.to_owned(),
                fhxx: failure.message,
                bwn: Element::new("BWN"),
            },
        }
    }
}

/// Reads a request and runs its transaction.
pub fn handle(body: &[u8], headers: &HeaderMap, state: &Mutex<State>, fault: Fault) -> Answer {
    match read(body, headers) {
        Ok((jydm, bwn)) => {
            let result = dispatch(&jydm, &bwn, state, fault);
            Answer::new(jydm, result)
        }
        Err((jydm, failure)) => Answer::new(jydm, Err(failure)),
    }
}

/// Writes the answer in GB 18030, showing `fault` where it concerns the 报文.
pub fn respond(answer: Answer, fault: Fault) -> Response {
    let mut bw = Element::new("BW")
        .child(
            Element::new("BWT")
                .field("JYDM", answer.jydm)
                .field("FHDM", answer.fhdm)
                .field("FHXX", answer.fhxx),
        )
        .child(answer.bwn);
    match fault {
        Fault::MissingElement if !bw.remove_first(DROPPABLE) => {
            tracing::debug!("missing-element fault: nothing to drop");
        }
        Fault::UnknownCode => unknown_code(&mut bw),
        _ => {}
    }
    let (declared, content_type) = if fault == Fault::WrongEncoding {
        ("UTF-8", "text/xml; charset=UTF-8")
    } else {
        (CHARSET, CONTENT_TYPE)
    };
    let text = document(&bw, declared);
    let bytes = gbk::encode_declared(&text, CHARSET).unwrap_or_else(|err| {
        // GB 18030 has a code for every character; this cannot happen.
        tracing::error!(%err, "answer not encodable in GB 18030");
        encoding_rs::GB18030.encode(&text).0.into_owned()
    });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, content_type)],
        bytes,
    )
        .into_response()
}

/// The 报文 `bw` with its XML declaration.
fn document(bw: &Element, declared: &str) -> String {
    let mut out = format!("<?xml version=\"1.0\" encoding=\"{declared}\"?>\n");
    bw.write_to(&mut out, 0);
    out
}

/// The first code of the answer that the interface defines values for becomes one
/// it does not; an answer without one gets an undefined FHDM.
fn unknown_code(bw: &mut Element) {
    match first_mut(bw, &["SXLX", "ZTDM", "ZT"]) {
        Some(code) => {
            code.text = match code.name.as_str() {
                "SXLX" => "08",
                "ZTDM" => "99",
                _ => "9",
            }
            .to_owned();
        }
        None => {
            if let Some(fhdm) = bw
                .children
                .iter_mut()
                .find(|c| c.name == "BWT")
                .and_then(|bwt| bwt.children.iter_mut().find(|c| c.name == "FHDM"))
            {
                fhdm.text = UNDEFINED_FHDM.to_owned();
            }
        }
    }
}

/// The first descendant (in document order) whose name is one of `names`.
fn first_mut<'a>(element: &'a mut Element, names: &[&str]) -> Option<&'a mut Element> {
    for child in &mut element.children {
        if names.contains(&child.name.as_str()) {
            return Some(child);
        }
        if let Some(found) = first_mut(child, names) {
            return Some(found);
        }
    }
    None
}

/// The request's JYDM and BWN, or the 1001 answer (with the JYDM when it was read).
fn read(body: &[u8], headers: &HeaderMap) -> Result<(String, Element), (String, Failure)> {
    let unnamed = |failure: Failure| (String::new(), failure);
    let charset = soap::request_charset_or(body, headers, CHARSET);
    let text = gbk::decode_declared(body, charset)
        .map_err(|e| unnamed(Failure::malformed(encoding_message(&e))))?;
    let root = xml::parse(&text).map_err(|e| unnamed(Failure::malformed(xml_message(&e))))?;
    if root.name != "BW" {
        return Err(unnamed(Failure::malformed(format!(
            "报文根元素应为BW，实际为{}",
            root.name
        ))));
    }
    let mut children = root.children;
    let bwt = take(&mut children, "BWT")
        .ok_or_else(|| unnamed(Failure::malformed("报文缺少报文头BWT")))?;
    let jydm = bwt
        .text_of("JYDM")
        .ok_or_else(|| unnamed(Failure::malformed("报文头BWT缺少JYDM（交易代码）")))?
        .to_owned();
    if bwt.text_of("XTBS").is_none() {
        return Err((jydm, Failure::malformed("报文头BWT缺少XTBS（系统标识）")));
    }
    if !TRANSACTIONS.contains(&jydm.as_str()) {
        let message = format!("不支持的交易代码{jydm}（支持{}）", TRANSACTIONS.join("、"));
        return Err((jydm, Failure::malformed(message)));
    }
    let bwn = take(&mut children, "BWN").unwrap_or_else(|| Element::new("BWN"));
    Ok((jydm, bwn))
}

/// Moves the first child named `name` out of `children`.
fn take(children: &mut Vec<Element>, name: &str) -> Option<Element> {
    let at = children.iter().position(|c| c.name == name)?;
    Some(children.remove(at))
}

fn encoding_message(error: &EncodingError) -> String {
    match error {
        EncodingError::Malformed {
            charset,
            offset,
            byte,
        } => format!("报文不是有效的{charset}编码：第{offset}字节（0x{byte:02X}）起的字节序列无效"),
        EncodingError::Truncated { charset, offset } => {
            format!("报文不是有效的{charset}编码：第{offset}字节起的多字节字符不完整")
        }
        EncodingError::UnknownCharset { label } => {
            format!("不支持的字符集“{label}”，报文应使用{CHARSET}编码")
        }
        EncodingError::Unmappable { charset, ch, .. } => {
            format!("字符“{ch}”无法以{charset}编码")
        }
    }
}

fn xml_message(error: &XmlError) -> String {
    match error {
        XmlError::Syntax { position, message } => {
            tracing::debug!(position, message, "request is not XML");
            format!("报文不是格式正确的XML（第{position}字节附近）")
        }
        other => format!("报文不是格式正确的XML：{other}"),
    }
}

/// Runs one transaction: FHXX and BWN, or the failure.
fn dispatch(
    jydm: &str,
    bwn: &Element,
    state: &Mutex<State>,
    fault: Fault,
) -> Result<(String, Element), Failure> {
    match jydm {
        "CXSX" => Ok(catalogue_answer()),
        "TJSQ" => submit(bwn, state),
        "BZCL" => supplement(bwn, state),
        "CHSQ" => withdraw(bwn, state),
        "CXBH" => changes(bwn, state, fault),
        "CXZZ" => licenses_of(bwn, state),
        "YZZZ" => verify(bwn, state),
        other => Err(Failure::malformed(format!("不支持的交易代码{other}"))),
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panic elsewhere must not take the whole mock down with it.
    state.lock().unwrap_or_else(|e| e.into_inner())
}

fn success(bwn: Element) -> (String, Element) {
    ("成功".to_owned(), bwn)
}

/// The trimmed text of `element`'s child `name`, required; `path` names it in the failure.
fn required<'a>(
    element: &'a Element,
    name: &str,
    path: &str,
    meaning: &str,
) -> Result<&'a str, Failure> {
    element
        .text_of(name)
        .ok_or_else(|| Failure::field(path, format!("缺少{meaning}")))
}

/// `CXSX` 查询事项.
fn catalogue_answer() -> (String, Element) {
    let mut list = Element::new("SXLB");
    for matter in MATTERS {
        list.push(matter.sx_element());
    }
    success(Element::new("BWN").child(list))
}

/// `TJSQ` 提交申请.
fn submit(bwn: &Element, state: &Mutex<State>) -> Result<(String, Element), Failure> {
    let submission = parse_submission(bwn)?;
    let ptbh = submission.ptbh.clone();
    let accepted = lock(state).submit(submission, Instant::now());
    let message = if accepted.duplicate {
        tracing::info!(%ptbh, ywbh = %accepted.ywbh, "duplicate submission");
        "重复提交，返回原业务编号"
    } else {
        "提交成功"
    };
    Ok((
        message.to_owned(),
        Element::new("BWN").field("YWBH", accepted.ywbh),
    ))
}

fn parse_submission(bwn: &Element) -> Result<Submission, Failure> {
    let sq = bwn
        .find("SQ")
        .ok_or_else(|| Failure::field("SQ", "缺少申请信息"))?;
    let ptbh = required(sq, "PTBH", "PTBH", "平台办件编号")?.to_owned();
    let sxbm = required(sq, "SXBM", "SXBM", "事项编码")?;
    let matter = catalogue::find(sxbm).ok_or_else(|| {
        let known: Vec<&str> = MATTERS.iter().map(|m| m.code).collect();
        Failure::field(
            "SXBM",
            format!("事项编码“{sxbm}”不存在（可办事项：{}）", known.join("、")),
        )
    })?;
    let applicant = parse_applicant(sq, matter)?;
    let slsj = required(sq, "SLSJ", "SLSJ", "受理时间")?;
    let slsj = chinese_datetime(slsj).map_err(|reason| Failure::field("SLSJ", reason))?;
    let form = parse_form(sq, matter)?;

    let mut attachments = Vec::new();
    for (n, f) in sq
        .find("FJ")
        .into_iter()
        .flat_map(|fj| fj.find_all("F"))
        .enumerate()
    {
        attachments.push(attachment(f, &format!("FJ/F[{}]", n + 1))?);
    }
    let mut licenses = Vec::new();
    for (n, z) in sq
        .find("ZZ")
        .into_iter()
        .flat_map(|zz| zz.find_all("Z"))
        .enumerate()
    {
        let path = format!("ZZ/Z[{}]", n + 1);
        licenses.push(LicenseRef {
            clbm: required(z, "CLBM", &format!("{path}/CLBM"), "材料编码")?.to_owned(),
            zzlx: required(z, "ZZLX", &format!("{path}/ZZLX"), "证照类型")?.to_owned(),
            zzbh: required(z, "ZZBH", &format!("{path}/ZZBH"), "证照编号")?.to_owned(),
        });
    }
    for material in matter.materials.iter().filter(|m| m.required) {
        let given = attachments.iter().any(|a| a.clbm == material.code)
            || licenses.iter().any(|l| l.clbm == material.code);
        if !given {
            return Err(Failure::field(
                "FJ",
                format!(
                    "缺少必须提交的申请材料{}（{}），应以附件（FJ）或免提交证照（ZZ）提交",
                    material.code, material.name
                ),
            ));
        }
    }

    Ok(Submission {
        ptbh,
        matter,
        applicant,
        slsj: datetime_to_chinese(slsj),
        form,
        attachments,
        licenses,
    })
}

/// `SQR`: a resident (SFZ) or an organisation (XYDM), as the matter allows.
fn parse_applicant(sq: &Element, matter: &Matter) -> Result<Applicant, Failure> {
    let sqr = sq
        .find("SQR")
        .ok_or_else(|| Failure::field("SQR", "缺少申请人"))?;
    let zjlx = required(sqr, "ZJLX", "SQR/ZJLX", "证件类型")?;
    if zjlx != "SFZ" && zjlx != "XYDM" {
        return Err(Failure::field(
            "SQR/ZJLX",
            format!("证件类型应为SFZ（居民身份证）或XYDM（统一社会信用代码），实际为“{zjlx}”"),
        ));
    }
    if matter.residents_only && zjlx != "SFZ" {
        return Err(Failure::field(
            "SQR/ZJLX",
            format!(
                "事项“{}”只能由居民本人申请，证件类型应为SFZ（居民身份证），实际为“{zjlx}”",
                matter.name
            ),
        ));
    }
    let zjhm = required(sqr, "ZJHM", "SQR/ZJHM", "证件号码")?;
    if zjlx == "SFZ" {
        id_number::validate(zjhm).map_err(|e| {
            Failure::field(
                "SQR/ZJHM",
                format!("“{zjhm}”不是有效的公民身份号码：{}", code_error(&e)),
            )
        })?;
    } else {
        credit_code::validate(zjhm).map_err(|e| {
            Failure::field(
                "SQR/ZJHM",
                format!("“{zjhm}”不是有效的统一社会信用代码：{}", code_error(&e)),
            )
        })?;
    }
    let xm = required(sqr, "XM", "SQR/XM", "姓名或名称")?;
    Ok(Applicant {
        zjlx: zjlx.to_owned(),
        zjhm: zjhm.to_owned(),
        xm: xm.to_owned(),
    })
}

/// `BD`: every `<X>` as given, checked against the matter's form.
fn parse_form(sq: &Element, matter: &Matter) -> Result<Vec<FormValue>, Failure> {
    let mut form = Vec::new();
    for (n, x) in sq
        .find("BD")
        .into_iter()
        .flat_map(|bd| bd.find_all("X"))
        .enumerate()
    {
        let zdm = required(x, "ZDM", &format!("BD/X[{}]/ZDM", n + 1), "字段名")?;
        let z = x.find("Z").map_or("", |z| z.text.trim());
        form.push(FormValue {
            zdm: zdm.to_owned(),
            z: z.to_owned(),
        });
    }
    let value = |name: &str| {
        form.iter()
            .find(|f| f.zdm == name)
            .map(|f| f.z.as_str())
            .filter(|z| !z.is_empty())
    };
    for item in matter.form {
        let path = format!("BD/{}", item.name);
        let Some(given) = value(item.name) else {
            if item.required {
                return Err(Failure::field(&path, format!("缺少必填项“{}”", item.label)));
            }
            continue;
        };
        let checked = match item.kind {
            ItemType::Date => chinese_date(given).map(|_| ()),
            ItemType::Number if !is_number(given) => {
                Err(format!("{}应为数字，实际为“{given}”", item.label))
            }
            ItemType::IdNumber => id_number::validate(given).map_err(|e| {
                format!(
                    "{}“{given}”不是有效的公民身份号码：{}",
                    item.label,
                    code_error(&e)
                )
            }),
            ItemType::Number | ItemType::Text | ItemType::Address => Ok(()),
        };
        checked.map_err(|reason| Failure::field(&path, reason))?;
    }
    if matter.path == Path::Subsistence
        && let Some(people) = value("JTRK")
        && !people.parse::<u32>().is_ok_and(|n| n >= 1)
    {
        return Err(Failure::field(
            "BD/JTRK",
            format!("家庭人口应为不小于1的整数，实际为“{people}”"),
        ));
    }
    Ok(form)
}

/// A non-negative decimal number: `2610`, `2610.5`.
fn is_number(text: &str) -> bool {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && digits(fraction)
}

/// One `<F>`: its content decoded to be measured and fingerprinted.
fn attachment(f: &Element, path: &str) -> Result<Attachment, Failure> {
    let clbm = required(f, "CLBM", &format!("{path}/CLBM"), "材料编码")?;
    let wjm = required(f, "WJM", &format!("{path}/WJM"), "文件名")?;
    let lx = required(f, "LX", &format!("{path}/LX"), "媒体类型")?;
    let nr = required(f, "NR", &format!("{path}/NR"), "文件内容")?;
    // Base64 in XML is often wrapped over several lines.
    let content: String = nr.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(content.as_bytes())
        .map_err(|_| {
            Failure::field(
                &format!("{path}/NR"),
                format!("附件“{wjm}”的内容不是有效的Base64编码"),
            )
        })?;
    Ok(Attachment {
        clbm: clbm.to_owned(),
        wjm: wjm.to_owned(),
        lx: lx.to_owned(),
        size: bytes.len(),
        sha256: hex::encode(Sha256::digest(&bytes)),
    })
}

/// `BZCL` 补正材料.
fn supplement(bwn: &Element, state: &Mutex<State>) -> Result<(String, Element), Failure> {
    let ptbh = required(bwn, "PTBH", "PTBH", "平台办件编号")?;
    let sm = bwn.text_of("SM").unwrap_or_default();
    let mut files = Vec::new();
    for (n, f) in bwn
        .find("FJ")
        .into_iter()
        .flat_map(|fj| fj.find_all("F"))
        .enumerate()
    {
        files.push(attachment(f, &format!("FJ/F[{}]", n + 1))?);
    }
    if files.is_empty() {
        return Err(Failure::field("FJ", "补正须至少提交一个附件（F）"));
    }
    let count = files.len();
    let done = lock(state).supplement(ptbh, sm, files, Instant::now())?;
    let message = match done {
        Done::Now => format!("补正材料{count}份已接收，申请继续审查"),
        Done::Already => "该补正材料此前已接收，未重复处理".to_owned(),
    };
    Ok((message, Element::new("BWN")))
}

/// `CHSQ` 撤回申请.
fn withdraw(bwn: &Element, state: &Mutex<State>) -> Result<(String, Element), Failure> {
    let ptbh = required(bwn, "PTBH", "PTBH", "平台办件编号")?;
    let chyy = required(bwn, "CHYY", "CHYY", "撤回原因")?;
    let done = lock(state).withdraw(ptbh, chyy)?;
    let message = match done {
        Done::Now => "撤回成功，申请终止办理",
        Done::Already => "申请此前已撤回",
    };
    Ok((message.to_owned(), Element::new("BWN")))
}

/// `CXBH` 查询变化.
fn changes(
    bwn: &Element,
    state: &Mutex<State>,
    fault: Fault,
) -> Result<(String, Element), Failure> {
    let qsxh = required(bwn, "QSXH", "QSXH", "起始序号")?;
    let after: u64 = qsxh
        .parse()
        .map_err(|_| Failure::field("QSXH", format!("起始序号应为非负整数，实际为“{qsxh}”")))?;
    let limit = match bwn.text_of("MYTS") {
        None => DEFAULT_PAGE,
        Some(text) => text
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| {
                Failure::field(
                    "MYTS",
                    format!("每页条数应为1到{MAX_PAGE}之间的整数，实际为“{text}”"),
                )
            })?,
    };
    let state = lock(state);
    let (page, more) = state.changes(after, limit as usize);
    let mut list = Element::new("BHLB");
    for change in page {
        list.push(change_element(change));
    }
    let (last, more) = if fault == Fault::EndlessPages {
        // More is always said to follow, from the very same 序号.
        (after, true)
    } else {
        (page.last().map_or(after, Numbered::number), more)
    };
    Ok(success(
        Element::new("BWN")
            .child(list)
            .field("ZDXH", last.to_string())
            .field("GD", if more { "1" } else { "0" }),
    ))
}

fn change_element(change: &Change) -> Element {
    let mut bh = Element::new("BH")
        .field("XH", change.xh.to_string())
        .field("PTBH", &change.ptbh)
        .field("YWBH", &change.ywbh)
        .field("ZTDM", change.ztdm)
        .field("ZTMC", status_name(change.ztdm))
        .field("BHSJ", &change.bhsj)
        .field("SM", &change.sm);
    if let Some(license) = &change.license {
        bh.push(license.element());
    }
    bh
}

/// `CXZZ` 查询证照: every license the person or organisation holds.
fn licenses_of(bwn: &Element, state: &Mutex<State>) -> Result<(String, Element), Failure> {
    let zjhm = required(bwn, "ZJHM", "ZJHM", "证件号码")?;
    if let Err(e) = id_number::validate(zjhm)
        && credit_code::validate(zjhm).is_err()
    {
        return Err(Failure::field(
            "ZJHM",
            format!(
                "“{zjhm}”不是有效的公民身份号码（{}）或统一社会信用代码",
                code_error(&e)
            ),
        ));
    }
    let mut list = Element::new("ZZLB");
    for license in lock(state).licenses_of(zjhm) {
        list.push(license.element());
    }
    Ok(success(Element::new("BWN").child(list)))
}

/// `YZZZ` 验证证照: one license by type and number.
fn verify(bwn: &Element, state: &Mutex<State>) -> Result<(String, Element), Failure> {
    let zzlxdm = required(bwn, "ZZLXDM", "ZZLXDM", "证照类型代码")?;
    let zzbh = required(bwn, "ZZBH", "ZZBH", "证照编号")?;
    let found = (zzlxdm == MARRIAGE_CERTIFICATE)
        .then(|| lock(state).license(zzbh).map(|l| l.element()))
        .flatten();
    match found {
        Some(zz) => Ok(success(Element::new("BWN").child(zz))),
        None => Err(Failure::not_found(format!(
            "无此证照：证照类型代码{zzlxdm}，证照编号{zzbh}"
        ))),
    }
}

/// A date written the Chinese way (`2026年12月07日`).
fn chinese_date(text: &str) -> Result<NaiveDate, String> {
    let shape = || format!("应为“2026年12月07日”格式的日期，实际为“{text}”");
    if !text.contains('年') {
        return Err(shape());
    }
    date::parse(text).map_err(|e| match e {
        DateError::NoSuchDay { .. } => format!("“{text}”不是真实存在的日期"),
        _ => shape(),
    })
}

/// A time written the Chinese way (`2026年12月07日 14时03分05秒`).
fn chinese_datetime(text: &str) -> Result<NaiveDateTime, String> {
    let shape = || format!("应为“2026年12月07日 14时03分05秒”格式的时间，实际为“{text}”");
    if !text.contains('年') || !text.contains('时') {
        return Err(shape());
    }
    date::parse_datetime(text).map_err(|e| match e {
        DateError::NoSuchDay { .. } => format!("“{text}”不是真实存在的日期"),
        DateError::NoSuchTime { .. } => format!("“{text}”不是真实存在的时刻"),
        _ => shape(),
    })
}

/// Why a 公民身份号码 or 统一社会信用代码 is not valid, in Chinese.
fn code_error(error: &CodeError) -> String {
    match error {
        CodeError::Length {
            expected, found, ..
        } => format!("应为{expected}位，实际为{found}位"),
        CodeError::Char { position, ch, .. } => format!("第{position}位不能是“{ch}”"),
        CodeError::Lowercase { position, ch, .. } => format!(
            "第{position}位的“{ch}”应为大写“{}”",
            ch.to_ascii_uppercase()
        ),
        CodeError::BirthDate { digits } => {
            format!("第7至14位“{digits}”不是1900年至2100年之间真实的出生日期")
        }
        CodeError::CheckChar {
            found, expected, ..
        } => format!("校验码应为“{expected}”，实际为“{found}”"),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn state() -> Mutex<State> {
        Mutex::new(State::new(Duration::from_millis(10)))
    }

    fn call(state: &Mutex<State>, jydm: &str, bwn: &str) -> Answer {
        let text = format!(
            "<?xml version=\"1.0\" encoding=\"GB18030\"?><BW><BWT><JYDM>{jydm}</JYDM><XTBS>test</XTBS></BWT><BWN>{bwn}</BWN></BW>"
        );
        let bytes = gbk::encode_declared(&text, CHARSET).unwrap();
        handle(&bytes, &HeaderMap::new(), state, Fault::None)
    }

    const SQ: &str = "<SQ><PTBH>P-1</PTBH><SXBM>330122-MZ-GF-001</SXBM>\
        <SQR><ZJLX>SFZ</ZJLX><ZJHM>11010519491231002X</ZJHM><XM>王䶮</XM></SQR>\
        <SLSJ>2026年12月07日 14时03分05秒</SLSJ>\
        <FJ><F><CLBM>01</CLBM><WJM>身份证.pdf</WJM><LX>application/pdf</LX><NR>JVBERi0x\n LjQ=</NR></F></FJ></SQ>";

    #[test]
    fn a_submission_is_stored_once() {
        let state = state();
        let first = call(&state, "TJSQ", SQ);
        assert_eq!(
            (first.fhdm.as_str(), first.fhxx.as_str()),
            ("0000", "提交成功")
        );
        let ywbh = first.bwn.text_of("YWBH").unwrap().to_owned();
        assert!(ywbh.starts_with("MZ") && ywbh.len() == 16, "{ywbh}");
        let again = call(&state, "TJSQ", SQ);
        assert_eq!(again.bwn.text_of("YWBH"), Some(ywbh.as_str()));
        let state = state.lock().unwrap();
        let case = state.case("P-1").unwrap();
        assert_eq!(case.applicant.xm, "王䶮");
        assert_eq!(case.attachments[0].size, 8);
        assert_eq!(case.slsj, "2026年12月7日 14时03分05秒");
        assert_eq!(state.counts().duplicates, 1);
    }

    #[test]
    fn fields_are_named() {
        let state = state();
        for (from, to, field) in [
            ("<PTBH>P-1</PTBH>", "", "字段PTBH校验失败"),
            ("330122-MZ-GF-001", "330122-MZ-XX-001", "字段SXBM校验失败"),
            (
                "11010519491231002X",
                "110105194912310021",
                "字段SQR/ZJHM校验失败",
            ),
            (
                "<ZJLX>SFZ</ZJLX>",
                "<ZJLX>HZ</ZJLX>",
                "字段SQR/ZJLX校验失败",
            ),
            ("<XM>王䶮</XM>", "<XM> </XM>", "字段SQR/XM校验失败"),
            ("14时03分05秒", "25时03分05秒", "字段SLSJ校验失败"),
            (
                "2026年12月07日 14时03分05秒",
                "2026-12-07 14:03:05",
                "字段SLSJ校验失败",
            ),
            ("<NR>JVBERi0x", "<NR>!!", "字段FJ/F[1]/NR校验失败"),
            ("<CLBM>01</CLBM>", "<CLBM>02</CLBM>", "字段FJ校验失败"),
            (
                "<SQ>",
                "<SQ><BD><X><Z>1</Z></X></BD>",
                "字段BD/X[1]/ZDM校验失败",
            ),
        ] {
            let answer = call(&state, "TJSQ", &SQ.replace(from, to));
            assert_eq!(answer.fhdm, "1002", "{to}: {}", answer.fhxx);
            assert!(answer.fhxx.starts_with(field), "{}", answer.fhxx);
            assert!(answer.bwn.children.is_empty());
        }
    }

    #[test]
    fn unreadable_messages_are_malformed() {
        let state = state();
        let answer = handle(b"<BW><BWT>", &HeaderMap::new(), &state, Fault::None);
        assert_eq!((answer.fhdm.as_str(), answer.jydm.as_str()), ("1001", ""));
        let answer = handle(
            b"<BW><BWT><JYDM>CXSX</JYDM></BWT></BW>",
            &HeaderMap::new(),
            &state,
            Fault::None,
        );
        assert_eq!(
            (answer.fhdm.as_str(), answer.jydm.as_str()),
            ("1001", "CXSX")
        );
        assert!(answer.fhxx.contains("XTBS"));
        let answer = call(&state, "QUERY", "");
        assert_eq!(answer.fhdm, "1001");
        assert!(answer.fhxx.contains("QUERY"));
        let answer = handle(b"<BW>\x81\x20</BW>", &HeaderMap::new(), &state, Fault::None);
        assert_eq!(answer.fhdm, "1001");
        assert!(answer.fhxx.contains("GB18030"), "{}", answer.fhxx);
    }

    #[test]
    fn the_unknown_code_fault_replaces_the_first_code() {
        let mut bw = Element::new("BW")
            .child(Element::new("BWT").field("FHDM", "0000"))
            .child(Element::new("BWN").child(Element::new("BH").field("ZTDM", "01")));
        unknown_code(&mut bw);
        assert_eq!(
            bw.find("BWN").unwrap().find("BH").unwrap().text_of("ZTDM"),
            Some("99")
        );
        let mut bw = Element::new("BW").child(Element::new("BWT").field("FHDM", "0000"));
        unknown_code(&mut bw);
        assert_eq!(
            bw.find("BWT").unwrap().text_of("FHDM"),
            Some(UNDEFINED_FHDM)
        );
    }

    #[test]
    fn numbers_are_decimal() {
        for good in ["0", "2610", "2610.50"] {
            assert!(is_number(good), "{good}");
        }
        for bad in ["", "-1", "1e3", "2.", ".5", "一千"] {
            assert!(!is_number(bad), "{bad}");
        }
    }
}
