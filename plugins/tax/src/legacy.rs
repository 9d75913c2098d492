//! The 征管 system's operations, mapped to and from the contract's types.
//!
//! Everything here is pure: requests come out as form bodies and answers go in as
//! an [`Answer`], so the translation is tested natively. The specification is
//! `examples/legacy-systems/tax.md`.

use std::collections::HashSet;

use onewindow_sdk::codes::chrono::{DateTime, Datelike as _, FixedOffset, Timelike as _};
use onewindow_sdk::codes::{credit_code, date};
use onewindow_sdk::types::{
    AdapterError, Attachment, CaseEvent, CaseStatus, CaseSubmission, EventPage, Field, FieldKind,
    FormField, License, LicenseStatus, Material, Matter, MatterKind, Organization, Party,
    PartyField,
};

use crate::kv::{Answer, Form, Reply};

/// The one license type the department issues: the 发票领用 record of a 发票申领.
pub const LICENSE_TYPE: &str = "FPLY";
/// Its name, as the platform shows it.
pub const LICENSE_NAME: &str = "发票领用";

/// How many matters one `SXQD` page asks for (the service allows at most 50).
pub const CATALOGUE_PAGE: u32 = 20;
/// How many status changes one `BJZT` page asks for: the service's maximum.
pub const EVENTS_PAGE: u32 = 100;
/// More catalogue pages than this means the service's paging does not end.
pub const MAX_CATALOGUE_PAGES: usize = 50;

/// The department's clock: Beijing time, which has no daylight saving.
const BEIJING: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("+08:00 is a valid offset"),
};

/// 事项类型 (`sxlx`).
const MATTER_KINDS: &[(&str, MatterKind)] = &[
    ("XK", MatterKind::AdministrativeLicense),
    ("QR", MatterKind::AdministrativeConfirmation),
    ("GF", MatterKind::AdministrativePayment),
    ("CJ", MatterKind::AdministrativeRuling),
    ("JL", MatterKind::AdministrativeReward),
    ("QT", MatterKind::OtherPower),
    ("GG", MatterKind::PublicService),
];

/// 状态代码 (`ztdm`) of a case.
const CASE_STATUSES: &[(&str, CaseStatus)] = &[
    ("10", CaseStatus::InReview),
    ("20", CaseStatus::SupplementRequested),
    ("30", CaseStatus::Approved),
    ("40", CaseStatus::Denied),
    ("50", CaseStatus::Completed),
];

/// 字段类型 (`lx`) of a form field; `XZ` (选项) lists its options in `xx`.
#[derive(Clone, Copy)]
enum FieldType {
    Text,
    Date,
    Number,
    Choice,
    IdNumber,
    CreditCode,
    Address,
}

const FIELD_TYPES: &[(&str, FieldType)] = &[
    ("WB", FieldType::Text),
    ("RQ", FieldType::Date),
    ("SZ", FieldType::Number),
    ("XZ", FieldType::Choice),
    ("SFZ", FieldType::IdNumber),
    ("NSRSBH", FieldType::CreditCode),
    ("DZ", FieldType::Address),
];

/// 取值来源 (`ly`): the applicant's basic detail a form field is filled from.
const FIELD_SOURCES: &[(&str, PartyField)] = &[
    ("MC", PartyField::Name),
    ("SFZ", PartyField::IdNumber),
    ("NSRSBH", PartyField::CreditCode),
    ("DZ", PartyField::Address),
    ("LXDH", PartyField::Phone),
    ("FDDBR", PartyField::LegalRepresentative),
];

/// 证照状态 (`zt`) of a 发票领用 record.
const LICENSE_STATUSES: &[(&str, LicenseStatus)] = &[
    ("1", LicenseStatus::Valid),
    ("2", LicenseStatus::Revoked), // 已缴销
    ("3", LicenseStatus::Expired), // 已失效
];

/// 证照类型代码 (`zzlxdm`) the service may report.
const LICENSE_TYPES: &[(&str, &str)] = &[(LICENSE_TYPE, LICENSE_TYPE)];

/// The fields printed on a 发票领用 record, in print order: (face key, key suffix, meaning).
const FACE: &[(&str, &str, &str)] = &[
    ("taxpayer-id", "nsrsbh", "纳税人识别号"),
    ("taxpayer-name", "nsrmc", "纳税人名称"),
    ("invoice-kind", "fpzl", "发票种类"),
    ("max-amount", "dzzgxe", "单份发票最高开票限额"),
    ("monthly-quantity", "myzgsl", "每月最高领用数量"),
    ("delivery", "lyfs", "领用方式"),
    ("agent", "jbr", "经办人"),
    ("tax-office", "zgswjg", "主管税务机关"),
];

/// The `SXQD` request for the catalogue page after `cursor` (0: the first page).
pub fn catalogue_request(cursor: u64) -> Vec<u8> {
    Form::new("SXQD")
        .field("yb", cursor.to_string())
        .field("mys", CATALOGUE_PAGE.to_string())
        .finish()
}

/// One page of the catalogue.
#[derive(Debug, Clone)]
pub struct CataloguePage {
    /// The matters on the page.
    pub matters: Vec<Matter>,
    /// The cursor of the next page (`xyb`).
    pub next: u64,
    /// Whether more pages follow (`sfyhy`).
    pub more: bool,
}

/// Reads the answer to the `SXQD` request for the page after `requested`.
pub fn parse_catalogue_page(
    answer: &Answer,
    requested: u64,
) -> Result<CataloguePage, AdapterError> {
    let reply = Reply::read("SXQD", answer)?;
    reply.outcome()?;
    let count = reply.count("sx", "事项")?;
    let mut matters = Vec::with_capacity(count);
    for i in 1..=count {
        matters.push(matter(&reply, &format!("sx.{i}"))?);
    }
    let (next, more) = paging(&reply, requested)?;
    Ok(CataloguePage {
        matters,
        next,
        more,
    })
}

/// Reads the whole catalogue, page by page, sending each request through `send`.
///
/// A page that lists a matter an earlier page listed, a cursor that does not
/// advance while more pages are announced, or more than [`MAX_CATALOGUE_PAGES`]
/// pages are `unavailable` errors: the service's paging would never end.
pub fn read_catalogue(
    mut send: impl FnMut(Vec<u8>) -> Result<Answer, AdapterError>,
) -> Result<Vec<Matter>, AdapterError> {
    let mut cursor = 0;
    let mut matters: Vec<Matter> = Vec::new();
    let mut seen = HashSet::new();
    for _ in 0..MAX_CATALOGUE_PAGES {
        let page = parse_catalogue_page(&send(catalogue_request(cursor))?, cursor)?;
        for matter in page.matters {
            if !seen.insert(matter.code.clone()) {
                return Err(AdapterError::Unavailable(format!(
                    "the answer to SXQD: the page after yb={cursor} lists {} again, which an earlier page already listed; the 征管 system's paging repeats itself",
                    matter.code
                )));
            }
            matters.push(matter);
        }
        if !page.more {
            return Ok(matters);
        }
        cursor = page.next;
    }
    Err(AdapterError::Unavailable(format!(
        "the answer to SXQD still said more pages follow (sfyhy=Y) after {MAX_CATALOGUE_PAGES} pages; the 征管 system's paging does not end, try again later"
    )))
}

/// The `BJSB` request for a case.
pub fn submission_request(submission: &CaseSubmission) -> Result<Vec<u8>, AdapterError> {
    let accepted_at = DateTime::parse_from_rfc3339(&submission.accepted_at).map_err(|e| {
        AdapterError::Invalid(format!(
            "cannot send BJSB for case {}: accepted-at \"{}\" is not an RFC 3339 instant such as 2026-11-27T14:03:05+08:00 ({e})",
            submission.case_no, submission.accepted_at
        ))
    })?;
    let accepted_at = accepted_at
        .with_timezone(&BEIJING)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    let (kind, id, name) = match &submission.applicant {
        Party::Person(p) => ("1", &p.id_number, &p.name),
        Party::Organization(o) => ("2", &o.credit_code, &o.name),
    };

    let mut form = Form::new("BJSB");
    form.field("ptbjbh", &submission.case_no)
        .field("sxbm", &submission.matter_code)
        .field("sqrlx", kind)
        .field("sqrzjhm", id)
        .field("sqrmc", name)
        .field("slsj", accepted_at)
        .field("bd.ts", submission.form.len().to_string());
    for (i, field) in submission.form.iter().enumerate() {
        let n = i + 1;
        form.field(format!("bd.{n}.mc"), &field.key)
            .field(format!("bd.{n}.z"), &field.value);
    }
    form.field("fj.ts", submission.attachments.len().to_string());
    for (i, file) in submission.attachments.iter().enumerate() {
        use base64::Engine as _;
        let n = i + 1;
        form.field(format!("fj.{n}.clbm"), &file.material_code)
            .field(format!("fj.{n}.wjm"), &file.file_name)
            .field(format!("fj.{n}.lx"), &file.media_type)
            .field(
                format!("fj.{n}.nr"),
                base64::engine::general_purpose::STANDARD.encode(&file.content),
            );
    }
    // Reused licenses travel in the system's own terms: a holder is a 纳税人 with a
    // 纳税人识别号 (the credit code, or a person's ID number) and a 纳税人名称.
    form.field("zz.ts", submission.licenses.len().to_string());
    for (i, reused) in submission.licenses.iter().enumerate() {
        let n = i + 1;
        let license = &reused.license;
        let (holder_id, holder_name) = match &license.holder {
            Party::Person(p) => (&p.id_number, &p.name),
            Party::Organization(o) => (&o.credit_code, &o.name),
        };
        form.field(format!("zz.{n}.clbm"), &reused.material_code)
            .field(format!("zz.{n}.zzlxdm"), &license.type_code)
            .field(format!("zz.{n}.zzlxmc"), &license.type_name)
            .field(format!("zz.{n}.zzbh"), &license.number)
            .field(format!("zz.{n}.nsrsbh"), holder_id)
            .field(format!("zz.{n}.nsrmc"), holder_name);
        if let Some(rep) = license
            .face
            .iter()
            .find(|f| f.key == "legal-representative")
        {
            form.field(format!("zz.{n}.fddbr"), &rep.value);
        }
        form.field(format!("zz.{n}.fzjg"), &license.issuer)
            .field(format!("zz.{n}.fzrq"), &license.issued_on)
            .field(
                format!("zz.{n}.yxqz"),
                license.valid_until.as_deref().unwrap_or("长期"),
            )
            .field(
                format!("zz.{n}.zt"),
                match license.status {
                    LicenseStatus::Valid => "1",
                    LicenseStatus::Revoked => "2",
                    LicenseStatus::Expired => "3",
                },
            );
    }
    Ok(form.finish())
}

/// Reads the answer to `BJSB`: the department's 业务流水号.
pub fn parse_submission(answer: &Answer) -> Result<String, AdapterError> {
    let reply = Reply::read("BJSB", answer)?;
    reply.outcome()?;
    Ok(reply.require("ywlsh", "业务流水号")?.to_owned())
}

/// The `BJBZ` request: the 补正资料 of case `case_no`, with the clerk's `note` as
/// the 补正说明 (`bzsm`).
pub fn supplement_request(
    case_no: &str,
    attachments: &[Attachment],
    note: &str,
) -> Result<Vec<u8>, AdapterError> {
    use base64::Engine as _;
    let case_no = case_number(case_no, "BJBZ")?;
    let mut form = Form::new("BJBZ");
    form.field("ptbjbh", case_no)
        .field("bzsm", note)
        .field("fj.ts", attachments.len().to_string());
    for (i, file) in attachments.iter().enumerate() {
        let n = i + 1;
        form.field(format!("fj.{n}.clbm"), &file.material_code)
            .field(format!("fj.{n}.wjm"), &file.file_name)
            .field(format!("fj.{n}.lx"), &file.media_type)
            .field(
                format!("fj.{n}.nr"),
                base64::engine::general_purpose::STANDARD.encode(&file.content),
            );
    }
    Ok(form.finish())
}

/// Reads the answer to `BJBZ`: taken (now or before), or the system's reason why not.
pub fn parse_supplement(answer: &Answer) -> Result<(), AdapterError> {
    Reply::read("BJBZ", answer)?.outcome()
}

/// The `BJCH` request: withdraws case `case_no` for `reason` (`chyy`, 撤回原因).
pub fn withdrawal_request(case_no: &str, reason: &str) -> Result<Vec<u8>, AdapterError> {
    let case_no = case_number(case_no, "BJCH")?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AdapterError::Invalid(format!(
            "撤回办件{case_no}须说明撤回原因：县税务局的征管系统不受理没有撤回原因（chyy）的撤回申请"
        )));
    }
    Ok(Form::new("BJCH")
        .field("ptbjbh", case_no)
        .field("chyy", reason)
        .finish())
}

/// Reads the answer to `BJCH`: withdrawn (now or before), or the system's reason
/// why not (it has decided: fhdm=3003).
pub fn parse_withdrawal(answer: &Answer) -> Result<(), AdapterError> {
    Reply::read("BJCH", answer)?.outcome()
}

/// A case number that can go into a request, trimmed.
fn case_number<'a>(case_no: &'a str, op: &str) -> Result<&'a str, AdapterError> {
    let trimmed = case_no.trim();
    if trimmed.is_empty() {
        return Err(AdapterError::Invalid(format!(
            "cannot send {op} without a case number"
        )));
    }
    Ok(trimmed)
}

/// The sequence number a cursor stands for; none is the beginning (0).
pub fn events_cursor(cursor: Option<&str>) -> Result<u64, AdapterError> {
    let text = cursor.unwrap_or("0");
    let valid = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    valid.then(|| text.parse().ok()).flatten().ok_or_else(|| {
        AdapterError::Invalid(format!(
            "the cursor \"{text}\" is not a non-negative integer; this adapter's cursors are BJZT sequence numbers (xh)"
        ))
    })
}

/// The `BJZT` request for the status changes after sequence number `after`.
pub fn events_request(after: u64) -> Vec<u8> {
    Form::new("BJZT")
        .field("yb", after.to_string())
        .field("mys", EVENTS_PAGE.to_string())
        .finish()
}

/// Reads the answer to the `BJZT` request for the changes after `requested`.
pub fn parse_events(answer: &Answer, requested: u64) -> Result<EventPage, AdapterError> {
    let reply = Reply::read("BJZT", answer)?;
    reply.outcome()?;
    let count = reply.count("zt", "状态变化")?;
    let mut events = Vec::with_capacity(count);
    let mut last = requested;
    for i in 1..=count {
        let p = format!("zt.{i}");
        let xh_key = format!("{p}.xh");
        let xh = reply.number(&xh_key, "序号")?;
        if xh <= last {
            return Err(reply.unexpected(
                &xh_key,
                "序号",
                &xh.to_string(),
                &format!("a sequence number after {last}: they increase strictly from the requested cursor"),
            ));
        }
        last = xh;
        events.push(event(&reply, &p)?);
    }
    let (next, more) = paging(&reply, requested)?;
    if next < last {
        return Err(reply.unexpected(
            "xyb",
            "下一游标",
            &next.to_string(),
            &format!("at least {last}, the last sequence number on the page"),
        ));
    }
    Ok(EventPage {
        events: events.into_iter().map(Into::into).collect(),
        next_cursor: Some(next.to_string()),
        more,
    })
}

/// The `FPCX` request for the 发票领用 records of the taxpayer `nsrsbh`.
pub fn holder_request(nsrsbh: &str) -> Vec<u8> {
    Form::new("FPCX").field("nsrsbh", nsrsbh).finish()
}

/// Reads the answer to `FPCX`; a taxpayer the system does not know (2001) holds none.
pub fn parse_holder_licenses(answer: &Answer) -> Result<Vec<License>, AdapterError> {
    let reply = Reply::read("FPCX", answer)?;
    if reply.code()? == "2001" {
        return Ok(Vec::new());
    }
    reply.outcome()?;
    licenses(&reply)
}

/// The `FPYZ` request for the record of type `type_code` with `number`.
pub fn verify_request(type_code: &str, number: &str) -> Vec<u8> {
    Form::new("FPYZ")
        .field("zzlxdm", type_code)
        .field("zzbh", number)
        .finish()
}

/// Reads the answer to `FPYZ`: the record, if the department issued it (2001: it did not).
pub fn parse_verification(answer: &Answer) -> Result<Option<License>, AdapterError> {
    let reply = Reply::read("FPYZ", answer)?;
    if reply.code()? == "2001" {
        return Ok(None);
    }
    reply.outcome()?;
    let mut found = licenses(&reply)?;
    if found.len() > 1 {
        return Err(reply.error(format_args!(
            "ly.ts={} lists several records for one number; expected at most one",
            found.len()
        )));
    }
    Ok(found.pop())
}

/// The answer to a pushed notification: the department never pushes.
pub fn notification_refused(content_type: &str) -> AdapterError {
    AdapterError::Invalid(format!(
        "县税务局's 征管 system does not push notifications, so this {content_type} body at /hooks/tax cannot be from it; its case events are read by polling (cases.events, operation BJZT)"
    ))
}

/// `xyb` and `sfyhy` of a page asked for after `requested`, checked to make progress.
fn paging(reply: &Reply, requested: u64) -> Result<(u64, bool), AdapterError> {
    let next = reply.number("xyb", "下一游标")?;
    let more = reply.flag("sfyhy", "是否有后页")?;
    if next < requested {
        return Err(reply.unexpected(
            "xyb",
            "下一游标",
            &next.to_string(),
            &format!("a cursor not before the requested yb={requested}"),
        ));
    }
    if more && next == requested {
        return Err(reply.error(format_args!(
            "sfyhy=Y says more pages follow, but the next cursor xyb={next} did not advance from the requested yb={requested}; the 征管 system's paging is stuck and would never end, try again later"
        )));
    }
    Ok((next, more))
}

fn matter(reply: &Reply, p: &str) -> Result<Matter, AdapterError> {
    let key = |k: &str| format!("{p}.{k}");
    let legal_days = days(reply, &key("fdsx"), "法定办结时限")?;
    let promised_days = days(reply, &key("cnsx"), "承诺办结时限")?;
    let code = reply.require(&key("bm"), "事项编码")?.to_owned();
    if promised_days > legal_days {
        return Err(reply.error(format_args!(
            "{code} ({p}) promises {promised_days} working days ({p}.cnsx) but the legal limit is {legal_days} ({p}.fdsx); a promised time limit can never exceed the legal one"
        )));
    }
    let count = reply.count(&key("cl"), "材料")?;
    let mut materials = Vec::with_capacity(count);
    for i in 1..=count {
        let m = |k: &str| format!("{p}.cl.{i}.{k}");
        materials.push(Material {
            code: reply.require(&m("bm"), "材料编码")?.to_owned(),
            name: reply.require(&m("mc"), "材料名称")?.to_owned(),
            required: reply.flag(&m("bx"), "是否必须")?,
            license_type: reply.get(&m("zzlx")).map(str::to_owned),
        });
    }
    // A catalogue written before the system declared forms has no bd list.
    let fields = if reply.has_record(&key("bd")) {
        reply.count(&key("bd"), "表单字段")?
    } else {
        0
    };
    let mut form = Vec::with_capacity(fields);
    for i in 1..=fields {
        form.push(form_field(reply, &format!("{p}.bd.{i}"))?);
    }
    Ok(Matter {
        code,
        name: reply.require(&key("mc"), "事项名称")?.to_owned(),
        department: reply.require(&key("ssjg"), "实施机关")?.to_owned(),
        kind: reply.coded(&key("sxlx"), "事项类型", MATTER_KINDS)?,
        legal_days,
        promised_days,
        visits: days(reply, &key("dccs"), "到办事现场次数")?,
        online: reply.flag(&key("wb"), "是否网办")?,
        fee: reply.require(&key("sfbz"), "收费标准")?.to_owned(),
        conditions: reply.require(&key("sltj"), "受理条件")?.to_owned(),
        materials,
        form,
    })
}

fn form_field(reply: &Reply, f: &str) -> Result<FormField, AdapterError> {
    let key = |k: &str| format!("{f}.{k}");
    let kind = match reply.coded(&key("lx"), "字段类型", FIELD_TYPES)? {
        FieldType::Text => FieldKind::Text,
        FieldType::Date => FieldKind::Date,
        FieldType::Number => FieldKind::Number,
        FieldType::IdNumber => FieldKind::IdNumber,
        FieldType::CreditCode => FieldKind::CreditCode,
        FieldType::Address => FieldKind::Address,
        FieldType::Choice => {
            let count = reply.count(&key("xx"), "选项")?;
            if count == 0 {
                return Err(reply.unexpected(
                    &key("xx.ts"),
                    "选项条数",
                    "0",
                    "at least one option for a field of type XZ",
                ));
            }
            let options = (1..=count)
                .map(|j| {
                    reply
                        .require(&key(&format!("xx.{j}.z")), "选项")
                        .map(str::to_owned)
                })
                .collect::<Result<_, _>>()?;
            FieldKind::Choice(options)
        }
    };
    let from_party = match reply.get(&key("ly")) {
        None => None,
        Some(_) => Some(reply.coded(&key("ly"), "取值来源", FIELD_SOURCES)?),
    };
    Ok(FormField {
        key: reply.require(&key("mc"), "字段名称")?.to_owned(),
        label: reply.require(&key("bq"), "显示标签")?.to_owned(),
        kind,
        required: reply.flag(&key("bt"), "是否必填")?,
        from_party,
    })
}

/// A small whole number (days, visits).
fn days(reply: &Reply, key: &str, meaning: &str) -> Result<u32, AdapterError> {
    let n = reply.number(key, meaning)?;
    u32::try_from(n)
        .map_err(|_| reply.unexpected(key, meaning, &n.to_string(), "a small whole number"))
}

fn event(reply: &Reply, p: &str) -> Result<CaseEvent, AdapterError> {
    let key = |k: &str| format!("{p}.{k}");
    // The event does not carry the department's reference, but a change without it is
    // not one the protocol describes, so the record is not trusted either.
    reply.require(&key("ywlsh"), "业务流水号")?;
    let issued = if reply.has_record(&key("ly")) {
        Some(license(reply, &key("ly"))?)
    } else {
        None
    };
    Ok(CaseEvent {
        case_no: reply.require(&key("ptbjbh"), "平台办件编号")?.to_owned(),
        status: reply.coded(&key("ztdm"), "状态代码", CASE_STATUSES)?,
        at: instant(reply, &key("blsj"), "办理时间")?,
        note: reply.get(&key("blyj")).unwrap_or_default().to_owned(),
        issued,
    })
}

fn licenses(reply: &Reply) -> Result<Vec<License>, AdapterError> {
    let count = reply.count("ly", "发票领用记录")?;
    (1..=count)
        .map(|i| license(reply, &format!("ly.{i}")))
        .collect()
}

fn license(reply: &Reply, p: &str) -> Result<License, AdapterError> {
    let key = |k: &str| format!("{p}.{k}");
    let type_code = reply.coded(&key("zzlxdm"), "证照类型代码", LICENSE_TYPES)?;
    let nsrsbh_key = key("nsrsbh");
    let nsrsbh = reply.require(&nsrsbh_key, "纳税人识别号")?;
    credit_code::validate(nsrsbh).map_err(|e| {
        reply.unexpected(
            &nsrsbh_key,
            "纳税人识别号",
            nsrsbh,
            &format!("a valid 统一社会信用代码 ({e})"),
        )
    })?;
    let holder = Organization {
        credit_code: nsrsbh.to_owned(),
        name: reply.require(&key("nsrmc"), "纳税人名称")?.to_owned(),
    };
    let valid_until = match reply.require(&key("yxqz"), "有效期至")? {
        "长期" => None,
        _ => Some(iso_date(reply, &key("yxqz"), "有效期至")?),
    };
    let face = FACE
        .iter()
        .filter_map(|&(face_key, suffix, _)| {
            reply.get(&key(suffix)).map(|value| Field {
                key: face_key.to_owned(),
                value: value.to_owned(),
            })
        })
        .collect();
    Ok(License {
        type_code: type_code.to_owned(),
        type_name: reply.require(&key("zzlxmc"), "证照类型名称")?.to_owned(),
        number: reply.require(&key("zzbh"), "证照编号")?.to_owned(),
        holder: Party::Organization(holder),
        issuer: reply.require(&key("fzjg"), "发证机关")?.to_owned(),
        issued_on: iso_date(reply, &key("fzrq"), "发证日期")?,
        valid_until,
        status: reply.coded(&key("zt"), "证照状态", LICENSE_STATUSES)?,
        face,
    })
}

/// `key` as a date, written `2026-11-27`.
fn iso_date(reply: &Reply, key: &str, meaning: &str) -> Result<String, AdapterError> {
    let text = reply.require(key, meaning)?;
    date::parse(text)
        .map(date::to_iso)
        .map_err(|_| reply.unexpected(key, meaning, text, "a date such as 2026-11-27"))
}

/// `key` as an instant in Beijing time, written in RFC 3339.
fn instant(reply: &Reply, key: &str, meaning: &str) -> Result<String, AdapterError> {
    let text = reply.require(key, meaning)?;
    let at = date::parse_datetime(text)
        .map_err(|_| reply.unexpected(key, meaning, text, "a time such as 2026-11-27 14:05:00"))?;
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
