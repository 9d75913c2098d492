//! The five transactions: reading their requests and building their answers.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::http::Method;
use base64::Engine as _;
use onewindow_codes::fixed::Record;
use onewindow_codes::{credit_code, id_number};
use sha2::{Digest as _, Sha256};
use tokio::time::Instant;

use super::catalogue::{self, MATTERS};
use super::records::{
    self, ATTACHMENT, CHANGE, CONTENT, FORM, HOLDER_QUERY, NOTE, Out, PAGE, RECEIPT, REUSED, Reply,
    SUBMISSION, SUPPLEMENT, SUPPLEMENT_RECEIPT, VERIFY_QUERY, WITHDRAWAL, WITHDRAWAL_RECEIPT,
};
use super::state::{
    ApplicantInfo, AttachmentInfo, FormField, Handled, Outcome, ReusedLicense, State, Submission,
    SupplementRequest, SuppliedFile, WithdrawalRequest,
};
use crate::common::Fault;

/// The transactions this system knows, with their method.
pub const TRANSACTIONS: &[(&str, Method, &str)] = &[
    ("1001", Method::GET, "事项清单查询"),
    ("2001", Method::POST, "办件申报"),
    ("2002", Method::GET, "办件状态查询"),
    ("2003", Method::POST, "补正材料提交"),
    ("2004", Method::POST, "撤回申请"),
    ("3001", Method::POST, "证照查询"),
    ("3002", Method::POST, "证照核验"),
];

/// The most changes one `2002` page may hold.
pub const MAX_PAGE: u64 = 100;

/// Why a request did not succeed: its 返回码 and 返回信息.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// 1001: the request is malformed.
    Malformed(String),
    /// 2001: 事项 not found.
    NotFound(String),
    /// 3001: refused by business rules.
    Refused(String),
}

impl From<Failure> for Reply {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Malformed(m) => Reply::failure("1001", m),
            Failure::NotFound(m) => Reply::failure("2001", m),
            Failure::Refused(m) => Reply::failure("3001", m),
        }
    }
}

/// A request as it arrived.
pub struct Request<'r> {
    /// `GET` or `POST`.
    pub method: &'r Method,
    /// Query parameters.
    pub query: &'r HashMap<String, String>,
    /// The charset the request declared, if any.
    pub charset: Option<&'r str>,
    /// The body.
    pub body: &'r [u8],
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    // A panic elsewhere must not take the whole mock down with it.
    state.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs transaction `tx` and returns its answer (successful or not).
pub fn dispatch(tx: &str, request: &Request<'_>, state: &Mutex<State>, fault: Fault) -> Reply {
    let Some((_, method, name)) = TRANSACTIONS.iter().find(|(code, _, _)| *code == tx) else {
        let known: Vec<&str> = TRANSACTIONS.iter().map(|(c, _, _)| *c).collect();
        return Reply::failure(
            "1001",
            format!("不支持的交易码{tx}（支持{}）", known.join("、")),
        );
    };
    if request.method != method {
        return Reply::failure("1001", format!("交易{tx}（{name}）须使用{method}方法"));
    }
    if let Some(label) = request.charset {
        let gbk = encoding_rs::Encoding::for_label(label.as_bytes())
            .is_some_and(|e| e == encoding_rs::GBK || e == encoding_rs::GB18030);
        if !gbk {
            return Reply::failure("1001", format!("请求报文须使用GBK编码，实际声明为{label}"));
        }
    }
    let result = match tx {
        "1001" => Ok(Reply::ok(
            MATTERS.iter().flat_map(|m| m.records()).collect(),
        )),
        "2001" => submit(request.body, state),
        "2002" => changes(request.query, state, fault),
        "2003" => supplement(request.body, state),
        "2004" => withdraw(request.body, state),
        "3001" => licenses_of(request.body, state),
        _ => verify(request.body, state),
    };
    result.unwrap_or_else(Reply::from)
}

fn malformed(message: impl Into<String>) -> Failure {
    Failure::Malformed(message.into())
}

fn value<'a>(record: &'a Record<'_>, field: &str) -> &'a str {
    record.get(field).unwrap_or_default()
}

fn required<'a>(record: &'a Record<'_>, field: &str, what: &str) -> Result<&'a str, Failure> {
    match value(record, field) {
        "" => Err(malformed(format!("{what}缺少{field}"))),
        v => Ok(v),
    }
}

fn count(record: &Record<'_>, field: &str, what: &str) -> Result<usize, Failure> {
    let text = required(record, field, what)?;
    text.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| text.parse().ok())
        .flatten()
        .ok_or_else(|| malformed(format!("{what}的{field}应为数字，实际为“{text}”")))
}

/// Reads one request of exactly one record of `kind`.
fn single(body: &[u8], kind: &'static records::Kind) -> Result<Record<'static>, Failure> {
    let lines = records::split(body).map_err(Failure::Malformed)?;
    let [line] = lines.as_slice() else {
        return Err(malformed(format!(
            "请求报文应为一条{}（{}）记录，实际为{}条",
            kind.code,
            kind.name,
            lines.len()
        )));
    };
    records::parse(line, 1, kind).map_err(Failure::Malformed)
}

/// Reads the `03` record before `*n` (1-based count of records read) and the
/// `04` records after it; the file's description and its bytes.
fn read_attachment(lines: &[&[u8]], n: &mut usize) -> Result<(AttachmentInfo, Vec<u8>), Failure> {
    let record = records::parse(lines[*n - 1], *n, &ATTACHMENT).map_err(Failure::Malformed)?;
    let file_name = required(&record, "文件名", "附件")?.to_owned();
    let lines_announced = count(&record, "内容行数", "附件")?;
    let size = count(&record, "文件大小", "附件")?;
    let mut content = String::new();
    for _ in 0..lines_announced {
        let Some(line) = lines.get(*n) else {
            return Err(malformed(format!(
                "附件“{file_name}”声明{lines_announced}条附件内容记录，报文提前结束"
            )));
        };
        *n += 1;
        let part = records::parse(line, *n, &CONTENT).map_err(Failure::Malformed)?;
        content.push_str(value(&part, "内容"));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(content.as_bytes())
        .map_err(|e| malformed(format!("附件“{file_name}”的内容不是有效的Base64：{e}")))?;
    if bytes.len() != size {
        return Err(malformed(format!(
            "附件“{file_name}”声明文件大小{size}字节，实际为{}字节",
            bytes.len()
        )));
    }
    let info = AttachmentInfo {
        material: value(&record, "材料编码").to_owned(),
        file_name,
        media_type: value(&record, "媒体类型").to_owned(),
        size,
    };
    Ok((info, bytes))
}

/// Reads `announced` `07` 说明 records from record `*n` on into one text; their
/// 续行标志 work as in `02` (1: goes on, 2: goes on after a line break, 0: last).
fn read_note(lines: &[&[u8]], n: &mut usize, announced: usize) -> Result<String, Failure> {
    let mut note = String::new();
    for k in 0..announced {
        let Some(line) = lines.get(*n) else {
            return Err(malformed(format!(
                "声明{announced}条说明记录，报文只有{k}条"
            )));
        };
        *n += 1;
        let record = records::parse(line, *n, &NOTE).map_err(Failure::Malformed)?;
        note.push_str(value(&record, "说明内容"));
        let last = k + 1 == announced;
        match (value(&record, "续行标志"), last) {
            ("0", true) | ("1", false) => {}
            ("2", false) => note.push('\n'),
            ("0", false) => {
                return Err(malformed(format!(
                    "第{n}条记录的续行标志为0（说明结束），但说明行数声明还有{}条",
                    announced - k - 1
                )));
            }
            ("1" | "2", true) => {
                return Err(malformed(format!(
                    "第{n}条记录是最后一条说明，续行标志应为0"
                )));
            }
            (other, _) => {
                return Err(malformed(format!(
                    "第{n}条记录的续行标志应为0、1或2，实际为“{other}”"
                )));
            }
        }
    }
    Ok(note)
}

/// The case a `2003` or `2004` names: (平台办件编号, 业务流水号), at least one given.
fn case_key(record: &Record<'_>, what: &str) -> Result<(String, String), Failure> {
    let case_no = value(record, "平台办件编号").to_owned();
    let reference = value(record, "业务流水号").to_owned();
    if case_no.is_empty() && reference.is_empty() {
        return Err(malformed(format!("{what}须填写平台办件编号或业务流水号")));
    }
    Ok((case_no, reference))
}

/// Reads a `2003` request: `06`, its `07` 说明, its `03` files (each with its `04`).
pub fn parse_supplement(body: &[u8]) -> Result<SupplementRequest, Failure> {
    let lines = records::split(body).map_err(Failure::Malformed)?;
    let main = records::parse(lines[0], 1, &SUPPLEMENT).map_err(Failure::Malformed)?;
    let what = "补正主记录";
    let (case_no, reference) = case_key(&main, what)?;
    let announced = count(&main, "附件数", what)?;
    let note_lines = count(&main, "说明行数", what)?;
    let mut n = 1;
    let note = read_note(&lines, &mut n, note_lines)?;
    let mut files = Vec::new();
    while n < lines.len() {
        let line = lines[n];
        n += 1;
        if records::type_of(line) != b"03" {
            return Err(malformed(format!(
                "第{n}条记录的记录类型“{}”不属于补正报文（说明之后应为03附件及其04）",
                String::from_utf8_lossy(records::type_of(line))
            )));
        }
        let (info, bytes) = read_attachment(&lines, &mut n)?;
        files.push(SuppliedFile {
            material: info.material,
            file_name: info.file_name,
            media_type: info.media_type,
            size: info.size,
            sha256: hex::encode(Sha256::digest(&bytes)),
        });
    }
    if files.len() != announced {
        return Err(malformed(format!(
            "补正主记录声明附件{announced}个，实际为{}个",
            files.len()
        )));
    }
    if files.is_empty() {
        return Err(malformed("补正须至少提交一个附件"));
    }
    Ok(SupplementRequest {
        case_no,
        reference,
        note,
        files,
    })
}

/// Reads a `2004` request: `08` and its `07` 撤回原因.
pub fn parse_withdrawal(body: &[u8]) -> Result<WithdrawalRequest, Failure> {
    let lines = records::split(body).map_err(Failure::Malformed)?;
    let main = records::parse(lines[0], 1, &WITHDRAWAL).map_err(Failure::Malformed)?;
    let what = "撤回主记录";
    let (case_no, reference) = case_key(&main, what)?;
    let note_lines = count(&main, "说明行数", what)?;
    let mut n = 1;
    let reason = read_note(&lines, &mut n, note_lines)?;
    if n < lines.len() {
        return Err(malformed(format!(
            "撤回报文应为一条08记录和{note_lines}条07说明记录，实际有{}条记录",
            lines.len()
        )));
    }
    Ok(WithdrawalRequest {
        case_no,
        reference,
        reason,
    })
}

/// Reads a `2001` request into a checked submission.
pub fn parse_submission(body: &[u8]) -> Result<Submission, Failure> {
    let lines = records::split(body).map_err(Failure::Malformed)?;
    let main = records::parse(lines[0], 1, &SUBMISSION).map_err(Failure::Malformed)?;
    let what = "申报主记录";
    let case_no = required(&main, "平台办件编号", what)?.to_owned();
    let matter_code = required(&main, "事项编码", what)?.to_owned();
    let kind = required(&main, "申请人类型", what)?;
    let id = required(&main, "申请人证件号码", what)?.to_owned();
    let name = required(&main, "申请人名称", what)?.to_owned();
    let accepted_at = required(&main, "受理时间", what)?.to_owned();
    match kind {
        "1" => id_number::validate(&id)
            .map_err(|e| malformed(format!("申请人证件号码“{id}”不是有效的公民身份号码：{e}")))?,
        "2" => credit_code::validate(&id).map_err(|e| {
            malformed(format!(
                "申请人证件号码“{id}”不是有效的统一社会信用代码：{e}"
            ))
        })?,
        other => {
            return Err(malformed(format!(
                "申请人类型应为1（自然人）或2（法人或其他组织），实际为“{other}”"
            )));
        }
    }
    if accepted_at.len() != 14 || onewindow_codes::date::parse_datetime(&accepted_at).is_err() {
        return Err(malformed(format!(
            "受理时间应为yyyyMMddHHmmss，实际为“{accepted_at}”"
        )));
    }
    let announced = (
        count(&main, "表单记录数", what)?,
        count(&main, "附件数", what)?,
        count(&main, "证照数", what)?,
    );

    let mut form: Vec<FormField> = Vec::new();
    let mut continuing = false;
    let mut form_records = 0;
    let mut attachments = Vec::new();
    let mut licenses = Vec::new();
    let mut n = 1;
    while n < lines.len() {
        let line = lines[n];
        n += 1;
        match records::type_of(line) {
            b"02" => {
                let record = records::parse(line, n, &FORM).map_err(Failure::Malformed)?;
                form_records += 1;
                let field = required(&record, "字段名", "表单项")?;
                let part = value(&record, "字段值");
                match form.last_mut() {
                    Some(last) if continuing => {
                        if last.name != field {
                            return Err(malformed(format!(
                                "第{n}条记录应续接字段“{}”，实际为“{field}”",
                                last.name
                            )));
                        }
                        last.value.push_str(part);
                    }
                    _ => form.push(FormField {
                        name: field.to_owned(),
                        value: part.to_owned(),
                    }),
                }
                continuing = match value(&record, "续行标志") {
                    "0" => false,
                    "1" => true,
                    "2" => {
                        if let Some(last) = form.last_mut() {
                            last.value.push('\n');
                        }
                        true
                    }
                    other => {
                        return Err(malformed(format!(
                            "第{n}条记录的续行标志应为0、1或2，实际为“{other}”"
                        )));
                    }
                };
            }
            b"03" => {
                let (info, _) = read_attachment(&lines, &mut n)?;
                attachments.push(info);
            }
            b"05" => {
                let record = records::parse(line, n, &REUSED).map_err(Failure::Malformed)?;
                let get = |field: &str| value(&record, field).to_owned();
                licenses.push(ReusedLicense {
                    material: required(&record, "材料编码", "随件证照")?.to_owned(),
                    type_code: get("证照类型代码"),
                    type_name: required(&record, "证照类型名称", "随件证照")?.to_owned(),
                    number: required(&record, "证照编号", "随件证照")?.to_owned(),
                    holder_kind: get("持证主体类型"),
                    holder_id: get("持证主体证件号码"),
                    holder_name: get("持证主体名称"),
                    issuer: get("发证机关"),
                    issued_on: get("签发日期"),
                    valid_until: get("有效期至"),
                    status: get("证照状态"),
                    legal_representative: get("法定代表人"),
                });
            }
            other => {
                return Err(malformed(format!(
                    "第{n}条记录的记录类型“{}”不属于申报报文（应为02、03、04或05）",
                    String::from_utf8_lossy(other)
                )));
            }
        }
    }
    if continuing {
        return Err(malformed(
            "最后一条表单项记录的续行标志表示还有续行，报文不完整",
        ));
    }
    let found = (form_records, attachments.len(), licenses.len());
    if found != announced {
        return Err(malformed(format!(
            "申报主记录声明表单记录{}条、附件{}个、证照{}个，实际为{}条、{}个、{}个",
            announced.0, announced.1, announced.2, found.0, found.1, found.2
        )));
    }

    let simulated = form
        .iter()
        .find(|f| f.name == "模拟结果")
        .map(|f| f.value.as_str());
    let outcome = Outcome::from_form(simulated).ok_or_else(|| {
        malformed(format!(
            "表单字段“模拟结果”只能是不予办理或补正，实际为“{}”",
            simulated.unwrap_or_default()
        ))
    })?;
    // An unknown 事项编码 is checked last so that a malformed request says what is malformed.
    let matter = catalogue::find(&matter_code)
        .ok_or_else(|| Failure::NotFound(format!("事项编码{matter_code}不存在")))?;
    Ok(Submission {
        case_no,
        matter,
        applicant: ApplicantInfo {
            kind: kind.to_owned(),
            id,
            name,
        },
        accepted_at,
        form,
        attachments,
        licenses,
        outcome,
    })
}

fn submit(body: &[u8], state: &Mutex<State>) -> Result<Reply, Failure> {
    let submission = parse_submission(body)?;
    let case_no = submission.case_no.clone();
    let accepted = lock(state)
        .submit(submission, Instant::now())
        .map_err(Failure::Refused)?;
    let message = if accepted.duplicate {
        tracing::info!(%case_no, reference = %accepted.reference, "duplicate submission");
        "重复申报，返回原业务流水号"
    } else {
        tracing::info!(%case_no, reference = %accepted.reference, "case stored");
        "申报成功"
    };
    let receipt = Out::new(&RECEIPT)
        .set("平台办件编号", case_no)
        .set("业务流水号", accepted.reference)
        .set("重复标志", if accepted.duplicate { "1" } else { "0" });
    Ok(Reply {
        message: message.to_owned(),
        ..Reply::ok(vec![receipt])
    })
}

fn changes(
    query: &HashMap<String, String>,
    state: &Mutex<State>,
    fault: Fault,
) -> Result<Reply, Failure> {
    let number = |name: &str, what: &str| -> Result<Option<u64>, Failure> {
        query
            .get(name)
            .map(|text| {
                text.parse::<u64>().map_err(|_| {
                    malformed(format!("参数{name}（{what}）应为非负整数，实际为“{text}”"))
                })
            })
            .transpose()
    };
    let after = number("qsxh", "起始序号")?.ok_or_else(|| malformed("缺少参数qsxh（起始序号）"))?;
    let limit = match number("myts", "每页条数")? {
        None => 50,
        Some(n @ 1..=MAX_PAGE) => n,
        Some(n) => {
            return Err(malformed(format!(
                "参数myts（每页条数）应在1到{MAX_PAGE}之间，实际为{n}"
            )));
        }
    };
    let state = lock(state);
    let (page, more) = state.changes(after, limit as usize);
    let last = page.last().map_or(after, |c| c.xh);
    // The endless-pages fault: always more, never past where the reader stands.
    let (last, more) = if fault == Fault::EndlessPages {
        (after, true)
    } else {
        (last, more)
    };
    let mut out = vec![
        Out::new(&PAGE)
            .set("起始序号", format!("{after:012}"))
            .set("最大序号", format!("{last:012}"))
            .set("后页标志", if more { "1" } else { "0" }),
    ];
    for change in page {
        out.push(
            Out::new(&CHANGE)
                .set("序号", format!("{:012}", change.xh))
                .set("平台办件编号", &change.case_no)
                .set("业务流水号", &change.reference)
                .set("状态代码", change.code)
                .set("办理时间", &change.at)
                .set("办理意见", &change.note),
        );
        out.extend(change.license.clone());
    }
    Ok(Reply::ok(out))
}

fn supplement(body: &[u8], state: &Mutex<State>) -> Result<Reply, Failure> {
    let request = parse_supplement(body)?;
    let files = request.files.len();
    let handled = lock(state).supplement(request, Instant::now())?;
    let message = if handled.repeat {
        "补正材料已接收，重复提交不再处理"
    } else {
        "补正材料已接收，继续审核"
    };
    let receipt = receipt(&SUPPLEMENT_RECEIPT, &handled).set("附件数", format!("{files:03}"));
    Ok(Reply {
        message: message.to_owned(),
        ..Reply::ok(vec![receipt])
    })
}

fn withdraw(body: &[u8], state: &Mutex<State>) -> Result<Reply, Failure> {
    let request = parse_withdrawal(body)?;
    let handled = lock(state).withdraw(request)?;
    let message = if handled.repeat {
        "办件已撤回"
    } else {
        "撤回成功，办件终止办理"
    };
    let receipt = receipt(&WITHDRAWAL_RECEIPT, &handled).set("撤回时间", &handled.at);
    Ok(Reply {
        message: message.to_owned(),
        ..Reply::ok(vec![receipt])
    })
}

fn receipt(kind: &'static records::Kind, handled: &Handled) -> Out {
    Out::new(kind)
        .set("平台办件编号", &handled.case_no)
        .set("业务流水号", &handled.reference)
        .set("重复标志", if handled.repeat { "1" } else { "0" })
}

fn licenses_of(body: &[u8], state: &Mutex<State>) -> Result<Reply, Failure> {
    let record = single(body, &HOLDER_QUERY)?;
    let id = required(&record, "证件号码", "证照查询条件")?;
    id_number::validate(id)
        .map_err(|e| malformed(format!("证件号码“{id}”不是有效的公民身份号码：{e}")))?;
    let state = lock(state);
    let name = value(&record, "姓名");
    if let Some(resident) = state.resident(id)
        && !name.is_empty()
        && resident.name != name
    {
        return Err(Failure::Refused("姓名与公民身份号码不一致".to_owned()));
    }
    Ok(Reply::ok(state.licenses_of(id)))
}

fn verify(body: &[u8], state: &Mutex<State>) -> Result<Reply, Failure> {
    let record = single(body, &VERIFY_QUERY)?;
    let type_code = required(&record, "证照类型代码", "证照核验条件")?;
    let number = required(&record, "证照编号", "证照核验条件")?;
    Ok(Reply::ok(
        lock(state).verify(type_code, number).into_iter().collect(),
    ))
}
