//! Idempotency keys as the providers document them: the first result is
//! replayed for the same request, a different request is refused, and a
//! request still being processed blocks its key.

use std::collections::HashMap;

/// What a key lookup found.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Lookup<T> {
    /// Unused key: it is now reserved for this request.
    Fresh,
    /// The same request completed before: here is its result.
    Replay(T),
    /// The key was used for a different request.
    Mismatch,
    /// A request with this key is still being processed.
    InFlight,
}

#[derive(Debug, Clone)]
enum Entry<F, T> {
    InFlight { fingerprint: F },
    Done { fingerprint: F, result: T },
}

/// Keys of one provider, each with the request it was first used for.
#[derive(Debug)]
pub(crate) struct IdempotencyStore<F, T> {
    entries: HashMap<String, Entry<F, T>>,
}

impl<F, T> Default for IdempotencyStore<F, T> {
    fn default() -> Self {
        Self {
            entries: HashMap::new(),
        }
    }
}

impl<F: PartialEq, T: Clone> IdempotencyStore<F, T> {
    /// Looks `key` up for a request with `fingerprint`; a fresh key is
    /// reserved until [`Self::finish`] or [`Self::abandon`].
    pub fn begin(&mut self, key: &str, fingerprint: F) -> Lookup<T> {
        match self.entries.get(key) {
            None => {
                self.entries
                    .insert(key.to_string(), Entry::InFlight { fingerprint });
                Lookup::Fresh
            }
            Some(Entry::InFlight { .. }) => Lookup::InFlight,
            Some(Entry::Done {
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
        if let Some(Entry::InFlight { .. }) = self.entries.get(key) {
            if let Some(Entry::InFlight { fingerprint }) = self.entries.remove(key) {
                self.entries.insert(
                    key.to_string(),
                    Entry::Done {
                        fingerprint,
                        result,
                    },
                );
            }
        }
    }

    /// Frees a reserved key whose request left no result to replay.
    pub fn abandon(&mut self, key: &str) {
        if let Some(Entry::InFlight { .. }) = self.entries.get(key) {
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
    use super::*;

    #[test]
    fn first_result_is_replayed_for_the_same_request_only() {
        let mut store = IdempotencyStore::default();
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
}
