//! Retry decisions as pure functions: how long to wait, whether to go on.

use std::time::{Duration, SystemTime};

/// Bounds on the retry loop. Every retry of a create reuses its idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = never retry).
    pub max_attempts: u32,
    /// Ceiling of the first backoff; doubles per retry (full jitter below it).
    pub initial_backoff: Duration,
    /// Largest backoff ceiling.
    pub max_backoff: Duration,
    /// No attempt starts after this much time since the first one.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
            max_elapsed: Duration::from_secs(90),
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retries.
    pub fn never() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// With `max_attempts` set (at least 1).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// With the first backoff ceiling set.
    pub fn with_initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// With the largest backoff ceiling set.
    pub fn with_max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// With the total-time bound set.
    pub fn with_max_elapsed(mut self, elapsed: Duration) -> Self {
        self.max_elapsed = elapsed;
        self
    }

    /// The backoff ceiling before retry number `retry` (1 for the first retry):
    /// `initial_backoff · 2^(retry-1)`, capped at `max_backoff`.
    pub fn ceiling(&self, retry: u32) -> Duration {
        let doublings = retry.saturating_sub(1).min(30);
        self.initial_backoff
            .saturating_mul(1u32 << doublings)
            .min(self.max_backoff)
    }

    /// The wait before retry number `retry`: full jitter (`unit` in \[0, 1\]
    /// scales the ceiling), but never shorter than the server's `Retry-After`.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>, unit: f64) -> Duration {
        let jittered = self.ceiling(retry).mul_f64(unit.clamp(0.0, 1.0));
        match retry_after {
            Some(server) => server.max(jittered),
            None => jittered,
        }
    }

    /// Whether retry number `retry` may start `delay` from now, `elapsed` after
    /// the first attempt began.
    pub fn allows(&self, retry: u32, elapsed: Duration, delay: Duration) -> bool {
        retry < self.max_attempts && elapsed.saturating_add(delay) <= self.max_elapsed
    }
}

/// Parses `Retry-After`: whole seconds, or an HTTP date (relative to `now`).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_double_up_to_the_cap() {
        let policy = RetryPolicy::default();
        let ms = |n| Duration::from_millis(n);
        assert_eq!(policy.ceiling(1), ms(250));
        assert_eq!(policy.ceiling(2), ms(500));
        assert_eq!(policy.ceiling(3), ms(1000));
        assert_eq!(policy.ceiling(10), Duration::from_secs(8));
        assert_eq!(policy.ceiling(u32::MAX), Duration::from_secs(8));
    }

    #[test]
    fn full_jitter_stays_under_the_ceiling_and_retry_after_wins() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.delay(2, None, 0.0), Duration::ZERO);
        assert_eq!(policy.delay(2, None, 1.0), Duration::from_millis(500));
        assert_eq!(policy.delay(2, None, 0.5), Duration::from_millis(250));
        let server = Some(Duration::from_secs(1));
        assert_eq!(policy.delay(1, server, 1.0), Duration::from_secs(1));
        let short = Some(Duration::from_millis(10));
        assert_eq!(policy.delay(3, short, 1.0), Duration::from_millis(1000));
    }

    #[test]
    fn attempts_and_total_time_bound_the_loop() {
        let policy = RetryPolicy::default()
            .with_max_attempts(3)
            .with_max_elapsed(Duration::from_secs(10));
        let s = Duration::from_secs;
        assert!(policy.allows(1, s(0), s(1)));
        assert!(policy.allows(2, s(0), s(1)));
        assert!(!policy.allows(3, s(0), s(1)));
        assert!(policy.allows(1, s(9), s(1)));
        assert!(!policy.allows(1, s(9), s(2)));
        assert!(!RetryPolicy::never().allows(1, s(0), s(0)));
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        assert_eq!(parse_retry_after("1", now), Some(Duration::from_secs(1)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }
}
