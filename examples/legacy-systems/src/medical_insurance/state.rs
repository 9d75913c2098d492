//! The department's memory: sessions, cases, the 参保凭证 it issued, the change log
//! `GetChanges` reads and the case lifecycle.

use std::time::Duration;

use onewindow_codes::chrono::{NaiveDate, NaiveDateTime};
use serde::{Serialize, Serializer};
use tokio::time::Instant;

use super::catalogue::{DISCHARGE_SUMMARY, Matter, Path};
use super::licenses::{Certificate, YearlySerial};
use super::protocol::{Failure, WcfDate};
use super::session::Sessions;
use crate::common::cases::{CaseStore, ChangeLog, DailySerial, Numbered};
use crate::common::department::Counts;
use crate::common::{china_now, china_today};

/// The user name `Login` accepts.
pub const USER_NAME: &str = "onewindow";

/// `Applicant` of a case, and `Holder` of a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Applicant {
    /// IdType 证件类型: 1 居民身份证, 2 统一社会信用代码.
    pub id_type: u8,
    /// IdNumber.
    pub id_number: String,
    /// Name.
    pub name: String,
}

/// One `{Key, Value}` of the form.
#[derive(Debug, Clone, Serialize)]
pub struct FormValue {
    /// Key.
    pub key: String,
    /// Value, trimmed.
    pub value: String,
}

/// One file (`Files`); the content is measured and fingerprinted, not kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attachment {
    /// MaterialCode.
    pub material_code: String,
    /// FileName.
    pub file_name: String,
    /// ContentType.
    pub content_type: String,
    /// Decoded size in bytes.
    pub size: usize,
    /// SHA-256 of the decoded content, hex: how a repeated 补正 is recognised.
    pub sha256: String,
}

/// One license standing in for a material (`Licenses`).
#[derive(Debug, Clone, Serialize)]
pub struct LicenseRef {
    /// MaterialCode.
    pub material_code: String,
    /// TypeName.
    pub type_name: String,
    /// Number.
    pub number: String,
}

/// A parsed, validated `SubmitApplication`.
#[derive(Debug, Clone)]
pub struct Submission {
    /// PlatformCaseNo.
    pub platform_case_no: String,
    /// The matter applied for.
    pub matter: &'static Matter,
    /// Applicant.
    pub applicant: Applicant,
    /// AcceptedAt, Beijing time.
    pub accepted_at: NaiveDateTime,
    /// Form.
    pub form: Vec<FormValue>,
    /// Files.
    pub files: Vec<Attachment>,
    /// Licenses.
    pub licenses: Vec<LicenseRef>,
}

/// Files handed in with `Supplement`.
#[derive(Debug, Clone, Serialize)]
pub struct Supplement {
    /// When the department received them.
    pub received_at: String,
    /// remark.
    pub remark: String,
    /// files.
    pub files: Vec<Attachment>,
    /// Times the same files were sent again.
    pub repeats: u64,
}

/// A withdrawal (`Withdraw`).
#[derive(Debug, Clone, Serialize)]
pub struct Withdrawal {
    /// When the department recorded it.
    pub at: String,
    /// reason.
    pub reason: String,
    /// Times it was asked again.
    pub repeats: u64,
}

/// One entry of a case's history.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    /// `Id` of the change in `GetChanges`; none for a withdrawal, which it does not report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    /// `Status`; none for a withdrawal.
    pub status: Option<u8>,
    /// The status's name (`已撤回` for a withdrawal).
    pub status_name: &'static str,
    /// When.
    pub at: String,
    /// `Remark`.
    pub remark: String,
}

/// A stored case, as `GET /_mock/cases/{PlatformCaseNo}` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    /// 平台办件编号.
    pub platform_case_no: String,
    /// 业务编号.
    pub business_no: String,
    /// 事项编码.
    pub matter_code: String,
    /// 事项名称.
    pub matter_name: String,
    /// 申请人.
    pub applicant: Applicant,
    /// AcceptedAt, Beijing time.
    #[serde(serialize_with = "beijing")]
    pub accepted_at: NaiveDateTime,
    /// When the department stored the case.
    pub received_at: String,
    /// Form.
    pub form: Vec<FormValue>,
    /// Files.
    pub files: Vec<Attachment>,
    /// Licenses.
    pub licenses: Vec<LicenseRef>,
    /// Current `Status`; `None` until the first stage has passed.
    pub status: Option<u8>,
    /// Its name.
    pub status_name: Option<&'static str>,
    /// Whether the case has taken its last step.
    pub finished: bool,
    /// When it was decided (4, 5 or 6 first reached), `yyyy-MM-dd HH:mm:ss`.
    pub decided_at: Option<String>,
    /// Number of the 参保凭证 issued on completion.
    pub issued_certificate: Option<String>,
    /// Times the same PlatformCaseNo was submitted again.
    pub resubmissions: u64,
    /// Status changes so far, and the withdrawal.
    pub history: Vec<HistoryEntry>,
    /// `Supplement`s received, oldest first.
    pub supplements: Vec<Supplement>,
    /// The `Withdraw`, once withdrawn.
    pub withdrawal: Option<Withdrawal>,
    #[serde(skip)]
    matter: &'static Matter,
}

impl Case {
    /// The value of a form item, when given and not blank.
    pub fn form_value(&self, key: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|f| f.key == key)
            .map(|f| f.value.as_str())
            .filter(|v| !v.is_empty())
    }

    /// Whether the material was given, as a file or a license.
    fn has_material(&self, code: &str) -> bool {
        self.files.iter().any(|f| f.material_code == code)
            || self.licenses.iter().any(|l| l.material_code == code)
    }
}

/// `Kind` of a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ChangeKind {
    /// A case moved.
    Case,
    /// A certificate changed.
    Certificate,
}

/// One entry of the change log `GetChanges` reads, as it shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Change {
    /// Id, from 1, gapless.
    pub id: u64,
    /// Kind.
    pub kind: ChangeKind,
    /// PlatformCaseNo (`null` for a certificate's change).
    pub platform_case_no: Option<String>,
    /// BusinessNo (`null` for a certificate's change).
    pub business_no: Option<String>,
    /// Status (`null` for a certificate's change).
    pub status: Option<u8>,
    /// ChangedAt.
    pub changed_at: WcfDate,
    /// Remark.
    pub remark: String,
    /// The 参保凭证: issued with this change (on 6), or as it stands after a
    /// certificate's change.
    pub certificate: Option<Certificate>,
}

impl Numbered for Change {
    fn number(&self) -> u64 {
        self.id
    }
}

/// The name of a `Status`.
pub fn status_name(status: u8) -> &'static str {
    match status {
        1 => "审核中",
        2 => "待补正",
        3 => "专家评审",
        4 => "审核通过",
        5 => "审核不通过",
        6 => "办结",
        _ => "未知",
    }
}

/// The statuses that decide a case: it can no longer be withdrawn.
fn decides(status: u8) -> bool {
    matches!(status, 4..=6)
}

/// What an accepted `Supplement` or `Withdraw` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    /// It took effect now.
    Now,
    /// It repeats one that already took effect; nothing changed.
    Already,
}

/// What a `SubmitApplication` got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// BusinessNo.
    pub business_no: String,
    /// Whether the PlatformCaseNo was already known.
    pub duplicate: bool,
}

/// Everything the department remembers.
#[derive(Debug)]
pub struct State {
    password: String,
    sessions: Sessions,
    cases: CaseStore<Case, u8>,
    log: ChangeLog<Change>,
    certificates: Vec<Certificate>,
    business_no: DailySerial,
    certificate_no: YearlySerial,
}

/// Beijing time as the department writes it in messages: `yyyy-MM-dd HH:mm:ss`.
fn text(time: NaiveDateTime) -> String {
    time.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn beijing<S: Serializer>(time: &NaiveDateTime, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&text(*time))
}

fn now_text() -> String {
    text(china_now())
}

impl State {
    /// A fresh department; each case step takes `stage`, `password` opens
    /// sessions that lapse after `idle`.
    pub fn new(stage: Duration, password: String, idle: Duration) -> Self {
        Self {
            password,
            sessions: Sessions::new(idle),
            cases: CaseStore::new(stage),
            log: ChangeLog::default(),
            certificates: Vec::new(),
            business_no: DailySerial::default(),
            certificate_no: YearlySerial::default(),
        }
    }

    /// `Login`: a new session's id and its timeout in minutes, or `None` for a
    /// wrong user name or password.
    pub fn login(&mut self, user: &str, password: &str, now: Instant) -> Option<(String, u64)> {
        if user != USER_NAME || password != self.password {
            tracing::info!(user, "login refused");
            return None;
        }
        let id = self.sessions.open(now);
        tracing::info!(user, "session opened");
        Some((id, self.sessions.timeout_minutes()))
    }

    /// Whether the request's session `id` is live (and so used now).
    pub fn session(&mut self, id: Option<&str>, now: Instant) -> bool {
        id.is_some_and(|id| self.sessions.touch(id, now))
    }

    /// A stored case by PlatformCaseNo.
    pub fn case(&self, platform_case_no: &str) -> Option<&Case> {
        self.cases.get(platform_case_no)
    }

    /// Stored cases and repeated submissions.
    pub fn counts(&self) -> Counts {
        self.cases.counts()
    }

    /// Every certificate held by `id_number`, oldest first.
    pub fn certificates_of(&self, id_number: &str) -> Vec<&Certificate> {
        self.certificates
            .iter()
            .filter(|c| c.holder.id_number == id_number)
            .collect()
    }

    /// The certificate numbered `number`.
    pub fn certificate(&self, number: &str) -> Option<&Certificate> {
        self.certificates.iter().find(|c| c.number == number)
    }

    /// Changes after `after`, at most `limit`, and whether more are ready.
    pub fn changes(&self, after: u64, limit: usize) -> (&[Change], bool) {
        self.log.page(after, limit)
    }

    /// Stores a case, or recognises a resubmission of its PlatformCaseNo (nothing stored).
    pub fn submit(&mut self, submission: Submission, now: Instant) -> Accepted {
        if let Some(case) = self.cases.repeat(&submission.platform_case_no) {
            case.resubmissions += 1;
            tracing::info!(platform_case_no = %case.platform_case_no, business_no = %case.business_no, "duplicate submission");
            return Accepted {
                business_no: case.business_no.clone(),
                duplicate: true,
            };
        }
        let today = china_today();
        let business_no = format!(
            "YB{}{:05}",
            today.format("%Y%m%d"),
            self.business_no.next(today)
        );
        let case = Case {
            platform_case_no: submission.platform_case_no.clone(),
            business_no: business_no.clone(),
            matter_code: submission.matter.code.to_owned(),
            matter_name: submission.matter.name.to_owned(),
            applicant: submission.applicant,
            accepted_at: submission.accepted_at,
            received_at: now_text(),
            form: submission.form,
            files: submission.files,
            licenses: submission.licenses,
            status: None,
            status_name: None,
            finished: false,
            decided_at: None,
            issued_certificate: None,
            resubmissions: 0,
            history: Vec::new(),
            supplements: Vec::new(),
            withdrawal: None,
            matter: submission.matter,
        };
        let steps = steps(&case);
        tracing::info!(platform_case_no = %case.platform_case_no, %business_no, matter = %case.matter_code, ?steps, "case stored");
        self.cases
            .insert(submission.platform_case_no, case, steps, now);
        Accepted {
            business_no,
            duplicate: false,
        }
    }

    /// Moves every case whose stage has elapsed one step along its path, and
    /// forgets the sessions that lapsed.
    pub fn advance(&mut self, now: Instant) {
        for i in self.cases.due(now) {
            self.step(i, now);
        }
        self.sessions.prune(now);
    }

    fn step(&mut self, i: usize, now: Instant) {
        let Some(status) = self.cases.next_step(i) else {
            return;
        };
        let certificate = (status == 6 && self.cases[i].matter.path == Path::Enrolment)
            .then(|| self.issue_certificate(i));
        let remark = self.remark(i, status, certificate.as_ref());
        let finished = self.cases.stepped(i, now);
        if status == 2 {
            // 待补正 waits for the 出院小结 (Supplement), however long that takes.
            self.cases.hold(i);
        }
        self.record(i, status, remark, certificate);
        self.cases[i].finished = finished;
    }

    /// Logs case `i`'s change to `status` and records it in the case.
    fn record(&mut self, i: usize, status: u8, remark: String, certificate: Option<Certificate>) {
        let id = self.log.next_number();
        let at = china_now();
        let case = &mut self.cases[i];
        case.status = Some(status);
        case.status_name = Some(status_name(status));
        if decides(status) && case.decided_at.is_none() {
            case.decided_at = Some(text(at));
        }
        case.history.push(HistoryEntry {
            id: Some(id),
            status: Some(status),
            status_name: status_name(status),
            at: text(at),
            remark: remark.clone(),
        });
        if let Some(certificate) = &certificate {
            case.issued_certificate = Some(certificate.number.clone());
        }
        tracing::info!(platform_case_no = %case.platform_case_no, business_no = %case.business_no, status, id, "case status changed");
        self.log.push(Change {
            id,
            kind: ChangeKind::Case,
            platform_case_no: Some(case.platform_case_no.clone()),
            business_no: Some(case.business_no.clone()),
            status: Some(status),
            changed_at: WcfDate(at),
            remark,
            certificate,
        });
    }

    /// `Remark` of case `i`'s step to `status`.
    fn remark(&self, i: usize, status: u8, certificate: Option<&Certificate>) -> String {
        let case = &self.cases[i];
        match (status, case.matter.path) {
            (1, _) => "申请材料齐全，已受理，进入审核".to_owned(),
            (2, _) => "请补充出院小结".to_owned(),
            (3, _) => "专家评审".to_owned(),
            (4, Path::Enrolment) => "符合参保条件，审核通过".to_owned(),
            (4, _) => match case.form_value("amount") {
                Some(amount) => format!("审核通过，发生金额{amount}元，按规定核定报销"),
                None => "审核通过".to_owned(),
            },
            (5, _) => "就诊日期已超过一年的报销时限".to_owned(),
            (6, Path::Enrolment) => match certificate {
                Some(certificate) => format!("已办结，核发参保凭证（编号{}）", certificate.number),
                None => "已办结".to_owned(),
            },
            (6, Path::Reimbursement) => "已办结，报销款将拨付至申请人银行账户".to_owned(),
            (6, Path::Filing) => "已办结，异地就医备案已生效".to_owned(),
            _ => String::new(),
        }
    }

    /// Issues the 参保凭证 of the enrolment case `i` to its applicant.
    fn issue_certificate(&mut self, i: usize) -> Certificate {
        let today = china_today();
        let number = self.certificate_no.next(today);
        let case = &self.cases[i];
        let form = |key: &str| case.form_value(key).unwrap_or_default().to_owned();
        let certificate = Certificate {
            number,
            holder: case.applicant.clone(),
            issued: today,
            category: form("category"),
            grade: form("grade"),
            revoked: false,
            platform_case_no: case.platform_case_no.clone(),
        };
        tracing::info!(number = %certificate.number, platform_case_no = %case.platform_case_no, "参保凭证 issued");
        self.certificates.push(certificate.clone());
        certificate
    }

    /// Revokes (作废) the 参保凭证 `number` as `PUT /_mock/licenses/{Number}/revoke`
    /// asks (the holder joined the employees' scheme), and logs the certificate's
    /// change. False when no such certificate was issued; one already revoked stays
    /// as it is.
    pub fn revoke_license(&mut self, number: &str) -> bool {
        let Some(certificate) = self.certificates.iter_mut().find(|c| c.number == number) else {
            return false;
        };
        if certificate.revoked {
            return true;
        }
        certificate.revoked = true;
        let certificate = certificate.clone();
        let id = self.log.next_number();
        tracing::info!(number, id, "参保凭证 revoked");
        self.log.push(Change {
            id,
            kind: ChangeKind::Certificate,
            platform_case_no: None,
            business_no: None,
            status: None,
            changed_at: WcfDate(china_now()),
            remark: "已参加职工医保，参保凭证作废".to_owned(),
            certificate: Some(certificate),
        });
        true
    }

    /// `Supplement`: takes the files of a case waiting at 2 待补正; it goes back to 1
    /// (logged now) and on along its path. The same files again change nothing
    /// while the case is undecided (1 or 3).
    pub fn supplement(
        &mut self,
        platform_case_no: &str,
        remark: &str,
        files: Vec<Attachment>,
        now: Instant,
    ) -> Result<Done, Failure> {
        let i = self.position(platform_case_no)?;
        let held = self.cases.is_held(i);
        let case = &mut self.cases[i];
        if !held {
            let undecided = case.withdrawal.is_none() && matches!(case.status, Some(1 | 3));
            if let Some(last) = case
                .supplements
                .last_mut()
                .filter(|s| undecided && s.files == files)
            {
                last.repeats += 1;
                return Ok(Done::Already);
            }
            return Err(Failure::refused("当前状态不需要补正"));
        }
        tracing::info!(platform_case_no, business_no = %case.business_no, files = files.len(), "supplement received");
        let count = files.len();
        case.supplements.push(Supplement {
            received_at: now_text(),
            remark: remark.to_owned(),
            files,
            repeats: 0,
        });
        self.record(
            i,
            1,
            format!("补正材料已收到（共{count}份），继续审核"),
            None,
        );
        self.cases.resume(i, now);
        Ok(Done::Now)
    }

    /// `Withdraw`: a case the department has not decided takes no further step
    /// (nothing is logged). Withdrawing it again changes nothing.
    pub fn withdraw(&mut self, platform_case_no: &str, reason: &str) -> Result<Done, Failure> {
        let i = self.position(platform_case_no)?;
        let case = &mut self.cases[i];
        if let Some(withdrawal) = &mut case.withdrawal {
            withdrawal.repeats += 1;
            return Ok(Done::Already);
        }
        if let Some(decided) = &case.decided_at {
            return Err(Failure::refused(format!("申请已于{decided}审结，不能撤回")));
        }
        let at = now_text();
        case.history.push(HistoryEntry {
            id: None,
            status: None,
            status_name: "已撤回",
            at: at.clone(),
            remark: format!("申请人撤回申请：{reason}"),
        });
        case.withdrawal = Some(Withdrawal {
            at,
            reason: reason.to_owned(),
            repeats: 0,
        });
        tracing::info!(platform_case_no, business_no = %case.business_no, "case withdrawn");
        self.cases.stop(i);
        Ok(Done::Now)
    }

    fn position(&self, platform_case_no: &str) -> Result<usize, Failure> {
        self.cases.position(platform_case_no).ok_or_else(|| {
            Failure::not_found(format!("平台办件编号{platform_case_no}对应的申请不存在"))
        })
    }
}

/// The steps a new case will take, one per stage.
fn steps(case: &Case) -> &'static [u8] {
    match case.matter.path {
        Path::Enrolment => &[1, 4, 6],
        Path::Filing => &[1, 6],
        Path::Reimbursement => {
            let visit = case
                .form_value("visitDate")
                .and_then(|v| NaiveDate::parse_from_str(v, "%Y-%m-%d").ok());
            if visit.is_some_and(|v| (case.accepted_at.date() - v).num_days() > 365) {
                return &[1, 5];
            }
            let amount = case
                .form_value("amount")
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or_default();
            let summary_missing = amount > 10_000.0 && !case.has_material(DISCHARGE_SUMMARY);
            match (summary_missing, amount > 50_000.0) {
                (true, true) => &[1, 2, 3, 4, 6],
                (true, false) => &[1, 2, 4, 6],
                (false, true) => &[1, 3, 4, 6],
                (false, false) => &[1, 4, 6],
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::catalogue;
    use super::*;

    fn case(form: &[(&str, &str)], accepted: &str, summary: bool) -> Case {
        let matter = catalogue::find(catalogue::REIMBURSEMENT).unwrap();
        Case {
            platform_case_no: "P".into(),
            business_no: "B".into(),
            matter_code: matter.code.into(),
            matter_name: matter.name.into(),
            applicant: Applicant {
                id_type: 1,
                id_number: "11010519491231002X".into(),
                name: "王䶮".into(),
            },
            accepted_at: NaiveDateTime::parse_from_str(accepted, "%Y-%m-%d %H:%M:%S").unwrap(),
            received_at: String::new(),
            form: form
                .iter()
                .map(|(k, v)| FormValue {
                    key: (*k).into(),
                    value: (*v).into(),
                })
                .collect(),
            files: Vec::new(),
            licenses: summary
                .then(|| LicenseRef {
                    material_code: "04".into(),
                    type_name: "出院小结".into(),
                    number: "X".into(),
                })
                .into_iter()
                .collect(),
            status: None,
            status_name: None,
            finished: false,
            decided_at: None,
            issued_certificate: None,
            resubmissions: 0,
            history: Vec::new(),
            supplements: Vec::new(),
            withdrawal: None,
            matter,
        }
    }

    #[test]
    fn reimbursements_take_their_path() {
        let at = "2026-12-07 10:00:00";
        let path = |date: &str, amount: &str, summary: bool| {
            steps(&case(
                &[("visitDate", date), ("amount", amount)],
                at,
                summary,
            ))
        };
        assert_eq!(path("2025-12-07", "100", false), [1, 4, 6], "365 days");
        assert_eq!(path("2025-12-06", "100", false), [1, 5], "366 days");
        assert_eq!(path("2026-12-01", "10000", false), [1, 4, 6]);
        assert_eq!(path("2026-12-01", "10000.01", false), [1, 2, 4, 6]);
        assert_eq!(path("2026-12-01", "10000.01", true), [1, 4, 6]);
        assert_eq!(path("2026-12-01", "50000.5", false), [1, 2, 3, 4, 6]);
        assert_eq!(path("2026-12-01", "50000.5", true), [1, 3, 4, 6]);
        assert_eq!(path("2024-12-01", "90000", false), [1, 5]);
    }
}
