//! Working days on the official holiday calendar.
//!
//! Deadlines count working days (行政许可法 art. 82): Monday–Friday, minus public
//! holidays, plus make-up working days (调休). The calendar is data (holiday-cn
//! JSON files, one per year) so that an operator can add a year without a new
//! build. A year without its file is never guessed silently: the strict queries
//! answer [`CalendarError::NoData`], and case deadlines fall back to counting
//! weekends only and say so with `provisional` (DESIGN.md, "Working days").

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound::{Excluded, Included, Unbounded};
use std::path::{Path, PathBuf};

use chrono::{Datelike, Days, NaiveDate};
use serde::{Deserialize, Serialize};

/// The official working-day calendar for the years whose files were loaded.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    /// Years that have their own file; only these count as covered.
    years: BTreeSet<i32>,
    /// Every date a file lists, mapped to "is a working day". Dates of a
    /// neighbouring, uncovered year are kept too: the notice that lists them is
    /// official, so they sharpen a provisional deadline.
    listed: BTreeMap<NaiveDate, bool>,
}

/// Why the calendar cannot be loaded or cannot answer for a date.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    /// A date lies in a year whose official calendar file is not loaded.
    #[error(
        "no official holiday calendar for {year} (have {}); add {year}.json to the calendar folder",
        year_list(.have)
    )]
    NoData {
        /// The year without data.
        year: i32,
        /// The years that are covered, ascending.
        have: Vec<i32>,
    },
    /// A calendar file or folder could not be read.
    #[error("cannot read holiday calendar {}: {source}", .path.display())]
    Read {
        /// The file or folder.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A calendar file is not JSON of the holiday-cn shape.
    #[error("holiday calendar {} is not valid holiday-cn JSON: {message}", .path.display())]
    Parse {
        /// The file (or the name it was given).
        path: PathBuf,
        /// The parser's message, with line and column.
        message: String,
    },
    /// A calendar file parses but contradicts itself or another file.
    #[error("holiday calendar {} is inconsistent: {message}", .path.display())]
    Invalid {
        /// The file (or the name it was given).
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// A case deadline; `provisional` when part of it was counted without an official calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Deadline {
    /// The last day on which the case is on time.
    pub date: NaiveDate,
    /// True when some day counted lies in a year without data (weekends-only there).
    pub provisional: bool,
}

/// How a case stands against its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DueStatus {
    /// More than two working days remain.
    OnTrack,
    /// Two working days or fewer remain, the deadline day included.
    DueSoon,
    /// The deadline has passed.
    Overdue,
}

/// One holiday-cn file; `papers` and the day names are not needed for counting.
#[derive(Deserialize)]
struct YearFile {
    year: i32,
    days: Vec<DayEntry>,
}

/// One listed date of a holiday-cn file.
#[derive(Deserialize)]
struct DayEntry {
    date: String,
    #[serde(rename = "isOffDay")]
    is_off_day: bool,
}

impl Calendar {
    /// Loads every `NNNN.json` in `dir` (other files are ignored; an empty folder gives no years).
    pub fn load_dir(dir: &Path) -> Result<Calendar, CalendarError> {
        let read_error = |path: &Path, source| CalendarError::Read {
            path: path.to_path_buf(),
            source,
        };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| read_error(dir, e))? {
            let path = entry.map_err(|e| read_error(dir, e))?.path();
            let named_for_year = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(year_from_file_name)
                .is_some();
            // A folder that happens to be called 2026.json is not a calendar.
            if !named_for_year || !path.is_file() {
                continue;
            }
            let text = std::fs::read_to_string(&path).map_err(|e| read_error(&path, e))?;
            files.push((path, text));
        }
        // Directory order is arbitrary; sorting makes error messages reproducible.
        files.sort();
        Self::build(files.iter().map(|(p, t)| (p.as_path(), t.as_str())))
    }

    /// Builds a calendar from `(name, json)` pairs; a name like `2026.json` must match its `"year"`.
    pub fn from_files(files: &[(&str, &str)]) -> Result<Calendar, CalendarError> {
        Self::build(files.iter().map(|&(name, text)| (Path::new(name), text)))
    }

    fn build<'a>(
        files: impl IntoIterator<Item = (&'a Path, &'a str)>,
    ) -> Result<Calendar, CalendarError> {
        let mut years: BTreeMap<i32, &Path> = BTreeMap::new();
        let mut listed: BTreeMap<NaiveDate, (bool, &Path)> = BTreeMap::new();
        for (path, text) in files {
            let file: YearFile = serde_json::from_str(text).map_err(|e| CalendarError::Parse {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
            let invalid = |message: String| CalendarError::Invalid {
                path: path.to_path_buf(),
                message,
            };
            let named = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(year_from_file_name);
            if let Some(named) = named
                && named != file.year
            {
                return Err(invalid(format!(
                    "the file is named for {named} but its \"year\" is {}",
                    file.year
                )));
            }
            // Every real notice lists Spring Festival at least; holiday-cn keeps an
            // empty placeholder for a year whose notice is not out yet, and counting
            // on it would silently treat the whole year as plain weekdays.
            if file
                .days
                .iter()
                .all(|d| parse_date(&d.date).map(|d| d.year()) != Some(file.year))
            {
                return Err(invalid(format!(
                    "it lists no day of {}: this is a placeholder published before the State Council notice; use the file once it lists the year's holidays",
                    file.year
                )));
            }
            if let Some(other) = years.insert(file.year, path) {
                return Err(invalid(format!(
                    "year {} is also given by {}",
                    file.year,
                    other.display()
                )));
            }
            for (i, day) in file.days.iter().enumerate() {
                let date = parse_date(&day.date).ok_or_else(|| {
                    invalid(format!(
                        "days[{i}]: date {:?} is not a YYYY-MM-DD date",
                        day.date
                    ))
                })?;
                // A notice lists its own year and at most the turn of the year;
                // anything further away is a typo that would silently shift deadlines.
                if (i64::from(date.year()) - i64::from(file.year)).abs() > 1 {
                    return Err(invalid(format!(
                        "days[{i}]: {date} is not in or next to the year {}",
                        file.year
                    )));
                }
                let working = !day.is_off_day;
                match listed.entry(date) {
                    Entry::Vacant(slot) => {
                        slot.insert((working, path));
                    }
                    Entry::Occupied(seen) if seen.get().0 != working => {
                        let other = seen.get().1;
                        let place = if other == path {
                            "twice in this file".to_string()
                        } else {
                            format!("also in {}", other.display())
                        };
                        return Err(invalid(format!(
                            "{date} is listed both as a day off and as a working day ({place})"
                        )));
                    }
                    Entry::Occupied(_) => {}
                }
            }
        }
        Ok(Calendar {
            years: years.into_keys().collect(),
            listed: listed.into_iter().map(|(d, (w, _))| (d, w)).collect(),
        })
    }

    /// The covered years (those with their own file), ascending.
    pub fn years(&self) -> Vec<i32> {
        self.years.iter().copied().collect()
    }

    /// Whether `year` has its official calendar loaded.
    pub fn covers(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    /// Whether `d` is a working day; `NoData` when its year is not covered.
    pub fn is_working_day(&self, d: NaiveDate) -> Result<bool, CalendarError> {
        if !self.covers(d.year()) {
            return Err(self.no_data(d.year()));
        }
        Ok(self.listed.get(&d).copied().unwrap_or(is_weekday(d)))
    }

    /// The date `n` working days after `start` (counting starts the day after `start`; n = 0 gives `start`).
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        let end = self.add(start, u64::from(n));
        if let Some(year) = self.first_uncovered(start, end.unwrap_or(NaiveDate::MAX)) {
            return Err(self.no_data(year));
        }
        // Only reachable if every year up to chrono's last date were covered.
        end.ok_or_else(|| self.no_data(NaiveDate::MAX.year()))
    }

    /// Working days from `from` (exclusive) to `to` (inclusive); negated when `to` is before `from`.
    pub fn working_days_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<i64, CalendarError> {
        let (after, upto, sign) = if from <= to {
            (from, to, 1)
        } else {
            (to, from, -1)
        };
        if let Some(year) = self.first_uncovered(after, upto) {
            return Err(self.no_data(year));
        }
        Ok(sign * self.count(after, upto))
    }

    /// The deadline for a case accepted on `accepted` with `days` working days, the clock
    /// stopped during `paused` (from, until] intervals; an open pause lasts until `today`.
    pub fn deadline(
        &self,
        accepted: NaiveDate,
        days: u32,
        paused: &[(NaiveDate, Option<NaiveDate>)],
        today: NaiveDate,
    ) -> Deadline {
        // A pause stops the clock on the days after `from` up to and including `until`;
        // the part before acceptance never ran, and empty or reversed ones stop nothing.
        let mut stops: Vec<(NaiveDate, NaiveDate)> = paused
            .iter()
            .filter_map(|&(from, until)| {
                let from = from.max(accepted);
                let until = until.unwrap_or(today);
                (until > from).then_some((from, until))
            })
            .collect();
        stops.sort_unstable();
        // Overlapping pauses must not subtract the same day twice.
        let mut merged: Vec<(NaiveDate, NaiveDate)> = Vec::with_capacity(stops.len());
        for (from, until) in stops {
            match merged.last_mut() {
                Some(last) if from <= last.1 => last.1 = last.1.max(until),
                _ => merged.push((from, until)),
            }
        }

        let mut pos = accepted;
        let mut remaining = u64::from(days);
        let mut date = None;
        for (from, until) in merged {
            let end = self.add(pos, remaining);
            if end.is_some_and(|e| e <= from) {
                date = end;
                break;
            }
            let run = u64::try_from(self.count(pos, from)).unwrap_or(0);
            remaining = remaining.saturating_sub(run);
            pos = until;
        }
        let date = date.or_else(|| self.add(pos, remaining));
        match date {
            Some(date) => Deadline {
                date,
                provisional: self.first_uncovered(accepted, date).is_some(),
            },
            // Beyond chrono's last date: nothing meaningful to count, but never panic.
            None => Deadline {
                date: NaiveDate::MAX,
                provisional: true,
            },
        }
    }

    /// Working days from `accepted` (exclusive) to `finished` (inclusive) that
    /// the clock ran: those inside a `paused` (from, until] interval (an open
    /// one lasts until `finished`) are not counted. Uncovered years count
    /// weekends only.
    pub fn working_days_taken(
        &self,
        accepted: NaiveDate,
        finished: NaiveDate,
        paused: &[(NaiveDate, Option<NaiveDate>)],
    ) -> i64 {
        if finished <= accepted {
            return 0;
        }
        let mut stops: Vec<(NaiveDate, NaiveDate)> = paused
            .iter()
            .filter_map(|&(from, until)| {
                let from = from.max(accepted);
                let until = until.unwrap_or(finished).min(finished);
                (until > from).then_some((from, until))
            })
            .collect();
        stops.sort_unstable();
        let mut stopped = 0;
        let mut counted_to = accepted;
        for (from, until) in stops {
            let from = from.max(counted_to);
            if until > from {
                stopped += self.count(from, until);
                counted_to = until;
            }
        }
        self.count(accepted, finished) - stopped
    }

    /// Working days left until `deadline` as of `today`: 0 on the deadline day, negative
    /// (at most -1) once it has passed; uncovered years count weekends only.
    pub fn working_days_left(&self, deadline: NaiveDate, today: NaiveDate) -> i64 {
        if today <= deadline {
            self.count(today, deadline)
        } else {
            // A weekend right after the deadline adds no working day, but the case is
            // late all the same; the sign must agree with `status`.
            -self.count(deadline, today).max(1)
        }
    }

    /// `Overdue` after the deadline, `DueSoon` with 0..=2 working days left, else `OnTrack`.
    pub fn status(&self, deadline: NaiveDate, today: NaiveDate) -> DueStatus {
        if today > deadline {
            DueStatus::Overdue
        } else if self.count(today, deadline) <= 2 {
            DueStatus::DueSoon
        } else {
            DueStatus::OnTrack
        }
    }

    fn no_data(&self, year: i32) -> CalendarError {
        CalendarError::NoData {
            year,
            have: self.years(),
        }
    }

    /// The first year with a date in (after, upto] that is not covered.
    fn first_uncovered(&self, after: NaiveDate, upto: NaiveDate) -> Option<i32> {
        if upto <= after {
            return None;
        }
        let first = after.succ_opt()?.year();
        // Stops at the first gap, so this runs at most (covered years + 1) times.
        (first..=upto.year()).find(|y| !self.covers(*y))
    }

    /// Working days in (after, upto]: Monday–Friday corrected by the listed dates,
    /// so an uncovered year counts weekends only.
    fn count(&self, after: NaiveDate, upto: NaiveDate) -> i64 {
        if upto <= after {
            return 0;
        }
        let plain = weekday_ordinal(upto) - weekday_ordinal(after);
        let correction: i64 = self
            .listed
            .range((Excluded(after), Included(upto)))
            .map(|(&d, &working)| i64::from(working) - i64::from(is_weekday(d)))
            .sum();
        plain + correction
    }

    /// The date `n` working days after `start` (weekends-only where uncovered);
    /// `None` past chrono's last date. Jumps from one listed date to the next, so
    /// the loop runs once per holiday or make-up day crossed, not once per day.
    fn add(&self, start: NaiveDate, n: u64) -> Option<NaiveDate> {
        let (mut pos, mut remaining) = (start, n);
        loop {
            if remaining == 0 {
                return Some(pos);
            }
            let plain = add_weekdays(pos, remaining);
            match self.listed.range((Excluded(pos), Unbounded)).next() {
                Some((&day, &working)) if plain.is_none_or(|p| day <= p) => {
                    // Before `day` the week is plain; `day` itself goes by the notice.
                    let before =
                        weekday_ordinal(day) - weekday_ordinal(pos) - i64::from(is_weekday(day));
                    remaining = remaining.saturating_sub(u64::try_from(before).unwrap_or(0));
                    if working {
                        remaining = remaining.saturating_sub(1);
                        if remaining == 0 {
                            return Some(day);
                        }
                    }
                    pos = day;
                }
                _ => return plain,
            }
        }
    }
}

fn year_list(years: &[i32]) -> String {
    if years.is_empty() {
        return "none".to_string();
    }
    years
        .iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The year of a calendar file name `NNNN.json`, else `None`.
fn year_from_file_name(name: &str) -> Option<i32> {
    let stem = name.strip_suffix(".json")?;
    if stem.len() != 4 || !stem.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    stem.parse().ok()
}

/// Strictly `YYYY-MM-DD`: chrono alone would also take `2026-2-5`.
fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

fn is_weekday(d: NaiveDate) -> bool {
    d.weekday().num_days_from_monday() < 5
}

/// The number of Monday–Friday dates up to and including `d`, from a fixed origin;
/// differences give weekday counts in O(1).
fn weekday_ordinal(d: NaiveDate) -> i64 {
    let wd = i64::from(d.weekday().num_days_from_monday());
    let monday = i64::from(d.num_days_from_ce()) - wd;
    // All Mondays are congruent mod 7, so this numbers the weeks consecutively.
    monday.div_euclid(7) * 5 + (wd + 1).min(5)
}

/// The `n`-th Monday–Friday date after `pos`, `None` past chrono's last date.
fn add_weekdays(pos: NaiveDate, n: u64) -> Option<NaiveDate> {
    if n == 0 {
        return Some(pos);
    }
    let wd = u64::from(pos.weekday().num_days_from_monday());
    // From a Saturday or Sunday the next working day is the same as from Friday.
    let total = wd.min(4) + n;
    let from_monday = (total / 5) * 7 + total % 5;
    // from_monday > wd whenever n >= 1, so this never underflows.
    pos.checked_add_days(Days::new(from_monday.checked_sub(wd)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
    }

    fn shipped() -> Calendar {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../holidays");
        Calendar::load_dir(&dir).expect("shipped calendar loads")
    }

    #[test]
    fn shipped_folder_covers_2025_and_2026() {
        let cal = shipped();
        assert_eq!(cal.years(), vec![2025, 2026]);
        assert!(cal.covers(2026));
        assert!(!cal.covers(2027));
    }

    #[test]
    fn spring_festival_2026_days_follow_the_notice() {
        let cal = shipped();
        // Make-up Saturdays around the festival are working days.
        assert_eq!(cal.is_working_day(d("2026-02-14")).ok(), Some(true));
        assert_eq!(cal.is_working_day(d("2026-02-28")).ok(), Some(true));
        // The holiday runs Sunday 15 to Monday 23 February, weekdays included.
        assert_eq!(cal.is_working_day(d("2026-02-16")).ok(), Some(false));
        assert_eq!(cal.is_working_day(d("2026-02-23")).ok(), Some(false));
        assert_eq!(cal.is_working_day(d("2026-02-24")).ok(), Some(true));
        // An ordinary Saturday stays off.
        assert_eq!(cal.is_working_day(d("2026-03-07")).ok(), Some(false));
    }

    #[test]
    fn five_days_from_the_friday_before_spring_festival_2026() {
        let cal = shipped();
        // Sat 14 (make-up), then Tue 24, Wed 25, Thu 26, Fri 27.
        assert_eq!(
            cal.add_working_days(d("2026-02-13"), 5).ok(),
            Some(d("2026-02-27"))
        );
        let deadline = cal.deadline(d("2026-02-13"), 5, &[], d("2026-02-13"));
        assert_eq!(
            deadline,
            Deadline {
                date: d("2026-02-27"),
                provisional: false
            }
        );
        assert_eq!(
            cal.working_days_between(d("2026-02-13"), d("2026-02-27"))
                .ok(),
            Some(5)
        );
    }

    #[test]
    fn a_make_up_saturday_can_be_the_deadline() {
        let cal = shipped();
        // Thu 26 Feb + 2: Fri 27, then the make-up Saturday 28.
        assert_eq!(
            cal.add_working_days(d("2026-02-26"), 2).ok(),
            Some(d("2026-02-28"))
        );
    }

    #[test]
    fn national_day_and_mid_autumn_2025() {
        let cal = shipped();
        // Fri 26 Sep + 3: Sun 28 (make-up), Mon 29, Tue 30.
        assert_eq!(
            cal.add_working_days(d("2025-09-26"), 3).ok(),
            Some(d("2025-09-30"))
        );
        // Tue 30 Sep + 3: 1–8 October are off; Thu 9, Fri 10, Sat 11 (make-up).
        assert_eq!(
            cal.add_working_days(d("2025-09-30"), 3).ok(),
            Some(d("2025-10-11"))
        );
        // Across the whole golden week only two working days pass.
        assert_eq!(
            cal.working_days_between(d("2025-09-30"), d("2025-10-10"))
                .ok(),
            Some(2)
        );
        assert_eq!(
            cal.working_days_between(d("2025-10-10"), d("2025-09-30"))
                .ok(),
            Some(-2)
        );
        assert_eq!(
            cal.working_days_between(d("2025-10-05"), d("2025-10-05"))
                .ok(),
            Some(0)
        );
    }

    #[test]
    fn zero_days_is_the_acceptance_day() {
        let cal = shipped();
        assert_eq!(
            cal.add_working_days(d("2026-02-15"), 0).ok(),
            Some(d("2026-02-15"))
        );
    }

    #[test]
    fn a_pause_for_supplement_adds_exactly_the_working_days_paused() {
        let cal = shipped();
        // Mon 2 Mar + 10 working days, no pause: Mon 16 Mar.
        let plain = cal.deadline(d("2026-03-02"), 10, &[], d("2026-03-02"));
        assert_eq!(plain.date, d("2026-03-16"));
        // Asked to supplement Thu 5 Mar, handed in Tue 10 Mar: Fri 6, Mon 9 and
        // Tue 10 are paused (the weekend between was never counted): 3 days later.
        let paused = cal.deadline(
            d("2026-03-02"),
            10,
            &[(d("2026-03-05"), Some(d("2026-03-10")))],
            d("2026-03-20"),
        );
        assert_eq!(
            paused,
            Deadline {
                date: d("2026-03-19"),
                provisional: false
            }
        );
        assert_eq!(
            cal.working_days_between(plain.date, paused.date).ok(),
            Some(3)
        );
    }

    #[test]
    fn overlapping_pauses_do_not_count_twice_and_late_pauses_do_not_count() {
        let cal = shipped();
        let deadline = cal.deadline(
            d("2026-03-02"),
            10,
            &[
                (d("2026-03-09"), Some(d("2026-03-10"))),
                (d("2026-03-05"), Some(d("2026-03-10"))),
                // Asked after the deadline had already passed: changes nothing.
                (d("2026-03-25"), Some(d("2026-03-30"))),
            ],
            d("2026-04-01"),
        );
        assert_eq!(deadline.date, d("2026-03-19"));
    }

    #[test]
    fn an_open_pause_runs_until_today() {
        let cal = shipped();
        let open = [(d("2026-03-05"), None)];
        // Still waiting on Tue 10 Mar: the same as handed in that day.
        assert_eq!(
            cal.deadline(d("2026-03-02"), 10, &open, d("2026-03-10"))
                .date,
            d("2026-03-19")
        );
        // Still waiting on Thu 12 Mar: five working days paused, Mon 23 Mar.
        assert_eq!(
            cal.deadline(d("2026-03-02"), 10, &open, d("2026-03-12"))
                .date,
            d("2026-03-23")
        );
    }

    #[test]
    fn a_2027_date_has_no_data_and_says_how_to_fix_it() {
        let cal = shipped();
        let err = cal
            .is_working_day(d("2027-01-04"))
            .expect_err("2027 is not covered");
        assert!(matches!(err, CalendarError::NoData { year: 2027, .. }));
        assert_eq!(
            err.to_string(),
            "no official holiday calendar for 2027 (have 2025, 2026); add 2027.json to the calendar folder"
        );
        assert!(matches!(
            cal.add_working_days(d("2026-12-24"), 10),
            Err(CalendarError::NoData { year: 2027, .. })
        ));
        assert!(matches!(
            cal.working_days_between(d("2024-12-30"), d("2025-01-06")),
            Err(CalendarError::NoData { year: 2024, .. })
        ));
    }

    #[test]
    fn a_2027_deadline_is_provisional_and_counts_weekends_only() {
        let cal = shipped();
        // Mon 1 Mar 2027 + 5 weekdays: Mon 8 Mar.
        assert_eq!(
            cal.deadline(d("2027-03-01"), 5, &[], d("2027-03-01")),
            Deadline {
                date: d("2027-03-08"),
                provisional: true
            }
        );
    }

    #[test]
    fn a_deadline_crossing_into_2027_is_provisional() {
        let cal = shipped();
        // Thu 24 Dec 2026 + 5 stays in 2026: official.
        assert_eq!(
            cal.deadline(d("2026-12-24"), 5, &[], d("2026-12-24")),
            Deadline {
                date: d("2026-12-31"),
                provisional: false
            }
        );
        // + 10: Fri 25, 28–31 Dec (5), then 2027 on weekdays: Fri 1 Jan (6), 4–7 Jan.
        assert_eq!(
            cal.deadline(d("2026-12-24"), 10, &[], d("2026-12-24")),
            Deadline {
                date: d("2027-01-07"),
                provisional: true
            }
        );
        // Once a 2027 file is loaded (a stand-in here: only New Year's Day, which the
        // law always makes a holiday) the same case is recomputed officially.
        let with_2027 = Calendar::from_files(&[
            (
                "2026.json",
                include_str!(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../holidays/2026.json"
                )),
            ),
            (
                "2027.json",
                r#"{"year": 2027, "papers": [], "days": [
                    {"name": "元旦", "date": "2027-01-01", "isOffDay": true}]}"#,
            ),
        ])
        .expect("test calendar");
        assert_eq!(
            with_2027.deadline(d("2026-12-24"), 10, &[], d("2026-12-24")),
            Deadline {
                date: d("2027-01-08"),
                provisional: false
            }
        );
    }

    #[test]
    fn due_status_counts_working_days_to_the_deadline() {
        let cal = shipped();
        let deadline = d("2026-02-27");
        // Tue 24 Feb: 25, 26, 27 remain.
        assert_eq!(cal.working_days_left(deadline, d("2026-02-24")), 3);
        assert_eq!(cal.status(deadline, d("2026-02-24")), DueStatus::OnTrack);
        assert_eq!(cal.working_days_left(deadline, d("2026-02-25")), 2);
        assert_eq!(cal.status(deadline, d("2026-02-25")), DueStatus::DueSoon);
        assert_eq!(cal.working_days_left(deadline, d("2026-02-27")), 0);
        assert_eq!(cal.status(deadline, d("2026-02-27")), DueStatus::DueSoon);
        // The make-up Saturday right after is already one working day late.
        assert_eq!(cal.working_days_left(deadline, d("2026-02-28")), -1);
        assert_eq!(cal.status(deadline, d("2026-02-28")), DueStatus::Overdue);
    }

    #[test]
    fn due_soon_across_a_holiday_and_overdue_on_a_weekend() {
        let cal = shipped();
        // Eleven calendar days, but only Sat 14 and Tue 24 are working days.
        assert_eq!(cal.working_days_left(d("2026-02-24"), d("2026-02-13")), 2);
        assert_eq!(
            cal.status(d("2026-02-24"), d("2026-02-13")),
            DueStatus::DueSoon
        );
        // Deadline Fri 6 Mar, today Sat 7 Mar: late, even with no working day between.
        assert_eq!(cal.working_days_left(d("2026-03-06"), d("2026-03-07")), -1);
        assert_eq!(
            cal.status(d("2026-03-06"), d("2026-03-07")),
            DueStatus::Overdue
        );
        // Weekends-only in 2027: Fri 1 Jan to Tue 5 Jan is 2 working days.
        assert_eq!(cal.working_days_left(d("2027-01-05"), d("2027-01-01")), 2);
    }

    #[test]
    fn malformed_file_is_a_parse_error_naming_the_file() {
        let err = Calendar::from_files(&[("2027.json", r#"{"year": 2027, "days": ["#)])
            .expect_err("malformed");
        assert!(matches!(err, CalendarError::Parse { .. }));
        assert!(err.to_string().contains("2027.json"), "{err}");

        let dir = std::env::temp_dir().join(format!("onewindow-calendar-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join("2026.json"), "{\"year\": 2026,").expect("write");
        std::fs::write(dir.join("notes.txt"), "ignored").expect("write");
        let loaded = Calendar::load_dir(&dir);
        let _ = std::fs::remove_dir_all(&dir);
        let err = loaded.expect_err("malformed");
        assert!(matches!(err, CalendarError::Parse { .. }));
        assert!(err.to_string().contains("2026.json"), "{err}");
    }

    #[test]
    fn inconsistent_files_are_rejected() {
        let wrong_year = Calendar::from_files(&[("2027.json", r#"{"year": 2026, "days": []}"#)]);
        assert!(matches!(wrong_year, Err(CalendarError::Invalid { .. })));
        // holiday-cn's 2027.json as of August 2026: no notice yet, no days.
        let placeholder =
            Calendar::from_files(&[("2027.json", r#"{"year": 2027, "papers": [], "days": []}"#)]);
        let err = placeholder.expect_err("placeholder");
        assert!(err.to_string().contains("placeholder"), "{err}");
        let twice = Calendar::from_files(&[(
            "2027.json",
            r#"{"year": 2027, "days": [
                {"name": "a", "date": "2027-10-09", "isOffDay": false},
                {"name": "b", "date": "2027-10-09", "isOffDay": true}]}"#,
        )]);
        let err = twice.expect_err("conflict");
        assert!(err.to_string().contains("2027-10-09"), "{err}");
        let bad_date = Calendar::from_files(&[(
            "2027.json",
            r#"{"year": 2027, "days": [{"name": "a", "date": "2027-2-30", "isOffDay": true}]}"#,
        )]);
        assert!(matches!(bad_date, Err(CalendarError::Invalid { .. })));
    }

    /// The jumping `add` and the O(1) `count` must agree with walking day by day,
    /// or every deadline shown to a clerk could be off by one.
    #[test]
    fn fast_counting_matches_walking_day_by_day() {
        let cal = shipped();
        let walk_is_working = |x: NaiveDate| cal.listed.get(&x).copied().unwrap_or(is_weekday(x));
        let mut start = d("2024-12-20");
        while start <= d("2027-01-10") {
            let mut day = start;
            let mut counted = 0i64;
            for n in 1..=70u64 {
                loop {
                    day = day.succ_opt().expect("in range");
                    if walk_is_working(day) {
                        counted += 1;
                        break;
                    }
                }
                assert_eq!(cal.add(start, n), Some(day), "{start} + {n}");
                assert_eq!(cal.count(start, day), counted, "{start}..{day}");
            }
            start = start.succ_opt().expect("in range");
        }
    }

    #[test]
    fn empty_calendar_never_panics_and_marks_everything_provisional() {
        let cal = Calendar::from_files(&[]).expect("empty");
        assert!(cal.years().is_empty());
        let far = cal.deadline(
            NaiveDate::MAX,
            u32::MAX,
            &[(NaiveDate::MIN, None)],
            NaiveDate::MIN,
        );
        assert!(far.provisional);
        let long = cal.deadline(d("2026-01-05"), u32::MAX, &[], d("2026-01-05"));
        assert!(long.provisional);
        assert!(cal.add_working_days(NaiveDate::MAX, 1).is_err());
        assert!(
            cal.working_days_between(NaiveDate::MIN, NaiveDate::MAX)
                .is_err()
        );
        assert_eq!(
            cal.status(NaiveDate::MIN, NaiveDate::MAX),
            DueStatus::Overdue
        );
    }

    mod properties {
        use super::*;
        use chrono::Days;
        use proptest::prelude::*;

        /// A day of 2025, so that deadlines of up to 200 working days stay in the
        /// years the shipped calendar covers.
        fn day_of_2025() -> impl Strategy<Value = NaiveDate> {
            (0u64..365).prop_map(|n| d("2025-01-01") + Days::new(n))
        }

        proptest! {
            #[test]
            fn a_deadline_is_a_working_day_exactly_n_working_days_on(
                start in day_of_2025(),
                n in 1u32..200,
            ) {
                let cal = shipped();
                let deadline = cal.deadline(start, n, &[], start);
                prop_assert!(!deadline.provisional);
                prop_assert_eq!(cal.is_working_day(deadline.date).ok(), Some(true));
                prop_assert_eq!(cal.working_days_between(start, deadline.date).ok(), Some(i64::from(n)));
                prop_assert_eq!(cal.add_working_days(start, n).ok(), Some(deadline.date));
            }

            #[test]
            fn one_more_day_is_a_later_deadline(start in day_of_2025(), n in 0u32..200) {
                let cal = shipped();
                let a = cal.deadline(start, n, &[], start).date;
                let b = cal.deadline(start, n + 1, &[], start).date;
                prop_assert!(b > a, "{} then {}", a, b);
            }

            #[test]
            fn a_pause_moves_the_deadline_by_its_working_days_when_it_ends_in_time(
                start in day_of_2025(),
                n in 5u32..60,
                from_offset in 0u64..20,
                length in 1u64..30,
            ) {
                let cal = shipped();
                let from = start + Days::new(from_offset);
                let until = from + Days::new(length);
                let plain = cal.deadline(start, n, &[], start).date;
                let paused = cal.deadline(start, n, &[(from, Some(until))], until).date;
                prop_assert!(paused >= plain);
                if from < plain {
                    // The clock stood still for the pause's working days.
                    let stopped = cal.working_days_between(from, until).unwrap();
                    prop_assert_eq!(
                        cal.working_days_between(start, paused).unwrap(),
                        i64::from(n) + stopped
                    );
                } else {
                    prop_assert_eq!(paused, plain);
                }
            }

            #[test]
            fn days_left_and_status_agree(deadline in day_of_2025(), today in day_of_2025()) {
                let cal = shipped();
                let left = cal.working_days_left(deadline, today);
                let status = cal.status(deadline, today);
                prop_assert_eq!(status == DueStatus::Overdue, left < 0);
                prop_assert_eq!(status == DueStatus::DueSoon, (0..=2).contains(&left));
            }
        }
    }
}
