//! The department's memory: taxpayers, 发票领用 records, cases, the status-change
//! log and the case lifecycle.

use std::time::Duration;

use onewindow_codes::chrono::NaiveDateTime;
use serde::Serialize;
use tokio::time::Instant;

use super::catalogue::{Applicants, Matter, Registration};
use super::register::{self, InvoiceRecord, RecordStatus, Taxpayer, TaxpayerStatus};
use crate::common::cases::{CaseStore, ChangeLog, DailySerial, Numbered};
use crate::common::department::Counts;
use crate::common::{china_now, china_today};

/// How the system writes a time.
pub fn format_time(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// 申请人 of a case.
#[derive(Debug, Clone, Serialize)]
pub struct Applicant {
    /// sqrlx: "1" 自然人, "2" 单位.
    pub sqrlx: String,
    /// sqrzjhm: ID number or 纳税人识别号.
    pub sqrzjhm: String,
    /// sqrmc.
    pub sqrmc: String,
}

impl Applicant {
    /// Whether the applicant is a unit taxpayer (sqrlx=2).
    pub fn is_unit(&self) -> bool {
        self.sqrlx == "2"
    }
}

/// One field of the form (`bd.{n}`).
#[derive(Debug, Clone, Serialize)]
pub struct FormField {
    /// mc.
    pub mc: String,
    /// z.
    pub z: String,
}

/// One attachment (`fj.{n}`); the content is checked, measured and fingerprinted, not kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attachment {
    /// clbm.
    pub clbm: String,
    /// wjm.
    pub wjm: String,
    /// lx.
    pub lx: String,
    /// Decoded size in bytes.
    pub size: usize,
    /// SHA-256 of the decoded content, in hex: how a repeated 补正 is recognised.
    pub sha256: String,
}

/// Supplementary materials (补正资料) handed in for a case at 20 待补正 (`BJBZ`).
#[derive(Debug, Clone, Serialize)]
pub struct Supplement {
    /// When the system received them.
    pub jssj: String,
    /// bzsm (补正说明).
    pub bzsm: String,
    /// The files (`fj.{n}`).
    pub fj: Vec<Attachment>,
}

/// A case's withdrawal at the applicant's request (`BJCH`).
#[derive(Debug, Clone, Serialize)]
pub struct Withdrawal {
    /// When the system recorded it.
    pub chsj: String,
    /// chyy (撤回原因).
    pub chyy: String,
}

/// A license offered in place of a material (`zz.{n}`), in the system's own terms.
#[derive(Debug, Clone, Serialize)]
pub struct ReusedLicense {
    /// 材料编码.
    pub clbm: String,
    /// 证照类型代码.
    pub zzlxdm: String,
    /// 证照类型名称.
    pub zzlxmc: String,
    /// 证照编号.
    pub zzbh: String,
    /// 持证主体的纳税人识别号 (credit code or ID number).
    pub nsrsbh: String,
    /// 持证主体的纳税人名称 (or 姓名).
    pub nsrmc: String,
    /// 法定代表人, when the license names one.
    pub fddbr: Option<String>,
    /// 发证机关.
    pub fzjg: String,
    /// 发证日期.
    pub fzrq: String,
    /// 有效期至.
    pub yxqz: String,
    /// 状态: 1 有效, 2 吊销/注销, 3 过期.
    pub zt: String,
}

/// Which path a case takes, chosen by the form field `模拟结果`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Outcome {
    /// 10 → 30 → 50.
    #[serde(rename = "准予")]
    Approve,
    /// 10 → 40 → 50.
    #[serde(rename = "不予核准")]
    Deny,
    /// 10 → 20, held there until `BJBZ` brings the materials, then → 10 → 30 → 50.
    #[serde(rename = "补正")]
    Supplement,
}

impl Outcome {
    /// Reads `模拟结果`; `None` for values the mock does not know.
    pub fn from_form(value: Option<&str>) -> Option<Self> {
        match value.map(str::trim) {
            None | Some("" | "准予" | "准予核准" | "正常") => Some(Self::Approve),
            Some("不予许可" | "不予核准" | "不予受理") => Some(Self::Deny),
            Some("补正") => Some(Self::Supplement),
            Some(_) => None,
        }
    }

    fn steps(self) -> &'static [&'static str] {
        match self {
            Self::Approve => &["10", "30", "50"],
            Self::Deny => &["10", "40", "50"],
            Self::Supplement => &["10", "20", "10", "30", "50"],
        }
    }
}

/// The Chinese name of a status code.
pub fn status_name(ztdm: &str) -> &'static str {
    match ztdm {
        "10" => "审核中",
        "20" => "待补正",
        "30" => "核准",
        "40" => "不予核准",
        "50" => "办结",
        "60" => "已撤回",
        _ => "未知",
    }
}

/// A parsed, validated `BJSB`.
#[derive(Debug, Clone)]
pub struct Submission {
    /// ptbjbh.
    pub ptbjbh: String,
    /// The matter applied for.
    pub matter: &'static Matter,
    /// The applicant.
    pub applicant: Applicant,
    /// slsj, as the system writes times.
    pub slsj: String,
    /// bd.
    pub form: Vec<FormField>,
    /// fj.
    pub attachments: Vec<Attachment>,
    /// zz.
    pub licenses: Vec<ReusedLicense>,
    /// Path through the lifecycle.
    pub outcome: Outcome,
}

/// One entry of a case's history.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    /// xh of the change in the status-change log; none for a withdrawal (60),
    /// which the platform asked for and `BJZT` does not report.
    pub xh: Option<u64>,
    /// ztdm.
    pub ztdm: &'static str,
    /// blsj.
    pub blsj: String,
    /// blyj.
    pub blyj: String,
}

/// A stored case, as `GET /_mock/cases/{ref}` shows it.
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
    /// 受理时间 (slsj).
    pub slsj: String,
    /// When the department stored the case.
    pub received_at: String,
    /// 表单.
    pub form: Vec<FormField>,
    /// 附件.
    pub attachments: Vec<Attachment>,
    /// 证照 offered in place of materials.
    pub licenses: Vec<ReusedLicense>,
    /// The simulated path (模拟结果).
    pub outcome: Outcome,
    /// Current ztdm; none until the first stage has passed.
    pub status: Option<&'static str>,
    /// Chinese name of the current status.
    pub status_name: Option<&'static str>,
    /// Whether the case reached 50 办结.
    pub finished: bool,
    /// Number of the 发票领用 record issued on completion.
    pub issued_record: Option<String>,
    /// Times the same ptbjbh was submitted again.
    pub resubmissions: u64,
    /// Status changes so far.
    pub history: Vec<HistoryEntry>,
    /// 补正资料 received (`BJBZ`), oldest first.
    pub supplements: Vec<Supplement>,
    /// Repeated `BJBZ` with the same files, recognised and not acted on again.
    pub repeated_supplements: u64,
    /// The withdrawal (`BJCH`), once withdrawn.
    pub withdrawal: Option<Withdrawal>,
    #[serde(skip)]
    matter: &'static Matter,
}

impl Case {
    /// The value of a form field by name, when given and not blank.
    pub fn form_value(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|f| f.mc == name)
            .map(|f| f.z.trim())
            .filter(|v| !v.is_empty())
    }

    fn reused(&self, type_name: &str) -> Option<&ReusedLicense> {
        self.licenses.iter().find(|l| l.zzlxmc == type_name)
    }
}

/// One entry of the status-change log read by `BJZT`.
#[derive(Debug, Clone)]
pub struct StatusChange {
    /// 序号, strictly increasing from 1.
    pub xh: u64,
    /// 平台办件编号.
    pub ptbjbh: String,
    /// 业务流水号.
    pub ywlsh: String,
    /// 状态代码.
    pub ztdm: &'static str,
    /// 办理时间.
    pub blsj: String,
    /// 办理意见.
    pub blyj: String,
    /// The 发票领用 record issued with this change (on 50).
    pub record: Option<InvoiceRecord>,
}

impl Numbered for StatusChange {
    fn number(&self) -> u64 {
        self.xh
    }
}

/// Why the rules did not accept a `BJSB`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// 2001: the taxpayer is not registered here.
    NotRegistered(String),
    /// 3001: the taxpayer's status forbids the matter.
    Status(String),
    /// 3002: the matter is not for this kind of applicant.
    Applicant(String),
}

/// Why a `BJBZ` or `BJCH` was not done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// 1002: the request does not fit the case (e.g. a material the matter lacks).
    Malformed(String),
    /// 2001: no such case.
    NotFound(String),
    /// 3003: the case's status does not allow it; the reason.
    CaseStatus(String),
}

/// What a `BJBZ` or `BJCH` the system accepted did.
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
    /// Whether the ptbjbh was already known.
    pub duplicate: bool,
}

/// Everything the department remembers.
#[derive(Debug)]
pub struct State {
    taxpayers: Vec<Taxpayer>,
    records: Vec<InvoiceRecord>,
    cases: CaseStore<Case, &'static str>,
    log: ChangeLog<StatusChange>,
    ywlsh: DailySerial,
}

impl State {
    /// A fresh department with the seeded taxpayers; each case step takes `stage`.
    pub fn new(stage: Duration) -> Self {
        let (taxpayers, records) = register::seed();
        Self {
            taxpayers,
            records,
            cases: CaseStore::new(stage),
            log: ChangeLog::default(),
            ywlsh: DailySerial::default(),
        }
    }

    /// The taxpayer with this 纳税人识别号.
    pub fn taxpayer(&self, nsrsbh: &str) -> Option<&Taxpayer> {
        self.taxpayers.iter().find(|t| t.nsrsbh == nsrsbh)
    }

    /// The 发票领用 records of a taxpayer, oldest first.
    pub fn records_of(&self, nsrsbh: &str) -> impl Iterator<Item = &InvoiceRecord> {
        self.records.iter().filter(move |r| r.nsrsbh == nsrsbh)
    }

    /// The 发票领用 record with this number.
    pub fn record(&self, number: &str) -> Option<&InvoiceRecord> {
        self.records.iter().find(|r| r.number == number)
    }

    /// A stored case by ptbjbh or by ywlsh.
    pub fn case(&self, reference: &str) -> Option<&Case> {
        self.cases.find(reference, |c| c.ywlsh == reference)
    }

    /// Stored cases and repeated submissions.
    pub fn counts(&self) -> Counts {
        self.cases.counts()
    }

    /// Stores a case, or recognises a resubmission.
    pub fn submit(&mut self, submission: Submission, now: Instant) -> Result<Accepted, Refusal> {
        // Idempotency comes before the rules: a retry must not be refused because
        // its first submission has meanwhile changed the register.
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
            slsj: submission.slsj,
            received_at: format_time(china_now()),
            form: submission.form,
            attachments: submission.attachments,
            licenses: submission.licenses,
            outcome: submission.outcome,
            status: None,
            status_name: None,
            finished: false,
            issued_record: None,
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

    fn check_rules(&self, submission: &Submission) -> Result<(), Refusal> {
        let matter = submission.matter;
        let applicant = &submission.applicant;
        match (matter.applicants, applicant.is_unit()) {
            (Applicants::Units, false) => {
                return Err(Refusal::Applicant(format!(
                    "{}须由单位纳税人申请（申请人类型应为2），自然人不能办理",
                    matter.name
                )));
            }
            (Applicants::Persons, true) => {
                return Err(Refusal::Applicant(format!(
                    "{}须由自然人申请（申请人类型应为1）",
                    matter.name
                )));
            }
            _ => {}
        }
        if !applicant.is_unit() || matter.registration == Registration::NotNeeded {
            return Ok(());
        }
        let Some(taxpayer) = self.taxpayer(&applicant.sqrzjhm) else {
            return match matter.registration {
                Registration::Required => Err(Refusal::NotRegistered(format!(
                    "纳税人识别号{}未在本局办理税务登记，不能办理{}",
                    applicant.sqrzjhm, matter.name
                ))),
                _ => Ok(()),
            };
        };
        match taxpayer.status {
            TaxpayerStatus::Cancelled => Err(Refusal::Status(format!(
                "纳税人“{}”已注销税务登记，不能办理{}",
                taxpayer.nsrmc, matter.name
            ))),
            TaxpayerStatus::Abnormal if matter.invoices => Err(Refusal::Status(format!(
                "纳税人“{}”为非正常户，须先解除非正常户认定后再办理{}",
                taxpayer.nsrmc, matter.name
            ))),
            _ => Ok(()),
        }
    }

    fn next_ywlsh(&mut self) -> String {
        let today = china_today();
        let serial = self.ywlsh.next(today);
        format!("SW330122{}{serial:04}", today.format("%Y%m%d"))
    }

    /// The position of the case with ptbjbh `ptbjbh`, or else ywlsh `ywlsh`; when
    /// both are given they must name the same case.
    fn locate(&self, ptbjbh: Option<&str>, ywlsh: Option<&str>) -> Result<usize, Denied> {
        let i = match (ptbjbh, ywlsh) {
            (Some(ptbjbh), _) => self
                .cases
                .position(ptbjbh)
                .ok_or_else(|| Denied::NotFound(format!("平台办件编号{ptbjbh}对应的办件不存在")))?,
            (None, Some(ywlsh)) => self
                .cases
                .find(ywlsh, |c| c.ywlsh == ywlsh)
                .and_then(|c| self.cases.position(&c.ptbjbh))
                .ok_or_else(|| Denied::NotFound(format!("业务流水号{ywlsh}对应的办件不存在")))?,
            (None, None) => {
                return Err(Denied::Malformed(
                    "缺少ptbjbh（平台办件编号）或ywlsh（业务流水号）".to_owned(),
                ));
            }
        };
        match ywlsh {
            Some(ywlsh) if self.cases[i].ywlsh != ywlsh => Err(Denied::Malformed(format!(
                "ptbjbh={}与ywlsh={ywlsh}不是同一办件（其业务流水号为{}）",
                self.cases[i].ptbjbh, self.cases[i].ywlsh
            ))),
            _ => Ok(i),
        }
    }

    /// Takes the 补正资料 (`BJBZ`) of a case held at 20 待补正 and lets it go on:
    /// review resumes one stage later. The same files again, once taken, are
    /// recognised and change nothing.
    pub fn supplement(
        &mut self,
        ptbjbh: Option<&str>,
        ywlsh: Option<&str>,
        bzsm: &str,
        fj: Vec<Attachment>,
        now: Instant,
    ) -> Result<Done, Denied> {
        let i = self.locate(ptbjbh, ywlsh)?;
        let case = &self.cases[i];
        if let Some(unknown) = fj
            .iter()
            .find(|a| !case.matter.materials.iter().any(|m| m.code == a.clbm))
        {
            let codes: Vec<&str> = case.matter.materials.iter().map(|m| m.code).collect();
            return Err(Denied::Malformed(format!(
                "补正资料“{}”的材料编码{}不是{}的申请资料（材料编码为{}）",
                unknown.wjm,
                unknown.clbm,
                case.sxmc,
                codes.join("、")
            )));
        }
        if let Some(withdrawal) = &case.withdrawal {
            return Err(Denied::CaseStatus(format!(
                "办件{}已于{}撤回，不能再提交补正资料",
                case.ywlsh, withdrawal.chsj
            )));
        }
        if !self.cases.is_held(i) {
            if case.supplements.last().is_some_and(|s| s.fj == fj) {
                self.cases[i].repeated_supplements += 1;
                return Ok(Done::Already);
            }
            return Err(Denied::CaseStatus(format!(
                "办件{}当前状态为{}，未通知补正，不能提交补正资料",
                case.ywlsh,
                case.status.map_or("已受理待审核", status_name)
            )));
        }
        let case = &mut self.cases[i];
        case.supplements.push(Supplement {
            jssj: format_time(china_now()),
            bzsm: bzsm.to_owned(),
            fj,
        });
        tracing::info!(ptbjbh = %case.ptbjbh, ywlsh = %case.ywlsh, "supplement received");
        self.cases.resume(i, now);
        Ok(Done::Now)
    }

    /// Withdraws a case (`BJCH`) not yet decided (30 核准, 40 不予核准, 50 办结): it
    /// takes no further step. Withdrawing it again changes nothing.
    pub fn withdraw(
        &mut self,
        ptbjbh: Option<&str>,
        ywlsh: Option<&str>,
        chyy: &str,
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
            .find(|h| matches!(h.ztdm, "30" | "40" | "50"))
        {
            return Err(Denied::CaseStatus(format!(
                "办件{}已于{}{}，不能撤回",
                case.ywlsh,
                decided.blsj,
                match decided.ztdm {
                    "30" => "核准",
                    "40" => "作出不予核准决定",
                    _ => "办结",
                }
            )));
        }
        self.cases.stop(i);
        let chsj = format_time(china_now());
        let case = &mut self.cases[i];
        case.status = Some("60");
        case.status_name = Some(status_name("60"));
        case.history.push(HistoryEntry {
            xh: None,
            ztdm: "60",
            blsj: chsj.clone(),
            blyj: format!("纳税人撤回申请：{chyy}"),
        });
        case.withdrawal = Some(Withdrawal {
            chsj,
            chyy: chyy.to_owned(),
        });
        tracing::info!(ptbjbh = %case.ptbjbh, ywlsh = %case.ywlsh, "case withdrawn");
        Ok(Done::Now)
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
        let record = (ztdm == "50"
            && self.cases[i].outcome != Outcome::Deny
            && self.cases[i].matter.issues_record)
            .then(|| self.issue_record(i));
        let blyj = self.opinion(i, ztdm, record.as_ref());
        let xh = self.log.next_number();
        let blsj = format_time(china_now());
        let finished = self.cases.stepped(i, now);
        if ztdm == "20" {
            // 待补正 waits for the materials (BJBZ), however long that takes.
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
        if let Some(record) = &record {
            case.issued_record = Some(record.number.clone());
        }
        case.finished = finished;
        tracing::info!(ptbjbh = %case.ptbjbh, ywlsh = %case.ywlsh, ztdm, xh, "case status changed");
        self.log.push(StatusChange {
            xh,
            ptbjbh: case.ptbjbh.clone(),
            ywlsh: case.ywlsh.clone(),
            ztdm,
            blsj,
            blyj,
            record,
        });
    }

    fn opinion(&self, i: usize, ztdm: &str, record: Option<&InvoiceRecord>) -> String {
        let case = &self.cases[i];
        match ztdm {
            "10" if case.history.last().is_some_and(|h| h.ztdm == "20") => {
                "补正资料已收到，继续审核".to_owned()
            }
            "10" => "已受理，资料齐全，进入审核".to_owned(),
            "20" => {
                let missing = case
                    .matter
                    .materials
                    .iter()
                    .find(|m| m.required)
                    .map_or("相关资料", |m| m.name);
                format!("资料不齐全，请补正：{missing}")
            }
            "30" if case.matter.issues_record => "经审核，准予领用发票".to_owned(),
            "30" => "经审核，符合规定，准予办理".to_owned(),
            "40" => format!(
                "经审核，不予核准：{}",
                case.form_value("不予核准原因")
                    .or_else(|| case.form_value("不予许可原因"))
                    .unwrap_or("申请事项不符合规定条件")
            ),
            "50" => match (record, case.outcome) {
                (Some(r), _) => format!(
                    "已办结，发票领用编号{}（{}，单份最高开票限额{}，每月最高领用{}）",
                    r.number, r.fpzl, r.dzzgxe, r.myzgsl
                ),
                (None, Outcome::Deny) => "已办结（不予核准），申请资料已退回".to_owned(),
                (None, _) => "已办结".to_owned(),
            },
            _ => String::new(),
        }
    }

    /// Issues the 发票领用 record of a finished 发票申领, registering a new taxpayer on the way.
    fn issue_record(&mut self, i: usize) -> InvoiceRecord {
        let case = &self.cases[i];
        let form = |name: &str| case.form_value(name).map(str::to_owned);
        let business_license = case.reused("营业执照");
        let id_card = case.reused("居民身份证");
        let nsrsbh = case.applicant.sqrzjhm.clone();
        let taxpayer = match self.taxpayer(&nsrsbh) {
            Some(t) => t.clone(),
            None => {
                // 新办纳税人: registered from the applicant and the reused 营业执照.
                let fddbr = business_license
                    .and_then(|l| l.fddbr.clone())
                    .or_else(|| form("法定代表人"))
                    .unwrap_or_else(|| case.applicant.sqrmc.clone());
                let taxpayer = Taxpayer {
                    nsrsbh: nsrsbh.clone(),
                    nsrmc: case.applicant.sqrmc.clone(),
                    bsry: id_card
                        .map(|l| l.nsrmc.clone())
                        .or_else(|| form("经办人"))
                        .unwrap_or_else(|| fddbr.clone()),
                    fddbr,
                    zg: "小规模纳税人".to_owned(),
                    zgswjg: register::CITY.to_owned(),
                    status: TaxpayerStatus::Normal,
                };
                self.taxpayers.push(taxpayer.clone());
                taxpayer
            }
        };
        let case = &self.cases[i];
        let form = |name: &str| case.form_value(name).map(str::to_owned);
        let today = china_today();
        let mut serial = self.records.iter().filter(|r| r.issued == today).count() as u32 + 1;
        while self
            .record(&register::record_number(today, serial))
            .is_some()
        {
            serial += 1;
        }
        let record = InvoiceRecord {
            number: register::record_number(today, serial),
            nsrsbh: taxpayer.nsrsbh.clone(),
            nsrmc: taxpayer.nsrmc.clone(),
            fpzl: form("发票种类").unwrap_or_else(|| register::E_INVOICE.to_owned()),
            dzzgxe: form("单份发票最高开票限额").unwrap_or_else(|| "十万元".to_owned()),
            myzgsl: form("每月最高领用数量").unwrap_or_else(|| "25份".to_owned()),
            lyfs: form("领用方式").unwrap_or_else(|| "网上申领，邮寄送达".to_owned()),
            jbr: form("经办人")
                .or_else(|| case.reused("居民身份证").map(|l| l.nsrmc.clone()))
                .unwrap_or_else(|| taxpayer.bsry.clone()),
            zgswjg: taxpayer.zgswjg.clone(),
            issued: today,
            valid_until: None,
            status: RecordStatus::Valid,
        };
        self.records.push(record.clone());
        record
    }

    /// Status changes after `after`, at most `limit`, and whether more are ready.
    pub fn changes(&self, after: u64, limit: usize) -> (&[StatusChange], bool) {
        self.log.page(after, limit)
    }
}
