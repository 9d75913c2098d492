//! The 金保工程 business system's requests and records, mapped to and from the
//! contract's types (see `examples/legacy-systems/social-security.md`).
//!
//! Everything here is pure: requests come out as paths and JSON bytes and answers go
//! in as an [`Answer`]; the paged lists take the fetching as a closure. So the whole
//! translation, paging guards included, is tested natively.

use std::collections::HashMap;

use base64::Engine as _;
use onewindow_sdk::codes::chrono::{DateTime, FixedOffset};
use onewindow_sdk::codes::date;
use onewindow_sdk::types::{
    AdapterError, Attachment, CaseEvent, CaseStatus, CaseSubmission, Event, EventPage, Field,
    FieldKind, FormField, License, LicenseEvent, LicenseRef, LicenseStatus, Material, Matter,
    MatterKind, Party, PartyField, Person,
};
use serde_json::{Map, Value, json};

use crate::json::{Answer, Obj, Op, Reply};

/// 证照类型代码 of the only license this department issues.
pub const CARD_TYPE: &str = "SHBZK";
/// 证照类型名称 of it, as materials name it.
pub const CARD_NAME: &str = "社会保障卡";

/// Records per page of 事项目录查询 and 社会保障卡查询: the interface's maximum.
pub const PAGE_SIZE: u32 = 10;
/// Status changes per page of 办件状态变化查询: the interface's maximum.
pub const EVENTS_PAGE_SIZE: u32 = 100;
/// No list of this department runs to more pages than this; a list that does is
/// a paging fault, and the adapter stops instead of asking until the host's timeout.
pub const MAX_PAGES: u32 = 50;
/// No list of this department announces more records than this.
pub const MAX_TOTAL: u64 = (MAX_PAGES * PAGE_SIZE) as u64;

/// The path of 业务申请 below the endpoint.
pub const SUBMIT_PATH: &str = "/yw/sq";
/// The path of 业务补正 below the endpoint.
pub const SUPPLEMENT_PATH: &str = "/yw/bz";
/// The path of 业务撤回 below the endpoint.
pub const WITHDRAW_PATH: &str = "/yw/ch";

/// The department's clock: Beijing time, which has no daylight saving.
const BEIJING: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("+08:00 is a valid offset"),
};

/// aaa123 事项类型.
const MATTER_KINDS: &[(i64, MatterKind, &str)] = &[
    (1, MatterKind::AdministrativeLicense, "行政许可"),
    (2, MatterKind::AdministrativeConfirmation, "行政确认"),
    (3, MatterKind::AdministrativePayment, "行政给付"),
    (4, MatterKind::AdministrativeRuling, "行政裁决"),
    (5, MatterKind::AdministrativeReward, "行政奖励"),
    (9, MatterKind::OtherPower, "其他行政权力"),
    (10, MatterKind::PublicService, "公共服务"),
];

/// bae201 办件状态 of a status change.
const CASE_STATUSES: &[(i64, CaseStatus, &str)] = &[
    (20, CaseStatus::InReview, "审核中"),
    (30, CaseStatus::SupplementRequested, "需补正"),
    (40, CaseStatus::Approved, "审核通过"),
    (50, CaseStatus::Denied, "不予办理"),
    (60, CaseStatus::Completed, "办结"),
];

/// bae203 变化类型 of an entry of 办件状态变化查询.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    /// 1 办件状态: a case moved.
    Case,
    /// 2 社会保障卡状态: a card was reported lost, found again or cancelled.
    Card,
}

const CHANGE_KINDS: &[(i64, Change, &str)] = &[
    (1, Change::Case, "办件状态"),
    (2, Change::Card, "社会保障卡状态"),
];

/// bae113 字段类型 of a form field other than 4 代码选择, whose values are bae116.
const FIELD_KINDS: &[(i64, &str)] = &[
    (1, "文本"),
    (2, "日期"),
    (3, "数字"),
    (4, "代码选择"),
    (5, "公民身份号码"),
    (6, "统一社会信用代码"),
    (7, "地址"),
];

/// bae115 取值来源 of a form field.
const SOURCES: &[(i64, PartyField, &str)] = &[
    (1, PartyField::Name, "姓名或单位名称"),
    (2, PartyField::IdNumber, "公民身份号码"),
    (3, PartyField::CreditCode, "统一社会信用代码"),
    (4, PartyField::Address, "地址"),
    (5, PartyField::Phone, "联系电话"),
    (6, PartyField::LegalRepresentative, "法定代表人"),
];

/// aaz502 卡状态 of a 社会保障卡.
const CARD_STATUSES: &[(i64, LicenseStatus, &str)] = &[
    (1, LicenseStatus::Valid, "正常"),
    (2, LicenseStatus::Revoked, "临时挂失"),
    (3, LicenseStatus::Revoked, "正式挂失"),
    (4, LicenseStatus::Revoked, "注销"),
    (5, LicenseStatus::Expired, "有效期满"),
];

/// aac058 证件类型 of a reused license, by the platform's license type name.
const DOCUMENT_TYPES: &[(&str, i64)] = &[
    ("居民身份证", 1),
    (CARD_NAME, 2),
    ("营业执照", 3),
    ("不动产权证书", 4),
];
/// aac058 for any other license type; `bae132` then names it.
const OTHER_DOCUMENT: i64 = 99;

/// The 事项目录查询 path of page `page_no`.
pub fn catalogue_path(page_no: u32) -> String {
    format!("/sx?pageNo={page_no}&pageSize={PAGE_SIZE}")
}

/// Reads the whole catalogue, page by page; `fetch` gets each page's path.
pub fn read_catalogue(
    mut fetch: impl FnMut(&str) -> Result<Answer, AdapterError>,
) -> Result<Vec<Matter>, AdapterError> {
    read_pages(
        Op::Catalogue,
        ("aaa121", "事项编码"),
        |page| fetch(&catalogue_path(page)),
        matter,
    )
}

/// The 业务申请 body for a case.
pub fn submission_body(submission: &CaseSubmission) -> Result<Vec<u8>, AdapterError> {
    let case = &submission.case_no;
    let accepted_at = DateTime::parse_from_rfc3339(&submission.accepted_at).map_err(|e| {
        AdapterError::Invalid(format!(
            "cannot send {} for case {case}: accepted-at \"{}\" is not an RFC 3339 instant such as 2026-11-27T14:03:05+08:00 ({e})",
            Op::Submit,
            submission.accepted_at
        ))
    })?;
    let mut body = Map::new();
    body.insert("bae100".into(), json!(case));
    body.insert("aaa121".into(), json!(submission.matter_code));
    match &submission.applicant {
        Party::Person(p) => {
            body.insert("bae101".into(), json!(1));
            body.insert("aac002".into(), json!(p.id_number));
            body.insert("aac003".into(), json!(p.name));
        }
        Party::Organization(o) => {
            body.insert("bae101".into(), json!(2));
            body.insert("aab998".into(), json!(o.credit_code));
            body.insert("aab004".into(), json!(o.name));
        }
    }
    body.insert(
        "aae036".into(),
        json!(
            accepted_at
                .with_timezone(&BEIJING)
                .format("%Y%m%d%H%M%S")
                .to_string()
        ),
    );
    let form: Vec<Value> = submission
        .form
        .iter()
        .map(|f| json!({"bae110": f.key, "bae111": f.value}))
        .collect();
    body.insert("bdxx".into(), Value::Array(form));
    body.insert("fjxx".into(), files(&submission.attachments));
    let licenses = submission
        .licenses
        .iter()
        .map(|reused| reused_license(case, reused))
        .collect::<Result<Vec<_>, _>>()?;
    body.insert("zzxx".into(), Value::Array(licenses));
    serde_json::to_vec(&Value::Object(body)).map_err(|e| {
        AdapterError::Invalid(format!("cannot send {} for case {case}: {e}", Op::Submit))
    })
}

/// The fjxx 附件信息 of a request: the files, their content in base64.
fn files(attachments: &[Attachment]) -> Value {
    attachments
        .iter()
        .map(|a| {
            json!({
                "bae010": a.material_code,
                "bae120": a.file_name,
                "bae121": a.media_type,
                "bae122": base64::engine::general_purpose::STANDARD.encode(&a.content),
            })
        })
        .collect()
}

/// The 业务补正 body: the case by its platform number, the clerk's note and the files.
pub fn supplement_body(
    case_no: &str,
    attachments: &[Attachment],
    note: &str,
) -> Result<Vec<u8>, AdapterError> {
    let body = json!({
        "bae100": case_no,
        "aae013": note.trim(),
        "fjxx": files(attachments),
    });
    serde_json::to_vec(&body).map_err(|e| {
        AdapterError::Invalid(format!(
            "cannot send {} for case {case_no}: {e}",
            Op::Supplement
        ))
    })
}

/// The 业务撤回 body: the case by its platform number and the reason.
pub fn withdrawal_body(case_no: &str, reason: &str) -> Result<Vec<u8>, AdapterError> {
    let body = json!({"bae100": case_no, "aae013": reason.trim()});
    serde_json::to_vec(&body).map_err(|e| {
        AdapterError::Invalid(format!(
            "cannot send {} for case {case_no}: {e}",
            Op::Withdraw
        ))
    })
}

/// Reads the answer to 业务补正 or 业务撤回 (`op`) about `case_no`: `data` names
/// the case, its 业务流水号, when it was done and whether it repeated (bae102).
fn parse_handled(op: Op, case_no: &str, answer: &Answer) -> Result<(), AdapterError> {
    let reply = Reply::read(op, &format!("bae100={case_no}"), answer)?;
    let data = reply.data()?;
    let answered = data.str("bae100", "平台办件编号")?;
    if answered != case_no {
        return Err(data.error(format_args!(
            "is about case {answered} (bae100) although case {case_no} was sent"
        )));
    }
    data.str("aaz002", "业务流水号")?;
    data.instant("aae036", "经办时间")?;
    data.flag("bae102", "重复标志")?;
    Ok(())
}

/// Reads the answer to 业务补正: the department took the files of `case_no`
/// (now, or the same files before).
pub fn parse_supplement(case_no: &str, answer: &Answer) -> Result<(), AdapterError> {
    parse_handled(Op::Supplement, case_no, answer)
}

/// Reads the answer to 业务撤回: the department withdrew `case_no` (now or before).
pub fn parse_withdrawal(case_no: &str, answer: &Answer) -> Result<(), AdapterError> {
    parse_handled(Op::Withdraw, case_no, answer)
}

/// One `zzxx` entry: a license standing in for a material, in the 金保 fields.
fn reused_license(case: &str, reused: &LicenseRef) -> Result<Value, AdapterError> {
    let license = &reused.license;
    let compact = |what: &str, text: &str| {
        date::parse(text).map(date::to_compact).map_err(|_| {
            AdapterError::Invalid(format!(
                "cannot send {} for case {case}: the reused {} {} has {what} \"{text}\", not a date such as 2018-11-25",
                Op::Submit,
                license.type_name,
                license.number
            ))
        })
    };
    let document = DOCUMENT_TYPES
        .iter()
        .find(|(name, _)| *name == license.type_name)
        .map_or(OTHER_DOCUMENT, |&(_, code)| code);
    let mut entry = Map::new();
    entry.insert("bae010".into(), json!(reused.material_code));
    entry.insert("aac058".into(), json!(document));
    entry.insert("bae132".into(), json!(license.type_name));
    entry.insert("bae133".into(), json!(license.type_code));
    entry.insert("aae135".into(), json!(license.number));
    match &license.holder {
        Party::Person(p) => {
            entry.insert("aac002".into(), json!(p.id_number));
            entry.insert("aac003".into(), json!(p.name));
        }
        Party::Organization(o) => {
            entry.insert("aab998".into(), json!(o.credit_code));
            entry.insert("aab004".into(), json!(o.name));
        }
    }
    entry.insert("aae017".into(), json!(license.issuer));
    entry.insert(
        "aae030".into(),
        json!(compact("issued-on", &license.issued_on)?),
    );
    let until = match &license.valid_until {
        Some(until) => json!(compact("valid-until", until)?),
        // 长期.
        None => Value::Null,
    };
    entry.insert("aae031".into(), until);
    let status = match license.status {
        LicenseStatus::Valid => 1,
        LicenseStatus::Revoked => 2,
        LicenseStatus::Expired => 3,
    };
    entry.insert("bae135".into(), json!(status));
    Ok(Value::Object(entry))
}

/// Reads the answer to 业务申请: the department's 业务流水号 (aaz002).
pub fn parse_submission(answer: &Answer) -> Result<String, AdapterError> {
    let reply = Reply::read(Op::Submit, "", answer)?;
    let data = reply.data()?;
    Ok(data.str("aaz002", "业务流水号")?.to_owned())
}

/// The 办件状态变化查询 path for the changes after `cursor` (none: from the beginning).
pub fn events_path(cursor: Option<&str>) -> Result<String, AdapterError> {
    let after = sequence(cursor)?;
    Ok(format!("/yw/zt?qsxh={after}&pageSize={EVENTS_PAGE_SIZE}"))
}

/// Reads the answer to 办件状态变化查询 for the changes after `cursor`.
pub fn parse_events(cursor: Option<&str>, answer: &Answer) -> Result<EventPage, AdapterError> {
    let after = sequence(cursor)?;
    let reply = Reply::read(Op::Events, &format!("qsxh={after}"), answer)?;
    let data = reply.data()?;
    let items = data.items("list", "状态变化列表", "bae100")?;
    let last = data.uint("zdxh", "本页最大序号")?;
    let more = data.bool("hasNext", "是否有后续记录")?;
    if more && last <= after {
        return Err(data.error(format_args!(
            "says hasNext is true but its zdxh {last} (本页最大序号) does not advance past qsxh {after}: asking again would return the same page forever, so the adapter stopped"
        )));
    }
    if items.len() > EVENTS_PAGE_SIZE as usize {
        return Err(data.error(format_args!(
            "holds {} status changes although pageSize was {EVENTS_PAGE_SIZE}",
            items.len()
        )));
    }
    let mut previous = after;
    let mut events = Vec::with_capacity(items.len());
    for item in &items {
        let xh = item.uint("bae200", "序号")?;
        if xh <= previous {
            return Err(item.error(format_args!(
                "has bae200 {xh} (序号), not after {previous}; sequence numbers must rise past qsxh {after}"
            )));
        }
        previous = xh;
        events.push(match item.code("bae203", "变化类型", CHANGE_KINDS)? {
            Change::Case => Event::CaseChanged(event(item)?),
            Change::Card => Event::LicenseChanged(card_change(item)?),
        });
    }
    if last < previous {
        return Err(data.error(format_args!(
            "has zdxh {last} (本页最大序号), below the last bae200 {previous} of its own list"
        )));
    }
    Ok(EventPage {
        events,
        next_cursor: Some(last.to_string()),
        more,
    })
}

/// An entry of 办件状态变化查询 whose bae203 is 2: a card's new status, with the
/// card as it stands now (sbk).
fn card_change(item: &Obj<'_>) -> Result<LicenseEvent, AdapterError> {
    let number = item.str("aaz500", "社会保障卡卡号")?;
    let status = item.code("aaz502", "卡状态", CARD_STATUSES)?;
    let Some(record) = item.obj("sbk", "社会保障卡")? else {
        return Err(item.error(format_args!(
            "is a change of the card {number} (bae203 2) without the card (sbk)"
        )));
    };
    let license = card(&record)?;
    if license.number != number || license.status != status {
        return Err(record.error(format_args!(
            "is the card {} with aaz502 {}, but the change is of the card {number} to aaz502 {}",
            license.number,
            record
                .get("aaz502")
                .map_or("none".to_owned(), Value::to_string),
            item.get("aaz502")
                .map_or("none".to_owned(), Value::to_string),
        )));
    }
    Ok(LicenseEvent {
        license,
        at: item.instant("aae036", "经办时间")?,
        note: item
            .opt_str("aae013", "办理意见")?
            .unwrap_or_default()
            .to_owned(),
    })
}

/// The 社会保障卡查询 path of page `page_no` for the holder with `id_number`.
pub fn cards_path(id_number: &str, page_no: u32) -> String {
    format!(
        "/sbk?aac002={}&pageNo={page_no}&pageSize={PAGE_SIZE}",
        percent_encode(id_number)
    )
}

/// Reads every 社会保障卡 of the person with `id_number`, page by page.
pub fn read_cards(
    id_number: &str,
    mut fetch: impl FnMut(&str) -> Result<Answer, AdapterError>,
) -> Result<Vec<License>, AdapterError> {
    read_pages(
        Op::Cards,
        ("aaz500", "社会保障卡卡号"),
        |page| fetch(&cards_path(id_number, page)),
        card,
    )
}

/// The 社会保障卡验证 path for the card `number`; a number that cannot be a card
/// number is `invalid` without asking.
pub fn verify_path(number: &str) -> Result<String, AdapterError> {
    if !is_card_number(number) {
        let hint = if is_card_number(&number.to_ascii_uppercase()) {
            "; write its letter in uppercase"
        } else {
            ""
        };
        return Err(AdapterError::Invalid(format!(
            "\"{number}\" is not a 社会保障卡卡号: a card number is one capital letter and 8 digits, such as D33012345{hint}"
        )));
    }
    Ok(format!("/sbk/{number}"))
}

/// Reads the answer to 社会保障卡验证: the card, if the department issued it.
pub fn parse_verification(number: &str, answer: &Answer) -> Result<Option<License>, AdapterError> {
    let reply = Reply::read(Op::Verify, &format!("aaz500={number}"), answer)?;
    let Some(data) = reply.data_or_not_found()? else {
        return Ok(None);
    };
    let license = card(&data)?;
    if license.number != number {
        return Err(data.error(format_args!(
            "is the card {} although the card {number} was asked for",
            license.number
        )));
    }
    Ok(Some(license))
}

/// The department does not push: every notification is refused.
pub fn parse_notification(body: &[u8], content_type: &str) -> Result<Vec<CaseEvent>, AdapterError> {
    Err(AdapterError::Invalid(format!(
        "the 县人力资源和社会保障局's 金保 system does not push notifications, so nothing may post to its hook ({} bytes of {} received); its case events are polled through 办件状态变化查询 (GET /yw/zt)",
        body.len(),
        if content_type.is_empty() {
            "no content type"
        } else {
            content_type
        }
    )))
}

/// Reads a page-numbered list to its end, guarding against paging that never ends:
/// a page other than the one asked for, a record seen on an earlier page, an empty
/// page that says more follow, more pages than [`MAX_PAGES`] or more records
/// announced than [`MAX_TOTAL`] all stop the reading with an `unavailable` error.
fn read_pages<T>(
    op: Op,
    (key, meaning): (&str, &str),
    mut fetch: impl FnMut(u32) -> Result<Answer, AdapterError>,
    mut item: impl FnMut(&Obj<'_>) -> Result<T, AdapterError>,
) -> Result<Vec<T>, AdapterError> {
    let mut seen: HashMap<String, u32> = HashMap::new();
    let mut out = Vec::new();
    for page_no in 1..=MAX_PAGES {
        let answer = fetch(page_no)?;
        let reply = Reply::read(op, &format!("page {page_no}"), &answer)?;
        let data = reply.data()?;
        let echoed = data.uint("pageNo", "页码")?;
        if echoed != u64::from(page_no) {
            return Err(data.error(format_args!(
                "is page {echoed} (pageNo) although page {page_no} was asked for: the paging does not advance, so the adapter stopped"
            )));
        }
        let total = data.uint("total", "总记录数")?;
        if total > MAX_TOTAL {
            return Err(data.error(format_args!(
                "announces {total} records (total), more than any list of this department holds (at most {MAX_TOTAL}); the adapter stopped instead of paging on"
            )));
        }
        let more = data.bool("hasNext", "是否有下一页")?;
        let items = data.items("list", "记录列表", key)?;
        if items.len() > PAGE_SIZE as usize {
            return Err(data.error(format_args!(
                "holds {} records although pageSize was {PAGE_SIZE}",
                items.len()
            )));
        }
        for record in &items {
            let id = record.str(key, meaning)?;
            if let Some(first) = seen.insert(id.to_owned(), page_no) {
                return Err(record.error(format_args!(
                    "repeats {key} {id} ({meaning}) already read on page {first}: the paging does not advance, so the adapter stopped"
                )));
            }
            out.push(item(record)?);
        }
        if !more {
            if out.len() as u64 != total {
                return Err(data.error(format_args!(
                    "is the last page (hasNext false) but the pages held {} records where total announced {total}; the list is incomplete",
                    out.len()
                )));
            }
            return Ok(out);
        }
        if items.is_empty() {
            return Err(data.error(format_args!(
                "is empty but says hasNext is true: the paging does not advance, so the adapter stopped"
            )));
        }
    }
    Err(AdapterError::Unavailable(format!(
        "{op} still said hasNext after {MAX_PAGES} pages of {PAGE_SIZE} records; no list of this department is that long, so the adapter stopped"
    )))
}

/// One record of 事项目录查询.
fn matter(sx: &Obj<'_>) -> Result<Matter, AdapterError> {
    let legal_days = sx.u32("bae001", "法定办结时限")?;
    let promised_days = sx.u32("bae002", "承诺办结时限")?;
    if promised_days > legal_days {
        return Err(sx.error(format_args!(
            "promises {promised_days} working days (bae002) but the legal limit is {legal_days} (bae001); a promised time limit can never exceed the legal one"
        )));
    }
    let materials = sx
        .items("clxx", "材料清单", "bae010")?
        .iter()
        .map(material)
        .collect::<Result<_, _>>()?;
    let mut form: Vec<FormField> = Vec::new();
    for item in sx.items("bdxx", "表单信息", "bae110")? {
        let field = form_field(&item)?;
        if form.iter().any(|f| f.key == field.key) {
            return Err(item.error(format_args!(
                "declares the form field {} (bae110) a second time",
                field.key
            )));
        }
        form.push(field);
    }
    Ok(Matter {
        code: sx.str("aaa121", "事项编码")?.to_owned(),
        name: sx.str("aaa122", "事项名称")?.to_owned(),
        department: sx.str("aab300", "实施机构")?.to_owned(),
        kind: sx.code("aaa123", "事项类型", MATTER_KINDS)?,
        legal_days,
        promised_days,
        visits: sx.u32("bae003", "到现场次数")?,
        online: sx.flag("bae004", "是否网上可办")?,
        fee: sx.str("bae005", "收费标准")?.to_owned(),
        conditions: sx.str("bae006", "受理条件")?.to_owned(),
        materials,
        form,
    })
}

/// One bdxx entry of 事项目录查询: a field of the matter's application form.
fn form_field(bd: &Obj<'_>) -> Result<FormField, AdapterError> {
    let code = bd.code(
        "bae113",
        "字段类型",
        &FIELD_KINDS
            .iter()
            .map(|&(c, name)| (c, c, name))
            .collect::<Vec<_>>(),
    )?;
    let options = bd.get("bae116");
    let kind = match code {
        1 => FieldKind::Text,
        2 => FieldKind::Date,
        3 => FieldKind::Number,
        5 => FieldKind::IdNumber,
        6 => FieldKind::CreditCode,
        7 => FieldKind::Address,
        _ => {
            let values = bd.strings("bae116", "可选值")?;
            if values.is_empty() {
                return Err(bd.error(
                    "is a choice (bae113 4, 代码选择) without any value to choose (bae116 可选值)",
                ));
            }
            FieldKind::Choice(values)
        }
    };
    if code != 4
        && let Some(options) = options
    {
        return Err(bd.error(format_args!(
            "has bae116 {options} (可选值) although its bae113 {code} (字段类型) is not 4 (代码选择)"
        )));
    }
    let from_party = match bd.get("bae115") {
        None => None,
        Some(_) => Some(bd.code("bae115", "取值来源", SOURCES)?),
    };
    Ok(FormField {
        key: bd.str("bae110", "字段名")?.to_owned(),
        label: bd.str("bae112", "显示名称")?.to_owned(),
        kind,
        required: bd.flag("bae114", "是否必填")?,
        from_party,
    })
}

fn material(cl: &Obj<'_>) -> Result<Material, AdapterError> {
    Ok(Material {
        code: cl.str("bae010", "材料编码")?.to_owned(),
        name: cl.str("bae011", "材料名称")?.to_owned(),
        required: cl.flag("bae012", "是否必须")?,
        license_type: cl.opt_str("bae013", "可替代证照类型")?.map(str::to_owned),
    })
}

/// One record of 办件状态变化查询.
fn event(item: &Obj<'_>) -> Result<CaseEvent, AdapterError> {
    // The event does not need the department's reference, but a change without it
    // is not one the interface describes, so the record is not trusted either.
    item.str("aaz002", "业务流水号")?;
    let case_no = item.str("bae100", "平台办件编号")?.to_owned();
    let status = item.code("bae201", "办件状态", CASE_STATUSES)?;
    let at = item.instant("aae036", "经办时间")?;
    let note = item
        .opt_str("aae013", "办理意见")?
        .unwrap_or_default()
        .to_owned();
    let issued = match item.obj("sbk", "社会保障卡")? {
        None => None,
        Some(card_record) if status == CaseStatus::Completed => Some(card(&card_record)?),
        Some(card_record) => {
            return Err(card_record.error(
                "is a 社会保障卡 issued with a change that is not 60 (办结); only a finished case issues a card",
            ));
        }
    };
    Ok(CaseEvent {
        case_no,
        status,
        at,
        note,
        issued,
    })
}

/// A 社会保障卡 record as the contract's license.
fn card(record: &Obj<'_>) -> Result<License, AdapterError> {
    let number = record.str("aaz500", "社会保障卡卡号")?;
    if !is_card_number(number) {
        return Err(record.error(format_args!(
            "has aaz500 \"{number}\" (社会保障卡卡号); expected one capital letter and 8 digits"
        )));
    }
    let holder = Person {
        id_number: record.str("aac002", "社会保障号码")?.to_owned(),
        name: record.str("aac003", "姓名")?.to_owned(),
    };
    let issued_on = record.date("aae030", "发卡日期")?;
    let valid_until = record.date("aae031", "有效期至")?;
    let bank = record.str("aae008", "开户银行")?;
    let face = [
        ("name", holder.name.as_str()),
        ("social-security-number", holder.id_number.as_str()),
        ("card-number", number),
        ("issued-on", issued_on.as_str()),
        ("valid-until", valid_until.as_str()),
        ("bank", bank),
    ]
    .into_iter()
    .map(|(key, value)| Field {
        key: key.to_owned(),
        value: value.to_owned(),
    })
    .collect();
    Ok(License {
        type_code: CARD_TYPE.to_owned(),
        type_name: CARD_NAME.to_owned(),
        number: number.to_owned(),
        status: record.code("aaz502", "卡状态", CARD_STATUSES)?,
        issuer: record.str("aae017", "发卡机构")?.to_owned(),
        holder: Party::Person(holder),
        issued_on,
        valid_until: Some(valid_until),
        face,
    })
}

/// One capital letter and 8 digits, e.g. `D33012345`.
pub fn is_card_number(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 9 && bytes[0].is_ascii_uppercase() && bytes[1..].iter().all(u8::is_ascii_digit)
}

/// The sequence number a cursor stands for; none is 0, from the beginning.
fn sequence(cursor: Option<&str>) -> Result<u64, AdapterError> {
    let Some(text) = cursor else {
        return Ok(0);
    };
    (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse::<u64>().ok())
        .flatten()
        .ok_or_else(|| {
            AdapterError::Invalid(format!(
                "the cursor \"{text}\" is not a non-negative integer; this adapter's cursors are the 序号 (bae200) of 办件状态变化查询"
            ))
        })
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay as they are).
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
