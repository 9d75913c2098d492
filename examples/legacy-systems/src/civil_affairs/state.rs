//! The department's memory: cases, the 结婚证 it issued, the change log `CXBH`
//! reads and the case lifecycle.

use std::time::Duration;

use onewindow_codes::date::datetime_to_chinese;
use serde::Serialize;
use tokio::time::Instant;

use super::catalogue::{Matter, Path, SUBSISTENCE_STANDARD};
use super::licenses::{License, LicenseStatus, YearlySerial};
use crate::common::cases::{CaseStore, ChangeLog, DailySerial, Numbered};
use crate::common::department::Counts;
use crate::common::{china_now, china_today};

/// 申请人 (SQR), and 持证人 (CZR) of a license.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Applicant {
    /// ZJLX 证件类型: SFZ or XYDM.
    pub zjlx: String,
    /// ZJHM 证件号码.
    pub zjhm: String,
    /// XM 姓名/名称.
    pub xm: String,
}

/// One `<X>` of the form (BD).
#[derive(Debug, Clone, Serialize)]
pub struct FormValue {
    /// ZDM.
    pub zdm: String,
    /// Z.
    pub z: String,
}

/// One `<F>` (附件); the content is measured and fingerprinted, not kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attachment {
    /// CLBM.
    pub clbm: String,
    /// WJM.
    pub wjm: String,
    /// LX.
    pub lx: String,
    /// Decoded size in bytes.
    pub size: usize,
    /// SHA-256 of the decoded content, hex: how a repeated 补正 is recognised.
    pub sha256: String,
}

/// One `<Z>` (免提交证照).
#[derive(Debug, Clone, Serialize)]
pub struct LicenseRef {
    /// CLBM.
    pub clbm: String,
    /// ZZLX.
    pub zzlx: String,
    /// ZZBH.
    pub zzbh: String,
}

/// A parsed, validated `TJSQ`.
#[derive(Debug, Clone)]
pub struct Submission {
    /// PTBH.
    pub ptbh: String,
    /// The matter applied for.
    pub matter: &'static Matter,
    /// SQR.
    pub applicant: Applicant,
    /// SLSJ, as the department writes it.
    pub slsj: String,
    /// BD.
    pub form: Vec<FormValue>,
    /// FJ.
    pub attachments: Vec<Attachment>,
    /// ZZ.
    pub licenses: Vec<LicenseRef>,
}

/// Materials handed in with `BZCL`.
#[derive(Debug, Clone, Serialize)]
pub struct Supplement {
    /// When the department received them.
    pub received_at: String,
    /// SM 说明.
    pub sm: String,
    /// FJ.
    pub attachments: Vec<Attachment>,
    /// Times the same files were sent again.
    pub repeats: u64,
}

/// A withdrawal (`CHSQ`).
#[derive(Debug, Clone, Serialize)]
pub struct Withdrawal {
    /// When the department recorded it.
    pub at: String,
    /// CHYY 撤回原因.
    pub reason: String,
    /// Times it was asked again.
    pub repeats: u64,
}

/// One entry of a case's history.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    /// XH of the change in `CXBH`; none for a withdrawal, which `CXBH` does not report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xh: Option<u64>,
    /// ZTDM (`CH` for a withdrawal).
    pub ztdm: &'static str,
    /// BHSJ.
    pub bhsj: String,
    /// SM.
    pub sm: String,
}

/// A stored case, as `GET /_mock/cases/{PTBH}` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    /// 平台办件编号.
    pub ptbh: String,
    /// 业务编号.
    pub ywbh: String,
    /// 事项编码.
    pub sxbm: String,
    /// 事项名称.
    pub sxmc: String,
    /// 申请人.
    pub applicant: Applicant,
    /// 受理时间 (SLSJ).
    pub slsj: String,
    /// When the department stored the case.
    pub received_at: String,
    /// 表单.
    pub form: Vec<FormValue>,
    /// 附件.
    pub attachments: Vec<Attachment>,
    /// 免提交证照.
    pub licenses: Vec<LicenseRef>,
    /// Current ZTDM; `None` until the first stage has passed.
    pub status: Option<&'static str>,
    /// Its name.
    pub status_name: Option<&'static str>,
    /// Whether the case has taken its last step.
    pub finished: bool,
    /// ZZBH of the 结婚证 issued on completion.
    pub issued_license: Option<String>,
    /// Times the same PTBH was submitted again.
    pub resubmissions: u64,
    /// Status changes so far, and the withdrawal.
    pub history: Vec<HistoryEntry>,
    /// `BZCL` received, oldest first.
    pub supplements: Vec<Supplement>,
    /// The `CHSQ`, once withdrawn.
    pub withdrawal: Option<Withdrawal>,
    #[serde(skip)]
    matter: &'static Matter,
}

impl Case {
    /// The value of a form item, when given and not blank.
    pub fn form_value(&self, zdm: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|f| f.zdm == zdm)
            .map(|f| f.z.trim())
            .filter(|v| !v.is_empty())
    }
}

/// One entry of the change log `CXBH` reads: a case moved, or a license changed (ZZBG).
#[derive(Debug, Clone)]
pub struct Change {
    /// XH 序号, from 1, gapless.
    pub xh: u64,
    /// PTBH (empty for ZZBG).
    pub ptbh: String,
    /// YWBH (empty for ZZBG).
    pub ywbh: String,
    /// ZTDM.
    pub ztdm: &'static str,
    /// BHSJ 变化时间.
    pub bhsj: String,
    /// SM 说明.
    pub sm: String,
    /// The 证照: issued with this change (on 09), or as it stands after a ZZBG.
    pub license: Option<License>,
}

impl Numbered for Change {
    fn number(&self) -> u64 {
        self.xh
    }
}

/// ZTDM of a license's change.
pub const LICENSE_CHANGED: &str = "ZZBG";

/// The name (ZTMC) of a status code.
pub fn status_name(ztdm: &str) -> &'static str {
    match ztdm {
        "01" => "审查中",
        "02" => "需补正",
        "03" => "特别程序",
        "05" => "准予",
        "06" => "不予",
        "09" => "办结",
        LICENSE_CHANGED => "证照状态变更",
        "CH" => "已撤回",
        _ => "未知",
    }
}

/// Why `BZCL` or `CHSQ` was not done: FHDM and FHXX.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// FHDM: 2001, 2002 or 2003.
    pub code: &'static str,
    /// FHXX.
    pub message: String,
}

impl Refused {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// What an accepted `BZCL` or `CHSQ` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    /// It took effect now.
    Now,
    /// It repeats one that already took effect; nothing changed.
    Already,
}

/// What a `TJSQ` got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// YWBH 业务编号.
    pub ywbh: String,
    /// Whether the PTBH was already known.
    pub duplicate: bool,
}

/// Everything the department remembers.
#[derive(Debug)]
pub struct State {
    cases: CaseStore<Case, &'static str>,
    log: ChangeLog<Change>,
    licenses: Vec<License>,
    ywbh: DailySerial,
    zzbh: YearlySerial,
}

fn now_chinese() -> String {
    datetime_to_chinese(china_now())
}

/// A sum of 元 as people write it: `900` or `666.67`.
fn yuan(amount: f64) -> String {
    let text = format!("{amount:.2}");
    text.strip_suffix(".00").map_or(text.clone(), str::to_owned)
}

/// The household's monthly income per person, from YSR and JTRK as validated.
fn per_person(case_form: impl Fn(&str) -> Option<f64>) -> Option<f64> {
    let people = case_form("JTRK")?;
    let income = case_form("YSR")?;
    (people > 0.0).then(|| income / people)
}

impl State {
    /// A fresh department; each case step takes `stage`.
    pub fn new(stage: Duration) -> Self {
        Self {
            cases: CaseStore::new(stage),
            log: ChangeLog::default(),
            licenses: Vec::new(),
            ywbh: DailySerial::default(),
            zzbh: YearlySerial::default(),
        }
    }

    /// A stored case by PTBH.
    pub fn case(&self, ptbh: &str) -> Option<&Case> {
        self.cases.get(ptbh)
    }

    /// Stored cases and repeated submissions.
    pub fn counts(&self) -> Counts {
        self.cases.counts()
    }

    /// Every license held by the person or organisation `zjhm`, oldest first.
    pub fn licenses_of(&self, zjhm: &str) -> impl Iterator<Item = &License> {
        self.licenses.iter().filter(move |l| l.holder.zjhm == zjhm)
    }

    /// The license numbered `zzbh`.
    pub fn license(&self, zzbh: &str) -> Option<&License> {
        self.licenses.iter().find(|l| l.number == zzbh)
    }

    /// Changes after `after`, at most `limit`, and whether more are ready.
    pub fn changes(&self, after: u64, limit: usize) -> (&[Change], bool) {
        self.log.page(after, limit)
    }

    /// Stores a case, or recognises a resubmission of its PTBH (nothing stored).
    pub fn submit(&mut self, submission: Submission, now: Instant) -> Accepted {
        if let Some(case) = self.cases.repeat(&submission.ptbh) {
            case.resubmissions += 1;
            return Accepted {
                ywbh: case.ywbh.clone(),
                duplicate: true,
            };
        }
        let today = china_today();
        let ywbh = format!("MZ{}{:06}", today.format("%Y%m%d"), self.ywbh.next(today));
        let case = Case {
            ptbh: submission.ptbh.clone(),
            ywbh: ywbh.clone(),
            sxbm: submission.matter.code.to_owned(),
            sxmc: submission.matter.name.to_owned(),
            applicant: submission.applicant,
            slsj: submission.slsj,
            received_at: now_chinese(),
            form: submission.form,
            attachments: submission.attachments,
            licenses: submission.licenses,
            status: None,
            status_name: None,
            finished: false,
            issued_license: None,
            resubmissions: 0,
            history: Vec::new(),
            supplements: Vec::new(),
            withdrawal: None,
            matter: submission.matter,
        };
        let steps = steps(&case);
        tracing::info!(ptbh = %case.ptbh, %ywbh, sxbm = %case.sxbm, ?steps, "case stored");
        self.cases.insert(submission.ptbh, case, steps, now);
        Accepted {
            ywbh,
            duplicate: false,
        }
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
        let license = (ztdm == "09" && self.cases[i].matter.path == Path::Marriage)
            .then(|| self.issue_license(i));
        let sm = self.note(i, ztdm, license.as_ref());
        let finished = self.cases.stepped(i, now);
        if ztdm == "02" {
            // 需补正 waits for the materials (BZCL), however long that takes.
            self.cases.hold(i);
        }
        self.record(i, ztdm, sm, license);
        self.cases[i].finished = finished;
    }

    /// Logs case `i`'s change to `ztdm` and records it in the case.
    fn record(&mut self, i: usize, ztdm: &'static str, sm: String, license: Option<License>) {
        let xh = self.log.next_number();
        let bhsj = now_chinese();
        let case = &mut self.cases[i];
        case.status = Some(ztdm);
        case.status_name = Some(status_name(ztdm));
        case.history.push(HistoryEntry {
            xh: Some(xh),
            ztdm,
            bhsj: bhsj.clone(),
            sm: sm.clone(),
        });
        if let Some(license) = &license {
            case.issued_license = Some(license.number.clone());
        }
        tracing::info!(ptbh = %case.ptbh, ywbh = %case.ywbh, ztdm, xh, "case status changed");
        self.log.push(Change {
            xh,
            ptbh: case.ptbh.clone(),
            ywbh: case.ywbh.clone(),
            ztdm,
            bhsj,
            sm,
            license,
        });
    }

    /// SM of case `i`'s step to `ztdm`.
    fn note(&self, i: usize, ztdm: &str, license: Option<&License>) -> String {
        let case = &self.cases[i];
        match ztdm {
            "01" => "申请材料齐全，进入审查".to_owned(),
            "02" => "请补充共同生活家庭成员的收入证明".to_owned(),
            "03" => "入户调查、民主评议和公示".to_owned(),
            "05" => match case.matter.path {
                Path::Marriage => "符合结婚条件，准予登记".to_owned(),
                _ => "经审核，符合最低生活保障条件，准予享受最低生活保障".to_owned(),
            },
            "06" => {
                let form = |zdm: &str| case.form_value(zdm).and_then(|v| v.parse::<f64>().ok());
                match per_person(form) {
                    Some(average) => format!(
                        "家庭人均月收入{}元，不低于本县最低生活保障标准{}元/人·月，不符合最低生活保障条件，不予批准",
                        yuan(average),
                        SUBSISTENCE_STANDARD
                    ),
                    None => "不符合最低生活保障条件，不予批准".to_owned(),
                }
            }
            "09" => match license {
                Some(license) => format!("已办结，颁发结婚证（证照编号{}）", license.number),
                None => "已办结".to_owned(),
            },
            _ => String::new(),
        }
    }

    /// Issues the 结婚证 of the marriage case `i` to its applicant.
    fn issue_license(&mut self, i: usize) -> License {
        let today = china_today();
        let number = self.zzbh.next(today);
        let case = &self.cases[i];
        let form = |zdm: &str| case.form_value(zdm).unwrap_or_default().to_owned();
        let license = License {
            number,
            holder: case.applicant.clone(),
            spouse_name: form("DFXM"),
            spouse_id: form("DFSFZ"),
            issued: today,
            status: LicenseStatus::Valid,
            ptbh: case.ptbh.clone(),
        };
        tracing::info!(zzbh = %license.number, ptbh = %case.ptbh, "结婚证 issued");
        self.licenses.push(license.clone());
        license
    }

    /// Cancels (注销) the 结婚证 `zzbh` after a divorce, as
    /// `PUT /_mock/licenses/{ZZBH}/revoke` asks, and logs the ZZBG change. False
    /// when no such license was issued; one already cancelled stays as it is.
    pub fn revoke_license(&mut self, zzbh: &str) -> bool {
        let Some(license) = self.licenses.iter_mut().find(|l| l.number == zzbh) else {
            return false;
        };
        if license.status == LicenseStatus::Cancelled {
            return true;
        }
        license.status = LicenseStatus::Cancelled;
        let license = license.clone();
        let xh = self.log.next_number();
        tracing::info!(zzbh, xh, "结婚证 cancelled");
        self.log.push(Change {
            xh,
            ptbh: String::new(),
            ywbh: String::new(),
            ztdm: LICENSE_CHANGED,
            bhsj: now_chinese(),
            sm: "离婚登记，结婚证注销".to_owned(),
            license: Some(license),
        });
        true
    }

    /// Takes the materials (`BZCL`) of a case waiting at 02 需补正: it goes back to
    /// 01 (logged now) and on along its path. The same files again change nothing
    /// while the case is back in review (01 or 03, not yet decided).
    pub fn supplement(
        &mut self,
        ptbh: &str,
        sm: &str,
        attachments: Vec<Attachment>,
        now: Instant,
    ) -> Result<Done, Refused> {
        let i = self.position(ptbh)?;
        let held = self.cases.is_held(i);
        let case = &mut self.cases[i];
        if let Some(withdrawal) = &case.withdrawal {
            return Err(Refused::new(
                "2003",
                format!("申请已于{}撤回，不能补正", withdrawal.at),
            ));
        }
        if !held {
            let in_review = matches!(case.status, Some("01" | "03"));
            if let Some(last) = case
                .supplements
                .last_mut()
                .filter(|s| in_review && s.attachments == attachments)
            {
                last.repeats += 1;
                return Ok(Done::Already);
            }
            let now_at = case.status_name.unwrap_or("已接收待审查");
            return Err(Refused::new(
                "2003",
                format!("申请当前状态为{now_at}，不在需补正状态，不能补正"),
            ));
        }
        tracing::info!(ptbh, ywbh = %case.ywbh, files = attachments.len(), "supplement received");
        let count = attachments.len();
        case.supplements.push(Supplement {
            received_at: now_chinese(),
            sm: sm.to_owned(),
            attachments,
            repeats: 0,
        });
        self.record(
            i,
            "01",
            format!("补正材料已收到（共{count}份），继续审查"),
            None,
        );
        self.cases.resume(i, now);
        Ok(Done::Now)
    }

    /// Withdraws (`CHSQ`) a case the department has not decided: it takes no
    /// further step. Withdrawing it again changes nothing.
    pub fn withdraw(&mut self, ptbh: &str, reason: &str) -> Result<Done, Refused> {
        let i = self.position(ptbh)?;
        let case = &mut self.cases[i];
        if let Some(withdrawal) = &mut case.withdrawal {
            withdrawal.repeats += 1;
            return Ok(Done::Already);
        }
        if let Some(decided) = case
            .history
            .iter()
            .find(|h| matches!(h.ztdm, "05" | "06" | "09"))
        {
            return Err(Refused::new(
                "2002",
                format!("申请已于{}作出决定，不能撤回", decided.bhsj),
            ));
        }
        let at = now_chinese();
        case.history.push(HistoryEntry {
            xh: None,
            ztdm: "CH",
            bhsj: at.clone(),
            sm: format!("申请人撤回申请：{reason}"),
        });
        case.withdrawal = Some(Withdrawal {
            at,
            reason: reason.to_owned(),
            repeats: 0,
        });
        tracing::info!(ptbh, ywbh = %case.ywbh, "case withdrawn");
        self.cases.stop(i);
        Ok(Done::Now)
    }

    fn position(&self, ptbh: &str) -> Result<usize, Refused> {
        self.cases
            .position(ptbh)
            .ok_or_else(|| Refused::new("2001", format!("平台办件编号{ptbh}对应的申请不存在")))
    }
}

/// The steps a new case will take, one per stage.
fn steps(case: &Case) -> &'static [&'static str] {
    match case.matter.path {
        Path::Marriage => &["01", "05", "09"],
        Path::Record => &["01", "09"],
        Path::Subsistence => {
            let form = |zdm: &str| case.form_value(zdm).and_then(|v| v.parse::<f64>().ok());
            let people = form("JTRK").unwrap_or(1.0);
            let income = form("YSR").unwrap_or_default();
            // YSR / JTRK ≥ the standard, without dividing.
            if income >= f64::from(SUBSISTENCE_STANDARD) * people {
                &["01", "06"]
            } else if people > 3.0 {
                &["01", "02", "03", "05", "09"]
            } else {
                &["01", "03", "05", "09"]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_are_written_as_people_write_them() {
        assert_eq!(yuan(900.0), "900");
        assert_eq!(yuan(2000.0 / 3.0), "666.67");
        assert_eq!(yuan(870.5), "870.50");
    }
}
