//! The department's memory: insured persons, cards, cases, the status-change log and
//! the case lifecycle.

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use tokio::time::Instant;

use super::catalogue::{Applicants, Effect, Matter, Rule};
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
        _ => "未知",
    }
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
    /// bae200 序号.
    pub bae200: u64,
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
    /// Status changes so far.
    pub history: Vec<HistoryEntry>,
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

/// One entry of the status-change log read by 办件状态变化查询.
#[derive(Debug, Clone)]
pub struct StatusChange {
    /// bae200 序号, strictly increasing from 1.
    pub bae200: u64,
    /// bae100 平台办件编号.
    pub bae100: String,
    /// aaz002 业务流水号.
    pub aaz002: String,
    /// aaa121 事项编码.
    pub aaa121: String,
    /// bae201 办件状态.
    pub bae201: u16,
    /// aae036 经办时间.
    pub aae036: String,
    /// aae013 办理意见.
    pub aae013: String,
    /// The card issued with this change (on 60).
    pub card: Option<Card>,
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
        let id = applicant.id();
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
        let card = if code == 60 && self.cases[i].outcome != Outcome::Deny {
            self.take_effect(i)
        } else {
            None
        };
        let aae013 = self.opinion(i, code, card.as_ref());
        let bae200 = self.log.next_number();
        let aae036 = now_compact();
        let finished = self.cases.stepped(i, now);
        let case = &mut self.cases[i];
        case.status = code;
        case.status_name = status_name(code);
        case.history.push(HistoryEntry {
            bae200,
            bae201: code,
            aae036: aae036.clone(),
            aae013: aae013.clone(),
        });
        if let Some(card) = &card {
            case.issued_card = Some(card.number.clone());
        }
        case.finished = finished;
        tracing::info!(bae100 = %case.bae100, aaz002 = %case.aaz002, bae201 = code, bae200, "case status changed");
        self.log.push(StatusChange {
            bae200,
            bae100: case.bae100.clone(),
            aaz002: case.aaz002.clone(),
            aaa121: case.aaa121.clone(),
            bae201: code,
            aae036,
            aae013,
            card,
        });
    }

    fn opinion(&self, i: usize, code: u16, card: Option<&Card>) -> String {
        let case = &self.cases[i];
        match code {
            20 if case.history.iter().any(|h| h.bae201 == 30) => {
                "补正材料已收到，继续审核".to_owned()
            }
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

    /// What finishing the case does to the register; the card it issues, if any.
    fn take_effect(&mut self, i: usize) -> Option<Card> {
        let case = &self.cases[i];
        let effect = case.matter.effect;
        if effect == Effect::None || !case.applicant.is_person() {
            return None;
        }
        let id = case.applicant.id().to_owned();
        let name = case.applicant.name().to_owned();
        let bank = case
            .form_value("开户银行")
            .or_else(|| case.form_value("银行"))
            .map(str::to_owned);
        match effect {
            Effect::None => None,
            Effect::ReportLoss => {
                for card in self.cards.iter_mut().filter(|c| c.id_number == id) {
                    if card.status.usable() {
                        card.status = CardStatus::Lost;
                    }
                }
                None
            }
            Effect::IssueCard | Effect::ReplaceCard => {
                if effect == Effect::ReplaceCard {
                    for card in self.cards.iter_mut().filter(|c| c.id_number == id) {
                        if card.status != CardStatus::Cancelled {
                            card.status = CardStatus::Cancelled;
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
                Some(card)
            }
        }
    }

    /// Status changes after `after`, at most `limit`, and whether more are ready.
    pub fn changes(&self, after: u64, limit: usize) -> (&[StatusChange], bool) {
        self.log.page(after, limit)
    }
}
