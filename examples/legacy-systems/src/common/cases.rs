//! The case store every department keeps, whatever its protocol: cases keyed by the
//! platform's case number, a repeated submission recognised rather than stored twice,
//! each case moving one step along its path per stage; beside it the numbered
//! status-change log the platform polls and the serial numbers that restart each day.
//!
//! What a case records, what each step does and how it is reported stay with the
//! department: the store holds its `C` records and moves them, nothing more.

use std::collections::{HashMap, VecDeque};
use std::ops::{Index, IndexMut};
use std::time::Duration;

use onewindow_codes::chrono::NaiveDate;
use tokio::time::Instant;

use super::department::Counts;

/// A stored case and where it is on its path.
#[derive(Debug)]
struct Entry<C, S> {
    case: C,
    /// The steps still ahead.
    pending: VecDeque<S>,
    /// When the next step is due; `None` once the path is done, and while held.
    next_step_at: Option<Instant>,
    /// Whether the case waits (for a supplement) until it is resumed.
    held: bool,
}

/// The cases of a department, in the order they were stored, and their lifecycle:
/// each takes the steps (status codes `S`) it was stored with, one per stage.
///
/// Cases are addressed by their position (`store[i]`), which never changes.
#[derive(Debug)]
pub struct CaseStore<C, S> {
    stage: Duration,
    entries: Vec<Entry<C, S>>,
    by_number: HashMap<String, usize>,
    duplicates: u64,
}

impl<C, S: Copy> CaseStore<C, S> {
    /// An empty store whose cases take `stage` per step.
    pub fn new(stage: Duration) -> Self {
        Self {
            stage,
            entries: Vec::new(),
            by_number: HashMap::new(),
            duplicates: 0,
        }
    }

    /// The case with this platform case number.
    pub fn get(&self, number: &str) -> Option<&C> {
        self.by_number.get(number).map(|&i| &self.entries[i].case)
    }

    /// The case with this platform case number, or else the first that `other` accepts
    /// (the department's own references).
    pub fn find(&self, key: &str, other: impl Fn(&C) -> bool) -> Option<&C> {
        self.get(key)
            .or_else(|| self.entries.iter().map(|e| &e.case).find(|c| other(c)))
    }

    /// The known case a submission with `number` repeats, the repeat counted; `None`
    /// for a new number.
    pub fn repeat(&mut self, number: &str) -> Option<&mut C> {
        let &i = self.by_number.get(number)?;
        self.duplicates += 1;
        Some(&mut self.entries[i].case)
    }

    /// Stores a new case under `number`; its first step is due one stage after `now`.
    pub fn insert(&mut self, number: String, case: C, steps: &[S], now: Instant) {
        self.by_number.insert(number, self.entries.len());
        self.entries.push(Entry {
            case,
            pending: steps.iter().copied().collect(),
            next_step_at: Some(now + self.stage),
            held: false,
        });
    }

    /// The position of the case with this platform case number.
    pub fn position(&self, number: &str) -> Option<usize> {
        self.by_number.get(number).copied()
    }

    /// Holds case `i` where it is (需补正): its remaining steps wait until it
    /// is [resumed](Self::resume).
    pub fn hold(&mut self, i: usize) {
        let entry = &mut self.entries[i];
        entry.held = true;
        entry.next_step_at = None;
    }

    /// Whether case `i` is held.
    pub fn is_held(&self, i: usize) -> bool {
        self.entries[i].held
    }

    /// Lets a held case go on: its next step is due one stage after `now`.
    /// False (and nothing changed) when it was not held.
    pub fn resume(&mut self, i: usize, now: Instant) -> bool {
        let stage = self.stage;
        let entry = &mut self.entries[i];
        if !entry.held {
            return false;
        }
        entry.held = false;
        entry.next_step_at = (!entry.pending.is_empty()).then(|| now + stage);
        true
    }

    /// Stops case `i` for good (撤回): none of its remaining steps is taken.
    pub fn stop(&mut self, i: usize) {
        let entry = &mut self.entries[i];
        entry.pending.clear();
        entry.held = false;
        entry.next_step_at = None;
    }

    /// Stored cases and repeated submissions.
    pub fn counts(&self) -> Counts {
        Counts {
            cases: self.entries.len() as u64,
            duplicates: self.duplicates,
        }
    }

    /// The positions of the cases whose next step is due by `now`, in storing order.
    pub fn due(&self, now: Instant) -> Vec<usize> {
        (0..self.entries.len())
            .filter(|&i| self.entries[i].next_step_at.is_some_and(|at| at <= now))
            .collect()
    }

    /// Takes case `i`'s next step off its path; `None` (and nothing due any more)
    /// when none is left.
    pub fn next_step(&mut self, i: usize) -> Option<S> {
        let entry = &mut self.entries[i];
        let step = entry.pending.pop_front();
        if step.is_none() {
            entry.next_step_at = None;
        }
        step
    }

    /// Schedules case `i`'s following step one stage after `now`; true (and nothing
    /// scheduled) when the step just taken was its last.
    pub fn stepped(&mut self, i: usize, now: Instant) -> bool {
        let entry = &mut self.entries[i];
        let finished = entry.pending.is_empty();
        entry.next_step_at = (!finished).then(|| now + self.stage);
        finished
    }
}

impl<C, S> Index<usize> for CaseStore<C, S> {
    type Output = C;
    fn index(&self, i: usize) -> &C {
        &self.entries[i].case
    }
}

impl<C, S> IndexMut<usize> for CaseStore<C, S> {
    fn index_mut(&mut self, i: usize) -> &mut C {
        &mut self.entries[i].case
    }
}

/// An entry of a status-change log, numbered (序号) from 1.
pub trait Numbered {
    /// The entry's number.
    fn number(&self) -> u64;
}

/// The status changes the platform polls for, in order, each numbered one more
/// than the last.
#[derive(Debug)]
pub struct ChangeLog<E> {
    entries: Vec<E>,
}

impl<E> Default for ChangeLog<E> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
        }
    }
}

impl<E: Numbered> ChangeLog<E> {
    /// The number the next change gets.
    pub fn next_number(&self) -> u64 {
        self.last_number() + 1
    }

    /// The number of the latest change; 0 before any.
    pub fn last_number(&self) -> u64 {
        self.entries.last().map_or(0, E::number)
    }

    /// Appends a change numbered [`next_number`](Self::next_number).
    pub fn push(&mut self, change: E) {
        debug_assert_eq!(change.number(), self.next_number());
        self.entries.push(change);
    }

    /// Changes after `after`, at most `limit`, and whether more are ready.
    pub fn page(&self, after: u64, limit: usize) -> (&[E], bool) {
        let start = self.entries.partition_point(|c| c.number() <= after);
        let rest = &self.entries[start..];
        let page = &rest[..rest.len().min(limit)];
        (page, rest.len() > page.len())
    }
}

/// A serial number that counts from 1 each day (China time).
#[derive(Debug, Clone, Copy, Default)]
pub struct DailySerial(Option<(NaiveDate, u32)>);

impl DailySerial {
    /// The next serial of `today`.
    pub fn next(&mut self, today: NaiveDate) -> u32 {
        match &mut self.0 {
            Some((day, serial)) if *day == today => {
                *serial += 1;
                *serial
            }
            slot => {
                *slot = Some((today, 1));
                1
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Change(u64);

    impl Numbered for Change {
        fn number(&self) -> u64 {
            self.0
        }
    }

    #[test]
    fn a_case_takes_one_step_per_stage_and_repeats_are_counted() {
        let stage = Duration::from_secs(10);
        let t0 = Instant::now();
        let mut store = CaseStore::<String, u8>::new(stage);
        store.insert("P1".into(), "first".into(), &[1, 2], t0);
        assert!(store.repeat("P2").is_none());
        assert_eq!(store.repeat("P1").cloned(), Some("first".into()));
        assert_eq!((store.counts().cases, store.counts().duplicates), (1, 1));
        assert!(store.due(t0).is_empty());
        assert_eq!(store.due(t0 + stage), [0]);
        assert_eq!(store.next_step(0), Some(1));
        assert!(!store.stepped(0, t0 + stage));
        assert!(store.due(t0 + stage).is_empty());
        assert_eq!(store.next_step(0), Some(2));
        assert!(store.stepped(0, t0 + stage * 2));
        assert!(store.due(t0 + stage * 10).is_empty());
        assert_eq!(store.find("x", |c| c == "first"), Some(&"first".to_owned()));
        assert_eq!(store.get("P1"), Some(&store[0]));
    }

    #[test]
    fn a_held_case_waits_until_resumed_and_a_stopped_one_for_ever() {
        let stage = Duration::from_secs(10);
        let t0 = Instant::now();
        let mut store = CaseStore::<String, u8>::new(stage);
        store.insert("P1".into(), "held".into(), &[1, 2, 3], t0);
        store.insert("P2".into(), "stopped".into(), &[1, 2], t0);
        assert_eq!(store.next_step(0), Some(1));
        assert!(!store.stepped(0, t0 + stage));
        store.hold(0);
        assert!(store.is_held(0));
        assert!(store.due(t0 + stage * 100).iter().all(|&i| i != 0));
        assert!(store.resume(0, t0 + stage * 100));
        assert!(
            !store.resume(0, t0 + stage * 100),
            "only a held case resumes"
        );
        assert_eq!(store.due(t0 + stage * 101), [0, 1]);
        assert_eq!(store.next_step(0), Some(2));
        store.stop(1);
        assert!(store.due(t0 + stage * 1000).iter().all(|&i| i != 1));
        assert_eq!(store.position("P2"), Some(1));
        assert_eq!(store.position("P3"), None);
    }

    #[test]
    fn the_log_pages_after_a_number() {
        let mut log = ChangeLog::default();
        assert_eq!(log.last_number(), 0);
        for _ in 0..5 {
            log.push(Change(log.next_number()));
        }
        let (page, more) = log.page(1, 2);
        assert_eq!(page.iter().map(|c| c.0).collect::<Vec<_>>(), [2, 3]);
        assert!(more);
        let (page, more) = log.page(3, 10);
        assert_eq!(page.len(), 2);
        assert!(!more);
    }

    #[test]
    fn the_serial_restarts_each_day() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let mut serial = DailySerial::default();
        assert_eq!((serial.next(day), serial.next(day)), (1, 2));
        assert_eq!(serial.next(day.succ_opt().unwrap()), 1);
    }
}
