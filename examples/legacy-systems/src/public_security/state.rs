//! The department's memory: the register, cases, the status-change log and the case lifecycle.

use std::collections::HashMap;
use std::time::Duration;

use onewindow_codes::chrono::{Datelike as _, Months, NaiveDate};
use onewindow_codes::date::to_compact;
use serde::Serialize;
use tokio::time::Instant;

use super::catalogue::{Applicant, Effect, FieldType, Matter};
use super::operations::Failure;
use super::records::Out;
use super::register::{self, Card, Permit, Resident};
use crate::common::cases::{CaseStore, ChangeLog, DailySerial, Numbered};
use crate::common::department::Counts;
use crate::common::{china_now, china_today};

/// 申请人 of a case.
#[derive(Debug, Clone, Serialize)]
pub struct ApplicantInfo {
    /// 申请人类型: "1" 自然人, "2" 法人或其他组织.
    pub kind: String,
    /// 申请人证件号码.
    pub id: String,
    /// 申请人名称.
    pub name: String,
}

impl ApplicantInfo {
    /// Whether the applicant is an organization.
    pub fn is_organization(&self) -> bool {
        self.kind == "2"
    }
}

/// One field of the form, its `02` parts joined.
#[derive(Debug, Clone, Serialize)]
pub struct FormField {
    /// 字段名.
    pub name: String,
    /// 字段值.
    pub value: String,
}

/// One `03` 附件; the content is checked and measured, not kept.
#[derive(Debug, Clone, Serialize)]
pub struct AttachmentInfo {
    /// 材料编码.
    pub material: String,
    /// 文件名.
    pub file_name: String,
    /// 媒体类型.
    pub media_type: String,
    /// Decoded size in bytes (equal to 文件大小, or the request is refused).
    pub size: usize,
}

/// One `05` 随件证照: a license offered in place of a material, every field as sent.
#[derive(Debug, Clone, Serialize)]
pub struct ReusedLicense {
    /// 材料编码.
    pub material: String,
    /// 证照类型代码.
    pub type_code: String,
    /// 证照类型名称.
    pub type_name: String,
    /// 证照编号.
    pub number: String,
    /// 持证主体类型.
    pub holder_kind: String,
    /// 持证主体证件号码.
    pub holder_id: String,
    /// 持证主体名称.
    pub holder_name: String,
    /// 发证机关.
    pub issuer: String,
    /// 签发日期.
    pub issued_on: String,
    /// 有效期至.
    pub valid_until: String,
    /// 证照状态.
    pub status: String,
    /// 法定代表人.
    pub legal_representative: String,
}

/// Which path a case takes, chosen by the form field `模拟结果`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Outcome {
    /// 20 → 30 → 40.
    #[serde(rename = "审批通过")]
    Approve,
    /// 20 → 35 → 40.
    #[serde(rename = "不予办理")]
    Deny,
    /// 20 → 25 → 20 → 30 → 40.
    #[serde(rename = "补正")]
    Supplement,
}

impl Outcome {
    /// Reads `模拟结果`; `None` for values the mock does not know.
    pub fn from_form(value: Option<&str>) -> Option<Self> {
        match value.map(str::trim) {
            None | Some("" | "审批通过" | "准予许可" | "正常") => Some(Self::Approve),
            Some("不予办理" | "不予许可") => Some(Self::Deny),
            Some("补正") => Some(Self::Supplement),
            Some(_) => None,
        }
    }

    fn steps(self) -> &'static [&'static str] {
        match self {
            Self::Approve => &["20", "30", "40"],
            Self::Deny => &["20", "35", "40"],
            Self::Supplement => &["20", "25", "20", "30", "40"],
        }
    }
}

/// A parsed, checked `2001` request.
#[derive(Debug, Clone)]
pub struct Submission {
    /// 平台办件编号.
    pub case_no: String,
    /// The matter applied for.
    pub matter: &'static Matter,
    /// 申请人.
    pub applicant: ApplicantInfo,
    /// 受理时间 as sent (yyyyMMddHHmmss).
    pub accepted_at: String,
    /// 表单项.
    pub form: Vec<FormField>,
    /// 附件.
    pub attachments: Vec<AttachmentInfo>,
    /// 随件证照.
    pub licenses: Vec<ReusedLicense>,
    /// Path through the lifecycle.
    pub outcome: Outcome,
}

/// One entry of a case's history.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    /// 序号 of the change in the `2002` log; none for what the log does not
    /// report (a withdrawal, which the platform asked for itself).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xh: Option<u64>,
    /// 状态代码.
    pub code: &'static str,
    /// 办理时间.
    pub at: String,
    /// 办理意见.
    pub note: String,
}

/// A file of a `2003` 补正, measured and fingerprinted (the content is not kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuppliedFile {
    /// 材料编码.
    pub material: String,
    /// 文件名.
    pub file_name: String,
    /// 媒体类型.
    pub media_type: String,
    /// Size in bytes.
    pub size: usize,
    /// SHA-256 of the content, hex: how a repeated supplement is recognised.
    pub sha256: String,
}

/// A parsed, checked `2003` request.
#[derive(Debug, Clone)]
pub struct SupplementRequest {
    /// 平台办件编号; empty when the case is named by its 业务流水号.
    pub case_no: String,
    /// 业务流水号; empty when the case is named by its 平台办件编号.
    pub reference: String,
    /// 说明.
    pub note: String,
    /// The files.
    pub files: Vec<SuppliedFile>,
}

/// A 补正 the department received.
#[derive(Debug, Clone, Serialize)]
pub struct Supplement {
    /// When it arrived (yyyyMMddHHmmss).
    pub at: String,
    /// 说明.
    pub note: String,
    /// The files.
    pub files: Vec<SuppliedFile>,
    /// Times the same files were sent again.
    pub repeats: u64,
}

/// A parsed, checked `2004` request.
#[derive(Debug, Clone)]
pub struct WithdrawalRequest {
    /// 平台办件编号; empty when the case is named by its 业务流水号.
    pub case_no: String,
    /// 业务流水号; empty when the case is named by its 平台办件编号.
    pub reference: String,
    /// 撤回原因.
    pub reason: String,
}

/// A case's withdrawal (撤回).
#[derive(Debug, Clone, Serialize)]
pub struct Withdrawal {
    /// When it was withdrawn (yyyyMMddHHmmss).
    pub at: String,
    /// 撤回原因.
    pub reason: String,
    /// Times the withdrawal was asked again.
    pub repeats: u64,
}

/// What a `2003` or `2004` did to a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handled {
    /// 平台办件编号.
    pub case_no: String,
    /// 业务流水号.
    pub reference: String,
    /// When it was done (the first time, for a repeat), yyyyMMddHHmmss.
    pub at: String,
    /// Whether it repeated one already handled, changing nothing.
    pub repeat: bool,
}

/// The license a case issued.
#[derive(Debug, Clone, Serialize)]
pub struct Issued {
    /// 证照类型代码.
    pub type_code: String,
    /// 证照类型名称.
    pub type_name: String,
    /// 证照编号.
    pub number: String,
}

/// A stored case, as `GET /_mock/cases/{ref}` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    /// 平台办件编号.
    pub case_no: String,
    /// 业务流水号.
    pub reference: String,
    /// 事项编码.
    pub matter_code: String,
    /// 事项名称.
    pub matter_name: String,
    /// 申请人.
    pub applicant: ApplicantInfo,
    /// 受理时间 (yyyyMMddHHmmss).
    pub accepted_at: String,
    /// When the department stored the case.
    pub received_at: String,
    /// 表单.
    pub form: Vec<FormField>,
    /// 附件.
    pub attachments: Vec<AttachmentInfo>,
    /// 随件证照: the licenses reused in place of materials.
    pub licenses: Vec<ReusedLicense>,
    /// The simulated path (模拟结果).
    pub outcome: Outcome,
    /// Current 状态代码; `None` until the first stage has passed.
    pub status: Option<&'static str>,
    /// Name of the current status.
    pub status_name: Option<&'static str>,
    /// Whether the case reached 40 办结.
    pub finished: bool,
    /// The license issued on completion.
    pub issued_license: Option<Issued>,
    /// 备案编号 of a finished filing.
    pub filing_no: Option<String>,
    /// Times the same case number was submitted again.
    pub resubmissions: u64,
    /// Status changes so far, and the withdrawal.
    pub history: Vec<HistoryEntry>,
    /// 补正 received (`2003`), oldest first.
    pub supplements: Vec<Supplement>,
    /// The withdrawal (`2004`), once withdrawn.
    pub withdrawal: Option<Withdrawal>,
    #[serde(skip)]
    matter: &'static Matter,
}

impl Case {
    /// The value of a form field, when given and not blank.
    pub fn form_value(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.value.trim())
            .filter(|v| !v.is_empty())
    }
}

/// One entry of the status-change log read by `2002`.
#[derive(Debug, Clone)]
pub struct StatusChange {
    /// 序号, strictly increasing from 1.
    pub xh: u64,
    /// 平台办件编号.
    pub case_no: String,
    /// 业务流水号.
    pub reference: String,
    /// 状态代码.
    pub code: &'static str,
    /// 办理时间 (yyyyMMddHHmmss).
    pub at: String,
    /// 办理意见.
    pub note: String,
    /// The `30` of the license issued with this change (on 40).
    pub license: Option<Out>,
}

impl Numbered for StatusChange {
    fn number(&self) -> u64 {
        self.xh
    }
}

/// The outcome of a `2001` the rules accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// 业务流水号.
    pub reference: String,
    /// Whether the case number was already known.
    pub duplicate: bool,
}

/// The name of a 状态代码.
pub fn status_name(code: &str) -> &'static str {
    match code {
        "20" => "审核中",
        "25" => "待补正",
        "30" => "审批通过",
        "35" => "不予办理",
        "40" => "办结",
        "45" => "已撤回",
        _ => "未知",
    }
}

/// The code the case view (`/_mock/cases`) shows for a withdrawn case; `2002`
/// never reports it.
pub const WITHDRAWN: &str = "45";

/// Everything the department remembers.
#[derive(Debug)]
pub struct State {
    residents: Vec<Resident>,
    permits: Vec<Permit>,
    cases: CaseStore<Case, &'static str>,
    log: ChangeLog<StatusChange>,
    serials: HashMap<&'static str, DailySerial>,
    households: u32,
}

impl State {
    /// A fresh department with the seeded register; each case step takes `stage`.
    pub fn new(stage: Duration) -> Self {
        Self {
            residents: register::seed_residents(),
            permits: register::seed_permits(),
            cases: CaseStore::new(stage),
            log: ChangeLog::default(),
            serials: HashMap::new(),
            households: 200,
        }
    }

    /// The resident with this ID number.
    pub fn resident(&self, id_number: &str) -> Option<&Resident> {
        self.residents.iter().find(|r| r.id_number == id_number)
    }

    /// A stored case by 平台办件编号 or 业务流水号.
    pub fn case(&self, key: &str) -> Option<&Case> {
        self.cases.find(key, |c| c.reference == key)
    }

    /// Stored cases and repeated submissions.
    pub fn counts(&self) -> Counts {
        self.cases.counts()
    }

    /// Every license of the person with `id_number`: 居民身份证, 居民户口簿 page, 居住证.
    pub fn licenses_of(&self, id_number: &str) -> Vec<Out> {
        let today = china_today();
        let mut found = Vec::new();
        if let Some(resident) = self.resident(id_number) {
            found.extend(resident.card_record(today));
            found.push(resident.book_record());
        }
        found.extend(
            self.permits
                .iter()
                .filter(|p| p.id_number == id_number)
                .map(|p| p.record(today)),
        );
        found
    }

    /// The license of `type_code` with `number`, if issued here.
    pub fn verify(&self, type_code: &str, number: &str) -> Option<Out> {
        let today = china_today();
        match type_code {
            "JMSFZ" => self.resident(number)?.card_record(today),
            "JMHKB" => self
                .residents
                .iter()
                .find(|r| r.book_number() == number)
                .map(Resident::book_record),
            "JZZ" => self
                .permits
                .iter()
                .find(|p| p.number == number)
                .map(|p| p.record(today)),
            _ => None,
        }
    }

    /// Stores a case, or recognises a resubmission; `Err` is a business-rule refusal (3001).
    pub fn submit(&mut self, submission: Submission, now: Instant) -> Result<Accepted, String> {
        // Idempotency comes before the rules: a retry must not be refused because its
        // first submission has meanwhile changed the register.
        if let Some(case) = self.cases.repeat(&submission.case_no) {
            case.resubmissions += 1;
            return Ok(Accepted {
                reference: case.reference.clone(),
                duplicate: true,
            });
        }
        self.check_rules(&submission)?;
        let reference = format!("GA{}", self.next_serial("GA", 4));
        let case = Case {
            case_no: submission.case_no.clone(),
            reference: reference.clone(),
            matter_code: submission.matter.code.to_owned(),
            matter_name: submission.matter.name.to_owned(),
            applicant: submission.applicant,
            accepted_at: submission.accepted_at,
            received_at: china_now().format("%Y%m%d%H%M%S").to_string(),
            form: submission.form,
            attachments: submission.attachments,
            licenses: submission.licenses,
            outcome: submission.outcome,
            status: None,
            status_name: None,
            finished: false,
            issued_license: None,
            filing_no: None,
            resubmissions: 0,
            history: Vec::new(),
            supplements: Vec::new(),
            withdrawal: None,
            matter: submission.matter,
        };
        let steps = submission.outcome.steps();
        self.cases.insert(submission.case_no, case, steps, now);
        Ok(Accepted {
            reference,
            duplicate: false,
        })
    }

    fn check_rules(&self, submission: &Submission) -> Result<(), String> {
        let matter = submission.matter;
        let applicant = &submission.applicant;
        match (matter.applicant, applicant.is_organization()) {
            (Applicant::Person, true) => {
                return Err(format!("{}须由公民本人申请，申请人不能是单位", matter.name));
            }
            (Applicant::Organization, false) => {
                return Err(format!("{}的申请人须为法人或其他组织", matter.name));
            }
            _ => {}
        }
        if !applicant.is_organization() {
            self.check_resident(submission)?;
        }
        check_form(submission)
    }

    fn check_resident(&self, submission: &Submission) -> Result<(), String> {
        let matter = submission.matter;
        let applicant = &submission.applicant;
        let resident = self.resident(&applicant.id);
        if let Some(r) = resident
            && r.name != applicant.name
        {
            return Err(format!(
                "申请人姓名“{}”与常住人口登记的姓名不一致，请核对后重新申报",
                applicant.name
            ));
        }
        match (matter.effect, resident) {
            (Effect::IdCard | Effect::TemporaryProof | Effect::Birth, None) => Err(format!(
                "申请人不是本县常住户籍人口，{}请到户籍所在地公安机关办理",
                matter.name
            )),
            (Effect::MoveIn, Some(r)) => Err(format!(
                "申请人已在本县登记常住户口（户号{}），无需办理迁入",
                r.household
            )),
            (Effect::ResidencePermit, Some(_)) => {
                Err("申请人为本县户籍人口，无需办理居住证".to_owned())
            }
            _ => Ok(()),
        }
    }

    /// The position of the case a `2003` or `2004` names, by 平台办件编号 or
    /// 业务流水号 (both, when given, must name the same case).
    fn position(&self, case_no: &str, reference: &str) -> Result<usize, Failure> {
        let by_reference = || {
            (0..self.cases.counts().cases as usize).find(|&i| self.cases[i].reference == reference)
        };
        let found = match (case_no, reference) {
            ("", _) => by_reference(),
            (_, "") => self.cases.position(case_no),
            _ => self
                .cases
                .position(case_no)
                .filter(|&i| self.cases[i].reference == reference),
        };
        found.ok_or_else(|| {
            Failure::NotFound(match (case_no, reference) {
                ("", r) => format!("业务流水号{r}的办件不存在"),
                (c, "") => format!("平台办件编号{c}的办件不存在"),
                (c, r) => format!("平台办件编号{c}、业务流水号{r}的办件不存在"),
            })
        })
    }

    /// `2003` 补正材料提交: takes the files of a case held at 25 待补正 and lets
    /// it go on; the same files again change nothing.
    pub fn supplement(
        &mut self,
        request: SupplementRequest,
        now: Instant,
    ) -> Result<Handled, Failure> {
        let i = self.position(&request.case_no, &request.reference)?;
        let held = self.cases.is_held(i);
        let case = &mut self.cases[i];
        let handled = |case: &Case, at: &str, repeat| Handled {
            case_no: case.case_no.clone(),
            reference: case.reference.clone(),
            at: at.to_owned(),
            repeat,
        };
        if !held
            && let Some(last) = case.supplements.last_mut()
            && last.files == request.files
        {
            last.repeats += 1;
            let at = last.at.clone();
            return Ok(handled(case, &at, true));
        }
        if let Some(withdrawal) = &case.withdrawal {
            return Err(Failure::Refused(format!(
                "办件已于{}撤回，不能补正",
                display_time(&withdrawal.at)
            )));
        }
        if !held {
            let now_in = case.status_name.unwrap_or("已接收，尚未开始审核");
            return Err(Failure::Refused(format!(
                "办件当前状态为{now_in}，不在待补正状态，无需补正"
            )));
        }
        let at = china_now().format("%Y%m%d%H%M%S").to_string();
        tracing::info!(
            case_no = %case.case_no,
            reference = %case.reference,
            files = request.files.len(),
            "supplement received"
        );
        case.supplements.push(Supplement {
            at: at.clone(),
            note: request.note,
            files: request.files,
            repeats: 0,
        });
        let answer = handled(case, &at, false);
        self.cases.resume(i, now);
        Ok(answer)
    }

    /// `2004` 撤回申请: stops a case the department has not decided yet;
    /// withdrawing it again changes nothing.
    pub fn withdraw(&mut self, request: WithdrawalRequest) -> Result<Handled, Failure> {
        let i = self.position(&request.case_no, &request.reference)?;
        let case = &mut self.cases[i];
        if let Some(withdrawal) = &mut case.withdrawal {
            withdrawal.repeats += 1;
            let at = withdrawal.at.clone();
            return Ok(Handled {
                case_no: case.case_no.clone(),
                reference: case.reference.clone(),
                at,
                repeat: true,
            });
        }
        let decided = match case.status {
            Some("30") => Some("办件已审批通过，不能撤回"),
            Some("35") => Some("办件已作出不予办理决定，不能撤回"),
            Some("40") => Some("办件已办结，不能撤回"),
            _ => None,
        };
        if let Some(reason) = decided {
            return Err(Failure::Refused(reason.to_owned()));
        }
        let at = china_now().format("%Y%m%d%H%M%S").to_string();
        let reason = request.reason.trim().to_owned();
        case.history.push(HistoryEntry {
            xh: None,
            code: WITHDRAWN,
            at: at.clone(),
            note: if reason.is_empty() {
                "申请人撤回申请".to_owned()
            } else {
                format!("申请人撤回申请：{reason}")
            },
        });
        case.status = Some(WITHDRAWN);
        case.status_name = Some(status_name(WITHDRAWN));
        case.withdrawal = Some(Withdrawal {
            at: at.clone(),
            reason,
            repeats: 0,
        });
        tracing::info!(case_no = %case.case_no, reference = %case.reference, "case withdrawn");
        let answer = Handled {
            case_no: case.case_no.clone(),
            reference: case.reference.clone(),
            at,
            repeat: false,
        };
        self.cases.stop(i);
        Ok(answer)
    }

    /// `<yyyyMMdd><serial>` for `series`, counting from 1 each day.
    fn next_serial(&mut self, series: &'static str, digits: usize) -> String {
        let today = china_today();
        let serial = self.serials.entry(series).or_default().next(today);
        format!("{}{serial:0digits$}", to_compact(today))
    }

    /// Moves every case whose stage has elapsed one step along its path.
    pub fn advance(&mut self, now: Instant) {
        for i in self.cases.due(now) {
            self.step(i, now);
        }
    }

    fn step(&mut self, i: usize, now: Instant) {
        let Some(code) = self.cases.next_step(i) else {
            return;
        };
        let (note, license) = match code {
            "40" if self.cases[i].outcome != Outcome::Deny => self.finish(i),
            _ => (self.opinion(i, code), None),
        };
        let xh = self.log.next_number();
        let at = china_now().format("%Y%m%d%H%M%S").to_string();
        let finished = self.cases.stepped(i, now);
        let case = &mut self.cases[i];
        case.status = Some(code);
        case.status_name = Some(status_name(code));
        case.history.push(HistoryEntry {
            xh: Some(xh),
            code,
            at: at.clone(),
            note: note.clone(),
        });
        if let Some(license) = &license {
            case.issued_license = Some(Issued {
                type_code: license.get("证照类型代码").to_owned(),
                type_name: license.get("证照类型名称").to_owned(),
                number: license.get("证照编号").to_owned(),
            });
        }
        case.finished = finished;
        tracing::info!(case_no = %case.case_no, reference = %case.reference, code, xh, "case status changed");
        self.log.push(StatusChange {
            xh,
            case_no: case.case_no.clone(),
            reference: case.reference.clone(),
            code,
            at,
            note,
            license,
        });
        if code == "25" {
            // 待补正: the case waits for the supplement (2003) before it goes on.
            self.cases.hold(i);
        }
    }

    fn opinion(&self, i: usize, code: &str) -> String {
        let case = &self.cases[i];
        match code {
            "20" if case.history.iter().any(|h| h.code == "25") => match case.supplements.last() {
                Some(s) => format!("补正材料已收到（共{}份），继续审核", s.files.len()),
                None => "补正材料已收到，继续审核".to_owned(),
            },
            "20" => "材料齐全，进入审核".to_owned(),
            "25" => {
                let missing = case
                    .matter
                    .materials
                    .iter()
                    .find(|m| m.required)
                    .map_or("相关材料", |m| m.name);
                format!("申请材料不齐全，请补正：{missing}")
            }
            "30" => "经审核，符合办理条件，审批通过".to_owned(),
            "35" => format!(
                "经审核，不予办理：{}",
                case.form_value("不予办理原因")
                    .unwrap_or("申请人不符合办理条件")
            ),
            "40" => "已办结（不予办理），申请材料已退回".to_owned(),
            _ => String::new(),
        }
    }

    /// What finishing an approved case does: its 办理意见 and the license it issues.
    fn finish(&mut self, i: usize) -> (String, Option<Out>) {
        let today = china_today();
        let case = &self.cases[i];
        let id = case.applicant.id.clone();
        let name = case.applicant.name.clone();
        let form = |field: &str| case.form_value(field).map(str::to_owned);
        match case.matter.effect {
            Effect::IdCard => {
                let Some(resident) = self.residents.iter_mut().find(|r| r.id_number == id) else {
                    return ("已办结".to_owned(), None);
                };
                resident.card = Some(Card::issue(today, resident.birth));
                let license = resident.card_record(today);
                (
                    "已办结，新居民身份证已签发，请到受理窗口或通过邮寄领取".to_owned(),
                    license,
                )
            }
            Effect::MoveIn => {
                if let Some(resident) = self.resident(&id) {
                    return ("已办结".to_owned(), Some(resident.book_record()));
                }
                let from = form("迁出地").unwrap_or_else(|| "外省市".to_owned());
                let address = form("迁入地址").unwrap_or_else(|| "浙江省桐庐县桐君街道".to_owned());
                let ethnicity = form("民族").unwrap_or_else(|| "汉".to_owned());
                self.households += 1;
                let resident = Resident {
                    sex: register::sex_of(&id),
                    birth: register::birth_of(&id).unwrap_or(today),
                    id_number: id,
                    name: name.clone(),
                    ethnicity,
                    address,
                    household: format!("122000{:03}", self.households),
                    page: 1,
                    head: name,
                    relation: "户主".to_owned(),
                    registered: today,
                    card: None,
                    moved_in_from: Some(from.clone()),
                };
                let license = resident.book_record();
                let note = format!(
                    "已办结，户口已由{from}迁入，户号{}，居民户口簿已签发",
                    resident.household
                );
                self.residents.push(resident);
                (note, Some(license))
            }
            Effect::ResidencePermit => {
                // The seeded permit is number 17 of its year; later ones count on.
                let number = format!(
                    "{}{}{:06}",
                    register::DIVISION,
                    today.year(),
                    17 + self.permits.len()
                );
                let permit = Permit {
                    number,
                    id_number: id,
                    name,
                    address: form("居住地址").unwrap_or_else(|| "浙江省桐庐县城南街道".to_owned()),
                    issued: today,
                    valid_until: today.checked_add_months(Months::new(12)).unwrap_or(today),
                };
                let license = permit.record(today);
                let note = format!("已办结，居住证已签发（编号{}）", permit.number);
                self.permits.push(permit);
                (note, Some(license))
            }
            Effect::Birth => self.register_newborn(i, today),
            Effect::TemporaryProof => ("已办结，临时身份证明已出具，有效期三个月".to_owned(), None),
            Effect::Permit => {
                let serial = self.next_serial("TZ", 3);
                (
                    format!(
                        "已办结，核发特种行业许可证（旅馆业），编号：桐公特旅字〔{}〕第{}号",
                        &serial[..4],
                        &serial[8..]
                    ),
                    None,
                )
            }
            Effect::Filing => {
                let seal = (case.matter.code == "330122-GA-BA-003").then(|| {
                    let kind = form("印章类型").unwrap_or_else(|| "单位公章".to_owned());
                    let name = form("印章名称").unwrap_or_else(|| name.clone());
                    format!("（{kind}“{name}”）")
                });
                let number = format!("{}{}", register::DIVISION, self.next_serial("BA", 4));
                let note = if let Some(seal) = seal {
                    format!(
                        "已办结，公章刻制备案编号：{number}{seal}，请持备案回执到公章刻制企业刻制印章"
                    )
                } else {
                    format!("已办结，备案编号：{number}")
                };
                self.cases[i].filing_no = Some(number);
                (note, None)
            }
        }
    }

    /// Registers the newborn the form of an 出生登记 names in the applicant's household.
    fn register_newborn(&mut self, i: usize, today: NaiveDate) -> (String, Option<Out>) {
        let case = &self.cases[i];
        let form = |field: &str| case.form_value(field).map(str::to_owned);
        let (Some(name), Some(parent)) = (form("新生儿姓名"), self.resident(&case.applicant.id))
        else {
            return ("已办结".to_owned(), None);
        };
        let birth = form("出生日期")
            .and_then(|d| onewindow_codes::date::parse(&d).ok())
            .unwrap_or(today);
        let female = form("新生儿性别").as_deref() == Some("女");
        let seq = (0..1000)
            .filter(|s| (s % 2 == 0) == female)
            .find(|&s| {
                let id = register::id_for(birth, s);
                self.resident(&id).is_none()
            })
            .unwrap_or(if female { 998 } else { 999 });
        let id_number = register::id_for(birth, seq);
        let page = self
            .residents
            .iter()
            .filter(|r| r.household == parent.household)
            .map(|r| r.page)
            .max()
            .unwrap_or(0)
            + 1;
        let relation = match (parent.relation.as_str(), female) {
            ("户主" | "妻" | "夫", true) => "女",
            ("户主" | "妻" | "夫", false) => "子",
            (_, true) => "孙女",
            (_, false) => "孙子",
        };
        let newborn = Resident {
            sex: register::sex_of(&id_number),
            id_number: id_number.clone(),
            name: name.clone(),
            ethnicity: form("民族").unwrap_or_else(|| parent.ethnicity.clone()),
            birth,
            address: parent.address.clone(),
            household: parent.household.clone(),
            page,
            head: parent.head.clone(),
            relation: relation.to_owned(),
            registered: today,
            card: None,
            moved_in_from: None,
        };
        self.residents.push(newborn);
        (
            format!("已办结，新生儿{name}已登记常住户口，公民身份号码{id_number}"),
            None,
        )
    }

    /// Status changes after `after`, at most `limit`, and whether more are ready.
    pub fn changes(&self, after: u64, limit: usize) -> (&[StatusChange], bool) {
        self.log.page(after, limit)
    }
}

/// Checks the form against the matter's declared fields: every required field
/// given, every choice one of its values.
fn check_form(submission: &Submission) -> Result<(), String> {
    let matter = submission.matter;
    let value = |name: &str| {
        submission
            .form
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.value.trim())
            .filter(|v| !v.is_empty())
    };
    let missing: Vec<&str> = matter
        .form
        .iter()
        .filter(|f| f.required && value(f.name).is_none())
        .map(|f| f.label)
        .collect();
    if !missing.is_empty() {
        return Err(format!("申请表缺少{}", missing.join("、")));
    }
    for field in matter.form {
        if let (FieldType::Choice(options), Some(given)) = (field.kind, value(field.name))
            && !options.contains(&given)
        {
            // 返回信息 holds 40 characters: the options when they fit.
            let full = format!("{}只能是{}", field.label, options.join("、"));
            return Err(if full.chars().count() <= 40 {
                full
            } else {
                format!("{}“{given}”不是可选的值", field.label)
            });
        }
    }
    Ok(())
}

/// `yyyyMMddHHmmss` as `yyyy年M月d日H时m分`, for messages.
fn display_time(compact: &str) -> String {
    onewindow_codes::date::parse_datetime(compact)
        .map(|t| t.format("%Y年%-m月%-d日%H时%M分").to_string())
        .unwrap_or_else(|_| compact.to_owned())
}
