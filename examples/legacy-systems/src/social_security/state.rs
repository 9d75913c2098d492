//! The department's memory: insured persons, cards, cases, the status-change log and
//! the case lifecycle.

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use tokio::time::Instant;

use super::catalogue::{Applicants, Effect, FieldType, Matter, Rule};
use super::protocol::Failure;
use super::register::{self, BANKS, Card, CardStatus, Person, insurance};
use crate::common::cases::{CaseStore, ChangeLog, DailySerial, Numbered};
use crate::common::department::Counts;
use crate::common::{china_now, china_today};

/// 申请人 of a case, in the fields the request carried.
#[derive(Debug, Clone, Serialize)]
pub struct Applicant {
    /// bae101 申请人类型: 1 个人, 2 单位.
    pub bae101: u8,
    /// aac002 公民身份号码 (个人).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aac002: Option<String>,
    /// aac003 姓名 (个人).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aac003: Option<String>,
    /// aab998 统一社会信用代码 (单位).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aab998: Option<String>,
    /// aab004 单位名称 (单位).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aab004: Option<String>,
}

impl Applicant {
    /// Whether the applicant is a person (bae101 = 1).
    pub fn is_person(&self) -> bool {
        self.bae101 == 1
    }

    /// The ID number or credit code.
    pub fn id(&self) -> &str {
        self.aac002
            .as_deref()
            .or(self.aab998.as_deref())
            .unwrap_or_default()
    }

    /// The name.
    pub fn name(&self) -> &str {
        self.aac003
            .as_deref()
            .or(self.aab004.as_deref())
            .unwrap_or_default()
    }
}

/// One bdxx entry (表单信息).
#[derive(Debug, Clone, Serialize)]
pub struct FormField {
    /// bae110 字段名.
    pub bae110: String,
    /// bae111 字段值.
    pub bae111: String,
}

/// One fjxx entry (附件); the content is checked and measured, not kept.
#[derive(Debug, Clone, Serialize)]
pub struct Attachment {
    /// bae010 材料编码.
    pub bae010: String,
    /// bae120 文件名.
    pub bae120: String,
    /// bae121 文件类型.
    pub bae121: String,
    /// Decoded size in bytes.
    pub size: usize,
}

/// Which path a case takes, chosen by the form field `模拟结果`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Outcome {
    /// 20 → 40 → 60.
    #[serde(rename = "通过")]
    Approve,
    /// 20 → 50 → 60.
    #[serde(rename = "不予办理")]
    Deny,
    /// 20 → 30 → 20 → 40 → 60.
    #[serde(rename = "补正")]
    Supplement,
}

impl Outcome {
    /// Reads `模拟结果`; `None` for values the mock does not know.
    pub fn from_form(value: Option<&str>) -> Option<Self> {
        match value.map(str::trim) {
            None | Some("" | "通过" | "正常" | "准予许可") => Some(Self::Approve),
            Some("不予办理" | "不予许可" | "不予受理") => Some(Self::Deny),
            Some("补正") => Some(Self::Supplement),
            Some(_) => None,
        }
    }

    fn steps(self) -> &'static [u16] {
        match self {
            Self::Approve => &[20, 40, 60],
            Self::Deny => &[20, 50, 60],
            Self::Supplement => &[20, 30, 20, 40, 60],
        }
    }
}

/// The Chinese name of a bae201 办件状态.
pub fn status_name(code: u16) -> &'static str {
    match code {
        10 => "已受理",
        20 => "审核中",
        30 => "需补正",
        40 => "审核通过",
        50 => "不予办理",
        60 => "办结",
        70 => "已撤回",
        _ => "未知",
    }
}

/// The bae201 `/_mock/cases` shows for a withdrawn case; 办件状态变化查询 never reports it.
pub const WITHDRAWN: u16 = 70;

/// One fjxx file of a 业务补正, measured and fingerprinted (the content is not kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuppliedFile {
    /// bae010 材料编码.
    pub bae010: String,
    /// bae120 文件名.
    pub bae120: String,
    /// bae121 文件类型.
    pub bae121: String,
    /// Decoded size in bytes.
    pub size: usize,
    /// SHA-256 of the content, hex: how a repeated 补正 is recognised.
    pub sha256: String,
}

/// The case a 业务补正 or 业务撤回 names: by bae100, by aaz002, or by both.
#[derive(Debug, Clone)]
pub struct CaseKey {
    /// bae100 平台办件编号, if given.
    pub bae100: Option<String>,
    /// aaz002 业务流水号, if given.
    pub aaz002: Option<String>,
}

/// A parsed 业务补正.
#[derive(Debug, Clone)]
pub struct SupplementRequest {
    /// The case.
    pub key: CaseKey,
    /// aae013 补正说明.
    pub aae013: String,
    /// fjxx 补正材料.
    pub fjxx: Vec<SuppliedFile>,
}

/// A 补正 the department received.
#[derive(Debug, Clone, Serialize)]
pub struct Supplement {
    /// aae036 接收时间.
    pub aae036: String,
    /// aae013 补正说明.
    pub aae013: String,
    /// fjxx 补正材料.
    pub fjxx: Vec<SuppliedFile>,
    /// Times the same files were sent again.
    pub repeats: u64,
}

/// A case's withdrawal (业务撤回).
#[derive(Debug, Clone, Serialize)]
pub struct Withdrawal {
    /// aae036 撤回时间.
    pub aae036: String,
    /// aae013 撤回原因.
    pub aae013: String,
    /// Times the withdrawal was asked again.
    pub repeats: u64,
}

/// What a 业务补正 or 业务撤回 did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handled {
    /// bae100.
    pub bae100: String,
    /// aaz002.
    pub aaz002: String,
    /// aae036: when it was done (the first time, for a repeat).
    pub aae036: String,
    /// Whether it repeated one already handled, changing nothing.
    pub repeat: bool,
}

/// A parsed, validated 业务申请.
#[derive(Debug, Clone)]
pub struct Submission {
    /// bae100 平台办件编号.
    pub bae100: String,
    /// aaa121, the matter applied for.
    pub matter: &'static Matter,
    /// 申请人.
    pub applicant: Applicant,
    /// aae036 受理时间 as sent (`20261127093000`).
    pub aae036: String,
    /// bdxx 表单信息.
    pub bdxx: Vec<FormField>,
    /// fjxx 附件信息.
    pub fjxx: Vec<Attachment>,
    /// zzxx 证照信息: the reused licenses exactly as received.
    pub zzxx: Vec<Value>,
    /// Path through the lifecycle.
    pub outcome: Outcome,
}

/// One entry of a case's history.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    /// bae200 序号 of the change in 办件状态变化查询; none for what it does not
    /// report (a withdrawal, which the platform asked for itself).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bae200: Option<u64>,
    /// bae201 办件状态.
    pub bae201: u16,
    /// aae036 经办时间.
    pub aae036: String,
    /// aae013 办理意见.
    pub aae013: String,
}

/// A stored case, as `GET /_mock/cases/{bae100}` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    /// 平台办件编号.
    pub bae100: String,
    /// 业务流水号.
    pub aaz002: String,
    /// 事项编码.
    pub aaa121: String,
    /// 事项名称.
    pub aaa122: String,
    /// 申请人.
    pub applicant: Applicant,
    /// 受理时间 as sent.
    pub aae036: String,
    /// When the department stored the case (`YYYYMMDDHHMMSS`).
    pub received_at: String,
    /// 表单信息.
    pub bdxx: Vec<FormField>,
    /// 附件信息.
    pub fjxx: Vec<Attachment>,
    /// 证照信息, as received.
    pub zzxx: Vec<Value>,
    /// The simulated path (模拟结果).
    pub outcome: Outcome,
    /// Current bae201: 10 已受理 until the first stage has passed.
    pub status: u16,
    /// Chinese name of the current status.
    pub status_name: &'static str,
    /// Whether the case reached 60 办结.
    pub finished: bool,
    /// aaz500 of the card issued on completion.
    pub issued_card: Option<String>,
    /// Times the same bae100 was submitted again.
    pub resubmissions: u64,
    /// Status changes so far, and the withdrawal.
    pub history: Vec<HistoryEntry>,
    /// 业务补正 received, oldest first.
    pub supplements: Vec<Supplement>,
    /// The 业务撤回, once withdrawn.
    pub withdrawal: Option<Withdrawal>,
    #[serde(skip)]
    matter: &'static Matter,
}

impl Case {
    /// The value of a form field by name, when given and not blank.
    pub fn form_value(&self, name: &str) -> Option<&str> {
        self.bdxx
            .iter()
            .find(|f| f.bae110 == name)
            .map(|f| f.bae111.trim())
            .filter(|v| !v.is_empty())
    }
}

/// One entry of the change log read by 办件状态变化查询: a case moved, or a
/// 社会保障卡 changed status.
#[derive(Debug, Clone)]
pub struct StatusChange {
    /// bae200 序号, strictly increasing from 1.
    pub bae200: u64,
    /// aae036 经办时间.
    pub aae036: String,
    /// aae013 办理意见.
    pub aae013: String,
    /// What changed (bae203 变化类型).
    pub subject: Subject,
}

/// bae203 变化类型 of a change and what it concerns.
#[derive(Debug, Clone)]
pub enum Subject {
    /// 1 办件状态.
    Case {
        /// bae100 平台办件编号.
        bae100: String,
        /// aaz002 业务流水号.
        aaz002: String,
        /// aaa121 事项编码.
        aaa121: String,
        /// bae201 办件状态.
        bae201: u16,
        /// The card issued with this change (on 60).
        card: Option<Card>,
    },
    /// 2 社会保障卡状态: the card as it stands after the change.
    Card(Card),
}

impl Numbered for StatusChange {
    fn number(&self) -> u64 {
        self.bae200
    }
}

/// The outcome of a 业务申请 the rules accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// aaz002 业务流水号.
    pub aaz002: String,
    /// Whether the bae100 was already known.
    pub duplicate: bool,
}

/// Everything the department remembers.
#[derive(Debug)]
pub struct State {
    persons: Vec<Person>,
    cards: Vec<Card>,
    cases: CaseStore<Case, u16>,
    log: ChangeLog<StatusChange>,
    aaz002: DailySerial,
}

/// `YYYYMMDDHHMMSS`, Beijing time.
fn now_compact() -> String {
    china_now().format("%Y%m%d%H%M%S").to_string()
}

impl State {
    /// A fresh department with the seeded persons and cards; each case step takes `stage`.
    pub fn new(stage: Duration) -> Self {
        let (persons, cards) = register::seed();
        Self {
            persons,
            cards,
            cases: CaseStore::new(stage),
            log: ChangeLog::default(),
            aaz002: DailySerial::default(),
        }
    }

    /// The insured person with this ID number.
    pub fn person(&self, aac002: &str) -> Option<&Person> {
        self.persons.iter().find(|p| p.aac002 == aac002)
    }

    /// Every card of the holder with this ID number, oldest first.
    pub fn cards_of(&self, aac002: &str) -> Vec<&Card> {
        self.cards
            .iter()
            .filter(|c| c.id_number == aac002)
            .collect()
    }

    /// The card with this number.
    pub fn card(&self, aaz500: &str) -> Option<&Card> {
        self.cards.iter().find(|c| c.number == aaz500)
    }

    /// A stored case by bae100.
    pub fn case(&self, bae100: &str) -> Option<&Case> {
        self.cases.get(bae100)
    }

    /// Stored cases and repeated submissions.
    pub fn counts(&self) -> Counts {
        self.cases.counts()
    }

    /// Stores a case, or recognises a resubmission; `Err` is a business-rule refusal (3001).
    pub fn submit(&mut self, submission: Submission, now: Instant) -> Result<Accepted, String> {
        // Idempotency comes before the rules: a retry must not be refused because
        // its first submission has meanwhile changed the register.
        if let Some(case) = self.cases.repeat(&submission.bae100) {
            case.resubmissions += 1;
            return Ok(Accepted {
                aaz002: case.aaz002.clone(),
                duplicate: true,
            });
        }
        self.check_rules(&submission)?;
        let aaz002 = self.next_aaz002();
        let case = Case {
            bae100: submission.bae100.clone(),
            aaz002: aaz002.clone(),
            aaa121: submission.matter.code.to_owned(),
            aaa122: submission.matter.name.to_owned(),
            applicant: submission.applicant,
            aae036: submission.aae036,
            received_at: now_compact(),
            bdxx: submission.bdxx,
            fjxx: submission.fjxx,
            zzxx: submission.zzxx,
            outcome: submission.outcome,
            status: 10,
            status_name: status_name(10),
            finished: false,
            issued_card: None,
            resubmissions: 0,
            history: Vec::new(),
            supplements: Vec::new(),
            withdrawal: None,
            matter: submission.matter,
        };
        let steps = submission.outcome.steps();
        self.cases.insert(submission.bae100, case, steps, now);
        Ok(Accepted {
            aaz002,
            duplicate: false,
        })
    }

    fn check_rules(&self, submission: &Submission) -> Result<(), String> {
        let matter = submission.matter;
        let applicant = &submission.applicant;
        match (matter.applicants, applicant.is_person()) {
            (Applicants::Person, false) => {
                return Err(format!(
                    "事项“{}”的申请人须为个人，单位“{}”不能申请",
                    matter.name,
                    applicant.name()
                ));
            }
            (Applicants::Organization, true) => {
                return Err(format!(
                    "事项“{}”须由用人单位申请，个人不能申请",
                    matter.name
                ));
            }
            _ => {}
        }
        self.check_applicant(submission)?;
        check_form(submission)
    }

    fn check_applicant(&self, submission: &Submission) -> Result<(), String> {
        let matter = submission.matter;
        let id = submission.applicant.id();
        let cards = self.cards_of(id);
        let usable = cards.iter().find(|c| c.status.usable());
        let person = self.person(id);
        let insured = |kind| person.is_some_and(|p| p.insured_in(kind));
        match matter.rule {
            Rule::None => Ok(()),
            Rule::NoUsableCard => match usable {
                Some(card) => Err(format!(
                    "公民身份号码{id}已持有社会保障卡（卡号{}，状态{}），不能重复申领；卡片遗失请办理挂失和补领",
                    card.number,
                    card.status.name()
                )),
                None => Ok(()),
            },
            Rule::HasUsableCard => match usable {
                Some(_) => Ok(()),
                None => Err(format!("公民身份号码{id}名下没有可挂失的社会保障卡")),
            },
            Rule::HasCard if cards.is_empty() => Err(format!(
                "公民身份号码{id}名下没有社会保障卡，请办理社会保障卡申领"
            )),
            Rule::HasCard => Ok(()),
            Rule::NoPension => {
                let already = [
                    (insurance::EMPLOYEE_PENSION, "企业职工基本养老保险"),
                    (insurance::PUBLIC_PENSION, "机关事业单位养老保险"),
                    (insurance::RESIDENT_PENSION, "城乡居民基本养老保险"),
                ]
                .into_iter()
                .find(|&(kind, _)| insured(kind));
                match already {
                    Some((_, name)) => Err(format!("公民身份号码{id}已参加{name}，不能重复参保")),
                    None => Ok(()),
                }
            }
            Rule::ResidentPension if insured(insurance::RESIDENT_PENSION) => Ok(()),
            Rule::ResidentPension => Err(format!(
                "公民身份号码{id}未参加本县城乡居民基本养老保险，不能申领待遇"
            )),
            Rule::Unemployment if insured(insurance::UNEMPLOYMENT) => Ok(()),
            Rule::Unemployment => Err(format!(
                "公民身份号码{id}未参加失业保险或缴费不满一年，不能申领失业保险金"
            )),
        }
    }

    /// `330122` + date + a five-digit serial of the day.
    fn next_aaz002(&mut self) -> String {
        let today = china_today();
        let serial = self.aaz002.next(today);
        format!("330122{}{serial:05}", today.format("%Y%m%d"))
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
        let (card, changed) = if code == 60 && self.cases[i].outcome != Outcome::Deny {
            self.take_effect(i)
        } else {
            (None, Vec::new())
        };
        let aae013 = self.opinion(i, code, card.as_ref());
        let bae200 = self.log.next_number();
        let aae036 = now_compact();
        let finished = self.cases.stepped(i, now);
        let case = &mut self.cases[i];
        case.status = code;
        case.status_name = status_name(code);
        case.history.push(HistoryEntry {
            bae200: Some(bae200),
            bae201: code,
            aae036: aae036.clone(),
            aae013: aae013.clone(),
        });
        if let Some(card) = &card {
            case.issued_card = Some(card.number.clone());
        }
        case.finished = finished;
        tracing::info!(bae100 = %case.bae100, aaz002 = %case.aaz002, bae201 = code, bae200, "case status changed");
        let (bae100, matter) = (case.bae100.clone(), case.aaa122.clone());
        self.log.push(StatusChange {
            bae200,
            aae036: aae036.clone(),
            aae013,
            subject: Subject::Case {
                bae100: case.bae100.clone(),
                aaz002: case.aaz002.clone(),
                aaa121: case.aaa121.clone(),
                bae201: code,
                card,
            },
        });
        if code == 30 {
            // 需补正: the case waits for its 业务补正 before it goes on.
            self.cases.hold(i);
        }
        // The cards the case's effect changed, each a change of its own.
        for card in changed {
            let aae013 = format!(
                "社会保障卡{}（{matter}，平台办件编号{bae100}）",
                card.status.name()
            );
            self.log_card(card, aae036.clone(), aae013);
        }
    }

    /// Records a card's new status in the change log.
    fn log_card(&mut self, card: Card, aae036: String, aae013: String) -> u64 {
        let bae200 = self.log.next_number();
        tracing::info!(aaz500 = %card.number, aaz502 = card.status.code(), bae200, "card status changed");
        self.log.push(StatusChange {
            bae200,
            aae036,
            aae013,
            subject: Subject::Card(card),
        });
        bae200
    }

    fn opinion(&self, i: usize, code: u16, card: Option<&Card>) -> String {
        let case = &self.cases[i];
        match code {
            20 if case.history.iter().any(|h| h.bae201 == 30) => match case.supplements.last() {
                Some(s) => format!("补正材料已收到（共{}份），继续审核", s.fjxx.len()),
                None => "补正材料已收到，继续审核".to_owned(),
            },
            20 => "材料齐全，已受理，进入审核".to_owned(),
            30 => {
                let missing = case
                    .matter
                    .materials
                    .iter()
                    .find(|m| m.required)
                    .map_or("相关材料", |m| m.name);
                format!("申请材料不齐全，请补正：{missing}")
            }
            40 => "经审核，符合条件，审核通过".to_owned(),
            50 => format!(
                "经审核，不予办理：{}",
                case.form_value("不予办理原因")
                    .unwrap_or("申请人不符合受理条件")
            ),
            60 => match (card, case.outcome, case.matter.effect) {
                (Some(card), _, _) => format!(
                    "已办结，社会保障卡已制发（卡号{}，开户银行{}）",
                    card.number, card.bank
                ),
                (None, Outcome::Deny, _) => "已办结（不予办理），申请材料已退回".to_owned(),
                (None, _, Effect::ReportLoss) => "已办结，社会保障卡已正式挂失".to_owned(),
                (None, _, _) => "已办结".to_owned(),
            },
            _ => String::new(),
        }
    }

    /// What finishing the case does to the register: the card it issues, if any,
    /// and the cards whose status it changed (as they are now).
    fn take_effect(&mut self, i: usize) -> (Option<Card>, Vec<Card>) {
        let case = &self.cases[i];
        let effect = case.matter.effect;
        if effect == Effect::None || !case.applicant.is_person() {
            return (None, Vec::new());
        }
        let id = case.applicant.id().to_owned();
        let name = case.applicant.name().to_owned();
        let bank = case
            .form_value("开户银行")
            .or_else(|| case.form_value("银行"))
            .map(str::to_owned);
        let mut changed = Vec::new();
        match effect {
            Effect::None => (None, changed),
            Effect::ReportLoss => {
                for card in self.cards.iter_mut().filter(|c| c.id_number == id) {
                    if card.status.usable() {
                        card.status = CardStatus::Lost;
                        changed.push(card.clone());
                    }
                }
                (None, changed)
            }
            Effect::IssueCard | Effect::ReplaceCard => {
                if effect == Effect::ReplaceCard {
                    for card in self.cards.iter_mut().filter(|c| c.id_number == id) {
                        if card.status != CardStatus::Cancelled {
                            card.status = CardStatus::Cancelled;
                            changed.push(card.clone());
                        }
                    }
                }
                let number =
                    register::fresh_card_number(|n| self.cards.iter().any(|c| c.number == n));
                let issued = china_today();
                let card = Card {
                    number,
                    id_number: id,
                    name,
                    bank: bank.unwrap_or_else(|| BANKS[self.cards.len() % BANKS.len()].to_owned()),
                    issued,
                    valid_until: register::ten_years_after(issued),
                    status: CardStatus::Normal,
                };
                self.cards.push(card.clone());
                (Some(card), changed)
            }
        }
    }

    /// 社会保障卡状态变更 at the department's counter: 挂失 (2 临时, 3 正式), 解除临时挂失
    /// (back to 1) or 注销 (4). The new status goes into the change log; the same
    /// status again changes nothing (`Ok` with `false`).
    pub fn change_card(
        &mut self,
        aaz500: &str,
        to: CardStatus,
        aae013: &str,
    ) -> Result<(Card, bool), Failure> {
        let card = self
            .cards
            .iter_mut()
            .find(|c| c.number == aaz500)
            .ok_or_else(|| Failure::not_found(format!("社会保障卡卡号{aaz500}不存在")))?;
        let from = card.status;
        if from == to {
            return Ok((card.clone(), false));
        }
        use CardStatus::{Cancelled, Expired, Lost, Normal, TemporaryLoss};
        let allowed = match from {
            Normal => matches!(to, TemporaryLoss | Lost | Cancelled),
            TemporaryLoss => matches!(to, Normal | Lost | Cancelled),
            Lost | Expired => to == Cancelled,
            Cancelled => false,
        };
        if !allowed {
            let hint = match from {
                Cancelled => "已注销的卡不能再变更状态".to_owned(),
                Lost => "正式挂失的卡只能注销，请办理补领".to_owned(),
                Expired => "有效期满的卡只能注销，请办理换领".to_owned(),
                _ => format!("不能变更为{}", to.name()),
            };
            return Err(Failure::refused(format!(
                "社会保障卡{aaz500}当前状态为{}，{hint}",
                from.name()
            )));
        }
        card.status = to;
        let card = card.clone();
        let action = match (from, to) {
            (TemporaryLoss, Normal) => "解除临时挂失",
            (_, TemporaryLoss) => "临时挂失",
            (_, Lost) => "正式挂失",
            _ => "注销",
        };
        let reason = aae013.trim();
        let note = if reason.is_empty() {
            format!("社会保障卡{action}")
        } else {
            format!("社会保障卡{action}：{reason}")
        };
        self.log_card(card.clone(), now_compact(), note);
        Ok((card, true))
    }

    /// The position of the case `key` names (both keys, when given, must name the same case).
    fn position(&self, key: &CaseKey) -> Result<usize, Failure> {
        let by_aaz002 = |aaz002: &str| {
            (0..self.cases.counts().cases as usize).find(|&i| self.cases[i].aaz002 == aaz002)
        };
        let found = match (&key.bae100, &key.aaz002) {
            (Some(bae100), None) => self.cases.position(bae100),
            (None, Some(aaz002)) => by_aaz002(aaz002),
            (Some(bae100), Some(aaz002)) => self
                .cases
                .position(bae100)
                .filter(|&i| self.cases[i].aaz002 == *aaz002),
            (None, None) => None,
        };
        found.ok_or_else(|| {
            let named: Vec<String> = [("bae100", &key.bae100), ("aaz002", &key.aaz002)]
                .into_iter()
                .filter_map(|(code, v)| v.as_ref().map(|v| format!("{code}={v}")))
                .collect();
            Failure::not_found(format!("办件不存在（{}）", named.join("，")))
        })
    }

    /// 业务补正: takes the files of a case waiting at 30 需补正 and lets it go on;
    /// the same files again change nothing.
    pub fn supplement(
        &mut self,
        request: SupplementRequest,
        now: Instant,
    ) -> Result<Handled, Failure> {
        let i = self.position(&request.key)?;
        let held = self.cases.is_held(i);
        let case = &mut self.cases[i];
        if !held
            && let Some(last) = case.supplements.last_mut()
            && last.fjxx == request.fjxx
        {
            last.repeats += 1;
            let aae036 = last.aae036.clone();
            return Ok(Handled {
                bae100: case.bae100.clone(),
                aaz002: case.aaz002.clone(),
                aae036,
                repeat: true,
            });
        }
        if let Some(withdrawal) = &case.withdrawal {
            return Err(Failure::refused(format!(
                "办件已于{}撤回，不能补正",
                display_time(&withdrawal.aae036)
            )));
        }
        if !held {
            return Err(Failure::refused(format!(
                "办件当前状态为{}（{}），不在需补正状态，无需补正",
                case.status_name, case.status
            )));
        }
        let aae036 = now_compact();
        tracing::info!(bae100 = %case.bae100, aaz002 = %case.aaz002, files = request.fjxx.len(), "supplement received");
        case.supplements.push(Supplement {
            aae036: aae036.clone(),
            aae013: request.aae013,
            fjxx: request.fjxx,
            repeats: 0,
        });
        let handled = Handled {
            bae100: case.bae100.clone(),
            aaz002: case.aaz002.clone(),
            aae036,
            repeat: false,
        };
        self.cases.resume(i, now);
        Ok(handled)
    }

    /// 业务撤回: stops a case the department has not decided; withdrawing it again
    /// changes nothing.
    pub fn withdraw(&mut self, key: &CaseKey, aae013: &str) -> Result<Handled, Failure> {
        let i = self.position(key)?;
        let case = &mut self.cases[i];
        if let Some(withdrawal) = &mut case.withdrawal {
            withdrawal.repeats += 1;
            let aae036 = withdrawal.aae036.clone();
            return Ok(Handled {
                bae100: case.bae100.clone(),
                aaz002: case.aaz002.clone(),
                aae036,
                repeat: true,
            });
        }
        let decided = match case.status {
            40 => Some("办件已审核通过，不能撤回"),
            50 => Some("办件已作出不予办理决定，不能撤回"),
            60 => Some("办件已办结，不能撤回"),
            _ => None,
        };
        if let Some(reason) = decided {
            return Err(Failure::refused(reason));
        }
        let aae036 = now_compact();
        let reason = aae013.trim().to_owned();
        case.history.push(HistoryEntry {
            bae200: None,
            bae201: WITHDRAWN,
            aae036: aae036.clone(),
            aae013: if reason.is_empty() {
                "申请人撤回申请".to_owned()
            } else {
                format!("申请人撤回申请：{reason}")
            },
        });
        case.status = WITHDRAWN;
        case.status_name = status_name(WITHDRAWN);
        case.withdrawal = Some(Withdrawal {
            aae036: aae036.clone(),
            aae013: reason,
            repeats: 0,
        });
        tracing::info!(bae100 = %case.bae100, aaz002 = %case.aaz002, "case withdrawn");
        let handled = Handled {
            bae100: case.bae100.clone(),
            aaz002: case.aaz002.clone(),
            aae036,
            repeat: false,
        };
        self.cases.stop(i);
        Ok(handled)
    }

    /// Status changes after `after`, at most `limit`, and whether more are ready.
    pub fn changes(&self, after: u64, limit: usize) -> (&[StatusChange], bool) {
        self.log.page(after, limit)
    }
}

/// Checks the form against the matter's declared fields: every required field
/// given, every choice one of its values.
fn check_form(submission: &Submission) -> Result<(), String> {
    let value = |name: &str| {
        submission
            .bdxx
            .iter()
            .find(|f| f.bae110 == name)
            .map(|f| f.bae111.trim())
            .filter(|v| !v.is_empty())
    };
    let form = submission.matter.form;
    let missing: Vec<&str> = form
        .iter()
        .filter(|f| f.required && value(f.bae110).is_none())
        .map(|f| f.bae110)
        .collect();
    if !missing.is_empty() {
        return Err(format!("表单信息缺少必填项：{}", missing.join("、")));
    }
    for field in form {
        if let (FieldType::Choice(options), Some(given)) = (field.kind, value(field.bae110))
            && !options.contains(&given)
        {
            return Err(format!(
                "表单项“{}”的值“{given}”不在可选值（{}）之内",
                field.bae110,
                options.join("、")
            ));
        }
    }
    Ok(())
}

/// `YYYYMMDDHHMMSS` as `yyyy年M月d日H时m分`, for messages.
fn display_time(compact: &str) -> String {
    onewindow_codes::date::parse_datetime(compact)
        .map(|t| t.format("%Y年%-m月%-d日%H时%M分").to_string())
        .unwrap_or_else(|_| compact.to_owned())
}
