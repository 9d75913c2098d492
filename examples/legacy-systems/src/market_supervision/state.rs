//! The department's memory: enterprises, cases, the status-change log and the case lifecycle.

use std::time::Duration;

use onewindow_codes::date::datetime_to_chinese;
use serde::Serialize;
use tokio::time::Instant;

use super::catalogue::Matter;
use super::registry::{self, Enterprise, LicenseStatus};
use crate::common::cases::{CaseStore, ChangeLog, DailySerial, Numbered};
use crate::common::department::Counts;
use crate::common::{china_now, china_today};

/// 申请人 of a case.
#[derive(Debug, Clone, Serialize)]
pub struct Applicant {
    /// SQRLX: "1" 自然人, "2" 法人或其他组织.
    pub kind: String,
    /// ZJHM: ID number or credit code.
    pub id: String,
    /// SQRMC.
    pub name: String,
}

impl Applicant {
    /// Whether the applicant is an organisation (SQRLX=2).
    pub fn is_organisation(&self) -> bool {
        self.kind == "2"
    }
}

/// One ZD of the form (表单信息).
#[derive(Debug, Clone, Serialize)]
pub struct FormField {
    /// MC.
    pub name: String,
    /// The field's value.
    pub value: String,
}

/// One FJ (附件); the content is checked, measured and fingerprinted, not kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attachment {
    /// CLBM.
    pub material: String,
    /// WJM.
    pub file_name: String,
    /// LX.
    pub mime_type: String,
    /// Decoded size in bytes.
    pub size: usize,
    /// SHA-256 of the decoded content, in hex: how a repeated 补正 is recognised.
    pub sha256: String,
}

/// Supplementary materials handed in for a case waiting at 03 需补正 (`BJBZ`).
#[derive(Debug, Clone, Serialize)]
pub struct Supplement {
    /// When the department received them.
    pub received_at: String,
    /// BZSM (补正说明).
    pub note: String,
    /// The files (FJ).
    pub attachments: Vec<Attachment>,
}

/// A case's withdrawal at the applicant's request (`BJCH`).
#[derive(Debug, Clone, Serialize)]
pub struct Withdrawal {
    /// When the department recorded it.
    pub at: String,
    /// CHYY (撤回原因).
    pub reason: String,
}

/// One ZZ (证照) offered in place of a material.
#[derive(Debug, Clone, Serialize)]
pub struct LicenseRef {
    /// CLBM.
    pub material: String,
    /// ZZLX.
    pub kind: String,
    /// ZZBH.
    pub number: String,
    /// CYZ (持有者).
    pub holder: String,
}

/// Which path a case takes, chosen by the form field `模拟结果`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Outcome {
    /// 02 → 04 → 06.
    #[serde(rename = "准予许可")]
    Approve,
    /// 02 → 05 → 06.
    #[serde(rename = "不予许可")]
    Refuse,
    /// 02 → 03, held there until `BJBZ` brings the materials, then → 02 → 04 → 06.
    #[serde(rename = "补正")]
    Correct,
    /// 02 → 07 (特别程序: 听证) → 02 → 04 → 06.
    #[serde(rename = "听证")]
    Hearing,
}

impl Outcome {
    /// Reads `模拟结果`; `None` for values the mock does not know.
    pub fn from_form(value: Option<&str>) -> Option<Self> {
        match value.map(str::trim) {
            None | Some("" | "准予许可" | "正常") => Some(Self::Approve),
            Some("不予许可") => Some(Self::Refuse),
            Some("补正") => Some(Self::Correct),
            Some("听证") => Some(Self::Hearing),
            Some(_) => None,
        }
    }

    fn steps(self) -> &'static [&'static str] {
        match self {
            Self::Approve => &["02", "04", "06"],
            Self::Refuse => &["02", "05", "06"],
            Self::Correct => &["02", "03", "02", "04", "06"],
            Self::Hearing => &["02", "07", "02", "04", "06"],
        }
    }
}

/// A parsed, validated `BJSB`.
#[derive(Debug, Clone)]
pub struct Submission {
    /// PTBJBH.
    pub ptbjbh: String,
    /// The matter applied for.
    pub matter: &'static Matter,
    /// SQR.
    pub applicant: Applicant,
    /// SLSJ as sent (Chinese date-time), or when the department received it.
    pub accepted_at: String,
    /// BDXX.
    pub form: Vec<FormField>,
    /// FJXX.
    pub attachments: Vec<Attachment>,
    /// ZZXX.
    pub licenses: Vec<LicenseRef>,
    /// Path through the lifecycle.
    pub outcome: Outcome,
}

/// One entry of a case's history.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    /// XH of the change in the status-change log; none for a withdrawal (08),
    /// which the platform asked for and `CXBJZT` does not report.
    pub xh: Option<u64>,
    /// ZTDM.
    pub ztdm: &'static str,
    /// BLSJ.
    pub blsj: String,
    /// BLYJ.
    pub blyj: String,
}

/// A stored case, as `GET /_mock/cases/{PTBJBH}` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    /// 平台办件编号.
    pub ptbjbh: String,
    /// 业务流水号.
    pub ywlsh: String,
    /// 事项编码.
    pub sxbm: String,
    /// 事项名称.
    pub sxmc: String,
    /// 申请人.
    pub applicant: Applicant,
    /// 受理时间 (SLSJ).
    pub accepted_at: String,
    /// When the department stored the case.
    pub received_at: String,
    /// 表单信息.
    pub form: Vec<FormField>,
    /// 附件.
    pub attachments: Vec<Attachment>,
    /// 证照.
    pub licenses: Vec<LicenseRef>,
    /// The simulated path (模拟结果).
    pub outcome: Outcome,
    /// Current ZTDM; `None` until the first stage has passed.
    pub status: Option<&'static str>,
    /// Chinese name of the current status.
    pub status_name: Option<&'static str>,
    /// Whether the case reached 06 办结.
    pub finished: bool,
    /// Credit code of the 营业执照 issued on completion.
    pub issued_license: Option<String>,
    /// Times the same PTBJBH was submitted again.
    pub resubmissions: u64,
    /// Status changes so far.
    pub history: Vec<HistoryEntry>,
    /// Supplementary materials received (`BJBZ`), oldest first.
    pub supplements: Vec<Supplement>,
    /// Repeated `BJBZ` with the same files, recognised and not acted on again.
    pub repeated_supplements: u64,
    /// The withdrawal (`BJCH`), once withdrawn.
    pub withdrawal: Option<Withdrawal>,
    #[serde(skip)]
    matter: &'static Matter,
}

impl Case {
    /// The value of a form field (ZD) by name, when given and not blank.
    pub fn form_value(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.value.trim())
            .filter(|v| !v.is_empty())
    }
}

/// A case's status change in the log read by `CXBJZT` (a `ZT`).
#[derive(Debug, Clone)]
pub struct CaseChange {
    /// 序号, strictly increasing from 1.
    pub xh: u64,
    /// 平台办件编号.
    pub ptbjbh: String,
    /// 业务流水号.
    pub ywlsh: String,
    /// 状态代码.
    pub ztdm: &'static str,
    /// 办理时间 (Chinese date-time).
    pub blsj: String,
    /// 办理意见.
    pub blyj: String,
    /// The 营业执照 issued with this change (on 06).
    pub license: Option<Enterprise>,
}

/// A 营业执照's status change in the log read by `CXBJZT` (a `ZZBG`): 吊销 or 注销.
#[derive(Debug, Clone)]
pub struct LicenseChange {
    /// 序号, in the same sequence as the cases' changes.
    pub xh: u64,
    /// 变更时间 (Chinese date-time).
    pub bgsj: String,
    /// 变更原因.
    pub bgyy: String,
    /// The license as it stands after the change (its ZZZT is the new status).
    pub license: Enterprise,
}

/// One entry of the status-change log read by `CXBJZT` and pushed by `BJZTTZ`.
#[derive(Debug, Clone)]
pub enum StatusChange {
    /// A case moved (`ZT`).
    Case(CaseChange),
    /// A license changed status (`ZZBG`).
    License(LicenseChange),
}

impl Numbered for StatusChange {
    fn number(&self) -> u64 {
        match self {
            Self::Case(c) => c.xh,
            Self::License(l) => l.xh,
        }
    }
}

/// Why `BJBZ`, `BJCH` or `ZZZTBG` was not done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// 1001: the request does not fit the case (e.g. a material the matter lacks).
    Malformed(String),
    /// 2001: no such case or license.
    NotFound(String),
    /// 3001: the case's or license's status does not allow it; the reason.
    Refused(String),
}

/// What a `BJBZ` or `BJCH` the department accepted did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    /// It took effect now.
    Now,
    /// It repeats one that already took effect; nothing changed.
    Already,
}

/// The outcome of a `BJSB` the rules accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// 业务流水号.
    pub ywlsh: String,
    /// Whether the PTBJBH was already known.
    pub duplicate: bool,
}

/// Everything the department remembers.
#[derive(Debug)]
pub struct State {
    enterprises: Vec<Enterprise>,
    cases: CaseStore<Case, &'static str>,
    log: ChangeLog<StatusChange>,
    ywlsh: DailySerial,
}

/// The Chinese name of a status code.
pub fn status_name(ztdm: &str) -> &'static str {
    match ztdm {
        "02" => "审查中",
        "03" => "需补正",
        "04" => "准予许可",
        "05" => "不予许可",
        "06" => "办结",
        "07" => "特别程序",
        "08" => "已撤回",
        _ => "未知",
    }
}

impl State {
    /// A fresh department with the seeded enterprises; each case step takes `stage`.
    pub fn new(stage: Duration) -> Self {
        Self {
            enterprises: registry::seed(),
            cases: CaseStore::new(stage),
            log: ChangeLog::default(),
            ywlsh: DailySerial::default(),
        }
    }

    /// The enterprise with this credit code.
    pub fn enterprise(&self, credit_code: &str) -> Option<&Enterprise> {
        self.enterprises
            .iter()
            .find(|e| e.credit_code == credit_code)
    }

    /// Revokes (吊销) the 营业执照 numbered `number`, its enterprise's credit code,
    /// as `PUT /_mock/licenses/{number}/revoke` asks: the change is logged for
    /// `CXBJZT` like `ZZZTBG` does. False when no such license was issued here; a
    /// license already revoked stays as it is, one that is 注销 or 过期 too (logged).
    pub fn revoke_license(&mut self, number: &str) -> bool {
        let reason = "因违反《市场主体登记管理条例》被依法吊销营业执照";
        match self.change_license(number, LicenseStatus::Revoked, reason) {
            Ok(_) => true,
            Err(Denied::NotFound(_)) => false,
            Err(refused) => {
                tracing::warn!(number, ?refused, "license not revoked");
                true
            }
        }
    }

    /// Changes the status of the 营业执照 `number` to 吊销 or 注销 (`ZZZTBG`) and logs
    /// the change with `reason`. Only a valid license changes; one already in
    /// `status` is left as it is ([`Done::Already`]).
    pub fn change_license(
        &mut self,
        number: &str,
        status: LicenseStatus,
        reason: &str,
    ) -> Result<Done, Denied> {
        let Some(i) = self
            .enterprises
            .iter()
            .position(|e| e.credit_code == number)
        else {
            return Err(Denied::NotFound(format!("营业执照{number}不存在")));
        };
        let enterprise = &mut self.enterprises[i];
        if enterprise.status == status {
            return Ok(Done::Already);
        }
        if enterprise.status != LicenseStatus::Valid {
            return Err(Denied::Refused(format!(
                "“{}”的营业执照已{}，不能变更为{}",
                enterprise.name,
                enterprise.status.name(),
                status.name()
            )));
        }
        enterprise.status = status;
        let license = enterprise.clone();
        let xh = self.log.next_number();
        tracing::info!(number, zzzt = status.code(), xh, "license status changed");
        self.log.push(StatusChange::License(LicenseChange {
            xh,
            bgsj: datetime_to_chinese(china_now()),
            bgyy: reason.to_owned(),
            license,
        }));
        Ok(Done::Now)
    }

    /// The position of the case with PTBJBH `ptbjbh`, or else YWLSH `ywlsh`; when
    /// both are given they must name the same case.
    fn locate(&self, ptbjbh: Option<&str>, ywlsh: Option<&str>) -> Result<usize, Denied> {
        let by_ywlsh = |ywlsh: &str| {
            self.cases
                .find(ywlsh, |c| c.ywlsh == ywlsh)
                .and_then(|c| self.cases.position(&c.ptbjbh))
        };
        match (ptbjbh, ywlsh) {
            (Some(ptbjbh), ywlsh) => {
                let i = self.cases.position(ptbjbh).ok_or_else(|| {
                    Denied::NotFound(format!("平台办件编号{ptbjbh}对应的办件不存在"))
                })?;
                match ywlsh {
                    Some(ywlsh) if self.cases[i].ywlsh != ywlsh => Err(Denied::Malformed(format!(
                        "平台办件编号{ptbjbh}与业务流水号{ywlsh}不是同一办件（其业务流水号为{}）",
                        self.cases[i].ywlsh
                    ))),
                    _ => Ok(i),
                }
            }
            (None, Some(ywlsh)) => by_ywlsh(ywlsh)
                .ok_or_else(|| Denied::NotFound(format!("业务流水号{ywlsh}对应的办件不存在"))),
            (None, None) => Err(Denied::Malformed(
                "缺少PTBJBH（平台办件编号）或YWLSH（业务流水号）".to_owned(),
            )),
        }
    }

    /// Takes the supplementary materials (`BJBZ`) of a case held at 03 需补正 and
    /// lets it go on: review resumes one stage later. The same files again, once
    /// taken, are recognised and change nothing.
    pub fn supplement(
        &mut self,
        ptbjbh: Option<&str>,
        ywlsh: Option<&str>,
        note: &str,
        attachments: Vec<Attachment>,
        now: Instant,
    ) -> Result<Done, Denied> {
        let i = self.locate(ptbjbh, ywlsh)?;
        let case = &self.cases[i];
        if let Some(unknown) = attachments
            .iter()
            .find(|a| !case.matter.materials.iter().any(|m| m.code == a.material))
        {
            let codes: Vec<&str> = case.matter.materials.iter().map(|m| m.code).collect();
            return Err(Denied::Malformed(format!(
                "补正材料“{}”的材料编码{}不是事项“{}”的申请材料（材料编码为{}）",
                unknown.file_name,
                unknown.material,
                case.sxmc,
                codes.join("、")
            )));
        }
        if let Some(withdrawal) = &case.withdrawal {
            return Err(Denied::Refused(format!(
                "办件{}已于{}撤回，不能再提交补正材料",
                case.ywlsh, withdrawal.at
            )));
        }
        if !self.cases.is_held(i) {
            if case
                .supplements
                .last()
                .is_some_and(|s| s.attachments == attachments)
            {
                self.cases[i].repeated_supplements += 1;
                return Ok(Done::Already);
            }
            let now_at = match case.status {
                Some(ztdm) => status_name(ztdm),
                None => "已接收待审查",
            };
            return Err(Denied::Refused(format!(
                "办件{}当前状态为{now_at}，未要求补正，不能提交补正材料",
                case.ywlsh
            )));
        }
        let case = &mut self.cases[i];
        case.supplements.push(Supplement {
            received_at: datetime_to_chinese(china_now()),
            note: note.to_owned(),
            attachments,
        });
        tracing::info!(ptbjbh = %case.ptbjbh, ywlsh = %case.ywlsh, "supplement received");
        self.cases.resume(i, now);
        Ok(Done::Now)
    }

    /// Withdraws a case (`BJCH`) that the department has not decided yet: it takes
    /// no further step. Withdrawing it again changes nothing.
    pub fn withdraw(
        &mut self,
        ptbjbh: Option<&str>,
        ywlsh: Option<&str>,
        reason: &str,
    ) -> Result<Done, Denied> {
        let i = self.locate(ptbjbh, ywlsh)?;
        let case = &self.cases[i];
        if case.withdrawal.is_some() {
            return Ok(Done::Already);
        }
        if let Some(decided) = case
            .history
            .iter()
            .rev()
            .find(|h| matches!(h.ztdm, "04" | "05" | "06"))
        {
            let what = match decided.ztdm {
                "04" => "作出准予许可决定",
                "05" => "作出不予许可决定",
                _ => "办结",
            };
            return Err(Denied::Refused(format!(
                "办件{}已于{}{what}，不能撤回申请",
                case.ywlsh, decided.blsj
            )));
        }
        self.cases.stop(i);
        let at = datetime_to_chinese(china_now());
        let case = &mut self.cases[i];
        case.status = Some("08");
        case.status_name = Some(status_name("08"));
        case.history.push(HistoryEntry {
            xh: None,
            ztdm: "08",
            blsj: at.clone(),
            blyj: format!("申请人撤回申请：{reason}"),
        });
        case.withdrawal = Some(Withdrawal {
            at,
            reason: reason.to_owned(),
        });
        tracing::info!(ptbjbh = %case.ptbjbh, ywlsh = %case.ywlsh, "case withdrawn");
        Ok(Done::Now)
    }

    /// A stored case by PTBJBH.
    pub fn case(&self, ptbjbh: &str) -> Option<&Case> {
        self.cases.get(ptbjbh)
    }

    /// Stored cases and repeated submissions.
    pub fn counts(&self) -> Counts {
        self.cases.counts()
    }

    /// Stores a case, or recognises a resubmission; `Err` is a business-rule refusal (3001).
    pub fn submit(&mut self, submission: Submission, now: Instant) -> Result<Accepted, String> {
        // Idempotency comes before the rules: a retry must not be refused because
        // its first submission has meanwhile changed the registry.
        if let Some(case) = self.cases.repeat(&submission.ptbjbh) {
            case.resubmissions += 1;
            return Ok(Accepted {
                ywlsh: case.ywlsh.clone(),
                duplicate: true,
            });
        }
        self.check_rules(&submission)?;
        let ywlsh = self.next_ywlsh();
        let case = Case {
            ptbjbh: submission.ptbjbh.clone(),
            ywlsh: ywlsh.clone(),
            sxbm: submission.matter.code.to_owned(),
            sxmc: submission.matter.name.to_owned(),
            applicant: submission.applicant,
            accepted_at: submission.accepted_at,
            received_at: datetime_to_chinese(china_now()),
            form: submission.form,
            attachments: submission.attachments,
            licenses: submission.licenses,
            outcome: submission.outcome,
            status: None,
            status_name: None,
            finished: false,
            issued_license: None,
            resubmissions: 0,
            history: Vec::new(),
            supplements: Vec::new(),
            repeated_supplements: 0,
            withdrawal: None,
            matter: submission.matter,
        };
        let steps = submission.outcome.steps();
        self.cases.insert(submission.ptbjbh, case, steps, now);
        Ok(Accepted {
            ywlsh,
            duplicate: false,
        })
    }

    fn check_rules(&self, submission: &Submission) -> Result<(), String> {
        let applicant = &submission.applicant;
        if !applicant.is_organisation() {
            return Ok(());
        }
        let existing = self.enterprise(&applicant.id);
        match (submission.matter.name, existing) {
            ("企业设立登记", Some(e)) => Err(format!(
                "统一社会信用代码{}已登记为“{}”，不能重复办理设立登记",
                e.credit_code, e.name
            )),
            ("营业执照遗失补领", Some(e)) if e.status != LicenseStatus::Valid => Err(
                format!("“{}”的营业执照状态为{}，不能补领", e.name, e.status.name()),
            ),
            _ => Ok(()),
        }
    }

    fn next_ywlsh(&mut self) -> String {
        let today = china_today();
        let serial = self.ywlsh.next(today);
        format!("SCJG{}{serial:04}", today.format("%Y%m%d"))
    }

    /// Moves every case whose stage has elapsed one step along its path.
    pub fn advance(&mut self, now: Instant) {
        for i in self.cases.due(now) {
            self.step(i, now);
        }
    }

    fn step(&mut self, i: usize, now: Instant) {
        let Some(ztdm) = self.cases.next_step(i) else {
            return;
        };
        let license = if ztdm == "06" && self.cases[i].outcome != Outcome::Refuse {
            self.issue_license(i)
        } else {
            None
        };
        let blyj = self.opinion(i, ztdm, license.as_ref());
        let xh = self.log.next_number();
        let blsj = datetime_to_chinese(china_now());
        let finished = self.cases.stepped(i, now);
        if ztdm == "03" {
            // 需补正 waits for the materials (BJBZ), however long that takes.
            self.cases.hold(i);
        }
        let case = &mut self.cases[i];
        case.status = Some(ztdm);
        case.status_name = Some(status_name(ztdm));
        case.history.push(HistoryEntry {
            xh: Some(xh),
            ztdm,
            blsj: blsj.clone(),
            blyj: blyj.clone(),
        });
        if let Some(license) = &license {
            case.issued_license = Some(license.credit_code.clone());
        }
        case.finished = finished;
        tracing::info!(ptbjbh = %case.ptbjbh, ywlsh = %case.ywlsh, ztdm, xh, "case status changed");
        let deregistered = (ztdm == "06"
            && case.outcome != Outcome::Refuse
            && case.matter.deregisters()
            && case.applicant.is_organisation())
        .then(|| case.applicant.id.clone());
        let ywlsh = case.ywlsh.clone();
        self.log.push(StatusChange::Case(CaseChange {
            xh,
            ptbjbh: case.ptbjbh.clone(),
            ywlsh: case.ywlsh.clone(),
            ztdm,
            blsj,
            blyj,
            license,
        }));
        if let Some(credit_code) = deregistered {
            // A completed 注销登记 ends the enterprise's 营业执照.
            let reason = format!("企业注销登记已办结（业务流水号{ywlsh}），营业执照注销");
            if let Err(denied) =
                self.change_license(&credit_code, LicenseStatus::Deregistered, &reason)
            {
                tracing::info!(%credit_code, ?denied, "no license to deregister");
            }
        }
    }

    fn opinion(&self, i: usize, ztdm: &str, license: Option<&Enterprise>) -> String {
        let case = &self.cases[i];
        match ztdm {
            "02" => match case.history.last().map(|h| h.ztdm) {
                Some("03") => "补正材料已收到，继续审查".to_owned(),
                Some("07") => "听证程序结束，恢复审查".to_owned(),
                _ => "材料齐全，进入审查".to_owned(),
            },
            "03" => {
                let missing = case
                    .matter
                    .materials
                    .iter()
                    .find(|m| m.required)
                    .map_or("相关材料", |m| m.name);
                format!("申请材料不齐全，请补正：{missing}")
            }
            "07" => "特别程序：听证。拟作出的许可决定涉及申请人与他人之间重大利益关系，依法组织听证，听证所需时间不计入审查期限（《行政许可法》第四十五条、第四十七条）".to_owned(),
            "04" => "经审查，申请材料齐全、符合法定形式，准予许可".to_owned(),
            "05" => format!(
                "经审查，不予许可：{}",
                case.form_value("不予许可原因")
                    .unwrap_or("申请事项不符合法定条件和标准")
            ),
            "06" => match (license, case.outcome) {
                (Some(e), _) => format!(
                    "已办结，核发营业执照（统一社会信用代码：{}）",
                    e.credit_code
                ),
                (None, Outcome::Refuse) => "已办结（不予许可），申请材料已退回".to_owned(),
                (None, _) => "已办结".to_owned(),
            },
            _ => String::new(),
        }
    }

    /// Registers (or re-issues for) the enterprise of a finished licensing case.
    fn issue_license(&mut self, i: usize) -> Option<Enterprise> {
        let case = &self.cases[i];
        if !case.matter.issues_business_license() {
            return None;
        }
        let today = china_today();
        let form = |name: &str| case.form_value(name).map(str::to_owned);
        let own_code = case
            .applicant
            .is_organisation()
            .then(|| case.applicant.id.clone());
        if let Some(existing) = own_code
            .as_deref()
            .and_then(|code| self.enterprises.iter().position(|e| e.credit_code == code))
        {
            // A replacement license: same enterprise, new issue date, corrections from the form.
            let updated = {
                let mut e = self.enterprises[existing].clone();
                e.issued = today;
                e.name = form("企业名称").unwrap_or(e.name);
                e.legal_rep = form("法定代表人").unwrap_or(e.legal_rep);
                e.address = form("住所").unwrap_or(e.address);
                e.scope = form("经营范围").unwrap_or(e.scope);
                e.capital = form("注册资本").map_or(e.capital, |c| capital(&c));
                e
            };
            self.enterprises[existing] = updated.clone();
            return Some(updated);
        }
        let credit_code = own_code.unwrap_or_else(|| {
            registry::fresh_credit_code(|code| {
                self.enterprises.iter().any(|e| e.credit_code == code)
            })
        });
        let kind = form("企业类型").unwrap_or_else(|| {
            if case.applicant.is_organisation() {
                "有限责任公司（非自然人投资或控股的法人独资）".to_owned()
            } else {
                "有限责任公司（自然人投资或控股）".to_owned()
            }
        });
        let enterprise = Enterprise {
            credit_code,
            name: form("企业名称").unwrap_or_else(|| case.applicant.name.clone()),
            kind,
            legal_rep: form("法定代表人").unwrap_or_else(|| case.applicant.name.clone()),
            capital: form("注册资本").map_or_else(|| "10万元人民币".to_owned(), |c| capital(&c)),
            established: today,
            issued: today,
            valid_until: None,
            status: LicenseStatus::Valid,
            address: form("住所").unwrap_or_else(|| "浙江省杭州市桐庐县城南街道".to_owned()),
            scope: form("经营范围").unwrap_or_else(|| {
                "一般项目：技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广；信息咨询服务（不含许可类信息咨询服务）（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）。".to_owned()
            }),
        };
        self.enterprises.push(enterprise.clone());
        Some(enterprise)
    }

    /// The sequence number (XH) of the latest status change; 0 before any.
    pub fn last_change(&self) -> u64 {
        self.log.last_number()
    }

    /// Status changes after `after`, at most `limit`, and whether more are ready.
    pub fn changes(&self, after: u64, limit: usize) -> (&[StatusChange], bool) {
        self.log.page(after, limit)
    }
}

/// A bare number is 万元 in the department's forms.
fn capital(value: &str) -> String {
    let value = value.trim();
    if value.parse::<f64>().is_ok() {
        format!("{value}万元人民币")
    } else {
        value.to_owned()
    }
}
