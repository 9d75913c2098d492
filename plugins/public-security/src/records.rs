//! The 人口信息管理系统's framing: GBK fixed-width records, one per CRLF-ended line,
//! each opened by a two-digit record type that selects its layout.
//!
//! [`Answer::records`] checks an answer's HTTP status, charset, line structure and
//! header record (`00`), maps its 返回码 to the contract's errors, and hands back the
//! data records parsed with their layouts. Every complaint names the transaction,
//! the record (1-based among the data records) and the field.

use std::fmt::Display;
use std::sync::LazyLock;

use onewindow_sdk::codes::fixed::{self, FixedError, Layout};
use onewindow_sdk::codes::gbk;
use onewindow_sdk::types::AdapterError;

/// What the system's requests are sent as.
pub const CONTENT_TYPE: &str = "text/plain; charset=GBK";

/// What the system is called in messages.
pub const SYSTEM: &str = "the 县公安局 人口信息管理系统";

/// A record type: its two-digit code, its name in the specification and its layout.
pub struct Kind {
    /// `10`, `21`, …
    pub code: &'static str,
    /// `事项`, `状态变化`, …
    pub name: &'static str,
    /// The field that identifies a record of this type in messages.
    pub key: Option<&'static str>,
    layout: &'static LazyLock<Layout>,
}

impl Kind {
    /// The layout's width in bytes.
    pub fn width(&self) -> usize {
        self.layout.width()
    }

    /// Writes one record of this type (without its CRLF); the record type is filled in.
    pub fn format(&self, values: &[(&str, &str)]) -> Result<Vec<u8>, FixedError> {
        let mut all = Vec::with_capacity(values.len() + 1);
        all.push(("记录类型", self.code));
        all.extend_from_slice(values);
        self.layout.format(&all)
    }
}

macro_rules! layout {
    ($name:ident, [$(($field:literal, $width:literal)),* $(,)?]) => {
        static $name: LazyLock<Layout> =
            LazyLock::new(|| Layout::new(&[("记录类型", 2), $(($field, $width)),*]));
    };
}

layout!(
    HEADER_LAYOUT,
    [
        ("交易码", 4),
        ("返回码", 4),
        ("返回信息", 80),
        ("记录数", 6)
    ]
);
layout!(
    MATTER_LAYOUT,
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
layout!(
    MATERIAL_LAYOUT,
    [
        ("材料编码", 10),
        ("材料名称", 60),
        ("必要标志", 1),
        ("可替代证照", 20)
    ]
);
layout!(
    FORM_FIELD_LAYOUT,
    [
        ("字段名", 40),
        ("显示名称", 60),
        ("字段类型", 2),
        ("必填标志", 1),
        ("取值来源", 2),
        ("可选值", 200),
    ]
);
layout!(
    RECEIPT_LAYOUT,
    [("平台办件编号", 30), ("业务流水号", 20), ("重复标志", 1)]
);
layout!(
    PAGE_LAYOUT,
    [("起始序号", 12), ("最大序号", 12), ("后页标志", 1)]
);
layout!(
    CHANGE_LAYOUT,
    [
        ("序号", 12),
        ("平台办件编号", 30),
        ("业务流水号", 20),
        ("状态代码", 2),
        ("办理时间", 14),
        ("办理意见", 200),
    ]
);
layout!(
    LICENSE_LAYOUT,
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
layout!(
    SUBMISSION_LAYOUT,
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
layout!(
    FORM_LAYOUT,
    [("字段名", 40), ("续行标志", 1), ("字段值", 200)]
);
layout!(
    ATTACHMENT_LAYOUT,
    [
        ("材料编码", 10),
        ("文件名", 80),
        ("媒体类型", 40),
        ("文件大小", 10),
        ("内容行数", 6),
    ]
);
layout!(CONTENT_LAYOUT, [("内容", 76)]);
layout!(
    REUSED_LAYOUT,
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
layout!(
    SUPPLEMENT_LAYOUT,
    [
        ("平台办件编号", 30),
        ("业务流水号", 20),
        ("附件数", 3),
        ("说明行数", 3),
    ]
);
layout!(NOTE_LAYOUT, [("续行标志", 1), ("说明内容", 200)]);
layout!(
    WITHDRAWAL_LAYOUT,
    [("平台办件编号", 30), ("业务流水号", 20), ("说明行数", 3)]
);
layout!(
    SUPPLEMENT_RECEIPT_LAYOUT,
    [
        ("平台办件编号", 30),
        ("业务流水号", 20),
        ("附件数", 3),
        ("重复标志", 1),
    ]
);
layout!(
    WITHDRAWAL_RECEIPT_LAYOUT,
    [
        ("平台办件编号", 30),
        ("业务流水号", 20),
        ("撤回时间", 14),
        ("重复标志", 1),
    ]
);
layout!(HOLDER_QUERY_LAYOUT, [("证件号码", 18), ("姓名", 30)]);
layout!(VERIFY_QUERY_LAYOUT, [("证照类型代码", 6), ("证照编号", 20)]);

/// `00` 头记录.
pub static HEADER: Kind = Kind {
    code: "00",
    name: "头记录",
    key: None,
    layout: &HEADER_LAYOUT,
};
/// `10` 事项.
pub static MATTER: Kind = Kind {
    code: "10",
    name: "事项",
    key: Some("事项编码"),
    layout: &MATTER_LAYOUT,
};
/// `11` 材料.
pub static MATERIAL: Kind = Kind {
    code: "11",
    name: "材料",
    key: Some("材料编码"),
    layout: &MATERIAL_LAYOUT,
};
/// `12` 表单项定义.
pub static FORM_FIELD: Kind = Kind {
    code: "12",
    name: "表单项定义",
    key: Some("字段名"),
    layout: &FORM_FIELD_LAYOUT,
};
/// `20` 办件回执.
pub static RECEIPT: Kind = Kind {
    code: "20",
    name: "办件回执",
    key: Some("平台办件编号"),
    layout: &RECEIPT_LAYOUT,
};
/// `29` 分页信息.
pub static PAGE: Kind = Kind {
    code: "29",
    name: "分页信息",
    key: None,
    layout: &PAGE_LAYOUT,
};
/// `21` 状态变化.
pub static CHANGE: Kind = Kind {
    code: "21",
    name: "状态变化",
    key: Some("序号"),
    layout: &CHANGE_LAYOUT,
};
/// `30` 证照.
pub static LICENSE: Kind = Kind {
    code: "30",
    name: "证照",
    key: Some("证照编号"),
    layout: &LICENSE_LAYOUT,
};
/// `01` 申报主记录 (request).
pub static SUBMISSION: Kind = Kind {
    code: "01",
    name: "申报主记录",
    key: Some("平台办件编号"),
    layout: &SUBMISSION_LAYOUT,
};
/// `02` 表单项 (request).
pub static FORM: Kind = Kind {
    code: "02",
    name: "表单项",
    key: Some("字段名"),
    layout: &FORM_LAYOUT,
};
/// `03` 附件 (request).
pub static ATTACHMENT: Kind = Kind {
    code: "03",
    name: "附件",
    key: Some("文件名"),
    layout: &ATTACHMENT_LAYOUT,
};
/// `04` 附件内容 (request).
pub static CONTENT: Kind = Kind {
    code: "04",
    name: "附件内容",
    key: None,
    layout: &CONTENT_LAYOUT,
};
/// `05` 随件证照 (request).
pub static REUSED: Kind = Kind {
    code: "05",
    name: "随件证照",
    key: Some("证照编号"),
    layout: &REUSED_LAYOUT,
};
/// `06` 补正主记录 (request).
pub static SUPPLEMENT: Kind = Kind {
    code: "06",
    name: "补正主记录",
    key: Some("平台办件编号"),
    layout: &SUPPLEMENT_LAYOUT,
};
/// `07` 说明 (request).
pub static NOTE: Kind = Kind {
    code: "07",
    name: "说明",
    key: None,
    layout: &NOTE_LAYOUT,
};
/// `08` 撤回主记录 (request).
pub static WITHDRAWAL: Kind = Kind {
    code: "08",
    name: "撤回主记录",
    key: Some("平台办件编号"),
    layout: &WITHDRAWAL_LAYOUT,
};
/// `22` 补正回执.
pub static SUPPLEMENT_RECEIPT: Kind = Kind {
    code: "22",
    name: "补正回执",
    key: Some("平台办件编号"),
    layout: &SUPPLEMENT_RECEIPT_LAYOUT,
};
/// `23` 撤回回执.
pub static WITHDRAWAL_RECEIPT: Kind = Kind {
    code: "23",
    name: "撤回回执",
    key: Some("平台办件编号"),
    layout: &WITHDRAWAL_RECEIPT_LAYOUT,
};
/// `31` 证照查询条件 (request).
pub static HOLDER_QUERY: Kind = Kind {
    code: "31",
    name: "证照查询条件",
    key: None,
    layout: &HOLDER_QUERY_LAYOUT,
};
/// `32` 证照核验条件 (request).
pub static VERIFY_QUERY: Kind = Kind {
    code: "32",
    name: "证照核验条件",
    key: None,
    layout: &VERIFY_QUERY_LAYOUT,
};

/// One of the system's transactions.
#[derive(Debug, Clone, Copy)]
pub struct Transaction {
    /// 交易码, e.g. `1001`.
    pub code: &'static str,
    /// Its name, e.g. `事项清单查询`.
    pub name: &'static str,
}

impl Transaction {
    /// `交易1001（事项清单查询）`, as messages name it.
    pub fn label(&self) -> String {
        format!("交易{}（{}）", self.code, self.name)
    }
}

/// `1001` 事项清单查询.
pub const CATALOGUE: Transaction = Transaction {
    code: "1001",
    name: "事项清单查询",
};
/// `2001` 办件申报.
pub const SUBMIT: Transaction = Transaction {
    code: "2001",
    name: "办件申报",
};
/// `2002` 办件状态查询.
pub const STATUS: Transaction = Transaction {
    code: "2002",
    name: "办件状态查询",
};
/// `2003` 补正材料提交.
pub const SUPPLEMENT_TX: Transaction = Transaction {
    code: "2003",
    name: "补正材料提交",
};
/// `2004` 撤回申请.
pub const WITHDRAW_TX: Transaction = Transaction {
    code: "2004",
    name: "撤回申请",
};
/// `3001` 证照查询.
pub const HOLDER: Transaction = Transaction {
    code: "3001",
    name: "证照查询",
};
/// `3002` 证照核验.
pub const VERIFY: Transaction = Transaction {
    code: "3002",
    name: "证照核验",
};

/// A legacy system's raw HTTP answer, as the translation functions take it.
#[derive(Debug, Clone, Copy)]
pub struct Answer<'b> {
    /// The HTTP status code.
    pub status: u16,
    /// The `Content-Type` header, empty when absent.
    pub content_type: &'b str,
    /// The body as sent.
    pub body: &'b [u8],
}

/// One parsed data record of an answer, with what it is for messages.
pub struct Rec {
    what: String,
    /// 1-based among the data records (the header is record 0).
    pub index: usize,
    /// Its record type.
    pub kind: &'static Kind,
    record: fixed::Record<'static>,
}

impl Rec {
    /// `the answer to 交易1001（事项清单查询）: record 3 (10 事项 330122-GA-QR-001)`.
    fn place(&self) -> String {
        let key = self
            .kind
            .key
            .and_then(|k| self.record.get(k))
            .filter(|v| !v.is_empty())
            .map(|v| format!(" {v}"))
            .unwrap_or_default();
        format!(
            "{}: record {} ({} {}{key})",
            self.what, self.index, self.kind.code, self.kind.name
        )
    }

    /// The value of `field`, empty when blank.
    pub fn get(&self, field: &str) -> &str {
        self.record.get(field).unwrap_or_default()
    }

    /// The value of a field the specification requires.
    pub fn require(&self, field: &str) -> Result<&str, AdapterError> {
        match self.get(field) {
            "" => Err(AdapterError::Unavailable(format!(
                "{} has an empty {field}, which the specification requires",
                self.place()
            ))),
            value => Ok(value),
        }
    }

    /// An error about this record.
    pub fn error(&self, problem: impl Display) -> AdapterError {
        AdapterError::Unavailable(format!("{} {problem}", self.place()))
    }

    /// An error for a field whose value is not what the specification allows.
    pub fn unexpected(&self, field: &str, value: &str, expected: &str) -> AdapterError {
        self.error(format_args!("has {field} \"{value}\"; expected {expected}"))
    }

    /// `field` as one of the codes in `table`.
    pub fn coded<T: Copy>(&self, field: &str, table: &[(&str, T)]) -> Result<T, AdapterError> {
        let code = self.require(field)?;
        match table.iter().find(|(c, _)| *c == code) {
            Some(&(_, value)) => Ok(value),
            None => {
                let codes: Vec<&str> = table.iter().map(|(c, _)| *c).collect();
                Err(self.error(format_args!(
                    "has {field} \"{code}\", a code the specification does not define (expected one of {})",
                    codes.join(", ")
                )))
            }
        }
    }

    /// `field` as a whole number (the system zero-fills them).
    pub fn number(&self, field: &str) -> Result<u64, AdapterError> {
        let text = self.require(field)?;
        parse_number(text).ok_or_else(|| self.unexpected(field, text, "a whole number"))
    }

    /// `field` as a 1/0 flag.
    pub fn flag(&self, field: &str) -> Result<bool, AdapterError> {
        match self.require(field)? {
            "1" => Ok(true),
            "0" => Ok(false),
            other => Err(self.unexpected(field, other, "1 (yes) or 0 (no)")),
        }
    }
}

/// Digits that fit in 64 bits.
pub fn parse_number(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// The outcome of a header's 返回码.
const RETURN_CODES: &[&str] = &["0000", "1001", "2001", "3001", "9001", "9999"];

impl Answer<'_> {
    /// Checks the answer to `tx` and parses its data records, each of one of `kinds`.
    pub fn records(
        &self,
        tx: Transaction,
        kinds: &[&'static Kind],
    ) -> Result<Vec<Rec>, AdapterError> {
        let what = format!("the answer to {}", tx.label());
        let broken = |problem: String| AdapterError::Unavailable(format!("{what} {problem}"));
        if !(200..300).contains(&self.status) {
            return Err(AdapterError::Unavailable(format!(
                "{SYSTEM} answered HTTP {} to {} instead of records; it is down or overloaded, try again later",
                self.status,
                tx.label()
            )));
        }
        if let Some(label) = gbk::content_type_charset(self.content_type) {
            let gbk_family = encoding_rs::Encoding::for_label(label.as_bytes())
                .is_some_and(|e| e == encoding_rs::GBK || e == encoding_rs::GB18030);
            if !gbk_family {
                return Err(broken(format!(
                    "is declared as charset={label}, but the system's records are GBK and their field widths count GBK bytes; it cannot be read (is the system misconfigured?)"
                )));
            }
        }
        if self.body.is_empty() {
            return Err(broken(
                "is empty: not even the header record (00) came".into(),
            ));
        }
        let lines = split_lines(self.body).map_err(|(line, problem)| {
            broken(format!("is cut off or damaged: record {line} {problem}"))
        })?;
        let (header, data) = lines
            .split_first()
            .ok_or_else(|| broken("has no header record (00)".into()))?;
        let header = self.header(&what, tx, header)?;
        let announced = header.number("记录数")?;
        if u64::try_from(data.len()).ok() != Some(announced) {
            let cut = if (data.len() as u64) < announced {
                "; the answer was cut off"
            } else {
                ""
            };
            return Err(broken(format!(
                "announces {announced} data records (记录数 in the header) but {} follow{cut}",
                data.len()
            )));
        }
        data.iter()
            .enumerate()
            .map(|(i, line)| parse_line(&what, i + 1, line, kinds))
            .collect()
    }

    fn header(&self, what: &str, tx: Transaction, line: &[u8]) -> Result<Rec, AdapterError> {
        let header = parse_line(what, 0, line, &[&HEADER])?;
        let answered = header.require("交易码")?;
        if answered != tx.code {
            return Err(header.error(format_args!(
                "answers 交易码 {answered}, not the {} that was asked",
                tx.code
            )));
        }
        let code = header.require("返回码")?;
        let message = header.get("返回信息");
        let said = |fallback: &str| {
            if message.is_empty() {
                fallback.to_owned()
            } else {
                message.to_owned()
            }
        };
        match code {
            "0000" => Ok(header),
            "1001" => Err(AdapterError::Invalid(format!(
                "{SYSTEM} rejected {} as malformed (返回码 1001): {}",
                tx.label(),
                said("no reason given")
            ))),
            "2001" => Err(AdapterError::NotFound(said(&format!(
                "{SYSTEM} found nothing for {} (返回码 2001)",
                tx.label()
            )))),
            "3001" => Err(AdapterError::Refused(said(&format!(
                "{SYSTEM} refused {} by its business rules (返回码 3001)",
                tx.label()
            )))),
            "9001" | "9999" => Err(AdapterError::Unavailable(format!(
                "{SYSTEM} failed on {} (返回码 {code}): {}; try again later",
                tx.label(),
                said("no reason given")
            ))),
            other => Err(header.error(format_args!(
                "has 返回码 \"{other}\", a code the specification does not define (expected one of {}); 返回信息: {}",
                RETURN_CODES.join(", "),
                said("(none)")
            ))),
        }
    }
}

/// Splits a body into its CRLF-ended records; on failure the 0-based record number
/// (the header is 0) and what is wrong with it.
fn split_lines(body: &[u8]) -> Result<Vec<&[u8]>, (usize, String)> {
    let mut lines = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let n = lines.len();
        // GBK trail bytes are never 0x0A or 0x0D, so a byte search cannot split a character.
        match rest.iter().position(|&b| b == b'\n') {
            None => {
                return Err((
                    n,
                    format!(
                        "ends after {} bytes without the CRLF that ends every record",
                        rest.len()
                    ),
                ));
            }
            Some(at) => {
                let Some(line) = rest[..at].strip_suffix(b"\r") else {
                    return Err((n, "ends with a bare LF; records end with CRLF".into()));
                };
                if line.contains(&b'\r') {
                    return Err((n, "holds a bare CR; records end with CRLF".into()));
                }
                lines.push(line);
                rest = &rest[at + 1..];
            }
        }
    }
    Ok(lines)
}

fn parse_line(
    what: &str,
    index: usize,
    line: &[u8],
    kinds: &[&'static Kind],
) -> Result<Rec, AdapterError> {
    let expected = || {
        kinds
            .iter()
            .map(|k| format!("{} {}", k.code, k.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some(code) = line.get(..2) else {
        return Err(AdapterError::Unavailable(format!(
            "{what}: record {index} is {} bytes long, too short even for its record type",
            line.len()
        )));
    };
    let Some(kind) = kinds.iter().find(|k| k.code.as_bytes() == code) else {
        return Err(AdapterError::Unavailable(format!(
            "{what}: record {index} has record type \"{}\", which the specification does not define here (expected {})",
            String::from_utf8_lossy(code),
            expected()
        )));
    };
    let record = kind.layout.parse(line).map_err(|error| {
        let problem = match &error {
            FixedError::Truncated { expected, found } => format!(
                "is {found} bytes long, shorter than the {expected} bytes of its layout: it was cut off"
            ),
            FixedError::RecordTooLong { expected, found } => format!(
                "is {found} bytes long, longer than the {expected} bytes of its layout: the fields do not match the specification (or the text is not GBK)"
            ),
            FixedError::SplitCharacter { field, offset } => format!(
                "has a double-byte character cut in half at the end of {field} (byte {offset}): the fields do not match the layout, or the text is not GBK"
            ),
            FixedError::Encoding { field, error } => {
                format!("has {field} that is not GBK text: {error}")
            }
            other => other.to_string(),
        };
        AdapterError::Unavailable(format!(
            "{what}: record {index} ({} {}) {problem}",
            kind.code, kind.name
        ))
    })?;
    Ok(Rec {
        what: what.to_owned(),
        index,
        kind,
        record,
    })
}

/// Joins records into a request body, each ended by CRLF.
pub fn body(records: Vec<Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::with_capacity(records.iter().map(|r| r.len() + 2).sum());
    for record in records {
        out.extend_from_slice(&record);
        out.extend_from_slice(b"\r\n");
    }
    out
}
