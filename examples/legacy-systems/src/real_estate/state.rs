//! The department's memory and its batch job: cases read from `sqbj/`, their life
//! one stage at a time, the register, and the files the job writes.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use onewindow_codes::chrono::Datelike as _;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::case_file::{self, Applicant, Attachment, CaseFile, FormField, LicenseRow};
use super::catalogue::{self, Effect, Matter};
use super::export::{self, Kind, Sheet};
use super::followup::{self, SUPPLEMENTS, WITHDRAWALS};
use super::register::{self, Certificate, Status};
use crate::common::cases::{CaseStore, DailySerial};
use crate::common::{Fault, china_now, china_today};

/// Case files wait here.
pub const OUTGOING: &str = "sqbj";
/// Case files the batch job has read.
pub const READ: &str = "sqbj/bak";
/// Case files it could not accept.
pub const REJECTED: &str = "sqbj/err";
/// Result files.
pub const RESULTS: &str = "bjjg";
/// Supplement files the batch job has read.
pub const SUPPLEMENTS_READ: &str = "bzcl/bak";
/// Supplement files it did not accept, each with `<name>.txt` saying why.
pub const SUPPLEMENTS_REJECTED: &str = "bzcl/err";
/// Withdrawal files the batch job has read.
pub const WITHDRAWALS_READ: &str = "chsq/bak";
/// Withdrawal files it did not accept, each with `<name>.txt` saying why.
pub const WITHDRAWALS_REJECTED: &str = "chsq/err";

/// The first columns of a result row; the certificate's columns follow.
/// 当前状态代码 is filled on `16` rows only: the status the case keeps.
pub const RESULT_COLUMNS: [&str; 6] = [
    "平台办件编号",
    "业务号",
    "状态代码",
    "办理时间",
    "办理意见",
    "当前状态代码",
];

/// The counters of the batch job.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Case files read, including duplicates and rejected ones.
    pub files: u64,
    /// Stored cases.
    pub cases: u64,
    /// Case files that repeated a known 平台办件编号.
    pub duplicates: u64,
    /// Case files moved to `sqbj/err/`.
    pub rejected: u64,
    /// Result files written.
    pub result_files: u64,
    /// Runs that failed (fail rate) and answered with `99` rows.
    pub failed_batches: u64,
    /// Runs of the batch job (none while it is down).
    pub runs: u64,
    /// Supplement files accepted: their case went back to review.
    pub supplements: u64,
    /// Withdrawal files that withdrew their case.
    pub withdrawals: u64,
    /// Supplement or withdrawal files that repeated one already acted on (no
    /// second effect).
    pub repeats: u64,
    /// Supplement or withdrawal files refused (moved to `err/`; a refused
    /// withdrawal also answers with a `16` row).
    pub refusals: u64,
}

/// Which path a case takes, chosen by the form field `模拟结果` or the department's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Outcome {
    /// 01 → 03 → 05.
    #[serde(rename = "准予登记")]
    Register,
    /// 01 → 04 → 05.
    #[serde(rename = "不予登记")]
    Deny,
    /// 01 → 02 (held until the supplement file arrives) → 01 → 03 → 05.
    #[serde(rename = "补正")]
    Supplement,
    /// 01 → 08 (特别程序: 公告) → 03 → 05.
    #[serde(rename = "公告")]
    Announcement,
    /// 01 → 08 (特别程序: 实地查看) → 03 → 05.
    #[serde(rename = "实地查看")]
    SiteInspection,
}

impl Outcome {
    fn from_form(value: Option<&str>) -> Result<Self, String> {
        match value.unwrap_or_default() {
            "" | "准予登记" | "准予许可" | "正常" => Ok(Self::Register),
            "不予登记" | "不予许可" => Ok(Self::Deny),
            "补正" => Ok(Self::Supplement),
            "公告" => Ok(Self::Announcement),
            "实地查看" => Ok(Self::SiteInspection),
            other => Err(format!(
                "表单字段模拟结果“{other}”无法识别（可为不予登记、补正、公告、实地查看或留空）"
            )),
        }
    }

    fn steps(self) -> &'static [&'static str] {
        match self {
            Self::Register => &["01", "03", "05"],
            Self::Deny => &["01", "04", "05"],
            Self::Supplement => &["01", "02", "01", "03", "05"],
            Self::Announcement | Self::SiteInspection => &["01", "08", "03", "05"],
        }
    }
}

/// The Chinese name of a 状态代码.
pub fn status_name(code: &str) -> &'static str {
    match code {
        "01" => "受理",
        "02" => "需补正",
        "03" => "审核通过",
        "04" => "不予登记",
        "05" => "已登簿",
        "06" => "已撤回",
        "08" => "特别程序",
        "09" => "不予受理",
        "16" => "不予撤回",
        "99" => "批处理异常",
        _ => "未知",
    }
}

/// One entry of a case's history.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    /// 状态代码.
    pub code: &'static str,
    /// 办理时间.
    pub at: String,
    /// 办理意见.
    pub note: String,
    /// The result file that reported it.
    pub result_file: String,
}

/// Supplementary materials (补正) the batch job accepted for a case.
#[derive(Debug, Clone, Serialize)]
pub struct SupplementEntry {
    /// Where the supplement file was moved, e.g. `bzcl/bak/BZ_20261127-000042_….csv`.
    pub file: String,
    /// When the batch job read it, `YYYYMMDDHHMMSS`.
    pub received_at: String,
    /// 补正说明.
    pub note: String,
    /// 附件.
    pub attachments: Vec<Attachment>,
    /// SHA-256 of the file's bytes: the same file again is a repeat.
    pub digest: String,
}

/// A stored case, as `Handle::case` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    /// 平台办件编号.
    pub case_no: String,
    /// 业务号.
    pub reference: String,
    /// 交换编号: the case file's name without `.csv`.
    pub exchange_reference: String,
    /// Where the case file was moved, e.g. `sqbj/bak/SQ_20261127-000042.csv`.
    pub file: String,
    /// 事项编码.
    pub matter_code: String,
    /// 事项名称.
    pub matter_name: String,
    /// 申请人.
    pub applicant: Applicant,
    /// 受理时间 as sent.
    pub accepted_at: String,
    /// When the batch job read the file.
    pub received_at: String,
    /// 表单.
    pub form: Vec<FormField>,
    /// 附件.
    pub attachments: Vec<Attachment>,
    /// 证照: licenses reused in place of materials.
    pub licenses: Vec<LicenseRow>,
    /// The path the case takes.
    pub outcome: Outcome,
    /// Why the department's rules deny it, when they do.
    pub denial_reason: Option<String>,
    /// The certificate the case concerns.
    pub subject_certificate: Option<String>,
    /// Current 状态代码; `None` until the first stage has passed.
    pub status: Option<&'static str>,
    /// Its name.
    pub status_name: Option<&'static str>,
    /// Whether the case reached 05.
    pub finished: bool,
    /// The 不动产权证号 issued on completion.
    pub issued_certificate: Option<String>,
    /// Times the same 平台办件编号 arrived again.
    pub duplicates: u64,
    /// Status changes so far.
    pub history: Vec<HistoryEntry>,
    /// Whether the case is held at 需补正 until a supplement file arrives.
    pub waiting_for_supplement: bool,
    /// 补正 accepted, in the order they were read.
    pub supplements: Vec<SupplementEntry>,
    /// 撤回原因, once the case is withdrawn (06); it takes no further step.
    pub withdrawn: Option<String>,
    /// Why a withdrawal was refused (16), when one was.
    pub withdrawal_refused: Option<String>,
    /// Supplement or withdrawal files that repeated one already acted on.
    pub repeats: u64,
    #[serde(skip)]
    matter: &'static Matter,
}

impl Case {
    /// A 表单 value by name, when given and not blank.
    pub fn form_value(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.value.trim())
            .filter(|v| !v.is_empty())
    }
}

/// Everything the department remembers, and the folder it exchanges files in.
#[derive(Debug)]
pub struct State {
    dir: PathBuf,
    fail_rate: f64,
    fault: Fault,
    certificates: Vec<Certificate>,
    cases: CaseStore<Case, &'static str>,
    /// The counters, but for `cases` and `duplicates`, which the store keeps.
    stats: Stats,
    result_serial: u64,
    reference: DailySerial,
    next_serial: HashMap<i32, u32>,
    unit_serial: u32,
    /// Result files written damaged, with the bytes they should have.
    damaged: Vec<(String, Vec<u8>)>,
    register_changed: bool,
}

impl State {
    /// Creates the folders in `dir`, exports the catalogue and the seeded register.
    pub fn open(
        dir: PathBuf,
        stage: Duration,
        fail_rate: f64,
        fault: Fault,
    ) -> anyhow::Result<Self> {
        for folder in [
            OUTGOING,
            READ,
            REJECTED,
            RESULTS,
            SUPPLEMENTS,
            SUPPLEMENTS_READ,
            SUPPLEMENTS_REJECTED,
            WITHDRAWALS,
            WITHDRAWALS_READ,
            WITHDRAWALS_REJECTED,
        ] {
            std::fs::create_dir_all(dir.join(folder))
                .with_context(|| format!("creating {}", dir.join(folder).display()))?;
        }
        // Result file names never repeat, also across restarts.
        let mut result_serial = 0;
        for entry in std::fs::read_dir(dir.join(RESULTS))? {
            let name = entry?.file_name();
            let serial = name
                .to_str()
                .and_then(|n| n.strip_prefix("JG_")?.strip_suffix(".csv"))
                .and_then(|n| n.rsplit('_').next()?.parse::<u64>().ok());
            result_serial = result_serial.max(serial.unwrap_or(0));
        }
        let state = Self {
            dir,
            fail_rate,
            fault,
            certificates: register::seed(),
            cases: CaseStore::new(stage),
            stats: Stats::default(),
            result_serial,
            reference: DailySerial::default(),
            next_serial: HashMap::new(),
            unit_serial: 0,
            damaged: Vec::new(),
            register_changed: false,
        };
        state.export_all()?;
        Ok(state)
    }

    /// The fault in force.
    pub fn fault(&self) -> Fault {
        self.fault
    }

    /// Counters.
    pub fn stats(&self) -> Stats {
        let counts = self.cases.counts();
        Stats {
            cases: counts.cases,
            duplicates: counts.duplicates,
            ..self.stats
        }
    }

    /// A case by 平台办件编号, 业务号 or 交换编号.
    pub fn case(&self, reference: &str) -> Option<&Case> {
        self.cases.find(reference, |c| {
            c.reference == reference || c.exchange_reference == reference
        })
    }

    /// The register as it stands.
    pub fn certificates(&self) -> &[Certificate] {
        &self.certificates
    }

    /// Switches the fault; unless the job is down, re-exports the catalogue and the
    /// register in the new form and repairs the result files damaged so far.
    pub fn set_fault(&mut self, fault: Fault) -> anyhow::Result<()> {
        self.fault = fault;
        tracing::info!(%fault, "fault mode set");
        if fault == Fault::Down {
            return Ok(());
        }
        self.export_all()?;
        for (name, good) in std::mem::take(&mut self.damaged) {
            export::publish(&self.dir.join(RESULTS), &name, &good)
                .with_context(|| format!("repairing {RESULTS}/{name}"))?;
            tracing::info!(file = %name, "result file exported again");
        }
        Ok(())
    }

    fn export_all(&self) -> anyhow::Result<()> {
        let fault = self.fault;
        export::publish(
            &self.dir,
            "sxqd.csv",
            &export::render(&catalogue::matters_sheet(), Kind::Matters, fault),
        )?;
        export::publish(
            &self.dir,
            "clqd.csv",
            &export::render(&catalogue::materials_sheet(), Kind::Materials, fault),
        )?;
        export::publish(
            &self.dir,
            "bdqd.csv",
            &export::render(&catalogue::forms_sheet(), Kind::Forms, fault),
        )?;
        self.export_register()
    }

    fn export_register(&self) -> anyhow::Result<()> {
        let sheet = register::sheet(&self.certificates);
        export::publish(
            &self.dir,
            "zsqd.csv",
            &export::render(&sheet, Kind::Register, self.fault),
        )?;
        Ok(())
    }

    /// One run of the batch job: read waiting case files, move cases along, take
    /// supplement and withdrawal files, export.
    pub fn run(&mut self, now: Instant) -> anyhow::Result<()> {
        self.stats.runs += 1;
        let mut rows = Vec::new();
        let waiting = self.waiting()?;
        if !waiting.is_empty() {
            if self.fail_rate > 0.0 && rand::random::<f64>() < self.fail_rate {
                self.stats.failed_batches += 1;
                tracing::debug!(files = waiting.len(), "batch run failed (fail rate)");
                for name in &waiting {
                    let case_no = case_file::case_no_of(name).unwrap_or_default();
                    rows.push(result_row(
                        case_no,
                        "",
                        "99",
                        "批处理异常：数据库连接超时，本批次未处理，将于下一批次重新读取",
                        "",
                        None,
                    ));
                }
            } else {
                for name in waiting {
                    self.ingest(&name, now, &mut rows)?;
                }
            }
        }
        // Steps that fell due are taken first: a withdrawal read in the same run
        // as the decision comes too late for it (and is refused with a 16 row).
        self.advance(now, &mut rows);
        for name in self.waiting_in(SUPPLEMENTS, "BZ_")? {
            self.take_supplement(&name, now)?;
        }
        for name in self.waiting_in(WITHDRAWALS, "CH_")? {
            self.take_withdrawal(&name, &mut rows)?;
        }
        if std::mem::take(&mut self.register_changed) {
            self.export_register()?;
        }
        if !rows.is_empty() {
            self.write_results(rows)?;
        }
        Ok(())
    }

    /// Case files waiting in `sqbj/`, in name order.
    fn waiting(&self) -> anyhow::Result<Vec<String>> {
        self.waiting_in(OUTGOING, "SQ_")
    }

    /// Files `<prefix>….csv` waiting in `folder`, in name order.
    fn waiting_in(&self, folder: &str, prefix: &str) -> anyhow::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(self.dir.join(folder))? {
            let entry = entry?;
            if !entry.file_type()?.is_file() {
                continue;
            }
            if let Some(name) = entry.file_name().to_str()
                && name.starts_with(prefix)
                && name.ends_with(".csv")
            {
                names.push(name.to_owned());
            }
        }
        names.sort();
        Ok(names)
    }

    /// Moves `sqbj/name` into `folder`, under a fresh name if one is taken.
    fn move_to(&self, name: &str, folder: &str) -> anyhow::Result<String> {
        self.move_from(OUTGOING, name, folder)
    }

    /// Moves `from/name` into `folder`, under a fresh name if one is taken.
    fn move_from(&self, from: &str, name: &str, folder: &str) -> anyhow::Result<String> {
        let mut target = name.to_owned();
        let mut n = 1;
        while self.dir.join(folder).join(&target).exists() {
            target = format!("{name}.{n}");
            n += 1;
        }
        std::fs::rename(
            self.dir.join(from).join(name),
            self.dir.join(folder).join(&target),
        )?;
        Ok(format!("{folder}/{target}"))
    }

    /// Refuses the supplement or withdrawal file `from/name`: moved to `from/err/`
    /// with `<name>.txt` (GBK) giving `reason`.
    fn refuse(&mut self, from: &str, name: &str, reason: &str) -> anyhow::Result<()> {
        self.stats.refusals += 1;
        let moved = self.move_from(from, name, &format!("{from}/err"))?;
        std::fs::write(
            self.dir.join(format!("{moved}.txt")),
            export::gbk(&format!("{moved}：{reason}\r\n")),
        )?;
        tracing::info!(file = %name, %reason, "file refused");
        Ok(())
    }

    /// 补正: a supplement file for a case held at 需补正 records its files on the
    /// case and lets it go on; the same file again changes nothing; anything else
    /// is refused with the reason.
    fn take_supplement(&mut self, name: &str, now: Instant) -> anyhow::Result<()> {
        let bytes = std::fs::read(self.dir.join(SUPPLEMENTS).join(name))?;
        let supplement = match followup::parse_supplement(name, &bytes) {
            Ok(supplement) => supplement,
            Err(reason) => return self.refuse(SUPPLEMENTS, name, &reason),
        };
        let Some(i) = self.cases.position(&supplement.case_no) else {
            let reason = format!("平台办件编号{}不存在，无此办件", supplement.case_no);
            return self.refuse(SUPPLEMENTS, name, &reason);
        };
        let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
        if self.cases[i].supplements.iter().any(|s| s.digest == digest) {
            self.stats.repeats += 1;
            self.cases[i].repeats += 1;
            self.move_from(SUPPLEMENTS, name, SUPPLEMENTS_READ)?;
            tracing::info!(case_no = %supplement.case_no, "supplement file repeats one already read");
            return Ok(());
        }
        let case = &self.cases[i];
        let refusal = if case.withdrawn.is_some() {
            Some("该办件已撤回，不再接收补正材料".to_owned())
        } else if !(self.cases.is_held(i) && case.status == Some("02")) {
            Some(match case.status {
                Some(code) => format!(
                    "该办件当前状态为{}（{code}），不在补正期间，补正材料不予接收",
                    status_name(code)
                ),
                None => "该办件尚未受理，不在补正期间，补正材料不予接收".to_owned(),
            })
        } else {
            supplement
                .attachments
                .iter()
                .find(|a| !case.matter.materials.iter().any(|m| m.code == a.material))
                .map(|a| {
                    format!(
                        "材料编码{}不是事项{}（{}）的申请材料",
                        a.material, case.matter.code, case.matter.name
                    )
                })
        };
        if let Some(reason) = refusal {
            return self.refuse(SUPPLEMENTS, name, &reason);
        }
        let file = self.move_from(SUPPLEMENTS, name, SUPPLEMENTS_READ)?;
        self.cases.resume(i, now);
        self.stats.supplements += 1;
        let case = &mut self.cases[i];
        case.waiting_for_supplement = false;
        case.supplements.push(SupplementEntry {
            file,
            received_at: china_now().format("%Y%m%d%H%M%S").to_string(),
            note: supplement.note,
            attachments: supplement.attachments,
            digest,
        });
        tracing::info!(case_no = %case.case_no, reference = %case.reference, "supplement received, review resumes");
        Ok(())
    }

    /// 撤回: a withdrawal file stops a case not yet decided (a `06` row); a
    /// decided case keeps its status and the withdrawal is refused (a `16` row
    /// with the reason); a withdrawn case is withdrawn again without effect.
    fn take_withdrawal(&mut self, name: &str, rows: &mut Vec<Vec<String>>) -> anyhow::Result<()> {
        let bytes = std::fs::read(self.dir.join(WITHDRAWALS).join(name))?;
        let withdrawal = match followup::parse_withdrawal(name, &bytes) {
            Ok(withdrawal) => withdrawal,
            Err(reason) => return self.refuse(WITHDRAWALS, name, &reason),
        };
        let Some(i) = self.cases.position(&withdrawal.case_no) else {
            let reason = format!("平台办件编号{}不存在，无此办件", withdrawal.case_no);
            return self.refuse(WITHDRAWALS, name, &reason);
        };
        if self.cases[i].withdrawn.is_some() {
            self.stats.repeats += 1;
            self.cases[i].repeats += 1;
            self.move_from(WITHDRAWALS, name, WITHDRAWALS_READ)?;
            tracing::info!(case_no = %withdrawal.case_no, "withdrawal file repeats one already read");
            return Ok(());
        }
        let case = &self.cases[i];
        if let Some(code) = case.status.filter(|c| matches!(*c, "03" | "04" | "05")) {
            let decision = case
                .history
                .iter()
                .rev()
                .find(|h| matches!(h.code, "03" | "04"));
            let when = decision.map(|h| spoken_time(&h.at)).unwrap_or_default();
            let reason = format!(
                "不予撤回：本中心已于{when}{}（业务号{}）{}，登记机构已作出决定，申请不能撤回",
                match decision.map(|h| h.code) {
                    Some("04") => "决定不予登记",
                    _ => "审核通过，准予登记",
                },
                case.reference,
                if code == "05" { "，且已办结" } else { "" },
            );
            let row = result_row(&case.case_no, &case.reference, "16", &reason, code, None);
            self.cases[i].withdrawal_refused = Some(reason.clone());
            rows.push(row);
            return self.refuse(WITHDRAWALS, name, &reason);
        }
        self.move_from(WITHDRAWALS, name, WITHDRAWALS_READ)?;
        self.cases.stop(i);
        self.stats.withdrawals += 1;
        let result_file = self.next_result_name();
        let case = &mut self.cases[i];
        let note = format!(
            "申请人申请撤回（{}），本中心已终止办理，申请材料退回",
            withdrawal.reason
        );
        let row = result_row(&case.case_no, &case.reference, "06", &note, "", None);
        case.status = Some("06");
        case.status_name = Some(status_name("06"));
        case.waiting_for_supplement = false;
        case.finished = true;
        case.withdrawn = Some(withdrawal.reason);
        case.history.push(HistoryEntry {
            code: "06",
            at: row[3].clone(),
            note,
            result_file,
        });
        tracing::info!(case_no = %case.case_no, reference = %case.reference, "case withdrawn");
        rows.push(row);
        Ok(())
    }

    fn ingest(
        &mut self,
        name: &str,
        now: Instant,
        rows: &mut Vec<Vec<String>>,
    ) -> anyhow::Result<()> {
        self.stats.files += 1;
        let bytes = std::fs::read(self.dir.join(OUTGOING).join(name))?;
        let file = match case_file::parse(name, &bytes) {
            Ok(file) => file,
            Err(rejection) => {
                self.stats.rejected += 1;
                let moved = self.move_to(name, REJECTED)?;
                let note = format!("{moved}：{}", rejection.reason);
                std::fs::write(
                    self.dir.join(format!("{moved}.txt")),
                    export::gbk(&format!("{note}\r\n")),
                )?;
                tracing::info!(file = %name, reason = %rejection.reason, "case file rejected");
                if let Some(case_no) = rejection.case_no {
                    rows.push(result_row(
                        &case_no,
                        "",
                        "09",
                        &format!("不予受理：{}", rejection.reason),
                        "",
                        None,
                    ));
                }
                return Ok(());
            }
        };
        if let Some(case) = self.cases.repeat(&file.case_no) {
            case.duplicates += 1;
            self.move_to(name, READ)?;
            tracing::info!(case_no = %file.case_no, "case file repeats a known case");
            return Ok(());
        }
        let outcome = Outcome::from_form(
            file.form
                .iter()
                .find(|f| f.name == "模拟结果")
                .map(|f| f.value.trim()),
        );
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(reason) => {
                self.stats.rejected += 1;
                let moved = self.move_to(name, REJECTED)?;
                std::fs::write(
                    self.dir.join(format!("{moved}.txt")),
                    export::gbk(&format!("{moved}：{reason}\r\n")),
                )?;
                rows.push(result_row(
                    &file.case_no,
                    "",
                    "09",
                    &format!("不予受理：{reason}"),
                    "",
                    None,
                ));
                return Ok(());
            }
        };
        let subject = file
            .licenses
            .iter()
            .find(|l| l.kind == "10")
            .map(|l| l.number.clone())
            .or_else(|| {
                file.form
                    .iter()
                    .find(|f| f.name == "不动产权证号" && !f.value.trim().is_empty())
                    .map(|f| f.value.trim().to_owned())
            });
        let denial_reason = self.rule_denial(file.matter, subject.as_deref());
        let outcome = if denial_reason.is_some() {
            Outcome::Deny
        } else {
            outcome
        };
        let moved = self.move_to(name, READ)?;
        let reference = self.next_reference();
        tracing::info!(case_no = %file.case_no, %reference, "case file read");
        let CaseFile {
            case_no,
            matter,
            applicant,
            accepted_at,
            form,
            attachments,
            licenses,
        } = file;
        let case = Case {
            exchange_reference: format!("SQ_{case_no}"),
            case_no,
            reference,
            file: moved,
            matter_code: matter.code.to_owned(),
            matter_name: matter.name.to_owned(),
            applicant,
            accepted_at,
            received_at: china_now().format("%Y%m%d%H%M%S").to_string(),
            form,
            attachments,
            licenses,
            outcome,
            denial_reason,
            subject_certificate: subject,
            status: None,
            status_name: None,
            finished: false,
            issued_certificate: None,
            duplicates: 0,
            history: Vec::new(),
            waiting_for_supplement: false,
            supplements: Vec::new(),
            withdrawn: None,
            withdrawal_refused: None,
            repeats: 0,
            matter,
        };
        self.cases
            .insert(case.case_no.clone(), case, outcome.steps(), now);
        Ok(())
    }

    fn certificate(&self, number: &str) -> Option<&Certificate> {
        self.certificates.iter().find(|c| c.number == number)
    }

    fn rule_denial(&self, matter: &Matter, subject: Option<&str>) -> Option<String> {
        if !matter.effect.needs_certificate() {
            return None;
        }
        let number = subject?;
        match self.certificate(number) {
            None => Some(format!("不动产权证号{number}在不动产登记簿中不存在")),
            Some(c) if c.status == Status::Cancelled => Some(format!("不动产权证{number}已注销")),
            Some(c) if matter.effect.blocked_by_seizure() && c.restricted_by("查封") => {
                Some(format!(
                    "不动产权证{number}项下的不动产已被查封，不能办理{}",
                    matter.name
                ))
            }
            _ => None,
        }
    }

    fn next_reference(&mut self) -> String {
        let today = china_today();
        let serial = self.reference.next(today);
        format!("BDC{}{serial:04}", today.format("%Y%m%d"))
    }

    /// Moves every case whose stage has passed one step along.
    fn advance(&mut self, now: Instant, rows: &mut Vec<Vec<String>>) {
        for i in self.cases.due(now) {
            rows.push(self.step(i, now));
        }
    }

    fn step(&mut self, i: usize, now: Instant) -> Vec<String> {
        let code = self.cases.next_step(i).unwrap_or("05");
        let (issued, note) = if code == "05" {
            self.complete(i)
        } else {
            (None, self.note(i, code))
        };
        let result_file = self.next_result_name();
        let finished = self.cases.stepped(i, now);
        if code == "02" {
            // 需补正: the case waits for its supplement file.
            self.cases.hold(i);
        }
        let case = &mut self.cases[i];
        let row = result_row(
            &case.case_no,
            &case.reference,
            code,
            &note,
            "",
            issued.as_ref(),
        );
        case.waiting_for_supplement = code == "02";
        case.status = Some(code);
        case.status_name = Some(status_name(code));
        case.history.push(HistoryEntry {
            code,
            at: row[3].clone(),
            note,
            result_file,
        });
        if let Some(certificate) = &issued {
            case.issued_certificate = Some(certificate.number.clone());
        }
        case.finished = finished;
        tracing::info!(case_no = %case.case_no, reference = %case.reference, code, "case status changed");
        row
    }

    fn note(&self, i: usize, code: &str) -> String {
        let case = &self.cases[i];
        match code {
            "01" if case.history.iter().any(|h| h.code == "02") => {
                "补正材料已收到，继续审核".to_owned()
            }
            "01" => "申请材料齐全，符合法定形式，予以受理".to_owned(),
            "02" => {
                let missing = case
                    .matter
                    .materials
                    .iter()
                    .find(|m| m.required && m.license.is_none())
                    .map_or("相关材料", |m| m.name);
                format!("申请材料不齐全，请补正：{missing}")
            }
            "08" if case.outcome == Outcome::Announcement => format!(
                "特别程序（公告）：{}依《不动产登记暂行条例实施细则》第十七条予以公告，公告期间不少于15个工作日，公告期间不计入办理时限",
                case.matter.name
            ),
            "08" => "特别程序（实地查看）：需对申请登记的不动产进行实地查看，已安排查看，实地查看期间不计入办理时限".to_owned(),
            "03" if case.outcome == Outcome::Announcement => {
                "公告期满无异议，经审核，符合登记条件，准予登记".to_owned()
            }
            "03" if case.outcome == Outcome::SiteInspection => {
                "经实地查看，不动产现状与申请材料一致，符合登记条件，准予登记".to_owned()
            }
            "03" => "经审核，符合登记条件，准予登记".to_owned(),
            "04" => format!(
                "经审核，不予登记：{}",
                case.denial_reason
                    .as_deref()
                    .or(case.form_value("不予登记原因"))
                    .unwrap_or("申请登记的不动产权属存在争议")
            ),
            _ => String::new(),
        }
    }

    /// 05: what finishing the case does to the register, and the note.
    fn complete(&mut self, i: usize) -> (Option<Certificate>, String) {
        let case = &self.cases[i];
        if case.outcome == Outcome::Deny {
            return (None, "已办结（不予登记），申请材料已退回".to_owned());
        }
        let effect = case.matter.effect;
        let subject = case
            .subject_certificate
            .as_deref()
            .and_then(|n| self.certificates.iter().position(|c| c.number == n));
        self.register_changed |= effect != Effect::None;
        match effect {
            Effect::Transfer | Effect::Change | Effect::FirstRegistration => {
                let old = match (effect, subject) {
                    (Effect::FirstRegistration, _) | (_, None) => None,
                    (_, Some(s)) => {
                        self.certificates[s].status = Status::Cancelled;
                        Some(self.certificates[s].clone())
                    }
                };
                let certificate = self.new_certificate(i, old.as_ref(), effect == Effect::Change);
                let note = format!("已登簿，核发不动产权证书（{}）", certificate.number);
                self.certificates.push(certificate.clone());
                (Some(certificate), note)
            }
            Effect::Mortgage => {
                if let Some(s) = subject {
                    self.certificates[s].restrict("抵押");
                }
                (None, "已登簿，抵押权已记载于不动产登记簿".to_owned())
            }
            Effect::Seizure => {
                if let Some(s) = subject {
                    self.certificates[s].restrict("查封");
                }
                (None, "已登簿，查封已记载于不动产登记簿".to_owned())
            }
            Effect::MortgageRelease => {
                if let Some(s) = subject {
                    self.certificates[s].restrictions.retain(|r| r != "抵押");
                }
                (None, "已登簿，抵押权已注销".to_owned())
            }
            Effect::None => (None, "已办结".to_owned()),
        }
    }

    fn new_certificate(
        &mut self,
        i: usize,
        old: Option<&Certificate>,
        keep_restrictions: bool,
    ) -> Certificate {
        let today = china_today();
        let year = today.year();
        let highest = self
            .certificates
            .iter()
            .filter_map(Certificate::serial)
            .filter(|&(y, _)| y == year)
            .map(|(_, s)| s)
            .max()
            .unwrap_or(13_000);
        let serial = self.next_serial.entry(year).or_insert(highest);
        *serial = (*serial).max(highest) + 1;
        let number = register::number(year, *serial);
        self.unit_serial += 1;
        let unit = format!("330122002004GB00521F{:08}", self.unit_serial);
        let case = &self.cases[i];
        let pick = |field: &str, old_value: Option<&String>, default: &str| -> String {
            case.form_value(field)
                .map(str::to_owned)
                .or_else(|| old_value.cloned())
                .unwrap_or_else(|| default.to_owned())
        };
        let area = case
            .form_value("面积")
            .map(|a| a.trim_end_matches("平方米").trim_end_matches('㎡').trim())
            .and_then(|a| a.parse::<f64>().ok())
            .map(|a| format!("{a:.2}"))
            .or_else(|| old.map(|o| o.area.clone()))
            .unwrap_or_else(|| "100.00".to_owned());
        let until = today
            .with_year(year + 70)
            .and_then(|d| d.pred_opt())
            .unwrap_or(today);
        let term = format!(
            "{}起{}止",
            today.format("%Y年%m月%d日"),
            until.format("%Y年%m月%d日")
        );
        Certificate {
            number,
            holder: case.applicant.name.clone(),
            organization: case.applicant.is_organization(),
            holder_id: case.applicant.id.clone(),
            co_ownership: pick("共有情况", old.map(|o| &o.co_ownership), "单独所有"),
            location: pick("坐落", old.map(|o| &o.location), "桐庐县城南街道金东路1号"),
            unit: old.map_or(unit, |o| o.unit.clone()),
            right_type: pick(
                "权利类型",
                old.map(|o| &o.right_type),
                "国有建设用地使用权/房屋所有权",
            ),
            right_nature: pick(
                "权利性质",
                old.map(|o| &o.right_nature),
                "出让/市场化商品房",
            ),
            usage: pick("用途", old.map(|o| &o.usage), "城镇住宅用地/住宅"),
            area,
            term: pick("使用期限", old.map(|o| &o.term), &term),
            restrictions: if keep_restrictions {
                old.map(|o| o.restrictions.clone()).unwrap_or_default()
            } else {
                Vec::new()
            },
            issued: today,
            status: Status::Current,
        }
    }

    fn next_result_name(&self) -> String {
        format!(
            "JG_{}_{:06}.csv",
            china_today().format("%Y%m%d"),
            self.result_serial + 1
        )
    }

    fn write_results(&mut self, rows: Vec<Vec<String>>) -> anyhow::Result<()> {
        let name = self.next_result_name();
        self.result_serial += 1;
        let mut header: Vec<&str> = RESULT_COLUMNS.to_vec();
        header.extend(register::COLUMNS);
        let sheet = Sheet::new(&header, rows);
        let bytes = export::render(&sheet, Kind::Results, self.fault);
        if export::damages(self.fault) {
            self.damaged.push((
                name.clone(),
                export::render(&sheet, Kind::Results, Fault::None),
            ));
        }
        export::publish(&self.dir.join(RESULTS), &name, &bytes)?;
        self.stats.result_files += 1;
        tracing::info!(file = %name, rows = sheet.rows.len(), "result file written");
        Ok(())
    }
}

/// `YYYYMMDDHHMMSS` as a clerk reads it: `2026年11月27日09:31:05`.
fn spoken_time(at: &str) -> String {
    onewindow_codes::date::parse_datetime(at)
        .map(|t| t.format("%Y年%m月%d日%H:%M:%S").to_string())
        .unwrap_or_else(|_| at.to_owned())
}

/// A result row: the six result columns (`kept` is 当前状态代码, for `16` rows) and
/// the certificate's (empty without one).
fn result_row(
    case_no: &str,
    reference: &str,
    code: &str,
    note: &str,
    kept: &str,
    certificate: Option<&Certificate>,
) -> Vec<String> {
    let mut row = vec![
        case_no.to_owned(),
        reference.to_owned(),
        code.to_owned(),
        china_now().format("%Y%m%d%H%M%S").to_string(),
        note.to_owned(),
        kept.to_owned(),
    ];
    match certificate {
        Some(c) => row.extend(c.row()),
        None => row.extend(std::iter::repeat_n(String::new(), register::COLUMNS.len())),
    }
    row
}
