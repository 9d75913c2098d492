//! The 登记注册 system's requests and records, mapped to and from the contract's types.
//!
//! Everything here is pure: requests come out as GBK bytes and answers go in as an
//! [`Answer`], so the translation is tested natively and benchmarked without wasm.

use std::mem;

use onewindow_sdk::codes::chrono::{DateTime, Datelike as _, FixedOffset, Timelike as _};
use onewindow_sdk::codes::{credit_code, date};
use onewindow_sdk::types::{
    AdapterError, Attachment, CaseEvent, CaseStatus, CaseSubmission, Event, EventPage, Field,
    FieldKind, FormField, License, LicenseEvent, LicenseStatus, Material, Matter, MatterKind,
    Organization, Party, PartyField,
};

use crate::soap::{Answer, Document, Envelope, Record, Shape};

/// How many status changes one `CXBJZT` page asks for: the service's maximum.
const PAGE_SIZE: &str = "100";

/// The department's clock: Beijing time, which has no daylight saving.
const BEIJING: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("+08:00 is a valid offset"),
};

static CXSXQD_ANSWER: Shape = answer_shape("CXSXQDResponse", &["FHDM", "FHXX"]);
static BJSB_ANSWER: Shape = answer_shape("BJSBResponse", &["FHDM", "FHXX", "YWLSH"]);
static BJBZ_ANSWER: Shape = answer_shape("BJBZResponse", &["FHDM", "FHXX"]);
static BJCH_ANSWER: Shape = answer_shape("BJCHResponse", &["FHDM", "FHXX"]);
static CXBJZT_ANSWER: Shape = answer_shape("CXBJZTResponse", &["FHDM", "FHXX", "ZDXH", "SFYHY"]);
static CXZZ_ANSWER: Shape = answer_shape("CXZZResponse", &["FHDM", "FHXX"]);
static YZZZ_ANSWER: Shape = answer_shape("YZZZResponse", &["FHDM", "FHXX"]);
static BJZTTZ: Shape = answer_shape("BJZTTZ", &[]);

/// 事项 in the catalogue.
static SX: Shape = Shape {
    name: "SX",
    key: Some("SXBM"),
    fields: &[
        "SXBM", "SXMC", "SSBM", "SXLX", "FDBJSX", "CNBJSX", "DXCCS", "SFWB", "SFBZ", "SLTJ",
    ],
};
/// 材料 of a 事项.
static CL: Shape = Shape {
    name: "CL",
    key: Some("CLBM"),
    fields: &["CLBM", "CLMC", "SFBX", "ZZLX"],
};
/// 表单字段 of a 事项.
static ZD: Shape = Shape {
    name: "ZD",
    key: Some("ZDMC"),
    fields: &["ZDMC", "ZDBQ", "ZDLX", "KXZ", "SFBT", "SJLY"],
};
/// 状态变化 of a case.
static ZT: Shape = Shape {
    name: "ZT",
    key: Some("PTBJBH"),
    fields: &["XH", "PTBJBH", "YWLSH", "ZTDM", "BLSJ", "BLYJ"],
};
/// 证照变更: a license's status changed (吊销, 注销).
static ZZBG: Shape = Shape {
    name: "ZZBG",
    key: Some("ZZBH"),
    fields: &["XH", "ZZBH", "ZZZT", "BGSJ", "BGYY"],
};
/// 证照.
static ZZ: Shape = Shape {
    name: "ZZ",
    key: Some("ZZBH"),
    fields: &[
        "ZZLXDM", "ZZLXMC", "ZZBH", "TYSHXYDM", "QYMC", "FZJG", "FZRQ", "YXQZ", "ZZZT", "QYLX",
        "FDDBR", "ZCZB", "CLRQ", "ZS", "JYFW",
    ],
};

const fn answer_shape(name: &'static str, fields: &'static [&'static str]) -> Shape {
    Shape {
        name,
        key: None,
        fields,
    }
}

const MATTER_KINDS: &[(&str, MatterKind)] = &[
    ("01", MatterKind::AdministrativeLicense),
    ("02", MatterKind::AdministrativeConfirmation),
    ("03", MatterKind::AdministrativePayment),
    ("04", MatterKind::AdministrativeRuling),
    ("05", MatterKind::AdministrativeReward),
    ("09", MatterKind::OtherPower),
    ("10", MatterKind::PublicService),
];

const CASE_STATUSES: &[(&str, CaseStatus)] = &[
    ("02", CaseStatus::InReview),
    ("03", CaseStatus::SupplementRequested),
    ("04", CaseStatus::Approved),
    ("05", CaseStatus::Denied),
    ("06", CaseStatus::Completed),
    ("07", CaseStatus::SpecialProcedure), // 特别程序: 听证, 专家评审, 检验检测…
];

/// 字段类型 (ZDLX) of a form field; `XZ` (选择) lists its options in `KXZ`.
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
    ("XYDM", FieldType::CreditCode),
    ("DZ", FieldType::Address),
];

/// 数据来源 (SJLY): the applicant's basic detail a form field is filled from.
const FIELD_SOURCES: &[(&str, PartyField)] = &[
    ("MC", PartyField::Name),
    ("ZJHM", PartyField::IdNumber),
    ("XYDM", PartyField::CreditCode),
    ("ZS", PartyField::Address),
    ("LXDH", PartyField::Phone),
    ("FDDBR", PartyField::LegalRepresentative),
];

const LICENSE_STATUSES: &[(&str, LicenseStatus)] = &[
    ("1", LicenseStatus::Valid),
    ("2", LicenseStatus::Revoked), // 吊销
    ("3", LicenseStatus::Revoked), // 注销
    ("4", LicenseStatus::Expired),
];

/// The fields printed on a 营业执照, in print order: (face key, element, meaning).
const FACE: &[(&str, &str, &str)] = &[
    ("name", "QYMC", "企业名称"),
    ("credit-code", "TYSHXYDM", "统一社会信用代码"),
    ("type", "QYLX", "企业类型"),
    ("legal-representative", "FDDBR", "法定代表人"),
    ("registered-capital", "ZCZB", "注册资本"),
    ("established-on", "CLRQ", "成立日期"),
    ("address", "ZS", "住所"),
    ("business-scope", "JYFW", "经营范围"),
];

/// The `CXSXQD` request: the whole catalogue.
pub fn catalogue_request() -> Result<Vec<u8>, AdapterError> {
    Envelope::new("CXSXQD").finish()
}

/// Reads the answer to `CXSXQD` into matters.
pub fn parse_catalogue(answer: &Answer<'_>) -> Result<Vec<Matter>, AdapterError> {
    let document = Document::answer("CXSXQD", answer)?;
    let mut matters = Vec::new();
    let mut materials = Vec::new();
    let mut form = Vec::new();
    document.read(&[&CXSXQD_ANSWER, &SX, &CL, &ZD], |record| {
        match record.name() {
            "CL" => materials.push(material(record)?),
            "ZD" => form.push(form_field(record)?),
            "SX" => matters.push(matter(
                record,
                mem::take(&mut materials),
                mem::take(&mut form),
            )?),
            _ => outcome(record)?,
        }
        Ok(())
    })?;
    Ok(matters)
}

/// The `BJSB` request for a case.
pub fn submission_request(submission: &CaseSubmission) -> Result<Vec<u8>, AdapterError> {
    let accepted_at = DateTime::parse_from_rfc3339(&submission.accepted_at).map_err(|e| {
        AdapterError::Invalid(format!(
            "cannot send BJSB for case {}: accepted-at \"{}\" is not an RFC 3339 instant such as 2026-11-27T14:03:05+08:00 ({e})",
            submission.case_no, submission.accepted_at
        ))
    })?;
    let accepted_at = date::datetime_to_chinese(accepted_at.with_timezone(&BEIJING).naive_local());
    let (kind, id, name) = match &submission.applicant {
        Party::Person(p) => ("1", &p.id_number, &p.name),
        Party::Organization(o) => ("2", &o.credit_code, &o.name),
    };

    let mut envelope = Envelope::new("BJSB");
    envelope
        .leaf("PTBJBH", &submission.case_no)
        .leaf("SXBM", &submission.matter_code)
        .start("SQR", &[])
        .leaf("SQRLX", kind)
        .leaf("ZJHM", id)
        .leaf("SQRMC", name)
        .end("SQR")
        .leaf("SLSJ", &accepted_at)
        .start("BDXX", &[]);
    for field in &submission.form {
        envelope.element("ZD", &[("MC", &field.key)], &field.value);
    }
    envelope.end("BDXX").start("FJXX", &[]);
    for file in &submission.attachments {
        let attributes = [
            ("CLBM", file.material_code.as_str()),
            ("WJM", &file.file_name),
            ("LX", &file.media_type),
        ];
        envelope
            .start("FJ", &attributes)
            .base64(&file.content)
            .end("FJ");
    }
    envelope.end("FJXX").start("ZZXX", &[]);
    for reused in &submission.licenses {
        let license = &reused.license;
        let attributes = [
            ("CLBM", reused.material_code.as_str()),
            ("ZZLX", &license.type_name),
            ("ZZBH", &license.number),
            ("CYZ", party_name(&license.holder)),
        ];
        envelope.element("ZZ", &attributes, "");
    }
    envelope.end("ZZXX");
    envelope.finish()
}

/// Reads the answer to `BJSB`: the department's 业务流水号.
pub fn parse_submission(answer: &Answer<'_>) -> Result<String, AdapterError> {
    let document = Document::answer("BJSB", answer)?;
    let mut reference = String::new();
    document.read(&[&BJSB_ANSWER], |record| {
        outcome(record)?;
        record
            .require("YWLSH", "业务流水号")?
            .clone_into(&mut reference);
        Ok(())
    })?;
    Ok(reference)
}

/// The `BJBZ` request: the supplementary materials (补正) of case `case_no`, with
/// the clerk's `note` as the 补正说明.
pub fn supplement_request(
    case_no: &str,
    attachments: &[Attachment],
    note: &str,
) -> Result<Vec<u8>, AdapterError> {
    let case_no = case_number(case_no, "BJBZ")?;
    let mut envelope = Envelope::new("BJBZ");
    envelope
        .leaf("PTBJBH", case_no)
        .leaf("BZSM", note)
        .start("FJXX", &[]);
    for file in attachments {
        let attributes = [
            ("CLBM", file.material_code.as_str()),
            ("WJM", &file.file_name),
            ("LX", &file.media_type),
        ];
        envelope
            .start("FJ", &attributes)
            .base64(&file.content)
            .end("FJ");
    }
    envelope.end("FJXX");
    envelope.finish()
}

/// Reads the answer to `BJBZ`: taken (again, or for the first time), or the
/// department's reason why not.
pub fn parse_supplement(answer: &Answer<'_>) -> Result<(), AdapterError> {
    acknowledgement("BJBZ", &BJBZ_ANSWER, answer)
}

/// The `BJCH` request: withdraws case `case_no` for `reason` (撤回原因).
pub fn withdrawal_request(case_no: &str, reason: &str) -> Result<Vec<u8>, AdapterError> {
    let case_no = case_number(case_no, "BJCH")?;
    if reason.trim().is_empty() {
        return Err(AdapterError::Invalid(format!(
            "撤回办件{case_no}须说明撤回原因：县市场监督管理局的系统不受理没有撤回原因（CHYY）的撤回申请"
        )));
    }
    let mut envelope = Envelope::new("BJCH");
    envelope.leaf("PTBJBH", case_no).leaf("CHYY", reason.trim());
    envelope.finish()
}

/// Reads the answer to `BJCH`: withdrawn (now or before), or the department's
/// reason why not (it has decided).
pub fn parse_withdrawal(answer: &Answer<'_>) -> Result<(), AdapterError> {
    acknowledgement("BJCH", &BJCH_ANSWER, answer)
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

/// Reads an answer that carries nothing but its outcome.
fn acknowledgement(
    op: &str,
    root: &'static Shape,
    answer: &Answer<'_>,
) -> Result<(), AdapterError> {
    let document = Document::answer(op, answer)?;
    document.read(&[root], |record| outcome(record))
}

/// The `CXBJZT` request for the changes after `cursor` (none: from the beginning).
pub fn events_request(cursor: Option<&str>) -> Result<Vec<u8>, AdapterError> {
    let after = cursor.unwrap_or("0");
    if !is_sequence_number(after) {
        return Err(AdapterError::Invalid(format!(
            "the cursor \"{after}\" is not a non-negative integer; this adapter's cursors are CXBJZT sequence numbers (XH)"
        )));
    }
    let mut envelope = Envelope::new("CXBJZT");
    envelope.leaf("QSXH", after).leaf("MYTS", PAGE_SIZE);
    envelope.finish()
}

/// Reads the answer to `CXBJZT` into a page of events.
pub fn parse_events(answer: &Answer<'_>) -> Result<EventPage, AdapterError> {
    let document = Document::answer("CXBJZT", answer)?;
    let mut next_cursor = None;
    let mut more = false;
    let events = events(&document, &CXBJZT_ANSWER, |record| {
        outcome(record)?;
        let last = record.require("ZDXH", "最大序号")?;
        if !is_sequence_number(last) {
            return Err(record.unexpected("ZDXH", "最大序号", last, "a sequence number"));
        }
        next_cursor = Some(last.to_owned());
        more = flag(record, "SFYHY", "是否有后页")?;
        Ok(())
    })?;
    Ok(EventPage {
        events,
        next_cursor,
        more,
    })
}

/// Turns a pushed `BJZTTZ` notification into events: case changes and license changes.
pub fn parse_notification(body: &[u8], content_type: &str) -> Result<Vec<Event>, AdapterError> {
    let document = Document::notification(body, content_type)?;
    events(&document, &BJZTTZ, |_| Ok(()))
}

/// The `CXZZ` request for the licenses of the organization with `credit_code`.
pub fn holder_request(credit_code: &str) -> Result<Vec<u8>, AdapterError> {
    let mut envelope = Envelope::new("CXZZ");
    envelope.leaf("TYSHXYDM", credit_code);
    envelope.finish()
}

/// Reads the answer to `CXZZ` into licenses.
pub fn parse_holder_licenses(answer: &Answer<'_>) -> Result<Vec<License>, AdapterError> {
    licenses("CXZZ", &CXZZ_ANSWER, answer)
}

/// The `YZZZ` request for the license of type `type_code` with `number`.
pub fn verify_request(type_code: &str, number: &str) -> Result<Vec<u8>, AdapterError> {
    let mut envelope = Envelope::new("YZZZ");
    envelope.leaf("ZZLXDM", type_code).leaf("ZZBH", number);
    envelope.finish()
}

/// Reads the answer to `YZZZ`: the license, if the department issued it.
pub fn parse_verification(answer: &Answer<'_>) -> Result<Option<License>, AdapterError> {
    let mut found = licenses("YZZZ", &YZZZ_ANSWER, answer)?;
    if found.len() > 1 {
        return Err(AdapterError::Unavailable(format!(
            "the answer to YZZZ lists {} licenses for one license number; expected at most one",
            found.len()
        )));
    }
    Ok(found.pop())
}

/// A realistic GBK `BJZTTZ` notification with `n` status changes, for benchmarks and tests.
#[doc(hidden)]
pub fn sample_notification(n: usize) -> Vec<u8> {
    // Three cases' lives at the department, repeated: approved and completed with a
    // license; denied; and asked for a supplement before approval (completed without one).
    const LIVES: [(usize, &str, &str); 11] = [
        (0, "02", "材料齐全，进入审查"),
        (0, "04", "经审查，准予许可"),
        (0, "06", "已办结，电子营业执照已核发"),
        (1, "02", "材料齐全，进入审查"),
        (1, "05", "申请材料与法定形式不符，不予许可"),
        (1, "06", "已办结"),
        (2, "02", "材料齐全，进入审查"),
        (2, "03", "请补正：公司章程缺少全体股东签字"),
        (2, "02", "补正材料已收到，继续审查"),
        (2, "04", "经审查，准予许可"),
        (2, "06", "已办结"),
    ];
    let mut envelope = Envelope::new("BJZTTZ");
    envelope.start("ZTLB", &[]);
    for i in 0..n {
        let (offset, code, note) = LIVES[i % LIVES.len()];
        let case = i / LIVES.len() * 3 + offset + 1;
        let (minute, second) = (i / 60 % 60, i % 60);
        envelope
            .start("ZT", &[])
            .leaf("XH", &(i + 1).to_string())
            .leaf("PTBJBH", &format!("20261127-{case:06}"))
            .leaf("YWLSH", &format!("SCJG20261127{case:04}"))
            .leaf("ZTDM", code)
            .leaf(
                "BLSJ",
                &format!("2026年11月27日 15时{minute:02}分{second:02}秒"),
            )
            .leaf("BLYJ", note);
        if i % LIVES.len() == 2 {
            sample_license(&mut envelope, case);
        }
        envelope.end("ZT");
    }
    envelope.end("ZTLB");
    // Every text above is fixed, valid XML text.
    envelope
        .finish()
        .unwrap_or_else(|e| unreachable!("the sample notification is valid: {e:?}"))
}

fn sample_license(envelope: &mut Envelope, case: usize) {
    let body = format!("91330122MA2H{:05}", case % 100_000);
    let code = match credit_code::check_char(&body) {
        Some(check) => format!("{body}{check}"),
        None => body,
    };
    envelope
        .start("ZZ", &[])
        .leaf("ZZLXDM", "YYZZ")
        .leaf("ZZLXMC", "营业执照")
        .leaf("ZZBH", &code)
        .leaf("TYSHXYDM", &code)
        .leaf("QYMC", &format!("桐庐县第{case}号数字科技有限公司"))
        .leaf("FZJG", "县市场监督管理局")
        .leaf("FZRQ", "2026年11月27日")
        .leaf("YXQZ", "长期")
        .leaf("ZZZT", "1")
        .leaf("QYLX", "有限责任公司（自然人投资或控股）")
        .leaf("FDDBR", "张三")
        .leaf("ZCZB", "100万元人民币")
        .leaf("CLRQ", "2026年11月27日")
        .leaf("ZS", "浙江省杭州市桐庐县城南街道迎春南路1号")
        .leaf(
            "JYFW",
            "一般项目：技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广；软件开发。",
        )
        .end("ZZ");
}

/// Checks `FHDM` of an answer's root record and maps a failure to the contract's error.
fn outcome(answer: &Record<'_, '_>) -> Result<(), AdapterError> {
    let op = answer.name().trim_end_matches("Response");
    let message = answer.get("FHXX").unwrap_or_default();
    let said = |fallback: String| {
        if message.is_empty() {
            fallback
        } else {
            message.to_owned()
        }
    };
    match answer.require("FHDM", "返回代码")? {
        "0000" => Ok(()),
        "1001" => Err(AdapterError::Invalid(format!(
            "the 登记注册 system rejected {op} as malformed (FHDM 1001): {}",
            said("no reason given".to_owned())
        ))),
        "2001" => Err(AdapterError::NotFound(said(format!(
            "the 登记注册 system found nothing for {op} (FHDM 2001)"
        )))),
        "3001" => Err(AdapterError::Refused(said(format!(
            "the 登记注册 system refused {op} by its business rules (FHDM 3001)"
        )))),
        code => Err(AdapterError::Unavailable(format!(
            "the 登记注册 system failed on {op} (FHDM {code}): {}; try again later",
            said("no reason given".to_owned())
        ))),
    }
}

fn matter(
    sx: &Record<'_, '_>,
    materials: Vec<Material>,
    form: Vec<FormField>,
) -> Result<Matter, AdapterError> {
    let legal_days = number(sx, "FDBJSX", "法定办结时限")?;
    let promised_days = number(sx, "CNBJSX", "承诺办结时限")?;
    if promised_days > legal_days {
        return Err(sx.error(format_args!(
            "promises {promised_days} working days (CNBJSX) but the legal limit is {legal_days} (FDBJSX); a promised time limit can never exceed the legal one"
        )));
    }
    Ok(Matter {
        code: sx.require("SXBM", "事项编码")?.to_owned(),
        name: sx.require("SXMC", "事项名称")?.to_owned(),
        department: sx.require("SSBM", "实施部门")?.to_owned(),
        kind: coded(sx, "SXLX", "事项类型", MATTER_KINDS)?,
        legal_days,
        promised_days,
        visits: number(sx, "DXCCS", "到现场次数")?,
        online: flag(sx, "SFWB", "是否网办")?,
        fee: sx.require("SFBZ", "收费标准")?.to_owned(),
        conditions: sx.require("SLTJ", "受理条件")?.to_owned(),
        materials,
        form,
    })
}

fn form_field(zd: &Record<'_, '_>) -> Result<FormField, AdapterError> {
    let kind = match coded(zd, "ZDLX", "字段类型", FIELD_TYPES)? {
        FieldType::Text => FieldKind::Text,
        FieldType::Date => FieldKind::Date,
        FieldType::Number => FieldKind::Number,
        FieldType::IdNumber => FieldKind::IdNumber,
        FieldType::CreditCode => FieldKind::CreditCode,
        FieldType::Address => FieldKind::Address,
        FieldType::Choice => {
            let listed = zd.require("KXZ", "可选值")?;
            let options: Vec<String> = listed
                .split('|')
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .map(str::to_owned)
                .collect();
            if options.is_empty() {
                return Err(zd.unexpected(
                    "KXZ",
                    "可选值",
                    listed,
                    "options separated by |, e.g. 正本|副本",
                ));
            }
            FieldKind::Choice(options)
        }
    };
    let from_party = match zd.get("SJLY") {
        None => None,
        Some(_) => Some(coded(zd, "SJLY", "数据来源", FIELD_SOURCES)?),
    };
    Ok(FormField {
        key: zd.require("ZDMC", "字段名称")?.to_owned(),
        label: zd.require("ZDBQ", "显示标签")?.to_owned(),
        kind,
        required: flag(zd, "SFBT", "是否必填")?,
        from_party,
    })
}

fn material(cl: &Record<'_, '_>) -> Result<Material, AdapterError> {
    Ok(Material {
        code: cl.require("CLBM", "材料编码")?.to_owned(),
        name: cl.require("CLMC", "材料名称")?.to_owned(),
        required: flag(cl, "SFBX", "是否必须")?,
        license_type: cl.get("ZZLX").map(str::to_owned),
    })
}

/// Reads the `ZT` and `ZZBG` records under `root` in order, each with the `ZZ` it
/// holds; `on_root` reads the root.
fn events(
    document: &Document,
    root: &'static Shape,
    mut on_root: impl FnMut(&Record<'_, '_>) -> Result<(), AdapterError>,
) -> Result<Vec<Event>, AdapterError> {
    let mut events = Vec::new();
    let mut held = None;
    document.read(&[root, &ZT, &ZZBG, &ZZ], |record| {
        match record.name() {
            "ZZ" => held = Some(license(record)?),
            "ZT" => events.push(event(record, held.take())?.into()),
            "ZZBG" => events.push(license_change(record, held.take())?.into()),
            _ => on_root(record)?,
        }
        Ok(())
    })?;
    Ok(events)
}

/// A `ZZBG`: the license as it stands after the change, which must agree with it.
fn license_change(
    zzbg: &Record<'_, '_>,
    license: Option<License>,
) -> Result<LicenseEvent, AdapterError> {
    let number = zzbg.require("ZZBH", "证照编号")?;
    let status = coded(zzbg, "ZZZT", "证照状态", LICENSE_STATUSES)?;
    let Some(license) = license else {
        return Err(zzbg.error(format_args!(
            "holds no <ZZ>: a license change without the license is not one the protocol describes"
        )));
    };
    if license.number != number || license.status != status {
        return Err(zzbg.error(format_args!(
            "says license {number} is now <ZZZT>{}</ZZZT>, but the <ZZ> it holds is license {}, {}",
            zzbg.get("ZZZT").unwrap_or_default(),
            license.number,
            status_words(license.status),
        )));
    }
    Ok(LicenseEvent {
        license,
        at: instant(zzbg, "BGSJ", "变更时间")?,
        note: zzbg.get("BGYY").unwrap_or_default().to_owned(),
    })
}

/// A license status in the words of the department's codes.
fn status_words(status: LicenseStatus) -> &'static str {
    match status {
        LicenseStatus::Valid => "valid (1 有效)",
        LicenseStatus::Revoked => "revoked (2 吊销 or 3 注销)",
        LicenseStatus::Expired => "expired (4 过期)",
    }
}

fn event(zt: &Record<'_, '_>, issued: Option<License>) -> Result<CaseEvent, AdapterError> {
    // The event does not carry the department's reference, but a change without it is
    // not one the protocol describes, so the record is not trusted either.
    zt.require("YWLSH", "业务流水号")?;
    Ok(CaseEvent {
        case_no: zt.require("PTBJBH", "平台办件编号")?.to_owned(),
        status: coded(zt, "ZTDM", "状态代码", CASE_STATUSES)?,
        at: instant(zt, "BLSJ", "办理时间")?,
        note: zt.get("BLYJ").unwrap_or_default().to_owned(),
        issued,
    })
}

/// Reads the licenses of a `CXZZ` or `YZZZ` answer.
fn licenses(
    op: &str,
    root: &'static Shape,
    answer: &Answer<'_>,
) -> Result<Vec<License>, AdapterError> {
    let document = Document::answer(op, answer)?;
    let mut found = Vec::new();
    document.read(&[root, &ZZ], |record| {
        match record.name() {
            "ZZ" => found.push(license(record)?),
            _ => outcome(record)?,
        }
        Ok(())
    })?;
    Ok(found)
}

fn license(zz: &Record<'_, '_>) -> Result<License, AdapterError> {
    let holder = Organization {
        credit_code: zz.require("TYSHXYDM", "统一社会信用代码")?.to_owned(),
        name: zz.require("QYMC", "企业名称")?.to_owned(),
    };
    let valid_until = match zz.require("YXQZ", "有效期至")? {
        "长期" => None,
        _ => Some(iso_date(zz, "YXQZ", "有效期至")?),
    };
    let mut face = Vec::with_capacity(FACE.len());
    for &(key, element, meaning) in FACE {
        let Some(value) = zz.get(element) else {
            continue;
        };
        let value = if element == "CLRQ" {
            iso_date(zz, element, meaning)?
        } else {
            value.to_owned()
        };
        face.push(Field {
            key: key.to_owned(),
            value,
        });
    }
    Ok(License {
        type_code: zz.require("ZZLXDM", "证照类型代码")?.to_owned(),
        type_name: zz.require("ZZLXMC", "证照类型名称")?.to_owned(),
        number: zz.require("ZZBH", "证照编号")?.to_owned(),
        holder: Party::Organization(holder),
        issuer: zz.require("FZJG", "发证机关")?.to_owned(),
        issued_on: iso_date(zz, "FZRQ", "发证日期")?,
        valid_until,
        status: coded(zz, "ZZZT", "证照状态", LICENSE_STATUSES)?,
        face,
    })
}

fn party_name(party: &Party) -> &str {
    match party {
        Party::Person(p) => &p.name,
        Party::Organization(o) => &o.name,
    }
}

/// Field `name` as one of the codes in `table`.
fn coded<T: Copy>(
    record: &Record<'_, '_>,
    name: &str,
    meaning: &str,
    table: &[(&str, T)],
) -> Result<T, AdapterError> {
    let code = record.require(name, meaning)?;
    match table.iter().find(|(c, _)| *c == code) {
        Some(&(_, value)) => Ok(value),
        None => {
            let codes: Vec<&str> = table.iter().map(|(c, _)| *c).collect();
            Err(record.unexpected(name, meaning, code, &format!("one of {}", codes.join(", "))))
        }
    }
}

/// Field `name` as a whole number, e.g. of working days.
fn number(record: &Record<'_, '_>, name: &str, meaning: &str) -> Result<u32, AdapterError> {
    let text = record.require(name, meaning)?;
    text.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| text.parse().ok())
        .flatten()
        .ok_or_else(|| record.unexpected(name, meaning, text, "a whole number"))
}

/// Field `name` as the service's yes/no flag.
fn flag(record: &Record<'_, '_>, name: &str, meaning: &str) -> Result<bool, AdapterError> {
    match record.require(name, meaning)? {
        "1" => Ok(true),
        "0" => Ok(false),
        other => Err(record.unexpected(name, meaning, other, "1 (yes) or 0 (no)")),
    }
}

/// Field `name` as a date, written `YYYY-MM-DD`.
fn iso_date(record: &Record<'_, '_>, name: &str, meaning: &str) -> Result<String, AdapterError> {
    let text = record.require(name, meaning)?;
    date::parse(text)
        .map(date::to_iso)
        .map_err(|_| record.unexpected(name, meaning, text, "a date such as 2018年11月25日"))
}

/// Field `name` as an instant in Beijing time, written in RFC 3339.
fn instant(record: &Record<'_, '_>, name: &str, meaning: &str) -> Result<String, AdapterError> {
    let text = record.require(name, meaning)?;
    let at = date::parse_datetime(text).map_err(|_| {
        record.unexpected(
            name,
            meaning,
            text,
            "a time such as 2026年11月27日 14时05分00秒",
        )
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

/// Whether `text` is a sequence number: ASCII digits that fit in 64 bits.
fn is_sequence_number(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) && text.parse::<u64>().is_ok()
}
