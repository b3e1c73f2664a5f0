//! A lease kept while its holder works: a create or a reconcile whose
//! provider call outlasts the lease (retries, a slow provider, a poll to
//! final) renews it, so a live process never has its row taken from it.

use std::future::Future;
use std::time::Duration;

use super::{now_ms, Store};
use crate::error::JournalError;

/// The shortest wait between two renewals of one lease.
const MIN_RENEWAL_INTERVAL: Duration = Duration::from_millis(10);

/// Moves the lease of `key` held by `owner` to `until_ms`; false when the
/// row is no longer `owner`'s.
pub(crate) async fn extend_lease(
    store: &Store,
    key: &str,
    owner: &str,
    until_ms: i64,
) -> Result<bool, JournalError> {
    let done = sqlx::query(
        "UPDATE refunds SET lease_until = $1 WHERE idempotency_key = $2 AND lease_owner = $3",
    )
    .bind(until_ms)
    .bind(key)
    .bind(owner)
    .execute(&store.pool)
    .await
    .map_err(JournalError::database("extend the lease"))?;
    Ok(done.rows_affected() > 0)
}

/// `work`'s output, the lease of `key` renewed for `lease` every third of
/// it while `work` runs. A renewal that fails is logged and tried again at
/// the next turn; a lease found lost (another process took the row after
/// an expiry) is no longer renewed. Either way `work` runs to its end.
pub(crate) async fn holding_lease<T>(
    store: &Store,
    key: &str,
    owner: &str,
    lease: Duration,
    work: impl Future<Output = T>,
) -> T {
    let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
    // Not more often than this, whatever lease was configured.
    let every = (lease / 3).max(MIN_RENEWAL_INTERVAL);
    let keep = async {
        loop {
            tokio::time::sleep(every).await;
            let until = now_ms().saturating_add(lease_ms);
            match extend_lease(store, key, owner, until).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(target: "refundkit_journal", idempotency_key = %key, "the row's lease was lost while working on it");
                    return;
                }
                Err(error) => {
                    tracing::warn!(target: "refundkit_journal", idempotency_key = %key, error = %error, "could not extend the row's lease");
                }
            }
        }
    };
    tokio::pin!(work);
    tokio::select! {
        biased;
        done = &mut work => return done,
        () = keep => {}
    }
    work.await
}
