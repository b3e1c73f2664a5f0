//! Outage bookkeeping of a shared store: one warning when it becomes
//! unusable, one note when it is back, and at most one probe per
//! [`PROBE_INTERVAL`] while it is down, so that refunds do not each wait on a
//! store that is known to be down.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::error::TokenStoreError;

/// While a store is down, one operation per interval tries it again.
pub const PROBE_INTERVAL: Duration = Duration::from_secs(1);

#[derive(Debug, Default)]
struct State {
    down_since: Option<Instant>,
    next_probe: Option<Instant>,
}

/// Tracks whether a shared store is usable.
#[derive(Debug, Default)]
pub(crate) struct Outage {
    state: Mutex<State>,
}

impl Outage {
    /// Whether this operation should use the store: always while it is up;
    /// while it is down, only the first caller after each probe interval.
    pub fn should_try(&self, now: Instant) -> bool {
        let Ok(mut state) = self.state.lock() else {
            return true;
        };
        if state.down_since.is_none() {
            return true;
        }
        match state.next_probe {
            Some(next) if now < next => false,
            _ => {
                state.next_probe = now.checked_add(PROBE_INTERVAL);
                true
            }
        }
    }

    /// The store failed: warns once per outage (the error holds no secret).
    pub fn failed(&self, error: &TokenStoreError, now: Instant) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        if state.down_since.is_none() {
            state.down_since = Some(now);
            state.next_probe = now.checked_add(PROBE_INTERVAL);
            tracing::warn!(
                provider = "uqpay",
                store = error.store(),
                error = %error,
                "UQPay token store unavailable; refunds go on with a token kept in this process until it is back"
            );
        }
    }

    /// The store answered: ends an outage (one note).
    pub fn succeeded(&self) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        if let Some(since) = state.down_since.take() {
            state.next_probe = None;
            tracing::info!(
                provider = "uqpay",
                down_for_ms = since.elapsed().as_millis() as u64,
                "UQPay token store is back; sharing the token again"
            );
        }
    }

    /// Whether an outage is in progress.
    pub fn is_down(&self) -> bool {
        self.state
            .lock()
            .map(|state| state.down_since.is_some())
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_down_store_is_probed_once_per_interval() {
        let outage = Outage::default();
        let start = Instant::now();
        assert!(outage.should_try(start));
        outage.failed(&TokenStoreError::new("file", "test"), start);
        assert!(outage.is_down());
        assert!(!outage.should_try(start));
        let later = start + PROBE_INTERVAL;
        assert!(outage.should_try(later));
        assert!(!outage.should_try(later), "one probe per interval");
        outage.succeeded();
        assert!(!outage.is_down());
        assert!(outage.should_try(later));
    }
}
