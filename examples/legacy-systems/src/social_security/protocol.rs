//! The 金保 interface: reading requests, building `{code, message, data}` answers, and
//! showing the fault modes in the interface's own JSON.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use onewindow_codes::{credit_code, date, gbk, id_number};
use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};
use tokio::time::Instant;

use super::catalogue::{self, MATTERS};
use super::register::{CardStatus, is_card_number};
use super::state::{
    Applicant, Attachment, CaseKey, FormField, Handled, Outcome, State, Subject, Submission,
    SupplementRequest, SuppliedFile,
};
use crate::common::Fault;

/// What every answer is sent as (also under the wrong-encoding fault, which sends GBK bytes).
pub const CONTENT_TYPE: &str = "application/json;charset=UTF-8";

/// Records per page of 事项目录查询 and 社会保障卡查询, at most.
pub const MAX_PAGE_SIZE: u64 = 10;
/// Status changes per page of 办件状态变化查询, at most.
pub const MAX_CHANGES: u64 = 100;

/// 返回码 `code` of an answer that did not succeed.
pub mod code {
    /// 参数错误: the request is malformed.
    pub const MALFORMED: u16 = 1001;
    /// 无此记录.
    pub const NOT_FOUND: u16 = 2001;
    /// 业务规则不允许.
    pub const REFUSED: u16 = 3001;
    /// A 返回码 the interface does not define, sent by the unknown-code fault.
    pub const UNDEFINED: u16 = 4001;
}

/// The interface's operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `GET /sx` 事项目录查询.
    Catalogue,
    /// `POST /yw/sq` 业务申请.
    Submit,
    /// `GET /yw/zt` 办件状态变化查询.
    Events,
    /// `GET /sbk` 社会保障卡查询.
    Cards,
    /// `GET /sbk/{aaz500}` 社会保障卡验证.
    Verify,
    /// `POST /yw/bz` 业务补正.
    Supplement,
    /// `POST /yw/ch` 业务撤回.
    Withdraw,
    /// `POST /sbk/{aaz500}/zt` 社会保障卡状态变更.
    CardStatus,
}

impl Op {
    /// The field the missing-element fault drops: the first of these that the answer has.
    fn droppable(self) -> &'static [&'static str] {
        match self {
            Op::Catalogue => &["/data/list/0/aaa122"],
            Op::Submit => &["/data/aaz002"],
            Op::Events => &["/data/list/0/bae201", "/data/list/0/aaz502", "/data/zdxh"],
            Op::Cards => &["/data/list/0/aaz500", "/data/total"],
            Op::Verify | Op::CardStatus => &["/data/aaz500"],
            Op::Supplement | Op::Withdraw => &["/data/aaz002"],
        }
    }

    /// The code the unknown-code fault replaces, with an undefined value; when the
    /// answer has none of them, its 返回码 becomes [`code::UNDEFINED`].
    fn coded(self) -> &'static [(&'static str, u16)] {
        match self {
            Op::Catalogue => &[("/data/list/0/aaa123", 8)],
            Op::Submit | Op::Supplement | Op::Withdraw => &[],
            Op::Events => &[("/data/list/0/bae201", 70), ("/data/list/0/aaz502", 9)],
            Op::Cards => &[("/data/list/0/aaz502", 9)],
            Op::Verify | Op::CardStatus => &[("/data/aaz502", 9)],
        }
    }
}

/// Why an operation did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// 返回码.
    pub code: u16,
    /// 返回信息.
    pub message: String,
}

impl Failure {
    /// 1001 参数错误.
    pub fn malformed(message: impl Into<String>) -> Self {
        Self {
            code: code::MALFORMED,
            message: message.into(),
        }
    }

    /// 2001 无此记录.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            code: code::NOT_FOUND,
            message: message.into(),
        }
    }

    /// 3001 业务规则不允许.
    pub fn refused(message: impl Into<String>) -> Self {
        Self {
            code: code::REFUSED,
            message: message.into(),
        }
    }
}

/// The answer's JSON: success with `data`, or the failure with `data: null`.
pub fn envelope(result: Result<(String, Value), Failure>) -> Value {
    match result {
        Ok((message, data)) => json!({"code": 0, "message": message, "data": data}),
        Err(f) => json!({"code": f.code, "message": f.message, "data": null}),
    }
}

/// Writes the answer, showing `fault` where it concerns the JSON.
pub fn respond(op: Op, mut answer: Value, fault: Fault) -> Response {
    match fault {
        Fault::MissingElement if !op.droppable().iter().any(|p| remove(&mut answer, p)) => {
            tracing::debug!(?op, "missing-element fault: nothing to drop");
        }
        Fault::UnknownCode => {
            let replaced = op.coded().iter().any(|&(pointer, undefined)| {
                answer
                    .pointer_mut(pointer)
                    .map(|v| *v = json!(undefined))
                    .is_some()
            });
            if !replaced {
                answer["code"] = json!(code::UNDEFINED);
            }
        }
        _ => {}
    }
    let text = answer.to_string();
    let body = if fault == Fault::WrongEncoding {
        // GBK bytes under a UTF-8 label.
        encoding_rs::GBK.encode(&text).0.into_owned()
    } else {
        text.into_bytes()
    };
    (StatusCode::OK, [(header::CONTENT_TYPE, CONTENT_TYPE)], body).into_response()
}

/// Removes the value at `pointer`; whether there was one.
fn remove(value: &mut Value, pointer: &str) -> bool {
    let Some((parent, key)) = pointer.rsplit_once('/') else {
        return false;
    };
    match value.pointer_mut(parent) {
        Some(Value::Object(map)) => map.remove(key).is_some(),
        _ => false,
    }
}

/// A query parameter as a whole number within `range`, or `default` when absent.
fn number(
    params: &HashMap<String, String>,
    name: &str,
    meaning: &str,
    range: std::ops::RangeInclusive<u64>,
    default: Option<u64>,
) -> Result<u64, Failure> {
    let Some(text) = params.get(name) else {
        return default.ok_or_else(|| Failure::malformed(format!("缺少{name}（{meaning}）")));
    };
    text.parse::<u64>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| {
            Failure::malformed(format!(
                "{name}（{meaning}）应为{}到{}之间的整数，实际为“{text}”",
                range.start(),
                range.end()
            ))
        })
}

/// (pageNo, pageSize) of a page-numbered list.
fn paging(params: &HashMap<String, String>) -> Result<(u64, u64), Failure> {
    let page_no = number(params, "pageNo", "页码", 1..=u64::from(u32::MAX), Some(1))?;
    let page_size = number(params, "pageSize", "每页条数", 1..=MAX_PAGE_SIZE, Some(10))?;
    Ok((page_no, page_size))
}

/// One page of `records`; under endless-pages every page is the first and says more follow.
fn page(records: Vec<Value>, page_no: u64, page_size: u64, endless: bool) -> Value {
    let total = records.len() as u64;
    let start = if endless {
        0
    } else {
        (page_no - 1).saturating_mul(page_size).min(total)
    };
    let end = start.saturating_add(page_size).min(total);
    let list: Vec<Value> = records[start as usize..end as usize].to_vec();
    json!({
        "pageNo": page_no,
        "pageSize": page_size,
        "total": total,
        "hasNext": endless || end < total,
        "list": list,
    })
}

/// 事项目录查询.
pub fn catalogue(
    params: &HashMap<String, String>,
    fault: Fault,
) -> Result<(String, Value), Failure> {
    let (page_no, page_size) = paging(params)?;
    let records = MATTERS.iter().map(catalogue::Matter::record).collect();
    Ok((
        "成功".to_owned(),
        page(records, page_no, page_size, fault == Fault::EndlessPages),
    ))
}

/// 社会保障卡查询: a holder's cards.
pub fn cards(
    params: &HashMap<String, String>,
    state: &Mutex<State>,
    fault: Fault,
) -> Result<(String, Value), Failure> {
    let id = params
        .get("aac002")
        .ok_or_else(|| Failure::malformed("缺少aac002（公民身份号码）"))?;
    id_number::validate(id)
        .map_err(|e| Failure::malformed(format!("aac002（公民身份号码）“{id}”无效：{e}")))?;
    let (page_no, page_size) = paging(params)?;
    let records = lock(state)
        .cards_of(id)
        .into_iter()
        .map(|c| c.record())
        .collect();
    Ok((
        "成功".to_owned(),
        page(records, page_no, page_size, fault == Fault::EndlessPages),
    ))
}

/// 社会保障卡验证: one card by number.
pub fn verify(number: &str, state: &Mutex<State>) -> Result<(String, Value), Failure> {
    if !is_card_number(number) {
        return Err(Failure::malformed(format!(
            "aaz500（社会保障卡卡号）应为1位大写字母加8位数字，实际为“{number}”"
        )));
    }
    match lock(state).card(number) {
        Some(card) => Ok(("成功".to_owned(), card.record())),
        None => Err(Failure::not_found(format!("社会保障卡卡号{number}不存在"))),
    }
}

/// 办件状态变化查询.
pub fn changes(
    params: &HashMap<String, String>,
    state: &Mutex<State>,
    fault: Fault,
) -> Result<(String, Value), Failure> {
    let after = number(params, "qsxh", "起始序号", 0..=u64::MAX, None)?;
    let limit = number(params, "pageSize", "每页条数", 1..=MAX_CHANGES, Some(50))?;
    let state = lock(state);
    let (page, more) = state.changes(after, limit as usize);
    let list: Vec<Value> = page
        .iter()
        .map(|c| match &c.subject {
            Subject::Case {
                bae100,
                aaz002,
                aaa121,
                bae201,
                card,
            } => {
                let mut record = json!({
                    "bae200": c.bae200,
                    "bae203": 1,
                    "bae100": bae100,
                    "aaz002": aaz002,
                    "aaa121": aaa121,
                    "bae201": bae201,
                    "aae036": c.aae036,
                    "aae013": c.aae013,
                    "aae011": super::DEPARTMENT,
                });
                if let Some(card) = card {
                    record["sbk"] = card.record();
                }
                record
            }
            Subject::Card(card) => json!({
                "bae200": c.bae200,
                "bae203": 2,
                "aaz500": card.number,
                "aaz502": card.status.code(),
                "aae036": c.aae036,
                "aae013": c.aae013,
                "aae011": super::DEPARTMENT,
                "sbk": card.record(),
            }),
        })
        .collect();
    let (last, more) = if fault == Fault::EndlessPages {
        // More is always said to follow, from the very same sequence number.
        (after, true)
    } else {
        (page.last().map_or(after, |c| c.bae200), more)
    };
    Ok((
        "成功".to_owned(),
        json!({"qsxh": after, "zdxh": last, "hasNext": more, "list": list}),
    ))
}

/// 业务申请.
pub fn submit(
    body: &[u8],
    headers: &HeaderMap,
    state: &Mutex<State>,
) -> Result<(String, Value), Failure> {
    let submission = parse_submission(&request_json(body, headers)?)?;
    let bae100 = submission.bae100.clone();
    let accepted = lock(state)
        .submit(submission, Instant::now())
        .map_err(Failure::refused)?;
    let message = if accepted.duplicate {
        tracing::info!(%bae100, aaz002 = %accepted.aaz002, "duplicate submission");
        "重复申请，返回原业务流水号"
    } else {
        tracing::info!(%bae100, aaz002 = %accepted.aaz002, "case stored");
        "申请成功"
    };
    Ok((
        message.to_owned(),
        json!({"aaz002": accepted.aaz002, "bae102": u8::from(accepted.duplicate)}),
    ))
}

/// The case a 业务补正 or 业务撤回 names: bae100, aaz002, or both.
fn case_key(request: &Fields<'_>) -> Result<CaseKey, Failure> {
    let optional = |key: &str, meaning: &str| match request.get(key) {
        None => Ok(None),
        Some(_) => request.text(key, meaning).map(|v| Some(v.to_owned())),
    };
    let key = CaseKey {
        bae100: optional("bae100", "平台办件编号")?,
        aaz002: optional("aaz002", "业务流水号")?,
    };
    if key.bae100.is_none() && key.aaz002.is_none() {
        return Err(Failure::malformed(
            "缺少bae100（平台办件编号）或aaz002（业务流水号）",
        ));
    }
    Ok(key)
}

/// The optional aae013 (说明) of a request.
fn note(request: &Fields<'_>, meaning: &str) -> Result<String, Failure> {
    match request.get("aae013") {
        None => Ok(String::new()),
        Some(_) => request
            .string("aae013", meaning)
            .map(|v| v.trim().to_owned()),
    }
}

fn handled(handled: &Handled) -> Value {
    json!({
        "bae100": handled.bae100,
        "aaz002": handled.aaz002,
        "aae036": handled.aae036,
        "bae102": u8::from(handled.repeat),
    })
}

/// 业务补正: the materials of a case waiting at 30 需补正.
pub fn supplement(
    body: &[u8],
    headers: &HeaderMap,
    state: &Mutex<State>,
) -> Result<(String, Value), Failure> {
    let map = request_json(body, headers)?;
    let request = Fields {
        map: &map,
        place: String::new(),
    };
    let key = case_key(&request)?;
    let aae013 = note(&request, "补正说明")?;
    let fjxx: Vec<SuppliedFile> = files(&request)?
        .into_iter()
        .map(|(file, bytes)| SuppliedFile {
            bae010: file.bae010,
            bae120: file.bae120,
            bae121: file.bae121,
            size: file.size,
            sha256: hex::encode(Sha256::digest(&bytes)),
        })
        .collect();
    if fjxx.is_empty() {
        return Err(Failure::malformed(
            "fjxx（附件信息）不能为空：补正须至少提交一个附件",
        ));
    }
    let done = lock(state).supplement(SupplementRequest { key, aae013, fjxx }, Instant::now())?;
    let message = if done.repeat {
        "补正材料已接收，重复提交不再处理"
    } else {
        "补正材料已接收，继续审核"
    };
    Ok((message.to_owned(), handled(&done)))
}

/// 业务撤回: withdraws a case the department has not decided.
pub fn withdraw(
    body: &[u8],
    headers: &HeaderMap,
    state: &Mutex<State>,
) -> Result<(String, Value), Failure> {
    let map = request_json(body, headers)?;
    let request = Fields {
        map: &map,
        place: String::new(),
    };
    let key = case_key(&request)?;
    let aae013 = note(&request, "撤回原因")?;
    let done = lock(state).withdraw(&key, &aae013)?;
    let message = if done.repeat {
        "办件已撤回"
    } else {
        "撤回成功，办件终止办理"
    };
    Ok((message.to_owned(), handled(&done)))
}

/// aaz502 values a 社会保障卡状态变更 may set.
const CARD_CHANGES: &[(i64, &str)] = &[
    (1, "正常（解除临时挂失）"),
    (2, "临时挂失"),
    (3, "正式挂失"),
    (4, "注销"),
];

/// 社会保障卡状态变更: 挂失, 解除临时挂失 or 注销 of a card at the department.
pub fn change_card(
    aaz500: &str,
    body: &[u8],
    headers: &HeaderMap,
    state: &Mutex<State>,
) -> Result<(String, Value), Failure> {
    if !is_card_number(aaz500) {
        return Err(Failure::malformed(format!(
            "aaz500（社会保障卡卡号）应为1位大写字母加8位数字，实际为“{aaz500}”"
        )));
    }
    let map = request_json(body, headers)?;
    let request = Fields {
        map: &map,
        place: String::new(),
    };
    let to = match request.code("aaz502", "卡状态", CARD_CHANGES)? {
        1 => CardStatus::Normal,
        2 => CardStatus::TemporaryLoss,
        3 => CardStatus::Lost,
        _ => CardStatus::Cancelled,
    };
    let aae013 = note(&request, "变更原因")?;
    let (card, changed) = lock(state).change_card(aaz500, to, &aae013)?;
    let message = if changed {
        format!("社会保障卡状态已变更为{}", card.status.name())
    } else {
        format!("社会保障卡状态已为{}，未变更", card.status.name())
    };
    let mut data = card.record();
    data["bae102"] = json!(u8::from(!changed));
    Ok((message, data))
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    // A panic elsewhere must not take the whole mock down with it.
    state.lock().unwrap_or_else(|e| e.into_inner())
}

/// The request body as a JSON object, decoded strictly in its declared charset (UTF-8 by default).
fn request_json(body: &[u8], headers: &HeaderMap) -> Result<Map<String, Value>, Failure> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let charset = gbk::content_type_charset(content_type).unwrap_or("UTF-8");
    let text = gbk::decode_declared(body, charset)
        .map_err(|e| Failure::malformed(format!("请求报文不是有效的{charset}编码：{e}")))?;
    match serde_json::from_str(&text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Failure::malformed("请求报文应为JSON对象")),
        Err(e) => Err(Failure::malformed(format!("请求报文不是有效的JSON：{e}"))),
    }
}

/// Reads fields of one JSON object, naming them (with `place`, e.g. `zzxx[0].`) when wrong.
struct Fields<'a> {
    map: &'a Map<String, Value>,
    place: String,
}

impl<'a> Fields<'a> {
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn text(&self, key: &str, meaning: &str) -> Result<&'a str, Failure> {
        let place = &self.place;
        match self.get(key) {
            None => Err(Failure::malformed(format!("缺少{place}{key}（{meaning}）"))),
            Some(Value::String(s)) if s.trim().is_empty() => Err(Failure::malformed(format!(
                "{place}{key}（{meaning}）不能为空"
            ))),
            Some(Value::String(s)) => Ok(s.trim()),
            Some(other) => Err(Failure::malformed(format!(
                "{place}{key}（{meaning}）应为字符串，实际为{other}"
            ))),
        }
    }

    /// A string that may be empty.
    fn string(&self, key: &str, meaning: &str) -> Result<&'a str, Failure> {
        match self.get(key) {
            Some(Value::String(s)) => Ok(s),
            None => Err(Failure::malformed(format!(
                "缺少{}{key}（{meaning}）",
                self.place
            ))),
            Some(other) => Err(Failure::malformed(format!(
                "{}{key}（{meaning}）应为字符串，实际为{other}",
                self.place
            ))),
        }
    }

    fn code(&self, key: &str, meaning: &str, allowed: &[(i64, &str)]) -> Result<i64, Failure> {
        let value = self
            .get(key)
            .ok_or_else(|| Failure::malformed(format!("缺少{}{key}（{meaning}）", self.place)))?;
        match value.as_i64() {
            Some(n) if allowed.iter().any(|&(c, _)| c == n) => Ok(n),
            _ => {
                let allowed: Vec<String> = allowed
                    .iter()
                    .map(|(c, name)| format!("{c}（{name}）"))
                    .collect();
                Err(Failure::malformed(format!(
                    "{}{key}（{meaning}）应为{}之一，实际为{value}",
                    self.place,
                    allowed.join("、")
                )))
            }
        }
    }

    fn date(&self, key: &str, meaning: &str) -> Result<&'a str, Failure> {
        let text = self.text(key, meaning)?;
        let ok = text.len() == 8
            && text.bytes().all(|b| b.is_ascii_digit())
            && date::parse(text).is_ok();
        if ok {
            Ok(text)
        } else {
            Err(Failure::malformed(format!(
                "{}{key}（{meaning}）应为yyyyMMdd格式的日期，实际为“{text}”",
                self.place
            )))
        }
    }

    fn list(&self, key: &str, meaning: &str) -> Result<Vec<Fields<'a>>, Failure> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Value::Object(map) => Ok(Fields {
                        map,
                        place: format!("{}{key}[{i}].", self.place),
                    }),
                    other => Err(Failure::malformed(format!(
                        "{}{key}[{i}]（{meaning}）应为JSON对象，实际为{other}",
                        self.place
                    ))),
                })
                .collect(),
            Some(other) => Err(Failure::malformed(format!(
                "{}{key}（{meaning}）应为数组，实际为{other}",
                self.place
            ))),
        }
    }

    /// A person (aac002, aac003) or organization (aab998, aab004), checked.
    fn party(&self, person: bool) -> Result<(String, String), Failure> {
        let place = &self.place;
        if person {
            let id = self.text("aac002", "公民身份号码")?;
            id_number::validate(id).map_err(|e| {
                Failure::malformed(format!("{place}aac002（公民身份号码）“{id}”无效：{e}"))
            })?;
            Ok((id.to_owned(), self.text("aac003", "姓名")?.to_owned()))
        } else {
            let code = self.text("aab998", "统一社会信用代码")?;
            credit_code::validate(code).map_err(|e| {
                Failure::malformed(format!(
                    "{place}aab998（统一社会信用代码）“{code}”无效：{e}"
                ))
            })?;
            Ok((code.to_owned(), self.text("aab004", "单位名称")?.to_owned()))
        }
    }
}

/// The fjxx 附件信息 of a request, each with its decoded content.
fn files(request: &Fields<'_>) -> Result<Vec<(Attachment, Vec<u8>)>, Failure> {
    let mut fjxx = Vec::new();
    for file in request.list("fjxx", "附件信息")? {
        let material = file.text("bae010", "材料编码")?;
        let content = file.string("bae122", "文件内容")?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(content.as_bytes())
            .map_err(|e| {
                Failure::malformed(format!(
                    "{}bae122（文件内容，材料编码{material}）不是有效的Base64编码：{e}",
                    file.place
                ))
            })?;
        let attachment = Attachment {
            bae010: material.to_owned(),
            bae120: file.text("bae120", "文件名")?.to_owned(),
            bae121: file.text("bae121", "文件类型")?.to_owned(),
            size: bytes.len(),
        };
        fjxx.push((attachment, bytes));
    }
    Ok(fjxx)
}

/// aac058 证件类型 codes.
const DOCUMENT_TYPES: &[(i64, &str)] = &[
    (1, "居民身份证"),
    (2, "社会保障卡"),
    (3, "营业执照"),
    (4, "不动产权证书"),
    (99, "其他证照"),
];

/// bae135 证照状态 codes.
const LICENSE_STATUSES: &[(i64, &str)] = &[(1, "有效"), (2, "已撤销"), (3, "已过期")];

fn parse_submission(map: &Map<String, Value>) -> Result<Submission, Failure> {
    let request = Fields {
        map,
        place: String::new(),
    };
    let bae100 = request.text("bae100", "平台办件编号")?.to_owned();
    let aaa121 = request.text("aaa121", "事项编码")?;
    let kind = request.code("bae101", "申请人类型", &[(1, "个人"), (2, "单位")])?;
    let (id, name) = request.party(kind == 1)?;
    let applicant = if kind == 1 {
        Applicant {
            bae101: 1,
            aac002: Some(id),
            aac003: Some(name),
            aab998: None,
            aab004: None,
        }
    } else {
        Applicant {
            bae101: 2,
            aac002: None,
            aac003: None,
            aab998: Some(id),
            aab004: Some(name),
        }
    };
    let aae036 = request.text("aae036", "受理时间")?;
    let valid_time = aae036.len() == 14
        && aae036.bytes().all(|b| b.is_ascii_digit())
        && date::parse_datetime(aae036).is_ok();
    if !valid_time {
        return Err(Failure::malformed(format!(
            "aae036（受理时间）应为yyyyMMddHHmmss格式，实际为“{aae036}”"
        )));
    }

    let mut bdxx = Vec::new();
    for field in request.list("bdxx", "表单信息")? {
        bdxx.push(FormField {
            bae110: field.text("bae110", "字段名")?.to_owned(),
            bae111: field.string("bae111", "字段值")?.trim().to_owned(),
        });
    }

    let fjxx = files(&request)?.into_iter().map(|(file, _)| file).collect();

    let mut zzxx = Vec::new();
    for license in request.list("zzxx", "证照信息")? {
        license.text("bae010", "材料编码")?;
        license.code("aac058", "证件类型", DOCUMENT_TYPES)?;
        license.text("bae132", "证照类型名称")?;
        license.text("aae135", "证件号码")?;
        let person = license.get("aac002").is_some() || license.get("aab998").is_none();
        license.party(person)?;
        license.text("aae017", "发证机关")?;
        license.date("aae030", "发证日期")?;
        if license.get("aae031").is_some() {
            license.date("aae031", "有效期至")?;
        }
        license.code("bae135", "证照状态", LICENSE_STATUSES)?;
        zzxx.push(Value::Object(license.map.clone()));
    }

    let simulated = bdxx
        .iter()
        .find(|f| f.bae110 == "模拟结果")
        .map(|f| f.bae111.as_str());
    let outcome = Outcome::from_form(simulated).ok_or_else(|| {
        Failure::malformed(format!(
            "表单字段“模拟结果”只能是不予办理或补正，实际为“{}”",
            simulated.unwrap_or_default()
        ))
    })?;

    // An unknown matter is checked last so that a malformed request says what is malformed.
    let matter = catalogue::find(aaa121)
        .ok_or_else(|| Failure::not_found(format!("事项编码{aaa121}不存在")))?;

    Ok(Submission {
        bae100,
        matter,
        applicant,
        aae036: aae036.to_owned(),
        bdxx,
        fjxx,
        zzxx,
        outcome,
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn state() -> Mutex<State> {
        Mutex::new(State::new(Duration::from_millis(10)))
    }

    fn request() -> Value {
        json!({
            "bae100": "P-1",
            "aaa121": "330122-RS-SB-001",
            "bae101": 1,
            "aac002": "11010519491231002X",
            "aac003": "陈晓东",
            "aae036": "20261127093000",
            "bdxx": [{"bae110": "开户银行", "bae111": "浙江桐庐农村商业银行"}],
            "fjxx": [{"bae010": "002", "bae120": "照片.jpg", "bae121": "image/jpeg", "bae122": "/9j/4A=="}],
            "zzxx": [{
                "bae010": "001", "aac058": 1, "bae132": "居民身份证", "bae133": "JMSFZ",
                "aae135": "11010519491231002X", "aac002": "11010519491231002X", "aac003": "陈晓东",
                "aae017": "县公安局", "aae030": "20160504", "aae031": null, "bae135": 1
            }]
        })
    }

    fn post(state: &Mutex<State>, body: &Value) -> Result<(String, Value), Failure> {
        submit(body.to_string().as_bytes(), &HeaderMap::new(), state)
    }

    #[test]
    fn submission_is_parsed_and_idempotent() {
        let state = state();
        let (message, first) = post(&state, &request()).unwrap();
        assert_eq!(message, "申请成功");
        let (message, again) = post(&state, &request()).unwrap();
        assert_eq!(message, "重复申请，返回原业务流水号");
        assert_eq!(first["aaz002"], again["aaz002"]);
        assert_eq!(again["bae102"], 1);
        let state = state.lock().unwrap();
        let case = state.case("P-1").unwrap();
        assert_eq!(case.fjxx[0].size, 4);
        assert_eq!(case.zzxx[0]["aae017"], "县公安局");
        assert_eq!(state.counts().duplicates, 1);
    }

    #[test]
    fn malformed_requests_name_the_field() {
        let state = state();
        type Edit = Box<dyn Fn(&mut Value)>;
        let cases: Vec<(Edit, &str)> = vec![
            (
                Box::new(|r| r["bae100"] = Value::Null),
                "缺少bae100（平台办件编号）",
            ),
            (
                Box::new(|r| r["bae101"] = json!(3)),
                "bae101（申请人类型）应为",
            ),
            (
                Box::new(|r| r["aac002"] = json!("110105194912310021")),
                "aac002（公民身份号码）",
            ),
            (
                Box::new(|r| r["aae036"] = json!("2026-11-27")),
                "aae036（受理时间）",
            ),
            (
                Box::new(|r| r["fjxx"][0]["bae122"] = json!("!!")),
                "fjxx[0].bae122",
            ),
            (
                Box::new(|r| r["zzxx"][0]["aac058"] = json!(7)),
                "zzxx[0].aac058（证件类型）",
            ),
            (
                Box::new(|r| r["zzxx"][0]["aae030"] = json!("2016-05-04")),
                "zzxx[0].aae030（发证日期）",
            ),
            (
                Box::new(|r| r["zzxx"][0]["aac002"] = Value::Null),
                "缺少zzxx[0].aac002（公民身份号码）",
            ),
            (
                Box::new(|r| r["bdxx"] = json!([{"bae110": "模拟结果", "bae111": "也许"}])),
                "模拟结果",
            ),
        ];
        for (edit, expected) in cases {
            let mut body = request();
            edit(&mut body);
            let failure = post(&state, &body).unwrap_err();
            assert_eq!(failure.code, code::MALFORMED, "{expected}");
            assert!(
                failure.message.contains(expected),
                "{failure:?} lacks {expected}"
            );
        }
        let mut unknown = request();
        unknown["aaa121"] = json!("330122-RS-XX-999");
        assert_eq!(post(&state, &unknown).unwrap_err().code, code::NOT_FOUND);
        let failure = submit(b"{\"bae100\":", &HeaderMap::new(), &state).unwrap_err();
        assert!(failure.message.contains("JSON"), "{failure:?}");
    }

    #[test]
    fn business_rules_refuse() {
        let state = state();
        // 王镕 already holds a normal card.
        let mut again = request();
        again["bae100"] = json!("R-1");
        again["aac002"] = json!(super::super::register::with_check("33012219850312011"));
        again["aac003"] = json!("王镕");
        let failure = post(&state, &again).unwrap_err();
        assert_eq!(failure.code, code::REFUSED);
        assert!(failure.message.contains("D33011201"), "{failure:?}");
        // An organization cannot apply for a card.
        let mut organization = request();
        organization["bae100"] = json!("R-2");
        organization["bae101"] = json!(2);
        organization["aab998"] = json!("91330122704218653L");
        organization["aab004"] = json!("桐庐富春蜂语蜂业有限公司");
        let failure = post(&state, &organization).unwrap_err();
        assert_eq!(failure.code, code::REFUSED);
        assert!(failure.message.contains("个人"), "{failure:?}");
    }

    #[test]
    fn faults_change_the_json() {
        let answer = envelope(catalogue(&HashMap::new(), Fault::None));
        let dropped = answer.clone();
        let mut dropped_value = dropped;
        assert!(remove(&mut dropped_value, "/data/list/0/aaa122"));
        assert!(dropped_value["data"]["list"][0].get("aaa122").is_none());
        assert!(dropped_value["data"]["list"][1].get("aaa122").is_some());
        assert!(!remove(&mut dropped_value, "/data/list/0/nothing"));
        let endless = envelope(catalogue(
            &HashMap::from([("pageNo".to_owned(), "7".to_owned())]),
            Fault::EndlessPages,
        ));
        assert_eq!(endless["data"]["pageNo"], 7);
        assert_eq!(endless["data"]["hasNext"], true);
        assert_eq!(endless["data"]["list"], answer["data"]["list"]);
    }
}
