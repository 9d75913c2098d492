//! The 人口信息管理系统's transactions, mapped to and from the contract's types.
//!
//! Everything here is pure: requests come out as GBK record bytes (or a path with
//! its query) and answers go in as an [`Answer`], so the translation is tested
//! natively.

use base64::Engine as _;
use onewindow_sdk::codes::chrono::{DateTime, FixedOffset};
use onewindow_sdk::codes::{date, gbk, id_number};
use onewindow_sdk::types::{
    AdapterError, Attachment, CaseEvent, CaseStatus, CaseSubmission, EventPage, Field, FieldKind,
    FormField, License, LicenseStatus, Material, Matter, MatterKind, Party, PartyField, Person,
};

use crate::records::{
    self, ATTACHMENT, Answer, CATALOGUE, CHANGE, CONTENT, FORM, FORM_FIELD, HOLDER, HOLDER_QUERY,
    Kind, LICENSE, MATERIAL, MATTER, NOTE, PAGE, RECEIPT, REUSED, Rec, STATUS, SUBMISSION, SUBMIT,
    SUPPLEMENT, SUPPLEMENT_RECEIPT, SUPPLEMENT_TX, SYSTEM, Transaction, VERIFY, VERIFY_QUERY,
    WITHDRAW_TX, WITHDRAWAL, WITHDRAWAL_RECEIPT,
};

/// How many status changes one `2002` page asks for: the system's maximum.
pub const PAGE_SIZE: u32 = 100;

/// Bytes of a form value per `02` record.
const FORM_VALUE_WIDTH: usize = 200;

/// Base64 characters per `04` record.
const CONTENT_WIDTH: usize = 76;

/// The department's clock: Beijing time, which has no daylight saving.
const BEIJING: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("+08:00 is a valid offset"),
};

const MATTER_KINDS: &[(&str, MatterKind)] = &[
    ("XK", MatterKind::AdministrativeLicense),
    ("QR", MatterKind::AdministrativeConfirmation),
    ("JF", MatterKind::AdministrativePayment),
    ("CJ", MatterKind::AdministrativeRuling),
    ("JL", MatterKind::AdministrativeReward),
    ("QT", MatterKind::OtherPower),
    ("GF", MatterKind::PublicService),
];

/// 字段类型 of a `12` 表单项定义: `XZ` 选择 takes its values from 可选值.
const FIELD_KINDS: &[&str] = &["TX", "RQ", "SZ", "XZ", "SF", "XY", "DZ"];

/// How 可选值 separates a choice's values.
const OPTION_SEPARATOR: char = '|';

/// 取值来源 of a `12` 表单项定义.
const SOURCES: &[(&str, PartyField)] = &[
    ("XM", PartyField::Name),
    ("SF", PartyField::IdNumber),
    ("XY", PartyField::CreditCode),
    ("DZ", PartyField::Address),
    ("DH", PartyField::Phone),
    ("FR", PartyField::LegalRepresentative),
];

const CASE_STATUSES: &[(&str, CaseStatus)] = &[
    ("20", CaseStatus::InReview),
    ("25", CaseStatus::SupplementRequested),
    ("30", CaseStatus::Approved),
    ("35", CaseStatus::Denied),
    ("40", CaseStatus::Completed),
];

const LICENSE_STATUSES: &[(&str, LicenseStatus)] = &[
    ("1", LicenseStatus::Valid),
    ("2", LicenseStatus::Revoked), // 作废
    ("3", LicenseStatus::Expired),
];

/// A license type the system issues: its code, its name and the fields printed on it
/// in print order as (face key, field, whether the field is a date).
struct LicenseType {
    code: &'static str,
    name: &'static str,
    face: &'static [(&'static str, &'static str, bool)],
}

/// 居民身份证, 居民户口簿 (the holder's own page) and 居住证.
const LICENSE_TYPES: &[LicenseType] = &[
    LicenseType {
        code: "JMSFZ",
        name: "居民身份证",
        face: &[
            ("name", "持证人姓名", false),
            ("sex", "性别", false),
            ("ethnicity", "民族", false),
            ("birth-date", "出生日期", true),
            ("address", "住址", false),
            ("id-number", "持证人证件号码", false),
        ],
    },
    LicenseType {
        code: "JMHKB",
        name: "居民户口簿",
        face: &[
            ("household-no", "户号", false),
            ("head-of-household", "户主姓名", false),
            ("relationship", "与户主关系", false),
            ("name", "持证人姓名", false),
            ("sex", "性别", false),
            ("ethnicity", "民族", false),
            ("birth-date", "出生日期", true),
            ("id-number", "持证人证件号码", false),
            ("address", "住址", false),
        ],
    },
    LicenseType {
        code: "JZZ",
        name: "居住证",
        face: &[
            ("name", "持证人姓名", false),
            ("sex", "性别", false),
            ("id-number", "持证人证件号码", false),
            ("address", "住址", false),
        ],
    },
];

/// Whether the system issues licenses of `type_code`.
pub fn issues(type_code: &str) -> bool {
    LICENSE_TYPES.iter().any(|t| t.code == type_code)
}

/// The `1001` request: the whole catalogue (a `GET` without parameters).
pub fn catalogue_path() -> String {
    CATALOGUE.code.to_owned()
}

/// A `10` 事项 being read: its record, the matter so far and what it announced.
struct Open<'r> {
    record: &'r Rec,
    matter: Matter,
    materials: u64,
    fields: u64,
}

/// Reads the answer to `1001` into matters: each `10` followed by its `11`
/// materials, then its `12` form fields.
pub fn parse_catalogue(answer: &Answer<'_>) -> Result<Vec<Matter>, AdapterError> {
    let records = answer.records(CATALOGUE, &[&MATTER, &MATERIAL, &FORM_FIELD])?;
    let mut matters = Vec::new();
    let mut open: Option<Open<'_>> = None;
    for record in &records {
        if record.kind.code == MATTER.code {
            if let Some(done) = open.take() {
                matters.push(close(done)?);
            }
            open = Some(Open {
                record,
                matter: matter(record)?,
                materials: record.number("材料数")?,
                fields: record.number("表单项数")?,
            });
            continue;
        }
        let Some(Open { matter, .. }) = open.as_mut() else {
            return Err(record.error("comes before any 10 事项 record it could belong to"));
        };
        if record.kind.code == MATERIAL.code {
            if !matter.form.is_empty() {
                return Err(record.error(format_args!(
                    "comes after the 12 表单项定义 records of matter {}; its 11 材料 records come first",
                    matter.code
                )));
            }
            matter.materials.push(material(record)?);
        } else {
            let field = form_field(record)?;
            if matter.form.iter().any(|f| f.key == field.key) {
                return Err(record.error(format_args!(
                    "declares form field {} of matter {} a second time",
                    field.key, matter.code
                )));
            }
            matter.form.push(field);
        }
    }
    if let Some(done) = open.take() {
        matters.push(close(done)?);
    }
    Ok(matters)
}

fn close(open: Open<'_>) -> Result<Matter, AdapterError> {
    let Open {
        record,
        matter,
        materials,
        fields,
    } = open;
    if matter.materials.len() as u64 != materials {
        return Err(record.error(format_args!(
            "announces {materials} materials (材料数) but {} 11 材料 records follow it",
            matter.materials.len()
        )));
    }
    if matter.form.len() as u64 != fields {
        return Err(record.error(format_args!(
            "announces {fields} form fields (表单项数) but {} 12 表单项定义 records follow it",
            matter.form.len()
        )));
    }
    Ok(matter)
}

/// A `12` 表单项定义 as a form field.
fn form_field(record: &Rec) -> Result<FormField, AdapterError> {
    let options = record.get("可选值");
    let code = record.require("字段类型")?;
    if code != "XZ" && !options.is_empty() {
        return Err(record.error(format_args!(
            "has 可选值 \"{options}\" but its 字段类型 {code} is not a choice (XZ)"
        )));
    }
    let kind = match code {
        "TX" => FieldKind::Text,
        "RQ" => FieldKind::Date,
        "SZ" => FieldKind::Number,
        "SF" => FieldKind::IdNumber,
        "XY" => FieldKind::CreditCode,
        "DZ" => FieldKind::Address,
        "XZ" => {
            let values: Vec<String> = options
                .split(OPTION_SEPARATOR)
                .map(|v| v.trim().to_owned())
                .collect();
            if values.iter().any(String::is_empty) {
                return Err(record.unexpected(
                    "可选值",
                    options,
                    "the values of a choice (字段类型 XZ), separated by |, none of them empty",
                ));
            }
            FieldKind::Choice(values)
        }
        other => {
            return Err(record.error(format_args!(
                "has 字段类型 \"{other}\", a code the specification does not define (expected one of {})",
                FIELD_KINDS.join(", ")
            )));
        }
    };
    let from_party = match record.get("取值来源") {
        "" => None,
        _ => Some(record.coded("取值来源", SOURCES)?),
    };
    Ok(FormField {
        key: record.require("字段名")?.to_owned(),
        label: record.require("显示名称")?.to_owned(),
        kind,
        required: record.flag("必填标志")?,
        from_party,
    })
}

fn matter(record: &Rec) -> Result<Matter, AdapterError> {
    let legal_days = small(record, "法定时限")?;
    let promised_days = small(record, "承诺时限")?;
    if promised_days > legal_days {
        return Err(record.error(format_args!(
            "promises {promised_days} working days (承诺时限) but the legal limit is {legal_days} (法定时限); a promised time limit can never exceed the legal one"
        )));
    }
    Ok(Matter {
        code: record.require("事项编码")?.to_owned(),
        name: record.require("事项名称")?.to_owned(),
        department: record.require("实施机构")?.to_owned(),
        kind: record.coded("事项类型", MATTER_KINDS)?,
        legal_days,
        promised_days,
        visits: small(record, "到现场次数")?,
        online: record.flag("网办标志")?,
        fee: record.require("收费标准")?.to_owned(),
        conditions: record.require("受理条件")?.to_owned(),
        materials: Vec::new(),
        form: Vec::new(),
    })
}

fn material(record: &Rec) -> Result<Material, AdapterError> {
    let license_type = record.get("可替代证照");
    Ok(Material {
        code: record.require("材料编码")?.to_owned(),
        name: record.require("材料名称")?.to_owned(),
        required: record.flag("必要标志")?,
        license_type: (!license_type.is_empty()).then(|| license_type.to_owned()),
    })
}

fn small(record: &Rec, field: &str) -> Result<u32, AdapterError> {
    let value = record.number(field)?;
    u32::try_from(value).map_err(|_| record.unexpected(field, &value.to_string(), "a small number"))
}

/// Writes requests for one case, naming what cannot be sent.
struct Writer {
    /// What is sent, for messages: `case 20261127-000042`, `the supplement (补正) of case …`.
    what: String,
    records: Vec<Vec<u8>>,
}

impl Writer {
    fn new(what: String) -> Self {
        Self {
            what,
            records: Vec::new(),
        }
    }

    fn invalid(&self, problem: impl std::fmt::Display) -> AdapterError {
        AdapterError::Invalid(format!("cannot send {} to {SYSTEM}: {problem}", self.what))
    }

    /// Formats one record of `kind`; `what` names it in messages, e.g. `form field 住址`.
    fn record(
        &self,
        kind: &Kind,
        what: &str,
        values: &[(&str, &str)],
    ) -> Result<Vec<u8>, AdapterError> {
        for &(field, value) in values {
            if let Some(c) = value.chars().find(|c| c.is_control()) {
                return Err(self.invalid(format_args!(
                    "{what} ({} {}): {field} holds the control character U+{:04X}, which the system's fixed-width records cannot carry; remove it from the application",
                    kind.code,
                    kind.name,
                    u32::from(c)
                )));
            }
        }
        kind.format(values).map_err(|e| {
            self.invalid(format_args!(
                "{what} ({} {}): {e}; the system's field widths are fixed, so shorten the value or write it with characters GBK has",
                kind.code, kind.name
            ))
        })
    }

    /// One file: its `03` 附件 and the `04` 附件内容 records of its base64.
    fn attachment(&mut self, file: &Attachment) -> Result<(), AdapterError> {
        let what = format!(
            "attachment {} for material {}",
            file.file_name, file.material_code
        );
        let content = base64::engine::general_purpose::STANDARD.encode(&file.content);
        let lines: Vec<&str> = content
            .as_bytes()
            .chunks(CONTENT_WIDTH)
            // Base64 is ASCII, so every chunk is text.
            .map(|chunk| std::str::from_utf8(chunk).unwrap_or_default())
            .collect();
        self.push(
            &ATTACHMENT,
            &what,
            &[
                ("材料编码", &file.material_code),
                ("文件名", &file.file_name),
                ("媒体类型", &file.media_type),
                ("文件大小", &zero_filled(file.content.len(), 10)),
                ("内容行数", &zero_filled(lines.len(), 6)),
            ],
        )?;
        for line in lines {
            self.push(&CONTENT, &what, &[("内容", line)])?;
        }
        Ok(())
    }

    /// Free text as `07` 说明 records; how many.
    fn note(&mut self, what: &str, text: &str) -> Result<usize, AdapterError> {
        if text.trim().is_empty() {
            return Ok(0);
        }
        let parts =
            form_parts(text.trim()).map_err(|e| self.invalid(format_args!("{what}: {e}")))?;
        for &(part, flag) in &parts {
            self.push(&NOTE, what, &[("续行标志", flag), ("说明内容", part)])?;
        }
        Ok(parts.len())
    }

    fn push(
        &mut self,
        kind: &Kind,
        what: &str,
        values: &[(&str, &str)],
    ) -> Result<(), AdapterError> {
        let record = self.record(kind, what, values)?;
        self.records.push(record);
        Ok(())
    }
}

/// The `2001` request body for a case.
pub fn submission_request(submission: &CaseSubmission) -> Result<Vec<u8>, AdapterError> {
    let mut writer = Writer::new(format!("case {}", submission.case_no));
    let accepted_at = DateTime::parse_from_rfc3339(&submission.accepted_at).map_err(|e| {
        writer.invalid(format_args!(
            "accepted-at \"{}\" is not an RFC 3339 instant such as 2026-11-27T14:03:05+08:00 ({e})",
            submission.accepted_at
        ))
    })?;
    let accepted_at = accepted_at
        .with_timezone(&BEIJING)
        .format("%Y%m%d%H%M%S")
        .to_string();
    let (kind, id, name) = party_fields(&submission.applicant);

    let mut form_records = 0usize;
    for field in &submission.form {
        if field.key.trim().is_empty() {
            return Err(writer.invalid("a form field has an empty name"));
        }
        let what = format!("form field {}", field.key);
        for (part, flag) in
            form_parts(&field.value).map_err(|e| writer.invalid(format_args!("{what}: {e}")))?
        {
            writer.push(
                &FORM,
                &what,
                &[("字段名", &field.key), ("续行标志", flag), ("字段值", part)],
            )?;
            form_records += 1;
        }
    }
    for file in &submission.attachments {
        writer.attachment(file)?;
    }
    for reused in &submission.licenses {
        let license = &reused.license;
        let what = format!(
            "the {} {} reused for material {}",
            license.type_name, license.number, reused.material_code
        );
        let (holder_kind, holder_id, holder_name) = party_fields(&license.holder);
        let issued_on = compact_date(&license.issued_on).ok_or_else(|| {
            writer.invalid(format_args!(
                "{what}: issued-on \"{}\" is not a date such as 2018-11-25",
                license.issued_on
            ))
        })?;
        let valid_until = match &license.valid_until {
            None => "长期".to_owned(),
            Some(day) => compact_date(day).ok_or_else(|| {
                writer.invalid(format_args!(
                    "{what}: valid-until \"{day}\" is not a date such as 2038-11-24"
                ))
            })?,
        };
        let status = match license.status {
            LicenseStatus::Valid => "1",
            LicenseStatus::Revoked => "2",
            LicenseStatus::Expired => "3",
        };
        let legal_representative = license
            .face
            .iter()
            .find(|f| f.key == "legal-representative")
            .map_or("", |f| f.value.as_str());
        writer.push(
            &REUSED,
            &what,
            &[
                ("材料编码", &reused.material_code),
                ("证照类型代码", &license.type_code),
                ("证照类型名称", &license.type_name),
                ("证照编号", &license.number),
                ("持证主体类型", holder_kind),
                ("持证主体证件号码", holder_id),
                ("持证主体名称", holder_name),
                ("发证机关", &license.issuer),
                ("签发日期", &issued_on),
                ("有效期至", &valid_until),
                ("证照状态", status),
                ("法定代表人", legal_representative),
            ],
        )?;
    }

    let counts = [
        (form_records, 4, "form records"),
        (submission.attachments.len(), 3, "attachments"),
        (submission.licenses.len(), 3, "reused licenses"),
    ];
    for (count, digits, what) in counts {
        if count >= 10usize.pow(digits) {
            return Err(writer.invalid(format_args!(
                "the case has {count} {what}; the system takes at most {}",
                10usize.pow(digits) - 1
            )));
        }
    }
    if id.is_empty() || name.trim().is_empty() {
        return Err(writer.invalid("the applicant has no ID number or no name"));
    }
    let main = writer.record(
        &SUBMISSION,
        "the applicant",
        &[
            ("平台办件编号", &submission.case_no),
            ("事项编码", &submission.matter_code),
            ("申请人类型", kind),
            ("申请人证件号码", id),
            ("申请人名称", name),
            ("受理时间", &accepted_at),
            ("表单记录数", &zero_filled(form_records, 4)),
            ("附件数", &zero_filled(submission.attachments.len(), 3)),
            ("证照数", &zero_filled(submission.licenses.len(), 3)),
        ],
    )?;
    writer.records.insert(0, main);
    Ok(records::body(writer.records))
}

/// A form value cut into `02` parts of at most 200 GBK bytes, each with its 续行标志:
/// `1` the value goes on in the next part, `2` it goes on after a line break, `0` last.
fn form_parts(value: &str) -> Result<Vec<(&str, &'static str)>, String> {
    let normalized: Vec<&str> = value
        .split("\r\n")
        .flat_map(|l| l.split(['\n', '\r']))
        .collect();
    let mut parts = Vec::new();
    for (i, line) in normalized.iter().enumerate() {
        let last_line = i + 1 == normalized.len();
        let mut rest = *line;
        loop {
            let cut = cut_at(rest, FORM_VALUE_WIDTH)?;
            let (part, after) = rest.split_at(cut);
            rest = after;
            let flag = match (rest.is_empty(), last_line) {
                (false, _) => "1",
                (true, false) => "2",
                (true, true) => "0",
            };
            parts.push((part, flag));
            if rest.is_empty() {
                break;
            }
        }
    }
    Ok(parts)
}

/// The byte index in `text` where a part of at most `width` GBK bytes ends: on a
/// character boundary, and never right after a space (padding would swallow it).
fn cut_at(text: &str, width: usize) -> Result<usize, String> {
    let mut bytes = 0;
    let mut cut = text.len();
    let mut buffer = [0u8; 4];
    for (at, c) in text.char_indices() {
        let gbk_len = gbk::encode(c.encode_utf8(&mut buffer))
            .map_err(|e| format!("{e}, so the system cannot store it"))?
            .len();
        if bytes + gbk_len > width {
            cut = at;
            break;
        }
        bytes += gbk_len;
    }
    if cut < text.len() {
        let kept = text[..cut].trim_end_matches(' ').len();
        if kept > 0 {
            cut = kept;
        }
    }
    Ok(cut)
}

fn zero_filled(n: usize, digits: usize) -> String {
    format!("{n:0digits$}")
}

fn party_fields(party: &Party) -> (&'static str, &str, &str) {
    match party {
        Party::Person(p) => ("1", &p.id_number, &p.name),
        Party::Organization(o) => ("2", &o.credit_code, &o.name),
    }
}

fn compact_date(iso: &str) -> Option<String> {
    date::parse(iso).ok().map(date::to_compact)
}

/// The `2003` 补正材料提交 request body: the case by its platform number, the
/// clerk's note as `07` 说明, the files as `03` and `04` records.
pub fn supplement_request(
    case_no: &str,
    attachments: &[Attachment],
    note: &str,
) -> Result<Vec<u8>, AdapterError> {
    let mut writer = Writer::new(format!("the supplement (补正) of case {case_no}"));
    let note_lines = writer.note("the note", note)?;
    for file in attachments {
        writer.attachment(file)?;
    }
    for (count, what) in [(attachments.len(), "files"), (note_lines, "note lines")] {
        if count > 999 {
            return Err(writer.invalid(format_args!(
                "it has {count} {what}; the system takes at most 999"
            )));
        }
    }
    let main = writer.record(
        &SUPPLEMENT,
        "the case",
        &[
            ("平台办件编号", case_no),
            ("附件数", &zero_filled(attachments.len(), 3)),
            ("说明行数", &zero_filled(note_lines, 3)),
        ],
    )?;
    writer.records.insert(0, main);
    Ok(records::body(writer.records))
}

/// The `2004` 撤回申请 request body: the case by its platform number and the
/// reason as `07` 说明.
pub fn withdrawal_request(case_no: &str, reason: &str) -> Result<Vec<u8>, AdapterError> {
    let mut writer = Writer::new(format!("the withdrawal (撤回) of case {case_no}"));
    let note_lines = writer.note("the reason", reason)?;
    if note_lines > 999 {
        return Err(writer.invalid(format_args!(
            "the reason takes {note_lines} records; the system takes at most 999"
        )));
    }
    let main = writer.record(
        &WITHDRAWAL,
        "the case",
        &[
            ("平台办件编号", case_no),
            ("说明行数", &zero_filled(note_lines, 3)),
        ],
    )?;
    writer.records.insert(0, main);
    Ok(records::body(writer.records))
}

/// The one receipt (`kind`) of the answer to `tx` about `case_no`.
fn receipt_of(
    answer: &Answer<'_>,
    tx: Transaction,
    kind: &'static Kind,
    case_no: &str,
) -> Result<Rec, AdapterError> {
    let mut records = answer.records(tx, &[kind])?;
    if records.len() != 1 {
        return Err(AdapterError::Unavailable(format!(
            "the answer to {} holds {} {} {} records; expected exactly one",
            tx.label(),
            records.len(),
            kind.code,
            kind.name
        )));
    }
    let receipt = records.remove(0);
    let answered = receipt.require("平台办件编号")?;
    if answered != case_no {
        return Err(receipt.error(format_args!(
            "is about case {answered}, not about case {case_no} that was sent"
        )));
    }
    receipt.require("业务流水号")?;
    receipt.flag("重复标志")?;
    Ok(receipt)
}

/// Reads the answer to `2003`: the department took the supplement of `case_no`
/// (or had taken the same files before).
pub fn parse_supplement(answer: &Answer<'_>, case_no: &str) -> Result<(), AdapterError> {
    let receipt = receipt_of(answer, SUPPLEMENT_TX, &SUPPLEMENT_RECEIPT, case_no)?;
    receipt.number("附件数")?;
    Ok(())
}

/// Reads the answer to `2004`: the department withdrew `case_no` (now or before).
pub fn parse_withdrawal(answer: &Answer<'_>, case_no: &str) -> Result<(), AdapterError> {
    let receipt = receipt_of(answer, WITHDRAW_TX, &WITHDRAWAL_RECEIPT, case_no)?;
    instant(&receipt, "撤回时间")?;
    Ok(())
}

/// Reads the answer to `2001`: the department's 业务流水号 for `case_no`.
pub fn parse_submission(answer: &Answer<'_>, case_no: &str) -> Result<String, AdapterError> {
    let records = answer.records(SUBMIT, &[&RECEIPT])?;
    let [receipt] = records.as_slice() else {
        return Err(AdapterError::Unavailable(format!(
            "the answer to {} holds {} 20 办件回执 records; expected exactly one",
            SUBMIT.label(),
            records.len()
        )));
    };
    let answered = receipt.require("平台办件编号")?;
    if answered != case_no {
        return Err(receipt.error(format_args!(
            "is the receipt of case {answered}, not of case {case_no} that was submitted"
        )));
    }
    receipt.flag("重复标志")?;
    Ok(receipt.require("业务流水号")?.to_owned())
}

/// The `2002` path and query for the changes after `cursor` (none: from the
/// beginning), with the sequence number it asks from.
pub fn events_path(cursor: Option<&str>) -> Result<(u64, String), AdapterError> {
    let after = match cursor {
        None => 0,
        Some(text) => records::parse_number(text).ok_or_else(|| {
            AdapterError::Invalid(format!(
                "the cursor \"{text}\" is not a non-negative integer; this adapter's cursors are the 序号 of {}",
                STATUS.label()
            ))
        })?,
    };
    Ok((
        after,
        format!("{}?qsxh={after:012}&myts={PAGE_SIZE}", STATUS.code),
    ))
}

/// Reads the answer to `2002` asked from sequence number `after` into a page of events.
pub fn parse_events(answer: &Answer<'_>, after: u64) -> Result<EventPage, AdapterError> {
    let records = answer.records(STATUS, &[&PAGE, &CHANGE, &LICENSE])?;
    let Some((page, changes)) = records.split_first() else {
        return Err(AdapterError::Unavailable(format!(
            "the answer to {} has no 29 分页信息 record",
            STATUS.label()
        )));
    };
    if page.kind.code != PAGE.code {
        return Err(page.error("comes first, where the 29 分页信息 record belongs"));
    }
    let from = page.number("起始序号")?;
    if from != after {
        return Err(page.error(format_args!(
            "answers from 起始序号 {from}, not from {after} as asked"
        )));
    }
    let last = page.number("最大序号")?;
    let more = page.flag("后页标志")?;
    if more && last <= after {
        return Err(page.error(format_args!(
            "says more status changes follow (后页标志 1) but its 最大序号 {last} does not go past the {after} asked from, so following its pages would never end; the system's paging is broken, try again later"
        )));
    }

    let mut events: Vec<CaseEvent> = Vec::new();
    let mut previous = after;
    let mut after_change = false;
    for record in changes {
        match record.kind.code {
            code if code == CHANGE.code => {
                let number = record.number("序号")?;
                if number <= previous {
                    return Err(record.error(format_args!(
                        "has 序号 {number}, which does not come after {previous}; sequence numbers must increase"
                    )));
                }
                previous = number;
                events.push(event(record)?);
                after_change = true;
            }
            code if code == LICENSE.code => {
                let event = events.last_mut().filter(|_| after_change).ok_or_else(|| {
                    record.error("does not follow a 21 状态变化 record it could belong to")
                })?;
                if event.status != CaseStatus::Completed {
                    return Err(record.error(format_args!(
                        "follows a change of case {} that is not 40 办结; licenses are issued on completion only",
                        event.case_no
                    )));
                }
                event.issued = Some(license(record)?);
                after_change = false;
            }
            _ => return Err(record.error("repeats the 29 分页信息 record")),
        }
    }
    if last != previous {
        return Err(page.error(format_args!(
            "says 最大序号 {last}, but the last change in the page has 序号 {previous}"
        )));
    }
    Ok(EventPage {
        events: events.into_iter().map(Into::into).collect(),
        next_cursor: Some(last.to_string()),
        more,
    })
}

fn event(record: &Rec) -> Result<CaseEvent, AdapterError> {
    // The change does not need the department's reference, but a change without it
    // is not one the specification describes, so the record is not trusted either.
    record.require("业务流水号")?;
    Ok(CaseEvent {
        case_no: record.require("平台办件编号")?.to_owned(),
        status: record.coded("状态代码", CASE_STATUSES)?,
        at: instant(record, "办理时间")?,
        note: record.get("办理意见").to_owned(),
        issued: None,
    })
}

/// The answer to `on-notify`: the system never pushes.
pub fn notification_refused() -> AdapterError {
    AdapterError::Invalid(format!(
        "{SYSTEM} does not push notifications: its case status changes are read by polling ({}), so nothing posted to this adapter's hook can be one of its notifications",
        STATUS.label()
    ))
}

/// The `3001` request body for the licenses of the person with `id_number`.
pub fn holder_request(id_number: &str) -> Result<Vec<u8>, AdapterError> {
    let record = HOLDER_QUERY
        .format(&[("证件号码", id_number)])
        .map_err(|e| {
            AdapterError::Invalid(format!(
                "cannot ask {SYSTEM} for the licenses of \"{id_number}\": {e}"
            ))
        })?;
    Ok(records::body(vec![record]))
}

/// Reads the answer to `3001` into licenses.
pub fn parse_holder_licenses(answer: &Answer<'_>) -> Result<Vec<License>, AdapterError> {
    answer
        .records(HOLDER, &[&LICENSE])?
        .iter()
        .map(license)
        .collect()
}

/// The `3002` request body for the license of `type_code` with `number`; `None`
/// when the system cannot hold such a license (not a type it issues, or a number
/// that does not fit its field), so it cannot have issued it.
pub fn verify_request(type_code: &str, number: &str) -> Option<Vec<u8>> {
    if !issues(type_code) || number.chars().any(char::is_control) {
        return None;
    }
    let record = VERIFY_QUERY
        .format(&[("证照类型代码", type_code), ("证照编号", number)])
        .ok()?;
    Some(records::body(vec![record]))
}

/// Reads the answer to `3002`: the license, if the department issued it.
pub fn parse_verification(answer: &Answer<'_>) -> Result<Option<License>, AdapterError> {
    let records = answer.records(VERIFY, &[&LICENSE])?;
    match records.as_slice() {
        [] => Ok(None),
        [one] => license(one).map(Some),
        more => Err(AdapterError::Unavailable(format!(
            "the answer to {} lists {} licenses for one license number; expected at most one",
            VERIFY.label(),
            more.len()
        ))),
    }
}

fn license(record: &Rec) -> Result<License, AdapterError> {
    let code = record.require("证照类型代码")?;
    let Some(kind) = LICENSE_TYPES.iter().find(|t| t.code == code) else {
        let codes: Vec<&str> = LICENSE_TYPES.iter().map(|t| t.code).collect();
        return Err(record.error(format_args!(
            "has 证照类型代码 \"{code}\", a license type the specification does not define (expected one of {})",
            codes.join(", ")
        )));
    };
    let name = record.require("证照类型名称")?;
    if name != kind.name {
        return Err(record.unexpected("证照类型名称", name, kind.name));
    }
    let holder_id = record.require("持证人证件号码")?;
    if let Err(e) = id_number::validate(holder_id) {
        return Err(record.error(format_args!(
            "has 持证人证件号码 \"{holder_id}\", which is not a valid resident ID number: {e}"
        )));
    }
    let valid_until = match record.require("有效期至")? {
        "长期" => None,
        _ => Some(iso_date(record, "有效期至")?),
    };
    let mut face = Vec::with_capacity(kind.face.len());
    for &(key, field, is_date) in kind.face {
        if record.get(field).is_empty() {
            continue;
        }
        let value = if is_date {
            iso_date(record, field)?
        } else {
            record.get(field).to_owned()
        };
        face.push(Field {
            key: key.to_owned(),
            value,
        });
    }
    Ok(License {
        type_code: kind.code.to_owned(),
        type_name: kind.name.to_owned(),
        number: record.require("证照编号")?.to_owned(),
        holder: Party::Person(Person {
            id_number: holder_id.to_owned(),
            name: record.require("持证人姓名")?.to_owned(),
        }),
        issuer: record.require("发证机关")?.to_owned(),
        issued_on: iso_date(record, "签发日期")?,
        valid_until,
        status: record.coded("证照状态", LICENSE_STATUSES)?,
        face,
    })
}

/// `field` as a `yyyyMMdd` date, written `YYYY-MM-DD`.
fn iso_date(record: &Rec, field: &str) -> Result<String, AdapterError> {
    let text = record.require(field)?;
    let parsed = (text.len() == 8).then(|| date::parse(text).ok()).flatten();
    parsed
        .map(date::to_iso)
        .ok_or_else(|| record.unexpected(field, text, "a date written yyyyMMdd, such as 20181125"))
}

/// `field` as a `yyyyMMddHHmmss` time in Beijing, written in RFC 3339.
fn instant(record: &Rec, field: &str) -> Result<String, AdapterError> {
    let text = record.require(field)?;
    let parsed = (text.len() == 14 && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| date::parse_datetime(text).ok())
        .flatten();
    let at = parsed.ok_or_else(|| {
        record.unexpected(
            field,
            text,
            "a time written yyyyMMddHHmmss, such as 20261127140500",
        )
    })?;
    Ok(format!("{}{BEIJING}", at.format("%Y-%m-%dT%H:%M:%S")))
}
