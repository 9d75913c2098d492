//! The reform's own measures (seed items 4, 24, 28, 29), computed from the
//! cases, ratings, follow-ups and complaints themselves on every request,
//! never from counters that could drift: acceptance and decisions, time taken
//! in working days against the promised and the legal limits, trips (全程网办,
//! 零跑动, 最多跑一次), materials licenses made unnecessary (减材料), 好差评 and
//! their rectification, complaints and their replies.
//!
//! The definitions, as the README states them:
//! - a case counts in the period of its acceptance day, and in each
//!   department (and matter) it has a part for;
//! - decided (办结) means completed or denied; on time means decided on or
//!   before the promised (or legal) date, which special procedures and 补正
//!   moved; working days taken are counted from acceptance to the decision,
//!   without the days the clock was stopped;
//! - a case's trips are the visits its guide asks for when applied online,
//!   and at least one when applied at a window; 全程网办 is applied online with
//!   no visit, 零跑动 no trip, 最多跑一次 at most one;
//! - 减材料 is the required materials licenses covered, of all required
//!   materials of the cases;
//! - a 差评 (rating 1–2) is rectified in time when its follow-up closed within
//!   15 working days; those still open within their limit are not counted yet.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::{IntoParams, ToSchema};

use super::{Platform, PlatformError};
use crate::store::json_column;

/// Filters of `GET /api/v1/stats`; every one is optional.
#[derive(Debug, Clone, Default, Deserialize, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    /// The first acceptance day counted, `YYYY-MM-DD`.
    pub from: Option<String>,
    /// The last acceptance day counted, `YYYY-MM-DD`.
    pub to: Option<String>,
    /// Only this department's (as the catalogue names it, e.g. 县税务局).
    pub department: Option<String>,
    /// Only this matter's (its code).
    pub matter: Option<String>,
    /// Only what this window took: a clerk's name, or `online` for the
    /// applicant channel.
    pub window: Option<String>,
}

/// `count` of `of`, and their quotient (none when `of` is 0).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct Rate {
    pub count: i64,
    pub of: i64,
    pub share: Option<f64>,
}

impl Rate {
    fn new(count: i64, of: i64) -> Rate {
        Rate {
            count,
            of,
            share: (of > 0).then(|| count as f64 / of as f64),
        }
    }
}

/// Working days from acceptance to decision, of the decided cases.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct WorkingDays {
    pub average: Option<f64>,
    /// The 90th percentile (nearest rank).
    pub p90: Option<i64>,
    /// The average promised limit of the same cases.
    pub promised_average: Option<f64>,
    /// The average legal limit of the same cases.
    pub legal_average: Option<f64>,
}

/// The figures of a set of cases (and of the complaints of the same filter).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Figures {
    pub accepted: i64,
    pub completed: i64,
    pub denied: i64,
    pub withdrawn: i64,
    /// Neither decided, withdrawn nor returned yet.
    pub in_progress: i64,
    /// Decided on or before the promised date, of the decided.
    pub on_time_promised: Rate,
    /// Decided on or before the legal date, of the decided.
    pub on_time_legal: Rate,
    pub working_days: WorkingDays,
    /// 全程网办: applied online, with no visit, of all accepted.
    pub full_online: Rate,
    /// 零跑动: no trip, of all accepted.
    pub zero_trips: Rate,
    /// 最多跑一次: at most one trip, of all accepted.
    pub at_most_one_trip: Rate,
    /// 减材料: required materials covered by a license, of all required.
    pub materials_covered: Rate,
    /// 好差评: how many ratings of 1 (非常不满意) to 5 (非常满意), in that order.
    pub ratings: [i64; 5],
    /// 差评 rectified within 15 working days, of those closed or past their limit.
    pub bad_rectified_in_time: Rate,
    /// 差评 follow-ups past their limit and not closed.
    pub follow_ups_overdue: i64,
    pub complaints: i64,
    /// Complaints replied to within their limit, of those replied to or past it.
    pub complaints_replied_in_time: Rate,
    /// Complaints past their limit without a reply.
    pub complaints_overdue: i64,
}

/// One week's figures, by acceptance day.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct WeekFigures {
    /// The ISO week, e.g. `2026-W49`.
    pub week: String,
    /// Its Monday.
    pub starts_on: NaiveDate,
    pub figures: Figures,
}

/// One department's figures.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DepartmentFigures {
    pub department: String,
    pub figures: Figures,
}

/// `GET /api/v1/stats`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Stats {
    /// The day the figures are as of (what is overdue depends on it).
    pub as_of: NaiveDate,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub department: Option<String>,
    pub matter: Option<String>,
    pub window: Option<String>,
    pub summary: Figures,
    /// Every week with an acceptance or a complaint, oldest first.
    pub weeks: Vec<WeekFigures>,
    /// Every department with a case or a complaint, by name.
    pub departments: Vec<DepartmentFigures>,
}

/// What the figures read of one case.
struct CaseRow {
    status: String,
    accepted_on: NaiveDate,
    promised_by: NaiveDate,
    legal_by: NaiveDate,
    promised_days: i64,
    legal_days: i64,
    paused: Vec<(NaiveDate, Option<NaiveDate>)>,
    finished_on: Option<NaiveDate>,
    accepted_by: String,
    visits: i64,
    materials_required: i64,
    materials_covered: i64,
    departments: BTreeSet<String>,
    matters: BTreeSet<String>,
    rating: Option<i64>,
    /// `(due_on, closed_on)` of a 差评's follow-up.
    follow_up: Option<(NaiveDate, Option<NaiveDate>)>,
}

/// What the figures read of one complaint.
struct ComplaintRow {
    opened_on: NaiveDate,
    department: String,
    matter: Option<String>,
    taken_by: String,
    due_on: NaiveDate,
    replied_on: Option<NaiveDate>,
}

/// The tables of the statistics, each as CSV too.
pub const TABLES: [&str; 4] = ["summary", "weeks", "departments", "ratings"];

fn day(text: &str) -> Option<NaiveDate> {
    text.get(..10).and_then(|d| d.parse().ok())
}

fn filter_day(field: &str, text: Option<&str>) -> Result<Option<NaiveDate>, PlatformError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| PlatformError::Invalid {
                field: field.into(),
                message: format!("“{t}”不是日期；请写成 2026-12-01 的样子。"),
            }),
    }
}

fn given(text: &Option<String>) -> Option<String> {
    text.as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// Whether `actor` (who accepted a case or took a complaint) is `window`: a
/// clerk's name, or `online` for the applicant channel.
fn taken_at(actor: &str, window: &str) -> bool {
    if window == "online" {
        actor.starts_with("applicant:")
    } else {
        actor.strip_prefix("clerk:") == Some(window)
    }
}

fn monday(d: NaiveDate) -> NaiveDate {
    d - chrono::Duration::days(i64::from(d.weekday().num_days_from_monday()))
}

impl Platform {
    /// The statistics of the cases accepted (and complaints taken) in the
    /// query's period, for its department, matter and window.
    pub async fn stats(&self, query: &StatsQuery) -> Result<Stats, PlatformError> {
        let from = filter_day("from", query.from.as_deref())?;
        let to = filter_day("to", query.to.as_deref())?;
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(PlatformError::Invalid {
                field: "to".into(),
                message: format!("结束日期 {t} 早于开始日期 {f}。"),
            });
        }
        let (department, matter, window) = (
            given(&query.department),
            given(&query.matter),
            given(&query.window),
        );
        let (lo, hi) = (
            from.map_or("0000-01-01".to_owned(), |d| d.to_string()),
            to.map_or("9999-12-31".to_owned(), |d| d.to_string()),
        );
        let cases = self.stats_cases(&lo, &hi).await?;
        let complaints = self.stats_complaints(&lo, &hi).await?;
        let cases: Vec<CaseRow> = cases
            .into_iter()
            .filter(|c| {
                department
                    .as_ref()
                    .is_none_or(|d| c.departments.contains(d))
                    && matter.as_ref().is_none_or(|m| c.matters.contains(m))
                    && window.as_ref().is_none_or(|w| taken_at(&c.accepted_by, w))
            })
            .collect();
        let complaints: Vec<ComplaintRow> = complaints
            .into_iter()
            .filter(|c| {
                department.as_ref().is_none_or(|d| &c.department == d)
                    && matter.as_ref().is_none_or(|m| c.matter.as_ref() == Some(m))
                    && window.as_ref().is_none_or(|w| taken_at(&c.taken_by, w))
            })
            .collect();
        let today = self.today();
        let all_cases: Vec<&CaseRow> = cases.iter().collect();
        let all_complaints: Vec<&ComplaintRow> = complaints.iter().collect();

        let mut weeks: BTreeMap<NaiveDate, (Vec<&CaseRow>, Vec<&ComplaintRow>)> = BTreeMap::new();
        for c in &cases {
            weeks.entry(monday(c.accepted_on)).or_default().0.push(c);
        }
        for c in &complaints {
            weeks.entry(monday(c.opened_on)).or_default().1.push(c);
        }
        let mut departments: BTreeMap<&str, (Vec<&CaseRow>, Vec<&ComplaintRow>)> = BTreeMap::new();
        for c in &cases {
            for d in &c.departments {
                departments.entry(d.as_str()).or_default().0.push(c);
            }
        }
        for c in &complaints {
            departments
                .entry(c.department.as_str())
                .or_default()
                .1
                .push(c);
        }
        Ok(Stats {
            as_of: today,
            from,
            to,
            summary: self.figures(&all_cases, &all_complaints, today),
            weeks: weeks
                .into_iter()
                .map(|(starts_on, (cases, complaints))| WeekFigures {
                    week: starts_on.format("%G-W%V").to_string(),
                    starts_on,
                    figures: self.figures(&cases, &complaints, today),
                })
                .collect(),
            departments: departments
                .into_iter()
                .filter(|(d, _)| department.as_deref().is_none_or(|only| only == *d))
                .map(|(d, (cases, complaints))| DepartmentFigures {
                    department: d.to_owned(),
                    figures: self.figures(&cases, &complaints, today),
                })
                .collect(),
            department,
            matter,
            window,
        })
    }

    fn figures(
        &self,
        cases: &[&CaseRow],
        complaints: &[&ComplaintRow],
        today: NaiveDate,
    ) -> Figures {
        let count = |f: &dyn Fn(&CaseRow) -> bool| cases.iter().filter(|c| f(c)).count() as i64;
        let decided: Vec<&&CaseRow> = cases
            .iter()
            .filter(|c| matches!(c.status.as_str(), "completed" | "denied"))
            .collect();
        let decided_by = |limit: fn(&CaseRow) -> NaiveDate| {
            decided
                .iter()
                .filter(|c| c.finished_on.is_some_and(|f| f <= limit(c)))
                .count() as i64
        };
        let mut days: Vec<i64> = decided
            .iter()
            .filter_map(|c| {
                let finished = c.finished_on?;
                Some(
                    self.calendar
                        .working_days_taken(c.accepted_on, finished, &c.paused),
                )
            })
            .collect();
        days.sort_unstable();
        let average = |values: &mut dyn Iterator<Item = i64>| {
            let (sum, n) = values.fold((0, 0), |(s, n), v| (s + v, n + 1));
            (n > 0).then(|| sum as f64 / n as f64)
        };
        let trips = |c: &CaseRow| {
            if c.accepted_by.starts_with("applicant:") {
                c.visits
            } else {
                c.visits.max(1)
            }
        };
        let accepted = cases.len() as i64;
        let mut ratings = [0; 5];
        for rating in cases.iter().filter_map(|c| c.rating) {
            if let Some(slot) = usize::try_from(rating - 1)
                .ok()
                .and_then(|i| ratings.get_mut(i))
            {
                *slot += 1;
            }
        }
        let follow_ups: Vec<(NaiveDate, Option<NaiveDate>)> =
            cases.iter().filter_map(|c| c.follow_up).collect();
        let (rectified, rectified_of, follow_ups_overdue) = in_time(&follow_ups, today);
        let replies: Vec<(NaiveDate, Option<NaiveDate>)> = complaints
            .iter()
            .map(|c| (c.due_on, c.replied_on))
            .collect();
        let (replied, replied_of, complaints_overdue) = in_time(&replies, today);
        Figures {
            accepted,
            completed: count(&|c| c.status == "completed"),
            denied: count(&|c| c.status == "denied"),
            withdrawn: count(&|c| c.status == "withdrawn"),
            in_progress: count(&|c| {
                !matches!(
                    c.status.as_str(),
                    "completed" | "denied" | "withdrawn" | "returned"
                )
            }),
            on_time_promised: Rate::new(decided_by(|c| c.promised_by), decided.len() as i64),
            on_time_legal: Rate::new(decided_by(|c| c.legal_by), decided.len() as i64),
            working_days: WorkingDays {
                average: average(&mut days.iter().copied()),
                p90: (!days.is_empty()).then(|| {
                    let rank = (days.len() * 9).div_ceil(10);
                    days[rank.max(1) - 1]
                }),
                promised_average: average(&mut decided.iter().map(|c| c.promised_days)),
                legal_average: average(&mut decided.iter().map(|c| c.legal_days)),
            },
            full_online: Rate::new(
                count(&|c| c.accepted_by.starts_with("applicant:") && c.visits == 0),
                accepted,
            ),
            zero_trips: Rate::new(count(&|c| trips(c) == 0), accepted),
            at_most_one_trip: Rate::new(count(&|c| trips(c) <= 1), accepted),
            materials_covered: Rate::new(
                cases.iter().map(|c| c.materials_covered).sum(),
                cases.iter().map(|c| c.materials_required).sum(),
            ),
            ratings,
            bad_rectified_in_time: Rate::new(rectified, rectified_of),
            follow_ups_overdue,
            complaints: complaints.len() as i64,
            complaints_replied_in_time: Rate::new(replied, replied_of),
            complaints_overdue,
        }
    }

    async fn stats_cases(&self, lo: &str, hi: &str) -> Result<Vec<CaseRow>, PlatformError> {
        let pool = self.store.pool();
        let rows = sqlx::query(
            "SELECT c.case_no, c.status, c.accepted_on, c.promised_by, c.legal_by, \
             c.promised_days, c.legal_days, c.paused, c.finished_on, c.accepted_by, c.visits, \
             c.materials_required, c.covered, e.rating, f.due_on, f.closed_on \
             FROM cases c LEFT JOIN evaluations e ON e.case_no = c.case_no \
             LEFT JOIN follow_ups f ON f.case_no = c.case_no \
             WHERE c.accepted_on >= $1 AND c.accepted_on <= $2 ORDER BY c.case_no",
        )
        .bind(lo)
        .bind(hi)
        .fetch_all(pool)
        .await?;
        let parts = sqlx::query(
            "SELECT p.case_no, p.department, p.matter_code FROM case_parts p \
             JOIN cases c ON c.case_no = p.case_no \
             WHERE c.accepted_on >= $1 AND c.accepted_on <= $2",
        )
        .bind(lo)
        .bind(hi)
        .fetch_all(pool)
        .await?;
        let mut of_case: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
        for p in &parts {
            let entry = of_case.entry(p.try_get("case_no")?).or_default();
            entry.0.insert(p.try_get("department")?);
            entry.1.insert(p.try_get("matter_code")?);
        }
        let corrupt = |what: &str, case_no: &str| {
            crate::store::StoreError::Corrupt(format!("case {case_no} has no valid {what}"))
        };
        rows.iter()
            .map(|r| {
                let case_no: String = r.try_get("case_no")?;
                let date = |column: &str| -> Result<NaiveDate, PlatformError> {
                    let text: String = r.try_get(column)?;
                    Ok(day(&text).ok_or_else(|| corrupt(column, &case_no))?)
                };
                let covered: Vec<serde_json::Value> = json_column(r, "covered")?;
                let due_on: Option<String> = r.try_get("due_on")?;
                let closed_on: Option<String> = r.try_get("closed_on")?;
                let finished_on: Option<String> = r.try_get("finished_on")?;
                let (departments, matters) = of_case.remove(&case_no).unwrap_or_default();
                Ok(CaseRow {
                    status: r.try_get("status")?,
                    accepted_on: date("accepted_on")?,
                    promised_by: date("promised_by")?,
                    legal_by: date("legal_by")?,
                    promised_days: r.try_get("promised_days")?,
                    legal_days: r.try_get("legal_days")?,
                    paused: json_column(r, "paused")?,
                    finished_on: finished_on.as_deref().and_then(day),
                    accepted_by: r.try_get("accepted_by")?,
                    visits: r.try_get("visits")?,
                    materials_required: r.try_get("materials_required")?,
                    materials_covered: covered.len() as i64,
                    departments,
                    matters,
                    rating: r.try_get("rating")?,
                    follow_up: due_on
                        .as_deref()
                        .and_then(day)
                        .map(|due| (due, closed_on.as_deref().and_then(day))),
                })
            })
            .collect()
    }

    async fn stats_complaints(
        &self,
        lo: &str,
        hi: &str,
    ) -> Result<Vec<ComplaintRow>, PlatformError> {
        let rows = sqlx::query(
            "SELECT opened_on, department, matter_code, taken_by, due_on, replied_on \
             FROM complaints WHERE opened_on >= $1 AND opened_on <= $2 ORDER BY id",
        )
        .bind(lo)
        .bind(hi)
        .fetch_all(self.store.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let opened: String = r.try_get("opened_on")?;
                let due: String = r.try_get("due_on")?;
                let replied: Option<String> = r.try_get("replied_on")?;
                let corrupt = || crate::store::StoreError::Corrupt("a complaint's dates".into());
                Ok(ComplaintRow {
                    opened_on: day(&opened).ok_or_else(corrupt)?,
                    department: r.try_get("department")?,
                    matter: r.try_get("matter_code")?,
                    taken_by: r.try_get("taken_by")?,
                    due_on: day(&due).ok_or_else(corrupt)?,
                    replied_on: replied.as_deref().and_then(day),
                })
            })
            .collect()
    }
}

/// Of `(due_on, done_on)` pairs: how many were done in time, of those done or
/// past due, and how many are past due and not done.
fn in_time(items: &[(NaiveDate, Option<NaiveDate>)], today: NaiveDate) -> (i64, i64, i64) {
    let mut done_in_time = 0;
    let mut counted = 0;
    let mut overdue = 0;
    for &(due, done) in items {
        match done {
            Some(d) => {
                counted += 1;
                if d <= due {
                    done_in_time += 1;
                }
            }
            None if today > due => {
                counted += 1;
                overdue += 1;
            }
            None => {}
        }
    }
    (done_in_time, counted, overdue)
}

impl Stats {
    /// Table `name` (one of [`TABLES`]) as CSV with a header row, or none for
    /// an unknown name.
    pub fn csv(&self, name: &str) -> Option<String> {
        let mut out = csv::Writer::from_writer(Vec::new());
        let share = |r: &Rate| r.share.map_or(String::new(), |s| format!("{s:.4}"));
        let decimal = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.2}"));
        let row = |figures: &Figures| -> Vec<String> {
            let f = figures;
            vec![
                f.accepted.to_string(),
                f.completed.to_string(),
                f.denied.to_string(),
                f.withdrawn.to_string(),
                f.in_progress.to_string(),
                share(&f.on_time_promised),
                share(&f.on_time_legal),
                decimal(f.working_days.average),
                f.working_days.p90.map_or(String::new(), |d| d.to_string()),
                decimal(f.working_days.promised_average),
                decimal(f.working_days.legal_average),
                share(&f.full_online),
                share(&f.zero_trips),
                share(&f.at_most_one_trip),
                share(&f.materials_covered),
                f.ratings.iter().sum::<i64>().to_string(),
                (f.ratings[0] + f.ratings[1]).to_string(),
                share(&f.bad_rectified_in_time),
                f.follow_ups_overdue.to_string(),
                f.complaints.to_string(),
                share(&f.complaints_replied_in_time),
                f.complaints_overdue.to_string(),
            ]
        };
        const FIGURES: [&str; 22] = [
            "受理",
            "办结",
            "不予",
            "撤回",
            "办理中",
            "承诺时限内办结率",
            "法定时限内办结率",
            "平均办理工作日",
            "90%办件在此工作日内",
            "平均承诺工作日",
            "平均法定工作日",
            "全程网办占比",
            "零跑动占比",
            "最多跑一次占比",
            "减材料占比",
            "评价数",
            "差评数",
            "差评按期整改率",
            "差评整改逾期",
            "投诉咨询",
            "投诉咨询按期答复率",
            "投诉咨询逾期",
        ];
        let written = match name {
            "summary" => {
                let values = row(&self.summary);
                out.write_record(["指标", "值"]).ok();
                FIGURES
                    .iter()
                    .zip(values)
                    .try_for_each(|(k, v)| out.write_record([*k, v.as_str()]))
            }
            "weeks" => {
                let header = ["周", "起始日"].into_iter().chain(FIGURES);
                out.write_record(header).ok();
                self.weeks.iter().try_for_each(|w| {
                    out.write_record(
                        [w.week.clone(), w.starts_on.to_string()]
                            .into_iter()
                            .chain(row(&w.figures)),
                    )
                })
            }
            "departments" => {
                out.write_record(["部门"].into_iter().chain(FIGURES)).ok();
                self.departments.iter().try_for_each(|d| {
                    out.write_record(std::iter::once(d.department.clone()).chain(row(&d.figures)))
                })
            }
            "ratings" => {
                out.write_record(["等级", "评价", "数量"]).ok();
                super::cases::RATING_NAMES
                    .iter()
                    .zip(self.summary.ratings)
                    .zip(1..)
                    .try_for_each(|((name, n), level): ((&&str, i64), i64)| {
                        out.write_record([level.to_string(), name.to_string(), n.to_string()])
                    })
            }
            _ => return None,
        };
        written.ok()?;
        String::from_utf8(out.into_inner().ok()?).ok()
    }
}
