//! Token stores shared by processes. UQPay keeps one live token per client
//! id, so every process using one client id must share its token:
//!
//! - [`FileTokenStore`]: processes on one host (the CLI's default);
//! - [`RedisTokenStore`] (cargo feature `redis`): a fleet;
//! - [`crate::InMemoryTokenStore`]: one process (the library's default).
//!
//! Shared stores refresh once across all processes under the engine's lock,
//! write with a generation-fenced compare-and-set, seal the token at rest
//! with a key derived from the API key, and fall back to a token kept in the
//! process while the engine is unavailable. See `docs/fleet.md`.

mod backend;
mod error;
mod file;
mod outage;
#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "redis")]
mod redis_connection;
pub(crate) mod seal;
mod setting;
mod shared;

use std::time::Duration;

use refundkit_core::transport::TransportConfig;
use sha2::{Digest, Sha256};

pub use error::TokenStoreError;
pub use file::FileTokenStore;
pub use outage::PROBE_INTERVAL;
#[cfg(feature = "redis")]
pub use redis::RedisTokenStore;
pub use setting::{TokenStoreSetting, ENV_TOKEN_STORE};

/// The longest any one store operation (a read, a lock attempt, a write) may
/// take before the store counts as unavailable and the refund goes on with
/// the token kept in the process.
pub const STORE_TIMEOUT: Duration = Duration::from_secs(2);

/// How long the refresh lock may be held: longer than the token call can
/// take with every retry (so a live holder never loses it), plus a margin.
/// Others wait at most this long for a refresh in flight.
pub fn refresh_lock_ttl(transport: &TransportConfig) -> Duration {
    let attempts = transport.retry.max_attempts.max(1);
    let calls = transport.timeout.saturating_mul(attempts);
    let backoffs = transport
        .retry
        .max_backoff
        .saturating_mul(attempts.saturating_sub(1));
    let worst = calls.saturating_add(backoffs).min(
        transport
            .retry
            .max_elapsed
            .saturating_add(transport.timeout),
    );
    worst.saturating_add(Duration::from_secs(5))
}

/// The first 16 bytes of SHA-256 over `parts` (NUL-separated), in hex: names
/// files and keys without showing the client id.
pub(crate) fn short_hash(parts: &[&str]) -> String {
    let mut digest = Sha256::new();
    for part in parts {
        digest.update(part.as_bytes());
        digest.update([0u8]);
    }
    digest
        .finalize()
        .iter()
        .take(16)
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use refundkit_core::transport::RetryPolicy;

    #[test]
    fn the_lock_outlives_the_longest_token_call() {
        let default = TransportConfig::default();
        // 4 attempts × 30 s + 3 × 8 s backoff = 144 s, capped at 90 s + 30 s; + 5 s.
        assert_eq!(refresh_lock_ttl(&default), Duration::from_secs(125));
        let quick = TransportConfig::default()
            .with_timeout(Duration::from_secs(2))
            .with_retry(RetryPolicy::never());
        assert_eq!(refresh_lock_ttl(&quick), Duration::from_secs(7));
    }

    #[test]
    fn hashes_are_stable_and_hide_the_input() {
        let hash = short_hash(&["sandbox", "client-1"]);
        assert_eq!(hash.len(), 32);
        assert_eq!(hash, short_hash(&["sandbox", "client-1"]));
        assert_ne!(hash, short_hash(&["production", "client-1"]));
        assert!(!hash.contains("client"));
    }
}
