//! The wall clock, injected: code that reads the time takes a [`Clock`], so
//! tests can set it instead of waiting for it.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use time::OffsetDateTime;

/// Where "now" comes from. Adapters hold an `Arc<dyn Clock>`
/// ([`system_clock`] unless a test sets one).
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time, UTC.
    fn now_utc(&self) -> OffsetDateTime;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_utc(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// The system clock, shared.
pub fn system_clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

/// A clock that says what it is set to, for tests: clones share the time.
///
/// ```
/// use std::time::Duration;
/// use refundkit_core::{Clock, ManualClock, OffsetDateTime};
///
/// let clock = ManualClock::new(OffsetDateTime::UNIX_EPOCH);
/// clock.advance(Duration::from_secs(90));
/// assert_eq!(clock.now_utc().unix_timestamp(), 90);
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<OffsetDateTime>>);

impl ManualClock {
    /// A clock standing at `now`.
    pub fn new(now: OffsetDateTime) -> Self {
        Self(Arc::new(Mutex::new(now)))
    }

    /// Sets the time.
    pub fn set(&self, now: OffsetDateTime) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = now;
    }

    /// Moves the time forward by `by` (saturating at the calendar's end).
    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *now = now
            .checked_add(by.try_into().unwrap_or(time::Duration::MAX))
            .unwrap_or(*now);
    }
}

impl Clock for ManualClock {
    fn now_utc(&self) -> OffsetDateTime {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
