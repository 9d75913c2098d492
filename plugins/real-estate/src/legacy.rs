//! The department's exchange files, mapped to and from the contract's types.
//!
//! Everything here is pure: case files come out as GBK bytes and the department's
//! files go in as bytes, so the translation is tested natively. The layout is
//! specified in `examples/legacy-systems/real-estate.md`.

use onewindow_sdk::codes::chrono::{DateTime, Datelike as _, FixedOffset, Timelike as _};
use onewindow_sdk::codes::gbk::{self, EncodingError};
use onewindow_sdk::codes::{credit_code, date, id_number};
use onewindow_sdk::types::{
    AdapterError, CaseEvent, CaseStatus, CaseSubmission, EventPage, Field, License, LicenseStatus,
    Material, Matter, MatterKind, Organization, Party, Person,
};

use crate::table::{Row, Table};

/// 事项清单: the matters.
pub const CATALOGUE: &str = "sxqd.csv";
/// 材料清单: the materials of every matter.
pub const MATERIALS: &str = "clqd.csv";
/// 证书清单: the register of 不动产权证书.
pub const REGISTER: &str = "zsqd.csv";
/// 申请办件: where the platform puts case files.
pub const OUTGOING: &str = "sqbj";
/// Where the batch job moves the case files it has read.
pub const READ: &str = "sqbj/bak";
/// 办件结果: where the batch job puts result files.
pub const RESULTS: &str = "bjjg";

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
    /// `99`: the batch run failed before reading the case file; it is read again later.
    BatchFailure,
}

const RESULT_CODES: &[(&str, Outcome)] = &[
    ("01", Outcome::Status(CaseStatus::InReview)),
    ("02", Outcome::Status(CaseStatus::SupplementRequested)),
    ("03", Outcome::Status(CaseStatus::Approved)),
    ("04", Outcome::Status(CaseStatus::Denied)),
    ("05", Outcome::Status(CaseStatus::Completed)),
    ("09", Outcome::Status(CaseStatus::Denied)),
    ("99", Outcome::BatchFailure),
];

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

    let mut file = CaseFile::new(case);
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
    file.row(&["#附件", "材料编码", "文件名", "文件类型", "文件内容"])?;
    for attachment in &submission.attachments {
        use base64::Engine as _;
        let content = base64::engine::general_purpose::STANDARD.encode(&attachment.content);
        file.row(&[
            "附件",
            &attachment.material_code,
            &attachment.file_name,
            &attachment.media_type,
            &content,
        ])?;
    }
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

/// A case file being written: CSV rows, checked field by field for GBK.
struct CaseFile<'a> {
    case: &'a str,
    writer: csv::Writer<Vec<u8>>,
    section: &'static str,
}

impl<'a> CaseFile<'a> {
    fn new(case: &'a str) -> Self {
        let writer = csv::WriterBuilder::new()
            .flexible(true)
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new());
        Self {
            case,
            writer,
            section: "申请",
        }
    }

    fn row(&mut self, fields: &[&str]) -> Result<(), AdapterError> {
        if let Some(section) = fields.first().and_then(|f| f.strip_prefix('#')) {
            self.section = match section {
                "申请" => "申请",
                "表单" => "表单",
                "附件" => "附件",
                _ => "证照",
            };
        }
        for (i, field) in fields.iter().enumerate() {
            if let Err(EncodingError::Unmappable { ch, position }) = gbk::encode(field) {
                return Err(AdapterError::Invalid(format!(
                    "cannot write the case file of case {}: field {} of a {} row holds '{ch}' (U+{:04X}) at position {position}, which GBK cannot represent; the department's system stores GBK text only, so the case must be given with characters GBK has",
                    self.case,
                    i + 1,
                    self.section,
                    u32::from(ch),
                )));
            }
        }
        self.writer.write_record(fields).map_err(|e| {
            AdapterError::Invalid(format!(
                "cannot write the case file of case {}: {e}",
                self.case
            ))
        })
    }

    fn finish(self) -> Result<Vec<u8>, AdapterError> {
        let case = self.case;
        let failed = |what: String| {
            AdapterError::Invalid(format!("cannot write the case file of case {case}: {what}"))
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
    let status = match outcome {
        Outcome::BatchFailure => {
            return Ok(ResultRow::BatchFailure(format!(
                "{}: the department's batch job failed on case {case_no} (状态代码 99: {note}); it reads the case file again on its next run",
                row.place()
            )));
        }
        Outcome::Status(status) => status,
    };
    if code != "09" {
        // 不予受理 has no 业务号: the case was never stored.
        row.require("业务号")?;
    }
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

/// A page of events and the `99` rows met on the way.
#[derive(Debug)]
pub struct Page {
    /// The events and where the next call starts.
    pub page: EventPage,
    /// What the `99` rows said, for the log.
    pub warnings: Vec<String>,
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
    })
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
