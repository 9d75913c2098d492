//! The operations (交易类型): reading their request fields and writing their answers.

use std::sync::Mutex;

use base64::Engine as _;
use sha2::Digest as _;
use tokio::time::Instant;

use super::catalogue::{self, MATTERS};
use super::protocol::{Reply, Request};
use super::register::RECORD_TYPE;
use super::state::{
    Applicant, Attachment, Denied, Done, FormField, Outcome, Refusal, ReusedLicense, State,
    Submission, format_time,
};
use crate::common::china_now;

/// The operations this service knows.
pub const OPERATIONS: &[&str] = &["SXQD", "BJSB", "BJBZ", "BJCH", "BJZT", "FPCX", "FPYZ"];

/// The most matters one `SXQD` page may hold.
pub const MAX_CATALOGUE_PAGE: u64 = 50;
/// The most changes one `BJZT` page may hold.
pub const MAX_EVENTS_PAGE: u64 = 100;

/// Why an operation did not succeed, with its fhdm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// 1001: a required field is missing.
    Missing(String),
    /// 1002: a field is malformed.
    Malformed(String),
    /// 1003: unknown jylx.
    UnknownOperation(String),
    /// 2001: 事项, 纳税人 or 证照 not found.
    NotFound(String),
    /// 3001: the taxpayer's status forbids it.
    Status(String),
    /// 3002: the matter is not for this applicant.
    Applicant(String),
    /// 3003: the case's status does not allow it (补正, 撤回).
    CaseStatus(String),
}

impl Failure {
    fn code(&self) -> &'static str {
        match self {
            Self::Missing(_) => "1001",
            Self::Malformed(_) => "1002",
            Self::UnknownOperation(_) => "1003",
            Self::NotFound(_) => "2001",
            Self::Status(_) => "3001",
            Self::Applicant(_) => "3002",
            Self::CaseStatus(_) => "3003",
        }
    }

    fn message(&self) -> &str {
        match self {
            Self::Missing(m)
            | Self::Malformed(m)
            | Self::UnknownOperation(m)
            | Self::NotFound(m)
            | Self::Status(m)
            | Self::Applicant(m)
            | Self::CaseStatus(m) => m,
        }
    }
}

/// The answer for a failure.
pub fn failure(jylx: &str, failure: &Failure) -> Reply {
    Reply::new(jylx, failure.code(), failure.message())
}

/// Runs one operation and returns its answer (successful or not).
pub fn dispatch(request: &Request, state: &Mutex<State>) -> Reply {
    let jylx = request.get("jylx").unwrap_or_default();
    let result = required(request, "jylx", "交易类型")
        .and_then(|_| required(request, "qdbs", "渠道标识"))
        .and_then(|_| match jylx {
            "SXQD" => catalogue_page(request),
            "BJSB" => submit(request, state),
            "BJBZ" => supplement(request, state),
            "BJCH" => withdraw(request, state),
            "BJZT" => status_changes(request, state),
            "FPCX" => records_of_taxpayer(request, state),
            "FPYZ" => verify_record(request, state),
            other => Err(Failure::UnknownOperation(format!(
                "不支持的交易类型：{other}（支持{}）",
                OPERATIONS.join("、")
            ))),
        });
    result.unwrap_or_else(|f| failure(jylx, &f))
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    // A panic elsewhere must not take the whole mock down with it.
    state.lock().unwrap_or_else(|e| e.into_inner())
}

fn required<'a>(request: &'a Request, name: &str, what: &str) -> Result<&'a str, Failure> {
    request
        .get(name)
        .ok_or_else(|| Failure::Missing(format!("缺少{name}（{what}）")))
}

/// A whole number in `range`, `default` when the field is absent.
fn number(
    request: &Request,
    name: &str,
    what: &str,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, Failure> {
    let Some(text) = request.get(name) else {
        return Ok(default);
    };
    match text.parse::<u64>() {
        Ok(n) if range.contains(&n) && text.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(Failure::Malformed(format!(
            "{name}（{what}）应为{}到{}之间的整数，实际为“{text}”",
            range.start(),
            range.end()
        ))),
    }
}

/// `{list}.ts`, the number of entries of a list in the request (0 when absent).
fn count(request: &Request, list: &str, what: &str) -> Result<usize, Failure> {
    let n = number(
        request,
        &format!("{list}.ts"),
        &format!("{what}条数"),
        0,
        0..=1000,
    )?;
    Ok(n as usize)
}

fn catalogue_page(request: &Request) -> Result<Reply, Failure> {
    let total = MATTERS.len() as u64;
    let yb = number(request, "yb", "游标", 0, 0..=u64::from(u32::MAX))?;
    let mys = number(request, "mys", "每页数", 20, 1..=MAX_CATALOGUE_PAGE)?;
    let start = yb.min(total) as usize;
    let page = &MATTERS[start..(start + mys as usize).min(MATTERS.len())];
    let next = (start + page.len()) as u64;
    let mut reply = Reply::new("SXQD", "0", "成功");
    reply.page_of(yb).line("sx.ts", page.len().to_string());
    for (i, matter) in page.iter().enumerate() {
        matter.write(&mut reply, i + 1);
    }
    reply
        .line("xyb", next.max(yb).to_string())
        .line("sfyhy", if next < total { "Y" } else { "N" });
    Ok(reply)
}

fn parse_submission(request: &Request) -> Result<Submission, Failure> {
    let ptbjbh = required(request, "ptbjbh", "平台办件编号")?.to_owned();
    let sxbm = required(request, "sxbm", "事项编码")?;
    let sqrlx = required(request, "sqrlx", "申请人类型")?;
    if sqrlx != "1" && sqrlx != "2" {
        return Err(Failure::Malformed(format!(
            "sqrlx（申请人类型）应为1（自然人）或2（单位），实际为“{sqrlx}”"
        )));
    }
    let sqrzjhm = required(request, "sqrzjhm", "申请人证件号码")?.to_owned();
    let sqrmc = required(request, "sqrmc", "申请人名称")?.to_owned();
    if sqrlx == "2" {
        onewindow_codes::credit_code::validate(&sqrzjhm).map_err(|err| {
            Failure::Malformed(format!(
                "申请人为单位时sqrzjhm应为纳税人识别号（统一社会信用代码），“{sqrzjhm}”无效：{err}"
            ))
        })?;
    } else {
        onewindow_codes::id_number::validate(&sqrzjhm).map_err(|err| {
            Failure::Malformed(format!(
                "申请人为自然人时sqrzjhm应为居民身份证号码，“{sqrzjhm}”无效：{err}"
            ))
        })?;
    }
    let slsj = match request.get("slsj") {
        Some(text) => onewindow_codes::date::parse_datetime(text).map_err(|err| {
            Failure::Malformed(format!(
                "slsj（受理时间）应为“yyyy-MM-dd HH:mm:ss”格式：{err}"
            ))
        })?,
        None => china_now(),
    };

    let mut form = Vec::new();
    for n in 1..=count(request, "bd", "表单字段")? {
        let mc = required(request, &format!("bd.{n}.mc"), "字段名称")?;
        form.push(FormField {
            mc: mc.to_owned(),
            z: request
                .raw(&format!("bd.{n}.z"))
                .unwrap_or_default()
                .trim()
                .to_owned(),
        });
    }

    let attachments = parse_attachments(request)?;

    let mut licenses = Vec::new();
    for n in 1..=count(request, "zz", "证照")? {
        let field = |name: &str, what: &str| {
            required(request, &format!("zz.{n}.{name}"), what).map(str::to_owned)
        };
        let optional = |name: &str| request.get(&format!("zz.{n}.{name}")).map(str::to_owned);
        licenses.push(ReusedLicense {
            clbm: field("clbm", "材料编码")?,
            zzlxdm: optional("zzlxdm").unwrap_or_default(),
            zzlxmc: field("zzlxmc", "证照类型名称")?,
            zzbh: field("zzbh", "证照编号")?,
            nsrsbh: field("nsrsbh", "持证主体纳税人识别号")?,
            nsrmc: field("nsrmc", "持证主体名称")?,
            fddbr: optional("fddbr"),
            fzjg: field("fzjg", "发证机关")?,
            fzrq: optional("fzrq").unwrap_or_default(),
            yxqz: optional("yxqz").unwrap_or_else(|| "长期".to_owned()),
            zt: optional("zt").unwrap_or_else(|| "1".to_owned()),
        });
    }

    let simulated = form
        .iter()
        .find(|f| f.mc == "模拟结果")
        .map(|f| f.z.as_str());
    let outcome = Outcome::from_form(simulated).ok_or_else(|| {
        Failure::Malformed(format!(
            "表单字段“模拟结果”只能是不予核准、不予许可或补正，实际为“{}”",
            simulated.unwrap_or_default()
        ))
    })?;

    // An unknown sxbm is checked last so that a malformed request says what is malformed.
    let matter =
        catalogue::find(sxbm).ok_or_else(|| Failure::NotFound(format!("事项编码{sxbm}不存在")))?;

    Ok(Submission {
        ptbjbh,
        matter,
        applicant: Applicant {
            sqrlx: sqrlx.to_owned(),
            sqrzjhm,
            sqrmc,
        },
        slsj: format_time(slsj),
        form,
        attachments,
        licenses,
        outcome,
    })
}

/// The files `fj.{n}` (`clbm`, `wjm`, `lx`, base64 `nr`), decoded to be measured
/// and fingerprinted.
fn parse_attachments(request: &Request) -> Result<Vec<Attachment>, Failure> {
    let mut attachments = Vec::new();
    for n in 1..=count(request, "fj", "附件")? {
        let clbm = required(request, &format!("fj.{n}.clbm"), "材料编码")?.to_owned();
        let content = request.get(&format!("fj.{n}.nr")).unwrap_or_default();
        let content: String = content.chars().filter(|c| !c.is_whitespace()).collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(content.as_bytes())
            .map_err(|err| {
                Failure::Malformed(format!("fj.{n}.nr（附件内容）不是有效的Base64编码：{err}"))
            })?;
        attachments.push(Attachment {
            clbm,
            wjm: request
                .get(&format!("fj.{n}.wjm"))
                .unwrap_or_default()
                .to_owned(),
            lx: request
                .get(&format!("fj.{n}.lx"))
                .unwrap_or_default()
                .to_owned(),
            size: bytes.len(),
            sha256: hex::encode(sha2::Sha256::digest(&bytes)),
        });
    }
    Ok(attachments)
}

fn denied(denied: Denied) -> Failure {
    match denied {
        Denied::Malformed(m) => Failure::Malformed(m),
        Denied::NotFound(m) => Failure::NotFound(m),
        Denied::CaseStatus(m) => Failure::CaseStatus(m),
    }
}

/// `BJBZ` (办件补正): the 补正资料 of a case waiting at 20 待补正.
fn supplement(request: &Request, state: &Mutex<State>) -> Result<Reply, Failure> {
    let ptbjbh = request.get("ptbjbh");
    let ywlsh = request.get("ywlsh");
    if ptbjbh.is_none() && ywlsh.is_none() {
        return Err(Failure::Missing(
            "缺少ptbjbh（平台办件编号）或ywlsh（业务流水号）".to_owned(),
        ));
    }
    let bzsm = request.get("bzsm").unwrap_or_default();
    let fj = parse_attachments(request)?;
    if fj.is_empty() {
        return Err(Failure::Missing(
            "缺少fj（补正资料）：补正须至少提交一份资料（fj.ts应不小于1）".to_owned(),
        ));
    }
    let count = fj.len();
    let done = lock(state)
        .supplement(ptbjbh, ywlsh, bzsm, fj, Instant::now())
        .map_err(denied)?;
    let message = match done {
        Done::Now => format!("补正资料{count}份已接收，继续审核"),
        Done::Already => "该补正资料此前已接收，未重复处理".to_owned(),
    };
    Ok(Reply::new("BJBZ", "0", &message))
}

/// `BJCH` (办件撤回): withdraws a case not yet decided.
fn withdraw(request: &Request, state: &Mutex<State>) -> Result<Reply, Failure> {
    let ptbjbh = request.get("ptbjbh");
    let ywlsh = request.get("ywlsh");
    if ptbjbh.is_none() && ywlsh.is_none() {
        return Err(Failure::Missing(
            "缺少ptbjbh（平台办件编号）或ywlsh（业务流水号）".to_owned(),
        ));
    }
    let chyy = required(request, "chyy", "撤回原因")?;
    let done = lock(state).withdraw(ptbjbh, ywlsh, chyy).map_err(denied)?;
    let message = match done {
        Done::Now => "撤回成功，办件终止办理",
        Done::Already => "办件此前已撤回",
    };
    Ok(Reply::new("BJCH", "0", message))
}

fn submit(request: &Request, state: &Mutex<State>) -> Result<Reply, Failure> {
    let submission = parse_submission(request)?;
    let ptbjbh = submission.ptbjbh.clone();
    let accepted =
        lock(state)
            .submit(submission, Instant::now())
            .map_err(|refusal| match refusal {
                Refusal::NotRegistered(m) => Failure::NotFound(m),
                Refusal::Status(m) => Failure::Status(m),
                Refusal::Applicant(m) => Failure::Applicant(m),
            })?;
    let message = if accepted.duplicate {
        tracing::info!(%ptbjbh, ywlsh = %accepted.ywlsh, "duplicate submission");
        "重复申报，返回原业务流水号"
    } else {
        tracing::info!(%ptbjbh, ywlsh = %accepted.ywlsh, "case stored");
        "申报成功"
    };
    let mut reply = Reply::new("BJSB", "0", message);
    reply.line("ywlsh", accepted.ywlsh);
    Ok(reply)
}

fn status_changes(request: &Request, state: &Mutex<State>) -> Result<Reply, Failure> {
    let yb = number(request, "yb", "游标", 0, 0..=u64::MAX)?;
    let mys = number(request, "mys", "每页数", 50, 1..=MAX_EVENTS_PAGE)?;
    let state = lock(state);
    let (page, more) = state.changes(yb, mys as usize);
    let mut reply = Reply::new("BJZT", "0", "成功");
    reply.page_of(yb).line("zt.ts", page.len().to_string());
    for (i, change) in page.iter().enumerate() {
        let p = format!("zt.{}", i + 1);
        reply
            .line(format!("{p}.xh"), change.xh.to_string())
            .line(format!("{p}.ptbjbh"), &change.ptbjbh)
            .line(format!("{p}.ywlsh"), &change.ywlsh)
            .line(format!("{p}.ztdm"), change.ztdm)
            .line(format!("{p}.blsj"), &change.blsj)
            .line(format!("{p}.blyj"), &change.blyj);
        if let Some(record) = &change.record {
            record.write(&mut reply, &format!("{p}.ly"));
        }
    }
    let last = page.last().map_or(yb, |c| c.xh);
    reply
        .line("xyb", last.to_string())
        .line("sfyhy", if more { "Y" } else { "N" });
    Ok(reply)
}

fn records_of_taxpayer(request: &Request, state: &Mutex<State>) -> Result<Reply, Failure> {
    let nsrsbh = required(request, "nsrsbh", "纳税人识别号")?.to_ascii_uppercase();
    let state = lock(state);
    if state.taxpayer(&nsrsbh).is_none() {
        return Err(Failure::NotFound(format!(
            "纳税人识别号{nsrsbh}未在本局办理税务登记"
        )));
    }
    let records: Vec<_> = state.records_of(&nsrsbh).collect();
    let mut reply = Reply::new("FPCX", "0", "成功");
    reply.line("ly.ts", records.len().to_string());
    for (i, record) in records.iter().enumerate() {
        record.write(&mut reply, &format!("ly.{}", i + 1));
    }
    Ok(reply)
}

fn verify_record(request: &Request, state: &Mutex<State>) -> Result<Reply, Failure> {
    let kind = required(request, "zzlxdm", "证照类型代码")?;
    let number = required(request, "zzbh", "证照编号")?.to_ascii_uppercase();
    if kind != RECORD_TYPE {
        return Err(Failure::NotFound(format!(
            "证照类型{kind}不是本局核发的证照（本局核发{RECORD_TYPE} 发票领用）"
        )));
    }
    let state = lock(state);
    let record = state
        .record(&number)
        .ok_or_else(|| Failure::NotFound(format!("发票领用编号{number}不存在")))?;
    let mut reply = Reply::new("FPYZ", "0", "成功");
    reply.line("ly.ts", "1");
    record.write(&mut reply, "ly.1");
    Ok(reply)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::tax::protocol::decode_request;

    fn state() -> Mutex<State> {
        Mutex::new(State::new(Duration::from_millis(10)))
    }

    fn request(body: &str) -> Request {
        decode_request(
            body.as_bytes(),
            Some("application/x-www-form-urlencoded; charset=UTF-8"),
        )
        .unwrap()
    }

    #[test]
    fn catalogue_pages() {
        let first = dispatch(&request("jylx=SXQD&qdbs=YWTB&yb=0&mys=4"), &state());
        assert_eq!(first.get("sx.ts"), Some("4"));
        assert_eq!(
            (first.get("xyb"), first.get("sfyhy")),
            (Some("4"), Some("Y"))
        );
        let rest = dispatch(&request("jylx=SXQD&qdbs=YWTB&yb=4&mys=50"), &state());
        assert_eq!(rest.get("sx.ts"), Some(&*(MATTERS.len() - 4).to_string()));
        assert_eq!(rest.get("sfyhy"), Some("N"));
    }

    #[test]
    fn malformed_requests_say_what_is_wrong() {
        let state = state();
        for (body, code, expected) in [
            ("qdbs=YWTB", "1001", "jylx"),
            ("jylx=SXQD", "1001", "qdbs"),
            ("jylx=HELLO&qdbs=YWTB", "1003", "HELLO"),
            ("jylx=SXQD&qdbs=YWTB&mys=51", "1002", "mys"),
            ("jylx=BJZT&qdbs=YWTB&yb=-1", "1002", "yb"),
            ("jylx=BJSB&qdbs=YWTB&sxbm=x", "1001", "ptbjbh"),
            ("jylx=FPCX&qdbs=YWTB", "1001", "nsrsbh"),
        ] {
            let answer = dispatch(&request(body), &state);
            assert_eq!(answer.get("fhdm"), Some(code), "{body}");
            assert!(answer.get("fhxx").unwrap().contains(expected), "{body}");
        }
    }
}
