//! The system's GBK fixed-width records: layouts, answers (with the faults that
//! damage them) and reading request records.

use std::sync::LazyLock;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use onewindow_codes::fixed::{FixedError, Layout, Record};
use onewindow_codes::gbk;

use crate::common::Fault;

/// A record type: its code, its name and its fields with their widths in bytes.
pub struct Kind {
    /// Two digits, e.g. `10`.
    pub code: &'static str,
    /// Its name in the specification, e.g. `事项`.
    pub name: &'static str,
    fields: &'static [(&'static str, usize)],
    layout: LazyLock<Layout>,
}

macro_rules! kind {
    ($name:ident, $code:literal, $label:literal, [$(($field:literal, $width:literal)),* $(,)?]) => {
        #[doc = concat!("`", $code, "` ", $label, ".")]
        pub static $name: Kind = Kind {
            code: $code,
            name: $label,
            fields: &[("记录类型", 2), $(($field, $width)),*],
            layout: LazyLock::new(|| Layout::new(&[("记录类型", 2), $(($field, $width)),*])),
        };
    };
}

kind!(
    HEADER,
    "00",
    "头记录",
    [
        ("交易码", 4),
        ("返回码", 4),
        ("返回信息", 80),
        ("记录数", 6)
    ]
);
kind!(
    MATTER,
    "10",
    "事项",
    [
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
    ]
);
kind!(
    MATERIAL,
    "11",
    "材料",
    [
        ("材料编码", 10),
        ("材料名称", 60),
        ("必要标志", 1),
        ("可替代证照", 20)
    ]
);
kind!(
    FORM_FIELD,
    "12",
    "表单项定义",
    [
        ("字段名", 40),
        ("显示名称", 60),
        ("字段类型", 2),
        ("必填标志", 1),
        ("取值来源", 2),
        ("可选值", 200),
    ]
);
kind!(
    RECEIPT,
    "20",
    "办件回执",
    [("平台办件编号", 30), ("业务流水号", 20), ("重复标志", 1)]
);
kind!(
    PAGE,
    "29",
    "分页信息",
    [("起始序号", 12), ("最大序号", 12), ("后页标志", 1)]
);
kind!(
    CHANGE,
    "21",
    "状态变化",
    [
        ("序号", 12),
        ("平台办件编号", 30),
        ("业务流水号", 20),
        ("状态代码", 2),
        ("办理时间", 14),
        ("办理意见", 200),
    ]
);
kind!(
    LICENSE,
    "30",
    "证照",
    [
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
    ]
);
kind!(
    SUBMISSION,
    "01",
    "申报主记录",
    [
        ("平台办件编号", 30),
        ("事项编码", 20),
        ("申请人类型", 1),
        ("申请人证件号码", 18),
        ("申请人名称", 60),
        ("受理时间", 14),
        ("表单记录数", 4),
        ("附件数", 3),
        ("证照数", 3),
    ]
);
kind!(
    FORM,
    "02",
    "表单项",
    [("字段名", 40), ("续行标志", 1), ("字段值", 200)]
);
kind!(
    ATTACHMENT,
    "03",
    "附件",
    [
        ("材料编码", 10),
        ("文件名", 80),
        ("媒体类型", 40),
        ("文件大小", 10),
        ("内容行数", 6),
    ]
);
kind!(CONTENT, "04", "附件内容", [("内容", 76)]);
kind!(
    REUSED,
    "05",
    "随件证照",
    [
        ("材料编码", 10),
        ("证照类型代码", 10),
        ("证照类型名称", 20),
        ("证照编号", 60),
        ("持证主体类型", 1),
        ("持证主体证件号码", 18),
        ("持证主体名称", 60),
        ("发证机关", 60),
        ("签发日期", 8),
        ("有效期至", 8),
        ("证照状态", 1),
        ("法定代表人", 30),
    ]
);
kind!(
    SUPPLEMENT,
    "06",
    "补正主记录",
    [
        ("平台办件编号", 30),
        ("业务流水号", 20),
        ("附件数", 3),
        ("说明行数", 3),
    ]
);
kind!(NOTE, "07", "说明", [("续行标志", 1), ("说明内容", 200)]);
kind!(
    WITHDRAWAL,
    "08",
    "撤回主记录",
    [("平台办件编号", 30), ("业务流水号", 20), ("说明行数", 3)]
);
kind!(
    SUPPLEMENT_RECEIPT,
    "22",
    "补正回执",
    [
        ("平台办件编号", 30),
        ("业务流水号", 20),
        ("附件数", 3),
        ("重复标志", 1),
    ]
);
kind!(
    WITHDRAWAL_RECEIPT,
    "23",
    "撤回回执",
    [
        ("平台办件编号", 30),
        ("业务流水号", 20),
        ("撤回时间", 14),
        ("重复标志", 1),
    ]
);
kind!(
    HOLDER_QUERY,
    "31",
    "证照查询条件",
    [("证件号码", 18), ("姓名", 30)]
);
kind!(
    VERIFY_QUERY,
    "32",
    "证照核验条件",
    [("证照类型代码", 6), ("证照编号", 20)]
);

impl std::fmt::Debug for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code, self.name)
    }
}

/// A record to answer with, as named values (fields not named are blank).
#[derive(Debug, Clone)]
pub struct Out {
    /// Its record type.
    pub kind: &'static Kind,
    /// Values by field name.
    pub values: Vec<(&'static str, String)>,
}

impl Out {
    /// An empty record of `kind`.
    pub fn new(kind: &'static Kind) -> Self {
        Self {
            kind,
            values: Vec::new(),
        }
    }

    /// Sets `field` (replacing an earlier value).
    pub fn set(mut self, field: &'static str, value: impl Into<String>) -> Self {
        self.put(field, value.into());
        self
    }

    fn put(&mut self, field: &'static str, value: String) {
        match self.values.iter_mut().find(|(f, _)| *f == field) {
            Some(slot) => slot.1 = value,
            None => self.values.push((field, value)),
        }
    }

    /// The value of `field`, empty when not set.
    pub fn get(&self, field: &str) -> &str {
        self.values
            .iter()
            .find(|(f, _)| *f == field)
            .map_or("", |(_, v)| v)
    }

    /// The record in GBK; values too long for their field are cut at a character boundary.
    pub fn encode(&self) -> Vec<u8> {
        let fitted: Vec<(&str, String)> = self
            .kind
            .fields
            .iter()
            .map(|&(field, width)| {
                let value = if field == "记录类型" {
                    self.kind.code
                } else {
                    self.get(field)
                };
                (field, fit(value, width))
            })
            .collect();
        let values: Vec<(&str, &str)> = fitted.iter().map(|(f, v)| (*f, v.as_str())).collect();
        self.kind
            .layout
            .format(&values)
            .unwrap_or_else(|e| unreachable!("fitted values always format: {e}"))
    }
}

/// The longest prefix of `value` that fits `width` GBK bytes; characters GBK lacks become `?`.
fn fit(value: &str, width: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    let mut buffer = [0u8; 4];
    for c in value.chars() {
        let c = match gbk::encode(c.encode_utf8(&mut buffer)) {
            Ok(bytes) if !c.is_control() => (c, bytes.len()),
            _ => ('?', 1),
        };
        if used + c.1 > width {
            break;
        }
        used += c.1;
        out.push(c.0);
    }
    out
}

/// An answer before it is written: the header's 返回码 and 返回信息, and the data records.
#[derive(Debug, Clone)]
pub struct Reply {
    /// 返回码.
    pub code: &'static str,
    /// 返回信息.
    pub message: String,
    /// The data records.
    pub records: Vec<Out>,
}

impl Reply {
    /// A successful answer with `records`.
    pub fn ok(records: Vec<Out>) -> Self {
        Self {
            code: "0000",
            message: "成功".to_owned(),
            records,
        }
    }

    /// A failed answer.
    pub fn failure(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            records: Vec::new(),
        }
    }
}

/// Fields the `missing-element` fault blanks, by record type, in this order of preference.
const DROPPABLE: &[(&str, &str)] = &[
    ("10", "事项名称"),
    ("20", "业务流水号"),
    ("21", "状态代码"),
    ("22", "业务流水号"),
    ("23", "业务流水号"),
    ("30", "证照编号"),
];

/// The 返回码 the `unknown-code` fault puts in an answer without data records.
pub const UNDEFINED_CODE: &str = "5001";

/// Writes the answer to `tx`, damaged as `fault` says (truncation is the middleware's).
pub fn respond(tx: &str, mut reply: Reply, fault: Fault) -> Response {
    let mut header_code = reply.code.to_owned();
    if fault == Fault::MissingElement {
        let target = reply.records.iter_mut().find_map(|r| {
            DROPPABLE
                .iter()
                .find(|(code, _)| *code == r.kind.code)
                .map(|&(_, field)| (r, field))
        });
        match target {
            Some((record, field)) => record.put(field, String::new()),
            None => header_code.clear(),
        }
    }
    let unknown_type = fault == Fault::UnknownCode && !reply.records.is_empty();
    if fault == Fault::UnknownCode && reply.records.is_empty() {
        header_code = UNDEFINED_CODE.to_owned();
    }
    let header = Out::new(&HEADER)
        .set("交易码", tx)
        .set("返回码", header_code)
        .set("返回信息", reply.message.clone())
        .set("记录数", format!("{:06}", reply.records.len()));
    let mut body = Vec::new();
    for (i, record) in std::iter::once(&header).chain(&reply.records).enumerate() {
        let mut bytes = record.encode();
        if unknown_type && i == 1 {
            bytes[..2].copy_from_slice(b"99");
        }
        body.extend_from_slice(&bytes);
        body.extend_from_slice(b"\r\n");
    }
    let (body, content_type) = if fault == Fault::WrongEncoding {
        let text = gbk::decode(&body).unwrap_or_else(|e| unreachable!("answers are GBK: {e}"));
        (text.into_bytes(), "text/plain; charset=UTF-8")
    } else {
        (body, "text/plain; charset=GBK")
    };
    (StatusCode::OK, [(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// Splits a request body into its CRLF-ended records; the message is the 返回信息 of a 1001.
pub fn split(body: &[u8]) -> Result<Vec<&[u8]>, String> {
    if body.is_empty() {
        return Err("请求报文为空".to_owned());
    }
    let mut lines = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let n = lines.len() + 1;
        let Some(at) = rest.iter().position(|&b| b == b'\n') else {
            return Err(format!("第{n}条记录没有以CRLF结束，报文不完整"));
        };
        let Some(line) = rest[..at].strip_suffix(b"\r") else {
            return Err(format!("第{n}条记录以LF结束，记录应以CRLF分隔"));
        };
        lines.push(line);
        rest = &rest[at + 1..];
    }
    Ok(lines)
}

/// Parses record `n` (1-based) of a request, which must be of `kind`.
pub fn parse<'a>(line: &[u8], n: usize, kind: &'a Kind) -> Result<Record<'a>, String> {
    let code = line.get(..2).unwrap_or(line);
    if code != kind.code.as_bytes() {
        return Err(format!(
            "第{n}条记录的记录类型为“{}”，此处应为{}（{}）",
            String::from_utf8_lossy(code),
            kind.code,
            kind.name
        ));
    }
    kind.layout.parse(line).map_err(|e| {
        let problem = match e {
            FixedError::Truncated { expected, found }
            | FixedError::RecordTooLong { expected, found } => {
                format!("长度为{found}字节，应为{expected}字节")
            }
            FixedError::SplitCharacter { field, .. } => {
                format!("字段“{field}”末尾截断了双字节字符")
            }
            FixedError::Encoding { field, .. } => format!("字段“{field}”不是有效的GBK编码"),
            other => other.to_string(),
        };
        format!("第{n}条记录（{} {}）{problem}", kind.code, kind.name)
    })
}

/// The record type of a request record, for dispatching.
pub fn type_of(line: &[u8]) -> &[u8] {
    line.get(..2).unwrap_or(line)
}
