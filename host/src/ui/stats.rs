//! The supervisor's statistics page (`/stats`): the reform's measures for a
//! period, department, matter or window, with charts drawn on the server and
//! every table as CSV (`/stats/csv/{table}`).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Datelike, Duration};

use super::charts::{self, AMBER, BLUE, GREEN, Series};
use super::session::Supervisor;
use super::{Page, error_page, failed, page};
use crate::config::Role;
use crate::platform::stats::{Figures, Stats, StatsQuery};
use crate::platform::{Platform, PlatformError};

/// How many weeks the page shows when no period is asked for.
const DEFAULT_WEEKS: i64 = 12;

/// The query as the form sends it, with the default period when none is asked
/// for (a `from` left empty asks for all time).
fn with_default_period(platform: &Platform, mut query: StatsQuery) -> StatsQuery {
    if query.from.is_none() && query.to.is_none() {
        let today = platform.today();
        let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
        query.from = Some((monday - Duration::weeks(DEFAULT_WEEKS - 1)).to_string());
    }
    query
}

/// `GET /stats`.
pub async fn page_of(
    Supervisor(user): Supervisor,
    State(platform): State<Platform>,
    Query(query): Query<StatsQuery>,
) -> Response {
    let query = with_default_period(&platform, query);
    let stats = match platform.stats(&query).await {
        Ok(stats) => stats,
        Err(e @ PlatformError::Invalid { .. }) => {
            return error_page(StatusCode::UNPROCESSABLE_ENTITY, &user, &e.for_reader());
        }
        Err(e) => return failed(&user, e),
    };
    let departments = match platform.departments().await {
        Ok(d) => d,
        Err(e) => return failed(&user, e),
    };
    let windows: Vec<&str> = platform
        .config
        .tokens
        .iter()
        .filter(|t| t.role == Role::Clerk)
        .map(|t| t.name.as_str())
        .collect();
    let csv_query = serde_urlencoded::to_string(&query).unwrap_or_default();
    page(
        Page::new("stats.html", Some(&user))
            .with("nav", "stats")
            .with("filters", &query)
            .with("departments", departments)
            .with("windows", windows)
            .with("csv_query", csv_query)
            .with("charts", chart_svgs(&stats))
            .with("summary", summary_rows(&stats.summary))
            .with("stats", &stats),
    )
}

/// `GET /stats/csv/{table}`: a table of the page, as CSV.
pub async fn csv(
    Supervisor(user): Supervisor,
    State(platform): State<Platform>,
    Path(table): Path<String>,
    Query(query): Query<StatsQuery>,
) -> Response {
    match platform.stats(&query).await {
        Ok(stats) => crate::http::csv_answer(&stats, &table)
            .unwrap_or_else(|| error_page(StatusCode::NOT_FOUND, &user, "没有这张统计表。")),
        Err(e) => failed(&user, e),
    }
}

/// The summary as rows of (measure, value) for the page's first table.
fn summary_rows(f: &Figures) -> Vec<(&'static str, String)> {
    let share = |r: &crate::platform::stats::Rate| match r.share {
        Some(s) => format!("{:.1}%（{}/{}）", s * 100.0, r.count, r.of),
        None => "—".to_owned(),
    };
    let days = |v: Option<f64>| v.map_or("—".to_owned(), |v| format!("{v:.1}"));
    let w = &f.working_days;
    vec![
        ("受理", f.accepted.to_string()),
        ("办结（准予）", f.completed.to_string()),
        ("不予", f.denied.to_string()),
        ("撤回", f.withdrawn.to_string()),
        ("办理中", f.in_progress.to_string()),
        ("承诺时限内办结率", share(&f.on_time_promised)),
        ("法定时限内办结率", share(&f.on_time_legal)),
        (
            "平均办理工作日（承诺 / 法定）",
            format!(
                "{}（{} / {}）",
                days(w.average),
                days(w.promised_average),
                days(w.legal_average)
            ),
        ),
        (
            "90% 办件在此工作日内办结",
            w.p90.map_or("—".to_owned(), |d| d.to_string()),
        ),
        ("全程网办", share(&f.full_online)),
        ("零跑动", share(&f.zero_trips)),
        ("最多跑一次", share(&f.at_most_one_trip)),
        ("减材料（电子证照免提交）", share(&f.materials_covered)),
        (
            "好差评（非常满意 … 非常不满意）",
            f.ratings
                .iter()
                .rev()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(" / "),
        ),
        ("差评 15 个工作日内整改率", share(&f.bad_rectified_in_time)),
        ("差评整改逾期", f.follow_ups_overdue.to_string()),
        ("投诉咨询", f.complaints.to_string()),
        ("投诉咨询按期答复率", share(&f.complaints_replied_in_time)),
        ("投诉咨询逾期未答复", f.complaints_overdue.to_string()),
    ]
}

/// The page's charts: weekly acceptance and decisions, the weekly on-time
/// rates, and the departments side by side.
fn chart_svgs(stats: &Stats) -> Vec<String> {
    let weeks: Vec<String> = stats
        .weeks
        .iter()
        .map(|w| w.week.split('-').nth(1).unwrap_or(&w.week).to_owned())
        .collect();
    let of_weeks = |f: fn(&Figures) -> Option<f64>| -> Vec<Option<f64>> {
        stats.weeks.iter().map(|w| f(&w.figures)).collect()
    };
    let departments: Vec<String> = stats
        .departments
        .iter()
        .map(|d| d.department.clone())
        .collect();
    let of_departments = |f: fn(&Figures) -> Option<f64>| -> Vec<Option<f64>> {
        stats.departments.iter().map(|d| f(&d.figures)).collect()
    };
    vec![
        charts::bars(
            "每周受理与办结（件）",
            &weeks,
            &[
                Series {
                    name: "受理",
                    values: of_weeks(|f| Some(f.accepted as f64)),
                    color: BLUE,
                },
                Series {
                    name: "办结（含不予）",
                    values: of_weeks(|f| Some((f.completed + f.denied) as f64)),
                    color: GREEN,
                },
            ],
            false,
        ),
        charts::lines(
            "每周按期办结率",
            &weeks,
            &[
                Series {
                    name: "承诺时限内",
                    values: of_weeks(|f| f.on_time_promised.share),
                    color: BLUE,
                },
                Series {
                    name: "法定时限内",
                    values: of_weeks(|f| f.on_time_legal.share),
                    color: AMBER,
                },
            ],
            true,
        ),
        charts::bars(
            "各部门承诺时限内办结率与零跑动占比",
            &departments,
            &[
                Series {
                    name: "承诺时限内办结率",
                    values: of_departments(|f| f.on_time_promised.share),
                    color: BLUE,
                },
                Series {
                    name: "零跑动占比",
                    values: of_departments(|f| f.zero_trips.share),
                    color: GREEN,
                },
                Series {
                    name: "差评按期整改率",
                    values: of_departments(|f| f.bad_rectified_in_time.share),
                    color: AMBER,
                },
            ],
            true,
        ),
    ]
}
