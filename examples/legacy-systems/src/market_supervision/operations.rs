//! The operations: reading their request elements and building their answers.

use std::sync::Mutex;

use base64::Engine as _;
use onewindow_codes::date::datetime_to_chinese;
use sha2::Digest as _;
use tokio::time::Instant;

use super::catalogue::{self, MATTERS};
use super::registry::LicenseStatus;
use super::state::{
    Applicant, Attachment, Denied, Done, FormField, LicenseRef, Outcome, State, StatusChange,
    Submission,
};
use crate::common::cases::Numbered;
use crate::common::xml::Element;
use crate::common::{china_now, soap};

/// The namespace of the department's operations.
pub const NAMESPACE: &str = "http://djzc.scjgj.gov.cn/ws";

/// The operations this service knows.
pub const OPERATIONS: &[&str] = &[
    "CXSXQD", "BJSB", "BJBZ", "BJCH", "CXBJZT", "CXZZ", "YZZZ", "ZZZTBG",
];

/// Elements the `missing-element` fault may drop.
pub const DROPPABLE: &[&str] = &["SXMC", "YWLSH", "ZTDM", "ZZBH"];

/// The most changes one `CXBJZT` page may hold.
pub const MAX_PAGE: u32 = 100;

/// Why an operation did not succeed, with its FHDM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// 1001: the request is malformed.
    Malformed(String),
    /// 2001: 事项, 办件 or 证照 not found.
    NotFound(String),
    /// 3001: refused by business rules.
    Refused(String),
}

impl Failure {
    fn code(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "1001",
            Self::NotFound(_) => "2001",
            Self::Refused(_) => "3001",
        }
    }

    fn message(&self) -> &str {
        match self {
            Self::Malformed(m) | Self::NotFound(m) | Self::Refused(m) => m,
        }
    }
}

/// The `<XxxResponse>` element with its FHDM and FHXX.
pub fn answer(operation: &str, code: &str, message: &str) -> Element {
    Element::new(format!("{operation}Response"))
        .attr("xmlns", NAMESPACE)
        .field("FHDM", code)
        .field("FHXX", message)
}

/// The answer for a failure.
pub fn failure(operation: &str, failure: &Failure) -> Element {
    answer(operation, failure.code(), failure.message())
}

/// Runs one operation and returns its answer element (successful or not).
pub fn dispatch(request: &Element, state: &Mutex<State>) -> Element {
    let name = request.name.as_str();
    let result = match name {
        "CXSXQD" => Ok(catalogue_answer()),
        "BJSB" => submit(request, state),
        "BJBZ" => supplement(request, state),
        "BJCH" => withdraw(request, state),
        "CXBJZT" => status_changes(request, state),
        "CXZZ" => licenses_of_holder(request, state),
        "YZZZ" => verify_license(request, state),
        "ZZZTBG" => change_license(request, state),
        other => Err(Failure::Malformed(format!(
            "不支持的操作：{other}（支持{}）",
            OPERATIONS.join("、")
        ))),
    };
    result.unwrap_or_else(|f| failure(name, &f))
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    // A panic elsewhere must not take the whole mock down with it.
    state.lock().unwrap_or_else(|e| e.into_inner())
}

fn required<'a>(element: &'a Element, name: &str, what: &str) -> Result<&'a str, Failure> {
    element
        .text_of(name)
        .ok_or_else(|| Failure::Malformed(format!("缺少{name}（{what}）")))
}

fn catalogue_answer() -> Element {
    let mut list = Element::new("SXLB");
    for matter in MATTERS {
        list.push(matter.sx_element());
    }
    answer("CXSXQD", "0000", "成功").child(list)
}

fn parse_submission(request: &Element) -> Result<Submission, Failure> {
    let ptbjbh = required(request, "PTBJBH", "平台办件编号")?.to_owned();
    let sxbm = required(request, "SXBM", "事项编码")?;
    let sqr = request
        .find("SQR")
        .ok_or_else(|| Failure::Malformed("缺少SQR（申请人）".to_owned()))?;
    let kind = required(sqr, "SQRLX", "申请人类型")?;
    if kind != "1" && kind != "2" {
        return Err(Failure::Malformed(format!(
            "SQRLX（申请人类型）应为1（自然人）或2（法人或其他组织），实际为“{kind}”"
        )));
    }
    let id = required(sqr, "ZJHM", "申请人证件号码")?.to_owned();
    let name = required(sqr, "SQRMC", "申请人名称")?.to_owned();
    if kind == "2" {
        onewindow_codes::credit_code::validate(&id).map_err(|err| {
            Failure::Malformed(format!(
                "申请人为法人或其他组织时ZJHM应为统一社会信用代码，“{id}”无效：{err}"
            ))
        })?;
    }
    let accepted_at = match request.text_of("SLSJ") {
        Some(text) => onewindow_codes::date::parse_datetime(text).map_err(|err| {
            Failure::Malformed(format!(
                "SLSJ（受理时间）应为“yyyy年MM月dd日 HH时mm分ss秒”格式：{err}"
            ))
        })?,
        None => china_now(),
    };
    let accepted_at = datetime_to_chinese(accepted_at);

    let mut form = Vec::new();
    for zd in request
        .find("BDXX")
        .into_iter()
        .flat_map(|b| b.find_all("ZD"))
    {
        let name = zd
            .get_attr("MC")
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| Failure::Malformed("BDXX中的ZD缺少MC属性（字段名称）".to_owned()))?;
        form.push(FormField {
            name: name.to_owned(),
            value: zd.text.trim().to_owned(),
        });
    }

    let attachments = parse_attachments(request)?;

    let licenses = request
        .find("ZZXX")
        .into_iter()
        .flat_map(|z| z.find_all("ZZ"))
        .map(|zz| LicenseRef {
            material: zz.get_attr("CLBM").unwrap_or_default().to_owned(),
            kind: zz.get_attr("ZZLX").unwrap_or_default().to_owned(),
            number: zz.get_attr("ZZBH").unwrap_or_default().to_owned(),
            holder: zz.get_attr("CYZ").unwrap_or_default().to_owned(),
        })
        .collect();

    let simulated = form
        .iter()
        .find(|f| f.name == "模拟结果")
        .map(|f| f.value.as_str());
    let outcome = Outcome::from_form(simulated).ok_or_else(|| {
        Failure::Malformed(format!(
            "表单字段“模拟结果”只能是不予许可、补正或听证，实际为“{}”",
            simulated.unwrap_or_default()
        ))
    })?;

    // Unknown SXBM is checked last so that a malformed request says what is malformed.
    let matter =
        catalogue::find(sxbm).ok_or_else(|| Failure::NotFound(format!("事项编码{sxbm}不存在")))?;

    Ok(Submission {
        ptbjbh,
        matter,
        applicant: Applicant {
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

/// The files of `<FJXX>`: each `<FJ CLBM WJM LX>` with its base64 content, decoded
/// to be measured and fingerprinted.
fn parse_attachments(request: &Element) -> Result<Vec<Attachment>, Failure> {
    let mut attachments = Vec::new();
    for fj in request
        .find("FJXX")
        .into_iter()
        .flat_map(|f| f.find_all("FJ"))
    {
        let material = fj.get_attr("CLBM").unwrap_or_default().to_owned();
        // Base64 in XML is often wrapped over several lines.
        let content: String = fj.text.chars().filter(|c| !c.is_whitespace()).collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(content.as_bytes())
            .map_err(|err| {
                Failure::Malformed(format!(
                    "附件（CLBM={material}）内容不是有效的Base64编码：{err}"
                ))
            })?;
        attachments.push(Attachment {
            material,
            file_name: fj.get_attr("WJM").unwrap_or_default().to_owned(),
            mime_type: fj.get_attr("LX").unwrap_or_default().to_owned(),
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
        Denied::Refused(m) => Failure::Refused(m),
    }
}

/// `BJBZ` (办件补正): the supplementary materials of a case waiting at 03 需补正.
fn supplement(request: &Element, state: &Mutex<State>) -> Result<Element, Failure> {
    let ptbjbh = request.text_of("PTBJBH");
    let ywlsh = request.text_of("YWLSH");
    let note = request.text_of("BZSM").unwrap_or_default();
    let attachments = parse_attachments(request)?;
    if let Some(nameless) = attachments
        .iter()
        .find(|a| a.material.trim().is_empty() || a.file_name.trim().is_empty())
    {
        return Err(Failure::Malformed(format!(
            "补正材料的FJ缺少CLBM（材料编码）或WJM（文件名）属性（CLBM=“{}”，WJM=“{}”）",
            nameless.material, nameless.file_name
        )));
    }
    if attachments.is_empty() {
        return Err(Failure::Malformed(
            "补正须至少提交一份材料：FJXX中没有FJ".to_owned(),
        ));
    }
    let count = attachments.len();
    let done = lock(state)
        .supplement(ptbjbh, ywlsh, note, attachments, Instant::now())
        .map_err(denied)?;
    Ok(answer(
        "BJBZ",
        "0000",
        &match done {
            Done::Now => format!("补正材料{count}份已接收，办件继续审查"),
            Done::Already => "该补正材料此前已接收，未重复处理".to_owned(),
        },
    ))
}

/// `BJCH` (办件撤回): withdraws a case the department has not decided.
fn withdraw(request: &Element, state: &Mutex<State>) -> Result<Element, Failure> {
    let ptbjbh = request.text_of("PTBJBH");
    let ywlsh = request.text_of("YWLSH");
    let reason = required(request, "CHYY", "撤回原因")?;
    let done = lock(state)
        .withdraw(ptbjbh, ywlsh, reason)
        .map_err(denied)?;
    Ok(answer(
        "BJCH",
        "0000",
        match done {
            Done::Now => "撤回成功，办件终止办理",
            Done::Already => "办件此前已撤回",
        },
    ))
}

/// `ZZZTBG` (证照状态变更): the 执法 and 登记 modules 吊销 (2) or 注销 (3) a
/// 营业执照; the change is logged for `CXBJZT`.
fn change_license(request: &Element, state: &Mutex<State>) -> Result<Element, Failure> {
    let number = required(request, "ZZBH", "证照编号")?.to_ascii_uppercase();
    let status = match required(request, "ZZZT", "证照状态")? {
        "2" => LicenseStatus::Revoked,
        "3" => LicenseStatus::Deregistered,
        other => {
            return Err(Failure::Malformed(format!(
                "ZZZT（证照状态）只能变更为2（吊销）或3（注销），实际为“{other}”"
            )));
        }
    };
    let reason = required(request, "BGYY", "变更原因")?;
    let done = lock(state)
        .change_license(&number, status, reason)
        .map_err(denied)?;
    Ok(answer(
        "ZZZTBG",
        "0000",
        match done {
            Done::Now => "证照状态已变更",
            Done::Already => "证照状态未变化",
        },
    ))
}

fn submit(request: &Element, state: &Mutex<State>) -> Result<Element, Failure> {
    let submission = parse_submission(request)?;
    let ptbjbh = submission.ptbjbh.clone();
    let accepted = lock(state)
        .submit(submission, Instant::now())
        .map_err(Failure::Refused)?;
    let message = if accepted.duplicate {
        tracing::info!(%ptbjbh, ywlsh = %accepted.ywlsh, "duplicate submission");
        "重复申报，返回原业务流水号"
    } else {
        tracing::info!(%ptbjbh, ywlsh = %accepted.ywlsh, "case stored");
        "申报成功"
    };
    Ok(answer("BJSB", "0000", message).field("YWLSH", accepted.ywlsh))
}

fn status_changes(request: &Element, state: &Mutex<State>) -> Result<Element, Failure> {
    let after_text = required(request, "QSXH", "起始序号")?;
    let after: u64 = after_text.parse().map_err(|_| {
        Failure::Malformed(format!(
            "QSXH（起始序号）应为非负整数，实际为“{after_text}”"
        ))
    })?;
    let limit = match request.text_of("MYTS") {
        None => 50,
        Some(text) => match text.parse::<u32>() {
            Ok(n) if (1..=MAX_PAGE).contains(&n) => n,
            _ => {
                return Err(Failure::Malformed(format!(
                    "MYTS（每页条数）应为1到{MAX_PAGE}之间的整数，实际为“{text}”"
                )));
            }
        },
    };
    let state = lock(state);
    let (page, more) = state.changes(after, limit as usize);
    let list = status_list(page);
    let last = page.last().map_or(after, Numbered::number);
    Ok(answer("CXBJZT", "0000", "成功")
        .child(list)
        .field("ZDXH", last.to_string())
        .field("SFYHY", if more { "1" } else { "0" }))
}

/// The `<ZTLB>` of `changes`, as `CXBJZT` answers and `BJZTTZ` pushes them: a
/// `<ZT>` for a case's change, a `<ZZBG>` for a license's.
fn status_list(changes: &[StatusChange]) -> Element {
    let mut list = Element::new("ZTLB");
    for change in changes {
        list.push(match change {
            StatusChange::Case(change) => {
                let mut zt = Element::new("ZT")
                    .field("XH", change.xh.to_string())
                    .field("PTBJBH", &change.ptbjbh)
                    .field("YWLSH", &change.ywlsh)
                    .field("ZTDM", change.ztdm)
                    .field("BLSJ", &change.blsj)
                    .field("BLYJ", &change.blyj);
                if let Some(license) = &change.license {
                    zt.push(license.license_element());
                }
                zt
            }
            StatusChange::License(change) => Element::new("ZZBG")
                .field("XH", change.xh.to_string())
                .field("ZZBH", &change.license.credit_code)
                .field("ZZZT", change.license.status.code())
                .field("BGSJ", &change.bgsj)
                .field("BGYY", &change.bgyy)
                .child(change.license.license_element()),
        });
    }
    list
}

/// A pushed `BJZTTZ` notification of `changes`: a GBK SOAP envelope.
pub fn notification(changes: &[StatusChange]) -> Vec<u8> {
    let body = Element::new("BJZTTZ")
        .attr("xmlns", NAMESPACE)
        .child(status_list(changes));
    soap::encode_gbk(&soap::envelope(&body, "GBK"))
}

fn license_list(found: Option<Element>) -> Element {
    let mut list = Element::new("ZZLB");
    list.children.extend(found);
    list
}

fn licenses_of_holder(request: &Element, state: &Mutex<State>) -> Result<Element, Failure> {
    let holder = required(request, "TYSHXYDM", "统一社会信用代码")?.to_ascii_uppercase();
    let found = lock(state).enterprise(&holder).map(|e| e.license_element());
    Ok(answer("CXZZ", "0000", "成功").child(license_list(found)))
}

fn verify_license(request: &Element, state: &Mutex<State>) -> Result<Element, Failure> {
    let kind = required(request, "ZZLXDM", "证照类型代码")?;
    let number = required(request, "ZZBH", "证照编号")?.to_ascii_uppercase();
    // This department issues only 营业执照 (YYZZ); any other type is simply not on file.
    let found = (kind == "YYZZ")
        .then(|| lock(state).enterprise(&number).map(|e| e.license_element()))
        .flatten();
    Ok(answer("YZZZ", "0000", "成功").child(license_list(found)))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::common::xml;

    fn state() -> Mutex<State> {
        Mutex::new(State::new(Duration::from_millis(10)))
    }

    fn code(answer: &Element) -> &str {
        answer.text_of("FHDM").unwrap()
    }

    const BJSB: &str = r#"<BJSB><PTBJBH>P-1</PTBJBH><SXBM>330122-SCJG-XK-001</SXBM>
        <SQR><SQRLX>1</SQRLX><ZJHM>330122199001011234</ZJHM><SQRMC>张三</SQRMC></SQR>
        <SLSJ>2026年11月27日 14时03分05秒</SLSJ>
        <BDXX><ZD MC="企业名称">桐庐测试科技有限公司</ZD></BDXX>
        <FJXX><FJ CLBM="002" WJM="章程.pdf" LX="application/pdf">JVBERi0x
        LjQ=</FJ></FJXX></BJSB>"#;

    #[test]
    fn submission_is_parsed_and_idempotent() {
        let state = state();
        let request = xml::parse(BJSB).unwrap();
        let first = dispatch(&request, &state);
        assert_eq!(code(&first), "0000");
        let again = dispatch(&request, &state);
        assert_eq!(first.text_of("YWLSH"), again.text_of("YWLSH"));
        let state = state.lock().unwrap();
        let case = state.case("P-1").unwrap();
        assert_eq!(case.attachments[0].size, 8);
        assert_eq!(case.form_value("企业名称"), Some("桐庐测试科技有限公司"));
        assert_eq!(state.counts().duplicates, 1);
    }

    #[test]
    fn malformed_requests_say_what_is_wrong() {
        let state = state();
        for (request, expected) in [
            ("<BJSB><SXBM>x</SXBM></BJSB>", "PTBJBH"),
            ("<BJSB><PTBJBH>1</PTBJBH></BJSB>", "SXBM"),
            ("<BJSB><PTBJBH>1</PTBJBH><SXBM>x</SXBM></BJSB>", "SQR"),
            ("<CXBJZT><QSXH>a</QSXH></CXBJZT>", "QSXH"),
            ("<CXBJZT><QSXH>0</QSXH><MYTS>101</MYTS></CXBJZT>", "MYTS"),
            ("<CXZZ/>", "TYSHXYDM"),
            ("<HELLO/>", "HELLO"),
        ] {
            let answer = dispatch(&xml::parse(request).unwrap(), &state);
            assert_eq!(code(&answer), "1001", "{request}");
            assert!(
                answer.text_of("FHXX").unwrap().contains(expected),
                "{request}"
            );
        }
    }

    #[test]
    fn organisation_with_invalid_credit_code_is_malformed() {
        let request = BJSB
            .replace("<SQRLX>1</SQRLX>", "<SQRLX>2</SQRLX>")
            .replace("330122199001011234", "913301220000000000");
        let answer = dispatch(&xml::parse(&request).unwrap(), &state());
        assert_eq!(code(&answer), "1001");
    }

    #[test]
    fn revoked_enterprise_cannot_get_a_replacement() {
        let state = state();
        let revoked = crate::market_supervision::registry::seed()
            .into_iter()
            .find(|e| e.status == LicenseStatus::Revoked)
            .unwrap();
        let request = BJSB
            .replace("330122-SCJG-XK-001", "330122-SCJG-GG-001")
            .replace("<SQRLX>1</SQRLX>", "<SQRLX>2</SQRLX>")
            .replace("330122199001011234", &revoked.credit_code);
        let answer = dispatch(&xml::parse(&request).unwrap(), &state);
        assert_eq!(code(&answer), "3001");
        assert!(answer.text_of("FHXX").unwrap().contains("吊销"));
    }
}
