//! Why a shared token store could not be used. Messages name the store and
//! the kind of failure, never a token, a key, a Redis URL or its password.

use std::fmt;

/// A token store operation that failed (the store is unreachable, a file is
/// not writable, an operation took longer than [`super::STORE_TIMEOUT`]).
/// Refunds do not fail because of it: they go on with a token kept in the
/// process. `Display` and `Debug` carry no secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenStoreError {
    store: &'static str,
    what: String,
}

impl TokenStoreError {
    /// A failure of `store` (`"file"`, `"redis"`), described by `what`, which
    /// must hold no secret.
    pub(crate) fn new(store: &'static str, what: impl Into<String>) -> Self {
        Self {
            store,
            what: what.into(),
        }
    }

    /// An I/O failure: only its kind is kept (an OS message may quote a path
    /// the caller did not choose to show).
    pub(crate) fn io(store: &'static str, action: &str, error: &std::io::Error) -> Self {
        Self::new(store, format!("{action}: {}", error.kind()))
    }

    /// Which store failed: `"file"` or `"redis"`.
    pub fn store(&self) -> &'static str {
        self.store
    }
}

impl fmt::Display for TokenStoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "UQPay token store ({}) unavailable: {}",
            self.store, self.what
        )
    }
}

impl std::error::Error for TokenStoreError {}
