//! Reading a case file `sqbj/SQ_<平台办件编号>.csv`: four sections (申请, 表单, 附件,
//! 证照), each a header row `#<section>,…` and its data rows.

use std::collections::HashMap;

use base64::Engine as _;
use onewindow_codes::{credit_code, date, gbk, id_number};
use serde::Serialize;

use super::catalogue::{self, Matter};
use super::csv;

/// 申请人.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Applicant {
    /// 申请人类型: `1` 自然人, `2` 法人或其他组织.
    pub kind: String,
    /// 申请人.
    pub name: String,
    /// 证件种类: `1` 居民身份证, `8` 统一社会信用代码.
    pub id_kind: String,
    /// 证件号码.
    pub id: String,
}

impl Applicant {
    /// Whether the applicant is an organization.
    pub fn is_organization(&self) -> bool {
        self.kind == "2"
    }
}

/// One 表单 row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FormField {
    /// 字段名.
    pub name: String,
    /// 字段值.
    pub value: String,
}

/// One 附件 row; the content is decoded and measured, not kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attachment {
    /// 材料编码.
    pub material: String,
    /// 文件名.
    pub file_name: String,
    /// 文件类型.
    pub media_type: String,
    /// Decoded size in bytes.
    pub size: usize,
}

/// One 证照 row: a license reused in place of a material.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LicenseRow {
    /// 材料编码.
    pub material: String,
    /// 证件种类 (`1`, `7`, `10`, `11`, `99`).
    pub kind: String,
    /// 证照名称.
    pub name: String,
    /// 证照号码.
    pub number: String,
    /// 持证人.
    pub holder: String,
    /// 持证人证件号码.
    pub holder_id: String,
    /// 发证机关.
    pub issuer: String,
    /// 发证日期, `YYYYMMDD`.
    pub issued_on: String,
    /// 有效期至, `YYYYMMDD` or empty (长期).
    pub valid_until: String,
}

/// A case file the batch job accepted.
#[derive(Debug, Clone)]
pub struct CaseFile {
    /// 平台办件编号.
    pub case_no: String,
    /// The matter applied for.
    pub matter: &'static Matter,
    /// 申请人.
    pub applicant: Applicant,
    /// 受理时间, `YYYYMMDDHHMMSS`.
    pub accepted_at: String,
    /// 表单.
    pub form: Vec<FormField>,
    /// 附件.
    pub attachments: Vec<Attachment>,
    /// 证照.
    pub licenses: Vec<LicenseRow>,
}

/// Why a case file was not accepted, and its 平台办件编号 when it could be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// 平台办件编号, when known.
    pub case_no: Option<String>,
    /// The reason, in Chinese.
    pub reason: String,
}

/// 证件种类 of 证照 rows.
pub const LICENSE_KINDS: &[&str] = &["1", "7", "10", "11", "99"];

/// The sections of a file: each one's name and the columns its header must have.
pub(super) type Sections<'s> = &'s [(&'s str, &'s [&'s str])];

const SECTIONS: [(&str, &[&str]); 4] = [
    (
        "申请",
        &[
            "平台办件编号",
            "事项编码",
            "申请人类型",
            "申请人",
            "证件种类",
            "证件号码",
            "受理时间",
        ],
    ),
    ("表单", &["字段名", "字段值"]),
    ("附件", ATTACHMENT_COLUMNS),
    (
        "证照",
        &[
            "材料编码",
            "证件种类",
            "证照名称",
            "证照号码",
            "持证人",
            "持证人证件号码",
            "发证机关",
            "发证日期",
            "有效期至",
        ],
    ),
];

/// The 平台办件编号 a case file's name carries (`SQ_<n>.csv`).
pub fn case_no_of(file_name: &str) -> Option<&str> {
    file_name.strip_prefix("SQ_")?.strip_suffix(".csv")
}

/// Reads the case file `file_name` with `bytes`.
pub fn parse(file_name: &str, bytes: &[u8]) -> Result<CaseFile, Rejection> {
    let from_name = case_no_of(file_name).map(str::to_owned);
    let reject = |case_no: Option<String>, reason: String| Rejection { case_no, reason };
    let records = records("申请文件", bytes).map_err(|e| reject(from_name.clone(), e))?;
    let sections = split(&records, &SECTIONS).map_err(|e| reject(from_name.clone(), e))?;

    let apply = &sections[0];
    let [row] = apply.rows.as_slice() else {
        return Err(reject(
            from_name,
            format!("[申请]段应有且仅有一行，实际{}行", apply.rows.len()),
        ));
    };
    let case_no = apply.value(row, "平台办件编号").to_owned();
    if case_no.is_empty() {
        return Err(reject(from_name, "缺少平台办件编号".to_owned()));
    }
    let known = Some(case_no.clone());
    let fail = |reason: String| reject(known.clone(), reason);
    if from_name.as_deref() != Some(case_no.as_str()) {
        return Err(fail(format!(
            "文件名{file_name}与平台办件编号{case_no}不一致"
        )));
    }
    let matter_code = apply.value(row, "事项编码");
    let matter =
        catalogue::find(matter_code).ok_or_else(|| fail(format!("事项编码{matter_code}不存在")))?;
    let applicant = Applicant {
        kind: apply.value(row, "申请人类型").to_owned(),
        name: apply.value(row, "申请人").to_owned(),
        id_kind: apply.value(row, "证件种类").to_owned(),
        id: apply.value(row, "证件号码").to_owned(),
    };
    let check = match (applicant.kind.as_str(), applicant.id_kind.as_str()) {
        ("1", "1") => id_number::validate(&applicant.id),
        ("2", "8") => credit_code::validate(&applicant.id),
        (kind, id_kind) => {
            return Err(fail(format!(
                "申请人类型{kind}与证件种类{id_kind}不符（自然人为1/1，法人或其他组织为2/8）"
            )));
        }
    };
    check.map_err(|e| fail(format!("申请人证件号码{}无效：{e}", applicant.id)))?;
    if applicant.name.is_empty() {
        return Err(fail("缺少申请人".to_owned()));
    }
    let accepted_at = apply.value(row, "受理时间").to_owned();
    date::parse_datetime(&accepted_at)
        .map_err(|_| fail(format!("受理时间{accepted_at}不是YYYYMMDDHHMMSS格式")))?;

    let form_section = &sections[1];
    let form = form_section
        .rows
        .iter()
        .map(|r| FormField {
            name: form_section.value(r, "字段名").to_owned(),
            value: form_section.value(r, "字段值").to_owned(),
        })
        .collect();

    let attachments = attachments(&sections[2]).map_err(fail)?;

    let reused = &sections[3];
    let mut licenses = Vec::new();
    for r in &reused.rows {
        let license = LicenseRow {
            material: reused.value(r, "材料编码").to_owned(),
            kind: reused.value(r, "证件种类").to_owned(),
            name: reused.value(r, "证照名称").to_owned(),
            number: reused.value(r, "证照号码").to_owned(),
            holder: reused.value(r, "持证人").to_owned(),
            holder_id: reused.value(r, "持证人证件号码").to_owned(),
            issuer: reused.value(r, "发证机关").to_owned(),
            issued_on: reused.value(r, "发证日期").to_owned(),
            valid_until: reused.value(r, "有效期至").to_owned(),
        };
        if !LICENSE_KINDS.contains(&license.kind.as_str()) {
            return Err(fail(format!(
                "证照{}的证件种类{}未定义",
                license.number, license.kind
            )));
        }
        if license.number.is_empty() || license.holder.is_empty() || license.issuer.is_empty() {
            return Err(fail("证照行缺少证照号码、持证人或发证机关".to_owned()));
        }
        date::parse(&license.issued_on).map_err(|_| {
            fail(format!(
                "证照{}的发证日期{}无效",
                license.number, license.issued_on
            ))
        })?;
        if !license.valid_until.is_empty() {
            date::parse(&license.valid_until).map_err(|_| {
                fail(format!(
                    "证照{}的有效期至{}无效",
                    license.number, license.valid_until
                ))
            })?;
        }
        licenses.push(license);
    }

    Ok(CaseFile {
        case_no,
        matter,
        applicant,
        accepted_at,
        form,
        attachments,
        licenses,
    })
}

/// The records of a GBK CSV file the platform wrote; `what` names it in the
/// error (申请文件, 补正文件, 撤回文件).
pub(super) fn records(what: &str, bytes: &[u8]) -> Result<Vec<Vec<String>>, String> {
    if !bytes.is_ascii() && std::str::from_utf8(bytes).is_ok() {
        return Err(format!("{what}是UTF-8编码，应为GBK编码"));
    }
    let text = gbk::decode(bytes).map_err(|e| format!("{what}不是有效的GBK编码（{e}）"))?;
    if !text.ends_with('\n') {
        return Err(format!("{what}不完整：最后一行没有换行符"));
    }
    csv::parse(&text).map_err(|e| format!("{what}格式错误：{e}"))
}

/// The columns of an [附件] section, in case files and 补正 files alike.
pub(super) const ATTACHMENT_COLUMNS: &[&str] = &["材料编码", "文件名", "文件类型", "文件内容"];

/// The files of an [附件] section, their base64 content decoded and measured.
pub(super) fn attachments(files: &Section<'_>) -> Result<Vec<Attachment>, String> {
    let mut attachments = Vec::new();
    for r in &files.rows {
        let content = base64::engine::general_purpose::STANDARD
            .decode(files.value(r, "文件内容"))
            .map_err(|e| format!("附件{}的文件内容不是BASE64：{e}", files.value(r, "文件名")))?;
        attachments.push(Attachment {
            material: files.value(r, "材料编码").to_owned(),
            file_name: files.value(r, "文件名").to_owned(),
            media_type: files.value(r, "文件类型").to_owned(),
            size: content.len(),
        });
    }
    Ok(attachments)
}

/// One section of a file: its column positions and data rows.
pub(super) struct Section<'a> {
    columns: HashMap<&'a str, usize>,
    /// The data rows.
    pub rows: Vec<&'a [String]>,
}

impl Section<'_> {
    /// The trimmed value of `column` in `row`; empty when the column is missing.
    pub fn value<'r>(&self, row: &'r [String], column: &str) -> &'r str {
        self.columns
            .get(column)
            .and_then(|&i| row.get(i))
            .map_or("", |v| v.trim())
    }
}

/// Splits the records of a file into `expected` sections, each a header row
/// `#<name>,<columns…>` and its data rows `<name>,<values…>`; every section must be
/// there, in order. The error says what is wrong, in Chinese.
pub(super) fn split<'a>(
    records: &'a [Vec<String>],
    expected: Sections<'_>,
) -> Result<Vec<Section<'a>>, String> {
    let mut sections: Vec<Section<'_>> = Vec::new();
    let mut widths = Vec::new();
    for (line, record) in records.iter().enumerate() {
        let first = record[0].as_str();
        if let Some(name) = first.strip_prefix('#') {
            let Some(&(wanted, required)) = expected.get(sections.len()) else {
                return Err(format!("多余的段[{name}]"));
            };
            if name != wanted {
                return Err(format!("应为[{wanted}]段，实际为[{name}]段"));
            }
            let columns: HashMap<&str, usize> = record
                .iter()
                .enumerate()
                .skip(1)
                .map(|(i, c)| (c.trim(), i))
                .collect();
            if let Some(missing) = required.iter().find(|c| !columns.contains_key(*c)) {
                return Err(format!("[{name}]段缺少列{missing}"));
            }
            widths.push(record.len());
            sections.push(Section {
                columns,
                rows: Vec::new(),
            });
            continue;
        }
        if sections.is_empty() {
            let first_section = expected.first().map_or("", |&(name, _)| name);
            return Err(format!("文件应以[{first_section}]段的表头开始"));
        }
        let index = sections.len() - 1;
        let section = expected[index].0;
        if first != section {
            return Err(format!(
                "第{}行的记录类型{first}不属于[{section}]段",
                line + 1
            ));
        }
        let width = widths[index];
        if record.len() != width {
            return Err(format!(
                "第{}行有{}个字段，[{section}]段的表头有{width}个",
                line + 1,
                record.len()
            ));
        }
        sections[index].rows.push(record);
    }
    if let Some(&(missing, _)) = expected.get(sections.len()) {
        return Err(format!("缺少[{missing}]段"));
    }
    Ok(sections)
}
