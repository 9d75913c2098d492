//! The WCF JSON service: reading operations' parameters, running them, writing
//! `{"d": …}` answers and .NET exceptions as WCF writes them (`\/Date(…)\/`), and
//! showing the fault modes in them.

use std::fmt::Display;
use std::io;
use std::sync::{Mutex, MutexGuard};

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use onewindow_codes::chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};
use onewindow_codes::{CodeError, credit_code, id_number};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};
use tokio::time::Instant;

use super::catalogue::{self, FieldType, MATTERS, Matter};
use super::licenses::{CERTIFICATE_TYPE, Certificate};
use super::session;
use super::state::{Applicant, Attachment, Change, Done, FormValue, LicenseRef, State, Submission};
use crate::common::Fault;
use crate::common::cases::Numbered as _;

/// What every answer is sent as (also under the wrong-encoding fault, which sends GBK bytes).
pub const CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// The most changes one `GetChanges` page may hold, and how many it holds by default.
pub const MAX_PAGE: u64 = 100;
const DEFAULT_PAGE: u64 = 50;

/// The number the unknown-code fault puts in place of a `Kind` or `Status`: none
/// of the service's enumerations defines it.
pub const UNDEFINED_CODE: u8 = 9;

/// The service's operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `Login`.
    Login,
    /// `GetMatters`.
    GetMatters,
    /// `SubmitApplication`.
    SubmitApplication,
    /// `Supplement`.
    Supplement,
    /// `Withdraw`.
    Withdraw,
    /// `GetChanges`.
    GetChanges,
    /// `GetCertificates`.
    GetCertificates,
    /// `VerifyCertificate`.
    VerifyCertificate,
}

impl Op {
    /// The operation named in the URL.
    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "Login" => Self::Login,
            "GetMatters" => Self::GetMatters,
            "SubmitApplication" => Self::SubmitApplication,
            "Supplement" => Self::Supplement,
            "Withdraw" => Self::Withdraw,
            "GetChanges" => Self::GetChanges,
            "GetCertificates" => Self::GetCertificates,
            "VerifyCertificate" => Self::VerifyCertificate,
            _ => return None,
        })
    }

    /// The member the missing-element fault drops: the first of these the answer has.
    fn droppable(self) -> &'static [&'static str] {
        match self {
            Op::GetMatters => &["/d/0/Name"],
            Op::SubmitApplication => &["/d/BusinessNo"],
            Op::GetChanges => &["/d/Changes/0/Status", "/d/LastId"],
            Op::GetCertificates => &["/d/0/Number"],
            Op::VerifyCertificate => &["/d/Number"],
            Op::Login | Op::Supplement | Op::Withdraw => &[],
        }
    }

    /// The codes the unknown-code fault replaces with [`UNDEFINED_CODE`]: the first
    /// of these that holds a number.
    fn coded(self) -> &'static [&'static str] {
        match self {
            Op::GetMatters => &["/d/0/Kind"],
            Op::GetChanges => &["/d/Changes/0/Status", "/d/Changes/0/Certificate/Status"],
            Op::GetCertificates => &["/d/0/Status"],
            Op::VerifyCertificate => &["/d/Status"],
            Op::Login | Op::SubmitApplication | Op::Supplement | Op::Withdraw => &[],
        }
    }
}

/// A failure, as a .NET exception and the HTTP status that tells its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The HTTP status.
    pub status: StatusCode,
    /// ExceptionType.
    pub exception_type: &'static str,
    /// Message.
    pub message: String,
}

impl Failure {
    fn new(status: StatusCode, exception_type: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            exception_type,
            message: message.into(),
        }
    }

    /// 400: the parameter `name` is missing or wrong.
    pub fn argument(name: &str, reason: impl Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "System.ArgumentException",
            format!("参数{name}无效：{reason}"),
        )
    }

    /// 400: the body is not a JSON object of parameters.
    fn body(reason: impl Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "System.ArgumentException",
            format!("请求正文无效：{reason}"),
        )
    }

    /// 401: no live session.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "System.UnauthorizedAccessException",
            "会话无效或已过期，请重新登录",
        )
    }

    /// 404: the application or certificate asked for does not exist.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "Yb.NotFoundException", message)
    }

    /// 409: refused by a business rule.
    pub fn refused(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "Yb.BusinessRuleException", message)
    }
}

/// A date as WCF writes it: `/Date(ms+0800)/` (with its slashes escaped on the wire).
/// Holds Beijing time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WcfDate(pub NaiveDateTime);

/// Beijing's offset from UTC.
fn beijing_offset() -> TimeDelta {
    TimeDelta::hours(8)
}

impl WcfDate {
    /// A date-only value: 00:00 Beijing time of `day`.
    pub fn day(day: NaiveDate) -> Self {
        Self(day.and_time(NaiveTime::MIN))
    }

    /// Milliseconds since 1970-01-01 UTC.
    pub fn millis(self) -> i64 {
        (self.0 - beijing_offset()).and_utc().timestamp_millis()
    }

    /// Reads `/Date(ms)/` or `/Date(ms±hhmm)/` (the offset is informational).
    pub fn parse(text: &str) -> Result<Self, String> {
        let shape = || format!("应为\\/Date(毫秒数+0800)\\/格式的时间，实际为“{text}”");
        let inner = text
            .strip_prefix("/Date(")
            .and_then(|rest| rest.strip_suffix(")/"))
            .ok_or_else(shape)?;
        // The offset's sign is the first + or - after the first character.
        let split = inner
            .char_indices()
            .skip(1)
            .find(|&(_, c)| c == '+' || c == '-')
            .map_or(inner.len(), |(at, _)| at);
        let (millis, offset) = inner.split_at(split);
        let digits = millis.strip_prefix('-').unwrap_or(millis);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(shape());
        }
        if !offset.is_empty() {
            let hhmm = &offset[1..];
            let valid = hhmm.len() == 4
                && hhmm.bytes().all(|b| b.is_ascii_digit())
                && hhmm[..2].parse::<u8>().is_ok_and(|h| h <= 14)
                && hhmm[2..].parse::<u8>().is_ok_and(|m| m < 60);
            if !valid {
                return Err(shape());
            }
        }
        let instant = millis
            .parse::<i64>()
            .ok()
            .and_then(DateTime::from_timestamp_millis)
            .ok_or_else(|| format!("“{text}”超出了可表示的时间范围"))?;
        Ok(Self(instant.naive_utc() + beijing_offset()))
    }
}

impl Serialize for WcfDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("/Date({}+0800)/", self.millis()))
    }
}

/// Writes JSON as WCF's `DataContractJsonSerializer` does: every `/` in a string
/// escaped as `\/`, so that dates read `"\/Date(…)\/"`.
struct WcfFormatter;

impl serde_json::ser::Formatter for WcfFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut parts = fragment.split('/');
        if let Some(first) = parts.next() {
            writer.write_all(first.as_bytes())?;
        }
        for part in parts {
            writer.write_all(b"\\/")?;
            writer.write_all(part.as_bytes())?;
        }
        Ok(())
    }
}

/// `value` as WCF's JSON text.
pub fn to_wcf_json<T: Serialize + ?Sized>(value: &T) -> String {
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, WcfFormatter);
    value
        .serialize(&mut serializer)
        .expect("answers are plain data and serialize");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// `{"d": …}`.
#[derive(Serialize)]
struct Envelope<'a, T> {
    d: &'a T,
}

/// A failure's body.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Exception<'a> {
    exception_type: &'a str,
    message: &'a str,
}

/// Runs the operation `name` of a request and writes its answer, showing `fault`.
pub fn handle(
    name: &str,
    headers: &HeaderMap,
    body: &[u8],
    state: &Mutex<State>,
    fault: Fault,
) -> Response {
    let Some(op) = Op::from_name(name) else {
        return fail(Failure::not_found(format!("服务不存在操作{name}")), fault);
    };
    let now = Instant::now();
    if op != Op::Login && !lock(state).session(session::from_headers(headers), now) {
        return fail(Failure::unauthorized(), fault);
    }
    let map = match request_object(body) {
        Ok(map) => map,
        Err(failure) => return fail(failure, fault),
    };
    let params = Params {
        map: &map,
        place: String::new(),
    };
    match op {
        Op::Login => login(&params, state, now, fault),
        Op::GetMatters => reply(op, Ok(MATTERS), fault),
        Op::SubmitApplication => reply(op, submit(&params, state, now), fault),
        Op::Supplement => reply(op, supplement(&params, state, now), fault),
        Op::Withdraw => reply(op, withdraw(&params, state), fault),
        Op::GetChanges => changes(&params, state, fault),
        Op::GetCertificates => reply(op, certificates_of(&params, state), fault),
        Op::VerifyCertificate => reply(op, verify(&params, state), fault),
    }
}

/// Writes `{"d": result}` or the failure.
fn reply<T: Serialize>(op: Op, result: Result<T, Failure>, fault: Fault) -> Response {
    let d = match result {
        Ok(d) => d,
        Err(failure) => return fail(failure, fault),
    };
    let envelope = Envelope { d: &d };
    let text = match fault {
        Fault::MissingElement | Fault::UnknownCode => {
            let mut value = serde_json::to_value(&envelope).expect("answers serialize");
            damage(op, &mut value, fault);
            to_wcf_json(&value)
        }
        _ => to_wcf_json(&envelope),
    };
    send(StatusCode::OK, text, fault)
}

/// Writes a failure as its .NET exception.
fn fail(failure: Failure, fault: Fault) -> Response {
    tracing::debug!(status = failure.status.as_u16(), exception = failure.exception_type, message = %failure.message, "answered");
    let text = to_wcf_json(&Exception {
        exception_type: failure.exception_type,
        message: &failure.message,
    });
    send(failure.status, text, fault)
}

fn send(status: StatusCode, text: String, fault: Fault) -> Response {
    let body = if fault == Fault::WrongEncoding {
        // GBK bytes under the UTF-8 label.
        encoding_rs::GBK.encode(&text).0.into_owned()
    } else {
        text.into_bytes()
    };
    (status, [(header::CONTENT_TYPE, CONTENT_TYPE)], body).into_response()
}

/// Shows the missing-element or unknown-code fault in the answer of `op`.
fn damage(op: Op, answer: &mut Value, fault: Fault) {
    let done = match fault {
        Fault::MissingElement => op.droppable().iter().any(|p| remove(answer, p)),
        Fault::UnknownCode => op.coded().iter().any(|pointer| {
            answer
                .pointer_mut(pointer)
                .filter(|v| v.is_number())
                .map(|v| *v = Value::from(UNDEFINED_CODE))
                .is_some()
        }),
        _ => true,
    };
    if !done {
        tracing::debug!(?op, %fault, "nothing in the answer to show the fault in");
    }
}

/// Removes the member at `pointer`; whether there was one.
fn remove(value: &mut Value, pointer: &str) -> bool {
    let Some((parent, key)) = pointer.rsplit_once('/') else {
        return false;
    };
    match value.pointer_mut(parent) {
        Some(Value::Object(map)) => map.remove(key).is_some(),
        _ => false,
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panic elsewhere must not take the whole mock down with it.
    state.lock().unwrap_or_else(|e| e.into_inner())
}

/// The body as a JSON object of parameters, read as UTF-8.
fn request_object(body: &[u8]) -> Result<Map<String, Value>, Failure> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let text = std::str::from_utf8(body).map_err(|e| {
        Failure::body(format!(
            "不是有效的UTF-8编码（第{}字节起）",
            e.valid_up_to()
        ))
    })?;
    match serde_json::from_str(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(Failure::body(format!(
            "应为JSON对象，实际为{}",
            json_type(&other)
        ))),
        Err(e) => Err(Failure::body(format!(
            "不是有效的JSON（第{}行第{}列）",
            e.line(),
            e.column()
        ))),
    }
}

/// The kind of a JSON value, in Chinese.
fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "布尔值",
        Value::Number(_) => "数字",
        Value::String(_) => "字符串",
        Value::Array(_) => "数组",
        Value::Object(_) => "对象",
    }
}

/// Reads the members of one JSON object, naming them (with `place`, e.g.
/// `application.Files[0].`) when wrong.
struct Params<'a> {
    map: &'a Map<String, Value>,
    place: String,
}

impl<'a> Params<'a> {
    fn name(&self, key: &str) -> String {
        format!("{}{key}", self.place)
    }

    fn wrong(&self, key: &str, reason: impl Display) -> Failure {
        Failure::argument(&self.name(key), reason)
    }

    /// The member, `null` counting as absent.
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// A required string, not blank; trimmed.
    fn text(&self, key: &str, meaning: &str) -> Result<&'a str, Failure> {
        match self.get(key) {
            None => Err(self.wrong(key, format!("缺少{meaning}"))),
            Some(Value::String(s)) if s.trim().is_empty() => {
                Err(self.wrong(key, format!("{meaning}不能为空")))
            }
            Some(Value::String(s)) => Ok(s.trim()),
            Some(other) => Err(self.wrong(
                key,
                format!("{meaning}应为字符串，实际为{}", json_type(other)),
            )),
        }
    }

    /// An optional string (absent or `null`: empty); trimmed.
    fn optional_text(&self, key: &str, meaning: &str) -> Result<&'a str, Failure> {
        match self.get(key) {
            None => Ok(""),
            Some(Value::String(s)) => Ok(s.trim()),
            Some(other) => Err(self.wrong(
                key,
                format!("{meaning}应为字符串，实际为{}", json_type(other)),
            )),
        }
    }

    /// A required object.
    fn object(&self, key: &str, meaning: &str) -> Result<Params<'a>, Failure> {
        match self.get(key) {
            None => Err(self.wrong(key, format!("缺少{meaning}"))),
            Some(Value::Object(map)) => Ok(Params {
                map,
                place: format!("{}.", self.name(key)),
            }),
            Some(other) => Err(self.wrong(
                key,
                format!("{meaning}应为对象，实际为{}", json_type(other)),
            )),
        }
    }

    /// A list of objects (absent or `null`: empty).
    fn list(&self, key: &str, meaning: &str) -> Result<Vec<Params<'a>>, Failure> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let name = format!("{}[{i}]", self.name(key));
                    match item {
                        Value::Object(map) => Ok(Params {
                            map,
                            place: format!("{name}."),
                        }),
                        other => Err(Failure::argument(
                            &name,
                            format!("{meaning}应为对象，实际为{}", json_type(other)),
                        )),
                    }
                })
                .collect(),
            Some(other) => Err(self.wrong(
                key,
                format!("{meaning}应为数组，实际为{}", json_type(other)),
            )),
        }
    }

    /// A whole number within `range`; `default` when absent.
    fn whole(
        &self,
        key: &str,
        meaning: &str,
        range: std::ops::RangeInclusive<u64>,
        default: Option<u64>,
    ) -> Result<u64, Failure> {
        let Some(value) = self.get(key) else {
            return default.ok_or_else(|| self.wrong(key, format!("缺少{meaning}")));
        };
        value.as_u64().filter(|n| range.contains(n)).ok_or_else(|| {
            let end = if *range.end() == u64::MAX {
                "的整数".to_owned()
            } else {
                format!("到{}之间的整数", range.end())
            };
            let start = if *range.end() == u64::MAX {
                format!("不小于{}", range.start())
            } else {
                range.start().to_string()
            };
            self.wrong(key, format!("{meaning}应为{start}{end}，实际为{value}"))
        })
    }
}

/// `Login`: a session and its cookie, or `Success: false`.
fn login(params: &Params<'_>, state: &Mutex<State>, now: Instant, fault: Fault) -> Response {
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct LoginResult {
        success: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        session_timeout_minutes: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        message: Option<&'static str>,
    }
    let credentials = params.text("userName", "用户名").and_then(|user| {
        let password = params.text("password", "密码")?;
        Ok((user, password))
    });
    let (user, password) = match credentials {
        Ok(credentials) => credentials,
        Err(failure) => return fail(failure, fault),
    };
    let session = lock(state).login(user, password, now);
    let result = match &session {
        Some((_, minutes)) => LoginResult {
            success: true,
            session_timeout_minutes: Some(*minutes),
            message: None,
        },
        None => LoginResult {
            success: false,
            session_timeout_minutes: None,
            message: Some("用户名或密码错误"),
        },
    };
    let mut response = reply(Op::Login, Ok(result), fault);
    if let Some((id, _)) = session {
        let cookie = HeaderValue::from_str(&session::set_cookie(&id))
            .expect("session ids are lower-case letters and digits");
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

/// `SubmitApplication` → `{"BusinessNo": …}`.
fn submit(params: &Params<'_>, state: &Mutex<State>, now: Instant) -> Result<Value, Failure> {
    let application = params.object("application", "申请")?;
    let submission = parse_submission(&application)?;
    let accepted = lock(state).submit(submission, now);
    Ok(serde_json::json!({"BusinessNo": accepted.business_no}))
}

fn parse_submission(application: &Params<'_>) -> Result<Submission, Failure> {
    let platform_case_no = application
        .text("PlatformCaseNo", "平台办件编号")?
        .to_owned();
    let code = application.text("MatterCode", "事项编码")?;
    let matter = catalogue::find(code).ok_or_else(|| {
        let known: Vec<&str> = MATTERS.iter().map(|m| m.code).collect();
        application.wrong(
            "MatterCode",
            format!("事项编码“{code}”不存在（可办事项：{}）", known.join("、")),
        )
    })?;
    let applicant = parse_applicant(application, matter)?;
    let accepted_at = application.text("AcceptedAt", "受理时间")?;
    let accepted_at = WcfDate::parse(accepted_at)
        .map_err(|reason| application.wrong("AcceptedAt", reason))?
        .0;
    let form = parse_form(application, matter)?;

    let mut files = Vec::new();
    for file in application.list("Files", "文件")? {
        files.push(attachment(&file)?);
    }
    let mut licenses = Vec::new();
    for license in application.list("Licenses", "证照")? {
        licenses.push(LicenseRef {
            material_code: license.text("MaterialCode", "材料编码")?.to_owned(),
            type_name: license.text("TypeName", "证照类型名称")?.to_owned(),
            number: license.text("Number", "证照编号")?.to_owned(),
        });
    }
    for material in matter.materials.iter().filter(|m| m.required) {
        let given = files.iter().any(|f| f.material_code == material.code)
            || licenses.iter().any(|l| l.material_code == material.code);
        if !given {
            return Err(application.wrong(
                "Files",
                format!(
                    "缺少必须提交的申请材料{}（{}），应以文件（Files）或证照（Licenses）提交",
                    material.code, material.name
                ),
            ));
        }
    }
    Ok(Submission {
        platform_case_no,
        matter,
        applicant,
        accepted_at,
        form,
        files,
        licenses,
    })
}

/// `Applicant`: a resident (1) or an organisation (2), as the matter allows (all
/// three matters take residents only).
fn parse_applicant(application: &Params<'_>, matter: &Matter) -> Result<Applicant, Failure> {
    let applicant = application.object("Applicant", "申请人")?;
    let id_type = applicant
        .whole("IdType", "证件类型", 1..=2, None)
        .map_err(|_| {
            let given = applicant
                .get("IdType")
                .map_or("空".to_owned(), Value::to_string);
            applicant.wrong(
                "IdType",
                format!("证件类型应为1（居民身份证）或2（统一社会信用代码），实际为{given}"),
            )
        })?;
    let id = applicant.text("IdNumber", "证件号码")?;
    if id_type == 1 {
        id_number::validate(id).map_err(|e| {
            applicant.wrong(
                "IdNumber",
                format!("“{id}”不是有效的公民身份号码：{}", code_error(&e)),
            )
        })?;
    } else {
        credit_code::validate(id).map_err(|e| {
            applicant.wrong(
                "IdNumber",
                format!("“{id}”不是有效的统一社会信用代码：{}", code_error(&e)),
            )
        })?;
        return Err(applicant.wrong(
            "IdType",
            format!(
                "事项“{}”只能由居民本人申请，证件类型应为1（居民身份证），实际为2",
                matter.name
            ),
        ));
    }
    let name = applicant.text("Name", "姓名或名称")?;
    Ok(Applicant {
        id_type: 1,
        id_number: id.to_owned(),
        name: name.to_owned(),
    })
}

/// `Form`: every `{Key, Value}` as given, checked against the matter's form.
fn parse_form(application: &Params<'_>, matter: &Matter) -> Result<Vec<FormValue>, Failure> {
    let mut form: Vec<FormValue> = Vec::new();
    for item in application.list("Form", "表单项")? {
        let key = item.text("Key", "表单项名")?;
        let value = item.optional_text("Value", "表单项值")?;
        if form.iter().all(|f| f.key != key) {
            form.push(FormValue {
                key: key.to_owned(),
                value: value.to_owned(),
            });
        }
    }
    for item in matter.form {
        let name = format!("{}Form[{}]", application.place, item.key);
        let given = form
            .iter()
            .find(|f| f.key == item.key)
            .map(|f| f.value.as_str())
            .filter(|v| !v.is_empty());
        let Some(given) = given else {
            if item.required {
                return Err(Failure::argument(
                    &name,
                    format!("缺少必填项“{}”", item.label),
                ));
            }
            continue;
        };
        let checked = match item.kind {
            FieldType::Date => iso_date(given).map(|_| ()),
            FieldType::Number if !is_number(given) => {
                Err(format!("{}应为十进制数字，实际为“{given}”", item.label))
            }
            FieldType::Choice(options) if !options.contains(&given) => Err(format!(
                "{}应为{}之一，实际为“{given}”",
                item.label,
                options.join("、")
            )),
            FieldType::Number | FieldType::Choice(_) | FieldType::Text | FieldType::Address => {
                Ok(())
            }
        };
        checked.map_err(|reason| Failure::argument(&name, reason))?;
    }
    Ok(form)
}

/// A date written `2026-12-07`.
fn iso_date(text: &str) -> Result<NaiveDate, String> {
    let bytes = text.as_bytes();
    let shaped = bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                *b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !shaped {
        return Err(format!("应为YYYY-MM-DD格式的日期，实际为“{text}”"));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| format!("“{text}”不是真实存在的日期"))
}

/// A non-negative decimal number: `12000`, `12000.50`.
fn is_number(text: &str) -> bool {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && digits(fraction)
}

/// One `File`: its content decoded to be measured and fingerprinted.
fn attachment(file: &Params<'_>) -> Result<Attachment, Failure> {
    let material_code = file.text("MaterialCode", "材料编码")?;
    let file_name = file.text("FileName", "文件名")?;
    let content_type = file.text("ContentType", "文件类型")?;
    let content = file.text("Content", "文件内容")?;
    // Some encoders wrap base64 over several lines.
    let content: String = content.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(content.as_bytes())
        .map_err(|_| {
            file.wrong(
                "Content",
                format!("文件“{file_name}”的内容不是有效的Base64编码"),
            )
        })?;
    Ok(Attachment {
        material_code: material_code.to_owned(),
        file_name: file_name.to_owned(),
        content_type: content_type.to_owned(),
        size: bytes.len(),
        sha256: hex::encode(Sha256::digest(&bytes)),
    })
}

/// `Supplement` → `null`.
fn supplement(params: &Params<'_>, state: &Mutex<State>, now: Instant) -> Result<(), Failure> {
    let platform_case_no = params.text("platformCaseNo", "平台办件编号")?;
    let remark = params.optional_text("remark", "补正说明")?;
    let mut files = Vec::new();
    for file in params.list("files", "补正文件")? {
        files.push(attachment(&file)?);
    }
    if files.is_empty() {
        return Err(params.wrong("files", "补正须至少提交一个文件"));
    }
    let done = lock(state).supplement(platform_case_no, remark, files, now)?;
    if done == Done::Already {
        tracing::info!(platform_case_no, "supplement repeated");
    }
    Ok(())
}

/// `Withdraw` → `null`.
fn withdraw(params: &Params<'_>, state: &Mutex<State>) -> Result<(), Failure> {
    let platform_case_no = params.text("platformCaseNo", "平台办件编号")?;
    let reason = params.text("reason", "撤回原因")?;
    let done = lock(state).withdraw(platform_case_no, reason)?;
    if done == Done::Already {
        tracing::info!(platform_case_no, "withdrawal repeated");
    }
    Ok(())
}

/// One page of `GetChanges`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ChangesPage<'a> {
    changes: &'a [Change],
    last_id: u64,
    has_more: bool,
}

/// `GetChanges` → `{"Changes": […], "LastId": …, "HasMore": …}`.
fn changes(params: &Params<'_>, state: &Mutex<State>, fault: Fault) -> Response {
    let paging = params
        .whole("afterId", "起始序号", 0..=u64::MAX, None)
        .and_then(|after| {
            let max = params.whole("max", "每页条数", 1..=MAX_PAGE, Some(DEFAULT_PAGE))?;
            Ok((after, max))
        });
    let (after, max) = match paging {
        Ok(paging) => paging,
        Err(failure) => return fail(failure, fault),
    };
    let state = lock(state);
    let (page, more) = state.changes(after, max as usize);
    let (last_id, has_more) = if fault == Fault::EndlessPages {
        // More is always said to follow, from the very same Id.
        (after, true)
    } else {
        (page.last().map_or(after, |c| c.number()), more)
    };
    let answer = ChangesPage {
        changes: page,
        last_id,
        has_more,
    };
    reply(Op::GetChanges, Ok(answer), fault)
}

/// `GetCertificates` → the certificates `idNumber` holds.
fn certificates_of(params: &Params<'_>, state: &Mutex<State>) -> Result<Vec<Certificate>, Failure> {
    let id = params.text("idNumber", "证件号码")?;
    if let Err(e) = id_number::validate(id)
        && credit_code::validate(id).is_err()
    {
        return Err(params.wrong(
            "idNumber",
            format!(
                "“{id}”不是有效的公民身份号码（{}）或统一社会信用代码",
                code_error(&e)
            ),
        ));
    }
    Ok(lock(state)
        .certificates_of(id)
        .into_iter()
        .cloned()
        .collect())
}

/// `VerifyCertificate` → the certificate, or 404.
fn verify(params: &Params<'_>, state: &Mutex<State>) -> Result<Certificate, Failure> {
    let type_code = params.text("typeCode", "证照类型代码")?;
    let number = params.text("number", "证照编号")?;
    let found = (type_code == CERTIFICATE_TYPE)
        .then(|| lock(state).certificate(number).cloned())
        .flatten();
    found
        .ok_or_else(|| Failure::not_found(format!("凭证不存在：类型代码{type_code}，编号{number}")))
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
    use super::*;

    #[test]
    fn dates_are_read_with_or_without_an_offset() {
        let expected = NaiveDate::from_ymd_opt(2025, 12, 7)
            .unwrap()
            .and_hms_opt(8, 0, 0)
            .unwrap();
        for text in [
            "/Date(1765065600000)/",
            "/Date(1765065600000+0800)/",
            "/Date(1765065600000-0500)/",
        ] {
            assert_eq!(WcfDate::parse(text), Ok(WcfDate(expected)), "{text}");
        }
        assert_eq!(
            WcfDate::parse("/Date(-86400000)/").unwrap().0.to_string(),
            "1969-12-31 08:00:00"
        );
        for bad in [
            "\\/Date(1765065600000)\\/",
            "/Date()/",
            "/Date(12a)/",
            "/Date(1+08)/",
            "/Date(1+2500)/",
            "Date(1)",
            "2026-12-07",
        ] {
            assert!(WcfDate::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(WcfDate(expected).millis(), 1_765_065_600_000);
    }

    #[test]
    fn answers_escape_slashes_as_wcf_does() {
        let date = WcfDate::parse("/Date(1765065600000)/").unwrap();
        let text = to_wcf_json(&serde_json::json!({"At": date, "Type": "application/pdf"}));
        assert_eq!(
            text,
            r#"{"At":"\/Date(1765065600000+0800)\/","Type":"application\/pdf"}"#
        );
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["At"], "/Date(1765065600000+0800)/");
    }

    #[test]
    fn faults_damage_the_answer() {
        let mut answer = serde_json::json!({"d": [{"Code": "A", "Name": "甲", "Kind": 6}, {"Name": "乙", "Kind": 2}]});
        damage(Op::GetMatters, &mut answer, Fault::MissingElement);
        assert!(answer["d"][0].get("Name").is_none());
        assert_eq!(answer["d"][1]["Name"], "乙");
        damage(Op::GetMatters, &mut answer, Fault::UnknownCode);
        assert_eq!(answer["d"][0]["Kind"], 9);
        let mut change = serde_json::json!({"d": {"Changes": [{"Status": null, "Certificate": {"Status": 0}}], "LastId": 1}});
        damage(Op::GetChanges, &mut change, Fault::UnknownCode);
        assert_eq!(change["d"]["Changes"][0]["Status"], Value::Null);
        assert_eq!(change["d"]["Changes"][0]["Certificate"]["Status"], 9);
    }

    #[test]
    fn numbers_are_decimal_and_dates_iso() {
        for good in ["0", "12000", "12000.50"] {
            assert!(is_number(good), "{good}");
        }
        for bad in ["", "-1", "1e3", "2.", ".5", "一万"] {
            assert!(!is_number(bad), "{bad}");
        }
        assert!(iso_date("2026-12-07").is_ok());
        for bad in ["2026-2-7", "20261207", "2026/12/07", "2026-02-30"] {
            assert!(iso_date(bad).is_err(), "{bad}");
        }
    }
}
