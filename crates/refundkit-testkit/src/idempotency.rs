//! Idempotency keys as the providers document them: the first result is
//! replayed for the same request, a different request is refused, and a
//! request still being processed blocks its key — for the provider's
//! idempotency window only. Once a key is older than the window the provider
//! has forgotten it, and the same key makes a new request (a new refund).
//!
//! Time comes from a monotonic [`Clock`], injectable so the window can be
//! tested without waiting.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a provider remembers a key unless told otherwise: 24 hours, as
/// UQPay documents (and Stripe, which WooshPay is assumed to follow).
pub const DEFAULT_IDEMPOTENCY_WINDOW: Duration = Duration::from_secs(24 * 60 * 60);

/// Where a store reads the time: monotonic, `Instant::now` unless injected.
#[derive(Clone)]
pub(crate) struct Clock(Arc<dyn Fn() -> Instant + Send + Sync>);

impl Clock {
    /// A clock that reads `now`.
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn new(now: impl Fn() -> Instant + Send + Sync + 'static) -> Self {
        Self(Arc::new(now))
    }

    pub fn now(&self) -> Instant {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self(Arc::new(Instant::now))
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Clock")
    }
}

/// What a key lookup found.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Lookup<T> {
    /// Unused key (or one the window has forgotten): it is now reserved for
    /// this request.
    Fresh,
    /// The same request completed before: here is its result.
    Replay(T),
    /// The key was used for a different request.
    Mismatch,
    /// A request with this key is still being processed.
    InFlight,
}

#[derive(Debug, Clone)]
enum State<F, T> {
    InFlight { fingerprint: F },
    Done { fingerprint: F, result: T },
}

#[derive(Debug, Clone)]
struct Entry<F, T> {
    /// When the key was first used: the window counts from here.
    first_used: Instant,
    state: State<F, T>,
}

/// Keys of one provider, each with the request it was first used for.
#[derive(Debug)]
pub(crate) struct IdempotencyStore<F, T> {
    entries: HashMap<String, Entry<F, T>>,
    window: Duration,
    clock: Clock,
}

impl<F, T> Default for IdempotencyStore<F, T> {
    fn default() -> Self {
        Self::new(DEFAULT_IDEMPOTENCY_WINDOW, Clock::default())
    }
}

impl<F, T> IdempotencyStore<F, T> {
    /// A store that forgets each key `window` after its first use.
    pub fn new(window: Duration, clock: Clock) -> Self {
        Self {
            entries: HashMap::new(),
            window,
            clock,
        }
    }

    /// How long a key is remembered after its first use.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// Changes the window; it applies to keys already stored too.
    pub fn set_window(&mut self, window: Duration) {
        self.window = window;
    }

    /// Forgets every completed key older than the window. A key whose request
    /// is still running is kept: the provider is still processing it.
    fn forget_expired(&mut self, now: Instant) {
        let window = self.window;
        self.entries.retain(|_, entry| {
            matches!(entry.state, State::InFlight { .. })
                || now.saturating_duration_since(entry.first_used) < window
        });
    }
}

impl<F: PartialEq, T: Clone> IdempotencyStore<F, T> {
    /// Looks `key` up for a request with `fingerprint`; a fresh key is
    /// reserved until [`Self::finish`] or [`Self::abandon`].
    pub fn begin(&mut self, key: &str, fingerprint: F) -> Lookup<T> {
        let now = self.clock.now();
        self.forget_expired(now);
        match self.entries.get(key).map(|entry| &entry.state) {
            None => {
                self.entries.insert(
                    key.to_string(),
                    Entry {
                        first_used: now,
                        state: State::InFlight { fingerprint },
                    },
                );
                Lookup::Fresh
            }
            Some(State::InFlight { .. }) => Lookup::InFlight,
            Some(State::Done {
                fingerprint: first,
                result,
            }) => {
                if *first == fingerprint {
                    Lookup::Replay(result.clone())
                } else {
                    Lookup::Mismatch
                }
            }
        }
    }

    /// Stores the result of the request that reserved `key`.
    pub fn finish(&mut self, key: &str, result: T) {
        if let Some(entry) = self.entries.remove(key) {
            let state = match entry.state {
                State::InFlight { fingerprint } => State::Done {
                    fingerprint,
                    result,
                },
                done @ State::Done { .. } => done,
            };
            self.entries.insert(
                key.to_string(),
                Entry {
                    first_used: entry.first_used,
                    state,
                },
            );
        }
    }

    /// Frees a reserved key whose request left no result to replay.
    pub fn abandon(&mut self, key: &str) {
        if let Some(State::InFlight { .. }) = self.entries.get(key).map(|entry| &entry.state) {
            self.entries.remove(key);
        }
    }

    /// Stores `result` for replay when `replayable`, else frees the key.
    pub fn conclude(&mut self, key: &str, result: &T, replayable: bool)
    where
        T: Clone,
    {
        if replayable {
            self.finish(key, result.clone());
        } else {
            self.abandon(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// A clock the test moves by hand.
    fn manual_clock() -> (Clock, Arc<Mutex<Instant>>) {
        let now = Arc::new(Mutex::new(Instant::now()));
        let read = now.clone();
        (Clock::new(move || *read.lock().unwrap()), now)
    }

    #[test]
    fn first_result_is_replayed_for_the_same_request_only() {
        let mut store = IdempotencyStore::default();
        assert_eq!(store.window(), DEFAULT_IDEMPOTENCY_WINDOW);
        assert_eq!(store.begin("k", "body-a"), Lookup::<u16>::Fresh);
        assert_eq!(store.begin("k", "body-a"), Lookup::InFlight);
        assert_eq!(store.begin("k", "body-b"), Lookup::InFlight);
        store.finish("k", 200);
        assert_eq!(store.begin("k", "body-a"), Lookup::Replay(200));
        assert_eq!(store.begin("k", "body-b"), Lookup::Mismatch);
    }

    #[test]
    fn an_abandoned_key_can_be_used_again() {
        let mut store = IdempotencyStore::default();
        assert_eq!(store.begin("k", 1), Lookup::<u16>::Fresh);
        store.abandon("k");
        assert_eq!(store.begin("k", 2), Lookup::Fresh);
    }

    #[test]
    fn a_key_is_forgotten_once_its_window_has_passed() {
        let (clock, now) = manual_clock();
        let mut store = IdempotencyStore::new(Duration::from_secs(10), clock);
        assert_eq!(store.begin("k", "a"), Lookup::<u16>::Fresh);
        store.finish("k", 200);
        *now.lock().unwrap() += Duration::from_secs(9);
        assert_eq!(store.begin("k", "a"), Lookup::Replay(200));
        assert_eq!(store.begin("k", "b"), Lookup::Mismatch);
        // Counted from the first use, not from the last replay.
        *now.lock().unwrap() += Duration::from_secs(1);
        assert_eq!(store.begin("k", "b"), Lookup::Fresh);
        store.finish("k", 201);
        assert_eq!(store.begin("k", "b"), Lookup::Replay(201));
    }

    #[test]
    fn a_request_still_running_keeps_its_key_past_the_window() {
        let (clock, now) = manual_clock();
        let mut store = IdempotencyStore::new(Duration::from_secs(1), clock);
        assert_eq!(store.begin("k", 1), Lookup::<u16>::Fresh);
        *now.lock().unwrap() += Duration::from_secs(5);
        assert_eq!(store.begin("k", 1), Lookup::InFlight);
        store.finish("k", 200);
        // Done, and older than the window: forgotten.
        assert_eq!(store.begin("k", 1), Lookup::Fresh);
    }

    #[test]
    fn a_shorter_window_applies_to_keys_already_stored() {
        let (clock, now) = manual_clock();
        let mut store = IdempotencyStore::new(DEFAULT_IDEMPOTENCY_WINDOW, clock);
        assert_eq!(store.begin("k", 1), Lookup::<u16>::Fresh);
        store.finish("k", 200);
        *now.lock().unwrap() += Duration::from_secs(2);
        assert_eq!(store.begin("k", 1), Lookup::Replay(200));
        store.set_window(Duration::from_secs(1));
        assert_eq!(store.window(), Duration::from_secs(1));
        assert_eq!(store.begin("k", 1), Lookup::Fresh);
    }
}
