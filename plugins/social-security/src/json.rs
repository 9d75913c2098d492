//! The 金保 interface's transport: UTF-8 JSON answers in a `{code, message, data}`
//! envelope, read strictly.
//!
//! [`Reply::read`] checks an answer's HTTP status, media type and charset and parses
//! it; [`Reply::data`] maps the 返回码 `code` to the contract's errors. Records are
//! read through [`Obj`], whose every accessor names the field (its 金保 code and its
//! meaning) and where in the answer it is when something is wrong, so that a person
//! reading the error knows what the legacy system got wrong.

use std::fmt;

use onewindow_sdk::codes::chrono::{NaiveDate, NaiveDateTime};
use onewindow_sdk::codes::{EncodingError, date, gbk};
use onewindow_sdk::types::AdapterError;
use serde_json::{Map, Value};

/// What requests are sent as, and what answers are expected as.
pub const CONTENT_TYPE: &str = "application/json;charset=UTF-8";

/// A legacy system's raw HTTP answer, as the translation functions take it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status code.
    pub status: u16,
    /// The `Content-Type` header, empty when absent.
    pub content_type: String,
    /// The body as sent.
    pub body: Vec<u8>,
}

/// The interface's operations, named as its documentation names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `GET /sx`: 事项目录查询.
    Catalogue,
    /// `POST /yw/sq`: 业务申请.
    Submit,
    /// `GET /yw/zt`: 办件状态变化查询.
    Events,
    /// `GET /sbk`: 社会保障卡查询 (by holder).
    Cards,
    /// `GET /sbk/{aaz500}`: 社会保障卡验证 (by number).
    Verify,
    /// `POST /yw/bz`: 业务补正.
    Supplement,
    /// `POST /yw/ch`: 业务撤回.
    Withdraw,
}

impl Op {
    /// The operation's name in the interface's documentation.
    pub fn name(self) -> &'static str {
        match self {
            Op::Catalogue => "事项目录查询",
            Op::Submit => "业务申请",
            Op::Events => "办件状态变化查询",
            Op::Cards => "社会保障卡查询",
            Op::Verify => "社会保障卡验证",
            Op::Supplement => "业务补正",
            Op::Withdraw => "业务撤回",
        }
    }

    /// The operation's method and path below the endpoint.
    pub fn route(self) -> &'static str {
        match self {
            Op::Catalogue => "GET /sx",
            Op::Submit => "POST /yw/sq",
            Op::Events => "GET /yw/zt",
            Op::Cards => "GET /sbk",
            Op::Verify => "GET /sbk/{aaz500}",
            Op::Supplement => "POST /yw/bz",
            Op::Withdraw => "POST /yw/ch",
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.route())
    }
}

/// The 返回码 values the interface defines.
const CODES: &str = "0, 1001, 2001, 3001, 9999";

/// A parsed answer: its envelope and how to name it in messages.
#[derive(Debug)]
pub struct Reply {
    op: Op,
    /// "the answer to 事项目录查询 (GET /sx, page 2)".
    label: String,
    root: Map<String, Value>,
}

impl Reply {
    /// Checks status, media type and charset, and parses the JSON envelope.
    /// `context` says which request this answers (e.g. `page 2`), or is empty.
    pub fn read(op: Op, context: &str, answer: &Answer) -> Result<Reply, AdapterError> {
        let label = if context.is_empty() {
            format!("the answer to {op}")
        } else {
            format!("the answer to {} ({}, {context})", op.name(), op.route())
        };
        match answer.status {
            200..=299 => {}
            404 | 405 => {
                return Err(AdapterError::Invalid(format!(
                    "the 金保 system answered HTTP {} to {op}: the adapter's [config] endpoint does not point at the 金保 interface (it ends in /jbgc/api)",
                    answer.status
                )));
            }
            status => {
                return Err(AdapterError::Unavailable(format!(
                    "the 金保 system answered HTTP {status} to {op}{}; try again later",
                    snippet(&answer.body)
                )));
            }
        }
        let media = answer.content_type.split(';').next().unwrap_or("").trim();
        if !media.is_empty() && !media.to_ascii_lowercase().contains("json") {
            return Err(AdapterError::Unavailable(format!(
                "{label} is {media}, not JSON{}",
                snippet(&answer.body)
            )));
        }
        let text = decode(&label, answer)?;
        let value: Value = serde_json::from_str(&text).map_err(|e| {
            AdapterError::Unavailable(if e.is_eof() {
                format!(
                    "{label} is truncated: the JSON ends early (line {}, column {}) after {} bytes",
                    e.line(),
                    e.column(),
                    answer.body.len()
                )
            } else {
                format!("{label} is malformed JSON: {e}")
            })
        })?;
        let Value::Object(root) = value else {
            return Err(AdapterError::Unavailable(format!(
                "{label} is a JSON {}, not the interface's {{\"code\", \"message\", \"data\"}} object",
                kind(&value)
            )));
        };
        Ok(Reply { op, label, root })
    }

    /// How messages name this answer.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The envelope as a record, for fields outside `data`.
    fn envelope(&self) -> Obj<'_> {
        Obj {
            answer: &self.label,
            path: String::new(),
            label: String::new(),
            map: &self.root,
        }
    }

    /// The 返回码, checked to be a whole number.
    fn code(&self) -> Result<i64, AdapterError> {
        let envelope = self.envelope();
        match envelope.get("code") {
            None => Err(envelope.error("has no code (返回码)")),
            Some(v) => v.as_i64().ok_or_else(|| {
                envelope.error(format_args!(
                    "has code {v} (返回码); expected a whole number"
                ))
            }),
        }
    }

    /// `data` of a successful answer; any other 返回码 becomes the contract's error.
    pub fn data(&self) -> Result<Obj<'_>, AdapterError> {
        match self.data_or_not_found()? {
            Some(data) => Ok(data),
            None => Err(AdapterError::NotFound(self.said(format!(
                "the 金保 system found nothing for {} (code 2001)",
                self.op
            )))),
        }
    }

    /// Like [`Reply::data`], but `code` 2001 (无此记录) is `None`.
    pub fn data_or_not_found(&self) -> Result<Option<Obj<'_>>, AdapterError> {
        let op = self.op;
        match self.code()? {
            0 => {}
            2001 => return Ok(None),
            1001 => {
                return Err(AdapterError::Invalid(format!(
                    "the 金保 system rejected {op} as malformed (code 1001): {}",
                    self.said("no reason given".to_owned())
                )));
            }
            3001 => {
                return Err(AdapterError::Refused(self.said(format!(
                    "the 金保 system refused {op} by its business rules (code 3001)"
                ))));
            }
            9999 => {
                return Err(AdapterError::Unavailable(format!(
                    "the 金保 system failed on {op} (code 9999): {}; try again later",
                    self.said("no reason given".to_owned())
                )));
            }
            other => {
                return Err(AdapterError::Unavailable(format!(
                    "{} has code {other} (返回码), which the 金保 interface does not define (it defines {CODES}); message: {}",
                    self.label,
                    self.said("none".to_owned())
                )));
            }
        }
        let envelope = self.envelope();
        match self.root.get("data") {
            Some(Value::Object(map)) => Ok(Some(Obj {
                answer: &self.label,
                path: "data".to_owned(),
                label: String::new(),
                map,
            })),
            None | Some(Value::Null) => Err(envelope.error("has no data (业务数据)")),
            Some(other) => Err(envelope.error(format_args!(
                "has a JSON {} as data (业务数据); expected an object",
                kind(other)
            ))),
        }
    }

    /// The envelope's `message`, or `fallback` when it says nothing.
    fn said(&self, fallback: String) -> String {
        match self
            .root
            .get("message")
            .and_then(Value::as_str)
            .map(str::trim)
        {
            Some(message) if !message.is_empty() => message.to_owned(),
            _ => fallback,
        }
    }
}

/// Decodes the body in the declared charset (UTF-8 when none is declared), strictly.
fn decode(label: &str, answer: &Answer) -> Result<String, AdapterError> {
    let declared = gbk::content_type_charset(&answer.content_type);
    let charset = declared.unwrap_or("UTF-8");
    gbk::decode_declared(&answer.body, charset).map_err(|e| {
        AdapterError::Unavailable(match &e {
            EncodingError::Truncated { .. } => format!("{label} is truncated: {e}"),
            EncodingError::Malformed { .. } => {
                let declared = match declared {
                    Some(label) => format!("it declares charset={label}"),
                    None => "it declares no charset and the interface sends UTF-8".to_owned(),
                };
                let hint = if charset.eq_ignore_ascii_case("utf-8")
                    || charset.eq_ignore_ascii_case("utf8")
                {
                    " (the bytes look like another encoding, such as GBK, sent under a UTF-8 label)"
                } else {
                    ""
                };
                format!("{label} cannot be read as {charset}, which {declared}: {e}{hint}")
            }
            _ => format!("{label} cannot be decoded: {e}"),
        })
    })
}

/// The start of a body that is not the expected answer, for a message.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        String::new()
    } else {
        let cut: String = text.chars().take(120).collect();
        format!(": {cut}")
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// One JSON object of an answer, with where it is, for messages.
#[derive(Debug, Clone)]
pub struct Obj<'v> {
    /// "the answer to …".
    answer: &'v str,
    /// "data.list[0]"; empty for the envelope.
    path: String,
    /// " (aaa121=330122-RS-SB-001)", or empty.
    label: String,
    map: &'v Map<String, Value>,
}

impl<'v> Obj<'v> {
    /// An unavailable error about this object: "the answer to …: data.list[0] (…) {what}".
    pub fn error(&self, what: impl fmt::Display) -> AdapterError {
        AdapterError::Unavailable(if self.path.is_empty() {
            format!("{} {what}", self.answer)
        } else {
            format!("{}: {}{} {what}", self.answer, self.path, self.label)
        })
    }

    /// The value of `key`; JSON `null` counts as absent.
    pub fn get(&self, key: &str) -> Option<&'v Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn missing(&self, key: &str, meaning: &str) -> AdapterError {
        self.error(format_args!("has no {key} ({meaning})"))
    }

    fn unexpected(&self, key: &str, meaning: &str, value: &Value, expected: &str) -> AdapterError {
        self.error(format_args!(
            "has {key} {value} ({meaning}); expected {expected}"
        ))
    }

    /// Text field `key`, present and not blank.
    pub fn str(&self, key: &str, meaning: &str) -> Result<&'v str, AdapterError> {
        match self.opt_str(key, meaning)? {
            Some(text) => Ok(text),
            None if self.get(key).is_some() => {
                Err(self.error(format_args!("has an empty {key} ({meaning})")))
            }
            None => Err(self.missing(key, meaning)),
        }
    }

    /// Text field `key`; absent, `null` or blank is `None`.
    pub fn opt_str(&self, key: &str, meaning: &str) -> Result<Option<&'v str>, AdapterError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(other) => Err(self.unexpected(key, meaning, other, "text")),
        }
    }

    /// Whole-number field `key`.
    pub fn uint(&self, key: &str, meaning: &str) -> Result<u64, AdapterError> {
        let value = self.get(key).ok_or_else(|| self.missing(key, meaning))?;
        value
            .as_u64()
            .ok_or_else(|| self.unexpected(key, meaning, value, "a whole number"))
    }

    /// Whole-number field `key` that fits in 32 bits, e.g. working days.
    pub fn u32(&self, key: &str, meaning: &str) -> Result<u32, AdapterError> {
        let n = self.uint(key, meaning)?;
        u32::try_from(n).map_err(|_| {
            self.error(format_args!(
                "has {key} {n} ({meaning}); expected a number below 2^32"
            ))
        })
    }

    /// The interface's numeric yes/no field: 1 or 0.
    pub fn flag(&self, key: &str, meaning: &str) -> Result<bool, AdapterError> {
        let value = self.get(key).ok_or_else(|| self.missing(key, meaning))?;
        match value.as_i64() {
            Some(1) => Ok(true),
            Some(0) => Ok(false),
            _ => Err(self.unexpected(key, meaning, value, "1 (是) or 0 (否)")),
        }
    }

    /// A JSON `true`/`false` field, e.g. `hasNext`.
    pub fn bool(&self, key: &str, meaning: &str) -> Result<bool, AdapterError> {
        let value = self.get(key).ok_or_else(|| self.missing(key, meaning))?;
        value
            .as_bool()
            .ok_or_else(|| self.unexpected(key, meaning, value, "true or false"))
    }

    /// Numeric code field `key`, one of `table` (code, value, name).
    pub fn code<T: Copy>(
        &self,
        key: &str,
        meaning: &str,
        table: &[(i64, T, &str)],
    ) -> Result<T, AdapterError> {
        let value = self.get(key).ok_or_else(|| self.missing(key, meaning))?;
        let Some(code) = value.as_i64() else {
            return Err(self.unexpected(key, meaning, value, "a numeric code"));
        };
        match table.iter().find(|(c, _, _)| *c == code) {
            Some(&(_, found, _)) => Ok(found),
            None => {
                let known: Vec<String> = table
                    .iter()
                    .map(|(c, _, name)| format!("{c} ({name})"))
                    .collect();
                Err(self.error(format_args!(
                    "has {key} {code} ({meaning}), a code the 金保 interface does not define; expected one of {}",
                    known.join(", ")
                )))
            }
        }
    }

    /// Date field `key` written `20181125`, as `2018-11-25`.
    pub fn date(&self, key: &str, meaning: &str) -> Result<String, AdapterError> {
        let text = self.str(key, meaning)?;
        compact_date(text).map(date::to_iso).ok_or_else(|| {
            self.unexpected(
                key,
                meaning,
                &Value::String(text.to_owned()),
                "a real date written like 20181125",
            )
        })
    }

    /// Date-time field `key` written `20181125140305` in Beijing time, as RFC 3339.
    pub fn instant(&self, key: &str, meaning: &str) -> Result<String, AdapterError> {
        let text = self.str(key, meaning)?;
        compact_datetime(text)
            .map(|at| at.format("%Y-%m-%dT%H:%M:%S+08:00").to_string())
            .ok_or_else(|| {
                self.unexpected(
                    key,
                    meaning,
                    &Value::String(text.to_owned()),
                    "a real time written like 20181125140305",
                )
            })
    }

    /// Array field `key` of texts, none of them blank.
    pub fn strings(&self, key: &str, meaning: &str) -> Result<Vec<String>, AdapterError> {
        let list = match self.get(key) {
            None => return Err(self.missing(key, meaning)),
            Some(Value::Array(list)) => list,
            Some(other) => return Err(self.unexpected(key, meaning, other, "an array of texts")),
        };
        list.iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(text) if !text.trim().is_empty() => Ok(text.trim().to_owned()),
                other => Err(self.error(format_args!(
                    "has {other} as {key}[{i}] ({meaning}); expected a text that is not blank"
                ))),
            })
            .collect()
    }

    /// Object field `key`, if present.
    pub fn obj(&self, key: &str, meaning: &str) -> Result<Option<Obj<'v>>, AdapterError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Obj {
                answer: self.answer,
                path: format!("{}.{key}", self.path),
                label: String::new(),
                map,
            })),
            Some(other) => Err(self.unexpected(key, meaning, other, "an object")),
        }
    }

    /// The objects of array field `key`, each labelled with its index and, when it
    /// has one, the text of `label_key` (e.g. `data.list[0] (aaa121=…)`).
    pub fn items(
        &self,
        key: &str,
        meaning: &str,
        label_key: &str,
    ) -> Result<Vec<Obj<'v>>, AdapterError> {
        let list = match self.get(key) {
            None => return Err(self.missing(key, meaning)),
            Some(Value::Array(list)) => list,
            Some(other) => return Err(self.unexpected(key, meaning, other, "an array")),
        };
        list.iter()
            .enumerate()
            .map(|(i, item)| {
                let Value::Object(map) = item else {
                    return Err(self.error(format_args!(
                        "has a JSON {} as {key}[{i}] ({meaning}); expected an object",
                        kind(item)
                    )));
                };
                let label = match map.get(label_key).and_then(Value::as_str) {
                    Some(text) if !text.trim().is_empty() => format!(" ({label_key}={text})"),
                    _ => String::new(),
                };
                Ok(Obj {
                    answer: self.answer,
                    path: format!("{}.{key}[{i}]", self.path),
                    label,
                    map,
                })
            })
            .collect()
    }
}

/// `20181125`: exactly eight digits naming a real day.
pub fn compact_date(text: &str) -> Option<NaiveDate> {
    (text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| date::parse(text).ok())
        .flatten()
}

/// `20181125140305`: exactly fourteen digits naming a real time.
pub fn compact_datetime(text: &str) -> Option<NaiveDateTime> {
    (text.len() == 14 && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| date::parse_datetime(text).ok())
        .flatten()
}
