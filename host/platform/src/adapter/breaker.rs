//! A circuit breaker per adapter: after a run of consecutive failures (traps,
//! timeouts, memory, an unavailable legacy system) the adapter is not called at
//! all for a cool-down; callers get an immediate, retryable refusal, so cases
//! wait in the outbox instead of tying up threads on a system that is down.
//! After the cool-down one trial call goes through: success closes the
//! breaker, failure opens it again.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// When a breaker opens and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerConfig {
    /// Consecutive failures that open the breaker.
    pub failures: u32,
    /// How long it stays open before a trial call.
    pub cool_down: Duration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            failures: 5,
            cool_down: Duration::from_secs(30),
        }
    }
}

/// Where a breaker stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls go through; `failures` consecutive ones have failed so far.
    Closed { failures: u32 },
    /// Calls are refused until `until`.
    Open { until: Instant },
    /// One trial call is in flight; others are refused until it ends.
    HalfOpen,
}

impl BreakerState {
    /// `closed`, `open` or `half_open`.
    pub fn name(self) -> &'static str {
        match self {
            BreakerState::Closed { .. } => "closed",
            BreakerState::Open { .. } => "open",
            BreakerState::HalfOpen => "half_open",
        }
    }
}

/// One adapter's breaker.
#[derive(Debug)]
pub struct Breaker {
    config: BreakerConfig,
    state: Mutex<BreakerState>,
}

impl Breaker {
    pub fn new(config: BreakerConfig) -> Self {
        Self {
            config,
            state: Mutex::new(BreakerState::Closed { failures: 0 }),
        }
    }

    /// Whether a call may go ahead now; if not, how long until the next trial.
    pub fn admit(&self, now: Instant) -> Result<(), Duration> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match *state {
            BreakerState::Closed { .. } => Ok(()),
            BreakerState::Open { until } if now >= until => {
                *state = BreakerState::HalfOpen;
                Ok(())
            }
            BreakerState::Open { until } => Err(until - now),
            // The trial's outcome decides; until then nobody else goes.
            BreakerState::HalfOpen => Err(self.config.cool_down),
        }
    }

    /// Whether a call would be refused now, without changing anything (an
    /// expired cool-down is left for [`Breaker::admit`] to turn into a trial).
    pub fn check(&self, now: Instant) -> Result<(), Duration> {
        match *self.state.lock().unwrap_or_else(|e| e.into_inner()) {
            BreakerState::Open { until } if now < until => Err(until - now),
            BreakerState::HalfOpen => Err(self.config.cool_down),
            _ => Ok(()),
        }
    }

    /// Records that an admitted call was abandoned by its caller before it
    /// ended: not a failure of the adapter. An abandoned trial leaves the
    /// breaker open but due, so the next call becomes the trial.
    fn abandon(&self, now: Instant) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if *state == BreakerState::HalfOpen {
            *state = BreakerState::Open { until: now };
        }
    }

    /// Records how an admitted call went: `failed` for a failure of the adapter
    /// or its system, not for an answer such as `invalid` or `refused`.
    pub fn record(&self, failed: bool, now: Instant) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        *state = match (*state, failed) {
            (_, false) => BreakerState::Closed { failures: 0 },
            (BreakerState::Closed { failures }, true) if failures + 1 < self.config.failures => {
                BreakerState::Closed {
                    failures: failures + 1,
                }
            }
            (_, true) => BreakerState::Open {
                until: now + self.config.cool_down,
            },
        };
    }

    /// Admits a call as [`Breaker::admit`] does; the outcome is recorded by
    /// [`Admission::finish`]. A call dropped before it ends (its caller gave up)
    /// counts neither way, and a trial that never reports does not keep the
    /// breaker half-open.
    pub fn enter(&self) -> Result<Admission<'_>, Duration> {
        self.admit(Instant::now())?;
        Ok(Admission {
            breaker: self,
            finished: false,
        })
    }

    /// The current state.
    pub fn state(&self) -> BreakerState {
        *self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// An admitted call, until its outcome is recorded.
#[derive(Debug)]
pub struct Admission<'a> {
    breaker: &'a Breaker,
    finished: bool,
}

impl Admission<'_> {
    /// Records the outcome (see [`Breaker::record`]).
    pub fn finish(mut self, failed: bool) {
        self.finished = true;
        self.breaker.record(failed, Instant::now());
    }
}

impl Drop for Admission<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.breaker.abandon(Instant::now());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker() -> Breaker {
        Breaker::new(BreakerConfig {
            failures: 3,
            cool_down: Duration::from_secs(10),
        })
    }

    #[test]
    fn opens_after_consecutive_failures_only() {
        let b = breaker();
        let t = Instant::now();
        b.record(true, t);
        b.record(true, t);
        b.record(false, t);
        b.record(true, t);
        b.record(true, t);
        assert_eq!(b.state(), BreakerState::Closed { failures: 2 });
        assert_eq!(b.admit(t), Ok(()));
        b.record(true, t);
        assert_eq!(b.state().name(), "open");
        assert_eq!(
            b.admit(t + Duration::from_secs(4)),
            Err(Duration::from_secs(6))
        );
    }

    #[test]
    fn after_the_cool_down_one_trial_decides() {
        let b = breaker();
        let t = Instant::now();
        for _ in 0..3 {
            b.record(true, t);
        }
        let later = t + Duration::from_secs(10);
        assert_eq!(b.admit(later), Ok(()), "the trial");
        assert!(b.admit(later).is_err(), "nobody else while it runs");
        b.record(true, later);
        assert_eq!(
            b.state(),
            BreakerState::Open {
                until: later + Duration::from_secs(10)
            },
            "a failed trial opens it again"
        );
        let again = later + Duration::from_secs(10);
        assert_eq!(b.admit(again), Ok(()));
        b.record(false, again);
        assert_eq!(b.state(), BreakerState::Closed { failures: 0 });
        assert_eq!(b.admit(again), Ok(()));
    }

    #[test]
    fn a_call_its_caller_abandoned_is_no_failure() {
        let b = Breaker::new(BreakerConfig {
            failures: 1,
            cool_down: Duration::from_secs(60),
        });
        for _ in 0..20 {
            drop(b.enter().unwrap());
        }
        assert_eq!(b.state(), BreakerState::Closed { failures: 0 });
    }

    #[test]
    fn an_abandoned_trial_hands_the_trial_to_the_next_call() {
        let b = Breaker::new(BreakerConfig {
            failures: 1,
            cool_down: Duration::ZERO,
        });
        b.record(true, Instant::now());
        let trial = b.enter().unwrap();
        assert_eq!(b.state(), BreakerState::HalfOpen);
        assert!(
            b.check(Instant::now()).is_err(),
            "nobody else while it runs"
        );
        drop(trial);
        assert!(b.check(Instant::now()).is_ok());
        let next = b.enter().expect("the next call is the trial");
        next.finish(false);
        assert_eq!(b.state(), BreakerState::Closed { failures: 0 });
    }
}
