//! The department's exchange files, mapped to and from the contract's types.
//!
//! Everything here is pure: case files come out as GBK bytes and the department's
//! files go in as bytes, so the translation is tested natively. The layout is
//! specified in `examples/legacy-systems/real-estate.md`.

use onewindow_sdk::codes::chrono::{DateTime, Datelike as _, FixedOffset, Timelike as _};
use onewindow_sdk::codes::gbk::{self, EncodingError};
use onewindow_sdk::codes::{credit_code, date, id_number};
use onewindow_sdk::types::{
    AdapterError, Attachment, CaseEvent, CaseStatus, CaseSubmission, EventPage, Field, FieldKind,
    FormField, License, LicenseStatus, Material, Matter, MatterKind, Organization, Party,
    PartyField, Person,
};

use crate::table::{Row, Table};

/// 事项清单: the matters.
pub const CATALOGUE: &str = "sxqd.csv";
/// 材料清单: the materials of every matter.
pub const MATERIALS: &str = "clqd.csv";
/// 表单清单: the application-form fields of every matter.
pub const FORMS: &str = "bdqd.csv";
/// 证书清单: the register of 不动产权证书.
pub const REGISTER: &str = "zsqd.csv";
/// 申请办件: where the platform puts case files.
pub const OUTGOING: &str = "sqbj";
/// Where the batch job moves the case files it has read.
pub const READ: &str = "sqbj/bak";
/// 办件结果: where the batch job puts result files.
pub const RESULTS: &str = "bjjg";
/// 补正材料: where the platform puts supplement files.
pub const SUPPLEMENTS: &str = "bzcl";
/// Where the batch job moves the supplement files it has read.
pub const SUPPLEMENTS_READ: &str = "bzcl/bak";
/// 撤回申请: where the platform puts withdrawal files.
pub const WITHDRAWALS: &str = "chsq";
/// Where the batch job moves the withdrawal files it has read.
pub const WITHDRAWALS_READ: &str = "chsq/bak";

/// The department's name, as the clerk reads it in refusals.
pub const DEPARTMENT: &str = "县不动产登记中心";

/// 证书类型代码 of the one license type the department issues.
pub const CERTIFICATE: &str = "BDCQZ";
/// Its name, as the platform matches licenses across departments.
pub const CERTIFICATE_NAME: &str = "不动产权证书";

/// How many result rows one `events` call reads at most.
pub const PAGE_SIZE: usize = 100;

/// The department's clock: Beijing time, which has no daylight saving.
const BEIJING: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("+08:00 is a valid offset"),
};

const SXQD_COLUMNS: &[&str] = &[
    "事项编码",
    "事项名称",
    "实施机构",
    "事项类型",
    "法定办结时限",
    "承诺办结时限",
    "到现场次数",
    "是否网办",
    "收费标准",
    "受理条件",
];
const CLQD_COLUMNS: &[&str] = &["事项编码", "材料编码", "材料名称", "是否必需", "可替代证照"];
const BDQD_COLUMNS: &[&str] = &[
    "事项编码",
    "字段名",
    "字段标签",
    "字段类型",
    "可选值",
    "是否必填",
    "预填来源",
];

/// 字段类型 of `bdqd.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Date,
    Number,
    Choice,
    IdNumber,
    CreditCode,
    Address,
}

const FIELD_KINDS: &[(&str, Kind)] = &[
    ("1", Kind::Text),
    ("2", Kind::Date),
    ("3", Kind::Number),
    ("4", Kind::Choice),
    ("5", Kind::IdNumber),
    ("6", Kind::CreditCode),
    ("7", Kind::Address),
];

/// 预填来源 of `bdqd.csv`: the applicant's detail a field is filled from.
const PREFILLS: &[(&str, PartyField)] = &[
    ("1", PartyField::Name),
    ("2", PartyField::IdNumber),
    ("3", PartyField::CreditCode),
    ("4", PartyField::Address),
    ("5", PartyField::Phone),
    ("6", PartyField::LegalRepresentative),
];
/// The columns of a certificate, in `zsqd.csv` and in result rows.
const CERTIFICATE_COLUMNS: &[&str] = &[
    "证书类型代码",
    "不动产权证号",
    "权利人",
    "权利人类型",
    "证件种类",
    "证件号码",
    "坐落",
    "登记机构",
    "发证日期",
    "证书状态",
];
const RESULT_COLUMNS: &[&str] = &["平台办件编号", "业务号", "状态代码", "办理时间", "办理意见"];

const MATTER_KINDS: &[(&str, MatterKind)] = &[
    ("01", MatterKind::AdministrativeLicense),
    ("05", MatterKind::AdministrativePayment),
    ("07", MatterKind::AdministrativeConfirmation),
    ("08", MatterKind::AdministrativeReward),
    ("09", MatterKind::AdministrativeRuling),
    ("10", MatterKind::OtherPower),
    ("20", MatterKind::PublicService),
];

/// What a result row's 状态代码 means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Status(CaseStatus),
    /// `06` 已撤回: the withdrawal the platform handed over took effect; the
    /// contract has no status for it (the platform set the case withdrawn when
    /// `withdraw` succeeded).
    Withdrawn,
    /// `16` 不予撤回: the batch job refused a withdrawal the platform handed over,
    /// because it had decided in between; the case keeps 当前状态代码.
    WithdrawalRefused,
    /// `99`: the batch run failed before reading the case file; it is read again later.
    BatchFailure,
}

const RESULT_CODES: &[(&str, Outcome)] = &[
    ("01", Outcome::Status(CaseStatus::InReview)),
    ("02", Outcome::Status(CaseStatus::SupplementRequested)),
    ("03", Outcome::Status(CaseStatus::Approved)),
    ("04", Outcome::Status(CaseStatus::Denied)),
    ("05", Outcome::Status(CaseStatus::Completed)),
    ("06", Outcome::Withdrawn),
    ("08", Outcome::Status(CaseStatus::SpecialProcedure)),
    ("09", Outcome::Status(CaseStatus::Denied)),
    ("16", Outcome::WithdrawalRefused),
    ("99", Outcome::BatchFailure),
];

/// The statuses a `16` row may say the case keeps (当前状态代码): decided ones.
const KEPT_CODES: &[(&str, CaseStatus)] = &[
    ("03", CaseStatus::Approved),
    ("04", CaseStatus::Denied),
    ("05", CaseStatus::Completed),
];

/// The name of a 状态代码, as the clerk reads it.
fn status_name(code: &str) -> &'static str {
    match code {
        "01" => "受理",
        "02" => "需补正",
        "03" => "审核通过",
        "04" => "不予登记",
        "05" => "已登簿",
        "06" => "已撤回",
        "08" => "特别程序",
        "09" => "不予受理",
        _ => "未知状态",
    }
}

const CERTIFICATE_STATUSES: &[(&str, LicenseStatus)] = &[
    ("1", LicenseStatus::Valid),   // 现势
    ("2", LicenseStatus::Revoked), // 注销
    ("3", LicenseStatus::Revoked), // 作废
];

const HOLDER_KINDS: &[(&str, bool)] = &[("1", false), ("2", true)];

/// 证件种类 of reused licenses, by the platform's license type name; others are `99`.
const LICENSE_KINDS: &[(&str, &str)] = &[
    ("居民身份证", "1"),
    ("营业执照", "7"),
    ("不动产权证书", "10"),
    ("社会保障卡", "11"),
];

/// The fields printed on a 不动产权证书, in print order: (face key, column).
const FACE: &[(&str, &str)] = &[
    ("holder", "权利人"),
    ("co-ownership", "共有情况"),
    ("location", "坐落"),
    ("unit-number", "不动产单元号"),
    ("right-type", "权利类型"),
    ("right-nature", "权利性质"),
    ("use", "用途"),
    ("area", "面积"),
    ("term", "使用期限"),
    ("restriction", "权利限制"),
];

// ---------------------------------------------------------------------------
// The catalogue

/// Reads `sxqd.csv` and `clqd.csv` into matters, each with its materials.
pub fn parse_catalogue(sxqd: &[u8], clqd: &[u8]) -> Result<Vec<Matter>, AdapterError> {
    let matters_table = Table::read(CATALOGUE, sxqd, SXQD_COLUMNS, Some("事项编码"))?;
    let materials_table = Table::read(MATERIALS, clqd, CLQD_COLUMNS, Some("事项编码"))?;
    let mut matters: Vec<Matter> = Vec::with_capacity(matters_table.len());
    for row in matters_table.rows() {
        let matter = matter(&row)?;
        if matters.iter().any(|m| m.code == matter.code) {
            return Err(row.error(format_args!("lists 事项编码 {} a second time", matter.code)));
        }
        matters.push(matter);
    }
    for row in materials_table.rows() {
        let code = row.require("事项编码")?;
        let Some(matter) = matters.iter_mut().find(|m| m.code == code) else {
            return Err(row.error(format_args!(
                "lists a material of 事项编码 {code}, which {CATALOGUE} does not have"
            )));
        };
        let material = material(&row)?;
        if matter.materials.iter().any(|m| m.code == material.code) {
            return Err(row.error(format_args!(
                "lists 材料编码 {} of {code} a second time",
                material.code
            )));
        }
        matter.materials.push(material);
    }
    Ok(matters)
}

/// Adds the fields of `bdqd.csv` to the forms of `matters`, in the file's order.
pub fn add_forms(matters: &mut [Matter], bdqd: &[u8]) -> Result<(), AdapterError> {
    let table = Table::read(FORMS, bdqd, BDQD_COLUMNS, Some("事项编码"))?;
    for row in table.rows() {
        let code = row.require("事项编码")?;
        let Some(matter) = matters.iter_mut().find(|m| m.code == code) else {
            return Err(row.error(format_args!(
                "lists a form field of 事项编码 {code}, which {CATALOGUE} does not have"
            )));
        };
        let field = form_field(&row)?;
        if matter.form.iter().any(|f| f.key == field.key) {
            return Err(row.error(format_args!(
                "lists 字段名 {} of {code} a second time",
                field.key
            )));
        }
        matter.form.push(field);
    }
    Ok(())
}

fn form_field(row: &Row<'_>) -> Result<FormField, AdapterError> {
    let kind = coded(row, "字段类型", FIELD_KINDS)?;
    let options = row.optional("可选值");
    let kind = match (kind, options) {
        (Kind::Choice, Some(options)) => {
            let options: Vec<String> = options.split('|').map(|o| o.trim().to_owned()).collect();
            if options.iter().any(String::is_empty) {
                return Err(row.unexpected(
                    "可选值",
                    row.require("可选值")?,
                    "options separated by |, none of them empty",
                ));
            }
            FieldKind::Choice(options)
        }
        (Kind::Choice, None) => {
            return Err(row.error(format_args!(
                "has 字段类型 4 (选项) but no 可选值 to choose from"
            )));
        }
        (_, Some(options)) => {
            return Err(row.unexpected(
                "可选值",
                options,
                "none: only a field of 字段类型 4 (选项) has options",
            ));
        }
        (Kind::Text, None) => FieldKind::Text,
        (Kind::Date, None) => FieldKind::Date,
        (Kind::Number, None) => FieldKind::Number,
        (Kind::IdNumber, None) => FieldKind::IdNumber,
        (Kind::CreditCode, None) => FieldKind::CreditCode,
        (Kind::Address, None) => FieldKind::Address,
    };
    let from_party = match row.optional("预填来源") {
        None => None,
        Some(_) => Some(coded(row, "预填来源", PREFILLS)?),
    };
    Ok(FormField {
        key: row.require("字段名")?.to_owned(),
        label: row.require("字段标签")?.to_owned(),
        kind,
        required: flag(row, "是否必填")?,
        from_party,
    })
}

fn matter(row: &Row<'_>) -> Result<Matter, AdapterError> {
    let legal_days = number(row, "法定办结时限")?;
    let promised_days = number(row, "承诺办结时限")?;
    if promised_days > legal_days {
        return Err(row.error(format_args!(
            "promises {promised_days} working days (承诺办结时限) but the legal limit is {legal_days} (法定办结时限); a promised time limit can never exceed the legal one"
        )));
    }
    Ok(Matter {
        code: row.require("事项编码")?.to_owned(),
        name: row.require("事项名称")?.to_owned(),
        department: row.require("实施机构")?.to_owned(),
        kind: coded(row, "事项类型", MATTER_KINDS)?,
        legal_days,
        promised_days,
        visits: number(row, "到现场次数")?,
        online: flag(row, "是否网办")?,
        fee: row.require("收费标准")?.to_owned(),
        conditions: row.require("受理条件")?.to_owned(),
        materials: Vec::new(),
        form: Vec::new(),
    })
}

fn material(row: &Row<'_>) -> Result<Material, AdapterError> {
    Ok(Material {
        code: row.require("材料编码")?.to_owned(),
        name: row.require("材料名称")?.to_owned(),
        required: flag(row, "是否必需")?,
        license_type: row.optional("可替代证照").map(str::to_owned),
    })
}

// ---------------------------------------------------------------------------
// Case files

/// The reference (交换编号) of the case `case_no`: its file name without `.csv`.
pub fn reference(case_no: &str) -> Result<String, AdapterError> {
    let fit = !case_no.is_empty()
        && case_no.len() <= 64
        && case_no
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !fit {
        return Err(AdapterError::Invalid(format!(
            "the case number \"{case_no}\" cannot name a case file of the department's exchange: it may only hold 1 to 64 of 0-9, A-Z, a-z, - and _"
        )));
    }
    Ok(format!("SQ_{case_no}"))
}

/// The name of the case file of `case_no` in `sqbj/`.
pub fn case_file_name(case_no: &str) -> Result<String, AdapterError> {
    Ok(format!("{}.csv", reference(case_no)?))
}

/// The GBK case file of a submission (`sqbj/SQ_<case-no>.csv`); the same submission
/// always gives the same bytes.
pub fn case_file(submission: &CaseSubmission) -> Result<Vec<u8>, AdapterError> {
    let case = submission.case_no.as_str();
    reference(case)?;
    let accepted_at = DateTime::parse_from_rfc3339(&submission.accepted_at).map_err(|e| {
        AdapterError::Invalid(format!(
            "cannot write the case file of case {case}: accepted-at \"{}\" is not an RFC 3339 instant such as 2026-11-27T09:30:00+08:00 ({e})",
            submission.accepted_at
        ))
    })?;
    let accepted_at = accepted_at
        .with_timezone(&BEIJING)
        .format("%Y%m%d%H%M%S")
        .to_string();
    let (kind, id_kind, id, name) = match &submission.applicant {
        Party::Person(p) => ("1", "1", &p.id_number, &p.name),
        Party::Organization(o) => ("2", "8", &o.credit_code, &o.name),
    };

    let mut file = CsvFile::new("case file", case);
    file.row(&[
        "#申请",
        "平台办件编号",
        "事项编码",
        "申请人类型",
        "申请人",
        "证件种类",
        "证件号码",
        "受理时间",
    ])?;
    file.row(&[
        "申请",
        case,
        &submission.matter_code,
        kind,
        name,
        id_kind,
        id,
        &accepted_at,
    ])?;
    file.row(&["#表单", "字段名", "字段值"])?;
    for field in &submission.form {
        file.row(&["表单", &field.key, &field.value])?;
    }
    file.attachments(&submission.attachments)?;
    file.row(&[
        "#证照",
        "材料编码",
        "证件种类",
        "证照名称",
        "证照号码",
        "持证人",
        "持证人证件号码",
        "发证机关",
        "发证日期",
        "有效期至",
    ])?;
    for reused in &submission.licenses {
        let license = &reused.license;
        let kind = LICENSE_KINDS
            .iter()
            .find(|(name, _)| *name == license.type_name)
            .map_or("99", |&(_, code)| code);
        let (holder_name, holder_id) = match &license.holder {
            Party::Person(p) => (&p.name, &p.id_number),
            Party::Organization(o) => (&o.name, &o.credit_code),
        };
        let issued_on = compact_date(case, "issued-on", &license.number, &license.issued_on)?;
        let valid_until = match &license.valid_until {
            Some(day) => compact_date(case, "valid-until", &license.number, day)?,
            None => String::new(),
        };
        file.row(&[
            "证照",
            &reused.material_code,
            kind,
            &license.type_name,
            &license.number,
            holder_name,
            holder_id,
            &license.issuer,
            &issued_on,
            &valid_until,
        ])?;
    }
    file.finish()
}

/// One of the platform's files (case, supplement or withdrawal file) being
/// written: CSV rows in sections, checked field by field for GBK.
struct CsvFile<'a> {
    /// What the file is, for messages: `case file`, `supplement file`, …
    what: &'static str,
    case: &'a str,
    writer: csv::Writer<Vec<u8>>,
    section: String,
}

impl<'a> CsvFile<'a> {
    fn new(what: &'static str, case: &'a str) -> Self {
        let writer = csv::WriterBuilder::new()
            .flexible(true)
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new());
        Self {
            what,
            case,
            writer,
            section: String::new(),
        }
    }

    fn row(&mut self, fields: &[&str]) -> Result<(), AdapterError> {
        if let Some(section) = fields.first().and_then(|f| f.strip_prefix('#')) {
            section.clone_into(&mut self.section);
        }
        for (i, field) in fields.iter().enumerate() {
            if let Err(EncodingError::Unmappable { ch, position, .. }) = gbk::encode(field) {
                return Err(AdapterError::Invalid(format!(
                    "cannot write the {} of case {}: field {} of a {} row holds '{ch}' (U+{:04X}) at position {position}, which GBK cannot represent; the department's system stores GBK text only, so the case must be given with characters GBK has",
                    self.what,
                    self.case,
                    i + 1,
                    self.section,
                    u32::from(ch),
                )));
            }
        }
        self.writer.write_record(fields).map_err(|e| {
            AdapterError::Invalid(format!(
                "cannot write the {} of case {}: {e}",
                self.what, self.case
            ))
        })
    }

    /// An [附件] section of `attachments`, content in base64.
    fn attachments(&mut self, attachments: &[Attachment]) -> Result<(), AdapterError> {
        use base64::Engine as _;
        self.row(&["#附件", "材料编码", "文件名", "文件类型", "文件内容"])?;
        for attachment in attachments {
            let content = base64::engine::general_purpose::STANDARD.encode(&attachment.content);
            self.row(&[
                "附件",
                &attachment.material_code,
                &attachment.file_name,
                &attachment.media_type,
                &content,
            ])?;
        }
        Ok(())
    }

    fn finish(self) -> Result<Vec<u8>, AdapterError> {
        let (what, case) = (self.what, self.case);
        let failed = |e: String| {
            AdapterError::Invalid(format!("cannot write the {what} of case {case}: {e}"))
        };
        let bytes = self
            .writer
            .into_inner()
            .map_err(|e| failed(e.to_string()))?;
        let text = String::from_utf8(bytes).map_err(|e| failed(e.to_string()))?;
        // Every field was checked above, so this only fails on a bug.
        gbk::encode(&text).map_err(|e| failed(e.to_string()))
    }
}

fn compact_date(case: &str, what: &str, number: &str, day: &str) -> Result<String, AdapterError> {
    date::parse(day).map(date::to_compact).map_err(|e| {
        AdapterError::Invalid(format!(
            "cannot write the case file of case {case}: the {what} of the reused license {number} is not a date ({e})"
        ))
    })
}

/// The 事项编码 of the platform's own case file `bytes` (as [`case_file`] wrote it),
/// or `None` when it cannot be read.
pub fn case_file_matter(bytes: &[u8]) -> Option<String> {
    let text = gbk::decode(bytes).ok()?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut column = None;
    for record in reader.records() {
        let record = record.ok()?;
        match record.get(0)? {
            "#申请" => column = record.iter().position(|c| c == "事项编码"),
            "申请" => return record.get(column?).map(str::to_owned),
            _ => {}
        }
    }
    None
}

/// A supplement file (补正) of case `case_no`: its name in `bzcl/`,
/// `BZ_<case-no>_<digest>.csv`, and its GBK bytes. The same files and note
/// always give the same name and bytes, so handing them in again is seen.
pub fn supplement_file(
    case_no: &str,
    attachments: &[Attachment],
    note: &str,
) -> Result<(String, Vec<u8>), AdapterError> {
    let reference = reference(case_no)?;
    if attachments.is_empty() && note.trim().is_empty() {
        return Err(AdapterError::Invalid(format!(
            "the supplement (补正) of case {case_no} has neither files nor a note: there is nothing to hand in"
        )));
    }
    if let Some(unnamed) = attachments
        .iter()
        .find(|a| a.material_code.trim().is_empty() || a.file_name.trim().is_empty())
    {
        return Err(AdapterError::Invalid(format!(
            "a file of the supplement (补正) of case {case_no} has no material code or no file name (material \"{}\", file \"{}\")",
            unnamed.material_code, unnamed.file_name
        )));
    }
    let mut file = CsvFile::new("supplement file", case_no);
    file.row(&["#补正", "平台办件编号", "交换编号", "补正说明"])?;
    file.row(&["补正", case_no, &reference, note.trim()])?;
    file.attachments(attachments)?;
    let bytes = file.finish()?;
    let name = format!("BZ_{case_no}_{:016x}.csv", fnv1a(&bytes));
    Ok((name, bytes))
}

/// The 平台办件编号 of a supplement file's name in `bzcl/` (`BZ_<case-no>_<digest>.csv`).
pub fn supplement_case_no(name: &str) -> Option<&str> {
    let stem = name.strip_prefix("BZ_")?.strip_suffix(".csv")?;
    Some(stem.rsplit_once('_')?.0)
}

/// The withdrawal file (撤回) of case `case_no`: its name in `chsq/`,
/// `CH_<case-no>.csv`, and its GBK bytes; a blank reason is the applicant's
/// request.
pub fn withdrawal_file(case_no: &str, reason: &str) -> Result<(String, Vec<u8>), AdapterError> {
    let reference = reference(case_no)?;
    let reason = match reason.trim() {
        "" => "申请人申请撤回",
        reason => reason,
    };
    let mut file = CsvFile::new("withdrawal file", case_no);
    file.row(&["#撤回", "平台办件编号", "交换编号", "撤回原因"])?;
    file.row(&["撤回", case_no, &reference, reason])?;
    Ok((format!("CH_{case_no}.csv"), file.finish()?))
}

/// FNV-1a (64 bits) of `bytes`: names a supplement file by its content.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

// ---------------------------------------------------------------------------
// The register

/// Reads `zsqd.csv` into licenses; any row the spec does not allow makes it unusable.
pub fn parse_register(bytes: &[u8]) -> Result<Vec<License>, AdapterError> {
    let table = Table::read(REGISTER, bytes, CERTIFICATE_COLUMNS, Some("不动产权证号"))?;
    let mut licenses: Vec<License> = Vec::with_capacity(table.len());
    for row in table.rows() {
        let license = certificate(&row)?;
        if licenses.iter().any(|l| l.number == license.number) {
            return Err(row.error(format_args!(
                "lists 不动产权证号 {} a second time",
                license.number
            )));
        }
        licenses.push(license);
    }
    Ok(licenses)
}

/// The certificates of `holder` in the register, in force or not.
pub fn holder_licenses(register: &[u8], holder: &Party) -> Result<Vec<License>, AdapterError> {
    let id = party_id(holder);
    Ok(parse_register(register)?
        .into_iter()
        .filter(|license| {
            party_id(&license.holder) == id
                && matches!(license.holder, Party::Organization(_))
                    == matches!(holder, Party::Organization(_))
        })
        .collect())
}

/// The certificate of type `type_code` with `number`, if the department issued it.
pub fn verify(
    register: &[u8],
    type_code: &str,
    number: &str,
) -> Result<Option<License>, AdapterError> {
    if type_code != CERTIFICATE {
        // The department issues no other type; no need to read the register.
        return Ok(None);
    }
    Ok(parse_register(register)?
        .into_iter()
        .find(|license| license.number == number.trim()))
}

fn party_id(party: &Party) -> &str {
    match party {
        Party::Person(p) => &p.id_number,
        Party::Organization(o) => &o.credit_code,
    }
}

/// A certificate from the columns of `zsqd.csv` (also in result rows).
fn certificate(row: &Row<'_>) -> Result<License, AdapterError> {
    let type_code = row.require("证书类型代码")?;
    if type_code != CERTIFICATE {
        return Err(row.unexpected(
            "证书类型代码",
            type_code,
            &format!("{CERTIFICATE} ({CERTIFICATE_NAME})"),
        ));
    }
    let number = row.require("不动产权证号")?;
    let name = row.require("权利人")?.to_owned();
    let id = row.require("证件号码")?.to_owned();
    let organization = coded(row, "权利人类型", HOLDER_KINDS)?;
    let id_kind = row.require("证件种类")?;
    let (expected_kind, check) = if organization {
        ("8", credit_code::validate(&id))
    } else {
        ("1", id_number::validate(&id))
    };
    if id_kind != expected_kind {
        return Err(row.unexpected(
            "证件种类",
            id_kind,
            &format!(
                "{expected_kind} for a holder of 权利人类型 {}",
                if organization { "2" } else { "1" }
            ),
        ));
    }
    if let Err(e) = check {
        return Err(row.unexpected("证件号码", &id, &format!("a valid number ({e})")));
    }
    let holder = if organization {
        Party::Organization(Organization {
            credit_code: id,
            name,
        })
    } else {
        Party::Person(Person {
            id_number: id,
            name,
        })
    };
    let mut face = Vec::with_capacity(FACE.len());
    for &(key, column) in FACE {
        let Some(value) = row.optional(column) else {
            continue;
        };
        let value = if column == "面积" {
            let area = value
                .split_once('.')
                .map_or((value, "0"), |(whole, part)| (whole, part));
            let decimal = !area.0.is_empty()
                && !area.1.is_empty()
                && area
                    .0
                    .bytes()
                    .chain(area.1.bytes())
                    .all(|b| b.is_ascii_digit());
            if !decimal {
                return Err(row.unexpected(
                    column,
                    value,
                    "an area in square metres such as 89.50",
                ));
            }
            format!("{value}平方米")
        } else {
            value.to_owned()
        };
        face.push(Field {
            key: key.to_owned(),
            value,
        });
    }
    Ok(License {
        type_code: CERTIFICATE.to_owned(),
        type_name: CERTIFICATE_NAME.to_owned(),
        number: number.to_owned(),
        holder,
        issuer: row.require("登记机构")?.to_owned(),
        issued_on: iso_date(row, "发证日期")?,
        // A 不动产权证书 is not issued for a term.
        valid_until: None,
        status: coded(row, "证书状态", CERTIFICATE_STATUSES)?,
        face,
    })
}

// ---------------------------------------------------------------------------
// Results

/// Where `events` has got to: every row of every result file before `file`, and the
/// first `rows` data rows of `file`, have been reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The result file's name, `JG_….csv`.
    pub file: String,
    /// Data rows of it already reported.
    pub rows: usize,
}

impl Cursor {
    /// Reads a cursor `events` handed out: `<file name>:<rows>`.
    pub fn parse(text: &str) -> Result<Cursor, AdapterError> {
        let invalid = || {
            AdapterError::Invalid(format!(
                "the cursor \"{text}\" is not one this adapter hands out: expected <result file name>:<rows read>, such as JG_20261127_000003.csv:2"
            ))
        };
        let (file, rows) = text.rsplit_once(':').ok_or_else(invalid)?;
        if !is_result_file(file) || rows.is_empty() || !rows.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        Ok(Cursor {
            file: file.to_owned(),
            rows: rows.parse().map_err(|_| invalid())?,
        })
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.rows)
    }
}

/// Whether `name` (in `bjjg/`) is a published result file: `JG_<…>.csv` of plain
/// characters; temporary files start with `.`.
pub fn is_result_file(name: &str) -> bool {
    name.len() > "JG_.csv".len()
        && name.starts_with("JG_")
        && name.ends_with(".csv")
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
}

/// One row of a result file.
#[derive(Debug, Clone)]
pub enum ResultRow {
    /// A status change.
    Event(Box<CaseEvent>),
    /// A `16` row: the department refused a withdrawal after the platform had
    /// handed it over. The event keeps the case's status (当前状态代码) and carries
    /// the department's refusal as its note; the warning is for the log.
    WithdrawalRefused(Box<CaseEvent>, String),
    /// A `06` row: the case is withdrawn at the department, for the log.
    Withdrawn(String),
    /// A `99` row: what went wrong, for the log.
    BatchFailure(String),
}

/// Reads the result file `name` (in `bjjg/`).
pub fn parse_results(name: &str, bytes: &[u8]) -> Result<Vec<ResultRow>, AdapterError> {
    let file = format!("{RESULTS}/{name}");
    let table = Table::read(&file, bytes, RESULT_COLUMNS, Some("平台办件编号"))?;
    table.rows().map(|row| result_row(&row)).collect()
}

fn result_row(row: &Row<'_>) -> Result<ResultRow, AdapterError> {
    let case_no = row.require("平台办件编号")?.to_owned();
    let outcome = coded(row, "状态代码", RESULT_CODES)?;
    let code = row.require("状态代码")?;
    let note = row.get("办理意见").unwrap_or_default().to_owned();
    if outcome == Outcome::BatchFailure {
        return Ok(ResultRow::BatchFailure(format!(
            "{}: the department's batch job failed on case {case_no} (状态代码 99: {note}); it reads the case file again on its next run",
            row.place()
        )));
    }
    if code != "09" {
        // 不予受理 has no 业务号: the case was never stored.
        row.require("业务号")?;
    }
    let status = match outcome {
        Outcome::Status(status) => status,
        Outcome::Withdrawn => {
            return Ok(ResultRow::Withdrawn(format!(
                "{}: case {case_no} is withdrawn at the department (状态代码 06: {note})",
                row.place()
            )));
        }
        Outcome::WithdrawalRefused => {
            let kept = coded(row, "当前状态代码", KEPT_CODES)?;
            let event = CaseEvent {
                case_no: case_no.clone(),
                status: kept,
                at: instant(row, "办理时间")?,
                note: note.clone(),
                issued: None,
            };
            let warning = format!(
                "{}: the department refused the withdrawal of case {case_no} handed over earlier, as it had decided the case (状态代码 16, the case stays at {}): {note}",
                row.place(),
                row.require("当前状态代码")?,
            );
            return Ok(ResultRow::WithdrawalRefused(Box::new(event), warning));
        }
        Outcome::BatchFailure => unreachable!("answered above"),
    };
    let issued = match row.optional("不动产权证号") {
        None => None,
        Some(_) if code == "05" => Some(certificate(row)?),
        Some(number) => {
            return Err(row.error(format_args!(
                "carries the certificate {number} with 状态代码 {code}; only 05 (已登簿) issues one"
            )));
        }
    };
    Ok(ResultRow::Event(Box::new(CaseEvent {
        case_no,
        status,
        at: instant(row, "办理时间")?,
        note,
        issued,
    })))
}

/// A page of events and what the rows without an event said on the way.
#[derive(Debug)]
pub struct Page {
    /// The events and where the next call starts.
    pub page: EventPage,
    /// What the `99` and `16` rows said, for the log (warnings).
    pub warnings: Vec<String>,
    /// What the `06` rows said, for the log (information).
    pub notices: Vec<String>,
}

/// The events after `cursor` in the result files `names` (as listed in `bjjg/`, any
/// order, other names ignored), reading a file's bytes with `read`.
///
/// A file that cannot be used stops the page: the rows before it are returned (with
/// `more`), and when there are none its error is.
pub fn events_page(
    cursor: Option<&str>,
    names: &[String],
    mut read: impl FnMut(&str) -> Result<Vec<u8>, AdapterError>,
) -> Result<Page, AdapterError> {
    let start = cursor.map(Cursor::parse).transpose()?;
    let mut files: Vec<&String> = names
        .iter()
        .filter(|n| is_result_file(n))
        .filter(|n| start.as_ref().is_none_or(|c| n.as_str() >= c.file.as_str()))
        .collect();
    files.sort();
    files.dedup();

    let mut position = start.clone();
    let mut events = Vec::new();
    let mut warnings = Vec::new();
    let mut notices = Vec::new();
    let mut consumed = 0;
    let mut more = false;
    'files: for (i, name) in files.iter().enumerate() {
        let skip = match &start {
            Some(c) if c.file == **name => c.rows,
            _ => 0,
        };
        let rows = match read(name).and_then(|bytes| parse_results(name, &bytes)) {
            Ok(rows) => rows,
            Err(e) if consumed == 0 => return Err(e),
            Err(_) => {
                // Report what was read; the next call meets the error first.
                more = true;
                break;
            }
        };
        if skip > rows.len() {
            return Err(AdapterError::Invalid(format!(
                "the cursor {} says {skip} rows of {RESULTS}/{name} were read, but it has only {}: the cursor does not come from this exchange folder",
                start.as_ref().map(ToString::to_string).unwrap_or_default(),
                rows.len()
            )));
        }
        for (index, row) in rows.into_iter().enumerate().skip(skip) {
            if consumed == PAGE_SIZE {
                more = true;
                break 'files;
            }
            match row {
                ResultRow::Event(event) => events.push(*event),
                ResultRow::WithdrawalRefused(event, warning) => {
                    events.push(*event);
                    warnings.push(warning);
                }
                ResultRow::Withdrawn(notice) => notices.push(notice),
                ResultRow::BatchFailure(warning) => warnings.push(warning),
            }
            consumed += 1;
            position = Some(Cursor {
                file: (*name).clone(),
                rows: index + 1,
            });
        }
        // The whole file is read (also when it has no rows at all).
        if position.as_ref().is_none_or(|p| p.file != **name) {
            position = Some(Cursor {
                file: (*name).clone(),
                rows: skip,
            });
        }
        if consumed == PAGE_SIZE && i + 1 < files.len() {
            more = true;
            break;
        }
    }
    Ok(Page {
        page: EventPage {
            events: events.into_iter().map(Into::into).collect(),
            next_cursor: position.map(|p| p.to_string()),
            more,
        },
        warnings,
        notices,
    })
}

/// One row of a result file about one case, as the department wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRow {
    /// 状态代码.
    pub code: String,
    /// 业务号; empty on `09`.
    pub reference: String,
    /// 办理时间, `YYYYMMDDHHMMSS`.
    pub at: String,
    /// 办理意见.
    pub note: String,
}

/// The rows of result file `name` (in `bjjg/`) about case `case_no`, in order.
pub fn case_rows(name: &str, bytes: &[u8], case_no: &str) -> Result<Vec<CaseRow>, AdapterError> {
    let file = format!("{RESULTS}/{name}");
    let table = Table::read(&file, bytes, RESULT_COLUMNS, Some("平台办件编号"))?;
    let mut rows = Vec::new();
    for row in table.rows() {
        if row.require("平台办件编号")? != case_no {
            continue;
        }
        rows.push(CaseRow {
            code: row.require("状态代码")?.to_owned(),
            reference: row.get("业务号").unwrap_or_default().to_owned(),
            at: row.require("办理时间")?.to_owned(),
            note: row.get("办理意见").unwrap_or_default().to_owned(),
        });
    }
    Ok(rows)
}

/// Where a case stands at the department, as far as the result files show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Standing {
    /// The latest row that set the case's status (`16` and `99` rows set none);
    /// `None` while the batch job has not reported on the case.
    pub last: Option<CaseRow>,
    /// The latest decision (`03`, `04`, `09`) and whether it is 办结 (`05`).
    pub decision: Option<CaseRow>,
    /// How many times the department asked for a supplement (`02` rows).
    pub supplement_requests: usize,
}

impl Standing {
    /// The standing after `rows` of the case, oldest first.
    pub fn of(rows: impl IntoIterator<Item = CaseRow>) -> Standing {
        let mut standing = Standing::default();
        for row in rows {
            match row.code.as_str() {
                "16" | "99" => continue,
                "02" => standing.supplement_requests += 1,
                "03" | "04" | "09" => standing.decision = Some(row.clone()),
                _ => {}
            }
            standing.last = Some(row);
        }
        standing
    }

    /// The 状态代码 the case is at, if reported.
    pub fn code(&self) -> Option<&str> {
        self.last.as_ref().map(|r| r.code.as_str())
    }

    /// Whether the department has withdrawn the case (`06`).
    pub fn withdrawn(&self) -> bool {
        self.code() == Some("06")
    }

    /// The department's refusal of a withdrawal, when it has decided the case
    /// (`03`, `04`, `05`, `09`): its decision, when, and its own words.
    pub fn withdrawal_refusal(&self) -> Option<String> {
        let last = self.last.as_ref()?;
        if !matches!(last.code.as_str(), "03" | "04" | "05" | "09") {
            return None;
        }
        let decision = self.decision.as_ref().unwrap_or(last);
        let done = if last.code == "05" {
            format!("，并已于{}办结", spoken_time(&last.at))
        } else {
            String::new()
        };
        let reference = if decision.reference.is_empty() {
            String::new()
        } else {
            format!("（业务号{}）", decision.reference)
        };
        let decided = match decision.code.as_str() {
            "03" => "准予登记",
            "04" => "不予登记",
            "09" => "不予受理",
            _ => "办结",
        };
        Some(format!(
            "{DEPARTMENT}已于{}作出{decided}决定{reference}{done}，申请不能撤回。办理意见：{}",
            spoken_time(&decision.at),
            decision.note
        ))
    }

    /// Why the department takes no supplement now, when it does not: the case is
    /// not waiting at 需补正 (`02`).
    pub fn supplement_refusal(&self) -> Option<String> {
        match self.code() {
            Some("02") => None,
            Some("06") => Some(format!("该办件已撤回，{DEPARTMENT}不再接收补正材料")),
            Some(code) => Some(format!(
                "该办件在{DEPARTMENT}的状态为{}（{code}），不在补正期间，补正材料不予接收",
                status_name(code)
            )),
            None => Some(format!(
                "{DEPARTMENT}尚未受理该办件（申请文件等待批处理读取），未要求补正，补正材料不予接收"
            )),
        }
    }
}

/// `YYYYMMDDHHMMSS` as a clerk reads it: `2026年11月27日09:31:05`.
fn spoken_time(at: &str) -> String {
    match date::parse_datetime(at) {
        Ok(t) => format!(
            "{:04}年{:02}月{:02}日{:02}:{:02}:{:02}",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        Err(_) => at.to_owned(),
    }
}

// ---------------------------------------------------------------------------
// Values

/// `column` as one of the codes in `table`.
fn coded<T: Copy>(row: &Row<'_>, column: &str, table: &[(&str, T)]) -> Result<T, AdapterError> {
    let code = row.require(column)?;
    match table.iter().find(|(c, _)| *c == code) {
        Some(&(_, value)) => Ok(value),
        None => {
            let codes: Vec<&str> = table.iter().map(|(c, _)| *c).collect();
            Err(row.unexpected(
                column,
                code,
                &format!(
                    "one of {} (the exchange spec defines no other)",
                    codes.join(", ")
                ),
            ))
        }
    }
}

/// `column` as a whole number, e.g. of working days.
fn number(row: &Row<'_>, column: &str) -> Result<u32, AdapterError> {
    let text = row.require(column)?;
    text.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| text.parse().ok())
        .flatten()
        .ok_or_else(|| row.unexpected(column, text, "a whole number"))
}

/// `column` as the department's yes/no.
fn flag(row: &Row<'_>, column: &str) -> Result<bool, AdapterError> {
    match row.require(column)? {
        "是" => Ok(true),
        "否" => Ok(false),
        other => Err(row.unexpected(column, other, "是 or 否")),
    }
}

/// `column` as a date `YYYYMMDD`, given as `YYYY-MM-DD`.
fn iso_date(row: &Row<'_>, column: &str) -> Result<String, AdapterError> {
    let text = row.require(column)?;
    date::parse(text)
        .map(date::to_iso)
        .map_err(|_| row.unexpected(column, text, "a date YYYYMMDD such as 20230512"))
}

/// `column` as a time `YYYYMMDDHHMMSS` in Beijing time, given in RFC 3339.
fn instant(row: &Row<'_>, column: &str) -> Result<String, AdapterError> {
    let text = row.require(column)?;
    let at = date::parse_datetime(text).map_err(|_| {
        row.unexpected(column, text, "a time YYYYMMDDHHMMSS such as 20261127093005")
    })?;
    Ok(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{BEIJING}",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    ))
}
